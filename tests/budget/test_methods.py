"""The budgeting methods and the one dispatch the plan's pricing goes through."""

import numpy as np
import pandas as pd
import pytest

from planlib import budget
from planlib.budget.methods import BUDGET_METHODS, CategoryInputs, benchmark, marginal_headcount, objective_task, percent_of_sales, price_category, zero_based
from planlib.errors import BudgetError, DataError, ParamsError


def test_percent_of_sales_hand_case():
    assert percent_of_sales(2_000_000, 0.06) == pytest.approx(120_000)
    np.testing.assert_allclose(percent_of_sales([1_000_000, 0.0], [0.05, 0.1]), [50_000, 0.0])


def test_benchmark_is_the_main_competitors_spend_per_yuan_of_sales():
    # the competitor spent 120,000 on 4,000,000 of sales: 3% of our 1,000,000 and 2,000,000 targets
    np.testing.assert_allclose(benchmark([1_000_000, 2_000_000], [120_000, 120_000], [4_000_000, 4_000_000]),
                               [30_000, 60_000])


def test_benchmark_without_the_competitors_numbers_does_not_fall_back():
    with pytest.raises(ParamsError, match="competitor's spend"):
        benchmark(1_000_000, float("nan"), 4_000_000)
    with pytest.raises(ParamsError, match="competitor's revenue"):
        benchmark(1_000_000, 120_000, 0.0)


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


def test_zero_based_funds_only_what_pays_and_without_a_cap_everything_that_pays():
    # E returns 90 on 100 and F exactly its cost: neither is funded, however much money there is
    acts = pd.concat([ACTIVITIES, pd.DataFrame({"activity": ["E", "F"], "cost": [100.0, 40.0],
                                                "expected_return": [90.0, 40.0]})], ignore_index=True)
    out = zero_based(acts)
    assert out["activity"].tolist() == ["B", "D", "A", "C", "F", "E"]
    assert out["funded"].tolist() == [True, True, True, True, False, False]
    assert zero_based(acts, 10_000)["funded"].sum() == 4


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
    # cost 100, decay 0.5: 400, 200, 100 -> the third only breaks even -> 2; 90 never pays
    assert marginal_headcount([400.0, 90.0, 100.0], 100.0, 0.5).tolist() == [2, 0, 0]
    assert marginal_headcount([150.0], 100.0, 0.0).tolist() == [1]


@pytest.mark.parametrize("decay", [0.0, 0.3, 0.6, 0.9])
def test_marginal_headcount_closed_form_counts_the_contributions_above_cost(decay):
    firsts = np.array([0.0, 50_000.0, 96_000.0, 96_000.01, 160_000.0, 160_000.0 / 0.6, 1e6, 96_000.0 / 0.6])
    got = marginal_headcount(firsts, 96_000.0, decay)
    want = [sum(f * decay ** k > 96_000.0 for k in range(200)) for f in firsts]
    assert got.tolist() == want


class _Headcount:
    headroom_capture, cost_per_head, decay = 0.5, 100.0, 0.5


class _Params:
    ratios = {"office": 0.02}
    activities = ()
    headcount = _Headcount()


def _case(category, **kw):
    base = dict(category=category, members=["K1", "K2"], params=_Params(), revenue_target=np.array([1000.0, 2000.0]),
                ratio=np.array([0.1, 0.05]), last_year=np.array([50.0, 60.0]),
                competitor=pd.DataFrame({"unit": ["K1", "K2"], "category": "promotion", "brand": "金潭",
                                         "spend": [800.0, 400.0], "revenue": [10_000.0, 10_000.0],
                                         "ratio": [0.08, 0.04], "source": ["K1", "P1"]}),
                last_items=pd.DataFrame(columns=["unit", "item", "amount"]), first_contribution=np.array([400.0, 0.0]),
                channel_fees=None, response=pd.DataFrame())
    return CategoryInputs(**{**base, **kw})


def test_budget_methods_are_the_fields_names():
    assert list(BUDGET_METHODS) == [
        "percent_of_sales", "benchmark", "zero_based", "objective_task", "marginal", "input_output"
    ]  # fmt: skip


def test_price_category_runs_every_method_that_applies():
    labour = price_category(_case("labour"), "marginal")
    assert sorted(labour) == ["marginal", "percent_of_sales"]
    np.testing.assert_allclose(labour["percent_of_sales"], [100.0, 100.0])
    np.testing.assert_allclose(labour["marginal"], [50.0 + 2 * 100.0, 60.0])  # 400, 200 pay; 100 breaks even
    promotion = price_category(_case("promotion"), "benchmark")
    np.testing.assert_allclose(promotion["benchmark"], [80.0, 80.0])  # each unit's main competitor: 8%, 4%
    assert "benchmark" not in price_category(_case("office"), "percent_of_sales")  # no competitor office spend


@pytest.mark.parametrize("category, method, message", [
    ("labour", "objective_task", "budget.methods.labour: objective_task does not apply to labour"),
    ("office", "marginal", "budget.methods.office: marginal does not apply to office"),
    ("office", "benchmark", "budget.methods.office: benchmark needs the main competitor's office spend"),
    ("media", "zero_based", "budget.methods.media: zero_based needs budget.activities"),
    ("media", "input_output", "budget.methods.media: input_output needs past activities"),
])  # fmt: skip
def test_price_category_chosen_method_that_does_not_apply_names_why(category, method, message):
    with pytest.raises(BudgetError, match=message):
        price_category(_case(category), method)


class _Activity:
    def __init__(self, name, cost, ret):
        self.name, self.category, self.item, self.cost, self.expected_return = name, "promotion", "premiums", cost, ret


def test_zero_based_starts_each_unit_from_zero_within_its_cap_not_the_percent_of_sales_amount():
    # percent of sales would give K1 100 and K2 100; the list's paying activities cost 30 + 50 = 80 (the third,
    # returning 10 on 40, is never funded); K2's cap of 60 funds only the first
    acts = (_Activity("品鉴会", 30.0, 90.0), _Activity("堆头", 50.0, 100.0), _Activity("地推", 40.0, 10.0))
    out = price_category(_case("promotion", activities=acts, room=np.array([np.inf, 60.0])), "zero_based")
    np.testing.assert_allclose(out["zero_based"], [80.0, 30.0])
    np.testing.assert_allclose(out["percent_of_sales"], [100.0, 100.0])


def test_price_category_unknown_method_lists_the_valid_ones():
    with pytest.raises(BudgetError) as err:
        price_category(_case("office"), "gut_feeling")
    msg = str(err.value)
    assert "gut_feeling" in msg
    for name in BUDGET_METHODS:
        assert name in msg


def test_budget_package_api_is_pinned():
    assert budget.__all__ == [
        "apply_cap",
        "percent_of_sales", "benchmark", "zero_based", "marginal_headcount", "objective_task",
        "CategoryInputs", "BUDGET_METHODS", "price_category", "book_items",
        "PlanBudget", "plan_budget", "plan_response", "history_gaps", "BUDGET_COLUMNS",
        "break_even", "cvp", "cvp_table", "dual_check", "DUAL_FLAGS", "OVER_THRESHOLD", "dual_verdict",
        "RegionBudget", "region_budget", "region_budget_params", "tune_budget", "methods_long",
        "sensitivity_view", "key_figures", "has_cvp", "cvp_view", "dual_reading", "booked_reading", "children_gap_reading",
        "children_reading",
        "FLAG_NAMES",
        "fit_response", "allocate_spend", "input_output_spend", "spend_roi", "region_spend_returns",
    ]  # fmt: skip
    modules = [budget.caps, budget.profit, budget.methods, budget.plan, budget.region, budget.response]
    for name in budget.__all__:
        assert any(name in m.__all__ and name in m.__doc__ for m in modules), name


# -- objective_task --------------------------------------------------------------------------
def test_channel_fees_live_in_channel_and_keep_their_old_paths():
    from planlib.budget import channel, methods

    for name in ("objective_task", "terminal_lines", "channel_rates", "channel_fees"):
        assert name in channel.__all__ and name in channel.__doc__
        assert getattr(methods, name) is getattr(channel, name)
    assert budget.objective_task is channel.objective_task


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


def test_method_basis_objective_task_counts_each_units_terminals_and_sums_its_fees_and_rebate():
    from planlib.budget.methods import method_basis

    # K1: terminals T1 (two items), T2 and a rebate; K2: a rebate only; K3 nothing; a row of another region ignored;
    # K1's ten fee rows of 0.1 add up as numpy adds them (pairwise from eight rows on)
    fees = pd.DataFrame({
        "region_id": ["K1", "K2", "K1", "K1", "X9", "K1"] + ["K1"] * 10,
        "terminal_id": ["T1", None, "T1", "T2", "T9", None] + ["T3"] * 10,
        "category": "channel", "item": "display",
        "amount": [100.4, 30.0, 200.2, 50.0, 999.0, 12.6] + [0.1] * 10, "method": "objective_task"})
    case = _case("channel", members=["K1", "K2", "K3"], revenue_target=np.array([1.0, 1.0, 1.0]),
                 ratio=np.zeros(3), last_year=np.zeros(3), first_contribution=np.zeros(3), channel_fees=fees)
    said = method_basis(case, "objective_task", np.zeros(3))
    k1 = np.array([100.4, 200.2, 50.0] + [0.1] * 10).sum()
    assert said == [f"A/B 终端 3 家逐家计费 {k1:,.0f} + 年终返利 13",
                    "A/B 终端 0 家逐家计费 0 + 年终返利 30",
                    "A/B 终端 0 家逐家计费 0 + 年终返利 0"]


def test_method_basis_benchmark_names_the_region_whose_record_it_borrows():
    from planlib.budget.methods import method_basis

    competitor = pd.DataFrame({"unit": ["K1", "K2"], "category": "promotion", "brand": "金潭",
                               "spend": [3_000.0, 3_600.0], "revenue": [100_000.0, 150_000.0], "ratio": [0.03, 0.024],
                               "source": ["K1", "C1"], "source_name": ["甲县", "市"]})
    case = _case("promotion", members=["K1", "K2"], revenue_target=np.array([200_000.0, 50_000.0]),
                 ratio=np.zeros(2), last_year=np.zeros(2), first_contribution=np.zeros(2), competitor=competitor)
    said = method_basis(case, "benchmark", np.zeros(2))
    assert said[0].startswith("主要竞品 金潭 去年在本区域的费用 3,000，占其销售额 100,000 的 3.00%")
    assert said[1].startswith("主要竞品 金潭 去年在上级区域 市（本区域没有该竞品的记录）的费用 3,600")


def test_item_mix_is_the_pivot_table_of_last_years_items():
    """Each unit's spend per item: placed directly when each pair is named once, else summed as a pivot table."""
    from planlib.budget.methods import _item_mix

    members, items = ["K2", "K1", "K3"], ["print", "tv"]
    once = pd.DataFrame({"unit": ["K1", "K2", "K1", "K9"], "item": ["tv", "tv", "print", "tv"],
                         "amount": [1.5, 0.1 + 0.2, 2.25, 7.0]})  # K9 is not a member: left out
    assert np.array_equal(_item_mix(once, members, items), [[0.0, 0.1 + 0.2], [2.25, 1.5], [0.0, 0.0]])
    twice = pd.concat([once, pd.DataFrame({"unit": ["K1", "K3"], "item": ["tv", "print"], "amount": [0.5, np.nan]})])
    got = _item_mix(twice, members, items)
    assert np.array_equal(got, [[0.0, 0.1 + 0.2], [2.25, 2.0], [0.0, 0.0]])  # K1's tv summed, K3's missing is 0
    for ly in (once, twice, once.iloc[:0]):
        pivot = ly.pivot_table(index="unit", columns="item", values="amount", aggfunc="sum", fill_value=0.0)
        assert np.array_equal(_item_mix(ly, members, items),
                              pivot.reindex(index=members, columns=items, fill_value=0.0).to_numpy())
