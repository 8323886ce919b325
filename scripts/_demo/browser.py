"""Headless Chromium (Debian's `chromium` package) driven over the DevTools protocol.

`ensure_chromium()` installs the package with apt-get when it is missing (as root), or
raises with what to do. `Browser` starts Chromium with a fresh profile on a free DevTools
port, in its own process group, and gives one page: navigate, type, evaluate JavaScript
(with helpers that see through the shadow roots HA's frontend is built of), screenshots.

`python -m _demo.browser --install` (PYTHONPATH=scripts) installs Chromium when missing.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
from pathlib import Path
import shutil
import sys
import tempfile
import time
from typing import Any

import aiohttp

from .apt import apt_install
from .stack import Child, spawn

CHROMIUM_NAMES = ("chromium", "chromium-browser")
CJK_FONT_PACKAGE = "fonts-wqy-microhei"
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--no-default-browser-check",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


class BrowserError(RuntimeError):
    """Chromium is missing or misbehaved."""


def find_chromium() -> str | None:
    """Path of the chromium binary, if installed."""
    for name in CHROMIUM_NAMES:
        if path := shutil.which(name):
            return path
    return None


def ensure_cjk_font(within: float = 600) -> None:
    """A font with Chinese characters (Debian's `fonts-wqy-microhei`), so zh-Hans pages and
    their screenshots render text, not boxes; a warning when it cannot be installed here."""
    if CJK_FONT.exists():
        return
    try:
        apt_install(CJK_FONT_PACKAGE, "A CJK font", BrowserError, within)
    except BrowserError as err:
        print(f"warning: {err}", file=sys.stderr)


def ensure_chromium(within: float = 600) -> str:
    """Chromium's path; installs Debian's `chromium` (and a CJK font) when missing and we
    are root."""
    if path := find_chromium():
        ensure_cjk_font(within)
        return path
    apt_install("chromium", "Chromium", BrowserError, within)
    ensure_cjk_font(within)
    if path := find_chromium():
        return path
    raise BrowserError("apt-get installed chromium but no chromium binary is on PATH")


# JavaScript helpers: HA's frontend is web components all the way down.
DEEP_JS = """
window.__pp = {
  all(root, match, out) {
    out = out || [];
    const walk = (node) => {
      if (node.nodeType === 1 && match(node)) out.push(node);
      if (node.shadowRoot) walk(node.shadowRoot);
      for (const child of node.children || []) walk(child);
    };
    walk(root || document);
    return out;
  },
  text(node) {
    const parts = [];
    const walk = (n) => {
      if (n.nodeType === 3) { const t = n.textContent.trim(); if (t) parts.push(t); return; }
      if (n.nodeType !== 1 && n.nodeType !== 11) return;
      if (n.nodeType === 1 && ['STYLE', 'SCRIPT'].includes(n.tagName)) return;
      if (n.shadowRoot) walk(n.shadowRoot);
      for (const c of n.childNodes) walk(c);
    };
    walk(node);
    return parts.join(' ');
  },
  input(name) {
    return this.all(document, (n) => n.tagName === 'INPUT' &&
      (n.name === name || n.autocomplete === name || n.type === name))[0] || null;
  },
  entityText(entity) {
    // The text of the first row or card showing the entity (entities rows, tiles ...).
    const found = this.all(document, (n) => n.config && n.config.entity === entity &&
      /-(row|card)$/.test(n.tagName.toLowerCase()));
    return found.length ? this.text(found[0]) : null;
  },
};
true
"""


class Browser:
    """One headless Chromium with one page, over the DevTools protocol."""

    def __init__(self, session: aiohttp.ClientSession, binary: str, log_dir: Path) -> None:
        """Prepare; `start()` launches."""
        self.session = session
        self.binary = binary
        self.log_dir = log_dir
        self.child: Child | None = None
        self.profile: Path | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Browser:
        """Start Chromium."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop Chromium, delete its profile."""
        await self.stop()

    async def start(self, width: int = 1100, height: int = 760) -> None:
        """Launch with a fresh profile; connect to its page."""
        self.profile = Path(tempfile.mkdtemp(prefix="pp-chromium-"))
        self.child = spawn(
            "chromium",
            [
                self.binary,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            self.log_dir / "chromium.log",
        )
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            if not self.child.running():
                raise BrowserError(f"chromium exited:\n{self.child.tail()}")
            if time.monotonic() > deadline:
                raise BrowserError(f"chromium did not open its DevTools port:\n{self.child.tail()}")
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        base = f"http://127.0.0.1:{port}"
        async with self.session.get(f"{base}/json/list") as response:
            targets = await response.json(content_type=None)
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = await self.session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)
        self._reader = asyncio.create_task(self._read())
        await self.send("Page.enable")
        await self.send("Runtime.enable")
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for message in self.ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                data = json.loads(message.data)
                future = self._pending.pop(data.get("id", -1), None)
                if future is not None and not future.done():
                    if "error" in data:
                        future.set_exception(BrowserError(str(data["error"])))
                    else:
                        future.set_result(data.get("result", {}))
                elif "method" in data:
                    self._events.put_nowait(data)
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(BrowserError("DevTools connection closed"))

    async def send(self, method: str, **params: Any) -> Any:
        """One DevTools command."""
        assert self.ws is not None
        ident = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        await self.ws.send_json({"id": ident, "method": method, "params": params})
        return await asyncio.wait_for(future, 60)

    async def evaluate(self, expression: str) -> Any:
        """Evaluate JavaScript in the page (promises awaited); returns the value."""
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"JavaScript failed: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    async def deep(self, expression: str) -> Any:
        """Evaluate with the shadow-DOM helpers (`__pp`) installed."""
        await self.evaluate(DEEP_JS)
        return await self.evaluate(expression)

    async def navigate(self, url: str) -> None:
        """Open a URL (returns once the navigation is committed)."""
        await self.send("Page.navigate", url=url)

    async def wait_for(self, expression: str, within: float, what: str) -> Any:
        """Poll a (deep) JavaScript expression until it is truthy."""
        deadline = time.monotonic() + within
        value: Any = None
        while time.monotonic() < deadline:
            with contextlib.suppress(BrowserError):
                value = await self.deep(expression)
                if value:
                    return value
            await asyncio.sleep(0.25)
        raise BrowserError(f"{what}: not within {within:.0f} s (last {value!r})")

    async def type_into(self, input_name: str, text: str) -> None:
        """Focus a (deep) input by name/autocomplete/type and type text into it."""
        found = await self.deep(
            f"(() => {{ const i = __pp.input({json.dumps(input_name)}); "
            "if (!i) return false; i.focus(); return true; })()"
        )
        if not found:
            raise BrowserError(f"no input {input_name!r} on the page")
        await self.send("Input.insertText", text=text)

    async def press_enter(self) -> None:
        """Press and release Enter in the focused element."""
        for kind in ("keyDown", "keyUp"):
            await self.send(
                "Input.dispatchKeyEvent",
                type=kind,
                key="Enter",
                code="Enter",
                windowsVirtualKeyCode=13,
                nativeVirtualKeyCode=13,
                **({"text": "\r"} if kind == "keyDown" else {}),
            )

    async def screenshot(self, path: Path) -> Path:
        """A PNG of the viewport."""
        result = await self.send("Page.captureScreenshot", format="png")
        data = base64.b64decode(result["data"])
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(path.write_bytes, data)
        return path

    async def login(self, base_url: str, username: str, password: str, within: float = 60) -> None:
        """HA's own login page: type the user name and password, press Enter."""
        await self.navigate(base_url + "/")
        await self.wait_for(
            "location.pathname === '/auth/authorize' && !!__pp.input('username')",
            within,
            "login form",
        )
        await self.type_into("username", username)
        await self.type_into("password", password)
        await self.press_enter()
        await self.wait_for(
            "!location.pathname.startsWith('/auth/') && "
            "!location.search.includes('auth_callback') && "
            "__pp.all(document, (n) => n.tagName === 'HA-SIDEBAR').length > 0",
            within,
            "logged in (the sidebar shown)",
        )

    async def stop(self) -> None:
        """Close DevTools, stop Chromium's process group, delete the profile."""
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self.child is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.child.stop, 5.0)
        if self.profile is not None:
            shutil.rmtree(self.profile, ignore_errors=True)


if __name__ == "__main__":
    if "--install" in sys.argv:
        print(ensure_chromium())
    else:
        print(find_chromium() or "chromium is not installed")
