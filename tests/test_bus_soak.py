"""Bus fault soak (issue 19): the sample building in Home Assistant over a faulty bus.

The add-on's simulator serves the sample building (addon/buildings/sample.yaml: 12 rooms,
five meters with their own relay, seven rooms on a relay board) over real Modbus TCP to the
real integration in HA's test harness. Every device answers 10 % of requests with silence
(the gateway answers 0x0B after its request timeout) and 1 % with a bad CRC; two meters go
offline for a fifth of the run each; two counters are reset and one meter is replaced by a
used one whose counter stands far higher (an implausible jump, which the landlord discards
through the repair dialog). Tenants run out of credit and top up.

Time: the simulator's clock is frozen and moved on by the soak one step at a time, and HA's
`utcnow` is the simulator's clock, so billing judges every reading against the time that
really passed on the bus. The integration's own poll timer is real time and set far apart;
the soak polls once per step instead (`POLL_STEP`). The simulated day lies in the future of
the machine's clock, so HA's point-in-time timers (early reads, policy wake-ups) never fire:
every supply decision is taken at a poll or an action.

Expected results come from BILLING.md's rules and the simulator alone, never from the
integration's code:
- charges: every tenancy pays (kWh the meter's register counted, read to 1 Wh) x price,
  within one minor unit. Counter resets and the replacement happen at zero load (the room's
  load is held at 0 W from before the event until HA has read the meter after it), so no
  energy falls in a span the rules do not charge; the register's own resolution is the
  simulator's. After every poll each room's live balance must be what was paid less a
  reading HA showed x price (rounded down, the remainder carried: within one minor unit
  above the exact figure).
- repairs: one `counter_backwards` repair per counter reset.
- supply: the policy of BILLING.md with this building's settings (no grace, no friendly
  hours, no warning cut, no restore minimum): cut off at or below the cut-off level
  (0 - credit limit), low at or below the low level, else on. HA's supply state must be
  that state and the room's physical supply (the simulator's relay or board channel) must
  follow it, except while HA reports a relay fault (the policy's first rule).
- relay commands are counted where they arrive (the simulator's relay log): a command is a
  duplicate when the integration knew the relay was already so - the last thing that
  reached that relay was a cleanly answered read showing the commanded state, or the same
  command cleanly answered with nothing asked of the device since. A retry after a lost or
  corrupted answer is not a duplicate.

`SOAK_HOURS` (default 3) sets the simulated length; `bench/bus_soak.py` runs 24 hours and
prints the figures `SOAK_REPORT` (a JSON file path) receives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import json
import os
from pathlib import Path
import time
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import slugify
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.prepaid_power.billing.ledger import Ledger
from custom_components.prepaid_power.billing.money import Currency
from custom_components.prepaid_power.const import CONF_POLL_INTERVAL, LEDGER_DIR
from prepaid_power_gateway import Gateway, gateway_config, resolve_building
from prepaid_power_gateway.simulator import RelayIo, RelayIoKind, Simulator, VirtualMeter

from .test_dashboard import room_devices
from .test_init import gateway_entry, setup_gateway
from .test_room_board import answer_suspect
from .test_sensor import poll
from .test_supply import act

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

HOURS = float(os.environ.get("SOAK_HOURS", "3"))
REPORT = os.environ.get("SOAK_REPORT")
POLL_STEP = timedelta(minutes=5)
TIMEOUT_RATE, CRC_RATE = 0.10, 0.01
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Years after the machine's clock: HA's timers, which run on real time, never come due.
START = datetime(2031, 3, 10, tzinfo=SHANGHAI)
SETTLE_S = 15.0  # real seconds a relay command (write, read back, retries) may take
# Polls after the run for HA to read every stopped meter (an unavailable one is probed every
# 6th poll only).
FINAL_STEPS = 60
ON_STATES = {"on", "low"}
MINOR = Decimal("0.01")

PROFILES = {
    "DDS238-2 ZN/SR": "hiking_dds238_2_zn_sr",
    "DDS238-2 ZN/S": "hiking_dds238_2_zn_s",
    "EM115": "fineco_em115",
    "SDM120": "eastron_sdm120",
    "SDM230": "eastron_sdm230",
    "SDM630": "eastron_sdm630",
    "DDSU666": "chint_ddsu666",
}
# Models whose serial number the scan stores (the others' relay needs none).
SERIAL_STORED = {"EM115", "SDM120", "SDM230", "SDM630"}
BOARD = 100


@dataclass(frozen=True, slots=True)
class Room:
    """A room of the sample building as the soak sets it up. Money scales with the run's
    length: the first top-up lasts about a fifth of it, the top-ups a quarter each."""

    slave: int
    price: Decimal
    load_kw: Decimal  # a rough average of the room's load profile
    credit_share: Decimal = Decimal(0)  # credit limit, as a share of the first top-up

    def money(self, share: float) -> Decimal:
        amount = self.price * self.load_kw * Decimal(HOURS * share)
        return max(Decimal("0.01"), amount.quantize(Decimal("0.01")))

    @property
    def first_top_up(self) -> Decimal:
        return self.money(0.2)

    @property
    def credit_limit(self) -> Decimal:
        return (self.first_top_up * self.credit_share).quantize(Decimal("0.01"))

    @property
    def low_level(self) -> Decimal:
        return self.money(0.1)


ROOMS = [
    Room(1, Decimal("0.5873"), Decimal("0.25")),
    Room(2, Decimal("0.6120"), Decimal("0.25")),
    Room(3, Decimal("0.5389"), Decimal("0.5"), Decimal("0.5")),
    Room(4, Decimal("1.0391"), Decimal("0.25")),
    Room(5, Decimal("0.7777"), Decimal("0.5")),
    Room(6, Decimal("0.6499"), Decimal("0.25")),
    Room(7, Decimal("0.5000"), Decimal("0.003")),
    Room(8, Decimal("0.9013"), Decimal("0.5")),
    Room(9, Decimal("0.7331"), Decimal("0.25")),
    Room(10, Decimal("1.1111"), Decimal("0.3")),
    Room(11, Decimal("0.4567"), Decimal("0.25")),
    Room(12, Decimal("1.2345"), Decimal("1.0"), Decimal("0.5")),
]
TOP_UPS = (0.4, 0.8)  # shares of the run at which every tenant tops up
OFFLINE = {2: (0.10, 0.30), 9: (0.50, 0.70)}  # slave -> share of the run it is offline
RESETS = {7: 0.25, 1: 0.75}  # slave -> share of the run its counter is reset to 0
REPLACED = (10, 0.45, 4321.5)  # slave, share of the run, the replacement meter's reading


@dataclass(slots=True)
class Counter:
    """One meter's register, in the segments the rules charge (each from its first to its
    last reading: a reset or replacement closes one and opens the next)."""

    start: float
    segments: list[tuple[float, float]] = field(default_factory=list)

    def close(self, end: float, new_start: float) -> None:
        self.segments.append((self.start, end))
        self.start = new_start

    def kwh(self, end: float) -> Decimal:
        spans = [*self.segments, (self.start, end)]
        return sum((as_read(b) - as_read(a) for a, b in spans), Decimal(0))


def as_read(register: float) -> Decimal:
    """A register's energy as billed: to 1 Wh (the integration's stated reading resolution,
    below which float registers carry binary noise)."""
    return Decimal(repr(register)).quantize(Decimal("0.001"))


@dataclass(slots=True)
class ZeroLoadEvent:
    """A counter reset or a replacement at zero load: hold 0 W, let HA read the stopped
    counter, change the counter, let HA read it again, let the load follow its profile."""

    slave: int
    at: datetime
    new_reading: float
    phase: str = "waiting"  # waiting -> before -> after -> done


@dataclass(slots=True)
class Soak:
    """What the soak saw."""

    hass: HomeAssistant
    simulator: Simulator
    names: dict[int, str]
    counters: dict[int, Counter]
    polls: int = 0
    checks: int = 0
    policy_mismatches: list[str] = field(default_factory=list)
    supply_mismatches: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    cuts: int = 0
    restores: int = 0
    offline_steps: int = 0
    top_ups: int = 0
    log: list[RelayIo] = field(default_factory=list)
    paid: dict[int, Decimal] = field(default_factory=dict)
    # Per meter: the readings HA showed since the one its balance last matched. Billing takes
    # a reading only from a poll that read all of the meter, while the energy sensor also
    # shows an energy value read before a later read of the meter failed: the balance may
    # match an earlier reading than the sensor's, never a later one, never going back.
    readings: dict[int, list[float]] = field(default_factory=dict)
    # Meters whose counter changed and that HA has not read since: no balance to expect.
    unread_change: set[int] = field(default_factory=set)
    balance_checks: int = 0
    balance_mismatches: list[str] = field(default_factory=list)
    max_balance_deviation: Decimal = Decimal(0)

    def meter(self, slave: int) -> VirtualMeter:
        return self.simulator.meter(slave)

    def presented(self, slave: int) -> float:
        return self.meter(slave).presented("import_kwh")

    def entity(self, slave: int, key: str) -> str:
        return f"sensor.{slugify(self.names[slave])}_{key}"

    def meter_state(self, slave: int, key: str) -> str:
        """The state of one of a meter's sensors."""
        prefix = f"sensor.meter_{slave}_"
        for state in self.hass.states.async_all("sensor"):
            if state.entity_id.startswith(prefix) and state.entity_id.endswith(f"_{key}"):
                return state.state
        raise AssertionError(f"no {key} sensor for meter {slave}")

    def ha_reading(self, slave: int) -> float | None:
        """The meter's energy as HA last read it (its energy sensor)."""
        try:
            return float(self.meter_state(slave, "energy_imported"))
        except ValueError:
            return None

    def read_since_stopped(self, slave: int) -> bool:
        """HA's last reading of a meter is the register as it stands now."""
        reading = self.ha_reading(slave)
        return reading is not None and abs(reading - self.presented(slave)) < 1e-6


def expected_state(room: Room, balance: Decimal) -> str:
    """BILLING.md's supply policy for this building's settings."""
    if balance <= -room.credit_limit:
        return "cut_off"
    if balance <= room.low_level:
        return "low"
    return "on"


def supply_on(simulator: Simulator, slave: int) -> bool:
    """Whether the room has power (its meter's relay, or its board channel)."""
    return simulator.meter(slave).supply_on


@pytest.fixture
def soak_clock(hass: HomeAssistant) -> Iterator[list[Simulator]]:
    """HA's `utcnow` is the simulator's clock (set once the gateway runs)."""
    holder: list[Simulator] = []
    real = datetime.now

    def now() -> datetime:
        if not holder:
            return real(UTC)
        return datetime.fromtimestamp(holder[0].clock.now(), UTC)

    with patch("homeassistant.util.dt.utcnow", now):
        yield holder


def _entry(port: int, simulator: Simulator) -> MockConfigEntry:
    meters: list[dict[str, object]] = [
        {
            "slave_id": m.slave,
            "profile": PROFILES[m.model.name],
            "serial_number": m.serial if m.model.name in SERIAL_STORED else None,
        }
        for m in simulator.meters.values()
    ]
    meters.append({"slave_id": BOARD, "profile": "generic_relay_board", "serial_number": None})
    rooms: dict[str, dict[str, Any]] = {}
    for room in ROOMS:
        meter = simulator.meter(room.slave)
        data: dict[str, Any] = {
            "meter": room.slave,
            "price": str(room.price),
            "cycle_start_day": 1,
            "allowance_kwh": "0",
            "allowance_pro_rata": False,
            "actuator_kind": "meter_relay",
            "supply": {"low_level": str(room.low_level), "credit_limit": str(room.credit_limit)},
            "schedules": {},
        }
        if meter.supply is not None:
            # The room form numbers board channels from 1.
            data |= {
                "actuator_kind": "relay_board",
                "board": meter.supply.board,
                "channel": meter.supply.channel + 1,
            }
        rooms[meter.room] = data
    # The integration's own timer polls every hour of real time: the soak polls per step.
    return gateway_entry(port, meters, rooms, options={CONF_POLL_INTERVAL: 3600})


async def _settle_and_check(soak: Soak, rooms: dict[int, Room], wanted: dict[int, str]) -> None:
    """Wait for relay commands to finish, then compare HA and the bus with the policy."""
    hass, simulator = soak.hass, soak.simulator

    def supply_state(slave: int) -> str:
        state = hass.states.get(soak.entity(slave, "supply"))
        assert state is not None
        return state.state

    def fault(slave: int) -> bool:
        state = hass.states.get(f"binary_sensor.{slugify(soak.names[slave])}_relay_fault")
        return state is not None and state.state == STATE_ON

    deadline = time.monotonic() + SETTLE_S
    while True:
        pending = [
            s
            for s in rooms
            if not fault(s) and supply_on(simulator, s) != (supply_state(s) in ON_STATES)
        ]
        if not pending or time.monotonic() > deadline:
            break
        await hass.async_block_till_done()
        await asyncio.sleep(0.02)
    now = datetime.fromtimestamp(simulator.clock.now(), SHANGHAI).strftime("%H:%M")
    for slave, room in rooms.items():
        soak.checks += 1
        balance_state = hass.states.get(soak.entity(slave, "balance"))
        assert balance_state is not None
        state = supply_state(slave)
        if fault(slave):
            soak.faults.append(f"{now} {soak.names[slave]}")
            continue
        if balance_state.state not in ("unavailable", "unknown"):
            _check_balance(soak, slave, room, Decimal(balance_state.state), now)
            expected = expected_state(room, Decimal(balance_state.state))
            if state != expected:
                soak.policy_mismatches.append(
                    f"{now} {soak.names[slave]}: balance {balance_state.state}, "
                    f"HA {state}, policy {expected}"
                )
        if supply_on(simulator, slave) != (state in ON_STATES):
            soak.supply_mismatches.append(
                f"{now} {soak.names[slave]}: HA {state}, supply on {supply_on(simulator, slave)}"
            )
        previous = wanted.get(slave)
        if previous is not None and (previous in ON_STATES) != (state in ON_STATES):
            if state in ON_STATES:
                soak.restores += 1
            else:
                soak.cuts += 1
        wanted[slave] = state


def _check_balance(soak: Soak, slave: int, room: Room, balance: Decimal, now: str) -> None:
    """HA's live balance against what was paid less (kWh read so far) x price: the live
    balance is the posted one less the accrued usage as it would be posted (rounded down,
    the remainder carried), so it lies within one minor unit above the exact figure."""
    if slave in soak.unread_change:
        soak.readings[slave] = []  # the counter changed: earlier readings say nothing now
        return
    seen = soak.readings.setdefault(slave, [])
    reading = soak.ha_reading(slave)
    if reading is not None and (not seen or seen[-1] != reading):
        seen.append(reading)
    if not seen:
        return
    soak.balance_checks += 1
    expected = [soak.paid[slave] - soak.counters[slave].kwh(r) * room.price for r in seen]
    matching = [i for i, e in enumerate(expected) if Decimal(0) <= balance - e < MINOR]
    if matching:
        del seen[: matching[-1]]
        deviation = abs(balance - expected[matching[-1]])
    else:
        deviation = min(abs(balance - e) for e in expected)
        soak.balance_mismatches.append(
            f"{now} {soak.names[slave]}: HA {balance}, expected {expected[-1]}"
        )
    soak.max_balance_deviation = max(soak.max_balance_deviation, deviation)


def duplicate_commands(log: list[RelayIo]) -> list[RelayIo]:
    """Commands the integration sent although it knew the relay was already so: the last
    thing that reached that relay was a clean read showing the commanded state, or the same
    command, answered cleanly, with nothing asked of the device in between."""
    last: dict[tuple[int, int | None], RelayIo] = {}
    duplicates: list[RelayIo] = []
    for io in log:
        if io.kind is RelayIoKind.LOST:
            for key in [k for k in last if k[0] == io.slave]:
                last[key] = io
            continue
        key = (io.slave, io.channel)
        before = last.get(key)
        if (
            io.kind is RelayIoKind.COMMAND
            and before is not None
            and before.kind is not RelayIoKind.LOST
            and before.clean
            and before.on == io.on
        ):
            duplicates.append(io)
        last[key] = io
    return duplicates


async def test_bus_fault_soak(
    hass: HomeAssistant,
    soak_clock: list[Simulator],
    hass_client: ClientSessionGenerator,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Over a faulty bus: 0 charges off by more than one minor unit, 0 duplicate relay
    commands, HA's supply state always the policy's and the bus always HA's."""
    await hass.config.async_update(time_zone="Asia/Shanghai", currency="CNY")
    assert await async_setup_component(hass, "repairs", {})
    building = replace(resolve_building("sample"), start=START.timestamp())
    config = gateway_config(
        building, time_scale=0, min_gap_ms=0, id_switch_gap_ms=0, request_timeout=0.05
    )
    started = time.monotonic()
    async with Gateway(config) as gateway:
        simulator = gateway.simulator
        soak_clock.append(simulator)
        entry = _entry(gateway.port, simulator)
        await setup_gateway(hass, entry)
        devices = room_devices(hass, entry)
        names = {m.slave: m.room for m in simulator.meters.values()}
        rooms = {room.slave: room for room in ROOMS}
        for room in ROOMS:
            await act(
                hass,
                "move_in",
                {
                    "device_id": devices[names[room.slave]],
                    "tenant": f"Tenant {room.slave}",
                    "first_top_up": str(room.first_top_up),
                },
            )
        soak = Soak(
            hass,
            simulator,
            names,
            {s: Counter(simulator.meter(s).presented("import_kwh")) for s in rooms},
        )
        simulator.relay_log = soak.log
        soak.paid = {room.slave: room.first_top_up for room in ROOMS}
        for device in simulator.devices.values():
            device.set_faults(timeout_rate=TIMEOUT_RATE, crc_rate=CRC_RATE)
        steps = round(timedelta(hours=HOURS) / POLL_STEP)
        events = [
            ZeroLoadEvent(slave, START + timedelta(hours=HOURS * share), 0.0)
            for slave, share in RESETS.items()
        ]
        replaced_slave, share, replaced_reading = REPLACED
        events.append(
            ZeroLoadEvent(replaced_slave, START + timedelta(hours=HOURS * share), replaced_reading)
        )
        top_ups = {round(steps * share) for share in TOP_UPS}
        wanted: dict[int, str] = {}
        final_steps = 0
        for step in range(steps + FINAL_STEPS):
            now = START + step * POLL_STEP
            finishing = step >= steps
            for slave, (first, last) in OFFLINE.items():
                offline = not finishing and steps * first <= step < steps * last
                simulator.meter(slave).set_faults(offline=offline)
                soak.offline_steps += offline
            if step in top_ups:
                for room in ROOMS:
                    await act(
                        hass,
                        "top_up",
                        {
                            "device_id": devices[names[room.slave]],
                            "amount": str(room.money(0.25)),
                        },
                    )
                    soak.top_ups += 1
                    soak.paid[room.slave] += room.money(0.25)
            await _run_events(soak, events, now, hass_client, issue_registry)
            if finishing:
                # Hold every load at 0 W until HA has read every meter as it stands.
                for slave in rooms:
                    simulator.meter(slave).set_load(0)
                if all(soak.read_since_stopped(s) for s in rooms) and all(
                    e.phase == "done" for e in events
                ):
                    break
                final_steps += 1
            simulator.clock.advance(POLL_STEP.total_seconds())
            await poll(hass)
            soak.polls += 1
            await _settle_and_check(soak, rooms, wanted)
        else:
            unread = {
                s: (soak.ha_reading(s), soak.presented(s))
                for s in rooms
                if not soak.read_since_stopped(s)
            }
            pytest.fail(f"not read within FINAL_STEPS polls after the run: {unread}, {events}")

        assert all(e.phase == "done" for e in events)
        backwards = [
            i for i in issue_registry.issues.values() if i.translation_key == "counter_backwards"
        ]
        final = {s: soak.presented(s) for s in rooms}
        simulator.relay_log = None
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()

    charged = _charges(hass, entry, names)
    deviations: dict[str, Decimal] = {}
    kwh_deviations: dict[str, Decimal] = {}
    for slave, room in rooms.items():
        kwh, money = charged[names[slave]]
        expected_kwh = soak.counters[slave].kwh(final[slave])
        kwh_deviations[names[slave]] = kwh - expected_kwh
        deviations[names[slave]] = money - expected_kwh * room.price
    mischarges = {name: d for name, d in deviations.items() if abs(d) >= MINOR}
    duplicates = duplicate_commands(soak.log)
    commands = [io for io in soak.log if io.kind is RelayIoKind.COMMAND]
    report = {
        "hours": HOURS,
        "poll_step_s": POLL_STEP.total_seconds(),
        "polls": soak.polls,
        "real_s": round(time.monotonic() - started, 1),
        "requests": sum(gateway.stats.slave(u).requests for u in simulator.devices),
        "timeouts": sum(gateway.stats.slave(u).timeouts for u in simulator.devices),
        "crc_errors": sum(gateway.stats.slave(u).crc_errors for u in simulator.devices),
        "offline_meter_hours": soak.offline_steps * POLL_STEP.total_seconds() / 3600,
        "counter_resets": len(RESETS),
        "replaced": 1,
        "counter_backwards_issues": len(backwards),
        "top_ups": soak.top_ups,
        "tenancies": len(rooms),
        "kwh_charged": str(sum((c[0] for c in charged.values()), Decimal(0))),
        "money_charged": str(sum((c[1] for c in charged.values()), Decimal(0))),
        "max_deviation": str(max((abs(d) for d in deviations.values()), default=Decimal(0))),
        "mischarges": {k: str(v) for k, v in mischarges.items()},
        "kwh_deviations": {k: str(v) for k, v in kwh_deviations.items() if v},
        "relay_commands": len(commands),
        "relay_commands_unclean": sum(not io.clean for io in commands),
        "duplicate_commands": len(duplicates),
        "cuts": soak.cuts,
        "restores": soak.restores,
        "supply_checks": soak.checks,
        "balance_checks": soak.balance_checks,
        "max_balance_deviation": str(soak.max_balance_deviation),
        "balance_mismatches": soak.balance_mismatches,
        "policy_mismatches": soak.policy_mismatches,
        "supply_mismatches": soak.supply_mismatches,
        "relay_faults": soak.faults,
    }
    if REPORT:
        await hass.async_add_executor_job(
            Path(REPORT).write_text, json.dumps(report, indent=2), "utf-8"
        )
    assert not mischarges, report
    assert duplicates == [], report
    assert soak.policy_mismatches == [], report
    assert soak.supply_mismatches == [], report
    assert soak.balance_mismatches == [], report
    # The run exercised what it claims: cuts and restores, both counter resets seen.
    assert soak.cuts, report
    assert soak.restores, report
    assert len(backwards) == len(RESETS), report


async def _run_events(
    soak: Soak,
    events: list[ZeroLoadEvent],
    now: datetime,
    hass_client: ClientSessionGenerator,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Move each counter reset or replacement on by one phase when it may."""
    for event in events:
        meter = soak.meter(event.slave)
        if event.phase == "waiting" and now >= event.at - POLL_STEP:
            meter.set_load(0)
            event.phase = "before"
        elif event.phase == "before" and now >= event.at and soak.read_since_stopped(event.slave):
            stopped = soak.presented(event.slave)
            meter.reset_counter(event.new_reading)
            soak.counters[event.slave].close(stopped, soak.presented(event.slave))
            soak.unread_change.add(event.slave)
            event.phase = "after"
        elif event.phase == "after" and soak.read_since_stopped(event.slave):
            soak.unread_change.discard(event.slave)
            suspects = [
                i
                for i in issue_registry.issues.values()
                if i.translation_key == "suspect_reading"
                and i.translation_placeholders is not None
                and i.translation_placeholders.get("room") == soak.names[event.slave]
            ]
            if event.new_reading:
                # The replacement meter's counter stands far above the old one's: held as a
                # suspect jump until the landlord discards it in the repair dialog.
                if not suspects:
                    continue
                await answer_suspect(soak.hass, hass_client, suspects[0], "discard")
            meter.set_load(None)
            event.phase = "done"


def _charges(
    hass: HomeAssistant, entry: MockConfigEntry, names: dict[int, str]
) -> dict[str, tuple[Decimal, Decimal]]:
    """Room title -> (kWh, money) of its tenancy's charges, from the ledger file."""
    path = Path(hass.config.path(LEDGER_DIR, f"ledger_{entry.entry_id}.sqlite3"))
    titles = {s.subentry_id: s.title for s in entry.subentries.values()}
    ledger = Ledger(path, Currency("CNY", 2))
    try:
        result: dict[str, tuple[Decimal, Decimal]] = {}
        for tenancy in ledger.tenancies():
            charges = ledger.entries(account_id=tenancy.account_id, kinds=["charge"])
            result[titles[tenancy.room_id]] = (
                sum((c.kwh or Decimal(0) for c in charges), Decimal(0)),
                -sum((c.amount for c in charges), Decimal(0)),
            )
    finally:
        ledger.close()
    assert set(result) == set(names.values())
    return result
