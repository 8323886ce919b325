"""Supply control in HA: a room's inputs, the pure decision, and the effects that follow.

The rules live in the pure `control` package. Per room and evaluation the coordinator
- gathers the inputs (`SupplyControl.inputs`: the billed summary, the meter's reading, what
  the actuator shows, the friendly-hours and schedule helpers, the relay machine's state),
- calls `decide` (pure: no HA, no I/O), which returns the policy's decision, the room's new
  `ControlState` and the effects as data (events to fire, a relay command to start, a
  timer or an early read to set, a relay-fault repair to raise or clear, log lines),
- and has `SupplyControl.apply` perform the effects.

Relay confirmation: one retry loop, the actuator's `async_switch` (write, read back, retry
with backoff); the `RelayTracker` runs with one attempt and a zero read-back delay, so an
unconfirmed `async_switch` is straight away a `fault`. A landlord `set_supply` (any state)
starts a fresh tracker: that is the "try again" after a fault is fixed. A relay seen in its
target state again recovers by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
import logging
from typing import Any, Protocol

from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import (
    CALLBACK_TYPE,
    Context,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_state_change_event,
)
from homeassistant.util import dt as dt_util

from .billing.core import BillingCore, RoomSummary
from .billing.money import Currency
from .bus.client import ModbusBus, Priority
from .bus.decode import decode_register
from .bus.planner import MeterRequest, plan_reads
from .bus.poll import MeterReading
from .bus.relay import RelayResult, confirm_switch, switch_relay
from .const import (
    ACTUATOR_BOARD,
    ACTUATOR_METER_RELAY,
    ACTUATOR_SWITCH,
    CONF_ACTUATOR_KIND,
    CONF_BOARD,
    CONF_CHANNEL,
    CONF_FRIENDLY_HOURS_ENTITY,
    CONF_SCHEDULES,
    CONF_SUPPLY_SCHEDULE_ENTITY,
    CONF_SWITCH_ENTITY,
    DOMAIN,
    EVENT_BALANCE_LOW,
    EVENT_CUT_OFF_DUE,
    EVENT_FAULT,
    EVENT_SUPPLY_CHANGED,
    LOGGER,
)
from .control import (
    Decision,
    EventKind,
    Reason,
    RelayConfig,
    RelayPhase,
    RelayStep,
    RelayTarget,
    RelayTracker,
    SupplyInputs,
    SupplyMemory,
    SupplyState,
    evaluate,
    evaluate_vacant,
    relay_observe,
    relay_read_back,
    relay_want,
    target_of,
)
from .profiles import Profile
from .rooms import Room, Rooms, event_data

# States in which the policy wants the relay closed: the supply is on.
SUPPLY_ON_STATES = frozenset(
    {SupplyState.PROTECTED, SupplyState.FRIENDLY_HOLD, SupplyState.LOW, SupplyState.ON}
)
# Off for a reason other than the tenant's credit: the landlord's, a schedule's, overload.
OTHER_OFF_STATES = frozenset(
    {SupplyState.FORCED_OFF, SupplyState.SCHEDULED_OFF, SupplyState.OVERLOAD}
)
# The actuator retries by itself; one tracker attempt = one actuator command with retries.
TRACKER_CONFIG = RelayConfig(read_back_delays=(timedelta(seconds=0),), max_attempts=1)
SWITCH_ATTEMPTS = 3
SWITCH_CONFIRM_S = 2.0
SWITCH_BACKOFF_S = 0.5
ISSUE_RELAY_FAULT = "relay_fault"
ISSUE_METER_FAULT = "meter_fault"
# Early read: when the balance will reach the cut-off level before the next poll, the room's
# energy register is read (ahead of polling) just after the projected instant.
EARLY_READ_MIN = timedelta(seconds=0.25)
EARLY_READ_REPEAT = timedelta(seconds=0.3)
EARLY_READ_HORIZON = 3


class Actuator(Protocol):
    """What switches a room's supply."""

    def observed(self, readings: Mapping[int, MeterReading]) -> bool | None:
        """The actuator's state as last seen (True closed); None when unknown or seen before
        its last command finished (such a reading says nothing about the command's result)."""

    async def async_switch(self, on: bool) -> RelayResult:
        """Switch, read back and retry; never raises for a device that does not answer."""

    @property
    def entity_ids(self) -> tuple[str, ...]:
        """HA entities whose state changes are the actuator's own readings."""


@dataclass(slots=True)
class BusActuator:
    """A meter's own relay, or a relay-board channel, on the gateway's bus."""

    bus: ModbusBus
    slave_id: int
    profile: Profile
    channel: int = 0
    serial: int | None = None
    # Command and observation order by the bus's request numbers, not by clocks: a poll's
    # reading is stamped when the meter's last transaction ends, which may be after a
    # command that its relay read preceded.
    _commanded: int = field(default=0, init=False)

    @property
    def entity_ids(self) -> tuple[str, ...]:
        """Read by the poll, not through HA entities."""
        return ()

    def observed(self, readings: Mapping[int, MeterReading]) -> bool | None:
        """The relay channel as the last poll read it, if read after the last command."""
        reading = readings.get(self.slave_id)
        relay = self.profile.relay
        if reading is None or relay is None:
            return None
        if reading.relays_order is None or reading.relays_order < self._commanded:
            return None
        return reading.relays.get(relay.state_key(self.channel))

    async def async_switch(self, on: bool) -> RelayResult:
        """Write ahead of polling (Priority.COMMAND) and read back."""
        try:
            return await switch_relay(
                self.bus, self.slave_id, self.profile, on, self.channel, self.serial
            )
        finally:
            # Requests made from now on run after the command: only they show its result.
            self._commanded = self.bus.submitted


def _switch_state(state: State | None) -> bool | None:
    """A switch entity's state as the supply: on closed, off open, anything else unknown."""
    if state is None or state.state not in (STATE_ON, STATE_OFF):
        return None
    return state.state == STATE_ON


@dataclass(slots=True)
class SwitchActuator:
    """Any HA switch entity (a smart contactor, a plug): confirmed by its state."""

    hass: HomeAssistant
    entity_id: str
    _commanded_at: datetime | None = field(default=None, init=False)

    @property
    def entity_ids(self) -> tuple[str, ...]:
        """The switch itself."""
        return (self.entity_id,)

    def observed(self, readings: Mapping[int, MeterReading]) -> bool | None:
        """The entity's state (on closed, off open, anything else unknown), if written
        after the last command."""
        state = self.hass.states.get(self.entity_id)
        if self._commanded_at is not None and (
            state is None or state.last_updated < self._commanded_at
        ):
            return None
        return _switch_state(state)

    def _current(self) -> bool | None:
        return _switch_state(self.hass.states.get(self.entity_id))

    async def async_switch(self, on: bool) -> RelayResult:
        """Call turn_on/turn_off and wait for the state to follow; retry with backoff."""
        try:
            return await self._async_switch(on)
        finally:
            self._commanded_at = dt_util.utcnow()

    async def _async_switch(self, on: bool) -> RelayResult:
        domain = self.entity_id.split(".", 1)[0]

        async def attempt() -> tuple[bool | None, str | None]:
            error: str | None = None
            try:
                await self.hass.services.async_call(
                    domain,
                    "turn_on" if on else "turn_off",
                    {"entity_id": self.entity_id},
                    blocking=True,
                )
            except Exception as err:  # any integration's error is a failed try
                error = f"{type(err).__name__}: {err}"
            # The entity's state follows its device: give it a moment to show the command.
            loop = asyncio.get_running_loop()
            deadline = loop.time() + SWITCH_CONFIRM_S
            while True:
                state = self._current()
                if state is on or loop.time() >= deadline:
                    break
                await asyncio.sleep(0.05)
            return state, error or (None if state is on else f"state {state}, wanted {on}")

        return await confirm_switch(
            attempt, on, attempts=SWITCH_ATTEMPTS, backoff_s=SWITCH_BACKOFF_S
        )


# --- the pure step: inputs -> decision, control state, effects -----------------------


@dataclass(frozen=True, slots=True)
class FireEvent:
    """Fire an HA event."""

    event_type: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Log:
    """Write a log line."""

    level: int
    message: str
    args: tuple[object, ...] = ()


@dataclass(frozen=True, slots=True)
class StartCommand:
    """Start the relay command (the tracker is pending and no command is under way)."""

    balance: Decimal


@dataclass(frozen=True, slots=True)
class SetTimer:
    """Decide the room again at `at` (None: no timer)."""

    at: datetime | None


@dataclass(frozen=True, slots=True)
class SetEarlyRead:
    """Read the room's energy register ahead of polling at `at` (None: no early read)."""

    at: datetime | None


@dataclass(frozen=True, slots=True)
class RaiseRelayFault:
    """The actuator did not confirm: the room's relay-fault repair issue."""

    message: str


@dataclass(frozen=True, slots=True)
class ClearRelayFault:
    """The relay is confirmed again: its repair issue goes."""


@dataclass(frozen=True, slots=True)
class RaiseMeterFault:
    """The meter reports a fault itself (its relay cannot open): the room's repair issue."""

    fault: str


@dataclass(frozen=True, slots=True)
class ClearMeterFault:
    """The meter no longer reports its fault: its repair issue goes."""


type Effect = (
    FireEvent
    | Log
    | StartCommand
    | SetTimer
    | SetEarlyRead
    | RaiseRelayFault
    | ClearRelayFault
    | RaiseMeterFault
    | ClearMeterFault
)


@dataclass(frozen=True, slots=True)
class ControlState:
    """A room's relay machine and supply timers, as the decision sees and leaves them."""

    tracker: RelayTracker = field(default_factory=RelayTracker)
    # The actuator's state as last seen (True closed).
    observed: bool | None = None
    # Power read before the last command finished says nothing about the load now.
    commanded_at: datetime | None = None
    # The series of early reads around a projected crossing ends here.
    early_until: datetime | None = None
    # The pending timer's instant (None: no timer).
    timer_at: datetime | None = None
    fault_error: str | None = None
    # A fault the room's meter reports itself (`MeterReading.fault`, e.g. its relay cannot
    # open), kept while the meter is not read.
    meter_fault: str | None = None

    @property
    def fault(self) -> bool:
        """The actuator did not confirm a command (the relay machine's fault)."""
        return self.tracker.phase is RelayPhase.FAULT

    @property
    def faulty(self) -> bool:
        """The policy's `actuator_fault`: the relay machine's fault or the meter's own."""
        return self.fault or self.meter_fault is not None


@dataclass(frozen=True, slots=True)
class RoomInputs:
    """Everything one decision about a room depends on."""

    room: Room
    memory: SupplyMemory
    summary: RoomSummary
    vacant: bool
    reading: MeterReading | None
    control: ControlState
    currency: Currency
    now: datetime
    has_actuator: bool = False
    # A relay command is under way: the relay may be switching.
    commanding: bool = False
    # The actuator's state if seen after its last command finished, else None.
    seen: bool | None = None
    friendly_hours: bool = False
    schedule_on: bool | None = None
    # This decision follows an early read (inside a series of them).
    early_reading: bool = False
    # The smallest step of the room's energy counter (kWh); 0 for float registers.
    resolution: float = 0.0
    poll_interval: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What `decide` returns: the decision, the room's new control state, the effects."""

    decision: Decision
    control: ControlState
    effects: tuple[Effect, ...]


def supply_on(state: SupplyState | None, relay: RelayTarget, observed: bool | None) -> bool:
    """Whether the room has power: the target, or what the actuator shows when held."""
    if relay is RelayTarget.HOLD:
        return bool(observed)
    return state in SUPPLY_ON_STATES


def decide(inputs: RoomInputs) -> Outcome:
    """Evaluate a room after billing: the policy's decision and what must happen (pure).

    A vacant room is off, or on while its landlord-paid preset lasts; it fires no supply
    events and sets no timers. A tenant's room: a relay seen in its target state recovers
    from a fault first, then the policy decides, then the relay machine follows the target.
    (The new control state is built once, at the end: this runs for every room every poll.)
    """
    effects: list[Effect] = []
    control = inputs.control
    meter_fault = _meter_fault(inputs, effects)
    seen = inputs.seen
    observed = control.observed if seen is None else seen
    tracker = control.tracker
    balance = inputs.summary.live_balance
    if inputs.vacant or balance is None:
        decision = evaluate_vacant(
            _policy_inputs(inputs, tracker, meter_fault, Decimal(0), None),
            inputs.memory,
            inputs.summary.allowance_left_kwh,
        )
        tracker = _drive(inputs, tracker, observed, decision, Decimal(0), effects)
        state = ControlState(
            tracker,
            observed,
            control.commanded_at,
            control.early_until,
            control.timer_at,
            control.fault_error,
            meter_fault,
        )
        return Outcome(decision, state, tuple(effects))
    if seen is not None and tracker.phase is RelayPhase.FAULT:
        # Seen in its target state again (fixed at the meter): recover before deciding.
        step = relay_observe(tracker, seen, inputs.now)
        relay_events(inputs.room, inputs.currency, control.fault_error, step, balance, effects)
        tracker = step.tracker
    power = None if inputs.reading is None else inputs.reading.values.get("power")
    decision = evaluate(
        inputs.room.settings,
        _policy_inputs(inputs, tracker, meter_fault, balance, power),
        inputs.memory,
    )
    effects += _events(inputs, observed, decision, balance)
    tracker = _drive(inputs, tracker, observed, decision, balance, effects)
    when = decision.next_evaluation
    if when != control.timer_at:
        # Most polls decide the same: a timer already due then stays.
        effects.append(SetTimer(when))
    early_until, early_at = _early_read(inputs, decision, balance)
    effects.append(SetEarlyRead(early_at))
    state = ControlState(
        tracker, observed, control.commanded_at, early_until, when, control.fault_error, meter_fault
    )
    return Outcome(decision, state, tuple(effects))


def _policy_inputs(
    inputs: RoomInputs,
    tracker: RelayTracker,
    meter_fault: str | None,
    balance: Decimal,
    power: float | None,
) -> SupplyInputs:
    return SupplyInputs(
        now=inputs.now,
        balance=balance,
        friendly_hours=inputs.friendly_hours,
        schedule_on=inputs.schedule_on,
        actuator_fault=tracker.phase is RelayPhase.FAULT or meter_fault is not None,
        power_w=power,
    )


def _meter_fault(inputs: RoomInputs, effects: list[Effect]) -> str | None:
    """The fault the room's meter reports (kept while the meter is not read), and the
    effects of a change: its repair issue and fault event, or their end."""
    known = inputs.control.meter_fault
    reading = inputs.reading
    if reading is None or not reading.complete or reading.fault == known:
        return known
    room = inputs.room
    if reading.fault is None:
        effects += (
            ClearMeterFault(),
            Log(logging.INFO, "Room %s: the meter no longer reports a fault", (room.name,)),
        )
        return None
    fault = reading.fault.replace("_", " ")
    message = f"the meter reports: {fault}"
    effects += (
        Log(logging.ERROR, "Room %s: %s", (room.name, message)),
        RaiseMeterFault(fault),
        FireEvent(
            EVENT_FAULT,
            event_data(
                room,
                inputs.currency,
                inputs.summary.live_balance,
                kind=ISSUE_METER_FAULT,
                message=message,
            ),
        ),
    )
    return reading.fault


def _events(
    inputs: RoomInputs, observed: bool | None, decision: Decision, balance: Decimal
) -> list[Effect]:
    room, currency, summary = inputs.room, inputs.currency, inputs.summary
    effects: list[Effect] = []
    for event in decision.events:
        data = event.data
        if event.kind is EventKind.SUPPLY_CHANGED:
            old = SupplyState(str(data["old_state"]))
            was_on = old in SUPPLY_ON_STATES or (old is SupplyState.FAULT and bool(observed))
            effects += (
                FireEvent(
                    EVENT_SUPPLY_CHANGED,
                    event_data(
                        room,
                        currency,
                        balance,
                        old_state=data["old_state"],
                        new_state=data["new_state"],
                        reason=data["reason"],
                        detail=data.get("detail"),
                        supply_on=supply_on(decision.state, decision.relay, observed),
                        was_on=was_on,
                    ),
                ),
                Log(
                    logging.INFO,
                    "Room %s: supply %s -> %s (%s)",
                    (room.name, data["old_state"], data["new_state"], data["reason"]),
                ),
            )
        elif event.kind is EventKind.CUT_OFF_DUE:
            effects.append(
                FireEvent(
                    EVENT_CUT_OFF_DUE,
                    event_data(
                        room,
                        currency,
                        balance,
                        reason=decision.reason.value,
                        mode=data.get("mode"),
                        level=data.get("level"),
                    ),
                )
            )
        elif event.kind is EventKind.BALANCE_LOW:
            days = summary.days_of_credit_left
            effects.append(
                FireEvent(
                    EVENT_BALANCE_LOW,
                    event_data(
                        room,
                        currency,
                        balance,
                        level=data.get("level"),
                        days_left=None if days is None else float(days),
                    ),
                )
            )
        else:
            effects.append(
                Log(logging.INFO, "Room %s: %s %s", (room.name, event.kind.value, dict(data)))
            )
    return effects


def _drive(  # noqa: PLR0917
    inputs: RoomInputs,
    tracker: RelayTracker,
    observed: bool | None,
    decision: Decision,
    balance: Decimal,
    effects: list[Effect],
) -> RelayTracker:
    """Bring the actuator to the decision's target: command now, or correct drift."""
    if not inputs.has_actuator:
        return tracker
    room, currency, error = inputs.room, inputs.currency, inputs.control.fault_error
    target = target_of(decision.relay)
    # A command under way (the vacant room's opening, say) may still switch the relay:
    # what was seen before it cannot spare the next one.
    step = relay_want(
        tracker, target, None if inputs.commanding else observed, inputs.now, TRACKER_CONFIG
    )
    relay_events(room, currency, error, step, balance, effects)
    tracker = step.tracker
    if inputs.seen is not None and step.send is None:
        step = relay_observe(tracker, inputs.seen, inputs.now, TRACKER_CONFIG)
        relay_events(room, currency, error, step, balance, effects)
        tracker = step.tracker
    if tracker.phase is RelayPhase.PENDING and not inputs.commanding:
        effects.append(StartCommand(balance))
    return tracker


def relay_events(  # noqa: PLR0917
    room: Room,
    currency: Currency,
    error: str | None,
    step: RelayStep,
    balance: Decimal | None,
    effects: list[Effect],
) -> None:
    """A relay machine step's events as effects (appended); `error` is the actuator's last."""
    for event in step.events:
        data = event.data
        if event.kind is EventKind.RELAY_FAULT:
            target = "close" if data.get("target") else "open"
            message = f"the relay did not {target}: {error or 'no answer'}"
            effects += (
                Log(logging.ERROR, "Room %s: %s", (room.name, message)),
                RaiseRelayFault(message),
                FireEvent(
                    EVENT_FAULT,
                    event_data(room, currency, balance, kind=ISSUE_RELAY_FAULT, message=message),
                ),
            )
        elif event.kind in (EventKind.RELAY_RECOVERED, EventKind.RELAY_CONFIRMED):
            effects += (
                ClearRelayFault(),
                Log(logging.DEBUG, "Room %s: %s %s", (room.name, event.kind.value, dict(data))),
            )
        elif event.kind is EventKind.RELAY_CORRECTED:
            effects.append(
                Log(
                    logging.WARNING,
                    "Room %s: relay found %s, expected %s (switched at the meter?); correcting",
                    (
                        room.name,
                        "closed" if data.get("observed") else "open",
                        "closed" if data.get("expected") else "open",
                    ),
                )
            )


def _early_read(
    inputs: RoomInputs, decision: Decision, balance: Decimal
) -> tuple[datetime | None, datetime | None]:
    """When to read the meter around the instant the balance is projected to reach the
    cut-off level, if that may come before the next poll: the cut then follows the crossing.
    Returns the end of the series of early reads and the next one's instant.

    The counter only moves in steps of its resolution, so the projection is uncertain by
    one step: reads start one step early and repeat until the crossing shows, one step
    after the projection at the latest.
    """
    room, summary, now, reading = inputs.room, inputs.summary, inputs.now, inputs.reading
    control = inputs.control
    price = summary.current_price
    interval = inputs.poll_interval
    if (
        interval is None
        or room.energy_key is None
        or decision.relay is not RelayTarget.CLOSED
        or price is None
        or price <= 0
    ):
        return None, None
    kwh_left = float((balance - room.settings.cut_off_level) / price)
    if kwh_left <= 0:
        return None, None
    if control.early_until is not None and inputs.early_reading:
        # Inside a series: the last early read did not show the crossing yet.
        if now < control.early_until:
            return control.early_until, now + EARLY_READ_REPEAT
        return None, None
    if (
        reading is not None
        and reading.read_at is not None
        # Power read before the last relay command says nothing about the load now.
        and (control.commanded_at is None or reading.read_at >= control.commanded_at)
        and (power := reading.values.get("power")) is not None
        and power > 0
    ):
        # Projected from the moment the meter was read, whenever this decision runs.
        kw = power / 1000
        step = inputs.resolution
        first = reading.read_at + timedelta(hours=max(kwh_left - step, 0) / kw)
        # The next reading of this meter comes a poll interval plus a cycle later;
        # planning further ahead is harmless: every poll plans afresh.
        if first - now < EARLY_READ_HORIZON * interval:
            until = reading.read_at + timedelta(hours=(kwh_left + step) / kw) + EARLY_READ_REPEAT
            return until, max(first, now + EARLY_READ_MIN)
    return None, None


# --- the HA side: inputs in, effects out ----------------------------------------------


@dataclass(slots=True)
class RoomControl:
    """One room's actuator, helpers, command task and timers; `state` is what `decide`
    reads and returns (written by `SupplyControl` only)."""

    actuator: Actuator | None
    friendly_hours_entity: str | None = None
    schedule_entity: str | None = None
    state: ControlState = field(default_factory=ControlState)
    task: asyncio.Task[None] | None = None
    unsub_timer: CALLBACK_TYPE | None = None
    unsub_early_read: CALLBACK_TYPE | None = None
    # The last decision cuts the supply for want of credit (the tenant's balance: CUT_OFF,
    # not vacant), or keeps it off for another reason (landlord, schedule, overload).
    credit_cut: bool = False
    other_off: bool = False
    # What the ledger holds: a cut for want of credit is open (None: not known yet).
    cut_recorded: bool | None = None

    @property
    def fault(self) -> bool:
        """The actuator did not confirm a command (the policy's `actuator_fault`)."""
        return self.state.fault


class SupplyControl:
    """The supply of every room of one gateway: actuators, helpers, and the effects of the
    coordinator's decisions (events, relay commands, timers, repairs)."""

    def __init__(
        self,
        hass: HomeAssistant,
        rooms: Rooms,
        bus: ModbusBus,
        meters: Mapping[int, tuple[Profile, int | None]],
    ) -> None:
        """Build each room's actuator; `start` follows the helpers."""
        self.hass = hass
        self._rooms = rooms
        self._bus = bus
        self._profiles = {slave: profile for slave, (profile, _serial) in meters.items()}
        self._reevaluate: Callable[[str, Context | None], None] = lambda _room, _context: None
        self._early_read: Callable[[str], None] = lambda _room: None
        self._notify: Callable[[Context | None], None] = lambda _context: None
        self._unsubs: list[CALLBACK_TYPE] = []
        self.controls: dict[str, RoomControl] = {}
        entry = rooms.entry
        for room_id in rooms.rooms:
            data = entry.subentries[room_id].data
            schedules: Mapping[str, Any] = data.get(CONF_SCHEDULES, {})
            self.controls[room_id] = RoomControl(
                self._actuator(bus, meters, data),
                friendly_hours_entity=schedules.get(CONF_FRIENDLY_HOURS_ENTITY) or None,
                schedule_entity=schedules.get(CONF_SUPPLY_SCHEDULE_ENTITY) or None,
            )

    # --- lifecycle ----------------------------------------------------------------------

    def start(
        self,
        *,
        reevaluate: Callable[[str, Context | None], None],
        early_read: Callable[[str], None],
        notify: Callable[[Context | None], None],
    ) -> None:
        """Follow each room's helper entities; what needs a new decision is handed back to
        the coordinator (`reevaluate`, `early_read`), as is a finished command (`notify`)."""
        self._reevaluate = reevaluate
        self._early_read = early_read
        self._notify = notify
        watched: dict[str, set[str]] = {}
        for room_id, control in self.controls.items():
            actuator = control.actuator
            for entity_id in (
                control.friendly_hours_entity,
                control.schedule_entity,
                *(actuator.entity_ids if actuator else ()),
            ):
                if entity_id:
                    watched.setdefault(entity_id, set()).add(room_id)
        if watched:

            @callback
            def changed(event: Event[EventStateChangedData]) -> None:
                # What the helper's change causes carries its context (as template entities do).
                for room_id in watched.get(event.data["entity_id"], ()):
                    self._reevaluate(room_id, event.context)

            self._unsubs.append(async_track_state_change_event(self.hass, list(watched), changed))

    def _actuator(
        self,
        bus: ModbusBus,
        meters: Mapping[int, tuple[Profile, int | None]],
        data: Mapping[str, Any],
    ) -> Actuator | None:
        kind = data.get(CONF_ACTUATOR_KIND, ACTUATOR_METER_RELAY)
        if kind == ACTUATOR_SWITCH and data.get(CONF_SWITCH_ENTITY):
            return SwitchActuator(self.hass, data[CONF_SWITCH_ENTITY])
        if kind == ACTUATOR_METER_RELAY:
            slave_id, channel = data["meter"], 0
        elif kind == ACTUATOR_BOARD and data.get(CONF_BOARD) is not None:
            slave_id, channel = int(data[CONF_BOARD]), int(data.get(CONF_CHANNEL, 1)) - 1
        else:
            return None
        meter = meters.get(slave_id)
        if meter is None or meter[0].relay is None:
            LOGGER.warning("No relay on meter %s: the room's supply is not switched", slave_id)
            return None
        profile, serial = meter
        return BusActuator(bus, slave_id, profile, channel, serial)

    def stop(self) -> None:
        """Stop following helpers and timers (commands in flight finish on their own)."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        for control in self.controls.values():
            for pending in (control.unsub_timer, control.unsub_early_read):
                if pending is not None:
                    pending()
            control.unsub_timer = None
            control.unsub_early_read = None

    # --- inputs -------------------------------------------------------------------------

    def inputs(
        self,
        room: Room,
        summary: RoomSummary,
        tenant: str | None,
        readings: Mapping[int, MeterReading],
        now: datetime,
        *,
        early_reading: bool = False,
        poll_interval: timedelta | None = None,
    ) -> RoomInputs | None:
        """What a decision about the room depends on; None for a room without control."""
        control = self.controls.get(room.subentry_id)
        if control is None:
            return None
        actuator = control.actuator
        commanding = control.task is not None
        seen = None
        if actuator is not None and not commanding:
            # Read after the last command finished, else None: such a reading says nothing
            # about the command's result.
            seen = actuator.observed(readings)
        friendly = False
        if control.friendly_hours_entity:
            state = self.hass.states.get(control.friendly_hours_entity)
            friendly = state is not None and state.state == STATE_ON
        schedule_on: bool | None = None
        if control.schedule_entity:
            state = self.hass.states.get(control.schedule_entity)
            if state is not None and state.state in (STATE_ON, STATE_OFF):
                schedule_on = state.state == STATE_ON
        return RoomInputs(
            room=room,
            memory=room.memory,
            summary=summary,
            vacant=tenant is None,
            reading=readings.get(room.slave_id),
            control=control.state,
            currency=self._rooms.currency,
            now=now,
            has_actuator=actuator is not None,
            commanding=commanding,
            seen=seen,
            friendly_hours=friendly,
            schedule_on=schedule_on,
            early_reading=early_reading,
            resolution=self._resolution(room),
            poll_interval=poll_interval,
        )

    def _resolution(self, room: Room) -> float:
        """The smallest step of the room's energy counter (kWh); 0 for float registers."""
        profile = self._profiles.get(room.slave_id)
        if profile is None or room.energy_key is None:
            return 0.0
        try:
            register = profile.register(room.energy_key)
        except KeyError:
            return 0.0
        return register.resolution or 0.0

    async def async_read_energy(self, room: Room) -> float | None:
        """The room's energy register, read ahead of polling (None: not readable)."""
        profile = self._profiles.get(room.slave_id)
        key = room.energy_key
        if profile is None or key is None:
            return None
        register = profile.register(key)
        plan = plan_reads([MeterRequest(room.slave_id, profile, frozenset({key}))])
        for transaction in plan.for_slave(room.slave_id):
            for item in transaction.items:
                if item.key != key:
                    continue
                words = await self._bus.read(
                    room.slave_id,
                    transaction.function,
                    transaction.address,
                    transaction.count,
                    priority=Priority.COMMAND,
                    pause_ms=profile.quirks.id_switch_pause_ms,
                )
                offset = item.address - transaction.address
                return decode_register(register, words[offset : offset + item.count], profile)
        return None

    # --- effects ------------------------------------------------------------------------

    @callback
    def apply(self, room: Room, outcome: Outcome) -> None:
        """Adopt a decision's control state and perform its effects."""
        control = self.controls[room.subentry_id]
        control.state = outcome.control
        decision = outcome.decision
        control.credit_cut = (
            decision.state is SupplyState.CUT_OFF and decision.reason is not Reason.VACANT
        )
        control.other_off = decision.state in OTHER_OFF_STATES or decision.reason is Reason.VACANT
        self._perform(room, control, outcome.effects)
        self._track_credit_cut(room, control, dt_util.utcnow())

    def _track_credit_cut(self, room: Room, control: RoomControl, at: datetime) -> None:
        """Record in the ledger when the relay was seen open for want of credit (the cut
        pauses the standing charge if the room says so) and when it was seen closed again
        or the supply stays off for another reason. `at` is when the relay was confirmed
        (the command's read-back) or seen. Idempotent in the ledger; written in order on
        the billing worker."""
        state = control.state
        settled = state.tracker.phase is not RelayPhase.PENDING and control.task is None
        if control.cut_recorded is not True:
            if control.credit_cut and settled and state.observed is False:
                control.cut_recorded = True
                self._record_cut(room, True, at)
            elif control.cut_recorded is None and (state.observed or control.other_off):
                control.cut_recorded = False
                self._record_cut(room, False, at)
        elif state.observed is True or control.other_off:
            control.cut_recorded = False
            self._record_cut(room, False, at)

    def _record_cut(self, room: Room, cut: bool, at: datetime) -> None:
        room_id = room.subentry_id

        def record(core: BillingCore) -> bool:
            if cut:
                return core.record_supply_cut(room_id, at)
            return core.record_supply_restored(room_id, at)

        self._rooms.entry.async_create_task(
            self.hass,
            self._rooms.billing.run(record),
            f"{DOMAIN} supply cut {room.name}",
            eager_start=False,
        )

    def _perform(self, room: Room, control: RoomControl, effects: tuple[Effect, ...]) -> None:
        room_id = room.subentry_id
        issue_id = f"{ISSUE_RELAY_FAULT}_{room_id}"
        for effect in effects:
            match effect:
                case FireEvent(event_type, data):
                    self.hass.bus.async_fire(event_type, dict(data))
                case Log(level, message, args):
                    LOGGER.log(level, message, *args)
                case StartCommand(balance):
                    if control.task is None and control.actuator is not None:
                        # Not eager: the command must not re-enter this decision.
                        control.task = self._rooms.entry.async_create_task(
                            self.hass,
                            self._async_command(room, control, control.actuator, balance),
                            f"{DOMAIN} relay {room.name}",
                            eager_start=False,
                        )
                case SetTimer(at):
                    self._set_timer(room_id, control, at)
                case SetEarlyRead(at):
                    self._set_early_read(room_id, control, at)
                case RaiseRelayFault(message):
                    self._raise_fault(room, ISSUE_RELAY_FAULT, {"error": message})
                case ClearRelayFault():
                    ir.async_delete_issue(self.hass, DOMAIN, issue_id)
                case RaiseMeterFault(fault):
                    self._raise_fault(room, ISSUE_METER_FAULT, {"fault": fault})
                case ClearMeterFault():
                    ir.async_delete_issue(self.hass, DOMAIN, f"{ISSUE_METER_FAULT}_{room_id}")

    def _raise_fault(self, room: Room, kind: str, placeholders: Mapping[str, str]) -> None:
        """A room's fault repair issue (`kind` is its translation key)."""
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{kind}_{room.subentry_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=kind,
            translation_placeholders={"room": room.name, **placeholders},
        )

    def _set_timer(self, room_id: str, control: RoomControl, at: datetime | None) -> None:
        if control.unsub_timer is not None:
            control.unsub_timer()
            control.unsub_timer = None
        if at is None:
            return

        @callback
        def due(_now: datetime) -> None:
            control.unsub_timer = None
            control.state = replace(control.state, timer_at=None)
            self._reevaluate(room_id, None)

        control.unsub_timer = async_track_point_in_utc_time(self.hass, due, at)

    def _set_early_read(self, room_id: str, control: RoomControl, at: datetime | None) -> None:
        if control.unsub_early_read is not None:
            control.unsub_early_read()
            control.unsub_early_read = None
        if at is None:
            return

        @callback
        def due(_now: datetime) -> None:
            control.unsub_early_read = None
            self._early_read(room_id)

        control.unsub_early_read = async_track_point_in_utc_time(self.hass, due, at)

    async def _async_command(
        self, room: Room, control: RoomControl, actuator: Actuator, balance: Decimal
    ) -> None:
        """Send the tracker's target until confirmed or given up; follows target changes."""
        try:
            while (target := control.state.tracker.target) is not None and (
                control.state.tracker.phase is RelayPhase.PENDING
            ):
                result = await actuator.async_switch(target)
                commanded_at = dt_util.utcnow()
                state = replace(
                    control.state,
                    commanded_at=commanded_at,
                    observed=control.state.observed if result.state is None else result.state,
                )
                if state.tracker.target != target:
                    control.state = state
                    continue
                step = relay_read_back(state.tracker, result.state, commanded_at, TRACKER_CONFIG)
                effects: list[Effect] = []
                relay_events(room, self._rooms.currency, result.error, step, balance, effects)
                control.state = replace(state, tracker=step.tracker, fault_error=result.error)
                self._perform(room, control, tuple(effects))
                if step.tracker.phase is not RelayPhase.PENDING:
                    control.task = None
                    self._track_credit_cut(room, control, commanded_at)
        finally:
            control.task = None
        if control.fault:
            self._reevaluate(room.subentry_id, None)
        else:
            self._notify(None)

    def as_dict(self) -> dict[str, Any]:
        """Each room's actuator, relay machine and policy memory, for diagnostics."""
        return {
            self._rooms.rooms[room_id].name: {
                "actuator": type(control.actuator).__name__ if control.actuator else None,
                "relay_phase": control.state.tracker.phase.value,
                "relay_target": control.state.tracker.target,
                "relay_observed": control.state.observed,
                "relay_error": control.state.fault_error,
                "meter_fault": control.state.meter_fault,
                "memory": self._rooms.rooms[room_id].memory.as_dict(),
            }
            for room_id, control in self.controls.items()
            if room_id in self._rooms.rooms
        }

    def reset_relay(self, room_id: str) -> None:
        """Forget a relay fault: the next decision commands the actuator afresh."""
        control = self.controls.get(room_id)
        if control is not None and control.fault:
            control.state = replace(control.state, tracker=RelayTracker(), commanded_at=None)
            ir.async_delete_issue(self.hass, DOMAIN, f"{ISSUE_RELAY_FAULT}_{room_id}")
