"""Expressions in profiles: whitelisted arithmetic and comparisons only."""

from __future__ import annotations

import pytest

from custom_components.prepaid_power.profiles import Expression, ExpressionError

NAMES = frozenset({"value", "slave_id"})


@pytest.mark.parametrize(
    ("source", "value", "expected"),
    [
        ("value == 0x20", 0x20, True),
        ("value in (0x70, 0)", 0, True),
        ("value not in (1, 2)", 1, False),
        ("90 <= value <= 270", 230.1, True),
        ("90 <= value <= 270", 20.0, False),
        ("(value >> 8) == slave_id and 1 <= (value & 0xFF) <= 4", 0x0501, True),
        ("(value >> 8) == slave_id and 1 <= (value & 0xFF) <= 4", 0x0509, False),
        ("not value or -value < ~3", 0, True),
        ("value % 7 // 2 * 3 - 1 + 2 ^ 1 | 4 << 1", 9, (9 % 7 // 2 * 3 - 1 + 2) ^ 1 | 4 << 1),
    ],
)
def test_evaluates(source: str, value: float, expected: object) -> None:
    assert Expression(source, NAMES).evaluate(value=value, slave_id=5) == expected


def test_fineco_key() -> None:
    key = Expression("((serial >> 24) + (serial >> 8)) & 0x1234", frozenset({"serial"}))
    serial = 0x0A0B0C0D
    assert key.evaluate(serial=serial) == ((serial >> 24) + (serial >> 8)) & 0x1234


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os')",
        "value.real",
        "other == 1",
        "'text' == value",
        "value if value else 1",
        "value in slave_id",
        "value is None",
        "value ==",
        "[value]",
    ],
)
def test_rejects(source: str) -> None:
    with pytest.raises(ExpressionError):
        Expression(source, NAMES)


def test_missing_value() -> None:
    with pytest.raises(ExpressionError, match="missing"):
        Expression("value == 1", NAMES).evaluate(value=1)
