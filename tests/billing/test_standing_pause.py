"""Standing charge paused while the supply is cut for want of credit (room setting
`pause_standing_when_cut`): the supply layer records each cut and restore in the ledger,
a day is charged rate x the share of it the tenancy was active and not cut."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
import os
from pathlib import Path
import sqlite3
import tempfile

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.prepaid_power.billing.core import RoomConfig
from custom_components.prepaid_power.billing.cycle import CycleCalendar
from custom_components.prepaid_power.billing.ledger import Entry
from custom_components.prepaid_power.billing.standing import (
    STANDING_CHARGE,
    day_bounds,
    day_of_reference,
    day_share,
    share_before,
)
from custom_components.prepaid_power.billing.statement import render_statement, statement_data

from .conftest import BERLIN, World, d, make_world, occupied

EXAMPLES = int(os.environ.get("BILLING_EXAMPLES", "40"))


def standing(world: World, account_id: int) -> list[Entry]:
    return [
        e
        for e in world.ledger.entries(account_id=account_id, kinds=["fee"])
        if e.why == STANDING_CHARGE
    ]


def at_local(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=BERLIN).astimezone(UTC)


def _cut_world(world: World, *, pause: bool) -> int:
    # Move-in 2026-01-10 13:00 Berlin; cut 2026-01-11 00:00 to 2026-01-12 12:00 local.
    occupied(world, standing_charge=Decimal("1.00"), pause_standing_when_cut=pause)
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    world.core.top_up("r1", "50", method="cash", who="a")
    world.clock.now = at_local(11)
    world.core.process_reading("r1", "100")
    assert world.core.record_supply_cut("r1", world.clock.now)
    assert not world.core.record_supply_cut("r1", world.clock.now + timedelta(hours=1))
    world.clock.now = at_local(12, 12)
    world.core.process_reading("r1", "100")
    assert world.core.record_supply_restored("r1", world.clock.now)
    assert not world.core.record_supply_restored("r1", world.clock.now + timedelta(hours=1))
    world.clock.now = at_local(14, 1)
    world.core.process_reading("r1", "100")
    return tenancy.account_id


def test_a_day_cut_all_day_costs_nothing_and_a_half_cut_day_half(world: World) -> None:
    account = _cut_world(world, pause=True)
    assert [(e.reference, e.amount) for e in standing(world, account)] == [
        ("standing charge 2026-01-10", d("-0.45")),
        # 2026-01-11 cut all day: nothing booked. 2026-01-12 half: total floor(0.4583 + 0.5).
        ("standing charge 2026-01-12", d("-0.50")),
        ("standing charge 2026-01-13", d("-1.00")),
    ]
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    data = statement_data(world.core, tenancy.tenancy_id)
    assert data["standing_charge"] == {"days": 3, "amount": "1.95", "paused_days": "1.50"}
    text = render_statement(data)
    assert "Standing charge, 3 days:  -1.95" in text
    assert "Standing charge paused (supply cut for want of credit): 1.50 days" in text
    assert (
        "固定日费暂停\N{FULLWIDTH LEFT PARENTHESIS}欠费断电\N{FULLWIDTH RIGHT PARENTHESIS}\N{FULLWIDTH COLON}1.50 天"
        in render_statement(data, language="zh-Hans")
    )
    # Restarted: the cuts are in the ledger, nothing is booked twice or differently.
    world.restart()
    world.core.upsert_room(
        "r1",
        RoomConfig(name="r1", standing_charge=Decimal("1.00"), pause_standing_when_cut=True),
    )
    world.clock.advance(days=1)
    world.core.ensure_cycle_entries()
    assert [e.amount for e in standing(world, account)][-2:] == [d("-1.00"), d("-1.00")]


def test_with_the_setting_off_a_cut_changes_nothing(world: World) -> None:
    account = _cut_world(world, pause=False)
    assert [e.amount for e in standing(world, account)] == [
        d("-0.45"),
        d("-1.00"),
        d("-1.00"),
        d("-1.00"),
    ]
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    data = statement_data(world.core, tenancy.tenancy_id)
    assert data["standing_charge"] == {"days": 4, "amount": "3.45", "paused_days": "0.00"}
    assert "paused" not in render_statement(data)


def test_a_cut_left_open_ends_at_the_next_move_in(world: World) -> None:
    occupied(world, standing_charge=Decimal("1.00"), pause_standing_when_cut=True)
    world.core.record_supply_cut("r1", world.clock.now)
    world.clock.advance(hours=2)
    world.core.move_out("r1", "100", who="a")
    world.clock.advance(hours=2)
    world.core.move_in("r1", "Bob", "100", who="a")
    assert world.ledger.supply_cuts("r1")[-1][1] == world.clock.now
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    world.core.top_up("r1", "50", method="cash", who="a")
    world.clock.advance(days=2)
    world.core.process_reading("r1", "100")
    assert [e.amount for e in standing(world, tenancy.account_id)][1:] == [d("-1.00")]


def test_supply_cuts_are_never_deleted_nor_a_restored_one_edited(world: World) -> None:
    occupied(world, standing_charge=Decimal("1.00"))
    world.core.record_supply_cut("r1", world.clock.now)
    # A restore is never before its cut.
    world.core.record_supply_restored("r1", world.clock.now - timedelta(hours=1))
    assert world.ledger.supply_cuts("r1") == ((world.clock.now, world.clock.now),)
    conn = sqlite3.connect(world.path)
    try:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("DELETE FROM supply_cuts")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("UPDATE supply_cuts SET restored_at = restored_at + 1")
    finally:
        conn.close()


def test_share_before_counts_whole_days_and_subtracts_the_cuts() -> None:
    moved_in = at_local(10, 12)
    cuts = [(at_local(11, 6), at_local(11, 18)), (at_local(12, 18), None)]
    # 10th: 1/2, 11th: 1/2, 12th: 3/4, then cut for good.
    assert share_before(date(2026, 1, 10), date(2026, 1, 13), BERLIN, moved_in, cuts) == (
        Fraction(7, 4)
    )
    assert share_before(date(2026, 1, 10), date(2026, 1, 15), BERLIN, moved_in, cuts) == (
        Fraction(7, 4)
    )


def _exact_shares(
    start: datetime, end: datetime, cuts: list[tuple[datetime, datetime]]
) -> dict[date, Fraction]:
    """Independently: per local day, the time in [start, end) outside every cut, over the
    day's length (a minute grid would do; this walks the interval ends)."""
    shares: dict[date, Fraction] = {}
    day = start.astimezone(BERLIN).date()
    while day <= end.astimezone(BERLIN).date():
        lo, hi = day_bounds(day, BERLIN)
        a, b = max(lo, start), min(hi, end)
        free = b - a if b > a else timedelta(0)
        # Union of the cuts inside [a, b).
        points = sorted((max(a, c), min(b, r)) for c, r in cuts if min(b, r) > max(a, c))
        covered = timedelta(0)
        until = a
        for c, r in points:
            begin = max(c, until)
            if r > begin:
                covered += r - begin
                until = r
        us = timedelta(microseconds=1)
        shares[day] = Fraction((free - covered) // us, (hi - lo) // us)
        day += timedelta(days=1)
    return shares


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rate_cents=st.integers(min_value=1, max_value=999),
    move_in_minutes=st.integers(min_value=0, max_value=24 * 60 - 1),
    # Alternating gaps (minutes): up, cut, up, cut, ... each event is a posting too.
    gaps=st.lists(st.integers(min_value=1, max_value=3 * 24 * 60), min_size=0, max_size=16),
    postings=st.lists(st.integers(min_value=1, max_value=2 * 24 * 60), max_size=10),
    stay_minutes=st.integers(min_value=1, max_value=24 * 60 * 70),
    start_month=st.integers(min_value=1, max_value=12),
    pause=st.booleans(),
)
def test_paused_standing_charge_is_rate_times_unpaused_shares(
    rate_cents: int,
    move_in_minutes: int,
    gaps: list[int],
    postings: list[int],
    stay_minutes: int,
    start_month: int,
    pause: bool,
) -> None:
    """Any tenancy, any cut/restore intervals, any posting times: per cycle |sum posted -
    rate * sum of unpaused shares| < one minor unit, over the tenancy never above exact; with
    the setting off the cuts change nothing (rate * sum of shares)."""
    rate = Decimal(rate_cents) / 100
    start = datetime(2026, start_month, 1, tzinfo=UTC) + timedelta(minutes=move_in_minutes)
    end = start + timedelta(minutes=stay_minutes)
    # Events in time order: ("cut"/"restore"/"post", at); a cut may also begin before the
    # move-in (left open by the supply layer) or stay open at the move-out.
    events: list[tuple[datetime, str]] = []
    moment = start
    for index, gap in enumerate(gaps):
        moment += timedelta(minutes=gap)
        events.append((moment, "cut" if index % 2 == 0 else "restore"))
    moment = start
    for gap in postings:
        moment += timedelta(minutes=gap)
        events.append((moment, "post"))
    events = sorted(e for e in events if e[0] < end)
    cuts: list[tuple[datetime, datetime]] = []
    open_cut: datetime | None = None
    with tempfile.TemporaryDirectory() as directory:
        world = make_world(Path(directory) / "ledger.sqlite3", start=start)
        try:
            occupied(world, standing_charge=rate, cycle_start_day=5, pause_standing_when_cut=pause)
            tenancy = world.core.tenancy_of("r1")
            assert tenancy is not None
            world.core.top_up("r1", "100000", method="cash", who="a")
            for at, kind in events:
                world.clock.now = at
                if kind == "cut":
                    world.core.record_supply_cut("r1", at)
                    open_cut = at
                elif kind == "restore":
                    world.core.record_supply_restored("r1", at)
                    assert open_cut is not None
                    cuts.append((open_cut, at))
                    open_cut = None
                else:
                    world.core.process_reading("r1", "100")
            if open_cut is not None:
                cuts.append((open_cut, end))
            world.clock.now = end
            world.core.move_out("r1", "100", who="a")
            calendar = CycleCalendar(BERLIN, 5)
            shares = _exact_shares(start, end, cuts if pause else [])
            exact: dict[str, Fraction] = defaultdict(Fraction)
            for day, share in shares.items():
                key = calendar.cycle_containing(datetime.combine(day, datetime.min.time(), BERLIN))
                exact[key.key] += Fraction(rate) * share
            if not pause:
                for day in shares:
                    assert shares[day] == day_share(day, BERLIN, start, end)
            posted: dict[str, Decimal] = defaultdict(Decimal)
            for entry in standing(world, tenancy.account_id):
                assert entry.reference is not None
                day = day_of_reference(entry.reference)
                key = calendar.cycle_containing(datetime.combine(day, datetime.min.time(), BERLIN))
                posted[key.key] -= entry.amount
            for key in exact.keys() | posted.keys():
                assert abs(Fraction(posted[key]) - exact[key]) < Fraction(1, 100), key
            total_exact = sum(exact.values(), Fraction(0))
            total_posted = Fraction(sum(posted.values(), Decimal(0)))
            assert 0 <= total_exact - total_posted < Fraction(1, 100)
            # The statement's paused days add up to the paused time (two decimals, down).
            paused = sum(
                (day_share(day, BERLIN, start, end) - share for day, share in shares.items()),
                Fraction(0),
            )
            keys = {
                calendar.cycle_containing(datetime.combine(day, datetime.min.time(), BERLIN)).key
                for day in shares
            }
            stated = [
                Fraction(
                    Decimal(
                        statement_data(world.core, tenancy.tenancy_id, key)["standing_charge"][
                            "paused_days"
                        ]
                    )
                )
                for key in keys
            ]
            assert 0 <= paused - sum(stated, Fraction(0)) < Fraction(len(keys), 100)
            if not pause:
                assert not any(stated)
        finally:
            world.ledger.close()
