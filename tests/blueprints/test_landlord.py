"""Ask the landlord before cutting, and the fault alert."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
)

from .conftest import SetupBlueprint, room_event, set_supply_state, settle

ASK = "ask_landlord_before_cut.yaml"
DUE = "prepaid_power_cut_off_due"
ACTION = "mobile_app_notification_action"


class Services:
    """The mocked actions the landlord blueprints call."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.landlord = async_mock_service(hass, "notify", "mobile_app_landlord_phone")
        self.set_supply = async_mock_service(hass, "prepaid_power", "set_supply")
        self.grant_grace = async_mock_service(hass, "prepaid_power", "grant_grace")

    def questions(self) -> list[ServiceCall]:
        return [c for c in self.landlord if c.data["message"] != "clear_notification"]

    def clears(self) -> list[ServiceCall]:
        return [c for c in self.landlord if c.data["message"] == "clear_notification"]


@pytest.fixture
def services(hass: HomeAssistant) -> Services:
    """Mocked notify, set_supply and grant_grace."""
    return Services(hass)


async def _ask(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    landlord_phone: dr.DeviceEntry,
    **inputs: object,
) -> None:
    await setup_blueprint(ASK, {"rooms": [room.id], "landlord_device": landlord_phone.id, **inputs})
    hass.bus.async_fire(DUE, room_event(room, balance="-0.10", reason="cut_off_due"))
    await settle(hass)


def _action_ids(services: Services) -> tuple[str, str]:
    actions = services.questions()[-1].data["data"]["actions"]
    return actions[0]["action"], actions[1]["action"]


async def test_question_and_cut_now(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    landlord_phone: dr.DeviceEntry,
    services: Services,
) -> None:
    """The landlord is asked with two buttons; "Cut now" switches the supply off."""
    set_supply_state(hass, room, "cut_off")
    await _ask(hass, setup_blueprint, room, landlord_phone)

    [question] = services.questions()
    assert question.data["title"] == "Room 3 is out of credit"
    assert question.data["message"] == (
        "Balance -0.10 CNY. Cut the supply now, or give the tenant more time?"
    )
    data = question.data["data"]
    assert [(a["title"]) for a in data["actions"]] == ["Cut now", "Give 24 h"]
    assert data["url"] == data["clickAction"] == f"/config/devices/device/{room.id}"
    cut, grace = _action_ids(services)
    assert cut != grace

    # Someone else's button (another question) does nothing.
    hass.bus.async_fire(ACTION, {"action": "PREPAID_POWER_CUT_somebody-else"})
    await settle(hass)
    assert services.set_supply == []

    hass.bus.async_fire(ACTION, {"action": cut})
    await settle(hass)
    assert [c.data for c in services.set_supply] == [
        {"device_id": room.id, "state": "off", "reason": "Out of credit (cut by the landlord)"}
    ]
    assert services.grant_grace == []
    assert services.clears() == []


async def test_give_grace(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    landlord_phone: dr.DeviceEntry,
    services: Services,
) -> None:
    """ "Give 24 h" grants the configured grace, nothing is cut."""
    await _ask(
        hass,
        setup_blueprint,
        room,
        landlord_phone,
        grace={"hours": 12, "minutes": 0, "seconds": 0},
        grace_label="Give 12 h",
    )
    assert services.questions()[0].data["data"]["actions"][1]["title"] == "Give 12 h"
    _, grace = _action_ids(services)

    hass.bus.async_fire(ACTION, {"action": grace})
    await settle(hass)

    assert [c.data for c in services.grant_grace] == [
        {"device_id": room.id, "duration": {"hours": 12, "minutes": 0, "seconds": 0}}
    ]
    assert services.set_supply == []


async def test_two_questions_have_their_own_buttons(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    other_room: dr.DeviceEntry,
    landlord_phone: dr.DeviceEntry,
    services: Services,
) -> None:
    """Questions for two rooms at once: each button acts on its own room only."""
    await setup_blueprint(ASK, {"landlord_device": landlord_phone.id})
    hass.bus.async_fire(DUE, room_event(room, reason="cut_off_due"))
    hass.bus.async_fire(DUE, room_event(other_room, reason="cut_off_due"))
    await settle(hass)

    first, second = services.questions()
    second_grace = second.data["data"]["actions"][1]["action"]
    first_cut = first.data["data"]["actions"][0]["action"]
    hass.bus.async_fire(ACTION, {"action": second_grace})
    hass.bus.async_fire(ACTION, {"action": first_cut})
    await settle(hass)

    rooms = {first.data["title"]: room.id, second.data["title"]: other_room.id}
    assert [c.data["device_id"] for c in services.grant_grace] == [rooms[second.data["title"]]]
    assert [c.data["device_id"] for c in services.set_supply] == [rooms[first.data["title"]]]


@pytest.mark.parametrize(
    ("on_timeout", "cuts", "graces"), [("cut", 1, 0), ("grace", 0, 1), ("nothing", 0, 0)]
)
async def test_timeout(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    landlord_phone: dr.DeviceEntry,
    services: Services,
    freezer: FrozenDateTimeFactory,
    on_timeout: str,
    cuts: int,
    graces: int,
) -> None:
    """Unanswered: after the timeout the chosen fallback runs and the question is cleared."""
    set_supply_state(hass, room, "cut_off")
    await _ask(
        hass,
        setup_blueprint,
        room,
        landlord_phone,
        on_timeout=on_timeout,
        answer_timeout={"hours": 0, "minutes": 30, "seconds": 0},
    )
    freezer.tick(timedelta(minutes=29))
    async_fire_time_changed(hass)
    await settle(hass)
    assert services.set_supply == services.grant_grace == services.clears() == []

    freezer.tick(timedelta(minutes=1, seconds=1))
    async_fire_time_changed(hass)
    await settle(hass)
    assert len(services.set_supply) == cuts
    assert len(services.grant_grace) == graces
    assert [c.data["data"]["tag"] for c in services.clears()] == [f"prepaid_power_cut_{room.id}"]


async def test_top_up_while_waiting_withdraws_the_question(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    landlord_phone: dr.DeviceEntry,
    services: Services,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A top-up clears the question; nothing is cut, and a late button does nothing."""
    supply = set_supply_state(hass, room, "cut_off")
    await _ask(hass, setup_blueprint, room, landlord_phone, restore_after_top_up=False)
    cut, _ = _action_ids(services)

    hass.states.async_set(supply, "on", hass.states.get(supply).attributes)  # type: ignore[union-attr]
    hass.bus.async_fire("prepaid_power_top_up", room_event(room, amount="50.00"))
    await settle(hass)
    assert len(services.clears()) == 1

    hass.bus.async_fire(ACTION, {"action": cut})
    freezer.tick(timedelta(hours=2))
    async_fire_time_changed(hass)
    await settle(hass)
    assert services.set_supply == services.grant_grace == []


async def test_cut_answer_after_the_room_left_cut_off_does_not_cut(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    landlord_phone: dr.DeviceEntry,
    services: Services,
) -> None:
    """ "Cut now" on a room that is no longer in cut_off (e.g. friendly hours began) is ignored."""
    supply = set_supply_state(hass, room, "cut_off")
    await _ask(hass, setup_blueprint, room, landlord_phone)
    cut, _ = _action_ids(services)

    hass.states.async_set(supply, "friendly_hold", hass.states.get(supply).attributes)  # type: ignore[union-attr]
    hass.bus.async_fire(ACTION, {"action": cut})
    await settle(hass)

    assert services.set_supply == []


async def test_other_rooms_are_not_asked_and_top_up_restores(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    other_room: dr.DeviceEntry,
    landlord_phone: dr.DeviceEntry,
    services: Services,
) -> None:
    """A room not chosen is not asked about; a forced-off chosen room goes back to auto."""
    set_supply_state(hass, room, "forced_off")
    await setup_blueprint(ASK, {"rooms": [room.id], "landlord_device": landlord_phone.id})
    hass.bus.async_fire(DUE, room_event(other_room, reason="cut_off_due"))
    await settle(hass)
    assert services.landlord == []

    hass.bus.async_fire("prepaid_power_top_up", room_event(room, amount="20.00"))
    await settle(hass)
    assert [c.data for c in services.set_supply] == [
        {"device_id": room.id, "state": "auto", "reason": "Topped up"}
    ]


FAULT = "fault_alert.yaml"


async def test_fault_alert_opens_the_room(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    landlord_phone: dr.DeviceEntry,
    services: Services,
) -> None:
    """A relay fault reaches the landlord's phone with links to the room's device page."""
    entity = async_mock_service(hass, "notify", "send_message")
    await setup_blueprint(
        FAULT,
        {
            "landlord_devices": [landlord_phone.id],
            "landlord_notify_entities": ["notify.landlord_email"],
        },
    )

    hass.bus.async_fire(
        "prepaid_power_fault",
        room_event(room, kind="relay_fault", message="Relay of meter 3 did not open after 3 tries"),
    )
    await settle(hass)

    [alert] = services.landlord
    assert alert.data["title"] == "Room 3: relay does not confirm commands"
    assert alert.data["message"] == "Relay of meter 3 did not open after 3 tries"
    page = f"/config/devices/device/{room.id}"
    data = alert.data["data"]
    assert data["clickAction"] == data["url"] == page
    assert data["actions"] == [{"action": "URI", "title": "Open room", "uri": page}]
    assert [c.data["title"] for c in entity] == [alert.data["title"]]


async def test_fault_alert_filters_rooms_and_kinds(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    other_room: dr.DeviceEntry,
    landlord_phone: dr.DeviceEntry,
    services: Services,
) -> None:
    """Only the chosen rooms and kinds alert."""
    await setup_blueprint(
        FAULT,
        {"rooms": [room.id], "kinds": ["meter_offline"], "landlord_devices": [landlord_phone.id]},
    )

    for device, kind in ((other_room, "meter_offline"), (room, "relay_fault")):
        hass.bus.async_fire("prepaid_power_fault", room_event(device, kind=kind, message="x"))
    await settle(hass)
    assert services.landlord == []

    hass.bus.async_fire(
        "prepaid_power_fault", room_event(room, kind="meter_offline", message="No answer")
    )
    await settle(hass)
    assert [c.data["title"] for c in services.landlord] == ["Room 3: meter not answering"]
