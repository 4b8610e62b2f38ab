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

__all__ = ["expense_ratios", "activity_lift"]


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
    monthly: pd.DataFrame,
    subtrees: dict[str, tuple[str, ...]],
    *,
    margin_rate: float,
) -> pd.DataFrame:
    """
    The sales lift and return of each past own activity.

    Parameters
    ----------
    activities : DataFrame
        Archive activities (own and competitors'); only ``brand == 'own'`` with a cost are measured.
    monthly : DataFrame
        Own monthly sales (:func:`planlib.analysis.monthly_sales`) with region_id and date.
    subtrees : dict
        Activity region_id -> the region ids of its subtree (from :meth:`RegionTree.subtree`).
    margin_rate : float
        Gross margin per unit of revenue, to turn extra revenue into extra margin.

    Returns
    -------
    DataFrame
        activity_id, region_id, kind, start_date, end_date, cost, window_revenue,
        baseline_revenue, lift, extra_margin, roi, paid — sorted by roi.

    Notes
    -----
    For window months W (months overlapping the activity) in year y, and the three
    months P before the window:

    baseline = Σ_W R_{y−1} × (Σ_P R_y / Σ_P R_{y−1})   (last year's same months, trend-adjusted)

    lift = window / baseline − 1; extra_margin = (window − baseline) × margin_rate;
    roi = (extra_margin − cost) / cost; paid = roi > 0. Activities without a year of
    history before them get NaN and paid = False.
    """
    cols = ["activity_id", "region_id", "kind", "start_date", "end_date", "cost", "window_revenue",
            "baseline_revenue", "lift", "extra_margin", "roi", "paid"]  # fmt: skip
    own = activities[(activities["brand"] == OWN_BRAND) & activities["cost"].fillna(0).gt(0)]
    if own.empty or monthly.empty:
        return pd.DataFrame(columns=cols)
    by_region = monthly.groupby(["region_id", pd.to_datetime(monthly["date"])])["revenue"].sum()
    rows = []
    for act in own.itertuples(index=False):
        ids = subtrees.get(act.region_id, ())
        series = by_region[by_region.index.get_level_values(0).isin(ids)].groupby(level=1).sum()
        start = pd.Timestamp(act.start_date).to_period("M").to_timestamp()
        end = pd.Timestamp(act.end_date).to_period("M").to_timestamp()
        window = pd.date_range(start, end, freq="MS")
        pre = pd.date_range(start - pd.DateOffset(months=3), start - pd.DateOffset(months=1), freq="MS")

        def total(months):
            return float(series.reindex(months).sum()) if series.reindex(months).notna().all() else np.nan

        w = total(window)
        w_prev = total(window - pd.DateOffset(years=1))
        p, p_prev = total(pre), total(pre - pd.DateOffset(years=1))
        base = w_prev * (p / p_prev) if p_prev and p_prev > 0 else np.nan
        lift = w / base - 1.0 if base and base > 0 else np.nan
        extra = (w - base) * margin_rate if pd.notna(base) else np.nan
        roi = (extra - act.cost) / act.cost if pd.notna(extra) else np.nan
        rows.append((act.activity_id, act.region_id, act.kind, act.start_date, act.end_date, float(act.cost),
                     w, base, lift, extra, roi, bool(pd.notna(roi) and roi > 0)))  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["roi", "activity_id"], ascending=[False, True], na_position="last").reset_index(drop=True)
