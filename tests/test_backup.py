"""Safe backups: a copy of the ledger files taken while top-ups run is consistent and holds
every acknowledged top-up (HA's backup manager calls our backup platform around the copy);
a damaged ledger (a power cut, a bad restore) is refused with a repair issue."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
from pathlib import Path
import shutil
from zoneinfo import ZoneInfo

from homeassistant.components.backup import DATA_MANAGER
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.prepaid_power.billing import aio
from custom_components.prepaid_power.billing.aio import AsyncBilling
from custom_components.prepaid_power.billing.core import RoomConfig
from custom_components.prepaid_power.billing.ledger import Ledger
from custom_components.prepaid_power.billing.money import Currency
from custom_components.prepaid_power.const import DOMAIN, LEDGER_DIR
from prepaid_power_gateway import Gateway

from .test_rooms import act, entry_with_room, make_room, room_device_id

UTC_ZONE = ZoneInfo("UTC")


def copy_ledger(source: Path, target: Path) -> None:
    """Copy the ledger as HA's backup does: the files as they are on disk, -shm excluded."""
    target.mkdir()
    for file in source.iterdir():
        if not file.name.endswith("-shm"):
            shutil.copy2(file, target / file.name)


async def test_backup_under_write_load_restores_every_acknowledged_top_up(
    hass: HomeAssistant, simulated_gateway: Gateway, tmp_path: Path
) -> None:
    """Top-ups keep arriving before, during and after the copy: the copy opens, verifies and
    holds exactly the top-ups acknowledged before the copy began; those made meanwhile wait
    and are kept in the live ledger."""
    hass.config.config_dir = str(tmp_path / "config")
    if importlib.util.find_spec("homeassistant.helpers.backup"):  # HA 2025.x's bootstrap does
        importlib.import_module("homeassistant.helpers.backup").async_initialize_backup(hass)
    assert await async_setup_component(hass, "backup", {})
    entry: MockConfigEntry = await make_room(hass, simulated_gateway)
    manager = hass.data[DATA_MANAGER]
    await hass.async_block_till_done()
    assert DOMAIN in manager.platforms
    device_id = room_device_id(hass, entry)
    acknowledged: list[str] = []
    acked = asyncio.Event()

    async def top_ups() -> None:
        for n in range(10_000):
            reference = f"T-{n}"
            await act(
                hass, "top_up", {"device_id": device_id, "amount": "1", "reference": reference}
            )
            acknowledged.append(reference)
            acked.set()

    async def until_acknowledged(count: int) -> None:
        while len(acknowledged) < count:
            acked.clear()
            await acked.wait()

    writer = hass.async_create_background_task(top_ups(), "top-ups")
    await until_acknowledged(20)

    await manager.async_pre_backup_actions()
    before_copy = list(acknowledged)
    folder = Path(hass.config.path(LEDGER_DIR))
    await hass.async_add_executor_job(copy_ledger, folder, tmp_path / "backup")
    await asyncio.sleep(0.3)  # top-ups submitted now wait for the backup's end
    assert acknowledged == before_copy
    await manager.async_post_backup_actions()
    await until_acknowledged(len(before_copy) + 20)
    writer.cancel()

    (restored,) = (tmp_path / "backup").glob("ledger_*.sqlite3")
    with Ledger(restored, Currency("CNY")) as ledger:
        ledger.verify()
        references = [e.reference for e in ledger.entries(kinds=["top_up"])]
    # Every top-up acknowledged before the copy, and at most the one committed but not yet
    # answered when the ledger paused (acknowledged right after the backup).
    assert references[: len(before_copy) + 1] == ["R-1", *before_copy]
    assert len(references) <= len(before_copy) + 2
    assert set(references) <= {"R-1", *acknowledged}

    live = await entry.runtime_data.rooms.billing.run(
        lambda core: [e.reference for e in core.ledger.entries(kinds=["top_up"])]
    )
    assert live[: len(acknowledged) + 1] == ["R-1", *acknowledged]


def damaged_ledger(path: Path, damage: str, currency: str) -> bytes:
    """Write a damaged ledger file at `path`; return its bytes."""
    path.parent.mkdir()
    if damage == "garbage":
        path.write_bytes(b"\x00not a ledger" * 512)
    else:
        with Ledger(path, Currency(currency)) as ledger:
            ledger.upsert_room("r1", "r1", {})
            ledger.execute("INSERT INTO accounts (room_id, balance_minor) VALUES ('r1', 999)")
    return path.read_bytes()


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        ("balance", "ledger_inconsistent"),
        ("garbage", "file is not a database"),
    ],
)
async def test_a_damaged_ledger_is_refused_with_a_repair_issue(
    hass: HomeAssistant, simulated_gateway: Gateway, tmp_path: Path, damage: str, problem: str
) -> None:
    """A ledger that a power cut or a bad restore damaged is not opened for writing: the
    gateway does not start, a repair issue names the file and the problem, the file is as
    it was."""
    hass.config.config_dir = str(tmp_path)
    entry = entry_with_room(simulated_gateway.port)
    path = Path(hass.config.path(LEDGER_DIR, f"ledger_{entry.entry_id}.sqlite3"))
    before = await hass.async_add_executor_job(damaged_ledger, path, damage, hass.config.currency)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"ledger_broken_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "ledger_broken"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["path"] == str(path)
    assert problem in issue.translation_placeholders["problem"]
    assert await hass.async_add_executor_job(path.read_bytes) == before


async def test_closing_a_paused_ledger_runs_the_held_calls(tmp_path: Path) -> None:
    """Unloading the gateway (or HA stopping) in the middle of a backup does not hang: the
    held calls run, then the ledger closes."""
    billing = await AsyncBilling.open(tmp_path / "ledger.sqlite3", Currency("EUR"), UTC_ZONE)
    await billing.pause()
    held = asyncio.ensure_future(
        billing.run(lambda core: core.upsert_room("r1", RoomConfig(name="r1")))
    )
    await asyncio.sleep(0.05)
    assert not held.done()
    await billing.close()
    await held
    with Ledger(tmp_path / "ledger.sqlite3", Currency("EUR")) as ledger:
        assert set(ledger.rooms()) == {"r1"}


async def test_a_backup_that_never_ends_releases_the_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the backup's end (a Supervisor gone mid-backup) the ledger resumes on its own
    after PAUSE_LIMIT; the next backup pauses it again."""
    monkeypatch.setattr(aio, "PAUSE_LIMIT", 0.1)
    billing = await AsyncBilling.open(tmp_path / "ledger.sqlite3", Currency("EUR"), UTC_ZONE)
    await billing.pause()
    await billing.run(lambda core: core.upsert_room("r1", RoomConfig(name="r1")))
    monkeypatch.setattr(aio, "PAUSE_LIMIT", 60.0)
    await billing.pause()
    held = asyncio.ensure_future(billing.run(lambda core: core.room_ids()))
    await asyncio.sleep(0.05)
    assert not held.done()
    await billing.resume()
    assert await held == ["r1"]
    await billing.close()
