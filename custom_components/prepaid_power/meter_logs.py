"""Prepaid meters' own logs (recharges, relay actions): read at start and every hour for the
meters whose profile declares them, kept in memory for their diagnostic sensors and the
config entry's diagnostics. Never in the poll: one read per log, queued behind the polls.

What the meter records is its own story (its own balance and clock): the ledger stays the
landlord's record of money, and nothing here bills or switches anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .bus.client import ModbusBus
from .bus.errors import BusError
from .bus.records import RECORDS_INTERVAL, MeterRecord, read_records
from .const import LOGGER
from .profiles import Profile, RecordKind


class MeterLogs:
    """The newest records of each meter's logs, and when and how they were last read."""

    def __init__(
        self,
        hass: HomeAssistant,
        bus: ModbusBus,
        profiles: Mapping[int, Profile],
        on_change: Callable[[], None],
    ) -> None:
        """`profiles`: the gateway's meters; only those with logs are read."""
        self.hass = hass
        self._bus = bus
        self.profiles = {slave: p for slave, p in profiles.items() if p.records}
        self._on_change = on_change
        self.records: dict[int, dict[RecordKind, tuple[MeterRecord, ...]]] = {}
        self.read_at: dict[int, datetime] = {}
        self.errors: dict[int, str] = {}

    @callback
    def async_start(self, entry: ConfigEntry) -> None:
        """Read now (in the background: setup does not wait for it), then every hour."""
        if not self.profiles:
            return
        entry.async_create_background_task(
            self.hass, self.async_read(), f"{entry.entry_id} meter logs"
        )
        entry.async_on_unload(
            async_track_time_interval(self.hass, self._async_tick, RECORDS_INTERVAL)
        )

    async def _async_tick(self, _now: datetime) -> None:
        await self.async_read()

    async def async_read(self) -> None:
        """Read every log once; a meter that does not answer keeps its last records."""
        for slave, profile in self.profiles.items():
            try:
                self.records[slave] = await read_records(self._bus, slave, profile)
            except BusError as err:
                self.errors[slave] = str(err)
                LOGGER.debug("Meter %s: its own logs were not read: %s", slave, err)
                continue
            self.errors.pop(slave, None)
            self.read_at[slave] = dt_util.utcnow()
        self._on_change()

    def latest(self, slave: int, kind: RecordKind) -> MeterRecord | None:
        """The meter's newest record of a kind (None: none read)."""
        found = self.records.get(slave, {}).get(kind, ())
        return found[0] if found else None

    def as_dict(self) -> dict[str, Any]:
        """For the config entry's diagnostics: every meter's records as read."""
        return {
            str(slave): {
                "read_at": None if slave not in self.read_at else self.read_at[slave].isoformat(),
                "error": self.errors.get(slave),
                **{
                    kind.value: [r.as_dict() for r in self.records.get(slave, {}).get(kind, ())]
                    for kind in RecordKind
                },
            }
            for slave in self.profiles
        }
