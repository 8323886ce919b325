"""Billing cycles: calendar month by default, configurable start day, 00:00 local, DST-safe."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.prepaid_power.billing.cycle import CycleCalendar, from_micros, to_micros
from custom_components.prepaid_power.billing.errors import CYCLE_START_DAY_INVALID, BillingError

BERLIN = ZoneInfo("Europe/Berlin")
SYDNEY = ZoneInfo("Australia/Sydney")


def test_calendar_month_boundaries_are_local_midnight() -> None:
    calendar = CycleCalendar(BERLIN)
    cycle = calendar.cycle_containing(datetime(2026, 1, 15, 12, tzinfo=UTC))
    assert cycle.key == "2026-01-01"
    assert cycle.start == datetime(2025, 12, 31, 23, tzinfo=UTC)  # 00:00 CET
    assert cycle.end == datetime(2026, 1, 31, 23, tzinfo=UTC)


def test_instant_just_before_local_midnight_belongs_to_previous_cycle() -> None:
    calendar = CycleCalendar(BERLIN)
    # 2026-01-31 23:30 UTC is 2026-02-01 00:30 in Berlin: already February.
    assert calendar.cycle_containing(datetime(2026, 1, 31, 23, 30, tzinfo=UTC)).key == "2026-02-01"
    assert calendar.cycle_containing(datetime(2026, 1, 31, 22, 59, tzinfo=UTC)).key == "2026-01-01"


def test_start_day_is_configurable() -> None:
    calendar = CycleCalendar(BERLIN, start_day=15)
    cycle = calendar.cycle_containing(datetime(2026, 1, 10, tzinfo=UTC))
    assert cycle.start_date == date(2025, 12, 15)
    assert calendar.next_boundary(datetime(2026, 1, 10, tzinfo=UTC)) == cycle.end
    assert cycle.end.astimezone(BERLIN).date() == date(2026, 1, 15)
    december = CycleCalendar(BERLIN, start_day=28).cycle_containing(
        datetime(2026, 12, 30, tzinfo=UTC)
    )
    assert december.end.astimezone(BERLIN).date() == date(2027, 1, 28)


@pytest.mark.parametrize("day", [0, 29, 31, -1])
def test_start_day_must_exist_in_every_month(day: int) -> None:
    with pytest.raises(BillingError) as caught:
        CycleCalendar(BERLIN, start_day=day)
    assert caught.value.key == CYCLE_START_DAY_INVALID


def test_cycles_across_dst_have_true_lengths() -> None:
    berlin = CycleCalendar(BERLIN)
    march = berlin.cycle_containing(datetime(2026, 3, 15, tzinfo=UTC))
    assert march.end - march.start == timedelta(days=31) - timedelta(hours=1)
    october = berlin.cycle_containing(datetime(2026, 10, 15, tzinfo=UTC))
    assert october.end - october.start == timedelta(days=31, hours=1)
    sydney = CycleCalendar(SYDNEY)
    april = sydney.cycle_containing(datetime(2026, 4, 15, tzinfo=UTC))  # DST ends 5 April
    assert april.end - april.start == timedelta(days=30, hours=1)
    assert april.start.astimezone(SYDNEY).hour == 0
    assert april.end.astimezone(SYDNEY).hour == 0


def test_cycles_between_lists_every_cycle() -> None:
    calendar = CycleCalendar(BERLIN)
    cycles = calendar.cycles_between(
        datetime(2026, 1, 20, tzinfo=UTC), datetime(2026, 4, 2, tzinfo=UTC)
    )
    assert [c.key for c in cycles] == ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
    assert calendar.cycle_by_key("2026-02-01") == cycles[1]


def test_micros_round_trip() -> None:
    moment = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
    assert from_micros(to_micros(moment)) == moment
    with pytest.raises(ValueError, match="naive"):
        to_micros(datetime(2026, 1, 1))


def test_cycle_starting_on_a_missing_midnight() -> None:
    santiago = ZoneInfo("America/Santiago")
    # Find a day whose local midnight does not exist (Chile moves clocks at 24:00).
    day = date(2026, 8, 1)
    while True:
        wall = datetime.combine(day, datetime.min.time(), tzinfo=santiago)
        if wall.astimezone(UTC).astimezone(santiago).hour != 0:
            break
        day += timedelta(days=1)
    assert day.day <= 28
    calendar = CycleCalendar(santiago, start_day=day.day)
    cycle = calendar.cycle_by_key(day.isoformat())
    assert calendar.cycle_containing(cycle.start) == cycle
    assert calendar.cycle_containing(cycle.start - timedelta(microseconds=1)).end == cycle.start
    assert cycle.start.astimezone(santiago).hour == 1  # the first instant of that day


def test_cycles_asked_out_of_order_are_each_right() -> None:
    """The last cycle is reused only for moments inside it: alternating between moments of
    different cycles (and calendars sharing a zone) always gives each its own cycle."""
    first = CycleCalendar(BERLIN, 1)
    fifteenth = CycleCalendar(BERLIN, 15)
    moments = [
        datetime(2026, 3, 31, 21, 59, tzinfo=UTC),  # 31 Mar 23:59 Berlin
        datetime(2026, 3, 31, 22, 0, tzinfo=UTC),  # 1 Apr 00:00 Berlin
        datetime(2026, 3, 14, 12, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 21, 59, tzinfo=UTC),
    ]
    expected_first = ["2026-03-01", "2026-04-01", "2026-03-01", "2026-03-01"]
    expected_fifteenth = ["2026-03-15", "2026-03-15", "2026-02-15", "2026-03-15"]
    for moment, key_first, key_fifteenth in zip(
        moments, expected_first, expected_fifteenth, strict=True
    ):
        assert first.cycle_containing(moment).key == key_first
        assert fifteenth.cycle_containing(moment).key == key_fifteenth
        assert first.cycle_containing(moment) == first.cycle_of(date.fromisoformat(key_first))
