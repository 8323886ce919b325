"""Billing errors carrying a translation key, so the HA layer can show a translated message."""

from __future__ import annotations

from collections.abc import Mapping

# Amount / price / reading validation
AMOUNT_INVALID = "amount_invalid"
AMOUNT_NOT_FINITE = "amount_not_finite"
AMOUNT_NOT_POSITIVE = "amount_not_positive"
AMOUNT_NEGATIVE = "amount_negative"
AMOUNT_TOO_LARGE = "amount_too_large"
AMOUNT_TOO_MANY_DECIMALS = "amount_too_many_decimals"
PRICE_INVALID = "price_invalid"
PRICE_TOO_MANY_DECIMALS = "price_too_many_decimals"
READING_INVALID = "reading_invalid"
READING_IMPLAUSIBLE = "reading_implausible"
# Ledger rules
UNKNOWN_ROOM = "unknown_room"
ROOM_HAS_NO_TENANCY = "room_has_no_tenancy"
ROOM_OCCUPIED = "room_occupied"
UNKNOWN_TENANCY = "unknown_tenancy"
UNKNOWN_ENTRY = "unknown_entry"
CYCLE_NOT_STARTED = "cycle_not_started"
NOT_A_TOP_UP = "not_a_top_up"
TOP_UP_ALREADY_REVERSED = "top_up_already_reversed"
TOP_UP_REFERENCE_CONFLICT = "top_up_reference_conflict"
PAYMENT_METHOD_INVALID = "payment_method_invalid"
REFUND_EXCEEDS_BALANCE = "refund_exceeds_balance"
ADJUSTMENT_EXCEEDS_BALANCE = "adjustment_exceeds_balance"
FEE_EXCEEDS_BALANCE = "fee_exceeds_balance"
NO_DEBT_OWED = "no_debt_owed"
PAYMENT_EXCEEDS_DEBT = "payment_exceeds_debt"
DEBT_PLAN_PERCENT_INVALID = "debt_plan_percent_invalid"
DEBT_PLAN_EVERY_INVALID = "debt_plan_every_invalid"
DEBT_PLAN_NO_DEBT = "debt_plan_no_debt"
# Bank statements
BANK_FORMAT_INVALID = "bank_format_invalid"
BANK_COLUMN_UNKNOWN = "bank_column_unknown"
BANK_STATEMENT_UNREADABLE = "bank_statement_unreadable"
REASON_REQUIRED = "reason_required"
REASON_RESERVED = "reason_reserved"
EMERGENCY_CREDIT_OUTSTANDING = "emergency_credit_outstanding"
TIME_BEFORE_LAST_BILLING = "time_before_last_billing"
UNKNOWN_SUSPECT = "unknown_suspect"
SUSPECT_ALREADY_RESOLVED = "suspect_already_resolved"
# Tariffs and cycles
TARIFF_INVALID = "tariff_invalid"
TARIFF_TOO_MANY_INTERVALS = "tariff_too_many_intervals"
TARIFF_INTERVAL_OVERLAP = "tariff_interval_overlap"
TARIFF_INTERVAL_GAP = "tariff_interval_gap"
TARIFF_UNKNOWN_PERIOD = "tariff_unknown_period"
TARIFF_UNKNOWN_KEY = "tariff_unknown_key"
TARIFF_TIERS_INVALID = "tariff_tiers_invalid"
TARIFF_RETROACTIVE = "tariff_retroactive"
ROOM_HAS_NO_TARIFF = "room_has_no_tariff"
CYCLE_START_DAY_INVALID = "cycle_start_day_invalid"
CYCLE_START_DAY_LOCKED = "cycle_start_day_locked"
# Shared accounts
BILLS_TO_ITSELF = "bills_to_itself"
BILLS_TO_UNKNOWN_ROOM = "bills_to_unknown_room"
BILLS_TO_CHAIN = "bills_to_chain"
BILLS_TO_OCCUPIED = "bills_to_occupied"
ROOM_BILLS_TO_OTHER = "room_bills_to_other"
# Storage
LEDGER_INCONSISTENT = "ledger_inconsistent"
LEDGER_CORRUPT = "ledger_corrupt"
SCHEMA_TOO_NEW = "schema_too_new"
CURRENCY_MISMATCH = "currency_mismatch"

ERROR_KEYS: frozenset[str] = frozenset(
    value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
)


class BillingError(Exception):
    """A billing rule refused an operation; nothing was written."""

    def __init__(self, key: str, placeholders: Mapping[str, str] | None = None) -> None:
        self.key = key
        self.placeholders: dict[str, str] = dict(placeholders or {})
        detail = ", ".join(f"{k}={v}" for k, v in self.placeholders.items())
        super().__init__(f"{key}({detail})" if detail else key)
