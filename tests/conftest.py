"""Shared fixtures for the Home Assistant side of the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
import socket
from typing import Any
from unittest.mock import PropertyMock, patch

from homeassistant.auth.models import User
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest

from prepaid_power_gateway import BuildingConfig, Gateway, gateway_config, make_building

# Options for deterministic simulated gateways: frozen simulated clock, no bus gaps, and a
# short per-request timeout so absent slave ids answer 0x0B quickly.
FAST_GATEWAY: dict[str, Any] = {
    "time_scale": 0,
    "min_gap_ms": 0,
    "id_switch_gap_ms": 0,
    "request_timeout": 0.2,
}

# A small building: four models, empty ids between them, and relay boards elsewhere.
SMALL_BUILDING = make_building(
    [
        {"model": "SDM120", "slave": 1, "serial": 12000001, "load_w": 500},
        {"model": "DDS238-2 ZN/SR", "slave": 3, "serial": 23800003, "load_w": 800},
        {"model": "EM115", "slave": 4, "serial": 11500004, "load_w": 300, "energy_kwh": 87.25},
        {"model": "DDSU666", "slave": 7, "load_w": 1200},
    ]
)


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
def building() -> BuildingConfig:
    """The building the `simulated_gateway` fixture simulates (override per test module)."""
    return SMALL_BUILDING


@pytest.fixture
async def simulated_gateway(building: BuildingConfig) -> AsyncIterator[Gateway]:
    """The add-on's gateway, in simulator mode, serving Modbus TCP on loopback."""
    async with Gateway(gateway_config(building, simulate=True, **FAST_GATEWAY)) as gateway:
        yield gateway


def device_with_identifier(
    registry: dr.DeviceRegistry, entry_id: str, identifier: tuple[str, str]
) -> dr.DeviceEntry | None:
    """The entry's device with an identifier (works on both HA lines)."""
    for device in dr.async_entries_for_config_entry(registry, entry_id):
        if identifier in device.identifiers:
            return device
    return None


@pytest.fixture
async def tenant_user(hass: HomeAssistant, hass_admin_user: User) -> User:
    """A non-admin user (the landlord, an admin, exists first and owns the instance)."""
    return await hass.auth.async_create_user("Tenant", group_ids=["system-users"])


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create every entity enabled, those disabled by default included (as HA core's
    fixture of that name does)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield
