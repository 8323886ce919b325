"""Waiting for Home Assistant states the way a client does: re-read on state_changed events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import time
from typing import Any

from scripts._demo.client import HassClient, HassWebSocket

StateCheck = Callable[[str], bool]


async def wait_states(
    ws: HassWebSocket, client: HassClient, expected: dict[str, StateCheck], within: float
) -> dict[str, dict[str, Any]]:
    """Wait (woken by state_changed events) until every entity's state passes its check."""

    def satisfied(states: dict[str, dict[str, Any]]) -> bool:
        return all(check(states[entity]["state"]) for entity, check in expected.items())

    async with ws.subscribe(event_type="state_changed") as events:
        deadline = time.monotonic() + within
        while True:
            states = await client.states()
            if satisfied(states):
                return states
            left = deadline - time.monotonic()
            if left <= 0:
                bad = {
                    entity: states[entity]["state"]
                    for entity, check in expected.items()
                    if not check(states[entity]["state"])
                }
                raise AssertionError(f"states not reached within {within} s: {bad}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(events.get(), min(left, 1.0))


def near(value: float, tolerance: float) -> StateCheck:
    """A state check: a number within `tolerance` of `value`."""

    def check(state: str) -> bool:
        try:
            return abs(float(state) - value) <= tolerance
        except ValueError:
            return False

    return check


def equals(expected: str) -> StateCheck:
    """A state check: exactly this state."""
    return lambda state: state == expected
