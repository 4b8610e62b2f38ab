"""
Checking a targets table before anything is written.

Public functions
----------------
validate_targets    check that a targets table re-aggregates exactly (raise SplitError listing faults)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.errors import SplitError
from planlib.hierarchy import RegionTree
from planlib.targets.table import BREAKDOWNS, breakdown_codes

__all__ = ["validate_targets"]

#: Volumes are summed as float64 (bincount) only while every partial sum is exact: |Σ| < 2**53.
_EXACT = 2.0 ** 53
#: A revenue difference counts as a possible fault from 0.005 less this share of the sums'
#: magnitude (the rounding of two sums of one parent's children, in any order, is far below it).
_REVENUE_MARGIN = 1e-12


def validate_targets(targets: pd.DataFrame, tree: RegionTree, *, sku_lines: pd.Series | None = None) -> None:
    """
    Check that a targets table re-aggregates exactly; raise SplitError listing the faults.

    Checks: each planned child region's totals sum to its parent's in every month, in
    volume and (to the cent) in revenue; every breakdown (product line, SKU, channel,
    terminal class, distributor, terminal lines of a county) sums to its region's total
    volume in every month; a parent's breakdown lines are its children's sums, value by
    value and month by month; with ``sku_lines`` (SKU -> product line), each product
    line's row is its SKUs' sum in every region and month.

    Notes
    -----
    The checks run on integer codes of the table's columns (its categoricals' codes) with
    the sums in arrays: volumes are whole numbers, so a sum is exact and compared for
    equality; a revenue fault is |Σ_children r − r_parent| > 0.005. Only when these find a
    possible fault (a revenue difference within 10⁻¹² of its magnitude of the bound counts)
    are the faults named, by the same checks on the table's labels (the message lists the
    first five of each kind); a table that passes there passes.
    """
    if _may_have_faults(targets, tree, sku_lines):
        _raise_faults(targets, tree, sku_lines=sku_lines)


def _codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of a column (-1: missing) and the labels they index (a categorical's own codes)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return np.asarray(column.cat.codes, dtype=np.int64), column.cat.categories
    codes, uniq = pd.factorize(column)
    return codes.astype(np.int64), pd.Index(uniq)


def _nonzero_sums(keys: np.ndarray, values: np.ndarray) -> bool:
    """Whether any key's values sum to other than 0 (values exact in float64)."""
    if not len(keys):
        return False
    _, inverse = np.unique(keys, return_inverse=True)
    return bool((np.bincount(inverse.ravel(), values) != 0).any())


def _may_have_faults(targets: pd.DataFrame, tree: RegionTree, sku_lines) -> bool:
    """
    True when :func:`_raise_faults` may find a fault (always when it would): the checks on
    integer codes, any case they do not cover (missing keys where the checks need them,
    duplicate lines, non-finite revenue, sums beyond float64's integers) counted as one.
    """
    kind_of = breakdown_codes(targets)
    reg, regions = _codes(targets["region_id"])
    mon, _ = _codes(targets["month"])
    nm = max(int(mon.max()) + 1, 1) if len(mon) else 1
    vol = targets["target_volume"].to_numpy(dtype=np.float64)
    if not np.isfinite(vol).all() or np.abs(vol).sum() >= _EXACT:
        return True
    total = kind_of == 0
    t_reg, t_mon = reg[total], mon[total]
    if (t_reg < 0).any() or (t_mon < 0).any():
        return True
    nr = len(regions)
    t_key = t_reg * nm + t_mon
    if len(np.unique(t_key)) != len(t_key):  # duplicate total rows
        return True
    tot = np.zeros(nr * nm)
    has = np.zeros(nr * nm, dtype=bool)
    tot[t_key] = vol[total]
    has[t_key] = True
    planned = np.zeros(nr, dtype=bool)
    planned[t_reg] = True
    labels = regions.to_numpy(dtype=object)
    parent = np.full(nr, -1, dtype=np.int64)
    pos = {r: i for i, r in enumerate(labels)}
    for i in np.flatnonzero(planned):
        p = pos.get(tree.parent(labels[i]))
        if p is not None and planned[p]:
            parent[i] = p
    is_kid = parent >= 0
    # the children's totals against their parent's, in volume and revenue
    kid_rows = np.flatnonzero(total & (reg >= 0))
    kid_rows = kid_rows[is_kid[reg[kid_rows]]]
    if len(kid_rows):
        up = parent[reg[kid_rows]] * nm + mon[kid_rows]
        groups = np.flatnonzero(np.bincount(up, minlength=nr * nm))
        if not has[groups].all():
            return True
        sums = np.bincount(up, vol[kid_rows], nr * nm)
        if (sums[groups] != tot[groups]).any():
            return True
        rev = targets["target_revenue"].to_numpy(dtype=np.float64)
        if not np.isfinite(rev[total]).all():
            return True
        t_rev = np.zeros(nr * nm)
        t_rev[t_key] = rev[total]
        r_sum = np.bincount(up, rev[kid_rows], nr * nm)[groups]
        r_abs = np.bincount(up, np.abs(rev[kid_rows]), nr * nm)[groups] + np.abs(t_rev[groups])
        if (np.abs(r_sum - t_rev[groups]) > 0.005 - _REVENUE_MARGIN * r_abs).any():
            return True
    # every breakdown against its region's totals (terminal lines: against their county's)
    county = None
    for k, kind in enumerate(BREAKDOWNS, start=1):
        rows = np.flatnonzero(kind_of == k)
        if not len(rows):
            continue
        if (reg[rows] < 0).any() or (mon[rows] < 0).any():  # lines without a region or month: named there
            return True
        r = reg[rows]
        if kind == "terminal":
            if county is None:  # each region's county (tree.ancestor_at), or itself above the counties
                county = np.arange(nr)
                levels, parents = tree.levels, tree.parents
                for i in np.unique(r):
                    a = labels[i]
                    if a not in parents:
                        return True
                    while a is not None and levels[a] != "county":
                        a = parents[a]
                    c = pos.get(labels[i] if a is None else a)
                    if c is None:
                        return True
                    county[i] = c
            r = county[r]
        key = r * nm + mon[rows]
        groups = np.flatnonzero(np.bincount(key, minlength=nr * nm))
        if not has[groups].all() or (np.bincount(key, vol[rows], nr * nm)[groups] != tot[groups]).any():
            return True
    # a parent's lines are its children's sums, value by value and month by month
    for k, kind in enumerate(BREAKDOWNS[:5], start=1):
        part = kind_of == k
        if not part.any() or not is_kid.any() or kind not in targets:
            continue
        val, values = _codes(targets[kind])
        rows = np.flatnonzero(part & (reg >= 0) & (mon >= 0) & (val >= 0))
        nv = max(len(values), 1)
        kids = rows[is_kid[reg[rows]]]
        parents = np.zeros(nr, dtype=bool)
        parents[parent[reg[kids]]] = True
        own = rows[parents[reg[rows]]]
        keys = np.concatenate([(parent[reg[kids]] * nm + mon[kids]) * nv + val[kids],
                               (reg[own] * nm + mon[own]) * nv + val[own]])
        if _nonzero_sums(keys, np.concatenate([vol[kids], -vol[own]])):
            return True
    if sku_lines is not None and (kind_of == 2).any() and (kind_of == 1).any():
        if sku_lines.index.has_duplicates:
            return True
        sku, skus = _codes(targets["sku"])
        line, lines = _codes(targets["product_line"])
        line_pos = {v: i for i, v in enumerate(lines)}
        mapped = sku_lines.reindex(pd.Index(skus, dtype=object).astype(object)).to_numpy(dtype=object)
        sku_line = np.array([-2 if pd.isna(v) else line_pos.get(v, -3) for v in mapped] + [-2], dtype=np.int64)
        if (sku_line == -3).any():  # a line the table has no row of: its SKUs' sums stand alone
            return True
        sk = np.flatnonzero((kind_of == 2) & (reg >= 0) & (mon >= 0))
        sk = sk[sku_line[sku[sk]] >= 0]  # an unknown SKU or one without a line is not compared
        pl = np.flatnonzero(kind_of == 1)
        if (reg[pl] < 0).any() or (mon[pl] < 0).any() or (line[pl] < 0).any():
            return True
        nl = max(len(lines), 1)
        pl_key = (reg[pl] * nm + mon[pl]) * nl + line[pl]
        if len(np.unique(pl_key)) != len(pl_key):
            return True
        keys = np.concatenate([(reg[sk] * nm + mon[sk]) * nl + sku_line[sku[sk]], pl_key])
        if _nonzero_sums(keys, np.concatenate([vol[sk], -vol[pl]])):
            return True
    return False


def _raise_faults(targets: pd.DataFrame, tree: RegionTree, *, sku_lines: pd.Series | None = None) -> None:
    """The checks of :func:`validate_targets` on the table's labels: raise SplitError naming the faults found."""
    codes = breakdown_codes(targets)  # compared as small integers, not 1.5 M strings per breakdown
    rows = {kind: codes == 1 + BREAKDOWNS.index(kind) for kind in BREAKDOWNS}
    totals = targets[codes == 0].set_index(["region_id", "month"])
    tot = totals["target_volume"]
    faults = []
    if tot.index.has_duplicates:
        faults.append("duplicate total rows")
    planned = set(tot.index.get_level_values(0))
    kids = [r for r in planned if tree.parent(r) in planned]
    if kids:
        t = tot.reset_index()
        t = t[t["region_id"].isin(kids)]
        t["parent"] = t["region_id"].map({r: tree.parent(r) for r in kids})
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
        part = targets[rows[kind]]
        if not len(part):
            continue
        reg = part["region_id"]
        if kind == "terminal":  # each region's county, looked up once per region, not per row
            reg = reg.map({r: tree.ancestor_at(r, "county") or r for r in pd.unique(reg)})
        s = part.groupby([reg.to_numpy(), part["month"].to_numpy()])["target_volume"].sum()
        diff = s - tot.reindex(s.index)
        if diff.isna().any() or (diff != 0).any():
            faults.append(f"{kind} breakdown off its totals: {list(diff[(diff != 0) | diff.isna()].index[:5])}")
    # a parent's breakdown is its planned children's, value by value and month by month
    for kind in ("product_line", "sku", "channel", "terminal_class", "distributor_id"):
        part = targets[rows[kind]]
        if not len(part) or not kids:
            continue
        reg = part["region_id"].astype(object)
        val = part[kind].astype(object)
        mine = part.groupby([reg.to_numpy(), part["month"].to_numpy(), val.to_numpy()])["target_volume"].sum()
        is_kid = reg.isin(kids).to_numpy()
        up = part[is_kid].groupby([reg[is_kid].map({r: tree.parent(r) for r in kids}).to_numpy(),
                                   part["month"].to_numpy()[is_kid],
                                   val[is_kid].to_numpy()])["target_volume"].sum()
        parents = set(up.index.unique(level=0))  # each parent once, not once per line and month
        mine = mine[mine.index.get_level_values(0).isin(parents)]
        diff = up.sub(mine, fill_value=0)
        if (diff != 0).any():
            faults.append(f"children's {kind} lines do not sum to their parent's: {list(diff[diff != 0].index[:5])}")
    if sku_lines is not None and rows["sku"].any() and rows["product_line"].any():
        sk = targets[rows["sku"]]
        line = sk["sku"].astype(object).map(sku_lines)
        s = sk.groupby([sk["region_id"].to_numpy(), sk["month"].to_numpy(), line.to_numpy()])["target_volume"].sum()
        pl = targets[rows["product_line"]]
        own = pl.set_index([pl["region_id"].astype(object), pl["month"], pl["product_line"].astype(object)])[
            "target_volume"]
        own.index.names = s.index.names
        diff = s.sub(own, fill_value=0)
        if (diff != 0).any():
            faults.append(f"SKUs do not sum to their product line: {list(diff[diff != 0].index[:5])}")
    if faults:
        raise SplitError("the targets table does not re-aggregate exactly: " + "; ".join(faults))
