"""Constants for Prepaid Power."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "prepaid_power"
LOGGER = logging.getLogger(__package__)

CONF_FRAMING: Final = "framing"
FRAMING_TCP: Final = "tcp"
FRAMING_RTU_OVER_TCP: Final = "rtu_over_tcp"
FRAMINGS: Final = (FRAMING_TCP, FRAMING_RTU_OVER_TCP)

DEFAULT_PORT: Final = 502
CONNECT_TIMEOUT: Final = 3.0

# Events (the contract with blueprints and automations; payloads documented in README).
# Every room event carries: room_id (subentry id), room (name), device_id (room device),
# balance (decimal string), currency.
EVENT_TOP_UP: Final = f"{DOMAIN}_top_up"  # + amount, method, reference
EVENT_BALANCE_LOW: Final = f"{DOMAIN}_balance_low"  # + level, days_left (number or None)
EVENT_SUPPLY_CHANGED: Final = f"{DOMAIN}_supply_changed"  # + old_state, new_state, reason, supply_on, was_on
EVENT_CUT_OFF_DUE: Final = f"{DOMAIN}_cut_off_due"  # + reason
EVENT_STATEMENT_READY: Final = f"{DOMAIN}_statement_ready"  # + cycle_start, cycle_end, statement
EVENT_FAULT: Final = f"{DOMAIN}_fault"  # + kind (meter_offline | relay_fault), message

ROOM_MODEL: Final = "Room"


def room_identifier(subentry_id: str) -> tuple[str, str]:
    """Device registry identifier of a room device."""
    return (DOMAIN, f"room-{subentry_id}")
