"""Billing of rooms: readings to charges, tenancies, allowance, landlord money operations.

`BillingCore` is synchronous and owns a `Ledger`; see `aio.AsyncBilling` for the executor
contract. All instants are aware datetimes; the clock is injected for tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
import sqlite3
from typing import Any, Final, Literal, NamedTuple, cast
from zoneinfo import ZoneInfo

from .bank import BankLine, Unmatched
from .common import (
    COMMON_AREA,
    METHODS,
    CommonDay,
    CommonShare,
    Method,
    common_reference,
    share_out,
)
from .cycle import CycleCalendar, utc
from .errors import (
    ADJUSTMENT_EXCEEDS_BALANCE,
    AMOUNT_NEGATIVE,
    CYCLE_START_DAY_LOCKED,
    DEBT_PLAN_NO_DEBT,
    NO_DEBT_OWED,
    PAYMENT_EXCEEDS_DEBT,
    READING_IMPLAUSIBLE,
    REASON_REQUIRED,
    ROOM_BILLS_TO_OTHER,
    ROOM_HAS_NO_TARIFF,
    ROOM_HAS_NO_TENANCY,
    ROOM_OCCUPIED,
    TARIFF_RETROACTIVE,
    TIME_BEFORE_LAST_BILLING,
    TOP_UP_REFERENCE_CONFLICT,
    UNKNOWN_ENTRY,
    UNKNOWN_ROOM,
    UNKNOWN_SUSPECT,
    UNKNOWN_TENANCY,
    BillingError,
)
from .ledger import SYSTEM, BillingState, Entry, Ledger, NewEntry, SuspectReading, Tenancy
from .meters import check_link, meter_reference
from .money import KWH_QUANTUM, Currency, Number, parse_kwh
from .recovery import (
    DEBT_LEFT_AT_MOVE_OUT,
    DEBT_RECOVERED_FIXED,
    DEBT_RECOVERED_FROM_TOP_UP,
    HUNDRED,
    DebtPlan,
    parse_every,
    parse_percent,
    periods_due,
    recoverable,
)
from .standing import (
    STANDING_CHARGE,
    Cut,
    day_amount,
    day_bounds,
    day_of_reference,
    day_reference,
    day_share,
    paused_day_amount,
    paused_share,
    share_before,
)
from .tariff import (
    ENTITY_PERIOD,
    EntityTariff,
    TariffSchedule,
    TariffVersion,
    UsagePiece,
    exceeds_cap,
    next_kwh_piece,
    next_price_boundary,
    split_usage,
)
from .tax import gross_fee

POSTING_INTERVAL: Final = timedelta(hours=1)
ONE_MICROSECOND: Final = timedelta(microseconds=1)

# Repair issues the HA layer raises (translation keys of issues, not of errors).
ISSUE_COUNTER_BACKWARDS: Final = "counter_backwards"
ISSUE_SUSPECT_READING: Final = "suspect_reading"
ISSUE_VACANT_PRESET_EXHAUSTED: Final = "vacant_preset_exhausted"
ISSUE_PRICE_ABOVE_CAP: Final = "price_above_cap"
ISSUE_PRICE_ENTITY_UNAVAILABLE: Final = "price_entity_unavailable"
ISSUE_PRICE_ENTITY_CLAMPED: Final = "price_entity_clamped"


@dataclass(frozen=True, slots=True)
class RoomConfig:
    """Billing settings of a room (the HA room subentry holds the same values)."""

    name: str
    cycle_start_day: int = 1
    allowance_kwh: Decimal = Decimal(0)
    allowance_pro_rata: bool = False
    max_power_kw: Decimal | None = None
    plausibility_margin: Decimal = Decimal("1.5")
    plausibility_slack_kwh: Decimal = Decimal("0.1")
    rollover_kwh: Decimal | None = None
    thresholds: tuple[Decimal, ...] = ()
    cycle_fee: Decimal = Decimal(0)
    standing_charge: Decimal = Decimal(0)
    # No standing charge while the supply is cut for want of credit (standing.py).
    pause_standing_when_cut: bool = False
    supplier_price: Decimal | None = None
    cap_margin_percent: Decimal = Decimal(0)
    # The room whose account this room's meter bills to (None: its own; see meters.py).
    bills_to: str | None = None

    def to_dict(self) -> dict[str, Any]:
        def opt(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "name": self.name,
            "cycle_start_day": self.cycle_start_day,
            "allowance_kwh": str(self.allowance_kwh),
            "allowance_pro_rata": self.allowance_pro_rata,
            "max_power_kw": opt(self.max_power_kw),
            "plausibility_margin": str(self.plausibility_margin),
            "plausibility_slack_kwh": str(self.plausibility_slack_kwh),
            "rollover_kwh": opt(self.rollover_kwh),
            "thresholds": [str(t) for t in self.thresholds],
            "cycle_fee": str(self.cycle_fee),
            "standing_charge": str(self.standing_charge),
            "pause_standing_when_cut": self.pause_standing_when_cut,
            "supplier_price": opt(self.supplier_price),
            "cap_margin_percent": str(self.cap_margin_percent),
            "bills_to": self.bills_to,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoomConfig:
        def opt(value: object) -> Decimal | None:
            return None if value is None else Decimal(str(value))

        return cls(
            name=str(data["name"]),
            cycle_start_day=int(data.get("cycle_start_day", 1)),
            allowance_kwh=Decimal(str(data.get("allowance_kwh", 0))),
            allowance_pro_rata=bool(data.get("allowance_pro_rata", False)),
            max_power_kw=opt(data.get("max_power_kw")),
            plausibility_margin=Decimal(str(data.get("plausibility_margin", "1.5"))),
            plausibility_slack_kwh=Decimal(str(data.get("plausibility_slack_kwh", "0.1"))),
            rollover_kwh=opt(data.get("rollover_kwh")),
            thresholds=tuple(Decimal(str(t)) for t in data.get("thresholds", ())),
            cycle_fee=Decimal(str(data.get("cycle_fee", 0))),
            standing_charge=Decimal(str(data.get("standing_charge", 0))),
            pause_standing_when_cut=bool(data.get("pause_standing_when_cut", False)),
            supplier_price=opt(data.get("supplier_price")),
            cap_margin_percent=Decimal(str(data.get("cap_margin_percent", 0))),
            bills_to=None if data.get("bills_to") is None else str(data["bills_to"]),
        )


@dataclass(frozen=True, slots=True)
class Issue:
    """Something the landlord must see (a repair issue in HA)."""

    key: str
    room_id: str
    placeholders: dict[str, str] = field(default_factory=dict)
    suspect_id: int | None = None


type ReadingStatus = Literal[
    "baseline", "accrued", "posted", "rollover", "reset", "suspect", "ignored"
]


@dataclass(frozen=True, slots=True)
class ReadingResult:
    room_id: str
    status: ReadingStatus
    posted: tuple[Entry, ...] = ()
    issues: tuple[Issue, ...] = ()
    dismissed_suspect_id: int | None = None
    live_balance: Decimal | None = None
    unposted_kwh: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class MoveOutResult:
    tenancy: Tenancy
    settlement: Entry | None
    refund_owed: Decimal
    debt: Decimal
    final_charges: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class RoomSummary:
    """What a room's entities show (live: includes the accrued, unposted usage)."""

    room_id: str
    cycle: str
    tenancy_id: int | None
    balance: Decimal | None
    live_balance: Decimal | None
    energy_this_cycle_kwh: Decimal
    cost_this_cycle: Decimal
    allowance_left_kwh: Decimal
    current_price: Decimal | None
    days_of_credit_left: Decimal | None
    emergency_credit_outstanding: Decimal = Decimal(0)
    # The current tenancy's debt recovery plan (None without one): what is still owed on it
    # and what it took in this billing cycle.
    plan_debt: Decimal | None = None
    plan_debt_recovered_this_cycle: Decimal | None = None
    # The room whose account this room's meter bills to (None: the room's own account).
    payer: str | None = None


class Adjustment(NamedTuple):
    """A landlord's correction and the part of it recorded as debt (below zero)."""

    entry: Entry
    debt: Decimal


class DebtPayment(NamedTuple):
    """A payment towards a moved-out tenancy's debt, whether it is new, and what is still owed."""

    entry: Entry
    created: bool
    tenancy: Tenancy
    owed: Decimal


class TopUp(NamedTuple):
    """A recorded payment, whether it is new, the emergency credit it paid back, and what
    the tenancy's debt recovery plan took from the balance with it."""

    entry: Entry
    created: bool
    recovered: Decimal
    debt_recovered: Decimal = Decimal(0)


class DebtPlanStatus(NamedTuple):
    """A tenancy's recovery plan, what it has recovered and what is still owed on it."""

    plan: DebtPlan
    recovered: Decimal
    remaining: Decimal


@dataclass(frozen=True, slots=True)
class _Pending:
    """The newest good reading not yet posted; `delta` counts kWh since the billed reading."""

    reading: Decimal
    at: datetime
    delta: Decimal


class _DryRun(Exception):  # noqa: N818 (not an error: it carries a result)
    """Carries a dry run's result out of the transaction it rolls back."""

    def __init__(self, value: object) -> None:
        super().__init__()
        self.value = value


@dataclass(slots=True)
class _Room:
    room_id: str
    config: RoomConfig
    calendar: CycleCalendar
    schedule: TariffSchedule
    pending: _Pending | None = None
    live_balance: Decimal | None = None
    # Memos: both are pure functions of what they are keyed on (readings arrive every few s).
    boundary_memo: tuple[datetime, datetime] | None = None
    # The pending usage's charges as last computed (summary and threshold check both need
    # them on every reading): for this pending usage, account and billed instant only.
    pending_memo: tuple[tuple[_Pending, int, datetime], list[NewEntry]] | None = None
    # An entity-priced tariff's price as the HA layer last sampled it (None: none available).
    sampled_price: Decimal | None = None

    def next_boundary(self, billed_at: datetime) -> datetime:
        if self.boundary_memo is None or self.boundary_memo[0] != billed_at:
            self.boundary_memo = (
                billed_at,
                next_price_boundary(self.schedule, self.calendar, billed_at),
            )
        return self.boundary_memo[1]


def entity_price_placeholders(tariff: EntityTariff, price: Decimal) -> dict[str, str]:
    """What the entity price repairs show: the entity, the price charged and the guard."""
    return {
        "entity_id": tariff.entity_id,
        "price": str(price),
        "min_price": str(tariff.min_price),
        "max_price": str(tariff.max_price_guard),
    }


def _kwh_text(kwh: Decimal) -> str:
    """kWh as a message shows them: without trailing zeros, never in exponent form."""
    return format(kwh.normalize(), "f")


def _default_now() -> datetime:
    return datetime.now(UTC)


class BillingCore:
    """All billing rules for all rooms of one ledger. Not thread-safe: one thread only."""

    def __init__(
        self, ledger: Ledger, tz: ZoneInfo, *, now: Callable[[], datetime] = _default_now
    ) -> None:
        self.ledger = ledger
        self.tz = tz
        self._now = now
        self._rooms: dict[str, _Room] = {}
        for room_id, (_, config) in ledger.rooms().items():
            self._load_room(room_id, RoomConfig.from_dict(config))
        self._link_calendars()

    @property
    def currency(self) -> Currency:
        return self.ledger.currency

    def now(self) -> datetime:
        return utc(self._now())

    def _at(self, at: datetime | None) -> datetime:
        return self.now() if at is None else utc(at)

    # --- rooms and tariffs -------------------------------------------------------------------

    def _load_room(self, room_id: str, config: RoomConfig) -> _Room:
        schedule = TariffSchedule()
        for effective_from, definition in self.ledger.tariff_versions(room_id):
            schedule.add(TariffVersion.from_dict(effective_from, definition))
        room = _Room(room_id, config, CycleCalendar(self.tz, config.cycle_start_day), schedule)
        self._rooms[room_id] = room
        return room

    # --- shared accounts (meters.py) ---------------------------------------------------------

    def _payer(self, room: _Room) -> _Room:
        """The room whose account a room's meter bills to: its `bills_to`, else itself."""
        payer = room.config.bills_to
        return room if payer is None else self._rooms.get(payer, room)

    def _meters(self, payer: _Room) -> list[_Room]:
        """Every meter of a payer's account: its own first, then the rooms billing to it."""
        return [payer] + [
            room for room in self._rooms.values() if room.config.bills_to == payer.room_id
        ]

    def _open_tenancy(self, room: _Room) -> Tenancy | None:
        """The open tenancy a room's usage is billed to: its payer's."""
        return self.ledger.open_tenancy_of(self._payer(room).room_id)

    def _link_calendars(self) -> None:
        """A linked room's cycles are its payer's (one account, one calendar)."""
        for room in self._rooms.values():
            payer = self._payer(room)
            if room.calendar is not payer.calendar:
                room.calendar = payer.calendar
                room.boundary_memo = None
                room.pending_memo = None

    def payer_of(self, room_id: str) -> str | None:
        """The room whose account the room's meter bills to, None for its own account."""
        payer = self._payer(self._room(room_id))
        return None if payer.room_id == room_id else payer.room_id

    def meters_of(self, room_id: str) -> list[str]:
        """The rooms whose meters bill to the room's account (the room itself first)."""
        return [room.room_id for room in self._meters(self._room(room_id))]

    def _check_link(self, room_id: str, config: RoomConfig) -> None:
        names = {rid: room.config.name for rid, room in self._rooms.items()}
        names[room_id] = config.name
        links = {rid: room.config.bills_to for rid, room in self._rooms.items() if rid != room_id}
        check_link(
            room_id,
            config.bills_to,
            links,
            names,
            occupied=self.ledger.open_tenancy_of(room_id) is not None,
        )

    def upsert_room(self, room_id: str, config: RoomConfig) -> None:
        CycleCalendar(self.tz, config.cycle_start_day)  # validates the start day
        for name in (
            "allowance_kwh",
            "cycle_fee",
            "standing_charge",
            "max_power_kw",
            "rollover_kwh",
        ):
            value = getattr(config, name)
            if value is not None and (not value.is_finite() or value < 0):
                raise BillingError(AMOUNT_NEGATIVE, {"field": name, "value": str(value)})
        self.currency.to_minor(config.standing_charge)  # on the minor unit
        known = self._rooms.get(room_id)
        if (
            known is not None
            and known.config.cycle_start_day != config.cycle_start_day
            and self.ledger.open_tenancy_of(room_id) is not None
        ):
            # Cycles (allowance, fees, tiers) of a running tenancy must not move.
            raise BillingError(CYCLE_START_DAY_LOCKED, {"room": room_id})
        self._check_link(room_id, config)
        if known is not None and known.config.bills_to != config.bills_to:
            # Usage read so far belongs to the account the meter billed to until now.
            self._post_pending(known)
        self.ledger.upsert_room(room_id, config.name, config.to_dict())
        pending = self._rooms[room_id].pending if room_id in self._rooms else None
        self._load_room(room_id, config).pending = pending
        self._link_calendars()

    def room_ids(self) -> list[str]:
        return sorted(self._rooms)

    def room_config(self, room_id: str) -> RoomConfig:
        return self._room(room_id).config

    def calendar(self, room_id: str) -> CycleCalendar:
        return self._room(room_id).calendar

    def _room(self, room_id: str) -> _Room:
        try:
            return self._rooms[room_id]
        except KeyError:
            raise BillingError(UNKNOWN_ROOM, {"room": room_id}) from None

    def set_tariff(
        self,
        room_id: str,
        definition: Mapping[str, Any],
        *,
        effective_from: datetime | None = None,
        who: str = SYSTEM,
    ) -> list[Issue]:
        """Add a tariff version; it applies from `effective_from` (now or later, never earlier)."""
        room = self._room(room_id)
        now = self.now()
        start = now if effective_from is None else utc(effective_from)
        version = TariffVersion.from_dict(start, definition)
        tariff = version.tariff
        state = self.ledger.billing_state(room_id)
        floor = now if state is None else max(now, state.billed_at)
        if start < floor:
            raise BillingError(
                TARIFF_RETROACTIVE,
                {"effective_from": start.isoformat(), "earliest": floor.isoformat()},
            )
        self.ledger.add_tariff_version(room_id, start, version.to_dict(), who)
        room.schedule.add(version)
        room.boundary_memo = None
        room.pending_memo = None  # no memo outlives the prices it was computed with
        config = room.config
        if config.supplier_price is not None and exceeds_cap(
            tariff, config.supplier_price, config.cap_margin_percent
        ):
            return [
                Issue(
                    ISSUE_PRICE_ABOVE_CAP,
                    room_id,
                    {
                        "price": str(tariff.max_price()),
                        "supplier_price": str(config.supplier_price),
                    },
                )
            ]
        return []

    def tariff_versions(self, room_id: str) -> list[TariffVersion]:
        return list(self._room(room_id).schedule.versions)

    def current_price(self, room_id: str, at: datetime | None = None) -> Decimal | None:
        """Price per kWh of the next kWh (tiered: at the room's cycle-to-date usage)."""
        room = self._room(room_id)
        moment = self._at(at)
        account = self.account_of(room_id)
        piece = next_kwh_piece(
            room.schedule,
            room.calendar,
            moment,
            cycle_kwh=lambda cycle: self.ledger.charged_kwh(account, cycle),
            sampled_price=room.sampled_price,
        )
        return None if piece is None else piece.price

    def entity_tariff(self, room_id: str, at: datetime | None = None) -> EntityTariff | None:
        """The tariff in force at `at` if its price follows an entity (None: another kind)."""
        version = self._room(room_id).schedule.at(self._at(at))
        tariff = None if version is None else version.tariff
        return tariff if isinstance(tariff, EntityTariff) else None

    def set_sampled_price(self, room_id: str, price: Decimal | None) -> None:
        """The entity price sampled now (None: unavailable); the next posting charges it."""
        room = self._room(room_id)
        if price != room.sampled_price:
            room.sampled_price = price
            room.pending_memo = None

    # --- accounts ----------------------------------------------------------------------------

    def tenancy_of(self, room_id: str) -> Tenancy | None:
        """The room's open tenancy; a linked room's is its payer's."""
        return self._open_tenancy(self._room(room_id))

    def _require_tenancy(self, room_id: str) -> Tenancy:
        tenancy = self.tenancy_of(room_id)
        if tenancy is None:
            raise BillingError(ROOM_HAS_NO_TENANCY, {"room": room_id})
        return tenancy

    def account_of(self, room_id: str) -> int:
        """The account usage is booked to now: the open tenancy's, else the vacant account."""
        tenancy = self.tenancy_of(room_id)
        return tenancy.account_id if tenancy else self.ledger.vacant_account(room_id)

    def balance(self, room_id: str) -> Decimal:
        """Ledger balance of the open tenancy (posted entries only)."""
        return self.ledger.balance(self._require_tenancy(room_id).account_id)

    def live_balance(self, room_id: str) -> Decimal:
        """Ledger balance minus the accrued, not yet posted charge (of every meter)."""
        tenancy = self._require_tenancy(room_id)
        return self.ledger.balance(tenancy.account_id) - self._unposted_amount(
            self._room(room_id), tenancy
        )

    def summary(self, room_id: str, at: datetime | None = None) -> RoomSummary:
        """Balance, this cycle's energy and cost, allowance left, price, days of credit left
        (at the average daily cost of the last 7 days, or since move-in if shorter)."""
        room = self._room(room_id)
        moment = self._at(at)
        cycle = room.calendar.cycle_containing(moment)
        tenancy = self._open_tenancy(room)
        account = tenancy.account_id if tenancy else self.ledger.vacant_account(room_id)
        own = self._pending_entries(room, tenancy, account)
        payer = self._payer(room)
        meters = self._meters(payer) if tenancy is not None else [room]
        # Energy and cost are the meter's own; balance and allowance are the account's.
        pending = [
            entry
            for meter in meters
            for entry in (own if meter is room else self._pending_entries(meter, tenancy, account))
        ]
        # Sums in SQL: materialising a month of hourly charges per room per poll cycle was
        # the cost that grew with the ledger.
        if len(meters) > 1:
            posted_kwh, posted_amount = self.ledger.cycle_charge_sums(
                account, cycle.key, meter=None if room is payer else meter_reference(room_id)
            )
        else:
            posted_kwh, posted_amount = self.ledger.cycle_charge_sums(account, cycle.key)
        in_cycle = [e for e in own if e.cycle == cycle.key]
        energy = posted_kwh + sum((e.kwh or Decimal(0) for e in in_cycle), Decimal(0))
        cost = -(posted_amount + sum((e.amount for e in in_cycle), Decimal(0)))
        allowance_left = self.ledger.allowance_left(account, cycle.key if tenancy else None) - sum(
            (e.allowance_kwh or 0 for e in pending if tenancy is None or e.cycle == cycle.key),
            Decimal(0),
        )
        balance = live = days = plan_debt = plan_recovered = None
        emergency = Decimal(0)
        if tenancy is not None:
            emergency = self.ledger.emergency_credit_outstanding(account)
            if (status := self._debt_plan_status(tenancy)) is not None:
                plan_debt = status.remaining
                plan_recovered = self.ledger.debt_recovered(
                    account, after=cycle.start - ONE_MICROSECOND
                )
            balance = self.ledger.balance(account)
            live = balance + sum((e.amount for e in pending), Decimal(0))
            since = max(moment - timedelta(days=7), tenancy.moved_in_at)
            span_days = max(Decimal(str((moment - since).total_seconds())) / 86400, Decimal(1))
            recent = -(
                self.ledger.charge_amount_since(account, since)
                + sum((e.amount for e in pending if e.at >= since), Decimal(0))
            )
            if live <= 0:
                days = Decimal(0)
            elif recent > 0:
                days = (live / (recent / span_days)).quantize(Decimal("0.1"), rounding=ROUND_FLOOR)
        return RoomSummary(
            room_id=room_id,
            cycle=cycle.key,
            tenancy_id=None if tenancy is None else tenancy.tenancy_id,
            balance=balance,
            live_balance=live,
            energy_this_cycle_kwh=energy,
            cost_this_cycle=cost,
            allowance_left_kwh=max(allowance_left, Decimal(0)),
            current_price=self.current_price(room_id, moment),
            days_of_credit_left=days,
            emergency_credit_outstanding=emergency,
            plan_debt=plan_debt,
            plan_debt_recovered_this_cycle=plan_recovered,
            payer=None if payer is room else payer.room_id,
        )

    # --- readings ----------------------------------------------------------------------------

    def process_reading(
        self,
        room_id: str,
        reading: Number,
        at: datetime | None = None,
        *,
        sampled_price: Decimal | None = None,
    ) -> ReadingResult:
        """Bill one good reading of the room's cumulative energy register (kWh); an
        entity-priced tariff charges `sampled_price` (its entity's price now, None when there
        is none) for the usage this reading posts."""
        self.set_sampled_price(room_id, sampled_price)
        return self._process(self._room(room_id), parse_kwh(reading), self._at(at), trusted=False)

    def _plausible(self, room: _Room, delta: Decimal, elapsed: timedelta) -> bool:
        config = room.config
        if config.max_power_kw is None:
            return True
        hours = Decimal(str(max(elapsed.total_seconds(), 0))) / 3600
        limit = config.max_power_kw * hours * config.plausibility_margin
        return delta <= limit + config.plausibility_slack_kwh

    def _process(
        self,
        room: _Room,
        reading: Decimal,
        at: datetime,
        *,
        trusted: bool,
        force_post: bool = False,
    ) -> ReadingResult:
        state = self.ledger.billing_state(room.room_id)
        if state is None:
            self.ledger.save_billing_state(BillingState(room.room_id, reading, at))
            return self._result(room, "baseline")
        if at < state.billed_at or (room.pending is not None and at < room.pending.at):
            return self._result(room, "ignored")
        delta = reading - state.billed_reading
        status: ReadingStatus = "accrued"
        # Backwards means below the last good reading, which may be accrued and not posted.
        if reading < self._last_good(room, state)[0]:
            rollover = room.config.rollover_kwh
            wrapped = delta + rollover if rollover is not None else None
            if (
                wrapped is not None
                and rollover is not None
                and 0 <= wrapped < rollover / 2
                and (trusted or self._plausible(room, wrapped, at - state.billed_at))
            ):
                delta, status = wrapped, "rollover"
            else:
                return self._reset(room, state, reading, at)
        with self.ledger.transaction():
            dismissed = None
            pending_suspect = self.ledger.pending_suspect(room.room_id)
            # While a jump is held, a reading at or above it is consistent with the jump being
            # real: keep holding (however much time passed) until the landlord decides.
            consistent_with_jump = (
                pending_suspect is not None and reading >= pending_suspect.reading
            )
            if not trusted and (
                consistent_with_jump or not self._plausible(room, delta, at - state.billed_at)
            ):
                flushed = self._post_pending(room)
                suspect = self.ledger.hold_suspect(self._state(room), reading, at)
                issue = Issue(
                    ISSUE_SUSPECT_READING,
                    room.room_id,
                    {
                        "from_reading": str(suspect.from_reading),
                        "reading": str(suspect.reading),
                        "kwh": str(suspect.reading - suspect.from_reading),
                    },
                    suspect.suspect_id,
                )
                return self._result(room, "suspect", flushed, (issue,))
            if pending_suspect is not None:
                self.ledger.resolve_suspect(pending_suspect.suspect_id, "dismissed", SYSTEM)
                dismissed = pending_suspect.suspect_id
            previous = room.pending
            current = _Pending(reading, at, delta)
            room.pending = current
            boundary = room.next_boundary(state.billed_at)
            due = force_post or at >= boundary or at - state.billed_at >= POSTING_INTERVAL
            tenancy = self._open_tenancy(room)
            if not due and tenancy is not None and room.config.thresholds:
                before = room.live_balance
                after = self.ledger.balance(tenancy.account_id) - self._unposted_amount(
                    room, tenancy
                )
                due = before is not None and any(
                    before > level >= after for level in room.config.thresholds
                )
            posted: tuple[Entry, ...] = ()
            issues: tuple[Issue, ...] = ()
            if due:
                if previous is not None and state.billed_at < previous.at <= boundary < at:
                    room.pending = previous
                    posted, issues = self._post(room)
                    room.pending = _Pending(reading, at, delta - previous.delta)
                more, more_issues = self._post(room)
                posted += more
                issues += more_issues
                status = "posted" if status == "accrued" else status
        return self._result(room, status, posted, issues, dismissed)

    @staticmethod
    def _last_good(room: _Room, state: BillingState) -> tuple[Decimal, datetime]:
        """The meter's last good reading and its time: the accrued one, else the billed one."""
        if room.pending is not None:
            return room.pending.reading, room.pending.at
        return state.billed_reading, state.billed_at

    def _state(self, room: _Room) -> BillingState:
        state = self.ledger.billing_state(room.room_id)
        assert state is not None
        return state

    def _reset(
        self, room: _Room, state: BillingState, reading: Decimal, at: datetime
    ) -> ReadingResult:
        """The counter went backwards (replaced or reset): bill up to the last good reading."""
        with self.ledger.transaction():
            posted = self._post_pending(room)
            pending_suspect = self.ledger.pending_suspect(room.room_id)
            if pending_suspect is not None:
                self.ledger.resolve_suspect(pending_suspect.suspect_id, "dismissed", SYSTEM)
            billed = self._state(room)
            self.ledger.save_billing_state(BillingState(room.room_id, reading, at))
        issue = Issue(
            ISSUE_COUNTER_BACKWARDS,
            room.room_id,
            {"billed_reading": str(billed.billed_reading), "reading": str(reading)},
        )
        return self._result(
            room,
            "reset",
            posted,
            (issue,),
            None if pending_suspect is None else pending_suspect.suspect_id,
        )

    def _post_pending(self, room: _Room) -> tuple[Entry, ...]:
        if room.pending is None:
            return ()
        posted, _ = self._post(room)
        return posted

    def flush(self, room_id: str) -> tuple[Entry, ...]:
        """Post the accrued charge of every meter of the room's account now (before a
        top-up, at shutdown, on demand)."""
        return tuple(
            entry
            for meter in self._meters(self._payer(self._room(room_id)))
            for entry in self._post_pending(meter)
        )

    def flush_all(self) -> list[Entry]:
        """Post every room's accrued charge (at shutdown, so the split by time stays exact)."""
        return [entry for room in self._rooms.values() for entry in self._post_pending(room)]

    def _result(
        self,
        room: _Room,
        status: ReadingStatus,
        posted: tuple[Entry, ...] = (),
        issues: tuple[Issue, ...] = (),
        dismissed: int | None = None,
    ) -> ReadingResult:
        tenancy = self._open_tenancy(room)
        live = None
        if tenancy is not None:
            live = self.ledger.balance(tenancy.account_id) - self._unposted_amount(room, tenancy)
        room.live_balance = live
        return ReadingResult(
            room_id=room.room_id,
            status=status,
            posted=posted,
            issues=issues,
            dismissed_suspect_id=dismissed,
            live_balance=live,
            unposted_kwh=Decimal(0) if room.pending is None else room.pending.delta,
        )

    # --- pricing and posting -----------------------------------------------------------------

    def _pieces(
        self, room: _Room, account_id: int, state: BillingState, pending: _Pending
    ) -> list[UsagePiece]:
        return split_usage(
            pending.delta,
            state.billed_at,
            pending.at,
            room.schedule,
            room.calendar,
            cycle_kwh=lambda cycle: self.ledger.charged_kwh(account_id, cycle),
            sampled_price=room.sampled_price,
        )

    def _entity_price_issues(self, room: _Room, posted: list[Entry]) -> tuple[Issue, ...]:
        """A posting at an entity price the guard clamped, or without one (at max_price)."""
        spans = [e.span_start for e in posted if e.period == ENTITY_PERIOD and e.span_start]
        if not spans:
            return ()
        version = room.schedule.at(spans[-1])
        tariff = None if version is None else version.tariff
        if not isinstance(tariff, EntityTariff):
            return ()
        price, status = tariff.price_for(room.sampled_price)
        placeholders = entity_price_placeholders(tariff, price)
        if status == "unavailable":
            return (Issue(ISSUE_PRICE_ENTITY_UNAVAILABLE, room.room_id, placeholders),)
        if status == "clamped":
            placeholders["sampled"] = format(room.sampled_price, "f")
            return (Issue(ISSUE_PRICE_ENTITY_CLAMPED, room.room_id, placeholders),)
        return ()

    def _cycle_share(
        self, room: _Room, tenancy: Tenancy, cycle_key: str
    ) -> tuple[Decimal, datetime] | None:
        """Which share of a cycle's allowance and fee the tenancy gets (1 unless it moved in
        mid-cycle with pro-rata), and the date to book them at; None outside the tenancy."""
        cycle = room.calendar.cycle_by_key(cycle_key)
        moved_in = tenancy.moved_in_at
        if cycle.end <= moved_in or (tenancy.moved_out_at and cycle.start >= tenancy.moved_out_at):
            return None
        if moved_in <= cycle.start:
            return Decimal(1), cycle.start
        if not tenancy.allowance_pro_rata:
            return Decimal(1), moved_in
        share = Decimal(str((cycle.end - moved_in).total_seconds())) / Decimal(
            str((cycle.end - cycle.start).total_seconds())
        )
        return share, moved_in

    def _allowance_due(self, room: _Room, tenancy: Tenancy, cycle_key: str) -> Decimal:
        share = self._cycle_share(room, tenancy, cycle_key)
        if share is None or room.config.allowance_kwh <= 0:
            return Decimal(0)
        return (room.config.allowance_kwh * share[0]).quantize(KWH_QUANTUM, rounding=ROUND_FLOOR)

    def _ensure_cycle_entries(self, room: _Room, tenancy: Tenancy, cycle_key: str) -> list[Entry]:
        """Book a cycle's allowance and cycle fee exactly once each (unique indexes back this
        up), dated at the cycle start even when booked later (HA was down at the boundary)."""
        share = self._cycle_share(room, tenancy, cycle_key)
        if share is None:
            return []
        booked: list[Entry] = []
        if room.config.allowance_kwh > 0 and not self.ledger.cycle_entry_exists(
            tenancy.account_id, "allowance", cycle_key
        ):
            booked += self._append_once(
                NewEntry(
                    account_id=tenancy.account_id,
                    kind="allowance",
                    at=share[1],
                    amount=Decimal(0),
                    who=SYSTEM,
                    why="allowance",
                    kwh=self._allowance_due(room, tenancy, cycle_key),
                    cycle=cycle_key,
                )
            )
        return booked + self._book_cycle_fee(room, tenancy, cycle_key)

    def _book_cycle_fee(
        self, room: _Room, tenancy: Tenancy, cycle_key: str, *, settling: bool = False
    ) -> list[Entry]:
        """Book a cycle's fee once the balance covers it (or at the move-out settlement, where
        it is part of the recorded debt): a fee never takes a balance below zero. Booked after
        its cycle ended, it is dated when it is booked, with the cycle it belongs to."""
        share = self._cycle_share(room, tenancy, cycle_key)
        if share is None:
            return []
        fraction, at = share
        now = self.now()
        if now >= room.calendar.cycle_by_key(cycle_key).end:
            at = now
        fee = self.currency.round_down(self._gross_fee(room, room.config.cycle_fee, at) * fraction)
        account_id = tenancy.account_id
        if (
            fee <= 0
            or self.ledger.cycle_entry_exists(account_id, "fee", cycle_key)
            or (not settling and self.ledger.balance(account_id) < fee)
        ):
            return []
        return self._append_once(
            NewEntry(account_id, "fee", at, -fee, SYSTEM, "cycle fee", cycle=cycle_key)
        )

    def _gross_fee(self, room: _Room, amount: Decimal, at: datetime) -> Decimal:
        """A cycle fee or daily standing charge with the tax of the tariff in force at `at`
        when it is added on top of fees (the statement splits the tax off by the same version)."""
        version = room.schedule.at(at)
        tax = None if version is None else version.tax
        return gross_fee(amount, tax, self.currency.minor_unit)

    def _append_once(self, entry: NewEntry) -> list[Entry]:
        """Append a once-per-cycle entry; [] if its unique index says it is already booked."""
        try:
            return [self.ledger.append(entry)]
        except sqlite3.IntegrityError:
            return []

    def _book_waiting_fees(
        self,
        room: _Room,
        tenancy: Tenancy,
        *,
        settling: bool = False,
        until: datetime | None = None,
    ) -> list[Entry]:
        """Book the cycle fees of the tenancy's cycles so far that waited for the balance,
        then the standing charges due up to `until` (now)."""
        now = self.now()
        booked: list[Entry] = []
        if room.config.cycle_fee > 0:
            cycle = room.calendar.cycle_containing(tenancy.moved_in_at)
            while cycle.start <= now:
                booked += self._book_cycle_fee(room, tenancy, cycle.key, settling=settling)
                cycle = room.calendar.cycle_containing(cycle.end)
        return booked + self._book_standing_charges(
            room, tenancy, now if until is None else until, settling=settling
        )

    def _book_standing_charges(
        self, room: _Room, tenancy: Tenancy, until: datetime, *, settling: bool = False
    ) -> list[Entry]:
        """Book each local day's standing charge once the day has ended (at the move-out
        settlement: up to `until`, the move-out day pro rata), oldest first, each only if the
        balance covers it (a day that cannot be covered waits, and so do the days after it),
        except when settling (then it is part of the recorded debt)."""
        rate = room.config.standing_charge
        if rate <= 0:
            return []
        tz = self.tz
        account_id = tenancy.account_id
        first_day = tenancy.moved_in_at.astimezone(tz).date()
        in_share = day_share(first_day, tz, tenancy.moved_in_at, day_bounds(first_day, tz)[1])
        last = self.ledger.last_standing_charge(account_id)
        day = first_day if last is None else day_of_reference(last) + timedelta(days=1)
        cuts = self._standing_cuts(room)
        before = share_before(first_day, day, tz, tenancy.moved_in_at, cuts) if cuts else None
        cycle_start = room.calendar.cycle_containing(until).start
        booked: list[Entry] = []
        while True:
            start, end = day_bounds(day, tz)
            if (start >= until) if settling else (end > until):
                return booked
            share = day_share(day, tz, tenancy.moved_in_at, min(end, until))
            at = min(end - ONE_MICROSECOND, until)
            at = until if at < cycle_start else at
            gross = self._gross_fee(room, rate, at)
            if before is None:
                amount = day_amount(
                    gross, self.currency.minor_unit, in_share, share, first=day == first_day
                )
            else:
                share -= paused_share(day, tz, tenancy.moved_in_at, min(end, until), cuts)
                amount = paused_day_amount(gross, self.currency.minor_unit, before, share)
            if amount > 0:
                if not settling and self.ledger.balance(account_id) < amount:
                    return booked
                booked.append(
                    self.ledger.append(
                        NewEntry(
                            account_id,
                            "fee",
                            at,
                            -amount,
                            SYSTEM,
                            STANDING_CHARGE,
                            reference=day_reference(day),
                        )
                    )
                )
            if before is not None:
                before += share
            day += timedelta(days=1)

    # --- common areas (see common.py) ---------------------------------------------------

    def book_common_day(  # noqa: PLR0917
        self,
        meter_key: str,
        name: str,
        day: date,
        kwh: Decimal,
        price: Decimal,
        rooms: Sequence[str],
        method: Method,
    ) -> CommonDay:
        """Share a common meter's ended local `day` (`kwh` at `price`: the caller measured
        the whole day, so it has ended) into the accounts
        of `rooms`' tenancies covering part of it (a linked room's: its payer's), once: a
        day already booked returns what was booked. The cost is floored to the minor unit;
        what no open tenancy carries is the landlord's share. Like energy, a share may take
        a balance below zero."""
        if kwh < 0 or price < 0:
            raise ValueError("a common meter's energy and price are not negative")
        if method not in METHODS:
            raise ValueError(f"unknown sharing method {method!r}")
        start, end = day_bounds(day, self.tz)
        with self.ledger.transaction():
            if (booked := self.common_day(meter_key, day)) is not None:
                return booked
            cost = self.currency.round_down(kwh * price)
            weights: dict[int, Fraction] = {}
            ended: set[int] = set()
            for room_id in rooms:
                payer = self._payer(self._room(room_id))
                for tenancy in self.ledger.tenancies(payer.room_id):
                    until = tenancy.moved_out_at or end
                    share = day_share(day, self.tz, tenancy.moved_in_at, until)
                    if share <= 0:
                        continue
                    account = tenancy.account_id
                    if method == "equal":
                        weight = share
                    else:
                        totals = self.ledger.charge_totals(account, start, end)
                        weight = Fraction(sum((row[2] for row in totals), Decimal(0)))
                        if account in weights:
                            continue  # an account's usage counts once
                    weights[account] = weights.get(account, Fraction(0)) + weight
                    if tenancy.moved_out_at is not None:
                        ended.add(account)
            minor = self.currency.minor_unit
            split = share_out(int(cost / minor), weights)
            at = end - ONE_MICROSECOND
            why = f"{COMMON_AREA} {name} {day.isoformat()}"
            shares: list[CommonShare] = []
            for account, units in sorted(split.items()):
                if account in ended or units == 0:
                    continue
                amount = units * minor
                self.ledger.append(
                    NewEntry(
                        account,
                        "fee",
                        at,
                        -amount,
                        SYSTEM,
                        why,
                        reference=common_reference(meter_key, day),
                    )
                )
                shares.append(CommonShare(account, amount, weights[account]))
            landlord = cost - sum((share.amount for share in shares), Decimal(0))
            self.ledger.record_common_day(meter_key, day, kwh, price, cost, method, landlord)
            return CommonDay(meter_key, day, kwh, price, cost, method, tuple(shares), landlord)

    def common_day(self, meter_key: str, day: date) -> CommonDay | None:
        """A common meter's booked day (None: not booked)."""
        found = self.common_days(meter_key, day=day, limit=1)
        return found[0] if found else None

    def common_days(
        self, meter_key: str, *, day: date | None = None, limit: int = 31
    ) -> list[CommonDay]:
        """A common meter's booked days, newest first, with the accounts' shares."""
        days: list[CommonDay] = []
        for booked, kwh, price, cost, method, landlord in self.ledger.common_day_rows(
            meter_key, day, limit
        ):
            shares = tuple(
                CommonShare(account, amount)
                for account, amount in self.ledger.fees_referenced(
                    common_reference(meter_key, booked)
                )
            )
            days.append(
                CommonDay(
                    meter_key, booked, kwh, price, cost, cast(Method, method), shares, landlord
                )
            )
        return days

    def common_share_total(self, room_id: str, start: datetime, end: datetime) -> Decimal:
        """What the room's account was charged for common areas in [start, end)."""
        tenancy = self._open_tenancy(self._room(room_id))
        account = tenancy.account_id if tenancy is not None else self.ledger.vacant_account(room_id)
        return self.ledger.fees_referenced_total(account, f"{COMMON_AREA} ", start, end)

    def _standing_cuts(self, room: _Room) -> tuple[Cut, ...]:
        """The cuts that pause the room's standing charge (none unless the setting is on)."""
        if not room.config.pause_standing_when_cut:
            return ()
        return self.ledger.supply_cuts(room.room_id)

    def record_supply_cut(self, room_id: str, at: datetime) -> bool:
        """The supply layer confirmed the relay open for want of credit at `at` (recorded
        on the account's payer room). Idempotent; returns whether a cut was opened."""
        return self.ledger.record_supply_cut(self._payer(self._room(room_id)).room_id, at)

    def record_supply_restored(self, room_id: str, at: datetime) -> bool:
        """The supply layer confirmed the relay closed again at `at`. Idempotent."""
        return self.ledger.record_supply_restored(self._payer(self._room(room_id)).room_id, at)

    def standing_paused_days(self, tenancy: Tenancy, start: datetime, end: datetime) -> Fraction:
        """Days (exact) of the tenancy within [start, end), up to now, whose standing charge
        the supply cuts paused (0 unless the room's setting is on)."""
        room = self._room(tenancy.room_id)
        cuts = self._standing_cuts(room)
        if not cuts:
            return Fraction(0)
        tz = self.tz
        lo = max(start, tenancy.moved_in_at)
        hi = min(end, self.now() if tenancy.moved_out_at is None else tenancy.moved_out_at)
        total = Fraction(0)
        if lo >= hi:
            return total
        day = lo.astimezone(tz).date()
        while day_bounds(day, tz)[0] < hi:
            total += paused_share(day, tz, lo, hi, cuts)
            day += timedelta(days=1)
        return total

    def ensure_cycle_entries(self, at: datetime | None = None) -> list[Entry]:
        """Book every open tenancy's allowance and cycle fee of the current cycle. Call at
        start-up and at each cycle boundary; safe to call any number of times."""
        moment = self._at(at)
        booked: list[Entry] = []
        for room in self._rooms.values():
            tenancy = self.ledger.open_tenancy_of(room.room_id)
            if tenancy is not None and self._payer(room) is room:
                key = room.calendar.cycle_containing(moment).key
                booked += self._ensure_cycle_entries(room, tenancy, key)
                booked += self._book_standing_charges(room, tenancy, moment)
                self._recover_debt(tenancy, moment)
        return booked

    def _charges(
        self,
        room: _Room,
        tenancy: Tenancy | None,
        account_id: int,
        state: BillingState,
        pending: _Pending,
        *,
        write: bool,
    ) -> tuple[list[NewEntry], Decimal, bool]:
        """Charge entries for the pending usage: allowance first, money rounded down with carry."""
        carry = self.ledger.carry(account_id)
        left: dict[str | None, Decimal] = {}
        reading = state.billed_reading
        rollover = room.config.rollover_kwh
        unfunded = False
        entries: list[NewEntry] = []
        # The account's allowance and fees are its payer's; a linked meter's charge names it.
        payer = self._payer(room)
        meter = None if tenancy is None or payer is room else meter_reference(room.room_id)
        # A shared account's meters are read one after another, so one meter's last piece of
        # a cycle may come after another's first piece of the next: its carry stays in its
        # cycle (README "Shared accounts"), else that cycle could lose more than a minor unit.
        cycle_carries: dict[str, Decimal] | None = (
            {} if tenancy is not None and len(self._meters(payer)) > 1 else None
        )
        for piece in self._pieces(room, account_id, state, pending):
            key = piece.cycle if tenancy is not None else None
            if key not in left:
                if tenancy is not None and write:
                    self._ensure_cycle_entries(payer, tenancy, piece.cycle)
                available = self.ledger.allowance_left(account_id, key)
                if (
                    tenancy is not None
                    and not write
                    and not self.ledger.cycle_entry_exists(account_id, "allowance", piece.cycle)
                ):
                    available += self._allowance_due(payer, tenancy, piece.cycle)
                left[key] = available
            use = min(left[key], piece.kwh)
            left[key] -= use
            if tenancy is None:
                exact = Decimal(0)
                unfunded = unfunded or use < piece.kwh
            else:
                exact = (piece.kwh - use) * piece.price
            if cycle_carries is not None:
                if piece.cycle not in cycle_carries:
                    cycle_carries[piece.cycle] = self.ledger.cycle_carry(account_id, piece.cycle)
                carry = cycle_carries[piece.cycle]
            # Never below 0: a cycle begun before the account was shared may have taken in
            # the carry before it (and so be posted ahead of its own kWh * price, < 1 unit).
            amount = max(Decimal(0), self.currency.round_down(exact + carry))
            carry = exact + carry - amount
            if cycle_carries is not None:
                cycle_carries[piece.cycle] = carry
            reading_to = reading + piece.kwh
            if rollover is not None and reading_to >= rollover:
                reading_to -= rollover
            cycle_end = room.calendar.cycle_by_key(piece.cycle).end
            entries.append(
                NewEntry(
                    account_id=account_id,
                    kind="charge",
                    at=min(piece.end, cycle_end - ONE_MICROSECOND),
                    amount=-amount,
                    who=SYSTEM,
                    why="energy" if tenancy is not None else "vacant energy (landlord)",
                    kwh=piece.kwh,
                    allowance_kwh=use,
                    period=piece.period,
                    price=piece.price,
                    reading_from=reading,
                    reading_to=reading_to,
                    span_start=piece.start,
                    exact_amount=exact,
                    cycle=piece.cycle,
                    reference=meter,
                )
            )
            reading = reading_to
        return entries, carry, unfunded

    def _pending_entries(
        self, room: _Room, tenancy: Tenancy | None, account_id: int
    ) -> list[NewEntry]:
        """The charges the pending usage would post now (nothing is written)."""
        pending = room.pending
        if pending is None or pending.delta <= 0:
            return []
        state = self._state(room)
        key = (pending, account_id, state.billed_at)
        memo = room.pending_memo
        if memo is not None and memo[0] == key:
            return memo[1]
        entries, _, _ = self._charges(room, tenancy, account_id, state, pending, write=False)
        room.pending_memo = (key, entries)
        return entries

    def _unposted_amount(self, room: _Room, tenancy: Tenancy) -> Decimal:
        """The accrued, not yet posted charge of every meter of the room's account."""
        return -sum(
            (
                e.amount
                for meter in self._meters(self._payer(room))
                for e in self._pending_entries(meter, tenancy, tenancy.account_id)
            ),
            Decimal(0),
        )

    def _post(self, room: _Room) -> tuple[tuple[Entry, ...], tuple[Issue, ...]]:
        """Post the pending usage and move the billed reading, in one transaction."""
        pending = room.pending
        assert pending is not None
        with self.ledger.transaction():
            state = self._state(room)
            tenancy = self._open_tenancy(room)
            account_id = tenancy.account_id if tenancy else self.ledger.vacant_account(room.room_id)
            posted: list[Entry] = []
            unfunded = False
            if pending.delta > 0:
                entries, carry, unfunded = self._charges(
                    room, tenancy, account_id, state, pending, write=True
                )
                posted = [self.ledger.append(entry) for entry in entries]
                self.ledger.set_carry(account_id, carry)
            if tenancy is not None:
                self._book_standing_charges(self._payer(room), tenancy, pending.at)
                self._recover_debt(tenancy, pending.at)
            self.ledger.save_billing_state(BillingState(room.room_id, pending.reading, pending.at))
            # Posted inside a caller's transaction (a fee, refund or adjustment that may still
            # be refused): if that rolls back, the usage is unposted again, not lost.
            self.ledger.on_rollback(lambda: setattr(room, "pending", pending))
        room.pending = None
        for meter in self._meters(self._payer(room)):
            meter.pending_memo = None  # the account's allowance and tier energy moved on
        issues: tuple[Issue, ...] = ()
        if unfunded:
            issues = (Issue(ISSUE_VACANT_PRESET_EXHAUSTED, room.room_id, {}),)
        if pending.delta > 0:
            issues += self._entity_price_issues(room, posted)
        return tuple(posted), issues

    # --- suspect readings --------------------------------------------------------------------

    def pending_suspect(self, room_id: str) -> SuspectReading | None:
        self._room(room_id)
        return self.ledger.pending_suspect(room_id)

    def resolve_suspect(
        self, room_id: str, suspect_id: int, action: Literal["charge", "discard"], *, who: str
    ) -> tuple[Entry, ...]:
        """The landlord's answer to a suspect reading: charge the jump and everything read
        since, or discard the jump alone."""
        room = self._room(room_id)
        with self.ledger.transaction():
            suspect = self.ledger.suspect(suspect_id)
            if suspect.room_id != room_id:
                raise BillingError(UNKNOWN_SUSPECT, {"suspect": str(suspect_id)})
            self.ledger.resolve_suspect(
                suspect_id, "charged" if action == "charge" else "discarded", who
            )
            state = self._state(room)
            room.pending = None
            if action == "charge":
                room.pending = _Pending(
                    suspect.reading, suspect.at, suspect.reading - state.billed_reading
                )
                posted, _ = self._post(room)
                return posted
            # Only the jump is dropped: the baseline moves to the first reading after it, and
            # what the meter counted from there while the jump was held is billed by the next
            # reading, spread over that time (or held again if it is implausible too).
            self.ledger.save_billing_state(
                BillingState(room_id, suspect.jump_reading, suspect.jump_at)
            )
        return ()

    # --- tenancy lifecycle -------------------------------------------------------------------

    def move_in(
        self,
        room_id: str,
        tenant: str,
        opening_reading: Number,
        *,
        at: datetime | None = None,
        who: str = SYSTEM,
        allowance_pro_rata: bool | None = None,
        first_top_up: Number | None = None,
        method: str = "cash",
        reference: str | None = None,
        meter_readings: Mapping[str, Number] | None = None,
    ) -> Tenancy:
        """Open a tenancy; the opening reading is the baseline (earlier usage is not the
        tenant's). It covers every meter billing to the room: `meter_readings` are their
        opening readings by room (a meter left out opens at its last good reading)."""
        room = self._room(room_id)
        moment = self._at(at)
        reading = parse_kwh(opening_reading)
        amount = None if first_top_up is None else self.currency.parse_amount(first_top_up)
        self._refuse_linked(room)
        if self.ledger.open_tenancy_of(room_id) is not None:
            raise BillingError(ROOM_OCCUPIED, {"room": room_id})
        if room.schedule.at(moment) is None:
            raise BillingError(ROOM_HAS_NO_TARIFF, {"room": room_id})
        self._check_not_before_billing(room_id, moment)
        self._check_typed_reading(room, reading, moment)
        meters = self._typed_meter_readings(room, meter_readings, moment)
        for meter, _ in meters:
            if meter.schedule.at(moment) is None:
                raise BillingError(ROOM_HAS_NO_TARIFF, {"room": meter.room_id})
        with self.ledger.transaction():
            # Usage up to the move-in is the vacant accounts' (the landlord's).
            for meter, typed in [(room, reading), *meters]:
                self._open_meter(meter, typed, moment)
            pro_rata = (
                room.config.allowance_pro_rata if allowance_pro_rata is None else allowance_pro_rata
            )
            tenancy = self.ledger.open_tenancy(
                room_id, tenant, moment, reading, allowance_pro_rata=pro_rata
            )
            # A new tenant has not been cut: a cut still open from before ends here.
            self.ledger.record_supply_restored(room_id, moment)
            # The first top-up comes before the cycle fee, which waits if it is not covered.
            if amount is not None:
                self.ledger.top_up(
                    tenancy.account_id,
                    amount,
                    method=method,
                    reference=reference,
                    at=moment,
                    who=who,
                    why="first top-up",
                )
            self._ensure_cycle_entries(room, tenancy, room.calendar.cycle_containing(moment).key)
        room.live_balance = None
        return tenancy

    def _open_meter(self, meter: _Room, reading: Decimal | None, moment: datetime) -> None:
        """Bill a meter up to a move-in at its typed reading (None: its last good one), which
        becomes its baseline."""
        if reading is None:
            self._post_pending(meter)
            return
        self._process(meter, reading, moment, trusted=True, force_post=True)
        if meter.pending is not None:
            self._post(meter)
        state = self._state(meter)
        if state.billed_reading != reading:
            self.ledger.save_billing_state(BillingState(meter.room_id, reading, moment))

    def _refuse_linked(self, room: _Room) -> None:
        """Tenants move in and out of the payer's room: a linked room has no tenancy."""
        payer = self._payer(room)
        if payer is not room:
            raise BillingError(
                ROOM_BILLS_TO_OTHER, {"room": room.config.name, "payer": payer.config.name}
            )

    def _typed_meter_readings(
        self, payer: _Room, readings: Mapping[str, Number] | None, moment: datetime
    ) -> list[tuple[_Room, Decimal | None]]:
        """The linked meters of a payer and the readings typed for them at a move in or out,
        each checked like the room's own (a room that is not one of them is refused)."""
        meters = self._meters(payer)[1:]
        typed = dict(readings or {})
        for room_id in typed:
            if room_id not in {meter.room_id for meter in meters}:
                raise BillingError(UNKNOWN_ROOM, {"room": room_id})
        result: list[tuple[_Room, Decimal | None]] = []
        for meter in meters:
            value = typed.get(meter.room_id)
            reading = None if value is None else parse_kwh(value)
            if reading is not None:
                self._check_not_before_billing(meter.room_id, moment)
                self._check_typed_reading(meter, reading, moment)
            result.append((meter, reading))
        return result

    def _check_typed_reading(self, room: _Room, reading: Decimal, moment: datetime) -> None:
        """A reading typed at a move in or out is billed as trusted: it must lie between the
        meter's last good reading (a counter never goes back; a rollover is read from the
        meter, not typed) and what the meter's maximum power could add since then."""
        state = self.ledger.billing_state(room.room_id)
        if state is None:
            return  # never read: nothing to judge it by
        last, last_at = self._last_good(room, state)
        config = room.config
        highest = None
        if config.max_power_kw is not None:
            hours = Decimal(str(max((moment - last_at).total_seconds(), 0))) / 3600
            highest = last + (
                config.max_power_kw * hours * config.plausibility_margin
                + config.plausibility_slack_kwh
            ).quantize(KWH_QUANTUM, rounding=ROUND_FLOOR)
        if reading < last or (highest is not None and reading > highest):
            raise BillingError(
                READING_IMPLAUSIBLE,
                {
                    "reading": _kwh_text(reading),
                    "last_reading": _kwh_text(last),
                    "highest": "-" if highest is None else _kwh_text(highest),
                },
            )

    def _check_not_before_billing(self, room_id: str, moment: datetime) -> None:
        state = self.ledger.billing_state(room_id)
        if state is not None and moment < state.billed_at:
            raise BillingError(
                TIME_BEFORE_LAST_BILLING,
                {"at": moment.isoformat(), "billed_at": state.billed_at.isoformat()},
            )

    def move_out(
        self,
        room_id: str,
        final_reading: Number,
        *,
        at: datetime | None = None,
        who: str = SYSTEM,
        meter_readings: Mapping[str, Number] | None = None,
    ) -> MoveOutResult:
        """Final charges of every meter of the account (`meter_readings`: the linked
        meters' final readings by room; one left out closes at its last good reading), then
        a settlement entry bringing the account to zero."""
        room = self._room(room_id)
        moment = self._at(at)
        reading = parse_kwh(final_reading)
        self._refuse_linked(room)
        tenancy = self._require_tenancy(room_id)
        self._check_not_before_billing(room_id, moment)
        self._check_typed_reading(room, reading, moment)
        meters = self._typed_meter_readings(room, meter_readings, moment)
        with self.ledger.transaction():
            result = self._process(room, reading, moment, trusted=True, force_post=True)
            final = result.posted
            for meter, typed in meters:
                if typed is None:
                    final += self._post_pending(meter)
                else:
                    final += self._process(
                        meter, typed, moment, trusted=True, force_post=True
                    ).posted
            self._book_waiting_fees(room, tenancy, settling=True, until=moment)
            if (status := self._debt_plan_status(tenancy)) is not None and status.remaining > 0:
                # The plan's debt stays on the tenancy: the settlement records it.
                self.ledger.recover_debt(
                    tenancy.account_id,
                    status.remaining,
                    reason=DEBT_LEFT_AT_MOVE_OUT,
                    at=moment,
                    who=who,
                )
            balance = self.ledger.balance(tenancy.account_id)
            settlement = None
            if balance != 0:
                why = (
                    f"refund owed {self.currency.format(balance)}"
                    if balance > 0
                    else f"debt recorded {self.currency.format(-balance)}"
                )
                settlement = self.ledger.append(
                    NewEntry(tenancy.account_id, "settlement", moment, -balance, who, why)
                )
            self.ledger.close_tenancy(tenancy.tenancy_id, moment, reading)
        room.live_balance = None
        return MoveOutResult(
            tenancy=self.ledger.tenancy(tenancy.tenancy_id),
            settlement=settlement,
            refund_owed=max(balance, Decimal(0)),
            debt=max(-balance, Decimal(0)),
            final_charges=final,
        )

    def dry_run[T](self, room_id: str, call: Callable[[], T]) -> T:
        """What `call` (an operation on one room) returns, keeping nothing of it: everything
        it wrote is rolled back and the room's memory restored. A preview by the very code
        the operation runs (a move-out's settlement, waiting fees included)."""
        if self.ledger.in_transaction:
            raise RuntimeError("a dry run cannot join a running transaction")
        room = self._room(room_id)
        saved = (room.pending, room.live_balance, room.pending_memo)
        try:
            with self.ledger.transaction():
                raise _DryRun(call())
        except _DryRun as done:
            return cast("T", done.value)
        finally:
            room.pending, room.live_balance, room.pending_memo = saved

    def preset_vacant_energy(
        self, room_id: str, kwh: Number, *, who: str, at: datetime | None = None
    ) -> Entry:
        """Landlord-paid energy for a vacant room (cleaning, repairs)."""
        amount = parse_kwh(kwh, allow_zero=False)
        if self.tenancy_of(room_id) is not None:
            raise BillingError(ROOM_OCCUPIED, {"room": room_id})
        return self.ledger.append(
            NewEntry(
                account_id=self.ledger.vacant_account(room_id),
                kind="vacant_preset",
                at=self._at(at),
                amount=Decimal(0),
                who=who,
                why="vacant preset",
                kwh=amount,
            )
        )

    # --- landlord money operations -----------------------------------------------------------

    def top_up(
        self,
        room_id: str,
        amount: Number,
        *,
        method: str,
        reference: str | None = None,
        who: str,
        at: datetime | None = None,
        why: str = "",
    ) -> TopUp:
        """Record a payment (accrued charges are posted first). Emergency credit taken earlier
        is paid back from it first, in the same transaction. A known reference returns the
        first payment, `created` False."""
        value = self.currency.parse_amount(amount)
        tenancy = self._require_tenancy(room_id)
        moment = self._at(at)
        with self.ledger.transaction():
            self.flush(room_id)
            entry, created = self.ledger.top_up(
                tenancy.account_id,
                value,
                method=method,
                reference=reference,
                at=moment,
                who=who,
                why=why,
            )
            recovered = debt_recovered = self.currency.from_minor(0)
            if created:
                recovered = self.ledger.recover_emergency_credit(
                    tenancy.account_id, value, at=moment, who=who
                )
                self._book_waiting_fees(self._payer(self._room(room_id)), tenancy, until=moment)
                debt_recovered = self._recover_debt(tenancy, moment, paid=value)
        return TopUp(entry, created, recovered, debt_recovered)

    def import_payment(
        self, room_id: str, line: BankLine, *, who: str
    ) -> tuple[TopUp | None, Unmatched | None]:
        """A bank line matched to the room: a transfer top-up whose reference is the line's
        id (so a line imported again is the same payment, `created` False). A line that
        cannot be booked says why: the room is vacant, its id was booked with another amount
        or room, or its amount is not one the ledger takes."""
        if line.amount is None or line.day is None:
            return None, line.problem or "amount_invalid"
        try:
            return self.top_up(
                room_id,
                line.amount,
                method="transfer",
                reference=line.payment_reference,
                who=who,
                why=f"bank transfer {line.day.isoformat()}: {line.reference}"[:200],
            ), None
        except BillingError as err:
            if err.key == ROOM_HAS_NO_TENANCY:
                return None, "room_vacant"
            if err.key == TOP_UP_REFERENCE_CONFLICT:
                return None, "reference_conflict"
            if err.key.startswith("amount_"):
                return None, "amount_invalid"
            raise

    def pay_debt(
        self,
        room_id: str,
        amount: Number,
        *,
        method: str,
        reference: str | None = None,
        who: str,
        tenancy_id: int | None = None,
        at: datetime | None = None,
    ) -> DebtPayment:
        """A payment towards the debt a moved-out tenancy of the room left (the newest one
        that still owes, unless `tenancy_id` names it). Never more than is owed; a known
        reference returns the first payment, `created` False."""
        value = self.currency.parse_amount(amount)
        payer = self._payer(self._room(room_id)).room_id  # a linked room's debts are its payer's
        with self.ledger.transaction():
            tenancy, owed = self._debtor(payer, tenancy_id)
            entry, created = self.ledger.top_up(
                tenancy.account_id,
                value,
                method=method,
                reference=reference,
                at=self._at(at),
                who=who,
                why="debt payment",
            )
            if created:
                if value > owed:
                    raise BillingError(
                        PAYMENT_EXCEEDS_DEBT,
                        {"amount": self.currency.format(value), "owed": self.currency.format(owed)},
                    )
                owed -= value
                self.ledger.append(
                    NewEntry(
                        tenancy.account_id,
                        "settlement",
                        entry.at,
                        -value,
                        who,
                        f"debt paid {self.currency.format(value)}, "
                        f"{self.currency.format(owed)} still owed",
                    )
                )
        return DebtPayment(entry, created, tenancy, owed)

    # --- debt recovery plans -----------------------------------------------------------------

    def set_debt_plan(
        self,
        room_id: str,
        *,
        debt: Number = 0,
        percent: Number = 0,
        fixed: Number = 0,
        every: str = "day",
        floor: Number = 0,
        reason: str = "",
        who: str,
        at: datetime | None = None,
    ) -> DebtPlanStatus:
        """Record debt on the current tenancy's recovery plan and/or set its terms: a share of
        each top-up (`percent`) and a `fixed` amount per day or week, never taking the balance
        below `floor`. What the old terms had due is taken first, if the balance allows."""
        added = self.currency.parse_amount(debt, allow_zero=True)
        terms = (
            parse_percent(percent),
            self.currency.parse_amount(fixed, allow_zero=True),
            parse_every(every),
            self.currency.parse_amount(floor, allow_zero=True),
        )
        why = reason.strip()
        if added > 0 and not why:
            raise BillingError(REASON_REQUIRED, {})
        tenancy = self._require_tenancy(room_id)
        moment = self._at(at)
        with self.ledger.transaction():
            self.flush(room_id)
            if self.ledger.debt_plan(tenancy.tenancy_id) is None and added == 0:
                raise BillingError(DEBT_PLAN_NO_DEBT, {"room": self.room_config(room_id).name})
            self._recover_debt(tenancy, moment)
            self.ledger.add_debt_plan(
                tenancy.tenancy_id,
                at=moment,
                debt_added=added,
                percent=terms[0],
                fixed=terms[1],
                every=terms[2],
                floor=terms[3],
                who=who,
                why=why or "recovery terms",
            )
            status = self._debt_plan_status(tenancy)
        assert status is not None
        return status

    def debt_plan_status(self, tenancy_id: int) -> DebtPlanStatus | None:
        """A tenancy's recovery plan and where it stands (None without one)."""
        return self._debt_plan_status(self.ledger.tenancy(tenancy_id))

    def _debt_plan_status(self, tenancy: Tenancy) -> DebtPlanStatus | None:
        plan = self.ledger.debt_plan(tenancy.tenancy_id)
        if plan is None:
            return None
        taken = self.ledger.debt_recovered(tenancy.account_id)
        left = self.ledger.debt_recovered(tenancy.account_id, reason=DEBT_LEFT_AT_MOVE_OUT)
        return DebtPlanStatus(plan, taken - left, plan.debt - taken)

    def _recover_debt(
        self, tenancy: Tenancy, moment: datetime, *, paid: Decimal | None = None
    ) -> Decimal:
        """Book what the plan takes now: its share of a top-up just `paid`, and the fixed
        amounts due under the current terms not yet taken, each within the debt left and the
        balance above the floor. Returns the total taken."""
        status = self._debt_plan_status(tenancy)
        if status is None:
            return self.currency.from_minor(0)
        plan, remaining = status.plan, status.remaining
        account_id = tenancy.account_id
        wanted: list[tuple[str, Decimal]] = []
        if paid is not None and plan.percent > 0:
            wanted.append(
                (
                    DEBT_RECOVERED_FROM_TOP_UP,
                    self.currency.round_down(paid * plan.percent / HUNDRED),
                )
            )
        if plan.fixed > 0:
            due = periods_due(plan, moment, self.tz) * plan.fixed
            taken = self.ledger.debt_recovered(
                account_id, reason=DEBT_RECOVERED_FIXED, after=plan.since
            )
            wanted.append((DEBT_RECOVERED_FIXED, due - taken))
        total = self.currency.from_minor(0)
        for reason, amount in wanted:
            take = recoverable(amount, remaining, self.ledger.balance(account_id), plan.floor)
            if take > 0:
                self.ledger.recover_debt(account_id, take, reason=reason, at=moment, who=SYSTEM)
                remaining -= take
                total += take
        return total

    def _debtor(self, room_id: str, tenancy_id: int | None) -> tuple[Tenancy, Decimal]:
        """The moved-out tenancy of the room a debt payment is for, and what it owes."""
        if tenancy_id is not None:
            named = self.ledger.tenancy(tenancy_id)
            if named.room_id != room_id or named.moved_out_at is None:
                raise BillingError(UNKNOWN_TENANCY, {"tenancy": str(tenancy_id)})
            candidates = [named]
        else:
            candidates = [
                tenancy
                for tenancy in reversed(self.ledger.tenancies(room_id))
                if tenancy.moved_out_at is not None
            ]
        for tenancy in candidates:
            if (owed := self.ledger.debt_owed(tenancy.account_id)) > 0:
                return tenancy, owed
        raise BillingError(NO_DEBT_OWED, {"room": self.room_config(room_id).name})

    def take_emergency_credit(
        self, room_id: str, amount: Number, *, who: str, at: datetime | None = None
    ) -> Entry:
        """The tenant's emergency credit: once, until top-ups have paid it back."""
        value = self.currency.parse_amount(amount)
        tenancy = self._require_tenancy(room_id)
        return self.ledger.take_emergency_credit(
            tenancy.account_id, value, at=self._at(at), who=who
        )

    def reverse_top_up(
        self, room_id: str, entry_id: int, *, who: str, why: str = "", at: datetime | None = None
    ) -> Entry:
        tenancy = self._require_tenancy(room_id)
        original = self.ledger.entry(entry_id)
        if original.account_id != tenancy.account_id:
            raise BillingError(UNKNOWN_ENTRY, {"entry": str(entry_id)})
        return self.ledger.reverse_top_up(entry_id, at=self._at(at), who=who, why=why)

    def refund(
        self, room_id: str, amount: Number, *, who: str, why: str = "", at: datetime | None = None
    ) -> Entry:
        value = self.currency.parse_amount(amount)
        tenancy = self._require_tenancy(room_id)
        with self.ledger.transaction():
            self.flush(room_id)
            return self.ledger.refund(tenancy.account_id, value, at=self._at(at), who=who, why=why)

    def adjust(
        self,
        room_id: str,
        amount: Number,
        *,
        reason: str,
        who: str,
        at: datetime | None = None,
        record_debt: bool = False,
    ) -> Adjustment:
        """A landlord's correction. One that takes the balance below zero is refused unless
        the landlord records that part as debt explicitly (`record_debt`)."""
        value = self.currency.parse_signed_amount(amount)
        tenancy = self._require_tenancy(room_id)
        with self.ledger.transaction():
            self.flush(room_id)
            balance = self.ledger.balance(tenancy.account_id)
            # How much further below zero it takes the balance (a credit takes it nowhere).
            below_after = max(Decimal(0), -(balance + value))
            debt = max(self.currency.from_minor(0), below_after - max(Decimal(0), -balance))
            if debt > 0 and not record_debt:
                raise BillingError(
                    ADJUSTMENT_EXCEEDS_BALANCE,
                    {
                        "amount": self.currency.format(-value),
                        "balance": self.currency.format(balance),
                    },
                )
            entry = self.ledger.adjust(
                tenancy.account_id, value, at=self._at(at), who=who, reason=reason, debt=debt
            )
        return Adjustment(entry, debt)

    def add_fee(
        self,
        room_id: str,
        amount: Number,
        *,
        why: str,
        who: str = SYSTEM,
        at: datetime | None = None,
    ) -> Entry:
        """A one-off fee (accrued charges are posted first); never beyond the balance."""
        value = self.currency.parse_amount(amount)
        tenancy = self._require_tenancy(room_id)
        with self.ledger.transaction():
            self.flush(room_id)
            return self.ledger.fee(tenancy.account_id, value, at=self._at(at), who=who, why=why)
