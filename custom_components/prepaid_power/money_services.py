"""Landlord money actions (admin only): the debt recovery plan and the bank statement import.

Each action is a thin wrapper over one typed operation (`set_debt_plan`,
`import_bank_statement`), which holds the permission rule and maps the billing core's
refusals to translated errors, so any front end can call the operation itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    Context,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store
from homeassistant.util.json import JsonValueType

from .access import async_require_landlord, who
from .billing.bank import ENCODINGS, BankFormat, BankLine, Unmatched, match, parse_statement
from .billing.core import BillingCore, DebtPlanStatus, TopUp
from .billing.errors import BillingError
from .billing.recovery import RECOVERY_EVERY
from .compat import InputRefused, vol
from .const import CONF_PAYMENT_REFERENCE, DOMAIN, EVENT_LANDLORD_ACTION, LEDGER_DIR
from .coordinator import PrepaidPowerConfigEntry
from .services import (
    ROOM,
    _loaded_entries,
    _run,
    _run_on,
    _short_text,
    _target,
    _text,
    async_after_money,
)

SERVICE_SET_DEBT_PLAN = "set_debt_plan"
SERVICE_IMPORT_BANK_STATEMENT = "import_bank_statement"
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

SET_DEBT_PLAN_SCHEMA = vol.Schema(
    {
        **ROOM,
        vol.Optional("debt", default="0"): _text,
        vol.Optional("reason", default=""): _short_text(),
        vol.Optional("percent", default="0"): _text,
        vol.Optional("fixed_amount", default="0"): _text,
        vol.Optional("every", default="day"): vol.In(RECOVERY_EVERY),
        vol.Optional("floor", default="0"): _text,
    }
)


IMPORT_BANK_STATEMENT_SCHEMA = vol.Schema(
    {
        vol.Optional("file"): _short_text(),
        vol.Optional("csv"): vol.All(str, vol.Length(max=MAX_STATEMENT_BYTES)),
        vol.Optional("bank"): _short_text(100),
        **{
            vol.Optional(name): _short_text(100)
            for name in ("date_column", "amount_column", "reference_column", "id_column")
        },
        vol.Optional("delimiter"): vol.All(str, vol.Length(max=1)),
        vol.Optional("decimal"): vol.In(list(DECIMAL_MARKS)),
        vol.Optional("date_format"): _short_text(40),
        vol.Optional("encoding"): vol.In(list(ENCODINGS)),
    }
)


@dataclass(frozen=True, slots=True)
class DebtPlanTerms:
    """What the landlord asks: debt to record on the plan (0: none) and the new terms."""

    debt: str = "0"
    reason: str = ""
    percent: str = "0"
    fixed_amount: str = "0"
    every: str = "day"
    floor: str = "0"


async def set_debt_plan(
    hass: HomeAssistant, context: Context, device_id: str, terms: DebtPlanTerms
) -> DebtPlanStatus:
    """Record debt on the room's current tenancy's recovery plan and/or set its terms."""
    await async_require_landlord(hass, context)
    target = _target(hass, device_id)
    status = await _run(
        target,
        lambda core: core.set_debt_plan(
            target.room.subentry_id,
            debt=terms.debt,
            percent=terms.percent,
            fixed=terms.fixed_amount,
            every=terms.every,
            floor=terms.floor,
            reason=terms.reason,
            who=who(context),
        ),
    )
    await async_after_money(
        hass,
        target,
        context,
        SERVICE_SET_DEBT_PLAN,
        debt=status.plan.debt,
        remaining=status.remaining,
    )
    return status


def debt_plan_data(status: DebtPlanStatus) -> dict[str, Any]:
    plan = status.plan
    return {
        "tenancy_id": plan.tenancy_id,
        "debt": str(plan.debt),
        "recovered": str(status.recovered),
        "remaining": str(status.remaining),
        "percent": str(plan.percent),
        "fixed_amount": str(plan.fixed),
        "every": plan.every,
        "floor": str(plan.floor),
        "since": plan.since.isoformat(),
    }


async def _async_set_debt_plan(call: ServiceCall) -> ServiceResponse:
    data = call.data
    terms = DebtPlanTerms(
        **{
            key: data[key]
            for key in ("debt", "reason", "percent", "fixed_amount", "every", "floor")
        }
    )
    status = await set_debt_plan(call.hass, call.context, data[ATTR_DEVICE_ID], terms)
    return debt_plan_data(status) if call.return_response else None


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


def _refused(key: str, **placeholders: str) -> HomeAssistantError:
    return InputRefused(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


async def _bank_format(hass: HomeAssistant, request: BankImport) -> BankFormat:
    """The format asked for, filled from the one saved under the bank's name, and saved."""
    store: Store[dict[str, dict[str, str]]] = Store(hass, 1, BANK_FORMATS_KEY)
    saved = (await store.async_load() or {}) if request.bank else {}
    known = saved.get(request.bank or "", {})
    given = dict(request.columns)
    if "decimal" in given:
        given["decimal"] = DECIMAL_MARKS[given["decimal"]]
    merged = {**known, **given}
    if request.bank and not known and not {"date_column", "amount_column"} <= merged.keys():
        raise _refused("bank_format_unknown", bank=request.bank)
    try:
        fmt = BankFormat.from_dict(
            {"date_column": "", "amount_column": "", "reference_column": "", **merged}
        )
    except BillingError as err:
        raise _refused(err.key, **err.placeholders) from err
    if request.bank and fmt.to_dict() != known:
        await store.async_save({**saved, request.bank: fmt.to_dict()})
    return fmt


def _read_statement(hass: HomeAssistant, name: str, encoding: str) -> str:
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
        raise _refused("bank_file_not_allowed", file=name)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_STATEMENT_BYTES + 1)
    except OSError as err:  # missing, a folder, unreadable
        raise _refused("bank_file_missing", file=name) from err
    try:
        return data[:MAX_STATEMENT_BYTES].decode(encoding)
    except UnicodeDecodeError as err:
        raise _refused("bank_file_undecodable", file=name, encoding=encoding) from err


def _payment_references(
    hass: HomeAssistant,
) -> tuple[dict[str, str], dict[str, tuple[PrepaidPowerConfigEntry, str]]]:
    """Every loaded room's payment reference, by a key naming its gateway and room."""
    references: dict[str, str] = {}
    rooms: dict[str, tuple[PrepaidPowerConfigEntry, str]] = {}
    for entry in _loaded_entries(hass):
        for subentry_id in entry.runtime_data.rooms.rooms:
            subentry = entry.subentries.get(subentry_id)
            reference = "" if subentry is None else subentry.data.get(CONF_PAYMENT_REFERENCE)
            if reference:
                key = f"{entry.entry_id}/{subentry_id}"
                references[key] = str(reference)
                rooms[key] = (entry, subentry_id)
    return references, rooms


def _line_data(line: BankLine) -> dict[str, JsonValueType]:
    return {
        "line": line.number,
        "date": None if line.day is None else line.day.isoformat(),
        "amount": None if line.amount is None else str(line.amount),
        "reference": line.reference,
        "id": line.line_id,
    }


def _book(
    room_id: str, line: BankLine, user: str, core: BillingCore
) -> tuple[TopUp | None, Unmatched | None]:
    return core.import_payment(room_id, line, who=user)


async def import_bank_statement(
    hass: HomeAssistant, context: Context, request: BankImport
) -> BankImportReport:
    """Book each line of a bank statement that names exactly one room's payment reference
    as a top-up of that room (idempotent by the line's id); list the others."""
    await async_require_landlord(hass, context)
    if (request.file is None) == (request.csv is None):
        raise _refused("bank_input_required")
    fmt = await _bank_format(hass, request)
    if request.file is not None:
        text = await hass.async_add_executor_job(_read_statement, hass, request.file, fmt.encoding)
    else:
        text = request.csv or ""
    try:
        lines = parse_statement(text, fmt)
    except BillingError as err:
        raise _refused(err.key, **err.placeholders) from err
    references, rooms = _payment_references(hass)
    matched: list[JsonValueType] = []
    unmatched: list[JsonValueType] = []
    touched: dict[str, PrepaidPowerConfigEntry] = {}
    booked = 0
    for line in lines:
        key, problem = match(line, references)
        if key is not None:
            entry, room_id = rooms[key]
            room = entry.runtime_data.rooms.rooms[room_id]
            top_up, problem = await _run_on(
                entry.runtime_data.rooms, room.name, partial(_book, room_id, line, who(context))
            )
            if top_up is not None:
                matched.append(
                    {
                        **_line_data(line),
                        "room": room.name,
                        "device_id": room.device_id,
                        "entry_id": top_up.entry.entry_id,
                        "created": top_up.created,
                    }
                )
                if top_up.created:
                    booked += 1
                    touched[entry.entry_id] = entry
                continue
        unmatched.append({**_line_data(line), "reason": problem})
    for entry in touched.values():
        entry.runtime_data.rooms.invalidate_totals()
        await entry.runtime_data.coordinator.async_refresh_rooms(context)
    hass.bus.async_fire(
        EVENT_LANDLORD_ACTION,
        {
            "action": SERVICE_IMPORT_BANK_STATEMENT,
            "booked": booked,
            "unmatched": len(unmatched),
        },
        context=context,
    )
    return BankImportReport(matched, unmatched)


async def _async_import_bank_statement(call: ServiceCall) -> ServiceResponse:
    data = call.data
    request = BankImport(
        file=data.get("file"),
        csv=data.get("csv"),
        bank=data.get("bank"),
        columns={name: data[name] for name in BANK_COLUMNS if name in data},
    )
    report = await import_bank_statement(call.hass, call.context, request)
    if not call.return_response:
        return None
    return {"matched": report.matched, "unmatched": report.unmatched}


@callback
def async_setup_money_services(hass: HomeAssistant) -> None:
    """Register the money actions (from `async_setup`, once for all gateways)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SET_DEBT_PLAN,
        _async_set_debt_plan,
        schema=SET_DEBT_PLAN_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_IMPORT_BANK_STATEMENT,
        _async_import_bank_statement,
        schema=IMPORT_BANK_STATEMENT_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
