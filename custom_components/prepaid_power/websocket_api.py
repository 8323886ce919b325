"""The landlord console's websocket API: `prepaid_power/...` commands, admin only.

Reading commands (rooms, a room's page, its ledger, previews) ask the rooms' last state and
the ledger's pure queries (`billing.history`). Operations go through the integration's own
actions (`_async_operate`), so permissions, validation and translated refusals are the
actions'; a refusal reaches the browser with its translation key and placeholders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Coroutine, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
import re
from typing import Any, Final, TypedDict

from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import WebSocketCommandHandler
from homeassistant.components.websocket_api.decorators import (
    async_response,
    require_admin,
    websocket_command,
)
from homeassistant.components.websocket_api.messages import event_message
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    CALLBACK_TYPE,
    Context,
    HomeAssistant,
    ServiceResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    area_registry as ar,
    config_validation as cv,
    device_registry as dr,
    floor_registry as fr,
    issue_registry as ir,
)
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.util import dt as dt_util

from .billing.core import BillingCore
from .billing.history import (
    HISTORY_DAYS,
    PAGE_MAX,
    cycle_statements,
    daily_history,
    debts_at_cycle_end,
    ledger_page,
    move_out_preview,
    payment_totals,
    payments,
    report_months,
    statement_cycles,
    tariff_preview,
    tenancy_debt,
    top_up_preview,
)
from .billing.ledger import Tenancy
from .billing.statement import (
    LandlordTotals,
    kwh_text,
    landlord_totals,
    render_statement,
    report_cycle,
)
from .compat import InputRefused, vol
from .const import DOMAIN
from .control import SupplyState
from .coordinator import PrepaidPowerConfigEntry
from .cycle_end import language_code, statement_language, statement_template
from .operations import (
    Caller,
    RoomTarget as Target,
    check_date,
    find_room,
    loaded_entries,
    run_on,
)
from .rooms import Room, current_reading, entity_price
from .services import ACTIONS_BY_NAME, amount_text, async_run_action
from .settings import currency_of

PREFIX: Final = f"{DOMAIN}/"
# Sent when a gateway's coordinator starts, so live subscriptions follow reloads.
SIGNAL_GATEWAY_LOADED: Final = f"{DOMAIN}_gateway_loaded"
ISSUE_SUSPECT_READING: Final = "suspect_reading"
PAGE_DEFAULT = 50
# The console's preview of a tariff: the price now and at this local hour (the evening peak).
PREVIEW_HOUR = 19
MONTH_PATTERN: Final = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
# What the month-end statements page shows of each statement's data, besides its text.
STATEMENT_HEADER: Final = (
    "room_id",
    "room",
    "tenancy_id",
    "tenant",
    "cycle",
    "cycle_last_day",
    "closing_balance",
)
# The landlord operations the console offers, each the action of the same name.
OPERATIONS: Final = (
    "top_up",
    "reverse_top_up",
    "refund",
    "adjust",
    "move_in",
    "move_out",
    "set_tariff",
    "preset_vacant_energy",
    "pay_debt",
    "statement",
    "set_supply",
    "grant_grace",
)
OPERATION_SCHEMAS: Final[Mapping[str, vol.Schema]] = {
    name: ACTIONS_BY_NAME[name].schema for name in OPERATIONS
}


class RoomRow(TypedDict):
    """One room as the rooms table shows it."""

    room_id: str
    device_id: str
    entry_id: str
    gateway: str
    name: str
    area: str | None
    floor: str | None
    tenant: str | None
    tenancy_id: int | None
    currency: str
    balance: str | None
    current_price: str | None
    energy_this_cycle_kwh: str | None
    cost_this_cycle: str | None
    days_of_credit_left: str | None
    # The room whose account this room's meter bills to (None: its own account).
    payer: str | None
    supply_state: str | None
    supply_reason: str | None
    supply_detail: str | None
    supply_on: bool | None
    reading_at: str | None
    reading: str | None
    alerts: list[str]


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@callback
def _room_rows(hass: HomeAssistant, entries: list[PrepaidPowerConfigEntry]) -> list[RoomRow]:
    """The rooms of the given gateways, from their last poll cycle (no ledger query)."""
    devices = dr.async_get(hass)
    areas = ar.async_get(hass)
    floors = fr.async_get(hass)
    suspects = {
        issue_id
        for (domain, issue_id) in ir.async_get(hass).issues
        if domain == DOMAIN and issue_id.startswith(ISSUE_SUSPECT_READING)
    }
    rows: list[RoomRow] = []
    for entry in entries:
        data = entry.runtime_data
        readings = data.coordinator.data.readings if data.coordinator.data else {}
        for room in data.rooms.rooms.values():
            state = (
                data.coordinator.data.rooms.get(room.subentry_id) if data.coordinator.data else None
            )
            summary = None if state is None else state.summary
            decision = None if state is None else state.decision
            control = data.coordinator.supply.controls.get(room.subentry_id)
            reading = readings.get(room.slave_id)
            device = devices.async_get(room.device_id)
            area = areas.async_get_area(device.area_id) if device and device.area_id else None
            floor = floors.async_get_floor(area.floor_id) if area and area.floor_id else None
            balance = None if summary is None else summary.live_balance
            alerts = []
            if (decision is not None and decision.state is SupplyState.FAULT) or (
                control is not None and control.fault
            ):
                alerts.append("relay_fault")
            if reading is None or not reading.available:
                alerts.append("meter_offline")
            if any(i.startswith(f"{ISSUE_SUSPECT_READING}_{room.subentry_id}") for i in suspects):
                alerts.append("suspect_reading")
            if balance is not None and balance < 0:
                alerts.append("debt")
            rows.append(
                {
                    "room_id": room.subentry_id,
                    "device_id": room.device_id,
                    "entry_id": entry.entry_id,
                    "gateway": entry.title,
                    "name": (device.name_by_user if device else None) or room.name,
                    "area": None if area is None else area.name,
                    "floor": None if floor is None else floor.name,
                    "tenant": None if state is None else state.tenant,
                    "tenancy_id": None if summary is None else summary.tenancy_id,
                    "currency": data.rooms.currency.code,
                    "balance": _text(balance),
                    "current_price": None if summary is None else _text(summary.current_price),
                    "energy_this_cycle_kwh": None
                    if summary is None
                    else str(summary.energy_this_cycle_kwh),
                    "cost_this_cycle": None if summary is None else str(summary.cost_this_cycle),
                    "days_of_credit_left": None
                    if summary is None
                    else _text(summary.days_of_credit_left),
                    "payer": None if summary is None else summary.payer,
                    "supply_state": None if decision is None else decision.state.value,
                    "supply_reason": None if decision is None else decision.reason.value,
                    "supply_detail": None if decision is None else decision.detail,
                    "supply_on": None if control is None else control.state.observed,
                    "reading_at": None
                    if reading is None or reading.read_at is None
                    else reading.read_at.isoformat(),
                    "reading": _text(current_reading(readings, room.slave_id, room.energy_key)),
                    "alerts": alerts,
                }
            )
    return rows


@callback
def _room_row(hass: HomeAssistant, target: Target) -> RoomRow:
    return next(
        row for row in _room_rows(hass, [target.entry]) if row["room_id"] == target.room.subentry_id
    )


async def _async_operate(
    hass: HomeAssistant,
    connection: ActiveConnection,
    action: str,
    data: dict[str, Any],
) -> ServiceResponse:
    """Run a landlord operation as the connection's user: the operations layer, through the
    action of that name's table row (the same fields and response data as the action)."""
    caller = Caller.of(Context(user_id=connection.user.id))
    return await async_run_action(hass, ACTIONS_BY_NAME[action], caller, data)


type Handler = Callable[
    [HomeAssistant, ActiveConnection, dict[str, Any]],
    Coroutine[Any, Any, None],
]


def _command(schema: dict[Any, Any], handler: Handler) -> WebSocketCommandHandler:
    """An admin-only command: HA refuses a non-admin with `unauthorized` before it runs."""

    async def translated(
        hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
    ) -> None:
        try:
            await handler(hass, connection, msg)
        except ServiceValidationError as err:
            if err.translation_key is None:
                raise
            # Before HA 2026.9 a refusal is also invalid data (compat.InputRefused), which
            # the websocket would answer as a bare schema error without its translation.
            raise ServiceValidationError(
                translation_domain=err.translation_domain,
                translation_key=err.translation_key,
                translation_placeholders=err.translation_placeholders,
            ) from err

    return websocket_command(schema)(require_admin(async_response(translated)))


def _args(msg: dict[str, Any]) -> dict[str, Any]:
    """A command's data without the websocket envelope."""
    return {key: value for key, value in msg.items() if key not in {"id", "type"}}


async def _rooms(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    connection.send_result(
        msg["id"],
        {"now": dt_util.utcnow().isoformat(), "rooms": _room_rows(hass, loaded_entries(hass))},
    )


async def _subscribe_rooms(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Every room now, then the rows that changed after each poll or operation."""
    sent: dict[str, RoomRow] = {}
    listening: dict[str, CALLBACK_TYPE] = {}

    @callback
    def push(entry: PrepaidPowerConfigEntry) -> None:
        changed = [row for row in _room_rows(hass, [entry]) if sent.get(row["room_id"]) != row]
        for row in changed:
            sent[row["room_id"]] = row
        if changed:
            connection.send_message(
                event_message(msg["id"], {"now": dt_util.utcnow().isoformat(), "rooms": changed})
            )

    @callback
    def follow() -> None:
        for entry in loaded_entries(hass):
            coordinator = entry.runtime_data.coordinator
            key = f"{entry.entry_id}:{id(coordinator)}"
            if key not in listening:
                listening[key] = coordinator.async_add_listener(partial(push, entry))
                push(entry)

    unsub_loaded = async_dispatcher_connect(hass, SIGNAL_GATEWAY_LOADED, follow)

    @callback
    def unsubscribe() -> None:
        unsub_loaded()
        for unsub in listening.values():
            unsub()

    connection.subscriptions[msg["id"]] = unsubscribe
    connection.send_result(msg["id"])
    follow()


async def _room(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """A room's page: its row, summary, tariff, ledger (first page), statements, usage, and
    the tenancy's debt with its recovery plan."""
    target = find_room(hass, msg[ATTR_DEVICE_ID])
    room = target.room
    days: int = msg["days"]
    limit: int = msg["limit"]

    def page(core: BillingCore) -> dict[str, Any]:
        tenancy = _tenancy(core, room)
        account = core.account_of(room.subentry_id) if tenancy is None else tenancy.account_id
        now = core.now()
        version = next(
            (
                v
                for v in reversed(core.tariff_versions(room.subentry_id))
                if v.effective_from <= now
            ),
            None,
        )
        upcoming = [v for v in core.tariff_versions(room.subentry_id) if v.effective_from > now]
        return {
            "tenancy": None if tenancy is None else _tenancy_data(tenancy),
            "debt": None if tenancy is None else tenancy_debt(core, tenancy),
            "tariff": None if version is None else version.to_dict(),
            "tariff_from": None if version is None else version.effective_from.isoformat(),
            "upcoming_tariffs": [
                {"effective_from": v.effective_from.isoformat(), "tariff": v.to_dict()}
                for v in upcoming
            ],
            "ledger": ledger_page(core, account, 0, limit),
            "statements": [] if tenancy is None else statement_cycles(core, tenancy),
            "history": daily_history(core, room.subentry_id, days),
        }

    result = await target.run(page)
    connection.send_result(msg["id"], {"room": _room_row(hass, target), **result})


def _tenancy(core: BillingCore, room: Room, tenancy_id: int | None = None) -> Tenancy | None:
    """The room's open tenancy, else its latest (or the one asked for)."""
    tenancies = core.ledger.tenancies(room.subentry_id)
    if tenancy_id is not None:
        return next((t for t in tenancies if t.tenancy_id == tenancy_id), None)
    return core.tenancy_of(room.subentry_id) or max(
        tenancies, key=lambda t: t.tenancy_id, default=None
    )


def _tenancy_data(tenancy: Tenancy) -> dict[str, Any]:
    return {
        "tenancy_id": tenancy.tenancy_id,
        "tenant": tenancy.tenant,
        "moved_in_at": tenancy.moved_in_at.isoformat(),
        "moved_out_at": None if tenancy.moved_out_at is None else tenancy.moved_out_at.isoformat(),
        "opening_reading": str(tenancy.opening_reading),
    }


async def _ledger(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """A page of a tenancy's ledger (default: the room's open or latest tenancy)."""
    target = find_room(hass, msg[ATTR_DEVICE_ID])

    def page(core: BillingCore) -> dict[str, Any]:
        tenancy = _tenancy(core, target.room, msg.get("tenancy_id"))
        account = (
            core.account_of(target.room.subentry_id) if tenancy is None else tenancy.account_id
        )
        return ledger_page(core, account, msg["offset"], msg["limit"])

    connection.send_result(msg["id"], await target.run(page))


async def _preview_top_up(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    target = find_room(hass, msg[ATTR_DEVICE_ID])
    result = await target.run(
        lambda core: top_up_preview(
            core, target.room.subentry_id, msg["amount"], msg.get("reference")
        ),
    )
    connection.send_result(msg["id"], result)


async def _preview_move_out(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """The move-out's settlement and closing statement, by the move-out itself run dry."""
    target = find_room(hass, msg[ATTR_DEVICE_ID])
    final = msg.get("final_reading") or target.reading_now()
    result = await target.run(lambda core: move_out_preview(core, target.room.subentry_id, final))
    connection.send_result(msg["id"], result)


async def _preview_set_tariff(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """The tariff's price now and at 19:00 (today, or tomorrow once it is past)."""
    target = find_room(hass, msg[ATTR_DEVICE_ID])
    now = dt_util.now()
    evening = datetime.combine(now.date(), time(PREVIEW_HOUR), tzinfo=now.tzinfo)
    if evening <= now:
        evening += timedelta(days=1)
    tariff = msg["tariff"]
    # From an entity: its price now (None: none usable; the guard's top is charged then).
    entity_id = tariff.get("entity_id") if tariff.get("kind") == "entity" else None
    sampled = (
        entity_price(hass.states.get(entity_id), target.rooms.currency)
        if isinstance(entity_id, str)
        else None
    )
    prices = await target.run(
        lambda core: tariff_preview(
            core, target.room.subentry_id, tariff, (now, evening), sampled_price=sampled
        ),
    )
    connection.send_result(
        msg["id"],
        {
            "now": prices[0],
            "evening": prices[1],
            "sampled": None if sampled is None else str(sampled),
        },
    )


async def async_payments(hass: HomeAssistant, start: date, end: date) -> dict[str, Any]:
    """Every top-up of every gateway's rooms from `start` up to the day before `end`, with
    the totals per payment method."""
    check_date("start", start)
    check_date("end", end)
    if end <= start:
        raise InputRefused(
            translation_domain=DOMAIN,
            translation_key="export_range_empty",
            translation_placeholders={"start": start.isoformat(), "end": end.isoformat()},
        )
    tz = dt_util.get_default_time_zone()
    start_at = datetime.combine(start, time(0), tzinfo=tz)
    end_at = datetime.combine(end, time(0), tzinfo=tz)
    found: list[dict[str, Any]] = []
    for entry in loaded_entries(hass):
        rows = await run_on(
            entry.runtime_data.rooms, lambda core: payments(core, start_at, end_at), entry.title
        )
        found += [{**row, "gateway": entry.title} for row in rows]
    found.sort(key=lambda row: row["at"])
    return {
        "currency": currency_of(hass.config.currency).code,
        "payments": found,
        "totals": payment_totals(found, currency_of(hass.config.currency)),
    }


async def _payments(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    connection.send_result(msg["id"], await async_payments(hass, msg["start"], msg["end"]))


def _month(value: Any) -> date:
    """A report's month, "2026-11" (its day: the 1st)."""
    text = cv.string(value)
    if not MONTH_PATTERN.fullmatch(text):
        raise vol.Invalid("expected a month such as 2026-11")
    return date.fromisoformat(f"{text}-01")


async def _report(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Income, energy and charges per room and for the building in each room's cycle
    containing now, or starting in the `month` asked for; each room's debt when that cycle
    ended; the debt outstanding now; how many rooms are in each supply state now; and the
    months that can be asked for."""
    month: date | None = msg.get("month")
    check_date("month", month)
    sums = dict.fromkeys(
        ("income", "charged", "outstanding_debt", "debt_owed_after_move_out"), Decimal(0)
    )
    energy = Decimal(0)
    rooms: list[dict[str, Any]] = []
    months: set[str] = set()
    entries = loaded_entries(hass)
    for entry in entries:

        def figures(core: BillingCore) -> tuple[LandlordTotals, dict[str, Decimal], list[str]]:
            totals = landlord_totals(core, month=month)
            return totals, debts_at_cycle_end(core, totals), report_months(core)

        totals, debts, known = await run_on(entry.runtime_data.rooms, figures, entry.title)
        months.update(known)
        for key in sums:
            sums[key] += getattr(totals, key)
        energy += totals.energy_kwh
        names = {room_id: room.name for room_id, room in entry.runtime_data.rooms.rooms.items()}
        money = entry.runtime_data.rooms.currency.format
        rooms += [
            {
                "room_id": room_id,
                "room": names.get(room_id, room_id),
                "gateway": entry.title,
                "cycle": row.cycle,
                "income": money(row.income),
                "energy_kwh": kwh_text(row.energy_kwh),
                "charged": money(row.charged),
                "debt": money(debts[room_id]),
            }
            for room_id, row in totals.rooms.items()
        ]
    currency = currency_of(hass.config.currency)
    states = Counter(row["supply_state"] or "unknown" for row in _room_rows(hass, entries))
    connection.send_result(
        msg["id"],
        {
            "month": None if month is None else month.isoformat()[:7],
            "months": sorted(months, reverse=True),
            "currency": currency.code,
            **{key: currency.format(value) for key, value in sums.items()},
            "energy_kwh": kwh_text(energy),
            "rooms": sorted(rooms, key=lambda row: (row["gateway"], row["room"])),
            "supply_states": dict(sorted(states.items())),
        },
    )


async def _statements(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """The month-end statements of all rooms: every tenancy's statement for its room's
    cycle starting in `month` (accrued usage posted first while that cycle runs)."""
    month: date = msg["month"]
    check_date("month", month)
    language = statement_language(hass, msg.get("language"))
    template = await hass.async_add_executor_job(statement_template, hass, language)
    found: list[dict[str, Any]] = []
    for entry in loaded_entries(hass):

        def build(core: BillingCore) -> list[dict[str, Any]]:
            now = core.now()
            for room_id in core.room_ids():
                if core.tenancy_of(room_id) and report_cycle(core, room_id, month).end > now:
                    core.flush(room_id)
            return [
                {
                    **{key: data[key] for key in STATEMENT_HEADER},
                    "text": render_statement(data, language=language, template=template),
                }
                for data in cycle_statements(core, month)
            ]

        found += [
            {**row, "gateway": entry.title}
            for row in await run_on(entry.runtime_data.rooms, build, entry.title)
        ]
    connection.send_result(
        msg["id"],
        {
            "month": month.isoformat()[:7],
            "language": language,
            "statements": sorted(found, key=lambda row: (row["gateway"], row["room"])),
        },
    )


def _operation(action: str) -> Handler:
    async def handle(
        hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
    ) -> None:
        response = await _async_operate(hass, connection, action, _args(msg))
        target = find_room(hass, msg[ATTR_DEVICE_ID])
        connection.send_result(msg["id"], {"result": response, "room": _room_row(hass, target)})

    return handle


async def _create_dashboards(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """*Create dashboards*: the action's operation and response data."""
    connection.send_result(
        msg["id"], await _async_operate(hass, connection, "create_dashboards", _args(msg))
    )


DEVICE: Final = {vol.Required(ATTR_DEVICE_ID): cv.string}


@callback
def async_setup_websocket_api(hass: HomeAssistant) -> None:
    """Register the console's commands (once, from `async_setup`)."""
    commands: list[tuple[dict[Any, Any], Handler]] = [
        ({vol.Required("type"): f"{PREFIX}rooms"}, _rooms),
        ({vol.Required("type"): f"{PREFIX}rooms/subscribe"}, _subscribe_rooms),
        ({vol.Required("type"): f"{PREFIX}report", vol.Optional("month"): _month}, _report),
        (
            {
                vol.Required("type"): f"{PREFIX}statements",
                vol.Required("month"): _month,
                vol.Optional("language"): language_code,
            },
            _statements,
        ),
        (
            {
                vol.Required("type"): f"{PREFIX}room",
                **DEVICE,
                vol.Optional("days", default=HISTORY_DAYS[0]): vol.In(HISTORY_DAYS),
                vol.Optional("limit", default=PAGE_DEFAULT): vol.All(
                    int, vol.Range(min=1, max=PAGE_MAX)
                ),
            },
            _room,
        ),
        (
            {
                vol.Required("type"): f"{PREFIX}ledger",
                **DEVICE,
                vol.Optional("tenancy_id"): vol.All(int, vol.Range(min=1, max=2**62)),
                vol.Optional("offset", default=0): vol.All(int, vol.Range(min=0, max=2**62)),
                vol.Optional("limit", default=PAGE_DEFAULT): vol.All(
                    int, vol.Range(min=1, max=PAGE_MAX)
                ),
            },
            _ledger,
        ),
        (
            {
                vol.Required("type"): f"{PREFIX}top_up/preview",
                **DEVICE,
                vol.Required("amount"): amount_text,
                vol.Optional("reference"): vol.All(cv.string, vol.Length(min=1, max=100)),
            },
            _preview_top_up,
        ),
        (
            {
                vol.Required("type"): f"{PREFIX}move_out/preview",
                **DEVICE,
                vol.Optional("final_reading"): amount_text,
            },
            _preview_move_out,
        ),
        (
            {
                vol.Required("type"): f"{PREFIX}payments",
                vol.Required("start"): cv.date,
                vol.Required("end"): cv.date,
            },
            _payments,
        ),
        (
            {
                vol.Required("type"): f"{PREFIX}set_tariff/preview",
                **DEVICE,
                vol.Required("tariff"): dict,
            },
            _preview_set_tariff,
        ),
        (
            {
                vol.Required("type"): f"{PREFIX}create_dashboards",
                **ACTIONS_BY_NAME["create_dashboards"].schema.schema,
            },
            _create_dashboards,
        ),
    ]
    commands += [
        ({vol.Required("type"): f"{PREFIX}{action}", **schema.schema}, _operation(action))
        for action, schema in OPERATION_SCHEMAS.items()
    ]
    for schema, handler in commands:
        async_register_command(hass, _command(schema, handler))
