"""
The demo's first round of the workflow: templates, a few counties' filled-in submissions, decisions.

The demo company's county managers fill in their templates the way people do: their own
volume a little above or below the top-down proposal, a budget request near the top-down
one, two or three actions with owners and dates. Deterministic: the same seed and region
give the same workbook. The archive is not touched.

Public functions: DEMO_ACTIONS, fill_submission, first_round.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from planlib import archive, params
from planlib.errors import WorkflowError
from planlib.present import templates
from planlib.run import batch, folder, workflow_files
from planlib.workflow import audit, status, submissions

__all__ = ["DEMO_ACTIONS", "fill_submission", "first_round"]

#: What a county manager plans to do (事项, 负责人, month due, cost in 元).
DEMO_ACTIONS: tuple[tuple[str, str, int, float], ...] = (
    ("春节前完成 A 类终端堆头陈列", "王强", 1, 30000.0),
    ("召开经销商年度订货会", "李娜", 2, 45000.0),
    ("新开发 B 类烟酒店 8 家", "张伟", 4, 16000.0),
    ("端午团购客户拜访", "刘洋", 6, 8000.0),
    ("中秋品鉴会两场", "陈静", 9, 60000.0),
    ("国庆宴席市场专项推广", "赵磊", 10, 25000.0),
)


def _rng(seed: int, region: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}|{region}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def fill_submission(template: str | os.PathLike[str], out: str | os.PathLike[str], *, region: str, plan_year: int,
                    seed: int = 20261127) -> Path:
    """
    Fill in a region's template as its manager would, deterministically.

    Parameters
    ----------
    template, out : path-like
        The template ``planlib plan templates`` wrote, and where the filled copy goes.
    region : str
        The region (seeds its numbers).
    plan_year : int
    seed : int, default 20261127

    Returns
    -------
    Path

    Notes
    -----
    volume = round(proposal × (1 + u)), u ~ U(−0.08, 0.12) per region, ± 2 % per month;
    revenue scaled by the same factor; each budget item's request = top-down × (1 + v),
    v ~ U(−0.05, 0.10); two or three actions of :data:`DEMO_ACTIONS`.
    """
    rng = _rng(seed, region)
    wb = openpyxl.load_workbook(template)
    ws = wb[submissions.SHEETS["targets"]]
    u = rng.uniform(-0.08, 0.12)
    for r in range(2, ws.max_row + 1):
        proposal, revenue = ws.cell(row=r, column=5).value, ws.cell(row=r, column=6).value
        if proposal is None:
            continue
        f = (1 + u) * (1 + rng.uniform(-0.02, 0.02))
        ws.cell(row=r, column=5).value = int(round(proposal * f))
        ws.cell(row=r, column=6).value = round(float(revenue or 0.0) * f, 2)
    ws = wb[submissions.SHEETS["budget"]]
    for r in range(2, ws.max_row + 1):
        top = ws.cell(row=r, column=3).value
        if isinstance(top, (int, float)):
            ws.cell(row=r, column=4).value = round(float(top) * (1 + rng.uniform(-0.05, 0.10)), 2)
    ws = wb[submissions.SHEETS["actions"]]
    picks = sorted(rng.choice(len(DEMO_ACTIONS), size=int(rng.integers(2, 4)), replace=False))
    for row, i in enumerate(picks, start=2):
        what, who, month, cost = DEMO_ACTIONS[i]
        ws.cell(row=row, column=1, value=what)
        ws.cell(row=row, column=2, value=who)
        ws.cell(row=row, column=3, value=dt.datetime(plan_year, month, 28))
        ws.cell(row=row, column=4, value=cost)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def first_round(plan_path: str | os.PathLike[str], runs_root: str | os.PathLike[str], *,
                city: str | None = None, by: str = "演示", seed: int = 20261127) -> pd.DataFrame:
    """
    Run the workflow's first round on the plan's latest run, for one city's counties.

    Templates for the city's counties; every county but the last submits a filled-in
    workbook; the first is approved, the second returned with a note, the rest wait. When
    the log already holds a submission of these counties, nothing is done again (a second
    ``make demo``): their status is returned as it stands.

    Parameters
    ----------
    plan_path : path-like
        The plan file.
    runs_root : path-like
        Where ``<plan_id>/`` is; its latest plan run with targets supplies the proposals.
    city : str, optional
        The city; default the first city of the plan's scope with at least three counties.
    by : str, default "演示"
        Who acts (the demo's managers are named in the audit notes).
    seed : int

    Returns
    -------
    DataFrame
        The counties' status (:func:`planlib.workflow.status.region_status`).

    Raises
    ------
    WorkflowError
        The plan has no run with targets yet, or a step is refused (a second round on the
        same folder: the approved county is frozen).
    """
    plan = params.load_plan(Path(plan_path))
    tree = archive.load_tree(plan.archive)
    regions = sorted(batch.select_regions(plan, tree))
    if city is None:
        cities = [r for r in regions if tree.level(r) == "city"
                  and sum(k in regions for k in tree.children(r)) >= 3]
        city = cities[0]
    counties = [k for k in tree.children(city) if k in regions]
    run_dir = workflow_files.latest_plan_run(runs_root, plan.plan_id)
    if run_dir is None:
        raise WorkflowError(f"{runs_root}/{plan.plan_id}: no plan run with targets to hand out; "
                                           "run the plan first")
    wdir = workflow_files.workflow_dir(runs_root, plan.plan_id)
    done = audit.read_log(workflow_files.audit_path(wdir))
    if any(r["action"] == "submit" and r["region_id"] in counties for r in done):  # a second `make demo`
        return status.region_status(done, tree, [city, *counties])
    targets = folder.load_targets(run_dir)
    budget_path = folder.results_dir(run_dir) / folder.RESULTS_BUDGET
    budget = pd.read_parquet(budget_path) if budget_path.exists() else None
    for region in counties:
        rows, items = templates.template_rows(targets, budget, region)
        path = templates.write_template(wdir / "templates" / f"{region}.xlsx", region=region, name=tree.name(region),
                                        plan_id=plan.plan_id, title=plan.title, year=plan.year, run_id=run_dir.name,
                                        targets=rows, budget=items)
        with workflow_files.holding(wdir):
            workflow_files.append_event(wdir, by=by, action="template", region_id=region,
                                        note=f"run {run_dir.name}", after=workflow_files.file_sha256(path))
    filled_dir = wdir / "demo_filled"
    for region in counties[:-1]:
        filled = fill_submission(wdir / "templates" / f"{region}.xlsx", filled_dir / f"{region}.xlsx", region=region,
                                 plan_year=plan.year, seed=seed)
        _, problems = workflow_files.submit(wdir, tree, regions, region, filled, plan.year, by=f"{by}·{tree.name(region)}经理")
        if problems:
            raise WorkflowError(f"{filled}: the demo's own submission was rejected: {problems[:3]}")
    mirror = workflow_files.proposals_mirror(plan_path, plan.plan_id)  # split.proposals: workflow
    if len(counties) > 1:
        workflow_files.decide(wdir, tree, regions, counties[0], "approve", by=f"{by}·{tree.name(city)}经理",
                              note="与上级建议差距在 10% 以内，同意", mirror=mirror)
    if len(counties) > 2:
        workflow_files.decide(wdir, tree, regions, counties[1], "return", by=f"{by}·{tree.name(city)}经理",
                              note="一季度目标低于去年同期，请按上级建议调整一、二月销量后重新提交", mirror=mirror)
    from_log = audit.read_log(workflow_files.audit_path(wdir))
    return status.region_status(from_log, tree, [city, *counties])
