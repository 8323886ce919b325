"""Transaction layer: one Modbus endpoint, one transaction at a time, commands first."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
import logging
import time
from types import TracebackType
from typing import Self

from pymodbus.exceptions import ConnectionException, ModbusException
from pymodbus.pdu import ModbusPDU

from ..profiles.model import (  # noqa: TID252
    BIT_READ_FUNCTIONS,
    READ_FUNCTIONS,
    WRITE_FUNCTIONS,
    WRITE_MULTIPLE_REGISTERS,
)
from . import compat
from .errors import (
    GATEWAY_PATH_UNAVAILABLE,
    GATEWAY_TARGET_FAILED,
    BusClosedError,
    BusConnectionError,
    BusError,
    BusFramingError,
    BusTimeoutError,
    DeviceExceptionError,
    GatewayNoResponseError,
)

_LOGGER = logging.getLogger(__name__)


class Framing(StrEnum):
    """How Modbus frames travel over TCP."""

    TCP = "tcp"
    RTU_OVER_TCP = "rtu_over_tcp"


@dataclass(frozen=True, slots=True)
class TcpEndpoint:
    """A Modbus TCP gateway (the add-on or any RS485-Ethernet converter)."""

    host: str
    port: int = 502
    framing: Framing = Framing.TCP


@dataclass(frozen=True, slots=True)
class SerialEndpoint:
    """A local serial port (or a pyserial URL) with an RS485 bus behind it."""

    port: str
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: int = 1


type Endpoint = TcpEndpoint | SerialEndpoint


@dataclass(frozen=True, slots=True)
class BusSettings:
    """Per-gateway bus timing."""

    timeout_s: float = 1.0
    connect_timeout_s: float = 3.0
    inter_frame_gap_ms: float = 0.0
    id_switch_pause_ms: float = 0.0
    # Modbus TCP gateways may keep working on a request we gave up on and answer it late
    # (their own timeout may be longer than ours). After a timeout, wait up to this long
    # for that answer before the next request, so answers do not drift out of step; a
    # gateway that once stays silent is not waited for again.
    late_answer_wait_s: float = 1.5


class Priority(IntEnum):
    """Lower runs first: relay commands and their read-back before polling, scans last."""

    COMMAND = 0
    POLL = 10
    SCAN = 20


@dataclass(slots=True)
class SlaveStats:
    """Counters of one slave id."""

    transactions: int = 0
    timeouts: int = 0
    errors: int = 0
    last_success: datetime | None = None
    last_error: str | None = None

    def as_dict(self) -> dict[str, object]:
        """Plain structure for diagnostics."""
        return {
            "transactions": self.transactions,
            "timeouts": self.timeouts,
            "errors": self.errors,
            "last_success": self.last_success.isoformat() if self.last_success else None,
            "last_error": self.last_error,
        }


@dataclass(slots=True)
class BusStats:
    """Counters of one gateway, with a breakdown per slave id."""

    transactions: int = 0
    timeouts: int = 0
    errors: int = 0
    connects: int = 0
    slaves: dict[int, SlaveStats] = field(default_factory=dict)

    def slave(self, slave_id: int) -> SlaveStats:
        """Counters of a slave (created on first use)."""
        return self.slaves.setdefault(slave_id, SlaveStats())

    def as_dict(self) -> dict[str, object]:
        """Plain structure for diagnostics."""
        return {
            "transactions": self.transactions,
            "timeouts": self.timeouts,
            "errors": self.errors,
            "connects": self.connects,
            "slaves": {sid: s.as_dict() for sid, s in sorted(self.slaves.items())},
        }


@dataclass(slots=True)
class _Job:
    slave_id: int
    function: int
    address: int
    payload: int | tuple[int, ...]
    timeout_s: float
    pause_ms: float
    future: asyncio.Future[list[int]]


def _crc16(data: bytes) -> bytes:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc.to_bytes(2, "little")


def _stale(data: bytes, sent: bytes, *, mbap: bool) -> bool:
    """A well-formed answer to an earlier request (it came after we gave up), not garbage.

    Gateways answer late when their own timeout is longer than ours; such frames must not
    be mistaken for a garbled answer to the current request.
    """
    if mbap:
        return len(data) >= 8 and data[2:4] == b"\0\0" and data[:2] != sent[:2]
    return len(data) >= 5 and bool(sent) and data[0] != sent[0] and _crc16(data[:-2]) == data[-2:]


class ModbusBus:
    """Queue of transactions for one endpoint, executed one at a time by priority.

    Use as ``async with ModbusBus(endpoint) as bus: await bus.read(...)``.
    """

    def __init__(self, endpoint: Endpoint, settings: BusSettings | None = None) -> None:
        self.endpoint = endpoint
        self.settings = settings or BusSettings()
        self.stats = BusStats()
        self._queue: asyncio.PriorityQueue[tuple[int, int, _Job]] = asyncio.PriorityQueue()
        # Requests submitted so far: each request's number, in the order they were made.
        self.submitted = 0
        self._worker: asyncio.Task[None] | None = None
        self._client: compat.Client | None = None
        self._received = 0
        self._sent = b""
        self._mbap = isinstance(endpoint, TcpEndpoint) and endpoint.framing is Framing.TCP
        self._late_answer = asyncio.Event()
        self._owed_answer = False
        self._answers_late: bool | None = None
        self._last_end = 0.0
        self._last_slave: int | None = None

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def start(self) -> None:
        """Start the worker; connecting happens on the first request."""
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(
                self._run(), name=f"prepaid_power bus {self.endpoint}"
            )

    async def close(self) -> None:
        """Stop the worker, fail waiting requests, close the connection."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        while not self._queue.empty():
            _, _, job = self._queue.get_nowait()
            if not job.future.done():
                job.future.set_exception(BusClosedError("bus closed", job.slave_id))
        self._disconnect()

    @property
    def pending(self) -> int:
        """Requests waiting in the queue."""
        return self._queue.qsize()

    async def read(
        self,
        slave_id: int,
        function: int,
        address: int,
        count: int,
        *,
        priority: Priority = Priority.POLL,
        timeout_s: float | None = None,
        pause_ms: float = 0.0,
    ) -> list[int]:
        """Read registers (or bits, as 0/1) and return them."""
        if function not in READ_FUNCTIONS:
            raise ValueError(f"function {function} is not a read")
        return await self._submit(slave_id, function, address, count, priority, timeout_s, pause_ms)

    async def write(
        self,
        slave_id: int,
        function: int,
        address: int,
        values: Sequence[int],
        *,
        priority: Priority = Priority.COMMAND,
        timeout_s: float | None = None,
        pause_ms: float = 0.0,
    ) -> None:
        """Write registers or a coil (function 5: non-zero is on)."""
        if function not in WRITE_FUNCTIONS or (
            function != WRITE_MULTIPLE_REGISTERS and len(values) != 1
        ):
            raise ValueError(f"function {function} cannot write {len(values)} values")
        await self._submit(
            slave_id, function, address, tuple(values), priority, timeout_s, pause_ms
        )

    async def _submit(  # noqa: PLR0917
        self,
        slave_id: int,
        function: int,
        address: int,
        payload: int | tuple[int, ...],
        priority: Priority,
        timeout_s: float | None,
        pause_ms: float,
    ) -> list[int]:
        if self._worker is None:
            raise BusClosedError("bus not started", slave_id)
        future: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        job = _Job(
            slave_id,
            function,
            address,
            payload,
            self.settings.timeout_s if timeout_s is None else timeout_s,
            pause_ms,
            future,
        )
        self._queue.put_nowait((priority, self.submitted, job))
        self.submitted += 1
        return await future

    async def _run(self) -> None:
        task = asyncio.current_task()
        while True:
            if task is not None and task.cancelling():
                # Closing, and a library turned the cancellation into an error on its way
                # (pymodbus < 3.12 does): stop anyway, or close() would wait forever.
                raise asyncio.CancelledError
            priority, _, job = await self._queue.get()
            if job.future.done():
                continue
            try:
                result = await self._execute(job)
            except asyncio.CancelledError:
                if not job.future.done():
                    job.future.set_exception(BusClosedError("bus closed", job.slave_id))
                raise
            except BusError as err:
                if not job.future.done():
                    job.future.set_exception(err)
            except Exception as err:
                # The worker must survive anything, or every later request would hang.
                _LOGGER.exception("Unexpected error in a Modbus transaction")
                self._disconnect()
                if not job.future.done():
                    job.future.set_exception(BusFramingError(f"unexpected: {err!r}", job.slave_id))
            else:
                if not job.future.done():
                    job.future.set_result(result)
            if priority == Priority.COMMAND:
                # Let the command's caller queue its next step (a relay's read-back)
                # before a poll takes the bus.
                await asyncio.sleep(0)

    async def _pause_before(self, job: _Job) -> None:
        if self._owed_answer and self._answers_late is not False:
            try:
                async with asyncio.timeout(self.settings.late_answer_wait_s):
                    await self._late_answer.wait()
            except TimeoutError:
                # Learned once per connection: this gateway stays silent instead.
                self._answers_late = False
            else:
                self._answers_late = True
        self._owed_answer = False
        gap_ms = self.settings.inter_frame_gap_ms
        if job.slave_id != self._last_slave:
            gap_ms = max(gap_ms, self.settings.id_switch_pause_ms, job.pause_ms)
        wait = self._last_end + gap_ms / 1000.0 - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def _trace(self, sending: bool, data: bytes) -> bytes:
        if sending:
            self._sent = data
        elif self._owed_answer or _stale(data, self._sent, mbap=self._mbap):
            self._answers_late = True
            self._late_answer.set()
        else:
            self._received += len(data)
        return data

    async def _connect(self) -> compat.Client:
        if self._client is not None and self._client.connected:
            return self._client
        self._disconnect()
        timeout = self.settings.connect_timeout_s
        match self.endpoint:
            case TcpEndpoint(host=host, port=port, framing=framing):
                client = compat.tcp_client(
                    host,
                    port,
                    rtu_framing=framing is Framing.RTU_OVER_TCP,
                    timeout_s=timeout,
                    trace=self._trace,
                )
            case SerialEndpoint() as serial:
                client = compat.serial_client(
                    serial.port,
                    baudrate=serial.baudrate,
                    bytesize=serial.bytesize,
                    parity=serial.parity,
                    stopbits=serial.stopbits,
                    timeout_s=timeout,
                    trace=self._trace,
                )
        self.stats.connects += 1
        if not await client.connect():
            client.close()
            raise BusConnectionError(f"cannot connect to {self.endpoint}")
        self._client = client
        self._answers_late = None
        self._owed_answer = False
        return client

    def _disconnect(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def _execute(self, job: _Job) -> list[int]:
        stats = self.stats.slave(job.slave_id)
        try:
            client = await self._connect()
        except BusConnectionError as err:
            self.stats.errors += 1
            stats.errors += 1
            stats.last_error = str(err)
            err.slave_id = job.slave_id
            raise
        await self._pause_before(job)
        self.stats.transactions += 1
        stats.transactions += 1
        self._received = 0
        try:
            response = await compat.request(
                client,
                job.function,
                job.slave_id,
                job.address,
                job.payload,
                timeout_s=job.timeout_s,
            )
            return self._result(job, response)
        except BusError as err:
            self._count_error(stats, err)
            raise
        except ConnectionException as err:
            self._disconnect()
            error: BusError = BusConnectionError(f"connection lost: {err}", job.slave_id)
            self._count_error(stats, error)
            raise error from None
        except (ModbusException, TimeoutError) as err:
            if self._received:
                detail = "no valid frame in time" if isinstance(err, TimeoutError) else str(err)
                error = BusFramingError(f"garbled answer: {detail}", job.slave_id)
            else:
                error = BusTimeoutError(f"no answer within {job.timeout_s} s", job.slave_id)
                if self._mbap:
                    self._late_answer.clear()
                    self._owed_answer = True
            self._count_error(stats, error)
            raise error from None
        finally:
            self._last_end = time.monotonic()
            self._last_slave = job.slave_id

    def _count_error(self, stats: SlaveStats, error: BusError) -> None:
        if isinstance(error, BusTimeoutError):
            self.stats.timeouts += 1
            stats.timeouts += 1
        else:
            self.stats.errors += 1
            stats.errors += 1
        stats.last_error = str(error)

    def _result(self, job: _Job, response: ModbusPDU) -> list[int]:
        if response.isError():
            code = int(getattr(response, "exception_code", 0))
            if code in (GATEWAY_PATH_UNAVAILABLE, GATEWAY_TARGET_FAILED):
                raise GatewayNoResponseError(f"gateway: no answer (0x{code:02X})", job.slave_id)
            raise DeviceExceptionError(code, job.slave_id)
        stats = self.stats.slave(job.slave_id)
        stats.last_success = datetime.now(UTC)
        if job.function in BIT_READ_FUNCTIONS:
            assert isinstance(job.payload, int)
            return [1 if bit else 0 for bit in response.bits[: job.payload]]
        if isinstance(job.payload, int):
            registers = list(response.registers)
            if len(registers) != job.payload:
                raise BusFramingError(
                    f"asked {job.payload} registers, got {len(registers)}", job.slave_id
                )
            return registers
        return []
