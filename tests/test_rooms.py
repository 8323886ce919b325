"""Rooms, tenancies and the ledger in Home Assistant, against the simulator over real TCP."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
import threading
from typing import Any
from unittest.mock import patch

from homeassistant.auth.models import User
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Context, Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
import voluptuous as vol

from custom_components.prepaid_power.billing.aio import THREAD_NAME
from custom_components.prepaid_power.const import (
    DOMAIN,
    EVENT_BALANCE_LOW,
    EVENT_FAULT,
    EVENT_LANDLORD_ACTION,
    EVENT_STATEMENT_READY,
    EVENT_TOP_UP,
    room_identifier,
)
from prepaid_power_gateway import Gateway

from .conftest import device_with_identifier
from .test_init import ROOM_DATA, gateway_entry, setup_gateway
from .test_sensor import poll

# Entities a landlord enables by hand (thresholds, relay fault, price) are tested enabled.
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


def entry_with_room(port: int, **data: Any) -> MockConfigEntry:
    """A gateway entry with one room on meter 1 (SDM120, 500 W in the small building)."""
    return gateway_entry(port, rooms={"Room 1": {**ROOM_DATA, **data}})


def room_subentry(entry: MockConfigEntry) -> ConfigSubentry:
    """The entry's only room."""
    (subentry,) = entry.subentries.values()
    return subentry


def room_device_id(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Device id of the entry's room."""
    from homeassistant.helpers import device_registry as dr

    device = device_with_identifier(
        dr.async_get(hass), entry.entry_id, room_identifier(room_subentry(entry).subentry_id)
    )
    assert device is not None
    return device.id


async def act(
    hass: HomeAssistant, action: str, data: dict[str, Any], context: Context | None = None
) -> Any:
    """Call a landlord action and return its response."""
    return await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=True, context=context
    )


def balance(hass: HomeAssistant) -> Decimal:
    """The room's balance sensor."""
    state = hass.states.get("sensor.room_1_balance")
    assert state is not None
    return Decimal(state.state)


async def use_energy(hass: HomeAssistant, gateway: Gateway, kwh: Decimal) -> None:
    """Let meter 1 count `kwh` more (at 1 kW) and poll."""
    gateway.simulator.meter(1).set_load(1000)
    gateway.simulator.clock.advance(float(kwh) * 3600)
    await poll(hass)


async def ledger_entries(entry: MockConfigEntry) -> int:
    """How many entries the gateway's ledger holds."""
    rooms = entry.runtime_data.rooms
    return len(await rooms.billing.run(lambda core: core.ledger.entries()))


async def make_room(hass: HomeAssistant, gateway: Gateway) -> MockConfigEntry:
    """A loaded gateway with Room 1 on meter 1, with a tenant who paid 20.00."""
    hass.config.currency = "CNY"
    entry = entry_with_room(gateway.port)
    await setup_gateway(hass, entry)
    device_id = room_device_id(hass, entry)
    await act(
        hass,
        "move_in",
        {"device_id": device_id, "tenant": "Alice", "first_top_up": "20", "reference": "R-1"},
    )
    return entry


@pytest.fixture
async def room(hass: HomeAssistant, simulated_gateway: Gateway) -> MockConfigEntry:
    """A loaded gateway with Room 1 on the SDM120, with a tenant who paid 20.00."""
    return await make_room(hass, simulated_gateway)


async def test_room_device_and_sensors(hass: HomeAssistant, room: MockConfigEntry) -> None:
    """A room is a device with balance, usage, price and tenancy sensors."""
    assert balance(hass) == Decimal("20.00")
    state = hass.states.get("sensor.room_1_balance")
    assert state is not None
    assert state.attributes["unit_of_measurement"] == "CNY"
    assert hass.states.get("sensor.room_1_tenancy").state == "occupied"
    assert Decimal(hass.states.get("sensor.room_1_current_price").state) == Decimal("0.5")
    assert (
        hass.states.get("sensor.room_1_current_price").attributes["unit_of_measurement"]
        == "CNY/kWh"
    )


async def test_usage_is_charged(
    hass: HomeAssistant, room: MockConfigEntry, simulated_gateway: Gateway
) -> None:
    """Six minutes at 1 kW is 0.1 kWh: 0.05 CNY off the balance, shown as this cycle's cost.

    (HA's clock is not advanced with the simulator's, so only jumps a meter could make in a
    few real seconds plus the plausibility slack are billed; bigger ones are held as suspect.)
    """
    await poll(hass)  # the same reading as at move-in: nothing to bill, nothing backwards
    await use_energy(hass, simulated_gateway, Decimal("0.1"))
    assert balance(hass) == Decimal("19.95")
    billing_issues = {"counter_backwards", "suspect_reading"}
    assert not [
        i
        for i in ir.async_get(hass).issues.values()
        if i.domain == DOMAIN and i.translation_key in billing_issues
    ]
    assert Decimal(hass.states.get("sensor.room_1_energy_this_cycle").state) == Decimal("0.1")
    assert Decimal(hass.states.get("sensor.room_1_cost_this_cycle").state) == Decimal("0.05")


async def test_the_snapshot_is_immutable_and_a_change_is_a_new_one(
    hass: HomeAssistant, room: MockConfigEntry, simulated_gateway: Gateway
) -> None:
    """What the entities read (`coordinator.data`) cannot be changed, not even on a copy:
    readings, room states, decisions, memory and totals; a poll makes a new snapshot."""
    coordinator = room.runtime_data.coordinator
    data = coordinator.data
    copy = replace(data)
    (room_id,) = copy.rooms
    state = copy.rooms[room_id]
    reading = copy.readings[1]
    assert copy.totals is not None
    assert state.decision is not None
    with pytest.raises(TypeError):
        copy.rooms[room_id] = state  # type: ignore[index]
    with pytest.raises(TypeError):
        copy.readings[1] = reading  # type: ignore[index]
    with pytest.raises(TypeError):
        reading.values["power"] = 0.0  # type: ignore[index]
    with pytest.raises(TypeError):
        reading.relays["relay"] = False  # type: ignore[index]
    for frozen, name in (
        (copy, "rooms"),
        (state, "summary"),
        (state, "memory"),
        (state.summary, "live_balance"),
        (state.decision, "state"),
        (copy.totals, "income"),
    ):
        with pytest.raises(FrozenInstanceError):
            setattr(frozen, name, None)
    with pytest.raises(TypeError):
        copy.totals.rooms[room_id] = copy.totals.rooms[room_id]  # type: ignore[index]
    await use_energy(hass, simulated_gateway, Decimal("0.1"))
    assert coordinator.data is not data
    assert data.rooms[room_id] is state  # the old snapshot is as it was
    assert coordinator.data.rooms[room_id].summary.live_balance == Decimal("19.95")
    assert state.summary.live_balance == Decimal("20.00")


async def test_a_silent_meter_is_announced_once_per_outage(
    hass: HomeAssistant, room: MockConfigEntry, simulated_gateway: Gateway
) -> None:
    """The simulator's meter stops answering: after the polls that make it unavailable, one
    `meter_offline` fault event names its room (what the fault blueprint alerts on); no
    repeat while it stays silent; once it is back, the next outage is announced again."""
    events = async_capture_events(hass, EVENT_FAULT)
    meter = simulated_gateway.simulator.meter(1)
    meter.set_faults(offline=True)
    await poll(hass, 2)
    assert events == []
    await poll(hass)
    (event,) = events
    assert event.data["kind"] == "meter_offline"
    assert event.data["room"] == "Room 1"
    assert event.data["device_id"] == room_device_id(hass, room)
    assert event.data["balance"] == "20.00"
    assert "meter 1 does not answer" in event.data["message"]
    await poll(hass, 3)
    assert len(events) == 1

    meter.set_faults(offline=False)
    await poll(hass, 6)  # a dead meter is probed every few cycles
    assert room.runtime_data.coordinator.data.readings[1].available
    assert len(events) == 1
    meter.set_faults(offline=True)
    await poll(hass, 3)
    assert [e.data["kind"] for e in events] == ["meter_offline", "meter_offline"]


async def test_top_up_is_idempotent_by_reference(
    hass: HomeAssistant, room: MockConfigEntry
) -> None:
    """The same payment reference twice is one top-up; the event fires once."""
    events = async_capture_events(hass, EVENT_TOP_UP)
    device_id = room_device_id(hass, room)
    first = await act(
        hass, "top_up", {"device_id": device_id, "amount": "30", "reference": "WX-42"}
    )
    second = await act(
        hass, "top_up", {"device_id": device_id, "amount": "30", "reference": "WX-42"}
    )
    assert first["created"] is True
    assert second["created"] is False
    assert second["entry_id"] == first["entry_id"]
    assert balance(hass) == Decimal("50.00")
    await hass.async_block_till_done()
    assert len(events) == 1
    assert events[0].data == {
        "room_id": room_subentry(room).subentry_id,
        "room": "Room 1",
        "device_id": device_id,
        "balance": "50.00",
        "currency": "CNY",
        "amount": "30.00",
        "method": "cash",
        "reference": "WX-42",
        "emergency_credit_recovered": "0.00",
        "debt_recovered": "0.00",
    }


@pytest.mark.parametrize(
    ("action", "data", "key"),
    [
        ("top_up", {"amount": "-5"}, "amount_not_positive"),
        ("top_up", {"amount": "0"}, "amount_not_positive"),
        ("top_up", {"amount": "NaN"}, "amount_not_finite"),
        ("top_up", {"amount": "Infinity"}, "amount_not_finite"),
        ("top_up", {"amount": "1e12"}, "amount_too_large"),
        ("top_up", {"amount": "1.005"}, "amount_too_many_decimals"),
        ("top_up", {"amount": "ten"}, "amount_invalid"),
        ("refund", {"amount": "500"}, "refund_exceeds_balance"),
        ("adjust", {"amount": "-20.01", "reason": "misread"}, "adjustment_exceeds_balance"),
        ("reverse_top_up", {"entry_id": 999}, "unknown_entry"),
        ("move_in", {"tenant": "Bob"}, "room_occupied"),
        ("set_tariff", {"tariff": {"kind": "flat", "price": "-1"}}, "price_invalid"),
        (
            "set_tariff",
            {
                "tariff": {
                    "kind": "tou",
                    "prices": {"peak": "1", "valley": "0.4"},
                    "weekday": [
                        {"start": "08:00", "end": "22:00", "period": "peak"},
                        {"start": "21:00", "end": "08:00", "period": "valley"},
                    ],
                }
            },
            "tariff_interval_overlap",
        ),
        (
            "set_tariff",
            {
                "tariff": {
                    "kind": "tou",
                    "prices": {"peak": "1", "valley": "0.4"},
                    "weekday": [
                        {"start": "08:00", "end": "20:00", "period": "peak"},
                        {"start": "22:00", "end": "08:00", "period": "valley"},
                    ],
                }
            },
            "tariff_interval_gap",
        ),
        # Junk a client sent (issue 21): each refused with its own message, nothing written.
        ("reverse_top_up", {"entry_id": 2**63}, "unknown_entry"),
        ("reverse_top_up", {"entry_id": -(2**70)}, "unknown_entry"),
        ("set_tariff", {"tariff": {"kind": "tiered", "blocks": "lots"}}, "tariff_invalid"),
        ("set_tariff", {"tariff": {"kind": "tiered", "blocks": ["lots"]}}, "tariff_invalid"),
        (
            "set_tariff",
            {"tariff": {"kind": "flat", "price": "1", "x" * 5000: 1}},
            "tariff_unknown_key",
        ),
        ("set_tariff", {"tariff": {"kind": "sliding"}}, "tariff_invalid"),
        (
            "set_tariff",
            {"tariff": {"kind": "tou", "prices": {"p": "1"}, "weekday": "all"}},
            "tariff_invalid",
        ),
        (
            "set_tariff",
            {"tariff": {"kind": "tiered", "blocks": [{"price": "1", "upto_kwh": "50"}]}},
            "tariff_unknown_key",
        ),
        (
            "set_tariff",
            {"tariff": {"kind": "flat", "price": "1"}, "effective_from": "9999-12-31 23:00:00"},
            "date_out_of_range",
        ),
        (
            "set_tariff",
            {"tariff": {"kind": "flat", "price": "1"}, "effective_from": "0001-01-01 00:00:00"},
            "date_out_of_range",
        ),
        ("statement", {"cycle": "0001-01-01"}, "date_out_of_range"),
        ("statement", {"cycle": "9999-12-31"}, "date_out_of_range"),
        ("move_out", {"final_reading": "99999999999"}, "reading_implausible"),
        ("move_out", {"final_reading": "100000"}, "reading_implausible"),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(
    hass: HomeAssistant,
    room: MockConfigEntry,
    action: str,
    data: dict[str, Any],
    key: str,
) -> None:
    """Every refusal is a translated validation error and leaves the ledger untouched."""
    before = await ledger_entries(room)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, action, {"device_id": room_device_id(hass, room), **data})
    assert err.value.translation_key == key
    assert err.value.translation_domain == DOMAIN
    assert await ledger_entries(room) == before
    assert balance(hass) == Decimal("20.00")


async def test_adjustment_below_zero_is_recorded_as_debt_on_request(
    hass: HomeAssistant, room: MockConfigEntry
) -> None:
    """A landlord's debit beyond the balance goes through only as explicit debt, and the
    response says how much of it is debt."""
    device_id = room_device_id(hass, room)
    response = await act(
        hass,
        "adjust",
        {"device_id": device_id, "amount": "-25", "reason": "misread", "record_debt": True},
    )
    assert response["debt_recorded"] == "5.00"
    assert response["why"] == "misread (debt recorded 5.00)"
    assert balance(hass) == Decimal("-5.00")
    response = await act(hass, "adjust", {"device_id": device_id, "amount": "2", "reason": "ok"})
    assert response["debt_recorded"] == "0.00"


async def test_debt_left_at_move_out_is_paid_through_an_action(
    hass: HomeAssistant, room: MockConfigEntry
) -> None:
    """A tenant who moved out owing money pays it off later; the logbook says so."""
    device_id = room_device_id(hass, room)
    await act(
        hass,
        "adjust",
        {"device_id": device_id, "amount": "-25", "reason": "misread", "record_debt": True},
    )
    result = await act(hass, "move_out", {"device_id": device_id})
    assert result["debt"] == "5.00"
    events = async_capture_events(hass, EVENT_LANDLORD_ACTION)
    paid = await act(
        hass, "pay_debt", {"device_id": device_id, "amount": "3", "reference": "CASH-7"}
    )
    assert (paid["debt_owed"], paid["tenant"], paid["created"]) == ("2.00", "Alice", True)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "pay_debt", {"device_id": device_id, "amount": "2.01"})
    assert err.value.translation_key == "payment_exceeds_debt"
    assert hass.states.get("sensor.test_gateway_debt_of_former_tenants").state == "2.00"
    await act(hass, "pay_debt", {"device_id": device_id, "amount": "2"})
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "pay_debt", {"device_id": device_id, "amount": "1"})
    assert err.value.translation_key == "no_debt_owed"
    assert hass.states.get("sensor.test_gateway_debt_of_former_tenants").state == "0.00"
    assert [e.data["action"] for e in events] == ["pay_debt", "pay_debt"]
    assert events[0].data["amount"] == "3.00"


async def test_reversing_twice_is_refused(hass: HomeAssistant, room: MockConfigEntry) -> None:
    """A top-up is reversed at most once."""
    device_id = room_device_id(hass, room)
    top_up = await act(hass, "top_up", {"device_id": device_id, "amount": "5"})
    await act(hass, "reverse_top_up", {"device_id": device_id, "entry_id": top_up["entry_id"]})
    assert balance(hass) == Decimal("20.00")
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "reverse_top_up", {"device_id": device_id, "entry_id": top_up["entry_id"]})
    assert err.value.translation_key == "top_up_already_reversed"


async def test_unknown_room_and_room_without_tenant(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """An unknown device and a vacant room are refused with their own messages."""
    entry = entry_with_room(simulated_gateway.port)
    await setup_gateway(hass, entry)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "top_up", {"device_id": "nope", "amount": "5"})
    assert err.value.translation_key == "unknown_room_device"
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "top_up", {"device_id": room_device_id(hass, entry), "amount": "5"})
    assert err.value.translation_key == "room_has_no_tenancy"
    assert hass.states.get("sensor.room_1_tenancy").state == "vacant"


async def test_non_admin_is_refused(
    hass: HomeAssistant, room: MockConfigEntry, tenant_user: User
) -> None:
    """Tenants cannot move money, even through the action API: HA's Unauthorized, with the
    translated message."""
    before = await ledger_entries(room)
    with pytest.raises(Unauthorized) as err:
        await act(
            hass,
            "top_up",
            {"device_id": room_device_id(hass, room), "amount": "100"},
            Context(user_id=tenant_user.id),
        )
    assert err.value.translation_key == "landlord_only"
    assert str(err.value).startswith("Only the landlord (an administrator) may do this")
    assert await ledger_entries(room) == before


async def test_adjust_needs_a_reason_and_is_logged_with_the_user(
    hass: HomeAssistant, room: MockConfigEntry, hass_admin_user: User
) -> None:
    """Landlord actions fire a logbook event carrying the user's context and the room."""
    events: list[Event] = async_capture_events(hass, EVENT_LANDLORD_ACTION)
    device_id = room_device_id(hass, room)
    with pytest.raises(ServiceValidationError):
        await act(hass, "adjust", {"device_id": device_id, "amount": "-3", "reason": " "})
    await act(
        hass,
        "adjust",
        {"device_id": device_id, "amount": "-3.50", "reason": "meter misread"},
        Context(user_id=hass_admin_user.id),
    )
    assert balance(hass) == Decimal("16.50")
    await hass.async_block_till_done()
    adjust = [e for e in events if e.data["action"] == "adjust"]
    assert len(adjust) == 1
    assert adjust[0].context.user_id == hass_admin_user.id
    assert adjust[0].data["room"] == "Room 1"
    assert adjust[0].data["reason"] == "meter misread"
    entries = await room.runtime_data.rooms.billing.run(
        lambda core: core.ledger.entries(kinds=["adjustment"])
    )
    assert [(e.amount, e.who) for e in entries] == [(Decimal("-3.50"), hass_admin_user.id)]


async def test_statement_and_move_out(
    hass: HomeAssistant, room: MockConfigEntry, simulated_gateway: Gateway
) -> None:
    """A statement is returned as response data; moving out settles the account to zero."""
    await use_energy(hass, simulated_gateway, Decimal("0.1"))
    device_id = room_device_id(hass, room)
    response = await act(hass, "statement", {"device_id": device_id, "save": True})
    assert "Alice" in response["statement"]
    assert response["data"]["closing_balance"] == "19.95"
    saved = Path(response["path"])
    assert await hass.async_add_executor_job(saved.read_text, "utf-8") == response["statement"]
    assert "www" not in saved.parts

    result = await act(hass, "move_out", {"device_id": device_id})
    assert result["refund_owed"] == "19.95"
    assert result["debt"] == "0"
    assert "Alice" in result["statement"]
    assert hass.states.get("sensor.room_1_tenancy").state == "vacant"


async def test_export_ledger_csv(hass: HomeAssistant, room: MockConfigEntry) -> None:
    """The ledger export writes a CSV under the config folder and returns its path."""
    response = await act(hass, "export_ledger", {"device_id": room_device_id(hass, room)})
    (file,) = response["files"]
    text = await hass.async_add_executor_job(Path(file["path"]).read_text, "utf-8")
    assert file["rows"] == len(text.strip().splitlines()) - 1
    assert "top_up" in text
    assert Path(file["path"]).is_relative_to(Path(hass.config.path("prepaid_power")))


async def test_set_tariff_changes_the_price(hass: HomeAssistant, room: MockConfigEntry) -> None:
    """A new flat tariff from now shows as the current price."""
    await act(
        hass,
        "set_tariff",
        {"device_id": room_device_id(hass, room), "tariff": {"kind": "flat", "price": "0.8"}},
    )
    assert Decimal(hass.states.get("sensor.room_1_current_price").state) == Decimal("0.8")


async def test_room_subentry_flow(hass: HomeAssistant, simulated_gateway: Gateway) -> None:
    """A room is added from the UI, then its price changed by reconfiguring it."""
    entry = gateway_entry(simulated_gateway.port)
    await setup_gateway(hass, entry)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "room"), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.FORM
    user_input = {
        "name": "Room 1",
        "meter": "1",
        "price": "0.55",
        "cycle_start_day": 1,
        "allowance_kwh": "5",
        "allowance_pro_rata": False,
        "actuator_kind": "meter_relay",
        "supply": {"low_level": "10", "credit_limit": "0"},
        "schedules": {},
    }
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)
    # The SDM120 has no relay of its own.
    assert result["errors"] == {"actuator_kind": "meter_has_no_relay"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**user_input, "actuator_kind": "none", "price": "0.12345"}
    )
    assert result["errors"] == {"price": "too_many_decimals"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**user_input, "actuator_kind": "none"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    subentry = room_subentry(entry)
    assert subentry.title == "Room 1"
    assert subentry.data["meter"] == 1
    assert Decimal(hass.states.get("sensor.room_1_current_price").state) == Decimal("0.55")
    # Free energy is credited to a tenancy; a vacant room has none.
    assert Decimal(hass.states.get("sensor.room_1_allowance_left").state) == 0
    assert hass.states.get("sensor.room_1_tenancy").state == "vacant"


CYCLE_END_CLOCK = "custom_components.prepaid_power.cycle_end.utcnow"


async def test_statement_ready_at_cycle_end(
    hass: HomeAssistant, room: MockConfigEntry, simulated_gateway: Gateway
) -> None:
    """After midnight of the new cycle the ended cycle's statement is announced, once."""
    events = async_capture_events(hass, EVENT_STATEMENT_READY)
    await use_energy(hass, simulated_gateway, Decimal("0.1"))
    next_cycle = dt_util.utcnow() + timedelta(days=32)
    with patch(CYCLE_END_CLOCK, return_value=next_cycle):
        # Time listeners run as background tasks.
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(days=1, minutes=1))
        await hass.async_block_till_done(wait_background_tasks=True)
        # The next midnight of the same new cycle announces nothing again.
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(days=2, minutes=1))
        await hass.async_block_till_done(wait_background_tasks=True)
    assert len(events) == 1
    data = events[0].data
    assert data["room"] == "Room 1"
    assert data["device_id"] == room_device_id(hass, room)
    assert data["balance"] == "19.95"
    assert "Alice" in data["statement"]
    assert "19.95" in data["statement"]


async def test_statement_after_downtime_over_the_boundary(
    hass: HomeAssistant, room: MockConfigEntry
) -> None:
    """HA was down at the boundary: the statement comes on start-up, and only once."""
    events = async_capture_events(hass, EVENT_STATEMENT_READY)
    assert await hass.config_entries.async_unload(room.entry_id)
    later = dt_util.utcnow() + timedelta(days=32)
    with patch(CYCLE_END_CLOCK, return_value=later):
        assert await hass.config_entries.async_setup(room.entry_id)
        await hass.async_block_till_done()
        assert len(events) == 1
        assert await hass.config_entries.async_reload(room.entry_id)
        await hass.async_block_till_done()
    assert len(events) == 1
    assert events[0].data["closing_balance"] == "20.00"


ROOM_FORM: dict[str, Any] = {
    "name": "Room 2",
    "meter": "3",
    "price": "0.5",
    "cycle_start_day": 1,
    "allowance_kwh": "0",
    "allowance_pro_rata": False,
    "actuator_kind": "meter_relay",
    "supply": {"low_level": "10", "credit_limit": "0"},
    "schedules": {},
}


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"name": "room 1"}, {"name": "name_taken"}),
        ({"price": "abc"}, {"price": "not_a_number"}),
        ({"price": "0"}, {"price": "out_of_range"}),
        ({"allowance_kwh": "-1"}, {"allowance_kwh": "out_of_range"}),
        ({"standing_charge": "0.001"}, {"standing_charge": "too_many_decimals"}),
        ({"tax_rate": "120"}, {"tax_rate": "out_of_range"}),
        ({"tax_rate": "7.125"}, {"tax_rate": "out_of_range"}),
        ({"tax_rate": "lots"}, {"tax_rate": "out_of_range"}),
        ({"payment_reference": "a b"}, {"payment_reference": "payment_reference_invalid"}),
        ({"supply": {"low_level": "1.234", "credit_limit": "0"}}, {"supply": "too_many_decimals"}),
        ({"actuator_kind": "relay_board"}, {"board": "board_required"}),
        (
            {"actuator_kind": "relay_board", "board": 3, "channel": 1},
            {"board": "not_a_relay_board"},
        ),
        ({"actuator_kind": "switch"}, {"switch_entity": "switch_required"}),
        ({"supply": {"low_level": "-6", "credit_limit": "5"}}, {"base": "level_below_cut_off"}),
    ],
)
async def test_room_form_errors(
    hass: HomeAssistant, room: MockConfigEntry, changes: dict[str, Any], errors: dict[str, str]
) -> None:
    """Each way a room can be entered wrong shows its own error and saves nothing."""
    result = await hass.config_entries.subentries.async_init(
        (room.entry_id, "room"), context={"source": "user"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**ROOM_FORM, **changes}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert len(room.subentries) == 1


@pytest.mark.parametrize(
    ("currency", "low_level", "errors"),
    [
        ("KWD", "1.234", {}),
        ("JPY", "1.5", {"supply": "too_many_decimals"}),
        ("JPY", "500", {}),
    ],
)
async def test_room_form_money_has_the_currency_minor_unit(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    currency: str,
    low_level: str,
    errors: dict[str, str],
) -> None:
    """Money in the room form is kept to the currency's minor unit (KWD 3 decimals, JPY
    none), the unit its gateway's ledger keeps."""
    hass.config.currency = currency
    entry = entry_with_room(simulated_gateway.port)
    await setup_gateway(hass, entry)
    assert entry.runtime_data.rooms.currency.code == currency
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "room"), context={"source": "user"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {**ROOM_FORM, "supply": {"low_level": low_level, "credit_limit": "0"}},
    )
    if errors:
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == errors
        assert len(entry.subentries) == 1
    else:
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert len(entry.subentries) == 2
        # The new room reloads the gateway.
        await hass.async_block_till_done()


async def test_room_reconfigure_changes_price_from_now(
    hass: HomeAssistant, room: MockConfigEntry
) -> None:
    """Reconfiguring a room keeps its entities and starts a new price version."""
    result = await hass.config_entries.subentries.async_init(
        (room.entry_id, "room"),
        context={"source": "reconfigure", "subentry_id": room_subentry(room).subentry_id},
    )
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {**ROOM_FORM, "name": "Room 1", "meter": "1", "price": "0.7", "actuator_kind": "none"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert Decimal(hass.states.get("sensor.room_1_current_price").state) == Decimal("0.7")
    assert balance(hass) == Decimal("20.00")


async def test_no_free_meter_aborts(hass: HomeAssistant, simulated_gateway: Gateway) -> None:
    """When every meter has a room, adding another room explains why it cannot."""
    entry = gateway_entry(
        simulated_gateway.port,
        [{"slave_id": 1, "profile": "eastron_sdm120", "serial_number": 12000001}],
    )
    await setup_gateway(hass, entry)
    hass.config_entries.async_add_subentry(
        entry,
        ConfigSubentry(data={**ROOM_DATA}, subentry_type="room", title="Room 1", unique_id=None),
    )
    await hass.async_block_till_done()
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "room"), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_free_meter"


async def test_balance_low_fires_once_per_crossing(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """Crossing the low-balance level warns once; a top-up above it re-arms the warning."""
    entry = entry_with_room(
        simulated_gateway.port, supply={"low_level": "19.96", "credit_limit": "0"}
    )
    await setup_gateway(hass, entry)
    device_id = room_device_id(hass, entry)
    await act(hass, "move_in", {"device_id": device_id, "tenant": "Alice", "first_top_up": "20"})
    events = async_capture_events(hass, EVENT_BALANCE_LOW)

    await use_energy(hass, simulated_gateway, Decimal("0.1"))  # 20.00 -> 19.95: crossed
    await use_energy(hass, simulated_gateway, Decimal("0.02"))  # 19.94: still below
    await hass.async_block_till_done()
    assert len(events) == 1
    assert events[0].data["room"] == "Room 1"
    assert events[0].data["balance"] == "19.95"
    assert events[0].data["level"] == "19.96"

    await act(hass, "top_up", {"device_id": device_id, "amount": "0.05"})  # 19.99: re-armed
    await hass.async_block_till_done()
    assert len(events) == 1
    await use_energy(hass, simulated_gateway, Decimal("0.1"))  # 19.94: crossed again
    await hass.async_block_till_done()
    assert len(events) == 2
    assert events[1].data["balance"] == "19.94"


async def test_landlord_statement_template_overrides_the_shipped_one(
    hass: HomeAssistant, room: MockConfigEntry
) -> None:
    """A template in the config folder replaces the shipped statement layout."""
    folder = Path(hass.config.path("prepaid_power", "templates"))

    def write() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "statement.en.txt.j2").write_text(
            "{{ room }} / {{ tenant }} owes nothing: {{ closing_balance }} {{ currency }}",
            encoding="utf-8",
        )

    await hass.async_add_executor_job(write)
    response = await act(hass, "statement", {"device_id": room_device_id(hass, room)})
    assert response["statement"] == "Room 1 / Alice owes nothing: 20.00 CNY"
    chinese = await act(
        hass, "statement", {"device_id": room_device_id(hass, room), "language": "zh-Hans"}
    )
    assert "Alice" in chinese["statement"]
    assert "owes nothing" not in chinese["statement"]
    # The action's language selector offers the translation key "zh-hans": the same language.
    selected = await act(
        hass, "statement", {"device_id": room_device_id(hass, room), "language": "zh-hans"}
    )
    assert selected["statement"] == chinese["statement"]
    with pytest.raises(vol.Invalid):
        await act(hass, "statement", {"device_id": room_device_id(hass, room), "language": "fr"})


async def test_ledger_thread_ends_when_home_assistant_stops(
    hass: HomeAssistant, room: MockConfigEntry
) -> None:
    """HA stops without unloading entries and then waits up to 10 s for live threads: the
    ledger is closed and its thread ended at the stop event; a later unload is harmless."""

    def ledger_threads() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name.startswith(THREAD_NAME)]

    assert ledger_threads()
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert ledger_threads() == []
    assert await hass.config_entries.async_unload(room.entry_id)


async def add_room(hass: HomeAssistant, entry: MockConfigEntry, form: dict[str, Any]) -> Any:
    """Fill in the room form once."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "room"), context={"source": "user"}
    )
    return await hass.config_entries.subentries.async_configure(result["flow_id"], form)


async def test_adopting_an_occupied_building_cuts_nobody_off(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """A room added where a tenant lives starts with the tenant moved in at the meter's
    reading now and the opening balance in the ledger, and its relay stays closed; a room
    added vacant next to it is cut, as a vacant room is."""
    hass.config.currency = "CNY"
    entry = gateway_entry(simulated_gateway.port)
    await setup_gateway(hass, entry)
    occupied_meter, vacant_meter = (
        simulated_gateway.simulator.meter(3),
        simulated_gateway.simulator.meter(4),
    )
    assert occupied_meter.relay_on is True
    assert vacant_meter.relay_on is True
    form = {**ROOM_FORM, "occupied": True, "tenant": " ", "opening_balance": "30"}

    result = await add_room(hass, entry, form)
    assert result["errors"] == {"tenant": "tenant_required"}
    result = await add_room(hass, entry, {**form, "tenant": "Li Wei", "opening_balance": "0"})
    assert result["errors"] == {"opening_balance": "opening_balance_at_cut_off"}
    result = await add_room(hass, entry, {**form, "tenant": "Li Wei", "opening_balance": "3.141"})
    assert result["errors"] == {"opening_balance": "too_many_decimals"}
    assert not entry.subentries

    reading = Decimal(str(occupied_meter.energy_kwh)).quantize(Decimal("0.001"))
    result = await add_room(hass, entry, {**form, "tenant": "Li Wei", "opening_balance": "30.00"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    result = await add_room(
        hass, entry, {**ROOM_FORM, "name": "Room 3", "meter": "4", "occupied": False}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await poll(hass, 2)

    assert occupied_meter.relay_on is True
    assert hass.states.get("sensor.room_2_tenancy").state == "occupied"
    assert hass.states.get("sensor.room_2_supply").state == "on"
    assert Decimal(hass.states.get("sensor.room_2_balance").state) == Decimal("30.00")
    assert vacant_meter.relay_on is False
    assert hass.states.get("sensor.room_3_tenancy").state == "vacant"

    room_id = next(sub.subentry_id for sub in entry.subentries.values() if sub.title == "Room 2")

    def ledger(core: Any) -> tuple[Any, list[Any]]:
        (tenancy,) = core.ledger.tenancies(room_id)
        return tenancy, core.ledger.entries(room_id=room_id, kinds=["top_up"])

    tenancy, top_ups = await entry.runtime_data.rooms.billing.run(ledger)
    assert (tenancy.tenant, tenancy.opening_reading, tenancy.moved_out_at) == (
        "Li Wei",
        reading,
        None,
    )
    assert [(e.amount, e.why) for e in top_ups] == [(Decimal("30.00"), "first top-up")]

    # Restarting does not move the tenant in a second time.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    tenancy, top_ups = await entry.runtime_data.rooms.billing.run(ledger)
    assert len(top_ups) == 1


async def test_tenant_cannot_move_in_on_a_meter_that_does_not_answer(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """Without a reading there is no opening reading: the form says so and saves nothing."""
    entry = gateway_entry(simulated_gateway.port)
    await setup_gateway(hass, entry)
    simulated_gateway.simulator.meter(3).set_faults(offline=True)
    await poll(hass)
    result = await add_room(
        hass, entry, {**ROOM_FORM, "occupied": True, "tenant": "Li Wei", "opening_balance": "5"}
    )
    assert result["errors"] == {"meter": "meter_unavailable"}
    assert not entry.subentries
