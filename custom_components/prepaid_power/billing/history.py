"""What the landlord's console asks of the ledger: daily usage per tariff period, the ledger
of a tenancy page by page, its statement cycles, and previews of operations (a top-up's new
balance, a move-out's settlement, a tariff's prices) that write nothing.

Everything is JSON-able (money and kWh as strings), like statement data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
import csv
from datetime import date, datetime, timedelta
from decimal import Decimal
import io
from typing import Any

from .core import BillingCore
from .cycle import EPOCH, from_micros, local_midnight, to_micros
from .ledger import SYSTEM, Entry, Tenancy
from .money import KWH_EXPONENT, Currency, Number, fixed_point, micro_to_kwh
from .statement import (
    LandlordTotals,
    account_owners,
    kwh_text,
    report_cycle,
    spread_daily,
    statement_data,
)
from .tariff import TariffSchedule, TariffVersion, next_kwh_piece

HISTORY_DAYS = (30, 90)
# kWh as a tenant's page shows them.
KWH_SHOWN = Decimal("0.001")
PAGE_MAX = 200


def daily_history(core: BillingCore, room_id: str, days: int) -> dict[str, Any]:
    """Energy and its cost per local day and tariff period, for the room's last `days` days
    (today included) over all its accounts: tenants come and go, the meter stays."""
    tz = core.tz
    today = core.now().astimezone(tz).date()
    dates = [today - timedelta(days=days - 1 - n) for n in range(days)]
    start = local_midnight(dates[0], tz)
    end = local_midnight(today + timedelta(days=1), tz)
    rows = core.ledger.execute(
        "SELECT COALESCE(span_start, at), at, kwh_micro, amount_minor, COALESCE(period, '')"
        " FROM entries WHERE kind = 'charge' AND at >= ? AND at < ? AND account_id IN"
        " (SELECT account_id FROM accounts WHERE room_id = ?)",
        (to_micros(start), to_micros(end), room_id),
    )
    periods = sorted({row[4] for row in rows})
    currency = core.ledger.currency
    per_period = {
        period: (
            spread_daily([(b, f, kwh or 0) for b, f, kwh, _, p in rows if p == period], dates, tz),
            # Charges are negative amounts: the cost is their opposite.
            spread_daily(
                [(b, f, -amount) for b, f, _, amount, p in rows if p == period], dates, tz
            ),
        )
        for period in periods
    }
    exponent = currency.exponent
    return {
        "currency": currency.code,
        "periods": periods,
        "days": [
            {
                "date": day.isoformat(),
                "kwh": fixed_point(sum(per_period[p][0][i] for p in periods), KWH_EXPONENT),
                "cost": fixed_point(sum(per_period[p][1][i] for p in periods), exponent),
                "by_period": {
                    p: {
                        "kwh": fixed_point(per_period[p][0][i], KWH_EXPONENT),
                        "cost": fixed_point(per_period[p][1][i], exponent),
                    }
                    for p in periods
                    if per_period[p][0][i] or per_period[p][1][i]
                },
            }
            for i, day in enumerate(dates)
        ],
    }


def account_daily_usage(
    core: BillingCore, account_id: int, now: datetime, days: int
) -> list[dict[str, str]]:
    """kWh per local day of one account (a tenancy: never its room's earlier tenants) over the
    last `days` days, today included and days without use too, spread over midnights the way
    a statement's daily usage is."""
    tz = core.tz
    today = now.astimezone(tz).date()
    # One day more in front: the part of a first posting's span before the window is its own.
    dates = [today - timedelta(days=days - n) for n in range(days + 1)]
    spans = core.ledger.charge_spans(
        account_id, local_midnight(dates[1], tz), local_midnight(today + timedelta(days=1), tz)
    )
    used = spread_daily(spans, dates, tz)
    return [
        {"date": day.isoformat(), "kwh": str(micro_to_kwh(micro).quantize(KWH_SHOWN))}
        for day, micro in list(zip(dates, used, strict=True))[1:]
    ]


def entry_data(entry: Entry, money: Callable[[Decimal], str] = str) -> dict[str, Any]:
    """One ledger entry as the console lists it."""
    return {
        "entry_id": entry.entry_id,
        "kind": entry.kind,
        "at": entry.at.isoformat(),
        "amount": money(entry.amount),
        "kwh": None if entry.kwh is None else kwh_text(entry.kwh),
        "period": entry.period,
        "price": None if entry.price is None else str(entry.price),
        "method": entry.method,
        "reference": entry.reference,
        "reverses": entry.reverses_id,
        "who": entry.who,
        "why": entry.why,
    }


def ledger_page(core: BillingCore, account_id: int, offset: int, limit: int) -> dict[str, Any]:
    """A page of an account's entries, newest first, with the total count."""
    ledger = core.ledger
    ids = [
        row[0]
        for row in ledger.execute(
            "SELECT entry_id FROM entries WHERE account_id = ?"
            " ORDER BY at DESC, entry_id DESC LIMIT ? OFFSET ?",
            (account_id, min(limit, PAGE_MAX), offset),
        )
    ]
    total = ledger.execute("SELECT COUNT(*) FROM entries WHERE account_id = ?", (account_id,))
    reversed_ids = {
        row[0]
        for row in ledger.execute(
            "SELECT reverses_id FROM entries WHERE account_id = ? AND kind = 'reversal'",
            (account_id,),
        )
    }
    money = ledger.currency.format
    return {
        "total": total[0][0],
        "offset": offset,
        "entries": [
            {**entry_data(entry, money), "reversed": entry.entry_id in reversed_ids}
            for entry in (ledger.entry(entry_id) for entry_id in ids)
        ],
    }


def statement_cycles(core: BillingCore, tenancy: Tenancy) -> list[dict[str, str]]:
    """The billing cycles a tenancy lived in, newest first: each has a statement."""
    end = tenancy.moved_out_at or core.now()
    tz = core.tz
    return [
        {
            "cycle": cycle.key,
            "first_day": cycle.start.astimezone(tz).date().isoformat(),
            "last_day": (cycle.end.astimezone(tz).date() - timedelta(days=1)).isoformat(),
        }
        for cycle in core.calendar(tenancy.room_id).cycles_between(tenancy.moved_in_at, end)[::-1]
        # A move-out at a cycle's first instant lived none of it.
        if cycle.start < end or cycle.start == tenancy.moved_in_at
    ]


def report_months(core: BillingCore) -> list[str]:
    """The months ("2026-11") a report or the month-end statements can be asked for, newest
    first: from the first tenancy's move-in to now."""
    today = core.now().astimezone(core.tz).date()
    first = min(
        (t.moved_in_at.astimezone(core.tz).date() for t in core.ledger.tenancies()), default=today
    )
    months = []
    year, month = today.year, today.month
    while (year, month) >= (first.year, first.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def debts_at_cycle_end(core: BillingCore, totals: LandlordTotals) -> dict[str, Decimal]:
    """Each room's tenant's debt when the room's reported cycle ended (now, while it runs);
    0 for a room vacant then or in credit."""
    now = core.now()
    debts = {}
    for room_id, row in totals.rooms.items():
        moment = min(core.calendar(room_id).cycle_by_key(row.cycle).end, now)
        debt = Decimal(0)
        for tenancy in core.ledger.tenancies(room_id):
            if tenancy.moved_in_at < moment and (
                tenancy.moved_out_at is None or tenancy.moved_out_at >= moment
            ):
                account = tenancy.account_id
                balance = (
                    core.ledger.balance(account)
                    if moment >= now
                    else core.ledger.balance_at(account, moment)
                )
                debt = max(Decimal(0), -balance)
        debts[room_id] = debt
    return debts


def cycle_statements(core: BillingCore, month: date) -> list[dict[str, Any]]:
    """The statement data of every tenancy that lived in its room's cycle starting in
    `month` (the month-end statements of all rooms), by room, then by move-in."""
    found = []
    for room_id in core.room_ids():
        cycle = report_cycle(core, room_id, month)
        for tenancy in core.ledger.tenancies(room_id):
            end = tenancy.moved_out_at
            if tenancy.moved_in_at < cycle.end and (end is None or end > cycle.start):
                found.append(statement_data(core, tenancy.tenancy_id, cycle.key))
    return sorted(found, key=lambda data: (data["room"], data["moved_in_at"]))


def tenancy_debt(core: BillingCore, tenancy: Tenancy) -> dict[str, Any]:
    """What a tenancy owes (a current tenant: a negative balance; a former one: the debt its
    settlement recorded, less payments) and where its recovery plan stands, if it has one."""
    ledger = core.ledger
    money = ledger.currency.format
    if tenancy.moved_out_at is None:
        owed = max(Decimal(0), -ledger.balance(tenancy.account_id))
    else:
        owed = ledger.debt_owed(tenancy.account_id)
    status = core.debt_plan_status(tenancy.tenancy_id)
    if status is None:
        return {"owed": money(owed), "plan": None}
    plan = status.plan
    return {
        "owed": money(owed),
        "plan": {
            "recorded": money(plan.debt),
            "recovered": money(status.recovered),
            "remaining": money(status.remaining),
            "terms": {
                "percent": str(plan.percent),
                "fixed": money(plan.fixed),
                "every": plan.every,
                "floor": money(plan.floor),
            },
            "since": plan.since.astimezone(core.tz).isoformat(),
        },
    }


def top_up_preview(
    core: BillingCore, room_id: str, amount: Number, reference: str | None
) -> dict[str, Any]:
    """What a top-up would do: the new balance and the emergency credit it pays back; a known
    reference answers with the payment already recorded under it."""
    ledger = core.ledger
    money = ledger.currency.format
    value = ledger.currency.parse_amount(amount)
    tenancy = core.tenancy_of(room_id)
    if tenancy is None:
        # The same refusal as the top-up itself.
        core.balance(room_id)
    assert tenancy is not None
    existing = None
    if reference:
        found = ledger.execute(
            "SELECT entry_id FROM entries WHERE kind = 'top_up' AND reference = ?", (reference,)
        )
        if found:
            existing = entry_data(ledger.entry(found[0][0]), money)
    live = core.live_balance(room_id)
    recovered = min(value, ledger.emergency_credit_outstanding(tenancy.account_id))
    return {
        "amount": money(value),
        "balance": money(live),
        "new_balance": money(live if existing else live + value - recovered),
        "emergency_credit_recovered": money(Decimal(0) if existing else recovered),
        "existing": existing,
    }


def move_out_preview(core: BillingCore, room_id: str, final_reading: Number) -> dict[str, Any]:
    """What a move-out at `final_reading` now would settle, by the move-out itself run dry
    (`BillingCore.dry_run`): the final charges, the fees still waiting for the balance (a
    cycle fee, standing charges) and a recovery plan's debt left, then the refund owed or
    the debt, and the closing statement. Writes nothing."""
    money = core.ledger.currency.format
    live = core.live_balance(room_id)  # refuses a room without a tenancy
    tenancy = core.tenancy_of(room_id)
    assert tenancy is not None
    last = core.ledger.execute("SELECT COALESCE(MAX(entry_id), 0) FROM entries")[0][0]

    def close() -> dict[str, Any]:
        result = core.move_out(room_id, final_reading, who=SYSTEM)
        booked = [
            core.ledger.entry(row[0])
            for row in core.ledger.execute(
                "SELECT entry_id FROM entries WHERE account_id = ? AND entry_id > ?"
                " ORDER BY entry_id",
                (tenancy.account_id, last),
            )
        ]

        def total(*kinds: str) -> str:
            return money(-sum((e.amount for e in booked if e.kind in kinds), Decimal(0)))

        return {
            "tenancy_id": tenancy.tenancy_id,
            "tenant": tenancy.tenant,
            "balance": money(live),
            "final_charges": total("charge"),
            "waiting_fees": total("fee"),
            "debt_plan": total("adjustment"),
            "refund_owed": money(result.refund_owed),
            "debt": money(result.debt),
            "entries": [entry_data(e, money) for e in booked],
            "statement_data": statement_data(core, tenancy.tenancy_id),
        }

    return core.dry_run(room_id, close)


def tariff_preview(
    core: BillingCore,
    room_id: str,
    definition: Mapping[str, Any],
    moments: Iterable[datetime],
    sampled_price: Decimal | None = None,
) -> list[dict[str, str]]:
    """The period and price a tariff would charge at each moment (tiered: at the room's
    cycle-to-date energy; from an entity: at `sampled_price` within its guard); refuses an
    invalid tariff as `set_tariff` does."""
    schedule = TariffSchedule()
    schedule.add(TariffVersion.from_dict(EPOCH, definition))
    account = core.account_of(room_id)
    calendar = core.calendar(room_id)
    prices = []
    for moment in moments:
        piece = next_kwh_piece(
            schedule,
            calendar,
            moment,
            cycle_kwh=lambda c: core.ledger.charged_kwh(account, c),
            sampled_price=sampled_price,
        )
        assert piece is not None  # the version applies from the epoch
        prices.append(
            {
                "at": moment.astimezone(core.tz).isoformat(timespec="minutes"),
                "period": piece.period,
                "price": str(piece.price),
            }
        )
    return prices


def payments(core: BillingCore, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Every top-up recorded in [start, end) in every room, oldest first, with the room, the
    tenant and whether (and when) it was undone."""
    ledger = core.ledger
    owners = account_owners(core)
    undone = {
        row[0]: from_micros(row[1]).isoformat()
        for row in ledger.execute(
            "SELECT reverses_id, at FROM entries WHERE kind = 'reversal' AND reverses_id IS NOT NULL"
        )
    }
    money = ledger.currency.format
    found = []
    for entry in ledger.entries(start=start, end=end, kinds=("top_up",)):
        room_id, tenancy_id, tenant = owners[entry.account_id]
        found.append(
            {
                "entry_id": entry.entry_id,
                "at": entry.at.isoformat(),
                "room_id": room_id,
                "room": ledger.room_name(room_id),
                "tenancy_id": tenancy_id,
                "tenant": tenant,
                "method": entry.method or "",
                "reference": entry.reference,
                "amount": money(entry.amount),
                "undone_at": undone.get(entry.entry_id),
            }
        )
    return found


def payment_totals(
    found: Iterable[Mapping[str, Any]], currency: Currency
) -> dict[str, dict[str, Any]]:
    """Per payment method: how many top-ups, their amount, what of it was undone, and the net."""
    totals: dict[str, dict[str, Any]] = {}
    for payment in found:
        total = totals.setdefault(
            payment["method"], {"count": 0, "paid": Decimal(0), "undone": Decimal(0)}
        )
        amount = Decimal(payment["amount"])
        total["count"] += 1
        total["paid"] += amount
        if payment["undone_at"] is not None:
            total["undone"] += amount
    return {
        method: {
            "count": total["count"],
            "paid": currency.format(total["paid"]),
            "undone": currency.format(total["undone"]),
            "net": currency.format(total["paid"] - total["undone"]),
        }
        for method, total in sorted(totals.items())
    }


PAYMENT_COLUMNS = (
    "entry_id",
    "at",
    "room",
    "tenant",
    "method",
    "reference",
    "amount",
    "undone_at",
)


def payments_csv(found: Iterable[Mapping[str, Any]]) -> str:
    """Payments as CSV text, one row each."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PAYMENT_COLUMNS)
    for payment in found:
        writer.writerow(["" if payment[c] is None else payment[c] for c in PAYMENT_COLUMNS])
    return out.getvalue()
