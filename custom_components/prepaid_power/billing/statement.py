"""Statements per tenancy per billing cycle, ledger CSV export and landlord totals.

Statement data is JSON-able (money and kWh as strings) so it can be action response data;
`render_statement` turns it into text with a jinja2 template the landlord may override.
"""

from __future__ import annotations

from collections import defaultdict
import csv
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, TextIO

import jinja2

from .core import BillingCore
from .cycle import BillingCycle, utc
from .ledger import Entry
from .money import KWH_QUANTUM

TEMPLATES = Path(__file__).with_name("templates")
DEFAULT_LANGUAGE = "en"
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


def _kwh(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.001")))


def _daily_usage(charges: list[Entry], core: BillingCore, usage: dict[date, Decimal]) -> None:
    """Spread each charge's kWh over the local days of its span, in proportion to time."""
    tz = core.tz
    for charge in charges:
        kwh = charge.kwh or Decimal(0)
        start = charge.span_start or charge.at
        end = charge.at
        first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
        if first == last or end <= start:
            usage[last] += kwh
            continue
        total = Decimal(str((end - start).total_seconds()))
        cursor, day, spread = start, first, Decimal(0)
        while day < last:
            midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
            share = (kwh * Decimal(str((utc(midnight) - cursor).total_seconds())) / total).quantize(
                KWH_QUANTUM
            )
            usage[day] += share
            spread += share
            cursor, day = utc(midnight), day + timedelta(days=1)
        usage[last] += kwh - spread


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
    entries = ledger.entries(account_id=tenancy.account_id, start=cycle.start, end=cycle.end)
    opening = ledger.balance_at(tenancy.account_id, cycle.start)
    money = currency.format

    def listed(kind: str) -> list[dict[str, Any]]:
        return [
            {
                "at": e.at.astimezone(core.tz).isoformat(timespec="minutes"),
                "amount": money(e.amount),
                "method": e.method,
                "reference": e.reference,
                "who": e.who,
                "why": e.why,
            }
            for e in entries
            if e.kind == kind
        ]

    by_period: dict[str, dict[str, Decimal]] = {}
    charges = [e for e in entries if e.kind == "charge"]
    for charge in charges:
        row = by_period.setdefault(
            charge.period or "",
            {"kwh": Decimal(0), "allowance_kwh": Decimal(0), "amount": Decimal(0)},
        )
        row["kwh"] += charge.kwh or 0
        row["allowance_kwh"] += charge.allowance_kwh or 0
        row["amount"] -= charge.amount
    usage: dict[date, Decimal] = defaultdict(Decimal)
    _daily_usage(charges, core, usage)
    total = sum((e.amount for e in entries), Decimal(0))
    energy_cost = -sum((c.amount for c in charges), Decimal(0))
    name, _ = ledger.rooms().get(tenancy.room_id, (tenancy.room_id, {}))
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
        "closing_balance": money(opening + total),
        "top_ups": listed("top_up"),
        "reversals": listed("reversal"),
        "refunds": listed("refund"),
        "fees": listed("fee"),
        "adjustments": listed("adjustment"),
        "settlements": listed("settlement"),
        "charges_by_period": [
            {
                "period": period,
                "kwh": _kwh(row["kwh"]),
                "allowance_kwh": _kwh(row["allowance_kwh"]),
                "amount": money(row["amount"]),
            }
            for period, row in sorted(by_period.items())
        ],
        "energy_kwh": _kwh(sum((c.kwh or Decimal(0) for c in charges), Decimal(0))),
        "energy_cost": money(energy_cost),
        "allowance_credited_kwh": _kwh(
            sum((e.kwh or Decimal(0) for e in entries if e.kind == "allowance"), Decimal(0))
        ),
        "allowance_used_kwh": _kwh(
            sum((c.allowance_kwh or Decimal(0) for c in charges), Decimal(0))
        ),
        "daily_usage": [
            {"date": day.isoformat(), "kwh": _kwh(kwh)} for day, kwh in sorted(usage.items())
        ],
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
    accounts = {
        account_id: (room, tenancy_id, tenant or "")
        for account_id, room, tenancy_id, tenant in ledger.execute(
            "SELECT a.account_id, a.room_id, a.tenancy_id, t.tenant"
            " FROM accounts a LEFT JOIN tenancies t USING (tenancy_id)"
        )
    }
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    money = ledger.currency.format
    tz = core.tz
    for row in ledger.entry_rows(room_id=room_id, start=start, end=end):
        e = ledger.entry_from_row(row)
        room, tenancy_id, tenant = accounts[e.account_id]
        writer.writerow(
            (
                e.entry_id,
                e.at.astimezone(tz).isoformat(),
                room,
                "" if tenancy_id is None else tenancy_id,
                tenant,
                e.kind,
                money(e.amount),
                "" if e.kwh is None else e.kwh,
                "" if e.allowance_kwh is None else e.allowance_kwh,
                e.period or "",
                "" if e.price is None else e.price,
                "" if e.reading_from is None else e.reading_from,
                "" if e.reading_to is None else e.reading_to,
                e.cycle or "",
                e.method or "",
                e.reference or "",
                "" if e.reverses_id is None else e.reverses_id,
                e.who,
                e.why,
            )
        )
        count += 1
    return count


def landlord_totals(core: BillingCore, at: datetime | None = None) -> dict[str, Any]:
    """Per room and overall, for each room's cycle containing `at`: income (top-ups less
    reversals and refunds), energy and its charges; plus debt outstanding now."""
    ledger = core.ledger
    money = ledger.currency.format
    moment = core.now() if at is None else utc(at)
    rooms: dict[str, dict[str, str]] = {}
    income_total = energy_total = charged_total = Decimal(0)
    for room_id in core.room_ids():
        cycle = core.calendar(room_id).cycle_containing(moment)
        income = energy = charged = Decimal(0)
        for e in ledger.entries(room_id=room_id, start=cycle.start, end=cycle.end):
            if e.kind in {"top_up", "reversal", "refund"}:
                income += e.amount
            elif e.kind == "charge":
                energy += e.kwh or 0
                charged -= e.amount
        rooms[room_id] = {
            "cycle": cycle.key,
            "income": money(income),
            "energy_kwh": _kwh(energy),
            "charged": money(charged),
        }
        income_total += income
        energy_total += energy
        charged_total += charged
    debt = Decimal(0)
    for tenancy in ledger.tenancies():
        if tenancy.moved_out_at is None:
            debt += max(Decimal(0), -ledger.balance(tenancy.account_id))
    settled_debt = sum(
        (e.amount for e in ledger.entries(kinds=["settlement"]) if e.amount > 0), Decimal(0)
    )
    return {
        "currency": ledger.currency.code,
        "income": money(income_total),
        "energy_kwh": _kwh(energy_total),
        "charged": money(charged_total),
        "outstanding_debt": money(debt),
        "debt_recorded_at_move_out": money(settled_debt),
        "rooms": rooms,
    }
