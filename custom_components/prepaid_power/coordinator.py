"""The gateway coordinator: all polling of one gateway in one place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import math
from types import MappingProxyType

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .billing.core import RoomSummary
from .billing.statement import LandlordTotals
from .bus.client import ModbusBus
from .bus.errors import BusConnectionError, BusError
from .bus.poll import MeterReading, Poller
from .common_area import CommonAreas
from .const import DOMAIN, EVENT_FAULT, LOGGER
from .control import SupplyMemory
from .house import HouseMeter
from .meter_logs import MeterLogs
from .profiles import Profile, ProfileSet
from .rooms import Room, Rooms, RoomState, reading_kwh
from .supply import SupplyControl, decide

ERROR_NO_TENANCY = "no_tenancy"
FAULT_METER_OFFLINE = "meter_offline"


def offline_meters(
    before: Mapping[int, MeterReading], after: Mapping[int, MeterReading]
) -> list[int]:
    """The meters that turned unavailable between two polls."""
    return [
        slave_id
        for slave_id, reading in after.items()
        if not reading.available and ((was := before.get(slave_id)) is None or was.available)
    ]


@dataclass(frozen=True, slots=True)
class Meter:
    """A meter configured on a gateway's bus."""

    slave_id: int
    profile: Profile
    serial_number: int | None = None
    # Merged reads the meter refused (exception 02/03): the planner splits there.
    refused_reads: frozenset[tuple[int, int, int]] = frozenset()


def _frozen[K, V](mapping: Mapping[K, V]) -> Mapping[K, V]:
    return mapping if isinstance(mapping, MappingProxyType) else MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class GatewayData:
    """The coordinator's snapshot: meter readings, each room's billing and supply, and the
    landlord totals. Immutable all through (read-only mappings of frozen values): a change
    is a new snapshot, made by the coordinator only."""

    readings: Mapping[int, MeterReading] = field(default_factory=lambda: MappingProxyType({}))
    rooms: Mapping[str, RoomState] = field(default_factory=lambda: MappingProxyType({}))
    totals: LandlordTotals | None = None

    def __post_init__(self) -> None:
        """Copy plain mappings into read-only ones."""
        object.__setattr__(self, "readings", _frozen(self.readings))
        object.__setattr__(self, "rooms", _frozen(self.rooms))


@dataclass(slots=True)
class PrepaidPowerRuntimeData:
    """What a gateway entry holds while it is loaded."""

    bus: ModbusBus
    coordinator: GatewayCoordinator
    meters: Mapping[int, Meter]
    profile_set: ProfileSet
    gateway_device_id: str
    rooms: Rooms
    supply: SupplyControl
    house: HouseMeter | None = None
    # The prepaid meters' own logs (None until set up; empty without such meters).
    logs: MeterLogs | None = None
    # The gateway's common-area meters (None until set up).
    common: CommonAreas | None = None


type PrepaidPowerConfigEntry = ConfigEntry[PrepaidPowerRuntimeData]


class GatewayCoordinator(DataUpdateCoordinator[GatewayData]):
    """One gateway's pipeline: poll -> bill -> decide -> apply effects -> snapshot.

    The only writer of `data` (and, through `Rooms.set_memory`, of the rooms' supply memory):
    a poll, an operation, a helper change or an early read all end in `_decide_room`.
    """

    config_entry: PrepaidPowerConfigEntry

    def __init__(  # noqa: PLR0917
        self,
        hass: HomeAssistant,
        entry: PrepaidPowerConfigEntry,
        poller: Poller,
        rooms: Rooms,
        supply: SupplyControl,
        update_interval: timedelta,
    ) -> None:
        """Poll through the given poller; bill the given rooms and control their supply."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=update_interval,
        )
        self.poller = poller
        self.rooms = rooms
        self.supply = supply
        self.data = GatewayData()
        # The readings the last decisions saw (an early read's hold no relay states).
        self._decided: Mapping[int, MeterReading] = self.data.readings
        supply.start(reevaluate=self.reevaluate, early_read=self._early_read, notify=self._notify)
        self._cause: Context | None = None
        self._contexts: dict[int | None, Context] = {}
        # Loop times: when the last poll started, and the start the cadence counts from.
        self._poll_started: float | None = None
        self._cadence_from: float | None = None

    def context_for(self, slave_id: int | None) -> Context:
        """The context of an entity's state write in this update: the cause's (an action
        call or entity operation), else one per meter and its room (None: the gateway's)."""
        if self._cause is not None:
            return self._cause
        if (context := self._contexts.get(slave_id)) is None:
            context = self._contexts[slave_id] = Context()
        return context

    @callback
    def async_update_listeners(self, context: Context | None = None) -> None:
        """Tell every entity; the state writes this causes carry their cause: the action call
        or entity operation that caused them, else one context per meter and its room.

        The logbook then shows who caused a change, and attributes a poll's changes of a
        room to its own meter's reading (the first write of its context), not to whichever
        meter was written first. Memory: HA ties a context to the first event fired with it
        (`Context.origin_event`), and that event holds the states that hold the context: a
        reference cycle only the garbage collector's rare full runs free, one per context
        (~640 per poll in a 640-room building). Once the writes are done the link is
        dropped, so nothing of an update outlives its states.
        """
        self._cause = context
        self._contexts = {}
        super().async_update_listeners()
        for written in self._contexts.values():
            written.origin_event = None

    @callback
    def _notify(self, context: Context | None) -> None:
        self.async_update_listeners(context)

    # --- the pipeline -------------------------------------------------------------------

    async def _async_update_data(self) -> GatewayData:
        """Poll every meter, bill, decide, apply; an unreachable gateway fails the cycle."""
        self._poll_started = self.hass.loop.time()
        try:
            readings = await self.poller.poll()
        except BusConnectionError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="gateway_unreachable",
                translation_placeholders={"error": str(err)},
            ) from err
        self._announce_offline(self.data.readings, readings)
        return await self.async_process(readings)

    def _announce_offline(
        self, before: Mapping[int, MeterReading], after: Mapping[int, MeterReading]
    ) -> None:
        """A room's meter that stopped answering (unavailable after the poller's failed polls
        in a row): one `meter_offline` fault event per outage; back, the next outage is
        announced again."""
        for slave_id in offline_meters(before, after):
            error = self.poller.health[slave_id].last_error or "no answer"
            message = f"meter {slave_id} does not answer: {error}"
            LOGGER.warning("%s: %s", self.config_entry.title, message)
            for room in self.rooms.rooms.values():
                if room.slave_id != slave_id:
                    continue
                state = self.data.rooms.get(room.subentry_id)
                balance = None if state is None else state.summary.live_balance
                self.hass.bus.async_fire(
                    EVENT_FAULT,
                    self.rooms.event_data(room, balance, kind=FAULT_METER_OFFLINE, message=message),
                )

    async def async_process(self, readings: Mapping[int, MeterReading]) -> GatewayData:
        """Bill these readings, decide every room and apply the effects: the snapshot they
        make (the caller publishes it)."""
        now = dt_util.utcnow()
        billed = await self.rooms.async_bill(readings, now)
        rooms = {
            room_id: self._decide_room(self.rooms.rooms[room_id], summary, tenant, readings, now)
            for room_id, (summary, tenant) in billed.rooms.items()
        }
        self._decided = readings
        totals = self.data.totals if billed.totals is None else billed.totals
        return GatewayData(readings=readings, rooms=rooms, totals=totals)

    def _decide_room(  # noqa: PLR0917
        self,
        room: Room,
        summary: RoomSummary,
        tenant: str | None,
        readings: Mapping[int, MeterReading],
        now: datetime,
        early_reading: bool = False,
    ) -> RoomState:
        """Decide one room (pure), apply the effects, keep the memory it left."""
        inputs = self.supply.inputs(
            room,
            summary,
            tenant,
            readings,
            now,
            early_reading=early_reading,
            poll_interval=self.update_interval,
        )
        if inputs is None:
            return RoomState(summary=summary, tenant=tenant, decision=None, memory=room.memory)
        outcome = decide(inputs)
        self.supply.apply(room, outcome)
        memory = outcome.decision.memory
        self.rooms.set_memory(room.subentry_id, memory)
        return RoomState(
            summary=summary,
            tenant=tenant,
            decision=outcome.decision,
            memory=memory,
            relay_fault=outcome.control.faulty,
        )

    def _publish(self, room_id: str, state: RoomState, context: Context | None) -> None:
        """A new snapshot with one room changed; tell the entities."""
        self.data = replace(self.data, rooms={**self.data.rooms, room_id: state})
        self.async_update_listeners(context)

    @callback
    def reevaluate(self, room_id: str, context: Context | None = None) -> None:
        """Decide a room again now, from its last billed balance and readings (helper
        changed, timer due, operation: `context` is the operation's)."""
        room = self.rooms.rooms.get(room_id)
        state = self.data.rooms.get(room_id)
        if room is None or state is None or state.decision is None:
            return
        new = self._decide_room(room, state.summary, state.tenant, self._decided, dt_util.utcnow())
        self._publish(room_id, new, context)

    @callback
    def _early_read(self, room_id: str) -> None:
        room = self.rooms.rooms[room_id]
        self.config_entry.async_create_task(
            self.hass,
            self._async_early_read(room),
            f"{DOMAIN} early read {room.name}",
            eager_start=False,
        )

    async def _async_early_read(self, room: Room) -> None:
        """Read a room's energy ahead of polling, then bill and decide that room at once."""
        data = self.data
        old = data.readings.get(room.slave_id)
        if old is None or not old.complete or room.energy_key is None:
            return
        try:
            value = await self.supply.async_read_energy(room)
        except (BusError, KeyError) as err:
            LOGGER.debug("Room %s: early read failed: %s", room.name, err)
            return
        if value is None or self.data is not data:
            # Unreadable, or a poll finished meanwhile with a newer reading.
            return
        room_id = room.subentry_id
        now = dt_util.utcnow()
        # This room only: the others are billed by the polls.
        summary = await self.rooms.async_bill_room(room_id, reading_kwh(value), now)
        state = self.data.rooms.get(room_id)
        if self.data is not data or state is None or state.decision is None:
            return
        values = MappingProxyType({**old.values, room.energy_key: value})
        readings = {**data.readings, room.slave_id: replace(old, values=values)}
        # Only the energy is new: the relay states are not re-observed from this read.
        fresh = {
            **readings,
            room.slave_id: replace(old, values=values, relays=MappingProxyType({})),
        }
        new = self._decide_room(room, summary, state.tenant, fresh, now, early_reading=True)
        self._decided = fresh
        self.data = GatewayData(
            readings=readings, rooms={**data.rooms, room_id: new}, totals=data.totals
        )
        self.async_update_listeners()

    # --- operations' entry points -------------------------------------------------------

    async def async_refresh_rooms(self, context: Context | None = None) -> None:
        """Money moved: bill and decide again from the last readings, without polling."""
        self.data = await self.async_process(self.data.readings)
        self.async_update_listeners(context)

    def operate(self, room: Room, memory: SupplyMemory, context: Context | None) -> None:
        """A landlord or tenant operation changed the room's memory: decide again now, and
        store the memory at once."""
        self.rooms.set_memory(room.subentry_id, memory)
        self.reevaluate(room.subentry_id, context)
        self.rooms.save_now()

    @callback
    def _schedule_refresh(self) -> None:
        """Poll on a fixed cadence, start to start.

        HA schedules the next refresh an interval after the whole second the last one ended
        in: a poll lasting a second made a 10 s interval 11 s. Polls start on a grid of the
        interval from the first poll's start instead; after an overlong poll, at the grid's
        next point.
        """
        super()._schedule_refresh()
        interval = self.update_interval
        started = self._poll_started
        if self._unsub_refresh is None or interval is None or started is None:
            return  # not polling (no entities yet, polling disabled, or stopped)
        self._unsub_refresh()
        if self._cadence_from is None:
            self._cadence_from = started
        loop = self.hass.loop
        seconds = interval.total_seconds()
        # The grid's next point after this poll's own one: a timer may fire a little early
        # (HA's test clock fires them up to half a second early).
        after = max(loop.time(), started + 1)
        steps = math.floor((after - self._cadence_from) / seconds) + 1
        self._unsub_refresh = loop.call_at(
            self._cadence_from + steps * seconds, self._refresh_on_cadence
        ).cancel

    @callback
    def _refresh_on_cadence(self) -> None:
        self.config_entry.async_create_background_task(
            self.hass, self._handle_refresh_interval(), f"{self.name} refresh", eager_start=True
        )
