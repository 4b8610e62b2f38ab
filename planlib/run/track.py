"""
A tracking run: a signed plan run followed against the archive's actuals up to a date.

``planlib run PLAN.yaml --as-of DATE --notebooks 40_track_results [--plan-run RUN_ID]``
(DESIGN.md §4b). The signed plan is a finished plan run of the same plan: by default the
latest whose targets and budget steps succeeded, or the one ``--plan-run`` names. Its
targets and budget are copied into the tracking run's ``results/`` (with their hashes in the
manifest) and never recomputed; the tracking step reads the plan year's actuals up to the
as-of date once for the whole plan and writes ``results/tracking*.parquet`` and
``results/kpi.parquet``; each region's 40_track_results report reads its rows.

Public functions: is_tracking_run, check_tracking_options, signed_plan_run, signed_hashes, tracking_step,
compute_tracking, write_tracking, region_flags, load_tracking, latest_tracking_run; FollowedPlan, TrackingResults.

"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planlib import archive, tracking
from planlib.errors import ParamsError
from planlib.labels import CATEGORY_NAMES, LEVEL_NAMES, ROLE_NAMES, TRACKING_CODES
from planlib.run import folder
from planlib.run.excel import export_sheets_excel
from planlib.run.steps import run_step, track_plan_promotions
from planlib.targets.table import CD_LINE
from planlib.tracking import NO_KEY

__all__ = [
    "TRACKING_NOTEBOOKS",
    "SIGNED_TABLES",
    "FollowedPlan",
    "TrackingResults",
    "is_tracking_run",
    "check_tracking_options",
    "signed_plan_run",
    "signed_hashes",
    "tracking_step",
    "compute_tracking",
    "write_tracking",
    "region_flags",
    "load_tracking",
    "latest_tracking_run",
    "tracking_sheets",
    "export_tracking_excel",
]

#: Notebooks that follow a signed plan against the actuals; they run in a tracking run of their own.
TRACKING_NOTEBOOKS: tuple[str, ...] = ("40_track_results",)

#: The signed plan's tables a tracking run copies (and never recomputes).
SIGNED_TABLES: tuple[str, ...] = (folder.RESULTS_TARGETS, folder.RESULTS_BUDGET, folder.RESULTS_REGIONS,
                                  folder.RESULTS_METHODS)


def is_tracking_run(nb_names: Sequence[str]) -> bool:
    """Whether a run's notebooks are tracking notebooks (then they must all be)."""
    return any(n in TRACKING_NOTEBOOKS for n in nb_names)


def check_tracking_options(nb_names: Sequence[str], as_of: dt.date | None, plan_year: int) -> None:
    """
    Check a run's tracking options before anything runs.

    Raises
    ------
    ParamsError
        A tracking notebook without ``--as-of``, ``--as-of`` without one, tracking and plan
        notebooks in one run, or an as-of date outside the plan year.
    """
    track = [n for n in nb_names if n in TRACKING_NOTEBOOKS]
    other = [n for n in nb_names if n not in TRACKING_NOTEBOOKS]
    if track and other:
        raise ParamsError(f"--notebooks: {', '.join(track)} follow a signed plan and run on their own; run "
                          f"{', '.join(other)} in a plan run first, then `--as-of DATE --notebooks {' '.join(track)}`")
    if track and as_of is None:
        raise ParamsError(f"{', '.join(track)} needs --as-of DATE (the last day of actuals to count, in the plan year)")
    if as_of is not None and not track:
        raise ParamsError(f"--as-of {as_of}: only tracking notebooks ({', '.join(TRACKING_NOTEBOOKS)}) use it")
    if as_of is not None and as_of.year != plan_year:
        raise ParamsError(f"--as-of {as_of}: outside the plan year {plan_year}; give a date from "
                          f"{plan_year}-01-01 to {plan_year}-12-31")


def signed_plan_run(runs_root: Path, plan_id: str, plan_run: str | None = None) -> Path:
    """
    The plan run a tracking run follows.

    Parameters
    ----------
    runs_root : Path
        The runs folder (``runs/``); plan runs are ``<runs_root>/<plan_id>/<run_id>``.
    plan_id : str
        The plan.
    plan_run : str, optional
        The run id (``--plan-run``); default the latest plan run whose targets and budget
        steps succeeded.

    Raises
    ------
    ParamsError
        No such run, a tracking run named, or a run without targets and budget; the message
        lists the plan's runs that can be tracked.
    """
    plan_folder = folder.plan_dir(runs_root, plan_id)
    if plan_run is None:
        run = folder.latest_run(plan_folder, kind=folder.RUN_PLAN, where=_trackable)
        if run is None:
            raise ParamsError(f"no plan run of {plan_id} under {plan_folder} has its targets and budget; run "
                              f"`planlib run PLAN.yaml` first, or name one with --plan-run RUN_ID")
        return run
    run = folder.run_path(runs_root, plan_id, plan_run)
    try:
        ok = _trackable(run, folder.read_manifest(run))
    except (OSError, ValueError):
        ok = False
    if not ok:
        why = "does not exist" if not run.exists() else "is not a plan run whose targets and budget succeeded"
        latest = folder.latest_run(plan_folder, kind=folder.RUN_PLAN, where=_trackable)
        hint = f"the latest that can be tracked is {latest.name}" if latest else "no run of this plan can be tracked yet"
        raise ParamsError(f"--plan-run {plan_run}: {run} {why}; {hint}")
    return run


def _trackable(run_dir: Path, manifest: Mapping[str, Any]) -> bool:
    """A finished plan run whose targets and budget steps succeeded and whose tables are there."""
    done = {s.get("step") for s in manifest.get("plan_steps", []) if s.get("status") == "succeeded"}
    return (folder.run_kind(manifest) == folder.RUN_PLAN and {"targets", "budget"} <= done
            and all(folder.results_path(run_dir, t).exists() for t in SIGNED_TABLES))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def signed_hashes(signed_dir: Path) -> dict[str, str]:
    """The signed plan's results files and their hashes (the tracking run's record of what it followed)."""
    return {t: _sha(folder.results_path(signed_dir, t)) for t in SIGNED_TABLES}


def tracking_step(plan, tree, run_dir: Path, signed_dir: Path, as_of: dt.date, names: Mapping[str, str]) -> dict:
    """
    Follow the signed plan against the actuals once for the whole plan; the manifest record of the step.

    Copies the signed plan's targets and budget into ``run_dir/results``, reads the plan year's
    actuals up to ``as_of`` and writes ``tracking.parquet``, ``kpi.parquet`` and the other
    tracking tables (``tracking_<part>.parquet``). Never raises: a failure is recorded (see
    :func:`planlib.run.steps.run_step`) and the reports that need it are not run.
    """

    def follow(con, step):
        written = []
        for t in SIGNED_TABLES:
            dest = folder.results_path(run_dir, t)
            with folder.atomic_path(dest) as tmp:
                shutil.copyfile(folder.results_path(signed_dir, t), tmp)
            written.append(dest)
        step["plan_run"] = signed_dir.name
        step["signed"] = signed_hashes(signed_dir)
        pt = compute_tracking(plan, tree, con, run_dir, as_of, names=names)
        written += write_tracking(pt, run_dir)
        written += track_plan_promotions(plan, tree, con, run_dir, signed_dir, as_of)  # the schemes (#17)
        terminals = archive.load_table(con, "terminals", region_ids=list(tree.subtree(plan.scope.root)))
        written.append(export_tracking_excel(pt, folder.workbook_path(run_dir, plan.plan_id, "tracking"), names=names,
                                             terminal_names=dict(zip(terminals["terminal_id"].astype(str),
                                                                     terminals["name"].astype(str)))))
        step["flags"] = region_flags(pt)
        return written

    return run_step("tracking", plan, run_dir, follow)


@dataclass(frozen=True)
class FollowedPlan:
    """A plan's tracking (:class:`planlib.tracking.PlanTracking`'s tables) with the KPI scores and the people."""

    tracking: pd.DataFrame
    summary: pd.DataFrame
    milestones: pd.DataFrame
    control_items: pd.DataFrame
    control: pd.DataFrame
    dual: pd.DataFrame
    weekly: pd.DataFrame
    kpi: pd.DataFrame
    people: pd.DataFrame
    landing_method: str
    rollover: str


def compute_tracking(plan, tree, con, run_dir: Path, as_of: dt.date, *, names: Mapping[str, str] | None = None):
    """
    The plan's tracking from a run's signed tables and the archive's actuals up to ``as_of``.

    Reads the actuals once (:func:`planlib.archive.tracking_actuals`), tracks every region
    (:func:`planlib.tracking.plan_tracking`) and scores the regions and the people by the
    plan's KPI rules (:func:`planlib.tracking.score`). Returns a :class:`FollowedPlan`.
    """
    res = folder.results_dir(run_dir)
    targets = pd.read_parquet(res / folder.RESULTS_TARGETS)
    budget = pd.read_parquet(res / folder.RESULTS_BUDGET)
    regions = pd.read_parquet(res / folder.RESULTS_REGIONS)
    ids = list(tree.subtree(plan.scope.root))
    acts = archive.tracking_actuals(con, ids, plan.year, as_of)
    terminals = archive.load_table(con, "terminals", region_ids=ids)
    products = archive.load_table(con, "products")
    pt = tracking.plan_tracking(
        targets, budget, regions, acts.sales, acts.expenses, tree, as_of,
        rollover=plan.tracking.rollover, tolerance=plan.budget.tolerance, over_budget=plan.tracking.over_budget,
        milestones=plan.targets.milestones, unit=plan.targets.unit,
        names=dict(zip(terminals["terminal_id"].astype(str), terminals["name"].astype(str))),
        actual_weekly=acts.weekly, terminals=terminals, skus=products["sku"].astype(str))
    extra = tracking.region_extra_facts(pt.milestones, pt.control, pt.dual, as_of)
    facts = [tracking.region_facts(pt.tracking, as_of, extra=extra)]
    people = acts.people
    if len(people):
        facts.append(tracking.person_facts(people, targets, acts.sales, acts.person_events, as_of, tree=tree,
                                           terminals=terminals))
    facts = pd.concat([f for f in facts if len(f)], ignore_index=True) if any(len(f) for f in facts) else facts[0]
    scores = tracking.score(facts, acts.person_events, plan.tracking.kpi, as_of=as_of)
    lines = _with_people(pt.tracking, facts, people)
    carried = people.drop_duplicates("person_id")[["person_id", "name", "role", "region_id"]].reset_index(drop=True) \
        if len(people) else pd.DataFrame(columns=["person_id", "name", "role", "region_id"])
    return FollowedPlan(tracking=lines, summary=pt.summary, milestones=pt.milestones,
                        control_items=pt.control_items, control=pt.control, dual=pt.dual, weekly=pt.weekly,
                        kpi=scores, people=carried, landing_method=pt.landing_method, rollover=pt.rollover)


def _with_people(lines: pd.DataFrame, facts: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """
    The tracking lines with a ``person_id`` column (null on the regions' lines) and each person's
    closed months of volume and revenue: their region, level ``person``, breakdown ``total``.
    Readers of a region's figures take the lines whose ``person_id`` is null (a person's lines
    carry their home region's id and would otherwise count twice).
    """
    out = lines.assign(person_id=pd.Series(pd.NA, index=lines.index, dtype="string"))
    mine = facts.loc[(facts["entity_kind"] == "person") & facts["measure"].isin(["volume", "revenue"])]
    if mine.empty:
        return out
    home = people.drop_duplicates("person_id").set_index(people.drop_duplicates("person_id")["person_id"].astype(str))["region_id"]
    t = mine["target"].to_numpy(dtype="float64")
    a = mine["actual"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        comp = np.where(t > 0, a / np.where(t > 0, t, 1.0), np.nan)
    rows = pd.DataFrame({
        "region_id": mine["entity_id"].astype(str).map(home).astype(str).to_numpy(), "level": "person",
        "breakdown": "total", "key": None, "month": pd.to_datetime(mine["month"]).to_numpy(),
        "measure": mine["measure"].astype(str).to_numpy(), "target": t, "actual": a,
        "completion": pd.array(np.where(np.isfinite(comp), comp, np.nan), dtype="Float64"), "revised_target": t,
        "person_id": pd.array(mine["entity_id"].astype(str).to_numpy(), dtype="string")})
    plain = out.astype({c: object for c in out.columns if isinstance(out[c].dtype, pd.CategoricalDtype)})
    return pd.concat([plain, rows.astype({c: plain[c].dtype for c in rows.columns if c in plain and c != "completion"},
                                         errors="ignore")], ignore_index=True)


def write_tracking(pt, run_dir: Path) -> list[Path]:
    """Write each table of a plan's tracking to ``results/``, atomically; returns the paths."""
    out = []
    for f in fields(pt):
        frame = getattr(pt, f.name)
        if not isinstance(frame, pd.DataFrame):
            continue
        name = {"tracking": folder.RESULTS_TRACKING, "kpi": folder.RESULTS_KPI}.get(f.name, f"tracking_{f.name}.parquet")
        frame = frame.copy()
        for col in frame.columns:  # parquet keeps text, not mixed objects
            if frame[col].dtype == object and frame[col].map(lambda v: isinstance(v, (list, tuple))).any():
                frame[col] = frame[col].map(lambda v: "、".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
        path = folder.results_path(run_dir, name)
        with folder.atomic_path(path) as tmp:
            frame.to_parquet(tmp, index=False)
        out.append(path)
    return out


def region_flags(pt: FollowedPlan) -> dict[str, dict[str, Any]]:
    """
    Per region, what the portal shows: volume completion to date, time and task progress, the
    landing forecast's gap, the dual check on actuals, missed milestones and budget flags.
    """
    out: dict[str, dict[str, Any]] = {}
    vol = pt.summary.loc[pt.summary["measure"].astype(str) == "volume"]
    for r in vol.itertuples(index=False):
        out[str(r.region_id)] = {
            "completion": _num(r.completion_to_date), "time_progress": _num(r.time_progress),
            "task_progress": _num(r.task_progress), "status": str(r.status), "landing_gap": _num(r.landing_gap)}
    for r in pt.dual.itertuples(index=False):
        out.setdefault(str(r.region_id), {})["verdict"] = str(r.verdict)
    if len(pt.milestones):
        missed = pt.milestones.loc[pt.milestones["status"].astype(str) == "missed"]
        for rid, g in missed.groupby(missed["region_id"].astype(str)):
            out.setdefault(rid, {})["milestones_missed"] = [str(s) for s in g["stage"]]
    for r in pt.control.itertuples(index=False):
        if str(r.flag) not in (tracking.CONTROL_FLAGS[0], "", "None", "nan"):  # "within budget" is no flag
            out.setdefault(str(r.region_id), {})["budget_flag"] = str(r.flag)
    return out


def _num(x) -> float | None:
    return None if x is None or pd.isna(x) else round(float(x), 6)


@dataclass(frozen=True)
class TrackingResults:
    """A tracking run read back: as-of date, the signed plan run, and its tables by name."""

    as_of: dt.date
    plan_run: str
    tables: dict[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def load_tracking(run_dir) -> TrackingResults:
    """
    Read a tracking run's tables and its as-of date (written by the batch before 40_track_results runs).

    Raises
    ------
    ParamsError
        If the run is not a tracking run or its tracking step did not succeed (the step's error is named).
    """
    manifest = folder.read_manifest(run_dir)
    res = folder.results_dir(run_dir)
    if folder.run_kind(manifest) != folder.RUN_TRACKING or not (res / folder.RESULTS_TRACKING).exists():
        raise ParamsError(f"{run_dir}: no tracking in this run{folder.step_failure(run_dir, 'tracking')}; "
                          "`planlib run PLAN.yaml --as-of DATE --notebooks 40_track_results` writes it")
    tables = {}
    for p in sorted(res.glob("*.parquet")):
        tables[p.stem.removeprefix("tracking_") if p.stem != "tracking" else "tracking"] = pd.read_parquet(p)
    return TrackingResults(as_of=dt.date.fromisoformat(manifest["as_of"]), plan_run=manifest.get("plan_run", ""),
                           tables=tables)


def latest_tracking_run(plan_id: str, runs_root: str | Path | None = None) -> Path:
    """
    The plan's latest tracking run (for a 40_track_results opened in JupyterLab without a run).

    ``runs_root`` defaults to the suite's ``runs/`` folder. Raises ParamsError saying how to
    make one when there is none.
    """
    root = Path(runs_root) if runs_root else Path(__file__).resolve().parents[2] / "runs"
    run = folder.latest_run(folder.plan_dir(root, plan_id), kind=folder.RUN_TRACKING,
                            where=lambda p, m: folder.results_path(p, folder.RESULTS_TRACKING).exists())
    if run is None:
        raise ParamsError(f"no tracking run of {plan_id} under {root}; make one with "
                          f"`planlib run PLAN.yaml --as-of YYYY-MM-DD` (after a plan run of the plan)")
    return run


_SHEET_COLUMNS = {
    "region_id": "区域编码", "name": "区域", "level": "层级", "measure": "指标", "year_target": "全年目标",
    "target_to_date": "序时目标", "actual_to_date": "实际完成", "completion_to_date": "序时完成率",
    "time_progress": "序时进度", "task_progress": "任务进度", "status": "状态", "landing": "预计全年",
    "landing_gap": "预计全年比目标", "run_rate_needed": "余下每月须完成", "verdict": "实际双重检查",
    "flag": "费用标记", "month": "月份", "target": "目标", "actual": "实际", "completion": "完成率",
    "revised_target": "调整后目标", "key": "终端编码", "terminal": "终端", "stage": "阶段", "date": "日期",
    "goal": "目标覆盖率", "key_terminals": "重点终端数", "covered": "已进货", "coverage": "覆盖率", "to_win": "尚差家数",
    "missed_names": "未进货的重点终端", "category": "费用类别", "item": "项目", "budget_year": "全年预算",
    "budget_to_date": "序时预算", "spend_to_date": "实际费用", "deviation": "偏差", "deviation_share": "偏差率",
    "entity_kind": "类别", "entity_id": "编码", "role": "岗位", "rule_set": "规则集", "total": "总分", "rank": "排名", "payout": "薪酬",
    "label": "指标", "points": "得分", "amount": "金额", "rule": "计分规则",
}
_PERCENT = {"序时完成率", "序时进度", "任务进度", "完成率", "目标覆盖率", "覆盖率", "偏差率"}


def tracking_sheets(ft: FollowedPlan, names: Mapping[str, str], terminal_names: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    """
    The tracking's sheets for the plan's workbook, with Chinese headers and values in words.

    跟踪汇总 (per region and measure, with the dual check on actuals and the budget flag),
    月度跟踪 (region × month), 重点终端, 阶段目标, 费用控制, 考核得分.
    """
    codes = {**TRACKING_CODES, **ROLE_NAMES, "person": "人员", "region": "区域"}
    s = ft.summary.copy()
    s = s.merge(ft.dual[["region_id", "verdict"]].astype({"region_id": str}), how="left",
                left_on=s["region_id"].astype(str), right_on="region_id", suffixes=("", "_d")) \
        .drop(columns=["key_0", "region_id_d"], errors="ignore")
    s = s.merge(ft.control[["region_id", "flag"]].astype({"region_id": str}), how="left",
                left_on=s["region_id"].astype(str), right_on="region_id", suffixes=("", "_c")) \
        .drop(columns=["key_0", "region_id_c"], errors="ignore")
    s.insert(1, "name", s["region_id"].astype(str).map(names))
    s = s[["region_id", "name", "level", "measure", "year_target", "target_to_date", "actual_to_date",
           "completion_to_date", "time_progress", "task_progress", "status", "landing", "landing_gap",
           "run_rate_needed", "verdict", "flag"]]
    lines = ft.tracking.loc[ft.tracking["breakdown"].astype(str) == "total"]
    lines = lines.assign(region_id=lines["region_id"].astype(str).where(lines["person_id"].isna(),
                                                                       lines["person_id"].astype(str)))
    who = {**dict(names), **dict(zip(ft.people["person_id"].astype(str), ft.people["name"].astype(str)))}
    monthly = lines.assign(name=lines["region_id"].astype(str).map(who), month=pd.to_datetime(lines["month"]).dt.strftime("%Y-%m"))[
        ["region_id", "name", "measure", "month", "target", "actual", "completion", "revised_target"]]
    term = ft.tracking.loc[ft.tracking["person_id"].isna() & (ft.tracking["breakdown"].astype(str) == "terminal") & (ft.tracking["measure"].astype(str) == "volume")
                           & ~ft.tracking["key"].astype(str).isin([CD_LINE, NO_KEY])]
    term = term.groupby([term["region_id"].astype(str), term["key"].astype(str)], sort=True)[["target", "actual"]].sum(min_count=1)
    term = term.reset_index().rename(columns={"target": "year_target", "actual": "actual_to_date"})
    term.insert(2, "terminal", term["key"].map(terminal_names))
    board = tracking.ranking(ft.kpi) if len(ft.kpi) else pd.DataFrame()
    if len(board):
        board = board.assign(month=pd.to_datetime(board["month"]).dt.strftime("%Y-%m"))
    sheets = {"跟踪汇总": s, "月度跟踪": monthly, "重点终端": term, "阶段目标": ft.milestones.drop(columns=["missed"], errors="ignore"),
              "费用控制": ft.control_items, "考核得分": board}
    out = {}
    for title, frame in sheets.items():
        frame = frame.copy()
        for col in frame.columns:
            if frame[col].dtype == object or isinstance(frame[col].dtype, pd.CategoricalDtype) or frame[col].dtype == "string":
                frame[col] = frame[col].astype(object).map(lambda v: codes.get(v, v) if isinstance(v, str) else v)
        frame["level"] = frame["level"].map(lambda v: LEVEL_NAMES.get(v, v)) if "level" in frame else None
        frame = frame.drop(columns=[c for c in frame.columns if frame[c] is None or c == "level" and frame[c].isna().all()])
        if "category" in frame:
            frame["category"] = frame["category"].map(lambda v: CATEGORY_NAMES.get(v, v))
        out[title] = frame.rename(columns=_SHEET_COLUMNS)
    return out


def export_tracking_excel(ft: FollowedPlan, path: Path, *, names: Mapping[str, str],
                          terminal_names: Mapping[str, str]) -> Path:
    """
    The tracking's workbook, ``<plan_id>-tracking.xlsx``: the sheets of :func:`tracking_sheets`.

    Numbers carry formats (thousands, percentages, points), the header row and the key
    columns are frozen, set up for printing (:func:`planlib.run.excel.write_workbook`); the
    signed plan's targets and budget workbooks stay in its own run folder.
    """
    sheets = tracking_sheets(ft, names, terminal_names)
    formats: dict[str, str] = {}
    for frame in sheets.values():
        for col in frame.columns:
            if col in _PERCENT:
                formats[col] = "0.0%"
            elif col in ("得分", "总分"):
                formats[col] = "0.0"
            elif col == "排名":
                formats[col] = "0"
            elif pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col]):
                formats.setdefault(col, "#,##0")
    keys = {title: 2 if len(frame.columns) > 2 and frame.columns[1] in ("区域", "姓名/名称") else 1
            for title, frame in sheets.items()}
    return export_sheets_excel(sheets, path, formats=formats, key_columns=keys)
