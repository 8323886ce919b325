"""Config flow for Prepaid Power."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.framer import FramerType

from .compat import vol
from .const import (
    CONF_FRAMING,
    CONNECT_TIMEOUT,
    DEFAULT_PORT,
    DOMAIN,
    FRAMING_RTU_OVER_TCP,
    FRAMING_TCP,
    FRAMINGS,
)

TCP_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HOST): TextSelector(),
        vol.Required(CONF_PORT, default=DEFAULT_PORT): vol.All(
            NumberSelector(
                NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
            ),
            vol.Coerce(int),
        ),
        vol.Required(CONF_FRAMING, default=FRAMING_TCP): SelectSelector(
            SelectSelectorConfig(
                options=list(FRAMINGS),
                translation_key=CONF_FRAMING,
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
    }
)


async def _async_gateway_answers(host: str, port: int, framing: str) -> bool:
    """Return whether a Modbus TCP endpoint accepts a connection."""
    framer = FramerType.RTU if framing == FRAMING_RTU_OVER_TCP else FramerType.SOCKET
    client = AsyncModbusTcpClient(host, port=port, framer=framer, timeout=CONNECT_TIMEOUT)
    try:
        return await client.connect()
    finally:
        client.close()


class PrepaidPowerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a gateway."""

    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Add a Modbus TCP gateway by host and port."""
        errors: dict[str, str] = {}
        if user_input is not None:
            host: str = user_input[CONF_HOST].strip()
            port: int = user_input[CONF_PORT]
            await self.async_set_unique_id(f"{host}:{port}")
            self._abort_if_unique_id_configured()
            if await _async_gateway_answers(host, port, user_input[CONF_FRAMING]):
                return self.async_create_entry(
                    title=f"Gateway {host}:{port}",
                    data={CONF_HOST: host, CONF_PORT: port, CONF_FRAMING: user_input[CONF_FRAMING]},
                )
            errors["base"] = "cannot_connect"
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(TCP_SCHEMA, user_input),
            errors=errors,
        )
