"""Tests for the gateway coordinator's poll cadence."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from datetime import datetime, timedelta
import itertools
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed_exact

from custom_components.prepaid_power.const import CONF_POLL_INTERVAL
from prepaid_power_gateway import Gateway, gateway_config, uniform_building

from .test_init import gateway_entry

METERS = 16
STEP = timedelta(milliseconds=10)


@pytest.fixture
async def wired_gateway() -> AsyncIterator[Gateway]:
    """16 SDM120 behind a gateway that takes 9600-baud wire time (in HA's clock, which the
    test moves): one poll cycle lasts over a second."""
    config = gateway_config(
        uniform_building(METERS), time_scale=0, min_gap_ms=0, id_switch_gap_ms=0, wire_time=True
    )
    async with Gateway(config) as gateway:
        yield gateway


async def _run(hass: HomeAssistant, freezer: FrozenDateTimeFactory, duration: timedelta) -> None:
    """Move HA's clock on in small steps, letting everything due run at each."""
    for _ in range(int(duration / STEP)):
        freezer.tick(STEP)
        async_fire_time_changed_exact(hass)
        await asyncio.sleep(0)


async def _meanwhile[T](
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, operation: Coroutine[Any, Any, T]
) -> T:
    """Run an operation that polls, moving the clock on until it is done."""
    task = hass.async_create_task(operation)
    while not task.done():
        await _run(hass, freezer, STEP)
    return task.result()


async def _polls(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    gateway: Gateway,
    duration: timedelta,
    options: dict[str, Any] | None = None,
) -> list[tuple[datetime, datetime]]:
    """Set a gateway of 16 meters up, let it poll for `duration`: each poll's (start, end)."""
    meters = [
        {"slave_id": slave, "profile": "eastron_sdm120", "serial_number": None}
        for slave in range(1, METERS + 1)
    ]
    entry = gateway_entry(gateway.port, meters=meters, options=options)
    entry.add_to_hass(hass)
    assert await _meanwhile(hass, freezer, hass.config_entries.async_setup(entry.entry_id))
    coordinator = entry.runtime_data.coordinator
    polls: list[tuple[datetime, datetime]] = []

    def polled() -> None:
        # The first meter is read first in the cycle: its read time marks the cycle's start.
        read_at = coordinator.data.readings[1].read_at
        assert read_at is not None
        polls.append((read_at, dt_util.utcnow()))

    stop_counting = coordinator.async_add_listener(polled)
    await _run(hass, freezer, duration)
    stop_counting()
    # A poll may be under way: it needs the clock to move to end.
    assert await _meanwhile(hass, freezer, hass.config_entries.async_unload(entry.entry_id))
    return polls


def _gaps(polls: list[tuple[datetime, datetime]]) -> list[float]:
    return [(b - a).total_seconds() for (a, _), (b, _) in itertools.pairwise(polls)]


async def test_polls_keep_the_interval_start_to_start(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, wired_gateway: Gateway
) -> None:
    """10 polls in 100 s at a 10 s interval, each cycle lasting over a second (HA's own
    scheduling, from the end of the last one, polled every 11 s)."""
    # The first poll comes within one interval: 105 s hold 10 polls, 110 s would hold 11.
    polls = await _polls(hass, freezer, wired_gateway, timedelta(seconds=105))
    assert len(polls) == 10
    assert all(end - start > timedelta(seconds=1) for start, end in polls)
    assert _gaps(polls) == pytest.approx([10.0] * 9, abs=0.05)


async def test_a_poll_longer_than_the_interval_delays_the_next_to_the_cadence(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, wired_gateway: Gateway
) -> None:
    """At a 2 s interval a cycle of 16 meters overruns: the next poll starts at the first
    start of the 2 s cadence after it, neither at once nor off the cadence."""
    polls = await _polls(
        hass, freezer, wired_gateway, timedelta(seconds=30), {CONF_POLL_INTERVAL: 2}
    )
    assert len(polls) >= 5
    for (_, end), (start, _), gap in zip(polls, polls[1:], _gaps(polls), strict=False):
        assert start >= end
        assert start - end < timedelta(seconds=2)
        assert gap / 2 == pytest.approx(round(gap / 2), abs=0.03)
