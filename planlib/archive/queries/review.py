"""
The queries of the review stage: one region's facts, read from the archive as frames.

Public functions
----------------
load_region_data   every table filtered to a region's subtree (:class:`RegionData`), with
                   the comparison market for measuring activity lift
load_sales         the sales rows of a set of regions, as ``load_table`` reads them, with
                   the text keys as categoricals (a national subtree in a fraction of the memory)
control_revenue    own monthly revenue of a set of regions (month grain), by date
recorded_above     for kinds of record a region has none of, the nearest ancestor that has some
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from planlib.archive.store import connect, load_table, missing_tables
from planlib.hierarchy import RegionTree
from planlib.schemas import OWN_BRAND, TABLES

__all__ = ["RegionData", "load_region_data", "load_sales", "control_revenue", "recorded_above"]


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
    #: For each kind of record the region has none of, the nearest ancestor holding some (:func:`recorded_above`).
    recorded_above: dict = field(default_factory=dict)


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
        children) None, and the region's own total serves. ``recorded_above`` names, for
        each kind of record the subtree has none of, the nearest ancestor holding some
        (:func:`recorded_above`: a township's market kept by its county).
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
        market = load(con, "market", region_ids=ids, years=years)
        expenses = load(con, "expenses", region_ids=ids, years=years)
        terminals = load(con, "terminals", region_ids=ids)
        own = (sales["brand"] == OWN_BRAND).to_numpy()
        held = {"sales": own.any(), "competitor_sales": (~own).any(), "market": len(market) > 0,
                "expenses": len(expenses) > 0, "terminals": len(terminals) > 0, "distributors": len(distributors) > 0}
        lacking = [kind for kind, has in held.items() if not has]
        return RegionData(
            region=region,
            sales=sales,
            products=load(con, "products"),
            market=market,
            expenses=expenses,
            activities=activities,
            events=load(con, "events", region_ids=upward),
            terminals=terminals,
            distributors=distributors.reset_index(drop=True),
            control=control_revenue(con, tree.subtree(parent)) if at_region and parent else None,
            recorded_above=recorded_above(con, tree, region, lacking, years=years) if lacking else {},
        )
    finally:
        if con is not archive:
            con.close()


#: What each kind of record :func:`recorded_above` looks for: its table and a condition on its rows.
_KIND_ROWS = {
    "sales": ("sales", "brand = ?", True), "competitor_sales": ("sales", "brand <> ?", True),
    "market": ("market", "TRUE", False), "expenses": ("expenses", "TRUE", False),
    "terminals": ("terminals", "TRUE", False), "distributors": ("distributors", "TRUE", False),
}


def recorded_above(con, tree: RegionTree, region: str, kinds, *, years: tuple[int, int] | None = None) -> dict[str, str]:
    """
    For each of ``kinds`` the ancestor of ``region`` that keeps that kind for its whole subtree.

    An archive may keep a kind of record at a coarser level than a region: the category
    market and competitors' sales by county, say, for a township. Such a region has none of
    its own, yet nothing is missing: the records are its ancestor's. The ancestor is the
    nearest one holding rows of the kind, and it counts only when no region below it holds
    any (the kind is simply not recorded below that level); when some region below it does
    (a city's own office costs above counties that book their channel fees), a region
    without rows lacks them.

    Parameters
    ----------
    con : DuckDBPyConnection
    tree : RegionTree
    region : str
    kinds : iterable of str
        Kinds as :data:`planlib.review.COVERAGE_SOURCES` names them; those not held in a
        regional table (activities and events, already read with the ancestors') are skipped.
    years : tuple of int, optional
        (first, last) calendar years of the dated kinds' rows, inclusive.

    Returns
    -------
    dict
        kind -> the ancestor's id, for each kind an ancestor keeps so; any other kind is
        absent. At most two queries per kind (the ancestors' rows, then one row below the
        nearest); a table the archive lacks holds no rows.
    """
    ancestors = list(tree.ancestors(region))
    found: dict[str, str] = {}
    if not ancestors:
        return found
    absent = set(missing_tables(con))
    cur = con.cursor()
    try:
        for kind in kinds:
            if kind not in _KIND_ROWS or _KIND_ROWS[kind][0] in absent:
                continue
            table, condition, branded = _KIND_ROWS[kind]
            extra, params = condition, [OWN_BRAND] if branded else []
            if years is not None and table in ("sales", "market", "expenses"):
                extra += " AND date >= ? AND date < ?"
                params += [dt.date(int(years[0]), 1, 1), dt.date(int(years[1]) + 1, 1, 1)]
            held = {r for (r,) in cur.execute(
                f"SELECT DISTINCT region_id FROM {table} WHERE region_id IN (SELECT unnest(?::VARCHAR[])) AND {extra}",
                [ancestors, *params]).fetchall()}
            nearest = next((a for a in ancestors if a in held), None)
            if nearest is None:
                continue
            below = [r for r in tree.subtree(nearest) if r != nearest]
            if cur.execute(f"SELECT 1 FROM {table} WHERE region_id IN (SELECT unnest(?::VARCHAR[])) AND {extra} LIMIT 1",
                           [below, *params]).fetchall():
                continue  # recorded below the ancestor too: this region lacks it
            found[kind] = nearest
    finally:
        cur.close()
    return found


#: The sales table's key: rows are returned in this order, text keys (all but the date) as categoricals.
_SALES_KEY = TABLES["sales"].key
_SALES_TEXT = _SALES_KEY[1:]
_SALES_VALUES = ("volume", "revenue")
#: Rows per batch streamed by :func:`load_sales`.
_BATCH_ROWS = 1 << 18


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
    about 6 GB. Here DuckDB streams the rows unsorted, in one pass, while each batch's text
    keys are dictionary-encoded (small integer indices into the batch's distinct values);
    then each key's distinct values over all batches are sorted and every index replaced by
    its value's rank among them; the rows are then put in key order by sorting those
    integer codes (the table's key is unique, so the order is the one ``ORDER BY`` gives).
    """
    ids = [str(r) for r in ([region_ids] if isinstance(region_ids, str) else region_ids)]
    where, params = "region_id IN (SELECT unnest(?::VARCHAR[]))", [ids]
    if ids:  # the id range lets DuckDB skip the row groups outside it (a subtree's ids are close)
        where, params = "region_id BETWEEN ? AND ? AND " + where, [min(ids), max(ids), ids]
    if years is not None:
        where += " AND date >= ? AND date < ?"
        params += [dt.date(int(years[0]), 1, 1), dt.date(int(years[1]) + 1, 1, 1)]
    text = list(_SALES_TEXT)
    days_parts: list[np.ndarray] = []
    sum_parts: dict[str, list[np.ndarray]] = {c: [] for c in _SALES_VALUES}
    # each batch's text as its own dictionary (values in order of appearance) and indices into it
    local: dict[str, list[tuple[pa.Array, np.ndarray]]] = {c: [] for c in text}
    cur = con.cursor()
    try:
        reader = cur.sql(
            f"SELECT date, {', '.join(text)}, {', '.join(_SALES_VALUES)} FROM sales WHERE {where}", params=params
        ).to_arrow_reader(_BATCH_ROWS)
        for batch in reader:
            days_parts.append(batch.column("date").cast(pa.int32()).to_numpy())
            for c in text:
                enc = pc.dictionary_encode(batch.column(c))
                index = enc.indices.fill_null(-1).to_numpy()
                local[c].append((enc.dictionary, index.astype(_code_type(len(enc.dictionary)))))
            for c in _SALES_VALUES:
                sum_parts[c].append(batch.column(c).to_numpy(zero_copy_only=False))
    finally:
        cur.close()
    days = np.concatenate(days_parts) if days_parts else np.empty(0, dtype=np.int32)
    sums = {c: np.concatenate(v) if v else np.empty(0, dtype=np.float64) for c, v in sum_parts.items()}
    del days_parts, sum_parts
    n = len(days)
    values, codes = {}, {}
    for c in text:
        # the key's distinct values, sorted; each batch's indices mapped to their rank among them (−1: null)
        seen = pc.unique(pa.concat_arrays([d for d, _ in local[c]])) if local[c] else pa.array([], type=pa.string())
        values[c] = np.sort(np.asarray(seen.to_numpy(zero_copy_only=False), dtype=str))
        lookup = pa.array(values[c], type=pa.string())
        out = np.empty(n, dtype=_code_type(len(values[c])))
        at = 0
        for dictionary, index in local[c]:
            rank = np.append(pc.index_in(dictionary, value_set=lookup).to_numpy(), -1).astype(out.dtype)
            out[at:at + len(index)] = rank[index]  # index −1 takes the appended −1
            at += len(index)
        codes[c] = out
        local[c] = []  # let the batches' indices go
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
    ids = [str(r) for r in region_ids]
    # the id range lets DuckDB skip the row groups outside it (a subtree's ids are close): the same rows
    where, params = "region_id IN (SELECT unnest(?::VARCHAR[]))", [ids]
    if ids:
        where, params = "region_id BETWEEN ? AND ? AND " + where, [min(ids), max(ids), ids]
    cur = con.cursor()
    try:
        frame = cur.sql(
            f"SELECT date, sum(revenue) AS revenue FROM sales WHERE grain = 'month' AND brand = ? AND {where} "
            "GROUP BY date ORDER BY date",
            params=[OWN_BRAND, *params],
        ).to_arrow_table().to_pandas(date_as_object=False)
    finally:
        cur.close()
    return pd.Series(frame["revenue"].to_numpy(), index=pd.DatetimeIndex(frame["date"]), name="revenue")
