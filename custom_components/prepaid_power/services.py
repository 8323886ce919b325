"""Landlord actions on the ledger: tenancies, money, tariffs, statements, exports.

Every action is admin-only, names its room by the room's device, validates before anything
is written (the billing core refuses bad input with a translation key) and shows in the
logbook with the user who did it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonValueType

from .access import async_require_landlord, who
from .billing.core import BillingCore
from .billing.errors import BillingError
from .billing.ledger import Entry
from .billing.statement import render_statement, statement_data, write_export
from .compat import InputRefused, vol
from .const import DOMAIN, EVENT_LANDLORD_ACTION, EVENT_TOP_UP, LEDGER_DIR
from .coordinator import PrepaidPowerConfigEntry
from .cycle_end import language_code, statement_language, statement_template
from .rooms import Room, Rooms, current_reading

PAYMENT_METHODS = ["cash", "transfer", "card", "app", "other"]
EXPORT_DIR = "exports"
STATEMENT_DIR = "statements"
# Dates an action accepts (statement cycles, export ranges, tariff starts): far beyond any
# tenancy, and far from the ends of Python's calendar, where converting to UTC overflows.
FIRST_YEAR = 2000
LAST_YEAR = 2999
# Entry ids are SQLite integers.
MAX_ENTRY_ID = 2**63 - 1
TEXT_MAX = 200


def _text(value: Any) -> str:
    """Amounts arrive as numbers or text; the billing core parses them exactly."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise vol.Invalid("expected a number")
    return str(value).strip()


def _short_text(max_length: int = TEXT_MAX) -> Callable[[Any], str]:
    """A free text of bounded length (names, references, reasons)."""
    return vol.All(cv.string, vol.Length(max=max_length))


ROOM: dict[Any, Any] = {vol.Required(ATTR_DEVICE_ID): _short_text()}
SCHEMAS: dict[str, vol.Schema] = {
    "move_in": vol.Schema(
        {
            **ROOM,
            vol.Required("tenant"): vol.All(cv.string, vol.Length(min=1, max=100)),
            vol.Optional("opening_reading"): _text,
            vol.Optional("first_top_up"): _text,
            vol.Optional("method", default="cash"): vol.In(PAYMENT_METHODS),
            vol.Optional("reference"): vol.All(cv.string, vol.Length(min=1, max=100)),
            vol.Optional("allowance_pro_rata"): cv.boolean,
        }
    ),
    "move_out": vol.Schema({**ROOM, vol.Optional("final_reading"): _text}),
    "top_up": vol.Schema(
        {
            **ROOM,
            vol.Required("amount"): _text,
            vol.Optional("method", default="cash"): vol.In(PAYMENT_METHODS),
            vol.Optional("reference"): vol.All(cv.string, vol.Length(min=1, max=100)),
        }
    ),
    "reverse_top_up": vol.Schema(
        {
            **ROOM,
            vol.Required("entry_id"): vol.Coerce(int),
            vol.Optional("reason"): _short_text(),
        }
    ),
    "refund": vol.Schema(
        {**ROOM, vol.Required("amount"): _text, vol.Optional("reason"): _short_text()}
    ),
    "adjust": vol.Schema(
        {
            **ROOM,
            vol.Required("amount"): _text,
            vol.Required("reason"): _short_text(),
            vol.Optional("record_debt", default=False): cv.boolean,
        }
    ),
    "set_tariff": vol.Schema(
        {
            **ROOM,
            vol.Required("tariff"): dict,
            vol.Optional("effective_from"): cv.datetime,
        }
    ),
    "statement": vol.Schema(
        {
            **ROOM,
            vol.Optional("cycle"): cv.date,
            vol.Optional("language"): language_code,
            vol.Optional("save", default=False): cv.boolean,
        }
    ),
    "export_ledger": vol.Schema(
        {
            vol.Optional(ATTR_DEVICE_ID): _short_text(),
            vol.Optional("start"): cv.date,
            vol.Optional("end"): cv.date,
        }
    ),
    "preset_vacant_energy": vol.Schema({**ROOM, vol.Required("kwh"): _text}),
    "pay_debt": vol.Schema(
        {
            **ROOM,
            vol.Required("amount"): _text,
            vol.Optional("method", default="cash"): vol.In(PAYMENT_METHODS),
            vol.Optional("reference"): vol.All(cv.string, vol.Length(min=1, max=100)),
            vol.Optional("tenancy_id"): vol.All(vol.Coerce(int), vol.Range(min=1, max=2**62)),
        }
    ),
}


@dataclass(frozen=True, slots=True)
class Target:
    """The room an action names, with its gateway."""

    entry: PrepaidPowerConfigEntry
    rooms: Rooms
    room: Room


def _loaded_entries(hass: HomeAssistant) -> list[PrepaidPowerConfigEntry]:
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED
    ]


def _target(hass: HomeAssistant, device_id: str) -> Target:
    """The room of a room device among the loaded gateways."""
    for entry in _loaded_entries(hass):
        rooms = entry.runtime_data.rooms
        if (room := rooms.room_of_device(device_id)) is not None:
            return Target(entry, rooms, room)
    device = dr.async_get(hass).async_get(device_id)
    for entry_id in () if device is None else device.config_entries:
        gateway = hass.config_entries.async_get_entry(entry_id)
        if (
            device is not None
            and gateway is not None
            and gateway.domain == DOMAIN
            and gateway.state is not ConfigEntryState.LOADED
        ):
            # Reloading (options changed, a room added) or failing to connect.
            raise InputRefused(
                translation_domain=DOMAIN,
                translation_key="gateway_not_loaded",
                translation_placeholders={
                    "room": device.name_by_user or device.name or device_id,
                    "gateway": gateway.title,
                },
            )
    raise InputRefused(
        translation_domain=DOMAIN,
        translation_key="unknown_room_device",
        translation_placeholders={"device_id": device_id},
    )


def _check_date(field_name: str, day: date | None) -> None:
    """Refuse a date outside the years actions accept."""
    if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InputRefused(
            translation_domain=DOMAIN,
            translation_key="date_out_of_range",
            translation_placeholders={
                "field": field_name,
                "date": day.isoformat(),
                "first": str(FIRST_YEAR),
                "last": str(LAST_YEAR),
            },
        )


async def _run[T](target: Target, call: Callable[[BillingCore], T]) -> T:
    """Run on the room's ledger thread (see `_run_on`)."""
    return await _run_on(target.rooms, target.room.name, call)


async def _run_on[T](rooms: Rooms, name: str, call: Callable[[BillingCore], T]) -> T:
    """Run on a gateway's ledger thread; a refusal becomes a translated validation error."""
    try:
        return await rooms.billing.run(call)
    except BillingError as err:
        raise InputRefused(
            translation_domain=DOMAIN,
            translation_key=err.key,
            translation_placeholders={**err.placeholders, "room": name},
        ) from err


def _file_name(name: str) -> str:
    """A room's or gateway's name as a safe part of a file name."""
    return "".join(c if c.isalnum() else "_" for c in name)


def _current_reading(target: Target) -> str:
    """The room's meter reading now, as the baseline of a move in or out."""
    readings = target.entry.runtime_data.coordinator.data.readings
    reading = current_reading(readings, target.room.slave_id, target.room.energy_key)
    if reading is None:
        raise InputRefused(
            translation_domain=DOMAIN,
            translation_key="meter_unavailable",
            translation_placeholders={"room": target.room.name},
        )
    return str(reading)


def _entry_data(entry: Entry) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id,
        "kind": entry.kind,
        "at": entry.at.isoformat(),
        "amount": str(entry.amount),
        "who": entry.who,
        "why": entry.why,
    }


async def _async_after_money(
    hass: HomeAssistant, target: Target, call: ServiceCall, action: str, **details: object
) -> None:
    """Refresh the room from the last readings (restores supply at once), log the action."""
    target.rooms.invalidate_totals()
    await target.entry.runtime_data.coordinator.async_refresh_rooms(call.context)
    state = target.entry.runtime_data.coordinator.data.rooms.get(target.room.subentry_id)
    balance = None if state is None else state.summary.live_balance
    hass.bus.async_fire(
        EVENT_LANDLORD_ACTION,
        target.rooms.event_data(target.room, balance, action=action, **details),
        context=call.context,
    )


async def _move_in(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    target = _target(hass, call.data[ATTR_DEVICE_ID])
    opening = call.data.get("opening_reading") or _current_reading(target)
    tenancy = await _run(
        target,
        lambda core: core.move_in(
            target.room.subentry_id,
            call.data["tenant"],
            opening,
            who=who(call.context),
            allowance_pro_rata=call.data.get("allowance_pro_rata"),
            first_top_up=call.data.get("first_top_up"),
            method=call.data["method"],
            reference=call.data.get("reference"),
        ),
    )
    await _async_after_money(hass, target, call, "move_in", opening_reading=opening)
    return {"tenancy_id": tenancy.tenancy_id, "opening_reading": str(tenancy.opening_reading)}


async def _move_out(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    target = _target(hass, call.data[ATTR_DEVICE_ID])
    final = call.data.get("final_reading") or _current_reading(target)
    room_id = target.room.subentry_id
    language = statement_language(hass)
    template = await hass.async_add_executor_job(statement_template, hass, language)

    def move_out(core: BillingCore) -> tuple[Any, str, dict[str, Any]]:
        result = core.move_out(room_id, final, who=who(call.context))
        data = statement_data(core, result.tenancy.tenancy_id)
        return result, render_statement(data, language=language, template=template), data

    result, text, data = await _run(target, move_out)
    await _async_after_money(hass, target, call, "move_out", final_reading=final)
    return {
        "tenancy_id": result.tenancy.tenancy_id,
        "refund_owed": str(result.refund_owed),
        "debt": str(result.debt),
        "settlement": None if result.settlement is None else _entry_data(result.settlement),
        "statement": text,
        "statement_data": data,
    }


async def _top_up(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    target = _target(hass, call.data[ATTR_DEVICE_ID])
    entry, created, recovered = await _run(
        target,
        lambda core: core.top_up(
            target.room.subentry_id,
            call.data["amount"],
            method=call.data["method"],
            reference=call.data.get("reference"),
            who=who(call.context),
        ),
    )
    if created:
        # Emergency credit taken earlier was paid back first, in the same transaction.
        await _async_after_money(
            hass, target, call, "top_up", amount=entry.amount, method=entry.method
        )
        state = target.entry.runtime_data.coordinator.data.rooms.get(target.room.subentry_id)
        hass.bus.async_fire(
            EVENT_TOP_UP,
            target.rooms.event_data(
                target.room,
                None if state is None else state.summary.live_balance,
                amount=entry.amount,
                method=entry.method,
                reference=entry.reference,
                emergency_credit_recovered=recovered,
            ),
            context=call.context,
        )
    return {
        **_entry_data(entry),
        "created": created,
        "emergency_credit_recovered": str(recovered),
    }


async def _reverse_top_up(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    target = _target(hass, call.data[ATTR_DEVICE_ID])
    if not 1 <= call.data["entry_id"] <= MAX_ENTRY_ID:
        raise InputRefused(
            translation_domain=DOMAIN,
            translation_key="unknown_entry",
            translation_placeholders={"entry": str(call.data["entry_id"])},
        )
    entry = await _run(
        target,
        lambda core: core.reverse_top_up(
            target.room.subentry_id,
            call.data["entry_id"],
            who=who(call.context),
            why=call.data.get("reason", ""),
        ),
    )
    await _async_after_money(hass, target, call, "reverse_top_up", amount=entry.amount)
    return _entry_data(entry)


async def _refund(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    target = _target(hass, call.data[ATTR_DEVICE_ID])
    entry = await _run(
        target,
        lambda core: core.refund(
            target.room.subentry_id,
            call.data["amount"],
            who=who(call.context),
            why=call.data.get("reason", ""),
        ),
    )
    await _async_after_money(hass, target, call, "refund", amount=entry.amount)
    return _entry_data(entry)


async def _adjust(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    target = _target(hass, call.data[ATTR_DEVICE_ID])
    entry, debt = await _run(
        target,
        lambda core: core.adjust(
            target.room.subentry_id,
            call.data["amount"],
            reason=call.data["reason"],
            who=who(call.context),
            record_debt=call.data["record_debt"],
        ),
    )
    await _async_after_money(
        hass, target, call, "adjust", amount=entry.amount, reason=call.data["reason"]
    )
    return {**_entry_data(entry), "debt_recorded": str(debt)}


async def _pay_debt(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    target = _target(hass, call.data[ATTR_DEVICE_ID])
    entry, created, tenancy, owed = await _run(
        target,
        lambda core: core.pay_debt(
            target.room.subentry_id,
            call.data["amount"],
            method=call.data["method"],
            reference=call.data.get("reference"),
            who=who(call.context),
            tenancy_id=call.data.get("tenancy_id"),
        ),
    )
    if created:
        await _async_after_money(
            hass, target, call, "pay_debt", amount=entry.amount, tenant=tenancy.tenant
        )
    return {
        **_entry_data(entry),
        "created": created,
        "tenancy_id": tenancy.tenancy_id,
        "tenant": tenancy.tenant,
        "debt_owed": str(owed),
    }


async def _set_tariff(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    target = _target(hass, call.data[ATTR_DEVICE_ID])
    effective: datetime | None = call.data.get("effective_from")
    _check_date("effective_from", None if effective is None else effective.date())
    if effective is not None and effective.tzinfo is None:
        effective = effective.replace(tzinfo=dt_util.get_default_time_zone())
    issues = await _run(
        target,
        lambda core: core.set_tariff(
            target.room.subentry_id,
            call.data["tariff"],
            effective_from=effective,
            who=who(call.context),
        ),
    )
    target.rooms.raise_issues(issues)
    await _async_after_money(hass, target, call, "set_tariff", kind=call.data["tariff"].get("kind"))
    return {"effective_from": (effective or dt_util.utcnow()).isoformat()}


async def _statement(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    target = _target(hass, call.data[ATTR_DEVICE_ID])
    room_id = target.room.subentry_id
    cycle: date | None = call.data.get("cycle")
    _check_date("cycle", cycle)
    language = statement_language(hass, call.data.get("language"))
    folder = Path(hass.config.path(LEDGER_DIR, STATEMENT_DIR))
    save = call.data["save"]

    def build(core: BillingCore) -> tuple[dict[str, Any], str, str | None]:
        tenancy = core.tenancy_of(room_id) or max(
            core.ledger.tenancies(room_id), key=lambda t: t.tenancy_id, default=None
        )
        if tenancy is None:
            raise BillingError("room_has_no_tenancy", {"room": room_id})
        key = (
            None
            if cycle is None
            else core.calendar(room_id)
            .cycle_containing(datetime.combine(cycle, time(12), tzinfo=core.tz))
            .key
        )
        if tenancy.moved_out_at is None:
            # A statement shows what was used up to now: post the accrued charges first.
            core.flush(room_id)
        data = statement_data(core, tenancy.tenancy_id, key)
        text = render_statement(
            data, language=language, template=statement_template(hass, language)
        )
        path = None
        if save:
            folder.mkdir(parents=True, exist_ok=True)
            name = _file_name(target.room.name)
            file = folder / f"{name}_{data['cycle']}_{tenancy.tenancy_id}.txt"
            file.write_text(text, encoding="utf-8")
            path = str(file)
        return data, text, path

    data, text, path = await _run(target, build)
    return {"statement": text, "data": data, "path": path}


async def _export_ledger(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    device_id = call.data.get(ATTR_DEVICE_ID)
    # (the gateway's rooms, one room or None for all of them, the name in the file name)
    jobs: list[tuple[Rooms, str | None, str]]
    if device_id is not None:
        target = _target(hass, device_id)
        jobs = [(target.rooms, target.room.subentry_id, target.room.name)]
    else:
        jobs = [(entry.runtime_data.rooms, None, entry.title) for entry in _loaded_entries(hass)]
    tz = dt_util.get_default_time_zone()
    start: date | None = call.data.get("start")
    end: date | None = call.data.get("end")
    _check_date("start", start)
    _check_date("end", end)
    if start is not None and end is not None and end <= start:
        # The end is the day after the last: an empty or reversed range is a mistake.
        raise InputRefused(
            translation_domain=DOMAIN,
            translation_key="export_range_empty",
            translation_placeholders={"start": start.isoformat(), "end": end.isoformat()},
        )
    start_at = None if start is None else datetime.combine(start, time(0), tzinfo=tz)
    end_at = None if end is None else datetime.combine(end, time(0), tzinfo=tz)
    folder = Path(hass.config.path(LEDGER_DIR, EXPORT_DIR))
    stamp = dt_util.now().strftime("%Y%m%d-%H%M%S")
    files: list[JsonValueType] = []
    for rooms, room_id, name in jobs:
        stem = f"ledger_{_file_name(name)}_{stamp}"

        def export(
            core: BillingCore, room_id: str | None = room_id, stem: str = stem
        ) -> tuple[Path, int]:
            return write_export(core, folder, stem, room_id=room_id, start=start_at, end=end_at)

        file, rows = await _run_on(rooms, name, export)
        files.append({"path": str(file), "rows": rows})
    return {"files": files}


async def _preset_vacant_energy(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    target = _target(hass, call.data[ATTR_DEVICE_ID])
    entry = await _run(
        target,
        lambda core: core.preset_vacant_energy(
            target.room.subentry_id, call.data["kwh"], who=who(call.context)
        ),
    )
    await _async_after_money(hass, target, call, "preset_vacant_energy", kwh=entry.kwh)
    return {"entry_id": entry.entry_id, "kwh": str(entry.kwh)}


HANDLERS: dict[str, Callable[[HomeAssistant, ServiceCall], Awaitable[ServiceResponse]]] = {
    "move_in": _move_in,
    "move_out": _move_out,
    "top_up": _top_up,
    "reverse_top_up": _reverse_top_up,
    "refund": _refund,
    "adjust": _adjust,
    "set_tariff": _set_tariff,
    "statement": _statement,
    "export_ledger": _export_ledger,
    "preset_vacant_energy": _preset_vacant_energy,
    "pay_debt": _pay_debt,
}
# Actions whose response carries data the landlord asked for.
RESPONSE_ONLY = {"statement", "export_ledger"}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the landlord actions (once, for all gateways)."""
    for name, handler in HANDLERS.items():

        async def handle(
            call: ServiceCall,
            handler: Callable[[HomeAssistant, ServiceCall], Awaitable[ServiceResponse]] = handler,
        ) -> ServiceResponse:
            await async_require_landlord(hass, call.context)
            response = await handler(hass, call)
            return response if call.return_response else None

        hass.services.async_register(
            DOMAIN,
            name,
            handle,
            schema=SCHEMAS[name],
            supports_response=SupportsResponse.ONLY
            if name in RESPONSE_ONLY
            else SupportsResponse.OPTIONAL,
        )
