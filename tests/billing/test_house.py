"""The house meter's daily balance (pure): main - Σ sub-meters, offline meters not judged."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from custom_components.prepaid_power.billing.house import HouseBalance, HouseDay, Threshold

TZ = ZoneInfo("Asia/Shanghai")
# 2026-03-10 00:00 in Shanghai.
MIDNIGHT = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
D = Decimal


def balance() -> HouseBalance:
    return HouseBalance(main=10, subs=(1, 2), tz=TZ)


def test_a_day_is_main_minus_the_meters_behind_it() -> None:
    house = balance()
    assert house.observe(MIDNIGHT + timedelta(seconds=30), {10: D(100), 1: D(40), 2: D(50)}) is None
    noon = MIDNIGHT + timedelta(hours=12)
    house.observe(noon, {10: D("106.5"), 1: D(43), 2: D(52)})
    today = house.today
    assert today is not None
    assert today.judged
    assert today.difference_kwh == D("1.5")
    assert today.difference_percent == D("23.08")  # 1.5 of 6.5
    ended = house.observe(
        MIDNIGHT + timedelta(days=1, seconds=20), {10: D("112"), 1: D(45), 2: D("56.5")}
    )
    assert ended == HouseDay(date(2026, 3, 10), D(12), D("11.5"), ())
    assert ended.difference_kwh == D("0.5")
    assert house.yesterday == ended
    # The new day starts from the readings that ended the old one.
    assert house.start == {10: D("112"), 1: D(45), 2: D("56.5")}


def test_a_meter_offline_at_a_midnight_is_named_and_the_day_not_judged() -> None:
    house = balance()
    house.observe(MIDNIGHT + timedelta(seconds=30), {10: D(100), 1: None, 2: D(50)})
    # Back during the day: the day still has no start for it.
    house.observe(MIDNIGHT + timedelta(hours=3), {10: D(101), 1: D(41), 2: D(50)})
    ended = house.observe(MIDNIGHT + timedelta(days=1), {10: D(110), 1: D(44), 2: D(52)})
    assert ended is not None
    assert not ended.judged
    assert ended.missing == (1,)
    assert ended.difference_kwh is None
    assert ended.difference_percent is None
    assert Threshold(kwh=D(0)).exceeded(ended) is None
    # The next day has every start reading: judged again.
    ended = house.observe(MIDNIGHT + timedelta(days=2), {10: D(120), 1: D(48), 2: D(57)})
    assert ended is not None
    assert ended.judged
    assert ended.difference_kwh == D(1)


def test_started_mid_day_or_down_over_midnight_is_not_judged() -> None:
    house = balance()
    house.observe(MIDNIGHT + timedelta(hours=9), {10: D(100), 1: D(40), 2: D(50)})
    ended = house.observe(MIDNIGHT + timedelta(days=1), {10: D(110), 1: D(44), 2: D(52)})
    assert ended is not None
    assert ended.missing == (10, 1, 2)
    # Down over the next midnight: the first poll at 08:00 is too late to start a day.
    ended = house.observe(MIDNIGHT + timedelta(days=2, hours=8), {10: D(120), 1: D(48), 2: D(57)})
    assert ended is not None
    assert ended.day == date(2026, 3, 11)
    assert not ended.judged
    # Down for days: the day before today is reported, not judged.
    ended = house.observe(MIDNIGHT + timedelta(days=5), {10: D(150), 1: D(58), 2: D(67)})
    assert ended is not None
    assert ended.day == date(2026, 3, 14)
    assert not ended.judged


def test_a_counter_gone_backwards_is_missing() -> None:
    house = balance()
    house.observe(MIDNIGHT, {10: D(100), 1: D(40), 2: D(50)})
    ended = house.observe(MIDNIGHT + timedelta(days=1), {10: D(110), 1: D(0), 2: D(52)})
    assert ended is not None
    assert ended.missing == (1,)


def test_threshold_kwh_and_percent() -> None:
    day = HouseDay(date(2026, 3, 10), D(20), D(18), ())
    assert Threshold().exceeded(day) is False
    assert Threshold(kwh=D("1.5")).exceeded(day) is True
    assert Threshold(kwh=D(2)).exceeded(day) is False  # not above
    assert Threshold(percent=D(9)).exceeded(day) is True  # 10 %
    assert Threshold(kwh=D(5), percent=D(10)).exceeded(day) is False
    # A negative difference (the meters behind count more) is judged by its size.
    assert Threshold(kwh=D(1)).exceeded(HouseDay(date(2026, 3, 10), D(18), D(20), ())) is True
    # No energy on the main meter: no percentage, the kWh limit still applies.
    empty = HouseDay(date(2026, 3, 10), D(0), D(0), ())
    assert empty.difference_percent is None
    assert Threshold(percent=D(1)).exceeded(empty) is False


def test_state_survives_a_restart() -> None:
    house = balance()
    house.observe(MIDNIGHT, {10: D(100), 1: D(40), 2: D(50)})
    house.observe(MIDNIGHT + timedelta(days=1), {10: D(110), 1: D(44), 2: D(52)})
    again = balance()
    again.restore(house.to_dict())
    assert again.day == house.day
    assert again.start == house.start
    assert again.yesterday == house.yesterday
    ended = again.observe(MIDNIGHT + timedelta(days=2), {10: D(120), 1: D(48), 2: D(57)})
    assert ended is not None
    assert ended.difference_kwh == D(1)
