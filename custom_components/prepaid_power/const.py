"""Constants for Prepaid Power."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "prepaid_power"
LOGGER = logging.getLogger(__package__)

# Gateway entry data.
CONF_CONNECTION: Final = "connection"
CONNECTION_TCP: Final = "tcp"
CONNECTION_SERIAL: Final = "serial"
CONF_FRAMING: Final = "framing"
FRAMING_TCP: Final = "tcp"
FRAMING_RTU_OVER_TCP: Final = "rtu_over_tcp"
FRAMINGS: Final = (FRAMING_TCP, FRAMING_RTU_OVER_TCP)
CONF_SERIAL_PORT: Final = "serial_port"
CONF_BAUDRATE: Final = "baudrate"
CONF_PARITY: Final = "parity"
CONF_STOPBITS: Final = "stopbits"
CONF_BYTESIZE: Final = "bytesize"
CONF_METERS: Final = "meters"
CONF_SLAVE_ID: Final = "slave_id"
CONF_PROFILE: Final = "profile"
CONF_SERIAL_NUMBER: Final = "serial_number"
# Merged reads a meter refused at the scan: [[function, address, count], ...] (optional).
CONF_REFUSED_READS: Final = "refused_reads"
# Repair issue: a rescan identified a known meter as another model.
ISSUE_MODEL_CHANGE: Final = "meter_model_change"
ISSUE_HOUSE_DIFFERENCE: Final = "house_difference"
CONF_FIRST_ID: Final = "first_id"
CONF_LAST_ID: Final = "last_id"
CONF_ADDON_SLUG: Final = "addon_slug"

# Gateway options.
CONF_POLL_INTERVAL: Final = "poll_interval"
CONF_TIMEOUT_MS: Final = "timeout_ms"
CONF_GAP_MS: Final = "inter_frame_gap_ms"
CONF_ALL_METER_VALUES: Final = "all_meter_values"

DEFAULT_PORT: Final = 502
DEFAULT_BAUDRATE: Final = 9600
BAUDRATES: Final = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
# The parity choices of the form (translation keys) and the letter stored and used by pymodbus.
PARITIES: Final = {"none": "N", "even": "E", "odd": "O"}
DEFAULT_FIRST_ID: Final = 1
DEFAULT_LAST_ID: Final = 32
MAX_SLAVE_ID: Final = 247
DEFAULT_POLL_INTERVAL: Final = 10
DEFAULT_TIMEOUT_MS: Final = 1000
DEFAULT_GAP_MS: Final = 0
DEFAULT_SERIAL_GAP_MS: Final = 30
CONNECT_TIMEOUT: Final = 3.0
# A scan waits longer than the add-on's own per-request timeout would take to answer 0x0B,
# so that one absent id never leaves the gateway busy for the next probe.
SCAN_TIMEOUT_S: Final = 0.6

# Where users put their own meter profiles, relative to the HA config folder.
USER_PROFILES_DIR: Final = "prepaid_power/profiles"
# Events (the contract with blueprints and automations; payloads documented in README).
# Every room event carries: room_id (subentry id), room (name), device_id (room device),
# balance (decimal string), currency.
EVENT_TOP_UP: Final = f"{DOMAIN}_top_up"  # + amount, method, reference
EVENT_BALANCE_LOW: Final = f"{DOMAIN}_balance_low"  # + level, days_left (number or None)
EVENT_SUPPLY_CHANGED: Final = (
    f"{DOMAIN}_supply_changed"  # + old_state, new_state, reason, supply_on, was_on
)
EVENT_CUT_OFF_DUE: Final = f"{DOMAIN}_cut_off_due"  # + reason
EVENT_STATEMENT_READY: Final = f"{DOMAIN}_statement_ready"  # + cycle_start, cycle_end, statement
EVENT_FAULT: Final = f"{DOMAIN}_fault"  # + kind (meter_offline | relay_fault), message
# A day on which the house meter and the meters behind it differ beyond the threshold:
# + entry_id, gateway, meter, day, main_kwh, sub_kwh, difference_kwh, difference_percent.
EVENT_HOUSE_DIFFERENCE: Final = f"{DOMAIN}_house_difference"
EVENT_COMMON_AREA_BOOKED: Final = f"{DOMAIN}_common_area_booked"
# A landlord action on the ledger, for the logbook: + action and its details.
EVENT_LANDLORD_ACTION: Final = f"{DOMAIN}_landlord_action"

ROOM_MODEL: Final = "Room"


def room_identifier(subentry_id: str) -> tuple[str, str]:
    """Device registry identifier of a room device."""
    return (DOMAIN, f"room-{subentry_id}")


# Room subentries.
SUBENTRY_ROOM: Final = "room"
CONF_METER: Final = "meter"
CONF_PRICE: Final = "price"
CONF_CYCLE_START_DAY: Final = "cycle_start_day"
CONF_ALLOWANCE_KWH: Final = "allowance_kwh"
CONF_ALLOWANCE_PRO_RATA: Final = "allowance_pro_rata"
CONF_STANDING_CHARGE: Final = "standing_charge"
CONF_PAUSE_STANDING_WHEN_CUT: Final = "pause_standing_when_cut"
# The room's tax (the billing core's tariff keys): a rate (empty: none), its mode, fees too.
CONF_TAX_RATE: Final = "tax_rate"
CONF_TAX_MODE: Final = "tax_mode"
CONF_TAX_ON_FEES: Final = "tax_on_fees"
CONF_PAYMENT_REFERENCE: Final = "payment_reference"
# The room whose account this room's meter bills to (a shared account; billing/meters.py).
CONF_BILLS_TO: Final = "bills_to"

# The gateway's options: the landlord's bank payee (the EPC QR code of a tenant's transfer).
CONF_PAYEE_NAME: Final = "payee_name"
CONF_PAYEE_IBAN: Final = "payee_iban"
CONF_PAYEE_BIC: Final = "payee_bic"
CONF_SUPPLY: Final = "supply"
CONF_LOW_LEVEL: Final = "low_level"
CONF_WARNING_CUT_LEVEL: Final = "warning_cut_level"
CONF_CREDIT_LIMIT: Final = "credit_limit"
CONF_GRACE_MINUTES: Final = "grace_minutes"
CONF_AUTO_RESTORE_MINIMUM: Final = "auto_restore_minimum"
CONF_EMERGENCY_CREDIT: Final = "emergency_credit"
CONF_POWER_LIMIT_W: Final = "power_limit_w"
CONF_OVERLOAD_SECONDS: Final = "overload_seconds"
CONF_RECLOSE_MINUTES: Final = "reclose_minutes"
CONF_MAX_RECLOSE_ATTEMPTS: Final = "max_reclose_attempts"
CONF_CUT_OFF_MODE: Final = "cut_off_mode"
CUT_OFF_MODES: Final = ("automatic", "automation")
CONF_ACTUATOR: Final = "actuator"
CONF_ACTUATOR_KIND: Final = "actuator_kind"
ACTUATOR_METER_RELAY: Final = "meter_relay"
ACTUATOR_BOARD: Final = "relay_board"
ACTUATOR_SWITCH: Final = "switch"
ACTUATOR_NONE: Final = "none"
ACTUATOR_KINDS: Final = (ACTUATOR_METER_RELAY, ACTUATOR_BOARD, ACTUATOR_SWITCH, ACTUATOR_NONE)
CONF_BOARD: Final = "board"
CONF_CHANNEL: Final = "channel"
CONF_SWITCH_ENTITY: Final = "switch_entity"
CONF_SCHEDULES: Final = "schedules"
CONF_FRIENDLY_HOURS_ENTITY: Final = "friendly_hours_entity"
CONF_SUPPLY_SCHEDULE_ENTITY: Final = "supply_schedule_entity"
# A room added in an occupied building: its tenant, moved in at the reading the form saw.
CONF_OCCUPIED: Final = "occupied"
CONF_TENANT: Final = "tenant"
CONF_OPENING_BALANCE: Final = "opening_balance"
CONF_MOVE_IN: Final = "move_in"
CONF_OPENING_READING: Final = "opening_reading"
# Who may see and operate a room: its tenants among HA's users (none named: every user), and
# whether the tenant portal shows the tenant's name.
CONF_ACCESS: Final = "access"
CONF_TENANT_USERS: Final = "tenant_users"
CONF_PORTAL_SHOWS_TENANT: Final = "portal_shows_tenant"

# The house (main) meter of a gateway: a subentry naming a meter that is no room's, and the
# daily difference (kWh and/or percent of the main meter) above which a repair is raised.
SUBENTRY_HOUSE_METER: Final = "house_meter"
CONF_THRESHOLD_KWH: Final = "threshold_kwh"
CONF_THRESHOLD_PERCENT: Final = "threshold_percent"

# A common-area meter of a gateway (stairs, corridor, laundry): a subentry naming a meter
# that is no room's, its price per kWh, the rooms that share its cost and how.
SUBENTRY_COMMON_METER: Final = "common_meter"
CONF_SHARED_BY: Final = "shared_by"
CONF_SHARE_METHOD: Final = "share_method"

# Where the ledger lives, relative to the HA config folder (inside HA backups, not www/).
LEDGER_DIR: Final = "prepaid_power"
