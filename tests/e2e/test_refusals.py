"""What a client written independently of the project found (issue 21), through the real
`hass`: tenants refused with 401, bad input with 400 and no traceback, implausible typed
readings refused, and a restore sent while the cut is still on the wire."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from scripts._demo import scenario
from scripts._demo.client import HassApiError, HassClient, HassWebSocket, SimulatorClient

from .conftest import E2E, TENANT
from .helpers import equals, wait_states

DOMAIN = "prepaid_power"
ROOM = "E2E refusals room"
SLAVE = 2  # Hiking DDS238-2 ZN/SR: the meter's own relay switches the supply
ROUNDS = 8
RELAY_WITHIN_S = 1.0  # well under the 2 s poll interval that would correct a missed command


def log_since(e2e: E2E, offset: int) -> str:
    """What Home Assistant logged since `offset` (bytes)."""
    assert e2e.stack.hass is not None
    with e2e.stack.hass.log_path.open("rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")


def log_size(e2e: E2E) -> int:
    """The current size of Home Assistant's log."""
    assert e2e.stack.hass is not None
    return e2e.stack.hass.log_path.stat().st_size


async def room_with_tenant(
    landlord: HassClient, ws: HassWebSocket, e2e: E2E
) -> tuple[str, dict[str, str]]:
    """The room (made once for this module) with a tenant: (device id, entity ids by key)."""
    rooms = await scenario.subentry_ids(ws, e2e.entry_id)
    if ROOM not in rooms:
        result = await scenario.add_room(
            landlord, e2e.entry_id, scenario.RoomPlan(ROOM, SLAVE, "0.5000")
        )
        assert result["type"] == "create_entry", result
        rooms = await scenario.subentry_ids(ws, e2e.entry_id)
    subentry = rooms[ROOM]
    await scenario.wait_entry_loaded(ws, e2e.entry_id)

    async def entities() -> dict[str, str] | None:
        ids = await scenario.entity_ids(ws)
        keys = ("balance", "supply_state", "tenancy")
        if all(f"{subentry}-{key}" in ids for key in keys):
            return {key: ids[f"{subentry}-{key}"] for key in keys}
        return None

    entity: dict[str, str] = await scenario.wait_for(entities, 30, "room entities")
    device = await scenario.room_device_id(ws, subentry)
    if (await landlord.state(entity["tenancy"]))["state"] != "occupied":
        await ws.call_service(
            DOMAIN, "move_in", {"device_id": device, "tenant": "Fay", "first_top_up": "20"}
        )
    await wait_states(ws, landlord, {entity["tenancy"]: equals("occupied")}, 30)
    return device, entity


async def simulated_relay(simulator: SimulatorClient) -> bool:
    """The simulated meter's relay: closed True."""
    return bool((await simulator.meters())[SLAVE]["relay"])


@pytest.mark.timeout(180)
async def test_refusals_over_rest(
    e2e: E2E, landlord: HassClient, simulator: SimulatorClient, session: aiohttp.ClientSession
) -> None:
    """A tenant's landlord action is 401; bad input and an implausible final reading are 400;
    nothing changes, and Home Assistant logs no traceback."""
    await simulator.meter(SLAVE, load_w=0, relay=True)
    async with await landlord.websocket() as ws:
        device, entity = await room_with_tenant(landlord, ws, e2e)
    before = (await landlord.state(entity["balance"]))["state"]
    tenant = HassClient(session, e2e.stack.ha_url)
    await tenant.login(TENANT.username, TENANT.password)
    offset = log_size(e2e)

    for action, data in (
        ("top_up", {"device_id": device, "amount": "100"}),
        ("set_supply", {"device_id": device, "state": "off", "reason": "tenant"}),
        ("move_out", {"device_id": device}),
    ):
        with pytest.raises(HassApiError, match="HTTP 401"):
            await tenant.call_service(DOMAIN, action, data)
    for action, data in (
        ("top_up", {"device_id": device, "amount": "ten"}),
        ("top_up", {"device_id": "no-such-device", "amount": "1"}),
        ("reverse_top_up", {"device_id": device, "entry_id": 2**64}),
        ("grant_grace", {"device_id": device, "duration": {"days": 10**9}}),
        ("move_out", {"device_id": device, "final_reading": "99999999999"}),
        ("move_in", {"device_id": device, "tenant": "Gus"}),  # occupied
    ):
        with pytest.raises(HassApiError, match="HTTP 400"):
            await landlord.call_service(DOMAIN, action, data)

    assert (await landlord.state(entity["balance"]))["state"] == before
    assert (await landlord.state(entity["tenancy"]))["state"] == "occupied"
    await asyncio.sleep(0.5)  # let the log catch up
    logged = log_since(e2e, offset)
    assert "Traceback" not in logged, logged
    assert " ERROR " not in logged, logged


@pytest.mark.timeout(180)
async def test_restore_while_the_cut_is_on_the_wire(
    e2e: E2E, landlord: HassClient, simulator: SimulatorClient
) -> None:
    """`set_supply off`, and `auto` as soon as the first answers (the cut's command is then
    on the wire): the relay is closed again at once every time, not by the next poll."""
    await simulator.meter(SLAVE, load_w=0, relay=True)
    async with await landlord.websocket() as ws:
        device, entity = await room_with_tenant(landlord, ws, e2e)
        await wait_states(ws, landlord, {entity["supply_state"]: equals("on")}, 30)
        offset = log_size(e2e)
        for _ in range(ROUNDS):
            assert await simulated_relay(simulator)
            room: dict[str, Any] = {"device_id": device}
            await ws.call_service(DOMAIN, "set_supply", {**room, "state": "off", "reason": "race"})
            await ws.call_service(DOMAIN, "set_supply", {**room, "state": "auto"})

            async def closed() -> bool:
                return await simulated_relay(simulator)

            await scenario.wait_for(closed, RELAY_WITHIN_S, "relay closed again", interval=0.05)
            await asyncio.sleep(0.3)  # a command sent late would still show
            assert await simulated_relay(simulator)
        await wait_states(ws, landlord, {entity["supply_state"]: equals("on")}, 10)
    logged = log_since(e2e, offset)
    assert f"Room {ROOM}: relay found" not in logged, logged
    assert Decimal((await landlord.state(entity["balance"]))["state"]) > 0
