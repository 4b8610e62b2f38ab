"""Statuses folded from the log, and the rules of approval."""

from __future__ import annotations

import pandas as pd

from planlib.hierarchy import RegionTree
from planlib.workflow import status

TREE = RegionTree(pd.DataFrame(
    [("HQ", "总部", "hq", None), ("C1", "济南市", "city", "HQ"), ("K1", "历城区", "county", "C1"),
     ("K2", "平阴县", "county", "C1")],
    columns=["region_id", "name", "level", "parent_id"]))
REGIONS = ["C1", "K1", "K2"]


def _rec(seq, action, region=None, version=None, by="a", note=""):
    return {"seq": seq, "at": f"t{seq}", "by": by, "action": action, "region_id": region, "version": version,
            "note": note}


def test_region_status_folds_the_log():
    log = [_rec(1, "submit", "K1", by="张三"), _rec(2, "submit", "K2"), _rec(3, "return", "K2", note="三月偏低"),
           _rec(4, "approve", "K1", by="赵总"), _rec(5, "refused", "K2"), _rec(6, "lock", version="v1")]
    st = status.region_status(log, TREE, REGIONS).set_index("region_id")
    assert st.loc["C1", "status"] == "not_submitted" and pd.isna(st.loc["C1", "by"])
    assert st.loc["K1", "status"] == "locked" and st.loc["K1", "at"] == "t6"
    assert st.loc["K2", "status"] == "returned" and st.loc["K2", "note"] == "三月偏低"
    assert list(st["version"]) == ["v1", "v1", "v1"]


def test_parent_is_approved_only_after_its_children():
    log = [_rec(1, "submit", "K1"), _rec(2, "submit", "K2"), _rec(3, "approve", "K1")]
    why = status.refusal(log, TREE, REGIONS, "C1", "approve")
    assert why == "C1 cannot be approved before its children: not approved yet K2 (已提交)"
    log.append(_rec(4, "approve", "K2"))
    assert status.refusal(log, TREE, REGIONS, "C1", "approve") is None


def test_approving_a_parent_freezes_its_subtree():
    log = [_rec(1, "submit", "K1"), _rec(2, "submit", "K2"), _rec(3, "approve", "K1"), _rec(4, "approve", "K2"),
           _rec(5, "approve", "C1")]
    assert "frozen" in status.refusal(log, TREE, REGIONS, "K1", "submit")
    assert "frozen" in status.refusal(log, TREE, REGIONS, "K2", "return", note="重做")


def test_return_needs_a_note_and_a_submission():
    log = [_rec(1, "submit", "K1")]
    assert "--note" in status.refusal(log, TREE, REGIONS, "K1", "return", note=" ")
    assert status.refusal(log, TREE, REGIONS, "K1", "return", note="三月目标偏低") is None
    assert "only a submitted or approved" in status.refusal(log, TREE, REGIONS, "K2", "return", note="x")


def test_leaf_must_submit_before_approval_and_resubmit_after_return():
    assert "must submit first" in status.refusal([], TREE, REGIONS, "K1", "approve")
    log = [_rec(1, "submit", "K1"), _rec(2, "approve", "K1")]
    assert "needs a return first" in status.refusal(log, TREE, REGIONS, "K1", "submit")
    log.append(_rec(3, "return", "K1", note="改"))
    assert status.refusal(log, TREE, REGIONS, "K1", "submit") is None


def test_status_table_gap_against_top_down():
    st = status.region_status([_rec(1, "submit", "K1")], TREE, REGIONS)
    out = status.status_table(st, pd.Series({"K1": 1100.0}), pd.Series({"K1": 1000.0, "K2": 0.0}),
                              {"K1": "历城区"}).set_index("region_id")
    assert out.loc["K1", "gap"] == 100.0 and out.loc["K1", "gap_share"] == 0.1
    assert out.loc["K1", "label"] == "已提交" and out.loc["K1", "name"] == "历城区"
    assert pd.isna(out.loc["K2", "gap_share"]) and pd.isna(out.loc["C1", "gap"])
