"""Common areas against the simulator over Modbus TCP: a common meter's day shared into two
rooms' accounts (equal and by consumption), once across a reload, on the statements as its
own line; the subentry form refuses what it cannot use and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.prepaid_power.billing.statement import statement_data
from custom_components.prepaid_power.const import (
    DOMAIN,
    EVENT_COMMON_AREA_BOOKED,
    SUBENTRY_COMMON_METER,
    room_identifier,
)
from prepaid_power_gateway import Gateway, gateway_config, make_building

from .conftest import FAST_GATEWAY, device_with_identifier
from .test_house import midnight, poll_at, value
from .test_init import ROOM_DATA, gateway_entry
from .test_supply import act

BUILDING = make_building(
    [
        # The rooms use nothing: a day of usage in the test's real seconds would be held as
        # a suspect reading (the core's tests cover sharing by consumption).
        {"model": "SDM120", "slave": 1, "load_w": 0},
        {"model": "DDS238-2 ZN/SR", "slave": 3, "load_w": 0},
        {"model": "SDM120", "slave": 9, "load_w": 100},
    ]
)
METERS = [
    {"slave_id": 1, "profile": "eastron_sdm120", "serial_number": None},
    {"slave_id": 3, "profile": "hiking_dds238_2_zn_sr", "serial_number": None},
    {"slave_id": 9, "profile": "eastron_sdm120", "serial_number": None},
]
COST = "sensor.meter_9_sdm120_common_area_cost_last_day_shared"
LANDLORD = "sensor.meter_9_sdm120_landlord_s_share_last_day_shared"


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    async with Gateway(gateway_config(BUILDING, simulate=True, **FAST_GATEWAY)) as running:
        yield running


def common_entry(port: int, method: str = "equal", common: bool = True) -> MockConfigEntry:
    """Room 1 (meter 1), Room 3 (meter 3) and, with `common`, meter 9 as the stairs' meter
    at 0.5 per kWh shared by both rooms."""
    base = gateway_entry(port, meters=METERS)
    rooms = [
        ConfigSubentryData(
            data={**ROOM_DATA, "meter": slave},
            subentry_id=f"room{slave}",
            subentry_type="room",
            title=f"Room {slave}",
            unique_id=None,
        )
        for slave in (1, 3)
    ]
    stairs = ConfigSubentryData(
        data={
            "name": "Stairs",
            "meter": 9,
            "price": "0.5",
            "shared_by": ["room1", "room3"],
            "share_method": method,
        },
        subentry_id="stairs",
        subentry_type=SUBENTRY_COMMON_METER,
        title="Stairs",
        unique_id=None,
    )
    return MockConfigEntry(
        domain=DOMAIN,
        title=base.title,
        unique_id=base.unique_id,
        data=base.data,
        subentries_data=[*rooms, *([stairs] if common else [])],
    )


async def start(hass: HomeAssistant, gateway: Gateway, method: str) -> MockConfigEntry:
    """Both rooms let (10 paid each), the first midnight's poll taken."""
    hass.config.currency = "EUR"
    entry = common_entry(gateway.port, method)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    for slave in (1, 3):
        device = device_with_identifier(
            dr.async_get(hass), entry.entry_id, room_identifier(f"room{slave}")
        )
        assert device is not None
        await act(
            hass,
            "move_in",
            {"device_id": device.id, "tenant": f"T{slave}", "first_top_up": "10"},
        )
    await poll_at(hass, gateway, midnight(0) + timedelta(seconds=5), 5)
    return entry


async def balances(entry: MockConfigEntry) -> dict[str, Decimal]:
    return await entry.runtime_data.rooms.billing.run(
        lambda core: {room: core.balance(room) for room in ("room1", "room3")}
    )


async def test_equal_shares_once_on_the_statements(hass: HomeAssistant, gateway: Gateway) -> None:
    """24 h at 100 W: 2.4 kWh at 0.5 = 1.20, 0.60 each; the event names both rooms; a
    reload and a later poll book nothing more; each statement has its Common areas line."""
    events: list[Event] = []

    @callback
    def heard(event: Event) -> None:
        events.append(event)

    hass.bus.async_listen(EVENT_COMMON_AREA_BOOKED, heard)
    entry = await start(hass, gateway, "equal")
    before = await balances(entry)
    await poll_at(hass, gateway, midnight(0) + timedelta(hours=12), 12 * 3600)
    await poll_at(hass, gateway, midnight(1) + timedelta(seconds=20), 12 * 3600)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(events) == 1
    data = events[0].data
    assert data["day"] == midnight(0).date().isoformat()
    assert Decimal(data["kwh"]) == pytest.approx(Decimal("2.4"), abs=Decimal("0.002"))
    assert data["cost"] == "1.20"
    assert data["shares"] == [
        {"room": "Room 1", "amount": "0.60"},
        {"room": "Room 3", "amount": "0.60"},
    ]
    assert data["landlord_share"] == "0.00"
    state, attributes = value(hass, COST)
    assert (state, attributes["shares"]) == ("1.20", {"Room 1": 0.6, "Room 3": 0.6})
    assert value(hass, LANDLORD)[0] == "0.00"

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await poll_at(hass, gateway, midnight(1) + timedelta(seconds=40), 20)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(events) == 1
    assert value(hass, COST)[0] == "1.20"  # taken up from the ledger after the reload

    def shares(core: object) -> list[dict[str, object]]:
        found = []
        for room in ("room1", "room3"):
            tenancy = core.tenancy_of(room)  # type: ignore[attr-defined]
            found.append(statement_data(core, tenancy.tenancy_id)["common_area"])  # type: ignore[arg-type]
        return found

    statements = await entry.runtime_data.rooms.billing.run(shares)
    assert [s["amount"] for s in statements] == ["0.60", "0.60"]
    after = await balances(entry)
    assert {room: before[room] - after[room] for room in before} == {
        "room1": Decimal("0.60"),
        "room3": Decimal("0.60"),
    }


async def test_by_consumption_nobody_used_energy(hass: HomeAssistant, gateway: Gateway) -> None:
    """By consumption with no room using energy that day, the landlord carries the cost:
    no account is charged, the landlord's share sensor says so."""
    entry = await start(hass, gateway, "consumption")
    before = await balances(entry)
    await poll_at(hass, gateway, midnight(0) + timedelta(hours=12), 12 * 3600)
    await poll_at(hass, gateway, midnight(1) + timedelta(seconds=20), 12 * 3600)
    await hass.async_block_till_done(wait_background_tasks=True)
    common = entry.runtime_data.common
    assert common is not None
    last = common.meters["stairs"].last
    assert last is not None
    assert (last.rooms, last.day.cost, last.day.landlord_share) == (
        (),
        Decimal("1.20"),
        Decimal("1.20"),
    )
    assert value(hass, LANDLORD)[0] == "1.20"
    assert await balances(entry) == before


async def test_the_form_refuses_and_changes_nothing(hass: HomeAssistant, gateway: Gateway) -> None:
    """The common meter's form offers only meters no room uses, refuses a bad price, a
    missing name and no room (translated keys), then creates the subentry; a room's form no
    longer offers the common meter."""
    hass.config.currency = "EUR"
    entry = common_entry(gateway.port, common=False)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_COMMON_METER), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.FORM
    meter_field = next(k for k in result["data_schema"].schema if k == "meter")
    options = result["data_schema"].schema[meter_field].config["options"]
    assert [o["value"] for o in options] == ["9"]
    bad = {"name": " ", "meter": "9", "price": "-1", "shared_by": [], "share_method": "equal"}
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], bad)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {
        "name": "name_required",
        "price": "out_of_range",
        "shared_by": "no_rooms_chosen",
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**bad, "name": "Stairs", "price": "0.12345", "shared_by": ["room1"]}
    )
    assert result["errors"] == {"price": "too_many_decimals"}
    assert not [s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_COMMON_METER]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**bad, "name": "Stairs", "price": "0.4", "shared_by": ["room1"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    [stairs] = [s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_COMMON_METER]
    assert dict(stairs.data) == {
        "name": "Stairs",
        "meter": 9,
        "price": "0.4",
        "shared_by": ["room1"],
        "share_method": "equal",
    }
    loaded = hass.config_entries.async_get_entry(entry.entry_id)
    assert loaded is not None
    assert loaded.runtime_data.common is not None
    assert list(loaded.runtime_data.common.meters) == [stairs.subentry_id]
    # No meter is left for a new room, nor for a second common meter.
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "room"), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.ABORT
