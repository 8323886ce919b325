"""Sensors: each meter's measurements (from its profile) and bus diagnostics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .bus.client import SlaveStats
from .coordinator import GatewayCoordinator, Meter, PrepaidPowerConfigEntry
from .entity import MeterEntity
from .profiles import Register

# Coordinator-driven: no per-entity polling.
PARALLEL_UPDATES = 0

# Measurement keys that have a translated name; other keys (from users' own profiles) are
# named after the key.
TRANSLATED_KEYS = frozenset(
    {
        "voltage",
        "voltage_l1",
        "voltage_l2",
        "voltage_l3",
        "current",
        "current_l1",
        "current_l2",
        "current_l3",
        "power",
        "power_l1",
        "power_l2",
        "power_l3",
        "power_factor",
        "frequency",
        "energy_import",
        "energy_export",
        "energy_total",
    }
)


@dataclass(frozen=True, kw_only=True)
class MeterDiagnosticDescription(SensorEntityDescription):
    """A bus statistic of one meter."""

    value_fn: Callable[[SlaveStats], int | datetime | None]


DIAGNOSTICS: tuple[MeterDiagnosticDescription, ...] = (
    MeterDiagnosticDescription(
        key="transactions",
        translation_key="transactions",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_registry_enabled_default=False,
        value_fn=lambda stats: stats.transactions,
    ),
    MeterDiagnosticDescription(
        key="timeouts",
        translation_key="timeouts",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_registry_enabled_default=False,
        value_fn=lambda stats: stats.timeouts,
    ),
    MeterDiagnosticDescription(
        key="last_read",
        translation_key="last_read",
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_registry_enabled_default=False,
        value_fn=lambda stats: stats.last_success,
    ),
)


def measurement_description(register: Register) -> SensorEntityDescription:
    """The sensor description of one profile register."""
    device_class = (
        SensorDeviceClass(register.device_class)
        if register.device_class is not None
        and register.device_class in SensorDeviceClass.__members__.values()
        else None
    )
    state_class = (
        SensorStateClass(register.state_class)
        if register.state_class is not None
        and register.state_class in SensorStateClass.__members__.values()
        else None
    )
    translated = register.key in TRANSLATED_KEYS
    return SensorEntityDescription(
        key=register.key,
        translation_key=register.key if translated else None,
        name=None if translated else register.key.replace("_", " ").capitalize(),
        device_class=device_class,
        state_class=state_class,
        native_unit_of_measurement=register.unit,
        entity_registry_enabled_default=register.enabled_by_default,
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrepaidPowerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add every meter's measurement and diagnostic sensors."""
    coordinator = entry.runtime_data.coordinator
    entities: list[SensorEntity] = []
    for meter in entry.runtime_data.meters.values():
        entities.extend(
            MeasurementSensor(coordinator, meter, measurement_description(register))
            for register in meter.profile.registers
        )
        entities.extend(MeterDiagnosticSensor(coordinator, meter, desc) for desc in DIAGNOSTICS)
    async_add_entities(entities)


class MeasurementSensor(MeterEntity, SensorEntity):
    """A value a meter measures."""

    @property
    def native_value(self) -> float | None:
        """The value read in the last cycle (None when unread or implausible)."""
        reading = self.reading
        return None if reading is None else reading.values.get(self.entity_description.key)


class MeterDiagnosticSensor(MeterEntity, SensorEntity):
    """A bus statistic of a meter."""

    entity_description: MeterDiagnosticDescription

    def __init__(
        self,
        coordinator: GatewayCoordinator,
        meter: Meter,
        description: MeterDiagnosticDescription,
    ) -> None:
        """Read statistics from the gateway's bus."""
        super().__init__(coordinator, meter, description)
        self._stats = coordinator.config_entry.runtime_data.bus.stats

    @property
    def available(self) -> bool:
        """Statistics stay meaningful while the meter is silent."""
        return self.coordinator.last_update_success

    @property
    def native_value(self) -> int | datetime | None:
        """The statistic now."""
        return self.entity_description.value_fn(self._stats.slave(self.meter.slave_id))
