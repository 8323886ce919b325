"""Meter entities against the simulator: values, availability, relays, scan, diagnostics."""

from __future__ import annotations

from datetime import timedelta
import json

from homeassistant.auth.models import User
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import Context, Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.prepaid_power.const import (
    CONF_ALL_METER_VALUES,
    CONF_BAUDRATE,
    CONF_BYTESIZE,
    CONF_CONNECTION,
    CONF_METERS,
    CONF_PARITY,
    CONF_SERIAL_PORT,
    CONF_STOPBITS,
    DOMAIN,
)
from prepaid_power_gateway import Gateway
from prepaid_power_gateway.simulator.rtu import PtySimulator

from .test_config_flow import SMALL_BUILDING_METERS
from .test_init import ROOM_DATA, gateway_entry, setup_gateway


def state_value(hass: HomeAssistant, entity_id: str) -> float:
    """A sensor's state as a number."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return float(state.state)


async def poll(hass: HomeAssistant, cycles: int = 1) -> None:
    """Run `cycles` poll cycles of every loaded gateway now (time is not frozen: the bus
    needs real timeouts)."""
    for _ in range(cycles):
        for entry in hass.config_entries.async_loaded_entries(DOMAIN):
            await entry.runtime_data.coordinator.async_refresh()
        await hass.async_block_till_done()


async def test_states_equal_simulator_values(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """Every model's decoded measurements equal what the simulated meter holds."""
    await setup_gateway(hass, gateway_entry(simulated_gateway.port))
    simulator = simulated_gateway.simulator
    simulator.clock.advance(3600)
    await poll(hass)

    for slave_id, prefix in (
        (1, "sensor.meter_1_sdm120"),
        (3, "sensor.meter_3_dds238_2_zn_sr"),
        (4, "sensor.meter_4_em115"),
        (7, "sensor.meter_7_ddsu666"),
    ):
        meter = simulator.meter(slave_id)
        assert state_value(hass, f"{prefix}_power") == pytest.approx(meter.power_w, abs=1)
        assert state_value(hass, f"{prefix}_energy_imported") == pytest.approx(
            meter.energy_kwh, abs=0.01
        )
    # One hour at 500 W on a fresh SDM120.
    assert state_value(hass, "sensor.meter_1_sdm120_energy_imported") == pytest.approx(
        0.5, abs=0.01
    )
    energy = hass.states.get("sensor.meter_1_sdm120_energy_imported")
    assert energy is not None
    assert energy.attributes["state_class"] == "total_increasing"
    assert energy.attributes["unit_of_measurement"] == "kWh"
    assert energy.attributes["device_class"] == "energy"


LESS_COMMON = (
    "sensor.meter_1_sdm120_voltage",
    "sensor.meter_1_sdm120_current",
    "sensor.meter_1_sdm120_frequency",
    "sensor.meter_1_sdm120_power_factor",
    "sensor.meter_1_sdm120_transactions",
    "sensor.meter_1_sdm120_timeouts",
    "sensor.meter_1_sdm120_last_successful_read",
)


async def _set_all_meter_values(hass: HomeAssistant, entry: MockConfigEntry, on: bool) -> None:
    """Through the options form, as an installer would; the gateway reloads."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "settings"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**entry.options, CONF_ALL_METER_VALUES: on}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_less_common_values_are_offered_by_an_option(
    hass: HomeAssistant, simulated_gateway: Gateway, entity_registry: er.EntityRegistry
) -> None:
    """By default a meter has energy and power only. The gateway option "offer every meter
    value" adds voltage, current, frequency, power factor and bus statistics, disabled;
    switching it off again removes them from the registry."""
    entry = gateway_entry(simulated_gateway.port)
    await setup_gateway(hass, entry)
    for entity_id in ("sensor.meter_1_sdm120_power", "sensor.meter_1_sdm120_energy_imported"):
        registered = entity_registry.async_get(entity_id)
        assert registered is not None, entity_id
        assert registered.disabled_by is None, entity_id
    for entity_id in LESS_COMMON:
        assert entity_registry.async_get(entity_id) is None, entity_id

    await _set_all_meter_values(hass, entry, True)
    for entity_id in LESS_COMMON:
        registered = entity_registry.async_get(entity_id)
        assert registered is not None, entity_id
        assert registered.disabled_by is er.RegistryEntryDisabler.INTEGRATION, entity_id
    assert entity_registry.async_get("sensor.meter_1_sdm120_power").disabled_by is None

    entity_registry.async_update_entity(LESS_COMMON[0], disabled_by=None)
    await _set_all_meter_values(hass, entry, False)
    for entity_id in LESS_COMMON:
        assert entity_registry.async_get(entity_id) is None, entity_id
    assert hass.states.get(LESS_COMMON[0]) is None
    # The voltage that was enabled is no longer read either.
    await poll(hass)
    assert "voltage" not in entry.runtime_data.coordinator.data.readings[1].values
    assert "power" in entry.runtime_data.coordinator.data.readings[1].values


async def test_an_enabled_sensor_is_read_from_then_on(
    hass: HomeAssistant, simulated_gateway: Gateway, entity_registry: er.EntityRegistry
) -> None:
    """Only registers with an enabled entity are polled: enabling voltage (after the
    reload HA does for it) makes every model read and show it."""
    entry = gateway_entry(simulated_gateway.port, options={CONF_ALL_METER_VALUES: True})
    await setup_gateway(hass, entry)
    prefixes = {
        1: "sensor.meter_1_sdm120",
        3: "sensor.meter_3_dds238_2_zn_sr",
        4: "sensor.meter_4_em115",
        7: "sensor.meter_7_ddsu666",
    }
    await poll(hass)
    for prefix in prefixes.values():
        assert hass.states.get(f"{prefix}_voltage") is None
        entity_registry.async_update_entity(f"{prefix}_voltage", disabled_by=None)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await poll(hass)
    for slave_id, prefix in prefixes.items():
        voltage = simulated_gateway.simulator.meter(slave_id).voltage_v
        assert state_value(hass, f"{prefix}_voltage") == pytest.approx(voltage, abs=0.1)


async def test_meter_going_offline_and_coming_back(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """A silent meter turns unavailable after three failed polls and comes back; others stay."""
    await setup_gateway(hass, gateway_entry(simulated_gateway.port))
    meter = simulated_gateway.simulator.meter(4)
    meter.set_faults(offline=True)
    await poll(hass, 2)
    assert hass.states.get("sensor.meter_4_em115_power").state != STATE_UNAVAILABLE
    await poll(hass)
    assert hass.states.get("sensor.meter_4_em115_power").state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.meter_1_sdm120_power").state != STATE_UNAVAILABLE

    meter.set_faults(offline=False)
    # A dead meter is probed every few cycles, not on every one.
    await poll(hass, 6)
    assert hass.states.get("sensor.meter_4_em115_power").state != STATE_UNAVAILABLE


async def test_relay_state_follows_the_meter(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """The relay sensor shows what the meter reports; meters without relay have none."""
    await setup_gateway(hass, gateway_entry(simulated_gateway.port))
    assert hass.states.get("binary_sensor.meter_3_dds238_2_zn_sr_relay").state == STATE_ON
    assert hass.states.get("binary_sensor.meter_4_em115_relay").state == STATE_ON
    assert hass.states.get("binary_sensor.meter_1_sdm120_relay") is None

    simulated_gateway.simulator.meter(3).set_relay(False)
    await poll(hass)
    assert hass.states.get("binary_sensor.meter_3_dds238_2_zn_sr_relay").state == STATE_OFF
    assert state_value(hass, "sensor.meter_3_dds238_2_zn_sr_power") == 0


async def test_gateway_unreachable_makes_everything_unavailable(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """When the gateway itself goes away, every meter entity is unavailable."""
    await setup_gateway(hass, gateway_entry(simulated_gateway.port))
    await simulated_gateway.stop()
    await poll(hass)
    assert hass.states.get("sensor.meter_1_sdm120_power").state == STATE_UNAVAILABLE
    assert hass.states.get("binary_sensor.meter_3_dds238_2_zn_sr_relay").state == STATE_UNAVAILABLE


async def test_scan_button_adds_new_meters(hass: HomeAssistant, simulated_gateway: Gateway) -> None:
    """Pressing scan finds a meter not yet configured and adds its device and entities."""
    entry = gateway_entry(
        simulated_gateway.port,
        [{"slave_id": 1, "profile": "eastron_sdm120", "serial_number": 12000001}],
    )
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, "last_id": 8})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.meter_7_ddsu666_power") is None

    await hass.services.async_call(
        "button", "press", {"entity_id": "button.test_gateway_scan_for_new_meters"}, blocking=True
    )
    await hass.async_block_till_done()
    assert [m["slave_id"] for m in entry.data[CONF_METERS]] == [1, 3, 4, 7]
    assert hass.states.get("sensor.meter_7_ddsu666_power") is not None


async def test_scan_button_refuses_tenants(
    hass: HomeAssistant, simulated_gateway: Gateway, tenant_user: User
) -> None:
    """Only the landlord may scan: a non-admin user gets a translated refusal."""
    entry = gateway_entry(simulated_gateway.port)
    await setup_gateway(hass, entry)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "button",
            "press",
            {"entity_id": "button.test_gateway_scan_for_new_meters"},
            blocking=True,
            context=Context(user_id=tenant_user.id),
        )
    assert err.value.translation_key == "landlord_only"
    assert len(entry.data[CONF_METERS]) == 4


async def test_diagnostics(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_client: ClientSessionGenerator
) -> None:
    """Diagnostics carry the plan, bus statistics and meter health, with the host redacted."""
    entry = gateway_entry(simulated_gateway.port)
    await setup_gateway(hass, entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["entry"]["data"]["host"] == "**REDACTED**"
    assert set(diagnostics["meters"]) == {"1", "3", "4", "7"}
    assert diagnostics["meters"]["1"]["available"] is True
    plan = diagnostics["plan"]["transactions"]
    # The DDS238 keeps all its values and its relay in one block: one read.
    assert [t for t in plan if t["slave_id"] == 3] == [
        {**t, "function": 3} for t in plan if t["slave_id"] == 3
    ]
    assert len([t for t in plan if t["slave_id"] == 3]) == 1
    assert diagnostics["bus"]["transactions"] >= len(plan)
    assert diagnostics["plan"]["wire_ms_per_cycle"] > 0
    # The ledger was checked when it opened: no rooms yet, so no accounts and no entries.
    assert diagnostics["ledger_check"]["accounts"] == diagnostics["ledger_check"]["entries"] == 0
    assert diagnostics["ledger_check"]["at"]


async def test_diagnostics_identify_no_building_or_tenant(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_client: ClientSessionGenerator
) -> None:
    """Meter serials, the serial port, room names and override reasons are redacted."""
    async with PtySimulator(simulated_gateway.simulator) as pty:
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="Gateway",
            unique_id=pty.port,
            data={
                CONF_CONNECTION: "serial",
                CONF_SERIAL_PORT: pty.port,
                CONF_BAUDRATE: 9600,
                CONF_PARITY: "N",
                CONF_STOPBITS: 1,
                CONF_BYTESIZE: 8,
                CONF_METERS: SMALL_BUILDING_METERS,
            },
            subentries_data=[
                {
                    "data": {**ROOM_DATA, "meter": 3, "actuator_kind": "meter_relay"},
                    "subentry_type": "room",
                    "title": "Flat of Mrs Wang",
                    "unique_id": None,
                }
            ],
        )
        await setup_gateway(hass, entry)
        room = next(iter(entry.runtime_data.rooms.rooms.values()))
        await hass.services.async_call(
            DOMAIN,
            "set_supply",
            {"device_id": room.device_id, "state": "off", "reason": "Owes rent since May"},
            blocking=True,
        )
        diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
        assert await hass.config_entries.async_unload(entry.entry_id)
    text = json.dumps(diagnostics)
    for secret in (pty.port, "12000001", "11500004", "Mrs Wang", "Owes rent"):
        assert secret not in text, secret
    assert diagnostics["entry"]["data"]["serial_port"] == "**REDACTED**"
    # Meters without a serial number have none to hide.
    assert [m["serial_number"] for m in diagnostics["entry"]["data"]["meters"]] == [
        "**REDACTED**",
        None,
        "**REDACTED**",
        None,
    ]
    (supply,) = diagnostics["supply"].values()
    # A reason is set (None would stay None), and hidden.
    assert supply["memory"]["forced_off_reason"] == "**REDACTED**"


async def test_options_change_reloads_with_new_interval(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """Saving options reloads the gateway with the new poll interval."""
    entry: MockConfigEntry = gateway_entry(simulated_gateway.port)
    await setup_gateway(hass, entry)
    hass.config_entries.async_update_entry(
        entry, options={"poll_interval": 30, "timeout_ms": 500, "inter_frame_gap_ms": 0}
    )
    await hass.async_block_till_done()
    runtime = entry.runtime_data
    assert runtime.coordinator.update_interval == timedelta(seconds=30)
    assert runtime.bus.settings.timeout_s == 0.5
    assert DOMAIN == "prepaid_power"


async def test_unchanged_values_are_not_written_again(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """A poll that reads the same values writes no state (the recorder stays quiet)."""
    from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED

    await setup_gateway(hass, gateway_entry(simulated_gateway.port))
    await poll(hass)
    reported: list[Event] = []
    changed: list[Event] = []
    # HA refuses unfiltered listeners for state_reported (it is frequent by design).
    hass.bus.async_listen(
        EVENT_STATE_REPORTED,
        callback(lambda event: reported.append(event)),  # noqa: PLW0108 - a builtin cannot be marked a callback
        event_filter=callback(lambda _: True),
    )
    hass.bus.async_listen(EVENT_STATE_CHANGED, changed.append)
    await poll(hass, 2)
    assert [e for e in reported if e.data["entity_id"].startswith("sensor.meter_")] == []
    assert [e for e in changed if e.data["entity_id"].startswith("sensor.meter_")] == []

    simulated_gateway.simulator.meter(1).set_load(750)
    await poll(hass)
    power = [e for e in changed if e.data["entity_id"] == "sensor.meter_1_sdm120_power"]
    assert len(power) == 1
    assert float(power[0].data["new_state"].state) == pytest.approx(750, abs=1)


async def test_meter_values_are_shown_to_their_resolution(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """Float registers to what the meters measure, energy to 1 Wh; integer registers to
    their scale (DDS238-2: 0.01 kWh)."""
    await setup_gateway(hass, gateway_entry(simulated_gateway.port))
    registry = er.async_get(hass)

    def precision(entity_id: str) -> object:
        entry = registry.async_get(entity_id)
        assert entry is not None, entity_id
        return entry.options["sensor"]["suggested_display_precision"]

    assert precision("sensor.meter_1_sdm120_energy_imported") == 3
    assert precision("sensor.meter_1_sdm120_power") == 0
    assert precision("sensor.meter_3_dds238_2_zn_sr_energy_imported") == 2
    assert precision("sensor.meter_3_dds238_2_zn_sr_power") == 0
