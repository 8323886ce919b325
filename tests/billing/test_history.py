"""What the console asks of the ledger: daily usage per period, pages, payments, previews."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from custom_components.prepaid_power.billing.errors import BillingError
from custom_components.prepaid_power.billing.history import (
    cycle_statements,
    daily_history,
    debts_at_cycle_end,
    ledger_page,
    move_out_preview,
    payment_totals,
    payments,
    payments_csv,
    report_months,
    statement_cycles,
    tariff_preview,
    top_up_preview,
)
from custom_components.prepaid_power.billing.ledger import SYSTEM
from custom_components.prepaid_power.billing.statement import landlord_totals, statement_data

from .conftest import BERLIN, TOU, World, WorldFactory, add_room, d


def entries(world: World) -> list[object]:
    return world.core.ledger.execute("SELECT * FROM entries")


def test_daily_usage_per_period_adds_up_to_the_statement(world: World) -> None:
    """Charges spread over local days and periods; the days add up to the statement's energy
    and cost exactly, and a charge read across midnight is shared between the days."""
    world.clock.now = datetime(2026, 1, 12, 5, 0, tzinfo=UTC)  # Monday 06:00 Berlin
    add_room(world, tariff=TOU)
    tenancy = world.core.move_in("r1", "Bob", "100", who="landlord", first_top_up="30")
    world.clock.advance(hours=3)
    world.core.process_reading("r1", "106")  # 1 h valley, 2 h peak
    world.clock.advance(days=1, hours=12)  # over midnight, unread
    world.core.process_reading("r1", "118")
    world.core.flush("r1")

    history = daily_history(world.core, "r1", 30)
    assert len(history["days"]) == 30
    assert history["days"][-1]["date"] == world.clock.now.astimezone(BERLIN).date().isoformat()
    used = [day for day in history["days"] if Decimal(day["kwh"])]
    assert len(used) == 2  # the 12th and the 13th
    assert set(history["periods"]) == {"valley", "peak", "flat"}
    statement = statement_data(world.core, tenancy.tenancy_id)
    assert sum(Decimal(day["kwh"]) for day in used) == Decimal(statement["energy_kwh"])
    assert sum(Decimal(day["cost"]) for day in used) == Decimal(statement["energy_cost"])
    for day in used:
        assert sum(Decimal(p["kwh"]) for p in day["by_period"].values()) == Decimal(day["kwh"])
    # The first day: 1 h valley and 2 h peak read, then part of the unread 12 kWh.
    assert Decimal(used[0]["by_period"]["valley"]["kwh"]) > 2
    assert Decimal(used[1]["kwh"]) > 0


def test_ledger_pages_newest_first_and_cycles(world: World) -> None:
    world.clock.now = datetime(2026, 1, 30, 12, 0, tzinfo=UTC)
    add_room(world)
    tenancy = world.core.move_in("r1", "Bob", "0", who="landlord")
    for n in range(5):
        world.core.top_up("r1", str(n + 1), method="cash", who="landlord")
    paid = world.core.ledger.entries(kinds=("top_up",))
    world.core.reverse_top_up("r1", paid[0].entry_id, who="landlord", why="")
    first = ledger_page(world.core, tenancy.account_id, 0, 4)
    rest = ledger_page(world.core, tenancy.account_id, 4, 4)
    assert first["total"] == rest["total"] == 6
    ids = [e["entry_id"] for e in first["entries"] + rest["entries"]]
    assert ids == sorted(ids, reverse=True)
    assert first["entries"][0]["kind"] == "reversal"
    assert [e["reversed"] for e in rest["entries"]][-1] is True

    world.clock.advance(days=5)  # into February
    assert [c["cycle"] for c in statement_cycles(world.core, tenancy)] == [
        "2026-02-01",
        "2026-01-01",
    ]


def test_payments_with_totals_and_csv(world: World) -> None:
    world.clock.now = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    add_room(world)
    add_room(world, "r2")
    world.core.move_in("r1", "Ann", "0", who="landlord", first_top_up="10", reference="A")
    world.core.move_in("r2", "Ben", "0", who="landlord")
    card = world.core.top_up("r2", "7.25", method="card", who="landlord").entry
    world.core.reverse_top_up("r2", card.entry_id, who="landlord", why="")
    world.core.top_up("r2", "3", method="card", who="landlord")
    day = datetime(2026, 3, 3, tzinfo=BERLIN)
    found = payments(world.core, day, day + timedelta(days=1))
    assert [(p["room"], p["tenant"], p["amount"]) for p in found] == [
        ("r1", "Ann", "10.00"),
        ("r2", "Ben", "7.25"),
        ("r2", "Ben", "3.00"),
    ]
    assert payment_totals(found, world.currency) == {
        "card": {"count": 2, "paid": "10.25", "undone": "7.25", "net": "3.00"},
        "cash": {"count": 1, "paid": "10.00", "undone": "0.00", "net": "10.00"},
    }
    lines = payments_csv(found).splitlines()
    assert lines[0].startswith("entry_id,at,room,tenant,method,reference,amount")
    assert len(lines) == 4
    assert payments(world.core, day - timedelta(days=1), day) == []


def test_previews_write_nothing(world: World) -> None:
    """Top-up (emergency credit paid back first; a known reference), move-out, tariff."""
    world.clock.now = datetime(2026, 1, 12, 5, 0, tzinfo=UTC)
    add_room(world, tariff=TOU)
    world.core.move_in("r1", "Bob", "100", who="landlord", first_top_up="1", reference="R")
    world.core.take_emergency_credit("r1", "5", who="tenant")
    before = entries(world)

    preview = top_up_preview(world.core, "r1", "20", None)
    assert preview == {
        "amount": "20.00",
        "balance": "6.00",
        "new_balance": "21.00",
        "emergency_credit_recovered": "5.00",
        "existing": None,
    }
    known = top_up_preview(world.core, "r1", "1", "R")
    assert known["existing"]["amount"] == "1.00"
    assert known["new_balance"] == known["balance"]
    with pytest.raises(BillingError) as refused:
        top_up_preview(world.core, "r1", "0", None)
    assert refused.value.key == "amount_not_positive"

    settled = move_out_preview(world.core, "r1", "100")
    assert (settled["refund_owed"], settled["debt"]) == ("6.00", "0.00")
    evening = datetime(2026, 1, 12, 19, 30, tzinfo=BERLIN)
    night = datetime(2026, 1, 12, 23, 30, tzinfo=BERLIN)
    prices = tariff_preview(world.core, "r1", TOU, (evening, night))
    assert [(p["period"], p["price"]) for p in prices] == [("flat", "0.2000"), ("valley", "0.1000")]
    with pytest.raises(BillingError):
        tariff_preview(world.core, "r1", {"kind": "flat"}, (evening,))
    assert entries(world) == before


def _waiting_fees_then(world: World, *, preview: bool) -> tuple[object, ...]:
    """A tenancy whose cycle fee and standing charges wait for a balance that cannot cover
    them, moved out at 130 kWh (previewed first or not): what the move-out booked."""
    add_room(world, cycle_fee=d("5"), standing_charge=d("2"))
    world.core.move_in("r1", "Bob", "100", who="landlord", first_top_up="1")
    world.clock.advance(days=3, hours=5)
    world.core.process_reading("r1", "110")
    world.clock.advance(hours=2)
    seen = None
    if preview:
        before = entries(world)
        seen = move_out_preview(world.core, "r1", "130")
        assert entries(world) == before
    result = world.core.move_out("r1", "130", who=SYSTEM)
    booked = list(world.ledger.entries(account_id=result.tenancy.account_id))
    return seen, result, booked, statement_data(world.core, result.tenancy.tenancy_id)


def test_the_move_out_preview_is_the_move_out_waiting_fees_included(
    world_factory: WorldFactory,
) -> None:
    """The preview runs the move-out itself and rolls it back: the fees waiting for the
    balance and the final charges are in its settlement exactly as the move-out settles
    them, and the move-out after a preview is the same as one without."""
    seen, result, booked, statement = _waiting_fees_then(world_factory(), preview=True)
    _, alone, booked_alone, statement_alone = _waiting_fees_then(world_factory(), preview=False)
    assert isinstance(seen, dict)
    assert (booked, statement) == (booked_alone, statement_alone)
    assert alone == result
    money = "{:.2f}".format
    fees = -sum((e.amount for e in booked if e.kind == "fee"), Decimal(0))
    assert fees > 5  # the cycle fee and the standing charges that waited
    assert seen["waiting_fees"] == money(fees)
    assert seen["debt"] == money(result.debt) != "0.00"
    assert seen["refund_owed"] == "0.00"
    assert Decimal(seen["debt"]) > -Decimal(seen["balance"])  # more than the live balance says
    assert seen["statement_data"] == statement
    # What the move-out booked, by the same ids: the ledger's last entries.
    shown = [e["entry_id"] for e in seen["entries"]]
    assert shown == sorted(e.entry_id for e in booked)[-len(shown) :]
    assert {e["kind"] for e in seen["entries"]} >= {"fee", "charge", "settlement"}


def test_report_of_a_past_cycle(world: World) -> None:
    """Income, energy and charges of January while February runs; each room's debt when its
    cycle ended; the months to pick from; a month not begun is refused."""
    add_room(world)
    world.core.move_in("r1", "Bob", "100", who="landlord", first_top_up="10")
    world.clock.now = datetime(2026, 1, 31, 12, tzinfo=UTC)
    world.core.process_reading("r1", "160")  # 60 kWh at 0.25: 15.00, 5.00 in debt
    # 4 kWh over 72 hours, 11 of them in January (the cycle ends at midnight, Berlin).
    world.clock.now = datetime(2026, 2, 3, 12, tzinfo=UTC)
    world.core.top_up("r1", "20", method="cash", who="landlord")
    world.core.process_reading("r1", "164")

    january = landlord_totals(world.core, month=date(2026, 1, 1))
    assert january.rooms["r1"].cycle == "2026-01-01"
    assert (january.income, january.energy_kwh, january.charged) == (
        d("10.00"),
        d("60.611"),
        d("15.15"),
    )
    assert debts_at_cycle_end(world.core, january) == {"r1": d("5.15")}
    february = landlord_totals(world.core, month=date(2026, 2, 1))
    assert landlord_totals(world.core) == february
    assert (february.income, february.energy_kwh) == (d("20.00"), d("3.389"))
    assert debts_at_cycle_end(world.core, february) == {"r1": d("0")}
    assert report_months(world.core) == ["2026-02", "2026-01"]
    with pytest.raises(BillingError) as refused:
        landlord_totals(world.core, month=date(2026, 3, 1))
    assert (refused.value.key, refused.value.placeholders) == (
        "cycle_not_started",
        {"cycle": "2026-03-01"},
    )


def test_month_end_statements_of_every_tenancy_in_the_cycle(world: World) -> None:
    """Every room's statement for its cycle starting in the month: a room whose tenant left
    and another came has both; a room vacant all month has none."""
    add_room(world, "a")
    add_room(world, "b", cycle_start_day=15)
    add_room(world, "c")
    world.core.move_in("a", "Ann", "0", who="landlord", first_top_up="5")
    world.core.move_in("b", "Ben", "0", who="landlord", first_top_up="7")
    world.clock.now = datetime(2026, 1, 20, 12, tzinfo=UTC)
    world.core.move_out("a", "4", who="landlord")
    world.clock.advance(hours=1)
    world.core.move_in("a", "Amy", "4", who="landlord", first_top_up="3")
    world.clock.now = datetime(2026, 2, 20, 12, tzinfo=UTC)

    found = cycle_statements(world.core, date(2026, 1, 1))
    assert [(s["room"], s["tenant"], s["cycle"]) for s in found] == [
        ("a", "Ann", "2026-01-01"),
        ("a", "Amy", "2026-01-01"),
        ("b", "Ben", "2026-01-15"),
    ]
    assert found[0] == statement_data(world.core, found[0]["tenancy_id"], "2026-01-01")
    assert [s["tenant"] for s in cycle_statements(world.core, date(2026, 2, 1))] == ["Amy", "Ben"]
    with pytest.raises(BillingError):
        cycle_statements(world.core, date(2026, 3, 1))
