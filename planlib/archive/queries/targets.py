"""
The queries of the targets stage: each takes an open connection (or a cursor it closes)
and returns frames (pandas, or Arrow tables where the allocation builds codes from them).

Public functions
----------------
region_sales_figures          a subtree's own monthly sales, last year's volume, revenue,
                              variable cost and expenses, and its market by year
own_sales_end                 the last month of the archive's own monthly sales before the plan year
sku_launches                  the SKUs first sold (own monthly sales) during last year, after its January
market_volume_by_region       each region's category market volume in one year
children_monthly_volume       own monthly volume per recorded region in a window
allocation_catalogue          the products and terminals an allocation codes its history with
last_year_allocation_sales    last year's own sales in four grouping sets (GROUPING_* below)
first_year_allocation_sales   the first history year's own sales by home region and month
archive_file                  the file a connection reads (None in memory) and DuckDB's settings
own_skus_without_product      own monthly sales rows in a window whose SKU the products table lacks
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "GROUPING_LINES",
    "GROUPING_CHANNELS",
    "GROUPING_DISTRIBUTORS",
    "GROUPING_SKUS",
    "region_sales_figures",
    "own_sales_end",
    "sku_launches",
    "market_volume_by_region",
    "children_monthly_volume",
    "allocation_catalogue",
    "last_year_allocation_sales",
    "first_year_allocation_sales",
    "archive_file",
    "own_skus_without_product",
]


def region_sales_figures(con, region_ids: list, plan_year: int, *, all_recorded_from: int | None = None):
    """
    A subtree's own sales history and last year's price, cost, expense and market figures.

    Parameters
    ----------
    con : DuckDBPyConnection
        The open archive.
    region_ids : list of str
        The regions summed (a region's subtree).
    plan_year : int
        History ends before it; "last year" is ``plan_year - 1``.
    all_recorded_from : int, optional
        A year (at most last year) from which every region with own monthly sales before the
        plan year is known to be in ``region_ids`` (:func:`children_monthly_volume` with
        ``others=True`` found no other): the sales are then summed without looking each row's
        region up in the list (a third of a national root's read), the same rows in the same
        order, so the same sums. If some own monthly sales are dated before that year, their
        regions are unknown and the sales are read with the lookup as without it.

    Returns
    -------
    (DataFrame, tuple, object, DataFrame)
        ``monthly``: date, volume, revenue — own monthly sales (``grain = 'month'``) before
        the plan year, by date; ``(volume, revenue, variable_cost)`` of last year's own
        monthly sales (variable cost = Σ volume × the SKU's ``unit_variable_cost``, missing
        costs as 0), each None without rows; last year's ``expenses`` total (None without
        rows); ``market_years``: year, market_volume of every year before the plan year.
    """
    last = plan_year - 1
    in_list = "AND region_id IN (SELECT unnest(?::VARCHAR[])) "
    monthly_sql = ("SELECT date, sum(volume) AS volume, sum(revenue) AS revenue FROM sales "
                   "WHERE grain = 'month' AND brand = 'own' AND date < ? {}GROUP BY date ORDER BY date")
    cur = con.cursor()
    try:
        monthly = None
        if all_recorded_from is not None and all_recorded_from <= last:
            # every sales row of the window is in the list: the same rows without the lookup, unless older ones exist
            monthly = cur.sql(monthly_sql.format(""), params=[pd.Timestamp(plan_year, 1, 1).date()],
                              ).to_arrow_table().to_pandas(date_as_object=False)
            if len(monthly) and monthly["date"].min() < pd.Timestamp(all_recorded_from, 1, 1):
                monthly = None
        looked_up = monthly is None
        if looked_up:
            monthly = cur.sql(monthly_sql.format(in_list), params=[pd.Timestamp(plan_year, 1, 1).date(), region_ids],
                              ).to_arrow_table().to_pandas(date_as_object=False)
        row = cur.sql(
            "SELECT sum(s.volume), sum(s.revenue), sum(s.volume * coalesce(p.unit_variable_cost, 0)) "
            "FROM sales s JOIN products p USING (sku) WHERE s.grain = 'month' AND s.brand = 'own' "
            "AND year(s.date) = ? " + ("AND s.region_id IN (SELECT unnest(?::VARCHAR[]))" if looked_up else ""),
            params=[last, region_ids] if looked_up else [last],
        ).fetchall()[0]
        expenses = cur.sql(
            "SELECT sum(amount) FROM expenses WHERE year(date) = ? AND region_id IN (SELECT unnest(?::VARCHAR[]))",
            params=[last, region_ids],
        ).fetchall()[0][0]
        market_years = cur.sql(
            "SELECT year(date) AS year, sum(market_volume) AS market_volume FROM market WHERE year(date) < ? "
            "AND region_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY year ORDER BY year",
            params=[plan_year, region_ids],
        ).df()
    finally:
        cur.close()
    return monthly, tuple(row), expenses, market_years


def own_sales_end(con, plan_year: int) -> pd.Timestamp | None:
    """
    The last month (its first day) of the archive's own monthly sales before ``plan_year``, any region's.

    Where every region's history ends: a region whose own sales stop earlier sold nothing in
    the months between (:func:`planlib.targets.baseline.month_series`' ``end``). None without
    such sales.
    """
    cur = con.cursor()
    try:
        last = cur.sql("SELECT max(date) FROM sales WHERE grain = 'month' AND brand = 'own' AND date < ?",
                       params=[pd.Timestamp(plan_year, 1, 1).date()]).fetchall()[0][0]
    finally:
        cur.close()
    return None if last is None else pd.Timestamp(last).to_period("M").to_timestamp()


def sku_launches(con, plan_year: int) -> dict[str, int]:
    """
    The SKUs whose first own monthly sale in the archive, any region's, falls in last year
    (``plan_year - 1``) after January: SKU -> the month (2–12) of that first sale.

    Last year shows such a SKU for part of the year only: its months before are not a
    season without sales (:func:`planlib.targets.breakdowns.dense_breakdown` fills them).
    """
    cur = con.cursor()
    try:
        rows = cur.sql("SELECT sku, min(date) AS first FROM sales WHERE grain = 'month' AND brand = 'own' AND date < ? "
                       "GROUP BY sku HAVING year(first) = ? AND month(first) > 1 ORDER BY sku",
                       params=[pd.Timestamp(plan_year, 1, 1).date(), plan_year - 1]).fetchall()
    finally:
        cur.close()
    return {str(sku): int(first.month) for sku, first in rows}


def market_volume_by_region(con, region_ids: list, year: int) -> list[tuple]:
    """
    Each recorded region's category market volume in ``year``.

    Returns
    -------
    list of (region_id, market_volume)
        One pair per region of ``region_ids`` with market records that year (the volume
        None when every record's volume is missing), in DuckDB's group order.
    """
    return con.cursor().sql(
        "SELECT region_id, sum(market_volume) FROM market WHERE year(date) = ? "
        "AND region_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY region_id",
        params=[year, region_ids],
    ).fetchall()


#: From this many regions :func:`children_monthly_volume` sums the sales by region and month
#: before keeping the regions asked for (the same groups and sums): a national plan's list
#: (11,610 regions) then costs a third less CPU than looking up each of the 12.6 M sales rows'
#: region in it, while a province's (a few hundred) is cheaper looked up row by row.
SUM_FIRST_REGIONS = 2000


def children_monthly_volume(con, region_ids: list, first_year: int, plan_year: int, *, others: bool = False):
    """
    Own monthly volume per recorded region from ``first_year`` up to the plan year.

    Parameters
    ----------
    others : bool, default False
        Also say whether regions not in ``region_ids`` have own monthly sales in the window.

    Returns
    -------
    DataFrame, or (DataFrame, bool or None) with ``others``
        region_id (object), month (datetime64), value — one row per region and month
        with own monthly sales (``grain = 'month'``) in [first_year-01-01, plan_year-01-01),
        in DuckDB's group order (with :data:`SUM_FIRST_REGIONS` regions or more, summed
        by region and month before the regions are kept); with ``others``, whether any
        region outside the list had such sales (known when summed first, None otherwise).
    """
    window = [pd.Timestamp(first_year, 1, 1).date(), pd.Timestamp(plan_year, 1, 1).date()]
    outside = None
    cur = con.cursor()
    try:
        if len(region_ids) >= SUM_FIRST_REGIONS:  # summed by region and month first, then the regions kept
            table = cur.sql("SELECT region_id, date AS month, sum(volume) AS value FROM sales WHERE grain = 'month' "
                            "AND brand = 'own' AND date >= ? AND date < ? GROUP BY region_id, date",
                            params=window).to_arrow_table()
            listed = pc.is_in(table.column("region_id"), value_set=pa.array(region_ids, pa.string()))
            outside = not pc.all(listed).as_py() if table.num_rows else False
            table = table.filter(listed) if outside else table  # in the group order, as the SQL filter kept them
        else:
            table = cur.sql("SELECT region_id, date AS month, sum(volume) AS value FROM sales WHERE grain = 'month' "
                            "AND brand = 'own' AND date >= ? AND date < ? "
                            "AND region_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY region_id, date",
                            params=[*window, region_ids]).to_arrow_table()
    finally:
        cur.close()
    frame = table.to_pandas(date_as_object=False).astype({"region_id": object, "value": "float64"})
    return (frame, outside) if others else frame


def allocation_catalogue(con) -> tuple[pd.DataFrame, pa.Table]:
    """
    The products (sku, product_line, unit_price, unit_variable_cost) as a frame and the
    terminals (terminal_id, name, region_id, terminal_class; by terminal_id) as Arrow.
    """
    cur = con.cursor()
    try:
        prod = cur.sql("SELECT sku, product_line, unit_price, unit_variable_cost FROM products").df()
        terms = cur.sql(
            "SELECT terminal_id, name, region_id, terminal_class FROM terminals ORDER BY terminal_id"
        ).to_arrow_table()
    finally:
        cur.close()
    return prod, terms


# last year's own monthly sales in one scan (SKUs of a known product line), four groupings
# told apart by ``gs`` (GROUPING(channel, dist, si)): 7, by recorded region ``ri``, month
# ``m`` (0-11) and terminal line ``li`` (an A/B terminal's code; -2 - class code: a terminal
# of another class; -1 none); 3, by the region at the plan's deepest level ``hi``, month and channel;
# 5, by ``hi``, month and distributor (DIRECT where none); 6, by ``hi``, month and SKU ``si``
_LAST_YEAR_SQL = """
    WITH rows AS (
        SELECT r.ri, r.hi, month(s.date) - 1 AS m, s.channel, coalesce(t.li, -1) AS li,
               coalesce(s.distributor_id, $direct) AS dist, k.si, s.volume, s.revenue
        FROM sales s JOIN _alloc_regions r ON r.region_id = s.region_id
             JOIN _alloc_skus k ON k.sku = s.sku
             LEFT JOIN _alloc_terms t ON t.terminal_id = s.terminal_id
        WHERE s.grain = 'month' AND s.brand = $own AND s.date >= $ly AND s.date < $end
    )
    SELECT GROUPING(channel, dist, si) AS gs, ri, hi, m, li, channel, dist, si,
           sum(volume) AS v, sum(revenue) AS r
    FROM rows
    GROUP BY GROUPING SETS ((ri, m, li), (hi, m, channel), (hi, m, dist), (hi, m, si))
"""
#: ``gs`` of each grouping set of :func:`last_year_allocation_sales`: by recorded region,
#: month and terminal line; by home region, month and channel / distributor / SKU.
GROUPING_LINES, GROUPING_CHANNELS, GROUPING_DISTRIBUTORS, GROUPING_SKUS = 7, 3, 5, 6
# the first year's own monthly sales by the region at the plan's deepest level and month (the same SKUs)
_FIRST_YEAR_SQL = """
    SELECT r.hi, month(s.date) - 1 AS m, sum(s.volume) AS v, sum(s.revenue) AS r
    FROM sales s JOIN _alloc_regions r ON r.region_id = s.region_id
         JOIN _alloc_skus k ON k.sku = s.sku
    WHERE s.grain = 'month' AND s.brand = $own AND s.date >= $start AND s.date < $ly
    GROUP BY ALL
"""


def _query_with(cur, tables: dict[str, pa.Table], sql: str, params: dict) -> pa.Table:
    """Run ``sql`` on the cursor with Arrow code tables registered under their names, then close it."""
    try:
        for name, table in tables.items():
            cur.register(name, table)
        return cur.sql(sql, params=params).to_arrow_table()
    finally:
        for name in tables:
            try:
                cur.unregister(name)
            except Exception:  # pragma: no cover - not registered after an early failure
                pass
        cur.close()


def last_year_allocation_sales(cur, regions: pa.Table, skus: pa.Table, terminals: pa.Table, *, own: str,
                               direct: str, plan_year: int) -> pa.Table:
    """
    Last year's own monthly sales in four grouping sets, in one scan.

    Parameters
    ----------
    cur : DuckDBPyConnection
        A cursor of the archive; closed after.
    regions : Arrow table
        region_id, ri (its code), hi (the code of its home at the plan's deepest level).
    skus : Arrow table
        sku, si: the SKUs of a known product line and their codes (others are left out).
    terminals : Arrow table
        terminal_id, li: an A/B terminal's line code, -2 - class code for another class.
    own : str
        The own brand.
    direct : str
        The distributor bucket of sales without a distributor.
    plan_year : int

    Returns
    -------
    Arrow table
        gs, ri, hi, m (month 0-11), li, channel, dist, si, v, r: rows of the grouping sets
        ``gs`` = :data:`GROUPING_LINES` (ri, m, li), :data:`GROUPING_CHANNELS` (hi, m,
        channel), :data:`GROUPING_DISTRIBUTORS` (hi, m, dist), :data:`GROUPING_SKUS` (hi, m, si).
    """
    params = {"own": own, "ly": dt.date(plan_year - 1, 1, 1), "end": dt.date(plan_year, 1, 1), "direct": direct}
    return _query_with(cur, {"_alloc_regions": regions, "_alloc_skus": skus, "_alloc_terms": terminals},
                       _LAST_YEAR_SQL, params)


def first_year_allocation_sales(cur, regions: pa.Table, skus: pa.Table, *, own: str, plan_year: int) -> pa.Table:
    """
    The first history year's (``plan_year - 2``) own monthly sales: hi, m, v, r by home
    region code and month (the codes as in :func:`last_year_allocation_sales`); ``cur``
    is a cursor of the archive, closed after (it may run on a worker thread).
    """
    params = {"own": own, "start": dt.date(plan_year - 2, 1, 1), "ly": dt.date(plan_year - 1, 1, 1)}
    return _query_with(cur, {"_alloc_regions": regions, "_alloc_skus": skus}, _FIRST_YEAR_SQL, params)


def archive_file(con) -> tuple[str | None, list[tuple[str, str | None]]]:
    """
    The file of the connection's database and DuckDB's settings, for keying what is read from it.

    Returns
    -------
    (str or None, list of (str, str or None))
        The database file as DuckDB opened it (None: an in-memory database), and every
        setting of the connection (``duckdb_settings()``: name, value; sorted by name),
        among them ``threads``, which decides the order doubles are summed in.
    """
    cur = con.cursor()
    try:
        path = cur.sql("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
        settings = cur.sql("SELECT name, value FROM duckdb_settings() ORDER BY name").fetchall()
    finally:
        cur.close()
    return (path[0][0] if path else None), [(str(n), None if v is None else str(v)) for n, v in settings]


def own_skus_without_product(con, first_year: int, last_year: int) -> tuple[int, int, list[str]]:
    """
    Own monthly sales rows of ``first_year``–``last_year``: how many, how many name a SKU the
    products table lacks, and the first 5 such SKUs (sorted): why a history read through the
    products comes back empty.
    """
    cur = con.cursor()
    try:
        total, unknown = cur.sql(
            "SELECT count(*), count(*) FILTER (WHERE p.sku IS NULL) FROM sales s LEFT JOIN products p USING (sku) "
            "WHERE s.grain = 'month' AND s.brand = 'own' AND year(s.date) BETWEEN ? AND ?",
            params=[first_year, last_year]).fetchall()[0]
        skus = [r[0] for r in cur.sql(
            "SELECT DISTINCT s.sku FROM sales s ANTI JOIN products p USING (sku) WHERE s.grain = 'month' "
            "AND s.brand = 'own' AND year(s.date) BETWEEN ? AND ? ORDER BY 1 LIMIT 5",
            params=[first_year, last_year]).fetchall()]
    finally:
        cur.close()
    return int(total), int(unknown), skus
