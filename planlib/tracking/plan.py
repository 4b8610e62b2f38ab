"""
Tracking a signed plan: every region at every level, against the actuals to an as-of date.

The plan's targets and budget (a finished run's ``results/``) are read, never recomputed.
The actuals — the plan year's sales (county or township), weekly rows of core terminals
and expenses (any level) — are homed to the plan's regions and summed up the pyramid, so
every figure of a parent is exactly its children's plus its own.

Public names
------------
PlanTracking      the frames of a tracked plan (frozen)
plan_tracking     build them for every region of the plan
SUMMARY_COLUMNS   the columns of the per-region summary
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planlib.errors import DataError, ParamsError
from planlib.hierarchy import RegionTree
from planlib.tracking.control import budget_control, dual_check_actuals
from planlib.tracking.landing import LANDING_METHODS, landing_matrix
from planlib.tracking.lines import (
    MEASURES,
    TRACKING_COLUMNS,
    build_lines,
    sales_facts,
    terminal_volumes,
    tracking_frame,
)
from planlib.tracking.milestones import (
    MILESTONE_COLUMNS,
    key_terminals,
    milestone_coverage,
)
from planlib.tracking.progress import (
    check_as_of,
    closed_months,
    month_starts,
    nullable,
    plan_year_of,
    progress_matrix,
)
from planlib.tracking.rollover import check_mode, revise_matrix
from planlib.tracking.rollup import as_dense, plan_regions, roll_up
from planlib.tracking.weekly import WEEKLY_COLUMNS, weekly_tracking

__all__ = ["DUAL_INPUT_COLUMNS", "SUMMARY_COLUMNS", "PlanTracking", "plan_tracking"]

#: Columns of :attr:`PlanTracking.summary`.
SUMMARY_COLUMNS = ("region_id", "level", "measure", "year_target", "target_to_date", "actual_to_date",
                   "completion_to_date", "time_progress", "task_progress", "gap", "gap_points", "status",
                   "pace", "landing", "landing_gap", "run_rate_needed", "months_remaining", "rollover",
                   "open_month", "revised_open_month", "landing_method")

#: The columns of :attr:`PlanTracking.dual` before :func:`planlib.tracking.dual_check_actuals` adds its own.
DUAL_INPUT_COLUMNS = ("region_id", "level", "target_revenue_to_date", "target_revenue_year", "actual_revenue",
                      "actual_variable_cost", "actual_expenses", "profit_target")


@dataclass(frozen=True, eq=False)
class PlanTracking:
    """
    A signed plan tracked to an as-of date.

    Attributes
    ----------
    tracking : DataFrame
        :data:`~planlib.tracking.lines.TRACKING_COLUMNS`: region_id, level, breakdown
        (total, product_line, sku, channel, terminal_class, terminal), key (null for total;
        a terminal id, or ``CD`` for a region's C/D terminals' line), month, measure (volume,
        revenue), target, actual (null after as-of), completion (null where the target is 0
        or the month has not begun), revised_target (the rollover mode's months, each line's
        year exact). Every region of the targets, at every level.
    summary : DataFrame
        :data:`SUMMARY_COLUMNS`: per region and measure, the year to date and the year —
        target and actual to date, completion, time progress (序时进度), task progress, the
        gap (units and points), the landing forecast and its gap, the run-rate needed, the
        rollover mode and the revised target of the first open month.
    milestones : DataFrame
        :func:`planlib.tracking.milestone_coverage` per region and stage.
    control_items, control : DataFrame
        :func:`planlib.tracking.budget_control`: items and totals per budgeted region.
    dual : DataFrame
        :data:`DUAL_INPUT_COLUMNS` and the verdict of :func:`planlib.tracking.dual_check_actuals`
        per budgeted region.
    weekly : DataFrame
        :func:`planlib.tracking.weekly_tracking` (empty without weekly actuals).
    as_of : Timestamp
    plan_year : int
    rollover, landing_method : str
    """

    tracking: pd.DataFrame
    summary: pd.DataFrame
    milestones: pd.DataFrame
    control_items: pd.DataFrame
    control: pd.DataFrame
    dual: pd.DataFrame
    weekly: pd.DataFrame
    as_of: pd.Timestamp
    plan_year: int
    rollover: str
    landing_method: str


def _summary(lines, regions, as_of: pd.Timestamp, plan_year: int, rollover: str, unit, method: str) -> pd.DataFrame:
    """Per region (its total line) and measure: progress, landing and the open month's revised target."""
    tot = lines.take(lines.breakdown == "total")
    k = closed_months(as_of)
    open_month = month_starts(plan_year)[k] if k < 12 else pd.NaT
    parts = []
    for measure in MEASURES:
        if measure == "volume":
            T, A = tot.target_volume.astype("float64"), tot.actual_volume
            rev, _ = revise_matrix(tot.target_volume, tot.actual_volume, as_of, rollover, unit, "targets (volume)")
        else:
            T, A = tot.target_cents / 100.0, tot.actual_cents / 100.0
            rev, _ = revise_matrix(tot.target_cents, tot.actual_cents, as_of, rollover, 1, "targets (revenue, cents)")
            rev = rev / 100.0
        p = progress_matrix(T, A, as_of)
        land = landing_matrix(T, A, as_of, method)
        frame = pd.DataFrame({
            "region_id": regions.ids[tot.region], "level": regions.levels[tot.region], "measure": measure,
            **{c: p[c] for c in ("year_target", "target_to_date", "actual_to_date", "completion_to_date",
                                 "time_progress", "task_progress", "gap", "gap_points", "status")},
            "pace": land["pace"], "landing": land["landing"], "landing_gap": land["gap"],
            "run_rate_needed": land["run_rate_needed"], "months_remaining": land["months_remaining"],
            "rollover": rollover, "open_month": open_month,
            "revised_open_month": np.asarray(rev, dtype="float64")[:, k] if k < 12 else np.nan,
            "landing_method": method, "_pos": tot.region, "_m": MEASURES.index(measure),
        })
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True).sort_values(["_pos", "_m"], kind="stable")
    out = out.drop(columns=["_pos", "_m"]).reset_index(drop=True)
    for col in ("completion_to_date", "task_progress", "gap_points", "run_rate_needed", "revised_open_month"):
        out[col] = nullable(out[col].to_numpy(dtype="float64"))
    return out[list(SUMMARY_COLUMNS)]


def _dual(summary: pd.DataFrame, facts: dict, regions, control: pd.DataFrame,
          budget_regions: pd.DataFrame) -> pd.DataFrame:
    """Per budgeted region: the revenue, variable cost, expenses and profit target to date, checked."""
    if facts["variable_cost_cents"] is None:
        raise DataError("actual_sales: no variable_cost column (volume × products.unit_variable_cost): "
                        "the dual check on actuals needs it")
    pos, (vc,) = roll_up(regions, facts["eff"], facts["month"], 12, [facts["variable_cost_cents"]])
    vc_of = pd.Series(as_dense(vc).sum(axis=1) / 100.0, index=regions.ids[pos])
    rev = summary[summary["measure"] == "revenue"].set_index("region_id")
    br = budget_regions.assign(region_id=budget_regions["region_id"].astype(object).astype(str))
    ids = [r for r in control["region_id"] if r in rev.index]
    spend = control.set_index("region_id")["spend_to_date"]
    profit = br.set_index("region_id")["profit_target"] if "profit_target" in br else pd.Series(dtype="float64")
    frame = pd.DataFrame({
        "region_id": ids, "level": rev.loc[ids, "level"].to_numpy(dtype=object),
        "target_revenue_to_date": np.round(rev.loc[ids, "target_to_date"].to_numpy(dtype="float64"), 2),
        "target_revenue_year": rev.loc[ids, "year_target"].to_numpy(dtype="float64"),
        "actual_revenue": np.round(rev.loc[ids, "actual_to_date"].to_numpy(dtype="float64"), 2),
        "actual_variable_cost": np.round(vc_of.reindex(ids).fillna(0.0).to_numpy(), 2),
        "actual_expenses": spend.reindex(ids).fillna(0.0).to_numpy(dtype="float64"),
        "profit_target": profit.reindex(ids).to_numpy(dtype="float64"),
    })
    return dual_check_actuals(frame)


def plan_tracking(targets: pd.DataFrame, budget: pd.DataFrame, budget_regions: pd.DataFrame,
                  actual_sales: pd.DataFrame, actual_expenses: pd.DataFrame, tree: RegionTree, as_of, *,
                  rollover: str = "none", tolerance: float = 0.1, over_budget: str = "warn", milestones=(),
                  unit=1, names=None, actual_weekly: pd.DataFrame | None = None,
                  terminals: pd.DataFrame | None = None, landing_method: str = "profile",
                  skus=None) -> PlanTracking:
    """
    Track a signed plan for every region at every level, to an as-of date.

    Parameters
    ----------
    targets : DataFrame
        The run's ``results/targets.parquet`` (DESIGN.md §4).
    budget, budget_regions : DataFrame
        The run's ``results/budget.parquet`` and ``results/budget_regions.parquet`` (one
        row per budgeted region, with ``profit_target``; None: no dual check).
    actual_sales : DataFrame
        region_id (as recorded: county or township), month, sku, product_line, channel,
        terminal_id, terminal_class, volume, revenue, variable_cost — own monthly sales
        from the plan year's start to ``as_of``.
    actual_expenses : DataFrame
        region_id, month, category, item, terminal_id, amount, to ``as_of``.
    tree : RegionTree
        The archive's regions.
    as_of : date
        Inside the plan year.
    rollover : {"none", "next_month", "spread"}
        ``tracking.rollover``.
    tolerance : float
        ``budget.tolerance``.
    over_budget : {"stop", "warn"}
        ``tracking.over_budget``.
    milestones : sequence
        ``targets.milestones`` (stage, date, coverage).
    unit : int
        ``targets.unit``: the plan's volume unit (revised targets are whole multiples of it).
    names : mapping, optional
        terminal_id -> name for the missed key terminals.
    actual_weekly : DataFrame, optional
        The core terminals' weekly rows (week, region_id, terminal_id, volume, revenue).
    terminals : DataFrame, optional
        The archive's terminals: their A/B terminals are the key ones when the targets name none.
    landing_method : {"profile", "recent"}
        :data:`planlib.tracking.LANDING_METHODS`.
    skus : iterable, optional
        The SKUs actuals may carry (the products table's); default the targets' SKUs.

    Returns
    -------
    PlanTracking

    Raises
    ------
    ParamsError
        ``as_of`` outside the plan year (the date and the year named), an unknown rollover
        mode, severity or landing method.
    DataError
        Actuals for a region not in the tree or outside the plan, or for an SKU not in the
        plan (each named with its row count); actuals outside the plan year or after as-of.
    HierarchyError
        A region of the targets that is not in the tree.

    Notes
    -----
    Every sale is homed to the nearest region of the targets at or above where it was
    recorded; a sale at a named key terminal counts in the region whose targets name it (its
    county). A region's actual in a breakdown is the sum over its subtree, so a parent's
    actual is exactly its children's plus its own (its own rows, and for a county the sales
    at its named terminals recorded in its townships). A township is tracked on what the plan
    gives it, its C/D terminals' line: its total is that line. The targets are the plan's,
    whose parents are their children's sums by construction.

    The per-region figures are :func:`planlib.tracking.progress` (time progress by the
    plan's own month profile), :func:`planlib.tracking.landing` and
    :func:`planlib.tracking.revise_targets`, vectorised over every line.
    """
    plan_year = plan_year_of(targets["month"], "targets months")
    ts = check_as_of(as_of, plan_year)
    check_mode(rollover)
    if landing_method not in LANDING_METHODS:
        raise ParamsError(f"unknown landing method {landing_method!r}; valid methods: {', '.join(LANDING_METHODS)}")
    regions = plan_regions(tree, pd.unique(targets["region_id"].astype(object)))
    facts = sales_facts(actual_sales, regions, targets, plan_year, ts, skus=skus)
    lines = build_lines(targets, facts, regions, plan_year)
    tracking = tracking_frame(lines, regions, plan_year, ts, rollover=rollover, unit=unit)
    summary = _summary(lines, regions, ts, plan_year, rollover, unit, landing_method)
    keys = key_terminals(targets, terminals)
    stages = milestone_coverage(keys, terminal_volumes(facts), tree, milestones, ts, names=names, regions=regions) \
        if len(milestones) else pd.DataFrame({c: pd.Series(dtype=object) for c in MILESTONE_COLUMNS})
    budget_ids = pd.unique(budget_regions["region_id"].astype(object)) if budget_regions is not None and len(
        budget_regions) else pd.unique(budget["region_id"].astype(object))
    control_items, control = budget_control(budget, actual_expenses, tree, ts, tolerance=tolerance,
                                            over_budget=over_budget, regions=plan_regions(tree, budget_ids))
    dual = _dual(summary, facts, regions, control, budget_regions) if budget_regions is not None else \
        pd.DataFrame({c: pd.Series(dtype=object) for c in DUAL_INPUT_COLUMNS})
    weekly = weekly_tracking(targets, actual_weekly, ts) if actual_weekly is not None else \
        pd.DataFrame({c: pd.Series(dtype=object) for c in WEEKLY_COLUMNS})
    return PlanTracking(tracking[list(TRACKING_COLUMNS)], summary, stages, control_items, control, dual, weekly, ts,
                        plan_year, rollover, landing_method)
