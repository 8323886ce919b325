"""Threshold numbers of a room (landlord only, config category).

A change is validated by the supply policy's own settings check, then written into the room's
subentry data (the same place the room's reconfigure form edits), which reloads the gateway
with the new settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from homeassistant.components.number import NumberEntity, NumberEntityDescription, NumberMode
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import operations as op, settings
from .coordinator import GatewayCoordinator, PrepaidPowerConfigEntry
from .entity import RoomEntity, RoomEntityDescription, async_add_room_entities
from .rooms import Room

PARALLEL_UPDATES = 1
MAX_MONEY = 100000


@dataclass(frozen=True, kw_only=True)
class ThresholdDescription(RoomEntityDescription, NumberEntityDescription):
    """One money threshold, by its subentry key (`settings.THRESHOLDS`).

    Disabled until enabled: the room's settings form holds the same values, and four
    entities per room cost a building of hundreds of rooms real memory.
    """

    entity_registry_enabled_default: bool = False


THRESHOLDS: tuple[ThresholdDescription, ...] = tuple(
    ThresholdDescription(key=key, translation_key=key) for key in settings.THRESHOLDS
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrepaidPowerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the threshold numbers to every room."""
    async_add_room_entities(
        hass,
        entry,
        async_add_entities,
        Platform.NUMBER,
        entity_class=ThresholdNumber,
        descriptions=THRESHOLDS,
    )


class ThresholdNumber(RoomEntity, NumberEntity):
    """A money threshold of the room's supply policy."""

    entity_description: ThresholdDescription
    _attr_entity_category = EntityCategory.CONFIG
    _attr_mode = NumberMode.BOX
    _attr_native_min_value = 0
    _attr_native_max_value = MAX_MONEY

    def __init__(
        self,
        coordinator: GatewayCoordinator,
        room: Room,
        description: ThresholdDescription,
    ) -> None:
        """Money in HA's currency, in steps of its minor unit."""
        super().__init__(coordinator, room, description)
        currency = coordinator.rooms.currency
        self._attr_native_unit_of_measurement = currency.code
        self._attr_native_step = float(Decimal(1).scaleb(-currency.exponent))

    @property
    def native_value(self) -> float | None:
        """The threshold now (None: the rule is off)."""
        value = getattr(self.room.settings, settings.THRESHOLDS[self.entity_description.key])
        return None if value is None else float(value)

    async def async_set_native_value(self, value: float) -> None:
        """Validate with the policy's settings, then store in the room's subentry."""
        await op.set_threshold(
            self.hass,
            op.Caller.of(self._context),
            self.room.device_id,
            self.entity_description.key,
            value,
        )
