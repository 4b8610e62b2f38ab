"""A region's past spend's returns from the archive's sums equal those of its full review, to the bit."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from planlib import budget, review
from planlib.archive import store as archive
from tests.conftest import write_tiny_archive

ROOT = Path(__file__).resolve().parents[2]


def review_returns(con, tree, region, years):
    """What 30_build_budget computed before: spend_roi on the region's full review."""
    data = review.load_region_data(con, tree, region, years=years)
    rv = review.review_region(data, tree)
    if data.expenses.empty and rv.activity_lift.empty:
        return None
    return budget.spend_roi(data.expenses, rv.activity_lift, monthly=rv.monthly)


def assert_same(old, new):
    assert (old is None) == (new is None)
    if old is not None:
        assert list(old) == list(new)
        for key in old:
            pd.testing.assert_frame_equal(old[key], new[key], check_exact=True, obj=key)


@pytest.fixture(scope="module")
def demo_con(demo_plan):
    con = archive.connect(demo_plan.parent.parent / "data" / "demo.duckdb")
    con.execute("SET threads = 1")  # the control market's SUM (control_revenue) adds in a fixed order only on one thread
    yield con, archive.load_tree(con)
    con.close()


@pytest.mark.parametrize("region", ["HQ", "P01", "P01C01", "P01C01K01"])
def test_demo_returns_equal_the_review(demo_con, region):
    con, tree = demo_con
    new = budget.region_spend_returns(con, tree, region, years=(2024, 2026))
    assert new is not None and not new["by_kind"].empty and not new["by_category"].empty
    assert_same(review_returns(con, tree, region, (2024, 2026)), new)


def add_spend(path):
    """Rows stored out of key order, with missing keys and values that add up differently in another order."""
    rng = np.random.default_rng(14)
    con = duckdb.connect(str(path))
    try:
        rows = []
        for region in ("K1", "K2", "C1"):
            for year in (2024, 2025):
                for month in range(1, 13):
                    for terminal in (None, "T1", "T2"):
                        for distributor in (None, "D1"):
                            v = float(rng.integers(1, 50))
                            rows.append((pd.Timestamp(year, month, 1), "month", region, "S1", "supermarket", "own",
                                         terminal, distributor, v, v * 49.99 * rng.uniform(0.9, 1.1)))
        sales = pd.DataFrame(rows, columns=["date", "grain", "region_id", "sku", "channel", "brand", "terminal_id",
                                            "distributor_id", "volume", "revenue"]).sample(frac=1.0, random_state=1)
        con.register("extra_sales", sales)
        con.execute("INSERT INTO sales SELECT * FROM extra_sales")
        expenses = pd.DataFrame([
            (pd.Timestamp(year, month, 1), region, category, item, terminal, float(rng.uniform(10, 1000)))
            for region in ("K1", "K2", "C1", "P1") for year in (2024, 2025) for month in (1, 6, 11)
            for category, item in (("promotion", "premiums"), ("media", "tv"), ("channel", "display"))
            for terminal in (None, "T1")
        ], columns=["date", "region_id", "category", "item", "terminal_id", "amount"]).sample(frac=1.0, random_state=2)
        con.register("extra_expenses", expenses)
        con.execute("INSERT INTO expenses SELECT * FROM extra_expenses")
        activities = pd.DataFrame([
            ("A1", "K1", "own", "promotion", pd.Timestamp(2025, 9, 1), pd.Timestamp(2025, 9, 30), 800.0, None),
            ("A2", "K2", "own", "media", pd.Timestamp(2025, 5, 1), pd.Timestamp(2025, 6, 30), 3000.0, None),
            ("A3", "C1", "own", "tasting", pd.Timestamp(2024, 2, 1), pd.Timestamp(2024, 2, 29), 500.0, None),
            ("A4", "C1", "own", "promotion", pd.Timestamp(2025, 1, 1), pd.Timestamp(2025, 1, 31), 200.0, None),
            ("A5", "K1", "金潭", "promotion", pd.Timestamp(2025, 3, 1), pd.Timestamp(2025, 3, 31), 900.0, None),
            ("A6", "P1", "own", "media", pd.Timestamp(2025, 4, 1), pd.Timestamp(2025, 4, 30), 5000.0, None),
        ], columns=["activity_id", "region_id", "brand", "kind", "start_date", "end_date", "cost", "description"])
        con.register("extra_activities", activities)
        con.execute("INSERT INTO activities SELECT * FROM extra_activities")
    finally:
        con.close()
    return path


def test_tiny_archive_equal_with_and_without_history(tmp_path):
    path = add_spend(write_tiny_archive(tmp_path / "tiny.duckdb"))
    con = archive.connect(path)
    try:
        con.execute("SET threads = 1")
        tree = archive.load_tree(con)
        measured = 0
        for region in ("HQ", "P1", "C1", "K1", "K2", "K3"):
            for years in (None, (2025, 2025), (2030, 2031)):
                new = budget.region_spend_returns(con, tree, region, years=years)
                assert_same(review_returns(con, tree, region, years), new)
                measured += new is not None and int(new["by_kind"]["measured"].iloc[-1]) > 0
        assert measured >= 4
    finally:
        con.close()
