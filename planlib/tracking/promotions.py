"""
The plan's promotion schemes followed: uptake and cost against plan (issue #17; docs/promotions.md).

The plan's costed summary (results/promotions.parquet of the signed run) per scheme and
planned region beside the same scheme's rules applied to the plan year's own sales so far
(who qualified on actual sales), and the spend booked on the scheme's item in its months.

Public names
------------
TRACKING_PROMOTION_COLUMNS  the columns of results/tracking_promotions.parquet
track_promotions            per scheme and planned region: planned and actual uptake and cost
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from planlib.hierarchy import RegionTree
from planlib.promotions.costing import cost_scheme
from planlib.promotions.rules import Scheme

__all__ = ["TRACKING_PROMOTION_COLUMNS", "track_promotions"]

#: results/tracking_promotions.parquet: one row per scheme and planned region it runs in.
TRACKING_PROMOTION_COLUMNS = (
    "scheme", "name", "region_id", "category", "item", "start", "end", "status",
    "planned_eligible", "planned_rewarded", "planned_uptake", "planned_cost",
    "actual_eligible", "actual_rewarded", "actual_uptake", "actual_cost", "cost_completion",
    "item_budget", "item_spent",
)


def _month_range(start: str | None, end: str | None, year: int) -> tuple[int, int]:
    first = dt.date.fromisoformat(start).month if start else 1
    last = dt.date.fromisoformat(end).month if end else 12
    return first, last


def track_promotions(plan_costs: pd.DataFrame, schemes: Mapping[str, Scheme], runs_in: Mapping[str, set],
                     actual_units: pd.DataFrame, budget: pd.DataFrame, expenses: pd.DataFrame, tree: RegionTree,
                     planned: list[str], as_of: dt.date) -> pd.DataFrame:
    """
    Each scheme's uptake and cost against plan, per planned region it runs in.

    Parameters
    ----------
    plan_costs : DataFrame
        The signed plan's results/promotions.parquet (per scheme and region its terminals
        are booked to: eligible, rewarded, net_cost, category, item, start, end).
    schemes : mapping
        Stem -> :class:`Scheme` (the rule tables, read in the plan year).
    runs_in : mapping
        Stem -> the regions where it runs (:func:`planlib.promotions.plan.scheme_regions`).
    actual_units : DataFrame
        The plan year's own sales per terminal and month up to the as-of date (the
        distribution of :func:`planlib.archive.queries.promotions.promotion_units`).
    budget : DataFrame
        The signed plan's results/budget.parquet.
    expenses : DataFrame
        The plan year's expenses up to the as-of date (``region_id, month, category, item,
        amount``).
    tree : RegionTree
    planned : list of str
        The planned regions (a row each where a scheme runs below them).
    as_of : date

    Returns
    -------
    DataFrame
        :data:`TRACKING_PROMOTION_COLUMNS`. ``status`` is 未开始 (the scheme starts after
        the as-of date), 进行中 or 已结束.

    Notes
    -----
    For planned region R and scheme s, over the terminals booked to R's subtree:
    planned_* are the plan's (eligible, rewarded, uptake = rewarded / eligible, cost = net
    cost); actual_* are the scheme's rules applied to the plan year's own sales up to the
    as-of date (:func:`cost_scheme`, the pool shared as in the plan: the scheme is costed
    once on all its terminals); cost_completion = actual_cost / planned_cost (NaN when
    nothing was planned). item_budget and item_spent: the budget and the expenses booked to
    R's subtree on the scheme's category and item in the scheme's months up to the as-of
    date (the whole item: other spend on it included).
    """
    cols = list(TRACKING_PROMOTION_COLUMNS)
    if plan_costs is None or plan_costs.empty:
        return pd.DataFrame(columns=cols)
    planned_set = set(planned)
    up = {r: [a for a in (r, *tree.ancestors(r)) if a in planned_set] for r in tree.subtree(tree.root)}
    bm = pd.DatetimeIndex(budget["month"]).month
    b_region = budget["region_id"].astype(str)
    em = pd.DatetimeIndex(expenses["month"]).month if len(expenses) else pd.Index([], dtype=int)
    rows = []
    for stem, plan_s in plan_costs.groupby("scheme", sort=True):
        scheme = schemes.get(stem)
        first = plan_s.iloc[0]
        m0, m1 = _month_range(first["start"], first["end"], as_of.year)
        status = "未开始" if as_of.month < m0 else ("已结束" if as_of.month >= m1 else "进行中")
        actual = None
        if scheme is not None and len(actual_units):
            mine = actual_units[actual_units["region_id"].isin(runs_in.get(stem, set()))]
            actual = cost_scheme(scheme, mine, tree=tree).units if len(mine) else None
        by_region = {}
        for r in plan_s.itertuples():
            for a in up.get(r.region_id, []):
                acc = by_region.setdefault(a, [0, 0, 0.0, 0, 0, 0.0])
                acc[0] += int(r.eligible)
                acc[1] += int(r.rewarded)
                acc[2] += float(r.net_cost)
        if actual is not None and len(actual):
            for r in actual.itertuples():
                for a in up.get(r.region_id, []):
                    acc = by_region.setdefault(a, [0, 0, 0.0, 0, 0, 0.0])
                    acc[3] += int(r.eligible)
                    acc[4] += int(r.rewarded)
                    acc[5] += float(r.net_cost)
        months_in = (bm >= m0) & (bm <= min(m1, as_of.month))
        on_item = (budget["category"].astype(str) == first["category"]) & (budget["item"].astype(str) == first["item"])
        for region, (pe, pr, pc, ae, ar, ac) in sorted(by_region.items()):
            below = set(tree.subtree(region))
            b_mask = on_item & months_in & (b_region == region).to_numpy()  # a region's rows: its whole budget
            item_budget = float(budget.loc[b_mask, "amount"].sum())
            if len(expenses):
                e_mask = ((expenses["category"].astype(str) == first["category"]).to_numpy()
                          & (expenses["item"].astype(str) == first["item"]).to_numpy()
                          & expenses["region_id"].astype(str).isin(below).to_numpy()
                          & ((em >= m0) & (em <= min(m1, as_of.month))))
                spent = float(expenses.loc[e_mask, "amount"].sum())
            else:
                spent = 0.0
            rows.append({
                "scheme": stem, "name": first["name"], "region_id": region, "category": first["category"],
                "item": first["item"], "start": first["start"], "end": first["end"], "status": status,
                "planned_eligible": pe, "planned_rewarded": pr, "planned_uptake": pr / pe if pe else 0.0,
                "planned_cost": round(pc, 2), "actual_eligible": ae, "actual_rewarded": ar,
                "actual_uptake": ar / ae if ae else 0.0, "actual_cost": round(ac, 2),
                "cost_completion": ac / pc if pc > 0 else np.nan, "item_budget": round(item_budget, 2),
                "item_spent": round(spent, 2),
            })  # fmt: skip
    return pd.DataFrame(rows, columns=cols)
