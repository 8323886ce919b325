"""Tenancy lifecycle: move-in baseline, move-out settlement, vacant-room preset."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from custom_components.prepaid_power.billing import errors
from custom_components.prepaid_power.billing.core import ISSUE_VACANT_PRESET_EXHAUSTED, RoomConfig
from custom_components.prepaid_power.billing.errors import BillingError

from .conftest import World, add_room, check_never_negative_but_by_usage, d, kwh_of


def test_move_in_baseline_means_earlier_usage_is_not_the_tenants(world: World) -> None:
    add_room(world)
    world.core.process_reading("r1", "50")
    world.clock.advance(days=3)
    world.core.process_reading("r1", "80")  # vacant usage
    world.clock.advance(hours=1)
    tenancy = world.core.move_in(
        "r1", "Bob", "90", who="landlord", first_top_up="30", reference="T1"
    )
    assert tenancy.opening_reading == 90
    assert world.core.balance("r1") == d("30.00")
    world.clock.advance(hours=2)
    world.core.process_reading("r1", "94")
    tenant_charges = world.ledger.entries(account_id=tenancy.account_id, kinds=["charge"])
    assert kwh_of(tenant_charges) == 4
    vacant = world.ledger.vacant_account("r1")
    assert kwh_of(world.ledger.entries(account_id=vacant, kinds=["charge"])) == 40
    assert world.ledger.balance(vacant) == 0  # landlord-paid, no money


def test_move_in_refusals_change_nothing(world: World) -> None:
    world.core.upsert_room("r1", RoomConfig(name="r1"))
    before = world.counts()
    with pytest.raises(BillingError) as caught:
        world.core.move_in("r1", "Bob", "10", who="a")
    assert caught.value.key == errors.ROOM_HAS_NO_TARIFF
    world.core.set_tariff("r1", {"kind": "flat", "price": "0.2"})
    before = world.counts()
    with pytest.raises(BillingError) as caught:
        world.core.move_in("r1", "Bob", "10", who="a", first_top_up="1.001")
    assert caught.value.key == errors.AMOUNT_TOO_MANY_DECIMALS
    assert world.counts() == before
    world.core.move_in("r1", "Bob", "10", who="a")
    before = world.counts()
    with pytest.raises(BillingError) as caught:
        world.core.move_in("r1", "Carol", "10", who="a")
    assert caught.value.key == errors.ROOM_OCCUPIED
    assert world.counts() == before


@pytest.mark.parametrize(("usage", "refund", "debt"), [("20", "5.00", "0"), ("100", "0", "15.00")])
def test_move_out_settles_to_zero(world: World, usage: str, refund: str, debt: str) -> None:
    add_room(world)
    tenancy = world.core.move_in("r1", "Bob", "100", who="a", first_top_up="10")
    world.clock.advance(days=2)
    result = world.core.move_out("r1", Decimal(100) + Decimal(usage), who="a")
    assert kwh_of(result.final_charges) == Decimal(usage)
    assert (result.refund_owed, result.debt) == (Decimal(refund), Decimal(debt))
    assert result.settlement is not None
    assert result.settlement.kind == "settlement"
    assert world.ledger.balance(tenancy.account_id) == 0
    assert result.tenancy.moved_out_at == world.clock.now
    assert world.core.tenancy_of("r1") is None
    # History stays queryable.
    assert world.ledger.tenancy(tenancy.tenancy_id).closing_reading == Decimal(100) + Decimal(usage)
    assert len(world.ledger.entries(account_id=tenancy.account_id)) >= 3
    with pytest.raises(BillingError) as caught:
        world.core.move_out("r1", "500", who="a")
    assert caught.value.key == errors.ROOM_HAS_NO_TENANCY


def test_debt_left_at_move_out_is_paid_off_by_payments(world: World) -> None:
    """After moving out owing 15.00, Bob pays 10.00 then 5.00 while Carol lives in the room:
    his closed account stays at zero, each payment is income once, and Carol is untouched."""
    add_room(world)
    bob = world.core.move_in("r1", "Bob", "100", who="a", first_top_up="10")
    world.clock.advance(days=2)
    world.core.move_out("r1", "200", who="a")  # 100 kWh at 0.25: 15.00 owed
    carol = world.core.move_in("r1", "Carol", "200", who="a", first_top_up="5")
    with pytest.raises(BillingError) as caught:
        world.core.pay_debt("r1", "15.01", method="cash", who="a")
    assert caught.value.key == errors.PAYMENT_EXCEEDS_DEBT
    assert caught.value.placeholders == {"amount": "15.01", "owed": "15.00"}
    first = world.core.pay_debt("r1", "10", method="transfer", reference="B-1", who="a")
    assert (first.tenancy.tenancy_id, first.owed, first.created) == (bob.tenancy_id, 5, True)
    again = world.core.pay_debt("r1", "10", method="transfer", reference="B-1", who="a")
    assert (again.entry, again.created) == (first.entry, False)
    last = world.core.pay_debt("r1", "5", method="cash", who="a", tenancy_id=bob.tenancy_id)
    assert last.owed == 0
    assert world.ledger.balance(bob.account_id) == 0
    assert world.ledger.debt_owed(bob.account_id) == 0
    assert world.core.balance("r1") == d("5.00")  # Carol's
    settlements = world.ledger.entries(account_id=bob.account_id, kinds=["settlement"])
    assert [e.why for e in settlements][1:] == [
        "debt paid 10.00, 5.00 still owed",
        "debt paid 5.00, 0.00 still owed",
    ]
    before = world.counts()
    for tenancy_id, key in (
        (None, errors.NO_DEBT_OWED),
        (carol.tenancy_id, errors.UNKNOWN_TENANCY),
    ):
        with pytest.raises(BillingError) as caught:
            world.core.pay_debt("r1", "1", method="cash", who="a", tenancy_id=tenancy_id)
        assert caught.value.key == key
    assert world.counts() == before
    check_never_negative_but_by_usage(world.ledger, bob.account_id)


def test_next_tenant_starts_fresh(world: World) -> None:
    add_room(world)
    world.core.move_in("r1", "Bob", "100", who="a", first_top_up="10")
    world.clock.advance(days=1)
    world.core.move_out("r1", "110", who="a")
    world.clock.advance(days=1)
    world.core.process_reading("r1", "112")  # vacant usage
    tenancy = world.core.move_in("r1", "Carol", "113", who="a")
    assert world.core.balance("r1") == 0
    world.clock.advance(hours=2)
    world.core.process_reading("r1", "115")
    assert kwh_of(world.ledger.entries(account_id=tenancy.account_id, kinds=["charge"])) == 2
    assert len(world.ledger.tenancies("r1")) == 2


def test_vacant_preset_is_landlord_paid_and_beyond_it_is_flagged(world: World) -> None:
    add_room(world)
    world.core.process_reading("r1", "100")
    preset = world.core.preset_vacant_energy("r1", "5", who="landlord")
    assert preset.kind == "vacant_preset"
    world.clock.advance(hours=2)
    result = world.core.process_reading("r1", "103")
    assert result.issues == ()
    # A vacant room's summary shows what is left of the preset.
    assert world.core.summary("r1").allowance_left_kwh == 2
    world.clock.advance(hours=2)
    result = world.core.process_reading("r1", "108")
    assert [i.key for i in result.issues] == [ISSUE_VACANT_PRESET_EXHAUSTED]
    assert world.core.summary("r1").allowance_left_kwh == 0
    vacant = world.ledger.vacant_account("r1")
    assert world.ledger.balance(vacant) == 0
    world.core.move_in("r1", "Bob", "108", who="a")
    with pytest.raises(BillingError) as caught:
        world.core.preset_vacant_energy("r1", "5", who="landlord")
    assert caught.value.key == errors.ROOM_OCCUPIED


def test_move_out_time_before_last_billing_is_refused(world: World) -> None:
    add_room(world)
    world.core.move_in("r1", "Bob", "100", who="a")
    world.clock.advance(hours=3)
    world.core.process_reading("r1", "103")
    before = world.counts()
    with pytest.raises(BillingError) as caught:
        world.core.move_out("r1", "103", at=world.clock.now - timedelta(hours=1), who="a")
    assert caught.value.key == errors.TIME_BEFORE_LAST_BILLING
    assert world.counts() == before


def test_cycle_start_day_is_locked_during_a_tenancy(world: World) -> None:
    add_room(world)
    world.core.move_in("r1", "Bob", "100", who="a")
    config = world.core.room_config("r1")
    with pytest.raises(BillingError) as caught:
        world.core.upsert_room("r1", RoomConfig(name="r1", cycle_start_day=15))
    assert caught.value.key == errors.CYCLE_START_DAY_LOCKED
    assert world.core.room_config("r1") == config
    world.core.upsert_room("r1", RoomConfig(name="Room one"))  # other settings may change
    world.clock.advance(days=1)
    world.core.move_out("r1", "101", who="a")
    world.core.upsert_room("r1", RoomConfig(name="r1", cycle_start_day=15))
    assert world.core.calendar("r1").start_day == 15
