"""Supervisor discovery against a small fake Supervisor on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
import pytest

from prepaid_power_gateway import Gateway, gateway_config
from prepaid_power_gateway.discovery import Discovery, SupervisorSettings

TOKEN = "test-token-123"


class FakeSupervisor:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.posted = asyncio.Event()
        self.fail_posts = 0
        self.app = web.Application()
        self.app.router.add_get("/addons/self/info", self.info)
        self.app.router.add_post("/discovery", self.discovery)
        self.app.router.add_delete("/discovery/{uuid}", self.delete)
        self.runner = web.AppRunner(self.app)
        self.url = ""

    def _check(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            raise web.HTTPUnauthorized

    async def info(self, request: web.Request) -> web.Response:
        self._check(request)
        self.calls.append(("GET", request.path, None))
        return web.json_response(
            {"result": "ok", "data": {"hostname": "a0d7b954-prepaid-power-gateway"}}
        )

    async def discovery(self, request: web.Request) -> web.Response:
        self._check(request)
        body = await request.json()
        self.calls.append(("POST", request.path, body))
        if self.fail_posts:
            self.fail_posts -= 1
            raise web.HTTPInternalServerError
        self.posted.set()
        return web.json_response({"result": "ok", "data": {"uuid": "uuid-1"}})

    async def delete(self, request: web.Request) -> web.Response:
        self._check(request)
        self.calls.append(("DELETE", request.path, None))
        return web.json_response({"result": "ok", "data": {}})


@pytest.fixture
async def supervisor() -> AsyncIterator[FakeSupervisor]:
    fake = FakeSupervisor()
    await fake.runner.setup()
    site = web.TCPSite(fake.runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}"
    yield fake
    await fake.runner.cleanup()


async def test_gateway_announces_itself_and_withdraws(
    supervisor: FakeSupervisor, fast_options: dict[str, Any]
) -> None:
    settings = SupervisorSettings.from_env(
        {"SUPERVISOR_TOKEN": TOKEN, "SUPERVISOR_URL": supervisor.url}
    )
    assert settings is not None
    async with Gateway(gateway_config("sample", **fast_options), supervisor=settings) as gw:
        assert await asyncio.wait_for(gw.announced(), 5) == "uuid-1"
        assert gw.web_allowed_peers is not None
        assert "172.30.32.2" in gw.web_allowed_peers
        port = gw.port
    assert supervisor.calls == [
        ("GET", "/addons/self/info", None),
        (
            "POST",
            "/discovery",
            {
                "service": "prepaid_power",
                "config": {"host": "a0d7b954-prepaid-power-gateway", "port": port},
            },
        ),
        ("DELETE", "/discovery/uuid-1", None),
    ]


async def test_discovery_retries_and_uses_hostname_override(supervisor: FakeSupervisor) -> None:
    supervisor.fail_posts = 1
    settings = SupervisorSettings(TOKEN, supervisor.url, hostname="gateway-host")
    discovery = Discovery(settings, 502)
    assert await discovery.announce(attempts=3, retry_delay=0.01) == "uuid-1"
    posts = [body for method, _path, body in supervisor.calls if method == "POST"]
    assert len(posts) == 2
    assert posts[-1] == {
        "service": "prepaid_power",
        "config": {"host": "gateway-host", "port": 502},
    }
    assert not any(method == "GET" for method, _path, _body in supervisor.calls)


async def test_discovery_gives_up_quietly(supervisor: FakeSupervisor) -> None:
    settings = SupervisorSettings("wrong-token", supervisor.url, hostname="h")
    assert await Discovery(settings, 502).announce(attempts=2, retry_delay=0.01) is None


def test_no_token_means_standalone() -> None:
    assert SupervisorSettings.from_env({}) is None
    settings = SupervisorSettings.from_env({"SUPERVISOR_TOKEN": "t"})
    assert settings is not None
    assert settings.url == "http://supervisor"
