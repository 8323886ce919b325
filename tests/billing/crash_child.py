"""Child process of the crash test: appends top-ups, charges and emergency credit until it is
killed.

Loads the billing package on its own (it imports nothing from its parent package), which also
keeps Home Assistant out of this process. Prints `ack <reference>` after each committed top-up.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from decimal import Decimal
import importlib.util
from pathlib import Path
import sys
from typing import Any
from zoneinfo import ZoneInfo

BILLING = Path(__file__).resolve().parents[2] / "custom_components" / "prepaid_power" / "billing"


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


def main() -> None:
    load_billing()
    from billing_alone.core import BillingCore  # type: ignore[import-not-found]
    from billing_alone.errors import BillingError  # type: ignore[import-not-found]
    from billing_alone.ledger import Ledger  # type: ignore[import-not-found]
    from billing_alone.money import Currency  # type: ignore[import-not-found]

    path, run, start, retry = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    clock = [datetime.fromisoformat(start)]
    ledger = Ledger(path, Currency("EUR"), now=lambda: clock[0])
    core = BillingCore(ledger, ZoneInfo("Europe/Berlin"), now=lambda: clock[0])
    print("ready", flush=True)
    if retry != "-":
        # The same payment submitted again after a crash: must not be a second top-up.
        created = core.top_up("r1", "1.00", method="app", reference=retry, who="child").created
        print(f"retry {retry} {'created' if created else 'known'}", flush=True)
    state = ledger.billing_state("r1")
    reading = state.billed_reading
    for step in range(10_000):
        clock[0] += timedelta(minutes=13)
        reading += Decimal("0.37")
        core.process_reading("r1", reading)
        if step % 6 == 1:
            with contextlib.suppress(BillingError):  # once until top-ups have paid it back
                core.take_emergency_credit("r1", "0.60", who="child")
        if step % 2 == 0:
            reference = f"run{run}-{step}"
            core.top_up("r1", "1.00", method="app", reference=reference, who="child")
            print(f"ack {reference}", flush=True)


if __name__ == "__main__":
    main()
