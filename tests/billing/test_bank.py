"""Bank statement import: parsing bank CSVs, matching lines to rooms by payment reference,
and booking them as idempotent top-ups."""

from __future__ import annotations

from decimal import Decimal
import os
from pathlib import Path
import tempfile

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.prepaid_power.billing import errors
from custom_components.prepaid_power.billing.bank import (
    BankFormat,
    BankLine,
    match,
    parse_amount,
    parse_statement,
)
from custom_components.prepaid_power.billing.core import BillingCore
from custom_components.prepaid_power.billing.errors import BillingError

from .conftest import World, d, make_world, occupied

EXAMPLES = int(os.environ.get("BILLING_EXAMPLES", "40"))
GERMAN = BankFormat(
    date_column="Buchungstag",
    amount_column="Betrag (EUR)",
    reference_column="Verwendungszweck",
    decimal=",",
    date_format="%d.%m.%Y",
    encoding="cp1252",
)
REFERENCES = {"r1": "PP-101", "r2": "PP-102", "r3": "PP-103"}


def book(core: BillingCore, lines: list[BankLine]) -> list[tuple[int, str, object]]:
    """Import the lines as the action does: match, then book each matched line."""
    results: list[tuple[int, str, object]] = []
    for line in lines:
        room, problem = match(line, REFERENCES)
        if room is not None:
            top_up, problem = core.import_payment(room, line, who="landlord")
            if top_up is not None:
                results.append((line.number, room, top_up.created))
                continue
        results.append((line.number, "unmatched", problem))
    return results


def test_a_german_statement_in_cp1252_with_decimal_commas() -> None:
    data = (
        "Buchungstag;Wertstellung;Verwendungszweck;Betrag (EUR)\r\n"
        "10.01.2026;10.01.2026;Miete Strom PP-101 Müller;1.234,50\r\n"
        "11.01.2026;11.01.2026;Stadtwerke Abschlag;-80,00\r\n"
        "12.01.2026;12.01.2026;pp-102 Überweisung;20\r\n"
        "13.01.2026;13.01.2026;PP-1020 not a room;5,00\r\n"
        "99.01.2026;13.01.2026;PP-103;5,00\r\n"
        "14.01.2026;14.01.2026;PP-103;5 Euro\r\n"
    ).encode("cp1252")
    lines = parse_statement(data.decode(GERMAN.encoding), GERMAN)
    assert [(line.day, line.amount, line.problem) for line in lines] == [
        (lines[0].day, d("1234.50"), None),
        (lines[1].day, d("-80.00"), "not_a_payment"),
        (lines[2].day, d("20"), None),
        (lines[3].day, d("5.00"), None),
        (None, d("5.00"), "date_invalid"),
        (lines[5].day, None, "amount_invalid"),
    ]
    assert lines[0].reference == "Miete Strom PP-101 Müller"
    assert [match(line, REFERENCES) for line in lines] == [
        ("r1", None),
        (None, "not_a_payment"),
        ("r2", None),  # case and spacing ignored
        (None, "no_room"),  # PP-1020 is not PP-102: whole words only
        (None, "date_invalid"),
        (None, "amount_invalid"),
    ]


def test_columns_by_number_with_the_banks_own_id_and_a_decimal_point() -> None:
    fmt = BankFormat(date_column="1", amount_column="3", reference_column="2", id_column="4")
    lines = parse_statement(
        'date,text,amount,id\n2026-01-10,PP-101 and PP-102,"1,020.00",TX-9\n', fmt
    )
    assert (lines[0].amount, lines[0].line_id, lines[0].payment_reference) == (
        d("1020.00"),
        "TX-9",
        "bank:TX-9",
    )
    assert match(lines[0], REFERENCES) == (None, "several_rooms")  # never guessed


def test_amounts() -> None:
    assert parse_amount("+1 234,56", ",") == d("1234.56")
    assert parse_amount("1'234.56", ".") == d("1234.56")
    assert parse_amount("-0,5", ",") == d("-0.5")
    for junk in ("", "12,34,56", "€5", "1e3", "NaN"):
        assert parse_amount(junk, ",") is None, junk


def test_bad_formats_are_refused() -> None:
    with pytest.raises(BillingError) as caught:
        BankFormat("a", "b", "c", decimal=";")
    assert caught.value.key == errors.BANK_FORMAT_INVALID
    with pytest.raises(BillingError) as caught:
        BankFormat("a", "b", "c", encoding="ebcdic")
    assert caught.value.key == errors.BANK_FORMAT_INVALID
    with pytest.raises(BillingError) as caught:
        parse_statement("date;amount\n2026-01-01;5\n", BankFormat("date", "amount", "memo"))
    assert caught.value.key == errors.BANK_COLUMN_UNKNOWN
    assert caught.value.placeholders == {"column": "memo", "columns": "date, amount"}
    assert BankFormat.from_dict(GERMAN.to_dict()) == GERMAN


def test_booked_once_vacant_rooms_and_conflicts_are_listed(world: World) -> None:
    occupied(world, "r1")
    occupied(world, "r2")
    world.core.upsert_room("r3", world.core.room_config("r1"))  # vacant
    fmt = BankFormat("date", "amount", "memo", id_column="id")
    text = (
        "id,date,amount,memo\n"
        "A1,2026-01-10,12.50,PP-101\n"
        "A2,2026-01-10,7,PP-103\n"
        "A3,2026-01-10,0.005,PP-102\n"
    )
    lines = parse_statement(text, fmt)
    assert book(world.core, lines) == [
        (2, "r1", True),
        (3, "unmatched", "room_vacant"),
        (4, "unmatched", "amount_invalid"),
    ]
    assert book(world.core, lines)[0] == (2, "r1", False)  # the same file again: one payment
    assert world.core.balance("r1") == d("12.50")
    # The bank's id booked with another amount is not taken for a new payment.
    changed = parse_statement("id,date,amount,memo\nA1,2026-01-10,13.00,PP-101\n", fmt)
    assert book(world.core, changed) == [(2, "unmatched", "reference_conflict")]
    entry = world.ledger.entries(account_id=world.core.account_of("r1"), kinds=["top_up"])[-1]
    assert (entry.method, entry.reference, entry.why) == (
        "transfer",
        "bank:A1",
        "bank transfer 2026-01-10: PP-101",
    )


line_strategy = st.tuples(
    st.sampled_from(["2026-01-10", "2026-01-11", "2026-13-01"]),
    st.one_of(
        st.integers(min_value=-500, max_value=5000).map(lambda c: str(Decimal(c) / 100)),
        st.sampled_from(["abc", "1.001"]),
    ),
    st.sampled_from(["PP-101", "pp-102 rent", "PP-103", "PP-101 PP-102", "unknown", "PP-1011"]),
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(line_strategy, min_size=1, max_size=12),
    data=st.data(),
)
def test_import_is_idempotent_under_any_order_and_repetition(
    rows: list[tuple[str, str, str]], data: st.DataObject
) -> None:
    """Importing the lines once, or shuffled with repeats in several files, books the same
    payments: the same balances and the same set of payment references."""
    fmt = BankFormat("date", "amount", "memo")

    def run(files: list[list[tuple[str, str, str]]]) -> tuple[object, ...]:
        with tempfile.TemporaryDirectory() as directory:
            world = make_world(Path(directory) / "ledger.sqlite3")
            try:
                occupied(world, "r1")
                occupied(world, "r2")
                occupied(world, "r3")
                for rows_of_file in files:
                    text = "date,amount,memo\n" + "".join(
                        f"{day},{amount},{memo}\n" for day, amount, memo in rows_of_file
                    )
                    book(world.core, parse_statement(text, fmt))
                references = sorted(
                    str(e.reference) for e in world.ledger.entries(kinds=["top_up"])
                )
                return (
                    tuple(world.core.balance(room) for room in ("r1", "r2", "r3")),
                    tuple(references),
                )
            finally:
                world.ledger.close()

    once = run([rows])
    shuffled = data.draw(st.permutations(rows + data.draw(st.lists(st.sampled_from(rows)))))
    cut = data.draw(st.integers(min_value=0, max_value=len(shuffled)))
    assert run([shuffled[:cut], shuffled[cut:], rows]) == once
    # Every distinct matchable line is one payment.
    distinct = {
        row
        for row in rows
        if row[0] != "2026-13-01"
        and row[1] not in {"abc", "1.001"}
        and Decimal(row[1]) > 0
        and row[2] in {"PP-101", "pp-102 rent", "PP-103"}
    }
    assert len(once[1]) == len(distinct)
