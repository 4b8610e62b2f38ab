"""
The breakdowns of an allocation: product lines, SKUs, channels, terminal classes,
distributors and terminal lines, each exact to its region's months and annual target.

Public functions (called by :func:`planlib.targets.allocate.allocate_plan`)
-------------------------------------------------------------------------
dense_breakdown      a dimension with few values (SKUs, channels, terminal classes)
launched_months      last year's months of the SKUs launched during it, filled before their launch
lines_of_skus        the product lines as their SKUs' sums
sparse_breakdown     a dimension with many values, each in few regions (distributors)
terminal_breakdown   one line per A/B terminal and per township's C/D terminals

Each planned unit (a region without planned children) is split by its own last-year
mix; a parent's lines are its children's sums, so every level adds up in every month
and value.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from planlib.errors import ParamsError, PlanWarning
from planlib.targets.fitting import fit_and_round_cells, split_groups
from planlib.targets.nodes import (
    PlannedNodes,
    festival_free,
    month_index,
    realised_price,
)
from planlib.targets.table import CD_LINE, as_categorical, target_rows

__all__: list[str] = []


def _dim_cube(frame: pd.DataFrame, dim: str, nodes: PlannedNodes, values=None, *, rolled: bool = True):
    """Node x 12 x value arrays of last year's volume and revenue, rolled up the tree (or each node's own)."""
    ni = nodes.index_of(frame["region_id"])
    keep = ni >= 0
    f = frame[keep]
    vals = np.asarray(sorted(pd.unique(f[dim].dropna())) if values is None else values, dtype=object)
    vpos = {v: i for i, v in enumerate(vals)}
    vi = f[dim].map(vpos).to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(vi)
    key = (ni[keep][ok] * 12 + month_index(f["month"])[ok]) * len(vals) + vi[ok].astype(np.int64)
    size = nodes.n * 12 * len(vals)
    vol = np.bincount(key, f["volume"].to_numpy(dtype=float)[ok], size).reshape(nodes.n, 12, len(vals))
    rev = np.bincount(key, f["revenue"].to_numpy(dtype=float)[ok], size).reshape(nodes.n, 12, len(vals))
    return (vals, nodes.roll_up(vol), nodes.roll_up(rev)) if rolled else (vals, vol, rev)


def _pushed_down(own: np.ndarray, nodes: PlannedNodes, annual: np.ndarray) -> np.ndarray:
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


def launched_months(vol: np.ndarray, rev: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """
    Last year's node x month x value cube with each launched value's months before its launch filled.

    Parameters
    ----------
    vol, rev : ndarray
        (nodes, 12, values): volume and revenue by month.
    first : ndarray of int
        (values,): the month (1–12) each value was first sold; 1 for values sold all year.

    Returns
    -------
    (ndarray, ndarray)
        New cubes (the inputs are not changed).

    Notes
    -----
    For a value v launched in month L and a node n, each month m < L gets
    vol[n, m, v] = T[n, m] · Σ_{k≥L} vol[n, k, v] / Σ_{k≥L} T[n, k], with T[n, m] the node's
    volume of every value in month m: the value's share of the node's months since its launch,
    held over the months before (so they follow the node's own season), and
    rev[n, m, v] = vol[n, m, v] · (Σ_{k≥L} rev[n, k, v] / Σ_{k≥L} vol[n, k, v]), its realised
    price since the launch. A node that sold nothing since the launch keeps zeros.
    """
    vol, rev = vol.astype(float), rev.astype(float)
    total = vol.sum(axis=2)  # node x month, every value
    for v in np.flatnonzero(first > 1):
        after = slice(int(first[v]) - 1, 12)
        sold, base = vol[:, after, v].sum(axis=1), total[:, after].sum(axis=1)
        share = np.divide(sold, base, out=np.zeros_like(sold), where=base > 0)
        price = np.divide(rev[:, after, v].sum(axis=1), sold, out=np.zeros_like(sold), where=sold > 0)
        before = slice(0, int(first[v]) - 1)
        vol[:, before, v] = total[:, before] * share[:, None]
        rev[:, before, v] = vol[:, before, v] * price[:, None]
    return vol, rev


def dense_breakdown(frame, dim, nodes, annual, mon, unit, months, groups, region_price, catalogue,
                     fallback_price, launch=None):
    """
    One line per (region, value) of a dimension with few values (product lines, SKUs,
    channels, terminal classes): (the rows, (values, cells, revenue)) with the node x month
    x value cells in units and their revenue in cents; None (warned) when the dimension
    has no history.

    Each planned unit (a region without planned children) is split by its own last-year
    mix, exact to its months and to its annual split; a parent's lines are its children's
    sums, so every level adds up in every month and value, like the region totals.

    ``launch`` (value -> month 2–12, :attr:`AllocationHistory.sku_launch`): values first sold
    in that month of last year. Their months before it are filled as if they had sold all
    year (:func:`launched_months`), so a SKU launched in July is not planned at half a year
    with nothing before July; the last-year columns stay as sold.
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
    if launch is not None and len(launch):
        first = pd.Series(launch).reindex(pd.Index(vals, dtype=object)).fillna(1).to_numpy(dtype=np.int64)
        unit_vol, unit_rev = launched_months(unit_vol, unit_rev, first)
    units = np.flatnonzero(nodes.leaf)
    nu = len(units)
    mix = unit_vol[units].sum(axis=1)  # unit x value
    a_u = split_groups(np.repeat(np.arange(nu), nv), mix.ravel(), annual[units], nu, np.tile(np.arange(nv), nu),
                        f"{dim} split").reshape(nu, nv)
    row = np.repeat(np.arange(nu * 12), nv)  # (unit, month) rows
    col = (np.arange(nu)[:, None, None] * nv + np.zeros((1, 12, 1), dtype=np.int64)
           + np.arange(nv)[None, None, :]).ravel()
    seed = festival_free(np.moveaxis(unit_vol[units], 1, 2), groups)  # unit x value x month
    seed = np.moveaxis(seed, 2, 1).ravel()
    cells_u = fit_and_round_cells(np.repeat(np.arange(nu), 12 * nv), row, col, seed, mon[units].ravel(), a_u.ravel(),
                             f"{dim} by month").reshape(nu, 12, nv)
    fb = catalogue.reindex(vals).to_numpy(dtype=float) if catalogue is not None else None
    if fb is None or np.isnan(fb).all():
        fb = np.repeat(region_price[units][:, None], nv, axis=1)[:, None, :]
    else:
        fb = np.where(np.isnan(fb), fallback_price, fb)[None, None, :]
    price = realised_price(np.repeat(unit_vol[units].sum(axis=1)[:, None, :], 12, axis=1),
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
    part = target_rows(region, np.repeat(nodes.level, nv), months,
                 np.moveaxis(cells, 2, 1).reshape(-1, 12) * unit,
                 np.moveaxis(revenue, 2, 1).reshape(-1, 12),
                 np.moveaxis(vol, 2, 1).reshape(-1, 12),
                 np.repeat(share.reshape(-1, 1), 12, axis=1),
                 **{dim: pd.Categorical.from_codes(np.tile(np.arange(nv), nodes.n),
                                                   categories=pd.Index(vals, dtype=object))})
    return part, (vals, cells, revenue)


def lines_of_skus(sku, sku_lines: pd.Series, frame, nodes, annual, unit, months):
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
    part = target_rows(region, np.repeat(nodes.level, nl), months, np.moveaxis(vol, 2, 1).reshape(-1, 12),
                 np.moveaxis(rev, 2, 1).reshape(-1, 12), np.moveaxis(ly, 2, 1).reshape(-1, 12),
                 np.repeat(share.reshape(-1, 1), 12, axis=1),
                 product_line=pd.Categorical.from_codes(np.tile(np.arange(nl), nodes.n),
                                                        categories=pd.Index(lines, dtype=object)))
    return part, (lines, unit_cells, rev)


def sparse_breakdown(frame, dim, nodes, annual, mon, unit, months, groups, region_price):
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
    mi = month_index(frame["month"].iloc[keep])
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
    a_u = split_groups(unode, u_vol.sum(axis=1), np.where(covered, annual, 0), nodes.n, uval, f"{dim} split")
    row = (unode[:, None] * 12 + np.arange(12)[None, :]).ravel()
    col = np.repeat(np.arange(n_u), 12)
    r_units = np.where(covered[:, None], mon, 0).ravel()
    cells_u = fit_and_round_cells(np.repeat(unode, 12), row, col, festival_free(u_vol, groups).ravel(), r_units, a_u,
                             f"{dim} by month").reshape(n_u, 12)
    price = realised_price(np.repeat(u_vol.sum(axis=1, keepdims=True), 12, axis=1),
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
    return target_rows(region, nodes.level[pnode], months, cells * unit, revenue, ly,
                 np.repeat(share[:, None], 12, axis=1),
                 **{dim: pd.Categorical.from_codes(pval, categories=pd.Index(vals, dtype=object))})


def _labels_of(ids, limit: int = 5) -> str:
    ids = [str(x) for x in ids]
    return ", ".join(ids[:limit]) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _lookup(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Positions of ``values`` in ``index`` (-1 where missing), cheap for categoricals."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        pos = index.get_indexer(values.cat.categories)
        codes = values.cat.codes.to_numpy()
        return np.where(codes >= 0, pos[np.maximum(codes, 0)] if len(pos) else -1, -1)
    return index.get_indexer(values)


def terminal_breakdown(history, tree, nodes, annual, mon, unit, months, groups, region_price):
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
    key = li[okr] * 12 + month_index(t["month"])[okr]
    vol = np.bincount(key, t["volume"].to_numpy(dtype=float)[okr], nl * 12).reshape(nl, 12)
    rev = np.bincount(key, t["revenue"].to_numpy(dtype=float)[okr], nl * 12).reshape(nl, 12)
    # counties with a target but no terminals at all cannot be broken down: say so
    has_lines = np.bincount(cpos, minlength=len(counties)) > 0
    missing = (~has_lines) & (annual[counties] > 0)
    if missing.any():
        warnings.warn(f"{int(missing.sum())} county(ies) have no terminals: no terminal lines for them "
                      f"({', '.join(nodes.ids[counties[missing]][:10])})", PlanWarning, stacklevel=3)
    county_total = np.where(has_lines, annual[counties], 0)
    a = split_groups(cpos, vol.sum(axis=1), county_total, len(counties), np.arange(nl), "terminal split")
    row = np.repeat(np.arange(nl), 12)
    col = (cpos[:, None] * 12 + np.arange(12)[None, :]).ravel()
    c_tot = np.where(has_lines[:, None], mon[counties], 0).ravel()
    cells = fit_and_round_cells(np.repeat(cpos, 12), row, col, festival_free(vol, groups).ravel(), a, c_tot,
                           "terminal lines by month").reshape(nl, 12)
    fb = region_price[counties][cpos]
    price = realised_price(np.repeat(vol.sum(axis=1, keepdims=True), 12, axis=1),
                   np.repeat(rev.sum(axis=1, keepdims=True), 12, axis=1), np.repeat(fb[:, None], 12, axis=1))
    cls = line_class[keep]
    cd_line = cls == CD_LINE
    region = np.where(cd_line, line_region[keep], nodes.ids[counties][cpos])
    region_cat = as_categorical(region)
    level_of = np.array([tree.levels[r] for r in region_cat.categories], dtype=object)
    level = level_of[region_cat.codes]
    ann = annual[counties][cpos]
    share = np.divide(a, ann, out=np.zeros(nl), where=ann > 0)
    return target_rows(region_cat, level, months, cells * unit, np.round(cells * unit * price, 2), vol,
                 np.repeat(share[:, None], 12, axis=1),
                 terminal_class=cls, terminal_id=line_tid[keep])
