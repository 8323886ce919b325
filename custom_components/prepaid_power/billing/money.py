"""Decimal money, prices and energy: parsing, validation and quantizing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from .errors import (
    AMOUNT_INVALID,
    AMOUNT_NEGATIVE,
    AMOUNT_NOT_FINITE,
    AMOUNT_NOT_POSITIVE,
    AMOUNT_TOO_LARGE,
    AMOUNT_TOO_MANY_DECIMALS,
    PRICE_INVALID,
    PRICE_TOO_MANY_DECIMALS,
    READING_INVALID,
    BillingError,
)

PRICE_EXPONENT = 4
PRICE_QUANTUM = Decimal(1).scaleb(-PRICE_EXPONENT)
# Energy is kept in micro-kWh (1 mWh): finer than any meter register, exact as an integer.
KWH_EXPONENT = 6
KWH_QUANTUM = Decimal(1).scaleb(-KWH_EXPONENT)
MAX_AMOUNT = Decimal(1_000_000)
MAX_PRICE = Decimal(1000)
MAX_READING = Decimal(10) ** 12

type Number = Decimal | int | str | float


def to_decimal(value: Number, key: str = AMOUNT_INVALID) -> Decimal:
    """Convert user input to Decimal; floats go through their shortest repr, not binary value."""
    if isinstance(value, bool):
        raise BillingError(key, {"value": str(value)})
    try:
        result = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise BillingError(key, {"value": str(value)}) from None
    if not result.is_finite():
        raise BillingError(AMOUNT_NOT_FINITE, {"value": str(value)})
    return result


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite values only reach here
    return max(0, -exponent)


@dataclass(frozen=True, slots=True)
class Currency:
    """A currency and the number of decimals of its minor unit (2 for EUR, 0 for JPY)."""

    code: str = "EUR"
    exponent: int = 2

    @property
    def minor_unit(self) -> Decimal:
        return Decimal(1).scaleb(-self.exponent)

    def to_minor(self, amount: Decimal) -> int:
        """Exact amount (already on the minor unit) to integer minor units."""
        minor = amount.scaleb(self.exponent)
        if minor != minor.to_integral_value():
            raise BillingError(
                AMOUNT_TOO_MANY_DECIMALS, {"value": str(amount), "decimals": str(self.exponent)}
            )
        return int(minor)

    def from_minor(self, minor: int) -> Decimal:
        return Decimal(minor).scaleb(-self.exponent).quantize(self.minor_unit)

    def round_down(self, amount: Decimal) -> Decimal:
        """Floor to the minor unit: the carried remainder then always lies in [0, 1 minor unit)."""
        return amount.quantize(self.minor_unit, rounding=ROUND_FLOOR)

    def allocate(self, total: Decimal, exact: list[Decimal]) -> list[Decimal]:
        """Split `total` (on the minor unit) into parts that add up to it exactly, each the
        floor of its `exact` share or one minor unit more, the larger remainders first (the
        largest-remainder method). When `total` lies within one minor unit of Σ exact, as a
        cycle's posted charges do, each part is within one minor unit of its exact share."""
        if not exact:
            return []
        unit = self.minor_unit
        floors = [self.round_down(value) for value in exact]
        left = int((total - sum(floors, Decimal(0))) / unit)
        # Beyond what one unit per part can absorb (not reached from the ledger), spread evenly.
        even, left = divmod(left, len(exact))
        parts = [floor + even * unit for floor in floors]
        by_remainder = sorted(
            range(len(exact)), key=lambda index: exact[index] - floors[index], reverse=True
        )
        for index in by_remainder[:left]:
            parts[index] += unit
        return parts

    def format(self, amount: Decimal) -> str:
        return str(amount.quantize(self.minor_unit))

    def parse_amount(self, value: Number, *, allow_zero: bool = False) -> Decimal:
        """Validate a money amount entered by the landlord (positive, finite, on the minor unit)."""
        amount = to_decimal(value)
        placeholders = {"value": str(value), "currency": self.code}
        if amount < 0 or (amount == 0 and not allow_zero):
            raise BillingError(AMOUNT_NOT_POSITIVE, placeholders)
        if amount > MAX_AMOUNT:
            raise BillingError(AMOUNT_TOO_LARGE, {**placeholders, "max": str(MAX_AMOUNT)})
        if _decimals(amount) > self.exponent:
            raise BillingError(
                AMOUNT_TOO_MANY_DECIMALS, {**placeholders, "decimals": str(self.exponent)}
            )
        return amount.quantize(self.minor_unit)

    def parse_signed_amount(self, value: Number) -> Decimal:
        """Validate a non-zero signed amount (adjustments)."""
        amount = to_decimal(value)
        sign = -1 if amount < 0 else 1
        return self.parse_amount(abs(amount)) * sign


def parse_price(value: Number) -> Decimal:
    """Validate a price per kWh: finite, ≥ 0, at most 4 decimals."""
    try:
        price = to_decimal(value, PRICE_INVALID)
    except BillingError as error:
        if error.key != PRICE_INVALID:
            raise
        price = Decimal(-1)  # reported below, with the same placeholders as a range error
    if price < 0 or price > MAX_PRICE:
        raise BillingError(PRICE_INVALID, {"value": str(value), "max": str(MAX_PRICE)})
    if _decimals(price) > PRICE_EXPONENT:
        raise BillingError(
            PRICE_TOO_MANY_DECIMALS, {"value": str(value), "decimals": str(PRICE_EXPONENT)}
        )
    return price.quantize(PRICE_QUANTUM)


def parse_kwh(value: Number, *, allow_zero: bool = True) -> Decimal:
    """Validate an energy quantity (a meter reading or a preset): finite, ≥ 0."""
    kwh = to_decimal(value, READING_INVALID)
    if kwh < 0 or (kwh == 0 and not allow_zero) or kwh > MAX_READING:
        raise BillingError(AMOUNT_NEGATIVE if kwh < 0 else READING_INVALID, {"value": str(value)})
    return kwh.quantize(KWH_QUANTUM, rounding=ROUND_FLOOR)


def kwh_to_micro(kwh: Decimal) -> int:
    return int(kwh.scaleb(KWH_EXPONENT).to_integral_value(rounding=ROUND_FLOOR))


def micro_to_kwh(micro: int) -> Decimal:
    return Decimal(micro).scaleb(-KWH_EXPONENT)


def fixed_point(value: int, exponent: int) -> str:
    """An integer count of 10**-exponent units as a decimal string, e.g. (-1205, 2) -> "-12.05"."""
    if exponent == 0:
        return str(value)
    sign = "-" if value < 0 else ""
    whole, part = divmod(abs(value), 10**exponent)
    return f"{sign}{whole}.{part:0{exponent}d}"
