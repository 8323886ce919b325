"""Real upstreams: RTU over a pty pair, pyserial socket://, Modbus TCP and RTU-over-TCP gateways."""

from __future__ import annotations

import asyncio
import time

import pytest

from prepaid_power_gateway import (
    Gateway,
    SerialSettings,
    Simulator,
    TcpSettings,
    gateway_config,
    make_building,
)
from prepaid_power_gateway.simulator import WireTiming
from prepaid_power_gateway.simulator.rtu import PtySimulator, RtuOverTcpServer

from .modbus_client import ModbusClient, ModbusError, f32, u32

BUILDING = make_building(
    [
        {"model": "SDM120", "slave": 1, "serial": 1001, "load_w": 500},
        {"model": "DDS238-2 ZN/SR", "slave": 2, "load_w": 800},
        {"model": "EM115", "slave": 3, "serial": 0x12345678},
        {"model": "DDSU666", "slave": 4, "supply": {"board": 9, "channel": 0}},
    ],
    [{"slave": 9, "channels": 4}],
)


def bridged(upstream: SerialSettings | TcpSettings, **options: object) -> Gateway:
    config = gateway_config(
        None,
        simulate=False,
        upstream=upstream,
        min_gap_ms=0,
        id_switch_gap_ms=0,
        request_timeout=0.3,
        **options,
    )
    return Gateway(config)


async def exercise(gw: Gateway, sim: Simulator) -> None:
    """Reads, writes and faults through whatever upstream the gateway has."""
    async with ModbusClient(gw.port) as client:
        assert u32(await client.read(1, 3, 0xFC00, 2)) == 1001
        assert f32(await client.read(1, 4, 0x000C, 2)) == 500.0
        words = await client.read(2, 3, 0x0000, 27)
        assert words[0x0E] == 800
        assert words[0x15] >> 8 == 2
        await client.write_registers(2, 0x001A, [0])
        assert sim.meter(2).relay_on is False
        key = ((0x12345678 >> 24) + (0x12345678 >> 8)) & 0x1234
        await client.write_registers(3, 0x0566, [key, 0xAAAA])
        assert sim.meter(3).relay_on is False
        await client.write_coil(9, 0, False)
        assert sim.meter(4).supply_on is False
        assert await client.read_coils(9, 0, 4) == [False, True, True, True]
        with pytest.raises(ModbusError) as err:
            await client.read(1, 4, 0x3000, 2)
        assert err.value.code == 0x02  # the meter's own exception passes through
        with pytest.raises(ModbusError) as err:
            await client.write_register(2, 0x001A, 1)  # DDS238 ignores 06
        assert err.value.code == 0x0B
        sim.meter(1).set_faults(crc_rate=1.0)
        with pytest.raises(ModbusError) as err:
            await client.read(1, 4, 0, 2)
        assert err.value.code == 0x0B
        sim.meter(1).set_faults(crc_rate=0.0)
        assert len(await client.read(1, 4, 0, 2)) == 2  # recovered after the bad frame
    assert gw.stats.slave(2).timeouts == 1
    assert gw.stats.slave(1).exceptions == 1


async def test_serial_upstream_over_a_pty_pair() -> None:
    sim = Simulator(BUILDING, time_scale=0)
    async with PtySimulator(sim) as pty, bridged(SerialSettings(pty.port)) as gw:
        await exercise(gw, sim)
        assert gw.stats.slave(1).crc_errors == 1
        assert pty.server.handler.frames == 11
        assert "serial" in gw.summary()["upstream"]


async def test_serial_upstream_with_wire_time_at_9600_baud() -> None:
    char = 10 / 9600
    sim = Simulator(BUILDING, time_scale=0, wire=WireTiming(char))
    async with PtySimulator(sim, char) as pty, bridged(SerialSettings(pty.port)) as gw:
        async with ModbusClient(gw.port) as client:
            started = time.monotonic()
            for _ in range(5):
                await client.read(2, 3, 0x0000, 27)  # 8 + 59 bytes on the wire
            per_read = (time.monotonic() - started) / 5
        expected = (8 + 59 + 7) * char + 0.015
        assert expected <= per_read < expected + 0.08
        assert gw.stats.slave(2).latency_mean_ms is not None
        assert gw.stats.slave(2).latency_mean_ms >= expected * 1000


async def test_serial_upstream_via_pyserial_socket_url() -> None:
    sim = Simulator(BUILDING, time_scale=0)
    server = RtuOverTcpServer(sim)
    await server.start()
    try:
        async with bridged(SerialSettings(f"socket://127.0.0.1:{server.port}")) as gw:
            await exercise(gw, sim)
    finally:
        await server.close()


async def test_rtu_over_tcp_gateway_upstream() -> None:
    sim = Simulator(BUILDING, time_scale=0)
    server = RtuOverTcpServer(sim)
    await server.start()
    try:
        async with bridged(TcpSettings("127.0.0.1", server.port, "rtu_over_tcp")) as gw:
            await exercise(gw, sim)
            assert gw.stats.slave(1).crc_errors == 1
    finally:
        await server.close()


async def test_modbus_tcp_gateway_upstream() -> None:
    upstream_config = gateway_config(
        BUILDING, time_scale=0, min_gap_ms=0, id_switch_gap_ms=0, request_timeout=0.1
    )
    async with Gateway(upstream_config) as far:
        assert far.simulator is not None
        async with (
            bridged(TcpSettings("127.0.0.1", far.port, "tcp")) as gw,
            ModbusClient(gw.port) as client,
        ):
            assert u32(await client.read(1, 3, 0xFC00, 2)) == 1001
            await client.write_coil(9, 0, False)
            assert far.simulator.meter(4).supply_on is False
            far.simulator.meter(1).set_faults(offline=True)
            with pytest.raises(ModbusError) as err:
                await client.read(1, 4, 0, 2)
            assert err.value.code == 0x0B  # the far gateway's 0x0B passes through


async def test_unreachable_tcp_gateway_answers_0x0a() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    async with bridged(TcpSettings("127.0.0.1", port)) as gw, ModbusClient(gw.port) as client:
        with pytest.raises(ModbusError) as err:
            await client.read(1, 4, 0, 2)
        assert err.value.code == 0x0A
        assert gw.stats.slave(1).unavailable == 1


async def test_missing_serial_port_at_runtime_answers_0x0a(tmp_path: object) -> None:
    from prepaid_power_gateway.config import GatewayConfig

    config = GatewayConfig(
        simulate=False,
        upstream=SerialSettings("/dev/does-not-exist-prepaid"),
        listen_host="127.0.0.1",
        listen_port=0,
        status_port=None,
        min_gap_ms=0,
        id_switch_gap_ms=0,
    )
    async with Gateway(config) as gw, ModbusClient(gw.port) as client:
        with pytest.raises(ModbusError) as err:
            await client.read(1, 4, 0, 2)
        assert err.value.code == 0x0A


async def test_many_clients_over_one_pty_bus_never_interleave() -> None:
    """Interleaved frames on the serial line would fail the CRC: every answer must be right."""
    building = make_building(
        [{"model": "SDM120", "slave": s, "serial": 5000 + s} for s in range(1, 9)]
    )
    sim = Simulator(building, time_scale=0)
    async with PtySimulator(sim) as pty, bridged(SerialSettings(pty.port)) as gw:

        async def hammer(first: int) -> None:
            async with ModbusClient(gw.port) as client:
                for i in range(15):
                    slave = (first + i) % 8 + 1
                    assert u32(await client.read(slave, 3, 0xFC00, 2)) == 5000 + slave

        await asyncio.gather(*(hammer(n) for n in range(6)))
        totals = gw.stats.totals()
        assert totals["answers"] == 90
        assert totals["crc_errors"] == totals["timeouts"] == 0
        assert pty.server.handler.crc_errors == 0
