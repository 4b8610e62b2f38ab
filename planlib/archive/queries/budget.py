"""
The queries of the budget stage: each takes an open connection (it works on a cursor it
closes) and returns frames.

Public functions
----------------
budget_history   own sales by region and month, the competitors' revenue, last year's
                 expenses by item, and the activities, of a plan's regions
expense_calendar last year's expenses by category, item and month: when each item is paid
spend_history    a region's own revenue by region and month and by year, and its expenses by
                 year and category, each summed in the order of the table's key (what the past
                 spend's returns need, without the rows)
activities_present  whether a plan's regions hold own activities, and competitors' in a year
one_thread       run queries on one DuckDB thread (sums of doubles in storage order), then restore
"""

from __future__ import annotations

import contextlib

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from planlib.schemas import OWN_BRAND

__all__ = ["budget_history", "expense_calendar", "spend_history", "activities_present", "one_thread"]


@contextlib.contextmanager
def one_thread(cur):
    """Run the block's queries on one DuckDB thread (storage order), then restore the thread count."""
    threads = int(cur.sql("SELECT current_setting('threads')").fetchall()[0][0])
    cur.execute("SET threads = 1")
    try:
        yield
    finally:
        cur.execute(f"SET threads = {threads}")


@contextlib.contextmanager
def _without_optimizer(cur, name: str):
    """Run the block's queries with DuckDB's optimizer ``name`` disabled too, then restore the setting."""
    before = str(cur.sql("SELECT current_setting('disabled_optimizers')").fetchall()[0][0] or "")
    cur.execute("SET disabled_optimizers = ?", [",".join(o for o in (before, name) if o)])
    try:
        yield
    finally:
        cur.execute("SET disabled_optimizers = ?", [before])


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
    (DataFrame, DataFrame, DataFrame, DataFrame)
        ``monthly``: own sales before the plan year by region and month (``region_id,
        date`` (Timestamp), ``volume, revenue, variable_cost``, variable cost at each
        product's unit variable cost); ``competitor_revenue``: the other brands' revenue
        last year by ``region_id, brand`` (``revenue``);
        ``expenses``: last year's by ``region_id, category, item`` (``amount``);
        ``activities``: ``activity_id, region_id, brand, kind, start_date, end_date, cost``.
        An archive without an ``expenses`` or ``activities`` table gives empty frames of
        those columns (both tables are optional).

    Notes
    -----
    The sums run on one DuckDB thread, whatever the connection's setting (restored after):
    DuckDB's parallel SUM of doubles adds in a different order each time, so a region's
    revenue could differ in its last bits between the plan's budget step (one thread) and
    a notebook's :func:`planlib.budget.plan_response` on a many-threaded connection, or
    between two runs of that notebook (its response figure moved by a pixel row).

    The month query joins the sales to the products (each row's unit variable cost) with
    DuckDB's join filter pushdown off: DuckDB would otherwise test every scanned sales row
    against the products' skus (an IN list and a Bloom filter) before the join tests it again,
    ~10% of the query's CPU on the national archive (0.95 s → 0.85 s). The join still drops a
    sku the products table lacks; the rows reach the sums in the same order, and the months
    come out the same, rows and bits (national and demo archives).
    """
    where = "" if region_ids is None else " AND region_id IN (SELECT unnest(?::VARCHAR[]))"
    extra = [] if region_ids is None else [region_ids]
    ly = plan_year - 1
    cur = con.cursor()
    try:
        with one_thread(cur):  # sums in storage order, the same on every call (see Notes)
            # one scan of own sales: by region and month (the activities' lift needs the months); the
            # products' few skus are not pushed into the scan as a filter (see Notes)
            with _without_optimizer(cur, "join_filter_pushdown"):
                monthly = cur.sql(
                    "SELECT region_id, date, sum(volume) AS volume, sum(revenue) AS revenue, "
                    "sum(volume * coalesce(unit_variable_cost, 0)) AS variable_cost "
                    "FROM sales JOIN products USING (sku) WHERE grain = 'month' AND brand = ? "
                    f"AND date < ?{where} GROUP BY ALL",
                    params=[OWN_BRAND, pd.Timestamp(plan_year, 1, 1).date(), *extra],
                ).to_arrow_table().to_pandas()
            monthly["date"] = pd.to_datetime(monthly["date"])
            competitor_revenue = cur.sql(
                "SELECT region_id, brand, sum(revenue) AS revenue FROM sales WHERE grain = 'month' AND brand <> ? "
                f"AND year(date) = ?{where} GROUP BY ALL",
                params=[OWN_BRAND, ly, *extra],
            ).df()
            # expenses and activities are optional tables: an archive without them prices what it can
            tables = {r[0] for r in cur.sql("SELECT table_name FROM information_schema.tables").fetchall()}
            if "expenses" in tables:
                expenses = cur.sql(
                    f"SELECT region_id, category, item, sum(amount) AS amount FROM expenses WHERE year(date) = ?{where} "
                    "GROUP BY ALL",
                    params=[ly, *extra],
                ).df()
            else:
                expenses = pd.DataFrame({"region_id": pd.Series(dtype=object), "category": pd.Series(dtype=object),
                                         "item": pd.Series(dtype=object), "amount": pd.Series(dtype=float)})
            if "activities" in tables:
                activities = cur.sql(
                    "SELECT activity_id, region_id, brand, kind, start_date, end_date, cost FROM activities "
                    f"WHERE true{where}",
                    params=extra,
                ).df()
            else:
                activities = pd.DataFrame({
                    "activity_id": pd.Series(dtype=object), "region_id": pd.Series(dtype=object),
                    "brand": pd.Series(dtype=object), "kind": pd.Series(dtype=object),
                    "start_date": pd.Series(dtype="datetime64[ns]"), "end_date": pd.Series(dtype="datetime64[ns]"),
                    "cost": pd.Series(dtype=float)})
    finally:
        cur.close()
    return monthly, competitor_revenue, expenses, activities


def expense_calendar(con, region_ids: list[str] | None, plan_year: int) -> pd.DataFrame:
    """
    Last year's expenses of a plan's regions by category, item and calendar month, summed.

    Parameters
    ----------
    con : DuckDBPyConnection
    region_ids : list of str or None
        The plan's regions; None: the whole archive.
    plan_year : int
        "Last year" is ``plan_year - 1``.

    Returns
    -------
    DataFrame
        category, item, month (1-12), amount; months without spend have no row. Empty (with
        those columns) when the archive has no expenses that year.
    """
    where = "" if region_ids is None else " AND region_id IN (SELECT unnest(?::VARCHAR[]))"
    extra = [] if region_ids is None else [region_ids]
    cur = con.cursor()
    try:
        tables = {r[0] for r in cur.sql("SELECT table_name FROM information_schema.tables").fetchall()}
        if "expenses" not in tables:  # an optional table
            return pd.DataFrame({"category": pd.Series(dtype=object), "item": pd.Series(dtype=object),
                                 "month": pd.Series(dtype="int64"), "amount": pd.Series(dtype="float64")})
        return cur.sql(
            "SELECT category, item, CAST(month(date) AS BIGINT) AS month, sum(amount) AS amount FROM expenses "
            f"WHERE year(date) = ?{where} GROUP BY ALL HAVING sum(amount) <> 0 ORDER BY category, item, month",
            params=[plan_year - 1, *extra],
        ).to_arrow_table().to_pandas()
    finally:
        cur.close()


def spend_history(con, region_ids, *, years: tuple[int, int] | None = None):
    """
    Own revenue by region and month and by year, and expenses by year and category, of ``region_ids``.

    Parameters
    ----------
    con : DuckDBPyConnection
        The open archive (the queries run on a cursor it closes).
    region_ids : iterable of str
    years : tuple of int, optional
        (first, last) calendar years of ``date``, inclusive.

    Returns
    -------
    (DataFrame, DataFrame, DataFrame)
        ``cells``: own month-grain revenue by ``region_id, date`` (Timestamp) for the
        cells with rows, in that order; ``yearly``: ``year, volume, revenue,
        variable_cost`` of the same rows (variable cost at each product's unit variable
        cost, 0 where unknown), by year; ``expenses``: ``year, category, amount, rows``
        (empty when the archive has no expenses table).

    Notes
    -----
    Every sum adds its rows one after another in the order of the table's key (missing
    keys first), the order in which :func:`planlib.archive.load_table` returns them: the
    sums are, to the bit, those of the rows read and added up in pandas
    (:func:`planlib.review.review_region`), and the same on every call whatever DuckDB's
    threads. DuckDB lists each region's month's values in key order (``ORDER BY`` inside
    the aggregate: one sort per cell, where an ordered ``sum`` sorts once per sum and per
    year) and numpy adds them up; the expenses are few and summed by DuckDB in that order.
    """
    ids = [str(r) for r in ([region_ids] if isinstance(region_ids, str) else region_ids)]
    where, params = "region_id IN (SELECT unnest(?::VARCHAR[]))", [ids]
    if ids:  # the id range lets DuckDB skip the row groups outside it (a subtree's ids are close)
        where, params = "region_id BETWEEN ? AND ? AND " + where, [min(ids), max(ids), ids]
    if years is not None:
        where += " AND date >= ? AND date < ?"
        params += [pd.Timestamp(int(years[0]), 1, 1).date(), pd.Timestamp(int(years[1]) + 1, 1, 1).date()]
    in_cell = "sku, channel, terminal_id NULLS FIRST, distributor_id NULLS FIRST"  # the key within a region's month
    cur = con.cursor()
    try:
        # each region's month: its rows' values in key order (one sort per cell, not one per sum)
        months = cur.sql(
            "SELECT region_id, date, list({'volume': volume, 'revenue': revenue, "
            f"'variable_cost': volume * coalesce(unit_variable_cost, 0)}} ORDER BY {in_cell}) AS cell "
            f"FROM sales LEFT JOIN products USING (sku) WHERE grain = 'month' AND brand = ? AND {where} "
            "GROUP BY date, region_id ORDER BY date, region_id",
            params=[OWN_BRAND, *params],
        ).to_arrow_table()
        try:  # an optional table: asked for, not looked up in the catalogue first (~1.5 ms a call)
            expenses = cur.sql(
                "SELECT CAST(year(date) AS BIGINT) AS year, category, "
                "coalesce(sum(amount ORDER BY date, region_id, item, terminal_id NULLS FIRST), 0) AS amount, "
                f"count(*) AS rows FROM expenses WHERE {where} GROUP BY ALL ORDER BY year, category NULLS FIRST",
                params=params,
            ).to_arrow_table().to_pandas()
        except duckdb.CatalogException:  # the archive has no expenses table
            expenses = pd.DataFrame({"year": pd.Series(dtype="int64"), "category": pd.Series(dtype=object),
                                     "amount": pd.Series(dtype="float64"), "rows": pd.Series(dtype="int64")})
    finally:
        cur.close()
    # the cells in (date, region) order, each in key order: the rows in the table's key order
    cell = months.column("cell").combine_chunks() if months.num_rows else pa.array([], type=pa.list_(pa.struct([])))
    rows = cell.flatten()
    sizes = cell.value_lengths().to_numpy(zero_copy_only=False) if len(cell) else np.zeros(0, dtype=np.int64)
    dates = pd.to_datetime(months.column("date").to_pandas())
    year, at_year = np.unique(dates.dt.year.to_numpy(dtype=np.int64), return_inverse=True)
    of_cell, of_year = np.repeat(np.arange(len(sizes)), sizes), np.repeat(at_year, sizes)
    sums = {}
    for name in ("volume", "revenue", "variable_cost"):
        w = rows.field(name).to_numpy(zero_copy_only=False).astype(np.float64) if len(rows) else np.zeros(0)
        w = np.where(np.isnan(w), 0.0, w)  # as pandas sums: a missing value counts as 0
        sums[name] = (np.bincount(of_cell, weights=w, minlength=len(sizes)),
                      np.bincount(of_year, weights=w, minlength=len(year)))  # fmt: skip
    cells = pd.DataFrame({"region_id": months.column("region_id").to_pandas(), "date": dates,
                          "revenue": sums["revenue"][0]})  # fmt: skip
    yearly = pd.DataFrame({"year": year, **{k: v[1] for k, v in sums.items()}})
    return cells, yearly, expenses


def activities_present(con, region_ids: list[str] | None, year: int) -> tuple[bool, bool]:
    """
    Whether the activities of ``region_ids`` (None: every region) hold any own activity, and any
    competitor's activity starting in ``year``: two answers, counted in the archive.

    A plan's every region (the tree's root as the plan's root) reads the table's rows of the
    regions table's regions: no list of thousands of ids bound to the query for each report.
    """
    where, params = " WHERE region_id IN (SELECT region_id FROM regions)", [OWN_BRAND, OWN_BRAND, int(year)]
    if region_ids is not None:
        ids = [str(r) for r in region_ids]
        if not ids:
            return False, False
        where = " WHERE region_id BETWEEN ? AND ? AND region_id IN (SELECT unnest(?::VARCHAR[]))"
        params += [min(ids), max(ids), ids]
    cur = con.cursor()
    try:
        own, rivals = cur.execute(
            "SELECT coalesce(bool_or(brand = ?), false), coalesce(bool_or(brand <> ? AND year(start_date) = ?), false) "
            f"FROM activities{where}", params).fetchone()
    except duckdb.CatalogException:  # an old archive without the table: none
        return False, False
    finally:
        cur.close()
    return bool(own), bool(rivals)
