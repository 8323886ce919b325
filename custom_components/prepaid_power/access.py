"""Who may do what: landlord-only operations refuse non-admin users."""

from __future__ import annotations

from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from .billing.ledger import SYSTEM
from .const import DOMAIN


async def async_require_landlord(hass: HomeAssistant, context: Context | None) -> None:
    """Refuse a call made by a user who is not an administrator.

    Calls without a user (automations, scripts, the system) act for the landlord who wrote
    them. HA lets every user operate every entity, so entities call this too.
    """
    user_id = context.user_id if context is not None else None
    if user_id is None:
        return
    user = await hass.auth.async_get_user(user_id)
    if user is None or not user.is_admin:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="landlord_only")


def who(context: Context | None) -> str:
    """The ledger's `who` of an operation: the HA user, or the system."""
    return context.user_id if context is not None and context.user_id else SYSTEM
