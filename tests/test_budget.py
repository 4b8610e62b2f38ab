"""The expense budget: catalogue, CVP, methods, caps and tolerance, phasing."""

import numpy as np
import pandas as pd
import pytest

from planlib.budget import (
    BUDGET_METHODS,
    ITEM_CATALOGUE,
    apply_cap,
    benchmark,
    break_even,
    budget_for,
    check_cap,
    check_tolerance,
    cvp,
    marginal_headcount,
    percent_of_sales,
    phase_budget,
    sensitivity,
    zero_based,
)
from planlib.errors import BudgetError, DataError, ParamsError
from planlib.schemas import CATEGORIES, CATEGORY_NAMES_ZH


def _cents(values) -> np.ndarray:
    """Amounts as exact integer cents."""
    return np.rint(np.asarray(values, dtype=float) * 100).astype(np.int64)


# -- ITEM_CATALOGUE --------------------------------------------------------------------------
def test_item_catalogue_has_the_five_categories_in_schema_order():
    assert tuple(ITEM_CATALOGUE) == CATEGORIES
    for cat, entry in ITEM_CATALOGUE.items():
        assert entry["name_zh"] == CATEGORY_NAMES_ZH[cat]


def test_item_catalogue_controllability_follows_domain_table():
    got = {cat: entry["controllability"] for cat, entry in ITEM_CATALOGUE.items()}
    assert got == {"labour": "strong", "office": "strong", "media": "strong", "channel": "weak", "promotion": "weak"}


def test_item_catalogue_item_counts_and_unique_snake_case_codes():
    counts = {cat: len(entry["items"]) for cat, entry in ITEM_CATALOGUE.items()}
    assert counts == {"labour": 5, "office": 13, "media": 7, "channel": 5, "promotion": 3}
    codes = [code for entry in ITEM_CATALOGUE.values() for code in entry["items"]]
    assert len(codes) == len(set(codes))
    assert all(code.isascii() and code == code.lower() and " " not in code for code in codes)
    assert ITEM_CATALOGUE["channel"]["items"]["slotting_fees"] == "进场费"


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
    assert list(BUDGET_METHODS) == ["percent_of_sales", "benchmark", "zero_based", "marginal"]
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
