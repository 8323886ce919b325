"""Supervisor discovery and who may use the bus, against a small fake Supervisor on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
import json
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
import pytest
import yaml

from prepaid_power_gateway import ConfigError, Gateway, gateway_config
from prepaid_power_gateway.config import load_addon_options
from prepaid_power_gateway.discovery import Discovery, SupervisorSettings

from .modbus_client import ModbusClient, ModbusError

ADDON = Path(__file__).resolve().parents[2] / "addon"

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
    async with Gateway(
        gateway_config("sample", **fast_options),
        supervisor=settings,
        home_assistant_hosts=("127.0.0.1",),
    ) as gw:
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


async def _modbus_answers(port: int) -> bool:
    """Whether a real Modbus TCP client gets an answer (False: the gateway hung up)."""
    async with ModbusClient(port) as client:
        try:
            return len(await client.read(6, 4, 0, 2)) == 2
        except (asyncio.IncompleteReadError, ConnectionError):
            return False


@pytest.mark.parametrize(
    ("home_assistant", "allowed_clients", "answers"),
    [
        pytest.param(("192.0.2.1",), [], False, id="other-client"),
        pytest.param(("localhost",), [], True, id="home-assistant"),
        pytest.param(("192.0.2.1",), ["127.0.0.0/8"], True, id="allow-listed"),
    ],
)
async def test_modbus_tcp_accepts_only_home_assistant_under_the_supervisor(
    supervisor: FakeSupervisor,
    fast_options: dict[str, Any],
    home_assistant: tuple[str, ...],
    allowed_clients: list[str],
    answers: bool,
) -> None:
    settings = SupervisorSettings(TOKEN, supervisor.url, hostname="gateway-host")
    config = gateway_config("sample", allowed_clients=allowed_clients, **fast_options)
    async with Gateway(config, supervisor=settings, home_assistant_hosts=home_assistant) as gw:
        assert await _modbus_answers(gw.port) is answers
        assert await _modbus_answers(gw.port) is answers
        assert gw.stats.refused_clients == (0 if answers else 2)
        assert gw.stats.as_dict()["refused_clients"] == gw.stats.refused_clients


async def test_standalone_gateway_serves_every_client(fast_options: dict[str, Any]) -> None:
    async with Gateway(gateway_config("sample", **fast_options)) as gw:
        assert gw.server.allowed_clients is None
        assert await _modbus_answers(gw.port)


def test_allowed_clients_must_be_addresses() -> None:
    with pytest.raises(ConfigError) as err:
        gateway_config("sample", allowed_clients=["homeassistant.local"])
    assert err.value.field.startswith("allowed_clients")
    assert "not an IP address or network" in err.value.message


async def test_a_fresh_install_waits_for_a_bus(
    supervisor: FakeSupervisor, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Started with the default options (no serial port chosen), the add-on says what to do
    in its log and on its status page, answers every request 0x0A and announces nothing."""
    defaults = yaml.safe_load((ADDON / "config.yaml").read_text())["options"]
    path = tmp_path / "options.json"
    path.write_text(json.dumps(defaults))
    config = replace(
        load_addon_options(path),
        listen_host="127.0.0.1",
        listen_port=0,
        status_host="127.0.0.1",
        status_port=0,
    )
    settings = SupervisorSettings(TOKEN, supervisor.url, hostname="gateway-host")
    async with Gateway(config, supervisor=settings, home_assistant_hosts=("127.0.0.1",)) as gw:
        assert await gw.announced() is None
        async with ModbusClient(gw.port) as client:
            with pytest.raises(ModbusError) as err:
                await client.read(1, 3, 0, 2)
        assert err.value.code == 0x0A
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{gw.status_port}/") as response,
        ):
            page = await response.text()
    assert "Waiting for a bus: no serial port chosen" in page
    assert "waiting for a bus: no serial port chosen" in caplog.text
    assert not [call for call in supervisor.calls if call[0] == "POST"]
