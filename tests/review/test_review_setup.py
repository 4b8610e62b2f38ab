"""The review's setup steps built with less pandas work give the frames the longer way gives."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.review import competition, terminals
from planlib.review import sales as sales_figures

ROWS = pd.DataFrame({
    "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01", "2025-01-01", "2025-01-01", "2025-03-01"]),
    "grain": "month", "region_id": "K1", "sku": ["S1", "X1", "S1", "S1", "X1", "S1"], "channel": "supermarket",
    "brand": ["own", "金潭", "own", "own", "金潭", "own"], "terminal_id": ["T1", None, "T2", "T1", None, "T2"],
    "distributor_id": ["D1", "D1", "D2", "D1", "D1", None], "volume": [20.0, 30.0, 10.0, 30.0, 45.0, 8.0],
})  # fmt: skip
ROWS["revenue"] = ROWS["volume"] * 10.0
PRODUCTS = pd.DataFrame({"sku": ["S1", "X1"], "product_line": ["白酒", "白酒"], "unit_variable_cost": [4.0, np.nan]})
TERMINALS = pd.DataFrame({"terminal_id": ["T1", "T2", "T3"], "name": ["甲店", "乙店", "丙店"],
                          "terminal_class": ["A", "B", "A"], "channel": "supermarket"})  # fmt: skip


def test_distributor_review_builds_the_table_once_with_its_hand_computed_values():
    dist = pd.DataFrame({"distributor_id": ["D1", "D2"], "name": ["甲", "乙"], "tier": [1, 2]})
    out = competition.distributor_review(ROWS, dist, year=2025)
    expected = pd.DataFrame({
        "distributor_id": ["D1", "D2"], "name": ["甲", "乙"], "tier": [1, 2], "own_volume": [30.0, 0.0],
        "competitor_volume": [45.0, 0.0], "own_share": [30 / 75, np.nan], "own_volume_prev": [20.0, 10.0],
        "own_growth": [0.5, -1.0], "trend": ["growing", "lost"],
    })  # fmt: skip
    pd.testing.assert_frame_equal(out, expected, check_exact=True)
    # a distributor listed twice: the merge's rows, in the same columns
    twice = competition.distributor_review(ROWS, pd.concat([dist, dist.iloc[[0]]]), year=2025)
    assert list(twice.columns) == list(out.columns) and twice["distributor_id"].tolist() == ["D1", "D1", "D2"]
    pd.testing.assert_frame_equal(twice.drop_duplicates(ignore_index=True), out, check_exact=True)


def test_monthly_sales_keeps_a_year_column_equal_to_the_dates_year():
    plain = sales_figures.monthly_sales(ROWS, PRODUCTS)
    with_year = sales_figures.monthly_sales(ROWS.assign(year=ROWS["date"].dt.year.astype("int64")), PRODUCTS)
    pd.testing.assert_frame_equal(with_year[plain.columns], plain, check_exact=True)
    assert plain["year"].tolist() == [2024, 2024, 2025, 2025] and plain["variable_cost"].tolist() == [80.0, 40.0, 120.0, 32.0]


def test_terminal_classes_read_a_year_column_as_the_dates_year():
    own = sales_figures.monthly_sales(ROWS, PRODUCTS)
    by_year = terminals.terminal_classes(own, TERMINALS, year=2025)
    by_date = terminals.terminal_classes(own.drop(columns="year"), TERMINALS, year=2025)
    pd.testing.assert_frame_equal(by_year, by_date, check_exact=True)
    assert by_year.set_index("terminal_id")["revenue"].to_dict() == {"T1": 300.0, "T2": 80.0, "T3": 0.0}


def _related_by_lookup(yearly, expenses, terminals, distributors):
    """The related ratios as pandas' look-ups and inserted columns gave them."""
    related = yearly[["year", "revenue"]].assign(
        expenses=lambda f: f["year"].map(expenses).fillna(0.0),
        terminals=lambda f: f["year"].map(terminals).fillna(0).astype("int64"),
        distributors=lambda f: f["year"].map(distributors).fillna(0).astype("int64"),
    )
    related["expense_ratio"] = related["expenses"] / related["revenue"].where(related["revenue"] > 0)
    related["revenue_per_terminal"] = related["revenue"] / related["terminals"].where(related["terminals"] > 0)
    related["revenue_per_distributor"] = related["revenue"] / related["distributors"].where(related["distributors"] > 0)
    return related


def test_related_ratios_built_at_once_equal_the_look_ups_and_hand_computed_values():
    from planlib.review.region import _related_ratios

    rng = np.random.default_rng(7)
    yearly = pd.DataFrame({"year": np.array([2022, 2023, 2024], dtype="int32"), "revenue": [0.0, *rng.random(2) * 1e6]})
    expenses = pd.Series([3.1, 7.7], index=pd.Index([2023, 2024], dtype="int32"))  # none in 2022
    terminals, distributors = pd.Series([0, 3, 7], index=[2022, 2023, 2024]), pd.Series([2], index=[2024])
    for frame in (yearly, yearly.assign(year=yearly["year"].astype("int64")), yearly.iloc[0:0]):
        pd.testing.assert_frame_equal(_related_ratios(frame, expenses, terminals, distributors),
                                      _related_by_lookup(frame, expenses, terminals, distributors), check_exact=True)
    out = _related_ratios(yearly, expenses, terminals, distributors)
    assert out["expenses"].tolist() == [0.0, 3.1, 7.7] and out["distributors"].tolist() == [0, 0, 2]
    assert np.isnan(out["expense_ratio"].iat[0]) and out["expense_ratio"].iat[2] == 7.7 / yearly["revenue"].iat[2]
    assert np.isnan(out["revenue_per_distributor"].iat[1]) and out["revenue_per_terminal"].iat[1] == yearly["revenue"].iat[1] / 3


def test_coverage_and_terminal_classes_by_position_hand_computed():
    own = sales_figures.monthly_sales(ROWS, PRODUCTS)
    cov = terminals.coverage(own, TERMINALS)
    assert cov.to_dict("list") == {"terminal_class": ["A", "B", "全部"], "terminals": [2, 1, 3], "active": [1, 1, 2],
                                   "coverage": [0.5, 1.0, 2 / 3]}  # fmt: skip
    empty = terminals.coverage(own, TERMINALS.iloc[0:0])
    assert empty["terminals"].tolist() == [0] and np.isnan(empty["coverage"].iat[0])
    classes = terminals.terminal_classes(own, TERMINALS, year=2025)
    assert classes[["terminal_id", "name", "recorded_class", "computed_class", "mismatch"]].values.tolist() == [
        ["T1", "甲店", "A", "A", False], ["T2", "乙店", "B", "B", False], ["T3", "丙店", "A", "D", True]]
    # an id listed twice: the merge's rows (each of its two ranks with each of its two records), in the same columns
    twice = terminals.terminal_classes(own, pd.concat([TERMINALS, TERMINALS.iloc[[2]]]), year=2025)
    assert list(twice.columns) == list(classes.columns)
    assert twice["terminal_id"].tolist() == ["T1", "T2", "T3", "T3", "T3", "T3"]
