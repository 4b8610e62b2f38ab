"""
The queries of tracking a signed plan through its year (#13): the plan year's actuals up to an
as-of date, and the people who carry the plan, read from the archive as frames.

Each function takes an open connection (it works on a cursor it closes), the regions to read
(a plan's subtree; None reads the whole archive without a region filter, which DuckDB scans
faster than a list of every region id), the plan year and the as-of date, and returns one tidy
frame aggregated in DuckDB to the grain tracking needs. Ids are categoricals, months and weeks
``datetime64[us]`` Timestamps of the period's first day (weeks start on Monday), money and
volumes ``float64``.

Public functions
----------------
actual_sales      own monthly sales by recorded region, month, SKU, channel and terminal
actual_weekly     own weekly sales of the core terminals (those with weekly rows)
actual_expenses   expenses by region, month, category, item and terminal
people            who carries the plan: one row per terminal served, or per region carried
person_events     counted facts per person, month and kind
actuals_extent    how many own sales rows the plan year has, and up to which date
tracking_actuals  all five frames at once (:class:`TrackingActuals`)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from planlib.archive.store import missing_tables
from planlib.errors import ParamsError
from planlib.schemas import OWN_BRAND

__all__ = [
    "SALES_COLUMNS",
    "WEEKLY_COLUMNS",
    "EXPENSE_COLUMNS",
    "PEOPLE_COLUMNS",
    "PERSON_EVENT_COLUMNS",
    "ActualsExtent",
    "TrackingActuals",
    "actual_sales",
    "actual_weekly",
    "actual_expenses",
    "people",
    "person_events",
    "actuals_extent",
    "tracking_actuals",
]

#: The columns of each frame, in order.
SALES_COLUMNS: tuple[str, ...] = ("region_id", "month", "sku", "product_line", "channel", "terminal_id",
                                  "terminal_class", "volume", "revenue", "variable_cost")
WEEKLY_COLUMNS: tuple[str, ...] = ("week", "region_id", "terminal_id", "terminal_class", "volume", "revenue")
EXPENSE_COLUMNS: tuple[str, ...] = ("region_id", "month", "category", "item", "terminal_id", "amount")
PEOPLE_COLUMNS: tuple[str, ...] = ("person_id", "name", "role", "region_id", "terminal_id")
PERSON_EVENT_COLUMNS: tuple[str, ...] = ("month", "person_id", "kind", "value")

_DATES = ("month", "week")
_MEASURES = ("volume", "revenue", "variable_cost", "amount", "value")
_TEXT = ("name",)


class ActualsExtent(NamedTuple):
    """
    The plan year's own sales in the archive (:func:`actuals_extent`).

    Attributes
    ----------
    rows : int
        Own sales rows (monthly and weekly) dated in the plan year; 0: no actuals.
    last : datetime.date or None
        The latest row's date (the first day of its month or week).
    through : datetime.date or None
        The last day the latest rows cover: the end of the last month with monthly rows, or
        the Sunday of the last week when weekly rows reach further.
    """

    rows: int
    last: dt.date | None
    through: dt.date | None


@dataclass(frozen=True)
class TrackingActuals:
    """
    The plan year's actuals up to ``as_of`` and the people, as :func:`tracking_actuals` reads them.

    Attributes
    ----------
    plan_year : int
    as_of : datetime.date
    sales, weekly, expenses, people, person_events : DataFrame
        :func:`actual_sales`, :func:`actual_weekly`, :func:`actual_expenses`, :func:`people`
        and :func:`person_events`.
    """

    plan_year: int
    as_of: dt.date
    sales: pd.DataFrame
    weekly: pd.DataFrame
    expenses: pd.DataFrame
    people: pd.DataFrame
    person_events: pd.DataFrame


def _window(plan_year: int, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """[1 January of the plan year, as_of], checked."""
    if isinstance(as_of, dt.datetime):  # a Timestamp too
        as_of = as_of.date()
    if not isinstance(as_of, dt.date):
        raise ParamsError(f"as_of must be a date in the plan year {plan_year}, got {as_of!r}")
    if as_of.year != int(plan_year):
        raise ParamsError(f"as_of {as_of} is outside the plan year {plan_year}: "
                          f"give a date from {plan_year}-01-01 to {plan_year}-12-31")
    return dt.date(int(plan_year), 1, 1), as_of


def _regions(region_ids: Iterable[str] | None, column: str) -> tuple[str, list]:
    """The SQL condition (AND …) and parameters keeping rows of ``region_ids`` (none when None)."""
    if region_ids is None:
        return "", []
    ids = sorted({str(r) for r in ([region_ids] if isinstance(region_ids, str) else region_ids)})
    if not ids:
        return f" AND {column} IN (SELECT unnest(?::VARCHAR[]))", [ids]
    # the id range lets DuckDB skip the row groups outside it (a subtree's ids are close)
    return f" AND {column} BETWEEN ? AND ? AND {column} IN (SELECT unnest(?::VARCHAR[]))", [ids[0], ids[-1], ids]


def _ids(values: np.ndarray | list) -> pd.Categorical:
    """Codes of sorted categories (object, as the targets' ids); NaN stays missing."""
    return pd.Categorical(values, categories=pd.Index(sorted({v for v in values if isinstance(v, str)}),
                                                      dtype=object))


def _categorical(column: pa.ChunkedArray) -> pd.Categorical:
    """An Arrow text column as a categorical with sorted categories: dictionary codes, no per-row Python."""
    if column.null_count == len(column):
        return pd.Categorical(np.full(len(column), np.nan, dtype=object), categories=pd.Index([], dtype=object))
    encoded = pc.dictionary_encode(column.combine_chunks())
    values = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    order = np.argsort(values, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    idx = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    codes = np.where(idx < 0, -1, rank[np.maximum(idx, 0)])
    return pd.Categorical.from_codes(codes, categories=pd.Index(values[order], dtype=object))


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    out = {}
    for c in columns:
        if c in _DATES:
            out[c] = pd.Series(dtype="datetime64[us]")
        elif c in _MEASURES:
            out[c] = pd.Series(dtype="float64")
        elif c in _TEXT:
            out[c] = pd.Series(dtype="str")
        else:
            out[c] = pd.Series(_ids([]))
    return pd.DataFrame(out)


def _read(con: duckdb.DuckDBPyConnection, sql: str, params: list, columns: tuple[str, ...],
          order: tuple[str, ...], tables: tuple[str, ...] = ()) -> pd.DataFrame:
    """
    Run ``sql`` on a cursor and return ``columns`` sorted by ``order`` (missing ids first).

    Ids become categoricals with sorted categories, periods datetime64[us], measures float64.
    Sorting here on the codes, not in SQL, keeps a national year's rows fast, and the same on
    every run whatever order DuckDB's threads return them in. A missing table of ``tables``
    reads as empty (an archive from before them, opened while another process held it, so
    :func:`planlib.archive.store.connect` could not add them).
    """
    if tables and set(tables) & set(missing_tables(con)):
        return _empty(columns)
    cur = con.cursor()
    try:
        table = cur.sql(sql, params=params).to_arrow_table()
    finally:
        cur.close()
    data: dict[str, object] = {}
    for c in columns:
        col = table.column(c)
        if c in _DATES:
            data[c] = col.to_numpy().astype("datetime64[us]") if len(col) else np.array([], "datetime64[us]")
        elif c in _MEASURES:
            data[c] = col.to_numpy(zero_copy_only=False).astype("float64")
        elif c in _TEXT:
            data[c] = pd.array(col.to_pylist(), dtype="str")
        else:
            data[c] = _categorical(col)
    frame = pd.DataFrame(data)
    if len(frame) > 1:
        keys = [frame[c].cat.codes.to_numpy() if c not in _DATES else frame[c].to_numpy().astype(np.int64)
                for c in order]
        frame = frame.take(np.lexsort(keys[::-1])).reset_index(drop=True)
    return frame


def actual_sales(con, region_ids: Iterable[str] | None, plan_year: int, as_of: dt.date) -> pd.DataFrame:
    """
    Own monthly sales of the plan year up to ``as_of``.

    Parameters
    ----------
    con : DuckDBPyConnection
        The open archive.
    region_ids : iterable of str or None
        The recorded regions to read (a subtree: counties and townships); None: all.
    plan_year : int
    as_of : datetime.date
        A date in the plan year; monthly rows dated (the month's first day) up to it count.

    Returns
    -------
    DataFrame
        :data:`SALES_COLUMNS`: region_id (as recorded: county or township), month, sku,
        product_line, channel, terminal_id (NaN: sales not recorded at a terminal),
        terminal_class (from ``terminals``; NaN without a terminal), volume, revenue,
        variable_cost; one row per region, month, SKU, channel and terminal (distributors
        summed), sorted by them.

    Raises
    ------
    ParamsError
        ``as_of`` is not a date of the plan year.

    Notes
    -----
    Rows: ``grain = 'month'``, ``brand = 'own'``, plan_year-01-01 ≤ date ≤ as_of.
    variable_cost = volume × products.unit_variable_cost (a SKU without one counts 0).
    """
    first, last = _window(plan_year, as_of)
    where, params = _regions(region_ids, "s.region_id")
    sql = f"""
        SELECT a.region_id, a.month, a.sku, p.product_line, a.channel, a.terminal_id, t.terminal_class,
               a.volume, a.revenue, a.volume * coalesce(p.unit_variable_cost, 0) AS variable_cost
        FROM (SELECT s.region_id, s.date AS month, s.sku, s.channel, s.terminal_id,
                     sum(s.volume) AS volume, sum(s.revenue) AS revenue
              FROM sales s WHERE s.grain = 'month' AND s.brand = ? AND s.date >= ? AND s.date <= ?{where}
              GROUP BY ALL) a
        LEFT JOIN products p ON p.sku = a.sku LEFT JOIN terminals t ON t.terminal_id = a.terminal_id"""
    return _read(con, sql, [OWN_BRAND, first, last, *params], SALES_COLUMNS,
                 ("region_id", "month", "sku", "channel", "terminal_id"))


def actual_weekly(con, region_ids: Iterable[str] | None, plan_year: int, as_of: dt.date) -> pd.DataFrame:
    """
    Own weekly sales of the core terminals in the plan year, weeks starting up to ``as_of``.

    Returns
    -------
    DataFrame
        :data:`WEEKLY_COLUMNS`: week (its Monday), region_id, terminal_id, terminal_class,
        volume, revenue; one row per week and terminal (SKUs and channels summed), sorted.

    Notes
    -----
    Rows: ``grain = 'week'``, ``brand = 'own'``, a terminal given, plan_year-01-01 ≤ week ≤
    as_of. The core terminals are those the archive records weekly (A and B in the demo).
    A row counts in the week (its Monday) holding its date: the importer dates a week by its
    Monday, and an archive written otherwise (weeks dated by their last day) reads the same.
    """
    first, last = _window(plan_year, as_of)
    where, params = _regions(region_ids, "s.region_id")
    sql = f"""
        SELECT CAST(date_trunc('week', s.date) AS DATE) AS week, s.region_id, s.terminal_id, t.terminal_class,
               sum(s.volume) AS volume, sum(s.revenue) AS revenue
        FROM sales s LEFT JOIN terminals t ON t.terminal_id = s.terminal_id
        WHERE s.grain = 'week' AND s.brand = ? AND s.terminal_id IS NOT NULL
          AND date_trunc('week', s.date) >= ? AND date_trunc('week', s.date) <= ?{where}
        GROUP BY ALL"""
    return _read(con, sql, [OWN_BRAND, first, last, *params], WEEKLY_COLUMNS, ("week", "region_id", "terminal_id"))


def actual_expenses(con, region_ids: Iterable[str] | None, plan_year: int, as_of: dt.date) -> pd.DataFrame:
    """
    Expenses of the plan year, months starting up to ``as_of``.

    Returns
    -------
    DataFrame
        :data:`EXPENSE_COLUMNS`: region_id (where booked: any level), month, category, item,
        terminal_id (NaN: not booked to a terminal), amount; sorted.
    """
    first, last = _window(plan_year, as_of)
    where, params = _regions(region_ids, "region_id")
    sql = f"""
        SELECT region_id, date AS month, category, item, terminal_id, sum(amount) AS amount
        FROM expenses WHERE date >= ? AND date <= ?{where}
        GROUP BY ALL"""
    return _read(con, sql, [first, last, *params], EXPENSE_COLUMNS,
                 ("region_id", "month", "category", "item", "terminal_id"))


def people(con, region_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """
    The people who carry the plan in ``region_ids`` (their ``region_id`` among them).

    Returns
    -------
    DataFrame
        :data:`PEOPLE_COLUMNS`: person_id, name, role, region_id, terminal_id — one row per
        terminal a person serves, or one row with terminal_id NaN when the person carries
        the region as a whole; sorted by person and terminal. Empty when the archive has no
        people.
    """
    where, params = _regions(region_ids, "region_id")
    sql = f"""
        SELECT person_id, name, role, region_id, terminal_id FROM people WHERE true{where}"""
    return _read(con, sql, params, PEOPLE_COLUMNS, ("person_id", "terminal_id"), ("people",))


def person_events(con, region_ids: Iterable[str] | None, plan_year: int, as_of: dt.date) -> pd.DataFrame:
    """
    Counted facts of the people of ``region_ids`` in the plan year, months starting up to ``as_of``.

    Returns
    -------
    DataFrame
        :data:`PERSON_EVENT_COLUMNS`: month, person_id, kind (a code: ``collection``,
        ``missing_report`` …, see ``schemas.PERSON_EVENT_KINDS``), value; sorted by person,
        month and kind.
    """
    first, last = _window(plan_year, as_of)
    where, params = _regions(region_ids, "region_id")
    who = "" if region_ids is None else f" AND person_id IN (SELECT person_id FROM people WHERE true{where})"
    sql = f"""
        SELECT date AS month, person_id, kind, sum(value) AS value
        FROM person_events WHERE date >= ? AND date <= ?{who}
        GROUP BY ALL"""
    return _read(con, sql, [first, last, *params], PERSON_EVENT_COLUMNS, ("person_id", "month", "kind"),
                 ("people", "person_events"))


def actuals_extent(con, plan_year: int, region_ids: Iterable[str] | None = None) -> ActualsExtent:
    """
    How many own sales rows the archive holds for the plan year, and up to which date.

    Parameters
    ----------
    con : DuckDBPyConnection
    plan_year : int
    region_ids : iterable of str, optional
        Count only these recorded regions; default the whole archive.

    Returns
    -------
    ActualsExtent
        ``rows`` 0 (and ``last``, ``through`` None) when the plan year has no own sales:
        there is nothing to track.
    """
    where, params = _regions(region_ids, "region_id")
    cur = con.cursor()
    try:
        rows, last, through = cur.sql(
            f"""SELECT count(*), max(date),
                       max(CASE grain WHEN 'month' THEN last_day(date) WHEN 'week' THEN date + 6 ELSE date END)
                FROM sales WHERE brand = ? AND date >= ? AND date < ?{where}""",
            params=[OWN_BRAND, dt.date(int(plan_year), 1, 1), dt.date(int(plan_year) + 1, 1, 1), *params],
        ).fetchall()[0]
    finally:
        cur.close()
    return ActualsExtent(int(rows), last, None if through is None else min(through, dt.date(int(plan_year), 12, 31)))


def tracking_actuals(con, region_ids: Iterable[str] | None, plan_year: int, as_of: dt.date) -> TrackingActuals:
    """
    Everything tracking reads from the archive, for the plan's regions up to ``as_of``.

    Parameters
    ----------
    con : DuckDBPyConnection
        The open archive.
    region_ids : iterable of str or None
        The plan's regions (its root's subtree); None reads the whole archive.
    plan_year : int
    as_of : datetime.date

    Returns
    -------
    TrackingActuals
        The five frames of :func:`actual_sales`, :func:`actual_weekly`,
        :func:`actual_expenses`, :func:`people` and :func:`person_events`.

    Raises
    ------
    ParamsError
        ``as_of`` is not a date of the plan year.
    """
    ids = None if region_ids is None else sorted({str(r) for r in region_ids})
    _, as_of = _window(plan_year, as_of)
    return TrackingActuals(
        plan_year=int(plan_year),
        as_of=as_of,
        sales=actual_sales(con, ids, plan_year, as_of),
        weekly=actual_weekly(con, ids, plan_year, as_of),
        expenses=actual_expenses(con, ids, plan_year, as_of),
        people=people(con, ids),
        person_events=person_events(con, ids, plan_year, as_of),
    )
