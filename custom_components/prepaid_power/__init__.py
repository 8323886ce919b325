"""Prepaid Power: prepaid electricity for small landlords."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.typing import ConfigType

from .access import async_setup_access
from .bus.client import ModbusBus
from .bus.planner import MeterRequest
from .bus.poll import Poller
from .bus.scan import ConnectionStatus, check_connection
from .common_area import CommonAreas
from .const import (
    CONF_METERS,
    CONF_POLL_INTERVAL,
    CONF_PROFILE,
    CONF_REFUSED_READS,
    CONF_SERIAL_NUMBER,
    CONF_SLAVE_ID,
    DEFAULT_POLL_INTERVAL,
    DOMAIN,
    USER_PROFILES_DIR,
)
from .coordinator import GatewayCoordinator, Meter, PrepaidPowerConfigEntry, PrepaidPowerRuntimeData
from .cycle_end import CycleEndStatements
from .entity import (
    gateway_device_info,
    gateway_identifier,
    meter_identifier,
    meter_unique_id,
    offered_registers,
)
from .gateway import bus_settings, endpoint_from_data, endpoint_title
from .house import async_house_meter
from .meter_logs import MeterLogs
from .panel import async_register_panel, async_unregister_panel
from .portal import async_setup_portal
from .portal_links import async_forget_removed_rooms, async_setup_portal_links
from .profiles import ProfileSet, load_profiles
from .rooms import Rooms
from .services import async_setup_services
from .supply import SupplyControl
from .websocket_api import SIGNAL_GATEWAY_LOADED, async_setup_websocket_api
from .websocket_links import async_setup_link_commands

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once; they find their room among the loaded gateways."""
    async_setup_access(hass)
    async_setup_services(hass)
    async_setup_websocket_api(hass)
    async_setup_link_commands(hass)
    await async_setup_portal_links(hass)
    if "http" in hass.config.components:
        await async_setup_portal(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: PrepaidPowerConfigEntry) -> bool:
    """Connect to the gateway, plan the reads of its meters and start polling."""
    # A room subentry removed since the last setup (HA reloads the entry): its links end.
    await async_forget_removed_rooms(hass)
    profile_set = await hass.async_add_executor_job(
        load_profiles, Path(hass.config.path(USER_PROFILES_DIR))
    )
    _async_report_profile_problems(hass, profile_set)
    meters = _meters(hass, entry, profile_set)

    endpoint = endpoint_from_data(entry.data)
    status = await check_connection(endpoint)
    if status is not ConnectionStatus.OK:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="gateway_unreachable",
            translation_placeholders={"error": f"{endpoint_title(entry.data)}: {status}"},
        )

    gateway_device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **gateway_device_info(entry)
    )
    bus = ModbusBus(endpoint, bus_settings(entry.data, entry.options))
    bus.start()
    entry.async_on_unload(bus.close)
    poller = Poller(bus, [_request(hass, entry, meter) for meter in meters.values()])
    rooms = await Rooms.async_open(
        hass, entry, {slave: meter.profile for slave, meter in meters.items()}, gateway_device.id
    )
    entry.async_on_unload(rooms.async_close)

    supply = SupplyControl(
        hass,
        rooms,
        bus,
        {slave: (meter.profile, meter.serial_number) for slave, meter in meters.items()},
    )
    entry.async_on_unload(supply.stop)

    async def _async_close_on_stop(_event: Event) -> None:
        # Home Assistant stops without unloading entries, then waits up to 10 s for
        # threads that are still alive: the ledger's must end here (its timers first).
        supply.stop()
        await rooms.async_close()

    entry.async_on_unload(hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, _async_close_on_stop))
    coordinator = GatewayCoordinator(
        hass,
        entry,
        poller,
        rooms,
        supply,
        timedelta(seconds=entry.options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL)),
    )
    entry.runtime_data = PrepaidPowerRuntimeData(
        bus=bus,
        coordinator=coordinator,
        meters=meters,
        profile_set=profile_set,
        gateway_device_id=gateway_device.id,
        rooms=rooms,
        supply=supply,
    )
    energy_keys = {
        slave: m.profile.energy_key for slave, m in meters.items() if m.profile.energy_key
    }
    house = async_house_meter(hass, entry, energy_keys)
    if house is not None:
        await house.async_start()
        entry.runtime_data.house = house
        entry.async_on_unload(house.async_stop)
        # Before the platforms' entities: the house sensors read what this listener took.
        entry.async_on_unload(
            coordinator.async_add_listener(lambda: house.async_observe(coordinator.data.readings))
        )
    common = CommonAreas(hass, entry, rooms, energy_keys, coordinator.async_refresh_rooms)
    await common.async_start()
    entry.runtime_data.common = common
    entry.async_on_unload(common.async_stop)
    entry.async_on_unload(
        coordinator.async_add_listener(lambda: common.async_observe(coordinator.data.readings))
    )
    logs = MeterLogs(
        hass,
        bus,
        {slave: meter.profile for slave, meter in meters.items()},
        coordinator.async_update_listeners,
    )
    entry.runtime_data.logs = logs
    await coordinator.async_config_entry_first_refresh()
    logs.async_start(entry)

    statements = CycleEndStatements(hass, rooms, entry.entry_id)
    await statements.async_start()
    entry.async_on_unload(statements.async_stop)

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    await async_register_panel(hass)
    async_dispatcher_send(hass, SIGNAL_GATEWAY_LOADED)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: PrepaidPowerConfigEntry) -> bool:
    """Stop polling; the bus closes through the entry's unload callbacks."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        async_unregister_panel(hass, entry.entry_id)
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: PrepaidPowerConfigEntry) -> None:
    """The gateway is removed: its rooms' portal links end, kiosks stop showing its rooms."""
    await async_forget_removed_rooms(hass, entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: PrepaidPowerConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the landlord delete a meter that is gone from the bus; never the gateway itself."""
    for meter in entry.data[CONF_METERS]:
        if meter_identifier(entry, meter[CONF_SLAVE_ID]) in device.identifiers:
            hass.config_entries.async_update_entry(
                entry,
                data={
                    **entry.data,
                    CONF_METERS: [m for m in entry.data[CONF_METERS] if m is not meter],
                },
            )
            return True
    return gateway_identifier(entry) not in device.identifiers


async def _async_reload(hass: HomeAssistant, entry: PrepaidPowerConfigEntry) -> None:
    """Options or meters changed: start again with the new plan."""
    await hass.config_entries.async_reload(entry.entry_id)


def _meters(
    hass: HomeAssistant, entry: PrepaidPowerConfigEntry, profile_set: ProfileSet
) -> dict[int, Meter]:
    """The entry's meters whose profile is known; the others get a repair issue."""
    meters: dict[int, Meter] = {}
    for item in entry.data[CONF_METERS]:
        profile = profile_set.profiles.get(item[CONF_PROFILE])
        issue_id = f"unknown_profile_{entry.entry_id}_{item[CONF_SLAVE_ID]}"
        if profile is None:
            ir.async_create_issue(
                hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="unknown_profile",
                translation_placeholders={
                    "profile": item[CONF_PROFILE],
                    "slave_id": str(item[CONF_SLAVE_ID]),
                    "gateway": entry.title,
                },
            )
            continue
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        meters[item[CONF_SLAVE_ID]] = Meter(
            slave_id=item[CONF_SLAVE_ID],
            profile=profile,
            serial_number=item[CONF_SERIAL_NUMBER],
            refused_reads=frozenset(
                (fc, address, count) for fc, address, count in item.get(CONF_REFUSED_READS, ())
            ),
        )
    return meters


def _request(hass: HomeAssistant, entry: PrepaidPowerConfigEntry, meter: Meter) -> MeterRequest:
    """What to read from a meter: its relay, and the registers whose entity is enabled."""
    registry = er.async_get(hass)
    keys: set[str] = set(meter.profile.default_keys) - {r.key for r in meter.profile.registers}
    for register in offered_registers(entry, meter.profile):
        entity_id = registry.async_get_entity_id(
            Platform.SENSOR, DOMAIN, meter_unique_id(entry, meter.slave_id, register.key)
        )
        entity = registry.async_get(entity_id) if entity_id else None
        if (entity is None and register.enabled_by_default) or (
            entity is not None and not entity.disabled
        ):
            keys.add(register.key)
    if meter.profile.energy_key:
        # Billing needs the energy counter even when its sensor is disabled.
        keys.add(meter.profile.energy_key)
    return MeterRequest(meter.slave_id, meter.profile, frozenset(keys), meter.refused_reads)


@callback
def _async_report_profile_problems(hass: HomeAssistant, profile_set: ProfileSet) -> None:
    """One repair issue per broken profile file, naming the file and the field."""
    for problem in profile_set.problems:
        ir.async_create_issue(
            hass,
            DOMAIN,
            f"profile_{problem.file}",
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="broken_profile",
            translation_placeholders={
                "file": problem.file,
                "field": problem.field or "-",
                "message": problem.message,
            },
        )
