"""
The queries of the budget stage: each takes an open connection (it works on a cursor it
closes) and returns frames.

Public functions
----------------
budget_history   own sales by region and month, the competitors' revenue, last year's
                 expenses by item, and the activities, of a plan's regions
"""

from __future__ import annotations

import pandas as pd

from planlib.schemas import OWN_BRAND

__all__ = ["budget_history"]


def budget_history(con, region_ids: list[str] | None, plan_year: int):
    """
    What the plan's budget is priced from, read in one pass over the archive.

    Parameters
    ----------
    con : DuckDBPyConnection
        The open archive.
    region_ids : list of str or None
        The plan's regions; None reads the whole archive (the plan's root is the tree's
        root): no region filter, which DuckDB scans several times faster than a list of
        every region id.
    plan_year : int

    Returns
    -------
    (DataFrame, float, DataFrame, DataFrame)
        ``monthly``: own sales before the plan year by region and month (``region_id,
        date`` (Timestamp), ``volume, revenue, variable_cost``, variable cost at each
        product's unit variable cost); the competitors' revenue last year (0 when none);
        ``expenses``: last year's by ``region_id, category, item`` (``amount``);
        ``activities``: ``activity_id, region_id, brand, kind, start_date, end_date, cost``.
    """
    where = "" if region_ids is None else " AND region_id IN (SELECT unnest(?::VARCHAR[]))"
    extra = [] if region_ids is None else [region_ids]
    ly = plan_year - 1
    cur = con.cursor()
    try:
        # one scan of own sales: by region and month (the activities' lift needs the months)
        monthly = cur.sql(
            "SELECT region_id, date, sum(volume) AS volume, sum(revenue) AS revenue, "
            "sum(volume * coalesce(unit_variable_cost, 0)) AS variable_cost "
            "FROM sales JOIN products USING (sku) WHERE grain = 'month' AND brand = ? "
            f"AND date < ?{where} GROUP BY ALL",
            params=[OWN_BRAND, pd.Timestamp(plan_year, 1, 1).date(), *extra],
        ).to_arrow_table().to_pandas()
        monthly["date"] = pd.to_datetime(monthly["date"])
        competitor_revenue = cur.sql(
            f"SELECT sum(revenue) FROM sales WHERE grain = 'month' AND brand <> ? AND year(date) = ?{where}",
            params=[OWN_BRAND, ly, *extra],
        ).fetchall()[0][0]
        expenses = cur.sql(
            f"SELECT region_id, category, item, sum(amount) AS amount FROM expenses WHERE year(date) = ?{where} "
            "GROUP BY ALL",
            params=[ly, *extra],
        ).df()
        activities = cur.sql(
            "SELECT activity_id, region_id, brand, kind, start_date, end_date, cost FROM activities "
            f"WHERE true{where}",
            params=extra,
        ).df()
    finally:
        cur.close()
    return monthly, float(competitor_revenue or 0.0), expenses, activities
