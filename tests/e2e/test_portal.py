"""The tenant portal end to end: a real HA process, the simulator, headless Chromium at phone
width, no HA login.

The landlord makes the room's link in the gateway options (the flow API, as from a phone);
the tenant's page shows the exact ledger balance; when the credit runs out the tenant takes
emergency credit on the page and the simulated meter's relay closes again; a new link ends
the old one (404, and the open page says so). Every body the portal answered is scanned for
the neighbour room's name, tenant, balance and ids. `PP_SCREENSHOTS=1` saves the phone
screenshots (en, zh-Hans) under tests/e2e/screenshots/ for the README.
"""

from __future__ import annotations

from decimal import Decimal
import os
from pathlib import Path
import shutil
from typing import Any

import aiohttp
import pytest

from scripts._demo import scenario
from scripts._demo.browser import Browser, BrowserError, ensure_chromium
from scripts._demo.client import HassClient, SimulatorClient

from .conftest import E2E
from .test_rooms import wait_simulated

DOMAIN = "prepaid_power"
SCREENSHOTS = Path(__file__).parent / "screenshots"
# The sample building's meters with their own relay (1-5) are each another e2e test's; the
# portal's room takes meter 5 (EM115), its neighbour a relay-board channel.
ROOM = scenario.RoomPlan("Portal room", 5, "20.0000")
NEIGHBOUR = scenario.RoomPlan(
    "Neighbour flat",
    7,
    "0.5000",
    actuator={"actuator_kind": "relay_board", "board": 100, "channel": 2},
)
NEIGHBOUR_TENANT = "Nadia Neighbour"
NEIGHBOUR_BALANCE = "66.61"
LOAD_W = 2000
STEP_S = 90  # 2000 W for 90 simulated seconds: 0.05 kWh, 1.00 at 20.0000
PORTAL = "document.querySelector('prepaid-power-portal')"
SHOWN = f"(() => {{ const r = {PORTAL}?.shadowRoot; const n = r && r.querySelector('[data-pp=%s]'); return n ? n.textContent.trim() : null; }})()"


def shown(key: str) -> str:
    return SHOWN % key


async def press(browser: Browser, key: str) -> None:
    clicked = await browser.evaluate(
        f"(() => {{ const b = {PORTAL}.shadowRoot.querySelector('[data-pp={key}]'); "
        "if (!b || b.disabled) return false; b.click(); return true; })()"
    )
    assert clicked, key


async def make_link(landlord: HassClient, entry_id: str, room_id: str) -> str:
    """The room's new link, from the gateway options (shown once)."""
    result = await landlord.flow(
        "config/config_entries/options/flow",
        entry_id,
        [{"next_step_id": "portal_link"}, {"room": room_id, "link_action": "rotate"}],
    )
    assert result["type"] == "abort", result
    assert result["reason"] == "portal_link_made", result
    url: str = result["description_placeholders"]["url"]
    return url[url.index("/prepaid_power/t/") :]


@pytest.mark.timeout(240)
async def test_tenant_portal(
    e2e: E2E,
    landlord: HassClient,
    simulator: SimulatorClient,
    session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    """Link → exact balance → cut → emergency credit restores the relay → new link, old 404."""
    try:
        chromium = ensure_chromium(within=180)
    except BrowserError as err:
        pytest.fail(f"the browser test needs Chromium: {err}")
    base = e2e.stack.ha_url
    await simulator.meter(ROOM.slave, load_w=LOAD_W, relay=True)
    async with await landlord.websocket() as ws:
        rooms = await scenario.ensure_rooms(landlord, ws, e2e.entry_id, (ROOM, NEIGHBOUR))
        room_id, neighbour_id = rooms[ROOM.name], rooms[NEIGHBOUR.name]
        device = await scenario.wait_for(
            lambda: _device(ws, room_id), 30, "the portal room's device"
        )
        neighbour_device = await scenario.wait_for(
            lambda: _device(ws, neighbour_id), 30, "the neighbour's device"
        )
        await ws.call_service(
            DOMAIN, "move_in", {"device_id": device, "tenant": "Pat", "first_top_up": "1.00"}
        )
        await ws.call_service(
            DOMAIN,
            "move_in",
            {
                "device_id": neighbour_device,
                "tenant": NEIGHBOUR_TENANT,
                "first_top_up": NEIGHBOUR_BALANCE,
            },
        )
        ids = await scenario.entity_ids(ws)
        path = await make_link(landlord, e2e.entry_id, room_id)
        await wait_simulated(simulator, ROOM.slave, relay=True, power_w=LOAD_W)

        bodies: list[str] = []

        async def fetch(method: str, url: str, **kwargs: Any) -> tuple[int, str]:
            async with session.request(method, base + url, **kwargs) as response:
                text = await response.text()
                bodies.append(text)
                bodies.append(str(dict(response.headers)))
                return response.status, text

        async def data() -> dict[str, Any]:
            async with session.get(base + path + "/data") as response:
                assert response.status == 200
                bodies.append(await response.text())
                result: dict[str, Any] = await response.json()
                return result

        statement = await ws.call_service(DOMAIN, "statement", {"device_id": device}, response=True)
        ledger_balance = statement["data"]["closing_balance"]
        assert ledger_balance == "1.00"
        assert (await data())["balance"] == ledger_balance

        browser = Browser(session, chromium, tmp_path)
        try:
            await browser.start(width=390, height=844)
            await browser.navigate(base + path)
            seen = await browser.wait_for(shown("balance"), 30, "the balance on the portal")
            assert seen == f"{ledger_balance} {statement['data']['currency']}"
            # The strict CSP let the bundle's own styles apply (no inline style needed).
            radius = await browser.evaluate(
                f"getComputedStyle({PORTAL}.shadowRoot.querySelector('.card')).borderTopLeftRadius"
            )
            assert radius == "14px"

            # The credit runs out: cut off, and the page offers the emergency credit.
            await simulator.advance(STEP_S)
            await scenario.wait_for(
                lambda: _balance_below(data, "1.00"), 30, "the charge of the step"
            )
            await scenario.wait_for(lambda: _state_is(data, "cut_off"), 30, "cut off")
            await wait_simulated(simulator, ROOM.slave, relay=False, power_w=0)
            await browser.evaluate(f"{PORTAL}.refresh()")
            await browser.wait_for(shown("use_emergency_credit"), 10, "the emergency button")
            await press(browser, "use_emergency_credit")
            await browser.wait_for(shown("confirm"), 10, "the confirmation")
            await press(browser, "confirm")
            await browser.wait_for(shown("message"), 20, "the press's answer")
            await wait_simulated(simulator, ROOM.slave, relay=True, power_w=LOAD_W)
            after = await data()
            assert Decimal(after["emergency_credit_outstanding"]) == 5
            assert after["supply"]["on"] is True
            await browser.evaluate(f"{PORTAL}.refresh()")
            currency = statement["data"]["currency"]
            await browser.wait_for(
                shown("balance") + f" === '5.00 {currency}'", 10, "the balance with the credit"
            )
            await _screenshot(browser, tmp_path, "portal-en.png")
            await press(browser, "lang")
            await browser.wait_for(
                f"{PORTAL}.shadowRoot.textContent.includes('余额')", 10, "the page in Chinese"
            )
            await _screenshot(browser, tmp_path, "portal-zh-Hans.png")
            await press(browser, "lang")

            # A new link: the old one is HA's 404, and the open page ends.
            new_path = await make_link(landlord, e2e.entry_id, room_id)
            unknown = await fetch("GET", "/prepaid_power/no-such-page")
            assert await fetch("GET", path) == unknown
            assert await fetch("GET", path + "/data") == unknown
            await browser.evaluate(f"{PORTAL}.refresh()")
            await browser.wait_for(
                f"{PORTAL}.shadowRoot.textContent.includes('no longer works')", 10, "link ended"
            )
            status, _page = await fetch("GET", new_path)
            assert status == 200
            status, _data = await fetch("GET", new_path + "/data")
            assert status == 200
        finally:
            await browser.stop()

    forbidden = [
        NEIGHBOUR.name,
        NEIGHBOUR_TENANT,
        NEIGHBOUR_BALANCE,
        neighbour_id,
        neighbour_device,
        room_id,
        device,
        e2e.entry_id,
        *ids.values(),
    ]
    for body in bodies:
        for text in forbidden:
            assert text not in body, (text, body[:200])


async def _device(ws: Any, subentry_id: str) -> str | None:
    try:
        return await scenario.room_device_id(ws, subentry_id)
    except (KeyError, StopIteration, AssertionError):
        return None


async def _balance_below(data: Any, value: str) -> bool:
    current = (await data())["live_balance"]
    return current is not None and float(current) < float(value)


async def _state_is(data: Any, state: str) -> bool:
    return bool((await data())["supply"]["state"] == state)


async def _screenshot(browser: Browser, tmp_path: Path, name: str) -> None:
    shot = await browser.screenshot(tmp_path / name)
    assert shot.stat().st_size > 10_000
    if os.environ.get("PP_SCREENSHOTS"):
        SCREENSHOTS.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOTS / name)
