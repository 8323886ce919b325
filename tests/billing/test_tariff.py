"""Tariffs: flat, time-of-use (≤ 14 intervals, weekday/weekend), tiered; versions; splitting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.prepaid_power.billing import errors
from custom_components.prepaid_power.billing.cycle import CycleCalendar
from custom_components.prepaid_power.billing.errors import BillingError
from custom_components.prepaid_power.billing.tariff import (
    TariffSchedule,
    TariffVersion,
    TouTariff,
    exceeds_cap,
    next_price_boundary,
    split_usage,
    tariff_from_dict,
    tariff_to_dict,
)

from .conftest import TOU

BERLIN = ZoneInfo("Europe/Berlin")
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def schedule_of(*definitions: tuple[datetime, dict[str, Any]]) -> TariffSchedule:
    schedule = TariffSchedule()
    for at, definition in definitions:
        schedule.add(TariffVersion(at, tariff_from_dict(definition)))
    return schedule


def no_usage(_cycle: str) -> Decimal:
    return Decimal(0)


def interval(start: str, end: str, period: str = "peak") -> dict[str, str]:
    return {"start": start, "end": end, "period": period}


@pytest.mark.parametrize(
    ("intervals", "key"),
    [
        ([interval("00:00", "12:00"), interval("11:00", "00:00")], errors.TARIFF_INTERVAL_OVERLAP),
        ([interval("00:00", "12:00"), interval("13:00", "00:00")], errors.TARIFF_INTERVAL_GAP),
        ([interval("00:00", "23:00")], errors.TARIFF_INTERVAL_GAP),
        ([interval("01:00", "00:00")], errors.TARIFF_INTERVAL_GAP),
        (
            [interval("00:00", "12:00"), interval("12:00", "00:00", "nope")],
            errors.TARIFF_UNKNOWN_PERIOD,
        ),
        ([interval("00:00", "25:00")], errors.TARIFF_INVALID),
        ([], errors.TARIFF_TOO_MANY_INTERVALS),
        (
            [interval(f"{h:02d}:00", f"{h + 1:02d}:00") for h in range(15)]
            + [interval("15:00", "00:00")],
            errors.TARIFF_TOO_MANY_INTERVALS,
        ),
    ],
)
def test_tou_intervals_must_cover_the_day_exactly(
    intervals: list[dict[str, str]], key: str
) -> None:
    with pytest.raises(BillingError) as caught:
        tariff_from_dict({"kind": "tou", "prices": {"peak": "0.3"}, "weekday": intervals})
    assert caught.value.key == key


def test_tou_accepts_14_intervals_and_wrapping_night() -> None:
    fourteen = [interval(f"{h:02d}:00", f"{h + 1:02d}:00") for h in range(13)] + [
        interval("13:00", "00:00")
    ]
    assert isinstance(
        tariff_from_dict({"kind": "tou", "prices": {"peak": "1"}, "weekday": fourteen}), TouTariff
    )
    tariff = tariff_from_dict(TOU)
    assert isinstance(tariff, TouTariff)
    assert tariff.period_at(datetime(2026, 1, 5, 23, 30, tzinfo=BERLIN)) == "valley"
    assert tariff.period_at(datetime(2026, 1, 5, 7, 0, tzinfo=BERLIN)) == "peak"
    assert tariff_from_dict(tariff_to_dict(tariff)) == tariff


def test_weekend_set() -> None:
    definition = dict(TOU, weekend=[interval("00:00", "00:00", "valley")])
    tariff = tariff_from_dict(definition)
    assert isinstance(tariff, TouTariff)
    assert tariff.period_at(datetime(2026, 1, 10, 12, tzinfo=BERLIN)) == "valley"  # Saturday
    assert tariff.period_at(datetime(2026, 1, 12, 12, tzinfo=BERLIN)) == "peak"  # Monday
    assert tariff_from_dict(tariff_to_dict(tariff)) == tariff


@pytest.mark.parametrize(
    "blocks",
    [
        [],
        [{"up_to_kwh": "50", "price": "0.2"}],  # the last block must be open-ended
        [{"up_to_kwh": None, "price": "0.2"}, {"up_to_kwh": None, "price": "0.3"}],
        [
            {"up_to_kwh": "50", "price": "0.2"},
            {"up_to_kwh": "40", "price": "0.3"},
            {"up_to_kwh": None, "price": "0.4"},
        ],
    ],
)
def test_tier_blocks_are_validated(blocks: list[dict[str, Any]]) -> None:
    with pytest.raises(BillingError) as caught:
        tariff_from_dict({"kind": "tiered", "blocks": blocks})
    assert caught.value.key == errors.TARIFF_TIERS_INVALID


def test_unknown_kind_and_bad_prices() -> None:
    with pytest.raises(BillingError) as caught:
        tariff_from_dict({"kind": "magic"})
    assert caught.value.key == errors.TARIFF_INVALID
    with pytest.raises(BillingError) as caught:
        tariff_from_dict({"kind": "flat", "price": "0.12345"})
    assert caught.value.key == errors.PRICE_TOO_MANY_DECIMALS


def test_usage_while_unread_is_split_in_proportion_to_time() -> None:
    schedule = schedule_of((EPOCH, TOU))
    calendar = CycleCalendar(BERLIN)
    # 06:00 to 08:00 local (winter, UTC+1): one hour valley, one hour peak.
    start = datetime(2026, 1, 5, 5, tzinfo=UTC)
    pieces = split_usage(
        Decimal(3), start, start + timedelta(hours=2), schedule, calendar, cycle_kwh=no_usage
    )
    assert [(p.period, p.kwh, p.price) for p in pieces] == [
        ("valley", Decimal("1.5"), Decimal("0.1")),
        ("peak", Decimal("1.5"), Decimal("0.3")),
    ]
    assert sum(p.kwh for p in pieces) == 3


def test_split_is_exact_for_awkward_shares() -> None:
    schedule = schedule_of((EPOCH, TOU))
    calendar = CycleCalendar(BERLIN)
    start = datetime(2026, 1, 5, 5, 17, 13, tzinfo=UTC)
    pieces = split_usage(
        Decimal("10.01"),
        start,
        start + timedelta(days=3, minutes=7),
        schedule,
        calendar,
        cycle_kwh=no_usage,
    )
    assert sum(p.kwh for p in pieces) == Decimal("10.01")
    assert len({p.period for p in pieces}) == 3


def test_tou_split_follows_local_time_across_dst() -> None:
    schedule = schedule_of((EPOCH, TOU))
    calendar = CycleCalendar(BERLIN)
    # 29 March 2026: clocks go 02:00 -> 03:00. 00:00-08:00 local is only 7 hours long.
    start = datetime(2026, 3, 28, 23, tzinfo=UTC)
    end = datetime(2026, 3, 29, 6, tzinfo=UTC)
    pieces = split_usage(Decimal(7), start, end, schedule, calendar, cycle_kwh=no_usage)
    by_period: dict[str, Decimal] = {}
    for piece in pieces:
        by_period[piece.period] = by_period.get(piece.period, Decimal(0)) + piece.kwh
    assert by_period == {"valley": Decimal(6), "peak": Decimal(1)}  # 00-07 local = 6 real hours


def test_tiers_fill_from_cycle_to_date_usage_and_reset_each_cycle() -> None:
    tiered = {
        "kind": "tiered",
        "blocks": [
            {"up_to_kwh": "50", "price": "0.1"},
            {"up_to_kwh": "100", "price": "0.2"},
            {"up_to_kwh": None, "price": "0.3"},
        ],
    }
    schedule = schedule_of((EPOCH, tiered))
    calendar = CycleCalendar(BERLIN)
    start = datetime(2026, 1, 10, tzinfo=UTC)
    pieces = split_usage(
        Decimal(30),
        start,
        start + timedelta(hours=1),
        schedule,
        calendar,
        cycle_kwh=lambda _c: Decimal(40),
    )
    assert [(p.period, p.kwh) for p in pieces] == [("tier_1", Decimal(10)), ("tier_2", Decimal(20))]
    pieces = split_usage(
        Decimal(200), start, start + timedelta(hours=1), schedule, calendar, cycle_kwh=no_usage
    )
    assert [(p.period, p.kwh) for p in pieces] == [
        ("tier_1", Decimal(50)),
        ("tier_2", Decimal(50)),
        ("tier_3", Decimal(100)),
    ]
    # Across a cycle boundary the second cycle starts again at tier 1.
    boundary = calendar.next_boundary(start)
    pieces = split_usage(
        Decimal(20),
        boundary - timedelta(hours=1),
        boundary + timedelta(hours=1),
        schedule,
        calendar,
        cycle_kwh=lambda c: Decimal(45) if c == "2026-01-01" else Decimal(0),
    )
    assert [(p.cycle, p.period, p.kwh) for p in pieces] == [
        ("2026-01-01", "tier_1", Decimal(5)),
        ("2026-01-01", "tier_2", Decimal(5)),
        ("2026-02-01", "tier_1", Decimal(10)),
    ]


def test_tariff_versions_split_at_effective_from() -> None:
    change = datetime(2026, 1, 10, 12, tzinfo=UTC)
    schedule = schedule_of(
        (EPOCH, {"kind": "flat", "price": "0.2"}), (change, {"kind": "flat", "price": "0.4"})
    )
    calendar = CycleCalendar(BERLIN)
    pieces = split_usage(
        Decimal(4),
        change - timedelta(hours=1),
        change + timedelta(hours=1),
        schedule,
        calendar,
        cycle_kwh=no_usage,
    )
    assert [(p.price, p.kwh) for p in pieces] == [
        (Decimal("0.2"), Decimal(2)),
        (Decimal("0.4"), Decimal(2)),
    ]
    assert next_price_boundary(schedule, calendar, change - timedelta(hours=1)) == change


def test_no_tariff_means_no_price() -> None:
    pieces = split_usage(
        Decimal(1),
        EPOCH,
        EPOCH + timedelta(hours=1),
        TariffSchedule(),
        CycleCalendar(BERLIN),
        cycle_kwh=no_usage,
    )
    assert pieces[0].price == 0


def test_cap_check() -> None:
    tariff = tariff_from_dict(TOU)
    assert exceeds_cap(tariff, Decimal("0.25"), Decimal(10))  # 0.30 > 0.275
    assert not exceeds_cap(tariff, Decimal("0.25"), Decimal(20))  # 0.30 <= 0.30


def test_tou_split_on_the_long_night_when_clocks_go_back() -> None:
    schedule = schedule_of((EPOCH, TOU))
    calendar = CycleCalendar(BERLIN)
    # 25 October 2026: 03:00 CEST -> 02:00 CET. 00:00-07:00 local lasts 8 real hours.
    start = datetime(2026, 10, 24, 22, tzinfo=UTC)  # 00:00 CEST
    end = datetime(2026, 10, 25, 7, tzinfo=UTC)  # 08:00 CET
    pieces = split_usage(Decimal(9), start, end, schedule, calendar, cycle_kwh=no_usage)
    by_period: dict[str, Decimal] = {}
    for piece in pieces:
        by_period[piece.period] = by_period.get(piece.period, Decimal(0)) + piece.kwh
    assert by_period == {"valley": Decimal(8), "peak": Decimal(1)}
