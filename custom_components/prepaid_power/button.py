"""Buttons: scan the gateway's bus (landlord); each room's tenant-safe supply controls.

"Restore after warning" and "use emergency credit" are for tenants: every user may press
them, and the supply policy decides whether they apply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .access import async_require_landlord
from .bus.errors import BusError
from .bus.scan import model_corrections, scan_bus
from .compat import InputRefused
from .config_flow import meters_data, model_issue_id
from .const import (
    CONF_FIRST_ID,
    CONF_LAST_ID,
    CONF_METERS,
    CONF_PROFILE,
    CONF_SLAVE_ID,
    DEFAULT_FIRST_ID,
    DEFAULT_LAST_ID,
    DOMAIN,
    ISSUE_MODEL_CHANGE,
    LOGGER,
    SCAN_TIMEOUT_S,
)
from .control import SupplyOperationError, restore_after_warning
from .coordinator import GatewayCoordinator, PrepaidPowerConfigEntry
from .entity import GatewayEntity, RoomEntity, RoomEntityDescription, async_add_room_entities
from .rooms import Room

PARALLEL_UPDATES = 1

SCAN_DESCRIPTION = ButtonEntityDescription(
    key="scan", translation_key="scan", entity_category=EntityCategory.CONFIG
)


@dataclass(frozen=True, kw_only=True)
class RoomButtonDescription(RoomEntityDescription, ButtonEntityDescription):
    """A tenant-safe supply control: `press_fn(coordinator, room, context of the press)`."""

    press_fn: Callable[[GatewayCoordinator, Room, Context | None], Awaitable[object]]


async def _restore(coordinator: GatewayCoordinator, room: Room, context: Context | None) -> None:
    coordinator.operate(room, restore_after_warning(room.memory), context)


ROOM_BUTTONS: tuple[RoomButtonDescription, ...] = (
    RoomButtonDescription(
        key="restore_after_warning",
        translation_key="restore_after_warning",
        press_fn=_restore,
        exists_fn=lambda room, _control: room.settings.warning_cut_level is not None,
    ),
    RoomButtonDescription(
        key="use_emergency_credit",
        translation_key="use_emergency_credit",
        press_fn=lambda coordinator, room, context: coordinator.async_take_emergency_credit(
            room, context
        ),
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
        known = {meter[CONF_SLAVE_ID]: meter[CONF_PROFILE] for meter in entry.data[CONF_METERS]}
        corrections = model_corrections(result, known, profile_set.profiles)
        for found in result.meters:
            if found.slave_id in known and found not in corrections:
                # The scan agrees with the stored model now: an older offer is void.
                ir.async_delete_issue(self.hass, DOMAIN, model_issue_id(entry, found.slave_id))
        for found in corrections:
            # Another model than the stored one: the landlord confirms the correction.
            stored = profile_set.profiles.get(known[found.slave_id])
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                model_issue_id(entry, found.slave_id),
                is_fixable=True,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_MODEL_CHANGE,
                translation_placeholders={
                    "slave_id": str(found.slave_id),
                    "gateway": entry.title,
                    "stored": stored.model if stored else known[found.slave_id],
                    "found": found.model,
                },
                data={
                    "entry_id": entry.entry_id,
                    "slave_id": found.slave_id,
                    "profile_id": found.profile_id,
                },
            )
        new = tuple(meter for meter in result.meters if meter.slave_id not in known)
        LOGGER.info("Scan of %s found %d new meter(s)", entry.title, len(new))
        if new:
            self.hass.config_entries.async_update_entry(
                entry,
                data={**entry.data, CONF_METERS: [*entry.data[CONF_METERS], *meters_data(new)]},
            )


class RoomButton(RoomEntity, ButtonEntity):
    """A tenant-safe supply control; refusals are translated validation errors."""

    entity_description: RoomButtonDescription

    async def async_press(self) -> None:
        """Apply the operation; the policy decides the supply at once."""
        try:
            await self.entity_description.press_fn(self.coordinator, self.room, self._context)
        except SupplyOperationError as err:
            raise InputRefused(
                translation_domain=DOMAIN,
                translation_key=err.reason,
                translation_placeholders={"room": self.room.name},
            ) from err
