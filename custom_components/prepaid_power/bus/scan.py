"""Bus scan (which slave ids answer, and with which model) and the connection test."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
import socket

from ..profiles.model import Profile  # noqa: TID252
from .client import BusSettings, Endpoint, Framing, ModbusBus, Priority, TcpEndpoint
from .decode import decode_words
from .errors import (
    BusConnectionError,
    BusError,
    BusFramingError,
    BusTimeoutError,
    DeviceExceptionError,
    GatewayNoResponseError,
)
from .planner import ReadItem, plan_group
from .timing import BusTiming

DEFAULT_SCAN_IDS = range(1, 33)
SCAN_TIMEOUT_S = 0.1
_SERIAL_ITEM = "serial"


@dataclass(frozen=True, slots=True)
class FoundMeter:
    """A meter the scan identified.

    `refused` are merged reads the meter answered with exception 02/03: the planner must not
    read them (or anything containing them) in one request again.
    """

    slave_id: int
    profile_id: str
    manufacturer: str
    model: str
    serial: int | None
    alternatives: tuple[str, ...] = ()
    refused: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Identified meters, ids that answered but matched no profile, and the cost."""

    meters: tuple[FoundMeter, ...]
    unidentified: tuple[int, ...]
    transactions: int


type _Probe = tuple[int, int, int]  # function, address, count
type _Outcome = list[int] | BusError


@dataclass(frozen=True, slots=True)
class _Candidate:
    profile: Profile
    probes: tuple[_Probe, ...]  # the planned (merged) reads
    items: tuple[_Probe, ...]  # what they are made of: each check's and the serial's own read


def _items(profile: Profile) -> list[tuple[str, int, int, int]]:
    items = [
        (f"check{index}", check.function, check.address, check.count)
        for index, check in enumerate(profile.identify)
    ]
    if (spec := profile.serial) is not None:
        items.append((_SERIAL_ITEM, spec.function, spec.address, spec.count))
    return items


def _candidate(profile: Profile) -> _Candidate:
    """A profile with the fewest reads covering its identifying checks and serial number."""
    groups: dict[int, list[ReadItem]] = {}
    for key, function, address, count in _items(profile):
        groups.setdefault(function, []).append(ReadItem(key, address, count))
    probes: list[_Probe] = []
    for function, items in sorted(groups.items()):
        probes.extend(
            (t.function, t.address, t.count)
            for t in plan_group(0, profile, function, items, BusTiming())
        )
    return _Candidate(
        profile,
        tuple(probes),
        tuple(dict.fromkeys((fc, a, n) for _, fc, a, n in _items(profile))),
    )


def _contains(outer: _Probe, inner: _Probe) -> bool:
    return (
        outer[0] == inner[0] and outer[1] <= inner[1] and inner[1] + inner[2] <= outer[1] + outer[2]
    )


def _words(
    outcomes: dict[_Probe, _Outcome], function: int, address: int, count: int
) -> list[int] | None:
    """Words at an address from any successful read that covered it."""
    for (fc, start, n), outcome in outcomes.items():
        if (
            fc == function
            and start <= address
            and address + count <= start + n
            and isinstance(outcome, list)
        ):
            return outcome[address - start : address - start + count]
    return None


def _refused(outcome: _Outcome | None) -> bool:
    return isinstance(outcome, DeviceExceptionError) and outcome.refuses_extent


def _pending(candidate: _Candidate, outcomes: dict[_Probe, _Outcome]) -> list[_Probe]:
    """Reads still needed: planned ones, and the parts of a planned read the meter refused."""
    pending: list[_Probe] = []
    for probe in candidate.probes:
        if probe not in outcomes:
            pending.append(probe)
        elif _refused(outcomes[probe]):
            pending.extend(
                item
                for item in candidate.items
                if item != probe and _contains(probe, item) and item not in outcomes
            )
    return pending


def _verdict(candidate: _Candidate, outcomes: dict[_Probe, _Outcome], slave_id: int) -> bool | None:
    """True: all checks pass; False: excluded; None: not all probes read yet."""
    return _judge(candidate, outcomes, slave_id)[0]


def _judge(
    candidate: _Candidate, outcomes: dict[_Probe, _Outcome], slave_id: int
) -> tuple[bool | None, int]:
    """The verdict (as `_verdict`) and how many checks passed so far.

    Only the candidate's own reads decide: another model's exception (even "illegal
    function" to a different register) says nothing about this model's registers.
    """
    profile = candidate.profile
    words_of: dict[_Probe, list[int]] = {}
    undecided = False
    for item in candidate.items:
        words = _words(outcomes, *item)
        if words is not None:
            words_of[item] = words
            continue
        tried = [p for p in (*candidate.probes, item) if _contains(p, item) and p in outcomes]
        if item in outcomes or any(not _refused(outcomes[p]) for p in tried):
            return False, 0  # its own read failed: not this model
        undecided = True
    serial: int | None = 0
    if (spec := profile.serial) is not None:
        serial_words = words_of.get((spec.function, spec.address, spec.count))
        serial = (
            None
            if serial_words is None
            else int(decode_words(serial_words, spec.data_type, spec.word_order))
        )
    # Every check that can be judged already: one that fails excludes the model without
    # reading the rest (all checks must pass).
    passed = 0
    for check in profile.identify:
        words = words_of.get((check.function, check.address, check.count))
        if words is None or (serial is None and "serial" in check.expression.used_names):
            undecided = True
            continue
        value = decode_words(words, check.data_type, check.word_order)
        if not check.passes(value, slave_id, serial or 0):
            return False, passed
        passed += 1
    return (None if undecided else True), passed


def _usefulness(probe: _Probe, undecided: Sequence[_Candidate]) -> int:
    """How many undecided models one read informs."""
    return sum(any(_contains(probe, item) for item in c.items) for c in undecided)


def _best(matches: Sequence[_Candidate]) -> _Candidate:
    """The most specific matching profile (most identifying checks); of equally specific
    ones, a profile that names another match among its alternatives (it declares that it
    looks like that model) yields to it: an Acrel DDSY1352 to a DDS238 that also matches."""
    ids = {c.profile.id for c in matches}
    return max(
        matches,
        key=lambda c: (len(c.profile.identify), -len(ids & set(c.profile.alternatives))),
    )


async def _identify(  # noqa: PLR0917
    bus: ModbusBus,
    slave_id: int,
    candidates: Sequence[_Candidate],
    order: Sequence[_Probe],
    timeout_s: float,
    thorough: bool,
) -> tuple[FoundMeter | None, bool, int]:
    """Probe one id: (identified meter, whether anything answered, transactions used)."""
    outcomes: dict[_Probe, _Outcome] = {}
    answered = False
    used = 0
    rank = {probe: index for index, probe in enumerate(order)}
    while True:
        undecided = [c for c in candidates if _verdict(c, outcomes, slave_id) is None]
        matched = [c for c in candidates if _verdict(c, outcomes, slave_id)]
        if matched:
            # Keep probing only for models that refine a match (ZN/SR adds a check to ZN/S)
            # and the look-alikes it names (a DDSY1352 names the DDS238 it may be).
            leader = _best(matched).profile
            checks = set(leader.identify)
            undecided = [
                c
                for c in undecided
                if checks < set(c.profile.identify) or c.profile.id in leader.alternatives
            ]
        # Follow a lead: a model whose checks read so far all passed is confirmed (or
        # excluded) first; once one matches, only its refinements are left to read.
        leads = [c for c in undecided if _judge(c, outcomes, slave_id)[1]]
        pending = list(dict.fromkeys(p for c in leads for p in _pending(c, outcomes)))
        if not pending:
            pending = list(dict.fromkeys(p for c in undecided for p in _pending(c, outcomes)))
        if not pending:
            break
        probe = max(pending, key=lambda p: (_usefulness(p, undecided), -rank.get(p, len(rank))))
        function, address, count = probe
        used += 1
        try:
            outcomes[probe] = await bus.read(
                slave_id, function, address, count, priority=Priority.SCAN, timeout_s=timeout_s
            )
            answered = True
        except BusConnectionError:
            raise
        except BusTimeoutError as err:
            if not answered and not thorough:
                return None, False, used
            outcomes[probe] = err
        except (DeviceExceptionError, BusFramingError) as err:
            # Any exception reply proves a device; garbage suggests a faulty one.
            answered = True
            outcomes[probe] = err
    matches = [c for c in candidates if _verdict(c, outcomes, slave_id)]
    if not matches:
        return None, answered, used
    best = _best(matches)
    serial = None
    if (spec := best.profile.serial) is not None:
        words = _words(outcomes, spec.function, spec.address, spec.count)
        if words is not None:
            serial = int(decode_words(words, spec.data_type, spec.word_order))
    profile = best.profile
    known = {c.profile.id for c in candidates}
    alternatives = tuple(a for a in profile.alternatives if a in known)
    # Refusals that matter to this model's planner: reads it could otherwise make.
    refused = tuple(
        probe
        for probe, outcome in outcomes.items()
        if _refused(outcome) and profile.is_readable(probe[0], probe[1], probe[1] + probe[2] - 1)
    )
    meter = FoundMeter(
        slave_id, profile.id, profile.manufacturer, profile.model, serial, alternatives, refused
    )
    return meter, True, used


def model_corrections(
    result: ScanResult, known: Mapping[int, str], profiles: Mapping[str, Profile]
) -> tuple[FoundMeter, ...]:
    """Known meters the scan identified as another model: corrections to offer the landlord.

    A stored model that looks alike and refines (or equals) what the scan could prove is not
    contradicted, so nothing is offered: a ZN/SR whose relay was open at the scan is found as
    a ZN/S; an OR-WE-515 answers exactly like an OR-WE-514.
    """
    corrections: list[FoundMeter] = []
    for meter in result.meters:
        stored_id = known.get(meter.slave_id)
        if stored_id is None or stored_id == meter.profile_id:
            continue
        stored, found = profiles.get(stored_id), profiles.get(meter.profile_id)
        if (
            stored is not None
            and found is not None
            and stored_id in meter.alternatives
            and set(found.identify) <= set(stored.identify)
        ):
            continue
        corrections.append(meter)
    return tuple(corrections)


async def scan_bus(
    bus: ModbusBus,
    profiles: Iterable[Profile],
    slave_ids: Iterable[int] = DEFAULT_SCAN_IDS,
    timeout_s: float = SCAN_TIMEOUT_S,
    *,
    thorough: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ScanResult:
    """Find meters by probing slave ids with each profile's identifying reads.

    An id whose first probe times out is absent (fast: one short transaction), unless
    `thorough`; an exception reply or garbage proves something is there.
    """
    candidates = [_candidate(p) for p in profiles if p.identify]
    popularity: dict[_Probe, int] = {}
    for candidate in candidates:
        for probe in candidate.probes:
            popularity[probe] = popularity.get(probe, 0) + 1
    # Probes shared by many profiles first: one answer decides between several models.
    order = sorted(popularity, key=lambda p: -popularity[p])
    found: list[FoundMeter] = []
    unidentified: list[int] = []
    transactions = 0
    for slave_id in slave_ids:
        if not 1 <= slave_id <= 247:
            raise ValueError(f"slave id {slave_id} outside 1..247")
        meter, answered, used = await _identify(
            bus, slave_id, candidates, order, timeout_s, thorough
        )
        transactions += used
        if meter is not None:
            found.append(meter)
        elif answered:
            unidentified.append(slave_id)
        if progress is not None:
            progress(slave_id)
    return ScanResult(tuple(found), tuple(unidentified), transactions)


class ConnectionStatus(StrEnum):
    """Outcome of a connection test, one per config-flow error."""

    OK = "ok"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    WRONG_FRAMING = "wrong_framing"


async def _tcp_reachable(endpoint: TcpEndpoint, timeout_s: float) -> ConnectionStatus:
    try:
        async with asyncio.timeout(timeout_s):
            _, writer = await asyncio.open_connection(endpoint.host, endpoint.port)
    except ConnectionRefusedError:
        return ConnectionStatus.REFUSED
    except TimeoutError:
        return ConnectionStatus.TIMEOUT
    except (OSError, socket.gaierror):
        return ConnectionStatus.UNREACHABLE
    writer.close()
    await writer.wait_closed()
    return ConnectionStatus.OK


async def _probe(endpoint: Endpoint, slave_id: int, settings: BusSettings) -> ConnectionStatus:
    async with ModbusBus(endpoint, settings) as bus:
        try:
            await bus.read(slave_id, 3, 0, 1, priority=Priority.COMMAND)
        except (DeviceExceptionError, GatewayNoResponseError):
            return ConnectionStatus.OK
        except BusFramingError:
            return ConnectionStatus.WRONG_FRAMING
        except BusTimeoutError:
            return ConnectionStatus.TIMEOUT
        except BusConnectionError:
            return ConnectionStatus.UNREACHABLE
    return ConnectionStatus.OK


async def check_connection(
    endpoint: Endpoint, *, slave_id: int = 1, timeout_s: float = 1.0
) -> ConnectionStatus:
    """Check an endpoint before a config entry is created.

    Distinguishes refused / unreachable / no answer / garbage. When a TCP endpoint gives no
    valid answer, the other framing is tried: if that one answers, the framing is wrong.
    """
    settings = BusSettings(timeout_s=timeout_s, connect_timeout_s=timeout_s)
    if isinstance(endpoint, TcpEndpoint):
        reachable = await _tcp_reachable(endpoint, timeout_s)
        if reachable is not ConnectionStatus.OK:
            return reachable
    status = await _probe(endpoint, slave_id, settings)
    if status is ConnectionStatus.OK or not isinstance(endpoint, TcpEndpoint):
        return status
    other = Framing.TCP if endpoint.framing is Framing.RTU_OVER_TCP else Framing.RTU_OVER_TCP
    alternative = await _probe(TcpEndpoint(endpoint.host, endpoint.port, other), slave_id, settings)
    if alternative is ConnectionStatus.OK:
        return ConnectionStatus.WRONG_FRAMING
    return status
