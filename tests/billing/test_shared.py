"""Shared accounts: several meters billing to one room's account (billing/README.md)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
import os
from pathlib import Path
import tempfile

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.prepaid_power.billing import errors
from custom_components.prepaid_power.billing.core import RoomConfig
from custom_components.prepaid_power.billing.errors import BillingError
from custom_components.prepaid_power.billing.meters import meter_reference, metered_room
from custom_components.prepaid_power.billing.statement import render_statement, statement_data

from .conftest import World, add_room, check_never_negative_but_by_usage, d, make_world

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "40"))


def link(world: World, room_id: str, payer: str | None, **config: object) -> None:
    world.core.upsert_room(room_id, RoomConfig(name=room_id, bills_to=payer, **config))  # type: ignore[arg-type]


def two_meters(world: World) -> int:
    """Room 'r1' with its air conditioner 'ac' (0.5000 per kWh) on one account; 100 paid."""
    add_room(world, "r1")
    add_room(world, "ac", {"kind": "flat", "price": "0.5000"})
    link(world, "ac", "r1")
    return two_meters_on(world)


def test_every_meter_bills_at_its_tariff_into_the_payers_account(world: World) -> None:
    account = two_meters(world)
    world.clock.advance(hours=2)
    world.core.process_reading("r1", "104")  # 4 kWh at 0.25
    world.core.process_reading("ac", "16")  # 6 kWh at 0.50
    charges = world.ledger.entries(account_id=account, kinds=["charge"])
    by_meter: dict[str, Decimal] = defaultdict(Decimal)
    for entry in charges:
        by_meter[metered_room(entry.reference, "r1")] += entry.amount
    assert by_meter == {"r1": d("-1.00"), "ac": d("-3.00")}
    assert world.core.balance("r1") == d("96.00")
    # The linked room shows the account: its tenancy, balance and payer; its own energy.
    ac, r1 = world.core.summary("ac"), world.core.summary("r1")
    assert ac.tenancy_id == r1.tenancy_id
    assert ac.balance == r1.balance == d("96.00")
    assert (ac.payer, r1.payer) == ("r1", None)
    assert (ac.energy_this_cycle_kwh, r1.energy_this_cycle_kwh) == (d("6"), d("4"))
    assert (ac.cost_this_cycle, r1.cost_this_cycle) == (d("3.00"), d("1.00"))
    assert world.core.meters_of("r1") == ["r1", "ac"]
    assert world.core.payer_of("ac") == "r1"


def test_the_live_balance_counts_every_meters_unposted_usage(world: World) -> None:
    two_meters(world)
    world.clock.advance(minutes=10)  # not yet due: accrued only
    world.core.process_reading("r1", "102")
    world.core.process_reading("ac", "12")
    assert world.core.balance("r1") == d("100")
    assert world.core.live_balance("r1") == world.core.live_balance("ac") == d("98.50")
    assert world.core.summary("ac").live_balance == d("98.50")
    # A top-up on either room posts every meter first and credits the one account.
    world.core.top_up("ac", "10", method="cash", who="landlord")
    assert world.core.balance("r1") == d("108.50")


def test_usage_before_the_move_in_is_the_vacant_accounts(world: World) -> None:
    add_room(world, "r1")
    add_room(world, "ac", {"kind": "flat", "price": "0.5000"})
    link(world, "ac", "r1")
    world.core.process_reading("ac", "10")
    world.clock.advance(hours=1)
    world.core.move_in("r1", "Alice", "100", who="landlord", meter_readings={"ac": "13"})
    vacant = world.ledger.vacant_account("ac")
    assert sum((e.kwh or 0 for e in world.ledger.entries(account_id=vacant)), Decimal(0)) == 3
    world.clock.advance(hours=1)
    world.core.process_reading("ac", "14")
    assert world.core.balance("r1") == d("-0.50")


def test_move_out_bills_every_meter_before_the_settlement(world: World) -> None:
    account = two_meters(world)
    world.clock.advance(hours=3)
    result = world.core.move_out("r1", "102", who="landlord", meter_readings={"ac": "20"})
    assert result.refund_owed == d("100") - d("0.50") - d("5.00")
    assert world.ledger.balance(account) == 0
    assert {metered_room(e.reference, "r1") for e in result.final_charges} == {"r1", "ac"}
    assert world.core.tenancy_of("ac") is None
    # After the move-out, the linked meter bills its own vacant account again.
    world.clock.advance(hours=1)
    world.core.process_reading("ac", "21")
    assert world.ledger.balance(account) == 0


def test_tenants_move_in_and_out_of_the_payer_only(world: World) -> None:
    two_meters(world)
    before = world.counts()
    with pytest.raises(BillingError) as err:
        world.core.move_out("ac", "20", who="landlord")
    assert err.value.key == errors.ROOM_BILLS_TO_OTHER
    assert err.value.placeholders == {"room": "ac", "payer": "r1"}
    with pytest.raises(BillingError) as err:
        world.core.move_out("r1", "102", who="landlord", meter_readings={"r1": "1"})
    assert err.value.key == errors.UNKNOWN_ROOM
    with pytest.raises(BillingError) as err:
        world.core.move_out("r1", "102", who="landlord", meter_readings={"ac": "5"})
    assert err.value.key == errors.READING_IMPLAUSIBLE
    assert world.counts() == before


@pytest.mark.parametrize(
    ("room", "payer", "key"),
    [
        ("ac", "ac", errors.BILLS_TO_ITSELF),
        ("ac", "nowhere", errors.BILLS_TO_UNKNOWN_ROOM),
        ("r3", "ac", errors.BILLS_TO_CHAIN),  # ac bills to r1 itself
        ("r1", "r3", errors.BILLS_TO_CHAIN),  # others bill to r1
        ("r2", "r3", errors.BILLS_TO_OCCUPIED),  # r2 has a tenant of its own
    ],
)
def test_a_link_that_is_not_one_payer_and_its_meters_is_refused(
    world: World, room: str, payer: str, key: str
) -> None:
    add_room(world, "r1")
    add_room(world, "ac")
    add_room(world, "r3")
    add_room(world, "r2")
    link(world, "ac", "r1")
    world.core.move_in("r2", "Bob", "0", who="landlord")
    before = world.counts()
    with pytest.raises(BillingError) as err:
        link(world, room, payer)
    assert err.value.key == key
    assert world.counts() == before
    assert world.core.payer_of(room) == ("r1" if room == "ac" else None)


def test_linking_mid_tenancy_posts_what_was_read_to_the_old_account(world: World) -> None:
    add_room(world, "r1")
    add_room(world, "ac", {"kind": "flat", "price": "0.5000"})
    world.core.move_in("r1", "Alice", "100", who="landlord", first_top_up="10")
    world.core.process_reading("ac", "10")
    world.clock.advance(minutes=10)
    world.core.process_reading("ac", "12")  # accrued on ac's vacant account
    link(world, "ac", "r1")
    assert world.core.balance("r1") == d("10")
    world.clock.advance(minutes=10)
    world.core.process_reading("ac", "14")
    world.core.flush("r1")
    assert world.core.balance("r1") == d("9.00")
    # Unlinked again: the meter bills its own (vacant) account from then on.
    link(world, "ac", None)
    world.clock.advance(minutes=10)
    world.core.process_reading("ac", "20")
    world.core.flush("ac")
    assert world.core.balance("r1") == d("9.00")
    assert world.core.tenancy_of("ac") is None


def test_a_linked_meter_follows_the_payers_cycles_and_fees(world: World) -> None:
    add_room(world, "r1", cycle_start_day=5, standing_charge=d("1.00"), allowance_kwh=d("2"))
    add_room(world, "ac", cycle_start_day=20)
    link(world, "ac", "r1", cycle_start_day=20)
    assert world.core.calendar("ac") is world.core.calendar("r1")
    account = two_meters_on(world)
    world.clock.advance(days=1, hours=1)
    world.core.process_reading("ac", "14")  # 4 kWh: 2 free (the account's allowance)
    entries = world.ledger.entries(account_id=account)
    standing = [e for e in entries if e.kind == "fee"]
    assert len(standing) == 1  # the payer's standing charge, booked once
    charges = [e for e in entries if e.kind == "charge"]
    assert sum((e.allowance_kwh or 0 for e in charges), Decimal(0)) == 2
    assert -sum((e.amount for e in charges), Decimal(0)) == d("0.50")


def two_meters_on(world: World) -> int:
    """The rooms added and linked: Alice moves into 'r1' at 100 / 10 and pays 100."""
    world.core.process_reading("ac", "10")
    world.core.move_in("r1", "Alice", "100", who="landlord", meter_readings={"ac": "10"})
    world.core.top_up("r1", "100", method="cash", who="landlord")
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    return tenancy.account_id


def test_the_statement_has_a_line_per_meter_adding_up_to_the_energy_cost(world: World) -> None:
    two_meters(world)
    for _ in range(5):
        world.clock.advance(hours=1, minutes=7)
        world.core.process_reading("r1", str(100 + Decimal("1.333") * (_ + 1)))
        world.core.process_reading("ac", str(10 + Decimal("0.777") * (_ + 1)))
    tenancy = world.core.tenancy_of("ac")
    assert tenancy is not None
    data = statement_data(world.core, tenancy.tenancy_id)
    meters = {m["room_id"]: m for m in data["meters"]}
    assert set(meters) == {"r1", "ac"}
    assert meters["ac"]["reading_from"] == "10.000"
    assert meters["ac"]["kwh"] == "3.885"
    assert sum(Decimal(m["amount"]) for m in meters.values()) == Decimal(data["energy_cost"])
    assert abs(Decimal(meters["ac"]["amount"]) - d("3.885") * d("0.5")) < d("0.01")
    ac = meters["ac"]
    assert "  ac  10.000 to 13.885  3.885 kWh  " + ac["amount"] in render_statement(data)
    zh = "  ac\uff1a读数 10.000 至 13.885\uff0c3.885 千瓦时  "  # full-width colon and comma
    assert zh + ac["amount"] in render_statement(data, language="zh-Hans")


def test_a_single_meters_statement_has_no_meter_lines(world: World) -> None:
    add_room(world, "r1")
    world.core.move_in("r1", "Alice", "100", who="landlord", first_top_up="10")
    world.clock.advance(hours=2)
    world.core.process_reading("r1", "101")
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    assert statement_data(world.core, tenancy.tenancy_id)["meters"] == []


def test_the_link_survives_a_restart(world: World) -> None:
    account = two_meters(world)
    core = world.restart()
    assert core.payer_of("ac") == "r1"
    assert core.calendar("ac") is core.calendar("r1")
    world.clock.advance(hours=2)
    core.process_reading("ac", "12")
    assert world.ledger.entries(account_id=account, kinds=["charge"])[-1].reference == (
        meter_reference("ac")
    )


PRICES = (d("0.3019"), d("0.2511"), d("0.1234"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=2),  # which meter
            st.integers(min_value=0, max_value=3_000_000),  # micro-kWh read since its last
            st.integers(min_value=1, max_value=36 * 60),  # minutes passed
            st.integers(min_value=0, max_value=3),  # a top-up of 0 / 5 / 20 / 0.07 first
        ),
        min_size=1,
        max_size=40,
    ),
    start_day=st.integers(min_value=1, max_value=28),
)
def test_shared_accounts_charges_are_every_meters_kwh_times_its_price(
    steps: list[tuple[int, int, int, int]], start_day: int
) -> None:
    """Three meters (three prices) on one account, read in any order at any times, through
    cycle boundaries and an empty balance: per cycle Σ charges is within one minor unit of
    Σ per-meter kWh * price (over the account never above it), the balance is Σ entries,
    and the balance goes below zero only by usage."""
    start = datetime(2026, 3, 20, 9, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as directory:
        world = make_world(Path(directory) / "ledger.sqlite3", start=start)
        try:
            rooms = ("r1", "r2", "r3")
            for room, price in zip(rooms, PRICES, strict=True):
                add_room(world, room, {"kind": "flat", "price": str(price)}, cycle_start_day=1)
            for room in rooms[1:]:
                link(world, room, "r1", cycle_start_day=start_day)
            readings = [Decimal(0)] * 3
            for room in rooms:
                world.core.process_reading(room, "0")
            world.core.move_in("r1", "Family", "0", who="l", first_top_up="3")
            tenancy = world.core.tenancy_of("r3")
            assert tenancy is not None
            for meter, micro, minutes, pay in steps:
                world.clock.advance(minutes=minutes)
                if pay:
                    amount = ("5", "20", "0.07")[pay - 1]
                    world.core.top_up(rooms[pay % 3], amount, method="cash", who="l")
                readings[meter] += Decimal(micro) / 1_000_000
                world.core.process_reading(rooms[meter], readings[meter])
            world.clock.advance(hours=1)
            world.core.move_out(
                "r1", readings[0], who="l", meter_readings={"r2": readings[1], "r3": readings[2]}
            )
            account = tenancy.account_id
            exact: dict[str, Decimal] = defaultdict(Decimal)
            posted: dict[str, Decimal] = defaultdict(Decimal)
            kwh: dict[str, Decimal] = defaultdict(Decimal)
            for entry in world.ledger.entries(account_id=account, kinds=["charge"]):
                meter_room = metered_room(entry.reference, "r1")
                assert entry.price == PRICES[rooms.index(meter_room)]
                assert entry.cycle is not None
                assert entry.kwh is not None
                exact[entry.cycle] += entry.kwh * entry.price
                posted[entry.cycle] -= entry.amount
                kwh[meter_room] += entry.kwh
            # The rounding carry stays in its cycle: per cycle within a minor unit; over the
            # account never above what was used (below it by less than a unit per cycle).
            for cycle, value in exact.items():
                assert abs(value - posted[cycle]) < d("0.01"), cycle
            total = sum(exact.values(), Decimal(0)) - sum(posted.values(), Decimal(0))
            assert 0 <= total < d("0.01") * max(1, len(exact))
            assert [kwh[room] for room in rooms] == readings
            entries = world.ledger.entries(account_id=account)
            assert world.ledger.balance(account) == sum((e.amount for e in entries), Decimal(0))
            assert world.ledger.balance(account) == 0  # settled
            check_never_negative_but_by_usage(world.ledger, account)
        finally:
            world.ledger.close()


def test_tenancy_of_a_linked_room_is_the_payers_for_every_money_operation(world: World) -> None:
    two_meters(world)
    world.core.add_fee("ac", "1", why="key copy", who="landlord")
    world.core.adjust("ac", "-2", reason="repair", who="landlord")
    assert world.core.balance("r1") == d("97")
    assert world.core.tenancy_of("ac") == world.core.tenancy_of("r1")
    with pytest.raises(BillingError) as err:
        world.core.preset_vacant_energy("ac", "1", who="landlord")
    assert err.value.key == errors.ROOM_OCCUPIED


def test_readings_far_apart_never_break_the_cycle_split(world: World) -> None:
    two_meters(world)
    world.clock.advance(days=40)
    world.core.process_reading("ac", "30")
    world.core.process_reading("r1", "120")
    cycles = {e.cycle for e in world.ledger.entries(kinds=["charge"]) if e.reference}
    assert len(cycles) == 2
    # 15.00 used (January 8.046875, February 6.953125): each cycle's charges are floored
    # in its own carry (8.04 and 6.95), what is left of January's stays there.
    assert world.core.balance("r1") == d("100") - d("8.04") - d("6.95")


def test_a_meter_without_usage_still_has_its_line(world: World) -> None:
    two_meters(world)
    world.clock.advance(hours=2)
    world.core.process_reading("ac", "12")
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    data = statement_data(world.core, tenancy.tenancy_id)
    assert [(m["room_id"], m["kwh"], m["reading_from"]) for m in data["meters"]] == [
        ("r1", "0.000", None),
        ("ac", "2.000", "10.000"),
    ]
    assert "  r1  0.000 kWh  0.00 EUR" in render_statement(data)


def test_a_cycle_end_between_two_meters_readings_keeps_each_cycle_within_a_minor_unit(
    world: World,
) -> None:
    """Meters are read one after another: the room's first piece of February is posted
    before the air conditioner's last piece of January. The shared account's carry stays in
    its cycle, so January is not short by more than a minor unit (with one carry across
    cycles it was short by 1.2: 0.02 posted for 3.2 cents used)."""
    account = two_meters(world)  # r1 at 0.25, ac at 0.50
    world.clock.now = datetime(2026, 1, 31, 22, tzinfo=UTC)  # an hour before February
    world.core.process_reading("r1", "100.04")  # 1 cent each, no carry
    world.core.process_reading("ac", "10.02")
    world.clock.advance(hours=2)  # 0.6 cents each side of midnight, each meter
    world.core.process_reading("r1", "100.088")
    world.core.process_reading("ac", "10.044")
    exact: dict[str, Decimal] = defaultdict(Decimal)
    posted: dict[str, Decimal] = defaultdict(Decimal)
    for entry in world.ledger.entries(account_id=account, kinds=["charge"]):
        assert entry.cycle is not None
        assert entry.exact_amount is not None
        exact[entry.cycle] += entry.exact_amount
        posted[entry.cycle] -= entry.amount
    assert dict(exact) == {"2026-01-01": d("0.032"), "2026-02-01": d("0.012")}
    assert dict(posted) == {"2026-01-01": d("0.03"), "2026-02-01": d("0.01")}
