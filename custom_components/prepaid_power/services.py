"""The actions (`prepaid_power.*`), declared as data: one table of name, schema, operation
and response mode, registered in one place.

Each action only turns its call into an operation's typed arguments and the operation's
typed result into response data; the operation (`operations.py`) checks who may call it,
validates before anything is written, and refuses with a translated error. Every action
names its room by the room's device and shows in the logbook with the user who did it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.util.json import JsonValueType

from . import operations as op
from .bank_import import DECIMAL_MARKS, MAX_STATEMENT_BYTES, BankImportReport
from .billing.bank import ENCODINGS
from .billing.core import Adjustment, DebtPayment, DebtPlanStatus, TopUp
from .billing.ledger import PAYMENT_METHODS, Entry, Tenancy
from .billing.recovery import RECOVERY_EVERY
from .compat import vol
from .const import DOMAIN
from .control import SupplyCommand
from .cycle_end import language_code
from .dashboard import (
    DASHBOARD_PATH_MAX,
    DASHBOARD_PATH_PATTERN,
    DEFAULT_DASHBOARD_PATH,
    KIND_BOTH,
    KINDS,
    svg_data_uri,
)
from .dashboard_storage import DashboardChoice

TEXT_MAX = 200


def amount_text(value: Any) -> str:
    """Amounts arrive as numbers or text; the billing core parses them exactly."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise vol.Invalid("expected a number")
    return str(value).strip()


def _short_text(max_length: int = TEXT_MAX) -> Callable[[Any], str]:
    """A free text of bounded length (names, references, reasons)."""
    return vol.All(cv.string, vol.Length(max=max_length))


def _grace(value: Any) -> timedelta:
    """A positive duration (its upper bound is the operation's, with a translated refusal)."""
    try:
        duration: timedelta = cv.positive_time_period(value)
    except OverflowError as err:
        raise vol.Invalid(f"duration too long: at most {op.MAX_GRACE.days} days") from err
    return duration


ROOM: dict[Any, Any] = {vol.Required(ATTR_DEVICE_ID): _short_text()}
METHOD: dict[Any, Any] = {vol.Optional("method", default="cash"): vol.In(PAYMENT_METHODS)}
REFERENCE: dict[Any, Any] = {
    vol.Optional("reference"): vol.All(cv.string, vol.Length(min=1, max=100))
}


def _entry_data(entry: Entry) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id,
        "kind": entry.kind,
        "at": entry.at.isoformat(),
        "amount": str(entry.amount),
        "who": entry.who,
        "why": entry.why,
    }


def _no_response(_result: object) -> ServiceResponse:
    return None


@dataclass(frozen=True, slots=True)
class Action:
    """One action: its schema, the operation it calls, and what it answers.

    The call's fields are the operation's keyword arguments, by the same names; a room's
    action passes its `device_id` first (the operation looks the room up).
    """

    name: str
    schema: vol.Schema
    # Operations differ in arguments and results: the table holds them all.
    operation: Callable[..., Awaitable[Any]]
    respond: Callable[[Any], ServiceResponse] = _no_response
    # ONLY: the response is what the landlord asked for; OPTIONAL: a receipt; NONE: nothing.
    response: SupportsResponse = SupportsResponse.OPTIONAL
    room: bool = True


def _moved_in(tenancy: Tenancy) -> ServiceResponse:
    return {"tenancy_id": tenancy.tenancy_id, "opening_reading": str(tenancy.opening_reading)}


def _moved_out(moved_out: op.MoveOut) -> ServiceResponse:
    result = moved_out.result
    return {
        "tenancy_id": result.tenancy.tenancy_id,
        "refund_owed": str(result.refund_owed),
        "debt": str(result.debt),
        "settlement": None if result.settlement is None else _entry_data(result.settlement),
        "statement": moved_out.statement,
        "statement_data": moved_out.statement_data,
    }


def _topped_up(paid: TopUp) -> ServiceResponse:
    return {
        **_entry_data(paid.entry),
        "created": paid.created,
        "emergency_credit_recovered": str(paid.recovered),
        "debt_recovered": str(paid.debt_recovered),
    }


def _adjusted(adjustment: Adjustment) -> ServiceResponse:
    return {**_entry_data(adjustment.entry), "debt_recorded": str(adjustment.debt)}


def _debt_paid(payment: DebtPayment) -> ServiceResponse:
    return {
        **_entry_data(payment.entry),
        "created": payment.created,
        "tenancy_id": payment.tenancy.tenancy_id,
        "tenant": payment.tenancy.tenant,
        "debt_owed": str(payment.owed),
    }


def _debt_plan(status: DebtPlanStatus) -> ServiceResponse:
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


def _bank_imported(report: BankImportReport) -> ServiceResponse:
    return {"matched": report.matched, "unmatched": report.unmatched}


def _tariff_set(effective_from: datetime) -> ServiceResponse:
    return {"effective_from": effective_from.isoformat()}


def _statement_made(made: op.Statement) -> ServiceResponse:
    return {
        "statement": made.text,
        "data": made.data,
        "path": None if made.path is None else str(made.path),
    }


def _exported(exported: list[op.ExportedFile]) -> ServiceResponse:
    files: list[JsonValueType] = [{"path": str(file.path), "rows": file.rows} for file in exported]
    return {"files": files}


def _preset(entry: Entry) -> ServiceResponse:
    return {"entry_id": entry.entry_id, "kwh": str(entry.kwh)}


def _dashboard_made(made: op.GeneratedDashboard) -> ServiceResponse:
    return {
        "yaml": made.dashboard.yaml,
        "config": made.dashboard.config,
        "rooms": {
            key: {
                "device_id": room.device_id,
                "view_path": room.view_path,
                "url": room.url,
                "qr_svg_data_uri": svg_data_uri(made.dashboard.qr_svg[room.device_id]),
            }
            for key, room in made.rooms.items()
        },
    }


def _created_dashboards(made: op.CreatedDashboards) -> ServiceResponse:
    rooms: dict[str, JsonValueType] = {
        key: {
            "device_id": room.device_id,
            "view_path": room.view_path,
            "url": room.url,
            "portal_url": room.portal_url,
            "qr_url": room.qr_url,
            "qr_svg_data_uri": svg_data_uri(made.qr_svg[room.device_id]),
        }
        for key, room in made.rooms.items()
    }
    dashboards: list[JsonValueType] = [
        {
            "url_path": saved.url_path,
            "kind": saved.kind,
            "created": saved.created,
            "views": saved.views,
        }
        for saved in made.dashboards
    ]
    return {"dashboards": dashboards, "rooms": rooms}


DASHBOARD_PATH: Any = vol.All(
    cv.string, vol.Length(max=DASHBOARD_PATH_MAX), vol.Match(DASHBOARD_PATH_PATTERN)
)
DASHBOARD_CHOICE: Any = vol.All(
    vol.Schema(
        {
            vol.Required("kind"): vol.In(KINDS),
            vol.Required("url_path"): DASHBOARD_PATH,
            vol.Optional("title"): vol.All(cv.string, vol.Length(min=1, max=100)),
            vol.Optional("icon"): cv.icon,
            vol.Optional("show_in_sidebar", default=True): cv.boolean,
            vol.Optional("require_admin"): cv.boolean,
        }
    ),
    lambda fields: DashboardChoice(**fields),
)
ROOMS: dict[Any, Any] = {
    vol.Optional(ATTR_DEVICE_ID, default=list): vol.All(cv.ensure_list, [cv.string])
}

ACTIONS: tuple[Action, ...] = (
    Action(
        "move_in",
        vol.Schema(
            {
                **ROOM,
                vol.Required("tenant"): vol.All(cv.string, vol.Length(min=1, max=100)),
                vol.Optional("opening_reading"): amount_text,
                vol.Optional("first_top_up"): amount_text,
                **METHOD,
                **REFERENCE,
                vol.Optional("allowance_pro_rata"): cv.boolean,
            }
        ),
        op.move_in,
        _moved_in,
    ),
    Action(
        "move_out",
        vol.Schema({**ROOM, vol.Optional("final_reading"): amount_text}),
        op.move_out,
        _moved_out,
    ),
    Action(
        "top_up",
        vol.Schema(
            {
                **ROOM,
                vol.Required("amount"): amount_text,
                **METHOD,
                **REFERENCE,
                # Its bounds are the operation's, with a translated refusal.
                vol.Optional("note"): cv.string,
            }
        ),
        op.top_up,
        _topped_up,
    ),
    Action(
        "reverse_top_up",
        vol.Schema(
            {
                **ROOM,
                vol.Required("entry_id"): vol.Coerce(int),
                vol.Optional("reason"): _short_text(),
            }
        ),
        op.reverse_top_up,
        _entry_data,
    ),
    Action(
        "refund",
        vol.Schema(
            {**ROOM, vol.Required("amount"): amount_text, vol.Optional("reason"): _short_text()}
        ),
        op.refund,
        _entry_data,
    ),
    Action(
        "adjust",
        vol.Schema(
            {
                **ROOM,
                vol.Required("amount"): amount_text,
                vol.Required("reason"): _short_text(),
                vol.Optional("record_debt", default=False): cv.boolean,
            }
        ),
        op.adjust,
        _adjusted,
    ),
    Action(
        "set_tariff",
        vol.Schema(
            {**ROOM, vol.Required("tariff"): dict, vol.Optional("effective_from"): cv.datetime}
        ),
        op.set_tariff,
        _tariff_set,
    ),
    Action(
        "statement",
        vol.Schema(
            {
                **ROOM,
                vol.Optional("cycle"): cv.date,
                vol.Optional("language"): language_code,
                vol.Optional("save", default=False): cv.boolean,
            }
        ),
        op.statement,
        _statement_made,
        SupportsResponse.ONLY,
    ),
    Action(
        "export_ledger",
        vol.Schema(
            {
                vol.Optional(ATTR_DEVICE_ID): _short_text(),
                vol.Optional("start"): cv.date,
                vol.Optional("end"): cv.date,
            }
        ),
        op.export_ledger,
        _exported,
        SupportsResponse.ONLY,
        room=False,
    ),
    Action(
        "preset_vacant_energy",
        vol.Schema({**ROOM, vol.Required("kwh"): amount_text}),
        op.preset_vacant_energy,
        _preset,
    ),
    Action(
        "pay_debt",
        vol.Schema(
            {
                **ROOM,
                vol.Required("amount"): amount_text,
                **METHOD,
                **REFERENCE,
                vol.Optional("tenancy_id"): vol.All(vol.Coerce(int), vol.Range(min=1, max=2**62)),
            }
        ),
        op.pay_debt,
        _debt_paid,
    ),
    Action(
        "set_debt_plan",
        vol.Schema(
            {
                **ROOM,
                vol.Optional("debt", default="0"): amount_text,
                vol.Optional("reason", default=""): _short_text(),
                vol.Optional("percent", default="0"): amount_text,
                vol.Optional("fixed_amount", default="0"): amount_text,
                vol.Optional("every", default="day"): vol.In(RECOVERY_EVERY),
                vol.Optional("floor", default="0"): amount_text,
            }
        ),
        op.set_debt_plan,
        _debt_plan,
    ),
    Action(
        "import_bank_statement",
        vol.Schema(
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
        ),
        op.import_bank_statement,
        _bank_imported,
        room=False,
    ),
    Action(
        "set_supply",
        vol.Schema(
            {
                **ROOM,
                vol.Required("state"): vol.All(
                    vol.In([command.value for command in SupplyCommand]), vol.Coerce(SupplyCommand)
                ),
                vol.Optional("reason", default=""): _short_text(),
            }
        ),
        op.set_supply,
        response=SupportsResponse.NONE,
    ),
    Action(
        "grant_grace",
        vol.Schema({**ROOM, vol.Required("duration"): _grace}),
        op.grant_grace,
        response=SupportsResponse.NONE,
    ),
    Action(
        "dashboard_yaml",
        vol.Schema(
            {
                **ROOMS,
                vol.Optional("kind", default=KIND_BOTH): vol.In(KINDS),
                vol.Optional("dashboard_path", default=DEFAULT_DASHBOARD_PATH): DASHBOARD_PATH,
                vol.Optional("base_url"): cv.url,
            }
        ),
        op.dashboard_yaml,
        _dashboard_made,
        SupportsResponse.ONLY,
        room=False,
    ),
    Action(
        "create_dashboards",
        vol.Schema(
            {
                **ROOMS,
                vol.Optional("dashboards"): vol.All(
                    cv.ensure_list, vol.Length(min=1, max=4), [DASHBOARD_CHOICE]
                ),
                vol.Optional("portal_links_in_qr", default=False): cv.boolean,
                vol.Optional("overwrite", default=False): cv.boolean,
                vol.Optional("base_url"): cv.url,
            }
        ),
        op.create_dashboards,
        _created_dashboards,
        room=False,
    ),
)


# The actions by name (the console's websocket commands run the same ones).
ACTIONS_BY_NAME: dict[str, Action] = {action.name: action for action in ACTIONS}


async def async_run_action(
    hass: HomeAssistant, action: Action, caller: op.Caller, data: Mapping[str, Any]
) -> ServiceResponse:
    """Run an action's operation with the call's (validated) fields; its response data."""
    arguments = dict(data)
    if action.room:
        result = await action.operation(hass, caller, arguments.pop(ATTR_DEVICE_ID), **arguments)
    else:
        result = await action.operation(hass, caller, **arguments)
    return action.respond(result)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action (once, for all gateways: they find their room by its device)."""
    for action in ACTIONS:

        async def handle(call: ServiceCall, action: Action = action) -> ServiceResponse:
            response = await async_run_action(hass, action, op.Caller.of(call.context), call.data)
            return response if call.return_response else None

        hass.services.async_register(
            DOMAIN,
            action.name,
            handle,
            schema=action.schema,
            supports_response=action.response,
        )
