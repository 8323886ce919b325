"""One simulated building and one real Home Assistant process for all e2e tests.

The processes are started exactly as `scripts/demo` starts them (`scripts/_demo`), with a
frozen simulated clock (advanced through the simulator API) so the values are exact. Set-up
steps that need a client run on a short-lived thread with its own event loop, so the
per-test event loops and the HA test plugin's lingering-task and thread checks see nothing
of them. The processes run in their own process groups, die with the test process
(PR_SET_PDEATHSIG) and are stopped (SIGTERM, then SIGKILL) in the fixture's `finally`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
import threading
import time
from typing import Any

import aiohttp
import pytest
import pytest_socket  # type: ignore[import-untyped,unused-ignore]

from scripts._demo import requirements, scenario
from scripts._demo.client import HassClient, SimulatorClient, Tokens
from scripts._demo.scenario import Login
from scripts._demo.stack import Stack, StackConfig, frontend_installed

LANDLORD = Login("Landlord", "landlord", "landlord-e2e-password")
TENANT = Login("Tenant", "tenant", "tenant-e2e-password")
SETUP_LIMIT_S = 150.0  # start, onboard and add the gateway; far above the ~10 s it takes


def run_on_thread[T](make: Callable[[], Coroutine[Any, Any, T]], within: float) -> T:
    """Run a coroutine to completion on a new thread with its own loop; the thread is gone after."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        async def bounded() -> T:
            return await asyncio.wait_for(make(), within)

        try:
            outcome["value"] = asyncio.run(bounded())
        except BaseException as err:
            outcome["error"] = err

    thread = threading.Thread(target=target, name="e2e-setup", daemon=True)
    thread.start()
    thread.join(within + 30)
    if thread.is_alive():
        raise TimeoutError(f"e2e set-up thread still running after {within + 30:.0f} s")
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


@dataclass
class E2E:
    """The running stack and what the session set-up made."""

    stack: Stack
    tokens: Tokens
    entry_id: str
    flow_trace: list[dict[str, Any]]
    timings: dict[str, float] = field(default_factory=dict)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No in-process `hass` here: HA runs as its own process (overrides tests/conftest.py)."""


@pytest.fixture(scope="package")  # stopped after the last e2e test, not at session end
def e2e(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2E]:
    """Gateway + HA started, HA onboarded, the gateway added through the config-flow API."""
    # Session fixtures run before the per-test `socket_enabled`: allow loopback sockets for the
    # set-up, then block them again as the HA test plugin does before every test.
    pytest_socket.enable_socket()
    requirements.ensure()  # HA's frontend etc., when the pins do not have them yet
    workdir: Path = tmp_path_factory.mktemp("e2e")
    config = StackConfig(workdir=workdir, time_scale=0, fast_bus=True)
    config.frontend = frontend_installed(config.python)
    stack = Stack(config)
    stack.prepare(fresh=True)
    started = time.monotonic()
    try:
        stack.start()

        async def set_up() -> E2E:
            async with aiohttp.ClientSession() as session:
                timings = await scenario.wait_ready(session, stack, within=SETUP_LIMIT_S)
                client = HassClient(session, stack.ha_url)
                tokens = await scenario.onboard(client, LANDLORD, TENANT)
                timings["onboarded_s"] = time.monotonic() - started
                trace: list[dict[str, Any]] = []
                result = await scenario.add_gateway(client, stack, 1, 100, trace=trace)
                assert result["type"] == "create_entry", result
                entry_id = result["result"]["entry_id"]
                async with await client.websocket() as ws:
                    await scenario.wait_entry_loaded(ws, entry_id)
                # Poll every 2 s (the options flow), so changes show within seconds.
                options = await scenario.set_gateway_options(client, entry_id, poll_interval=2)
                assert options["type"] == "create_entry", options
                async with await client.websocket() as ws:
                    await scenario.wait_entry_loaded(ws, entry_id)
                timings["gateway_set_up_s"] = time.monotonic() - started
                return E2E(stack, tokens, entry_id, trace, timings)

        try:
            setup = run_on_thread(set_up, SETUP_LIMIT_S)
        except BaseException as err:
            logs = "\n".join(
                f"--- {child.name}:\n{child.tail(40)}"
                for child in (stack.gateway, stack.hass)
                if child is not None
            )
            raise RuntimeError(f"e2e set-up failed: {err!r}\n{logs}") from err
        finally:
            pytest_socket.socket_allow_hosts(["127.0.0.1"])
            pytest_socket.disable_socket(allow_unix_socket=True)
        yield setup
    finally:
        stack.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client session for one test."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def landlord(e2e: E2E, session: aiohttp.ClientSession) -> HassClient:
    """HA's APIs as the landlord (the owner, an admin)."""
    client = HassClient(session, e2e.stack.ha_url)
    client.token = e2e.tokens.access_token
    return client


@pytest.fixture
def simulator(e2e: E2E, session: aiohttp.ClientSession) -> SimulatorClient:
    """The simulator's control API on the gateway's status port."""
    return SimulatorClient(session, e2e.stack)
