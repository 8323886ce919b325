"""Load meter profiles: built-in YAML files plus the user's own folder.

Loading is blocking file I/O; the HA layer runs `load_profiles` in an executor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
import logging
from pathlib import Path
from typing import Any

import voluptuous as vol
import yaml

from .expression import Expression, ExpressionError
from .model import (
    BIT_READ_FUNCTIONS,
    CHECK_NAMES,
    FAULT_KEY,
    KEY_NAMES,
    MAX_READ_REGISTERS,
    READ_FUNCTIONS,
    REGISTER_READ_FUNCTIONS,
    RELAY_KEY,
    RELAY_KEY_WORD,
    WRITE_FUNCTIONS,
    WRITE_MULTIPLE_REGISTERS,
    WRITE_SINGLE_REGISTER,
    Check,
    DataType,
    FaultCode,
    Profile,
    Quirks,
    ReadableBlock,
    RecordKind,
    RecordLog,
    Register,
    Relay,
    RelayRead,
    RelayWrite,
    SerialNumber,
    WordOrder,
)

_LOGGER = logging.getLogger(__name__)

BUILTIN_DIR = Path(__file__).parent / "models"
PROFILE_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class ProfileProblem:
    """A profile file that could not be used, and why."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class ProfileError(ValueError):
    """A single profile file is invalid."""

    def __init__(self, problem: ProfileProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True, slots=True)
class ProfileSet:
    """Usable profiles by id, and the files that were skipped."""

    profiles: Mapping[str, Profile]
    problems: tuple[ProfileProblem, ...]

    def compatible(self, profile_id: str) -> tuple[str, ...]:
        """Models a meter of this model may really be: the alternatives, either way round."""
        own = self.profiles.get(profile_id)
        listed = set(own.alternatives) if own is not None else set()
        listed |= {p.id for p in self.profiles.values() if profile_id in p.alternatives}
        return tuple(sorted(pid for pid in listed if pid in self.profiles and pid != profile_id))


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise vol.Invalid("expected an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value, 0)
        except ValueError:
            pass
    raise vol.Invalid("expected an integer (decimal or 0x hex)")


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise vol.Invalid("expected a number")
    return float(value)


def _one_of(*choices: Any) -> Callable[[Any], Any]:
    allowed = ", ".join(str(choice) for choice in choices)
    return vol.In(choices, msg=f"not a valid value (expected one of: {allowed})")


def _expression(names: frozenset[str]) -> Callable[[Any], Expression]:
    def validate(value: Any) -> Expression:
        if not isinstance(value, str | int):
            raise vol.Invalid("expected an expression")
        try:
            return Expression(str(value), names)
        except ExpressionError as err:
            raise vol.Invalid(f"invalid expression: {err}") from None

    return validate


_ADDRESS = vol.All(_integer, vol.Range(min=0, max=0xFFFF))
_WORD = vol.All(_integer, vol.Range(min=0, max=0xFFFF))
_KEY = vol.All(str, vol.Match(r"^[a-z][a-z0-9_]*$", msg="expected a lower_snake_case key"))
_DATA_TYPES = _one_of(*(str(t) for t in DataType))
_WORD_ORDERS = _one_of(*(str(w) for w in WordOrder))
_READ_FUNCTION = vol.All(_integer, _one_of(*sorted(READ_FUNCTIONS)))
_WRITE_FUNCTION = vol.All(_integer, _one_of(*sorted(WRITE_FUNCTIONS)))
_WRITE_WORD = vol.Any(
    _WORD, vol.All(str, RELAY_KEY_WORD), msg=f"expected a 16-bit value or '{RELAY_KEY_WORD}'"
)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


_WRITE_WORDS = vol.All(_as_list, vol.Length(min=1, max=123), [_WRITE_WORD])

_REGISTER = vol.Schema(
    {
        vol.Required("key"): _KEY,
        vol.Required("function"): _READ_FUNCTION,
        vol.Required("address"): _ADDRESS,
        vol.Required("data_type"): _DATA_TYPES,
        vol.Optional("word_order", default="big"): _WORD_ORDERS,
        vol.Optional("scale", default=1.0): _number,
        vol.Optional("unit"): vol.Any(None, str),
        vol.Optional("device_class"): vol.Any(None, str),
        vol.Optional("state_class"): vol.Any(None, str),
        vol.Optional("enabled_by_default", default=True): bool,
        vol.Optional("valid_min"): _number,
        vol.Optional("valid_max"): _number,
    }
)
_CHECK = vol.Schema(
    {
        vol.Required("function"): _READ_FUNCTION,
        vol.Required("address"): _ADDRESS,
        vol.Optional("data_type", default="uint16"): _DATA_TYPES,
        vol.Optional("word_order", default="big"): _WORD_ORDERS,
        vol.Required("check"): _expression(CHECK_NAMES),
    }
)
_SERIAL = vol.Schema(
    {
        vol.Required("function"): _READ_FUNCTION,
        vol.Required("address"): _ADDRESS,
        vol.Optional("data_type", default="uint32"): _DATA_TYPES,
        vol.Optional("word_order", default="big"): _WORD_ORDERS,
    }
)
_RELAY = vol.Schema(
    {
        vol.Required("read"): {
            vol.Required("function"): _READ_FUNCTION,
            vol.Required("address"): _ADDRESS,
            vol.Required("on"): _WORD,
            vol.Required("off"): _WORD,
        },
        vol.Required("write"): {
            vol.Required("function"): _WRITE_FUNCTION,
            vol.Required("address"): _ADDRESS,
            vol.Required("on"): _WRITE_WORDS,
            vol.Required("off"): _WRITE_WORDS,
        },
        vol.Optional("channels", default=1): vol.All(_integer, vol.Range(min=1, max=256)),
        vol.Optional("key"): _expression(KEY_NAMES),
        vol.Optional("settle_ms", default=100): vol.All(_integer, vol.Range(min=0, max=10000)),
    }
)
_FAULT = vol.Schema(
    {
        vol.Required("function"): _READ_FUNCTION,
        vol.Required("address"): _ADDRESS,
        vol.Optional("data_type", default="uint16"): _DATA_TYPES,
        vol.Optional("word_order", default="big"): _WORD_ORDERS,
        vol.Required("codes"): {vol.All(_integer, vol.Range(min=1)): _KEY},
    }
)
_RECORDS = vol.Schema(
    {
        vol.Required("kind"): vol.In([kind.value for kind in RecordKind]),
        vol.Required("function"): _READ_FUNCTION,
        vol.Required("first"): _ADDRESS,
        vol.Required("step"): vol.All(_integer, vol.Range(min=1, max=MAX_READ_REGISTERS)),
        vol.Required("count"): vol.All(_integer, vol.Range(min=1, max=1000)),
        vol.Optional("word_order", default="big"): _WORD_ORDERS,
    }
)
_QUIRKS = vol.Schema(
    {
        vol.Optional("write_function", default=WRITE_MULTIPLE_REGISTERS): vol.All(
            _integer, _one_of(WRITE_SINGLE_REGISTER, WRITE_MULTIPLE_REGISTERS)
        ),
        vol.Optional("id_switch_pause_ms", default=0): vol.All(
            _integer, vol.Range(min=0, max=5000)
        ),
        vol.Optional("turnaround_ms", default=20.0): vol.All(_number, vol.Range(min=0, max=5000)),
        vol.Optional("max_read_registers", default=125): vol.All(
            _integer, vol.Range(min=1, max=125)
        ),
    }
)
_BLOCK = vol.Schema(
    {
        vol.Required("function"): _READ_FUNCTION,
        vol.Required("start"): _ADDRESS,
        vol.Required("end"): _ADDRESS,
    }
)
PROFILE_SCHEMA = vol.Schema(
    {
        vol.Required("id"): _KEY,
        vol.Required("manufacturer"): str,
        vol.Required("model"): str,
        vol.Optional("phases", default=1): _one_of(1, 3),
        vol.Optional("max_power_w"): vol.All(_number, vol.Range(min=0)),
        vol.Optional("energy_max_kwh"): vol.All(_number, vol.Range(min=0)),
        vol.Optional("quirks", default={}): _QUIRKS,
        vol.Optional("identify", default=[]): [_CHECK],
        vol.Optional("alternatives", default=[]): [_KEY],
        vol.Optional("serial"): _SERIAL,
        vol.Optional("readable", default=[]): [_BLOCK],
        vol.Optional("energy_key"): _KEY,
        vol.Optional("registers", default=[]): [_REGISTER],
        vol.Optional("relay"): _RELAY,
        vol.Optional("fault"): _FAULT,
        vol.Optional("records", default=[]): [_RECORDS],
    }
)


def _yaml_booleans_as_words(raw: dict[str, Any]) -> None:
    """Accept unquoted `on:`/`off:` keys, which YAML 1.1 reads as booleans."""
    relay = raw.get("relay")
    if not isinstance(relay, dict):
        return
    for part in ("read", "write"):
        section = relay.get(part)
        if isinstance(section, dict):
            for flag, word in ((True, "on"), (False, "off")):
                if flag in section and word not in section:
                    section[word] = section.pop(flag)


def _field(path: list[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _semantic_problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Cross-field rules the schema cannot say (field, message)."""
    problems: list[tuple[str, str]] = []
    if not data["registers"] and data.get("relay") is None:
        problems.append(("registers", "a profile needs registers or a relay"))
    seen: set[str] = set()
    for index, register in enumerate(data["registers"]):
        key = register["key"]
        field = f"registers[{index}]"
        if key in seen or key.startswith(RELAY_KEY) or key == FAULT_KEY:
            problems.append((f"{field}.key", f"duplicate or reserved key {key!r}"))
        seen.add(key)
        bits = register["function"] in BIT_READ_FUNCTIONS
        if bits != (register["data_type"] == DataType.BIT):
            problems.append(
                (f"{field}.data_type", "'bit' goes with functions 1/2, and only with them")
            )
    for index, block in enumerate(data["readable"]):
        if block["end"] < block["start"]:
            problems.append((f"readable[{index}].end", "end is before start"))
    for index, check in enumerate(data["identify"]):
        if (check["function"] in REGISTER_READ_FUNCTIONS) == (check["data_type"] == DataType.BIT):
            problems.append((f"identify[{index}].data_type", "does not match the function"))
        if "serial" in check["check"].used_names and data.get("serial") is None:
            problems.append((f"identify[{index}].check", "uses 'serial' but no serial register"))
    fault = data.get("fault")
    if fault is not None and (
        fault["function"] not in REGISTER_READ_FUNCTIONS or (fault["data_type"] == DataType.BIT)
    ):
        problems.append(("fault.function", "a fault code is a register (function 3 or 4)"))
    kinds: set[str] = set()
    for index, log in enumerate(data["records"]):
        field = f"records[{index}]"
        kind = RecordKind(log["kind"])
        if log["function"] not in REGISTER_READ_FUNCTIONS:
            problems.append((f"{field}.function", "a record log is registers (function 3 or 4)"))
        if log["step"] < kind.words:
            problems.append((f"{field}.step", f"a {kind} record takes {kind.words} words"))
        if log["first"] + (log["count"] - 1) * log["step"] + kind.words - 1 > 0xFFFF:
            problems.append((f"{field}.count", "the log runs past address 0xFFFF"))
        if kind in kinds:
            problems.append((f"{field}.kind", f"a second {kind} log"))
        kinds.add(kind)
    energy_key = data.get("energy_key")
    if energy_key is not None and energy_key not in seen:
        problems.append(("energy_key", f"no register with key {energy_key!r}"))
    relay = data.get("relay")
    if relay is not None:
        words = [*relay["write"]["on"], *relay["write"]["off"]]
        if RELAY_KEY_WORD in words and "key" not in relay:
            problems.append(
                ("relay.key", f"write values use '{RELAY_KEY_WORD}' but no key formula")
            )
        if "key" in relay and data.get("serial") is None:
            problems.append(("serial", "the relay key needs the serial number register"))
    return problems


def _blocks_cover(profile: Profile) -> list[tuple[str, str]]:
    """Every declared read must lie inside a readable block of its function, if any."""
    problems: list[tuple[str, str]] = []
    reads: list[tuple[str, int, int, int]] = [
        (f"registers[{i}].address", r.function, r.address, r.count)
        for i, r in enumerate(profile.registers)
    ]
    reads.extend(
        (f"identify[{i}].address", c.function, c.address, c.count)
        for i, c in enumerate(profile.identify)
    )
    if profile.serial is not None:
        s = profile.serial
        reads.append(("serial.address", s.function, s.address, s.count))
    if profile.relay is not None:
        r = profile.relay.read
        reads.append(("relay.read.address", r.function, r.address, profile.relay.channels))
    if profile.fault is not None:
        f = profile.fault
        reads.append(("fault.address", f.function, f.address, f.count))
    reads.extend(
        (f"records[{i}].first", log.function, log.first, log.last - log.first + 1)
        for i, log in enumerate(profile.records)
    )
    for field, function, address, count in reads:
        declared = any(b.function == function for b in profile.readable)
        if declared and not profile.is_readable(function, address, address + count - 1):
            problems.append((field, "outside every readable block"))
    return problems


def _build(data: dict[str, Any], source: Path, builtin: bool) -> Profile:
    registers = tuple(
        Register(
            key=r["key"],
            function=r["function"],
            address=r["address"],
            data_type=DataType(r["data_type"]),
            word_order=WordOrder(r["word_order"]),
            scale=r["scale"],
            unit=r.get("unit"),
            device_class=r.get("device_class"),
            state_class=r.get("state_class"),
            enabled_by_default=r["enabled_by_default"],
            valid_min=r.get("valid_min"),
            valid_max=r.get("valid_max"),
        )
        for r in data["registers"]
    )
    relay = None
    if (r := data.get("relay")) is not None:
        relay = Relay(
            read=RelayRead(**r["read"]),
            write=RelayWrite(
                function=r["write"]["function"],
                address=r["write"]["address"],
                on=tuple(r["write"]["on"]),
                off=tuple(r["write"]["off"]),
            ),
            channels=r["channels"],
            key=r.get("key"),
            settle_ms=r["settle_ms"],
        )
    serial = None
    if (s := data.get("serial")) is not None:
        serial = SerialNumber(
            function=s["function"],
            address=s["address"],
            data_type=DataType(s["data_type"]),
            word_order=WordOrder(s["word_order"]),
        )
    fault = None
    if (f := data.get("fault")) is not None:
        fault = FaultCode(
            function=f["function"],
            address=f["address"],
            data_type=DataType(f["data_type"]),
            word_order=WordOrder(f["word_order"]),
            codes=tuple(sorted(f["codes"].items())),
        )
    return Profile(
        id=data["id"],
        manufacturer=data["manufacturer"],
        model=data["model"],
        registers=registers,
        identify=tuple(
            Check(
                function=c["function"],
                address=c["address"],
                data_type=DataType(c["data_type"]),
                word_order=WordOrder(c["word_order"]),
                expression=c["check"],
            )
            for c in data["identify"]
        ),
        serial=serial,
        relay=relay,
        fault=fault,
        readable=tuple(ReadableBlock(**block) for block in data["readable"]),
        quirks=Quirks(**data["quirks"]),
        max_power_w=data.get("max_power_w"),
        energy_max_kwh=data.get("energy_max_kwh"),
        phases=data["phases"],
        energy_key=data.get("energy_key"),
        alternatives=tuple(data["alternatives"]),
        records=tuple(
            RecordLog(
                kind=RecordKind(r["kind"]),
                function=r["function"],
                first=r["first"],
                step=r["step"],
                count=r["count"],
                word_order=WordOrder(r["word_order"]),
            )
            for r in data["records"]
        ),
        source=source,
        builtin=builtin,
    )


def load_profile_file(path: Path, *, builtin: bool = False) -> Profile:
    """Load and validate one profile file; raise ProfileError naming file and field."""
    name = path.name

    def fail(field: str, message: str) -> ProfileError:
        return ProfileError(ProfileProblem(name, field, message))

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise fail("", f"cannot read: {err.strerror}") from None
    except UnicodeDecodeError:
        raise fail("", "not UTF-8 text") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise fail(where, f"not valid YAML: {getattr(err, 'problem', err)}") from None
    if not isinstance(raw, dict):
        raise fail("", "expected a mapping at the top level")
    _yaml_booleans_as_words(raw)
    try:
        data: dict[str, Any] = PROFILE_SCHEMA(raw)
    except vol.MultipleInvalid as err:
        first = min(err.errors, key=lambda e: _field(e.path))
        raise fail(_field(first.path), first.msg) from None
    problems = _semantic_problems(data)
    if not problems:
        profile = _build(data, path, builtin)
        problems = _blocks_cover(profile)
    if problems:
        raise fail(*problems[0])
    return profile


def _profile_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in PROFILE_SUFFIXES and p.is_file())


def load_profiles(user_dir: Path | None = None) -> ProfileSet:
    """Load built-in profiles, then the user's folder on top (same id overrides).

    A broken file is reported in `problems` and skipped; this never raises for one file.
    """
    profiles: dict[str, Profile] = {}
    problems: list[ProfileProblem] = []
    sources: list[tuple[Path, bool]] = [(p, True) for p in _profile_files(BUILTIN_DIR)]
    if user_dir is not None and user_dir.is_dir():
        try:
            sources.extend((p, False) for p in _profile_files(user_dir))
        except OSError as err:
            problems.append(ProfileProblem(str(user_dir), "", f"cannot list: {err.strerror}"))
    user_ids: dict[str, str] = {}
    for path, builtin in sources:
        try:
            profile = load_profile_file(path, builtin=builtin)
        except ProfileError as err:
            problems.append(err.problem)
            _LOGGER.warning("Skipping meter profile %s", err.problem)
            continue
        if not builtin:
            if profile.id in user_ids:
                problems.append(
                    ProfileProblem(path.name, "id", f"duplicate of {user_ids[profile.id]}; skipped")
                )
                continue
            user_ids[profile.id] = path.name
        profiles[profile.id] = profile
    return ProfileSet(profiles=profiles, problems=tuple(problems))
