"""What a client written independently of the project found (issue 21): typed readings,
same-second exports, junk input, refusals over REST, a gateway that is reloading."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus
import logging
from pathlib import Path
from typing import Any

from homeassistant.auth.models import User
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.prepaid_power.const import DOMAIN
from prepaid_power_gateway import Gateway
from scripts._demo.scenario import TOU_TARIFF

from .test_rooms import act, balance, ledger_entries, make_room, room_device_id, use_energy

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


@pytest.fixture
async def room(hass: HomeAssistant, simulated_gateway: Gateway) -> MockConfigEntry:
    """A loaded gateway with Room 1 on the SDM120, with a tenant who paid 20.00."""
    return await make_room(hass, simulated_gateway)


# The demo's time-of-use tariff with its weekend set's key misspelt.
TOU_WITH_TYPO = {
    ("weekends" if key == "weekend" else key): value for key, value in TOU_TARIFF.items()
}


async def test_typed_readings_must_be_plausible(
    hass: HomeAssistant, room: MockConfigEntry, simulated_gateway: Gateway
) -> None:
    """A final reading the meter could not have made since its last reading, or one below
    it, is refused and changes nothing; a plausible one is billed."""
    device_id = room_device_id(hass, room)
    await use_energy(hass, simulated_gateway, Decimal("0.04"))
    meter = Decimal(str(simulated_gateway.simulator.meter(1).energy_kwh)).quantize(Decimal("0.001"))
    before = await ledger_entries(room)
    for reading in ("99999999999", str(meter + 100_000), str(meter - Decimal("0.01")), "0"):
        with pytest.raises(ServiceValidationError) as err:
            await act(hass, "move_out", {"device_id": device_id, "final_reading": reading})
        assert err.value.translation_key == "reading_implausible"
        assert err.value.translation_placeholders is not None
        assert Decimal(err.value.translation_placeholders["last_reading"]) == meter
    assert await ledger_entries(room) == before
    assert hass.states.get("sensor.room_1_tenancy").state == "occupied"

    # The meter's own reading (or one the meter could reach meanwhile) is billed.
    result = await act(hass, "move_out", {"device_id": device_id, "final_reading": str(meter)})
    assert Decimal(result["refund_owed"]) == Decimal("19.98")
    # The same rule for the next tenant's opening reading.
    with pytest.raises(ServiceValidationError) as err:
        await act(
            hass,
            "move_in",
            {
                "device_id": device_id,
                "tenant": "Bob",
                "opening_reading": str(meter - Decimal("0.02")),
            },
        )
    assert err.value.translation_key == "reading_implausible"
    assert hass.states.get("sensor.room_1_tenancy").state == "vacant"


async def test_unknown_tariff_keys_are_named(hass: HomeAssistant, room: MockConfigEntry) -> None:
    """A misspelt weekend set is refused with the key named, not dropped."""
    with pytest.raises(ServiceValidationError) as err:
        await act(
            hass, "set_tariff", {"device_id": room_device_id(hass, room), "tariff": TOU_WITH_TYPO}
        )
    assert err.value.translation_key == "tariff_unknown_key"
    assert err.value.translation_placeholders == {
        "key": "weekends",
        "where": "tariff",
        "room": "Room 1",
    }
    versions = await room.runtime_data.rooms.billing.run(
        lambda core: core.tariff_versions(
            room.runtime_data.rooms.rooms[next(iter(room.subentries))].subentry_id
        )
    )
    assert len(versions) == 1


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"start": "2026-03-01", "end": "2026-02-01"}, "export_range_empty"),
        ({"start": "2026-03-01", "end": "2026-03-01"}, "export_range_empty"),
        ({"start": "0001-01-01"}, "date_out_of_range"),
        ({"end": "9999-12-31"}, "date_out_of_range"),
    ],
)
async def test_export_range_must_make_sense(
    hass: HomeAssistant, room: MockConfigEntry, data: dict[str, Any], key: str
) -> None:
    """A reversed or empty range, or a date of year 1 or 9999, is an error, not 0 rows."""
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "export_ledger", {"device_id": room_device_id(hass, room), **data})
    assert err.value.translation_key == key


async def test_two_exports_in_one_second_write_two_files(
    hass: HomeAssistant, room: MockConfigEntry
) -> None:
    """The second export of the same second gets its own file; each response describes the
    file as written."""
    device_id = room_device_id(hass, room)
    first = (await act(hass, "export_ledger", {"device_id": device_id}))["files"][0]
    await act(hass, "top_up", {"device_id": device_id, "amount": "1"})
    second = (await act(hass, "export_ledger", {"device_id": device_id}))["files"][0]
    assert first["path"] != second["path"]
    for file in (first, second):
        text = await hass.async_add_executor_job(Path(file["path"]).read_text, "utf-8")
        assert len(text.strip().splitlines()) - 1 == file["rows"]
    assert second["rows"] == first["rows"] + 1


async def test_grace_and_dashboard_input_is_bounded(
    hass: HomeAssistant, room: MockConfigEntry
) -> None:
    """A billion days of grace and a 10 kB dashboard path are refused, not an unknown error;
    a grace beyond a year and an address too long for a QR code get their own messages."""
    device_id = room_device_id(hass, room)

    async def call(action: str, data: dict[str, Any]) -> None:
        await hass.services.async_call(
            DOMAIN, action, data, blocking=True, return_response=action == "dashboard_yaml"
        )

    for action, data, text in (
        ("grant_grace", {"device_id": device_id, "duration": {"days": 10**9}}, "too long"),
        ("dashboard_yaml", {"dashboard_path": "a" * 10_000}, "length"),
    ):
        # The schema's own error (voluptuous' on HA 2025.4, probatio's on 2026).
        with pytest.raises(Exception, match=text):
            await call(action, data)
    for action, data, key in (
        ("grant_grace", {"device_id": device_id, "duration": {"days": 400}}, "grace_too_long"),
        ("dashboard_yaml", {"base_url": "http://example.com/" + "b" * 5000}, "qr_url_too_long"),
    ):
        with pytest.raises(ServiceValidationError) as refused:
            await call(action, data)
        assert refused.value.translation_key == key


async def test_refusals_over_rest(
    hass: HomeAssistant,
    room: MockConfigEntry,
    tenant_user: User,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Over REST a tenant's attempt is 401 (HA's Unauthorized) and bad input 400, with no
    traceback or error in the log."""
    assert await async_setup_component(hass, "api", {})
    device_id = room_device_id(hass, room)
    refresh = await hass.auth.async_create_refresh_token(tenant_user, "https://tenant.example/")
    tenant = await hass_client(hass.auth.async_create_access_token(refresh))
    landlord = await hass_client()
    caplog.set_level(logging.INFO)
    caplog.clear()
    for action, data in (
        ("top_up", {"device_id": device_id, "amount": "100"}),
        ("set_supply", {"device_id": device_id, "state": "off"}),
        ("dashboard_yaml?return_response", {}),
    ):
        response = await tenant.post(f"/api/services/{DOMAIN}/{action}", json=data)
        assert response.status == HTTPStatus.UNAUTHORIZED, action
    for data in (
        {"device_id": device_id, "amount": "ten"},  # refused by the billing core
        {"device_id": "nope", "amount": "1"},  # refused by the action
        {"device_id": device_id},  # refused by the schema
    ):
        response = await landlord.post(f"/api/services/{DOMAIN}/top_up", json=data)
        assert response.status == HTTPStatus.BAD_REQUEST, data
    assert balance(hass) == Decimal("20.00")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_payment_while_the_gateway_reloads(
    hass: HomeAssistant, room: MockConfigEntry
) -> None:
    """A room whose gateway is not loaded says so (retry), not that the room is unknown."""
    device_id = room_device_id(hass, room)
    await hass.config_entries.async_unload(room.entry_id)
    assert room.state is ConfigEntryState.NOT_LOADED
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "top_up", {"device_id": device_id, "amount": "1"})
    assert err.value.translation_key == "gateway_not_loaded"
    assert err.value.translation_placeholders == {"room": "Room 1", "gateway": room.title}
