"""The demo's set-up steps, each through HA's public APIs as a user or the frontend would.

`bring_up` starts nothing: it takes a running `Stack` and makes it a demo: onboarding (the
landlord owns the instance), a tenant login, the gateway through the config flow with a bus
scan, rooms through the room subentry flow, and dashboards. Steps whose integration side has
not landed yet (checked at run time: subentry types, registered actions) are skipped with a
note, so the demo grows with the integration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
import time
from typing import Any

import aiohttp

from .client import HassApiError, HassClient, HassWebSocket, SimulatorClient, Tokens, wait_http
from .stack import Stack

DOMAIN = "prepaid_power"


@dataclass(frozen=True)
class Login:
    """A demo login."""

    name: str
    username: str
    password: str


@dataclass(frozen=True)
class RoomPlan:
    """One demo room: which simulated meter, price, actuator, and what to do with it."""

    name: str
    slave: int
    price: str
    tenant: str | None = None
    top_up: str | None = None
    tariff: dict[str, Any] | None = None  # set with prepaid_power.set_tariff after creation
    actuator: dict[str, Any] = field(default_factory=lambda: {"actuator_kind": "meter_relay"})
    load_w: float | None = None  # a fixed simulated load instead of the meter's profile
    protected: bool = False  # the landlord's "keep power" switch
    dormitory: bool = False  # supply follows the dormitory schedule helper
    allowance_kwh: str = "0"  # free kWh every billing cycle
    note: str = ""


TOU_TARIFF: dict[str, Any] = {
    "kind": "tou",
    "prices": {"peak": "0.4200", "valley": "0.1800"},
    "weekday": [
        {"start": "07:00", "end": "23:00", "period": "peak"},
        {"start": "23:00", "end": "07:00", "period": "valley"},
    ],
    "weekend": [{"start": "00:00", "end": "00:00", "period": "valley"}],
}
TIERED_TARIFF: dict[str, Any] = {
    "kind": "tiered",
    "blocks": [
        {"up_to_kwh": "50", "price": "0.2500"},
        {"up_to_kwh": "150", "price": "0.3500"},
        {"up_to_kwh": None, "price": "0.5000"},
    ],
}

# The sample building: rooms 1-5 have meters with a relay, 6-12 switch on relay board 100.
DEMO_ROOMS: tuple[RoomPlan, ...] = (
    RoomPlan(
        "Room 1",
        1,
        "0.3500",
        tenant="Alice",
        top_up="50.00",
        allowance_kwh="5",
        note="flat tariff, 5 kWh free every month",
    ),
    RoomPlan(
        "Room 2",
        2,
        "0.3200",
        tenant="Bob",
        top_up="0.40",
        load_w=2000,  # a heater: at x10 the credit lasts about four minutes
        note="near cut-off",
    ),
    RoomPlan(
        "Room 3",
        3,
        "0.3000",
        tenant="Chen",
        top_up="30.00",
        tariff=TOU_TARIFF,
        note="time-of-use tariff",
    ),
    RoomPlan(
        "Room 4",
        4,
        "0.3000",
        tenant="Dana",
        top_up="40.00",
        tariff=TIERED_TARIFF,
        note="tiered tariff",
    ),
    RoomPlan("Room 5", 5, "0.3300", tenant="Emil", top_up="1.00", protected=True, note="protected"),
    RoomPlan(
        "Room 6",
        6,
        "0.3100",
        tenant="Farah",
        top_up="25.00",
        actuator={"actuator_kind": "relay_board", "board": 100, "channel": 1},
        dormitory=True,
        note="dormitory lights-out schedule",
    ),
)


@dataclass
class Demo:
    """What `bring_up` made: logins, tokens, the gateway entry and entity ids."""

    stack: Stack
    landlord: Login
    tenant: Login
    tokens: Tokens | None = None
    entry_id: str = ""
    rooms: dict[str, str] = field(default_factory=dict)  # room name -> subentry id
    tenant_path: str = ""
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


async def wait_ready(
    session: aiohttp.ClientSession, stack: Stack, within: float = 180, *, onboarded: bool = False
) -> dict[str, float]:
    """Wait for the gateway's status port and HA's HTTP API; returns seconds to each."""
    started = time.monotonic()
    await wait_http(session, stack.status_url + "/api/stats", within, stack.check_running)
    gateway_ready = time.monotonic() - started
    # Before onboarding only the onboarding API answers; after it, it is gone (404).
    path = "/auth/providers" if onboarded else "/api/onboarding"
    await wait_http(session, stack.ha_url + path, within, stack.check_running)
    return {"gateway_ready_s": gateway_ready, "hass_http_ready_s": time.monotonic() - started}


async def wait_running(ws: HassWebSocket, within: float = 120) -> None:
    """Wait until HA's core state is RUNNING (every integration set up)."""
    deadline = time.monotonic() + within
    while True:
        config = await ws.command("get_config")
        if config.get("state") == "RUNNING":
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"Home Assistant still {config.get('state')}")
        await asyncio.sleep(0.5)


async def onboard(client: HassClient, landlord: Login, tenant: Login) -> Tokens:
    """Onboard with the landlord as owner; add the tenant as a non-admin user."""
    tokens = await client.onboard(landlord.name, landlord.username, landlord.password)
    async with await client.websocket() as ws:
        await wait_running(ws)
        created = await ws.command(
            "config/auth/create", name=tenant.name, group_ids=["system-users"], local_only=False
        )
        await ws.command(
            "config/auth_provider/homeassistant/create",
            user_id=created["user"]["id"],
            username=tenant.username,
            password=tenant.password,
        )
        # Onboarding adds a few integrations of `default_config` (weather, radio, TTS ...)
        # whose requirements this environment lacks: drop the ones that failed.
        for entry in await ws.command("config_entries/get"):
            if entry["domain"] != DOMAIN and entry["state"] != "loaded":
                await client.request(
                    "DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}"
                )
    return tokens


async def add_gateway(
    client: HassClient,
    stack: Stack,
    first_id: int = 1,
    last_id: int = 100,  # the sample building's relay board is slave 100
    trace: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Add the simulated gateway through the config flow: menu, TCP form, scan, result."""
    return await client.flow(
        "config/config_entries/flow",
        DOMAIN,
        [
            {"next_step_id": "tcp"},
            {"host": "127.0.0.1", "port": stack.modbus_port, "framing": "tcp"},
            {"first_id": first_id, "last_id": last_id},
            {},  # the scan result: save
        ],
        within=120,
        trace=trace,
    )


async def set_gateway_options(
    client: HassClient, entry_id: str, poll_interval: int, timeout_ms: int = 500
) -> dict[str, Any]:
    """The gateway's options flow (poll interval, bus timing): its *settings* menu entry."""
    return await client.flow(
        "config/config_entries/options/flow",
        entry_id,
        [
            {"next_step_id": "settings"},
            {"poll_interval": poll_interval, "timeout_ms": timeout_ms, "inter_frame_gap_ms": 0},
        ],
    )


async def wait_entry_loaded(ws: HassWebSocket, entry_id: str, within: float = 60) -> None:
    """Wait until a config entry's state is `loaded`."""
    deadline = time.monotonic() + within
    while True:
        entries = await ws.command("config_entries/get", domain=DOMAIN)
        state = next((e["state"] for e in entries if e["entry_id"] == entry_id), None)
        if state == "loaded":
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"config entry {entry_id} is {state}")
        await asyncio.sleep(0.5)


async def entity_ids(ws: HassWebSocket) -> dict[str, str]:
    """This integration's entity ids by unique id."""
    entries = await ws.command("config/entity_registry/list")
    return {e["unique_id"]: e["entity_id"] for e in entries if e["platform"] == DOMAIN}


def meter_entity(ids: dict[str, str], entry_id: str, slave: int, key: str) -> str:
    """Entity id of a meter's sensor (unique id `<entry>-meter-<slave>-<key>`)."""
    return ids[f"{entry_id}-meter-{slave}-{key}"]


def room_entity(ids: dict[str, str], subentry_id: str, key: str) -> str:
    """Entity id of a room's entity (unique id `<subentry>-<key>`)."""
    return ids[f"{subentry_id}-{key}"]


async def services(ws: HassWebSocket) -> set[str]:
    """This integration's registered actions."""
    registered = await ws.command("get_services")
    return set(registered.get(DOMAIN, {}))


async def supports_rooms(ws: HassWebSocket, entry_id: str) -> bool:
    """Whether the gateway entry offers room subentries (the rooms feature has landed)."""
    entries = await ws.command("config_entries/get", domain=DOMAIN)
    for entry in entries:
        if entry["entry_id"] == entry_id:
            return "room" in (entry.get("supported_subentry_types") or {})
    return False


def room_form(plan: RoomPlan, schedules: dict[str, str] | None = None) -> dict[str, Any]:
    """The room form's input for a plan (supply rules collapsed into their section)."""
    return {
        "name": plan.name,
        "meter": str(plan.slave),
        "price": plan.price,
        "cycle_start_day": 1,
        "allowance_kwh": plan.allowance_kwh,
        "allowance_pro_rata": False,
        **plan.actuator,
        # Emergency credit on, so the tenant's view shows its button.
        "supply": {"low_level": "2", "credit_limit": "0", "emergency_credit": "5"},
        "schedules": schedules or {},
    }


async def add_room(
    client: HassClient, entry_id: str, plan: RoomPlan, schedules: dict[str, str] | None = None
) -> dict[str, Any]:
    """A room through the room subentry flow."""
    return await client.flow(
        "config/config_entries/subentries/flow",
        [entry_id, "room"],
        [room_form(plan, schedules)],
        within=60,
    )


async def ensure_rooms(
    client: HassClient, ws: HassWebSocket, entry_id: str, plans: Iterable[RoomPlan]
) -> dict[str, str]:
    """The rooms of `plans`, each added through the room flow unless the gateway has it
    already (tests share one stack); room name -> subentry id of every room."""
    rooms = await subentry_ids(ws, entry_id)
    missing = [plan for plan in plans if plan.name not in rooms]
    for plan in missing:
        result = await add_room(client, entry_id, plan)
        assert result["type"] == "create_entry", result
    if missing:
        rooms = await subentry_ids(ws, entry_id)
        await wait_entry_loaded(ws, entry_id)
    return rooms


async def subentry_ids(ws: HassWebSocket, entry_id: str) -> dict[str, str]:
    """Room name -> subentry id of a gateway entry."""
    items = await ws.command("config_entries/subentries/list", entry_id=entry_id)
    return {item["title"]: item["subentry_id"] for item in items}


async def wait_for(
    predicate: Callable[[], Any], within: float, what: str, interval: float = 0.5
) -> Any:
    """Poll an async predicate until it returns something truthy."""
    deadline = time.monotonic() + within
    last: Any = None
    while time.monotonic() < deadline:
        last = await predicate()
        if last:
            return last
        await asyncio.sleep(interval)
    raise TimeoutError(f"{what}: not within {within:.0f} s (last: {last!r})")


async def bring_up(
    session: aiohttp.ClientSession,
    stack: Stack,
    landlord: Login,
    tenant: Login,
    *,
    log: Callable[[str], None] = lambda _: None,
    rooms: tuple[RoomPlan, ...] = DEMO_ROOMS,
) -> Demo:
    """Make a freshly started stack a demo (see the module docstring)."""
    demo = Demo(stack, landlord, tenant)
    started = time.monotonic()
    demo.timings |= await wait_ready(session, stack)
    log(f"gateway and Home Assistant answer ({time.monotonic() - started:.1f} s)")
    client = HassClient(session, stack.ha_url)
    demo.tokens = await onboard(client, landlord, tenant)
    demo.timings["onboarded_s"] = time.monotonic() - started
    log(f"onboarded: owner '{landlord.username}', tenant '{tenant.username}'")
    result = await add_gateway(client, stack)
    if result.get("type") != "create_entry":
        raise HassApiError(f"gateway flow ended with {result}")
    demo.entry_id = result["result"]["entry_id"]
    log(f"gateway added through the config flow: {result['title']}")
    # Poll every 2 s: simulated time runs fast, and billing holds as suspect any reading that
    # rose more than the meter's maximum power could in the (real) time since the last one.
    await set_gateway_options(client, demo.entry_id, poll_interval=2)
    async with await client.websocket() as ws:
        await wait_entry_loaded(ws, demo.entry_id)
        demo.timings["gateway_set_up_s"] = time.monotonic() - started
        if await supports_rooms(ws, demo.entry_id):
            try:
                await create_rooms(client, ws, demo, rooms, log)
            except HassApiError as err:
                demo.notes.append(f"rooms: {str(err)[:300]}")
        else:
            demo.notes.append("rooms: the integration has no room subentries yet")
        demo.tenant_path = await create_dashboards(ws, demo.entry_id, demo.rooms, stack.ha_url)
        log(f"dashboards: /{LANDLORD_DASHBOARD} and {demo.tenant_path}")
    demo.timings["demo_ready_s"] = time.monotonic() - started
    return demo


async def create_rooms(
    client: HassClient,
    ws: HassWebSocket,
    demo: Demo,
    rooms: tuple[RoomPlan, ...],
    log: Callable[[str], None],
) -> None:
    """Rooms through the subentry flow; tenancies, top-ups and tariffs when the actions exist."""
    schedule = await dormitory_schedule(ws) if any(p.dormitory for p in rooms) else None
    simulator = SimulatorClient(client.session, demo.stack)
    for plan in rooms:
        if plan.load_w is not None:
            await simulator.meter(plan.slave, load_w=plan.load_w)
    for plan in rooms:
        schedules = {"supply_schedule_entity": schedule} if plan.dormitory and schedule else None
        result = await add_room(client, demo.entry_id, plan, schedules)
        if result.get("type") != "create_entry":
            demo.notes.append(f"{plan.name}: room flow ended with {result.get('reason')}")
    demo.rooms = await subentry_ids(ws, demo.entry_id)
    log(f"rooms: {', '.join(demo.rooms)}")
    await wait_entry_loaded(ws, demo.entry_id)
    actions = await services(ws)
    if "move_in" not in actions:
        demo.notes.append("tenancies, top-ups: no prepaid_power.move_in action yet")
        return
    # The actions landed: tariffs, tenancies with a first top-up.
    for plan in rooms:
        if plan.name not in demo.rooms:
            continue
        try:
            if plan.tariff is not None and "set_tariff" in actions:
                await room_action(ws, "set_tariff", demo, plan.name, tariff=plan.tariff)
            if plan.tenant is not None:
                extra: dict[str, Any] = {} if plan.top_up is None else {"first_top_up": plan.top_up}
                await room_action(
                    ws,
                    "move_in",
                    demo,
                    plan.name,
                    tenant=plan.tenant,
                    reference=f"demo-{plan.slave}-1",
                    **extra,
                )
            if plan.protected:
                ids = await entity_ids(ws)
                switch = ids.get(f"{demo.rooms[plan.name]}-protected")
                if switch is None:
                    demo.notes.append(f"{plan.name}: no protected switch")
                else:
                    await ws.call_service("switch", "turn_on", {"entity_id": switch})
        except HassApiError as err:
            demo.notes.append(f"{plan.name}: {err}")


DORMITORY_HOURS = [{"from": "06:00:00", "to": "23:00:00"}]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


async def dormitory_schedule(ws: HassWebSocket) -> str:
    """A `schedule` helper, on 06:00-23:00 (lights-out at night), made as in the UI."""
    days: dict[str, Any] = dict.fromkeys(WEEKDAYS, DORMITORY_HOURS)
    created = await ws.command(
        "schedule/create", name="Dormitory power hours", icon="mdi:bunk-bed", **days
    )
    entries = await ws.command("config/entity_registry/list")
    return str(
        next(
            e["entity_id"]
            for e in entries
            if e["platform"] == "schedule" and e["unique_id"] == created["id"]
        )
    )


async def room_device_id(ws: HassWebSocket, subentry_id: str) -> str:
    """The device id of a room (its subentry's device)."""
    devices = await ws.command("config/device_registry/list")
    return str(
        next(d["id"] for d in devices if [DOMAIN, f"room-{subentry_id}"] in d["identifiers"])
    )


async def room_action(
    ws: HassWebSocket, action: str, demo: Demo, room: str, *, response: bool = False, **data: Any
) -> Any:
    """A landlord action on one of the demo's rooms (targets the room's device)."""
    device_id = await room_device_id(ws, demo.rooms[room])
    return await ws.call_service(
        DOMAIN, action, {"device_id": device_id, **data}, response=response
    )


def _entities_card(title: str, entities: list[str]) -> dict[str, Any]:
    return {"type": "entities", "title": title, "entities": entities}


TENANT_DASHBOARD = "prepaid-tenant"
LANDLORD_DASHBOARD = "prepaid-landlord"


async def create_dashboards(
    ws: HassWebSocket, entry_id: str, rooms: dict[str, str], base_url: str
) -> str:
    """A landlord dashboard (admin only) and a tenant dashboard, stored like UI-made ones.

    `rooms`: room name -> subentry id; the tenant dashboard shows the first room. With the
    `prepaid_power.dashboard_yaml` action the dashboards are what it generates (as a
    landlord pastes them); without it, or without rooms, simple entities cards. Returns the
    tenant view's path ("/prepaid-tenant/<view>").
    """
    ids = await entity_ids(ws)
    states = {s["entity_id"]: s for s in await ws.command("get_states")}
    meter_cards: list[dict[str, Any]] = []
    for slave in range(1, 13):
        wanted = [
            ids.get(f"{entry_id}-meter-{slave}-{key}")
            for key in ("power", "energy_import", "energy_total", "relay")
        ]
        entities = [e for e in wanted if e is not None and e in states]
        if entities:
            meter_cards.append(_entities_card(f"Meter {slave}", entities))
    meters_view = {"title": "Meters", "path": "meters", "cards": meter_cards}
    landlord: dict[str, Any]
    tenant: dict[str, Any]
    tenant_path = f"/{TENANT_DASHBOARD}/room"
    if rooms and "dashboard_yaml" in await services(ws):
        devices = {name: await room_device_id(ws, sub) for name, sub in rooms.items()}
        landlord = await ws.call_service(
            DOMAIN,
            "dashboard_yaml",
            {
                "device_id": list(devices.values()),
                "kind": "landlord",
                "dashboard_path": LANDLORD_DASHBOARD,
                "base_url": base_url,
            },
            response=True,
        )
        landlord = {**landlord["config"]}
        landlord["views"] = [*landlord["views"], meters_view]
        generated = await ws.call_service(
            DOMAIN,
            "dashboard_yaml",
            {
                "device_id": [next(iter(devices.values()))],
                "kind": "tenant",
                "dashboard_path": TENANT_DASHBOARD,
                "base_url": base_url,
            },
            response=True,
        )
        tenant = generated["config"]
        view = next(iter(generated["rooms"].values()))["view_path"]
        tenant_path = f"/{TENANT_DASHBOARD}/{view}"
    else:
        room_cards: list[dict[str, Any]] = []
        for room, subentry in rooms.items():
            room_ids = [
                ids[f"{subentry}-{key}"]
                for key in (
                    "balance",
                    "days_of_credit_left",
                    "supply_state",
                    "energy_this_cycle",
                    "cost_this_cycle",
                    "current_price",
                    "tenancy",
                )
                if f"{subentry}-{key}" in ids
            ]
            room_cards.append(_entities_card(room, room_ids))
        tenant_cards = room_cards[:1] or meter_cards[:1]
        landlord = {
            "views": [
                {"title": "Rooms", "path": "rooms", "cards": room_cards or meter_cards},
                meters_view,
            ]
        }
        tenant = {"views": [{"title": "My electricity", "path": "room", "cards": tenant_cards}]}
    existing = {d["url_path"] for d in await ws.command("lovelace/dashboards/list")}
    for url_path, title, icon, admin, config in (
        (LANDLORD_DASHBOARD, "Landlord", "mdi:home-city", True, landlord),
        (TENANT_DASHBOARD, "My electricity", "mdi:flash", False, tenant),
    ):
        if url_path not in existing:
            await ws.command(
                "lovelace/dashboards/create",
                url_path=url_path,
                title=title,
                icon=icon,
                require_admin=admin,
                show_in_sidebar=True,
                mode="storage",
            )
        await ws.command("lovelace/config/save", url_path=url_path, config=config)
    return tenant_path
