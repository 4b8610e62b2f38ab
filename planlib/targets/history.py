"""
The aggregated history an allocation is based on, read from the archive.

Public names
------------
AllocationHistory          the aggregated history an allocation needs (frozen)
load_allocation_history    read it with DuckDB aggregations
                           (:mod:`planlib.archive.queries.targets`)
children_history           each child's own monthly volume from the sales recorded in its subtree
coded_history              a monthly history's region and month codes, made once for several children_history
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from planlib.archive import OpenArchive
from planlib.archive.queries import targets as queries
from planlib.errors import DataError, ParamsError
from planlib.hierarchy import RegionTree
from planlib.schemas import LEVEL_DEPTH, OWN_BRAND
from planlib.targets.table import CD_LINE, DIRECT

__all__ = ["AllocationHistory", "children_history", "coded_history", "load_allocation_history"]


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
    sku_launch : Series or None
        SKU -> the month (2–12) of last year in which it was first sold, for the SKUs first
        sold then (:func:`planlib.archive.queries.targets.sku_launches`): their months
        before it are filled when the SKUs are split (None or empty: no such SKU).
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
    sku_launch: pd.Series | None = None


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
    of a known product line (sorted), ``last`` (``queries.last_year_allocation_sales``, Arrow)
    and ``first`` (``queries.first_year_allocation_sales``), a Future: it is run on ``pool``
    (its own cursor) once ``last`` is read, so DuckDB computes it while Python builds the frames from ``last``.
    """
    prod, terms = queries.allocation_catalogue(con)
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
    last_agg = queries.last_year_allocation_sales(con.cursor(), regions, sku_codes, term_codes, own=OWN_BRAND,
                                                  direct=DIRECT, plan_year=plan_year)
    first_agg = pool.submit(queries.first_year_allocation_sales, con.cursor(), regions, sku_codes, own=OWN_BRAND,
                            plan_year=plan_year)
    return prod, terms, codes, skus, (home, homes), last_agg, first_agg


def _grouping(agg: pa.Table, gs: int, columns: list[str]) -> pa.Table:
    """The rows of one grouping set of ``queries.last_year_allocation_sales``, with the columns it groups by and the sums."""
    return agg.select([*columns, "v", "r"]).filter(pc.equal(agg.column("gs"), gs))  # only its columns copied


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
    agg = _grouping(last_agg, queries.GROUPING_CHANNELS, ["hi", "m", "channel"])
    chan, chan_u = _sorted_codes(agg.column("channel"))
    channels = _dense_long(*_sums((_agg_ints(agg, "hi") * 12 + _agg_ints(agg, "m")) * len(chan_u) + chan,
                                  _agg_floats(agg, "v"), _agg_floats(agg, "r"), (nh, 12, len(chan_u))),
                           [home_dtype, months12, _cat_dtype(chan_u)], ["region_id", "month", "channel"])
    del agg, chan
    term_u = terms.column("terminal_id").to_numpy(zero_copy_only=False)

    # by recorded region, month and terminal line: the terminal lines, the terminal classes
    # (an A/B terminal's class, or the class in the line code) and last year's months
    agg = _grouping(last_agg, queries.GROUPING_LINES, ["ri", "m", "li"])
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
    distributors = _distributor_frame(_grouping(last_agg, queries.GROUPING_DISTRIBUTORS, ["hi", "m", "dist"]),
                                      home_dtype, months12)

    # SKUs (the aggregate's rows are one per region, month and SKU: taken as they are) and product lines
    agg = _grouping(last_agg, queries.GROUPING_SKUS, ["hi", "m", "si"])
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
            total, unknown, skus = queries.own_skus_without_product(con, plan_year - 2, plan_year - 1)
            if unknown:  # the sales are there; the products table does not know their SKUs
                raise DataError(
                    f"{unknown:,} of {total:,} own monthly sales rows of {plan_year - 2}–{plan_year - 1} name a SKU "
                    f"the products table lacks ({', '.join(skus)}): import products (sku, product_line, unit "
                    "price and cost) for them; the split reads sales by product line"
                )
            raise DataError(
                f"no own monthly sales for {root} in {plan_year - 2}–{plan_year - 1}: import sales for the two years "
                f"before the plan year {plan_year}"
            )
        frames = _history_frames(plan_year, scope, level, prod, terms, codes, skus, home, last_agg, first_agg)
        launches = queries.sku_launches(con, plan_year)
    return dataclasses.replace(frames, sku_launch=pd.Series(launches, dtype="int64", name="month").rename_axis("sku"))


def coded_history(monthly: pd.DataFrame) -> tuple:
    """
    A monthly history's region and month codes, made once for several :func:`children_history` calls.

    Parameters
    ----------
    monthly : DataFrame
        region_id, month, value (as :func:`children_history` takes it).

    Returns
    -------
    tuple
        ``(codes, regions, month_codes, months, values)``: each row's code among the distinct
        region ids (-1: missing) and those ids (``pd.factorize``), its code among the sorted
        distinct months (-1: missing) and those months, and the values; pass it to
        :func:`children_history` as ``coded`` with the same ``monthly``.
    """
    codes, regions = pd.factorize(monthly["region_id"])
    month_codes, months = pd.factorize(monthly["month"], sort=True)
    return codes, list(regions), month_codes, months, monthly["value"].to_numpy()


def children_history(monthly: pd.DataFrame, tree, children, *, coded: tuple | None = None) -> pd.DataFrame:
    """
    Each child's own monthly volume: the sales recorded in its subtree, summed by month.

    Parameters
    ----------
    monthly : DataFrame
        region_id, month, value — own monthly volume by recorded region
        (:func:`planlib.archive.queries.targets.children_monthly_volume`); rows of other
        regions are left out.
    tree : RegionTree
    children : sequence of str
        The children (any regions whose subtrees do not overlap).
    coded : tuple, optional
        :func:`coded_history` of ``monthly``, when several sets of children are summed from it.

    Returns
    -------
    DataFrame
        child, month (datetime64), value — one row per child and month with sales rows,
        by child and month.

    Notes
    -----
    The sums are pandas' group-by sums of each (child, month)'s rows in row order, as grouping
    by the child's id and the month gives them: the rows are grouped on one integer key, the
    child's rank among the sorted children times the number of months plus the month's rank
    among the sorted months, whose order is that of (child id, month).
    """
    owner = {r: k for k in children for r in tree.subtree(k)}
    # each distinct region looked up once (a national history has ~40 rows per region), not row by row
    codes, regions, month_codes, months, values = coded_history(monthly) if coded is None else coded
    kids = sorted({owner[r] for r in regions if r in owner})
    if not kids:  # no row of any child: the empty frame as grouping by the child's id gives it (its dtypes)
        raw = monthly.assign(child=monthly["region_id"].map(owner)).dropna(subset=["child"])
        full = raw.groupby(["child", "month"], as_index=False)["value"].sum()
        full["month"] = pd.to_datetime(full["month"])
        return full
    rank = {k: i for i, k in enumerate(kids)}
    of_region = np.array([rank.get(owner.get(r), -1) for r in regions] + [-1], dtype=np.int64)  # last: a missing id
    child = of_region[codes]
    keep = np.flatnonzero((child >= 0) & (month_codes >= 0))  # a missing month is dropped, as grouping drops it
    span = max(len(months), 1)
    sums = pd.Series(values[keep]).groupby(child[keep] * span + month_codes[keep]).sum()
    key = sums.index.to_numpy()
    full = pd.DataFrame({"child": np.arange(len(key)), "month": months[key % span], "value": sums.to_numpy()})
    full["child"] = np.asarray(kids, dtype=object)[key // span]
    full["month"] = pd.to_datetime(full["month"])
    return full
