"""A simulated year of three accounts with the money features on (standing charge, cycle
fee, VAT added on top and included, tariff versions with a new rate mid-year, a shared
account of a room and its air conditioner, debt recovery plans, bank statement import,
two common-area meters shared equally and by consumption, a standing charge paused while
the supply is cut, a price from an entity),
recomputed independently from the rules in billing/README.md and BILLING.md (not from the
core's code) and compared with the ledger and the statements.

Run from the repository root: python bench/money_year.py [--days N] [--seed N]
Prints, per figure, the largest difference between the ledger (or statement) and the
recomputation over all accounts and billing cycles, in minor units (the rules promise < 1
for each money figure and exactly 0 for the tax section's split), and in micro-kWh for the
shared account's per-meter lines.

How the recomputation is built (to add a feature, add a rule; nothing else changes):
- the simulation records what it did (readings, payments, when it called the core);
- POSTING_RULES run for every reading of every meter (a `Posting`), DAILY_RULES for every
  local day of a tenancy (a `Day`), CYCLE_RULES for every billing cycle of it (a `Cycle`),
  `common_shares` for every common meter's day across the accounts;
  each adds what the rules say to the account's `Book` under (figure, cycle, tax rate);
- ENTRY_RULES sort the ledger's entries into the same figures (the rate by the README's
  rule, from this file's own tariff table);
- `compare` checks every figure per account per cycle, and each cycle's statement: its
  `tax` section (the README's split of each line's gross at each rate) and its `meters`.
"""

from __future__ import annotations

import argparse
import bisect
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction
import itertools
import math
from pathlib import Path
import random
import sys
import tempfile
from time import perf_counter
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.prepaid_power.billing.bank import BankFormat, match, parse_statement
from custom_components.prepaid_power.billing.core import BillingCore, RoomConfig
from custom_components.prepaid_power.billing.ledger import Entry, Ledger
from custom_components.prepaid_power.billing.money import Currency
from custom_components.prepaid_power.billing.statement import statement_data

TZ = ZoneInfo("Europe/Berlin")
START = datetime(2026, 1, 1, 9, 17, tzinfo=UTC)
STEP = timedelta(hours=6)
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")
WH = Decimal("0.001")
HUNDRED = Decimal(100)
ONE_MICROSECOND = timedelta(microseconds=1)
FORMAT = BankFormat(
    date_column="Datum", amount_column="Betrag", reference_column="Text", decimal=","
)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


# --- what is simulated ----------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """A tariff version: a flat net `price` with its tax (README "VAT / sales tax")."""

    since: datetime
    price: Decimal
    tax_rate: Decimal | None = None
    mode: str = "included"  # included | added
    on_fees: bool = False
    # A price from an entity instead of `price`: its (lowest, highest) guard.
    entity: tuple[Decimal, Decimal] | None = None

    def definition(self) -> dict[str, Any]:
        tax: dict[str, Any] = {}
        if self.tax_rate is not None:
            tax = {
                "tax_rate": str(self.tax_rate),
                "tax_mode": self.mode,
                "tax_on_fees": self.on_fees,
            }
        if self.entity is not None:
            low, high = self.entity
            return {
                "kind": "entity",
                "entity_id": "sensor.spot_price",
                "min_price": str(low),
                "max_price": str(high),
                **tax,
            }
        return {"kind": "flat", "price": str(self.price), **tax}

    def sampled(self, sample: Decimal | None) -> Decimal:
        """README "Price from an entity": the sample rounded down to 4 decimals, kept within
        the guard; no usable sample charges the highest price."""
        assert self.entity is not None
        low, high = self.entity
        if sample is None:
            return high
        price = sample.quantize(Decimal("0.0001"), ROUND_FLOOR)
        return min(max(price, low), high) if CLAMP_ENTITY_PRICE else price

    @property
    def gross_price(self) -> Decimal:
        """Added: price * (100 + rate) / 100, exact. Included: the price."""
        if self.tax_rate is None or self.mode == "included":
            return self.price
        return self.price * (HUNDRED + self.tax_rate) / HUNDRED

    def gross_fee(self, amount: Decimal) -> Decimal:
        """A cycle fee or day's standing charge as booked: added on fees, * (100 + rate) /
        100 rounded half up to the minor unit; otherwise unchanged."""
        if self.tax_rate is None or self.mode == "included" or not self.on_fees:
            return amount
        return (amount * (HUNDRED + self.tax_rate) / HUNDRED).quantize(CENT, ROUND_HALF_UP)

    @property
    def energy_rate(self) -> Decimal:
        return self.tax_rate or Decimal(0)

    @property
    def fee_rate(self) -> Decimal:
        return self.tax_rate if self.tax_rate is not None and self.on_fees else Decimal(0)


def version_at(versions: tuple[Version, ...], moment: datetime) -> Version:
    """The version in force at `moment` (the last one that started at or before it)."""
    return [v for v in versions if v.since <= moment][-1]


def versions_during(versions: tuple[Version, ...], start: datetime, end: datetime) -> list[Version]:
    ends = [v.since for v in versions[1:]] + [None]
    return [
        v
        for v, until in zip(versions, ends, strict=True)
        if v.since < end and (until is None or until > start)
    ]


@dataclass(frozen=True)
class Plan:
    debt: Decimal
    percent: Decimal
    fixed: Decimal
    every: str  # day | week


@dataclass(frozen=True)
class Meter:
    """A metered room: the account's own, or a linked one (`bills_to` the account's room)."""

    room_id: str
    tariff: tuple[Version, ...]


@dataclass(frozen=True)
class AccountSpec:
    """A payer room: its own meter first, then the linked ones; the account's rules."""

    meters: tuple[Meter, ...]
    standing: Decimal
    cycle_fee: Decimal
    start_day: int
    reference: str
    plan: Plan
    # The standing charge pauses while the supply is cut for want of credit.
    pause: bool = False

    @property
    def room_id(self) -> str:
        return self.meters[0].room_id

    @property
    def tariff(self) -> tuple[Version, ...]:
        """The account's own tariff: its fees carry this one's tax."""
        return self.meters[0].tariff


ACCOUNTS = (
    # VAT added on top, fees too; a new version (price and rate) mid-cycle in July.
    AccountSpec(
        (
            Meter(
                "r1",
                (
                    Version(START, Decimal("0.3019"), Decimal(19), "added", on_fees=True),
                    Version(
                        local(2026, 7, 10, 13, 45), Decimal("0.2899"), Decimal(7), "added", True
                    ),
                ),
            ),
        ),
        Decimal("1.23"),
        Decimal("4.99"),
        1,
        "PP-101",
        Plan(Decimal(250), Decimal(25), Decimal("2.00"), "week"),
    ),
    # VAT included, fees carry it (their amounts do not change).
    AccountSpec(
        (Meter("r2", (Version(START, Decimal("0.2511"), Decimal(19), "included", True),)),),
        Decimal("0.87"),
        Decimal(0),
        5,
        "PP-102",
        Plan(Decimal("80.55"), Decimal(10), Decimal(0), "day"),
        pause=True,
    ),
    # A price from an entity (a spot price), guarded to 0.15-0.45, no tax.
    AccountSpec(
        (
            Meter(
                "r4", (Version(START, Decimal(0), entity=(Decimal("0.1500"), Decimal("0.4500"))),)
            ),
        ),
        Decimal("0.40"),
        Decimal(0),
        10,
        "PP-104",
        Plan(Decimal(30), Decimal(5), Decimal(0), "day"),
    ),
    # A shared account: the room (VAT included, fees without it) and its air conditioner
    # at another tariff (VAT added); the rate falls to 16 % on 1 July for the room and three
    # and a half days later for the air conditioner.
    AccountSpec(
        (
            Meter(
                "r3",
                (
                    Version(START, Decimal("0.1234"), Decimal(19)),
                    Version(local(2026, 7, 1), Decimal("0.1234"), Decimal(16)),
                ),
            ),
            Meter(
                "r3ac",
                (
                    Version(START, Decimal("0.2205"), Decimal(19), "added"),
                    Version(local(2026, 7, 4, 12), Decimal("0.2205"), Decimal(16), "added"),
                ),
            ),
        ),
        Decimal("0.05"),
        Decimal("2.50"),
        15,
        "PP-103",
        Plan(Decimal(40), Decimal(0), Decimal("0.35"), "day"),
    ),
)


@dataclass(frozen=True)
class CommonMeter:
    """A common-area meter shared into the chosen rooms (README "Common areas")."""

    key: str
    price: Decimal
    rooms: tuple[str, ...]
    method: str  # equal | consumption


COMMON_METERS = (
    # The shared account's two rooms both chosen: its weight counts twice.
    CommonMeter("stairs", Decimal("0.2873"), ("r1", "r2", "r3", "r3ac"), "equal"),
    CommonMeter("laundry", Decimal("0.3111"), ("r1", "r3"), "consumption"),
)


def spot_price(rng: random.Random) -> Decimal | None:
    """A price entity's state at a reading: mostly within the guard (6 decimals), sometimes
    below or above it, sometimes unusable."""
    roll = rng.random()
    if roll < 0.1:
        return None
    low, high = ("0.15", "0.45") if roll < 0.8 else ("0", "0.15") if roll < 0.9 else ("0.45", "2")
    return Decimal(rng.randint(int(Decimal(low) * 10**6), int(Decimal(high) * 10**6))) / 10**6


def floor(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_FLOOR)


def floor_fraction(value: Fraction) -> Decimal:
    return math.floor(value / Fraction(CENT)) * CENT


def to_decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


# --- the calendar: BILLING.md's rules, written out again --------------------------------------


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TZ).astimezone(UTC)


def cycle_key(moment: datetime, start_day: int) -> str:
    """BILLING.md: a calendar month starting 00:00 local on the start day."""
    local_time = moment.astimezone(TZ)
    year, month = local_time.year, local_time.month
    if local_time.day < start_day:
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return date(year, month, start_day).isoformat()


def cycle_starts_between(start: datetime, end: datetime, start_day: int) -> list[datetime]:
    """Every cycle start strictly inside (start, end)."""
    bounds: list[datetime] = []
    day = start.astimezone(TZ).date().replace(day=1) - timedelta(days=40)
    while True:
        day = (day.replace(day=1) + timedelta(days=32)).replace(day=start_day)
        moment = local_midnight(day)
        if moment >= end:
            return bounds
        if moment > start:
            bounds.append(moment)


def micros(span: timedelta) -> int:
    return span // ONE_MICROSECOND


def day_share(day: date, start: datetime, end: datetime) -> Fraction:
    """README: the move-in and move-out days pro rata by time; a DST day is one day."""
    first, last = local_midnight(day), local_midnight(day + timedelta(days=1))
    covered = min(last, end) - max(first, start)
    if covered <= timedelta(0):
        return Fraction(0)
    return Fraction(micros(covered), micros(last - first))


# --- the recomputation: what the rules say the ledger holds -----------------------------------


@dataclass(frozen=True)
class Posting:
    """A meter's reading: `kwh` used over [start, end), the counter at `reading_from` before."""

    meter: Meter
    start: datetime
    end: datetime
    kwh: Decimal
    reading_from: Decimal
    # What the price entity gave at this reading (an entity-priced meter; None: nothing usable).
    sample: Decimal | None = None


@dataclass(frozen=True)
class Day:
    """A local day of a tenancy: the part of it the tenancy covers, the shares of the
    tenancy's days before it, and when the core was first called after it ended (for the
    move-out day: the move-out)."""

    day: date
    share: Fraction
    earlier: Fraction
    booked: datetime


@dataclass(frozen=True)
class Cycle:
    """A billing cycle of a tenancy and the moment its once-per-cycle entries are dated."""

    key: str
    dated: datetime


type Figures = dict[str, dict[tuple[str, Decimal], Decimal]]  # figure -> (cycle, rate) -> amount


@dataclass
class Meters:
    """Per meter and cycle: kWh, exact cost, first and last counter reading."""

    kwh: dict[tuple[str, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    cost: dict[tuple[str, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    first: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    last: dict[tuple[str, str], Decimal] = field(default_factory=dict)


@dataclass
class Book:
    """What the rules say an account's ledger holds. `figures` holds, per figure, per
    (cycle, tax rate), the gross amount: exact for energy, as posted for fees (the rules fix
    every fee to the minor unit). `exact_standing` is the standing charge's rate * day
    share per the day's own cycle (the README's < 1 minor unit promise)."""

    spec: AccountSpec
    figures: Figures = field(default_factory=lambda: defaultdict(lambda: defaultdict(Decimal)))
    exact_standing: dict[str, Fraction] = field(default_factory=lambda: defaultdict(Fraction))
    meters: Meters = field(default_factory=Meters)
    top_ups: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    recovered: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    common: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    # Cuts for want of credit (cut, restored or None while it lasts), as the supply recorded.
    cuts: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    paused: dict[str, Fraction] = field(default_factory=lambda: defaultdict(Fraction))
    paused_total: Fraction = Fraction(0)
    remaining: Decimal = Decimal(0)
    fixed_taken: Decimal = Decimal(0)

    def cycle(self, moment: datetime) -> str:
        return cycle_key(moment, self.spec.start_day)

    def add(self, figure: str, moment: datetime, rate: Decimal, amount: Decimal) -> None:
        self.figures[figure][self.cycle(moment), rate] += amount


# Posting rules: one reading of one meter.


def energy(book: Book, posting: Posting) -> None:
    """README: a span's energy is spread in proportion to time, split at the account's
    billing cycles and the meter's tariff versions; each piece at the gross price of the
    version in force at its start (added: price * (100 + rate) / 100), taxed at its rate."""
    start, end = posting.start, posting.end
    edges = sorted(
        {
            start,
            end,
            *cycle_starts_between(start, end, book.spec.start_day),
            *(v.since for v in posting.meter.tariff if start < v.since < end),
        }
    )
    total = Decimal(micros(end - start))
    reading = posting.reading_from
    for a, b in itertools.pairwise(edges):
        kwh = posting.kwh * Decimal(micros(b - a)) / total
        version = version_at(posting.meter.tariff, a)
        price = version.gross_price if version.entity is None else version.sampled(posting.sample)
        book.add("energy", a, version.energy_rate, kwh * price)
        key = posting.meter.room_id, book.cycle(a)
        book.meters.kwh[key] += kwh
        book.meters.cost[key] += kwh * price
        book.meters.first.setdefault(key, reading)
        reading += kwh
        book.meters.last[key] = reading


# Daily rules: one local day of a tenancy.


def standing_charge(book: Book, day: Day) -> None:
    """README "Standing charge": each day is what brings the tenancy's total at the day's
    rate G to floor(G * Σ shares so far), i.e. floor(G * (S + share)) - floor(G * S) with
    S the earlier days' shares (a whole day: G exactly; the move-in day floor(G * share)).
    Dated at the day's last microsecond, unless that cycle had ended when it was booked:
    then when booked. G: the room's rate, with the tax added (on fees) of the version in
    force at that date, which also gives the tax rate."""
    spec = book.spec
    end = local_midnight(day.day + timedelta(days=1))
    dated = min(end - ONE_MICROSECOND, day.booked)
    if book.cycle(dated) != book.cycle(day.booked):
        dated = day.booked
    version = version_at(spec.tariff, dated)
    rate = Fraction(version.gross_fee(spec.standing))
    amount = floor_fraction(rate * (day.earlier + day.share)) - floor_fraction(rate * day.earlier)
    if amount > 0:
        book.add("standing_charge", dated, version.fee_rate, amount)
    book.exact_standing[book.cycle(local_midnight(day.day))] += rate * day.share


# Cycle rules: one billing cycle of a tenancy.


def cycle_fee(book: Book, cycle: Cycle) -> None:
    """README: once per cycle, dated at the cycle start (the move-in cycle: at the move-in,
    whole without pro rata); with the tax added (on fees) of the version in force then."""
    spec = book.spec
    if spec.cycle_fee <= 0:
        return
    version = version_at(spec.tariff, cycle.dated)
    book.add("cycle_fee", cycle.dated, version.fee_rate, version.gross_fee(spec.cycle_fee))


# Common-area rule: one common meter's day, across the accounts.


def common_shares(
    meter: CommonMeter, day: date, kwh: Decimal, weights: dict[str, Fraction]
) -> dict[str, Decimal]:
    """README "Common areas": cost = floor(kWh * price); per account (by payer room) the
    floor of cost * weight / Σ weights, the cents left one each by largest remainder (ties:
    the lower account, here the payer rooms in the order the accounts were opened)."""
    cost = int(floor(kwh * meter.price) / CENT)
    total = sum(weights.values(), Fraction(0))
    if total == 0:
        return {}
    exact = {room: Fraction(cost) * w / total for room, w in weights.items() if w > 0}
    cents = {room: math.floor(x) for room, x in exact.items()}
    order = sorted(exact, key=lambda room: (cents[room] - exact[room], OPENED.index(room)))
    for room in order[: cost - sum(cents.values())]:
        cents[room] += 1
    return {room: c * CENT for room, c in cents.items() if c}


OPENED = tuple(spec.room_id for spec in ACCOUNTS)
# Leaving a rule out makes the comparison fail (tests/billing/test_year.py): a flag for it.
SHARE_COMMON_AREAS = True
PAUSE_STANDING = True
CLAMP_ENTITY_PRICE = True


POSTING_RULES: tuple[Callable[[Book, Posting], None], ...] = (energy,)
DAILY_RULES: tuple[Callable[[Book, Day], None], ...] = (standing_charge,)
CYCLE_RULES: tuple[Callable[[Book, Cycle], None], ...] = (cycle_fee,)


def recover(book: Book, moment: datetime, since: datetime, paid: Decimal | None) -> None:
    """README "Debt recovery plan", with a balance always far above the floor (0): a share
    of each top-up, then the fixed amounts due per local midnight (per seventh) since the
    plan, never beyond the debt left."""
    plan = book.spec.plan
    key = book.cycle(moment)
    if paid is not None and plan.percent:
        take = min(floor(paid * plan.percent / 100), book.remaining)
        book.remaining -= take
        book.recovered[key] += take
    if plan.fixed:
        days = (moment.astimezone(TZ).date() - since.astimezone(TZ).date()).days
        due = days // (7 if plan.every == "week" else 1) * plan.fixed - book.fixed_taken
        take = min(due, book.remaining)
        if take > 0:
            book.remaining -= take
            book.fixed_taken += take
            book.recovered[key] += take


def cut_share(
    day: date, start: datetime, end: datetime, cuts: list[tuple[datetime, datetime | None]]
) -> Fraction:
    """The part of a local day within [start, end) that any cut covers (overlaps once)."""
    lo = max(local_midnight(day), start)
    hi = min(local_midnight(day + timedelta(days=1)), end)
    covered, reach = timedelta(0), lo
    for cut, restored in sorted(cuts):
        a, b = max(cut, reach), min(restored or hi, hi)
        if b > a:
            covered += b - a
            reach = b
    length = local_midnight(day + timedelta(days=1)) - local_midnight(day)
    return Fraction(micros(covered), micros(length))


def tenancy_days(moved_in: datetime, moved_out: datetime) -> Iterator[tuple[date, Fraction]]:
    day = moved_in.astimezone(TZ).date()
    while local_midnight(day) < moved_out:
        yield day, day_share(day, moved_in, moved_out)
        day += timedelta(days=1)


def close_book(book: Book, moved_in: datetime, moved_out: datetime, calls: list[datetime]) -> None:
    """The daily and cycle rules over the tenancy, once it is over. `calls`: when the core
    was called for the account (sorted; a day is booked at the first call after it ended)."""
    earlier = Fraction(0)
    for day, whole in tenancy_days(moved_in, moved_out):
        end = local_midnight(day + timedelta(days=1))
        booked = moved_out if end > moved_out else calls[bisect.bisect_left(calls, end)]
        # README "Standing charge", paused: the day's share less the part of it cut.
        paused = cut_share(day, moved_in, moved_out, book.cuts)
        share = whole - paused if book.spec.pause and PAUSE_STANDING else whole
        if book.spec.pause:
            book.paused[book.cycle(local_midnight(day))] += paused
        for daily in DAILY_RULES:
            daily(book, Day(day, share, earlier, booked))
        earlier += share
    starts = [moved_in, *cycle_starts_between(moved_in, moved_out, book.spec.start_day)]
    for start in starts:
        for rule in CYCLE_RULES:
            rule(book, Cycle(book.cycle(start), start))


# --- the ledger, sorted into the same figures (the rates from this file's tariff table) ------


def entry_energy(spec: AccountSpec, entry: Entry, figures: Figures) -> bool:
    """A charge: its meter's (`meter:<room>`, else the account room's) version at the span
    start gives its rate."""
    if entry.kind != "charge":
        return False
    room = (entry.reference or "").removeprefix("meter:") or spec.room_id
    meter = next(m for m in spec.meters if m.room_id == room)
    assert entry.span_start is not None
    assert entry.cycle is not None
    rate = version_at(meter.tariff, entry.span_start).energy_rate
    figures["energy"][entry.cycle, rate] -= entry.amount
    figures[f"kwh {room}"][entry.cycle, Decimal(0)] += entry.kwh or Decimal(0)
    return True


def entry_common(spec: AccountSpec, entry: Entry, figures: Figures) -> bool:
    """A common area's share: a fee referenced `common area <meter> <day>`."""
    if entry.kind != "fee" or not (entry.reference or "").startswith("common area "):
        return False
    figures["common_area"][cycle_key(entry.at, spec.start_day), Decimal(0)] -= entry.amount
    return True


def entry_fee(spec: AccountSpec, entry: Entry, figures: Figures) -> bool:
    """A standing charge (a fee naming its day) or cycle fee (a fee of a cycle): in the
    cycle of its date, at the account's tariff version then."""
    if entry.kind != "fee" or (entry.reference is None and entry.cycle is None):
        return False
    figure = "standing_charge" if entry.reference is not None else "cycle_fee"
    rate = version_at(spec.tariff, entry.at).fee_rate
    figures[figure][cycle_key(entry.at, spec.start_day), rate] -= entry.amount
    if entry.reference is not None:  # also per the day's own cycle
        day = date.fromisoformat(entry.reference.rsplit(" ", 1)[1])
        figures["standing"][cycle_key(local_midnight(day), spec.start_day), rate] -= entry.amount
    return True


def entry_top_up(spec: AccountSpec, entry: Entry, figures: Figures) -> bool:
    if entry.kind != "top_up":
        return False
    figures["top_ups"][cycle_key(entry.at, spec.start_day), Decimal(0)] += entry.amount
    return True


def entry_recovered(spec: AccountSpec, entry: Entry, figures: Figures) -> bool:
    if entry.kind != "adjustment" or not entry.why.startswith("debt recovered"):
        return False
    figures["recovered"][cycle_key(entry.at, spec.start_day), Decimal(0)] -= entry.amount
    return True


ENTRY_RULES: tuple[Callable[[AccountSpec, Entry, Figures], bool], ...] = (
    entry_energy,
    entry_common,
    entry_fee,
    entry_top_up,
    entry_recovered,
)


def ledger_figures(ledger: Ledger, account_id: int, spec: AccountSpec) -> Figures:
    figures: Figures = defaultdict(lambda: defaultdict(Decimal))
    for entry in ledger.entries(account_id=account_id):
        any(rule(spec, entry, figures) for rule in ENTRY_RULES)
    return figures


def per_cycle(lines: dict[tuple[str, Decimal], Decimal]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for (key, _), amount in lines.items():
        totals[key] += amount
    return totals


# --- the statement: its tax section and meter lines from the README's rules ------------------

TAX_LINES = ("energy", "standing_charge", "cycle_fee")


def split(gross: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """README: tax = round_half_up(gross * rate / (100 + rate)), net = gross - tax."""
    tax = (gross * rate / (HUNDRED + rate)).quantize(CENT, ROUND_HALF_UP)
    return gross - tax, tax


def expected_tax(
    spec: AccountSpec, key: str, end: datetime, posted_energy: Figures, book: Book
) -> dict[str, Any] | None:
    """A cycle's `tax` section: each line's gross at each rate split once; the energy
    line's gross: the cycle's posted energy cost shared out by the exact amounts at each
    rate, the fees' as the rules fix them. None if no version of any of the account's
    meters in force during the cycle has a tax."""
    start = local_midnight(date.fromisoformat(key))
    in_force = [v for m in spec.meters for v in versions_during(m.tariff, start, end)]
    if all(v.tax_rate is None for v in in_force):
        return None
    exact = {rate: v for (cycle, rate), v in book.figures["energy"].items() if cycle == key}
    cost = per_cycle(posted_energy["energy"]).get(key, Decimal(0))
    shares = largest_remainder(cost, list(exact.values()))
    gross = {
        "energy": {(key, rate): share for rate, share in zip(exact, shares, strict=True)},
        "standing_charge": book.figures["standing_charge"],
        "cycle_fee": book.figures["cycle_fee"],
    }
    lines = {}
    for name in TAX_LINES:
        net = tax = total = Decimal(0)
        for (cycle, rate), amount in gross[name].items():
            if cycle == key:
                line_net, line_tax = split(amount, rate)
                net, tax, total = net + line_net, tax + line_tax, total + amount
        lines[name] = (net, tax, total)
    return {
        "rates": sorted({f"{v.tax_rate:.2f}" for v in in_force if v.tax_rate is not None}),
        "lines": lines,
        "total": tuple(sum(figures[i] for figures in lines.values()) for i in range(3)),
    }


def largest_remainder(total: Decimal, exact: list[Decimal]) -> list[Decimal]:
    """README: `total` shared out by the exact amounts: each the floor of its own, the
    minor units left one each to the largest remainders."""
    parts = [floor(value) for value in exact]
    # Clipped: a total further off than that is reported by the energy figure already.
    left = min(max(int((total - sum(parts, Decimal(0))) / CENT), 0), len(parts))
    for index in sorted(range(len(exact)), key=lambda i: exact[i] - parts[i], reverse=True)[:left]:
        parts[index] += CENT
    return parts


def money_diff(shown: dict[str, str], expected: tuple[Decimal, ...]) -> Decimal:
    figures = (Decimal(shown[name]) for name in ("net", "tax", "gross"))
    return max(abs(a - b) for a, b in zip(figures, expected, strict=True)) / CENT


# --- the simulation: the system under test ---------------------------------------------------


@dataclass
class Report:
    cycles: int
    worst: dict[str, Decimal]  # money figure -> largest |ledger - recomputation|, minor units
    worst_kwh: dict[str, Decimal]  # per-meter figure -> largest difference, micro-kWh
    top_up_lines: int
    booked: int
    mismatches: list[str]  # what the statements show that the rules do not say
    seconds: float
    paused_days: Fraction = Fraction(0)  # standing-charge days paused by cuts, all accounts


def run(days: int = 365, seed: int = 18) -> Report:
    began = perf_counter()
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        clock = [START]
        ledger = Ledger(Path(folder) / "year.sqlite3", Currency("EUR"), now=lambda: clock[0])
        core = BillingCore(ledger, TZ, now=lambda: clock[0])
        books = {spec.room_id: Book(spec, remaining=spec.plan.debt) for spec in ACCOUNTS}
        meters = [(spec, meter) for spec in ACCOUNTS for meter in spec.meters]
        readings = {meter.room_id: Decimal(1000) for _, meter in meters}
        references = {spec.room_id: spec.reference for spec in ACCOUNTS}
        for spec, meter in meters:
            own = meter is spec.meters[0]
            core.upsert_room(
                meter.room_id,
                RoomConfig(
                    name=meter.room_id,
                    cycle_start_day=spec.start_day,
                    standing_charge=spec.standing if own else Decimal(0),
                    cycle_fee=spec.cycle_fee if own else Decimal(0),
                    bills_to=None if own else spec.room_id,
                    pause_standing_when_cut=spec.pause and own,
                ),
            )
            for version in meter.tariff:
                core.set_tariff(
                    meter.room_id,
                    version.definition(),
                    effective_from=None if version.since == START else version.since,
                )
            core.process_reading(meter.room_id, readings[meter.room_id])
        clock[0] += timedelta(hours=1)
        moved_in = clock[0]
        for spec in ACCOUNTS:
            core.move_in(
                spec.room_id,
                "tenant",
                readings[spec.room_id],
                who="landlord",
                first_top_up="200",
                meter_readings={m.room_id: readings[m.room_id] for m in spec.meters[1:]},
            )
            books[spec.room_id].top_ups[books[spec.room_id].cycle(clock[0])] += 200
            plan = spec.plan
            core.set_debt_plan(
                spec.room_id,
                debt=plan.debt,
                percent=plan.percent,
                fixed=plan.fixed,
                every=plan.every,
                reason="arrears",
                who="landlord",
            )
        calls = [clock[0]]
        end = START + timedelta(days=days, hours=7, minutes=41)
        payer = {meter.room_id: spec.room_id for spec, meter in meters}
        usage: dict[tuple[str, date], Decimal] = defaultdict(Decimal)  # payer, day -> kWh
        common_rng = random.Random(seed + 1)
        cut_rng = random.Random(seed + 2)
        price_rng = random.Random(seed + 3)
        next_common = moved_in.astimezone(TZ).date()
        statements: list[str] = []
        lines_total = booked = 0
        step = 0
        while clock[0] + STEP < end:
            clock[0] += STEP
            step += 1
            calls.append(clock[0])
            for spec, meter in meters:
                book = books[spec.room_id]
                # At least a Wh: every reading is a posting (which books the days passed).
                kwh = Decimal(rng.randint(1, 3000)) / 1000
                sample = spot_price(price_rng) if meter.tariff[0].entity else None
                posting = Posting(meter, calls[-2], clock[0], kwh, readings[meter.room_id], sample)
                readings[meter.room_id] += kwh
                core.process_reading(meter.room_id, readings[meter.room_id], sampled_price=sample)
                # Consumption by day as the ledger dates it: a piece ending at a cycle
                # start is dated just before it (README "Common areas", by consumption).
                edges = [calls[-2], *cycle_starts_between(calls[-2], clock[0], spec.start_day)]
                for a, b in itertools.pairwise([*edges, clock[0]]):
                    piece = kwh * Decimal(micros(b - a)) / Decimal(micros(clock[0] - calls[-2]))
                    dated = b - ONE_MICROSECOND if b != clock[0] else b
                    usage[spec.room_id, dated.astimezone(TZ).date()] += piece
                for rule in POSTING_RULES:
                    rule(book, posting)
            for spec in ACCOUNTS:  # a cut for want of credit now and then, as recorded
                cuts = books[spec.room_id].cuts
                if cuts and cuts[-1][1] is None and cut_rng.random() < 0.3:
                    core.record_supply_restored(spec.room_id, clock[0])
                    cuts[-1] = (cuts[-1][0], clock[0])
                elif (not cuts or cuts[-1][1] is not None) and cut_rng.random() < 0.04:
                    core.record_supply_cut(spec.room_id, clock[0])
                    cuts.append((clock[0], None))
            while local_midnight(next_common + timedelta(1)) <= clock[0]:
                day, next_common = next_common, next_common + timedelta(1)
                dated = local_midnight(next_common) - ONE_MICROSECOND
                for common in COMMON_METERS:
                    kwh = Decimal(common_rng.randint(500, 6000)) / 1000
                    core.book_common_day(
                        common.key, common.key, day, kwh, common.price, common.rooms, common.method
                    )
                    if not SHARE_COMMON_AREAS:
                        continue
                    weights: dict[str, Fraction] = defaultdict(Fraction)
                    for room in common.rooms:
                        account = payer[room]
                        if common.method == "equal":
                            weights[account] += day_share(day, moved_in, end)
                        else:
                            weights[account] = Fraction(usage[account, day])
                    for account, amount in common_shares(common, day, kwh, weights).items():
                        books[account].common[books[account].cycle(dated)] += amount
            for spec in ACCOUNTS:
                recover(books[spec.room_id], clock[0], moved_in, None)
            if step % 28 == 0:  # a week: one bank statement, imported with last week's again
                rows = [
                    f"{clock[0].date():%Y-%m-%d};{(Decimal(rng.randint(12000, 18000)) / 100):.2f}".replace(
                        ".", ","
                    )
                    + f";Strom {spec.reference.lower()} week {step}"
                    for spec in ACCOUNTS
                ] + [
                    f"{clock[0].date():%Y-%m-%d};-45,00;Stadtwerke",
                    f"{clock[0].date():%Y-%m-%d};9,99;unknown payer",
                ]
                statements.append("\n".join(rows))
                text = "Datum;Betrag;Text\n" + "\n".join(statements[-2:]) + "\n"
                for line in parse_statement(text, FORMAT):
                    lines_total += 1
                    room, _ = match(line, references)
                    if room is None:
                        continue
                    top_up, _ = core.import_payment(room, line, who="landlord")
                    assert top_up is not None
                    if top_up.created:
                        booked += 1
                        assert line.amount is not None
                        books[room].top_ups[books[room].cycle(clock[0])] += line.amount
                        recover(books[room], clock[0], moved_in, line.amount)
        clock[0] = end
        calls.append(end)
        worst: dict[str, Decimal] = defaultdict(Decimal)
        worst_kwh: dict[str, Decimal] = defaultdict(Decimal)
        mismatches: list[str] = []
        cycles = 0
        for spec in ACCOUNTS:
            book = books[spec.room_id]
            tenancy = core.tenancy_of(spec.room_id)
            assert tenancy is not None
            result = core.move_out(
                spec.room_id,
                readings[spec.room_id],
                who="landlord",
                meter_readings={m.room_id: readings[m.room_id] for m in spec.meters[1:]},
            )
            close_book(book, moved_in, end, calls)
            posted = ledger_figures(ledger, tenancy.account_id, spec)
            keys = sorted(per_cycle(book.figures["energy"]))
            cycles += len(keys)

            def compare(figure: str, mine: dict[str, Decimal], theirs: dict[str, Decimal]) -> None:
                for key in set(mine) | set(theirs):
                    diff = abs(theirs.get(key, Decimal(0)) - mine.get(key, Decimal(0))) / CENT
                    worst[figure] = max(worst[figure], diff)

            # Per cycle: Σ charges of the account (every meter) against Σ kWh * gross price.
            compare("energy", per_cycle(book.figures["energy"]), per_cycle(posted["energy"]))
            exact = {k: to_decimal(v) for k, v in book.exact_standing.items()}
            compare("standing", exact, per_cycle(posted["standing"]))
            for figure in ("standing_charge", "cycle_fee"):  # the fees as posted, by rate
                compare(
                    figure,
                    {f"{k}@{r}": v for (k, r), v in book.figures[figure].items()},
                    {f"{k}@{r}": v for (k, r), v in posted[figure].items()},
                )
            for meter in spec.meters:  # each meter's kWh in the ledger, to the micro-kWh
                room = meter.room_id
                mine = {k: v for (r, k), v in book.meters.kwh.items() if r == room}
                for key, kwh in per_cycle(posted[f"kwh {room}"]).items():
                    diff = abs(kwh - mine.get(key, Decimal(0))) / MICRO
                    worst_kwh["ledger_kwh"] = max(worst_kwh["ledger_kwh"], diff)
            compare("top_ups", book.top_ups, per_cycle(posted["top_ups"]))
            compare("recovered", book.recovered, per_cycle(posted["recovered"]))
            compare("common_area", book.common, per_cycle(posted["common_area"]))
            for key in keys:
                data = statement_data(core, tenancy.tenancy_id, key)
                cycle_end = local_midnight(
                    date.fromisoformat(data["cycle_last_day"]) + timedelta(1)
                )
                if spec.pause:  # days paused, shown to two decimals rounded down
                    mine_paused = floor_fraction(book.paused[key])
                    shown_paused = Decimal(data["standing_charge"]["paused_days"])
                    worst["paused_days"] = max(
                        worst["paused_days"], abs(shown_paused - mine_paused) / CENT
                    )
                    book.paused_total += book.paused[key]
                shown = Decimal(data["common_area"]["amount"])
                worst["common_area_statement"] = max(
                    worst["common_area_statement"], abs(shown - book.common[key]) / CENT
                )
                check_statement(
                    spec,
                    key,
                    cycle_end,
                    data,
                    posted=posted,
                    book=book,
                    worst=worst,
                    worst_kwh=worst_kwh,
                    mismatches=mismatches,
                )
            # What was left of the plan is in the settlement; the account ends at zero.
            status = core.debt_plan_status(tenancy.tenancy_id)
            assert status is not None
            worst["plan_debt_left"] = max(
                worst["plan_debt_left"],
                abs(status.plan.debt - status.recovered - book.remaining) / CENT,
            )
            assert ledger.balance(tenancy.account_id) == 0
            assert result.settlement is not None
        ledger.close()
        return Report(
            cycles,
            dict(worst),
            dict(worst_kwh),
            lines_total,
            booked,
            mismatches,
            perf_counter() - began,
            sum((b.paused_total for b in books.values()), Fraction(0)),
        )


def check_statement(
    spec: AccountSpec,
    key: str,
    end: datetime,
    data: dict[str, Any],
    *,
    posted: Figures,
    book: Book,
    worst: dict[str, Decimal],
    worst_kwh: dict[str, Decimal],
    mismatches: list[str],
) -> None:
    """A cycle's statement: the tax section exactly as the README splits the gross amounts,
    and (a shared account) one line per meter within one minor unit of its kWh * price."""
    where = f"{spec.room_id} {key}"
    tax = expected_tax(spec, key, end, posted, book)
    if (tax is None) != (data["tax"] is None):
        mismatches.append(f"{where}: tax section {data['tax']!r}, the rules say {tax!r}")
    elif tax is not None:
        if data["tax"]["rates"] != tax["rates"]:
            mismatches.append(
                f"{where}: rates {data['tax']['rates']}, the rules say {tax['rates']}"
            )
        diffs = [money_diff(data["tax"]["lines"][n], tax["lines"][n]) for n in TAX_LINES]
        diffs.append(money_diff(data["tax"]["total"], tax["total"]))
        worst["tax_section"] = max(worst["tax_section"], *diffs)
        if any(diffs):
            mismatches.append(f"{where}: tax {data['tax']}, the rules say {tax}")
    rooms = [m.room_id for m in spec.meters]
    shown = {line["room_id"]: line for line in data["meters"]}
    if len(rooms) < 2:
        if shown:
            mismatches.append(f"{where}: meter lines on a one-meter account")
        return
    if sorted(shown) != sorted(rooms):
        mismatches.append(f"{where}: meter lines for {sorted(shown)}, the rules say {rooms}")
        return
    for room in rooms:
        line, mine = shown[room], (room, key)
        worst["meter_line"] = max(
            worst["meter_line"], abs(Decimal(line["amount"]) - book.meters.cost[mine]) / CENT
        )
        for figure, value in (
            ("meter_kwh", book.meters.kwh[mine]),
            ("meter_reading_from", book.meters.first[mine]),
            ("meter_reading_to", book.meters.last[mine]),
        ):
            # Shown to the Wh (README: kWh with three decimals), so compared rounded alike.
            shown_value = Decimal(line[figure.removeprefix("meter_")])
            diff = abs(shown_value - value.quantize(WH, ROUND_HALF_EVEN)) / MICRO
            worst_kwh[figure] = max(worst_kwh[figure], diff)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    report = run(args.days, args.seed)
    meters = sum(len(spec.meters) for spec in ACCOUNTS)
    print(
        f"{len(ACCOUNTS)} accounts ({meters} meters), {args.days} days, {report.cycles} "
        f"account-cycles, {report.top_up_lines} bank lines imported ({report.booked} payments "
        f"booked), {float(report.paused_days):.2f} standing-charge days paused by cuts, "
        f"{report.seconds:.1f} s"
    )
    for figure, value in sorted(report.worst.items()):
        print(f"  largest |ledger - recomputation| per cycle, {figure}: {value:.4f} minor units")
    for figure, value in sorted(report.worst_kwh.items()):
        print(
            f"  largest |ledger or statement - recomputation| per cycle, {figure}: {value:.1f} micro-kWh"
        )
    for mismatch in report.mismatches:
        print(f"  MISMATCH {mismatch}")


if __name__ == "__main__":
    main()
