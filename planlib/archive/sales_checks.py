"""
The sales checks behind :func:`planlib.archive.quality.check_archive`, computed in DuckDB and
vectorised numpy.

Public: :class:`SalesChecks` (the checks on one archive, whole or one region's subtree; a
list of findings frames) and :data:`FINDING_COLUMNS` (the columns of a findings frame).
Thresholds and formulas are in ``check_archive``'s Notes.
"""

from __future__ import annotations

import uuid
import warnings

import duckdb
import numpy as np
import pandas as pd

from planlib.archive.store import SKU_MONTHS_TABLE, sku_months_fresh
from planlib.frames import group_sums as _group_sums
from planlib.frames import key_codes as _codes
from planlib.hierarchy import RegionTree
from planlib.schemas import OWN_BRAND

__all__ = ["FINDING_COLUMNS"]

FINDING_COLUMNS: tuple[str, ...] = (
    "check",
    "severity",
    "region_id",
    "product_line",
    "sku",
    "terminal_id",
    "brand",
    "date",
    "value",
    "expected",
    "message",
)

# thresholds (see planlib.archive.quality.check_archive, Notes)
_STOP_MONTHS = 3
_OUTLIER_Z = 8.0
_OUTLIER_RATIO = 5.0
_OUTLIER_MIN_MONTHS = 6
_SHIFT_WINDOW = 6
_SHIFT_FALL = 0.40
_DUP_RATIO = 1.6
_DUP_MIN_ROWS = 3
_PRICE_RANGE = (0.3, 3.0)
#: Counties whose sales rows are read and checked together (a national archive: ~6,000 rows a
#: county, so ~1.5 million rows a chunk and 11 scans of the archive for all 2,800 counties).
_CHUNK_COUNTIES = 256
#: The grains of sales rows in the messages' words.
_GRAIN = {"day": "日", "week": "周", "month": "月度"}


def _frame(rows: pd.DataFrame | None = None, **const) -> pd.DataFrame:
    """Findings frame with all columns, from ``rows`` plus constant columns."""
    n = 0 if rows is None else len(rows)
    if n == 0:
        return _EMPTY.copy()  # most checks find nothing: a copy is cheaper than a new frame
    data = {}
    for col in FINDING_COLUMNS:
        if col in const:
            data[col] = const[col]
        elif rows is not None and col in rows:
            data[col] = rows[col].to_numpy()
        else:
            data[col] = None
    return pd.DataFrame(data, index=range(n))  # one construction: column-wise inserts are slow


#: A findings frame without rows (quality._finish leaves such frames out).
_EMPTY = pd.DataFrame({col: pd.Series(dtype=object) for col in FINDING_COLUMNS})


def _without_distributor(county_line: pd.DataFrame) -> pd.DataFrame:
    """
    The own monthly rows without a distributor per county (region_id, value; counties with
    some, sorted), from the county-line-month counts' ``no_distributor``.
    """
    rows = county_line[county_line["no_distributor"].to_numpy() > 0]
    counts = rows.groupby("county_id", sort=True)["no_distributor"].sum()
    return pd.DataFrame({"region_id": counts.index.to_numpy(dtype=object), "value": counts.to_numpy(dtype=np.int64)})


def _county_chunks(rmap: pd.DataFrame, size: int) -> list[list[str]]:
    """
    The mapped regions in chunks of at most ``size`` whole counties, each chunk's ids sorted.

    Counties are taken in the order of their smallest region id, so with hierarchical ids
    (a township's id extends its county's) each chunk is a contiguous range of ids.
    """
    if rmap.empty:
        return []
    ids = rmap["region_id"].to_numpy(dtype=object)
    county = rmap["county_id"].to_numpy(dtype=object)
    if len(set(county)) <= size:  # a region's check: one chunk
        return [sorted(ids)]
    lowest = pd.Series(ids).groupby(county, sort=False).transform("min").to_numpy(dtype=object)
    starts = np.sort(pd.unique(lowest))
    chunk_of = dict(zip(starts, np.arange(len(starts)) // max(int(size), 1)))
    number = np.array([chunk_of[x] for x in lowest], dtype=np.int64)
    return [sorted(ids[number == c]) for c in range(int(number.max()) + 1)]


def _literal(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The chunks' frames one below the other (the first one when all are empty)."""
    full = [f for f in frames if len(f)]
    if not full:
        return frames[0]
    if len(full) == 1:
        return full[0].reset_index(drop=True)
    return pd.concat(full, ignore_index=True)


def _grid(
    frame: pd.DataFrame, keys: list[str], value: str, months: pd.DatetimeIndex
) -> tuple[pd.DataFrame, np.ndarray]:
    """
    ``frame`` (one row per key and month) as a grid: one row per key combination (sorted),
    one column per month of ``months``; NaN where a month has no row, a missing value 0.

    The same as ``pivot_table(index=keys, columns="date", values=value, aggfunc="sum")``
    reindexed to ``months``, without pandas' reshaping.
    """
    labels, (grid,) = _grids(frame, keys, [value], months)
    return labels, grid


def _grids(
    frame: pd.DataFrame, keys: list[str], values: list[str], months: pd.DatetimeIndex
) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """:func:`_grid` of several value columns of the same rows: the keys coded and placed once."""
    codes = [_codes(frame[k]) for k in keys]
    cells, _, _ = _group_sums([c for c, _ in codes], [len(u) for _, u in codes])
    dims = [max(len(u), 1) for _, u in codes]
    cell_key = np.ravel_multi_index(cells, dims) if len(frame) else np.zeros(0, dtype=np.int64)
    row = np.searchsorted(cell_key, np.ravel_multi_index([c for c, _ in codes], dims)) if len(frame) else cell_key
    month = pd.to_datetime(frame["date"]).to_numpy().astype("datetime64[M]").astype(np.int64)
    col = month - (np.datetime64(months[0], "M").astype(np.int64) if len(months) else 0)
    grids = []
    for value in values:
        grid = np.full((len(cell_key), len(months)), np.nan)
        x = frame[value].to_numpy(dtype="float64")
        grid[row, col] = np.where(np.isnan(x), 0.0, x)  # a sum of nothing is 0, as pivot_table adds
        grids.append(grid)
    labels = pd.DataFrame({k: u.take(c).to_numpy() for k, (_, u), c in zip(keys, codes, cells)})
    return labels, grids


def _suffix_nanmedian(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``np.nanmedian(values[:, k:], axis=1)`` for every k in ``starts``, in one call (rows × starts)."""
    n = values.shape[1]
    cut = np.arange(n)[None, :] >= np.asarray(starts)[:, None]  # (starts, months)
    stacked = np.where(cut[None, :, :], values[:, None, :], np.nan)
    return np.nanmedian(stacked, axis=2)


class SalesChecks:
    """
    The data-quality checks on one archive's sales, as findings frames.

    Parameters
    ----------
    con : DuckDBPyConnection
        The open archive; only temporary tables (dropped by :meth:`close`) are written.
    tree : RegionTree or None
        The region tree; None when the archive has no regions (every sales region is then
        taken for a county).
    region_id : str or None
        Check only this region's subtree; None checks the whole archive.

    Notes
    -----
    Build it, call :meth:`run` (one frame per check, columns :data:`FINDING_COLUMNS`),
    then :meth:`close` in a ``finally``.

    Every check but the product lines' totals (read from the archive's summary) groups within
    a county, so the sales are read in chunks of whole counties (at most
    ``_CHUNK_COUNTIES``, a contiguous range of region ids, which lets DuckDB skip the other
    row groups): each chunk's rows are copied once (one scan), checked, and dropped, and only the
    chunks' findings and small aggregates are kept. A national check thus holds one chunk's
    rows at a time, never the whole archive's. The series' first and last months (a
    terminal may buy in several counties) are aggregated per chunk and combined at the end.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, tree: RegionTree | None, region_id: str | None) -> None:
        self.con = con
        self.tree = tree
        self.region_id = region_id
        #: The counties (a region's own id where it has no county above it) with own monthly sales
        #: in scope; set by :meth:`run`.
        self.counties_sold: frozenset[str] = frozenset()
        tag = uuid.uuid4().hex[:8]
        self.rmap_name = f"_planlib_quality_rmap_{tag}"
        self.own_name = f"_planlib_quality_own_{tag}"
        self.stats_name = f"_planlib_quality_stats_{tag}"
        self.season_name = f"_planlib_quality_season_{tag}"
        self.spans_name = f"_planlib_quality_spans_{tag}"
        self.sold_name = f"_planlib_quality_sold_{tag}"
        self.ids_name = f"_planlib_quality_ids_{tag}"
        self.sales_name = f"_planlib_quality_sales_{tag}"
        self.sales = "sales"
        self.own = self.own_name
        if tree is not None and region_id is not None:
            # only the region's subtree (and, below county level, the rest of its county, which
            # the county-level checks group by) is mapped: nothing outside it is read row by row
            scope = tree.subtree(region_id)
            county_of = tree.ancestor_at(region_id, "county")
            closure = tree.subtree(county_of) if county_of is not None and county_of != region_id else scope
            ids = list(closure)
            county = [tree.ancestor_at(r, "county") or r for r in ids]
            regions = pd.DataFrame({"region_id": ids, "level": [tree.level(r) for r in ids]})
        elif tree is not None:
            regions = tree.to_frame()
            county = [tree.ancestor_at(r, "county") or r for r in regions["region_id"]]
            scope = regions["region_id"]
        else:
            extra = con.execute("SELECT DISTINCT region_id FROM sales").df()["region_id"].astype(str)
            regions = pd.DataFrame({"region_id": extra, "level": "county"})
            county = list(regions["region_id"])
            scope = county
        scope = set(scope)
        self.regions = regions
        self.rmap = pd.DataFrame(
            {
                "region_id": regions["region_id"].astype(str).to_numpy(dtype=object),
                "county_id": np.array(county, dtype=object),
                "in_scope": regions["region_id"].isin(scope).to_numpy(),
            }
        )
        self.scope = scope
        self.partial = len(self.rmap) > 0 and not bool(self.rmap["in_scope"].all())
        con.register(self.rmap_name, self.rmap)
        # the product lines' monthly totals over the WHOLE archive (the season and the level
        # shift's denominator are national), aggregated by SKU first: one cheap scan
        # (the archive keeps them by SKU in planlib_sku_months, refreshed by every import)

        stored = sku_months_fresh(con)
        src_a = (f"SELECT sku, date, volume FROM {SKU_MONTHS_TABLE}" if stored else
                 f"SELECT sku, date, sum(volume) AS volume FROM sales WHERE grain = 'month' "
                 f"AND brand = '{OWN_BRAND}' GROUP BY sku, date")
        self.line_total = self.q(f"""
            WITH a AS ({src_a})
            SELECT coalesce(p.product_line, '?') AS product_line, a.date, sum(a.volume) AS volume
            FROM a LEFT JOIN products p ON p.sku = a.sku GROUP BY ALL""")
        self.line_total["date"] = pd.to_datetime(self.line_total["date"])
        if self.line_total.empty:
            self.span = (None, None)
        else:
            self.span = (self.line_total["date"].min().date(), self.line_total["date"].max().date())
            self.first, self.last = pd.Timestamp(self.span[0]), pd.Timestamp(self.span[1])
            self.months = pd.date_range(self.first, self.last, freq="MS")
        self.chunks = _county_chunks(self.rmap, _CHUNK_COUNTIES)
        #: One chunk (a region's check): its tables stay until :meth:`close`, so the series' spans
        #: and the distributors sold are read from them at the end, not copied per chunk.
        self.one_chunk = len(self.chunks) == 1

    def close(self) -> None:
        """Drop the temporary tables and views made by the constructor and :meth:`run`."""
        for name in (self.own_name, self.stats_name, self.ids_name, self.sales_name, self.spans_name,
                     self.sold_name, self.season_name):
            self.con.execute(f"DROP TABLE IF EXISTS {name}")
        self.con.unregister(self.rmap_name)

    def q(self, sql: str) -> pd.DataFrame:
        """Run a query on the archive and return its rows as a frame."""
        return self.con.execute(sql).df()

    # -- the checks ------------------------------------------------------------------
    def run(self) -> list[pd.DataFrame]:
        """Run every check; one findings frame per check (an empty archive gives ``no_sales``)."""
        have_months = self.span[0] is not None
        if have_months:
            self.series_stats(self.line_total)
            if not self.one_chunk:
                self.con.execute(f"""
                    CREATE TEMP TABLE {self.spans_name} (terminal_id VARCHAR, sku VARCHAR, region_id VARCHAR,
                        product_line VARCHAR, first_m BIGINT, last_m BIGINT)""")
        if self.region_id is not None and not self.one_chunk:
            self.con.execute(f"CREATE TEMP TABLE {self.sold_name} (distributor_id VARCHAR)")
        parts: dict[str, list[pd.DataFrame]] = {}
        for ids in self.chunks:
            for key, frame in self.chunk_parts(ids, have_months).items():
                parts.setdefault(key, []).append(frame)
        if have_months and self.region_id is None and self.tree is not None:
            # rows of regions outside the tree: only the row-by-row checks see them
            self.sales = f"(SELECT * FROM sales WHERE region_id NOT IN (SELECT region_id FROM {self.rmap_name}))"
            for key, frame in self.row_parts().items():
                parts.setdefault(key, []).append(frame)
        part = {key: _stack(frames) for key, frames in parts.items()}
        county_line = part.get("county_line")
        self.counties_sold = frozenset() if county_line is None else frozenset(county_line["county_id"].astype(str))
        out: list[pd.DataFrame] = []
        if not have_months or county_line is None or county_line.empty:
            out.append(_frame(pd.DataFrame({"x": [0]}), check="no_sales", severity="info",
                              message=("档案中" if not have_months else "本区域") + "没有可检查的本品月度销售"))
            out.append(self.distributor_without_sales())
            return out
        county_line["date"] = pd.to_datetime(county_line["date"])
        out += [
            self.missing_and_shift(county_line, self.line_total),
            self.stops_and_starts(),
            self.outliers(part["outliers"]),
            self.duplicate_upload(part["duplicate_upload"]),
            self.duplicate_rows(part["duplicate_rows"]),
            self.volume_revenue(part["volume_revenue"]),
            self.unit_price(part["unit_price"]),
            self.competitor_coverage(county_line, part["competitors"]),
            self.distributor_missing(part["distributor_missing"]),
            self.distributor_without_sales(),
            self.unknown_product(part["unknown_product"]),
        ]
        return out

    def chunk_parts(self, ids: list[str], have_months: bool) -> dict[str, pd.DataFrame]:
        """
        The checks' rows and aggregates on one chunk's sales (its regions ``ids``, sorted), as
        query results; the series' first and last months go to the spans table.
        """
        self.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {self.ids_name} AS
            SELECT m.* FROM {self.rmap_name} m WHERE m.region_id IN (SELECT unnest(?::VARCHAR[]))""", [ids])
        # the chunk's rows, read once (one scan of the archive however its rows are ordered; the
        # id range lets DuckDB skip the row groups of other regions), then checked in the copy
        self.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {self.sales_name} AS
            SELECT * FROM sales WHERE region_id BETWEEN {_literal(ids[0])} AND {_literal(ids[-1])}
                AND region_id IN (SELECT region_id FROM {self.ids_name})""")
        chunk = self.sales_name
        in_scope = f"(SELECT * FROM {chunk} WHERE region_id IN (SELECT region_id FROM {self.ids_name} WHERE in_scope))"
        self.sales = in_scope if self.partial else chunk
        got: dict[str, pd.DataFrame] = {}
        if self.region_id is not None and not self.one_chunk:
            self.con.execute(f"""
                INSERT INTO {self.sold_name}
                SELECT DISTINCT distributor_id FROM {chunk} WHERE distributor_id IS NOT NULL""")
        if not have_months:
            return got
        first = f"DATE '{self.span[0]:%Y-%m-%d}'"
        scoped = "AND m.in_scope" if self.partial else ""
        # the monthly own sales in scope, with their deseasonalised volume (adj): sid identifies
        # a series by its key minus the date
        self.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {self.own_name} AS
            SELECT hash(s.region_id, s.sku, s.channel, s.terminal_id, s.distributor_id) AS sid,
                   date_diff('month', {first}, s.date) AS m,
                   s.date, s.region_id, s.sku, s.terminal_id, s.distributor_id,
                   s.volume, s.volume / coalesce(f.f, 1.0) AS adj,
                   m.county_id, coalesce(p.product_line, '?') AS product_line
            FROM {chunk} s
            JOIN {self.ids_name} m ON s.region_id = m.region_id
            LEFT JOIN products p ON p.sku = s.sku
            LEFT JOIN {self.season_name} f ON f.product_line = coalesce(p.product_line, '?') AND f.date = s.date
            WHERE s.grain = 'month' AND s.brand = '{OWN_BRAND}' {scoped}""")
        # with the rows without a distributor counted in the same pass (distributor_missing)
        got["county_line"] = self.q(f"""
            SELECT county_id, product_line, date, sum(volume) AS volume, count(*) AS n,
                   count(*) FILTER (WHERE distributor_id IS NULL) AS no_distributor
            FROM {self.own} GROUP BY ALL""")
        if not self.one_chunk:
            self.con.execute(f"""
                INSERT INTO {self.spans_name} {self.spans_sql()}""")
        self.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {self.stats_name} AS
            SELECT sid, median(adj) AS med, mad(adj) AS mad, count(*) AS n FROM {self.own} GROUP BY sid""")
        got["outliers"] = self.outlier_rows()
        got["duplicate_upload"] = self.duplicate_upload_rows()
        got["distributor_missing"] = _without_distributor(got["county_line"])
        # own monthly rows whose SKU the products table lacks (product line '?'): the split leaves them out
        got["unknown_product"] = self.q(f"""
            SELECT county_id AS region_id, min(date) AS date, count(*) AS n, sum(volume) AS value,
                   list_slice(list_sort(list_distinct(list(sku))), 1, 3) AS skus
            FROM {self.own} WHERE product_line = '?' GROUP BY ALL""")
        got["competitors"] = self.q(f"""
            SELECT m.county_id, year(s.date) AS year, count(*) AS n
            FROM {chunk} s JOIN {self.ids_name} m ON s.region_id = m.region_id
            WHERE s.brand <> '{OWN_BRAND}' GROUP BY ALL""")
        got.update(self.row_parts())
        return got

    def spans_sql(self) -> str:
        """The query of the series' first and last months (m) on the chunk's own rows, by terminal and SKU."""
        return (f"SELECT terminal_id, sku, max(region_id) AS region_id, max(product_line) AS product_line, "
                f"min(m) AS first_m, max(m) AS last_m FROM {self.own} WHERE terminal_id IS NOT NULL GROUP BY terminal_id, sku")

    def row_parts(self) -> dict[str, pd.DataFrame]:
        """The row-by-row checks on the chunk's sales in scope, :attr:`sales` (every grain and brand)."""
        volume_revenue, unit_price = self.value_rows()
        return {
            "duplicate_rows": self.duplicate_row_rows(),
            "volume_revenue": volume_revenue,
            "unit_price": unit_price,
        }

    def missing_and_shift(self, county_line: pd.DataFrame, line_total: pd.DataFrame) -> pd.DataFrame:
        n_m = len(self.months)
        keys, vol = _grid(county_line, ["county_id", "product_line"], "volume", self.months)
        vol[vol <= 0] = np.nan
        present = ~np.isnan(vol)
        first = present.argmax(axis=1)
        last = n_m - 1 - present[:, ::-1].argmax(axis=1)
        idx = np.arange(n_m)[None, :]
        gap = (~present) & (idx > first[:, None]) & (idx < last[:, None])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(vol, axis=1)
        s_i, m_i = np.nonzero(gap)
        missing = _frame(
            pd.DataFrame({
                "region_id": keys["county_id"].to_numpy()[s_i],
                "product_line": keys["product_line"].to_numpy()[s_i],
                "date": self.months[m_i],
                "value": 0.0,
                "expected": med[s_i],
            }),
            check="missing_month", severity="error",
        )
        missing["message"] = [
            f"{d:%Y-%m} 该产品线没有本品销售（在序列起止之间缺月）" for d in missing["date"]
        ]
        # level shift on the county's share of the line's total (removes season and common shocks)
        lines, tot = _grid(line_total, ["product_line"], "volume", self.months)
        at = pd.Index(lines["product_line"]).get_indexer(keys["product_line"])
        tot = np.where((at >= 0)[:, None], tot[np.maximum(at, 0)] if len(tot) else np.nan, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(tot > 0, vol / tot, np.nan)
        w = _SHIFT_WINDOW
        shifts = []
        if n_m >= 2 * w:
            from numpy.lib.stride_tricks import sliding_window_view

            win = sliding_window_view(share, w, axis=1)  # (n, n_m - w + 1, w); window j = months j..j+w-1
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                med_w = np.nanmedian(win, axis=2)
                mean_w = np.nanmean(win, axis=2)
                ks = np.arange(w, n_m - w + 1)
                before_med, after_med = med_w[:, ks - w], med_w[:, ks]
                before_mean, after_mean = mean_w[:, ks - w], mean_w[:, ks]
                rest = _suffix_nanmedian(share, ks)
            limit = (1 - _SHIFT_FALL) * before_med
            hit = (after_med < limit) & (rest < limit) & (before_med > 0)
            score = np.where(hit, 1 - after_mean / before_mean, -np.inf)
            best = score.argmax(axis=1)
            rows = np.flatnonzero(np.isfinite(score[np.arange(len(score)), best]))
            for r in rows:
                j = best[r]
                k = ks[j]
                before_v = np.nanmedian(vol[r, k - w:k])
                after_v = np.nanmedian(vol[r, k:k + w])
                shifts.append({
                    "region_id": keys["county_id"].iat[r],
                    "product_line": keys["product_line"].iat[r],
                    "date": self.months[k],
                    "value": float(after_v),
                    "expected": float(before_v),
                    "message": f"自 {self.months[k]:%Y-%m} 起该产品线份额下降 {1 - after_med[r, j] / before_med[r, j]:z.0%} "
                               f"且未恢复（月销量中位数 {before_v:,.0f} → {after_v:,.0f} 箱）",
                })
        shift = _frame(pd.DataFrame(shifts), check="level_shift", severity="warning")
        return pd.concat([missing, shift], ignore_index=True)

    def stops_and_starts(self) -> pd.DataFrame:
        first_i = self.first.year * 12 + self.first.month - 1
        last_i = self.last.year * 12 + self.last.month - 1
        n_m = last_i - first_i
        # only series or terminals that stop or start late come back from the database
        series = self.q(f"""
            WITH s AS (
                SELECT terminal_id, sku, max(region_id) AS region_id, max(product_line) AS product_line,
                       min(first_m) AS first_m, max(last_m) AS last_m
                FROM {f"({self.spans_sql()})" if self.one_chunk else self.spans_name} GROUP BY terminal_id, sku),
            t AS (SELECT *, min(first_m) OVER (PARTITION BY terminal_id) AS t_first,
                            max(last_m) OVER (PARTITION BY terminal_id) AS t_last,
                            count(*) OVER (PARTITION BY terminal_id) AS n
                  FROM s)
            SELECT terminal_id, sku, region_id, product_line, first_m, last_m, t_first, t_last, n FROM t
            WHERE last_m <= {n_m - _STOP_MONTHS} OR first_m >= {_STOP_MONTHS}""")
        if series.empty:
            return _frame()
        series["first_i"] = series["first_m"] + first_i
        series["last_i"] = series["last_m"] + first_i
        term = series[(series["t_last"] <= n_m - _STOP_MONTHS) | (series["t_first"] >= _STOP_MONTHS)]
        term = term.groupby("terminal_id", sort=True).agg(
            region_id=("region_id", "max"), first_i=("t_first", "min"), last_i=("t_last", "max"), n=("n", "max"))
        term["first_i"] += first_i
        term["last_i"] += first_i
        term = term.reset_index()
        to_date = lambda i: pd.to_datetime({"year": np.asarray(i) // 12, "month": np.asarray(i) % 12 + 1, "day": 1})
        out = []
        for kind, sev in (("stop", "warning"), ("start", "info")):
            if kind == "stop":
                t_hit = term[term["last_i"] <= last_i - _STOP_MONTHS]
                s_hit = series[(series["last_i"] <= last_i - _STOP_MONTHS) & ~series["terminal_id"].isin(t_hit["terminal_id"])]
                t_i, s_i = t_hit["last_i"].to_numpy() + 1, s_hit["last_i"].to_numpy() + 1
                t_val, s_val = last_i - t_i + 1, last_i - s_i + 1  # months without sales
            else:
                t_hit = term[term["first_i"] >= first_i + _STOP_MONTHS]
                s_hit = series[(series["first_i"] >= first_i + _STOP_MONTHS) & ~series["terminal_id"].isin(t_hit["terminal_id"])]
                t_i, s_i = t_hit["first_i"].to_numpy(), s_hit["first_i"].to_numpy()
                t_val, s_val = t_i - first_i, s_i - first_i  # months before the first sale
            tf = _frame(pd.DataFrame({
                "region_id": t_hit["region_id"].to_numpy(), "terminal_id": t_hit["terminal_id"].to_numpy(),
                "date": to_date(t_i) if len(t_i) else pd.Series([], dtype="datetime64[ns]"),
                "value": np.asarray(t_val, dtype=float), "expected": 0.0,
            }), check=f"series_{kind}", severity=sev)
            tf["message"] = [
                (f"终端自 {d:%Y-%m} 起停止进货（全部 {n} 个产品）" if kind == "stop"
                 else f"终端自 {d:%Y-%m} 才开始进货（晚于档案起点）")
                for n, d in zip(t_hit["n"], tf["date"])
            ]
            sf = _frame(pd.DataFrame({
                "region_id": s_hit["region_id"].to_numpy(), "terminal_id": s_hit["terminal_id"].to_numpy(),
                "sku": s_hit["sku"].to_numpy(), "product_line": s_hit["product_line"].to_numpy(),
                "date": to_date(s_i) if len(s_i) else pd.Series([], dtype="datetime64[ns]"),
                "value": np.asarray(s_val, dtype=float), "expected": 0.0,
            }), check=f"series_{kind}", severity=sev)
            sf["message"] = [
                (f"该产品自 {d:%Y-%m} 起中断，而终端仍在进货" if kind == "stop"
                 else f"该产品自 {d:%Y-%m} 才开始销售") for d in sf["date"]
            ]
            out += [tf, sf]
        res = pd.concat([o for o in out if len(o)] or [_frame()], ignore_index=True)
        res["brand"] = OWN_BRAND
        return res

    def series_stats(self, line_total: pd.DataFrame) -> None:
        """Register the season per line and month (f: the line's total over its median month)."""
        f = line_total["volume"] / line_total.groupby("product_line")["volume"].transform("median")
        keep = (f > 0).to_numpy()  # the frame built once from the kept rows
        season = pd.DataFrame({"product_line": line_total["product_line"].array[keep],
                               "date": line_total["date"].array[keep], "f": f.array[keep]})
        # a table of the database's own: joined once a chunk, faster than a registered frame
        self.con.register(f"{self.season_name}_frame", season)
        try:
            self.con.execute(f"CREATE TEMP TABLE {self.season_name} AS SELECT * FROM {self.season_name}_frame")
        finally:
            self.con.unregister(f"{self.season_name}_frame")

    def outlier_rows(self) -> pd.DataFrame:
        z = "(o.adj - st.med) / greatest(1.4826 * st.mad, 0.1 * st.med, 1e-9)"
        rows = self.q(f"""
            SELECT o.region_id, o.product_line, o.sku, o.terminal_id, o.date, o.volume AS value,
                   st.med * o.volume / o.adj AS expected, {z} AS z
            FROM {self.own} o JOIN {self.stats_name} st USING (sid)
            WHERE st.n >= {_OUTLIER_MIN_MONTHS} AND o.adj >= {_OUTLIER_RATIO} * st.med AND {z} > {_OUTLIER_Z}""")
        return rows

    def outliers(self, rows: pd.DataFrame) -> pd.DataFrame:
        out = _frame(rows, check="outlier", severity="warning", brand=OWN_BRAND)
        out["date"] = pd.to_datetime(rows["date"]).to_numpy() if len(rows) else []
        out["message"] = [
            f"销量 {v:,.0f} 箱，是该序列季节中位数 {e:,.0f} 箱的 {v / e:.0f} 倍（稳健 z 值 {z:.0f}）"
            for v, e, z in zip(rows["value"], rows["expected"], rows["z"])
        ]
        return out

    def duplicate_upload_rows(self) -> pd.DataFrame:
        return self.q(f"""
            SELECT o.county_id, o.date, median(o.adj / st.med) AS q, count(*) AS n
            FROM {self.own} o JOIN {self.stats_name} st USING (sid)
            WHERE st.med > 0 AND st.n >= 3 GROUP BY ALL""")

    def duplicate_upload(self, rows: pd.DataFrame) -> pd.DataFrame:
        if rows.empty:
            return _frame()
        counties, (qv, nv) = _grids(rows, ["county_id"], ["q", "n"], self.months)
        pad = np.full((len(qv), 1), np.nan)
        prev = np.concatenate([pad, qv[:, :-1]], axis=1)
        nxt = np.concatenate([qv[:, 1:], pad], axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            neigh = np.nanmean(np.stack([prev, nxt]), axis=0)
            ratio = qv / neigh
        hit = (ratio >= _DUP_RATIO) & (nv >= _DUP_MIN_ROWS)
        c_i, m_i = np.nonzero(np.nan_to_num(hit, nan=0.0).astype(bool))
        out = _frame(pd.DataFrame({
            "region_id": counties["county_id"].to_numpy()[c_i], "date": self.months[m_i], "value": ratio[c_i, m_i],
            "expected": 1.0,
        }), check="duplicate_upload", severity="error", brand=OWN_BRAND)
        out["message"] = [
            f"{d:%Y-%m} 的典型行是相邻月份的 {x:.1f} 倍（{int(k):,} 行）：是否重复上传？" for d, x, k in zip(out["date"], out["value"], nv[c_i, m_i])
        ]
        return out

    def duplicate_row_rows(self) -> pd.DataFrame:
        key = "date, grain, region_id, sku, channel, brand, terminal_id, distributor_id"
        return self.q(f"""
            WITH h AS (SELECT hash({key}) AS h FROM {self.sales}),
            d AS (SELECT h FROM h GROUP BY h HAVING count(*) > 1)
            SELECT {key}, count(*) AS n, sum(volume) AS volume
            FROM {self.sales} s WHERE hash({key}) IN (SELECT h FROM d)
            GROUP BY {key} HAVING count(*) > 1""")

    def duplicate_rows(self, rows: pd.DataFrame) -> pd.DataFrame:
        out = _frame(rows, check="duplicate_rows", severity="error")
        out["date"] = pd.to_datetime(rows["date"]).to_numpy() if len(rows) else []
        out["value"] = rows["n"].to_numpy(dtype=float) if len(rows) else []
        out["expected"] = 1.0
        out["message"] = [f"{n:,} 行{_GRAIN.get(g, g)}数据的键相同" for n, g in zip(rows["n"], rows["grain"])]
        return out

    def value_rows(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """
        The rows with volume but no revenue or the reverse, and the rows priced far from the
        list price: one scan of :attr:`sales` for both (the two conditions exclude each other),
        split by ``priced`` (volume and revenue both positive).
        """
        lo, hi = _PRICE_RANGE
        rows = self.q(f"""
            SELECT s.date, s.grain, s.region_id, s.sku, s.brand, s.terminal_id, p.product_line,
                   s.volume, s.revenue, p.unit_price, s.volume > 0 AND s.revenue > 0 AS priced,
                   CASE WHEN s.volume > 0 AND s.revenue > 0 THEN s.revenue / s.volume END AS value
            FROM {self.sales} s
            LEFT JOIN products p ON p.sku = s.sku
            WHERE ((coalesce(s.volume, 0) > 0 AND coalesce(s.revenue, 0) = 0)
                                  OR (coalesce(s.volume, 0) = 0 AND coalesce(s.revenue, 0) > 0))
               OR (s.volume > 0 AND s.revenue > 0 AND p.unit_price > 0
                   AND (s.revenue / s.volume < {lo} * p.unit_price OR s.revenue / s.volume > {hi} * p.unit_price))""")
        if rows.empty:  # the usual case: nothing to split
            empty = rows.drop(columns=["priced", "value"])
            return empty, empty.assign(value=[], expected=[])
        priced = rows.pop("priced").to_numpy(dtype=bool)
        value = rows.pop("value")
        volume_revenue = rows[~priced].reset_index(drop=True)
        keys = ["date", "grain", "region_id", "sku", "brand", "terminal_id", "product_line"]
        unit_price = rows.loc[priced, keys].assign(value=value[priced], expected=rows.loc[priced, "unit_price"])
        return volume_revenue, unit_price.reset_index(drop=True)

    def volume_revenue(self, rows: pd.DataFrame) -> pd.DataFrame:
        if rows.empty:
            return _frame()
        vwr = rows["volume"].fillna(0) > 0
        out = _frame(rows, check=None, severity="error")
        out["check"] = np.where(vwr, "volume_without_revenue", "revenue_without_volume")
        out["date"] = pd.to_datetime(rows["date"]).to_numpy()
        out["value"] = np.where(vwr, rows["revenue"].fillna(0), rows["volume"].fillna(0))
        out["expected"] = np.where(vwr, rows["volume"] * rows["unit_price"], np.nan)
        out["message"] = [
            f"{_GRAIN.get(g, g)}数据有销量 {v:,.0f} 箱却没有销售额" if w else f"{_GRAIN.get(g, g)}数据有销售额 {r:,.2f} 元却没有销量"
            for g, v, r, w in zip(rows["grain"], rows["volume"].fillna(0), rows["revenue"].fillna(0), vwr)
        ]
        return out

    def unit_price(self, rows: pd.DataFrame) -> pd.DataFrame:
        out = _frame(rows, check="unit_price", severity="error")
        out["date"] = pd.to_datetime(rows["date"]).to_numpy() if len(rows) else []
        out["message"] = [
            f"{_GRAIN.get(g, g)}数据：销售额/销量 {v:,.2f} 元/箱，是牌价 {e:,.2f} 元的 {v / e:.2g} 倍"
            for g, v, e in zip(rows["grain"], rows["value"], rows["expected"])
        ]
        return out

    def competitor_coverage(self, county_line: pd.DataFrame, comp: pd.DataFrame) -> pd.DataFrame:
        # the (county, year) pairs with own sales, each once
        county, names = pd.factorize(county_line["county_id"], sort=False)
        year = county_line["date"].to_numpy().astype("datetime64[Y]").astype(np.int64) + 1970
        pair = np.unique(county.astype(np.int64) * 100_000 + year)
        own = set(zip(names.to_numpy(dtype=object)[pair // 100_000].tolist(), (pair % 100_000).tolist()))
        if comp.empty and self.region_id is not None:
            # none in the region's counties: does the archive hold any at all?
            comp_any = self.con.execute(
                f"SELECT 1 FROM sales s JOIN (SELECT region_id FROM regions) r ON s.region_id = r.region_id "
                f"WHERE s.brand <> '{OWN_BRAND}' LIMIT 1").fetchone()
        else:
            comp_any = None if comp.empty else (1,)
        if comp_any is None:
            root = self.tree.root if self.tree is not None else None
            return _frame(pd.DataFrame({"x": [0]}), check="competitor_coverage", severity="info",
                          region_id=root, value=0.0, expected=np.nan,
                          message="档案中没有竞品销售数据")
        missing = sorted(own.difference(zip(comp["county_id"].tolist(), comp["year"].tolist())))
        if not missing:
            return _frame()
        miss = pd.DataFrame(missing, columns=["county_id", "year"])
        out = _frame(pd.DataFrame({
            "region_id": miss["county_id"], "date": pd.to_datetime(miss["year"].astype(str) + "-01-01"),
            "value": 0.0,
        }), check="competitor_coverage", severity="warning")
        out["message"] = [f"{y} 年有本品销售却没有竞品销售记录" for y in miss["year"]]
        return out

    def distributor_missing(self, rows: pd.DataFrame) -> pd.DataFrame:
        out = _frame(rows, check="distributor_missing", severity="warning", brand=OWN_BRAND, expected=0.0)
        out["value"] = rows["value"].to_numpy(dtype=float) if len(rows) else []
        out["message"] = [f"{int(n):,} 行本品月度销售没有经销商" for n in rows["value"]]
        return out

    def unknown_product(self, rows: pd.DataFrame) -> pd.DataFrame:
        if rows.empty:
            return _frame()
        rows = rows.groupby("region_id", as_index=False).agg(
            date=("date", "min"), n=("n", "sum"), value=("value", "sum"),
            skus=("skus", lambda x: sorted({k for ks in x for k in ks})[:3]))  # a county across chunks: once
        out = _frame(rows, check="unknown_product", severity="error", brand=OWN_BRAND, expected=np.nan)
        out["date"] = pd.to_datetime(rows["date"]).to_numpy()
        out["message"] = [f"{int(n):,} 行本品月度销售（{v:,.0f} 箱）的产品编码不在产品表中（{'、'.join(k)}）："
                          "目标分解不计这些销售，请补录这些产品"
                          for n, v, k in zip(rows["n"], rows["value"], rows["skus"])]
        return out

    def distributor_without_sales(self) -> pd.DataFrame:
        try:
            if self.region_id is None:
                rows = self.q(f"""
                    SELECT d.distributor_id, d.region_id
                    FROM distributors d JOIN {self.rmap_name} m ON d.region_id = m.region_id
                    WHERE m.in_scope AND d.distributor_id NOT IN (
                        SELECT DISTINCT distributor_id FROM sales WHERE distributor_id IS NOT NULL)
                    ORDER BY 1""")
            else:
                # the region's distributors; most sell inside the region, so only the others
                # are looked up in the whole archive
                sold = (f"(SELECT distributor_id FROM {self.sales_name} WHERE distributor_id IS NOT NULL)"
                        if self.one_chunk else self.sold_name)
                rows = self.q(f"""
                    SELECT d.distributor_id, d.region_id
                    FROM distributors d JOIN {self.rmap_name} m ON d.region_id = m.region_id
                    WHERE m.in_scope AND d.distributor_id IS NOT NULL AND d.distributor_id NOT IN (
                        SELECT distributor_id FROM {sold})
                    ORDER BY 1""")
                if len(rows):
                    sold = self.con.execute(
                        "SELECT DISTINCT distributor_id FROM sales WHERE distributor_id IN (SELECT unnest(?::VARCHAR[]))",
                        [list(rows["distributor_id"].astype(str))]).df()["distributor_id"]
                    rows = rows[~rows["distributor_id"].isin(sold)].reset_index(drop=True)
        except duckdb.CatalogException:
            return _frame()
        out = _frame(rows, check="distributor_without_sales", severity="info", value=0.0)
        out["message"] = [f"经销商 {d} 没有任何销售记录" for d in rows["distributor_id"]]
        return out
