"""Command latency benchmark: top-up to confirmed relay close, exhausted credit to confirmed open.

A script that prints figures, not a test. Run from the repository root:

    .venv/ha-2025.4/bin/python bench/command_latency.py [--meters 32] [--samples 40]

Setup: the add-on's simulator in this process with 9600-baud wire-time emulation (every
request and answer takes its real time on the wire, one transaction at a time), 32
DDS238-2 ZN/SR meters (own relay) each with a room, a tenant and a little credit, and the
gateway's coordinator polling all 32 on its own timer every 2 s (the bus is busy polling
most of the time, the worst case for a command). Home Assistant is the test instance of
pytest-homeassistant-custom-component with the integration exactly as shipped.

Per sample, round robin over the rooms:
- cut: the room's meter counts just past its credit (the simulated clock jumps); t0 is that
  moment. "detected" is when a poll has read and billed it (the `supply_changed` event);
  "confirmed" is when the relay's read-back confirmed the open relay. Reported: detected ->
  confirmed (the command path) and t0 -> confirmed (includes waiting for the poll to reach
  the meter, bounded by the poll cycle).
- restore: t0 is the `prepaid_power.top_up` action call; confirmed as above, relay closed.

With `--continuous` the simulated clock runs in real time instead: the room's load is set so
that its credit lasts 10-20 s, t0 is the moment the meter's counter (0.01 kWh steps, rounded) shows
the credit exhausted, and the integration's early reads (projected from balance and power)
compete with the poll cycle to notice it.
"""

from __future__ import annotations

import argparse
import asyncio
from decimal import Decimal
import logging
from pathlib import Path
import random
import statistics
import sys
import tempfile
import time
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "addon")]

MODEL = "DDS238-2 ZN/SR"
PROFILE = "hiking_dds238_2_zn_sr"
POLL_INTERVAL_S = 2
PRICE = Decimal(5)
CREDIT = "0.10"
TIMEOUT_S = 30.0
ENERGY_KEY = "energy_import"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))]


def report(name: str, values: list[float]) -> None:
    """Print median, p95 and max in milliseconds."""
    if not values:
        print(f"{name:<44} no samples")
        return
    print(
        f"{name:<44} n={len(values):3d}  median {statistics.median(values) * 1000:7.1f} ms"
        f"  p95 {percentile(values, 0.95) * 1000:7.1f} ms  max {max(values) * 1000:7.1f} ms"
    )


async def wait_for(predicate: Any, limit_s: float = TIMEOUT_S) -> float:
    """Poll `predicate` every millisecond; the monotonic time it first held."""
    deadline = time.monotonic() + limit_s
    while not predicate():
        if time.monotonic() > deadline:
            msg = "timed out"
            raise TimeoutError(msg)
        await asyncio.sleep(0.001)
    return time.monotonic()


async def measure(
    meters: int, samples: int, *, continuous: bool, interval: int
) -> dict[str, list[float]]:
    """Run the benchmark; latencies in seconds by kind."""
    from homeassistant import loader
    from homeassistant.const import CONF_HOST, CONF_PORT
    from homeassistant.core import Event
    from homeassistant.helpers import device_registry as dr
    from pytest_homeassistant_custom_component.common import (
        MockConfigEntry,
        async_test_home_assistant,
    )

    from custom_components.prepaid_power.const import (
        CONF_CONNECTION,
        CONF_FRAMING,
        CONF_METERS,
        CONF_POLL_INTERVAL,
        DOMAIN,
        EVENT_SUPPLY_CHANGED,
        room_identifier,
    )
    from custom_components.prepaid_power.control import RelayPhase
    from prepaid_power_gateway import Gateway, gateway_config
    from prepaid_power_gateway.building import uniform_building

    building = uniform_building(meters, MODEL, load_w=0)
    config = gateway_config(
        building,
        simulate=True,
        time_scale=1 if continuous else 0,
        wire_time=True,
        baudrate=9600,
    )
    results: dict[str, list[float]] = {"detect": [], "cut": [], "cut_total": [], "restore": []}
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="pp-latency-") as config_dir:
        async with (
            Gateway(config) as gateway,
            async_test_home_assistant(config_dir=config_dir) as hass,
        ):
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            hass.config.currency = "CNY"
            entry = MockConfigEntry(
                domain=DOMAIN,
                title="Latency",
                data={
                    CONF_CONNECTION: "tcp",
                    CONF_HOST: "127.0.0.1",
                    CONF_PORT: gateway.port,
                    CONF_FRAMING: "tcp",
                    CONF_METERS: [
                        {"slave_id": i, "profile": PROFILE, "serial_number": None}
                        for i in range(1, meters + 1)
                    ],
                },
                options={CONF_POLL_INTERVAL: interval},
                subentries_data=[
                    {
                        "data": {
                            "meter": i,
                            "price": str(PRICE),
                            "cycle_start_day": 1,
                            "allowance_kwh": "0",
                            "actuator_kind": "meter_relay",
                            "supply": {"low_level": "1", "credit_limit": "0"},
                            "schedules": {},
                        },
                        "subentry_type": "room",
                        "title": f"Room {i}",
                        "unique_id": None,
                    }
                    for i in range(1, meters + 1)
                ],
            )
            entry.add_to_hass(hass)
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            rooms = entry.runtime_data.rooms

            devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
            by_slave = {room.slave_id: room for room in rooms.rooms.values()}
            device_of = {
                slave: next(
                    d for d in devices if room_identifier(room.subentry_id) in d.identifiers
                )
                for slave, room in by_slave.items()
            }
            for slave, device in device_of.items():
                await hass.services.async_call(
                    DOMAIN,
                    "move_in",
                    {"device_id": device.id, "tenant": f"T{slave}", "first_top_up": CREDIT},
                    blocking=True,
                )
            detected: dict[str, float] = {}

            def changed(event: Event[Any]) -> None:
                detected[event.data["room_id"]] = time.monotonic()

            hass.bus.async_listen(EVENT_SUPPLY_CHANGED, changed)

            def confirmed(room_id: str, target: bool) -> bool:
                tracker = entry.runtime_data.supply.controls[room_id].state.tracker
                return tracker.target is target and tracker.phase is RelayPhase.IDLE

            for sample in range(samples):
                slave = sample % meters + 1
                room = by_slave[slave]
                meter = gateway.simulator.meter(slave)
                device = device_of[slave]
                await wait_for(lambda room=room: confirmed(room.subentry_id, True))
                state = entry.runtime_data.coordinator.data.rooms[room.subentry_id]
                balance = state.summary.live_balance or Decimal(0)
                detected.pop(room.subentry_id, None)
                if continuous:
                    # Credit runs out in 10-20 s of real (= simulated) time. t0 is when the
                    # meter's counter (0.01 kWh steps) showed it exhausted: the first step at
                    # or past the credit, or the last step before the cut if rounding cut
                    # one step earlier.
                    billed = entry.runtime_data.coordinator.data.readings[slave].values
                    start = float(billed[ENERGY_KEY] or 0)
                    threshold = start + float(balance / PRICE)
                    seconds = rng.uniform(10, 20)
                    meter.set_load(float(balance / PRICE) / (seconds / 3600) * 1000)
                    steps: list[tuple[float, float]] = [(time.monotonic(), start)]

                    def cut(
                        room_id: str = room.subentry_id,
                        meter: Any = meter,
                        steps: list[tuple[float, float]] = steps,
                    ) -> bool:
                        counter = round(meter.energy_kwh * 100) / 100
                        if counter != steps[-1][1]:
                            steps.append((time.monotonic(), counter))
                        return confirmed(room_id, False)

                    done = await wait_for(cut)
                    meter.set_load(0)
                    past = [at for at, counter in steps if counter >= threshold - 1e-9]
                    t0 = past[0] if past else steps[-1][0]
                    used = round(meter.energy_kwh * 100) / 100 - start
                    owed = Decimal(str(round(used, 2))) * PRICE - balance
                else:
                    kwh = float((balance + Decimal("0.01")) / PRICE)
                    meter.set_load(1000)
                    gateway.simulator.clock.advance(kwh * 3600)
                    meter.set_load(0)
                    t0 = time.monotonic()
                    done = await wait_for(lambda room=room: confirmed(room.subentry_id, False))
                    owed = -(
                        entry.runtime_data.coordinator.data.rooms[
                            room.subentry_id
                        ].summary.live_balance
                        or Decimal(0)
                    )
                assert meter.relay_on is False
                t_detect = detected.get(room.subentry_id, t0)
                results["detect"].append(t_detect - t0)
                results["cut"].append(done - t_detect)
                results["cut_total"].append(done - t0)

                # Back to about CREDIT, whatever was used after the crossing.
                amount = Decimal(CREDIT) + max(owed, Decimal(0))
                t0 = time.monotonic()
                await hass.services.async_call(
                    DOMAIN, "top_up", {"device_id": device.id, "amount": str(amount)}, blocking=True
                )
                done = await wait_for(lambda room=room: confirmed(room.subentry_id, True))
                assert meter.relay_on is True
                results["restore"].append(done - t0)
                print(
                    f"sample {sample + 1}: cut {results['cut_total'][-1]:.3f} s after the "
                    f"crossing, restore {results['restore'][-1]:.3f} s",
                    file=sys.stderr,
                    flush=True,
                )
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
    return results


def main() -> None:
    """Parse arguments, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=32)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--interval", type=int, default=POLL_INTERVAL_S, help="poll interval (s)")
    parser.add_argument(
        "--continuous",
        action="store_true",
        help="usage runs in real time (early reads near the cut-off); default: counter jumps",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    results = asyncio.run(
        measure(args.meters, args.samples, continuous=args.continuous, interval=args.interval)
    )
    mode = "usage in real time" if args.continuous else "counter jumps between polls"
    print(
        f"{args.meters} meters polling every {args.interval} s, 9600-baud wire time, "
        f"{args.samples} samples, {mode}"
    )
    report("top-up action -> relay close confirmed", results["restore"])
    report("cut decided -> relay open confirmed", results["cut"])
    report("balance crossed zero -> cut decided", results["detect"])
    report("balance crossed zero -> relay open confirmed", results["cut_total"])


if __name__ == "__main__":
    main()
