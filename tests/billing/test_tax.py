"""VAT / sales tax per tariff: prices that include it or have it added, fees that carry it,
and statements that show net, tax and gross per line and in total."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
import os
from pathlib import Path
import tempfile
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.prepaid_power.billing import errors
from custom_components.prepaid_power.billing.core import RoomConfig
from custom_components.prepaid_power.billing.errors import BillingError
from custom_components.prepaid_power.billing.statement import render_statement, statement_data
from custom_components.prepaid_power.billing.tax import split_gross

from .conftest import World, d, make_world, occupied

EXAMPLES = int(os.environ.get("BILLING_EXAMPLES", "40"))
CENT = Decimal("0.01")


def flat(price: str, **tax: Any) -> dict[str, Any]:
    return {"kind": "flat", "price": price, **tax}


def tax_of(world: World) -> dict[str, Any]:
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    data = statement_data(world.core, tenancy.tenancy_id)
    assert data["tax"] is not None
    return data["tax"]


def test_tax_added_on_top_makes_the_gross_price_and_fees(world: World) -> None:
    """0.2500 net + 20 %: 0.3000 a kWh; fees carry it too: cycle fee 12.00 -> 14.40,
    standing charge 1.00 -> 1.20 a day."""
    occupied(
        world,
        tariff=flat("0.2500", tax_rate="20", tax_mode="added", tax_on_fees=True),
        cycle_fee=d("12.00"),
        standing_charge=d("1.00"),
    )
    assert world.core.current_price("r1") == d("0.3000")
    world.core.top_up("r1", "100", method="cash", who="a")
    fees = world.ledger.entries(account_id=world.core.account_of("r1"), kinds=["fee"])
    assert [e.amount for e in fees] == [d("-14.40")]
    world.clock.advance(days=2)
    world.core.process_reading("r1", "110")
    charges = world.ledger.entries(account_id=world.core.account_of("r1"), kinds=["charge"])
    assert sum(e.amount for e in charges) == d("-3.00")
    assert {e.price for e in charges} == {d("0.3000")}
    tax = tax_of(world)
    # Moved in 2026-01-10 13:00 Berlin: 11/24 of 1.20 = 0.55, then 1.20.
    assert tax["lines"] == {
        "energy": {"net": "2.50", "tax": "0.50", "gross": "3.00"},
        "standing_charge": {"net": "1.46", "tax": "0.29", "gross": "1.75"},
        "cycle_fee": {"net": "12.00", "tax": "2.40", "gross": "14.40"},
    }
    assert tax["total"] == {"net": "15.96", "tax": "3.19", "gross": "19.15"}
    assert tax["rates"] == ["20.00"]


def test_tax_included_in_prices_is_split_off_and_fees_without_it(world: World) -> None:
    occupied(world, tariff=flat("0.2400", tax_rate="20"), cycle_fee=d("5.00"))
    world.core.top_up("r1", "50", method="cash", who="a")
    world.clock.advance(hours=10)
    world.core.process_reading("r1", "110")
    assert world.core.current_price("r1") == d("0.2400")
    tax = tax_of(world)
    assert tax["lines"]["energy"] == {"net": "2.00", "tax": "0.40", "gross": "2.40"}
    # Fees do not carry the tax unless the tariff says so: all net.
    assert tax["lines"]["cycle_fee"] == {"net": "5.00", "tax": "0.00", "gross": "5.00"}
    text = render_statement(statement_data(world.core, tax_of_tenancy(world)))
    assert "Energy:            2.00 / 0.40 / 2.40 EUR" in text
    zh = render_statement(statement_data(world.core, tax_of_tenancy(world)), language="zh-Hans")
    assert "电费：2.00 / 0.40 / 2.40 EUR" in zh  # noqa: RUF001


def tax_of_tenancy(world: World) -> int:
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    return tenancy.tenancy_id


def test_each_charge_carries_the_rate_of_its_tariff_version_and_survives_a_restart(
    world: World,
) -> None:
    """20 % until the new tariff at 7 %: each rate splits its own energy; no tax before."""
    occupied(world, tariff=flat("0.2000"))
    world.core.top_up("r1", "50", method="cash", who="a")
    world.clock.advance(hours=5)
    world.core.process_reading("r1", "105")  # 1.00 without tax
    world.core.set_tariff("r1", flat("0.2400", tax_rate="20"))
    world.clock.advance(hours=5)
    world.core.process_reading("r1", "110")  # 1.20 incl. 0.20
    world.core.set_tariff("r1", flat("0.2000", tax_rate="7", tax_mode="added"))
    world.restart()
    world.core.upsert_room("r1", world.core.room_config("r1"))
    world.clock.advance(hours=5)
    world.core.process_reading("r1", "120")  # 10 x 0.214 = 2.14 incl. 0.14
    tax = tax_of(world)
    assert tax["lines"]["energy"] == {"net": "4.00", "tax": "0.34", "gross": "4.34"}
    assert tax["rates"] == ["20.00", "7.00"]
    assert world.core.tariff_versions("r1")[-1].to_dict() == {
        "kind": "flat",
        "price": "0.2000",
        "tax_rate": "7.00",
        "tax_mode": "added",
        "tax_on_fees": False,
    }


def test_a_room_without_tax_has_no_tax_section(world: World) -> None:
    occupied(world)
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    assert statement_data(world.core, tenancy.tenancy_id)["tax"] is None


@pytest.mark.parametrize(
    ("tax", "field"),
    [
        ({"tax_rate": "0"}, "tax_rate"),
        ({"tax_rate": "101"}, "tax_rate"),
        ({"tax_rate": "7.125"}, "tax_rate"),
        ({"tax_rate": "lots"}, "tax_rate"),
        ({"tax_rate": True}, "tax_rate"),
        ({"tax_rate": [20]}, "tax_rate"),
        ({"tax_rate": "20", "tax_mode": "sometimes"}, "tax_mode"),
        ({"tax_rate": "20", "tax_on_fees": "yes"}, "tax_on_fees"),
        ({"tax_mode": "added"}, "tax_rate"),
    ],
)
def test_a_bad_tax_is_refused_and_changes_nothing(
    world: World, tax: dict[str, Any], field: str
) -> None:
    occupied(world)
    before = world.counts()
    with pytest.raises(BillingError) as err:
        world.core.set_tariff("r1", flat("0.2500", **tax))
    assert err.value.key == errors.TARIFF_INVALID
    assert err.value.placeholders["field"] == field
    assert world.counts() == before


@given(
    gross=st.integers(min_value=-(10**9), max_value=10**9),
    rate=st.decimals(min_value="0.01", max_value="100", places=2),
)
def test_a_gross_amount_splits_exactly(gross: int, rate: Decimal) -> None:
    amount = Decimal(gross) * CENT
    net, tax = split_gross(amount, rate, CENT)
    assert net + tax == amount
    assert abs(tax - net * rate / 100) <= (1 + rate / 100) / 2 * CENT
    assert tax.as_tuple().exponent == -2


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    price=st.decimals(min_value="0.0001", max_value="2", places=4),
    rate=st.decimals(min_value="0.01", max_value="30", places=2),
    added=st.booleans(),
    on_fees=st.booleans(),
    steps=st.lists(st.tuples(st.integers(1, 600), st.integers(0, 5000)), min_size=1, max_size=25),
)
def test_statement_tax_adds_up_and_charges_follow_the_gross_price(
    price: Decimal,
    rate: Decimal,
    added: bool,
    on_fees: bool,
    steps: list[tuple[int, int]],
) -> None:
    """Under any usage: per line and in total Σ net + Σ tax = Σ gross exactly, each line's
    tax is rate * net within the rounding rule, the energy line's gross is what was charged,
    and the charges are within one minor unit of kWh * the gross price."""
    with tempfile.TemporaryDirectory() as folder:
        world = make_world(Path(folder) / "ledger.sqlite3")
        try:
            occupied(
                world,
                tariff=flat(
                    str(price),
                    tax_rate=str(rate),
                    tax_mode="added" if added else "included",
                    tax_on_fees=on_fees,
                ),
                cycle_fee=d("3.00"),
                standing_charge=d("0.77"),
            )
            world.core.top_up("r1", "100000", method="cash", who="a")
            reading = Decimal(100)
            for minutes, watts in steps:
                world.clock.advance(minutes=minutes)
                used = Decimal(watts * minutes) / 60_000
                reading += used.quantize(Decimal("0.000001"), rounding=ROUND_FLOOR)
                world.core.process_reading("r1", reading)
            world.core.flush("r1")
            world.core.ensure_cycle_entries()
            tax = tax_of(world)
            lines = [*tax["lines"].values(), tax["total"]]
            for line in lines:
                assert d(line["net"]) + d(line["tax"]) == d(line["gross"])
            for name, line in tax["lines"].items():
                taxed = rate if name == "energy" or on_fees else Decimal(0)
                net, amount = d(line["net"]), d(line["tax"])
                assert abs(amount - net * taxed / 100) <= (1 + taxed / 100) / 2 * CENT
            assert d(tax["total"]["gross"]) == sum(
                (d(line["gross"]) for line in tax["lines"].values()), Decimal(0)
            )
            tenancy = world.core.tenancy_of("r1")
            assert tenancy is not None
            data = statement_data(world.core, tenancy.tenancy_id)
            assert tax["lines"]["energy"]["gross"] == data["energy_cost"]
            gross_price = price * (1 + rate / 100) if added else price
            exact = (reading - 100) * gross_price
            assert Decimal(0) <= exact - d(data["energy_cost"]) < CENT
            if not on_fees:
                assert tax["lines"]["standing_charge"]["tax"] == "0.00"
        finally:
            world.ledger.close()


def test_a_linked_meter_is_taxed_by_its_own_tariff(world: World) -> None:
    """A room without tax and its air conditioner at 19 % added: the statement splits the
    air conditioner's charges at its own rate (it showed no tax section at all)."""
    occupied(world, tariff=flat("0.2000"))
    world.core.upsert_room("ac", RoomConfig(name="ac", bills_to="r1"))
    world.core.set_tariff("ac", flat("0.5000", tax_rate="19", tax_mode="added"))
    world.core.process_reading("ac", "0")
    world.core.top_up("r1", "50", method="cash", who="a")
    world.clock.advance(hours=2)
    world.core.process_reading("r1", "110")  # 2.00, no tax
    world.core.process_reading("ac", "10")  # 10 x 0.595 = 5.95 incl. 0.95
    tax = tax_of(world)
    assert tax["rates"] == ["19.00"]
    assert tax["lines"]["energy"] == {"net": "7.00", "tax": "0.95", "gross": "7.95"}


def test_each_rates_energy_is_its_share_of_the_cycles_cost_when_meters_post_in_turn(
    world: World,
) -> None:
    """The room (20 % included) and its air conditioner (no tax) post in turn into one
    rounding carry: the room's postings take every minor unit (20 x 1 cent for 0.7 cents
    used each), the air conditioner's none (0.3 cents each). The energy at each rate is the
    cycle's cost shared out by its exact amount: 0.14 at 20 %, tax 0.02 (not 0.20 and 0.03)."""
    occupied(world, tariff=flat("0.2500", tax_rate="20"))
    world.core.upsert_room("ac", RoomConfig(name="ac", bills_to="r1"))
    world.core.set_tariff("ac", flat("0.5000"))
    world.core.process_reading("ac", "0")
    world.core.top_up("r1", "50", method="cash", who="a")
    for step in range(1, 21):
        world.clock.advance(hours=1, minutes=1)
        world.core.process_reading("ac", str(d("0.006") * step))  # 0.3 cents
        world.core.process_reading("r1", str(100 + d("0.028") * step))  # 0.7 cents
    charges = world.ledger.entries(account_id=world.core.account_of("r1"), kinds=["charge"])
    assert -sum(e.amount for e in charges if e.reference is None) == d("0.20")
    tax = tax_of(world)
    assert tax["lines"]["energy"] == {"net": "0.18", "tax": "0.02", "gross": "0.20"}
    # Each rate's share is within a minor unit of its exact kWh x price.
    assert split_gross(d("0.14"), d("20"), CENT) == (d("0.12"), d("0.02"))
