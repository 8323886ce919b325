"""The processes of a demo: the add-on's gateway in simulator mode and a real Home Assistant.

Each child runs in its own process group (so Ctrl-C in a terminal reaches only the demo's
own Python process, which stops the children in order) and gets SIGTERM from the kernel if
the process that started it dies (`PR_SET_PDEATHSIG`), so nothing is left behind even after
a SIGKILL of the demo or of the test run. Stopping sends SIGTERM to the whole group, waits,
then SIGKILLs it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import IO, Any

import yaml

from .faketime import faketime_env

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "custom_components" / "prepaid_power"
ADDON = ROOT / "addon"
SAMPLE_BUILDING = ADDON / "buildings" / "sample.yaml"
BLUEPRINTS = ROOT / "blueprints" / "automation" / "prepaid_power"

# What HA loads. `default_config` is not usable: it pulls integrations whose requirements
# (bluetooth, dhcp, ssdp, matter, stream, go2rtc ...) are not in the test environment and
# `--skip-pip` keeps HA from installing them. These are what the demo needs.
HA_INTEGRATIONS = (
    "api",
    "automation",
    "blueprint",
    "config",
    "counter",
    "energy",
    "frontend",
    "history",
    "input_boolean",
    "input_button",
    "input_datetime",
    "input_number",
    "input_select",
    "input_text",
    "logbook",
    "lovelace",
    "person",
    "recorder",
    "schedule",
    "script",
    "sun",
    "system_health",
    "timer",
    "websocket_api",
)
WITHOUT_FRONTEND = ("frontend", "logbook", "energy")  # logbook and energy depend on frontend
TIME_ZONE = "Europe/Berlin"  # HA's (billing cycles end at its local midnight)


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_free(port: int) -> bool:
    """Whether 127.0.0.1:port can be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp binds
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def frontend_installed(python: Path) -> bool:
    """Whether HA's frontend package is importable by `python`."""
    result = subprocess.run(
        [str(python), "-c", "import hass_frontend"], capture_output=True, check=False
    )
    return result.returncode == 0


def frontend_requirement(python: Path) -> str:
    """The `home-assistant-frontend==…` pin of the HA version installed for `python`."""
    code = (
        "import json, pathlib, homeassistant.components.frontend as f;"
        "print(json.loads((pathlib.Path(f.__file__).parent / 'manifest.json').read_text())"
        "['requirements'][0])"
    )
    result = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.strip()


def _load_libc() -> ctypes.CDLL | None:
    with contextlib.suppress(OSError):
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return None


_LIBC = _load_libc()  # resolved here: the child between fork and exec must not spawn ldconfig


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the parent dies (Linux PR_SET_PDEATHSIG)."""
    if _LIBC is not None:
        with contextlib.suppress(AttributeError):
            _LIBC.prctl(1, signal.SIGTERM)


@dataclass
class Child:
    """One child process with its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] = field(repr=False)

    @property
    def pid(self) -> int:
        """Process id (and process group id)."""
        return self.popen.pid

    def running(self) -> bool:
        """Whether the process has not exited."""
        return self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        """The end of the process's output."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM the process group, wait, then SIGKILL it; returns the exit code."""
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # Members of the group that outlived the leader (none expected).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self._log.close()
        return self.popen.returncode


def spawn(name: str, args: list[str], log_path: Path, env: dict[str, str] | None = None) -> Child:
    """Start a child in its own process group, output to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("ab")
    popen = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl, no locks taken
        cwd=str(ROOT),
    )
    return Child(name, popen, log_path, log)


@dataclass
class StackConfig:
    """Where and how the demo runs."""

    workdir: Path
    time_scale: float = 10.0
    ha_port: int = 0  # 0: a free port
    modbus_port: int = 0
    status_port: int = 0
    python: Path = field(default_factory=lambda: Path(sys.executable))
    building: Path = SAMPLE_BUILDING
    fast_bus: bool = False  # no bus gaps (tests)
    # The simulator answers at once; absent slave ids cost this long each during a scan.
    request_timeout: float = 0.1
    frontend: bool = True
    recorder: bool = True
    # HA's wall clock runs this many seconds ahead of the real one (libfaketime at
    # `faketime_library`; see faketime.py); the gateway keeps the real clock.
    clock_offset: int = 0
    faketime_library: str | None = None

    @property
    def config_dir(self) -> Path:
        """HA's config folder."""
        return self.workdir / "config"

    @property
    def gateway_dir(self) -> Path:
        """The gateway's options file and log."""
        return self.workdir / "gateway"

    @property
    def state_file(self) -> Path:
        """Ports and users of the last run (for `--keep`)."""
        return self.workdir / "demo.json"


def _pick(port: int) -> int:
    return port or free_port()


class Stack:
    """Writes the config folders, starts and stops both processes."""

    def __init__(self, config: StackConfig) -> None:
        """Ports are chosen now (0 → a free one)."""
        self.config = config
        self.ha_port = _pick(config.ha_port)
        self.modbus_port = _pick(config.modbus_port)
        self.status_port = _pick(config.status_port)
        self.gateway: Child | None = None
        self.hass: Child | None = None

    @property
    def ha_url(self) -> str:
        """Home Assistant's base URL."""
        return f"http://127.0.0.1:{self.ha_port}"

    @property
    def status_url(self) -> str:
        """The gateway's status page and simulator API."""
        return f"http://127.0.0.1:{self.status_port}"

    # --- config folders -------------------------------------------------------------------

    def prepare(self, *, fresh: bool) -> None:
        """Write the gateway options and HA's config folder (`fresh`: delete the old one)."""
        cfg = self.config
        if fresh and cfg.workdir.exists():
            shutil.rmtree(cfg.workdir)
        cfg.config_dir.mkdir(parents=True, exist_ok=True)
        cfg.gateway_dir.mkdir(parents=True, exist_ok=True)
        self._write_gateway_options()
        self._write_ha_config()

    @property
    def continued_building(self) -> Path:
        """The building as the last run left it (counters, clock), for `--keep`."""
        return self.config.gateway_dir / "building.yaml"

    def save_simulation(self, snapshot: dict[str, Any]) -> None:
        """Write the building with the simulator's counters and clock (`/api/simulator`)."""
        building = yaml.safe_load(self.config.building.read_text())
        energy = {m["slave"]: m["energy_kwh"] for m in snapshot.get("meters", [])}
        for meter in building.get("meters", []):
            if meter.get("slave") in energy:
                meter["energy_kwh"] = energy[meter["slave"]]
        building["start"] = snapshot["time"]
        self.continued_building.write_text(
            "# Written by scripts/demo when it stopped: the sample building as the simulator\n"
            "# left it, so `scripts/demo --keep` continues the meters' counters and clock.\n"
            + yaml.safe_dump(building, sort_keys=False)
        )

    def _write_gateway_options(self) -> None:
        cfg = self.config
        building = self.continued_building
        options: dict[str, Any] = {
            "simulate": True,
            "building": str(building if building.exists() else cfg.building),
            "time_scale": cfg.time_scale,
            "listen_host": "127.0.0.1",
            "listen_port": self.modbus_port,
            "status_host": "127.0.0.1",
            "status_port": self.status_port,
            "request_timeout": cfg.request_timeout,
            "log_level": "info",
        }
        if cfg.fast_bus:
            options |= {"min_gap_ms": 0, "id_switch_gap_ms": 0}
        (cfg.gateway_dir / "options.yaml").write_text(yaml.safe_dump(options, sort_keys=False))

    def _write_ha_config(self) -> None:
        cfg = self.config
        config_dir = cfg.config_dir
        integrations = [
            name
            for name in HA_INTEGRATIONS
            if (cfg.frontend or name not in WITHOUT_FRONTEND)
            and (cfg.recorder or name not in ("recorder", "history", "logbook", "energy"))
        ]
        core: dict[str, Any] = {
            "name": "Prepaid Power demo",
            "latitude": 52.52,
            "longitude": 13.405,
            "elevation": 34,
            "unit_system": "metric",
            "currency": "EUR",
            "country": "DE",
            "time_zone": TIME_ZONE,
        }
        lines = [
            "# Written by scripts/demo: a throw-away Home Assistant for the prepaid_power demo.",
            yaml.safe_dump({"homeassistant": core}, sort_keys=False).rstrip(),
            yaml.safe_dump(
                {"http": {"server_host": "127.0.0.1", "server_port": self.ha_port}},
                sort_keys=False,
            ).rstrip(),
            yaml.safe_dump(
                {
                    "logger": {
                        "default": "warning",
                        "logs": {
                            "custom_components.prepaid_power": "info",
                            "homeassistant.bootstrap": "info",
                        },
                    }
                },
                sort_keys=False,
            ).rstrip(),
        ]
        for name in integrations:
            if name == "automation":
                lines.append("automation: !include automations.yaml")
            elif name == "script":
                lines.append("script: !include scripts.yaml")
            elif name == "recorder":
                lines.append("recorder:\n  commit_interval: 2\n  purge_keep_days: 40")
            else:
                lines.append(f"{name}:")
        (config_dir / "configuration.yaml").write_text("\n".join(lines) + "\n")
        for name in ("automations.yaml", "scripts.yaml"):
            path = config_dir / name
            if not path.exists():
                path.write_text("[]\n" if name == "automations.yaml" else "{}\n")
        # Onboarding's core-config step would add google_translate, met, radio_browser and
        # shopping_list, whose requirements this environment lacks (and on HA 2026.10 a loaded
        # `todo` makes `get_services` import every base component, hassil, av ... included):
        # mark that step, analytics and the frontend's auth step as done; the owner is still
        # created through the onboarding API.
        storage = config_dir / ".storage"
        storage.mkdir(exist_ok=True)
        onboarding = storage / "onboarding"
        if not onboarding.exists():
            onboarding.write_text(
                json.dumps(
                    {
                        "version": 4,
                        "minor_version": 1,
                        "key": "onboarding",
                        "data": {"done": ["core_config", "analytics", "integration"]},
                    }
                )
            )
        # The integration, as HACS would install it (a symlink: the demo runs this checkout).
        custom = config_dir / "custom_components"
        custom.mkdir(exist_ok=True)
        link = custom / "prepaid_power"
        if link.is_symlink() or link.exists():
            if link.is_symlink():
                link.unlink()
            else:
                shutil.rmtree(link)
        link.symlink_to(INTEGRATION, target_is_directory=True)
        # The blueprints, as "Import blueprint" would store them.
        target = config_dir / "blueprints" / "automation" / "prepaid_power"
        target.mkdir(parents=True, exist_ok=True)
        if BLUEPRINTS.is_dir():
            for blueprint in sorted(BLUEPRINTS.glob("*.yaml")):
                shutil.copyfile(blueprint, target / blueprint.name)

    # --- processes ------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ADDON), *filter(None, [env.get("PYTHONPATH", "")])]
        )
        env.pop("PYTEST_CURRENT_TEST", None)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def start(self) -> None:
        """Start the gateway, then Home Assistant (returns at once; see `wait_ready`)."""
        cfg = self.config
        python = str(cfg.python)
        self.gateway = spawn(
            "gateway",
            [
                python,
                "-m",
                "prepaid_power_gateway",
                "--config",
                str(cfg.gateway_dir / "options.yaml"),
            ],
            cfg.gateway_dir / "gateway.log",
            self._env(),
        )
        hass = str(Path(python).parent / "hass")
        env = self._env()
        if cfg.clock_offset and cfg.faketime_library:
            env |= faketime_env(cfg.faketime_library, cfg.clock_offset)
        self.hass = spawn(
            "hass",
            [hass, "-c", str(cfg.config_dir), "--skip-pip", "--log-no-color"],
            cfg.workdir / "hass.out",
            env,
        )

    def check_running(self) -> None:
        """Raise with the end of its output when a child has exited."""
        for child in (self.gateway, self.hass):
            if child is not None and not child.running():
                raise RuntimeError(
                    f"{child.name} exited with code {child.popen.returncode}:\n{child.tail()}"
                )

    def stop(self) -> None:
        """Stop Home Assistant first (it closes its Modbus connection), then the gateway."""
        for child in (self.hass, self.gateway):
            if child is not None:
                child.stop()

    def save_state(self, extra: dict[str, Any]) -> None:
        """Remember ports and logins for `--keep`."""
        state = {
            "ha_port": self.ha_port,
            "modbus_port": self.modbus_port,
            "status_port": self.status_port,
            **extra,
        }
        self.config.state_file.write_text(json.dumps(state, indent=2))

    @staticmethod
    def load_state(config: StackConfig) -> dict[str, Any] | None:
        """What `save_state` wrote in an earlier run, if anything."""
        try:
            data: dict[str, Any] = json.loads(config.state_file.read_text())
        except (OSError, ValueError):
            return None
        return data


def wait_until(deadline: float) -> float:
    """Seconds left before `deadline` (monotonic), at least 0."""
    return max(0.0, deadline - time.monotonic())
