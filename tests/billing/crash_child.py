"""Child process of the crash soak: works on a ledger until it is killed.

Loads the billing package on its own (it imports nothing from its parent package), which also
keeps Home Assistant out of this process. Modes (argv[1]):

- `work PATH RUN RESUME RETRY`: the billing engine with HA's thread model (`AsyncBilling`: every
  call on one worker thread): hourly readings, top-ups, emergency credit, tariff changes and
  the month ends they cross. Prints `ack <reference>` after each committed top-up.
- `migrate PATH`: migrates an old ledger, printing `migrated <version>` inside the migration's
  transaction (and pausing there, so a kill lands mid-migration).
- `export PATH OUT`: writes the CSV export again and again, printing `exported <rows>`.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from decimal import Decimal
import importlib.util
from pathlib import Path
import sqlite3
import sys
import time
from typing import Any
from zoneinfo import ZoneInfo

BILLING = Path(__file__).resolve().parents[2] / "custom_components" / "prepaid_power" / "billing"
TZ = ZoneInfo("Europe/Berlin")
PRICES = ("0.2500", "0.3100")


def load_billing() -> Any:
    spec = importlib.util.spec_from_file_location(
        "billing_alone", BILLING / "__init__.py", submodule_search_locations=[str(BILLING)]
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["billing_alone"] = module
    spec.loader.exec_module(module)
    return module


async def work(path: str, run: int, start: str, retry: str) -> None:
    from billing_alone.aio import AsyncBilling  # type: ignore[import-not-found]
    from billing_alone.errors import BillingError  # type: ignore[import-not-found]
    from billing_alone.money import Currency  # type: ignore[import-not-found]

    clock = [datetime.fromisoformat(start)]
    billing = await AsyncBilling.open(Path(path), Currency("EUR"), TZ, now=lambda: clock[0])
    print("ready", flush=True)
    if retry != "-":
        # The same payment submitted again after a crash: must not be a second top-up.
        created = await billing.run(
            lambda core: core.top_up("r1", "1.00", method="app", reference=retry, who="child")
        )
        print(f"retry {retry} {'created' if created.created else 'known'}", flush=True)
    state = await billing.run(lambda core: core.ledger.billing_state("r1"))
    reading = state.billed_reading
    for step in range(100_000):
        clock[0] += timedelta(hours=1)
        reading += Decimal("0.37")
        await billing.run(lambda core, r=reading: core.process_reading("r1", r))
        if step % 6 == 1:
            with contextlib.suppress(BillingError):  # once until top-ups have paid it back
                await billing.run(lambda core: core.take_emergency_credit("r1", "0.60", who="c"))
        if step % 24 == 5:
            price = PRICES[(step // 24) % 2]
            await billing.run(
                lambda core, p=price: core.set_tariff("r1", {"kind": "flat", "price": p})
            )
        if step % 2 == 0:
            reference = f"run{run}-{step}"
            await billing.run(
                lambda core, ref=reference: core.top_up(
                    "r1", "1.00", method="app", reference=ref, who="child"
                )
            )
            print(f"ack {reference}", flush=True)


def migrate(path: str) -> None:
    from billing_alone.ledger import MIGRATIONS, Ledger  # type: ignore[import-not-found]
    from billing_alone.money import Currency  # type: ignore[import-not-found]

    def announced(version: int, migration: Any) -> Any:
        def run(conn: sqlite3.Connection) -> None:
            migration(conn)
            print(f"migrated {version}", flush=True)
            time.sleep(0.2)

        return run

    print("ready", flush=True)
    migrations = [announced(n + 1, m) for n, m in enumerate(MIGRATIONS)]
    Ledger(path, Currency("EUR"), migrations=migrations).close()
    print("done", flush=True)
    time.sleep(60)


def export(path: str, out: str) -> None:
    from billing_alone.core import BillingCore  # type: ignore[import-not-found]
    from billing_alone.ledger import Ledger  # type: ignore[import-not-found]
    from billing_alone.money import Currency  # type: ignore[import-not-found]
    from billing_alone.statement import write_export  # type: ignore[import-not-found]

    core = BillingCore(Ledger(path, Currency("EUR")), TZ)
    print("ready", flush=True)
    while True:
        file = Path(out)
        print(f"exported {write_export(core, file.parent, file.stem)[1]}", flush=True)


def main() -> None:
    load_billing()
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "work":
        asyncio.run(work(args[0], int(args[1]), args[2], args[3]))
    elif mode == "migrate":
        migrate(args[0])
    else:
        export(args[0], args[1])


if __name__ == "__main__":
    main()
