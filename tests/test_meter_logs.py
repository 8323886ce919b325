"""A prepaid meter's own logs in Home Assistant (Eastron SDM320Y, simulated over Modbus TCP):
read at start and hourly into two diagnostic sensors and the diagnostics download."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.prepaid_power.entity import meter_unique_id
from custom_components.prepaid_power.profiles import RecordKind
from prepaid_power_gateway import Gateway, gateway_config, make_building

from .conftest import FAST_GATEWAY
from .test_init import gateway_entry, setup_gateway

METERS = [
    {"slave_id": 4, "profile": "eastron_sdm320y", "serial_number": 32000004},
    {"slave_id": 5, "profile": "eastron_sdm120", "serial_number": None},
]


def entity_id(hass: HomeAssistant, entry_id: str, slave: int, key: str) -> str | None:
    entry = next(e for e in hass.config_entries.async_entries() if e.entry_id == entry_id)
    return er.async_get(hass).async_get_entity_id(
        "sensor", "prepaid_power", meter_unique_id(entry, slave, key)
    )


async def test_the_meters_last_recharge_and_relay_action(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """At start the sensors show the meter's newest records (amount, action by the manual's
    words, the meter's own time); a record logged later shows after the hourly read; a
    meter without logs has no such sensors; diagnostics list every record read."""
    assert await async_setup_component(hass, "diagnostics", {})
    building = make_building([{"model": "SDM320Y", "slave": 4}, {"model": "SDM120", "slave": 5}])
    async with Gateway(gateway_config(building, **FAST_GATEWAY)) as gateway:
        entry = gateway_entry(gateway.port, METERS)
        await setup_gateway(hass, entry)
        await hass.async_block_till_done(wait_background_tasks=True)
        recharge = entity_id(hass, entry.entry_id, 4, "last_recharge")
        relay = entity_id(hass, entry.entry_id, 4, "last_relay_action")
        assert recharge is not None
        assert relay is not None
        assert entity_id(hass, entry.entry_id, 5, "last_recharge") is None
        state = hass.states.get(recharge)
        assert state is not None
        assert (state.state, state.attributes["meter_time"]) == ("50.00", "2026-03-02T18:30:05")
        state = hass.states.get(relay)
        assert state is not None
        assert state.state == "relay_open"
        assert state.attributes["raw"] == "0x0000"
        assert state.attributes["options"] == ["relay_off", "relay_open", "other"]

        meter = gateway.simulator.meter(4)
        meter.log_recharge(100, datetime(2026, 3, 9, 8, 15, 0))
        meter.log_relay_action(0xFF00, datetime(2026, 3, 9, 8, 15, 2))
        assert hass.states.get(recharge).state == "50.00"  # type: ignore[union-attr]
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=1, seconds=1))
        await hass.async_block_till_done(wait_background_tasks=True)
        assert hass.states.get(recharge).state == "100.00"  # type: ignore[union-attr]
        assert hass.states.get(relay).state == "relay_off"  # type: ignore[union-attr]

        diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
        logs = diagnostics["meter_logs"]
        assert set(logs) == {"4"}
        assert [r["amount"] for r in logs["4"]["recharge"]] == ["100.00", "50.00", "20.00"]
        assert [r["action"] for r in logs["4"]["relay"]] == ["relay_off", "relay_open", "relay_off"]
        assert logs["4"]["error"] is None

        # A meter that stops answering keeps its last records and says why.
        gateway.simulator.meter(4).set_faults(offline=True)
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=2, seconds=2))
        await hass.async_block_till_done(wait_background_tasks=True)
        diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
        assert diagnostics["meter_logs"]["4"]["error"]
        logs_kept = entry.runtime_data.logs
        assert logs_kept is not None
        kept = logs_kept.latest(4, RecordKind.RECHARGE)
        assert kept is not None
        assert kept.amount == Decimal("100.00")
        await hass.config_entries.async_unload(entry.entry_id)
