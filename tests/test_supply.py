"""Supply control in Home Assistant, against the simulator over real TCP.

Room 3 is on the DDS238-2 ZN/SR (slave 3, own relay) of the small building, priced 1 per
kWh: a tenant paying 0.05 has 0.05 kWh of credit. (Energy jumps stay within the
billing plausibility slack: HA's clock does not move with the simulator's.)
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
import logging
from typing import Any

from homeassistant.auth.models import User
from homeassistant.const import EVENT_STATE_CHANGED, STATE_OFF, STATE_ON
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.prepaid_power import supply
from custom_components.prepaid_power.bus.client import ModbusBus, Priority
from custom_components.prepaid_power.const import (
    DOMAIN,
    EVENT_CUT_OFF_DUE,
    EVENT_FAULT,
    EVENT_SUPPLY_CHANGED,
    EVENT_TOP_UP,
    room_identifier,
)
from custom_components.prepaid_power.control import SupplyState
from custom_components.prepaid_power.profiles import Profile
from prepaid_power_gateway import Gateway, gateway_config, make_building

from .conftest import FAST_GATEWAY, device_with_identifier
from .test_init import gateway_entry, setup_gateway
from .test_sensor import poll

# Entities a landlord enables by hand (thresholds, relay fault, price) are tested enabled.
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

SUPPLY = "sensor.room_3_supply"
RELAY_POWER = "sensor.meter_3_dds238_2_zn_sr_power"
ROOM_DATA: dict[str, Any] = {
    "meter": 3,
    "price": "1",
    "cycle_start_day": 1,
    "allowance_kwh": "0",
    "allowance_pro_rata": False,
    "actuator_kind": "meter_relay",
    "supply": {"low_level": "1", "credit_limit": "0"},
    "schedules": {},
}


def room_entry(
    port: int,
    supply: dict[str, Any] | None = None,
    meters: list[dict[str, object]] | None = None,
    **data: Any,
) -> MockConfigEntry:
    """A gateway entry with Room 3 on meter 3 (by default)."""
    room = {**ROOM_DATA, **data, "supply": {**ROOM_DATA["supply"], **(supply or {})}}
    return gateway_entry(port, meters, {"Room 3": room})


def device_id(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """The room's device id."""
    (subentry,) = entry.subentries.values()
    device = device_with_identifier(
        dr.async_get(hass), entry.entry_id, room_identifier(subentry.subentry_id)
    )
    assert device is not None
    return device.id


async def act(
    hass: HomeAssistant, action: str, data: dict[str, Any], user: User | None = None
) -> None:
    """Call an action of the integration (as `user`, or as an automation)."""
    await hass.services.async_call(
        DOMAIN,
        action,
        data,
        blocking=True,
        context=Context(user_id=user.id) if user else None,
    )
    await hass.async_block_till_done()


async def switch_supply(hass: HomeAssistant, *, on: bool, user: User) -> None:
    """Operate Room 3's "automatic supply" switch as `user`."""
    await hass.services.async_call(
        "switch",
        "turn_on" if on else "turn_off",
        {"entity_id": "switch.room_3_automatic_supply"},
        blocking=True,
        context=Context(user_id=user.id),
    )
    await hass.async_block_till_done()


def state(hass: HomeAssistant, entity_id: str = SUPPLY) -> str:
    """An entity's state."""
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current.state


async def setup_room(
    hass: HomeAssistant, gateway: Gateway, top_up: str = "0.05", **kwargs: Any
) -> MockConfigEntry:
    """Room 3 loaded, with Alice moved in; one poll cycle done."""
    hass.config.currency = "CNY"
    entry = room_entry(gateway.port, **kwargs)
    await setup_gateway(hass, entry)
    await act(
        hass,
        "move_in",
        {"device_id": device_id(hass, entry), "tenant": "Alice", "first_top_up": top_up},
    )
    await poll(hass)
    return entry


async def use_energy(hass: HomeAssistant, gateway: Gateway, kwh: float) -> None:
    """Let meter 3 count `kwh` more at 1 kW, then poll once."""
    gateway.simulator.meter(3).set_load(1000)
    gateway.simulator.clock.advance(kwh * 3600)
    await poll(hass)


async def test_balance_runs_out_then_top_up_restores(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """Exhausted credit cuts within one poll (the meter's power drops to 0); a top-up
    restores at once, confirmed by the relay."""
    changes = async_capture_events(hass, EVENT_SUPPLY_CHANGED)
    due = async_capture_events(hass, EVENT_CUT_OFF_DUE)
    entry = await setup_room(hass, simulated_gateway)
    meter = simulated_gateway.simulator.meter(3)
    assert state(hass) == SupplyState.LOW
    assert state(hass, "binary_sensor.room_3_low_balance") == STATE_ON
    options = hass.states.get(SUPPLY).attributes["options"]
    assert "friendly_hold" in options
    assert len(options) == 10

    await use_energy(hass, simulated_gateway, 0.06)
    assert state(hass) == SupplyState.CUT_OFF
    assert meter.relay_on is False
    assert meter.power_w == 0
    await poll(hass)
    assert float(state(hass, RELAY_POWER)) == 0
    assert state(hass, "binary_sensor.meter_3_dds238_2_zn_sr_relay") == STATE_OFF
    cut = changes[-1].data
    assert cut["old_state"] == "low"
    assert cut["new_state"] == "cut_off"
    assert cut["reason"] == "balance_exhausted"
    assert cut["supply_on"] is False
    assert cut["was_on"] is True
    assert cut["device_id"] == device_id(hass, entry)
    assert Decimal(cut["balance"]) <= 0
    assert due[-1].data["mode"] == "automatic"
    # The cut-off-due sensor is for rooms that leave the cut to an automation.
    assert hass.states.get("binary_sensor.room_3_cut_off_due") is None

    await act(hass, "top_up", {"device_id": device_id(hass, entry), "amount": "5"})
    assert meter.relay_on is True
    assert state(hass) == SupplyState.ON
    restored = changes[-1].data
    assert (restored["new_state"], restored["supply_on"], restored["was_on"]) == (
        "on",
        True,
        False,
    )
    assert state(hass, "binary_sensor.room_3_relay_fault") == STATE_OFF


async def test_state_changes_carry_their_cause(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_admin_user: User
) -> None:
    """What one poll changes shares one context, new for every poll; what an action or an
    entity operation changes carries the caller's context, so the logbook names the user."""
    entry = await setup_room(hass, simulated_gateway, top_up="5")
    registry = er.async_get(hass)
    writes = async_capture_events(hass, EVENT_STATE_CHANGED)

    def ours(since: int = 0) -> list[Any]:
        return [
            event
            for event in writes[since:]
            if (registered := registry.async_get(event.data["entity_id"])) is not None
            and registered.platform == DOMAIN
        ]

    contexts = []
    for _ in range(2):
        since = len(writes)
        await use_energy(hass, simulated_gateway, 0.01)
        changed = ours(since)
        changed_ids = {event.data["entity_id"] for event in changed}
        assert {"sensor.room_3_balance", "sensor.meter_3_dds238_2_zn_sr_energy_imported"} <= (
            changed_ids
        )
        # A room and its meter share one context; another meter has its own.
        room_3 = {
            e.context.id
            for e in changed
            if "room_3" in e.data["entity_id"] or "meter_3" in e.data["entity_id"]
        }
        meter_1 = {e.context.id for e in changed if "meter_1" in e.data["entity_id"]}
        assert len(room_3) == 1
        assert len(meter_1) == 1
        assert room_3 != meter_1
        contexts.append(room_3)
    assert contexts[0] != contexts[1]

    since = len(writes)
    await act(hass, "top_up", {"device_id": device_id(hass, entry), "amount": "2"}, hass_admin_user)
    (balance,) = [e for e in ours(since) if e.data["entity_id"] == "sensor.room_3_balance"]
    assert balance.context.user_id == hass_admin_user.id

    since = len(writes)
    await switch_supply(hass, on=False, user=hass_admin_user)
    supply = [e for e in ours(since) if e.data["entity_id"] == SUPPLY]
    assert supply[0].data["new_state"].state == SupplyState.FORCED_OFF
    assert supply[0].context.user_id == hass_admin_user.id


async def test_operations_are_stored_at_once(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    hass_admin_user: User,
    hass_storage: dict[str, Any],
) -> None:
    """A landlord's override is written to storage on the next turn of the loop, not with the
    policy's 5-second batching: it must survive a power cut right after the switch."""
    entry = await setup_room(hass, simulated_gateway)
    (room_id,) = entry.subentries
    key = f"{DOMAIN}.rooms.{entry.entry_id}"

    def stored_reason() -> object:
        return hass_storage[key]["data"]["memory"][room_id]["forced_off_reason"]

    await hass.async_block_till_done()
    # The policy's own changes are batched: nothing written yet.
    assert key not in hass_storage
    await switch_supply(hass, on=False, user=hass_admin_user)
    assert state(hass) == SupplyState.FORCED_OFF
    assert stored_reason() is not None


async def test_early_read_cuts_between_polls(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """At 15 kW, 0.05 of credit at 5 per kWh lasts 2.4 s, less than the 10 s poll interval:
    the meter is read just after the projected instant, and cut without waiting for a poll."""
    await setup_room(hass, simulated_gateway, price="5")
    meter = simulated_gateway.simulator.meter(3)
    meter.set_load(15000)
    await poll(hass)
    assert state(hass) == SupplyState.LOW
    simulated_gateway.simulator.clock.advance(4.8)  # the meter counts 0.02 kWh
    await asyncio.sleep(3)
    await hass.async_block_till_done()
    assert state(hass) == SupplyState.CUT_OFF
    assert meter.relay_on is False
    # The meter's relay sensor still shows what the last poll read.
    assert state(hass, "binary_sensor.meter_3_dds238_2_zn_sr_relay") == STATE_ON


async def test_relay_switched_at_the_meter_is_corrected(
    hass: HomeAssistant, simulated_gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    """Someone closes the relay of a cut room by hand: the next poll opens it again."""
    await setup_room(hass, simulated_gateway)
    meter = simulated_gateway.simulator.meter(3)
    await use_energy(hass, simulated_gateway, 0.06)
    assert meter.relay_on is False

    meter.set_relay(True)
    await poll(hass)
    assert meter.relay_on is False
    assert "correcting" in caplog.text


async def test_relay_ignoring_commands_is_a_fault(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """Unconfirmed after retries: fault state, repair issue, fault event; `set_supply`
    retries once the relay works again."""
    faults = async_capture_events(hass, EVENT_FAULT)
    entry = await setup_room(hass, simulated_gateway)
    (subentry,) = entry.subentries.values()
    meter = simulated_gateway.simulator.meter(3)
    meter.set_faults(relay_ignores_commands=True)

    await use_energy(hass, simulated_gateway, 0.06)
    assert state(hass) == SupplyState.FAULT
    assert meter.relay_on is True
    assert state(hass, "binary_sensor.room_3_relay_fault") == STATE_ON
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"relay_fault_{subentry.subentry_id}")
    assert issue is not None
    assert issue.translation_placeholders["room"] == "Room 3"
    assert faults[-1].data["kind"] == "relay_fault"
    assert faults[-1].data["room"] == "Room 3"

    meter.set_faults(relay_ignores_commands=False)
    await act(hass, "set_supply", {"device_id": device_id(hass, entry), "state": "auto"})
    assert state(hass) == SupplyState.CUT_OFF
    assert meter.relay_on is False
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"relay_fault_{subentry.subentry_id}") is None


async def test_overload_trips_and_recloses(hass: HomeAssistant, simulated_gateway: Gateway) -> None:
    """Above the limit for the set time: open, re-close after the delay, lock out after the
    allowed re-closes."""
    await setup_room(
        hass,
        simulated_gateway,
        top_up="50",
        supply={
            "power_limit_w": 500,
            "overload_seconds": 1,
            "reclose_minutes": 0,
            "max_reclose_attempts": 1,
        },
    )
    meter = simulated_gateway.simulator.meter(3)
    meter.set_load(1000)
    await poll(hass)
    assert state(hass) == SupplyState.ON
    # The trip is timed by the policy's next evaluation, not by the next poll.
    await asyncio.sleep(1.2)
    await hass.async_block_till_done()
    assert state(hass) == SupplyState.OVERLOAD
    assert hass.states.get(SUPPLY).attributes["reason"] == "overload_tripped"
    assert meter.relay_on is False

    await poll(hass)  # the re-close delay (0) has passed
    assert state(hass) == SupplyState.ON
    assert meter.relay_on is True

    await poll(hass)
    await asyncio.sleep(1.2)
    await hass.async_block_till_done()
    assert state(hass) == SupplyState.OVERLOAD
    assert hass.states.get(SUPPLY).attributes["reason"] == "overload_locked"
    assert meter.relay_on is False
    await poll(hass)
    assert state(hass) == SupplyState.OVERLOAD


async def test_schedule_and_friendly_hours_helpers_apply_at_once(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """A supply schedule turning off opens the relay without waiting for a poll; friendly
    hours hold an exhausted room on, and the cut follows when they end."""
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"lights_out": {}, "friendly": {}}}
    )
    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.lights_out"}, blocking=True
    )
    await setup_room(
        hass,
        simulated_gateway,
        schedules={
            "friendly_hours_entity": "input_boolean.friendly",
            "supply_schedule_entity": "input_boolean.lights_out",
        },
    )
    meter = simulated_gateway.simulator.meter(3)
    assert state(hass) == SupplyState.LOW

    await hass.services.async_call(
        "input_boolean", "turn_off", {"entity_id": "input_boolean.lights_out"}, blocking=True
    )
    await hass.async_block_till_done()
    assert state(hass) == SupplyState.SCHEDULED_OFF
    assert meter.relay_on is False
    # The logbook shows the schedule as the cause.
    helper = hass.states.get("input_boolean.lights_out")
    assert helper is not None
    assert hass.states.get(SUPPLY).context.id == helper.context.id
    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.lights_out"}, blocking=True
    )
    await hass.async_block_till_done()
    assert state(hass) == SupplyState.LOW
    assert meter.relay_on is True

    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.friendly"}, blocking=True
    )
    await use_energy(hass, simulated_gateway, 0.06)
    assert state(hass) == SupplyState.FRIENDLY_HOLD
    assert meter.relay_on is True
    await hass.services.async_call(
        "input_boolean", "turn_off", {"entity_id": "input_boolean.friendly"}, blocking=True
    )
    await hass.async_block_till_done()
    assert state(hass) == SupplyState.CUT_OFF
    assert meter.relay_on is False


async def test_switch_entity_as_actuator(hass: HomeAssistant, simulated_gateway: Gateway) -> None:
    """Any HA switch can be the actuator: switched and confirmed through its state."""
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {"contactor": {}}})
    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.contactor"}, blocking=True
    )
    await setup_room(
        hass, simulated_gateway, actuator_kind="switch", switch_entity="input_boolean.contactor"
    )
    await use_energy(hass, simulated_gateway, 0.06)
    assert state(hass) == SupplyState.CUT_OFF
    assert state(hass, "input_boolean.contactor") == STATE_OFF
    assert simulated_gateway.simulator.meter(3).relay_on is True

    # Switched back by hand: corrected.
    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.contactor"}, blocking=True
    )
    await hass.async_block_till_done()
    assert state(hass, "input_boolean.contactor") == STATE_OFF


def board_building(model: str, channel: int) -> Any:
    """Meter 1 (`model`, no relay) fed by relay board 9's `channel` (0-based)."""
    return make_building(
        [{"model": model, "slave": 1, "load_w": 500, "supply": {"board": 9, "channel": channel}}],
        [{"slave": 9, "channels": 8}],
    )


async def setup_board_room(
    hass: HomeAssistant, gateway: Gateway, profile: str, serial: int | None, channel: int
) -> MockConfigEntry:
    """Room 3 on meter 1 (`profile`), switched by relay board 9's `channel` (1-based)."""
    hass.config.currency = "CNY"
    entry = room_entry(
        gateway.port,
        meters=[
            {"slave_id": 1, "profile": profile, "serial_number": serial},
            {"slave_id": 9, "profile": "generic_relay_board", "serial_number": None},
        ],
        meter=1,
        actuator_kind="relay_board",
        board=9,
        channel=channel,
    )
    await setup_gateway(hass, entry)
    return entry


async def test_relay_board_channel_as_actuator(hass: HomeAssistant) -> None:
    """A room whose meter has no relay is switched by a relay-board channel on the bus."""
    building = board_building("SDM120", 2)
    async with Gateway(gateway_config(building, **FAST_GATEWAY)) as gateway:
        entry = await setup_board_room(hass, gateway, "eastron_sdm120", None, 3)
        room = device_id(hass, entry)
        await act(hass, "move_in", {"device_id": room, "tenant": "Alice", "first_top_up": "0.05"})
        await poll(hass)
        board = gateway.simulator.board(9)
        meter = gateway.simulator.meter(1)
        meter.set_load(1000)
        gateway.simulator.clock.advance(0.06 * 3600)
        await poll(hass)
        assert state(hass) == SupplyState.CUT_OFF
        assert board.channels[2] is False
        assert board.channels[0] is True
        assert meter.power_w == 0

        await act(hass, "top_up", {"device_id": room, "amount": "5"})
        assert state(hass) == SupplyState.ON
        assert board.channels[2] is True
        await hass.config_entries.async_unload(entry.entry_id)


async def test_meter_reported_relay_fault(hass: HomeAssistant) -> None:
    """An Eastron SDM320Y reporting "relay cannot open" (its fault code at 0xFBFE): the room
    is in the fault state with a repair issue and a fault event until the meter stops."""
    faults = async_capture_events(hass, EVENT_FAULT)
    building = board_building("SDM320Y", 0)
    async with Gateway(gateway_config(building, **FAST_GATEWAY)) as gateway:
        entry = await setup_board_room(hass, gateway, "eastron_sdm320y", 1, 1)
        (subentry,) = entry.subentries.values()
        issue_id = f"meter_fault_{subentry.subentry_id}"
        await act(
            hass,
            "move_in",
            {"device_id": device_id(hass, entry), "tenant": "Alice", "first_top_up": "5"},
        )
        await poll(hass)
        assert state(hass) == SupplyState.ON
        meter = gateway.simulator.meter(1)

        meter.set_faults(relay_cannot_open=True)
        await poll(hass)
        assert state(hass) == SupplyState.FAULT
        assert state(hass, "binary_sensor.room_3_relay_fault") == STATE_ON
        issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
        assert issue is not None
        assert issue.translation_key == "meter_fault"
        assert issue.translation_placeholders == {"room": "Room 3", "fault": "relay cannot open"}
        assert faults[-1].data["kind"] == "meter_fault"
        assert gateway.simulator.board(9).channels[0] is True  # held as it was

        meter.set_faults(relay_cannot_open=False)
        await poll(hass)
        assert state(hass) == SupplyState.ON
        assert state(hass, "binary_sensor.room_3_relay_fault") == STATE_OFF
        assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
        await hass.config_entries.async_unload(entry.entry_id)


async def test_metering_only_room_declares_without_switching(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """Actuator `none`: the supply state and its events still follow the policy (warnings
    work), nothing is switched, and there is no relay-fault sensor."""
    changes = async_capture_events(hass, EVENT_SUPPLY_CHANGED)
    await setup_room(hass, simulated_gateway, actuator_kind="none")
    await use_energy(hass, simulated_gateway, 0.06)
    assert state(hass) == SupplyState.CUT_OFF
    assert changes[-1].data["supply_on"] is False
    assert simulated_gateway.simulator.meter(3).relay_on is True
    assert hass.states.get("binary_sensor.room_3_relay_fault") is None


async def test_diagnostics_show_the_relay_machine(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_client: ClientSessionGenerator
) -> None:
    """The diagnostics download carries each room's actuator, relay state and memory."""
    entry = await setup_room(hass, simulated_gateway)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    (room,) = diagnostics["supply"].values()  # numbered, not named: see test_sensor
    assert room["actuator"] == "BusActuator"
    assert room["relay_phase"] == "idle"
    assert room["relay_target"] is True
    assert room["memory"]["last_state"] == "low"


async def test_automation_mode_only_declares_the_cut(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """Cut-off mode `automation`: the cut is announced, the relay left alone; `set_supply
    off` cuts, `grant_grace` postpones."""
    due = async_capture_events(hass, EVENT_CUT_OFF_DUE)
    entry = await setup_room(hass, simulated_gateway, supply={"cut_off_mode": "automation"})
    meter = simulated_gateway.simulator.meter(3)
    await use_energy(hass, simulated_gateway, 0.06)
    assert state(hass) == SupplyState.CUT_OFF
    assert hass.states.get(SUPPLY).attributes["reason"] == "cut_off_due"
    assert meter.relay_on is True
    assert state(hass, "binary_sensor.room_3_cut_off_due") == STATE_ON
    assert due[-1].data["mode"] == "automation"
    assert due[-1].data["reason"] == "cut_off_due"

    room = device_id(hass, entry)
    await act(hass, "grant_grace", {"device_id": room, "duration": {"hours": 1}})
    assert state(hass) == SupplyState.LOW
    assert hass.states.get(SUPPLY).attributes["reason"] == "grace_period"
    await act(hass, "set_supply", {"device_id": room, "state": "off", "reason": "Unpaid"})
    assert state(hass) == SupplyState.FORCED_OFF
    assert hass.states.get(SUPPLY).attributes["detail"] == "Unpaid"
    assert meter.relay_on is False
    await act(hass, "set_supply", {"device_id": room, "state": "on"})
    assert state(hass) == SupplyState.PROTECTED
    assert meter.relay_on is True
    assert state(hass, "switch.room_3_keep_power_on") == STATE_ON


async def test_set_supply_validation(
    hass: HomeAssistant, simulated_gateway: Gateway, tenant_user: User, hass_admin_user: User
) -> None:
    """Off needs a reason; tenants are refused; unknown devices are named."""
    entry = await setup_room(hass, simulated_gateway)
    room = device_id(hass, entry)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "set_supply", {"device_id": room, "state": "off"}, hass_admin_user)
    assert err.value.translation_key == "reason_required"
    with pytest.raises(HomeAssistantError) as err:
        await act(
            hass, "set_supply", {"device_id": room, "state": "off", "reason": "x"}, tenant_user
        )
    assert err.value.translation_key == "landlord_only"
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, "grant_grace", {"device_id": room, "duration": "01:00:00"}, tenant_user)
    assert err.value.translation_key == "landlord_only"
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "set_supply", {"device_id": "nope", "state": "auto"}, hass_admin_user)
    assert err.value.translation_key == "unknown_room_device"
    assert state(hass) == SupplyState.LOW


async def test_landlord_entities_refuse_tenants(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    tenant_user: User,
    hass_admin_user: User,
    hass_read_only_user: User,
) -> None:
    """Supply and protected switches and thresholds: admins only; read-only users are
    refused by HA itself."""
    entry = await setup_room(hass, simulated_gateway)
    meter = simulated_gateway.simulator.meter(3)
    calls = (
        ("switch", "turn_off", {"entity_id": "switch.room_3_automatic_supply"}),
        ("switch", "turn_on", {"entity_id": "switch.room_3_keep_power_on"}),
        ("number", "set_value", {"entity_id": "number.room_3_low_balance_level", "value": 3}),
    )
    for domain, service, data in calls:
        with pytest.raises(HomeAssistantError) as err:
            await hass.services.async_call(
                domain, service, data, blocking=True, context=Context(user_id=tenant_user.id)
            )
        assert err.value.translation_key == "landlord_only"
        with pytest.raises(Unauthorized):
            await hass.services.async_call(
                domain,
                service,
                data,
                blocking=True,
                context=Context(user_id=hass_read_only_user.id),
            )
    assert state(hass) == SupplyState.LOW
    assert meter.relay_on is True

    admin = Context(user_id=hass_admin_user.id)
    await switch_supply(hass, on=False, user=hass_admin_user)
    assert state(hass) == SupplyState.FORCED_OFF
    assert hass.states.get(SUPPLY).attributes["detail"] == "switched off from the dashboard"
    assert meter.relay_on is False
    assert state(hass, "switch.room_3_automatic_supply") == STATE_OFF
    await switch_supply(hass, on=True, user=hass_admin_user)
    assert state(hass) == SupplyState.LOW
    assert meter.relay_on is True

    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.room_3_low_balance_level", "value": 3},
        blocking=True,
        context=admin,
    )
    await hass.async_block_till_done()
    (subentry,) = entry.subentries.values()
    assert subentry.data["supply"]["low_level"] == "3.00"
    assert float(state(hass, "number.room_3_low_balance_level")) == 3
    for value in (0, "NaN"):  # NaN passes HA's own range check
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                "number",
                "set_value",
                {"entity_id": "number.room_3_warning_cut_level", "value": value},
                blocking=True,
                context=admin,
            )
        assert err.value.translation_key == "invalid_threshold"


async def test_tenant_buttons_and_emergency_credit(
    hass: HomeAssistant, simulated_gateway: Gateway, tenant_user: User
) -> None:
    """A tenant restores after a warning cut and takes emergency credit; the next top-up
    pays the emergency credit back first."""
    entry = await setup_room(
        hass,
        simulated_gateway,
        top_up="0.10",
        supply={"warning_cut_level": "0.05", "emergency_credit": "0.05"},
    )
    meter = simulated_gateway.simulator.meter(3)
    tenant = Context(user_id=tenant_user.id)

    async def press(key: str) -> None:
        await hass.services.async_call(
            "button", "press", {"entity_id": f"button.room_3_{key}"}, blocking=True, context=tenant
        )
        await hass.async_block_till_done()

    with pytest.raises(ServiceValidationError) as err:
        await press("restore_after_warning")
    assert err.value.translation_key == "not_in_warning_cut"
    with pytest.raises(ServiceValidationError) as err:
        await press("use_emergency_credit")
    assert err.value.translation_key == "balance_not_near_cut_off"

    await use_energy(hass, simulated_gateway, 0.06)  # 0.10 - 0.06 = 0.04: warning level
    assert state(hass) == SupplyState.WARNING_CUT
    assert meter.relay_on is False
    await press("restore_after_warning")
    assert state(hass) == SupplyState.LOW
    assert meter.relay_on is True

    await use_energy(hass, simulated_gateway, 0.05)
    assert state(hass) == SupplyState.CUT_OFF
    await press("use_emergency_credit")
    assert state(hass) == SupplyState.LOW
    assert meter.relay_on is True
    rooms = entry.runtime_data.rooms
    (room,) = rooms.rooms.values()
    assert entry.runtime_data.coordinator.data.rooms[
        room.subentry_id
    ].summary.emergency_credit_outstanding == Decimal("0.05")
    with pytest.raises(ServiceValidationError) as err:
        await press("use_emergency_credit")
    assert err.value.translation_key == "emergency_credit_outstanding"

    before = entry.runtime_data.coordinator.data.rooms[room.subentry_id].summary.live_balance
    assert before is not None
    events = async_capture_events(hass, EVENT_TOP_UP)
    response = await hass.services.async_call(
        DOMAIN,
        "top_up",
        {"device_id": room.device_id, "amount": "5"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["emergency_credit_recovered"] == "0.05"
    assert (
        entry.runtime_data.coordinator.data.rooms[
            room.subentry_id
        ].summary.emergency_credit_outstanding
        == 0
    )
    assert entry.runtime_data.coordinator.data.rooms[
        room.subentry_id
    ].summary.live_balance == before + Decimal("4.95")
    await hass.async_block_till_done()
    assert events[0].data["emergency_credit_recovered"] == "0.05"


async def test_vacant_room_is_off_unless_the_landlord_presets_energy(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """A room without a tenant has no supply; a landlord-paid preset powers it while it lasts;
    a move-in hands it to the balance rules, and a move-out cuts it again."""
    meter = simulated_gateway.simulator.meter(3)
    entry = room_entry(simulated_gateway.port)
    await setup_gateway(hass, entry)
    await poll(hass)
    assert state(hass) == SupplyState.CUT_OFF
    assert hass.states.get(SUPPLY).attributes["reason"] == "vacant"
    assert meter.relay_on is False

    room = device_id(hass, entry)
    await act(hass, "preset_vacant_energy", {"device_id": room, "kwh": "0.05"})
    assert state(hass) == SupplyState.ON
    assert hass.states.get(SUPPLY).attributes["reason"] == "vacant_preset"
    await poll(hass)
    assert meter.relay_on is True

    await use_energy(hass, simulated_gateway, 0.06)  # the preset is used up
    assert state(hass) == SupplyState.CUT_OFF
    assert meter.relay_on is False

    await act(hass, "move_in", {"device_id": room, "tenant": "Bob", "first_top_up": "5"})
    assert state(hass) == SupplyState.ON
    await poll(hass)
    assert meter.relay_on is True
    await act(hass, "move_out", {"device_id": room})
    await poll(hass)
    assert state(hass) == SupplyState.CUT_OFF
    assert meter.relay_on is False


async def test_restore_with_a_poll_in_flight_during_the_command(
    hass: HomeAssistant, simulated_gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    """A poll reads the open relay, a top-up closes it, then the poll finishes (stamped after
    the command): its relay value predates the command and must not count as seen."""
    entry = await setup_room(hass, simulated_gateway)
    meter = simulated_gateway.simulator.meter(3)
    await use_energy(hass, simulated_gateway, 0.06)
    assert meter.relay_on is False
    runtime = entry.runtime_data
    bus_read = runtime.bus.read
    relay_read = asyncio.Event()
    release = asyncio.Event()

    async def read(slave_id: int, *args: Any, **kwargs: Any) -> list[int]:
        words = await bus_read(slave_id, *args, **kwargs)
        if slave_id == 3 and kwargs.get("priority") is Priority.POLL and not release.is_set():
            relay_read.set()
            await release.wait()
        return words

    runtime.bus.read = read  # type: ignore[method-assign]
    poll_in_flight = asyncio.get_running_loop().create_task(runtime.coordinator.async_refresh())
    await relay_read.wait()
    commands = meter.relay_commands
    caplog.clear()
    await act(hass, "top_up", {"device_id": device_id(hass, entry), "amount": "5"})
    assert meter.relay_on is True
    release.set()
    await poll_in_flight
    await hass.async_block_till_done()
    assert meter.relay_on is True
    assert meter.relay_commands == commands + 1
    assert "correcting" not in caplog.text
    await poll(hass)
    assert state(hass) == SupplyState.ON
    assert meter.relay_commands == commands + 1


async def test_top_up_while_the_cut_is_on_the_wire(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """A top-up arrives while the cut command is still in flight: the relay seen closed
    before the cut says nothing, so the restore is sent after the cut, at once."""
    entry = await setup_room(hass, simulated_gateway)
    meter = simulated_gateway.simulator.meter(3)
    runtime = entry.runtime_data
    bus_write = runtime.bus.write
    writing = asyncio.Event()
    release = asyncio.Event()

    async def write(*args: Any, **kwargs: Any) -> None:
        if not release.is_set():
            writing.set()
            await release.wait()
        await bus_write(*args, **kwargs)

    runtime.bus.write = write  # type: ignore[method-assign]
    meter.set_load(1000)
    simulated_gateway.simulator.clock.advance(0.06 * 3600)
    await runtime.coordinator.async_refresh()  # decides the cut; its command waits
    await writing.wait()
    assert state(hass) == SupplyState.CUT_OFF
    await hass.services.async_call(
        DOMAIN, "top_up", {"device_id": device_id(hass, entry), "amount": "5"}, blocking=True
    )
    assert state(hass) == SupplyState.ON
    commands = meter.relay_commands
    release.set()
    await hass.async_block_till_done()
    assert meter.relay_commands == commands + 2  # the cut, then the restore
    assert meter.relay_on is True
    assert meter.power_w > 0


async def test_no_relay_correction_when_tenants_move_into_new_rooms(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """New rooms are vacant: their relays are opened. Tenants moving in while those commands
    are still under way get their supply closed, with no warning that someone switched the
    relay at the meter."""
    hass.config.currency = "CNY"
    entry = gateway_entry(
        simulated_gateway.port,
        rooms={"Room 3": ROOM_DATA, "Room 4": {**ROOM_DATA, "meter": 4}},
    )
    # Hold the opening commands on their way to the bus until the tenants are in.
    opening = asyncio.Event()
    switch_relay = supply.switch_relay

    async def held(bus: ModbusBus, slave_id: int, profile: Profile, on: bool, *args: Any) -> Any:
        if not on:
            await opening.wait()
        return await switch_relay(bus, slave_id, profile, on, *args)

    monkeypatch.setattr(supply, "switch_relay", held)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    simulator = simulated_gateway.simulator
    registry = dr.async_get(hass)
    for subentry in entry.subentries.values():
        device = device_with_identifier(
            registry, entry.entry_id, room_identifier(subentry.subentry_id)
        )
        assert device is not None
        await hass.services.async_call(
            DOMAIN,
            "move_in",
            {"device_id": device.id, "tenant": subentry.title, "first_top_up": "5"},
            blocking=True,
        )
    opening.set()
    await hass.async_block_till_done()
    await poll(hass, 2)

    assert simulator.meter(3).relay_on is True
    assert simulator.meter(4).relay_on is True
    assert state(hass) == SupplyState.ON
    ours = f"custom_components.{DOMAIN}"
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith(ours) and r.levelno >= logging.WARNING
    ]
    assert warnings == []
