"""Cost-volume-profit: break-even, CVP per region, the dual check."""

import pandas as pd
import pytest

from planlib.budget.profit import OVER_THRESHOLD, break_even, cvp, cvp_table, dual_check, dual_verdict
from planlib.errors import BudgetError, DataError, ParamsError


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
            "profit_gap": [-5_000.0, 3_000.0, 0.0, -3_000.0],
            "profit_tolerance": [0.0, 0.0, 0.0, 0.0],
            "profit_reachable": [False, True, True, False],  # K3 exactly at its target
            "budget_limit": [10_000.0, 5_000.0, 1_000.0, -1_000.0],
            "expense_ratio": [0.3, 0.08, 0.1, 0.25],
            "expense_ratio_threshold": [0.2, 0.2, 0.2, 0.2],
            "over_threshold": [True, False, False, True],
            "flag": ["sales met, profit missed", "sales missed, profit met", "both met", "both missed"],
        }
    )
    pd.testing.assert_frame_equal(out, expected)
    pd.testing.assert_frame_equal(DUAL, before)


def test_dual_check_materiality_and_the_expense_ratio_are_part_of_the_verdict():
    # K1 misses its 100,000 profit target by 400 (0.4%), K2 by 600 (0.6%); K3 meets both targets
    # at a 30% expense ratio; materiality 0.5% of the profit target, threshold 25%
    frame = pd.DataFrame({
        "region_id": ["K1", "K2", "K3"], "target_volume": [1000.0] * 3, "target_revenue": [500_000.0] * 3,
        "reachable_volume": [1000.0] * 3, "budget": [100_400.0, 100_600.0, 150_000.0],
        "unit_variable_cost": [300.0] * 3, "profit_target": [100_000.0, 100_000.0, 50_000.0],
    })
    out = dual_check(frame, expense_ratio_threshold=0.25, materiality=0.005).set_index("region_id")
    assert out["profit_tolerance"].tolist() == [500.0, 500.0, 250.0]
    assert out["profit_gap"].tolist() == [-400.0, -600.0, 0.0]
    assert out["flag"].tolist() == ["both met", "sales met, profit missed", OVER_THRESHOLD]
    # per-region thresholds from the frame
    out = dual_check(frame.assign(expense_ratio_threshold=[0.25, 0.25, 0.35], materiality=[0.0, 0.01, 0.0]),
                     expense_ratio_threshold=0.25).set_index("region_id")
    assert out["flag"].tolist() == ["sales met, profit missed", "both met", "both met"]


def test_dual_verdict():
    assert dual_verdict(True, True, False) == "both met"
    assert dual_verdict(True, True, True) == OVER_THRESHOLD
    assert dual_verdict(True, False, True) == "sales met, profit missed"
    assert dual_verdict(False, False, False) == "both missed"


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
