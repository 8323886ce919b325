"""Backup platform: HA copies the ledger files while it runs, so hold the ledgers still.

Before the copy every loaded gateway's ledger checkpoints its WAL into the database file and
holds its writes (calls made meanwhile wait, in order); after the copy they run. A restored
backup therefore holds exactly the entries acknowledged before the backup began.
"""

from __future__ import annotations

import asyncio

from homeassistant.core import HomeAssistant

from .const import DOMAIN
from .coordinator import PrepaidPowerConfigEntry


def _loaded(hass: HomeAssistant) -> list[PrepaidPowerConfigEntry]:
    return hass.config_entries.async_loaded_entries(DOMAIN)


async def async_pre_backup(hass: HomeAssistant) -> None:
    """Checkpoint and pause every ledger; if one fails, resume the others and re-raise."""
    entries = _loaded(hass)
    results = await asyncio.gather(
        *(entry.runtime_data.rooms.billing.pause() for entry in entries),
        return_exceptions=True,
    )
    for result in results:
        if isinstance(result, BaseException):
            await async_post_backup(hass)
            raise result


async def async_post_backup(hass: HomeAssistant) -> None:
    """Resume every ledger's held writes."""
    await asyncio.gather(*(entry.runtime_data.rooms.billing.resume() for entry in _loaded(hass)))
