"""The tenant's view in a real browser: headless Chromium logs in and reads the dashboard.

Needs Debian's `chromium` (installed by `ensure_chromium` when missing and running as root)
and HA's frontend package; without either the test fails and says what to install.
`PP_SCREENSHOTS=1` also saves the screenshots under tests/e2e/screenshots/ for the README.
"""

from __future__ import annotations

import os
from pathlib import Path
import re
import shutil

import aiohttp
import pytest

from scripts._demo import scenario
from scripts._demo.browser import Browser, BrowserError, ensure_chromium
from scripts._demo.client import HassClient, HassWebSocket
from scripts._demo.stack import frontend_requirement

from .conftest import E2E, TENANT

SCREENSHOTS = Path(__file__).parent / "screenshots"
# Every icon on the page has its SVG path (icons load asynchronously after the values).
ICONS_DRAWN = """(() => {
  const icons = __pp.all(document, (n) => n.tagName === 'HA-SVG-ICON');
  return icons.length > 0 && icons.every((i) => {
    const path = i.shadowRoot && i.shadowRoot.querySelector('path');
    return !!(path && path.getAttribute('d'));
  });
})()"""
TOP_UP = "42.50"
ROOM = scenario.RoomPlan("Room 4", 4, "0.3500", tenant="Alice", top_up=TOP_UP)


def amount(text: str) -> float:
    """The last number in a displayed value such as 'Balance 42.50 €' or 'Balance €42.50'."""
    numbers = re.findall(r"-?\d+(?:[.,]\d+)?", text.replace("\u2212", "-"))
    assert numbers, f"no number in {text!r}"
    return float(numbers[-1].replace(",", "."))


@pytest.mark.timeout(240)
async def test_tenant_sees_the_balance(
    e2e: E2E, landlord: HassClient, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Tenant login in Chromium, tenant dashboard, the balance shown equals the entity state."""
    if not e2e.stack.config.frontend:
        pytest.fail(
            "Home Assistant's frontend is not installed in this environment: add "
            f"{frontend_requirement(e2e.stack.config.python)} to scripts/requirements/"
        )
    try:
        chromium = ensure_chromium(within=180)
    except BrowserError as err:
        pytest.fail(f"the browser test needs Chromium: {err}")

    async with await landlord.websocket() as ws:
        rooms = await scenario.ensure_rooms(landlord, ws, e2e.entry_id, (ROOM,))
        subentry = rooms[ROOM.name]
        ids = await scenario.wait_for(lambda: _room_entities(ws, subentry), 30, "room entities")
        device = await scenario.room_device_id(ws, subentry)
        await ws.call_service(
            "prepaid_power",
            "move_in",
            {"device_id": device, "tenant": ROOM.tenant, "first_top_up": TOP_UP},
        )
        tenant_path = await scenario.create_dashboards(
            ws, e2e.entry_id, {ROOM.name: subentry}, e2e.stack.ha_url
        )
    balance_entity = ids["balance"]
    await scenario.wait_for(
        lambda: _state_is(landlord, balance_entity, TOP_UP), 30, "balance after move-in"
    )

    async with Browser(session, chromium, tmp_path) as browser:
        await browser.login(e2e.stack.ha_url, TENANT.username, TENANT.password)
        await browser.navigate(e2e.stack.ha_url + tenant_path)
        shown = await browser.wait_for(
            f"__pp.entityText({balance_entity!r})", 60, "the balance on the tenant dashboard"
        )
        state = (await landlord.state(balance_entity))["state"]
        assert amount(shown) == pytest.approx(float(state), abs=0.001), (shown, state)
        assert float(state) == pytest.approx(float(TOP_UP))
        await browser.wait_for(ICONS_DRAWN, 20, "the dashboard's icons")
        shot = await browser.screenshot(tmp_path / "tenant-dashboard.png")
        assert shot.stat().st_size > 10_000  # a rendered page, not a blank one
        if os.environ.get("PP_SCREENSHOTS"):
            SCREENSHOTS.mkdir(exist_ok=True)
            shutil.copyfile(shot, SCREENSHOTS / "tenant-dashboard.png")


async def _room_entities(ws: HassWebSocket, subentry: str) -> dict[str, str] | None:
    ids = await scenario.entity_ids(ws)
    key = f"{subentry}-balance"
    return {"balance": ids[key]} if key in ids else None


async def _state_is(client: HassClient, entity_id: str, value: str) -> bool:
    state = (await client.state(entity_id))["state"]
    try:
        return float(state) == float(value)
    except ValueError:
        return False
