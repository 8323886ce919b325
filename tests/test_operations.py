"""The operations layer: each operation's permission rule, checked before anything else, and
the one mapping of the core's refusals to translated errors."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from homeassistant.auth.models import User
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.prepaid_power import operations as op
from custom_components.prepaid_power.access import LandlordOnly
from custom_components.prepaid_power.billing.core import TopUp
from custom_components.prepaid_power.billing.errors import BillingError
from custom_components.prepaid_power.control import SupplyCommand, SupplyOperationError
from custom_components.prepaid_power.services import ACTIONS
from custom_components.prepaid_power.settings import SettingsError
from prepaid_power_gateway import Gateway

from .test_rooms import ledger_entries, make_room, room_device_id

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

TENANT_SAFE = {"restore_after_warning", "use_emergency_credit"}
# Every operation with the arguments after (hass, caller) for a room that does not exist.
NOWHERE = "no-such-device"
CALLS: dict[str, tuple[Any, ...]] = {
    "move_in": (NOWHERE, "Mallory"),
    "move_out": (NOWHERE,),
    "top_up": (NOWHERE, "10"),
    "reverse_top_up": (NOWHERE, 1),
    "refund": (NOWHERE, "1"),
    "adjust": (NOWHERE, "1"),
    "pay_debt": (NOWHERE, "1"),
    "set_debt_plan": (NOWHERE,),
    "import_bank_statement": (),
    "rotate_portal_link": ("room",),
    "revoke_portal_link": ("room",),
    "create_kiosk_link": (["room"], "Corridor"),
    "revoke_kiosk_link": ("kiosk",),
    "set_tariff": (NOWHERE, {"kind": "flat", "price": "1"}),
    "preset_vacant_energy": (NOWHERE, "1"),
    "statement": (NOWHERE,),
    "export_ledger": (),
    "dashboard_yaml": (),
    "create_dashboards": (),
    "set_supply": (NOWHERE, SupplyCommand.OFF),
    "set_protected": (NOWHERE, True),
    "set_automatic_supply": (NOWHERE, False),
    "grant_grace": (NOWHERE, timedelta(hours=1)),
    "set_threshold": (NOWHERE, "low_level", 5.0),
    "restore_after_warning": (NOWHERE,),
    "use_emergency_credit": (NOWHERE,),
    "scan_for_meters": (None,),
    "resolve_suspect": (None, "room", 1),
}
KEYWORDS: dict[str, dict[str, Any]] = {
    "adjust": {"reason": "x"},
    "import_bank_statement": {"csv": "date,amount,reference\n"},
    "dashboard_yaml": {"kind": "both", "dashboard_path": "p"},
    "resolve_suspect": {"charge": True},
}


def test_every_operation_has_a_permission_rule() -> None:
    """The landlord's and the tenant's operations are all declared, with their rule; every
    action is one of them (or a landlord's)."""
    assert set(op.PERMISSIONS) == set(CALLS)
    assert {name for name, rule in op.PERMISSIONS.items() if rule == op.TENANT} == TENANT_SAFE
    for action in ACTIONS:
        assert op.PERMISSIONS.get(action.name, op.LANDLORD) == op.LANDLORD


async def _call(hass: HomeAssistant, name: str, caller: op.Caller) -> BaseException:
    operation = getattr(op, name)
    with pytest.raises((LandlordOnly, ServiceValidationError)) as err:
        await operation(hass, caller, *CALLS[name], **KEYWORDS.get(name, {}))
    return err.value


async def test_landlord_operations_refuse_tenants_before_looking_anything_up(
    hass: HomeAssistant, tenant_user: User, hass_admin_user: User
) -> None:
    """A non-admin user and a caller without an HA account are refused every landlord
    operation with `landlord_only`, before the (unknown) room is looked up; the tenant-safe
    ones let them through to the look-up (which then refuses the unknown room)."""
    tenant = op.Caller.of(Context(user_id=tenant_user.id))
    portal = op.Caller.without_account("portal-token-1")
    admin = op.Caller.of(Context(user_id=hass_admin_user.id))
    assert portal.who == "portal-token-1"
    for name, rule in op.PERMISSIONS.items():
        for caller in (tenant, portal):
            refusal = await _call(hass, name, caller)
            if rule == op.LANDLORD:
                assert isinstance(refusal, LandlordOnly), name
                assert refusal.translation_key == "landlord_only"
            else:
                assert not isinstance(refusal, LandlordOnly), name
                assert refusal.translation_key == "unknown_room_device", name
        if CALLS[name][:1] == (NOWHERE,):
            # The landlord gets past the rule to the room look-up.
            refusal = await _call(hass, name, admin)
            assert refusal.translation_key == "unknown_room_device", name


@pytest.mark.parametrize(
    ("error", "key", "placeholders"),
    [
        (
            BillingError("amount_not_positive", {"value": "-1", "room": "r1"}),
            "amount_not_positive",
            {"value": "-1", "room": "Room 1"},
        ),
        (SupplyOperationError("not_in_warning_cut"), "not_in_warning_cut", {"room": "Room 1"}),
        (
            SettingsError("invalid_threshold", {"error": "too low"}),
            "invalid_threshold",
            {"error": "too low", "room": "Room 1"},
        ),
    ],
)
def test_core_refusals_become_translated_errors_naming_the_room(
    error: Exception, key: str, placeholders: dict[str, str]
) -> None:
    with pytest.raises(ServiceValidationError) as raised, op.refusals("Room 1"):
        raise error
    assert raised.value.translation_domain == "prepaid_power"
    assert raised.value.translation_key == key
    assert raised.value.translation_placeholders == placeholders
    assert raised.value.__cause__ is error


def test_other_errors_pass_through_refusals() -> None:
    with pytest.raises(KeyError), op.refusals("Room 1"):
        raise KeyError("a bug, not a refusal")


async def test_an_operation_returns_typed_results_and_refuses_with_the_room_named(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_admin_user: User
) -> None:
    """Called directly (as the console will): a top-up returns the core's typed value, and
    a refused one names the room and writes nothing."""
    entry: MockConfigEntry = await make_room(hass, simulated_gateway)
    device_id = room_device_id(hass, entry)
    landlord = op.Caller.of(Context(user_id=hass_admin_user.id))
    paid = await op.top_up(hass, landlord, device_id, Decimal("5.50"), reference="OP-1")
    assert isinstance(paid, TopUp)
    assert paid.created
    assert paid.entry.amount == Decimal("5.50")
    assert paid.entry.who == hass_admin_user.id
    before = await ledger_entries(entry)
    with pytest.raises(ServiceValidationError) as err:
        await op.top_up(hass, landlord, device_id, "-1")
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["room"] == "Room 1"
    assert await ledger_entries(entry) == before
