"""Switches of a room (landlord only): automatic supply, protected ("keep power on").

The automatic-supply switch (key `supply`) is the landlord's override, not a view of the relay: off forces the supply
off (reason "switched off from the dashboard"), on gives the room back to the policy
(`set_supply auto`), so it may stay off for a policy reason (shown by the supply-state
sensor). The protected switch keeps power on regardless of balance.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import operations as op
from .control import SupplyMemory
from .coordinator import PrepaidPowerConfigEntry
from .entity import RoomEntity, RoomEntityDescription, async_add_room_entities

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class RoomSwitchDescription(RoomEntityDescription, SwitchEntityDescription):
    """A landlord override of a room's supply: its state, and the operation that sets it."""

    is_on_fn: Callable[[SupplyMemory], bool]
    set_fn: Callable[[HomeAssistant, op.Caller, str, bool], Awaitable[None]]


SWITCHES: tuple[RoomSwitchDescription, ...] = (
    RoomSwitchDescription(
        key="supply",
        translation_key="supply",
        is_on_fn=lambda memory: memory.forced_off_reason is None,
        set_fn=op.set_automatic_supply,
    ),
    RoomSwitchDescription(
        key="protected",
        translation_key="protected",
        is_on_fn=lambda memory: memory.protected,
        set_fn=op.set_protected,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrepaidPowerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the landlord's switches to every room."""
    async_add_room_entities(
        hass,
        entry,
        async_add_entities,
        Platform.SWITCH,
        entity_class=RoomSwitch,
        descriptions=SWITCHES,
    )


class RoomSwitch(RoomEntity, SwitchEntity):
    """A landlord override; refuses non-admin users."""

    entity_description: RoomSwitchDescription

    @property
    def is_on(self) -> bool:
        """The override as the room's memory holds it."""
        state = self.room_state
        return state is not None and self.entity_description.is_on_fn(state.memory)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch on (landlord only)."""
        await self._async_set(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch off (landlord only)."""
        await self._async_set(False)

    async def _async_set(self, on: bool) -> None:
        await self.entity_description.set_fn(
            self.hass, op.Caller.of(self._context), self.room.device_id, on
        )
