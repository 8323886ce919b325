"""The console's portal-link and kiosk-link commands in HA's harness, against the simulator:
each command's permission (as a tenant), validation and result."""

from __future__ import annotations

from typing import Any

from homeassistant.auth.models import User
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import CLIENT_ID, MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.prepaid_power.dashboard import qr_svg
from custom_components.prepaid_power.payee import Payee, epc_payload
from custom_components.prepaid_power.portal_links import KIND_ROOM, portal_links
from prepaid_power_gateway import Gateway

from .test_init import setup_gateway
from .test_supply import device_id, room_entry
from .test_websocket_api import Console

PAYEE = {"payee_name": "Landlord Ltd", "payee_iban": "BE68539007547034", "payee_bic": ""}


async def _room(
    hass: HomeAssistant,
    gateway: Gateway,
    client: WebSocketGenerator,
    options: dict[str, Any] | None = None,
    **data: Any,
) -> tuple[MockConfigEntry, Console]:
    """Room 3 loaded (with these gateway options), then the landlord (an admin) connected."""
    hass.config.currency = "EUR"
    assert await async_setup_component(hass, "websocket_api", {})
    entry = room_entry(gateway.port, **data)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options=options or {})
    await setup_gateway(hass, entry)
    return entry, Console(await client(hass))


def _token(shown: dict[str, Any]) -> str:
    token: str = shown["path"].rsplit("/", 1)[1]
    return token


async def test_link_commands_refuse_a_tenant(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    tenant_user: User,
    hass_ws_client: WebSocketGenerator,
    hass_storage: dict[str, Any],
) -> None:
    """Each command, with valid data, answers a non-admin `unauthorized`; no link changes."""
    entry, console = await _room(hass, simulated_gateway, hass_ws_client)
    device = device_id(hass, entry)
    await console.ok("portal_link/rotate", device_id=device)
    kiosk = await console.ok("kiosk_link/create", device_ids=[device], name="Hall")
    stored = dict(hass_storage["prepaid_power.portal"]["data"])
    refresh_token = await hass.auth.async_create_refresh_token(tenant_user, CLIENT_ID)
    tenant = Console(await hass_ws_client(hass, hass.auth.async_create_access_token(refresh_token)))
    for command, data in {
        "portal_link": {"device_id": device},
        "portal_link/rotate": {"device_id": device},
        "portal_link/revoke": {"device_id": device},
        "kiosk_links": {},
        "kiosk_link/create": {"device_ids": [device], "name": "Mine"},
        "kiosk_link/revoke": {"kiosk_id": kiosk["kiosk_id"]},
    }.items():
        error = await tenant.error(command, **data)
        assert error["code"] == "unauthorized", (command, error)
    await hass.async_block_till_done()
    assert hass_storage["prepaid_power.portal"]["data"] == stored


async def test_a_room_link_made_shown_once_and_ended(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_ws_client: WebSocketGenerator
) -> None:
    """The room page's Tenant link: none yet; a new link's address and QR code (only the
    hash is kept); making another ends the first; ending it leaves none."""
    entry, console = await _room(hass, simulated_gateway, hass_ws_client)
    device = device_id(hass, entry)
    (room_id,) = entry.subentries
    links = portal_links(hass)
    assert await console.ok("portal_link", device_id=device) == {
        "room": "Room 3",
        "link": None,
        "payment": None,
    }
    made = await console.ok("portal_link/rotate", device_id=device)
    assert made["path"].startswith("/prepaid_power/t/")
    assert made["url"].endswith(made["path"])
    assert made["qr_svg"] == qr_svg(made["url"])
    first = links.resolve(_token(made), KIND_ROOM)
    assert first is not None
    assert first.room_ids == (room_id,)
    status = await console.ok("portal_link", device_id=device)
    assert status["link"] == {"created_at": made["created_at"]}
    assert _token(made) not in str(status)

    again = await console.ok("portal_link/rotate", device_id=device)
    assert links.resolve(_token(made), KIND_ROOM) is None
    assert links.resolve(_token(again), KIND_ROOM) is not None
    assert await console.ok("portal_link/revoke", device_id=device) == {"ended": True}
    assert links.resolve(_token(again), KIND_ROOM) is None
    assert await console.ok("portal_link/revoke", device_id=device) == {"ended": False}
    assert (await console.ok("portal_link", device_id=device))["link"] is None

    assert (await console.error("portal_link/rotate"))["code"] == "invalid_format"
    unknown = await console.error("portal_link/rotate", device_id="no-such-device")
    assert unknown["translation_key"] == "unknown_room_device"


async def test_the_payment_reference_and_qr_code_on_the_room_page(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_ws_client: WebSocketGenerator
) -> None:
    entry, console = await _room(
        hass, simulated_gateway, hass_ws_client, PAYEE, payment_reference="PP-303"
    )
    status = await console.ok("portal_link", device_id=device_id(hass, entry))
    payload = epc_payload(Payee("Landlord Ltd", "BE68539007547034"), "PP-303")
    assert status["payment"] == {
        "reference": "PP-303",
        "payee": "Landlord Ltd",
        "iban": "BE68539007547034",
        "bic": None,
        "qr_svg": qr_svg(payload, boost_error=False),
    }


async def test_kiosk_links_made_listed_and_ended(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_ws_client: WebSocketGenerator
) -> None:
    entry, console = await _room(hass, simulated_gateway, hass_ws_client)
    device = device_id(hass, entry)
    assert await console.ok("kiosk_links") == {"kiosks": []}
    made = await console.ok("kiosk_link/create", device_ids=[device, device], name=" Hall ")
    assert made["path"].startswith("/prepaid_power/k/")
    assert made["qr_svg"] == qr_svg(made["url"])
    listed = await console.ok("kiosk_links")
    assert listed == {
        "kiosks": [
            {
                "kiosk_id": made["kiosk_id"],
                "name": "Hall",
                "created_at": made["created_at"],
                "rooms": ["Room 3"],
            }
        ]
    }
    assert _token(made) not in str(listed)

    no_rooms = await console.error("kiosk_link/create", device_ids=[], name="Empty")
    assert no_rooms["translation_key"] == "no_rooms"
    unknown = await console.error("kiosk_link/create", device_ids=["nope"], name="X")
    assert unknown["translation_key"] == "unknown_room_device"
    long_name = await console.error("kiosk_link/create", device_ids=[device], name="n" * 101)
    assert long_name["code"] == "invalid_format"
    assert len(portal_links(hass).kiosks()) == 1

    ended = await console.ok("kiosk_link/revoke", kiosk_id=made["kiosk_id"])
    assert ended == {"ended": True}
    assert await console.ok("kiosk_links") == {"kiosks": []}
    assert await console.ok("kiosk_link/revoke", kiosk_id=made["kiosk_id"]) == {"ended": False}
