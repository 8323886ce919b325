"""Every precedence pair of the supply policy: when two rules hold, the higher one wins."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from itertools import combinations
from typing import Any

import pytest

from custom_components.prepaid_power.control import (
    PRECEDENCE,
    RelayTarget,
    SupplyInputs,
    SupplyMemory,
    SupplyState,
    evaluate,
)

from .helpers import SETTINGS, T0, D


@dataclass
class Scenario:
    """Inputs and memory being built up by conditions."""

    balance: Decimal = field(default_factory=lambda: D("10.00"))
    friendly: bool | None = None  # None: no condition cares
    inputs: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    conflict: bool = False

    def need_friendly(self, value: bool) -> None:
        if self.friendly is not None and self.friendly != value:
            self.conflict = True
        self.friendly = value

    def at_most(self, balance: str) -> None:
        self.balance = min(self.balance, D(balance))


Condition = Callable[[Scenario], None]


def _fault(s: Scenario) -> None:
    s.inputs["actuator_fault"] = True


def _protected(s: Scenario) -> None:
    s.memory["protected"] = True


def _forced_off(s: Scenario) -> None:
    s.memory["forced_off_reason"] = "rewiring"


def _overload_locked(s: Scenario) -> None:
    s.memory["overload_locked"] = True


def _overload_tripping(s: Scenario) -> None:
    s.inputs["power_w"] = 5000.0
    s.memory["over_limit_since"] = T0 - timedelta(seconds=11)


def _overload_waiting(s: Scenario) -> None:
    s.memory["overload_tripped_at"] = T0 - timedelta(seconds=30)


def _scheduled_off(s: Scenario) -> None:
    s.inputs["schedule_on"] = False


def _cut_off(s: Scenario) -> None:
    s.at_most("-3.00")
    s.need_friendly(False)
    s.memory["cut_off_since"] = T0 - timedelta(hours=1)


def _cut_off_latched(s: Scenario) -> None:
    # Topped up above the cut-off level but not by the auto-restore minimum.
    s.at_most("-1.50")
    s.need_friendly(False)
    s.memory["cut_off_since"] = T0 - timedelta(hours=1)
    s.memory["cut_off_latched"] = True


def _friendly_hold(s: Scenario) -> None:
    s.at_most("-3.00")
    s.need_friendly(True)


def _warning_active(s: Scenario) -> None:
    s.at_most("2.00")
    s.need_friendly(False)
    s.memory["warning_cut_active"] = True


def _warning_crossing(s: Scenario) -> None:
    s.at_most("2.00")
    s.need_friendly(False)
    s.memory["warning_cut_armed"] = True


def _low(s: Scenario) -> None:
    s.at_most("4.00")


def _on(s: Scenario) -> None:
    """Nothing to satisfy: `on` is what remains."""


CONDITIONS: dict[SupplyState, dict[str, Condition]] = {
    SupplyState.FAULT: {"fault": _fault},
    SupplyState.PROTECTED: {"protected": _protected},
    SupplyState.FORCED_OFF: {"forced_off": _forced_off},
    SupplyState.OVERLOAD: {
        "locked": _overload_locked,
        "tripping": _overload_tripping,
        "waiting": _overload_waiting,
    },
    SupplyState.SCHEDULED_OFF: {"schedule_off": _scheduled_off},
    SupplyState.CUT_OFF: {"exhausted": _cut_off, "latched": _cut_off_latched},
    SupplyState.FRIENDLY_HOLD: {"friendly": _friendly_hold},
    SupplyState.WARNING_CUT: {"active": _warning_active, "crossing": _warning_crossing},
    SupplyState.LOW: {"low": _low},
    SupplyState.ON: {"on": _on},
}

# Pairs that no inputs can satisfy together, by the contract's own definitions: cut_off
# applies outside friendly hours only, friendly_hold inside them; and the warning cut waits
# for friendly hours to end (never a surprise cut at night).
EXCLUSIVE = {
    (SupplyState.CUT_OFF, SupplyState.FRIENDLY_HOLD),
    (SupplyState.FRIENDLY_HOLD, SupplyState.WARNING_CUT),
}

EXPECTED_RELAY = {
    SupplyState.FAULT: RelayTarget.HOLD,
    SupplyState.PROTECTED: RelayTarget.CLOSED,
    SupplyState.FORCED_OFF: RelayTarget.OPEN,
    SupplyState.OVERLOAD: RelayTarget.OPEN,
    SupplyState.SCHEDULED_OFF: RelayTarget.OPEN,
    SupplyState.CUT_OFF: RelayTarget.OPEN,
    SupplyState.FRIENDLY_HOLD: RelayTarget.CLOSED,
    SupplyState.WARNING_CUT: RelayTarget.OPEN,
    SupplyState.LOW: RelayTarget.CLOSED,
    SupplyState.ON: RelayTarget.CLOSED,
}


def _build(*conditions: Condition) -> Scenario:
    scenario = Scenario()
    for condition in conditions:
        condition(scenario)
    return scenario


def _decide(scenario: Scenario) -> SupplyState:
    memory = replace(SupplyMemory(), **scenario.memory)
    inputs = SupplyInputs(
        now=T0, balance=scenario.balance, friendly_hours=bool(scenario.friendly), **scenario.inputs
    )
    decision = evaluate(SETTINGS, inputs, memory)
    assert decision.relay is EXPECTED_RELAY[decision.state]
    assert evaluate(SETTINGS, inputs, memory) == decision
    return decision.state


PAIRS = [
    pytest.param(high, low, high_name, low_name, id=f"{high}[{high_name}]>{low}[{low_name}]")
    for high, low in combinations(PRECEDENCE, 2)
    for high_name in CONDITIONS[high]
    for low_name in CONDITIONS[low]
]


def test_precedence_is_the_contract_order() -> None:
    assert [state.value for state in PRECEDENCE] == [
        "fault",
        "protected",
        "forced_off",
        "overload",
        "scheduled_off",
        "cut_off",
        "friendly_hold",
        "warning_cut",
        "low",
        "on",
    ]


@pytest.mark.parametrize(
    ("state", "name"), [(state, name) for state in PRECEDENCE for name in CONDITIONS[state]]
)
def test_each_condition_alone_gives_its_state(state: SupplyState, name: str) -> None:
    assert _decide(_build(CONDITIONS[state][name])) is state


@pytest.mark.parametrize(("high", "low", "high_name", "low_name"), PAIRS)
def test_higher_state_wins(
    high: SupplyState, low: SupplyState, high_name: str, low_name: str
) -> None:
    forward = _build(CONDITIONS[high][high_name], CONDITIONS[low][low_name])
    backward = _build(CONDITIONS[low][low_name], CONDITIONS[high][high_name])
    if (high, low) in EXCLUSIVE:
        assert forward.conflict
        assert backward.conflict
        return
    assert not forward.conflict
    assert _decide(forward) is high
    assert _decide(backward) is high


def test_every_pair_is_covered() -> None:
    covered = {(p.values[0], p.values[1]) for p in PAIRS}
    assert len(covered) == 45
    assert covered >= EXCLUSIVE
