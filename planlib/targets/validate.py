"""
Checking a targets table before anything is written.

Public functions
----------------
validate_targets    check that a targets table re-aggregates exactly (raise SplitError listing faults)
"""

from __future__ import annotations

import pandas as pd

from planlib.errors import SplitError
from planlib.hierarchy import RegionTree
from planlib.targets.table import BREAKDOWNS, breakdown_codes

__all__ = ["validate_targets"]


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
