"""The house (main) meter of a gateway: each local day, main - Σ the meters behind it, a
repair issue while a day's difference is above the landlord's threshold, and an event.

The day's arithmetic is `billing.house` (pure); this module feeds it every new poll, keeps
its state across restarts (a Store) and tells HA.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .billing.house import HouseBalance, HouseDay, Threshold
from .bus.poll import MeterReading
from .const import (
    CONF_METER,
    CONF_THRESHOLD_KWH,
    CONF_THRESHOLD_PERCENT,
    DOMAIN,
    EVENT_HOUSE_DIFFERENCE,
    ISSUE_HOUSE_DIFFERENCE,
    LOGGER,
    SUBENTRY_HOUSE_METER,
)
from .rooms import current_reading

STORAGE_VERSION = 1
# A reading older than this at the poll is not taken for the poll (the meter did not answer).
STALE_AFTER = timedelta(minutes=5)


def house_subentry(entry: ConfigEntry) -> ConfigSubentry | None:
    """The gateway's house meter subentry (at most one)."""
    for sub in entry.subentries.values():
        if sub.subentry_type == SUBENTRY_HOUSE_METER:
            return sub
    return None


def house_threshold(data: Mapping[str, Any]) -> Threshold:
    """The landlord's threshold as the subentry stores it (text; empty: not checked)."""

    def opt(key: str) -> Decimal | None:
        text = str(data.get(key) or "").strip()
        return Decimal(text) if text else None

    return Threshold(kwh=opt(CONF_THRESHOLD_KWH), percent=opt(CONF_THRESHOLD_PERCENT))


def day_attributes(day: HouseDay | None) -> dict[str, Any]:
    """What a house sensor says about its day: whether it was judged and, if not, why."""
    if day is None:
        return {"judged": False, "missing_meters": []}
    return {
        "day": day.day.isoformat(),
        "judged": day.judged,
        "missing_meters": list(day.missing),
        "main_kwh": None if day.main_kwh is None else float(day.main_kwh),
        "sub_kwh": None if day.sub_kwh is None else float(day.sub_kwh),
    }


def poll_values(
    readings: Mapping[int, MeterReading], energy_keys: Mapping[int, str]
) -> tuple[datetime, dict[int, Decimal | None]]:
    """A snapshot's poll time and each meter's energy counter in it (None: not read at that
    poll — a reading older than `STALE_AFTER` is not the poll's)."""
    times = [r.read_at for r in readings.values() if r.available and r.read_at is not None]
    at = max(times, default=None) or dt_util.utcnow()
    values: dict[int, Decimal | None] = {}
    for slave, key in energy_keys.items():
        reading = readings.get(slave)
        read_at = None if reading is None else reading.read_at
        fresh = read_at is not None and at - read_at <= STALE_AFTER
        values[slave] = current_reading(readings, slave, key) if fresh else None
    return at, values


def async_house_meter(
    hass: HomeAssistant, entry: ConfigEntry, energy_keys: Mapping[int, str]
) -> HouseMeter | None:
    """The gateway's house meter if the landlord named one that is on the bus."""
    subentry = house_subentry(entry)
    if subentry is None or int(subentry.data[CONF_METER]) not in energy_keys:
        return None
    return HouseMeter(hass, entry, subentry, energy_keys)


class HouseMeter:
    """Follows the gateway's house meter and every other energy meter on its bus."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        subentry: ConfigSubentry,
        energy_keys: Mapping[int, str],
    ) -> None:
        """`energy_keys`: every energy meter of the gateway (the main one included)."""
        self.hass = hass
        self.entry = entry
        self.main = int(subentry.data[CONF_METER])
        self.threshold = house_threshold(subentry.data)
        self._energy_keys = dict(energy_keys)
        self.balance = HouseBalance(
            main=self.main,
            subs=tuple(sorted(slave for slave in energy_keys if slave != self.main)),
            tz=ZoneInfo(hass.config.time_zone),
        )
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.house.{entry.entry_id}"
        )
        self._seen: datetime | None = None

    @property
    def issue_id(self) -> str:
        return f"{ISSUE_HOUSE_DIFFERENCE}_{self.entry.entry_id}"

    async def async_start(self) -> None:
        """Take up the day's start readings kept before a restart."""
        if (stored := await self._store.async_load()) is not None:
            self.balance.restore(stored)

    async def async_stop(self) -> None:
        """Keep the day's start readings now (a reload must not wait for the delayed save)."""
        await self._store.async_save(self.balance.to_dict())

    @callback
    def async_observe(self, readings: Mapping[int, MeterReading]) -> None:
        """A new snapshot: take its poll (once), judge a day that ended with it."""
        at, values = poll_values(readings, self._energy_keys)
        if self._seen is not None and at <= self._seen:
            return
        self._seen = at
        day = self.balance.day
        ended = self.balance.observe(at, values)
        if ended is not None:
            self._judge(ended)
        if self.balance.day != day:
            # A new day's start readings: kept, so a restart during the day loses nothing.
            self._store.async_delay_save(self.balance.to_dict, 1)

    def _judge(self, day: HouseDay) -> None:
        """Raise the repair for a day above the threshold, clear it for one under it; a day
        that could not be judged changes nothing (its sensors say why)."""
        exceeded = self.threshold.exceeded(day)
        if exceeded is None:
            LOGGER.info(
                "%s: house meter difference of %s not judged: meters %s were not read",
                self.entry.title,
                day.day,
                ", ".join(str(slave) for slave in day.missing),
            )
            return
        if not exceeded:
            ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
            return
        figures = {
            "gateway": self.entry.title,
            "meter": str(self.main),
            "day": day.day.isoformat(),
            "main_kwh": str(day.main_kwh),
            "sub_kwh": str(day.sub_kwh),
            "difference_kwh": str(day.difference_kwh),
            "difference_percent": str(day.difference_percent or "-"),
        }
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self.issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_HOUSE_DIFFERENCE,
            translation_placeholders=figures,
        )
        self.hass.bus.async_fire(
            EVENT_HOUSE_DIFFERENCE,
            {
                "entry_id": self.entry.entry_id,
                **figures,
                "difference_percent": None
                if day.difference_percent is None
                else str(day.difference_percent),
            },
        )
