"""Relay confirmation: a pure state machine telling the HA layer what to send and when to read.

The HA layer does the I/O and calls:
- `relay_want` whenever the policy's relay target is known (every decision),
- `relay_read_back` with what the command's read-back showed (None: the read failed),
- `relay_observe` whenever routine polling reads the relay anyway.
Each returns a `RelayStep`: the new tracker, a command to send now (or None), when to read
back next (or None) and events to fire. `RelayTracker.phase is RelayPhase.FAULT` is the
policy's `actuator_fault` input; a landlord "try again" (repair flow) is a fresh
`RelayTracker()`, after which the next `relay_want` sends the command again.

The machine can pace several attempts itself (`RelayConfig`); the integration runs it with
one attempt and no read-back delay, because its actuators retry by themselves: one attempt
of the machine is one `async_switch`, whose retries with backoff are `bus.relay`'s
`confirm_switch` (the one retry loop), and its result goes to `relay_read_back` at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from .model import EventKind, RelayTarget, SupplyEvent, require_aware


class RelayPhase(StrEnum):
    """Where the confirmation machine is."""

    IDLE = "idle"  # in sync with the target (or no target)
    PENDING = "pending"  # a command was sent, its read-back is awaited
    FAULT = "fault"  # not confirmed after every attempt; needs a match or a reset


@dataclass(frozen=True, slots=True)
class RelayConfig:
    """Read-back delays per attempt (the last one repeats) and the number of attempts."""

    read_back_delays: tuple[timedelta, ...] = (
        timedelta(seconds=0.2),
        timedelta(seconds=0.5),
        timedelta(seconds=1),
    )
    max_attempts: int = 3

    def __post_init__(self) -> None:
        """At least one attempt, and a delay to wait for it."""
        if self.max_attempts < 1 or not self.read_back_delays:
            msg = "need max_attempts >= 1 and at least one read-back delay"
            raise ValueError(msg)

    def delay(self, attempt: int) -> timedelta:
        """How long to wait before reading back after the `attempt`-th command (1-based)."""
        return self.read_back_delays[min(attempt, len(self.read_back_delays)) - 1]


@dataclass(frozen=True, slots=True)
class RelayTracker:
    """The machine's state; `target` True = closed (supply on), None = leave as it is."""

    target: bool | None = None
    phase: RelayPhase = RelayPhase.IDLE
    attempt: int = 0
    first_sent_at: datetime | None = None
    read_back_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RelayStep:
    """What the HA layer does next."""

    tracker: RelayTracker
    send: bool | None = None  # command to send now: True close, False open
    read_back_at: datetime | None = None
    events: tuple[SupplyEvent, ...] = ()


def target_of(relay: RelayTarget) -> bool | None:
    """The policy's relay target as the machine's: closed True, open False, hold None."""
    return {RelayTarget.CLOSED: True, RelayTarget.OPEN: False, RelayTarget.HOLD: None}[relay]


def _send(tracker: RelayTracker, target: bool, now: datetime, config: RelayConfig) -> RelayStep:
    """Send the first attempt of a new command."""
    at = now + config.delay(1)
    new = RelayTracker(target, RelayPhase.PENDING, 1, now, at)
    return RelayStep(new, send=target, read_back_at=at)


def relay_want(
    tracker: RelayTracker,
    target: bool | None,
    observed: bool | None,
    now: datetime,
    config: RelayConfig | None = None,
) -> RelayStep:
    """The policy wants `target`; `observed` is the last known relay state (None: unknown).

    `observed` only spares a command when the target changes and no command is in flight
    (while one is, the relay may be switching: what was seen before says nothing); drift
    from an unchanged target is `relay_observe`'s job.
    """
    require_aware(now)
    now = now.astimezone(UTC)
    config = config or RelayConfig()
    if tracker.phase is RelayPhase.FAULT:
        # Nothing can be done until the relay is seen in its target state or reset; the
        # policy itself holds (state fault) meanwhile.
        return RelayStep(tracker)
    if target is None:
        return RelayStep(RelayTracker())
    if target == tracker.target:
        return RelayStep(tracker, read_back_at=tracker.read_back_at)
    if observed is target and tracker.phase is not RelayPhase.PENDING:
        return RelayStep(RelayTracker(target))
    return _send(tracker, target, now, config)


def relay_read_back(
    tracker: RelayTracker,
    observed: bool | None,
    now: datetime,
    config: RelayConfig | None = None,
) -> RelayStep:
    """The read-back after a command: confirm, retry with the next delay, or give up (fault)."""
    require_aware(now)
    now = now.astimezone(UTC)
    config = config or RelayConfig()
    if tracker.phase is not RelayPhase.PENDING or tracker.target is None:
        return RelayStep(tracker)
    if observed is tracker.target:
        started = tracker.first_sent_at or now
        event = SupplyEvent(
            EventKind.RELAY_CONFIRMED,
            {
                "target": tracker.target,
                "attempts": tracker.attempt,
                "latency_s": (now - started).total_seconds(),
            },
        )
        return RelayStep(RelayTracker(tracker.target), events=(event,))
    if tracker.attempt >= config.max_attempts:
        event = SupplyEvent(
            EventKind.RELAY_FAULT,
            {"target": tracker.target, "attempts": tracker.attempt, "observed": observed},
        )
        faulted = replace(tracker, phase=RelayPhase.FAULT, read_back_at=None)
        return RelayStep(faulted, events=(event,))
    attempt = tracker.attempt + 1
    at = now + config.delay(attempt)
    retried = replace(tracker, attempt=attempt, read_back_at=at)
    return RelayStep(retried, send=tracker.target, read_back_at=at)


def relay_observe(
    tracker: RelayTracker,
    observed: bool,
    now: datetime,
    config: RelayConfig | None = None,
) -> RelayStep:
    """A routine reading of the relay: correct a wrong state, or recover from a fault."""
    require_aware(now)
    now = now.astimezone(UTC)
    config = config or RelayConfig()
    if tracker.target is None or tracker.phase is RelayPhase.PENDING:
        return RelayStep(tracker, read_back_at=tracker.read_back_at)
    if tracker.phase is RelayPhase.FAULT:
        if observed is tracker.target:
            event = SupplyEvent(EventKind.RELAY_RECOVERED, {"target": tracker.target})
            return RelayStep(RelayTracker(tracker.target), events=(event,))
        return RelayStep(tracker)
    if observed is tracker.target:
        return RelayStep(tracker)
    # Someone switched it at the meter (or the meter restarted in its default state).
    step = _send(tracker, tracker.target, now, config)
    event = SupplyEvent(
        EventKind.RELAY_CORRECTED, {"expected": tracker.target, "observed": observed}
    )
    return replace(step, events=(event,))
