"""
Targets: baseline, target kinds, shares and splits, the plan-wide allocation, breakdowns,
reconciliation, validation, and one region's view of them.

Rooms (one concept each)
------------------------
baseline     Holt-Winters baseline (one region, or many at once), festival-aligned month shares, the reading
holtwinters  the damped Holt-Winters fit itself (statsmodels' numbers, its start-value grid vectorised)
kinds        target kinds priced with a region's economics, milestones
shares       share methods (SPLIT_METHODS, shares_for)
split        exact splits: split_target, constrain_split, split_down
fitting      tables with two exact margins: fit_table, round_table
table        the targets table's columns, breakdown_of
history      the allocation's aggregated history (load_allocation_history), a parent's children's months (children_history)
allocate     allocate_plan, the plan-wide split (nodes, breakdowns: its parts)
validate     validate_targets
reconcile    top-down vs bottom-up: reconcile, children_proposals, bottom_up_gap, reconcile_children
plan         plan_targets, region_potential
readcache    the step's big archive reads kept between runs, keyed by the archive's state (ArchiveReads)
region       region_view, readings, split_inputs / tune_split for the tuning panel
"""

from planlib.targets.allocate import (
    allocate_plan,
)
from planlib.targets.baseline import (
    BASELINE_METHODS_ZH,
    Baseline,
    SeasonalityChoice,
    baseline,
    baseline_reading,
    baselines,
    calendar_month_shares,
    festival_month_shares,
    festival_shift_reading,
    plan_month_shares,
    seasonality_backtest,
)
from planlib.targets.fitting import (
    fit_table,
    round_table,
)
from planlib.targets.history import (
    AllocationHistory,
    children_history,
    load_allocation_history,
)
from planlib.targets.kinds import (
    RegionEconomics,
    TARGET_KINDS,
    baseline_history,
    milestones,
    region_baseline,
    region_economics,
    region_kinds,
    set_targets,
)
from planlib.targets.plan import (
    PlanTargets,
    SplitChoice,
    plan_targets,
    planned_history,
    reconciled_holds,
    region_growth_points,
    region_potential,
    root_target,
    split_choice,
    target_source,
)
from planlib.targets.reconcile import (
    RECONCILE_METHODS,
    bottom_up_gap,
    children_baselines,
    children_proposals,
    children_shares,
    gap_body,
    gap_reading,
    reconcile,
    reconcile_children,
    reconciled_children,
)
from planlib.targets.region import (
    RegionTargetView,
    SplitInputs,
    diagnostics,
    fairness,
    fairness_reading,
    launch_reading,
    key_figures,
    kinds_reading,
    region_view,
    split_inputs,
    tune_split,
)
from planlib.targets.shares import (
    BACKTEST_METHODS,
    FORECAST_GROWTH_CLIP,
    SPLIT_METHODS,
    best_split_method,
    child_forecasts,
    shares_for,
    split_backtest,
)
from planlib.targets.split import (
    constrain_split,
    split_down,
    split_target,
)
from planlib.targets.table import (
    BREAKDOWNS,
    BREAKDOWN_COLUMNS,
    TARGET_COLUMNS,
    TERMINAL_SHEET,
    breakdown_of,
)
from planlib.targets.validate import (
    validate_targets,
)

__all__ = [
    "allocate_plan",
    "Baseline",
    "baseline",
    "baselines",
    "festival_month_shares",
    "festival_shift_reading",
    "baseline_reading",
    "BASELINE_METHODS_ZH",
    "calendar_month_shares",
    "seasonality_backtest",
    "plan_month_shares",
    "SeasonalityChoice",
    "fit_table",
    "round_table",
    "AllocationHistory",
    "load_allocation_history",
    "TARGET_KINDS",
    "set_targets",
    "milestones",
    "RegionEconomics",
    "region_economics",
    "region_kinds",
    "region_baseline",
    "baseline_history",
    "PlanTargets",
    "plan_targets",
    "region_potential",
    "split_choice",
    "SplitChoice",
    "root_target",
    "reconciled_holds",
    "planned_history",
    "target_source",
    "region_growth_points",
    "RECONCILE_METHODS",
    "reconcile",
    "children_baselines",
    "children_proposals",
    "bottom_up_gap",
    "gap_reading",
    "reconciled_children",
    "reconcile_children",
    "children_history",
    "children_shares",
    "gap_body",
    "RegionTargetView",
    "region_view",
    "key_figures",
    "kinds_reading",
    "fairness_reading",
    "launch_reading",
    "diagnostics",
    "fairness",
    "SplitInputs",
    "split_inputs",
    "tune_split",
    "SPLIT_METHODS",
    "shares_for",
    "split_backtest",
    "best_split_method",
    "child_forecasts",
    "BACKTEST_METHODS",
    "FORECAST_GROWTH_CLIP",
    "split_target",
    "constrain_split",
    "split_down",
    "TARGET_COLUMNS",
    "BREAKDOWNS",
    "BREAKDOWN_COLUMNS",
    "TERMINAL_SHEET",
    "breakdown_of",
    "validate_targets",
]
