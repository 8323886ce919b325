"""Fixtures for the add-on tests: real sockets on loopback only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
import contextlib
from typing import Any

import pytest

from prepaid_power_gateway import Gateway, gateway_config

from .modbus_client import ModbusClient


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """The HA test plugin blocks sockets; these tests need TCP on 127.0.0.1."""


type GatewayFactory = Callable[..., contextlib.AbstractAsyncContextManager[Gateway]]


@pytest.fixture
def fast_options() -> dict[str, Any]:
    """Options for quick deterministic gateways: frozen clock, no gaps, short timeout."""
    return {"time_scale": 0, "min_gap_ms": 0, "id_switch_gap_ms": 0, "request_timeout": 0.2}


@pytest.fixture
async def gateway(fast_options: dict[str, Any]) -> AsyncIterator[Gateway]:
    """The sample building behind a gateway."""
    async with Gateway(gateway_config("sample", simulate=True, **fast_options)) as gw:
        yield gw


@pytest.fixture
async def client(gateway: Gateway) -> AsyncIterator[ModbusClient]:
    """A connected Modbus TCP client of `gateway`."""
    async with ModbusClient(gateway.port) as modbus:
        yield modbus
