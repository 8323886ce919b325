"""Which entities a room has, and which start enabled: a building of hundreds of rooms pays
for every entity in memory, so controls of rules a room does not use are left out and
settings the room's form already holds start disabled."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from prepaid_power_gateway import Gateway

from .test_init import setup_gateway
from .test_supply import room_entry

ALWAYS_ENABLED = (
    "sensor.room_3_balance",
    "sensor.room_3_supply",
    "sensor.room_3_energy_this_cycle",
    "sensor.room_3_cost_this_cycle",
    "sensor.room_3_days_of_credit_left",
    "sensor.room_3_tenancy",
    "binary_sensor.room_3_low_balance",
    "switch.room_3_automatic_supply",
    "switch.room_3_keep_power_on",
)
DISABLED = (
    "number.room_3_low_balance_level",
    "number.room_3_warning_cut_level",
    "number.room_3_credit_limit",
    "number.room_3_emergency_credit",
    "binary_sensor.room_3_relay_fault",
    "sensor.room_3_current_price",
)
RULE_CONTROLS = (
    "sensor.room_3_allowance_left",
    "binary_sensor.room_3_cut_off_due",
    "button.room_3_restore_after_warning",
    "button.room_3_use_emergency_credit",
)


def registered(registry: er.EntityRegistry, entity_id: str) -> er.RegistryEntry | None:
    """The registry entry of an entity id, if any."""
    return registry.async_get(entity_id)


async def test_room_entities_follow_the_rooms_rules(
    hass: HomeAssistant, simulated_gateway: Gateway, entity_registry: er.EntityRegistry
) -> None:
    """A plain room: no free energy left (no allowance), no cut-off-due sensor (the policy
    cuts), no warning-cut or emergency credit buttons; thresholds, relay fault and price
    start disabled. Turning the rules on
    in the room's settings adds their controls; turning them off removes them again."""
    hass.config.currency = "CNY"
    entry = room_entry(simulated_gateway.port)
    await setup_gateway(hass, entry)

    for entity_id in ALWAYS_ENABLED:
        entity = registered(entity_registry, entity_id)
        assert entity is not None, entity_id
        assert entity.disabled_by is None, entity_id
    for entity_id in DISABLED:
        entity = registered(entity_registry, entity_id)
        assert entity is not None, entity_id
        assert entity.disabled_by is er.RegistryEntryDisabler.INTEGRATION, entity_id
    for entity_id in RULE_CONTROLS:
        assert registered(entity_registry, entity_id) is None, entity_id

    (subentry,) = entry.subentries.values()
    plain = dict(subentry.data)
    rules = {
        **plain,
        "allowance_kwh": "10",
        "supply": {
            **plain["supply"],
            "warning_cut_level": "0.50",
            "emergency_credit": "2.00",
            "cut_off_mode": "automation",
        },
    }
    hass.config_entries.async_update_subentry(entry, subentry, data=rules)
    await hass.async_block_till_done()
    for entity_id in RULE_CONTROLS:
        entity = registered(entity_registry, entity_id)
        assert entity is not None, entity_id
        assert entity.disabled_by is None, entity_id
        assert hass.states.get(entity_id) is not None, entity_id

    hass.config_entries.async_update_subentry(entry, subentry, data=plain)
    await hass.async_block_till_done()
    for entity_id in RULE_CONTROLS:
        assert registered(entity_registry, entity_id) is None, entity_id
        assert hass.states.get(entity_id) is None, entity_id
    assert hass.states.get("sensor.room_3_balance") is not None
