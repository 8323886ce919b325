"""Relay confirmation: command, read back, retry with backoff, fault, wrong-state correction."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from custom_components.prepaid_power.control import (
    EventKind,
    RelayConfig,
    RelayPhase,
    RelayTarget,
    RelayTracker,
    SupplyMemory,
    SupplyState,
    evaluate,
    relay_observe,
    relay_read_back,
    relay_want,
    target_of,
)

from .helpers import SETTINGS, T0, inputs

CONFIG = RelayConfig()  # read back after 0.2 s, 0.5 s, 1 s; three attempts


def ms(value: int) -> timedelta:
    return timedelta(milliseconds=value)


def test_command_confirmed_on_first_read_back() -> None:
    step = relay_want(RelayTracker(), True, False, T0)
    assert (step.send, step.read_back_at) == (True, T0 + ms(200))
    assert step.tracker.phase is RelayPhase.PENDING
    # The policy repeats its wish every poll: no second command while pending.
    again = relay_want(step.tracker, True, False, T0 + ms(100))
    assert (again.send, again.read_back_at) == (None, T0 + ms(200))
    done = relay_read_back(step.tracker, True, T0 + ms(200))
    assert done.send is None
    assert done.read_back_at is None
    assert done.tracker == RelayTracker(True)
    assert [(e.kind, dict(e.data)) for e in done.events] == [
        (EventKind.RELAY_CONFIRMED, {"target": True, "attempts": 1, "latency_s": 0.2})
    ]


def test_nothing_to_send_when_already_in_the_target_state() -> None:
    step = relay_want(RelayTracker(), False, False, T0)
    assert step.send is None
    assert step.tracker == RelayTracker(False)


def test_unknown_relay_state_is_commanded() -> None:
    assert relay_want(RelayTracker(), True, None, T0).send is True


@pytest.mark.parametrize("reads", [[False, False, True], [None, False, True], [None, None, True]])
def test_retries_with_backoff_then_confirm(reads: list[bool | None]) -> None:
    step = relay_want(RelayTracker(), True, False, T0)
    now = T0
    sends = [step.send]
    delays = []
    for read in reads:
        assert step.read_back_at is not None
        delays.append(step.read_back_at - now)
        now = step.read_back_at
        step = relay_read_back(step.tracker, read, now)
        sends.append(step.send)
    assert delays == [ms(200), ms(500), ms(1000)]
    assert sends == [True, True, True, None]
    assert step.tracker.phase is RelayPhase.IDLE
    assert step.events[0].data["attempts"] == 3


def test_fault_after_every_attempt_then_recovery_when_seen_in_target_state() -> None:
    step = relay_want(RelayTracker(), False, True, T0)
    now = T0
    for _ in range(3):
        assert step.read_back_at is not None
        now = step.read_back_at
        step = relay_read_back(step.tracker, True, now)
    assert step.tracker.phase is RelayPhase.FAULT
    assert step.send is None
    assert [(e.kind, dict(e.data)) for e in step.events] == [
        (EventKind.RELAY_FAULT, {"target": False, "attempts": 3, "observed": True})
    ]
    # The policy holds while faulted; new wishes send nothing.
    assert relay_want(step.tracker, True, True, now).send is None
    assert relay_observe(step.tracker, True, now).tracker.phase is RelayPhase.FAULT
    recovered = relay_observe(step.tracker, False, now + timedelta(minutes=5))
    assert recovered.tracker == RelayTracker(False)
    assert recovered.events[0].kind is EventKind.RELAY_RECOVERED
    # A landlord reset is a fresh tracker: the next wish is sent again.
    assert relay_want(RelayTracker(), False, True, now).send is False


def test_wrong_state_found_by_polling_is_corrected_and_logged() -> None:
    tracker = RelayTracker(True)
    assert relay_observe(tracker, True, T0).send is None
    step = relay_observe(tracker, False, T0)
    assert (step.send, step.read_back_at) == (True, T0 + ms(200))
    assert [(e.kind, dict(e.data)) for e in step.events] == [
        (EventKind.RELAY_CORRECTED, {"expected": True, "observed": False})
    ]
    assert relay_read_back(step.tracker, True, T0 + ms(200)).tracker == RelayTracker(True)


def test_observation_while_pending_waits_for_the_read_back() -> None:
    step = relay_want(RelayTracker(), True, False, T0)
    observed = relay_observe(step.tracker, False, T0 + ms(50))
    assert observed.send is None
    assert observed.tracker == step.tracker
    assert observed.read_back_at == T0 + ms(200)


def test_hold_never_corrects() -> None:
    step = relay_want(RelayTracker(True), None, True, T0)
    assert step.tracker.target is None
    assert relay_observe(step.tracker, False, T0).send is None
    assert relay_read_back(step.tracker, False, T0).send is None


def test_new_target_while_pending_replaces_the_command() -> None:
    step = relay_want(RelayTracker(), True, False, T0)
    switched = relay_want(step.tracker, False, None, T0 + ms(100))
    assert switched.send is False
    assert switched.tracker.attempt == 1


def test_target_of_policy_relay() -> None:
    assert [target_of(t) for t in RelayTarget] == [True, False, None]


def test_config_validation_and_short_delay_list() -> None:
    with pytest.raises(ValueError, match="attempts"):
        RelayConfig(max_attempts=0)
    config = RelayConfig(read_back_delays=(ms(100),), max_attempts=3)
    assert config.delay(3) == ms(100)


def test_stuck_relay_drives_the_policy_to_fault() -> None:
    """The loop the HA layer runs, against a relay that ignores commands."""
    relay_closed = True  # stuck
    memory = SupplyMemory()
    tracker = RelayTracker(True)
    now = T0
    decision = evaluate(replace(SETTINGS, grace_period=timedelta(0)), inputs("-5.00", now), memory)
    assert decision.state is SupplyState.CUT_OFF
    step = relay_want(tracker, target_of(decision.relay), relay_closed, now)
    while step.read_back_at is not None:
        now = step.read_back_at
        step = relay_read_back(step.tracker, relay_closed, now)
    faulted = evaluate(
        SETTINGS,
        inputs("-5.00", now, actuator_fault=step.tracker.phase is RelayPhase.FAULT),
        decision.memory,
    )
    assert faulted.state is SupplyState.FAULT
    assert faulted.relay is RelayTarget.HOLD
    assert now - T0 == ms(1700)
