"""The landlord console's websocket API in HA's harness, against the simulator over real TCP:
every command's permission (as a tenant), validation and result."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from homeassistant.auth.models import User
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    floor_registry as fr,
)
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import CLIENT_ID, MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.prepaid_power.const import DOMAIN
from custom_components.prepaid_power.websocket_api import OPERATION_SCHEMAS
from prepaid_power_gateway import Gateway

from .test_init import setup_gateway
from .test_sensor import poll
from .test_supply import device_id, room_entry

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

type Client = Any


class Console:
    """A websocket client of the console: `call` returns the result or the error."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def send(self, command: str, **data: Any) -> dict[str, Any]:
        await self.client.send_json_auto_id({"type": f"{DOMAIN}/{command}", **data})
        reply: dict[str, Any] = await self.client.receive_json()
        return reply

    async def ok(self, command: str, **data: Any) -> Any:
        reply = await self.send(command, **data)
        assert reply["success"], reply
        return reply["result"]

    async def pushed_until(self, done: Any, most: int = 10) -> dict[str, Any]:
        """The first pushed row of a subscription that satisfies `done`."""
        for _ in range(most):
            message = await self.client.receive_json()
            for row in message["event"]["rooms"]:
                if done(row):
                    found: dict[str, Any] = row
                    return found
        raise AssertionError("no such update")

    async def error(self, command: str, **data: Any) -> dict[str, Any]:
        reply = await self.send(command, **data)
        assert not reply["success"], reply
        error: dict[str, Any] = reply["error"]
        return error


@pytest.fixture
async def room(hass: HomeAssistant, simulated_gateway: Gateway) -> MockConfigEntry:
    """Room 3 (meter 3, with its relay; 1 CNY/kWh) loaded and vacant."""
    hass.config.currency = "CNY"
    assert await async_setup_component(hass, "websocket_api", {})
    entry = room_entry(simulated_gateway.port)
    await setup_gateway(hass, entry)
    return entry


@pytest.fixture
async def console(hass: HomeAssistant, hass_ws_client: WebSocketGenerator) -> Console:
    """The landlord (an admin) connected."""
    return Console(await hass_ws_client(hass))


async def use_energy(hass: HomeAssistant, gateway: Gateway, kwh: float) -> None:
    """Once the relay closed (a poll), meter 3 counts `kwh` at 1 kW; then one more poll.
    (More than the meter can carry in the test's real seconds would be held as suspect.)"""
    await hass.async_block_till_done()
    await poll(hass)
    gateway.simulator.meter(3).set_load(1000)
    gateway.simulator.clock.advance(kwh * 3600)
    await poll(hass)


async def ledger_rows(entry: MockConfigEntry) -> list[Any]:
    return await entry.runtime_data.rooms.billing.run(
        lambda core: core.ledger.execute("SELECT * FROM entries")
    )


def commands(device: str, top_up_id: int) -> dict[str, dict[str, Any]]:
    """Every command with valid data (a tenant's refusal must not be a schema error)."""
    tariff = {"kind": "flat", "price": "0.01"}
    return {
        "rooms": {},
        "rooms/subscribe": {},
        "report": {"month": "2026-01"},
        "statements": {"month": "2026-01"},
        "room": {"device_id": device},
        "ledger": {"device_id": device},
        "top_up/preview": {"device_id": device, "amount": "5"},
        "move_out/preview": {"device_id": device},
        "payments": {"start": "2026-01-01", "end": "2026-01-02"},
        "set_tariff/preview": {"device_id": device, "tariff": tariff},
        "top_up": {"device_id": device, "amount": "100", "reference": "T-9"},
        "reverse_top_up": {"device_id": device, "entry_id": top_up_id},
        "refund": {"device_id": device, "amount": "1"},
        "adjust": {"device_id": device, "amount": "50", "reason": "gift"},
        "move_in": {"device_id": device, "tenant": "Mallory"},
        "move_out": {"device_id": device},
        "set_tariff": {"device_id": device, "tariff": tariff},
        "preset_vacant_energy": {"device_id": device, "kwh": "1"},
        "pay_debt": {"device_id": device, "amount": "1"},
        "statement": {"device_id": device},
        "set_supply": {"device_id": device, "state": "off", "reason": "x"},
        "grant_grace": {"device_id": device, "duration": {"hours": 1}},
        "portal_link": {"device_id": device},
        "portal_link/rotate": {"device_id": device},
        "portal_link/revoke": {"device_id": device},
        "kiosk_links": {},
        "kiosk_link/create": {"device_ids": [device], "name": "Hall"},
        "kiosk_link/revoke": {"kiosk_id": "0000"},
        "create_dashboards": {"base_url": "http://192.168.1.20:8123"},
    }


async def test_every_command_refuses_a_tenant(
    hass: HomeAssistant,
    room: MockConfigEntry,
    console: Console,
    tenant_user: User,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Each command, with valid data, answers a non-admin `unauthorized` and changes nothing."""
    device = device_id(hass, room)
    await console.ok("move_in", device_id=device, tenant="Alice", first_top_up="20")
    page = await console.ok("ledger", device_id=device)
    top_up_id = next(e["entry_id"] for e in page["entries"] if e["kind"] == "top_up")
    refresh_token = await hass.auth.async_create_refresh_token(tenant_user, CLIENT_ID)
    tenant = Console(await hass_ws_client(hass, hass.auth.async_create_access_token(refresh_token)))
    every = commands(device, top_up_id)
    operations = set(OPERATION_SCHEMAS)
    assert operations <= set(every)
    before = await ledger_rows(room)
    memory = {key: r.memory for key, r in room.runtime_data.rooms.rooms.items()}
    for command, data in every.items():
        error = await tenant.error(command, **data)
        assert error["code"] == "unauthorized", (command, error)
    await hass.async_block_till_done()
    assert await ledger_rows(room) == before
    assert {key: r.memory for key, r in room.runtime_data.rooms.rooms.items()} == memory


async def test_rooms_grouped_by_area_and_floor_and_pushed_live(
    hass: HomeAssistant, room: MockConfigEntry, console: Console, simulated_gateway: Gateway
) -> None:
    """The rooms table: one row per room with its area and floor; a subscription pushes the
    rows that changed after an operation and after a poll, not the others."""
    device = device_id(hass, room)
    floor = fr.async_get(hass).async_create("Second floor")
    area = ar.async_get(hass).async_create("East wing", floor_id=floor.floor_id)
    dr.async_get(hass).async_update_device(device, area_id=area.id)

    listed = await console.ok("rooms")
    (row,) = listed["rooms"]
    assert row["name"] == "Room 3"
    assert (row["area"], row["floor"]) == ("East wing", "Second floor")
    assert row["tenant"] is None
    assert row["balance"] is None
    assert row["currency"] == "CNY"
    assert row["device_id"] == device
    assert row["supply_on"] is not None
    assert row["alerts"] == []

    await console.client.send_json_auto_id({"type": f"{DOMAIN}/rooms/subscribe"})
    subscribed = await console.client.receive_json()
    assert subscribed["success"]
    first = await console.client.receive_json()
    assert [r["name"] for r in first["event"]["rooms"]] == ["Room 3"]

    await hass.services.async_call(
        DOMAIN,
        "move_in",
        {"device_id": device, "tenant": "Alice", "first_top_up": "0.05"},
        blocking=True,
    )
    moved = await console.pushed_until(lambda row: row["tenant"] is not None)
    assert (moved["tenant"], Decimal(moved["balance"])) == ("Alice", Decimal("0.05"))

    # Usage beyond the balance: the cut follows the next poll.
    await use_energy(hass, simulated_gateway, 0.06)
    used = await console.pushed_until(lambda row: row["supply_state"] == "cut_off")
    assert Decimal(used["balance"]) <= 0
    # The relay's confirmation follows as a row of its own.
    confirmed = await console.pushed_until(lambda row: row["supply_on"] is False)
    assert confirmed["supply_state"] == "cut_off"
    assert simulated_gateway.simulator.meter(3).relay_on is False


async def test_top_up_previews_then_pays_once_per_reference(
    hass: HomeAssistant, room: MockConfigEntry, console: Console
) -> None:
    """The preview shows the new balance without writing; the top-up pays; the same reference
    answers with the original payment; bad amounts are refused translated."""
    device = device_id(hass, room)
    await console.ok("move_in", device_id=device, tenant="Alice", first_top_up="10")
    before = await ledger_rows(room)
    preview = await console.ok("top_up/preview", device_id=device, amount="25.50", reference="R-1")
    assert preview == {
        "amount": "25.50",
        "balance": "10.00",
        "new_balance": "35.50",
        "emergency_credit_recovered": "0.00",
        "existing": None,
    }
    assert await ledger_rows(room) == before

    paid = await console.ok("top_up", device_id=device, amount="25.50", reference="R-1")
    assert paid["result"]["created"] is True
    assert Decimal(paid["room"]["balance"]) == Decimal("35.50")

    again = await console.ok("top_up/preview", device_id=device, amount="25.50", reference="R-1")
    assert again["existing"]["entry_id"] == paid["result"]["entry_id"]
    assert again["new_balance"] == "35.50"
    repeated = await console.ok("top_up", device_id=device, amount="25.50", reference="R-1")
    assert repeated["result"]["created"] is False
    assert repeated["result"]["entry_id"] == paid["result"]["entry_id"]

    before = await ledger_rows(room)
    for amount, key in (("-3", "amount_not_positive"), ("1.234", "amount_too_many_decimals")):
        for command in ("top_up/preview", "top_up"):
            error = await console.error(command, device_id=device, amount=amount)
            assert error["code"] == "home_assistant_error"
            assert error["translation_key"] == key, (command, error)
            assert error["translation_domain"] == DOMAIN
            assert error["message"]
    error = await console.error("top_up", device_id=device, amount="5", method="bitcoin")
    assert error["code"] == "invalid_format"
    assert await ledger_rows(room) == before


async def test_a_top_up_note_is_in_the_ledger_and_on_the_receipt(
    hass: HomeAssistant, room: MockConfigEntry, console: Console
) -> None:
    """The note is the entry's `why`, on the receipt and in the ledger page; a note too long
    or with control characters is refused translated and changes nothing."""
    device = device_id(hass, room)
    await console.ok("move_in", device_id=device, tenant="Alice")
    paid = await console.ok(
        "top_up", device_id=device, amount="5", note="  Paid by her mother, 妈妈  "
    )
    assert paid["result"]["why"] == "Paid by her mother, 妈妈"
    page = await console.ok("ledger", device_id=device)
    assert page["entries"][0]["why"] == "Paid by her mother, 妈妈"
    plain = await console.ok("top_up", device_id=device, amount="1")
    assert plain["result"]["why"] == "top-up"
    before = await ledger_rows(room)
    for note, key, placeholders in (
        ("x" * 201, "note_too_long", {"room": "Room 3", "max": "200", "length": "201"}),
        ("two\nlines", "note_invalid", {"room": "Room 3"}),
        ("bell\x07", "note_invalid", {"room": "Room 3"}),
    ):
        error = await console.error("top_up", device_id=device, amount="5", note=note)
        assert error["translation_key"] == key, error
        assert error["translation_placeholders"] == placeholders
        assert error["message"]
    assert await ledger_rows(room) == before


async def test_room_page_ledger_statements_and_usage(
    hass: HomeAssistant, room: MockConfigEntry, console: Console, simulated_gateway: Gateway
) -> None:
    """The room page: tenancy, tariff, the ledger newest first and paged, the statement of the
    cycle, and today's usage and cost from the ledger per tariff period."""
    device = device_id(hass, room)
    await console.ok("move_in", device_id=device, tenant="Alice", first_top_up="10")
    for n in range(3):
        await console.ok("top_up", device_id=device, amount=str(n + 1), reference=f"P-{n}")
    await use_energy(hass, simulated_gateway, 0.05)
    # A statement posts the accrued charges, so the usage is in the ledger.
    statement = await console.ok("statement", device_id=device)
    assert "Alice" in statement["result"]["statement"]

    page = await console.ok("room", device_id=device, days=30, limit=2)
    assert page["tenancy"]["tenant"] == "Alice"
    assert page["tariff"] == {"kind": "flat", "price": "1.0000"}
    ledger = page["ledger"]
    assert len(ledger["entries"]) == 2
    assert ledger["total"] >= 5
    newest = ledger["entries"][0]
    assert newest["kind"] == "charge"
    assert page["statements"][0]["cycle"] == statement["result"]["data"]["cycle"]
    history = page["history"]
    assert len(history["days"]) == 30
    today = history["days"][-1]
    assert Decimal(today["kwh"]) == Decimal(statement["result"]["data"]["energy_kwh"])
    assert Decimal(today["cost"]) == Decimal(today["kwh"])  # 1 CNY per kWh
    assert set(today["by_period"]) == {"standard"}
    assert Decimal(today["kwh"]) >= Decimal("0.049")

    rest = await console.ok("ledger", device_id=device, offset=2, limit=50)
    assert rest["total"] == ledger["total"]
    assert len(rest["entries"]) == ledger["total"] - 2
    ids = [e["entry_id"] for e in ledger["entries"] + rest["entries"]]
    assert ids == sorted(ids, reverse=True)

    assert (await console.error("room", device_id=device, days=7))["code"] == "invalid_format"
    error = await console.error("room", device_id="nope")
    assert error["translation_key"] == "unknown_room_device"


async def test_undo_refund_adjust(
    hass: HomeAssistant, room: MockConfigEntry, console: Console
) -> None:
    """Undo a top-up once; a refund never beyond the balance; an adjustment needs a reason."""
    device = device_id(hass, room)
    await console.ok("move_in", device_id=device, tenant="Alice", first_top_up="10")
    paid = await console.ok("top_up", device_id=device, amount="30")
    entry_id = paid["result"]["entry_id"]
    undone = await console.ok("reverse_top_up", device_id=device, entry_id=entry_id)
    assert undone["result"]["amount"] == "-30.00"
    assert Decimal(undone["room"]["balance"]) == Decimal("10.00")
    page = await console.ok("ledger", device_id=device)
    assert next(e for e in page["entries"] if e["entry_id"] == entry_id)["reversed"] is True
    error = await console.error("reverse_top_up", device_id=device, entry_id=entry_id)
    assert error["translation_key"] == "top_up_already_reversed"

    error = await console.error("refund", device_id=device, amount="11")
    assert error["translation_key"] == "refund_exceeds_balance"
    refunded = await console.ok("refund", device_id=device, amount="4", reason="cash back")
    assert Decimal(refunded["room"]["balance"]) == Decimal("6.00")

    assert (await console.error("adjust", device_id=device, amount="1"))["code"] == (
        "invalid_format"
    )
    adjusted = await console.ok("adjust", device_id=device, amount="-1", reason="meter test")
    assert Decimal(adjusted["room"]["balance"]) == Decimal("5.00")


async def test_move_out_preview_matches_the_settlement(
    hass: HomeAssistant, room: MockConfigEntry, console: Console, simulated_gateway: Gateway
) -> None:
    """The preview's refund owed is what the move-out settles; then the statement shows."""
    device = device_id(hass, room)
    await console.ok("move_in", device_id=device, tenant="Alice", first_top_up="10")
    await use_energy(hass, simulated_gateway, 0.05)
    before = await ledger_rows(room)
    preview = await console.ok("move_out/preview", device_id=device)
    assert await ledger_rows(room) == before
    assert preview["waiting_fees"] == "0.00"
    assert preview["statement_data"]["moved_out_at"] is not None  # the closing statement
    assert preview["entries"][-1]["kind"] == "settlement"
    error = await console.error("move_out/preview", device_id=device, final_reading="-1")
    assert error["translation_key"] == "amount_negative", error
    assert preview["tenant"] == "Alice"
    assert Decimal(preview["refund_owed"]) == Decimal(preview["balance"]) > 0
    assert Decimal(preview["balance"]) < 10
    assert preview["debt"] == "0.00"

    moved_out = await console.ok("move_out", device_id=device)
    assert moved_out["result"]["refund_owed"] == preview["refund_owed"]
    assert "Alice" in moved_out["result"]["statement"]
    assert moved_out["room"]["tenant"] is None
    error = await console.error("move_out/preview", device_id=device)
    assert error["translation_key"] == "room_has_no_tenancy"
    page = await console.ok("room", device_id=device)
    assert page["tenancy"]["moved_out_at"] is not None
    assert page["statements"]


async def test_tariff_preview_and_time_of_use(
    hass: HomeAssistant, room: MockConfigEntry, console: Console
) -> None:
    """A TOU tariff's price now and at 19:00 before saving; bad tariffs refused translated."""
    device = device_id(hass, room)
    intervals = [
        {"start": "00:00", "end": "19:00", "period": "flat"},
        {"start": "19:00", "end": "23:00", "period": "peak"},
        {"start": "23:00", "end": "24:00", "period": "valley"},
    ]
    tou = {
        "kind": "tou",
        "prices": {"flat": "0.6", "peak": "1.2", "valley": "0.3"},
        "weekday": intervals,
        "weekend": intervals,
    }
    preview = await console.ok("set_tariff/preview", device_id=device, tariff=tou)
    assert preview["evening"]["period"] == "peak"
    assert preview["evening"]["price"] == "1.2000"
    assert "T19:00" in preview["evening"]["at"]
    assert preview["now"]["price"] in {"0.6000", "1.2000", "0.3000"}

    gap = {**tou, "weekday": intervals[:2], "weekend": intervals[:2]}
    before = await ledger_rows(room)
    for command in ("set_tariff/preview", "set_tariff"):
        error = await console.error(command, device_id=device, tariff=gap)
        assert error["translation_key"] == "tariff_interval_gap", (command, error)
    assert await ledger_rows(room) == before

    await console.ok("set_tariff", device_id=device, tariff=tou)
    page = await console.ok("room", device_id=device)
    assert page["tariff"]["kind"] == "tou"
    assert page["tariff"]["prices"]["peak"] == "1.2000"


async def test_supply_grace_and_vacant_preset(
    hass: HomeAssistant, room: MockConfigEntry, console: Console, simulated_gateway: Gateway
) -> None:
    """Supply off with a reason cuts the relay, automatic restores it; grace for a tenant;
    a vacant room's preset energy."""
    device = device_id(hass, room)
    meter = simulated_gateway.simulator.meter(3)
    preset = await console.ok("preset_vacant_energy", device_id=device, kwh="2")
    assert Decimal(preset["result"]["kwh"]) == 2
    await console.ok("move_in", device_id=device, tenant="Alice", first_top_up="10")
    off = await console.ok("set_supply", device_id=device, state="off", reason="repairs")
    await hass.async_block_till_done()
    assert off["result"] is None
    assert off["room"]["supply_state"] == "forced_off"
    assert off["room"]["supply_detail"] == "repairs"
    assert meter.relay_on is False
    await console.ok("set_supply", device_id=device, state="auto")
    await hass.async_block_till_done()
    assert meter.relay_on is True
    rows = await console.ok("rooms")
    assert rows["rooms"][0]["supply_state"] == "on"
    assert rows["rooms"][0]["supply_on"] is True

    error = await console.error("set_supply", device_id=device, state="sideways")
    assert error["code"] == "invalid_format"
    granted = await console.ok("grant_grace", device_id=device, duration={"hours": 2})
    assert granted["room"]["name"] == "Room 3"
    error = await console.error("grant_grace", device_id=device, duration={"days": 400})
    assert error["translation_key"] == "grace_too_long"


async def test_payments_of_a_date_range_with_totals_per_method(
    hass: HomeAssistant, room: MockConfigEntry, console: Console
) -> None:
    """Every top-up of the range, undone ones marked, totals per method net of them."""
    device = device_id(hass, room)
    await console.ok("move_in", device_id=device, tenant="Alice", first_top_up="10")
    await console.ok("top_up", device_id=device, amount="20", method="transfer", reference="B-1")
    undone = await console.ok("top_up", device_id=device, amount="5", method="transfer")
    await console.ok("reverse_top_up", device_id=device, entry_id=undone["result"]["entry_id"])
    today = dt_util.now().date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    found = await console.ok("payments", start=today.isoformat(), end=tomorrow)
    assert [(p["amount"], p["method"], p["undone_at"] is not None) for p in found["payments"]] == [
        ("10.00", "cash", False),
        ("20.00", "transfer", False),
        ("5.00", "transfer", True),
    ]
    assert found["payments"][0]["tenant"] == "Alice"
    assert found["payments"][0]["room"] == "Room 3"
    assert found["totals"] == {
        "cash": {"count": 1, "paid": "10.00", "undone": "0.00", "net": "10.00"},
        "transfer": {"count": 2, "paid": "25.00", "undone": "5.00", "net": "20.00"},
    }
    earlier = await console.ok("payments", start="2026-01-01", end=today.isoformat())
    assert earlier["payments"] == []
    error = await console.error("payments", start=tomorrow, end=today.isoformat())
    assert error["translation_key"] == "export_range_empty"
    assert (await console.error("payments", start="x", end=tomorrow))["code"] == "invalid_format"


async def test_report_of_the_cycle_for_rooms_and_building(
    hass: HomeAssistant, room: MockConfigEntry, console: Console, simulated_gateway: Gateway
) -> None:
    """Income and energy this cycle per room and in total, debt, rooms per supply state."""
    device = device_id(hass, room)
    empty = await console.ok("report")
    assert (empty["income"], empty["outstanding_debt"]) == ("0.00", "0.00")
    assert sum(empty["supply_states"].values()) == 1
    await console.ok("move_in", device_id=device, tenant="Alice", first_top_up="10")
    await console.ok("top_up", device_id=device, amount="2.50")
    await use_energy(hass, simulated_gateway, 0.05)
    await console.ok("statement", device_id=device)  # posts the accrued charge
    report = await console.ok("report")
    assert report["income"] == "12.50"
    (row,) = report["rooms"]
    assert (row["room"], row["income"]) == ("Room 3", "12.50")
    assert Decimal(row["energy_kwh"]) == Decimal(report["energy_kwh"]) >= Decimal("0.049")
    assert Decimal(report["charged"]) == Decimal(row["charged"])
    assert report["supply_states"] == {"on": 1}


async def test_report_of_a_month_and_its_statements_on_one_page(
    hass: HomeAssistant, room: MockConfigEntry, console: Console
) -> None:
    """A month's report is each room's cycle starting in it (this month: the same as the
    report of now; an earlier one before anyone moved in: nothing); the month-end statements
    of every room as one page; months not begun or malformed refused."""
    device = device_id(hass, room)
    await console.ok("move_in", device_id=device, tenant="Alice", first_top_up="10")
    today = dt_util.now().date()
    this_month = today.isoformat()[:7]
    last_month = (today.replace(day=1) - timedelta(days=1)).isoformat()[:7]
    now = await console.ok("report")
    report = await console.ok("report", month=this_month)
    assert report["month"] == this_month
    assert report["months"] == [this_month]
    assert {k: v for k, v in report.items() if k != "month"} == {
        k: v for k, v in now.items() if k != "month"
    }
    assert report["rooms"][0]["debt"] == "0.00"
    assert report["income"] == "10.00"
    earlier = await console.ok("report", month=last_month)
    assert (earlier["income"], earlier["energy_kwh"]) == ("0.00", "0.000")
    assert earlier["rooms"][0]["cycle"] == f"{last_month}-01"

    page = await console.ok("statements", month=this_month, language="zh-hans")
    assert page["language"] == "zh-Hans"
    (statement,) = page["statements"]
    assert (statement["room"], statement["tenant"], statement["gateway"]) == (
        "Room 3",
        "Alice",
        room.title,
    )
    assert statement["closing_balance"] == "10.00"
    assert "Alice" in statement["text"]
    assert "10.00" in statement["text"]
    assert (await console.ok("statements", month=last_month))["statements"] == []

    next_month = (today.replace(day=28) + timedelta(days=4)).isoformat()[:7]
    for command in ("report", "statements"):
        error = await console.error(command, month=next_month)
        assert error["translation_key"] == "cycle_not_started", (command, error)
        error = await console.error(command, month="1800-01")
        assert error["translation_key"] == "date_out_of_range", (command, error)
        for bad in ("2026-13", "2026-1", "January"):
            assert (await console.error(command, month=bad))["code"] == "invalid_format"


async def test_room_page_shows_the_debt_and_its_recovery_plan(
    hass: HomeAssistant, room: MockConfigEntry, console: Console
) -> None:
    """No plan: the debt owed only; a plan set by its action: recorded, recovered (from a
    top-up) and remaining, with its terms."""
    device = device_id(hass, room)
    await console.ok("move_in", device_id=device, tenant="Alice", first_top_up="20")
    page = await console.ok("room", device_id=device)
    assert page["debt"] == {"owed": "0.00", "plan": None}
    await hass.services.async_call(
        DOMAIN,
        "set_debt_plan",
        {"device_id": device, "debt": "30", "reason": "arrears", "percent": 25, "floor": "5"},
        blocking=True,
    )
    await console.ok("top_up", device_id=device, amount="40")
    plan = (await console.ok("room", device_id=device))["debt"]["plan"]
    assert {k: plan[k] for k in ("recorded", "recovered", "remaining")} == {
        "recorded": "30.00",
        "recovered": "10.00",
        "remaining": "20.00",
    }
    assert plan["terms"] == {"percent": "25.00", "fixed": "0.00", "every": "day", "floor": "5.00"}
