"""Low balance warning to the tenant: message, targets, quiet hours, once per crossing."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
)

from .conftest import SetupBlueprint, room_event, settle

FILE = "low_balance_warning.yaml"
EVENT = "prepaid_power_balance_low"


def _inputs(room: dr.DeviceEntry, phone: dr.DeviceEntry, **extra: object) -> dict[str, object]:
    return {"room": room.id, "tenant_devices": [phone.id], **extra}


async def _fire(hass: HomeAssistant, room: dr.DeviceEntry, days_left: float | None = 3.2) -> None:
    hass.bus.async_fire(EVENT, room_event(room, level="5.00", days_left=days_left))
    await settle(hass)


async def test_warns_phone_and_notify_entity(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    tenant_phone: dr.DeviceEntry,
) -> None:
    """One warning to the phone and to the notify entity, with balance and days left."""
    phone = async_mock_service(hass, "notify", "mobile_app_tenant_phone")
    entity = async_mock_service(hass, "notify", "send_message")
    await setup_blueprint(
        FILE, _inputs(room, tenant_phone, tenant_notify_entities=["notify.room_3_telegram"])
    )

    await _fire(hass, room)

    assert len(phone) == 1
    assert phone[0].data["title"] == "Room 3: electricity credit low"
    assert phone[0].data["message"] == (
        "Your electricity credit is low: 4.20 CNY left, about 3 days at your usual use. "
        "Please top up soon to keep the power on."
    )
    assert phone[0].data["data"]["tag"] == f"prepaid_power_low_{room.id}"
    assert len(entity) == 1
    assert entity[0].data["entity_id"] == ["notify.room_3_telegram"]
    assert entity[0].data["message"] == phone[0].data["message"]


async def test_days_left_unknown_and_custom_message(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    tenant_phone: dr.DeviceEntry,
) -> None:
    """Days left may be unknown; the landlord's own message template is used."""
    phone = async_mock_service(hass, "notify", "mobile_app_tenant_phone")
    await setup_blueprint(
        FILE,
        _inputs(
            room,
            tenant_phone,
            message="{{ room }} 余额不足: {{ balance }}(警戒线 {{ level }}) [{{ days_left }}]",
        ),
    )

    await _fire(hass, room, days_left=None)

    assert [call.data["message"] for call in phone] == [
        "Room 3 余额不足: 4.20 CNY(警戒线 5.00 CNY) []"
    ]


async def test_other_room_is_ignored(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    other_room: dr.DeviceEntry,
    tenant_phone: dr.DeviceEntry,
) -> None:
    """A warning for another room does not reach this room's tenant."""
    phone = async_mock_service(hass, "notify", "mobile_app_tenant_phone")
    await setup_blueprint(FILE, _inputs(room, tenant_phone))

    await _fire(hass, other_room)

    assert phone == []


async def test_second_event_of_the_same_crossing_is_ignored(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    tenant_phone: dr.DeviceEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Repeated events notify once, until a top-up or supply `on` ends the crossing."""
    phone = async_mock_service(hass, "notify", "mobile_app_tenant_phone")
    await setup_blueprint(FILE, _inputs(room, tenant_phone))

    await _fire(hass, room)
    await _fire(hass, room)
    assert len(phone) == 1

    # A top-up ends the crossing: the next crossing warns again.
    hass.bus.async_fire("prepaid_power_top_up", room_event(room, amount="1.00", reference=None))
    await settle(hass)
    await _fire(hass, room)
    assert len(phone) == 2

    # Supply state back to `on` (balance above the level) ends it too.
    hass.bus.async_fire(
        "prepaid_power_supply_changed",
        room_event(room, old_state="low", new_state="on", supply_on=True, was_on=True),
    )
    await settle(hass)
    await _fire(hass, room)
    assert len(phone) == 3

    # The guard lasts at most 24 h.
    await _fire(hass, room)
    assert len(phone) == 3
    freezer.tick(timedelta(hours=24, seconds=1))
    async_fire_time_changed(hass)
    await settle(hass)
    await _fire(hass, room)
    assert len(phone) == 4


async def test_guard_off(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    tenant_phone: dr.DeviceEntry,
) -> None:
    """With the repeat guard at 0 every event notifies (relying on the event contract)."""
    phone = async_mock_service(hass, "notify", "mobile_app_tenant_phone")
    await setup_blueprint(
        FILE, _inputs(room, tenant_phone, repeat_guard={"hours": 0, "minutes": 0, "seconds": 0})
    )

    await _fire(hass, room)
    await _fire(hass, room)

    assert len(phone) == 2


QUIET = {"quiet_hours": True, "quiet_start": "22:00:00", "quiet_end": "07:00:00"}


async def test_quiet_hours_postpone_until_they_end(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    tenant_phone: dr.DeviceEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """At 23:30 nothing is sent; at 07:00 the warning goes out."""
    await hass.config.async_set_time_zone("Asia/Shanghai")
    freezer.move_to("2026-11-20 23:30:00+08:00")
    phone = async_mock_service(hass, "notify", "mobile_app_tenant_phone")
    await setup_blueprint(FILE, _inputs(room, tenant_phone, **QUIET))

    await _fire(hass, room)
    assert phone == []

    freezer.move_to("2026-11-21 06:59:00+08:00")
    async_fire_time_changed(hass)
    await settle(hass)
    assert phone == []

    freezer.move_to("2026-11-21 07:00:00+08:00")
    async_fire_time_changed(hass)
    await settle(hass)
    assert len(phone) == 1
    assert "4.20 CNY" in phone[0].data["message"]


async def test_quiet_hours_postponed_warning_dropped_after_top_up(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    tenant_phone: dr.DeviceEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A tenant who tops up during the night gets no warning in the morning."""
    await hass.config.async_set_time_zone("Asia/Shanghai")
    freezer.move_to("2026-11-21 02:00:00+08:00")
    phone = async_mock_service(hass, "notify", "mobile_app_tenant_phone")
    await setup_blueprint(FILE, _inputs(room, tenant_phone, **QUIET))

    await _fire(hass, room)
    hass.bus.async_fire("prepaid_power_top_up", room_event(room, amount="50.00", reference="R"))
    await settle(hass)
    freezer.move_to("2026-11-21 07:00:00+08:00")
    async_fire_time_changed(hass)
    await settle(hass)

    assert phone == []


async def test_quiet_hours_drop_and_daytime(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    tenant_phone: dr.DeviceEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With `drop`, a night warning is never sent; a daytime one is sent at once."""
    await hass.config.async_set_time_zone("Asia/Shanghai")
    freezer.move_to("2026-11-20 22:00:00+08:00")
    phone = async_mock_service(hass, "notify", "mobile_app_tenant_phone")
    await setup_blueprint(
        FILE,
        _inputs(
            room,
            tenant_phone,
            quiet_behaviour="drop",
            repeat_guard={"hours": 0, "minutes": 0, "seconds": 0},
            **QUIET,
        ),
    )

    await _fire(hass, room)
    freezer.move_to("2026-11-21 07:00:00+08:00")
    async_fire_time_changed(hass)
    await settle(hass)
    assert phone == []

    freezer.move_to("2026-11-21 12:00:00+08:00")
    await _fire(hass, room)
    assert len(phone) == 1
