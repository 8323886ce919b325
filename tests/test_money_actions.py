"""The debt recovery plan in Home Assistant: the action, top-ups, events and statements."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.prepaid_power.const import EVENT_LANDLORD_ACTION, EVENT_TOP_UP
from prepaid_power_gateway import Gateway

from .test_init import setup_gateway
from .test_rooms import (
    ROOM_FORM,
    act,
    balance,
    entry_with_room,
    ledger_entries,
    make_room,
    room_device_id,
    room_subentry,
)

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


@pytest.fixture
async def room(hass: HomeAssistant, simulated_gateway: Gateway) -> MockConfigEntry:
    """A loaded gateway with Room 1 on the SDM120, with a tenant who paid 20.00."""
    return await make_room(hass, simulated_gateway)


async def test_plan_recovers_a_share_of_each_top_up(
    hass: HomeAssistant, room: MockConfigEntry
) -> None:
    """Alice owes 30.00 of arrears: 25 % of each top-up goes to it, her balance never below 5."""
    device_id = room_device_id(hass, room)
    actions = async_capture_events(hass, EVENT_LANDLORD_ACTION)
    plan = await act(
        hass,
        "set_debt_plan",
        {
            "device_id": device_id,
            "debt": "30",
            "reason": "arrears",
            "percent": 25,
            "floor": "5",
        },
    )
    assert {k: plan[k] for k in ("debt", "recovered", "remaining", "percent", "floor")} == {
        "debt": "30.00",
        "recovered": "0.00",
        "remaining": "30.00",
        "percent": "25.00",
        "floor": "5.00",
    }
    assert actions[-1].data["action"] == "set_debt_plan"
    assert actions[-1].data["remaining"] == "30.00"
    top_ups = async_capture_events(hass, EVENT_TOP_UP)
    paid = await act(hass, "top_up", {"device_id": device_id, "amount": "40"})
    assert paid["debt_recovered"] == "10.00"
    assert top_ups[-1].data["debt_recovered"] == "10.00"
    assert balance(hass) == Decimal("50.00")  # 20 + 40 - 10
    statement = await act(hass, "statement", {"device_id": device_id})
    recovery = statement["data"]["debt_recovery"]
    assert (recovery["recovered_total"], recovery["closing_debt"]) == ("10.00", "20.00")


def plan_sensors(hass: HomeAssistant) -> tuple[str, str]:
    """The room's plan debt and what the plan recovered this cycle, as shown."""
    debt = hass.states.get("sensor.room_1_plan_debt")
    recovered = hass.states.get("sensor.room_1_plan_debt_recovered_this_cycle")
    assert debt is not None
    assert recovered is not None
    return debt.state, recovered.state


async def test_plan_debt_sensors_follow_the_plan(
    hass: HomeAssistant, room: MockConfigEntry
) -> None:
    """Without a plan the sensors are unknown; with one they show what is still owed and
    what the plan took in this cycle, after each top-up."""
    device_id = room_device_id(hass, room)
    assert plan_sensors(hass) == ("unknown", "unknown")
    await act(
        hass,
        "set_debt_plan",
        {"device_id": device_id, "debt": "30", "reason": "arrears", "percent": 25},
    )
    assert plan_sensors(hass) == ("30.00", "0.00")
    debt = hass.states.get("sensor.room_1_plan_debt")
    assert debt is not None
    assert debt.attributes["unit_of_measurement"] == hass.config.currency
    await act(hass, "top_up", {"device_id": device_id, "amount": "40"})
    assert plan_sensors(hass) == ("20.00", "10.00")
    await act(hass, "top_up", {"device_id": device_id, "amount": "8"})
    assert plan_sensors(hass) == ("18.00", "12.00")


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"debt": "10", "reason": "x", "percent": 120}, "debt_plan_percent_invalid"),
        ({"percent": 10}, "debt_plan_no_debt"),
        ({"debt": "10"}, "reason_required"),
        ({"debt": "10", "reason": "x", "floor": "-1"}, "amount_not_positive"),
    ],
)
async def test_plan_refusals_are_translated_and_change_nothing(
    hass: HomeAssistant, room: MockConfigEntry, data: dict[str, object], key: str
) -> None:
    device_id = room_device_id(hass, room)
    before = await ledger_entries(room)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "set_debt_plan", {"device_id": device_id, **data})
    assert err.value.translation_key == key
    assert await ledger_entries(room) == before
    assert (
        await room.runtime_data.rooms.billing.run(
            lambda core: core.ledger.execute("SELECT COUNT(*) FROM debt_plans")
        )
    ) == [(0,)]


async def test_the_room_form_sets_the_standing_charge(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """The room's *Standing charge per day* reaches the billing core."""
    entry = entry_with_room(simulated_gateway.port, standing_charge="1.50")
    await setup_gateway(hass, entry)
    room_id = room_subentry(entry).subentry_id
    config = await entry.runtime_data.rooms.billing.run(lambda core: core.room_config(room_id))
    assert config.standing_charge == Decimal("1.50")


STATEMENT = (
    "Buchungstag;Verwendungszweck;Betrag\n"
    "10.01.2026;Strom Zimmer pp-101 Alice;12,50\n"
    "10.01.2026;Miete PP-999;300,00\n"
    "11.01.2026;Stadtwerke;-80,00\n"
)
SPARKASSE = {
    "bank": "Sparkasse",
    "date_column": "Buchungstag",
    "amount_column": "Betrag",
    "reference_column": "Verwendungszweck",
    "decimal": "comma",
    "date_format": "%d.%m.%Y",
    "encoding": "cp1252",
}


async def test_bank_statement_import_books_each_line_once(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """A cp1252 file in prepaid_power/imports/: the line naming Room 1's payment reference is
    a top-up, the others are listed; the same file again (by the bank's saved format) books
    nothing more, and the same lines as CSV text neither."""
    hass.config.currency = "CNY"
    entry = entry_with_room(simulated_gateway.port, payment_reference="PP-101")
    await setup_gateway(hass, entry)
    device_id = room_device_id(hass, entry)
    await act(hass, "move_in", {"device_id": device_id, "tenant": "Alice"})
    folder = Path(hass.config.path("prepaid_power", "imports"))
    file = folder / f"statement-{entry.entry_id}.csv"

    def write() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        file.write_bytes(STATEMENT.encode("cp1252"))

    await hass.async_add_executor_job(write)
    try:
        report = await act(hass, "import_bank_statement", {"file": file.name, **SPARKASSE})
        assert [(m["line"], m["room"], m["amount"], m["created"]) for m in report["matched"]] == [
            (2, "Room 1", "12.50", True)
        ]
        assert [(u["line"], u["reason"]) for u in report["unmatched"]] == [
            (3, "no_room"),
            (4, "not_a_payment"),
        ]
        assert balance(hass) == Decimal("12.50")
        again = await act(hass, "import_bank_statement", {"file": file.name, "bank": "Sparkasse"})
        assert [m["created"] for m in again["matched"]] == [False]
        text = await act(
            hass,
            "import_bank_statement",
            {"csv": STATEMENT, "bank": "Sparkasse"},
        )
        assert [m["created"] for m in text["matched"]] == [False]
        assert balance(hass) == Decimal("12.50")
    finally:
        await hass.async_add_executor_job(file.unlink)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"file": "../configuration.yaml", **SPARKASSE}, "bank_file_not_allowed"),
        ({"file": "nowhere.csv", **SPARKASSE}, "bank_file_missing"),
        ({"csv": "a,b\n"}, "bank_format_invalid"),
        ({"csv": "a,b\n", "bank": "Unknown Bank"}, "bank_format_unknown"),
        ({"bank": "Sparkasse"}, "bank_input_required"),
        ({"csv": "x;y\n1;2\n", **SPARKASSE}, "bank_column_unknown"),
        (
            {"csv": 'Buchungstag;Betrag;Verwendungszweck\n"open;1;x\n', **SPARKASSE},
            "bank_statement_unreadable",
        ),
    ],
)
async def test_bank_import_refusals_are_translated_and_book_nothing(
    hass: HomeAssistant, room: MockConfigEntry, data: dict[str, object], key: str
) -> None:
    before = await ledger_entries(room)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "import_bank_statement", data)
    assert err.value.translation_key == key
    assert await ledger_entries(room) == before


async def test_a_payment_reference_belongs_to_one_room(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """Two rooms of a gateway cannot share a payment reference (case ignored)."""
    entry = entry_with_room(simulated_gateway.port, payment_reference="PP-101")
    await setup_gateway(hass, entry)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "room"), context={"source": "user"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**ROOM_FORM, "payment_reference": "pp-101"}
    )
    assert result["errors"] == {"payment_reference": "payment_reference_taken"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**ROOM_FORM, "payment_reference": "PP-102"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
