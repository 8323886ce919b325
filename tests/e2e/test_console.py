"""The landlord console in a real browser against the real `hass` and the simulator: the
landlord moves a tenant in, tops up through the dialog, sees the balance and the simulated
relay follow, undoes the top-up, sets a tariff priced from a sensor, then a time-of-use
tariff with the interval editor and moves the tenant out; a tenant has no console and every console command refuses them.

`PP_SCREENSHOTS=1` also saves the screenshots under tests/e2e/screenshots/ for the README.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
import shutil
import time
from typing import Any

import aiohttp
import pytest

from scripts._demo import scenario
from scripts._demo.browser import Browser, BrowserError, ensure_chromium
from scripts._demo.client import HassApiError, HassClient, HassWebSocket, SimulatorClient
from tests.test_websocket_api import commands

from .conftest import E2E, LANDLORD, TENANT

DOMAIN = "prepaid_power"
ROOM = scenario.RoomPlan("Console room", 1, "0.5000")  # DDS238-2 ZN/SR: the meter's relay
SCREENSHOTS = Path(__file__).parent / "screenshots"
PANEL = "/prepaid-power-console"
ROW = f'tr.room[data-room="{ROOM.name}"]'
# The console's element and everything in its shadow roots.
IN_PANEL = "__pp.all(document, (n) => n.tagName === 'PREPAID-POWER-PANEL')[0]"


def find(selector: str) -> str:
    """JavaScript: the first element matching `selector` anywhere in the console; `a >>> b`
    is the first `b` inside the first `a` (through its shadow root)."""
    steps = json.dumps([part.strip() for part in selector.split(">>>")])
    return (
        f"(() => {{ let n = {IN_PANEL}; for (const s of {steps}) {{ if (!n) return null; "
        "n = __pp.all(n, (m) => m !== n && m.matches && m.matches(s))[0] || null; } "
        "return n; })()"
    )


async def click(browser: Browser, selector: str, within: float = 20) -> None:
    await browser.wait_for(f"!!{find(selector)} && !{find(selector)}.disabled", within, selector)
    await browser.deep(f"{find(selector)}.click()")


async def fill(browser: Browser, selector: str, value: str, event: str = "input") -> None:
    """Set a field's value as typing would (the element's own event)."""
    await browser.wait_for(f"!!{find(selector)}", 20, selector)
    await browser.deep(
        f"(() => {{ const i = {find(selector)}; i.value = {json.dumps(value)}; "
        f"i.dispatchEvent(new Event({json.dumps(event)}, {{bubbles: true, composed: true}})); }})()"
    )


async def dialog_closed(browser: Browser) -> None:
    """An operation's dialog closes after its confirmation: the next button opens a new one."""
    await browser.wait_for(f"!{find('prepaid-power-dialog')}", 20, "the dialog closed")


async def text(browser: Browser, selector: str, within: float = 20) -> str:
    found: str = await browser.wait_for(
        f"(() => {{ const n = {find(selector)}; return n ? __pp.text(n) : null; }})()",
        within,
        selector,
    )
    return found


async def shows(browser: Browser, selector: str, words: str, within: float = 20) -> None:
    """Wait until the element shows `words` (failing with the console's error shown, if any)."""
    try:
        await browser.wait_for(
            f"(() => {{ const n = {find(selector)}; "
            f"return !!n && __pp.text(n).includes({json.dumps(words)}); }})()",
            within,
            f"{selector} showing {words!r}",
        )
    except BrowserError as err:
        shown = await browser.deep(
            f"(() => {{ const n = {find('.error')}; return n ? __pp.text(n) : null; }})()"
        )
        raise BrowserError(f"{err}; the console shows the error {shown!r}") from err


async def balance_matches(browser: Browser, pattern: str, what: str) -> None:
    """Wait until the room page's balance matches a regular expression."""
    await browser.wait_for(
        f"(() => {{ const b = {find('b.balance')}; "
        f"return !!b && new RegExp({json.dumps(pattern)}).test(__pp.text(b)); }})()",
        20,
        what,
    )


async def relay_on_text(browser: Browser) -> str:
    """How the console says "relay on" in the browser's language."""
    language: str = await browser.evaluate("document.querySelector('home-assistant').hass.language")
    return "继电器合闸" if language.startswith("zh") else "Relay on"


async def wait_relay(simulator: SimulatorClient, on: bool, within: float = 20) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if (await simulator.meters())[ROOM.slave]["relay"] is on:
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"the simulated relay did not turn {'on' if on else 'off'}")


async def console_room(landlord: HassClient, ws: HassWebSocket, e2e: E2E) -> str:
    """The console's room (made once): its device id."""
    rooms = await scenario.ensure_rooms(landlord, ws, e2e.entry_id, (ROOM,))
    return str(await scenario.room_device_id(ws, rooms[ROOM.name]))


async def shot(browser: Browser, tmp_path: Path, name: str) -> None:
    """A screenshot for the README."""
    path = await browser.screenshot(tmp_path / f"{name}.png")
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one
    SCREENSHOTS.mkdir(exist_ok=True)
    shutil.copyfile(path, SCREENSHOTS / f"{name}.png")


# The README's screenshots: each view in light and dark, in English and Simplified Chinese.
VARIANTS = [("en", False), ("en", True), ("zh-Hans", False), ("zh-Hans", True)]


async def open_room(browser: Browser, url: str, language: str = "en", dark: bool = False) -> None:
    """The console in a language and theme (HA's frontend settings in the browser), on the
    room's page."""
    theme = json.dumps({"theme": "default", "dark": dark})
    await browser.evaluate(
        f"localStorage.setItem('selectedLanguage', {json.dumps(json.dumps(language))});"
        f"localStorage.setItem('selectedTheme', {json.dumps(theme)}); true"
    )
    await browser.navigate(url)
    await browser.wait_for(f"!!{find(ROW)}", 60, "the rooms table")


async def screenshots(browser: Browser, url: str, tmp_path: Path) -> None:
    """Rooms table, room page and top-up dialog in every variant (PP_SCREENSHOTS=1)."""
    for language, dark in VARIANTS:
        suffix = f"{language.lower()}-{'dark' if dark else 'light'}"
        await open_room(browser, url, language, dark)
        await asyncio.sleep(1)  # the theme's stylesheet
        await shot(browser, tmp_path, f"console-rooms-{suffix}")
        await click(browser, ROW)
        await shows(browser, "b.tenant", "Grace")
        await shot(browser, tmp_path, f"console-room-{suffix}")
        await click(browser, "button.op.top_up")
        await fill(browser, 'input[name="amount"]', "20")
        await browser.wait_for(f"!!{find('b.new-balance')}", 20, "the top-up preview")
        await shot(browser, tmp_path, f"console-top-up-{suffix}")
        await click(browser, "button.cancel")
    await open_room(browser, url)
    await click(browser, ROW)


# Twelve screenshots more when PP_SCREENSHOTS is set.
@pytest.mark.timeout(600 if os.environ.get("PP_SCREENSHOTS") else 240)
async def test_landlord_runs_a_tenancy_from_the_console(
    e2e: E2E,
    landlord: HassClient,
    simulator: SimulatorClient,
    session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    """Move in, top up, relay on, undo, relay off, TOU tariff, move out with its statement."""
    if not e2e.stack.config.frontend:
        pytest.fail("Home Assistant's frontend is not installed in this environment")
    try:
        chromium = ensure_chromium(within=180)
    except BrowserError as err:
        pytest.fail(f"the console test needs Chromium: {err}")
    async with await landlord.websocket() as ws:
        device = await console_room(landlord, ws, e2e)
        await simulator.meter(ROOM.slave, load_w=300)
        try:
            await run_a_tenancy(e2e, ws, device, simulator, session, chromium, tmp_path)
        finally:
            # The other tests share meter 1: leave its supply on (the room vacant, kept on).
            await ws.command(f"{DOMAIN}/set_supply", device_id=device, state="on")
            await wait_relay(simulator, True)


async def run_a_tenancy(
    e2e: E2E,
    ws: HassWebSocket,
    device: str,
    simulator: SimulatorClient,
    session: aiohttp.ClientSession,
    chromium: str,
    tmp_path: Path,
) -> None:
    """The landlord's tenancy in the browser (see the test)."""
    async with Browser(session, chromium, tmp_path) as browser:
        await browser.login(e2e.stack.ha_url, LANDLORD.username, LANDLORD.password)
        url = e2e.stack.ha_url + PANEL
        await open_room(browser, url)
        await click(browser, ROW)

        # Move in: the opening reading is the meter's now.
        await click(browser, "button.op.move_in")
        await fill(browser, 'input[name="tenant"]', "Grace")
        assert await browser.deep(f"{find('input[name=opening_reading]')}.value")
        await click(browser, "button.confirm")
        await shows(browser, "b.tenant", "Grace")

        # The tenant link: made on the room page (address and QR code shown once), it opens
        # the room's portal; ended, it is HA's 404.
        await browser.evaluate("window.confirm = () => true; true")
        await click(browser, "button.make-link")
        link = await text(browser, "code.url")
        assert "/prepaid_power/t/" in link, link
        link = e2e.stack.ha_url + link[link.index("/prepaid_power/t/") :]
        async with session.get(link) as response:
            assert response.status == 200
        await shows(browser, "p.link-state", "20")  # "A tenant link exists since 20..-..-.."
        await click(browser, "button.end-link")
        await browser.wait_for(f"!{find('button.end-link')}", 20, "the link ended")
        async with session.get(link) as response:
            assert response.status == 404

        # Top up through the dialog: the preview's new balance, then the receipt.
        await click(browser, "button.op.top_up")
        await fill(browser, 'input[name="amount"]', "30")
        await fill(browser, 'input[name="reference"]', "CONSOLE-1")
        await fill(browser, 'input[name="note"]', "Paid by her brother")
        await shows(browser, "b.new-balance", "30.00")
        await click(browser, "button.confirm")
        await shows(browser, ".receipt", "30.00")
        await shows(browser, ".receipt .note", "Paid by her brother")
        await click(browser, "button.close")
        await balance_matches(browser, r"\b(29|30)\.", "the balance after the top-up")
        await wait_relay(simulator, True)
        await shows(browser, "small.relay", await relay_on_text(browser))
        if os.environ.get("PP_SCREENSHOTS"):
            await screenshots(browser, url, tmp_path)

        # Undo the top-up: the balance falls to zero and the relay opens.
        await click(browser, "button.op.reverse_top_up")
        await click(browser, 'input[type="radio"][name="entry_id"]')
        await click(browser, "button.confirm")
        await dialog_closed(browser)
        await balance_matches(browser, r"(^|\s)-?0\.\d\d", "the balance after the undo")
        await wait_relay(simulator, False)

        # A price from an entity: the sensor is offered, its price now shown within the guard.
        async with session.post(
            f"{e2e.stack.ha_url}/api/states/sensor.spot_price",
            json={"state": "0.71", "attributes": {"unit_of_measurement": "EUR/kWh"}},
            headers={"Authorization": f"Bearer {e2e.tokens.access_token}"},
        ) as response:
            assert response.status in {200, 201}, await response.text()
        await click(browser, "button.op.set_tariff")
        await fill(browser, 'select[name="kind"]', "entity", "change")
        await shows(browser, 'select[name="entity_id"]', "sensor.spot_price")
        await fill(browser, 'input[name="min_price"]', "0.2")
        await fill(browser, 'input[name="max_price"]', "0.6")
        await shows(browser, ".price-now", "0.6000")
        await shows(browser, ".price-now", "0.71")
        await click(browser, "button.confirm")
        await dialog_closed(browser)
        page = await ws.command(f"{DOMAIN}/room", device_id=device)
        assert page["tariff"] == {
            "kind": "entity",
            "entity_id": "sensor.spot_price",
            "min_price": "0.2000",
            "max_price": "0.6000",
        }

        # A time-of-use tariff with the interval editor: split the first stretch in two.
        await click(browser, "button.op.set_tariff")
        await fill(browser, 'select[name="kind"]', "tou", "change")
        await click(
            browser,
            "prepaid-power-tou-editor.weekday >>> .row[data-index='0'] >>> button.split",
        )
        await shows(browser, ".price-evening", "peak")
        await click(browser, "button.confirm")
        await dialog_closed(browser)
        page = await ws.command(f"{DOMAIN}/room", device_id=device)
        assert page["tariff"]["kind"] == "tou"
        assert len(page["tariff"]["weekday"]) == 5

        # Move out: the preview, then the statement.
        await click(browser, "button.op.move_out")
        await text(browser, "b.refund-owed")
        await click(browser, "button.confirm")
        await shows(browser, "pre.statement", "Grace")
        await click(browser, "button.close")
        await browser.wait_for(f"!{find('button.op.move_out')}", 20, "the room vacant")

        # Payments: this month's, with totals per method, and the CSV as the browser
        # downloads it (an authenticated request).
        await click(browser, "button.tab.payments")
        await shows(browser, "tr.method.cash", "30.00")
        csv_text = await browser.evaluate(
            "document.querySelector('home-assistant').hass.fetchWithAuth("
            f"'/api/{DOMAIN}/payments.csv?start=2000-01-01&end=2999-01-01')"
            ".then((r) => r.text())"
        )
        assert "CONSOLE-1" in csv_text

        # Reports: this cycle's income (the top-up was undone) and the rooms per state.
        await click(browser, "button.tab.report")
        await browser.wait_for(f"!!{find('b.income')}", 20, "the report")
        await browser.wait_for(f"!!{find('.states .state')}", 20, "rooms per supply state")

        # The month-end statements of all rooms as one printable page: Grace's is on it.
        await click(browser, "button.month-statements")
        await shows(
            browser, f'section.statement-page[data-room="{page["room"]["room_id"]}"]', "Grace"
        )
        assert await browser.deep(f"{find('button.print')}.disabled") is False
        # A past cycle's report: each room's cycle starting in the month picked.
        await click(browser, "button.back")
        months = await browser.deep(
            f"Array.from({find('select.month')}.options).map((o) => o.value)"
        )
        assert months[0] == "", months
        assert len(months) >= 2, months
        await fill(browser, "select.month", months[1], "change")
        await shows(browser, "table.report-rooms", months[1])

        # Create dashboards: the landlord overview and the tenants' views are written into
        # Home Assistant's dashboard storage, and open in the browser with the room on them.
        await click(browser, "button.tab.dashboards")
        await click(browser, "button.create")
        await shows(browser, ".saved", "prepaid-power-landlord", within=60)
        listed = await ws.command("lovelace/dashboards/list")
        paths = {dashboard["url_path"] for dashboard in listed}
        assert {"prepaid-power", "prepaid-power-landlord"} <= paths, paths

        # A kiosk link for the corridor tablet: the room ticked, the address shown once opens
        # the kiosk page; ended, it is HA's 404.
        await fill(browser, 'input[name="kiosk_name"]', "Corridor")
        await click(browser, f'input[name="kiosk_room"][value="{device}"]')
        await click(browser, "button.make-kiosk")
        kiosk = await text(browser, "a.kiosk-url")
        assert "/prepaid_power/k/" in kiosk, kiosk
        kiosk = e2e.stack.ha_url + kiosk[kiosk.index("/prepaid_power/k/") :]
        async with session.get(kiosk) as response:
            assert response.status == 200
        await shows(browser, "li.kiosk", "Corridor")
        await shows(browser, "li.kiosk", ROOM.name)
        await click(browser, "button.end-kiosk")
        await browser.wait_for(f"!{find('li.kiosk')}", 20, "the kiosk ended")
        async with session.get(kiosk) as response:
            assert response.status == 404

        await browser.navigate(e2e.stack.ha_url + "/prepaid-power-landlord")
        await browser.wait_for(
            f"__pp.text(document.body).includes({json.dumps(ROOM.name)})",
            60,
            "the created landlord dashboard showing the room",
        )


@pytest.mark.timeout(120)
async def test_a_tenant_has_no_console(
    e2e: E2E, landlord: HassClient, session: aiohttp.ClientSession
) -> None:
    """No panel in a tenant's sidebar; each console command and the payments CSV refused."""
    async with await landlord.websocket() as ws:
        device = await console_room(landlord, ws, e2e)
        panels = await ws.command("get_panels")
        assert "prepaid-power-console" in panels
    tenant = HassClient(session, e2e.stack.ha_url)
    await tenant.login(TENANT.username, TENANT.password)
    async with await tenant.websocket() as ws:
        assert "prepaid-power-console" not in await ws.command("get_panels")
        refused: dict[str, Any] = {}
        for command, data in commands(device, 1).items():
            try:
                await ws.command(f"{DOMAIN}/{command}", **data)
            except HassApiError as err:
                refused[command] = "unauthorized" in str(err)
            else:
                refused[command] = False
        assert refused
        assert all(refused.values()), refused
    async with session.get(
        f"{e2e.stack.ha_url}/api/{DOMAIN}/payments.csv?start=2000-01-01&end=2999-01-01",
        headers={"Authorization": f"Bearer {tenant.token}"},
    ) as response:
        assert response.status == 401
