"""Meter profile value types: what a model's registers are and how to talk to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum, StrEnum
from pathlib import Path

from .expression import Expression, Number

READ_COILS = 1
READ_DISCRETE_INPUTS = 2
READ_HOLDING_REGISTERS = 3
READ_INPUT_REGISTERS = 4
WRITE_SINGLE_COIL = 5
WRITE_SINGLE_REGISTER = 6
WRITE_MULTIPLE_REGISTERS = 16

REGISTER_READ_FUNCTIONS = frozenset({READ_HOLDING_REGISTERS, READ_INPUT_REGISTERS})
BIT_READ_FUNCTIONS = frozenset({READ_COILS, READ_DISCRETE_INPUTS})
READ_FUNCTIONS = REGISTER_READ_FUNCTIONS | BIT_READ_FUNCTIONS
WRITE_FUNCTIONS = frozenset({WRITE_SINGLE_COIL, WRITE_SINGLE_REGISTER, WRITE_MULTIPLE_REGISTERS})

# Modbus application protocol limits per request.
MAX_READ_REGISTERS = 125
MAX_READ_BITS = 2000

# `serial`: the serial number the scan read (0 when the profile declares none).
CHECK_NAMES = frozenset({"value", "slave_id", "serial"})
KEY_NAMES = frozenset({"serial"})
RELAY_KEY_WORD = "key"
RELAY_KEY = "relay"
# The reading key of a meter's own fault-code register (see `FaultCode`).
FAULT_KEY = "fault"


class DataType(StrEnum):
    """How the words of a register are interpreted."""

    UINT16 = "uint16"
    INT16 = "int16"
    UINT32 = "uint32"
    INT32 = "int32"
    FLOAT32 = "float32"
    BIT = "bit"

    @property
    def width(self) -> int:
        """Number of 16-bit words (or bits, for BIT) the value occupies."""
        return 2 if self in (DataType.UINT32, DataType.INT32, DataType.FLOAT32) else 1


class WordOrder(StrEnum):
    """Order of the 16-bit words of a 32-bit value (bytes within a word are big-endian)."""

    BIG = "big"
    LITTLE = "little"


class Function(IntEnum):
    """Modbus function codes the profiles use."""

    READ_COILS = READ_COILS
    READ_DISCRETE_INPUTS = READ_DISCRETE_INPUTS
    READ_HOLDING_REGISTERS = READ_HOLDING_REGISTERS
    READ_INPUT_REGISTERS = READ_INPUT_REGISTERS
    WRITE_SINGLE_COIL = WRITE_SINGLE_COIL
    WRITE_SINGLE_REGISTER = WRITE_SINGLE_REGISTER
    WRITE_MULTIPLE_REGISTERS = WRITE_MULTIPLE_REGISTERS


@dataclass(frozen=True, slots=True)
class Register:
    """One measurement the meter exposes."""

    key: str
    function: int
    address: int
    data_type: DataType
    word_order: WordOrder = WordOrder.BIG
    scale: float = 1.0
    unit: str | None = None
    device_class: str | None = None
    state_class: str | None = None
    enabled_by_default: bool = True
    valid_min: float | None = None
    valid_max: float | None = None

    @property
    def count(self) -> int:
        """Words (or bits) occupied on the wire."""
        return self.data_type.width

    @property
    def resolution(self) -> float | None:
        """The smallest step of the value (its scale); None for float registers."""
        return None if self.data_type is DataType.FLOAT32 else self.scale

    @property
    def end(self) -> int:
        """Last address occupied (inclusive)."""
        return self.address + self.count - 1


@dataclass(frozen=True, slots=True)
class Check:
    """An identifying read and the condition its value must satisfy."""

    function: int
    address: int
    data_type: DataType
    word_order: WordOrder
    expression: Expression

    @property
    def count(self) -> int:
        """Words read."""
        return self.data_type.width

    def passes(self, value: Number, slave_id: int, serial: int = 0) -> bool:
        """Whether the value read from this slave satisfies the condition."""
        try:
            return bool(self.expression.evaluate(value=value, slave_id=slave_id, serial=serial))
        except (ArithmeticError, TypeError, ValueError):
            return False


@dataclass(frozen=True, slots=True)
class SerialNumber:
    """Where the meter keeps its serial number."""

    function: int
    address: int
    data_type: DataType
    word_order: WordOrder = WordOrder.BIG

    @property
    def count(self) -> int:
        """Words read."""
        return self.data_type.width


@dataclass(frozen=True, slots=True)
class RelayRead:
    """How the relay state is read back."""

    function: int
    address: int
    on: int
    off: int


@dataclass(frozen=True, slots=True)
class RelayWrite:
    """How the relay is commanded; values may contain the word ``key``."""

    function: int
    address: int
    on: tuple[int | str, ...]
    off: tuple[int | str, ...]


@dataclass(frozen=True, slots=True)
class Relay:
    """A relay (or several channels of a relay board) the meter can switch."""

    read: RelayRead
    write: RelayWrite
    channels: int = 1
    key: Expression | None = None
    settle_ms: int = 100

    def state_key(self, channel: int = 0) -> str:
        """Reading key of a channel's state: ``relay`` or ``relay_<n>`` (1-based)."""
        return RELAY_KEY if self.channels == 1 else f"{RELAY_KEY}_{channel + 1}"

    @property
    def needs_serial(self) -> bool:
        """Whether commands need the meter's serial number (to compute the key)."""
        return self.key is not None

    def write_values(self, on: bool, serial: int | None) -> list[int]:
        """Register values of an on/off command, with the key filled in."""
        template = self.write.on if on else self.write.off
        key = 0
        if self.key is not None:
            if serial is None:
                raise ValueError("this relay needs the meter's serial number")
            key = int(self.key.evaluate(serial=serial)) & 0xFFFF
        return [key if word == RELAY_KEY_WORD else int(word) for word in template]


@dataclass(frozen=True, slots=True)
class FaultCode:
    """A register where the meter reports a fault of its own (0: none), read every cycle.

    `codes` names the documented values (e.g. 1: `relay_cannot_open`); any other non-zero
    value is a fault too, named `code_<n>`.
    """

    function: int
    address: int
    data_type: DataType
    word_order: WordOrder
    codes: tuple[tuple[int, str], ...]  # (value, name) pairs: hashable, like the profile

    @property
    def count(self) -> int:
        """Words read."""
        return self.data_type.width

    def meaning(self, value: float) -> str | None:
        """The fault a raw value reports, None for none."""
        code = int(value)
        if code == 0:
            return None
        return dict(self.codes).get(code, f"code_{code}")


class RecordKind(StrEnum):
    """What a meter's own log records: each kind has its own fixed layout (`words`)."""

    # float32 amount (2 words), then a BCD date-time YY MM DD hh mm ss (3 words).
    RECHARGE = "recharge"
    # The relay action (1 word, raw), then a BCD date-time (3 words).
    RELAY = "relay"

    @property
    def words(self) -> int:
        """Words of one record that carry data (the rest of its `step` is unused)."""
        return 5 if self is RecordKind.RECHARGE else 4


@dataclass(frozen=True, slots=True)
class RecordLog:
    """A log the meter keeps of its own, newest record first at `first`, one record every
    `step` words, `count` records. Never polled: read at start and then rarely (see
    `bus.records`), a few newest records in one read."""

    kind: RecordKind
    function: int
    first: int
    step: int
    count: int
    word_order: WordOrder = WordOrder.BIG

    def span(self, records: int) -> tuple[int, int]:
        """First address and word count of one read of the newest `records` records."""
        records = max(1, min(records, self.count))
        return self.first, (records - 1) * self.step + self.kind.words

    @property
    def last(self) -> int:
        """The last address the log occupies (inclusive)."""
        return self.first + (self.count - 1) * self.step + self.kind.words - 1


@dataclass(frozen=True, slots=True)
class ReadableBlock:
    """A run of addresses the meter answers as one read (no exception 0x02 inside)."""

    function: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Quirks:
    """Bus behaviour that differs between models."""

    write_function: int = WRITE_MULTIPLE_REGISTERS
    id_switch_pause_ms: int = 0
    turnaround_ms: float = 20.0
    max_read_registers: int = MAX_READ_REGISTERS


@dataclass(frozen=True, slots=True)
class Profile:
    """Everything the integration knows about one meter model."""

    id: str
    manufacturer: str
    model: str
    registers: tuple[Register, ...]
    identify: tuple[Check, ...] = ()
    serial: SerialNumber | None = None
    relay: Relay | None = None
    fault: FaultCode | None = None
    readable: tuple[ReadableBlock, ...] = ()
    quirks: Quirks = Quirks()
    max_power_w: float | None = None
    energy_max_kwh: float | None = None
    phases: int = 1
    energy_key: str | None = None
    # Models that look the same on the bus; the scan offers them as alternatives.
    alternatives: tuple[str, ...] = ()
    # The meter's own logs (prepaid meters: recharges, relay actions), read rarely.
    records: tuple[RecordLog, ...] = ()
    source: Path | None = field(default=None, compare=False)
    builtin: bool = field(default=True, compare=False)

    @property
    def energy_modulus_kwh(self) -> Decimal | None:
        """The energy counter's wrap modulus: one count above its largest value.

        `energy_max_kwh` is the largest value the counter shows, written to its last digit
        (429496.7295 for a uint32 of 0.1 Wh); after it the counter reads 0, so a wrap from
        the largest value to 0 is one count (0.0001 kWh there), not zero.
        """
        if self.energy_max_kwh is None:
            return None
        largest = Decimal(str(self.energy_max_kwh))
        exponent = largest.normalize().as_tuple().exponent
        assert isinstance(exponent, int)
        return largest + Decimal(1).scaleb(min(exponent, 0))

    def register(self, key: str) -> Register:
        """The register with this key."""
        for register in self.registers:
            if register.key == key:
                return register
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every reading key: registers, then relay channel states, then the fault code."""
        relay_keys: tuple[str, ...] = ()
        if self.relay is not None:
            relay_keys = tuple(self.relay.state_key(ch) for ch in range(self.relay.channels))
        fault_keys = () if self.fault is None else (FAULT_KEY,)
        return tuple(register.key for register in self.registers) + relay_keys + fault_keys

    @property
    def default_keys(self) -> frozenset[str]:
        """Keys read when nothing else is asked: enabled registers, relay states and the
        fault code."""
        relay_keys = set(self.keys) - {register.key for register in self.registers}
        enabled = {register.key for register in self.registers if register.enabled_by_default}
        return frozenset(enabled | relay_keys)

    def read_span(self, key: str) -> tuple[int, int, int]:
        """Function code, first address and count of the read behind a key."""
        if self.relay is not None:
            for channel in range(self.relay.channels):
                if key == self.relay.state_key(channel):
                    return self.relay.read.function, self.relay.read.address + channel, 1
        if key == FAULT_KEY and self.fault is not None:
            return self.fault.function, self.fault.address, self.fault.count
        register = self.register(key)
        return register.function, register.address, register.count

    def max_read_count(self, function: int) -> int:
        """Largest read this model accepts for a function code."""
        if function in BIT_READ_FUNCTIONS:
            return MAX_READ_BITS
        return min(MAX_READ_REGISTERS, self.quirks.max_read_registers)

    def readable_runs(self, function: int) -> tuple[tuple[int, int], ...]:
        """Maximal address runs (inclusive) readable in one request for a function code.

        Declared blocks win; without blocks only the declared spans are trusted, so reads
        never cross addresses the meter might reject with exception 0x02.
        """
        spans = [(b.start, b.end) for b in self.readable if b.function == function]
        if not spans:
            spans = [
                (address, address + count - 1)
                for fc, address, count in self._declared_spans()
                if fc == function
            ]
        runs: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if runs and start <= runs[-1][1] + 1:
                runs[-1] = (runs[-1][0], max(runs[-1][1], end))
            else:
                runs.append((start, end))
        return tuple(runs)

    def is_readable(self, function: int, start: int, end: int) -> bool:
        """Whether [start, end] can be read in one request without an exception."""
        return any(lo <= start and end <= hi for lo, hi in self.readable_runs(function))

    def _declared_spans(self) -> list[tuple[int, int, int]]:
        spans = [self.read_span(key) for key in self.keys]
        spans.extend((c.function, c.address, c.count) for c in self.identify)
        if self.serial is not None:
            spans.append((self.serial.function, self.serial.address, self.serial.count))
        return spans
