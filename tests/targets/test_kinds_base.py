"""
What the targets report computes once: region_kinds with the caller's baseline (the trend fitted once),
split_inputs with the caller's potential, and a plan computed in the report's own process read as a run's
files are (step_targets.plan_region_targets against load_region_targets).
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from planlib import targets
from planlib.errors import PlanWarning
from planlib.hierarchy import RegionTree
from planlib.run import folder, step_targets
from planlib.targets import kinds as kinds_module

# a seasonal pattern (sums to 0 over the year) on top of a linear trend: 36 months, a Holt-Winters fit
SEASON = np.array([30, 20, -5, -10, -10, -5, 0, 0, 10, 5, -10, -25], dtype=float)


def _econ(monthly: pd.DataFrame) -> targets.RegionEconomics:
    return targets.RegionEconomics("K1", monthly, unit_price=10.0, unit_cost=6.0, expense_ratio=0.15,
                                   market_volume=4000.0)


def _seasonal_econ() -> targets.RegionEconomics:
    t = np.arange(36)
    vol = 100 + 2 * t + np.tile(SEASON, 3)
    months = pd.date_range("2024-01-01", periods=36, freq="MS")
    return _econ(pd.DataFrame({"date": months, "volume": vol, "revenue": vol * 10.0}))


def _table() -> pd.DataFrame:
    """K1's two months of targets (total rows only)."""
    return pd.DataFrame({"region_id": "K1", "month": [pd.Timestamp(2027, 1, 1), pd.Timestamp(2027, 2, 1)],
                         "terminal_class": None, "terminal_id": None, "channel": None, "product_line": np.nan,
                         "sku": np.nan, "target_volume": [700, 900], "target_revenue": [7000.0, 9000.0],
                         "last_year_volume": [650.0, 850.0], "level": "county", "share": np.nan})


def test_region_kinds_with_the_callers_baseline_equals_its_own_fit():
    econ = _seasonal_econ()
    base = targets.region_baseline(econ, 2027)
    assert base.method == "holt_winters_damped" and base.annual > 0
    own = targets.region_kinds(econ, _table(), plan_year=2027, budget=1500.0)
    given = targets.region_kinds(econ, _table(), plan_year=2027, budget=1500.0, base=base)
    pd.testing.assert_frame_equal(given, own, check_exact=True)
    assert given.set_index("kind").loc["volume", "baseline"] == base.annual


def test_region_kinds_takes_the_given_baseline_without_fitting(monkeypatch):
    econ = _seasonal_econ()
    fitted = targets.region_baseline(econ, 2027)
    given = targets.Baseline(1234.0, fitted.monthly, fitted.method, fitted.history_years, fitted.cagr)

    def no_fit(*args, **kwargs):
        raise AssertionError("the baseline was fitted again")

    monkeypatch.setattr(kinds_module, "baseline", no_fit)
    k = targets.region_kinds(econ, _table(), plan_year=2027, base=given).set_index("kind")
    # baseline volume 1234, priced at the target's price 16,000 / 1,600 = 10
    assert k.loc["volume", "baseline"] == 1234.0
    assert k.loc["revenue", "baseline"] == pytest.approx(12340.0)
    assert k.loc["volume", "target"] == 1600.0
    with pytest.raises(AssertionError, match="fitted again"):  # without it, region_kinds fits
        targets.region_kinds(econ, _table(), plan_year=2027)


def test_an_empty_history_has_a_zero_baseline_with_or_without_the_callers():
    econ = _econ(pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]"), "volume": pd.Series([], dtype=float),
                               "revenue": pd.Series([], dtype=float)}))
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlanWarning)  # region_baseline neither raises nor warns on no history
        base = targets.region_baseline(econ, 2027)
        own = targets.region_kinds(econ, _table(), plan_year=2027)
        given = targets.region_kinds(econ, _table(), plan_year=2027, base=base)
    assert base.method == "zero" and base.annual == 0.0
    pd.testing.assert_frame_equal(given, own, check_exact=True)
    assert own.set_index("kind").loc["volume", "baseline"] == 0.0 and own.set_index("kind").loc["volume", "last_year"] == 0.0
    # an empty history's baseline is 0 whatever the caller passes
    other = targets.Baseline(50.0, base.monthly, "run_rate", base.history_years, base.cagr)
    pd.testing.assert_frame_equal(targets.region_kinds(econ, _table(), plan_year=2027, base=other), own, check_exact=True)


# -- the report's inputs from a plan computed in its own process, as from a run's files ---------


def _tree() -> RegionTree:
    return RegionTree(pd.DataFrame({"region_id": ["C1", "K1", "K2", "K3", "K1T1"],
                                    "name": ["济南市", "历城区", "章丘区", "平阴县", "港沟镇"],
                                    "level": ["city", "county", "county", "county", "township"],
                                    "parent_id": [None, "C1", "C1", "C1", "K1"]}))


def _plan_result(split_asked: str = "auto") -> SimpleNamespace:
    """C1 and its counties K1, K2 planned (K3 is not), two months; baselines fitted for K1, K3 and C1's sibling."""
    rows = []
    for region, vols in (("C1", (30, 70)), ("K1", (10, 30)), ("K2", (20, 40))):
        for m, v in zip((1, 2), vols):
            rows.append((region, pd.Timestamp(2027, m, 1), None, v, v * 10.0, v - 2.0))
    table = pd.DataFrame(rows, columns=["region_id", "month", "terminal_class", "target_volume", "target_revenue",
                                        "last_year_volume"])
    backtest = pd.DataFrame({"method": ["proportion_averages", "equal"], "wmape": [0.05, 0.2], "children": [2, 2],
                             "parents": [1, 1]})
    split = targets.SplitChoice("proportion_averages", split_asked, backtest)
    shares = pd.Series(np.full(12, 1 / 12), index=pd.Index(range(1, 13), dtype="int64", name="month"),
                       name="share", dtype="float64")
    season = targets.SeasonalityChoice("calendar", "calendar",
                                       pd.DataFrame({"seasonality": pd.Series([], dtype=object),
                                                     "error": pd.Series([], dtype=float)}), shares)
    baselines = pd.Series({"K2": 55.5, "K1": 41.25, "K3": 9.0, "C9": 1.0}, dtype="float64", name="baseline")
    return SimpleNamespace(table=table, split=split, seasonality=season, baselines=baselines)


def _written(result, run_dir):
    """The run's files of ``result``, as the targets step writes them for the reports."""
    folder.results_dir(run_dir).mkdir(parents=True, exist_ok=True)
    folder.write_by_region(result.table, folder.results_path(run_dir, folder.RESULTS_TARGETS_BY_REGION))
    folder.write_choices(run_dir, result.split, result.seasonality, result.baselines)
    return run_dir


@pytest.mark.parametrize("region", ["C1", "K1"])
def test_a_plan_computed_here_gives_the_region_what_a_run_gives_it(tmp_path, region):
    tree, result = _tree(), _plan_result()
    plan = SimpleNamespace(split=SimpleNamespace(method="auto"))
    got = step_targets.plan_region_targets(result, plan, tree, None, region)
    want = step_targets.load_region_targets(_written(result, tmp_path), tree, region)
    pd.testing.assert_frame_equal(got.table, want.table, check_exact=True)
    pd.testing.assert_series_equal(got.baselines, want.baselines, check_exact=True)
    assert got.split is result.split and got.seasonality is result.seasonality
    pd.testing.assert_series_equal(got.seasonality.shares, want.seasonality.shares, check_exact=True)
    # C1's planned children in the tree's order (K3 is not planned, C9 is not a child); a county's townships have none
    assert got.baselines.to_dict() == ({"K1": 41.25, "K2": 55.5} if region == "C1" else {})
    assert sorted(got.table["region_id"].unique()) == (["C1", "K1", "K2"] if region == "C1" else ["K1"])


def test_the_split_shown_is_the_method_asked_when_the_plan_fell_back():
    # split.method potential without market records: the plan split by auto, the report shows the method asked
    result, plan = _plan_result(), SimpleNamespace(split=SimpleNamespace(method="potential"))
    got = step_targets.plan_region_targets(result, plan, _tree(), None, "C1")
    assert (got.split.method, got.split.asked) == ("potential", "potential") and got.split.backtest.empty
    none = step_targets.plan_region_targets(SimpleNamespace(**{**vars(result), "baselines": None}),
                                            SimpleNamespace(split=SimpleNamespace(method="auto")), _tree(), None, "C1")
    assert none.baselines is None and none.split is result.split


def test_split_inputs_takes_the_callers_potential(monkeypatch):
    from planlib.targets import region as region_module

    history = pd.DataFrame({"region_id": ["K1", "K2", "K1", "K2"],
                            "month": pd.to_datetime(["2025-03-01", "2025-03-01", "2026-03-01", "2026-03-01"]),
                            "value": [10.0, 30.0, 12.0, 24.0]})
    monkeypatch.setattr(region_module.queries, "children_monthly_volume", lambda *a, **k: history.copy())
    read = pd.Series({"K1": 100.0, "K2": 200.0}, name="potential")
    monkeypatch.setattr(region_module, "region_potential", lambda *a, **k: read)
    tree = _tree()
    own = targets.split_inputs(None, tree, "C1", 2027, total=60, stretch=0.05, potential_share=0.4)
    given = targets.split_inputs(None, tree, "C1", 2027, total=60, stretch=0.05, potential_share=0.4,
                                 potential=pd.Series({"K2": 80.0, "K9": 5.0}))
    assert own.potential.to_dict() == {"K1": 100.0, "K2": 200.0}
    assert given.potential.to_dict() == {"K2": 80.0}  # the caller's, the region's children only
    pd.testing.assert_series_equal(given.last_year, own.last_year, check_exact=True)
    assert own.last_year.to_dict() == {"K1": 12.0, "K2": 24.0, "K3": 0.0}


def test_a_region_without_sales_last_year_is_priced_with_the_plans_cost_and_expense_ratio(tmp_path, demo_copy):
    """平阴县 sold nothing last year: its unit cost read 0, so its gross margin was its revenue (335 万 beside 106 万)."""
    import duckdb

    from planlib.archive import store as archive

    demo_copy(tmp_path / "k.duckdb", start_year=2023)  # history 2023–2025, planning 2026
    con = duckdb.connect(str(tmp_path / "k.duckdb"))
    try:
        tree = archive.load_tree(con)
        county = "P01C01K02"
        con.execute("DELETE FROM sales WHERE region_id IN (SELECT unnest(?::VARCHAR[])) AND year(date) = 2025",
                    [list(tree.subtree(county))])
        plan = targets.region_economics(con, tree, "HQ", 2026)
        alone = targets.region_economics(con, tree, county, 2026)
        assert alone.unit_cost == 0.0 and alone.borrowed_from is None  # nothing to price with: a margin of 100%
        econ = targets.region_economics(con, tree, county, 2026, plan_root="HQ")
        assert econ.borrowed_from == "HQ" and plan.unit_cost > 0
        assert (econ.unit_price, econ.unit_cost, econ.expense_ratio) == pytest.approx(
            (plan.unit_price, plan.unit_cost, plan.expense_ratio), rel=1e-12)  # DuckDB's parallel sums: the last bits
        assert econ.monthly.equals(alone.monthly)  # its own history stays its own
        table = pd.DataFrame({"region_id": county, "month": pd.date_range("2026-01-01", periods=12, freq="MS"),
                              "target_volume": 100.0, "target_revenue": 100.0 * plan.unit_price})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PlanWarning)
            kinds = targets.region_kinds(econ, table, plan_year=2026).set_index("kind")
        assert kinds.at["gross_margin", "target"] == pytest.approx(1_200 * (plan.unit_price - plan.unit_cost))
        assert "（全方案的，本区域去年无销售）" in kinds.at["gross_margin", "basis"]
        # last year it spent without selling: its own expenses and the loss they made, not the plan's ratio × 0
        spent = con.execute("SELECT sum(amount) FROM expenses WHERE year(date) = 2025 AND region_id IN "
                            "(SELECT unnest(?::VARCHAR[]))", [list(tree.subtree(county))]).fetchone()[0]
        assert spent > 0 and econ.last_year_expenses == alone.last_year_expenses == spent
        assert kinds.at["revenue", "last_year"] == 0.0 and kinds.at["expenses", "last_year"] == spent
        assert kinds.at["profit", "last_year"] == -spent
    finally:
        con.close()
