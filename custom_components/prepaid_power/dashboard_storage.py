"""Dashboards in HA's own dashboard storage: *Create dashboards* (no copy and paste).

A dashboard is an item of HA's `lovelace` dashboards collection (url path, title, icon,
sidebar, admin only) and its config, saved the way the dashboard editor saves it. HA keeps
its collection inside `lovelace.async_setup`; it is reached through the handler of its own
websocket command `lovelace/dashboards/list` (the `DashboardsCollectionWebSocket` that holds
it), the same object on HA 2025.4 and 2026.10. Creating and updating go through the
collection (HA then registers the dashboard's panel in the sidebar, as it does for the
dashboard dialog); the config through the dashboard's `LovelaceStorage.async_save`, what the
websocket command `lovelace/config/save` runs.

Re-running updates the dashboards. A dashboard at the path that this integration did not
write, or that was changed by hand since, is never overwritten without the landlord's
confirmation: the integration keeps (in `.storage/prepaid_power.dashboards`) the SHA-256 of
each config it saved, and a dashboard whose stored config has another one is the landlord's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import hashlib
import inspect
import json
from typing import Any, Final

from homeassistant.components.frontend import DATA_PANELS
from homeassistant.components.lovelace.const import (
    CONF_REQUIRE_ADMIN,
    CONF_SHOW_IN_SIDEBAR,
    CONF_TITLE,
    CONF_URL_PATH,
    LOVELACE_DATA,
    MODE_STORAGE,
    ConfigNotFound,
)
from homeassistant.components.lovelace.dashboard import (
    DashboardsCollection,
    DashboardsCollectionWebSocket,
)
from homeassistant.const import CONF_ICON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .compat import InputRefused
from .const import DOMAIN

STORAGE_VERSION: Final = 1
STORAGE_KEY: Final = f"{DOMAIN}.dashboards"
LIST_COMMAND: Final = "lovelace/dashboards/list"
WRITTEN: HassKey[DashboardsWritten] = HassKey(f"{DOMAIN}_dashboards_written")


@dataclass(frozen=True, slots=True)
class DashboardChoice:
    """One dashboard as the landlord chose it (None: the kind's default, see
    `operations.create_dashboards`)."""

    kind: str
    url_path: str
    title: str | None = None
    icon: str | None = None
    show_in_sidebar: bool = True
    require_admin: bool | None = None


@dataclass(frozen=True, slots=True)
class SavedDashboard:
    """A dashboard written into HA's storage: made now, or updated."""

    url_path: str
    kind: str
    created: bool
    views: int


def config_digest(config: Mapping[str, Any] | None) -> str:
    """The SHA-256 of a dashboard config (canonical JSON; none saved: of `null`)."""
    text = json.dumps(config, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class DashboardsWritten:
    """What this integration last saved at each dashboard path (the config's digest)."""

    def __init__(self, hass: HomeAssistant) -> None:
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)
        self.digests: dict[str, str] = {}

    async def async_load(self) -> None:
        self.digests = dict((await self._store.async_load() or {}).get("dashboards", {}))

    async def async_record(self, url_path: str, digest: str) -> None:
        self.digests[url_path] = digest
        await self._store.async_save({"dashboards": self.digests})


async def _written(hass: HomeAssistant) -> DashboardsWritten:
    if (written := hass.data.get(WRITTEN)) is None:
        written = DashboardsWritten(hass)
        await written.async_load()
        hass.data[WRITTEN] = written
    return written


def _unavailable() -> HomeAssistantError:
    return HomeAssistantError(translation_domain=DOMAIN, translation_key="dashboards_unavailable")


def dashboards_collection(hass: HomeAssistant) -> DashboardsCollection:
    """HA's own storage-dashboards collection (refused when HA's dashboards are not loaded,
    or in recovery mode)."""
    handlers: Mapping[str, tuple[Any, Any]] = hass.data.get("websocket_api") or {}
    handler = handlers.get(LIST_COMMAND, (None, None))[0]
    owner = getattr(inspect.unwrap(handler), "__self__", None) if handler else None
    collection = getattr(owner, "storage_collection", None)
    if (
        LOVELACE_DATA not in hass.data
        or hass.config.recovery_mode
        or not isinstance(owner, DashboardsCollectionWebSocket)
        or not isinstance(collection, DashboardsCollection)
    ):
        raise _unavailable()
    return collection


def _refused(key: str, url_path: str) -> ServiceValidationError:
    return InputRefused(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"url_path": url_path},
    )


async def async_check_dashboard(
    hass: HomeAssistant, choice: DashboardChoice, *, overwrite: bool
) -> None:
    """Refuse a path HA uses for something else, and (unless `overwrite`) a dashboard there
    that this integration did not write or that was changed by hand since."""
    collection = dashboards_collection(hass)
    item = next((x for x in collection.async_items() if x[CONF_URL_PATH] == choice.url_path), None)
    dashboards = hass.data[LOVELACE_DATA].dashboards
    if item is None:
        if choice.url_path in dashboards or choice.url_path in hass.data.get(DATA_PANELS, {}):
            # A YAML dashboard, the console, the energy panel, ...
            raise _refused("dashboard_path_taken", choice.url_path)
        return
    if overwrite:
        return
    try:
        current: dict[str, Any] | None = await dashboards[choice.url_path].async_load(False)
    except ConfigNotFound:
        current = None
    if (await _written(hass)).digests.get(choice.url_path) != config_digest(current):
        raise _refused("dashboard_not_ours", choice.url_path)


async def async_save_dashboard(
    hass: HomeAssistant, choice: DashboardChoice, config: dict[str, Any]
) -> SavedDashboard:
    """Create the dashboard (or update the one at its path) and save its config; checked by
    `async_check_dashboard` first."""
    collection = dashboards_collection(hass)
    fields = {
        CONF_TITLE: choice.title,
        CONF_ICON: choice.icon,
        CONF_SHOW_IN_SIDEBAR: choice.show_in_sidebar,
        CONF_REQUIRE_ADMIN: bool(choice.require_admin),
    }
    item = next((x for x in collection.async_items() if x[CONF_URL_PATH] == choice.url_path), None)
    if item is None:
        await collection.async_create_item(
            {CONF_URL_PATH: choice.url_path, "mode": MODE_STORAGE, **fields}
        )
    else:
        await collection.async_update_item(item["id"], fields)
    await hass.data[LOVELACE_DATA].dashboards[choice.url_path].async_save(config)
    await (await _written(hass)).async_record(choice.url_path, config_digest(config))
    return SavedDashboard(choice.url_path, choice.kind, item is None, len(config["views"]))
