"""A simulated year of three rooms with the money features on (standing charge, debt recovery
plan, bank statement import), recomputed independently from the rules in
billing/README.md and BILLING.md (not from the core's code) and compared with the ledger.

Run from the repository root: python bench/money_year.py [--days N] [--seed N]
Prints, per figure, the largest difference between the ledger and the recomputation over
all rooms and billing cycles, in minor units (the rules promise < 1 for each).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
import itertools
from pathlib import Path
import random
import sys
import tempfile
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.prepaid_power.billing.bank import BankFormat, match, parse_statement
from custom_components.prepaid_power.billing.core import BillingCore, RoomConfig
from custom_components.prepaid_power.billing.ledger import Ledger
from custom_components.prepaid_power.billing.money import Currency

TZ = ZoneInfo("Europe/Berlin")
START = datetime(2026, 1, 1, 9, 17, tzinfo=UTC)
STEP = timedelta(hours=6)
CENT = Decimal("0.01")
FORMAT = BankFormat(
    date_column="Datum", amount_column="Betrag", reference_column="Text", decimal=","
)


@dataclass(frozen=True)
class Plan:
    debt: Decimal
    percent: Decimal
    fixed: Decimal
    every: str  # day | week


@dataclass(frozen=True)
class RoomSpec:
    room_id: str
    price: Decimal
    standing: Decimal
    start_day: int
    reference: str
    plan: Plan


ROOMS = (
    RoomSpec(
        "r1",
        Decimal("0.3019"),
        Decimal("1.23"),
        1,
        "PP-101",
        Plan(Decimal(250), Decimal(25), Decimal("2.00"), "week"),
    ),
    RoomSpec(
        "r2",
        Decimal("0.2511"),
        Decimal("0.87"),
        5,
        "PP-102",
        Plan(Decimal("80.55"), Decimal(10), Decimal(0), "day"),
    ),
    RoomSpec(
        "r3",
        Decimal("0.1234"),
        Decimal("0.05"),
        15,
        "PP-103",
        Plan(Decimal(40), Decimal(0), Decimal("0.35"), "day"),
    ),
)


def floor(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_FLOOR)


# --- the recomputation: the rules, written out again ------------------------------------------


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TZ).astimezone(UTC)


def cycle_key(moment: datetime, start_day: int) -> str:
    """BILLING.md: a calendar month starting 00:00 local on the start day."""
    local = moment.astimezone(TZ)
    year, month = local.year, local.month
    if local.day < start_day:
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return date(year, month, start_day).isoformat()


def cycle_bounds_between(start: datetime, end: datetime, start_day: int) -> list[datetime]:
    """Every cycle start strictly inside (start, end)."""
    bounds = []
    local = start.astimezone(TZ).date().replace(day=1) - timedelta(days=40)
    while True:
        local = (local.replace(day=1) + timedelta(days=32)).replace(day=start_day)
        moment = local_midnight(local)
        if moment >= end:
            return bounds
        if moment > start:
            bounds.append(moment)


def spread(kwh: Decimal, start: datetime, end: datetime, start_day: int) -> dict[str, Decimal]:
    """BILLING.md: energy of a span is spread over cycles in proportion to time."""
    edges = [start, *cycle_bounds_between(start, end, start_day), end]
    total = Decimal((end - start) // timedelta(microseconds=1))
    return {
        cycle_key(a, start_day): kwh * Decimal((b - a) // timedelta(microseconds=1)) / total
        for a, b in itertools.pairwise(edges)
    }


def day_share(day: date, start: datetime, end: datetime) -> Decimal:
    """README: the move-in and move-out days pro rata by time; a DST day is one day."""
    first, last = local_midnight(day), local_midnight(day + timedelta(days=1))
    covered = min(last, end) - max(first, start)
    if covered <= timedelta(0):
        return Decimal(0)
    return Decimal(covered // timedelta(microseconds=1)) / Decimal(
        (last - first) // timedelta(microseconds=1)
    )


@dataclass
class Model:
    """What the rules say a room's ledger holds, per cycle."""

    energy: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    standing: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    top_ups: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    recovered: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    remaining: Decimal = Decimal(0)
    fixed_taken: Decimal = Decimal(0)


def recover(
    model: Model, spec: RoomSpec, moment: datetime, since: datetime, paid: Decimal | None
) -> None:
    """README "Debt recovery plan", with a balance always far above the floor (0): a share
    of each top-up, then the fixed amounts due per local midnight (per seventh) since the
    plan, never beyond the debt left."""
    plan = spec.plan
    key = cycle_key(moment, spec.start_day)
    if paid is not None and plan.percent:
        take = min(floor(paid * plan.percent / 100), model.remaining)
        model.remaining -= take
        model.recovered[key] += take
    if plan.fixed:
        days = (moment.astimezone(TZ).date() - since.astimezone(TZ).date()).days
        due = days // (7 if plan.every == "week" else 1) * plan.fixed - model.fixed_taken
        take = min(due, model.remaining)
        if take > 0:
            model.remaining -= take
            model.fixed_taken += take
            model.recovered[key] += take


# --- the simulation: the system under test ------------------------------------------------------


@dataclass
class Report:
    cycles: int
    worst: dict[str, Decimal]  # figure -> largest |ledger - recomputation| in minor units
    top_up_lines: int
    booked: int


def run(days: int = 365, seed: int = 18) -> Report:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        clock = [START]
        ledger = Ledger(Path(folder) / "year.sqlite3", Currency("EUR"), now=lambda: clock[0])
        core = BillingCore(ledger, TZ, now=lambda: clock[0])
        models = {spec.room_id: Model(remaining=spec.plan.debt) for spec in ROOMS}
        readings = {spec.room_id: Decimal(1000) for spec in ROOMS}
        moved_in: dict[str, datetime] = {}
        references = {spec.room_id: spec.reference for spec in ROOMS}
        for spec in ROOMS:
            core.upsert_room(
                spec.room_id,
                RoomConfig(
                    name=spec.room_id, cycle_start_day=spec.start_day, standing_charge=spec.standing
                ),
            )
            core.set_tariff(spec.room_id, {"kind": "flat", "price": str(spec.price)})
            core.process_reading(spec.room_id, readings[spec.room_id])
        clock[0] += timedelta(hours=1)
        for spec in ROOMS:
            moved_in[spec.room_id] = clock[0]
            core.move_in(
                spec.room_id, "tenant", readings[spec.room_id], who="landlord", first_top_up="200"
            )
            models[spec.room_id].top_ups[cycle_key(clock[0], spec.start_day)] += 200
            plan = spec.plan
            core.set_debt_plan(
                spec.room_id,
                debt=plan.debt,
                percent=plan.percent,
                fixed=plan.fixed,
                every=plan.every,
                reason="arrears",
                who="landlord",
            )
        last = {spec.room_id: clock[0] for spec in ROOMS}
        end = START + timedelta(days=days, hours=7, minutes=41)
        statements: list[str] = []
        lines_total = booked = 0
        step = 0
        while clock[0] + STEP < end:
            clock[0] += STEP
            step += 1
            for spec in ROOMS:
                kwh = Decimal(rng.randint(0, 3000)) / 1000
                readings[spec.room_id] += kwh
                core.process_reading(spec.room_id, readings[spec.room_id])
                for key, part in spread(kwh, last[spec.room_id], clock[0], spec.start_day).items():
                    models[spec.room_id].energy[key] += part
                last[spec.room_id] = clock[0]
                recover(models[spec.room_id], spec, clock[0], moved_in[spec.room_id], None)
            if step % 28 == 0:  # a week: one bank statement, imported with last week's again
                rows = [
                    f"{clock[0].date():%Y-%m-%d};{(Decimal(rng.randint(12000, 18000)) / 100):.2f}".replace(
                        ".", ","
                    )
                    + f";Strom {spec.reference.lower()} week {step}"
                    for spec in ROOMS
                ] + [
                    f"{clock[0].date():%Y-%m-%d};-45,00;Stadtwerke",
                    f"{clock[0].date():%Y-%m-%d};9,99;unknown payer",
                ]
                statements.append("\n".join(rows))
                text = "Datum;Betrag;Text\n" + "\n".join(statements[-2:]) + "\n"
                for line in parse_statement(text, FORMAT):
                    lines_total += 1
                    room, _ = match(line, references)
                    if room is None:
                        continue
                    top_up, _ = core.import_payment(room, line, who="landlord")
                    assert top_up is not None
                    if top_up.created:
                        booked += 1
                        spec = next(s for s in ROOMS if s.room_id == room)
                        assert line.amount is not None
                        models[room].top_ups[cycle_key(clock[0], spec.start_day)] += line.amount
                        recover(models[room], spec, clock[0], moved_in[room], line.amount)
        clock[0] = end
        worst: dict[str, Decimal] = defaultdict(Decimal)
        cycles = 0
        for spec in ROOMS:
            tenancy = core.tenancy_of(spec.room_id)
            assert tenancy is not None
            result = core.move_out(spec.room_id, readings[spec.room_id], who="landlord")
            model = models[spec.room_id]
            # The standing charge of every day of the tenancy, pro rata on the first and last.
            day = moved_in[spec.room_id].astimezone(TZ).date()
            while local_midnight(day) < end:
                key = cycle_key(local_midnight(day), spec.start_day)
                model.standing[key] += spec.standing * day_share(day, moved_in[spec.room_id], end)
                day += timedelta(days=1)
            ledger_figures: dict[str, dict[str, Decimal]] = defaultdict(
                lambda: defaultdict(Decimal)
            )
            for entry in ledger.entries(account_id=tenancy.account_id):
                if entry.kind == "charge":
                    ledger_figures["energy"][str(entry.cycle)] -= entry.amount
                elif entry.kind == "fee" and entry.reference:
                    standing_day = date.fromisoformat(entry.reference.rsplit(" ", 1)[1])
                    ledger_figures["standing"][
                        cycle_key(local_midnight(standing_day), spec.start_day)
                    ] -= entry.amount
                elif entry.kind == "top_up":
                    ledger_figures["top_ups"][cycle_key(entry.at, spec.start_day)] += entry.amount
                elif entry.kind == "adjustment" and entry.why.startswith("debt recovered"):
                    ledger_figures["recovered"][cycle_key(entry.at, spec.start_day)] -= entry.amount
            keys = set(model.energy) | set(ledger_figures["energy"])
            cycles += len(keys)
            exact = {
                "energy": {k: v * spec.price for k, v in model.energy.items()},
                "standing": model.standing,
                "top_ups": model.top_ups,
                "recovered": model.recovered,
            }
            for figure, mine in exact.items():
                for key in set(mine) | set(ledger_figures[figure]):
                    diff = abs(ledger_figures[figure][key] - mine.get(key, Decimal(0))) / CENT
                    worst[figure] = max(worst[figure], diff)
            # What was left of the plan is in the settlement; the account ends at zero.
            status = core.debt_plan_status(tenancy.tenancy_id)
            assert status is not None
            worst["plan_debt_left"] = max(
                worst["plan_debt_left"],
                abs(status.plan.debt - status.recovered - model.remaining) / CENT,
            )
            assert ledger.balance(tenancy.account_id) == 0
            assert result.settlement is not None
        ledger.close()
        return Report(cycles, dict(worst), lines_total, booked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    report = run(args.days, args.seed)
    print(
        f"{len(ROOMS)} rooms, {args.days} days, {report.cycles} room-cycles, "
        f"{report.top_up_lines} bank lines imported ({report.booked} payments booked)"
    )
    for figure, value in sorted(report.worst.items()):
        print(
            f"  largest |ledger - recomputation| per room per cycle, {figure}: {value:.4f} minor units"
        )


if __name__ == "__main__":
    main()
