"""Console benchmark: the rooms table of bench/scale.py's building (16 gateways x 40 rooms) in
headless Chromium: first paint, and the cost of live updates.

A script that prints figures, not a test. Run from the repository root:

    .venv/ha-2025.4/bin/python bench/console.py [--gateways 16] [--rooms 40] [--updates 30]

How it works
- The committed bundle (custom_components/prepaid_power/frontend/panel.js, exactly as HA serves
  it) is loaded into a blank page served on 127.0.0.1. Instead of Home Assistant the page hands
  the panel a `hass` whose websocket answers the rooms subscription with rows of the shape
  `prepaid_power/rooms/subscribe` sends (`websocket_api.RoomRow`): no HA, no network, so the
  figures are the browser's cost of the console alone (HA's own frontend around it is not
  measured).
- First paint: from handing the panel its `hass` until the first frame after the table of
  every room is in the DOM (two animation frames after Lit's update).
- Updates: a poll of every gateway changes every room's balance and reading time, so each
  update pushes all rooms (the worst case; a real poll pushes only the rows that changed);
  and single-room updates (an operation). Each is timed from the push to the next frame.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import statistics
import sys
import tempfile
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from _demo.browser import Browser, ensure_chromium  # noqa: E402

BUNDLE = ROOT / "custom_components" / "prepaid_power" / "frontend" / "panel.js"
STATES = ("on", "low", "cut_off", "warning_cut", "protected", "forced_off")
PAGE = """<!doctype html><html><head><meta charset="utf-8"></head><body>
<script type="module">
import "/panel.js";
window.__bench = {
  rooms: __ROOMS__,
  frame() { return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))); },
  async firstPaint() {
    const el = document.createElement("prepaid-power-panel");
    let push = null;
    const subscribed = new Promise((resolve) => {
      this.hass = {
        language: "en",
        user: { is_admin: true, name: "Landlord" },
        connection: {
          subscribeMessage: async (callback) => { push = callback; resolve(); return async () => {}; },
          sendMessagePromise: async () => ({}),
        },
        callWS: async () => ({ resources: {} }),
      };
    });
    const start = performance.now();
    el.hass = this.hass;
    document.body.appendChild(el);
    await subscribed;
    push({ now: new Date().toISOString(), rooms: this.rooms });
    await el.updateComplete;
    await this.frame();
    this.el = el;
    this.push = push;
    const shown = [...el.shadowRoot.querySelectorAll("tr.room")].length;
    return { ms: performance.now() - start, shown };
  },
  async update(rows) {
    const start = performance.now();
    this.push({ now: new Date().toISOString(), rooms: rows });
    await this.el.updateComplete;
    await this.frame();
    return performance.now() - start;
  },
  async updates(count, every) {
    const times = [];
    for (let n = 1; n <= count; n++) {
      const at = new Date().toISOString();
      const rows = every
        ? this.rooms.map((r) => ({ ...r, balance: (Number(r.balance) - n / 100).toFixed(2), reading_at: at }))
        : [{ ...this.rooms[n % this.rooms.length], balance: String(100 + n) + ".00", reading_at: at }];
      times.push(await this.update(rows));
    }
    return times;
  },
};
</script></body></html>"""


def rooms(gateways: int, per_gateway: int) -> list[dict[str, Any]]:
    """Rows as `prepaid_power/rooms/subscribe` sends them, for the scale building."""
    rows = []
    for g in range(gateways):
        for r in range(per_gateway):
            n = g * per_gateway + r
            rows.append(
                {
                    "room_id": f"room-{n}",
                    "device_id": f"device-{n}",
                    "entry_id": f"gateway-{g}",
                    "gateway": f"Gateway {g + 1}",
                    "name": f"Room {g + 1}-{r + 1:02d}",
                    "area": f"Wing {r % 4 + 1}",
                    "floor": f"Floor {g + 1}",
                    "tenant": None if n % 9 == 0 else f"Tenant {n}",
                    "tenancy_id": None if n % 9 == 0 else n,
                    "currency": "CNY",
                    "balance": None if n % 9 == 0 else f"{(n * 37) % 500 - 20}.50",
                    "current_price": "0.6000",
                    "energy_this_cycle_kwh": f"{n % 200}.000",
                    "days_of_credit_left": f"{n % 30}.0",
                    "supply_state": STATES[n % len(STATES)],
                    "supply_reason": "balance_ok",
                    "supply_detail": None,
                    "supply_on": n % 3 != 0,
                    "reading_at": "2026-12-01T00:00:00+00:00",
                    "reading": f"{n * 3}.000",
                    "alerts": ["debt"] if n % 11 == 0 else [],
                }
            )
    return rows


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms"


async def main(args: argparse.Namespace) -> None:
    chromium = ensure_chromium()
    page = PAGE.replace("__ROOMS__", json.dumps(rooms(args.gateways, args.rooms)))
    app = web.Application()
    app.router.add_get("/", lambda _request: web.Response(text=page, content_type="text/html"))
    app.router.add_get("/panel.js", lambda _request: web.FileResponse(BUNDLE))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as session:
            with tempfile.TemporaryDirectory() as logs:
                async with Browser(session, chromium, Path(logs)) as browser:
                    await browser.navigate(f"http://127.0.0.1:{port}/")
                    await browser.wait_for(
                        "!!window.__bench && !!customElements.get('prepaid-power-panel')",
                        30,
                        "page",
                    )
                    first = await browser.evaluate("__bench.firstPaint()")
                    every = await browser.evaluate(f"__bench.updates({args.updates}, true)")
                    single = await browser.evaluate(f"__bench.updates({args.updates}, false)")
    finally:
        await runner.cleanup()
    total = args.gateways * args.rooms
    print(
        f"Console rooms table, {total} rooms ({args.gateways} gateways x {args.rooms}), headless Chromium"
    )
    print(
        f"  first paint:                {first['ms']:.0f} ms ({first['shown']} rows in the table)"
    )
    print(f"  update of all {total} rooms: {summary(every)} ({args.updates} updates)")
    print(f"  update of one room:         {summary(single)} ({args.updates} updates)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--gateways", type=int, default=16)
    parser.add_argument("--rooms", type=int, default=40)
    parser.add_argument("--updates", type=int, default=30)
    asyncio.run(main(parser.parse_args()))
