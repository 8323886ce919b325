"""The standing charge paused while a room is cut for want of credit, in Home Assistant
against the simulator over real TCP: the supply layer records the cut when the relay
confirms open and the restore when it confirms closed; the billing core then charges
nothing for the time cut (with the room's setting on)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed_exact,
)

from custom_components.prepaid_power.billing.core import BillingCore
from custom_components.prepaid_power.billing.standing import STANDING_CHARGE
from custom_components.prepaid_power.control import SupplyState
from prepaid_power_gateway import Gateway

from .test_init import setup_gateway
from .test_sensor import poll
from .test_supply import act, device_id, room_entry, state

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

STEP = timedelta(milliseconds=10)
MOVE_IN = datetime(2026, 1, 10, 12, tzinfo=UTC)  # 13:00 in Berlin


async def meanwhile[T](
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, operation: Coroutine[Any, Any, T]
) -> T:
    """Run an operation (it talks to the simulator) while HA's frozen clock moves on."""
    task = hass.async_create_task(operation)
    while not task.done():
        freezer.tick(STEP)
        async_fire_time_changed_exact(hass)
        await asyncio.sleep(0)
    return task.result()


async def standing_charges(entry: MockConfigEntry) -> list[tuple[str | None, Decimal]]:
    def read(core: BillingCore) -> list[tuple[str | None, Decimal]]:
        (tenancy,) = core.ledger.tenancies()
        return [
            (e.reference, e.amount)
            for e in core.ledger.entries(account_id=tenancy.account_id, kinds=["fee"])
            if e.why == STANDING_CHARGE
        ]

    return await entry.runtime_data.rooms.billing.run(read)


@pytest.mark.parametrize("pause", [False, True])
async def test_a_day_cut_for_credit_is_not_charged_with_the_pause_on(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulated_gateway: Gateway, pause: bool
) -> None:
    """Alice's 0.05 runs out at once after moving in; the relay stays open for two days,
    then a top-up restores it. With the pause on, the cut days cost nothing; off, the
    whole day in between costs the rate and the move-in day its share."""
    freezer.move_to(MOVE_IN)
    await hass.config.async_set_time_zone("Europe/Berlin")
    hass.config.currency = "EUR"
    entry = room_entry(
        simulated_gateway.port, standing_charge="1.00", pause_standing_when_cut=pause
    )
    await meanwhile(hass, freezer, setup_gateway(hass, entry))
    room = device_id(hass, entry)
    await meanwhile(
        hass,
        freezer,
        act(hass, "move_in", {"device_id": room, "tenant": "Alice", "first_top_up": "0.05"}),
    )
    meter = simulated_gateway.simulator.meter(3)
    meter.set_load(1000)
    simulated_gateway.simulator.clock.advance(0.06 * 3600)
    await meanwhile(hass, freezer, poll(hass))
    assert state(hass) == SupplyState.CUT_OFF
    assert meter.relay_on is False
    await meanwhile(hass, freezer, hass.async_block_till_done())
    cut_at = datetime.now(UTC)

    freezer.tick(timedelta(days=2))
    await meanwhile(hass, freezer, poll(hass))
    await meanwhile(hass, freezer, act(hass, "top_up", {"device_id": room, "amount": "10"}))
    await meanwhile(hass, freezer, hass.async_block_till_done())
    assert meter.relay_on is True
    assert state(hass) == SupplyState.ON

    cuts = await entry.runtime_data.rooms.billing.run(
        lambda core: core.ledger.supply_cuts(room_subentry_id(entry))
    )
    ((cut, restored),) = cuts
    assert MOVE_IN <= cut <= cut_at
    assert restored is not None
    assert restored - cut > timedelta(days=2) - timedelta(minutes=1)

    charges = await standing_charges(entry)
    if pause:
        # Cut from seconds after the move-in: the move-in day's few seconds are under one
        # cent and the whole day cut costs nothing, neither is booked.
        assert charges == []
    else:
        assert charges == [
            ("standing charge 2026-01-10", Decimal("-0.45")),
            ("standing charge 2026-01-11", Decimal("-1.00")),
        ]


def room_subentry_id(entry: MockConfigEntry) -> str:
    (subentry,) = entry.subentries.values()
    return subentry.subentry_id


async def test_a_landlord_off_is_not_a_cut_for_credit_and_ends_one(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """With the pause on, a landlord's forced off opens the relay but records no cut; a
    cut for credit that turns into a forced off ends there (the landlord's decision)."""
    hass.config.currency = "EUR"
    entry = room_entry(simulated_gateway.port, standing_charge="1.00", pause_standing_when_cut=True)
    await setup_gateway(hass, entry)
    room = device_id(hass, entry)
    await act(hass, "move_in", {"device_id": room, "tenant": "Alice", "first_top_up": "5"})
    await poll(hass)
    meter = simulated_gateway.simulator.meter(3)
    billing = entry.runtime_data.rooms.billing
    room_id = room_subentry_id(entry)
    await act(hass, "set_supply", {"device_id": room, "state": "off", "reason": "Works"})
    await hass.async_block_till_done()
    assert state(hass) == SupplyState.FORCED_OFF
    assert meter.relay_on is False
    assert await billing.run(lambda core: core.ledger.supply_cuts(room_id)) == ()
    await act(hass, "set_supply", {"device_id": room, "state": "auto"})
    await act(hass, "adjust", {"device_id": room, "amount": "-5", "reason": "test"})
    await poll(hass)
    await hass.async_block_till_done()
    assert state(hass) == SupplyState.CUT_OFF
    assert meter.relay_on is False
    ((_, restored),) = await billing.run(lambda core: core.ledger.supply_cuts(room_id))
    assert restored is None
    await act(hass, "set_supply", {"device_id": room, "state": "off", "reason": "Works"})
    await hass.async_block_till_done()
    ((cut, restored),) = await billing.run(lambda core: core.ledger.supply_cuts(room_id))
    assert restored is not None
    assert restored >= cut
