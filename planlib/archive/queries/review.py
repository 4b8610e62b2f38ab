"""
The queries of the review stage: one region's facts, read from the archive as frames.

Public functions
----------------
load_region_data   every table filtered to a region's subtree (:class:`RegionData`), with
                   the comparison market for measuring activity lift
control_revenue    own monthly revenue of a set of regions (month grain), by date
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planlib.archive.store import connect, load_table
from planlib.hierarchy import RegionTree
from planlib.schemas import OWN_BRAND

__all__ = ["RegionData", "load_region_data", "control_revenue"]


@dataclass(frozen=True)
class RegionData:
    """The archive's facts for one region's subtree (plus the catalogue tables)."""

    region: str
    sales: pd.DataFrame
    products: pd.DataFrame
    market: pd.DataFrame
    expenses: pd.DataFrame
    activities: pd.DataFrame
    events: pd.DataFrame
    terminals: pd.DataFrame
    distributors: pd.DataFrame
    control: pd.Series | None = None


def load_region_data(archive, tree: RegionTree, region: str, *, years: tuple[int, int] | None = None) -> RegionData:
    """
    Read one region's facts: every table filtered to its subtree.

    Parameters
    ----------
    archive : str, Path or DuckDBPyConnection
        The archive file, or an open connection (left open).
    tree : RegionTree
    region : str
    years : tuple of int, optional
        (first, last) limits the facts to the analysis window, e.g. the plan's
        ``analysis.history_years`` before the plan year.

    Returns
    -------
    RegionData
        Activities and events of the region's ancestors are included too (a province's
        media campaign or policy reaches its counties); distributors are all those
        located in the subtree or selling into it. ``control`` is the comparison market
        for measuring activity lift (:func:`planlib.review.activity_lift`): the own
        monthly revenue of the parent's subtree (:func:`control_revenue`), read only when
        the region has own activities of its own; otherwise (activities all in its
        children) None, and the region's own total serves.
    """
    ids = tree.subtree(region)
    con = connect(archive) if isinstance(archive, (str, Path)) else archive
    try:
        load = load_table
        sales = load(con, "sales", region_ids=ids, years=years)
        upward = (*ids, *tree.ancestors(region))
        distributors = load(con, "distributors")
        used = sales["distributor_id"].dropna().unique()
        distributors = distributors[distributors["region_id"].isin(ids) | distributors["distributor_id"].isin(used)]
        activities = load(con, "activities", region_ids=upward)
        parent = tree.parent(region)
        at_region = bool(((activities["brand"] == OWN_BRAND) & (activities["region_id"] == region)).any())
        return RegionData(
            region=region,
            sales=sales,
            products=load(con, "products"),
            market=load(con, "market", region_ids=ids, years=years),
            expenses=load(con, "expenses", region_ids=ids, years=years),
            activities=activities,
            events=load(con, "events", region_ids=upward),
            terminals=load(con, "terminals", region_ids=ids),
            distributors=distributors.reset_index(drop=True),
            control=control_revenue(con, tree.subtree(parent)) if at_region and parent else None,
        )
    finally:
        if con is not archive:
            con.close()


def control_revenue(con, region_ids) -> pd.Series:
    """
    Own monthly revenue of ``region_ids`` summed by month (month-grain rows).

    Parameters
    ----------
    con : DuckDBPyConnection
        The open archive (the query runs on a cursor it closes).
    region_ids : iterable of str

    Returns
    -------
    Series
        ``revenue`` indexed by the month's first day (DatetimeIndex), in date order.
    """
    cur = con.cursor()
    try:
        frame = cur.sql(
            "SELECT date, sum(revenue) AS revenue FROM sales WHERE grain = 'month' AND brand = ? "
            "AND region_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY date ORDER BY date",
            params=[OWN_BRAND, list(region_ids)],
        ).to_arrow_table().to_pandas(date_as_object=False)
    finally:
        cur.close()
    return pd.Series(frame["revenue"].to_numpy(), index=pd.DatetimeIndex(frame["date"]), name="revenue")
