"""
The run folder: where each output lives, how it is written, and reading it back.

``runs/<plan_id>/<run_id>/`` holds (DESIGN.md §4)::

    manifest.json               manifest_path (status running/finished/interrupted)
    index.html                  portal_path
    .run.lock                   hold_run: held by the process running it
    <plan_id>-targets.xlsx      workbook_path (and -budget.xlsx, -tracking.xlsx)
    notebooks/<nb>.ipynb        executed_notebook_path (the notebooks exactly as they ran)
    regions/<region_id>/        region_dir, notebook_outputs, completion_marker
    results/<table>.parquet     results_dir, results_path

and beside the plan's runs, ``runs/<plan_id>/.cache/`` (plan_cache_dir): what the plan-wide
steps keep between runs, keyed by their inputs (archive reads, Holt-Winters fits, the check).

Every path of a run is built here from validated ids (region ids, notebook names, the plan
and run ids) and checked to stay inside the run folder. Every file a run writes goes
through :func:`write_atomic` or :func:`atomic_path`: readers see the old or the new
content, never a partial one.

Public functions: write_atomic, atomic_path, inside, plan_dir, plan_cache_dir, run_path, create_run, hold_run,
run_is_live, run_status, region_dir, results_dir,
results_path, manifest_path, portal_path, workbook_path, executed_notebook_path,
notebook_outputs, kernel_log_path, completion_marker, mark_complete, run_relative,
latest_run, read_manifest, step_failure, load_targets, load_budget, region_expenses,
write_by_region, read_by_region, write_choices, write_response, load_response, load_region_budget
(a targets report reads the step's choices and rows with :mod:`planlib.run.step_targets`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from planlib.errors import ParamsError, RunError
from planlib.schemas import is_valid_region_id

if TYPE_CHECKING:  # every run worker imports this module; the targets package only where a report reads them
    from planlib.targets import SeasonalityChoice, SplitChoice

try:  # POSIX; elsewhere runs are not locked
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

__all__ = [
    "RESULTS_TARGETS",
    "RESULTS_BUDGET",
    "RESULTS_REGIONS",
    "RESULTS_METHODS",
    "RESULTS_TRACKING",
    "RESULTS_KPI",
    "RESULTS_FINDINGS",
    "RESULTS_FINDINGS_REGIONS",
    "RESULTS_PROMOTIONS",
    "RESULTS_PROMOTION_MONTHS",
    "RUN_PLAN",
    "RUN_TRACKING",
    "outline_path",
    "plan_cache_dir",
    "run_kind",
    "NOTEBOOK_NAME",
    "NotebookOutputs",
    "write_atomic",
    "atomic_path",
    "inside",
    "plan_dir",
    "run_path",
    "create_run",
    "hold_run",
    "run_is_live",
    "run_status",
    "region_dir",
    "results_dir",
    "results_path",
    "manifest_path",
    "portal_path",
    "workbook_path",
    "WORKBOOKS",
    "executed_notebook_path",
    "notebook_outputs",
    "kernel_log_path",
    "completion_marker",
    "mark_complete",
    "run_relative",
    "latest_run",
    "read_manifest",
    "step_failure",
    "load_targets",
    "load_budget",
    "RESULTS_TARGETS_BY_REGION",
    "RESULTS_BUDGET_BY_REGION",
    "RESULTS_CHOICES",
    "RESULTS_SPLIT_BACKTEST",
    "RESULTS_SEASONALITY_BACKTEST",
    "RESULTS_BASELINES",
    "RESULTS_RESPONSE",
    "RESULTS_RESPONSE_CURVES",
    "RESULTS_RESPONSE_DETAIL",
    "write_by_region",
    "read_by_region",
    "write_choices",
    "write_response",
    "load_response",
    "StepBudget",
    "load_region_budget",
    "region_expenses",
    "region_profit_target",
]

#: The results tables of a run (``results/<name>``).
RESULTS_TARGETS = "targets.parquet"
RESULTS_BUDGET = "budget.parquet"
RESULTS_REGIONS = "budget_regions.parquet"
RESULTS_METHODS = "budget_methods.parquet"
#: The same tables sorted by region id, for reading one region's rows (:func:`read_by_region`).
RESULTS_TARGETS_BY_REGION = "targets_by_region.parquet"
RESULTS_BUDGET_BY_REGION = "budget_by_region.parquet"
#: The targets step's plan-wide choices: the split method and the month profile (JSON), their
#: back-tests, and each planned region's own trend forecast when the step fitted them.
RESULTS_CHOICES = "targets_choices.json"
RESULTS_SPLIT_BACKTEST = "targets_split_backtest.parquet"
RESULTS_SEASONALITY_BACKTEST = "targets_seasonality_backtest.parquet"
RESULTS_BASELINES = "targets_baselines.parquet"
#: The budget step's input-output picture (:func:`planlib.budget.plan_response`): margin rate and
#: limits (JSON), the response curves and each kind's spend per activity.
RESULTS_RESPONSE = "budget_response.json"
RESULTS_RESPONSE_CURVES = "budget_response_curves.parquet"
RESULTS_RESPONSE_DETAIL = "budget_response_detail.parquet"
#: The plan-wide quality check (:mod:`planlib.run.step_findings`): the plan's findings, and the
#: regions whose reviews read their rows of it (``region_id``).
RESULTS_FINDINGS = "findings.parquet"
RESULTS_FINDINGS_REGIONS = "findings_regions.parquet"
#: The promotions step's schemes: each scheme's cost and lift per region, and their months.
RESULTS_PROMOTIONS = "promotions.parquet"
RESULTS_PROMOTION_MONTHS = "promotion_months.parquet"
#: Rows per row group of the by-region tables: one region's rows are read from one or two.
BY_REGION_ROWS = 65_536
_ROW = "__row"

#: A tracking run's tables: the tracked figures (region or person, month, measure) and the KPI scores.
RESULTS_TRACKING = "tracking.parquet"
RESULTS_KPI = "kpi.parquet"

#: The kinds of run (the manifest's ``kind``): a plan run sets targets and budget, a tracking run
#: follows a signed plan run against the actuals.
RUN_PLAN = "plan"
RUN_TRACKING = "tracking"

#: A product notebook's name: two digits, an underscore, then lower-case words (``20_split_targets``).
NOTEBOOK_NAME = re.compile(r"[0-9]{2}_[a-z0-9_]{1,60}")


# -- writing ------------------------------------------------------------------------------


def _temporary_beside(path: Path) -> Path:
    """An empty, ordinary (umask-permission) hidden temporary file in ``path``'s folder, same suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # an ordinary file, readable like any other report
    return Path(tmp)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """
    A temporary path to write ``path`` through, moved into place when the block succeeds.

    For writers that need a file name (``DataFrame.to_parquet``, openpyxl's ``save``): the
    temporary file is in the same folder (so the final ``os.replace`` is atomic) and
    exists, empty, when the block starts. If the block raises, the temporary file is
    removed and ``path`` is left as it was.

    Examples
    --------
    >>> with atomic_path(run / "results" / "targets.parquet") as tmp:  # doctest: +SKIP
    ...     table.to_parquet(tmp, index=False)
    """
    path = Path(path)
    tmp = _temporary_beside(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """
    Write a file so that readers see the old or the new content, never a partial one.

    The data (text as UTF-8) goes to a temporary file in the same folder, then ``os.replace``.
    Returns ``path``.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# -- where things are ---------------------------------------------------------------------


def inside(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> Path:
    """
    ``path`` resolved, checked to lie inside ``root``.

    Raises
    ------
    RunError
        If the resolved path leaves ``root`` (a ``..`` or a symlink pointing out).
    """
    resolved = Path(path).resolve()
    if not resolved.is_relative_to(Path(root).resolve()):
        raise RunError(f"refusing to write {resolved}: outside the run folder {root}")
    return resolved


def _checked_id(kind: str, value: str) -> str:
    if not is_valid_region_id(value):
        raise ParamsError(f"{kind} {value!r} cannot name a folder: use letters, digits, '_', '.', '-' "
                          "(starting with a letter or digit, at most 64)")
    return value


def plan_dir(runs_root: str | os.PathLike[str], plan_id: str) -> Path:
    """``<runs_root>/<plan_id>``: where a plan's runs live (the plan id is checked to name a folder)."""
    return inside(Path(runs_root) / _checked_id("plan_id", plan_id), runs_root)


def plan_cache_dir(run_dir: str | os.PathLike[str]) -> Path:
    """``<runs_root>/<plan_id>/.cache``: what a plan's runs keep for the next one (keyed by their inputs), beside ``run_dir``."""
    return Path(run_dir).parent / ".cache"


def run_path(runs_root: str | os.PathLike[str], plan_id: str, run_id: str) -> Path:
    """``<runs_root>/<plan_id>/<run_id>``: one run's folder (both ids checked to name a folder)."""
    return inside(plan_dir(runs_root, plan_id) / _checked_id("run id", run_id), runs_root)


def create_run(runs_root: str | os.PathLike[str], plan_id: str, run_id: str | None = None, *,
               now: dt.datetime | None = None) -> Path:
    """
    Create a new run folder, exclusively: two runs never share one.

    Parameters
    ----------
    runs_root : path
        The runs folder (``runs/``).
    plan_id : str
        The plan's id: the runs go to ``<runs_root>/<plan_id>/``.
    run_id : str, optional
        The run folder's name; default the start time, ``YYYYMMDD-HHMMSS``, with ``-2``,
        ``-3`` … appended when a run of the same plan started in the same second.
    now : datetime, optional
        The start time (default now).

    Raises
    ------
    RunError
        If an explicit ``run_id`` names a folder that exists.
    """
    base = plan_dir(runs_root, plan_id)
    base.mkdir(parents=True, exist_ok=True)
    if run_id is not None:
        path = run_path(runs_root, plan_id, run_id)
        try:
            path.mkdir()
        except FileExistsError:
            raise RunError(f"run folder {path} exists: choose another run id, or continue it with --resume") from None
        return path
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    for n in range(1, 10_000):
        path = run_path(runs_root, plan_id, stamp if n == 1 else f"{stamp}-{n}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise RunError(f"{base}: no free run folder for {stamp}")  # pragma: no cover


def _lock_file(run_dir: str | os.PathLike[str]) -> Path:
    return Path(run_dir) / ".run.lock"


@contextlib.contextmanager
def hold_run(run_dir: str | os.PathLike[str]) -> Iterator[Path]:
    """
    Hold a run folder for writing while the block runs: a second process is refused.

    An exclusive ``flock`` on ``<run>/.run.lock`` (holding the owner's pid), released
    when the block ends or the process dies, however it dies: a killed run leaves no
    stale lock, and :func:`run_is_live` tells a running run from an interrupted one.

    Raises
    ------
    RunError
        If another process holds the run (a ``--resume`` of a run still in progress):
        the message names its pid and says to wait or start a new run.
    """
    lock = _lock_file(run_dir)
    if fcntl is None:  # pragma: no cover
        yield lock
        return
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            raise RunError(f"{run_dir} is being run by another planlib process (pid {pid or '?'}): wait for it "
                           "to finish, or start a new run (without --resume)") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield lock
    finally:
        os.close(fd)


def run_is_live(run_dir: str | os.PathLike[str]) -> bool:
    """True while a process holds the run (:func:`hold_run`)."""
    lock = _lock_file(run_dir)
    if fcntl is None or not lock.exists():
        return False
    fd = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def run_status(run_dir: str | os.PathLike[str], manifest: dict[str, Any] | None = None) -> str:
    """
    ``finished``, ``interrupted`` or ``running``: what became of a run.

    A run that was stopped by SIGTERM or Ctrl-C says ``interrupted`` in its manifest; one
    that was killed outright (SIGKILL, a crash, the machine going down) never wrote it,
    but its ``finished`` is empty and no live process holds it: also ``interrupted``.
    """
    manifest = read_manifest(run_dir) if manifest is None else manifest
    status = manifest.get("status")
    if status in ("finished", "interrupted"):
        return status
    if manifest.get("finished"):
        return "finished"  # a manifest from before the status was recorded
    return "running" if run_is_live(run_dir) else "interrupted"


def region_dir(run_dir: str | os.PathLike[str], region: str) -> Path:
    """``regions/<region_id>/`` of a run: the region's snapshot, notebooks and reports."""
    return inside(Path(run_dir) / "regions" / _checked_id("region id", region), run_dir)


def results_dir(run_dir: str | os.PathLike[str]) -> Path:
    """``results/`` of a run: the machine-readable tables, all regions."""
    return Path(run_dir) / "results"


def results_path(run_dir: str | os.PathLike[str], name: str) -> Path:
    """``results/<name>`` of a run (``name`` one of the ``RESULTS_*`` file names)."""
    return inside(results_dir(run_dir) / name, run_dir)


def manifest_path(run_dir: str | os.PathLike[str]) -> Path:
    """The run's ``manifest.json``."""
    return Path(run_dir) / "manifest.json"


def outline_path(run_dir: str | os.PathLike[str]) -> Path:
    """
    The run's ``outline.json``: its title, start, regions, notebooks and which region runs which.

    Written by the batch before the notebooks run; every report's header reads it
    (:mod:`planlib.present.navigation`) instead of the manifest, which grows with every
    finished task (3.4 MB on a national plan, parsed 9,600 times).
    """
    return Path(run_dir) / "outline.json"


def portal_path(run_dir: str | os.PathLike[str]) -> Path:
    """The run's front page, ``index.html``."""
    return Path(run_dir) / "index.html"


#: The plan's workbooks, one per plan-wide step: what each holds names the file.
WORKBOOKS: tuple[str, ...] = ("targets", "budget", "tracking")


def workbook_path(run_dir: str | os.PathLike[str], plan_id: str, kind: str = "targets") -> Path:
    """
    One of the plan's workbooks: ``<plan_id>-targets.xlsx``, ``-budget.xlsx`` or ``-tracking.xlsx``.

    ``kind`` is one of :data:`WORKBOOKS`: the targets (by level, month and terminal), the
    budget (by region, category, month and terminal; CVP and the dual check) or a tracking
    run's sheets.
    """
    if kind not in WORKBOOKS:
        raise ParamsError(f"unknown workbook {kind!r}; expected one of {', '.join(WORKBOOKS)}")
    return inside(Path(run_dir) / f"{_checked_id('plan_id', plan_id)}-{kind}.xlsx", run_dir)


def executed_notebook_path(run_dir: str | os.PathLike[str], notebook: str) -> Path:
    """``notebooks/<notebook>.ipynb``: the notebook exactly as the run executes it."""
    return inside(Path(run_dir) / "notebooks" / f"{_checked_id('notebook', notebook)}.ipynb", run_dir)


@dataclass(frozen=True)
class NotebookOutputs:
    """The files of one (region, notebook) in ``regions/<region_id>/``."""

    notebook: Path  #: the last good executed notebook, ``<nb>.ipynb``
    html: Path  #: its report, ``<nb>.html``
    failed: Path  #: the failed notebook of the last run, ``<nb>.failed.ipynb``
    running: Path  #: where papermill writes while executing, ``.<nb>.running.ipynb``
    log: Path  #: the kernel's stderr, ``<nb>.kernel.log``
    marker: Path  #: written by the notebook's last cell, ``.<nb>.complete``


def notebook_outputs(run_dir: str | os.PathLike[str], region: str, notebook: str) -> NotebookOutputs:
    """Where one region's notebook, report, failed notebook, log and completion marker go."""
    folder = region_dir(run_dir, region)
    nb = _checked_id("notebook", notebook)
    return NotebookOutputs(
        notebook=folder / f"{nb}.ipynb",
        html=folder / f"{nb}.html",
        failed=folder / f"{nb}.failed.ipynb",
        running=folder / f".{nb}.running.ipynb",
        log=folder / f"{nb}.kernel.log",
        marker=folder / f".{nb}.complete",
    )


def kernel_log_path(run_dir: str | os.PathLike[str], region: str, notebook: str) -> Path:
    """``regions/<region_id>/<notebook>.kernel.log``: the kernel's own stderr."""
    return notebook_outputs(run_dir, region, notebook).log


def completion_marker(run_dir: str | os.PathLike[str], region: str, notebook: str) -> Path:
    """Where a notebook's final cell records that it ran to the end."""
    return notebook_outputs(run_dir, region, notebook).marker


def mark_complete(run_dir: str | os.PathLike[str] | None, region: str, notebook: str) -> Path | None:
    """
    Record that a notebook reached its last cell (called by that cell).

    The batch deletes the marker before execution and counts a region as succeeded
    only if the marker exists afterwards: papermill's metadata says "completed" even
    after a kernel death. With ``run_dir=None`` (interactive use) nothing is written.
    """
    if run_dir is None:
        return None
    marker = completion_marker(run_dir, region, notebook)
    return write_atomic(marker, json.dumps({"region": region, "notebook": notebook}))


def run_relative(run_dir: str | os.PathLike[str], path: str | os.PathLike[str]) -> str:
    """``path`` relative to the run folder, with forward slashes (as links and the manifest use it)."""
    return Path(path).resolve().relative_to(Path(run_dir).resolve()).as_posix()


# -- reading a run back -------------------------------------------------------------------


_STAMPED = re.compile(r"(.*?)(?:-([0-9]{1,4}))?")


def _run_order(path: Path) -> tuple[str, int]:
    """Run ids sort by time; ``…-2`` (a second run started in the same second) after ``…``."""
    stem, n = _STAMPED.fullmatch(path.name).groups()
    return (stem, int(n)) if n and re.fullmatch(r"[0-9]{8}-[0-9]{6}", stem) else (path.name, 1)


def run_kind(manifest: dict[str, Any]) -> str:
    """A run's kind from its manifest: ``plan`` (targets, budget and their reports) or ``tracking``."""
    return str(manifest.get("kind") or RUN_PLAN)


def latest_run(plan_folder: str | os.PathLike[str], kind: str | None = None,
               where: Callable[[Path, dict[str, Any]], bool] | None = None) -> Path | None:
    """
    The plan's latest run folder that has a manifest (run ids sort by time), or None.

    With ``kind`` (``plan`` or ``tracking``), the latest run of that kind: a ``--resume`` of
    a plan run never continues a tracking run, nor the other way round. ``where(run_dir,
    manifest)`` narrows further (e.g. runs whose targets and budget succeeded).
    """
    runs = sorted((p for p in Path(plan_folder).glob("*") if manifest_path(p).exists()), key=_run_order)
    if kind is None and where is None:
        return runs[-1] if runs else None
    for p in reversed(runs):
        try:
            m = read_manifest(p)
        except (OSError, ValueError):
            continue
        if (kind is None or run_kind(m) == kind) and (where is None or where(p, m)):
            return p
    return None


def read_manifest(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The run's manifest as a dict (raises ``OSError``/``ValueError`` if missing or unreadable)."""
    return json.loads(manifest_path(run_dir).read_text(encoding="utf-8"))


def step_failure(run_dir, step: str) -> str:
    """', because the <step> step failed: <error>' from the run's manifest, or ''."""
    try:
        manifest = read_manifest(run_dir)
    except (OSError, ValueError):
        return ""
    for s in manifest.get("plan_steps", []):
        if s.get("step") == step and s.get("status") == "failed" and s.get("error"):
            e = s["error"]
            return f", because the plan's {step} step failed: {e.get('ename', '')}: {e.get('evalue', '')}"
    return ""


def load_targets(run_dir) -> pd.DataFrame:
    """Read a run's ``results/targets.parquet`` (written by the batch before the notebooks)."""
    path = results_dir(run_dir) / RESULTS_TARGETS
    if not path.exists():
        raise ParamsError(f"{path}: no targets in this run{step_failure(run_dir, 'targets')}; the batch writes them "
                          "before the notebooks run")
    return pd.read_parquet(path)


def load_budget(run_dir) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The run's budget table, regions and methods (written by the batch before 30_build_budget runs)."""
    res = results_dir(run_dir)
    path = res / RESULTS_BUDGET
    if not path.exists():
        raise ParamsError(f"{path}: no budget in this run{step_failure(run_dir, 'budget')}; the batch writes it "
                          "before 30_build_budget runs")
    return (pd.read_parquet(path), pd.read_parquet(res / RESULTS_REGIONS),
            pd.read_parquet(res / RESULTS_METHODS))


def region_expenses(run_dir, region: str) -> float | None:
    """
    The region's expense budget in the run, or None when the run has no budget for it.

    The targets report prices its profit target with it (:func:`planlib.targets.region_kinds`);
    None (no run folder, the budget step not run or failed, a region outside the plan) keeps
    last year's expense ratio there.
    """
    if run_dir is None:
        return None
    path = results_dir(run_dir) / RESULTS_REGIONS
    if not path.exists():
        return None
    return _region_figure(path, region, "budget")


def region_profit_target(run_dir, region: str) -> float | None:
    """
    The region's profit target as the run's budget set it, or None when the run has none.

    The budget's profit target follows ``budget.profit_target`` when the params give one;
    the targets report shows this number (:func:`planlib.targets.region_kinds`), so both
    pages show one profit target. None as for :func:`region_expenses`.
    """
    if run_dir is None:
        return None
    path = results_dir(run_dir) / RESULTS_REGIONS
    if not path.exists():
        return None
    return _region_figure(path, region, "profit_target")


def _region_figure(path: Path, region: str, column: str) -> float | None:
    """One region's finite figure from the run's budget regions table, else None."""
    rows = pd.read_parquet(path)
    if column not in rows.columns:
        return None
    hit = rows.loc[rows["region_id"].astype(str) == str(region), column]
    return float(hit.iloc[0]) if len(hit) and np.isfinite(hit.iloc[0]) else None


# -- the plan-wide steps' results, one region's part ----------------------------------------


def write_by_region(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """
    Write a results table sorted by ``region_id`` (row groups of :data:`BY_REGION_ROWS`), atomically.

    The rows of one region are then in one or two row groups, which :func:`read_by_region`
    finds from the row groups' min/max statistics. Each row's position in ``frame`` is kept
    in a column of its own, so the rows read come back in ``frame``'s order and dtypes.
    Returns ``path``.
    """
    path = Path(path)
    # factorized as the column is (Arrow strings by Arrow, not as a million Python objects); only the
    # few thousand distinct ids become texts, ranked by their text
    codes, uniques = pd.factorize(frame["region_id"])
    texts = np.array([str(u) for u in uniques], dtype=str)
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[np.argsort(texts, kind="stable")] = np.arange(len(uniques))
    order = np.argsort(rank[codes], kind="stable") if len(frame) else np.arange(0)
    out = frame.iloc[order].assign(**{_ROW: order.astype(np.int32 if len(frame) < 2**31 else np.int64)})
    with atomic_path(path) as tmp:
        # statistics of region_id only: read_by_region finds row groups by them; the other columns' are never read
        out.to_parquet(tmp, index=False, row_group_size=BY_REGION_ROWS, write_statistics=["region_id"])
    return path


def read_by_region(path: str | os.PathLike[str], region_ids) -> pd.DataFrame:
    """
    The rows of ``region_ids`` from a table written by :func:`write_by_region`.

    Only the row groups whose region id range holds one of them are read. The rows come in
    the order of the table as it was written, with a fresh index and the same columns and
    dtypes (categories included) as reading the whole table: equal to the whole table
    filtered on ``region_id``.
    """
    ids = sorted({str(r) for r in region_ids})
    f = pq.ParquetFile(path)
    col = f.schema_arrow.get_field_index("region_id")
    groups = []
    for i in range(f.metadata.num_row_groups):
        st = f.metadata.row_group(i).column(col).statistics
        if st is None or not st.has_min_max or any(st.min <= r <= st.max for r in ids):
            groups.append(i)
    if not groups and f.metadata.num_row_groups:
        groups = [0]  # no rows to read, but one row group's dictionaries keep the categories
    table = f.read_row_groups(groups) if groups else f.schema_arrow.empty_table()
    rows = _rows_of(table, ids)
    # back in the frame's order, in Arrow (a stable sort of the positions, then one take), before pandas
    at = rows.column(_ROW).to_numpy()
    if len(at) > 1 and not (at[1:] >= at[:-1]).all():
        rows = rows.take(np.argsort(at, kind="stable"))
    return rows.drop_columns([_ROW]).to_pandas()


def write_choices(run_dir, split, seasonality, baselines: pd.Series | None = None) -> list[Path]:
    """
    Write the targets step's plan-wide choices into ``results/``: what each report shows of them.

    ``split`` (:class:`~planlib.targets.SplitChoice`) and ``seasonality``
    (:class:`~planlib.targets.SeasonalityChoice`): names and month shares in
    :data:`RESULTS_CHOICES`, their back-tests as parquet; ``baselines`` (region id -> own trend
    forecast) in :data:`RESULTS_BASELINES` when given. Returns the paths written.
    """
    shares = seasonality.shares
    doc = {"split": {"method": split.method, "asked": split.asked},
           "seasonality": {"seasonality": seasonality.seasonality, "asked": seasonality.asked, "used": seasonality.used,
                           "shares": [float(x) for x in shares.to_numpy(dtype="float64")],
                           "months": [int(m) for m in shares.index], "index_name": shares.index.name,
                           "name": shares.name}}
    out = [write_atomic(results_path(run_dir, RESULTS_CHOICES), json.dumps(doc, ensure_ascii=False, indent=1))]
    for name, frame in ((RESULTS_SPLIT_BACKTEST, split.backtest), (RESULTS_SEASONALITY_BACKTEST, seasonality.backtest)):
        path = results_path(run_dir, name)
        with atomic_path(path) as tmp:
            frame.to_parquet(tmp, index=False)
        out.append(path)
    if baselines is not None:
        frame = pd.DataFrame({"region_id": baselines.index.astype(str), "baseline": baselines.to_numpy(dtype="float64")})
        out.append(write_by_region(frame, results_path(run_dir, RESULTS_BASELINES)))
    return out


def write_response(run_dir, response: dict) -> list[Path]:
    """
    Write the plan's input-output picture (:func:`planlib.budget.plan_response`) into ``results/``.

    ``margin_rate`` and ``limits`` go to :data:`RESULTS_RESPONSE`, the curves and the
    per-kind detail to parquet. Returns the paths written.
    """
    doc = {"margin_rate": float(response["margin_rate"]),
           "limits": {str(k): float(v) for k, v in response["limits"].items()}}
    out = [write_atomic(results_path(run_dir, RESULTS_RESPONSE), json.dumps(doc, ensure_ascii=False, indent=1))]
    for name, frame in ((RESULTS_RESPONSE_CURVES, response["curves"]), (RESULTS_RESPONSE_DETAIL, response["detail"])):
        path = results_path(run_dir, name)
        with atomic_path(path) as tmp:
            frame.to_parquet(tmp, index=False)
        out.append(path)
    return out


def load_response(run_dir) -> dict:
    """The plan's input-output picture as the budget step wrote it (:func:`write_response`)."""
    path = results_path(run_dir, RESULTS_RESPONSE)
    if not path.exists():
        raise ParamsError(f"{path}: no response curves in this run{step_failure(run_dir, 'budget')}")
    doc = json.loads(path.read_text(encoding="utf-8"))
    # pyarrow's reader and to_pandas: pd.read_parquet's frame, without its ~0.5 ms of checks per file
    curves, detail = (pq.ParquetFile(results_path(run_dir, name)).read().to_pandas()
                      for name in (RESULTS_RESPONSE_CURVES, RESULTS_RESPONSE_DETAIL))
    return {"curves": curves, "margin_rate": doc["margin_rate"], "detail": detail if len(detail.columns) else pd.DataFrame(),
            "limits": doc["limits"]}


@dataclass(frozen=True, eq=False)
class StepBudget:
    """What one region's budget report reads of the budget step (:func:`load_region_budget`)."""

    table: pd.DataFrame  #: the budget table's rows of the region and its children
    regions: pd.DataFrame  #: the budget regions' rows of the region and its children
    methods: pd.DataFrame  #: the methods' rows of the region and its children
    response: dict  #: the plan's input-output picture (:func:`load_response`)


def load_region_budget(run_dir, tree, region: str) -> StepBudget:
    """
    One region's part of the budget step's results: what :func:`planlib.budget.region_budget` reads, and the response.

    Each table is the whole one filtered to the region and its children (the budget table
    from :data:`RESULTS_BUDGET_BY_REGION`; a run from before it was written reads the whole
    table), in its order.
    """
    ids = {region, *tree.children(region)}
    res = results_dir(run_dir)
    by_region = res / RESULTS_BUDGET_BY_REGION
    if not by_region.exists():
        table, regions, methods = load_budget(run_dir)
        table = table[table["region_id"].isin(ids)].reset_index(drop=True)
        regions = regions[regions["region_id"].isin(ids)].reset_index(drop=True)
        methods = methods[methods["region_id"].isin(ids)].reset_index(drop=True)
        return StepBudget(table, regions, methods, load_response(run_dir))
    regions, methods = (_region_rows(res / name, ids) for name in (RESULTS_REGIONS, RESULTS_METHODS))
    return StepBudget(read_by_region(by_region, ids), regions, methods, load_response(run_dir))


def _region_rows(path: Path, region_ids) -> pd.DataFrame:
    """
    The rows of ``region_ids`` of a small results table, in its order with a fresh index.

    Equal to ``pd.read_parquet(path)`` filtered on ``region_id`` and re-indexed: the rows
    are kept in Arrow and only they become pandas (the pandas frame of a whole table
    of 40 columns, then filtered, cost twice as much).
    """
    return _rows_of(pq.ParquetFile(path).read(), sorted(region_ids)).to_pandas()


def _rows_of(table: pa.Table, region_ids: list[str]) -> pa.Table:
    """The rows of an Arrow table whose ``region_id`` is one of ``region_ids`` (the table's first 0 rows when none)."""
    keep = pc.is_in(pc.cast(table["region_id"], pa.string()), value_set=pa.array(region_ids, type=pa.string()))
    rows = table.filter(keep)
    return rows if rows.num_rows else table.slice(0, 0)  # (no chunk left would lose the categories)
