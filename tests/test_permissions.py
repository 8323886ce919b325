"""The permission matrix: every landlord operation through every door, as a non-admin user.

One table of doors (actions, entity services, HA's generic services, scenes, scripts,
automations, REST, websocket, config / options / subentry / repair flows); each row is tried
as the tenant and must be refused, with a translated refusal where the door reports one, and
change nothing: the ledger, the entities' states, the entry and the rooms' supply memory are
compared before and after every row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.auth.models import User
from homeassistant.components.websocket_api.const import DOMAIN as WS_HANDLERS
from homeassistant.core import Context, HomeAssistant, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, Unauthorized
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import CLIENT_ID, MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.prepaid_power import operations as op
from custom_components.prepaid_power.access import LandlordOnly
from custom_components.prepaid_power.const import DOMAIN
from custom_components.prepaid_power.portal_links import (
    portal_links,
)
from prepaid_power_gateway import Gateway

from .test_init import gateway_entry, setup_gateway
from .test_rooms import ROOM_DATA, act, room_device_id
from .test_supply import setup_room
from .test_websocket_api import commands as console_commands

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

SUPPLY = "switch.room_1_automatic_supply"
PROTECTED = "switch.room_1_keep_power_on"
NUMBERS = (
    "number.room_1_low_balance_level",
    "number.room_1_warning_cut_level",
    "number.room_1_credit_limit",
    "number.room_1_emergency_credit",
)
SCAN = "button.test_gateway_scan_for_new_meters"
SWITCHES = (SUPPLY, PROTECTED)
REFUSED = "landlord_only"
# Rows whose door runs the call in the background (script.turn_on, automation.trigger): the
# refusal is only logged, so "nothing changed" is what shows it.
BACKGROUND = "background"
# HA's own admin gates: HTTP 401 (require_admin) and the websocket's "unauthorized".
HTTP_UNAUTHORIZED = "http 401"
WS_UNAUTHORIZED = "unauthorized"


@dataclass(frozen=True, slots=True)
class Doors:
    """What a row needs: the tenant's context and clients, and the room's ids."""

    hass: HomeAssistant
    tenant: Context
    rest: Any
    ws: Any
    entry: MockConfigEntry
    device_id: str
    top_up_id: int
    issue_id: str


# A row returns the refusal it saw: a translation key, an HTTP status, or BACKGROUND.
type Row = Callable[[Doors], Awaitable[str]]
type Data = Callable[[Doors], dict[str, Any]]


def service(domain: str, name: str, data: Data) -> Row:
    async def row(doors: Doors) -> str:
        hass = doors.hass
        response = hass.services.supports_response(domain, name) is not SupportsResponse.NONE
        try:
            await hass.services.async_call(
                domain,
                name,
                data(doors),
                blocking=True,
                context=doors.tenant,
                return_response=response,
            )
        except HomeAssistantError as err:
            return err.translation_key or type(err).__name__
        except Unauthorized:
            return WS_UNAUTHORIZED
        finally:
            await hass.async_block_till_done()
        return "accepted"

    return row


def background(domain: str, name: str, data: Data) -> Row:
    async def row(doors: Doors) -> str:
        await doors.hass.services.async_call(
            domain, name, data(doors), blocking=True, context=doors.tenant
        )
        await doors.hass.async_block_till_done()
        return BACKGROUND

    return row


def rest(method: str, path: Callable[[Doors], str], body: Data) -> Row:
    async def row(doors: Doors) -> str:
        response = await doors.rest.request(method, path(doors), json=body(doors))
        await doors.hass.async_block_till_done()
        return "accepted" if response.status < 400 else f"http {response.status}"

    return row


def ws(message: Data) -> Row:
    async def row(doors: Doors) -> str:
        await doors.ws.send_json_auto_id(message(doors))
        result = await doors.ws.receive_json()
        await doors.hass.async_block_till_done()
        if result["success"]:
            return "accepted"
        error: dict[str, Any] = result["error"]
        return str(error.get("translation_key") or error["code"])

    return row


def operation(call: Callable[[Doors, str], Awaitable[object]]) -> Row:
    """A landlord operation called directly (as the console will), on the entry's room."""

    async def row(doors: Doors) -> str:
        try:
            await call(doors, next(iter(doors.entry.subentries)))
        except LandlordOnly as err:
            return str(err.translation_key)
        return "done"

    return row


def room(**data: Any) -> Data:
    return lambda doors: {"device_id": doors.device_id, **data}


def entities(*entity_ids: str, **data: Any) -> Data:
    return lambda _doors: {"entity_id": list(entity_ids), **data}


def fixed(data: dict[str, Any]) -> Data:
    return lambda _doors: data


ACTIONS: dict[str, Data] = {
    "move_in": room(tenant="Mallory", first_top_up="5"),
    "move_out": room(),
    "top_up": room(amount="100", reference="T-9"),
    "reverse_top_up": lambda doors: {"device_id": doors.device_id, "entry_id": doors.top_up_id},
    "refund": room(amount="1", reason="x"),
    "adjust": room(amount="50", reason="gift"),
    "set_tariff": room(tariff={"kind": "flat", "price": "0.01"}),
    "statement": room(),
    "export_ledger": fixed({}),
    "preset_vacant_energy": room(kwh="1"),
    "pay_debt": room(amount="1"),
    "set_debt_plan": room(debt="5", reason="arrears", percent="50"),
    "import_bank_statement": fixed(
        {
            "csv": "date,amount,memo\n2026-01-10,5,PP-1\n",
            "date_column": "date",
            "amount_column": "amount",
            "reference_column": "memo",
        }
    ),
    "set_supply": room(state="off", reason="x"),
    "grant_grace": room(duration={"hours": 1}),
    "dashboard_yaml": fixed({}),
    "create_dashboards": fixed({"base_url": "http://192.168.1.20:8123"}),
}

ENTITY_SERVICES: dict[str, tuple[str, str, Data]] = {
    **{
        f"switch.{name} {switch}": ("switch", name, entities(switch))
        for switch in SWITCHES
        for name in ("turn_on", "turn_off", "toggle")
    },
    **{
        f"number.set_value {number}": ("number", "set_value", entities(number, value=7))
        for number in NUMBERS
    },
    f"button.press {SCAN}": ("button", "press", entities(SCAN)),
    **{
        f"homeassistant.{name}": ("homeassistant", name, entities(*SWITCHES, SCAN))
        for name in ("turn_on", "turn_off", "toggle")
    },
    "switch.turn_off entity_id all": ("switch", "turn_off", fixed({"entity_id": "all"})),
    "switch.toggle entity_id all": ("switch", "toggle", fixed({"entity_id": "all"})),
    "number.set_value entity_id all": (
        "number",
        "set_value",
        fixed({"entity_id": "all", "value": 7}),
    ),
    "scene.apply": (
        "scene",
        "apply",
        fixed({"entities": {SUPPLY: "off", PROTECTED: "on", NUMBERS[0]: "7"}}),
    ),
    "scene.turn_on of the tenant's scene": ("scene", "turn_on", entities("scene.tenant_made")),
    "script.landlord_top_up (run and wait)": ("script", "landlord_top_up", fixed({})),
}

OPERATIONS: dict[str, Callable[[Doors, str], Awaitable[object]]] = {
    "rotate_portal_link": lambda d, room_id: op.rotate_portal_link(
        d.hass, op.Caller.of(d.tenant), room_id
    ),
    "revoke_portal_link": lambda d, room_id: op.revoke_portal_link(
        d.hass, op.Caller.of(d.tenant), room_id
    ),
    "create_kiosk_link": lambda d, room_id: op.create_kiosk_link(
        d.hass, op.Caller.of(d.tenant), [room_id], "x"
    ),
    "revoke_kiosk_link": lambda d, _room_id: op.revoke_kiosk_link(
        d.hass, op.Caller.of(d.tenant), portal_links(d.hass).kiosks()[0].kiosk_id or ""
    ),
}


def console(command: str) -> Row:
    """A command of the console's websocket API, with valid data."""
    return ws(
        lambda doors: {
            "type": f"{DOMAIN}/{command}",
            **console_commands(doors.device_id, doors.top_up_id)[command],
        }
    )


ROWS: dict[str, tuple[Row, str]] = {
    **{f"operation {name}": (operation(call), REFUSED) for name, call in OPERATIONS.items()},
    **{
        f"console websocket {DOMAIN}/{command}": (console(command), WS_UNAUTHORIZED)
        for command in console_commands("", 0)
    },
    **{f"action {name}": (service(DOMAIN, name, data), REFUSED) for name, data in ACTIONS.items()},
    **{
        name: (service(domain, action, data), REFUSED)
        for name, (domain, action, data) in ENTITY_SERVICES.items()
    },
    "script.turn_on landlord_top_up": (
        background("script", "turn_on", entities("script.landlord_top_up_in_background")),
        BACKGROUND,
    ),
    "automation.trigger landlord_top_up": (
        background("automation", "trigger", entities("automation.landlord_top_up")),
        BACKGROUND,
    ),
    "REST /api/services/prepaid_power/top_up": (
        rest(
            "POST",
            lambda _doors: f"/api/services/{DOMAIN}/top_up",
            room(amount="100", reference="T-10"),
        ),
        # HA answers a refused action with 400 today; #21 maps Unauthorized to 401/403.
        "http 4xx",
    ),
    "REST /api/services/switch/turn_off": (
        rest("POST", lambda _doors: "/api/services/switch/turn_off", entities(SUPPLY)),
        "http 4xx",
    ),
    "REST /api/services/number/set_value": (
        rest(
            "POST", lambda _doors: "/api/services/number/set_value", entities(NUMBERS[0], value=7)
        ),
        "http 4xx",
    ),
    "websocket call_service prepaid_power.adjust": (
        ws(
            lambda doors: {
                "type": "call_service",
                "domain": DOMAIN,
                "service": "adjust",
                "service_data": {"device_id": doors.device_id, "amount": "50", "reason": "x"},
            }
        ),
        REFUSED,
    ),
    "websocket call_service switch.turn_off": (
        ws(
            lambda _doors: {
                "type": "call_service",
                "domain": "switch",
                "service": "turn_off",
                "target": {"entity_id": SUPPLY},
            }
        ),
        REFUSED,
    ),
    "config flow (REST)": (
        rest("POST", lambda _doors: "/api/config/config_entries/flow", fixed({"handler": DOMAIN})),
        HTTP_UNAUTHORIZED,
    ),
    "options flow (REST)": (
        rest(
            "POST",
            lambda _doors: "/api/config/config_entries/options/flow",
            lambda doors: {"handler": doors.entry.entry_id},
        ),
        HTTP_UNAUTHORIZED,
    ),
    "room subentry flow (REST)": (
        rest(
            "POST",
            lambda _doors: "/api/config/config_entries/subentries/flow",
            lambda doors: {"handler": [doors.entry.entry_id, "room"]},
        ),
        HTTP_UNAUTHORIZED,
    ),
    "room reconfigure flow (REST)": (
        rest(
            "POST",
            lambda _doors: "/api/config/config_entries/subentries/flow",
            lambda doors: {
                "handler": [doors.entry.entry_id, "room"],
                "subentry_id": next(iter(doors.entry.subentries)),
            },
        ),
        HTTP_UNAUTHORIZED,
    ),
    "delete the gateway (REST)": (
        rest(
            "DELETE",
            lambda doors: f"/api/config/config_entries/entry/{doors.entry.entry_id}",
            fixed({}),
        ),
        HTTP_UNAUTHORIZED,
    ),
    "disable the gateway (websocket)": (
        ws(
            lambda doors: {
                "type": "config_entries/disable",
                "entry_id": doors.entry.entry_id,
                "disabled_by": "user",
            }
        ),
        WS_UNAUTHORIZED,
    ),
    "repair flow of a suspect reading (REST)": (
        rest(
            "POST",
            lambda _doors: "/api/repairs/issues/fix",
            lambda doors: {"handler": DOMAIN, "issue_id": doors.issue_id},
        ),
        HTTP_UNAUTHORIZED,
    ),
}


async def snapshot(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Everything a landlord operation could change."""
    rooms = entry.runtime_data.rooms
    ledger = await rooms.billing.run(
        lambda core: {
            table: core.ledger.execute(f"SELECT * FROM {table}")
            for table in ("entries", "accounts", "tenancies", "tariff_versions", "rooms")
        }
    )
    return {
        "ledger": ledger,
        "states": {
            state.entity_id: (state.state, dict(state.attributes))
            for state in hass.states.async_all()
            # A button's state is its last press, which HA records before the entity runs.
            if not state.entity_id.startswith(("scene.", "script.", "automation.", "button."))
        },
        "entry": (
            dict(entry.data),
            dict(entry.options),
            {key: dict(sub.data) for key, sub in entry.subentries.items()},
            entry.disabled_by,
        ),
        "memory": {key: room.memory for key, room in rooms.rooms.items()},
        "portal links": (
            [portal_links(hass).room_link(key) for key in rooms.rooms],
            portal_links(hass).kiosks(),
        ),
    }


async def test_no_landlord_operation_succeeds_for_a_tenant(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    tenant_user: User,
    hass_client: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Every row is refused (translated where the door reports it) and changes nothing."""
    hass.config.currency = "CNY"
    supply = {"low_level": "10", "credit_limit": "0", "warning_cut_level": "1"}
    entry = gateway_entry(
        simulated_gateway.port,
        rooms={"Room 1": {**ROOM_DATA, "supply": {**supply, "emergency_credit": "2"}}},
    )
    await setup_gateway(hass, entry)
    device_id = room_device_id(hass, entry)
    moved_in = await act(
        hass,
        "move_in",
        {"device_id": device_id, "tenant": "Alice", "first_top_up": "20", "reference": "R-1"},
    )
    top_up_id = await entry.runtime_data.rooms.billing.run(
        lambda core: core.ledger.entries(kinds=["top_up"])[0].entry_id
    )
    assert moved_in is not None
    issue_id = f"suspect_{entry.entry_id}"
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key="suspect_reading",
        data={"entry_id": entry.entry_id, "room_id": next(iter(entry.subentries)), "suspect_id": 1},
    )
    landlord_top_up = {
        "action": f"{DOMAIN}.top_up",
        "data": {"device_id": device_id, "amount": "9"},
    }
    for component, config in (
        ("websocket_api", {}),
        ("config", {}),
        ("repairs", {}),
        ("scene", {}),
        (
            "script",
            {
                "script": {
                    "landlord_top_up": {"sequence": [landlord_top_up]},
                    # HA 2026.10 would re-raise the refusal of a background run at teardown.
                    "landlord_top_up_in_background": {
                        "sequence": [{**landlord_top_up, "continue_on_error": True}]
                    },
                }
            },
        ),
        (
            "automation",
            {
                "automation": {
                    "id": "landlord_top_up",
                    "alias": "landlord_top_up",
                    "triggers": [{"trigger": "event", "event_type": "never_fired"}],
                    "actions": [landlord_top_up],
                }
            },
        ),
    ):
        assert await async_setup_component(hass, component, config)
    await hass.async_block_till_done()

    room_id = next(iter(entry.subentries))
    await op.rotate_portal_link(hass, op.Caller.of(None), room_id)
    await op.create_kiosk_link(hass, op.Caller.of(None), [room_id], "Corridor")
    tenant = Context(user_id=tenant_user.id)
    await hass.services.async_call(
        "scene",
        "create",
        {"scene_id": "tenant_made", "entities": {SUPPLY: "off", PROTECTED: "on"}},
        blocking=True,
        context=tenant,
    )
    refresh_token = await hass.auth.async_create_refresh_token(tenant_user, CLIENT_ID)
    token = hass.auth.async_create_access_token(refresh_token)
    doors = Doors(
        hass=hass,
        tenant=tenant,
        rest=await hass_client(token),
        ws=await hass_ws_client(hass, token),
        entry=entry,
        device_id=device_id,
        top_up_id=top_up_id,
        issue_id=issue_id,
    )

    # Every action of the integration is a row, and every command of its websocket API.
    assert set(ACTIONS) == set(hass.services.async_services_for_domain(DOMAIN))
    registered = {
        command.removeprefix(f"{DOMAIN}/")
        for command in hass.data[WS_HANDLERS]
        if command.startswith(f"{DOMAIN}/")
    }
    assert registered == set(console_commands("", 0))
    wrong: dict[str, str] = {}
    for name, (row, expected) in ROWS.items():
        before = await snapshot(hass, entry)
        seen = await row(doors)
        if await snapshot(hass, entry) != before:
            wrong[name] = f"changed something (refusal seen: {seen})"
        elif not (seen == expected or (expected == "http 4xx" and seen.startswith("http 4"))):
            wrong[name] = f"expected {expected}, saw {seen}"
    assert not wrong
    # The doors are live: the landlord's own run of the same script and automation works.
    before = await snapshot(hass, entry)
    await hass.services.async_call(
        "automation", "trigger", {"entity_id": "automation.landlord_top_up"}, blocking=True
    )
    await hass.async_block_till_done()
    assert (await snapshot(hass, entry))["ledger"]["entries"] != before["ledger"]["entries"]


@pytest.mark.parametrize("named", [True, False])
async def test_room_scoped_tenant_buttons(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_admin_user: User, named: bool
) -> None:
    """A room that names its tenants: only they and admins pass its tenant buttons' permission
    rule (the policy then answers: nothing to restore, not near cut-off); any other non-admin
    user is refused, translated. Without named tenants every user passes, as before."""
    alice = await hass.auth.async_create_user("Alice", group_ids=["system-users"])
    mallory = await hass.auth.async_create_user("Mallory", group_ids=["system-users"])
    access = {"tenant_users": [alice.id], "portal_shows_tenant": False} if named else {}
    await setup_room(
        hass,
        simulated_gateway,
        top_up="5",
        supply={"warning_cut_level": "1", "emergency_credit": "1"},
        access=access,
    )
    passed = {
        "restore_after_warning": "not_in_warning_cut",
        "use_emergency_credit": "balance_not_near_cut_off",
    }
    callers = {
        "named tenant": Context(user_id=alice.id),
        "other user": Context(user_id=mallory.id),
        "admin": Context(user_id=hass_admin_user.id),
        "automation": Context(),
    }
    seen: dict[tuple[str, str], str] = {}
    refused: list[dict[str, str] | None] = []
    for who_, context in callers.items():
        for key in passed:
            try:
                await hass.services.async_call(
                    "button",
                    "press",
                    {"entity_id": f"button.room_3_{key}"},
                    blocking=True,
                    context=context,
                )
            except HomeAssistantError as err:
                seen[who_, key] = str(err.translation_key)
                if isinstance(err, Unauthorized):
                    refused.append(err.translation_placeholders)
    expected = {(who_, key): result for who_ in callers for key, result in passed.items()}
    if named:
        for key in passed:
            expected["other user", key] = "room_tenants_only"
    assert seen == expected
    # The refusal is HA's Unauthorized (401 over REST), naming the room.
    assert refused == ([{"room": "Room 3"}] * len(passed) if named else [])
