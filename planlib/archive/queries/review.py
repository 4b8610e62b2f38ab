"""
The queries of the review stage: one region's facts, read from the archive as frames.

Public functions
----------------
load_region_data   every table filtered to a region's subtree (:class:`RegionData`), with
                   the comparison market for measuring activity lift
load_sales         the sales rows of a set of regions, as ``load_table`` reads them, with
                   the text keys as categoricals (a national subtree in a fraction of the memory)
control_revenue    own monthly revenue of a set of regions (month grain), by date
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from planlib.archive.store import connect, load_table
from planlib.hierarchy import RegionTree
from planlib.schemas import OWN_BRAND, TABLES

__all__ = ["RegionData", "load_region_data", "load_sales", "control_revenue"]


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
        sales = load_sales(con, ids, years=years)
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


#: The sales table's key: rows are returned in this order, text keys (all but the date) as categoricals.
_SALES_KEY = TABLES["sales"].key
_SALES_TEXT = _SALES_KEY[1:]
_SALES_VALUES = ("volume", "revenue")


def load_sales(con, region_ids, *, years: tuple[int, int] | None = None) -> pd.DataFrame:
    """
    The sales rows of ``region_ids``: :func:`load_table`'s rows, in its order, with text keys as categoricals.

    Parameters
    ----------
    con : DuckDBPyConnection
        The open archive (the queries run on a cursor it closes).
    region_ids : iterable of str
    years : tuple of int, optional
        (first, last) calendar years of ``date``, inclusive.

    Returns
    -------
    DataFrame
        date, grain, region_id, sku, channel, brand, terminal_id, distributor_id, volume,
        revenue: the rows and values ``load_table(con, "sales", region_ids=..., years=...)``
        returns, in the same (key) order, so sums over them add up in the same order to the
        same bits. The text keys are categoricals whose categories are the values that
        occur, sorted (what :func:`planlib.frames.sorted_categorical` makes of the text).

    Notes
    -----
    A national subtree is 15 million rows: read as text and sorted by DuckDB it needs
    about 6 GB. Here DuckDB lists each key's distinct values (one grouping-sets pass), then
    streams the rows unsorted while each text value is replaced by its rank among those
    values; the rows are then put in key order by sorting those integer codes (the
    table's key is unique, so the order is the one ``ORDER BY`` gives).
    """
    ids = [str(r) for r in ([region_ids] if isinstance(region_ids, str) else region_ids)]
    where, params = "region_id IN (SELECT unnest(?::VARCHAR[]))", [ids]
    if ids:  # the id range lets DuckDB skip the row groups outside it (a subtree's ids are close)
        where, params = "region_id BETWEEN ? AND ? AND " + where, [min(ids), max(ids), ids]
    if years is not None:
        where += " AND date >= ? AND date < ?"
        params += [dt.date(int(years[0]), 1, 1), dt.date(int(years[1]) + 1, 1, 1)]
    text = list(_SALES_TEXT)
    cur = con.cursor()
    try:
        # each key's distinct values (the other keys are NULL in its grouping set: grouping_id tells the sets apart)
        sets = ", ".join(f"({c})" for c in text)
        distinct = cur.sql(
            f"SELECT grouping_id({', '.join(text)}) AS g, {', '.join(text)}, count(*) AS n FROM sales "
            f"WHERE {where} GROUP BY GROUPING SETS ({sets})",
            params=params,
        ).to_arrow_table().to_pandas()
        width = len(text)
        group = distinct["g"].to_numpy()
        values = {}
        for i, c in enumerate(text):
            mine = group == (1 << width) - 1 - (1 << (width - 1 - i))  # the rows of c's grouping set
            values[c] = np.sort(distinct[c][mine].dropna().to_numpy(dtype=str))  # one column's rows, not the frame's
            if i == 0:
                n = int(distinct["n"][mine].sum())
        lookup = {c: pa.array(values[c], type=pa.string()) for c in text}
        days = np.empty(n, dtype=np.int32)
        codes = {c: np.empty(n, dtype=_code_type(len(values[c]))) for c in text}
        sums = {c: np.empty(n, dtype=np.float64) for c in _SALES_VALUES}
        at = 0
        reader = cur.sql(
            f"SELECT date, {', '.join(text)}, {', '.join(_SALES_VALUES)} FROM sales WHERE {where}", params=params
        ).to_arrow_reader(1 << 18)
        for batch in reader:
            end = at + batch.num_rows
            days[at:end] = batch.column("date").cast(pa.int32()).to_numpy()
            for c in text:
                codes[c][at:end] = pc.index_in(batch.column(c), value_set=lookup[c]).fill_null(-1).to_numpy()
            for c in _SALES_VALUES:
                sums[c][at:end] = batch.column(c).to_numpy(zero_copy_only=False)
            at = end
    finally:
        cur.close()
    order = _key_order([days, *(codes[c] for c in text)])
    if (order[1:] < order[:-1]).any():
        days = days[order]
        codes = {c: k[order] for c, k in codes.items()}
        sums = {c: v[order] for c, v in sums.items()}
    columns = {"date": pa.array(days, type=pa.date32()).to_pandas(date_as_object=False)}
    for c in text:
        columns[c] = pd.Categorical.from_codes(codes[c], categories=pd.Index(values[c], dtype="str"))
    columns.update(sums)
    return pd.DataFrame(columns)


def _code_type(size: int) -> np.dtype:
    """The smallest signed integer type holding codes −1 … size − 1 (a categorical's own codes type)."""
    return np.dtype(np.int8 if size < 127 else np.int16 if size < 32_767 else np.int32)


def _key_order(keys: list[np.ndarray]) -> np.ndarray:
    """
    The row order sorting by ``keys`` (most significant first; codes ≥ −1, −1 first), as ``np.lexsort``.

    The keys are packed into as few int64 words as their ranges allow (a national subtree's
    eight keys fit in one), so one stable argsort of a word does what a lexsort of eight does.
    """
    n = len(keys[0])
    words, word, room = [], np.zeros(n, dtype=np.int64), 1
    for k in keys:
        lo = int(k.min()) if n else 0
        radix = (int(k.max()) - lo + 1) if n else 1
        if room * radix >= 1 << 62:
            words.append(word)
            word, room = np.zeros(n, dtype=np.int64), 1
        word *= radix
        word += k.astype(np.int64) - lo
        room *= radix
    words.append(word)
    return np.lexsort(words[::-1]) if len(words) > 1 else np.argsort(words[0], kind="stable")


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
