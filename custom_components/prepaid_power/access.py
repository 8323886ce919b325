"""Who may do what: landlord-only operations refuse non-admin users."""

from __future__ import annotations

from collections import OrderedDict
from typing import Final

from homeassistant.const import ATTR_DOMAIN, EVENT_CALL_SERVICE
from homeassistant.core import Context, Event, HomeAssistant, callback
from homeassistant.exceptions import Unauthorized
from homeassistant.util.hass_dict import HassKey

from .billing.ledger import SYSTEM
from .const import DOMAIN

LANDLORD_ONLY = "landlord_only"
ROOM_TENANTS_ONLY = "room_tenants_only"


class LandlordOnly(Unauthorized):
    """HA's refusal of a user's permission (HTTP 401 over REST, no traceback), translated."""

    def __init__(
        self,
        context: Context | None,
        key: str = LANDLORD_ONLY,
        placeholders: dict[str, str] | None = None,
    ) -> None:
        """Refuse the user of `context`."""
        super().__init__(context=context, permission=key)
        # Unauthorized carries a fixed text; the message comes from the translation instead.
        self.args = (key,)
        self.generate_message = True
        self._message = None
        self.translation_domain = DOMAIN
        self.translation_key = key
        self.translation_placeholders = placeholders or {}


class RoomTenantsOnly(LandlordOnly):
    """A room that names its tenants refuses other non-admin users' tenant operations."""

    def __init__(self, context: Context | None, room: str) -> None:
        """Refuse the user of `context` for `room`."""
        super().__init__(context, ROOM_TENANTS_ONLY, {"room": room})


# Calls to these start a run (an automation, a script) whose actions carry a new context
# without the user, only its parent: the run is remembered as the caller's.
RUN_DOMAINS: Final = frozenset({"automation", "script"})
# Runs are short-lived; the newest this many are enough to follow nested runs.
REMEMBERED_RUNS: Final = 1024
RUNS: HassKey[OrderedDict[str, str]] = HassKey(f"{DOMAIN}_runs")


@callback
def async_setup_access(hass: HomeAssistant) -> None:
    """Remember who started each automation or script run (once, from `async_setup`).

    HA runs an automation triggered by a user with a context that names no user, so without
    this a tenant could run a landlord's automation through `automation.trigger` and have
    its landlord actions pass as the automation's own.
    """
    runs: OrderedDict[str, str] = OrderedDict()
    hass.data[RUNS] = runs

    @callback
    def remember(event: Event) -> None:
        if event.data.get(ATTR_DOMAIN) not in RUN_DOMAINS:
            return
        user_id = _user_of(runs, event.context)
        if user_id is None:
            return
        runs[event.context.id] = user_id
        if len(runs) > REMEMBERED_RUNS:
            runs.popitem(last=False)

    hass.bus.async_listen(EVENT_CALL_SERVICE, remember)


def _user_of(runs: OrderedDict[str, str], context: Context) -> str | None:
    """The user behind a context: its own, or the one who started the run it belongs to."""
    if context.user_id is not None:
        return context.user_id
    return runs.get(context.id) or (runs.get(context.parent_id) if context.parent_id else None)


def _caller(hass: HomeAssistant, context: Context) -> str | None:
    runs = hass.data.get(RUNS)
    return _user_of(runs, context) if runs is not None else context.user_id


async def async_require_landlord(hass: HomeAssistant, context: Context | None) -> None:
    """Refuse a call made by a user who is not an administrator.

    Calls without a user (automations, scripts, the system) act for the landlord who wrote
    them, unless a user started that run (see `async_setup_access`). HA lets every user
    operate every entity, so entities call this too.
    """
    if context is None or (user_id := _caller(hass, context)) is None:
        return
    user = await hass.auth.async_get_user(user_id)
    if user is None or not user.is_admin:
        raise LandlordOnly(context)


async def async_require_room_tenant(
    hass: HomeAssistant, context: Context | None, room: str, tenants: frozenset[str]
) -> None:
    """Refuse a tenant operation of a room that names its tenants (HA user ids) to any
    other non-admin user. A room without named tenants lets every user operate it."""
    if not tenants or context is None or (user_id := _caller(hass, context)) is None:
        return
    if user_id in tenants:
        return
    user = await hass.auth.async_get_user(user_id)
    if user is None or not user.is_admin:
        raise RoomTenantsOnly(context, room)


def who(context: Context | None) -> str:
    """The ledger's `who` of an operation: the HA user, or the system."""
    return context.user_id if context is not None and context.user_id else SYSTEM
