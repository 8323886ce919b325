"""Bus scan (which slave ids answer, and with which model) and the connection test."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
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
ILLEGAL_FUNCTION = 0x01
SCAN_TIMEOUT_S = 0.1
_SERIAL_ITEM = "serial"


@dataclass(frozen=True, slots=True)
class FoundMeter:
    """A meter the scan identified."""

    slave_id: int
    profile_id: str
    manufacturer: str
    model: str
    serial: int | None
    alternatives: tuple[str, ...] = ()


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
    probes: tuple[_Probe, ...]


def _probes(profile: Profile) -> tuple[_Probe, ...]:
    """The fewest reads covering a profile's identifying checks and serial number."""
    groups: dict[int, list[ReadItem]] = {}
    for index, check in enumerate(profile.identify):
        groups.setdefault(check.function, []).append(
            ReadItem(f"check{index}", check.address, check.count)
        )
    if profile.serial is not None:
        spec = profile.serial
        groups.setdefault(spec.function, []).append(
            ReadItem(_SERIAL_ITEM, spec.address, spec.count)
        )
    probes: list[_Probe] = []
    for function, items in sorted(groups.items()):
        probes.extend(
            (t.function, t.address, t.count)
            for t in plan_group(0, profile, function, items, BusTiming())
        )
    return tuple(probes)


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


def _covered(outcomes: dict[_Probe, _Outcome], probe: _Probe) -> bool:
    return probe in outcomes or _words(outcomes, *probe) is not None


def _verdict(candidate: _Candidate, outcomes: dict[_Probe, _Outcome], slave_id: int) -> bool | None:
    """True: all checks pass; False: excluded; None: not all probes read yet."""
    profile = candidate.profile
    functions = {probe[0] for probe in candidate.probes}
    for (function, _, _), outcome in outcomes.items():
        # "Illegal function" rules out every model that needs that function code.
        if (
            function in functions
            and isinstance(outcome, DeviceExceptionError)
            and outcome.code == ILLEGAL_FUNCTION
        ):
            return False
    for probe in candidate.probes:
        if not _covered(outcomes, probe):
            if any(isinstance(outcomes.get(p), BusError) for p in candidate.probes):
                return False
            return None
        if isinstance(outcomes.get(probe), BusError) and _words(outcomes, *probe) is None:
            return False
    for check in profile.identify:
        words = _words(outcomes, check.function, check.address, check.count)
        if words is None:
            return False
        if not check.passes(decode_words(words, check.data_type, check.word_order), slave_id):
            return False
    return True


def _usefulness(probe: _Probe, undecided: Sequence[_Candidate]) -> tuple[int, int]:
    """How many undecided models one read informs: directly, then by its function code.

    An "illegal function" answer rules out every model using that function.
    """
    function, address, count = probe
    served = sum(
        any(
            fc == function and address <= start and start + n <= address + count
            for fc, start, n in c.probes
        )
        for c in undecided
    )
    same_function = sum(any(fc == function for fc, _, _ in c.probes) for c in undecided)
    return served, same_function


def _best(matches: Sequence[_Candidate]) -> _Candidate:
    """The most specific matching profile (most identifying checks)."""
    return max(matches, key=lambda c: len(c.profile.identify))


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
    while True:
        undecided = [c for c in candidates if _verdict(c, outcomes, slave_id) is None]
        matched = [c for c in candidates if _verdict(c, outcomes, slave_id)]
        if matched:
            # Keep probing only for models that refine a match (ZN/SR adds a check to ZN/S).
            checks = set(_best(matched).profile.identify)
            undecided = [c for c in undecided if checks < set(c.profile.identify)]
        pending = [p for p in order if p not in outcomes and any(p in c.probes for c in undecided)]
        if not pending:
            break
        probe = max(pending, key=lambda p: _usefulness(p, undecided))
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
    meter = FoundMeter(
        slave_id, profile.id, profile.manufacturer, profile.model, serial, alternatives
    )
    return meter, True, used


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
    candidates = [_Candidate(p, _probes(p)) for p in profiles if p.identify]
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
