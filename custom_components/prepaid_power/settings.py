"""A room's settings: its subentry data turned into the core's settings, the defaults, and
the field errors of data that cannot work. Pure (no Home Assistant import).

The config flow (the room form), the threshold number entities and the rooms all use it:
the rules live in the core's value types (`control.SupplySettings` checks its levels once,
the billing core parses money), this module only reads the stored form data.

Defaults are the core's: `SupplySettings()` holds the supply policy's (low-balance level
10 in the currency, no warning cut, cut at zero, ...). Money is kept to the currency's minor
unit, from CLDR through Babel (2 decimals for EUR, 3 for KWD, 0 for JPY).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
import math
from typing import Any, Final, Literal

from babel.numbers import get_currency_precision

from .billing.core import RoomConfig
from .billing.errors import BillingError
from .billing.money import KWH_EXPONENT, PRICE_EXPONENT, Currency
from .billing.tax import TAX_MODES, tax_from_dict, tax_to_dict
from .const import (
    CONF_ALLOWANCE_KWH,
    CONF_ALLOWANCE_PRO_RATA,
    CONF_AUTO_RESTORE_MINIMUM,
    CONF_BILLS_TO,
    CONF_CREDIT_LIMIT,
    CONF_CUT_OFF_MODE,
    CONF_CYCLE_START_DAY,
    CONF_EMERGENCY_CREDIT,
    CONF_GRACE_MINUTES,
    CONF_LOW_LEVEL,
    CONF_MAX_RECLOSE_ATTEMPTS,
    CONF_OVERLOAD_SECONDS,
    CONF_PAUSE_STANDING_WHEN_CUT,
    CONF_POWER_LIMIT_W,
    CONF_PRICE,
    CONF_RECLOSE_MINUTES,
    CONF_STANDING_CHARGE,
    CONF_SUPPLY,
    CONF_TAX_MODE,
    CONF_TAX_ON_FEES,
    CONF_TAX_RATE,
    CONF_WARNING_CUT_LEVEL,
)
from .control import SupplySettings, SupplySettingsError
from .profiles import Profile

DEFAULTS: Final = SupplySettings()
DEFAULT_TAX_MODE: Final = TAX_MODES[0]
DEFAULT_CYCLE_START_DAY: Final = 1
# Energy typed in the form (a free allowance) is kept to 1 Wh, as meters count it.
ENERGY_DECIMALS: Final = 3
assert ENERGY_DECIMALS <= KWH_EXPONENT

# The money thresholds a room's number entities set: subentry key -> `SupplySettings` field.
THRESHOLDS: Final[Mapping[str, str]] = {
    CONF_LOW_LEVEL: "low_level",
    CONF_WARNING_CUT_LEVEL: "warning_cut_level",
    CONF_CREDIT_LIMIT: "credit_limit",
    CONF_EMERGENCY_CREDIT: "emergency_credit_amount",
}

type Minimum = Literal["positive", "zero", "any"]
type Places = Literal["money", "price", "energy"]
# The decimal fields of a room: where they sit (None: top level), their decimals, minimum.
DECIMAL_FIELDS: Final[tuple[tuple[str | None, str, Places, Minimum], ...]] = (
    (None, CONF_PRICE, "price", "positive"),
    (None, CONF_ALLOWANCE_KWH, "energy", "zero"),
    (None, CONF_STANDING_CHARGE, "money", "zero"),
    # Balance levels may be negative when the room has a credit limit.
    (CONF_SUPPLY, CONF_LOW_LEVEL, "money", "any"),
    (CONF_SUPPLY, CONF_WARNING_CUT_LEVEL, "money", "any"),
    (CONF_SUPPLY, CONF_CREDIT_LIMIT, "money", "zero"),
    (CONF_SUPPLY, CONF_AUTO_RESTORE_MINIMUM, "money", "zero"),
    (CONF_SUPPLY, CONF_EMERGENCY_CREDIT, "money", "zero"),
)


class SettingsError(ValueError):
    """A room setting that cannot work; `key` is the translation key of the refusal."""

    def __init__(self, key: str, placeholders: Mapping[str, str]) -> None:
        """Carry a translation key and its placeholders."""
        super().__init__(key)
        self.key = key
        self.placeholders = dict(placeholders)


def currency_of(code: str) -> Currency:
    """A currency with its minor unit (CLDR's digits; 2 for a code CLDR does not know)."""
    return Currency(code, get_currency_precision(code))


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def supply_settings(data: Mapping[str, Any]) -> SupplySettings:
    """A room's supply policy from its subentry data (missing values: the defaults)."""
    supply: Mapping[str, Any] = data.get(CONF_SUPPLY, {})

    def amount(key: str) -> Decimal:
        # These default to zero (as `SupplySettings` does): none, cut at zero.
        return _decimal(supply.get(key)) or Decimal(0)

    power_limit = supply.get(CONF_POWER_LIMIT_W)
    return SupplySettings(
        # Empty: no low-balance warning; missing: the default level.
        low_level=_decimal(supply.get(CONF_LOW_LEVEL, DEFAULTS.low_level)),
        warning_cut_level=_decimal(supply.get(CONF_WARNING_CUT_LEVEL)),
        credit_limit=amount(CONF_CREDIT_LIMIT),
        grace_period=timedelta(minutes=supply.get(CONF_GRACE_MINUTES, 0)),
        auto_restore_minimum=amount(CONF_AUTO_RESTORE_MINIMUM),
        emergency_credit_amount=amount(CONF_EMERGENCY_CREDIT),
        power_limit_w=None if power_limit is None else float(power_limit),
        overload_duration=timedelta(
            seconds=supply.get(CONF_OVERLOAD_SECONDS, DEFAULTS.overload_duration.total_seconds())
        ),
        reclose_delay=timedelta(
            minutes=supply.get(CONF_RECLOSE_MINUTES, DEFAULTS.reclose_delay.total_seconds() / 60)
        ),
        max_reclose_attempts=supply.get(CONF_MAX_RECLOSE_ATTEMPTS, DEFAULTS.max_reclose_attempts),
        cut_off_mode=supply.get(CONF_CUT_OFF_MODE, DEFAULTS.cut_off_mode),
    )


def room_config(name: str, data: Mapping[str, Any], profile: Profile | None) -> RoomConfig:
    """A room's billing settings from its subentry data and its meter's profile."""
    settings = supply_settings(data)
    thresholds = tuple(
        sorted(
            {level for level in (settings.low_level, settings.warning_cut_level) if level}
            | {settings.cut_off_level},
            reverse=True,
        )
    )
    max_power = None
    rollover = None
    if profile is not None:
        if profile.max_power_w is not None:
            max_power = Decimal(str(profile.max_power_w)) / 1000
        # The core's rollover is the wrap modulus: the largest value plus one count.
        rollover = profile.energy_modulus_kwh
    return RoomConfig(
        name=name,
        cycle_start_day=data.get(CONF_CYCLE_START_DAY, DEFAULT_CYCLE_START_DAY),
        allowance_kwh=Decimal(str(data.get(CONF_ALLOWANCE_KWH, "0"))),
        allowance_pro_rata=data.get(CONF_ALLOWANCE_PRO_RATA, False),
        standing_charge=Decimal(str(data.get(CONF_STANDING_CHARGE, "0"))),
        pause_standing_when_cut=bool(data.get(CONF_PAUSE_STANDING_WHEN_CUT, False)),
        max_power_kw=max_power,
        rollover_kwh=rollover,
        thresholds=thresholds,
        bills_to=data.get(CONF_BILLS_TO) or None,
    )


def _tax_keys(data: Mapping[str, Any]) -> dict[str, Any]:
    rate = str(data.get(CONF_TAX_RATE) or "").strip()
    if not rate:
        return {}
    return {
        CONF_TAX_RATE: rate,
        CONF_TAX_MODE: data.get(CONF_TAX_MODE, DEFAULT_TAX_MODE),
        CONF_TAX_ON_FEES: bool(data.get(CONF_TAX_ON_FEES, False)),
    }


def _tax_error(data: Mapping[str, Any]) -> bool:
    try:
        tax_from_dict(_tax_keys(data))
    except BillingError:
        return True
    return False


def room_tariff(data: Mapping[str, Any]) -> dict[str, Any]:
    """The flat tariff of a room's form: its price and, with a tax rate, its tax."""
    return {"kind": "flat", "price": str(data[CONF_PRICE])} | tax_to_dict(
        tax_from_dict(_tax_keys(data))
    )


def decimal_error(value: Any, places: int, minimum: Minimum) -> str | None:
    """The field error of a decimal typed as text, or None when it is fine."""
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return "not_a_number"
    if (
        not number.is_finite()
        or (minimum == "zero" and number < 0)
        or (minimum == "positive" and number <= 0)
    ):
        return "out_of_range"
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        return "too_many_decimals"
    return None


def _places(kind: Places, money: Currency) -> int:
    if kind == "money":
        return money.exponent
    return PRICE_EXPONENT if kind == "price" else ENERGY_DECIMALS


def field_errors(data: Mapping[str, Any], money: Currency) -> dict[str, str]:
    """The form errors of a room's values (by field, or its section; `base` for a rule of
    several fields): decimals, money to the currency's minor unit, levels above cut-off."""
    errors: dict[str, str] = {}
    for section, key, places, minimum in DECIMAL_FIELDS:
        holder: Mapping[str, Any] = data if section is None else data.get(section, {})
        if key in holder and (error := decimal_error(holder[key], _places(places, money), minimum)):
            errors[key if section is None else section] = error
    if CONF_TAX_RATE not in errors and _tax_error(data):
        errors[CONF_TAX_RATE] = "out_of_range"
    if errors:
        return errors
    try:
        supply_settings(data)
    except SupplySettingsError as err:
        errors["base"] = err.key
    return errors


@dataclass(frozen=True, slots=True)
class Threshold:
    """A room's settings with one threshold changed, and the amount stored."""

    settings: SupplySettings
    amount: Decimal


def with_threshold(
    settings: SupplySettings, key: str, value: float | Decimal, money: Currency
) -> Threshold:
    """Change one money threshold (a number entity's value), rounded to the minor unit.

    Raises `SettingsError("invalid_threshold")` for a value the policy cannot work with.
    """
    try:
        # NaN passes HA's range check (every comparison with it is false).
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a number")
        amount = round(Decimal(str(value)), money.exponent)
        changed = settings.with_overrides({THRESHOLDS[key]: amount})
    except ValueError as err:
        raise SettingsError("invalid_threshold", {"error": str(err)}) from err
    return Threshold(changed, amount)
