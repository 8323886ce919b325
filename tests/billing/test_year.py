"""The independent recomputation of a simulated year with the money features on
(bench/money_year.py, the whole year: the tariff versions with new tax rates start in July):
every figure agrees with the ledger to less than one minor unit per account per cycle, and
every statement's tax section and meter lines are exactly what the rules say."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.test_readme import _bench

# Loaded at collection, as tests/test_readme.py says why.
MONEY_YEAR = _bench("money_year")

MONEY = {
    "energy",
    "standing",
    "standing_charge",
    "cycle_fee",
    "tax_section",
    "meter_line",
    "top_ups",
    "recovered",
    "plan_debt_left",
    "common_area",
    "common_area_statement",
    "paused_days",
}


def test_a_year_agrees_with_the_rules() -> None:
    report = MONEY_YEAR.run(days=365, seed=18)
    assert report.mismatches == []
    assert report.paused_days > 5  # the paused standing charge is exercised
    assert report.booked == 208  # 52 weekly statements x 4 accounts, each imported twice
    assert report.cycles == 52
    assert set(report.worst) == MONEY
    for figure, worst in report.worst.items():
        assert worst < 1, figure
    # The fees are fixed to the minor unit by the rules, and so is the tax section's split.
    # So are the common areas' shares (each a floor plus a largest-remainder cent).
    for figure in (
        "standing_charge",
        "cycle_fee",
        "tax_section",
        "top_ups",
        "recovered",
        "common_area",
        "common_area_statement",
        "paused_days",
    ):
        assert report.worst[figure] == Decimal(0), figure
    # The shared account's meter lines: kWh and readings as shown (to the Wh), and the
    # ledger's kWh per meter to the micro-kWh (a split at a cycle end truncates one).
    assert report.worst_kwh["ledger_kwh"] <= 2
    for figure in ("meter_kwh", "meter_reading_from", "meter_reading_to"):
        assert report.worst_kwh[figure] == Decimal(0), figure


def test_the_comparison_fails_when_a_rule_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """A recomputation that forgets VAT added on top (gross price = net price) disagrees
    with the ledger within a month: the figures can fail."""
    monkeypatch.setattr(MONEY_YEAR.Version, "gross_price", property(lambda v: v.price))
    report = MONEY_YEAR.run(days=35, seed=18)
    assert report.worst["energy"] > 100
    assert report.mismatches


def test_the_comparison_fails_without_the_common_area_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ledger books the common areas' shares; a recomputation that leaves them out
    disagrees (on the ledger and on the statements)."""
    monkeypatch.setattr(MONEY_YEAR, "SHARE_COMMON_AREAS", False)
    report = MONEY_YEAR.run(days=35, seed=18)
    assert report.worst["common_area"] > 100
    assert report.worst["common_area_statement"] > 100


def test_the_comparison_fails_when_the_pause_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """r2's standing charge pauses while cut; a recomputation charging every day in full
    disagrees entry by entry."""
    monkeypatch.setattr(MONEY_YEAR, "PAUSE_STANDING", False)
    report = MONEY_YEAR.run(days=120, seed=18)
    assert report.paused_days > 0
    assert report.worst["standing_charge"] > 0


def test_the_comparison_fails_when_the_entity_price_is_not_clamped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """r4's price follows an entity within 0.15-0.45; a recomputation charging the samples
    as they are (out of range too) disagrees with the ledger."""
    monkeypatch.setattr(MONEY_YEAR, "CLAMP_ENTITY_PRICE", False)
    report = MONEY_YEAR.run(days=35, seed=18)
    assert report.worst["energy"] > 100
