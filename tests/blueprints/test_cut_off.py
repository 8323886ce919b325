"""Cut off when due (automation cut-off mode)."""

from __future__ import annotations

from homeassistant.auth.models import User
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import async_mock_service

from .conftest import SetupBlueprint, room_event, set_supply_state, settle

FILE = "cut_off_when_due.yaml"
DUE = "prepaid_power_cut_off_due"


def _due(room: dr.DeviceEntry, **extra: object) -> dict[str, object]:
    return room_event(room, balance="-0.10", reason="cut_off_due", **extra)


async def test_cuts_chosen_rooms_when_due(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    other_room: dr.DeviceEntry,
) -> None:
    """The chosen room is switched off with the reason; another room is left alone."""
    set_supply = async_mock_service(hass, "prepaid_power", "set_supply")
    set_supply_state(hass, room, "cut_off")
    await setup_blueprint(FILE, {"rooms": [room.id], "reason": "Out of credit"})

    hass.bus.async_fire(DUE, _due(other_room))
    await settle(hass)
    assert set_supply == []

    hass.bus.async_fire(DUE, _due(room))
    await settle(hass)
    assert [call.data for call in set_supply] == [
        {"device_id": room.id, "state": "off", "reason": "Out of credit"}
    ]


async def test_every_room_when_none_chosen_but_not_automatic_mode(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    other_room: dr.DeviceEntry,
) -> None:
    """No rooms chosen: all rooms; an event that says `automatic` mode is ignored."""
    set_supply = async_mock_service(hass, "prepaid_power", "set_supply")
    await setup_blueprint(FILE, {})

    hass.bus.async_fire(DUE, _due(room, mode="automatic"))
    await settle(hass)
    assert set_supply == []

    hass.bus.async_fire(DUE, _due(other_room, mode="automation"))
    await settle(hass)
    assert [call.data["device_id"] for call in set_supply] == [other_room.id]
    assert set_supply[0].data["reason"] == "Out of credit (cut by automation)"


async def test_hold_entity_delays_the_cut_until_off(
    hass: HomeAssistant, setup_blueprint: SetupBlueprint, room: dr.DeviceEntry
) -> None:
    """While the hold is on nothing happens; when it turns off the room is cut."""
    set_supply = async_mock_service(hass, "prepaid_power", "set_supply")
    hass.states.async_set("input_boolean.landlord_on_site", "on")
    supply = set_supply_state(hass, room, "cut_off")
    await setup_blueprint(
        FILE, {"rooms": [room.id], "hold_entities": ["input_boolean.landlord_on_site"]}
    )

    hass.bus.async_fire(DUE, _due(room))
    await settle(hass)
    assert set_supply == []

    hass.states.async_set("input_boolean.landlord_on_site", "off")
    await settle(hass)
    assert [call.data["state"] for call in set_supply] == ["off"]
    assert hass.states.get(supply) is not None


async def test_hold_then_top_up_cancels_the_cut(
    hass: HomeAssistant, setup_blueprint: SetupBlueprint, room: dr.DeviceEntry
) -> None:
    """A room that left cut_off during the hold is not cut when the hold ends."""
    set_supply = async_mock_service(hass, "prepaid_power", "set_supply")
    hass.states.async_set("binary_sensor.medical_device", "on")
    supply = set_supply_state(hass, room, "cut_off")
    await setup_blueprint(
        FILE,
        {
            "rooms": [room.id],
            "hold_entities": ["binary_sensor.medical_device"],
            "restore_after_top_up": False,
        },
    )

    hass.bus.async_fire(DUE, _due(room))
    await settle(hass)
    hass.states.async_set(supply, "on", hass.states.get(supply).attributes)  # type: ignore[union-attr]
    hass.states.async_set("binary_sensor.medical_device", "off")
    await settle(hass)

    assert set_supply == []


async def test_hold_with_skip_and_extra_conditions(
    hass: HomeAssistant, setup_blueprint: SetupBlueprint, room: dr.DeviceEntry
) -> None:
    """`skip` drops a held cut; failing extra conditions prevent the cut."""
    set_supply = async_mock_service(hass, "prepaid_power", "set_supply")
    hass.states.async_set("binary_sensor.hold", "on")
    hass.states.async_set("input_boolean.cuts_allowed", "off")
    await setup_blueprint(
        FILE,
        {
            "hold_entities": ["binary_sensor.hold"],
            "when_held": "skip",
            "extra_conditions": [
                {
                    "condition": "state",
                    "entity_id": "input_boolean.cuts_allowed",
                    "state": "on",
                }
            ],
        },
    )

    hass.bus.async_fire(DUE, _due(room))
    await settle(hass)
    hass.states.async_set("binary_sensor.hold", "off")
    await settle(hass)
    assert set_supply == []

    # Hold off, but the extra condition fails.
    hass.bus.async_fire(DUE, _due(room))
    await settle(hass)
    assert set_supply == []

    hass.states.async_set("input_boolean.cuts_allowed", "on")
    hass.bus.async_fire(DUE, _due(room))
    await settle(hass)
    assert [call.data["state"] for call in set_supply] == ["off"]


async def test_top_up_gives_forced_off_room_back_to_the_policy(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    other_room: dr.DeviceEntry,
) -> None:
    """A top-up of a forced-off room calls set_supply auto; of a room that is not, nothing."""
    set_supply = async_mock_service(hass, "prepaid_power", "set_supply")
    set_supply_state(hass, room, "forced_off")
    set_supply_state(hass, other_room, "protected")
    await setup_blueprint(FILE, {})

    for device in (room, other_room):
        hass.bus.async_fire(
            "prepaid_power_top_up", room_event(device, amount="50.00", reference=None)
        )
    await settle(hass)

    assert [call.data for call in set_supply] == [
        {"device_id": room.id, "state": "auto", "reason": "Topped up"}
    ]


async def test_top_up_restore_can_be_turned_off(
    hass: HomeAssistant, setup_blueprint: SetupBlueprint, room: dr.DeviceEntry
) -> None:
    """With the option off, a forced-off room stays as the landlord left it."""
    set_supply = async_mock_service(hass, "prepaid_power", "set_supply")
    set_supply_state(hass, room, "forced_off")
    await setup_blueprint(FILE, {"restore_after_top_up": False})

    hass.bus.async_fire("prepaid_power_top_up", room_event(room, amount="50.00"))
    await settle(hass)

    assert set_supply == []


@pytest.mark.parametrize("file", [FILE, "ask_landlord_before_cut.yaml"])
async def test_run_by_hand_does_not_act_for_the_landlord(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    landlord_phone: dr.DeviceEntry,
    tenant_user: User,
    caplog: pytest.LogCaptureFixture,
    file: str,
) -> None:
    """`automation.trigger` (any user may call it, and it skips the conditions) does not
    make the blueprint cut or grant anything; its own trigger still does."""
    set_supply = async_mock_service(hass, "prepaid_power", "set_supply")
    grant_grace = async_mock_service(hass, "prepaid_power", "grant_grace")
    async_mock_service(hass, "notify", f"mobile_app_{landlord_phone.name}")
    set_supply_state(hass, room, "cut_off")
    await setup_blueprint(
        file,
        {"rooms": [room.id], "landlord_device": landlord_phone.id, "on_timeout": "cut"}
        if file != FILE
        else {"rooms": [room.id]},
    )
    caplog.clear()
    await hass.services.async_call(
        "automation",
        "trigger",
        {"entity_id": "automation.under_test"},
        blocking=True,
        context=Context(user_id=tenant_user.id),
    )
    await settle(hass)
    assert set_supply == []
    assert grant_grace == []
    assert "Error" not in caplog.text
    if file == FILE:
        hass.bus.async_fire(DUE, _due(room))
        await settle(hass)
        assert [call.data["state"] for call in set_supply] == ["off"]
