"""What the console asks of the ledger: daily usage per period, pages, payments, previews."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from custom_components.prepaid_power.billing.errors import BillingError
from custom_components.prepaid_power.billing.history import (
    daily_history,
    ledger_page,
    move_out_preview,
    payment_totals,
    payments,
    payments_csv,
    statement_cycles,
    tariff_preview,
    top_up_preview,
)
from custom_components.prepaid_power.billing.statement import statement_data

from .conftest import BERLIN, TOU, World, add_room


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

    settled = move_out_preview(world.core, "r1")
    assert (settled["refund_owed"], settled["debt"]) == ("6.00", "0.00")
    evening = datetime(2026, 1, 12, 19, 30, tzinfo=BERLIN)
    night = datetime(2026, 1, 12, 23, 30, tzinfo=BERLIN)
    prices = tariff_preview(world.core, "r1", TOU, (evening, night))
    assert [(p["period"], p["price"]) for p in prices] == [("flat", "0.2000"), ("valley", "0.1000")]
    with pytest.raises(BillingError):
        tariff_preview(world.core, "r1", {"kind": "flat"}, (evening,))
    assert entries(world) == before
