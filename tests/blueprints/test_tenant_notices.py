"""Supply cut / restored notice, top-up receipt and statement delivery."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import async_mock_service

from .conftest import SetupBlueprint, room_event, settle

SUPPLY_CHANGED = "prepaid_power_supply_changed"


def _supply(
    room: dr.DeviceEntry, old: str, new: str, *, was_on: bool, on: bool
) -> dict[str, object]:
    return room_event(
        room, old_state=old, new_state=new, reason="balance_exhausted", supply_on=on, was_on=was_on
    )


async def test_supply_cut_and_restored_to_tenant_only(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    other_room: dr.DeviceEntry,
    tenant_phone: dr.DeviceEntry,
) -> None:
    """Cut and restore each notify the tenant once; other changes and rooms do not."""
    tenant = async_mock_service(hass, "notify", "mobile_app_tenant_phone")
    landlord = async_mock_service(hass, "notify", "mobile_app_landlord_phone")
    await setup_blueprint(
        "supply_notice.yaml", {"room": room.id, "tenant_devices": [tenant_phone.id]}
    )

    hass.bus.async_fire(SUPPLY_CHANGED, _supply(room, "low", "cut_off", was_on=True, on=False))
    await settle(hass)
    assert len(tenant) == 1
    assert tenant[0].data["title"] == "Room 3: electricity off"
    assert tenant[0].data["message"] == (
        "The electricity is off: the credit has run out; a top-up brings it back. "
        "Balance: 4.20 CNY."
    )

    # Still off (cut_off -> forced_off), still on (on -> low), another room: nothing.
    hass.bus.async_fire(
        SUPPLY_CHANGED, _supply(room, "cut_off", "forced_off", was_on=False, on=False)
    )
    hass.bus.async_fire(SUPPLY_CHANGED, _supply(room, "on", "low", was_on=True, on=True))
    hass.bus.async_fire(
        SUPPLY_CHANGED, _supply(other_room, "low", "cut_off", was_on=True, on=False)
    )
    await settle(hass)
    assert len(tenant) == 1

    hass.bus.async_fire(SUPPLY_CHANGED, _supply(room, "cut_off", "on", was_on=False, on=True))
    await settle(hass)
    assert len(tenant) == 2
    assert tenant[1].data["title"] == "Room 3: electricity back on"
    assert tenant[1].data["message"] == "The electricity is back on. Balance: 4.20 CNY."

    # Back on for the night (friendly hours): the tenant is told it becomes debt.
    hass.bus.async_fire(SUPPLY_CHANGED, _supply(room, "on", "cut_off", was_on=True, on=False))
    hass.bus.async_fire(
        SUPPLY_CHANGED, _supply(room, "cut_off", "friendly_hold", was_on=False, on=True)
    )
    await settle(hass)
    assert tenant[3].data["message"] == (
        "The electricity is back on (friendly hours: it stays on for now and what you use "
        "becomes debt, please top up). Balance: 4.20 CNY."
    )
    assert landlord == []


async def test_supply_notice_to_landlord_for_chosen_changes(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    tenant_phone: dr.DeviceEntry,
    landlord_phone: dr.DeviceEntry,
) -> None:
    """The landlord gets the cuts only when only cuts are chosen; entities get them too."""
    tenant = async_mock_service(hass, "notify", "mobile_app_tenant_phone")
    landlord = async_mock_service(hass, "notify", "mobile_app_landlord_phone")
    entities = async_mock_service(hass, "notify", "send_message")
    await setup_blueprint(
        "supply_notice.yaml",
        {
            "room": room.id,
            "tenant_devices": [tenant_phone.id],
            "landlord_devices": [landlord_phone.id],
            "landlord_notify_entities": ["notify.landlord_email"],
            "landlord_changes": ["cut"],
        },
    )

    hass.bus.async_fire(SUPPLY_CHANGED, _supply(room, "on", "forced_off", was_on=True, on=False))
    await settle(hass)
    assert len(tenant) == 1
    assert len(landlord) == 1
    assert "switched off by the landlord" in landlord[0].data["message"]
    assert [call.data["entity_id"] for call in entities] == [["notify.landlord_email"]]

    hass.bus.async_fire(SUPPLY_CHANGED, _supply(room, "forced_off", "on", was_on=False, on=True))
    await settle(hass)
    assert len(tenant) == 2
    assert len(landlord) == 1
    assert len(entities) == 1


async def test_top_up_receipt(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    other_room: dr.DeviceEntry,
    tenant_phone: dr.DeviceEntry,
) -> None:
    """Amount, new balance and reference (kept as text, leading zeros and all)."""
    tenant = async_mock_service(hass, "notify", "mobile_app_tenant_phone")
    entity = async_mock_service(hass, "notify", "send_message")
    await setup_blueprint(
        "top_up_receipt.yaml",
        {
            "room": room.id,
            "tenant_devices": [tenant_phone.id],
            "tenant_notify_entities": ["notify.room_3_wechat"],
        },
    )

    hass.bus.async_fire(
        "prepaid_power_top_up",
        room_event(room, balance="54.20", amount="50.00", method="cash", reference="000123"),
    )
    hass.bus.async_fire(
        "prepaid_power_top_up",
        room_event(other_room, amount="10.00", method="cash", reference="X"),
    )
    await settle(hass)

    assert len(tenant) == 1
    assert tenant[0].data["title"] == "Room 3: top-up received"
    assert tenant[0].data["message"] == (
        "Top-up of 50.00 CNY received (reference 000123). New balance: 54.20 CNY. Thank you!"
    )
    assert [call.data["message"] for call in entity] == [tenant[0].data["message"]]

    hass.bus.async_fire(
        "prepaid_power_top_up",
        room_event(room, balance="64.20", amount="10.00", method="cash", reference=None),
    )
    await settle(hass)
    assert tenant[1].data["message"] == (
        "Top-up of 10.00 CNY received. New balance: 64.20 CNY. Thank you!"
    )


STATEMENT = """Room 3 — statement 2026-10-01 to 2026-10-31
Opening balance   12.00 CNY
Top-ups          100.00 CNY
Charges  88.40 kWh  -53.04 CNY
Closing balance   58.96 CNY"""


async def test_statement_delivery_with_landlord_copy(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    other_room: dr.DeviceEntry,
    tenant_phone: dr.DeviceEntry,
    landlord_phone: dr.DeviceEntry,
) -> None:
    """The rendered statement goes to the tenant and the landlord's copy, for this room only."""
    tenant = async_mock_service(hass, "notify", "mobile_app_tenant_phone")
    landlord = async_mock_service(hass, "notify", "mobile_app_landlord_phone")
    entity = async_mock_service(hass, "notify", "send_message")
    await setup_blueprint(
        "statement_delivery.yaml",
        {
            "room": room.id,
            "tenant_devices": [tenant_phone.id],
            "tenant_notify_entities": ["notify.room_3_email"],
            "landlord_devices": [landlord_phone.id],
        },
    )

    for device in (room, other_room):
        hass.bus.async_fire(
            "prepaid_power_statement_ready",
            room_event(
                device,
                balance="58.96",
                cycle_start="2026-10-01T00:00:00+08:00",
                cycle_end="2026-10-31",
                statement=STATEMENT,
            ),
        )
    await settle(hass)

    for calls in (tenant, landlord, entity):
        assert len(calls) == 1
        assert (
            calls[0].data["title"] == "Room 3: electricity statement 2026-10-01 \u2013 2026-10-31"
        )
        assert calls[0].data["message"] == STATEMENT
    assert entity[0].data["entity_id"] == ["notify.room_3_email"]
