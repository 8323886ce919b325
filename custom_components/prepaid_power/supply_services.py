"""Landlord supply actions: `set_supply` (on / off / auto) and `grant_grace` (admin only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .access import async_require_landlord
from .compat import InputRefused, vol
from .const import DOMAIN
from .control import (
    SupplyCommand,
    SupplyMemory,
    SupplyOperationError,
    grant_grace,
    set_supply,
)
from .rooms import Room, Rooms
from .services import TEXT_MAX, _target

SERVICE_SET_SUPPLY = "set_supply"
SERVICE_GRANT_GRACE = "grant_grace"
# A grace beyond a year is not a grace (and a billion days overflows every clock).
MAX_GRACE = timedelta(days=366)


def _grace(value: Any) -> timedelta:
    """A positive duration of at most `MAX_GRACE`."""
    try:
        duration: timedelta = cv.positive_time_period(value)
    except OverflowError as err:
        raise vol.Invalid(f"duration too long: at most {MAX_GRACE.days} days") from err
    return duration


SET_SUPPLY_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        vol.Required("state"): vol.In([command.value for command in SupplyCommand]),
        vol.Optional("reason", default=""): vol.All(cv.string, vol.Length(max=TEXT_MAX)),
    }
)
GRANT_GRACE_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        vol.Required("duration"): _grace,
    }
)


def _room(hass: HomeAssistant, device_id: str) -> tuple[Rooms, Room]:
    """The room of a room device among the loaded gateways."""
    target = _target(hass, device_id)
    return target.rooms, target.room


def _operate(room: Room, change: Callable[[SupplyMemory], SupplyMemory]) -> SupplyMemory:
    try:
        return change(room.memory)
    except SupplyOperationError as err:
        raise InputRefused(
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
    rooms.entry.runtime_data.supply.reset_relay(room.subentry_id)
    rooms.entry.runtime_data.coordinator.operate(room, memory, call.context)


async def _async_grant_grace(call: ServiceCall) -> None:
    await async_require_landlord(call.hass, call.context)
    rooms, room = _room(call.hass, call.data[ATTR_DEVICE_ID])
    duration: timedelta = call.data["duration"]
    if duration > MAX_GRACE:
        raise InputRefused(
            translation_domain=DOMAIN,
            translation_key="grace_too_long",
            translation_placeholders={"room": room.name, "days": str(MAX_GRACE.days)},
        )
    memory = _operate(room, lambda memory: grant_grace(memory, duration, dt_util.utcnow()))
    rooms.entry.runtime_data.coordinator.operate(room, memory, call.context)


@callback
def async_setup_supply_services(hass: HomeAssistant) -> None:
    """Register the supply actions (from `async_setup`, once for all gateways)."""
    hass.services.async_register(DOMAIN, SERVICE_SET_SUPPLY, _async_set_supply, SET_SUPPLY_SCHEMA)
    hass.services.async_register(
        DOMAIN, SERVICE_GRANT_GRACE, _async_grant_grace, GRANT_GRACE_SCHEMA
    )
