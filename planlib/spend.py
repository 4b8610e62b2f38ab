"""
Past spend: what the expense ratio was, and which promotions and media paid.

The seed's symptom 3 — "our expense ratio is too low" — is answered with history:
expense/sales by category, and the sales lift measured during each past activity
against a trend-adjusted baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.schemas import CATEGORIES, OWN_BRAND

__all__ = ["expense_ratios", "activity_lift", "subtree_months"]


def expense_ratios(expenses: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    """
    Expense ratio (费用率) by year and category.

    Parameters
    ----------
    expenses : DataFrame
        Archive expense rows for the region's subtree.
    monthly : DataFrame
        :func:`planlib.analysis.monthly_sales` rows for the same subtree (own brand).

    Returns
    -------
    DataFrame
        year, category, amount, revenue, ratio — plus a '全部' (all categories) row per year.

    Notes
    -----
    ratio = Σ amount / Σ own revenue of the year; NaN when revenue is zero.
    """
    e = expenses.assign(year=pd.to_datetime(expenses["date"]).dt.year.astype("int64"))
    g = e.groupby(["year", "category"], as_index=False)["amount"].sum()
    total = g.groupby("year", as_index=False)["amount"].sum().assign(category="全部")
    g = pd.concat([g, total], ignore_index=True)
    rev = monthly.groupby("year")["revenue"].sum()
    g["revenue"] = g["year"].map(rev).fillna(0.0)
    g["ratio"] = g["amount"] / g["revenue"].where(g["revenue"] > 0)
    order = {c: i for i, c in enumerate((*CATEGORIES, "全部"))}
    g = g.assign(_o=g["category"].map(order).fillna(99)).sort_values(["year", "_o"], kind="mergesort")
    return g.drop(columns="_o").reset_index(drop=True)


def activity_lift(
    activities: pd.DataFrame,
    region_months: pd.DataFrame,
    control: pd.Series,
    *,
    margin_rate: float,
) -> pd.DataFrame:
    """
    The sales lift and return of each past own activity.

    Parameters
    ----------
    activities : DataFrame
        Archive activities (own and competitors'); only ``brand == 'own'`` with a cost are measured.
    region_months : DataFrame
        Own revenue of each region's whole subtree by month: index region_id, columns
        month starts (see :func:`subtree_months`).
    control : Series
        Own revenue by month of a comparison market that shares the regions' seasons
        (the parent's subtree); index month starts.
    margin_rate : float
        Gross margin per unit of revenue, to turn extra revenue into extra margin.

    Returns
    -------
    DataFrame
        activity_id, region_id, kind, start_date, end_date, cost, window_revenue,
        baseline_revenue, lift, extra_margin, roi, paid — sorted by roi.

    Notes
    -----
    For window months W (months overlapping the activity) and the three months P
    before it, with R the region's revenue and C the control's:

    baseline = Σ_W C × (Σ_P R / Σ_P C)

    i.e. what the region would have sold had it moved with the control market — the
    Spring Festival and every other season move both alike, so a festival that falls
    in another month this year is not mistaken for a lift.
    lift = window / baseline − 1; extra_margin = (window − baseline) × margin_rate;
    roi = (extra_margin − cost) / cost; paid = roi > 0. An activity whose months are
    not all in the history gets NaN and paid = False.
    """
    cols = ["activity_id", "region_id", "kind", "start_date", "end_date", "cost", "window_revenue",
            "baseline_revenue", "lift", "extra_margin", "roi", "paid"]  # fmt: skip
    own = activities[(activities["brand"] == OWN_BRAND) & activities["cost"].fillna(0).gt(0)]
    own = own[own["region_id"].isin(region_months.index)]
    if own.empty or region_months.empty:
        return pd.DataFrame(columns=cols)
    months = pd.DatetimeIndex(region_months.columns)
    pos = {m: i for i, m in enumerate(months)}
    values = region_months.to_numpy(dtype="float64")
    ctrl = control.reindex(months).to_numpy(dtype="float64")
    row_of = {r: i for i, r in enumerate(region_months.index)}
    starts = pd.to_datetime(own["start_date"]).dt.to_period("M").dt.to_timestamp()
    ends = pd.to_datetime(own["end_date"]).dt.to_period("M").dt.to_timestamp()
    rows = []
    for act, m0, m1 in zip(own.itertuples(index=False), starts, ends):
        a, b = pos.get(m0), pos.get(m1)
        r = values[row_of[act.region_id]]
        if a is None or b is None or a < 3:
            w = base = lift = extra = roi = np.nan
        else:
            w = float(r[a : b + 1].sum())
            pre_r, pre_c = float(r[a - 3 : a].sum()), float(ctrl[a - 3 : a].sum())
            base = float(ctrl[a : b + 1].sum()) * pre_r / pre_c if pre_c > 0 else np.nan
            lift = w / base - 1.0 if base and base > 0 else np.nan
            extra = (w - base) * margin_rate if pd.notna(base) else np.nan
            roi = (extra - act.cost) / act.cost if pd.notna(extra) else np.nan
        rows.append((act.activity_id, act.region_id, act.kind, act.start_date, act.end_date, float(act.cost),
                     w, base, lift, extra, roi, bool(pd.notna(roi) and roi > 0)))  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["roi", "activity_id"], ascending=[False, True], na_position="last").reset_index(drop=True)


def subtree_months(monthly: pd.DataFrame, tree, region: str) -> pd.DataFrame:
    """
    Own revenue by month of every region in ``region``'s subtree, each including its descendants.

    Returns
    -------
    DataFrame
        Index region_id (the whole subtree), columns month starts, values revenue.

    Notes
    -----
    Facts are summed where they are recorded, then added up the tree from the leaves,
    so a parent's row equals the sum of its children's rows plus its own facts.
    """
    ids = list(tree.subtree(region))
    if monthly.empty:
        return pd.DataFrame(index=pd.Index(ids, name="region_id"))
    wide = monthly.pivot_table(index="region_id", columns="date", values="revenue", aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(ids, fill_value=0.0)
    values = wide.to_numpy(dtype="float64").copy()
    index = {r: i for i, r in enumerate(ids)}
    for r in reversed(ids):  # depth-first order reversed: children before parents
        p = tree.parent(r)
        if r != region and p in index:
            values[index[p]] += values[index[r]]
    out = pd.DataFrame(values, index=pd.Index(ids, name="region_id"), columns=pd.DatetimeIndex(wide.columns))
    return out
