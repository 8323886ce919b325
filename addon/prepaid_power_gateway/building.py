"""The building file: rooms, meters, relay boards, load profiles and faults (YAML, validated)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import voluptuous as vol
import yaml

from .errors import ConfigError
from .models import RELAY_BOARD, ModelSpec, find_model, known_models

BUILDINGS_DIR = Path(__file__).resolve().parent.parent / "buildings"
SLOT_SECONDS = 60.0

# Hourly multipliers (0-23 h) of an appliance's chance to be on.
RHYTHMS: dict[str, tuple[float, ...]] = {
    "always": (1.0,) * 24,
    "morning_evening": (
        *(0.05,) * 6,
        *(1.0, 1.5, 1.0),
        *(0.2,) * 8,
        *(0.8, 1.5, 1.5, 1.2, 0.8, 0.3),
        0.1,
    ),
    "evening": (*(0.05,) * 7, *(0.2,) * 10, *(0.8, 1.0, 1.0, 1.0, 0.8, 0.4), 0.1),
    "night": (*(1.0,) * 7, *(0.4,) * 2, *(0.05,) * 12, *(0.4, 0.8, 1.0)),
    "day": (*(0.0,) * 8, *(1.0,) * 10, *(0.0,) * 6),
}


@dataclass(frozen=True, slots=True)
class Appliance:
    """An appliance that switches on with probability duty x rhythm[hour] in each slot."""

    name: str
    power_w: float
    duty: float
    rhythm: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Profile:
    """A room's load: a base load plus appliances."""

    base_w: float
    appliances: tuple[Appliance, ...] = ()


def _appliance(name: str, power_w: float, duty: float, rhythm: str) -> Appliance:
    return Appliance(name, power_w, duty, RHYTHMS[rhythm])


PROFILES: dict[str, Profile] = {
    "empty": Profile(3.0),
    "studio": Profile(
        45.0,
        (
            _appliance("fridge", 110.0, 0.35, "always"),
            _appliance("kettle", 2000.0, 0.04, "morning_evening"),
            _appliance("lights_tv", 150.0, 0.6, "evening"),
            _appliance("heater", 1200.0, 0.25, "night"),
        ),
    ),
    "family": Profile(
        90.0,
        (
            _appliance("fridge", 140.0, 0.35, "always"),
            _appliance("cooking", 2500.0, 0.12, "morning_evening"),
            _appliance("washing", 900.0, 0.05, "day"),
            _appliance("lights_tv", 300.0, 0.7, "evening"),
            _appliance("water_heater", 2000.0, 0.15, "morning_evening"),
        ),
    ),
    "shop": Profile(
        150.0,
        (
            _appliance("lighting", 600.0, 0.9, "day"),
            _appliance("fridge", 400.0, 0.5, "always"),
            _appliance("aircon", 1500.0, 0.4, "day"),
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class OfflineWindow:
    """Seconds after simulation start during which the device does not answer."""

    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Faults:
    """Fault injection for one device."""

    timeout_rate: float = 0.0
    crc_rate: float = 0.0
    offline: bool = False
    offline_windows: tuple[OfflineWindow, ...] = ()
    relay_ignores_commands: bool = False
    counter_reset_at: tuple[float, ...] = ()
    # (function, first, last address): a read touching one gets exception 0x02, as meters do
    # that refuse a block read spanning undocumented registers.
    refused_reads: tuple[tuple[int, int, int], ...] = ()
    # The exception a read outside the model's registers gets (some meters answer 0x01).
    outside_exception: int = 0x02
    # The meter reports its own relay stuck closed (Eastron SDM320Y/SDM530Y fault code 1 at
    # 0xFBFE, "relay cannot open").
    relay_cannot_open: bool = False


@dataclass(frozen=True, slots=True)
class BoardChannel:
    """A relay-board channel that switches a room's supply."""

    board: int
    channel: int


@dataclass(frozen=True, slots=True)
class MeterConfig:
    """One simulated meter."""

    slave: int
    model: ModelSpec
    room: str
    serial: int
    profile: Profile
    seed: int
    supply: BoardChannel | None = None
    faults: Faults = Faults()
    energy_kwh: float = 0.0
    relay_on: bool = True
    load_w: float | None = None
    # The meter's serial framing ("N", "E", "O" parity): its model's default unless set in
    # the meter's menu. On a bus with another framing the meter hears garbage and stays silent.
    parity: str = "N"
    # A house (main) meter: the slave ids of the meters behind it. It counts their energy
    # plus its own load (`load_w`: losses, unmetered loads) and what `set_loss` adds.
    feeds: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class RelayBoardConfig:
    """A Modbus relay board (coils, functions 01/05/15)."""

    slave: int
    channels: int = 8
    name: str = "relay board"
    faults: Faults = Faults()


@dataclass(frozen=True, slots=True)
class BuildingConfig:
    """A whole simulated building."""

    name: str
    seed: int
    start: float
    meters: tuple[MeterConfig, ...]
    relay_boards: tuple[RelayBoardConfig, ...] = ()
    source: str = "<inline>"
    # The bus's serial framing (parity "N", "E" or "O"); None: not simulated, every meter
    # answers whatever its own framing.
    parity: str | None = None


def _model(value: Any) -> ModelSpec:
    if not isinstance(value, str) or (spec := find_model(value)) is None:
        raise vol.Invalid(f"unknown model {value!r} (known: {', '.join(known_models())})")
    return spec


def _rhythm(value: Any) -> tuple[float, ...]:
    if isinstance(value, str):
        if value not in RHYTHMS:
            raise vol.Invalid(f"unknown rhythm {value!r} (known: {', '.join(sorted(RHYTHMS))})")
        return RHYTHMS[value]
    hours = vol.Schema(vol.All([vol.All(vol.Coerce(float), vol.Range(min=0))], vol.Length(24, 24)))
    return tuple(hours(value))


def _start(value: Any) -> float:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as err:
        raise vol.Invalid(f"not an ISO date-time: {value!r}") from err
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


_PARITY = vol.In(["N", "E", "O"], msg="must be N, E or O")
_RATE = vol.All(vol.Coerce(float), vol.Range(min=0.0, max=1.0))
_SLAVE = vol.All(int, vol.Range(min=1, max=247), msg="must be a slave id 1-247")

_FAULTS = vol.Schema(
    {
        vol.Optional("timeout_rate", default=0.0): _RATE,
        vol.Optional("crc_rate", default=0.0): _RATE,
        vol.Optional("offline", default=False): bool,
        vol.Optional("offline_windows", default=list): [
            {vol.Required("start"): vol.Coerce(float), vol.Required("duration"): vol.Coerce(float)}
        ],
        vol.Optional("relay_ignores_commands", default=False): bool,
        vol.Optional("counter_reset_at", default=list): [vol.Coerce(float)],
        vol.Optional("refused_reads", default=list): [
            {
                vol.Required("function"): vol.In([3, 4]),
                vol.Required("start"): vol.All(int, vol.Range(min=0, max=0xFFFF)),
                vol.Required("end"): vol.All(int, vol.Range(min=0, max=0xFFFF)),
            }
        ],
        vol.Optional("outside_exception", default=0x02): vol.In([0x01, 0x02, 0x03, 0x04]),
        vol.Optional("relay_cannot_open", default=False): bool,
    }
)

_APPLIANCE = vol.Schema(
    {
        vol.Required("name"): str,
        vol.Required("power_w"): vol.All(vol.Coerce(float), vol.Range(min=0)),
        vol.Optional("duty", default=0.5): _RATE,
        vol.Optional("rhythm", default="always"): _rhythm,
    }
)

_PROFILE = vol.Any(
    vol.In(sorted(PROFILES), msg=f"unknown profile (known: {', '.join(sorted(PROFILES))})"),
    vol.Schema(
        {
            vol.Required("base_w"): vol.All(vol.Coerce(float), vol.Range(min=0)),
            vol.Optional("appliances", default=list): [_APPLIANCE],
        }
    ),
)

_METER = vol.Schema(
    {
        vol.Required("model"): _model,
        vol.Required("slave"): _SLAVE,
        vol.Optional("room"): str,
        vol.Optional("serial"): vol.All(int, vol.Range(min=0, max=0xFFFFFFFF)),
        vol.Optional("profile", default="studio"): _PROFILE,
        vol.Optional("seed"): int,
        vol.Optional("supply", default="relay"): vol.Any(
            "relay",
            {
                vol.Required("board"): _SLAVE,
                vol.Required("channel"): vol.All(int, vol.Range(min=0)),
            },
        ),
        vol.Optional("faults", default=dict): _FAULTS,
        vol.Optional("energy_kwh", default=0.0): vol.All(vol.Coerce(float), vol.Range(min=0)),
        vol.Optional("relay_on", default=True): bool,
        vol.Optional("load_w"): vol.Any(None, vol.All(vol.Coerce(float), vol.Range(min=0))),
        vol.Optional("parity"): _PARITY,
        vol.Optional("feeds", default=list): [vol.All(int, vol.Range(min=1, max=247))],
    }
)

_BOARD = vol.Schema(
    {
        vol.Required("slave"): _SLAVE,
        vol.Optional("model", default=RELAY_BOARD): vol.In(
            [RELAY_BOARD], msg="must be relay_board"
        ),
        vol.Optional("channels", default=8): vol.All(int, vol.Range(min=1, max=64)),
        vol.Optional("name", default="relay board"): str,
        vol.Optional("faults", default=dict): _FAULTS,
    }
)

BUILDING_SCHEMA = vol.Schema(
    {
        vol.Optional("name", default="building"): str,
        vol.Optional("seed", default=1): int,
        vol.Optional("start"): _start,
        vol.Required("meters"): vol.All([_METER], vol.Length(min=1)),
        vol.Optional("relay_boards", default=list): [_BOARD],
        vol.Optional("parity"): _PARITY,
    }
)


def _faults(data: Mapping[str, Any]) -> Faults:
    return Faults(
        timeout_rate=data["timeout_rate"],
        crc_rate=data["crc_rate"],
        offline=data["offline"],
        offline_windows=tuple(
            OfflineWindow(w["start"], w["start"] + w["duration"]) for w in data["offline_windows"]
        ),
        relay_ignores_commands=data["relay_ignores_commands"],
        counter_reset_at=tuple(data["counter_reset_at"]),
        refused_reads=tuple((r["function"], r["start"], r["end"]) for r in data["refused_reads"]),
        outside_exception=data["outside_exception"],
        relay_cannot_open=data["relay_cannot_open"],
    )


def _profile(value: str | Mapping[str, Any]) -> Profile:
    if isinstance(value, str):
        return PROFILES[value]
    return Profile(
        value["base_w"],
        tuple(
            Appliance(a["name"], a["power_w"], a["duty"], a["rhythm"]) for a in value["appliances"]
        ),
    )


def parse_building(
    data: Any, where: str = "building", source: str = "<inline>", now: float | None = None
) -> BuildingConfig:
    """Validate a building mapping; errors are `ConfigError`s naming the field."""
    try:
        valid = BUILDING_SCHEMA(data)
    except vol.Invalid as err:
        raise ConfigError.from_invalid(err, where) from None
    boards: dict[int, RelayBoardConfig] = {}
    taken: dict[int, str] = {}
    for index, board in enumerate(valid["relay_boards"]):
        path = f"{where}.relay_boards[{index}].slave"
        if board["slave"] in taken:
            raise ConfigError(
                path, f"duplicate slave id {board['slave']} (also {taken[board['slave']]})"
            )
        taken[board["slave"]] = f"{where}.relay_boards[{index}]"
        boards[board["slave"]] = RelayBoardConfig(
            board["slave"], board["channels"], board["name"], _faults(board["faults"])
        )
    meters: list[MeterConfig] = []
    wired: dict[tuple[int, int], str] = {}
    for index, meter in enumerate(valid["meters"]):
        path = f"{where}.meters[{index}]"
        slave = meter["slave"]
        if slave in taken:
            raise ConfigError(f"{path}.slave", f"duplicate slave id {slave} (also {taken[slave]})")
        taken[slave] = path
        model: ModelSpec = meter["model"]
        supply: BoardChannel | None = None
        if isinstance(meter["supply"], Mapping):
            supply = BoardChannel(meter["supply"]["board"], meter["supply"]["channel"])
            board_config = boards.get(supply.board)
            if board_config is None:
                raise ConfigError(
                    f"{path}.supply.board", f"no relay board with slave id {supply.board}"
                )
            if supply.channel >= board_config.channels:
                raise ConfigError(
                    f"{path}.supply.channel",
                    f"board {supply.board} has channels 0-{board_config.channels - 1}",
                )
            key = (supply.board, supply.channel)
            if key in wired:
                raise ConfigError(f"{path}.supply", f"channel already wired to {wired[key]}")
            wired[key] = path
        elif not model.has_relay and meter["relay_on"] is False:
            raise ConfigError(f"{path}.relay_on", f"model {model.name} has no relay")
        seed = meter.get("seed", valid["seed"] * 1000 + slave)
        meters.append(
            MeterConfig(
                slave=slave,
                model=model,
                room=meter.get("room", f"room {slave}"),
                serial=meter.get("serial", 20_000_000 + seed % 1_000_000 * 7 + slave),
                profile=_profile(meter["profile"]),
                seed=seed,
                supply=supply,
                faults=_faults(meter["faults"]),
                energy_kwh=meter["energy_kwh"],
                relay_on=meter["relay_on"],
                load_w=meter.get("load_w"),
                parity=meter.get("parity", model.parity),
                feeds=tuple(meter["feeds"]),
            )
        )
    slaves = {meter.slave for meter in meters}
    for index, meter in enumerate(meters):
        for fed in meter.feeds:
            if fed == meter.slave or fed not in slaves:
                raise ConfigError(
                    f"{where}.meters[{index}].feeds", f"no other meter with slave id {fed}"
                )
    start = valid.get("start")
    if start is None:
        start = datetime.now(UTC).timestamp() if now is None else now
    return BuildingConfig(
        name=valid["name"],
        seed=valid["seed"],
        start=start,
        meters=tuple(meters),
        relay_boards=tuple(boards.values()),
        source=source,
        parity=valid.get("parity"),
    )


def shipped_buildings() -> list[str]:
    """Names of the building files shipped with the add-on."""
    return sorted(p.stem for p in BUILDINGS_DIR.glob("*.yaml"))


def load_yaml(path: Path, where: str) -> Any:
    """Read a YAML file; unreadable or invalid files are `ConfigError`s."""
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except OSError as err:
        raise ConfigError(where, f"cannot read {path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise ConfigError(where, f"invalid YAML in {path}: {err}") from None


def resolve_building(
    value: str | Mapping[str, Any], where: str = "building", base: Path | None = None
) -> BuildingConfig:
    """A building from a shipped name, a file path or an inline mapping."""
    if isinstance(value, Mapping):
        return parse_building(value, where)
    if not isinstance(value, str) or not value:
        raise ConfigError(where, "must be a shipped building name, a file path or a mapping")
    candidates = (
        [BUILDINGS_DIR / f"{value}.yaml"]
        if "/" not in value and not value.endswith((".yaml", ".yml"))
        else []
    )
    path = Path(value)
    if not path.is_absolute() and base is not None:
        candidates.append(base / path)
        if not path.suffix:
            candidates.append(base / f"{value}.yaml")
    candidates.append(path)
    for candidate in candidates:
        if candidate.is_file():
            return parse_building(load_yaml(candidate, where), where, str(candidate))
    raise ConfigError(
        where,
        f"no building file {value!r} (shipped: {', '.join(shipped_buildings())}, or give a path)",
    )


def make_building(
    meters: Sequence[Mapping[str, Any]],
    relay_boards: Sequence[Mapping[str, Any]] = (),
    **options: Any,
) -> BuildingConfig:
    """A building built programmatically (tests, benchmarks): same schema as the YAML file."""
    return parse_building({"meters": list(meters), "relay_boards": list(relay_boards), **options})


def uniform_building(
    count: int, model: str = "SDM120", first_slave: int = 1, **meter_options: Any
) -> BuildingConfig:
    """A bus of `count` meters of one model on consecutive slave ids."""
    return make_building(
        [{"model": model, "slave": first_slave + i, **meter_options} for i in range(count)]
    )


__all__ = [
    "PROFILES",
    "SLOT_SECONDS",
    "Appliance",
    "BoardChannel",
    "BuildingConfig",
    "Faults",
    "MeterConfig",
    "OfflineWindow",
    "Profile",
    "RelayBoardConfig",
    "make_building",
    "parse_building",
    "resolve_building",
    "uniform_building",
]
