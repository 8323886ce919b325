"""The dashboard action: views of real rooms, loaded by HA's lovelace, and their QR codes."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
import re
from typing import Any

from homeassistant.auth.models import User
from homeassistant.core import Context, HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import CLIENT_ID, MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator
import segno
import yaml

from custom_components.prepaid_power.const import DOMAIN, room_identifier
from custom_components.prepaid_power.control import SupplyState
from custom_components.prepaid_power.dashboard import SUPPLY_COLORS, view_paths
from prepaid_power_gateway import Gateway

from .conftest import device_with_identifier
from .test_init import gateway_entry, setup_gateway
from .test_rooms import ROOM_DATA

BASE_URL = "http://192.168.1.20:8123"


def entry_with_rooms(port: int) -> MockConfigEntry:
    """A gateway with Room 1 on the SDM120 (meter 1) and Room 2 on the DDS238 (meter 3),
    both with a warning cut and emergency credit (so the tenant's buttons exist); Room 2 has
    a free allowance."""
    supply = {**ROOM_DATA["supply"], "warning_cut_level": "2", "emergency_credit": "5"}
    rooms = {
        title: {**ROOM_DATA, "meter": meter, "supply": supply, "allowance_kwh": allowance}
        for meter, title, allowance in ((1, "Room 1", "0"), (3, "Room 2", "10"))
    }
    return gateway_entry(port, rooms=rooms)


def room_devices(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """Room name → room device id."""
    registry = dr.async_get(hass)
    devices: dict[str, str] = {}
    for subentry in entry.subentries.values():
        device = device_with_identifier(
            registry, entry.entry_id, room_identifier(subentry.subentry_id)
        )
        assert device is not None
        devices[subentry.title] = device.id
    return devices


async def dashboard(
    hass: HomeAssistant, data: dict[str, Any], context: Context | None = None
) -> dict[str, Any]:
    """Call the action and return its response."""
    response = await hass.services.async_call(
        DOMAIN, "dashboard_yaml", data, blocking=True, return_response=True, context=context
    )
    assert isinstance(response, dict)
    return response


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every mapping in a dashboard config."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def referenced_entities(config: dict[str, Any]) -> set[str]:
    """Every entity id a dashboard config names."""
    found: set[str] = set()
    for node in walk(config):
        if isinstance(node.get("entity"), str):
            found.add(node["entity"])
        for item in node.get("entities", []):
            found.add(item if isinstance(item, str) else item["entity"])
        target = node.get("target")
        if isinstance(target, dict):
            found.add(target["entity_id"])
    return found


def cards_of(view: dict[str, Any]) -> list[dict[str, Any]]:
    """Every card of a view (nested ones too)."""
    return [node for node in walk(view) if "type" in node and node is not view]


def qr_matrix_from_svg(svg: str) -> list[list[int]]:
    """The dark modules an SVG of segno draws (scale by transform, one path of runs)."""
    width = re.search(r'<svg [^>]*width="(\d+)"', svg)
    scale = re.search(r'transform="scale\((\d+)\)"', svg)
    dark = re.search(r'<path stroke="#000" d="([^"]+)"', svg)
    assert width is not None
    assert scale is not None
    assert dark is not None
    size = int(width.group(1)) // int(scale.group(1))
    matrix = [[0] * size for _ in range(size)]
    x = y = 0.0
    for command, first, second in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", dark.group(1)):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            for column in range(int(x), int(x + float(first))):
                matrix[int(y)][column] = 1
            x += float(first)
    return matrix


def segno_matrix(url: str, border: int = 4) -> list[list[int]]:
    """The modules segno makes for the URL, with a quiet zone."""
    qr = segno.make_qr(url, error="m")
    return [[1 if module else 0 for module in row] for row in qr.matrix_iter(border=border)]


@pytest.fixture
async def rooms(hass: HomeAssistant, simulated_gateway: Gateway) -> MockConfigEntry:
    """A loaded gateway with two rooms."""
    hass.config.currency = "CNY"
    entry = entry_with_rooms(simulated_gateway.port)
    await setup_gateway(hass, entry)
    return entry


async def test_dashboard_of_every_room(hass: HomeAssistant, rooms: MockConfigEntry) -> None:
    """No rooms chosen: a landlord overview and a tenant view per room, entities by registry."""
    registry = er.async_get(hass)
    # Landlords rename entities: the dashboard follows the registry, not guessed ids.
    registry.async_update_entity("sensor.room_1_balance", new_entity_id="sensor.flat_a_credit")
    await hass.async_block_till_done()

    response = await dashboard(hass, {"base_url": BASE_URL + "/"})

    config = response["config"]
    assert yaml.safe_load(response["yaml"]) == config
    referenced = referenced_entities(config)
    assert referenced
    assert all(hass.states.get(entity_id) is not None for entity_id in referenced), referenced
    assert "sensor.flat_a_credit" in referenced
    assert "sensor.room_1_balance" not in referenced

    landlord, room_1, room_2 = config["views"]
    assert [view["path"] for view in config["views"]] == ["landlord", "room_1", "room_2"]
    assert response["rooms"]["Room 1"]["url"] == f"{BASE_URL}/prepaid-power/room_1"
    assert response["rooms"]["Room 2"]["view_path"] == "room_2"
    assert response["rooms"]["Room 2"]["device_id"] == room_devices(hass, rooms)["Room 2"]

    # Landlord: totals, then a row per room (balance linking to the room, coloured supply).
    landlord_entities = referenced_entities(landlord)
    assert {"sensor.test_gateway_income_this_cycle", "sensor.test_gateway_outstanding_debt"} <= (
        landlord_entities
    )
    rows = [card for card in cards_of(landlord) if card.get("columns") == 3]
    assert len(rows) == 2
    balance_tile = rows[0]["cards"][0]
    assert balance_tile["entity"] == "sensor.flat_a_credit"
    assert balance_tile["name"] == "Room 1"
    assert balance_tile["tap_action"]["navigation_path"] == "/prepaid-power/room_1"
    colours = [card["card"]["color"] for card in rows[1]["cards"] if card["type"] == "conditional"]
    assert colours == [colour for colour, _states in SUPPLY_COLORS] + ["disabled"]

    # Tenant: the room's own values and buttons, a 30-day usage graph and the QR code.
    assert room_1["subview"] is True
    tenant_entities = referenced_entities(room_2)
    assert {
        "sensor.room_2_balance",
        "sensor.room_2_days_of_credit_left",
        "sensor.room_2_supply",
        "sensor.room_2_energy_this_cycle",
        "sensor.room_2_cost_this_cycle",
        "sensor.room_2_allowance_left",
        "button.room_2_restore_after_warning",
        "button.room_2_use_emergency_credit",
    } <= tenant_entities
    assert not any(entity_id.startswith("sensor.room_1") for entity_id in tenant_entities)
    # Without an allowance there is no free energy to show.
    assert "sensor.room_1_energy_this_cycle" in referenced_entities(room_1)
    assert not any("allowance" in entity_id for entity_id in referenced_entities(room_1))
    assert not any(entity_id.startswith(("switch.", "number.")) for entity_id in tenant_entities)
    (graph,) = [card for card in cards_of(room_2) if card["type"] == "statistics-graph"]
    assert graph["entities"] == ["sensor.room_2_energy_this_cycle"]
    assert (graph["period"], graph["stat_types"], graph["days_to_show"]) == ("day", ["change"], 30)
    presses = [card for card in cards_of(room_2) if card["type"] == "button"]
    assert {card["tap_action"]["perform_action"] for card in presses} == {"button.press"}
    (qr_card,) = [card for card in cards_of(room_2) if card["type"] == "markdown"]
    assert f'<img src="{response["rooms"]["Room 2"]["qr_svg_data_uri"]}"' in qr_card["content"]


def test_supply_colours_cover_every_state() -> None:
    """Each supply state has exactly one colour."""
    states = [state for _colour, states in SUPPLY_COLORS for state in states]
    assert sorted(states) == sorted(state.value for state in SupplyState)


def test_view_paths_are_distinct_slugs() -> None:
    """Rooms named alike (or like the overview) still get their own view."""
    assert view_paths(["Room 1", "Room 1", "Landlord", "一号房", "!!"]) == [
        "room_1",
        "room_1_2",
        "landlord_2",
        "yi_hao_fang",
        "room",
    ]


async def test_qr_code_opens_the_tenant_view(hass: HomeAssistant, rooms: MockConfigEntry) -> None:
    """The QR code is the one segno makes for the view's URL: HA's external URL first."""
    await async_process_ha_core_config(
        hass,
        {"external_url": "https://home.example.com", "internal_url": "http://10.0.0.2:8123"},
    )
    devices = room_devices(hass, rooms)
    response = await dashboard(
        hass, {"device_id": [devices["Room 2"]], "dashboard_path": "flats-tenants"}
    )
    url = "https://home.example.com/flats-tenants/room_2"
    assert list(response["rooms"]) == ["Room 2"]
    assert response["rooms"]["Room 2"]["url"] == url
    data_uri = response["rooms"]["Room 2"]["qr_svg_data_uri"]
    prefix = "data:image/svg+xml;base64,"
    assert data_uri.startswith(prefix)
    svg = base64.b64decode(data_uri.removeprefix(prefix)).decode()
    assert qr_matrix_from_svg(svg) == segno_matrix(url)
    assert qr_matrix_from_svg(svg) != segno_matrix(url + "x")
    assert '<path fill="#fff" d="M0 0h' in svg  # a white background: scans on dark themes too


async def test_dashboard_loads_in_lovelace(
    hass: HomeAssistant,
    rooms: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    tmp_path: Path,
    tenant_user: User,
) -> None:
    """Saved into a storage dashboard and read back unchanged; the YAML loads as a YAML one."""
    response = await dashboard(hass, {"base_url": BASE_URL})
    yaml_file = tmp_path / "prepaid_power_dashboard.yaml"
    yaml_file.write_text(response["yaml"], encoding="utf-8")
    assert await async_setup_component(
        hass,
        "lovelace",
        {
            "lovelace": {
                "dashboards": {
                    "prepaid-yaml": {
                        "mode": "yaml",
                        "filename": str(yaml_file),
                        "title": "Prepaid (YAML)",
                    }
                }
            }
        },
    )
    client = await hass_ws_client(hass)

    await client.send_json_auto_id(
        {"type": "lovelace/dashboards/create", "url_path": "prepaid-power", "title": "Rooms"}
    )
    result = await client.receive_json()
    assert result["success"], result
    await client.send_json_auto_id(
        {"type": "lovelace/config/save", "url_path": "prepaid-power", "config": response["config"]}
    )
    result = await client.receive_json()
    assert result["success"], result
    await client.send_json_auto_id({"type": "lovelace/config", "url_path": "prepaid-power"})
    result = await client.receive_json()
    assert result["success"], result
    assert result["result"] == response["config"]

    await client.send_json_auto_id({"type": "lovelace/config", "url_path": "prepaid-yaml"})
    result = await client.receive_json()
    assert result["success"], result
    assert result["result"] == response["config"]

    # The tenant's wall tablet logs in as a non-admin user: it reads the dashboard.
    refresh_token = await hass.auth.async_create_refresh_token(tenant_user, CLIENT_ID)
    tablet = await hass_ws_client(hass, hass.auth.async_create_access_token(refresh_token))
    await tablet.send_json_auto_id({"type": "lovelace/config", "url_path": "prepaid-power"})
    result = await tablet.receive_json()
    assert result["success"], result
    assert result["result"] == response["config"]


async def test_tenant_buttons_are_not_landlord_only(
    hass: HomeAssistant, rooms: MockConfigEntry, tenant_user: User
) -> None:
    """The buttons of a tenant view work for a non-admin user (the policy may still say no)."""
    config = (await dashboard(hass, {"kind": "tenant", "base_url": BASE_URL}))["config"]
    presses = [card for card in cards_of(config["views"][0]) if card["type"] == "button"]
    assert len(presses) == 2
    # The supply is on and the room is vacant: the policy's reasons, in the
    # tenant's language, rather than the landlord-only refusal.
    reasons = {
        "button.room_1_restore_after_warning": "not_in_warning_cut",
        "button.room_1_use_emergency_credit": "no_tenancy",
    }
    for card in presses:
        action = card["tap_action"]
        domain, service = action["perform_action"].split(".")
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                domain,
                service,
                target=action["target"],
                blocking=True,
                context=Context(user_id=tenant_user.id),
            )
        assert err.value.translation_key == reasons[action["target"]["entity_id"]]


async def test_tenant_and_landlord_only(hass: HomeAssistant, rooms: MockConfigEntry) -> None:
    """`kind` picks the views; tenant views alone are ordinary views, not subviews."""
    tenant = (await dashboard(hass, {"kind": "tenant", "base_url": BASE_URL}))["config"]
    assert [view["path"] for view in tenant["views"]] == ["room_1", "room_2"]
    assert not any("subview" in view for view in tenant["views"])
    landlord = (await dashboard(hass, {"kind": "landlord", "base_url": BASE_URL}))["config"]
    assert [view["path"] for view in landlord["views"]] == ["landlord"]
    assert not any(card.get("tap_action") for card in cards_of(landlord["views"][0]))


async def test_refusals(hass: HomeAssistant, rooms: MockConfigEntry, tenant_user: User) -> None:
    """Tenants may not generate it; unknown rooms and a missing URL are translated errors."""
    with pytest.raises(HomeAssistantError) as err:
        await dashboard(hass, {"base_url": BASE_URL}, Context(user_id=tenant_user.id))
    assert err.value.translation_key == "landlord_only"
    with pytest.raises(ServiceValidationError) as err:
        await dashboard(hass, {"device_id": ["nope"], "base_url": BASE_URL})
    assert err.value.translation_key == "unknown_room_device"
    assert err.value.translation_placeholders == {"device_id": "nope"}
    with pytest.raises(ServiceValidationError) as err:
        await dashboard(hass, {})
    assert err.value.translation_key == "no_base_url"
