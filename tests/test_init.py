"""Tests for setting up and unloading a gateway entry."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.prepaid_power.const import CONF_FRAMING, DOMAIN

from .conftest import unused_tcp_port


async def test_setup_and_unload(hass: HomeAssistant, modbus_server: tuple[str, int]) -> None:
    """An entry for an answering gateway loads, connects and unloads cleanly."""
    host, port = modbus_server
    entry = MockConfigEntry(
        domain=DOMAIN, data={CONF_HOST: host, CONF_PORT: port, CONF_FRAMING: "tcp"}
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.client.connected

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_unreachable_gateway_retries_setup(hass: HomeAssistant) -> None:
    """A gateway that does not answer leaves the entry waiting to retry."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_HOST: "127.0.0.1", CONF_PORT: unused_tcp_port(), CONF_FRAMING: "tcp"},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
