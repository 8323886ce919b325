"""Logbook: landlord actions, top-ups and statements, with the room (HA adds the user)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback

from .const import DOMAIN, EVENT_LANDLORD_ACTION, EVENT_STATEMENT_READY, EVENT_TOP_UP

ACTION_WORDS = {
    "move_in": "moved a tenant in",
    "move_out": "moved the tenant out",
    "top_up": "recorded a top-up of {amount} {currency} ({method})",
    "reverse_top_up": "reversed a top-up ({amount} {currency})",
    "refund": "refunded {amount} {currency}",
    "adjust": "adjusted the balance by {amount} {currency}: {reason}",
    "set_tariff": "set a new {kind} tariff",
    "preset_vacant_energy": "preset {kwh} kWh for the vacant room",
    "pay_debt": "recorded a debt payment of {amount} {currency} from {tenant}",
}


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe our events in the logbook."""

    @callback
    def describe_action(event: Event) -> dict[str, str]:
        data: dict[str, Any] = dict(event.data)
        template = ACTION_WORDS.get(data.get("action", ""), "{action}")
        try:
            message = template.format(**data)
        except (KeyError, IndexError):
            message = str(data.get("action"))
        return {LOGBOOK_ENTRY_NAME: str(data.get("room")), LOGBOOK_ENTRY_MESSAGE: message}

    @callback
    def describe_top_up(event: Event) -> dict[str, str]:
        data = event.data
        return {
            LOGBOOK_ENTRY_NAME: str(data.get("room")),
            LOGBOOK_ENTRY_MESSAGE: (
                f"balance {data.get('balance')} {data.get('currency')} after a top-up"
            ),
        }

    @callback
    def describe_statement(event: Event) -> dict[str, str]:
        data = event.data
        return {
            LOGBOOK_ENTRY_NAME: str(data.get("room")),
            LOGBOOK_ENTRY_MESSAGE: (
                f"statement ready for the cycle from {str(data.get('cycle_start'))[:10]}:"
                f" closing balance {data.get('closing_balance')} {data.get('currency')}"
            ),
        }

    async_describe_event(DOMAIN, EVENT_LANDLORD_ACTION, describe_action)
    async_describe_event(DOMAIN, EVENT_STATEMENT_READY, describe_statement)
    async_describe_event(DOMAIN, EVENT_TOP_UP, describe_top_up)
