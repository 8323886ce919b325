"""Scale benchmark: 16 simulated gateways x 40 meters on ONE Home Assistant (issue 9).

A script that prints figures, not a test. Run from the repository root:

    .venv/ha-2025.4/bin/python bench/scale.py [--gateways 16] [--meters 40] [--cycles 30]
        [--profile FILE.prof]

How it works
- The simulated gateways (the add-on's in-process API, 16 `Gateway`s on one loop) run in a
  CHILD process started from this same file (``--serve-gateways``), so the CPU the simulator
  burns is not the Home Assistant process's. The child advances every simulated clock by
  10 s on request (``time_scale=0``: simulated time only moves when told).
- Home Assistant is the pytest-homeassistant-custom-component test instance
  (`async_test_home_assistant`) in THIS process: the real core, state machine, registries,
  entity platforms and the integration exactly as shipped, without the cost of a full
  `hass` start (frontend, recorder, HTTP) muddying the figures. No recorder runs: the
  state writes it would store are counted instead.
- One config entry per gateway (``data["meters"]`` as the config flow writes it, the default
  options unless ``--all-meter-values``), all set up together as at HA start; "setup" is
  the wall time until every enabled entity has a state that is not unavailable.
- Poll cycles are driven directly: the coordinators' own 10 s timers are switched off, then
  each cycle advances the simulated clocks 10 s and refreshes all 16 coordinators at once
  (what their timers would do), then waits until HA is idle. `time.process_time()` of this
  process over a cycle is the integration's CPU (bus client, planner, decoding, entity state
  writes, HA's state machine work caused by them).
- Rooms, tenancies and statements: `rooms_phase` is the slot; until the integration has rooms
  it reports "n/a".
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Iterator, Sequence
import contextlib
import cProfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import io
import json
import logging
import os
from pathlib import Path
import platform
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from typing import Any
from unittest.mock import patch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "addon")]

POLL_INTERVAL_S = 10.0
# Evening (UTC hours of the simulated clock): the load profiles' busiest rhythm.
SIM_START = datetime(2026, 1, 14, 18, 0, tzinfo=UTC)

# 40 meters per bus: the simulator model name, the integration's profile id, how many.
MODEL_MIX: tuple[tuple[str, str, int], ...] = (
    ("DDS238-2 ZN/SR", "hiking_dds238_2_zn_sr", 10),
    ("SDM120", "eastron_sdm120", 8),
    ("EM115", "fineco_em115", 6),
    ("SDM230", "eastron_sdm230", 5),
    ("DDSU666", "chint_ddsu666", 5),
    ("DDS238-2 ZN/S", "hiking_dds238_2_zn_s", 2),
    ("SDM630", "eastron_sdm630", 2),
    ("OR-WE-514", "orno_or_we_514", 2),
)
# Load profiles of the simulator, weighted like a building of small flats and a few shops.
LOAD_MIX: tuple[tuple[str, int], ...] = (("studio", 20), ("family", 12), ("empty", 5), ("shop", 3))

TARGET_SETUP_S = 20.0
TARGET_CPU_MS_PER_METER = 1.5
TARGET_RSS_MB = 150.0
TARGET_STATEMENTS_S = 5.0


# --- the gateways' process ----------------------------------------------------------------


def building_meters(gateway: int, count: int) -> list[dict[str, Any]]:
    """The simulated meters of one gateway: a deterministic mix of models and load profiles."""
    rng = random.Random(9000 + gateway)
    models = [(name, pid) for name, pid, n in MODEL_MIX for _ in range(n)]
    loads = [name for name, n in LOAD_MIX for _ in range(n)]
    rng.shuffle(models)
    rng.shuffle(loads)
    meters = []
    for index in range(count):
        model, profile_id = models[index % len(models)]
        meters.append(
            {
                "model": model,
                "slave": index + 1,
                "serial": 30_000_000 + gateway * 1000 + index + 1,
                "room": f"G{gateway + 1:02d} room {index + 1}",
                "profile": loads[index % len(loads)],
                "energy_kwh": round(rng.uniform(0, 4000), 2),
                "_profile_id": profile_id,
            }
        )
    return meters


async def serve_gateways(gateways: int, meters: int) -> None:
    """Child process: run the gateways; stdin commands `advance S` and `cpu`, EOF stops."""
    from prepaid_power_gateway import Gateway, gateway_config, make_building

    logging.basicConfig(level=logging.WARNING)
    running: list[Gateway] = []
    described: list[dict[str, Any]] = []
    try:
        for number in range(gateways):
            items = building_meters(number, meters)
            building = make_building(
                [{k: v for k, v in m.items() if not k.startswith("_")} for m in items],
                name=f"bench {number + 1}",
                seed=number + 1,
                start=SIM_START.isoformat(),
            )
            gateway = Gateway(
                gateway_config(
                    building,
                    simulate=True,
                    time_scale=0,
                    min_gap_ms=0,
                    id_switch_gap_ms=0,
                    status_port=None,
                    log_level="warning",
                )
            )
            await gateway.start()
            running.append(gateway)
            described.append(
                {
                    "port": gateway.port,
                    "energy_kwh": {m["slave"]: m["energy_kwh"] for m in items},
                    "meters": [
                        {
                            "slave_id": m["slave"],
                            "profile": m["_profile_id"],
                            "serial_number": m["serial"],
                        }
                        for m in items
                    ],
                }
            )
        _reply({"gateways": described, "pid": os.getpid()})
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            command, *args = line.split()
            if command == "advance":
                for gateway in running:
                    assert gateway.simulator is not None
                    gateway.simulator.clock.advance(float(args[0]))
            elif command == "power":
                watts = sum(
                    gateway.simulator.meter(m["slave_id"]).power_w
                    for gateway, d in zip(running, described, strict=True)
                    if gateway.simulator is not None
                    for m in d["meters"]
                )
                _reply({"power_w": watts})
                continue
            _reply({"cpu_s": time.process_time()})
    finally:
        for gateway in running:
            await gateway.stop()


def _reply(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class GatewayProcess:
    """The parent's handle on the child that runs the simulated gateways."""

    def __init__(self, proc: asyncio.subprocess.Process, hello: dict[str, Any]) -> None:
        self.proc = proc
        self.gateways: list[dict[str, Any]] = hello["gateways"]

    @classmethod
    async def start(cls, gateways: int, meters: int) -> GatewayProcess:
        """Start the child and wait until all gateways listen."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--serve-gateways",
            "--gateways",
            str(gateways),
            "--meters",
            str(meters),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        self = cls(proc, {"gateways": []})
        self.gateways = (await self._read())["gateways"]
        return self

    async def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the gateway process died")
        result: dict[str, Any] = json.loads(line)
        return result

    async def command(self, text: str) -> dict[str, Any]:
        """Send one command, return its answer."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode() + b"\n")
        await self.proc.stdin.drain()
        return await self._read()

    async def stop(self) -> None:
        """Close stdin (the child stops its gateways and exits)."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.proc.wait(), 10)
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


# --- measurements -------------------------------------------------------------------------


def rss_mb() -> float:
    """Resident set size of this process now (MB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class RssSampler:
    """Samples RSS every 20 ms on the event loop; `peak` is the highest seen."""

    def __init__(self) -> None:
        self.peak = rss_mb()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sampling."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(0.02)

    def sample(self) -> float:
        """Take one sample now."""
        now = rss_mb()
        self.peak = max(self.peak, now)
        return now

    def stop(self) -> None:
        """Stop sampling."""
        if self._task is not None:
            self._task.cancel()


@dataclass
class WriteCounter:
    """State writes seen on HA's bus, by kind (what the recorder would store)."""

    changed: int = 0  # state_changed: a row for the recorder
    value_changed: int = 0  # ... of which the state itself changed
    attributes_only: int = 0  # ... of which only attributes changed (churn)
    added: int = 0  # ... of which a new entity's first state
    reported: int = 0  # state_reported: same state and attributes written again
    churn_keys: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        """Start counting again."""
        self.changed = self.value_changed = self.attributes_only = self.added = 0
        self.reported = 0
        self.churn_keys.clear()


def watch_writes(hass: Any, counter: WriteCounter) -> None:
    """Count state_changed and state_reported events into `counter`."""
    from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
    from homeassistant.core import Event, callback

    @callback
    def changed(event: Event[Any]) -> None:
        counter.changed += 1
        old, new = event.data["old_state"], event.data["new_state"]
        if old is None or new is None:
            counter.added += 1
            return
        if old.state != new.state:
            counter.value_changed += 1
        else:
            counter.attributes_only += 1
        if old.attributes != new.attributes:
            keys = set(old.attributes) | set(new.attributes)
            counter.churn_keys.update(
                k for k in keys if old.attributes.get(k) != new.attributes.get(k)
            )

    @callback
    def reported(event_data: Any) -> bool:
        # Counted in the filter: nothing needs to run for these events.
        counter.reported += 1
        return False

    hass.bus.async_listen(EVENT_STATE_CHANGED, changed)
    hass.bus.async_listen(EVENT_STATE_REPORTED, lambda _event: None, event_filter=reported)


@contextlib.contextmanager
def cpu_timer(into: list[float]) -> Iterator[None]:
    """Append the CPU seconds of the block to `into`."""
    start = time.process_time()
    try:
        yield
    finally:
        into.append(time.process_time() - start)


@dataclass
class CycleFigures:
    """One poll cycle."""

    cpu_s: float
    wall_s: float
    changed: int
    value_changed: int
    attributes_only: int
    reported: int
    sim_cpu_s: float


@dataclass
class RoomsFigures:
    """Rooms, tenancies and statements (once the integration has them)."""

    ledger_rows_per_hour: float
    statements_s: float
    rooms: int
    hour_cycle_cpu_s: float


@dataclass
class Results:
    """Everything the report prints."""

    gateways: int
    meters: int
    entities: int
    registry_entries: int
    domains: Counter[str]
    setup_s: float
    setup_cpu_s: float
    setup_cold_s: float
    tenancies: int
    history_days: float
    history_entries: int
    rss_baseline_mb: float
    rss_peak_mb: float
    # The peak so far at the end of each phase (a later phase raises it or not).
    rss_peaks_mb: dict[str, float]
    cycles: list[CycleFigures]
    breakdown: dict[str, float]
    churn_keys: Counter[str]
    rooms: RoomsFigures | None
    unavailable: int
    poll_failures: int
    power_w: float


# --- the Home Assistant side --------------------------------------------------------------


class VirtualClock:
    """HA's `dt_util.utcnow` for the run: starts at the simulator's start and is moved on with
    it, so billing sees 10 s between readings that are 10 simulated seconds apart (plus the
    real time a cycle takes, which keeps it strictly increasing)."""

    def __init__(self, start: datetime) -> None:
        self._base = start
        self._mark = time.monotonic()

    def now(self) -> datetime:
        """Now, in the run's time."""
        return self._base + timedelta(seconds=time.monotonic() - self._mark)

    def advance(self, seconds: float) -> None:
        """Jump forward."""
        self._base += timedelta(seconds=seconds)


@dataclass
class Bench:
    """What the phases share."""

    hass: Any
    sim: GatewayProcess
    clock: VirtualClock
    counter: WriteCounter
    entries: list[Any]

    async def advance(self, seconds: float) -> float:
        """Move the simulated meters and HA's clock on; the child's CPU seconds so far."""
        self.clock.advance(seconds)
        cpu: float = (await self.sim.command(f"advance {seconds}"))["cpu_s"]
        return cpu

    async def sim_cpu(self) -> float:
        """The child's CPU seconds so far."""
        cpu: float = (await self.sim.command("cpu"))["cpu_s"]
        return cpu


def has_rooms() -> bool:
    """Whether this version of the integration has rooms (config subentries)."""
    from custom_components.prepaid_power import const

    return hasattr(const, "SUBENTRY_ROOM")


# Models with a built-in relay (the room's actuator); the others would use a relay board.
RELAY_PROFILES = frozenset({"hiking_dds238_2_zn_sr", "fineco_em115"})


def room_subentries(gateway: int, meters: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One room per meter, as the room subentry flow stores them."""
    from custom_components.prepaid_power import const

    return [
        {
            "data": {
                const.CONF_METER: meter["slave_id"],
                const.CONF_PRICE: "0.2500",
                const.CONF_CYCLE_START_DAY: 1,
                const.CONF_ALLOWANCE_KWH: "0",
                const.CONF_ALLOWANCE_PRO_RATA: False,
                const.CONF_ACTUATOR_KIND: const.ACTUATOR_METER_RELAY
                if meter["profile"] in RELAY_PROFILES
                else const.ACTUATOR_NONE,
                const.CONF_SUPPLY: {
                    const.CONF_LOW_LEVEL: "10",
                    const.CONF_CREDIT_LIMIT: "0",
                    const.CONF_GRACE_MINUTES: 0,
                    const.CONF_AUTO_RESTORE_MINIMUM: "0",
                    const.CONF_EMERGENCY_CREDIT: "0",
                    const.CONF_OVERLOAD_SECONDS: 10,
                    const.CONF_RECLOSE_MINUTES: 1,
                    const.CONF_MAX_RECLOSE_ATTEMPTS: 3,
                    const.CONF_CUT_OFF_MODE: "automatic",
                },
                const.CONF_SCHEDULES: {},
            },
            "subentry_type": const.SUBENTRY_ROOM,
            "title": f"G{gateway + 1:02d} room {meter['slave_id']}",
            "unique_id": None,
        }
        for meter in meters
    ]


def gateway_entries(
    gateways: Sequence[dict[str, Any]], rooms: bool, all_meter_values: bool = False
) -> list[Any]:
    """One config entry per gateway, as the config flow creates them (rooms as subentries),
    with the option "offer every meter value" as given."""
    from homeassistant.const import CONF_HOST, CONF_PORT
    from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
        MockConfigEntry,
    )

    from custom_components.prepaid_power.const import (
        CONF_ALL_METER_VALUES,
        CONF_CONNECTION,
        CONF_FRAMING,
        CONF_METERS,
        CONF_POLL_INTERVAL,
        DOMAIN,
    )

    entries = []
    for number, gateway in enumerate(gateways):
        extra: dict[str, Any] = {}
        if rooms:
            extra["subentries_data"] = room_subentries(number, gateway["meters"])
        entries.append(
            MockConfigEntry(
                domain=DOMAIN,
                title=f"Gateway {number + 1}",
                unique_id=f"127.0.0.1:{gateway['port']}",
                data={
                    CONF_CONNECTION: "tcp",
                    CONF_HOST: "127.0.0.1",
                    CONF_PORT: gateway["port"],
                    CONF_FRAMING: "tcp",
                    CONF_METERS: gateway["meters"],
                },
                options={
                    CONF_POLL_INTERVAL: int(POLL_INTERVAL_S),
                    CONF_ALL_METER_VALUES: all_meter_values,
                },
                **extra,
            )
        )
    return entries


def enabled_entity_ids(hass: Any, entries: Sequence[Any]) -> list[str]:
    """Every enabled entity of the benchmark's entries."""
    from homeassistant.helpers import entity_registry as er

    registry = er.async_get(hass)
    return [
        item.entity_id
        for entry in entries
        for item in er.async_entries_for_config_entry(registry, entry.entry_id)
        if not item.disabled
    ]


def not_available(hass: Any, entity_ids: Sequence[str]) -> int:
    """How many of the entities have no state yet or are unavailable."""
    from homeassistant.const import STATE_UNAVAILABLE

    missing = 0
    for entity_id in entity_ids:
        state = hass.states.get(entity_id)
        if state is None or state.state == STATE_UNAVAILABLE:
            missing += 1
    return missing


def coordinators(entries: Sequence[Any]) -> list[Any]:
    """The gateways' coordinators (one per entry)."""
    return [entry.runtime_data.coordinator for entry in entries]


def stop_timers(entries: Sequence[Any]) -> None:
    """Switch the coordinators' own timers off: the benchmark drives the cycles."""
    for coordinator in coordinators(entries):
        coordinator.update_interval = None
        coordinator._unschedule_refresh()


HISTORY_KWH_PER_HOUR = Decimal("0.3")
HISTORY_PRICE = Decimal("0.2500")


def prefill_history(
    path: Path, rooms: Sequence[tuple[str, str, float]], days: float, tz: str, currency: str
) -> int:
    """Tenancies that moved in `days` ago, with hourly charges and weekly top-ups since, in
    one gateway's ledger (written before HA opens it): the ledger of a building in its
    steady state, which is what the per-cycle billing queries scale with.

    `rooms` are (room id, name, the meter's reading now). Returns the entries written.
    """
    from zoneinfo import ZoneInfo

    from custom_components.prepaid_power.billing.core import BillingCore, RoomConfig
    from custom_components.prepaid_power.billing.ledger import BillingState, Ledger, NewEntry
    from custom_components.prepaid_power.billing.money import Currency

    hours = int(days * 24)
    start = SIM_START - timedelta(hours=hours)
    clock = [start]
    path.parent.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(path, Currency(currency), now=lambda: clock[0])
    try:
        core = BillingCore(ledger, ZoneInfo(tz), now=lambda: clock[0])
        batch: list[NewEntry] = []
        for number, (room_id, name, now_kwh) in enumerate(rooms):
            # A little below the meter's counter (float registers read a hair off the value).
            reading_now = Decimal(str(now_kwh)).quantize(Decimal("0.01")) - Decimal("0.01")
            per_hour = min(
                HISTORY_KWH_PER_HOUR,
                (reading_now / (hours + 1)).quantize(Decimal("0.000001"), rounding="ROUND_DOWN"),
            )
            reading = reading_now - per_hour * hours
            core.upsert_room(room_id, RoomConfig(name=name))
            core.set_tariff(room_id, {"kind": "flat", "price": str(HISTORY_PRICE)})
            tenancy = core.move_in(room_id, f"Tenant {number}", reading, first_top_up="50")
            calendar = core.calendar(room_id)
            for hour in range(1, hours + 1):
                at = start + timedelta(hours=hour)
                exact = per_hour * HISTORY_PRICE
                batch.append(
                    NewEntry(
                        tenancy.account_id,
                        "charge",
                        at,
                        -exact.quantize(Decimal("0.01"), rounding="ROUND_DOWN"),
                        "system",
                        "energy",
                        kwh=per_hour,
                        allowance_kwh=Decimal(0),
                        price=HISTORY_PRICE,
                        reading_from=reading,
                        reading_to=reading + per_hour,
                        span_start=at - timedelta(hours=1),
                        exact_amount=exact,
                        cycle=calendar.cycle_containing(at).key,
                    )
                )
                reading += per_hour
                if hour % (24 * 7) == 0:
                    batch.append(
                        NewEntry(
                            tenancy.account_id,
                            "top_up",
                            at,
                            Decimal(20),
                            "bench",
                            "top-up",
                            method="cash",
                            reference=f"{room_id}-{hour}",
                        )
                    )
            ledger.save_billing_state(
                BillingState(room_id, reading, start + timedelta(hours=hours))
            )
        ledger.append_many(batch)
        return len(batch)
    finally:
        ledger.close()


async def prefill_all(bench: Bench, days: float) -> int:
    """`prefill_history` for every gateway, in a child process (its memory is not HA's)."""
    from custom_components.prepaid_power.const import CONF_METER

    hass = bench.hass
    jobs = []
    for entry, gateway, path in zip(
        bench.entries, bench.sim.gateways, ledger_paths(bench), strict=True
    ):
        energy = {int(k): v for k, v in gateway["energy_kwh"].items()}
        rooms = [
            (sub.subentry_id, sub.title, energy[sub.data[CONF_METER]])
            for sub in entry.subentries.values()
        ]
        jobs.append([str(path), rooms, days, hass.config.time_zone, hass.config.currency])
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--prefill",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate(json.dumps(jobs).encode())
    if proc.returncode:
        raise RuntimeError("prefilling the ledgers failed")
    written: int = json.loads(out)["entries"]
    return written


def prefill_main() -> None:
    """Child process: the jobs of `prefill_all` from stdin, the entries written to stdout."""
    jobs = json.loads(sys.stdin.read())
    written = sum(
        prefill_history(Path(path), [tuple(r) for r in rooms], days, tz, currency)
        for path, rooms, days, tz, currency in jobs
    )
    _reply({"entries": written})


async def setup_all(bench: Bench, *, add: bool) -> tuple[float, float, int]:
    """Set up every gateway entry at once (as at HA start): wall and CPU seconds until every
    enabled entity is available, and the number of entities."""
    from homeassistant.setup import async_setup_component

    from custom_components.prepaid_power.const import DOMAIN

    hass = bench.hass
    wall = time.perf_counter()
    cpu = time.process_time()
    if add:
        assert await async_setup_component(hass, DOMAIN, {})
    else:
        await asyncio.gather(*(hass.config_entries.async_setup(e.entry_id) for e in bench.entries))
    await hass.async_block_till_done()
    entity_ids = enabled_entity_ids(hass, bench.entries)
    for _ in range(12_000):  # 2 min at most
        if not not_available(hass, entity_ids):
            break
        await asyncio.sleep(0.01)
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    stop_timers(bench.entries)
    await hass.async_block_till_done()
    return wall, cpu, len(entity_ids)


async def unload_all(bench: Bench) -> None:
    """Unload every gateway entry (the ledgers are closed, the files stay)."""
    for entry in bench.entries:
        await bench.hass.config_entries.async_unload(entry.entry_id)
    await bench.hass.async_block_till_done()


async def move_in_everyone(bench: Bench) -> int:
    """A tenancy in every room, from the meter's current reading, with a first top-up."""
    from custom_components.prepaid_power.billing.core import BillingCore

    async def gateway(entry: Any) -> int:
        rooms = entry.runtime_data.rooms

        def move_in(core: BillingCore) -> int:
            moved = 0
            for number, room_id in enumerate(rooms.rooms):
                # From the reading the integration has billed up to (it may round readings).
                state = core.ledger.billing_state(room_id)
                if state is not None:
                    core.move_in(
                        room_id, f"Tenant {number}", state.billed_reading, first_top_up="50"
                    )
                    moved += 1
            return moved

        moved: int = await rooms.billing.run(move_in)
        return moved

    counts = await asyncio.gather(*(gateway(entry) for entry in bench.entries))
    return sum(counts)


def ledger_paths(bench: Bench) -> list[Path]:
    """The gateways' ledger files."""
    from custom_components.prepaid_power.const import LEDGER_DIR

    return [
        Path(bench.hass.config.path(LEDGER_DIR, f"ledger_{entry.entry_id}.sqlite3"))
        for entry in bench.entries
    ]


def count_rows(paths: Sequence[Path]) -> int:
    """Ledger entries over all gateways (a separate read-only connection; WAL allows it)."""
    total = 0
    for path in paths:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            total += conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    return total


async def refresh_all(bench: Bench) -> None:
    """One poll cycle of every gateway at once, as their timers would run it."""
    await asyncio.gather(*(c.async_refresh() for c in coordinators(bench.entries)))
    await bench.hass.async_block_till_done()


async def run_cycles(
    bench: Bench, cycles: int, profiler: cProfile.Profile | None
) -> list[CycleFigures]:
    """`cycles` poll cycles of every gateway at once, each 10 simulated seconds later."""
    figures: list[CycleFigures] = []
    counter = bench.counter
    for _ in range(cycles):
        sim_before = await bench.advance(POLL_INTERVAL_S)
        counter.reset()
        if profiler is not None:
            profiler.enable()
        wall = time.perf_counter()
        cpu = time.process_time()
        await refresh_all(bench)
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - wall
        if profiler is not None:
            profiler.disable()
        sim_after = await bench.sim_cpu()
        figures.append(
            CycleFigures(
                cpu_s=cpu,
                wall_s=wall,
                changed=counter.changed,
                value_changed=counter.value_changed,
                attributes_only=counter.attributes_only,
                reported=counter.reported,
                sim_cpu_s=sim_after - sim_before,
            )
        )
    return figures


async def breakdown_cycles(bench: Bench, cycles: int) -> dict[str, float]:
    """Median CPU per cycle split into polling (bus, decode), rooms (billing on the ledger
    threads, supply policy) and listeners (entity state writes).

    Each phase runs for all gateways at once, then the next phase.
    """
    phases: dict[str, list[float]] = {"poll": [], "rooms": [], "listeners": []}
    coords = coordinators(bench.entries)
    for _ in range(cycles):
        await bench.advance(POLL_INTERVAL_S)
        with cpu_timer(phases["poll"]):
            readings = await asyncio.gather(*(c.poller.poll() for c in coords))
        with cpu_timer(phases["rooms"]):
            snapshots = await asyncio.gather(
                *(c.async_process(r) for c, r in zip(coords, readings, strict=True))
            )
        with cpu_timer(phases["listeners"]):
            for coordinator, snapshot in zip(coords, snapshots, strict=True):
                coordinator.async_set_updated_data(snapshot)
            await bench.hass.async_block_till_done()
    return {name: statistics.median(values) for name, values in phases.items()}


async def hour_of_billing(bench: Bench, step_s: float, hours: float) -> tuple[float, float]:
    """Ledger entries written per simulated hour, polling every `step_s` simulated seconds
    for `hours` (long enough to cross the hourly posting); and the median CPU per cycle."""
    paths = ledger_paths(bench)
    before = await asyncio.to_thread(count_rows, paths)
    cpu: list[float] = []
    for _ in range(round(hours * 3600 / step_s)):
        await bench.advance(step_s)
        with cpu_timer(cpu):
            await refresh_all(bench)
    after = await asyncio.to_thread(count_rows, paths)
    return (after - before) / hours, statistics.median(cpu)


async def all_statements(bench: Bench) -> tuple[float, int]:
    """Every tenancy's statement of the current cycle, rendered as the statement action does
    (on each gateway's ledger thread, all gateways at once): wall seconds and how many."""
    from custom_components.prepaid_power.billing.core import BillingCore
    from custom_components.prepaid_power.billing.statement import (
        render_statement,
        statement_data,
    )

    def statements(core: BillingCore) -> int:
        count = 0
        for room_id in core.room_ids():
            tenancy = core.tenancy_of(room_id)
            if tenancy is not None:
                render_statement(statement_data(core, tenancy.tenancy_id))
                count += 1
        return count

    wall = time.perf_counter()
    counts = await asyncio.gather(
        *(entry.runtime_data.rooms.billing.run(statements) for entry in bench.entries)
    )
    return time.perf_counter() - wall, sum(counts)


async def rooms_phase(bench: Bench, args: argparse.Namespace) -> RoomsFigures | None:
    """An hour of billing (ledger rows per hour), then every tenancy's statement."""
    if not has_rooms():
        return None
    rows_per_hour, cpu = await hour_of_billing(bench, args.hour_step, 1.25)
    statements_s, count = await all_statements(bench)
    return RoomsFigures(
        ledger_rows_per_hour=rows_per_hour,
        statements_s=statements_s,
        rooms=count,
        hour_cycle_cpu_s=cpu,
    )


async def measure(args: argparse.Namespace) -> Results:
    """Start the gateways, set up HA with one entry per gateway, poll, count."""
    sim = await GatewayProcess.start(args.gateways, args.meters)
    try:
        return await _measure_with(args, sim)
    finally:
        await sim.stop()


async def _measure_with(args: argparse.Namespace, sim: GatewayProcess) -> Results:
    from homeassistant import loader
    from homeassistant.helpers import entity_registry as er
    from homeassistant.setup import async_setup_component
    from homeassistant.util import dt as dt_util
    from pytest_homeassistant_custom_component.common import async_test_home_assistant

    clock = VirtualClock(SIM_START)
    rooms = has_rooms()
    with (
        tempfile.TemporaryDirectory(prefix="pp-scale-") as config_dir,
        patch.object(dt_util, "utcnow", clock.now),
    ):
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            # What pytest's enable_custom_integrations fixture does.
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            # Load HA's platform components first, so the baseline is "HA with
            # sensor/binary_sensor/button" and the added RSS is the integration's.
            for domain in ("sensor", "binary_sensor", "button"):
                assert await async_setup_component(hass, domain, {})
            await hass.async_block_till_done()
            rss_baseline = rss_mb()
            sampler = RssSampler()
            sampler.start()
            bench = Bench(
                hass,
                sim,
                clock,
                WriteCounter(),
                gateway_entries(sim.gateways, rooms, args.all_meter_values),
            )
            watch_writes(hass, bench.counter)
            for entry in bench.entries:
                entry.add_to_hass(hass)

            history_entries = 0
            if rooms and args.history_days > 0:
                history_entries = await prefill_all(bench, args.history_days)

            # --- setup: all entries together, as at HA start --------------------------
            setup_cold, setup_cold_cpu, entities = await setup_all(bench, add=True)
            setup_s, setup_cpu_s = setup_cold, setup_cold_cpu
            tenancies = 0
            if rooms and history_entries:
                tenancies = len(bench.entries) * args.meters
            elif rooms:
                tenancies = await move_in_everyone(bench)
                await refresh_all(bench)
                # A restart with every room let: what a landlord's HA does every boot.
                await unload_all(bench)
                setup_s, setup_cpu_s, entities = await setup_all(bench, add=False)

            sampler.sample()
            peaks = {"setup": sampler.peak}
            # --- poll cycles ----------------------------------------------------------
            # CPU time, not wall time: the loop waiting in epoll is not a hot spot.
            profiler = cProfile.Profile(time.process_time) if args.profile else None
            await run_cycles(bench, args.warmup, None)
            cycles = await run_cycles(bench, args.cycles, profiler)
            churn = bench.counter.churn_keys.copy()
            if profiler is not None:
                profiler.dump_stats(args.profile)
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats("tottime").print_stats(35)
                stats.sort_stats("cumulative").print_stats(45)
                print(out.getvalue())
            breakdown = await breakdown_cycles(bench, args.breakdown)
            sampler.sample()
            peaks["poll cycles"] = sampler.peak
            room_figures = await rooms_phase(bench, args)
            sampler.sample()
            peaks["billing hour and statements"] = sampler.peak
            sampler.stop()
            entity_ids = enabled_entity_ids(hass, bench.entries)
            registry_entries = len(er.async_get(hass).entities)
            domains = Counter(entity_id.split(".", 1)[0] for entity_id in entity_ids)
            unavailable = not_available(hass, entity_ids)
            failures = sum(not c.last_update_success for c in coordinators(bench.entries))
            power = (await sim.command("power"))["power_w"]

            await unload_all(bench)
            await hass.async_stop(force=True)
    return Results(
        gateways=args.gateways,
        meters=args.gateways * args.meters,
        entities=entities,
        registry_entries=registry_entries,
        domains=domains,
        setup_s=setup_s,
        setup_cpu_s=setup_cpu_s,
        setup_cold_s=setup_cold,
        tenancies=tenancies,
        history_days=args.history_days if history_entries else 0,
        history_entries=history_entries,
        rss_baseline_mb=rss_baseline,
        rss_peak_mb=sampler.peak,
        rss_peaks_mb=peaks,
        cycles=cycles,
        breakdown=breakdown,
        churn_keys=churn,
        rooms=room_figures,
        unavailable=unavailable,
        poll_failures=failures,
        power_w=power,
    )


async def bus_only(args: argparse.Namespace) -> None:
    """The bus layer alone (no HA): the same gateways polled by `Poller`s, CPU per cycle.

    For before/after measurements of changes in `bus/` with less noise than the full run.
    """
    from custom_components.prepaid_power.bus.client import BusSettings, ModbusBus, TcpEndpoint
    from custom_components.prepaid_power.bus.planner import MeterRequest
    from custom_components.prepaid_power.bus.poll import Poller
    from custom_components.prepaid_power.profiles import load_profiles

    profiles = load_profiles(None).profiles
    sim = await GatewayProcess.start(args.gateways, args.meters)
    buses: list[ModbusBus] = []
    try:
        pollers = []
        for gateway in sim.gateways:
            bus = ModbusBus(TcpEndpoint("127.0.0.1", gateway["port"]), BusSettings())
            bus.start()
            buses.append(bus)
            pollers.append(
                Poller(
                    bus,
                    [
                        MeterRequest(m["slave_id"], profiles[m["profile"]])
                        for m in gateway["meters"]
                    ],
                )
            )
        cpu: list[float] = []
        for number in range(args.warmup + args.cycles):
            await sim.command(f"advance {POLL_INTERVAL_S}")
            with cpu_timer(cpu):
                await asyncio.gather(*(p.poll() for p in pollers))
            if number < args.warmup:
                cpu.pop()
        meters = args.gateways * args.meters
        median = statistics.median(cpu)
        print(
            f"bus only: {meters} meters, {sum(len(p.plan.transactions) for p in pollers)} "
            f"transactions per cycle; CPU per cycle median {median * 1000:.1f} ms "
            f"(min {min(cpu) * 1000:.1f}), per meter {median / meters * 1000:.3f} ms"
        )
    finally:
        for bus in buses:
            await bus.close()
        await sim.stop()


# --- report -------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def report(results: Results, args: argparse.Namespace) -> None:
    """Print the figures next to their targets."""
    from homeassistant.const import __version__ as ha_version

    cycles = results.cycles
    meters = results.meters
    cpu = statistics.median(c.cpu_s for c in cycles)
    cpu_max = max(c.cpu_s for c in cycles)
    wall = statistics.median(c.wall_s for c in cycles)
    per_meter_ms = cpu / meters * 1000
    sim_cpu = statistics.median(c.sim_cpu_s for c in cycles)
    added_rss = results.rss_peak_mb - results.rss_baseline_mb
    changed = statistics.median(c.changed for c in cycles)
    value_changed = statistics.median(c.value_changed for c in cycles)
    attributes_only = sum(c.attributes_only for c in cycles)
    reported = statistics.median(c.reported for c in cycles)
    churned = sum(results.churn_keys.values())
    no_churn = attributes_only == 0 and churned == 0
    # Every write must carry a changed value: no state_reported (a write of the same state
    # and attributes) and no attribute-only changes.
    only_changed = no_churn and reported == 0

    print(
        f"prepaid_power scale bench - HA {ha_version}, Python {platform.python_version()}, "
        f"{platform.machine()} {os.cpu_count()} CPUs ({_cpu_model()})"
    )
    print(
        f"{results.gateways} gateways x {meters // results.gateways} meters = {meters} meters, "
        f"{results.entities} enabled entities, poll interval {POLL_INTERVAL_S:.0f} s, "
        f"{len(cycles)} cycles (+{args.warmup} warm-up) driven directly, simulated clock +10 s "
        f"per cycle; building load now {results.power_w / 1000:.1f} kW"
    )
    print(
        "enabled entities by platform: "
        + ", ".join(f"{domain} {count}" for domain, count in results.domains.most_common())
        + f"; entity registry entries (enabled and disabled): {results.registry_entries}"
    )
    if results.history_entries:
        print(
            f"ledger history before setup: {results.history_days:g} days of hourly charges, "
            f"{results.history_entries} entries over {results.tenancies} tenancies"
        )
    print()
    rows: list[tuple[str, str, str, str]] = [
        (
            "setup to all entities available"
            + (f" ({results.tenancies} tenancies)" if results.tenancies else ""),
            f"{results.setup_s:.2f} s (CPU {results.setup_cpu_s:.2f} s; "
            f"first setup {results.setup_cold_s:.2f} s)",
            f"< {TARGET_SETUP_S:.0f} s",
            verdict(results.setup_s < TARGET_SETUP_S and results.setup_cold_s < TARGET_SETUP_S),
        ),
        (
            "CPU per poll cycle (median, HA process)",
            f"{cpu * 1000:.0f} ms (max {cpu_max * 1000:.0f} ms, wall {wall * 1000:.0f} ms)",
            "",
            "",
        ),
        (
            "CPU per meter per cycle",
            f"{per_meter_ms:.3f} ms",
            f"< {TARGET_CPU_MS_PER_METER} ms",
            verdict(per_meter_ms < TARGET_CPU_MS_PER_METER),
        ),
        (
            "  of which polling (bus, decode)",
            f"{results.breakdown['poll'] / meters * 1000:.3f} ms",
            "",
            "",
        ),
        (
            "  of which rooms (billing, supply policy)",
            f"{results.breakdown['rooms'] / meters * 1000:.3f} ms",
            "",
            "",
        ),
        (
            "  of which listeners (entity writes)",
            f"{results.breakdown['listeners'] / meters * 1000:.3f} ms",
            "",
            "",
        ),
        (
            "simulator CPU per cycle (child, excluded)",
            f"{sim_cpu * 1000:.0f} ms",
            "",
            "",
        ),
        (
            "peak RSS added by the integration",
            f"{added_rss:.1f} MB ({results.rss_baseline_mb:.0f} -> {results.rss_peak_mb:.0f} MB)",
            f"< {TARGET_RSS_MB:.0f} MB",
            verdict(added_rss < TARGET_RSS_MB),
        ),
        (
            "  peak added after each phase",
            ", ".join(
                f"{phase} {peak - results.rss_baseline_mb:.0f} MB"
                for phase, peak in results.rss_peaks_mb.items()
            ),
            "",
            "",
        ),
        (
            "state_changed per cycle (recorder rows)",
            f"{changed:.0f} ({value_changed:.0f} with a new value)",
            "",
            "",
        ),
        (
            "state_reported per cycle (unchanged rewrites)",
            f"{reported:.0f}",
            "0",
            verdict(reported == 0),
        ),
        (
            "attribute churn (all cycles)",
            f"{attributes_only} attribute-only writes, {churned} changed attributes",
            "0",
            verdict(no_churn),
        ),
        (
            "writes only for changed values",
            "yes" if only_changed else "no",
            "yes",
            verdict(only_changed),
        ),
    ]
    if results.rooms is None:
        rows += [
            ("ledger rows per hour", "n/a (rooms not yet implemented)", "", ""),
            (
                f"time for all {meters} statements",
                "n/a (rooms not yet implemented)",
                f"< {TARGET_STATEMENTS_S:.0f} s",
                "",
            ),
        ]
    else:
        rows += [
            (
                "ledger rows per hour (all rooms)",
                f"{results.rooms.ledger_rows_per_hour:.0f} "
                f"(cycle CPU then {results.rooms.hour_cycle_cpu_s * 1000:.0f} ms)",
                "",
                "",
            ),
            (
                f"time for all {results.rooms.rooms} statements",
                f"{results.rooms.statements_s:.2f} s",
                f"< {TARGET_STATEMENTS_S:.0f} s",
                verdict(results.rooms.statements_s < TARGET_STATEMENTS_S),
            ),
        ]
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    for name, value, target, ok in rows:
        print(f"{name:<{width}}  {value:<{value_width}}  {target:<8} {ok}".rstrip())
    if results.churn_keys:
        print("attributes that changed:", dict(results.churn_keys.most_common(10)))
    if results.unavailable or results.poll_failures:
        print(
            f"WARNING: {results.unavailable} entities unavailable, "
            f"{results.poll_failures} coordinators failing at the end"
        )


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--gateways", type=int, default=16)
    parser.add_argument("--meters", type=int, default=40, help="meters per gateway")
    parser.add_argument("--cycles", type=int, default=30, help="measured poll cycles")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured cycles first")
    parser.add_argument("--breakdown", type=int, default=3, help="cycles for the CPU split")
    parser.add_argument(
        "--history-days",
        type=float,
        default=30,
        help="ledger history written before setup (0: tenancies start in the run)",
    )
    parser.add_argument(
        "--hour-step", type=float, default=300.0, help="simulated seconds per cycle, hour phase"
    )
    parser.add_argument("--profile", help="write a cProfile of the measured cycles here")
    parser.add_argument(
        "--all-meter-values",
        action="store_true",
        help='with the gateway option "offer every meter value" (default: off, as installed)',
    )
    parser.add_argument(
        "--bus-only", action="store_true", help="measure the bus layer alone (no HA)"
    )
    parser.add_argument("--serve-gateways", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--prefill", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_gateways:
        asyncio.run(serve_gateways(args.gateways, args.meters))
        return 0
    if args.prefill:
        prefill_main()
        return 0
    logging.basicConfig(level=logging.WARNING)
    if args.bus_only:
        asyncio.run(bus_only(args))
        return 0
    results = asyncio.run(measure(args))
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
