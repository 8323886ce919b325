"""Tests for setting up, unloading and repairing a gateway entry."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from homeassistant.components.config import device_registry as config_device_registry
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.prepaid_power.const import (
    CONF_CONNECTION,
    CONF_FRAMING,
    CONF_METERS,
    DOMAIN,
)
from prepaid_power_gateway import Gateway

from .conftest import device_with_identifier, unused_tcp_port
from .test_config_flow import SMALL_BUILDING_METERS

# A room's subentry data, as the room form saves it (meter 1: the SDM120, which has no relay).
ROOM_DATA: dict[str, Any] = {
    "meter": 1,
    "price": "0.5",
    "cycle_start_day": 1,
    "allowance_kwh": "0",
    "allowance_pro_rata": False,
    "actuator_kind": "none",
    "supply": {"low_level": "10", "credit_limit": "0"},
    "schedules": {},
}


def gateway_entry(
    port: int,
    meters: list[dict[str, object]] | None = None,
    rooms: Mapping[str, Mapping[str, Any]] | None = None,
    options: Mapping[str, Any] | None = None,
) -> MockConfigEntry:
    """A gateway entry for a simulated gateway on loopback, with room subentries (title →
    the room form's data)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Test gateway",
        unique_id=f"127.0.0.1:{port}",
        options=dict(options or {}),
        data={
            CONF_CONNECTION: "tcp",
            CONF_HOST: "127.0.0.1",
            CONF_PORT: port,
            CONF_FRAMING: "tcp",
            CONF_METERS: SMALL_BUILDING_METERS if meters is None else meters,
        },
        subentries_data=[
            {"data": dict(data), "subentry_type": "room", "title": title, "unique_id": None}
            for title, data in (rooms or {}).items()
        ],
    )


async def setup_gateway(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add and set up an entry, waiting for its platforms."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_setup_creates_gateway_and_meter_devices(
    hass: HomeAssistant, simulated_gateway: Gateway, device_registry: dr.DeviceRegistry
) -> None:
    """Each meter is a device of its model, hanging off the gateway device."""
    entry = gateway_entry(simulated_gateway.port)
    await setup_gateway(hass, entry)
    assert entry.state is ConfigEntryState.LOADED

    gateway = device_with_identifier(device_registry, entry.entry_id, (DOMAIN, entry.entry_id))
    assert gateway is not None
    meters = {
        device.model: device
        for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id)
        if device.id != gateway.id
    }
    assert set(meters) == {"SDM120", "DDS238-2 ZN/SR", "EM115", "DDSU666"}
    sdm = meters["SDM120"]
    assert sdm.manufacturer == "Eastron"
    assert sdm.serial_number == "12000001"
    assert sdm.via_device_id == gateway.id
    assert sdm.name == "Meter 1 (SDM120)"
    assert meters["DDSU666"].serial_number is None


async def test_unload_closes_the_bus(hass: HomeAssistant, simulated_gateway: Gateway) -> None:
    """Unloading stops polling and closes the connection to the gateway."""
    entry = gateway_entry(simulated_gateway.port)
    await setup_gateway(hass, entry)
    bus = entry.runtime_data.bus
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert bus.pending == 0

    def requests() -> dict[int, int]:
        # Only what the bus was asked: uptime and the count of connected clients (the
        # gateway notices the closed connection a moment later) change on their own.
        return {unit: slave.requests for unit, slave in simulated_gateway.stats.slaves.items()}

    transactions = requests()
    await hass.async_block_till_done()
    await asyncio.sleep(0.2)
    assert requests() == transactions


async def test_unreachable_gateway_retries_setup(hass: HomeAssistant) -> None:
    """A gateway that does not answer leaves the entry waiting to retry."""
    entry = gateway_entry(unused_tcp_port())
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_broken_user_profile_is_reported_and_skipped(
    hass: HomeAssistant, simulated_gateway: Gateway, issue_registry: ir.IssueRegistry
) -> None:
    """A broken profile in the config folder raises a repair issue; setup goes on."""
    folder = Path(hass.config.path("prepaid_power/profiles"))
    await hass.async_add_executor_job(lambda: folder.mkdir(parents=True, exist_ok=True))
    broken = folder / "my_meter.yaml"
    await hass.async_add_executor_job(
        broken.write_text,
        "id: my_meter\nmanufacturer: Acme\nmodel: M1\nregisters:\n"
        "  - {key: power, function: 4, address: 0, data_type: float99}\n",
    )
    entry = gateway_entry(simulated_gateway.port)
    try:
        await setup_gateway(hass, entry)
    finally:
        # The config folder outlives the test: leave no broken profile for the next ones.
        await hass.async_add_executor_job(broken.unlink)
    assert entry.state is ConfigEntryState.LOADED
    issue = issue_registry.async_get_issue(DOMAIN, "profile_my_meter.yaml")
    assert issue is not None
    assert issue.translation_key == "broken_profile"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["file"] == "my_meter.yaml"
    assert "data_type" in issue.translation_placeholders["field"]


async def test_meter_with_unknown_profile_gets_repair_issue(
    hass: HomeAssistant, simulated_gateway: Gateway, issue_registry: ir.IssueRegistry
) -> None:
    """A meter whose profile disappeared is skipped with a repair issue, not a crash."""
    meters = [*SMALL_BUILDING_METERS, {"slave_id": 9, "profile": "gone", "serial_number": None}]
    entry = gateway_entry(simulated_gateway.port, meters)
    await setup_gateway(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert set(entry.runtime_data.meters) == {1, 3, 4, 7}
    issue = issue_registry.async_get_issue(DOMAIN, f"unknown_profile_{entry.entry_id}_9")
    assert issue is not None
    assert issue.translation_placeholders == {
        "profile": "gone",
        "slave_id": "9",
        "gateway": "Test gateway",
    }


async def test_remove_meter_device(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A meter device may be deleted (it leaves the entry); the gateway device may not."""
    assert await async_setup_component(hass, "config", {})
    entry = gateway_entry(simulated_gateway.port)
    await setup_gateway(hass, entry)
    client = await hass_ws_client(hass)

    async def remove(device_id: str) -> bool:
        # What the device page sends: `remove` where HA has it (it replaced
        # `remove_config_entry`, which goes in 2027.9), else the older command.
        if hasattr(config_device_registry, "websocket_remove_device"):
            message = {"type": "config/device_registry/remove", "device_id": device_id}
        else:
            message = {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": entry.entry_id,
                "device_id": device_id,
            }
        await client.send_json_auto_id(message)
        response = await client.receive_json()
        return bool(response["success"])

    gateway = device_with_identifier(device_registry, entry.entry_id, (DOMAIN, entry.entry_id))
    meter = device_with_identifier(
        device_registry, entry.entry_id, (DOMAIN, f"{entry.entry_id}-meter-7")
    )
    assert gateway is not None
    assert meter is not None
    assert not await remove(gateway.id)
    assert await remove(meter.id)
    await hass.async_block_till_done()
    assert [m["slave_id"] for m in entry.data[CONF_METERS]] == [1, 3, 4]
