"""The summaries reports open with: hand-computed numbers, words not codes, signs as 多/少."""

import pandas as pd
import pytest

from planlib.present import summary as S


def _budget_row(**over):
    row = {"target_volume": 1_000.0, "target_revenue": 500_000.0, "unit_product_cost": 200.0, "budget_labour": 60_000.0,
           "budget_office": 40_000.0, "budget_media": 30_000.0, "budget_channel": 0.0, "budget_promotion": 20_000.0,
           "budget": 150_000.0, "expense_ratio": 0.3, "profit_at_target": 150_000.0, "profit_target": 160_000.0,
           "bep_units": 500.0, "flag": "sales met, profit missed", "budget_limit": 140_000.0}
    row.update(over)
    return pd.Series(row)


def test_profit_bridge_closes_from_revenue_to_profit():
    bridge = S.profit_bridge(_budget_row())
    # 500,000 − 200 × 1,000 − (60,000 + 40,000 + 30,000 + 20,000) = 150,000; a zero category is left out
    assert bridge["label"].tolist() == ["目标销售额", "产品成本", "人力成本", "办公管理", "媒体投放", "推广费用", "目标下利润"]
    assert bridge["amount"].tolist() == [500_000.0, -200_000.0, -60_000.0, -40_000.0, -30_000.0, -20_000.0, 150_000.0]
    assert bridge["kind"].tolist() == ["total"] + ["change"] * 5 + ["total"]


def test_budget_summary_says_less_not_minus_and_asks_for_decisions():
    s = S.budget_summary(_budget_row(), threshold=0.2)
    text = " ".join(s.conclusions)
    assert "比利润目标少 10,000 元" in text and "-10,000" not in text
    assert "双重检查：销量达成、利润未达" in text and "sales met" not in text
    assert s.decisions[0].startswith("批准") and any("14 万元" in d for d in s.decisions)


def test_budget_summary_without_expense_history_asks_for_the_profit_target_first():
    """No expenses in the archive: the profit target deducts product cost only, so "预算最多 0 元" was the advice."""
    row = _budget_row()
    row["profit_target_basis"], row["budget_limit"] = "no_expense_history", 0.0
    s = S.budget_summary(row, threshold=0.2)
    assert s.decisions[0].startswith("先定利润目标：档案中没有去年的费用") and s.decisions[1].startswith("批准")
    assert not any("预算最多" in d for d in s.decisions)
    assert any("预算最多" in d for d in S.budget_summary(_budget_row(), threshold=0.2).decisions)


def test_media_warning_when_the_budget_still_funds_media_that_did_not_pay():
    by_kind = pd.DataFrame({"kind": ["promotion", "media", "全部"], "activities": [10, 22, 32],
                            "cost": [1e6, 14e6, 15e6], "roi": [0.2, -0.68, -0.5]})
    note = S.media_warning(by_kind, 3e6)
    assert "22 次媒体投放花费 1,400 万元，回报率 -68%" in note and "每投 1 元收回毛利 0.32 元" in note
    assert "300 万元" in note
    assert S.media_warning(by_kind, 0.0) == ""
    assert S.media_warning(by_kind.assign(roi=[0.2, 0.1, 0.1]), 3e6) == ""
    s = S.budget_summary(_budget_row(), threshold=0.2, media_note=note)
    assert note in s.conclusions and any("媒体" in d for d in s.decisions)


def test_targets_summary_against_last_year_and_trend():
    kinds = pd.DataFrame({"kind": ["volume", "revenue", "profit"], "target": [1_100.0, 550_000.0, 100_000.0],
                          "last_year": [1_000.0, 500_000.0, 90_000.0], "baseline": [1_050.0, 520_000.0, 95_000.0],
                          "with_budget": [None, None, 90_000.0]})
    children = pd.DataFrame({"name": ["甲", "乙"], "growth": [0.05, 0.15], "beyond_potential": [False, True]})
    s = S.targets_summary(kinds, children=children, plan_year=2027)
    # 1,100 / 1,000 − 1 = +10.0%; 1,100 / 1,050 − 1 = +4.8%
    assert s.conclusions[0] == "2027 年目标销量 1,100 箱、销售额 55 万元，比去年 +10.0%，比自身趋势预测 +4.8%。"
    assert "比利润目标少 10,000 元" in s.conclusions[1]
    assert "1 个下级的目标超过其市场潜力：乙。" in s.conclusions


def test_tracking_summary_behind_pace_asks_for_the_run_rate():
    rows = pd.DataFrame({"measure": ["volume"], "task_progress": [0.4], "time_progress": [0.5], "landing": [900.0],
                         "landing_gap": [-100.0], "run_rate_needed": [120.0], "months_remaining": [6],
                         "completion_to_date": [0.8], "year_target": [1_000.0]})
    s = S.tracking_summary(rows)
    assert "慢于序时进度" in s.conclusions[0] and "比全年目标少 100 箱" in s.conclusions[1]
    assert "余下 6 个月每月须完成 120 箱" in s.decisions[0]


def test_review_summary_names_faults_growth_points_and_bad_spend():
    yearly = pd.DataFrame({"year": [2025, 2026], "revenue": [1e7, 1.2e7], "revenue_growth": [None, 0.2]})
    findings = pd.DataFrame({"severity": ["error", "warning", "warning"]})
    points = pd.DataFrame({"name": ["历城区", "团购"], "attainable": [1_200.0, 800.0]})
    by_kind = pd.DataFrame({"kind": ["media"], "activities": [22], "cost": [14e6], "roi": [-0.68]})
    s = S.review_summary(yearly, cagr=0.2, findings=findings, growth_points=points, spend_by_kind=by_kind)
    text = " ".join(s.conclusions)
    assert "2026 年销售额 1,200 万元，比上年增长 20.0%" in text and "销售记录有 1 个错误、2 个警告" in text
    assert "历城区（1,200 箱）" in text and "媒体投放 22 次花费 1,400 万元，回报率 -68%" in text
    # a national plan's counts carry their thousands separator ("促销活动 10388 次" read on the HQ page)
    many = S.review_summary(yearly, cagr=0.2, findings=pd.DataFrame({"severity": ["warning"] * 1_149}),
                            growth_points=points, spend_by_kind=by_kind.assign(kind="promotion", activities=10_388))
    text = " ".join(many.conclusions)
    assert "促销活动 10,388 次花费" in text and "销售记录有 1,149 个警告，" in text


@pytest.mark.parametrize(("key", "words"), [
    ("budget.channel.promoter_wages.B", "渠道费用标准：促销员工资 · B 类终端"),
    ("budget.methods.media", "预算方法：媒体投放"),
    ("targets.milestones[1]", "阶段目标 2"),
    ("split.method", "份额方法"),
])
def test_assumptions_in_words(key, words):
    out = S.assumptions_in_words(pd.DataFrame({"key": [key], "value": ["auto"]}))
    assert out["key"].tolist() == [words] and out["value"].tolist() == ["自动选择"]


def test_summary_html_escapes():
    html = S.summary_html(S.Summary(["<script>x</script>"], ["批准"]))
    assert "&lt;script&gt;" in html and "<script>" not in html and "请决定" in html


def test_tracking_summary_on_pace_says_so():
    rows = pd.DataFrame({"measure": ["volume"], "task_progress": [0.5052], "time_progress": [0.5050], "landing": [1_000.0],
                         "landing_gap": [9.0], "run_rate_needed": [80.0], "months_remaining": [6]})
    s = S.tracking_summary(rows)
    assert s.conclusions[0] == "销量完成全年任务的 50.5%，时间过去 50.5%：与序时进度持平。"
    assert "比全年目标多 9 箱" in s.conclusions[1]


def test_targets_summary_shows_a_child_that_rounds_to_no_change_without_a_minus_sign():
    kinds = pd.DataFrame({"kind": ["volume", "revenue"], "target": [9_997.0, 5e6], "last_year": [10_000.0, 5e6],
                          "baseline": [10_000.0, 5e6]})
    children = pd.DataFrame({"name": ["甲", "乙"], "growth": [-0.0003, 0.058]})
    s = S.targets_summary(kinds, children=children, plan_year=2027)
    # 9,997 / 10,000 − 1 = −0.03%: rounds to no change at one decimal, so "+0.0%"
    assert s.conclusions[0] == "2027 年目标销量 9,997 箱、销售额 500 万元，比去年 +0.0%，比自身趋势预测 +0.0%。"
    assert "下级目标增长从 +0.0% 到 +5.8%。" in s.conclusions


def test_review_summary_names_only_growth_points_worth_a_case():
    yearly = pd.DataFrame({"year": [2025, 2026], "revenue": [1e7, 1.2e7], "revenue_growth": [None, 0.2]})
    points = pd.DataFrame({"name": ["富春小卖部", "富春便民店", "便利店"], "attainable": [40.0, 0.2, 0.0]})
    s = S.review_summary(yearly, cagr=0.2, findings=pd.DataFrame({"severity": []}), growth_points=points)
    assert "可争取增量最大的是富春小卖部（40 箱）。" in s.conclusions
    none = S.review_summary(yearly, cagr=0.2, findings=pd.DataFrame({"severity": []}), growth_points=points.iloc[1:])
    assert not any("可争取增量" in c for c in none.conclusions) and none.decisions == []


def test_dual_reading_without_expense_history_asks_for_the_profit_target_not_a_zero_budget():
    from planlib.budget import dual_reading

    row = _budget_row()
    assert "预算最多" in dual_reading(row, 0.2)
    row["profit_target_basis"], row["budget_limit"] = "no_expense_history", 0.0
    text = dual_reading(row, 0.2)
    assert "预算最多" not in text and text.endswith("先定利润目标：它没有扣除任何费用，再少的预算也守不住。")


def test_a_region_whose_revenue_target_is_zero_is_told_so_not_that_its_target_is_zero():
    """章丘区 shipped 22,612,000 cases last year for no revenue: its volume target was 23,890,972 箱, yet the budget
    page read "本区域没有自己的预算（不在预算层级内，或目标为零）" and "该区域的目标为零，没有本量利可算"."""
    from planlib.budget import dual_reading

    row = _budget_row(target_volume=23_890_972.0, target_revenue=0.0, budget=0.0, expense_ratio=float("nan"),
                      profit_at_target=float("nan"), bep_units=float("nan"), flag=float("nan"),
                      ly_volume=22_612_000.0, ly_revenue=0.0)
    s = S.budget_summary(row, threshold=0.2)
    assert s.conclusions == ["本区域销量目标 23,890,972 箱，销售额目标为零：去年有销量而没有销售额，按去年实现价格折算为零；"
                             "费用率、目标下利润与双重检查无从计算（费用预算 0 元）。"]
    assert s.decisions == ["核实本区域去年的销售额（有销量而没有销售额：赠酒还是漏记），再定价格与销售额目标。"]
    assert dual_reading(row, 0.2) == ("该区域的销售额目标为零（销量目标 23,890,972 箱，单价为零），没有本量利可算："
                                      "费用率、保本点与双重检查都以销售额为分母。")
    # a target of no cases at all, and a region outside the plan's levels, each said as what it is
    none = _budget_row(target_volume=0.0, target_revenue=0.0, flag=None, ly_volume=0.0, ly_revenue=0.0)
    assert S.budget_summary(none, threshold=0.2).conclusions == ["本区域的销量目标为零：没有费用率、目标下利润与双重检查可算。"]
    assert dual_reading(none, 0.2) == "该区域的销量目标为零，没有本量利可算。"
    assert S.budget_summary(pd.Series(dtype=object), threshold=0.2).conclusions == [
        "本区域不在方案的计划层级内，没有自己的预算（它的费用计入所属的上级区域）。"]
