"""
The competitors' spend a unit is benchmarked against (the benchmark method's base, 标杆法).

Public function: competitor_spend.
"""

from __future__ import annotations

import pandas as pd

from planlib.budget.response import KIND_ITEMS
from planlib.schemas import OWN_BRAND

__all__ = ["competitor_spend"]


def competitor_spend(acts: pd.DataFrame, comp_revenue: pd.DataFrame, year: int, tree, units) -> pd.DataFrame:
    """
    Each unit's main competitor and what it spent last year, per expense category (the benchmark's base).

    Parameters
    ----------
    acts : DataFrame
        The archive's activities (``region_id, brand, kind, start_date, cost``).
    comp_revenue : DataFrame
        The other brands' revenue last year by ``region_id, brand``.
    year : int
        The plan year.
    tree : RegionTree
    units : list of str

    Returns
    -------
    DataFrame
        ``unit, category, brand, spend, revenue, ratio, source, source_name``: for each unit and each
        category the competitors' activities are booked to (:data:`KIND_ITEMS`), the main
        competitor (the brand with the most revenue) of ``source`` — the unit itself, or its
        nearest ancestor where that competitor's spend on the category is recorded — its
        spend there last year, its revenue there and spend / revenue; ``source_name`` is
        ``source``'s name, as the budget page says it. A unit and category
        with no record up to the plan's root has no row.
    """
    cols = ["unit", "category", "brand", "spend", "revenue", "ratio", "source", "source_name"]
    last = acts[(acts["brand"] != OWN_BRAND) & (pd.DatetimeIndex(acts["start_date"]).year == year - 1)
                & acts["cost"].notna()]
    booked = {k: KIND_ITEMS.get(k, (None,))[0] for k in pd.unique(last["kind"])}  # each kind looked up once
    last = last.assign(category=last["kind"].map(booked)).dropna(subset=["category"])
    if last.empty or comp_revenue.empty:
        return pd.DataFrame(columns=cols)
    # lists, not the Arrow-backed columns element by element (slow); a set's order does not reach the sums
    regions = set(comp_revenue["region_id"].tolist()) | set(last["region_id"].tolist())
    link = pd.DataFrame([(r, a) for r in regions for a in (r, *tree.ancestors(r))], columns=["region_id", "node"])
    rev = comp_revenue.merge(link, on="region_id").groupby(["node", "brand"])["revenue"].sum()
    spend = last.merge(link, on="region_id").groupby(["node", "brand", "category"])["cost"].sum()
    # the main competitor of a node: the most revenue there (ties: the brand's name)
    main = rev.reset_index().sort_values(["node", "revenue", "brand"], ascending=[True, False, True]) \
        .drop_duplicates("node").set_index("node")
    nodes = main.index.tolist()
    main_brand, main_revenue = dict(zip(nodes, main["brand"].tolist())), dict(zip(nodes, main["revenue"].tolist()))
    spent = dict(zip(spend.index.tolist(), spend.tolist()))
    categories = sorted(set(last["category"]))
    rows = []
    for u in units:
        chain = (u, *tree.ancestors(u))
        for cat in categories:
            for node in chain:
                if node not in main_brand:
                    continue
                brand, revenue = main_brand[node], float(main_revenue[node])
                cost = float(spent.get((node, brand, cat), 0.0))
                if cost > 0 and revenue > 0:
                    rows.append((u, cat, brand, cost, revenue, cost / revenue, node, tree.name(node)))
                    break
    return pd.DataFrame(rows, columns=cols)
