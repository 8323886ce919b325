"""Price from an entity in Home Assistant: a sensor's price sampled at each posting over the
simulated meter (Modbus TCP), the guard, the unavailable rule and its repair, refusals."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.prepaid_power.billing.money import Currency
from custom_components.prepaid_power.const import DOMAIN
from custom_components.prepaid_power.rooms import entity_price, price_unit_ok
from prepaid_power_gateway import Gateway

from .test_restart_billing import (  # noqa: F401 (clock: a fixture)
    ShiftedClock,
    clock,
    tenant_charges,
)
from .test_rooms import act, ledger_entries, make_room, room_device_id, room_subentry
from .test_sensor import poll
from .test_websocket_api import Console

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

SHANGHAI = ZoneInfo("Asia/Shanghai")
PRICE = "sensor.spot_price"
TARIFF = {"kind": "entity", "entity_id": PRICE, "min_price": "0.2000", "max_price": "1.0000"}


def set_price(hass: HomeAssistant, state: str, unit: str = "CNY/kWh") -> None:
    hass.states.async_set(PRICE, state, {"unit_of_measurement": unit})


async def use(hass: HomeAssistant, gateway: Gateway, kwh: Decimal) -> None:
    """Meter 1 counts exactly `kwh` more, then stands still; poll."""
    meter = gateway.simulator.meter(1)
    meter.set_load(1000)
    gateway.simulator.clock.advance(float(kwh) * 3600)
    meter.set_load(0)
    await poll(hass)


def issue(hass: HomeAssistant, key: str, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{key}_{room_subentry(entry).subentry_id}")


async def test_charges_follow_the_sensor(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    clock: ShiftedClock,  # noqa: F811
) -> None:
    start = datetime(2026, 3, 10, 9, tzinfo=SHANGHAI)
    clock.move_to(start)
    await hass.config.async_update(time_zone="Asia/Shanghai")
    set_price(hass, "0.80")
    entry = await make_room(hass, simulated_gateway)
    device_id = room_device_id(hass, entry)
    await act(hass, "set_tariff", {"device_id": device_id, "tariff": TARIFF})
    await poll(hass)
    assert Decimal(hass.states.get("sensor.room_1_current_price").state) == Decimal("0.8")

    clock.move_to(start + timedelta(minutes=61))
    await use(hass, simulated_gateway, Decimal("0.5"))
    set_price(hass, "0.30")
    clock.move_to(start + timedelta(minutes=122))
    await use(hass, simulated_gateway, Decimal(1))
    assert Decimal(hass.states.get("sensor.room_1_current_price").state) == Decimal("0.3")
    assert issue(hass, "price_entity_clamped", entry) is None
    # Above the guard: charged at max_price, and the landlord is told.
    set_price(hass, "5")
    clock.move_to(start + timedelta(minutes=183))
    await use(hass, simulated_gateway, Decimal("0.5"))
    clamped = issue(hass, "price_entity_clamped", entry)
    assert clamped is not None
    assert clamped.translation_placeholders["sampled"] == "5"
    assert await tenant_charges(entry) == [
        ("entity", Decimal("0.5"), Decimal("0.8"), Decimal("-0.40")),
        ("entity", Decimal(1), Decimal("0.3"), Decimal("-0.30")),
        ("entity", Decimal("0.5"), Decimal(1), Decimal("-0.50")),
    ]
    state = hass.states.get("sensor.room_1_balance")
    assert Decimal(state.state) == Decimal("18.80")


@pytest.mark.parametrize(
    ("state", "unit"),
    [("unavailable", "CNY/kWh"), ("unknown", "CNY/kWh"), ("cheap", "CNY/kWh"), ("0.5", "EUR/kWh")],
)
async def test_no_usable_price_charges_max_price_with_a_repair(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    clock: ShiftedClock,  # noqa: F811
    state: str,
    unit: str,
) -> None:
    start = datetime(2026, 3, 10, 9, tzinfo=SHANGHAI)
    clock.move_to(start)
    entry = await make_room(hass, simulated_gateway)
    await act(hass, "set_tariff", {"device_id": room_device_id(hass, entry), "tariff": TARIFF})
    set_price(hass, state, unit)
    clock.move_to(start + timedelta(minutes=61))
    await use(hass, simulated_gateway, Decimal(1))
    repair = issue(hass, "price_entity_unavailable", entry)
    assert repair is not None
    assert repair.translation_placeholders["max_price"] == "1.0000"
    assert await tenant_charges(entry) == [("entity", Decimal(1), Decimal(1), Decimal("-1.00"))]
    # The price is back: the repair goes at the next reading, the next posting uses it.
    set_price(hass, "0.25")
    clock.move_to(start + timedelta(minutes=122))
    await use(hass, simulated_gateway, Decimal(2))
    assert issue(hass, "price_entity_unavailable", entry) is None
    assert (await tenant_charges(entry))[-1] == (
        "entity",
        Decimal(2),
        Decimal("0.25"),
        Decimal("-0.50"),
    )


async def test_a_removed_sensor_counts_as_unavailable(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    entry = await make_room(hass, simulated_gateway)
    await act(hass, "set_tariff", {"device_id": room_device_id(hass, entry), "tariff": TARIFF})
    await poll(hass)
    assert issue(hass, "price_entity_unavailable", entry) is not None
    assert Decimal(hass.states.get("sensor.room_1_current_price").state) == Decimal(1)


@pytest.mark.parametrize(
    ("tariff", "field"),
    [
        (TARIFF | {"min_price": "1.5000"}, "min_price"),
        (TARIFF | {"max_price": "0"}, "max_price"),
        (TARIFF | {"entity_id": "light.kitchen"}, "entity_id"),
        ({k: v for k, v in TARIFF.items() if k != "max_price"}, "max_price"),
    ],
)
async def test_bad_entity_tariff_changes_nothing(
    hass: HomeAssistant, simulated_gateway: Gateway, tariff: dict[str, str], field: str
) -> None:
    entry = await make_room(hass, simulated_gateway)
    device_id = room_device_id(hass, entry)
    before = await ledger_entries(entry)
    versions = await entry.runtime_data.rooms.billing.run(
        lambda core: core.tariff_versions(room_subentry(entry).subentry_id)
    )
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "set_tariff", {"device_id": device_id, "tariff": tariff})
    assert err.value.translation_key == "tariff_invalid"
    assert err.value.translation_placeholders["field"] == field
    assert field in str(err.value)
    assert await ledger_entries(entry) == before
    after = await entry.runtime_data.rooms.billing.run(
        lambda core: core.tariff_versions(room_subentry(entry).subentry_id)
    )
    assert after == versions


@pytest.mark.parametrize(
    ("unit", "code", "ok"),
    [
        ("CNY/kWh", "CNY", True),
        ("cny/kWh", "CNY", True),
        ("¥/kWh", "CNY", True),
        ("元/kWh", "CNY", True),
        ("€/kWh", "EUR", True),
        ("EUR / kWh", "EUR", True),
        ("EUR/kWh", "CNY", False),
        ("EUR/MWh", "EUR", False),
        ("EUR", "EUR", False),
        (None, "EUR", False),
        ("c/kWh", "EUR", False),
    ],
)
def test_price_units(unit: str | None, code: str, ok: bool) -> None:
    assert price_unit_ok(unit, Currency(code)) is ok


def test_entity_price_parsing(hass: HomeAssistant) -> None:
    cny = Currency("CNY", 2)
    for text, expected in [
        ("0.61", "0.61"),
        (" 1 ", "1"),
        ("nan", None),
        ("-0.1", "-0.1"),
        ("1e", None),
    ]:
        hass.states.async_set("sensor.p", text, {"unit_of_measurement": "CNY/kWh"})
        price = entity_price(hass.states.get("sensor.p"), cny)
        assert (None if price is None else str(price)) == expected
    assert entity_price(None, cny) is None


async def test_console_preview_samples_the_entity(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_ws_client: WebSocketGenerator
) -> None:
    """The Set tariff dialog's "price now": the entity's price now, within the guard."""
    assert await async_setup_component(hass, "websocket_api", {})
    entry = await make_room(hass, simulated_gateway)
    console = Console(await hass_ws_client(hass))
    device_id = room_device_id(hass, entry)
    for state, sampled, price in [
        ("0.7", "0.7", "0.7000"),
        ("3", "3", "1.0000"),
        ("0.05", "0.05", "0.2000"),
        ("unavailable", None, "1.0000"),
    ]:
        set_price(hass, state)
        preview = await console.ok("set_tariff/preview", device_id=device_id, tariff=TARIFF)
        assert (preview["sampled"], preview["now"]["price"]) == (sampled, price)
        assert preview["now"]["period"] == "entity"
    error = await console.error(
        "set_tariff/preview", device_id=device_id, tariff=TARIFF | {"min_price": "2"}
    )
    assert error["translation_key"] == "tariff_invalid"
