"""The add-on under load (short variant of bench/addon_load.py): 8 clients and saboteurs on
one faulty simulated bus; no answer wrong or interleaved, no client wedged."""

from __future__ import annotations

from .load import CLIENTS, run_load


async def test_eight_clients_and_saboteurs_on_a_faulty_bus() -> None:
    figures, gw = await run_load(3.0)
    assert figures.wrong == 0
    assert figures.wedged == 0
    assert figures.answers >= 20  # the clients really hammered the bus
    assert figures.faults > 0  # the faults were really injected
    assert figures.garbage_clients > 0
    assert figures.cut_clients > 0
    assert gw.stats.clients_total >= CLIENTS + figures.garbage_clients + figures.cut_clients
    # Every connection is gone and nothing waits for the bus.
    assert gw.stats.clients_connected == 0
    assert gw.server.queue.depth == 0
