"""
The plan's promotion schemes in its targets' months (issue #17; docs/promotions.md).

A scheme expected to lift sales in its months pulls the targets of the regions it runs in
towards those months; the annual targets do not change. The schemes are costed upstream
(:mod:`planlib.promotions.plan`); their expected lift per region and month profile come
here as frames.

Public names
------------
promotion_lift        each planned leaf region's expected revenue lift by month
shift_for_promotions  the plan's targets with the months of the regions the schemes run in shifted
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from planlib.rounding import round_to_total
from planlib.targets.fitting import fit_table, round_table
from planlib.targets.table import BREAKDOWN_COLUMNS, breakdown_of

__all__ = ["promotion_lift", "shift_for_promotions"]


def promotion_lift(costs: pd.DataFrame, months: pd.DataFrame, tree, leaves) -> pd.DataFrame:
    """
    Each planned leaf region's expected revenue lift by month from the plan's schemes.

    Parameters
    ----------
    costs : DataFrame
        ``scheme, region_id, expected_lift`` per scheme and region its terminals are booked
        to (:attr:`planlib.promotions.plan.PlanSchemes.costs`).
    months : DataFrame
        ``scheme, month, share`` (each scheme's month profile, summing to 1).
    tree : RegionTree
    leaves : iterable of str
        The planned regions without planned children (the counties of a county plan).

    Returns
    -------
    DataFrame
        Leaf region ids × months 1..12: L_{u,m} = sum over schemes s and regions r below u
        of expected_lift_{r,s} * share_{s,m}.
    """
    leaves = list(leaves)
    out = pd.DataFrame(0.0, index=pd.Index(leaves, name="region_id"), columns=range(1, 13))
    if costs is None or costs.empty:
        return out
    leaf_set = set(leaves)
    owner = {r: next((a for a in (r, *tree.ancestors(r)) if a in leaf_set), None) for r in pd.unique(costs["region_id"])}
    prof = months.pivot_table(index="scheme", columns="month", values="share", aggfunc="sum", fill_value=0.0)
    prof = prof.reindex(columns=range(1, 13), fill_value=0.0)
    for r in costs.itertuples():
        u = owner.get(r.region_id)
        if u is not None and r.scheme in prof.index and r.expected_lift > 0:
            out.loc[u] += float(r.expected_lift) * prof.loc[r.scheme].to_numpy(dtype=float)
    return out


def _refit(key: np.ndarray, month: np.ndarray, value: np.ndarray, old_months: np.ndarray, new_months: np.ndarray,
           unit) -> np.ndarray:
    """
    A keys × months block's values refitted: each key's year kept, each month's sum moved as the region's.

    A block whose months summed to the region's old months sums to its new months; one
    that did not (a breakdown covering part of the region) has its month sums S_m moved to
    S_m * new_m / old_m, scaled back to its own year. Returns the rows' new values.
    """
    keys, k = np.unique(key, return_inverse=True)
    seed = np.zeros((len(keys), 12))
    np.add.at(seed, (k, month - 1), value)
    rows = seed.sum(axis=1)
    sums = seed.sum(axis=0)
    if unit is not None:
        rows = np.rint(rows).astype(np.int64)
    if unit is not None and np.array_equal(sums, old_months):
        cols = np.asarray(new_months, dtype=np.int64)
    else:
        moved = sums * np.divide(new_months, old_months, out=np.ones(12), where=old_months > 0)
        cols = moved / moved.sum() * float(rows.sum()) if moved.sum() > 0 else sums
        if unit is not None:
            cols = np.asarray(round_to_total(cols, int(rows.sum()), unit=unit), dtype=np.int64)
    frame = pd.DataFrame(seed, columns=range(1, 13))
    fitted = fit_table(frame, pd.Series(rows, dtype=float), pd.Series(cols, index=frame.columns, dtype=float))
    if unit is not None:
        fitted = round_table(fitted, pd.Series(rows), pd.Series(cols, index=frame.columns), unit=unit)
    return fitted.to_numpy()[k, month - 1]


def shift_for_promotions(pt, tree, costs: pd.DataFrame, months: pd.DataFrame, *, unit: int = 1):
    """
    The plan's targets with the months of the regions its schemes run in shifted towards the schemes' months.

    Parameters
    ----------
    pt : PlanTargets
        The plan's targets (:func:`planlib.targets.plan_targets`).
    tree : RegionTree
    costs, months : DataFrame
        As :func:`promotion_lift`.
    unit : int, default 1
        The plan's volume unit.

    Returns
    -------
    PlanTargets
        A copy whose ``table`` has the shifted months (``pt`` itself when nothing shifts).

    Notes
    -----
    For a leaf u with target revenue R_m by month (R the year) and lift L_m (L the year):
    the month profile becomes p'_m = (R_m + L_m) / (R + L); volume V'_m = V * w_m / sum(w)
    with w_m = V_m (R_m + L_m) / R_m (largest remainder in the plan's unit: sum V'_m = V
    exactly) and revenue R'_m = R * p'_m. The year's volume and revenue do not change.
    A parent's months are its children's sums. Each breakdown (product lines, skus,
    channels, terminal classes, distributors, terminals) of a shifted region is refitted
    (:func:`fit_table` then :func:`round_table`): each line keeps its year, the months sum
    exactly to the region's new months.
    """
    table = pt.table
    kind = breakdown_of(table)
    is_total = (kind == "total").to_numpy()
    totals = table[is_total]
    ids = set(totals["region_id"].astype(str))
    leaves = [r for r in sorted(ids) if not any(c in ids for c in tree.children(r))]
    lift = promotion_lift(costs, months, tree, leaves)
    lift = lift[lift.sum(axis=1) > 0]
    if lift.empty:
        return pt
    m = pd.DatetimeIndex(table["month"]).month.to_numpy()
    region = table["region_id"].astype(str).to_numpy()
    vol = totals.pivot_table(index="region_id", columns=pd.DatetimeIndex(totals["month"]).month, values="target_volume",
                             aggfunc="sum", fill_value=0, observed=True)
    rev = totals.pivot_table(index="region_id", columns=pd.DatetimeIndex(totals["month"]).month,
                             values="target_revenue", aggfunc="sum", fill_value=0.0, observed=True)
    vol.index, rev.index = vol.index.astype(str), rev.index.astype(str)
    new_vol, new_rev = {}, {}
    for u, L in lift.iterrows():
        R_m, V_m = rev.loc[u].to_numpy(dtype=float), vol.loc[u].to_numpy(dtype=float)
        L_m = L.to_numpy(dtype=float)
        if R_m.sum() <= 0:
            continue
        f = np.divide(R_m + L_m, R_m, out=np.zeros(12), where=R_m > 0)
        w = V_m * f
        new_vol[u] = np.asarray(round_to_total(w / w.sum() * V_m.sum(), int(V_m.sum()), unit=unit), dtype=np.int64) \
            if w.sum() > 0 else V_m.astype(np.int64)
        r = R_m * f
        new_rev[u] = r / r.sum() * R_m.sum()
    for p in sorted({a for u in new_vol for a in tree.ancestors(u) if a in ids}, key=lambda x: -len(tree.ancestors(x))):
        below = [u for u in leaves if p in tree.ancestors(u)]
        new_vol[p] = sum((new_vol.get(u, vol.loc[u].to_numpy(dtype=np.int64)) for u in below))
        new_rev[p] = sum((new_rev.get(u, rev.loc[u].to_numpy(dtype=float)) for u in below))
    out = table.copy()
    tv = out["target_volume"].to_numpy(copy=True)
    tr = out["target_revenue"].to_numpy(dtype=float, copy=True)
    owner_of = {}
    for r in pd.unique(region):
        owner_of[r] = next((a for a in (r, *tree.ancestors(r)) if a in ids), None)
    owner = np.array([owner_of[r] for r in region], dtype=object)
    keys = [c for c in ("region_id", *BREAKDOWN_COLUMNS) if c in out.columns]
    line = pd.MultiIndex.from_arrays([out[c].astype(object) for c in keys]).factorize()[0]  # a breakdown line's id
    kinds = kind.to_numpy(dtype=object)
    rows_of = pd.Series(np.arange(len(out))).groupby([owner, is_total, kinds], sort=False).indices
    for (u, total, b), idx in rows_of.items():
        if u not in new_vol:
            continue
        if total:
            tv[idx] = new_vol[u][m[idx] - 1]
            tr[idx] = new_rev[u][m[idx] - 1]
        else:
            tv[idx] = _refit(line[idx], m[idx], tv[idx].astype(float), vol.loc[u].to_numpy(dtype=np.int64),
                             new_vol[u], unit)
            tr[idx] = _refit(line[idx], m[idx], tr[idx], rev.loc[u].to_numpy(dtype=float), new_rev[u], None)
    out["target_volume"] = tv.astype(table["target_volume"].dtype)
    out["target_revenue"] = tr
    return dataclasses.replace(pt, table=out)
