"""A region's past spend's returns from the archive's sums equal those of its full review, to the bit."""

from __future__ import annotations

from pathlib import Path

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
def demo_con():
    path = ROOT / "data" / "demo.duckdb"
    if not path.exists():
        pytest.skip("the demo archive is not built (make demo)")
    con = archive.connect(path)
    con.execute("SET threads = 1")  # the control market's SUM (control_revenue) adds in a fixed order only on one thread
    yield con, archive.load_tree(con)
    con.close()


@pytest.mark.parametrize("region", ["HQ", "P01", "P01C01", "P01C01K01"])
def test_demo_returns_equal_the_review(demo_con, region):
    con, tree = demo_con
    new = budget.region_spend_returns(con, tree, region, years=(2024, 2026))
    assert new is not None and not new["by_kind"].empty and not new["by_category"].empty
    assert_same(review_returns(con, tree, region, (2024, 2026)), new)


def test_tiny_archive_equal_with_and_without_history(tmp_path):
    path = write_tiny_archive(tmp_path / "tiny.duckdb")
    con = archive.connect(path)
    try:
        tree = archive.load_tree(con)
        for region in ("HQ", "P1", "C1", "K1", "K2", "K3"):
            for years in (None, (2025, 2025), (2030, 2031)):
                assert_same(review_returns(con, tree, region, years), budget.region_spend_returns(con, tree, region, years=years))
    finally:
        con.close()
