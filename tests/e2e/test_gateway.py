"""The gateway part, end to end: config flow over REST, meter states against the simulator."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from scripts._demo import scenario
from scripts._demo.client import HassApiError, HassClient, SimulatorClient

from .conftest import E2E, TENANT
from .helpers import equals, near, wait_states

DOMAIN = "prepaid_power"
SAMPLE_DEVICES = 13  # addon/buildings/sample.yaml: meters 1-12, relay board 100


async def test_gateway_added_through_the_flow_api(e2e: E2E, landlord: HassClient) -> None:
    """Menu → TCP form → scan form → progress → result listing every simulated meter → entry."""
    trace = e2e.flow_trace
    assert trace[0]["type"] == "menu"
    assert set(trace[0]["menu_options"]) >= {"tcp", "serial"}
    steps = [(step["type"], step.get("step_id")) for step in trace]
    assert ("form", "tcp") in steps
    assert ("form", "scan") in steps
    assert ("progress", "scan") in steps
    result_form = next(step for step in trace if step.get("step_id") == "scan_result")
    assert result_form["description_placeholders"]["count"] == str(SAMPLE_DEVICES)
    assert trace[-1]["type"] == "create_entry"

    async with await landlord.websocket() as ws:
        entries = await ws.command("config_entries/get", domain=DOMAIN)
        assert [e["state"] for e in entries if e["entry_id"] == e2e.entry_id] == ["loaded"]
        devices = [
            d
            for d in await ws.command("config/device_registry/list")
            if e2e.entry_id in d["config_entries"]
        ]
    simulated = await SimulatorClient(landlord.session, e2e.stack).meters()
    by_identifier = {
        tuple(identifier): device for device in devices for identifier in device["identifiers"]
    }
    assert (DOMAIN, e2e.entry_id) in by_identifier  # the gateway device
    for slave, meter in simulated.items():
        device = by_identifier[(DOMAIN, f"{e2e.entry_id}-meter-{slave}")]
        assert device["model"] == meter["model"], slave
        if meter["serial"] is not None and device["serial_number"] is not None:
            assert device["serial_number"] == str(meter["serial"])


async def test_meter_states_equal_the_simulator(
    e2e: E2E, landlord: HassClient, simulator: SimulatorClient
) -> None:
    """After the options flow sets a 2 s poll, every meter's power and energy match."""
    result = await scenario.set_gateway_options(landlord, e2e.entry_id, poll_interval=2)
    assert result["type"] == "create_entry", result
    await simulator.meter(1, load_w=1234)
    await simulator.advance(3600)  # the clock is frozen between advances: exact values
    meters = await simulator.meters()
    assert meters[1]["power_w"] == pytest.approx(1234, abs=1)
    async with await landlord.websocket() as ws:
        await scenario.wait_entry_loaded(ws, e2e.entry_id)
        ids = await scenario.entity_ids(ws)
        expected: dict[str, Any] = {}
        for slave, meter in meters.items():
            power = scenario.meter_entity(ids, e2e.entry_id, slave, "power")
            energy = scenario.meter_entity(ids, e2e.entry_id, slave, "energy_import")
            expected[power] = near(meter["power_w"], 1.0)
            expected[energy] = near(meter["energy_kwh"], 0.011)
        states = await wait_states(ws, landlord, expected, within=30)
    energy_1 = scenario.meter_entity(ids, e2e.entry_id, 1, "energy_import")
    assert states[energy_1]["attributes"]["unit_of_measurement"] == "kWh"
    assert states[energy_1]["attributes"]["device_class"] == "energy"


async def test_simulated_relay_open_shows_in_home_assistant(
    e2e: E2E, landlord: HassClient, simulator: SimulatorClient
) -> None:
    """Opening meter 2's relay in the simulator: power 0 there, and HA reads it back."""
    await simulator.meter(2, load_w=800)
    await simulator.meter(2, relay=False)
    await simulator.advance(60)
    meter = (await simulator.meters())[2]
    assert meter["power_w"] == 0
    assert meter["supply_on"] is False
    async with await landlord.websocket() as ws:
        ids = await scenario.entity_ids(ws)
        relay = next(
            entity
            for unique_id, entity in ids.items()
            if unique_id.startswith(f"{e2e.entry_id}-meter-2-relay")
        )
        power = scenario.meter_entity(ids, e2e.entry_id, 2, "power")
        await wait_states(ws, landlord, {relay: equals("off"), power: near(0, 0.5)}, within=30)
        await simulator.meter(2, relay=True)
        await simulator.advance(60)
        await wait_states(ws, landlord, {relay: equals("on"), power: near(800, 1.0)}, within=30)


async def test_scan_button_is_landlord_only(
    e2e: E2E, landlord: HassClient, session: aiohttp.ClientSession
) -> None:
    """A real non-admin login cannot press the scan button; the landlord can."""
    async with await landlord.websocket() as ws:
        ids = await scenario.entity_ids(ws)
        button = ids[f"{e2e.entry_id}-scan"]
        await ws.call_service("button", "press", {"entity_id": button})
    tenant = HassClient(session, e2e.stack.ha_url)
    await tenant.login(TENANT.username, TENANT.password)
    async with await tenant.websocket() as ws:
        user = await ws.command("auth/current_user")
        assert user["is_admin"] is False
        with pytest.raises(HassApiError, match=r"unauthorized|not allowed|landlord|admin"):
            await ws.call_service("button", "press", {"entity_id": button})
