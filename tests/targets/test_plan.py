"""Targets: baseline, festival-aligned month shares, target kinds, milestones, reconciliation, diagnostics."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from planlib import calendar
from planlib import targets
from planlib.errors import ParamsError, PlanWarning

# a clean seasonal pattern (sums to 0 over the year) on top of a linear trend
SEASON = np.array([30, 20, -5, -10, -10, -5, 0, 0, 10, 5, -10, -25], dtype=float)


def _monthly(start: str, values, column: str = "volume") -> pd.DataFrame:
    """Monthly rows from ``start`` with the given values."""
    dates = pd.date_range(start, periods=len(values), freq="MS")
    return pd.DataFrame({"date": dates, column: np.asarray(values, dtype=float)})


def _trend_seasonal(n: int) -> pd.DataFrame:
    """100 + 2t + season, t = 0.. from 2022-01."""
    t = np.arange(n)
    return _monthly("2022-01-01", 100 + 2 * t + np.tile(SEASON, n // 12 + 1)[:n])


def _festival_spike_history() -> pd.DataFrame:
    """2018–2024: 1 a day, 10 a day in the 21 days before each Spring Festival, summed by month."""
    days = pd.date_range("2018-01-01", "2024-12-31", freq="D")
    daily = pd.Series(1.0, index=days)
    for year in range(2018, 2026):
        sf = pd.Timestamp(calendar.spring_festival(year))
        daily[(daily.index >= sf - pd.Timedelta(days=21)) & (daily.index < sf)] = 10.0
    m = daily.groupby(daily.index.to_period("M")).sum()
    return pd.DataFrame({"date": m.index.to_timestamp(), "volume": m.to_numpy()})


# -- baseline ------------------------------------------------------------------------------
def test_baseline_forecasts_trend_and_season_within_3pct():
    history = _trend_seasonal(36)  # 2022-01 .. 2024-12
    before = history.copy()
    b = targets.baseline(history, 2025)
    true_2025 = float((100 + 2 * np.arange(36, 48) + SEASON).sum())  # 2196
    assert b.method == "holt_winters_damped"
    assert abs(b.annual / true_2025 - 1) < 0.03
    assert b.monthly.index.tolist() == list(range(1, 13))
    assert b.monthly.sum() == pytest.approx(b.annual)
    pd.testing.assert_frame_equal(history, before)


def test_baseline_history_years_and_cagr():
    b = targets.baseline(_trend_seasonal(36), 2025)
    # year totals: 1200 + 2 Σt  ->  1332, 1620, 1908
    expected = pd.DataFrame(
        {"year": [2022, 2023, 2024], "value": [1332.0, 1620.0, 1908.0], "growth": [np.nan, 1620 / 1332 - 1, 1908 / 1620 - 1]}
    )
    pd.testing.assert_frame_equal(b.history_years, expected)
    assert b.cagr == pytest.approx((1908 / 1332) ** 0.5 - 1)


def test_baseline_short_history_uses_last12_growth():
    # 2023-07..2024-12: 10 a month, then 12 a month in 2024 H2 -> g = 72/60 − 1 = 20%
    history = _monthly("2023-07-01", [10.0] * 12 + [12.0] * 6)
    with pytest.warns(PlanWarning, match="calendar-month profile"):  # no complete festival year
        b = targets.baseline(history, 2025)
    assert b.method == "last12_growth"
    assert b.annual == pytest.approx(132 * 1.2)
    assert b.monthly.sum() == pytest.approx(b.annual)


def test_baseline_short_history_growth_is_clipped_at_30pct():
    history = _monthly("2023-07-01", [10.0] * 12 + [20.0] * 6)  # g = 120/60 − 1 = 100% -> 30%
    with pytest.warns(PlanWarning):
        b = targets.baseline(history, 2025)
    assert b.annual == pytest.approx(180 * 1.3)


def test_baseline_run_rate_below_12_months_warns():
    history = _monthly("2024-07-01", [8.0, 10.0, 12.0, 10.0, 10.0, 10.0])
    with pytest.warns(PlanWarning, match="run rate.*even by days"):
        b = targets.baseline(history, 2025)
    assert b.method == "run_rate"
    assert b.annual == pytest.approx(120.0)
    assert b.monthly.sum() == pytest.approx(120.0)
    assert math.isnan(b.cagr)


def test_baseline_zero_history_warns_and_is_zero():
    with pytest.warns(PlanWarning, match="baseline is 0"):
        b = targets.baseline(_monthly("2023-01-01", [0.0] * 24), 2025)
    assert b.method == "zero"
    assert b.annual == 0.0
    pd.testing.assert_series_equal(b.monthly, pd.Series(0.0, index=pd.RangeIndex(1, 13, name="month"), name="volume"))
    # a region without a single row (new this year): the same, and its history table is empty
    with pytest.warns(PlanWarning, match="baseline is 0"):
        none = targets.baseline(pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]"), "volume": []}), 2025)
    assert none.method == "zero" and none.history_years.empty and math.isnan(none.cagr)
    econ = targets.RegionEconomics("K3", pd.DataFrame({"date": [], "volume": [], "revenue": []}), 0.0, 0.0, 0.0,
                                   float("nan"))
    h = targets.baseline_history(econ, none, 2025, target=50.0)
    assert list(h["year"]) == ["2025 趋势预测", "2025 目标"] and h["growth"].isna().all()
    assert targets.baseline_reading(none, h, target=50.0) == "基线方法：无历史，基线为 0。趋势预测 0；目标 50。"


def test_baseline_falls_back_when_holt_winters_does_not_converge(monkeypatch):
    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    original = ExponentialSmoothing.fit

    def fit_that_warns(self, *args, **kwargs):
        import warnings

        warnings.warn("optimizer failed", ConvergenceWarning)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ExponentialSmoothing, "fit", fit_that_warns)
    history = _monthly("2023-01-01", [10.0] * 12 + [11.0] * 12)  # g = 132/120 − 1 = 10%
    with pytest.warns(PlanWarning, match="Holt-Winters did not fit.*did not converge"):
        b = targets.baseline(history, 2025)
    assert b.method == "last12_growth"
    assert b.annual == pytest.approx(132 * 1.1)


def test_baseline_history_inside_plan_year_raises():
    with pytest.raises(ParamsError, match="inside the plan year"):
        targets.baseline(_trend_seasonal(30), 2024)  # runs to 2024-06


# -- festival month shares -------------------------------------------------------------------
def test_festival_month_shares_peak_follows_spring_festival_date():
    history = _festival_spike_history()
    feb = targets.festival_month_shares(history, 2026)  # Spring Festival 2026-02-17
    jan = targets.festival_month_shares(history, 2025)  # Spring Festival 2025-01-29
    assert feb.idxmax() == 2
    assert jan.idxmax() == 1
    assert feb.sum() == pytest.approx(1.0)
    assert jan.sum() == pytest.approx(1.0)
    assert feb.index.tolist() == list(range(1, 13))


def test_festival_month_shares_flat_history_is_nearly_even_by_days():
    days_in = pd.date_range("2020-01-01", periods=60, freq="MS").days_in_month.astype(float)
    shares = targets.festival_month_shares(_monthly("2020-01-01", days_in), 2025)  # one a day, 2020–2024
    days = pd.date_range("2025-01-01", periods=12, freq="MS").days_in_month.to_numpy() / 365
    # festival years last 354 or 384 days, so equal slot shares land on days a little unevenly
    np.testing.assert_allclose(shares.to_numpy(), days, rtol=0.03)
    assert shares.sum() == pytest.approx(1.0)


def test_festival_month_shares_falls_back_to_calendar_profile():
    values = [2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 4.0]  # one calendar year, total 16
    with pytest.warns(PlanWarning, match="calendar-month profile"):
        shares = targets.festival_month_shares(_monthly("2024-01-01", values), 2026)
    np.testing.assert_allclose(shares.to_numpy(), np.array(values) / 16)


# -- set_targets -----------------------------------------------------------------------------
def _thousand_a_year() -> pd.DataFrame:
    """2025: 11 months of 80 and a December of 120 -> 1000 units; the 12-month baseline is 1000."""
    return _monthly("2025-01-01", [80.0] * 11 + [120.0])


def test_set_targets_hand_computed_kinds():
    with pytest.warns(PlanWarning, match="calendar"):
        t = targets.set_targets(
            _thousand_a_year(), 2026, stretch=0.05, unit_price=50, unit_cost=30, expense_ratio=0.15, market_volume=10_000
        )
    assert t["kind"].tolist() == list(targets.TARGET_KINDS)
    got = t.set_index("kind")[["baseline", "target", "flat20"]]
    expected = pd.DataFrame(
        {
            # baseline 1000: revenue 50,000, margin 20,000, expenses 7,500, profit 12,500
            "baseline": [1000.0, 50_000.0, 20_000.0, 7_500.0, 12_500.0, 0.1],
            # target 1050 = 1000 × 1.05
            "target": [1050.0, 52_500.0, 21_000.0, 7_875.0, 13_125.0, 0.105],
            # flat20 = 20% on top of the target (the source text's habit), not 1.2 × last year's 1000
            "flat20": [1260.0, 63_000.0, 25_200.0, 9_450.0, 15_750.0, 0.126],
        },
        index=pd.Index(list(targets.TARGET_KINDS), name="kind"),
    )
    pd.testing.assert_frame_equal(got, expected)
    assert t["basis"].str.len().gt(0).all()


def test_set_targets_budget_expenses_and_unknown_market():
    with pytest.warns(PlanWarning):
        t = targets.set_targets(_thousand_a_year(), 2026, stretch=0.0, unit_price=50, unit_cost=30, expenses=9_000)
    row = t.set_index("kind")
    assert row.loc["expenses", ["baseline", "target", "flat20"]].tolist() == [9_000.0, 9_000.0, 9_000.0]
    assert row.loc["profit", "target"] == pytest.approx(20_000 - 9_000)
    assert row.loc["market_share"].drop(["basis"]).isna().all()


def test_set_targets_needs_an_expense_basis():
    with pytest.raises(ParamsError, match="expense"):
        targets.set_targets(_thousand_a_year(), 2026, unit_price=50, unit_cost=30)


# -- milestones ------------------------------------------------------------------------------
def test_milestones_ceil_of_coverage():
    m = targets.milestones(7, [("2026-06-30", 0.4), ("2026-12-31", 0.6)])
    expected = pd.DataFrame(
        {
            "stage": np.array([1, 2], dtype="int64"),
            "date": pd.DatetimeIndex(["2026-06-30", "2026-12-31"]),
            "coverage": [0.4, 0.6],
            "terminals": np.array([3, 5], dtype="int64"),  # ceil(2.8), ceil(4.2)
        }
    )
    pd.testing.assert_frame_equal(m, expected)


def test_milestones_exact_products_do_not_round_up():
    m = targets.milestones(5, [("2026-06-30", 0.6)])  # 0.6 × 5 is 3.0000000000000004 in floats
    assert m["terminals"].tolist() == [3]


def test_milestones_coverage_must_rise():
    with pytest.raises(ParamsError, match="must rise"):
        targets.milestones(10, [("2026-06-30", 0.6), ("2026-12-31", 0.4)])


# -- reconcile -------------------------------------------------------------------------------
# top-down names A, B, C (1000); bottom-up names A, B, D (1050); C has no proposal, D no allocation
TOP_DOWN = pd.Series({"A": 500, "B": 300, "C": 200})
BOTTOM_UP = pd.Series({"A": 600, "B": 300, "D": 150})


def test_reconcile_gap_table_by_hand():
    r = targets.reconcile(TOP_DOWN, BOTTOM_UP, method="top_down")
    expected = pd.DataFrame(
        {
            "child": ["A", "B", "C", "D"],
            "top_down": [500.0, 300.0, 200.0, 0.0],
            "bottom_up": [600.0, 300.0, 0.0, 150.0],
            "gap": [100.0, 0.0, -200.0, 150.0],
            "gap_pct": [0.2, 0.0, -1.0, np.nan],
            "reconciled": np.array([500, 300, 200, 0], dtype="int64"),
        }
    )
    pd.testing.assert_frame_equal(r, expected)


def test_reconcile_scale_bottom_up_sums_to_top_down_total():
    r = targets.reconcile(TOP_DOWN, BOTTOM_UP)  # default scale_bottom_up
    # 600, 300, 0, 150 × 1000/1050 = 571.43, 285.71, 0, 142.86 -> the 2 spare units go to D, B
    assert r["reconciled"].tolist() == [571, 286, 0, 143]
    assert r["reconciled"].sum() == 1000


def test_reconcile_scale_bottom_up_at_unit_100():
    r = targets.reconcile(TOP_DOWN, BOTTOM_UP, unit=100)
    # quotas 5.71, 2.86, 0, 1.43 units: floors 5, 2, 0, 1 and two spare units to B then A
    assert r["reconciled"].tolist() == [600, 300, 0, 100]


def test_reconcile_bottom_up_and_blend():
    bu = targets.reconcile(TOP_DOWN, BOTTOM_UP, method="bottom_up")
    assert bu["reconciled"].tolist() == [600, 300, 0, 150]
    blend = targets.reconcile(TOP_DOWN, BOTTOM_UP, method="blend", weight=0.5)
    assert blend["reconciled"].tolist() == [550, 300, 100, 75]
    assert blend["reconciled"].sum() == 1025
    heavy = targets.reconcile(TOP_DOWN, BOTTOM_UP, method="blend", weight=0.4, unit=10)
    # 0.4 TD + 0.6 BU = 560, 300, 80, 90 -> 1030
    assert heavy["reconciled"].tolist() == [560, 300, 80, 90]


def test_reconcile_scale_with_no_proposals_takes_top_down():
    with pytest.warns(PlanWarning, match="top-down split is taken"):
        r = targets.reconcile(TOP_DOWN, pd.Series({"A": 0, "B": 0}))
    assert r["reconciled"].tolist() == [500, 300, 200]


def test_reconcile_unknown_method_lists_valid_ones():
    with pytest.raises(ParamsError, match="top_down, bottom_up, blend, scale_bottom_up"):
        targets.reconcile(TOP_DOWN, BOTTOM_UP, method="average")


def test_reconcile_does_not_mutate_inputs():
    td, bu = TOP_DOWN.copy(), BOTTOM_UP.copy()
    targets.reconcile(td, bu, method="blend")
    pd.testing.assert_series_equal(td, TOP_DOWN)
    pd.testing.assert_series_equal(bu, BOTTOM_UP)


# -- diagnostics -----------------------------------------------------------------------------
# A grows 10% (trend 5%), B 50% beyond its potential, C flat with unknown potential, D is new
DIAG = dict(
    targets=pd.Series({"A": 110.0, "B": 150.0, "C": 50.0, "D": 30.0}),
    last_year=pd.Series({"A": 100.0, "B": 100.0, "C": 50.0}),
    trend=pd.Series({"A": 0.05, "B": 0.1, "C": 0.0}),
    potential=pd.Series({"A": 200.0, "B": 140.0}),
)


def test_diagnostics_flags_beyond_potential():
    d = targets.diagnostics(**DIAG)
    expected = pd.DataFrame(
        {
            "child": ["A", "B", "C", "D"],
            "target": [110.0, 150.0, 50.0, 30.0],
            "last_year": [100.0, 100.0, 50.0, 0.0],
            "implied_growth": [0.1, 0.5, 0.0, np.nan],
            "trend_growth": [0.05, 0.1, 0.0, np.nan],
            "growth_vs_trend": [0.05, 0.4, 0.0, np.nan],
            "shrinks_against_trend": [False, False, False, False],
            "potential": [200.0, 140.0, np.nan, np.nan],
            "beyond_potential": [False, True, False, False],
        }
    )
    pd.testing.assert_frame_equal(d, expected)


def test_diagnostics_without_potential_flags_nobody():
    d = targets.diagnostics(**{**DIAG, "potential": None})
    assert not d["beyond_potential"].any()


def test_fairness_numbers_by_hand():
    f = targets.fairness(targets.diagnostics(**DIAG))
    # growths 0.1, 0.5, 0.0: mean 0.2, squared deviations 0.01 + 0.09 + 0.04 = 0.14 over 2
    assert f["std"] == pytest.approx(math.sqrt(0.07))
    assert f["iqr"] == pytest.approx(0.3 - 0.05)  # Q3 = 0.3, Q1 = 0.05 (linear)
    assert (f["min_child"], f["max_child"]) == ("C", "B")
    assert (f["min_growth"], f["max_growth"]) == (0.0, 0.5)
    assert (f["children"], f["beyond_potential"]) == (3, 1)
    assert f["shrinks_against_trend"] == []


def test_a_growing_child_asked_below_last_year_is_flagged_by_name():
    # E's own trend grows 12% but it is asked 4% below last year; F shrinks with its trend
    d = targets.diagnostics(targets=pd.Series({"E": 96.0, "F": 80.0}), last_year=pd.Series({"E": 100.0, "F": 100.0}),
                            trend=pd.Series({"E": 0.12, "F": -0.25}), potential=None)
    assert d["shrinks_against_trend"].tolist() == [True, False]
    assert targets.fairness(d)["shrinks_against_trend"] == ["E"]
    children = pd.DataFrame({"region_id": ["E", "F"], "name": ["章丘区", "丰县"], "last_year_volume": [100.0, 100.0],
                             "target_volume": [96.0, 80.0], "growth": [-0.04, -0.2], "baseline": [112.0, 75.0],
                             "vs_baseline": [96 / 112 - 1, 80 / 75 - 1], "trend_growth": [0.12, -0.25],
                             "shrinks_against_trend": [True, False]})
    text = targets.fairness_reading(children)
    assert "1 个下级自身趋势向上却被要求低于去年" in text and "章丘区" in text.split("注意")[1]
    assert "丰县" not in text.split("注意")[1]
    assert "记在本级" not in text  # no parent's volume given: nothing said of sales outside the children
    # the parent sold 300 last year, its children 200: 100 (33.3%) was recorded at the parent, in no child
    direct = targets.fairness_reading(children, parent_last_year=300.0)
    assert "注意：去年有 100 箱（本级销量的 33.3%）记在本级、不属于任何下级，分解把这部分也分给了各下级" in direct
    big = children.assign(last_year_volume=[100_000.0, 99_500.0])
    assert "记在本级" not in targets.fairness_reading(big, parent_last_year=200_000.0)  # 500 = 0.25%: not spoken of
    assert "记在本级" in targets.fairness_reading(big, parent_last_year=201_500.0)  # 2,000 = 0.99%
    # children without last year's sales: all of it was the parent's own, said all the same
    none = targets.fairness_reading(children.assign(last_year_volume=0.0, growth=None), parent_last_year=300.0)
    assert none.startswith("没有下级有去年的数据可比。注意：去年有 300 箱（本级销量的 100.0%）记在本级")



def test_children_held_at_their_potential_are_named():
    """安徽省's page listed seven cities whose target equals their potential and said only "没有下级目标超出潜力"."""
    names = ["金水市", "白河市", "西营市", "丰安市", "西山市", "华川市", "柳河市", "兴沟市"]
    target = [212_768.0, 163_859.0, 114_247.0, 64_639.0, 109_040.0, 72_237.0, 77_416.0, 128_762.0]
    potential = [212_768.0, 163_859.0, 114_247.0, 64_639.0, 109_040.0, 72_237.0, 77_416.0, 128_773.0]
    children = pd.DataFrame({"region_id": [f"C{i}" for i in range(8)], "name": names, "last_year_volume": [100.0] * 8,
                             "target_volume": target, "growth": [0.05] * 8, "potential": potential,
                             "beyond_potential": [False] * 8})
    text = targets.fairness_reading(children)
    assert ("7 个下级的目标正好等于其潜力（潜力上限封顶，它们分不到的量分给了其他下级）：金水市、白河市、西营市、丰安市、西山市等。"
            in text)
    assert "兴沟市" not in text  # 11 boxes below its potential: not held
    assert "正好等于其潜力" not in targets.fairness_reading(children.iloc[7:])


# -- the plan as a whole: region kinds and the region view -----------------------------------


def _plan_table():
    """K1 and K2 under C1, two months; K1 has one named terminal and a township C/D line."""
    import numpy as np

    rows = []
    for region, vols, last in (("C1", (30, 70), (20, 60)), ("K1", (10, 30), (5, 25)), ("K2", (20, 40), (15, 35))):
        for m, v, ly in zip((1, 2), vols, last):
            rows.append((region, pd.Timestamp(2027, m, 1), None, None, None, v, v * 10.0, ly))
    for m, v in zip((1, 2), (4, 12)):
        rows.append(("K1", pd.Timestamp(2027, m, 1), "A", "T1", None, v, v * 10.0, 0))
        rows.append(("K1T1", pd.Timestamp(2027, m, 1), "CD", None, None, 10 - v if m == 1 else 30 - v, 0.0, 0))
    t = pd.DataFrame(rows, columns=["region_id", "month", "terminal_class", "terminal_id", "channel",
                                    "target_volume", "target_revenue", "last_year_volume"])
    return t.assign(product_line=np.nan, sku=np.nan, level="county", share=np.nan)


def _with_distributor_lines(t: pd.DataFrame) -> pd.DataFrame:
    """C1's months also broken down by a distributor and the direct bucket (breakdown rows, not totals)."""
    dist = pd.DataFrame({"region_id": "C1", "month": [pd.Timestamp(2027, m, 1) for m in (1, 2, 1, 2)],
                         "distributor_id": ["D1", "D1", "直供", "直供"], "target_volume": [20, 50, 10, 20],
                         "target_revenue": [200.0, 500.0, 100.0, 200.0], "last_year_volume": [15.0, 40.0, 5.0, 20.0],
                         "level": "city", "share": np.nan})
    return pd.concat([t.assign(distributor_id=np.nan), dist], ignore_index=True)


def _tree():
    from planlib.hierarchy import RegionTree

    return RegionTree(pd.DataFrame({"region_id": ["C1", "K1", "K2", "K1T1"], "name": ["济南市", "历城区", "章丘区", "港沟镇"],
                                    "level": ["city", "county", "county", "township"],
                                    "parent_id": [None, "C1", "C1", "K1"]}))


def test_region_kinds_prices_the_allocated_volume():
    months = pd.date_range("2024-01-01", "2026-12-01", freq="MS")
    monthly = pd.DataFrame({"date": months, "volume": 10.0, "revenue": 100.0})
    econ = targets.RegionEconomics("C1", monthly, unit_price=10.0, unit_cost=6.0, expense_ratio=0.15, market_volume=400.0)
    kinds = targets.region_kinds(econ, _with_distributor_lines(_plan_table()), plan_year=2027).set_index("kind")
    # target volume 100, revenue 1,000 (the distributor lines are a breakdown, not counted again);
    # margin 1,000 - 600 = 400; expenses 150; profit 250; share 0.25
    assert kinds.loc["volume", "target"] == 100 and kinds.loc["revenue", "target"] == 1000
    assert kinds.loc["gross_margin", "target"] == pytest.approx(400.0)
    assert kinds.loc["expenses", "target"] == pytest.approx(150.0)
    assert kinds.loc["profit", "target"] == pytest.approx(250.0)
    assert kinds.loc["market_share", "target"] == pytest.approx(0.25)
    # last year 120 units / 1,200; +20% on top of the target 100 asks 120 (not 1.2 × last year = 144)
    assert kinds.loc["volume", "last_year"] == 120 and kinds.loc["volume", "flat20"] == pytest.approx(120.0)
    assert kinds.loc["revenue", "flat20"] == pytest.approx(1200.0)
    assert kinds.loc["expenses", "basis"].startswith("去年费用率 15.0%")


def test_region_kinds_prices_the_target_with_the_runs_budget_beside_the_profit_target():
    months = pd.date_range("2024-01-01", "2026-12-01", freq="MS")
    monthly = pd.DataFrame({"date": months, "volume": 10.0, "revenue": 100.0})
    econ = targets.RegionEconomics("C1", monthly, unit_price=10.0, unit_cost=6.0, expense_ratio=0.15, market_volume=400.0)
    kinds = targets.region_kinds(econ, _plan_table(), plan_year=2027, budget=220.0).set_index("kind")
    # the profit target stays at last year's ratio: 400 - 150 = 250; with the budget 220: 180
    assert kinds.loc["profit", "target"] == pytest.approx(250.0)
    assert kinds.loc["expenses", "with_budget"] == pytest.approx(220.0)
    assert kinds.loc["profit", "with_budget"] == pytest.approx(180.0)
    assert kinds.loc["volume", "with_budget"] == kinds.loc["volume", "target"] == 100
    reading = targets.kinds_reading(kinds.reset_index())
    assert "利润目标 250" in reading and "费用预算 220" in reading and "目标下利润 180，比利润目标少 70" in reading
    figures = dict(targets.key_figures(kinds.reset_index(), 2027))
    assert figures["目标下利润（按预算）profit at target with the budget"] == "180"
    # without a budget the column is empty and the sentence says the budget comes later
    plain = targets.region_kinds(econ, _plan_table(), plan_year=2027)
    assert plain["with_budget"].isna().all() and "尚无费用预算" in targets.kinds_reading(plain)
    for bad in (-1.0, float("nan"), "220"):
        with pytest.raises(ParamsError, match="budget for C1"):
            targets.region_kinds(econ, _plan_table(), plan_year=2027, budget=bad)


def test_kinds_reading_says_a_ratio_without_a_denominator_in_words_never_nan():
    """章丘区 sold 120 cases for no revenue last year: "按本次费用预算 0（费用率 nan%）" lost its nan to localize and read
    "（费用率 %）"; a region without a trend forecast read "比自身趋势预测 +nan%"."""
    monthly = pd.DataFrame({"date": pd.date_range("2024-01-01", "2026-12-01", freq="MS"), "volume": 10.0, "revenue": 0.0})
    econ = targets.RegionEconomics("C1", monthly, unit_price=0.0, unit_cost=6.0, expense_ratio=0.0, market_volume=400.0)
    table = _plan_table().assign(target_revenue=0.0)
    kinds = targets.region_kinds(econ, table, plan_year=2027, budget=0.0, profit_target=-600.0)
    reading = targets.kinds_reading(kinds)
    assert reading.startswith("目标销量比去年 -16.7%，比自身趋势预测 ")  # 100 cases on last year's 120
    assert "利润目标 -600（去年有销量而没有销售额，费用率无从计算）" in reading
    assert "按本次费用预算 0（销售额目标为零，费用率无从计算），目标下利润 -600，比利润目标多 0" in reading
    assert "nan" not in reading and "%）" not in reading
    plain = targets.region_kinds(econ, table, plan_year=2027).set_index("kind")
    assert plain.loc["expenses", "basis"] == "去年有销量而没有销售额，费用率无从计算：按 0 × 销售额"
    # no trend forecast (a forecast of 0) and no sales last year: neither growth is printed
    flat = kinds.assign(baseline=0.0, last_year=0.0)
    assert targets.kinds_reading(flat).startswith("去年没有销售：目标依据方案的分解；利润目标 -600；按本次费用预算 0")


def test_region_view_children_and_terminal_lines():
    view = targets.region_view(_plan_table(), _tree(), "C1")
    kids = view.children.set_index("region_id")
    assert kids["target_volume"].to_dict() == {"K1": 40, "K2": 60}
    assert kids["target_volume"].sum() == view.months["target_volume"].sum() == 100
    assert kids.loc["K1", "growth"] == pytest.approx(40 / 30 - 1)
    k1 = targets.region_view(_plan_table(), _tree(), "K1")
    lines = k1.terminals.set_index("terminal_class")["全年"]
    assert lines.sum() == k1.months["target_volume"].sum() == 40  # terminal lines add up to the county


def test_region_view_sets_each_child_beside_its_own_trend_and_potential():
    baselines = pd.Series({"K1": 32.0, "K2": 80.0})
    view = targets.region_view(_plan_table(), _tree(), "C1", baselines=baselines,
                               potential=pd.Series({"K1": 35.0, "K2": 100.0}))
    kids = view.children.set_index("region_id")
    # K1: target 40 against its own trend 32 (+25%), above its potential 35; K2: 60 / 80 - 1 = -25%
    assert kids["vs_baseline"].to_dict() == pytest.approx({"K1": 0.25, "K2": -0.25})
    assert kids["beyond_potential"].to_dict() == {"K1": True, "K2": False}
    reading = targets.fairness_reading(view.children)
    assert "比自身趋势预测要求最多的是 历城区（+25.0%），最少的是 章丘区（-25.0%）。" in reading
    # every child at one ratio of its own trend (the proposals scaled to the parent): said once, no "most"
    same = targets.fairness_reading(view.children.assign(vs_baseline=[-0.0376, -0.0384]))  # both shown as -3.8%
    assert "各下级目标都比自身趋势预测 -3.8%。" in same and "最多" not in same
    one = targets.fairness_reading(view.children.assign(vs_baseline=[0.031, None]))
    assert "历城区 比自身趋势预测 +3.1%。" in one
    assert "1 个下级目标超出潜力：历城区" in reading and reading.endswith("各下级合计恰等于本级目标。")


def test_baseline_history_sets_past_growth_market_and_share_beside_the_baseline():
    months = pd.date_range("2024-01-01", "2026-12-01", freq="MS")
    # 10, 11, 12 a month: 120, 132, 144 a year (+10%, +9.1%)
    vol = np.repeat([10.0, 11.0, 12.0], 12)
    monthly = pd.DataFrame({"date": months, "volume": vol, "revenue": vol * 10})
    market = pd.DataFrame({"year": [2024, 2025, 2026], "market_volume": [400.0, 500.0, 600.0]})
    econ = targets.RegionEconomics("C1", monthly, unit_price=10.0, unit_cost=6.0, expense_ratio=0.15,
                                   market_volume=600.0, market_years=market)
    base = targets.region_baseline(econ, 2027)
    h = targets.baseline_history(econ, base, 2027, target=180.0).set_index("year")
    assert list(h.index) == ["2024", "2025", "2026", "2027 趋势预测", "2027 目标"]
    assert h.loc["2025", "growth"] == pytest.approx(0.10) and h.loc["2026", "growth"] == pytest.approx(144 / 132 - 1)
    assert h.loc["2025", "market_growth"] == pytest.approx(0.25) and h.loc["2026", "market_growth"] == pytest.approx(0.20)
    assert h.loc["2024", "own_share"] == pytest.approx(0.30) and h.loc["2026", "own_share"] == pytest.approx(0.24)
    # the plan year against the last complete year, its share of last year's market
    assert h.loc["2027 目标", "growth"] == pytest.approx(180 / 144 - 1)
    assert h.loc["2027 目标", "own_share"] == pytest.approx(0.30)
    assert h.loc["2027 趋势预测", "volume"] == pytest.approx(base.annual)
    reading = targets.baseline_reading(base, h.reset_index(), target=180.0)
    assert reading.startswith("基线方法：") and "2024–2026 年复合增长 +9.5%" in reading
    assert f"比趋势预测 {180 / base.annual - 1:+.1%}" in reading
    # no market records: the market columns are empty, nothing fails
    bare = targets.baseline_history(targets.RegionEconomics("C1", monthly, 10.0, 6.0, 0.15, float("nan")), base, 2027,
                                    target=180.0)
    assert bare["market_volume"].isna().all() and bare["own_share"].isna().all()


def test_region_view_breakdowns_include_sku_and_distributor():
    # C1's two months broken down by one SKU and by a distributor plus the direct bucket
    t = _plan_table().assign(distributor_id=np.nan)
    extra = pd.DataFrame({
        "region_id": "C1", "month": [pd.Timestamp(2027, 1, 1), pd.Timestamp(2027, 2, 1)] * 3,
        "sku": ["KY-BJ-01"] * 2 + [np.nan] * 4, "distributor_id": [np.nan] * 2 + ["D1", "D1", "直供", "直供"],
        "target_volume": [30, 70, 20, 50, 10, 20], "target_revenue": 0.0, "last_year_volume": 0.0,
        "level": "city", "share": np.nan})
    t = pd.concat([t, extra], ignore_index=True)
    view = targets.region_view(t, _tree(), "C1")
    assert list(view.breakdowns) == ["product_line", "sku", "channel", "terminal_class", "distributor_id"]
    assert view.breakdowns["sku"].set_index("sku")["target_volume"].to_dict() == {"KY-BJ-01": 100}
    assert view.breakdowns["distributor_id"].set_index("distributor_id")["target_volume"].to_dict() == {
        "D1": 70, "直供": 30}
    # a table written before the distributor breakdown: the key is there, empty
    old = targets.region_view(_plan_table(), _tree(), "C1")
    assert "distributor_id" in old.breakdowns and old.breakdowns["distributor_id"].empty


# -- the root target (#11): forecast × stretch, growth on last year, a fixed volume or revenue --
def _root_inputs():
    months = pd.date_range("2025-01-01", "2026-12-01", freq="MS")
    monthly = pd.DataFrame({"date": months, "volume": np.repeat([90.0, 100.0], 12), "revenue": np.repeat([900.0, 1250.0], 12)})
    econ = targets.RegionEconomics("HQ", monthly, unit_price=12.5, unit_cost=6.0, expense_ratio=0.15,
                                   market_volume=float("nan"))
    base = targets.Baseline(1300.0, pd.Series(1300.0 / 12, index=range(1, 13)), "last12_growth", pd.DataFrame(), float("nan"))
    return base, econ


@pytest.mark.parametrize(("section", "volume", "says"), [
    ({}, 1365, "stretch 5.0%"),                                         # 1,300 × 1.05
    ({"root": "growth", "growth": 0.12}, 1344, "last year 1,200"),      # last year 1,200 × 1.12
    ({"root": "volume", "volume": 1_350_000}, 1_350_000, "fixed volume"),
    ({"root": "revenue", "revenue": 20_000.0}, 1600, "realised price 12.50"),  # 20,000 / 12.5
])
def test_root_target_by_mode(section, volume, says):
    from planlib.params.model import Targets

    base, econ = _root_inputs()
    got, how = targets.root_target(Targets(**section), base, econ, 2027)
    assert got == volume and says in how


def test_root_target_rounds_to_the_unit_and_set_targets_prices_it():
    from planlib.params.model import Targets

    base, econ = _root_inputs()
    got, how = targets.root_target(Targets(root="growth", growth=0.12, unit=100), base, econ, 2027)
    assert got == 1300  # 1,344 to the nearest 100
    kinds = targets.set_targets(econ.monthly, 2027, unit_price=12.5, unit_cost=6.0, expense_ratio=0.15,
                                target_volume=got, target_basis=how).set_index("kind")
    assert kinds.loc["volume", "target"] == 1300 and kinds.loc["revenue", "target"] == pytest.approx(16_250.0)
    assert kinds.loc["volume", "flat20"] == pytest.approx(1560.0) and "growth 12.0%" in kinds.loc["volume", "basis"]


@pytest.mark.parametrize(("section", "message"), [
    ({"root": "growth"}, "root: growth needs targets.growth"),
    ({"root": "volume"}, "root: volume needs targets.volume"),
    ({"root": "revenue"}, "root: revenue needs targets.revenue"),
    ({"root": "volume", "volume": -5}, "greater than 0"),
    ({"root": "guess"}, "forecast"),
])
def test_root_target_params_are_checked(section, message):
    from pydantic import ValidationError

    from planlib.params.model import Targets

    with pytest.raises(ValidationError, match=message):
        Targets(**section)


# -- optional data stays optional (#11): no market records -----------------------------------
def test_plan_targets_without_market_records_runs_without_caps_and_says_so(tiny_plan):
    import duckdb

    from planlib import archive, params

    con = duckdb.connect(str(tiny_plan.parent / "tiny.duckdb"))
    con.execute("DELETE FROM market")
    con.close()
    tiny_plan.write_text(tiny_plan.read_text(encoding="utf-8") + "split:\n  cap: 1.0\n  method: potential\n",
                         encoding="utf-8")
    plan = params.load_plan(tiny_plan)
    con = archive.connect(plan.archive)
    try:
        tree = archive.load_tree(con)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pt = targets.plan_targets(plan, tree, con)
    finally:
        con.close()
    said = [str(w.message) for w in caught if "no market records" in str(w.message)]
    assert len(said) == 1 and "the cap (split.cap), method potential (split.method) is not applied" in said[0]
    kinds = pt.kinds.set_index("kind")
    assert np.isnan(kinds.loc["market_share", "target"]) and kinds.loc["market_share", "basis"] == "market volume unknown"
    assert pt.split.method in ("forecast_proportions", "proportion_averages", "average_proportions")
    tot = pt.table[pt.table["region_id"] == "C1"]
    assert tot["target_volume"].sum() > 0


# -- bottom-up becomes the plan (#11): split.reconcile set -----------------------------------
def test_reconciled_targets_are_the_plan_and_are_split_further(tiny_plan):
    from planlib import archive, params

    # K1 sells more than K2, but the proposals say K2 will sell three times K1
    (tiny_plan.parent / "proposals.csv").write_text("region_id,volume\nK1,1000\nK2,3000\nP1,5000\nC1,5000\n",
                                                    encoding="utf-8")
    base_text = tiny_plan.read_text(encoding="utf-8")

    def plan_with(split_yaml):
        tiny_plan.write_text(base_text + split_yaml, encoding="utf-8")
        return params.load_plan(tiny_plan)

    def totals(pt):
        t = pt.table
        rows = t[t[["product_line", "sku", "channel", "terminal_class", "terminal_id"]].isna().all(axis=1)]
        if "distributor_id" in rows:
            rows = rows[rows["distributor_id"].isna()]
        return rows.groupby("region_id")["target_volume"].sum()

    con = archive.connect(tiny_plan.parent / "tiny.duckdb")
    try:
        tree = archive.load_tree(con)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            top_down = totals(targets.plan_targets(plan_with("split:\n  proposals: proposals.csv\n  floor: null\n"),
                                                   tree, con))
            plan = plan_with("split:\n  proposals: proposals.csv\n  reconcile: scale_bottom_up\n  floor: null\n")
            pt = targets.plan_targets(plan, tree, con)
            got = totals(pt)
            gap = targets.reconciled_children(con, tree, "C1", plan.year, target=int(got["C1"]), split=plan.split,
                                              method=pt.split.method, stretch=plan.targets.stretch)
    finally:
        con.close()
    assert top_down["K1"] > top_down["K2"]  # top-down follows their history
    # reconciled: C1's target scaled to the proposals 1 : 3 (K3 proposed nothing and sold nothing: 0)
    assert got["K1"] + got["K2"] + got.get("K3", 0) == got["C1"]
    assert got["K2"] == pytest.approx(3 * got["K1"], abs=2)
    # the page's reconciliation is the plan's number, child by child
    body = gap.iloc[:-1].set_index("region_id")
    assert body.loc["K1", "reconciled"] == got["K1"] and body.loc["K2", "reconciled"] == got["K2"]
    src = targets.target_source(plan, pt.split)
    assert "上下结合（提案按比例缩放）——下级提案按上级目标等比缩放" in src


def test_sales_of_a_sku_the_products_table_lacks_are_warned_as_left_out_of_the_split(tiny_plan):
    import duckdb

    from planlib import archive, params

    path = tiny_plan.parent / "tiny.duckdb"
    with duckdb.connect(str(path)) as c:
        sku, vol = c.execute("SELECT sku, sum(volume) FROM sales WHERE brand = 'own' AND grain = 'month' "
                             "AND year(date) = 2025 GROUP BY sku ORDER BY sum(volume) LIMIT 1").fetchone()
        c.execute("DELETE FROM products WHERE sku = ?", [sku])
    plan = params.load_plan(tiny_plan)
    con = archive.connect(path)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            targets.plan_targets(plan, archive.load_tree(con), con)
    finally:
        con.close()
    said = [str(w.message) for w in caught if issubclass(w.category, PlanWarning)]
    assert any(t.startswith(f"{vol:,.0f} of HQ's ") and "cases of own monthly sales in 2025 name a SKU the products "
               "table lacks" in t for t in said), said


# -- seasonality is a choice (#11) ------------------------------------------------------------
def _summer_drinks(years=(2023, 2024, 2025, 2026)):
    """A calendar-seasonal business: July and August twice the other months, no festival effect."""
    months = pd.date_range(f"{years[0]}-01-01", f"{years[-1]}-12-01", freq="MS")
    vol = np.where(np.isin(months.month, [7, 8]), 200.0, 100.0)
    return pd.DataFrame({"date": months, "volume": vol, "revenue": vol * 5})


def test_auto_seasonality_picks_calendar_for_a_summer_business():
    choice = targets.plan_month_shares(_summer_drinks(), 2027, "auto")
    assert choice.seasonality == "calendar" and choice.asked == "auto"
    bt = choice.backtest.set_index("seasonality")["error"]
    assert bt["calendar"] == pytest.approx(0.0, abs=1e-12) and bt["spring_festival"] > 0.01
    # the calendar profile keeps the summer where it is: 200 / 1,400 in July and August
    assert choice.shares[7] == pytest.approx(200 / 1400) and choice.shares[1] == pytest.approx(100 / 1400)
    assert "月度分解：按公历月份的季节曲线（自动选择：用此前历史预测去年各月，误差 0.0%，按春节对齐为 " in choice.reading


def test_seasonality_can_be_set_and_auto_without_history_keeps_the_festival():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert targets.plan_month_shares(_summer_drinks(), 2027, "spring_festival").seasonality == "spring_festival"
        short = targets.plan_month_shares(_summer_drinks(years=(2026,)), 2027, "auto")
    assert short.seasonality == "spring_festival" and short.backtest.empty
    with pytest.raises(ParamsError, match="seasonality"):
        targets.plan_month_shares(_summer_drinks(), 2027, "lunar")


def test_a_profile_the_history_cannot_give_is_named_as_the_one_used():
    """One calendar year of history holds no complete festival year: the shares are the calendar
    profile's, and the page says so (it said 'Spring Festival aligned' beside the step's warning)."""
    with pytest.warns(PlanWarning, match="no complete festival year"):
        short = targets.plan_month_shares(_summer_drinks(years=(2026,)), 2027, "auto")
    assert short.seasonality == "spring_festival" and short.used == "calendar" and short.profile == "calendar"
    assert short.shares[7] == pytest.approx(200 / 1400)  # the calendar profile's July
    assert short.reading == "月度分解：按公历月份的季节曲线（档案中没有一个完整的春节年度，春节对齐不可用）；各月合计恰等于全年目标。"
    half = _summer_drinks(years=(2026,)).iloc[6:]  # July to December: no complete year at all
    with pytest.warns(PlanWarning, match="even by days"):
        even = targets.plan_month_shares(half, 2027, "spring_festival")
    assert even.used == "even_days" and even.shares[1] == pytest.approx(31 / 365)
    assert "按各月天数平均（档案中没有完整一年的销量，季节曲线不可用）" in even.reading
    cal = targets.plan_month_shares(half, 2027, "calendar")
    assert cal.used == "even_days" and cal.shares[2] == pytest.approx(28 / 365)
    full = targets.plan_month_shares(_summer_drinks(), 2027, "calendar")
    assert full.used is None and full.profile == "calendar"


def test_reconciled_targets_keep_the_floor(tiny_plan):
    from planlib import archive, params

    # K2 proposes a collapse to 10; the floor (at most 20% below last year) keeps it up
    (tiny_plan.parent / "proposals.csv").write_text("region_id,volume\nK1,100000\nK2,10\nP1,5000\nC1,5000\n",
                                                    encoding="utf-8")
    tiny_plan.write_text(tiny_plan.read_text(encoding="utf-8")
                         + "split:\n  proposals: proposals.csv\n  reconcile: scale_bottom_up\n  floor: 0.2\n",
                         encoding="utf-8")
    plan = params.load_plan(tiny_plan)
    con = archive.connect(plan.archive)
    try:
        tree = archive.load_tree(con)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pt = targets.plan_targets(plan, tree, con)
    finally:
        con.close()
    t = pt.table
    tot = t[targets.breakdown_of(t) == "total"].groupby("region_id")[["target_volume", "last_year_volume"]].sum()
    assert tot.loc["K2", "target_volume"] >= 0.8 * tot.loc["K2", "last_year_volume"] - 1
    assert tot.loc[["K1", "K2", "K3"], "target_volume"].sum() == tot.loc["C1", "target_volume"]


def test_reconciled_holds_chain_each_parents_reconciled_children_from_one_read(tiny_plan):
    from planlib import archive, params
    from planlib.archive.queries import targets as queries

    tiny_plan.write_text(tiny_plan.read_text(encoding="utf-8") + "split:\n  reconcile: scale_bottom_up\n  floor: 0.2\n",
                         encoding="utf-8")
    plan = params.load_plan(tiny_plan)
    con = archive.connect(plan.archive)
    try:
        tree = archive.load_tree(con)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            holds = targets.reconciled_holds(plan, tree, con, total=5000, method="proportion_averages",
                                             levels=("province", "city", "county"))
            # the same, parent by parent, each reading its children's history on its own
            chained, target = {}, {"HQ": 5000}
            for parent in ("HQ", "P1", "C1"):
                gap = targets.reconciled_children(con, tree, parent, plan.year, target=target[parent],
                                                  split=plan.split, method="proportion_averages",
                                                  stretch=plan.targets.stretch)
                body = gap.iloc[:-1]
                target.update({k: int(round(v)) for k, v in zip(body["region_id"], body["reconciled"])})
                chained.update({k: int(round(v)) for k, v in zip(body["region_id"], body["reconciled"])})
            raw = queries.children_monthly_volume(con, list(tree.subtree("C1")), 1900, plan.year)
            full = targets.children_history(raw, tree, ["K1", "K2", "K3"])
            pure = targets.reconcile_children(full, tree, "C1", plan.year, target=target["C1"], split=plan.split,
                                              method="proportion_averages", stretch=plan.targets.stretch)
            read = targets.reconciled_children(con, tree, "C1", plan.year, target=target["C1"], split=plan.split,
                                               method="proportion_averages", stretch=plan.targets.stretch)
    finally:
        con.close()
    assert holds == chained
    assert holds["P1"] == 5000 and holds["C1"] == 5000
    assert holds["K1"] + holds["K2"] + holds["K3"] == 5000 and holds["K3"] == 0  # K3 sold nothing, proposes nothing
    pd.testing.assert_frame_equal(pure, read)
    # each child's own months: K1 and K2 from 2024-01, K3 none
    assert sorted(full["child"].unique()) == ["K1", "K2"] and len(full) == 48
    k1 = full[(full["child"] == "K1") & (full["month"] == pd.Timestamp("2025-01-01"))]["value"].iloc[0]
    assert k1 == pytest.approx(round(100 * 0.7 * 1.5 * 1.1, 1) + round(100 * 0.3 * 1.5 * 1.1, 1))


@pytest.mark.parametrize("method", ["scale_bottom_up", "top_down", "bottom_up", "blend"])
def test_gap_body_is_bottom_up_gaps_rows(method):
    """The plan-wide reconciliation's array path gives bottom_up_gap's children rows, value for value."""
    kids = ["K1", "K2", "K3", "K4", "K5"]
    td = np.array([400.0, 0.0, 250.0, 350.0, 0.0])
    bu = np.array([500.0, 120.0, np.nan, 300.0, np.nan])  # K3 and K5 propose nothing: they keep top-down
    table = pd.DataFrame({"region_id": kids, "name": [f"县{k}" for k in kids], "target_volume": td})
    proposals = pd.Series(bu, index=kids).dropna()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        want = targets.bottom_up_gap(table, proposals, method=method, weight=0.3, unit=1).iloc[:-1]
    got = targets.gap_body(kids, table["name"], td, bu, method=method, weight=0.3, unit=1)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False)
    assert got.loc[2, "reconciled"] == 250.0 and np.isnan(got.loc[2, "gap"])
    if method == "scale_bottom_up":  # the proposers share their own top-down total 750 by 500 : 120 : 300
        assert got.loc[[0, 1, 3], "reconciled"].sum() == 750.0


def test_children_shares_on_the_array_are_shares_for():
    rng = np.random.default_rng(9)
    months = pd.date_range("2023-01-01", periods=40, freq="MS")
    rows = [(k, m, float(v)) for k in ("A", "B", "C", "D") for m, v in zip(months, rng.poisson(80, len(months)))
            if not (k == "C" and m < pd.Timestamp("2025-06-01"))]  # C opened late
    hist = pd.DataFrame(rows, columns=["child", "month", "value"])
    for method in ("proportion_averages", "average_proportions", "forecast_proportions", "equal"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PlanWarning)
            got = targets.children_shares(method, hist, ["A", "B", "C", "E"])
            want = targets.shares_for(method, hist, children=["A", "B", "C", "E"])
        pd.testing.assert_series_equal(got, want, check_exact=True, check_index_type=False)
        assert got["E"] == (0.25 if method == "equal" else 0.0)  # E has no history


def test_the_split_choice_and_target_source_read_as_chinese_sentences():
    """The page says which split method won the back-test and by how much, in words a manager reads
    (the sentence went through the English-gloss filter and came out as "月均占比法 at 6.2% (56 15)")."""
    from planlib.labels import localize
    from planlib.targets.plan import SplitChoice

    bt = pd.DataFrame({"method": ["forecast_proportions", "average_proportions", "proportion_averages"],
                       "wmape": [0.037, 0.062, 0.064], "children": [56, 56, 56], "parents": [15, 15, 15]})
    auto = SplitChoice("forecast_proportions", "auto", bt)
    assert auto.reading == ("份额方法：预测占比法（自动选择：用此前各年的份额分解去年的实际总量，15 个上级的 56 个下级"
                            "加权误差 3.7%；次优的月均占比法误差 6.2%，高 2.5 个百分点）。")
    # the gap is the difference of the rates as the sentence shows them: 1.6% and 4.2% differ by 2.6 points
    close = SplitChoice("forecast_proportions", "auto", bt.assign(wmape=[0.0164, 0.0416, 0.05]))
    assert "误差 1.6%；次优的月均占比法误差 4.2%，高 2.6 个百分点" in close.reading
    short = SplitChoice("forecast_proportions", "auto", bt.iloc[0:0])
    fixed = SplitChoice("potential", "potential", bt.iloc[0:0])
    assert "历史不足以回测" in short.reading and fixed.reading == "份额方法：潜力（按方案参数设定，未回测）。"
    for reading in (auto.reading, short.reading, fixed.reading):
        assert localize(reading) == reading  # nothing dropped as a gloss
    plan = type("Plan", (), {"split": type("Split", (), {"reconcile": "scale_bottom_up", "reconcile_weight": 0.5})()})()
    src = targets.target_source(plan, auto)
    assert src == ("目标来源：上下结合（提案按比例缩放）——下级提案按上级目标等比缩放；分配数按预测占比法的份额。"
                   "下表“协调后”即本方案的目标，各下级合计恰等于本级目标。")
    assert localize(src) == src


def test_a_region_without_children_is_told_where_its_own_target_came_from():
    """A township's page showed the plan-wide back-test of 3,165 children and "下表“协调后”即本方案的目标" over no table."""
    from planlib.labels import localize
    from planlib.targets.plan import SplitChoice

    bt = pd.DataFrame({"method": ["forecast_proportions"], "wmape": [0.037], "children": [56], "parents": [15]})
    auto = SplitChoice("forecast_proportions", "auto", bt)
    split = type("Split", (), {"reconcile": "scale_bottom_up", "reconcile_weight": 0.5})()
    plan = type("Plan", (), {"split": split})()
    src = targets.target_source(plan, auto, parent="历城区")
    assert src == ("本区域没有下级计划单位。它的目标来自上级历城区的上下结合（提案按比例缩放）：本区域的提案与按预测占比法"
                   "（自动回测选出）得出的分配数协调后的数；方法的回测和各兄弟区域的对照见历城区的目标分解页。")
    split.reconcile = None
    fixed = SplitChoice("potential", "potential", bt.iloc[0:0])
    assert targets.target_source(plan, fixed, parent="历城区") == (
        "本区域没有下级计划单位。它的目标是上级历城区的目标按潜力（按方案参数设定）分到本区域的份额；"
        "方法的回测和各兄弟区域的对照见历城区的目标分解页。")
    for text in (src, targets.target_source(plan, fixed, parent="历城区")):
        assert localize(text) == text
