"""Base entities: one for the gateway device, one for each meter device."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .bus.poll import MeterReading
from .compat import with_parent
from .const import CONF_ALL_METER_VALUES, DOMAIN, room_identifier
from .coordinator import GatewayCoordinator, Meter, PrepaidPowerConfigEntry
from .profiles import Profile, Register
from .rooms import Room, RoomState
from .supply import RoomControl


def gateway_identifier(entry: PrepaidPowerConfigEntry) -> tuple[str, str]:
    """Device registry identifier of a gateway."""
    return (DOMAIN, entry.entry_id)


def gateway_device_info(entry: PrepaidPowerConfigEntry) -> DeviceInfo:
    """The gateway's device."""
    return DeviceInfo(
        identifiers={gateway_identifier(entry)},
        manufacturer="Prepaid Power",
        model="Modbus gateway",
        name=entry.title,
    )


def meter_identifier(entry: PrepaidPowerConfigEntry, slave_id: int) -> tuple[str, str]:
    """Device registry identifier of a meter on a gateway."""
    return (DOMAIN, f"{entry.entry_id}-meter-{slave_id}")


def meter_unique_id(entry: PrepaidPowerConfigEntry, slave_id: int, key: str) -> str:
    """Unique id of a meter's entity."""
    return f"{entry.entry_id}-meter-{slave_id}-{key}"


def offers_all_meter_values(entry: PrepaidPowerConfigEntry) -> bool:
    """Whether the gateway's meters get a sensor for every value and bus statistic.

    Off by default: then a meter has the values its profile enables by default (energy,
    power) and its relay. Every entity costs Home Assistant memory even while disabled (its
    registry entry): the ~9 rarely used values per meter add 29 MB in a 640-room building.
    """
    return bool(entry.options.get(CONF_ALL_METER_VALUES, False))


def offered_registers(entry: PrepaidPowerConfigEntry, profile: Profile) -> tuple[Register, ...]:
    """The registers of a meter that get a sensor."""
    if offers_all_meter_values(entry):
        return profile.registers
    return tuple(register for register in profile.registers if register.enabled_by_default)


@callback
def async_remove_stale_entities(
    hass: HomeAssistant, platform: Platform, unique_ids: Iterable[str]
) -> None:
    """Remove the registry entries of entities no longer offered (a rule or an option was
    switched off), so they do not linger as unavailable."""
    registry = er.async_get(hass)
    for unique_id in unique_ids:
        if entity_id := registry.async_get_entity_id(platform, DOMAIN, unique_id):
            registry.async_remove(entity_id)


_UNWRITTEN = object()


class PrepaidPowerEntity(CoordinatorEntity[GatewayCoordinator]):
    """Writes its state after a poll cycle only when what it shows has changed.

    Every write reaches HA's state machine: a `state_changed` row for the recorder, or a
    `state_reported` event when nothing changed. A building of 640 rooms has ~15,000
    entities, most of which show the same thing as 10 s ago.
    """

    _written: object = _UNWRITTEN
    # The meter whose reading this entity shows or follows (None: the gateway's own).
    _slave_id: int | None = None

    def _shown(self) -> object:
        """What a state write would show: availability, the value, extra attributes."""
        value = getattr(self, "native_value", None)
        if value is None:
            value = getattr(self, "is_on", None)
        return (self.available, value, self.extra_state_attributes)

    async def async_added_to_hass(self) -> None:
        """The first state write shares the update's context too (see the coordinator)."""
        await super().async_added_to_hass()
        self.async_set_context(self.coordinator.context_for(self._slave_id))

    @callback
    def _handle_coordinator_update(self) -> None:
        """After a poll cycle, write only a change.

        Our entities change only through coordinator updates (actions refresh the rooms
        through the coordinator too), so the last write made here is what HA shows.
        """
        shown = self._shown()
        if shown != self._written:
            self._written = shown
            self.async_set_context(self.coordinator.context_for(self._slave_id))
            self.async_write_ha_state()


class GatewayEntity(PrepaidPowerEntity):
    """An entity of the gateway device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: GatewayCoordinator, description: EntityDescription) -> None:
        """Attach to the gateway device."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self._attr_unique_id = f"{entry.entry_id}-{description.key}"
        self._attr_device_info = gateway_device_info(entry)


class MeterEntity(PrepaidPowerEntity):
    """An entity of one meter's device."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: GatewayCoordinator, meter: Meter, description: EntityDescription
    ) -> None:
        """Attach to the meter's device, which hangs off the gateway."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        profile = meter.profile
        self.meter = meter
        self._slave_id = meter.slave_id
        self.entity_description = description
        self._attr_unique_id = meter_unique_id(entry, meter.slave_id, description.key)
        self._attr_device_info = with_parent(
            DeviceInfo(
                identifiers={meter_identifier(entry, meter.slave_id)},
                manufacturer=profile.manufacturer,
                model=profile.model,
                model_id=profile.id,
                serial_number=None if meter.serial_number is None else str(meter.serial_number),
                translation_key="meter",
                translation_placeholders={"slave_id": str(meter.slave_id), "model": profile.model},
            ),
            entry.runtime_data.gateway_device_id,
            gateway_identifier(entry),
        )

    @property
    def reading(self) -> MeterReading | None:
        """This meter's reading of the last poll cycle."""
        return self.coordinator.data.readings.get(self.meter.slave_id)

    @property
    def available(self) -> bool:
        """Unavailable while the gateway or this meter does not answer."""
        reading = self.reading
        return super().available and reading is not None and reading.available


def room_unique_id(room: Room, key: str) -> str:
    """Unique id of a room's entity."""
    return f"{room.subentry_id}-{key}"


@dataclass(frozen=True, kw_only=True)
class RoomEntityDescription(EntityDescription):
    """A room entity: whether the room has it. A control of a rule the room does not use
    (no emergency credit, no warning cut, no actuator) is left out rather than shown dead."""

    exists_fn: Callable[[Room, RoomControl], bool] = lambda _room, _control: True


def async_add_room_entities(
    hass: HomeAssistant,
    entry: PrepaidPowerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    platform: Platform,
    *,
    entity_class: type[RoomEntity],
    descriptions: Iterable[RoomEntityDescription],
) -> None:
    """Add every room's entities of a platform to the room's subentry; a registry entry of
    one a room no longer has (its rule was switched off in the room's settings) is removed."""
    coordinator = entry.runtime_data.coordinator
    rooms = entry.runtime_data.rooms
    for room in rooms.rooms.values():
        control = entry.runtime_data.supply.controls[room.subentry_id]
        entities: list[RoomEntity] = []
        stale: list[str] = []
        for description in descriptions:
            if description.exists_fn(room, control):
                entities.append(entity_class(coordinator, room, description))
            else:
                stale.append(room_unique_id(room, description.key))
        async_remove_stale_entities(hass, platform, stale)
        async_add_entities(entities, config_subentry_id=room.subentry_id)


class RoomEntity(PrepaidPowerEntity):
    """An entity of a room's device (tenant-facing; survives a meter replacement)."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: GatewayCoordinator, room: Room, description: EntityDescription
    ) -> None:
        """Attach to the room's device."""
        super().__init__(coordinator)
        self.room = room
        self._slave_id = room.slave_id
        self.entity_description = description
        self._attr_unique_id = room_unique_id(room, description.key)
        self._attr_device_info = DeviceInfo(identifiers={room_identifier(room.subentry_id)})

    @property
    def room_state(self) -> RoomState | None:
        """The room's billing and supply after the last poll cycle."""
        return self.coordinator.data.rooms.get(self.room.subentry_id)

    @property
    def available(self) -> bool:
        """Available once the room has been billed at least once."""
        return super().available and self.room_state is not None
