"""Sensors: each meter's measurements (from its profile) and bus diagnostics."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, Platform, UnitOfEnergy, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .billing.house import HouseDay
from .billing.statement import LandlordTotals
from .bus.client import SlaveStats
from .bus.records import RELAY_ACTION_OTHER, RELAY_ACTIONS, MeterRecord
from .common_area import CommonMeter
from .control import SupplyState
from .coordinator import GatewayCoordinator, Meter, PrepaidPowerConfigEntry
from .entity import (
    GatewayEntity,
    MeterEntity,
    RoomEntity,
    RoomEntityDescription,
    async_add_room_entities,
    async_remove_stale_entities,
    meter_unique_id,
    offered_registers,
    offers_all_meter_values,
)
from .house import HouseMeter, day_attributes
from .profiles import RecordKind, Register
from .rooms import Room, RoomState

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


@dataclass(frozen=True, kw_only=True)
class MeterLogDescription(SensorEntityDescription):
    """The newest record of one of a prepaid meter's own logs."""

    kind: RecordKind
    value_fn: Callable[[MeterRecord], StateType | Decimal]


METER_LOG_SENSORS: tuple[MeterLogDescription, ...] = (
    MeterLogDescription(
        key="last_recharge",
        translation_key="last_recharge",
        kind=RecordKind.RECHARGE,
        entity_category=EntityCategory.DIAGNOSTIC,
        # In the meter's own currency setting, which the meter does not tell: no unit.
        value_fn=lambda record: record.amount,
    ),
    MeterLogDescription(
        key="last_relay_action",
        translation_key="last_relay_action",
        kind=RecordKind.RELAY,
        device_class=SensorDeviceClass.ENUM,
        options=[*RELAY_ACTIONS.values(), RELAY_ACTION_OTHER],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda record: record.action,
    ),
)


@dataclass(frozen=True, kw_only=True)
class RoomSensorDescription(RoomEntityDescription, SensorEntityDescription):
    """A value shown on a room's device."""

    value_fn: Callable[[RoomState], StateType | Decimal]
    attributes_fn: Callable[[RoomState], Mapping[str, Any]] | None = None
    money: bool = False
    per_kwh: bool = False


def _live_balance(state: RoomState) -> Decimal | None:
    return state.summary.live_balance


def _supply_attributes(state: RoomState) -> Mapping[str, Any]:
    """Why the supply is in its state: the policy's reason and the landlord's own words."""
    decision = state.decision
    if decision is None:
        return {}
    return {"reason": decision.reason.value, "detail": decision.detail}


ROOM_SENSORS: tuple[RoomSensorDescription, ...] = (
    RoomSensorDescription(
        key="balance",
        translation_key="balance",
        device_class=SensorDeviceClass.MONETARY,
        money=True,
        value_fn=_live_balance,
    ),
    RoomSensorDescription(
        key="energy_this_cycle",
        translation_key="energy_this_cycle",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda state: state.summary.energy_this_cycle_kwh,
    ),
    RoomSensorDescription(
        key="cost_this_cycle",
        translation_key="cost_this_cycle",
        device_class=SensorDeviceClass.MONETARY,
        money=True,
        value_fn=lambda state: state.summary.cost_this_cycle,
    ),
    RoomSensorDescription(
        key="allowance_left",
        translation_key="allowance_left",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda state: state.summary.allowance_left_kwh,
        exists_fn=lambda room, _control: room.has_allowance,
    ),
    RoomSensorDescription(
        key="current_price",
        translation_key="current_price",
        # A flat price is the room's setting; worth enabling for time-of-use or tiers.
        entity_registry_enabled_default=False,
        per_kwh=True,
        suggested_display_precision=4,
        value_fn=lambda state: state.summary.current_price,
    ),
    RoomSensorDescription(
        key="days_of_credit_left",
        translation_key="days_of_credit_left",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.DAYS,
        suggested_display_precision=1,
        value_fn=lambda state: state.summary.days_of_credit_left,
    ),
    RoomSensorDescription(
        key="plan_debt",
        translation_key="plan_debt",
        device_class=SensorDeviceClass.MONETARY,
        money=True,
        value_fn=lambda state: state.summary.plan_debt,
    ),
    RoomSensorDescription(
        key="plan_debt_recovered_this_cycle",
        translation_key="plan_debt_recovered_this_cycle",
        device_class=SensorDeviceClass.MONETARY,
        money=True,
        # The plan's progress; the debt still owed is the figure to watch.
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.summary.plan_debt_recovered_this_cycle,
    ),
    RoomSensorDescription(
        key="supply_state",
        translation_key="supply_state",
        device_class=SensorDeviceClass.ENUM,
        # The blueprints find this sensor by its options (they include "friendly_hold").
        options=[state.value for state in SupplyState],
        value_fn=lambda state: None if state.decision is None else state.decision.state.value,
        attributes_fn=_supply_attributes,
    ),
    RoomSensorDescription(
        key="tenancy",
        translation_key="tenancy",
        device_class=SensorDeviceClass.ENUM,
        options=["occupied", "vacant"],
        value_fn=lambda state: "vacant" if state.vacant else "occupied",
    ),
)


@dataclass(frozen=True, kw_only=True)
class TotalSensorDescription(SensorEntityDescription):
    """A landlord total on the gateway device."""

    value_fn: Callable[[LandlordTotals], Decimal]


GATEWAY_TOTALS: tuple[TotalSensorDescription, ...] = (
    TotalSensorDescription(
        key="income_this_cycle",
        translation_key="income_this_cycle",
        device_class=SensorDeviceClass.MONETARY,
        value_fn=lambda totals: totals.income,
    ),
    TotalSensorDescription(
        key="outstanding_debt",
        translation_key="outstanding_debt",
        device_class=SensorDeviceClass.MONETARY,
        value_fn=lambda totals: totals.outstanding_debt,
    ),
    TotalSensorDescription(
        key="debt_of_former_tenants",
        translation_key="debt_of_former_tenants",
        device_class=SensorDeviceClass.MONETARY,
        value_fn=lambda totals: totals.debt_owed_after_move_out,
    ),
)


@dataclass(frozen=True, kw_only=True)
class HouseSensorDescription(SensorEntityDescription):
    """Today's or yesterday's difference between the house meter and the meters behind it."""

    yesterday: bool
    value_fn: Callable[[HouseDay], Decimal | None]


HOUSE_SENSORS: tuple[HouseSensorDescription, ...] = tuple(
    HouseSensorDescription(
        key=f"house_difference_{day}{suffix}",
        translation_key=f"house_difference_{day}{suffix}",
        native_unit_of_measurement=unit,
        suggested_display_precision=precision,
        yesterday=day == "yesterday",
        value_fn=value_fn,
    )
    for day in ("today", "yesterday")
    for suffix, unit, precision, value_fn in (
        ("", UnitOfEnergy.KILO_WATT_HOUR, 3, lambda d: d.difference_kwh),
        ("_percent", PERCENTAGE, 1, lambda d: d.difference_percent),
    )
)


@dataclass(frozen=True, kw_only=True)
class CommonSensorDescription(SensorEntityDescription):
    """A common meter's energy today, or its last booked day's cost or landlord's share."""

    money: bool = False
    value_fn: Callable[[CommonMeter], Decimal | None]


def _today_kwh(meter: CommonMeter) -> Decimal | None:
    today = meter.today
    return None if today is None else today.main_kwh


COMMON_SENSORS: tuple[CommonSensorDescription, ...] = (
    CommonSensorDescription(
        key="common_area_energy_today",
        translation_key="common_area_energy_today",
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=3,
        value_fn=_today_kwh,
    ),
    CommonSensorDescription(
        key="common_area_cost_last_day",
        translation_key="common_area_cost_last_day",
        device_class=SensorDeviceClass.MONETARY,
        money=True,
        value_fn=lambda meter: None if meter.last is None else meter.last.day.cost,
    ),
    CommonSensorDescription(
        key="common_area_landlord_share_last_day",
        translation_key="common_area_landlord_share_last_day",
        device_class=SensorDeviceClass.MONETARY,
        money=True,
        value_fn=lambda meter: None if meter.last is None else meter.last.day.landlord_share,
    ),
)


# Float registers carry binary noise below any meter's resolution (91.2841873168945 kWh):
# shown to what the meters measure, energy to the 1 Wh billing keeps.
FLOAT_PRECISION: Mapping[str | None, int] = {
    UnitOfEnergy.KILO_WATT_HOUR: 3,
    "kW": 3,
    "W": 0,
    "V": 1,
    "A": 2,
    "Hz": 2,
    None: 3,  # power factor and unit-less values
}


def display_precision(register: Register) -> int:
    """Decimals worth showing: an integer register's scale (x0.01: 2), else by unit."""
    resolution = register.resolution
    if resolution is None:
        return FLOAT_PRECISION.get(register.unit, 2)
    exponent = Decimal(str(resolution)).normalize().as_tuple().exponent
    return max(-exponent, 0) if isinstance(exponent, int) else 0


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
        suggested_display_precision=display_precision(register),
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
    stale: list[str] = []
    diagnostics = DIAGNOSTICS if offers_all_meter_values(entry) else ()
    for meter in entry.runtime_data.meters.values():
        offered = offered_registers(entry, meter.profile)
        entities.extend(
            MeasurementSensor(coordinator, meter, measurement_description(register))
            for register in offered
        )
        entities.extend(MeterDiagnosticSensor(coordinator, meter, desc) for desc in diagnostics)
        if meter.profile.records:
            entities.extend(MeterLogSensor(coordinator, meter, d) for d in METER_LOG_SENSORS)
        every = {r.key for r in meter.profile.registers} | {d.key for d in DIAGNOSTICS}
        shown = {r.key for r in offered} | {d.key for d in diagnostics}
        stale.extend(meter_unique_id(entry, meter.slave_id, key) for key in every - shown)
    async_remove_stale_entities(hass, Platform.SENSOR, stale)
    currency = entry.runtime_data.rooms.currency
    entities.extend(
        GatewayTotalSensor(coordinator, description, currency.code)
        for description in GATEWAY_TOTALS
    )
    house = entry.runtime_data.house
    if house is not None:
        main = entry.runtime_data.meters[house.main]
        entities.extend(HouseSensor(coordinator, main, house, d) for d in HOUSE_SENSORS)
    if (common := entry.runtime_data.common) is not None:
        for common_meter in common.meters.values():
            meter = entry.runtime_data.meters[common_meter.slave]
            entities.extend(
                CommonAreaSensor(coordinator, meter, common_meter, d, currency.code)
                for d in COMMON_SENSORS
            )
    async_add_entities(entities)
    async_add_room_entities(
        hass,
        entry,
        async_add_entities,
        Platform.SENSOR,
        entity_class=RoomSensor,
        descriptions=ROOM_SENSORS,
    )


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


class MeterLogSensor(MeterEntity, SensorEntity):
    """A prepaid meter's newest recharge or relay record, as the meter logged it."""

    entity_description: MeterLogDescription

    @property
    def _record(self) -> MeterRecord | None:
        logs = self.coordinator.config_entry.runtime_data.logs
        if logs is None:
            return None
        return logs.latest(self.meter.slave_id, self.entity_description.kind)

    @property
    def native_value(self) -> StateType | Decimal:
        """The record's amount or action (None before a record was read)."""
        record = self._record
        return None if record is None else self.entity_description.value_fn(record)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """When the meter logged it (the meter's own clock, no time zone) and the raw word."""
        record = self._record
        if record is None:
            return None
        attributes: dict[str, Any] = {"meter_time": record.at.isoformat()}
        if record.raw is not None:
            attributes["raw"] = f"0x{record.raw:04X}"
        return attributes


class RoomSensor(RoomEntity, SensorEntity):
    """A room's balance, usage, price or tenancy."""

    entity_description: RoomSensorDescription

    def __init__(
        self, coordinator: GatewayCoordinator, room: Room, description: RoomSensorDescription
    ) -> None:
        """Money is in HA's currency, to the currency's minor unit."""
        super().__init__(coordinator, room, description)
        currency = coordinator.rooms.currency
        if description.money:
            self._attr_native_unit_of_measurement = currency.code
            self._attr_suggested_display_precision = currency.exponent
        elif description.per_kwh:
            self._attr_native_unit_of_measurement = f"{currency.code}/{UnitOfEnergy.KILO_WATT_HOUR}"

    @property
    def native_value(self) -> StateType | Decimal:
        """The value after the last poll cycle."""
        state = self.room_state
        return None if state is None else self.entity_description.value_fn(state)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Details some values carry (the supply state's reason)."""
        state = self.room_state
        attributes_fn = self.entity_description.attributes_fn
        return None if state is None or attributes_fn is None else attributes_fn(state)


class GatewayTotalSensor(GatewayEntity, SensorEntity):
    """Income this cycle or outstanding debt over the gateway's rooms."""

    entity_description: TotalSensorDescription

    def __init__(
        self, coordinator: GatewayCoordinator, description: TotalSensorDescription, currency: str
    ) -> None:
        """Money in HA's currency."""
        super().__init__(coordinator, description)
        self._attr_native_unit_of_measurement = currency

    @property
    def native_value(self) -> Decimal | None:
        """The total as last computed."""
        totals = self.coordinator.data.totals
        return None if totals is None else self.entity_description.value_fn(totals)


class HouseSensor(MeterEntity, SensorEntity):
    """On the house meter's device: main - Σ the meters behind it, today or yesterday;
    unknown for a day that could not be judged (its attributes name the meters not read)."""

    entity_description: HouseSensorDescription

    def __init__(
        self,
        coordinator: GatewayCoordinator,
        meter: Meter,
        house: HouseMeter,
        description: HouseSensorDescription,
    ) -> None:
        """Read the house meter's daily balance."""
        super().__init__(coordinator, meter, description)
        self._house = house

    def _day(self) -> HouseDay | None:
        balance = self._house.balance
        return balance.yesterday if self.entity_description.yesterday else balance.today

    @property
    def available(self) -> bool:
        """A day's figure stays meaningful while a meter is silent (it is then unknown)."""
        return self.coordinator.last_update_success

    @property
    def native_value(self) -> Decimal | None:
        """The difference, None when the day is not judged."""
        day = self._day()
        return None if day is None else self.entity_description.value_fn(day)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """The day, whether it was judged and which meters were not read."""
        return day_attributes(self._day())


class CommonAreaSensor(MeterEntity, SensorEntity):
    """On a common meter's device: its energy today, or its last booked day's cost and the
    landlord's share of it (the day, method and each room's share as attributes)."""

    entity_description: CommonSensorDescription

    def __init__(
        self,
        coordinator: GatewayCoordinator,
        meter: Meter,
        common: CommonMeter,
        description: CommonSensorDescription,
        currency: str,
    ) -> None:
        """Money in HA's currency."""
        super().__init__(coordinator, meter, description)
        self._common = common
        if description.money:
            self._attr_native_unit_of_measurement = currency

    @property
    def available(self) -> bool:
        """The last booked day stays meaningful while the meter is silent."""
        return self.coordinator.last_update_success

    @property
    def native_value(self) -> Decimal | None:
        """The figure (None before a day was booked or measured)."""
        return self.entity_description.value_fn(self._common)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The booked day's figures and each room's share."""
        last = self._common.last
        if not self.entity_description.money or last is None:
            return None
        return {
            "day": last.day.day.isoformat(),
            "kwh": float(last.day.kwh),
            "method": last.day.method,
            "shares": {room: float(amount) for room, amount in last.rooms},
        }
