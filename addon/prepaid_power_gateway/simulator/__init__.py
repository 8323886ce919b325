"""The building simulator: a virtual RS485 bus of meters of real models and relay boards.

Meters integrate energy from a seeded load profile against a simulated clock; an open relay
(the meter's own, or the relay-board channel wired to its room) makes power 0 and stops the
energy registers. Requests are answered from the model's register tables (see `models`),
with the model's quirks and any injected faults.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
import math
import random
import struct
import time
from typing import Any

from prepaid_power_gateway.building import (
    SLOT_SECONDS,
    BoardChannel,
    BuildingConfig,
    Faults,
    MeterConfig,
    Profile,
    RelayBoardConfig,
)
from prepaid_power_gateway.modbus import ExceptionCode, exception_pdu, pack_registers, wire_time
from prepaid_power_gateway.models import (
    RELAY_BOARD,
    RELAY_BOARD_TURNAROUND_MS,
    SDM_PREPAID_RECORDS,
    Encoding,
    ModelSpec,
    WriteAction,
    bcd_time,
)

MAX_READ_REGISTERS = 125
MAX_READ_COILS = 2000


class SimClock:
    """Simulated time: runs `time_scale` x real time and can be advanced by hand."""

    def __init__(self, start: float, time_scale: float = 1.0) -> None:
        self.start = start
        self.time_scale = time_scale
        self._mono0 = time.monotonic()
        self._offset = 0.0

    def now(self) -> float:
        """Simulated POSIX time."""
        return self.start + (time.monotonic() - self._mono0) * self.time_scale + self._offset

    def elapsed(self) -> float:
        """Simulated seconds since the simulation started."""
        return self.now() - self.start

    def advance(self, seconds: float) -> None:
        """Jump forward (tests and demos)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds


def _mix(*values: int) -> float:
    """Deterministic uniform [0, 1) from integers (splitmix64)."""
    x = 0x9E3779B97F4A7C15
    for value in values:
        x = (x ^ (value & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 31
    return (x >> 11) / float(1 << 53)


_M64 = 0xFFFFFFFFFFFFFFFF
_GOLDEN = 0x9E3779B97F4A7C15


def _mix_int(x: int) -> int:
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & _M64
    x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _M64
    return x ^ (x >> 31)


def _slots_energy(profile: Profile, seed: int, first: int, last: int) -> float:
    """Energy (W x slots) of slots first..last-1: the inner loop of energy integration."""
    appliances = [(a.power_w, [a.duty * r for r in a.rhythm]) for a in profile.appliances]
    base = profile.base_w
    scale = 1.0 / float(1 << 53)
    slots_per_hour = 3600 / SLOT_SECONDS
    seed_state = _mix_int(seed & _M64)
    total = 0.0
    for slot in range(first, last):
        state = (seed_state + slot * _GOLDEN) & _M64
        power = base * (0.9 + 0.2 * (_mix_int(state) >> 11) * scale)
        hour = int(slot // slots_per_hour) % 24
        for power_w, chances in appliances:
            state = (state + _GOLDEN) & _M64
            if (_mix_int(state) >> 11) * scale < chances[hour]:
                power += power_w
        total += power
    return total


def profile_power(profile: Profile, seed: int, slot: int) -> float:
    """The load (W) of a profile in one time slot; the same seed and slot give the same load."""
    return _slots_energy(profile, seed, slot, slot + 1)


class RelayIoKind(Enum):
    """What reached (or failed to reach) a device with relays."""

    COMMAND = "command"  # a relay command (it switched the relay)
    READ = "read"  # a read of the relay's state
    LOST = "lost"  # any request the device never answered: the master learnt nothing


@dataclass(frozen=True, slots=True)
class RelayIo:
    """One entry of `Simulator.relay_log`: relay commands and reads as the bus saw them.

    `clean` is False when the device's reply was corrupted on the way back: a command then
    still switched the relay, but the master did not learn of it. A `LOST` entry has no
    channel (`None`: it concerns every relay of the device) and no state.
    """

    at: float  # simulated POSIX time
    slave: int
    channel: int | None  # 0 for a meter's own relay
    kind: RelayIoKind
    on: bool | None  # the state commanded, or the state read
    clean: bool


class ReplyKind(Enum):
    """How a simulated device reacts to a request."""

    ANSWER = "answer"
    SILENT = "silent"  # no reply at all: the master times out
    CORRUPT = "corrupt"  # a reply whose CRC is wrong


@dataclass(frozen=True, slots=True)
class SimReply:
    """A simulated device's reaction; `delay` is the emulated wire time + turnaround."""

    kind: ReplyKind
    pdu: bytes = b""
    delay: float = 0.0


def _encode(value: float, encoding: Encoding, factor: float) -> list[int]:
    raw = value * factor
    if encoding is Encoding.F32:
        packed = struct.pack(">f", raw)
        return [int.from_bytes(packed[:2], "big"), int.from_bytes(packed[2:], "big")]
    number = round(raw) if math.isfinite(raw) else 0
    if encoding is Encoding.U16:
        return [min(max(number, 0), 0xFFFF)]
    if encoding is Encoding.I16:
        return [min(max(number, -0x8000), 0x7FFF) & 0xFFFF]
    if encoding in (Encoding.U32, Encoding.U32_LE):
        number = min(max(number, 0), 0xFFFFFFFF)
        words = [number >> 16, number & 0xFFFF]
        return words[::-1] if encoding is Encoding.U32_LE else words
    number = min(max(number, -0x80000000), 0x7FFFFFFF) & 0xFFFFFFFF
    if encoding is Encoding.I32_LE:
        return [number & 0xFFFF, number >> 16]
    return [number >> 16, number & 0xFFFF]


def _decode(words: list[int], encoding: Encoding) -> float:
    if encoding is Encoding.F32:
        return float(struct.unpack(">f", pack_registers(words))[0])
    if encoding is Encoding.U16:
        return float(words[0])
    if encoding is Encoding.I16:
        return float(words[0] - 0x10000 if words[0] & 0x8000 else words[0])
    little = encoding in (Encoding.I32_LE, Encoding.U32_LE)
    number = (words[1] << 16 | words[0]) if little else (words[0] << 16 | words[1])
    if encoding not in (Encoding.U32, Encoding.U32_LE) and number & 0x80000000:
        number -= 1 << 32
    return float(number)


class Device:
    """Something with a slave id on the simulated bus."""

    slave: int
    faults: Faults
    turnaround_ms: float
    requests: int

    def __init__(self, slave: int, faults: Faults, seed: int, turnaround_ms: float) -> None:
        self.slave = slave
        self.faults = faults
        self.turnaround_ms = turnaround_ms
        self.requests = 0
        self._rng = random.Random(seed)

    def set_faults(self, **changes: Any) -> None:
        """Change fault injection, e.g. `set_faults(timeout_rate=0.5, offline=False)`."""
        self.faults = replace(self.faults, **changes)

    def fault_reply(self, elapsed: float) -> ReplyKind | None:
        """The injected fault for this request, if any."""
        faults = self.faults
        if faults.offline or any(w.start <= elapsed < w.end for w in faults.offline_windows):
            return ReplyKind.SILENT
        if faults.timeout_rate and self._rng.random() < faults.timeout_rate:
            return ReplyKind.SILENT
        if faults.crc_rate and self._rng.random() < faults.crc_rate:
            return ReplyKind.CORRUPT
        return None

    def handle(self, pdu: bytes) -> bytes | None:
        """Answer a request PDU (None: the device stays silent)."""
        raise NotImplementedError


class VirtualMeter(Device):
    """One simulated meter."""

    def __init__(self, config: MeterConfig, clock: SimClock, bus: Simulator) -> None:
        super().__init__(config.slave, config.faults, config.seed, config.model.turnaround_ms)
        self.config = config
        self.model: ModelSpec = config.model
        self.room = config.room
        self.serial = config.serial
        self.supply: BoardChannel | None = config.supply
        self.load_w: float | None = config.load_w
        self._clock = clock
        self._bus = bus
        self._relay = config.relay_on if self.model.has_relay else True
        self._import_kwh = config.energy_kwh
        self._export_kwh = 0.0
        self._updated = clock.now()
        self._stored: dict[str, float] = dict(self.model.extra)
        self._resets_done = 0
        self.relay_commands = 0
        # A house meter's own energy (its load and `set_loss`), beside the meters it feeds.
        self._own_kwh = config.energy_kwh

    # --- simulated physics -------------------------------------------------------------

    @property
    def relay_on(self) -> bool | None:
        """The meter's own relay (None when the model has none)."""
        return self._relay if self.model.has_relay else None

    @property
    def supply_on(self) -> bool:
        """Whether the room has power (own relay closed and board channel on)."""
        if self.supply is not None and not self._bus.channel_on(self.supply):
            return False
        return self._relay

    def power_at(self, moment: float) -> float:
        """Load (W) at a simulated time, 0 when the supply is off."""
        if not self.supply_on:
            return 0.0
        if self.config.feeds:
            fed = sum(self._bus.meters[slave].power_at(moment) for slave in self.config.feeds)
            return fed + (self.load_w or 0.0)
        if self.load_w is not None:
            return self.load_w
        return profile_power(self.config.profile, self.config.seed, int(moment // SLOT_SECONDS))

    def update(self) -> None:
        """Integrate energy up to now (called before anything that changes power)."""
        if self.config.feeds:
            self._update_house()
            return
        now = self._clock.now()
        start = self._updated
        if now <= start:
            return
        self._updated = now
        due = [t for t in self.faults.counter_reset_at if self._clock.start + t <= now]
        if len(due) > self._resets_done:
            reset_at = self._clock.start + max(due)
            self._resets_done = len(due)
            self._import_kwh = self._export_kwh = 0.0
            start = max(start, reset_at)
        if not self.supply_on:
            return
        if self.load_w is not None:
            self._import_kwh += self.load_w * (now - start) / 3_600_000.0
            return
        profile, seed = self.config.profile, self.config.seed
        first, last = int(start // SLOT_SECONDS), int(now // SLOT_SECONDS)
        if first == last:
            energy_ws = profile_power(profile, seed, first) * (now - start)
        else:
            energy_ws = profile_power(profile, seed, first) * ((first + 1) * SLOT_SECONDS - start)
            energy_ws += _slots_energy(profile, seed, first + 1, last) * SLOT_SECONDS
            energy_ws += profile_power(profile, seed, last) * (now - last * SLOT_SECONDS)
        self._import_kwh += energy_ws / 3_600_000.0

    def _update_house(self) -> None:
        """A house meter counts the energy of the meters it feeds plus its own."""
        now = self._clock.now()
        if now > self._updated:
            self._own_kwh += (self.load_w or 0.0) * (now - self._updated) / 3_600_000.0
            self._updated = now
        fed = sum(self._bus.meters[slave].energy_kwh for slave in self.config.feeds)
        self._import_kwh = self._own_kwh + fed

    def set_loss(self, kwh: float) -> None:
        """Add energy a house meter counts that none of the meters behind it does."""
        if not self.config.feeds:
            raise ValueError("not a house meter: it feeds no meters")
        self.update()
        self._own_kwh += kwh

    @property
    def power_w(self) -> float:
        """Current load (W)."""
        return self.power_at(self._clock.now())

    @property
    def energy_kwh(self) -> float:
        """Imported energy (kWh) as the meter counts it."""
        self.update()
        return self._import_kwh

    @property
    def voltage_v(self) -> float:
        """Voltage (V) as the meter presents it now."""
        return self.quantities()["voltage"]

    @property
    def current_a(self) -> float:
        """Current (A) as the meter presents it now."""
        return self.quantities()["current"]

    @property
    def power_factor(self) -> float:
        """Power factor as the meter presents it now."""
        return self.quantities()["pf"]

    @property
    def frequency_hz(self) -> float:
        """Frequency (Hz) as the meter presents it now."""
        return self.quantities()["frequency"]

    def set_relay(self, on: bool) -> None:
        """Switch the meter's own relay (direct control, ignores fault injection)."""
        if not self.model.has_relay:
            raise ValueError(f"{self.model.name} has no relay")
        self.update()
        self._relay = on

    def log_recharge(self, amount: float, at: datetime) -> None:
        """A recharge the meter records in its own log (SDM320Y/SDM530Y): newest first."""
        self._log("recharge", {"amount": amount}, at)

    def log_relay_action(self, action: int, at: datetime) -> None:
        """A relay record in the meter's own log (action word: 0xFF00 or 0x0000)."""
        self._log("relay_log", {"action": float(action)}, at)

    def _log(self, log: str, values: dict[str, float], at: datetime) -> None:
        newest = SDM_PREPAID_RECORDS
        for n in range(newest, 1, -1):  # shift the kept records one place older
            for key in [*values, "t0", "t1", "t2"]:
                older = self._stored.get(f"{log}_{n - 1}_{key}")
                if older is not None:
                    self._stored[f"{log}_{n}_{key}"] = older
        for key, value in values.items():
            self._stored[f"{log}_1_{key}"] = value
        for i, word in enumerate(bcd_time(at)):
            self._stored[f"{log}_1_t{i}"] = float(word)

    def set_load(self, watts: float | None) -> None:
        """Fix the load (W), or None to follow the profile again."""
        self.update()
        self.load_w = watts

    def reset_counter(self, energy_kwh: float = 0.0) -> None:
        """Counter reset (or meter replaced): the import counter restarts from `energy_kwh`
        (a replacement meter's own reading), the export counter from 0."""
        self.update()
        self._import_kwh, self._export_kwh = energy_kwh, 0.0

    def presented(self, quantity: str) -> float:
        """A quantity as the model's registers present it now: its encoding's resolution and
        rounding, decoded again (what a master reading the first register holding it gets)."""
        values = self.quantities()
        for function in (0x03, 0x04):
            table = self.model.table(function)
            for item in table.fields if table is not None else ():
                if item.quantity == quantity:
                    words = _encode(values[quantity], item.encoding, item.factor)
                    return _decode(words, item.encoding) / item.factor
        raise KeyError(f"{self.model.name} presents no {quantity}")

    def quantities(self) -> dict[str, float]:
        """Every quantity the register tables can present, now."""
        self.update()
        now = self._clock.now()
        slot = int(now // SLOT_SECONDS)
        seed = self.config.seed
        power = self.power_at(now)
        voltage = 228.0 + 6.0 * _mix(seed, slot, 1)
        pf = 0.93 + 0.05 * _mix(seed, slot, 2) if power > 0 else 1.0
        current = power / (voltage * pf)
        values = {
            "voltage": voltage,
            "current": current,
            "power": power,
            "pf": pf,
            "frequency": 49.98 + 0.04 * _mix(seed, slot, 3),
            "import_kwh": self._import_kwh,
            "export_kwh": self._export_kwh,
            "total_kwh": self._import_kwh + self._export_kwh,
            "tariff_1_kwh": self._import_kwh,
            "serial": float(self.serial),
            "model_code": float(self.model.model_code or 0),
            "slave_id": float(self.slave),
            "id_baud": float(self.slave << 8 | 1),
            "relay": float(self.model.relay_on if self._relay else self.model.relay_off),
            "fault_code": 1.0 if self.faults.relay_cannot_open else 0.0,
        }
        for phase, share in ((1, 0.5), (2, 0.3), (3, 0.2)):
            phase_voltage = voltage + 2.0 * (phase - 2)
            phase_power = (
                power * share if self.model.phases == 3 else (power if phase == 1 else 0.0)
            )
            values[f"voltage_l{phase}"] = phase_voltage
            values[f"power_l{phase}"] = phase_power
            values[f"current_l{phase}"] = phase_power / (phase_voltage * pf)
        values.update(self._stored)
        return values

    # --- Modbus --------------------------------------------------------------------------

    def fineco_key(self) -> int:
        """The key a Fineco relay command must carry."""
        return ((self.serial >> 24) + (self.serial >> 8)) & 0x1234

    def handle(self, pdu: bytes) -> bytes | None:
        """Answer a request PDU from the model's tables."""
        function = pdu[0]
        if function in self.model.silent_functions:
            return None
        if function not in self.model.functions:
            return exception_pdu(function, ExceptionCode.ILLEGAL_FUNCTION)
        if function in (0x03, 0x04):
            return self._read(pdu)
        if function == 0x10:
            return self._write_multiple(pdu)
        return exception_pdu(function, ExceptionCode.ILLEGAL_FUNCTION)

    def _read(self, pdu: bytes) -> bytes:
        function = pdu[0]
        if len(pdu) != 5:
            return exception_pdu(function, ExceptionCode.ILLEGAL_DATA_VALUE)
        address, count = struct.unpack(">HH", pdu[1:5])
        table = self.model.table(function)
        if table is None:
            return exception_pdu(function, ExceptionCode.ILLEGAL_FUNCTION)
        if not 1 <= count <= MAX_READ_REGISTERS:
            return exception_pdu(function, ExceptionCode.ILLEGAL_DATA_VALUE)
        end = address + count
        if not any(start <= address and end <= stop for start, stop in table.blocks):
            return exception_pdu(function, ExceptionCode(self.faults.outside_exception))
        if any(
            fc == function and first < end and address <= last
            for fc, first, last in self.faults.refused_reads
        ):
            return exception_pdu(function, ExceptionCode.ILLEGAL_DATA_ADDRESS)
        values = self.quantities()
        if self.model.has_relay and any(
            item.quantity == "relay" and address <= item.address < end for item in table.fields
        ):
            self._bus.log_relay(self.slave, 0, RelayIoKind.READ, self._relay)
        words: dict[int, int] = {}
        for item in table.fields:
            if item.address < end and item.address + item.encoding.words > address:
                for offset, word in enumerate(
                    _encode(values.get(item.quantity, 0.0), item.encoding, item.factor)
                ):
                    words[item.address + offset] = word
        data = pack_registers([words.get(a, 0) for a in range(address, end)])
        return bytes([function, len(data)]) + data

    def _write_multiple(self, pdu: bytes) -> bytes:
        if len(pdu) < 6:
            return exception_pdu(0x10, ExceptionCode.ILLEGAL_DATA_VALUE)
        address, count, size = struct.unpack(">HHB", pdu[1:6])
        payload = pdu[6:]
        if not 1 <= count <= 123 or size != 2 * count or len(payload) != size:
            return exception_pdu(0x10, ExceptionCode.ILLEGAL_DATA_VALUE)
        values = [int.from_bytes(payload[i : i + 2], "big") for i in range(0, size, 2)]
        rule = next(
            (w for w in self.model.writes if w.function == 0x10 and w.address == address),
            None,
        )
        if rule is None or rule.count != count:
            return exception_pdu(0x10, ExceptionCode.ILLEGAL_DATA_ADDRESS)
        error = self._apply(rule.action, values, rule.quantity, rule.encoding)
        if error is not None:
            return exception_pdu(0x10, error)
        return pdu[:5]

    def _apply(
        self, action: WriteAction, values: list[int], quantity: str, encoding: Encoding
    ) -> ExceptionCode | None:
        if action is WriteAction.RELAY:
            if values[0] not in (self.model.relay_on, self.model.relay_off):
                return ExceptionCode.ILLEGAL_DATA_VALUE
            self._command_relay(values[0] == self.model.relay_on)
        elif action is WriteAction.FINECO_RELAY:
            key, state = values
            if key != self.fineco_key() or state not in (0x5555, 0xAAAA, 0x8888):
                return ExceptionCode.ILLEGAL_DATA_VALUE
            self._command_relay(state != 0xAAAA)
        elif action is WriteAction.CLEAR_ENERGY:
            if any(values):
                return ExceptionCode.ILLEGAL_DATA_VALUE
            self.reset_counter()
        else:
            self._stored[quantity] = _decode(values, encoding)
        return None

    def _command_relay(self, on: bool) -> None:
        self.relay_commands += 1
        self._bus.log_relay(self.slave, 0, RelayIoKind.COMMAND, on)
        if not self.faults.relay_ignores_commands:
            self.set_relay(on)

    def snapshot(self) -> dict[str, Any]:
        """State for the status page and the simulator API."""
        faults = self.faults
        return {
            "slave": self.slave,
            "kind": "meter",
            "model": self.model.name,
            "room": self.room,
            "serial": self.serial,
            "power_w": round(self.power_w, 1),
            "energy_kwh": round(self.energy_kwh, 4),
            "relay": self.relay_on,
            "supply_on": self.supply_on,
            "supply": (
                {"board": self.supply.board, "channel": self.supply.channel}
                if self.supply
                else ("relay" if self.model.has_relay else None)
            ),
            "load_w": self.load_w,
            "requests": self.requests,
            "relay_commands": self.relay_commands,
            "faults": {
                "offline": faults.offline,
                "timeout_rate": faults.timeout_rate,
                "crc_rate": faults.crc_rate,
                "relay_ignores_commands": faults.relay_ignores_commands,
                "offline_windows": [[w.start, w.end] for w in faults.offline_windows],
            },
        }


class RelayBoard(Device):
    """A Modbus relay board: channels as coils (read 01, write 05 / 15)."""

    def __init__(self, config: RelayBoardConfig, bus: Simulator) -> None:
        super().__init__(
            config.slave, config.faults, config.slave * 7919, RELAY_BOARD_TURNAROUND_MS
        )
        self.config = config
        self.channels = [True] * config.channels
        self._bus = bus

    def set_channel(self, channel: int, on: bool) -> None:
        """Switch one channel, integrating the energy of the rooms it feeds first."""
        if self.channels[channel] != on:
            self._bus.before_channel_change(self.slave, channel)
            self.channels[channel] = on

    def handle(self, pdu: bytes) -> bytes | None:
        """Answer coil requests."""
        function = pdu[0]
        if function not in (0x01, 0x05, 0x0F):
            return exception_pdu(function, ExceptionCode.ILLEGAL_FUNCTION)
        if len(pdu) < 5:
            return exception_pdu(function, ExceptionCode.ILLEGAL_DATA_VALUE)
        address, value = struct.unpack(">HH", pdu[1:5])
        if function == 0x01:
            if not 1 <= value <= MAX_READ_COILS:
                return exception_pdu(function, ExceptionCode.ILLEGAL_DATA_VALUE)
            if address + value > len(self.channels):
                return exception_pdu(function, ExceptionCode.ILLEGAL_DATA_ADDRESS)
            packed = bytearray((value + 7) // 8)
            for i in range(value):
                self._bus.log_relay(
                    self.slave, address + i, RelayIoKind.READ, self.channels[address + i]
                )
                if self.channels[address + i]:
                    packed[i // 8] |= 1 << (i % 8)
            return bytes([function, len(packed)]) + bytes(packed)
        if function == 0x05:
            if value not in (0xFF00, 0x0000):
                return exception_pdu(function, ExceptionCode.ILLEGAL_DATA_VALUE)
            if address >= len(self.channels):
                return exception_pdu(function, ExceptionCode.ILLEGAL_DATA_ADDRESS)
            self._command(address, value == 0xFF00)
            return pdu[:5]
        size = pdu[5] if len(pdu) > 5 else -1
        if not 1 <= value <= 1968 or size != (value + 7) // 8 or len(pdu) != 6 + size:
            return exception_pdu(function, ExceptionCode.ILLEGAL_DATA_VALUE)
        if address + value > len(self.channels):
            return exception_pdu(function, ExceptionCode.ILLEGAL_DATA_ADDRESS)
        for i in range(value):
            self._command(address + i, bool(pdu[6 + i // 8] >> (i % 8) & 1))
        return pdu[:5]

    def _command(self, channel: int, on: bool) -> None:
        self._bus.log_relay(self.slave, channel, RelayIoKind.COMMAND, on)
        self.set_channel(channel, on)

    def snapshot(self) -> dict[str, Any]:
        """State for the status page and the simulator API."""
        return {
            "slave": self.slave,
            "kind": RELAY_BOARD,
            "name": self.config.name,
            "channels": list(self.channels),
            "requests": self.requests,
            "faults": {
                "offline": self.faults.offline,
                "timeout_rate": self.faults.timeout_rate,
                "crc_rate": self.faults.crc_rate,
            },
        }


@dataclass(frozen=True, slots=True)
class WireTiming:
    """Wire-time emulation settings (None in `Simulator.wire` disables it)."""

    char_seconds: float


class Simulator:
    """A virtual RS485 bus holding a building's meters and relay boards."""

    def __init__(
        self,
        building: BuildingConfig,
        time_scale: float = 1.0,
        wire: WireTiming | None = None,
        clock: SimClock | None = None,
    ) -> None:
        self.building = building
        self.clock = clock or SimClock(building.start, time_scale)
        self.wire = wire
        self.boards: dict[int, RelayBoard] = {
            b.slave: RelayBoard(b, self) for b in building.relay_boards
        }
        self.meters: dict[int, VirtualMeter] = {}
        self.meters = {m.slave: VirtualMeter(m, self.clock, self) for m in building.meters}
        self.devices: dict[int, Device] = {**self.boards, **self.meters}
        # Every relay command and relay read that reaches a device, when set to a list.
        self.relay_log: list[RelayIo] | None = None
        self._reply_clean = True

    def meter(self, slave: int) -> VirtualMeter:
        """The meter with this slave id (KeyError if none)."""
        return self.meters[slave]

    def board(self, slave: int) -> RelayBoard:
        """The relay board with this slave id (KeyError if none)."""
        return self.boards[slave]

    def channel_on(self, channel: BoardChannel) -> bool:
        """State of a relay-board channel."""
        return self.boards[channel.board].channels[channel.channel]

    def log_relay(
        self, slave: int, channel: int | None, kind: RelayIoKind, on: bool | None
    ) -> None:
        """Note a relay command or read of the transaction being answered."""
        if self.relay_log is not None:
            self.relay_log.append(
                RelayIo(self.clock.now(), slave, channel, kind, on, self._reply_clean)
            )

    def before_channel_change(self, board: int, channel: int) -> None:
        """Integrate energy of the meters fed by a channel before it switches."""
        for meter in self.meters.values():
            if meter.supply == BoardChannel(board, channel):
                meter.update()

    def _hears(self, device: Device) -> bool:
        """Whether a device understands the bus: a meter set to another framing does not."""
        parity = self.building.parity
        return (
            parity is None
            or not isinstance(device, VirtualMeter)
            or (device.config.parity == parity)
        )

    def handle(self, unit: int, pdu: bytes, request_bytes: int | None = None) -> SimReply:
        """One bus transaction: what the addressed device answers, and after how long."""
        if not pdu:
            return SimReply(ReplyKind.SILENT)
        if unit == 0:
            self._reply_clean = False  # a broadcast is never answered
            for each in self.devices.values():
                if self._hears(each):
                    each.handle(pdu)
            return SimReply(ReplyKind.SILENT)
        device = self.devices.get(unit)
        if device is None or not self._hears(device):
            return SimReply(ReplyKind.SILENT)
        device.requests += 1
        fault = device.fault_reply(self.clock.elapsed())
        if fault is ReplyKind.SILENT:
            if isinstance(device, RelayBoard) or (
                isinstance(device, VirtualMeter) and device.model.has_relay
            ):
                self._reply_clean = False
                self.log_relay(unit, None, RelayIoKind.LOST, None)
            return SimReply(ReplyKind.SILENT)
        self._reply_clean = fault is None
        answer = device.handle(pdu)
        if answer is None:
            return SimReply(ReplyKind.SILENT)
        delay = 0.0
        if self.wire is not None:
            sent = request_bytes if request_bytes is not None else len(pdu) + 3
            delay = wire_time(sent, len(answer) + 3, self.wire.char_seconds)
            delay += device.turnaround_ms / 1000.0
        return SimReply(fault or ReplyKind.ANSWER, answer, delay)

    def snapshot(self) -> dict[str, Any]:
        """The whole bus for the simulator API."""
        return {
            "building": self.building.name,
            "time": self.clock.now(),
            "elapsed": self.clock.elapsed(),
            "time_scale": self.clock.time_scale,
            "wire_time": self.wire is not None,
            "meters": [m.snapshot() for m in self.meters.values()],
            "relay_boards": [b.snapshot() for b in self.boards.values()],
        }


__all__ = [
    "RelayIo",
    "RelayIoKind",
    "ReplyKind",
    "SimClock",
    "SimReply",
    "Simulator",
    "VirtualMeter",
    "WireTiming",
    "profile_power",
]
