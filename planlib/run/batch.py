"""
Run a plan: every selected region's notebooks through papermill, children before parents.

The batch owns order, the manifest and resume; where tasks execute (local processes or a
Dask cluster) is :mod:`planlib.run.executors`; in what groups its tasks reach them (waves by
depth, heavy regions alone, tasks a failed plan step blocks) is :mod:`planlib.run.schedule`
(whose HEAVY_COUNTIES, heavy_regions, wave_groups and run_waves this module re-exports);
one task (a region's notebook: kernel, HTML export) is :mod:`planlib.run.task`; the notebooks
own the content.
What it guarantees (HAZARDS.md):

- the plan and every region's params are checked before anything runs (exit 2);
- only the five declared scalar parameters are injected, checked against each
  notebook's ``parameters`` cell;
- the archive is held for reading for the whole run (imports wait or are refused),
  so every region reads the same data;
- every run has its own folder, created exclusively; a ``--resume`` of a run still in
  progress is refused;
- one failing region never stops the others; every finished task is appended to the run's
  journal (``entries.jsonl``, one line a task) at once, and the manifest and portal are
  rewritten from it (:class:`ManifestWriter`: after every task while that is cheap, at most
  every few seconds on a national run), so an interrupted or killed run shows, and a resume
  skips, what finished; SIGTERM or Ctrl-C stops the workers and their kernels and marks the
  run ``interrupted``; a killed run's workers die with it.

Public functions: select_regions, notebook_source, available_notebooks, read_notebook,
materialize_notebook, check_notebook_parameters, run_plan.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from planlib import __version__, archive, params
from planlib.errors import ParamsError, RunError
from planlib.run import executors, folder, steps, task, track, workflow_files
from planlib.run.folder import NOTEBOOK_NAME
from planlib.run.portal import read_figures, render_portal
from planlib.run.schedule import HEAVY_COUNTIES, blocked_tasks, heavy_regions, run_waves, wave_groups
from planlib.labels import NOTEBOOK_NAMES
from planlib.schemas import LEVEL_DEPTH

__all__ = [
    "INJECTED_PARAMETERS",
    "NOTEBOOKS_DIR",
    "RunResult",
    "RunInterrupted",
    "ManifestWriter",
    "JOURNAL",
    "read_journal",
    "HEAVY_COUNTIES",
    "heavy_regions",
    "wave_groups",
    "run_waves",
    "select_regions",
    "check_notebook_parameters",
    "run_plan",
]

#: The only names papermill may inject (DESIGN.md §5).
INJECTED_PARAMETERS: tuple[str, ...] = ("region", "scenario", "params_file", "run_dir", "interactive")

#: The run's journal: each finished task's manifest entry, one JSON line, appended as it finishes.
JOURNAL = "entries.jsonl"

#: The manifest and portal are rewritten at most this often when a rewrite is slow (seconds) ...
MANIFEST_MIN_INTERVAL = 2.0
#: ... and never more often than this many times their own writing time (the rewrite's share of
#: the run's time stays under 1/MANIFEST_COST_FACTOR: a national portal of 3,200 regions takes ~2 s).
MANIFEST_COST_FACTOR = 20.0

#: Notebooks that run only for regions with children in the plan's levels (a consolidation of them).
PARENT_NOTEBOOKS: tuple[str, ...] = ("50_consolidate",)
#: Notebooks for the regions where a promotion scheme runs (at, above or below them).
SCHEME_NOTEBOOKS: tuple[str, ...] = ("35_promotions",)
#: Notebooks of a planned region (at one of the plan's levels): below them a region has no target or budget of its own.
PLANNED_NOTEBOOKS: tuple[str, ...] = ("20_split_targets", "30_build_budget")


def notebook_applies(name: str, region: str, tree, levels, promotions) -> bool:
    """
    Whether the batch runs notebook ``name`` for ``region``: the one place a notebook is filtered by region.

    A consolidation (:data:`PARENT_NOTEBOOKS`) needs children at a planned level (``levels``);
    the promotions report (:data:`SCHEME_NOTEBOOKS`) a scheme of the region's ``promotions``
    (scheme -> regions) attached to the region, an ancestor or a region below it; the targets
    and budget reports (:data:`PLANNED_NOTEBOOKS`) a region at a planned level (a township
    below a plan that ends at counties has neither: its page read a target of 0, -100% on last
    year); every other notebook runs everywhere.
    """
    if name in PLANNED_NOTEBOOKS:
        return tree.level(region) in levels
    if name in PARENT_NOTEBOOKS:
        return any(tree.level(c) in levels for c in tree.children(region))
    if name in SCHEME_NOTEBOOKS:
        line = {region, *tree.ancestors(region)}
        return any(r in line or (r in tree and region in tree.ancestors(r)) for rs in promotions.values() for r in rs)
    return True


#: The product notebooks shipped with the suite.
NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"

@dataclass(frozen=True)
class RunResult:
    """What a run produced: its folder, the manifest and the exit code (0 ok, 1 some failed)."""

    run_dir: Path
    manifest: dict[str, Any]
    exit_code: int
    portal: Path
    failed: tuple[tuple[str, str], ...] = field(default_factory=tuple)


class RunInterrupted(KeyboardInterrupt):
    """
    A run stopped by a signal (SIGTERM, or SIGINT: Ctrl-C) before it finished.

    Its workers and kernels have been stopped and its manifest says ``interrupted``;
    ``--resume`` continues it. ``signum`` is the signal, ``run_dir`` the run's folder.
    """

    def __init__(self, signum: int, run_dir: Path | None = None):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.run_dir = run_dir


# -- selection and checks ----------------------------------------------------------------


def select_regions(plan, tree, *, regions: Sequence[str] | None = None, level: str | None = None) -> list[str]:
    """
    The regions a run covers, children before parents.

    Parameters
    ----------
    plan : PlanParams
        The validated plan (``scope.root``, ``scope.levels``).
    tree : RegionTree
        The archive's region tree.
    regions : sequence of str, optional
        Explicit region ids (``--regions``); each must be in the plan's scope.
    level : str, optional
        Only this level (``--level``).

    Raises
    ------
    ParamsError
        If a requested region is unknown or outside the plan's scope, or the level is unknown.
    """
    scope = set(tree.subtree(plan.scope.root))
    if level is not None and level not in LEVEL_DEPTH:
        raise ParamsError(f"--level {level!r}: expected one of {', '.join(LEVEL_DEPTH)}")
    levels = {level} if level else set(plan.scope.levels)
    if regions:
        bad = [r for r in regions if r not in tree]
        if bad:
            raise ParamsError(f"--regions: unknown region ids {bad}: not in the archive's regions table")
        outside = [r for r in regions if r not in scope]
        if outside:
            raise ParamsError(f"--regions: {outside} are outside the plan's scope (root {plan.scope.root})")
        chosen = [r for r in regions if tree.level(r) in levels] if level else list(regions)
    else:
        chosen = [r for r in scope if tree.level(r) in levels]
    return tree.bottom_up(chosen)


def notebook_source(nb_dir: Path, name: str) -> Path:
    """
    The source of a notebook: its jupytext percent script ``<name>.py``, else ``<name>.ipynb``.

    Raises
    ------
    ParamsError
        If ``name`` is not a notebook name (``NN_words``: no path, no suffix) or no source
        of that name is in ``nb_dir``; the message lists the notebooks there.
    """
    if not isinstance(name, str) or not NOTEBOOK_NAME.fullmatch(name):
        raise ParamsError(f"notebooks: {name!r} is not a notebook name (two digits, '_', lower-case words, "
                          f"e.g. 20_split_targets); available: {', '.join(available_notebooks(nb_dir))}")
    for suffix in (".py", ".ipynb"):
        src = nb_dir / f"{name}{suffix}"
        if src.is_file():
            check_notebook_parameters(src)
            return src
    raise ParamsError(f"notebooks: {name!r} is not a notebook in {nb_dir}; available: "
                      f"{', '.join(available_notebooks(nb_dir))}")


def available_notebooks(nb_dir: Path) -> list[str]:
    """The notebook names in ``nb_dir`` (scripts and notebooks), sorted."""
    return sorted({p.stem for p in Path(nb_dir).glob("*") if p.suffix in (".py", ".ipynb") and NOTEBOOK_NAME.fullmatch(p.stem)})


def read_notebook(source: Path):
    """A notebook node from a jupytext script (``.py``) or a notebook file (``.ipynb``)."""
    import jupytext

    return jupytext.read(str(source))


def materialize_notebook(source: Path, dest: Path) -> Path:
    """
    Write the notebook of ``source`` (script or notebook) to ``dest``, atomically; returns ``dest``.

    A script has no cell ids (jupytext draws random ones), so every cell gets an id from its
    position and source: the same source gives the same notebook and the same HTML report
    (``id="cell-id=…"``), whichever run or executor builds it.
    """
    import nbformat

    nb = read_notebook(source)
    for i, cell in enumerate(nb.cells):
        cell["id"] = hashlib.sha256(f"{i}\n{cell.source}".encode()).hexdigest()[:8]
    return folder.write_atomic(dest, nbformat.writes(nb))


def check_notebook_parameters(notebook: Path) -> None:
    """
    Check that a notebook declares exactly the injected parameters.

    Raises
    ------
    RunError
        If the notebook has no ``parameters`` cell or lacks one of :data:`INJECTED_PARAMETERS`.
    """
    import papermill

    declared = set(papermill.inspect_notebook(read_notebook(notebook)))
    missing = [p for p in INJECTED_PARAMETERS if p not in declared]
    if missing:
        raise RunError(
            f"{notebook.name}: the parameters cell lacks {missing}; "
            f"product notebooks declare {', '.join(INJECTED_PARAMETERS)}"
        )


# -- the run -------------------------------------------------------------------------------


def _code_version() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
        if out.returncode == 0 and out.stdout.strip():
            return f"{__version__}+{out.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        pass
    return __version__


def _file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


def _write_manifest(run_dir: Path, manifest: dict[str, Any], region_rows: list[dict[str, Any]],
                    shown: dict[str, Any] | None = None) -> None:
    """The manifest, then the portal (``shown``: the figures and plan root :func:`_flag_regions` read once)."""
    folder.write_atomic(folder.manifest_path(run_dir), json.dumps(manifest, ensure_ascii=False, indent=2))
    folder.write_atomic(folder.portal_path(run_dir), render_portal(manifest, region_rows, **(shown or {})))


def read_journal(run_dir: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """
    The entries of the run's journal (:data:`JOURNAL`) by (region, notebook), the latest line winning.

    A line cut short by a kill (the last one) is skipped: that task counts as not finished.
    """
    out: dict[tuple[str, str], dict[str, Any]] = {}
    try:
        lines = (Path(run_dir) / JOURNAL).read_text(encoding="utf-8").splitlines()
    except OSError:
        return out
    for line in lines:
        try:
            e = json.loads(line)
            out[(str(e["region_id"]), str(e["notebook"]))] = e
        except (ValueError, KeyError, TypeError):
            continue
    return out


class ManifestWriter:
    """
    Publishes a run's progress: each finished task to the journal at once, the manifest and portal when due.

    Rewriting the manifest and the portal after every task costs O(regions) each time: on the
    small demo a few milliseconds, on a national plan (3,200 regions, 9,600 reports) about two
    seconds, hours over the run. So each finished task's entry is appended to the journal
    (:data:`JOURNAL`, one line, flushed) and the manifest and portal are rewritten only when
    :data:`MANIFEST_MIN_INTERVAL` seconds and :data:`MANIFEST_COST_FACTOR` times the last
    rewrite's duration have passed since it, and always by :meth:`flush` (the run's start, its
    end, an interruption). A resume reads the manifest and the journal (:func:`read_journal`),
    so a killed run loses no finished task.
    """

    def __init__(self, run_dir: Path, manifest: dict[str, Any], region_rows: list[dict[str, Any]],
                 shown: dict[str, Any] | None, clock=None):
        import time

        self.run_dir, self.manifest, self.region_rows, self.shown = run_dir, manifest, region_rows, shown
        self.clock = clock or time.monotonic
        self.last, self.cost = float("-inf"), 0.0

    def finished(self, entry: dict[str, Any], entries) -> None:
        """Record one finished task: its journal line now, the manifest (``entries()``) when due."""
        with open(self.run_dir / JOURNAL, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
        if self.clock() - self.last >= max(MANIFEST_MIN_INTERVAL, MANIFEST_COST_FACTOR * self.cost):
            self.manifest["entries"] = entries()
            self.flush()

    def flush(self) -> None:
        """Rewrite the manifest and the portal now."""
        t0 = self.clock()
        _write_manifest(self.run_dir, self.manifest, self.region_rows, self.shown)
        self.last = self.clock()
        self.cost = self.last - t0


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGTERM raises :class:`RunInterrupted` in the main thread while the block runs (SIGINT already raises)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise RunInterrupted(signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _open_run(root: Path, plan_id: str, run_id: str | None, resume: bool, hold: contextlib.ExitStack,
              kind: str = folder.RUN_PLAN):
    """
    The run folder, held (:func:`folder.hold_run`), and the previous attempt's manifest when resuming.

    ``--resume`` continues the plan's latest run; if another process is still running it,
    :class:`RunError` says so (nothing runs twice at once in one folder). Otherwise, and
    without ``--resume``, a new folder is created exclusively, so runs of the same plan
    started together each get their own.
    """
    if resume:
        latest = folder.latest_run(folder.plan_dir(root, plan_id), kind=kind)
        if latest is not None:
            old = folder.read_manifest(latest)
            done = read_journal(latest)  # tasks finished after the manifest's last rewrite
            if done:
                known = {(e["region_id"], e["notebook"]) for e in old.get("entries", [])}
                old["entries"] = [done.get((e["region_id"], e["notebook"]), e) for e in old.get("entries", [])] + \
                    [e for k, e in done.items() if k not in known]
            old["status"] = folder.run_status(latest, old)  # a killed run reads "interrupted" here
            hold.enter_context(folder.hold_run(latest))  # refused if it is still running
            return latest, old
    run_dir = folder.create_run(root, plan_id, run_id)
    hold.enter_context(folder.hold_run(run_dir))
    return run_dir, None


def run_plan(
    plan_path: str | Path,
    *,
    regions: Sequence[str] | None = None,
    level: str | None = None,
    notebooks: Sequence[str] | None = None,
    workers: int | None = None,
    resume: bool = False,
    scenario: str = "base",
    runs_root: str | Path | None = None,
    notebooks_dir: str | Path | None = None,
    run_id: str | None = None,
    progress: bool = True,
    kernel_name: str | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    as_of: dt.date | None = None,
    plan_run: str | None = None,
) -> RunResult:
    """
    Execute a plan's notebooks for every selected region and write the run folder.

    Parameters
    ----------
    plan_path : path
        The plan YAML.
    regions, level : optional
        Narrow the plan's scope (``--regions``, ``--level``).
    notebooks : sequence of str, optional
        Notebook names without ``.ipynb``; default the plan's ``notebooks``.
    workers : int, optional
        Parallel kernels; default the plan's ``run.workers`` (with ``executor="dask"``, the
        LocalCluster's workers; a cluster at ``scheduler`` has its own).
    resume : bool, default False
        Continue the plan's latest run, skipping tasks that succeeded with the same inputs.
        Refused while another process is still running that folder.
    scenario : str, default "base"
        Scenario applied on top of base and region params.
    runs_root : path, optional
        Where ``<plan_id>/<run_id>/`` goes; default ``runs/`` in the current folder.
    notebooks_dir : path, optional
        Folder of the notebooks; default the suite's ``notebooks/``.
    run_id : str, optional
        Name of the run folder; default the start time (``YYYYMMDD-HHMMSS``, with ``-2``, …
        when runs of the plan start in the same second: each run gets its own folder).
    progress : bool, default True
        Show a progress bar on stderr.
    kernel_name : str, optional
        Jupyter kernel; default ``python3`` (the running interpreter's).
    executor : {"local", "dask"}, default "local"
        Where the notebooks run (``--executor``): local worker processes, or a Dask
        distributed cluster (:mod:`planlib.run.executors`). Both run the same tasks in the
        same order and write the same manifest and outputs.
    scheduler : str, optional
        The Dask scheduler's address (``--scheduler tcp://HOST:8786``); with
        ``executor="dask"`` and no address, a LocalCluster is started for the run.
    as_of : datetime.date, optional
        A tracking run (``--as-of``): the tracking notebooks (default ``40_track_results``)
        follow a signed plan run against the actuals up to this date (:mod:`planlib.run.track`).
    plan_run : str, optional
        The plan run a tracking run follows (``--plan-run``); default the plan's latest run
        whose targets and budget succeeded.

    Returns
    -------
    RunResult
        Exit code 0 if every task succeeded, 1 if some failed.

    Raises
    ------
    ParamsError
        If the plan file or a region's params are invalid, or a tracking run has no signed plan
        run, an as-of date outside the plan year or no actuals (nothing runs).
    RunError
        If ``run_id`` names an existing folder, ``resume`` finds its run still in progress, or
        the Dask scheduler cannot be reached (nothing runs, no run folder is created).
    RunInterrupted
        On SIGTERM or SIGINT: the workers and kernels are stopped and the manifest says
        ``interrupted`` (a ``KeyboardInterrupt``).

    Notes
    -----
    Concurrent runs of one plan do not collide: each new run creates its own folder; a
    ``--resume`` of a run that is still going is refused. The archive is held for reading
    (:func:`planlib.archive.reading`) from the plan's check to the last notebook, so an
    import cannot change the data mid-run.

    On a Dask cluster the run folder must be on storage every worker shares: the tasks
    carry absolute paths (run folder, notebooks, params snapshots, and the archive those
    name), so each worker must see them at the same paths, with the same environment
    (planlib and the ``python3`` kernel). Workers write the reports into the run folder
    (temporary file, then rename); only the run writes the manifest. A worker lost
    mid-notebook has its task rerun on another worker; the rerun overwrites the same files.
    """
    plan_path = Path(plan_path)
    base = params.load_plan(plan_path, scenario=scenario)
    nb_names = list(notebooks or (track.TRACKING_NOTEBOOKS if as_of is not None else base.notebooks))
    track.check_tracking_options(nb_names, as_of, base.year)
    tracking = track.is_tracking_run(nb_names)
    nb_dir = Path(notebooks_dir) if notebooks_dir else NOTEBOOKS_DIR
    sources = {name: notebook_source(nb_dir, name) for name in nb_names}
    with contextlib.ExitStack() as hold:
        hold.enter_context(archive.reading(base.archive))
        tree = archive.load_tree(base.archive)
        base = params.load_plan(plan_path, scenario=scenario, tree=tree)
        chosen = select_regions(base, tree, regions=regions, level=level)
        params.validate_plan(plan_path, tree, scenario=scenario, regions=chosen)  # exit 2 before anything runs
        root = Path(runs_root) if runs_root else Path.cwd() / "runs"
        signed, through = _signed_plan(base, root, plan_run, as_of) if tracking else (None, None)
        pool = hold.enter_context(executors.open_executor(
            executor, workers=max(1, int(workers or base.run.workers)), scheduler=scheduler))  # refused: exit 2
        kind = folder.RUN_TRACKING if tracking else folder.RUN_PLAN
        run_dir, old = _open_run(root, base.plan_id, run_id, resume, hold, kind=kind)
        return _run(plan_path, base, tree, chosen, nb_names, nb_dir, sources, run_dir, old,
                    scenario=scenario, pool=pool, progress=progress, kernel_name=kernel_name,
                    tracking=(signed, as_of, through) if tracking else None)


def _signed_plan(base, root: Path, plan_run: str | None, as_of: dt.date) -> tuple[Path, dt.date | None]:
    """
    The plan run a tracking run follows, and the last day the archive's actuals cover.

    Refused (ParamsError, exit 2) when the archive has no actuals in the plan year.
    """
    signed = track.signed_plan_run(root, base.plan_id, plan_run)
    con = archive.connect(base.archive)
    try:
        extent = archive.actuals_extent(con, base.year)
    finally:
        con.close()
    if not extent.rows:
        raise ParamsError(f"{base.archive}: no actuals for the plan year {base.year} up to {as_of} (own sales "
                          f"in the sales table); import them first: planlib archive import {base.archive} sales FILE")
    return signed, extent.through


def _run(plan_path, base, tree, chosen, nb_names, nb_dir, sources, run_dir: Path, old, *, scenario, pool,
         progress, kernel_name, tracking=None) -> RunResult:
    """The run proper, in its held folder: snapshots, plan-wide steps, the notebooks by level, the manifest."""
    previous = {(e["region_id"], e["notebook"]): e for e in (old or {}).get("entries", [])}
    # the notebooks exactly as they run: built from their scripts into the run folder
    executed = {name: materialize_notebook(sources[name], folder.executed_notebook_path(run_dir, name))
                for name in nb_names}
    fingerprint = archive.fingerprint(base.archive)
    code_version = _code_version()
    chosen_set = set(chosen)
    region_rows = [  # the portal's rows; ancestors (nearest first) give its pyramid
        {"region_id": r, "name": tree.name(r), "level": tree.level(r), "ancestors": list(tree.ancestors(r))}
        for r in tree.ids if r in chosen_set
    ]
    shown: dict[str, Any] = {"plan_root": base.scope.root}
    manifest: dict[str, Any] = {
        "plan_id": base.plan_id,
        "title": base.title,
        "plan_file": str(plan_path.resolve()),
        "run_id": run_dir.name,
        "scenario": scenario,
        "params_hash": base.params_hash(),
        "code_version": code_version,
        "data_fingerprint": fingerprint,
        "archive": str(base.archive),
        "notebooks": nb_names,
        "regions": chosen,
        "status": "running",
        "pid": os.getpid(),
        "executor": pool.name,
        "started": _now(),
        "finished": None,
        "entries": [],
    }
    followed = ""
    if tracking is not None:
        signed, as_of, through = tracking
        hashes = track.signed_hashes(signed)
        manifest.update(kind=folder.RUN_TRACKING, as_of=as_of.isoformat(), plan_run=signed.name, signed=hashes,
                        actuals_through=through.isoformat() if through else None)
        followed = "|".join([as_of.isoformat(), signed.name, *hashes.values()])
    if old is not None:
        manifest["attempts"] = [*old.get("attempts", []), {k: old.get(k) for k in ("started", "finished", "status")}]

    # snapshots and tasks, deepest level first
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    waves: dict[int, list[dict[str, Any]]] = {}
    heavy = heavy_regions(tree, chosen)  # their notebooks run alone, each on a kernel of its own
    for region in chosen:
        region_dir = folder.region_dir(run_dir, region)
        region_dir.mkdir(parents=True, exist_ok=True)
        try:
            rp = params.load_plan(plan_path, region=region, scenario=scenario, tree=tree)
            snapshot = region_dir / params.SNAPSHOT_NAME
            params.write_snapshot(rp, snapshot)
        except Exception as exc:  # checked before the run; kept so one region never stops the others
            for name in nb_names:
                entries[(region, name)] = {**task.failed_entry({"region_id": region, "notebook": name}, exc),
                                           "seconds": 0.0}
            continue
        for name in nb_names:
            if not notebook_applies(name, region, tree, base.scope.levels, rp.promotions):
                continue  # a consolidation needs children in the plan; the promotions report, a scheme
            inputs_hash = hashlib.sha256(
                "|".join([rp.params_hash(), fingerprint, _file_hash(sources[name]), code_version, followed]).encode()
            ).hexdigest()[:16]
            prev = previous.get((region, name))
            if prev and prev.get("status") == "succeeded" and prev.get("inputs_hash") == inputs_hash:
                entries[(region, name)] = {**prev, "resumed": True}
                continue
            waves.setdefault(LEVEL_DEPTH[tree.level(region)], []).append({
                "run_dir": str(run_dir),
                "region_id": region,
                "notebook": name,
                "source": str(executed[name]),
                "cwd": str(nb_dir),
                "scenario": scenario,
                "params_file": str(snapshot),
                "timeout": base.run.timeout_seconds,
                "inputs_hash": inputs_hash,
                "kernel_name": kernel_name,
                "heavy": region in heavy,
            })

    # the notebooks each region runs (a consolidation only above children, the promotions report only
    # where a scheme runs): the portal counts a region by them, a report links only to them
    planned = {(t["region_id"], t["notebook"]) for w in waves.values() for t in w} | set(entries)
    manifest["planned"] = {r: [n for n in nb_names if (r, n) in planned] for r in chosen}

    def ordered_entries() -> list[dict[str, Any]]:
        return [entries[(r, n)] for r in chosen for n in nb_names if (r, n) in entries]

    # what every report's header reads (its links), small and written once: not the growing manifest
    outline = ("plan_id", "title", "run_id", "kind", "plan_run", "started", "notebooks", "regions", "planned")
    folder.write_atomic(folder.outline_path(run_dir),
                        json.dumps({k: manifest[k] for k in outline if k in manifest}, ensure_ascii=False))
    manifest["entries"] = ordered_entries()
    writer = ManifestWriter(run_dir, manifest, region_rows, shown)
    writer.flush()
    total = sum(len(w) for w in waves.values())
    bar = None
    try:
        with _stopped_by_signals():
            if tracking is None:
                manifest["plan_steps"] = steps.plan_steps(base, tree, run_dir, nb_names, waves)
            else:
                names = {r: tree.name(r) for r in tree.subtree(base.scope.root)}
                manifest["plan_steps"] = [track.tracking_step(base, tree, run_dir, tracking[0], tracking[1], names)] \
                    if waves else []
            for t, entry in blocked_tasks(manifest["plan_steps"], waves):  # they would only fail one by one
                entries[(t["region_id"], t["notebook"])] = entry
            manifest["entries"] = ordered_entries()
            total = sum(len(w) for w in waves.values())
            _flag_regions(run_dir, manifest, region_rows, shown)
            # the steps and the portal's figures read through Arrow, whose pool keeps what they freed for reuse
            # (~0.6 GB on the national plan): handed back, so this process does not hold it while the notebooks run
            pa.default_memory_pool().release_unused()
            writer.flush()
            if progress and total and getattr(pool, "dashboard_link", None):
                sys.stderr.write(f"Dask dashboard: {pool.dashboard_link}\n")  # the cluster's own progress view
            if progress and total:
                from tqdm.auto import tqdm

                bar = tqdm(total=total, desc=f"{base.plan_id}", unit="report", file=sys.stderr, dynamic_ncols=True)
            try:
                for t, entry in run_waves(pool, waves):  # children before parents, heavy tasks alone
                    entries[(t["region_id"], t["notebook"])] = entry
                    writer.finished(entry, ordered_entries)
                    if bar is not None:
                        bar.set_postfix_str(f"{t['region_id']} {entry['status']}")
                        bar.update(1)
            except BaseException:
                pool.stop()  # before the manifest says interrupted: nothing is written after it
                raise
        manifest["status"] = "finished"
        manifest["finished"] = _now()
    except KeyboardInterrupt as exc:  # SIGINT, or SIGTERM through _stopped_by_signals
        stop = exc if isinstance(exc, RunInterrupted) else RunInterrupted(signal.SIGINT)
        stop.run_dir = run_dir
        manifest["status"] = "interrupted"
        manifest["interrupted"] = {"at": _now(), "signal": signal.Signals(stop.signum).name}
        raise stop from None
    finally:
        if bar is not None:
            bar.close()
        manifest["entries"] = ordered_entries()
        writer.flush()
        (run_dir / JOURNAL).unlink(missing_ok=True)  # the manifest now holds every entry

    failed = tuple((e["region_id"], e["notebook"]) for e in manifest["entries"] if e["status"] != "succeeded")
    return RunResult(
        run_dir=run_dir,
        manifest=manifest,
        exit_code=1 if failed else 0,
        portal=folder.portal_path(run_dir),
        failed=failed,
    )


def _flag_regions(run_dir: Path, manifest: dict[str, Any], region_rows: list[dict[str, Any]],
                  shown: dict[str, Any] | None = None) -> None:
    """
    Put each region's dual-check flag and tracking figures on its portal row, and read the figures once.

    ``shown`` receives ``figures`` (:func:`planlib.run.portal.read_figures` of this run, or of
    the signed plan a tracking run follows) and, when the plan has a workflow folder, each
    region's ``workflow`` state (:func:`planlib.run.workflow_files.region_workflow`), which every
    later portal rewrite shows.
    """
    tracked = next((s.get("flags") or {} for s in manifest["plan_steps"] if s.get("step") == "tracking"), {})
    links: dict[str, list[dict[str, str]]] = {}
    if manifest.get("plan_run"):  # a tracking run links the signed plan's reports
        try:
            signed = folder.read_manifest(run_dir.parent / manifest["plan_run"])
        except (OSError, ValueError):
            signed = {}
        for e in signed.get("entries", []):
            if e.get("status") == "succeeded" and e.get("html"):
                links.setdefault(e["region_id"], []).append(
                    {"href": f"../{manifest['plan_run']}/{e['html']}", "label": NOTEBOOK_NAMES.get(e["notebook"], e["notebook"])})
    for row in region_rows:
        if row["region_id"] in tracked:
            row["tracking"] = tracked[row["region_id"]]
        if row["region_id"] in links:
            row["plan_links"] = links[row["region_id"]]
    figures_run = run_dir.parent / manifest["plan_run"] if manifest.get("plan_run") else run_dir
    try:
        figures = read_figures(folder.results_dir(figures_run))
    except (OSError, ValueError, KeyError) as exc:  # the portal still lists the regions; the figures say why not
        figures = None
        manifest.setdefault("portal_warnings", []).append(f"figures not read from {figures_run}: {exc}")
    if shown is not None and figures is not None and len(figures):
        shown["figures"] = figures
    flow = workflow_files.region_workflow(run_dir.parent.parent, manifest["plan_id"])
    if shown is not None and flow:  # the submission and approval state, when the plan has a workflow
        shown["workflow"] = flow
    flags = next((s.get("flags") or {} for s in manifest["plan_steps"] if s.get("step") == "budget"), {})
    if not flags and figures is not None:  # a resumed run whose plan steps were already done
        flags = {k: v for k, v in zip(figures["region_id"], figures["flag"]) if isinstance(v, str)}
    for row in region_rows:
        if row["region_id"] in flags:
            row["flag"] = flags[row["region_id"]]
