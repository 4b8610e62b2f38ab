"""Tests of planlib.tracking.kpi: the source's worked rule sets reproduced to the point, by hand."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planlib.errors import DataError, ParamsError, PlanWarning
from planlib.params import Kpi, load_plan
from planlib.params.tracking import Indicator, RuleSet
from planlib.tracking.kpi import SCORE_COLUMNS, ranking, region_facts, score
from tests.params.conftest import REPO

M = pd.date_range("2027-01-01", periods=5, freq="MS")
NO_EVENTS = pd.DataFrame({"month": pd.Series(dtype="datetime64[ns]"), "person_id": pd.Series(dtype=object),
                          "kind": pd.Series(dtype=object), "value": pd.Series(dtype="float64")})


@pytest.fixture(scope="module")
def demo_kpi() -> Kpi:
    """The rule sets as params/demo.yaml writes them: the test reads the YAML, not a copy."""
    return load_plan(REPO / "params" / "demo.yaml").tracking.kpi


def facts(rows, kind="person", **extra) -> pd.DataFrame:
    """(entity_id, month index, measure, target, actual) -> a facts frame."""
    f = pd.DataFrame(rows, columns=["entity_id", "m", "measure", "target", "actual"])
    f.insert(0, "entity_kind", kind)
    f["month"] = M[f.pop("m").to_numpy(dtype="int64")]
    for k, v in extra.items():
        f[k] = f["entity_id"].map(v) if isinstance(v, dict) else v
    return f


def events(rows) -> pd.DataFrame:
    e = pd.DataFrame(rows, columns=["person_id", "m", "kind", "value"])
    e["month"] = M[e.pop("m").to_numpy(dtype="int64")]
    return e[["month", "person_id", "kind", "value"]]


def lines_of(scores: pd.DataFrame, entity: str, month: int) -> pd.DataFrame:
    return scores[(scores.entity_id == entity) & (scores.month == M[month])]


# -- (a) the export clerk --------------------------------------------------------------------
CLERK_FACTS = [
    # C1: Jan collects 960,000 of 1,000,000; the unmet 40,000 rolls into February
    ("C1", 0, "collection", 1_000_000, 960_000), ("C1", 1, "collection", 1_000_000, 1_092_000),
    ("C1", 2, "collection", 1_000_000, 990_000),
    ("C1", 0, "new_customer", 3, 1), ("C1", 1, "new_customer", 2, 2),
    ("C2", 0, "collection", 500_000, 500_000),   # on plan, but ten reports missing
    ("C3", 0, "collection", 500_000, 550_000),   # 110%
]
CLERK_EVENTS = [
    ("C1", 0, "lost_customer", 1), ("C1", 0, "late_days", 3), ("C1", 0, "missing_report", 2),
    ("C1", 2, "late_days", 10), ("C2", 0, "missing_report", 10),
    ("C1", 0, "collection", 960_000),  # a kind the clerk's rule does not deduct: no line
]


def test_score_export_clerk_reproduces_the_source_to_the_point(demo_kpi: Kpi):
    s = score(facts(CLERK_FACTS, role="clerk"), events(CLERK_EVENTS), demo_kpi, as_of=dt.date(2027, 3, 31))
    jan = lines_of(s, "C1", 0)
    assert jan[["line_kind", "line", "points", "rule"]].values.tolist() == [
        ["base", "base", 100.0, "基础分 100 分"],
        ["indicator", "collection", -4.0, "回款完成率 96.0%（960,000 / 目标 1,000,000），每低 1 个百分点扣 1 分：−4 分"],
        ["shortfall", "new_customer", -4.0, "新客户开拓计划 3 个、完成 1 个，差 2 个，每差 1 个扣 2 分：−4 分"],
        ["deduction", "late_days", -3.0, "回款超 30 天逾期 3 天，每 1 天扣 1 分：−3 分"],
        ["deduction", "lost_customer", -5.0, "客户流失 1 例，每 1 例扣 5 分：−5 分"],
        ["deduction", "missing_report", -4.0, "业务资料缺报 2 项，每 1 项扣 2 分：−4 分"],
    ]
    # 100 − 4 (collection) − 2 × 2 (new customers) − 5 (lost) − 3 (days late) − 2 × 2 (reports) = 80
    assert jan.total.unique().tolist() == [80.0]
    feb = lines_of(s, "C1", 1)
    # February is asked 1,000,000 + the 40,000 January left: 1,092,000 / 1,040,000 = 105%: +5
    coll = feb[feb.line == "collection"].iloc[0]
    assert (coll.target, coll.actual, coll.value, coll.points) == (1_040_000, 1_092_000, 105.0, 5.0)
    assert coll.rule == "回款完成率 105.0%（1,092,000 / 目标 1,040,000，含滚入 40,000），每高 1 个百分点加 1 分：+5 分"
    assert feb[feb.line == "new_customer"].rule.tolist() == ["新客户开拓计划 2 个、完成 2 个，未差：0 分"]
    assert feb.total.unique().tolist() == [105.0]
    # February did more than asked: nothing rolls into March (a surplus does not cut a target): 99%: −1, 10 days late
    mar = lines_of(s, "C1", 2)
    assert mar[mar.line == "collection"][["target", "points"]].values.tolist() == [[1_000_000, -1.0]]
    assert mar.total.unique().tolist() == [100 - 1 - 10]
    assert s.payout.isna().all()  # the clerk's rule set pays nothing


def test_score_export_clerk_ranks_ties_share_the_better_rank(demo_kpi: Kpi):
    s = score(facts(CLERK_FACTS, role="clerk"), events(CLERK_EVENTS), demo_kpi, as_of=dt.date(2027, 3, 31))
    r = ranking(s)
    jan = r[r.month == M[0]]
    assert jan[["entity_id", "total", "rank"]].values.tolist() == [["C3", 110.0, 1], ["C1", 80.0, 2], ["C2", 80.0, 2]]
    assert lines_of(s, "C2", 0).rule.tolist()[-1] == "业务资料缺报 10 项，每 1 项扣 2 分：−20 分"
    assert (r.rule_set == "export_clerk").all()


def test_score_without_rollover_january_unmet_does_not_reach_february():
    rs = RuleSet(label="x", base=0, indicators=(Indicator(measure="collection", weight=1),))
    s = score(facts(CLERK_FACTS[:3]), NO_EVENTS, Kpi(rule_sets={"x": rs}, people="x", regions=None))
    assert s[s.line == "collection"][["target", "points"]].values.tolist() == [
        [1_000_000, -4.0], [1_000_000, 9.2], [1_000_000, -1.0]]


# -- (b) the salesperson's pay -------------------------------------------------------------
PAY_FACTS = [
    ("P1", 0, "revenue", 80_000, 92_000),   # 12,000 above: one full step: 4,000 + 300
    ("P1", 1, "revenue", 80_000, 72_000),   # below: 90% of 4,000
    ("P1", 2, "revenue", 80_000, 109_999),  # 29,999 above: two full steps (the third is partial)
    ("P1", 3, "revenue", 80_000, 80_000),   # exactly the target: the normal pay
    ("P1", 4, "revenue", 80_000, 90_000),   # exactly one step above
]


def test_score_pay_partial_step_earns_nothing():
    rs = RuleSet(label="x", indicators=(Indicator(measure="revenue", weight=1),),
                 pay={"target": 80_000.0, "base_pay": 4_000.0})
    s = score(facts([("P1", 0, "revenue", 80_000, 89_999.99)]), NO_EVENTS, Kpi(rule_sets={"x": rs}, people="x", regions=None))
    assert s[s.line_kind == "pay"][["amount", "rule"]].values.tolist() == [
        [4_000.0, "销售额 89,999.99 元，达到月目标 80,000 元：正常工资 4,000 元，超出 9,999.99 元 不满 10,000 元，无提成"]]


def test_score_salesperson_pay_reproduces_the_source_to_the_yuan(demo_kpi: Kpi):
    s = score(facts(PAY_FACTS, role="promoter"), events([("P1", 0, "missing_report", 2)]), demo_kpi)
    pay = s[s.line_kind == "pay"]
    assert pay.amount.tolist() == [4_300.0, 3_600.0, 4_600.0, 4_000.0, 4_300.0]
    assert pay.rule.tolist()[:3] == [
        "销售额 92,000 元，达到月目标 80,000 元：正常工资 4,000 元 + 超出 12,000 元，每满 10,000 元提成 300 元 × 1 = 4,300 元",
        "销售额 72,000 元，未达月目标 80,000 元：正常工资 4,000 元 × 90% = 3,600 元",
        "销售额 109,999 元，达到月目标 80,000 元：正常工资 4,000 元 + 超出 29,999 元，每满 10,000 元提成 300 元 × 2 = 4,600 元",
    ]
    jan = lines_of(s, "P1", 0)
    ded = jan[jan.line_kind == "pay_deduction"].iloc[0]
    assert (ded.amount, ded.rule) == (-100.0, "缺报报表或资料 2 项，每 1 项扣 50 元：−100 元")
    # two missing daily reports: −50 each
    assert ranking(s).payout.tolist() == [4_200.0, 3_600.0, 4_600.0, 4_000.0, 4_300.0]
    # points beside the pay: revenue completion against the facts' target, 1 point per point
    assert ranking(s).total.tolist() == [115.0, 90.0, 137.5, 100.0, 112.5]
    assert lines_of(s, "P1", 3).rule.tolist()[1:3] == [
        "销售额完成率 100.0%（80,000 / 目标 80,000），达标不奖不扣：0 分",
        "销售额 80,000 元，达到月目标 80,000 元：正常工资 4,000 元"]


def test_score_pay_never_below_zero_and_null_without_the_measure():
    rs = RuleSet(label="x", indicators=(Indicator(measure="volume", weight=1),),
                 pay={"target": 100.0, "base_pay": 100.0, "deductions": {"missing_report": 80.0}})
    f = facts([("P1", 0, "revenue", 100, 50), ("P1", 0, "volume", 1, 1), ("P1", 1, "volume", 1, 1)])
    s = score(f, events([("P1", 0, "missing_report", 2)]), Kpi(rule_sets={"x": rs}, people="x", regions=None))
    r = ranking(s)
    assert r.payout.tolist()[0] == 0.0  # 90 − 160 is floored at 0
    assert math.isnan(r.payout.tolist()[1])  # February has no revenue fact: no pay
    assert lines_of(s, "P1", 1)[lambda d: d.line_kind == "pay"].rule.tolist() == ["销售额：无数据，不计工资"]


# -- the plan's standard rule set for regions ------------------------------------------------
REGION_FACTS = [
    ("R1", 0, "volume", 1000, 1100),          # 110%: +10, × 0.3 = +3
    ("R1", 0, "revenue", 100_000, 130_000),   # 130%: +30, capped at +20, × 0.25 = +5
    ("R1", 0, "new_terminals", 10, 2),        # 20%: −80, floored at −50, × 0.1 = −5
    ("R1", 0, "coverage", 0.40, 0.35),        # 5 points below: −10, × 0.1 = −1
    ("R1", 0, "expense_ratio", 0.20, 0.22),   # 2 points above (worse): −10, × 0.05 = −0.5
    ("R2", 0, "volume", 500, 500), ("R2", 0, "revenue", 50_000, 50_000),
    ("R3", 0, "volume", 1500, 1400), ("R3", 0, "revenue", 150_000, 180_000),
]


def test_score_regions_by_the_standard_rule_set(demo_kpi: Kpi):
    f = facts(REGION_FACTS, kind="region", level={"R1": "county", "R2": "county", "R3": "city"})
    s = score(f, NO_EVENTS, demo_kpi)
    r1 = lines_of(s, "R1", 0).set_index("line")
    assert r1.points.to_dict() == {"base": 100.0, "volume": 3.0, "revenue": 5.0, "collection": 0.0,
                                   "new_terminals": -5.0, "coverage": -1.0, "expense_ratio": -0.5}
    assert r1.loc["revenue", "rule"] == ("销售额完成率 130.0%（130,000 / 目标 100,000），每高 1 个百分点加 1 分：+30 分，"
                                         "封顶 +20 分，权重 0.25：+5 分")
    assert r1.loc["new_terminals", "rule"] == ("新增终端完成率 20.0%（2 / 目标 10），每低 1 个百分点扣 1 分：−80 分，"
                                               "最多扣 50 分，权重 0.1：−5 分")
    assert r1.loc["coverage", "rule"] == "重点终端覆盖率 35.0%，目标 40.0%，每低 1 个百分点扣 2 分：−10 分，权重 0.1：−1 分"
    assert r1.loc["expense_ratio", "rule"] == "费用率 22.0%，目标 20.0%，每高 1 个百分点扣 5 分：−10 分，权重 0.05：−0.5 分"
    assert r1.loc["collection", "rule"] == "回款完成率：无数据，不计分"
    assert not r1.loc["collection", "scored"] and math.isnan(r1.loc["collection", "value"])
    assert r1.loc["volume", ["value", "target", "actual", "weight"]].tolist() == [110.0, 1000, 1100, 0.3]
    # R1: 100 + 3 + 5 + 0 − 5 − 1 − 0.5; R3: 93.33%: −6.67 × 0.3 = −2.0, 120%: +20 × 0.25 = +5
    # regions rank within their level: R3, the only city, is first among cities
    r = ranking(s)
    assert r[["entity_id", "level", "total", "rank"]].values.tolist() == [
        ["R1", "county", 101.5, 1], ["R3", "city", 103.0, 1], ["R2", "county", 100.0, 2]]


def test_score_zero_target_is_not_scored_and_gives_no_nan():
    rs = RuleSet(label="x", indicators=(Indicator(measure="volume", weight=1),))
    s = score(facts([("R1", 0, "volume", 0, 5)], kind="region"), NO_EVENTS, Kpi(rule_sets={"x": rs}, regions="x", people=None))
    line = s[s.line == "volume"].iloc[0]
    assert (line.scored, line.points, line.rule) == (False, 0.0, "销量完成率：目标为 0，不计分")
    assert s.total.tolist() == [100.0, 100.0]
    assert not s[["points", "amount", "total"]].isna().any().any()


# -- who is scored by what -------------------------------------------------------------------
def test_score_roles_pick_rule_sets_and_null_means_not_scored(demo_kpi: Kpi):
    f = pd.concat([facts(CLERK_FACTS[:1], role="clerk"), facts([("S1", 0, "volume", 10, 10)], role="salesperson"),
                   facts([("X1", 0, "volume", 10, 10)], role="driver")])
    s = score(f, NO_EVENTS, demo_kpi)
    assert ranking(s)[["entity_id", "rule_set"]].values.tolist() == [
        ["C1", "export_clerk"], ["S1", "standard"], ["X1", "standard"]]
    only_roles = demo_kpi.model_copy(update={"people": None})
    assert ranking(score(f, NO_EVENTS, only_roles)).entity_id.tolist() == ["C1"]


def test_score_columns_and_inputs_unchanged(demo_kpi: Kpi):
    f, e = facts(CLERK_FACTS, role="clerk"), events(CLERK_EVENTS)
    f0, e0 = f.copy(), e.copy()
    s = score(f, e, demo_kpi)
    assert list(s.columns) == [*SCORE_COLUMNS[:2], "role", *SCORE_COLUMNS[2:]]
    pd.testing.assert_frame_equal(f, f0)
    pd.testing.assert_frame_equal(e, e0)
    empty = score(f.iloc[:0], e, demo_kpi)
    assert empty.empty and list(empty.columns) == list(s.columns)


def test_score_bad_facts_are_data_errors(demo_kpi: Kpi):
    f = facts(CLERK_FACTS)
    with pytest.raises(DataError, match=r"facts: 1 duplicate row\(s\) of entity, month and measure \(first: row 8, "
                                        r"person C1 collection 2027-01\)"):
        score(pd.concat([f, f.iloc[[0]]]), NO_EVENTS, demo_kpi)
    with pytest.raises(DataError, match=r"facts: 1 row\(s\) with target missing or infinite \(first: row 2"):
        score(f.assign(target=[1.0, np.nan, 1, 1, 1, 1, 1]), NO_EVENTS, demo_kpi)
    with pytest.raises(DataError, match=r"entity_kind \['team'\]; expected region or person"):
        score(f.assign(entity_kind="team"), NO_EVENTS, demo_kpi)
    with pytest.raises(DataError, match=r"facts: missing column\(s\) actual"):
        score(f.drop(columns="actual"), NO_EVENTS, demo_kpi)
    with pytest.raises(DataError, match="facts.month must lie in one plan year; found years 2026, 2027"):
        score(f.assign(month=[pd.Timestamp("2026-12-01")] + list(f.month[1:])), NO_EVENTS, demo_kpi)
    with pytest.raises(ParamsError, match="as_of 2028-01-31 is outside the plan year 2027"):
        score(f, NO_EVENTS, demo_kpi, as_of=dt.date(2028, 1, 31))


def test_score_events_of_people_without_facts_warn(demo_kpi: Kpi):
    with pytest.warns(PlanWarning, match=r"person_events: 1 event\(s\) of people without facts are not scored \(Z9\)"):
        s = score(facts(CLERK_FACTS, role="clerk"), events([("Z9", 0, "missing_report", 1)]), demo_kpi)
    assert "Z9" not in set(s.entity_id)


# -- invariants --------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.integers(0, 2),
                               st.sampled_from(["volume", "revenue", "collection", "coverage", "expense_ratio"]),
                               st.integers(0, 2000), st.integers(0, 3000)), min_size=1, max_size=30),
       misses=st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.integers(0, 2), st.integers(0, 9)),
                       max_size=6))
def test_score_lines_add_up_to_the_total_and_ranks_follow_it(demo_kpi: Kpi, rows, misses):
    f = facts([(e, m, x, t / 1000 if x in ("coverage", "expense_ratio") else t,
                a / 1000 if x in ("coverage", "expense_ratio") else a) for e, m, x, t, a in rows])
    f = f.drop_duplicates(["entity_id", "month", "measure"])
    ev = events([(e, m, "missing_report", v) for e, m, v in misses if ((f.entity_id == e) & (f.month == M[m])).any()])
    s = score(f, ev, demo_kpi)
    assert not s[["points", "total"]].isna().any().any()
    sums = s.groupby(["entity_id", "month"]).agg(points=("points", "sum"), total=("total", "first"))
    assert np.allclose(sums.points, sums.total, atol=1e-9)
    r = ranking(s)
    for _, g in r.groupby("month"):
        better = g.total.to_numpy()[:, None] > g.total.to_numpy()[None, :]
        assert not (better & (g["rank"].to_numpy()[:, None] >= g["rank"].to_numpy()[None, :])).any()
        assert g["rank"].min() == 1


def test_region_facts_read_the_total_lines_of_closed_months_and_score(demo_kpi: Kpi):
    # a tracking frame as planlib.tracking.lines writes it: K1's total and one product line, Jan-Mar, as of 28 Feb
    rows = []
    for i, m in enumerate(M[:3]):
        for measure, t, a in (("volume", 100, 90 + 20 * i), ("revenue", 10_000.0, 9_000.0 + 2_000 * i)):
            rows.append(("K1", "county", "total", None, m, measure, t, a if i < 2 else None))
            rows.append(("K1", "county", "product_line", "白酒", m, measure, t, 1.0))
    tracking = pd.DataFrame(rows, columns=["region_id", "level", "breakdown", "key", "month", "measure", "target",
                                           "actual"])
    extra = pd.DataFrame({"region_id": ["K1"], "month": [M[0]], "measure": ["expense_ratio"], "target": [0.2],
                          "actual": [0.19]})
    f = region_facts(tracking, dt.date(2027, 2, 28), extra=extra)
    assert f[["entity_id", "level", "month", "measure", "target", "actual"]].values.tolist() == [
        ["K1", "county", M[0], "expense_ratio", 0.2, 0.19], ["K1", "county", M[0], "revenue", 10_000.0, 9_000.0],
        ["K1", "county", M[0], "volume", 100.0, 90.0], ["K1", "county", M[1], "revenue", 10_000.0, 11_000.0],
        ["K1", "county", M[1], "volume", 100.0, 110.0]]
    r = ranking(score(f, NO_EVENTS, demo_kpi))
    # Jan: 90% × 0.3 = −3, 90% × 0.25 = −2.5, 1 point under the ratio: +2 × 0.05 = +0.1; Feb: +3 + 2.5
    assert r.total.tolist() == [94.6, 105.5]
    with pytest.raises(DataError, match="extra facts: region\\(s\\) K9 not in the tracking frame"):
        region_facts(tracking, dt.date(2027, 2, 28), extra=extra.assign(region_id="K9"))
