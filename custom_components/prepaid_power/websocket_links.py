"""The console's commands for tenant portal links and kiosk links (admin only).

A room's link is shown once, when it is made (only its hash is kept): `portal_link` says
whether the room has one and since when, `portal_link/rotate` makes a new one (the old one
ends) and answers its address and QR code, `portal_link/revoke` ends it. Kiosk links alike.
They run the landlord operations of `operations.py` as the connection's user; `portal_link`
also answers the room's payment reference and its EPC payment QR code (`portal.room_payment`).
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv

from .compat import vol
from .const import DOMAIN
from .dashboard import qr_svg
from .operations import (
    Caller,
    create_kiosk_link,
    find_room,
    revoke_kiosk_link,
    revoke_portal_link,
    rotate_portal_link,
)
from .portal import room_payment
from .portal_links import PortalLink, portal_links
from .websocket_api import DEVICE, PREFIX, Handler, _command

# A kiosk's name as the landlord types it (shown as the kiosk page's title).
NAME_MAX: Final = 100


def _caller(connection: ActiveConnection) -> Caller:
    return Caller.of(Context(user_id=connection.user.id))


def _shown(link: PortalLink) -> dict[str, Any]:
    """A link just made, as the console shows it once: its address and QR code."""
    return {
        "url": link.url,
        "path": link.path,
        "created_at": link.created_at,
        "kiosk_id": link.kiosk_id,
        "qr_svg": qr_svg(link.url or link.path),
    }


def _room_names(hass: HomeAssistant) -> dict[str, str]:
    """Every room of every gateway (loaded or not): id → name."""
    return {
        subentry.subentry_id: subentry.title
        for entry in hass.config_entries.async_entries(DOMAIN)
        for subentry in entry.subentries.values()
    }


async def _portal_link(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Whether the room has a link (and since when), and what its tenant pays with."""
    target = find_room(hass, msg[ATTR_DEVICE_ID])
    link = portal_links(hass).room_link(target.room.subentry_id)
    connection.send_result(
        msg["id"],
        {
            "room": target.room.name,
            "link": None if link is None else {"created_at": link.created_at},
            "payment": room_payment(target.entry, target.room.subentry_id),
        },
    )


async def _rotate(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    target = find_room(hass, msg[ATTR_DEVICE_ID])
    link = await rotate_portal_link(hass, _caller(connection), target.room.subentry_id)
    connection.send_result(msg["id"], _shown(link))


async def _revoke(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    target = find_room(hass, msg[ATTR_DEVICE_ID])
    ended = await revoke_portal_link(hass, _caller(connection), target.room.subentry_id)
    connection.send_result(msg["id"], {"ended": ended})


async def _kiosks(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    names = _room_names(hass)
    kiosks = sorted(portal_links(hass).kiosks(), key=lambda link: link.created_at)
    connection.send_result(
        msg["id"],
        {
            "kiosks": [
                {
                    "kiosk_id": link.kiosk_id,
                    "name": link.name,
                    "created_at": link.created_at,
                    "rooms": [names.get(room_id, room_id) for room_id in link.room_ids],
                }
                for link in kiosks
            ]
        },
    )


async def _create_kiosk(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    room_ids = [find_room(hass, device).room.subentry_id for device in msg["device_ids"]]
    link = await create_kiosk_link(hass, _caller(connection), room_ids, msg["name"])
    connection.send_result(msg["id"], _shown(link))


async def _revoke_kiosk(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    ended = await revoke_kiosk_link(hass, _caller(connection), msg["kiosk_id"])
    connection.send_result(msg["id"], {"ended": ended})


@callback
def async_setup_link_commands(hass: HomeAssistant) -> None:
    """Register the link commands (once, from `async_setup`)."""
    commands: list[tuple[dict[Any, Any], Handler]] = [
        ({vol.Required("type"): f"{PREFIX}portal_link", **DEVICE}, _portal_link),
        ({vol.Required("type"): f"{PREFIX}portal_link/rotate", **DEVICE}, _rotate),
        ({vol.Required("type"): f"{PREFIX}portal_link/revoke", **DEVICE}, _revoke),
        ({vol.Required("type"): f"{PREFIX}kiosk_links"}, _kiosks),
        (
            {
                vol.Required("type"): f"{PREFIX}kiosk_link/create",
                vol.Required("device_ids"): vol.All(cv.ensure_list, [cv.string]),
                vol.Optional("name", default=""): vol.All(cv.string, vol.Length(max=NAME_MAX)),
            },
            _create_kiosk,
        ),
        (
            {
                vol.Required("type"): f"{PREFIX}kiosk_link/revoke",
                vol.Required("kiosk_id"): cv.string,
            },
            _revoke_kiosk,
        ),
    ]
    for schema, handler in commands:
        async_register_command(hass, _command(schema, handler))
