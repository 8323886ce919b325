"""Binary sensors: the state of each meter relay (or relay-board channel)."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .compat import BinarySensorDeviceClass
from .coordinator import PrepaidPowerConfigEntry
from .entity import MeterEntity

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrepaidPowerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a relay sensor for every relay channel of every meter."""
    coordinator = entry.runtime_data.coordinator
    entities: list[RelaySensor] = []
    for meter in entry.runtime_data.meters.values():
        relay = meter.profile.relay
        if relay is None:
            continue
        for channel in range(relay.channels):
            key = relay.state_key(channel)
            description = BinarySensorEntityDescription(
                key=key,
                translation_key="relay" if relay.channels == 1 else "relay_channel",
                translation_placeholders={"channel": str(channel + 1)},
                device_class=BinarySensorDeviceClass.POWER,
            )
            entities.append(RelaySensor(coordinator, meter, description))
    async_add_entities(entities)


class RelaySensor(MeterEntity, BinarySensorEntity):
    """Whether a relay is closed (supply on), as read back from the meter."""

    @property
    def is_on(self) -> bool | None:
        """Closed relay is on."""
        reading = self.reading
        return None if reading is None else reading.relays.get(self.entity_description.key)
