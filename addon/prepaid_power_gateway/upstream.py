"""Upstreams: where the gateway sends each transaction (serial RTU, TCP gateway, simulator).

Every upstream carries one transaction at a time (the bus worker guarantees it) and raises
`BusTimeoutError`, `BusCrcError` or `BusUnavailableError` instead of answering.
"""

from __future__ import annotations

import abc
import asyncio
from concurrent.futures import ThreadPoolExecutor
import contextlib
import logging
import time
from typing import Any

import serial

from .config import GatewayConfig, SerialSettings, TcpSettings
from .errors import BusCrcError, BusTimeoutError, BusUnavailableError
from .modbus import (
    MBAP_HEADER,
    char_time,
    mbap_frame,
    rtu_crc_ok,
    rtu_frame,
    rtu_response_length,
)
from .simulator import ReplyKind, Simulator

_LOGGER = logging.getLogger(__name__)
_READ_SLICE = 0.02  # pyserial read timeout: the deadline loop re-checks this often


def check_response(unit: int, request: bytes, frame: bytes) -> bytes:
    """Validate an RTU response frame to `request` and return its PDU."""
    if not rtu_crc_ok(frame):
        raise BusCrcError(f"bad CRC from slave {unit}: {frame.hex()}")
    if frame[0] != unit or frame[1] & 0x7F != request[0]:
        raise BusCrcError(f"answer does not match the request to slave {unit}: {frame.hex()}")
    return frame[1:-2]


class Upstream(abc.ABC):
    """One bus the gateway owns."""

    description = "upstream"

    async def open(self) -> None:  # noqa: B027 - optional hook
        """Connect (failures are logged; transactions retry)."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release the bus."""

    @abc.abstractmethod
    async def transact(self, unit: int, pdu: bytes, time_limit: float) -> bytes | None:
        """Send one request and return the response PDU (None for a broadcast, unit 0)."""


class SimulatorUpstream(Upstream):
    """The in-process virtual bus."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self.description = (
            f"simulator ({simulator.building.name}, {len(simulator.devices)} devices)"
        )

    async def transact(self, unit: int, pdu: bytes, time_limit: float) -> bytes | None:
        """Ask the simulated device; sleep what the wire would take."""
        reply = self.simulator.handle(unit, pdu)
        if unit == 0:
            return None
        if reply.kind is ReplyKind.SILENT or reply.delay > time_limit:
            await asyncio.sleep(time_limit)
            raise BusTimeoutError(f"slave {unit} did not answer")
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.kind is ReplyKind.CORRUPT:
            raise BusCrcError(f"bad CRC from slave {unit}")
        return reply.pdu


class SerialUpstream(Upstream):
    """Modbus RTU on a serial port (pyserial; URLs like socket:// work too)."""

    def __init__(self, settings: SerialSettings) -> None:
        self.settings = settings
        self.description = (
            f"serial {settings.port} {settings.baudrate} "
            f"{settings.bytesize}{settings.parity}{settings.stopbits}"
        )
        self.char_seconds = char_time(
            settings.baudrate, settings.bytesize, settings.parity, settings.stopbits
        )
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="prepaid-power-rtu")
        self._port: Any = None
        self._closed = False
        self._last_frame_end = 0.0

    async def open(self) -> None:
        """Open the port now so a wrong port shows in the log at start."""
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._ensure_open)
        except BusUnavailableError as err:
            _LOGGER.error("%s", err)

    def _ensure_open(self) -> Any:
        if self._port is None:
            try:
                self._port = serial.serial_for_url(
                    self.settings.port,
                    baudrate=self.settings.baudrate,
                    bytesize=self.settings.bytesize,
                    parity=self.settings.parity,
                    stopbits=self.settings.stopbits,
                    timeout=_READ_SLICE,
                    write_timeout=2.0,
                )
            except (serial.SerialException, OSError, ValueError) as err:
                raise BusUnavailableError(
                    f"cannot open serial port {self.settings.port}: {err}"
                ) from None
        return self._port

    async def transact(self, unit: int, pdu: bytes, time_limit: float) -> bytes | None:
        """One RTU transaction, run in the port's own thread."""
        if self._closed:
            raise BusUnavailableError("closed")
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, self._transact_sync, unit, pdu, time_limit
        )

    def _transact_sync(self, unit: int, pdu: bytes, time_limit: float) -> bytes | None:
        port = self._ensure_open()
        frame = rtu_frame(unit, pdu)
        silence = self._last_frame_end + 3.5 * self.char_seconds - time.monotonic()
        if silence > 0:  # RTU needs 3.5 characters of silence between frames
            time.sleep(silence)
        try:
            port.reset_input_buffer()
            port.write(frame)
            port.flush()
            if unit == 0:
                return None
            response = self._read_response(port, time_limit + len(frame) * self.char_seconds)
        except serial.SerialException as err:
            self._drop_port()
            raise BusUnavailableError(f"serial port {self.settings.port}: {err}") from None
        finally:
            self._last_frame_end = time.monotonic()
        return check_response(unit, pdu, response)

    def _read_response(self, port: Any, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        silence = max(3.5 * self.char_seconds, 0.005)
        buffer = bytearray()
        last_byte = 0.0
        while True:
            length = rtu_response_length(bytes(buffer))
            if length is not None and 0 < length <= len(buffer):
                return bytes(buffer[:length])
            if length == -1 and buffer and time.monotonic() - last_byte >= silence:
                return bytes(buffer)
            if time.monotonic() >= deadline:
                raise BusTimeoutError(
                    "no answer" if not buffer else f"incomplete answer {bytes(buffer).hex()}"
                )
            want = 1 if length in (None, -1) else length - len(buffer)
            if length is None:
                want = max(1, (3 if len(buffer) >= 2 else 2) - len(buffer))
            chunk = port.read(want)
            if chunk:
                buffer += chunk
                last_byte = time.monotonic()

    def _drop_port(self) -> None:
        if self._port is not None:
            with contextlib.suppress(Exception):
                self._port.close()
            self._port = None

    async def close(self) -> None:
        """Close the port and stop its thread."""
        self._closed = True
        with contextlib.suppress(RuntimeError):
            await asyncio.get_running_loop().run_in_executor(self._executor, self._drop_port)
        self._executor.shutdown(wait=True)


class TcpUpstream(Upstream):
    """An RS485-Ethernet gateway: Modbus TCP, or raw RTU frames over TCP."""

    def __init__(self, settings: TcpSettings) -> None:
        self.settings = settings
        self.description = f"tcp {settings.host}:{settings.port} ({settings.framing})"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._transaction = 0

    async def _connect(
        self, time_limit: float
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is not None and self._writer is not None:
            return self._reader, self._writer
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.settings.host, self.settings.port), time_limit
            )
        except (OSError, TimeoutError) as err:
            raise BusUnavailableError(
                f"cannot connect to {self.settings.host}:{self.settings.port}: {err}"
            ) from None
        self._reader, self._writer = reader, writer
        return reader, writer

    async def open(self) -> None:
        """Connect now so a wrong address shows in the log at start."""
        try:
            await self._connect(5.0)
        except BusUnavailableError as err:
            _LOGGER.error("%s", err)

    async def _disconnect(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()

    async def close(self) -> None:
        """Drop the connection."""
        await self._disconnect()

    async def transact(self, unit: int, pdu: bytes, time_limit: float) -> bytes | None:
        """One transaction; a timeout drops the connection so late answers cannot confuse the next."""
        reader, writer = await self._connect(time_limit)
        try:
            async with asyncio.timeout(time_limit):
                if self.settings.framing == "tcp":
                    return await self._transact_tcp(reader, writer, unit, pdu)
                return await self._transact_rtu(reader, writer, unit, pdu)
        except TimeoutError:
            if self.settings.framing != "tcp":
                await self._disconnect()
            raise BusTimeoutError(f"slave {unit} did not answer") from None
        except (OSError, ConnectionError, asyncio.IncompleteReadError) as err:
            await self._disconnect()
            raise BusUnavailableError(f"connection to {self.settings.host} lost: {err}") from None

    async def _transact_tcp(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, unit: int, pdu: bytes
    ) -> bytes | None:
        self._transaction = (self._transaction + 1) & 0xFFFF
        writer.write(mbap_frame(self._transaction, unit, pdu))
        await writer.drain()
        if unit == 0:
            return None
        while True:
            header = await reader.readexactly(MBAP_HEADER.size)
            transaction, protocol, length, _unit = MBAP_HEADER.unpack(header)
            if protocol != 0 or not 2 <= length <= 254:
                raise ConnectionError(f"not Modbus TCP: {header.hex()}")
            body = await reader.readexactly(length - 1)
            if transaction == self._transaction:  # older ones are late answers
                return body

    async def _transact_rtu(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, unit: int, pdu: bytes
    ) -> bytes | None:
        writer.write(rtu_frame(unit, pdu))
        await writer.drain()
        if unit == 0:
            return None
        buffer = bytearray(await reader.readexactly(2))
        length = rtu_response_length(bytes(buffer))
        if length is None:
            buffer += await reader.readexactly(1)
            length = rtu_response_length(bytes(buffer))
        if length is None or length < 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.05):
                    while chunk := await reader.read(256):
                        buffer += chunk
            length = len(buffer)
        else:
            buffer += await reader.readexactly(length - len(buffer))
        return check_response(unit, pdu, bytes(buffer))


class NoBus(Upstream):
    """No bus chosen yet: every request is answered 0x0A (gateway path unavailable)."""

    description = "none chosen"

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def transact(self, unit: int, pdu: bytes, time_limit: float) -> bytes | None:
        """Refuse, saying why."""
        raise BusUnavailableError(self.reason)


def make_upstream(config: GatewayConfig, simulator: Simulator | None) -> Upstream:
    """The upstream the configuration asks for."""
    if simulator is not None:
        return SimulatorUpstream(simulator)
    if config.bus_missing is not None:
        return NoBus(config.bus_missing)
    if isinstance(config.upstream, SerialSettings):
        return SerialUpstream(config.upstream)
    if isinstance(config.upstream, TcpSettings):
        return TcpUpstream(config.upstream)
    raise BusUnavailableError("no upstream configured")
