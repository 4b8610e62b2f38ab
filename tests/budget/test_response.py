"""Input-output: response curves, the spend where it returns most, what past spend returned."""

import math

import numpy as np
import pandas as pd
import pytest

from planlib.budget import response
from planlib.budget.response import allocate_spend, fit_response, spend_roi
from planlib.errors import BudgetError, DataError, ParamsError
from planlib.review.spend import activity_lift


def _cents(values) -> np.ndarray:
    """Amounts as exact integer cents."""
    return np.rint(np.asarray(values, dtype=float) * 100).astype(np.int64)


# -- input-output: response curves and allocation ---------------------------------------------
def _exp(s, a, b):
    return a * (1 - np.exp(-np.asarray(s, dtype=float) / b))


def test_fit_response_recovers_a_known_exponential_curve():
    costs = np.array([50.0, 100.0, 200.0, 400.0, 800.0])
    history = pd.DataFrame({"kind": "tasting", "cost": costs, "lift_revenue": _exp(costs, 1000.0, 200.0)})
    before = history.copy()
    out = fit_response(history)
    row = out.iloc[0]
    assert row["kind"] == "tasting" and row["curve"] == "exponential" and not row["fallback"]
    assert row["a"] == pytest.approx(1000.0, rel=1e-6) and row["b"] == pytest.approx(200.0, rel=1e-6)
    assert row["slope"] == pytest.approx(5.0, rel=1e-6)  # a / b: the first yuan returns 5
    assert row["n_points"] == 5 and row["n_excluded"] == 0 and row["note"] == ""
    pd.testing.assert_frame_equal(history, before)


def test_fit_response_fallbacks_are_flagged_and_never_nan():
    history = pd.DataFrame(
        {
            "kind": ["media", "media", "display", "display", "display", "radio", "flat", "flat", "flat", "flat"],
            "cost": [100.0, 300.0, 10.0, 20.0, 30.0, 50.0, 100.0, 200.0, 300.0, 400.0],
            # media: two points -> line at (250 + 550) / 400 = 2; display: no positive lift;
            # radio: nothing measurable; flat: 500 whatever the spend -> line at 2000 / 1000 = 2
            "lift_revenue": [250.0, 550.0, -5.0, 0.0, -1.0, np.nan, 500.0, 500.0, 500.0, 500.0],
        }
    )
    out = fit_response(history).set_index("kind")
    assert out.index.tolist() == ["display", "flat", "media", "radio"]
    assert out["fallback"].all()
    assert out.loc["media", "curve"] == "linear" and out.loc["media", "slope"] == pytest.approx(2.0)
    assert "too few to fit" in out.loc["media", "note"]
    assert out.loc["flat", "curve"] == "linear" and out.loc["flat", "slope"] == pytest.approx(2.0)
    assert "does not rise with spend" in out.loc["flat", "note"]
    assert out.loc["display", "curve"] == "zero" and "no positive lift" in out.loc["display", "note"]
    assert out.loc["radio", "curve"] == "zero" and out.loc["radio", "n_excluded"] == 1
    assert not out[["a", "b", "slope"]].isna().any().any()


def test_fit_response_straight_line_data_becomes_a_flagged_line():
    costs = np.array([100.0, 200.0, 300.0, 400.0])
    out = fit_response(pd.DataFrame({"kind": "promotion", "cost": costs, "lift_revenue": 3 * costs})).iloc[0]
    assert out["curve"] == "linear" and out["fallback"] and "no diminishing return" in out["note"]
    assert out["slope"] == pytest.approx(3.0, rel=1e-2)


def test_fit_response_reads_activity_lift_output():
    # activity_lift's shape: the lift is window - baseline; unmeasured rows are counted, not used
    lifts = pd.DataFrame(
        {
            "kind": ["promotion"] * 3,
            "cost": [100.0, 200.0, 50.0],
            "window_revenue": [400.0, 700.0, np.nan],
            "baseline_revenue": [200.0, 300.0, np.nan],
        }
    )
    out = fit_response(lifts).iloc[0]
    assert out["n_points"] == 2 and out["n_excluded"] == 1
    assert out["slope"] == pytest.approx(600.0 / 300.0)  # too few to fit: (200 + 400) / (100 + 200)


def test_fit_response_rejects_bad_arguments():
    with pytest.raises(DataError, match="lift_revenue"):
        fit_response(pd.DataFrame({"kind": ["a"], "cost": [1.0]}))
    with pytest.raises(ParamsError, match="min_points"):
        fit_response(pd.DataFrame({"kind": ["a"], "cost": [1.0], "lift_revenue": [1.0]}), min_points=1)


def _curves(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["kind", "curve", "a", "b", "slope"])


def test_allocate_spend_equal_marginal_returns_hand_case():
    # a1 = 1000, b1 = 100 (first yuan returns 10); a2 = 500, b2 = 100 (returns 5); T = 200.
    # 10 exp(-s1/100) = 5 exp(-s2/100) and s1 + s2 = 200 -> s1 = 100 + 50 ln 2 = 134.657..
    curves = _curves([("tasting", "exponential", 1000.0, 100.0, 10.0), ("display", "exponential", 500.0, 100.0, 5.0)])
    before = curves.copy()
    out = allocate_spend(curves, 200)
    assert out.columns.tolist() == ["kind", "spend", "lift", "marginal_return", "return_per_cost"]
    assert out["spend"].tolist() == [134.66, 65.34]
    assert _cents(out["spend"]).sum() == 20_000
    m = out["marginal_return"].to_numpy()
    assert m[0] == pytest.approx(m[1], rel=1e-3)
    assert m[0] == pytest.approx(10 * np.exp(-(100 + 50 * np.log(2)) / 100), rel=1e-3)
    assert out["lift"].tolist() == pytest.approx(_exp([134.66], 1000, 100).tolist() + _exp([65.34], 500, 100).tolist())
    pd.testing.assert_frame_equal(curves, before)


def test_allocate_spend_matches_the_analytic_optimum_for_different_scales():
    a1, b1, a2, b2, total = 1000.0, 100.0, 600.0, 300.0, 500.0
    s1 = (total / b2 + np.log(a1 * b2 / (a2 * b1))) / (1 / b1 + 1 / b2)  # 245.708..
    out = allocate_spend(_curves([("x", "exponential", a1, b1, a1 / b1), ("y", "exponential", a2, b2, a2 / b2)]), total)
    assert out["spend"].tolist() == pytest.approx([s1, total - s1], abs=0.01)
    assert _cents(out["spend"]).sum() == 50_000


def test_allocate_spend_zero_response_and_a_weak_kind_get_nothing():
    # kind y's first yuan returns 1; x's marginal at 200 is still 10 e^-2 = 1.35 -> all to x
    curves = _curves([("x", "exponential", 1000.0, 100.0, 10.0), ("y", "exponential", 100.0, 100.0, 1.0),
                      ("z", "zero", 0.0, 0.0, 0.0)])  # fmt: skip
    out = allocate_spend(curves, 200)
    assert out["spend"].tolist() == [200.0, 0.0, 0.0]
    m = out.set_index("kind")["marginal_return"]
    assert m["y"] <= m["x"] and m["z"] == 0.0


def test_allocate_spend_sums_exactly_to_an_awkward_total():
    curves = _curves([("a", "exponential", 3e6, 4e5, 7.5), ("b", "exponential", 2e6, 3e5, 6.7),
                      ("c", "linear", 0.0, 0.0, 1.1)])  # fmt: skip
    out = allocate_spend(curves, 1_000_000.01)
    assert _cents(out["spend"]).sum() == 100_000_001
    assert (out["spend"] >= 0).all()


def test_allocate_spend_limits_and_linear_curves():
    lines = _curves([("x", "linear", 0.0, 0.0, 3.0), ("y", "linear", 0.0, 0.0, 2.0)])
    out = allocate_spend(lines, 1000, limits=pd.Series({"x": 300.0}))  # x is better but capped
    assert out["spend"].tolist() == [300.0, 700.0]
    with pytest.raises(BudgetError, match="limits add up to 900, 100 short of the total"):
        allocate_spend(lines, 1000, limits=pd.Series({"x": 300.0, "y": 600.0}))


def test_allocate_spend_zero_total_and_no_response():
    curves = _curves([("x", "zero", 0.0, 0.0, 0.0)])
    assert allocate_spend(curves, 0)["spend"].tolist() == [0.0]
    with pytest.raises(BudgetError, match="cannot place 1,000: no activity kind responds to spend"):
        allocate_spend(curves, 1000)
    with pytest.raises(ParamsError, match="unknown curve for x"):
        allocate_spend(_curves([("x", "cubic", 1.0, 1.0, 1.0)]), 100)
    assert allocate_spend(_curves([("x", "linear", 0.0, 0.0, 2.0)]), 50)["spend"].tolist() == [50.0]


# -- spend_roi -------------------------------------------------------------------------------
SPEND_EXPENSES = pd.DataFrame({"date": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-01-01"]),
                               "category": ["media", "media", "labour"], "amount": [10.0, 20.0, 50.0]})  # fmt: skip
SPEND_MONTHLY = pd.DataFrame({"year": [2025, 2025], "revenue": [300.0, 100.0]})


def _lifts() -> pd.DataFrame:
    """Four measured past activities as planlib.spend.activity_lift reports them (margin 40%)."""
    return pd.DataFrame(
        {
            "activity_id": ["A1", "A2", "A3", "A4"],
            "region_id": ["K1", "K1", "K2", "K2"],
            "kind": ["promotion", "promotion", "media", "media"],
            "start_date": pd.to_datetime(["2025-03-01", "2025-05-01", "2025-06-01", "2024-01-01"]),
            "end_date": pd.to_datetime(["2025-03-31", "2025-05-31", "2025-06-30", "2024-01-31"]),
            "cost": [10.0, 20.0, 50.0, 30.0],
            # A1 +50 -> margin 20 on cost 10; A2 +10 -> 4 on 20; A3 -10 -> -4; A4 not measurable
            "window_revenue": [150.0, 110.0, 90.0, np.nan],
            "baseline_revenue": [100.0, 100.0, 100.0, np.nan],
            "lift": [0.5, 0.1, -0.1, np.nan],
            "extra_margin": [20.0, 4.0, -4.0, np.nan],
            "roi": [1.0, -0.8, -1.08, np.nan],
            "paid": [True, False, False, False],
        }
    )


def test_spend_roi_by_category_reuses_expense_ratios_and_adds_shares():
    out = spend_roi(SPEND_EXPENSES, _lifts(), monthly=SPEND_MONTHLY)["by_category"].set_index("category")
    assert out.index.tolist() == ["labour", "media", "全部"]
    assert out["ratio"].tolist() == pytest.approx([50 / 400, 30 / 400, 80 / 400])
    assert out["share"].tolist() == pytest.approx([50 / 80, 30 / 80, 1.0])


def test_spend_roi_by_kind_hand_case():
    lifts = _lifts()
    before = lifts.copy()
    out = spend_roi(SPEND_EXPENSES, lifts, monthly=SPEND_MONTHLY)["by_kind"]
    expected = pd.DataFrame(
        {
            "kind": ["promotion", "media", "全部"],
            "activities": [2, 2, 4],
            "measured": [2, 1, 3],
            "cost": [30.0, 80.0, 110.0],
            "measured_cost": [30.0, 50.0, 80.0],
            "lift_revenue": [60.0, -10.0, 50.0],
            "extra_margin": [24.0, -4.0, 20.0],
            "return_per_cost": [0.8, -0.08, 0.25],  # 24/30, -4/50, 20/80
            "roi": [-0.2, -1.08, -0.75],
            "not_paid": [1, 2, 3],
            "not_paid_cost": [20.0, 80.0, 100.0],
        }
    )
    pd.testing.assert_frame_equal(out, expected)
    pd.testing.assert_frame_equal(lifts, before)


def test_spend_roi_lists_the_spend_that_did_not_pay():
    out = spend_roi(SPEND_EXPENSES, _lifts(), monthly=SPEND_MONTHLY)["did_not_pay"]
    assert out["activity_id"].tolist() == ["A3", "A4", "A2"]  # largest cost first
    assert out["reason"].tolist() == ["no lift", "not measurable", "lift below cost"]
    assert out["lift_revenue"].tolist()[0] == -10.0 and np.isnan(out["lift_revenue"].tolist()[1])


def test_spend_roi_takes_activity_lift_output_as_is():
    # the control-market case of test_activity_lift_against_a_control_market
    months = pd.date_range("2025-01-01", "2025-06-01", freq="MS")
    control = pd.Series([100.0, 100.0, 100.0, 100.0, 200.0, 100.0], index=months)
    region = pd.DataFrame([[10.0, 10.0, 10.0, 10.0, 20.0, 15.0]], index=pd.Index(["K1"], name="region_id"),
                          columns=months)  # fmt: skip
    acts = pd.DataFrame({"activity_id": ["A1", "A2", "A3"], "region_id": "K1", "brand": "own", "kind": "promotion",
                         "start_date": pd.to_datetime(["2025-05-03", "2025-06-05", "2025-02-01"]),
                         "end_date": pd.to_datetime(["2025-05-20", "2025-06-20", "2025-02-10"]),
                         "cost": [1.0, 2.0, 1.0]})  # fmt: skip
    lifts = activity_lift(acts, region, control, margin_rate=0.4)
    out = spend_roi(SPEND_EXPENSES, lifts, monthly=SPEND_MONTHLY)
    kind = out["by_kind"].set_index("kind").loc["promotion"]
    # A1: no lift (margin 0, cost 1); A2: +5 revenue -> margin 2 on cost 2; A3 unmeasurable
    assert kind["measured"] == 2 and kind["lift_revenue"] == pytest.approx(5.0)
    assert kind["return_per_cost"] == pytest.approx(2 / 3) and kind["roi"] == pytest.approx(-1 / 3)
    assert dict(zip(out["did_not_pay"]["activity_id"], out["did_not_pay"]["reason"])) == {
        "A1": "no lift", "A2": "lift below cost", "A3": "not measurable"
    }  # fmt: skip


# -- input_output_spend ----------------------------------------------------------------------
IO_CURVES = pd.DataFrame({"kind": ["media", "tasting", "promotion"], "curve": ["exponential", "linear", "exponential"],
                          "a": [300_000.0, 0.0, 50_000.0], "b": [100_000.0, 0.0, 40_000.0],
                          "slope": [3.0, 2.5, 1.25]})


def test_input_output_spend_funds_each_kind_until_a_yuan_returns_a_yuan():
    # margin 0.5: media's first yuan returns 0.5 × 3 = 1.5, so x* = 100,000 ln 1.5 = 40,546.51 per activity;
    # tasting's line returns 1.25 a yuan: only its limit (10,000) stops it; promotion's first yuan 0.625: nothing
    counts = pd.DataFrame({"media": [2.0, 0.5], "tasting": [1.0, 0.0], "promotion": [3.0, 3.0]}, index=["K1", "K2"])
    spend, detail = response.input_output_spend(IO_CURVES, 0.5, counts,
                                                per_activity_limit=pd.Series({"tasting": 10_000.0}))
    total = spend.sum(axis=1)
    d = detail.set_index("kind")
    assert d.loc["media", "spend"] == pytest.approx(100_000 * math.log(1.5), abs=0.01)
    assert d.loc["media", "marginal_return"] == pytest.approx(1.0, abs=1e-6)
    assert d.loc["media", "stop"] == "marginal"
    assert d.loc["tasting", "stop"] == "limit" and d.loc["tasting", "spend"] == 10_000.0
    assert d.loc["promotion", "stop"] == "does not pay" and d.loc["promotion", "spend"] == 0.0
    assert total.tolist() == pytest.approx([2 * 40_546.51 + 10_000.0, 0.5 * 40_546.51], abs=0.01)
    # the answer is not a percent of sales: it does not depend on any revenue


def test_input_output_spend_within_a_room_equalises_marginal_returns():
    counts = pd.DataFrame({"media": [1.0], "promotion": [1.0]}, index=["K1"])
    curves = IO_CURVES.iloc[[0, 2]].assign(a=[300_000.0, 200_000.0])  # promotion: first yuan 0.5 × 5 = 2.5
    free, detail = response.input_output_spend(curves, 0.5, counts)
    assert free.sum(axis=1).iloc[0] == pytest.approx(100_000 * math.log(1.5) + 40_000 * math.log(2.5), abs=0.02)
    spend, _ = response.input_output_spend(curves, 0.5, counts, room=[30_000.0])
    assert spend.sum(axis=1).iloc[0] == pytest.approx(30_000.0)
    s = spend.iloc[0]  # both funded below their own optimum, at one marginal return: 1.5 e^{-x/b1} = 2.5 e^{-y/b2}
    assert 1.5 * math.exp(-s["media"] / 100_000) == pytest.approx(2.5 * math.exp(-s["promotion"] / 40_000), rel=1e-4)


# -- the plan's past activities measured at once ------------------------------------------------
def _lift_by_hand(acts, region_months, control, margin_rate):
    """activity_lift's definition, one activity at a time with numpy's own sums (the reference)."""
    months = list(region_months.columns)
    out = {}
    for a in acts.itertuples():
        r = region_months.loc[a.region_id].to_numpy()
        c = control.reindex(region_months.columns).to_numpy()
        first, last = pd.Timestamp(a.start_date).to_period("M").to_timestamp(), pd.Timestamp(a.end_date).to_period("M").to_timestamp()
        if first not in months or last not in months or months.index(first) < 3:
            out[a.activity_id] = (np.nan, np.nan)
            continue
        i, j = months.index(first), months.index(last)
        w, base = float(r[i : j + 1].sum()), float(c[i : j + 1].sum()) * float(r[i - 3 : i].sum()) / float(c[i - 3 : i].sum())
        out[a.activity_id] = (w, ((w - base) * margin_rate - a.cost) / a.cost)
    return out


def test_activity_lift_sums_windows_as_numpy_does_short_and_long():
    # windows of 1 to 14 months (numpy adds eight values or more pairwise, fewer one by one) on
    # values whose sums depend on the order of the additions: the same bits as numpy's own sums
    rng = np.random.default_rng(7)
    months = pd.date_range("2023-01-01", periods=24, freq="MS")
    region = pd.DataFrame(rng.normal(1e12, 1e11, (3, 24)) + rng.random((3, 24)) * 1e-3,
                          index=pd.Index(["K1", "K2", "K3"], name="region_id"), columns=months)
    control = pd.Series(rng.normal(5e12, 1e11, 24), index=months)
    n = 40
    start = months[rng.integers(0, 20, n)]
    acts = pd.DataFrame({"activity_id": [f"A{i:02d}" for i in range(n)], "region_id": rng.choice(["K1", "K2", "K3"], n),
                         "brand": "own", "kind": "promotion", "start_date": start + pd.Timedelta(days=4),
                         "end_date": [min(s + pd.DateOffset(months=int(k)), months[-1]) for s, k in
                                      zip(start, rng.integers(0, 14, n))],
                         "cost": rng.integers(1, 10_000, n).astype(float)})
    out = activity_lift(acts, region, control, margin_rate=0.35).set_index("activity_id")
    by_hand = _lift_by_hand(acts, region, control, 0.35)
    spans = (pd.DatetimeIndex(acts["end_date"]).to_period("M") - pd.DatetimeIndex(acts["start_date"]).to_period("M"))
    assert max(s.n for s in spans) >= 8  # some windows take numpy's pairwise path
    for act, (w, roi) in by_hand.items():
        got = out.loc[act]
        assert (np.isnan(w) and np.isnan(got["window_revenue"])) or got["window_revenue"] == w, act
        assert (np.isnan(roi) and np.isnan(got["roi"])) or got["roi"] == roi, act
        assert got["paid"] == (not np.isnan(roi) and roi > 0)


def test_response_curves_subtree_months_equal_a_merge_and_group_by():
    from planlib.hierarchy import RegionTree

    tree = RegionTree(pd.DataFrame({
        "region_id": ["HQ", "P1", "C1", "K1", "K2", "C2", "K3"], "name": list("abcdefg"),
        "level": ["hq", "province", "city", "county", "county", "city", "county"],
        "parent_id": [None, "HQ", "P1", "C1", "C1", "P1", "C2"]}))
    rng = np.random.default_rng(3)
    n = 400
    months = pd.DataFrame({"region_id": rng.choice(["K1", "K2", "K3", "C1", "P1", "C2"], n),
                           "date": pd.date_range("2024-01-01", periods=12, freq="MS")[rng.integers(0, 12, n)],
                           "revenue": rng.normal(1e9, 1e8, n) + rng.random(n) * 1e-4})
    regions = ["C1", "K1", "K3", "P1"]
    link = pd.DataFrame([(m, r) for r in regions for m in tree.subtree(r)], columns=["region_id", "activity_region"])
    want = months.merge(link, on="region_id").groupby(["activity_region", "date"])["revenue"].sum().unstack(
        "date", fill_value=0.0)
    got = response._subtree_months(months, tree, regions)
    assert got.index.tolist() == want.index.tolist() and got.columns.tolist() == want.columns.tolist()
    assert np.array_equal(got.to_numpy(), want.to_numpy())  # every sum to the bit
