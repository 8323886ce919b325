"""Binary sensors: each meter relay (or relay-board channel); each room's supply alerts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .compat import BinarySensorDeviceClass
from .control import CutOffMode
from .coordinator import PrepaidPowerConfigEntry
from .entity import MeterEntity, RoomEntity, RoomEntityDescription, async_add_room_entities
from .rooms import Room, RoomState

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class RoomBinarySensorDescription(RoomEntityDescription, BinarySensorEntityDescription):
    """A supply alert of a room."""

    value_fn: Callable[[Room, RoomState], bool | None]


def _low_balance(room: Room, state: RoomState) -> bool | None:
    balance, level = state.summary.live_balance, room.settings.low_level
    if state.vacant or balance is None or level is None:
        return None
    return balance <= level


ROOM_BINARY_SENSORS: tuple[RoomBinarySensorDescription, ...] = (
    RoomBinarySensorDescription(
        key="low_balance",
        translation_key="low_balance",
        value_fn=_low_balance,
    ),
    RoomBinarySensorDescription(
        key="cut_off_due",
        translation_key="cut_off_due",
        value_fn=lambda _room, state: (
            None if state.decision is None else state.decision.cut_off_due
        ),
        # What an automation acts on when the room leaves the cut to it.
        exists_fn=lambda room, _control: room.settings.cut_off_mode is CutOffMode.AUTOMATION,
    ),
    RoomBinarySensorDescription(
        key="relay_fault",
        translation_key="relay_fault",
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda _room, state: state.relay_fault,
        exists_fn=lambda _room, control: control.actuator is not None,
        # A fault also shows as the supply state, a repair issue and an event.
        entity_registry_enabled_default=False,
    ),
)


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
    async_add_room_entities(
        hass,
        entry,
        async_add_entities,
        Platform.BINARY_SENSOR,
        entity_class=RoomBinarySensor,
        descriptions=ROOM_BINARY_SENSORS,
    )


class RelaySensor(MeterEntity, BinarySensorEntity):
    """Whether a relay is closed (supply on), as read back from the meter."""

    @property
    def is_on(self) -> bool | None:
        """Closed relay is on."""
        reading = self.reading
        return None if reading is None else reading.relays.get(self.entity_description.key)


class RoomBinarySensor(RoomEntity, BinarySensorEntity):
    """Low balance, cut-off due or relay fault of a room."""

    entity_description: RoomBinarySensorDescription

    @property
    def is_on(self) -> bool | None:
        """The alert after the last decision."""
        state = self.room_state
        if state is None:
            return None
        return self.entity_description.value_fn(self.room, state)
