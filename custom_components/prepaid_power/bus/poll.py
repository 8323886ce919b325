"""Poll cycle: execute the plan for every meter, decode, track availability."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
import logging
from types import MappingProxyType

from ..profiles.model import FAULT_KEY, RELAY_KEY, Register  # noqa: TID252
from .client import ModbusBus, Priority
from .decode import decode_register, decode_words
from .errors import BusConnectionError, BusError, DeviceExceptionError
from .planner import MeterRequest, Plan, RefusedRead, Transaction, plan_reads
from .relay import relay_state
from .timing import BusTiming

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MeterReading:
    """What one poll cycle read from one meter; a value is None when unread or implausible.
    Read-only: the poller hands out its values and relay states as read-only mappings."""

    slave_id: int
    values: Mapping[str, float | None]
    relays: Mapping[str, bool | None]
    available: bool
    complete: bool
    read_at: datetime | None
    # The bus's number of the request that read `relays` (`ModbusBus.submitted` when it was
    # made): a relay command that had finished by then is reflected in them.
    relays_order: int | None = None
    # A fault the meter reports itself (its profile's `fault` register, e.g.
    # "relay_cannot_open"); None: none reported, or the model has no such register.
    fault: str | None = None


@dataclass(slots=True)
class MeterHealth:
    """Availability bookkeeping of one meter."""

    available: bool = True
    consecutive_failures: int = 0
    cycles_since_probe: int = 0
    last_success: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class _Field:
    """Where one reading key sits in a transaction's answer, and how to decode it."""

    key: str
    offset: int
    count: int
    register: Register | None  # None: a relay channel's state, or the fault code


type _Steps = tuple[tuple[Transaction, tuple[_Field, ...]], ...]


@dataclass(slots=True)
class _Cycle:
    values: dict[str, float | None] = field(default_factory=dict)
    relays: dict[str, bool | None] = field(default_factory=dict)
    relays_order: int | None = None
    fault: str | None = None
    # True, or the read the meter refused with exception 02/03 (the planner may split it).
    failed: bool | Transaction = False


class Poller:
    """Reads all meters of one gateway each cycle through the planner's transactions.

    A meter that fails `unavailable_after` cycles in a row is unavailable; while it is, only
    its first transaction is tried, every `dead_probe_every` cycles, so a dead meter costs
    at most one timeout per probe and never delays the others beyond that.
    """

    def __init__(
        self,
        bus: ModbusBus,
        meters: Sequence[MeterRequest],
        *,
        timing: BusTiming | None = None,
        unavailable_after: int = 3,
        dead_probe_every: int = 6,
    ) -> None:
        self.bus = bus
        self.timing = timing or BusTiming()
        self.unavailable_after = unavailable_after
        self.dead_probe_every = dead_probe_every
        self.health: dict[int, MeterHealth] = {}
        # When a meter was read (the readings' `read_at`); tests move it over midnights.
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._meters: dict[int, MeterRequest] = {}
        self._steps: dict[int, _Steps] = {}
        self.plan = Plan(())
        self.set_meters(meters)

    def set_meters(self, meters: Sequence[MeterRequest]) -> None:
        """Replace the meter list and re-plan (keeping the reads each meter refused)."""
        self._meters = {
            meter.slave_id: replace(meter, refused=meter.refused | self.refused(meter.slave_id))
            for meter in meters
        }
        self.plan = plan_reads(self._meters.values(), self.timing)
        self.health = {sid: self.health.get(sid, MeterHealth()) for sid in self._meters}
        # Each cycle only walks these: no search of the plan or the profile per meter.
        self._steps = {
            sid: tuple(
                (transaction, _fields(meter, transaction))
                for transaction in self.plan.for_slave(sid)
            )
            for sid, meter in self._meters.items()
        }

    def refused(self, slave_id: int) -> frozenset[RefusedRead]:
        """Merged reads a meter refused (exception 02/03): the plan no longer makes them."""
        meter = self._meters.get(slave_id)
        return frozenset() if meter is None else meter.refused

    def _split(self, meter: MeterRequest, transaction: Transaction) -> MeterRequest | None:
        """Re-plan a meter without a merged read it refused; None if the read was not merged."""
        needed = sum(item.count for item in transaction.items)
        if len(transaction.items) < 2 and transaction.count <= needed:
            return None
        refused = (transaction.function, transaction.address, transaction.count)
        _LOGGER.info(
            "Meter %s (%s) refuses reading %d registers at 0x%04X with function %d: split",
            meter.slave_id,
            meter.profile.model,
            transaction.count,
            transaction.address,
            transaction.function,
        )
        self.set_meters(
            [
                replace(m, refused=m.refused | {refused}) if m is meter else m
                for m in self._meters.values()
            ]
        )
        return self._meters[meter.slave_id]

    def as_dict(self) -> dict[str, object]:
        """Plan, availability and bus statistics, for the diagnostics download."""
        return {
            "plan": self.plan.as_dict(),
            "plan_wire_ms": round(self.plan.wire_ms, 1),
            "meters": {
                sid: {
                    "profile": self._meters[sid].profile.id,
                    "refused_reads": sorted(self._meters[sid].refused),
                    "available": h.available,
                    "consecutive_failures": h.consecutive_failures,
                    "last_success": h.last_success.isoformat() if h.last_success else None,
                    "last_error": h.last_error,
                }
                for sid, h in self.health.items()
            },
            "bus": self.bus.stats.as_dict(),
        }

    async def poll(self) -> dict[int, MeterReading]:
        """One cycle over all meters; raises BusConnectionError if the gateway is gone."""
        readings: dict[int, MeterReading] = {}
        for slave_id, meter in list(self._meters.items()):
            health = self.health[slave_id]
            steps = self._steps[slave_id]
            if not health.available:
                health.cycles_since_probe += 1
                if health.cycles_since_probe < self.dead_probe_every:
                    readings[slave_id] = self._reading(meter, _Cycle(), health, complete=False)
                    continue
                health.cycles_since_probe = 0
            cycle = await self._read_meter(meter, steps)
            current = meter
            while isinstance(cycle.failed, Transaction):
                # A merged read was refused: split it, remember that, and read again.
                if (split := self._split(current, cycle.failed)) is None:
                    break
                current = split
                cycle = await self._read_meter(current, self._steps[slave_id])
            self._account(meter, cycle, health)
            readings[slave_id] = self._reading(meter, cycle, health, complete=not cycle.failed)
        return readings

    async def _read_meter(self, meter: MeterRequest, steps: _Steps) -> _Cycle:
        cycle = _Cycle()
        pause_ms = meter.profile.quirks.id_switch_pause_ms
        for transaction, fields in steps:
            if any(item.register is None for item in fields):
                cycle.relays_order = self.bus.submitted
            try:
                words = await self.bus.read(
                    meter.slave_id,
                    transaction.function,
                    transaction.address,
                    transaction.count,
                    priority=Priority.POLL,
                    pause_ms=pause_ms,
                )
            except BusConnectionError:
                raise
            except BusError as err:
                cycle.failed = (
                    transaction
                    if isinstance(err, DeviceExceptionError) and err.refuses_extent
                    else True
                )
                self.health[meter.slave_id].last_error = f"{type(err).__name__}: {err}"
                # One failure is enough evidence this cycle: skip the meter's other reads.
                break
            _decode(meter, fields, words, cycle)
        return cycle

    def _account(self, meter: MeterRequest, cycle: _Cycle, health: MeterHealth) -> None:
        if cycle.failed:
            health.consecutive_failures += 1
            if health.available and health.consecutive_failures >= self.unavailable_after:
                health.available = False
                health.cycles_since_probe = 0
                _LOGGER.warning(
                    "Meter %s (%s) is unavailable after %d failed polls: %s",
                    meter.slave_id,
                    meter.profile.model,
                    health.consecutive_failures,
                    health.last_error,
                )
            return
        if not health.available:
            _LOGGER.info("Meter %s (%s) is back", meter.slave_id, meter.profile.model)
        health.available = True
        health.consecutive_failures = 0
        health.last_success = self.clock()

    @staticmethod
    def _reading(
        meter: MeterRequest, cycle: _Cycle, health: MeterHealth, *, complete: bool
    ) -> MeterReading:
        return MeterReading(
            slave_id=meter.slave_id,
            values=MappingProxyType(cycle.values),
            relays=MappingProxyType(cycle.relays),
            available=health.available,
            complete=complete,
            read_at=health.last_success if complete else None,
            relays_order=cycle.relays_order,
            fault=cycle.fault,
        )


def _fields(meter: MeterRequest, transaction: Transaction) -> tuple[_Field, ...]:
    profile = meter.profile
    return tuple(
        _Field(
            item.key,
            item.address - transaction.address,
            item.count,
            None
            if (item.key.startswith(RELAY_KEY) and profile.relay is not None)
            or (item.key == FAULT_KEY and profile.fault is not None)
            else profile.register(item.key),
        )
        for item in transaction.items
    )


def _decode(
    meter: MeterRequest, fields: Sequence[_Field], words: Sequence[int], cycle: _Cycle
) -> None:
    profile = meter.profile
    for item in fields:
        chunk = words[item.offset : item.offset + item.count]
        if item.register is None and item.key == FAULT_KEY:
            assert profile.fault is not None
            raw = decode_words(chunk, profile.fault.data_type, profile.fault.word_order)
            cycle.fault = profile.fault.meaning(raw)
        elif item.register is None:
            assert profile.relay is not None
            cycle.relays[item.key] = relay_state(profile.relay, chunk[0])
        else:
            cycle.values[item.key] = decode_register(item.register, chunk, profile)
