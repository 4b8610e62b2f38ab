"""Caps: a budget scaled down exactly to its cap."""

import numpy as np
import pandas as pd
import pytest

from planlib.budget.caps import apply_cap, split_cents


def _cents(values) -> np.ndarray:
    """Amounts as exact integer cents."""
    return np.rint(np.asarray(values, dtype=float) * 100).astype(np.int64)


def test_apply_cap_scales_down_to_the_cap_exactly_to_the_cent():
    # three equal items of 500,000 capped at 1,000,000: plain rounding falls a cent short
    budget = pd.Series({"tv": 500_000.0, "rent": 500_000.0, "wages": 500_000.0}, name="budget")
    before = budget.copy()
    out = apply_cap(budget, 1_000_000)
    assert _cents(out).sum() == 100_000_000
    assert out.sum() == pytest.approx(1_000_000, abs=1e-6)
    # largest remainder, ties to the lower label: rent gets the extra cent
    assert out.to_dict() == {"tv": 333_333.33, "rent": 333_333.34, "wages": 333_333.33}
    assert out.name == "budget"
    pd.testing.assert_series_equal(budget, before)


def test_apply_cap_uneven_amounts_sum_to_cap_and_stay_proportional():
    budget = pd.Series({"a": 1234.56, "b": 789.01, "c": 0.0, "d": 3333.33})
    out = apply_cap(budget, 4321.09)
    assert _cents(out).sum() == 432_109
    exact = budget * 4321.09 / budget.sum()
    assert (np.abs(out - exact) < 0.01).all()
    assert out["c"] == 0.0


def test_apply_cap_leaves_a_budget_within_the_cap_unchanged():
    budget = pd.Series({"a": 100.0, "b": 200.0})
    out = apply_cap(budget, 1000)
    pd.testing.assert_series_equal(out, budget)
    assert out is not budget


def test_split_cents_rows_sum_exactly_ties_to_the_first_column_zero_weights_evenly():
    out = split_cents(np.array([100, 7, 5]), np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 0.0]]))
    assert out.tolist() == [[34, 33, 33], [3, 2, 2], [3, 2, 0]]


def test_split_cents_keeps_real_remainders_of_large_totals():
    # 1e10 cents: a relative snap of 1e-9 would take the 0.4 remainder of the first column for whole
    total = np.array([10_000_000_001])
    out = split_cents(total, np.array([[4.0, 6.0]]))  # quotas 4,000,000,000.4 and 6,000,000,000.6
    assert out.tolist() == [[4_000_000_000, 6_000_000_001]]
