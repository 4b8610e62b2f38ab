"""
The plan-wide steps: what is computed once for the whole plan before the notebooks run.

The targets are set at the root and split top-down, so they are one computation for the
plan; the budget prices them once. The archive's quality is checked once for every region's
review (:func:`findings_step`). Both are written to the run's ``results/`` and the
plan's workbook, and each region's notebook reads its rows.

Public functions: plan_steps, findings_step, plan_targets_with_schemes, price_plan, run_step, budget_step, write_targets, write_budget, write_report_targets,
write_report_budget, write_results.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from planlib import archive, budget, targets
from planlib.archive.queries.promotions import promotion_units
from planlib.archive.queries.tracking import actual_expenses
from planlib.errors import PlanWarning
from planlib.promotions.plan import load_plan_schemes, plan_schemes, region_promotions, scheme_regions
from planlib.targets import readcache
from planlib.targets.promotions import shift_for_promotions
from planlib.tracking.promotions import track_promotions
from planlib.run import folder
from planlib.run.excel import export_budget_excel, export_targets_excel

__all__ = ["NEEDS_FINDINGS", "NEEDS_TARGETS", "NEEDS_BUDGET", "plan_steps", "findings_step", "plan_targets_with_schemes", "price_plan", "run_step", "budget_step", "write_targets",
           "write_budget", "write_report_targets", "write_report_budget", "write_results", "plan_promotions", "track_plan_promotions", "RESULTS_PROMOTIONS", "RESULTS_PROMOTION_MONTHS",
           "RESULTS_TRACKING_PROMOTIONS"]

#: The plan's promotion schemes costed per scheme and region, and their month profiles (issue #17).
RESULTS_PROMOTIONS = folder.RESULTS_PROMOTIONS
RESULTS_PROMOTION_MONTHS = folder.RESULTS_PROMOTION_MONTHS
#: A tracking run's schemes followed: uptake and cost against plan.
RESULTS_TRACKING_PROMOTIONS = "tracking_promotions.parquet"

#: Notebooks that show their region's data-quality findings (read from the findings step's results when the
#: run has them, else checked by the notebook: the step never blocks them).
NEEDS_FINDINGS: tuple[str, ...] = ("10_review_archive",)
#: Notebooks that read the run's targets (written by the targets step).
NEEDS_TARGETS: tuple[str, ...] = ("20_split_targets", "30_build_budget", "35_promotions", "50_consolidate")
#: Notebooks that read the run's budget (written by the budget step).
NEEDS_BUDGET: tuple[str, ...] = ("30_build_budget", "35_promotions", "50_consolidate")


def plan_steps(plan, tree, run_dir: Path, nb_names: Sequence[str], waves: Mapping) -> list[dict[str, Any]]:
    """
    Compute what is computed once for the whole plan before the notebooks run.

    Parameters
    ----------
    plan : PlanParams
        The plan's base params.
    tree : RegionTree
        The archive's region tree.
    run_dir : Path
        The run folder; the steps write ``results/`` and the plan's workbook there.
    nb_names : sequence of str
        The notebooks of the run: the targets step runs if one of them needs the targets
        (:data:`NEEDS_TARGETS`), the budget step if one needs the budget.
    waves : mapping
        The run's pending tasks by level; nothing is computed when none is pending (a
        resumed run with nothing left to do).

    Returns
    -------
    list of dict
        One manifest record per step run (see :func:`run_step`). A failure is recorded,
        never raised; the notebooks that need the results then fail with a clear message,
        the others run as usual.
    """
    found = [findings_step(plan, tree, run_dir)] if waves and any(n in NEEDS_FINDINGS for n in nb_names) else []
    if not waves or not any(n in NEEDS_TARGETS for n in nb_names):
        return found

    names = {r: tree.name(r) for r in tree.subtree(plan.scope.root)}
    pt = None
    schemes = None
    # the targets workbook is written once: with the budget's profit targets when the budget step follows
    # (by it), else by the targets step; listed among the targets step's outputs either way
    budget_follows = any(n in NEEDS_BUDGET for n in nb_names)
    book = folder.workbook_path(run_dir, plan.plan_id, "targets")

    def set_targets(con, step):
        nonlocal pt, schemes
        pt, schemes = plan_targets_with_schemes(plan, tree, con, cache_dir=folder.plan_cache_dir(run_dir))
        # the workbooks name the terminals too (the archive's names, not their codes)
        terminals = archive.load_table(con, "terminals", columns=["terminal_id", "name"])
        names.update(zip(terminals["terminal_id"].astype(str), terminals["name"].astype(str)))
        # the reports' copies on a thread beside the step's own table (and workbook): only that thread reads the
        # archive meanwhile; each file on its own, the same bytes either way
        with ThreadPoolExecutor(max_workers=1) as pool:
            report = pool.submit(write_report_targets, pt, plan, tree, con, run_dir)
            written = write_targets(pt, run_dir, plan_id=plan.plan_id, names=names, workbook=not budget_follows)
            report.result()
        return written + ([book] if budget_follows else [])

    steps = [run_step("targets", plan, run_dir, set_targets)]
    if steps[0]["status"] == "succeeded" and budget_follows:
        steps.append(budget_step(plan, tree, run_dir, pt, names, schemes=schemes))
        if steps[1]["status"] != "succeeded":  # no profit targets: the targets step's own workbook
            try:
                export_targets_excel(pt.table, book, names=names)
            except Exception as exc:  # recorded: the run goes on without the workbook
                steps[0]["outputs"].remove(folder.run_relative(run_dir, book))
                steps[0]["warnings"].append(f"targets workbook not written: {type(exc).__name__}: {exc}"[:2000])
    return found + steps


def findings_step(plan, tree, run_dir: Path, *, cache_dir: Path | None = None) -> dict[str, Any]:
    """
    Check the plan's archive once for every region's review and write the results.

    Parameters
    ----------
    plan : PlanParams
        The plan (its archive and ``scope.root``).
    tree : RegionTree
        The archive's region tree.
    run_dir : Path
        The run folder: ``results/findings.parquet`` (:func:`planlib.archive.check_plan`'s
        findings of the root) and ``results/findings_regions.parquet`` (the regions whose
        findings are their rows of it, ``region_id``) are written there.
    cache_dir : Path, optional
        Where the check is kept; default the plan's ``runs/<plan_id>/.cache`` (``run_dir``'s
        parent's ``.cache``).

    Returns
    -------
    dict
        The step's manifest record (:func:`run_step`, step ``findings``, with ``covered``: how
        many regions read their findings from it). A failure is recorded, never raised, and
        blocks nothing: each review then checks its own region
        (:func:`planlib.run.step_findings.load_region_findings` gives None).

    Notes
    -----
    The check is kept in the plan's cache folder (``runs/<plan_id>/.cache``,
    :class:`planlib.targets.readcache.ArchiveReads`: keyed by the archive's state, the tree
    and the checks' code), so a rerun on the same archive reads it back.
    """
    paths = [folder.results_path(run_dir, name) for name in (folder.RESULTS_FINDINGS, folder.RESULTS_FINDINGS_REGIONS)]
    for path in paths:  # a resumed run's earlier results: gone before the check, so a failure leaves none to read
        path.unlink(missing_ok=True)

    def check(con, step):
        kept = readcache.ArchiveReads(con, cache=folder.plan_cache_dir(run_dir) if cache_dir is None else cache_dir)
        found = kept.read(archive.check_plan, tree=tree, root=plan.scope.root)
        step["covered"] = len(found.covered)
        covered = pd.DataFrame({"region_id": pd.Series(sorted(found.covered), dtype=object)})
        return [write_results(found.findings, paths[0]), write_results(covered, paths[1])]

    return run_step("findings", plan, run_dir, check)


def plan_targets_with_schemes(plan, tree, con, *, cache_dir=None):
    """
    The plan's targets as the targets step sets them: (:class:`~planlib.targets.PlanTargets`, schemes).

    :func:`planlib.targets.plan_targets`, then the plan's promotion schemes costed
    (:func:`plan_promotions`, None without any) shifting the months of the regions they run
    in. A report run outside a batch (JupyterLab) calls it to show the batch's numbers;
    ``cache_dir`` keeps the fits for a rerun (the batch's ``runs/<plan_id>/.cache``).
    """
    pt = targets.plan_targets(plan, tree, con, cache_dir=cache_dir)
    schemes = plan_promotions(plan, tree, con)
    if schemes is not None:  # the schemes' expected lift shifts the months of the regions they run in
        pt = shift_for_promotions(pt, tree, schemes.costs, schemes.months, unit=plan.targets.unit)
    return pt, schemes


def price_plan(plan, tree, con, pt, schemes=None, *, cache_dir=None):
    """
    The plan's budget as the budget step prices it: (:class:`~planlib.budget.PlanBudget`, unused overrides).

    :func:`planlib.budget.plan_budget` of the targets ``pt`` with the regions' budget params
    and the promotion schemes booked on their items (``schemes`` from
    :func:`plan_targets_with_schemes`); the second item lists the region overrides the budget
    cannot use. ``cache_dir`` keeps last year's history for a rerun.
    """
    region_params, problems = budget.region_budget_params(plan, tree)
    pb = budget.plan_budget(plan, tree, con, pt.table, region_params=region_params, cache_dir=cache_dir,
                            **({} if schemes is None else {"scheme_costs": schemes.costs,
                                                           "scheme_months": schemes.months}))
    return pb, problems


def plan_promotions(plan, tree, con):
    """
    The plan's promotion schemes costed once on last year's terminals (:func:`planlib.promotions.plan.plan_schemes`).

    None when neither the plan nor a region file attaches a scheme (the plan's numbers are
    then exactly as without the key). The response curves and margin rate are the budget's
    (:func:`planlib.budget.plan_response`).
    """
    region_maps, _ = region_promotions(plan, tree)
    if not plan.promotions and not any(region_maps.values()):
        return None
    stems = set(plan.promotions).union(*(set(m) for m in region_maps.values()))
    schemes = load_plan_schemes(plan, stems)
    runs_in = scheme_regions(plan.promotions, tree, plan.scope.root, region_maps=region_maps)
    units = promotion_units(con, int(plan.year), by="terminal", region_ids=list(tree.subtree(plan.scope.root)))
    response = budget.plan_response(plan, tree, con)
    return plan_schemes(schemes, runs_in, units, tree, response["curves"], margin_rate=response["margin_rate"])


def run_step(name: str, plan, run_dir: Path, compute: Callable[[Any, dict], list]) -> dict[str, Any]:
    """
    Run one plan-wide step on an open archive and record it: status, seconds, outputs, warnings.

    Parameters
    ----------
    name : str
        The step's name in the manifest (``targets``, ``budget``).
    plan : PlanParams
        The plan (its ``archive`` is opened for the step and closed after).
    run_dir : Path
        The run folder; outputs are recorded relative to it.
    compute : callable
        ``compute(con, step)`` returns the files it wrote; it may add keys to ``step``
        (``extra_warnings`` is merged into ``warnings``).

    Returns
    -------
    dict
        ``step, status, seconds, error, outputs, warnings`` (and what ``compute`` added).
        Never raises: a failure is recorded, and the notebooks needing the step fail with it.
    """
    t0 = time.perf_counter()
    step: dict[str, Any] = {"step": name, "status": "failed", "seconds": None, "error": None, "outputs": []}
    try:
        # one thread: DuckDB's parallel SUM of doubles adds in a different order each time, so the
        # same plan's budget differed in its last bits between two runs; summed in storage order it does not
        con = archive.connect(plan.archive, threads=1)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", PlanWarning)
                written = compute(con, step)
            step["warnings"] = [str(w.message) for w in caught if issubclass(w.category, PlanWarning)] + \
                step.pop("extra_warnings", [])
        finally:
            con.close()
        step["outputs"] = [folder.run_relative(run_dir, p) for p in written]
        step["status"] = "succeeded"
    except Exception as exc:  # recorded; the notebooks needing it fail with it
        step["error"] = {"ename": type(exc).__name__, "evalue": str(exc)[:2000]}
        step.pop("extra_warnings", None)
    step["seconds"] = round(time.perf_counter() - t0, 2)
    return step


def track_plan_promotions(plan, tree, con, run_dir: Path, signed_dir: Path, as_of) -> list[Path]:
    """
    Follow the signed plan's schemes: ``results/tracking_promotions.parquet`` (:func:`planlib.tracking.promotions.track_promotions`).

    Reads the signed run's ``promotions.parquet`` (nothing is written when it has none),
    the rule tables in the plan year, and the plan year's own sales per terminal and month
    up to ``as_of`` (:func:`promotion_units`). Returns the paths written.
    """
    signed = folder.results_path(signed_dir, RESULTS_PROMOTIONS)
    if not signed.exists():
        return []
    plan_costs = pd.read_parquet(signed)
    region_maps, _ = region_promotions(plan, tree)
    schemes = load_plan_schemes(plan, set(plan_costs["scheme"]))
    runs_in = scheme_regions(plan.promotions, tree, plan.scope.root, region_maps=region_maps)
    ids = list(tree.subtree(plan.scope.root))
    units = promotion_units(con, int(plan.year) + 1, by="terminal", region_ids=ids)  # the plan year's own sales
    units = units[units["month"] <= as_of.month]
    budget_table = pd.read_parquet(folder.results_path(run_dir, folder.RESULTS_BUDGET))
    expenses = actual_expenses(con, ids, int(plan.year), as_of)
    planned = sorted(set(budget_table["region_id"].astype(str)))
    frame = track_promotions(plan_costs, schemes, runs_in, units, budget_table, expenses, tree, planned, as_of)
    path = folder.results_path(run_dir, RESULTS_TRACKING_PROMOTIONS)
    with folder.atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)
    return [path]


def budget_step(plan, tree, run_dir: Path, pt, names: Mapping[str, str], *, schemes=None) -> dict[str, Any]:
    """
    Price the plan's targets once for the whole plan: ``results/budget*.parquet`` and the budget workbook.

    ``pt`` is the plan's targets (from the targets step); ``schemes`` the plan's promotion
    schemes costed (:func:`plan_promotions`), booked into the budget and written to
    ``results/promotions.parquet`` and ``results/promotion_months.parquet``. The manifest record (see
    :func:`run_step`) also carries the budget's ``notes`` and each region's dual-check
    ``flags``; region overrides the budget cannot use are listed among its warnings.
    """

    def price(con, step):
        # last year's history kept for a rerun
        pb, problems = price_plan(plan, tree, con, pt, schemes, cache_dir=folder.plan_cache_dir(run_dir))
        step["extra_warnings"] = [f"region override not used for the budget: {p}" for p in problems]
        step["notes"] = list(pb.notes)
        step["flags"] = {r: f for r, f in zip(pb.regions["region_id"], pb.regions["flag"]) if isinstance(f, str)}
        # the reports' copies are written on a thread beside the step's own tables and workbooks (sorting and
        # writing them runs much of its time without the GIL); each file on its own, the same bytes either way
        with ThreadPoolExecutor(max_workers=1) as pool:
            report = pool.submit(write_report_budget, pb, run_dir)
            written = write_budget(pb, run_dir, plan_id=plan.plan_id, names=names, targets=pt.table)
            report.result()
        if schemes is not None:
            for name, frame in ((RESULTS_PROMOTIONS, schemes.costs), (RESULTS_PROMOTION_MONTHS, schemes.months)):
                path = folder.results_path(run_dir, name)
                with folder.atomic_path(path) as tmp:
                    frame.to_parquet(tmp, index=False)
                written.append(path)
        return written

    return run_step("budget", plan, run_dir, price)


def write_report_targets(pt, plan, tree, con, run_dir) -> list[Path]:
    """
    Write what each region's targets report reads of the targets step, so it computes none of it again.

    The targets table sorted by region (:func:`planlib.run.folder.write_by_region`), the
    split choice and month profile the report shows (:func:`planlib.run.folder.write_choices`)
    and, when the step fitted them (``pt.baselines``), each planned region's own trend
    forecast. The report shows the split choice of ``split.method`` as written: the plan's
    own (``pt.split``) unless the plan fell back from a method that needs market data, then
    :func:`planlib.targets.split_choice` of the plan (as the report computed it before).
    These files are for the reports and are not listed among the step's outputs. Returns
    the paths written.
    """
    split = pt.split
    if split is None or split.asked != plan.split.method:
        split = targets.split_choice(plan, tree, con)
    written = [folder.write_by_region(pt.table, folder.results_path(run_dir, folder.RESULTS_TARGETS_BY_REGION))]
    return written + folder.write_choices(run_dir, split, pt.seasonality, getattr(pt, "baselines", None))


def write_report_budget(pb, run_dir) -> list[Path]:
    """
    Write what each region's budget report reads of the budget step: the budget table sorted by
    region and the plan's input-output picture (``pb.io``, :func:`planlib.budget.plan_response`).

    For the reports, not listed among the step's outputs. Returns the paths written.
    """
    written = [folder.write_by_region(pb.table, folder.results_path(run_dir, folder.RESULTS_BUDGET_BY_REGION))]
    return written + (folder.write_response(run_dir, pb.io) if pb.io is not None else [])


def write_targets(pt, run_dir, *, plan_id: str, names: Mapping[str, str], workbook: bool = True) -> list[Path]:
    """
    Write ``results/targets.parquet`` and ``<plan_id>-targets.xlsx`` into a run folder, atomically.

    The workbook has no profit column: the budget sets the profit targets. ``workbook=False``
    leaves it to the budget step (:func:`write_budget` with ``targets``), which writes it
    with them: :func:`plan_steps` writes it once. Returns the paths written.
    """
    path = folder.results_path(run_dir, folder.RESULTS_TARGETS)
    if not workbook:
        return [write_results(pt.table, path)]
    with ThreadPoolExecutor(max_workers=1) as pool:  # the table written while the workbook is built (as write_budget)
        target = pool.submit(write_results, pt.table, path)
        excel = export_targets_excel(pt.table, folder.workbook_path(run_dir, plan_id, "targets"), names=names)
        return [target.result(), excel]


def write_budget(pb, run_dir, *, plan_id: str, names: Mapping[str, str], targets=None) -> list[Path]:
    """
    Write ``results/budget.parquet``, ``budget_regions.parquet``, ``budget_methods.parquet`` and ``<plan_id>-budget.xlsx``.

    With ``targets`` (the plan's targets table) the targets workbook is written too, with
    each region's profit target beside its volume and revenue; it stays the targets step's
    output (not listed here). Every file is written atomically; returns the paths written.
    """
    tables = ((folder.RESULTS_BUDGET, pb.table), (folder.RESULTS_REGIONS, pb.regions),
              (folder.RESULTS_METHODS, pb.methods))
    # the results tables are written beside the workbooks: Arrow encodes and compresses them without
    # the GIL while the workbooks' sheets are built (each file on its own, the same bytes either way)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.submit(lambda: [write_results(frame, folder.results_path(run_dir, name))
                                       for name, frame in tables])
        if targets is not None:  # the targets workbook on the second thread, beside the budget's
            profit = dict(zip(pb.regions["region_id"].astype(str), pb.regions["profit_target"].astype(float)))
            other = pool.submit(export_targets_excel, targets, folder.workbook_path(run_dir, plan_id, "targets"),
                                names=names, profit=profit)
        book = export_budget_excel(pb, folder.workbook_path(run_dir, plan_id, "budget"), names=names)
        if targets is not None:
            other.result()
        return [*results.result(), book]


def write_results(frame: pd.DataFrame, path: Path) -> Path:
    """
    Write a plan-wide results table as parquet, atomically; returns ``path``.

    Min/max statistics are written for the numbers and dates only, not for the texts: for a
    text column Arrow compares every value (for a categorical one it first finds the values
    each page uses), which cost a quarter of the writing of the national targets and budget
    tables, and no reader of these tables uses them (each is read whole or by columns;
    :func:`planlib.run.folder.read_by_region` reads the copies sorted by region, written
    with region_id's statistics). The encodings are pandas' (what the notebooks read back
    fastest), and the table reads back the same.
    """
    stats = [c for c in frame.columns
             if pd.api.types.is_numeric_dtype(frame[c].dtype) or pd.api.types.is_datetime64_any_dtype(frame[c].dtype)]
    with folder.atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, write_statistics=stats if stats else False)
    return path
