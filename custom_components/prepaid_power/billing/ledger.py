"""Append-only SQLite ledger: rooms, tenancies, accounts, entries, billing state.

Threading contract: a `Ledger` owns one sqlite3 connection and must only be used from the
thread that created it (sqlite3's `check_same_thread`). The HA layer runs every call on one
dedicated single-thread executor (see `AsyncBilling`), never on the event loop.

Durability: WAL + synchronous=FULL; every public write runs in one `BEGIN IMMEDIATE`
transaction, so an acknowledged (returned) write survives a crash or power loss, and a write
that did not return left nothing behind.

Caching: a room's open tenancy, billing state and pending suspect reading, and an account's
balance, carry and per-cycle sums, are read on every poll cycle but change only through this
class, so they are kept in memory once read, dropped or replaced by the writes that change
them (an account's figures by any entry on it), and all forgotten when a transaction rolls
back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
import json
from pathlib import Path
import sqlite3
from typing import Any, Final, Literal, get_args

from .cycle import from_micros, to_micros
from .errors import (
    CURRENCY_MISMATCH,
    EMERGENCY_CREDIT_OUTSTANDING,
    FEE_EXCEEDS_BALANCE,
    LEDGER_CORRUPT,
    LEDGER_INCONSISTENT,
    NOT_A_TOP_UP,
    PAYMENT_METHOD_INVALID,
    REASON_REQUIRED,
    REASON_RESERVED,
    REFUND_EXCEEDS_BALANCE,
    SCHEMA_TOO_NEW,
    SUSPECT_ALREADY_RESOLVED,
    TOP_UP_ALREADY_REVERSED,
    TOP_UP_REFERENCE_CONFLICT,
    UNKNOWN_ENTRY,
    UNKNOWN_SUSPECT,
    UNKNOWN_TENANCY,
    BillingError,
)
from .money import Currency, kwh_to_micro, micro_to_kwh
from .recovery import DEBT_RECOVERY_REASONS, DebtPlan, RecoveryEvery, parse_every
from .standing import STANDING_CHARGE

type EntryKind = Literal[
    "top_up",
    "reversal",
    "refund",
    "charge",
    "allowance",
    "vacant_preset",
    "emergency_credit",
    "fee",
    "adjustment",
    "settlement",
]
ENTRY_KINDS: Final[tuple[EntryKind, ...]] = get_args(EntryKind.__value__)
PAYMENT_METHODS: Final = ("cash", "transfer", "card", "app", "other")
SYSTEM: Final = "system"
EMERGENCY_CREDIT_TAKEN: Final = "emergency credit taken"
EMERGENCY_CREDIT_RECOVERED: Final = "emergency credit recovered from a top-up"
EMERGENCY_CREDIT_REASONS: Final = frozenset({EMERGENCY_CREDIT_TAKEN, EMERGENCY_CREDIT_RECOVERED})
# Marks the part of a landlord's adjustment below zero that was recorded as debt on purpose.
DEBT_RECORDED: Final = "debt recorded"

type Migration = Callable[[sqlite3.Connection], None]

_SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE rooms (
    room_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    config TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE tariff_versions (
    room_id TEXT NOT NULL REFERENCES rooms(room_id),
    effective_from INTEGER NOT NULL,
    definition TEXT NOT NULL,
    who TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (room_id, effective_from)
);
CREATE TABLE tenancies (
    tenancy_id INTEGER PRIMARY KEY,
    room_id TEXT NOT NULL REFERENCES rooms(room_id),
    tenant TEXT NOT NULL,
    moved_in_at INTEGER NOT NULL,
    opening_reading TEXT NOT NULL,
    allowance_pro_rata INTEGER NOT NULL DEFAULT 0,
    moved_out_at INTEGER,
    closing_reading TEXT
);
CREATE UNIQUE INDEX one_open_tenancy_per_room ON tenancies(room_id) WHERE moved_out_at IS NULL;
CREATE TABLE accounts (
    account_id INTEGER PRIMARY KEY,
    room_id TEXT NOT NULL REFERENCES rooms(room_id),
    tenancy_id INTEGER UNIQUE REFERENCES tenancies(tenancy_id),
    balance_minor INTEGER NOT NULL DEFAULT 0,
    carry TEXT NOT NULL DEFAULT '0'
);
CREATE UNIQUE INDEX one_vacant_account_per_room ON accounts(room_id) WHERE tenancy_id IS NULL;
CREATE TABLE entries (
    entry_id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(account_id),
    kind TEXT NOT NULL CHECK (kind IN
        ('top_up','reversal','refund','charge','allowance','fee','adjustment','settlement')),
    at INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    kwh_micro INTEGER,
    allowance_micro INTEGER,
    period TEXT,
    price TEXT,
    reading_from TEXT,
    reading_to TEXT,
    span_start INTEGER,
    exact_amount TEXT,
    cycle TEXT,
    method TEXT,
    reference TEXT,
    reverses_id INTEGER REFERENCES entries(entry_id),
    who TEXT NOT NULL,
    why TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    CHECK (
        (kind = 'top_up' AND amount_minor > 0 AND method IS NOT NULL)
        OR (kind IN ('reversal', 'refund', 'fee') AND amount_minor < 0)
        OR (kind = 'charge' AND amount_minor <= 0 AND kwh_micro >= 0)
        OR (kind = 'allowance' AND amount_minor = 0 AND kwh_micro >= 0)
        OR (kind = 'adjustment' AND amount_minor <> 0 AND why <> '')
        OR kind = 'settlement'
    ),
    CHECK (kind = 'reversal' OR reverses_id IS NULL)
);
CREATE INDEX entries_by_account_time ON entries(account_id, at, amount_minor);
CREATE INDEX entries_by_time ON entries(at);
CREATE INDEX entries_by_account_cycle ON entries(account_id, cycle, kind);
CREATE UNIQUE INDEX top_up_reference ON entries(reference)
    WHERE kind = 'top_up' AND reference IS NOT NULL;
CREATE UNIQUE INDEX reversal_once ON entries(reverses_id) WHERE kind = 'reversal';
CREATE UNIQUE INDEX allowance_once_per_cycle ON entries(account_id, cycle)
    WHERE kind = 'allowance' AND cycle IS NOT NULL;
CREATE UNIQUE INDEX cycle_fee_once_per_cycle ON entries(account_id, cycle)
    WHERE kind = 'fee' AND cycle IS NOT NULL;
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'ledger entries are never edited'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'ledger entries are never deleted'); END;
CREATE TRIGGER entries_balance AFTER INSERT ON entries
    BEGIN
        UPDATE accounts SET balance_minor = balance_minor + NEW.amount_minor
        WHERE account_id = NEW.account_id;
    END;
CREATE TABLE billing_state (
    room_id TEXT PRIMARY KEY REFERENCES rooms(room_id),
    billed_reading TEXT NOT NULL,
    billed_at INTEGER NOT NULL
);
CREATE TABLE suspect_readings (
    suspect_id INTEGER PRIMARY KEY,
    room_id TEXT NOT NULL REFERENCES rooms(room_id),
    from_reading TEXT NOT NULL,
    from_at INTEGER NOT NULL,
    reading TEXT NOT NULL,
    at INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'charged', 'discarded', 'dismissed')),
    resolved_by TEXT,
    resolved_at INTEGER
);
CREATE UNIQUE INDEX one_pending_suspect ON suspect_readings(room_id) WHERE status = 'pending';
"""


def _migrate_v1(conn: sqlite3.Connection) -> None:
    for statement in _split_sql(_SCHEMA_V1):
        conn.execute(statement)


def _split_sql(script: str) -> list[str]:
    """Split a script on ';' outside trigger bodies (sqlite3.executescript would commit)."""
    statements: list[str] = []
    current: list[str] = []
    depth = 0
    for line in script.strip().splitlines():
        current.append(line)
        stripped = line.strip()
        depth += stripped.startswith("BEGIN") or stripped.endswith(" BEGIN")
        if stripped.endswith("END;"):
            depth -= 1
        if stripped.endswith(";") and depth == 0:
            statements.append("\n".join(current))
            current = []
    return statements


def _migrate_v2(conn: sqlite3.Connection) -> None:
    """Covering indexes: per-cycle and per-period sums read the index only, so the cost of a
    poll cycle does not grow with the ledger."""
    conn.execute(
        "CREATE INDEX entries_cycle_sums ON entries"
        "(account_id, cycle, kind, kwh_micro, allowance_micro, amount_minor)"
    )
    conn.execute("CREATE INDEX entries_time_sums ON entries(account_id, kind, at, amount_minor)")


def _migrate_v3(conn: sqlite3.Connection) -> None:
    """A suspect reading remembers the first reading after the jump as well as the newest, so
    discarding drops only the jump and the usage read while it was held is still billed.
    Older rows knew only the newest: for them the two are the same."""
    conn.execute("ALTER TABLE suspect_readings ADD COLUMN jump_reading TEXT")
    conn.execute("ALTER TABLE suspect_readings ADD COLUMN jump_at INTEGER")
    conn.execute("UPDATE suspect_readings SET jump_reading = reading, jump_at = at")


# Schema 4's changes to the entries table's definition (as schema 1 created it).
_KINDS_V3 = "('top_up','reversal','refund','charge','allowance','fee','adjustment','settlement')"
_KINDS_V4 = (
    "('top_up','reversal','refund','charge','allowance','vacant_preset','emergency_credit',"
    "'fee','adjustment','settlement')"
)
_ALLOWANCE_ROW_V3 = "OR (kind = 'allowance' AND amount_minor = 0 AND kwh_micro >= 0)"
_ALLOWANCE_ROW_V4 = (
    "OR (kind IN ('allowance', 'vacant_preset') AND amount_minor = 0 AND kwh_micro >= 0)\n"
    "        OR (kind = 'emergency_credit' AND amount_minor <> 0)"
)


def _migrate_v4(conn: sqlite3.Connection) -> None:
    """Typed kinds for what other kinds carried: a vacant room's landlord-paid preset (an
    `allowance` on the vacant account) becomes `vacant_preset`, emergency credit taken and
    recovered (`adjustment`s with reserved reasons) becomes `emergency_credit`.

    Entries are never edited, and the kind's CHECK cannot be altered in place: the table is
    rebuilt from its own definition with the two changes. The old one is renamed away, every
    entry copied with its new kind into the new table, which has no triggers yet (the
    balances stay as they are: the copy books nothing), the old table dropped (dropping fires
    no delete trigger), then its indexes and triggers created again as they were."""
    (table,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'entries'"
    ).fetchone()
    attached = [
        sql
        for (sql,) in conn.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'entries'"
            " AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name"
        )
    ]
    if _KINDS_V3 not in table or _ALLOWANCE_ROW_V3 not in table:
        msg = "the entries table is not schema 3's"
        raise sqlite3.DatabaseError(msg)
    table = table.replace(_KINDS_V3, _KINDS_V4).replace(_ALLOWANCE_ROW_V3, _ALLOWANCE_ROW_V4)
    fields = [row[1] for row in conn.execute("PRAGMA table_info(entries)")]
    conn.execute("ALTER TABLE entries RENAME TO entries_v3")
    conn.execute(table)
    kind = (
        "CASE"
        " WHEN kind = 'allowance' AND account_id IN"
        " (SELECT account_id FROM accounts WHERE tenancy_id IS NULL) THEN 'vacant_preset'"
        " WHEN kind = 'adjustment' AND why IN (?, ?) THEN 'emergency_credit'"
        " ELSE kind END"
    )
    conn.execute(
        f"INSERT INTO entries ({', '.join(fields)})"  # noqa: S608
        f" SELECT {', '.join(kind if f == 'kind' else f for f in fields)}"
        " FROM entries_v3 ORDER BY entry_id",
        (EMERGENCY_CREDIT_TAKEN, EMERGENCY_CREDIT_RECOVERED),
    )
    conn.execute("DROP TABLE entries_v3")
    for sql in attached:
        conn.execute(sql)


_DEBT_PLANS = """
CREATE TABLE debt_plans (
    plan_id INTEGER PRIMARY KEY,
    tenancy_id INTEGER NOT NULL REFERENCES tenancies(tenancy_id),
    at INTEGER NOT NULL,
    debt_added_minor INTEGER NOT NULL CHECK (debt_added_minor >= 0),
    percent TEXT NOT NULL,
    fixed_minor INTEGER NOT NULL CHECK (fixed_minor >= 0),
    every TEXT NOT NULL CHECK (every IN ('day', 'week')),
    floor_minor INTEGER NOT NULL CHECK (floor_minor >= 0),
    who TEXT NOT NULL,
    why TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
);
CREATE INDEX debt_plans_by_tenancy ON debt_plans(tenancy_id, at);
CREATE TRIGGER debt_plans_no_update BEFORE UPDATE ON debt_plans
    BEGIN SELECT RAISE(ABORT, 'debt plans are never edited'); END;
CREATE TRIGGER debt_plans_no_delete BEFORE DELETE ON debt_plans
    BEGIN SELECT RAISE(ABORT, 'debt plans are never deleted'); END;
"""


def _migrate_debt_plans(conn: sqlite3.Connection) -> None:
    """Debt recovery plans: one row per change of a tenancy's terms (and debt added), never
    edited. Touches no other table: the recovered amounts are adjustments with reserved
    reasons (`recovery.DEBT_RECOVERY_REASONS`)."""
    for statement in _split_sql(_DEBT_PLANS):
        conn.execute(statement)


def _migrate_standing_charge(conn: sqlite3.Connection) -> None:
    """A day's standing charge is a fee whose reference names the day: once per account and
    day. No other fee has a reference; touches no other index or table."""
    conn.execute(
        "CREATE UNIQUE INDEX standing_charge_once_per_day ON entries(account_id, reference)"
        " WHERE kind = 'fee' AND reference IS NOT NULL"
    )


_SUPPLY_CUTS = """
CREATE TABLE supply_cuts (
    id INTEGER PRIMARY KEY,
    room_id TEXT NOT NULL,
    cut_at INTEGER NOT NULL,
    restored_at INTEGER CHECK (restored_at IS NULL OR restored_at >= cut_at),
    recorded_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX supply_cuts_one_open ON supply_cuts(room_id) WHERE restored_at IS NULL;
CREATE INDEX supply_cuts_by_room ON supply_cuts(room_id, cut_at);
CREATE TRIGGER supply_cuts_no_delete BEFORE DELETE ON supply_cuts
    BEGIN SELECT RAISE(ABORT, 'supply cuts are never deleted'); END;
CREATE TRIGGER supply_cuts_closed_once BEFORE UPDATE ON supply_cuts
    WHEN OLD.restored_at IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'a restored supply cut is never edited'); END;
"""


def _migrate_supply_cuts(conn: sqlite3.Connection) -> None:
    """When a room's supply was cut for want of credit (the relay confirmed open) and when
    it was restored: at most one open cut per room (an index), a restored one never edited.
    Touches no other table (the standing charge reads it, see standing.py)."""
    for statement in _split_sql(_SUPPLY_CUTS):
        conn.execute(statement)


_COMMON_DAYS = """
CREATE TABLE common_days (
    meter_key TEXT NOT NULL,
    day TEXT NOT NULL,
    kwh TEXT NOT NULL,
    price TEXT NOT NULL,
    cost_minor INTEGER NOT NULL CHECK (cost_minor >= 0),
    method TEXT NOT NULL CHECK (method IN ('equal', 'consumption')),
    landlord_minor INTEGER NOT NULL CHECK (landlord_minor >= 0 AND landlord_minor <= cost_minor),
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (meter_key, day)
);
CREATE TRIGGER common_days_no_update BEFORE UPDATE ON common_days
    BEGIN SELECT RAISE(ABORT, 'a common meter day is never edited'); END;
CREATE TRIGGER common_days_no_delete BEFORE DELETE ON common_days
    BEGIN SELECT RAISE(ABORT, 'a common meter day is never deleted'); END;
"""


def _migrate_common_days(conn: sqlite3.Connection) -> None:
    """A common meter's booked days (what it measured and cost, the landlord's share):
    once per meter and day, never edited. The tenants' shares are fees referenced
    `common area <meter> <day>` (once per account by `standing_charge_once_per_day`)."""
    for statement in _split_sql(_COMMON_DAYS):
        conn.execute(statement)


# Index i migrates the schema from version i to version i + 1. Never edit a released one.
MIGRATIONS: Final[tuple[Migration, ...]] = (
    _migrate_v1,
    _migrate_v2,
    _migrate_v3,
    # v4 rebuilds the entries table from schema 3's definition: it runs before any later one.
    _migrate_v4,
    _migrate_debt_plans,
    _migrate_standing_charge,
    _migrate_supply_cuts,
    _migrate_common_days,
)


@dataclass(frozen=True, slots=True)
class LedgerCheck:
    """A passed check of the ledger: when, and how much it covered."""

    at: datetime
    accounts: int
    entries: int

    def as_dict(self) -> dict[str, str | int]:
        """For diagnostics."""
        return {"at": self.at.isoformat(), "accounts": self.accounts, "entries": self.entries}


@dataclass(frozen=True, slots=True)
class Entry:
    entry_id: int
    account_id: int
    kind: EntryKind
    at: datetime
    amount: Decimal
    who: str
    why: str
    kwh: Decimal | None = None
    allowance_kwh: Decimal | None = None
    period: str | None = None
    price: Decimal | None = None
    reading_from: Decimal | None = None
    reading_to: Decimal | None = None
    span_start: datetime | None = None
    exact_amount: Decimal | None = None
    cycle: str | None = None
    method: str | None = None
    reference: str | None = None
    reverses_id: int | None = None
    recorded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to append; `amount` must already be on the currency's minor unit."""

    account_id: int
    kind: EntryKind
    at: datetime
    amount: Decimal
    who: str
    why: str
    kwh: Decimal | None = None
    allowance_kwh: Decimal | None = None
    period: str | None = None
    price: Decimal | None = None
    reading_from: Decimal | None = None
    reading_to: Decimal | None = None
    span_start: datetime | None = None
    exact_amount: Decimal | None = None
    cycle: str | None = None
    method: str | None = None
    reference: str | None = None
    reverses_id: int | None = None


@dataclass(frozen=True, slots=True)
class Tenancy:
    tenancy_id: int
    room_id: str
    tenant: str
    moved_in_at: datetime
    opening_reading: Decimal
    allowance_pro_rata: bool
    account_id: int
    moved_out_at: datetime | None = None
    closing_reading: Decimal | None = None


@dataclass(frozen=True, slots=True)
class BillingState:
    room_id: str
    billed_reading: Decimal
    billed_at: datetime


@dataclass(frozen=True, slots=True)
class SuspectReading:
    """A held jump: from the billed reading to the first reading after the jump (`jump_*`),
    and on to the newest reading while it is held."""

    suspect_id: int
    room_id: str
    from_reading: Decimal
    from_at: datetime
    reading: Decimal
    at: datetime
    status: str
    jump_reading: Decimal
    jump_at: datetime


_SUSPECT_COLUMNS = (
    "suspect_id, room_id, from_reading, from_at, reading, at, status, jump_reading, jump_at"
)
_ENTRY_COLUMNS = (
    "entry_id, account_id, kind, at, amount_minor, who, why, kwh_micro, allowance_micro, period,"
    " price, reading_from, reading_to, span_start, exact_amount, cycle, method, reference,"
    " reverses_id, recorded_at"
)
_TENANCY_COLUMNS = (
    "t.tenancy_id, t.room_id, t.tenant, t.moved_in_at, t.opening_reading, t.allowance_pro_rata,"
    " a.account_id, t.moved_out_at, t.closing_reading"
)


def _opt_dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _opt_str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


PAGE_CACHE_KIB: Final = 256


class Ledger:
    """The ledger database. Synchronous; one thread only (see module docstring)."""

    def __init__(
        self,
        path: str | Path,
        currency: Currency,
        *,
        migrations: Sequence[Migration] = MIGRATIONS,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.currency = currency
        self._now = now
        self._depth = 0
        # Undo steps for memory changed inside the running transaction (see `on_rollback`).
        self._undo: list[Callable[[], None]] = []
        self._conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        # SQLite's own page cache (2 MB by default, per gateway) holds little the in-memory
        # figures below do not; the OS caches the file anyway.
        self._conn.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
        self._open_tenancy: dict[str, Tenancy | None] = {}
        self._billing_state: dict[str, BillingState | None] = {}
        self._pending_suspect: dict[str, SuspectReading | None] = {}
        self._account_figures: dict[int, dict[tuple[Any, ...], Any]] = {}
        self._debt_plans: dict[int, DebtPlan | None] = {}
        self._supply_cuts: dict[str, tuple[tuple[datetime, datetime | None], ...]] = {}
        self._migrate(migrations)
        self._check_currency()

    # --- plumbing ----------------------------------------------------------------------------

    def close(self) -> None:
        self._conn.close()

    def checkpoint(self) -> None:
        """Move every committed write from the WAL into the database file (for backups)."""
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write; nested use joins the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield self._conn
            finally:
                self._depth -= 1
            return
        self._conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            self._forget()
            for undo in reversed(self._undo):
                undo()
            raise
        else:
            self._conn.execute("COMMIT")
        finally:
            self._depth = 0
            self._undo.clear()

    @property
    def in_transaction(self) -> bool:
        """A transaction is running (writes join it)."""
        return self._depth > 0

    def on_rollback(self, undo: Callable[[], None]) -> None:
        """Run `undo` if the running transaction rolls back: memory that mirrors what the
        transaction wrote (a room's accrued usage) must not outlive a rolled-back write."""
        if self._depth:
            self._undo.append(undo)

    def _forget(self) -> None:
        """Drop the cached rows (what they were read from may have been rolled back)."""
        self._open_tenancy.clear()
        self._billing_state.clear()
        self._pending_suspect.clear()
        self._account_figures.clear()
        self._debt_plans.clear()
        self._supply_cuts.clear()

    def _figure[T](self, account_id: int, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """An account's figure, computed once until an entry or carry changes the account."""
        figures = self._account_figures.setdefault(account_id, {})
        if key not in figures:
            figures[key] = compute()
        value: T = figures[key]
        return value

    def _recorded_now(self) -> int:

        return to_micros(self._now() if self._now else datetime.now(UTC))

    @property
    def schema_version(self) -> int:
        row = self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def _migrate(self, migrations: Sequence[Migration]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version"
                " (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"
            )
            current = self.schema_version
            if current > len(migrations):
                raise BillingError(
                    SCHEMA_TOO_NEW, {"version": str(current), "supported": str(len(migrations))}
                )
            for version in range(current, len(migrations)):
                migrations[version](conn)
                conn.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                    (version + 1, self._recorded_now()),
                )

    def _check_currency(self) -> None:
        with self.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'currency'").fetchone()
            mine = json.dumps([self.currency.code, self.currency.exponent])
            if row is None:
                conn.execute("INSERT INTO meta (key, value) VALUES ('currency', ?)", (mine,))
                return
            code, exponent = json.loads(row[0])
            if code != self.currency.code:
                raise BillingError(CURRENCY_MISMATCH, {"stored": row[0], "configured": mine})
            # The same currency with another minor unit (the currency data changed, as CLDR
            # and ISO 4217 differ for a few): the money booked keeps the unit it was booked in.
            self.currency = Currency(code, exponent)

    # --- rooms and tariffs -------------------------------------------------------------------

    def upsert_room(self, room_id: str, name: str, config: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO rooms (room_id, name, config, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(room_id) DO UPDATE SET name = excluded.name, config = excluded.config",
                (room_id, name, json.dumps(config, sort_keys=True), self._recorded_now()),
            )

    def rooms(self) -> dict[str, tuple[str, dict[str, Any]]]:
        rows = self._conn.execute("SELECT room_id, name, config FROM rooms ORDER BY room_id")
        return {room_id: (name, json.loads(config)) for room_id, name, config in rows}

    def add_tariff_version(
        self, room_id: str, effective_from: datetime, definition: dict[str, Any], who: str
    ) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO tariff_versions"
                " (room_id, effective_from, definition, who, recorded_at) VALUES (?, ?, ?, ?, ?)",
                (
                    room_id,
                    to_micros(effective_from),
                    json.dumps(definition, sort_keys=True),
                    who,
                    self._recorded_now(),
                ),
            )

    def tariff_versions(self, room_id: str) -> list[tuple[datetime, dict[str, Any]]]:
        rows = self._conn.execute(
            "SELECT effective_from, definition FROM tariff_versions WHERE room_id = ?"
            " ORDER BY effective_from",
            (room_id,),
        )
        return [(from_micros(at), json.loads(definition)) for at, definition in rows]

    # --- tenancies and accounts --------------------------------------------------------------

    def open_tenancy(
        self,
        room_id: str,
        tenant: str,
        at: datetime,
        opening_reading: Decimal,
        *,
        allowance_pro_rata: bool,
    ) -> Tenancy:
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO tenancies (room_id, tenant, moved_in_at, opening_reading,"
                " allowance_pro_rata) VALUES (?, ?, ?, ?, ?)",
                (room_id, tenant, to_micros(at), str(opening_reading), int(allowance_pro_rata)),
            )
            tenancy_id = cursor.lastrowid
            conn.execute(
                "INSERT INTO accounts (room_id, tenancy_id) VALUES (?, ?)", (room_id, tenancy_id)
            )
            self._open_tenancy.pop(room_id, None)
        assert tenancy_id is not None
        return self.tenancy(tenancy_id)

    def close_tenancy(self, tenancy_id: int, at: datetime, closing_reading: Decimal) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE tenancies SET moved_out_at = ?, closing_reading = ?"
                " WHERE tenancy_id = ? AND moved_out_at IS NULL",
                (to_micros(at), str(closing_reading), tenancy_id),
            )
            self._open_tenancy.clear()

    def _tenancy_from_row(self, row: tuple[Any, ...]) -> Tenancy:
        return Tenancy(
            tenancy_id=row[0],
            room_id=row[1],
            tenant=row[2],
            moved_in_at=from_micros(row[3]),
            opening_reading=Decimal(row[4]),
            allowance_pro_rata=bool(row[5]),
            account_id=row[6],
            moved_out_at=None if row[7] is None else from_micros(row[7]),
            closing_reading=_opt_dec(row[8]),
        )

    def tenancy(self, tenancy_id: int) -> Tenancy:
        row = self._conn.execute(
            f"SELECT {_TENANCY_COLUMNS} FROM tenancies t JOIN accounts a USING (tenancy_id)"  # noqa: S608
            " WHERE t.tenancy_id = ?",
            (tenancy_id,),
        ).fetchone()
        if row is None:
            raise BillingError(UNKNOWN_TENANCY, {"tenancy": str(tenancy_id)})
        return self._tenancy_from_row(row)

    def tenancies(self, room_id: str | None = None) -> list[Tenancy]:
        sql = f"SELECT {_TENANCY_COLUMNS} FROM tenancies t JOIN accounts a USING (tenancy_id)"  # noqa: S608
        rows = (
            self._conn.execute(sql + " ORDER BY t.tenancy_id")
            if room_id is None
            else self._conn.execute(sql + " WHERE t.room_id = ? ORDER BY t.tenancy_id", (room_id,))
        )
        return [self._tenancy_from_row(row) for row in rows]

    def open_tenancy_of(self, room_id: str) -> Tenancy | None:
        if room_id in self._open_tenancy:
            return self._open_tenancy[room_id]
        row = self._conn.execute(
            f"SELECT {_TENANCY_COLUMNS} FROM tenancies t JOIN accounts a USING (tenancy_id)"  # noqa: S608
            " WHERE t.room_id = ? AND t.moved_out_at IS NULL",
            (room_id,),
        ).fetchone()
        tenancy = None if row is None else self._tenancy_from_row(row)
        self._open_tenancy[room_id] = tenancy
        return tenancy

    def vacant_account(self, room_id: str) -> int:
        """The room's landlord account: energy used while no tenancy is open is booked here."""
        row = self._conn.execute(
            "SELECT account_id FROM accounts WHERE room_id = ? AND tenancy_id IS NULL", (room_id,)
        ).fetchone()
        if row is not None:
            return int(row[0])
        with self.transaction() as conn:
            cursor = conn.execute("INSERT INTO accounts (room_id) VALUES (?)", (room_id,))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def account_ids(self) -> list[int]:
        return [row[0] for row in self._conn.execute("SELECT account_id FROM accounts")]

    # --- balance -----------------------------------------------------------------------------

    def balance(self, account_id: int) -> Decimal:
        """The cached balance (kept by a trigger in the same transaction as each entry)."""

        def compute() -> Decimal:
            row = self._conn.execute(
                "SELECT balance_minor FROM accounts WHERE account_id = ?", (account_id,)
            ).fetchone()
            return self.currency.from_minor(0 if row is None else row[0])

        return self._figure(account_id, ("balance",), compute)

    def cycle_charge_sums(
        self, account_id: int, cycle: str, *, meter: str | bool | None = True
    ) -> tuple[Decimal, Decimal]:
        """Σ kWh and Σ money of an account's charges booked to a billing cycle; of one
        meter's only when `meter` is a charge reference (None: the account room's own)."""

        def compute() -> tuple[Decimal, Decimal]:
            sql = (
                "SELECT COALESCE(SUM(kwh_micro), 0), COALESCE(SUM(amount_minor), 0) FROM entries"
                " WHERE account_id = ? AND cycle = ? AND kind = 'charge'"
            )
            params: tuple[Any, ...] = (account_id, cycle)
            if meter is not True:
                sql += " AND reference IS ?"
                params += (meter,)
            row = self._conn.execute(sql, params).fetchone()
            return micro_to_kwh(row[0]), self.currency.from_minor(row[1])

        return self._figure(account_id, ("charge_sums", cycle, meter), compute)

    def charge_amount_since(self, account_id: int, since: datetime) -> Decimal:
        """Σ money of an account's charges dated at or after `since`."""
        row = self._conn.execute(
            "SELECT COALESCE(SUM(amount_minor), 0) FROM entries"
            " WHERE account_id = ? AND at >= ? AND kind = 'charge'",
            (account_id, to_micros(since)),
        ).fetchone()
        return self.currency.from_minor(row[0])

    def room_cycle_totals(
        self, room_id: str, start: datetime, end: datetime
    ) -> tuple[Decimal, Decimal, Decimal]:
        """A room's income (top-ups less reversals and refunds), charged kWh and charged
        money in [start, end), over all its accounts."""
        row = self._conn.execute(
            "SELECT COALESCE(SUM(CASE WHEN kind IN ('top_up', 'reversal', 'refund')"
            " THEN amount_minor END), 0),"
            " COALESCE(SUM(CASE WHEN kind = 'charge' THEN kwh_micro END), 0),"
            " COALESCE(SUM(CASE WHEN kind = 'charge' THEN amount_minor END), 0)"
            " FROM entries WHERE account_id IN (SELECT account_id FROM accounts WHERE room_id = ?)"
            " AND at >= ? AND at < ?",
            (room_id, to_micros(start), to_micros(end)),
        ).fetchone()
        return (
            self.currency.from_minor(row[0]),
            micro_to_kwh(row[1]),
            -self.currency.from_minor(row[2]),
        )

    def balance_at(self, account_id: int, before: datetime) -> Decimal:
        """Σ entries dated before `before` (an opening balance)."""
        row = self._conn.execute(
            "SELECT COALESCE(SUM(amount_minor), 0) FROM entries WHERE account_id = ? AND at < ?",
            (account_id, to_micros(before)),
        ).fetchone()
        return self.currency.from_minor(row[0])

    def verify(self) -> LedgerCheck:
        """Check the invariant: every cached balance equals the sum of its entries."""
        rows = self._conn.execute(
            "SELECT a.account_id, a.balance_minor, COALESCE(SUM(e.amount_minor), 0), COUNT(e.entry_id)"
            " FROM accounts a LEFT JOIN entries e USING (account_id) GROUP BY a.account_id"
        ).fetchall()
        for account_id, cached, total, _count in rows:
            if cached != total:
                raise BillingError(
                    LEDGER_INCONSISTENT,
                    {"account": str(account_id), "cached": str(cached), "sum": str(total)},
                )
        return LedgerCheck(
            at=self._now() if self._now else datetime.now(UTC),
            accounts=len(rows),
            entries=sum(row[3] for row in rows),
        )

    def check(self) -> LedgerCheck:
        """Check the file (SQLite's quick check) and the invariant (`verify`), e.g. at start-up
        after a power cut or a restored copy: refuse a damaged ledger rather than write to it."""
        problems = [row[0] for row in self._conn.execute("PRAGMA quick_check(5)").fetchall()]
        if problems != ["ok"]:
            raise BillingError(LEDGER_CORRUPT, {"problem": "; ".join(problems)})
        return self.verify()

    def carry(self, account_id: int) -> Decimal:
        def compute() -> Decimal:
            row = self._conn.execute(
                "SELECT carry FROM accounts WHERE account_id = ?", (account_id,)
            ).fetchone()
            return Decimal(row[0]) if row else Decimal(0)

        return self._figure(account_id, ("carry",), compute)

    def cycle_carry(self, account_id: int, cycle: str) -> Decimal:
        """What the charges of one billing cycle of an account left unposted: Σ exact
        amount - Σ posted (a shared account's rounding carry stays in its cycle)."""

        def compute() -> Decimal:
            rows = self._conn.execute(
                "SELECT exact_amount, amount_minor FROM entries"
                " WHERE account_id = ? AND cycle = ? AND kind = 'charge'",
                (account_id, cycle),
            ).fetchall()
            return sum(
                (Decimal(exact or 0) + self.currency.from_minor(minor) for exact, minor in rows),
                Decimal(0),
            )

        return self._figure(account_id, ("cycle_carry", cycle), compute)

    def set_carry(self, account_id: int, carry: Decimal) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE accounts SET carry = ? WHERE account_id = ?", (str(carry), account_id)
            )
            self._account_figures.pop(account_id, None)

    # --- entries -----------------------------------------------------------------------------

    def append(self, entry: NewEntry) -> Entry:
        """Insert one entry (the caller validated the business rules)."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO entries (account_id, kind, at, amount_minor, who, why, kwh_micro,"
                " allowance_micro, period, price, reading_from, reading_to, span_start,"
                " exact_amount, cycle, method, reference, reverses_id, recorded_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self._entry_params(entry),
            )
            self._account_figures.pop(entry.account_id, None)
            assert cursor.lastrowid is not None
            return self.entry(cursor.lastrowid)

    def append_many(self, entries: Sequence[NewEntry]) -> None:
        """Bulk insert (benchmarks, imports); same schema and triggers as `append`."""
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO entries (account_id, kind, at, amount_minor, who, why, kwh_micro,"
                " allowance_micro, period, price, reading_from, reading_to, span_start,"
                " exact_amount, cycle, method, reference, reverses_id, recorded_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [self._entry_params(entry) for entry in entries],
            )
            self._account_figures.clear()

    def _entry_params(self, e: NewEntry) -> tuple[Any, ...]:
        return (
            e.account_id,
            e.kind,
            to_micros(e.at),
            self.currency.to_minor(e.amount),
            e.who,
            e.why,
            None if e.kwh is None else kwh_to_micro(e.kwh),
            None if e.allowance_kwh is None else kwh_to_micro(e.allowance_kwh),
            e.period,
            _opt_str(e.price),
            _opt_str(e.reading_from),
            _opt_str(e.reading_to),
            None if e.span_start is None else to_micros(e.span_start),
            _opt_str(e.exact_amount),
            e.cycle,
            e.method,
            e.reference,
            e.reverses_id,
            self._recorded_now(),
        )

    def _entry_from_row(self, row: tuple[Any, ...]) -> Entry:
        return Entry(
            entry_id=row[0],
            account_id=row[1],
            kind=row[2],
            at=from_micros(row[3]),
            amount=self.currency.from_minor(row[4]),
            who=row[5],
            why=row[6],
            kwh=None if row[7] is None else micro_to_kwh(row[7]),
            allowance_kwh=None if row[8] is None else micro_to_kwh(row[8]),
            period=row[9],
            price=_opt_dec(row[10]),
            reading_from=_opt_dec(row[11]),
            reading_to=_opt_dec(row[12]),
            span_start=None if row[13] is None else from_micros(row[13]),
            exact_amount=_opt_dec(row[14]),
            cycle=row[15],
            method=row[16],
            reference=row[17],
            reverses_id=row[18],
            recorded_at=from_micros(row[19]),
        )

    def entry(self, entry_id: int) -> Entry:
        row = self._conn.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE entry_id = ?",  # noqa: S608
            (entry_id,),
        ).fetchone()
        if row is None:
            raise BillingError(UNKNOWN_ENTRY, {"entry": str(entry_id)})
        return self._entry_from_row(row)

    def entries(
        self,
        *,
        account_id: int | None = None,
        room_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        kinds: Sequence[str] | None = None,
    ) -> list[Entry]:
        """Entries in [start, end), oldest first."""
        return [
            self._entry_from_row(row)
            for row in self.entry_rows(
                account_id=account_id, room_id=room_id, start=start, end=end, kinds=kinds
            )
        ]

    def entry_rows(
        self,
        *,
        account_id: int | None = None,
        room_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        kinds: Sequence[str] | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        where: list[str] = []
        params: list[Any] = []
        if account_id is not None:
            where.append("account_id = ?")
            params.append(account_id)
        if room_id is not None:
            where.append("account_id IN (SELECT account_id FROM accounts WHERE room_id = ?)")
            params.append(room_id)
        if start is not None:
            where.append("at >= ?")
            params.append(to_micros(start))
        if end is not None:
            where.append("at < ?")
            params.append(to_micros(end))
        if kinds:
            where.append(f"kind IN ({', '.join('?' for _ in kinds)})")
            params.extend(kinds)
        sql = f"SELECT {_ENTRY_COLUMNS} FROM entries"  # noqa: S608
        if where:
            sql += " WHERE " + " AND ".join(where)
        yield from self._conn.execute(sql + " ORDER BY at, entry_id", params)

    # --- money operations with their rules ---------------------------------------------------

    def top_up(
        self,
        account_id: int,
        amount: Decimal,
        *,
        method: str,
        reference: str | None,
        at: datetime,
        who: str,
        why: str = "",
    ) -> tuple[Entry, bool]:
        """Record a payment; returns (entry, created). A known reference returns the first entry."""
        if method not in PAYMENT_METHODS:
            raise BillingError(PAYMENT_METHOD_INVALID, {"method": method})
        reference = reference.strip() or None if reference is not None else None
        with self.transaction():
            existing = self._top_up_by_reference(reference)
            if existing is not None:
                if existing.account_id != account_id or existing.amount != amount:
                    raise BillingError(
                        TOP_UP_REFERENCE_CONFLICT,
                        {"reference": str(reference), "entry": str(existing.entry_id)},
                    )
                return existing, False
            entry = self.append(
                NewEntry(
                    account_id=account_id,
                    kind="top_up",
                    at=at,
                    amount=amount,
                    who=who,
                    why=why or "top-up",
                    method=method,
                    reference=reference,
                )
            )
        return entry, True

    def _top_up_by_reference(self, reference: str | None) -> Entry | None:
        if reference is None:
            return None
        row = self._conn.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE kind = 'top_up' AND reference = ?",  # noqa: S608
            (reference,),
        ).fetchone()
        return None if row is None else self._entry_from_row(row)

    def reverse_top_up(self, entry_id: int, *, at: datetime, who: str, why: str) -> Entry:
        """Undo one top-up, once; may take the balance below zero."""
        with self.transaction() as conn:
            original = self.entry(entry_id)
            if original.kind != "top_up":
                raise BillingError(NOT_A_TOP_UP, {"entry": str(entry_id), "kind": original.kind})
            if conn.execute(
                "SELECT 1 FROM entries WHERE kind = 'reversal' AND reverses_id = ?", (entry_id,)
            ).fetchone():
                raise BillingError(TOP_UP_ALREADY_REVERSED, {"entry": str(entry_id)})
            return self.append(
                NewEntry(
                    account_id=original.account_id,
                    kind="reversal",
                    at=at,
                    amount=-original.amount,
                    who=who,
                    why=why or "reversal",
                    reverses_id=entry_id,
                    method=original.method,
                    reference=original.reference,
                )
            )

    def _require_covered(self, account_id: int, amount: Decimal, key: str) -> None:
        """Refuse (`key`) taking more than the balance: refunds and fees never make debt."""
        balance = self.balance(account_id)
        if amount > balance:
            raise BillingError(
                key,
                {"amount": self.currency.format(amount), "balance": self.currency.format(balance)},
            )

    def refund(
        self, account_id: int, amount: Decimal, *, at: datetime, who: str, why: str
    ) -> Entry:
        """Pay money back; never beyond the balance."""
        with self.transaction():
            self._require_covered(account_id, amount, REFUND_EXCEEDS_BALANCE)
            return self.append(NewEntry(account_id, "refund", at, -amount, who, why or "refund"))

    def adjust(
        self,
        account_id: int,
        amount: Decimal,
        *,
        at: datetime,
        who: str,
        reason: str,
        debt: Decimal = Decimal(0),
    ) -> Entry:
        """A landlord's correction; the emergency-credit reasons are the tenant's own. The part
        of it below zero the landlord recorded as debt is said in the entry (`DEBT_RECORDED`)."""
        if not reason.strip():
            raise BillingError(REASON_REQUIRED, {})
        if (
            reason.strip() in EMERGENCY_CREDIT_REASONS | DEBT_RECOVERY_REASONS
            or DEBT_RECORDED in reason
        ):
            raise BillingError(REASON_RESERVED, {"reason": reason.strip()})
        why = reason.strip()
        if debt > 0:
            why = f"{why} ({DEBT_RECORDED} {self.currency.format(debt)})"
        return self.append(NewEntry(account_id, "adjustment", at, amount, who, why))

    # Emergency credit: entries of its own kind (taken > 0, recovered < 0, each with its
    # reserved reason), so what is outstanding is in the ledger and moves in the same
    # transaction as the money (a top-up and its recovery).

    def emergency_credit_outstanding(self, account_id: int) -> Decimal:
        """Emergency credit taken and not yet recovered from top-ups."""

        def compute() -> Decimal:
            row = self._conn.execute(
                "SELECT COALESCE(SUM(amount_minor), 0) FROM entries"
                " WHERE account_id = ? AND kind = 'emergency_credit'",
                (account_id,),
            ).fetchone()
            return self.currency.from_minor(row[0])

        return self._figure(account_id, ("emergency_credit",), compute)

    def take_emergency_credit(
        self, account_id: int, amount: Decimal, *, at: datetime, who: str
    ) -> Entry:
        """Credit the tenant's emergency credit; once until top-ups have paid it back."""
        with self.transaction():
            if self.emergency_credit_outstanding(account_id) > 0:
                raise BillingError(EMERGENCY_CREDIT_OUTSTANDING, {})
            return self.append(
                NewEntry(account_id, "emergency_credit", at, amount, who, EMERGENCY_CREDIT_TAKEN)
            )

    def recover_emergency_credit(
        self, account_id: int, paid: Decimal, *, at: datetime, who: str
    ) -> Decimal:
        """Pay back outstanding emergency credit from a payment; returns the amount taken."""
        recovered = min(paid, self.emergency_credit_outstanding(account_id))
        if recovered > 0:
            self.append(
                NewEntry(
                    account_id, "emergency_credit", at, -recovered, who, EMERGENCY_CREDIT_RECOVERED
                )
            )
        return recovered

    def debt_owed(self, account_id: int) -> Decimal:
        """What a closed tenancy still owes: the debt its settlement recorded, less payments
        (each settled by an entry of its own, so the closed account stays at zero)."""
        row = self._conn.execute(
            "SELECT COALESCE(SUM(amount_minor), 0) FROM entries"
            " WHERE account_id = ? AND kind = 'settlement'",
            (account_id,),
        ).fetchone()
        return self.currency.from_minor(max(row[0], 0))

    # --- debt recovery plans -----------------------------------------------------------------

    def add_debt_plan(
        self,
        tenancy_id: int,
        *,
        at: datetime,
        debt_added: Decimal,
        percent: Decimal,
        fixed: Decimal,
        every: RecoveryEvery,
        floor: Decimal,
        who: str,
        why: str,
    ) -> DebtPlan:
        """New terms for a tenancy's plan (and debt recorded on it); rows are never edited."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO debt_plans (tenancy_id, at, debt_added_minor, percent, fixed_minor,"
                " every, floor_minor, who, why, recorded_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    tenancy_id,
                    to_micros(at),
                    self.currency.to_minor(debt_added),
                    str(percent),
                    self.currency.to_minor(fixed),
                    every,
                    self.currency.to_minor(floor),
                    who,
                    why,
                    self._recorded_now(),
                ),
            )
            self._debt_plans.pop(tenancy_id, None)
            plan = self.debt_plan(tenancy_id)
        assert plan is not None
        return plan

    def debt_plan(self, tenancy_id: int) -> DebtPlan | None:
        """The tenancy's plan: all debt recorded on it and the newest terms (cached)."""
        if tenancy_id not in self._debt_plans:
            rows = self.debt_plan_rows(tenancy_id)
            self._debt_plans[tenancy_id] = (
                None
                if not rows
                else DebtPlan(
                    tenancy_id=tenancy_id,
                    debt=sum((debt for _, debt in rows), Decimal(0)),
                    percent=rows[-1][0].percent,
                    fixed=rows[-1][0].fixed,
                    every=rows[-1][0].every,
                    floor=rows[-1][0].floor,
                    since=rows[-1][0].since,
                )
            )
        return self._debt_plans[tenancy_id]

    def debt_plan_rows(self, tenancy_id: int) -> list[tuple[DebtPlan, Decimal]]:
        """Every change of the plan in order: the terms from then (`debt` is the debt recorded
        up to and with that row) and the debt that row added."""
        rows = self._conn.execute(
            "SELECT at, debt_added_minor, percent, fixed_minor, every, floor_minor"
            " FROM debt_plans WHERE tenancy_id = ? ORDER BY at, plan_id",
            (tenancy_id,),
        ).fetchall()
        history: list[tuple[DebtPlan, Decimal]] = []
        total = Decimal(0)
        for at, added_minor, percent, fixed_minor, every, floor_minor in rows:
            added = self.currency.from_minor(added_minor)
            total += added
            plan = DebtPlan(
                tenancy_id=tenancy_id,
                debt=total,
                percent=Decimal(percent),
                fixed=self.currency.from_minor(fixed_minor),
                every=parse_every(every),
                floor=self.currency.from_minor(floor_minor),
                since=from_micros(at),
            )
            history.append((plan, added))
        return history

    def debt_recovered(
        self, account_id: int, *, reason: str | None = None, after: datetime | None = None
    ) -> Decimal:
        """Σ taken off a plan's debt (recovered, or moved to the settlement at move-out): by
        one reason only, and only entries dated after `after`, when given."""
        reasons = sorted(DEBT_RECOVERY_REASONS) if reason is None else [reason]
        return self._figure(
            account_id,
            ("debt_recovered", reason, after),
            lambda: -self._recovery_sum(account_id, reasons, "after", after),
        )

    def debt_recovery_before(self, account_id: int, before: datetime) -> Decimal:
        """Σ of a plan's recovery entries dated before `before` (≤ 0: what they took)."""
        return self._recovery_sum(account_id, sorted(DEBT_RECOVERY_REASONS), "before", before)

    def _recovery_sum(
        self,
        account_id: int,
        reasons: list[str],
        when: Literal["after", "before"],
        moment: datetime | None,
    ) -> Decimal:
        sql = (
            "SELECT COALESCE(SUM(amount_minor), 0) FROM entries WHERE account_id = ?"
            " AND kind = 'adjustment' AND why IN (SELECT value FROM json_each(?))"
        )
        params: list[Any] = [account_id, json.dumps(reasons)]
        if moment is not None:
            sql += " AND at > ?" if when == "after" else " AND at < ?"
            params.append(to_micros(moment))
        return self.currency.from_minor(self._conn.execute(sql, params).fetchone()[0])

    def recover_debt(
        self, account_id: int, amount: Decimal, *, reason: str, at: datetime, who: str
    ) -> Entry:
        """Take an amount off the balance towards the plan's debt (the caller applied the
        plan's limits)."""
        assert reason in DEBT_RECOVERY_REASONS
        return self.append(NewEntry(account_id, "adjustment", at, -amount, who, reason))

    def last_standing_charge(self, account_id: int) -> str | None:
        """The reference of the newest day's standing charge booked on the account."""

        def compute() -> str | None:
            # Only the standing charge's own references: other fees (a common area's
            # share) name days too.
            row = self._conn.execute(
                "SELECT MAX(reference) FROM entries"
                " WHERE account_id = ? AND kind = 'fee' AND reference LIKE ?",
                (account_id, f"{STANDING_CHARGE} %"),
            ).fetchone()
            return None if row[0] is None else str(row[0])

        return self._figure(account_id, ("last_standing_charge",), compute)

    # --- common areas (see common.py) ---------------------------------------------------

    def record_common_day(  # noqa: PLR0917
        self,
        meter_key: str,
        day: date,
        kwh: Decimal,
        price: Decimal,
        cost: Decimal,
        method: str,
        landlord_share: Decimal,
    ) -> None:
        """A common meter's day as booked (inside the caller's transaction, with its
        shares): a second booking of the day is refused by the primary key."""
        self._conn.execute(
            "INSERT INTO common_days (meter_key, day, kwh, price, cost_minor, method,"
            " landlord_minor, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                meter_key,
                day.isoformat(),
                str(kwh),
                str(price),
                self.currency.to_minor(cost),
                method,
                self.currency.to_minor(landlord_share),
                self._recorded_now(),
            ),
        )

    def common_day_rows(
        self, meter_key: str, day: date | None = None, limit: int = 31
    ) -> list[tuple[date, Decimal, Decimal, Decimal, str, Decimal]]:
        """A common meter's booked days, newest first (or the one day asked for): day, kWh,
        price, cost, method, landlord's share."""
        rows = self._conn.execute(
            "SELECT day, kwh, price, cost_minor, method, landlord_minor FROM common_days"
            " WHERE meter_key = ? AND (? IS NULL OR day = ?) ORDER BY day DESC LIMIT ?",
            (meter_key, *([None if day is None else day.isoformat()] * 2), limit),
        ).fetchall()
        money = self.currency.from_minor
        return [
            (date.fromisoformat(d), Decimal(k), Decimal(p), money(c), str(m), money(landlord))
            for d, k, p, c, m, landlord in rows
        ]

    def fees_referenced(self, reference: str) -> list[tuple[int, Decimal]]:
        """The fees booked with this reference, by account (lowest first): (account, amount
        charged, positive)."""
        rows = self._conn.execute(
            "SELECT account_id, amount_minor FROM entries"
            " WHERE kind = 'fee' AND reference = ? ORDER BY account_id",
            (reference,),
        ).fetchall()
        return [(int(account), -self.currency.from_minor(int(units))) for account, units in rows]

    def fees_referenced_total(
        self, account_id: int, prefix: str, start: datetime, end: datetime
    ) -> Decimal:
        """What the account was charged in [start, end) by fees whose reference starts with
        `prefix` (positive)."""
        row = self._conn.execute(
            "SELECT COALESCE(SUM(amount_minor), 0) FROM entries WHERE account_id = ?"
            " AND kind = 'fee' AND reference LIKE ? AND at >= ? AND at < ?",
            (account_id, f"{prefix}%", to_micros(start), to_micros(end)),
        ).fetchone()
        return -self.currency.from_minor(int(row[0]))

    # --- supply cut for want of credit (pauses the standing charge, see standing.py) -------

    def record_supply_cut(self, room_id: str, at: datetime) -> bool:
        """The room's supply was cut for want of credit at `at`. Idempotent: while a cut is
        open (not restored) nothing more is written. Returns whether a cut was opened."""
        with self.transaction() as conn:
            if self._open_cut(room_id) is not None:
                return False
            conn.execute(
                "INSERT INTO supply_cuts (room_id, cut_at, recorded_at) VALUES (?, ?, ?)",
                (room_id, to_micros(at), self._recorded_now()),
            )
        self._supply_cuts.pop(room_id, None)
        return True

    def record_supply_restored(self, room_id: str, at: datetime) -> bool:
        """The room's supply came back at `at` (never before its cut). Idempotent: without
        an open cut nothing is written. Returns whether a cut was closed."""
        with self.transaction() as conn:
            open_cut = self._open_cut(room_id)
            if open_cut is None:
                return False
            cut_id, cut_at = open_cut
            conn.execute(
                "UPDATE supply_cuts SET restored_at = ? WHERE id = ?",
                (max(to_micros(at), cut_at), cut_id),
            )
        self._supply_cuts.pop(room_id, None)
        return True

    def _open_cut(self, room_id: str) -> tuple[int, int] | None:
        row = self._conn.execute(
            "SELECT id, cut_at FROM supply_cuts WHERE room_id = ? AND restored_at IS NULL",
            (room_id,),
        ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

    def supply_cuts(self, room_id: str) -> tuple[tuple[datetime, datetime | None], ...]:
        """The room's cuts for want of credit, oldest first: (cut, restored or None)."""
        cuts = self._supply_cuts.get(room_id)
        if cuts is None:
            rows = self._conn.execute(
                "SELECT cut_at, restored_at FROM supply_cuts WHERE room_id = ? ORDER BY cut_at",
                (room_id,),
            ).fetchall()
            cuts = tuple((from_micros(a), None if b is None else from_micros(b)) for a, b in rows)
            self._supply_cuts[room_id] = cuts
        return cuts

    def fee(self, account_id: int, amount: Decimal, *, at: datetime, who: str, why: str) -> Entry:
        """A one-off fee; never beyond the balance (a fee is not a way into debt)."""
        if not why.strip():
            raise BillingError(REASON_REQUIRED, {})
        with self.transaction():
            self._require_covered(account_id, amount, FEE_EXCEEDS_BALANCE)
            return self.append(NewEntry(account_id, "fee", at, -amount, who, why.strip()))

    # --- energy bookkeeping ------------------------------------------------------------------

    def charged_kwh(self, account_id: int, cycle: str) -> Decimal:
        """Energy charged in one cycle (fills tier blocks)."""
        row = self._conn.execute(
            "SELECT COALESCE(SUM(kwh_micro), 0) FROM entries"
            " WHERE account_id = ? AND cycle = ? AND kind = 'charge'",
            (account_id, cycle),
        ).fetchone()
        return micro_to_kwh(row[0])

    def allowance_left(self, account_id: int, cycle: str | None) -> Decimal:
        """Allowance kWh not yet used: of one cycle, or over the whole account (cycle None);
        a vacant account's is its landlord-paid preset (`vacant_preset`)."""
        sql = (
            "SELECT COALESCE(SUM(CASE WHEN kind IN ('allowance', 'vacant_preset')"
            " THEN kwh_micro END), 0)"
            " - COALESCE(SUM(CASE WHEN kind = 'charge' THEN allowance_micro END), 0)"
            " FROM entries WHERE account_id = ?"
        )
        params: tuple[Any, ...] = (account_id,)
        if cycle is not None:
            sql += " AND cycle = ?"
            params = (account_id, cycle)
        return self._figure(
            account_id,
            ("allowance_left", cycle),
            lambda: micro_to_kwh(self._conn.execute(sql, params).fetchone()[0]),
        )

    def charge_totals(
        self, account_id: int, start: datetime, end: datetime
    ) -> list[tuple[str, Decimal, Decimal, Decimal, Decimal]]:
        """Charges in [start, end) by tariff period and price:
        (period, price, kWh, allowance kWh, money posted)."""
        rows = self._conn.execute(
            "SELECT COALESCE(period, ''), COALESCE(price, '0'), SUM(kwh_micro),"
            " SUM(COALESCE(allowance_micro, 0)), SUM(amount_minor) FROM entries"
            " WHERE account_id = ? AND at >= ? AND at < ? AND kind = 'charge'"
            " GROUP BY period, price ORDER BY period, CAST(price AS REAL)",
            (account_id, to_micros(start), to_micros(end)),
        )
        return [
            (
                period,
                Decimal(price),
                micro_to_kwh(kwh),
                micro_to_kwh(free),
                self.currency.from_minor(minor),
            )
            for period, price, kwh, free, minor in rows
        ]

    def charge_spans(
        self, account_id: int, start: datetime, end: datetime
    ) -> list[tuple[int, int, int]]:
        """Charges in [start, end) as (span start µs, end µs, micro-kWh), for daily usage."""
        return list(
            self._conn.execute(
                "SELECT COALESCE(span_start, at), at, kwh_micro FROM entries"
                " WHERE account_id = ? AND at >= ? AND at < ? AND kind = 'charge'",
                (account_id, to_micros(start), to_micros(end)),
            )
        )

    def amount_between(self, account_id: int, start: datetime, end: datetime) -> Decimal:
        row = self._conn.execute(
            "SELECT COALESCE(SUM(amount_minor), 0) FROM entries"
            " WHERE account_id = ? AND at >= ? AND at < ?",
            (account_id, to_micros(start), to_micros(end)),
        ).fetchone()
        return self.currency.from_minor(row[0])

    def room_name(self, room_id: str) -> str:
        row = self._conn.execute("SELECT name FROM rooms WHERE room_id = ?", (room_id,)).fetchone()
        return room_id if row is None else str(row[0])

    def cycle_entry_exists(self, account_id: int, kind: EntryKind, cycle: str) -> bool:
        """Whether the once-per-cycle entry (allowance or cycle fee) of a cycle is booked."""

        def compute() -> bool:
            row = self._conn.execute(
                "SELECT 1 FROM entries WHERE account_id = ? AND kind = ? AND cycle = ?",
                (account_id, kind, cycle),
            ).fetchone()
            return row is not None

        return self._figure(account_id, ("exists", kind, cycle), compute)

    def billing_state(self, room_id: str) -> BillingState | None:
        if room_id in self._billing_state:
            return self._billing_state[room_id]
        row = self._conn.execute(
            "SELECT billed_reading, billed_at FROM billing_state WHERE room_id = ?", (room_id,)
        ).fetchone()
        state = None if row is None else BillingState(room_id, Decimal(row[0]), from_micros(row[1]))
        self._billing_state[room_id] = state
        return state

    def save_billing_state(self, state: BillingState) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO billing_state (room_id, billed_reading, billed_at) VALUES (?, ?, ?)"
                " ON CONFLICT(room_id) DO UPDATE SET billed_reading = excluded.billed_reading,"
                " billed_at = excluded.billed_at",
                (state.room_id, str(state.billed_reading), to_micros(state.billed_at)),
            )
            self._billing_state[state.room_id] = state

    # --- suspect readings --------------------------------------------------------------------

    def pending_suspect(self, room_id: str) -> SuspectReading | None:
        if room_id in self._pending_suspect:
            return self._pending_suspect[room_id]
        row = self._conn.execute(
            f"SELECT {_SUSPECT_COLUMNS} FROM suspect_readings"  # noqa: S608
            " WHERE room_id = ? AND status = 'pending'",
            (room_id,),
        ).fetchone()
        suspect = None if row is None else self._suspect_from_row(row)
        self._pending_suspect[room_id] = suspect
        return suspect

    def suspect(self, suspect_id: int) -> SuspectReading:
        row = self._conn.execute(
            f"SELECT {_SUSPECT_COLUMNS} FROM suspect_readings WHERE suspect_id = ?",  # noqa: S608
            (suspect_id,),
        ).fetchone()
        if row is None:
            raise BillingError(UNKNOWN_SUSPECT, {"suspect": str(suspect_id)})
        return self._suspect_from_row(row)

    @staticmethod
    def _suspect_from_row(row: tuple[Any, ...]) -> SuspectReading:
        return SuspectReading(
            suspect_id=row[0],
            room_id=row[1],
            from_reading=Decimal(row[2]),
            from_at=from_micros(row[3]),
            reading=Decimal(row[4]),
            at=from_micros(row[5]),
            status=row[6],
            jump_reading=Decimal(row[7]),
            jump_at=from_micros(row[8]),
        )

    def hold_suspect(self, state: BillingState, reading: Decimal, at: datetime) -> SuspectReading:
        """Hold a reading as suspect (or move the pending one on to the newer reading)."""
        with self.transaction() as conn:
            pending = self.pending_suspect(state.room_id)
            if pending is None:
                conn.execute(
                    "INSERT INTO suspect_readings (room_id, from_reading, from_at, reading, at,"
                    " status, jump_reading, jump_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
                    (
                        state.room_id,
                        str(state.billed_reading),
                        to_micros(state.billed_at),
                        str(reading),
                        to_micros(at),
                        str(reading),
                        to_micros(at),
                    ),
                )
            else:
                conn.execute(
                    "UPDATE suspect_readings SET reading = ?, at = ? WHERE suspect_id = ?",
                    (str(reading), to_micros(at), pending.suspect_id),
                )
            self._pending_suspect.pop(state.room_id, None)
            found = self.pending_suspect(state.room_id)
        assert found is not None
        return found

    def resolve_suspect(self, suspect_id: int, status: str, who: str) -> SuspectReading:
        with self.transaction() as conn:
            suspect = self.suspect(suspect_id)
            if suspect.status != "pending":
                raise BillingError(
                    SUSPECT_ALREADY_RESOLVED, {"suspect": str(suspect_id), "status": suspect.status}
                )
            conn.execute(
                "UPDATE suspect_readings SET status = ?, resolved_by = ?, resolved_at = ?"
                " WHERE suspect_id = ?",
                (status, who, self._recorded_now(), suspect_id),
            )
            self._pending_suspect.pop(suspect.room_id, None)
        return self.suspect(suspect_id)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Read-only query helper for reports."""
        return list(self._conn.execute(sql, params))
