"""Invariants under arbitrary histories (hypothesis).

- the balance is the sum of the entries (and the cached balance agrees);
- Σ charges reconciles with Σ kWh * price within one minor unit per cycle;
- allowance used ≤ allowance credited, per cycle;
- any sequence of readings (gaps, resets, rollovers, glitches, restarts) charges every kWh
  actually used exactly once: Σ charged kWh == true consumption;
- every statement line is its own kWh * price within one minor unit, and the lines add up to
  the cycle's posted charges;
- no balance goes below zero but by usage, a reversal or an explicitly recorded debt (fees
  and landlord adjustments included).
"""

from __future__ import annotations

from collections import defaultdict
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import os
from pathlib import Path
import tempfile
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.prepaid_power.billing.cycle import CycleCalendar
from custom_components.prepaid_power.billing.errors import BillingError
from custom_components.prepaid_power.billing.statement import statement_data
from custom_components.prepaid_power.billing.tariff import (
    TariffSchedule,
    TariffVersion,
    split_usage,
    tariff_from_dict,
)

from .conftest import (
    BERLIN,
    FLAT,
    TOU,
    World,
    add_room,
    check_emergency_credit,
    check_never_negative_but_by_usage,
    kwh_of,
    make_world,
)

# More examples on demand: BILLING_EXAMPLES=2000 pytest tests/billing/test_properties.py
EXAMPLES = int(os.environ.get("BILLING_EXAMPLES", "40"))
ROLLOVER = Decimal(1000)
MAX_POWER = Decimal(10)
TIERED = {
    "kind": "tiered",
    "blocks": [
        {"up_to_kwh": "30", "price": "0.1111"},
        {"up_to_kwh": "80", "price": "0.2222"},
        {"up_to_kwh": None, "price": "0.3333"},
    ],
}
ODD_TOU = {
    "kind": "tou",
    "prices": {"spike": "0.4567", "peak": "0.3333", "flat": "0.1999", "valley": "0.0777"},
    "weekday": [
        {"start": "22:00", "end": "06:30", "period": "valley"},
        {"start": "06:30", "end": "11:00", "period": "peak"},
        {"start": "11:00", "end": "12:15", "period": "spike"},
        {"start": "12:15", "end": "18:00", "period": "flat"},
        {"start": "18:00", "end": "22:00", "period": "peak"},
    ],
    "weekend": [{"start": "00:00", "end": "00:00", "period": "flat"}],
}

TARIFFS: list[dict[str, Any]] = [FLAT, TOU, TIERED, ODD_TOU]
minutes = st.one_of(
    st.integers(min_value=1, max_value=90),
    st.integers(min_value=90, max_value=3 * 24 * 60),  # outages, month ends
)
step = st.one_of(
    st.tuples(st.just("use"), minutes, st.integers(min_value=0, max_value=1000)),  # ‰ of max
    # Hourly readings for a day or so: many postings crossing period boundaries.
    st.tuples(st.just("hours"), st.integers(min_value=6, max_value=30), st.integers(1, 1000)),
    st.tuples(st.just("glitch"), minutes, st.integers(min_value=2000, max_value=9000)),
    st.tuples(st.just("reset"), minutes, st.integers(min_value=0, max_value=100)),
    st.tuples(st.just("top_up"), st.integers(min_value=1, max_value=5000), st.integers(0, 5)),
    st.tuples(st.just("emergency"), st.integers(min_value=1, max_value=2000), st.just(0)),
    st.tuples(st.just("restart"), st.just(0), st.just(0)),
    st.tuples(st.just("tariff"), st.integers(min_value=0, max_value=3), st.just(0)),
    st.tuples(st.just("new_tenant"), st.just(0), st.just(0)),
    # A landlord's correction (‰ of 10.00, either sign), recorded as debt or not.
    st.tuples(st.just("adjust"), st.integers(min_value=-5000, max_value=2000), st.integers(0, 1)),
    st.tuples(st.just("fee"), st.integers(min_value=1, max_value=2000), st.just(0)),
)


@dataclass
class Meter:
    counter: Decimal
    used: Decimal = Decimal(0)
    # Energy nobody could bill: used before a restart, not yet posted, and the meter was
    # replaced before HA read it again (the old register's last value is gone).
    lost: Decimal = Decimal(0)
    read_since_restart: bool = True


def run_history(world: World, steps: list[tuple[str, int, int]]) -> Meter:
    meter = Meter(Decimal(100))
    world.core.move_in("r1", "Bob", meter.counter, who="a")
    for kind, a, b in steps:
        core = world.core
        if kind == "use":
            world.clock.advance(minutes=a)
            # At most the meter's maximum power: always plausible.
            kwh = (MAX_POWER * a / 60 * b / 1000).quantize(Decimal("0.01"), rounding="ROUND_FLOOR")
            # A rollover is recognised only within half the counter range.
            kwh = min(kwh, ROLLOVER * Decimal("0.45"))
            meter.used += kwh
            meter.counter = (meter.counter + kwh) % ROLLOVER
            core.process_reading("r1", meter.counter)
            meter.read_since_restart = True
        elif kind == "hours":
            for _ in range(a):
                world.clock.advance(hours=1)
                kwh = (MAX_POWER * b / 1000).quantize(Decimal("0.001"), rounding="ROUND_FLOOR")
                meter.used += kwh
                meter.counter = (meter.counter + kwh) % ROLLOVER
                core.process_reading("r1", meter.counter)
            meter.read_since_restart = True
        elif kind == "glitch":
            # A reading more than the meter could have counted since the last billed reading.
            world.clock.advance(minutes=a)
            state = world.ledger.billing_state("r1")
            assert state is not None
            hours = Decimal((world.clock.now - state.billed_at).total_seconds()) / 3600
            core.process_reading("r1", state.billed_reading + MAX_POWER * hours * 2 + b)
        elif kind == "reset":
            # Meter replaced by one reading far lower (never mistakable for a rollover).
            if Decimal(101) <= meter.counter <= Decimal(400):
                world.clock.advance(minutes=a)
                state = world.ledger.billing_state("r1")
                assert state is not None
                if not meter.read_since_restart:
                    meter.lost += (meter.counter - state.billed_reading) % ROLLOVER
                meter.counter = Decimal(b) * (meter.counter - 101) / 100
                meter.counter = meter.counter.quantize(Decimal("0.01"), rounding="ROUND_FLOOR")
                core.process_reading("r1", meter.counter)
        elif kind == "top_up":
            tenancy = core.tenancy_of("r1")
            assert tenancy is not None
            reference = f"ref-{tenancy.tenancy_id}-{a}-{b}"  # repeats are the same payment
            core.top_up("r1", Decimal(a) / 100, method="app", reference=reference, who="a")
        elif kind == "emergency":
            with contextlib.suppress(BillingError):  # once until top-ups have paid it back
                core.take_emergency_credit("r1", Decimal(a) / 100, who="a")
        elif kind == "tariff":
            core.set_tariff("r1", TARIFFS[a])
        elif kind == "adjust":
            with contextlib.suppress(BillingError):  # beyond the balance without record_debt
                core.adjust(
                    "r1", Decimal(a or 1) / 100, reason="correction", who="a", record_debt=b == 1
                )
        elif kind == "fee":
            with contextlib.suppress(BillingError):  # never beyond the balance
                core.add_fee("r1", Decimal(a) / 100, why="key copy")
        elif kind == "new_tenant":
            core.move_out("r1", meter.counter, who="a")
            core.move_in("r1", "Carol", meter.counter, who="a")
            meter.read_since_restart = True
        else:
            world.restart()
            meter.read_since_restart = False
    world.clock.advance(minutes=1)
    world.core.process_reading("r1", meter.counter)
    world.core.flush("r1")
    return meter


def check_invariants(world: World, meter: Meter) -> None:
    ledger = world.ledger
    ledger.verify()
    for account_id in ledger.account_ids():
        check_emergency_credit(ledger, account_id)
        entries = ledger.entries(account_id=account_id)
        assert ledger.balance(account_id) == sum((e.amount for e in entries), Decimal(0))
        by_cycle: dict[str, list[Any]] = defaultdict(list)
        for entry in entries:
            if entry.cycle is not None:
                by_cycle[entry.cycle].append(entry)
        for cycle_entries in by_cycle.values():
            charges = [e for e in cycle_entries if e.kind == "charge"]
            charged = -sum((e.amount for e in charges), Decimal(0))
            exact = sum((e.exact_amount for e in charges), Decimal(0))
            paid_kwh_value = sum(((e.kwh - e.allowance_kwh) * e.price for e in charges), Decimal(0))
            assert exact == paid_kwh_value
            assert abs(charged - exact) < ledger.currency.minor_unit
            credited = kwh_of(e for e in cycle_entries if e.kind == "allowance")
            used = sum((e.allowance_kwh for e in charges), Decimal(0))
            assert used <= credited
            assert all(0 <= e.allowance_kwh <= e.kwh for e in charges)
        check_never_negative_but_by_usage(ledger, account_id)
    for tenancy in ledger.tenancies():
        entries = ledger.entries(account_id=tenancy.account_id, kinds=["charge"])
        for cycle in {entry.cycle for entry in entries}:
            check_statement_lines(world, tenancy.tenancy_id, cycle)
    charged_kwh = kwh_of(ledger.entries(kinds=["charge"]))
    assert charged_kwh == meter.used - meter.lost
    references = [e.reference for e in ledger.entries(kinds=["top_up"])]
    assert len(references) == len(set(references))


def check_statement_lines(world: World, tenancy_id: int, cycle: str | None) -> None:
    data = statement_data(world.core, tenancy_id, cycle)
    tenancy = world.ledger.tenancy(tenancy_id)
    bounds = world.core.calendar("r1").cycle_by_key(data["cycle"])
    totals = world.ledger.charge_totals(tenancy.account_id, bounds.start, bounds.end)
    lines = data["charges_by_period"]
    assert len(lines) == len(totals)
    for line, (period, price, kwh, free, _) in zip(lines, totals, strict=True):
        assert (line["period"], Decimal(line["price"])) == (period, price)
        exact = (kwh - free) * price
        assert abs(Decimal(line["amount"]) - exact) < world.ledger.currency.minor_unit, line
    assert sum((Decimal(line["amount"]) for line in lines), Decimal(0)) == Decimal(
        data["energy_cost"]
    )


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(step, min_size=1, max_size=40),
    tariff=st.sampled_from(TARIFFS),
    allowance=st.sampled_from(["0", "3", "25.5"]),
    cycle_fee=st.sampled_from(["0", "4.99"]),
    start_day=st.sampled_from([1, 15, 28]),
    start=st.datetimes(
        min_value=datetime(2026, 1, 1),
        max_value=datetime(2027, 1, 1),
    ),
)
def test_any_history_keeps_the_invariants(
    steps: list[tuple[str, int, int]],
    tariff: dict[str, Any],
    allowance: str,
    cycle_fee: str,
    start_day: int,
    start: datetime,
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        world = make_world(Path(directory) / "l.sqlite3", start=start.replace(tzinfo=UTC))
        try:
            add_room(
                world,
                tariff=tariff,
                allowance_kwh=Decimal(allowance),
                cycle_fee=Decimal(cycle_fee),
                cycle_start_day=start_day,
                max_power_kw=MAX_POWER,
                rollover_kwh=ROLLOVER,
                thresholds=(Decimal(0), Decimal(5)),
            )
            meter = run_history(world, steps)
            check_invariants(world, meter)
        finally:
            world.ledger.close()


@settings(max_examples=5 * EXAMPLES, deadline=None)
@given(
    kwh=st.decimals(min_value=0, max_value=10_000, places=3),
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)),
    seconds=st.integers(min_value=0, max_value=40 * 24 * 3600),
    tariff=st.sampled_from([FLAT, TOU, TIERED, ODD_TOU]),
)
def test_split_never_creates_or_loses_energy(
    kwh: Decimal, start: datetime, seconds: int, tariff: dict[str, Any]
) -> None:
    schedule = TariffSchedule()
    schedule.add(TariffVersion(datetime(2020, 1, 1, tzinfo=UTC), tariff_from_dict(tariff)))
    begin = start.replace(tzinfo=UTC)
    pieces = split_usage(
        kwh,
        begin,
        begin + timedelta(seconds=seconds),
        schedule,
        CycleCalendar(BERLIN),
        cycle_kwh=lambda _cycle: Decimal(0),
    )
    assert sum((p.kwh for p in pieces), Decimal(0)) == kwh
    assert all(p.kwh >= 0 and p.start <= p.end for p in pieces)
    # Pieces are in time order and within one cycle each.
    assert [p.start for p in pieces] == sorted(p.start for p in pieces)
