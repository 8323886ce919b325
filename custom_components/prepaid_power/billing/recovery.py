"""Debt recovery plans: a tenancy's debt paid off a share of each top-up and/or a fixed amount
per day or week, never taking the balance below the plan's floor (see README.md, "Debt
recovery plan"). The amounts are pure functions of the plan and the ledger's figures; the
core books them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final, Literal
from zoneinfo import ZoneInfo

from .errors import DEBT_PLAN_EVERY_INVALID, DEBT_PLAN_PERCENT_INVALID, BillingError
from .money import Number, to_decimal

type RecoveryEvery = Literal["day", "week"]
RECOVERY_EVERY: Final = ("day", "week")
PERCENT_QUANTUM: Final = Decimal("0.01")
HUNDRED: Final = Decimal(100)
# Reserved reasons of the recovery entries (adjustments), so what is recovered is in the
# ledger and moves in the same transaction as the money it is taken from.
DEBT_RECOVERED_FROM_TOP_UP: Final = "debt recovered from a top-up"
DEBT_RECOVERED_FIXED: Final = "debt recovered by the fixed amount"
DEBT_LEFT_AT_MOVE_OUT: Final = "recovery plan debt left at move-out"
DEBT_RECOVERY_REASONS: Final = frozenset(
    {DEBT_RECOVERED_FROM_TOP_UP, DEBT_RECOVERED_FIXED, DEBT_LEFT_AT_MOVE_OUT}
)


@dataclass(frozen=True, slots=True)
class DebtPlan:
    """A tenancy's recovery plan: the debt recorded on it (all of it, over every change of
    terms) and the terms in force since `since`."""

    tenancy_id: int
    debt: Decimal
    percent: Decimal
    fixed: Decimal
    every: RecoveryEvery
    floor: Decimal
    since: datetime


def parse_percent(value: Number) -> Decimal:
    """A share of each top-up: 0 to 100 %, at most two decimals."""
    percent = to_decimal(value, DEBT_PLAN_PERCENT_INVALID)
    if not 0 <= percent <= HUNDRED or percent != percent.quantize(PERCENT_QUANTUM):
        raise BillingError(DEBT_PLAN_PERCENT_INVALID, {"value": str(value)})
    return percent.quantize(PERCENT_QUANTUM)


def parse_every(value: str) -> RecoveryEvery:
    if value == "day":
        return "day"
    if value == "week":
        return "week"
    raise BillingError(DEBT_PLAN_EVERY_INVALID, {"value": value})


def recoverable(wanted: Decimal, remaining: Decimal, balance: Decimal, floor: Decimal) -> Decimal:
    """What may be taken: never more than wanted, than the debt left, nor than the balance
    above the floor (nothing when the balance is at or below it)."""
    return max(Decimal(0), min(wanted, remaining, balance - floor))


def periods_due(plan: DebtPlan, now: datetime, tz: ZoneInfo) -> int:
    """Fixed amounts due under the current terms: one per local midnight passed since they
    were set (`day`), or per seventh one (`week`)."""
    days = (now.astimezone(tz).date() - plan.since.astimezone(tz).date()).days
    return max(days, 0) // (7 if plan.every == "week" else 1)
