"""Shared fixtures for the Home Assistant side of the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
import socket

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import ModbusTcpServer
import pytest


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow real sockets; the test harness still refuses connects beyond 127.0.0.1."""


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    enable_custom_integrations: None,
) -> Generator[None]:
    """Let Home Assistant load custom_components/prepaid_power in every test."""
    return


def unused_tcp_port() -> int:
    """Return a loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def modbus_server() -> AsyncIterator[tuple[str, int]]:
    """A real pymodbus TCP server on loopback with one device (id 1)."""
    port = unused_tcp_port()
    device = ModbusDeviceContext(hr=ModbusSequentialDataBlock(1, [0] * 100))
    server = ModbusTcpServer(
        ModbusServerContext(devices={1: device}, single=False), address=("127.0.0.1", port)
    )
    await server.serve_forever(background=True)
    yield "127.0.0.1", port
    await server.shutdown()
