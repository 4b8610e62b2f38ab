"""The targets stage's queries: children_monthly_volume sums a long region list first, the same frame."""

from __future__ import annotations

import pandas as pd
import pytest

from planlib import archive, params
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
