"""The bank statement import's Home Assistant side: the imports folder, the column formats
saved per bank, and every loaded room's payment reference (the matching rules are the
billing core's, `billing/bank.py`; the operation is `operations.import_bank_statement`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store
from homeassistant.util.json import JsonValueType

from .billing.bank import BankFormat, BankLine
from .billing.errors import BillingError
from .compat import InputRefused
from .const import CONF_PAYMENT_REFERENCE, DOMAIN, LEDGER_DIR
from .coordinator import PrepaidPowerConfigEntry

IMPORT_DIR: Final = "imports"
BANK_FORMATS_KEY: Final = f"{DOMAIN}.bank_formats"
# A bank statement of a small building is a few hundred lines; beyond this is not one.
MAX_STATEMENT_BYTES: Final = 5_000_000
DECIMAL_MARKS: Final = {"point": ".", "comma": ","}
BANK_COLUMNS: Final = (
    "date_column",
    "amount_column",
    "reference_column",
    "id_column",
    "delimiter",
    "decimal",
    "date_format",
    "encoding",
)


@dataclass(frozen=True, slots=True)
class BankImport:
    """What to import: a file in `<config>/prepaid_power/imports/` or the CSV text, and the
    bank's format (columns given are saved under `bank` and fill what is left out)."""

    file: str | None = None
    csv: str | None = None
    bank: str | None = None
    columns: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BankImportReport:
    """Lines booked to a room (`created` False: booked by an earlier import) and lines
    listed for the landlord, with why."""

    matched: list[JsonValueType]
    unmatched: list[JsonValueType]


def refused(key: str, **placeholders: str) -> HomeAssistantError:
    return InputRefused(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


async def async_bank_format(hass: HomeAssistant, request: BankImport) -> BankFormat:
    """The format asked for, filled from the one saved under the bank's name, and saved."""
    store: Store[dict[str, dict[str, str]]] = Store(hass, 1, BANK_FORMATS_KEY)
    saved = (await store.async_load() or {}) if request.bank else {}
    known = saved.get(request.bank or "", {})
    given = dict(request.columns)
    if "decimal" in given:
        given["decimal"] = DECIMAL_MARKS[given["decimal"]]
    merged = {**known, **given}
    if request.bank and not known and not {"date_column", "amount_column"} <= merged.keys():
        raise refused("bank_format_unknown", bank=request.bank)
    try:
        fmt = BankFormat.from_dict(
            {"date_column": "", "amount_column": "", "reference_column": "", **merged}
        )
    except BillingError as err:
        raise refused(err.key, **err.placeholders) from err
    if request.bank and fmt.to_dict() != known:
        await store.async_save({**saved, request.bank: fmt.to_dict()})
    return fmt


def read_statement(hass: HomeAssistant, name: str, encoding: str) -> str:
    """A statement file by its name in the imports folder (no other path is read)."""
    folder = Path(hass.config.path(LEDGER_DIR, IMPORT_DIR))
    path = folder / name
    if (
        not name
        or not name.isprintable()
        or name != Path(name).name
        or name.startswith(".")
        or path.resolve().parent != folder.resolve()
    ):
        raise refused("bank_file_not_allowed", file=name)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_STATEMENT_BYTES + 1)
    except OSError as err:  # missing, a folder, unreadable
        raise refused("bank_file_missing", file=name) from err
    try:
        return data[:MAX_STATEMENT_BYTES].decode(encoding)
    except UnicodeDecodeError as err:
        raise refused("bank_file_undecodable", file=name, encoding=encoding) from err


def payment_references(
    entries: Iterable[PrepaidPowerConfigEntry],
) -> tuple[dict[str, str], dict[str, tuple[PrepaidPowerConfigEntry, str]]]:
    """Every room's payment reference (of the gateways given), by a key naming its gateway and room."""
    references: dict[str, str] = {}
    rooms: dict[str, tuple[PrepaidPowerConfigEntry, str]] = {}
    for entry in entries:
        for subentry_id in entry.runtime_data.rooms.rooms:
            subentry = entry.subentries.get(subentry_id)
            reference = "" if subentry is None else subentry.data.get(CONF_PAYMENT_REFERENCE)
            if reference:
                key = f"{entry.entry_id}/{subentry_id}"
                references[key] = str(reference)
                rooms[key] = (entry, subentry_id)
    return references, rooms


def line_data(line: BankLine) -> dict[str, JsonValueType]:
    return {
        "line": line.number,
        "date": None if line.day is None else line.day.isoformat(),
        "amount": None if line.amount is None else str(line.amount),
        "reference": line.reference,
        "id": line.line_id,
    }
