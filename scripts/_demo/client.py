"""Home Assistant's REST and websocket APIs and the simulator's control API, over aiohttp.

Used exactly as the frontend or a companion app uses them: onboarding, the login flow, the
config-entry flow API, websocket commands and event subscriptions, action calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass
import itertools
import time
from typing import Any

import aiohttp

from .stack import Stack


class HassApiError(RuntimeError):
    """An API call answered with an error."""


@dataclass(frozen=True)
class Tokens:
    """OAuth tokens of one user and client."""

    access_token: str
    refresh_token: str
    expires_in: int
    client_id: str


def client_id(base_url: str) -> str:
    """The client id HA's own frontend uses for this origin."""
    return f"{base_url}/"


async def wait_http(
    session: aiohttp.ClientSession, url: str, within: float, check: Callable[[], None]
) -> None:
    """Wait until `url` answers 200; `check` raises when the server process died."""
    deadline = time.monotonic() + within
    last = ""
    while time.monotonic() < deadline:
        check()
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response:
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError) as err:
            last = repr(err)
        await asyncio.sleep(0.25)
    raise TimeoutError(f"{url} did not answer within {within:.0f} s (last: {last})")


class HassClient:
    """One HA instance over REST; `websocket()` opens an authenticated websocket."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        """Talk to `base_url` (e.g. http://127.0.0.1:8123)."""
        self.session = session
        self.base_url = base_url
        self.client_id = client_id(base_url)
        self.token: str | None = None

    def _headers(self) -> dict[str, str]:
        return {} if self.token is None else {"Authorization": f"Bearer {self.token}"}

    async def request(
        self, method: str, path: str, json: Any = None, *, auth: bool = True, ok: int = 200
    ) -> Any:
        """A REST call; returns the decoded JSON answer (raises on an unexpected status)."""
        async with self.session.request(
            method,
            self.base_url + path,
            json=json,
            headers=self._headers() if auth else {},
            timeout=aiohttp.ClientTimeout(total=60),
        ) as response:
            text = await response.text()
            if response.status != ok:
                raise HassApiError(f"{method} {path}: HTTP {response.status}: {text[:500]}")
            if not text:
                return None
            return await response.json(content_type=None)

    # --- onboarding and login ---------------------------------------------------------------

    async def onboarding_steps(self) -> dict[str, bool]:
        """Which onboarding steps are done."""
        steps = await self.request("GET", "/api/onboarding", auth=False)
        return {step["step"]: step["done"] for step in steps}

    async def _token(self, form: dict[str, str]) -> Tokens:
        async with self.session.post(
            self.base_url + "/auth/token", data=form, timeout=aiohttp.ClientTimeout(total=30)
        ) as response:
            data = await response.json(content_type=None)
            if response.status != 200:
                raise HassApiError(f"/auth/token: HTTP {response.status}: {data}")
        return Tokens(
            data["access_token"],
            data.get("refresh_token", form.get("refresh_token", "")),
            int(data["expires_in"]),
            self.client_id,
        )

    async def onboard(self, name: str, username: str, password: str) -> Tokens:
        """Create the owner, finish every onboarding step; the client is then logged in."""
        done = await self.onboarding_steps()
        user = await self.request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": self.client_id,
                "name": name,
                "username": username,
                "password": password,
                "language": "en",
            },
            auth=False,
        )
        tokens = await self._token(
            {
                "grant_type": "authorization_code",
                "code": user["auth_code"],
                "client_id": self.client_id,
            }
        )
        self.token = tokens.access_token
        if not done.get("core_config"):
            await self.request("POST", "/api/onboarding/core_config", {})
        if not done.get("analytics"):
            await self.request("POST", "/api/onboarding/analytics", {})
        if not done.get("integration"):
            await self.request(
                "POST",
                "/api/onboarding/integration",
                {"client_id": self.client_id, "redirect_uri": f"{self.base_url}/?auth_callback=1"},
            )
        return tokens

    async def login(self, username: str, password: str) -> Tokens:
        """The login flow the login page runs; the client is then logged in as that user."""
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.base_url}/?auth_callback=1",
            },
            auth=False,
        )
        result = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": self.client_id, "username": username, "password": password},
            auth=False,
        )
        if result.get("type") != "create_entry":
            raise HassApiError(f"login of {username} failed: {result}")
        tokens = await self._token(
            {
                "grant_type": "authorization_code",
                "code": result["result"],
                "client_id": self.client_id,
            }
        )
        self.token = tokens.access_token
        return tokens

    # --- REST helpers ---------------------------------------------------------------------

    async def states(self) -> dict[str, dict[str, Any]]:
        """Every state, by entity id."""
        return {state["entity_id"]: state for state in await self.request("GET", "/api/states")}

    async def state(self, entity_id: str) -> dict[str, Any]:
        """One state."""
        result: dict[str, Any] = await self.request("GET", f"/api/states/{entity_id}")
        return result

    async def call_service(
        self, domain: str, service: str, data: dict[str, Any], *, response: bool = False
    ) -> Any:
        """An action call over REST (`response`: ask for response data)."""
        suffix = "?return_response" if response else ""
        return await self.request("POST", f"/api/services/{domain}/{service}{suffix}", data)

    async def flow(
        self,
        kind: str,
        handler: Any,
        steps: list[dict[str, Any]],
        within: float = 60,
        trace: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Run a data-entry flow through the REST flow API with the given step inputs.

        `kind`: "config/config_entries/flow", "config/config_entries/options/flow" or
        "config/config_entries/subentries/flow". A menu step takes `{"next_step_id": ...}`;
        progress steps are polled until done. Returns the final result (create_entry/abort),
        or raises when a form comes back with errors or more steps than inputs are needed.
        Every answer is appended to `trace` when given.
        """
        body: dict[str, Any] = {"handler": handler, "show_advanced_options": False}
        result: dict[str, Any] = await self.request("POST", f"/api/{kind}", body)
        pending = list(steps)
        deadline = time.monotonic() + within
        while True:
            if trace is not None:
                trace.append(result)
            kind_of = result.get("type")
            if kind_of in ("create_entry", "abort"):
                return result
            if result.get("errors"):
                raise HassApiError(f"flow step {result.get('step_id')}: {result['errors']}")
            flow_id = result["flow_id"]
            if kind_of in ("progress", "external_step"):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"flow step {result.get('step_id')} still in progress")
                await asyncio.sleep(0.5)
                result = await self.request("GET", f"/api/{kind}/{flow_id}")
                continue
            if kind_of == "progress_done":
                result = await self.request("POST", f"/api/{kind}/{flow_id}", {})
                continue
            if not pending:
                raise HassApiError(f"flow wants more input at step {result.get('step_id')}")
            result = await self.request("POST", f"/api/{kind}/{flow_id}", pending.pop(0))

    async def websocket(self) -> HassWebSocket:
        """An authenticated websocket (close it, or use `async with`)."""
        assert self.token is not None, "log in first"
        ws = await self.session.ws_connect(
            self.base_url.replace("http", "ws", 1) + "/api/websocket", max_msg_size=0
        )
        socket = HassWebSocket(ws)
        await socket.authenticate(self.token)
        return socket


class HassWebSocket:
    """HA's websocket API: commands with ids, results, event subscriptions."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap a connected websocket."""
        self.ws = ws
        self._ids = itertools.count(1)
        self._results: dict[int, asyncio.Future[Any]] = {}
        self._events: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.ha_version = ""

    async def __aenter__(self) -> HassWebSocket:
        """Use as `async with await client.websocket() as ws`."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close."""
        await self.close()

    async def authenticate(self, token: str) -> None:
        """The auth handshake; then start reading."""
        hello = await self.ws.receive_json(timeout=30)
        if hello.get("type") != "auth_required":
            raise HassApiError(f"unexpected websocket greeting {hello}")
        self.ha_version = hello.get("ha_version", "")
        await self.ws.send_json({"type": "auth", "access_token": token})
        answer = await self.ws.receive_json(timeout=30)
        if answer.get("type") != "auth_ok":
            raise HassApiError(f"websocket auth failed: {answer}")
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                data = message.json()
                for item in data if isinstance(data, list) else [data]:
                    self._dispatch(item)
        finally:
            for future in self._results.values():
                if not future.done():
                    future.set_exception(HassApiError("websocket closed"))

    def _dispatch(self, item: dict[str, Any]) -> None:
        ident = item.get("id")
        if item.get("type") == "event" and ident in self._events:
            self._events[ident].put_nowait(item["event"])
            return
        future = self._results.pop(ident, None) if isinstance(ident, int) else None
        if future is None or future.done():
            return
        if item.get("success", True):
            future.set_result(item.get("result"))
        else:
            future.set_exception(HassApiError(f"{item.get('error')}"))

    async def command(self, type_: str, within: float = 60, **data: Any) -> Any:
        """Send a command, return its result (raises `HassApiError` on failure)."""
        ident = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._results[ident] = future
        await self.ws.send_json({"id": ident, "type": type_, **data})
        return await asyncio.wait_for(future, within)

    @contextlib.asynccontextmanager
    async def subscribe(
        self, type_: str = "subscribe_events", **data: Any
    ) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """Subscribe (events, triggers, flows ...): yields a queue of the events."""
        ident = next(self._ids)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._events[ident] = queue
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._results[ident] = future
        await self.ws.send_json({"id": ident, "type": type_, **data})
        await asyncio.wait_for(future, 30)
        try:
            yield queue
        finally:
            self._events.pop(ident, None)
            if not self.ws.closed:
                with contextlib.suppress(HassApiError, TimeoutError, ConnectionError):
                    await self.command("unsubscribe_events", subscription=ident, within=10)

    async def call_service(
        self,
        domain: str,
        service: str,
        data: dict[str, Any] | None = None,
        *,
        response: bool = False,
    ) -> Any:
        """An action call; `response`: return its response data."""
        extra: dict[str, Any] = {"return_response": True} if response else {}
        result = await self.command(
            "call_service", domain=domain, service=service, service_data=data or {}, **extra
        )
        return result.get("response") if response and result else result

    async def close(self) -> None:
        """Close the socket and stop reading."""
        await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


class SimulatorClient:
    """The gateway's status port: `/api/simulator` and its controls."""

    def __init__(self, session: aiohttp.ClientSession, stack: Stack) -> None:
        """Talk to the stack's gateway."""
        self.session = session
        self.base_url = stack.status_url

    async def _json(self, method: str, path: str, body: Any = None) -> Any:
        async with self.session.request(
            method, self.base_url + path, json=body, timeout=aiohttp.ClientTimeout(total=30)
        ) as response:
            data = await response.json(content_type=None)
            if response.status != 200:
                raise HassApiError(f"simulator {method} {path}: HTTP {response.status}: {data}")
            return data

    async def snapshot(self) -> dict[str, Any]:
        """The whole simulated bus."""
        result: dict[str, Any] = await self._json("GET", "/api/simulator")
        return result

    async def meters(self) -> dict[int, dict[str, Any]]:
        """Every simulated meter by slave id."""
        snap = await self.snapshot()
        return {
            device["slave"]: device
            for device in snap.get("meters", snap.get("devices", []))
            if device.get("kind") == "meter"
        }

    async def meter(self, slave: int, **changes: Any) -> dict[str, Any]:
        """Change a meter (load_w, relay, offline ...), return its state."""
        result: dict[str, Any] = await self._json("POST", f"/api/simulator/meters/{slave}", changes)
        return result

    async def board(self, slave: int, **changes: Any) -> dict[str, Any]:
        """Change a relay board."""
        result: dict[str, Any] = await self._json("POST", f"/api/simulator/boards/{slave}", changes)
        return result

    async def advance(self, seconds: float) -> dict[str, Any]:
        """Jump simulated time forward."""
        result: dict[str, Any] = await self._json(
            "POST", "/api/simulator/clock", {"advance": seconds}
        )
        return result
