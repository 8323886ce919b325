"""Rooms switched by a relay-board channel; suspect meter jumps; the logbook."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.prepaid_power import logbook
from custom_components.prepaid_power.const import (
    DOMAIN,
    EVENT_LANDLORD_ACTION,
    EVENT_STATEMENT_READY,
    EVENT_TOP_UP,
)
from prepaid_power_gateway import BuildingConfig, Gateway, make_building

from .test_init import gateway_entry, setup_gateway
from .test_rooms import ROOM_FORM, balance, make_room, room_device_id
from .test_sensor import poll


@pytest.fixture
def building() -> BuildingConfig:
    """An SDM120 switched by channel 3 of an 8-channel relay board."""
    return make_building(
        [
            {
                "model": "SDM120",
                "slave": 1,
                "serial": 12000001,
                "load_w": 500,
                "supply": {"board": 100, "channel": 2},
            }
        ],
        [{"slave": 100, "channels": 8}],
    )


@pytest.fixture
async def room(hass: HomeAssistant, simulated_gateway: Gateway) -> MockConfigEntry:
    """Room 1 on the SDM120, with a tenant who paid 20.00."""
    return await make_room(hass, simulated_gateway)


async def test_room_on_a_relay_board_channel(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """The board is offered as an actuator, not as a room's meter; its channels are checked."""
    entry = gateway_entry(
        simulated_gateway.port,
        [
            {"slave_id": 1, "profile": "eastron_sdm120", "serial_number": 12000001},
            {"slave_id": 100, "profile": "generic_relay_board", "serial_number": None},
        ],
    )
    await setup_gateway(hass, entry)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "room"), context={"source": "user"}
    )
    meter_options = result["data_schema"].schema["meter"].config["options"]
    assert [option["value"] for option in meter_options] == ["1"]
    form: dict[str, Any] = {
        **ROOM_FORM,
        "name": "Room 1",
        "meter": "1",
        "actuator_kind": "relay_board",
        "board": 100,
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**form, "channel": 9}
    )
    assert result["errors"] == {"channel": "no_such_channel"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**form, "channel": 3}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["board"] == 100
    assert result["data"]["channel"] == 3
    # The new room reloads the gateway; let it finish before the test ends.
    await hass.async_block_till_done()


async def answer_suspect(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    issue: ir.IssueEntry,
    choice: str,
) -> dict[str, Any]:
    """Answer a suspect-reading repair the way the repairs dialog does; returns its menu."""
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue.issue_id}
    )
    menu: dict[str, Any] = await response.json()
    response = await client.post(
        f"/api/repairs/issues/fix/{menu['flow_id']}", json={"next_step_id": choice}
    )
    assert (await response.json())["type"] == "create_entry"
    await hass.async_block_till_done()
    return menu


async def test_suspect_jump_is_held_until_the_landlord_decides(
    hass: HomeAssistant,
    room: MockConfigEntry,
    simulated_gateway: Gateway,
    hass_client: ClientSessionGenerator,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A jump no meter could make in the elapsed time is not charged; the repair charges it."""
    assert await async_setup_component(hass, "repairs", {})
    meter = simulated_gateway.simulator.meter(1)
    meter.set_load(1000)
    simulated_gateway.simulator.clock.advance(5 * 3600)  # 5 kWh within a few real seconds
    await poll(hass)
    assert balance(hass) == Decimal("20.00")
    issues = [i for i in issue_registry.issues.values() if i.translation_key == "suspect_reading"]
    assert len(issues) == 1
    assert issues[0].is_fixable
    assert issues[0].translation_placeholders is not None
    assert issues[0].translation_placeholders["room"] == "Room 1"

    menu = await answer_suspect(hass, hass_client, issues[0], "charge")
    assert menu["type"] == "menu"
    assert menu["menu_options"] == ["charge", "discard"]
    # 5 kWh at 0.5 CNY.
    assert balance(hass) == Decimal("17.50")


async def test_discarding_a_jump_keeps_the_usage_read_while_it_was_held(
    hass: HomeAssistant,
    room: MockConfigEntry,
    simulated_gateway: Gateway,
    hass_client: ClientSessionGenerator,
    issue_registry: ir.IssueRegistry,
) -> None:
    """*Discard it* drops the jump alone: what the meter counted after it is still charged."""
    assert await async_setup_component(hass, "repairs", {})
    simulator = simulated_gateway.simulator
    simulator.meter(1).set_load(1000)
    simulator.clock.advance(5 * 3600)  # a 5 kWh jump within a few real seconds
    await poll(hass)
    simulator.clock.advance(0.06 * 3600)  # then 0.06 kWh of real use, while it is held
    await poll(hass)
    assert balance(hass) == Decimal("20.00")
    (issue,) = [i for i in issue_registry.issues.values() if i.translation_key == "suspect_reading"]

    await answer_suspect(hass, hass_client, issue, "discard")
    await poll(hass)
    # 0.06 kWh at 0.5 CNY; the 5 kWh are not charged.
    assert balance(hass) == Decimal("19.97")


def test_logbook_describes_landlord_actions_and_top_ups(hass: HomeAssistant) -> None:
    """The logbook names the room and says what the landlord did."""
    describers: dict[str, Any] = {}
    logbook.async_describe_events(
        hass, lambda domain, event_type, describe: describers.__setitem__(event_type, describe)
    )
    top_up = describers[EVENT_LANDLORD_ACTION](
        Event(
            EVENT_LANDLORD_ACTION,
            {
                "room": "Room 1",
                "action": "top_up",
                "amount": "30.00",
                "currency": "CNY",
                "method": "cash",
            },
        )
    )
    assert top_up == {"name": "Room 1", "message": "recorded a top-up of 30.00 CNY (cash)"}
    adjust = describers[EVENT_LANDLORD_ACTION](
        Event(EVENT_LANDLORD_ACTION, {"room": "Room 2", "action": "adjust", "currency": "CNY"})
    )
    assert adjust == {"name": "Room 2", "message": "adjust"}
    receipt = describers[EVENT_TOP_UP](
        Event(EVENT_TOP_UP, {"room": "Room 1", "balance": "50.00", "currency": "CNY"})
    )
    assert receipt["message"] == "balance 50.00 CNY after a top-up"
    statement = describers[EVENT_STATEMENT_READY](
        Event(
            EVENT_STATEMENT_READY,
            {
                "room": "Room 1",
                "cycle_start": "2026-11-01T00:00:00+01:00",
                "closing_balance": "19.95",
                "currency": "CNY",
            },
        )
    )
    assert statement == {
        "name": "Room 1",
        "message": "statement ready for the cycle from 2026-11-01: closing balance 19.95 CNY",
    }


async def test_room_device_ids_are_stable(hass: HomeAssistant, room: MockConfigEntry) -> None:
    """The room device outlives a reload (entities and history stay)."""
    before = room_device_id(hass, room)
    assert await hass.config_entries.async_reload(room.entry_id)
    await hass.async_block_till_done()
    assert room_device_id(hass, room) == before
