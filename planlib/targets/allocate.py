"""
Allocation of a plan's volume target down the pyramid: regions, months, breakdowns, terminals.

The top-down split (分配方式, DOMAIN.md §2, §5) of one integer volume target into the
``results/targets.parquet`` table of DESIGN.md §4::

    root total ─ split_down / constrain_split ─ region annual totals (every level)
        └─ root months = round_to_total(total x month shares)
        └─ per level, children x months fitted to (children's totals, parent's months)
           and rounded with both margins exact
    every region-month ─ sku / channel / terminal_class / distributor_id breakdowns; the
                         product lines are their SKUs' sums
    every county-month ─ named A and B terminals, C/D terminals as one line per township

Public names
------------
AllocationHistory          the aggregated history an allocation needs (frozen)
load_allocation_history    read it from the archive with DuckDB aggregations
allocate_plan              the targets table (volume exact at every level and breakdown)
validate_targets           check that a targets table re-aggregates exactly
breakdown_of               which breakdown each row of a targets table belongs to
export_targets_excel       the workbook a regional manager reads without the suite

Exactness: volumes are integers (multiples of ``unit``) and every table is rounded with
all of its margins exact (largest remainder for one margin, controlled rounding by
maximum flow for two). Breakdowns are split at the planned units (regions without
planned children); a parent's lines are its children's sums, and a product line's its
SKUs'. Revenue is volume x last year's realised price, rounded to cents per line at the
planned units and summed above them, so every parent's revenue is its children's to the
cent; within one region the breakdown lines are each at their own price and need not
add up to the region's total revenue.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import union_categoricals
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import maximum_flow

from planlib import calendar as cal
from planlib.archive import OpenArchive
from planlib.errors import (
    DataError,
    ParamsError,
    PlanWarning,
    SplitError,
)
from planlib.hierarchy import RegionTree
from planlib.labels import LEVEL_NAMES
from planlib.rounding import round_to_total
from planlib.schemas import LEVEL_DEPTH, OWN_BRAND
from planlib.targets.split import (
    SPLIT_METHODS,
    _ap_core,
    _constrain_units,
    _pa_core,
    _unit_bounds,
    constrain_split,
    shares_for,
    split_down,
)

__all__ = [
    "TARGET_COLUMNS",
    "BREAKDOWNS",
    "AllocationHistory",
    "load_allocation_history",
    "allocate_plan",
    "validate_targets",
    "breakdown_of",
    "BREAKDOWN_COLUMNS",
    "TERMINAL_SHEET",
]

#: Columns of the targets table (DESIGN.md §4), key columns first, then values and basis.
TARGET_COLUMNS: tuple[str, ...] = (
    "region_id", "level", "month", "product_line", "sku", "channel", "terminal_class",
    "terminal_id", "distributor_id", "target_volume", "target_revenue", "last_year_volume", "share",
)
#: The bracketed (breakdown) columns of DESIGN.md §4; all empty on a region-month total row.
BREAKDOWN_COLUMNS: tuple[str, ...] = ("product_line", "sku", "channel", "terminal_class", "terminal_id",
                                      "distributor_id")
#: The breakdowns :func:`allocate_plan` writes, besides the totals.
BREAKDOWNS: tuple[str, ...] = ("product_line", "sku", "channel", "terminal_class", "distributor_id", "terminal")
#: distributor_id of the sales with no distributor (direct supply), one bucket per region-month.
DIRECT = "直供"
#: terminal_class of the one line per township holding its C and D terminals.
CD_LINE = "CD"
#: Holidays whose date moves between years (lunar); their months are pooled in seeds.
MOVING_HOLIDAYS: tuple[str, ...] = ("spring_festival", "mid_autumn")
TERMINAL_SHEET = "终端"

_MONTHS = np.arange(1, 13)


# ---------------------------------------------------------------------------------------
# the history
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AllocationHistory:
    """
    The aggregated own-brand history an allocation is based on (monthly grain only).

    Attributes
    ----------
    plan_year : int
        The year being planned; "last year" is ``plan_year - 1``.
    monthly : DataFrame
        ``region_id, month, volume, revenue``: own sales per region at ``level`` (see
        below) and month, the two full years before the plan year.
    product_lines, channels, terminal_classes : DataFrame
        ``region_id, month, <dimension>, volume, revenue`` for last year, by the region
        at ``level`` (see below).
    skus, distributors : DataFrame or None
        The same for ``sku`` and ``distributor_id`` (sales without a distributor under
        :data:`DIRECT`, so the distributors cover every unit); None (hand-built
        histories): no such breakdown.
    terminals : DataFrame
        ``terminal_id, terminal_class, region_id, month, volume, revenue`` for last year:
        one line per A or B terminal (``terminal_id`` set, ``terminal_class`` A/B,
        ``region_id`` where its sales are recorded) and one per region holding C/D
        terminals (``terminal_id`` missing, ``terminal_class`` ``"CD"``).
    terminal_list : DataFrame
        ``terminal_id, name, region_id, terminal_class`` of every A and B terminal in
        scope, with or without sales (each gets a target line).
    unit_prices : Series
        Catalogue price per product line (mean ``unit_price`` of the own SKUs), the
        fallback for lines with no realised price last year.
    names : Mapping
        Display names of the terminals (terminal_id -> name).
    sku_prices : Series or None
        Catalogue ``unit_price`` per SKU, the fallback for SKUs with no realised price.
    sku_lines : Series or None
        The product line of each SKU of ``skus``: with it, the product-line targets are
        their SKUs' sums (None: split by their own mix).
    level : str or None
        The level the months and breakdowns were summed to (their ``region_id`` is a
        region at that level, or above it where sales are recorded there; the terminal
        lines keep the recorded region); None: by recorded region (hand-built histories).
    """

    plan_year: int
    monthly: pd.DataFrame
    product_lines: pd.DataFrame
    channels: pd.DataFrame
    terminal_classes: pd.DataFrame
    terminals: pd.DataFrame
    terminal_list: pd.DataFrame
    unit_prices: pd.Series
    names: Mapping[str, str] = field(default_factory=dict)
    skus: pd.DataFrame | None = None
    distributors: pd.DataFrame | None = None
    sku_prices: pd.Series | None = None
    level: str | None = None
    sku_lines: pd.Series | None = None


def _cat_dtype(categories) -> pd.CategoricalDtype:
    """A categorical dtype over ``categories`` (object strings), validated once and shared by every frame."""
    return pd.CategoricalDtype(pd.Index(categories, dtype=object))


def _dense_long(values: np.ndarray, revenue: np.ndarray, labels: list, names: list[str]) -> pd.DataFrame:
    """Non-zero cells of dense volume/revenue arrays as a long frame (labels: categorical dtypes or a DatetimeIndex)."""
    flat = np.flatnonzero((values != 0) | (revenue != 0))
    data = {}
    for name, lab, ix in zip(names, labels, np.unravel_index(flat, values.shape)):
        if isinstance(lab, pd.DatetimeIndex):
            data[name] = lab.to_numpy()[ix]
        else:
            data[name] = pd.Categorical.from_codes(ix, dtype=lab)
    data["volume"] = values.ravel()[flat]
    data["revenue"] = revenue.ravel()[flat]
    return pd.DataFrame(data, copy=False)  # fresh arrays: no consolidating copy


def _sums(key: np.ndarray, volume: np.ndarray, revenue: np.ndarray, shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Volume and revenue summed by flat cell ``key`` into dense arrays of ``shape``."""
    size = int(np.prod(shape))
    return np.bincount(key, volume, size).reshape(shape), np.bincount(key, revenue, size).reshape(shape)


def _sorted_codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list]:
    """Integer codes (-1 = missing) of a text column over its sorted distinct values, and those values."""
    enc = column.combine_chunks().dictionary_encode()
    values = enc.dictionary.to_pylist()
    order = sorted(range(len(values)), key=values.__getitem__)
    rank = np.empty(len(values) + 1, dtype=np.int64)
    rank[order] = np.arange(len(values))
    rank[-1] = -1  # a missing value (index -1) stays -1
    idx = np.asarray(enc.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    return rank[idx], [values[i] for i in order]


def _agg_ints(agg: pa.Table, col: str) -> np.ndarray:
    return np.asarray(agg.column(col).to_numpy(), dtype=np.int64)


def _agg_floats(agg: pa.Table, col: str) -> np.ndarray:
    """A float column of the aggregate (no nulls: coalesced in SQL); NaN or inf sums count as 0, as before."""
    x = np.asarray(agg.column(col).to_numpy(), dtype=float)
    if not np.isfinite(x).all():
        x = np.nan_to_num(x)
    return x


def _terminal_codes(terms: pa.Table) -> tuple[np.ndarray, list, np.ndarray]:
    """
    Per terminal (in ``terms`` order) its class's code among the sorted classes (-1: none),
    those classes, and per terminal 0 (class A), 1 (B) or -1 (any other).
    """
    t_ci, cls_all = _sorted_codes(terms.column("terminal_class"))
    ab_code = np.full(len(cls_all) + 1, -1, dtype=np.int64)  # last entry: a missing class
    for j, c in enumerate(("A", "B")):
        if c in cls_all:
            ab_code[cls_all.index(c)] = j
    return t_ci, cls_all, ab_code[t_ci]


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
#: ``gs`` of each grouping set of :data:`_LAST_YEAR_SQL`
_GS_LINES, _GS_CHANNELS, _GS_DIST, _GS_SKUS = 7, 3, 5, 6
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


def _home_codes(tree: RegionTree, scope: list, level: str) -> tuple[np.ndarray, list]:
    """
    Per region of ``scope`` (depth-first order) the code of its home: itself, or below
    ``level`` its ancestor there; and the homes (the regions of ``scope`` down to ``level``).
    """
    depth = LEVEL_DEPTH[level]
    pos = {r: i for i, r in enumerate(scope)}
    home = np.full(len(scope), -1, dtype=np.int32)
    homes: list = []
    levels, parents = tree.levels, tree.parents
    for i, r in enumerate(scope):
        p = pos.get(parents[r])
        if p is not None and LEVEL_DEPTH[levels[r]] > depth:
            home[i] = home[p]  # the parent comes first (depth-first), so its home is known
        else:
            home[i] = len(homes)
            homes.append(r)
    return home, homes


def _read_history(con, tree: RegionTree, scope: list, plan_year: int, level: str, pool: ThreadPoolExecutor):
    """
    What :func:`load_allocation_history` is built from: the products (pandas), the
    terminals (Arrow, by terminal_id) with their codes (:func:`_terminal_codes`), the SKUs
    of a known product line (sorted), ``last`` (:data:`_LAST_YEAR_SQL`, Arrow) and
    ``first`` (:data:`_FIRST_YEAR_SQL`), a Future: it is run on ``pool`` (its own cursor)
    once ``last`` is read, so DuckDB computes it while Python builds the frames from ``last``.
    """
    first, last = plan_year - 2, plan_year - 1
    cur = con.cursor()
    try:
        prod = cur.sql("SELECT sku, product_line, unit_price, unit_variable_cost FROM products").df()
        terms = cur.sql(
            "SELECT terminal_id, name, region_id, terminal_class FROM terminals ORDER BY terminal_id"
        ).to_arrow_table()
    finally:
        cur.close()
    codes = _terminal_codes(terms)
    t_ci, t_ab = codes[0], codes[2]
    # code tables registered from Arrow: DuckDB knows their size and joins them cheaply
    home, homes = _home_codes(tree, scope, level)
    regions = pa.table({"region_id": scope, "ri": pa.array(range(len(scope)), pa.int32()),
                        "hi": pa.array(home, pa.int32())})
    skus = sorted(prod.loc[prod["product_line"].notna(), "sku"].dropna().unique().tolist())
    sku_codes = pa.table({"sku": pa.array(skus, pa.string()), "si": pa.array(range(len(skus)), pa.int32())})
    term_codes = pa.table({
        "terminal_id": terms.column("terminal_id"),
        # an A/B terminal's rank among the A/B terminals; -2 - class code: a terminal of another
        # class (its township's C/D line); -1: no terminal, or one without a class
        "li": pa.array(np.where(t_ab >= 0, np.cumsum(t_ab >= 0) - 1, np.where(t_ci >= 0, -2 - t_ci, -1)), pa.int32()),
    })
    params = {"own": OWN_BRAND, "ly": dt.date(last, 1, 1), "start": dt.date(first, 1, 1),
              "end": dt.date(plan_year, 1, 1), "direct": DIRECT}
    codes_in = {"_alloc_regions": regions, "_alloc_skus": sku_codes}
    last_agg = _query_with(con.cursor(), {**codes_in, "_alloc_terms": term_codes}, _LAST_YEAR_SQL,
                           {k: params[k] for k in ("own", "ly", "end", "direct")})
    first_agg = pool.submit(_query_with, con.cursor(), codes_in, _FIRST_YEAR_SQL,
                            {k: params[k] for k in ("own", "start", "ly")})
    return prod, terms, codes, skus, (home, homes), last_agg, first_agg


def _grouping(agg: pa.Table, gs: int, columns: list[str]) -> pa.Table:
    """The rows of one grouping set of :data:`_LAST_YEAR_SQL`, with the columns it groups by and the sums."""
    return agg.filter(pc.equal(agg.column("gs"), gs)).select([*columns, "v", "r"])


def _distributor_frame(agg_dist: pa.Table, reg_dtype, months12) -> pd.DataFrame:
    """The ``distributors`` frame: the aggregate's rows as they are (one per key), sparse."""
    v, r = _agg_floats(agg_dist, "v"), _agg_floats(agg_dist, "r")
    nz = np.flatnonzero((v != 0) | (r != 0))
    agg_dist = agg_dist.take(pa.array(nz))
    dist, dist_u = _sorted_codes(agg_dist.column("dist"))
    return pd.DataFrame({
        "region_id": pd.Categorical.from_codes(_agg_ints(agg_dist, "hi"), dtype=reg_dtype),
        "month": months12.to_numpy()[_agg_ints(agg_dist, "m")],
        "distributor_id": pd.Categorical.from_codes(dist, dtype=_cat_dtype(dist_u)),
        "volume": v[nz], "revenue": r[nz],
    }, copy=False)


def _history_frames(plan_year: int, scope: list, level: str, prod: pd.DataFrame, terms: pa.Table, codes,
                    skus: list, homes: tuple, last_agg: pa.Table, first_agg: Future) -> AllocationHistory:
    """
    The frames of :class:`AllocationHistory` from :func:`_read_history`'s tables: bincounts
    of integer codes, no string work but the channels and distributor ids (the first
    year's aggregate ``first_agg`` is a Future, waited for last). Each frame is built in
    its own function, so its dense arrays are freed before the next one is made.
    """
    first = plan_year - 2
    lines = sorted(prod["product_line"].dropna().unique().tolist())
    t_ci, cls_all, t_ab = codes
    ab_pos = np.flatnonzero(t_ab >= 0)  # the A/B terminals, in terminal_id order
    nr, nt = len(scope), len(ab_pos)
    reg_dtype = _cat_dtype(scope)
    home, home_ids = homes
    nh, home_dtype = len(home_ids), _cat_dtype(home_ids)
    months24 = pd.DatetimeIndex([pd.Timestamp(first + y, m, 1) for y in range(2) for m in range(1, 13)])
    months12 = months24[12:]

    # by the region at the plan's level, month and channel
    agg = _grouping(last_agg, _GS_CHANNELS, ["hi", "m", "channel"])
    chan, chan_u = _sorted_codes(agg.column("channel"))
    channels = _dense_long(*_sums((_agg_ints(agg, "hi") * 12 + _agg_ints(agg, "m")) * len(chan_u) + chan,
                                  _agg_floats(agg, "v"), _agg_floats(agg, "r"), (nh, 12, len(chan_u))),
                           [home_dtype, months12, _cat_dtype(chan_u)], ["region_id", "month", "channel"])
    del agg, chan
    term_u = terms.column("terminal_id").to_numpy(zero_copy_only=False)

    # by recorded region, month and terminal line: the terminal lines, the terminal classes
    # (an A/B terminal's class, or the class in the line code) and last year's months
    agg = _grouping(last_agg, _GS_LINES, ["ri", "m", "li"])
    reg, mi, li = _agg_ints(agg, "ri"), _agg_ints(agg, "m"), _agg_ints(agg, "li")
    v, r = _agg_floats(agg, "v"), _agg_floats(agg, "r")
    ci = np.where(li >= 0, t_ci[ab_pos][np.maximum(li, 0)] if len(ab_pos) else -1, np.where(li <= -2, -2 - li, -1))
    present = np.flatnonzero(np.bincount(ci[ci >= 0], minlength=len(cls_all)) > 0)
    recode = np.full(len(cls_all) + 1, -1, dtype=np.int64)
    recode[present] = np.arange(len(present))
    cls = recode[ci]
    ok = np.flatnonzero(cls >= 0)
    terminal_classes = _dense_long(*_sums((home[reg[ok]].astype(np.int64) * 12 + mi[ok]) * len(present) + cls[ok],
                                          v[ok], r[ok], (nh, 12, len(present))),
                                   [home_dtype, months12, _cat_dtype([cls_all[j] for j in present])],
                                   ["region_id", "month", "terminal_class"])
    del ci, cls, ok

    def terminal_lines() -> pd.DataFrame:
        """A/B per terminal (li set: the rank among ``ab_pos``), C/D per region."""
        ab = np.flatnonzero(li >= 0)
        t_v, t_r = _sums(li[ab] * 12 + mi[ab], v[ab], r[ab], (nt, 12))
        t_reg = np.full(nt, -1, dtype=np.int64)
        t_reg[li[ab]] = reg[ab]  # the region the terminal's sales are recorded in
        ab_t, ab_m = np.nonzero((t_v != 0) | (t_r != 0))
        cd = np.flatnonzero(li <= -2)
        c_v, c_r = _sums(reg[cd] * 12 + mi[cd], v[cd], r[cd], (nr, 12))
        cd_reg, cd_m = np.nonzero((c_v != 0) | (c_r != 0))
        n_cd = len(cd_reg)
        return pd.DataFrame({
            "terminal_id": pd.Categorical.from_codes(np.concatenate([ab_t, np.full(n_cd, -1)]),
                                                     dtype=_cat_dtype(term_u[ab_pos])),
            "terminal_class": pd.Categorical.from_codes(np.concatenate([t_ab[ab_pos][ab_t], np.full(n_cd, 2)]),
                                                        dtype=pd.CategoricalDtype(["A", "B", CD_LINE])),
            "region_id": pd.Categorical.from_codes(np.concatenate([t_reg[ab_t], cd_reg]), dtype=reg_dtype),
            "month": months12.to_numpy()[np.concatenate([ab_m, cd_m])],
            "volume": np.concatenate([t_v[ab_t, ab_m], c_v[cd_reg, cd_m]]),
            "revenue": np.concatenate([t_r[ab_t, ab_m], c_r[cd_reg, cd_m]]),
        }, copy=False)

    terminals = terminal_lines()
    ly_key, ly_v, ly_r = home[reg].astype(np.int64) * 24 + 12 + mi, v, r
    del agg, reg, mi, li
    distributors = _distributor_frame(_grouping(last_agg, _GS_DIST, ["hi", "m", "dist"]), home_dtype, months12)

    # SKUs (the aggregate's rows are one per region, month and SKU: taken as they are) and product lines
    agg = _grouping(last_agg, _GS_SKUS, ["hi", "m", "si"])
    s_reg, s_mi, si = _agg_ints(agg, "hi"), _agg_ints(agg, "m"), _agg_ints(agg, "si")
    s_v, s_r = _agg_floats(agg, "v"), _agg_floats(agg, "r")
    nl = len(lines)
    line_of_sku = pd.Index(lines).get_indexer(prod.drop_duplicates("sku").set_index("sku")["product_line"]
                                              .reindex(skus)).astype(np.int64)
    product_lines = _dense_long(*_sums((s_reg * 12 + s_mi) * nl + line_of_sku[si], s_v, s_r, (nh, 12, nl)),
                                [home_dtype, months12, _cat_dtype(lines)], ["region_id", "month", "product_line"])
    s_nz = np.flatnonzero((s_v != 0) | (s_r != 0))
    sku_frame = pd.DataFrame({
        "region_id": pd.Categorical.from_codes(s_reg[s_nz], dtype=home_dtype),
        "month": months12.to_numpy()[s_mi[s_nz]],
        "sku": pd.Categorical.from_codes(si[s_nz], dtype=_cat_dtype(skus)),
        "volume": s_v[s_nz], "revenue": s_r[s_nz],
    }, copy=False)
    del agg, s_reg, s_mi, si, s_v, s_r

    # last, from the aggregate DuckDB has been computing meanwhile: the first year's months
    fy = first_agg.result()
    monthly = _dense_long(*_sums(np.concatenate([_agg_ints(fy, "hi") * 24 + _agg_ints(fy, "m"), ly_key]),
                                 np.concatenate([_agg_floats(fy, "v"), ly_v]),
                                 np.concatenate([_agg_floats(fy, "r"), ly_r]), (nh, 24)),
                          [home_dtype, months24], ["region_id", "month"])
    del ly_key, ly_v, ly_r

    in_scope = pc.and_(pc.is_in(terms.column("region_id"), value_set=pa.array(scope, pa.string())),
                       pa.array(t_ab >= 0))
    tl = terms.filter(in_scope).to_pandas()
    names = dict(zip(term_u, terms.column("name").to_pylist()))
    own = prod[prod["unit_variable_cost"].notna()]
    own = own if len(own) else prod
    unit_prices = own.groupby("product_line")["unit_price"].mean().rename("unit_price")
    by_sku = prod.drop_duplicates("sku").set_index("sku")
    sku_prices = by_sku["unit_price"].reindex(skus).rename("unit_price")
    sku_lines = by_sku["product_line"].reindex(skus).astype(object).rename("product_line")
    return AllocationHistory(
        plan_year=plan_year, monthly=monthly, product_lines=product_lines, channels=channels,
        terminal_classes=terminal_classes, terminals=terminals,
        terminal_list=tl[["terminal_id", "name", "region_id", "terminal_class"]],
        unit_prices=unit_prices, names=names, skus=sku_frame, distributors=distributors, sku_prices=sku_prices,
        level=level, sku_lines=sku_lines,
    )


def load_allocation_history(archive, tree: RegionTree, root: str, plan_year: int, *,
                            level: str = "county") -> AllocationHistory:
    """
    Read the history an allocation needs, aggregated in DuckDB.

    Parameters
    ----------
    archive : str, path-like or DuckDBPyConnection
        The archive (an open connection is left open).
    tree : RegionTree
        The region tree (``archive.load_tree``).
    root : str
        The region whose target is allocated; only its subtree is read.
    plan_year : int
        The plan year; the history is the two full calendar years before it.
    level : str, default "county"
        The deepest level the plan splits to. The months and the breakdowns (product
        lines, SKUs, channels, terminal classes, distributors) of regions below it are
        read summed into their ancestor at this level; the terminal lines stay by the
        region the sales are recorded in (a township's C/D terminals are its line).

    Returns
    -------
    AllocationHistory
        Text columns are categoricals (cheap on national data); the categories of
        ``channel`` and ``terminal_class`` are sorted.

    Raises
    ------
    HierarchyError
        An unknown root.
    ParamsError
        An unknown level.
    DataError
        No own monthly sales in the window.

    Notes
    -----
    Two aggregations of the sales table (own brand, ``grain = 'month'``: weekly rows
    repeat the monthly ones; SKUs of a known product line), joined to small code tables
    for region, terminal and SKU registered from Arrow. Last year's in one scan with four
    grouping sets: by recorded region, month and terminal line (an A/B terminal, the
    region's C/D terminals by class, or none; summed over the lines: the months and the
    terminal classes), and by the region at ``level``, month and channel, distributor (sales without one
    under :data:`DIRECT`) or SKU (the product lines are the SKUs' sums). Grouping at
    ``level`` rather than by the ~11k recorded regions halves the groups DuckDB builds
    on the national archive (15M sales rows). The first year's, by region at ``level``
    and month only, runs on a worker thread
    (its own cursor) while this one builds the frames from the first. Every key but the
    channel and the distributor is an integer code made in Python from the tree, the
    products and the terminals table, so the results (fetched as Arrow) need little
    string work; the frames of :class:`AllocationHistory` are dense bincounts of them
    (the SKUs and distributors: the aggregate's rows as they are), text columns
    categoricals over dtypes built once.
    """
    tree.check(root)
    if level not in LEVEL_DEPTH:
        raise ParamsError(f"unknown level {level!r}; valid levels: {', '.join(LEVEL_DEPTH)}")
    plan_year = int(plan_year)
    scope = list(tree.subtree(root))
    # the worker runs the first year's aggregate while this thread builds the other frames;
    # leaving the block waits for it, then closes the archive (if opened here)
    with OpenArchive(archive) as con, ThreadPoolExecutor(max_workers=1) as pool:
        prod, terms, codes, skus, home, last_agg, first_agg = _read_history(con, tree, scope, plan_year, level, pool)
        if last_agg.num_rows == 0 and first_agg.result().num_rows == 0:
            raise DataError(
                f"no own monthly sales for {root} in {plan_year - 2}–{plan_year - 1}: import sales for the two years "
                f"before the plan year {plan_year}"
            )
        return _history_frames(plan_year, scope, level, prod, terms, codes, skus, home, last_agg, first_agg)


# ---------------------------------------------------------------------------------------
# sparse, block-wise versions of split.fit_table / split.round_table
# ---------------------------------------------------------------------------------------
_SNAP = 1e-9


def _fit_cells(row, col, seed, r_tot, c_tot, *, tol=1e-9, max_iter=2000):
    """
    Biproportional fitting (IPF / RAS) of a sparse table given as cells.

    The same iteration as :func:`planlib.split.fit_table` (x_ij = a_i s_ij b_j), on many
    independent tables at once: rows and columns are global ids, and a table is any set
    of rows and columns linked by cells. Returns (x, converged_rows, converged_cols).
    """
    nr, nc = len(r_tot), len(c_tot)
    b = np.ones(nc)
    a = np.zeros(nr)
    x = seed
    r_tol = tol * np.maximum(1.0, np.abs(r_tot))
    c_tol = tol * np.maximum(1.0, np.abs(c_tot))
    ok_r = ok_c = None
    for _ in range(max_iter):
        rs = np.bincount(row, seed * b[col], nr)
        a = np.divide(r_tot, rs, out=np.zeros(nr), where=rs > 0)
        cs = np.bincount(col, seed * a[row], nc)
        b = np.divide(c_tot, cs, out=np.zeros(nc), where=cs > 0)
        x = seed * a[row] * b[col]
        ok_r = np.abs(np.bincount(row, x, nr) - r_tot) <= r_tol
        ok_c = np.abs(np.bincount(col, x, nc) - c_tot) <= c_tol
        if ok_r.all() and ok_c.all():
            break
    return x, ok_r, ok_c


def _round_cells(row, col, x, r_units, c_units):
    """
    Controlled rounding of a sparse fitted table (cells in units): every row and column exact.

    The transportation network of :func:`planlib.split.round_table` over all tables at
    once (they share only the source and the sink, so one maximum flow saturates each).
    """
    nr, nc = len(r_units), len(c_units)
    near = np.rint(x)
    x = np.where(np.abs(x - near) <= _SNAP * np.maximum(1.0, np.abs(x)), near, x)
    base = np.floor(x).astype(np.int64)
    frac = x - base
    need_r = r_units - np.bincount(row, base, nr).astype(np.int64)
    need_c = c_units - np.bincount(col, base, nc).astype(np.int64)
    if (need_r < 0).any() or (need_c < 0).any() or need_r.sum() != need_c.sum():
        raise SplitError("internal: the fitted table's margins are off their totals; it cannot be rounded")
    out = base.copy()
    if need_r.sum() == 0:
        return out
    # only a fractional cell whose row and column both still need units can take one
    cells = np.flatnonzero((frac > 0) & (need_r[row] > 0) & (need_c[col] > 0))
    cell_key = row[cells].astype(np.int64) * nc + col[cells]
    if len(cell_key) > 1 and not (cell_key[1:] > cell_key[:-1]).all():  # most callers give row-major order
        order = np.argsort(cell_key, kind="stable")
        cells, cell_key = cells[order], cell_key[order]
    # the network in CSR form, built directly: source -> rows -> (cells) -> columns -> sink,
    # each node's edges sorted by head (cells are row-major, so by column within a row)
    src, sink = 0, nr + nc + 1
    r_open, c_open = np.flatnonzero(need_r > 0), np.flatnonzero(need_c > 0)
    counts = np.concatenate([[len(r_open)], np.bincount(row[cells], minlength=nr), need_c > 0, [0]])
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    indices = np.concatenate([1 + r_open, 1 + nr + col[cells], np.full(len(c_open), sink)]).astype(np.int32)
    data = np.concatenate([need_r[r_open], np.ones(len(cells), dtype=np.int64), need_c[c_open]]).astype(np.int32)
    graph = csr_matrix((data, indices, indptr), shape=(sink + 1, sink + 1))
    res = maximum_flow(graph, src, sink, method="dinic")
    if res.flow_value != need_r.sum():
        raise SplitError(
            f"controlled rounding placed {res.flow_value} of {need_r.sum()} units: the table's margins disagree"
        )
    flow = coo_matrix(res.flow)
    sel = (flow.data > 0) & (flow.row >= 1) & (flow.row <= nr) & (flow.col > nr) & (flow.col <= nr + nc)
    up_key = (flow.row[sel].astype(np.int64) - 1) * nc + (flow.col[sel].astype(np.int64) - 1 - nr)
    hit = np.searchsorted(cell_key, up_key)
    out[cells[hit]] += 1
    return out


def _fit_and_round(block, row, col, seed, r_units, c_units, what: str) -> np.ndarray:
    """
    Fit cells to integer margins and round them, every row and column exact.

    ``block`` is the table id of each cell. Rows (columns) with a positive total but no
    seed are seeded evenly over their table's positive columns (rows), as
    :func:`planlib.split.fit_table` does, with a PlanWarning; a table whose seed zeros
    leave its margins unreachable is refitted with a 10 % independence prior
    (x_ij ∝ r_i c_j) mixed into its seed, with a PlanWarning.
    """
    r = r_units.astype(float)
    c = c_units.astype(float)
    seed = seed.astype(float).copy()
    nr, nc = len(r), len(c)
    rs = np.bincount(row, seed, nr)
    empty_r = (r > 0) & (rs == 0)
    cs = np.bincount(col, seed, nc)
    empty_c = (c > 0) & (cs == 0)
    if empty_r.any() or empty_c.any():
        fill = (empty_r[row] & (c[col] > 0)) | (empty_c[col] & (r[row] > 0))
        seed[fill] = 1.0
        n_r, n_c = int(empty_r.sum()), int(empty_c.sum())
        warnings.warn(
            f"{what}: {n_r} row(s) and {n_c} column(s) have a target but no history: spread evenly",
            PlanWarning, stacklevel=3,
        )
    x, ok_r, ok_c = _fit_cells(row, col, seed, r, c)
    if not (ok_r.all() and ok_c.all()):
        bad = np.zeros(int(block.max()) + 1, dtype=bool)
        bad[block[~ok_r[row] | ~ok_c[col]]] = True
        # independence prior per table: r_i * c_j / the table's total
        block_of_row = np.zeros(nr, dtype=np.int64)
        block_of_row[row] = block
        row_total_in_block = np.bincount(block_of_row, r, len(bad))
        prior = r[row] * c[col] / np.where(row_total_in_block[block] > 0, row_total_in_block[block], 1.0)
        mix = bad[block]
        s_sum = np.bincount(block, seed, len(bad))
        p_sum = np.bincount(block, prior, len(bad))
        scale = np.divide(s_sum, p_sum, out=np.ones(len(bad)), where=p_sum > 0)
        seed = np.where(mix, 0.9 * seed + 0.1 * prior * scale[block], seed)
        warnings.warn(
            f"{what}: {int(bad.sum())} table(s) could not reach their margins from last year's pattern; "
            "refitted with a 10% even prior",
            PlanWarning, stacklevel=3,
        )
        x, ok_r, ok_c = _fit_cells(row, col, seed, r, c, max_iter=5000)
        if not (ok_r.all() and ok_c.all()):
            raise SplitError(f"{what}: the table did not fit its margins")
    return _round_cells(row, col, x, r_units.astype(np.int64), c_units.astype(np.int64))


def _split_groups(group, weights, totals, n_groups, labels_rank, what: str) -> np.ndarray:
    """
    Largest-remainder split of each group's integer total over its members (vectorised
    :func:`planlib.split.round_to_total`); a group with no weight splits evenly (warned).
    """
    w = np.asarray(weights, dtype=float)
    wsum = np.bincount(group, w, n_groups)
    totals = np.asarray(totals, dtype=np.int64)
    zero = (wsum == 0) & (totals > 0)
    if zero.any():
        w = np.where(zero[group], 1.0, w)
        wsum = np.bincount(group, w, n_groups)
        present = np.bincount(group, minlength=n_groups) > 0
        n = int((zero & present).sum())
        if n:
            warnings.warn(f"{what}: {n} region(s) with a target but no history: split evenly", PlanWarning,
                          stacklevel=3)
    q = np.divide(totals[group] * w, wsum[group], out=np.zeros(len(w)), where=wsum[group] > 0)
    near = np.rint(q)
    q = np.where(np.abs(q - near) <= _SNAP * np.maximum(1.0, q), near, q)
    base = np.floor(q).astype(np.int64)
    short = totals - np.bincount(group, base, n_groups).astype(np.int64)
    rem = np.round(q - base, 9)
    order = np.lexsort((labels_rank, -rem, group))
    g_sorted = group[order]
    start = np.searchsorted(g_sorted, np.arange(n_groups))
    pos = np.arange(len(order)) - start[g_sorted]
    up = np.zeros(len(w), dtype=np.int64)
    up[order[pos < short[g_sorted]]] = 1
    return base + up


# ---------------------------------------------------------------------------------------
# the allocation
# ---------------------------------------------------------------------------------------
def _festival_groups(plan_year: int) -> list[list[int]]:
    """Month groups (0-based) touched by a moving holiday's window last year or in the plan year."""
    win = cal.holiday_windows([plan_year - 1, plan_year])
    win = win[win["holiday"].isin(MOVING_HOLIDAYS)]
    groups: list[set[int]] = []
    for holiday in MOVING_HOLIDAYS:
        months: set[int] = set()
        for start, end in win.loc[win["holiday"] == holiday, ["start", "end"]].itertuples(index=False):
            m, e = (start.year, start.month), (end.year, end.month)
            while m <= e:
                if m[0] in (plan_year - 1, plan_year):
                    months.add(m[1] - 1)
                m = (m[0] + m[1] // 12, m[1] % 12 + 1)
        if len(months) > 1:
            months = set(range(min(months), max(months) + 1))
            for g in groups:
                if g & months:
                    g |= months
                    break
            else:
                groups.append(months)
    return [sorted(g) for g in groups]


def _festival_free(profile: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    """Each month group replaced by its mean (last axis = 12 months): the holiday's timing removed."""
    out = profile.astype(float).copy()
    for g in groups:
        out[..., g] = out[..., g].mean(axis=-1, keepdims=True)
    return out


def _check_month_shares(month_shares) -> np.ndarray:
    s = pd.Series(month_shares)
    if sorted(int(i) for i in s.index) != list(range(1, 13)):
        raise ParamsError(f"month_shares must be indexed by the months 1..12, got {list(s.index)}")
    s.index = s.index.astype(int)
    arr = s.sort_index().to_numpy(dtype=float, na_value=np.nan)
    if (~np.isfinite(arr)).any() or (arr < 0).any() or arr.sum() <= 0:
        raise SplitError("month_shares must be non-negative numbers with a positive sum")
    if abs(arr.sum() - 1.0) > 1e-6:
        raise SplitError(f"month_shares must sum to 1, they sum to {arr.sum():.6g}")
    return arr


class _Nodes:
    """The planned regions (tree order) with index arrays for roll-ups."""

    def __init__(self, tree: RegionTree, frame: pd.DataFrame, root: str, deepest: str):
        self.ids = frame["region_id"].to_numpy(dtype=object)
        self.categories = pd.Index(self.ids, dtype=object)  # one Index shared by every part's region column
        self.pos = {rid: i for i, rid in enumerate(self.ids)}
        self.level = frame["level"].to_numpy(dtype=object)
        self.depth = np.array([LEVEL_DEPTH[lv] for lv in self.level])
        self.parent = np.array([self.pos.get(p, -1) for p in frame["parent_id"]], dtype=np.int64)
        self.parent[0] = -1
        self.n = len(self.ids)
        self.leaf = np.ones(self.n, dtype=bool)  # planned units: no planned children
        self.leaf[self.parent[self.parent >= 0]] = False
        self.rank = np.empty(self.n, dtype=np.int64)
        self.rank[np.argsort(self.ids.astype(str), kind="stable")] = np.arange(self.n)
        # each region of the subtree -> its deepest planned ancestor-or-self
        self.home: dict[str, int] = {}
        parents = tree.parents
        for rid in tree.subtree(root):
            r = rid
            while r is not None and r not in self.pos:
                r = parents[r]
            self.home[rid] = self.pos[r] if r is not None else 0

    def index_of(self, region_ids: pd.Series) -> np.ndarray:
        codes, uniq = pd.factorize(region_ids)
        m = np.array([self.home.get(u, -1) for u in uniq], dtype=np.int64)
        out = m[codes] if len(codes) else np.zeros(0, dtype=np.int64)
        return np.where(codes < 0, -1, out)

    def roll_up(self, arr: np.ndarray) -> np.ndarray:
        """Sum values recorded at home nodes into every ancestor (first axis = nodes)."""
        out = arr.copy()
        for dep in sorted(set(self.depth.tolist()), reverse=True):
            kids = np.flatnonzero((self.depth == dep) & (self.parent >= 0))
            np.add.at(out, self.parent[kids], out[kids])
        return out


def _month_index(months: pd.Series) -> np.ndarray:
    return pd.DatetimeIndex(months).month.to_numpy() - 1


def _dim_cube(frame: pd.DataFrame, dim: str, nodes: _Nodes, values=None, *, rolled: bool = True):
    """Node x 12 x value arrays of last year's volume and revenue, rolled up the tree (or each node's own)."""
    ni = nodes.index_of(frame["region_id"])
    keep = ni >= 0
    f = frame[keep]
    vals = np.asarray(sorted(pd.unique(f[dim].dropna())) if values is None else values, dtype=object)
    vpos = {v: i for i, v in enumerate(vals)}
    vi = f[dim].map(vpos).to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(vi)
    key = (ni[keep][ok] * 12 + _month_index(f["month"])[ok]) * len(vals) + vi[ok].astype(np.int64)
    size = nodes.n * 12 * len(vals)
    vol = np.bincount(key, f["volume"].to_numpy(dtype=float)[ok], size).reshape(nodes.n, 12, len(vals))
    rev = np.bincount(key, f["revenue"].to_numpy(dtype=float)[ok], size).reshape(nodes.n, 12, len(vals))
    return (vals, nodes.roll_up(vol), nodes.roll_up(rev)) if rolled else (vals, vol, rev)


def _pushed_down(own: np.ndarray, nodes: _Nodes, annual: np.ndarray) -> np.ndarray:
    """
    Each node's own history with a parent's own (sales recorded at the parent itself, e.g.
    a city's key accounts) handed down to its planned units by their targets' shares.
    """
    out = own.copy()
    parents = np.flatnonzero(~nodes.leaf)
    if not out[parents].any():
        return out
    kids_of = {}
    for i in np.flatnonzero(nodes.parent >= 0):
        kids_of.setdefault(int(nodes.parent[i]), []).append(i)
    for p in sorted(parents, key=lambda i: nodes.depth[i]):  # parents before their children
        if not out[p].any():
            continue
        kids = np.asarray(kids_of[int(p)])
        w = annual[kids].astype(float)
        w = w / w.sum() if w.sum() > 0 else np.full(len(kids), 1.0 / len(kids))
        out[kids] += out[p][None] * w.reshape((-1,) + (1,) * (out.ndim - 1))
        out[p] = 0.0
    return out


def _price(vol: np.ndarray, rev: np.ndarray, fallback) -> np.ndarray:
    """Realised price rev / vol where volume is positive, else the fallback (broadcast)."""
    fb = np.broadcast_to(np.asarray(fallback, dtype=float), vol.shape)
    return np.where(vol > 0, rev / np.where(vol > 0, vol, 1.0), fb)


def _history_at(monthly: pd.DataFrame, tree: RegionTree, root: str, depth: int) -> pd.DataFrame:
    """Tidy region_id, month, value history of the root's subtree, rolled up to ``depth`` (no deeper)."""
    home = {}
    levels, parents = tree.levels, tree.parents
    for rid in tree.subtree(root):
        r = rid
        while LEVEL_DEPTH[levels[r]] > depth:
            r = parents[r]
        home[rid] = r
    codes, uniq = pd.factorize(monthly["region_id"])
    mapped = np.array([home.get(u) for u in uniq], dtype=object)
    ok = np.array([m is not None for m in mapped], dtype=bool)
    if len(codes) == 0 or not ok.any():
        return pd.DataFrame({"region_id": pd.Series([], dtype=object), "month": pd.Series([], dtype="datetime64[ns]"),
                             "value": pd.Series([], dtype=float)})
    targets, tcodes = np.unique(mapped[ok].astype(str), return_inverse=True)
    to_target = np.full(len(uniq), -1, dtype=np.int64)
    to_target[np.flatnonzero(ok)] = tcodes
    t = np.where(codes >= 0, to_target[np.maximum(codes, 0)], -1)
    keep = t >= 0
    mcodes, months = pd.factorize(pd.DatetimeIndex(monthly["month"]))
    key = t[keep] * len(months) + mcodes[keep]
    vals = np.bincount(key, monthly["volume"].to_numpy(dtype=float)[keep], len(targets) * len(months))
    nz = np.flatnonzero(vals)
    return pd.DataFrame({"region_id": targets[nz // len(months)].astype(object),
                         "month": months[nz % len(months)], "value": vals[nz]})


def _region_totals(tree, history_frame, *, root, total, method, unit, deepest, floor, holds,
                   last_year_start, weights=None, potential=None, cap=None):
    """Annual totals per planned region: split_down, or constrain_split level by level."""
    h = history_frame
    extra = {}
    if weights:
        extra["weights"] = dict(weights)
    if potential is not None:
        extra["potential"] = potential
    if floor is None and not holds and cap is None:
        return split_down(tree, total, h, method=method, unit=unit, levels=deepest, root=root, **extra)
    # the constrained path: shares by method per parent, then floors, caps and holds
    frame_ids = []
    start_level = LEVEL_DEPTH[deepest]
    levels, parents = tree.levels, tree.parents
    order = [r for r in tree.subtree(root) if LEVEL_DEPTH[levels[r]] <= start_level]
    # every planned region's subtree history as one dense region x month matrix (the months
    # of the whole history: the window every parent uses, as in split_down)
    row_of = {r: i for i, r in enumerate(order)}
    by_region = h.groupby(["region_id", "month"], observed=True)["value"].sum()
    months = pd.DatetimeIndex(sorted(pd.unique(by_region.index.get_level_values(1)))) if len(by_region) \
        else pd.DatetimeIndex([])
    roll = np.zeros((len(order), len(months)))
    if len(by_region):
        # each fact counts for its region and every planned ancestor: expand by the chains
        code, uniq = pd.factorize(by_region.index.get_level_values(0))
        chains = [[row_of[a] for a in (r, *tree.ancestors(r)) if a in row_of] for r in uniq]
        lens = np.array([len(c) for c in chains], dtype=np.int64)
        flat = np.array([i for c in chains for i in c], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lens)[:-1]])
        n_each = lens[code]
        entry = np.repeat(np.arange(len(code)), n_each)
        within = np.arange(n_each.sum()) - np.repeat(np.cumsum(n_each) - n_each, n_each)
        rows = flat[offsets[code][entry] + within]
        cols = pd.Index(months).get_indexer(by_region.index.get_level_values(1))[entry]
        vals = by_region.to_numpy(dtype=float)[entry]
        roll = np.bincount(rows * len(months) + cols, weights=vals,
                           minlength=len(order) * len(months)).reshape(len(order), len(months))
    last_cols = months >= last_year_start
    holds = dict(holds or {})
    unknown = [k for k in holds if k not in set(order) or k == root]
    if unknown:
        raise ParamsError(f"holds name regions that are not planned below {root}: {', '.join(map(str, unknown))}")

    cores = {"proportion_averages": _pa_core, "average_proportions": _ap_core}
    target = {root: int(total)}
    for rid in order:
        frame_ids.append((rid, parents[rid], levels[rid], target[rid]))
        kids = [k for k in tree.children(rid) if LEVEL_DEPTH[levels[k]] <= start_level]
        if not kids:
            continue
        y = roll[[row_of[k] for k in kids]]
        if method in cores:
            shares = pd.Series(cores[method](y, kids, months), index=pd.Index(kids, dtype=object), name="share")
        elif method == "equal":
            shares = shares_for("equal", children=kids)
        else:  # potential, blend: the general path on this parent's tidy history
            tidy = pd.DataFrame({"child": np.repeat(np.asarray(kids, dtype=object), len(months)),
                                 "month": np.tile(months.to_numpy(), len(kids)), "value": y.ravel()})
            pot = None if potential is None else potential.reindex(kids).fillna(0.0)
            shares = shares_for(method, tidy, children=kids, weights=extra.get("weights"), potential=pot,
                                window=(months[0], months[-1]) if len(months) else None)
        kid_idx = pd.Index(kids, dtype=object)
        ly = y[:, last_cols].sum(axis=1)
        kid_holds = {k: holds[k] for k in kids if k in holds}
        if float(shares.sum()) == 0 and len(kids) > 1 and target[rid] > 0 and not kid_holds:
            warnings.warn(f"no basis to split {rid} by {method} (no history): split evenly over {len(kids)} children",
                          PlanWarning, stacklevel=3)
            shares = pd.Series(1.0, index=shares.index)
        kid_cap = None
        if cap is not None and potential is not None:
            known = potential.reindex(kids).dropna()
            kid_cap = (known * cap // unit * unit) if len(known) else None
        try:
            s = shares.reindex(kid_idx).to_numpy(dtype=float)
            hi = np.full(len(kids), np.inf) if kid_cap is None else kid_cap.reindex(kid_idx).fillna(np.inf).to_numpy()
            if kid_holds or not (np.isfinite(s).all() and (s >= 0).all() and (hi >= 0).all()):
                # holds (each checked against its own bounds), or bad inputs: the checked public path
                split = constrain_split(target[rid], shares, last_year=pd.Series(ly, index=kid_idx)
                                        if floor is not None else None, floor=floor, cap=kid_cap,
                                        holds=kid_holds or None, unit=unit)
                target.update({k: int(v) for k, v in split.items()})
            else:  # floors and caps only: constrain_split's core on arrays (no pandas per parent)
                lo_k, hi_k = _unit_bounds((1.0 - floor) * ly if floor is not None else np.zeros(len(kids)), hi, unit)
                k = _constrain_units(target[rid] // unit, s, lo_k, hi_k, np.zeros(len(kids), dtype=bool),
                                     np.zeros(len(kids), dtype=np.int64), kid_idx, unit)
                target.update(zip(kids, (k * unit).tolist()))
        except SplitError as exc:
            raise SplitError(f"splitting {rid} ({tree.name(rid)}, target {target[rid]:,}) over its children: {exc}; "
                             "loosen split.floor / split.cap / split.holds for it") from None
    out = pd.DataFrame(frame_ids, columns=["region_id", "parent_id", "level", "target"])
    out["target"] = out["target"].astype(np.int64)
    return out


def allocate_plan(
    history: AllocationHistory,
    tree: RegionTree,
    *,
    root: str,
    total_volume: int,
    month_shares: pd.Series,
    plan_year: int,
    method: str = "proportion_averages",
    levels=("province", "city", "county"),
    unit: int = 1,
    floor: float | None = None,
    holds: Mapping[str, int] | None = None,
    weights: Mapping[str, float] | None = None,
    potential: pd.Series | None = None,
    cap: float | None = None,
) -> pd.DataFrame:
    """
    Allocate a volume target down the pyramid to regions, months, breakdowns and terminals.

    Parameters
    ----------
    history : AllocationHistory
        From :func:`load_allocation_history` (or built by hand).
    tree : RegionTree
        The region tree.
    root : str
        The region whose target this is (HQ, or any region for its own subtree).
    total_volume : int
        The root's annual volume target, a multiple of ``unit``.
    month_shares : Series
        The plan year's seasonal profile, indexed 1..12, summing to 1.
    plan_year : int
        The plan year; ``month`` is the first of each month of it.
    method : str, default "proportion_averages"
        Share method for the regions (``split.SPLIT_METHODS``), on the two years of history.
    levels : sequence of str, default ("province", "city", "county")
        Levels to split to; levels at or above the root are skipped; the deepest one named
        is the last level split (terminals are allocated when it is ``county``).
    unit : int, default 1
        Rounding unit of every volume.
    floor : float, optional
        Largest shrink against last year allowed to any region (0.1 = at most 10 % below),
        applied per parent's children by :func:`split.constrain_split`.
    holds : dict, optional
        Region id -> fixed annual volume (a manager's number); its siblings share the rest.
    weights : dict, optional
        For ``method="blend"``: method name -> weight (:func:`split.shares_for`).
    potential : Series, optional
        Each region's potential volume (region id -> volume, e.g. its category market ×
        the largest share thought attainable); the basis of ``method="potential"`` and of
        ``cap``. Regions missing from it have no potential and no cap.
    cap : float, optional
        No region is asked for more than ``cap`` × its potential (1.0: not beyond it),
        applied per parent's children by :func:`split.constrain_split`; the excess is
        re-spread over the siblings below their caps.

    Returns
    -------
    DataFrame
        The targets table of DESIGN.md §4 (:data:`TARGET_COLUMNS`): for every planned
        region and month one total row (bracketed columns empty), then its breakdowns by
        product_line, sku, channel and terminal_class (one dimension per row, every value
        of the dimension), by distributor_id (one line per distributor the region sold
        through last year, :data:`DIRECT` for sales without one), and at county
        level one row per A/B terminal (``terminal_id`` set) and per township's C/D
        terminals (``terminal_class`` ``"CD"``, ``region_id`` the township).
        ``last_year_volume`` is last year's actual of the same line and month; ``share``
        the line's share used for its annual split (of its parent region, of its region's
        total for a breakdown value, of its county for a terminal line).

    Raises
    ------
    ParamsError
        Unknown method or level, a hold on a region that is not planned, a bad unit or
        month_shares index.
    SplitError
        Infeasible floors/holds (the message names them and by how much); a month_shares
        that does not sum to 1.
    HierarchyError
        Unknown root.

    Warns
    -----
    PlanWarning
        A parent (or planned unit, for a breakdown) with a target but no history: split
        evenly; a breakdown's history recorded above the planned units that cannot be
        handed down (distributors); a child opened during the history window.

    Notes
    -----
    *Regions.* T_c = split of T_parent by shares p_c (method over the two-year window);
    with ``floor``/``holds`` by ``constrain_split`` per parent.

    *Months.* Root: M_m = round_to_total(T x s_m). For each parent P and its children C the
    table x_cm is fitted (IPF) to rows T_c and columns M_{P,m} from the seed
    y_cm = child c's last-year month m with the moving holidays' months pooled
    (Spring Festival and Mid-Autumn: each group of months their windows touch, last year or
    in the plan year, replaced by its mean, so last year's festival timing does not override
    the plan year's in ``month_shares``), then rounded with both margins exact. Levels are
    processed top-down, so each child's months are its parent's exact months.

    *Breakdowns* (SKU, channel, terminal class, distributor; terminal lines per county):
    per planned unit u (a region without planned children), A_uv = largest-remainder split
    of T_u by last year's mix w_uv (its own history plus what its ancestors recorded
    themselves, handed down by the targets' shares); then its months x values table is
    fitted to rows M_um and columns A_uv from the pooled last-year seed and rounded with
    both margins exact. A parent's lines are its children's sums, so every level adds up
    in every month and value; product lines are their SKUs' sums.

    *Revenue* = volume x the line's realised price last year (revenue / volume of the same
    unit and value; a terminal's own; else the catalogue's ``unit_price`` for a SKU, else
    the region's), rounded to 0.01 per row at the planned units; a parent's rows and a
    product line's are sums of those, so revenue adds up the pyramid to the cent.

    All tables are solved at once per level (sparse IPF and one maximum-flow rounding over
    all of them), the same algorithms as ``split.fit_table`` and ``split.round_table``.
    """
    if method != "blend" and method not in SPLIT_METHODS:
        raise ParamsError(f"unknown split method {method!r}; valid methods: {', '.join(SPLIT_METHODS)}")
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)) or unit < 1:
        raise ParamsError(f"unit must be a positive whole number of cases, got {unit!r}")
    if cap is not None and (potential is None or not cap > 0):
        raise ParamsError(f"cap {cap!r} needs a positive value and each region's potential (none given)"
                          if potential is None else f"cap must be a positive fraction of potential, got {cap!r}")
    if method == "potential" and potential is None:
        raise ParamsError("method 'potential' needs each region's potential (the market table gives it)")
    unit = int(unit)
    tree.check(root)
    plan_year = int(plan_year)
    if history.plan_year != plan_year:
        raise ParamsError(f"the history was read for plan year {history.plan_year}, not {plan_year}")
    root_depth = LEVEL_DEPTH[tree.level(root)]
    bad = [lv for lv in levels if lv not in LEVEL_DEPTH]
    if bad:
        raise ParamsError(f"unknown level(s) {bad}; valid levels: {', '.join(LEVEL_DEPTH)}")
    below = [lv for lv in levels if LEVEL_DEPTH[lv] > root_depth]
    deepest = max(below, key=LEVEL_DEPTH.get) if below else tree.level(root)
    if history.level is not None and LEVEL_DEPTH[history.level] < LEVEL_DEPTH[deepest]:
        raise ParamsError(
            f"the history's breakdowns were read summed to the {history.level} level, but the plan splits to "
            f"{deepest}: read it with load_allocation_history(..., level={deepest!r})"
        )
    if floor is not None and not (isinstance(floor, (int, float)) and 0.0 <= float(floor) <= 1.0):
        raise SplitError(f"floor must be a fraction between 0 and 1 (0.1 = at most 10% below last year), got {floor!r}")
    shares = _check_month_shares(month_shares)
    if int(total_volume) != total_volume or int(total_volume) % unit or total_volume < 0:
        raise SplitError(f"total_volume {total_volume!r} must be a non-negative whole multiple of the unit {unit}")
    total = int(total_volume)
    groups = _festival_groups(plan_year)
    months = pd.DatetimeIndex([pd.Timestamp(plan_year, m, 1) for m in range(1, 13)])
    ly_start = pd.Timestamp(plan_year - 1, 1, 1)

    # -- 1. annual totals per region ------------------------------------------------------
    hist = _history_at(history.monthly, tree, root, LEVEL_DEPTH[deepest])
    plan = _region_totals(tree, hist, root=root, total=total, method=method, unit=unit, deepest=deepest,
                          floor=floor, holds=holds, last_year_start=ly_start, weights=weights,
                          potential=potential, cap=cap)
    nodes = _Nodes(tree, plan, root, deepest)
    annual = plan["target"].to_numpy(dtype=np.int64) // unit  # in units from here on

    # last year per node x month (volume, revenue), rolled up
    ly_rows = history.monthly[pd.DatetimeIndex(history.monthly["month"]).year == plan_year - 1]
    ni = nodes.index_of(ly_rows["region_id"])
    keep = ni >= 0
    key = ni[keep] * 12 + _month_index(ly_rows["month"])[keep]
    ly_vol = nodes.roll_up(np.bincount(key, ly_rows["volume"].to_numpy(dtype=float)[keep], nodes.n * 12)
                           .reshape(nodes.n, 12))
    ly_rev = nodes.roll_up(np.bincount(key, ly_rows["revenue"].to_numpy(dtype=float)[keep], nodes.n * 12)
                           .reshape(nodes.n, 12))

    # -- 2. region x month ----------------------------------------------------------------
    mon = np.zeros((nodes.n, 12), dtype=np.int64)
    mon[0] = round_to_total(shares, annual[0])
    seed_all = _festival_free(ly_vol, groups)
    for dep in sorted(set(nodes.depth[1:].tolist())):
        kids = np.flatnonzero(nodes.depth == dep)
        par = nodes.parent[kids]
        upar, pblock = np.unique(par, return_inverse=True)
        row = np.repeat(np.arange(len(kids)), 12)
        col = (pblock[:, None] * 12 + _MONTHS[None, :] - 1).ravel()
        cells = _fit_and_round(np.repeat(pblock, 12), row, col, seed_all[kids].ravel(), annual[kids],
                               mon[upar].ravel(), f"months of the {LEVEL_NAMES.get(nodes.level[kids[0]])} level")
        mon[kids] = cells.reshape(len(kids), 12)

    parts = []
    parent_annual = np.where(nodes.parent >= 0, annual[np.maximum(nodes.parent, 0)], annual)
    region_share = np.divide(annual, parent_annual, out=np.ones(nodes.n), where=parent_annual > 0)
    fallback_price = float(history.unit_prices.mean()) if len(history.unit_prices) else 0.0
    region_price = _price(ly_vol.sum(axis=1), ly_rev.sum(axis=1), np.nan)
    # a region with no realised price takes its nearest ancestor's, else the catalogue's
    for i in range(nodes.n):
        if not np.isfinite(region_price[i]):
            p = nodes.parent[i]
            region_price[i] = region_price[p] if p >= 0 and np.isfinite(region_price[p]) else fallback_price
    node_cat = pd.Categorical.from_codes(np.arange(nodes.n), categories=nodes.categories)
    # revenue of the totals: a region planned as a unit (no planned children) at its own
    # realised price, in cents; a parent's is its children's sum, so it adds up like volume
    revenue = np.where(nodes.leaf[:, None], np.round(mon * unit * region_price[:, None], 2), 0.0)
    revenue = np.round(nodes.roll_up(revenue), 2)
    parts.append(_rows(node_cat, nodes.level, months, mon * unit, revenue, ly_vol,
                       np.repeat(region_share[:, None], 12, axis=1)))

    # -- 3. breakdowns, 4. terminals (county level) --------------------------------------
    dense = {}
    for dim, frame in (("sku", history.skus), ("product_line", history.product_lines), ("channel", history.channels),
                       ("terminal_class", history.terminal_classes)):
        if frame is None:  # a hand-built history without this dimension
            continue
        if dim == "product_line" and dense.get("sku") is not None and history.sku_lines is not None:
            # the product lines are their SKUs' sums, so the two breakdowns agree cell by cell
            dense[dim] = _lines_of_skus(dense["sku"], history.sku_lines, frame, nodes, annual, unit, months)
        else:
            dense[dim] = _dense_breakdown(frame, dim, nodes, annual, mon, unit, months, groups, region_price,
                                          {"product_line": history.unit_prices, "sku": history.sku_prices}.get(dim),
                                          fallback_price)
    parts.extend(dense[d][0] for d in ("product_line", "sku", "channel", "terminal_class") if dense.get(d) is not None)
    if history.distributors is not None:
        # thousands nationally, each in a few regions -- sparse (region, distributor) lines
        dist_part = _sparse_breakdown(history.distributors, "distributor_id", nodes, annual, mon, unit, months,
                                      groups, region_price)
        if dist_part is not None:
            parts.append(dist_part)
    if deepest == "county":
        term_part = _terminal_rows(history, tree, nodes, annual, mon, unit, months, groups, region_price)
        if term_part is not None:
            parts.append(term_part)
    return _assemble(parts)


def _dense_breakdown(frame, dim, nodes, annual, mon, unit, months, groups, region_price, catalogue,
                     fallback_price):
    """
    One line per (region, value) of a dimension with few values (product lines, SKUs,
    channels, terminal classes): (the rows, (values, cells, revenue)) with the node x month
    x value cells in units and their revenue in cents; None (warned) when the dimension
    has no history.

    Each planned unit (a region without planned children) is split by its own last-year
    mix, exact to its months and to its annual split; a parent's lines are its children's
    sums, so every level adds up in every month and value, like the region totals.
    """
    vals, own_vol, own_rev = _dim_cube(frame, dim, nodes, rolled=False)
    if len(vals) == 0:
        warnings.warn(f"no {dim} history: no {dim} breakdown", PlanWarning, stacklevel=3)
        return None
    nv = len(vals)
    vol = nodes.roll_up(own_vol)  # last year per node, for the basis column
    # the units' seeds: their own history, plus what their ancestors recorded themselves
    # handed down by the targets' shares (so a city's own key accounts keep their channel)
    unit_vol, unit_rev = _pushed_down(own_vol, nodes, annual), _pushed_down(own_rev, nodes, annual)
    units = np.flatnonzero(nodes.leaf)
    nu = len(units)
    mix = unit_vol[units].sum(axis=1)  # unit x value
    a_u = _split_groups(np.repeat(np.arange(nu), nv), mix.ravel(), annual[units], nu, np.tile(np.arange(nv), nu),
                        f"{dim} split").reshape(nu, nv)
    row = np.repeat(np.arange(nu * 12), nv)  # (unit, month) rows
    col = (np.arange(nu)[:, None, None] * nv + np.zeros((1, 12, 1), dtype=np.int64)
           + np.arange(nv)[None, None, :]).ravel()
    seed = _festival_free(np.moveaxis(unit_vol[units], 1, 2), groups)  # unit x value x month
    seed = np.moveaxis(seed, 2, 1).ravel()
    cells_u = _fit_and_round(np.repeat(np.arange(nu), 12 * nv), row, col, seed, mon[units].ravel(), a_u.ravel(),
                             f"{dim} by month").reshape(nu, 12, nv)
    fb = catalogue.reindex(vals).to_numpy(dtype=float) if catalogue is not None else None
    if fb is None or np.isnan(fb).all():
        fb = np.repeat(region_price[units][:, None], nv, axis=1)[:, None, :]
    else:
        fb = np.where(np.isnan(fb), fallback_price, fb)[None, None, :]
    price = _price(np.repeat(unit_vol[units].sum(axis=1)[:, None, :], 12, axis=1),
                   np.repeat(unit_rev[units].sum(axis=1)[:, None, :], 12, axis=1),
                   np.broadcast_to(fb, (nu, 12, nv)))
    # the units' lines, then every parent's as its children's sums (volume, revenue in cents)
    cells = np.zeros((nodes.n, 12, nv), dtype=np.int64)
    cells[units] = cells_u
    cells = nodes.roll_up(cells)
    revenue = np.zeros((nodes.n, 12, nv))
    revenue[units] = np.round(cells_u * unit * price, 2)
    revenue = np.round(nodes.roll_up(revenue), 2)
    a = cells.sum(axis=1)
    share = np.divide(a, annual[:, None], out=np.zeros(a.shape), where=annual[:, None] > 0)
    region = pd.Categorical.from_codes(np.repeat(np.arange(nodes.n), nv), categories=nodes.categories)
    part = _rows(region, np.repeat(nodes.level, nv), months,
                 np.moveaxis(cells, 2, 1).reshape(-1, 12) * unit,
                 np.moveaxis(revenue, 2, 1).reshape(-1, 12),
                 np.moveaxis(vol, 2, 1).reshape(-1, 12),
                 np.repeat(share.reshape(-1, 1), 12, axis=1),
                 **{dim: pd.Categorical.from_codes(np.tile(np.arange(nv), nodes.n),
                                                   categories=pd.Index(vals, dtype=object))})
    return part, (vals, cells, revenue)


def _lines_of_skus(sku, sku_lines: pd.Series, frame, nodes, annual, unit, months):
    """
    The product-line breakdown as its SKUs' sums (volume and revenue, cell by cell), so a
    line's target is exactly what its SKUs add up to; last year's volume from ``frame``.
    """
    _, (skus, cells, revenue) = sku
    line_of = sku_lines.reindex(pd.Index(skus, dtype=object)).to_numpy(dtype=object)
    lines = sorted({x for x in line_of if isinstance(x, str)})
    if len(lines) == 0 or any(not isinstance(x, str) for x in line_of):
        missing = [s for s, x in zip(skus, line_of) if not isinstance(x, str)]
        raise ParamsError(f"sku_lines gives no product line for SKU(s) {_labels_of(missing)}: every SKU of the "
                          "history's skus needs one")
    onehot = (line_of[:, None] == np.asarray(lines, dtype=object)[None, :]).astype(float)  # sku x line
    unit_cells = np.rint(cells @ onehot).astype(np.int64)  # node x month x line, exact sums of integers
    rev = np.round(revenue @ onehot, 2)
    _, ly, _ = _dim_cube(frame, "product_line", nodes, values=lines)
    nl = len(lines)
    a = unit_cells.sum(axis=1)
    share = np.divide(a, annual[:, None], out=np.zeros(a.shape), where=annual[:, None] > 0)
    vol = unit_cells * unit
    region = pd.Categorical.from_codes(np.repeat(np.arange(nodes.n), nl), categories=nodes.categories)
    part = _rows(region, np.repeat(nodes.level, nl), months, np.moveaxis(vol, 2, 1).reshape(-1, 12),
                 np.moveaxis(rev, 2, 1).reshape(-1, 12), np.moveaxis(ly, 2, 1).reshape(-1, 12),
                 np.repeat(share.reshape(-1, 1), 12, axis=1),
                 product_line=pd.Categorical.from_codes(np.tile(np.arange(nl), nodes.n),
                                                        categories=pd.Index(lines, dtype=object)))
    return part, (lines, unit_cells, rev)


def _sparse_breakdown(frame, dim, nodes, annual, mon, unit, months, groups, region_price):
    """
    A breakdown over many values, each present in few regions: one line per (region, value).

    Each planned unit (a region without planned children) gets a line per value it had
    last year, exact to its months and to its annual split by that mix; a unit with a
    target but no such history takes its nearest planned ancestor's values, split evenly
    (PlanWarning). A parent's lines are its children's sums, so every level adds up in
    every month and value.
    """
    ni = nodes.index_of(frame["region_id"])
    keep = np.flatnonzero(ni >= 0)
    codes, vals = pd.factorize(frame[dim].astype(object).to_numpy()[keep], sort=True)
    ok = codes >= 0
    keep, codes = keep[ok], codes[ok]
    nv = len(vals)
    if nv == 0:
        warnings.warn(f"no {dim} history: no {dim} breakdown", PlanWarning, stacklevel=3)
        return None
    node = ni[keep]
    above = np.unique(node[~nodes.leaf[node]])
    if len(above):
        warnings.warn(f"{dim} history recorded at {len(above)} region(s) above the planned units "
                      f"({_labels_of(nodes.ids[above])}) does not shape their units' {dim} lines; their lines "
                      "are their units' sums", PlanWarning, stacklevel=3)
    mi = _month_index(frame["month"].iloc[keep])
    v = frame["volume"].to_numpy(dtype=float)[keep]
    r = frame["revenue"].to_numpy(dtype=float)[keep]

    def merged(keys, *rows_by_key):
        """Sum rows (pair x 12 arrays) of equal pair keys."""
        uk, inv = np.unique(keys, return_inverse=True)
        idx = (inv[:, None] * 12 + np.arange(12)[None, :]).ravel()
        return (uk, *(np.bincount(idx, x.ravel(), len(uk) * 12).reshape(-1, 12) for x in rows_by_key))

    def rolled(pairs, *arrays):
        """The lines of every ancestor added: each depth's lines summed into its parents'."""
        for dep in sorted(set(nodes.depth.tolist()), reverse=True):
            pn = pairs // nv
            sel = np.flatnonzero((nodes.depth[pn] == dep) & (nodes.parent[pn] >= 0))
            if not len(sel):
                continue
            up = nodes.parent[pn[sel]] * nv + pairs[sel] % nv
            pairs, *arrays = merged(np.concatenate([pairs, up]), *(np.vstack([x, x[sel]]) for x in arrays))
        return (pairs, *arrays)

    # last year's lines at the home nodes, rolled up: every node's own history of each value
    pairs, pinv = np.unique(node.astype(np.int64) * nv + codes, return_inverse=True)
    vol = np.bincount(pinv * 12 + mi, v, len(pairs) * 12).reshape(-1, 12)
    rev = np.bincount(pinv * 12 + mi, r, len(pairs) * 12).reshape(-1, 12)
    pairs, vol, rev = rolled(pairs, vol, rev)
    live = vol.sum(axis=1) > 0
    pairs, vol, rev = pairs[live], vol[live], rev[live]
    # the planned units' lines; a unit with a target but none borrows its nearest ancestor's values
    has = np.zeros(nodes.n, dtype=bool)
    has[pairs // nv] = True
    on_unit = nodes.leaf[pairs // nv]
    u_pairs, u_vol, u_rev = pairs[on_unit], vol[on_unit], rev[on_unit]
    borrow = []
    for i in np.flatnonzero(nodes.leaf & (~has) & (annual > 0)):
        a = nodes.parent[i]
        while a >= 0 and not has[a]:
            a = nodes.parent[a]
        if a >= 0:
            borrow.append(i * nv + pairs[pairs // nv == a] % nv)
    if borrow:
        extra = np.concatenate(borrow)
        u_pairs = np.concatenate([u_pairs, extra])
        u_vol = np.vstack([u_vol, np.zeros((len(extra), 12))])
        u_rev = np.vstack([u_rev, np.zeros((len(extra), 12))])
        order = np.argsort(u_pairs, kind="stable")
        u_pairs, u_vol, u_rev = u_pairs[order], u_vol[order], u_rev[order]
        warnings.warn(f"{len(borrow)} region(s) have a target but no {dim} history: they take their nearest "
                      f"planned ancestor's {dim} values, split evenly", PlanWarning, stacklevel=3)
    unode, uval = u_pairs // nv, u_pairs % nv
    covered = np.bincount(unode, minlength=nodes.n) > 0
    without = nodes.leaf & (annual > 0) & ~covered
    if without.any():
        warnings.warn(f"{int(without.sum())} region(s) have a target but no {dim} history anywhere above them: "
                      f"no {dim} lines for them", PlanWarning, stacklevel=3)
    n_u = len(u_pairs)
    a_u = _split_groups(unode, u_vol.sum(axis=1), np.where(covered, annual, 0), nodes.n, uval, f"{dim} split")
    row = (unode[:, None] * 12 + np.arange(12)[None, :]).ravel()
    col = np.repeat(np.arange(n_u), 12)
    r_units = np.where(covered[:, None], mon, 0).ravel()
    cells_u = _fit_and_round(np.repeat(unode, 12), row, col, _festival_free(u_vol, groups).ravel(), r_units, a_u,
                             f"{dim} by month").reshape(n_u, 12)
    price = _price(np.repeat(u_vol.sum(axis=1, keepdims=True), 12, axis=1),
                   np.repeat(u_rev.sum(axis=1, keepdims=True), 12, axis=1),
                   np.repeat(region_price[unode][:, None], 12, axis=1))
    # every parent's lines: its children's sums (volume in units, revenue in cents)
    all_pairs, cells, revenue = rolled(u_pairs, cells_u.astype(float), np.round(cells_u * unit * price, 2))
    cells = np.rint(cells).astype(np.int64)
    revenue = np.round(revenue, 2)
    ly = np.zeros((len(all_pairs), 12))
    pos = np.searchsorted(pairs, all_pairs)
    found = (pos < len(pairs)) & (pairs[np.minimum(pos, len(pairs) - 1)] == all_pairs)
    ly[found] = vol[pos[found]]
    pnode, pval = all_pairs // nv, all_pairs % nv
    a = cells.sum(axis=1)
    share = np.divide(a, annual[pnode], out=np.zeros(len(all_pairs)), where=annual[pnode] > 0)
    region = pd.Categorical.from_codes(pnode, categories=nodes.categories)
    return _rows(region, nodes.level[pnode], months, cells * unit, revenue, ly,
                 np.repeat(share[:, None], 12, axis=1),
                 **{dim: pd.Categorical.from_codes(pval, categories=pd.Index(vals, dtype=object))})


def _labels_of(ids, limit: int = 5) -> str:
    ids = [str(x) for x in ids]
    return ", ".join(ids[:limit]) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _as_cat(values) -> pd.Categorical:
    if isinstance(values, pd.Categorical):
        return values
    codes, uniq = pd.factorize(np.asarray(values, dtype=object))
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniq, dtype=object))


def _rows(region_ids, level, months, volume, revenue, last_year, share, **keys) -> dict:
    """Columns (line x 12 months, text as categoricals) of the targets table from line x month arrays."""
    region = _as_cat(region_ids)
    n = len(region)
    vol = np.asarray(volume, dtype=np.int64).ravel()
    out: dict = {}
    for col, v in (("region_id", region), ("level", _as_cat(level)), *((c, keys.get(c)) for c in BREAKDOWN_COLUMNS)):
        if v is None:
            out[col] = pd.Categorical.from_codes(np.full(n * 12, -1), categories=pd.Index([], dtype=object))
        else:
            c = _as_cat(v)
            out[col] = pd.Categorical.from_codes(np.repeat(c.codes, 12), categories=c.categories)
    out["month"] = np.tile(months.to_numpy(), n)
    out["target_volume"] = vol
    out["target_revenue"] = np.asarray(revenue, dtype=float).ravel()
    out["last_year_volume"] = np.asarray(last_year, dtype=float).ravel()
    out["share"] = np.asarray(share, dtype=float).ravel()
    return out


def _assemble(parts: list[dict]) -> pd.DataFrame:
    """One frame from the parts' columns; text columns are categoricals over all parts."""
    data = {}
    for col in TARGET_COLUMNS:
        pieces = [p[col] for p in parts]
        if isinstance(pieces[0], pd.Categorical):
            data[col] = union_categoricals(pieces)
        else:
            data[col] = np.concatenate(pieces)
    return pd.DataFrame(data, copy=False)  # fresh arrays: no consolidating copy


def _lookup(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Positions of ``values`` in ``index`` (-1 where missing), cheap for categoricals."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        pos = index.get_indexer(values.cat.categories)
        codes = values.cat.codes.to_numpy()
        return np.where(codes >= 0, pos[np.maximum(codes, 0)] if len(pos) else -1, -1)
    return index.get_indexer(values)


def _terminal_rows(history, tree, nodes, annual, mon, unit, months, groups, region_price):
    """One line per A/B terminal and per township's C/D terminals, exact to the county-months."""
    counties = np.flatnonzero(nodes.level == "county")
    county_pos = np.full(nodes.n, -1, dtype=np.int64)
    county_pos[counties] = np.arange(len(counties))
    t = history.terminals
    tl = history.terminal_list
    ab_ids = pd.Index(tl["terminal_id"].astype(object).to_numpy(), dtype=object)
    is_cd = t["terminal_id"].isna().to_numpy()
    cd_regions = pd.Index(pd.unique(t.loc[is_cd, "region_id"].astype(object).to_numpy()), dtype=object)
    nab = len(ab_ids)
    line_region = np.concatenate([tl["region_id"].astype(object).to_numpy(), cd_regions.to_numpy()])
    line_class = np.concatenate([tl["terminal_class"].astype(object).to_numpy(), np.full(len(cd_regions), CD_LINE,
                                                                                          dtype=object)])
    line_tid = np.concatenate([ab_ids.to_numpy(), np.full(len(cd_regions), None, dtype=object)])
    line_label = np.concatenate([ab_ids.to_numpy(), ("~" + cd_regions.astype(str)).to_numpy()]).astype(str)
    home = nodes.index_of(pd.Series(line_region, dtype=object))
    cpos = np.where(home >= 0, county_pos[np.maximum(home, 0)], -1)
    keep = np.flatnonzero(cpos >= 0)
    if not len(keep):
        warnings.warn("no terminals under the planned counties: no terminal lines", PlanWarning, stacklevel=3)
        return None
    keep = keep[np.lexsort((line_label[keep], cpos[keep]))]
    nl = len(keep)
    new_pos = np.full(len(line_label), -1, dtype=np.int64)
    new_pos[keep] = np.arange(nl)
    cpos = cpos[keep]
    # last year's rows -> lines
    li = np.full(len(t), -1, dtype=np.int64)
    ab_li = _lookup(ab_ids, t["terminal_id"][~is_cd])
    li[~is_cd] = np.where(ab_li >= 0, new_pos[np.maximum(ab_li, 0)], -1)
    cd_li = _lookup(cd_regions, t["region_id"][is_cd])
    li[is_cd] = np.where(cd_li >= 0, new_pos[nab + np.maximum(cd_li, 0)], -1)
    okr = li >= 0
    key = li[okr] * 12 + _month_index(t["month"])[okr]
    vol = np.bincount(key, t["volume"].to_numpy(dtype=float)[okr], nl * 12).reshape(nl, 12)
    rev = np.bincount(key, t["revenue"].to_numpy(dtype=float)[okr], nl * 12).reshape(nl, 12)
    # counties with a target but no terminals at all cannot be broken down: say so
    has_lines = np.bincount(cpos, minlength=len(counties)) > 0
    missing = (~has_lines) & (annual[counties] > 0)
    if missing.any():
        warnings.warn(f"{int(missing.sum())} county(ies) have no terminals: no terminal lines for them "
                      f"({', '.join(nodes.ids[counties[missing]][:10])})", PlanWarning, stacklevel=3)
    county_total = np.where(has_lines, annual[counties], 0)
    a = _split_groups(cpos, vol.sum(axis=1), county_total, len(counties), np.arange(nl), "terminal split")
    row = np.repeat(np.arange(nl), 12)
    col = (cpos[:, None] * 12 + np.arange(12)[None, :]).ravel()
    c_tot = np.where(has_lines[:, None], mon[counties], 0).ravel()
    cells = _fit_and_round(np.repeat(cpos, 12), row, col, _festival_free(vol, groups).ravel(), a, c_tot,
                           "terminal lines by month").reshape(nl, 12)
    fb = region_price[counties][cpos]
    price = _price(np.repeat(vol.sum(axis=1, keepdims=True), 12, axis=1),
                   np.repeat(rev.sum(axis=1, keepdims=True), 12, axis=1), np.repeat(fb[:, None], 12, axis=1))
    cls = line_class[keep]
    cd_line = cls == CD_LINE
    region = np.where(cd_line, line_region[keep], nodes.ids[counties][cpos])
    region_cat = _as_cat(region)
    level_of = np.array([tree.levels[r] for r in region_cat.categories], dtype=object)
    level = level_of[region_cat.codes]
    ann = annual[counties][cpos]
    share = np.divide(a, ann, out=np.zeros(nl), where=ann > 0)
    return _rows(region_cat, level, months, cells * unit, np.round(cells * unit * price, 2), vol,
                 np.repeat(share[:, None], 12, axis=1),
                 terminal_class=cls, terminal_id=line_tid[keep])


# ---------------------------------------------------------------------------------------
# checking and reading a targets table
# ---------------------------------------------------------------------------------------
def breakdown_of(targets: pd.DataFrame) -> pd.Series:
    """
    Which breakdown each row belongs to: ``total``, ``product_line``, ``sku``, ``channel``,
    ``terminal_class``, ``distributor_id`` or ``terminal`` (a named terminal, or a
    township's C/D line). Tables written before the distributor breakdown (no
    ``distributor_id`` column) are read as before.
    """
    out = pd.Series("total", index=targets.index, dtype=object)
    for col in ("product_line", "sku", "channel", "terminal_class", "distributor_id"):
        if col not in targets:
            continue
        out[targets[col].notna()] = col
    out[targets["terminal_id"].notna() | (targets["terminal_class"] == CD_LINE)] = "terminal"
    return out.rename("breakdown")


def validate_targets(targets: pd.DataFrame, tree: RegionTree, *, sku_lines: pd.Series | None = None) -> None:
    """
    Check that a targets table re-aggregates exactly; raise SplitError listing the faults.

    Checks: each planned child region's totals sum to its parent's in every month, in
    volume and (to the cent) in revenue; every breakdown (product line, SKU, channel,
    terminal class, distributor, terminal lines of a county) sums to its region's total
    volume in every month; a parent's breakdown lines are its children's sums, value by
    value and month by month; with ``sku_lines`` (SKU -> product line), each product
    line's row is its SKUs' sum in every region and month.
    """
    b = breakdown_of(targets)
    totals = targets[b == "total"].set_index(["region_id", "month"])
    tot = totals["target_volume"]
    faults = []
    if tot.index.has_duplicates:
        faults.append("duplicate total rows")
    planned = set(tot.index.get_level_values(0))
    kids = [r for r in planned if tree.parent(r) in planned]
    if kids:
        t = tot.reset_index()
        t = t[t["region_id"].isin(kids)]
        t["parent"] = t["region_id"].map(tree.parent)
        s = t.groupby(["parent", "month"])["target_volume"].sum()
        diff = s - tot.reindex(s.index)
        if (diff != 0).any():
            faults.append(f"children do not sum to their parent: {list(diff[diff != 0].index[:5])}")
        rev = t.assign(r=totals["target_revenue"].reindex(pd.MultiIndex.from_frame(t[["region_id", "month"]]))
                       .to_numpy()).groupby(["parent", "month"])["r"].sum()
        off = (rev - totals["target_revenue"].reindex(rev.index)).abs() > 0.005
        if off.any():
            faults.append(f"children's revenue does not sum to their parent's: {list(off[off].index[:5])}")
    for kind in ("product_line", "sku", "channel", "terminal_class", "distributor_id", "terminal"):
        part = targets[b == kind]
        if not len(part):
            continue
        reg = part["region_id"]
        if kind == "terminal":
            reg = reg.map(lambda r: tree.ancestor_at(r, "county") or r)
        s = part.groupby([reg.to_numpy(), part["month"].to_numpy()])["target_volume"].sum()
        diff = s - tot.reindex(s.index)
        if diff.isna().any() or (diff != 0).any():
            faults.append(f"{kind} breakdown off its totals: {list(diff[(diff != 0) | diff.isna()].index[:5])}")
    # a parent's breakdown is its planned children's, value by value and month by month
    for kind in ("product_line", "sku", "channel", "terminal_class", "distributor_id"):
        part = targets[b == kind]
        if not len(part) or not kids:
            continue
        reg = part["region_id"].astype(object)
        val = part[kind].astype(object)
        mine = part.groupby([reg.to_numpy(), part["month"].to_numpy(), val.to_numpy()])["target_volume"].sum()
        is_kid = reg.isin(kids).to_numpy()
        up = part[is_kid].groupby([reg[is_kid].map(tree.parent).to_numpy(), part["month"].to_numpy()[is_kid],
                                   val[is_kid].to_numpy()])["target_volume"].sum()
        parents = set(up.index.get_level_values(0))
        mine = mine[mine.index.get_level_values(0).isin(parents)]
        diff = up.sub(mine, fill_value=0)
        if (diff != 0).any():
            faults.append(f"children's {kind} lines do not sum to their parent's: {list(diff[diff != 0].index[:5])}")
    if sku_lines is not None and (b == "sku").any() and (b == "product_line").any():
        sk = targets[b == "sku"]
        line = sk["sku"].astype(object).map(sku_lines)
        s = sk.groupby([sk["region_id"].to_numpy(), sk["month"].to_numpy(), line.to_numpy()])["target_volume"].sum()
        pl = targets[b == "product_line"]
        own = pl.set_index([pl["region_id"].astype(object), pl["month"], pl["product_line"].astype(object)])[
            "target_volume"]
        own.index.names = s.index.names
        diff = s.sub(own, fill_value=0)
        if (diff != 0).any():
            faults.append(f"SKUs do not sum to their product line: {list(diff[diff != 0].index[:5])}")
    if faults:
        raise SplitError("the targets table does not re-aggregate exactly: " + "; ".join(faults))


# ---------------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------------
