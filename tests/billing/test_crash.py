"""Crash safety: SIGKILL a writer at random moments; acknowledged top-ups survive exactly once,
and emergency credit is recovered from a top-up in the same transaction or not at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
import itertools
from pathlib import Path
import random
import signal
import subprocess
import sys
import time

from custom_components.prepaid_power.billing.core import BillingCore, RoomConfig
from custom_components.prepaid_power.billing.ledger import (
    EMERGENCY_CREDIT_RECOVERED,
    EMERGENCY_CREDIT_TAKEN,
    Ledger,
)
from custom_components.prepaid_power.billing.money import Currency

from .conftest import BERLIN, FLAT, Clock, check_emergency_credit, kwh_of

CHILD = Path(__file__).with_name("crash_child.py")
KILLS = 30


def test_sigkill_never_loses_or_doubles_money(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    start = datetime(2026, 1, 10, tzinfo=UTC)
    clock = Clock(start)
    with Ledger(path, Currency("EUR"), now=clock) as ledger:
        core = BillingCore(ledger, BERLIN, now=clock)
        core.upsert_room("r1", RoomConfig(name="r1", allowance_kwh=Decimal(2)))
        core.set_tariff("r1", FLAT)
        core.move_in("r1", "Bob", "100", who="landlord")
    rng = random.Random(5)
    acknowledged: list[str] = []
    acked_runs = 0
    for run in range(KILLS):
        with Ledger(path, Currency("EUR")) as ledger:
            state = ledger.billing_state("r1")
            assert state is not None
            resume = max(state.billed_at, start) + timedelta(days=1)
        retry = acknowledged[-1] if acknowledged else "-"
        child = subprocess.Popen(
            [sys.executable, str(CHILD), str(path), str(run), resume.isoformat(), retry],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"  # start-up time varies with machine load
        time.sleep(rng.uniform(0.0, 0.4))
        child.send_signal(signal.SIGKILL)
        # Read through the same buffered file as readline() (communicate() would skip its buffer).
        out = child.stdout.read()
        err = child.stderr.read() if child.stderr else ""
        assert child.wait(timeout=30) == -signal.SIGKILL, err
        child.stdout.close()
        if child.stderr:
            child.stderr.close()
        lines = out.split("\n")[:-1]  # a line without its newline was not acknowledged
        run_acks = [line.split()[1] for line in lines if line.startswith("ack ")]
        acked_runs += bool(run_acks)
        acknowledged += run_acks
        if retry != "-" and lines:
            assert lines[0] == f"retry {retry} known"
        check(path, acknowledged)
    assert acked_runs >= KILLS // 2  # the kills really landed mid-work
    with Ledger(path, Currency("EUR")) as ledger:
        reasons = {entry.why for entry in ledger.entries(kinds=["adjustment"])}
    assert {EMERGENCY_CREDIT_TAKEN, EMERGENCY_CREDIT_RECOVERED} <= reasons


def check(path: Path, acknowledged: list[str]) -> None:
    with Ledger(path, Currency("EUR")) as ledger:
        ledger.verify()  # cached balance == Σ entries, for every account
        rows = ledger.execute(
            "SELECT reference, COUNT(*) FROM entries WHERE kind = 'top_up' GROUP BY reference"
        )
        counts = dict(rows)
        assert all(count == 1 for count in counts.values())
        missing = [ref for ref in acknowledged if counts.get(ref) != 1]
        assert not missing
        tenancy = ledger.open_tenancy_of("r1")
        state = ledger.billing_state("r1")
        assert tenancy is not None
        assert state is not None
        charges = ledger.entries(account_id=tenancy.account_id, kinds=["charge"])
        # Charges chain without gap or overlap from the opening reading to the billed reading.
        assert kwh_of(charges) == state.billed_reading - tenancy.opening_reading
        for before, after in itertools.pairwise(charges):
            assert before.reading_to == after.reading_from
        top_ups = sum((e.amount for e in ledger.entries(kinds=["top_up"])), Decimal(0))
        assert top_ups == len(counts)
        check_emergency_credit(ledger, tenancy.account_id)
