"""Prepaid Power: prepaid electricity for small landlords."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.framer import FramerType

from .const import CONF_FRAMING, CONNECT_TIMEOUT, DOMAIN, FRAMING_RTU_OVER_TCP


@dataclass(slots=True)
class PrepaidPowerRuntimeData:
    """What a gateway entry holds while it is loaded."""

    client: AsyncModbusTcpClient


type PrepaidPowerConfigEntry = ConfigEntry[PrepaidPowerRuntimeData]


async def async_setup_entry(hass: HomeAssistant, entry: PrepaidPowerConfigEntry) -> bool:
    """Connect to the gateway."""
    framer = (
        FramerType.RTU if entry.data[CONF_FRAMING] == FRAMING_RTU_OVER_TCP else FramerType.SOCKET
    )
    client = AsyncModbusTcpClient(
        entry.data[CONF_HOST], port=entry.data[CONF_PORT], framer=framer, timeout=CONNECT_TIMEOUT
    )
    if not await client.connect():
        client.close()
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"host": entry.data[CONF_HOST]},
        )
    entry.runtime_data = PrepaidPowerRuntimeData(client=client)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: PrepaidPowerConfigEntry) -> bool:
    """Disconnect from the gateway."""
    entry.runtime_data.client.close()
    return True
