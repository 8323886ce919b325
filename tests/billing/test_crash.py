"""Crash safety: SIGKILL the billing engine (HA's thread model) at random moments, copy its
files mid-write (a power cut), kill it inside a migration and during an export; money is never
lost or doubled. The long run is bench/crash_soak.py; this is its short variant."""

from __future__ import annotations

from pathlib import Path
import random

from custom_components.prepaid_power.billing.ledger import (
    EMERGENCY_CREDIT_RECOVERED,
    EMERGENCY_CREDIT_TAKEN,
    Ledger,
)

from .crash_soak import EUR, kill_exports, kill_migrations, soak

KILLS = 20


def test_sigkill_and_power_cut_never_lose_or_double_money(tmp_path: Path) -> None:
    """After every kill: every acknowledged top-up once, charges chained, balances verified,
    the allowance once per cycle; every power-cut copy opens and holds all top-ups
    acknowledged before it was taken, or is refused (never a silent loss)."""
    figures = soak(tmp_path, KILLS, random.Random(5))
    assert figures.kills_after_acks >= KILLS // 2  # the kills really landed mid-work
    assert figures.cycles >= 2  # month ends were crossed
    assert figures.tariff_versions >= 3
    assert figures.power_cuts == KILLS // 2
    assert figures.cuts_lost == 0
    assert figures.cuts_verified + figures.cuts_refused == figures.power_cuts
    with Ledger(tmp_path / "ledger.sqlite3", EUR) as ledger:
        reasons = {entry.why for entry in ledger.entries(kinds=["emergency_credit"])}
    assert {EMERGENCY_CREDIT_TAKEN, EMERGENCY_CREDIT_RECOVERED} <= reasons


def test_sigkill_inside_a_migration(tmp_path: Path) -> None:
    """A kill inside the migration's transaction leaves the old schema; the next start
    migrates it with every entry."""
    assert kill_migrations(tmp_path, 4) == 4


def test_sigkill_during_an_export(tmp_path: Path) -> None:
    """An export file is complete or absent, never cut off; the ledger is unharmed."""
    landed, complete = kill_exports(tmp_path, 5, random.Random(3))
    assert landed >= 2
    assert complete >= 1
