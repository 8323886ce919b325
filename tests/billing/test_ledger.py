"""The SQLite ledger: append-only, derived balance, idempotent top-ups, schema migrations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
import sqlite3

import pytest

from custom_components.prepaid_power.billing import errors
from custom_components.prepaid_power.billing.core import BillingCore
from custom_components.prepaid_power.billing.errors import BillingError
from custom_components.prepaid_power.billing.ledger import (
    EMERGENCY_CREDIT_RECOVERED,
    EMERGENCY_CREDIT_TAKEN,
    ENTRY_KINDS,
    MIGRATIONS,
    BillingState,
    Ledger,
    NewEntry,
)
from custom_components.prepaid_power.billing.money import Currency

from .conftest import World, check_never_negative_but_by_usage, occupied

AT = datetime(2026, 1, 10, 12, tzinfo=UTC)


def test_storage_is_wal_and_synchronous_full(world: World) -> None:
    assert world.ledger.execute("PRAGMA journal_mode")[0][0] == "wal"
    assert world.ledger.execute("PRAGMA synchronous")[0][0] == 2  # FULL
    assert world.ledger.schema_version == len(MIGRATIONS) == 8


def test_entries_can_never_be_edited_or_deleted(world: World) -> None:
    occupied(world)
    entry = world.core.top_up("r1", "10", method="cash", who="landlord").entry
    with pytest.raises(sqlite3.IntegrityError, match="never edited"):
        world.ledger.execute(
            "UPDATE entries SET amount_minor = 1 WHERE entry_id = ?", (entry.entry_id,)
        )
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        world.ledger.execute("DELETE FROM entries")
    assert world.ledger.entry(entry.entry_id).amount == Decimal("10.00")


def test_every_entry_records_when_who_and_why(world: World) -> None:
    occupied(world)
    entry = world.core.top_up("r1", "10", method="transfer", who="user-7", why="January").entry
    assert (entry.who, entry.why, entry.at, entry.method) == (
        "user-7",
        "January",
        world.clock.now,
        "transfer",
    )


def test_same_reference_twice_is_one_top_up(world: World) -> None:
    occupied(world)
    first, created, *_ = world.core.top_up("r1", "20", method="app", reference="PAY-1", who="a")
    again, created_again, *_ = world.core.top_up(
        "r1", "20", method="app", reference="PAY-1", who="b"
    )
    assert created
    assert not created_again
    assert again == first
    assert world.core.balance("r1") == Decimal("20.00")


def test_reference_reused_for_another_amount_is_refused(world: World) -> None:
    occupied(world)
    world.core.top_up("r1", "20", method="app", reference="PAY-1", who="a")
    before = world.counts()
    with pytest.raises(BillingError) as caught:
        world.core.top_up("r1", "25", method="app", reference="PAY-1", who="a")
    assert caught.value.key == errors.TOP_UP_REFERENCE_CONFLICT
    assert world.counts() == before


def test_unique_index_backs_up_reference_idempotency(world: World) -> None:
    occupied(world)
    account = world.core.tenancy_of("r1")
    assert account is not None
    entry = NewEntry(
        account.account_id, "top_up", AT, Decimal(5), "a", "x", method="cash", reference="R"
    )
    world.ledger.append(entry)
    with pytest.raises(sqlite3.IntegrityError):
        world.ledger.append(entry)


def test_reversal_undoes_one_top_up_only_once(world: World) -> None:
    occupied(world)
    top_up = world.core.top_up("r1", "20", method="cash", who="a").entry
    reversal = world.core.reverse_top_up("r1", top_up.entry_id, who="a", why="bounced")
    assert reversal.amount == Decimal("-20.00")
    assert reversal.reverses_id == top_up.entry_id
    before = world.counts()
    with pytest.raises(BillingError) as caught:
        world.core.reverse_top_up("r1", top_up.entry_id, who="a")
    assert caught.value.key == errors.TOP_UP_ALREADY_REVERSED
    assert world.counts() == before


def test_reversal_may_take_balance_below_zero(world: World) -> None:
    occupied(world)
    top_up = world.core.top_up("r1", "20", method="cash", who="a").entry
    world.core.refund("r1", "15", who="a")
    world.core.reverse_top_up("r1", top_up.entry_id, who="a")
    assert world.core.balance("r1") == Decimal("-15.00")


def test_only_top_ups_can_be_reversed(world: World) -> None:
    occupied(world)
    world.core.top_up("r1", "2", method="cash", who="a")
    fee = world.core.add_fee("r1", "2", why="standing charge")
    with pytest.raises(BillingError) as caught:
        world.core.reverse_top_up("r1", fee.entry_id, who="a")
    assert caught.value.key == errors.NOT_A_TOP_UP
    with pytest.raises(BillingError) as caught:
        world.core.reverse_top_up("r1", 999, who="a")
    assert caught.value.key == errors.UNKNOWN_ENTRY


@pytest.mark.parametrize(
    ("operation", "key"),
    [
        (lambda core, amount: core.refund("r1", amount, who="a"), errors.REFUND_EXCEEDS_BALANCE),
        (lambda core, amount: core.add_fee("r1", amount, why="key"), errors.FEE_EXCEEDS_BALANCE),
    ],
    ids=["refund", "fee"],
)
def test_refunds_and_fees_never_beyond_balance(
    world: World, operation: Callable[[BillingCore, str], object], key: str
) -> None:
    occupied(world)
    world.core.top_up("r1", "20", method="cash", who="a")
    before = world.counts()
    with pytest.raises(BillingError) as caught:
        operation(world.core, "20.01")
    assert caught.value.key == key
    assert caught.value.placeholders == {"amount": "20.01", "balance": "20.00"}
    assert world.counts() == before
    operation(world.core, "20")
    assert world.core.balance("r1") == 0


def test_adjustment_needs_a_reason_and_may_be_either_sign(world: World) -> None:
    occupied(world)
    before = world.counts()
    with pytest.raises(BillingError) as caught:
        world.core.adjust("r1", "5", reason="  ", who="a")
    assert caught.value.key == errors.REASON_REQUIRED
    assert world.counts() == before
    world.core.adjust("r1", "5", reason="meter fault credit", who="a")
    adjustment = world.core.adjust("r1", "-2.5", reason="cleaning", who="a")
    assert (adjustment.entry.why, adjustment.debt) == ("cleaning", 0)
    assert world.core.balance("r1") == Decimal("2.50")


def test_adjustment_below_zero_only_as_explicit_debt(world: World) -> None:
    """A downward correction beyond the balance is refused, unless the landlord records the
    part below zero as debt: then the entry and the result say how much."""
    occupied(world)
    world.core.top_up("r1", "5", method="cash", who="a")
    world.clock.advance(hours=1)
    world.core.process_reading("r1", "104")  # 1.00 used, not yet posted
    before = world.counts()
    with pytest.raises(BillingError) as caught:
        world.core.adjust("r1", "-4.01", reason="misread", who="a")
    assert caught.value.key == errors.ADJUSTMENT_EXCEEDS_BALANCE
    assert caught.value.placeholders == {"amount": "4.01", "balance": "4.00"}
    assert world.counts() == before
    adjustment = world.core.adjust("r1", "-6", reason="misread", who="a", record_debt=True)
    assert adjustment.debt == Decimal("2.00")
    assert adjustment.entry.why == "misread (debt recorded 2.00)"
    # Already below zero: all of a further debit is debt.
    assert world.core.adjust("r1", "-1", reason="key", who="a", record_debt=True).debt == 1
    assert world.core.balance("r1") == Decimal("-3.00")
    with pytest.raises(BillingError) as caught:
        world.core.adjust("r1", "1", reason="x (debt recorded 1.00)", who="a")
    assert caught.value.key == errors.REASON_RESERVED
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    check_never_negative_but_by_usage(world.ledger, tenancy.account_id)


def test_emergency_credit_is_taken_once_and_paid_back_first_by_top_ups(world: World) -> None:
    """What is owed is in the ledger: each top-up pays it back first, in its own transaction;
    it can be taken again once paid back; a repeated payment pays nothing back twice."""
    occupied(world)
    world.core.take_emergency_credit("r1", "4", who="tenant")
    assert world.core.balance("r1") == Decimal("4.00")
    before = world.counts()
    with pytest.raises(BillingError) as caught:
        world.core.take_emergency_credit("r1", "4", who="tenant")
    assert caught.value.key == errors.EMERGENCY_CREDIT_OUTSTANDING
    assert world.counts() == before

    first = world.core.top_up("r1", "3", method="cash", reference="P1", who="landlord")
    assert (first.created, first.recovered) == (True, Decimal("3.00"))
    assert world.core.balance("r1") == Decimal("4.00")
    assert world.core.summary("r1").emergency_credit_outstanding == Decimal("1.00")
    again = world.core.top_up("r1", "3", method="cash", reference="P1", who="landlord")
    assert (again.created, str(again.recovered)) == (False, "0.00")
    second = world.core.top_up("r1", "20", method="cash", who="landlord")
    assert second.recovered == Decimal("1.00")
    assert world.core.balance("r1") == Decimal("23.00")
    assert world.core.summary("r1").emergency_credit_outstanding == 0
    assert world.core.top_up("r1", "5", method="cash", who="landlord").recovered == 0

    world.core.take_emergency_credit("r1", "4", who="tenant")
    recoveries = [
        e
        for e in world.ledger.entries(kinds=["emergency_credit"])
        if e.why == EMERGENCY_CREDIT_RECOVERED
    ]
    assert [(e.amount, e.who) for e in recoveries] == [
        (Decimal("-3.00"), "landlord"),
        (Decimal("-1.00"), "landlord"),
    ]


def test_landlord_adjustments_cannot_pose_as_emergency_credit(world: World) -> None:
    occupied(world)
    before = world.counts()
    for reason in (EMERGENCY_CREDIT_TAKEN, f"  {EMERGENCY_CREDIT_RECOVERED} "):
        with pytest.raises(BillingError) as caught:
            world.core.adjust("r1", "5", reason=reason, who="landlord")
        assert caught.value.key == errors.REASON_RESERVED
    assert world.counts() == before
    assert world.core.summary("r1").emergency_credit_outstanding == 0


def test_payment_method_is_checked(world: World) -> None:
    occupied(world)
    with pytest.raises(BillingError) as caught:
        world.core.top_up("r1", "5", method="bitcoin", who="a")
    assert caught.value.key == errors.PAYMENT_METHOD_INVALID


@pytest.mark.parametrize("amount", ["NaN", "inf", "-1", "0", "1.234", "2000000"])
def test_invalid_amounts_change_nothing(world: World, amount: str) -> None:
    occupied(world)
    before = world.counts()
    actions: list[Callable[[], object]] = [
        lambda: world.core.top_up("r1", amount, method="cash", who="a"),
        lambda: world.core.refund("r1", amount, who="a"),
        lambda: world.core.add_fee("r1", amount, why="x"),
    ]
    if amount != "-1":  # a negative adjustment is legitimate
        actions.append(lambda: world.core.adjust("r1", amount, reason="x", who="a"))
    for action in actions:
        with pytest.raises(BillingError):
            action()
    assert world.counts() == before


def test_unknown_room_and_room_without_tenancy(world: World) -> None:
    occupied(world)
    world.core.upsert_room("empty", world.core.room_config("r1"))
    with pytest.raises(BillingError) as caught:
        world.core.top_up("nope", "5", method="cash", who="a")
    assert caught.value.key == errors.UNKNOWN_ROOM
    with pytest.raises(BillingError) as caught:
        world.core.top_up("empty", "5", method="cash", who="a")
    assert caught.value.key == errors.ROOM_HAS_NO_TENANCY


def test_balance_cache_is_checked_against_the_sum(world: World) -> None:
    occupied(world)
    world.core.top_up("r1", "5", method="cash", who="a")
    world.ledger.verify()
    world.ledger.execute("UPDATE accounts SET balance_minor = balance_minor + 1")
    with pytest.raises(BillingError) as caught:
        world.ledger.verify()
    assert caught.value.key == errors.LEDGER_INCONSISTENT


def test_failed_transaction_leaves_nothing(world: World) -> None:
    occupied(world)
    account = world.core.tenancy_of("r1")
    assert account is not None
    before = world.counts()

    def failing_write() -> None:
        with world.ledger.transaction():
            world.ledger.append(NewEntry(account.account_id, "fee", AT, Decimal(-1), "a", "x"))
            raise RuntimeError

    with pytest.raises(RuntimeError):
        failing_write()
    assert world.counts() == before


def test_migrations_run_once_in_order(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    Ledger(path, Currency()).close()
    applied: list[int] = []

    def v2(conn: sqlite3.Connection) -> None:
        applied.append(2)
        conn.execute("ALTER TABLE rooms ADD COLUMN area TEXT")

    latest = len(MIGRATIONS) + 1
    with Ledger(path, Currency(), migrations=(*MIGRATIONS, v2)) as ledger:
        assert ledger.schema_version == latest
        ledger.execute("SELECT area FROM rooms")
    with Ledger(path, Currency(), migrations=(*MIGRATIONS, v2)) as ledger:
        assert ledger.schema_version == latest
    assert applied == [2]
    with pytest.raises(BillingError) as caught:
        Ledger(path, Currency())
    assert caught.value.key == errors.SCHEMA_TOO_NEW


def test_v1_ledger_gains_the_sum_indexes_and_keeps_its_entries(tmp_path: Path) -> None:
    """A ledger written by schema 1 is migrated in place: entries and balance unchanged."""
    path = tmp_path / "l.sqlite3"
    with Ledger(path, Currency(), migrations=MIGRATIONS[:1]) as old:
        old.upsert_room("r1", "Room 1", {})
        tenancy = old.open_tenancy("r1", "Alice", AT, Decimal(0), allowance_pro_rata=False)
        old.top_up(
            tenancy.account_id, Decimal("12.34"), method="cash", reference=None, at=AT, who="u"
        )
        assert old.schema_version == 1
    with Ledger(path, Currency()) as ledger:
        assert ledger.schema_version == len(MIGRATIONS)
        indexes = {row[1] for row in ledger.execute("PRAGMA index_list(entries)")}
        assert {"entries_cycle_sums", "entries_time_sums"} <= indexes
        assert ledger.balance(tenancy.account_id) == Decimal("12.34")
        ledger.verify()


def test_v2_ledger_keeps_its_pending_suspect_as_its_own_jump(tmp_path: Path) -> None:
    """A suspect held by schema 2 knew only its newest reading: that is its jump reading."""
    path = tmp_path / "l.sqlite3"
    with Ledger(path, Currency(), migrations=MIGRATIONS[:2]) as old:
        old.upsert_room("r1", "Room 1", {})
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO suspect_readings (room_id, from_reading, from_at, reading, at, status)"
            " VALUES ('r1', '100', 0, '600', 60000000, 'pending')"
        )
    conn.close()
    with Ledger(path, Currency()) as ledger:
        suspect = ledger.pending_suspect("r1")
        assert suspect is not None
        assert (suspect.jump_reading, suspect.jump_at) == (Decimal(600), suspect.at)
        assert suspect.from_reading == Decimal(100)


def test_v3_ledger_gets_typed_kinds_for_the_vacant_preset_and_emergency_credit(
    tmp_path: Path,
) -> None:
    """Schema 3 booked a vacant room's preset as an `allowance` and emergency credit as
    `adjustment`s with reserved reasons. Schema 4 rebuilds the entries table (the kind's
    CHECK cannot change in place) with their own kinds: every entry keeps its id, amount,
    reason and everything else; balances, the preset left and the credit outstanding are
    as they were; the entries are still append-only and still move the balances."""
    path = tmp_path / "l.sqlite3"
    eur = Currency()
    with Ledger(path, eur, migrations=MIGRATIONS[:3]) as old:
        old.upsert_room("r1", "Room 1", {})
        old.upsert_room("r2", "Room 2", {})
        vacant = old.vacant_account("r2")
        old.append(NewEntry(vacant, "allowance", AT, Decimal(0), "u", "vacant preset", Decimal(5)))
        tenancy = old.open_tenancy("r1", "Alice", AT, Decimal(0), allowance_pro_rata=False)
        account = tenancy.account_id
        old.append(
            NewEntry(account, "allowance", AT, Decimal(0), "system", "allowance", Decimal(20))
        )
        paid = old.top_up(account, Decimal(10), method="cash", reference="R-1", at=AT, who="u")
        old.reverse_top_up(paid[0].entry_id, at=AT, who="u", why="bounced")
        old.top_up(account, Decimal(6), method="cash", reference="R-2", at=AT, who="u")
        for amount, why in (
            (Decimal(4), EMERGENCY_CREDIT_TAKEN),
            (Decimal("-1.50"), EMERGENCY_CREDIT_RECOVERED),
            (Decimal(-2), "meter misread"),
        ):
            old.append(NewEntry(account, "adjustment", AT, amount, "u", why))
        before = {e.entry_id: e for e in old.entries()}
        balances = {a: old.balance(a) for a in (vacant, account)}
        preset, outstanding = old.allowance_left(vacant, None), Decimal("2.50")
        assert old.schema_version == 3
    with Ledger(path, eur) as ledger:
        assert ledger.schema_version == len(MIGRATIONS)
        after = {e.entry_id: e for e in ledger.entries()}
        assert after.keys() == before.keys()
        kinds = {}
        for entry_id, entry in after.items():
            assert replace(entry, kind=before[entry_id].kind) == before[entry_id]
            kinds[entry.why] = entry.kind
        assert kinds == {
            "vacant preset": "vacant_preset",
            "allowance": "allowance",
            "top-up": "top_up",
            "bounced": "reversal",
            EMERGENCY_CREDIT_TAKEN: "emergency_credit",
            EMERGENCY_CREDIT_RECOVERED: "emergency_credit",
            "meter misread": "adjustment",
        }
        assert {a: ledger.balance(a) for a in (vacant, account)} == balances
        assert ledger.allowance_left(vacant, None) == preset == Decimal(5)
        assert ledger.emergency_credit_outstanding(account) == outstanding
        ledger.verify()
        assert ledger.execute("PRAGMA foreign_key_check") == []
        indexes = {row[1] for row in ledger.execute("PRAGMA index_list(entries)")}
        assert {"entries_cycle_sums", "entries_time_sums", "top_up_reference"} <= indexes
        with pytest.raises(sqlite3.DatabaseError, match="never edited"):
            ledger.execute("UPDATE entries SET amount_minor = 0")
        with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
            ledger.execute("DELETE FROM entries")
        # A known reference is still the first payment; a new entry still moves the balance.
        assert not ledger.top_up(
            account, Decimal(6), method="cash", reference="R-2", at=AT, who="u"
        )[1]
        ledger.append(NewEntry(account, "fee", AT, Decimal(-1), "u", "fee"))
        assert ledger.balance(account) == balances[account] - 1
        ledger.verify()


def test_failed_migration_rolls_back(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    Ledger(path, Currency()).close()

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE rooms ADD COLUMN area TEXT")
        raise sqlite3.OperationalError("boom")

    with pytest.raises(sqlite3.OperationalError):
        Ledger(path, Currency(), migrations=(*MIGRATIONS, broken))
    with Ledger(path, Currency()) as ledger:
        assert ledger.schema_version == len(MIGRATIONS)
        assert "area" not in {row[1] for row in ledger.execute("PRAGMA table_info(rooms)")}


def test_currency_cannot_change_under_an_existing_ledger(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    Ledger(path, Currency("EUR")).close()
    with pytest.raises(BillingError) as caught:
        Ledger(path, Currency("JPY", 0))
    assert caught.value.key == errors.CURRENCY_MISMATCH


def test_every_entry_kind_of_billing_md_is_accepted_by_the_schema(world: World) -> None:
    occupied(world)
    tenancy = world.core.tenancy_of("r1")
    assert tenancy is not None
    amounts = {
        "top_up": "1",
        "charge": "-1",
        "allowance": "0",
        "vacant_preset": "0",
        "emergency_credit": "1",
        "adjustment": "1",
        "settlement": "1",
    }
    for kind in ENTRY_KINDS:
        if kind == "reversal":
            continue  # needs a top-up to reverse: covered above
        amount = Decimal(amounts.get(kind, "-1"))
        world.ledger.append(
            NewEntry(
                tenancy.account_id, kind, AT, amount, "a", "why", method="cash", kwh=Decimal(1)
            )
        )
    assert set(ENTRY_KINDS) == {
        "top_up",
        "reversal",
        "refund",
        "charge",
        "allowance",
        "vacant_preset",
        "emergency_credit",
        "fee",
        "adjustment",
        "settlement",
    }
    world.ledger.verify()


def test_rolled_back_writes_do_not_survive_in_the_cached_rows(world: World) -> None:
    """Open tenancy, billing state, pending suspect and the account's figures are cached; a
    transaction that fails after changing them must leave them as the file has them."""
    occupied(world)
    ledger = world.ledger
    tenancy = ledger.open_tenancy_of("r1")
    state = ledger.billing_state("r1")
    assert tenancy is not None
    assert state is not None
    assert ledger.pending_suspect("r1") is None

    account = tenancy.account_id
    balance = ledger.balance(account)
    carry = ledger.carry(account)
    sums = ledger.cycle_charge_sums(account, "2026-01-01")

    def failing_writes() -> None:
        with ledger.transaction():
            ledger.append(
                NewEntry(
                    account, "charge", AT, Decimal(-3), "a", "x", kwh=Decimal(2), cycle="2026-01-01"
                )
            )
            ledger.set_carry(account, Decimal("0.004"))
            assert ledger.balance(account) == balance - 3
            assert ledger.carry(account) == Decimal("0.004")
            assert ledger.cycle_charge_sums(account, "2026-01-01") == (
                sums[0] + 2,
                sums[1] - 3,
            )
            ledger.close_tenancy(tenancy.tenancy_id, AT, Decimal(200))
            ledger.save_billing_state(BillingState("r1", Decimal(150), AT))
            ledger.hold_suspect(state, Decimal(900), AT)
            assert ledger.open_tenancy_of("r1") is None
            assert ledger.billing_state("r1") == BillingState("r1", Decimal(150), AT)
            assert ledger.pending_suspect("r1") is not None
            raise RuntimeError

    with pytest.raises(RuntimeError):
        failing_writes()
    assert ledger.open_tenancy_of("r1") == tenancy
    assert ledger.billing_state("r1") == state
    assert ledger.pending_suspect("r1") is None
    assert ledger.balance(account) == balance
    assert ledger.carry(account) == carry
    assert ledger.cycle_charge_sums(account, "2026-01-01") == sums
    # And what is cached is what a fresh connection reads.
    reopened = Ledger(world.path, world.currency)
    try:
        assert reopened.open_tenancy_of("r1") == tenancy
        assert reopened.billing_state("r1") == state
        assert reopened.balance(account) == balance
    finally:
        reopened.close()


def test_v3_ledger_gains_debt_plans_that_are_never_edited(tmp_path: Path) -> None:
    """The debt plan migration adds its own table only; entries stay as they were."""
    path = tmp_path / "l.sqlite3"
    with Ledger(path, Currency(), migrations=MIGRATIONS[:3]) as old:
        old.upsert_room("r1", "Room 1", {})
        tenancy = old.open_tenancy("r1", "Alice", AT, Decimal(0), allowance_pro_rata=False)
        old.top_up(tenancy.account_id, Decimal(5), method="cash", reference=None, at=AT, who="u")
    with Ledger(path, Currency()) as ledger:
        assert ledger.schema_version == len(MIGRATIONS)
        assert ledger.debt_plan(tenancy.tenancy_id) is None
        plan = ledger.add_debt_plan(
            tenancy.tenancy_id,
            at=AT,
            debt_added=Decimal(3),
            percent=Decimal(10),
            fixed=Decimal(0),
            every="week",
            floor=Decimal(1),
            who="u",
            why="arrears",
        )
        assert (plan.debt, plan.every, plan.floor) == (3, "week", 1)
        for statement in ("UPDATE debt_plans SET debt_added_minor = 0", "DELETE FROM debt_plans"):
            with pytest.raises(sqlite3.DatabaseError, match="never"):
                ledger.execute(statement)
        assert ledger.balance(tenancy.account_id) == Decimal(5)
        ledger.verify()
