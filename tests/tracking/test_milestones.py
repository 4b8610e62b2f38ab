"""Staged key-terminal milestones, counted by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from planlib.errors import ParamsError
from planlib.hierarchy import RegionTree
from planlib.tracking.milestones import (
    MILESTONE_COLUMNS,
    key_terminals,
    milestone_coverage,
    milestone_list,
)

# HQ -> C1 -> K1 (5 key terminals), K2 (5 key terminals); K3 has none
TREE = RegionTree(pd.DataFrame({
    "region_id": ["HQ", "C1", "K1", "K2", "K3"], "name": ["总部", "市", "一县", "二县", "三县"],
    "level": ["hq", "city", "county", "county", "county"], "parent_id": [None, "HQ", "C1", "C1", "C1"]}))
KEYS = pd.DataFrame({"region_id": ["K1"] * 5 + ["K2"] * 5, "terminal_id": [f"A{i}" for i in range(10)]})
STAGES = [{"stage": "年中", "date": "2027-06-30", "coverage": 0.4},
          {"stage": "年底", "date": "2027-12-31", "coverage": 0.6}]


def sales(*rows) -> pd.DataFrame:
    """(terminal, month number, volume) rows."""
    return pd.DataFrame({"terminal_id": [r[0] for r in rows], "month": [pd.Timestamp(2027, r[1], 1) for r in rows],
                         "volume": [float(r[2]) for r in rows]})


def cov(frame, region, stage):
    return frame[(frame["region_id"] == region) & (frame["stage"] == stage)].iloc[0]


def test_counts_status_and_missed_terminals():
    # K1: A0, A1 bought by June, A2 only in August; K2: A5 in June, A6 returned everything (net 0)
    s = sales(("A0", 2, 3), ("A1", 6, 1), ("A2", 8, 4), ("A5", 6, 2), ("A6", 3, 5), ("A6", 4, -5))
    m = milestone_coverage(KEYS, s, TREE, STAGES, "2027-09-30", names={"A7": "福满楼"})
    assert tuple(m.columns) == MILESTONE_COLUMNS
    k1 = cov(m, "K1", "年中")
    assert (k1["key_terminals"], k1["covered"], k1["coverage"], k1["status"]) == (5, 2, 0.4, "met")
    k2 = cov(m, "K2", "年中")
    assert (k2["covered"], k2["status"], k2["to_win"]) == (1, "missed", 1)
    assert k2["missed"] == ("A6", "A7", "A8", "A9")
    assert k2["missed_names"] == ("A6", "福满楼", "A8", "A9")
    c1 = cov(m, "C1", "年中")
    assert (c1["key_terminals"], c1["covered"], c1["coverage"], c1["status"]) == (10, 3, 0.3, "missed")
    # the year-end stage counts to the as-of date: A2's August counts; not yet due
    k1y = cov(m, "K1", "年底")
    assert (k1y["covered"], k1y["status"], k1y["to_win"]) == (3, "met", 0)
    c1y = cov(m, "C1", "年底")
    assert (c1y["covered"], c1y["status"], c1y["to_win"]) == (4, "not yet due", 2)
    assert "K3" not in set(m["region_id"])
    # regions in tree order, stages by date
    assert m["region_id"].tolist()[:4] == ["HQ", "HQ", "C1", "C1"]


def test_as_of_before_a_stage_cuts_the_sales_it_counts():
    s = sales(("A0", 2, 3), ("A1", 6, 1))
    m = milestone_coverage(KEYS, s, TREE, STAGES, "2027-03-15")
    assert cov(m, "K1", "年中")[["covered", "status"]].tolist() == [1, "not yet due"]


def test_key_terminals_from_targets_or_the_terminals_table():
    targets = pd.DataFrame({"region_id": ["K1", "K1", "K1", "K2"], "terminal_id": ["T2", None, "T2", "T1"]})
    assert key_terminals(targets).values.tolist() == [["K1", "T2"], ["K2", "T1"]]
    terms = pd.DataFrame({"terminal_id": ["T1", "T2", "T3"], "region_id": ["K1", "K1", "K2"],
                          "terminal_class": ["A", "C", "B"]})
    none = targets.assign(terminal_id=None)
    assert key_terminals(none, terms).values.tolist() == [["K1", "T1"], ["K2", "T3"]]


def test_milestone_list_from_objects_and_bad_stages():
    class M:
        stage, date, coverage = "H1", "2027-06-30", 0.4

    out = milestone_list([M(), {"stage": "Q1", "date": "2027-03-31", "coverage": 0.2}])
    assert out["stage"].tolist() == ["Q1", "H1"]
    with pytest.raises(ParamsError, match=r"milestones\[0\]\.coverage"):
        milestone_list([{"stage": "x", "date": "2027-06-30", "coverage": 1.5}])
    with pytest.raises(ParamsError, match="missing date"):
        milestone_list([{"stage": "x", "coverage": 0.5}])
    with pytest.raises(ParamsError, match="outside the plan year 2027"):
        milestone_coverage(KEYS, sales(), TREE, STAGES + [{"stage": "x", "date": "2028-01-31", "coverage": 0.5}],
                           "2027-06-30")


def test_no_stages_or_no_keys_give_an_empty_frame():
    assert milestone_coverage(KEYS, sales(), TREE, [], "2027-06-30").empty
    assert milestone_coverage(KEYS.iloc[0:0], sales(), TREE, STAGES, "2027-06-30").empty
