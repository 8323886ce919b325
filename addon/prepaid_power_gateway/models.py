"""Register maps of the simulated meter models, as data (from METERS.md).

Each model is one `ModelSpec`: tables of readable registers per function code (a field maps an
address to a simulated quantity with its encoding and scale), write rules per function code
and address, and the model's quirks. Fixing a map is a data edit here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Encoding(StrEnum):
    """How a quantity sits in registers (32-bit values high word first unless `_LE`)."""

    U16 = "u16"
    I16 = "i16"
    U32 = "u32"
    I32 = "i32"
    I32_LE = "i32le"
    U32_LE = "u32le"
    F32 = "f32"

    @property
    def words(self) -> int:
        """Number of 16-bit registers."""
        return 1 if self in (Encoding.U16, Encoding.I16) else 2


class WriteAction(StrEnum):
    """What a write rule does to the simulated meter."""

    RELAY = "relay"  # one register, relay_on / relay_off values
    FINECO_RELAY = "fineco_relay"  # two registers [key, state]
    CLEAR_ENERGY = "clear_energy"  # writing 0 clears the energy counters
    STORE = "store"  # the written value is kept and read back


@dataclass(frozen=True, slots=True)
class Field:
    """One quantity at one address: raw = quantity value x factor."""

    address: int
    quantity: str
    encoding: Encoding
    factor: float = 1.0


@dataclass(frozen=True, slots=True)
class RegisterTable:
    """Registers readable with one function code.

    `blocks` are the [start, end) ranges the meter answers; registers inside a block that no
    field covers read 0, a read that leaves every block gets exception 0x02.
    """

    function: int
    blocks: tuple[tuple[int, int], ...]
    fields: tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class WriteRule:
    """A write the meter accepts: function, first address, register count, action."""

    function: int
    address: int
    count: int
    action: WriteAction
    quantity: str = ""
    encoding: Encoding = Encoding.U16


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One meter model as the simulator presents it on the bus."""

    name: str
    manufacturer: str
    phases: int
    tables: tuple[RegisterTable, ...]
    writes: tuple[WriteRule, ...] = ()
    has_relay: bool = False
    relay_on: int = 1
    relay_off: int = 0
    silent_functions: frozenset[int] = frozenset()  # requests the meter never answers
    model_code: int | None = None
    turnaround_ms: float = 5.0
    parity: str = "N"
    aliases: tuple[str, ...] = ()
    notes: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def functions(self) -> frozenset[int]:
        """Function codes the model answers (others get exception 0x01)."""
        return frozenset(t.function for t in self.tables) | frozenset(
            w.function for w in self.writes
        )

    def table(self, function: int) -> RegisterTable | None:
        """The register table read with this function code."""
        for table in self.tables:
            if table.function == function:
                return table
        return None


F32, U16, I16, U32, I32 = Encoding.F32, Encoding.U16, Encoding.I16, Encoding.U32, Encoding.I32
I32_LE, U32_LE = Encoding.I32_LE, Encoding.U32_LE

_SDM_1PHASE_INPUT = RegisterTable(
    0x04,
    ((0x0000, 0x004C), (0x0156, 0x0158)),
    (
        Field(0x0000, "voltage", F32),
        Field(0x0006, "current", F32),
        Field(0x000C, "power", F32),
        Field(0x001E, "pf", F32),
        Field(0x0046, "frequency", F32),
        Field(0x0048, "import_kwh", F32),
        Field(0x004A, "export_kwh", F32),
        Field(0x0156, "total_kwh", F32),
    ),
)

_SDM_HOLDING = RegisterTable(
    0x03,
    ((0x0012, 0x001E), (0xFC00, 0xFC04)),
    (
        Field(0x0014, "slave_id", F32),
        Field(0x001C, "baud_code", F32),
        Field(0xFC00, "serial", U32),
        Field(0xFC02, "model_code", U16),
    ),
)

_SDM_WRITES = (
    WriteRule(0x10, 0x0014, 2, WriteAction.STORE, "slave_id", F32),
    WriteRule(0x10, 0x001C, 2, WriteAction.STORE, "baud_code", F32),
)


def _eastron(
    name: str,
    phases: int,
    input_table: RegisterTable,
    code: int,
    *,
    aliases: tuple[str, ...] = (),
    notes: str = "",
) -> ModelSpec:
    """An Eastron meter with the common holding registers (settings, serial, model code)."""
    return ModelSpec(
        name=name,
        manufacturer="Eastron",
        phases=phases,
        tables=(input_table, _SDM_HOLDING),
        writes=_SDM_WRITES,
        model_code=code,
        turnaround_ms=20.0,
        aliases=aliases,
        extra={"baud_code": 2.0},
        notes=notes,
    )


def _sdm_1phase(name: str, code: int) -> ModelSpec:
    return _eastron(
        name,
        1,
        _SDM_1PHASE_INPUT,
        code,
        notes="Needs a pause after the bus addressed another slave.",
    )


SDM630 = _eastron(
    "SDM630",
    3,
    RegisterTable(
        0x04,
        ((0x0000, 0x004A), (0x0156, 0x0158)),
        (
            Field(0x0000, "voltage_l1", F32),
            Field(0x0002, "voltage_l2", F32),
            Field(0x0004, "voltage_l3", F32),
            Field(0x0006, "current_l1", F32),
            Field(0x0008, "current_l2", F32),
            Field(0x000A, "current_l3", F32),
            Field(0x000C, "power_l1", F32),
            Field(0x000E, "power_l2", F32),
            Field(0x0010, "power_l3", F32),
            Field(0x0034, "power", F32),
            Field(0x003E, "pf", F32),
            Field(0x0046, "frequency", F32),
            Field(0x0048, "import_kwh", F32),
            Field(0x0156, "total_kwh", F32),
        ),
    ),
    0x70,
)

# Eastron SDM72D-M, first version: only total power and the energy counters (ESPEasy P078's
# table from reaper7's SDM library), model code 0x0084 (Tinkerforge's EVSE 2.0 meter driver).
SDM72D_M = _eastron(
    "SDM72D-M",
    3,
    RegisterTable(
        0x04,
        ((0x0034, 0x0036), (0x0048, 0x004C), (0x0156, 0x0158)),
        (
            Field(0x0034, "power", F32),
            Field(0x0048, "import_kwh", F32),
            Field(0x004A, "export_kwh", F32),
            Field(0x0156, "total_kwh", F32),
        ),
    ),
    0x84,
    aliases=("SDM72 V1", "SDM72D"),
    notes="No voltage, current or frequency registers.",
)

_SDM72_V2_INPUT = RegisterTable(
    0x04,
    ((0x0000, 0x0024), (0x0034, 0x0036), (0x003E, 0x0040), (0x0046, 0x004C), (0x0156, 0x0158)),
    (
        Field(0x0000, "voltage_l1", F32),
        Field(0x0002, "voltage_l2", F32),
        Field(0x0004, "voltage_l3", F32),
        Field(0x0006, "current_l1", F32),
        Field(0x0008, "current_l2", F32),
        Field(0x000A, "current_l3", F32),
        Field(0x000C, "power_l1", F32),
        Field(0x000E, "power_l2", F32),
        Field(0x0010, "power_l3", F32),
        Field(0x001E, "pf", F32),
        Field(0x0020, "pf", F32),
        Field(0x0022, "pf", F32),
        Field(0x0034, "power", F32),
        Field(0x003E, "pf", F32),
        Field(0x0046, "frequency", F32),
        Field(0x0048, "import_kwh", F32),
        Field(0x004A, "export_kwh", F32),
        Field(0x0156, "total_kwh", F32),
    ),
)


def _sdm72_v2(name: str, code: int, aliases: tuple[str, ...]) -> ModelSpec:
    return _eastron(
        name,
        3,
        _SDM72_V2_INPUT,
        code,
        aliases=aliases,
        notes="SDM72 V2: 0x0089 (MID SDM72D-M-2) or 0x0087 (SDM72D-2) at 0xFC02.",
    )


# Eastron's prepaid meters SDM320Y (1-phase) and SDM530Y (3-phase), from their user manuals
# (06-2018 V1.0): the documented registers only. Input 0x0156 (30343) is read in the manuals'
# example; the holding registers carry the meter's fault code (0xFBFE: 1 = relay cannot
# open), serial number, unit price, two alarm levels and the emergency amount (floats, in the
# meter's currency). No model code is documented: the two answer alike.
# The logs: a recharge record every 10 registers from 0x050A (49), a relay record every 8
# from 0x0700 (50), newest first; each time is BCD YY MM DD hh mm ss in 3 registers. The
# simulator keeps the newest `SDM_PREPAID_RECORDS` of each (quantities
# `recharge_<n>_amount`, `recharge_<n>_t<i>`, `relay_log_<n>_action`, `relay_log_<n>_t<i>`,
# see `VirtualMeter.log_recharge` / `log_relay_action`); older records read 0 (no record).
SDM_PREPAID_RECORDS = 3
RECHARGE_LOG, RECHARGE_STEP = 0x050A, 10
RELAY_LOG, RELAY_STEP = 0x0700, 8


def bcd_time(at: datetime) -> list[int]:
    """The three BCD registers of a meter's log time (YY MM DD hh mm ss, 2000-2099)."""

    def bcd(value: int) -> int:
        return (value // 10) << 4 | value % 10

    pairs = ((at.year - 2000, at.month), (at.day, at.hour), (at.minute, at.second))
    return [bcd(high) << 8 | bcd(low) for high, low in pairs]


def _records(log: str, *records: tuple[dict[str, float], datetime]) -> dict[str, float]:
    """A log's first records as simulator quantities (newest first)."""
    values: dict[str, float] = {}
    for n, (fields, at) in enumerate(records, start=1):
        values.update({f"{log}_{n}_{key}": value for key, value in fields.items()})
        values.update({f"{log}_{n}_t{i}": float(w) for i, w in enumerate(bcd_time(at))})
    return values


# What a simulated SDM320Y/SDM530Y has in its logs at start: two recharges, two relay records.
SDM_PREPAID_LOGS: dict[str, float] = {
    **_records(
        "recharge",
        ({"amount": 50.0}, datetime(2026, 3, 2, 18, 30, 5)),  # noqa: DTZ001
        ({"amount": 20.0}, datetime(2026, 2, 14, 9, 0, 0)),  # noqa: DTZ001
    ),
    **_records(
        "relay_log",
        ({"action": float(0x0000)}, datetime(2026, 3, 2, 18, 30, 6)),  # noqa: DTZ001
        ({"action": float(0xFF00)}, datetime(2026, 3, 1, 23, 59, 0)),  # noqa: DTZ001
    ),
}


def _record_fields() -> tuple[Field, ...]:
    fields: list[Field] = []
    for n in range(1, SDM_PREPAID_RECORDS + 1):
        recharge = RECHARGE_LOG + (n - 1) * RECHARGE_STEP
        relay = RELAY_LOG + (n - 1) * RELAY_STEP
        fields.append(Field(recharge, f"recharge_{n}_amount", F32))
        fields.extend(Field(recharge + 2 + i, f"recharge_{n}_t{i}", U16) for i in range(3))
        fields.append(Field(relay, f"relay_log_{n}_action", U16))
        fields.extend(Field(relay + 1 + i, f"relay_log_{n}_t{i}", U16) for i in range(3))
    return tuple(fields)


_SDM_PREPAID_HOLDING = RegisterTable(
    0x03,
    (
        (0xFBFE, 0xFBFF),
        (0xFC00, 0xFC02),
        (0xFC04, 0xFC06),
        (0xFC16, 0xFC1C),
        (RECHARGE_LOG, 0x06EF),
        (RELAY_LOG, 0x088C),
    ),
    (
        Field(0xFBFE, "fault_code", U16),
        Field(0xFC00, "serial", U32),
        Field(0xFC04, "unit_price", F32),
        Field(0xFC16, "alarm_1", F32),
        Field(0xFC18, "alarm_2", F32),
        Field(0xFC1A, "emergency_amount", F32),
        *_record_fields(),
    ),
)


def _sdm_prepaid(name: str, phases: int) -> ModelSpec:
    return ModelSpec(
        name=name,
        manufacturer="Eastron",
        phases=phases,
        tables=(
            RegisterTable(0x04, ((0x0156, 0x0158),), (Field(0x0156, "total_kwh", F32),)),
            _SDM_PREPAID_HOLDING,
        ),
        turnaround_ms=20.0,
        extra={
            "unit_price": 0.6,
            "alarm_1": 10.0,
            "alarm_2": 5.0,
            "emergency_amount": 20.0,
            **SDM_PREPAID_LOGS,
        },
        notes="Fault code 1 at 0xFBFE: relay cannot open (fault `relay_cannot_open`).",
    )


# Early SDM630 firmware answers 0 for the model code.
SDM630_EARLY = _eastron("SDM630 early", 3, SDM630.tables[0], 0, notes="Model code 0 at 0xFC02.")

# Not a meter: a device that answers every register read with zeros (seen on real buses:
# converters, PLCs, broken meters). A scan must leave it unidentified.
ZERO_STRANGER = ModelSpec(
    name="zero stranger",
    manufacturer="Unknown",
    phases=1,
    tables=(
        RegisterTable(0x03, ((0x0000, 0x10000),), ()),
        RegisterTable(0x04, ((0x0000, 0x10000),), ()),
    ),
    notes="Answers zeros to every read of functions 03 and 04.",
)

DDSU666 = ModelSpec(
    name="DDSU666",
    manufacturer="Chint",
    phases=1,
    tables=(
        RegisterTable(
            0x04,
            ((0x2000, 0x2010), (0x4000, 0x400C)),
            (
                Field(0x2000, "voltage", F32),
                Field(0x2002, "current", F32),
                Field(0x2004, "power", F32, 0.001),  # kW
                Field(0x200A, "pf", F32),
                Field(0x200E, "frequency", F32),
                Field(0x4000, "import_kwh", F32),
                Field(0x400A, "export_kwh", F32),
            ),
        ),
    ),
    turnaround_ms=10.0,
    notes="No relay, no model register.",
)

_DDS238_TABLE = RegisterTable(
    0x03,
    ((0x0000, 0x001B),),
    (
        Field(0x0000, "total_kwh", U32, 100),
        Field(0x0008, "export_kwh", U32, 100),
        Field(0x000A, "import_kwh", U32, 100),
        Field(0x000C, "voltage", U16, 10),
        Field(0x000D, "current", U16, 100),
        Field(0x000E, "power", I16),
        Field(0x0010, "pf", U16, 1000),
        Field(0x0011, "frequency", U16, 100),
        Field(0x0015, "id_baud", U16),
    ),
)
_DDS238_WRITES = (
    WriteRule(0x10, 0x0000, 2, WriteAction.CLEAR_ENERGY),
    WriteRule(0x10, 0x0015, 1, WriteAction.STORE, "id_baud", U16),
)


def _dds238(name: str, relay: bool) -> ModelSpec:
    table = _DDS238_TABLE
    writes: tuple[WriteRule, ...] = _DDS238_WRITES
    if relay:
        table = RegisterTable(0x03, table.blocks, (*table.fields, Field(0x001A, "relay", U16)))
        writes = (*writes, WriteRule(0x10, 0x001A, 1, WriteAction.RELAY))
    return ModelSpec(
        name=name,
        manufacturer="Hiking",
        phases=1,
        tables=(table,),
        writes=writes,
        has_relay=relay,
        silent_functions=frozenset({0x06}),
        turnaround_ms=15.0,
        aliases=(name.replace("DDS238-2 ", "DDS238-2-"), name.replace(" ", "")),
        notes="Ignores function 06 (no reply); writing 0 to 0x0000 clears the counters.",
    )


def _fineco(name: str, phases: int, input_table: RegisterTable) -> ModelSpec:
    return ModelSpec(
        name=name,
        manufacturer="Fineco",
        phases=phases,
        tables=(input_table,),
        writes=(WriteRule(0x10, 0x0566, 2, WriteAction.FINECO_RELAY),),
        has_relay=True,
        relay_on=0x5555,
        relay_off=0xAAAA,
        turnaround_ms=10.0,
        notes="Relay command needs key ((sn >> 24) + (sn >> 8)) & 0x1234; a wrong key gets 0x03.",
    )


EM115 = _fineco(
    "EM115",
    1,
    RegisterTable(
        0x04,
        ((0x0000, 0x0010), (0x0160, 0x016C), (0x0566, 0x0567), (0xFF00, 0xFF02)),
        (
            Field(0x0002, "voltage", F32),
            Field(0x0004, "frequency", F32),
            Field(0x0006, "current", F32),
            Field(0x0008, "power", F32),
            Field(0x000E, "pf", F32),
            Field(0x0160, "import_kwh", F32),
            Field(0x016A, "total_kwh", F32),
            Field(0x0566, "relay", U16),
            Field(0xFF00, "serial", U32),
        ),
    ),
)

EM737 = _fineco(
    "EM737",
    3,
    RegisterTable(
        0x04,
        ((0x0010, 0x0042), (0x0700, 0x0702), (0x0800, 0x0802), (0x0566, 0x0567), (0xFF00, 0xFF02)),
        (
            Field(0x0010, "voltage_l1", F32),
            Field(0x0016, "current_l1", F32),
            Field(0x0026, "power", F32),
            Field(0x003E, "pf", F32),
            Field(0x0040, "frequency", F32),
            Field(0x0800, "import_kwh", F32),
            Field(0x0700, "total_kwh", F32),
            Field(0x0566, "relay", U16),
            Field(0xFF00, "serial", U32),
        ),
    ),
)

OR_WE_514 = ModelSpec(
    name="OR-WE-514",
    manufacturer="Orno",
    phases=1,
    tables=(
        RegisterTable(
            0x03,
            ((0x0130, 0x015A), (0xA000, 0xA002)),
            (
                Field(0x0130, "frequency", U16, 100),
                Field(0x0131, "voltage", U16, 100),
                Field(0x0139, "current", U32, 1000),
                Field(0x0140, "power", U32),
                Field(0x0158, "pf", U16, 1000),
                Field(0xA000, "total_kwh", U32, 100),
            ),
        ),
    ),
    parity="E",
    aliases=("OR-WE-515",),
    notes="9600 8E1.",
)

# Orno OR-WE-504: holding registers 0x0000-0x000F (mbmd, HARDWARIO, Peter Ivanov's reader);
# energy in Wh. Default 9600 8N1 (HARDWARIO: "accepts 8E1").
OR_WE_504 = ModelSpec(
    name="OR-WE-504",
    manufacturer="Orno",
    phases=1,
    tables=(
        RegisterTable(
            0x03,
            ((0x0000, 0x0010),),
            (
                Field(0x0000, "voltage", U16, 10),
                Field(0x0001, "current", U16, 10),
                Field(0x0002, "frequency", U16, 10),
                Field(0x0003, "power", U16),
                Field(0x0006, "pf", U16, 1000),
                Field(0x0007, "import_kwh", U32, 1000),  # Wh
                Field(0x000E, "baud_code", U16),
                Field(0x000F, "slave_id", U16),
            ),
        ),
    ),
    turnaround_ms=12.0,
    extra={"baud_code": 4.0},
    notes="Energy in Wh; baud code 4 = 9600.",
)

OR_WE_516 = ModelSpec(
    name="OR-WE-516",
    manufacturer="Orno",
    phases=3,
    tables=(
        RegisterTable(
            0x03,
            ((0x0000, 0x003C), (0x0100, 0x0130)),
            (
                Field(0x0002, "slave_id", U16),
                Field(0x000E, "voltage_l1", F32),
                Field(0x0010, "voltage_l2", F32),
                Field(0x0012, "voltage_l3", F32),
                Field(0x0014, "frequency", F32),
                Field(0x0016, "current_l1", F32),
                Field(0x0018, "current_l2", F32),
                Field(0x001A, "current_l3", F32),
                Field(0x001C, "power", F32, 0.001),  # kW
                Field(0x001E, "power_l1", F32, 0.001),
                Field(0x0020, "power_l2", F32, 0.001),
                Field(0x0022, "power_l3", F32, 0.001),
                Field(0x0034, "pf", F32),
                Field(0x0100, "total_kwh", F32),
                Field(0x0108, "import_kwh", F32),
                Field(0x0110, "export_kwh", F32),
            ),
        ),
    ),
    parity="E",
    notes="9600 8E1 (Ivanov's reader, mbmd README, evcc; ya-modbus says odd); power in kW.",
)

# Orno OR-WE-525 (Peter Ivanov's reader, the one public source): 32-bit values high word
# first; each value read on its own, so the simulated blocks are the value groups.
OR_WE_525 = ModelSpec(
    name="OR-WE-525",
    manufacturer="Orno",
    phases=1,
    tables=(
        RegisterTable(
            0x03,
            ((0x0100, 0x010C), (0x010E, 0x0110), (0x0118, 0x011A), (0x1003, 0x1004)),
            (
                Field(0x0100, "voltage", I32, 1000),
                Field(0x0102, "current", I32, 1000),
                Field(0x0104, "power", I32),
                Field(0x010A, "frequency", I16, 10),
                Field(0x010B, "pf", I16, 1000),
                Field(0x010E, "import_kwh", I32, 100),
                Field(0x0118, "export_kwh", I32, 100),
                Field(0x1003, "slave_id", U16),
            ),
        ),
    ),
    notes="9600 8N1.",
)

# Finder 7M.24 / 7M.38: Finder's Opta library (energy counter E1 x1000 at 462, uint32 in
# 0.1 Wh) and the v2 protocol document's float table (frequency 2498, voltage 2500, current
# 2516, total power 2536); each documented value answers on its own.
FINDER_7M = ModelSpec(
    name="7M.24",
    manufacturer="Finder",
    phases=1,
    tables=(
        RegisterTable(
            0x04,
            ((462, 464), (2498, 2502), (2516, 2518), (2536, 2538)),
            (
                Field(462, "import_kwh", U32, 10000),  # 0.1 Wh
                Field(2498, "frequency", F32),
                Field(2500, "voltage", F32),
                Field(2516, "current", F32),
                Field(2536, "power", F32),
            ),
        ),
    ),
    aliases=("7M.38",),
)

# Carlo Gavazzi EM111 / EM112 (EM100 series protocol as OpenEMS and Enapter read it): input
# registers, INT32 low word first.
EM111 = ModelSpec(
    name="EM111",
    manufacturer="Carlo Gavazzi",
    phases=1,
    tables=(
        RegisterTable(
            0x04,
            # OpenEMS reads 0x0000-0x0009 and 0x000F-0x0023, never the registers between.
            ((0x0000, 0x000A), (0x000F, 0x0024)),
            (
                Field(0x0000, "voltage", I32_LE, 10),
                Field(0x0002, "current", I32_LE, 1000),
                Field(0x0004, "power", I32_LE, 10),
                Field(0x000F, "frequency", U16, 10),
                Field(0x0010, "import_kwh", I32_LE, 10),
                Field(0x0020, "export_kwh", I32_LE, 10),
            ),
        ),
    ),
    aliases=("EM112",),
    notes="32-bit values low word first (OpenEMS, Enapter, openWB; evcc: high word first).",
)

DDSY1352 = ModelSpec(
    name="DDSY1352",
    manufacturer="Acrel",
    phases=1,
    tables=(
        RegisterTable(
            0x03,
            ((0x0000, 0x0011),),
            (
                Field(0x0000, "total_kwh", U32, 100),
                Field(0x0002, "tariff_1_kwh", U32, 100),
                Field(0x0004, "tariff_2_kwh", U32, 100),
                Field(0x0006, "tariff_3_kwh", U32, 100),
                Field(0x0008, "tariff_4_kwh", U32, 100),
                Field(0x000B, "voltage", U16, 10),
                Field(0x000C, "current", U16, 100),
                Field(0x000D, "power", I16, 1),  # x0.001 kW = W
                Field(0x0010, "pf", I16, 1000),
            ),
        ),
    ),
    notes="Relay and prepaid registers are not public: measurement only.",
)

# Peacefair PZEM-004T v3.0 and PZEM-016 (one protocol): 16-bit registers, 32-bit values low
# word first. Slave address in holding 0x0002; written with function 06.
PZEM_004T = ModelSpec(
    name="PZEM-004T",
    manufacturer="Peacefair",
    phases=1,
    tables=(
        RegisterTable(
            0x04,
            ((0x0000, 0x000A),),
            (
                Field(0x0000, "voltage", U16, 10),
                Field(0x0001, "current", U32_LE, 1000),
                Field(0x0003, "power", U32_LE, 10),
                Field(0x0005, "import_kwh", U32_LE, 1000),  # Wh
                Field(0x0007, "frequency", U16, 10),
                Field(0x0008, "pf", U16, 100),
                Field(0x0009, "alarm", U16),
            ),
        ),
        RegisterTable(
            0x03,
            ((0x0001, 0x0003),),
            (Field(0x0001, "power_alarm_w", U16), Field(0x0002, "slave_id", U16)),
        ),
    ),
    writes=(WriteRule(0x10, 0x0002, 1, WriteAction.STORE, "slave_id", U16),),
    turnaround_ms=30.0,
    aliases=("PZEM-016", "PZEM-004T v3", "PZEM004T"),
    extra={"power_alarm_w": 23000.0, "alarm": 0.0},
    notes="32-bit values low word first; the same protocol on PZEM-016.",
)

# Chint DTSU666 (3-phase): function 03, pre-scaled floats (V x10, A x1000, W x10, PF x1000,
# Hz x100); energy floats in kWh. No model register.
DTSU666 = ModelSpec(
    name="DTSU666",
    manufacturer="Chint",
    phases=3,
    tables=(
        RegisterTable(
            0x03,
            ((0x2000, 0x2046), (0x101E, 0x102A)),
            (
                Field(0x2006, "voltage_l1", F32, 10),
                Field(0x2008, "voltage_l2", F32, 10),
                Field(0x200A, "voltage_l3", F32, 10),
                Field(0x200C, "current_l1", F32, 1000),
                Field(0x200E, "current_l2", F32, 1000),
                Field(0x2010, "current_l3", F32, 1000),
                Field(0x2012, "power", F32, 10),
                Field(0x2014, "power_l1", F32, 10),
                Field(0x2016, "power_l2", F32, 10),
                Field(0x2018, "power_l3", F32, 10),
                Field(0x202A, "pf", F32, 1000),
                Field(0x2044, "frequency", F32, 100),
                Field(0x101E, "import_kwh", F32),
                Field(0x1028, "export_kwh", F32),
            ),
        ),
    ),
    turnaround_ms=10.0,
    notes="Pre-scaled floats; no relay, no model register.",
)

METER_MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        _sdm_1phase("SDM120", 0x20),
        _sdm_1phase("SDM230", 0x2B),
        SDM630,
        SDM630_EARLY,
        SDM72D_M,
        _sdm72_v2("SDM72D-M-2", 0x89, ("SDM72 V2", "SDM72DM-V2")),
        _sdm72_v2("SDM72D-2", 0x87, ()),
        _sdm_prepaid("SDM320Y", 1),
        _sdm_prepaid("SDM530Y", 3),
        ZERO_STRANGER,
        DDSU666,
        _dds238("DDS238-2 ZN/S", relay=False),
        _dds238("DDS238-2 ZN/SR", relay=True),
        EM115,
        EM737,
        OR_WE_504,
        OR_WE_514,
        OR_WE_516,
        OR_WE_525,
        FINDER_7M,
        EM111,
        DDSY1352,
        PZEM_004T,
        DTSU666,
    )
}

RELAY_BOARD = "relay_board"
RELAY_BOARD_TURNAROUND_MS = 5.0


def _normalise(name: str) -> str:
    return "".join(c for c in name.upper() if c.isalnum())


# Also reachable as "<manufacturer> <model>", e.g. the integration's profile ids
# (eastron_sdm120, hiking_dds238_2_zn_sr, fineco_em115).
_LOOKUP: dict[str, ModelSpec] = {}
for _spec in METER_MODELS.values():
    for _name in (_spec.name, *_spec.aliases):
        _LOOKUP[_normalise(_name)] = _spec
        _LOOKUP[_normalise(f"{_spec.manufacturer} {_name}")] = _spec


def find_model(name: str) -> ModelSpec | None:
    """The model called `name` (case, spaces, hyphens and aliases tolerated)."""
    return _LOOKUP.get(_normalise(name))


def known_models() -> list[str]:
    """Canonical names of every simulated meter model."""
    return sorted(METER_MODELS)
