"""Friendly hours without a helper: weekly intervals plus holiday dates, in local time.

Intervals are wall-clock times like an HA `schedule` helper's (per weekday, from/to), except
that an interval whose end is not after its start runs into the next day ("22:00-07:00"),
and 00:00-00:00 is the whole day. A holiday is friendly from 00:00 to 24:00 local time.

Wall-clock times become instants per local date, so a night is 9 h, 8 h or 10 h long as
the clocks say. A time that does not exist (inside a spring-forward gap) is shifted forward
by the gap, as RFC 5545 does; a time that exists twice means its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from .model import require_aware

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
_FIRST_HORIZON_DAYS = 8
_MAX_HORIZON_DAYS = 400


@dataclass(frozen=True, slots=True)
class WeeklyInterval:
    """Friendly from `start` on `weekday` (0 = Monday) until `end` (the next day if ≤ start)."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        """Weekdays are 0..6 and times are wall-clock times without a zone."""
        if not 0 <= self.weekday <= SUNDAY:
            msg = f"weekday must be 0 (Monday) .. 6 (Sunday), got {self.weekday}"
            raise ValueError(msg)
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            msg = "interval times are local wall-clock times without tzinfo"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class FriendlyHours:
    """A room's friendly hours: weekly intervals and holiday dates."""

    intervals: tuple[WeeklyInterval, ...] = ()
    holidays: frozenset[date] = frozenset()


@dataclass(frozen=True, slots=True)
class FriendlyHoursStatus:
    """Whether friendly hours are active at an instant, and when that changes.

    `ends_at` is the end of the current friendly period (None when inactive, or when it does
    not end within the horizon, ~400 days); `starts_at` is the start of the next one when
    inactive (None when active or none is configured).
    """

    active: bool
    ends_at: datetime | None
    starts_at: datetime | None


def daily(start: time, end: time) -> tuple[WeeklyInterval, ...]:
    """The same interval every day, e.g. `daily(time(22), time(7))` for nights."""
    return tuple(WeeklyInterval(day, start, end) for day in range(7))


def weekends() -> tuple[WeeklyInterval, ...]:
    """Saturday and Sunday, all day."""
    return (WeeklyInterval(SATURDAY, time(0), time(0)), WeeklyInterval(SUNDAY, time(0), time(0)))


def _instant(day: date, at: time, tz: tzinfo) -> datetime:
    """The UTC instant of a local wall-clock time (fold=0: gap shifts forward, overlap first)."""
    if at == time.max:
        day, at = day + timedelta(days=1), time(0)
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _spans_of_day(
    config: FriendlyHours, day: date, tz: tzinfo
) -> Iterable[tuple[datetime, datetime]]:
    """The friendly spans starting on one local date, as UTC instants."""
    if day in config.holidays:
        yield _instant(day, time(0), tz), _instant(day + timedelta(days=1), time(0), tz)
    for interval in config.intervals:
        if interval.weekday != day.weekday():
            continue
        end_day = day if interval.end > interval.start else day + timedelta(days=1)
        start, end = _instant(day, interval.start, tz), _instant(end_day, interval.end, tz)
        if end > start:
            yield start, end


def _merged_spans(
    config: FriendlyHours, first: date, days: int, tz: tzinfo
) -> list[tuple[datetime, datetime]]:
    """Friendly spans starting on `first` .. `first + days`, sorted, overlaps joined."""
    spans = sorted(
        span
        for offset in range(days)
        for span in _spans_of_day(config, first + timedelta(days=offset), tz)
    )
    merged: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def friendly_hours_status(config: FriendlyHours, now: datetime, tz: tzinfo) -> FriendlyHoursStatus:
    """Whether friendly hours are active at `now` in time zone `tz`, and when that changes."""
    require_aware(now)
    instant = now.astimezone(UTC)
    # Start a day early: last night's interval is still running this morning.
    first = now.astimezone(tz).date() - timedelta(days=1)
    current: tuple[datetime, datetime] | None = None
    for days in (_FIRST_HORIZON_DAYS, _MAX_HORIZON_DAYS):
        horizon = _instant(first + timedelta(days=days), time(0), tz)
        spans = _merged_spans(config, first, days, tz)
        current = next(((start, end) for start, end in spans if end > instant), None)
        if current is None:
            continue  # nothing friendly ahead in this horizon: look further
        start, end = current
        if start > instant:
            return FriendlyHoursStatus(False, None, start.astimezone(tz))
        if end < horizon:
            return FriendlyHoursStatus(True, end.astimezone(tz), None)
    # Nothing friendly within the longest horizon, or friendly all the way through it.
    return FriendlyHoursStatus(current is not None, None, None)
