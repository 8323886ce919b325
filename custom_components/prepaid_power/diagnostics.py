"""Diagnostics download: gateway settings, meters, bus statistics and the read plan.

Shared by landlords in public issue threads, so nothing identifies the building or its
tenants: no host, serial port, meter serial numbers, room names or override reasons.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant

from .const import CONF_SERIAL_NUMBER, CONF_SERIAL_PORT
from .coordinator import PrepaidPowerConfigEntry

TO_REDACT = {CONF_HOST, CONF_SERIAL_PORT, CONF_SERIAL_NUMBER, "forced_off_reason"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: PrepaidPowerConfigEntry
) -> dict[str, Any]:
    """Everything an installer needs to see why a bus misbehaves."""
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    poller = coordinator.poller
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "profiles": {
            "loaded": sorted(runtime.profile_set.profiles),
            "problems": [str(problem) for problem in runtime.profile_set.problems],
        },
        "meters": {
            str(slave_id): {
                "profile": meter.profile.id,
                "available": poller.health[slave_id].available,
                "consecutive_failures": poller.health[slave_id].consecutive_failures,
                "last_error": poller.health[slave_id].last_error,
            }
            for slave_id, meter in runtime.meters.items()
        },
        # Prepaid meters' own logs (recharges and relay actions, the meter's clock).
        "meter_logs": {} if runtime.logs is None else runtime.logs.as_dict(),
        "bus": runtime.bus.stats.as_dict(),
        "plan": {
            "transactions": poller.plan.as_dict(),
            "wire_ms_per_cycle": round(poller.plan.wire_ms, 1),
        },
        "last_update_success": coordinator.last_update_success,
        # The ledger's check when it was opened (SQLite's quick check, and every cached
        # balance against the sum of its entries); a failed one refuses to open it.
        "ledger_check": runtime.rooms.billing.checked.as_dict(),
        # Rooms by their place in the list instead of their names.
        "supply": {
            f"room {number}": async_redact_data(room, TO_REDACT)
            for number, room in enumerate(runtime.supply.as_dict().values(), 1)
        },
    }
