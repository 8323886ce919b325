"""Gateway configuration: a standalone YAML file or the add-on's /data/options.json.

Standalone file (every key optional; a file with a top-level `meters` list is taken as a
building file, simulated with default options):

    simulate: false             # true: answer from the simulated building instead of a bus
    upstream:
      serial: {port: /dev/ttyUSB0, baudrate: 9600, parity: N, stopbits: 1, bytesize: 8}
      # or: tcp: {host: 192.168.1.50, port: 502, framing: tcp | rtu_over_tcp}
    building: sample            # shipped name, a path, or an inline mapping
    time_scale: 1.0
    wire_time: false
    baudrate: 9600              # wire-time emulation (defaults to the serial baud rate)
    listen_host: 0.0.0.0
    listen_port: 502
    request_timeout: 0.5
    min_gap_ms: 5
    id_switch_gap_ms: 20
    allowed_clients: []         # IPs/networks allowed on Modbus TCP besides Home Assistant
    status_port: 8099           # null: no web server
    log_level: info
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
import ipaddress
import json
import os
from pathlib import Path
from typing import Any, Literal

import voluptuous as vol

from .building import BuildingConfig, load_yaml, resolve_building
from .errors import ConfigError

BAUD_RATES = (1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200)
LOG_LEVELS = ("debug", "info", "warning", "error")
DEFAULT_STATUS_PORT = 8099
ADDON_CONFIG_DIR = Path("/config")  # the add-on's own config folder (map: app_config)


@dataclass(frozen=True, slots=True)
class SerialSettings:
    """An RS485 adapter (or any pyserial URL: socket://, rfc2217://, a pty)."""

    port: str
    baudrate: int = 9600
    parity: Literal["N", "E", "O"] = "N"
    stopbits: int = 1
    bytesize: int = 8


@dataclass(frozen=True, slots=True)
class TcpSettings:
    """An RS485-Ethernet gateway."""

    host: str
    port: int = 502
    framing: Literal["tcp", "rtu_over_tcp"] = "tcp"


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """Everything the gateway needs; build with `load_config` or `gateway_config`."""

    simulate: bool = False
    upstream: SerialSettings | TcpSettings | None = None
    building: BuildingConfig | None = None
    time_scale: float = 1.0
    wire_time: bool = False
    baudrate: int = 9600
    listen_host: str = "0.0.0.0"  # noqa: S104 - the add-on network is the point
    listen_port: int = 502
    request_timeout: float = 0.5
    min_gap_ms: float = 5.0
    id_switch_gap_ms: float = 20.0
    status_host: str = "0.0.0.0"  # noqa: S104
    status_port: int | None = DEFAULT_STATUS_PORT
    log_level: str = "info"
    max_pending_per_client: int = 32
    allowed_clients: tuple[str, ...] = ()
    # The add-on was started before a bus was chosen: it waits, saying what to choose.
    bus_missing: str | None = None


def _client_network(value: Any) -> str:
    try:
        return str(ipaddress.ip_network(str(value).strip(), strict=False))
    except ValueError:
        raise vol.Invalid(f"not an IP address or network: {value!r}") from None


def _baud(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in BAUD_RATES:
        raise vol.Invalid(
            f"bad baud rate {value!r} (allowed: {', '.join(str(b) for b in BAUD_RATES)})"
        )
    return value


_PORT = vol.All(int, vol.Range(min=0, max=65535), msg="must be a TCP port 0-65535")
_POSITIVE = vol.All(vol.Coerce(float), vol.Range(min=0))

_SERIAL = vol.Schema(
    {
        vol.Required("port"): vol.All(str, vol.Length(min=1)),
        vol.Optional("baudrate", default=9600): _baud,
        vol.Optional("parity", default="N"): vol.All(
            vol.Upper, vol.In(["N", "E", "O"], msg="must be N, E or O")
        ),
        vol.Optional("stopbits", default=1): vol.In([1, 2], msg="must be 1 or 2"),
        vol.Optional("bytesize", default=8): vol.In([7, 8], msg="must be 7 or 8"),
    }
)
_TCP = vol.Schema(
    {
        vol.Required("host"): vol.All(str, vol.Length(min=1)),
        vol.Optional("port", default=502): vol.All(int, vol.Range(min=1, max=65535)),
        vol.Optional("framing", default="tcp"): vol.In(
            ["tcp", "rtu_over_tcp"], msg="must be tcp or rtu_over_tcp"
        ),
    }
)

CONFIG_SCHEMA = vol.Schema(
    {
        vol.Optional("simulate", default=False): bool,
        vol.Optional("upstream"): vol.Any(
            None,
            vol.Schema(
                {
                    vol.Exclusive("serial", "upstream"): _SERIAL,
                    vol.Exclusive("tcp", "upstream"): _TCP,
                }
            ),
        ),
        vol.Optional("building", default="sample"): vol.Any(str, dict),
        vol.Optional("time_scale", default=1.0): _POSITIVE,
        vol.Optional("wire_time", default=False): bool,
        vol.Optional("baudrate"): _baud,
        vol.Optional("listen_host", default="0.0.0.0"): str,  # noqa: S104
        vol.Optional("listen_port", default=502): _PORT,
        vol.Optional("request_timeout", default=0.5): vol.All(
            vol.Coerce(float), vol.Range(min=0.01, max=60)
        ),
        vol.Optional("min_gap_ms", default=5.0): vol.All(
            vol.Coerce(float), vol.Range(min=0, max=10000)
        ),
        vol.Optional("id_switch_gap_ms", default=20.0): vol.All(
            vol.Coerce(float), vol.Range(min=0, max=10000)
        ),
        vol.Optional("status_host", default="0.0.0.0"): str,  # noqa: S104
        vol.Optional("status_port", default=DEFAULT_STATUS_PORT): vol.Any(None, _PORT),
        vol.Optional("log_level", default="info"): vol.All(
            vol.Lower, vol.In(LOG_LEVELS, msg=f"must be one of {', '.join(LOG_LEVELS)}")
        ),
        vol.Optional("max_pending_per_client", default=32): vol.All(
            int, vol.Range(min=1, max=1000)
        ),
        vol.Optional("allowed_clients", default=list): [_client_network],
    }
)


def _serial_port_exists(port: str) -> bool:
    return "://" in port or Path(port).exists()


def parse_config(
    data: Any, base: Path | None = None, *, bus_missing: str | None = None
) -> GatewayConfig:
    """Validate a standalone configuration mapping; raises `ConfigError` naming the field.

    `bus_missing` (the add-on only): no bus is chosen yet, and this says what to choose.
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError("config", "must be a mapping of options")
    try:
        valid = CONFIG_SCHEMA(dict(data))
    except vol.Invalid as err:
        raise ConfigError.from_invalid(err) from None
    upstream: SerialSettings | TcpSettings | None = None
    raw_upstream = valid.get("upstream") or {}
    if "serial" in raw_upstream:
        serial = raw_upstream["serial"]
        upstream = SerialSettings(**serial)
    elif "tcp" in raw_upstream:
        upstream = TcpSettings(**raw_upstream["tcp"])
    if not valid["simulate"] and bus_missing is None:
        if upstream is None:
            raise ConfigError(
                "upstream", "simulate is false: configure upstream.serial or upstream.tcp"
            )
        if isinstance(upstream, SerialSettings) and not _serial_port_exists(upstream.port):
            raise ConfigError(
                "upstream.serial.port", f"serial port {upstream.port!r} does not exist"
            )
    building = resolve_building(valid["building"], "building", base) if valid["simulate"] else None
    baudrate = valid.get("baudrate") or (
        upstream.baudrate if isinstance(upstream, SerialSettings) else 9600
    )
    return GatewayConfig(
        simulate=valid["simulate"],
        upstream=upstream,
        building=building,
        time_scale=valid["time_scale"],
        wire_time=valid["wire_time"],
        baudrate=baudrate,
        listen_host=valid["listen_host"],
        listen_port=valid["listen_port"],
        request_timeout=valid["request_timeout"],
        min_gap_ms=valid["min_gap_ms"],
        id_switch_gap_ms=valid["id_switch_gap_ms"],
        status_host=valid["status_host"],
        status_port=valid["status_port"],
        log_level=valid["log_level"],
        max_pending_per_client=valid["max_pending_per_client"],
        allowed_clients=tuple(valid["allowed_clients"]),
        bus_missing=bus_missing,
    )


def load_config(path: Path) -> GatewayConfig:
    """A standalone YAML file: gateway options, or a building file run with default options."""
    data = load_yaml(path, "config")
    if isinstance(data, Mapping) and "meters" in data:
        building = resolve_building(str(path.resolve()), "building")
        return replace(parse_config({"simulate": True}), building=building)
    return parse_config(data, base=path.resolve().parent)


# Add-on options are flat (the Supervisor UI renders them best); this maps them to the
# standalone structure, and error paths back to the option names the user sees.
ADDON_OPTION_PATHS: dict[str, tuple[str, ...]] = {
    "serial_port": ("upstream", "serial", "port"),
    "parity": ("upstream", "serial", "parity"),
    "stopbits": ("upstream", "serial", "stopbits"),
    "bytesize": ("upstream", "serial", "bytesize"),
    "tcp_host": ("upstream", "tcp", "host"),
    "tcp_port": ("upstream", "tcp", "port"),
    "tcp_framing": ("upstream", "tcp", "framing"),
}


def addon_options_to_config(options: Mapping[str, Any]) -> dict[str, Any]:
    """Flat add-on options -> the standalone configuration mapping."""
    config: dict[str, Any] = {}
    kind = options.get("upstream", "serial")
    for key, raw in options.items():
        if key == "upstream" or raw is None or raw == "":
            continue
        value = raw
        if key in ("baudrate", "stopbits", "bytesize") and isinstance(raw, str) and raw.isdigit():
            value = int(raw)  # the add-on UI offers them as lists of strings
        path = ADDON_OPTION_PATHS.get(key)
        if path is None:
            config[key] = value
            continue
        if path[1] != kind:
            continue
        config.setdefault("upstream", {}).setdefault(path[1], {})[path[2]] = value
    if kind == "serial" and "baudrate" in config:
        config.setdefault("upstream", {}).setdefault("serial", {})["baudrate"] = config["baudrate"]
    if not options.get("simulate", False):
        config.setdefault("upstream", {}).setdefault(kind, {})
    elif not options.get("serial_port" if kind == "serial" else "tcp_host"):
        config.pop("upstream", None)  # simulating without a bus configured
    config["status_port"] = DEFAULT_STATUS_PORT
    return config


def load_addon_options(path: Path) -> GatewayConfig:
    """The add-on's /data/options.json (written by the Supervisor)."""
    try:
        options = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError("options", f"cannot read {path}: {err.strerror}") from None
    except ValueError as err:
        raise ConfigError("options", f"invalid JSON in {path}: {err}") from None
    if not isinstance(options, dict):
        raise ConfigError("options", "must be a JSON object")
    missing = None if options.get("simulate", False) else _bus_missing(options)
    data = addon_options_to_config(options)
    if missing is not None:
        data.pop("upstream", None)
    try:
        return parse_config(data, base=ADDON_CONFIG_DIR, bus_missing=missing)
    except ConfigError as err:
        field = err.field
        for name, option_path in ADDON_OPTION_PATHS.items():
            if field == ".".join(option_path):
                field = name
        if field == "upstream.serial.baudrate":
            field = "baudrate"
        elif field.startswith("upstream."):
            field = "serial_port" if "serial" in field else "tcp_host"
        raise ConfigError(field, err.message) from None


def _bus_missing(options: Mapping[str, Any]) -> str | None:
    """What to choose when a fresh install has no bus yet (None: a bus is chosen)."""
    if options.get("upstream", "serial") == "tcp":
        if not options.get("tcp_host"):
            return (
                "no TCP gateway chosen: enter the gateway's address under tcp_host in the "
                "add-on's Configuration tab and restart it (or turn on simulate to try the "
                "simulator)"
            )
    elif not options.get("serial_port"):
        return (
            "no serial port chosen: choose the RS485 adapter under serial_port in the add-on's "
            "Configuration tab and restart it (or turn on simulate to try the simulator)"
        )
    return None


def gateway_config(
    building: BuildingConfig | str | Mapping[str, Any] | None = "sample", **options: Any
) -> GatewayConfig:
    """A configuration for in-process use (tests, benchmarks): loopback, ephemeral ports.

    `building` is a `BuildingConfig` (see `building.make_building`), a shipped name, a path or
    a mapping, and means: simulate it; `options` are any `GatewayConfig` fields or standalone
    options, e.g. `gateway_config(uniform_building(40), time_scale=0, min_gap_ms=0)`.
    """
    defaults: dict[str, Any] = {
        "simulate": building is not None,
        "listen_host": "127.0.0.1",
        "listen_port": 0,
        "status_host": "127.0.0.1",
        "status_port": 0,
    }
    defaults.update(options)
    upstream = defaults.get("upstream")
    if isinstance(upstream, SerialSettings):
        defaults["upstream"] = {"serial": asdict(upstream)}
    elif isinstance(upstream, TcpSettings):
        defaults["upstream"] = {"tcp": asdict(upstream)}
    if isinstance(building, BuildingConfig):
        config = parse_config({**defaults, "building": "sample"})
        return replace(config, building=building if config.simulate else None)
    return parse_config({**defaults, "building": building or "sample"})


def config_from_environment(config_file: str | None) -> GatewayConfig:
    """The configuration for `python -m prepaid_power_gateway`."""
    if config_file:
        return load_config(Path(config_file))
    options = Path(os.environ.get("PREPAID_POWER_OPTIONS", "/data/options.json"))
    if options.exists():
        return load_addon_options(options)
    return parse_config({})
