"""Common-area meters of a gateway: each ended local day, the meter's energy (measured as
the house meter measures a day) at its price is shared into the chosen rooms' accounts by
the billing core (`BillingCore.book_common_day`), and an event says who carried what.

A day the meter was not read at both midnights is not booked (logged; nothing guessed).
The day's start readings survive a restart (a Store); a day is booked once by the ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .billing.common import CommonDay, Method
from .billing.core import BillingCore
from .billing.house import HouseBalance, HouseDay
from .billing.statement import account_owners
from .bus.poll import MeterReading
from .const import (
    CONF_METER,
    CONF_PRICE,
    CONF_SHARE_METHOD,
    CONF_SHARED_BY,
    DOMAIN,
    EVENT_COMMON_AREA_BOOKED,
    LOGGER,
    SUBENTRY_COMMON_METER,
)
from .house import poll_values
from .rooms import Rooms

STORAGE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Booked:
    """A booked day as HA shows it: the core's day and each share by room name."""

    day: CommonDay
    rooms: tuple[tuple[str, Decimal], ...]


class CommonMeter:
    """One common meter: its day's start reading and the last day booked."""

    def __init__(self, subentry: ConfigSubentry, energy_key: str, tz: ZoneInfo) -> None:
        self.subentry_id = subentry.subentry_id
        self.name = str(subentry.data[CONF_NAME])
        self.slave = int(subentry.data[CONF_METER])
        self.price = Decimal(str(subentry.data[CONF_PRICE]))
        self.rooms = tuple(str(room) for room in subentry.data[CONF_SHARED_BY])
        method: Method = subentry.data.get(CONF_SHARE_METHOD, "equal")
        self.method = method
        self.energy_key = energy_key
        self.balance = HouseBalance(main=self.slave, subs=(), tz=tz)
        self.last: Booked | None = None

    @property
    def meter_key(self) -> str:
        """The meter in the ledger: its subentry (stable while the landlord edits it)."""
        return self.subentry_id

    @property
    def today(self) -> HouseDay | None:
        """Today so far."""
        return self.balance.today


class CommonAreas:
    """The gateway's common meters, fed by every poll."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        rooms: Rooms,
        energy_keys: Mapping[int, str],
        on_booked: Callable[[], Any],
    ) -> None:
        tz = ZoneInfo(hass.config.time_zone)
        self.hass = hass
        self.entry = entry
        self._rooms = rooms
        self._on_booked = on_booked
        self.meters = {
            sub.subentry_id: CommonMeter(sub, energy_keys[int(sub.data[CONF_METER])], tz)
            for sub in entry.subentries.values()
            if sub.subentry_type == SUBENTRY_COMMON_METER
            and int(sub.data[CONF_METER]) in energy_keys
        }
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.common.{entry.entry_id}"
        )

    async def async_start(self) -> None:
        """Take up the days' start readings kept before a restart, and the last booked days."""
        stored = await self._store.async_load() or {}
        for meter in self.meters.values():
            if (state := stored.get(meter.subentry_id)) is not None:
                meter.balance.restore(state)
        keys = [meter.meter_key for meter in self.meters.values()]
        found = await self._rooms.billing.run(lambda core: _last_booked(core, keys))
        for meter in self.meters.values():
            meter.last = found.get(meter.meter_key)

    async def async_stop(self) -> None:
        """Keep the start readings now (a reload must not wait for the delayed save)."""
        await self._store.async_save(self._state())

    def _state(self) -> dict[str, Any]:
        return {key: meter.balance.to_dict() for key, meter in self.meters.items()}

    @callback
    def async_observe(self, readings: Mapping[int, MeterReading]) -> None:
        """A new snapshot: a day that ended with it is booked in the background."""
        changed = False
        for meter in self.meters.values():
            at, values = poll_values(readings, {meter.slave: meter.energy_key})
            day = meter.balance.day
            ended = meter.balance.observe(at, values)
            changed |= meter.balance.day != day
            if ended is None:
                continue
            if ended.main_kwh is None:
                LOGGER.info(
                    "%s: common meter %s was not read at both midnights of %s: not shared",
                    self.entry.title,
                    meter.name,
                    ended.day,
                )
                continue
            self.entry.async_create_background_task(
                self.hass,
                self.async_book(meter, ended.day, ended.main_kwh),
                f"{self.entry.entry_id} common area {meter.name}",
            )
        if changed:
            self._store.async_delay_save(self._state, 1)

    async def async_book(self, meter: CommonMeter, day: date, kwh: Decimal) -> Booked:
        """Share the meter's day through the core, tell HA, and refresh the rooms."""

        def book(core: BillingCore) -> Booked:
            booked = core.book_common_day(
                meter.meter_key, meter.name, day, kwh, meter.price, meter.rooms, meter.method
            )
            return _named(core, booked)

        booked = await self._rooms.billing.run(book)
        meter.last = booked
        self.hass.bus.async_fire(
            EVENT_COMMON_AREA_BOOKED,
            {
                "entry_id": self.entry.entry_id,
                "meter": meter.slave,
                "name": meter.name,
                "day": day.isoformat(),
                "kwh": str(booked.day.kwh),
                "cost": str(booked.day.cost),
                "method": booked.day.method,
                "shares": [{"room": room, "amount": str(amount)} for room, amount in booked.rooms],
                "landlord_share": str(booked.day.landlord_share),
            },
        )
        await self._on_booked()
        return booked


def _named(core: BillingCore, booked: CommonDay) -> Booked:
    """A booked day's shares by room name (the account's room)."""
    owners = account_owners(core)
    return Booked(
        booked,
        tuple(
            (core.ledger.room_name(owners[s.account_id][0]), s.amount)
            for s in booked.shares
            if s.account_id in owners
        ),
    )


def _last_booked(core: BillingCore, keys: list[str]) -> dict[str, Booked]:
    found: dict[str, Booked] = {}
    for key in keys:
        if days := core.common_days(key, limit=1):
            found[key] = _named(core, days[0])
    return found
