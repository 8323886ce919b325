"""Energy to charges: postings, rounding carry, counter backwards, suspect jumps, restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from custom_components.prepaid_power.billing import errors
from custom_components.prepaid_power.billing.core import (
    ISSUE_COUNTER_BACKWARDS,
    ISSUE_PRICE_ABOVE_CAP,
    ISSUE_SUSPECT_READING,
)
from custom_components.prepaid_power.billing.errors import BillingError
from custom_components.prepaid_power.profiles import load_profiles

from .conftest import TOU, World, add_room, d, kwh_of, occupied


def feed(
    world: World, room: str, start: Decimal, kwh_per_step: Decimal, steps: int, minutes: float = 5
) -> Decimal:
    reading = start
    for _ in range(steps):
        world.clock.advance(minutes=minutes)
        reading += kwh_per_step
        world.core.process_reading(room, reading)
    return reading


def charges(world: World, room: str = "r1") -> list:  # type: ignore[type-arg]
    return world.ledger.entries(room_id=room, kinds=["charge"])


def test_charge_is_energy_times_price(world: World) -> None:
    occupied(world)
    world.core.top_up("r1", "50", method="cash", who="a")
    world.clock.advance(hours=2)
    result = world.core.process_reading("r1", "110")
    assert result.status == "posted"
    (charge,) = result.posted
    assert (charge.kwh, charge.price, charge.amount) == (d("10"), d("0.25"), d("-2.50"))
    assert (charge.reading_from, charge.reading_to, charge.period) == (
        d("100"),
        d("110"),
        "standard",
    )
    assert world.core.balance("r1") == d("47.50")


def test_postings_are_at_least_hourly_and_live_balance_includes_accrual(world: World) -> None:
    occupied(world)
    world.core.top_up("r1", "50", method="cash", who="a")
    world.clock.advance(minutes=20)
    result = world.core.process_reading("r1", "104")
    assert result.status == "accrued"
    assert result.posted == ()
    assert world.core.balance("r1") == d("50.00")
    assert world.core.live_balance("r1") == result.live_balance == d("49.00")
    assert result.unposted_kwh == 4
    feed(world, "r1", d("104"), d("0.5"), 12)  # one more hour in 5-minute steps
    posted = charges(world)
    assert len(posted) == 1
    assert posted[0].at - world.ledger.tenancies()[0].moved_in_at == timedelta(hours=1)


def test_rounding_remainder_is_carried(world: World) -> None:
    occupied(world, tariff={"kind": "flat", "price": "0.3333"})
    exact = Decimal(0)
    reading = d("100")
    for _ in range(30):
        world.clock.advance(hours=1, minutes=1)
        reading += d("0.07")
        world.core.process_reading("r1", reading)
        exact += d("0.07") * d("0.3333")
    charged = -sum(e.amount for e in charges(world))
    assert 0 <= exact - charged < d("0.01")
    assert charged > 0  # without the carry every 0.023331 would round to nothing


def test_posting_at_every_tou_boundary(world: World) -> None:
    # 2026-01-12 is a Monday; 07:00 Berlin = 06:00 UTC.
    world.clock.now = datetime(2026, 1, 12, 5, 40, tzinfo=UTC)
    occupied(world, tariff=TOU)
    reading = feed(world, "r1", d("100"), d("1"), 4, minutes=10)  # 05:50 ... 06:20 UTC
    assert len(charges(world)) == 1  # posted at the 06:00 reading
    world.core.flush("r1")
    posted = charges(world)
    assert [(c.period, c.kwh) for c in posted] == [("valley", d("2")), ("peak", d("2"))]
    assert posted[0].at == datetime(2026, 1, 12, 6, 0, tzinfo=UTC)
    assert reading == d("104")


def test_threshold_crossing_posts_immediately(world: World) -> None:
    occupied(world, thresholds=(d("5"),))
    world.core.top_up("r1", "6", method="cash", who="a")
    world.clock.advance(minutes=5)
    assert world.core.process_reading("r1", "102").status == "accrued"  # live 5.50
    world.clock.advance(minutes=5)
    result = world.core.process_reading("r1", "104")  # live 5.00: crossed
    assert result.status == "posted"
    assert world.core.balance("r1") == d("5.00")


def test_top_up_posts_the_accrued_charge_first(world: World) -> None:
    occupied(world)
    world.clock.advance(minutes=10)
    world.core.process_reading("r1", "104")
    world.clock.advance(minutes=1)
    world.core.top_up("r1", "20", method="cash", who="a")
    kinds = [e.kind for e in world.ledger.entries(room_id="r1")]
    assert kinds[-2:] == ["charge", "top_up"]
    assert world.core.balance("r1") == d("19.00")


@pytest.mark.parametrize(
    "refused",
    [
        lambda core: core.add_fee("r1", "5", why="key copy"),
        lambda core: core.refund("r1", "5", who="a"),
        lambda core: core.adjust("r1", "-5", reason="correction", who="a"),
    ],
    ids=["fee", "refund", "adjustment"],
)
def test_a_refused_operation_keeps_the_accrued_usage(world: World, refused: Any) -> None:
    # The operation posts the accrued charge first, then is refused (beyond the balance): the
    # rollback must leave the usage accrued, so a counter reset after it still bills it.
    # (Found by test_any_history_keeps_the_invariants: use, fee refused, reset.)
    occupied(world)
    world.clock.advance(minutes=10)
    world.core.process_reading("r1", "104")
    world.clock.advance(minutes=1)
    with pytest.raises(BillingError):
        refused(world.core)
    assert charges(world) == []
    world.clock.advance(minutes=1)
    assert world.core.process_reading("r1", "0").status == "reset"
    assert kwh_of(charges(world)) == d("4")
    assert world.core.balance("r1") == d("-1.00")


def test_balance_may_go_below_zero_by_usage(world: World) -> None:
    occupied(world)
    world.clock.advance(hours=2)
    world.core.process_reading("r1", "120")
    assert world.core.balance("r1") == d("-5.00")


def test_nothing_is_lost_or_doubled_across_restarts(world: World) -> None:
    occupied(world)
    world.clock.advance(minutes=30)
    world.core.process_reading("r1", "104")  # accrued, not posted
    core = world.restart()
    assert core.live_balance("r1") == d("0")  # the accrual lived only in memory ...
    world.clock.advance(minutes=40)
    core.process_reading("r1", "108")  # ... and is recomputed from the register
    core.flush("r1")
    assert kwh_of(charges(world)) == 8
    core = world.restart()
    world.clock.advance(minutes=1)
    core.process_reading("r1", "108")
    core.flush("r1")
    assert kwh_of(charges(world)) == 8


def test_usage_while_unread_split_by_time_across_periods(world: World) -> None:
    world.clock.now = datetime(2026, 1, 12, 4, 0, tzinfo=UTC)  # 05:00 Berlin, valley
    occupied(world, tariff=TOU)
    world.clock.now = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)  # 09:00 Berlin: down 4 h
    world.core.process_reading("r1", "108")
    posted = charges(world)
    assert [(c.period, c.kwh) for c in posted] == [("valley", d("4")), ("peak", d("4"))]


def test_rollover_at_the_profiles_maximum_is_billed(world: World) -> None:
    occupied(world, reading="99999.5", rollover_kwh=d("100000"), max_power_kw=d("10"))
    world.clock.advance(hours=1, minutes=1)
    result = world.core.process_reading("r1", "1.5")
    assert result.status == "rollover"
    (charge,) = result.posted
    assert charge.kwh == 2
    assert (charge.reading_from, charge.reading_to) == (d("99999.5"), d("1.5"))


def test_counter_backwards_resets_baseline_without_charge(world: World) -> None:
    occupied(world, rollover_kwh=d("100000"))
    world.clock.advance(minutes=10)
    world.core.process_reading("r1", "103")  # good, accrued
    world.clock.advance(minutes=10)
    result = world.core.process_reading("r1", "5")  # meter replaced
    assert result.status == "reset"
    assert [i.key for i in result.issues] == [ISSUE_COUNTER_BACKWARDS]
    assert result.issues[0].placeholders == {"billed_reading": "103.000000", "reading": "5.000000"}
    assert kwh_of(charges(world)) == 3  # the good part before the reset
    world.clock.advance(hours=2)
    world.core.process_reading("r1", "7")
    assert kwh_of(charges(world)) == 5


def test_counter_reset_below_the_last_reading_but_above_the_posted_one(world: World) -> None:
    """Found by the bus fault soak: a counter reset (or a replacement meter) reading between
    the last posted reading and the last good one went unnoticed - the usage accrued since
    the posting was dropped and the new counter's head start was charged as usage."""
    occupied(world)  # baseline 100
    world.clock.advance(minutes=10)
    assert world.core.process_reading("r1", "104").status == "accrued"  # not posted yet
    world.clock.advance(minutes=10)
    result = world.core.process_reading("r1", "101")  # replaced: the new meter reads 101
    assert result.status == "reset"
    assert [i.key for i in result.issues] == [ISSUE_COUNTER_BACKWARDS]
    assert result.issues[0].placeholders == {
        "billed_reading": "104.000000",
        "reading": "101.000000",
    }
    assert kwh_of(charges(world)) == 4  # what the old meter counted, nothing of the new one's
    world.clock.advance(hours=2)
    world.core.process_reading("r1", "103")
    assert kwh_of(charges(world)) == 6


def test_implausible_jump_is_held_then_charged_on_request(world: World) -> None:
    occupied(world, max_power_kw=d("10"))
    world.clock.advance(minutes=6)
    result = world.core.process_reading("r1", "600")
    assert result.status == "suspect"
    (issue,) = result.issues
    assert issue.key == ISSUE_SUSPECT_READING
    assert issue.placeholders["kwh"] == "500.000000"
    world.clock.advance(minutes=6)
    again = world.core.process_reading("r1", "601")  # still implausible vs the baseline
    assert again.issues[0].suspect_id == issue.suspect_id
    assert charges(world) == []
    assert issue.suspect_id is not None
    posted = world.core.resolve_suspect("r1", issue.suspect_id, "charge", who="landlord")
    assert kwh_of(posted) == 501
    with pytest.raises(BillingError) as caught:
        world.core.resolve_suspect("r1", issue.suspect_id, "discard", who="landlord")
    assert caught.value.key == errors.SUSPECT_ALREADY_RESOLVED


def test_implausible_jump_discarded_moves_baseline(world: World) -> None:
    occupied(world, max_power_kw=d("10"))
    world.clock.advance(minutes=6)
    suspect = world.core.process_reading("r1", "600").issues[0].suspect_id
    assert suspect is not None
    assert world.core.resolve_suspect("r1", suspect, "discard", who="landlord") == ()
    world.clock.advance(hours=2)
    world.core.process_reading("r1", "602")
    assert kwh_of(charges(world)) == 2


def test_discard_drops_only_the_jump_not_the_usage_read_while_it_was_held(
    world: World,
) -> None:
    """+300 kWh jump, then 2 h 35 min of genuine 0.574 kW use while it is held: discarding
    drops the 300.5 kWh jump and still bills the 1.485 kWh counted after it."""
    occupied(world, max_power_kw=d("10"))
    world.clock.advance(minutes=5)
    suspect = world.core.process_reading("r1", "400.5").issues[0].suspect_id
    assert suspect is not None
    for reading in ("400.9", "401.5", "401.983"):
        world.clock.advance(minutes=31)
        assert world.core.process_reading("r1", reading).status == "suspect"
    world.clock.advance(minutes=31)
    assert world.core.process_reading("r1", "401.983").status == "suspect"
    assert world.core.resolve_suspect("r1", suspect, "discard", who="landlord") == ()
    world.clock.advance(seconds=10)
    world.core.process_reading("r1", "401.985")
    world.core.flush("r1")
    # The baseline was 100 kWh; the first reading after the jump 400.5 kWh.
    assert kwh_of(charges(world)) == d("1.485")


def test_glitch_is_dismissed_by_the_next_plausible_reading(world: World) -> None:
    occupied(world, max_power_kw=d("10"))
    world.clock.advance(minutes=6)
    suspect = world.core.process_reading("r1", "9999").issues[0].suspect_id
    world.clock.advance(minutes=6)
    result = world.core.process_reading("r1", "101")
    assert result.dismissed_suspect_id == suspect
    assert world.core.pending_suspect("r1") is None
    world.clock.advance(hours=1)
    world.core.process_reading("r1", "102")
    assert kwh_of(charges(world)) == 2


def test_stale_readings_are_ignored(world: World) -> None:
    occupied(world)
    world.clock.advance(hours=2)
    world.core.process_reading("r1", "110")
    result = world.core.process_reading("r1", "109", world.clock.now - timedelta(hours=1))
    assert result.status == "ignored"
    assert kwh_of(charges(world)) == 10


def test_tariff_change_is_never_retroactive(world: World) -> None:
    occupied(world)
    before = world.counts()
    with pytest.raises(BillingError) as caught:
        world.core.set_tariff(
            "r1",
            {"kind": "flat", "price": "1"},
            effective_from=world.clock.now - timedelta(minutes=1),
        )
    assert caught.value.key == errors.TARIFF_RETROACTIVE
    assert world.counts() == before
    change = world.clock.now + timedelta(minutes=30)
    world.core.set_tariff("r1", {"kind": "flat", "price": "0.5"}, effective_from=change)
    world.clock.advance(minutes=20)
    world.core.process_reading("r1", "102")
    world.clock.advance(minutes=20)
    world.core.process_reading("r1", "104")
    world.core.flush("r1")
    # Posted up to the last reading before the change, then the rest split by time.
    assert [(c.price, c.kwh) for c in charges(world)] == [
        (d("0.25"), d("2")),
        (d("0.25"), d("1")),
        (d("0.5"), d("1")),
    ]


def test_bad_tariff_changes_nothing(world: World) -> None:
    occupied(world)
    before = world.counts()
    bad = {
        "kind": "tou",
        "prices": {"peak": "1"},
        "weekday": [{"start": "00:00", "end": "12:00", "period": "peak"}],
    }
    with pytest.raises(BillingError) as caught:
        world.core.set_tariff("r1", bad)
    assert caught.value.key == errors.TARIFF_INTERVAL_GAP
    assert world.counts() == before


def test_price_cap_warning(world: World) -> None:
    add_room(world, supplier_price=d("0.20"), cap_margin_percent=d("10"))
    issues = world.core.set_tariff("r1", {"kind": "flat", "price": "0.25"})
    assert [i.key for i in issues] == [ISSUE_PRICE_ABOVE_CAP]
    assert world.core.set_tariff("r1", {"kind": "flat", "price": "0.22"}) == []


def test_current_price_follows_tou_and_tiers(world: World) -> None:
    world.clock.now = datetime(2026, 1, 12, 7, 0, tzinfo=UTC)  # 08:00 Berlin Monday
    add_room(world, tariff=TOU)
    assert world.core.current_price("r1") == d("0.3")
    world.core.upsert_room("r2", world.core.room_config("r1"))
    assert world.core.current_price("r2") is None


def test_summary_for_entities(world: World) -> None:
    occupied(world, allowance_kwh=d("3"))
    world.core.top_up("r1", "10", method="cash", who="a")
    world.clock.advance(days=2)
    world.core.process_reading("r1", "108")  # 8 kWh in 2 days: 3 free, 5 x 0.25 = 1.25
    world.clock.advance(minutes=30)
    world.core.process_reading("r1", "110")  # 2 kWh accrued, 0.50, not posted
    summary = world.core.summary("r1")
    assert summary.balance == d("8.75")
    assert summary.live_balance == d("8.25")
    assert summary.energy_this_cycle_kwh == 10
    assert summary.cost_this_cycle == d("1.75")
    assert summary.allowance_left_kwh == 0
    assert summary.current_price == d("0.25")
    # 1.75 over 2.02 days -> 0.866/day; 8.25 / 0.866 = 9.5 days.
    assert summary.days_of_credit_left == d("9.5")
    world.core.move_out("r1", "110", who="a")
    vacant = world.core.summary("r1")
    assert (vacant.tenancy_id, vacant.balance, vacant.days_of_credit_left) == (None, None, None)


def test_room_settings_are_validated(world: World) -> None:
    for bad in ({"allowance_kwh": d("-1")}, {"cycle_fee": d("NaN")}, {"cycle_start_day": 30}):
        with pytest.raises(BillingError):
            add_room(world, **bad)
    assert world.core.room_ids() == []


def test_posting_splits_at_the_cycle_boundary(world: World) -> None:
    occupied(world)
    boundary = world.core.calendar("r1").next_boundary(world.clock.now)
    world.clock.now = boundary - timedelta(minutes=30)
    world.core.process_reading("r1", "110")
    world.clock.now = boundary + timedelta(minutes=30)
    world.core.process_reading("r1", "112")
    world.core.flush("r1")
    posted = charges(world)
    assert [(c.cycle, c.kwh) for c in posted] == [
        ("2026-01-01", d("10")),
        ("2026-01-01", d("1")),
        ("2026-02-01", d("1")),
    ]
    assert posted[1].at < boundary <= posted[2].at


def test_tiers_follow_cycle_to_date_energy_across_postings(world: World) -> None:
    tiered = {
        "kind": "tiered",
        "blocks": [{"up_to_kwh": "5", "price": "0.1"}, {"up_to_kwh": None, "price": "0.5"}],
    }
    occupied(world, tariff=tiered)
    world.clock.advance(hours=2)
    world.core.process_reading("r1", "104")
    world.clock.advance(hours=2)
    world.core.process_reading("r1", "108")
    assert [(c.period, c.kwh, c.amount) for c in charges(world)] == [
        ("tier_1", d("4"), d("-0.40")),
        ("tier_1", d("1"), d("-0.10")),
        ("tier_2", d("3"), d("-1.50")),
    ]
    world.restart()  # cycle-to-date comes from the ledger, not from memory
    world.clock.advance(hours=2)
    world.core.process_reading("r1", "109")
    assert charges(world)[-1].period == "tier_2"


def test_flush_all_posts_every_room(world: World) -> None:
    occupied(world, "r1")
    occupied(world, "r2")
    world.clock.advance(minutes=10)
    world.core.process_reading("r1", "101")
    world.core.process_reading("r2", "102")
    posted = world.core.flush_all()
    accounts = [world.core.account_of(room) for room in ("r1", "r2")]
    assert [kwh_of(p for p in posted if p.account_id == a) for a in accounts] == [1, 2]


def test_held_jump_is_never_charged_by_waiting(world: World) -> None:
    occupied(world, max_power_kw=d("10"))
    world.clock.advance(minutes=6)
    suspect = world.core.process_reading("r1", "600").issues[0].suspect_id
    world.clock.advance(days=5)  # 10 kW x 120 h would make 500 kWh "plausible" by now
    result = world.core.process_reading("r1", "601")
    assert result.status == "suspect"
    assert result.issues[0].suspect_id == suspect
    assert charges(world) == []


def test_finder_7m_counter_rollover_is_billed_as_a_rollover(world: World) -> None:
    """The Finder 7M's 0.1 Wh counter (uint32) rolls over at the profile's 429,496.7295 kWh:
    the reading after the wrap is billed as a rollover, never a huge negative or a reset.
    429496.5000 -> 429496.7295 is 0.2295 kWh, the wrap to 0 one count more, then 0.25."""
    finder = load_profiles().profiles["finder_7m_24"]
    rollover = finder.energy_modulus_kwh
    assert rollover == d("429496.7296")
    occupied(world, reading="429496.5000", rollover_kwh=rollover, max_power_kw=d("55.2"))
    world.clock.advance(hours=1)
    result = world.core.process_reading("r1", "0.2500")
    assert result.status == "rollover"
    (charge,) = result.posted
    assert charge.kwh == d("0.4796")
    assert result.issues == ()


@pytest.mark.parametrize(
    ("profile_id", "largest", "step"),
    [
        ("finder_7m_24", "429496.7295", "0.0001"),
        ("eastron_sdm120", "99999.99", "0.01"),
        ("eastron_sdm72d_m", "999999.9", "0.1"),
    ],
)
def test_a_wrap_from_the_largest_value_to_zero_is_one_count(
    world: World, profile_id: str, largest: str, step: str
) -> None:
    """The profile's energy_max_kwh is the counter's largest value: the step from it to 0 is
    one count of the counter, billed as such (the modulus is the largest value + 1 count)."""
    profile = load_profiles().profiles[profile_id]
    occupied(world, reading=largest, rollover_kwh=profile.energy_modulus_kwh, max_power_kw=d("10"))
    world.clock.advance(minutes=10)
    result = world.core.process_reading("r1", "0")
    assert result.status == "rollover"
    assert kwh_of(result.posted) + result.unposted_kwh == d(step)
