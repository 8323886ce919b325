"""Buttons: scan the gateway's bus (landlord); each room's tenant-safe supply controls.

"Restore after warning" and "use emergency credit" are for tenants: every user may press
them, and the supply policy decides whether they apply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import operations as op
from .coordinator import PrepaidPowerConfigEntry
from .entity import GatewayEntity, RoomEntity, RoomEntityDescription, async_add_room_entities

PARALLEL_UPDATES = 1

SCAN_DESCRIPTION = ButtonEntityDescription(
    key="scan", translation_key="scan", entity_category=EntityCategory.CONFIG
)


@dataclass(frozen=True, kw_only=True)
class RoomButtonDescription(RoomEntityDescription, ButtonEntityDescription):
    """A tenant-safe supply control: `press_fn(hass, caller, room device id)`, an operation."""

    press_fn: Callable[[HomeAssistant, op.Caller, str], Awaitable[object]]


ROOM_BUTTONS: tuple[RoomButtonDescription, ...] = (
    RoomButtonDescription(
        key="restore_after_warning",
        translation_key="restore_after_warning",
        press_fn=op.restore_after_warning,
        exists_fn=lambda room, _control: room.settings.warning_cut_level is not None,
    ),
    RoomButtonDescription(
        key="use_emergency_credit",
        translation_key="use_emergency_credit",
        press_fn=op.use_emergency_credit,
        exists_fn=lambda room, _control: room.settings.emergency_credit_amount > 0,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrepaidPowerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the gateway's scan button and every room's tenant-safe buttons."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities([ScanButton(coordinator, SCAN_DESCRIPTION)])
    async_add_room_entities(
        hass,
        entry,
        async_add_entities,
        Platform.BUTTON,
        entity_class=RoomButton,
        descriptions=ROOM_BUTTONS,
    )


class ScanButton(GatewayEntity, ButtonEntity):
    """Probe the configured slave-id range and add meters that are new."""

    async def async_press(self) -> None:
        """Scan between polls; new meters reload the gateway with their devices."""
        await op.scan_for_meters(
            self.hass, op.Caller.of(self._context), self.coordinator.config_entry
        )


class RoomButton(RoomEntity, ButtonEntity):
    """A tenant-safe supply control (refusals come translated from the operation)."""

    entity_description: RoomButtonDescription

    async def async_press(self) -> None:
        """Apply the operation; the policy decides the supply at once."""
        await self.entity_description.press_fn(
            self.hass, op.Caller.of(self._context), self.room.device_id
        )
