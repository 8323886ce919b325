"""RTU framing of the serial upstream against a hand-driven slave on a pty (odd answers)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import os
import tty

from hypothesis import given, settings, strategies as st
import pytest

from prepaid_power_gateway import SerialSettings, Simulator, make_building
from prepaid_power_gateway.errors import BusCrcError, BusTimeoutError
from prepaid_power_gateway.modbus import (
    crc16,
    rtu_frame,
    rtu_request_length,
    rtu_response_length,
)
from prepaid_power_gateway.simulator import ReplyKind, SimReply
from prepaid_power_gateway.simulator.rtu import RtuFrameHandler
from prepaid_power_gateway.stats import SlaveStats
from prepaid_power_gateway.upstream import SerialUpstream

READ = bytes([3, 0, 0, 0, 2])


def test_crc16_known_vector() -> None:
    assert rtu_frame(1, bytes([3, 0, 0, 0, 0x0A])).hex() == "01030000000ac5cd"
    assert crc16(b"123456789") == 0x4B37


def test_frame_lengths() -> None:
    assert rtu_response_length(b"\x01") is None
    assert rtu_response_length(b"\x01\x03") is None
    assert rtu_response_length(b"\x01\x03\x04") == 9
    assert rtu_response_length(b"\x01\x83") == 5
    assert rtu_response_length(b"\x01\x10") == 8
    assert rtu_response_length(b"\x01\x2b") == -1
    assert rtu_request_length(b"\x01\x03") == 8
    assert rtu_request_length(b"\x01\x10\x00\x00\x00\x02") is None
    assert rtu_request_length(b"\x01\x10\x00\x00\x00\x02\x04") == 13


def test_latency_percentile_memory_is_bounded() -> None:
    stats = SlaveStats()
    for ms in range(1, 2001):
        stats.add_latency(ms / 1000)
    assert len(stats.recent) == 512
    assert stats.latency_mean_ms == pytest.approx(1000.5)
    assert stats.latency_p95_ms == pytest.approx(1975.0)  # of the last 512: 1489..2000


class ScriptedSlave:
    """The slave end of a pty: answers each request with what `reply` returns."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(self.slave)
        self.port = os.ttyname(self.slave)
        self.reply: Callable[[bytes], list[bytes]] = lambda request: []
        self.requests: list[bytes] = []
        self._buffer = b""
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        os.set_blocking(self.master, False)
        asyncio.get_running_loop().add_reader(self.master, self._readable)

    def _readable(self) -> None:
        self._buffer += os.read(self.master, 1024)
        if len(self._buffer) >= 8:
            request, self._buffer = self._buffer[:8], self._buffer[8:]
            self.requests.append(request)
            task = asyncio.get_running_loop().create_task(self._answer(self.reply(request)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _answer(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            await asyncio.sleep(0.01)
            os.write(self.master, chunk)

    async def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.master)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
async def scripted() -> AsyncIterator[tuple[ScriptedSlave, SerialUpstream]]:
    slave = ScriptedSlave()
    slave.start()
    upstream = SerialUpstream(SerialSettings(slave.port))
    await upstream.open()
    yield slave, upstream
    await upstream.close()
    await slave.close()


async def test_answer_split_across_reads(scripted: tuple[ScriptedSlave, SerialUpstream]) -> None:
    slave, upstream = scripted
    answer = rtu_frame(7, bytes([3, 4, 1, 2, 3, 4]))
    slave.reply = lambda request: [answer[:2], answer[2:5], answer[5:]]
    assert await upstream.transact(7, READ, 0.5) == bytes([3, 4, 1, 2, 3, 4])
    assert slave.requests == [rtu_frame(7, READ)]


async def test_exception_answer_passes(scripted: tuple[ScriptedSlave, SerialUpstream]) -> None:
    slave, upstream = scripted
    slave.reply = lambda request: [rtu_frame(7, bytes([0x83, 0x02]))]
    assert await upstream.transact(7, READ, 0.5) == bytes([0x83, 0x02])


async def test_bad_crc_and_wrong_slave_are_crc_errors(
    scripted: tuple[ScriptedSlave, SerialUpstream],
) -> None:
    slave, upstream = scripted
    good = rtu_frame(7, bytes([3, 4, 1, 2, 3, 4]))
    slave.reply = lambda request: [good[:-1] + bytes([good[-1] ^ 0xFF])]
    with pytest.raises(BusCrcError):
        await upstream.transact(7, READ, 0.5)
    slave.reply = lambda request: [rtu_frame(8, bytes([3, 4, 1, 2, 3, 4]))]
    with pytest.raises(BusCrcError):
        await upstream.transact(7, READ, 0.5)


async def test_truncated_answer_times_out_and_late_bytes_are_flushed(
    scripted: tuple[ScriptedSlave, SerialUpstream],
) -> None:
    slave, upstream = scripted
    answer = rtu_frame(7, bytes([3, 4, 1, 2, 3, 4]))
    slave.reply = lambda request: [answer[:4]]
    with pytest.raises(BusTimeoutError):
        await upstream.transact(7, READ, 0.1)
    slave.reply = lambda request: []
    await asyncio.sleep(0.05)
    os.write(slave.master, answer[4:])  # the rest arrives late, between transactions
    await asyncio.sleep(0.05)
    slave.reply = lambda request: [answer]
    assert await upstream.transact(7, READ, 0.5) == bytes([3, 4, 1, 2, 3, 4])


async def test_broadcast_expects_no_answer(scripted: tuple[ScriptedSlave, SerialUpstream]) -> None:
    slave, upstream = scripted
    assert await upstream.transact(0, bytes([5, 0, 1, 0xFF, 0]), 0.5) is None
    await asyncio.sleep(0.05)
    assert slave.requests == [rtu_frame(0, bytes([5, 0, 1, 0xFF, 0]))]


@settings(max_examples=60, deadline=None)
@given(
    requests=st.lists(
        st.one_of(
            st.builds(
                lambda slave, fc, address, count: rtu_frame(
                    slave, bytes([fc]) + address.to_bytes(2, "big") + count.to_bytes(2, "big")
                ),
                st.integers(1, 247),
                st.sampled_from([1, 3, 4, 5, 6]),
                st.integers(0, 0xFFFF),
                st.integers(1, 125),
            ),
            st.builds(
                lambda slave, values: rtu_frame(
                    slave,
                    bytes([0x10, 0, 0, 0, len(values), 2 * len(values)])
                    + b"".join(v.to_bytes(2, "big") for v in values),
                ),
                st.integers(1, 247),
                st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=10),
            ),
        ),
        min_size=1,
        max_size=8,
    ),
    cuts=st.lists(st.integers(1, 30), max_size=20),
)
def test_request_splitting_survives_any_chunking(requests: list[bytes], cuts: list[int]) -> None:
    """However the byte stream is chunked, the slave side sees exactly the frames sent."""
    seen: list[bytes] = []

    class Recorder(Simulator):
        def handle(self, unit: int, pdu: bytes, request_bytes: int | None = None) -> SimReply:
            seen.append(rtu_frame(unit, pdu))
            return SimReply(ReplyKind.SILENT)

    async def run() -> None:
        handler = RtuFrameHandler(
            Recorder(make_building([{"model": "SDM120", "slave": 1}])), lambda _: None, 1e-4
        )
        handler.start()
        stream = b"".join(requests)
        position = 0
        for cut in [*cuts, len(stream)]:
            handler.feed(stream[position : position + cut])
            position += cut
            if position >= len(stream):
                break
        for _ in range(100):
            await asyncio.sleep(0)
            if len(seen) == len(requests):
                break
        await handler.close()

    asyncio.run(run())
    assert seen == requests
