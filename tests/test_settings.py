"""The settings module: room subentry data to the core's settings, defaults, field errors and
currencies' minor units (pure: no Home Assistant)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from custom_components.prepaid_power import settings
from custom_components.prepaid_power.billing.ledger import Ledger
from custom_components.prepaid_power.billing.money import Currency
from custom_components.prepaid_power.control import CutOffMode, SupplySettings
from custom_components.prepaid_power.profiles import load_profiles
from custom_components.prepaid_power.settings import SettingsError

EUR = Currency("EUR", 2)
ROOM: dict[str, Any] = {"price": "0.5", "allowance_kwh": "0", "supply": {"credit_limit": "0"}}


def room(**supply: Any) -> dict[str, Any]:
    return {**ROOM, "supply": {**ROOM["supply"], **supply}}


@pytest.mark.parametrize(("code", "exponent"), [("EUR", 2), ("KWD", 3), ("JPY", 0), ("CNY", 2)])
def test_currencies_keep_their_minor_unit(code: str, exponent: int) -> None:
    assert settings.currency_of(code) == Currency(code, exponent)


def test_a_currency_unknown_to_cldr_has_cents() -> None:
    assert settings.currency_of("XYZ").exponent == 2


def test_a_room_without_supply_rules_gets_the_defaults() -> None:
    """One low-balance default (10 in the currency), the same as the form offers and the
    policy's own; no warning cut; cut at zero."""
    supply = settings.supply_settings({})
    assert supply == SupplySettings()
    assert supply.low_level == Decimal(10)
    assert supply.warning_cut_level is None
    assert supply.cut_off_level == 0
    assert supply.overload_duration == timedelta(seconds=10)
    assert supply.cut_off_mode is CutOffMode.AUTOMATIC


def test_stored_form_data_becomes_the_policy_settings() -> None:
    data = room(
        low_level="8.5",
        warning_cut_level="3",
        credit_limit="5",
        grace_minutes=15,
        emergency_credit="2",
        power_limit_w=2500,
        cut_off_mode="automation",
    )
    supply = settings.supply_settings(data)
    assert supply.low_level == Decimal("8.5")
    assert supply.warning_cut_level == Decimal(3)
    assert supply.cut_off_level == Decimal(-5)
    assert supply.grace_period == timedelta(minutes=15)
    assert supply.emergency_credit_amount == Decimal(2)
    assert supply.power_limit_w == 2500.0
    assert supply.cut_off_mode is CutOffMode.AUTOMATION
    # An emptied low level turns the warning off.
    assert settings.supply_settings(room(low_level="")).low_level is None


def test_billing_thresholds_are_the_levels_and_the_cut_off() -> None:
    config = settings.room_config("Room 1", room(low_level="8", warning_cut_level="3"), None)
    assert config.name == "Room 1"
    assert config.thresholds == (Decimal(8), Decimal(3), Decimal(0))


@pytest.mark.parametrize(
    ("data", "money", "errors"),
    [
        (room(low_level="10"), EUR, {}),
        (room(low_level="1.234"), EUR, {"supply": "too_many_decimals"}),
        (room(low_level="1.234"), Currency("KWD", 3), {}),
        (room(low_level="1.5"), Currency("JPY", 0), {"supply": "too_many_decimals"}),
        (room(emergency_credit="500"), Currency("JPY", 0), {}),
        (room(credit_limit="-1"), EUR, {"supply": "out_of_range"}),
        (room(low_level="ten"), EUR, {"supply": "not_a_number"}),
        ({**room(), "price": "0"}, EUR, {"price": "out_of_range"}),
        ({**room(), "price": "0.12345"}, EUR, {"price": "too_many_decimals"}),
        ({**room(), "allowance_kwh": "1.0005"}, EUR, {"allowance_kwh": "too_many_decimals"}),
        # Levels must stay above the cut-off level (minus the credit limit).
        (room(low_level="-6", credit_limit="5"), EUR, {"base": "level_below_cut_off"}),
        (room(low_level="10", warning_cut_level="0"), EUR, {"base": "level_below_cut_off"}),
        (room(low_level="-4", credit_limit="5"), EUR, {}),
    ],
)
def test_field_errors(data: dict[str, Any], money: Currency, errors: dict[str, str]) -> None:
    assert settings.field_errors(data, money) == errors


def test_a_threshold_is_rounded_to_the_minor_unit_and_checked_by_the_policy() -> None:
    base = settings.supply_settings(room(low_level="10"))
    changed = settings.with_threshold(base, "low_level", 7.257, Currency("KWD", 3))
    assert changed.amount == Decimal("7.257")
    assert changed.settings.low_level == Decimal("7.257")
    assert settings.with_threshold(base, "low_level", 7.5, Currency("JPY", 0)).amount == 8
    for bad in (float("nan"), -1.0):
        with pytest.raises(SettingsError) as err:
            settings.with_threshold(base, "low_level", bad, EUR)
        assert err.value.key == "invalid_threshold"


def test_a_ledger_keeps_the_minor_unit_it_was_opened_with(tmp_path: Path) -> None:
    """The currency data may change a currency's minor unit (CLDR has IQD without decimals,
    the hand table before it had 3): money already booked keeps its unit."""
    path = tmp_path / "l.sqlite3"
    Ledger(path, Currency("IQD", 3)).close()
    with Ledger(path, settings.currency_of("IQD")) as ledger:
        assert ledger.currency == Currency("IQD", 3)


def test_a_rooms_rollover_is_the_counters_wrap_modulus() -> None:
    """The profile names the counter's largest value; the room's rollover (the modulus the
    billing core adds on a wrap) is one count more, so a wrap never under-bills a count."""
    profiles = load_profiles().profiles
    finder = settings.room_config("Room 1", room(), profiles["finder_7m_24"])
    assert finder.rollover_kwh == Decimal("429496.7296")
    eastron = settings.room_config("Room 1", room(), profiles["eastron_sdm120"])
    assert eastron.rollover_kwh == Decimal("100000.00")
