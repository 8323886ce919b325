"""The operations layer: every landlord and tenant operation, one typed async function each.

Every front end calls these and holds no rule of its own: the actions (`services.py`), the
entities (switches, numbers, buttons), and later the landlord console's websocket API and
the tenant portal's HTTP view.

Calling one::

    from .operations import Caller, top_up

    caller = Caller.of(context)  # the HA context of the call: its user is checked
    result = await top_up(hass, caller, device_id, "20.00", method="cash")
    result.entry.amount  # Decimal("20.00")

- Arguments: `hass`, then the `Caller`, then, for a room's operation, the room's device id
  (the room device's id in HA's device registry), then the operation's own arguments, typed.
  Amounts, prices and readings are `Decimal` or text (the billing core parses text exactly;
  never pass a float you computed). The time of an operation is now.
- `Caller.of(context)`: an HA user, or an automation, script or the system (no user: acts
  for the landlord who wrote it, unless a user started that run, see `access`).
  `Caller.without_account(who)`: someone with no HA account behind the call (the tenant
  portal's token link): only tenant-safe operations; `who` is what the ledger records.
- Result: a typed value (the billing core's `Entry`, `Tenancy`, `TopUp`, ... or a frozen
  dataclass of this module), never JSON; a front end formats it (`services.py` turns them
  into the actions' response data).
- Permission: `PERMISSIONS[name]` says `LANDLORD` (admin users, automations, the system)
  or `TENANT` (anyone: the supply policy decides whether the operation applies; a room that
  names its tenants as HA users lets only them, admins and callers without an account — the
  portal's token link is the room's own — operate it). It is checked first, before anything
  is read; the room's named tenants right after the room is looked up.
- Raises, and then nothing was written:
  - `access.LandlordOnly` (HA's `Unauthorized`; translation key `landlord_only`): a
    landlord-only operation called by a non-admin user or a caller without an account.
  - `compat.InputRefused` (HA's `ServiceValidationError`), translated: translation domain
    `prepaid_power`, a key of the translations' `exceptions`, placeholders naming the room:
    an unknown room device, a gateway that is not loaded, bad input, or an operation the
    room's state does not allow (the billing core's `BillingError`, the supply policy's
    `SupplyOperationError`, the settings' `SettingsError`, all mapped by `refusals`).
  - `HomeAssistantError`, translated, for what is not the input's fault (a bus scan fails).
- After money moved, the room is billed and decided again from the last readings at once
  (a top-up restores the supply without waiting for a poll), the landlord totals are
  recomputed, and the logbook shows the operation with its user.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial, wraps
from pathlib import Path
import secrets
from typing import Any, Concatenate, Final, Literal
import unicodedata

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonValueType
import segno

from .access import LandlordOnly, async_require_landlord, async_require_room_tenant, who
from .bank_import import (
    BankImport,
    BankImportReport,
    async_bank_format,
    line_data,
    payment_references,
    read_statement,
    refused as bank_refused,
)
from .billing.bank import BankLine, Unmatched, match, parse_statement
from .billing.core import (
    Adjustment,
    BillingCore,
    DebtPayment,
    DebtPlanStatus,
    MoveOutResult,
    TopUp,
)
from .billing.errors import BillingError
from .billing.ledger import Entry, Tenancy
from .billing.money import Number
from .billing.statement import render_statement, statement_data, write_export
from .bus.errors import BusError
from .bus.scan import FoundMeter, model_corrections, scan_bus
from .compat import InputRefused
from .config_flow import meters_data, model_issue_id
from .const import (
    CONF_FIRST_ID,
    CONF_LAST_ID,
    CONF_METERS,
    CONF_PROFILE,
    CONF_SLAVE_ID,
    CONF_SUPPLY,
    DEFAULT_FIRST_ID,
    DEFAULT_LAST_ID,
    DOMAIN,
    EVENT_LANDLORD_ACTION,
    EVENT_TOP_UP,
    ISSUE_MODEL_CHANGE,
    LEDGER_DIR,
    LOGGER,
    SCAN_TIMEOUT_S,
)
from .control import (
    SupplyCommand,
    SupplyMemory,
    SupplyOperationError,
    grant_grace as grace_granted,
    restore_after_warning as warning_cut_undone,
    set_protected as protection_set,
    set_supply as supply_set,
    take_emergency_credit,
)
from .coordinator import GatewayCoordinator, PrepaidPowerConfigEntry
from .cycle_end import statement_language, statement_template
from .dashboard import (
    DEFAULT_DASHBOARD_PATH,
    KIND_BOTH,
    KIND_LANDLORD,
    KIND_TENANT,
    LANDLORD_DASHBOARD_PATH,
    Dashboard,
    GatewayPlan,
    RoomPlan,
    build_dashboard,
    entities_by_key,
    room_keys,
    room_qr,
    room_url,
    texts_for,
    view_paths,
)
from .dashboard_storage import (
    DashboardChoice,
    SavedDashboard,
    async_check_dashboard,
    async_save_dashboard,
)
from .portal_links import (
    ROOM_PATH,
    TOKEN_BYTES as PORTAL_TOKEN_BYTES,
    PortalLink,
    async_end_kiosk_link,
    async_end_room_link,
    async_new_kiosk_link,
    async_new_room_link,
)
from .rooms import Room, Rooms, current_reading
from .settings import SettingsError, with_threshold

type Permission = Literal["landlord", "tenant"]
LANDLORD: Final[Permission] = "landlord"
TENANT: Final[Permission] = "tenant"
# Every operation's permission, by the operation's name (filled by the decorators below).
PERMISSIONS: dict[str, Permission] = {}

EXPORT_DIR: Final = "exports"
STATEMENT_DIR: Final = "statements"
# Dates an operation accepts (statement cycles, export ranges, tariff starts): far beyond any
# tenancy, and far from the ends of Python's calendar, where converting to UTC overflows.
FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2999
# Entry ids are SQLite integers.
MAX_ENTRY_ID: Final = 2**63 - 1
# A top-up's note: one line of text (control characters, line and paragraph breaks refused).
NOTE_MAX: Final = 200
NOT_IN_A_NOTE: Final = frozenset({"Cc", "Zl", "Zp"})
# A grace beyond a year is not a grace (and a billion days overflows every clock).
MAX_GRACE: Final = timedelta(days=366)
# Why the supply switch forced the supply off (shown to the tenant as the reason).
DASHBOARD_REASON: Final = "switched off from the dashboard"
ERROR_NO_TENANCY: Final = "no_tenancy"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who calls an operation: the call's HA context and what the ledger records as `who`."""

    context: Context | None
    who: str
    # False: no HA account behind the call (the tenant portal): never a landlord.
    account: bool = True

    @classmethod
    def of(cls, context: Context | None) -> Caller:
        """An HA user, or an automation, script or the system (no user in the context)."""
        return cls(context, who(context))

    @classmethod
    def without_account(cls, who: str, context: Context | None = None) -> Caller:
        """Someone without an HA account (the tenant portal's token link)."""
        return cls(context or Context(), who, account=False)


async def async_check_permission(
    hass: HomeAssistant, caller: Caller, permission: Permission
) -> None:
    """Refuse a landlord-only operation to a non-admin user or a caller without an account."""
    if permission == TENANT:
        return
    if not caller.account:
        raise LandlordOnly(caller.context)
    await async_require_landlord(hass, caller.context)


def refused(key: str, placeholders: Mapping[str, str] | None = None) -> ServiceValidationError:
    """A translated refusal of bad input (HTTP 400 over REST)."""
    return InputRefused(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=dict(placeholders or {}),
    )


@contextmanager
def refusals(room: str | None = None) -> Iterator[None]:
    """Turn the core's refusals into translated HA errors, naming the room (the one place)."""
    named = {} if room is None else {"room": room}
    try:
        yield
    except BillingError as err:
        raise refused(err.key, {**err.placeholders, **named}) from err
    except SupplyOperationError as err:
        raise refused(err.reason, named) from err
    except SettingsError as err:
        raise refused(err.key, {**err.placeholders, **named}) from err


async def run_on[T](rooms: Rooms, call: Callable[[BillingCore], T], name: str | None = None) -> T:
    """Run on a gateway's ledger thread (the one way in): the core's refusals translated,
    naming the room or gateway `name`."""
    with refusals(name):
        return await rooms.billing.run(call)


@dataclass(frozen=True, slots=True)
class RoomTarget:
    """The room an operation names, with its gateway."""

    entry: PrepaidPowerConfigEntry
    rooms: Rooms
    room: Room

    @property
    def coordinator(self) -> GatewayCoordinator:
        """The room's gateway coordinator."""
        return self.entry.runtime_data.coordinator

    @property
    def balance(self) -> Decimal | None:
        """The room's live balance as last billed (None: vacant)."""
        state = self.coordinator.data.rooms.get(self.room.subentry_id)
        return None if state is None or state.vacant else state.summary.live_balance

    async def run[T](self, call: Callable[[BillingCore], T]) -> T:
        """Run on the gateway's ledger thread; the core's refusals translated, naming the room."""
        return await run_on(self.rooms, call, self.room.name)

    def reading_now(self) -> str:
        """The room's meter reading now, as the baseline of a move in or out."""
        readings = self.coordinator.data.readings
        reading = current_reading(readings, self.room.slave_id, self.room.energy_key)
        if reading is None:
            raise refused("meter_unavailable", {"room": self.room.name})
        return str(reading)


def loaded_entries(hass: HomeAssistant) -> list[PrepaidPowerConfigEntry]:
    """The gateways that are loaded now."""
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED
    ]


def find_room(hass: HomeAssistant, device_id: str) -> RoomTarget:
    """The room of a room device among the loaded gateways (the one room look-up)."""
    for entry in loaded_entries(hass):
        rooms = entry.runtime_data.rooms
        if (room := rooms.room_of_device(device_id)) is not None:
            return RoomTarget(entry, rooms, room)
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
            raise refused(
                "gateway_not_loaded",
                {"room": device.name_by_user or device.name or device_id, "gateway": gateway.title},
            )
    raise refused("unknown_room_device", {"device_id": device_id})


def operation[**P, R](
    permission: Permission,
) -> Callable[
    [Callable[Concatenate[HomeAssistant, Caller, P], Awaitable[R]]],
    Callable[Concatenate[HomeAssistant, Caller, P], Awaitable[R]],
]:
    """An operation of no one room: its permission checked first, core refusals translated."""

    def decorate(
        func: Callable[Concatenate[HomeAssistant, Caller, P], Awaitable[R]],
    ) -> Callable[Concatenate[HomeAssistant, Caller, P], Awaitable[R]]:
        PERMISSIONS[func.__name__] = permission

        @wraps(func)
        async def run(
            hass: HomeAssistant, caller: Caller, /, *args: P.args, **kwargs: P.kwargs
        ) -> R:
            await async_check_permission(hass, caller, permission)
            with refusals():
                return await func(hass, caller, *args, **kwargs)

        return run

    return decorate


def room_operation[**P, R](
    permission: Permission,
) -> Callable[
    [Callable[Concatenate[HomeAssistant, Caller, RoomTarget, P], Awaitable[R]]],
    Callable[Concatenate[HomeAssistant, Caller, str, P], Awaitable[R]],
]:
    """An operation on one room, called with the room's device id: its permission checked
    first, then the room looked up, and the core's refusals translated naming the room."""

    def decorate(
        func: Callable[Concatenate[HomeAssistant, Caller, RoomTarget, P], Awaitable[R]],
    ) -> Callable[Concatenate[HomeAssistant, Caller, str, P], Awaitable[R]]:
        PERMISSIONS[func.__name__] = permission

        @wraps(func)
        async def run(
            hass: HomeAssistant,
            caller: Caller,
            device_id: str,
            /,
            *args: P.args,
            **kwargs: P.kwargs,
        ) -> R:
            await async_check_permission(hass, caller, permission)
            target = find_room(hass, device_id)
            if permission == TENANT and caller.account:
                # A room that names its tenants (HA users) refuses other non-admin users.
                room = target.room
                await async_require_room_tenant(hass, caller.context, room.name, room.tenant_users)
            with refusals(target.room.name):
                return await func(hass, caller, target, *args, **kwargs)

        return run

    return decorate


def check_date(field_name: str, day: date | None) -> None:
    """Refuse a date outside the years operations accept."""
    if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise refused(
            "date_out_of_range",
            {
                "field": field_name,
                "date": day.isoformat(),
                "first": str(FIRST_YEAR),
                "last": str(LAST_YEAR),
            },
        )


def _file_name(name: str) -> str:
    """A room's or gateway's name as a safe part of a file name."""
    return "".join(c if c.isalnum() else "_" for c in name)


def _meter_readings(target: RoomTarget) -> dict[str, str]:
    """The other rooms' meter readings now, by room: a move in or out of a shared account's
    payer takes those of its linked meters (`BillingCore.meters_of`)."""
    readings = target.coordinator.data.readings
    found: dict[str, str] = {}
    for room in target.rooms.rooms.values():
        reading = current_reading(readings, room.slave_id, room.energy_key)
        if room is not target.room and reading is not None:
            found[room.subentry_id] = str(reading)
    return found


def _linked(core: BillingCore, room_id: str, readings: dict[str, str]) -> dict[str, str]:
    """The readings of the meters that bill to the room's account."""
    meters = core.meters_of(room_id)[1:]
    return {room: reading for room, reading in readings.items() if room in meters}


async def _async_money_moved(
    hass: HomeAssistant,
    target: RoomTarget,
    caller: Caller,
    action: str | None,
    **details: object,
) -> None:
    """Money moved (the one path): bill and decide the rooms again from the last readings
    (restores the supply at once), recompute the totals, and log the landlord's action."""
    target.rooms.invalidate_totals()
    await target.coordinator.async_refresh_rooms(caller.context)
    if action is not None:
        hass.bus.async_fire(
            EVENT_LANDLORD_ACTION,
            target.rooms.event_data(target.room, target.balance, action=action, **details),
            context=caller.context,
        )


def _change_supply(
    target: RoomTarget,
    caller: Caller,
    change: Callable[[SupplyMemory], SupplyMemory],
    *,
    retry_relay: bool,
) -> None:
    """Change the room's supply memory (the policy decides again at once, and the memory is
    stored at once). `retry_relay`: a landlord override is also the "try again" after a
    relay fault."""
    memory = change(target.room.memory)
    coordinator = target.coordinator
    if retry_relay:
        coordinator.supply.reset_relay(target.room.subentry_id)
    coordinator.operate(target.room, memory, caller.context)


# --- tenancies and money (landlord) --------------------------------------------------------


@room_operation(LANDLORD)
async def move_in(
    hass: HomeAssistant,
    caller: Caller,
    target: RoomTarget,
    tenant: str,
    *,
    opening_reading: Number | None = None,
    first_top_up: Number | None = None,
    method: str = "cash",
    reference: str | None = None,
    allowance_pro_rata: bool | None = None,
) -> Tenancy:
    """Open a tenancy at the given reading (default: the meter's reading now)."""
    opening = opening_reading or target.reading_now()
    others = _meter_readings(target)
    room_id = target.room.subentry_id
    tenancy = await target.run(
        lambda core: core.move_in(
            room_id,
            tenant,
            opening,
            who=caller.who,
            allowance_pro_rata=allowance_pro_rata,
            first_top_up=first_top_up,
            method=method,
            reference=reference,
            meter_readings=_linked(core, room_id, others),
        )
    )
    await _async_money_moved(hass, target, caller, "move_in", opening_reading=opening)
    return tenancy


@dataclass(frozen=True, slots=True)
class MoveOut:
    """A tenancy closed: the settlement, and its last statement (text and data)."""

    result: MoveOutResult
    statement: str
    statement_data: dict[str, Any]


@room_operation(LANDLORD)
async def move_out(
    hass: HomeAssistant,
    caller: Caller,
    target: RoomTarget,
    *,
    final_reading: Number | None = None,
) -> MoveOut:
    """Close the tenancy at the given reading (default: now), settle it to zero."""
    final = final_reading or target.reading_now()
    others = _meter_readings(target)
    room_id = target.room.subentry_id
    language = statement_language(hass)
    template = await hass.async_add_executor_job(statement_template, hass, language)

    def close(core: BillingCore) -> MoveOut:
        result = core.move_out(
            room_id, final, who=caller.who, meter_readings=_linked(core, room_id, others)
        )
        data = statement_data(core, result.tenancy.tenancy_id)
        return MoveOut(result, render_statement(data, language=language, template=template), data)

    moved_out = await target.run(close)
    await _async_money_moved(hass, target, caller, "move_out", final_reading=final)
    return moved_out


def _note(target: RoomTarget, note: str) -> str:
    """A top-up's note as the ledger keeps it: one line of at most `NOTE_MAX` characters."""
    text = note.strip()
    if len(text) > NOTE_MAX:
        raise refused(
            "note_too_long",
            {"room": target.room.name, "max": str(NOTE_MAX), "length": str(len(text))},
        )
    if any(unicodedata.category(c) in NOT_IN_A_NOTE for c in text):
        raise refused("note_invalid", {"room": target.room.name})
    return text


@room_operation(LANDLORD)
async def top_up(
    hass: HomeAssistant,
    caller: Caller,
    target: RoomTarget,
    amount: Number,
    *,
    method: str = "cash",
    reference: str | None = None,
    note: str = "",
) -> TopUp:
    """Record a payment; emergency credit taken earlier is paid back from it first. A known
    reference returns the first payment (`created` False) and changes nothing. The `note`
    (who paid, for what) is the entry's `why` in the ledger, on the receipt and statement."""
    why = _note(target, note)
    paid = await target.run(
        lambda core: core.top_up(
            target.room.subentry_id,
            amount,
            method=method,
            reference=reference,
            who=caller.who,
            why=why,
        )
    )
    if paid.created:
        entry = paid.entry
        await _async_money_moved(
            hass, target, caller, "top_up", amount=entry.amount, method=entry.method
        )
        hass.bus.async_fire(
            EVENT_TOP_UP,
            target.rooms.event_data(
                target.room,
                target.balance,
                amount=entry.amount,
                method=entry.method,
                reference=entry.reference,
                emergency_credit_recovered=paid.recovered,
                debt_recovered=paid.debt_recovered,
            ),
            context=caller.context,
        )
    return paid


@room_operation(LANDLORD)
async def reverse_top_up(
    hass: HomeAssistant, caller: Caller, target: RoomTarget, entry_id: int, *, reason: str = ""
) -> Entry:
    """Undo one earlier top-up (once)."""
    if not 1 <= entry_id <= MAX_ENTRY_ID:
        raise refused("unknown_entry", {"entry": str(entry_id)})
    entry = await target.run(
        lambda core: core.reverse_top_up(
            target.room.subentry_id, entry_id, who=caller.who, why=reason
        )
    )
    await _async_money_moved(hass, target, caller, "reverse_top_up", amount=entry.amount)
    return entry


@room_operation(LANDLORD)
async def refund(
    hass: HomeAssistant, caller: Caller, target: RoomTarget, amount: Number, *, reason: str = ""
) -> Entry:
    """Pay money back to the tenant (never beyond the balance)."""
    entry = await target.run(
        lambda core: core.refund(target.room.subentry_id, amount, who=caller.who, why=reason)
    )
    await _async_money_moved(hass, target, caller, "refund", amount=entry.amount)
    return entry


@room_operation(LANDLORD)
async def adjust(
    hass: HomeAssistant,
    caller: Caller,
    target: RoomTarget,
    amount: Number,
    *,
    reason: str,
    record_debt: bool = False,
) -> Adjustment:
    """A landlord's correction (reason required); `record_debt` books what falls below zero."""
    adjustment = await target.run(
        lambda core: core.adjust(
            target.room.subentry_id,
            amount,
            reason=reason,
            who=caller.who,
            record_debt=record_debt,
        )
    )
    await _async_money_moved(
        hass, target, caller, "adjust", amount=adjustment.entry.amount, reason=reason
    )
    return adjustment


@room_operation(LANDLORD)
async def pay_debt(
    hass: HomeAssistant,
    caller: Caller,
    target: RoomTarget,
    amount: Number,
    *,
    method: str = "cash",
    reference: str | None = None,
    tenancy_id: int | None = None,
) -> DebtPayment:
    """A payment towards a moved-out tenancy's debt (the last one that owes, by default)."""
    payment = await target.run(
        lambda core: core.pay_debt(
            target.room.subentry_id,
            amount,
            method=method,
            reference=reference,
            who=caller.who,
            tenancy_id=tenancy_id,
        )
    )
    if payment.created:
        await _async_money_moved(
            hass,
            target,
            caller,
            "pay_debt",
            amount=payment.entry.amount,
            tenant=payment.tenancy.tenant,
        )
    return payment


@room_operation(LANDLORD)
async def set_tariff(
    hass: HomeAssistant,
    caller: Caller,
    target: RoomTarget,
    tariff: Mapping[str, Any],
    *,
    effective_from: datetime | None = None,
) -> datetime:
    """A new tariff from `effective_from` (default now; naive: HA's time zone); returns it."""
    check_date("effective_from", None if effective_from is None else effective_from.date())
    if effective_from is not None and effective_from.tzinfo is None:
        effective_from = effective_from.replace(tzinfo=dt_util.get_default_time_zone())
    issues = await target.run(
        lambda core: core.set_tariff(
            target.room.subentry_id, dict(tariff), effective_from=effective_from, who=caller.who
        )
    )
    target.rooms.raise_issues(issues)
    await _async_money_moved(hass, target, caller, "set_tariff", kind=tariff.get("kind"))
    return effective_from or dt_util.utcnow()


@room_operation(LANDLORD)
async def preset_vacant_energy(
    hass: HomeAssistant, caller: Caller, target: RoomTarget, kwh: Number
) -> Entry:
    """A landlord-paid preset of free energy for a vacant room (cleaning, repairs)."""
    entry = await target.run(
        lambda core: core.preset_vacant_energy(target.room.subentry_id, kwh, who=caller.who)
    )
    await _async_money_moved(hass, target, caller, "preset_vacant_energy", kwh=entry.kwh)
    return entry


# --- reports (landlord) ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Statement:
    """A tenancy's statement for one billing cycle: text, data, and where it was saved."""

    text: str
    data: dict[str, Any]
    path: Path | None


@room_operation(LANDLORD)
async def statement(
    hass: HomeAssistant,
    caller: Caller,
    target: RoomTarget,
    *,
    cycle: date | None = None,
    language: str | None = None,
    save: bool = False,
) -> Statement:
    """The statement of the room's tenancy (the last one when vacant) for the cycle holding
    `cycle` (default: now); `save` writes it under the config folder (never `www/`)."""
    room_id = target.room.subentry_id
    check_date("cycle", cycle)
    chosen_language = statement_language(hass, language)
    folder = Path(hass.config.path(LEDGER_DIR, STATEMENT_DIR))

    def build(core: BillingCore) -> Statement:
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
            data, language=chosen_language, template=statement_template(hass, chosen_language)
        )
        path = None
        if save:
            folder.mkdir(parents=True, exist_ok=True)
            path = (
                folder / f"{_file_name(target.room.name)}_{data['cycle']}_{tenancy.tenancy_id}.txt"
            )
            path.write_text(text, encoding="utf-8")
        return Statement(text, data, path)

    return await target.run(build)


@dataclass(frozen=True, slots=True)
class ExportedFile:
    """One CSV file of ledger entries."""

    path: Path
    rows: int


@operation(LANDLORD)
async def export_ledger(
    hass: HomeAssistant,
    caller: Caller,
    *,
    device_id: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[ExportedFile]:
    """The ledger as CSV: one room (by device id) or every room of every loaded gateway, in
    a range of days (`end` is the day after the last)."""
    # (the gateway's rooms, one room or None for all of them, the name in the file name)
    jobs: list[tuple[Rooms, str | None, str]]
    if device_id is not None:
        target = find_room(hass, device_id)
        jobs = [(target.rooms, target.room.subentry_id, target.room.name)]
    else:
        jobs = [(entry.runtime_data.rooms, None, entry.title) for entry in loaded_entries(hass)]
    tz = dt_util.get_default_time_zone()
    check_date("start", start)
    check_date("end", end)
    if start is not None and end is not None and end <= start:
        # The end is the day after the last: an empty or reversed range is a mistake.
        raise refused("export_range_empty", {"start": start.isoformat(), "end": end.isoformat()})
    start_at = None if start is None else datetime.combine(start, time(0), tzinfo=tz)
    end_at = None if end is None else datetime.combine(end, time(0), tzinfo=tz)
    folder = Path(hass.config.path(LEDGER_DIR, EXPORT_DIR))
    stamp = dt_util.now().strftime("%Y%m%d-%H%M%S")
    files: list[ExportedFile] = []
    for rooms, room_id, name in jobs:
        stem = f"ledger_{_file_name(name)}_{stamp}"

        def export(
            core: BillingCore, room_id: str | None = room_id, stem: str = stem
        ) -> tuple[Path, int]:
            return write_export(core, folder, stem, room_id=room_id, start=start_at, end=end_at)

        with refusals(name):
            path, rows = await rooms.billing.run(export)
        files.append(ExportedFile(path, rows))
    return files


@dataclass(frozen=True, slots=True)
class GeneratedDashboard:
    """A dashboard of rooms, and each room's plan (view, URL) and QR code, by response key
    (the room's name, with its gateway where names clash)."""

    dashboard: Dashboard
    rooms: dict[str, RoomPlan]


def _base_url(hass: HomeAssistant, given: str | None) -> str:
    if given:
        return given.rstrip("/")
    try:
        return get_url(hass, prefer_external=True, allow_internal=True).rstrip("/")
    except NoURLAvailableError as err:
        raise refused("no_base_url") from err


def _chosen_rooms(hass: HomeAssistant, device_id: Sequence[str]) -> list[RoomTarget]:
    """The rooms whose devices are chosen (none chosen: every loaded room)."""
    chosen = (
        [find_room(hass, device) for device in dict.fromkeys(device_id)]
        if device_id
        else [
            RoomTarget(entry, entry.runtime_data.rooms, room)
            for entry in loaded_entries(hass)
            for room in entry.runtime_data.rooms.rooms.values()
        ]
    )
    if not chosen:
        raise refused("no_rooms")
    return chosen


def _room_plans(
    hass: HomeAssistant,
    chosen: Sequence[RoomTarget],
    base: str,
    dashboard_path: str,
    portal_urls: Mapping[str, str] | None = None,
) -> tuple[list[RoomPlan], list[GatewayPlan]]:
    """Each chosen room's plan (entities, view, URL) and their gateways' totals."""
    registry = er.async_get(hass)
    paths = view_paths(target.room.name for target in chosen)
    rooms = [
        RoomPlan(
            name=target.room.name,
            device_id=target.room.device_id,
            view_path=path,
            url=room_url(base, dashboard_path, path),
            entities=entities_by_key(
                registry, target.room.device_id, f"{target.room.subentry_id}-"
            ),
            portal_url=(portal_urls or {}).get(target.room.subentry_id),
        )
        for target, path in zip(chosen, paths, strict=True)
    ]
    entries = list({target.entry.entry_id: target.entry for target in chosen}.values())
    gateways = [
        GatewayPlan(
            title=entry.title,
            entities=entities_by_key(
                registry, entry.runtime_data.gateway_device_id, f"{entry.entry_id}-"
            ),
        )
        for entry in entries
    ]
    return rooms, gateways


async def _async_build(
    hass: HomeAssistant,
    rooms: Sequence[RoomPlan],
    gateways: Sequence[GatewayPlan],
    *,
    kind: str,
    dashboard_path: str,
    rooms_path: str | None = None,
) -> Dashboard:
    """Build a dashboard in the executor; a QR code's URL too long is a translated refusal."""
    try:
        return await hass.async_add_executor_job(
            lambda: build_dashboard(
                rooms,
                gateways,
                kind=kind,
                dashboard_path=dashboard_path,
                language=hass.config.language,
                rooms_path=rooms_path,
            )
        )
    except segno.DataOverflowError as err:
        # A room's address is longer than a QR code holds (a very long base URL).
        longest = max(rooms, key=lambda room: len(room.qr_url))
        raise refused(
            "qr_url_too_long", {"room": longest.name, "length": str(len(longest.qr_url))}
        ) from err


def _room_keys(chosen: Sequence[RoomTarget], rooms: Sequence[RoomPlan]) -> dict[str, RoomPlan]:
    keys = room_keys([room.name for room in rooms], [target.entry.title for target in chosen])
    return dict(zip(keys, rooms, strict=True))


@operation(LANDLORD)
async def dashboard_yaml(
    hass: HomeAssistant,
    caller: Caller,
    *,
    device_id: Sequence[str] = (),
    kind: str,
    dashboard_path: str,
    base_url: str | None = None,
) -> GeneratedDashboard:
    """A Lovelace dashboard of the rooms whose devices are chosen (`device_id`, as the
    action names the field; none chosen: every loaded room)."""
    chosen = _chosen_rooms(hass, device_id)
    base = _base_url(hass, base_url)
    rooms, gateways = _room_plans(hass, chosen, base, dashboard_path)
    dashboard = await _async_build(hass, rooms, gateways, kind=kind, dashboard_path=dashboard_path)
    return GeneratedDashboard(dashboard, _room_keys(chosen, rooms))


@dataclass(frozen=True, slots=True)
class CreatedDashboards:
    """The dashboards saved into HA's storage, and each room's plan (view, URL, portal link
    when it went into the QR code) and QR code, by response key."""

    dashboards: list[SavedDashboard]
    rooms: dict[str, RoomPlan]
    qr_svg: dict[str, str]


# Each kind's dashboard by default: the landlord's overview (admins only), the tenants'
# views (their wall displays); icons and the text key of the title.
DASHBOARD_DEFAULTS: Final[Mapping[str, tuple[str, str, bool]]] = {
    KIND_LANDLORD: ("landlord_dashboard", "mdi:home-city", True),
    KIND_BOTH: ("landlord_dashboard", "mdi:home-city", True),
    KIND_TENANT: ("title", "mdi:home-lightning-bolt", False),
}
DEFAULT_DASHBOARDS: Final = (
    DashboardChoice(KIND_LANDLORD, LANDLORD_DASHBOARD_PATH),
    DashboardChoice(KIND_TENANT, DEFAULT_DASHBOARD_PATH),
)


def _with_defaults(choice: DashboardChoice, texts: Mapping[str, str]) -> DashboardChoice:
    title, icon, admin = DASHBOARD_DEFAULTS[choice.kind]
    return replace(
        choice,
        title=choice.title or texts[title],
        icon=choice.icon or icon,
        require_admin=admin if choice.require_admin is None else choice.require_admin,
    )


@operation(LANDLORD)
async def create_dashboards(
    hass: HomeAssistant,
    caller: Caller,
    *,
    device_id: Sequence[str] = (),
    dashboards: Sequence[DashboardChoice] | None = None,
    portal_links_in_qr: bool = False,
    overwrite: bool = False,
    base_url: str | None = None,
) -> CreatedDashboards:
    """Create (or update) the chosen dashboards in HA's dashboard storage, of the chosen
    rooms (none chosen: every loaded room); default: the landlord's and the tenants'.

    `portal_links_in_qr`: each room gets a new tenant-portal link (its old one ends) and its
    tenant view's QR code opens it. A dashboard's config is readable by every HA user, so
    this publishes the links to them: the landlord's explicit choice, off by default.
    Everything is checked before a link is replaced or a dashboard written."""
    texts = texts_for(hass.config.language)
    choices = [
        _with_defaults(choice, texts)
        for choice in (DEFAULT_DASHBOARDS if dashboards is None else dashboards)
    ]
    if not choices:
        raise refused("no_dashboards")
    seen: set[str] = set()
    for choice in choices:
        if "-" not in choice.url_path:
            raise refused("dashboard_path_hyphen", {"url_path": choice.url_path})
        if choice.url_path in seen:
            raise refused("dashboard_paths_clash", {"url_path": choice.url_path})
        seen.add(choice.url_path)
    chosen = _chosen_rooms(hass, device_id)
    base = _base_url(hass, base_url)
    for choice in choices:
        await async_check_dashboard(hass, choice, overwrite=overwrite)
    rooms_path = next(
        (c.url_path for c in choices if c.kind in (KIND_TENANT, KIND_BOTH)), choices[0].url_path
    )
    portal_urls: dict[str, str] = {}
    if portal_links_in_qr:
        # A portal link is as long for every room: refuse a base URL too long for its QR
        # code before any link is replaced.
        sample = f"{base}{ROOM_PATH}/{secrets.token_urlsafe(PORTAL_TOKEN_BYTES)}"
        try:
            await hass.async_add_executor_job(room_qr, sample)
        except segno.DataOverflowError as err:
            raise refused(
                "qr_url_too_long", {"room": chosen[0].room.name, "length": str(len(sample))}
            ) from err
        for target in chosen:
            link = await async_new_room_link(hass, target.room.subentry_id)
            portal_urls[target.room.subentry_id] = base + link.path
    rooms, gateways = _room_plans(hass, chosen, base, rooms_path, portal_urls)
    saved: list[SavedDashboard] = []
    svgs: dict[str, str] = {}
    for choice in choices:
        dashboard = await _async_build(
            hass,
            rooms,
            gateways,
            kind=choice.kind,
            dashboard_path=choice.url_path,
            rooms_path=rooms_path,
        )
        svgs = dashboard.qr_svg
        saved.append(await async_save_dashboard(hass, choice, dashboard.config))
    return CreatedDashboards(saved, _room_keys(chosen, rooms), svgs)


# --- supply (landlord) -----------------------------------------------------------------------


@room_operation(LANDLORD)
async def set_supply(
    hass: HomeAssistant,
    caller: Caller,
    target: RoomTarget,
    state: SupplyCommand,
    *,
    reason: str = "",
) -> None:
    """On (protected), off (forced off, with the reason shown to the tenant) or auto (the
    policy decides); also the landlord's "try again" after a relay fault."""
    _change_supply(
        target, caller, lambda memory: supply_set(memory, state, reason), retry_relay=True
    )


@room_operation(LANDLORD)
async def set_protected(
    hass: HomeAssistant, caller: Caller, target: RoomTarget, protected: bool
) -> None:
    """Keep power on regardless of balance, or not (the protected switch)."""
    _change_supply(
        target, caller, lambda memory: protection_set(memory, protected), retry_relay=True
    )


@room_operation(LANDLORD)
async def set_automatic_supply(
    hass: HomeAssistant, caller: Caller, target: RoomTarget, automatic: bool
) -> None:
    """The automatic-supply switch: on gives the room back to the policy (`set_supply auto`),
    off forces the supply off ("switched off from the dashboard")."""
    command = SupplyCommand.AUTO if automatic else SupplyCommand.OFF
    _change_supply(
        target,
        caller,
        lambda memory: supply_set(memory, command, DASHBOARD_REASON),
        retry_relay=True,
    )


@room_operation(LANDLORD)
async def grant_grace(
    hass: HomeAssistant, caller: Caller, target: RoomTarget, duration: timedelta
) -> None:
    """Postpone a due (or coming) cut-off by `duration` from now (at most `MAX_GRACE`)."""
    if duration > MAX_GRACE:
        raise refused("grace_too_long", {"room": target.room.name, "days": str(MAX_GRACE.days)})
    now = dt_util.utcnow()
    _change_supply(
        target, caller, lambda memory: grace_granted(memory, duration, now), retry_relay=False
    )


@room_operation(LANDLORD)
async def set_threshold(
    hass: HomeAssistant, caller: Caller, target: RoomTarget, key: str, value: float | Decimal
) -> Decimal:
    """Set one money threshold of the room's supply policy (`settings.THRESHOLDS`: a number
    entity), rounded to the currency's minor unit; stored in the room's subentry (the data
    its settings form edits), which reloads the gateway."""
    changed = with_threshold(target.room.settings, key, value, target.rooms.currency)
    target.room.settings = changed.settings
    entry = target.entry
    subentry = entry.subentries[target.room.subentry_id]
    supply = {**subentry.data.get(CONF_SUPPLY, {}), key: str(changed.amount)}
    hass.config_entries.async_update_subentry(
        entry, subentry, data={**subentry.data, CONF_SUPPLY: supply}
    )
    return changed.amount


# --- debt recovery and bank statements (landlord) --------------------------------------------


@room_operation(LANDLORD)
async def set_debt_plan(
    hass: HomeAssistant,
    caller: Caller,
    target: RoomTarget,
    *,
    debt: Number = "0",
    reason: str = "",
    percent: Number = "0",
    fixed_amount: Number = "0",
    every: str = "day",
    floor: Number = "0",
) -> DebtPlanStatus:
    """Record debt on the current tenancy's recovery plan and/or set its terms (a share of
    each top-up, a fixed amount per day or week, never below the floor)."""
    status = await target.run(
        lambda core: core.set_debt_plan(
            target.room.subentry_id,
            debt=debt,
            percent=percent,
            fixed=fixed_amount,
            every=every,
            floor=floor,
            reason=reason,
            who=caller.who,
        )
    )
    await _async_money_moved(
        hass,
        target,
        caller,
        "set_debt_plan",
        debt=status.plan.debt,
        remaining=status.remaining,
    )
    return status


@operation(LANDLORD)
async def import_bank_statement(
    hass: HomeAssistant,
    caller: Caller,
    /,
    *,
    file: str | None = None,
    csv: str | None = None,
    bank: str | None = None,
    **columns: str,
) -> BankImportReport:
    """Book each line of a bank statement (a file in `<config>/prepaid_power/imports/` or the
    CSV text) that names exactly one room's payment reference as a top-up of that room
    (idempotent by the line's id); list the others, with why. Columns given are saved under
    `bank` and fill what a later import leaves out."""
    request = BankImport(file=file, csv=csv, bank=bank, columns=dict(columns))
    if (request.file is None) == (request.csv is None):
        raise bank_refused("bank_input_required")
    fmt = await async_bank_format(hass, request)
    if request.file is not None:
        text = await hass.async_add_executor_job(read_statement, hass, request.file, fmt.encoding)
    else:
        text = request.csv or ""
    lines = parse_statement(text, fmt)
    references, rooms = payment_references(loaded_entries(hass))
    matched: list[JsonValueType] = []
    unmatched: list[JsonValueType] = []
    touched: dict[str, PrepaidPowerConfigEntry] = {}
    for line in lines:
        key, problem = match(line, references)
        if key is not None:
            entry, room_id = rooms[key]
            room = entry.runtime_data.rooms.rooms[room_id]
            with refusals(room.name):
                top_up, problem = await entry.runtime_data.rooms.billing.run(
                    partial(_import_payment, room_id, line, caller.who)
                )
            if top_up is not None:
                matched.append(
                    {
                        **line_data(line),
                        "room": room.name,
                        "device_id": room.device_id,
                        "entry_id": top_up.entry.entry_id,
                        "created": top_up.created,
                    }
                )
                if top_up.created:
                    touched[entry.entry_id] = entry
                continue
        unmatched.append({**line_data(line), "reason": problem})
    for entry in touched.values():
        entry.runtime_data.rooms.invalidate_totals()
        await entry.runtime_data.coordinator.async_refresh_rooms(caller.context)
    booked = sum(1 for line in matched if isinstance(line, dict) and line["created"])
    hass.bus.async_fire(
        EVENT_LANDLORD_ACTION,
        {"action": "import_bank_statement", "booked": booked, "unmatched": len(unmatched)},
        context=caller.context,
    )
    return BankImportReport(matched, unmatched)


def _import_payment(
    room_id: str, line: BankLine, who: str, core: BillingCore
) -> tuple[TopUp | None, Unmatched | None]:
    return core.import_payment(room_id, line, who=who)


# --- tenant portal links (landlord) ----------------------------------------------------------


@operation(LANDLORD)
async def rotate_portal_link(hass: HomeAssistant, caller: Caller, room_id: str) -> PortalLink:
    """A new private link for the room's tenant (shown once: only its hash is kept); the old
    one ends at once, and every page open on it."""
    return await async_new_room_link(hass, room_id)


@operation(LANDLORD)
async def revoke_portal_link(hass: HomeAssistant, caller: Caller, room_id: str) -> bool:
    """End the room's link; False when it had none."""
    return await async_end_room_link(hass, room_id)


@operation(LANDLORD)
async def create_kiosk_link(
    hass: HomeAssistant, caller: Caller, room_ids: Sequence[str], name: str
) -> PortalLink:
    """A kiosk link for a corridor tablet: these rooms' balances and supply states only."""
    return await async_new_kiosk_link(hass, room_ids, name)


@operation(LANDLORD)
async def revoke_kiosk_link(hass: HomeAssistant, caller: Caller, kiosk_id: str) -> bool:
    """End a kiosk link; False when there is no such kiosk."""
    return await async_end_kiosk_link(hass, kiosk_id)


# --- supply (tenant-safe) --------------------------------------------------------------------


@room_operation(TENANT)
async def restore_after_warning(hass: HomeAssistant, caller: Caller, target: RoomTarget) -> None:
    """Undo the warning cut (the tenant's "restore" button; only in `warning_cut`)."""
    _change_supply(target, caller, warning_cut_undone, retry_relay=False)


@room_operation(TENANT)
async def use_emergency_credit(hass: HomeAssistant, caller: Caller, target: RoomTarget) -> Decimal:
    """Credit the room's emergency amount once, when at or near cut-off; it is paid back from
    the next top-up. Returns the amount."""
    room = target.room
    state = target.coordinator.data.rooms.get(room.subentry_id)
    summary = None if state is None or state.vacant else state.summary
    if summary is None or summary.live_balance is None:
        raise SupplyOperationError(ERROR_NO_TENANCY)
    credit = take_emergency_credit(
        room.settings, room.memory, summary.live_balance, summary.emergency_credit_outstanding
    )
    # Taken meanwhile (another press)? The ledger allows it once, and refuses the second.
    await target.run(
        lambda core: core.take_emergency_credit(room.subentry_id, credit.amount, who=caller.who)
    )
    target.rooms.set_memory(room.subentry_id, credit.memory)
    await _async_money_moved(hass, target, caller, None)
    target.rooms.save_now()
    return credit.amount


# --- gateway (landlord) ----------------------------------------------------------------------


@operation(LANDLORD)
async def scan_for_meters(
    hass: HomeAssistant, caller: Caller, entry: PrepaidPowerConfigEntry
) -> tuple[FoundMeter, ...]:
    """Probe the gateway's slave-id range between polls; new meters are added (the gateway
    reloads with their devices), another model than the stored one is offered as a repair.
    Returns the new meters."""
    runtime = entry.runtime_data
    profile_set = runtime.profile_set
    first = entry.data.get(CONF_FIRST_ID, DEFAULT_FIRST_ID)
    last = entry.data.get(CONF_LAST_ID, DEFAULT_LAST_ID)
    try:
        result = await scan_bus(
            runtime.bus, profile_set.profiles.values(), range(first, last + 1), SCAN_TIMEOUT_S
        )
    except BusError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="scan_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    known = {meter[CONF_SLAVE_ID]: meter[CONF_PROFILE] for meter in entry.data[CONF_METERS]}
    corrections = model_corrections(result, known, profile_set.profiles)
    for found in result.meters:
        if found.slave_id in known and found not in corrections:
            # The scan agrees with the stored model now: an older offer is void.
            ir.async_delete_issue(hass, DOMAIN, model_issue_id(entry, found.slave_id))
    for found in corrections:
        # Another model than the stored one: the landlord confirms the correction.
        stored = profile_set.profiles.get(known[found.slave_id])
        ir.async_create_issue(
            hass,
            DOMAIN,
            model_issue_id(entry, found.slave_id),
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_MODEL_CHANGE,
            translation_placeholders={
                "slave_id": str(found.slave_id),
                "gateway": entry.title,
                "stored": stored.model if stored else known[found.slave_id],
                "found": found.model,
            },
            data={
                "entry_id": entry.entry_id,
                "slave_id": found.slave_id,
                "profile_id": found.profile_id,
            },
        )
    new = tuple(meter for meter in result.meters if meter.slave_id not in known)
    LOGGER.info("Scan of %s found %d new meter(s)", entry.title, len(new))
    if new:
        hass.config_entries.async_update_entry(
            entry,
            data={**entry.data, CONF_METERS: [*entry.data[CONF_METERS], *meters_data(new)]},
        )
    return new


@operation(LANDLORD)
async def resolve_suspect(
    hass: HomeAssistant,
    caller: Caller,
    entry: PrepaidPowerConfigEntry,
    room_id: str,
    suspect_id: int,
    *,
    charge: bool,
) -> None:
    """Bill (`charge`) or discard a reading held as suspect (the repair issue's choice)."""
    rooms = entry.runtime_data.rooms
    await rooms.billing.run(
        lambda core: core.resolve_suspect(
            room_id, suspect_id, "charge" if charge else "discard", who=caller.who
        )
    )
    if (room := rooms.rooms.get(room_id)) is not None:
        await _async_money_moved(hass, RoomTarget(entry, rooms, room), caller, None)
