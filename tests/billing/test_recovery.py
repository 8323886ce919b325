"""Debt recovery plans: a share of each top-up and a fixed amount per day or week, never below
the floor; the debt stays on the tenancy (the move-out settlement records what is left)."""

from __future__ import annotations

from decimal import Decimal
import os
from pathlib import Path
import tempfile

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.prepaid_power.billing import errors
from custom_components.prepaid_power.billing.errors import BillingError
from custom_components.prepaid_power.billing.recovery import (
    DEBT_LEFT_AT_MOVE_OUT,
    DEBT_RECOVERED_FIXED,
    DEBT_RECOVERED_FROM_TOP_UP,
    DEBT_RECOVERY_REASONS,
)
from custom_components.prepaid_power.billing.statement import render_statement, statement_data

from .conftest import World, check_never_negative_but_by_usage, d, make_world, occupied

EXAMPLES = int(os.environ.get("BILLING_EXAMPLES", "40"))


def recoveries(world: World, account_id: int) -> list[tuple[str, Decimal]]:
    return [
        (e.why, e.amount)
        for e in world.ledger.entries(account_id=account_id, kinds=["adjustment"])
        if e.why in DEBT_RECOVERY_REASONS
    ]


def test_a_share_of_each_top_up_goes_to_the_debt_above_the_floor(world: World) -> None:
    occupied(world)
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    status = world.core.set_debt_plan(
        "r1", debt="30", percent="25", floor="5", reason="arrears from room 2", who="landlord"
    )
    assert (status.plan.debt, status.recovered, status.remaining) == (30, 0, 30)
    first = world.core.top_up("r1", "40", method="cash", who="landlord")
    assert first.debt_recovered == d("10.00")
    assert world.core.balance("r1") == d("30.00")
    # The floor: a 4.00 top-up on a balance of 0 keeps it all (the share would take it below 5).
    world.core.refund("r1", "30", who="landlord")
    small = world.core.top_up("r1", "4", method="cash", who="landlord")
    assert small.debt_recovered == 0
    assert world.core.balance("r1") == d("4.00")
    # Only what lies above the floor is taken: 25 % of 8.00 is 2.00, the balance 12 - 5 allows it.
    assert world.core.top_up("r1", "8", method="cash", who="landlord").debt_recovered == d("2.00")
    # Never more than the debt: 18.00 left, 25 % of 100 is 25.
    assert world.core.top_up("r1", "100", method="cash", who="landlord").debt_recovered == d("18")
    final = world.core.debt_plan_status(tenancy.tenancy_id)
    assert final is not None
    assert (final.recovered, final.remaining) == (30, 0)
    assert recoveries(world, tenancy.account_id) == [
        (DEBT_RECOVERED_FROM_TOP_UP, d("-10.00")),
        (DEBT_RECOVERED_FROM_TOP_UP, d("-2.00")),
        (DEBT_RECOVERED_FROM_TOP_UP, d("-18.00")),
    ]
    # A repeated payment reference is the same payment: nothing recovered twice.
    paid = world.core.top_up("r1", "20", method="app", reference="P-1", who="landlord")
    again = world.core.top_up("r1", "20", method="app", reference="P-1", who="landlord")
    assert (again.created, again.debt_recovered) == (False, 0)
    assert paid.debt_recovered == 0  # nothing left to recover
    check_never_negative_but_by_usage(world.ledger, tenancy.account_id)


def test_fixed_amount_per_day_waits_for_the_balance_and_is_taken_later(world: World) -> None:
    """2.00 a day: taken at each posting once a local midnight passed; when the balance is at
    the floor it waits, and the next top-up pays what is due (never beyond the debt)."""
    occupied(world, reading="100")
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    world.core.top_up("r1", "5", method="cash", who="landlord")
    world.core.set_debt_plan(
        "r1", debt="9", fixed="2", every="day", floor="1", reason="damage", who="landlord"
    )
    world.clock.advance(days=1)
    world.core.process_reading("r1", "100")  # a posting after one midnight: 2.00 due
    assert world.core.balance("r1") == d("3.00")
    world.clock.advance(days=2)
    world.core.process_reading("r1", "100")  # 4.00 more due, only 2.00 above the floor
    assert world.core.balance("r1") == d("1.00")
    world.clock.advance(days=5)  # 6 + 10 = 16 due, 5 left of the debt
    result = world.core.top_up("r1", "20", method="cash", who="landlord")
    assert result.debt_recovered == d("5.00")
    assert world.core.balance("r1") == d("16.00")
    assert [amount for _, amount in recoveries(world, tenancy.account_id)] == [
        d("-2.00"),
        d("-2.00"),
        d("-5.00"),
    ]
    assert {why for why, _ in recoveries(world, tenancy.account_id)} == {DEBT_RECOVERED_FIXED}


def test_weekly_amount_and_changed_terms_start_afresh(world: World) -> None:
    occupied(world, reading="100")
    world.core.top_up("r1", "100", method="cash", who="landlord")
    world.core.set_debt_plan("r1", debt="50", fixed="7", every="week", reason="x", who="a")
    world.clock.advance(days=6)
    world.core.process_reading("r1", "100")
    assert world.core.balance("r1") == d("100.00")  # not a week yet
    world.clock.advance(days=1)
    world.core.process_reading("r1", "100")
    assert world.core.balance("r1") == d("93.00")
    # New terms: what the old ones had due is settled first, then 1.00 a day from now on.
    world.clock.advance(days=7)
    status = world.core.set_debt_plan("r1", fixed="1", every="day", who="a")
    assert (status.recovered, status.remaining) == (14, 36)
    world.clock.advance(days=3)
    world.core.process_reading("r1", "100")
    assert world.core.balance("r1") == d("83.00")


def test_debt_left_at_move_out_is_in_the_settlement_and_payable(world: World) -> None:
    occupied(world, reading="100")
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    world.core.set_debt_plan("r1", debt="40", percent="50", reason="arrears", who="a")
    world.core.top_up("r1", "20", method="cash", who="a")  # 10.00 recovered, 30.00 left
    world.clock.advance(days=1)
    result = world.core.move_out("r1", "104", who="a")  # 1.00 energy: balance 9.00
    assert (result.refund_owed, result.debt) == (0, d("21.00"))
    assert recoveries(world, tenancy.account_id)[-1] == (DEBT_LEFT_AT_MOVE_OUT, d("-30.00"))
    status = world.core.debt_plan_status(tenancy.tenancy_id)
    assert status is not None
    assert (status.recovered, status.remaining) == (10, 0)
    assert world.ledger.debt_owed(tenancy.account_id) == d("21.00")
    assert world.core.pay_debt("r1", "21", method="cash", who="a").owed == 0
    check_never_negative_but_by_usage(world.ledger, tenancy.account_id)
    data = statement_data(world.core, tenancy.tenancy_id)
    assert data["debt_recovery"] == {
        "opening_debt": "0.00",
        "debt_recorded": "40.00",
        "recovered": [
            {
                "at": data["debt_recovery"]["recovered"][0]["at"],
                "amount": "-10.00",
                "method": None,
                "reference": None,
                "who": "system",
                "why": DEBT_RECOVERED_FROM_TOP_UP,
            }
        ],
        "recovered_total": "10.00",
        "moved_to_settlement": "30.00",
        "closing_debt": "0.00",
        "percent": "50.00",
        "fixed": "0.00",
        "every": "day",
        "floor": "0.00",
    }
    # The recovery entries are not listed among the landlord's adjustments.
    assert data["adjustments"] == []
    for language, words in (
        ("en", "Recovered this cycle:     10.00"),
        ("zh-Hans", "本期扣还\N{FULLWIDTH COLON}10.00"),
    ):
        assert words in render_statement(data, language=language)


def test_statement_of_a_later_cycle_opens_with_the_debt_left(world: World) -> None:
    occupied(world, reading="100")
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    world.core.set_debt_plan("r1", debt="40", percent="50", reason="arrears", who="a")
    world.core.top_up("r1", "20", method="cash", who="a")
    world.clock.advance(days=31)
    world.core.top_up("r1", "10", method="cash", who="a")
    data = statement_data(world.core, tenancy.tenancy_id)
    assert {k: data["debt_recovery"][k] for k in ("opening_debt", "closing_debt")} == {
        "opening_debt": "30.00",
        "closing_debt": "25.00",
    }
    assert data["debt_recovery"]["debt_recorded"] == "0.00"


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"debt": "10", "percent": "101", "reason": "x"}, errors.DEBT_PLAN_PERCENT_INVALID),
        ({"debt": "10", "percent": "2.555", "reason": "x"}, errors.DEBT_PLAN_PERCENT_INVALID),
        ({"debt": "10", "percent": "many", "reason": "x"}, errors.DEBT_PLAN_PERCENT_INVALID),
        ({"debt": "10", "every": "month", "reason": "x"}, errors.DEBT_PLAN_EVERY_INVALID),
        ({"debt": "10", "floor": "-1", "reason": "x"}, errors.AMOUNT_NOT_POSITIVE),
        ({"debt": "10", "fixed": "0.001", "reason": "x"}, errors.AMOUNT_TOO_MANY_DECIMALS),
        ({"debt": "10"}, errors.REASON_REQUIRED),
        ({"percent": "10"}, errors.DEBT_PLAN_NO_DEBT),
    ],
)
def test_plan_refusals_change_nothing(world: World, kwargs: dict[str, str], key: str) -> None:
    occupied(world)
    before = world.counts()
    with pytest.raises(BillingError) as caught:
        world.core.set_debt_plan("r1", who="a", **kwargs)  # type: ignore[arg-type]
    assert caught.value.key == key
    assert world.counts() == before


def test_a_vacant_room_has_no_plan_and_recovery_reasons_are_reserved(world: World) -> None:
    occupied(world)
    world.core.top_up("r1", "10", method="cash", who="a")
    for reason in sorted(DEBT_RECOVERY_REASONS):
        with pytest.raises(BillingError) as caught:
            world.core.adjust("r1", "-1", reason=reason, who="a")
        assert caught.value.key == errors.REASON_RESERVED
    world.clock.advance(hours=1)
    world.core.move_out("r1", "100", who="a")
    with pytest.raises(BillingError) as caught:
        world.core.set_debt_plan("r1", debt="5", reason="x", who="a")
    assert caught.value.key == errors.ROOM_HAS_NO_TENANCY


def test_a_plan_survives_a_restart(world: World) -> None:
    occupied(world, reading="100")
    world.core.top_up("r1", "10", method="cash", who="a")
    world.core.set_debt_plan("r1", debt="6", fixed="1", reason="x", who="a")
    core = world.restart()
    occupied_tenancy = core.tenancy_of("r1")
    assert occupied_tenancy is not None
    world.clock.advance(days=2)
    core.ensure_cycle_entries()
    status = core.debt_plan_status(occupied_tenancy.tenancy_id)
    assert status is not None
    assert (status.recovered, status.remaining) == (2, 4)


amounts = st.integers(min_value=1, max_value=5000).map(lambda cents: Decimal(cents) / 100)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("top_up"), amounts),
        st.tuples(st.just("use"), st.integers(min_value=0, max_value=40)),
        st.tuples(st.just("days"), st.integers(min_value=0, max_value=9)),
        st.tuples(
            st.just("terms"),
            st.tuples(
                st.integers(min_value=0, max_value=100),
                st.integers(min_value=0, max_value=500),
                st.sampled_from(["day", "week"]),
                st.integers(min_value=0, max_value=2000),
                st.integers(min_value=0, max_value=3000),
            ),
        ),
    ),
    max_size=25,
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    debt=st.integers(min_value=1, max_value=20000),
    percent=st.integers(min_value=0, max_value=100),
    floor=st.integers(min_value=0, max_value=2000),
    history=steps,
    move_out=st.booleans(),
)
def test_recovery_never_exceeds_the_debt_nor_breaks_the_floor(
    debt: int, percent: int, floor: int, history: list[tuple[str, object]], move_out: bool
) -> None:
    """Under any history of top-ups, usage, passing days and changed terms: each recovery
    leaves the balance at or above the floor of the terms in force, Σ recovered never exceeds
    the debt recorded, and Σ recovered + remaining = debt (and at move-out what is left is
    the settlement's)."""
    with tempfile.TemporaryDirectory() as directory:
        world = make_world(Path(directory) / "ledger.sqlite3")
        try:
            occupied(world, reading="100")
            tenancy = world.core.tenancy_of("r1")
            assert tenancy is not None
            account_id = tenancy.account_id

            def last_entry_id() -> int:
                return max(
                    (e.entry_id for e in world.ledger.entries(account_id=account_id)), default=0
                )

            # The newest entry before each plan was set: terms set at the same instant as an
            # entry (a frozen clock) are in force for it only if set before it.
            set_after = [last_entry_id()]
            world.core.set_debt_plan(
                "r1",
                debt=Decimal(debt) / 100,
                percent=percent,
                fixed="1.50",
                floor=Decimal(floor) / 100,
                reason="arrears",
                who="a",
            )
            reading = Decimal(100)
            for kind, value in history:
                if kind == "top_up":
                    assert isinstance(value, Decimal)
                    world.core.top_up("r1", value, method="cash", who="a")
                elif kind == "use":
                    assert isinstance(value, int)
                    world.clock.advance(hours=1)
                    reading += value
                    world.core.process_reading("r1", reading)
                elif kind == "days":
                    assert isinstance(value, int)
                    world.clock.advance(days=value, hours=1)
                    world.core.process_reading("r1", reading)
                else:
                    assert isinstance(value, tuple)
                    pct, fixed, every, new_floor, added = value
                    set_after.append(last_entry_id())
                    world.core.set_debt_plan(
                        "r1",
                        debt=Decimal(added) / 100,
                        percent=pct,
                        fixed=Decimal(fixed) / 100,
                        every=every,
                        floor=Decimal(new_floor) / 100,
                        reason="more",
                        who="a",
                    )
            if move_out:
                world.clock.advance(minutes=5)
                world.core.move_out("r1", reading, who="a")
            rows = world.ledger.debt_plan_rows(tenancy.tenancy_id)
            balance = Decimal(0)
            taken = Decimal(0)
            entries = sorted(
                world.ledger.entries(account_id=tenancy.account_id), key=lambda e: e.entry_id
            )
            for entry in entries:
                balance += entry.amount
                if entry.kind != "adjustment" or entry.why not in DEBT_RECOVERY_REASONS:
                    continue
                taken -= entry.amount
                in_force = [
                    plan
                    for (plan, _), after in zip(rows, set_after, strict=True)
                    if after < entry.entry_id
                ]
                assert taken <= in_force[-1].debt
                if entry.why != DEBT_LEFT_AT_MOVE_OUT:
                    assert entry.amount < 0
                    assert balance >= min(plan.floor for plan in in_force[-2:])
            status = world.core.debt_plan_status(tenancy.tenancy_id)
            assert status is not None
            moved = -sum((e.amount for e in entries if e.why == DEBT_LEFT_AT_MOVE_OUT), Decimal(0))
            assert status.recovered + moved + status.remaining == status.plan.debt
            assert status.remaining >= 0
            if move_out:
                assert status.remaining == 0
                assert world.ledger.balance(tenancy.account_id) == 0
            check_never_negative_but_by_usage(world.ledger, tenancy.account_id)
        finally:
            world.ledger.close()


def test_no_plan_changes_nothing(world: World) -> None:
    occupied(world)
    assert world.core.top_up("r1", "10", method="cash", who="a").debt_recovered == 0
    world.clock.advance(days=3)
    world.core.ensure_cycle_entries()
    assert world.core.balance("r1") == d("10.00")
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    assert world.core.debt_plan_status(tenancy.tenancy_id) is None
    assert statement_data(world.core, tenancy.tenancy_id)["debt_recovery"] is None
