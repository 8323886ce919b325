"""The supply of a room without a tenancy."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from custom_components.prepaid_power.control import (
    Reason,
    RelayTarget,
    SupplyInputs,
    SupplyMemory,
    SupplyState,
    evaluate_vacant,
)

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("inputs", "memory", "preset", "expected"),
    [
        ({}, {}, "0", (SupplyState.CUT_OFF, RelayTarget.OPEN, Reason.VACANT)),
        ({}, {}, "2.5", (SupplyState.ON, RelayTarget.CLOSED, Reason.VACANT_PRESET)),
        (
            {"schedule_on": False},
            {},
            "2.5",
            (SupplyState.SCHEDULED_OFF, RelayTarget.OPEN, Reason.SCHEDULE_OFF),
        ),
        (
            {},
            {"forced_off_reason": "repairs"},
            "2.5",
            (SupplyState.FORCED_OFF, RelayTarget.OPEN, Reason.FORCED_OFF),
        ),
        (
            {},
            {"protected": True},
            "0",
            (SupplyState.PROTECTED, RelayTarget.CLOSED, Reason.PROTECTED),
        ),
        (
            {"actuator_fault": True},
            {"protected": True},
            "0",
            (SupplyState.FAULT, RelayTarget.HOLD, Reason.ACTUATOR_FAULT),
        ),
    ],
)
def test_vacant_precedence(
    inputs: dict[str, object], memory: dict[str, object], preset: str, expected: tuple[object, ...]
) -> None:
    """Landlord overrides and schedules first, then the preset decides; no events fire."""
    decision = evaluate_vacant(
        SupplyInputs(now=NOW, balance=Decimal(0), **inputs),  # type: ignore[arg-type]
        SupplyMemory(**memory),  # type: ignore[arg-type]
        Decimal(preset),
    )
    assert (decision.state, decision.relay, decision.reason) == expected
    assert decision.events == ()
