"""The logbook's attribution of a poll's changes, with HA's real recorder and logbook."""

from __future__ import annotations

from collections.abc import Generator

from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.prepaid_power.control import SupplyState
from prepaid_power_gateway import Gateway

from .test_supply import SUPPLY, setup_room, state, use_energy

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> Generator[None]:
    """The recorder must start before Home Assistant (overrides tests/conftest.py)."""
    return


async def test_logbook_blames_the_room_s_own_meter(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A poll's cut-off of Room 3 is attributed to Room 3's own meter reading, not to the
    first meter the poll wrote; the contexts keep no event alive (no reference cycle)."""
    assert await async_setup_component(hass, "logbook", {})
    start = dt_util.utcnow()
    await setup_room(hass, simulated_gateway)
    await use_energy(hass, simulated_gateway, 0.06)
    assert state(hass) == SupplyState.CUT_OFF
    supply = hass.states.get(SUPPLY)
    assert supply is not None
    assert supply.context.origin_event is None
    await async_wait_recording_done(hass)
    client = await hass_ws_client(hass)
    await client.send_json(
        {
            "id": 1,
            "type": "logbook/get_events",
            "start_time": start.isoformat(),
            "entity_ids": [SUPPLY],
        }
    )
    response = await client.receive_json()
    assert response["success"], response
    (cut,) = [row for row in response["result"] if row.get("state") == SupplyState.CUT_OFF]
    assert cut["context_entity_id"] in {
        "sensor.meter_3_dds238_2_zn_sr_energy_imported",
        "sensor.meter_3_dds238_2_zn_sr_power",
        "sensor.room_3_balance",
    }
