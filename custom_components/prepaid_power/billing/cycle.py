"""Billing cycles: a calendar month by default, starting 00:00 local time on a start day (1 to 28).

Every instant handled by the billing core is an aware datetime; comparisons are done in UTC
because Python compares datetimes that share a tzinfo by wall time, which is wrong across DST.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from .errors import CYCLE_START_DAY_INVALID, BillingError


def utc(moment: datetime) -> datetime:
    """Normalise an aware datetime to UTC; naive datetimes are a programming error."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """00:00 local time on `day`, as UTC (a non-existent midnight maps to the DST transition)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def to_micros(moment: datetime) -> int:
    moment = utc(moment)
    return (moment - EPOCH) // ONE_MICROSECOND


def from_micros(micros: int) -> datetime:
    return EPOCH + micros * ONE_MICROSECOND


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - EPOCH


def validate_start_day(start_day: int) -> int:
    if not 1 <= start_day <= 28:
        raise BillingError(CYCLE_START_DAY_INVALID, {"value": str(start_day)})
    return start_day


@dataclass(frozen=True, slots=True)
class BillingCycle:
    """[start, end) in UTC; `key` is the local start date, e.g. "2026-11-01"."""

    start: datetime
    end: datetime
    start_date: date

    @property
    def key(self) -> str:
        return self.start_date.isoformat()


# Shared by the ledger threads: an entry is only ever replaced by another correct cycle.
_LAST_CYCLE: dict[tuple[ZoneInfo, int], BillingCycle] = {}


@dataclass(frozen=True, slots=True)
class CycleCalendar:
    """Cycle arithmetic for one room: time zone and start day."""

    tz: ZoneInfo
    start_day: int = 1

    def __post_init__(self) -> None:
        validate_start_day(self.start_day)

    def _start_date_for(self, moment: datetime) -> date:
        local = utc(moment).astimezone(self.tz)
        year, month = local.year, local.month
        if local.day < self.start_day:
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        start = date(year, month, self.start_day)
        # A non-existent local midnight maps forward; the instant can precede it by the gap.
        if local_midnight(start, self.tz) > utc(moment):
            year, month = (start.year, start.month - 1) if start.month > 1 else (start.year - 1, 12)
            start = date(year, month, self.start_day)
        return start

    def _next_start_date(self, start: date) -> date:
        if start.month == 12:
            return date(start.year + 1, 1, self.start_day)
        return date(start.year, start.month + 1, self.start_day)

    def cycle_of(self, start: date) -> BillingCycle:
        return BillingCycle(
            start=local_midnight(start, self.tz),
            end=local_midnight(self._next_start_date(start), self.tz),
            start_date=start,
        )

    def cycle_containing(self, moment: datetime) -> BillingCycle:
        # Asked for every room on every poll, nearly always about the same cycle: the last
        # answer per calendar is reused while the moment lies inside it.
        at = utc(moment)
        last = _LAST_CYCLE.get((self.tz, self.start_day))
        if last is not None and last.start <= at < last.end:
            return last
        cycle = self.cycle_of(self._start_date_for(at))
        _LAST_CYCLE[self.tz, self.start_day] = cycle
        return cycle

    def cycle_starting_in(self, month: date) -> BillingCycle:
        """The cycle that starts in `month` (a report's or month-end statements' cycle)."""
        return self.cycle_of(date(month.year, month.month, self.start_day))

    def cycle_by_key(self, key: str) -> BillingCycle:
        return self.cycle_of(date.fromisoformat(key))

    def next_boundary(self, moment: datetime) -> datetime:
        """The first cycle start strictly after `moment`."""
        return self.cycle_containing(moment).end

    def cycles_between(self, start: datetime, end: datetime) -> list[BillingCycle]:
        """Cycles overlapping [start, end], oldest first."""
        cycles = [self.cycle_containing(start)]
        while cycles[-1].end <= utc(end):
            cycles.append(self.cycle_of(self._next_start_date(cycles[-1].start_date)))
        return cycles
