"""Standing charge: a fixed charge per local day of a tenancy, pro rata on the move-in and
move-out days (see README.md, "Standing charge"). Pure date arithmetic; the core books it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
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


def day_share(day: date, tz: ZoneInfo, start: datetime, end: datetime) -> Decimal:
    """Which part of the local day [start, end) covers (1 for a whole day)."""
    first, last = day_bounds(day, tz)
    covered = min(last, utc(end)) - max(first, utc(start))
    if covered <= timedelta(0):
        return Decimal(0)
    if covered == last - first:
        return Decimal(1)
    return Decimal(covered // timedelta(microseconds=1)) / Decimal(
        (last - first) // timedelta(microseconds=1)
    )


def day_amount(
    rate: Decimal,
    minor_unit: Decimal,
    moved_in_share: Decimal,
    day_share_value: Decimal,
    *,
    first: bool,
) -> Decimal:
    """The charge of one day at `rate` (on the minor unit): whole days exactly `rate`; the
    move-in day `floor(rate * share)`; a later partial day (the move-out day) what brings the
    total to `floor(rate * sum of shares)`, so a tenancy's standing charges are within one
    minor unit of rate * days however it starts and ends."""

    def floor(value: Decimal) -> Decimal:
        return value.quantize(minor_unit, rounding=ROUND_FLOOR)

    if first:
        return floor(rate * day_share_value)
    return floor(rate * (moved_in_share + day_share_value)) - floor(rate * moved_in_share)
