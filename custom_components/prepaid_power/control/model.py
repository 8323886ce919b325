"""Value types of the supply policy: settings, inputs, memory, decisions and events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, cast


class SupplyState(StrEnum):
    """What a room's supply is, and the rule that made it so (precedence order)."""

    FAULT = "fault"
    PROTECTED = "protected"
    FORCED_OFF = "forced_off"
    OVERLOAD = "overload"
    SCHEDULED_OFF = "scheduled_off"
    CUT_OFF = "cut_off"
    FRIENDLY_HOLD = "friendly_hold"
    WARNING_CUT = "warning_cut"
    LOW = "low"
    ON = "on"


PRECEDENCE: tuple[SupplyState, ...] = tuple(SupplyState)
"""First match wins: the enum is declared in the contract's precedence order."""


class CutOffMode(StrEnum):
    """Who opens the relay when the balance is exhausted."""

    AUTOMATIC = "automatic"
    AUTOMATION = "automation"


class RelayTarget(StrEnum):
    """What the policy wants from the actuator."""

    CLOSED = "closed"
    OPEN = "open"
    # Leave the actuator as it is and do not correct it: used when nothing can be done
    # (fault) and when an automation owns the cut (cut-off mode `automation`).
    HOLD = "hold"


class SupplyCommand(StrEnum):
    """The landlord's `set_supply` choices."""

    ON = "on"
    OFF = "off"
    AUTO = "auto"


class Reason(StrEnum):
    """Stable machine strings explaining a decision; translation keys for the UI."""

    ACTUATOR_FAULT = "actuator_fault"
    PROTECTED = "protected"
    FORCED_OFF = "forced_off"
    OVERLOAD_TRIPPED = "overload_tripped"
    OVERLOAD_LOCKED = "overload_locked"
    SCHEDULE_OFF = "schedule_off"
    BALANCE_EXHAUSTED = "balance_exhausted"
    CUT_OFF_DUE = "cut_off_due"
    FRIENDLY_HOURS = "friendly_hours"
    WARNING_LEVEL_CROSSED = "warning_level_crossed"
    WARNING_CUT_DEFERRED = "warning_cut_deferred"
    GRACE_PERIOD = "grace_period"
    BALANCE_LOW = "balance_low"
    BALANCE_OK = "balance_ok"
    # A room without a tenancy: off, or on while the landlord-paid preset lasts.
    VACANT = "vacant"
    VACANT_PRESET = "vacant_preset"


class EventKind(StrEnum):
    """Event names without the domain prefix (HA fires `prepaid_power_<kind>`)."""

    SUPPLY_CHANGED = "supply_changed"
    BALANCE_LOW = "balance_low"
    WARNING_CUT = "warning_cut"
    CUT_OFF_DUE = "cut_off_due"
    OVERLOAD_TRIP = "overload_trip"
    OVERLOAD_RECLOSE = "overload_reclose"
    RELAY_CONFIRMED = "relay_confirmed"
    RELAY_CORRECTED = "relay_corrected"
    RELAY_FAULT = "relay_fault"
    RELAY_RECOVERED = "relay_recovered"


type EventValue = str | int | float | bool | Decimal | None


@dataclass(frozen=True, slots=True)
class SupplyEvent:
    """One event for the HA layer to fire; `data` holds Decimal money (convert for JSON)."""

    kind: EventKind
    data: Mapping[str, EventValue]

    def __post_init__(self) -> None:
        """Held by frozen decisions: the data is read-only too."""
        if not isinstance(self.data, MappingProxyType):
            object.__setattr__(self, "data", MappingProxyType(dict(self.data)))


class SupplyOperationError(Exception):
    """A tenant or landlord operation that the current state does not allow."""

    def __init__(self, reason: str) -> None:
        """Carry a stable reason, used as the translation key of the HA error."""
        super().__init__(reason)
        self.reason = reason


class SupplySettingsError(ValueError):
    """Settings the policy cannot work with; `key` names the rule broken (a translation key
    of the room form's errors)."""

    def __init__(self, key: str, message: str) -> None:
        """Carry the rule's key and a message for logs."""
        super().__init__(message)
        self.key = key


LEVEL_BELOW_CUT_OFF = "level_below_cut_off"
# The low-balance level of a room that sets none, in the room's currency.
DEFAULT_LOW_LEVEL = Decimal(10)


def require_aware(moment: datetime, name: str = "now") -> None:
    """Refuse naive datetimes: every rule here is about instants, not wall clocks."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = f"{name} must be timezone-aware"
        raise ValueError(msg)


_MONEY_FIELDS = (
    "low_level",
    "warning_cut_level",
    "credit_limit",
    "auto_restore_minimum",
    "emergency_credit_amount",
)


@dataclass(frozen=True, slots=True)
class SupplySettings:
    """A room's supply policy; its defaults are a room's (see the HA side's `settings`).

    Levels are balances (money) at or below which the rule applies; `None` disables it.
    """

    low_level: Decimal | None = DEFAULT_LOW_LEVEL
    warning_cut_level: Decimal | None = None
    credit_limit: Decimal = Decimal("0.00")
    grace_period: timedelta = timedelta(0)
    auto_restore_minimum: Decimal = Decimal("0.00")
    emergency_credit_amount: Decimal = Decimal("0.00")
    power_limit_w: float | None = None
    overload_duration: timedelta = timedelta(seconds=10)
    reclose_delay: timedelta = timedelta(minutes=1)
    max_reclose_attempts: int = 3
    # Trips further apart than this are separate incidents, not a pattern to lock out.
    overload_reset_after: timedelta = timedelta(hours=1)
    cut_off_mode: CutOffMode = CutOffMode.AUTOMATIC

    def __post_init__(self) -> None:
        """Check types and ranges once, so the policy can trust its settings."""
        for name in _MONEY_FIELDS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, Decimal):
                msg = f"{name} must be a Decimal, got {type(value).__name__}"
                raise TypeError(msg)
        if self.credit_limit < 0:
            msg = "credit_limit must not be negative"
            raise ValueError(msg)
        if self.auto_restore_minimum < 0 or self.emergency_credit_amount < 0:
            msg = "auto_restore_minimum and emergency_credit_amount must not be negative"
            raise ValueError(msg)
        for name in ("low_level", "warning_cut_level"):
            level = getattr(self, name)
            if level is not None and level <= self.cut_off_level:
                msg = f"{name} must be above the cut-off level {self.cut_off_level}"
                raise SupplySettingsError(LEVEL_BELOW_CUT_OFF, msg)
        if min(self.grace_period, self.overload_duration, self.reclose_delay) < timedelta(0):
            msg = "durations must not be negative"
            raise ValueError(msg)
        if self.max_reclose_attempts < 0:
            msg = "max_reclose_attempts must not be negative"
            raise ValueError(msg)
        if self.power_limit_w is not None and self.power_limit_w <= 0:
            msg = "power_limit_w must be positive"
            raise ValueError(msg)
        # Options stored by a config flow hold plain strings.
        object.__setattr__(self, "cut_off_mode", CutOffMode(cast(str, self.cut_off_mode)))

    @property
    def cut_off_level(self) -> Decimal:
        """The balance at or below which the supply is cut: 0 - credit limit."""
        return -self.credit_limit

    def with_overrides(self, overrides: Mapping[str, Any]) -> SupplySettings:
        """A room's settings: these (entry-level) defaults with the room's own values."""
        unknown = set(overrides) - {f.name for f in fields(self)}
        if unknown:
            msg = f"unknown supply settings: {', '.join(sorted(unknown))}"
            raise ValueError(msg)
        return replace(self, **overrides)


@dataclass(frozen=True, slots=True)
class SupplyInputs:
    """What the HA layer observed about a room at `now`."""

    now: datetime
    balance: Decimal
    # Computed by the HA layer from a schedule helper and/or a workday-style binary sensor,
    # or by `friendly_hours_status` for rooms configured without a helper.
    friendly_hours: bool = False
    # The room's supply schedule helper: True on, False off, None when the room has none.
    schedule_on: bool | None = None
    # The relay confirmation machine gave up (RelayPhase.FAULT).
    actuator_fault: bool = False
    power_w: float | None = None

    def __post_init__(self) -> None:
        """Reject the two mistakes that would silently corrupt decisions."""
        require_aware(self.now)
        # Aware datetimes sharing a tzinfo compare and subtract as wall clocks; in UTC a
        # 30-minute grace period lasts 30 minutes across a DST change too.
        object.__setattr__(self, "now", self.now.astimezone(UTC))
        if not isinstance(cast(object, self.balance), Decimal):
            msg = f"balance must be a Decimal, got {type(self.balance).__name__}"
            raise TypeError(msg)


@dataclass(frozen=True, slots=True)
class SupplyMemory:
    """Everything the policy carries between evaluations; persisted by the HA layer."""

    last_state: SupplyState | None = None
    last_reason: str | None = None
    # Landlord overrides.
    protected: bool = False
    forced_off_reason: str | None = None
    # Cut-off: when the balance first reached the cut-off zone (the grace period runs from
    # here), whether a cut happened (restore needs the auto-restore minimum on top), a grace
    # granted by the landlord, and whether `cut_off_due` was already announced.
    cut_off_since: datetime | None = None
    cut_off_latched: bool = False
    grace_until: datetime | None = None
    cut_off_due: bool = False
    # Warnings: armed = the next crossing acts; active = the warning cut holds the supply
    # off until the tenant restores it or the balance rises above the level.
    low_armed: bool = True
    warning_cut_armed: bool = True
    warning_cut_active: bool = False
    # Overload protection.
    over_limit_since: datetime | None = None
    overload_tripped_at: datetime | None = None
    last_trip_at: datetime | None = None
    reclose_attempts: int = 0
    overload_locked: bool = False

    def as_dict(self) -> dict[str, str | int | bool | None]:
        """JSON-ready form for HA's Store: Decimal as string, datetimes as ISO 8601."""
        out: dict[str, str | int | bool | None] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                out[f.name] = value.isoformat()
            elif isinstance(value, Decimal):
                out[f.name] = str(value)
            else:
                out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SupplyMemory:
        """Inverse of `as_dict`; unknown keys (from newer versions) are ignored."""
        kwargs: dict[str, Any] = {}
        datetimes = {
            "cut_off_since",
            "grace_until",
            "over_limit_since",
            "overload_tripped_at",
            "last_trip_at",
        }
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if value is not None and f.name in datetimes:
                value = datetime.fromisoformat(value)
                require_aware(value, f.name)
                value = value.astimezone(UTC)
            elif value is not None and f.name == "last_state":
                value = SupplyState(value)
            kwargs[f.name] = value
        return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class Decision:
    """The policy's answer for one evaluation."""

    state: SupplyState
    relay: RelayTarget
    reason: Reason
    memory: SupplyMemory
    events: tuple[SupplyEvent, ...] = ()
    # The landlord's free text for forced_off (not translated), else None.
    detail: str | None = None
    # The balance rule wants the supply cut (the `cut_off_due` binary sensor), in both modes.
    cut_off_due: bool = False
    # The earliest instant at which the decision may change with no new input (grace end,
    # overload timers); the HA layer schedules an evaluation then. Friendly-hours and
    # schedule changes arrive as input changes instead.
    next_evaluation: datetime | None = None
