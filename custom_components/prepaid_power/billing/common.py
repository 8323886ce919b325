"""Common areas: a common meter's cost of a local day shared out into the accounts of the
rooms the landlord chose, equally (by the part of the day each tenancy covered) or by
consumption (each account's charged kWh within the day). Pure arithmetic; the core books
it (see README.md, "Common areas").

A share is a `fee` whose reference names the meter and the day (`common area <meter>
<day>`): once per account and day by the ledger's unique index on referenced fees. What no
tenancy can carry (nobody in the rooms, a tenancy already ended, the rounding left over
nowhere) is the landlord's share, recorded with the day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Final, Literal

type Method = Literal["equal", "consumption"]
METHODS: Final[tuple[Method, ...]] = ("equal", "consumption")
COMMON_AREA: Final = "common area"


def common_reference(meter_key: str, day: date) -> str:
    """The reference of a common meter's share of a day on an account."""
    return f"{COMMON_AREA} {meter_key} {day.isoformat()}"


def is_common_reference(reference: str | None) -> bool:
    """Whether a fee's reference is a common-area share."""
    return reference is not None and reference.startswith(f"{COMMON_AREA} ")


def share_out(cost_minor: int, weights: Mapping[int, Fraction]) -> dict[int, int]:
    """`cost_minor` minor units shared by weight: each key gets the floor of its exact
    share, then the units left over go one each by largest remainder (ties: lower key), so
    the shares add up to the cost exactly and each is within one unit of its exact share.
    Keys of weight 0 get nothing; with no positive weight nothing is shared (empty)."""
    if cost_minor < 0:
        raise ValueError("a cost is not negative")
    positive = {key: weight for key, weight in weights.items() if weight > 0}
    total = sum(positive.values(), Fraction(0))
    if not positive:
        return {}
    exact = {key: cost_minor * weight / total for key, weight in positive.items()}
    shares = {key: int(value) for key, value in exact.items()}  # floor: value >= 0
    left = cost_minor - sum(shares.values())
    by_remainder = sorted(exact, key=lambda key: (-(exact[key] - shares[key]), key))
    for key in by_remainder[:left]:
        shares[key] += 1
    return shares


@dataclass(frozen=True, slots=True)
class CommonShare:
    """One account's share of a common meter's day."""

    account_id: int
    amount: Decimal
    # The account's weight when booked (None when read back: the ledger keeps amounts).
    weight: Fraction | None = None


@dataclass(frozen=True, slots=True)
class CommonDay:
    """A common meter's booked day: what it measured, cost and who carried it."""

    meter_key: str
    day: date
    kwh: Decimal
    price: Decimal
    cost: Decimal
    method: Method
    shares: tuple[CommonShare, ...]
    landlord_share: Decimal

    def as_dict(self) -> dict[str, object]:
        """For events and sensors' attributes."""
        return {
            "meter": self.meter_key,
            "day": self.day.isoformat(),
            "kwh": str(self.kwh),
            "price": str(self.price),
            "cost": str(self.cost),
            "method": self.method,
            "shares": [{"account_id": s.account_id, "amount": str(s.amount)} for s in self.shares],
            "landlord_share": str(self.landlord_share),
        }
