"""The Modbus TCP server and the bus worker: many clients, one transaction on the bus at a time.

Every client connection has its own FIFO; the worker takes requests round-robin across
connections, so a chatty client cannot starve the others. A request whose client has gone is
dropped before it reaches the bus.
"""

from __future__ import annotations

import asyncio
from collections import deque
import contextlib
from dataclasses import dataclass, field
import itertools
import logging
import time

from .errors import BusCrcError, BusTimeoutError, BusUnavailableError
from .modbus import MBAP_HEADER, ExceptionCode, exception_pdu, is_exception, mbap_frame
from .peers import PeerFilter
from .stats import BusStats
from .upstream import Upstream

_LOGGER = logging.getLogger(__name__)


@dataclass(eq=False, slots=True)
class ClientConnection:
    """One TCP client and its pending requests."""

    ident: int
    peer: str
    writer: asyncio.StreamWriter
    pending: deque[Request] = field(default_factory=deque)
    open: bool = True

    def send(self, transaction_id: int, unit: int, pdu: bytes) -> None:
        """Answer the client (silently skipped once it has gone)."""
        if self.open and not self.writer.is_closing():
            self.writer.write(mbap_frame(transaction_id, unit, pdu))


@dataclass(eq=False, slots=True)
class Request:
    """A request waiting for the bus."""

    client: ClientConnection
    transaction_id: int
    unit: int
    pdu: bytes
    queued: float


class FairQueue:
    """Round-robin over client connections, FIFO within each."""

    def __init__(self) -> None:
        self._ready: deque[ClientConnection] = deque()
        self._wakeup = asyncio.Event()
        self.depth = 0

    def put(self, request: Request) -> None:
        """Queue a request behind the same client's earlier ones."""
        client = request.client
        if not client.pending:
            self._ready.append(client)
        client.pending.append(request)
        self.depth += 1
        self._wakeup.set()

    def drop(self, client: ClientConnection) -> int:
        """Forget a client's pending requests; returns how many were dropped."""
        dropped = len(client.pending)
        client.pending.clear()
        with contextlib.suppress(ValueError):
            self._ready.remove(client)
        self.depth -= dropped
        return dropped

    async def get(self) -> Request:
        """The next request, taking clients in turn."""
        while not self._ready:
            self._wakeup.clear()
            await self._wakeup.wait()
        client = self._ready.popleft()
        request = client.pending.popleft()
        if client.pending:
            self._ready.append(client)
        self.depth -= 1
        return request


class ModbusTcpServer:
    """Accepts Modbus TCP clients and serialises their requests onto one upstream bus."""

    def __init__(
        self,
        upstream: Upstream,
        stats: BusStats,
        *,
        request_timeout: float = 1.0,
        min_gap: float = 0.0,
        id_switch_gap: float = 0.0,
        max_pending_per_client: int = 32,
        allowed_clients: PeerFilter | None = None,
    ) -> None:
        self.upstream = upstream
        self.allowed_clients = allowed_clients
        self._refused: set[str] = set()
        self.stats = stats
        self.request_timeout = request_timeout
        self.min_gap = min_gap
        self.id_switch_gap = id_switch_gap
        self.max_pending_per_client = max_pending_per_client
        self.queue = FairQueue()
        self.port = 0
        self._server: asyncio.Server | None = None
        self._worker: asyncio.Task[None] | None = None
        self._clients: dict[int, ClientConnection] = {}
        self._client_tasks: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)
        self._last_end = 0.0
        self._last_unit: int | None = None

    async def start(self, host: str, port: int) -> None:
        """Listen and start the bus worker."""
        self._server = await asyncio.start_server(self._serve_client, host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        self._worker = asyncio.get_running_loop().create_task(self._bus_worker(), name="bus-worker")

    async def close(self) -> None:
        """Stop accepting, drop clients, stop the worker."""
        if self._server is not None:
            self._server.close()
        for client in list(self._clients.values()):
            client.writer.close()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        for task in list(self._client_tasks):
            task.cancel()
        if self._client_tasks:
            await asyncio.gather(*self._client_tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername")
        if self.allowed_clients is not None and not self.allowed_clients.allows(
            peer[0] if peer else None
        ):
            self._refuse(writer, peer[0] if peer else "?")
            return
        task = asyncio.current_task()
        if task is not None:
            self._client_tasks.add(task)
        client = ClientConnection(next(self._ids), f"{peer[0]}:{peer[1]}" if peer else "?", writer)
        self._clients[client.ident] = client
        self.stats.clients_connected += 1
        self.stats.clients_total += 1
        _LOGGER.debug("client %s connected", client.peer)
        try:
            await self._read_requests(client, reader)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            client.open = False
            dropped = self.queue.drop(client)
            self.stats.dropped_requests += dropped
            self.stats.queue_depth = self.queue.depth
            self.stats.clients_connected -= 1
            del self._clients[client.ident]
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            if task is not None:
                self._client_tasks.discard(task)
            _LOGGER.debug("client %s gone (%d pending dropped)", client.peer, dropped)

    def _refuse(self, writer: asyncio.StreamWriter, address: str) -> None:
        """Close a connection from a client that is not allowed; warn once per address."""
        self.stats.refused_clients += 1
        if address not in self._refused:
            self._refused.add(address)
            _LOGGER.warning(
                "refused a Modbus TCP client from %s: only %s may connect (add it to "
                "allowed_clients to let it in)",
                address,
                self.allowed_clients,
            )
        writer.close()

    async def _read_requests(self, client: ClientConnection, reader: asyncio.StreamReader) -> None:
        while True:
            header = await reader.readexactly(MBAP_HEADER.size)
            transaction_id, protocol, length, unit = MBAP_HEADER.unpack(header)
            if protocol != 0 or not 2 <= length <= 254:
                _LOGGER.warning("client %s sent a non-Modbus frame; closing", client.peer)
                return
            pdu = await reader.readexactly(length - 1)
            if len(client.pending) >= self.max_pending_per_client:
                self.stats.busy_rejections += 1
                client.send(
                    transaction_id, unit, exception_pdu(pdu[0], ExceptionCode.SLAVE_DEVICE_BUSY)
                )
                continue
            self.queue.put(Request(client, transaction_id, unit, pdu, time.monotonic()))
            self.stats.queue_depth = self.queue.depth

    async def _bus_worker(self) -> None:
        while True:
            request = await self.queue.get()
            self.stats.queue_depth = self.queue.depth
            if not request.client.open:
                continue
            response = await self._transact(request)
            if response is not None:
                request.client.send(request.transaction_id, request.unit, response)
            # A fast upstream (the simulator) may complete without suspending: yield so new
            # requests from other clients are read and the round-robin can include them.
            await asyncio.sleep(0)

    async def _wait_for_gap(self, unit: int) -> None:
        gap = self.min_gap
        if self._last_unit is not None and unit != self._last_unit:
            gap += self.id_switch_gap
        wait = self._last_end + gap - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _transact(self, request: Request) -> bytes | None:
        """Carry one request over the bus; never raises, always answers (except broadcasts)."""
        unit, pdu = request.unit, request.pdu
        stats = self.stats.slave(unit)
        stats.requests += 1
        await self._wait_for_gap(unit)
        started = time.monotonic()
        try:
            response = await self.upstream.transact(unit, pdu, self.request_timeout)
        except BusTimeoutError as err:
            stats.timeouts += 1
            _LOGGER.debug("slave %d: %s", unit, err)
            response = exception_pdu(pdu[0], ExceptionCode.GATEWAY_TARGET_FAILED)
        except BusCrcError as err:
            stats.crc_errors += 1
            _LOGGER.debug("slave %d: %s", unit, err)
            response = exception_pdu(pdu[0], ExceptionCode.GATEWAY_TARGET_FAILED)
        except BusUnavailableError as err:
            stats.unavailable += 1
            _LOGGER.warning("bus unavailable: %s", err)
            response = exception_pdu(pdu[0], ExceptionCode.GATEWAY_PATH_UNAVAILABLE)
        except Exception:
            stats.unavailable += 1
            _LOGGER.exception("slave %d: unexpected upstream failure", unit)
            response = exception_pdu(pdu[0], ExceptionCode.SLAVE_DEVICE_FAILURE)
        else:
            if response is not None:
                stats.answers += 1
                stats.add_latency(time.monotonic() - started)
                if is_exception(response):
                    stats.exceptions += 1
        finally:
            self._last_end = time.monotonic()
            self._last_unit = unit
        return response
