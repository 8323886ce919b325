"""Statements, CSV export, landlord totals and the async (single worker thread) wrapper."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import io
import json
from pathlib import Path
import threading

import pytest

from custom_components.prepaid_power.billing.aio import THREAD_NAME, AsyncBilling
from custom_components.prepaid_power.billing.core import BillingCore
from custom_components.prepaid_power.billing.errors import BillingError
from custom_components.prepaid_power.billing.money import Currency
from custom_components.prepaid_power.billing.statement import (
    export_csv,
    landlord_totals,
    render_statement,
    statement_data,
)

from .conftest import BERLIN, TOU, World, add_room, d


def busy_month(world: World) -> int:
    world.clock.now = datetime(2026, 1, 12, 5, 0, tzinfo=UTC)  # Monday 06:00 Berlin
    add_room(world, tariff=TOU, allowance_kwh=d("2"))
    tenancy = world.core.move_in(
        "r1", "Bob", "100", who="landlord", first_top_up="30", reference="T1"
    )
    world.clock.advance(hours=3)
    world.core.process_reading("r1", "106")  # 1 h valley, 2 h peak
    world.core.add_fee("r1", "1.5", why="standing charge")
    world.core.adjust("r1", "-0.5", reason="key copy", who="landlord")
    world.clock.advance(days=1, hours=12)  # over midnight, unread
    world.core.process_reading("r1", "118")
    return tenancy.tenancy_id


def test_statement_has_every_part_and_balances(world: World) -> None:
    tenancy_id = busy_month(world)
    data = statement_data(world.core, tenancy_id, "2026-01-01")
    json.dumps(data)  # JSON-able as action response data
    assert data["opening_balance"] == "0.00"
    assert [t["amount"] for t in data["top_ups"]] == ["30.00"]
    assert data["allowance_credited_kwh"] == "2.000"
    assert data["allowance_used_kwh"] == "2.000"
    periods = {row["period"]: row for row in data["charges_by_period"]}
    assert set(periods) == {"valley", "peak", "flat"}
    assert data["energy_kwh"] == "18.000"
    assert [f["amount"] for f in data["fees"]] == ["-1.50"]
    assert [a["why"] for a in data["adjustments"]] == ["key copy"]
    closing = Decimal(data["closing_balance"])
    assert closing == world.core.balance("r1")
    assert closing == Decimal(30) - Decimal(data["energy_cost"]) - Decimal("2.00")
    usage = {row["date"]: Decimal(row["kwh"]) for row in data["daily_usage"]}
    assert list(usage) == ["2026-01-12", "2026-01-13"]
    assert sum(usage.values()) == 18


def test_statement_renders_in_english_and_chinese_and_override(
    world: World, tmp_path: Path
) -> None:
    data = statement_data(world.core, busy_month(world), "2026-01-01")
    english = render_statement(data)
    assert "Opening balance" in english
    assert "30.00 EUR" in english
    assert "Daily usage" in english
    chinese = render_statement(data, language="zh-Hans")
    assert "期末余额" in chinese
    assert render_statement(data, language="xx") == english
    override = tmp_path / "my_statement.txt.j2"
    override.write_text("{{ tenant }} owes {{ closing_balance }}", encoding="utf-8")
    assert render_statement(data, template=override) == f"Bob owes {data['closing_balance']}"


def test_statement_of_next_cycle_starts_from_closing_balance(world: World) -> None:
    tenancy_id = busy_month(world)
    world.clock.now = datetime(2026, 2, 3, tzinfo=UTC)
    world.core.process_reading("r1", "119")  # unread usage split over January and February
    january = statement_data(world.core, tenancy_id, "2026-01-01")
    february = statement_data(world.core, tenancy_id)
    assert february["cycle"] == "2026-02-01"
    assert february["opening_balance"] == january["closing_balance"]


def test_move_out_statement_shows_settlement(world: World) -> None:
    tenancy_id = busy_month(world)
    world.core.move_out("r1", "120", who="landlord")
    data = statement_data(world.core, tenancy_id)
    assert data["closing_balance"] == "0.00"
    assert data["settlements"][0]["why"].startswith("refund owed")


def test_csv_export_by_room_and_date_range(world: World) -> None:
    busy_month(world)
    add_room(world, "r2")
    world.core.move_in("r2", "Eve", "5", who="landlord", first_top_up="10")
    out = io.StringIO()
    count = export_csv(world.core, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == count
    assert {r["room"] for r in rows} == {"r1", "r2"}
    out = io.StringIO()
    export_csv(world.core, out, room_id="r2")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["kind"], r["amount"], r["tenant"]) for r in rows] == [("top_up", "10.00", "Eve")]
    out = io.StringIO()
    start = datetime(2026, 1, 12, 6, 30, tzinfo=UTC)
    export_csv(world.core, out, room_id="r1", start=start, end=start + timedelta(hours=3))
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {r["kind"] for r in rows} == {"charge", "fee", "adjustment"}


def test_landlord_totals(world: World) -> None:
    busy_month(world)
    world.clock.advance(days=1)
    world.core.process_reading("r1", "130")
    totals = landlord_totals(world.core)
    assert totals.income == Decimal("30.00")
    assert totals.energy_kwh == Decimal("30.000")
    assert totals.outstanding_debt == max(Decimal(0), -world.core.balance("r1"))
    assert totals.rooms["r1"].cycle == "2026-01-01"
    # A typed value, frozen: nothing downstream can change what the ledger totalled.
    with pytest.raises(AttributeError):
        totals.income = Decimal(0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        totals.rooms["r1"] = totals.rooms["r1"]  # type: ignore[index]


def test_async_wrapper_runs_everything_on_one_worker_thread(tmp_path: Path) -> None:
    async def scenario() -> None:
        billing = await AsyncBilling.open(tmp_path / "a.sqlite3", Currency("EUR"), BERLIN)
        try:
            threads = set()

            def where(core: BillingCore) -> str:
                threads.add(threading.current_thread().name)
                return core.ledger.currency.code

            results = await asyncio.gather(*(billing.run(where) for _ in range(20)))
            assert results == ["EUR"] * 20
            assert len(threads) == 1
            assert next(iter(threads)).startswith(THREAD_NAME)
            with pytest.raises(BillingError) as caught:
                await billing.run(lambda core: core.top_up("nope", "1", method="cash", who="a"))
            assert caught.value.key == "unknown_room"
        finally:
            await billing.close()

    asyncio.run(scenario())


ALTERNATING = {
    "kind": "tou",
    "prices": {"peak": "0.3019", "valley": "0.1009"},
    "weekday": [
        {"start": "00:00", "end": "07:00", "period": "valley"},
        {"start": "07:00", "end": "19:00", "period": "peak"},
        {"start": "19:00", "end": "00:00", "period": "valley"},
    ],
    "weekend": [
        {"start": "00:00", "end": "07:00", "period": "valley"},
        {"start": "07:00", "end": "19:00", "period": "peak"},
        {"start": "19:00", "end": "00:00", "period": "valley"},
    ],
}


def test_each_statement_line_is_its_own_kwh_times_price(world: World) -> None:
    """Hourly postings alternate between periods for a fortnight: the rounding carry crosses
    from one period's postings into the other's, yet each line is its own kWh * price within
    one minor unit, and the lines add up to the posted total."""
    world.clock.now = datetime(2026, 1, 5, 0, 30, tzinfo=UTC)
    add_room(world, tariff=ALTERNATING)
    tenancy = world.core.move_in("r1", "Bob", "100", who="landlord", first_top_up="500")
    reading = Decimal(100)
    for _ in range(14 * 24):
        world.clock.advance(hours=1)
        reading += Decimal("0.97")
        world.core.process_reading("r1", reading)
    world.core.flush("r1")
    data = statement_data(world.core, tenancy.tenancy_id, "2026-01-01")
    lines = data["charges_by_period"]
    assert [(line["period"], line["price"]) for line in lines] == [
        ("peak", "0.3019"),
        ("valley", "0.1009"),
    ]
    for line in lines:
        exact = (Decimal(line["kwh"]) - Decimal(line["allowance_kwh"])) * Decimal(line["price"])
        assert abs(Decimal(line["amount"]) - exact) < Decimal("0.01"), line
    assert sum(Decimal(line["amount"]) for line in lines) == Decimal(data["energy_cost"])
    # Summing each period's rounded postings instead would be off by more than a cent.
    posted = {
        (period, price): -amount
        for period, price, _, _, amount in world.ledger.charge_totals(
            tenancy.account_id, datetime(2026, 1, 1, tzinfo=UTC), world.clock.now
        )
    }
    assert any(
        abs(posted[line["period"], Decimal(line["price"])] - Decimal(line["amount"]))
        >= Decimal("0.01")
        for line in lines
    )
    rendered = render_statement(data)
    assert f"at 0.3019  {lines[0]['amount']} EUR" in rendered


def test_allocation_keeps_the_total_and_each_part_within_a_minor_unit() -> None:
    """Largest remainders get the units the floors leave over."""
    currency = Currency()
    exact = [Decimal("9.03"), Decimal("0.27"), Decimal("1.005"), Decimal("0.004")]
    parts = currency.allocate(Decimal("10.31"), exact)
    assert parts == [Decimal("9.03"), Decimal("0.27"), Decimal("1.01"), Decimal("0.00")]
    assert currency.allocate(Decimal("0.00"), []) == []
    # A total further away than one unit per part is still shared out exactly.
    assert currency.allocate(Decimal("1.00"), [Decimal("0.1"), Decimal("0.2")]) == [
        Decimal("0.45"),
        Decimal("0.55"),
    ]
