"""Statements at the end of each billing cycle, also after HA was down over the boundary."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.storage import Store
from homeassistant.util.dt import utcnow

from .billing.core import BillingCore
from .billing.statement import render_statement, statement_data
from .compat import vol
from .const import DOMAIN, EVENT_STATEMENT_READY, LEDGER_DIR, LOGGER
from .rooms import Rooms

STORAGE_VERSION = 1
LANGUAGES = ("en", "zh-Hans")
TEMPLATE_DIR = "templates"


def language_code(value: Any) -> str:
    """A statement language as actions take it: `zh-Hans`, or the selector's `zh-hans`."""
    for language in LANGUAGES:
        if str(value).casefold() == language.casefold():
            return language
    raise vol.Invalid(f"unknown language {value}")


def statement_language(hass: HomeAssistant, requested: str | None = None) -> str:
    """The statement language: the one asked for, else HA's when we have it, else English."""
    if requested in LANGUAGES:
        return str(requested)
    return hass.config.language if hass.config.language in LANGUAGES else "en"


def statement_template(hass: HomeAssistant, language: str) -> Path | None:
    """The landlord's own statement template, if there is one (blocking: checks a file)."""
    path = Path(hass.config.path(LEDGER_DIR, TEMPLATE_DIR, f"statement.{language}.txt.j2"))
    return path if path.is_file() else None


class CycleEndStatements:
    """Fires `prepaid_power_statement_ready` once for every ended cycle of every tenancy."""

    def __init__(self, hass: HomeAssistant, rooms: Rooms, entry_id: str) -> None:
        """Remember per room the cycle last seen running (persisted across restarts)."""
        self.hass = hass
        self.rooms = rooms
        self._store: Store[dict[str, str]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.cycles.{entry_id}"
        )
        self._seen: dict[str, str] = {}
        self._unsub: Callable[[], None] | None = None
        # A check must see the previous one's result, or a cycle would be announced twice.
        self._lock = asyncio.Lock()

    async def async_start(self) -> None:
        """Catch up on cycles that ended while HA was down, then check after every midnight."""
        self._seen = await self._store.async_load() or {}
        await self.async_check()
        self._unsub = async_track_time_change(
            self.hass, self._async_midnight, hour=0, minute=0, second=30
        )

    @callback
    def async_stop(self) -> None:
        """Stop checking."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None

    async def _async_midnight(self, now: datetime) -> None:
        await self.async_check()

    async def async_check(self) -> None:
        """Render and announce the statements of cycles that ended since the last check."""
        async with self._lock:
            await self._async_check()

    async def _async_check(self) -> None:
        now = utcnow()
        language = statement_language(self.hass)
        template = await self.hass.async_add_executor_job(statement_template, self.hass, language)
        seen = dict(self._seen)
        room_ids = list(self.rooms.rooms)

        def close(core: BillingCore) -> list[tuple[str, dict[str, Any], str]]:
            ready: list[tuple[str, dict[str, Any], str]] = []
            for room_id in room_ids:
                calendar = core.calendar(room_id)
                current = calendar.cycle_containing(now)
                last = seen.get(room_id)
                seen[room_id] = current.key
                tenancy = core.tenancy_of(room_id)
                # A linked room's account is its payer's: the payer's statement covers it.
                if (
                    last is None
                    or last == current.key
                    or tenancy is None
                    or core.payer_of(room_id) is not None
                ):
                    continue
                core.flush(room_id)
                ended = calendar.cycles_between(calendar.cycle_by_key(last).start, now)
                for cycle in ended:
                    if cycle.key == current.key or cycle.end <= tenancy.moved_in_at:
                        continue
                    data = statement_data(core, tenancy.tenancy_id, cycle.key)
                    text = render_statement(data, language=language, template=template)
                    ready.append((room_id, data, text))
            return ready

        ready = await self.rooms.billing.run(close)
        self._seen = seen
        await self._store.async_save(seen)
        for room_id, data, text in ready:
            room = self.rooms.rooms[room_id]
            LOGGER.info("Statement of %s for the cycle %s is ready", room.name, data["cycle"])
            self.hass.bus.async_fire(
                EVENT_STATEMENT_READY,
                self.rooms.event_data(
                    room,
                    Decimal(data["closing_balance"]),
                    cycle_start=data["cycle_start"],
                    cycle_end=data["cycle_end"],
                    statement=text,
                    closing_balance=data["closing_balance"],
                    tenancy_id=data["tenancy_id"],
                ),
            )
