"""Rooms of one gateway: the ledger, billing of readings and the supply policy, wired to HA.

The rules live in the pure `billing` and `control` packages; this module only feeds them
readings and time, keeps their state, and turns their results into events and repairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
import json
from pathlib import Path
import sqlite3
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .billing.aio import AsyncBilling
from .billing.core import (
    ISSUE_PRICE_ENTITY_UNAVAILABLE,
    BillingCore,
    Issue,
    RoomSummary,
    entity_price_placeholders,
)
from .billing.errors import BillingError
from .billing.money import Currency
from .billing.statement import LandlordTotals, landlord_totals
from .bus.poll import MeterReading
from .compat import with_parent
from .const import (
    CONF_ACCESS,
    CONF_METER,
    CONF_MOVE_IN,
    CONF_OPENING_BALANCE,
    CONF_OPENING_READING,
    CONF_PORTAL_SHOWS_TENANT,
    CONF_TENANT,
    CONF_TENANT_USERS,
    DOMAIN,
    LEDGER_DIR,
    LOGGER,
    ROOM_MODEL,
    SUBENTRY_ROOM,
    room_identifier,
)
from .control import (
    Decision,
    SupplyMemory,
    SupplySettings,
)
from .profiles import Profile
from .settings import currency_of, room_config, room_tariff, supply_settings

STORAGE_VERSION = 1
TOTALS_EVERY = timedelta(minutes=5)
READING_RESOLUTION = Decimal("0.001")


def reading_kwh(value: float) -> Decimal:
    """A meter's energy register as billed: float registers carry binary noise below the
    meters' resolution, so readings are kept to 1 Wh (the same everywhere a reading is used)."""
    return Decimal(str(value)).quantize(READING_RESOLUTION)


def current_reading(
    readings: Mapping[int, MeterReading], slave_id: int, energy_key: str | None
) -> Decimal | None:
    """A meter's energy register from the last poll, as billed; None when it was not read."""
    reading = readings.get(slave_id)
    if reading is None or not reading.available or energy_key is None:
        return None
    value = reading.values.get(energy_key)
    return None if value is None else reading_kwh(value)


@dataclass(slots=True)
class Room:
    """One room subentry while its gateway is loaded: its settings, and the supply policy's
    memory as last decided (written only by `Rooms.set_memory`)."""

    subentry_id: str
    name: str
    slave_id: int
    energy_key: str | None
    settings: SupplySettings
    device_id: str
    memory: SupplyMemory = field(default_factory=SupplyMemory)
    has_allowance: bool = False
    # HA users named as the room's tenants (none: every user may press its tenant buttons).
    tenant_users: frozenset[str] = frozenset()
    portal_shows_tenant: bool = False


@dataclass(frozen=True, slots=True)
class RoomState:
    """What a room's entities show after a poll cycle (part of the coordinator's frozen
    snapshot): its billing, the supply decision and the memory it left, and whether the
    room's actuator is in fault."""

    summary: RoomSummary
    tenant: str | None
    decision: Decision | None
    memory: SupplyMemory = field(default_factory=SupplyMemory)
    relay_fault: bool = False

    @property
    def vacant(self) -> bool:
        """No tenancy: the room is billed to its vacant account (the landlord's)."""
        return self.tenant is None


@dataclass(frozen=True, slots=True)
class Billed:
    """What billing one cycle's readings returned: each room's summary and tenant, and the
    landlord totals when they were due (None: keep the last)."""

    rooms: Mapping[str, tuple[RoomSummary, str | None]]
    totals: LandlordTotals | None


def event_data(
    room: Room, currency: Currency, balance: Decimal | None, **extra: object
) -> dict[str, Any]:
    """The data every room event carries, plus the event's own."""
    return {
        "room_id": room.subentry_id,
        "room": room.name,
        "device_id": room.device_id,
        "balance": None if balance is None else str(balance),
        "currency": currency.code,
        **{key: _event_value(value) for key, value in extra.items()},
    }


def _event_value(value: object) -> object:
    """Event data must be JSON: money as text, instants as ISO strings."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _event_value(v) for k, v in value.items()}
    return value


def _move_in_at_setup(
    core: BillingCore, room_id: str, name: str, move_in: Mapping[str, str]
) -> None:
    """A room added with its tenant living there: the tenancy starts at the reading the form
    saw, with the opening balance as its first top-up (once: the room has no history yet)."""
    balance = move_in[CONF_OPENING_BALANCE]
    try:
        core.move_in(
            room_id,
            move_in[CONF_TENANT],
            move_in[CONF_OPENING_READING],
            first_top_up=balance if Decimal(balance) > 0 else None,
            method="other",
            reference=f"opening-balance-{room_id}",
        )
    except BillingError as err:
        LOGGER.error("%s: the tenant could not be moved in: %s", name, err)


class Rooms:
    """All rooms of one gateway entry: their settings, the ledger (billing on its thread)
    and the supply memory the policy keeps between decisions (stored in HA's storage)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        billing: AsyncBilling,
        store: Store[dict[str, Any]],
        currency: Currency,
    ) -> None:
        """Use `async_open`."""
        self.hass = hass
        self.entry = entry
        self.billing = billing
        self.currency = currency
        self._store = store
        self.rooms: dict[str, Room] = {}
        self._cycle_checked: str | None = None
        self._applied_price: dict[str, str] = {}
        # Landlord totals scan a cycle of entries: refreshed after money operations and
        # every few minutes, not on every poll.
        self._totals_at: datetime | None = None

    @classmethod
    async def async_open(
        cls,
        hass: HomeAssistant,
        entry: ConfigEntry,
        profiles: Mapping[int, Profile],
        gateway_device_id: str,
    ) -> Rooms:
        """Open the gateway's ledger and load its rooms."""
        path = Path(hass.config.path(LEDGER_DIR, f"ledger_{entry.entry_id}.sqlite3"))
        await hass.async_add_executor_job(lambda: path.parent.mkdir(parents=True, exist_ok=True))
        currency = currency_of(hass.config.currency)
        issue_id = f"ledger_broken_{entry.entry_id}"
        try:
            billing = await AsyncBilling.open(
                path,
                currency,
                ZoneInfo(hass.config.time_zone),
                now=dt_util.utcnow,
            )
        except (BillingError, sqlite3.DatabaseError) as err:
            # A damaged ledger (a power cut, a bad restore) is refused, never written to.
            placeholders = {"gateway": entry.title, "path": str(path), "problem": str(err)}
            ir.async_create_issue(
                hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="ledger_broken",
                translation_placeholders=placeholders,
            )
            raise ConfigEntryError(
                translation_domain=DOMAIN,
                translation_key="ledger_broken",
                translation_placeholders=placeholders,
            ) from err
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.rooms.{entry.entry_id}"
        )
        # A ledger keeps the minor unit it was opened with (money is stored in it).
        rooms = cls(hass, entry, billing, store, billing.currency)
        try:
            await rooms._async_load(profiles, gateway_device_id)
        except BaseException:
            await billing.close()
            raise
        return rooms

    async def _async_load(self, profiles: Mapping[int, Profile], gateway_device_id: str) -> None:
        stored = await self._store.async_load() or {}
        memories: Mapping[str, Any] = stored.get("memory", {})
        applied: dict[str, str] = dict(stored.get("applied_price", {}))
        registry = dr.async_get(self.hass)
        subentries = [
            sub for sub in self.entry.subentries.values() if sub.subentry_type == SUBENTRY_ROOM
        ]
        now = dt_util.utcnow()
        configs = {
            sub.subentry_id: room_config(sub.title, sub.data, profiles.get(sub.data[CONF_METER]))
            for sub in subentries
        }
        for room_id, config in configs.items():
            if config.bills_to is not None and config.bills_to not in configs:
                # The payer was deleted: the meter bills its own account again.
                configs[room_id] = replace(config, bills_to=None)
        # Payers first: a linked room's payer must be known when it is linked.
        subentries.sort(key=lambda sub: configs[sub.subentry_id].bills_to is not None)

        def sync(core: BillingCore) -> list[Issue]:
            issues: list[Issue] = []
            for sub in subentries:
                room_id = sub.subentry_id
                core.upsert_room(room_id, configs[room_id])
                tariff = room_tariff(sub.data)
                # What the form last set: the price alone without a tax (as stored before
                # taxes existed), so a restart adds no version.
                form = tariff["price"] if len(tariff) == 2 else json.dumps(tariff, sort_keys=True)
                if not core.tariff_versions(room_id) or applied.get(room_id) != form:
                    issues += core.set_tariff(room_id, tariff)
                    applied[room_id] = form
                if (move_in := sub.data.get(CONF_MOVE_IN)) and not core.ledger.tenancies(room_id):
                    _move_in_at_setup(core, room_id, sub.title, move_in)
            core.ensure_cycle_entries(now)
            return issues

        issues = await self.billing.run(sync)
        for sub in subentries:
            device = registry.async_get_or_create(
                config_entry_id=self.entry.entry_id,
                config_subentry_id=sub.subentry_id,
                **with_parent(
                    DeviceInfo(
                        identifiers={room_identifier(sub.subentry_id)},
                        manufacturer="Prepaid Power",
                        model=ROOM_MODEL,
                        name=sub.title,
                    ),
                    gateway_device_id,
                    (DOMAIN, self.entry.entry_id),
                ),
            )
            profile = profiles.get(sub.data[CONF_METER])
            memory_data = memories.get(sub.subentry_id)
            self.rooms[sub.subentry_id] = Room(
                subentry_id=sub.subentry_id,
                name=sub.title,
                slave_id=sub.data[CONF_METER],
                energy_key=None if profile is None else profile.energy_key,
                settings=supply_settings(sub.data),
                device_id=device.id,
                memory=SupplyMemory.from_dict(memory_data) if memory_data else SupplyMemory(),
                has_allowance=configs[sub.subentry_id].allowance_kwh > 0,
                tenant_users=frozenset(sub.data.get(CONF_ACCESS, {}).get(CONF_TENANT_USERS, [])),
                portal_shows_tenant=sub.data.get(CONF_ACCESS, {}).get(
                    CONF_PORTAL_SHOWS_TENANT, False
                ),
            )
        self._applied_price = applied
        self.raise_issues(issues)
        self._async_save()

    async def async_close(self) -> None:
        """Write pending state and close the ledger."""
        await self._store.async_save(self._store_data())
        await self.billing.close()

    def room_of_device(self, device_id: str) -> Room | None:
        """The room whose device this is."""
        for room in self.rooms.values():
            if room.device_id == device_id:
                return room
        return None

    async def async_bill(self, readings: Mapping[int, MeterReading], now: datetime) -> Billed:
        """Bill this cycle's readings on the ledger thread; raise the issues billing found."""
        energy: dict[str, Decimal] = {}
        for room in self.rooms.values():
            reading = readings.get(room.slave_id)
            if reading is None or not reading.complete or room.energy_key is None:
                continue
            value = reading.values.get(room.energy_key)
            if value is not None:
                energy[room.subentry_id] = reading_kwh(value)
        prices = await self.async_sample_prices(list(energy), now)
        room_ids = list(self.rooms)
        checked = self._cycle_checked
        totals_due = self._totals_at is None or now - self._totals_at >= TOTALS_EVERY

        def bill(
            core: BillingCore,
        ) -> tuple[
            list[Issue], str, LandlordTotals | None, dict[str, tuple[RoomSummary, str | None]]
        ]:
            issues: list[Issue] = []
            for room_id, kwh in energy.items():
                price = prices.get(room_id)
                issues += core.process_reading(room_id, kwh, now, sampled_price=price).issues
            cycles = {core.calendar(room_id).cycle_containing(now).key for room_id in room_ids}
            key = ",".join(sorted(cycles))
            if key != checked:
                core.ensure_cycle_entries(now)
            totals = landlord_totals(core, now) if totals_due else None
            # A vacant room's summary holds what is left of its landlord-paid preset.
            results: dict[str, tuple[RoomSummary, str | None]] = {}
            for room_id in room_ids:
                tenancy = core.tenancy_of(room_id)
                results[room_id] = (
                    core.summary(room_id, now),
                    None if tenancy is None else tenancy.tenant,
                )
            return issues, key, totals, results

        issues, key, totals, results = await self.billing.run(bill)
        self._cycle_checked = key
        if totals is not None:
            self._totals_at = now
        self.raise_issues(issues)
        return Billed(rooms=results, totals=totals)

    async def async_bill_room(self, room_id: str, kwh: Decimal, now: datetime) -> RoomSummary:
        """Bill one room's reading read ahead of polling (the others wait for the poll)."""

        price = (await self.async_sample_prices([room_id], now)).get(room_id)

        def bill(core: BillingCore) -> tuple[list[Issue], RoomSummary]:
            result = core.process_reading(room_id, kwh, now, sampled_price=price)
            return list(result.issues), core.summary(room_id, now)

        issues, summary = await self.billing.run(bill)
        self.raise_issues(issues)
        return summary

    async def async_sample_prices(
        self, room_ids: list[str], now: datetime
    ) -> dict[str, Decimal | None]:
        """Sample the price entity of each room whose tariff in force follows one (the others
        are left out); raise `price_entity_unavailable` while an entity has no usable price,
        remove it once it has one."""
        tariffs = await self.billing.run(
            lambda core: {room_id: core.entity_tariff(room_id, now) for room_id in room_ids}
        )
        prices: dict[str, Decimal | None] = {}
        missing: list[Issue] = []
        for room_id, tariff in tariffs.items():
            issue_id = f"{ISSUE_PRICE_ENTITY_UNAVAILABLE}_{room_id}"
            price = None
            if tariff is not None:
                price = entity_price(self.hass.states.get(tariff.entity_id), self.currency)
                prices[room_id] = price
            if tariff is not None and price is None:
                placeholders = entity_price_placeholders(tariff, tariff.max_price())
                missing.append(Issue(ISSUE_PRICE_ENTITY_UNAVAILABLE, room_id, placeholders))
            else:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        self.raise_issues(missing)
        return prices

    async def async_summary(self, room_id: str, now: datetime) -> RoomSummary:
        """A room's summary now (money moved outside a poll)."""
        return await self.billing.run(lambda core: core.summary(room_id, now))

    async def async_totals(self, now: datetime) -> LandlordTotals:
        """The landlord totals now (money moved outside a poll)."""
        totals = await self.billing.run(lambda core: landlord_totals(core, now))
        self._totals_at = now
        return totals

    def event_data(self, room: Room, balance: Decimal | None, **extra: object) -> dict[str, Any]:
        """The data every room event carries, plus the event's own."""
        return event_data(room, self.currency, balance, **extra)

    def raise_issues(self, issues: list[Issue]) -> None:
        for issue in issues:
            room = self.rooms.get(issue.room_id)
            placeholders = {**issue.placeholders, "room": room.name if room else issue.room_id}
            suffix = f"_{issue.suspect_id}" if issue.suspect_id is not None else ""
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                f"{issue.key}_{issue.room_id}{suffix}",
                is_fixable=issue.suspect_id is not None,
                severity=ir.IssueSeverity.WARNING,
                translation_key=issue.key,
                translation_placeholders=placeholders,
                data={
                    "entry_id": self.entry.entry_id,
                    "room_id": issue.room_id,
                    "suspect_id": issue.suspect_id,
                }
                if issue.suspect_id is not None
                else None,
            )
            LOGGER.warning("Room %s: %s %s", placeholders["room"], issue.key, placeholders)

    def _store_data(self) -> dict[str, Any]:
        return {
            "memory": {room_id: room.memory.as_dict() for room_id, room in self.rooms.items()},
            "applied_price": self._applied_price,
        }

    def _async_save(self) -> None:
        """The policy's own memory changes: written in batches, 5 s after the last."""
        self._store.async_delay_save(self._store_data, 5)

    def save_now(self) -> None:
        """Write the rooms' memory now, not with the batch: a landlord's or tenant's operation
        (supply forced off, protected, a warning cut restored) must survive a power cut
        right after it. (A delayed save cannot be brought forward: HA's `Store` keeps the
        latest requested time.)"""
        self.entry.async_create_task(
            self.hass, self._store.async_save(self._store_data()), "prepaid_power save rooms"
        )

    def invalidate_totals(self) -> None:
        """Money moved: recompute the landlord totals on the next cycle."""
        self._totals_at = None

    def set_memory(self, room_id: str, memory: SupplyMemory) -> None:
        """The one writer of a room's supply memory (the coordinator's apply step, after a
        decision or an operation); stored in batches."""
        room = self.rooms[room_id]
        if memory != room.memory:
            room.memory = memory
            self._async_save()


# Currency symbols a price entity's unit may use for the ledger's currency (besides its code).
CURRENCY_SYMBOLS: Mapping[str, frozenset[str]] = {
    "EUR": frozenset({"€"}),
    "CNY": frozenset({"¥", "元"}),
    "JPY": frozenset({"¥", "円"}),
    "USD": frozenset({"$"}),
    "GBP": frozenset({"£"}),
}


def price_unit_ok(unit: object, currency: Currency) -> bool:
    """A unit of a price per kWh in the ledger's currency: "<code or symbol>/kWh"."""
    if not isinstance(unit, str) or "/" not in unit:
        return False
    money, _, energy = unit.replace(" ", "").rpartition("/")
    if energy != "kWh":
        return False
    return money.upper() == currency.code or money in CURRENCY_SYMBOLS.get(currency.code, ())


def entity_price(state: State | None, currency: Currency) -> Decimal | None:
    """A price entity's price per kWh now; None when it is missing, unavailable, unknown,
    not a finite number, or its unit is not the ledger's currency per kWh."""
    if state is None or not price_unit_ok(state.attributes.get(ATTR_UNIT_OF_MEASUREMENT), currency):
        return None
    try:
        price = Decimal(state.state.strip())
    except ArithmeticError:
        return None
    # A negative price is a price (dynamic tariffs have them): the guard raises it to min_price.
    return price if price.is_finite() else None
