"""Fuzzed actions and entity services: no unhandled exception, every refusal translated (or
HA's own Unauthorized / schema error), and a refusal changes nothing (issue 19).

The long run: `bench/fuzz_actions.py` (10,000 calls). More here on demand:
FUZZ_CALLS=2000 scripts/test tests/test_fuzz_actions.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from homeassistant.auth.models import User
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.prepaid_power.billing.core import BillingCore
from prepaid_power_gateway import Gateway

from .fuzz_actions import Doors, fuzz
from .test_rooms import make_room, room_device_id

FUZZ_CALLS = int(os.environ.get("FUZZ_CALLS", "250"))
# Where the bench asks for the tally (JSON).
FUZZ_REPORT = os.environ.get("FUZZ_REPORT")

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


def _doors(hass: HomeAssistant, entry: MockConfigEntry) -> Doors:
    room_device = room_device_id(hass, entry)
    others = [
        device.id
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        if device.id != room_device
    ]
    entities: dict[str, list[str]] = {"switch": [], "number": [], "button": []}
    for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        if entity.domain in entities:
            entities[entity.domain].append(entity.entity_id)
    return Doors([room_device], others, entities)


async def test_fuzzed_calls_never_crash_and_refusals_change_nothing(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    hass_admin_user: User,
    tenant_user: User,
) -> None:
    entry = await make_room(hass, simulated_gateway)
    # No energy flows: polls between two looks at the ledger post nothing.
    for slave in (1, 3, 4, 7):
        simulated_gateway.simulator.meter(slave).set_load(0)

    def ledger_state(core: BillingCore) -> Any:
        return core.ledger.execute(
            "SELECT (SELECT COUNT(*) FROM entries), (SELECT COUNT(*) FROM tenancies),"
            " (SELECT group_concat(balance_minor) FROM accounts),"
            " (SELECT COUNT(*) FROM tariff_versions), (SELECT COUNT(*) FROM suspect_readings)"
        )

    async def fingerprint() -> object:
        # Some operations reload the gateway (a threshold number): look its rooms up afresh.
        current = entry.runtime_data.rooms
        memory = json.dumps(current._store_data(), sort_keys=True, default=str)
        return await current.billing.run(ledger_state), memory

    tally = await fuzz(
        hass, _doors(hass, entry), fingerprint, (hass_admin_user, tenant_user), FUZZ_CALLS
    )
    if FUZZ_REPORT:
        report = json.dumps(tally.as_dict())
        await hass.async_add_executor_job(Path(FUZZ_REPORT).write_text, report, "utf-8")
    assert tally.calls >= FUZZ_CALLS
    assert tally.unhandled == []
    # The fuzz reached both sides: calls that did something and refusals of every kind.
    assert tally.outcomes["done"] > 0
    assert {"unauthorized", "schema", "refused"} <= set(tally.outcomes)
    # And the gateway is still loaded, with a consistent ledger.
    assert entry.state is ConfigEntryState.LOADED
    await entry.runtime_data.rooms.billing.run(lambda core: core.ledger.verify())
