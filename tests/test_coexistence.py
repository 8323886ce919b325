"""Home Assistant's own `modbus` integration and this one, in one instance, on one gateway.

HA installs one pymodbus for both: the one its core `modbus` pins on each line (the lock
files pin the same), which this integration supports too.
"""

from __future__ import annotations

from datetime import timedelta
from importlib.metadata import version
import json
from pathlib import Path

from homeassistant.components import modbus
from homeassistant.const import STATE_OFF
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from packaging.requirements import Requirement
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.prepaid_power.const import DOMAIN
from prepaid_power_gateway import Gateway

from .test_init import gateway_entry, setup_gateway
from .test_sensor import poll, state_value

MANIFEST = Path(__file__).parents[1] / "custom_components" / DOMAIN / "manifest.json"
# Meter 3 of the small building: a DDS238-2 ZN/SR (power int16 W at 0x000E, relay at 0x001A).
CORE_POWER = "sensor.core_room_3_power"
CORE_RELAY = "sensor.core_room_3_relay"
OUR_POWER = "sensor.meter_3_dds238_2_zn_sr_power"
OUR_RELAY = "binary_sensor.meter_3_dds238_2_zn_sr_relay"


def _requirement(manifest: Path, name: str) -> Requirement:
    requirements = json.loads(manifest.read_text())["requirements"]
    return next(r for r in map(Requirement, requirements) if r.name == name)


def test_our_requirement_admits_the_pymodbus_core_modbus_pins() -> None:
    """The pymodbus HA's own modbus pins on this line satisfies our manifest, and is the
    one installed (what the lock file pins)."""
    core = _requirement(Path(modbus.__file__).parent / "manifest.json", "pymodbus")
    pinned = next(iter(core.specifier)).version
    assert _requirement(MANIFEST, "pymodbus").specifier.contains(pinned)
    assert version("pymodbus") == pinned


async def _core_reads(hass: HomeAssistant, entity_id: str, value: float) -> None:
    """Let a core modbus sensor poll (on its scan interval) until it shows `value`."""
    for _ in range(50):
        state = hass.states.get(entity_id)
        if state is not None and state.state == f"{value:g}":
            return
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
        await hass.async_block_till_done()
    pytest.fail(f"{entity_id} is {state and state.state}, never {value}")


# Like HA's own tests of modbus (its harness lets them linger): a YAML-configured core
# modbus cannot be unloaded, so its entities' poll timers outlive the test.
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_core_modbus_and_prepaid_power_share_the_gateway(
    hass: HomeAssistant, simulated_gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    """Core modbus reads and writes a meter this integration polls; each sees the other's
    effect, and neither logs an error."""
    meter = simulated_gateway.simulator.meter(3)
    sensor = {"slave": 3, "input_type": "holding", "data_type": "int16", "scan_interval": 1}
    assert await async_setup_component(
        hass,
        "modbus",
        {
            "modbus": [
                {
                    "name": "solar",
                    "type": "tcp",
                    "host": "127.0.0.1",
                    "port": simulated_gateway.port,
                    "sensors": [
                        {**sensor, "name": "Core room 3 power", "address": 0x000E},
                        {**sensor, "name": "Core room 3 relay", "address": 0x001A},
                    ],
                }
            ]
        },
    )
    await setup_gateway(hass, gateway_entry(simulated_gateway.port))
    await hass.async_block_till_done()

    assert meter.power_w == 800
    await _core_reads(hass, CORE_POWER, 800)
    await _core_reads(hass, CORE_RELAY, 1)
    assert state_value(hass, OUR_POWER) == 800

    # Core modbus opens the relay (the DDS238 takes writes with function 16 only).
    await hass.services.async_call(
        "modbus",
        "write_register",
        {"hub": "solar", "slave": 3, "address": 0x001A, "value": [0]},
        blocking=True,
    )
    assert meter.relay_on is False
    await poll(hass)
    assert hass.states.get(OUR_RELAY).state == STATE_OFF
    assert state_value(hass, OUR_POWER) == 0
    await _core_reads(hass, CORE_RELAY, 0)
    await _core_reads(hass, CORE_POWER, 0)

    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []
