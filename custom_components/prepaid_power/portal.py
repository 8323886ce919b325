"""The tenant portal and the kiosk: HTTP views behind a private link, no HA account.

`/prepaid_power/t/<token>` is one room's page (`/data` its JSON, `/press` its tenant
buttons, `/statement/<cycle>` a past cycle's statement); `/prepaid_power/k/<token>` a
kiosk of chosen rooms' balances and supply states. The page is a static shell that loads
`/prepaid_power/portal.js` (the bundle built from frontend/src/portal/); the token is read
from the address, never written into a page.

Security: a wrong or revoked token is HA's own 404 (aiohttp's `HTTPNotFound`, the answer to
any unknown path), after one hash look-up whatever the token; an address that failed too
often is answered 429 before any look-up (`FailedTokens`). Responses carry no entity ids,
no other room and no HA version, and forbid caching, framing, referrers and any script or
style that is not this integration's file. A press needs JSON, a same-host Origin and the
per-link CSRF value the page's JSON carries.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
import hashlib
import hmac
from http import HTTPStatus
import json
import math
from pathlib import Path
import secrets
import time
from typing import Any, Final
from urllib.parse import urlsplit

from aiohttp import web
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .billing.core import BillingCore
from .billing.history import account_daily_usage
from .billing.statement import render_statement, statement_data
from .button import ROOM_BUTTONS
from .const import CONF_PAYMENT_REFERENCE, DOMAIN
from .control import RelayTarget
from .coordinator import PrepaidPowerConfigEntry
from .cycle_end import statement_language, statement_template
from .dashboard import qr_svg
from .operations import Caller
from .payee import epc_payload, stored_payee
from .portal_links import KIND_KIOSK, KIND_ROOM, KIOSK_PATH, ROOM_PATH, LinkRecord, portal_links
from .rooms import Room

# What the ledger records as `who` of a tenant's press on the portal (no HA account): the
# room whose link it was, e.g. "tenant portal (Room 3)".
PORTAL_WHO: Final = "tenant portal ({room})"

SCRIPT_PATH: Final = f"/{DOMAIN}/portal.js"
SCRIPT_FILE: Final = Path(__file__).parent / "frontend" / "portal.js"
LANGUAGES: Final = ("en", "zh-Hans")
USAGE_DAYS: Final = 30
TOP_UPS_SHOWN: Final = 20
REFRESH_SECONDS: Final = 30
KWH_SHOWN: Final = Decimal("0.001")
# Failed tokens per address: a burst of this many, then one more every REFILL_SECONDS.
FAILED_BURST: Final = 10
REFILL_SECONDS: Final = 6.0
REMEMBERED_ADDRESSES: Final = 4096
CSRF_HEADER: Final = "X-Portal-CSRF"
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
}
PAGE: Final = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>Prepaid Power</title>
<script type="module" src="{script}"></script>
</head>
<body>
<{element}></{element}>
</body>
</html>
"""
PORTAL: HassKey[Portal] = HassKey(f"{DOMAIN}_portal")


class FailedTokens:
    """A per-address budget of failed tokens (a leaky bucket).

    Not HA's `process_wrong_login`: it looks up the address's host name in DNS on every
    failure, raises a persistent notification every HA user sees, and only bans when
    `login_attempts_threshold` is set (off by default) - then from all of HA, permanently.
    HA's ban middleware still runs before these views, so an address HA banned stays out.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """Count with `clock` (seconds)."""
        self._clock = clock
        self._spent: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _level(self, address: str) -> float:
        spent, at = self._spent.get(address, (0.0, self._clock()))
        return max(0.0, spent - (self._clock() - at) / REFILL_SECONDS)

    def limited(self, address: str) -> bool:
        """No room for one more failure (the level drains continuously)."""
        return self._level(address) > FAILED_BURST - 1

    def failed(self, address: str) -> None:
        self._spent[address] = (self._level(address) + 1, self._clock())
        self._spent.move_to_end(address)
        while len(self._spent) > REMEMBERED_ADDRESSES:
            self._spent.popitem(last=False)

    def retry_after(self, address: str) -> int:
        return max(1, math.ceil((self._level(address) - FAILED_BURST + 1) * REFILL_SECONDS))


@dataclass(slots=True)
class Portal:
    """The views' shared state: the failed-token budget and this run's CSRF key."""

    failed: FailedTokens
    csrf_key: bytes
    script: bytes | None = None


def csrf_value(portal: Portal, link: LinkRecord) -> str:
    """The press CSRF value of a link: changes with the token and with every HA start."""
    return hmac.new(portal.csrf_key, link.digest.encode(), hashlib.sha256).hexdigest()


def _secure(response: web.StreamResponse) -> web.StreamResponse:
    response.headers.update(SECURITY_HEADERS)
    return response


def _json(data: Any, status: int = HTTPStatus.OK) -> web.Response:
    response = web.Response(
        text=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type="application/json",
    )
    _secure(response)
    return response


def _language(request: web.Request) -> str:
    """The language asked for (`?lang=`), else the browser's first one we have."""
    asked = request.query.get("lang", "")
    if asked in LANGUAGES:
        return asked
    for part in request.headers.get("Accept-Language", "").split(","):
        tag = part.split(";")[0].strip().casefold()
        if tag.startswith("zh") and not tag.startswith(("zh-tw", "zh-hk", "zh-hant")):
            return "zh-Hans"
        if tag.startswith("en"):
            return "en"
    return "en"


def _find_room(hass: HomeAssistant, room_id: str) -> tuple[PrepaidPowerConfigEntry, Room] | None:
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED and (
            room := entry.runtime_data.rooms.rooms.get(room_id)
        ):
            return entry, room
    return None


def _reloading() -> web.HTTPServiceUnavailable:
    """A good link whose gateway is reloading or starting: the page waits and retries (not a
    failed token, and not 404, which would end the page)."""
    return web.HTTPServiceUnavailable(headers={**SECURITY_HEADERS, "Retry-After": "10"})


async def _link(request: web.Request, token: str, kind: str) -> LinkRecord:
    """The link the token opens, else HA's own 404 (429 for an address over its budget)."""
    hass: HomeAssistant = request.app[KEY_HASS]
    portal = hass.data[PORTAL]
    address = request.remote or ""
    if portal.failed.limited(address):
        raise web.HTTPTooManyRequests(
            headers={"Retry-After": str(portal.failed.retry_after(address))}
        )
    link = portal_links(hass).resolve(token, kind)
    if link is None:
        portal.failed.failed(address)
        raise web.HTTPNotFound
    if all(_find_room(hass, room_id) is None for room_id in link.room_ids):
        raise _reloading()
    return link


async def _room_link(
    request: web.Request, token: str
) -> tuple[HomeAssistant, LinkRecord, PrepaidPowerConfigEntry, Room]:
    """A room link's room (loaded: `_link` answered otherwise)."""
    link = await _link(request, token, KIND_ROOM)
    hass = request.app[KEY_HASS]
    found = _find_room(hass, link.room_ids[0])
    if found is None:
        raise _reloading()
    return hass, link, *found


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _kwh(value: Decimal | None) -> str | None:
    """Energy as statements show it: to the watt-hour."""
    return None if value is None else str(value.quantize(KWH_SHOWN))


def _ledger_part(core: BillingCore, room_id: str, now: datetime) -> dict[str, Any]:
    """What the page shows from the ledger: top-ups, past cycles, daily usage."""
    tenancy = core.tenancy_of(room_id)
    if tenancy is None:
        return {"top_ups": [], "statements": [], "daily_usage": []}
    ledger = core.ledger
    currency = ledger.currency
    top_ups = ledger.entries(account_id=tenancy.account_id, kinds=["top_up"])[-TOP_UPS_SHOWN:]
    cycles = core.calendar(room_id).cycles_between(tenancy.moved_in_at, now)
    return {
        "top_ups": [
            {
                "at": entry.at.astimezone(core.tz).isoformat(timespec="minutes"),
                "amount": currency.format(entry.amount),
                "method": entry.method,
            }
            for entry in reversed(top_ups)
        ],
        "statements": [
            {
                "cycle": cycle.key,
                "last_day": (cycle.end.astimezone(core.tz).date() - timedelta(days=1)).isoformat(),
            }
            for cycle in reversed(cycles)
            if cycle.end <= now
        ],
        "daily_usage": account_daily_usage(core, tenancy.account_id, now, USAGE_DAYS),
    }


def _supply(room: Room, entry: PrepaidPowerConfigEntry) -> dict[str, Any]:
    state = entry.runtime_data.coordinator.data.rooms.get(room.subentry_id)
    decision = None if state is None else state.decision
    if decision is None:
        return {"state": None, "reason": None, "on": None}
    return {
        "state": decision.state.value,
        "reason": decision.reason.value,
        "on": None if decision.relay is RelayTarget.HOLD else decision.relay is RelayTarget.CLOSED,
    }


def _buttons(room: Room, entry: PrepaidPowerConfigEntry) -> list[str]:
    control = entry.runtime_data.coordinator.supply
    return [
        description.key
        for description in ROOM_BUTTONS
        if description.exists_fn(room, control.controls[room.subentry_id])
    ]


def room_payment(entry: PrepaidPowerConfigEntry, room_id: str) -> dict[str, str | None] | None:
    """What the room's tenant puts on a bank transfer: the room's payment reference (the
    bank import matches it) and, when the gateway has the landlord's payee, the payee and
    the EPC QR code of the transfer (amount left empty). None when there is neither."""
    subentry = entry.subentries.get(room_id)
    reference = "" if subentry is None else str(subentry.data.get(CONF_PAYMENT_REFERENCE) or "")
    payee = stored_payee(entry.options)
    if not reference and payee is None:
        return None
    return {
        "reference": reference or None,
        "payee": None if payee is None else payee.name,
        "iban": None if payee is None else payee.iban,
        "bic": None if payee is None else payee.bic or None,
        "qr_svg": None
        if payee is None
        else qr_svg(epc_payload(payee, reference), boost_error=False),
    }


def account_meters(entry: PrepaidPowerConfigEntry, room_id: str) -> list[dict[str, str | None]]:
    """The meters of the room's account when it has more than one (a shared account: the
    payer's own first, then the rooms billing to it), each with this cycle's energy and
    cost by name; empty for a room with its own account."""
    states = entry.runtime_data.coordinator.data.rooms
    names = {key: room.name for key, room in entry.runtime_data.rooms.rooms.items()}

    def payer_of(of: str) -> str:
        state = states.get(of)
        return (None if state is None else state.summary.payer) or of

    payer = payer_of(room_id)
    linked = [other for other in states if other != payer and payer_of(other) == payer]
    meters = [payer, *sorted(linked, key=lambda other: names.get(other, other))]
    if len(meters) < 2:
        return []
    shown: list[dict[str, str | None]] = []
    for meter in meters:
        state = states.get(meter)
        summary = None if state is None else state.summary
        shown.append(
            {
                "room": names.get(meter, meter),
                "energy_this_cycle_kwh": _kwh(
                    None if summary is None else summary.energy_this_cycle_kwh
                ),
                "cost_this_cycle": _money(None if summary is None else summary.cost_this_cycle),
            }
        )
    return shown


async def room_data(
    hass: HomeAssistant, entry: PrepaidPowerConfigEntry, room: Room, link: LinkRecord
) -> dict[str, Any]:
    """The page's JSON: this room only, by name; no ids of entities, devices or users."""
    rooms = entry.runtime_data.rooms
    state = entry.runtime_data.coordinator.data.rooms.get(room.subentry_id)
    now = dt_util.utcnow()
    from_ledger = await rooms.billing.run(lambda core: _ledger_part(core, room.subentry_id, now))
    summary = None if state is None else state.summary
    tenant = None if state is None else state.tenant
    return {
        "kind": KIND_ROOM,
        "room": room.name,
        "tenant": tenant if room.portal_shows_tenant else None,
        "currency": rooms.currency.code,
        "occupied": summary is not None and summary.tenancy_id is not None,
        "balance": _money(None if summary is None else summary.balance),
        "live_balance": _money(None if summary is None else summary.live_balance),
        "days_of_credit_left": _money(None if summary is None else summary.days_of_credit_left),
        "energy_this_cycle_kwh": _kwh(None if summary is None else summary.energy_this_cycle_kwh),
        "cost_this_cycle": _money(None if summary is None else summary.cost_this_cycle),
        "meters": account_meters(entry, room.subentry_id),
        "allowance_left_kwh": _kwh(None if summary is None else summary.allowance_left_kwh),
        "has_allowance": room.has_allowance,
        "price": _money(None if summary is None else summary.current_price),
        "emergency_credit_outstanding": _money(
            None if summary is None else summary.emergency_credit_outstanding
        ),
        "supply": _supply(room, entry),
        "buttons": _buttons(room, entry),
        "payment": room_payment(entry, room.subentry_id),
        "csrf": csrf_value(hass.data[PORTAL], link),
        "refresh_seconds": REFRESH_SECONDS,
        **from_ledger,
    }


def kiosk_data(hass: HomeAssistant, link: LinkRecord) -> dict[str, Any]:
    """A kiosk's JSON: each chosen room's name, balance and supply state."""
    shown: list[dict[str, Any]] = []
    for room_id in link.room_ids:
        if (found := _find_room(hass, room_id)) is None:
            continue
        entry, room = found
        state = entry.runtime_data.coordinator.data.rooms.get(room_id)
        summary = None if state is None else state.summary
        shown.append(
            {
                "room": room.name,
                "currency": entry.runtime_data.rooms.currency.code,
                "live_balance": _money(None if summary is None else summary.live_balance),
                "days_of_credit_left": _money(
                    None if summary is None else summary.days_of_credit_left
                ),
                "supply": _supply(room, entry),
            }
        )
    return {
        "kind": KIND_KIOSK,
        "name": link.name,
        "rooms": shown,
        "refresh_seconds": REFRESH_SECONDS,
    }


def _page(element: str, portal: Portal) -> web.Response:
    version = hashlib.sha256(portal.script or b"").hexdigest()[:12]
    response = web.Response(
        text=PAGE.format(script=f"{SCRIPT_PATH}?v={version}", element=element),
        content_type="text/html",
    )
    _secure(response)
    return response


class PortalView(HomeAssistantView):
    """The base of the portal's views: no HA login, the token is the key."""

    requires_auth = False
    cors_allowed = False


class PageView(PortalView):
    """The static shell of a room's page or a kiosk: the bundle's element, nothing else."""

    kind: str
    element: str

    async def get(self, request: web.Request, token: str) -> web.Response:
        await _link(request, token, self.kind)
        return _page(self.element, request.app[KEY_HASS].data[PORTAL])


class RoomPageView(PageView):
    url = ROOM_PATH + "/{token}"
    name = f"{DOMAIN}:portal:page"
    kind = KIND_ROOM
    element = "prepaid-power-portal"


class RoomDataView(PortalView):
    url = ROOM_PATH + "/{token}/data"
    name = f"{DOMAIN}:portal:data"

    async def get(self, request: web.Request, token: str) -> web.Response:
        hass, link, entry, room = await _room_link(request, token)
        return _json(await room_data(hass, entry, room, link))


class RoomPressView(PortalView):
    url = ROOM_PATH + "/{token}/press"
    name = f"{DOMAIN}:portal:press"

    async def post(self, request: web.Request, token: str) -> web.Response:
        hass, link, entry, room = await _room_link(request, token)
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != request.host:
            return _json({"error": "origin"}, HTTPStatus.FORBIDDEN)
        if not hmac.compare_digest(
            request.headers.get(CSRF_HEADER, ""), csrf_value(hass.data[PORTAL], link)
        ):
            return _json({"error": "csrf"}, HTTPStatus.FORBIDDEN)
        if request.content_type != "application/json":
            return _json({"error": "content_type"}, HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
        try:
            body = await request.json()
        except ValueError:
            return _json({"error": "body"}, HTTPStatus.BAD_REQUEST)
        key = body.get("button") if isinstance(body, dict) else None
        description = next(
            (d for d in ROOM_BUTTONS if d.key == key and key in _buttons(room, entry)), None
        )
        if description is None:
            return _json({"error": "button"}, HTTPStatus.BAD_REQUEST)
        try:
            await description.press_fn(
                hass,
                Caller.without_account(PORTAL_WHO.format(room=room.name)),
                room.device_id,
            )
        except ServiceValidationError as err:
            key = err.translation_key or "unknown"
            language = _language(request)
            texts = await async_get_translations(hass, language, "exceptions", [DOMAIN])
            message = texts.get(f"component.{DOMAIN}.exceptions.{key}.message", key)
            for name, value in (err.translation_placeholders or {}).items():
                message = message.replace("{" + name + "}", value)
            return _json({"error": key, "message": message}, HTTPStatus.CONFLICT)
        return _json({"done": key})


class RoomStatementView(PortalView):
    url = ROOM_PATH + "/{token}/statement/{cycle}"
    name = f"{DOMAIN}:portal:statement"

    async def get(self, request: web.Request, token: str, cycle: str) -> web.Response:
        hass, _link_record, entry, room = await _room_link(request, token)
        language = statement_language(hass, _language(request))
        now = dt_util.utcnow()

        def build(core: BillingCore) -> str | None:
            tenancy = core.tenancy_of(room.subentry_id)
            if tenancy is None:
                return None
            ended = {
                c.key
                for c in core.calendar(room.subentry_id).cycles_between(tenancy.moved_in_at, now)
                if c.end <= now
            }
            if cycle not in ended:
                return None
            data = statement_data(core, tenancy.tenancy_id, cycle)
            if not room.portal_shows_tenant:
                data["tenant"] = "-"
            for kind in ("top_ups", "reversals", "refunds", "fees", "adjustments", "settlements"):
                for line in data[kind]:
                    line["who"] = ""
            return render_statement(
                data, language=language, template=statement_template(hass, language)
            )

        text = await entry.runtime_data.rooms.billing.run(build)
        if text is None:
            raise web.HTTPNotFound
        response = web.Response(text=text, content_type="text/plain")
        _secure(response)
        if request.query.get("download"):
            # The cycle is one of the tenancy's own keys (an ISO date): safe in a header.
            response.headers["Content-Disposition"] = (
                f'attachment; filename="statement-{cycle}.txt"'
            )
        return response


class KioskPageView(PageView):
    url = KIOSK_PATH + "/{token}"
    name = f"{DOMAIN}:kiosk:page"
    kind = KIND_KIOSK
    element = "prepaid-power-kiosk"


class KioskDataView(PortalView):
    url = KIOSK_PATH + "/{token}/data"
    name = f"{DOMAIN}:kiosk:data"

    async def get(self, request: web.Request, token: str) -> web.Response:
        link = await _link(request, token, KIND_KIOSK)
        return _json(kiosk_data(request.app[KEY_HASS], link))


class ScriptView(PortalView):
    """The portal's bundle (the same file for every link; it holds no data)."""

    url = SCRIPT_PATH
    name = f"{DOMAIN}:portal:script"

    async def get(self, request: web.Request) -> web.Response:
        portal: Portal = request.app[KEY_HASS].data[PORTAL]
        response = web.Response(body=portal.script or b"", content_type="text/javascript")
        _secure(response)
        response.headers["Cache-Control"] = "no-cache"
        return response


VIEWS: Final = (
    RoomPageView,
    RoomDataView,
    RoomPressView,
    RoomStatementView,
    KioskPageView,
    KioskDataView,
    ScriptView,
)


async def async_setup_portal(hass: HomeAssistant) -> None:
    """Register the portal's views (once, from `async_setup`; needs HA's http)."""
    script = await hass.async_add_executor_job(SCRIPT_FILE.read_bytes)
    hass.data[PORTAL] = Portal(
        failed=FailedTokens(), csrf_key=secrets.token_bytes(32), script=script
    )
    for view in VIEWS:
        hass.http.register_view(view())
