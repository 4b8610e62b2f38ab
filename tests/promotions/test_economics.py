"""Whether a scheme pays: expected lift on the response curves, break-even lift, zero-based activities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planlib.budget import zero_based
from planlib.errors import BudgetError, ParamsError
from planlib.promotions import (
    break_even_lift,
    cost_scheme,
    expected_lift,
    scheme_activities,
    scheme_economics,
)
from tests.promotions.conftest import source_scheme
from tests.promotions.test_costing import DEPOSITORS, people

CURVES = pd.DataFrame({"kind": ["promotion", "media", "display"], "curve": ["linear", "exponential", "zero"],
                       "a": [0.0, 100_000.0, 0.0], "b": [0.0, 50_000.0, 0.0], "slope": [3.0, 2.0, 0.0],
                       "n_points": [12, 8, 5]})


def test_expected_lift_reads_the_kind_s_curve():
    assert expected_lift(CURVES, "promotion", 275.0)[0] == pytest.approx(825.0)
    lift, _ = expected_lift(CURVES, "media", 50_000.0)
    assert lift == pytest.approx(100_000.0 * (1 - np.exp(-1.0)), rel=1e-9)
    assert expected_lift(CURVES, "display", 1000.0) == (0.0, "往期display活动未见拉动，预期拉动按0计")
    assert expected_lift(CURVES, "tasting", 1000.0) == (0.0, "没有可测算的往期tasting活动，预期拉动按0计")
    assert expected_lift(pd.DataFrame(), "promotion", 1000.0)[0] == 0.0


def test_break_even_lift_is_cost_over_margin():
    assert break_even_lift(1000.0, 0.25) == 4000.0
    assert break_even_lift(-50.0, 0.25) == 0.0  # penalties beyond the rewards: nothing to pay back
    with pytest.raises(BudgetError, match="contribution margin is 0"):
        break_even_lift(1000.0, 0)


def test_scheme_economics_says_whether_it_pays():
    result = cost_scheme(source_scheme("deposit_tickets"), DEPOSITORS)  # cost 275
    row = scheme_economics(result, CURVES, margin_rate=0.4).iloc[0]
    assert row["expected_lift"] == pytest.approx(825.0)           # 3 x 275
    assert row["expected_contribution"] == pytest.approx(330.0)   # 0.4 x 825
    assert row["break_even_lift"] == pytest.approx(687.5)         # 275 / 0.4
    assert row["cover"] == pytest.approx(825.0 / 687.5)
    assert bool(row["pays"]) is True
    poor = scheme_economics(result, CURVES.assign(slope=[2.0, 2.0, 0.0]), margin_rate=0.4).iloc[0]
    assert bool(poor["pays"]) is False  # 0.4 x 550 = 220 < 275


def test_scheme_activities_feed_the_zero_based_list():
    deposits = cost_scheme(source_scheme("deposit_tickets"), DEPOSITORS)  # 275, promotion: lift 825
    orders = cost_scheme(source_scheme("demo_order_reward"),
                         people([("t1", 12), ("t2", 9)], ("unit_id", "count")))  # 12 x 50 = 600, display: no lift
    nothing = cost_scheme(source_scheme("deposit_tickets"), people([("n", "new", 100.0)]))
    acts = scheme_activities([deposits, orders], CURVES, margin_rate=0.4)
    assert acts.to_dict("records") == [
        {"activity": "开门红定期存款洗车票", "kind": "promotion", "category": "promotion", "item": "premiums",
         "cost": 275.0, "expected_return": pytest.approx(330.0)},
        {"activity": "中秋订货陈列补贴", "kind": "display", "category": "channel", "item": "display",
         "cost": 600.0, "expected_return": 0.0},
    ]
    ranked = zero_based(acts, cap=1000.0)
    assert ranked.set_index("activity")["funded"].to_dict() == {"开门红定期存款洗车票": True, "中秋订货陈列补贴": False}
    with pytest.raises(ParamsError, match="schemes named more than once"):
        scheme_activities([deposits, nothing], CURVES, margin_rate=0.4)
    idle = cost_scheme(source_scheme("demo_order_reward"), people([("t2", 9)], ("unit_id", "count")))  # costs 0
    assert scheme_activities([idle], CURVES, margin_rate=0.4).empty
