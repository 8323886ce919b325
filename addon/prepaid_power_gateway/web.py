"""Status page (HA ingress), JSON statistics and the simulator control API (aiohttp + jinja2)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.typedefs import Middleware
import jinja2
import voluptuous as vol

from .peers import PeerFilter

if TYPE_CHECKING:
    from .gateway import Gateway

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=jinja2.select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

GATEWAY_KEY = web.AppKey("gateway", object)
_RATE = vol.All(vol.Coerce(float), vol.Range(min=0.0, max=1.0))

METER_CHANGES = vol.Schema(
    {
        vol.Optional("offline"): bool,
        vol.Optional("timeout_rate"): _RATE,
        vol.Optional("crc_rate"): _RATE,
        vol.Optional("relay_ignores_commands"): bool,
        vol.Optional("reset_counter"): bool,
        vol.Optional("relay"): bool,
        vol.Optional("load_w"): vol.Any(None, vol.All(vol.Coerce(float), vol.Range(min=0))),
    }
)
BOARD_CHANGES = vol.Schema(
    {
        vol.Optional("offline"): bool,
        vol.Optional("timeout_rate"): _RATE,
        vol.Optional("crc_rate"): _RATE,
        vol.Optional("channels"): {vol.Coerce(int): bool},
    }
)
CLOCK_CHANGES = vol.Schema({vol.Required("advance"): vol.All(vol.Coerce(float), vol.Range(min=0))})


def _gateway(request: web.Request) -> Gateway:
    gateway: Gateway = request.app[GATEWAY_KEY]  # type: ignore[assignment]
    return gateway


def _base_path(request: web.Request) -> str:
    """Prefix for links: the ingress path when proxied by HA, else relative links."""
    ingress = request.headers.get("X-Ingress-Path", "").rstrip("/")
    if ingress.startswith("/") and all(c.isalnum() or c in "/_-" for c in ingress):
        return f"{ingress}/"
    return ""


async def status_page(request: web.Request) -> web.Response:
    """The HTML status page; links are relative so it works under the ingress path."""
    gateway = _gateway(request)
    simulator = gateway.simulator
    html = TEMPLATES.get_template("status.html").render(
        gateway=gateway.summary(),
        stats=gateway.stats.as_dict(),
        simulator=simulator.snapshot() if simulator is not None else None,
        labels={
            str(slave): f"{meter.room} · {meter.model.name}"
            for slave, meter in (simulator.meters.items() if simulator is not None else ())
        },
        base=_base_path(request),
    )
    return web.Response(text=html, content_type="text/html")


async def api_stats(request: web.Request) -> web.Response:
    """Bus statistics as JSON."""
    gateway = _gateway(request)
    return web.json_response({"gateway": gateway.summary(), **gateway.stats.as_dict()})


def _simulator_or_404(request: web.Request) -> Any:
    simulator = _gateway(request).simulator
    if simulator is None:
        raise web.HTTPNotFound(text='{"error": "not simulating"}', content_type="application/json")
    return simulator


async def _json_body(request: web.Request, schema: vol.Schema) -> dict[str, Any]:
    try:
        body = await request.json()
        result: dict[str, Any] = schema(body)
    except ValueError as err:
        raise web.HTTPBadRequest(
            text=f'{{"error": "invalid JSON: {err}"}}', content_type="application/json"
        ) from None
    except vol.Invalid as err:
        message = str(err).replace('"', "'")
        raise web.HTTPBadRequest(
            text=f'{{"error": "{message}"}}', content_type="application/json"
        ) from None
    return result


def _slave(request: web.Request) -> int:
    try:
        return int(request.match_info["slave"])
    except ValueError:
        raise web.HTTPNotFound from None


async def api_simulator(request: web.Request) -> web.Response:
    """Every simulated device."""
    return web.json_response(_simulator_or_404(request).snapshot())


async def api_simulator_meter(request: web.Request) -> web.Response:
    """Change a simulated meter: faults, load, relay, counter reset."""
    simulator = _simulator_or_404(request)
    meter = simulator.meters.get(_slave(request))
    if meter is None:
        raise web.HTTPNotFound(text='{"error": "no such meter"}', content_type="application/json")
    changes = await _json_body(request, METER_CHANGES)
    faults = {
        k: changes.pop(k)
        for k in list(changes)
        if k in ("offline", "timeout_rate", "crc_rate", "relay_ignores_commands")
    }
    if "relay" in changes and not meter.model.has_relay:
        raise web.HTTPBadRequest(
            text='{"error": "this model has no relay"}', content_type="application/json"
        )
    if faults:
        meter.set_faults(**faults)
    if "load_w" in changes:
        meter.set_load(changes["load_w"])
    if "relay" in changes:
        meter.set_relay(changes["relay"])
    if changes.get("reset_counter"):
        meter.reset_counter()
    return web.json_response(meter.snapshot())


async def api_simulator_board(request: web.Request) -> web.Response:
    """Change a simulated relay board: faults, channel states."""
    simulator = _simulator_or_404(request)
    board = simulator.boards.get(_slave(request))
    if board is None:
        raise web.HTTPNotFound(
            text='{"error": "no such relay board"}', content_type="application/json"
        )
    changes = await _json_body(request, BOARD_CHANGES)
    for channel, on in changes.pop("channels", {}).items():
        if not 0 <= channel < len(board.channels):
            raise web.HTTPBadRequest(
                text='{"error": "no such channel"}', content_type="application/json"
            )
        board.set_channel(channel, on)
    if changes:
        board.set_faults(**changes)
    return web.json_response(board.snapshot())


async def api_simulator_clock(request: web.Request) -> web.Response:
    """Advance simulated time."""
    simulator = _simulator_or_404(request)
    changes = await _json_body(request, CLOCK_CHANGES)
    simulator.clock.advance(changes["advance"])
    return web.json_response({"time": simulator.clock.now(), "elapsed": simulator.clock.elapsed()})


def _peer_filter(allowed: Collection[str]) -> Middleware:
    peers = PeerFilter(allowed)

    @web.middleware
    async def only_allowed_peers(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if not peers.allows(request.remote):
            raise web.HTTPForbidden
        return await handler(request)

    return only_allowed_peers


def create_app(gateway: Gateway, allowed_peers: Collection[str] | None = None) -> web.Application:
    """The web application; `allowed_peers` (IPs/networks) restricts who may connect."""
    middlewares: list[Middleware] = [_peer_filter(allowed_peers)] if allowed_peers else []
    app = web.Application(middlewares=middlewares)
    app[GATEWAY_KEY] = gateway
    app.router.add_get("/", status_page)
    app.router.add_get("/api/stats", api_stats)
    app.router.add_get("/api/simulator", api_simulator)
    app.router.add_post("/api/simulator/meters/{slave}", api_simulator_meter)
    app.router.add_post("/api/simulator/boards/{slave}", api_simulator_board)
    app.router.add_post("/api/simulator/clock", api_simulator_clock)
    return app
