"""Fixtures for the pure billing core: real SQLite files, an injected clock, no Home Assistant."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.prepaid_power.billing.core import BillingCore, RoomConfig
from custom_components.prepaid_power.billing.ledger import (
    DEBT_RECORDED,
    EMERGENCY_CREDIT_REASONS,
    EMERGENCY_CREDIT_RECOVERED,
    EMERGENCY_CREDIT_TAKEN,
    Entry,
    Ledger,
)
from custom_components.prepaid_power.billing.money import Currency
from custom_components.prepaid_power.billing.recovery import DEBT_LEFT_AT_MOVE_OUT

BERLIN = ZoneInfo("Europe/Berlin")
FLAT = {"kind": "flat", "price": "0.2500"}
TOU = {
    "kind": "tou",
    "prices": {"peak": "0.3000", "valley": "0.1000", "flat": "0.2000"},
    "weekday": [
        {"start": "00:00", "end": "07:00", "period": "valley"},
        {"start": "07:00", "end": "19:00", "period": "peak"},
        {"start": "19:00", "end": "23:00", "period": "flat"},
        {"start": "23:00", "end": "00:00", "period": "valley"},
    ],
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """The billing core needs no Home Assistant instance (overrides the top-level fixture)."""


@pytest.fixture(autouse=True)
def loopback_sockets() -> None:
    """No sockets in the billing core (overrides the top-level fixture)."""


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@dataclass
class World:
    """A ledger file and a core that can be 'restarted' (reopened) like HA would."""

    path: Path
    clock: Clock
    tz: ZoneInfo
    currency: Currency
    ledger: Ledger
    core: BillingCore

    def restart(self) -> BillingCore:
        self.ledger.close()
        self.ledger = Ledger(self.path, self.currency, now=self.clock)
        self.core = BillingCore(self.ledger, self.tz, now=self.clock)
        return self.core

    def counts(self) -> tuple[Any, ...]:
        """A fingerprint of everything in the ledger (to show that a refusal wrote nothing)."""
        rows = self.ledger.execute(
            "SELECT (SELECT COUNT(*) FROM entries), (SELECT COUNT(*) FROM tenancies),"
            " (SELECT group_concat(balance_minor) FROM accounts),"
            " (SELECT COUNT(*) FROM tariff_versions), (SELECT COUNT(*) FROM suspect_readings),"
            " (SELECT COUNT(*) FROM debt_plans)"
        )
        return rows[0]


type WorldFactory = Callable[..., World]


def make_world(
    path: Path,
    *,
    start: datetime = datetime(2026, 1, 10, 12, tzinfo=UTC),
    tz: ZoneInfo = BERLIN,
    currency: Currency | None = None,
) -> World:
    clock = Clock(start)
    currency = currency or Currency("EUR")
    ledger = Ledger(path, currency, now=clock)
    return World(path, clock, tz, currency, ledger, BillingCore(ledger, tz, now=clock))


@pytest.fixture
def world_factory(tmp_path: Path) -> Generator[WorldFactory]:
    worlds: list[World] = []

    def factory(**kwargs: Any) -> World:
        world = make_world(tmp_path / f"ledger{len(worlds)}.sqlite3", **kwargs)
        worlds.append(world)
        return world

    yield factory
    for world in worlds:
        world.ledger.close()


@pytest.fixture
def world(world_factory: WorldFactory) -> World:
    return world_factory()


def add_room(
    world: World,
    room_id: str = "r1",
    tariff: dict[str, Any] | None = None,
    **config: Any,
) -> None:
    world.core.upsert_room(room_id, RoomConfig(name=room_id, **config))
    world.core.set_tariff(room_id, tariff or FLAT)


def occupied(world: World, room_id: str = "r1", reading: str = "100", **config: Any) -> None:
    tariff = config.pop("tariff", None)
    add_room(world, room_id, tariff, **config)
    world.core.move_in(room_id, "Alice", reading, who="landlord")


def kwh_of(entries: Iterable[Entry]) -> Decimal:
    """Total kWh of charge or allowance entries."""
    return sum((e.kwh or Decimal(0) for e in entries), Decimal(0))


def d(value: str) -> Decimal:
    return Decimal(value)


def check_never_negative_but_by_usage(ledger: Ledger, account_id: int) -> None:
    """Replayed in entry order, the balance goes below zero (or further below) only by usage,
    a reversal, or a debt recorded explicitly: the move-out settlement, or the part of a
    landlord's adjustment the entry says was recorded as debt."""
    balance = Decimal(0)
    entries = sorted(ledger.entries(account_id=account_id), key=lambda e: e.entry_id)
    for index, entry in enumerate(entries):
        after = balance + entry.amount
        if after < 0 and after < balance:
            debt = ledger.currency.format(-after + min(balance, Decimal(0)))
            explicit = (
                (entry.kind == "adjustment" and f"({DEBT_RECORDED} {debt})" in entry.why)
                # Emergency credit paid back from the top-up right before it (a net zero).
                or (
                    entry.why == EMERGENCY_CREDIT_RECOVERED
                    and entries[index - 1].kind == "top_up"
                    and entries[index - 1].amount >= -entry.amount
                )
                # Fees that waited, and a recovery plan's debt left, are booked at move-out,
                # right before the settlement.
                or (
                    (entry.kind == "fee" or entry.why == DEBT_LEFT_AT_MOVE_OUT)
                    and _before_settlement(entries[index:])
                )
            )
            assert entry.kind in {"charge", "reversal", "settlement"} or explicit, entry
        balance = after


def _before_settlement(entries: list[Entry]) -> bool:
    """Only waiting fees and a recovery plan's debt left come before the next settlement."""
    for entry in entries:
        if entry.kind == "settlement":
            return True
        if entry.kind != "fee" and entry.why != DEBT_LEFT_AT_MOVE_OUT:
            return False
    return False


def check_emergency_credit(ledger: Ledger, account_id: int) -> None:
    """Replayed in entry order (the landlord's adjustments aside): credit is taken only
    when none is outstanding, and every top-up is followed at once by the recovery of what was
    outstanding (up to its amount)."""
    entries = sorted(
        (
            entry
            for entry in ledger.entries(account_id=account_id, kinds=["top_up", "emergency_credit"])
            if entry.kind == "top_up" or entry.why in EMERGENCY_CREDIT_REASONS
        ),
        key=lambda entry: entry.entry_id,
    )
    outstanding = Decimal(0)
    owed_by: Decimal | None = None  # the recovery the previous top-up must be followed by
    for entry in entries:
        if owed_by is not None:
            assert entry.why == EMERGENCY_CREDIT_RECOVERED, entry
            assert entry.amount == -owed_by
            outstanding -= owed_by
            owed_by = None
        elif entry.kind == "top_up":
            owed_by = min(entry.amount, outstanding) or None
        else:
            assert entry.why == EMERGENCY_CREDIT_TAKEN, entry
            assert outstanding == 0
            outstanding = entry.amount
    assert owed_by is None
    assert ledger.emergency_credit_outstanding(account_id) == outstanding
