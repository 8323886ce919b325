"""A small Modbus TCP / RTU-over-TCP server with virtual meters for the bus tests.

Written for the tests (not pymodbus' server) because the server API changed between
pymodbus 3.8 and 3.16, and because the tests need faults a datastore cannot express:
silent (offline) slaves, garbage answers, function 06 ignored, keyed relay writes, and
exception 0x02 for any read outside the meter's readable blocks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field
import struct

from custom_components.prepaid_power.bus.decode import encode_register, encode_value
from custom_components.prepaid_power.profiles import DataType, Profile, WordOrder

ILLEGAL_FUNCTION = 0x01
ILLEGAL_ADDRESS = 0x02
DEVICE_FAILURE = 0x04

type WriteHook = Callable[[FakeDevice, int, int, list[int]], int | None]


def crc16(data: bytes) -> bytes:
    """Modbus RTU CRC, little-endian on the wire."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc.to_bytes(2, "little")


@dataclass
class FakeDevice:
    """One virtual slave: register tables per function code plus behaviour switches."""

    tables: dict[int, dict[int, int]] = field(default_factory=dict)
    online: bool = True
    garbage: bool = False
    ignore_functions: frozenset[int] = frozenset()
    write_hook: WriteHook | None = None
    delay_s: float = 0.0

    def words(self, function: int, address: int, count: int) -> list[int] | int:
        table = self.tables.get(function)
        if table is None:
            return ILLEGAL_FUNCTION
        values = [table.get(a) for a in range(address, address + count)]
        if any(v is None for v in values):
            return ILLEGAL_ADDRESS
        return [int(v) for v in values if v is not None]

    def set(self, function: int, address: int, words: list[int]) -> None:
        table = self.tables.setdefault(function, {})
        for offset, word in enumerate(words):
            table[address + offset] = word


class FakeBus:
    """asyncio server answering for several FakeDevices on one 'bus'."""

    def __init__(self, devices: dict[int, FakeDevice], *, rtu: bool = False, port: int = 0) -> None:
        self.devices = devices
        self.rtu = rtu
        self.requests: list[tuple[int, int, int]] = []
        self.times: list[float] = []
        self._handlers: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self.port = port

    async def __aenter__(self) -> FakeBus:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            self._server.close_clients()
        await self._server.wait_closed()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while True:
                if self.rtu:
                    head = await reader.readexactly(2)
                    slave, function = head[0], head[1]
                    body_len = 4 if function in (1, 2, 3, 4, 5, 6) else None
                    if body_len is None:
                        fixed = await reader.readexactly(5)
                        rest = await reader.readexactly(fixed[4] + 2)
                        pdu = bytes([function]) + fixed + rest[:-2]
                    else:
                        rest = await reader.readexactly(body_len + 2)
                        pdu = bytes([function]) + rest[:-2]
                    tid = 0
                else:
                    header = await reader.readexactly(7)
                    tid, _proto, length, slave = struct.unpack(">HHHB", header)
                    pdu = await reader.readexactly(length - 1)
                answer = await self._answer(slave, pdu)
                if answer is None:
                    continue
                if isinstance(answer, bytes) and answer.startswith(b"\xde\xad"):
                    writer.write(answer)
                elif self.rtu:
                    frame = bytes([slave]) + answer
                    writer.write(frame + crc16(frame))
                else:
                    writer.write(struct.pack(">HHHB", tid, 0, len(answer) + 1, slave) + answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._handlers.discard(task)
            writer.close()

    async def _answer(self, slave: int, pdu: bytes) -> bytes | None:
        function = pdu[0]
        address = int.from_bytes(pdu[1:3], "big")
        quantity = int.from_bytes(pdu[3:5], "big")
        self.requests.append((slave, function, address))
        self.times.append(asyncio.get_running_loop().time())
        device = self.devices.get(slave)
        if device is None or not device.online or function in device.ignore_functions:
            return None
        if device.delay_s:
            await asyncio.sleep(device.delay_s)
        if device.garbage:
            return b"\xde\xad\xbe\xef\x00\x13\x37"
        if function in (1, 2, 3, 4):
            words = device.words(function, address, quantity)
            if isinstance(words, int):
                return bytes([function | 0x80, words])
            if function in (1, 2):
                packed = bytearray((quantity + 7) // 8)
                for i, bit in enumerate(words):
                    if bit:
                        packed[i // 8] |= 1 << (i % 8)
                return bytes([function, len(packed)]) + bytes(packed)
            return bytes([function, 2 * len(words)]) + b"".join(w.to_bytes(2, "big") for w in words)
        if function in (5, 6):
            values = [quantity]
        elif function == 16:
            values = [int.from_bytes(pdu[6 + 2 * i : 8 + 2 * i], "big") for i in range(quantity)]
        else:
            return bytes([function | 0x80, ILLEGAL_FUNCTION])
        if device.write_hook is not None:
            error = device.write_hook(device, function, address, values)
            if error is not None:
                return bytes([function | 0x80, error])
        elif function == 5:
            device.set(1, address, [1 if values[0] == 0xFF00 else 0])
        else:
            device.set(3, address, values)
        return pdu[:5]


def device_for(
    profile: Profile, slave_id: int, values: dict[str, float], **extra: int
) -> FakeDevice:
    """A virtual meter that answers exactly what the profile says is readable.

    Identification registers get each model's real content (model code, id echo, serial).
    """
    device = FakeDevice()
    for function in (1, 2, 3, 4):
        for start, end in profile.readable_runs(function):
            device.set(function, start, [0] * (end - start + 1))
    for register in profile.registers:
        value = values.get(register.key, 0.0)
        device.set(register.function, register.address, encode_register(register, value))
    serial = extra.get("serial", 0)
    if profile.serial is not None:
        spec = profile.serial
        device.set(
            spec.function, spec.address, encode_value(serial, spec.data_type, spec.word_order)
        )
    identity = {
        "eastron_sdm120": (3, 0xFC02, 0x20),
        "eastron_sdm230": (3, 0xFC02, 0x2B),
        "eastron_sdm630": (3, 0xFC02, 0x70),
        "hiking_dds238_2_zn_s": (3, 0x0015, (slave_id << 8) | 1),
        "hiking_dds238_2_zn_sr": (3, 0x0015, (slave_id << 8) | 1),
    }.get(profile.id)
    if identity is not None:
        device.set(identity[0], identity[1], [identity[2]])
    if profile.relay is not None:
        relay = profile.relay
        state = relay.read.on if extra.get("relay", 1) else relay.read.off
        device.set(relay.read.function, relay.read.address, [state] * relay.channels)
    if profile.id.startswith("hiking_dds238"):
        device.ignore_functions = frozenset({6})
    return device


def fineco_write_hook(serial: int) -> WriteHook:
    """Fineco's keyed relay command: [key, state] at 0x0566, function 16 only."""
    key = (((serial >> 24) + (serial >> 8)) & 0x1234) & 0xFFFF

    def hook(device: FakeDevice, function: int, address: int, values: list[int]) -> int | None:
        if function != 16 or address != 0x0566 or len(values) != 2:
            return ILLEGAL_ADDRESS
        if values[0] != key:
            return DEVICE_FAILURE
        if values[1] in (0x5555, 0xAAAA):
            device.set(4, 0x0566, [values[1]])
        return None

    return hook


def float_words(value: float) -> list[int]:
    """Big-endian float32 words (for tests poking raw registers)."""
    return encode_value(value, DataType.FLOAT32, WordOrder.BIG)
