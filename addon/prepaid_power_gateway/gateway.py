"""The gateway: upstream bus + Modbus TCP server + status web server + discovery."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
import contextlib
from dataclasses import replace
import logging
import socket
from typing import Any, Self

from aiohttp import web

from .building import resolve_building
from .config import GatewayConfig, SerialSettings
from .discovery import Discovery, SupervisorSettings
from .modbus import char_time
from .peers import PeerFilter
from .server import ModbusTcpServer
from .simulator import Simulator, WireTiming
from .stats import BusStats
from .upstream import Upstream, make_upstream
from .web import create_app

_LOGGER = logging.getLogger(__name__)
VERSION = "0.1.0"
SUPERVISOR_PEERS = ("172.30.32.1", "172.30.32.2", "127.0.0.1")
# Home Assistant Core as the add-on sees it: its name on the Supervisor network, and the
# network's gateway address its connections come from (Core runs on the host network).
HOME_ASSISTANT_HOSTS = ("homeassistant", "172.30.32.1")


class Gateway:
    """One running gateway; use `async with Gateway(config) as gw:` (or start/stop)."""

    def __init__(
        self,
        config: GatewayConfig,
        *,
        supervisor: SupervisorSettings | None = None,
        web_allowed_peers: Collection[str] | None = None,
        home_assistant_hosts: Collection[str] = HOME_ASSISTANT_HOSTS,
    ) -> None:
        self.config = config
        self.stats = BusStats()
        self.simulator: Simulator | None = None
        if config.simulate:
            if config.building is None:
                config = self.config = replace(config, building=resolve_building("sample"))
            assert config.building is not None
            wire = None
            if config.wire_time:
                line = config.upstream if isinstance(config.upstream, SerialSettings) else None
                wire = WireTiming(
                    char_time(config.baudrate, line.bytesize, line.parity, line.stopbits)
                    if line
                    else char_time(config.baudrate, parity=config.building.parity or "N")
                )
            self.simulator = Simulator(config.building, config.time_scale, wire)
        self.upstream: Upstream = make_upstream(config, self.simulator)
        self.server = ModbusTcpServer(
            self.upstream,
            self.stats,
            request_timeout=config.request_timeout,
            min_gap=config.min_gap_ms / 1000,
            id_switch_gap=config.id_switch_gap_ms / 1000,
            max_pending_per_client=config.max_pending_per_client,
        )
        self.supervisor = supervisor
        self.home_assistant_hosts = home_assistant_hosts
        self.discovery: Discovery | None = None
        self.web_allowed_peers = web_allowed_peers
        if supervisor is not None and web_allowed_peers is None:
            self.web_allowed_peers = SUPERVISOR_PEERS
        self.status_port: int | None = None
        self._runner: web.AppRunner | None = None
        self._discovery_task: asyncio.Task[str | None] | None = None

    @property
    def port(self) -> int:
        """The bound Modbus TCP port."""
        return self.server.port

    async def start(self) -> None:
        """Open the bus, listen, serve the status page, announce (under Supervisor)."""
        self.server.allowed_clients = await self._allowed_clients()
        try:
            await self.upstream.open()
            await self.server.start(self.config.listen_host, self.config.listen_port)
            if self.config.status_port is not None:
                await self._start_web(self.config.status_host, self.config.status_port)
        except BaseException:
            await self.stop()
            raise
        if self.config.bus_missing is not None:
            # Nothing to announce: Home Assistant would find no meters. The status page and
            # this line say what to do.
            _LOGGER.warning("waiting for a bus: %s", self.config.bus_missing)
        elif self.supervisor is not None:
            self.discovery = Discovery(self.supervisor, self.port)
            self._discovery_task = asyncio.get_running_loop().create_task(
                self.discovery.announce(), name="supervisor-discovery"
            )

    async def _allowed_clients(self) -> PeerFilter | None:
        """Under the Supervisor only Home Assistant (and `allowed_clients`) may use the bus."""
        allowed = list(self.config.allowed_clients)
        if self.supervisor is None:
            return PeerFilter(allowed) if allowed else None
        loop = asyncio.get_running_loop()
        for host in self.home_assistant_hosts:
            try:
                infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except OSError:
                _LOGGER.debug("cannot resolve %s", host)
                continue
            allowed += [str(info[4][0]) for info in infos]
        return PeerFilter(dict.fromkeys(allowed))

    async def announced(self) -> str | None:
        """Wait for the Supervisor discovery attempt; its uuid (None: failed or standalone)."""
        if self._discovery_task is None:
            return None
        return await asyncio.shield(self._discovery_task)

    async def _start_web(self, host: str, port: int) -> None:
        self._runner = web.AppRunner(create_app(self, self.web_allowed_peers), access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        self.status_port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        """Stop everything this gateway started."""
        if self._discovery_task is not None:
            if not self._discovery_task.done():
                self._discovery_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._discovery_task
            self._discovery_task = None
        if self.discovery is not None:
            await self.discovery.withdraw()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.server.close()
        await self.upstream.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def summary(self) -> dict[str, Any]:
        """What the status page and /api/stats show about the gateway itself."""
        return {
            "version": VERSION,
            "upstream": self.upstream.description,
            "port": self.port,
            "status_port": self.status_port,
            "simulate": self.simulator is not None,
            "allowed_clients": str(self.server.allowed_clients or "any"),
            "bus_missing": self.config.bus_missing,
            "request_timeout": self.config.request_timeout,
            "min_gap_ms": self.config.min_gap_ms,
            "id_switch_gap_ms": self.config.id_switch_gap_ms,
        }
