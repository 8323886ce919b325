"""*Create dashboards*: the dashboards written into HA's own dashboard storage (HA's lovelace
in the test harness), updated on a second run, never over a hand-made one unconfirmed, and
the opt-in tenant-portal links in the QR codes (opened over real HTTP)."""

from __future__ import annotations

import base64
from pathlib import Path
import re
from typing import Any

from homeassistant.auth.models import User
from homeassistant.components.frontend import DATA_PANELS
from homeassistant.core import Context, HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import CLIENT_ID, MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.prepaid_power import operations as op
from custom_components.prepaid_power.const import DOMAIN
from custom_components.prepaid_power.portal_links import KIND_ROOM, portal_links

from .test_dashboard import (
    BASE_URL,
    cards_of,
    qr_matrix_from_svg,
    room_devices,
    rooms,  # noqa: F401  (the fixture)
    segno_matrix,
)
from .test_websocket_api import Console

EXTERNAL = "https://flats.example.com"


@pytest.fixture
async def lovelace(hass: HomeAssistant, rooms: MockConfigEntry, tmp_path: Path) -> None:  # noqa: F811
    """HA's dashboards (storage mode), with a YAML dashboard at `my-yaml`."""
    yaml_file = tmp_path / "mine.yaml"
    yaml_file.write_text("views: []\n", encoding="utf-8")
    dashboards = {"my-yaml": {"mode": "yaml", "filename": str(yaml_file), "title": "Mine"}}
    assert await async_setup_component(hass, "lovelace", {"lovelace": {"dashboards": dashboards}})


@pytest.fixture
async def console(
    hass: HomeAssistant, lovelace: None, hass_ws_client: WebSocketGenerator
) -> Console:
    """The landlord (an admin) connected."""
    return Console(await hass_ws_client(hass))


async def ws(console: Console, command: str, **data: Any) -> Any:
    """A command of HA's own websocket API."""
    await console.client.send_json_auto_id({"type": command, **data})
    reply = await console.client.receive_json()
    assert reply["success"], reply
    return reply["result"]


async def stored(console: Console) -> dict[str, dict[str, Any]]:
    """HA's storage dashboards by url path."""
    items = await ws(console, "lovelace/dashboards/list")
    return {item["url_path"]: item for item in items if item.get("mode") == "storage"}


async def config_of(console: Console, url_path: str) -> dict[str, Any]:
    config: dict[str, Any] = await ws(console, "lovelace/config", url_path=url_path)
    return config


async def test_creates_the_two_dashboards_and_updates_them(
    hass: HomeAssistant, console: Console
) -> None:
    """The landlord's overview (admins only) and the tenants' views land in HA's storage with
    their panels; a second run updates them in place (no duplicates)."""
    result = await console.ok("create_dashboards", base_url=BASE_URL)
    assert result["dashboards"] == [
        {"url_path": "prepaid-power-landlord", "kind": "landlord", "created": True, "views": 1},
        {"url_path": "prepaid-power", "kind": "tenant", "created": True, "views": 2},
    ]
    items = await stored(console)
    assert set(items) == {"prepaid-power-landlord", "prepaid-power"}
    landlord, tenants = items["prepaid-power-landlord"], items["prepaid-power"]
    assert (landlord["require_admin"], tenants["require_admin"]) == (True, False)
    assert landlord["title"] == "Prepaid power: landlord"
    assert (landlord["icon"], tenants["icon"]) == ("mdi:home-city", "mdi:home-lightning-bolt")
    panels = hass.data[DATA_PANELS]
    assert panels["prepaid-power-landlord"].require_admin
    assert not panels["prepaid-power"].require_admin

    overview = await config_of(console, "prepaid-power-landlord")
    assert [view["path"] for view in overview["views"]] == ["landlord"]
    # A room's row opens its view on the tenants' dashboard.
    paths = [
        card["tap_action"]["navigation_path"]
        for card in cards_of(overview["views"][0])
        if card.get("tap_action", {}).get("action") == "navigate"
    ]
    assert paths == ["/prepaid-power/room_1", "/prepaid-power/room_2"]
    views = (await config_of(console, "prepaid-power"))["views"]
    assert [view["path"] for view in views] == ["room_1", "room_2"]
    assert result["rooms"]["Room 1"]["qr_url"] == f"{BASE_URL}/prepaid-power/room_1"
    assert result["rooms"]["Room 1"]["portal_url"] is None

    devices = room_devices(hass, hass.config_entries.async_entries(DOMAIN)[0])
    again = await console.ok(
        "create_dashboards",
        base_url=BASE_URL,
        device_id=[devices["Room 2"]],
        dashboards=[
            {
                "kind": "tenant",
                "url_path": "prepaid-power",
                "title": "Wall",
                "show_in_sidebar": False,
            }
        ],
    )
    assert again["dashboards"] == [
        {"url_path": "prepaid-power", "kind": "tenant", "created": False, "views": 1}
    ]
    items = await stored(console)
    assert len(items) == 2
    assert (items["prepaid-power"]["title"], items["prepaid-power"]["show_in_sidebar"]) == (
        "Wall",
        False,
    )
    assert [v["path"] for v in (await config_of(console, "prepaid-power"))["views"]] == ["room_2"]


async def test_a_hand_made_dashboard_needs_confirmation(
    hass: HomeAssistant, console: Console
) -> None:
    """A dashboard the landlord made, or changed by hand since, is refused (translated) and
    nothing at all is written; confirmed, it is overwritten."""
    await ws(console, "lovelace/dashboards/create", url_path="prepaid-power", title="Mine")
    mine = {"views": [{"title": "My own", "cards": []}]}
    await ws(console, "lovelace/config/save", url_path="prepaid-power", config=mine)

    error = await console.error("create_dashboards", base_url=BASE_URL)
    assert error["translation_key"] == "dashboard_not_ours", error
    assert error["translation_placeholders"] == {"url_path": "prepaid-power"}
    assert "prepaid-power" in error["message"]
    assert await config_of(console, "prepaid-power") == mine
    assert set(await stored(console)) == {"prepaid-power"}  # the landlord's one not made

    await console.ok("create_dashboards", base_url=BASE_URL, overwrite=True)
    assert [v["path"] for v in (await config_of(console, "prepaid-power"))["views"]] == [
        "room_1",
        "room_2",
    ]
    # Ours now: re-running needs no confirmation ...
    await console.ok("create_dashboards", base_url=BASE_URL)
    # ... until the landlord edits it by hand.
    edited = await config_of(console, "prepaid-power")
    edited["views"][0]["title"] = "Edited"
    await ws(console, "lovelace/config/save", url_path="prepaid-power", config=edited)
    error = await console.error("create_dashboards", base_url=BASE_URL)
    assert error["translation_key"] == "dashboard_not_ours"
    assert await config_of(console, "prepaid-power") == edited


async def test_refusals(
    hass: HomeAssistant,
    console: Console,
    tenant_user: User,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A non-admin is refused (websocket and action); bad paths are translated refusals."""
    refresh_token = await hass.auth.async_create_refresh_token(tenant_user, CLIENT_ID)
    tenant = Console(await hass_ws_client(hass, hass.auth.async_create_access_token(refresh_token)))
    assert (await tenant.error("create_dashboards", base_url=BASE_URL))["code"] == "unauthorized"
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            "create_dashboards",
            {"base_url": BASE_URL},
            blocking=True,
            return_response=True,
            context=Context(user_id=tenant_user.id),
        )
    assert err.value.translation_key == "landlord_only"
    for dashboards, key in (
        ([{"kind": "tenant", "url_path": "flats"}], "dashboard_path_hyphen"),
        (
            [
                {"kind": "tenant", "url_path": "my-flats"},
                {"kind": "landlord", "url_path": "my-flats"},
            ],
            "dashboard_paths_clash",
        ),
        ([{"kind": "tenant", "url_path": "my-yaml"}], "dashboard_path_taken"),
    ):
        error = await console.error("create_dashboards", base_url=BASE_URL, dashboards=dashboards)
        assert error["translation_key"] == key, error
    assert await stored(console) == {}


async def test_without_dashboards_loaded(hass: HomeAssistant, rooms: MockConfigEntry) -> None:  # noqa: F811
    """Without HA's dashboards (a bare harness): a translated error, nothing written."""
    with pytest.raises(HomeAssistantError) as err:
        await op.create_dashboards(hass, op.Caller.of(None), base_url=BASE_URL)
    assert err.value.translation_key == "dashboards_unavailable"


@pytest.fixture
async def web(hass: HomeAssistant) -> None:
    """HA's HTTP server, before the integration sets up (it then serves the portal)."""
    assert await async_setup_component(hass, "http", {})


def qr_of_view(view: dict[str, Any]) -> str:
    """The SVG of the QR code a tenant view's markdown card shows."""
    markdown = next(card for card in cards_of(view) if card["type"] == "markdown")
    found = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', markdown["content"])
    assert found is not None
    return base64.b64decode(found.group(1)).decode()


async def test_portal_links_in_the_qr_codes(
    hass: HomeAssistant,
    web: None,
    console: Console,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Opted in: each room gets a new portal link (the old one ends: 404) and its tenant
    view's QR code opens it, at HA's external URL; the page opens that room's portal."""
    await async_process_ha_core_config(
        hass, {"external_url": EXTERNAL, "internal_url": "http://10.0.0.2:8123"}
    )
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    room_1 = next(room for room in entry.runtime_data.rooms.rooms.values() if room.name == "Room 1")
    old = await op.rotate_portal_link(hass, op.Caller.of(None), room_1.subentry_id)
    http = await hass_client_no_auth()
    assert (await http.get(f"{old.path}/data")).status == 200

    off = await console.ok("create_dashboards")
    assert off["rooms"]["Room 1"]["qr_url"] == f"{EXTERNAL}/prepaid-power/room_1"
    assert (await http.get(f"{old.path}/data")).status == 200  # off: links untouched

    result = await console.ok("create_dashboards", portal_links_in_qr=True)
    views = {view["path"]: view for view in (await config_of(console, "prepaid-power"))["views"]}
    for name, path in (("Room 1", "room_1"), ("Room 2", "room_2")):
        url = result["rooms"][name]["portal_url"]
        assert url.startswith(f"{EXTERNAL}/prepaid_power/t/")
        assert result["rooms"][name]["qr_url"] == url
        assert qr_matrix_from_svg(qr_of_view(views[path])) == segno_matrix(url)
        response = await http.get(url.removeprefix(EXTERNAL) + "/data")
        assert response.status == 200
        assert (await response.json())["room"] == name
    assert (await http.get(f"{old.path}/data")).status == 404
    assert (await http.get(old.path)).status == 404
    # The landlord's overview carries no portal link.
    overview = await config_of(console, "prepaid-power-landlord")
    assert "/prepaid_power/t/" not in str(overview)


async def test_portal_links_replaced_only_when_all_is_well(
    hass: HomeAssistant, console: Console
) -> None:
    """A refusal (a hand-made dashboard, a base URL too long for a QR code) comes before
    any room's link is replaced: the old link still opens."""
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    room_id = next(iter(entry.runtime_data.rooms.rooms))
    old = await op.rotate_portal_link(hass, op.Caller.of(None), room_id)
    token = old.path.rsplit("/", 1)[-1]
    links = portal_links(hass)
    await ws(console, "lovelace/dashboards/create", url_path="prepaid-power", title="Mine")
    error = await console.error("create_dashboards", base_url=BASE_URL, portal_links_in_qr=True)
    assert error["translation_key"] == "dashboard_not_ours"
    long_url = "https://" + "a" * 2400 + ".example.com"
    error = await console.error(
        "create_dashboards",
        base_url=long_url,
        portal_links_in_qr=True,
        dashboards=[{"kind": "tenant", "url_path": "other-flats"}],
    )
    assert error["translation_key"] == "qr_url_too_long", error
    assert links.resolve(token, KIND_ROOM) is not None
    assert set(await stored(console)) == {"prepaid-power"}
