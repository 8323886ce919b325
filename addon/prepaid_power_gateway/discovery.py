"""Supervisor discovery: tell Home Assistant where the gateway listens."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
import logging
import os
import socket
from typing import Any

import aiohttp

_LOGGER = logging.getLogger(__name__)
SERVICE = "prepaid_power"


@dataclass(frozen=True, slots=True)
class SupervisorSettings:
    """How to reach the Supervisor API."""

    token: str
    url: str = "http://supervisor"
    hostname: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SupervisorSettings | None:
        """From `SUPERVISOR_TOKEN` (+ optional `SUPERVISOR_URL`, `PREPAID_POWER_HOSTNAME`)."""
        token = env.get("SUPERVISOR_TOKEN")
        if not token:
            return None
        return cls(
            token=token,
            url=env.get("SUPERVISOR_URL", "http://supervisor").rstrip("/"),
            hostname=env.get("PREPAID_POWER_HOSTNAME") or None,
        )


class Discovery:
    """Announces `{"host", "port"}` for the `prepaid_power` integration, and withdraws it."""

    def __init__(self, settings: SupervisorSettings, port: int) -> None:
        self.settings = settings
        self.port = port
        self.uuid: str | None = None
        self.hostname: str | None = None

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.token}"}

    async def _hostname(self, session: aiohttp.ClientSession) -> str:
        if self.settings.hostname:
            return self.settings.hostname
        try:
            async with session.get(
                f"{self.settings.url}/addons/self/info", headers=self._headers()
            ) as response:
                response.raise_for_status()
                info: dict[str, Any] = await response.json()
                hostname = info.get("data", {}).get("hostname")
                if isinstance(hostname, str) and hostname:
                    return hostname
        except (aiohttp.ClientError, ValueError) as err:
            _LOGGER.warning("cannot read the add-on's hostname from the Supervisor: %s", err)
        return os.environ.get("HOSTNAME") or socket.gethostname()

    async def announce(self, attempts: int = 5, retry_delay: float = 5.0) -> str | None:
        """POST the discovery message; retries a few times. Returns the discovery uuid."""
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for attempt in range(1, attempts + 1):
                try:
                    self.hostname = await self._hostname(session)
                    payload = {
                        "service": SERVICE,
                        "config": {"host": self.hostname, "port": self.port},
                    }
                    async with session.post(
                        f"{self.settings.url}/discovery", json=payload, headers=self._headers()
                    ) as response:
                        response.raise_for_status()
                        body: dict[str, Any] = await response.json()
                    self.uuid = body.get("data", {}).get("uuid")
                    _LOGGER.info(
                        "announced to Home Assistant: %s:%d (discovery %s)",
                        self.hostname,
                        self.port,
                        self.uuid,
                    )
                    return self.uuid
                except (aiohttp.ClientError, ValueError, TimeoutError) as err:
                    _LOGGER.warning("discovery attempt %d/%d failed: %s", attempt, attempts, err)
                if attempt < attempts:
                    await asyncio.sleep(retry_delay)
        _LOGGER.error(
            "could not announce the gateway to Home Assistant; add it by hand (port %d)", self.port
        )
        return None

    async def withdraw(self) -> None:
        """DELETE the discovery message on shutdown."""
        if self.uuid is None:
            return
        timeout = aiohttp.ClientTimeout(total=5)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.delete(
                    f"{self.settings.url}/discovery/{self.uuid}", headers=self._headers()
                ) as response,
            ):
                response.raise_for_status()
        except (aiohttp.ClientError, TimeoutError) as err:
            _LOGGER.debug("could not withdraw discovery %s: %s", self.uuid, err)
        self.uuid = None
