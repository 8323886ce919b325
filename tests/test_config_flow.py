"""Tests for the config flow."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.prepaid_power.const import CONF_FRAMING, DOMAIN

from .conftest import unused_tcp_port


async def test_user_flow_creates_gateway_entry(
    hass: HomeAssistant, modbus_server: tuple[str, int]
) -> None:
    """A gateway that answers becomes an entry holding its connection data."""
    host, port = modbus_server
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: host, CONF_PORT: port, CONF_FRAMING: "tcp"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_HOST: host, CONF_PORT: port, CONF_FRAMING: "tcp"}
    assert result["result"].unique_id == f"{host}:{port}"


async def test_user_flow_unreachable_then_recovers(
    hass: HomeAssistant, modbus_server: tuple[str, int]
) -> None:
    """Nobody listening shows cannot_connect; fixing the port then succeeds."""
    host, port = modbus_server
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: host, CONF_PORT: unused_tcp_port(), CONF_FRAMING: "tcp"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: host, CONF_PORT: port, CONF_FRAMING: "tcp"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_same_gateway_twice_aborts(
    hass: HomeAssistant, modbus_server: tuple[str, int]
) -> None:
    """A gateway already configured is not added again."""
    host, port = modbus_server
    MockConfigEntry(
        domain=DOMAIN,
        unique_id=f"{host}:{port}",
        data={CONF_HOST: host, CONF_PORT: port, CONF_FRAMING: "tcp"},
    ).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: host, CONF_PORT: port, CONF_FRAMING: "tcp"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
