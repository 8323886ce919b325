"""The debt recovery plan in Home Assistant: the action, top-ups, events and statements."""

from __future__ import annotations

from decimal import Decimal

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.prepaid_power.const import EVENT_LANDLORD_ACTION, EVENT_TOP_UP
from prepaid_power_gateway import Gateway

from .test_init import setup_gateway
from .test_rooms import (
    act,
    balance,
    entry_with_room,
    ledger_entries,
    make_room,
    room_device_id,
    room_subentry,
)

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


@pytest.fixture
async def room(hass: HomeAssistant, simulated_gateway: Gateway) -> MockConfigEntry:
    """A loaded gateway with Room 1 on the SDM120, with a tenant who paid 20.00."""
    return await make_room(hass, simulated_gateway)


async def test_plan_recovers_a_share_of_each_top_up(
    hass: HomeAssistant, room: MockConfigEntry
) -> None:
    """Alice owes 30.00 of arrears: 25 % of each top-up goes to it, her balance never below 5."""
    device_id = room_device_id(hass, room)
    actions = async_capture_events(hass, EVENT_LANDLORD_ACTION)
    plan = await act(
        hass,
        "set_debt_plan",
        {
            "device_id": device_id,
            "debt": "30",
            "reason": "arrears",
            "percent": 25,
            "floor": "5",
        },
    )
    assert {k: plan[k] for k in ("debt", "recovered", "remaining", "percent", "floor")} == {
        "debt": "30.00",
        "recovered": "0.00",
        "remaining": "30.00",
        "percent": "25.00",
        "floor": "5.00",
    }
    assert actions[-1].data["action"] == "set_debt_plan"
    assert actions[-1].data["remaining"] == "30.00"
    top_ups = async_capture_events(hass, EVENT_TOP_UP)
    paid = await act(hass, "top_up", {"device_id": device_id, "amount": "40"})
    assert paid["debt_recovered"] == "10.00"
    assert top_ups[-1].data["debt_recovered"] == "10.00"
    assert balance(hass) == Decimal("50.00")  # 20 + 40 - 10
    statement = await act(hass, "statement", {"device_id": device_id})
    recovery = statement["data"]["debt_recovery"]
    assert (recovery["recovered_total"], recovery["closing_debt"]) == ("10.00", "20.00")


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"debt": "10", "reason": "x", "percent": 120}, "debt_plan_percent_invalid"),
        ({"percent": 10}, "debt_plan_no_debt"),
        ({"debt": "10"}, "reason_required"),
        ({"debt": "10", "reason": "x", "floor": "-1"}, "amount_not_positive"),
    ],
)
async def test_plan_refusals_are_translated_and_change_nothing(
    hass: HomeAssistant, room: MockConfigEntry, data: dict[str, object], key: str
) -> None:
    device_id = room_device_id(hass, room)
    before = await ledger_entries(room)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "set_debt_plan", {"device_id": device_id, **data})
    assert err.value.translation_key == key
    assert await ledger_entries(room) == before
    assert (
        await room.runtime_data.rooms.billing.run(
            lambda core: core.ledger.execute("SELECT COUNT(*) FROM debt_plans")
        )
    ) == [(0,)]


async def test_the_room_form_sets_the_standing_charge(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """The room's *Standing charge per day* reaches the billing core."""
    entry = entry_with_room(simulated_gateway.port, standing_charge="1.50")
    await setup_gateway(hass, entry)
    room_id = room_subentry(entry).subentry_id
    config = await entry.runtime_data.rooms.billing.run(lambda core: core.room_config(room_id))
    assert config.standing_charge == Decimal("1.50")
