"""Emergency credit and its recovery from the next top-up; landlord operations."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from custom_components.prepaid_power.control import (
    SupplyMemory,
    SupplyOperationError,
    SupplyState,
    clear_override,
    emergency_credit_available,
    force_off,
    set_protected,
    take_emergency_credit,
)

from .helpers import SETTINGS, D, Room

# SETTINGS: cut-off level -2.00, emergency credit 4.00: "near" is a balance <= 2.00.


@pytest.mark.parametrize(
    ("balance", "allowed"),
    [("-5.00", True), ("-2.00", True), ("2.00", True), ("2.01", False), ("10.00", False)],
)
def test_emergency_credit_only_at_or_near_cut_off(balance: str, allowed: bool) -> None:
    assert emergency_credit_available(SETTINGS, SupplyMemory(), D(balance), D(0)) is allowed


def test_emergency_credit_once_until_recovered() -> None:
    """The ledger keeps what is outstanding (and recovers it from top-ups); the policy refuses
    a second one while anything is, and taking it ends the cut-off episode."""
    room = Room(replace(SETTINGS, grace_period=timedelta(0)))
    assert room.at("-2.50").state is SupplyState.CUT_OFF
    amount, room.memory = take_emergency_credit(SETTINGS, room.memory, D("-2.50"), D(0))
    assert amount == D("4.00")
    # 1.50 is below cut-off + auto-restore minimum after a cut, but the episode is over.
    assert room.at("1.50", after=timedelta(minutes=1)).state is SupplyState.LOW

    for outstanding in ("4.00", "0.01"):
        with pytest.raises(SupplyOperationError) as err:
            take_emergency_credit(SETTINGS, room.memory, D("-2.50"), D(outstanding))
        assert err.value.reason == "emergency_credit_outstanding"
        assert not emergency_credit_available(SETTINGS, room.memory, D("-1.00"), D(outstanding))
    # Recovered: available again.
    assert emergency_credit_available(SETTINGS, room.memory, D("-1.00"), D(0))


def test_emergency_credit_disabled() -> None:
    with pytest.raises(SupplyOperationError) as err:
        take_emergency_credit(
            replace(SETTINGS, emergency_credit_amount=D("0")), SupplyMemory(), D("-3"), D(0)
        )
    assert err.value.reason == "emergency_credit_disabled"
    with pytest.raises(SupplyOperationError) as err:
        take_emergency_credit(SETTINGS, SupplyMemory(), D("9.00"), D(0))
    assert err.value.reason == "balance_not_near_cut_off"


def test_landlord_overrides() -> None:
    memory = set_protected(SupplyMemory(), True)
    assert memory.protected
    memory = force_off(memory, "inspection")
    assert (memory.protected, memory.forced_off_reason) == (False, "inspection")
    assert clear_override(memory) == SupplyMemory()
    with pytest.raises(SupplyOperationError) as err:
        force_off(memory, "")
    assert err.value.reason == "reason_required"
