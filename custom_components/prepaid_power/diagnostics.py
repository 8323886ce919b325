"""Diagnostics download: gateway settings, meters, bus statistics and the read plan."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant

from .coordinator import PrepaidPowerConfigEntry

TO_REDACT = {CONF_HOST}


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
        "bus": runtime.bus.stats.as_dict(),
        "plan": {
            "transactions": poller.plan.as_dict(),
            "wire_ms_per_cycle": round(poller.plan.wire_ms, 1),
        },
        "last_update_success": coordinator.last_update_success,
        "supply": runtime.rooms.supply.as_dict(),
    }
