"""Buttons: scan the gateway's bus for meters added since setup."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .access import async_require_landlord
from .bus.errors import BusError
from .bus.scan import scan_bus
from .config_flow import meters_data
from .const import (
    CONF_FIRST_ID,
    CONF_LAST_ID,
    CONF_METERS,
    CONF_SLAVE_ID,
    DEFAULT_FIRST_ID,
    DEFAULT_LAST_ID,
    DOMAIN,
    LOGGER,
    SCAN_TIMEOUT_S,
)
from .coordinator import PrepaidPowerConfigEntry
from .entity import GatewayEntity

PARALLEL_UPDATES = 1

SCAN_DESCRIPTION = ButtonEntityDescription(
    key="scan", translation_key="scan", entity_category=EntityCategory.CONFIG
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrepaidPowerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the gateway's scan button."""
    async_add_entities([ScanButton(entry.runtime_data.coordinator, SCAN_DESCRIPTION)])


class ScanButton(GatewayEntity, ButtonEntity):
    """Probe the configured slave-id range and add meters that are new."""

    async def async_press(self) -> None:
        """Scan between polls; new meters reload the gateway with their devices."""
        await async_require_landlord(self.hass, self._context)
        entry = self.coordinator.config_entry
        runtime = entry.runtime_data
        profile_set = runtime.profile_set
        first = entry.data.get(CONF_FIRST_ID, DEFAULT_FIRST_ID)
        last = entry.data.get(CONF_LAST_ID, DEFAULT_LAST_ID)
        try:
            result = await scan_bus(
                runtime.bus, profile_set.profiles.values(), range(first, last + 1), SCAN_TIMEOUT_S
            )
        except BusError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="scan_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        known = {meter[CONF_SLAVE_ID] for meter in entry.data[CONF_METERS]}
        new = tuple(meter for meter in result.meters if meter.slave_id not in known)
        LOGGER.info("Scan of %s found %d new meter(s)", entry.title, len(new))
        if new:
            self.hass.config_entries.async_update_entry(
                entry,
                data={**entry.data, CONF_METERS: [*entry.data[CONF_METERS], *meters_data(new)]},
            )
