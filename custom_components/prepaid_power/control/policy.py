"""The supply policy: one pure evaluation from settings, inputs and memory to a decision.

Precedence (BILLING.md "Supply policy"), first match wins: fault, protected, forced_off,
overload, scheduled_off, cut_off, friendly_hold, warning_cut, low, on.

Choices the contract leaves open, made here:
- Thresholds apply "at or below" the level; a warning re-arms when the balance is strictly
  above its level again.
- The cut-off zone is balance ≤ cut-off level, or, once a cut happened, balance ≤ cut-off
  level + auto-restore minimum (the hysteresis that makes restore-after-top-up clean).
- The grace period runs from the moment the balance first entered the cut-off zone, friendly
  hours or not: a balance exhausted at 23:00 with friendly hours until 07:00 and a 30-minute
  grace is cut at 07:00. `grant_grace` adds a landlord deadline on top.
- During friendly hours the policy never opens the relay for a balance reason: neither the
  cut-off nor the warning cut. A room already cut gets its supply back (friendly_hold), and
  a warning-level crossing is deferred until friendly hours end (reason
  `warning_cut_deferred`) — "never a surprise cut at night".
- Cut-off mode `automation`: when the cut is due the state is `cut_off` with reason
  `cut_off_due` and relay `HOLD` — the policy leaves the actuator as it is and does not
  correct it, so an automation may cut it (best with `set_supply off`, or by switching the
  actuator directly, in which case the policy closes it again once the cut is no longer due)
  or let it run. The warning cut is not affected by the mode: it is a separate opt-in
  (`warning_cut_level`) that tenants undo themselves.
- Bookkeeping (warnings, the cut-off latch, `cut_off_due`) runs whatever the state: a
  protected or metering-only room still gets its balance warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from .model import (
    CutOffMode,
    Decision,
    EventKind,
    Reason,
    RelayTarget,
    SupplyEvent,
    SupplyInputs,
    SupplyMemory,
    SupplySettings,
    SupplyState,
)

_RELAY_BY_STATE: dict[SupplyState, RelayTarget] = {
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


@dataclass(frozen=True, slots=True)
class _Overload:
    """Outcome of the overload step."""

    memory: SupplyMemory
    reason: Reason | None
    events: tuple[SupplyEvent, ...]
    wake_at: datetime | None


def in_cut_off_zone(settings: SupplySettings, memory: SupplyMemory, balance: Decimal) -> bool:
    """Whether the balance keeps (or puts) the room in the cut-off zone."""
    level = settings.cut_off_level
    if balance <= level:
        return True
    return memory.cut_off_latched and balance <= level + settings.auto_restore_minimum


def evaluate(settings: SupplySettings, inputs: SupplyInputs, memory: SupplyMemory) -> Decision:
    """Decide the room's supply state, relay target, reason, events and new memory."""
    now, balance = inputs.now, inputs.balance
    events: list[SupplyEvent] = []
    wake: list[datetime] = []

    # --- balance bookkeeping, independent of the resulting state -------------------------
    zone = in_cut_off_zone(settings, memory, balance)
    cut_off_since = (memory.cut_off_since or now) if zone else None
    latched = memory.cut_off_latched and zone
    grace_until = memory.grace_until
    if (
        grace_until is not None
        and not zone
        and (memory.cut_off_since is not None or now >= grace_until)
    ):
        # A grant covers one episode in the zone; a proactive one lasts until it expires.
        grace_until = None

    cut_due = False
    if zone and cut_off_since is not None and not inputs.friendly_hours:
        grace_end = cut_off_since + settings.grace_period
        if grace_until is not None:
            grace_end = max(grace_end, grace_until)
        cut_due = now >= grace_end
        if not cut_due:
            wake.append(grace_end)
    if cut_due:
        latched = True
        if not memory.cut_off_due:
            events.append(
                SupplyEvent(
                    EventKind.CUT_OFF_DUE,
                    {
                        "balance": balance,
                        "level": settings.cut_off_level,
                        "mode": settings.cut_off_mode.value,
                    },
                )
            )

    low_armed = memory.low_armed
    if settings.low_level is not None:
        if balance > settings.low_level:
            low_armed = True
        elif low_armed:
            low_armed = False
            events.append(
                SupplyEvent(
                    EventKind.BALANCE_LOW, {"balance": balance, "level": settings.low_level}
                )
            )

    w_level = settings.warning_cut_level
    w_armed, w_active = memory.warning_cut_armed, memory.warning_cut_active
    if w_level is None or balance > w_level:
        w_armed, w_active = True, False
    if zone:
        # Below the cut-off level the warning is moot; a later small top-up must not
        # trigger a warning cut for a crossing that happened on the way down.
        w_armed = False
    if cut_due:
        w_active = False

    memory = replace(
        memory,
        cut_off_since=cut_off_since,
        cut_off_latched=latched,
        grace_until=grace_until,
        cut_off_due=cut_due,
        low_armed=low_armed,
        warning_cut_armed=w_armed,
        warning_cut_active=w_active,
    )

    # --- precedence ---------------------------------------------------------------------
    state: SupplyState
    reason: Reason
    detail: str | None = None
    relay: RelayTarget | None = None
    if inputs.actuator_fault:
        state, reason = SupplyState.FAULT, Reason.ACTUATOR_FAULT
    elif memory.protected:
        state, reason = SupplyState.PROTECTED, Reason.PROTECTED
    elif memory.forced_off_reason is not None:
        state, reason = SupplyState.FORCED_OFF, Reason.FORCED_OFF
        detail = memory.forced_off_reason
    else:
        overload = _overload_step(settings, inputs, memory)
        memory = overload.memory
        events.extend(overload.events)
        if overload.wake_at is not None:
            wake.append(overload.wake_at)
        if overload.reason is not None:
            state, reason = SupplyState.OVERLOAD, overload.reason
        elif inputs.schedule_on is False:
            state, reason = SupplyState.SCHEDULED_OFF, Reason.SCHEDULE_OFF
        elif cut_due:
            state = SupplyState.CUT_OFF
            if settings.cut_off_mode is CutOffMode.AUTOMATIC:
                reason = Reason.BALANCE_EXHAUSTED
            else:
                reason, relay = Reason.CUT_OFF_DUE, RelayTarget.HOLD
        elif zone and inputs.friendly_hours:
            state, reason = SupplyState.FRIENDLY_HOLD, Reason.FRIENDLY_HOURS
        else:
            state, reason, memory = _warning_low_on(settings, inputs, memory, zone, events)
    if state in (SupplyState.FAULT, SupplyState.PROTECTED, SupplyState.FORCED_OFF):
        # Overload timers only run while overload protection could act.
        memory = replace(memory, over_limit_since=None)

    if memory.last_state is not None and state is not memory.last_state:
        events.append(
            SupplyEvent(
                EventKind.SUPPLY_CHANGED,
                {
                    "old_state": memory.last_state.value,
                    "new_state": state.value,
                    "reason": reason.value,
                    "detail": detail,
                    "balance": balance,
                },
            )
        )
    memory = replace(memory, last_state=state, last_reason=reason.value)
    return Decision(
        state=state,
        relay=relay or _RELAY_BY_STATE[state],
        reason=reason,
        memory=memory,
        events=tuple(events),
        detail=detail,
        cut_off_due=cut_due,
        next_evaluation=min((t for t in wake if t > now), default=None),
    )


def _warning_low_on(
    settings: SupplySettings,
    inputs: SupplyInputs,
    memory: SupplyMemory,
    zone: bool,
    events: list[SupplyEvent],
) -> tuple[SupplyState, Reason, SupplyMemory]:
    """The lower rules: warning_cut, low, on (with the reasons that explain a held cut)."""
    balance = inputs.balance
    w_level = settings.warning_cut_level
    if w_level is not None:
        crossing = memory.warning_cut_armed and balance <= w_level
        if inputs.friendly_hours:
            if memory.warning_cut_active or crossing:
                return _low_or_on(settings, balance), Reason.WARNING_CUT_DEFERRED, memory
        elif memory.warning_cut_active:
            return SupplyState.WARNING_CUT, Reason.WARNING_LEVEL_CROSSED, memory
        elif crossing:
            events.append(
                SupplyEvent(EventKind.WARNING_CUT, {"balance": balance, "level": w_level})
            )
            memory = replace(memory, warning_cut_armed=False, warning_cut_active=True)
            return SupplyState.WARNING_CUT, Reason.WARNING_LEVEL_CROSSED, memory
    if zone:
        # In the zone, outside friendly hours, not cut: the grace period holds the cut.
        return _low_or_on(settings, balance), Reason.GRACE_PERIOD, memory
    if settings.low_level is not None and balance <= settings.low_level:
        return SupplyState.LOW, Reason.BALANCE_LOW, memory
    return SupplyState.ON, Reason.BALANCE_OK, memory


def _low_or_on(settings: SupplySettings, balance: Decimal) -> SupplyState:
    """Supply on: low when at or below the low level (if any), else on."""
    if settings.low_level is not None and balance <= settings.low_level:
        return SupplyState.LOW
    return SupplyState.ON


def _overload_step(
    settings: SupplySettings, inputs: SupplyInputs, memory: SupplyMemory
) -> _Overload:
    """Advance overload protection: trip, wait, re-close, and lock out after too many trips."""
    limit = settings.power_limit_w
    now = inputs.now
    if limit is None:
        cleared = replace(
            memory,
            over_limit_since=None,
            overload_tripped_at=None,
            reclose_attempts=0,
            overload_locked=False,
        )
        return _Overload(cleared, None, (), None)
    if memory.overload_locked:
        return _Overload(memory, Reason.OVERLOAD_LOCKED, (), None)

    events: list[SupplyEvent] = []
    attempts = memory.reclose_attempts
    if memory.overload_tripped_at is not None:
        reclose_at = memory.overload_tripped_at + settings.reclose_delay
        if now < reclose_at:
            return _Overload(memory, Reason.OVERLOAD_TRIPPED, (), reclose_at)
        attempts += 1
        events.append(SupplyEvent(EventKind.OVERLOAD_RECLOSE, {"attempt": attempts}))
        memory = replace(
            memory, overload_tripped_at=None, over_limit_since=None, reclose_attempts=attempts
        )
    elif (
        attempts
        and memory.last_trip_at is not None
        and now >= memory.last_trip_at + settings.overload_reset_after
    ):
        attempts = 0
        memory = replace(memory, reclose_attempts=0)

    power = inputs.power_w
    if power is None or power <= limit:
        wake = None
        if attempts and memory.last_trip_at is not None:
            wake = memory.last_trip_at + settings.overload_reset_after
        return _Overload(replace(memory, over_limit_since=None), None, tuple(events), wake)

    since = memory.over_limit_since or now
    trip_at = since + settings.overload_duration
    if now < trip_at:
        return _Overload(replace(memory, over_limit_since=since), None, tuple(events), trip_at)
    locked = attempts >= settings.max_reclose_attempts
    next_reclose = None if locked else now + settings.reclose_delay
    events.append(
        SupplyEvent(
            EventKind.OVERLOAD_TRIP,
            {
                "power_w": power,
                "limit_w": limit,
                "trip": attempts + 1,
                "locked": locked,
                "reclose_at": next_reclose.isoformat() if next_reclose else None,
            },
        )
    )
    memory = replace(
        memory,
        over_limit_since=None,
        last_trip_at=now,
        overload_tripped_at=None if locked else now,
        overload_locked=locked,
    )
    reason = Reason.OVERLOAD_LOCKED if locked else Reason.OVERLOAD_TRIPPED
    return _Overload(memory, reason, tuple(events), next_reclose)


def evaluate_vacant(inputs: SupplyInputs, memory: SupplyMemory, preset_kwh: Decimal) -> Decision:
    """A room without a tenancy: supply off, or on while the landlord-paid preset lasts.

    The landlord's overrides and the supply schedule still come first; nobody's balance is
    involved, so no balance events fire.
    """
    state, relay, reason = SupplyState.CUT_OFF, RelayTarget.OPEN, Reason.VACANT
    if inputs.actuator_fault:
        state, relay, reason = SupplyState.FAULT, RelayTarget.HOLD, Reason.ACTUATOR_FAULT
    elif memory.protected:
        state, relay, reason = SupplyState.PROTECTED, RelayTarget.CLOSED, Reason.PROTECTED
    elif memory.forced_off_reason is not None:
        state, relay, reason = SupplyState.FORCED_OFF, RelayTarget.OPEN, Reason.FORCED_OFF
    elif inputs.schedule_on is False:
        state, relay, reason = SupplyState.SCHEDULED_OFF, RelayTarget.OPEN, Reason.SCHEDULE_OFF
    elif preset_kwh > 0:
        state, relay, reason = SupplyState.ON, RelayTarget.CLOSED, Reason.VACANT_PRESET
    return Decision(state=state, relay=relay, reason=reason, memory=memory)
