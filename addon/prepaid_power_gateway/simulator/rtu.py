"""Serve the simulator as RTU slaves on a serial port or a pty, with real framing and CRC."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import logging
import os
import tty

from prepaid_power_gateway.modbus import crc16, rtu_crc_ok, rtu_frame, rtu_request_length
from prepaid_power_gateway.simulator import ReplyKind, Simulator

_LOGGER = logging.getLogger(__name__)


class RtuFrameHandler:
    """Splits a byte stream into RTU requests and answers them from the simulator."""

    def __init__(
        self, simulator: Simulator, write: Callable[[bytes], None], char_seconds: float
    ) -> None:
        self.simulator = simulator
        self.write = write
        self.silence = max(3.5 * char_seconds, 0.002)
        self.frames = 0
        self.crc_errors = 0
        self._buffer = bytearray()
        self._frames: asyncio.Queue[bytes] = asyncio.Queue()
        self._silence_timer: asyncio.TimerHandle | None = None
        self._worker: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start answering (call from the event loop)."""
        self._worker = asyncio.get_running_loop().create_task(
            self._answer_frames(), name="rtu-slave"
        )

    async def close(self) -> None:
        """Stop answering."""
        if self._silence_timer is not None:
            self._silence_timer.cancel()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    def feed(self, data: bytes) -> None:
        """Bytes received from the master."""
        self._buffer += data
        while self._buffer:
            length = rtu_request_length(bytes(self._buffer))
            if length is None or length < 0 or len(self._buffer) < length:
                break
            self._frames.put_nowait(bytes(self._buffer[:length]))
            del self._buffer[:length]
        if self._silence_timer is not None:
            self._silence_timer.cancel()
            self._silence_timer = None
        if self._buffer:
            self._silence_timer = asyncio.get_running_loop().call_later(
                self.silence, self._on_silence
            )

    def _on_silence(self) -> None:
        """Inter-frame silence: whatever is buffered is one (odd or broken) frame."""
        self._silence_timer = None
        if self._buffer:
            self._frames.put_nowait(bytes(self._buffer))
            self._buffer.clear()

    async def _answer_frames(self) -> None:
        while True:
            frame = await self._frames.get()
            if not rtu_crc_ok(frame):
                self.crc_errors += 1
                continue
            self.frames += 1
            reply = self.simulator.handle(frame[0], frame[1:-2], len(frame))
            if reply.kind is ReplyKind.SILENT:
                continue
            response = rtu_frame(frame[0], reply.pdu)
            if reply.kind is ReplyKind.CORRUPT:
                response = response[:-2] + (crc16(response[:-2]) ^ 0x5A5A).to_bytes(2, "little")
            if reply.delay:
                await asyncio.sleep(reply.delay)
            try:
                self.write(response)
            except OSError as err:
                _LOGGER.debug("cannot answer: %s", err)


class RtuSlaveServer:
    """Answers RTU frames arriving on a file descriptor (pty master or serial port)."""

    def __init__(self, simulator: Simulator, fd: int, char_seconds: float = 11 / 9600) -> None:
        self.fd = fd
        self.handler = RtuFrameHandler(simulator, self._write, char_seconds)
        self._loop: asyncio.AbstractEventLoop | None = None

    def _write(self, data: bytes) -> None:
        os.write(self.fd, data)

    async def start(self) -> None:
        """Start listening."""
        self._loop = asyncio.get_running_loop()
        os.set_blocking(self.fd, False)
        self._loop.add_reader(self.fd, self._on_readable)
        self.handler.start()

    async def close(self) -> None:
        """Stop listening (the descriptor stays open: its owner closes it)."""
        if self._loop is not None:
            self._loop.remove_reader(self.fd)
        await self.handler.close()

    def _on_readable(self) -> None:
        try:
            data = os.read(self.fd, 4096)
        except BlockingIOError:
            return
        except OSError:  # pty peer closed
            return
        if data:
            self.handler.feed(data)


class RtuOverTcpServer:
    """The simulator as an RS485-Ethernet gateway in RTU-over-TCP mode (raw RTU frames on TCP)."""

    def __init__(self, simulator: Simulator, char_seconds: float = 11 / 9600) -> None:
        self.simulator = simulator
        self.char_seconds = char_seconds
        self.port = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[RtuFrameHandler] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen; `port` 0 picks a free one (see `.port`)."""
        self._server = await asyncio.start_server(self._client, host, port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = RtuFrameHandler(self.simulator, writer.write, self.char_seconds)
        self._handlers.add(handler)
        self._writers.add(writer)
        handler.start()
        try:
            while data := await reader.read(4096):
                handler.feed(data)
        except ConnectionError:
            pass
        finally:
            self._handlers.discard(handler)
            self._writers.discard(writer)
            await handler.close()
            writer.close()

    async def close(self) -> None:
        """Stop listening and drop every connection."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        for handler in list(self._handlers):
            await handler.close()
        if self._server is not None:
            await self._server.wait_closed()


class PtySimulator:
    """The simulator behind a pty pair: open `port` with pyserial as if it were an RS485 adapter."""

    def __init__(self, simulator: Simulator, char_seconds: float = 11 / 9600) -> None:
        self.simulator = simulator
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        tty.setraw(self._master)
        self.port = os.ttyname(self._slave)
        self.server = RtuSlaveServer(simulator, self._master, char_seconds)

    async def __aenter__(self) -> PtySimulator:
        await self.server.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop serving and close both ends."""
        await self.server.close()
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
