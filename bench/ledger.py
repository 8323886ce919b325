"""Ledger benchmark: 1,000,000 entries over 200 rooms, then the queries the landlord waits for.

Run from the repository root: python bench/ledger.py [--entries N] [--rooms N] [--keep PATH]
Targets (issue 5): balance lookup < 1 ms; statements for all 200 rooms < 2 s.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import os
from pathlib import Path
import random
import statistics
import sys
import tempfile
import time
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.prepaid_power.billing.core import BillingCore, RoomConfig
from custom_components.prepaid_power.billing.ledger import Ledger, NewEntry
from custom_components.prepaid_power.billing.money import Currency
from custom_components.prepaid_power.billing.statement import (
    export_csv,
    render_statement,
    statement_data,
)

TZ = ZoneInfo("Europe/Berlin")
START = datetime(2025, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=365)
TOU = {
    "kind": "tou",
    "prices": {"peak": "0.3100", "flat": "0.2200", "valley": "0.1200"},
    "weekday": [
        {"start": "23:00", "end": "07:00", "period": "valley"},
        {"start": "07:00", "end": "19:00", "period": "peak"},
        {"start": "19:00", "end": "23:00", "period": "flat"},
    ],
}


def setup(path: Path, entries: int, rooms: int) -> BillingCore:
    clock = [START]
    ledger = Ledger(path, Currency("EUR"), now=lambda: clock[0])
    core = BillingCore(ledger, TZ, now=lambda: clock[0])
    accounts: list[int] = []
    for number in range(rooms):
        room_id = f"room{number:03d}"
        core.upsert_room(room_id, RoomConfig(name=f"Room {number}", allowance_kwh=Decimal(10)))
        core.set_tariff(room_id, TOU)
        accounts.append(core.move_in(room_id, f"Tenant {number}", "0", who="bench").account_id)
    rng = random.Random(1)
    per_room = entries // rooms
    step = YEAR / per_room
    batch: list[NewEntry] = []
    prices = {"peak": Decimal("0.31"), "flat": Decimal("0.22"), "valley": Decimal("0.12")}
    for number, account_id in enumerate(accounts):
        calendar = core.calendar(f"room{number:03d}")
        reading = Decimal(0)
        for index in range(per_room):
            at = START + step * index
            if index % 25 == 0:
                batch.append(
                    NewEntry(
                        account_id,
                        "top_up",
                        at,
                        Decimal(50),
                        "bench",
                        "top-up",
                        method="app",
                        reference=f"{account_id}-{index}",
                    )
                )
                continue
            kwh = Decimal(rng.randint(1, 900)) / 1000
            period = rng.choice(("peak", "flat", "valley"))
            exact = kwh * prices[period]
            batch.append(
                NewEntry(
                    account_id,
                    "charge",
                    at,
                    -exact.quantize(Decimal("0.01")),
                    "system",
                    "energy",
                    kwh=kwh,
                    allowance_kwh=Decimal(0),
                    period=period,
                    price=prices[period],
                    reading_from=reading,
                    reading_to=reading + kwh,
                    span_start=at - step,
                    exact_amount=exact,
                    cycle=calendar.cycle_containing(at).key,
                )
            )
            reading += kwh
            if len(batch) >= 20_000:
                ledger.append_many(batch)
                batch.clear()
    ledger.append_many(batch)
    clock[0] = START + YEAR
    return core


def timed(call: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        begin = time.perf_counter()
        call()
        samples.append(time.perf_counter() - begin)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="database file to keep (default: temporary)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as directory:
        run(Path(directory), args)


def run(directory: Path, args: argparse.Namespace) -> None:
    path = args.keep or directory / "ledger.sqlite3"
    begin = time.perf_counter()
    core = setup(path, args.entries, args.rooms)
    setup_seconds = time.perf_counter() - begin
    count = core.ledger.execute("SELECT COUNT(*) FROM entries")[0][0]
    size = os.path.getsize(path) / 1e6
    print(f"setup: {count:,} entries, {args.rooms} rooms, {setup_seconds:.1f} s, {size:.0f} MB")

    core.ledger.verify()
    rooms = core.room_ids()
    rng = random.Random(2)
    balance = timed(lambda: core.balance(rng.choice(rooms)), 2000)
    print(
        f"balance of one room: median {statistics.median(balance) * 1e3:.3f} ms,"
        f" p99 {sorted(balance)[int(len(balance) * 0.99)] * 1e3:.3f} ms  (target < 1 ms)"
    )
    tenancies = [core.tenancy_of(room) for room in rooms]
    cycle = "2025-06-01"

    def all_statements() -> None:
        for tenancy in tenancies:
            assert tenancy is not None
            render_statement(statement_data(core, tenancy.tenancy_id, cycle))

    statements = timed(all_statements, 5)
    print(
        f"statements for all {len(rooms)} rooms (data + render, cycle {cycle}):"
        f" median {statistics.median(statements):.3f} s  (target < 2 s)"
    )
    out_path = directory / "year.csv"

    def export_year() -> None:
        with out_path.open("w", encoding="utf-8", newline="") as out:
            export_csv(core, out, start=START, end=START + YEAR)

    export = timed(export_year, 1)
    print(
        f"CSV export of a year (all rooms, {count:,} rows): {export[0]:.1f} s,"
        f" {out_path.stat().st_size / 1e6:.0f} MB"
    )

    def export_one_room() -> None:
        with open(os.devnull, "w", encoding="utf-8") as out:
            export_csv(core, out, room_id=rooms[0], start=START, end=START + YEAR)

    one_room = timed(export_one_room, 3)
    print(f"CSV export of a year (one room): median {statistics.median(one_room) * 1e3:.0f} ms")
    core.ledger.close()


if __name__ == "__main__":
    main()
