"""Behaviour of the supply policy over time: grace, warnings, restore, overload, modes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from custom_components.prepaid_power.control import (
    CutOffMode,
    EventKind,
    Reason,
    RelayTarget,
    SupplyCommand,
    SupplyInputs,
    SupplyMemory,
    SupplyOperationError,
    SupplySettings,
    SupplyState,
    evaluate,
    grant_grace,
    reset_overload,
    restore_after_warning,
    set_supply,
)

from .helpers import SETTINGS, T0, D, Room, inputs

MINUTE = timedelta(minutes=1)


def _events(room: Room, kind: EventKind) -> list[dict[str, object]]:
    assert room.last is not None
    return [dict(event.data) for event in room.last.events if event.kind is kind]


# --- cut-off, grace period, auto-restore -----------------------------------------------------


def test_cut_off_waits_for_the_grace_period() -> None:
    room = Room()
    assert room.at("6.00").state is SupplyState.ON
    first = room.at("-2.00", after=MINUTE)  # exactly the cut-off level: at or below
    assert first.state is SupplyState.LOW
    assert first.reason is Reason.GRACE_PERIOD
    assert first.relay is RelayTarget.CLOSED
    assert first.next_evaluation == room.now + timedelta(minutes=30)
    assert room.at("-2.10", after=timedelta(minutes=29)).state is SupplyState.LOW
    cut = room.at("-2.10", after=MINUTE)
    assert cut.state is SupplyState.CUT_OFF
    assert cut.reason is Reason.BALANCE_EXHAUSTED
    assert cut.relay is RelayTarget.OPEN
    assert cut.cut_off_due
    assert _events(room, EventKind.CUT_OFF_DUE) == [
        {"balance": D("-2.10"), "level": D("-2.00"), "mode": "automatic"}
    ]
    assert _events(room, EventKind.SUPPLY_CHANGED) == [
        {
            "old_state": "low",
            "new_state": "cut_off",
            "reason": "balance_exhausted",
            "detail": None,
            "balance": D("-2.10"),
        }
    ]
    # Announced once, not on every poll.
    assert room.at("-2.10", after=MINUTE).events == ()


def test_no_grace_period_cuts_at_once() -> None:
    room = Room(replace(SETTINGS, grace_period=timedelta(0)))
    room.at("1.00")
    assert room.at("-2.00", after=MINUTE).state is SupplyState.CUT_OFF


def test_grace_restarts_after_leaving_the_zone() -> None:
    room = Room()
    room.at("-3.00")
    room.at("10.00", after=timedelta(minutes=20))
    room.at("-3.00", after=MINUTE)
    assert room.at("-3.00", after=timedelta(minutes=20)).state is SupplyState.LOW


def test_auto_restore_needs_the_minimum_above_cut_off() -> None:
    room = Room(replace(SETTINGS, grace_period=timedelta(0)))
    assert room.at("-2.50").state is SupplyState.CUT_OFF
    # Above the cut-off level but not by the auto-restore minimum (1.00): stays cut.
    assert room.at("-1.50", after=MINUTE).state is SupplyState.CUT_OFF
    assert room.at("-1.00", after=MINUTE).state is SupplyState.CUT_OFF
    restored = room.at("-0.99", after=MINUTE)
    assert restored.state is SupplyState.LOW
    assert restored.reason is Reason.BALANCE_LOW
    assert restored.relay is RelayTarget.CLOSED
    assert not restored.cut_off_due
    assert _events(room, EventKind.SUPPLY_CHANGED)[0]["new_state"] == "low"
    # Without a cut there is no latch: a balance just above the level keeps the supply on.
    unlatched = Room(replace(SETTINGS, grace_period=timedelta(0), warning_cut_level=None))
    assert unlatched.at("-1.50").state is SupplyState.LOW


def test_top_up_restores_to_on() -> None:
    room = Room(replace(SETTINGS, grace_period=timedelta(0)))
    room.at("-2.50")
    decision = room.at("20.00", after=MINUTE)
    assert decision.state is SupplyState.ON
    assert decision.memory.cut_off_since is None
    assert not decision.memory.cut_off_latched


# --- friendly hours --------------------------------------------------------------------------


def test_friendly_hours_hold_the_supply_and_cut_when_they_end() -> None:
    room = Room()
    room.at("0.50", friendly_hours=True)
    hold = room.at("-2.50", after=timedelta(hours=2), friendly_hours=True)
    assert hold.state is SupplyState.FRIENDLY_HOLD
    assert hold.reason is Reason.FRIENDLY_HOURS
    assert hold.relay is RelayTarget.CLOSED
    assert not hold.cut_off_due
    # Usage becomes debt, even beyond the credit limit.
    assert room.at("-9.00", after=timedelta(hours=6), friendly_hours=True).state is (
        SupplyState.FRIENDLY_HOLD
    )
    # The grace period ran out during the night: the cut happens as friendly hours end.
    assert room.at("-9.00", after=MINUTE).state is SupplyState.CUT_OFF


def test_friendly_hours_end_starts_no_new_grace_but_finishes_a_running_one() -> None:
    room = Room()
    room.at("-2.50", friendly_hours=True)
    decision = room.at("-2.50", after=timedelta(minutes=10))
    assert decision.state is SupplyState.LOW
    assert decision.reason is Reason.GRACE_PERIOD
    assert room.at("-2.50", after=timedelta(minutes=20)).state is SupplyState.CUT_OFF


def test_a_cut_room_gets_supply_back_during_friendly_hours() -> None:
    room = Room(replace(SETTINGS, grace_period=timedelta(0)))
    assert room.at("-2.50").state is SupplyState.CUT_OFF
    assert room.at("-2.50", after=MINUTE, friendly_hours=True).state is SupplyState.FRIENDLY_HOLD
    assert room.at("-2.60", after=MINUTE).state is SupplyState.CUT_OFF


# --- warning cut ------------------------------------------------------------------------------


def test_warning_cut_once_per_crossing_and_tenant_restore() -> None:
    room = Room()
    room.at("6.00")
    cut = room.at("3.00", after=MINUTE)
    assert cut.state is SupplyState.WARNING_CUT
    assert cut.reason is Reason.WARNING_LEVEL_CROSSED
    assert cut.relay is RelayTarget.OPEN
    assert _events(room, EventKind.WARNING_CUT) == [{"balance": D("3.00"), "level": D("3.00")}]
    # Still cut on the next polls, without a second event.
    assert room.at("3.00", after=MINUTE).state is SupplyState.WARNING_CUT
    assert _events(room, EventKind.WARNING_CUT) == []

    room.memory = restore_after_warning(room.memory)
    restored = room.at("2.90", after=MINUTE)
    assert restored.state is SupplyState.LOW
    assert restored.relay is RelayTarget.CLOSED
    # Falling further does not cut again: one cut per crossing.
    assert room.at("0.10", after=MINUTE).state is SupplyState.LOW

    # Rising above the level re-arms; the next crossing cuts again.
    assert room.at("3.01", after=MINUTE).state is SupplyState.LOW
    assert room.at("2.99", after=MINUTE).state is SupplyState.WARNING_CUT


def test_restore_after_warning_only_in_warning_cut() -> None:
    with pytest.raises(SupplyOperationError) as err:
        restore_after_warning(SupplyMemory(last_state=SupplyState.LOW))
    assert err.value.reason == "not_in_warning_cut"


def test_warning_cut_ends_when_the_balance_rises_above_the_level() -> None:
    room = Room()
    room.at("2.00")
    assert room.last is not None
    assert room.last.state is SupplyState.WARNING_CUT
    assert room.at("3.50", after=MINUTE).state is SupplyState.LOW


def test_warning_cut_waits_for_friendly_hours_to_end() -> None:
    room = Room()
    room.at("6.00", friendly_hours=True)
    deferred = room.at("2.00", after=MINUTE, friendly_hours=True)
    assert deferred.state is SupplyState.LOW
    assert deferred.reason is Reason.WARNING_CUT_DEFERRED
    assert deferred.relay is RelayTarget.CLOSED
    assert room.at("1.90", after=timedelta(hours=8)).state is SupplyState.WARNING_CUT


def test_warning_crossed_on_the_way_to_cut_off_does_not_cut_after_a_small_top_up() -> None:
    room = Room(replace(SETTINGS, grace_period=timedelta(0)))
    room.at("6.00")
    assert room.at("-2.50", after=MINUTE).state is SupplyState.CUT_OFF
    # Top-up to 2.00: restored, below the warning level, but that crossing is spent.
    assert room.at("2.00", after=MINUTE).state is SupplyState.LOW


def test_warning_cut_disabled_without_a_level() -> None:
    room = Room(replace(SETTINGS, warning_cut_level=None))
    assert room.at("2.00").state is SupplyState.LOW


# --- low balance warning ------------------------------------------------------------------------


def test_balance_low_fires_once_per_crossing_and_re_arms() -> None:
    room = Room(replace(SETTINGS, warning_cut_level=None))
    room.at("6.00")
    assert room.at("5.00", after=MINUTE).state is SupplyState.LOW
    assert _events(room, EventKind.BALANCE_LOW) == [{"balance": D("5.00"), "level": D("5.00")}]
    room.at("4.00", after=MINUTE)
    assert _events(room, EventKind.BALANCE_LOW) == []
    room.at("5.01", after=MINUTE)
    assert room.memory.low_armed
    room.at("4.99", after=MINUTE)
    assert len(_events(room, EventKind.BALANCE_LOW)) == 1


def test_balance_low_fires_even_when_protected() -> None:
    room = Room(memory=SupplyMemory(protected=True))
    decision = room.at("1.00")
    assert decision.state is SupplyState.PROTECTED
    assert EventKind.BALANCE_LOW in {event.kind for event in decision.events}


# --- landlord overrides -------------------------------------------------------------------------


def test_set_supply_off_on_auto() -> None:
    room = Room()
    room.at("10.00")
    room.memory = set_supply(room.memory, SupplyCommand.OFF, "  rewiring ")
    off = room.at("10.00", after=MINUTE)
    assert (off.state, off.reason, off.detail, off.relay) == (
        SupplyState.FORCED_OFF,
        Reason.FORCED_OFF,
        "rewiring",
        RelayTarget.OPEN,
    )
    assert _events(room, EventKind.SUPPLY_CHANGED)[0]["detail"] == "rewiring"
    room.memory = set_supply(room.memory, SupplyCommand.ON)
    on = room.at("-50.00", after=MINUTE)
    assert (on.state, on.relay) == (SupplyState.PROTECTED, RelayTarget.CLOSED)
    assert on.cut_off_due is False  # still inside the grace period
    room.memory = set_supply(room.memory, SupplyCommand.AUTO)
    assert room.at("-50.00", after=timedelta(hours=1)).state is SupplyState.CUT_OFF
    with pytest.raises(SupplyOperationError):
        set_supply(room.memory, SupplyCommand.OFF, " ")


def test_grant_grace_postpones_a_due_cut() -> None:
    room = Room(replace(SETTINGS, grace_period=timedelta(0)))
    assert room.at("-3.00").state is SupplyState.CUT_OFF
    room.memory = grant_grace(room.memory, timedelta(hours=12), room.now)
    granted = room.at("-3.00", after=MINUTE)
    assert (granted.state, granted.reason) == (SupplyState.LOW, Reason.GRACE_PERIOD)
    assert granted.relay is RelayTarget.CLOSED
    assert not granted.cut_off_due
    assert granted.next_evaluation == room.now - MINUTE + timedelta(hours=12)
    assert room.at("-4.00", after=timedelta(hours=11)).state is SupplyState.LOW
    assert room.at("-4.00", after=timedelta(hours=1)).state is SupplyState.CUT_OFF


def test_grant_grace_ends_with_the_episode() -> None:
    room = Room(replace(SETTINGS, grace_period=timedelta(0)))
    room.at("-3.00")
    room.memory = grant_grace(room.memory, timedelta(days=3), room.now)
    room.at("10.00", after=MINUTE)
    assert room.memory.grace_until is None
    assert room.at("-3.00", after=MINUTE).state is SupplyState.CUT_OFF


def test_grant_grace_in_advance_lasts_until_it_expires() -> None:
    room = Room(replace(SETTINGS, grace_period=timedelta(0)))
    room.at("10.00")
    room.memory = grant_grace(room.memory, timedelta(hours=2), room.now)
    assert room.at("-3.00", after=MINUTE).state is SupplyState.LOW
    assert room.at("-3.00", after=timedelta(hours=2)).state is SupplyState.CUT_OFF


def test_grant_grace_needs_a_positive_duration() -> None:
    with pytest.raises(SupplyOperationError) as err:
        grant_grace(SupplyMemory(), timedelta(0), T0)
    assert err.value.reason == "invalid_duration"


# --- automation mode --------------------------------------------------------------------------


AUTOMATION = replace(SETTINGS, cut_off_mode=CutOffMode.AUTOMATION, grace_period=timedelta(0))


def test_automation_mode_declares_the_cut_and_leaves_the_relay() -> None:
    room = Room(AUTOMATION)
    room.at("1.00")
    due = room.at("-3.00", after=MINUTE)
    assert due.state is SupplyState.CUT_OFF
    assert due.reason is Reason.CUT_OFF_DUE
    assert due.relay is RelayTarget.HOLD
    assert due.cut_off_due
    assert _events(room, EventKind.CUT_OFF_DUE) == [
        {"balance": D("-3.00"), "level": D("-2.00"), "mode": "automation"}
    ]
    # The automation cuts through set_supply off: the sensor stays due until paid.
    room.memory = set_supply(room.memory, SupplyCommand.OFF, "unpaid")
    cut = room.at("-3.00", after=MINUTE)
    assert (cut.state, cut.relay, cut.cut_off_due) == (
        SupplyState.FORCED_OFF,
        RelayTarget.OPEN,
        True,
    )
    # After the top-up the cut is no longer due; the automation returns the room to auto.
    paid = room.at("20.00", after=MINUTE)
    assert not paid.cut_off_due
    assert paid.state is SupplyState.FORCED_OFF
    room.memory = set_supply(room.memory, SupplyCommand.AUTO)
    assert room.at("20.00", after=MINUTE).relay is RelayTarget.CLOSED


def test_automation_mode_grant_grace_postpones_the_due_cut() -> None:
    room = Room(AUTOMATION)
    assert room.at("-3.00").cut_off_due
    room.memory = grant_grace(room.memory, timedelta(hours=1), room.now)
    later = room.at("-3.00", after=MINUTE)
    assert not later.cut_off_due
    assert later.relay is RelayTarget.CLOSED
    again = room.at("-3.00", after=timedelta(hours=1))
    assert again.cut_off_due
    assert [event.kind for event in again.events].count(EventKind.CUT_OFF_DUE) == 1


def test_automation_mode_still_warning_cuts() -> None:
    room = Room(AUTOMATION)
    assert room.at("2.00").state is SupplyState.WARNING_CUT


# --- overload ---------------------------------------------------------------------------------


def test_overload_trip_reclose_and_lockout() -> None:
    room = Room()  # limit 3000 W for 10 s, re-close after 1 min, at most 2 re-closes
    assert room.at("10.00", power_w=3500.0).state is SupplyState.ON
    assert room.last is not None
    assert room.last.next_evaluation == room.now + timedelta(seconds=10)
    trip = room.at("10.00", after=timedelta(seconds=10), power_w=3500.0)
    assert (trip.state, trip.reason, trip.relay) == (
        SupplyState.OVERLOAD,
        Reason.OVERLOAD_TRIPPED,
        RelayTarget.OPEN,
    )
    assert _events(room, EventKind.OVERLOAD_TRIP) == [
        {
            "power_w": 3500.0,
            "limit_w": 3000.0,
            "trip": 1,
            "locked": False,
            "reclose_at": (room.now + MINUTE).isoformat(),
        }
    ]
    assert trip.next_evaluation == room.now + MINUTE
    assert room.at("10.00", after=timedelta(seconds=59), power_w=0.0).state is SupplyState.OVERLOAD
    reclosed = room.at("10.00", after=timedelta(seconds=1), power_w=0.0)
    assert reclosed.state is SupplyState.ON
    assert _events(room, EventKind.OVERLOAD_RECLOSE) == [{"attempt": 1}]

    # Second trip, second re-close.
    room.at("10.00", after=MINUTE, power_w=4000.0)
    assert room.at("10.00", after=timedelta(seconds=10), power_w=4000.0).state is (
        SupplyState.OVERLOAD
    )
    assert room.at("10.00", after=MINUTE, power_w=0.0).state is SupplyState.ON
    # Third trip: the attempts are used up, it stays off until the landlord resets.
    room.at("10.00", after=MINUTE, power_w=4000.0)
    locked = room.at("10.00", after=timedelta(seconds=10), power_w=4000.0)
    assert (locked.state, locked.reason) == (SupplyState.OVERLOAD, Reason.OVERLOAD_LOCKED)
    assert _events(room, EventKind.OVERLOAD_TRIP)[0]["locked"] is True
    assert room.at("10.00", after=timedelta(days=1), power_w=0.0).state is SupplyState.OVERLOAD
    room.memory = reset_overload(room.memory)
    assert room.at("10.00", after=MINUTE, power_w=0.0).state is SupplyState.ON


def test_overload_short_peaks_do_not_trip() -> None:
    room = Room()
    room.at("10.00", power_w=5000.0)
    room.at("10.00", after=timedelta(seconds=9), power_w=2000.0)
    assert room.at("10.00", after=timedelta(seconds=5), power_w=5000.0).state is SupplyState.ON
    assert room.at("10.00", after=timedelta(seconds=9), power_w=5000.0).state is SupplyState.ON


def test_overload_attempts_reset_after_a_quiet_hour() -> None:
    room = Room(replace(SETTINGS, max_reclose_attempts=1))
    room.at("10.00", power_w=5000.0)
    room.at("10.00", after=timedelta(seconds=10), power_w=5000.0)
    room.at("10.00", after=MINUTE, power_w=0.0)
    assert room.memory.reclose_attempts == 1
    room.at("10.00", after=timedelta(hours=1), power_w=100.0)
    assert room.memory.reclose_attempts == 0
    room.at("10.00", after=MINUTE, power_w=5000.0)
    assert room.at("10.00", after=timedelta(seconds=10), power_w=5000.0).reason is (
        Reason.OVERLOAD_TRIPPED
    )


def test_no_power_limit_means_no_overload() -> None:
    room = Room(replace(SETTINGS, power_limit_w=None), SupplyMemory(overload_locked=True))
    assert room.at("10.00", power_w=1e6).state is SupplyState.ON


def test_overload_timer_does_not_run_while_protected() -> None:
    room = Room(memory=SupplyMemory(protected=True))
    room.at("10.00", power_w=5000.0)
    assert room.memory.over_limit_since is None


# --- settings, inputs and memory --------------------------------------------------------------


def test_settings_with_room_overrides() -> None:
    room = SETTINGS.with_overrides({"credit_limit": D("10.00"), "cut_off_mode": "automation"})
    assert room.cut_off_level == D("-10.00")
    assert room.cut_off_mode is CutOffMode.AUTOMATION
    assert room.low_level == SETTINGS.low_level
    with pytest.raises(ValueError, match="unknown"):
        SETTINGS.with_overrides({"nonsense": 1})


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"credit_limit": 5.0}, TypeError),
        ({"credit_limit": D("-1")}, ValueError),
        ({"low_level": D("-2.00")}, ValueError),
        ({"warning_cut_level": D("-3")}, ValueError),
        ({"auto_restore_minimum": D("-1")}, ValueError),
        ({"grace_period": timedelta(seconds=-1)}, ValueError),
        ({"max_reclose_attempts": -1}, ValueError),
        ({"power_limit_w": 0.0}, ValueError),
        ({"cut_off_mode": "sometimes"}, ValueError),
    ],
)
def test_settings_are_validated(overrides: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        SETTINGS.with_overrides(overrides)


def test_inputs_need_aware_time_and_decimal_balance() -> None:
    with pytest.raises(ValueError, match="aware"):
        inputs(now=T0.replace(tzinfo=None))
    with pytest.raises(TypeError):
        SupplyInputs(now=T0, balance=1.5)  # type: ignore[arg-type]


def test_memory_round_trips_through_json_form() -> None:
    room = Room()
    room.at("-3.00", power_w=5000.0)
    memory = replace(room.memory, forced_off_reason="x")
    assert SupplyMemory.from_dict(memory.as_dict()) == memory
    assert SupplyMemory.from_dict({"future_field": 1}) == SupplyMemory()


def test_first_evaluation_fires_no_supply_changed() -> None:
    decision = evaluate(SupplySettings(), inputs("1.00"), SupplyMemory())
    assert EventKind.SUPPLY_CHANGED not in {event.kind for event in decision.events}
    assert decision.memory.last_state is SupplyState.LOW


def test_grace_period_lasts_its_duration_across_a_dst_change() -> None:
    # Berlin, 25 Oct 2026: 03:00 CEST -> 02:00 CET. Local times given in, UTC kept.
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    settings = replace(SETTINGS, grace_period=timedelta(minutes=30), warning_cut_level=None)
    start = datetime(2026, 10, 25, 2, 45, tzinfo=berlin)  # first 02:45 (CEST)
    first = evaluate(settings, inputs("-3.00", start), SupplyMemory())
    assert first.next_evaluation == start.astimezone(UTC) + timedelta(minutes=30)
    # 02:15 CET (fold=1) is 30 minutes later in real time, though earlier on the wall.
    later = datetime(2026, 10, 25, 2, 15, tzinfo=berlin, fold=1)
    assert evaluate(settings, inputs("-3.00", later), first.memory).state is SupplyState.CUT_OFF
    just_before = later - timedelta(seconds=1)  # wall-clock arithmetic: 02:14:59 CET
    assert evaluate(settings, inputs("-3.00", just_before), first.memory).state is (SupplyState.LOW)
