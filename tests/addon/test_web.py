"""Status page, /api/stats and the simulator control API over real HTTP on loopback."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from prepaid_power_gateway import Gateway, gateway_config

from .modbus_client import ModbusClient, ModbusError


def url(gw: Gateway, path: str) -> str:
    return f"http://127.0.0.1:{gw.status_port}{path}"


async def test_stats_json_and_status_page(gateway: Gateway) -> None:
    gateway.simulator.meter(6).set_faults(offline=True)  # type: ignore[union-attr]
    async with ModbusClient(gateway.port) as client:
        for _ in range(20):
            await client.read(1, 3, 0, 27)
        with pytest.raises(ModbusError):
            await client.request(6, bytes([4, 0, 0, 0, 2]))
    async with aiohttp.ClientSession() as session:
        async with session.get(url(gateway, "/api/stats")) as response:
            assert response.status == 200
            stats: dict[str, Any] = await response.json()
        assert stats["slaves"]["1"]["requests"] == 20
        assert stats["slaves"]["1"]["answers"] == 20
        assert stats["slaves"]["1"]["latency_p95_ms"] > 0
        assert stats["slaves"]["1"]["latency_mean_ms"] > 0
        assert stats["slaves"]["6"]["timeouts"] == 1
        assert stats["totals"]["requests"] == 21
        assert stats["gateway"]["port"] == gateway.port
        assert (stats["refused_clients"], stats["gateway"]["allowed_clients"]) == (0, "any")
        headers = {"X-Ingress-Path": "/api/hassio_ingress/abc123"}
        async with session.get(url(gateway, "/"), headers=headers) as response:
            assert response.status == 200
            html = await response.text()
    assert "Room 12" not in html
    assert "Shop" in html
    assert "0 refused; allowed: any" in html  # standalone: every client may connect
    assert 'href="/api/hassio_ingress/abc123/api/stats"' in html  # links stay under ingress
    async with aiohttp.ClientSession() as session, session.get(url(gateway, "/")) as response:
        assert 'href="api/stats"' in await response.text()  # direct access: relative links


async def test_simulator_api(gateway: Gateway) -> None:
    sim = gateway.simulator
    assert sim is not None
    async with aiohttp.ClientSession() as session:
        async with session.get(url(gateway, "/api/simulator")) as response:
            snapshot = await response.json()
        assert len(snapshot["meters"]) == 12
        room1 = next(m for m in snapshot["meters"] if m["slave"] == 1)
        assert room1["model"] == "DDS238-2 ZN/SR"
        assert room1["relay"] is True
        body = {"load_w": 3600, "timeout_rate": 0.5, "relay_ignores_commands": True}
        async with session.post(url(gateway, "/api/simulator/meters/1"), json=body) as response:
            assert response.status == 200
            meter = await response.json()
        assert meter["power_w"] == 3600
        assert meter["faults"]["timeout_rate"] == 0.5
        async with session.post(
            url(gateway, "/api/simulator/clock"), json={"advance": 3600}
        ) as response:
            assert response.status == 200
        assert sim.meter(1).energy_kwh == pytest.approx(3.6, abs=0.01)
        async with session.post(
            url(gateway, "/api/simulator/meters/1"), json={"reset_counter": True, "relay": False}
        ) as response:
            meter = await response.json()
        assert meter["energy_kwh"] == 0
        assert meter["relay"] is False
        assert meter["power_w"] == 0
        async with session.post(
            url(gateway, "/api/simulator/boards/100"), json={"channels": {"2": False}}
        ) as response:
            assert (await response.json())["channels"][2] is False
        assert sim.meter(8).supply_on is False
        for path, body, status in [
            ("/api/simulator/meters/99", {}, 404),
            ("/api/simulator/meters/1", {"timeout_rate": 2}, 400),
            ("/api/simulator/meters/1", {"colour": "red"}, 400),
            ("/api/simulator/meters/6", {"relay": False}, 400),  # SDM120: no relay
            ("/api/simulator/boards/100", {"channels": {"9": True}}, 400),
        ]:
            async with session.post(url(gateway, path), json=body) as response:
                assert response.status == status, path
        async with session.post(url(gateway, "/api/simulator/meters/1"), data="{nope") as response:
            assert response.status == 400


async def test_simulator_api_absent_without_simulator() -> None:
    from prepaid_power_gateway import TcpSettings

    config = gateway_config(None, simulate=False, upstream=TcpSettings("127.0.0.1", 1))
    async with Gateway(config) as gw, aiohttp.ClientSession() as session:
        async with session.get(url(gw, "/api/simulator")) as response:
            assert response.status == 404
        async with session.get(url(gw, "/")) as response:
            assert response.status == 200


async def test_peer_filter_under_supervisor(fast_options: dict[str, Any]) -> None:
    config = gateway_config("sample", **fast_options)
    async with (
        Gateway(config, web_allowed_peers=["172.30.32.2"]) as gw,
        aiohttp.ClientSession() as session,
        session.get(url(gw, "/api/stats")) as response,
    ):
        assert response.status == 403
    async with (
        Gateway(config, web_allowed_peers=["127.0.0.0/8"]) as gw,
        aiohttp.ClientSession() as session,
        session.get(url(gw, "/api/stats")) as response,
    ):
        assert response.status == 200
