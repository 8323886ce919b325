"""Async access to the billing core for Home Assistant.

Contract: every database call runs on ONE dedicated worker thread (a single-thread
executor owned by `AsyncBilling`), never on the event loop and never on HA's shared pool:
sqlite3 connections belong to the thread that opened them, and one writer keeps the
ledger's transactions strictly ordered.

Backups: `pause()` checkpoints the WAL into the database file and then holds the worker
thread, so every later call (write or read) waits in order until `resume()`; a copy of the
ledger's files made in between is one consistent state, the same the ledger would reopen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
import threading
from zoneinfo import ZoneInfo

from .core import BillingCore
from .ledger import Ledger, LedgerCheck
from .money import Currency

THREAD_NAME = "prepaid_power_ledger"
# A backup that never reports its end (a Supervisor that died mid-backup) must not stop
# billing for good: the ledger resumes on its own after this long.
PAUSE_LIMIT = 3600.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AsyncBilling:
    """Owns the worker thread and the `BillingCore` living on it."""

    def __init__(
        self, executor: ThreadPoolExecutor, core: BillingCore, checked: LedgerCheck
    ) -> None:
        self._executor = executor
        self._core = core
        # The check the ledger passed when it was opened (a failed one opens nothing).
        self.checked = checked
        self._closed = False
        self._resume: threading.Event | None = None
        self._held: asyncio.Future[None] | None = None

    @classmethod
    async def open(
        cls,
        path: Path,
        currency: Currency,
        tz: ZoneInfo,
        *,
        now: Callable[[], datetime] = _utc_now,
    ) -> AsyncBilling:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)

        def build() -> tuple[BillingCore, LedgerCheck]:
            ledger = Ledger(path, currency, now=now)
            try:
                checked = ledger.check()
            except BaseException:
                ledger.close()
                raise
            return BillingCore(ledger, tz, now=now), checked

        try:
            core, checked = await asyncio.get_running_loop().run_in_executor(executor, build)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, core, checked)

    @property
    def currency(self) -> Currency:
        """The ledger's currency (its minor unit is the one the ledger was opened with)."""
        return self._core.currency

    async def run[T](self, call: Callable[[BillingCore], T]) -> T:
        """Run `call(core)` on the ledger thread; BillingError propagates unchanged."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, call, self._core)

    async def pause(self) -> None:
        """Checkpoint the WAL, then hold every later ledger call until `resume()` (a pause
        already holding is kept)."""
        if self._closed or (self._held is not None and not self._held.done()):
            return
        loop = asyncio.get_running_loop()
        checkpointed: asyncio.Future[None] = loop.create_future()
        resume = threading.Event()

        def hold(core: BillingCore) -> None:
            # Checkpoint and hold in one job, so no call queued meanwhile slips in between.
            try:
                core.ledger.checkpoint()
            except BaseException as err:
                loop.call_soon_threadsafe(checkpointed.set_exception, err)
                return
            loop.call_soon_threadsafe(checkpointed.set_result, None)
            resume.wait(PAUSE_LIMIT)

        self._resume = resume
        self._held = loop.run_in_executor(self._executor, hold, self._core)
        try:
            await checkpointed
        except BaseException:
            await self.resume()
            raise

    async def resume(self) -> None:
        """Let the calls held by `pause()` run, in the order they were made."""
        resume, held = self._resume, self._held
        self._resume = self._held = None
        if resume is None or held is None:
            return
        resume.set()
        await held

    async def close(self) -> None:
        """Post every room's accrued usage, close the ledger (after the calls already queued)
        and end the thread; once. Posting first keeps the split by time exact: unposted usage
        would otherwise be spread over the downtime after a restart, into the wrong periods."""
        if self._closed:
            return
        self._closed = True
        await self.resume()

        def close(core: BillingCore) -> None:
            try:
                core.flush_all()
            finally:
                core.ledger.close()

        await self.run(close)
        await asyncio.to_thread(self._executor.shutdown, True)
