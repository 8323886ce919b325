"""Read planner: the cheapest set of transactions that reads what every meter needs.

Per slave and function code the needed spans are sorted; a transaction covering spans
i..j reads from the first address of i to the last of j. Because every cost is additive,
a dynamic programme over the sorted spans finds the minimum total wire time (ties broken
by fewer transactions), subject to the 125-register / function-code limits and to the
profile's readable blocks (a read never crosses an address the meter may reject).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from ..profiles.model import Profile  # noqa: TID252
from .timing import BusTiming

type RefusedRead = tuple[int, int, int]  # function, first address, count


@dataclass(frozen=True, slots=True)
class MeterRequest:
    """A meter on the bus and the reading keys wanted from it (None: its defaults).

    `refused`: merged reads this meter answered with exception 02/03; no transaction reads
    one of them, or a range containing one, again (the plan splits there instead).
    """

    slave_id: int
    profile: Profile
    keys: frozenset[str] | None = None
    refused: frozenset[RefusedRead] = frozenset()

    def __post_init__(self) -> None:
        if self.keys is not None and (unknown := self.keys - set(self.profile.keys)):
            raise ValueError(f"{self.profile.id} has no keys {', '.join(sorted(unknown))}")

    @property
    def wanted(self) -> frozenset[str]:
        """Keys to read."""
        return self.profile.default_keys if self.keys is None else self.keys


@dataclass(frozen=True, slots=True)
class ReadItem:
    """One reading key inside a transaction."""

    key: str
    address: int
    count: int


@dataclass(frozen=True, slots=True)
class Transaction:
    """One read request on the bus."""

    slave_id: int
    function: int
    address: int
    count: int
    items: tuple[ReadItem, ...]
    wire_ms: float = field(compare=False, default=0.0)

    @property
    def end(self) -> int:
        """Last address read (inclusive)."""
        return self.address + self.count - 1


@dataclass(frozen=True, slots=True)
class Plan:
    """Transactions for one poll cycle, grouped by slave in bus order."""

    transactions: tuple[Transaction, ...]

    @property
    def wire_ms(self) -> float:
        """Total modelled wire time."""
        return sum(t.wire_ms for t in self.transactions)

    def for_slave(self, slave_id: int) -> tuple[Transaction, ...]:
        """Transactions addressed to one slave."""
        return tuple(t for t in self.transactions if t.slave_id == slave_id)

    def as_dict(self) -> list[dict[str, object]]:
        """Plain structure for diagnostics."""
        return [
            {
                "slave_id": t.slave_id,
                "function": t.function,
                "address": t.address,
                "count": t.count,
                "keys": [item.key for item in t.items],
                "wire_ms": round(t.wire_ms, 2),
            }
            for t in self.transactions
        ]


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    items: tuple[ReadItem, ...]


def _spans(items: Iterable[ReadItem]) -> list[_Span]:
    """Sort items and merge overlapping ones (they must be read together anyway)."""
    spans: list[_Span] = []
    for item in sorted(items, key=lambda i: (i.address, i.count, i.key)):
        end = item.address + item.count - 1
        if spans and item.address <= spans[-1].end:
            last = spans[-1]
            spans[-1] = _Span(last.start, max(last.end, end), (*last.items, item))
        else:
            spans.append(_Span(item.address, end, (item,)))
    return spans


@cache
def _runs(profile: Profile, function: int) -> tuple[tuple[int, int], ...]:
    return profile.readable_runs(function)


def _readable(profile: Profile, function: int, start: int, end: int) -> bool:
    return any(lo <= start and end <= hi for lo, hi in _runs(profile, function))


def _refuses(refused: Iterable[RefusedRead], function: int, start: int, end: int) -> bool:
    return any(
        fc == function and start <= address and address + count - 1 <= end
        for fc, address, count in refused
    )


def plan_group(  # noqa: PLR0917
    slave_id: int,
    profile: Profile,
    function: int,
    items: Sequence[ReadItem],
    timing: BusTiming,
    refused: frozenset[RefusedRead] = frozenset(),
) -> list[Transaction]:
    """Optimal transactions for one slave and function code, avoiding refused reads."""
    spans = _spans(items)
    refused = frozenset(r for r in refused if r[0] == function)
    limit = profile.max_read_count(function)
    turnaround = profile.quirks.turnaround_ms
    n = len(spans)
    # best[j]: (wire ms, transactions) to read spans[:j]; choice[j]: start of the last one.
    best: list[tuple[float, int]] = [(0.0, 0)] + [(float("inf"), 0)] * n
    choice = [0] * (n + 1)
    for j in range(1, n + 1):
        end = spans[j - 1].end
        for i in range(j, 0, -1):
            start = spans[i - 1].start
            if end - start + 1 > limit:
                if i == j:
                    raise ValueError(f"{profile.id}: overlapping registers at {start}..{end}")
                break
            if not _readable(profile, function, start, end):
                if i == j:
                    raise ValueError(
                        f"{profile.id}: {function=} {start}..{end} is not readable in one request"
                    )
                break
            if i < j and _refuses(refused, function, start, end):
                break  # a wider read contains the refused one too
            cost = timing.read_ms(function, end - start + 1, turnaround)
            candidate = (round(best[i - 1][0] + cost, 9), best[i - 1][1] + 1)
            if candidate < best[j]:
                best[j] = candidate
                choice[j] = i
    transactions: list[Transaction] = []
    j = n
    while j > 0:
        i = choice[j]
        start, end = spans[i - 1].start, spans[j - 1].end
        chosen = tuple(item for span in spans[i - 1 : j] for item in span.items)
        count = end - start + 1
        transactions.append(
            Transaction(
                slave_id=slave_id,
                function=function,
                address=start,
                count=count,
                items=chosen,
                wire_ms=timing.read_ms(function, count, turnaround),
            )
        )
        j = i - 1
    transactions.reverse()
    return transactions


def meter_items(request: MeterRequest) -> dict[int, list[ReadItem]]:
    """Read items of one meter grouped by function code."""
    groups: dict[int, list[ReadItem]] = {}
    for key in sorted(request.wanted):
        function, address, count = request.profile.read_span(key)
        groups.setdefault(function, []).append(ReadItem(key, address, count))
    return groups


def plan_reads(meters: Iterable[MeterRequest], timing: BusTiming | None = None) -> Plan:
    """Plan one poll cycle for all meters: slaves in the given order, optimal per group."""
    timing = timing or BusTiming()
    transactions: list[Transaction] = []
    for request in meters:
        for function, items in sorted(meter_items(request).items()):
            transactions.extend(
                plan_group(
                    request.slave_id, request.profile, function, items, timing, request.refused
                )
            )
    return Plan(tuple(transactions))


def one_read_per_value(meters: Iterable[MeterRequest], timing: BusTiming | None = None) -> Plan:
    """The naive plan (one request per value, as HA core's modbus sensors do): a baseline."""
    timing = timing or BusTiming()
    transactions = [
        Transaction(
            slave_id=request.slave_id,
            function=function,
            address=item.address,
            count=item.count,
            items=(item,),
            wire_ms=timing.read_ms(function, item.count, request.profile.quirks.turnaround_ms),
        )
        for request in meters
        for function, items in sorted(meter_items(request).items())
        for item in items
    ]
    return Plan(tuple(transactions))
