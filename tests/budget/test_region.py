"""One region's budget: its report's views, the tuning panel's re-pricing, the sensitivity."""

from __future__ import annotations

import pandas as pd
import pytest

from planlib import budget as costing
from planlib.errors import BudgetError


def test_region_budget_view_and_children(priced):
    pb = priced["pb"]
    rb = costing.region_budget(pb.table, pb.regions, pb.methods, priced["tree"], "P01C01")
    assert rb.by_category["amount"].sum() == pytest.approx(pb.regions.set_index("region_id").loc["P01C01", "budget"])
    assert set(rb.children["region_id"]) == set(priced["tree"].children("P01C01"))
    assert rb.months.drop(columns="month").to_numpy().sum() == pytest.approx(rb.by_category["amount"].sum())
    assert "本级预算" in costing.children_reading(rb)


# -- tuning, by hand -------------------------------------------------------------------------
SUMMARY = pd.Series({"target_revenue": 1_000_000.0, "target_volume": 10_000.0, "ly_variable_cost": 400_000.0,
                     "ly_volume": 8_000.0, "profit_target": 300_000.0, "reachable_volume": 12_000.0})
METHODS = pd.DataFrame({
    "category": ["labour", "office", "media", "channel", "promotion", "promotion"],
    "method": ["percent_of_sales", "percent_of_sales", "percent_of_sales", "objective_task", "percent_of_sales",
               "zero_based"],
    "amount": [60_000.0, 40_000.0, 20_000.0, 50_000.0, 30_000.0, 10_000.0],
    "chosen": [True, True, True, True, True, False],
})


def test_tune_budget_by_hand():
    table, res = costing.tune_budget(SUMMARY, METHODS)
    # B = 200,000; fixed 100,000; VC = 50/unit; variable budget 100,000 = 10/unit; P = 100
    assert res["budget"] == 200_000 and res["fixed_cost"] == 100_000
    assert res["unit_variable_cost"] == pytest.approx(60.0)
    assert res["bep_units"] == pytest.approx(100_000 / 40)
    assert res["profit"] == pytest.approx(10_000 * 40 - 100_000)  # 300,000: exactly the target
    assert res["flag"] == "both met"
    _, res2 = costing.tune_budget(SUMMARY, METHODS, choices={"promotion": "zero_based"})
    assert res2["budget"] == 180_000
    _, res3 = costing.tune_budget(SUMMARY, METHODS, ratios={"channel": 0.1})
    assert res3["budget"] == 250_000 and res3["flag"] == "sales met, profit missed"


def test_tune_budget_cap_and_sensitivity():
    table, res = costing.tune_budget(SUMMARY, METHODS, cap_ratio=0.15)
    assert res["capped"] and table["amount"].sum() == pytest.approx(150_000)
    _, res = costing.tune_budget(SUMMARY, METHODS, price_change=-0.05, volume_change=-0.10)
    # P' 95, V' 9,000, variable budget 100,000 × 0.95 × 0.9 = 85,500 → 9.5/unit; profit = 9,000 × (95 − 59.5) − 100,000
    assert res["profit"] == pytest.approx(9_000 * (95 - 59.5) - 100_000)


def test_tune_budget_price_below_cost_is_an_error():
    with pytest.raises(BudgetError, match="does not exceed the unit variable cost"):
        costing.tune_budget(SUMMARY, METHODS, price_change=-0.5)


def test_sensitivity_view_matches_the_panel(priced):
    pb = priced["pb"]
    rb = costing.region_budget(pb.table, pb.regions, pb.methods, priced["tree"], "P01C01K02")
    sv = costing.sensitivity_view(rb).set_index("scenario")
    _, both = costing.tune_budget(rb.summary, costing.methods_long(rb), price_change=-0.05, volume_change=-0.10)
    assert sv.loc["price_and_volume", "profit"] == pytest.approx(both["profit"])
    assert sv.loc["base", "profit_change"] == 0 and sv.loc["price", "profit_change"] < 0


# -- one budget per page ---------------------------------------------------------------------
def _capped_region() -> costing.RegionBudget:
    """A hand-made county whose methods ask 200,000 and whose cap (15% of 1,000,000) books 150,000."""
    summary = pd.Series({"target_revenue": 1_000_000.0, "target_volume": 10_000.0, "unit_product_cost": 50.0,
                         "ly_variable_cost": 400_000.0, "ly_volume": 8_000.0, "budget": 150_000.0,
                         "expense_ratio": 0.15, "profit_at_target": 350_000.0, "profit_target": 300_000.0,
                         "reachable_volume": 12_000.0, "flag": "both met", "bep_units": 2_000.0})
    booked = {"labour": 45_000.0, "office": 30_000.0, "media": 15_000.0, "channel": 37_500.0, "promotion": 22_500.0}
    methods = pd.DataFrame({
        "category": list(booked), "chosen": ["percent_of_sales"] * 3 + ["objective_task", "percent_of_sales"],
        "booked": list(booked.values()),
        "percent_of_sales": [60_000.0, 40_000.0, 20_000.0, None, 30_000.0],
        "objective_task": [None, None, None, 50_000.0, None],
    })
    by_category = pd.DataFrame({"category": list(booked), "amount": list(booked.values())})
    empty = pd.DataFrame()
    return costing.RegionBudget("K1", summary, by_category, empty, empty, methods, empty, empty)


def test_sensitivity_base_row_and_panel_start_from_the_booked_budget():
    # the cap cut 50,000 off the methods' 200,000: every view shows 150,000 and profit 350,000
    from types import SimpleNamespace

    from planlib import params
    from planlib.present import widgets

    rb = _capped_region()
    base = costing.sensitivity_view(rb).set_index("scenario").loc["base"]
    assert base["budget"] == pytest.approx(150_000.0)
    assert base["profit"] == pytest.approx(rb.summary["profit_at_target"])
    wb = SimpleNamespace(params=SimpleNamespace(budget=params.Budget(cap_ratio=0.25)))
    panel = widgets.budget_panel(wb, rb)
    shown = panel.output.outputs[0]["data"]["text/html"]
    assert "150,000" in shown and "350,000" in shown and "200,000" not in shown


@pytest.mark.parametrize("region", ["HQ", "P01", "P01C01", "P01C01K01", "P01C01K02"])
def test_headline_equals_sensitivity_base_row_at_every_level(priced, region):
    pb = priced["pb"]
    rb = costing.region_budget(pb.table, pb.regions, pb.methods, priced["tree"], region)
    base = costing.sensitivity_view(rb, fixed_categories=priced["plan"].budget.fixed_categories)
    base = base.set_index("scenario").loc["base"]
    assert base["budget"] == pytest.approx(rb.summary["budget"], abs=0.01)
    assert base["profit"] == pytest.approx(rb.summary["profit_at_target"], abs=0.01)


def test_dual_reading_a_headline_over_the_threshold_is_not_green():
    # HQ's old headline: 费用率 20.9%, above the 20% threshold, yet 结论：双达成
    s = pd.Series({"budget": 209_000.0, "target_revenue": 1_000_000.0, "expense_ratio": 0.209,
                   "profit_at_target": 300_000.0, "profit_target": 280_000.0, "profit_tolerance": 1_400.0,
                   "profit_target_basis": "margin", "expense_ratio_threshold": 0.2, "sales_reachable": True,
                   "budget_limit": 229_000.0, "flag": costing.OVER_THRESHOLD})
    text = costing.dual_reading(s, 0.2)
    assert "高于阈值 20%" in text and "双达成" not in text and "费用率超阈值" in text
    assert "200,000" in text  # the budget the threshold allows
    # a miss within the materiality is said to be immaterial, and stays green
    s2 = s.copy()
    s2.update({"expense_ratio": 0.15, "budget": 150_000.0, "profit_at_target": 278_768.0, "flag": "both met"})
    text = costing.dual_reading(s2, 0.2)
    assert "少 1,232" in text and "重要性阈值 1,400 以内" in text and "双达成" in text


def test_tune_budget_uses_the_materiality_and_the_threshold():
    # profit 300,000 against a target of 300,500: a miss of 500 within a tolerance of 1,500
    s = SUMMARY.copy()
    s.update({"profit_target": 300_500.0})
    _, res = costing.tune_budget(s, METHODS)
    assert res["flag"] == "sales met, profit missed"
    s["profit_tolerance"] = 1_500.0
    _, res = costing.tune_budget(s, METHODS)
    assert res["flag"] == "both met"
    s["expense_ratio_threshold"] = 0.15  # budget 200,000 on 1,000,000
    _, res = costing.tune_budget(s, METHODS)
    assert res["flag"] == costing.OVER_THRESHOLD
