"""A minimal Modbus TCP client for the tests (independent of the gateway's own framing code)."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from typing import Self


class ModbusError(Exception):
    """An exception response."""

    def __init__(self, function: int, code: int) -> None:
        super().__init__(f"function {function:#04x}: exception {code:#04x}")
        self.code = code


class ModbusClient:
    """Pipelining-capable client: `send` / `receive`, or `request` for one round trip."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self._tid = 0
        self.reader: asyncio.StreamReader
        self.writer: asyncio.StreamWriter

    async def __aenter__(self) -> Self:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()

    def send(self, unit: int, pdu: bytes, tid: int | None = None) -> int:
        if tid is None:
            self._tid = (self._tid + 1) & 0xFFFF
            tid = self._tid
        self.writer.write(struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu)
        return tid

    async def receive(self, wait_s: float = 5.0) -> tuple[int, int, bytes]:
        async with asyncio.timeout(wait_s):
            header = await self.reader.readexactly(7)
            tid, protocol, length, unit = struct.unpack(">HHHB", header)
            assert protocol == 0
            return tid, unit, await self.reader.readexactly(length - 1)

    async def request(self, unit: int, pdu: bytes, wait_s: float = 5.0) -> bytes:
        tid = self.send(unit, pdu)
        await self.writer.drain()
        got_tid, got_unit, response = await self.receive(wait_s)
        assert (got_tid, got_unit) == (tid, unit)
        if response[0] & 0x80:
            assert response[0] & 0x7F == pdu[0]
            raise ModbusError(pdu[0], response[1])
        return response

    async def read(self, unit: int, function: int, address: int, count: int) -> list[int]:
        response = await self.request(unit, struct.pack(">BHH", function, address, count))
        assert response[0] == function
        assert response[1] == 2 * count
        return [int.from_bytes(response[2 + 2 * i : 4 + 2 * i], "big") for i in range(count)]

    async def read_coils(self, unit: int, address: int, count: int) -> list[bool]:
        response = await self.request(unit, struct.pack(">BHH", 1, address, count))
        return [bool(response[2 + i // 8] >> (i % 8) & 1) for i in range(count)]

    async def write_registers(self, unit: int, address: int, values: list[int]) -> None:
        data = b"".join(v.to_bytes(2, "big") for v in values)
        pdu = struct.pack(">BHHB", 0x10, address, len(values), len(data)) + data
        response = await self.request(unit, pdu)
        assert response == pdu[:5]

    async def write_register(self, unit: int, address: int, value: int) -> bytes:
        return await self.request(unit, struct.pack(">BHH", 6, address, value))

    async def write_coil(self, unit: int, address: int, on: bool) -> None:
        pdu = struct.pack(">BHH", 5, address, 0xFF00 if on else 0)
        assert await self.request(unit, pdu) == pdu


def f32(words: list[int]) -> float:
    return float(struct.unpack(">f", struct.pack(">HH", *words))[0])


def u32(words: list[int]) -> int:
    return words[0] << 16 | words[1]
