"""Fuzzed actions (issue 19): 10,000 generated calls of every action and entity service in
Home Assistant's test harness, against a simulated gateway over real TCP.

A script that prints figures, not a test: it runs the suite's fuzz test with more calls and
prints what they came to. Run from the repository root:

    .venv/ha-2025.4/bin/python bench/fuzz_actions.py [--calls 10000]

Guarantees checked on every call (the test fails on the first broken one, shrunk to the
smallest call that breaks it): no unhandled exception; every refusal is HA's Unauthorized,
a schema error, or an error translated by this integration (or by HA's own platform); a
refusal changes nothing in the ledger or the rooms' supply memory.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import subprocess
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        report = Path(directory) / "fuzz.json"
        env = {**os.environ, "FUZZ_CALLS": str(args.calls), "FUZZ_REPORT": str(report)}
        started = time.monotonic()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "tests/test_fuzz_actions.py",
                "-q",
                "-p",
                "no:cacheprovider",
                "-o",
                "timeout=0",
            ],
            cwd=ROOT,
            env=env,
            check=False,
            capture_output=True,
            text=True,
        )
        elapsed = time.monotonic() - started
        if not report.exists():
            failure = [line for line in result.stdout.splitlines() if line.startswith("E ")]
            print("\n".join(failure[:40]) or result.stdout[-4000:])
            print(f"FAILED after {elapsed:.0f} s: the fuzz test stopped on a broken guarantee")
            return 1
        tally = json.loads(report.read_text(encoding="utf-8"))
    outcomes = tally["outcomes"]
    print(f"calls: {tally['calls']} in {elapsed:.0f} s")
    print("outcomes:", ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items())))
    print(f"unhandled exceptions: {len(tally['unhandled'])}")
    print("ledger or supply memory changed by a refusal: 0 (checked after every refusal)")
    print("most common schema refusals:")
    for where, count in tally["schema_refusals"].items():
        print(f"  {count:5d}  {where}")
    print("median ms per call:")
    for service, ms in tally["median_ms"].items():
        print(f"  {ms:7.1f}  {service}")
    return 0 if result.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
