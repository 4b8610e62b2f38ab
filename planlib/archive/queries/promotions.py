"""
The query of the promotions stage: last year's own sales as the distribution a scheme is
costed on. It takes an open connection (it works on a cursor it closes) and returns a frame.

Public functions
----------------
promotion_units   own sales of last year per terminal (or per region) and month: amounts,
                  volumes, record counts, channel and whether the unit is new
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.errors import ParamsError
from planlib.schemas import OWN_BRAND

__all__ = ["promotion_units"]

_BY = ("terminal", "region")


def promotion_units(con, plan_year: int, *, by: str = "terminal", region_ids: list[str] | None = None) -> pd.DataFrame:
    """
    Last year's own sales per unit and month: the distribution a promotion is costed on.

    Parameters
    ----------
    con : DuckDBPyConnection
        The open archive.
    plan_year : int
        Last year is ``plan_year - 1``.
    by : {"terminal", "region"}, default "terminal"
        The unit: each terminal with own sales last year (month-grain rows that name a
        terminal), or each region sales are booked to (all own month-grain rows).
    region_ids : list of str, optional
        Only sales booked to these regions (e.g. a region's subtree); None: all.

    Returns
    -------
    DataFrame
        ``unit_id, region_id, channel, customer, month, amount, volume, count``, sorted by
        unit and month, one row per unit and month with sales: ``amount`` the revenue,
        ``volume`` the units sold, ``count`` the sales records (one per sku and channel
        that month — the orders, as near as the archive knows them). A terminal's region
        and channel are the terminals table's (else those of its latest sales row); a
        region's channel is empty. ``customer`` is ``new`` when the unit had no own sale
        before last year, else ``existing``.

    Raises
    ------
    ParamsError
        If ``by`` is not terminal or region.
    """
    if by not in _BY:
        raise ParamsError(f"by: {by!r} is not a unit of the archive; expected one of {', '.join(_BY)}")
    ly = int(plan_year) - 1
    start, end = pd.Timestamp(ly, 1, 1).date(), pd.Timestamp(ly + 1, 1, 1).date()
    where = "" if region_ids is None else " AND s.region_id IN (SELECT unnest(?::VARCHAR[]))"
    extra = [] if region_ids is None else [list(region_ids)]
    unit = "s.terminal_id" if by == "terminal" else "s.region_id"
    only = " AND s.terminal_id IS NOT NULL" if by == "terminal" else ""
    cur = con.cursor()
    try:
        rows = cur.sql(
            f"SELECT {unit} AS unit_id, month(s.date) AS month, sum(s.revenue) AS amount, "
            "sum(s.volume) AS volume, count(*) AS count, arg_max(s.region_id, s.date) AS sales_region, "
            "arg_max(s.channel, s.date) AS sales_channel "
            f"FROM sales s WHERE s.grain = 'month' AND s.brand = ? AND s.date >= ? AND s.date < ?{only}{where} "
            "GROUP BY ALL",
            params=[OWN_BRAND, start, end, *extra],
        ).df()
        before = cur.sql(
            f"SELECT DISTINCT {unit} AS unit_id FROM sales s WHERE s.grain = 'month' AND s.brand = ? "
            f"AND s.date < ?{only}{where}",
            params=[OWN_BRAND, start, *extra],
        ).df()
        terminals = (
            cur.sql("SELECT terminal_id AS unit_id, region_id, channel FROM terminals").df()
            if by == "terminal" else None
        )
    finally:
        cur.close()
    rows = rows.sort_values(["unit_id", "month"], kind="mergesort").reset_index(drop=True)
    latest = rows.groupby("unit_id", sort=False).tail(1).set_index("unit_id")  # the last month's region and channel
    if by == "terminal":
        known = terminals.set_index("unit_id")
        region = known["region_id"].reindex(latest.index).fillna(latest["sales_region"])
        channel = known["channel"].reindex(latest.index).fillna(latest["sales_channel"])
    else:
        region = pd.Series(latest.index, index=latest.index)
        channel = pd.Series("", index=latest.index)
    ids = rows["unit_id"]
    out = pd.DataFrame({
        "unit_id": ids.to_numpy(),
        "region_id": ids.map(region).to_numpy(),
        "channel": ids.map(channel).to_numpy(),
        "customer": np.where(ids.isin(set(before["unit_id"])), "existing", "new"),
        "month": rows["month"].astype("int64").to_numpy(),
        "amount": rows["amount"].astype(float).to_numpy(),
        "volume": rows["volume"].astype(float).to_numpy(),
        "count": rows["count"].astype("int64").to_numpy(),
    })  # fmt: skip
    return out
