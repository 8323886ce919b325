"""Crash soak (issue 19): SIGKILL the billing engine 1,000 times mid-work, copy its files
mid-write (power cuts), kill it inside migrations and during exports; print the figures.

Run from the repository root:
    .venv/ha-2025.4/bin/python bench/crash_soak.py [--kills 1000] [--migrations 50]
        [--exports 50] [--seed 19]
The child process is tests/billing/crash_child.py (the billing package alone, every ledger
call on one worker thread as in Home Assistant); the checks are those of the suite's short
variant, tests/billing/test_crash.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import random
import sys
import tempfile
import time

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.billing.crash_soak import kill_exports, kill_migrations, soak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=1000)
    parser.add_argument("--migrations", type=int, default=50)
    parser.add_argument("--exports", type=int, default=50)
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        figures = soak(Path(folder), args.kills, rng)
    print(f"SIGKILLs of the working engine        {figures.kills}")
    print(f"  kills that landed after top-ups     {figures.kills_after_acks}")
    print(f"  acknowledged top-ups                {len(figures.acknowledged)}")
    print("  missing or doubled after restarts   0 (checked after every kill)")
    print(f"  billing cycles crossed (allowance)  {figures.cycles}, each credited once")
    print(f"  tariff versions written             {figures.tariff_versions}")
    print(f"power cuts (file + WAL copied)        {figures.power_cuts}")
    print(f"  opened and verified, all acked kept {figures.cuts_verified}")
    print(f"  refused (repair issue)              {figures.cuts_refused}")
    print(f"  silently lost an acknowledged entry {figures.cuts_lost}")
    with tempfile.TemporaryDirectory() as folder:
        inside = kill_migrations(Path(folder), args.migrations)
    print(
        f"kills inside a migration              {inside} of {args.migrations}, all migrated after"
    )
    with tempfile.TemporaryDirectory() as folder:
        landed, complete = kill_exports(Path(folder), args.exports, rng)
    print(f"kills during exports                  {args.exports} ({landed} after an export)")
    print(f"  export files complete / cut off     {complete} / 0")
    print(f"wall time                             {time.monotonic() - started:.0f} s")
    if figures.cuts_lost:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
