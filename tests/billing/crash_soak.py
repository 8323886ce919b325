"""The crash soak, shared by tests/billing/test_crash.py (short) and bench/crash_soak.py (long).

A child process (crash_child.py) works on a real SQLite ledger and is SIGKILLed at random
moments; after each kill the ledger is reopened and checked. A power cut is simulated by
copying the ledger file and its WAL while the child writes: what a machine that lost its
page cache at that moment would find on disk.

"Acknowledged" = the child printed `ack <reference>` (after the top-up's commit returned) before
the kill, or, for a power cut, before the copy began.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import itertools
from pathlib import Path
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

from custom_components.prepaid_power.billing.core import BillingCore, RoomConfig
from custom_components.prepaid_power.billing.errors import BillingError
from custom_components.prepaid_power.billing.ledger import MIGRATIONS, Ledger
from custom_components.prepaid_power.billing.money import Currency
from custom_components.prepaid_power.billing.statement import CSV_COLUMNS

from .conftest import BERLIN, FLAT, Clock, check_emergency_credit, kwh_of

CHILD = Path(__file__).with_name("crash_child.py")
START = datetime(2026, 1, 10, tzinfo=UTC)
EUR = Currency("EUR")


def prepare(path: Path) -> None:
    """Room r1 with a 2 kWh allowance per cycle and a tenant."""
    clock = Clock(START)
    with Ledger(path, EUR, now=clock) as ledger:
        core = BillingCore(ledger, BERLIN, now=clock)
        core.upsert_room("r1", RoomConfig(name="r1", allowance_kwh=Decimal(2)))
        core.set_tariff("r1", FLAT)
        core.move_in("r1", "Bob", "100", who="landlord")


@contextlib.contextmanager
def child(*args: str, out: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start crash_child.py with its output to `out`; wait until it is ready; kill it after."""
    with out.open("wb") as stdout:
        process = subprocess.Popen(
            [sys.executable, str(CHILD), *args], stdout=stdout, stderr=subprocess.PIPE
        )
    try:
        while not out.read_bytes().startswith(b"ready\n"):
            if process.poll() is not None:
                raise AssertionError(process.stderr.read() if process.stderr else "")
            time.sleep(0.005)  # start-up time varies with machine load
        yield process
    finally:
        process.kill()
        _, err = process.communicate(timeout=30)
        assert process.returncode == -signal.SIGKILL, err


def lines(out: Path) -> list[str]:
    """The child's complete lines (a line without its newline was not acknowledged)."""
    return out.read_text().split("\n")[:-1]


def copy_ledger(path: Path, target: Path) -> None:
    """The ledger file then its WAL, as a lost page cache would leave them (no -shm)."""
    target.mkdir()
    for suffix in ("", "-wal"):
        with contextlib.suppress(FileNotFoundError):
            shutil.copyfile(f"{path}{suffix}", target / f"{path.name}{suffix}")


def opens(path: Path) -> Ledger | None:
    """The ledger as Home Assistant opens it (check included), or None if it refuses it (the
    integration then raises the `ledger_broken` repair issue with the problem)."""
    try:
        ledger = Ledger(path, EUR)
    except (BillingError, sqlite3.DatabaseError):
        return None
    try:
        ledger.check()
    except (BillingError, sqlite3.DatabaseError):
        ledger.close()
        return None
    return ledger


def check(ledger: Ledger, acknowledged: list[str]) -> None:
    """Every acknowledged top-up exactly once, no charge twice, the invariants, and the
    allowance once per cycle."""
    ledger.check()  # the file, and cached balance == Σ entries for every account
    rows = ledger.execute(
        "SELECT reference, COUNT(*) FROM entries WHERE kind = 'top_up' GROUP BY reference"
    )
    counts = dict(rows)
    assert all(count == 1 for count in counts.values())
    missing = [ref for ref in acknowledged if counts.get(ref) != 1]
    assert not missing, missing
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
    allowances = Counter(e.cycle for e in ledger.entries(kinds=["allowance"]))
    assert set(allowances.values()) <= {1}
    assert {e.cycle for e in charges} <= set(allowances)


@dataclass
class Figures:
    kills: int = 0
    kills_after_acks: int = 0
    acknowledged: list[str] = field(default_factory=list)
    cycles: int = 0
    tariff_versions: int = 0
    power_cuts: int = 0
    cuts_verified: int = 0
    cuts_refused: int = 0
    cuts_lost: int = 0


def soak(folder: Path, kills: int, rng: random.Random, *, power_cuts: bool = True) -> Figures:
    """`kills` runs of the working child, each killed at a random moment; half of them also
    copy the ledger mid-write (a power cut) first."""
    path = folder / "ledger.sqlite3"
    prepare(path)
    figures = Figures()
    for run in range(kills):
        with Ledger(path, EUR) as ledger:
            state = ledger.billing_state("r1")
            assert state is not None
            resume = max(state.billed_at, START) + timedelta(days=1)
        retry = figures.acknowledged[-1] if figures.acknowledged else "-"
        earlier = list(figures.acknowledged)
        out = folder / "out.txt"
        cut: tuple[Path, list[str]] | None = None
        with child("work", str(path), str(run), resume.isoformat(), retry, out=out):
            time.sleep(rng.uniform(0.0, 0.2))
            if power_cuts and run % 2:
                before = _acks(lines(out))
                target = folder / f"cut{run}"
                copy_ledger(path, target)
                cut = target / path.name, before
                time.sleep(rng.uniform(0.0, 0.1))
        output = lines(out)
        if retry != "-" and output[1:]:
            assert output[1] == f"retry {retry} known"
        run_acks = _acks(output)
        figures.kills += 1
        figures.kills_after_acks += bool(run_acks)
        figures.acknowledged += run_acks
        with Ledger(path, EUR) as ledger:
            check(ledger, figures.acknowledged)
        if cut is not None:
            _power_cut(figures, cut[0], [*earlier, *cut[1]])
            shutil.rmtree(cut[0].parent)
    with Ledger(path, EUR) as ledger:
        figures.cycles = len(ledger.entries(kinds=["allowance"]))
        figures.tariff_versions = len(ledger.tariff_versions("r1"))
    return figures


def _acks(output: list[str]) -> list[str]:
    return [line.split()[1] for line in output if line.startswith("ack ")]


def _power_cut(figures: Figures, copy: Path, acknowledged: list[str]) -> None:
    figures.power_cuts += 1
    ledger = opens(copy)
    if ledger is None:
        figures.cuts_refused += 1
        return
    with ledger:
        try:
            check(ledger, acknowledged)
        except AssertionError:
            figures.cuts_lost += 1
        else:
            figures.cuts_verified += 1


def old_ledger(path: Path, top_ups: int) -> None:
    """A ledger of schema version 1 holding `top_ups` top-ups (references m-0, m-1, ...)."""
    clock = Clock(START)
    with Ledger(path, EUR, migrations=MIGRATIONS[:1], now=clock) as ledger:
        ledger.upsert_room("r1", "r1", {})
        tenancy = ledger.open_tenancy("r1", "Bob", START, Decimal(0), allowance_pro_rata=False)
        for n in range(top_ups):
            ledger.top_up(
                tenancy.account_id, Decimal(1), method="cash", reference=f"m-{n}", at=START, who="x"
            )


def kill_migrations(folder: Path, kills: int) -> int:
    """Kill the child inside the migration's transaction; returns how many kills landed
    there. After each: the ledger opens at the newest schema with every entry."""
    template = folder / "v1.sqlite3"
    old_ledger(template, 50)
    inside = 0
    for run in range(kills):
        path = folder / f"migrate{run}.sqlite3"
        shutil.copyfile(template, path)
        out = folder / "out.txt"
        version = 2 + run % (len(MIGRATIONS) - 1)  # inside each migration in turn
        with child("migrate", str(path), out=out):
            while f"migrated {version}" not in lines(out):
                time.sleep(0.005)
        inside += "done" not in lines(out)
        with Ledger(path, EUR) as ledger:
            ledger.check()
            assert ledger.schema_version == len(MIGRATIONS)
            references = {e.reference for e in ledger.entries(kinds=["top_up"])}
            assert references == {f"m-{n}" for n in range(50)}
    return inside


def kill_exports(folder: Path, kills: int, rng: random.Random) -> tuple[int, int]:
    """Kill the child while it writes exports; returns (kills after at least one export,
    exports found complete). An export is never found cut off, and the ledger is unharmed."""
    path = folder / "ledger.sqlite3"
    if not path.exists():
        prepare(path)
    with Ledger(path, EUR) as ledger:
        entries = len(ledger.entries())
    landed = complete = 0
    for run in range(kills):
        csv_file = folder / f"export{run}.csv"
        out = folder / "out.txt"
        with child("export", str(path), str(csv_file), out=out):
            time.sleep(rng.uniform(0.0, 0.3))
        landed += any(line.startswith("exported ") for line in lines(out))
        # Each export gets a name of its own (export3.csv, export3_2.csv …): all complete.
        for export in folder.glob(f"{csv_file.stem}*.csv"):
            rows = export.read_text(encoding="utf-8").splitlines()
            assert rows[0] == ",".join(CSV_COLUMNS)
            assert len(rows) == entries + 1
            complete += 1
        with Ledger(path, EUR) as ledger:
            ledger.check()
    return landed, complete
