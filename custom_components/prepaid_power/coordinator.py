"""The gateway coordinator: all polling of one gateway in one place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
import math

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .bus.client import ModbusBus
from .bus.errors import BusConnectionError
from .bus.poll import MeterReading, Poller
from .const import DOMAIN, LOGGER
from .profiles import Profile, ProfileSet
from .rooms import Rooms, RoomState


@dataclass(frozen=True, slots=True)
class Meter:
    """A meter configured on a gateway's bus."""

    slave_id: int
    profile: Profile
    serial_number: int | None = None
    # Merged reads the meter refused (exception 02/03): the planner splits there.
    refused_reads: frozenset[tuple[int, int, int]] = frozenset()


@dataclass(frozen=True, slots=True)
class GatewayData:
    """What one poll cycle produced: meter readings, and each room's billing and supply."""

    readings: Mapping[int, MeterReading] = field(default_factory=dict)
    rooms: Mapping[str, RoomState] = field(default_factory=dict)


@dataclass(slots=True)
class PrepaidPowerRuntimeData:
    """What a gateway entry holds while it is loaded."""

    bus: ModbusBus
    coordinator: GatewayCoordinator
    meters: Mapping[int, Meter]
    profile_set: ProfileSet
    gateway_device_id: str
    rooms: Rooms


type PrepaidPowerConfigEntry = ConfigEntry[PrepaidPowerRuntimeData]


class GatewayCoordinator(DataUpdateCoordinator[GatewayData]):
    """Polls every meter of one gateway through the read planner's transactions."""

    config_entry: PrepaidPowerConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrepaidPowerConfigEntry,
        poller: Poller,
        rooms: Rooms,
        update_interval: timedelta,
    ) -> None:
        """Poll through the given poller; bill and control the given rooms."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=update_interval,
        )
        self.poller = poller
        self.rooms = rooms
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

    async def async_refresh_rooms(self, context: Context | None = None) -> None:
        """Money moved: bill and decide again from the last readings, without polling."""
        readings = self.data.readings
        self.data = GatewayData(readings=readings, rooms=await self.rooms.async_process(readings))
        self.async_update_listeners(context)

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

    async def _async_update_data(self) -> GatewayData:
        """Read every meter; a gateway that cannot be reached fails the whole cycle."""
        self._poll_started = self.hass.loop.time()
        try:
            readings = await self.poller.poll()
        except BusConnectionError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="gateway_unreachable",
                translation_placeholders={"error": str(err)},
            ) from err
        return GatewayData(readings=readings, rooms=await self.rooms.async_process(readings))
