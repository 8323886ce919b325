"""The house meter against the simulator over Modbus TCP: its daily difference with the
meters behind it, the repair above the threshold, offline meters not judged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.prepaid_power.const import (
    DOMAIN,
    EVENT_HOUSE_DIFFERENCE,
    SUBENTRY_HOUSE_METER,
)
from prepaid_power_gateway import Gateway, gateway_config, make_building

from .conftest import FAST_GATEWAY
from .test_init import ROOM_DATA, gateway_entry

# Two rooms' meters and a house meter (slave 9) ahead of them.
BUILDING = make_building(
    [
        {"model": "SDM120", "slave": 1, "load_w": 500},
        {"model": "DDS238-2 ZN/SR", "slave": 3, "load_w": 800},
        {"model": "SDM120", "slave": 9, "feeds": [1, 3], "load_w": 0},
    ]
)
METERS = [
    {"slave_id": 1, "profile": "eastron_sdm120", "serial_number": None},
    {"slave_id": 3, "profile": "hiking_dds238_2_zn_sr", "serial_number": None},
    {"slave_id": 9, "profile": "eastron_sdm120", "serial_number": None},
]
TODAY = "sensor.meter_9_sdm120_house_meter_difference_today"
YESTERDAY = "sensor.meter_9_sdm120_house_meter_difference_yesterday"


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    async with Gateway(gateway_config(BUILDING, simulate=True, **FAST_GATEWAY)) as running:
        yield running


def house_entry(port: int, threshold_kwh: str = "0.5", threshold_percent: str = "") -> Any:
    """A gateway whose meter 9 is the house meter (no rooms: every meter behind it counts)."""
    entry: MockConfigEntry = gateway_entry(port, meters=METERS)
    return MockConfigEntry(
        domain=DOMAIN,
        title=entry.title,
        unique_id=entry.unique_id,
        data=entry.data,
        subentries_data=[
            ConfigSubentryData(
                data={
                    "meter": 9,
                    "threshold_kwh": threshold_kwh,
                    "threshold_percent": threshold_percent,
                },
                subentry_type=SUBENTRY_HOUSE_METER,
                title="9: SDM120",
                unique_id=None,
            ),
        ],
    )


def midnight(days: int) -> datetime:
    """A local midnight `days` after the test's first one."""
    start = dt_util.start_of_local_day() + timedelta(days=1)
    return dt_util.start_of_local_day(start + timedelta(days=days, hours=2))


async def poll_at(
    hass: HomeAssistant, gateway: Gateway, moment: datetime, simulated: float
) -> None:
    """Let `simulated` seconds pass in the building, then poll with the meters read at
    `moment` (the poller's clock: HA's own keeps running, the bus needs real timeouts)."""
    gateway.simulator.clock.advance(simulated)
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        entry.runtime_data.coordinator.poller.clock = lambda: moment
        await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


def value(hass: HomeAssistant, entity_id: str) -> tuple[str, dict[str, Any]]:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state, dict(state.attributes)


async def test_daily_difference_repair_and_offline_meters(
    hass: HomeAssistant, gateway: Gateway
) -> None:
    """A loss the house meter counts shows as yesterday's difference and raises the repair;
    a day a meter was offline at midnight is not judged (named); a day under it clears it."""
    events: list[Event] = []

    @callback
    def heard(event: Event) -> None:
        events.append(event)

    hass.bus.async_listen(EVENT_HOUSE_DIFFERENCE, heard)
    entry = house_entry(gateway.port)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await poll_at(hass, gateway, midnight(0) + timedelta(seconds=5), 5)
    issues = ir.async_get(hass)
    issue_id = f"house_difference_{entry.entry_id}"

    # Twelve hours: 6 kWh + 9.6 kWh behind the house meter, no loss.
    await poll_at(hass, gateway, midnight(0) + timedelta(hours=12), 12 * 3600)
    state, attributes = value(hass, TODAY)
    assert float(state) == pytest.approx(0, abs=0.002)
    assert attributes["judged"] is True
    assert attributes["missing_meters"] == []
    assert attributes["main_kwh"] == pytest.approx(15.6, abs=0.002)

    # A 2 kWh loss before midnight: yesterday 2 kWh over the threshold of 0.5 kWh.
    gateway.simulator.meter(9).set_loss(2.0)
    await poll_at(hass, gateway, midnight(1) + timedelta(seconds=20), 12 * 3600)
    state, attributes = value(hass, YESTERDAY)
    assert float(state) == pytest.approx(2.0, abs=0.002)
    assert attributes["day"] == midnight(0).date().isoformat()
    percent, _ = value(hass, f"{YESTERDAY}_percent")
    assert float(percent) == pytest.approx(2 * 100 / (31.2 + 2), abs=0.02)
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "house_difference"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["day"] == midnight(0).date().isoformat()
    assert len(events) == 1
    assert events[0].data["meter"] == "9"
    assert float(events[0].data["difference_kwh"]) == pytest.approx(2.0, abs=0.002)

    # Meter 3 does not answer at the next midnight: that day is not judged, the repair stays.
    await poll_at(hass, gateway, midnight(1) + timedelta(hours=23), 23 * 3600)
    gateway.simulator.meter(3).set_faults(offline=True)
    await poll_at(hass, gateway, midnight(2) + timedelta(seconds=20), 3600)
    state, attributes = value(hass, YESTERDAY)
    assert state == "unknown"
    assert attributes["judged"] is False
    assert attributes["missing_meters"] == [3]
    assert issues.async_get_issue(DOMAIN, issue_id) is not None
    # Today cannot be judged either: meter 3 missed its start.
    gateway.simulator.meter(3).set_faults(offline=False)
    await poll_at(hass, gateway, midnight(2) + timedelta(hours=6), 6 * 3600)
    assert value(hass, TODAY)[1]["missing_meters"] == [3]

    # A whole day read at both midnights with no loss: under the threshold, repair cleared.
    await poll_at(hass, gateway, midnight(3) + timedelta(seconds=20), 18 * 3600)
    await poll_at(hass, gateway, midnight(4) + timedelta(seconds=20), 24 * 3600)
    state, attributes = value(hass, YESTERDAY)
    assert float(state) == pytest.approx(0, abs=0.002)
    assert attributes["judged"] is True
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    assert len(events) == 1

    # The day's start readings survive a restart.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    gateway.simulator.meter(9).set_loss(1.0)
    await poll_at(hass, gateway, midnight(4) + timedelta(hours=3), 3 * 3600)
    assert float(value(hass, TODAY)[0]) == pytest.approx(1.0, abs=0.002)


async def test_house_meter_subentry_flow(hass: HomeAssistant, gateway: Gateway) -> None:
    """The landlord names the house meter in the UI: not a room's meter, one per gateway,
    a threshold that is not a number refused with a field error."""
    entry = gateway_entry(gateway.port, meters=METERS, rooms={"Room 1": ROOM_DATA})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_HOUSE_METER), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.FORM
    meter_field = next(k for k in result["data_schema"].schema if k == "meter")
    options = result["data_schema"].schema[meter_field].config["options"]
    assert [o["value"] for o in options] == ["3", "9"]  # meter 1 is Room 1's
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"meter": "9", "threshold_kwh": "lots"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"threshold_kwh": "not_a_number"}
    assert not [s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_HOUSE_METER]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"meter": "9", "threshold_kwh": "1.5", "threshold_percent": "5"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    house = [s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_HOUSE_METER]
    assert len(house) == 1
    assert dict(house[0].data) == {"meter": 9, "threshold_kwh": "1.5", "threshold_percent": "5"}
    loaded = hass.config_entries.async_get_entry(entry.entry_id)
    assert loaded is not None
    assert loaded.runtime_data.house is not None
    assert loaded.runtime_data.house.main == 9

    # One per gateway; and the room form no longer offers meter 9.
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_HOUSE_METER), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "house_meter_exists"
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "room"), context={"source": "user"}
    )
    meter_field = next(k for k in result["data_schema"].schema if k == "meter")
    options = result["data_schema"].schema[meter_field].config["options"]
    assert [o["value"] for o in options] == ["3"]
