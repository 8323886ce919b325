"""Bank statement import: parse a CSV export of a bank account and match its lines to rooms by
the rooms' payment references (see README.md, "Payment matching"). Pure functions; the
matched lines become top-ups whose payment reference is the line's id, so importing a
statement again (or the same line in another file) books nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
import hashlib
import io
import re
from typing import Any, Final, Literal

from .errors import (
    BANK_COLUMN_UNKNOWN,
    BANK_FORMAT_INVALID,
    BANK_STATEMENT_UNREADABLE,
    BillingError,
)

ENCODINGS: Final = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "gbk", "gb18030")
DECIMAL_MARKS: Final = (".", ",")
# The prefix of a bank line's payment reference (a top-up's reference is global).
BANK_REFERENCE: Final = "bank"
MAX_LINES: Final = 10_000

type Unmatched = Literal[
    "no_room",
    "several_rooms",
    "room_vacant",
    "not_a_payment",
    "amount_invalid",
    "date_invalid",
    "reference_conflict",
]


@dataclass(frozen=True, slots=True)
class BankFormat:
    """How one bank's CSV export reads: which column holds what (a header name, or a column
    number from 1), the delimiter (empty: guessed from the first line), the decimal mark,
    the date format (strftime) and the file's encoding."""

    date_column: str
    amount_column: str
    reference_column: str
    id_column: str = ""
    delimiter: str = ""
    decimal: str = "."
    date_format: str = "%Y-%m-%d"
    encoding: str = "utf-8-sig"

    def __post_init__(self) -> None:
        if (
            self.decimal not in DECIMAL_MARKS
            or self.encoding not in ENCODINGS
            or len(self.delimiter) > 1
            or not all((self.date_column, self.amount_column, self.reference_column))
        ):
            raise BillingError(
                BANK_FORMAT_INVALID,
                {"encodings": ", ".join(ENCODINGS), "decimal": self.decimal},
            )

    def to_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BankFormat:
        return cls(**{name: str(data[name]) for name in cls.__slots__ if name in data})


@dataclass(frozen=True, slots=True)
class BankLine:
    """One line of a statement: its number in the file, its text fields and, once parsed,
    the amount and date. `line_id` is the bank's own id, else a digest of the line."""

    number: int
    line_id: str
    day: date | None
    amount: Decimal | None
    reference: str
    problem: Unmatched | None = None

    @property
    def payment_reference(self) -> str:
        return f"{BANK_REFERENCE}:{self.line_id}"


def parse_amount(text: str, decimal_mark: str) -> Decimal | None:
    """A bank amount: thousands separators and spaces dropped, decimal comma or point."""
    cleaned = re.sub(r"[\s'\u2019]", "", text)
    thousands = "," if decimal_mark == "." else "."
    cleaned = cleaned.replace(thousands, "").replace(decimal_mark, ".")
    cleaned = re.sub(r"^\+", "", cleaned)
    if not re.fullmatch(r"-?\d+(\.\d+)?", cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None


def _column(header: list[str], wanted: str) -> int:
    if wanted.isdigit() and 1 <= int(wanted) <= len(header):
        return int(wanted) - 1
    folded = [name.strip().casefold() for name in header]
    if wanted.strip().casefold() in folded:
        return folded.index(wanted.strip().casefold())
    raise BillingError(BANK_COLUMN_UNKNOWN, {"column": wanted, "columns": ", ".join(header)})


def parse_statement(text: str, fmt: BankFormat) -> list[BankLine]:
    """The lines of a statement (its first row names the columns). A line whose amount or
    date cannot be read is kept with its problem, to be listed, never guessed."""
    delimiter = fmt.delimiter or _guess_delimiter(text)
    try:
        rows = [
            row
            for row in csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
            if any(row)
        ]
    except csv.Error as err:
        raise BillingError(BANK_STATEMENT_UNREADABLE, {"problem": str(err)}) from err
    if not rows:
        return []
    header, body = rows[0], rows[1 : MAX_LINES + 1]
    where = {
        "date": _column(header, fmt.date_column),
        "amount": _column(header, fmt.amount_column),
        "reference": _column(header, fmt.reference_column),
    }
    id_column = _column(header, fmt.id_column) if fmt.id_column else None
    lines: list[BankLine] = []
    for number, row in enumerate(body, start=2):
        cells = row + [""] * (len(header) - len(row))
        reference = cells[where["reference"]].strip()
        amount = parse_amount(cells[where["amount"]], fmt.decimal)
        day = _day(cells[where["date"]].strip(), fmt.date_format)
        own_id = cells[id_column].strip() if id_column is not None else ""
        # Without the bank's id a line is known by what it says: the same line twice is one
        # payment, whatever file or order it comes in.
        line_id = (
            own_id
            or hashlib.sha256("\x1f".join(cell.strip() for cell in cells).encode()).hexdigest()[:24]
        )
        problem: Unmatched | None = None
        if amount is None:
            problem = "amount_invalid"
        elif day is None:
            problem = "date_invalid"
        elif amount <= 0:
            problem = "not_a_payment"
        lines.append(BankLine(number, line_id, day, amount, reference, problem))
    return lines


def _day(text: str, date_format: str) -> date | None:
    """The bank's calendar date as printed (a day, no instant), or None."""
    try:
        return datetime.strptime(text, date_format).replace(tzinfo=UTC).date()
    except ValueError:
        return None


def _guess_delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return max((";", ",", "\t", "|"), key=first.count)


def match(line: BankLine, references: Mapping[str, str]) -> tuple[str | None, Unmatched | None]:
    """The room (key of `references`) whose payment reference the line's text contains as a
    whole word (case and spacing ignored); none or several: unmatched, never guessed."""
    if line.problem is not None:
        return None, line.problem
    text = _fold(line.reference)
    rooms = [
        room
        for room, reference in references.items()
        if (wanted := _fold(reference))
        and re.search(rf"(?<![0-9a-z]){re.escape(wanted)}(?![0-9a-z])", text)
    ]
    if not rooms:
        return None, "no_room"
    if len(rooms) > 1:
        return None, "several_rooms"
    return rooms[0], None


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())
