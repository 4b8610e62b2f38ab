"""Budget control and the dual check on actuals, by hand (the tiny plan of conftest)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planlib.errors import DataError, ParamsError
from planlib.tracking.control import (
    CONTROL_FLAGS,
    ITEM_COLUMNS,
    TOTAL_COLUMNS,
    budget_control,
    dual_check_actuals,
    items_worst_first,
)


def control(budget, expenses, tree, as_of="2027-03-31", **kw):
    return budget_control(budget, expenses, tree, as_of, **{"tolerance": 0.1, "over_budget": "stop", **kw})


def test_items_against_the_phased_budget(budget, expenses, tree):
    items, totals = control(budget, expenses, tree)
    assert tuple(items.columns) == ITEM_COLUMNS and tuple(totals.columns) == TOTAL_COLUMNS
    i = items.set_index(["region_id", "category", "item"])
    # K1 wages 330 against 300: exactly 10% over is within tolerance; rent 180 against 150 is not
    assert i.loc[("K1", "labour", "wages"), ["budget_year", "budget_to_date", "spend_to_date", "flag"]].tolist() == [
        1200.0, 300.0, 330.0, "within budget"]
    assert i.loc[("K1", "office", "rent"), ["deviation", "flag"]].tolist() == [30.0, "item_over_tolerance"]
    assert i.loc[("K1", "office", "rent"), "deviation_share"] == pytest.approx(0.2)
    # the township's display is counted in its county, and an item without budget is flagged
    assert i.loc[("K1", "channel", "display"), ["budget_to_date", "spend_to_date", "flag"]].tolist() == [
        0.0, 15.0, "item_over_tolerance"]
    assert pd.isna(i.loc[("K1", "channel", "display"), "deviation_share"])
    # a parent: its units' items and its own (consolidated rows are not counted twice)
    assert i.loc[("C1", "office", "rent"), ["budget_year", "budget_to_date", "spend_to_date"]].tolist() == [
        960.0, 240.0, 270.0]


def test_totals_flags_and_severity(budget, expenses, tree):
    _, totals = control(budget, expenses, tree)
    t = totals.set_index("region_id")
    assert t.loc["K1", ["budget_to_date", "spend_to_date", "items_over", "flag", "severity"]].tolist() == [
        450.0, 525.0, 2, "over_budget", "stop"]
    # K2 holds its total (170 of 180) but its unbudgeted travel moved
    assert t.loc["K2", ["spend_to_date", "items_over", "flag", "severity"]].tolist() == [
        170.0, 1, "item_over_tolerance", "warn"]
    assert t.loc["HQ", ["budget_year", "budget_to_date", "spend_to_date"]].tolist() == [2880.0, 720.0, 785.0]
    warn = control(budget, expenses, tree, over_budget="warn")[1].set_index("region_id")
    assert warn.loc["K1", "severity"] == "warn"


def test_a_partial_month_is_pro_rated(budget, tree):
    _, totals = control(budget, None, tree, as_of="2027-02-14")
    t = totals.set_index("region_id")
    # K1: 150 in January + 150 x 14/28
    assert t.loc["K1", "budget_to_date"] == 225.0
    assert t.loc["K1", "flag"] == "within budget" and pd.isna(t.loc["K1", "severity"])


def test_bad_params_and_data(budget, expenses, tree):
    with pytest.raises(ParamsError, match="stop, warn"):
        control(budget, expenses, tree, over_budget="halt")
    with pytest.raises(ParamsError, match="tolerance"):
        control(budget, expenses, tree, tolerance=-0.1)
    with pytest.raises(DataError, match=r"actual_expenses: regions not in the archive's regions table: X1 \(1 rows\)"):
        control(budget, pd.concat([expenses, expenses.iloc[[0]].assign(region_id="X1")]), tree)
    with pytest.raises(DataError, match="after as_of"):
        control(budget, expenses, tree, as_of="2027-02-28")
    with pytest.raises(ParamsError, match="outside the plan year 2027"):
        control(budget, expenses, tree, as_of="2028-01-31")


def test_dual_check_verdicts_by_hand():
    f = pd.DataFrame({
        "region_id": ["a", "b", "c", "d"], "target_revenue_to_date": [500.0, 500.0, 500.0, 0.0],
        "target_revenue_year": [1000.0, 1000.0, 1000.0, 0.0], "actual_revenue": [520.0, 480.0, 450.0, 10.0],
        "actual_variable_cost": [300.0, 200.0, 400.0, 5.0], "actual_expenses": [100.0, 100.0, 100.0, 1.0],
        "profit_target": [200.0, 200.0, 200.0, 50.0]})
    out = dual_check_actuals(f)
    assert out["profit_target_to_date"].tolist() == [100.0, 100.0, 100.0, 0.0]
    assert out["actual_profit"].tolist() == [120.0, 180.0, -50.0, 4.0]
    assert out["verdict"].tolist() == ["both met", "sales missed, profit met", "both missed", "both met"]
    with pytest.raises(DataError, match="no profit_target for b"):
        dual_check_actuals(f.assign(profit_target=[1.0, None, 1.0, 1.0]))


def test_a_region_without_expense_records_is_told_so_not_that_it_spent_nothing():
    """No expenses table, or none entered yet: the page said "花费 0 元 … (-100.0%)" and a profit without expenses."""
    from planlib.tracking.region import _expenses_recorded, _readings

    summary = pd.DataFrame(columns=["measure"])
    milestones = pd.DataFrame(columns=["status"])
    dual = pd.DataFrame({"verdict": ["both met"], "actual_revenue": [5_975_277.0], "actual_profit": [2_923_867.0],
                         "profit_target_to_date": [2_717_609.0]})
    none = pd.DataFrame({"spend_to_date": [0.0], "budget_to_date": [355_532.0], "deviation_share": [-1.0],
                         "items_over": [0], "flag": ["within budget"]})
    plan = pd.concat([none, none.assign(spend_to_date=[0.0])], ignore_index=True)  # every region's row: no spend
    assert not _expenses_recorded(plan)
    text = " ".join(_readings("历城区", summary, dual, milestones, none, pd.DataFrame(), "箱",
                              expenses_recorded=_expenses_recorded(plan)))
    assert "实际利润（未扣费用） 2,923,867 元" in text
    assert "截至核算日档案中没有本区域的费用记录（分月预算 355,532 元）" in text and "-100.0%" not in text
    # another region of the plan spent: this one really spent nothing, and the page says so as before
    spent = pd.concat([none, none.assign(spend_to_date=[300_000.0])], ignore_index=True)
    assert _expenses_recorded(spent)
    text = " ".join(_readings("历城区", summary, dual, milestones, none, pd.DataFrame(), "箱",
                              expenses_recorded=_expenses_recorded(spent)))
    assert "未扣费用" not in text and "花费 0 元，分月预算 355,532 元（-100.0%）" in text


def test_a_region_without_a_target_is_told_so_not_given_blank_rates():
    """中牟县 (no sales, target 0) read "为序时目标的；全年任务完成，…比全年目标多 0 箱": its unknown rates were dropped."""
    from planlib.tracking.region import _readings

    row = {"measure": "volume", "actual_to_date": 0.0, "target_to_date": 0.0, "completion_to_date": np.nan,
           "task_progress": np.nan, "time_progress": 0.496, "landing": 0.0, "landing_gap": 0.0,
           "months_remaining": 6, "run_rate_needed": 0.0}
    empty = pd.DataFrame()
    text = " ".join(_readings("中牟县", pd.DataFrame([row]), empty, pd.DataFrame(columns=["status"]), empty, empty, "箱"))
    assert text == "中牟县截至核算日完成销量 0 箱；本区域本年没有销量目标。"
    # a target for the year but none yet to date (a season that starts later): no rate, the rest as usual
    later = {**row, "target_to_date": 0.0, "task_progress": 0.0, "landing": 800.0, "landing_gap": -200.0,
             "run_rate_needed": 166.7}
    text = " ".join(_readings("中牟县", pd.DataFrame([later]), empty, pd.DataFrame(columns=["status"]), empty, empty, "箱"))
    assert text.startswith("中牟县截至核算日完成销量 0 箱（序时目标为 0，完成率无从计算）；全年任务完成 0.0%，序时进度 49.6%")
    assert "比全年目标少 200 箱" in text


def test_items_worst_first_lists_spend_without_a_budget_at_the_top():
    """历城区's page listed its items by deviation share alone: 51,599 元 of media spend without any budget (a share
    of nothing) came last, below the 15 rows it shows, under a total saying six items were over tolerance."""
    over, within = CONTROL_FLAGS[1], CONTROL_FLAGS[0]
    items = pd.DataFrame({
        "item": ["promoter_wages", "outdoor", "temp_promoters", "travel", "bad_debt", "dm", "idle"],
        "budget_to_date": [82_694.68, 0.0, 34_189.56, 19_803.46, 8_765.40, 0.0, 0.0],
        "spend_to_date": [39_449.70, 21_695.15, 45_549.52, 21_252.35, 0.0, 21_879.05, 0.0],
        "deviation": [-43_244.98, 21_695.15, 11_359.96, 1_448.89, -8_765.40, 21_879.05, 0.0],
        "deviation_share": [-0.522948, np.nan, 0.332264, 0.073163, -1.0, np.nan, np.nan],
        "flag": [within, over, over, within, within, over, within],
    })
    ordered = items_worst_first(items)
    assert ordered["item"].tolist() == ["dm", "outdoor", "temp_promoters", "travel", "promoter_wages", "bad_debt", "idle"]
    assert len(ordered) == len(items) and items["item"].iloc[0] == "promoter_wages"  # a new frame; the input as it was


def test_the_control_sentence_names_the_items_spent_without_a_budget():
    """历城区 read "超出容差的费用项目 6 个" while four of them had no budget for the year at all (51,599 元 of media)."""
    from planlib.tracking.region import _readings

    empty = pd.DataFrame()
    total = pd.DataFrame({"spend_to_date": [1_023_357.0], "budget_to_date": [1_050_464.0], "deviation_share": [-0.026],
                          "items_over": [6], "flag": ["item_over_tolerance"]})
    items = pd.DataFrame({"item": ["dm", "outdoor", "entry_fee", "temp_promoters", "travel"],
                          "budget_year": [0.0, 0.0, 0.0, 61_497.64, 39_606.88],
                          "spend_to_date": [21_879.05, 21_695.15, 3_325.11, 45_549.52, 21_252.35]})
    text = " ".join(_readings("历城区", pd.DataFrame(columns=["measure"]), empty, pd.DataFrame(columns=["status"]), total, empty,
                              "箱", items=items))
    # hand-computed: 21,879.05 + 21,695.15 + 3,325.11 = 46,899.31
    assert text == ("费用控制：截至核算日花费 1,023,357 元，分月预算 1,050,464 元（-2.6%），超出容差的费用项目 6 个，"
                    "其中 3 个全年没有预算却已支出 46,899 元。")
    plain = " ".join(_readings("历城区", pd.DataFrame(columns=["measure"]), empty, pd.DataFrame(columns=["status"]), total, empty, "箱",
                               items=items.iloc[3:]))
    assert plain.endswith("超出容差的费用项目 6 个。")
