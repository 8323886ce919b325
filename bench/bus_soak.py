"""Bus fault soak (issue 19): 24 simulated hours of the sample building over a faulty bus,
in Home Assistant's test harness against the add-on's simulator over real TCP.

A script that prints figures, not a test: it runs the suite's soak (tests/test_bus_soak.py,
3 simulated hours there) for longer and prints what it came to. Run from the repository root:

    .venv/ha-2025.4/bin/python bench/bus_soak.py [--hours 24]

Every device answers 10 % of requests with silence and 1 % with a bad CRC; two meters are
offline for a fifth of the run each; two counters are reset and one meter is replaced by a
used one reading far higher (the landlord discards the jump in the repair dialog); tenants
run out of credit and top up. HA polls every 5 simulated minutes. Checked: each tenancy's
charges against (kWh its meter's register counted) x price, HA's supply state against the
policy after every poll, the bus against HA's supply state, relay commands as they reached
the bus (duplicates: commands sent while the integration knew the relay was already so).
"""

from __future__ import annotations

import argparse
from pathlib import Path
import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.suite import run_suite_test


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    args = parser.parse_args()
    run = run_suite_test("tests/test_bus_soak.py", {"SOAK_HOURS": str(args.hours)}, "SOAK_REPORT")
    result, report = run.result, run.report
    if report is None:
        print(result.stdout[-4000:])
        print(f"FAILED after {run.elapsed:.0f} s before the soak could report")
        return 1
    print(f"bus fault soak: {report['hours']:g} simulated hours in {report['real_s']:.0f} s")
    print(
        f"  bus: {report['polls']} polls every {report['poll_step_s'] / 60:g} min, "
        f"{report['requests']:,} requests, {report['timeouts']:,} timeouts, "
        f"{report['crc_errors']:,} CRC errors, {report['offline_meter_hours']:g} meter-hours "
        "offline"
    )
    print(
        f"  meters: {report['counter_resets']} counter resets, {report['replaced']} replaced; "
        f"{report['counter_backwards_issues']} counter-backwards repairs raised"
    )
    print(
        f"  money: {report['tenancies']} tenancies, {report['top_ups']} top-ups, "
        f"{report['kwh_charged']} kWh / {report['money_charged']} charged; "
        f"largest deviation from kWh x price {report['max_deviation']}, "
        f"mis-charges beyond one minor unit: {len(report['mischarges'])}"
    )
    print(
        f"  relays: {report['relay_commands']} commands reached the bus "
        f"({report['relay_commands_unclean']} answered with a bad CRC), "
        f"{report['duplicate_commands']} duplicates; {report['cuts']} cuts, "
        f"{report['restores']} restores, {len(report['relay_faults'])} relay faults"
    )
    print(
        f"  balances: {report['balance_checks']:,} checks after polls, largest deviation "
        f"{report['max_balance_deviation']}, {len(report['balance_mismatches'])} off"
    )
    print(
        f"  supply: {report['supply_checks']:,} checks after polls, "
        f"{len(report['policy_mismatches'])} states not the policy's, "
        f"{len(report['supply_mismatches'])} relays not as HA said"
    )
    for key in (
        "mischarges",
        "balance_mismatches",
        "policy_mismatches",
        "supply_mismatches",
        "relay_faults",
    ):
        if report[key]:
            print(f"  {key}: {report[key]}")
    if result.returncode:
        failure = [line for line in result.stdout.splitlines() if line.startswith("E ")]
        print("\n".join(failure[:20]))
        print("FAILED: a guarantee broke")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
