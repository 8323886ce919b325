"""The landlord console in the sidebar: one admin-only panel per Home Assistant.

The bundle (`frontend/panel.js`, built from `frontend/src/panel/`) is served as a static file
whose URL carries the bundle's stamp, so a browser never keeps an old console after an update.
The panel appears with the first loaded gateway and goes with the last.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Final

from aiohttp import web
from homeassistant.components import frontend, panel_custom
from homeassistant.components.http.const import KEY_HASS_USER
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, Unauthorized
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.util.hass_dict import HassKey

from .access import LANDLORD_ONLY
from .billing.history import payments_csv
from .compat import StaticPathConfig
from .const import DOMAIN
from .websocket_api import async_payments

# The tenant dashboards take "prepaid-power" (dashboard.DEFAULT_DASHBOARD_PATH).
PANEL_URL_PATH: Final = "prepaid-power-console"
PANEL_ELEMENT: Final = "prepaid-power-panel"
PANEL_TITLE: Final = "Prepaid Power"
PANEL_ICON: Final = "mdi:flash"
STATIC_URL: Final = f"/{DOMAIN}_static"
BUNDLES: Final = Path(__file__).parent / "frontend"
PAYMENTS_CSV_URL: Final = f"/api/{DOMAIN}/payments.csv"
# Static routes and views cannot be removed from aiohttp: registered once per HA run.
STATIC_REGISTERED: HassKey[bool] = HassKey(f"{DOMAIN}_static_registered")
PANEL_REGISTERED: HassKey[bool] = HassKey(f"{DOMAIN}_panel_registered")


def bundle_version(bundle: Path) -> str:
    """The bundle's source stamp (its first line), shortened: changes with every build."""
    first = bundle.read_text(encoding="utf-8").split("\n", 1)[0]
    return first.rsplit(":", 1)[-1].strip(" */")[:16]


async def async_register_panel(hass: HomeAssistant) -> None:
    """Add the console to the sidebar (admins only), unless it is there already.

    Only where HA's frontend runs (every normal installation; not a bare test harness).
    """
    if "frontend" not in hass.config.components or hass.data.get(PANEL_REGISTERED):
        return
    # Gateways set up concurrently: the first one claims the panel before it awaits.
    hass.data[PANEL_REGISTERED] = True
    bundle = BUNDLES / "panel.js"
    version = await hass.async_add_executor_job(bundle_version, bundle)
    if not hass.data.get(STATIC_REGISTERED):
        await hass.http.async_register_static_paths(
            [StaticPathConfig(STATIC_URL, str(BUNDLES), cache_headers=True)]
        )
        hass.http.register_view(PaymentsCsvView())
        hass.data[STATIC_REGISTERED] = True
    await panel_custom.async_register_panel(
        hass,
        frontend_url_path=PANEL_URL_PATH,
        webcomponent_name=PANEL_ELEMENT,
        sidebar_title=PANEL_TITLE,
        sidebar_icon=PANEL_ICON,
        module_url=f"{STATIC_URL}/panel.js?v={version}",
        require_admin=True,
        config={},
    )


def async_unregister_panel(hass: HomeAssistant, unloading_entry_id: str) -> None:
    """Remove the console when the last gateway unloads."""
    if not hass.data.get(PANEL_REGISTERED):
        return
    others = [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.entry_id != unloading_entry_id and entry.state is ConfigEntryState.LOADED
    ]
    if others:
        return
    frontend.async_remove_panel(hass, PANEL_URL_PATH)
    hass.data[PANEL_REGISTERED] = False


class PaymentsCsvView(HomeAssistantView):
    """The payments of a date range as a CSV download (`?start=&end=`, the end exclusive):
    an authenticated request of an administrator, never a file under `www/`."""

    url = PAYMENTS_CSV_URL
    name = f"api:{DOMAIN}:payments"
    requires_auth = True

    async def get(self, request: web.Request) -> web.Response:
        """The CSV, or 400 with the translated refusal."""
        hass: HomeAssistant = request.app[KEY_HASS]
        if not request[KEY_HASS_USER].is_admin:
            raise Unauthorized(permission=LANDLORD_ONLY)
        try:
            start = date.fromisoformat(request.query.get("start", ""))
            end = date.fromisoformat(request.query.get("end", ""))
        except ValueError:
            return self.json_message("start and end must be dates (YYYY-MM-DD)", 400)
        try:
            found = await async_payments(hass, start, end)
        except HomeAssistantError as err:
            return self.json_message(str(err), 400)
        return web.Response(
            text=payments_csv(found["payments"]),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="payments_{start}_{end}.csv"'},
        )
