"""Statements per tenancy per billing cycle, ledger CSV export and landlord totals.

Statement data is JSON-able (money and kWh as strings) so it can be action response data;
`render_statement` turns it into text with a jinja2 template the landlord may override.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
import csv
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cache
import io
import itertools
import math
import os
from pathlib import Path
from types import MappingProxyType
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import jinja2

from .common import is_common_reference
from .core import BillingCore
from .cycle import BillingCycle, from_micros, local_midnight, to_micros, utc
from .errors import CYCLE_NOT_STARTED, BillingError
from .ledger import Entry, Tenancy
from .meters import metered_room
from .money import KWH_EXPONENT, Currency, fixed_point, micro_to_kwh
from .recovery import DEBT_LEFT_AT_MOVE_OUT, DEBT_RECOVERY_REASONS
from .standing import is_standing_reference
from .tariff import TariffVersion
from .tax import split_gross

TEMPLATES = Path(__file__).with_name("templates")
DEFAULT_LANGUAGE = "en"
LISTED_KINDS = (
    "top_up",
    "reversal",
    "refund",
    "allowance",
    "emergency_credit",
    "fee",
    "adjustment",
    "settlement",
)
CSV_COLUMNS = (
    "entry_id",
    "at",
    "room",
    "tenancy",
    "tenant",
    "kind",
    "amount",
    "kwh",
    "allowance_kwh",
    "period",
    "price",
    "reading_from",
    "reading_to",
    "cycle",
    "method",
    "reference",
    "reverses",
    "who",
    "why",
)


KWH_STEP = Decimal("0.001")


def kwh_text(value: Decimal) -> str:
    return str(value.quantize(KWH_STEP))


def _daily_usage(
    spans: list[tuple[int, int, int]], cycle: BillingCycle, tz: ZoneInfo
) -> list[tuple[date, int]]:
    """Micro-kWh per local day of a cycle (see `spread_daily`)."""
    days = [cycle.start.astimezone(tz).date()]
    while local_midnight(days[-1], tz) < cycle.end:
        days.append(days[-1] + timedelta(days=1))
    # Charges of a cycle may start before it (the span of its first posting).
    days.insert(0, days[0] - timedelta(days=1))
    return [(day, kwh) for day, kwh in zip(days, spread_daily(spans, days, tz), strict=True) if kwh]


def spread_daily(spans: list[tuple[int, int, int]], days: list[date], tz: ZoneInfo) -> list[int]:
    """An integer quantity (micro-kWh, minor units) per local day of consecutive `days`: one
    posted over a span across midnights is spread in proportion to time, exactly (the last
    day takes the remainder); a span before the first day counts on the first."""
    edges = [to_micros(local_midnight(day, tz)) for day in days]
    usage = [0] * len(days)
    for begin, finish, kwh in spans:
        first = max(bisect_right(edges, begin) - 1, 0)
        last = max(bisect_right(edges, max(finish - 1, begin)) - 1, 0)
        if first == last:
            usage[first] += kwh
            continue
        spread = 0
        for index in range(first, last):
            share = kwh * (edges[index + 1] - max(begin, edges[index])) // (finish - begin)
            usage[index] += share
            spread += share
        usage[last] += kwh - spread
    return usage


def statement_data(
    core: BillingCore, tenancy_id: int, cycle_key: str | None = None
) -> dict[str, Any]:
    """One tenancy's statement for one billing cycle (default: the cycle containing now, or
    the last cycle of a closed tenancy)."""
    ledger = core.ledger
    currency = ledger.currency
    tenancy = ledger.tenancy(tenancy_id)
    calendar = core.calendar(tenancy.room_id)
    if cycle_key is None:
        moment = core.now() if tenancy.moved_out_at is None else tenancy.moved_out_at
        cycle: BillingCycle = calendar.cycle_containing(moment)
    else:
        cycle = calendar.cycle_by_key(cycle_key)
    entries = ledger.entries(
        account_id=tenancy.account_id, start=cycle.start, end=cycle.end, kinds=LISTED_KINDS
    )
    opening = ledger.balance_at(tenancy.account_id, cycle.start)
    closing = opening + ledger.amount_between(tenancy.account_id, cycle.start, cycle.end)
    money = currency.format

    def line(e: Entry) -> dict[str, Any]:
        return {
            "at": e.at.astimezone(core.tz).isoformat(timespec="minutes"),
            "amount": money(e.amount),
            "method": e.method,
            "reference": e.reference,
            "who": e.who,
            "why": e.why,
        }

    def own_line(e: Entry) -> bool:
        """A recovery plan's adjustments, the standing charges and the common areas' shares
        have sections of their own."""
        return (e.kind == "adjustment" and e.why in DEBT_RECOVERY_REASONS) or (
            e.kind == "fee" and e.reference is not None
        )

    def listed(*kinds: str) -> list[dict[str, Any]]:
        return [line(e) for e in entries if e.kind in kinds and not own_line(e)]

    standing = [e for e in entries if e.kind == "fee" and is_standing_reference(e.reference)]
    common = [e for e in entries if e.kind == "fee" and is_common_reference(e.reference)]

    by_period = ledger.charge_totals(tenancy.account_id, cycle.start, cycle.end)
    daily = _daily_usage(
        ledger.charge_spans(tenancy.account_id, cycle.start, cycle.end), cycle, core.tz
    )
    energy_cost = -sum((amount for *_, amount in by_period), Decimal(0))
    # The postings' rounding carry crosses periods: a line shows its own kWh * price, and the
    # cycle's posted total is shared out so that the lines still add up to it.
    line_amounts = currency.allocate(
        energy_cost, [(kwh - free) * price for _, price, kwh, free, _ in by_period]
    )
    name = ledger.room_name(tenancy.room_id)
    return {
        "room_id": tenancy.room_id,
        "room": name,
        "tenancy_id": tenancy.tenancy_id,
        "tenant": tenancy.tenant,
        "currency": currency.code,
        "cycle": cycle.key,
        "cycle_start": cycle.start.astimezone(core.tz).isoformat(),
        "cycle_end": cycle.end.astimezone(core.tz).isoformat(),
        "cycle_last_day": (cycle.end.astimezone(core.tz).date() - timedelta(days=1)).isoformat(),
        "moved_in_at": tenancy.moved_in_at.astimezone(core.tz).isoformat(),
        "moved_out_at": None
        if tenancy.moved_out_at is None
        else tenancy.moved_out_at.astimezone(core.tz).isoformat(),
        "opening_balance": money(opening),
        "closing_balance": money(closing),
        "top_ups": listed("top_up"),
        "reversals": listed("reversal"),
        "refunds": listed("refund"),
        "fees": listed("fee"),
        # Emergency credit taken and paid back shows among the adjustments, with its reason.
        "adjustments": listed("adjustment", "emergency_credit"),
        "settlements": listed("settlement"),
        "charges_by_period": [
            {
                "period": period,
                "price": str(price),
                "kwh": kwh_text(kwh),
                "allowance_kwh": kwh_text(free),
                "amount": money(line),
            }
            for (period, price, kwh, free, _), line in zip(by_period, line_amounts, strict=True)
        ],
        "energy_kwh": kwh_text(sum((kwh for _, _, kwh, _, _ in by_period), Decimal(0))),
        "energy_cost": money(energy_cost),
        "allowance_credited_kwh": kwh_text(
            sum((e.kwh or Decimal(0) for e in entries if e.kind == "allowance"), Decimal(0))
        ),
        "allowance_used_kwh": kwh_text(sum((free for _, _, _, free, _ in by_period), Decimal(0))),
        "daily_usage": [
            {"date": day.isoformat(), "kwh": kwh_text(micro_to_kwh(kwh))} for day, kwh in daily
        ],
        "standing_charge": {
            "days": len(standing),
            "amount": money(-sum((e.amount for e in standing), Decimal(0))),
            # Days (two decimals, rounded down) the supply was cut for want of credit with
            # the room's pause on: not charged. A day paused all day is not booked at all.
            "paused_days": paused_days_text(
                core.standing_paused_days(tenancy, cycle.start, cycle.end)
            ),
        },
        # The common areas' shares (a pass-through of the landlord's cost, outside the tax
        # split): one line per share, and their total.
        "common_area": {
            "amount": money(-sum((e.amount for e in common), Decimal(0))),
            "shares": [
                {"day": e.at.astimezone(core.tz).date().isoformat(), "why": e.why, **line(e)}
                for e in common
            ],
        },
        "debt_recovery": _debt_recovery(core, tenancy, cycle, entries, line),
        "tax": _tax(core, tenancy, cycle, entries),
        "meters": _meters(core, tenancy, cycle, energy_cost),
    }


def paused_days_text(days: Fraction) -> str:
    return str((Decimal(math.floor(days * 100)) / 100).quantize(Decimal("0.01")))


def _reading(value: Decimal | None) -> str | None:
    return None if value is None else kwh_text(value)


def _meters(
    core: BillingCore, tenancy: Tenancy, cycle: BillingCycle, energy_cost: Decimal
) -> list[dict[str, Any]]:
    """One line per meter of a shared account (none when only the account room's own meter
    was charged in the cycle), the room's own first: its first and last reading (None
    without usage), kWh and cost, the cycle's posted energy cost shared out by each meter's
    exact amount (largest remainder), so the lines add up to it."""
    ledger = core.ledger
    charges = ledger.entries(
        account_id=tenancy.account_id, start=cycle.start, end=cycle.end, kinds=("charge",)
    )
    meters: dict[str, list[Entry]] = {tenancy.room_id: []}
    for entry in sorted(charges, key=lambda e: e.entry_id):
        meters.setdefault(metered_room(entry.reference, tenancy.room_id), []).append(entry)
    if len(meters) < 2:
        return []
    exact = [
        sum((e.exact_amount or Decimal(0) for e in lines), Decimal(0)) for lines in meters.values()
    ]
    amounts = ledger.currency.allocate(energy_cost, exact)
    return [
        {
            "room_id": room_id,
            "room": ledger.room_name(room_id),
            "reading_from": _reading(lines[0].reading_from) if lines else None,
            "reading_to": _reading(lines[-1].reading_to) if lines else None,
            "kwh": kwh_text(sum((e.kwh or Decimal(0) for e in lines), Decimal(0))),
            "amount": ledger.currency.format(amount),
        }
        for (room_id, lines), amount in zip(meters.items(), amounts, strict=True)
    ]


def _debt_recovery(
    core: BillingCore,
    tenancy: Tenancy,
    cycle: BillingCycle,
    entries: list[Entry],
    line: Callable[[Entry], dict[str, Any]],
) -> dict[str, Any] | None:
    """The recovery plan's part of a statement: debt owed on it at the cycle's start and
    end, debt recorded and recovered in the cycle (None for a tenancy without a plan)."""
    rows = core.ledger.debt_plan_rows(tenancy.tenancy_id)
    if not rows or rows[0][0].since >= cycle.end:
        return None
    money = core.ledger.currency.format

    def recorded_before(moment: datetime) -> Decimal:
        return sum((added for plan, added in rows if plan.since < moment), Decimal(0))

    recovery = [e for e in entries if e.kind == "adjustment" and e.why in DEBT_RECOVERY_REASONS]
    taken = -sum((e.amount for e in recovery), Decimal(0))
    opening = recorded_before(cycle.start) + core.ledger.debt_recovery_before(
        tenancy.account_id, cycle.start
    )
    added = recorded_before(cycle.end) - recorded_before(cycle.start)
    terms = next(plan for plan, _ in reversed(rows) if plan.since < cycle.end)
    return {
        "opening_debt": money(opening),
        "debt_recorded": money(added),
        "recovered": [line(e) for e in recovery if e.why != DEBT_LEFT_AT_MOVE_OUT],
        "recovered_total": money(
            -sum((e.amount for e in recovery if e.why != DEBT_LEFT_AT_MOVE_OUT), Decimal(0))
        ),
        "moved_to_settlement": money(
            -sum((e.amount for e in recovery if e.why == DEBT_LEFT_AT_MOVE_OUT), Decimal(0))
        ),
        "closing_debt": money(opening + added - taken),
        "percent": str(terms.percent),
        "fixed": money(terms.fixed),
        "every": terms.every,
        "floor": money(terms.floor),
    }


TAX_LINES = ("energy", "standing_charge", "cycle_fee")


def _exact_sum(rows: list[tuple[Any, ...]], currency: Currency) -> Decimal:
    """Σ exact amount of charges (exact_amount, amount_minor); one without its exact amount
    counts as posted."""
    return sum(
        (-currency.from_minor(minor) if value is None else Decimal(value) for value, minor in rows),
        Decimal(0),
    )


def _versions_during(
    versions: list[TariffVersion], cycle: BillingCycle
) -> list[tuple[TariffVersion, datetime | None]]:
    """The tariff versions in force at some time in the cycle, each with its end."""
    ends = [v.effective_from for v in versions[1:]]
    return [
        (v, end)
        for v, end in zip(versions, [*ends, None], strict=True)
        if v.effective_from < cycle.end and (end is None or end > cycle.start)
    ]


def _tax(
    core: BillingCore, tenancy: Tenancy, cycle: BillingCycle, entries: list[Entry]
) -> dict[str, Any] | None:
    """Net, tax and gross of the cycle's energy, standing charge and cycle fee, and in total
    (None when no tariff version in force during the cycle has a tax). The rate of an amount
    is the one of the tariff version it was priced by: a charge's by its span's start in its
    meter's tariff (a shared account's meters have their own), a fee's by its date in the
    account room's (as it was booked). Each line's gross at each rate is split once."""
    ledger = core.ledger
    currency = ledger.currency
    versions = core.tariff_versions(tenancy.room_id)
    # The account room's meter, then every meter whose charges are in the cycle.
    metered = {tenancy.room_id: None} | {
        metered_room(reference, tenancy.room_id): reference
        for (reference,) in ledger.execute(
            "SELECT DISTINCT reference FROM entries WHERE account_id = ? AND kind = 'charge'"
            " AND at >= ? AND at < ? AND reference IS NOT NULL",
            (tenancy.account_id, to_micros(cycle.start), to_micros(cycle.end)),
        )
    }
    in_cycle = {
        room_id: _versions_during(
            versions if room_id == tenancy.room_id else core.tariff_versions(room_id), cycle
        )
        for room_id in metered
        if room_id == tenancy.room_id or room_id in core.room_ids()
    }
    if not any(v.tax is not None for meter in in_cycle.values() for v, _ in meter):
        return None
    gross: dict[tuple[str, Decimal], Decimal] = {}

    def add(line_type: str, rate: Decimal, amount: Decimal) -> None:
        gross[line_type, rate] = gross.get((line_type, rate), Decimal(0)) + amount

    # The exact amount (kWh * price) charged at each rate; the rest (untaxed versions) at 0.
    period = (tenancy.account_id, to_micros(cycle.start), to_micros(cycle.end))
    charges = "FROM entries WHERE account_id = ? AND kind = 'charge' AND at >= ? AND at < ?"
    columns = "SELECT exact_amount, amount_minor"
    exact = {Decimal(0): _exact_sum(ledger.execute(f"{columns} {charges}", period), currency)}
    for room_id, meter_versions in in_cycle.items():
        for version, end in meter_versions:
            if version.tax is None:
                continue
            amount = _exact_sum(
                ledger.execute(
                    f"{columns} {charges} AND reference IS ?"
                    " AND COALESCE(span_start, at) >= ? AND COALESCE(span_start, at) < ?",
                    (
                        *period,
                        metered[room_id],
                        to_micros(version.effective_from),
                        to_micros(cycle.end if end is None else end),
                    ),
                ),
                currency,
            )
            exact[version.tax.rate] = exact.get(version.tax.rate, Decimal(0)) + amount
            exact[Decimal(0)] -= amount
    energy_cost = -sum(
        (e for *_, e in ledger.charge_totals(tenancy.account_id, cycle.start, cycle.end)),
        Decimal(0),
    )
    # The posting's rounding carry crosses rates (and a shared account's meters at different
    # rates post in turn): the cycle's posted cost is shared out by the exact amounts, as
    # the lines per period are, so each rate's gross is within a minor unit of its own.
    for rate, amount in zip(
        exact, currency.allocate(energy_cost, list(exact.values())), strict=True
    ):
        add("energy", rate, amount)
    schedule = {v.effective_from: v for v in versions}
    for e in entries:
        if e.kind != "fee" or (e.reference is None and e.cycle is None):
            continue  # a one-off fee is the landlord's own, outside the tariff
        if is_common_reference(e.reference):
            continue  # a common area's share passes on the landlord's cost, untaxed
        priced_by = next((schedule[f] for f in reversed(schedule) if f <= e.at), None)
        tax = None if priced_by is None else priced_by.tax
        rate = tax.rate if tax is not None and tax.on_fees else Decimal(0)
        add("standing_charge" if e.reference is not None else "cycle_fee", rate, -e.amount)
    lines = {name: [Decimal(0)] * 3 for name in TAX_LINES}
    for (name, rate), amount in gross.items():
        net, tax_amount = split_gross(amount, rate, currency.minor_unit)
        figures = lines[name]
        figures[0] += net
        figures[1] += tax_amount
        figures[2] += amount
    totals = [sum((lines[name][i] for name in TAX_LINES), Decimal(0)) for i in range(3)]

    def shown(figures: list[Decimal]) -> dict[str, str]:
        return dict(zip(("net", "tax", "gross"), map(currency.format, figures), strict=True))

    return {
        "rates": sorted(
            {str(v.tax.rate) for meter in in_cycle.values() for v, _ in meter if v.tax is not None}
        ),
        "lines": {name: shown(lines[name]) for name in TAX_LINES},
        "total": shown(totals),
    }


@cache
def _environment(directory: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=jinja2.select_autoescape(["html", "htm", "xml"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_statement(
    data: dict[str, Any], *, language: str = DEFAULT_LANGUAGE, template: Path | None = None
) -> str:
    """Render statement data; `template` (a landlord's file) overrides the shipped ones.

    Reads files: call it off the event loop.
    """
    if template is not None:
        return _environment(template.parent).get_template(template.name).render(data)
    name = f"statement.{language}.txt.j2"
    if not (TEMPLATES / name).is_file():
        name = f"statement.{DEFAULT_LANGUAGE}.txt.j2"
    return _environment(TEMPLATES).get_template(name).render(data)


def account_owners(core: BillingCore) -> dict[int, tuple[str, int | None, str]]:
    """Every account's room id, tenancy id (None: the vacant account) and tenant ("")."""
    return {
        account_id: (room, tenancy_id, tenant or "")
        for account_id, room, tenancy_id, tenant in core.ledger.execute(
            "SELECT a.account_id, a.room_id, a.tenancy_id, t.tenant"
            " FROM accounts a LEFT JOIN tenancies t USING (tenancy_id)"
        )
    }


def export_csv(
    core: BillingCore,
    out: TextIO,
    *,
    room_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> int:
    """Write ledger entries in [start, end) as CSV (one room or all); returns the row count."""
    ledger = core.ledger
    accounts = account_owners(core)
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    exponent = ledger.currency.exponent
    tz = core.tz
    # Raw rows (see ledger._ENTRY_COLUMNS), formatted from integers: a year is ~1M rows.
    for row in ledger.entry_rows(room_id=room_id, start=start, end=end):
        room, tenancy_id, tenant = accounts[row[1]]
        writer.writerow(
            (
                row[0],
                from_micros(row[3]).astimezone(tz).isoformat(),
                room,
                "" if tenancy_id is None else tenancy_id,
                tenant,
                row[2],
                fixed_point(row[4], exponent),
                "" if row[7] is None else fixed_point(row[7], KWH_EXPONENT),
                "" if row[8] is None else fixed_point(row[8], KWH_EXPONENT),
                row[9] or "",
                row[10] or "",
                row[11] or "",
                row[12] or "",
                row[15] or "",
                row[16] or "",
                row[17] or "",
                "" if row[18] is None else row[18],
                row[5],
                row[6],
            )
        )
        count += 1
    return count


def write_export(
    core: BillingCore,
    folder: Path,
    stem: str,
    *,
    room_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[Path, int]:
    """Write the CSV export whole or not at all, under a name nobody has taken: `stem.csv`,
    else `stem_2.csv`, `stem_3.csv` … It is written beside, synced, then linked into place,
    which never replaces a file: a crash or power cut leaves no cut-off export under a final
    name, and a second export in the same second never overwrites the first. Returns the
    file and its row count."""
    buffer = io.StringIO()
    rows = export_csv(core, buffer, room_id=room_id, start=start, end=end)
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f"{stem}.{os.getpid()}.part"
    with part.open("w", encoding="utf-8", newline="") as out:
        out.write(buffer.getvalue())
        out.flush()
        os.fsync(out.fileno())
    try:
        for number in itertools.count(1):
            file = folder / (f"{stem}.csv" if number == 1 else f"{stem}_{number}.csv")
            try:
                os.link(part, file)
            except FileExistsError:
                continue
            return file, rows
    finally:
        part.unlink()
    raise AssertionError  # unreachable: the count is endless


@dataclass(frozen=True, slots=True)
class RoomTotals:
    """One room's figures for one of its cycles."""

    cycle: str
    income: Decimal
    energy_kwh: Decimal
    charged: Decimal


@dataclass(frozen=True, slots=True)
class LandlordTotals:
    """The landlord's figures over a gateway's rooms (exact Decimals, never formatted)."""

    currency: str
    income: Decimal
    energy_kwh: Decimal
    charged: Decimal
    outstanding_debt: Decimal
    debt_owed_after_move_out: Decimal
    rooms: Mapping[str, RoomTotals]


def report_cycle(core: BillingCore, room_id: str, month: date) -> BillingCycle:
    """The room's cycle starting in `month`; refused for a month whose cycle has not begun."""
    cycle = core.calendar(room_id).cycle_starting_in(month)
    if cycle.start > core.now():
        raise BillingError(CYCLE_NOT_STARTED, {"cycle": cycle.key})
    return cycle


def landlord_totals(
    core: BillingCore, at: datetime | None = None, *, month: date | None = None
) -> LandlordTotals:
    """Per room and overall, for each room's cycle containing `at` (or starting in `month`,
    a past cycle): income (top-ups less reversals and refunds, debt payments included),
    energy and its charges; plus debt outstanding
    now, of current tenants and still owed by those who moved out."""
    ledger = core.ledger
    minor = ledger.currency.minor_unit
    moment = core.now() if at is None else utc(at)
    rooms: dict[str, RoomTotals] = {}
    income_total = energy_total = charged_total = Decimal(0)
    for room_id in core.room_ids():
        cycle = (
            core.calendar(room_id).cycle_containing(moment)
            if month is None
            else report_cycle(core, room_id, month)
        )
        income, energy, charged = ledger.room_cycle_totals(room_id, cycle.start, cycle.end)
        rooms[room_id] = RoomTotals(
            cycle.key,
            income.quantize(minor),
            energy.quantize(KWH_STEP),
            charged.quantize(minor),
        )
        income_total += income
        energy_total += energy
        charged_total += charged
    debt = Decimal(0)
    for tenancy in ledger.tenancies():
        if tenancy.moved_out_at is None:
            debt += max(Decimal(0), -ledger.balance(tenancy.account_id))
    owed_after_move_out = sum(
        (
            ledger.debt_owed(tenancy.account_id)
            for tenancy in ledger.tenancies()
            if tenancy.moved_out_at is not None
        ),
        Decimal(0),
    )
    return LandlordTotals(
        currency=ledger.currency.code,
        income=income_total.quantize(minor),
        energy_kwh=energy_total.quantize(KWH_STEP),
        charged=charged_total.quantize(minor),
        outstanding_debt=debt.quantize(minor),
        debt_owed_after_move_out=owed_after_move_out.quantize(minor),
        rooms=MappingProxyType(rooms),
    )
