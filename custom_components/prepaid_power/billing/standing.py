"""Standing charge: a fixed charge per local day of a tenancy, pro rata on the move-in and
move-out days (see README.md, "Standing charge"). Pure date arithmetic; the core books it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
import math
from typing import Final
from zoneinfo import ZoneInfo

from .cycle import local_midnight, utc

# The `reference` of a day's standing charge (a fee): unique per account (an index), so a
# day is booked once however often booking is tried.
STANDING_CHARGE: Final = "standing charge"


def day_reference(day: date) -> str:
    return f"{STANDING_CHARGE} {day.isoformat()}"


def is_standing_reference(reference: str | None) -> bool:
    """Whether a fee's reference is a day's standing charge (other fees name days too)."""
    return reference is not None and reference.startswith(f"{STANDING_CHARGE} ")


def day_of_reference(reference: str) -> date:
    return date.fromisoformat(reference.removeprefix(STANDING_CHARGE).strip())


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[00:00, next 00:00) local, in UTC (23 or 25 hours on DST days)."""
    return local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)


def day_share(day: date, tz: ZoneInfo, start: datetime, end: datetime) -> Fraction:
    """Which part of the local day [start, end) covers (1 for a whole day), exactly: a
    decimal share (23 of 24 hours) would make a sum of shares fall short of a whole number
    and a floored amount one minor unit too low."""
    first, last = day_bounds(day, tz)
    covered = min(last, utc(end)) - max(first, utc(start))
    if covered <= timedelta(0):
        return Fraction(0)
    return Fraction(
        covered // timedelta(microseconds=1), (last - first) // timedelta(microseconds=1)
    )


# A cut for want of credit: (cut, restored or None while it lasts), UTC.
type Cut = tuple[datetime, datetime | None]


def paused_share(
    day: date, tz: ZoneInfo, start: datetime, end: datetime, cuts: Sequence[Cut]
) -> Fraction:
    """Which part of the local day the cuts cover within [start, end) (overlapping cuts
    count once), exactly like `day_share`."""
    first, last = day_bounds(day, tz)
    lo, hi = max(first, utc(start)), min(last, utc(end))
    covered: list[tuple[datetime, datetime]] = []
    for cut_at, restored_at in sorted(cuts):
        a = max(lo, utc(cut_at))
        b = hi if restored_at is None else min(hi, utc(restored_at))
        if a >= b:
            continue
        if covered and a <= covered[-1][1]:
            covered[-1] = (covered[-1][0], max(covered[-1][1], b))
        else:
            covered.append((a, b))
    total = sum((b - a for a, b in covered), timedelta(0))
    return Fraction(total // timedelta(microseconds=1), (last - first) // timedelta(microseconds=1))


def charged_share(
    day: date, tz: ZoneInfo, start: datetime, end: datetime, cuts: Sequence[Cut]
) -> Fraction:
    """The share of the day [start, end) covers and no cut does (what is charged)."""
    return day_share(day, tz, start, end) - paused_share(day, tz, start, end, cuts)


def share_before(
    first_day: date, day: date, tz: ZoneInfo, moved_in_at: datetime, cuts: Sequence[Cut]
) -> Fraction:
    """Σ charged shares of the tenancy's days before `day` (exact). Whole days count 1;
    only the days a cut touches are computed one by one."""
    if day <= first_day:
        return Fraction(0)
    start = day_bounds(day, tz)[0]
    total = day_share(first_day, tz, moved_in_at, start) + (day - first_day).days - 1
    touched: set[date] = set()
    for cut_at, restored_at in cuts:
        a = max(utc(cut_at), utc(moved_in_at))
        b = start if restored_at is None else min(start, utc(restored_at))
        if a >= b:
            continue
        d = a.astimezone(tz).date()
        while d < day and day_bounds(d, tz)[0] < b:
            touched.add(d)
            d += timedelta(days=1)
    for d in touched:
        total -= paused_share(d, tz, moved_in_at, start, cuts)
    return total


def day_amount(
    rate: Decimal,
    minor_unit: Decimal,
    moved_in_share: Fraction,
    day_share_value: Fraction,
    *,
    first: bool,
) -> Decimal:
    """The charge of one day at `rate` (on the minor unit): whole days exactly `rate`; the
    move-in day `floor(rate * share)`; a later partial day (the move-out day) what brings the
    total to `floor(rate * sum of shares)`, so a tenancy's standing charges are within one
    minor unit of rate * days however it starts and ends."""

    def floor(share: Fraction) -> Decimal:
        # rate * share, floored to the minor unit, in exact rational arithmetic.
        return math.floor(Fraction(rate) * share / Fraction(minor_unit)) * minor_unit

    if first:
        return floor(day_share_value)
    return floor(moved_in_share + day_share_value) - floor(moved_in_share)


def paused_day_amount(
    rate: Decimal, minor_unit: Decimal, before: Fraction, share: Fraction
) -> Decimal:
    """A day's charge when cuts pause the standing charge: what brings the tenancy's total
    to `floor(rate * Σ charged shares so far)`; `before` is Σ of the days before. (Without
    cuts this is `day_amount`: whole days past the first add exactly the rate.)"""

    def floor(value: Fraction) -> int:
        return math.floor(Fraction(rate) * value / Fraction(minor_unit))

    return (floor(before + share) - floor(before)) * minor_unit
