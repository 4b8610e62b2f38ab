"""The expense budget: catalogue, CVP, methods, caps and tolerance, phasing."""

import numpy as np
import pandas as pd
import pytest

from planlib.budget.methods import BUDGET_METHODS, allocate_spend, apply_cap, benchmark, break_even, budget_for, check_cap, check_tolerance, consolidate, cvp, cvp_table, dual_check, fees_by_region, fit_response, marginal_headcount, objective_task, percent_of_sales, phase_budget, predicted_lift, sensitivity, spend_roi, zero_based
from planlib.schemas import ITEM_CATALOGUE, catalogue
from planlib.errors import BudgetError, DataError, HierarchyError, ParamsError
from planlib.hierarchy import RegionTree
from planlib.labels import CATEGORY_NAMES
from planlib.schemas import CATEGORIES
from planlib.review.spend import activity_lift


def _cents(values) -> np.ndarray:
    """Amounts as exact integer cents."""
    return np.rint(np.asarray(values, dtype=float) * 100).astype(np.int64)


# -- ITEM_CATALOGUE --------------------------------------------------------------------------
def test_item_catalogue_has_the_five_categories_in_schema_order():
    assert tuple(ITEM_CATALOGUE) == CATEGORIES
    for cat, entry in ITEM_CATALOGUE.items():
        assert entry["name_zh"] == CATEGORY_NAMES[cat]


def test_item_catalogue_controllability_follows_domain_table():
    got = {cat: entry["controllability"] for cat, entry in ITEM_CATALOGUE.items()}
    assert got == {"labour": "strong", "office": "strong", "media": "strong", "channel": "weak", "promotion": "weak"}


def test_item_catalogue_item_counts_and_unique_snake_case_codes():
    counts = {cat: len(entry["items"]) for cat, entry in ITEM_CATALOGUE.items()}
    assert counts == {"labour": 5, "office": 13, "media": 7, "channel": 5, "promotion": 3}
    codes = [code for entry in ITEM_CATALOGUE.values() for code in entry["items"]]
    assert len(codes) == len(set(codes))
    assert all(code.isascii() and code == code.lower() and " " not in code for code in codes)
    assert ITEM_CATALOGUE["channel"]["items"]["slotting"] == "进场费"


def test_item_catalogue_codes_are_the_archive_expense_item_codes():
    # the codes the demo company books in the archive's expenses table (category -> items)
    got = {cat: set(entry["items"]) for cat, entry in ITEM_CATALOGUE.items()}
    assert got == {
        "channel": {"slotting", "display", "promoter_wages", "event_gifts", "year_end_rebate"},
        "promotion": {"promo_materials", "temp_promoters", "premiums"},
        "office": {"office", "rent", "utilities", "telecom", "meetings", "hospitality", "depreciation",
                   "bad_debt", "consumables", "travel", "vehicles", "freight", "taxes"},
        "media": {"tv", "radio", "newspaper", "magazine", "dm", "vehicle_body", "outdoor"},
        "labour": {"wages", "welfare", "social_insurance", "training", "recruiting"},
    }  # fmt: skip


def test_item_catalogue_is_read_only():
    with pytest.raises(TypeError):
        ITEM_CATALOGUE["labour"]["items"]["bonus"] = "奖金"


# -- break_even / cvp / sensitivity ----------------------------------------------------------
def test_break_even_hand_case():
    # FC 100,000, P 50, VC 30: contribution 20 a unit -> 5,000 units, 250,000 revenue
    out = break_even(100_000, 50, 30)
    assert out == {
        "unit_contribution": 20.0,
        "contribution_margin_ratio": 0.4,
        "bep_units": 5000.0,
        "bep_revenue": 250_000.0,
    }


@pytest.mark.parametrize("price", [30, 25])
def test_break_even_price_not_above_variable_cost_names_the_numbers(price):
    with pytest.raises(BudgetError) as err:
        break_even(100_000, price, 30)
    msg = str(err.value)
    assert f"price {price}" in msg and "variable cost 30" in msg and "fixed cost 100,000" in msg


def test_break_even_rejects_bad_numbers():
    with pytest.raises(ParamsError, match="fixed_cost"):
        break_even(-1, 50, 30)
    with pytest.raises(ParamsError, match="price"):
        break_even(100, float("nan"), 30)


def test_cvp_hand_case():
    # 10,000 units x 20 contribution - 100,000 fixed = 100,000 profit; BEP 5,000 -> safety 50%
    out = cvp(10_000, 50, 30, 100_000)
    assert out["profit"] == 100_000.0
    assert out["revenue"] == 500_000.0
    assert out["contribution"] == 200_000.0
    assert out["bep_units"] == 5000.0
    assert out["margin_of_safety"] == 0.5


def test_cvp_below_break_even_has_negative_safety_and_loss():
    out = cvp(4_000, 50, 30, 100_000)  # 80,000 contribution against 100,000 fixed
    assert out["profit"] == -20_000.0
    assert out["margin_of_safety"] == pytest.approx(-0.25)


def test_cvp_zero_volume_is_a_params_error():
    with pytest.raises(ParamsError, match="volume"):
        cvp(0, 50, 30, 100_000)


def test_sensitivity_hand_case():
    # base 100,000; price 47.5 -> 175,000 - 100,000 = 75,000; volume 9,000 -> 80,000;
    # both 9,000 x 17.5 - 100,000 = 57,500
    out = sensitivity(10_000, 50, 30, 100_000)
    assert out["scenario"].tolist() == ["base", "price", "volume", "price_and_volume"]
    np.testing.assert_allclose(out["volume"], [10_000, 10_000, 9_000, 9_000])
    np.testing.assert_allclose(out["price"], [50, 47.5, 50, 47.5])
    np.testing.assert_allclose(out["profit"], [100_000, 75_000, 80_000, 57_500])
    np.testing.assert_allclose(out["profit_change"], [0, -25_000, -20_000, -42_500], atol=1e-6)


# -- methods ---------------------------------------------------------------------------------
def test_percent_of_sales_hand_case():
    assert percent_of_sales(2_000_000, 0.06) == pytest.approx(120_000)


def test_percent_of_sales_rejects_negative_ratio():
    with pytest.raises(ParamsError, match="ratio"):
        percent_of_sales(2_000_000, -0.01)


def test_benchmark_uses_competitor_ratio_else_default():
    assert benchmark(1_000_000, 0.08, default_ratio=0.05) == pytest.approx(80_000)
    assert benchmark(1_000_000, None, default_ratio=0.05) == pytest.approx(50_000)
    assert benchmark(1_000_000, float("nan"), default_ratio=0.05) == pytest.approx(50_000)


def test_benchmark_without_any_ratio_is_a_params_error():
    with pytest.raises(ParamsError, match="competitor_ratio or a default_ratio"):
        benchmark(1_000_000)


# Four activities: return per cost A 3.0, B 5.0, C 2.0, D 4.0 -> rank B, D, A, C.
ACTIVITIES = pd.DataFrame(
    {
        "activity": ["A", "B", "C", "D"],
        "cost": [100.0, 50.0, 10.0, 200.0],
        "expected_return": [300.0, 250.0, 20.0, 800.0],
    }
)


def test_zero_based_ranks_by_return_per_cost_and_funds_down_to_the_cap():
    before = ACTIVITIES.copy()
    out = zero_based(ACTIVITIES, 300)
    expected = pd.DataFrame(
        {
            "rank": np.array([1, 2, 3, 4], dtype=np.int64),
            "activity": np.array(["B", "D", "A", "C"], dtype=object),
            "cost": [50.0, 200.0, 100.0, 10.0],
            "expected_return": [250.0, 800.0, 300.0, 20.0],
            "return_per_cost": [5.0, 4.0, 3.0, 2.0],
            "cumulative_cost": [50.0, 250.0, 350.0, 360.0],
            # A does not fit (350 > 300); C would fit alone but sits below the cut-off line
            "funded": [True, True, False, False],
        }
    )
    pd.testing.assert_frame_equal(out, expected)
    pd.testing.assert_frame_equal(ACTIVITIES, before)  # input unchanged


def test_zero_based_funds_an_activity_exactly_at_the_cap():
    out = zero_based(ACTIVITIES, 350)
    assert out["funded"].tolist() == [True, True, True, False]


def test_zero_based_rejects_non_positive_cost_and_missing_columns():
    bad = ACTIVITIES.assign(cost=[100.0, 0.0, 10.0, 200.0])
    with pytest.raises(ParamsError, match="positive number; not so for B"):
        zero_based(bad, 300)
    with pytest.raises(DataError, match="expected_return"):
        zero_based(ACTIVITIES.drop(columns="expected_return"), 300)


def test_marginal_headcount_adds_while_contribution_exceeds_cost():
    # cost 100: 300, 200, 150 pay; 100 only breaks even -> 3
    assert marginal_headcount([300, 200, 150, 100, 50], 100) == 3
    assert marginal_headcount([90, 80], 100) == 0
    assert marginal_headcount([], 100) == 0


def test_marginal_headcount_rejects_increasing_contributions():
    with pytest.raises(ParamsError, match="salesperson 3"):
        marginal_headcount([300, 200, 250], 100)


def test_budget_methods_mapping_and_dispatch():
    assert list(BUDGET_METHODS) == [
        "percent_of_sales", "benchmark", "zero_based", "marginal", "objective_task", "input_output"
    ]  # fmt: skip
    assert BUDGET_METHODS["objective_task"] is objective_task
    assert BUDGET_METHODS["input_output"] is allocate_spend
    assert budget_for("percent_of_sales", 1_000_000, 0.05) == pytest.approx(50_000)
    assert budget_for("marginal", [300, 200, 150], 160) == 2


def test_budget_for_unknown_method_lists_the_valid_ones():
    with pytest.raises(ParamsError) as err:
        budget_for("gut_feeling", 1_000_000)
    msg = str(err.value)
    assert "gut_feeling" in msg
    for name in BUDGET_METHODS:
        assert name in msg


# -- caps and tolerance ----------------------------------------------------------------------
def test_apply_cap_scales_down_to_the_cap_exactly_to_the_cent():
    # three equal items of 500,000 capped at 1,000,000: plain rounding falls a cent short
    budget = pd.Series({"tv": 500_000.0, "rent": 500_000.0, "wages": 500_000.0}, name="budget")
    before = budget.copy()
    out = apply_cap(budget, 1_000_000)
    assert _cents(out).sum() == 100_000_000
    assert out.sum() == pytest.approx(1_000_000, abs=1e-6)
    # largest remainder, ties to the lower label: rent gets the extra cent
    assert out.to_dict() == {"tv": 333_333.33, "rent": 333_333.34, "wages": 333_333.33}
    assert out.name == "budget"
    pd.testing.assert_series_equal(budget, before)


def test_apply_cap_uneven_amounts_sum_to_cap_and_stay_proportional():
    budget = pd.Series({"a": 1234.56, "b": 789.01, "c": 0.0, "d": 3333.33})
    out = apply_cap(budget, 4321.09)
    assert _cents(out).sum() == 432_109
    exact = budget * 4321.09 / budget.sum()
    assert (np.abs(out - exact) < 0.01).all()
    assert out["c"] == 0.0


def test_apply_cap_leaves_a_budget_within_the_cap_unchanged():
    budget = pd.Series({"a": 100.0, "b": 200.0})
    out = apply_cap(budget, 1000)
    pd.testing.assert_series_equal(out, budget)
    assert out is not budget


def test_check_cap_names_the_amount_over():
    budget = pd.Series({"tv": 600_000.0, "rent": 450_000.0})
    with pytest.raises(BudgetError, match=r"1,050,000 exceeds the cap 1,000,000 by 50,000"):
        check_cap(budget, 1_000_000)
    assert check_cap(budget, 1_050_000) == 1_050_000.0


def test_check_tolerance_within_tolerance_passes():
    original = pd.Series({"tv": 100_000.0, "rent": 50_000.0})
    revised = pd.Series({"tv": 90_000.0, "rent": 55_000.0})  # -10% and +10%: on the edge, allowed
    assert check_tolerance(original, revised, tolerance=0.1, cap=150_000) is None


def test_check_tolerance_names_each_item_moved_and_by_how_much():
    original = pd.Series({"tv": 100_000.0, "rent": 50_000.0, "travel": 20_000.0})
    revised = pd.Series({"tv": 115_000.0, "rent": 40_000.0, "travel": 20_000.0})
    with pytest.raises(BudgetError) as err:
        check_tolerance(original, revised, tolerance=0.1, cap=175_000)  # total 175,000 holds
    msg = str(err.value)
    assert "tv moved +15,000 (+15.0%, from 100,000 to 115,000)" in msg
    assert "rent moved -10,000 (-20.0%, from 50,000 to 40,000)" in msg
    assert "travel" not in msg
    assert "exceeds" not in msg


def test_check_tolerance_names_the_total_over_the_cap():
    original = pd.Series({"tv": 100_000.0, "rent": 50_000.0})
    revised = pd.Series({"tv": 108_000.0, "rent": 50_000.0})  # +8% is fine, total 158,000
    with pytest.raises(BudgetError, match="revised total 158,000 exceeds the cap 150,000 by 8,000"):
        check_tolerance(original, revised)  # cap defaults to the original total


def test_check_tolerance_new_item_is_beyond_tolerance():
    original = pd.Series({"tv": 100_000.0})
    revised = pd.Series({"tv": 95_000.0, "outdoor": 5_000.0})
    with pytest.raises(BudgetError, match=r"outdoor moved \+5,000 \(new item, from 0 to 5,000\)"):
        check_tolerance(original, revised)


# -- phasing ---------------------------------------------------------------------------------
# Seasonal shares: Jan and Feb (Spring Festival) weigh 3, the other ten months 1 -> sum 16.
SEASON = pd.Series([3.0, 3.0] + [1.0] * 10, index=range(1, 13))


def test_phase_budget_sums_exactly_per_item_and_in_total():
    annual = pd.Series({"promoter_wages": 100_000.00, "rent": 120_000.00, "tv": 10_000.01})
    before = annual.copy()
    out = phase_budget(annual, variable_items=["promoter_wages", "tv"], month_shares=SEASON)
    assert out.columns.tolist() == ["item", "month", "amount"]
    assert len(out) == 36
    per_item = pd.Series(_cents(out["amount"])).groupby(out["item"].to_numpy()).sum()
    assert per_item.to_dict() == {"promoter_wages": 10_000_000, "rent": 12_000_000, "tv": 1_000_001}
    per_month = pd.Series(_cents(out["amount"])).groupby(out["month"].to_numpy()).sum()
    assert per_month.sum() == _cents(annual).sum()
    pd.testing.assert_series_equal(annual, before)


def test_phase_budget_hand_case_variable_follows_shares_fixed_straight_line():
    annual = pd.Series({"promoter_wages": 16_000.00, "rent": 1_000.00})
    out = phase_budget(annual, variable_items=["promoter_wages"], month_shares=SEASON)
    wages = out.loc[out["item"] == "promoter_wages", "amount"].tolist()
    assert wages == [3000.0, 3000.0] + [1000.0] * 10  # 16,000 x 3/16 and x 1/16
    rent = out.loc[out["item"] == "rent", "amount"].tolist()
    # 1,000 / 12 = 83.333..: four cents left over go to the first four months
    assert rent == [83.34] * 4 + [83.33] * 8
    assert out["month"].tolist() == list(range(1, 13)) * 2


def test_phase_budget_rejects_unknown_variable_item_and_bad_months():
    annual = pd.Series({"rent": 1_200.0})
    with pytest.raises(ParamsError, match="not in the annual budget: tv"):
        phase_budget(annual, variable_items=["tv"], month_shares=SEASON)
    with pytest.raises(ParamsError, match="1..12"):
        phase_budget(annual, variable_items=[], month_shares=SEASON.iloc[:11])


def test_phase_budget_all_zero_shares_for_a_variable_item_is_an_error():
    annual = pd.Series({"tv": 1_200.0})
    with pytest.raises(ParamsError, match="all zero"):
        phase_budget(annual, variable_items=["tv"], month_shares=SEASON * 0)


def test_budget_module_all_is_pinned():
    from planlib.budget import methods as budget

    assert budget.__all__ == [
        "ITEM_CATALOGUE", "BUDGET_METHODS", "catalogue", "break_even", "cvp", "cvp_table", "sensitivity",
        "percent_of_sales", "benchmark", "zero_based", "marginal_headcount", "objective_task",
        "fees_by_region", "fit_response", "predicted_lift", "allocate_spend", "budget_for", "apply_cap",
        "check_cap", "check_tolerance", "phase_budget", "spend_roi", "dual_check", "consolidate",
    ]  # fmt: skip
    for name in budget.__all__:
        assert name in budget.__doc__


# -- catalogue -------------------------------------------------------------------------------
def test_catalogue_without_extension_is_the_built_in():
    assert catalogue() is ITEM_CATALOGUE
    assert catalogue({}) is ITEM_CATALOGUE


def test_catalogue_adds_a_company_item_after_the_built_in_ones():
    out = catalogue({"channel": {"shelf_end": "端架费"}, "labour": {"bonus": "奖金"}})
    assert list(out["channel"]["items"]) == [*ITEM_CATALOGUE["channel"]["items"], "shelf_end"]
    assert out["channel"]["items"]["shelf_end"] == "端架费"
    assert out["labour"]["items"]["bonus"] == "奖金"
    assert out["channel"]["controllability"] == "weak" and out["channel"]["name_zh"] == "渠道费用"
    assert tuple(out) == CATEGORIES
    assert "shelf_end" not in ITEM_CATALOGUE["channel"]["items"]  # the built-in is untouched
    with pytest.raises(TypeError):
        out["channel"]["items"]["x"] = "y"


def test_catalogue_relabels_an_item_of_the_same_category():
    assert catalogue({"office": {"office": "办公费"}})["office"]["items"]["office"] == "办公费"


def test_catalogue_unknown_category_lists_the_valid_ones():
    with pytest.raises(ParamsError, match="unknown expense categories.*: logistics; valid categories: labour, office"):
        catalogue({"logistics": {"pallets": "托盘"}})


def test_catalogue_item_code_reused_across_categories_names_both():
    with pytest.raises(ParamsError, match=r"display \(in channel and media\)"):
        catalogue({"media": {"display": "展示"}})
    with pytest.raises(ParamsError, match=r"gifts \(in channel and promotion\)"):
        catalogue({"channel": {"gifts": "礼品"}, "promotion": {"gifts": "礼品"}})


def test_catalogue_rejects_codes_that_are_not_snake_case():
    with pytest.raises(ParamsError, match="'Shelf End' in channel must be snake_case"):
        catalogue({"channel": {"Shelf End": "端架费"}})


# -- objective_task --------------------------------------------------------------------------
# K1: T1 (A, new), T2 (B), T3 (A); K2: T4 (B, new) and a distributor line without a terminal.
TERMINAL_TARGETS = pd.DataFrame(
    {
        "region_id": ["K1", "K1", "K1", "K2", "K2"],
        "terminal_id": ["T1", "T2", "T3", "T4", None],
        "terminal_class": ["A", "B", "A", "B", None],
        "target_volume": [100.0, 50.0, 80.0, 40.0, 500.0],
        "is_new": [True, False, False, True, False],
        "target_revenue": [10_000.0, 5_000.0, 8_000.0, 4_000.0, 50_000.0],
    }
)
RATES = {
    "display": {"A": 2400, "B": 1200},
    "promoter_wages": {"A": 36000, "B": 0},
    "slotting": {"A": 5000, "B": 3000},
    "year_end_rebate": 0.02,
}


def test_objective_task_hand_case_terminal_by_terminal():
    before = TERMINAL_TARGETS.copy()
    out = objective_task(TERMINAL_TARGETS, rates=RATES)
    expected = pd.DataFrame(
        {
            "region_id": ["K1"] * 7 + ["K2"] * 3,
            "terminal_id": ["T1", "T1", "T1", "T2", "T3", "T3", None, "T4", "T4", None],
            "category": "channel",
            "item": ["slotting", "display", "promoter_wages", "display", "display", "promoter_wages",
                     "year_end_rebate", "slotting", "display", "year_end_rebate"],
            # T1 new A: 5,000 entry; B terminals get no promoter (0) and old ones no entry fee;
            # rebates: K1 2% x 23,000 = 460, K2 2% x (4,000 + 50,000) = 1,080
            "amount": [5000.0, 2400.0, 36000.0, 1200.0, 2400.0, 36000.0, 460.0, 3000.0, 1200.0, 1080.0],
            "method": "objective_task",
        }
    )  # fmt: skip
    pd.testing.assert_frame_equal(out, expected)
    pd.testing.assert_frame_equal(TERMINAL_TARGETS, before)


def test_objective_task_item_totals_follow_the_formulas():
    out = objective_task(TERMINAL_TARGETS, rates=RATES)
    terms = TERMINAL_TARGETS.dropna(subset=["terminal_id"])
    per_item = out.groupby("item")["amount"].sum()
    assert per_item["display"] == terms["terminal_class"].map(RATES["display"]).sum()
    assert per_item["promoter_wages"] == terms["terminal_class"].map(RATES["promoter_wages"]).sum()
    new = terms[terms["is_new"]]
    assert per_item["slotting"] == new["terminal_class"].map(RATES["slotting"]).sum()
    assert per_item["year_end_rebate"] == pytest.approx(0.02 * TERMINAL_TARGETS["target_revenue"].sum())
    assert out.groupby("region_id")["amount"].sum().to_dict() == {"K1": 83_460.0, "K2": 5_280.0}


def test_objective_task_scalar_rate_and_a_company_item():
    frame = TERMINAL_TARGETS.drop(columns="target_revenue")
    out = objective_task(frame, rates={"event_gifts": 500, "shelf_end": {"A": 800, "B": 300}},
                         extra={"channel": {"shelf_end": "端架费"}})  # fmt: skip
    gifts = out[out["item"] == "event_gifts"]
    assert gifts["terminal_id"].tolist() == ["T1", "T2", "T3", "T4"] and (gifts["amount"] == 500).all()
    assert out.loc[out["item"] == "shelf_end", "amount"].tolist() == [800.0, 300.0, 800.0, 300.0]


def test_objective_task_class_without_a_rate_names_item_class_and_terminals():
    frame = TERMINAL_TARGETS.assign(terminal_class=["A", "C", "A", "C", None])
    with pytest.raises(ParamsError) as err:
        objective_task(frame, rates=RATES)
    for item in ("slotting", "display", "promoter_wages"):
        assert f"rates.{item} has no rate for terminal class C (terminals T2, T4)" in str(err.value)


def test_objective_task_rejects_unknown_items_and_bad_frames():
    with pytest.raises(ParamsError, match="not channel items: tv; valid items: slotting, display"):
        objective_task(TERMINAL_TARGETS, rates={"tv": 100})
    with pytest.raises(DataError, match="missing target_revenue"):
        objective_task(TERMINAL_TARGETS.drop(columns="target_revenue"), rates=RATES)
    with pytest.raises(DataError, match="more than once: T1"):
        objective_task(TERMINAL_TARGETS.assign(terminal_id=["T1", "T1", "T3", "T4", None]), rates=RATES)
    with pytest.raises(DataError, match="is_new must be True or False; not so for terminals T2"):
        objective_task(TERMINAL_TARGETS.assign(is_new=[True, None, False, True, False]), rates=RATES)
    with pytest.raises(ParamsError, match="rates.year_end_rebate is a fraction"):
        objective_task(TERMINAL_TARGETS, rates={"year_end_rebate": 2})
    with pytest.raises(ParamsError, match="rates.display.A"):
        objective_task(TERMINAL_TARGETS, rates={"display": {"A": -1, "B": 0}})


def test_fees_by_region_hand_case():
    out = fees_by_region(objective_task(TERMINAL_TARGETS, rates=RATES))
    expected = pd.DataFrame(
        {
            "region_id": ["K1"] * 4 + ["K2"] * 3,
            "item": ["slotting", "display", "promoter_wages", "year_end_rebate", "slotting", "display",
                     "year_end_rebate"],
            "terminals": np.array([1, 3, 2, 0, 1, 1, 0], dtype=np.int64),
            "amount": [5000.0, 6000.0, 72000.0, 460.0, 3000.0, 1200.0, 1080.0],
            "share": [5000 / 83460, 6000 / 83460, 72000 / 83460, 460 / 83460, 3000 / 5280, 1200 / 5280,
                      1080 / 5280],
        }
    )  # fmt: skip
    pd.testing.assert_frame_equal(out, expected)


# -- input-output: response curves and allocation ---------------------------------------------
def _exp(s, a, b):
    return a * (1 - np.exp(-np.asarray(s, dtype=float) / b))


def test_fit_response_recovers_a_known_exponential_curve():
    costs = np.array([50.0, 100.0, 200.0, 400.0, 800.0])
    history = pd.DataFrame({"kind": "tasting", "cost": costs, "lift_revenue": _exp(costs, 1000.0, 200.0)})
    before = history.copy()
    out = fit_response(history)
    row = out.iloc[0]
    assert row["kind"] == "tasting" and row["curve"] == "exponential" and not row["fallback"]
    assert row["a"] == pytest.approx(1000.0, rel=1e-6) and row["b"] == pytest.approx(200.0, rel=1e-6)
    assert row["slope"] == pytest.approx(5.0, rel=1e-6)  # a / b: the first yuan returns 5
    assert row["n_points"] == 5 and row["n_excluded"] == 0 and row["note"] == ""
    pd.testing.assert_frame_equal(history, before)


def test_fit_response_fallbacks_are_flagged_and_never_nan():
    history = pd.DataFrame(
        {
            "kind": ["media", "media", "display", "display", "display", "radio", "flat", "flat", "flat", "flat"],
            "cost": [100.0, 300.0, 10.0, 20.0, 30.0, 50.0, 100.0, 200.0, 300.0, 400.0],
            # media: two points -> line at (250 + 550) / 400 = 2; display: no positive lift;
            # radio: nothing measurable; flat: 500 whatever the spend -> line at 2000 / 1000 = 2
            "lift_revenue": [250.0, 550.0, -5.0, 0.0, -1.0, np.nan, 500.0, 500.0, 500.0, 500.0],
        }
    )
    out = fit_response(history).set_index("kind")
    assert out.index.tolist() == ["display", "flat", "media", "radio"]
    assert out["fallback"].all()
    assert out.loc["media", "curve"] == "linear" and out.loc["media", "slope"] == pytest.approx(2.0)
    assert "too few to fit" in out.loc["media", "note"]
    assert out.loc["flat", "curve"] == "linear" and out.loc["flat", "slope"] == pytest.approx(2.0)
    assert "does not rise with spend" in out.loc["flat", "note"]
    assert out.loc["display", "curve"] == "zero" and "no positive lift" in out.loc["display", "note"]
    assert out.loc["radio", "curve"] == "zero" and out.loc["radio", "n_excluded"] == 1
    assert not out[["a", "b", "slope"]].isna().any().any()


def test_fit_response_straight_line_data_becomes_a_flagged_line():
    costs = np.array([100.0, 200.0, 300.0, 400.0])
    out = fit_response(pd.DataFrame({"kind": "promotion", "cost": costs, "lift_revenue": 3 * costs})).iloc[0]
    assert out["curve"] == "linear" and out["fallback"] and "no diminishing return" in out["note"]
    assert out["slope"] == pytest.approx(3.0, rel=1e-2)


def test_fit_response_reads_activity_lift_output():
    # activity_lift's shape: the lift is window - baseline; unmeasured rows are counted, not used
    lifts = pd.DataFrame(
        {
            "kind": ["promotion"] * 3,
            "cost": [100.0, 200.0, 50.0],
            "window_revenue": [400.0, 700.0, np.nan],
            "baseline_revenue": [200.0, 300.0, np.nan],
        }
    )
    out = fit_response(lifts).iloc[0]
    assert out["n_points"] == 2 and out["n_excluded"] == 1
    assert out["slope"] == pytest.approx(600.0 / 300.0)  # too few to fit: (200 + 400) / (100 + 200)


def test_fit_response_rejects_bad_arguments():
    with pytest.raises(DataError, match="lift_revenue"):
        fit_response(pd.DataFrame({"kind": ["a"], "cost": [1.0]}))
    with pytest.raises(ParamsError, match="min_points"):
        fit_response(pd.DataFrame({"kind": ["a"], "cost": [1.0], "lift_revenue": [1.0]}), min_points=1)


def _curves(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["kind", "curve", "a", "b", "slope"])


def test_predicted_lift_hand_case():
    curves = _curves([("tv", "exponential", 1000.0, 100.0, 10.0), ("dm", "linear", 0.0, 0.0, 2.0),
                      ("radio", "zero", 0.0, 0.0, 0.0)])  # fmt: skip
    out = predicted_lift(curves, [0.0, 100.0])
    assert out["kind"].tolist() == ["tv", "tv", "dm", "dm", "radio", "radio"]
    np.testing.assert_allclose(out["lift"], [0.0, 1000 * (1 - np.exp(-1)), 0.0, 200.0, 0.0, 0.0])
    np.testing.assert_allclose(out["marginal_return"], [10.0, 10 * np.exp(-1), 2.0, 2.0, 0.0, 0.0])
    per_kind = predicted_lift(curves, pd.Series({"dm": 50.0}))
    assert per_kind["lift"].tolist() == [0.0, 100.0, 0.0]


def test_allocate_spend_equal_marginal_returns_hand_case():
    # a1 = 1000, b1 = 100 (first yuan returns 10); a2 = 500, b2 = 100 (returns 5); T = 200.
    # 10 exp(-s1/100) = 5 exp(-s2/100) and s1 + s2 = 200 -> s1 = 100 + 50 ln 2 = 134.657..
    curves = _curves([("tasting", "exponential", 1000.0, 100.0, 10.0), ("display", "exponential", 500.0, 100.0, 5.0)])
    before = curves.copy()
    out = allocate_spend(curves, 200)
    assert out.columns.tolist() == ["kind", "spend", "lift", "marginal_return", "return_per_cost"]
    assert out["spend"].tolist() == [134.66, 65.34]
    assert _cents(out["spend"]).sum() == 20_000
    m = out["marginal_return"].to_numpy()
    assert m[0] == pytest.approx(m[1], rel=1e-3)
    assert m[0] == pytest.approx(10 * np.exp(-(100 + 50 * np.log(2)) / 100), rel=1e-3)
    assert out["lift"].tolist() == pytest.approx(_exp([134.66], 1000, 100).tolist() + _exp([65.34], 500, 100).tolist())
    pd.testing.assert_frame_equal(curves, before)


def test_allocate_spend_matches_the_analytic_optimum_for_different_scales():
    a1, b1, a2, b2, total = 1000.0, 100.0, 600.0, 300.0, 500.0
    s1 = (total / b2 + np.log(a1 * b2 / (a2 * b1))) / (1 / b1 + 1 / b2)  # 245.708..
    out = allocate_spend(_curves([("x", "exponential", a1, b1, a1 / b1), ("y", "exponential", a2, b2, a2 / b2)]), total)
    assert out["spend"].tolist() == pytest.approx([s1, total - s1], abs=0.01)
    assert _cents(out["spend"]).sum() == 50_000


def test_allocate_spend_zero_response_and_a_weak_kind_get_nothing():
    # kind y's first yuan returns 1; x's marginal at 200 is still 10 e^-2 = 1.35 -> all to x
    curves = _curves([("x", "exponential", 1000.0, 100.0, 10.0), ("y", "exponential", 100.0, 100.0, 1.0),
                      ("z", "zero", 0.0, 0.0, 0.0)])  # fmt: skip
    out = allocate_spend(curves, 200)
    assert out["spend"].tolist() == [200.0, 0.0, 0.0]
    m = out.set_index("kind")["marginal_return"]
    assert m["y"] <= m["x"] and m["z"] == 0.0


def test_allocate_spend_sums_exactly_to_an_awkward_total():
    curves = _curves([("a", "exponential", 3e6, 4e5, 7.5), ("b", "exponential", 2e6, 3e5, 6.7),
                      ("c", "linear", 0.0, 0.0, 1.1)])  # fmt: skip
    out = allocate_spend(curves, 1_000_000.01)
    assert _cents(out["spend"]).sum() == 100_000_001
    assert (out["spend"] >= 0).all()


def test_allocate_spend_limits_and_linear_curves():
    lines = _curves([("x", "linear", 0.0, 0.0, 3.0), ("y", "linear", 0.0, 0.0, 2.0)])
    out = allocate_spend(lines, 1000, limits=pd.Series({"x": 300.0}))  # x is better but capped
    assert out["spend"].tolist() == [300.0, 700.0]
    with pytest.raises(BudgetError, match="limits add up to 900, 100 short of the total"):
        allocate_spend(lines, 1000, limits=pd.Series({"x": 300.0, "y": 600.0}))


def test_allocate_spend_zero_total_and_no_response():
    curves = _curves([("x", "zero", 0.0, 0.0, 0.0)])
    assert allocate_spend(curves, 0)["spend"].tolist() == [0.0]
    with pytest.raises(BudgetError, match="cannot place 1,000: no activity kind responds to spend"):
        allocate_spend(curves, 1000)
    with pytest.raises(ParamsError, match="unknown curve for x"):
        allocate_spend(_curves([("x", "cubic", 1.0, 1.0, 1.0)]), 100)
    assert budget_for("input_output", _curves([("x", "linear", 0.0, 0.0, 2.0)]), 50)["spend"].tolist() == [50.0]


# -- spend_roi -------------------------------------------------------------------------------
SPEND_EXPENSES = pd.DataFrame({"date": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-01-01"]),
                               "category": ["media", "media", "labour"], "amount": [10.0, 20.0, 50.0]})  # fmt: skip
SPEND_MONTHLY = pd.DataFrame({"year": [2025, 2025], "revenue": [300.0, 100.0]})


def _lifts() -> pd.DataFrame:
    """Four measured past activities as planlib.spend.activity_lift reports them (margin 40%)."""
    return pd.DataFrame(
        {
            "activity_id": ["A1", "A2", "A3", "A4"],
            "region_id": ["K1", "K1", "K2", "K2"],
            "kind": ["promotion", "promotion", "media", "media"],
            "start_date": pd.to_datetime(["2025-03-01", "2025-05-01", "2025-06-01", "2024-01-01"]),
            "end_date": pd.to_datetime(["2025-03-31", "2025-05-31", "2025-06-30", "2024-01-31"]),
            "cost": [10.0, 20.0, 50.0, 30.0],
            # A1 +50 -> margin 20 on cost 10; A2 +10 -> 4 on 20; A3 -10 -> -4; A4 not measurable
            "window_revenue": [150.0, 110.0, 90.0, np.nan],
            "baseline_revenue": [100.0, 100.0, 100.0, np.nan],
            "lift": [0.5, 0.1, -0.1, np.nan],
            "extra_margin": [20.0, 4.0, -4.0, np.nan],
            "roi": [1.0, -0.8, -1.08, np.nan],
            "paid": [True, False, False, False],
        }
    )


def test_spend_roi_by_category_reuses_expense_ratios_and_adds_shares():
    out = spend_roi(SPEND_EXPENSES, _lifts(), monthly=SPEND_MONTHLY)["by_category"].set_index("category")
    assert out.index.tolist() == ["labour", "media", "全部"]
    assert out["ratio"].tolist() == pytest.approx([50 / 400, 30 / 400, 80 / 400])
    assert out["share"].tolist() == pytest.approx([50 / 80, 30 / 80, 1.0])


def test_spend_roi_by_kind_hand_case():
    lifts = _lifts()
    before = lifts.copy()
    out = spend_roi(SPEND_EXPENSES, lifts, monthly=SPEND_MONTHLY)["by_kind"]
    expected = pd.DataFrame(
        {
            "kind": ["promotion", "media", "全部"],
            "activities": [2, 2, 4],
            "measured": [2, 1, 3],
            "cost": [30.0, 80.0, 110.0],
            "measured_cost": [30.0, 50.0, 80.0],
            "lift_revenue": [60.0, -10.0, 50.0],
            "extra_margin": [24.0, -4.0, 20.0],
            "return_per_cost": [0.8, -0.08, 0.25],  # 24/30, -4/50, 20/80
            "roi": [-0.2, -1.08, -0.75],
            "not_paid": [1, 2, 3],
            "not_paid_cost": [20.0, 80.0, 100.0],
        }
    )
    pd.testing.assert_frame_equal(out, expected)
    pd.testing.assert_frame_equal(lifts, before)


def test_spend_roi_lists_the_spend_that_did_not_pay():
    out = spend_roi(SPEND_EXPENSES, _lifts(), monthly=SPEND_MONTHLY)["did_not_pay"]
    assert out["activity_id"].tolist() == ["A3", "A4", "A2"]  # largest cost first
    assert out["reason"].tolist() == ["no lift", "not measurable", "lift below cost"]
    assert out["lift_revenue"].tolist()[0] == -10.0 and np.isnan(out["lift_revenue"].tolist()[1])


def test_spend_roi_takes_activity_lift_output_as_is():
    # the control-market case of test_activity_lift_against_a_control_market
    months = pd.date_range("2025-01-01", "2025-06-01", freq="MS")
    control = pd.Series([100.0, 100.0, 100.0, 100.0, 200.0, 100.0], index=months)
    region = pd.DataFrame([[10.0, 10.0, 10.0, 10.0, 20.0, 15.0]], index=pd.Index(["K1"], name="region_id"),
                          columns=months)  # fmt: skip
    acts = pd.DataFrame({"activity_id": ["A1", "A2", "A3"], "region_id": "K1", "brand": "own", "kind": "promotion",
                         "start_date": pd.to_datetime(["2025-05-03", "2025-06-05", "2025-02-01"]),
                         "end_date": pd.to_datetime(["2025-05-20", "2025-06-20", "2025-02-10"]),
                         "cost": [1.0, 2.0, 1.0]})  # fmt: skip
    lifts = activity_lift(acts, region, control, margin_rate=0.4)
    out = spend_roi(SPEND_EXPENSES, lifts, monthly=SPEND_MONTHLY)
    kind = out["by_kind"].set_index("kind").loc["promotion"]
    # A1: no lift (margin 0, cost 1); A2: +5 revenue -> margin 2 on cost 2; A3 unmeasurable
    assert kind["measured"] == 2 and kind["lift_revenue"] == pytest.approx(5.0)
    assert kind["return_per_cost"] == pytest.approx(2 / 3) and kind["roi"] == pytest.approx(-1 / 3)
    assert dict(zip(out["did_not_pay"]["activity_id"], out["did_not_pay"]["reason"])) == {
        "A1": "no lift", "A2": "lift below cost", "A3": "not measurable"
    }  # fmt: skip


# -- dual_check ------------------------------------------------------------------------------
DUAL = pd.DataFrame(
    {
        "region_id": ["K1", "K2", "K3", "K4"],
        "target_volume": [1000.0, 500.0, 100.0, 200.0],
        "target_revenue": [50_000.0, 25_000.0, 10_000.0, 8_000.0],
        "reachable_volume": [1200.0, 400.0, 100.0, 150.0],
        "budget": [15_000.0, 2_000.0, 1_000.0, 2_000.0],
        "unit_variable_cost": [30.0, 30.0, 50.0, 30.0],
        "profit_target": [10_000.0, 5_000.0, 4_000.0, 3_000.0],
    }
)


def test_dual_check_hand_case():
    before = DUAL.copy()
    out = dual_check(DUAL, expense_ratio_threshold=0.2)
    expected = pd.DataFrame(
        {
            "region_id": ["K1", "K2", "K3", "K4"],
            "target_volume": [1000.0, 500.0, 100.0, 200.0],
            "reachable_volume": [1200.0, 400.0, 100.0, 150.0],
            "sales_reachable": [True, False, True, False],  # K3 exactly at its reach
            "target_revenue": [50_000.0, 25_000.0, 10_000.0, 8_000.0],
            "variable_cost": [30_000.0, 15_000.0, 5_000.0, 6_000.0],
            "fixed_cost": [0.0, 0.0, 0.0, 0.0],
            "budget": [15_000.0, 2_000.0, 1_000.0, 2_000.0],
            # 50,000 - 30,000 - 15,000; 25,000 - 15,000 - 2,000; 10,000 - 5,000 - 1,000; 8,000 - 6,000 - 2,000
            "profit_at_target": [5_000.0, 8_000.0, 4_000.0, 0.0],
            "profit_target": [10_000.0, 5_000.0, 4_000.0, 3_000.0],
            "profit_reachable": [False, True, True, False],  # K3 exactly at its target
            "budget_limit": [10_000.0, 5_000.0, 1_000.0, -1_000.0],
            "expense_ratio": [0.3, 0.08, 0.1, 0.25],
            "over_threshold": [True, False, False, True],
            "flag": ["sales met, profit missed", "sales missed, profit met", "both met", "both missed"],
        }
    )
    pd.testing.assert_frame_equal(out, expected)
    pd.testing.assert_frame_equal(DUAL, before)


def test_dual_check_fixed_cost_outside_the_budget_lowers_the_profit():
    out = dual_check(DUAL.iloc[[2]].assign(fixed_cost=500.0), expense_ratio_threshold=0.2).iloc[0]
    assert out["profit_at_target"] == 3_500.0 and not out["profit_reachable"]
    assert out["flag"] == "sales met, profit missed"


def test_dual_check_rejects_bad_input():
    with pytest.raises(DataError, match="target_revenue must be a number greater than 0; not so for K2"):
        dual_check(DUAL.assign(target_revenue=[50_000.0, 0.0, 10_000.0, 8_000.0]), expense_ratio_threshold=0.2)
    with pytest.raises(DataError, match="missing profit_target"):
        dual_check(DUAL.drop(columns="profit_target"), expense_ratio_threshold=0.2)
    with pytest.raises(ParamsError, match="expense_ratio_threshold"):
        dual_check(DUAL, expense_ratio_threshold=-0.1)


# -- cvp_table -------------------------------------------------------------------------------
CVP_REGIONS = pd.DataFrame(
    {
        "region_id": ["K1", "K2", "K3"],
        "fixed_cost": [100_000.0, 50_000.0, 0.0],
        "unit_variable_cost": [30.0, 20.0, 10.0],
        "price": [50.0, 45.0, 12.5],
        "volume": [10_000.0, 1_000.0, 400.0],
    }
)


def test_cvp_table_rows_equal_cvp_per_region():
    out = cvp_table(CVP_REGIONS)
    for row in CVP_REGIONS.itertuples(index=False):
        expected = cvp(row.volume, row.price, row.unit_variable_cost, row.fixed_cost)
        got = out.set_index("region_id").loc[row.region_id]
        for key, value in expected.items():
            assert got[key] == pytest.approx(value), (row.region_id, key)


def test_cvp_table_hand_case():
    out = cvp_table(CVP_REGIONS).set_index("region_id")
    # K1 as break_even's example: BEP 5,000 units, 250,000 revenue, safety 50%, profit 100,000
    assert out.loc["K1", ["bep_units", "bep_revenue", "margin_of_safety", "profit"]].tolist() == [
        5000.0, 250_000.0, 0.5, 100_000.0
    ]  # fmt: skip
    # K2: contribution 25 a unit -> BEP 2,000 units; 1,000 sold -> safety -100%, loss 25,000
    assert out.loc["K2", ["bep_units", "margin_of_safety", "profit"]].tolist() == [2000.0, -1.0, -25_000.0]
    assert out.loc["K3", ["bep_units", "profit"]].tolist() == [0.0, 1000.0]


def test_cvp_table_profit_target_gives_volume_cost_and_price_limits():
    out = cvp_table(CVP_REGIONS.iloc[[0]].assign(profit_target=50_000.0)).iloc[0]
    assert out["profit_gap"] == 50_000.0
    assert out["required_volume"] == 7_500.0  # (100,000 + 50,000) / 20
    assert out["max_fixed_cost"] == 150_000.0  # 10,000 x 20 - 50,000
    assert out["min_price"] == 45.0  # 30 + 150,000 / 10,000


def test_cvp_table_names_every_region_with_price_not_above_variable_cost():
    bad = CVP_REGIONS.assign(price=[50.0, 20.0, 9.0])
    with pytest.raises(BudgetError) as err:
        cvp_table(bad)
    msg = str(err.value)
    assert "K2 (price 20, unit variable cost 20)" in msg and "K3 (price 9, unit variable cost 10)" in msg
    assert "K1" not in msg


def test_cvp_table_rejects_bad_values():
    with pytest.raises(DataError, match="volume must be a number greater than 0; not so for K3"):
        cvp_table(CVP_REGIONS.assign(volume=[1.0, 1.0, 0.0]))
    with pytest.raises(DataError, match="more than once: K1"):
        cvp_table(CVP_REGIONS.assign(region_id=["K1", "K1", "K3"]))


# -- consolidate -----------------------------------------------------------------------------
# HQ -> P1 -> C1 -> K1, K2;  P1 -> C2 -> K3 -> T1 (a township under K3)
TREE = RegionTree(
    pd.DataFrame(
        {
            "region_id": ["HQ", "P1", "C1", "K1", "K2", "C2", "K3", "T1"],
            "name": ["总部", "省", "市一", "县一", "县二", "市二", "县三", "镇一"],
            "level": ["hq", "province", "city", "county", "county", "city", "county", "township"],
            "parent_id": [None, "HQ", "P1", "C1", "C1", "P1", "C2", "K3"],
        }
    )
)
COUNTY_BUDGETS = pd.DataFrame(
    {
        "region_id": ["K1", "K1", "K1", "K2", "T1"],
        "month": [1, 1, 2, 1, 1],
        "category": ["channel", "channel", "media", "channel", "labour"],
        "item": ["display", "display", "tv", "display", "wages"],
        "terminal_id": ["T01", "T02", None, "T03", None],
        "amount": [100.10, 200.20, 50.00, 0.10, 1000.00],
        "method": ["objective_task", "objective_task", "percent_of_sales", "objective_task", "marginal"],
    }
)
OWN_ITEMS = pd.DataFrame(
    {
        "region_id": ["C1", "HQ", "K3"],
        "month": [1, 1, 1],
        "category": ["channel", "media", "office"],
        "item": ["display", "tv", "rent"],
        "amount": [0.20, 5000.00, 10.00],
    }
)


def test_consolidate_hand_case():
    before = COUNTY_BUDGETS.copy(), OWN_ITEMS.copy()
    out = consolidate(COUNTY_BUDGETS, TREE, own_items=OWN_ITEMS)
    assert out.columns.tolist() == ["region_id", "month", "category", "item", "terminal_id", "amount", "method"]
    regional = out[out["terminal_id"].isna()]
    rows = regional.set_index(["region_id", "month", "category", "item"])["amount"].to_dict()
    # C1 display, January: 100.10 + 200.20 (K1's terminals) + 0.10 (K2) + 0.20 (C1's own) = 300.60
    assert rows[("C1", 1, "channel", "display")] == 300.60
    assert rows[("P1", 1, "channel", "display")] == 300.60 and rows[("HQ", 1, "channel", "display")] == 300.60
    assert rows[("K3", 1, "labour", "wages")] == 1000.00  # from its township
    assert rows[("K3", 1, "office", "rent")] == 10.00  # its own item
    assert rows[("HQ", 1, "media", "tv")] == 5000.00 and rows[("HQ", 2, "media", "tv")] == 50.00
    # the planning units keep their rows as given, terminal detail included
    k1 = out[out["region_id"] == "K1"]
    assert k1["terminal_id"].tolist()[:2] == ["T01", "T02"] and k1["method"].tolist()[0] == "objective_task"
    # regions in tree order; parents' rows carry no terminal and the method "consolidated"
    assert list(dict.fromkeys(out["region_id"])) == ["HQ", "P1", "C1", "K1", "K2", "C2", "K3", "T1"]
    parents = out[out["region_id"].isin(["HQ", "P1", "C1", "C2", "K3"])]
    assert parents["terminal_id"].isna().all() and (parents["method"] == "consolidated").all()
    pd.testing.assert_frame_equal(COUNTY_BUDGETS, before[0])
    pd.testing.assert_frame_equal(OWN_ITEMS, before[1])


def _random_budgets(seed: int = 7):
    """Monthly budgets of K1, K2 and T1 (terminal fees included) and own items of HQ, P1, C1, C2, K3."""
    rng = np.random.default_rng(seed)
    rows = []
    for region in ("K1", "K2", "T1"):
        for month in range(1, 13):
            for cat, item in (("channel", "display"), ("media", "tv"), ("labour", "wages")):
                terminals = [f"{region}-T{n}" for n in range(3)] if cat == "channel" else [None]
                for t in terminals:
                    rows.append((region, month, cat, item, t, int(rng.integers(0, 10**7)) / 100, "x"))
    budgets = pd.DataFrame(rows, columns=["region_id", "month", "category", "item", "terminal_id", "amount", "method"])
    own = [(r, m, "office", "rent", int(rng.integers(0, 10**6)) / 100) for r in ("HQ", "P1", "C1", "C2", "K3")
           for m in range(1, 13)] + [("C1", 3, "media", "tv", 0.3), ("HQ", 12, "channel", "display", 0.1)]  # fmt: skip
    return budgets, pd.DataFrame(own, columns=["region_id", "month", "category", "item", "amount"])


def test_consolidate_parent_equals_children_plus_own_items_exactly():
    budgets, own = _random_budgets()
    out = consolidate(budgets, TREE, own_items=own)
    keys = ["month", "category", "item"]
    total = out.assign(c=_cents(out["amount"])).groupby(["region_id", *keys])["c"].sum()
    own_c = own.assign(c=_cents(own["amount"])).groupby(["region_id", *keys])["c"].sum()
    for parent in ("HQ", "P1", "C1", "C2", "K3"):
        parts = [total.xs(child, level="region_id") for child in TREE.children(parent)]
        parts.append(own_c.xs(parent, level="region_id"))
        expected = pd.concat(parts).groupby(level=keys).sum()
        got = total.xs(parent, level="region_id")
        pd.testing.assert_series_equal(got, expected, check_names=False)
    # and the root holds everything exactly once
    assert total.xs("HQ", level="region_id").sum() == _cents(budgets["amount"]).sum() + _cents(own["amount"]).sum()


def test_consolidate_rejects_nested_units_unknown_regions_and_bad_amounts():
    with pytest.raises(DataError, match=r"K3 \(above T1\)"):
        consolidate(pd.concat([COUNTY_BUDGETS, COUNTY_BUDGETS.iloc[[0]].assign(region_id="K3")]), TREE)
    with pytest.raises(HierarchyError, match="not in the region tree: K9"):
        consolidate(COUNTY_BUDGETS.assign(region_id=["K1", "K1", "K1", "K2", "K9"]), TREE)
    with pytest.raises(HierarchyError, match="outside C1's subtree: T1"):
        consolidate(COUNTY_BUDGETS, TREE, root="C1")
    with pytest.raises(DataError, match="whole multiples of the unit 0.01"):
        consolidate(COUNTY_BUDGETS.assign(amount=[100.101, 1.0, 1.0, 1.0, 1.0]), TREE)
    with pytest.raises(DataError, match="unknown categories logistics"):
        consolidate(COUNTY_BUDGETS.assign(category="logistics"), TREE)
    with pytest.raises(DataError, match="month must be 1..12"):
        consolidate(COUNTY_BUDGETS.assign(month=13), TREE)


def test_consolidate_up_to_a_given_root():
    out = consolidate(COUNTY_BUDGETS[COUNTY_BUDGETS["region_id"] != "T1"], TREE, root="C1")
    assert list(dict.fromkeys(out["region_id"])) == ["C1", "K1", "K2"]
