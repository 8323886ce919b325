"""Builders shared by the control tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from custom_components.prepaid_power.control import (
    Decision,
    SupplyInputs,
    SupplyMemory,
    SupplySettings,
    evaluate,
)

T0 = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)  # a Wednesday

# Levels used throughout: cut-off at -2.00, warning cut at 3.00, low at 5.00.
SETTINGS = SupplySettings(
    low_level=Decimal("5.00"),
    warning_cut_level=Decimal("3.00"),
    credit_limit=Decimal("2.00"),
    grace_period=timedelta(minutes=30),
    auto_restore_minimum=Decimal("1.00"),
    emergency_credit_amount=Decimal("4.00"),
    power_limit_w=3000.0,
    overload_duration=timedelta(seconds=10),
    reclose_delay=timedelta(minutes=1),
    max_reclose_attempts=2,
)


def D(value: str) -> Decimal:
    """Shorthand for money literals."""
    return Decimal(value)


def inputs(balance: str = "10.00", now: datetime = T0, **kwargs: object) -> SupplyInputs:
    """Inputs with a healthy balance unless told otherwise."""
    return SupplyInputs(now=now, balance=Decimal(balance), **kwargs)  # type: ignore[arg-type]


class Room:
    """A room evaluated step by step, carrying memory like the HA layer does."""

    def __init__(
        self, settings: SupplySettings = SETTINGS, memory: SupplyMemory | None = None
    ) -> None:
        self.settings = settings
        self.memory = memory or SupplyMemory()
        self.now = T0
        self.last: Decision | None = None

    def at(self, balance: str, *, after: timedelta = timedelta(0), **kwargs: object) -> Decision:
        """Advance the clock by `after`, evaluate, keep the new memory."""
        self.now += after
        decision = evaluate(self.settings, inputs(balance, self.now, **kwargs), self.memory)
        self.memory = decision.memory
        self.last = decision
        return decision

    def kinds(self) -> list[str]:
        """Event kinds of the last decision."""
        assert self.last is not None
        return [event.kind.value for event in self.last.events]
