"""Tariffs (flat, time-of-use, tiered per billing cycle, price from an entity), tariff versions
and usage pricing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
import itertools
import re
from typing import Any, Literal
from zoneinfo import ZoneInfo

from .cycle import CycleCalendar, local_midnight, utc
from .errors import (
    TARIFF_INTERVAL_GAP,
    TARIFF_INTERVAL_OVERLAP,
    TARIFF_INVALID,
    TARIFF_TIERS_INVALID,
    TARIFF_TOO_MANY_INTERVALS,
    TARIFF_UNKNOWN_KEY,
    TARIFF_UNKNOWN_PERIOD,
    BillingError,
)
from .money import KWH_QUANTUM, PRICE_QUANTUM, kwh_to_micro, micro_to_kwh, parse_kwh, parse_price
from .tax import TAX_KEYS, Tax, gross_price, tax_from_dict, tax_to_dict

MAX_INTERVALS = 14
MINUTES_PER_DAY = 24 * 60
FLAT_PERIOD = "standard"
ENTITY_PERIOD = "entity"
NO_TARIFF_PERIOD = "none"
SATURDAY = 5
# The keys each part of a tariff may have: anything else is a typo (a `weekends` set would
# otherwise be dropped silently, and weekday prices charged at weekends).
TARIFF_KEYS: Mapping[str, frozenset[str]] = {
    "flat": frozenset({"kind", "price"}) | TAX_KEYS,
    "tou": frozenset({"kind", "prices", "weekday", "weekend"}) | TAX_KEYS,
    "tiered": frozenset({"kind", "blocks"}) | TAX_KEYS,
    "entity": frozenset({"kind", "entity_id", "min_price", "max_price"}) | TAX_KEYS,
}
ENTITY_OBJECT_ID = re.compile(r"[a-z0-9_]{1,200}")
INTERVAL_KEYS = frozenset({"start", "end", "period"})
BLOCK_KEYS = frozenset({"up_to_kwh", "price"})


@dataclass(frozen=True, slots=True)
class FlatTariff:
    price: Decimal
    kind: Literal["flat"] = "flat"

    def max_price(self) -> Decimal:
        return self.price


@dataclass(frozen=True, slots=True)
class TouInterval:
    """[start, end) in local minutes of the day; end 1440 is midnight at the end of the day."""

    start_minute: int
    end_minute: int
    period: str


@dataclass(frozen=True, slots=True)
class TouTariff:
    prices: tuple[tuple[str, Decimal], ...]
    weekday: tuple[TouInterval, ...]
    weekend: tuple[TouInterval, ...] | None = None
    kind: Literal["tou"] = "tou"

    def price_of(self, period: str) -> Decimal:
        return dict(self.prices)[period]

    def max_price(self) -> Decimal:
        return max(price for _, price in self.prices)

    def period_at(self, local: datetime) -> str:
        intervals = self.weekday
        if self.weekend is not None and local.weekday() >= SATURDAY:
            intervals = self.weekend
        minute = local.hour * 60 + local.minute
        for interval in intervals:
            if interval.start_minute <= minute < interval.end_minute:
                return interval.period
        raise AssertionError("validated intervals cover the day")

    def boundary_minutes(self) -> set[int]:
        sets = [self.weekday] if self.weekend is None else [self.weekday, self.weekend]
        return {i.start_minute for intervals in sets for i in intervals}


@dataclass(frozen=True, slots=True)
class TierBlock:
    """Energy up to `up_to_kwh` (cumulative within the cycle; None = no limit) costs `price`."""

    up_to_kwh: Decimal | None
    price: Decimal


@dataclass(frozen=True, slots=True)
class TieredTariff:
    blocks: tuple[TierBlock, ...]
    kind: Literal["tiered"] = "tiered"

    def max_price(self) -> Decimal:
        return max(block.price for block in self.blocks)


@dataclass(frozen=True, slots=True)
class EntityTariff:
    """The price per kWh follows an entity (sampled by the HA layer at each posting, never
    read here), guarded to [min_price, max_price]; without a price the guard's top applies."""

    entity_id: str
    min_price: Decimal
    max_price_guard: Decimal
    kind: Literal["entity"] = "entity"

    def max_price(self) -> Decimal:
        return self.max_price_guard

    def price_for(self, sampled: Decimal | None) -> tuple[Decimal, EntityPriceStatus]:
        """The net price charged for a sampled price, and whether it was used as sampled,
        clamped to the guard, or missing (then `max_price`)."""
        if sampled is None or not sampled.is_finite():
            return self.max_price_guard, "unavailable"
        price = sampled.quantize(PRICE_QUANTUM, ROUND_DOWN)
        if price < self.min_price:
            return self.min_price, "clamped"
        if price > self.max_price_guard:
            return self.max_price_guard, "clamped"
        return price, "sampled"


type EntityPriceStatus = Literal["sampled", "clamped", "unavailable"]
type Tariff = FlatTariff | TouTariff | TieredTariff | EntityTariff


@dataclass(frozen=True, slots=True)
class TariffVersion:
    effective_from: datetime
    tariff: Tariff
    tax: Tax | None = None

    @classmethod
    def from_dict(cls, effective_from: datetime, definition: Mapping[str, Any]) -> TariffVersion:
        """A version from a tariff definition with its optional tax keys (validated)."""
        return cls(effective_from, tariff_from_dict(definition), tax_from_dict(definition))

    def to_dict(self) -> dict[str, Any]:
        """The definition as stored and shown: the tariff and its tax keys."""
        return tariff_to_dict(self.tariff) | tax_to_dict(self.tax)


# --- parsing and validation ------------------------------------------------------------------


def _parse_minute(value: object, field_name: str) -> int:
    text = str(value)
    try:
        if text in {"24:00", "24:00:00"}:
            return MINUTES_PER_DAY
        parsed = time.fromisoformat(text)
    except ValueError:
        raise BillingError(TARIFF_INVALID, {"field": field_name, "value": text}) from None
    if parsed.second or parsed.microsecond:
        raise BillingError(TARIFF_INVALID, {"field": field_name, "value": text})
    return parsed.hour * 60 + parsed.minute


def _format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _check_keys(item: object, allowed: frozenset[str], where: str) -> Mapping[str, Any]:
    """A mapping with only the allowed keys; the first unknown one is named."""
    if not isinstance(item, Mapping):
        raise BillingError(TARIFF_INVALID, {"field": where, "value": _shown(item)})
    for key in item:
        if key not in allowed:
            raise BillingError(TARIFF_UNKNOWN_KEY, {"key": _shown(key), "where": where})
    return item


def _shown(value: object) -> str:
    """A value as an error message shows it: junk may be of any size."""
    text = str(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _sequence(raw: object, field_name: str) -> Sequence[Any]:
    """A list of a tariff (intervals, blocks): not a text, not a mapping."""
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise BillingError(TARIFF_INVALID, {"field": field_name, "value": _shown(raw)})
    return raw


def validate_intervals(
    raw: object, periods: set[str], set_name: str = "weekday"
) -> tuple[TouInterval, ...]:
    """Intervals must cover the whole day, without overlap or gap; one may wrap past midnight."""
    raw = _sequence(raw, set_name)
    if not raw or len(raw) > MAX_INTERVALS:
        raise BillingError(
            TARIFF_TOO_MANY_INTERVALS,
            {"set": set_name, "count": str(len(raw)), "max": str(MAX_INTERVALS)},
        )
    pieces: list[TouInterval] = []
    for raw_item in raw:
        item = _check_keys(raw_item, INTERVAL_KEYS, set_name)
        start = _parse_minute(item.get("start"), "start")
        end = _parse_minute(item.get("end"), "end")
        period = str(item.get("period"))
        if period not in periods:
            raise BillingError(TARIFF_UNKNOWN_PERIOD, {"period": period, "set": set_name})
        end = MINUTES_PER_DAY if end == 0 else end
        if start in {MINUTES_PER_DAY, end}:
            raise BillingError(TARIFF_INVALID, {"field": "start", "value": _format_minute(start)})
        if end < start:
            pieces += [TouInterval(start, MINUTES_PER_DAY, period), TouInterval(0, end, period)]
        else:
            pieces.append(TouInterval(start, end, period))
    pieces.sort(key=lambda i: i.start_minute)
    cursor = 0
    for interval in pieces:
        if interval.start_minute < cursor:
            raise BillingError(
                TARIFF_INTERVAL_OVERLAP,
                {"set": set_name, "at": _format_minute(interval.start_minute)},
            )
        if interval.start_minute > cursor:
            raise BillingError(TARIFF_INTERVAL_GAP, {"set": set_name, "at": _format_minute(cursor)})
        cursor = interval.end_minute
    if cursor != MINUTES_PER_DAY:
        raise BillingError(TARIFF_INTERVAL_GAP, {"set": set_name, "at": _format_minute(cursor)})
    return tuple(pieces)


def tariff_from_dict(data: Mapping[str, Any]) -> Tariff:
    """Build and validate a tariff from its JSON-able form (as stored, and as actions pass it)."""
    kind = data.get("kind") if isinstance(data, Mapping) else None
    if not isinstance(kind, str) or kind not in TARIFF_KEYS:
        raise BillingError(TARIFF_INVALID, {"field": "kind", "value": _shown(kind)})
    _check_keys(data, TARIFF_KEYS[kind], "tariff")
    if kind == "flat":
        return FlatTariff(price=parse_price(data.get("price", "")))
    if kind == "tou":
        raw_prices = data.get("prices")
        if not isinstance(raw_prices, Mapping) or not raw_prices:
            raise BillingError(TARIFF_INVALID, {"field": "prices", "value": _shown(raw_prices)})
        prices = tuple(sorted((str(k), parse_price(v)) for k, v in raw_prices.items()))
        names = {name for name, _ in prices}
        weekend_raw = data.get("weekend")
        return TouTariff(
            prices=prices,
            weekday=validate_intervals(data.get("weekday") or [], names, "weekday"),
            weekend=None if not weekend_raw else validate_intervals(weekend_raw, names, "weekend"),
        )
    if kind == "tiered":
        raw_blocks = _sequence(data.get("blocks") or [], "blocks")
        blocks: list[TierBlock] = []
        previous = Decimal(0)
        for index, raw_item in enumerate(raw_blocks):
            item = _check_keys(raw_item, BLOCK_KEYS, f"block {index + 1}")
            limit_raw = item.get("up_to_kwh")
            limit = None if limit_raw is None else parse_kwh(limit_raw, allow_zero=False)
            last = index == len(raw_blocks) - 1
            if (limit is None) != last or (limit is not None and limit <= previous):
                raise BillingError(TARIFF_TIERS_INVALID, {"block": str(index + 1)})
            previous = limit or previous
            blocks.append(TierBlock(up_to_kwh=limit, price=parse_price(item.get("price", ""))))
        if not blocks:
            raise BillingError(TARIFF_TIERS_INVALID, {"block": "0"})
        return TieredTariff(blocks=tuple(blocks))
    if kind == "entity":
        return _entity_tariff(data)
    raise AssertionError(kind)  # every kind of TARIFF_KEYS is built above


def _entity_tariff(data: Mapping[str, Any]) -> EntityTariff:
    entity_id = data.get("entity_id")
    if (
        not isinstance(entity_id, str)
        or not entity_id.startswith("sensor.")
        or not ENTITY_OBJECT_ID.fullmatch(entity_id.removeprefix("sensor."))
    ):
        raise BillingError(TARIFF_INVALID, {"field": "entity_id", "value": _shown(entity_id)})
    prices: dict[str, Decimal] = {}
    for name in ("min_price", "max_price"):
        raw = data.get(name)
        try:
            price = None if raw is None or isinstance(raw, bool) else parse_price(raw)
        except BillingError:
            price = None
        # Above zero: a guard of zero would let the entity give the energy away.
        if price is None or price <= 0:
            raise BillingError(TARIFF_INVALID, {"field": name, "value": _shown(raw)})
        prices[name] = price
    if prices["min_price"] > prices["max_price"]:
        raise BillingError(
            TARIFF_INVALID, {"field": "min_price", "value": _shown(data.get("min_price"))}
        )
    return EntityTariff(entity_id, prices["min_price"], prices["max_price"])


def _intervals_to_list(intervals: tuple[TouInterval, ...]) -> list[dict[str, str]]:
    return [
        {
            "start": _format_minute(i.start_minute),
            "end": _format_minute(i.end_minute % MINUTES_PER_DAY),
            "period": i.period,
        }
        for i in intervals
    ]


def tariff_to_dict(tariff: Tariff) -> dict[str, Any]:
    match tariff:
        case FlatTariff(price=price):
            return {"kind": "flat", "price": str(price)}
        case TouTariff(prices=prices, weekday=weekday, weekend=weekend):
            result: dict[str, Any] = {
                "kind": "tou",
                "prices": {name: str(price) for name, price in prices},
                "weekday": _intervals_to_list(weekday),
            }
            if weekend is not None:
                result["weekend"] = _intervals_to_list(weekend)
            return result
        case TieredTariff(blocks=blocks):
            return {
                "kind": "tiered",
                "blocks": [
                    {
                        "up_to_kwh": None if b.up_to_kwh is None else str(b.up_to_kwh),
                        "price": str(b.price),
                    }
                    for b in blocks
                ],
            }
        case EntityTariff(entity_id=entity_id, min_price=low, max_price_guard=high):
            return {
                "kind": "entity",
                "entity_id": entity_id,
                "min_price": str(low),
                "max_price": str(high),
            }


def exceeds_cap(tariff: Tariff, supplier_price: Decimal, margin_percent: Decimal) -> bool:
    """True when some price of the tariff is above the supplier's price plus the allowed margin."""
    return tariff.max_price() > supplier_price * (1 + margin_percent / 100)


# --- splitting usage over time -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UsagePiece:
    """Energy attributed to one constant-price stretch of time within one billing cycle."""

    start: datetime
    end: datetime
    kwh: Decimal
    period: str
    price: Decimal
    cycle: str


@dataclass(slots=True)
class TariffSchedule:
    """All versions of a room's tariff, oldest first; each applies from its effective-from time."""

    versions: list[TariffVersion] = field(default_factory=list)

    def add(self, version: TariffVersion) -> None:
        self.versions = sorted(
            [v for v in self.versions if v.effective_from != version.effective_from] + [version],
            key=lambda v: v.effective_from,
        )

    def at(self, moment: datetime) -> TariffVersion | None:
        found = None
        for version in self.versions:
            if version.effective_from <= moment:
                found = version
        return found


def _dst_transitions(tz: ZoneInfo, day: date) -> list[datetime]:
    """UTC instants during local `day` where the UTC offset changes (found by bisection)."""
    low, high = local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)
    if low.astimezone(tz).utcoffset() == high.astimezone(tz).utcoffset():
        return []
    end_offset = high.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == end_offset:
            high = middle
        else:
            low = middle
    return [high.replace(microsecond=0)]


def _tou_boundaries(
    tariff: TouTariff, tz: ZoneInfo, start: datetime, end: datetime
) -> set[datetime]:
    found: set[datetime] = set()
    minutes = tariff.boundary_minutes() | {0}
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    while day <= last:
        for minute in minutes:
            wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
            for fold in (0, 1):
                found.add(wall.replace(fold=fold).astimezone(UTC))
        found.update(_dst_transitions(tz, day))
        day += timedelta(days=1)
    return {moment for moment in found if start < moment < end}


def price_boundaries(
    schedule: TariffSchedule, calendar: CycleCalendar, start: datetime, end: datetime
) -> list[datetime]:
    """Instants in (start, end) where the price may change: versions, TOU periods, cycles."""
    start, end = utc(start), utc(end)
    found = {v.effective_from for v in schedule.versions if start < v.effective_from < end}
    found.update(c.start for c in calendar.cycles_between(start, end) if start < c.start < end)
    active = [schedule.at(start)] + [v for v in schedule.versions if start < v.effective_from < end]
    for version in active:
        if version is not None and isinstance(version.tariff, TouTariff):
            found |= _tou_boundaries(version.tariff, calendar.tz, start, end)
    return sorted(found)


def next_price_boundary(
    schedule: TariffSchedule, calendar: CycleCalendar, after: datetime
) -> datetime:
    """The first instant after `after` where a posting is due because the price may change."""
    horizon = calendar.next_boundary(after)
    found = price_boundaries(schedule, calendar, after, horizon)
    return found[0] if found else horizon


def split_usage(
    kwh: Decimal,
    start: datetime,
    end: datetime,
    schedule: TariffSchedule,
    calendar: CycleCalendar,
    *,
    cycle_kwh: Callable[[str], Decimal],
    sampled_price: Decimal | None = None,
) -> list[UsagePiece]:
    """Split energy used over [start, end] into pieces of one price each.

    An entity-priced version charges its piece at `sampled_price` (the entity's price sampled
    at this posting) within its guard, at its `max_price` when there is none.

    Energy is spread in proportion to time (it was used while unread); tiered blocks are
    filled in time order from `cycle_kwh(cycle_key)`, the energy already used in that cycle.
    """
    start, end = utc(start), utc(end)
    cuts = [start, *price_boundaries(schedule, calendar, start, end), end]
    spans = [(a, b) for a, b in itertools.pairwise(cuts) if b > a] or [(start, end)]
    total_micro = kwh_to_micro(kwh)
    total_seconds = (end - start).total_seconds()
    elapsed = Decimal(0)
    allotted = 0
    used_in_cycle: dict[str, Decimal] = {}
    pieces: list[UsagePiece] = []
    for index, (a, b) in enumerate(spans):
        if index == len(spans) - 1:
            share = total_micro - allotted
        else:
            elapsed += Decimal(str((b - a).total_seconds()))
            share = int(total_micro * elapsed / Decimal(str(total_seconds))) - allotted
        allotted += share
        cycle = calendar.cycle_containing(a).key
        version = schedule.at(a)
        share_kwh = micro_to_kwh(share)
        if version is None:
            pieces.append(UsagePiece(a, b, share_kwh, NO_TARIFF_PERIOD, Decimal(0), cycle))
            continue
        tariff, tax = version.tariff, version.tax
        if isinstance(tariff, FlatTariff):
            price = gross_price(tariff.price, tax)
            pieces.append(UsagePiece(a, b, share_kwh, FLAT_PERIOD, price, cycle))
        elif isinstance(tariff, TouTariff):
            period = tariff.period_at(a.astimezone(calendar.tz))
            price = gross_price(tariff.price_of(period), tax)
            pieces.append(UsagePiece(a, b, share_kwh, period, price, cycle))
        elif isinstance(tariff, EntityTariff):
            price = gross_price(tariff.price_for(sampled_price)[0], tax)
            pieces.append(UsagePiece(a, b, share_kwh, ENTITY_PERIOD, price, cycle))
        else:
            used = used_in_cycle.setdefault(cycle, cycle_kwh(cycle))
            pieces += _fill_tiers(tariff, used, share_kwh, (a, b), cycle, tax=tax)
            used_in_cycle[cycle] = used + share_kwh
    return [p for p in pieces if p.kwh > 0] or pieces[-1:]


def next_kwh_piece(
    schedule: TariffSchedule,
    calendar: CycleCalendar,
    moment: datetime,
    *,
    cycle_kwh: Callable[[str], Decimal],
    sampled_price: Decimal | None = None,
) -> UsagePiece | None:
    """The period and price of the next kWh used at `moment` (tiered: after `cycle_kwh`);
    None before the first tariff version."""
    if schedule.at(moment) is None:
        return None
    return split_usage(
        KWH_QUANTUM,
        moment,
        moment,
        schedule,
        calendar,
        cycle_kwh=cycle_kwh,
        sampled_price=sampled_price,
    )[0]


def _fill_tiers(
    tariff: TieredTariff,
    used: Decimal,
    kwh: Decimal,
    span: tuple[datetime, datetime],
    cycle: str,
    *,
    tax: Tax | None,
) -> list[UsagePiece]:
    a, b = span
    pieces: list[UsagePiece] = []
    remaining = kwh
    for number, block in enumerate(tariff.blocks, start=1):
        if remaining <= 0:
            break
        room = remaining if block.up_to_kwh is None else max(Decimal(0), block.up_to_kwh - used)
        take = min(room, remaining)
        if take > 0:
            price = gross_price(block.price, tax)
            pieces.append(UsagePiece(a, b, take, f"tier_{number}", price, cycle))
            used += take
            remaining -= take
    return pieces
