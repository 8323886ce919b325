"""Standing charge: a fixed charge per local day of a tenancy, pro rata on the move-in and
move-out days (see README.md, "Standing charge"). Pure date arithmetic; the core books it.
"""

from __future__ import annotations

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
