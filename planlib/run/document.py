"""
What a region's plan document and its consolidation read: a run folder, the archive and the workflow folder.

The workflow folder (``<runs_root>/<plan_id>/workflow/``, the file contract of DESIGN §4b,
kept by :mod:`planlib.run.workflow_files`) sits beside the plan's runs. :func:`read_workflow`
reads its verified audit log and each region's latest submission (None when the plan has
none yet); :func:`document_inputs` gathers everything the plan document
(:func:`planlib.workflow.document.plan_document`) is written from.

Public names: WorkflowFiles, run_workflow_dir, read_workflow, find_run, plan_run, latest_plan_run,
document_inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from planlib import archive, params, review, tracking
from planlib.errors import ParamsError
from planlib.run import folder, workflow_files
from planlib.workflow.audit import read_log
from planlib.workflow.consolidate import actions_rollup
from planlib.workflow.document import DocumentInputs
from planlib.workflow.status import region_status

__all__ = ["WorkflowFiles", "run_workflow_dir", "read_workflow", "find_run", "plan_run", "latest_plan_run", "document_inputs"]

@dataclass(frozen=True)
class WorkflowFiles:
    """The workflow folder as read: the audit log's records and each region's latest submission, concatenated."""

    path: Path
    log: list[dict[str, Any]]
    targets: pd.DataFrame
    budget: pd.DataFrame
    actions: pd.DataFrame


def run_workflow_dir(run_dir: str | Path) -> Path:
    """The workflow folder of the plan a run belongs to: ``<runs_root>/<plan_id>/workflow``."""
    return Path(run_dir).resolve().parent / workflow_files.WORKFLOW_DIR


def read_workflow(path: str | Path) -> WorkflowFiles | None:
    """
    Read a plan's workflow folder: the audit log (its chain verified) and every region's latest submission.

    Parameters
    ----------
    path : path
        The workflow folder (:func:`run_workflow_dir`).

    Returns
    -------
    WorkflowFiles or None
        None when the folder does not exist (the plan has no submissions round).

    Raises
    ------
    WorkflowError
        If the audit log's chain is broken (the file and first bad line are named).
    """
    path = Path(path)
    if not path.is_dir():
        return None
    log = read_log(workflow_files.audit_path(path))
    subs = workflow_files.load_submissions(path, log)
    return WorkflowFiles(path, log, subs["targets"], subs["budget"], subs["actions"])


def find_run(runs_root: str | Path, plan_id: str, run_id: str) -> Path:
    """
    A run folder by id (``runs/<plan_id>/<run_id>``), or the latest plan run for ``latest``.

    Raises
    ------
    ParamsError
        If there is no such run (the message lists the plan's runs).
    """
    plan_folder = folder.plan_dir(runs_root, plan_id)
    run = folder.latest_run(plan_folder, kind=folder.RUN_PLAN) if run_id == "latest" else \
        folder.run_path(runs_root, plan_id, run_id)
    if run is None or not folder.manifest_path(run).exists():
        have = sorted(p.name for p in plan_folder.glob("*") if folder.manifest_path(p).exists())
        raise ParamsError(f"--run {run_id}: no run of plan {plan_id} in {plan_folder}; runs there: "
                          f"{', '.join(have) or 'none'}")
    return run


def plan_run(run_dir: str | Path | None, plan_id: str) -> Path:
    """The run a notebook reads: the batch's run folder, else the plan's latest plan run with a budget."""
    return Path(run_dir) if run_dir else latest_plan_run(plan_id)


def latest_plan_run(plan_id: str, runs_root: str | Path | None = None) -> Path:
    """
    The plan's latest run whose budget was written (for a notebook opened in JupyterLab without a run).

    ``runs_root`` defaults to the suite's ``runs/`` folder. Raises ParamsError saying how to make one.
    """
    root = Path(runs_root) if runs_root else Path(__file__).resolve().parents[2] / "runs"
    run = folder.latest_run(folder.plan_dir(root, plan_id), kind=folder.RUN_PLAN,
                            where=lambda p, m: folder.results_path(p, folder.RESULTS_REGIONS).exists())
    if run is None:
        raise ParamsError(f"no plan run of {plan_id} with a budget under {root}; make one with "
                          "`planlib run PLAN.yaml --notebooks 30_build_budget`")
    return run


def _region_params(run_dir: Path, manifest: dict[str, Any], region: str, tree):
    snap = folder.region_dir(run_dir, region) / params.SNAPSHOT_NAME
    if snap.exists():
        return params.load_snapshot(snap)
    return params.load_plan(Path(manifest["plan_file"]), region=region, scenario=manifest.get("scenario", "base"),
                            tree=tree)


def document_inputs(run_dir: str | Path, region: str) -> DocumentInputs:
    """
    Gather a region's plan-document inputs from a plan run, its archive and the plan's workflow folder.

    Parameters
    ----------
    run_dir : path
        A plan run whose targets and budget steps succeeded.
    region : str
        A region of the run's plan (in its targets and budget tables).

    Raises
    ------
    ParamsError
        If the run has no targets or budget, or the region has none in it.
    """
    run_dir = Path(run_dir)
    manifest = folder.read_manifest(run_dir)
    targets = folder.load_targets(run_dir)
    table, regions, _ = folder.load_budget(run_dir)
    base = params.load_plan(Path(manifest["plan_file"]), scenario=manifest.get("scenario", "base"))
    tree = archive.load_tree(base.archive)
    tree.check(region)
    plan = _region_params(run_dir, manifest, region, tree)
    summary = regions.loc[regions["region_id"].astype(str) == region]
    if summary.empty:
        raise ParamsError(f"--region {region}: not planned in run {run_dir.name} (levels {', '.join(plan.scope.levels)}); "
                          "choose a region of the plan's levels")
    ids = targets["region_id"].astype(str)
    rest = [c for c in ("sku", "channel", "terminal_class", "terminal_id", "distributor_id") if c in targets.columns]
    mine = targets.loc[(ids == region).to_numpy()]
    total = mine.loc[mine[[*rest, "product_line"]].isna().all(axis=1).to_numpy()]
    months = total[["month", "target_volume", "target_revenue"]].sort_values("month").reset_index(drop=True)
    line_rows = mine.loc[(mine[rest].isna().all(axis=1) & mine["product_line"].notna()).to_numpy()]
    lines = (line_rows.assign(product_line=line_rows["product_line"].astype(str))
             .groupby("product_line", as_index=False)[["target_volume", "target_revenue"]].sum())
    kids = list(tree.children(region))
    child_rows = targets.loc[ids.isin(kids).to_numpy()]
    child_rows = child_rows.loc[child_rows[[*rest, "product_line"]].isna().all(axis=1).to_numpy()]
    children = (child_rows.assign(region_id=child_rows["region_id"].astype(str))
                .groupby("region_id", as_index=False)[["target_volume", "target_revenue"]].sum())
    children = children.set_index("region_id").reindex([k for k in kids if k in set(children["region_id"])]).reset_index()
    children.insert(1, "name", [tree.name(r) for r in children["region_id"]])
    items = table.loc[(table["region_id"].astype(str) == region).to_numpy(), ["category", "item", "amount"]]

    years = (plan.year - plan.analysis.history_years, plan.year - 1)
    data = review.load_region_data(plan.archive, tree, region, years=years)
    rv = review.review_region(data, tree, capture_rate=plan.analysis.capture_rate, swot_lines=plan.swot.lines())

    wf = read_workflow(run_workflow_dir(run_dir))
    names = {r: tree.name(r) for r in [region, *kids]}
    actions = status = None
    if wf is not None:
        actions = actions_rollup(wf.actions, [region, *kids], names)
        status = region_status(wf.log, tree, [region, *kids])
    rules = tracking.tracking_assumptions(plan, as_of=pd.Timestamp(plan.year, 12, 31).date(), plan_run=run_dir.name)
    rules = rules.iloc[1:].reset_index(drop=True)  # the as-of line belongs to a tracking run, not the plan
    return DocumentInputs(
        region_id=region, name=tree.name(region), level=tree.level(region), path_label=tree.path_label(region),
        plan_title=plan.title, plan_id=plan.plan_id, run_id=run_dir.name,
        scenario=str(manifest.get("scenario", "base")), year=int(plan.year),
        yearly=rv.yearly, key_figures=review.key_figures(rv), brands=rv.brands, swot=rv.swot,
        growth_points=rv.growth_points, months=months, lines=lines, children=children,
        summary=summary.iloc[0].to_dict(), budget_items=items, threshold=float(plan.budget.expense_ratio_threshold),
        actions=actions, status=status,
        milestones=[(m.stage, str(m.date), float(m.coverage)) for m in plan.targets.milestones],
        rules=rules,
    )
