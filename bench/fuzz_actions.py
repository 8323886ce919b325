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
from pathlib import Path
import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.suite import run_suite_test


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    args = parser.parse_args()
    run = run_suite_test(
        "tests/test_fuzz_actions.py", {"FUZZ_CALLS": str(args.calls)}, "FUZZ_REPORT"
    )
    result, tally, elapsed = run.result, run.report, run.elapsed
    if tally is None:
        failure = [line for line in result.stdout.splitlines() if line.startswith("E ")]
        print("\n".join(failure[:40]) or result.stdout[-4000:])
        print(f"FAILED after {elapsed:.0f} s: the fuzz test stopped on a broken guarantee")
        return 1
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
