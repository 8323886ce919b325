"""Supply control in HA: policy inputs from helpers, actuators, relay confirmation, events.

The rules live in the pure `control` package; this module feeds `evaluate` what HA knows
(balance, power, friendly-hours and schedule helpers, the relay machine's fault), switches
the room's actuator when the decision's relay target changes - at once, through the bus's
command priority, not on the next poll - and turns results into events and repair issues.

Relay confirmation is two-layered: an actuator's `async_switch` writes, reads back and
retries with backoff by itself, so the `RelayTracker` runs with one attempt and turns an
unconfirmed result straight into `fault`. A landlord `set_supply` (any state) starts a
fresh tracker: that is the "try again" after a fault is fixed. A relay seen in its target
state again recovers by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

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

from .bus.client import ModbusBus, Priority
from .bus.decode import decode_register
from .bus.errors import BusError
from .bus.planner import MeterRequest, plan_reads
from .bus.poll import MeterReading
from .bus.relay import RelayResult, switch_relay
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
    RelayConfig,
    RelayPhase,
    RelayTarget,
    RelayTracker,
    SupplyEvent,
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

if TYPE_CHECKING:
    from .billing.core import BillingCore, Issue, RoomSummary
    from .coordinator import GatewayCoordinator
    from .rooms import Room, Rooms

# Meter readings are billed at 1 Wh, as `Rooms.async_process` does.
READING_RESOLUTION = Decimal("0.001")

# States in which the policy wants the relay closed: the supply is on.
SUPPLY_ON_STATES = frozenset(
    {SupplyState.PROTECTED, SupplyState.FRIENDLY_HOLD, SupplyState.LOW, SupplyState.ON}
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
        error: str | None = None
        state: bool | None = None
        for attempt in range(1, SWITCH_ATTEMPTS + 1):
            try:
                await self.hass.services.async_call(
                    domain,
                    "turn_on" if on else "turn_off",
                    {"entity_id": self.entity_id},
                    blocking=True,
                )
            except Exception as err:  # any integration's error is a failed try
                error = f"{type(err).__name__}: {err}"
            loop = asyncio.get_running_loop()
            deadline = loop.time() + SWITCH_CONFIRM_S
            while True:
                state = self._current()
                if state is on:
                    return RelayResult(True, state, attempt)
                if loop.time() >= deadline:
                    break
                await asyncio.sleep(0.05)
            error = error or f"state {state}, wanted {on}"
            if attempt < SWITCH_ATTEMPTS:
                await asyncio.sleep(SWITCH_BACKOFF_S * 2 ** (attempt - 1))
        return RelayResult(False, state, SWITCH_ATTEMPTS, error)


@dataclass(slots=True)
class RoomControl:
    """The HA-side supply state of one room."""

    actuator: Actuator | None
    friendly_hours_entity: str | None = None
    schedule_entity: str | None = None
    tracker: RelayTracker = field(default_factory=RelayTracker)
    observed: bool | None = None
    # Power read before the last command finished says nothing about the load now.
    commanded_at: datetime | None = None
    task: asyncio.Task[None] | None = None
    unsub_timer: CALLBACK_TYPE | None = None
    timer_at: datetime | None = None
    unsub_early_read: CALLBACK_TYPE | None = None
    # The series of early reads around a projected crossing ends here.
    early_until: datetime | None = None
    early_reading: bool = False
    fault_error: str | None = None
    # A fault the room's meter reports itself (`MeterReading.fault`, e.g. its relay cannot
    # open): also the policy's `actuator_fault` while reported.
    meter_fault: str | None = None

    @property
    def fault(self) -> bool:
        """The actuator did not confirm a command (the relay machine's fault)."""
        return self.tracker.phase is RelayPhase.FAULT

    @property
    def faulty(self) -> bool:
        """The policy's `actuator_fault`: the relay machine's fault or the meter's own."""
        return self.fault or self.meter_fault is not None


def supply_on(state: SupplyState | None, relay: RelayTarget, observed: bool | None) -> bool:
    """Whether the room has power: the target, or what the actuator shows when held."""
    if relay is RelayTarget.HOLD:
        return bool(observed)
    return state in SUPPLY_ON_STATES


class SupplyControl:
    """The supply of every room of one gateway: inputs, decisions, actuators, events."""

    def __init__(self, hass: HomeAssistant, rooms: Rooms) -> None:
        """Actuators are attached by `async_start`, once the bus exists."""
        self.hass = hass
        self._rooms = rooms
        self.controls: dict[str, RoomControl] = {}
        self._readings: Mapping[int, MeterReading] = {}
        self._notify: Callable[[Context | None], None] | None = None
        self._unsubs: list[CALLBACK_TYPE] = []
        self._coordinator: GatewayCoordinator | None = None
        self._bus: ModbusBus | None = None
        self._profiles: dict[int, Profile] = {}

    # --- lifecycle ----------------------------------------------------------------------

    def start(
        self,
        coordinator: GatewayCoordinator,
        bus: ModbusBus,
        meters: Mapping[int, tuple[Profile, int | None]],
    ) -> None:
        """Build each room's actuator and follow its helper entities."""
        self._coordinator = coordinator
        self._notify = coordinator.async_update_listeners
        self._bus = bus
        self._profiles = {slave: profile for slave, (profile, _serial) in meters.items()}
        entry = self._rooms.entry
        watched: dict[str, set[str]] = {}
        for room_id in self._rooms.rooms:
            data = entry.subentries[room_id].data
            actuator = self._actuator(bus, meters, data)
            schedules: Mapping[str, Any] = data.get(CONF_SCHEDULES, {})
            control = RoomControl(
                actuator,
                friendly_hours_entity=schedules.get(CONF_FRIENDLY_HOURS_ENTITY) or None,
                schedule_entity=schedules.get(CONF_SUPPLY_SCHEDULE_ENTITY) or None,
            )
            self.controls[room_id] = control
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
                    self.reevaluate(room_id, event.context)

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

    # --- evaluation ---------------------------------------------------------------------

    def _inputs(
        self, control: RoomControl, now: datetime, balance: Decimal, power: float | None
    ) -> SupplyInputs:
        friendly = False
        if control.friendly_hours_entity:
            state = self.hass.states.get(control.friendly_hours_entity)
            friendly = state is not None and state.state == STATE_ON
        schedule_on: bool | None = None
        if control.schedule_entity:
            state = self.hass.states.get(control.schedule_entity)
            if state is not None and state.state in (STATE_ON, STATE_OFF):
                schedule_on = state.state == STATE_ON
        return SupplyInputs(
            now=now,
            balance=balance,
            friendly_hours=friendly,
            schedule_on=schedule_on,
            actuator_fault=control.faulty,
            power_w=power,
        )

    @callback
    def decide(
        self,
        room: Room,
        summary: RoomSummary,
        readings: Mapping[int, MeterReading],
        now: datetime,
    ) -> Decision | None:
        """Evaluate a room after billing, fire its events and drive its actuator.

        Returns the decision; the caller stores its memory. None for a room without a
        tenancy (nothing to decide).
        """
        self._readings = readings
        control = self.controls.get(room.subentry_id)
        if control is None:
            return None
        self._meter_fault(room, control, readings.get(room.slave_id), summary.live_balance)
        balance = summary.live_balance
        if balance is None:
            # Vacant: off, or on while the landlord-paid preset (the vacant account's
            # allowance) lasts.
            fresh = self._observe(control, readings)
            decision = evaluate_vacant(
                self._inputs(control, now, Decimal(0), None),
                room.memory,
                summary.allowance_left_kwh,
            )
            self._drive(room, control, decision, fresh, now, Decimal(0))
            return decision
        fresh = self._observe(control, readings)
        if fresh is not None and control.fault:
            # Seen in its target state again (fixed at the meter): recover before deciding.
            self._relay_step(room, control, relay_observe(control.tracker, fresh, now), balance)
        reading = readings.get(room.slave_id)
        power = None if reading is None else reading.values.get("power")
        decision = evaluate(room.settings, self._inputs(control, now, balance, power), room.memory)
        self._fire(room, control, decision, summary)
        self._drive(room, control, decision, fresh, now, balance)
        self._schedule(room, control, decision.next_evaluation)
        self._plan_early_read(room, control, decision, summary, reading, now)
        return decision

    def _observe(self, control: RoomControl, readings: Mapping[int, MeterReading]) -> bool | None:
        """The actuator's state if read after the last command finished, else None."""
        if control.actuator is None or control.task is not None:
            return None
        observed = control.actuator.observed(readings)
        if observed is None:
            return None
        control.observed = observed
        return observed

    @callback
    def reevaluate(self, room_id: str, context: Context | None = None) -> None:
        """Decide again now, from the last billed balance and readings (helper changed,
        timer due, landlord or tenant operation: `context` is the operation's)."""
        room = self._rooms.rooms.get(room_id)
        state = self._rooms.states.get(room_id)
        if room is None or state is None or state.decision is None:
            return
        decision = self.decide(room, state.summary, self._readings, dt_util.utcnow())
        if decision is None:
            return
        self._rooms.update_memory(room, decision.memory)
        self._rooms.states[room_id] = replace(state, decision=decision)
        if self._notify is not None:
            self._notify(context)

    def _schedule(self, room: Room, control: RoomControl, when: datetime | None) -> None:
        if when is not None and when == control.timer_at and control.unsub_timer is not None:
            return  # already due then (every poll decides again; most decide the same)
        control.timer_at = when
        if control.unsub_timer is not None:
            control.unsub_timer()
            control.unsub_timer = None
        if when is None:
            return

        @callback
        def due(_now: datetime) -> None:
            control.unsub_timer = None
            self.reevaluate(room.subentry_id)

        control.unsub_timer = async_track_point_in_utc_time(self.hass, due, when)

    def _plan_early_read(  # noqa: PLR0917
        self,
        room: Room,
        control: RoomControl,
        decision: Decision,
        summary: RoomSummary,
        reading: MeterReading | None,
        now: datetime,
    ) -> None:
        """Read the meter around the instant the balance is projected to reach the cut-off
        level, if that may come before the next poll: the cut then follows the crossing.

        The counter only moves in steps of its resolution, so the projection is uncertain
        by one step: reads start one step early and repeat until the crossing shows, one
        step after the projection at the latest.
        """
        if control.unsub_early_read is not None:
            control.unsub_early_read()
            control.unsub_early_read = None
        coordinator = self._coordinator
        balance, price = summary.live_balance, summary.current_price
        if (
            coordinator is None
            or coordinator.update_interval is None
            or room.energy_key is None
            or decision.relay is not RelayTarget.CLOSED
            or balance is None
            or price is None
            or price <= 0
        ):
            control.early_until = None
            return
        kwh_left = float((balance - room.settings.cut_off_level) / price)
        if kwh_left <= 0:
            control.early_until = None
            return
        at: datetime | None = None
        if control.early_until is not None and control.early_reading:
            # Inside a series: the last early read did not show the crossing yet.
            if now < control.early_until:
                at = now + EARLY_READ_REPEAT
        elif (
            reading is not None
            and reading.read_at is not None
            # Power read before the last relay command says nothing about the load now.
            and (control.commanded_at is None or reading.read_at >= control.commanded_at)
            and (power := reading.values.get("power")) is not None
            and power > 0
        ):
            # Projected from the moment the meter was read, whenever this decision runs.
            kw = power / 1000
            step = self._resolution(room)
            first = reading.read_at + timedelta(hours=max(kwh_left - step, 0) / kw)
            # The next reading of this meter comes a poll interval plus a cycle later;
            # planning further ahead is harmless: every poll plans afresh.
            if first - now < EARLY_READ_HORIZON * coordinator.update_interval:
                at = max(first, now + EARLY_READ_MIN)
                control.early_until = (
                    reading.read_at + timedelta(hours=(kwh_left + step) / kw) + EARLY_READ_REPEAT
                )
        if at is None:
            control.early_until = None
            return

        @callback
        def due(_now: datetime) -> None:
            control.unsub_early_read = None
            self._rooms.entry.async_create_task(
                self.hass,
                self._async_early_read(room, control),
                f"{DOMAIN} early read {room.name}",
                eager_start=False,
            )

        control.unsub_early_read = async_track_point_in_utc_time(self.hass, due, at)

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

    async def _async_early_read(self, room: Room, control: RoomControl) -> None:
        """Read the room's energy ahead of polling, then bill and decide that room at once."""
        coordinator = self._coordinator
        profile = self._profiles.get(room.slave_id)
        if coordinator is None or coordinator.data is None or profile is None:
            return
        data = coordinator.data
        old = data.readings.get(room.slave_id)
        if old is None or not old.complete or room.energy_key is None:
            return
        try:
            value = await self._async_read_value(room.slave_id, profile, room.energy_key)
        except (BusError, KeyError) as err:
            LOGGER.debug("Room %s: early read failed: %s", room.name, err)
            return
        if value is None or coordinator.data is not data:
            # Unreadable, or a poll finished meanwhile with a newer reading.
            return
        values = {**old.values, room.energy_key: value}
        room_id = room.subentry_id
        now = dt_util.utcnow()
        kwh = Decimal(str(value)).quantize(READING_RESOLUTION)

        def bill(core: BillingCore) -> tuple[list[Issue], RoomSummary]:
            # This room only: the others are billed by the polls.
            return list(core.process_reading(room_id, kwh, now).issues), core.summary(room_id, now)

        issues, summary = await self._rooms.billing.run(bill)
        self._rooms.raise_issues(issues)
        state = self._rooms.states.get(room_id)
        if coordinator.data is not data or state is None or state.decision is None:
            return
        readings = {**data.readings, room.slave_id: replace(old, values=values)}
        # Only the energy is new: the relay states are not re-observed from this read.
        fresh = {**readings, room.slave_id: replace(old, values=values, relays={})}
        control.early_reading = True
        try:
            decision = self.decide(room, summary, fresh, now)
        finally:
            control.early_reading = False
        if decision is None:
            return
        self._rooms.update_memory(room, decision.memory)
        self._rooms.states[room_id] = replace(state, summary=summary, decision=decision)
        coordinator.data = replace(data, readings=readings)
        coordinator.async_update_listeners()

    async def _async_read_value(self, slave_id: int, profile: Profile, key: str) -> float | None:
        """One register of a meter, read ahead of polling."""
        assert self._bus is not None
        register = profile.register(key)
        plan = plan_reads([MeterRequest(slave_id, profile, frozenset({key}))])
        for transaction in plan.for_slave(slave_id):
            for item in transaction.items:
                if item.key != key:
                    continue
                words = await self._bus.read(
                    slave_id,
                    transaction.function,
                    transaction.address,
                    transaction.count,
                    priority=Priority.COMMAND,
                    pause_ms=profile.quirks.id_switch_pause_ms,
                )
                offset = item.address - transaction.address
                return decode_register(register, words[offset : offset + item.count], profile)
        return None

    # --- events -------------------------------------------------------------------------

    def _fire(
        self, room: Room, control: RoomControl, decision: Decision, summary: RoomSummary
    ) -> None:
        balance = summary.live_balance
        for event in decision.events:
            data = event.data
            if event.kind is EventKind.SUPPLY_CHANGED:
                old = SupplyState(str(data["old_state"]))
                self.hass.bus.async_fire(
                    EVENT_SUPPLY_CHANGED,
                    self._rooms.event_data(
                        room,
                        balance,
                        old_state=data["old_state"],
                        new_state=data["new_state"],
                        reason=data["reason"],
                        detail=data.get("detail"),
                        supply_on=supply_on(decision.state, decision.relay, control.observed),
                        was_on=old in SUPPLY_ON_STATES
                        or (old is SupplyState.FAULT and bool(control.observed)),
                    ),
                )
                LOGGER.info(
                    "Room %s: supply %s -> %s (%s)",
                    room.name,
                    data["old_state"],
                    data["new_state"],
                    data["reason"],
                )
            elif event.kind is EventKind.CUT_OFF_DUE:
                self.hass.bus.async_fire(
                    EVENT_CUT_OFF_DUE,
                    self._rooms.event_data(
                        room,
                        balance,
                        reason=decision.reason.value,
                        mode=data.get("mode"),
                        level=data.get("level"),
                    ),
                )
            elif event.kind is EventKind.BALANCE_LOW:
                days = summary.days_of_credit_left
                self.hass.bus.async_fire(
                    EVENT_BALANCE_LOW,
                    self._rooms.event_data(
                        room,
                        balance,
                        level=data.get("level"),
                        days_left=None if days is None else float(days),
                    ),
                )
            else:
                LOGGER.info("Room %s: %s %s", room.name, event.kind.value, dict(data))

    # --- actuator -----------------------------------------------------------------------

    def _drive(  # noqa: PLR0917
        self,
        room: Room,
        control: RoomControl,
        decision: Decision,
        fresh: bool | None,
        now: datetime,
        balance: Decimal,
    ) -> None:
        """Bring the actuator to the decision's target: command now, or correct drift."""
        if control.actuator is None:
            return
        target = target_of(decision.relay)
        # A command under way (the vacant room's opening, say) may still switch the relay:
        # what was seen before it cannot spare the next one.
        observed = None if control.task is not None else control.observed
        step = relay_want(control.tracker, target, observed, now, TRACKER_CONFIG)
        self._relay_step(room, control, step, balance)
        if fresh is not None and step.send is None:
            self._relay_step(
                room, control, relay_observe(control.tracker, fresh, now, TRACKER_CONFIG), balance
            )
        if control.tracker.phase is RelayPhase.PENDING and control.task is None:
            # Not eager: the command must not re-enter this decision (it may decide again).
            control.task = self._rooms.entry.async_create_task(
                self.hass,
                self._async_command(room, control, balance),
                f"{DOMAIN} relay {room.name}",
                eager_start=False,
            )

    async def _async_command(self, room: Room, control: RoomControl, balance: Decimal) -> None:
        """Send the tracker's target until confirmed or given up; follows target changes."""
        actuator = control.actuator
        assert actuator is not None
        try:
            while (
                control.tracker.phase is RelayPhase.PENDING and control.tracker.target is not None
            ):
                target = control.tracker.target
                result = await actuator.async_switch(target)
                control.commanded_at = dt_util.utcnow()
                if result.state is not None:
                    control.observed = result.state
                if control.tracker.target != target:
                    continue
                control.fault_error = result.error
                step = relay_read_back(
                    control.tracker, result.state, control.commanded_at, TRACKER_CONFIG
                )
                self._relay_step(room, control, step, balance)
        finally:
            control.task = None
        if control.fault:
            self.reevaluate(room.subentry_id)
        elif self._notify is not None:
            self._notify(None)

    def _meter_fault(
        self,
        room: Room,
        control: RoomControl,
        reading: MeterReading | None,
        balance: Decimal | None,
    ) -> None:
        """Follow the fault the room's meter reports (kept while the meter is not read)."""
        if reading is None or not reading.complete or reading.fault == control.meter_fault:
            return
        control.meter_fault = reading.fault
        issue_id = f"{ISSUE_METER_FAULT}_{room.subentry_id}"
        if reading.fault is None:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            LOGGER.info("Room %s: the meter no longer reports a fault", room.name)
            return
        fault = reading.fault.replace("_", " ")
        self._report_fault(
            room, ISSUE_METER_FAULT, f"the meter reports: {fault}", {"fault": fault}, balance
        )

    def _report_fault(
        self,
        room: Room,
        kind: str,
        message: str,
        placeholders: Mapping[str, str],
        balance: Decimal | None,
    ) -> None:
        """Log a room's fault, raise its repair issue and fire the fault event."""
        LOGGER.error("Room %s: %s", room.name, message)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{kind}_{room.subentry_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=kind,
            translation_placeholders={"room": room.name, **placeholders},
        )
        self.hass.bus.async_fire(
            EVENT_FAULT, self._rooms.event_data(room, balance, kind=kind, message=message)
        )

    def _relay_step(
        self, room: Room, control: RoomControl, step: Any, balance: Decimal | None
    ) -> None:
        """Adopt a relay machine step and act on its events."""
        control.tracker = step.tracker
        for event in step.events:
            self._relay_event(room, control, event, balance)

    def _relay_event(
        self, room: Room, control: RoomControl, event: SupplyEvent, balance: Decimal | None
    ) -> None:
        issue_id = f"{ISSUE_RELAY_FAULT}_{room.subentry_id}"
        data = event.data
        if event.kind is EventKind.RELAY_FAULT:
            target = "close" if data.get("target") else "open"
            message = f"the relay did not {target}: {control.fault_error or 'no answer'}"
            self._report_fault(room, ISSUE_RELAY_FAULT, message, {"error": message}, balance)
        elif event.kind in (EventKind.RELAY_RECOVERED, EventKind.RELAY_CONFIRMED):
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            LOGGER.debug("Room %s: %s %s", room.name, event.kind.value, dict(data))
        elif event.kind is EventKind.RELAY_CORRECTED:
            LOGGER.warning(
                "Room %s: relay found %s, expected %s (switched at the meter?); correcting",
                room.name,
                "closed" if data.get("observed") else "open",
                "closed" if data.get("expected") else "open",
            )

    def as_dict(self) -> dict[str, Any]:
        """Each room's actuator, relay machine and policy memory, for diagnostics."""
        return {
            self._rooms.rooms[room_id].name: {
                "actuator": type(control.actuator).__name__ if control.actuator else None,
                "relay_phase": control.tracker.phase.value,
                "relay_target": control.tracker.target,
                "relay_observed": control.observed,
                "relay_error": control.fault_error,
                "meter_fault": control.meter_fault,
                "memory": self._rooms.rooms[room_id].memory.as_dict(),
            }
            for room_id, control in self.controls.items()
            if room_id in self._rooms.rooms
        }

    def reset_relay(self, room_id: str) -> None:
        """Forget a relay fault: the next decision commands the actuator afresh."""
        control = self.controls.get(room_id)
        if control is not None and control.fault:
            control.tracker = RelayTracker()
            control.commanded_at = None
            ir.async_delete_issue(self.hass, DOMAIN, f"{ISSUE_RELAY_FAULT}_{room_id}")

    # --- operations ---------------------------------------------------------------------

    def operate(self, room: Room, memory: SupplyMemory, context: Context | None) -> None:
        """A landlord or tenant operation changed the room's memory: decide again now, and
        store the memory at once."""
        self._rooms.update_memory(room, memory)
        self.reevaluate(room.subentry_id, context)
        self._rooms.save_now()
