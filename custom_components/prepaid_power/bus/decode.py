"""Registers to values and back: data types, word order, scale, plausibility."""

from __future__ import annotations

from collections.abc import Sequence
import math
import struct

from ..profiles.model import DataType, Profile, Register, WordOrder  # noqa: TID252

# Physically impossible readings by device class (after scaling). Zero is allowed for
# voltage and frequency: a meter whose supply side is dead reads 0, not garbage.
_LIMITS: dict[str, tuple[float, float]] = {
    "voltage": (0.0, 500.0),
    "current": (-250.0, 250.0),
    "frequency": (0.0, 70.0),
    "power_factor": (-1.0005, 1.0005),
}
_MIN_MAINS_FREQUENCY = 40.0


# Built once: decoding runs for every register of every meter on every poll cycle.
_STRUCTS: dict[DataType, struct.Struct] = {
    DataType.UINT16: struct.Struct(">H"),
    DataType.INT16: struct.Struct(">h"),
    DataType.UINT32: struct.Struct(">I"),
    DataType.INT32: struct.Struct(">i"),
    DataType.FLOAT32: struct.Struct(">f"),
}
_WIDTHS: dict[DataType, int] = {data_type: data_type.width for data_type in DataType}


def decode_words(words: Sequence[int], data_type: DataType, word_order: WordOrder) -> int | float:
    """Decode raw 16-bit words (or one bit) into a number, before scaling."""
    if len(words) != _WIDTHS[data_type]:
        raise ValueError(f"{data_type} needs {data_type.width} words, got {len(words)}")
    if data_type is DataType.BIT:
        return 1 if words[0] else 0
    if len(words) == 1:
        raw = (words[0] & 0xFFFF).to_bytes(2, "big")
    else:
        high, low = (words[0], words[1]) if word_order is WordOrder.BIG else (words[1], words[0])
        raw = ((high & 0xFFFF) << 16 | (low & 0xFFFF)).to_bytes(4, "big")
    value: int | float = _STRUCTS[data_type].unpack(raw)[0]
    return value


def encode_value(value: float, data_type: DataType, word_order: WordOrder) -> list[int]:
    """Encode an unscaled number into words: the inverse of `decode_words`."""
    if data_type is DataType.BIT:
        return [1 if value else 0]
    fmt = {
        DataType.UINT16: ">H",
        DataType.INT16: ">h",
        DataType.UINT32: ">I",
        DataType.INT32: ">i",
        DataType.FLOAT32: ">f",
    }[data_type]
    raw = struct.pack(fmt, value if data_type is DataType.FLOAT32 else round(value))
    words = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
    return words if word_order is WordOrder.BIG else list(reversed(words))


def encode_register(register: Register, value: float) -> list[int]:
    """Words a meter would hold for a scaled value of this register (for simulators, tests)."""
    raw = value / register.scale
    return encode_value(raw, register.data_type, register.word_order)


def plausible(register: Register, value: float, profile: Profile) -> bool:
    """Whether a scaled value can be a real reading of this register on this model."""
    if not math.isfinite(value):
        return False
    low, high = _LIMITS.get(register.device_class or "", (-math.inf, math.inf))
    if register.device_class == "power" and profile.max_power_w is not None:
        # Exporting meters read negative power; allow headroom over the rating.
        limit = profile.max_power_w * 1.5
        low, high = -limit, limit
    elif register.device_class == "energy":
        low = 0.0
        high = profile.energy_max_kwh if profile.energy_max_kwh is not None else math.inf
    if register.device_class == "frequency" and 0.0 < value < _MIN_MAINS_FREQUENCY:
        return False
    if register.valid_min is not None:
        low = register.valid_min
    if register.valid_max is not None:
        high = register.valid_max
    return low <= value <= high


def decode_register(register: Register, words: Sequence[int], profile: Profile) -> float | None:
    """Scaled, validated value of a register; None when the reading is impossible."""
    value = decode_words(words, register.data_type, register.word_order) * register.scale
    return float(value) if plausible(register, float(value), profile) else None
