"""Money rules: Decimal, minor units, 4-decimal prices, validation keys."""

from __future__ import annotations

from decimal import Decimal

import pytest

from custom_components.prepaid_power.billing import errors
from custom_components.prepaid_power.billing.errors import BillingError
from custom_components.prepaid_power.billing.money import (
    Currency,
    fixed_point,
    micro_to_kwh,
    parse_kwh,
    parse_price,
)


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("NaN", errors.AMOUNT_NOT_FINITE),
        ("Infinity", errors.AMOUNT_NOT_FINITE),
        (float("nan"), errors.AMOUNT_NOT_FINITE),
        (float("-inf"), errors.AMOUNT_NOT_FINITE),
        ("0", errors.AMOUNT_NOT_POSITIVE),
        ("-5", errors.AMOUNT_NOT_POSITIVE),
        ("1000000.01", errors.AMOUNT_TOO_LARGE),
        ("10.001", errors.AMOUNT_TOO_MANY_DECIMALS),
        ("abc", errors.AMOUNT_INVALID),
        (True, errors.AMOUNT_INVALID),
    ],
)
def test_bad_amounts_are_refused_with_a_key(value: object, key: str) -> None:
    with pytest.raises(BillingError) as caught:
        Currency("EUR").parse_amount(value)  # type: ignore[arg-type]
    assert caught.value.key == key
    assert key in errors.ERROR_KEYS
    assert "value" in caught.value.placeholders


def test_amounts_are_kept_to_the_minor_unit() -> None:
    eur = Currency("EUR")
    assert eur.parse_amount("10.5") == Decimal("10.50")
    assert eur.parse_amount(10.1) == Decimal("10.10")  # float via its repr, not 10.0999999...
    assert eur.parse_amount("10.500") == Decimal("10.50")  # trailing zeros are not decimals
    assert eur.minor_unit == Decimal("0.01")


def test_currency_exponent_is_configurable() -> None:
    jpy = Currency("JPY", 0)
    assert jpy.parse_amount("500") == Decimal(500)
    with pytest.raises(BillingError) as caught:
        jpy.parse_amount("1.5")
    assert caught.value.key == errors.AMOUNT_TOO_MANY_DECIMALS
    kwd = Currency("KWD", 3)
    assert kwd.parse_amount("1.125") == Decimal("1.125")
    assert kwd.from_minor(1125) == Decimal("1.125")


def test_rounding_down_keeps_the_remainder_in_one_minor_unit() -> None:
    eur = Currency("EUR")
    assert eur.round_down(Decimal("1.239")) == Decimal("1.23")
    assert eur.round_down(Decimal("0.004")) == Decimal("0.00")


def test_signed_amounts_for_adjustments() -> None:
    eur = Currency("EUR")
    assert eur.parse_signed_amount("-3.5") == Decimal("-3.50")
    with pytest.raises(BillingError):
        eur.parse_signed_amount("0")


def test_prices_have_four_decimals() -> None:
    assert parse_price("0.1234") == Decimal("0.1234")
    assert str(parse_price("0.2")) == "0.2000"
    for bad, key in [
        ("0.12345", errors.PRICE_TOO_MANY_DECIMALS),
        ("-0.1", errors.PRICE_INVALID),
        ("nan", errors.AMOUNT_NOT_FINITE),
        ("x", errors.PRICE_INVALID),
    ]:
        with pytest.raises(BillingError) as caught:
            parse_price(bad)
        assert caught.value.key == key
        assert "value" in caught.value.placeholders
    with pytest.raises(BillingError) as caught:
        parse_price("x")
    assert set(caught.value.placeholders) == {"value", "max"}  # same as for out-of-range


def test_energy_readings() -> None:
    assert parse_kwh("12.345") == Decimal("12.345000")
    with pytest.raises(BillingError):
        parse_kwh("-1")
    with pytest.raises(BillingError):
        parse_kwh("inf")


def test_error_keys_are_unique_strings() -> None:
    assert errors.AMOUNT_TOO_MANY_DECIMALS in errors.ERROR_KEYS
    assert len(errors.ERROR_KEYS) > 30
    error = BillingError("amount_too_large", {"value": "1", "max": "2"})
    assert error.key == "amount_too_large"
    assert error.placeholders == {"value": "1", "max": "2"}


def test_fixed_point_formatting_matches_decimal() -> None:
    for value in (0, 5, -5, 1205, -1205, 10**9 + 7):
        assert fixed_point(value, 2) == str(Currency("EUR").from_minor(value))
        assert fixed_point(value, 6) == str(micro_to_kwh(value))
        assert fixed_point(value, 0) == str(value)
