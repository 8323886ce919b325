"""Properties of the supply policy over random settings, inputs, memories and sequences."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from custom_components.prepaid_power.control import (
    CutOffMode,
    EventKind,
    RelayTarget,
    SupplyInputs,
    SupplyMemory,
    SupplySettings,
    SupplyState,
    evaluate,
)

from .helpers import T0

PROFILE = hsettings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

money = st.decimals(min_value=-50, max_value=50, places=2, allow_nan=False, allow_infinity=False)
moments = st.integers(min_value=-7200, max_value=7200).map(lambda s: T0 + timedelta(seconds=s))
optional_moments = st.none() | moments


@st.composite
def supply_settings(draw: st.DrawFn) -> SupplySettings:
    credit = draw(st.decimals(min_value=0, max_value=20, places=2))
    above = st.decimals(min_value=Decimal("0.01"), max_value=30, places=2).map(lambda d: d - credit)
    return SupplySettings(
        low_level=draw(st.none() | above),
        warning_cut_level=draw(st.none() | above),
        credit_limit=credit,
        grace_period=timedelta(minutes=draw(st.integers(0, 120))),
        auto_restore_minimum=draw(st.decimals(min_value=0, max_value=10, places=2)),
        emergency_credit_amount=draw(st.decimals(min_value=0, max_value=10, places=2)),
        power_limit_w=draw(st.none() | st.floats(min_value=100, max_value=10000)),
        overload_duration=timedelta(seconds=draw(st.integers(0, 60))),
        reclose_delay=timedelta(seconds=draw(st.integers(0, 600))),
        max_reclose_attempts=draw(st.integers(0, 5)),
        cut_off_mode=draw(st.sampled_from(CutOffMode)),
    )


memories = st.builds(
    SupplyMemory,
    last_state=st.none() | st.sampled_from(SupplyState),
    protected=st.booleans(),
    forced_off_reason=st.none() | st.just("works"),
    cut_off_since=optional_moments,
    cut_off_latched=st.booleans(),
    grace_until=optional_moments,
    cut_off_due=st.booleans(),
    low_armed=st.booleans(),
    warning_cut_armed=st.booleans(),
    warning_cut_active=st.booleans(),
    over_limit_since=optional_moments,
    overload_tripped_at=optional_moments,
    last_trip_at=optional_moments,
    reclose_attempts=st.integers(0, 6),
    overload_locked=st.booleans(),
)

supply_inputs = st.builds(
    SupplyInputs,
    now=moments,
    balance=money,
    friendly_hours=st.booleans(),
    schedule_on=st.none() | st.booleans(),
    actuator_fault=st.booleans(),
    power_w=st.none() | st.floats(min_value=0, max_value=20000),
)

# States that may open the relay during friendly hours: none of them is about the balance.
NOT_BALANCE = {SupplyState.FORCED_OFF, SupplyState.OVERLOAD, SupplyState.SCHEDULED_OFF}


def check_invariants(
    settings: SupplySettings, inputs: SupplyInputs, memory: SupplyMemory
) -> SupplyState:
    decision = evaluate(settings, inputs, memory)
    assert evaluate(settings, inputs, memory) == decision, "not deterministic"
    if memory.protected and not inputs.actuator_fault:
        assert decision.state is SupplyState.PROTECTED
        assert decision.relay is RelayTarget.CLOSED
    if inputs.friendly_hours:
        assert decision.state is not SupplyState.CUT_OFF
        assert not decision.cut_off_due
        if decision.relay is RelayTarget.OPEN:
            assert decision.state in NOT_BALANCE
    if decision.relay is RelayTarget.HOLD:
        assert decision.state is SupplyState.FAULT or (
            decision.state is SupplyState.CUT_OFF and settings.cut_off_mode is CutOffMode.AUTOMATION
        )
    if decision.state is SupplyState.CUT_OFF:
        assert decision.cut_off_due
    changed = [e for e in decision.events if e.kind is EventKind.SUPPLY_CHANGED]
    if memory.last_state is not None and memory.last_state is not decision.state:
        assert [dict(e.data)["new_state"] for e in changed] == [decision.state.value]
    else:
        assert changed == []
    assert decision.memory.last_state is decision.state
    assert decision.next_evaluation is None or decision.next_evaluation > inputs.now
    assert SupplyMemory.from_dict(decision.memory.as_dict()) == decision.memory
    return decision.state


@PROFILE
@given(supply_settings(), supply_inputs, memories)
def test_single_evaluation_invariants(
    settings: SupplySettings, inputs: SupplyInputs, memory: SupplyMemory
) -> None:
    check_invariants(settings, inputs, memory)


steps = st.lists(
    st.tuples(
        st.integers(1, 3600),  # seconds since the previous evaluation
        money,
        st.booleans(),  # friendly hours
        st.booleans(),  # protected (the landlord may flip it between polls)
        st.none() | st.floats(min_value=0, max_value=20000),
    ),
    min_size=1,
    max_size=30,
)


@PROFILE
@given(supply_settings(), steps)
def test_sequences_keep_the_invariants(
    settings: SupplySettings, sequence: list[tuple[int, Decimal, bool, bool, float | None]]
) -> None:
    memory = SupplyMemory()
    now = T0
    for seconds, balance, friendly, protected, power in sequence:
        now += timedelta(seconds=seconds)
        memory = replace(memory, protected=protected)
        inputs = SupplyInputs(now=now, balance=balance, friendly_hours=friendly, power_w=power)
        check_invariants(settings, inputs, memory)
        memory = evaluate(settings, inputs, memory).memory


@PROFILE
@given(supply_settings(), st.lists(money, min_size=2, max_size=30))
def test_balance_low_fires_once_per_crossing(
    settings: SupplySettings, balances: list[Decimal]
) -> None:
    level = settings.low_level
    memory = SupplyMemory()
    now = T0
    previous_above = True
    for balance in balances:
        now += timedelta(minutes=1)
        decision = evaluate(settings, SupplyInputs(now=now, balance=balance), memory)
        fired = any(e.kind is EventKind.BALANCE_LOW for e in decision.events)
        expected = level is not None and previous_above and balance <= level
        assert fired is expected
        if level is not None and balance > level:
            previous_above = True
        elif level is not None:
            previous_above = False
        memory = decision.memory
