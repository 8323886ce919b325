"""VAT / sales tax of a tariff: its rate and mode, the gross prices and fees it makes, and
how a gross amount splits into net and tax (see README.md, "VAT / sales tax").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final, Literal

from .errors import TARIFF_INVALID, BillingError
from .money import Number, to_decimal

type TaxMode = Literal["included", "added"]
TAX_MODES: Final = ("included", "added")
# The keys a tariff definition may carry beside its kind's own.
TAX_KEYS: Final = frozenset({"tax_rate", "tax_mode", "tax_on_fees"})
RATE_QUANTUM: Final = Decimal("0.01")
HUNDRED: Final = Decimal(100)
# A gross price is the net price (4 decimals) times 1 + rate (rate with 2 decimals): exact
# to 8 decimals.
GROSS_PRICE_QUANTUM: Final = Decimal("1E-8")
PRICE_SHOWN_QUANTUM: Final = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class Tax:
    """A tariff's tax: `rate` percent, prices `included` it or have it `added` on top; with
    `on_fees` the cycle fee and the standing charge carry it too."""

    rate: Decimal
    mode: TaxMode
    on_fees: bool = False


def _rate(value: Number) -> Decimal:
    """A tax rate: above 0, at most 100 %, at most two decimals."""
    refused = BillingError(TARIFF_INVALID, {"field": "tax_rate", "value": str(value)})
    try:
        rate = to_decimal(value)
    except BillingError:
        raise refused from None
    if not 0 < rate <= HUNDRED or rate != rate.quantize(RATE_QUANTUM):
        raise refused
    return rate.quantize(RATE_QUANTUM)


def tax_from_dict(data: Mapping[str, Any]) -> Tax | None:
    """A tariff definition's tax (None without `tax_rate`); a mode or fee flag without a
    rate is refused rather than ignored."""
    raw = data.get("tax_rate")
    if raw is None or raw == "":
        for key in ("tax_mode", "tax_on_fees"):
            if data.get(key) not in (None, "", False):
                raise BillingError(TARIFF_INVALID, {"field": "tax_rate", "value": ""})
        return None
    if not isinstance(raw, int | float | str | Decimal):
        raise BillingError(TARIFF_INVALID, {"field": "tax_rate", "value": str(raw)})
    mode = data.get("tax_mode", "included")
    if mode not in TAX_MODES:
        raise BillingError(TARIFF_INVALID, {"field": "tax_mode", "value": str(mode)})
    on_fees = data.get("tax_on_fees", False)
    if not isinstance(on_fees, bool):
        raise BillingError(TARIFF_INVALID, {"field": "tax_on_fees", "value": str(on_fees)})
    return Tax(rate=_rate(raw), mode="added" if mode == "added" else "included", on_fees=on_fees)


def tax_to_dict(tax: Tax | None) -> dict[str, Any]:
    """The keys a tariff definition stores for its tax (none without one)."""
    if tax is None:
        return {}
    return {"tax_rate": str(tax.rate), "tax_mode": tax.mode, "tax_on_fees": tax.on_fees}


def _shown(price: Decimal) -> Decimal:
    """A gross price without trailing zeros beyond the 4 decimals prices are shown with."""
    exact = price.quantize(GROSS_PRICE_QUANTUM)
    trimmed = exact.normalize()
    if trimmed.as_tuple().exponent > -4:  # type: ignore[operator]
        return exact.quantize(PRICE_SHOWN_QUANTUM)
    return trimmed


def gross_price(price: Decimal, tax: Tax | None) -> Decimal:
    """What a kWh costs the tenant: the price itself, or with the tax added on top
    (exact: net * (100 + rate) / 100 has at most 8 decimals)."""
    if tax is None or tax.mode == "included":
        return price
    return _shown(price * (HUNDRED + tax.rate) / HUNDRED)


def gross_fee(amount: Decimal, tax: Tax | None, minor_unit: Decimal) -> Decimal:
    """A cycle fee or daily standing charge as booked: itself, or with the tax added on top
    rounded half up to the minor unit (so the standing charge's per-day rules still hold)."""
    if tax is None or tax.mode == "included" or not tax.on_fees:
        return amount
    return (amount * (HUNDRED + tax.rate) / HUNDRED).quantize(minor_unit, rounding=ROUND_HALF_UP)


def split_gross(gross: Decimal, rate: Decimal, minor_unit: Decimal) -> tuple[Decimal, Decimal]:
    """(net, tax) of a gross amount at `rate` percent: the tax is gross * rate / (100 + rate)
    rounded half up to the minor unit, the net the rest; so net + tax = gross exactly and
    |tax - net * rate / 100| <= (1 + rate / 100) / 2 minor units."""
    tax = (gross * rate / (HUNDRED + rate)).quantize(minor_unit, rounding=ROUND_HALF_UP)
    return gross - tax, tax
