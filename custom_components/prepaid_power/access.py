"""Who may do what: landlord-only operations refuse non-admin users."""

from __future__ import annotations

from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import Unauthorized

from .billing.ledger import SYSTEM
from .const import DOMAIN

LANDLORD_ONLY = "landlord_only"


class LandlordOnly(Unauthorized):
    """HA's refusal of a user's permission (HTTP 401 over REST, no traceback), translated."""

    def __init__(self, context: Context | None) -> None:
        """Refuse the user of `context`."""
        super().__init__(context=context, permission=LANDLORD_ONLY)
        # Unauthorized carries a fixed text; the message comes from the translation instead.
        self.args = (LANDLORD_ONLY,)
        self.generate_message = True
        self._message = None
        self.translation_domain = DOMAIN
        self.translation_key = LANDLORD_ONLY
        self.translation_placeholders = {}


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
        raise LandlordOnly(context)


def who(context: Context | None) -> str:
    """The ledger's `who` of an operation: the HA user, or the system."""
    return context.user_id if context is not None and context.user_id else SYSTEM
