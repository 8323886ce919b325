"""Price from an entity: validation, the guard, the price recorded on each charge, the carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
import tempfile
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.prepaid_power.billing import errors
from custom_components.prepaid_power.billing.core import (
    ISSUE_PRICE_ABOVE_CAP,
    ISSUE_PRICE_ENTITY_CLAMPED,
    ISSUE_PRICE_ENTITY_UNAVAILABLE,
    RoomConfig,
)
from custom_components.prepaid_power.billing.errors import BillingError
from custom_components.prepaid_power.billing.tariff import (
    ENTITY_PERIOD,
    EntityTariff,
    tariff_from_dict,
    tariff_to_dict,
)

from .conftest import World, add_room, make_world, occupied

ENTITY = {
    "kind": "entity",
    "entity_id": "sensor.spot_price",
    "min_price": "0.1000",
    "max_price": "0.5000",
}


def charges(world: World) -> list[Any]:
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    return world.ledger.entries(account_id=tenancy.account_id, kinds=["charge"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"entity_id": None}, "entity_id"),
        ({"entity_id": "input_number.price"}, "entity_id"),
        ({"entity_id": "sensor.Bad Name"}, "entity_id"),
        ({"entity_id": 7}, "entity_id"),
        ({"min_price": None}, "min_price"),
        ({"min_price": "0"}, "min_price"),
        ({"min_price": "0.12345"}, "min_price"),
        ({"min_price": "-1"}, "min_price"),
        ({"min_price": True}, "min_price"),
        ({"max_price": "abc"}, "max_price"),
        ({"max_price": "0"}, "max_price"),
        ({"min_price": "0.6000"}, "min_price"),
    ],
)
def test_bad_entity_tariff_names_the_field(change: dict[str, Any], field: str) -> None:
    definition = {k: v for k, v in (ENTITY | change).items() if v is not None}
    with pytest.raises(BillingError) as caught:
        tariff_from_dict(definition)
    assert caught.value.key == errors.TARIFF_INVALID
    assert caught.value.placeholders["field"] == field


def test_unknown_key_and_tax_keys() -> None:
    with pytest.raises(BillingError) as caught:
        tariff_from_dict(ENTITY | {"price": "0.2"})
    assert caught.value.key == errors.TARIFF_UNKNOWN_KEY
    tariff = tariff_from_dict(ENTITY)
    assert tariff == EntityTariff("sensor.spot_price", Decimal("0.1"), Decimal("0.5"))
    assert tariff_to_dict(tariff) == ENTITY
    assert tariff.max_price() == Decimal("0.5")


@pytest.mark.parametrize(
    ("sampled", "expected"),
    [
        (None, ("0.5000", "unavailable")),
        (Decimal("NaN"), ("0.5000", "unavailable")),
        (Decimal("0.2345"), ("0.2345", "sampled")),
        (Decimal("0.23459"), ("0.2345", "sampled")),  # more decimals: rounded down
        (Decimal("0.1"), ("0.1000", "sampled")),
        (Decimal("0.5"), ("0.5000", "sampled")),
        (Decimal("0.09999"), ("0.1000", "clamped")),
        (Decimal(-3), ("0.1000", "clamped")),
        (Decimal(7), ("0.5000", "clamped")),
    ],
)
def test_guard(sampled: Decimal | None, expected: tuple[str, str]) -> None:
    price, status = tariff_from_dict(ENTITY).price_for(sampled)
    assert (str(price), status) == expected


def test_bad_input_to_set_tariff_writes_nothing(world: World) -> None:
    occupied(world)
    before = world.counts()
    versions = world.core.tariff_versions("r1")
    with pytest.raises(BillingError):
        world.core.set_tariff("r1", ENTITY | {"max_price": "0.0500"})
    assert world.counts() == before
    assert world.core.tariff_versions("r1") == versions


def test_each_posting_charges_its_sampled_price(world: World) -> None:
    occupied(world, tariff=ENTITY)
    core = world.core
    assert core.entity_tariff("r1") == tariff_from_dict(ENTITY)
    # The price now, before any sample: the guard's top.
    assert core.current_price("r1") == Decimal("0.5")
    world.clock.advance(hours=1)
    result = core.process_reading("r1", "102", sampled_price=Decimal("0.2000"))
    assert result.status == "posted"
    assert result.issues == ()
    assert core.current_price("r1") == Decimal("0.2")
    world.clock.advance(hours=1)
    clamped = core.process_reading("r1", "105", sampled_price=Decimal("0.9"))
    assert [i.key for i in clamped.issues] == [ISSUE_PRICE_ENTITY_CLAMPED]
    assert clamped.issues[0].placeholders["sampled"] == "0.9"
    assert clamped.issues[0].placeholders["price"] == "0.5000"
    world.clock.advance(hours=1)
    missing = core.process_reading("r1", "106", sampled_price=None)
    assert [i.key for i in missing.issues] == [ISSUE_PRICE_ENTITY_UNAVAILABLE]
    world.clock.advance(hours=1)
    low = core.process_reading("r1", "110", sampled_price=Decimal("0.01"))
    assert [i.key for i in low.issues] == [ISSUE_PRICE_ENTITY_CLAMPED]
    rows = [(e.kwh, e.price, e.period, e.amount) for e in charges(world)]
    assert rows == [
        (Decimal(2), Decimal("0.2"), ENTITY_PERIOD, Decimal("-0.40")),
        (Decimal(3), Decimal("0.5"), ENTITY_PERIOD, Decimal("-1.50")),
        (Decimal(1), Decimal("0.5"), ENTITY_PERIOD, Decimal("-0.50")),
        (Decimal(4), Decimal("0.1"), ENTITY_PERIOD, Decimal("-0.40")),
    ]


def test_accrued_usage_is_priced_at_the_posting_sample(world: World) -> None:
    """Readings between postings accrue; the posting prices the whole span at its sample."""
    occupied(world, tariff=ENTITY)
    core = world.core
    world.clock.advance(minutes=20)
    assert core.process_reading("r1", "101", sampled_price=Decimal("0.4")).status == "accrued"
    world.clock.advance(minutes=50)
    assert core.process_reading("r1", "103", sampled_price=Decimal("0.3")).status == "posted"
    assert [(e.kwh, e.price) for e in charges(world)] == [(Decimal(3), Decimal("0.3"))]


def test_tax_and_versions_and_cap(world: World) -> None:
    add_room(world, supplier_price=Decimal("0.30"), cap_margin_percent=Decimal(10))
    world.core.move_in("r1", "Alice", "100", who="landlord")
    start = world.clock.now + timedelta(hours=2)
    taxed = ENTITY | {"tax_rate": "10", "tax_mode": "added"}
    issues = world.core.set_tariff("r1", taxed, effective_from=start)
    assert [i.key for i in issues] == [ISSUE_PRICE_ABOVE_CAP]
    assert issues[0].placeholders["price"] == "0.5000"
    guarded = taxed | {"max_price": "0.3300"}
    assert world.core.set_tariff("r1", guarded, effective_from=start) == []
    assert world.core.entity_tariff("r1") is None  # the flat tariff is still in force
    world.clock.advance(hours=1)
    world.core.process_reading("r1", "101", sampled_price=Decimal("0.2"))
    world.clock.advance(hours=2)
    world.core.process_reading("r1", "104", sampled_price=Decimal("0.2"))
    assert world.core.entity_tariff("r1") == tariff_from_dict(guarded)
    rows = [(e.period, e.price) for e in charges(world)]
    # flat until the version starts; from then the sample plus 10 % tax.
    assert rows[0] == ("standard", Decimal("0.25"))
    assert rows[-1] == (ENTITY_PERIOD, Decimal("0.22"))


def test_a_restart_forgets_the_sample(world: World) -> None:
    """The sample is not stored: after a restart the next posting takes the next sample."""
    occupied(world, tariff=ENTITY)
    world.clock.advance(hours=1)
    world.core.process_reading("r1", "101", sampled_price=Decimal("0.2"))
    core = world.restart()
    assert core.current_price("r1") == Decimal("0.5")
    world.clock.advance(hours=1)
    core.process_reading("r1", "102", sampled_price=Decimal("0.3"))
    assert [e.price for e in charges(world)] == [Decimal("0.2"), Decimal("0.3")]


sample = st.one_of(st.none(), st.decimals(min_value=-1, max_value=2, places=6, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.integers(min_value=0, max_value=5000), sample, st.integers(1, 180)),
        min_size=1,
        max_size=30,
    ),
    low=st.decimals(min_value=Decimal("0.0001"), max_value=1, places=4),
    width=st.decimals(min_value=0, max_value=1, places=4),
)
def test_charges_follow_the_clamped_samples(
    steps: list[tuple[int, Decimal | None, int]], low: Decimal, width: Decimal
) -> None:
    """Σ charges = Σ (kWh of each posting x its clamped price), to within one minor unit
    (rounded down with carry), within one billing cycle; each charge records that price."""
    definition = ENTITY | {"min_price": str(low), "max_price": str(low + width)}
    tariff = tariff_from_dict(definition)
    assert isinstance(tariff, EntityTariff)
    with tempfile.TemporaryDirectory() as directory:
        world = make_world(
            Path(directory) / "l.sqlite3", start=datetime(2026, 1, 2, 0, 0, tzinfo=UTC)
        )
        try:
            world.core.upsert_room("r1", RoomConfig(name="r1"))
            world.core.set_tariff("r1", definition)
            world.core.move_in("r1", "Alice", "0", who="landlord")
            reading = Decimal(0)
            expected = Decimal(0)
            accrued = Decimal(0)
            for milli_kwh, sampled, minutes in steps:
                world.clock.advance(minutes=minutes)
                reading += Decimal(milli_kwh) / 1000
                accrued += Decimal(milli_kwh) / 1000
                result = world.core.process_reading("r1", reading, sampled_price=sampled)
                if result.status == "posted":
                    expected += accrued * tariff.price_for(sampled)[0]
                    for entry in result.posted:
                        assert entry.price == tariff.price_for(sampled)[0]
                    accrued = Decimal(0)
            posted = -sum((e.amount for e in charges(world)), Decimal(0))
            assert Decimal(0) <= expected - posted < Decimal("0.01")
            assert world.ledger.carry(world.core.tenancy_of("r1").account_id) == expected - posted  # type: ignore[union-attr]
        finally:
            world.ledger.close()
