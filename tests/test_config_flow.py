"""Tests for the config flow, against the add-on's simulator over real TCP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_HASSIO, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.prepaid_power.const import (
    CONF_ADDON_SLUG,
    CONF_ALL_METER_VALUES,
    CONF_BAUDRATE,
    CONF_BYTESIZE,
    CONF_CONNECTION,
    CONF_FIRST_ID,
    CONF_FRAMING,
    CONF_GAP_MS,
    CONF_LAST_ID,
    CONF_METERS,
    CONF_PARITY,
    CONF_POLL_INTERVAL,
    CONF_SERIAL_PORT,
    CONF_STOPBITS,
    CONF_TIMEOUT_MS,
    DOMAIN,
)
from prepaid_power_gateway import Gateway
from prepaid_power_gateway.simulator.rtu import PtySimulator, RtuOverTcpServer

from .conftest import unused_tcp_port


@contextlib.asynccontextmanager
async def rtu_over_tcp(gateway: Gateway) -> AsyncIterator[RtuOverTcpServer]:
    """The simulated building behind a transparent RTU-over-TCP serial server."""
    server = RtuOverTcpServer(gateway.simulator)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


SMALL_BUILDING_METERS = [
    {"slave_id": 1, "profile": "eastron_sdm120", "serial_number": 12000001},
    {"slave_id": 3, "profile": "hiking_dds238_2_zn_sr", "serial_number": None},
    {"slave_id": 4, "profile": "fineco_em115", "serial_number": 11500004},
    {"slave_id": 7, "profile": "chint_ddsu666", "serial_number": None},
]


async def _finish_scan(hass: HomeAssistant, result: Any, first: int = 1, last: int = 8) -> Any:
    """Submit the scan range, wait for the scan and return the result form."""
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "scan"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_FIRST_ID: first, CONF_LAST_ID: last}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["progress_action"] == "scan"
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "scan_result"
    return result


async def _tcp_form(hass: HomeAssistant) -> Any:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "tcp"}
    )


async def test_manual_tcp_flow_scans_and_creates_entry(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """Host and port of a gateway → scan finds exactly the simulated meters → entry."""
    result = await _tcp_form(hass)
    assert result["step_id"] == "tcp"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: "127.0.0.1", CONF_PORT: simulated_gateway.port, CONF_FRAMING: "tcp"},
    )
    result = await _finish_scan(hass, result)
    placeholders = result["description_placeholders"]
    assert placeholders["count"] == "4"
    assert "1: Eastron SDM120 (serial 12000001)" in placeholders["meters"]
    assert "4: Fineco EM115 (serial 11500004)" in placeholders["meters"]

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Gateway 127.0.0.1:{simulated_gateway.port}"
    assert result["data"] == {
        CONF_CONNECTION: "tcp",
        CONF_HOST: "127.0.0.1",
        CONF_PORT: simulated_gateway.port,
        CONF_FRAMING: "tcp",
        CONF_METERS: SMALL_BUILDING_METERS,
        CONF_FIRST_ID: 1,
        CONF_LAST_ID: 8,
    }
    assert result["result"].unique_id == f"127.0.0.1:{simulated_gateway.port}"


async def test_scan_skips_an_offline_meter_and_reports_strangers(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """An offline meter is absent; ids that answer but match no profile are listed."""
    simulated_gateway.simulator.meter(3).set_faults(offline=True)
    result = await _tcp_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: "127.0.0.1", CONF_PORT: simulated_gateway.port, CONF_FRAMING: "tcp"},
    )
    # A profile set with no Fineco profile leaves meter 4 answering but unidentified.
    from custom_components.prepaid_power import config_flow
    from custom_components.prepaid_power.profiles import ProfileSet, load_profiles

    def without_fineco(user_dir: Any) -> ProfileSet:
        loaded = load_profiles(user_dir)
        profiles = {k: v for k, v in loaded.profiles.items() if not k.startswith("fineco")}
        return ProfileSet(profiles, loaded.problems)

    with patch.object(config_flow, "load_profiles", without_fineco):
        result = await _finish_scan(hass, result)
    placeholders = result["description_placeholders"]
    assert placeholders["count"] == "2"
    assert "3:" not in placeholders["meters"]
    assert placeholders["unidentified"] == "4"


async def test_wrong_framing_then_unreachable_then_refused(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """Each kind of connection failure has its own form error."""
    result = await _tcp_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: "127.0.0.1",
            CONF_PORT: simulated_gateway.port,
            CONF_FRAMING: "rtu_over_tcp",
        },
    )
    assert result["errors"] == {"base": "wrong_framing"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: "127.0.0.1", CONF_PORT: unused_tcp_port(), CONF_FRAMING: "tcp"},
    )
    assert result["errors"] == {"base": "connection_refused"}

    with patch(
        "custom_components.prepaid_power.config_flow.check_connection",
        return_value="unreachable",
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: "gateway.invalid", CONF_PORT: 502, CONF_FRAMING: "tcp"},
        )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_silent_gateway_times_out(hass: HomeAssistant) -> None:
    """A TCP server that accepts but never answers is a timeout, not a success."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        result = await _tcp_form(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: port, CONF_FRAMING: "tcp"}
        )
    finally:
        server.close()
        await server.wait_closed()
    assert result["errors"] == {"base": "timeout"}


async def test_rtu_over_tcp_gateway(hass: HomeAssistant, simulated_gateway: Gateway) -> None:
    """A transparent serial server: RTU frames over TCP are accepted with that framing."""
    async with rtu_over_tcp(simulated_gateway) as rtu:
        result = await _tcp_form(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: "127.0.0.1", CONF_PORT: rtu.port, CONF_FRAMING: "rtu_over_tcp"},
        )
        result = await _finish_scan(hass, result, 1, 4)
    assert result["description_placeholders"]["count"] == "3"


def manual_entry(port: int) -> MockConfigEntry:
    """A Modbus TCP gateway entry added by hand at 127.0.0.1:port, without meters."""
    return MockConfigEntry(
        domain=DOMAIN,
        unique_id=f"127.0.0.1:{port}",
        data={
            CONF_CONNECTION: "tcp",
            CONF_HOST: "127.0.0.1",
            CONF_PORT: port,
            CONF_FRAMING: "tcp",
            CONF_METERS: [],
        },
    )


async def test_same_gateway_twice_aborts(hass: HomeAssistant, simulated_gateway: Gateway) -> None:
    """A gateway already configured is not added again."""
    manual_entry(simulated_gateway.port).add_to_hass(hass)
    result = await _tcp_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: "127.0.0.1", CONF_PORT: simulated_gateway.port, CONF_FRAMING: "tcp"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_invalid_scan_range(hass: HomeAssistant, simulated_gateway: Gateway) -> None:
    """A range that runs backwards is refused on the form."""
    result = await _tcp_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: "127.0.0.1", CONF_PORT: simulated_gateway.port, CONF_FRAMING: "tcp"},
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_FIRST_ID: 9, CONF_LAST_ID: 2}
    )
    assert result["errors"] == {"base": "invalid_range"}


async def test_scan_failure_aborts(hass: HomeAssistant, simulated_gateway: Gateway) -> None:
    """The gateway going away in the middle of a scan ends the flow with a clear reason."""
    result = await _tcp_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: "127.0.0.1", CONF_PORT: simulated_gateway.port, CONF_FRAMING: "tcp"},
    )
    with patch("custom_components.prepaid_power.config_flow.scan_bus", side_effect=OSError("gone")):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_FIRST_ID: 1, CONF_LAST_ID: 2}
        )
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "scan_failed"


def _discovery(port: int, host: str = "127.0.0.1") -> HassioServiceInfo:
    return HassioServiceInfo(
        config={CONF_HOST: host, CONF_PORT: port},
        name="Prepaid Power gateway",
        slug="local_prepaid_power_gateway",
        uuid="1234",
    )


async def test_addon_discovery_flow(hass: HomeAssistant, simulated_gateway: Gateway) -> None:
    """The add-on announces itself; confirming connects, scans and creates the entry."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=_discovery(simulated_gateway.port)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "hassio_confirm"
    assert result["description_placeholders"] == {"addon": "Prepaid Power gateway"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await _finish_scan(hass, result)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Prepaid Power gateway"
    assert result["data"][CONF_ADDON_SLUG] == "local_prepaid_power_gateway"
    assert result["data"][CONF_METERS] == SMALL_BUILDING_METERS
    assert result["result"].unique_id == "addon-local_prepaid_power_gateway"


async def test_addon_discovery_unreachable_shows_error(hass: HomeAssistant) -> None:
    """Confirming a discovered add-on that does not answer shows the error on the form."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=_discovery(unused_tcp_port())
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "connection_refused"}


async def test_rediscovery_with_new_host_updates_entry(hass: HomeAssistant) -> None:
    """The add-on came back under another host and port: the entry follows it."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="addon-local_prepaid_power_gateway",
        data={
            CONF_CONNECTION: "tcp",
            CONF_HOST: "old-host",
            CONF_PORT: 502,
            CONF_FRAMING: "tcp",
            CONF_METERS: [],
        },
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=_discovery(1502, "new-host")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == "new-host"
    assert entry.data[CONF_PORT] == 1502


async def test_discovery_of_a_gateway_added_by_hand_aborts(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """The add-on announces the address of a gateway entry added by hand (under another
    name for the same host): no second entry polls the same bus."""
    manual = manual_entry(simulated_gateway.port)
    manual.add_to_hass(hass)
    for host in ("127.0.0.1", "localhost"):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_HASSIO}, data=_discovery(simulated_gateway.port, host)
        )
        assert result["type"] is FlowResultType.ABORT, host
        assert result["reason"] == "already_configured"
    assert hass.config_entries.async_entries(DOMAIN) == [manual]
    # Another port of the same host is another gateway.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=_discovery(unused_tcp_port())
    )
    assert result["step_id"] == "hassio_confirm"


async def test_second_discovery_while_the_first_waits_aborts(hass: HomeAssistant) -> None:
    """The add-on restarting before the landlord confirmed: one discovery flow, not two."""
    first = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=_discovery(1502)
    )
    assert first["step_id"] == "hassio_confirm"
    second = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=_discovery(1502)
    )
    assert second["type"] is FlowResultType.ABORT
    assert second["reason"] == "already_in_progress"


async def test_serial_flow(hass: HomeAssistant, simulated_gateway: Gateway) -> None:
    """A serial port (a real pty with RTU framing) is checked and scanned too."""
    async with PtySimulator(simulated_gateway.simulator) as pty:
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "serial"}
        )
        assert result["step_id"] == "serial"
        port = pty.port
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_SERIAL_PORT: port,
                CONF_BAUDRATE: "9600",
                CONF_PARITY: "none",
                CONF_STOPBITS: "1",
                CONF_BYTESIZE: "8",
            },
        )
        result = await _finish_scan(hass, result, 1, 4)
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_SERIAL_PORT] == port
    assert result["data"][CONF_BAUDRATE] == 9600
    assert result["data"][CONF_STOPBITS] == 1
    assert result["data"][CONF_PARITY] == "N"  # the letter pymodbus takes
    assert len(result["data"][CONF_METERS]) == 3
    assert result["result"].unique_id == port


async def test_serial_port_that_does_not_exist(hass: HomeAssistant) -> None:
    """A missing serial port is a cannot_connect error."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "serial"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_SERIAL_PORT: "/dev/ttyDoesNotExist0",
            CONF_BAUDRATE: "9600",
            CONF_PARITY: "none",
            CONF_STOPBITS: "1",
            CONF_BYTESIZE: "8",
        },
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_reconfigure_tcp(hass: HomeAssistant, simulated_gateway: Gateway) -> None:
    """Reconfigure moves an entry to a new host:port after checking it answers."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="10.0.0.9:502",
        data={
            CONF_CONNECTION: "tcp",
            CONF_HOST: "10.0.0.9",
            CONF_PORT: 502,
            CONF_FRAMING: "tcp",
            CONF_METERS: [],
        },
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "tcp"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: "127.0.0.1", CONF_PORT: unused_tcp_port(), CONF_FRAMING: "tcp"},
    )
    assert result["errors"] == {"base": "connection_refused"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: "127.0.0.1", CONF_PORT: simulated_gateway.port, CONF_FRAMING: "tcp"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_HOST] == "127.0.0.1"
    assert entry.data[CONF_PORT] == simulated_gateway.port
    assert entry.unique_id == f"127.0.0.1:{simulated_gateway.port}"


async def test_reconfigure_to_another_gateways_address_aborts(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """Two entries never point at the same gateway."""
    data = {CONF_CONNECTION: "tcp", CONF_FRAMING: "tcp", CONF_METERS: []}
    MockConfigEntry(
        domain=DOMAIN, data={**data, CONF_HOST: "127.0.0.1", CONF_PORT: simulated_gateway.port}
    ).add_to_hass(hass)
    entry = MockConfigEntry(domain=DOMAIN, data={**data, CONF_HOST: "10.0.0.9", CONF_PORT: 502})
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: "127.0.0.1", CONF_PORT: simulated_gateway.port, CONF_FRAMING: "tcp"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize("connection", ["serial"])
async def test_reconfigure_serial(
    hass: HomeAssistant, simulated_gateway: Gateway, connection: str
) -> None:
    """A serial gateway is reconfigured with the serial form, prefilled."""
    async with rtu_over_tcp(simulated_gateway) as rtu:
        entry = MockConfigEntry(
            domain=DOMAIN,
            unique_id="/dev/ttyUSB0",
            data={
                CONF_CONNECTION: connection,
                CONF_SERIAL_PORT: "/dev/ttyUSB0",
                CONF_BAUDRATE: 9600,
                CONF_PARITY: "N",
                CONF_STOPBITS: 1,
                CONF_BYTESIZE: 8,
                CONF_METERS: [],
            },
        )
        entry.add_to_hass(hass)
        result = await entry.start_reconfigure_flow(hass)
        assert result["step_id"] == "serial"
        suggested = {
            str(key): key.description["suggested_value"] for key in result["data_schema"].schema
        }
        assert suggested[CONF_PARITY] == "none"
        assert suggested[CONF_BAUDRATE] == "9600"
        port = f"socket://127.0.0.1:{rtu.port}"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_SERIAL_PORT: port,
                CONF_BAUDRATE: "19200",
                CONF_PARITY: "even",
                CONF_STOPBITS: "1",
                CONF_BYTESIZE: "8",
            },
        )
        # The entry reloads with the new port: let it finish while the server is up, then
        # unload it, so nothing is left running when the test ends.
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert await hass.config_entries.async_unload(entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_SERIAL_PORT] == port
    assert entry.data[CONF_BAUDRATE] == 19200
    assert entry.data[CONF_PARITY] == "E"


async def test_options_flow(hass: HomeAssistant) -> None:
    """Poll interval and bus timing are options, with serial-friendly defaults."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={
            CONF_CONNECTION: "serial",
            CONF_SERIAL_PORT: "/dev/ttyUSB0",
            CONF_BAUDRATE: 9600,
            CONF_PARITY: "N",
            CONF_STOPBITS: 1,
            CONF_BYTESIZE: 8,
            CONF_METERS: [],
        },
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "settings"}
    )
    assert result["type"] is FlowResultType.FORM
    schema_defaults = {str(key): key.default() for key in result["data_schema"].schema}
    assert schema_defaults == {
        CONF_POLL_INTERVAL: 10,
        CONF_TIMEOUT_MS: 1000,
        CONF_GAP_MS: 30,
        CONF_ALL_METER_VALUES: False,
    }
    options = {
        CONF_POLL_INTERVAL: 5,
        CONF_TIMEOUT_MS: 300,
        CONF_GAP_MS: 50,
        CONF_ALL_METER_VALUES: True,
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], options)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == options
