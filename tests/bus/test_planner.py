"""Read planner: limits, readable blocks, and optimality against brute force."""

from __future__ import annotations

import heapq

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.prepaid_power.bus.planner import (
    MeterRequest,
    ReadItem,
    meter_items,
    one_read_per_value,
    plan_group,
    plan_reads,
)
from custom_components.prepaid_power.bus.timing import BusTiming
from custom_components.prepaid_power.profiles import (
    DataType,
    Profile,
    Quirks,
    ReadableBlock,
    Register,
    load_profiles,
)

PROFILES = load_profiles().profiles
TIMING = BusTiming()


def test_timing_model() -> None:
    # 9600 8N1: 10 bits per character, 1.0417 ms.
    assert TIMING.char_ms == pytest.approx(1000 / 960)
    # 2 registers: 8 + 5 + 4 bytes + 2 x 3.5 gaps = 24 characters, plus turnaround.
    assert TIMING.read_ms(4, 2, 20.0) == pytest.approx(24 * 1000 / 960 + 20.0)
    # Coils pack 8 per byte.
    assert TIMING.read_ms(1, 8, 0.0) == pytest.approx((8 + 6 + 7) * 1000 / 960)
    assert BusTiming(parity=True).char_ms == pytest.approx(11000 / 9600)
    assert BusTiming.for_serial(9600, parity="E") == BusTiming(parity=True)


def test_unknown_keys_rejected() -> None:
    with pytest.raises(ValueError, match="no keys nonsense"):
        MeterRequest(1, PROFILES["eastron_sdm120"], frozenset({"voltage", "nonsense"}))


def test_dds238_reads_in_one_transaction() -> None:
    profile = PROFILES["hiking_dds238_2_zn_sr"]
    plan = plan_reads([MeterRequest(3, profile, frozenset(profile.keys))])
    assert len(plan.transactions) == 1
    tx = plan.transactions[0]
    assert (tx.slave_id, tx.function, tx.address, tx.count) == (3, 3, 0x0000, 27)
    assert {item.key for item in tx.items} == set(profile.keys)


def test_never_reads_outside_readable_blocks() -> None:
    # Fineco's blocks are far apart: never merged across the unknown gap.
    profile = PROFILES["fineco_em115"]
    plan = plan_reads([MeterRequest(1, profile, frozenset(profile.keys))])
    for tx in plan.transactions:
        assert profile.is_readable(tx.function, tx.address, tx.end)
    assert [(t.address, t.count) for t in plan.transactions] == [
        (0x0002, 14),
        (0x0160, 12),
        (0x0566, 1),
    ]


def test_register_limit_respected() -> None:
    registers = tuple(Register(f"r{i}", 3, i * 10, DataType.UINT16) for i in range(40))
    profile = Profile(
        id="wide",
        manufacturer="X",
        model="Y",
        registers=registers,
        readable=(ReadableBlock(3, 0, 1000),),
        quirks=Quirks(turnaround_ms=5000.0),
    )
    plan = plan_reads([MeterRequest(1, profile, frozenset(r.key for r in registers))])
    assert all(t.count <= 125 for t in plan.transactions)
    assert len(plan.transactions) == 4  # 391 registers in reads of at most 125
    quirky = Profile(
        id="short",
        manufacturer="X",
        model="Y",
        registers=registers,
        readable=(ReadableBlock(3, 0, 1000),),
        quirks=Quirks(turnaround_ms=5000.0, max_read_registers=40),
    )
    plan = plan_reads([MeterRequest(1, quirky, frozenset(r.key for r in registers))])
    assert all(t.count <= 40 for t in plan.transactions)


def test_planner_beats_one_read_per_value() -> None:
    meters = [MeterRequest(sid, p, frozenset(p.keys)) for sid, p in enumerate(PROFILES.values(), 1)]
    ours = plan_reads(meters)
    naive = one_read_per_value(meters)
    assert len(ours.transactions) < len(naive.transactions)
    assert ours.wire_ms < naive.wire_ms
    assert ours.as_dict()[0]["slave_id"] == 1


def _brute_force(
    profile: Profile,
    items: list[ReadItem],
    timing: BusTiming,
    function: int = 3,
    *,
    boundaries_only: bool = False,
) -> float:
    """Cheapest cover over every readable interval: Dijkstra on the set of covered items.

    With `boundaries_only`, intervals start and end on register boundaries (shrinking an
    interval to what it covers never costs more; the small random cases check that too).
    """
    limit = profile.max_read_count(function)
    turnaround = profile.quirks.turnaround_ms
    lo = min(i.address for i in items)
    hi = max(i.address + i.count - 1 for i in items)
    starts = sorted({i.address for i in items}) if boundaries_only else range(lo, hi + 1)
    ends = (
        sorted({i.address + i.count - 1 for i in items}) if boundaries_only else range(lo, hi + 1)
    )
    intervals = []
    for start in starts:
        for end in ends:
            if end < start or end - start + 1 > limit:
                continue
            if not profile.is_readable(function, start, end):
                continue
            mask = 0
            for index, item in enumerate(items):
                if start <= item.address and item.address + item.count - 1 <= end:
                    mask |= 1 << index
            if mask:
                intervals.append((timing.read_ms(function, end - start + 1, turnaround), mask))
    goal = (1 << len(items)) - 1
    best = {0: 0.0}
    queue = [(0.0, 0)]
    while queue:
        cost, covered = heapq.heappop(queue)
        if covered == goal:
            return cost
        if cost > best.get(covered, float("inf")):
            continue
        for step, mask in intervals:
            state = covered | mask
            if state != covered and cost + step < best.get(state, float("inf")):
                best[state] = cost + step
                heapq.heappush(queue, (cost + step, state))
    raise AssertionError("no cover")


@st.composite
def small_cases(draw: st.DrawFn) -> tuple[Profile, list[ReadItem], BusTiming]:
    size = 24
    cuts = sorted(draw(st.sets(st.integers(1, size - 1), max_size=4)))
    edges = [0, *cuts, size]
    blocks = [
        ReadableBlock(3, edges[i], edges[i + 1] - 1)
        for i in range(len(edges) - 1)
        if draw(st.booleans()) or i == 0
    ]
    items: list[ReadItem] = []
    for index in range(draw(st.integers(1, 7))):
        block = draw(st.sampled_from(blocks))
        count = draw(st.sampled_from([1, 2]))
        if block.end - block.start + 1 < count:
            count = 1
        address = draw(st.integers(block.start, block.end - count + 1))
        item = ReadItem(f"r{index}", address, count)
        # Registers overlap only as exact duplicates (the same register under two keys).
        if all(
            (i.address, i.count) == (address, count)
            or address + count <= i.address
            or i.address + i.count <= address
            for i in items
        ):
            items.append(item)
    profile = Profile(
        id="random",
        manufacturer="X",
        model="Y",
        registers=(),
        readable=tuple(blocks),
        quirks=Quirks(
            turnaround_ms=draw(st.floats(0, 60)),
            max_read_registers=draw(st.integers(2, 30)),
        ),
    )
    timing = BusTiming(
        baud=draw(st.sampled_from([2400, 9600, 19200])),
        request_overhead_ms=draw(st.floats(0, 20)),
    )
    return profile, items, timing


@settings(max_examples=150, deadline=None)
@given(small_cases())
def test_planner_is_optimal(case: tuple[Profile, list[ReadItem], BusTiming]) -> None:
    profile, items, timing = case
    transactions = plan_group(1, profile, 3, items, timing)
    for tx in transactions:
        assert tx.count <= profile.max_read_count(3)
        assert profile.is_readable(3, tx.address, tx.end)
    for item in items:
        assert any(
            tx.address <= item.address and item.address + item.count - 1 <= tx.end
            for tx in transactions
        )
    assert sum(t.wire_ms for t in transactions) == pytest.approx(
        _brute_force(profile, items, timing), rel=1e-9
    )


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_planner_optimal_on_builtin_profiles(data: st.DataObject) -> None:
    profile = data.draw(st.sampled_from(sorted(PROFILES.values(), key=lambda p: p.id)))
    keys = data.draw(st.sets(st.sampled_from(profile.keys), min_size=1))
    request = MeterRequest(1, profile, frozenset(keys))
    plan = plan_reads([request], TIMING)
    expected = 0.0
    for function, items in meter_items(request).items():
        expected += _brute_force(profile, items, TIMING, function, boundaries_only=True)
    assert plan.wire_ms == pytest.approx(expected, rel=1e-9)


def test_a_refused_read_is_never_planned_again_nor_any_read_containing_it() -> None:
    """The ZN/SR's one 27-register read, refused: the plan splits around the refusal."""
    profile = PROFILES["hiking_dds238_2_zn_sr"]
    everything = frozenset(profile.keys)
    [whole] = plan_reads([MeterRequest(1, profile, everything)]).transactions
    assert (whole.address, whole.count) == (0x0000, 27)
    refused = frozenset({(3, 0x0011, 10)})  # frequency .. relay, across 0x0016-0x0019
    split = plan_reads([MeterRequest(1, profile, everything, refused)]).transactions
    assert len(split) == 2
    for t in split:
        assert not (t.address <= 0x0011 and t.address + t.count >= 0x0011 + 10)
    # Still every value, and still the cheapest plan avoiding the refusal.
    assert {i.key for t in split for i in t.items} == set(everything)
    assert [(t.address, t.count) for t in split] == [(0x0000, 0x0012), (0x001A, 1)]
    # Another function code's refusal changes nothing.
    other = frozenset({(4, 0x0000, 27)})
    assert plan_reads([MeterRequest(1, profile, everything, other)]).transactions == (whole,)
