"""Costing: tickets, prizes, forfeits and pools against hand computations; lift and break-even."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planlib.errors import DataError, ParamsError
from planlib.hierarchy import RegionTree
from planlib.promotions import (
    Eligibility,
    Forfeit,
    Rule,
    Scheme,
    Tier,
    cost_range,
    cost_scheme,
    month_profile,
)
from tests.promotions.conftest import source_scheme


def people(rows, columns=("unit_id", "customer", "amount")) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))


# a ticket per 30,000 for new customers, per 20,000 for existing ones; 25 yuan a ticket
DEPOSITORS = people([
    ("n1", "new", 30_000.00),       # exactly one step: 1
    ("n2", "new", 29_999.99),       # a cent short: 0
    ("n3", "new", 59_999.00),       # one step and a bit: 1
    ("n4", "new", 60_000.00),       # two steps: 2
    ("n5", "new", 0.0),             # nothing: 0
    ("e1", "existing", 20_000.00),  # 1
    ("e2", "existing", 19_999.99),  # 0
    ("e3", "existing", 39_999.00),  # 1
    ("e4", "existing", 100_000.00),  # 5
])


def test_cost_scheme_deposit_tickets_match_a_hand_count():
    before = DEPOSITORS.copy()
    result = cost_scheme(source_scheme("deposit_tickets"), DEPOSITORS)
    pd.testing.assert_frame_equal(DEPOSITORS, before)  # the input is not touched
    units = result.units.set_index("unit_id")
    tickets = {"n1": 1, "n2": 0, "n3": 1, "n4": 2, "n5": 0, "e1": 1, "e2": 0, "e3": 1, "e4": 5}
    assert units["quantity"].to_dict() == dict(sorted(tickets.items()))
    assert units["cost"].to_dict() == {k: 25.0 * v for k, v in sorted(tickets.items())}
    steps = result.by_rule.set_index("unit_id")["steps"].to_dict()
    assert steps == dict(sorted(tickets.items()))  # each customer under its own rule only
    assert result.by_rule.groupby("rule")["unit_id"].apply(sorted).to_dict() == {
        "新客户一年期定存": ["n1", "n2", "n3", "n4", "n5"], "老客户定存或转存": ["e1", "e2", "e3", "e4"]}
    assert result.summary == {"units": 9, "eligible": 9, "rewarded": 6, "uptake": 6 / 9, "quantity": 11,
                              "cost": 275.0, "penalty": 0.0, "net_cost": 275.0}
    assert result.totals.to_dict("records") == [
        {"rule": "新客户一年期定存", "reward": "洗车票", "units": 3, "quantity": 4.0, "cost": 100.0},
        {"rule": "老客户定存或转存", "reward": "洗车票", "units": 3, "quantity": 7.0, "cost": 175.0},
    ]


def test_cost_scheme_prize_draw_by_branch_records():
    branches = people([("B1", 999), ("B2", 1000), ("B3", 1999), ("B4", 2000), ("B5", 2999), ("B6", 3000),
                       ("B7", 3999), ("B8", 4000), ("B9", 12000)], ("unit_id", "count"))
    result = cost_scheme(source_scheme("prize_draw"), branches)
    by = result.by_rule.set_index("unit_id")
    assert by["tier"].to_dict() == {"B1": "", "B2": "1000份", "B3": "1000份", "B4": "2000份", "B5": "2000份",
                                    "B6": "3000份", "B7": "3000份", "B8": "4000份", "B9": "4000份"}
    # every prize twice (the drawn customer and the salesperson): 1000 tier 2 washers + 10 soy-milk makers
    # = 2 x 1200 + 10 x 300 = 5400; 2000: 4 x 1200 + 16 x 300 = 9600; 3000: 2 x 500 + 6 x 1200 + 20 x 300
    # = 14200; 4000: 4 x 500 + 8 x 1200 + 30 x 300 = 20600
    assert by["cost"].to_dict() == {"B1": 0.0, "B2": 5400.0, "B3": 5400.0, "B4": 9600.0, "B5": 9600.0,
                                    "B6": 14200.0, "B7": 14200.0, "B8": 20600.0, "B9": 20600.0}
    prizes = result.rewards[result.rewards["unit_id"] == "B8"].set_index("reward")["quantity"].to_dict()
    assert prizes == {"微波炉": 4.0, "洗衣机": 8.0, "豆浆机": 30.0}
    assert result.summary["cost"] == 2 * (5400 + 9600 + 14200 + 20600)
    assert result.summary["rewarded"] == 8 and result.summary["uptake"] == 8 / 9


def test_cost_scheme_lead_contest_forfeits_below_forty():
    sellers = people([
        ("A", 50, 10),   # 50 records and 10 invited: 11 kitchen sets
        ("B", 49, 10),   # one record short: nothing, but no forfeit
        ("C", 39, 20),   # below 40: forfeits
        ("D", 80, 9),    # one guest short: nothing
        ("E", 40, 0),    # exactly 40: keeps its (empty) rights
        ("F", 120, 15),  # 11 sets (one tier only)
    ], ("unit_id", "count", "invited"))
    result = cost_scheme(source_scheme("lead_contest"), sellers)
    units = result.units.set_index("unit_id")
    assert units["forfeited"].to_dict() == {"A": False, "B": False, "C": True, "D": False, "E": False, "F": False}
    assert units["quantity"].to_dict() == {"A": 11, "B": 0, "C": 0, "D": 0, "E": 0, "F": 11}
    assert result.summary["cost"] == 22 * 20.0
    qualified = result.by_rule.set_index("unit_id")["qualified"].to_dict()
    assert qualified == {"A": True, "B": False, "C": False, "D": False, "E": False, "F": True}


def test_cost_scheme_forfeit_penalty_lowers_the_net_cost():
    scheme = Scheme(name="s", unit="salesperson", items={"奖金": 1.0},
                    rules=(Rule(name="r", method="per_unit", measure="count", minimum=10, gives={"奖金": 10}),),
                    forfeits=(Forfeit(measure="count", below=5, penalty=50),))
    result = cost_scheme(scheme, people([("a", 4), ("b", 9), ("c", 12)], ("unit_id", "count")))
    units = result.units.set_index("unit_id")
    assert units[["quantity", "cost", "penalty", "net_cost"]].to_dict("index") == {
        "a": {"quantity": 0, "cost": 0.0, "penalty": 50.0, "net_cost": -50.0},
        "b": {"quantity": 0, "cost": 0.0, "penalty": 0.0, "net_cost": 0.0},
        "c": {"quantity": 120, "cost": 120.0, "penalty": 0.0, "net_cost": 120.0},
    }
    assert result.summary["net_cost"] == 70.0


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [("floor", [0, 10, 100, 50, 100]), ("round", [0, 10, 100, 51, 100]), ("ceil", [0, 10, 100, 51, 100])],
)
def test_cost_scheme_per_unit_rounding_and_cap(rounding, expected):
    # 0.01 cash-back per yuan from 1,000 on, at most 100 a customer
    rule = Rule(name="返现", method="per_unit", minimum=1000, gives={"返现": 0.01}, rounding=rounding,
                cap={"返现": 100})
    scheme = Scheme(name="s", unit="customer", items={"返现": 1.0}, rules=(rule,))
    result = cost_scheme(scheme, people([("a", 999.99), ("b", 1000.0), ("c", 12_345.67), ("d", 5050.0),
                                         ("e", 10_000.0)], ("unit_id", "amount")))
    assert result.units["quantity"].tolist() == expected


@pytest.mark.parametrize(
    ("rounding", "minimum", "expected"),
    [
        ("floor", None, [0, 1, 1, 1]),
        ("round", None, [0, 1, 2, 1]),   # half a step and more counts as a step, from one step on
        ("ceil", None, [0, 2, 2, 2]),
        ("ceil", 1.0, [1, 2, 2, 2]),     # any deposit: a started step counts
    ],
)
def test_cost_scheme_per_step_partial_steps(rounding, minimum, expected):
    rule = Rule(name="r", method="per_step", step=30000, minimum=minimum, gives={"票": 1}, rounding=rounding)
    scheme = Scheme(name="s", unit="customer", items={"票": 1.0}, rules=(rule,))
    amounts = people([("a", 10_000.0), ("b", 44_999.99), ("c", 45_000.0), ("d", 31_000.0)], ("unit_id", "amount"))
    assert cost_scheme(scheme, amounts).units["quantity"].tolist() == expected


def test_cost_scheme_transactions_tickets():
    cols = ("unit_id", "code_plates", "code_transactions", "mobile_transactions", "wechat_bindings",
            "cards_activated")
    customers = people([
        ("c1", 2, 3, 0, 0, 0),   # two plates with 3 collections: 4 tickets
        ("c2", 2, 2, 3, 0, 0),   # collections short; mobile banking 3 transactions: 1
        ("c3", 0, 9, 2, 1, 2),   # no plate; mobile short; WeChat 1; 2 cards: 6 -> 7
    ], cols)
    result = cost_scheme(source_scheme("transaction_reward"), customers)
    assert result.units.set_index("unit_id")["quantity"].to_dict() == {"c1": 4, "c2": 1, "c3": 7}
    assert result.summary["cost"] == 12 * 25.0


def test_cost_scheme_months_count_by_the_days_inside_the_dates():
    rule = Rule(name="r", method="per_step", step=30000, gives={"票": 1})
    scheme = Scheme(name="s", unit="customer", items={"票": 1.0}, rules=(rule,),
                    eligible=Eligibility(start="2027-01-01", end="2027-02-14"))
    rows = people([("a", 1, 20_000.0), ("a", 2, 20_000.0), ("a", 3, 50_000.0),   # 20,000 + 14/28 x 20,000
                   ("b", 1, 29_000.0), ("b", 3, 90_000.0)],                      # 29,000: nothing
                  ("unit_id", "month", "amount"))
    result = cost_scheme(scheme, rows)
    assert result.units.set_index("unit_id")["amount"].to_dict() == {"a": 30_000.0, "b": 29_000.0}
    assert result.units["quantity"].tolist() == [1, 0]
    shares = month_profile(scheme, rows)
    assert shares["share"].round(12).tolist()[:3] == [round(49_000 / 59_000, 12), round(10_000 / 59_000, 12), 0.0]
    assert shares["share"].sum() == pytest.approx(1.0)


def test_month_profile_without_months_follows_the_days():
    scheme = Scheme(name="s", unit="customer", items={"票": 1.0},
                    rules=(Rule(name="r", method="per_step", step=1, gives={"票": 1}),),
                    eligible=Eligibility(start="2027-01-01", end="2027-02-14"))
    shares = month_profile(scheme, people([("a", 5.0)], ("unit_id", "amount")))["share"].tolist()
    assert shares == pytest.approx([2 / 3, 1 / 3] + [0.0] * 10)


def test_cost_scheme_pool_is_cut_by_largest_remainder():
    # demand 5, 3, 2 tickets; a pool of 6: quotas 3, 1.8, 1.2 -> 3, 2, 1
    rule = Rule(name="r", method="per_step", step=100, gives={"票": 1})
    scheme = Scheme(name="s", unit="customer", items={"票": 10.0}, rules=(rule,), pool={"票": 6})
    result = cost_scheme(scheme, people([("a", 500.0), ("b", 300.0), ("c", 200.0)], ("unit_id", "amount")))
    assert result.units["quantity"].tolist() == [3, 2, 1]
    assert result.summary["cost"] == 60.0


def test_cost_scheme_eligibility_by_channel_and_region_subtree():
    tree = RegionTree(pd.DataFrame({"region_id": ["HQ", "P1", "K1", "K2", "P2"],
                                    "name": ["总部", "省一", "县一", "县二", "省二"],
                                    "level": ["hq", "province", "county", "county", "province"],
                                    "parent_id": [None, "HQ", "P1", "P1", "HQ"]}))
    scheme = Scheme(name="s", unit="terminal", items={"票": 1.0},
                    eligible=Eligibility(regions=("P1",), channels=("supermarket", "restaurant")),
                    rules=(Rule(name="r", method="per_step", step=100, gives={"票": 1},
                                eligible=Eligibility(channels=("supermarket",))),))
    terminals = people([("t1", "K1", "supermarket", 300.0),   # in P1's subtree, supermarket: 3
                        ("t2", "K2", "restaurant", 300.0),    # the scheme admits it, the rule does not
                        ("t3", "P2", "supermarket", 300.0),   # outside P1
                        ("t4", "P1", "convenience", 300.0)],  # a channel the scheme does not admit
                       ("unit_id", "region_id", "channel", "amount"))
    with_tree = cost_scheme(scheme, terminals, tree=tree)
    assert with_tree.units["eligible"].tolist() == [True, True, False, False]
    assert with_tree.units["quantity"].tolist() == [3, 0, 0, 0]
    assert with_tree.by_rule["unit_id"].tolist() == ["t1"]
    assert with_tree.summary["uptake"] == 0.5
    without = cost_scheme(scheme, terminals)  # only units booked to P1 itself
    assert without.units["eligible"].tolist() == [False, False, False, False]
    assert without.summary["uptake"] == 0.0


def test_cost_scheme_tiered_discount_capped():
    rule = Rule(name="r", method="tiered", discount_cap=150.0,
                tiers=(Tier(at_least=1000, discount=0.1), Tier(at_least=2000, below=3000, discount=0.2)))
    scheme = Scheme(name="s", unit="member", rules=(rule,))
    result = cost_scheme(scheme, people([("a", 999.99), ("b", 1000.0), ("c", 2500.0), ("d", 5000.0)],
                                        ("unit_id", "amount")))
    # d is above the last tier's bound: no tier
    assert result.by_rule["tier"].tolist() == ["", "1,000", "2,000", ""]
    assert result.units["cost"].tolist() == [0.0, 100.0, 150.0, 0.0]  # c: 0.2 x 2500 = 500, capped at 150
    assert result.rewards["reward"].tolist() == ["discount", "discount"]


def test_cost_scheme_bad_units_are_data_errors():
    scheme = source_scheme("deposit_tickets")
    with pytest.raises(DataError, match="missing column customer"):
        cost_scheme(scheme, people([("a", 1.0)], ("unit_id", "amount")))
    with pytest.raises(DataError, match=r"amount negative, empty or infinite in rows 1; expected amounts >= 0"):
        cost_scheme(scheme, people([("a", "new", 1.0), ("b", "new", -1.0)]))
    with pytest.raises(DataError, match="customer not new or existing in rows 0"):
        cost_scheme(scheme, people([("a", "vip", 1.0)]))
    with pytest.raises(DataError, match="unit_id twice in rows 1"):
        cost_scheme(scheme, people([("a", "new", 1.0), ("a", "new", 2.0)]))
    with pytest.raises(DataError, match="month not 1-12 in rows 0"):
        cost_scheme(scheme, people([("a", "new", 13, 1.0)], ("unit_id", "customer", "month", "amount")))
    with pytest.raises(DataError, match="customer differs between the rows of unit a"):
        cost_scheme(scheme, people([("a", "new", 1, 1.0), ("a", "existing", 2, 1.0)],
                                   ("unit_id", "customer", "month", "amount")))


def test_cost_scheme_no_units_gives_zeros_not_nan():
    result = cost_scheme(source_scheme("deposit_tickets"), people([]))
    assert result.summary == {"units": 0, "eligible": 0, "rewarded": 0, "uptake": 0.0, "quantity": 0, "cost": 0.0,
                              "penalty": 0.0, "net_cost": 0.0}
    assert result.totals.empty and result.rewards.empty


def test_cost_range_moves_the_amounts():
    # new 30,000: -10% 27,000 -> 0, +10% 33,000 -> 1; existing 40,000: -10% 36,000 -> 1, +10% 44,000 -> 2
    customers = people([("n", "new", 30_000.0), ("e", "existing", 40_000.0)])
    out = cost_range(source_scheme("deposit_tickets"), customers)
    assert out[["change", "rewarded", "quantity", "cost"]].to_dict("records") == [
        {"change": -0.1, "rewarded": 1, "quantity": 1, "cost": 25.0},
        {"change": 0.0, "rewarded": 2, "quantity": 3, "cost": 75.0},
        {"change": 0.1, "rewarded": 2, "quantity": 3, "cost": 75.0},
    ]
    with pytest.raises(ParamsError, match="changes: -1.5 is not a change above -1"):
        cost_range(source_scheme("deposit_tickets"), customers, changes=(-1.5,))
    with pytest.raises(ParamsError, match="measures: the scheme reads no volume"):
        cost_range(source_scheme("deposit_tickets"), customers, measures=("volume",))


# ---------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------
amounts = st.lists(st.floats(min_value=0, max_value=400_000, allow_nan=False).map(lambda x: round(x, 2)),
                   min_size=1, max_size=25)


def _terminals(values, new_every=3):
    return pd.DataFrame({"unit_id": [f"t{i:03d}" for i in range(len(values))],
                         "customer": ["new" if i % new_every == 0 else "existing" for i in range(len(values))],
                         "channel": "supermarket", "amount": values})


@settings(max_examples=60, deadline=None)
@given(amounts, st.lists(st.floats(min_value=0, max_value=100_000, allow_nan=False), min_size=25, max_size=25))
def test_cost_is_monotone_in_amounts(values, more):
    scheme = source_scheme("demo_spring_tickets")  # steps, caps and a pool
    low = cost_scheme(scheme, _terminals(values)).summary
    high = cost_scheme(scheme, _terminals([v + m for v, m in zip(values, more)])).summary
    assert high["cost"] >= low["cost"]
    assert high["rewarded"] >= low["rewarded"] or high["quantity"] == scheme.pool["刮奖券"]


@settings(max_examples=60, deadline=None)
@given(amounts, st.integers(min_value=0, max_value=40), st.integers(min_value=1, max_value=8))
def test_caps_and_pools_are_never_exceeded(values, pool, cap):
    rule = Rule(name="r", method="per_step", step=10_000, gives={"票": 2}, cap={"票": cap})
    scheme = Scheme(name="s", unit="terminal", items={"票": 5.0}, rules=(rule,), pool={"票": pool})
    result = cost_scheme(scheme, _terminals(values))
    assert (result.units["quantity"] <= cap).all()
    assert result.summary["quantity"] <= pool
    uncapped = np.minimum(2 * (np.rint(np.array(values) * 100).astype(np.int64) // 1_000_000), cap)
    assert result.summary["quantity"] == min(pool, int(uncapped.sum()))  # the pool cuts only what exceeds it
    assert result.summary["cost"] == pytest.approx(5.0 * result.summary["quantity"])
    assert result.units.loc[result.units["rewarded"], "eligible"].all()
    assert result.units["cost"].sum() == pytest.approx(result.totals["cost"].sum())
