"""The plan's schemes followed: planned against actual uptake and cost (issue #17), by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from planlib.hierarchy import RegionTree
from planlib.promotions.plan import scheme_regions
from planlib.tracking.promotions import TRACKING_PROMOTION_COLUMNS, track_promotions

from tests.promotions.conftest import source_scheme

# HQ -> P1 -> K1 (township T1), K2
TREE = RegionTree(pd.DataFrame({
    "region_id": ["HQ", "P1", "K1", "K2", "T1"], "name": ["总部", "一省", "一县", "二县", "一镇"],
    "level": ["hq", "province", "county", "county", "township"], "parent_id": [None, "HQ", "P1", "P1", "K1"],
}))  # fmt: skip
PLAN = pd.DataFrame({  # the signed plan's costs: a terminal in T1 rewarded 12 orders (600), one in K2 nothing
    "scheme": "demo_order_reward", "name": "中秋订货陈列补贴", "kind": "display", "category": "channel",
    "item": "display", "region_id": ["T1", "K2"], "units": 1, "eligible": 1, "rewarded": [1, 0],
    "net_cost": [600.0, 0.0], "start": "2027-09-01", "end": "2027-10-31",
})  # fmt: skip


def test_track_promotions_compares_plan_and_actual_per_planned_region():
    actual = pd.DataFrame({  # this year's September so far: a 11 orders (550), b 12 (600)
        "unit_id": ["a", "b"], "region_id": ["T1", "K2"], "channel": "supermarket", "customer": "existing",
        "month": [9, 9], "amount": 1.0, "volume": 1.0, "count": [11, 12],
    })  # fmt: skip
    budget = pd.DataFrame({
        "region_id": ["K1", "K1", "P1"], "month": pd.to_datetime(["2027-09-01", "2027-08-01", "2027-09-01"]),
        "category": "channel", "item": "display", "terminal_id": None, "amount": [1000.0, 500.0, 1800.0],
        "method": ["scheme", "objective_task", "consolidated"],
    })  # fmt: skip
    expenses = pd.DataFrame({"region_id": ["T1", "K1"], "month": pd.to_datetime(["2027-09-01", "2027-07-01"]),
                             "category": "channel", "item": "display", "amount": [700.0, 90.0]})
    runs = scheme_regions({"demo_order_reward": ["P1"]}, TREE, "HQ")
    got = track_promotions(PLAN, {"demo_order_reward": source_scheme("demo_order_reward")}, runs, actual, budget,
                           expenses, TREE, ["P1", "K1", "K2"], dt.date(2027, 9, 30))
    assert list(got.columns) == list(TRACKING_PROMOTION_COLUMNS)
    got = got.set_index("region_id")
    assert (got["status"] == "进行中").all()  # Sep-Oct, followed to 30 September
    k1, k2, p1 = got.loc["K1"], got.loc["K2"], got.loc["P1"]
    assert (k1["planned_rewarded"], k1["planned_cost"], k1["actual_rewarded"], k1["actual_cost"]) == (1, 600.0, 1, 550.0)
    assert k1["cost_completion"] == 550.0 / 600.0
    assert (k1["item_budget"], k1["item_spent"]) == (1000.0, 700.0)  # August's budget and July's spend left out
    assert k2["planned_cost"] == 0.0 and k2["actual_cost"] == 600.0 and np.isnan(k2["cost_completion"])
    assert (p1["planned_eligible"], p1["actual_rewarded"], p1["actual_cost"]) == (2, 2, 1150.0)  # its counties summed
    assert p1["item_budget"] == 1800.0 and p1["actual_uptake"] == 1.0


def test_track_promotions_without_schemes_is_empty():
    got = track_promotions(PLAN.iloc[0:0], {}, {}, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), TREE, [],
                           dt.date(2027, 6, 30))
    assert got.empty and list(got.columns) == list(TRACKING_PROMOTION_COLUMNS)
