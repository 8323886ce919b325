"""VAT / sales tax in Home Assistant: the room form's tax, the set_tariff action's tax keys,
the price shown and the statement's net / tax / gross."""

from __future__ import annotations

from decimal import Decimal

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.prepaid_power.billing.tariff import TariffVersion
from prepaid_power_gateway import Gateway

from .test_init import setup_gateway
from .test_rooms import (
    act,
    entry_with_room,
    ledger_entries,
    make_room,
    room_device_id,
    room_subentry,
)

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


async def test_the_room_form_sets_a_tax_added_on_top(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """Price 0.5 with 20 % added: the tenant pays 0.6 a kWh, the statement splits it off;
    a restart with the same form adds no tariff version."""
    hass.config.currency = "EUR"
    entry = entry_with_room(
        simulated_gateway.port, tax_rate="20", tax_mode="added", tax_on_fees=True
    )
    await setup_gateway(hass, entry)
    room_id = room_subentry(entry).subentry_id
    (version,) = await billing_versions(entry, room_id)
    assert version.to_dict() == {
        "kind": "flat",
        "price": "0.5000",
        "tax_rate": "20.00",
        "tax_mode": "added",
        "tax_on_fees": True,
    }
    price = hass.states.get("sensor.room_1_current_price")
    assert price is not None
    assert Decimal(price.state) == Decimal("0.6")
    device_id = room_device_id(hass, entry)
    await act(hass, "move_in", {"device_id": device_id, "tenant": "Alice", "first_top_up": "20"})
    statement = await act(hass, "statement", {"device_id": device_id})
    assert statement["data"]["tax"]["rates"] == ["20.00"]
    assert statement["data"]["tax"]["total"]["gross"] == statement["data"]["energy_cost"]
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert len(await billing_versions(entry, room_id)) == 1


async def billing_versions(entry: MockConfigEntry, room_id: str) -> list[TariffVersion]:
    """The room's tariff versions, oldest first."""
    versions: list[TariffVersion] = await entry.runtime_data.rooms.billing.run(
        lambda core: core.tariff_versions(room_id)
    )
    return versions


async def test_set_tariff_takes_the_tax_keys_and_refuses_a_bad_one(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """A tax key of the action reaches the core; a bad one is refused and adds nothing."""
    entry = await make_room(hass, simulated_gateway)
    device_id = room_device_id(hass, entry)
    await act(
        hass,
        "set_tariff",
        {"device_id": device_id, "tariff": {"kind": "flat", "price": "0.40", "tax_rate": "7"}},
    )
    room_id = room_subentry(entry).subentry_id
    versions = await billing_versions(entry, room_id)
    assert versions[-1].to_dict()["tax_mode"] == "included"
    before = await ledger_entries(entry)
    with pytest.raises(ServiceValidationError) as err:
        await act(
            hass,
            "set_tariff",
            {
                "device_id": device_id,
                "tariff": {"kind": "flat", "price": "0.40", "tax_rate": "7", "tax_mode": "later"},
            },
        )
    assert err.value.translation_key == "tariff_invalid"
    assert err.value.translation_placeholders == {
        "field": "tax_mode",
        "value": "later",
        "room": "Room 1",
    }
    assert len(await billing_versions(entry, room_id)) == len(versions)
    assert await ledger_entries(entry) == before
