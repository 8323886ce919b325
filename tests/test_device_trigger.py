"""Device triggers of room devices: listed for rooms only, fire on the room's own events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_get_device_automations,
    async_mock_service,
)

from custom_components.prepaid_power.const import (
    DOMAIN,
    EVENT_BALANCE_LOW,
    EVENT_SUPPLY_CHANGED,
    EVENT_TOP_UP,
    ROOM_MODEL,
    room_identifier,
)
from custom_components.prepaid_power.device_trigger import TRIGGER_TYPES


@pytest.fixture
def entry(hass: HomeAssistant) -> MockConfigEntry:
    """A gateway entry in the registry; never set up (that would connect to Modbus)."""
    entry = MockConfigEntry(domain=DOMAIN, data={"host": "127.0.0.1", "port": 502})
    entry.add_to_hass(hass)
    return entry


def _room(hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str) -> dr.DeviceEntry:
    return dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={room_identifier(subentry_id)},
        name=f"Room {subentry_id}",
        manufacturer="Prepaid Power",
        model=ROOM_MODEL,
    )


@pytest.fixture
def room(hass: HomeAssistant, entry: MockConfigEntry) -> dr.DeviceEntry:
    """Room 3's device."""
    return _room(hass, entry, "3")


@pytest.fixture
def other_room(hass: HomeAssistant, entry: MockConfigEntry) -> dr.DeviceEntry:
    """Room 4's device."""
    return _room(hass, entry, "4")


@pytest.fixture
def calls(hass: HomeAssistant) -> list[ServiceCall]:
    """Calls of the test action the automations run."""
    return async_mock_service(hass, "test", "automation")


def _event_data(device: dr.DeviceEntry, **extra: Any) -> dict[str, Any]:
    return {
        "room_id": "3",
        "room": device.name,
        "device_id": device.id,
        "balance": "4.20",
        "currency": "CNY",
        **extra,
    }


async def _setup_automations(hass: HomeAssistant, device_id: str) -> None:
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "alias": trigger_type,
                    "triggers": [
                        {
                            "trigger": "device",
                            "domain": DOMAIN,
                            "device_id": device_id,
                            "type": trigger_type,
                        }
                    ],
                    "actions": [
                        {
                            "action": "test.automation",
                            "data": {
                                "type": trigger_type,
                                "balance": "Balance {{ trigger.event.data.balance }}",
                            },
                        }
                    ],
                }
                for trigger_type in TRIGGER_TYPES
            ]
        },
    )


async def test_room_device_lists_four_triggers(hass: HomeAssistant, room: dr.DeviceEntry) -> None:
    """A room device offers balance low, supply cut, supply restored and top-up."""
    triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, room.id)
    ours = [trigger for trigger in triggers if trigger["domain"] == DOMAIN]
    assert sorted(trigger["type"] for trigger in ours) == sorted(
        ["balance_low", "supply_cut", "supply_restored", "top_up"]
    )
    for trigger in ours:
        assert trigger["device_id"] == room.id
        assert trigger["platform"] == "device"


async def test_other_devices_have_no_triggers(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """A meter or gateway device of the integration (not model Room) has no room triggers."""
    meter = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, "meter-1")},
        name="Meter 1",
        model="SDM120",
    )
    fake_room = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, "gateway-1")},
        name="Not a room",
        model=ROOM_MODEL,
    )
    for device in (meter, fake_room):
        triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, device.id)
        assert [t for t in triggers if t["domain"] == DOMAIN] == []


async def test_triggers_fire_for_their_event_only(
    hass: HomeAssistant,
    room: dr.DeviceEntry,
    other_room: dr.DeviceEntry,
    calls: list[ServiceCall],
) -> None:
    """Each trigger fires on its own event for its own room, and nothing else."""
    await _setup_automations(hass, room.id)

    hass.bus.async_fire(EVENT_BALANCE_LOW, _event_data(room, level="5.00", days_left=2))
    await hass.async_block_till_done()
    assert [call.data["type"] for call in calls] == ["balance_low"]
    assert calls[-1].data["balance"] == "Balance 4.20"

    hass.bus.async_fire(
        EVENT_SUPPLY_CHANGED,
        _event_data(
            room,
            old_state="low",
            new_state="cut_off",
            reason="balance_exhausted",
            supply_on=False,
            was_on=True,
        ),
    )
    await hass.async_block_till_done()
    assert [call.data["type"] for call in calls[1:]] == ["supply_cut"]

    hass.bus.async_fire(
        EVENT_SUPPLY_CHANGED,
        _event_data(
            room,
            old_state="cut_off",
            new_state="on",
            reason="balance_ok",
            supply_on=True,
            was_on=False,
        ),
    )
    await hass.async_block_till_done()
    assert [call.data["type"] for call in calls[2:]] == ["supply_restored"]

    hass.bus.async_fire(
        EVENT_TOP_UP, _event_data(room, amount="50.00", method="cash", reference="R1")
    )
    await hass.async_block_till_done()
    assert [call.data["type"] for call in calls[3:]] == ["top_up"]
    assert len(calls) == 4


async def test_triggers_ignore_other_rooms_and_other_transitions(
    hass: HomeAssistant,
    room: dr.DeviceEntry,
    other_room: dr.DeviceEntry,
    calls: list[ServiceCall],
) -> None:
    """Events of another room, and supply changes that neither cut nor restore, are ignored."""
    await _setup_automations(hass, room.id)

    hass.bus.async_fire(EVENT_BALANCE_LOW, _event_data(other_room, level="5.00", days_left=None))
    hass.bus.async_fire(
        EVENT_TOP_UP, _event_data(other_room, amount="5.00", method="cash", reference=None)
    )
    hass.bus.async_fire(
        EVENT_SUPPLY_CHANGED,
        _event_data(
            other_room,
            old_state="on",
            new_state="cut_off",
            reason="balance_exhausted",
            supply_on=False,
            was_on=True,
        ),
    )
    # Own room, but supply stays on (on -> low) or stays off (cut_off -> forced_off).
    hass.bus.async_fire(
        EVENT_SUPPLY_CHANGED,
        _event_data(
            room,
            old_state="on",
            new_state="low",
            reason="balance_low",
            supply_on=True,
            was_on=True,
        ),
    )
    hass.bus.async_fire(
        EVENT_SUPPLY_CHANGED,
        _event_data(
            room,
            old_state="cut_off",
            new_state="forced_off",
            reason="forced_off",
            supply_on=False,
            was_on=False,
        ),
    )
    await hass.async_block_till_done()
    assert calls == []


def test_trigger_types_have_translations() -> None:
    """Every trigger type has an en and zh-Hans name (section file until the lead merges it)."""
    root = Path(__file__).parents[1]
    section = root / "blueprints" / "translations.section.json"
    if section.exists():
        languages = json.loads(section.read_text(encoding="utf-8"))
    else:
        folder = root / "custom_components" / "prepaid_power" / "translations"
        languages = {
            lang: json.loads((folder / f"{lang}.json").read_text(encoding="utf-8"))
            for lang in ("en", "zh-Hans")
        }
    for lang in ("en", "zh-Hans"):
        names = languages[lang]["device_automation"]["trigger_type"]
        assert set(names) == set(TRIGGER_TYPES), lang
        assert all(isinstance(name, str) and name for name in names.values())
