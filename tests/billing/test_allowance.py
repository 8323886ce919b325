"""Allowance: credited once per cycle at 00:00 local, used first, expiring; restarts and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from .conftest import World, WorldFactory, add_room, check_never_negative_but_by_usage, d

SYDNEY = ZoneInfo("Australia/Sydney")
LONDON = ZoneInfo("Europe/London")


def allowances(world: World) -> list[tuple[str | None, Decimal | None, datetime]]:
    return [(e.cycle, e.kwh, e.at) for e in world.ledger.entries(kinds=["allowance"])]


def test_allowance_is_used_before_money_and_expires(world: World) -> None:
    add_room(world, allowance_kwh=d("10"))
    world.core.move_in("r1", "Bob", "100", who="a", first_top_up="20")
    world.clock.advance(hours=2)
    result = world.core.process_reading("r1", "104")
    assert [(c.kwh, c.allowance_kwh, c.amount) for c in result.posted] == [(d("4"), d("4"), d("0"))]
    world.clock.advance(hours=2)
    result = world.core.process_reading("r1", "112")
    assert [(c.kwh, c.allowance_kwh, c.amount) for c in result.posted] == [
        (d("8"), d("6"), d("-0.50"))
    ]
    # January 10 -> February: 2 kWh of January would have been left; none is carried over.
    world.clock.now = datetime(2026, 2, 2, tzinfo=UTC)
    world.core.ensure_cycle_entries()
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    assert world.ledger.allowance_left(tenancy.account_id, "2026-02-01") == 10
    assert world.ledger.allowance_left(tenancy.account_id, "2026-01-01") == 0


def test_pro_rata_on_move_in(world: World) -> None:
    add_room(world, allowance_kwh=d("31"), allowance_pro_rata=True)
    # 2026-01-21 00:00 Berlin: 11 of 31 days remain.
    world.clock.now = datetime(2026, 1, 20, 23, tzinfo=UTC)
    world.core.move_in("r1", "Bob", "100", who="a")
    assert allowances(world) == [("2026-01-01", d("11"), world.clock.now)]


def test_full_allowance_on_move_in_by_default(world: World) -> None:
    add_room(world, allowance_kwh=d("31"))
    world.core.move_in("r1", "Bob", "100", who="a")
    assert allowances(world)[0][1] == 31


@pytest.mark.parametrize(
    ("tz", "boundary"),
    [
        (
            ZoneInfo("Europe/Berlin"),
            datetime(2026, 3, 31, 22, tzinfo=UTC),
        ),  # April, after DST start
        (LONDON, datetime(2026, 10, 31, 23, 59, tzinfo=UTC)),  # November, after DST end
        (SYDNEY, datetime(2026, 3, 31, 13, tzinfo=UTC)),  # 1 April 00:00 AEDT
        (SYDNEY, datetime(2026, 9, 30, 14, tzinfo=UTC)),  # 1 October 00:00 AEST, DST starts 4 Oct
    ],
)
def test_exactly_once_across_restarts_and_downtime(
    world_factory: WorldFactory, tz: ZoneInfo, boundary: datetime
) -> None:
    world = world_factory(start=boundary - timedelta(days=20), tz=tz)
    add_room(world, allowance_kwh=d("10"))
    world.core.move_in("r1", "Bob", "100", who="a")
    cycle = world.core.calendar("r1").cycle_containing(boundary + timedelta(hours=1))
    assert cycle.start.astimezone(tz).hour == 0
    # HA is down over the boundary; it comes back at 09:00 on the 1st, restarts repeatedly.
    world.clock.now = cycle.start + timedelta(hours=9)
    reading = Decimal(100)
    for _ in range(5):
        core = world.restart()
        core.ensure_cycle_entries()
        world.clock.advance(minutes=7)
        reading += 1
        core.process_reading("r1", reading)
        core.ensure_cycle_entries()
    new_cycle = [a for a in allowances(world) if a[0] == cycle.key]
    assert new_cycle == [(cycle.key, d("10"), cycle.start)]  # once, dated at the boundary
    world.ledger.verify()


def test_frozen_clock_month_by_month(world_factory: WorldFactory) -> None:
    world = world_factory(start=datetime(2025, 12, 20, tzinfo=UTC), tz=SYDNEY)
    add_room(world, allowance_kwh=d("5"), cycle_start_day=1)
    world.core.move_in("r1", "Bob", "0", who="a", first_top_up="100")
    reading = Decimal(0)
    for _ in range(24 * 14 * 2):  # every 30 min for 14 days, restarting daily
        world.clock.advance(minutes=30)
        reading += d("0.25")
        world.core.process_reading("r1", reading)
        if world.clock.now.minute == 0 and world.clock.now.hour == 0:
            world.restart().ensure_cycle_entries()
    world.clock.now = datetime(2026, 4, 15, tzinfo=UTC)  # a long outage over three boundaries
    world.restart().process_reading("r1", reading + 10)
    keys = [a[0] for a in allowances(world)]
    assert keys == ["2025-12-01", "2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
    for cycle, _, at in allowances(world)[1:]:
        assert at == world.core.calendar("r1").cycle_by_key(str(cycle)).start


def test_cycle_fee_once_per_cycle_dated_at_the_boundary(world: World) -> None:
    add_room(world, cycle_fee=d("4.00"), allowance_pro_rata=True)
    # Move in on 2026-01-21 00:00 Berlin: 11 of 31 days, pro-rata fee 1.41 (rounded down).
    world.clock.now = datetime(2026, 1, 20, 23, tzinfo=UTC)
    world.core.move_in("r1", "Bob", "100", who="a", first_top_up="20")
    fees = world.ledger.entries(kinds=["fee"])
    assert [(f.amount, f.cycle) for f in fees] == [(d("-1.41"), "2026-01-01")]
    world.clock.now = datetime(2026, 2, 1, 8, tzinfo=UTC)  # down over the boundary
    for _ in range(3):
        world.restart().ensure_cycle_entries()
        world.core.process_reading("r1", "101")
    fees = world.ledger.entries(kinds=["fee"])
    boundary = world.core.calendar("r1").cycle_by_key("2026-02-01").start
    assert [(f.amount, f.at) for f in fees[1:]] == [(d("-4.00"), boundary)]


def fees(world: World) -> list[tuple[Decimal, str | None, datetime]]:
    return [(e.amount, e.cycle, e.at) for e in world.ledger.entries(kinds=["fee"])]


def test_cycle_fee_comes_after_the_first_top_up(world: World) -> None:
    """At move-in the first top-up is booked before the cycle fee: never a dip below zero."""
    world.clock.now = datetime(2026, 1, 10, 9, tzinfo=UTC)
    add_room(world, cycle_fee=d("4.00"))
    tenancy = world.core.move_in("r1", "Bob", "100", who="a", first_top_up="20")
    kinds = [e.kind for e in sorted(world.ledger.entries(), key=lambda e: e.entry_id)]
    assert kinds == ["top_up", "fee"]
    check_never_negative_but_by_usage(world.ledger, tenancy.account_id)
    assert world.core.balance("r1") == d("16.00")


def test_cycle_fee_waits_for_the_top_up_that_covers_it(world: World) -> None:
    """No first top-up: the fee waits; a top-up too small for it leaves it waiting; the one
    that covers it books it, dated at the cycle start while the cycle runs."""
    world.clock.now = datetime(2026, 1, 10, 9, tzinfo=UTC)
    add_room(world, cycle_fee=d("4.00"))
    tenancy = world.core.move_in("r1", "Bob", "100", who="a")
    assert fees(world) == []
    assert world.core.balance("r1") == 0
    world.clock.advance(hours=1)
    world.core.process_reading("r1", "100.5")
    world.core.top_up("r1", "3", method="cash", who="a")
    assert fees(world) == []
    world.core.top_up("r1", "2", method="cash", who="a")
    assert fees(world) == [(d("-4.00"), "2026-01-01", tenancy.moved_in_at)]
    world.core.top_up("r1", "10", method="cash", who="a")  # booked once
    assert len(fees(world)) == 1
    check_never_negative_but_by_usage(world.ledger, tenancy.account_id)


def test_cycle_fee_booked_after_its_cycle_is_dated_when_booked(world: World) -> None:
    world.clock.now = datetime(2026, 1, 10, 9, tzinfo=UTC)
    add_room(world, cycle_fee=d("4.00"))
    world.core.move_in("r1", "Bob", "100", who="a", first_top_up="1")
    world.clock.now = datetime(2026, 2, 3, 9, tzinfo=UTC)
    world.core.ensure_cycle_entries()
    assert fees(world) == []
    world.core.top_up("r1", "10", method="cash", who="a")
    # January's fee now (dated now, in February), then February's, dated at its start.
    february = world.core.calendar("r1").cycle_by_key("2026-02-01").start
    assert sorted(fees(world), key=lambda fee: str(fee[1])) == [
        (d("-4.00"), "2026-01-01", world.clock.now),
        (d("-4.00"), "2026-02-01", february),
    ]
    assert world.core.balance("r1") == d("3.00")


def test_waiting_cycle_fee_is_part_of_the_debt_at_move_out(world: World) -> None:
    world.clock.now = datetime(2026, 1, 10, 9, tzinfo=UTC)
    add_room(world, cycle_fee=d("4.00"))
    tenancy = world.core.move_in("r1", "Bob", "100", who="a", first_top_up="1")
    world.clock.advance(hours=2)
    result = world.core.move_out("r1", "102", who="a")  # 2 kWh at 0.25
    assert fees(world)[0][0] == d("-4.00")
    assert result.debt == d("3.50")
    assert world.ledger.balance(tenancy.account_id) == 0
    check_never_negative_but_by_usage(world.ledger, tenancy.account_id)
