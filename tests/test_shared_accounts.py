"""Shared accounts in Home Assistant, against the simulator over real Modbus TCP.

Room 3 (meter 3, 1 per kWh) and its air conditioner "Room 3 AC" (meter 5, 2 per kWh), each
a DDS238-2 ZN/SR with its own relay; the AC bills to Room 3's account.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.prepaid_power import operations as op
from custom_components.prepaid_power.const import DOMAIN, room_identifier
from custom_components.prepaid_power.control import SupplyState
from prepaid_power_gateway import BuildingConfig, Gateway, make_building

from .conftest import device_with_identifier
from .test_init import gateway_entry, setup_gateway
from .test_sensor import poll
from .test_supply import ROOM_DATA, act, state
from .test_websocket_api import Console

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

METERS = [
    {"slave_id": 3, "profile": "hiking_dds238_2_zn_sr", "serial_number": None},
    {"slave_id": 5, "profile": "hiking_dds238_2_zn_sr", "serial_number": None},
]
ROOM, AC = "sensor.room_3_supply", "sensor.room_3_ac_supply"


@pytest.fixture
def building() -> BuildingConfig:
    """Two meters with their own relays."""
    return make_building(
        [
            {"model": "DDS238-2 ZN/SR", "slave": 3, "load_w": 0},
            {"model": "DDS238-2 ZN/SR", "slave": 5, "load_w": 0},
        ]
    )


def shared_entry(port: int, **ac: Any) -> MockConfigEntry:
    """The gateway with Room 3 and its AC billing to Room 3's account."""
    entry = gateway_entry(port, METERS)
    rooms = {
        "room": ("Room 3", {**ROOM_DATA}),
        "ac": ("Room 3 AC", {**ROOM_DATA, "meter": 5, "price": "2", "bills_to": "room", **ac}),
    }
    return MockConfigEntry(
        domain=DOMAIN,
        title=entry.title,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        subentries_data=[
            {
                "data": data,
                "subentry_id": subentry_id,
                "subentry_type": "room",
                "title": title,
                "unique_id": None,
            }
            for subentry_id, (title, data) in rooms.items()
        ],
    )


def device(hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str) -> str:
    found = device_with_identifier(dr.async_get(hass), entry.entry_id, room_identifier(subentry_id))
    assert found is not None
    return found.id


async def setup_shared(hass: HomeAssistant, gateway: Gateway) -> MockConfigEntry:
    """Both rooms loaded, the family moved into Room 3 with 0.05 paid; one poll done."""
    hass.config.currency = "CNY"
    entry = shared_entry(gateway.port)
    await setup_gateway(hass, entry)
    await act(
        hass,
        "move_in",
        {"device_id": device(hass, entry, "room"), "tenant": "Family", "first_top_up": "0.05"},
    )
    await poll(hass)
    return entry


async def test_one_balance_cuts_and_restores_every_actuator_of_the_account(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """The AC's usage empties the shared balance: both relays are cut in the same poll; a
    top-up on the AC's device (either room acts on the account) restores both at once."""
    entry = await setup_shared(hass, simulated_gateway)
    room_meter = simulated_gateway.simulator.meter(3)
    ac_meter = simulated_gateway.simulator.meter(5)
    assert state(hass, ROOM) == state(hass, AC) == SupplyState.LOW
    assert state(hass, "sensor.room_3_ac_balance") == state(hass, "sensor.room_3_balance")
    runtime = entry.runtime_data
    assert runtime.coordinator.data.rooms["ac"].summary.payer == "room"
    assert runtime.coordinator.data.rooms["ac"].tenant == "Family"

    ac_meter.set_load(1000)
    simulated_gateway.simulator.clock.advance(0.03 * 3600)  # 0.03 kWh at 2: 0.06 > 0.05
    await poll(hass)
    assert state(hass, ROOM) == state(hass, AC) == SupplyState.CUT_OFF
    assert room_meter.relay_on is False
    assert ac_meter.relay_on is False
    assert Decimal(state(hass, "sensor.room_3_balance")) < 0

    await act(hass, "top_up", {"device_id": device(hass, entry, "ac"), "amount": "5"})
    assert room_meter.relay_on is True
    assert ac_meter.relay_on is True
    assert state(hass, ROOM) == state(hass, AC) == SupplyState.ON
    assert state(hass, "sensor.room_3_ac_balance") == state(hass, "sensor.room_3_balance")


async def test_tenants_move_out_of_the_payer_with_every_meter(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """A move-out on the AC is refused (translated, nothing changes); on Room 3 it reads
    both meters, and the statement lists each meter."""
    entry = await setup_shared(hass, simulated_gateway)
    await act(hass, "top_up", {"device_id": device(hass, entry, "room"), "amount": "5"})
    simulated_gateway.simulator.meter(5).set_load(1000)
    simulated_gateway.simulator.clock.advance(0.02 * 3600)
    await poll(hass)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "move_out", {"device_id": device(hass, entry, "ac")})
    assert err.value.translation_key == "room_bills_to_other"
    assert err.value.translation_placeholders == {"room": "Room 3 AC", "payer": "Room 3"}
    assert entry.runtime_data.coordinator.data.rooms["room"].tenant == "Family"

    response = await hass.services.async_call(
        DOMAIN,
        "move_out",
        {"device_id": device(hass, entry, "room")},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    statement: Any = response["statement_data"]
    meters = {line["room"]: line for line in statement["meters"]}
    assert set(meters) == {"Room 3", "Room 3 AC"}
    assert Decimal(meters["Room 3 AC"]["kwh"]) == Decimal("0.020")
    await hass.async_block_till_done()
    assert entry.runtime_data.coordinator.data.rooms["ac"].tenant is None


async def test_the_room_form_links_a_meter_and_refuses_what_is_not_one_account(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """The AC's form offers the other rooms; making Room 3 (which the AC bills to) bill to
    the AC is a chain, refused with a translated form error, nothing saved."""
    hass.config.currency = "CNY"
    entry = shared_entry(simulated_gateway.port)
    await setup_gateway(hass, entry)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "room"), context={"source": "reconfigure", "subentry_id": "room"}
    )
    assert result["type"] is FlowResultType.FORM
    schema = result["data_schema"].schema
    (bills_to,) = (key for key in schema if str(key) == "bills_to")
    assert [o["value"] for o in schema[bills_to].config["options"]] == ["ac"]
    form = {**entry.subentries["room"].data, "name": "Room 3", "meter": "3", "bills_to": "ac"}
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"bills_to": "bills_to_chain"}
    assert "bills_to" not in entry.subentries["room"].data


async def test_the_console_and_the_portal_show_the_shared_account(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    hass_ws_client: WebSocketGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """The console's rows name the AC's payer and each meter's cycle energy and cost; both
    rooms' portal pages list the account's meters by name, the payer's first."""
    assert await async_setup_component(hass, "http", {})
    entry = await setup_shared(hass, simulated_gateway)
    simulated_gateway.simulator.meter(5).set_load(1000)
    simulated_gateway.simulator.clock.advance(0.02 * 3600)  # 0.02 kWh at 2 per kWh
    await poll(hass)

    console = Console(await hass_ws_client(hass))
    rows = {row["name"]: row for row in (await console.ok("rooms"))["rooms"]}
    room, ac = rows["Room 3"], rows["Room 3 AC"]
    assert (room["payer"], ac["payer"]) == (None, room["room_id"])
    assert Decimal(ac["energy_this_cycle_kwh"]) == Decimal("0.02")
    assert Decimal(ac["cost_this_cycle"]) == Decimal("0.04")
    assert Decimal(room["energy_this_cycle_kwh"]) == Decimal(room["cost_this_cycle"]) == 0
    assert room["balance"] == ac["balance"]

    client = await hass_client_no_auth()
    for room_id in ("room", "ac"):
        link = await op.rotate_portal_link(hass, op.Caller.of(None), room_id)
        response = await client.get(f"{link.path}/data")
        assert response.status == 200
        meters = (await response.json())["meters"]
        assert [m["room"] for m in meters] == ["Room 3", "Room 3 AC"]
        assert [Decimal(m["energy_this_cycle_kwh"]) for m in meters] == [0, Decimal("0.02")]
        assert [Decimal(m["cost_this_cycle"]) for m in meters] == [0, Decimal("0.04")]
    assert entry.runtime_data.coordinator.data.rooms["ac"].summary.payer == "room"
