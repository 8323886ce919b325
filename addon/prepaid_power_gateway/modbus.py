"""Modbus PDU, RTU and MBAP framing helpers shared by the gateway, its upstreams and the simulator."""

from __future__ import annotations

from enum import IntEnum
import struct

MBAP_HEADER = struct.Struct(">HHHB")


class ExceptionCode(IntEnum):
    """Modbus exception codes."""

    ILLEGAL_FUNCTION = 0x01
    ILLEGAL_DATA_ADDRESS = 0x02
    ILLEGAL_DATA_VALUE = 0x03
    SLAVE_DEVICE_FAILURE = 0x04
    SLAVE_DEVICE_BUSY = 0x06
    GATEWAY_PATH_UNAVAILABLE = 0x0A
    GATEWAY_TARGET_FAILED = 0x0B


def _make_crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _make_crc_table()


def crc16(data: bytes) -> int:
    """Modbus CRC16 (poly 0xA001, init 0xFFFF)."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc


def rtu_frame(unit: int, pdu: bytes) -> bytes:
    """Build an RTU frame: address, PDU, CRC little-endian."""
    body = bytes([unit]) + pdu
    return body + crc16(body).to_bytes(2, "little")


def rtu_crc_ok(frame: bytes) -> bool:
    """Whether the last two bytes of an RTU frame are the CRC of the rest."""
    return len(frame) >= 4 and crc16(frame[:-2]) == int.from_bytes(frame[-2:], "little")


def exception_pdu(function: int, code: int) -> bytes:
    """An exception response PDU for a request with this function code."""
    return bytes([(function | 0x80) & 0xFF, code])


def is_exception(pdu: bytes) -> bool:
    """Whether a response PDU is an exception response."""
    return bool(pdu) and bool(pdu[0] & 0x80)


def rtu_response_length(frame: bytes) -> int | None:
    """Total length of the RTU response that starts with `frame`, once knowable.

    Returns None while more header bytes are needed, -1 for a function code whose
    length cannot be derived (the reader then waits for inter-frame silence).
    """
    if len(frame) < 2:
        return None
    function = frame[1]
    if function & 0x80:
        return 5
    if function in (0x01, 0x02, 0x03, 0x04):
        if len(frame) < 3:
            return None
        return 3 + frame[2] + 2
    if function in (0x05, 0x06, 0x0F, 0x10):
        return 8
    return -1


def rtu_request_length(frame: bytes) -> int | None:
    """Total length of the RTU request that starts with `frame`, once knowable (-1: unknown)."""
    if len(frame) < 2:
        return None
    function = frame[1]
    if function in (0x01, 0x02, 0x03, 0x04, 0x05, 0x06):
        return 8
    if function in (0x0F, 0x10):
        if len(frame) < 7:
            return None
        return 7 + frame[6] + 2
    return -1


def char_time(baudrate: int, bytesize: int = 8, parity: str = "N", stopbits: int = 1) -> float:
    """Seconds one character takes on the wire (start bit + data + parity + stop)."""
    bits = 1 + bytesize + (0 if parity == "N" else 1) + stopbits
    return bits / baudrate


def wire_time(request_bytes: int, response_bytes: int, char_seconds: float) -> float:
    """Wire time of one RTU transaction: both frames plus a 3.5-character gap after each."""
    return (request_bytes + response_bytes + 7) * char_seconds


def mbap_frame(transaction_id: int, unit: int, pdu: bytes) -> bytes:
    """Build a Modbus TCP (MBAP) frame."""
    return MBAP_HEADER.pack(transaction_id, 0, len(pdu) + 1, unit) + pdu


def pack_registers(values: list[int]) -> bytes:
    """Registers as big-endian 16-bit words."""
    return b"".join((v & 0xFFFF).to_bytes(2, "big") for v in values)
