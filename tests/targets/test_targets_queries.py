"""The targets stage's queries: children_monthly_volume sums a long region list first, the same frame."""

from __future__ import annotations

import pandas as pd
import pytest

from planlib import archive, params, targets
from planlib.archive.queries import targets as queries


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["region_id", "month"], kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("first_year", [1900, 2025])
def test_children_monthly_volume_is_the_same_summed_first_or_row_by_row(demo_plan, monkeypatch, first_year):
    plan = params.load_plan(demo_plan)
    con = archive.connect(plan.archive, threads=1)
    try:
        tree = archive.load_tree(con)
        province = tree.children(tree.root)[0]
        got = {}
        for root in (tree.root, province):
            ids = list(tree.subtree(root))
            monkeypatch.setattr(queries, "SUM_FIRST_REGIONS", len(ids) + 1)  # each region's rows looked up
            rows = queries.children_monthly_volume(con, ids, first_year, plan.year)
            monkeypatch.setattr(queries, "SUM_FIRST_REGIONS", 1)  # every region summed first
            summed = queries.children_monthly_volume(con, ids, first_year, plan.year)
            assert len(rows) and set(rows["region_id"]) <= set(ids)
            pd.testing.assert_frame_equal(_sorted(summed), _sorted(rows), check_exact=True)
            got[root] = summed
        # the province's regions are the national list's rows of them, either way
        national = got[tree.root]
        pd.testing.assert_frame_equal(_sorted(national[national["region_id"].isin(ids)]), _sorted(got[province]),
                                      check_exact=True)
        assert len(got[province]) < len(national)
    finally:
        con.close()


def test_children_monthly_volume_says_whether_other_regions_sold(demo_plan, monkeypatch):
    plan = params.load_plan(demo_plan)
    con = archive.connect(plan.archive, threads=1)
    try:
        tree = archive.load_tree(con)
        province = tree.children(tree.root)[0]
        monkeypatch.setattr(queries, "SUM_FIRST_REGIONS", 1)  # summed first: the other regions are seen
        frame, outside = queries.children_monthly_volume(con, list(tree.subtree(tree.root)), 1900, plan.year,
                                                         others=True)
        assert outside is False and len(frame)
        part, outside = queries.children_monthly_volume(con, list(tree.subtree(province)), 1900, plan.year, others=True)
        assert outside is True and set(part["region_id"]) <= set(tree.subtree(province))
        monkeypatch.setattr(queries, "SUM_FIRST_REGIONS", 10**6)  # looked up row by row: not known
        _, outside = queries.children_monthly_volume(con, list(tree.subtree(province)), 1900, plan.year, others=True)
        assert outside is None
    finally:
        con.close()


def test_region_sales_figures_without_the_lookup_are_the_same(demo_plan):
    plan = params.load_plan(demo_plan)
    con = archive.connect(plan.archive, threads=1)
    try:
        tree = archive.load_tree(con)
        ids = list(tree.subtree(tree.root))
        looked_up = queries.region_sales_figures(con, ids, plan.year)
        direct = queries.region_sales_figures(con, ids, plan.year, all_recorded_from=1900)
        pd.testing.assert_frame_equal(direct[0], looked_up[0], check_exact=True)
        assert direct[1] == looked_up[1] and direct[2] == looked_up[2]
        pd.testing.assert_frame_equal(direct[3], looked_up[3], check_exact=True)
        # a province's figures, wrongly said to hold every region's sales from last year: the archive's
        # older sales make the read fall back to the lookup, so they stay the province's own
        province = list(tree.subtree(tree.children(tree.root)[0]))
        own = queries.region_sales_figures(con, province, plan.year)
        said = queries.region_sales_figures(con, province, plan.year, all_recorded_from=plan.year - 1)
        pd.testing.assert_frame_equal(said[0], own[0], check_exact=True)
        assert said[1] == own[1] and said[1][0] < looked_up[1][0]
    finally:
        con.close()


def test_own_sales_end_is_the_archives_last_month_of_own_sales_before_the_plan_year(demo_plan):
    plan = params.load_plan(demo_plan)
    con = archive.connect(plan.archive)
    try:
        last = con.execute("SELECT max(date) FROM sales WHERE grain = 'month' AND brand = 'own' AND year(date) < ?",
                           [plan.year]).fetchall()[0][0]
        assert queries.own_sales_end(con, plan.year) == pd.Timestamp(last.year, last.month, 1)
        assert queries.own_sales_end(con, plan.year) == pd.Timestamp(plan.year - 1, 12, 1)  # the demo's history is whole
        assert queries.own_sales_end(con, 1990) is None  # no sales before
        tree = archive.load_tree(con)
        econ = targets.region_economics(con, tree, tree.children(tree.root)[0], plan.year)
        assert econ.history_end == pd.Timestamp(plan.year - 1, 12, 1)
    finally:
        con.close()
