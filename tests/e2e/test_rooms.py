"""A room's life, end to end: subentry flow, move-in, top-up, usage, cut-off, restore, move-out.

The simulated clock is frozen (time_scale 0): a fixed load and a clock advance give an exact
number of kWh, so the balance is checked to the cent. Billing holds a reading as suspect when
the energy since the last one exceeds what the meter's maximum power could use in the real
time that passed (plus 0.1 kWh slack), so energy is added 0.05 kWh per poll, at a high price.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from scripts._demo import scenario
from scripts._demo.client import HassClient, HassWebSocket, SimulatorClient

from .conftest import E2E
from .helpers import equals, near, wait_states

DOMAIN = "prepaid_power"
ROOM = "E2E room"
SLAVE = 3  # Hiking DDS238-2 ZN/SR: the meter's own relay switches the supply
PRICE = Decimal("20.0000")
LOAD_W = 2000
STEP_S = 90  # 2000 W for 90 simulated seconds: 0.05 kWh, 1.00 at PRICE


async def next_event(queue: asyncio.Queue[dict[str, Any]], within: float = 20) -> dict[str, Any]:
    """The next event from a subscription."""
    return await asyncio.wait_for(queue.get(), within)


async def wait_simulated(
    simulator: SimulatorClient, slave: int, within: float = 20, **expected: Any
) -> dict[str, Any]:
    """Wait until the simulated meter shows the expected values (relay, power_w ...)."""

    async def matches() -> dict[str, Any] | None:
        meter = (await simulator.meters())[slave]
        return meter if all(meter[k] == v for k, v in expected.items()) else None

    result: dict[str, Any] = await scenario.wait_for(
        matches, within, f"simulated meter {slave} {expected}"
    )
    return result


async def create_room(
    landlord: HassClient, ws: HassWebSocket, entry_id: str
) -> tuple[str, str, dict[str, str]]:
    """The room through the subentry flow API: (subentry id, device id, entity ids by key)."""
    trace: list[dict[str, Any]] = []
    plan = scenario.RoomPlan(ROOM, SLAVE, str(PRICE))
    data = scenario.room_form(plan)
    result = await landlord.flow(
        "config/config_entries/subentries/flow", [entry_id, "room"], [data], trace=trace
    )
    assert result["type"] == "create_entry", result
    form = trace[0]
    assert form["type"] == "form"
    assert {"name", "meter", "price"} <= {field["name"] for field in form["data_schema"]}
    subentry = (await scenario.subentry_ids(ws, entry_id))[ROOM]
    await scenario.wait_entry_loaded(ws, entry_id)

    async def room_entities() -> dict[str, str] | None:
        ids = await scenario.entity_ids(ws)
        keys = ("balance", "supply_state", "energy_this_cycle", "tenancy")
        if all(f"{subentry}-{key}" in ids for key in keys):
            return {key: ids[f"{subentry}-{key}"] for key in keys}
        return None

    entities: dict[str, str] = await scenario.wait_for(room_entities, 30, "room entities")
    device_id = await scenario.room_device_id(ws, subentry)
    return subentry, device_id, entities


def money(value: Decimal) -> Any:
    """A state check: this amount, to the cent."""
    return near(float(value), 0.005)


@pytest.mark.timeout(180)
async def test_room_life(e2e: E2E, landlord: HassClient, simulator: SimulatorClient) -> None:
    """Room → move-in → top-up → usage charged → cut at zero → restored by a top-up → move-out."""
    await simulator.meter(SLAVE, load_w=LOAD_W, relay=True)
    async with await landlord.websocket() as ws:
        if not await scenario.supports_rooms(ws, e2e.entry_id):
            pytest.fail("the gateway entry offers no room subentries")
        _subentry, device, entity = await create_room(landlord, ws, e2e.entry_id)
        room = {"device_id": device}

        # Move in with a first top-up; a second top-up fires the top-up event.
        await ws.call_service(DOMAIN, "move_in", {**room, "tenant": "Erin", "first_top_up": "1.00"})
        await wait_states(ws, landlord, {entity["tenancy"]: equals("occupied")}, 30)
        async with ws.subscribe(event_type=f"{DOMAIN}_top_up") as top_ups:
            await ws.call_service(
                DOMAIN, "top_up", {**room, "amount": "0.50", "reference": "e2e-top-up-1"}
            )
            event = await next_event(top_ups)
        assert Decimal(str(event["data"]["amount"])) == Decimal("0.50")
        balance = Decimal("1.50")
        await wait_states(ws, landlord, {entity["balance"]: money(balance)}, 30)
        # A vacant room's supply is off; the move-in closed it again. Energy flows only once
        # the relay is seen closed, so the clock must not advance before.
        await wait_simulated(simulator, SLAVE, relay=True, power_w=LOAD_W)

        # Usage is charged: 0.05 kWh at 20.00.
        await simulator.advance(STEP_S)
        balance -= PRICE / 20
        await wait_states(
            ws,
            landlord,
            {entity["balance"]: money(balance), entity["energy_this_cycle"]: near(0.05, 0.0011)},
            30,
        )

        # Credit runs out (credit limit 0): the supply is cut, the meter's power falls to 0.
        async with ws.subscribe(event_type=f"{DOMAIN}_supply_changed") as changes:
            await simulator.advance(STEP_S)
            balance -= PRICE / 20  # -0.50
            await wait_states(
                ws,
                landlord,
                {
                    entity["balance"]: money(balance),
                    entity["supply_state"]: equals("cut_off"),
                },
                30,
            )
            event = await next_event(changes)
        assert event["data"]["new_state"] == "cut_off", event
        await wait_simulated(simulator, SLAVE, relay=False, power_w=0)
        await simulator.advance(3600)  # no supply, no usage, no charge
        await asyncio.sleep(3)  # a poll
        await wait_states(ws, landlord, {entity["balance"]: money(balance)}, 10)

        # A top-up restores the supply; the meter's power comes back.
        await ws.call_service(
            DOMAIN, "top_up", {**room, "amount": "5.00", "reference": "e2e-top-up-2"}
        )
        balance += Decimal("5.00")
        await wait_states(
            ws,
            landlord,
            {entity["balance"]: money(balance), entity["supply_state"]: equals("on")},
            30,
        )
        await wait_simulated(simulator, SLAVE, relay=True, power_w=LOAD_W)

        # Move out: the settlement statement comes back as response data.
        result = await ws.call_service(DOMAIN, "move_out", room, response=True)
        assert Decimal(result["refund_owed"]) == balance
        assert "Erin" in result["statement"]
        await wait_states(ws, landlord, {entity["tenancy"]: equals("vacant")}, 30)
