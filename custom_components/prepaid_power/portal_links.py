"""Private portal links: a room's tenant page and a corridor kiosk, behind a random token.

A link is `<HA address>/prepaid_power/t/<token>` (a room) or `/prepaid_power/k/<token>` (a
kiosk). The token is `secrets.token_urlsafe(32)` (256 bits); only its SHA-256 is stored, in
HA's storage helper (`.storage/prepaid_power.portal`: inside HA backups, written atomically,
one file for every gateway since a kiosk may show rooms of several). Not in the ledger: the
ledger is the append-only money record, and a link is a secret that is replaced and deleted.
Since only the hash is kept, a link is shown once, when it is made (rotating makes a new one
and ends the old at once); a lost link is rotated, never recovered.

What a landlord does with links are operations (`operations.rotate_portal_link`, ...: their
permission rule first); the functions here are what those operations do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
import hashlib
import hmac
import secrets
from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .compat import InputRefused
from .const import DOMAIN

STORAGE_VERSION: Final = 1
STORAGE_KEY: Final = f"{DOMAIN}.portal"
ROOM_PATH: Final = f"/{DOMAIN}/t"
KIOSK_PATH: Final = f"/{DOMAIN}/k"
KIND_ROOM: Final = "room"
KIND_KIOSK: Final = "kiosk"
TOKEN_BYTES: Final = 32
LINKS: HassKey[PortalLinks] = HassKey(f"{DOMAIN}_portal_links")


def token_digest(token: str) -> str:
    """The stored form of a token: SHA-256, hex (any text hashes, so no early return)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """What a stored token opens: one room, or a kiosk of several rooms' balances."""

    digest: str
    kind: str
    room_ids: tuple[str, ...]
    created_at: str
    kiosk_id: str | None = None
    name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "room_ids": list(self.room_ids),
            "created_at": self.created_at,
            "kiosk_id": self.kiosk_id,
            "name": self.name,
        }

    @classmethod
    def from_dict(cls, digest: str, data: dict[str, Any]) -> LinkRecord:
        return cls(
            digest=digest,
            kind=data["kind"],
            room_ids=tuple(data["room_ids"]),
            created_at=data["created_at"],
            kiosk_id=data.get("kiosk_id"),
            name=data.get("name"),
        )


@dataclass(frozen=True, slots=True)
class PortalLink:
    """A link just made: shown to the landlord once (only its hash is kept)."""

    path: str
    url: str
    created_at: str
    kiosk_id: str | None = None


class PortalLinks:
    """Every portal link of this HA, by token hash."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Use `async_load`."""
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)
        self._links: dict[str, LinkRecord] = {}

    async def async_load(self) -> None:
        stored = await self._store.async_load() or {}
        self._links = {
            digest: LinkRecord.from_dict(digest, data)
            for digest, data in stored.get("links", {}).items()
        }

    async def _async_save(self) -> None:
        # At once, not batched: a rotated or revoked link must stay ended after a power cut.
        await self._store.async_save(
            {"links": {digest: link.as_dict() for digest, link in self._links.items()}}
        )

    def resolve(self, token: str, kind: str) -> LinkRecord | None:
        """The link a token opens: looked up by its hash (no scan of the stored ones), and
        compared in constant time."""
        digest = token_digest(token)
        link = self._links.get(digest)
        if link is None or not hmac.compare_digest(link.digest, digest) or link.kind != kind:
            return None
        return link

    def room_link(self, room_id: str) -> LinkRecord | None:
        """The room's current link, if it has one."""
        return next(
            (
                link
                for link in self._links.values()
                if link.kind == KIND_ROOM and link.room_ids == (room_id,)
            ),
            None,
        )

    def kiosks(self) -> list[LinkRecord]:
        return [link for link in self._links.values() if link.kind == KIND_KIOSK]

    async def async_add(
        self, kind: str, room_ids: Sequence[str], *, name: str | None = None
    ) -> tuple[str, LinkRecord]:
        """A new token for these rooms: the token (never stored) and its record."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        digest = token_digest(token)
        link = LinkRecord(
            digest=digest,
            kind=kind,
            room_ids=tuple(room_ids),
            created_at=dt_util.utcnow().isoformat(timespec="seconds"),
            kiosk_id=secrets.token_hex(4) if kind == KIND_KIOSK else None,
            name=name,
        )
        if kind == KIND_ROOM:
            self._links = {
                d: x
                for d, x in self._links.items()
                if x.room_ids != link.room_ids or x.kind != kind
            }
        self._links[digest] = link
        await self._async_save()
        return token, link

    async def async_forget_rooms(self, room_ids: set[str]) -> None:
        """Rooms that are gone: their links end, kiosks stop showing them (a kiosk left with
        no room ends)."""
        kept: dict[str, LinkRecord] = {}
        for digest, link in self._links.items():
            shown = tuple(room_id for room_id in link.room_ids if room_id not in room_ids)
            if shown:
                kept[digest] = link if shown == link.room_ids else replace(link, room_ids=shown)
        if kept != self._links:
            self._links = kept
            await self._async_save()

    def room_ids(self) -> set[str]:
        """Every room some link opens."""
        return {room_id for link in self._links.values() for room_id in link.room_ids}

    async def async_remove(self, match: LinkRecord | None) -> bool:
        if match is None or match.digest not in self._links:
            return False
        del self._links[match.digest]
        await self._async_save()
        return True


async def async_setup_portal_links(hass: HomeAssistant) -> PortalLinks:
    """Load the stored links (once, from `async_setup`)."""
    links = PortalLinks(hass)
    await links.async_load()
    hass.data[LINKS] = links
    return links


def portal_links(hass: HomeAssistant) -> PortalLinks:
    return hass.data[LINKS]


async def async_forget_removed_rooms(hass: HomeAssistant, removed_entry_id: str = "") -> None:
    """End the links of rooms no gateway has any more (a removed room subentry, or every room
    of a gateway being removed): their old links then answer 404 like any unknown path.
    Rooms of gateways that are not loaded keep their links (they answer 503 until loaded)."""
    links = portal_links(hass)
    known = {
        subentry_id
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.entry_id != removed_entry_id
        for subentry_id in entry.subentries
    }
    if gone := links.room_ids() - known:
        await links.async_forget_rooms(gone)


def base_url(hass: HomeAssistant) -> str:
    """HA's address as tenants reach it (external URL, HA Cloud), else the local one; empty
    when HA knows none (the landlord then prefixes the path with the address they use)."""
    try:
        return get_url(hass, prefer_external=True, allow_internal=True).rstrip("/")
    except NoURLAvailableError:
        return ""


def loaded_room_ids(hass: HomeAssistant) -> dict[str, str]:
    """Every room of the loaded gateways: id → name."""
    return {
        room_id: room.name
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED
        for room_id, room in entry.runtime_data.rooms.rooms.items()
    }


def _made(hass: HomeAssistant, prefix: str, token: str, link: LinkRecord) -> PortalLink:
    path = f"{prefix}/{token}"
    return PortalLink(
        path=path, url=base_url(hass) + path, created_at=link.created_at, kiosk_id=link.kiosk_id
    )


def _require_rooms(hass: HomeAssistant, room_ids: Sequence[str]) -> None:
    known = loaded_room_ids(hass)
    if not room_ids:
        raise InputRefused(translation_domain=DOMAIN, translation_key="no_rooms")
    for room_id in room_ids:
        if room_id not in known:
            raise InputRefused(
                translation_domain=DOMAIN,
                translation_key="unknown_room",
                translation_placeholders={"room": room_id},
            )


async def async_new_room_link(hass: HomeAssistant, room_id: str) -> PortalLink:
    """A new private link for the room's tenant; the old one (if any) ends at once."""
    _require_rooms(hass, [room_id])
    token, link = await portal_links(hass).async_add(KIND_ROOM, [room_id])
    return _made(hass, ROOM_PATH, token, link)


async def async_end_room_link(hass: HomeAssistant, room_id: str) -> bool:
    """End the room's link (the room then has none); False when it had none."""
    links = portal_links(hass)
    return await links.async_remove(links.room_link(room_id))


async def async_new_kiosk_link(
    hass: HomeAssistant, room_ids: Sequence[str], name: str
) -> PortalLink:
    """A kiosk link for a corridor tablet: these rooms' balances and supply states only."""
    chosen = list(dict.fromkeys(room_ids))
    _require_rooms(hass, chosen)
    token, link = await portal_links(hass).async_add(KIND_KIOSK, chosen, name=name.strip())
    return _made(hass, KIOSK_PATH, token, link)


async def async_end_kiosk_link(hass: HomeAssistant, kiosk_id: str) -> bool:
    """End a kiosk link; False when there is no such kiosk."""
    links = portal_links(hass)
    return await links.async_remove(
        next((link for link in links.kiosks() if link.kiosk_id == kiosk_id), None)
    )
