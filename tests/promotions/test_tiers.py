"""Membership tiers: assignment at the boundaries, stretching to a step, shape, proposal, comparison."""

from __future__ import annotations

import pandas as pd
import pytest

from planlib.errors import DataError, ParamsError
from planlib.promotions import (
    NO_TIER,
    Rule,
    Scheme,
    Tier,
    assign_tiers,
    compare_tiers,
    cost_scheme,
    is_diamond,
    propose_tiers,
    tier_shape,
    tier_table,
)
from tests.promotions.conftest import source_scheme

# ten salon customers: what each has stored so far
SPEND = pd.DataFrame({
    "unit_id": [f"m{i:02d}" for i in range(1, 11)],
    "amount": [1500.0, 1700.0, 1999.99, 2000.0, 4000.0, 4200.0, 4999.0, 5000.0, 7000.0, 12000.0],
})
OLD = tier_table(source_scheme("salon_tiers_old"))
NEW = tier_table(source_scheme("salon_tiers_new"))


def test_tier_table_from_the_salon_rule_tables():
    assert NEW.to_dict("list") == {"tier": ["9折", "8折", "7折"], "at_least": [2000.0, 5000.0, 8000.0],
                                   "discount": [0.1, 0.2, 0.3]}
    assert OLD["tier"].tolist() == ["9.5折", "9折", "8.5折", "8折", "7.5折", "7折"]
    with pytest.raises(ParamsError, match="no tiered rule"):
        tier_table(source_scheme("deposit_tickets"))


def test_assign_tiers_today_at_the_boundaries():
    a = assign_tiers(SPEND, NEW).set_index("unit_id")
    assert a["tier"].tolist() == [NO_TIER, NO_TIER, NO_TIER, "9折", "9折", "9折", "9折", "8折", "8折", "7折"]
    assert (a["tier"] == a["tier_now"]).all() and not a["moved_up"].any()
    assert a["cost"].tolist() == [0.0, 0.0, 0.0, 200.0, 400.0, 420.0, 499.9, 1000.0, 1400.0, 3600.0]


def test_assign_tiers_matches_the_rule_table_s_costing():
    today = assign_tiers(SPEND, OLD)
    costed = cost_scheme(source_scheme("salon_tiers_old"), SPEND)
    assert today["cost"].tolist() == costed.units["cost"].tolist()
    assert today["tier"].replace(NO_TIER, "").tolist() == costed.by_rule["tier"].tolist()


def test_assign_tiers_stretch_moves_members_up_to_a_step_within_20_percent():
    a = assign_tiers(SPEND, NEW, stretch=0.2).set_index("unit_id")
    # 1,700 x 1.2 = 2,040 reaches 2,000; 4,200 x 1.2 = 5,040 reaches 5,000; 4,000 x 1.2 = 4,800 does not
    assert a["tier"].tolist() == [NO_TIER, "9折", "9折", "9折", "9折", "8折", "8折", "8折", "7折", "7折"]
    assert a.index[a["moved_up"]].tolist() == ["m02", "m03", "m06", "m07", "m09"]
    assert a["stored"].tolist() == [1500.0, 2000.0, 2000.0, 2000.0, 4000.0, 5000.0, 5000.0, 5000.0, 8000.0, 12000.0]
    assert a["top_up"].round(2).tolist() == [0.0, 300.0, 0.01, 0.0, 0.0, 800.0, 1.0, 0.0, 1000.0, 0.0]
    assert a["cost"].sum() == pytest.approx(10_000.0)


def test_tier_shape_and_diamond():
    old = tier_shape(assign_tiers(SPEND, OLD, stretch=0.2), OLD)
    assert old["members"].tolist() == [0, 1, 3, 4, 1, 0, 1]  # none, 9.5折, 9折, 8.5折, 8折, 7.5折, 7折
    assert old["share"].sum() == pytest.approx(1.0)
    assert is_diamond(old)
    new = tier_shape(assign_tiers(SPEND, NEW, stretch=0.2), NEW)
    assert new.set_index("tier")["members"].to_dict() == {NO_TIER: 1, "9折": 4, "8折": 3, "7折": 2}
    assert not is_diamond(new)  # the first tier is the largest
    two = pd.DataFrame({"tier": ["a", "b"], "at_least": [1.0, 2.0], "discount": [0.0, 0.0]})
    assert not is_diamond(tier_shape(assign_tiers(SPEND, two), two))  # two tiers have no middle
    empty = tier_shape(assign_tiers(SPEND.iloc[:0], NEW), NEW)
    assert empty["members"].sum() == 0 and empty["share"].tolist() == [0.0] * 4


def test_compare_tiers_old_and_new_salon():
    out = compare_tiers(SPEND, {"old": OLD, "new": NEW}, stretch=0.2).set_index("table")
    assert out.loc["old", ["tiers", "members", "moved_up", "largest_tier", "diamond"]].tolist() == [
        6, 10, 3, "8.5折", True]
    assert out.loc["new", ["tiers", "members", "moved_up", "largest_tier", "diamond"]].tolist() == [
        3, 9, 5, "9折", False]
    assert out.loc["old", "moved_up_share"] == 0.3 and out.loc["new", "moved_up_share"] == 0.5
    assert out.loc["old", "cost"] == pytest.approx(8604.85)
    assert out.loc["new", "cost"] == pytest.approx(10_000.0)
    assert out.loc["old", "top_up"] == pytest.approx(1300.01)
    assert out.loc["new", "stored"] == pytest.approx(46_500.0)
    assert out.loc["new", "cost_rate"] == pytest.approx(10_000.0 / 46_500.0)


# 20 members: five low spenders, eleven around 3,000-4,000, four high
PROPOSAL_SPEND = pd.DataFrame({
    "unit_id": [f"p{i:02d}" for i in range(20)],
    "amount": [1000.0, 1200.0, 1400.0, 1600.0, 1800.0, *[3000.0 + 100 * i for i in range(11)],
               6000.0, 6500.0, 7000.0, 7500.0],
})


def test_propose_tiers_20_percent_above_each_group_s_comfort_line():
    p = propose_tiers(PROPOSAL_SPEND)
    # groups of 5, 11, 4; lower quartiles 1,200, 3,250, 6,375; x 1.2 = 1,440, 3,900, 7,650; to 500s
    assert p.to_dict("list") == {
        "tier": ["9折", "8折", "7折"], "at_least": [1500.0, 4000.0, 7500.0], "discount": [0.1, 0.2, 0.3],
        "members": [5, 11, 4], "comfort": [1200.0, 3250.0, 6375.0], "lowest": [1000.0, 3000.0, 6000.0],
        "highest": [1800.0, 4000.0, 7500.0]}
    shape = tier_shape(assign_tiers(PROPOSAL_SPEND, p, stretch=0.2), p)
    assert shape["members"].tolist() == [2, 7, 8, 3]
    assert is_diamond(shape)


def test_propose_tiers_thresholds_rise_by_a_step_at_least():
    flat = pd.DataFrame({"unit_id": list("abcdef"), "amount": [100.0] * 6})
    p = propose_tiers(flat, shares=(0.5, 0.5), discounts=(0.05, 0.1), names=("银卡", "金卡"))
    assert p[["tier", "at_least"]].to_dict("list") == {"tier": ["银卡", "金卡"], "at_least": [500.0, 1000.0]}


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"shares": (0.5, 0.6, 0.2)}, ParamsError, "shares must be positive fractions summing to 1"),
        ({"shares": (0.5, 0.5)}, ParamsError, "discounts: 2 groups need 2 discounts, got 3"),
        ({"step": 0}, ParamsError, "step > 0"),
        ({"comfort": 1.0}, ParamsError, r"comfort must be in \[0, 1\)"),
    ],
)
def test_propose_tiers_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        propose_tiers(PROPOSAL_SPEND, **kwargs)


def test_tier_inputs_are_checked():
    with pytest.raises(DataError, match="2 members cannot form 3 groups"):
        propose_tiers(PROPOSAL_SPEND.iloc[:2])
    with pytest.raises(DataError, match="amount negative, empty or not a number for x"):
        assign_tiers(pd.DataFrame({"unit_id": ["x"], "amount": [-1.0]}), NEW)
    bad = NEW.assign(at_least=[2000.0, 2000.0, 8000.0])
    with pytest.raises(ParamsError, match="at_least must rise from tier to tier"):
        assign_tiers(SPEND, bad)
    with pytest.raises(ParamsError, match="stretch must be a fraction >= 0"):
        assign_tiers(SPEND, NEW, stretch=-0.1)
    gap = Scheme(name="s", unit="member", rules=(Rule(name="r", method="tiered", tiers=(
        Tier(at_least=1, below=2, discount=0.1), Tier(at_least=3, discount=0.2))),))
    with pytest.raises(ParamsError, match="ends below the next tier"):
        tier_table(gap)
