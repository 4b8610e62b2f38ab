"""
What a region's targets report reads of the targets step: the plan's split and month choices, its rows, its children's baselines.

Apart from :mod:`planlib.run.folder` (which writes them) because these read into the targets
package's types: a run's worker imports ``folder`` for every task and so stays without the targets
package (pandera, scipy), which only a targets report needs.

Public: StepTargets, load_choices, load_region_targets, plan_region_targets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from planlib.errors import ParamsError
from planlib.run.folder import (
    RESULTS_BASELINES,
    RESULTS_CHOICES,
    RESULTS_SEASONALITY_BACKTEST,
    RESULTS_SPLIT_BACKTEST,
    RESULTS_TARGETS_BY_REGION,
    load_targets,
    read_by_region,
    results_path,
    step_failure,
)
from planlib.targets import SeasonalityChoice, SplitChoice, split_choice
from planlib.targets.region import view_regions

__all__ = ["StepTargets", "load_choices", "load_region_targets", "plan_region_targets"]


def load_choices(run_dir) -> tuple[SplitChoice, SeasonalityChoice]:
    """
    The targets step's split and seasonality choices (:func:`write_choices`), as it made them.

    Raises
    ------
    ParamsError
        If the run has none (a run from before they were written, or the step failed).
    """
    path = results_path(run_dir, RESULTS_CHOICES)
    if not path.exists():
        raise ParamsError(f"{path}: no split choice in this run{step_failure(run_dir, 'targets')}")
    doc = json.loads(path.read_text(encoding="utf-8"))
    sp, se = doc["split"], doc["seasonality"]
    split_bt = pd.read_parquet(results_path(run_dir, RESULTS_SPLIT_BACKTEST))
    if split_bt.empty:  # as split_choice builds it
        split_bt = pd.DataFrame(columns=["method", "wmape", "children", "parents"])
    season_bt = pd.read_parquet(results_path(run_dir, RESULTS_SEASONALITY_BACKTEST))
    if season_bt.empty:  # as plan_month_shares builds it
        season_bt = pd.DataFrame({"seasonality": pd.Series([], dtype=object), "error": pd.Series([], dtype=float)})
    shares = pd.Series(se["shares"], index=pd.Index(se["months"], dtype="int64", name=se["index_name"]), name=se["name"],
                       dtype="float64")
    return (SplitChoice(sp["method"], sp["asked"], split_bt),
            SeasonalityChoice(se["seasonality"], se["asked"], season_bt, shares, se.get("used")))


@dataclass(frozen=True, eq=False)
class StepTargets:
    """What one region's targets report reads of the targets step (:func:`load_region_targets`)."""

    table: pd.DataFrame  #: the targets table's rows the region's view reads (:func:`planlib.targets.view_regions`)
    split: SplitChoice  #: the plan's split method and its back-test
    seasonality: SeasonalityChoice  #: the plan's month profile and its back-test
    baselines: pd.Series | None  #: the children's own trend forecasts, None when the step did not write them


def load_region_targets(run_dir, tree, region: str) -> StepTargets:
    """
    One region's part of the targets step's results: its rows, the plan's choices, its children's baselines.

    The rows are those of :func:`planlib.targets.view_regions` (read from
    :data:`RESULTS_TARGETS_BY_REGION`; a run from before it was written reads the whole
    table and keeps them). ``baselines`` are the children the plan splits to that have
    their own sales, in the tree's order, as :func:`planlib.targets.children_baselines`
    gives them with the table.
    """
    ids = view_regions(tree, region)
    by_region = results_path(run_dir, RESULTS_TARGETS_BY_REGION)
    if by_region.exists():
        table = read_by_region(by_region, ids)
    else:
        table = load_targets(run_dir)
        table = table[table["region_id"].isin(ids)].reset_index(drop=True)
    split, season = load_choices(run_dir)
    path = results_path(run_dir, RESULTS_BASELINES)
    baselines = None
    if path.exists():
        kids = list(tree.children(region))
        rows = read_by_region(path, kids)
        baselines = _planned_children(dict(zip(rows["region_id"].astype(str), rows["baseline"].astype(float))), kids,
                                      table)
    return StepTargets(table, split, season, baselines)


def plan_region_targets(result, plan, tree, con, region: str) -> StepTargets:
    """
    One region's part of a plan's targets computed in this process, as :func:`load_region_targets` reads it from a run.

    ``result`` is :func:`planlib.targets.plan_targets`' :class:`~planlib.targets.PlanTargets` of
    ``plan`` (a report run outside a batch computes the whole plan): its rows of
    :func:`planlib.targets.view_regions`, its month profile, its children's baselines (None when
    the plan fitted none) chosen as from a run's files, and the split choice the targets step
    writes for the reports: the plan's own, unless the plan fell back from a method that needs
    market data, then :func:`planlib.targets.split_choice` of the plan (read from ``con``).
    """
    table = result.table[result.table["region_id"].isin(view_regions(tree, region))].reset_index(drop=True)
    split = result.split
    if split is None or split.asked != plan.split.method:
        split = split_choice(plan, tree, con)
    baselines = None
    if result.baselines is not None:
        got = dict(zip(result.baselines.index.astype(str), result.baselines.to_numpy(dtype="float64")))
        baselines = _planned_children(got, list(tree.children(region)), table)
    return StepTargets(table, split, result.seasonality, baselines)


def _planned_children(got: dict, kids: list, table: pd.DataFrame) -> pd.Series:
    """The baselines ``got`` (region id -> baseline) of the children ``kids`` that the table plans, in their order."""
    planned = set(pd.unique(table["region_id"].astype(str)))
    return pd.Series({k: got[k] for k in kids if k in planned and k in got}, dtype="float64", name="baseline")
