"""The gateway's bus discipline: many clients, one transaction at a time, faults answered."""

from __future__ import annotations

import asyncio
import random
import struct
import time
from typing import Any

import pytest

from prepaid_power_gateway import Gateway, gateway_config, make_building, uniform_building
from prepaid_power_gateway.upstream import Upstream

from .modbus_client import ModbusClient, ModbusError, u32


class CountingUpstream(Upstream):
    """Wraps an upstream and fails the test if two transactions ever overlap."""

    def __init__(self, inner: Upstream, delay: float = 0.0) -> None:
        self.inner = inner
        self.delay = delay
        self.active = 0
        self.max_active = 0
        self.order: list[tuple[int, bytes]] = []

    async def transact(self, unit: int, pdu: bytes, time_limit: float) -> bytes | None:
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        self.order.append((unit, pdu))
        try:
            await asyncio.sleep(self.delay)
            return await self.inner.transact(unit, pdu, time_limit)
        finally:
            self.active -= 1


def instrument(gw: Gateway, delay: float = 0.0) -> CountingUpstream:
    counting = CountingUpstream(gw.server.upstream, delay)
    gw.server.upstream = counting
    return counting


async def test_concurrent_clients_get_their_own_answers(fast_options: dict[str, Any]) -> None:
    building = uniform_building(20, "SDM120", load_w=100)
    async with Gateway(gateway_config(building, **fast_options)) as gw:
        counting = instrument(gw)
        assert gw.simulator is not None
        serials = {slave: m.serial for slave, m in gw.simulator.meters.items()}

        async def hammer(seed: int) -> int:
            rng = random.Random(seed)
            checked = 0
            async with ModbusClient(gw.port) as client:
                for _ in range(10):  # bursts of pipelined requests
                    wanted: dict[int, int] = {}
                    for _ in range(rng.randint(1, 6)):
                        slave = rng.randint(1, 20)
                        tid = client.send(slave, struct.pack(">BHH", 3, 0xFC00, 2))
                        wanted[tid] = slave
                    await client.writer.drain()
                    for _ in range(len(wanted)):
                        tid, unit, pdu = await client.receive()
                        slave = wanted.pop(tid)
                        assert unit == slave
                        assert pdu[:2] == b"\x03\x04"
                        assert (
                            u32([int.from_bytes(pdu[2:4]), int.from_bytes(pdu[4:6])])
                            == serials[slave]
                        )
                        checked += 1
            return checked

        results = await asyncio.gather(*(hammer(seed) for seed in range(8)))
        assert sum(results) == sum(gw.stats.slave(s).answers for s in range(1, 21))
        assert counting.max_active == 1
        assert gw.stats.clients_total == 8


async def test_round_robin_between_clients(fast_options: dict[str, Any]) -> None:
    async with Gateway(gateway_config("sample", **fast_options)) as gw:
        counting = instrument(gw, delay=0.005)
        async with ModbusClient(gw.port) as chatty, ModbusClient(gw.port) as quiet:
            for _ in range(30):
                chatty.send(6, struct.pack(">BHH", 4, 0, 2))
            await chatty.writer.drain()
            await asyncio.sleep(0.01)
            quiet.send(9, struct.pack(">BHH", 4, 0x2000, 2))
            await quiet.writer.drain()
            await quiet.receive()
            position = counting.order.index((9, struct.pack(">BHH", 4, 0x2000, 2)))
            assert position < 10  # not behind all of the chatty client's backlog
            for _ in range(30):
                await chatty.receive()


async def test_timeout_answers_0x0b_and_is_counted(fast_options: dict[str, Any]) -> None:
    async with Gateway(gateway_config("sample", **fast_options)) as gw:
        assert gw.simulator is not None
        gw.simulator.meter(6).set_faults(offline=True)
        async with ModbusClient(gw.port) as client:
            started = time.monotonic()
            with pytest.raises(ModbusError) as err:
                await client.read(6, 4, 0, 2)
            assert err.value.code == 0x0B
            assert 0.15 < time.monotonic() - started < 1.0
            with pytest.raises(ModbusError) as err:
                await client.read(77, 3, 0, 1)  # nobody at 77
            assert err.value.code == 0x0B
            gw.simulator.meter(6).set_faults(offline=False)
            assert len(await client.read(6, 4, 0, 2)) == 2
        assert gw.stats.slave(6).timeouts == 1
        assert gw.stats.slave(77).timeouts == 1
        assert gw.stats.slave(6).answers == 1


async def test_crc_errors_answer_0x0b_and_are_counted(fast_options: dict[str, Any]) -> None:
    async with Gateway(gateway_config("sample", **fast_options)) as gw:
        assert gw.simulator is not None
        gw.simulator.meter(4).set_faults(crc_rate=1.0)
        async with ModbusClient(gw.port) as client:
            for _ in range(3):
                with pytest.raises(ModbusError) as err:
                    await client.read(4, 4, 0x0008, 2)
                assert err.value.code == 0x0B
        stats = gw.stats.as_dict()["slaves"]["4"]
        assert stats["crc_errors"] == 3
        assert stats["timeouts"] == 0


async def test_client_disconnect_does_not_wedge_the_queue(fast_options: dict[str, Any]) -> None:
    async with Gateway(gateway_config("sample", **fast_options)) as gw:
        assert gw.simulator is not None
        gw.simulator.meter(6).set_faults(offline=True)
        leaving = ModbusClient(gw.port)
        await leaving.__aenter__()
        for _ in range(10):
            leaving.send(6, struct.pack(">BHH", 4, 0, 2))
        await leaving.writer.drain()
        await asyncio.sleep(0.05)  # the first one is on the bus now
        await leaving.close()
        async with ModbusClient(gw.port) as client:
            started = time.monotonic()
            assert len(await client.read(9, 4, 0x2000, 2)) == 2
            assert time.monotonic() - started < 0.5  # at most the one in flight is waited for
        assert gw.stats.dropped_requests >= 8
        assert gw.stats.slave(6).requests <= 2


async def test_too_many_pending_requests_get_busy(fast_options: dict[str, Any]) -> None:
    config = gateway_config("sample", max_pending_per_client=4, **fast_options)
    async with Gateway(config) as gw:
        assert gw.simulator is not None
        gw.simulator.meter(6).set_faults(offline=True)
        async with ModbusClient(gw.port) as client:
            for _ in range(8):
                client.send(6, struct.pack(">BHH", 4, 0, 2))
            await client.writer.drain()
            _tid, _unit, pdu = await client.receive()
            assert pdu == b"\x84\x06"
        assert gw.stats.busy_rejections >= 3


async def test_minimum_gap_and_slave_switch_gap() -> None:
    building = uniform_building(2, "SDM120")
    config = gateway_config(building, time_scale=0, min_gap_ms=20, id_switch_gap_ms=30)
    async with Gateway(config) as gw, ModbusClient(gw.port) as client:
        await client.read(1, 4, 0, 2)
        started = time.monotonic()
        for _ in range(5):
            await client.read(1, 4, 0, 2)
        same_slave = time.monotonic() - started
        started = time.monotonic()
        for slave in (2, 1, 2, 1, 2):
            await client.read(slave, 4, 0, 2)
        switching = time.monotonic() - started
    assert same_slave >= 5 * 0.020
    assert switching >= 5 * 0.050


async def test_broadcast_gets_no_answer_but_reaches_the_bus(fast_options: dict[str, Any]) -> None:
    building = make_building([{"model": "SDM120", "slave": 1}], [{"slave": 50, "channels": 2}])
    async with Gateway(gateway_config(building, **fast_options)) as gw:
        assert gw.simulator is not None
        async with ModbusClient(gw.port) as client:
            client.send(0, struct.pack(">BHH", 5, 1, 0))
            await client.writer.drain()
            assert await client.read_coils(50, 0, 2) == [True, False]


async def test_non_modbus_client_is_dropped(gateway: Gateway) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
    writer.write(b"GET / HTTP/1.0\r\n\r\n")
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), 2) == b""
    writer.close()
    await writer.wait_closed()
    async with ModbusClient(gateway.port) as client:
        assert await client.read(6, 3, 0xFC02, 1) == [0x20]


async def test_several_gateways_in_one_process(fast_options: dict[str, Any]) -> None:
    gateways = [Gateway(gateway_config(uniform_building(3), **fast_options)) for _ in range(4)]
    for gw in gateways:
        await gw.start()
    try:
        assert len({gw.port for gw in gateways}) == 4
        for gw in gateways:
            async with ModbusClient(gw.port) as client:
                assert await client.read(3, 3, 0xFC02, 1) == [0x20]
    finally:
        for gw in gateways:
            await gw.stop()
