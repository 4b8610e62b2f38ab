"""
The plan's targets: the root's target kinds and the exact split of its volume down the scope.

Public names
------------
PlanTargets         the plan's targets (frozen): the root's kinds and the targets table
plan_targets        set the root's targets and split its volume exactly down the plan's scope
region_potential    each region's potential volume (a share of its category market)
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from planlib.archive.queries import targets as queries
from planlib.schemas import LEVEL_DEPTH
from planlib.targets.allocate import allocate_plan
from planlib.targets.baseline import Baseline, baseline, festival_month_shares
from planlib.targets.history import load_allocation_history
from planlib.targets.kinds import region_economics, set_targets
from planlib.targets.validate import validate_targets

__all__ = ["PlanTargets", "plan_targets", "region_potential"]


@dataclass(frozen=True, eq=False)
class PlanTargets:
    """The plan's targets: the root's target kinds and the exact split of its volume."""

    root: str
    plan_year: int
    baseline: Baseline
    kinds: pd.DataFrame
    month_shares: pd.Series
    total_volume: int
    table: pd.DataFrame


def plan_targets(plan, tree, con) -> PlanTargets:
    """
    Set the root's targets and split its volume exactly down the plan's scope.

    Parameters
    ----------
    plan : PlanParams
        The plan (``year``, ``scope``, ``targets``, ``split``).
    tree : RegionTree
    con : DuckDBPyConnection
        The open archive.

    Returns
    -------
    PlanTargets
        ``table`` is the DESIGN.md §4 targets table of every region in scope.

    Notes
    -----
    target volume = round_unit(baseline × (1 + targets.stretch)); months follow the
    plan year's festival-aligned profile (:func:`festival_month_shares`); regions, months,
    product lines, channels, terminal classes and A/B terminals are split by
    :func:`~planlib.targets.allocate.allocate_plan`, every child summing exactly to its parent
    (checked by :func:`~planlib.targets.validate.validate_targets` before the table is returned).
    """

    root, year = plan.scope.root, plan.year
    econ = region_economics(con, tree, root, year)
    base = baseline(econ.monthly, year)
    unit = plan.targets.unit
    total = int(round(base.annual * (1.0 + plan.targets.stretch) / unit)) * unit
    kinds = set_targets(
        econ.monthly,
        year,
        stretch=plan.targets.stretch,
        unit_price=econ.unit_price,
        unit_cost=econ.unit_cost,
        expense_ratio=econ.expense_ratio,
        market_volume=econ.market_volume,
    )
    shares = festival_month_shares(econ.monthly, year)
    levels = tuple(lvl for lvl in plan.scope.levels if lvl not in ("hq",))
    deepest = max(levels or ("county",), key=LEVEL_DEPTH.get)
    history = load_allocation_history(con, tree, root, year, level=deepest)
    sp = plan.split
    potential = region_potential(con, tree, root, year, share=sp.potential_share)
    table = allocate_plan(
        history,
        tree,
        root=root,
        total_volume=total,
        month_shares=shares,
        plan_year=year,
        method=plan.split.method,
        levels=levels or ("county",),
        unit=unit,
        floor=sp.floor,
        holds=dict(sp.holds) or None,
        weights=dict(sp.weights) or None,
        potential=potential if (sp.cap is not None or sp.method == "potential" or sp.weights.get("potential")) else None,
        cap=sp.cap,
    )
    # a safety net before anything is written: every level, month and breakdown adds up
    validate_targets(table, tree, sku_lines=history.sku_lines)
    return PlanTargets(root, year, base, kinds, shares, total, table)


def region_potential(con, tree, root: str, plan_year: int, *, share: float) -> pd.Series:
    """
    Each region's potential volume: a share of its category market last year.

    Parameters
    ----------
    con : DuckDBPyConnection
    tree : RegionTree
    root : str
        The regions of this subtree are returned.
    plan_year : int
    share : float
        The largest share of the category market thought attainable (``split.potential_share``).

    Returns
    -------
    Series
        ``potential`` by region id, for every region of the subtree whose subtree has
        market records last year (the others are missing: their potential is unknown).

    Notes
    -----
    potential_r = share × Σ_{l ∈ subtree(r)} market_volume_{l, last year}.
    """
    ids = list(tree.subtree(root))
    rows = queries.market_volume_by_region(con, ids, plan_year - 1)
    top = set(tree.ancestors(root))
    rolled: dict[str, float] = {}
    for rid, vol in rows:
        for a in (rid, *tree.ancestors(rid)):
            if a not in top:
                rolled[a] = rolled.get(a, 0.0) + float(vol or 0.0)
    order = [r for r in ids if r in rolled]
    return pd.Series([share * rolled[r] for r in order], index=pd.Index(order, name="region_id"),
                     name="potential", dtype="float64")
