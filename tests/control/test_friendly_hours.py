"""Friendly hours from weekly intervals and holidays, with a frozen (injected) clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.prepaid_power.control import (
    FriendlyHours,
    FriendlyHoursStatus,
    WeeklyInterval,
    daily,
    friendly_hours_status,
    weekends,
)
from custom_components.prepaid_power.control.friendly_hours import MONDAY, SATURDAY

BERLIN = ZoneInfo("Europe/Berlin")
SYDNEY = ZoneInfo("Australia/Sydney")
SANTIAGO = ZoneInfo("America/Santiago")

# "Night 22:00-07:00, weekends, holidays": the landlord's usual choice.
NIGHTS_WEEKENDS = FriendlyHours(
    intervals=daily(time(22), time(7)) + weekends(),
    holidays=frozenset({date(2026, 12, 25), date(2026, 12, 26)}),
)


# Aware datetimes sharing a tzinfo subtract as wall clocks: durations are taken in UTC.


def at(
    tz: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int, fold: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz, fold=fold)


def status(
    now: datetime, tz: ZoneInfo = BERLIN, config: FriendlyHours = NIGHTS_WEEKENDS
) -> FriendlyHoursStatus:
    return friendly_hours_status(config, now, tz)


@pytest.mark.parametrize(
    ("now", "active", "change"),
    [
        # Wednesday 14 Jan 2026.
        (at(BERLIN, 2026, 1, 14, 12, 0), False, at(BERLIN, 2026, 1, 14, 22, 0)),
        (at(BERLIN, 2026, 1, 14, 21, 59), False, at(BERLIN, 2026, 1, 14, 22, 0)),
        (at(BERLIN, 2026, 1, 14, 22, 0), True, at(BERLIN, 2026, 1, 15, 7, 0)),
        (at(BERLIN, 2026, 1, 14, 23, 59), True, at(BERLIN, 2026, 1, 15, 7, 0)),
        (at(BERLIN, 2026, 1, 15, 0, 0), True, at(BERLIN, 2026, 1, 15, 7, 0)),
        (at(BERLIN, 2026, 1, 15, 6, 59), True, at(BERLIN, 2026, 1, 15, 7, 0)),
        (at(BERLIN, 2026, 1, 15, 7, 0), False, at(BERLIN, 2026, 1, 15, 22, 0)),
        # Friday night runs into the weekend and on until Monday 07:00.
        (at(BERLIN, 2026, 1, 16, 22, 30), True, at(BERLIN, 2026, 1, 19, 7, 0)),
        (at(BERLIN, 2026, 1, 17, 12, 0), True, at(BERLIN, 2026, 1, 19, 7, 0)),
        (at(BERLIN, 2026, 1, 18, 23, 0), True, at(BERLIN, 2026, 1, 19, 7, 0)),
        (at(BERLIN, 2026, 1, 19, 7, 0), False, at(BERLIN, 2026, 1, 19, 22, 0)),
        # Christmas on Friday/Saturday 2026: Thursday night through to Monday morning.
        (at(BERLIN, 2026, 12, 24, 23, 0), True, at(BERLIN, 2026, 12, 28, 7, 0)),
        (at(BERLIN, 2026, 12, 25, 12, 0), True, at(BERLIN, 2026, 12, 28, 7, 0)),
    ],
)
def test_nights_weekends_holidays(now: datetime, active: bool, change: datetime) -> None:
    result = status(now)
    assert result.active is active
    assert (result.ends_at if active else result.starts_at) == change
    assert (result.starts_at if active else result.ends_at) is None


def test_works_from_utc_input() -> None:
    result = status(datetime(2026, 1, 14, 21, 30, tzinfo=UTC))  # 22:30 in Berlin
    assert result.active
    assert result.ends_at == at(BERLIN, 2026, 1, 15, 7, 0)
    assert result.ends_at is not None
    assert result.ends_at.tzinfo is BERLIN


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        status(datetime(2026, 1, 14, 12, 0))


def test_berlin_spring_forward_night_is_eight_hours() -> None:
    # 29 Mar 2026: 02:00 CET -> 03:00 CEST.
    evening = at(BERLIN, 2026, 3, 28, 22, 0)
    result = status(evening, config=FriendlyHours(daily(time(22), time(7))))
    assert result.active
    assert result.ends_at == at(BERLIN, 2026, 3, 29, 7, 0)
    assert result.ends_at is not None
    assert result.ends_at.astimezone(UTC) - evening.astimezone(UTC) == timedelta(hours=8)
    assert result.ends_at.utcoffset() == timedelta(hours=2)


def test_berlin_autumn_back_night_is_ten_hours_and_both_02_30s_are_friendly() -> None:
    # 25 Oct 2026: 03:00 CEST -> 02:00 CET; 02:30 happens twice.
    config = FriendlyHours(daily(time(22), time(7)))
    evening = at(BERLIN, 2026, 10, 24, 22, 0)
    result = status(evening, config=config)
    assert result.ends_at is not None
    assert result.ends_at.astimezone(UTC) - evening.astimezone(UTC) == timedelta(hours=10)
    for fold in (0, 1):
        assert status(at(BERLIN, 2026, 10, 25, 2, 30, fold=fold), config=config).active


def test_interval_starting_in_the_spring_gap_shifts_forward() -> None:
    # 02:30 does not exist on 29 Mar 2026 in Berlin: it starts at 03:30 CEST (RFC 5545).
    config = FriendlyHours((WeeklyInterval(6, time(2, 30), time(5)),))
    before = status(at(BERLIN, 2026, 3, 29, 1, 59), config=config)
    assert before.starts_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert not status(datetime(2026, 3, 29, 1, 15, tzinfo=UTC), config=config).active
    assert status(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), config=config).active


def test_southern_hemisphere_sydney() -> None:
    config = FriendlyHours(daily(time(22), time(7)) + weekends())
    # Spring forward on Sunday 4 Oct 2026 02:00 -> 03:00 AEDT; it is a weekend anyway.
    sat = at(SYDNEY, 2026, 10, 3, 12, 0)
    assert status(sat, SYDNEY, config).ends_at == at(SYDNEY, 2026, 10, 5, 7, 0)
    # A weekday night in the spring-forward week is 9 h; in autumn (5 Apr 2026, a Sunday) the
    # repeated hour makes the Saturday-to-Monday stretch one hour longer.
    thu = at(SYDNEY, 2026, 10, 8, 22, 0)
    thu_end = status(thu, SYDNEY, config).ends_at
    assert thu_end is not None
    assert thu_end.astimezone(UTC) - thu.astimezone(UTC) == timedelta(hours=9)
    fri = at(SYDNEY, 2026, 4, 3, 22, 0)
    fri_end = status(fri, SYDNEY, config).ends_at
    assert fri_end == at(SYDNEY, 2026, 4, 6, 7, 0)
    assert fri_end is not None
    assert fri_end.astimezone(UTC) - fri.astimezone(UTC) == timedelta(hours=58)


def test_santiago_transition_at_midnight() -> None:
    # Chile springs forward at 00:00 on Sunday 6 Sep 2026: Sunday 00:00 never happens.
    config = FriendlyHours((WeeklyInterval(SATURDAY, time(20), time(0)),))
    result = status(at(SANTIAGO, 2026, 9, 5, 21, 0), SANTIAGO, config)
    assert result.active
    assert result.ends_at is not None
    assert result.ends_at.astimezone(UTC) == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)
    # A weekend: Saturday 00:00 .. Monday 00:00 spanning the gap, still one stretch.
    result = status(at(SANTIAGO, 2026, 9, 6, 12, 0), SANTIAGO, FriendlyHours(weekends()))
    assert result.ends_at == at(SANTIAGO, 2026, 9, 7, 0, 0)


def test_whole_day_and_24_00() -> None:
    config = FriendlyHours((WeeklyInterval(MONDAY, time(0), time.max),))
    result = status(at(BERLIN, 2026, 1, 19, 15, 0), config=config)
    assert result.ends_at == at(BERLIN, 2026, 1, 20, 0, 0)


def test_holidays_only_far_ahead() -> None:
    config = FriendlyHours(holidays=frozenset({date(2026, 12, 25)}))
    result = status(at(BERLIN, 2026, 6, 1, 12, 0), config=config)
    assert not result.active
    assert result.starts_at == at(BERLIN, 2026, 12, 25, 0, 0)


def test_nothing_configured() -> None:
    result = status(at(BERLIN, 2026, 6, 1, 12, 0), config=FriendlyHours())
    assert (result.active, result.ends_at, result.starts_at) == (False, None, None)


def test_always_friendly_never_ends() -> None:
    config = FriendlyHours(daily(time(0), time(0)))
    result = status(at(BERLIN, 2026, 6, 1, 12, 0), config=config)
    assert (result.active, result.ends_at) == (True, None)


def test_interval_validation() -> None:
    with pytest.raises(ValueError, match="weekday"):
        WeeklyInterval(7, time(1), time(2))
    with pytest.raises(ValueError, match="tzinfo"):
        WeeklyInterval(1, time(1, tzinfo=UTC), time(2))


ZONES = [BERLIN, SYDNEY, SANTIAGO, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")]
CONFIGS = [
    NIGHTS_WEEKENDS,
    FriendlyHours(daily(time(0, 30), time(3))),  # inside the usual DST hours
    FriendlyHours((WeeklyInterval(SATURDAY, time(23), time(1)),), frozenset({date(2026, 4, 5)})),
]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.integers(0, 366 * 24 * 3600).map(
        lambda s: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=s)
    ),
    st.sampled_from(ZONES),
    st.sampled_from(CONFIGS),
)
def test_status_agrees_with_itself_at_its_boundaries(
    now: datetime, tz: ZoneInfo, config: FriendlyHours
) -> None:
    result = friendly_hours_status(config, now, tz)
    second = timedelta(seconds=1)
    if result.active:
        assert result.ends_at is not None
        assert result.ends_at > now
        assert friendly_hours_status(config, result.ends_at - second, tz).active
        assert not friendly_hours_status(config, result.ends_at, tz).active
    else:
        assert result.starts_at is not None
        assert result.starts_at > now
        assert not friendly_hours_status(config, result.starts_at - second, tz).active
        at_start = friendly_hours_status(config, result.starts_at, tz)
        assert at_start.active


def test_holiday_beyond_the_horizon_is_not_announced() -> None:
    config = FriendlyHours(holidays=frozenset({date(2028, 12, 25)}))
    result = status(at(BERLIN, 2026, 6, 1, 12, 0), config=config)
    assert (result.active, result.ends_at, result.starts_at) == (False, None, None)
