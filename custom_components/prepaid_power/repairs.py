"""Repair flows: the landlord decides what to do with an implausible meter jump."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant

from .compat import RepairsFlowResult
from .config_flow import async_change_meter_model
from .const import ISSUE_MODEL_CHANGE
from .operations import Caller, resolve_suspect


class MeterModelFlow(RepairsFlow):
    """A rescan found a known meter to be another model: the landlord confirms the change."""

    def __init__(self, entry_id: str, slave_id: int, profile_id: str) -> None:
        """Remember which meter and which model."""
        self.entry_id = entry_id
        self.slave_id = slave_id
        self.profile_id = profile_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Ask first."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Confirming stores the scanned model and reloads the gateway."""
        if user_input is not None:
            entry = self.hass.config_entries.async_get_entry(self.entry_id)
            if entry is None or not async_change_meter_model(
                self.hass, entry, self.slave_id, self.profile_id
            ):
                return self.async_abort(reason="meter_gone")
            return self.async_create_entry(data={})
        return self.async_show_form(step_id="confirm")


class SuspectReadingFlow(RepairsFlow):
    """Charge the jump, or discard it as a glitch."""

    def __init__(self, entry_id: str, room_id: str, suspect_id: int) -> None:
        """Remember which reading this is about."""
        self.entry_id = entry_id
        self.room_id = room_id
        self.suspect_id = suspect_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Offer the two answers."""
        return self.async_show_menu(step_id="init", menu_options=["charge", "discard"])

    async def async_step_charge(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Bill the jump."""
        return await self._async_resolve("charge")

    async def async_step_discard(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Drop the jump; billing continues from the suspect reading."""
        return await self._async_resolve("discard")

    async def _async_resolve(self, action: str) -> RepairsFlowResult:
        entry = self.hass.config_entries.async_get_entry(self.entry_id)
        if entry is not None and entry.state is ConfigEntryState.LOADED:
            user_id = self.context.get("user_id") if self.context else None
            await resolve_suspect(
                self.hass,
                Caller.of(Context(user_id=str(user_id)) if user_id else None),
                entry,
                self.room_id,
                self.suspect_id,
                charge=action == "charge",
            )
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The fix flow of a suspect-reading or a meter-model issue."""
    assert data is not None
    if issue_id.startswith(ISSUE_MODEL_CHANGE):
        return MeterModelFlow(
            str(data["entry_id"]), int(str(data["slave_id"])), str(data["profile_id"])
        )
    return SuspectReadingFlow(
        str(data["entry_id"]), str(data["room_id"]), int(str(data["suspect_id"]))
    )
