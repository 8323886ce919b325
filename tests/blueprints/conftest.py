"""Blueprint test fixtures: the blueprints in a temporary HA config folder, rooms and phones."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
import shutil
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.prepaid_power.const import DOMAIN, ROOM_MODEL, room_identifier

BLUEPRINT_SOURCE = Path(__file__).parents[2] / "blueprints" / "automation" / "prepaid_power"
BLUEPRINT_FILES = sorted(path.name for path in BLUEPRINT_SOURCE.glob("*.yaml"))

type SetupBlueprint = Callable[[str, dict[str, Any]], Coroutine[Any, Any, None]]


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A private HA config folder holding a copy of the blueprints."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINT_SOURCE, tmp_path / "blueprints" / "automation" / "prepaid_power")
    return tmp_path


@pytest.fixture
def setup_blueprint(hass: HomeAssistant, config_dir: Path) -> SetupBlueprint:
    """Instantiate one blueprint as an automation with the given inputs."""

    async def _setup(file: str, inputs: dict[str, Any]) -> None:
        assert await async_setup_component(
            hass,
            "automation",
            {
                "automation": [
                    {
                        "id": "under_test",
                        "alias": "under test",
                        "use_blueprint": {"path": f"prepaid_power/{file}", "input": inputs},
                    }
                ]
            },
        )
        await hass.async_block_till_done()
        state = hass.states.get("automation.under_test")
        assert state is not None, "the blueprint did not become an automation"
        assert state.state == "on"

    return _setup


@pytest.fixture
def pp_entry(hass: HomeAssistant) -> MockConfigEntry:
    """A Prepaid Power gateway entry (never set up: no Modbus)."""
    entry = MockConfigEntry(domain=DOMAIN, data={"host": "127.0.0.1", "port": 502})
    entry.add_to_hass(hass)
    return entry


def _room(hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str) -> dr.DeviceEntry:
    return dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={room_identifier(subentry_id)},
        name=f"Room {subentry_id}",
        model=ROOM_MODEL,
    )


@pytest.fixture
def room(hass: HomeAssistant, pp_entry: MockConfigEntry) -> dr.DeviceEntry:
    """Room 3."""
    return _room(hass, pp_entry, "3")


@pytest.fixture
def other_room(hass: HomeAssistant, pp_entry: MockConfigEntry) -> dr.DeviceEntry:
    """Room 4."""
    return _room(hass, pp_entry, "4")


def _phone(hass: HomeAssistant, name: str) -> dr.DeviceEntry:
    entry = MockConfigEntry(domain="mobile_app", data={"device_name": name})
    entry.add_to_hass(hass)
    return dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("mobile_app", name)}, name=name
    )


@pytest.fixture
def tenant_phone(hass: HomeAssistant) -> dr.DeviceEntry:
    """The tenant's phone: notify.mobile_app_tenant_phone."""
    return _phone(hass, "Tenant Phone")


@pytest.fixture
def landlord_phone(hass: HomeAssistant) -> dr.DeviceEntry:
    """The landlord's phone: notify.mobile_app_landlord_phone."""
    return _phone(hass, "Landlord Phone")


def room_event(room: dr.DeviceEntry, **extra: Any) -> dict[str, Any]:
    """The data every room event carries, plus the event's own fields."""
    subentry_id = room.name.split()[-1] if room.name else "x"
    return {
        "room_id": subentry_id,
        "room": room.name,
        "device_id": room.id,
        "balance": "4.20",
        "currency": "CNY",
        **extra,
    }


async def settle(hass: HomeAssistant) -> None:
    """Let event handlers and automation runs progress.

    `hass.async_block_till_done()` would wait for every automation run to end, and these
    blueprints keep runs waiting (quiet hours, repeat guard, the landlord's answer).
    """
    for _ in range(30):
        await asyncio.sleep(0)


SUPPLY_STATES = [
    "on",
    "low",
    "warning_cut",
    "cut_off",
    "friendly_hold",
    "protected",
    "scheduled_off",
    "forced_off",
    "overload",
    "fault",
]


def set_supply_state(hass: HomeAssistant, room: dr.DeviceEntry, state: str) -> str:
    """Give the room a supply state sensor (an enum sensor of its device) in `state`."""
    entity_id = (
        er.async_get(hass)
        .async_get_or_create(
            "sensor",
            DOMAIN,
            f"{room.id}-supply",
            device_id=room.id,
            suggested_object_id=f"{(room.name or 'room').lower().replace(' ', '_')}_supply",
        )
        .entity_id
    )
    # A reason sensor of the same room, whose values overlap with supply states.
    reason_id = (
        er.async_get(hass)
        .async_get_or_create("sensor", DOMAIN, f"{room.id}-reason", device_id=room.id)
        .entity_id
    )
    hass.states.async_set(entity_id, state, {"device_class": "enum", "options": SUPPLY_STATES})
    hass.states.async_set(
        reason_id, "forced_off", {"device_class": "enum", "options": ["forced_off", "protected"]}
    )
    return entity_id
