"""The gateway coordinator: all polling of one gateway in one place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

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
        self.context = Context()

    @callback
    def async_update_listeners(self, context: Context | None = None) -> None:
        """Tell every entity; the state writes this causes share one context, their cause:
        the action call or entity operation that caused them, else a new one for this poll.

        The logbook then shows who caused a change. It also keeps memory down: HA ties the
        context of every write to its event in a reference cycle, which only the garbage
        collector's rare full runs free. One context per update makes one such cycle, not
        one per changed entity (~740 per poll in a 640-room building).
        """
        self.context = context or Context()
        super().async_update_listeners()

    async def async_refresh_rooms(self, context: Context | None = None) -> None:
        """Money moved: bill and decide again from the last readings, without polling."""
        readings = self.data.readings
        self.data = GatewayData(readings=readings, rooms=await self.rooms.async_process(readings))
        self.async_update_listeners(context)

    async def _async_update_data(self) -> GatewayData:
        """Read every meter; a gateway that cannot be reached fails the whole cycle."""
        try:
            readings = await self.poller.poll()
        except BusConnectionError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="gateway_unreachable",
                translation_placeholders={"error": str(err)},
            ) from err
        return GatewayData(readings=readings, rooms=await self.rooms.async_process(readings))
