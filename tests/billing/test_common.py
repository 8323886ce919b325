"""Common areas: a common meter's day shared into rooms' accounts (equal or by consumption),
exactly, once, with what nobody carries left to the landlord."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
import sqlite3

from hypothesis import given, strategies as st
import pytest

from custom_components.prepaid_power.billing.common import common_reference, share_out
from custom_components.prepaid_power.billing.core import RoomConfig
from custom_components.prepaid_power.billing.ledger import MIGRATIONS
from custom_components.prepaid_power.billing.statement import render_statement, statement_data

from .conftest import World, add_room, d, occupied

DAY = date(2026, 1, 11)  # the whole day after the move-ins (2026-01-10 13:00 Berlin)


@given(
    st.integers(0, 10**7),
    st.dictionaries(
        st.integers(1, 50),
        st.fractions(min_value=0, max_value=1000, max_denominator=10**6),
        max_size=12,
    ),
)
def test_shares_add_up_to_the_cost_each_within_a_unit_of_its_exact_share(
    cost: int, weights: dict[int, Fraction]
) -> None:
    shares = share_out(cost, weights)
    total = sum((w for w in weights.values() if w > 0), Fraction(0))
    if total == 0:
        assert shares == {}
        return
    assert sum(shares.values()) == cost
    for key, units in shares.items():
        exact = cost * weights[key] / total
        assert units >= 0
        assert abs(units - exact) < 1


def test_largest_remainder_and_ties_to_the_lower_key() -> None:
    assert share_out(10, {1: Fraction(1), 2: Fraction(1), 3: Fraction(1)}) == {1: 4, 2: 3, 3: 3}
    assert share_out(5, {7: Fraction(3), 2: Fraction(1)}) == {7: 4, 2: 1}  # 3.75 / 1.25
    assert share_out(3, {1: Fraction(0), 2: Fraction(2)}) == {2: 3}
    with pytest.raises(ValueError, match="not negative"):
        share_out(-1, {1: Fraction(1)})


def two_rooms(world: World) -> tuple[int, int]:
    occupied(world, "r1")
    occupied(world, "r2")
    for room in ("r1", "r2"):
        world.core.top_up(room, "20", method="cash", who="a")
    world.clock.now = datetime(2026, 1, 12, 0, 5, tzinfo=UTC)  # 01:05 Berlin, the 12th
    t1, t2 = world.core.tenancy_of("r1"), world.core.tenancy_of("r2")
    assert t1 is not None
    assert t2 is not None
    return t1.account_id, t2.account_id


def common_fees(world: World, account: int) -> list[tuple[str | None, Decimal]]:
    return [
        (e.reference, e.amount)
        for e in world.ledger.entries(account_id=account, kinds=["fee"])
        if e.reference is not None and e.reference.startswith("common area")
    ]


def test_an_equal_share_is_booked_once_as_a_visible_line(world: World) -> None:
    a1, a2 = two_rooms(world)
    # 3.333 kWh at 0.30: 0.9999 -> 0.99, shared 0.50 / 0.49.
    booked = world.core.book_common_day(
        "hall", "Hall", DAY, d("3.333"), d("0.30"), ["r1", "r2"], "equal"
    )
    assert booked.cost == d("0.99")
    assert [(s.account_id, s.amount) for s in booked.shares] == [(a1, d("0.50")), (a2, d("0.49"))]
    assert booked.landlord_share == 0
    assert common_fees(world, a1) == [(common_reference("hall", DAY), d("-0.50"))]
    again = world.core.book_common_day("hall", "Hall", DAY, d("9"), d("9"), ["r1", "r2"], "equal")
    assert again.cost == d("0.99")  # the stored day, nothing new booked
    assert common_fees(world, a2) == [(common_reference("hall", DAY), d("-0.49"))]
    world.restart()
    [stored] = world.core.common_days("hall")
    assert [(s.account_id, s.amount) for s in stored.shares] == [(a1, d("0.50")), (a2, d("0.49"))]
    assert (stored.cost, stored.kwh, stored.method) == (d("0.99"), d("3.333"), "equal")
    assert world.core.common_share_total("r1", *_day_span()) == d("0.50")
    assert world.core.balance("r1") == d("19.50")


def _day_span() -> tuple[datetime, datetime]:
    return datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 1, 13, tzinfo=UTC)


def test_by_consumption_and_an_empty_day_is_the_landlords(world: World) -> None:
    a1, a2 = two_rooms(world)
    world.clock.now = datetime(2026, 1, 11, 10, tzinfo=UTC)
    world.core.process_reading("r1", "103")  # 3 kWh on the 11th
    world.core.process_reading("r2", "101")  # 1 kWh
    world.clock.now = datetime(2026, 1, 12, 0, 5, tzinfo=UTC)
    booked = world.core.book_common_day(
        "laundry", "Laundry", DAY, d("10"), d("0.40"), ["r1", "r2"], "consumption"
    )
    assert [(s.account_id, s.amount) for s in booked.shares] == [(a1, d("3.00")), (a2, d("1.00"))]
    # The day before the move-ins nobody lived there: the landlord carries it.
    world.clock.now = datetime(2026, 1, 12, 0, 6, tzinfo=UTC)
    empty = world.core.book_common_day(
        "laundry", "Laundry", date(2026, 1, 9), d("2"), d("0.40"), ["r1", "r2"], "equal"
    )
    assert (empty.shares, empty.landlord_share) == ((), d("0.80"))


def test_an_ended_tenancys_share_is_the_landlords(world: World) -> None:
    a1, _ = two_rooms(world)
    world.clock.now = datetime(2026, 1, 11, 11, tzinfo=UTC)  # 12:00 Berlin: half a day
    world.core.move_out("r2", "100", who="landlord")
    world.clock.now = datetime(2026, 1, 12, 0, 5, tzinfo=UTC)
    booked = world.core.book_common_day("hall", "Hall", DAY, d("3"), d("1"), ["r1", "r2"], "equal")
    # Weights 1 and 1/2: 2.00 and 1.00; the ended tenancy's 1.00 is the landlord's.
    assert [(s.account_id, s.amount) for s in booked.shares] == [(a1, d("2.00"))]
    assert booked.landlord_share == d("1.00")


def test_a_linked_room_shares_through_its_payer(world: World) -> None:
    occupied(world, "r1")
    add_room(world, "ac")
    world.core.upsert_room("ac", RoomConfig(name="ac", bills_to="r1"))
    occupied(world, "r2")
    world.core.top_up("r1", "5", method="cash", who="a")
    world.clock.now = datetime(2026, 1, 12, 0, 5, tzinfo=UTC)
    booked = world.core.book_common_day(
        "hall", "Hall", DAY, d("2"), d("1.5"), ["r1", "ac", "r2"], "equal"
    )
    payer = world.core.tenancy_of("r1")
    assert payer is not None
    # r1's account has two rooms' weights (2), r2 one: 2.00 / 1.00.
    assert {s.account_id: s.amount for s in booked.shares}[payer.account_id] == d("2.00")
    assert booked.landlord_share == 0


def test_refused_inputs_book_nothing(world: World) -> None:
    two_rooms(world)
    before = world.counts()
    for day, kwh, price, method, why in (
        (DAY, d("-1"), d("1"), "equal", "not negative"),
        (DAY, d("1"), d("-1"), "equal", "not negative"),
        (DAY, d("1"), d("1"), "by_guess", "unknown sharing method"),
    ):
        with pytest.raises(ValueError, match=why):
            world.core.book_common_day("hall", "Hall", day, kwh, price, ["r1"], method)  # type: ignore[arg-type]
    assert world.counts() == before
    assert world.core.common_days("hall") == []


def test_standing_charges_are_not_confused_by_a_common_share(world: World) -> None:
    """A common share names a later day than the last standing charge: the standing
    charges still come day by day, and the statement counts only them as standing days and
    shows the share on its own line, outside the tax split."""
    occupied(world, "r1", standing_charge=Decimal("1.00"))
    occupied(world, "r2")
    world.clock.now = datetime(2026, 1, 12, 0, 5, tzinfo=UTC)
    # Balance 0: the standing charges wait; the share is booked first (as energy would be).
    world.core.book_common_day("hall", "Hall", DAY, d("1"), d("1"), ["r1", "r2"], "equal")
    world.clock.now = datetime(2026, 1, 14, 0, 5, tzinfo=UTC)
    world.core.top_up("r1", "30", method="cash", who="a")
    world.core.ensure_cycle_entries()
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    standing = [
        e.reference
        for e in world.ledger.entries(account_id=tenancy.account_id, kinds=["fee"])
        if e.reference is not None and e.reference.startswith("standing charge")
    ]
    assert standing == [
        "standing charge 2026-01-10",
        "standing charge 2026-01-11",
        "standing charge 2026-01-12",
        "standing charge 2026-01-13",
    ]
    data = statement_data(world.core, tenancy.tenancy_id)
    assert data["standing_charge"]["days"] == 4
    assert data["common_area"]["amount"] == "0.50"
    assert [s["why"] for s in data["common_area"]["shares"]] == ["common area Hall 2026-01-11"]
    assert data["fees"] == []
    text = render_statement(data, language="en")
    assert "Common areas:  -0.50 EUR" in text
    assert "common area Hall 2026-01-11:  -0.50 EUR" in text
    assert "公共区域分摊\uff1a-0.50 EUR" in render_statement(data, language="zh-Hans")


def test_the_schema_has_the_common_days_table(world: World) -> None:
    assert world.ledger.schema_version == len(MIGRATIONS) == 8
    world.ledger.execute(
        "INSERT INTO common_days VALUES ('m', '2026-01-01', '1', '1', 1, 'equal', 0, 0)"
    )
    with pytest.raises(sqlite3.IntegrityError, match="never edited"):
        world.ledger.execute("UPDATE common_days SET kwh = '2'")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        world.ledger.execute("DELETE FROM common_days")
