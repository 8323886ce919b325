"""Device triggers for room devices: balance low, supply cut, supply restored, top-up.

Each trigger is an event trigger on one of the integration's room events, filtered on the
room's device id (every room event carries ``device_id``), so landlords can build
automations in the UI without knowing event names.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.homeassistant.triggers import event as event_trigger
from homeassistant.const import (
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_EVENT_DATA,
    CONF_PLATFORM,
    CONF_TYPE,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType

from .compat import vol
from .const import (
    DOMAIN,
    EVENT_BALANCE_LOW,
    EVENT_SUPPLY_CHANGED,
    EVENT_TOP_UP,
    ROOM_MODEL,
)

TRIGGER_BALANCE_LOW: Final = "balance_low"
TRIGGER_SUPPLY_CUT: Final = "supply_cut"
TRIGGER_SUPPLY_RESTORED: Final = "supply_restored"
TRIGGER_TOP_UP: Final = "top_up"

# Trigger type -> (event type, extra event data the event must carry).
_TRIGGER_EVENTS: Final[dict[str, tuple[str, dict[str, Any]]]] = {
    TRIGGER_BALANCE_LOW: (EVENT_BALANCE_LOW, {}),
    TRIGGER_SUPPLY_CUT: (EVENT_SUPPLY_CHANGED, {"supply_on": False, "was_on": True}),
    TRIGGER_SUPPLY_RESTORED: (EVENT_SUPPLY_CHANGED, {"supply_on": True, "was_on": False}),
    TRIGGER_TOP_UP: (EVENT_TOP_UP, {}),
}

TRIGGER_TYPES: Final = tuple(_TRIGGER_EVENTS)

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend({vol.Required(CONF_TYPE): vol.In(TRIGGER_TYPES)})


def _is_room_device(hass: HomeAssistant, device_id: str) -> bool:
    """Whether the device is a room device of this integration."""
    device = dr.async_get(hass).async_get(device_id)
    # HA 2026 may also return a child device entry, which is never a room device.
    if not isinstance(device, dr.DeviceEntry) or device.model != ROOM_MODEL:
        return False
    return any(
        domain == DOMAIN and ident.startswith("room-") for domain, ident in device.identifiers
    )


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, str]]:
    """List the triggers of a room device (none for the integration's other devices)."""
    if not _is_room_device(hass, device_id):
        return []
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DOMAIN: DOMAIN,
            CONF_DEVICE_ID: device_id,
            CONF_TYPE: trigger_type,
        }
        for trigger_type in TRIGGER_TYPES
    ]


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Attach an event trigger for the room's event."""
    event_type, extra_data = _TRIGGER_EVENTS[config[CONF_TYPE]]
    event_config = event_trigger.TRIGGER_SCHEMA(
        {
            CONF_PLATFORM: "event",
            event_trigger.CONF_EVENT_TYPE: event_type,
            CONF_EVENT_DATA: {
                CONF_DEVICE_ID: config[CONF_DEVICE_ID],
                **extra_data,
            },
        }
    )
    return await event_trigger.async_attach_trigger(
        hass, event_config, action, trigger_info, platform_type="device"
    )
