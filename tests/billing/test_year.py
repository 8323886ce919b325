"""The independent recomputation of a simulated stretch of time with the money features on
(bench/money_year.py; a year there, 60 days here): every figure agrees with the ledger to
less than one minor unit per room per cycle."""

from __future__ import annotations

from decimal import Decimal

from tests.test_readme import _bench

# Loaded at collection, as tests/test_readme.py says why.
MONEY_YEAR = _bench("money_year")


def test_sixty_days_agree_with_the_rules() -> None:
    report = MONEY_YEAR.run(days=60, seed=18)
    assert report.booked == 24  # 8 weekly statements x 3 rooms, each imported twice
    assert report.cycles >= 9
    assert set(report.worst) == {"energy", "standing", "top_ups", "recovered", "plan_debt_left"}
    for figure, worst in report.worst.items():
        assert worst < 1, figure
    assert report.worst["top_ups"] == report.worst["recovered"] == Decimal(0)
