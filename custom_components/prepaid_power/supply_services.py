"""Landlord supply actions: `set_supply` (on / off / auto) and `grant_grace` (admin only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .access import async_require_landlord
from .compat import vol
from .const import DOMAIN
from .control import (
    SupplyCommand,
    SupplyMemory,
    SupplyOperationError,
    grant_grace,
    set_supply,
)
from .coordinator import PrepaidPowerConfigEntry
from .rooms import Room, Rooms

SERVICE_SET_SUPPLY = "set_supply"
SERVICE_GRANT_GRACE = "grant_grace"

SET_SUPPLY_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        vol.Required("state"): vol.In([command.value for command in SupplyCommand]),
        vol.Optional("reason", default=""): cv.string,
    }
)
GRANT_GRACE_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        vol.Required("duration"): cv.positive_time_period,
    }
)


def _room(hass: HomeAssistant, device_id: str) -> tuple[Rooms, Room]:
    """The room of a room device among the loaded gateways."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is not ConfigEntryState.LOADED:
            continue
        typed: PrepaidPowerConfigEntry = entry
        rooms = typed.runtime_data.rooms
        if (room := rooms.room_of_device(device_id)) is not None:
            return rooms, room
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_room_device",
        translation_placeholders={"device_id": device_id},
    )


def _operate(room: Room, change: Callable[[SupplyMemory], SupplyMemory]) -> SupplyMemory:
    try:
        return change(room.memory)
    except SupplyOperationError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=err.reason,
            translation_placeholders={"room": room.name},
        ) from err


async def _async_set_supply(call: ServiceCall) -> None:
    await async_require_landlord(call.hass, call.context)
    rooms, room = _room(call.hass, call.data[ATTR_DEVICE_ID])
    command = SupplyCommand(call.data["state"])
    memory = _operate(room, lambda memory: set_supply(memory, command, call.data["reason"]))
    # Any set_supply is also the landlord's "try again" after a relay fault.
    rooms.supply.reset_relay(room.subentry_id)
    rooms.supply.operate(room, memory, call.context)


async def _async_grant_grace(call: ServiceCall) -> None:
    await async_require_landlord(call.hass, call.context)
    rooms, room = _room(call.hass, call.data[ATTR_DEVICE_ID])
    duration: timedelta = call.data["duration"]
    memory = _operate(room, lambda memory: grant_grace(memory, duration, dt_util.utcnow()))
    rooms.supply.operate(room, memory, call.context)


@callback
def async_setup_supply_services(hass: HomeAssistant) -> None:
    """Register the supply actions (from `async_setup`, once for all gateways)."""
    hass.services.async_register(DOMAIN, SERVICE_SET_SUPPLY, _async_set_supply, SET_SUPPLY_SCHEMA)
    hass.services.async_register(
        DOMAIN, SERVICE_GRANT_GRACE, _async_grant_grace, GRANT_GRACE_SCHEMA
    )
