"""Tenant-safe and landlord operations: pure functions from memory to new memory.

Each returns the new memory; the HA layer stores it and evaluates the policy at once, so the
effect (and its `supply_changed` event) comes from `evaluate`, never from here. Refusals
raise `SupplyOperationError` with a stable reason usable as a translation key.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from .model import (
    SupplyCommand,
    SupplyMemory,
    SupplyOperationError,
    SupplySettings,
    SupplyState,
    require_aware,
)

ERROR_NOT_IN_WARNING_CUT = "not_in_warning_cut"
ERROR_EMERGENCY_CREDIT_DISABLED = "emergency_credit_disabled"
ERROR_EMERGENCY_CREDIT_OUTSTANDING = "emergency_credit_outstanding"
ERROR_BALANCE_NOT_NEAR_CUT_OFF = "balance_not_near_cut_off"
ERROR_REASON_REQUIRED = "reason_required"
ERROR_INVALID_DURATION = "invalid_duration"


class EmergencyCredit(NamedTuple):
    """The amount to credit to the account now (the ledger records what is owed back), and
    the memory with the cut-off episode ended."""

    amount: Decimal
    memory: SupplyMemory


# --- tenant-safe -----------------------------------------------------------------------


def restore_after_warning(memory: SupplyMemory) -> SupplyMemory:
    """The tenant's "restore" button: undo the warning cut (allowed only in warning_cut)."""
    if memory.last_state is not SupplyState.WARNING_CUT or not memory.warning_cut_active:
        raise SupplyOperationError(ERROR_NOT_IN_WARNING_CUT)
    return replace(memory, warning_cut_active=False)


def emergency_credit_available(
    settings: SupplySettings, memory: SupplyMemory, balance: Decimal, outstanding: Decimal
) -> bool:
    """Whether `take_emergency_credit` would succeed (for the button's availability)."""
    try:
        take_emergency_credit(settings, memory, balance, outstanding)
    except SupplyOperationError:
        return False
    return True


def take_emergency_credit(
    settings: SupplySettings, memory: SupplyMemory, balance: Decimal, outstanding: Decimal
) -> EmergencyCredit:
    """The tenant's "use emergency credit" button: the configured amount, once.

    "Near cut-off" means within one emergency-credit amount of the cut-off level. Taking it
    again needs the previous one recovered by top-ups (`outstanding`, kept by the ledger,
    which recovers it from each top-up first). It also ends a cut-off episode, so the supply
    returns even when the amount does not reach the auto-restore minimum.
    """
    amount = settings.emergency_credit_amount
    if amount <= 0:
        raise SupplyOperationError(ERROR_EMERGENCY_CREDIT_DISABLED)
    if outstanding > 0:
        raise SupplyOperationError(ERROR_EMERGENCY_CREDIT_OUTSTANDING)
    if balance > settings.cut_off_level + amount:
        raise SupplyOperationError(ERROR_BALANCE_NOT_NEAR_CUT_OFF)
    return EmergencyCredit(amount, replace(memory, cut_off_latched=False, cut_off_since=None))


# --- landlord -----------------------------------------------------------------------------


def set_protected(memory: SupplyMemory, protected: bool) -> SupplyMemory:
    """Keep power on regardless of balance (the protected switch)."""
    return replace(memory, protected=protected)


def force_off(memory: SupplyMemory, reason: str) -> SupplyMemory:
    """Switch the supply off until cleared; the reason is shown to the tenant as given."""
    if not reason.strip():
        raise SupplyOperationError(ERROR_REASON_REQUIRED)
    # The landlord's latest word wins: forcing off ends protection, else it would not act.
    return replace(memory, forced_off_reason=reason.strip(), protected=False)


def clear_override(memory: SupplyMemory) -> SupplyMemory:
    """Back to the policy: neither protected nor forced off."""
    return replace(memory, protected=False, forced_off_reason=None)


def set_supply(memory: SupplyMemory, command: SupplyCommand, reason: str = "") -> SupplyMemory:
    """The `set_supply` action: on = protected, off = forced off (reason), auto = policy."""
    if command is SupplyCommand.ON:
        return replace(memory, protected=True, forced_off_reason=None)
    if command is SupplyCommand.OFF:
        return force_off(memory, reason)
    return clear_override(memory)


def grant_grace(memory: SupplyMemory, duration: timedelta, now: datetime) -> SupplyMemory:
    """Postpone a due (or coming) cut-off until now + duration; later grants replace it."""
    require_aware(now)
    if duration <= timedelta(0):
        raise SupplyOperationError(ERROR_INVALID_DURATION)
    return replace(memory, grace_until=now.astimezone(UTC) + duration)


def reset_overload(memory: SupplyMemory) -> SupplyMemory:
    """The landlord fixed the cause: re-close and start counting trips afresh."""
    return replace(
        memory,
        over_limit_since=None,
        overload_tripped_at=None,
        last_trip_at=None,
        reclose_attempts=0,
        overload_locked=False,
    )
