"""Splitting mechanics: exact rounding, shares by method, constraints, tables, the pyramid."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from planlib.errors import DataError, HierarchyError, ParamsError, PlanWarning, SplitError
from planlib.hierarchy import RegionTree
from planlib.targets import SPLIT_METHODS, constrain_split, fit_table, round_table, shares_for, split_down, split_target
from planlib.rounding import round_to_total


def _history(rows):
    """Tidy history from (child, 'YYYY-MM', value) triples."""
    frame = pd.DataFrame(rows, columns=["child", "month", "value"])
    frame["month"] = pd.to_datetime(frame["month"] + "-01")
    return frame


# Parent = A + B over two months: parent 100 / 200, A 50 / 50, B 50 / 150.
TWO_MONTHS = _history([("A", "2025-01", 50.0), ("A", "2025-02", 50.0), ("B", "2025-01", 50.0), ("B", "2025-02", 150.0)])


# -- round_to_total -----------------------------------------------------------------------
def test_round_to_total_splits_a_million_three_ways_exactly():
    # plain rounding gives 333,333.33 x 3 = 999,999.99; the cent left over goes to the first
    out = round_to_total(np.full(3, 1_000_000.00 / 3), 1_000_000.00, unit=0.01)
    assert out.tolist() == [333333.34, 333333.33, 333333.33]
    assert round(out.sum(), 2) == 1_000_000.00
    assert np.round(np.full(3, 1_000_000.00 / 3), 2).sum() != 1_000_000.00  # the hazard itself


def test_round_to_total_ties_go_to_lower_position_then_lower_label():
    # four equal remainders of .5, two units to hand out
    assert round_to_total(np.array([0.5, 0.5, 0.5, 0.5]), 2).tolist() == [1, 1, 0, 0]
    # same with labels in reverse order: the lower labels ("a", "b") win, wherever they sit
    s = pd.Series([0.5, 0.5, 0.5, 0.5], index=["d", "c", "b", "a"], name="x")
    out = round_to_total(s, 2)
    assert out.to_dict() == {"d": 0, "c": 0, "b": 1, "a": 1}
    assert out.name == "x" and out.dtype == np.int64
    # the larger remainder beats the lower label
    assert round_to_total(pd.Series([1.4, 1.6], index=["a", "b"]), 3).to_dict() == {"a": 1, "b": 2}


def test_round_to_total_rounds_in_multiples_of_the_unit():
    # 1,000 in hundreds over 1:1:1 -> 400, 300, 300
    out = round_to_total([1.0, 1.0, 1.0], 1000, unit=100)
    assert out.tolist() == [400, 300, 300]


def test_round_to_total_is_floor_or_ceil_and_exact_on_random_inputs():
    for seed in range(30):
        rng = np.random.default_rng(seed)
        values = rng.gamma(0.8, 1000.0, size=rng.integers(1, 60))
        total = int(rng.integers(0, 10**7))
        out = round_to_total(values, total)
        quotas = values * total / values.sum()
        assert out.sum() == total
        assert np.all(out >= np.floor(quotas - 1e-6)) and np.all(out <= np.ceil(quotas + 1e-6))


def test_round_to_total_rejects_bad_inputs_with_reasons():
    with pytest.raises(SplitError, match="not a multiple of the unit 100"):
        round_to_total([1.0, 2.0], 1050, unit=100)
    with pytest.raises(SplitError, match="negative for b"):
        round_to_total(pd.Series([1.0, -1.0], index=["a", "b"]), 10)
    with pytest.raises(SplitError, match=r"NaN\) or infinite for a"):
        round_to_total(pd.Series([np.nan, 1.0], index=["a", "b"]), 10)
    with pytest.raises(SplitError, match="all zero"):
        round_to_total([0.0, 0.0], 10)


# -- split_target -------------------------------------------------------------------------
def test_split_target_sums_exactly_to_total():
    shares = pd.Series({"K1": 2.0, "K2": 1.0, "K3": 1.0})
    before = shares.copy()
    out = split_target(1_000_001, shares)
    # quotas 500,000.5 / 250,000.25 / 250,000.25: the unit goes to K1's .5
    assert out.to_dict() == {"K1": 500_001, "K2": 250_000, "K3": 250_000}
    assert out.name == "target"
    pd.testing.assert_series_equal(shares, before)  # input unchanged


def test_split_target_all_zero_shares_split_evenly_with_warning():
    with pytest.warns(PlanWarning, match="split evenly over 3 children"):
        out = split_target(10, pd.Series({"K1": 0.0, "K2": 0.0, "K3": 0.0}))
    assert out.to_dict() == {"K1": 4, "K2": 3, "K3": 3}


def test_split_target_rejects_negative_and_nan_shares_naming_children():
    with pytest.raises(SplitError, match="negative for K2"):
        split_target(100, pd.Series({"K1": 1.0, "K2": -0.5}))
    with pytest.raises(SplitError, match="K1, K3"):
        split_target(100, pd.Series({"K1": np.nan, "K2": 1.0, "K3": np.nan}))


# -- shares_for ---------------------------------------------------------------------------
def test_shares_for_proportion_averages_matches_hand_computed():
    # A: (50 + 50) / (100 + 200) = 1/3
    before = TWO_MONTHS.copy()
    out = shares_for("proportion_averages", TWO_MONTHS)
    assert_allclose(out.to_numpy(), [1 / 3, 2 / 3])
    assert list(out.index) == ["A", "B"]
    pd.testing.assert_frame_equal(TWO_MONTHS, before)


def test_shares_for_average_proportions_matches_hand_computed():
    # A: (50/100 + 50/200) / 2 = 0.375; B: (0.5 + 0.75) / 2 = 0.625
    out = shares_for("average_proportions", TWO_MONTHS)
    assert_allclose(out.to_numpy(), [0.375, 0.625])


def _opened_history(first_b: int, b_value: float = 5.0) -> pd.DataFrame:
    """A sells 10 a month and C 20 a month for 24 months; B sells b_value a month from month first_b (0-based)."""
    months = pd.date_range("2024-01-01", periods=24, freq="MS")
    rows = [("A", m, 10.0) for m in months] + [("C", m, 20.0) for m in months]
    rows += [("B", m, b_value if i >= first_b else 0.0) for i, m in enumerate(months)]
    return pd.DataFrame(rows, columns=["child", "month", "value"])


@pytest.mark.parametrize("method", ["proportion_averages", "average_proportions"])
def test_shares_for_a_region_added_last_year_takes_its_share_since_it_opened(method):
    # B opened in 2025-01: in its 12 months it sold 5 of every 35 -> 1/7; A and C share the
    # other 6/7 as 10 : 20 (both methods agree on these flat histories)
    with pytest.warns(PlanWarning, match=r"opened during the history window, first sales: B \(2025-01\)"):
        out = shares_for(method, _opened_history(12))
    assert_allclose(out[["A", "B", "C"]].to_numpy(), [6 / 7 / 3, 1 / 7, 6 / 7 * 2 / 3])
    assert out.sum() == pytest.approx(1.0)
    # measured over all 24 months B would get 60 / 780, little more than half its share while trading
    assert out["B"] > 1.8 * 60 / 780


def test_shares_for_a_short_gap_at_the_start_is_not_an_opening():
    # B missing only its first two months (fewer than NEW_CHILD_MONTHS): the plain definitions
    import warnings as w

    with w.catch_warnings():
        w.simplefilter("error", PlanWarning)
        out = shares_for("proportion_averages", _opened_history(2))
    assert out["B"] == pytest.approx(5 * 22 / (30 * 24 + 5 * 22))


def test_shares_for_a_seasonal_child_is_not_an_opening():
    # B sells only April to December, both years: quiet in the same months a year later
    import warnings as w

    months = pd.date_range("2024-01-01", periods=24, freq="MS")
    hist = pd.DataFrame([("A", m, 100.0) for m in months] + [("B", m, 50.0 if m.month >= 4 else 0.0) for m in months],
                        columns=["child", "month", "value"])
    with w.catch_warnings():
        w.simplefilter("error", PlanWarning)
        out = shares_for("proportion_averages", hist)
    assert out["B"] == pytest.approx(900 / 3300)


def test_shares_for_openings_taking_more_than_the_whole_never_zero_a_steady_child():
    # B opens in month 12 and C in month 18, each selling 1,000 a month: their shares while
    # trading (0.625 and 0.476) add up past 1, so every child's share is taken over its own
    # months and the three rescaled; the steady A keeps a share
    months = pd.date_range("2024-01-01", periods=24, freq="MS")
    rows = [("A", m, 100.0) for m in months]
    rows += [("B", m, 1000.0 if i >= 12 else 0.0) for i, m in enumerate(months)]
    rows += [("C", m, 1000.0 if i >= 18 else 0.0) for i, m in enumerate(months)]
    with pytest.warns(PlanWarning, match=r"2 of the children opened during the history window"):
        out = shares_for("proportion_averages", pd.DataFrame(rows, columns=["child", "month", "value"]))
    # A: 2,400 of 20,400 over the window; B: 12,000 of 19,200 since month 12; C: 6,000 of 12,600 since month 18
    raw = np.array([2400 / 20400, 12000 / 19200, 6000 / 12600])
    assert_allclose(out[["A", "B", "C"]].to_numpy(), raw / raw.sum())
    assert out["A"] > 0.09


def test_shares_for_average_proportions_skips_months_with_a_zero_parent():
    # March: both children sold 0 -> the month is skipped, not counted as 0/0
    hist = pd.concat([TWO_MONTHS, _history([("A", "2025-03", 0.0), ("B", "2025-03", 0.0)])])
    assert_allclose(shares_for("average_proportions", hist).to_numpy(), [0.375, 0.625])


def test_shares_for_window_defaults_to_last_24_months():
    # 2023-01 (A only, huge) falls outside the last 24 months (2023-02 .. 2025-01)
    rows = [("A", "2023-01", 10_000.0)]
    for month in pd.date_range("2023-02-01", "2025-01-01", freq="MS"):
        rows += [("A", month.strftime("%Y-%m"), 1.0), ("B", month.strftime("%Y-%m"), 3.0)]
    hist = _history(rows)
    assert_allclose(shares_for("proportion_averages", hist).to_numpy(), [0.25, 0.75])
    # an explicit window of 25 months takes the big month in
    assert shares_for("proportion_averages", hist, window=25)["A"] > 0.9
    # and a (start, end) window
    out = shares_for("proportion_averages", hist, window=(pd.Timestamp("2023-01-01"), pd.Timestamp("2023-01-01")))
    assert_allclose(out.to_numpy(), [1.0, 0.0])


def test_shares_for_zero_history_child_gets_zero_share():
    # C is a child with no history (listed via children=): share 0, the others unchanged
    out = shares_for("proportion_averages", TWO_MONTHS, children=["A", "B", "C"])
    assert_allclose(out.to_numpy(), [1 / 3, 2 / 3, 0.0])
    assert split_target(300, out).to_dict() == {"A": 100, "B": 200, "C": 0}


def test_shares_for_zero_history_parent_splits_evenly_with_warning():
    # the whole parent sold nothing in the window: zero shares, then an even split
    hist = _history([("A", "2025-01", 0.0), ("B", "2025-01", 0.0)])
    for method in ("proportion_averages", "average_proportions"):
        shares = shares_for(method, hist)
        assert shares.tolist() == [0.0, 0.0]
        with pytest.warns(PlanWarning, match="split evenly"):
            assert split_target(101, shares).tolist() == [51, 50]


def test_shares_for_potential_equal_and_blend():
    potential = pd.Series({"A": 300.0, "B": 100.0})
    assert_allclose(shares_for("potential", potential=potential).to_numpy(), [0.75, 0.25])
    assert_allclose(shares_for("equal", TWO_MONTHS).to_numpy(), [0.5, 0.5])
    # blend 3:1 of proportion_averages (1/3, 2/3) and potential (3/4, 1/4), weights normalised
    out = shares_for(
        "blend", TWO_MONTHS, potential=potential, weights={"proportion_averages": 3, "potential": 1}
    )
    assert_allclose(out.to_numpy(), [0.75 / 3 + 0.25 * 0.75, 0.75 * 2 / 3 + 0.25 * 0.25])
    assert_allclose(out.sum(), 1.0)


def test_shares_for_unknown_method_lists_the_valid_ones():
    with pytest.raises(ParamsError, match="proportion_averages, average_proportions, forecast_proportions, potential, equal, blend"):
        shares_for("proportional", TWO_MONTHS)
    with pytest.raises(ParamsError, match="'top_down'.*valid: proportion_averages"):
        shares_for("blend", TWO_MONTHS, weights={"top_down": 1.0})
    with pytest.raises(ParamsError, match="non-negative"):
        shares_for("blend", TWO_MONTHS, weights={"equal": -1.0})
    with pytest.raises(ParamsError, match="needs a potential"):
        shares_for("potential", TWO_MONTHS)
    assert set(SPLIT_METHODS) == {"proportion_averages", "average_proportions", "forecast_proportions", "potential", "equal"}


def test_shares_for_rejects_negative_history_naming_children():
    with pytest.raises(SplitError, match="negative for B"):
        shares_for("proportion_averages", _history([("A", "2025-01", 1.0), ("B", "2025-01", -2.0)]))
    with pytest.raises(DataError, match="missing value"):
        shares_for("proportion_averages", TWO_MONTHS.drop(columns="value"))


# -- constrain_split ----------------------------------------------------------------------
def test_constrain_split_respects_floor_and_cap():
    # 1,000 by shares 1:1:2 would be 250 / 250 / 500, but A may shrink at most 10% from
    # last year's 400 (floor 360) and C is capped at 300: A 360, C 300, B takes the rest 340
    shares = pd.Series({"A": 1.0, "B": 1.0, "C": 2.0})
    last_year = pd.Series({"A": 400.0, "B": 100.0, "C": 100.0})
    cap = pd.Series({"C": 300.0})
    out = constrain_split(1000, shares, last_year=last_year, floor=0.1, cap=cap)
    assert out.to_dict() == {"A": 360, "B": 340, "C": 300}
    assert out.dtype == np.int64
    pd.testing.assert_series_equal(last_year, pd.Series({"A": 400.0, "B": 100.0, "C": 100.0}))


def test_constrain_split_holds_exactly_and_respreads_the_rest():
    # K1 held at 300,000; 700,000 left over K2:K3 = 1:3
    shares = pd.Series({"K1": 5.0, "K2": 1.0, "K3": 3.0})
    out = constrain_split(1_000_000, shares, holds={"K1": 300_000})
    assert out.to_dict() == {"K1": 300_000, "K2": 175_000, "K3": 525_000}


def test_constrain_split_rounds_within_fractional_bounds():
    # floors 333.5 and caps 333.7 leave only 334 for A and 333 for C (floor rounded up,
    # cap rounded down); B gets the rest and the total stays exact
    shares = pd.Series({"A": 1.0, "B": 1.0, "C": 1.0})
    out = constrain_split(
        1000, shares, last_year=pd.Series({"A": 667.0}), floor=0.5, cap=pd.Series({"C": 333.7})
    )
    assert out["A"] >= 333.5 and out["C"] <= 333.7
    assert out.sum() == 1000
    assert out.to_dict() == {"A": 334, "B": 333, "C": 333}


def test_constrain_split_bounds_hold_on_random_feasible_cases():
    for seed in range(40):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(2, 15))
        idx = [f"K{i:02d}" for i in range(n)]
        shares = pd.Series(rng.gamma(1.0, 1.0, n), index=idx)
        last_year = pd.Series(rng.integers(0, 1000, n).astype(float), index=idx)
        cap = pd.Series(last_year.to_numpy() * rng.uniform(1.0, 3.0, n) + 50, index=idx)
        lo = 0.8 * last_year
        total = int(rng.integers(int(np.ceil(lo).sum()), int(np.floor(cap).sum()) + 1))
        out = constrain_split(total, shares, last_year=last_year, floor=0.2, cap=cap)
        assert out.sum() == total
        assert (out >= lo - 1e-9).all() and (out <= cap + 1e-9).all()


def test_constrain_split_infeasible_floors_name_the_shortfall():
    # K2, K3 may shrink at most 20% from 750,000 each: floors need 1,200,000, but
    # 1,300,000 - 300,000 held leaves 1,000,000
    shares = pd.Series({"K1": 1.0, "K2": 1.0, "K3": 1.0})
    last_year = pd.Series({"K1": 300_000.0, "K2": 750_000.0, "K3": 750_000.0})
    with pytest.raises(SplitError) as err:
        constrain_split(1_300_000, shares, last_year=last_year, floor=0.2, holds={"K1": 300_000})
    msg = str(err.value)
    assert "floors need 1,200,000 but only 1,000,000 remains after holds {K1: 300,000}" in msg
    assert "short by 200,000" in msg and "K2, K3" in msg


def test_constrain_split_infeasible_caps_name_the_excess():
    shares = pd.Series({"A": 1.0, "B": 1.0})
    with pytest.raises(SplitError, match=r"caps allow only 900 but 1,000 remains to place \(over by 100"):
        constrain_split(1000, shares, cap=pd.Series({"A": 400.0, "B": 500.0}))


def test_constrain_split_infeasible_holds_name_the_conflict():
    shares = pd.Series({"A": 1.0, "B": 1.0})
    with pytest.raises(SplitError, match=r"holds \{A: 700, B: 400\} sum to 1,100, more than the total 1,000 \(over by 100\)"):
        constrain_split(1000, shares, holds={"A": 700, "B": 400})
    with pytest.raises(SplitError, match=r"hold A: 100 is below its own floor 360 \(short by 260\)"):
        constrain_split(1000, shares, last_year=pd.Series({"A": 400.0}), floor=0.1, holds={"A": 100})
    with pytest.raises(SplitError, match=r"hold B: 600 is above its own cap 500 \(over by 100\)"):
        constrain_split(1000, shares, cap=pd.Series({"B": 500.0}), holds={"B": 600})
    with pytest.raises(SplitError, match="not in the split: Z"):
        constrain_split(1000, shares, holds={"Z": 1})


# -- fit_table / round_table --------------------------------------------------------------
def test_fit_table_reproduces_both_margins_and_keeps_structural_zeros():
    # 3 counties x 3 months; county K3 never sells in March (a structural zero)
    seed = pd.DataFrame(
        [[10.0, 20.0, 30.0], [5.0, 5.0, 10.0], [8.0, 4.0, 0.0]],
        index=["K1", "K2", "K3"],
        columns=["m01", "m02", "m03"],
    )
    before = seed.copy()
    rows = pd.Series({"K1": 700.0, "K2": 200.0, "K3": 100.0})
    cols = pd.Series({"m01": 300.0, "m02": 300.0, "m03": 400.0})
    fitted = fit_table(seed, rows, cols)
    assert_allclose(fitted.sum(axis=1).to_numpy(), rows.to_numpy(), rtol=1e-9)
    assert_allclose(fitted.sum(axis=0).to_numpy(), cols.to_numpy(), rtol=1e-9)
    assert fitted.loc["K3", "m03"] == 0.0
    pd.testing.assert_frame_equal(seed, before)


def test_fit_table_spreads_an_empty_seed_row_evenly_with_warning():
    # K2 is new: a total, no seed; it is seeded over the months with a positive total
    seed = pd.DataFrame([[1.0, 3.0, 0.0], [0.0, 0.0, 0.0]], index=["K1", "K2"], columns=["a", "b", "c"])
    with pytest.warns(PlanWarning, match="K2 have a total but no seed"):
        fitted = fit_table(seed, [40.0, 20.0], [30.0, 30.0, 0.0])
    assert_allclose(fitted.sum(axis=1).to_numpy(), [40.0, 20.0])
    assert_allclose(fitted.sum(axis=0).to_numpy(), [30.0, 30.0, 0.0])
    assert (fitted["c"] == 0).all()


def test_fit_table_rejects_margins_that_disagree():
    seed = pd.DataFrame([[1.0, 1.0]], index=["K1"], columns=["a", "b"])
    with pytest.raises(SplitError, match="row totals sum to 10 but column totals to 11"):
        fit_table(seed, [10.0], [5.0, 6.0])


def test_round_table_margins_exact_on_random_tables():
    for seed in range(50):
        rng = np.random.default_rng(seed)
        n_rows, n_cols = int(rng.integers(1, 41)), int(rng.integers(1, 13))
        # integer margins from a hidden integer table; the seed shares its zero pattern
        hidden = rng.integers(0, 50, size=(n_rows, n_cols)) * (rng.random((n_rows, n_cols)) > 0.15)
        seed_table = pd.DataFrame(rng.gamma(1.0, 10.0, (n_rows, n_cols)) * (hidden > 0))
        rows, cols = hidden.sum(axis=1), hidden.sum(axis=0)
        fitted = fit_table(seed_table, rows, cols)
        before = fitted.copy()
        out = round_table(fitted, rows, cols)
        assert (out.dtypes == np.int64).all()
        np.testing.assert_array_equal(out.sum(axis=1).to_numpy(), rows)
        np.testing.assert_array_equal(out.sum(axis=0).to_numpy(), cols)
        x = fitted.to_numpy()
        assert np.all(out.to_numpy() >= np.floor(x - 1e-9)) and np.all(out.to_numpy() <= np.ceil(x + 1e-9))
        pd.testing.assert_frame_equal(fitted, before)


def test_round_table_rounds_in_units_and_beats_plain_rounding():
    # 3 x 3 of 1/3 each (in hundreds): every margin 100; plain rounding gives 99 everywhere
    table = pd.DataFrame(np.full((3, 3), 100 / 3))
    out = round_table(table, [100] * 3, [100] * 3)
    assert out.sum(axis=1).tolist() == [100] * 3 and out.sum(axis=0).tolist() == [100] * 3
    assert np.round(table).sum(axis=1).tolist() == [99.0] * 3
    out = round_table(table * 100, [10_000] * 3, [10_000] * 3, unit=100)
    assert set(np.unique(out.to_numpy())) <= {3300, 3400}
    assert out.sum(axis=0).tolist() == [10_000] * 3


def test_round_table_rejects_a_table_that_does_not_match_its_totals():
    with pytest.raises(SplitError, match="fit it to the totals first"):
        round_table(pd.DataFrame([[1.0, 2.0]]), [5], [2, 3])


# -- split_down ---------------------------------------------------------------------------
# HQ -> P1 -> {C1 -> {K1, K2, K3}, C2 -> {K4}}; P2 -> C3 -> K5 (no history at all)
TREE = RegionTree(
    pd.DataFrame(
        [
            ("HQ", "总部", "hq", None),
            ("P1", "山东省", "province", "HQ"),
            ("P2", "河北省", "province", "HQ"),
            ("C1", "济南市", "city", "P1"),
            ("C2", "青岛市", "city", "P1"),
            ("C3", "石家庄市", "city", "P2"),
            ("K1", "历城区", "county", "C1"),
            ("K2", "章丘区", "county", "C1"),
            ("K3", "新设县", "county", "C1"),
            ("K4", "崂山区", "county", "C2"),
            ("K5", "正定县", "county", "C3"),
        ],
        columns=["region_id", "name", "level", "parent_id"],
    )
)
LEAF_HISTORY = pd.DataFrame(
    {
        "region_id": ["K1", "K1", "K2", "K2", "K4", "K4"],
        "month": pd.to_datetime(["2025-01-01", "2025-02-01"] * 3),
        "value": [30.0, 30.0, 10.0, 30.0, 50.0, 50.0],
    }
)


def _check_reaggregates(out: pd.DataFrame) -> None:
    targets = out.set_index("region_id")["target"]
    sums = out.dropna(subset=["parent_id"]).groupby("parent_id")["target"].sum()
    for parent, total in sums.items():
        assert total == targets[parent], parent


def test_split_down_reaggregates_exactly_at_every_level():
    before = LEAF_HISTORY.copy()
    out = split_down(TREE, 1_000_003, LEAF_HISTORY, method="proportion_averages")
    pd.testing.assert_frame_equal(LEAF_HISTORY, before)
    assert list(out.columns) == ["region_id", "parent_id", "level", "target"]
    assert list(out["region_id"]) == list(TREE.ids)
    _check_reaggregates(out)
    t = out.set_index("region_id")["target"]
    # P2's subtree has no history while P1's has: P2 gets 0 (zero-history child)
    assert t["P1"] == 1_000_003 and t["P2"] == t["C3"] == t["K5"] == 0
    # within P1: C1 history 100, C2 100 -> 500,001.5 each; the tie goes to C1
    assert t["C1"] == 500_002 and t["C2"] == 500_001 and t["K4"] == 500_001
    # within C1: K1 60, K2 40, K3 none -> 300,001.2 / 200,000.8 / 0
    assert (t["K1"], t["K2"], t["K3"]) == (300_001, 200_001, 0)


def test_split_down_zero_history_parent_splits_evenly_with_warning():
    # from P2 (nothing sold anywhere below it) the target still reaches K5, with a warning
    # P2's only child takes it all without a warning; C3 splits evenly over K5, K6
    tree = RegionTree(TREE.to_frame().pipe(lambda f: pd.concat(
        [f, pd.DataFrame([("K6", "新区", "county", "C3")], columns=f.columns)], ignore_index=True)))
    with pytest.warns(PlanWarning, match=r"split evenly: C3 \(1,001 over 2 children\)"):
        out = split_down(tree, 1001, LEAF_HISTORY, root="P2")
    assert out.set_index("region_id")["target"].to_dict() == {"P2": 1001, "C3": 1001, "K5": 501, "K6": 500}


def test_split_down_average_proportions_and_levels():
    # stop at the city level: no county rows
    out = split_down(TREE, 1000, LEAF_HISTORY, method="average_proportions", levels="city")
    assert set(out["level"]) == {"hq", "province", "city"}
    _check_reaggregates(out)
    # C1 months: (40/90 + 60/110) / 2 of P1 -> 0.4949..; 1000 * that = 494.9 -> 495
    assert out.set_index("region_id")["target"]["C1"] == 495
    out = split_down(TREE, 1000, LEAF_HISTORY, levels=1)
    assert set(out["region_id"]) == {"HQ", "P1", "P2"}


def test_split_down_from_a_given_root_with_potential():
    potential = pd.Series({"K1": 1.0, "K2": 1.0, "K3": 2.0})
    out = split_down(TREE, 1000, LEAF_HISTORY, method="potential", root="C1", potential=potential)
    assert out.set_index("region_id")["target"].to_dict() == {"C1": 1000, "K1": 250, "K2": 250, "K3": 500}


def test_split_down_rejects_unknown_regions_and_methods():
    bad = LEAF_HISTORY.assign(region_id=["K1", "K1", "K2", "K2", "ZZ", "ZZ"])
    with pytest.raises(HierarchyError, match="not in the tree: ZZ"):
        split_down(TREE, 1000, bad)
    with pytest.raises(ParamsError, match="valid methods"):
        split_down(TREE, 1000, LEAF_HISTORY, method="top_down")


def test_split_down_blend_goes_through_the_general_path():
    # HQ: proportion_averages gives P1 1, P2 0; equal gives 1/2 each -> 3/4 and 1/4
    out = split_down(
        TREE, 1000, LEAF_HISTORY, method="blend", weights={"proportion_averages": 0.5, "equal": 0.5}
    )
    t = out.set_index("region_id")["target"]
    assert (t["P1"], t["P2"], t["C1"], t["C2"]) == (750, 250, 375, 375)
    _check_reaggregates(out)


def test_fit_table_reports_margins_the_seed_cannot_reach():
    # row 1 may only use column b, whose total is 0
    seed = pd.DataFrame([[1.0, 0.0], [0.0, 1.0]], columns=["a", "b"])
    with pytest.raises(SplitError, match="did not fit its margins in 50 rounds"):
        fit_table(seed, [1.0, 1.0], [2.0, 0.0], max_iter=50)


def test_constrain_split_zero_free_shares_spread_evenly_with_warning():
    with pytest.warns(PlanWarning, match="spread evenly"):
        out = constrain_split(10, pd.Series({"a": 0.0, "b": 0.0}), cap=pd.Series({"a": 3.0}))
    assert out.to_dict() == {"a": 3, "b": 7}


def test_round_table_in_cents_keeps_margins_exact():
    fitted = fit_table(pd.DataFrame(np.ones((2, 3))), [1.0, 1.0], [0.67, 0.67, 0.66])
    out = round_table(fitted, [1.0, 1.0], [0.67, 0.67, 0.66], unit=0.01)
    assert_allclose(out.sum(axis=1).to_numpy(), [1.0, 1.0], atol=1e-9)
    assert_allclose(out.sum(axis=0).to_numpy(), [0.67, 0.67, 0.66], atol=1e-9)
    assert set(np.round(out.to_numpy().ravel(), 2)) <= {0.33, 0.34}
