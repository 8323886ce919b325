"""`supply.decide` as a pure function: no hass, no I/O; inputs in, decision and effects out.

The policy's precedence table (BILLING.md, *Supply state*) through the whole decision step:
for every pair of rules that can hold together the higher one wins, and the effects follow
the winner: the relay command, the `supply_changed` event and its `supply_on`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from itertools import combinations
from types import MappingProxyType

import pytest

from custom_components.prepaid_power.billing.core import RoomSummary
from custom_components.prepaid_power.billing.money import Currency
from custom_components.prepaid_power.bus.poll import MeterReading
from custom_components.prepaid_power.const import EVENT_FAULT, EVENT_SUPPLY_CHANGED
from custom_components.prepaid_power.control import (
    PRECEDENCE,
    EventKind,
    RelayPhase,
    RelayStep,
    RelayTarget,
    RelayTracker,
    SupplyEvent,
    SupplyMemory,
    SupplyState,
)
from custom_components.prepaid_power.rooms import Room
from custom_components.prepaid_power.supply import (
    SUPPLY_ON_STATES,
    ClearRelayFault,
    ControlState,
    FireEvent,
    Outcome,
    RaiseRelayFault,
    RoomInputs,
    SetEarlyRead,
    SetTimer,
    StartCommand,
    decide,
    relay_events,
)

from .control.helpers import SETTINGS, T0
from .control.test_precedence import CONDITIONS, EXCLUSIVE, Scenario

ROOM = Room(
    subentry_id="r1",
    name="Room 1",
    slave_id=1,
    energy_key="energy",
    settings=SETTINGS,
    device_id="device-1",
)
CURRENCY = Currency("EUR", 2)


def _summary(balance: Decimal | None, *, preset_kwh: str = "0") -> RoomSummary:
    return RoomSummary(
        room_id="r1",
        cycle="2026-01-01",
        tenancy_id=None if balance is None else 1,
        balance=balance,
        live_balance=balance,
        energy_this_cycle_kwh=Decimal(0),
        cost_this_cycle=Decimal(0),
        allowance_left_kwh=Decimal(preset_kwh),
        current_price=Decimal("0.25"),
        days_of_credit_left=None,
    )


def _reading(power: float | None) -> MeterReading:
    values = {"energy": 100.0} if power is None else {"energy": 100.0, "power": power}
    return MeterReading(
        slave_id=1,
        values=MappingProxyType(values),
        relays=MappingProxyType({}),
        available=True,
        complete=True,
        read_at=T0 - timedelta(seconds=1),
    )


def _inputs(scenario: Scenario, *, seen: bool | None = False) -> RoomInputs:
    """The scenario as the decision step's inputs: the actuator open as last seen, the
    supply on at the last decision."""
    fault = bool(scenario.inputs.get("actuator_fault"))
    tracker = RelayTracker(target=True, phase=RelayPhase.FAULT) if fault else RelayTracker()
    return RoomInputs(
        room=ROOM,
        memory=SupplyMemory(last_state=SupplyState.ON, **scenario.memory),
        summary=_summary(scenario.balance),
        vacant=False,
        reading=_reading(scenario.inputs.get("power_w")),
        control=ControlState(tracker=tracker),
        currency=CURRENCY,
        now=T0,
        has_actuator=True,
        seen=None if fault else seen,
        friendly_hours=bool(scenario.friendly),
        schedule_on=scenario.inputs.get("schedule_on"),
        poll_interval=timedelta(seconds=10),
    )


def _of[T](outcome: Outcome, kind: type[T]) -> list[T]:
    return [effect for effect in outcome.effects if isinstance(effect, kind)]


def _cases() -> list[tuple[SupplyState, SupplyState, str, str]]:
    return [
        (higher, lower, high_name, low_name)
        for higher, lower in combinations(PRECEDENCE, 2)
        if (higher, lower) not in EXCLUSIVE
        for high_name in CONDITIONS[higher]
        for low_name in CONDITIONS[lower]
    ]


@pytest.mark.parametrize(
    ("higher", "lower", "high", "low"),
    _cases(),
    ids=str,
)
def test_the_higher_rule_wins_and_the_effects_follow_it(
    higher: SupplyState, lower: SupplyState, high: str, low: str
) -> None:
    scenario = Scenario()
    CONDITIONS[lower][low](scenario)
    CONDITIONS[higher][high](scenario)
    assert not scenario.conflict
    outcome = decide(_inputs(scenario))
    decision = outcome.decision
    assert decision.state is higher, (higher, lower, high, low)

    # The relay: a command only when the target differs from what the actuator shows
    # (open) and nothing holds it; a fault commands nothing until it is cleared.
    commands = _of(outcome, StartCommand)
    if higher is SupplyState.FAULT:
        assert decision.relay is RelayTarget.HOLD
        assert commands == []
        assert outcome.control.fault
    elif decision.relay is RelayTarget.CLOSED:
        assert commands == [StartCommand(scenario.balance)]
        assert outcome.control.tracker.phase is RelayPhase.PENDING
        assert outcome.control.tracker.target is True
    else:
        assert commands == []
        assert outcome.control.tracker.phase is RelayPhase.IDLE

    # The event: the supply was on; it changes unless the winner is `on` itself.
    changed = [e for e in _of(outcome, FireEvent) if e.event_type == EVENT_SUPPLY_CHANGED]
    if higher is SupplyState.ON:
        assert changed == []
    else:
        (event,) = changed
        assert event.data["old_state"] == SupplyState.ON
        assert event.data["new_state"] == higher
        assert event.data["was_on"] is True
        assert event.data["supply_on"] is (higher in SUPPLY_ON_STATES)
        assert event.data["balance"] == str(scenario.balance)
        assert event.data["room_id"] == "r1"
        assert event.data["currency"] == "EUR"


@pytest.mark.parametrize("state", PRECEDENCE)
def test_each_rule_alone_through_the_decision_step(state: SupplyState) -> None:
    for name, condition in CONDITIONS[state].items():
        scenario = Scenario()
        condition(scenario)
        outcome = decide(_inputs(scenario))
        assert outcome.decision.state is state, name


def test_decide_is_pure() -> None:
    """The same inputs give the same outcome, and the inputs are left as they were."""
    scenario = Scenario()
    CONDITIONS[SupplyState.CUT_OFF]["exhausted"](scenario)
    inputs = _inputs(scenario, seen=True)
    before = replace(inputs)
    first, second = decide(inputs), decide(inputs)
    assert first == second
    assert inputs == before
    assert first.decision.state is SupplyState.CUT_OFF
    # Seen closed, wanted open: the command is an effect, not an action taken.
    assert first.control.observed is True
    assert _of(first, StartCommand) == [StartCommand(Decimal("-3.00"))]


def test_no_second_command_while_one_is_under_way() -> None:
    scenario = Scenario()
    CONDITIONS[SupplyState.ON]["on"](scenario)
    outcome = decide(replace(_inputs(scenario, seen=None), commanding=True))
    assert outcome.control.tracker.phase is RelayPhase.PENDING
    assert _of(outcome, StartCommand) == []


def test_a_faulted_relay_seen_in_its_target_recovers_before_the_policy_decides() -> None:
    scenario = Scenario()
    inputs = replace(
        _inputs(scenario),
        control=ControlState(tracker=RelayTracker(target=True, phase=RelayPhase.FAULT)),
        seen=True,
    )
    outcome = decide(inputs)
    assert not outcome.control.fault
    assert outcome.decision.state is SupplyState.ON
    assert ClearRelayFault() in outcome.effects
    assert _of(outcome, StartCommand) == []


def test_an_unconfirmed_command_is_a_fault_repair_and_event() -> None:
    effects: list[object] = []
    step = RelayStep(
        RelayTracker(target=False, phase=RelayPhase.FAULT),
        events=(SupplyEvent(EventKind.RELAY_FAULT, {"target": False}),),
    )
    relay_events(ROOM, CURRENCY, "Timeout", step, Decimal("1.00"), effects)  # type: ignore[arg-type]
    assert RaiseRelayFault("the relay did not open: Timeout") in effects
    (fault,) = [e for e in effects if isinstance(e, FireEvent)]
    assert fault.event_type == EVENT_FAULT
    assert fault.data["kind"] == "relay_fault"
    assert fault.data["balance"] == "1.00"


def test_a_timer_is_set_once_for_the_same_instant() -> None:
    scenario = Scenario()
    CONDITIONS[SupplyState.OVERLOAD]["waiting"](scenario)
    first = decide(_inputs(scenario))
    when = first.decision.next_evaluation
    assert when is not None
    assert _of(first, SetTimer) == [SetTimer(when)]
    again = decide(replace(_inputs(scenario), control=first.control))
    assert _of(again, SetTimer) == []


def test_an_early_read_is_planned_when_the_cut_off_comes_before_the_next_poll() -> None:
    # 0.30 above the cut-off level (-2.00) at 0.25 /kWh: 1.2 kWh; at 360 kW that is 12 s,
    # before the poll after next (3 intervals of 10 s).
    room = replace(ROOM, settings=replace(SETTINGS, warning_cut_level=None, power_limit_w=None))
    scenario = Scenario(balance=Decimal("-1.70"))
    scenario.inputs["power_w"] = 360_000.0
    inputs = replace(_inputs(scenario, seen=True), room=room)
    outcome = decide(inputs)
    # Inside the credit limit: still closed, so the crossing is read for.
    assert outcome.decision.relay is RelayTarget.CLOSED
    (early,) = _of(outcome, SetEarlyRead)
    assert early.at is not None
    assert timedelta(0) < early.at - T0 < timedelta(seconds=12)
    assert outcome.control.early_until is not None
    # Far from the crossing (36 kW: 120 s): no early read.
    slow = replace(inputs, reading=_reading(36_000.0))
    assert _of(decide(slow), SetEarlyRead) == [SetEarlyRead(None)]


def test_a_vacant_room_is_off_unless_a_preset_is_left_and_fires_no_events() -> None:
    scenario = Scenario()
    base = replace(_inputs(scenario, seen=True), vacant=True, summary=_summary(None))
    off = decide(base)
    assert off.decision.relay is RelayTarget.OPEN
    assert _of(off, StartCommand) == [StartCommand(Decimal(0))]
    assert _of(off, FireEvent) == []
    assert _of(off, SetTimer) == []
    on = decide(replace(base, summary=_summary(None, preset_kwh="2.000")))
    assert on.decision.relay is RelayTarget.CLOSED
    assert _of(on, StartCommand) == []
