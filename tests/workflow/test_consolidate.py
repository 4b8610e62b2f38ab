"""Consolidation of a parent: hand-computed cases on two children (K1, K2) over two months and two lines."""

import numpy as np
import pandas as pd
import pytest

from planlib.workflow import consolidate as co
from planlib.workflow.status import region_status

M1, M2 = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01")
NA = None


def _targets():
    # C (the parent) and its children K1, K2: month totals (breakdowns empty) and product-line rows
    rows = []
    for region, vols in {"C": (300, 200), "K1": (100, 80), "K2": (200, 120)}.items():
        for month, v in zip((M1, M2), vols):
            rows.append((region, month, NA, NA, v, v * 10.0))
            rows.append((region, month, "白酒", NA, v * 3 // 4, v * 7.5))
            rows.append((region, month, "低度酒", NA, v - v * 3 // 4, v * 2.5))
            rows.append((region, month, NA, "supermarket", v, v * 10.0))  # another breakdown: never counted
    return pd.DataFrame(rows, columns=["region_id", "month", "product_line", "channel", "target_volume",
                                       "target_revenue"])


def _submitted():
    # K1 asks 110 + 90 = 200 cases (top-down 180); K2 has not submitted
    return pd.DataFrame({"region_id": ["K1"] * 4, "month": [M1, M1, M2, M2],
                         "product_line": ["白酒", "低度酒", "白酒", "低度酒"],
                         "volume": [80, 30, 70, 20], "revenue": [800.0, 300.0, 700.0, 200.0]})


def _log(*moves):
    return [{"seq": i + 1, "at": f"2026-12-0{i + 1}T10:00:00+00:00", "by": by, "action": a, "region_id": r,
             "version": v, "note": n} for i, (a, r, by, v, n) in enumerate(moves)]


def test_top_down_split_annual_sums_month_totals_only():
    out = co.top_down_split(_targets(), ["K2", "K1", "K9"])
    assert out["region_id"].tolist() == ["K2", "K1", "K9"]
    assert out["top_down"].tolist() == [320.0, 180.0, 0.0]
    assert out["top_down_revenue"].tolist() == [3200.0, 1800.0, 0.0]


def test_top_down_split_by_product_line():
    out = co.top_down_split(_targets(), ["K1"], by="product_line")
    got = dict(zip(out["product_line"], out["top_down"]))
    assert got == {"白酒": 75.0 + 60.0, "低度酒": 25.0 + 20.0}


def test_children_against_split_annual_gap_and_missing_child():
    out = co.children_against_split(_targets(), _submitted(), ["K1", "K2"])
    k1, k2 = out.iloc[0], out.iloc[1]
    assert (k1["top_down"], k1["submitted"], k1["gap"]) == (180.0, 200.0, 20.0)
    assert k1["gap_pct"] == pytest.approx(20 / 180)
    assert k1["revenue_gap"] == 2000.0 - 1800.0
    assert k2["top_down"] == 320.0 and np.isnan(k2["submitted"]) and np.isnan(k2["gap"])


def test_children_against_split_by_month():
    out = co.children_against_split(_targets(), _submitted(), ["K1", "K2"], by="month")
    k1 = out[out["region_id"] == "K1"]
    assert k1["gap"].tolist() == [110 - 100.0, 90 - 80.0]
    assert out[out["region_id"] == "K2"]["submitted"].isna().all()
    assert len(out) == 4


def test_children_against_split_without_submissions():
    out = co.children_against_split(_targets(), None, ["K1", "K2"])
    assert out["submitted"].isna().all() and out["top_down"].tolist() == [180.0, 320.0]


def test_reconcile_children_uses_approved_submissions_only():
    annual = co.children_against_split(_targets(), _submitted(), ["K1", "K2"])
    submitted = region_status(_log(("submit", "K1", "张三", NA, "")), None, ["K1", "K2"])
    rec = co.reconcile_children(annual, submitted)
    assert rec["reconciled"].sum() == 180.0 + 320.0  # not approved yet: the split stands
    approved = region_status(_log(("submit", "K1", "张三", NA, ""), ("approve", "K1", "王五", NA, "")), None,
                                  ["K1", "K2"])
    rec = co.reconcile_children(annual, approved)
    assert rec["reconciled"].tolist() == [200.0, 320.0]
    assert rec["basis"].tolist() == ["submission", "top_down"]
    assert rec["reconciled_revenue"].sum() == 2000.0 + 3200.0


def test_children_status_and_trail():
    log = _log(("submit", "K1", "张三", NA, ""), ("submit", "X9", "外人", NA, ""), ("lock", NA, "赵六", "v1", ""))
    annual = co.children_against_split(_targets(), _submitted(), ["K1", "K2"])
    st = co.children_status(region_status(log, None, ["K1", "K2"]), annual, {"K1": "一县"})
    assert st["name"].tolist() == ["一县", "K2"] and st["status"].tolist() == ["submitted", "not_submitted"]
    trail = co.approval_trail(log, ["C", "K1", "K2"])
    assert trail["seq"].tolist() == [1, 3]  # X9 is not in this subtree; the plan-wide lock is


def test_actions_rollup_and_costs_against_budget():
    actions = pd.DataFrame({"region_id": ["K2", "K1", "K1", "Z"], "action": ["品鉴会", "堆头", "地推", "x"],
                            "owner": ["李四", "张三", "张三", "?"],
                            "due": pd.to_datetime(["2027-03-01", "2027-05-01", "2027-02-01", "2027-01-01"]),
                            "cost": [5000.0, 2000.0, 1000.0, 9.0], "note": ["", "", "", ""]})
    roll = co.actions_rollup(actions, ["K1", "K2"])
    assert roll["action"].tolist() == ["地推", "品鉴会", "堆头"]
    costs = co.action_costs(roll, {"K1": 10000.0, "K2": 0.0}, ["K1", "K2", "K3"])
    assert costs["action_cost"].tolist() == [3000.0, 5000.0, 0.0]
    assert costs["actions"].tolist() == [2, 1, 0]
    assert costs["cost_share"].iloc[0] == pytest.approx(0.3)
    assert np.isnan(costs["cost_share"].iloc[1]) and np.isnan(costs["budget"].iloc[2])
    annual = co.children_against_split(_targets(), _submitted(), ["K1", "K2"])
    rec = co.reconcile_children(annual, region_status(_log(("submit", "K1", "a", NA, ""),
                                                                  ("approve", "K1", "b", NA, "")), None, ["K1", "K2"]))
    figures = dict(co.consolidated_figures(rec, costs))
    assert figures["已提交 / 下级数"] == "1 / 2"
    assert figures["协调后合计（箱）"] == "520" and figures["协调后比分配（箱）"] == "+20"
    assert figures["行动计划费用（元）"] == "8,000" and figures["占下级费用预算"] == "80.0%"


def test_inputs_unchanged():
    t, s = _targets(), _submitted()
    t0, s0 = t.copy(), s.copy()
    co.children_against_split(t, s, ["K1", "K2"], by="product_line")
    pd.testing.assert_frame_equal(t, t0)
    pd.testing.assert_frame_equal(s, s0)


def test_named_and_planned_children():
    from planlib.hierarchy import RegionTree

    tree = RegionTree(pd.DataFrame({"region_id": ["C", "K1", "K2", "T1"], "name": ["市", "一县", "二县", "镇"],
                                    "level": ["city", "county", "county", "township"],
                                    "parent_id": [None, "C", "C", "K1"]}))
    assert co.planned_children(tree, "C", ["city", "county"]) == ["K1", "K2"]
    assert co.planned_children(tree, "K1", ["city", "county"]) == []  # townships are not planned units
    out = co.named(pd.DataFrame({"region_id": ["K1", "K9"], "x": [1, 2]}), {"K1": "一县"})
    assert out.columns.tolist() == ["region_id", "name", "x"] and out["name"].tolist() == ["一县", "K9"]


def test_times_read_as_minutes():
    log = _log(("submit", "K1", "张三", NA, ""))
    assert co.approval_trail(log, ["K1"])["at"].tolist() == ["2026-12-01 10:00"]


def test_consolidation_assumptions_read_in_words():
    """50_consolidate's assumptions (year, scope, split) name levels and the reconcile rule in Chinese."""
    from planlib.present.summary import assumptions_in_words

    table = pd.DataFrame({"key": ["scope.levels", "split.reconcile", "split.floor"],
                          "value": ["hq, province, city, county", "scale_bottom_up", "0.2"]})
    assert assumptions_in_words(table).values.tolist() == [
        ["计划层级", "总部, 省区, 城市, 区县"], ["上下结合协调方式", "提案按比例缩放"], ["下限", "0.2"]]


def test_an_empty_section_says_why():
    """Before any submission each section said nothing under its heading; without children, that it does not apply."""
    assert co.empty_section(["K1", "K2"]) == "下级尚未提报（还没有审批工作目录），本节暂无内容。"
    assert co.empty_section([]) == "本区域在方案的层级内没有下级区域，本节不适用。"
