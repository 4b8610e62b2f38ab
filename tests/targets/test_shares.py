"""Share methods (#11): forecast_proportions and the back-test that picks a method."""

import numpy as np
import pandas as pd
import pytest

from planlib.hierarchy import RegionTree
from planlib.targets import best_split_method, shares_for, split_backtest, split_down


def _monthly(child, start, values):
    months = pd.date_range(start, periods=len(values), freq="MS")
    return pd.DataFrame({"child": child, "month": months, "value": np.asarray(values, dtype=float)})


def _trending(years=3, grow=0.20, shrink=-0.20):
    """A grows 20% a year, B shrinks 20% a year, C is flat; all start at 100 a month."""
    n = 12 * years
    t = np.arange(n) // 12
    return pd.concat([_monthly("A", "2023-01", 100 * (1 + grow) ** t), _monthly("B", "2023-01", 100 * (1 + shrink) ** t),
                      _monthly("C", "2023-01", np.full(n, 100.0))], ignore_index=True)


def test_forecast_proportions_follow_each_childs_own_trend():
    h = _trending(years=2)  # 2023-2024
    fp = shares_for("forecast_proportions", h)
    pa = shares_for("proportion_averages", h)
    last = h[h["month"].dt.year == 2024].groupby("child")["value"].sum()
    last_share = last / last.sum()
    # the grower gets more than its last-year share, the shrinker less; averages pull back to the old share
    assert fp["A"] > last_share["A"] > pa["A"]
    assert fp["B"] < last_share["B"] < pa["B"]
    # each share is its own forecast (last year x (1 + own growth)) over the siblings'
    f = pd.Series({"A": 1440 * 1.2, "B": 960 * 0.8, "C": 1200.0})
    np.testing.assert_allclose(fp.to_numpy(), (f / f.sum()).to_numpy())


def test_a_child_without_a_usable_forecast_keeps_its_last_year_share():
    h = pd.concat([_monthly("A", "2023-01", np.r_[np.full(12, 100.0), np.full(12, 120.0)]),
                   _monthly("N", "2024-01", np.full(12, 60.0))], ignore_index=True)  # N opened in 2024
    fp = shares_for("forecast_proportions", h)
    assert abs(fp["N"] - 720 / (1440 + 720)) < 1e-12
    assert abs(fp["A"] - (1 - 720 / 2160)) < 1e-12


def test_a_growing_child_is_not_asked_to_shrink_by_forecast_proportions():
    tree = RegionTree(pd.DataFrame({"region_id": ["HQ", "A", "B", "C"], "parent_id": [None, "HQ", "HQ", "HQ"],
                                    "level": ["hq", "province", "province", "province"], "name": list("HABC")}))
    h = _trending(years=2).rename(columns={"child": "region_id"})
    last = h[h["month"].dt.year == 2024].groupby("region_id")["value"].sum()
    total = int(last.sum() * 1.02)  # the company grows 2%
    got = {m: split_down(tree, total, h, method=m).set_index("region_id")["target"] for m in
           ("proportion_averages", "forecast_proportions")}
    assert got["proportion_averages"]["A"] < last["A"]  # the grower punished by the old share
    assert got["forecast_proportions"]["A"] > last["A"]
    assert got["forecast_proportions"]["B"] < last["B"]


def test_backtest_picks_forecast_proportions_on_persistent_trends():
    bt = split_backtest(_trending(years=3), {"A": "P", "B": "P", "C": "P"}, 2026)
    assert list(bt.columns) == ["method", "wmape", "children", "parents"]
    assert best_split_method(bt) == "forecast_proportions"
    assert bt["wmape"].iloc[0] < bt["wmape"].iloc[1]
    assert int(bt["children"].iloc[0]) == 3 and int(bt["parents"].iloc[0]) == 1


def test_backtest_picks_averages_when_shares_revert():
    # A and B swap years: 2023 high, 2024 low, 2025 high -- trends mislead, averages do not
    a = np.r_[np.full(12, 130.0), np.full(12, 70.0), np.full(12, 130.0)]
    h = pd.concat([_monthly("A", "2023-01", a), _monthly("B", "2023-01", 200 - a)], ignore_index=True)
    bt = split_backtest(h, {"A": "P", "B": "P"}, 2026)
    assert best_split_method(bt) in ("proportion_averages", "average_proportions")


def test_backtest_without_a_test_year_is_empty_and_defaults_to_the_trend():
    bt = split_backtest(_trending(years=1), {"A": "P", "B": "P", "C": "P"}, 2030)
    assert bt.empty and best_split_method(bt) == "forecast_proportions"


def test_forecast_proportions_core_is_shares_for_on_the_same_months():
    """allocate_plan takes the array core where shares_for's checks pass: the same shares, bit for bit."""
    from planlib.targets.shares import forecast_proportions_core

    rng = np.random.default_rng(4)
    months = pd.date_range("2024-01-01", periods=36, freq="MS")
    for kids in (["A"], ["A", "B", "C"], [f"K{i}" for i in range(9)]):
        y = np.round(rng.gamma(2.0, 50.0, size=(len(kids), len(months))))
        y[0, :14] = 0.0  # a child opened within the window: no usable forecast
        tidy = pd.DataFrame({"child": np.repeat(np.asarray(kids, dtype=object), len(months)),
                             "month": np.tile(months.to_numpy(), len(kids)), "value": y.ravel()})
        general = shares_for("forecast_proportions", tidy, children=kids, window=(months[0], months[-1]))
        np.testing.assert_array_equal(forecast_proportions_core(y), general.to_numpy())
        assert general.sum() == pytest.approx(1.0)


def test_backtest_counts_a_child_without_rows_as_zeros_in_its_family():
    """A child named in ``parents`` without history rows is a row of zeros: the same back-test as with zero rows."""
    rng = np.random.default_rng(11)
    h = pd.concat([_monthly(k, "2023-01", np.round(rng.gamma(3.0, 40.0, 36))) for k in ("A", "B", "C", "D", "E")],
                  ignore_index=True)
    parents = {"A": "P", "B": "P", "Z": "P", "C": "Q", "D": "Q", "E": "Q", "Y": "R", "X": "R"}
    zeros = pd.concat([h, _monthly("Z", "2023-01", np.zeros(36)), _monthly("Y", "2023-01", np.zeros(36)),
                       _monthly("X", "2023-01", np.zeros(36))], ignore_index=True)
    got, want = split_backtest(h, parents, 2026), split_backtest(zeros, parents, 2026)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    # R has no sales: not counted; P and Q are, with their three children each
    assert int(got["parents"].iloc[0]) == 2 and int(got["children"].iloc[0]) == 6
