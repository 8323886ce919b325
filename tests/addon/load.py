"""The add-on under load, shared by tests/addon/test_load.py (seconds) and bench/addon_load.py
(minutes): 8 clients hammer one simulated bus with faults injected while saboteurs send
garbage or hang up mid-frame; every answer is checked against the meter it names."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import os
from pathlib import Path
import random
import struct
import time

from prepaid_power_gateway import Gateway, gateway_config, uniform_building

from .modbus_client import ModbusClient, u32

METERS = 20
CLIENTS = 8
SERIAL = struct.pack(">BHH", 3, 0xFC00, 2)  # SDM120 serial number: 4 bytes, unique per meter
FAULT = b"\x83\x0b"  # gateway target device failed to respond (timeout, CRC error, offline)
# A client that waits this long for an answer is wedged (the worst honest wait is every
# pending request of every client timing out in turn).
WEDGED_S = 30.0


@dataclass
class LoadFigures:
    answers: int = 0
    faults: int = 0
    wrong: int = 0
    wedged: int = 0
    garbage_clients: int = 0
    cut_clients: int = 0
    rss_kib: list[int] = field(default_factory=list)


def rss_kib() -> int:
    """The process's resident memory now (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def config() -> dict[str, object]:
    """Fast options: frozen simulated clock, no bus gaps, 0.2 s per-request timeout."""
    return {"time_scale": 0, "min_gap_ms": 0, "id_switch_gap_ms": 0, "request_timeout": 0.2}


async def run_load(duration_s: float, seed: int = 19) -> tuple[LoadFigures, Gateway]:
    """Hammer a simulated bus for `duration_s`; returns the figures and the (closed) gateway."""
    figures = LoadFigures()
    async with Gateway(gateway_config(uniform_building(METERS, load_w=100), **config())) as gw:
        assert gw.simulator is not None
        serials = {slave: meter.serial for slave, meter in gw.simulator.meters.items()}
        for slave in range(1, METERS + 1):
            gw.simulator.meter(slave).set_faults(timeout_rate=0.10, crc_rate=0.01)
        gw.simulator.meter(METERS).set_faults(offline=True)
        end = time.monotonic() + duration_s

        async def honest(index: int) -> None:
            rng = random.Random(seed * 100 + index)
            async with ModbusClient(gw.port) as client:
                while time.monotonic() < end:
                    wanted: dict[int, int] = {}
                    for _ in range(rng.randint(1, 6)):  # a burst of pipelined requests
                        slave = rng.randint(1, METERS)
                        wanted[client.send(slave, SERIAL)] = slave
                    await client.writer.drain()
                    for _ in range(len(wanted)):
                        try:
                            tid, unit, pdu = await client.receive(WEDGED_S)
                        except TimeoutError:
                            figures.wedged += 1
                            return
                        slave = wanted.pop(tid, None)
                        if slave is None or unit != slave:
                            figures.wrong += 1
                        elif pdu == FAULT:
                            figures.faults += 1
                        elif (
                            pdu[:2] == b"\x03\x04"
                            and u32([int.from_bytes(pdu[2:4]), int.from_bytes(pdu[4:6])])
                            == serials[slave]
                        ):
                            figures.answers += 1
                        else:
                            figures.wrong += 1

        async def saboteur() -> None:
            rng = random.Random(seed)
            while time.monotonic() < end:
                reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
                if rng.random() < 0.5:
                    writer.write(rng.randbytes(rng.randint(1, 300)))  # not Modbus at all
                    figures.garbage_clients += 1
                else:
                    # Two requests, then half of a third one, then hang up.
                    frame = struct.pack(">HHHB", 1, 0, 6, 1) + SERIAL
                    writer.write(frame + frame + frame[: rng.randint(1, len(frame) - 1)])
                    figures.cut_clients += 1
                await writer.drain()
                await asyncio.sleep(rng.uniform(0, 0.05))
                writer.close()
                await writer.wait_closed()
                del reader

        async def memory() -> None:
            while time.monotonic() < end:
                figures.rss_kib.append(rss_kib())
                await asyncio.sleep(min(10.0, duration_s / 4))

        await asyncio.gather(*(honest(i) for i in range(CLIENTS)), saboteur(), memory())
        # Everybody has gone: nothing is left behind in the gateway.
        for _ in range(100):
            if gw.stats.clients_connected == 0:
                break
            await asyncio.sleep(0.01)
    return figures, gw
