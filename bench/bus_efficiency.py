"""Bus efficiency of the read planner on the sample building (a benchmark, not a test).

Prints transactions and modelled wire time per poll cycle for
  (a) our planner,
  (b) one read per value, as Home Assistant core's modbus sensors do,
  (c) the optimum for the timing model, found by an independent exhaustive search
      (Dijkstra over the set of covered registers, every readable interval a step),
then, when the add-on is importable, the time a cycle really takes against its simulator
with 9600-baud wire-time emulation.

Run from the repository root: python bench/bus_efficiency.py [--keys default|all] [--no-measure]
[--building FILE ...] (default: every shipped building, each printed; a building's `parity`
sets the modelled framing, e.g. 8E1). `--readme` writes the sample building's modelled figures
(default keys, 9600 baud) into README.md's polling section instead; tests/test_readme.py fails
when that table is out of date.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
import heapq
from pathlib import Path
import sys
import time

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "addon")]

from custom_components.prepaid_power.bus.client import (  # noqa: E402
    BusSettings,
    ModbusBus,
    TcpEndpoint,
)
from custom_components.prepaid_power.bus.planner import (  # noqa: E402
    MeterRequest,
    Plan,
    ReadItem,
    meter_items,
    one_read_per_value,
    plan_reads,
)
from custom_components.prepaid_power.bus.timing import BusTiming  # noqa: E402
from custom_components.prepaid_power.profiles import Profile, load_profiles  # noqa: E402

BUILDINGS = ROOT / "addon" / "buildings"
SAMPLE = BUILDINGS / "sample.yaml"
README = ROOT / "README.md"
README_BEGIN = "<!-- begin: python bench/bus_efficiency.py --readme -->"
README_END = "<!-- end: python bench/bus_efficiency.py --readme -->"
MODEL_TO_PROFILE = {
    "SDM120": "eastron_sdm120",
    "SDM230": "eastron_sdm230",
    "SDM630": "eastron_sdm630",
    "DDSU666": "chint_ddsu666",
    "DDS238-2 ZN/S": "hiking_dds238_2_zn_s",
    "DDS238-2 ZN/SR": "hiking_dds238_2_zn_sr",
    "EM115": "fineco_em115",
    "OR-WE-514": "orno_or_we_514",
    "PZEM-004T": "peacefair_pzem_004t",
    "PZEM-016": "peacefair_pzem_004t",
    "DTSU666": "chint_dtsu666",
    "SDM72D-M": "eastron_sdm72d_m",
    "SDM72D-M-2": "eastron_sdm72_v2",
    "SDM72D-2": "eastron_sdm72_v2",
    "OR-WE-504": "orno_or_we_504",
    "OR-WE-515": "orno_or_we_515",
    "OR-WE-516": "orno_or_we_516",
    "OR-WE-525": "orno_or_we_525",
    "7M.24": "finder_7m_24",
    "7M.38": "finder_7m_24",
    "EM111": "carlo_gavazzi_em111",
    "EM112": "carlo_gavazzi_em111",
    "DDSY1352": "acrel_ddsy1352",
}
# Used when the add-on's sample building is not there: the same mix of models.
FALLBACK = [
    (1, "hiking_dds238_2_zn_sr"),
    (2, "hiking_dds238_2_zn_sr"),
    (3, "hiking_dds238_2_zn_sr"),
    (4, "fineco_em115"),
    (5, "fineco_em115"),
    (6, "eastron_sdm120"),
    (7, "eastron_sdm120"),
    (8, "eastron_sdm230"),
    (9, "chint_ddsu666"),
    (10, "chint_ddsu666"),
    (11, "hiking_dds238_2_zn_s"),
    (12, "eastron_sdm630"),
    (13, "orno_or_we_514"),
    (100, "generic_relay_board"),
]


def building(
    profiles: dict[str, Profile], path: Path = SAMPLE
) -> tuple[str, list[tuple[int, Profile]], str]:
    """Slave ids and profiles of a building file (the sample building by default), and its
    bus framing's parity (N unless the file says)."""
    if not path.exists():
        return "built-in mix", [(sid, profiles[pid]) for sid, pid in FALLBACK], "N"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    bus = [(m["slave"], profiles[MODEL_TO_PROFILE[m["model"]]]) for m in data["meters"]]
    bus += [(b["slave"], profiles["generic_relay_board"]) for b in data.get("relay_boards", [])]
    return str(path.resolve().relative_to(ROOT)), bus, data.get("parity", "N")


def exhaustive_ms(
    profile: Profile, function: int, items: Sequence[ReadItem], timing: BusTiming
) -> tuple[float, int]:
    """Minimum wire time (and its transaction count) to read `items`, by exhaustive search."""
    limit = profile.max_read_count(function)
    turnaround = profile.quirks.turnaround_ms
    starts = sorted({i.address for i in items})
    ends = sorted({i.address + i.count - 1 for i in items})
    steps: list[tuple[float, int]] = []
    # Shrinking an interval to the first and last register it reads never costs more,
    # so intervals starting and ending on register boundaries are enough.
    for start in starts:
        for end in ends:
            if end < start or end - start + 1 > limit:
                continue
            if not profile.is_readable(function, start, end):
                continue
            mask = sum(
                1 << n
                for n, item in enumerate(items)
                if start <= item.address and item.address + item.count - 1 <= end
            )
            if mask:
                steps.append((timing.read_ms(function, end - start + 1, turnaround), mask))
    goal = (1 << len(items)) - 1
    best: dict[int, tuple[float, int]] = {0: (0.0, 0)}
    queue: list[tuple[float, int, int]] = [(0.0, 0, 0)]
    while queue:
        cost, count, covered = heapq.heappop(queue)
        if covered == goal:
            return cost, count
        if (cost, count) > best[covered]:
            continue
        for step, mask in steps:
            state = covered | mask
            candidate = (cost + step, count + 1)
            if state != covered and candidate < best.get(state, (float("inf"), 0)):
                best[state] = candidate
                heapq.heappush(queue, (*candidate, state))
    raise RuntimeError("no way to read these registers")


def optimum(meters: Sequence[MeterRequest], timing: BusTiming) -> tuple[float, int]:
    """(c): the optimum of the timing model over all meters."""
    total_ms, total_count = 0.0, 0
    for meter in meters:
        for function, items in meter_items(meter).items():
            ms, count = exhaustive_ms(meter.profile, function, items, timing)
            total_ms += ms
            total_count += count
    return total_ms, total_count


def id_switch_ms(meters: Sequence[MeterRequest]) -> float:
    """Pauses the meters need after the bus addressed another slave (same for every plan)."""
    return sum(m.profile.quirks.id_switch_pause_ms for m in meters)


async def measure(
    plan: Plan, meters: Sequence[MeterRequest], cycles: int, path: Path = SAMPLE
) -> float | None:
    """Seconds per cycle against the add-on simulator with 9600-baud wire-time emulation."""
    try:
        from prepaid_power_gateway import Gateway, gateway_config
    except ImportError:
        return None
    pauses = {m.slave_id: m.profile.quirks.id_switch_pause_ms for m in meters}
    config = gateway_config(
        str(path),
        simulate=True,
        time_scale=0,
        min_gap_ms=0,
        id_switch_gap_ms=0,
        wire_time=True,
        request_timeout=1.0,
    )
    async with Gateway(config) as gw:
        for meter in gw.simulator.meters.values():
            meter.set_faults(timeout_rate=0.0)
        async with ModbusBus(TcpEndpoint("127.0.0.1", gw.port), BusSettings(timeout_s=2.0)) as bus:
            first = plan.transactions[0]  # connect outside the measurement
            await bus.read(first.slave_id, first.function, first.address, first.count)
            started = time.perf_counter()
            for _ in range(cycles):
                for tx in plan.transactions:
                    await bus.read(
                        tx.slave_id, tx.function, tx.address, tx.count, pause_ms=pauses[tx.slave_id]
                    )
            return (time.perf_counter() - started) / cycles


@dataclass(frozen=True, slots=True)
class Figures:
    """One poll cycle of the sample building, by the timing model."""

    source: str
    meters: list[MeterRequest]
    timing: BusTiming
    ours: Plan
    naive: Plan
    best_ms: float
    best_count: int


def figures(keys: str = "default", baud: int = 9600, path: Path = SAMPLE) -> Figures:
    """(a), (b) and (c) for a building (the README's: the sample building)."""
    profiles = dict(load_profiles().profiles)
    source, bus, parity = building(profiles, path)
    timing = BusTiming.for_serial(baud, parity=parity)
    meters = [MeterRequest(sid, p, frozenset(p.keys) if keys == "all" else None) for sid, p in bus]
    best_ms, best_count = optimum(meters, timing)
    return Figures(
        source,
        meters,
        timing,
        plan_reads(meters, timing),
        one_read_per_value(meters, timing),
        best_ms,
        best_count,
    )


def readme_table(result: Figures) -> str:
    """The README's polling table, between its markers."""
    rows = (
        ("this integration's read planner", len(result.ours.transactions), result.ours.wire_ms),
        (
            "one read per value (as HA core's modbus sensors read)",
            len(result.naive.transactions),
            result.naive.wire_ms,
        ),
        ("optimum (exhaustive search)", result.best_count, result.best_ms),
    )
    lines = [
        README_BEGIN,
        "| plan | transactions per cycle | wire time per cycle |",
        "|---|---|---|",
        *(f"| {name} | {count} | {ms:,.0f} ms |" for name, count, ms in rows),
        README_END,
    ]
    return "\n".join(lines)


def write_readme(table: str) -> None:
    """Replace the table between the markers in README.md."""
    text = README.read_text(encoding="utf-8")
    start, end = text.index(README_BEGIN), text.index(README_END) + len(README_END)
    README.write_text(text[:start] + table + text[end:], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", choices=("default", "all"), default="default")
    parser.add_argument("--baud", type=int, default=9600)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--no-measure", action="store_true")
    parser.add_argument("--readme", action="store_true", help="write README.md's table")
    parser.add_argument(
        "--building",
        type=Path,
        nargs="+",
        default=sorted(BUILDINGS.glob("*.yaml")),
        help="building files (default: every one in addon/buildings/)",
    )
    args = parser.parse_args()

    if args.readme:
        table = readme_table(figures())
        write_readme(table)
        print(table)
        return
    for index, path in enumerate(args.building):
        if index:
            print("\n" + "-" * 76 + "\n")
        report(args, path)


def report(args: argparse.Namespace, path: Path) -> None:
    """Print the figures of one building."""
    result = figures(args.keys, args.baud, path)
    source, meters, timing = result.source, result.meters, result.timing
    ours, naive, best_ms, best_count = result.ours, result.naive, result.best_ms, result.best_count
    values = sum(len(m.wanted) for m in meters)
    pauses = id_switch_ms(meters)

    print(f"building: {source}: {len(meters)} devices, {values} values ({args.keys} keys)")
    framing = f"8{'E' if timing.parity else 'N'}1"
    print(
        f"timing model: {args.baud} baud {framing}, {timing.char_ms:.3f} ms/char, per-model turnaround"
    )
    print(f"id-switch pauses (same for every plan, not included below): {pauses:.0f} ms/cycle")
    print()
    print(f"{'plan':<34}{'transactions':>13}{'wire ms/cycle':>15}{'vs optimum':>12}")
    rows = (
        ("(a) planner", len(ours.transactions), ours.wire_ms),
        ("(b) one read per value (HA core)", len(naive.transactions), naive.wire_ms),
        ("(c) optimum (exhaustive search)", best_count, best_ms),
    )
    for name, count, ms in rows:
        print(f"{name:<34}{count:>13}{ms:>15.1f}{ms / best_ms:>11.3f}x")
    ratio = ours.wire_ms / best_ms
    print()
    print(f"(a)/(c) = {ratio:.4f}  target <= 1.05: {'met' if ratio <= 1.05 else 'MISSED'}")
    print(f"(b)/(a) = {naive.wire_ms / ours.wire_ms:.2f}x more wire time for one read per value")

    if not args.no_measure:
        planned = asyncio.run(measure(ours, meters, args.cycles, path))
        if planned is None:
            print("\n(add-on not importable: no measurement against the simulator)")
            return
        one_by_one = asyncio.run(measure(naive, meters, 1, path))
        assert one_by_one is not None
        print()
        print("measured against the add-on simulator (wire-time emulation, its own turnarounds,")
        print("including id-switch pauses and loopback TCP):")
        print(f"  (a) planner:               {planned * 1000:8.0f} ms/cycle")
        print(f"  (b) one read per value:    {one_by_one * 1000:8.0f} ms/cycle")


if __name__ == "__main__":
    main()
