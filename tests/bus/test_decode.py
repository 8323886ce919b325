"""Decoding registers: data types, word order, scale, plausibility."""

from __future__ import annotations

import math

from hypothesis import given, strategies as st
import pytest

from custom_components.prepaid_power.bus.decode import (
    decode_register,
    decode_words,
    encode_value,
    plausible,
)
from custom_components.prepaid_power.profiles import DataType, Profile, Register, WordOrder

PROFILE = Profile(
    id="test",
    manufacturer="Test",
    model="T",
    registers=(),
    max_power_w=10000,
    energy_max_kwh=99999.99,
)


def register(
    device_class: str | None, data_type: DataType = DataType.FLOAT32, **kw: object
) -> Register:
    return Register(
        key="k",
        function=4,
        address=0,
        data_type=data_type,
        device_class=device_class,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("words", "data_type", "order", "expected"),
    [
        ([0xFFFF], DataType.UINT16, WordOrder.BIG, 65535),
        ([0xFFFF], DataType.INT16, WordOrder.BIG, -1),
        ([0x0001, 0x0002], DataType.UINT32, WordOrder.BIG, 0x00010002),
        ([0x0002, 0x0001], DataType.UINT32, WordOrder.LITTLE, 0x00010002),
        ([0xFFFF, 0xFFFE], DataType.INT32, WordOrder.BIG, -2),
        ([0x4366, 0x8000], DataType.FLOAT32, WordOrder.BIG, 230.5),
        ([0x8000, 0x4366], DataType.FLOAT32, WordOrder.LITTLE, 230.5),
        ([1], DataType.BIT, WordOrder.BIG, 1),
    ],
)
def test_decode_words(
    words: list[int], data_type: DataType, order: WordOrder, expected: float
) -> None:
    assert decode_words(words, data_type, order) == expected


def test_wrong_word_count() -> None:
    with pytest.raises(ValueError, match="needs 2 words"):
        decode_words([1], DataType.FLOAT32, WordOrder.BIG)


@given(
    st.sampled_from([DataType.UINT32, DataType.INT32, DataType.UINT16, DataType.INT16]),
    st.sampled_from(list(WordOrder)),
    st.integers(min_value=-(2**31), max_value=2**32 - 1),
)
def test_integer_roundtrip(data_type: DataType, order: WordOrder, value: int) -> None:
    bits = 16 * data_type.width
    signed = data_type in (DataType.INT16, DataType.INT32)
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    value = min(max(value, low), high)
    assert decode_words(encode_value(value, data_type, order), data_type, order) == value


@given(st.floats(width=32, allow_nan=False), st.sampled_from(list(WordOrder)))
def test_float_roundtrip(value: float, order: WordOrder) -> None:
    assert (
        decode_words(encode_value(value, DataType.FLOAT32, order), DataType.FLOAT32, order) == value
    )


def test_scale_applied() -> None:
    reg = register("voltage", DataType.UINT16, scale=0.1)
    assert decode_register(reg, [2301], PROFILE) == pytest.approx(230.1)


@pytest.mark.parametrize(
    ("device_class", "value", "ok"),
    [
        ("voltage", 230.0, True),
        ("voltage", 0.0, True),
        ("voltage", 6000.0, False),
        ("voltage", -5.0, False),
        ("voltage", math.nan, False),
        ("voltage", math.inf, False),
        ("frequency", 50.0, True),
        ("frequency", 0.0, True),
        ("frequency", 25.0, False),
        ("frequency", 500.0, False),
        ("power_factor", -0.8, True),
        ("power_factor", 1.5, False),
        ("power", 9000.0, True),
        ("power", -2000.0, True),
        ("power", 1e9, False),
        ("energy", 1234.5, True),
        ("energy", -1.0, False),
        ("energy", 1e7, False),
        (None, -1e30, True),
        (None, math.nan, False),
    ],
)
def test_plausibility(device_class: str | None, value: float, ok: bool) -> None:
    assert plausible(register(device_class), value, PROFILE) is ok


def test_register_limits_override_defaults() -> None:
    reg = register("voltage", valid_min=100.0, valid_max=300.0)
    assert not plausible(reg, 50.0, PROFILE)
    assert plausible(reg, 250.0, PROFILE)


def test_nan_register_decodes_to_none() -> None:
    words = encode_value(math.nan, DataType.FLOAT32, WordOrder.BIG)
    assert decode_register(register("voltage"), words, PROFILE) is None
