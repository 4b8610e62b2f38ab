"""
Run a plan: every selected region's notebooks through papermill, children before parents.

The batch owns order, executors, kernels, HTML export, the manifest and resume; the
notebooks own the content. What it guarantees (HAZARDS.md):

- only the five declared scalar parameters are injected, checked against each
  notebook's ``parameters`` cell;
- a region counts as succeeded only when its notebook wrote the completion marker in
  its last cell (papermill marks cells "completed" even after a kernel death);
- a failed run keeps the last good ``.ipynb``/``.html`` and saves the failed notebook
  beside them as ``<notebook>.failed.ipynb``, the bug report;
- output paths are built from validated region ids and checked to stay in the run;
- one failing region never stops the others; the manifest is rewritten after every
  task, so an interrupted run shows what finished.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planlib import __version__, archive, params
from planlib.errors import ParamsError, RunError
from planlib.run import folder, steps
from planlib.run.export import export_html
from planlib.run.folder import NOTEBOOK_NAME
from planlib.run.portal import render_portal
from planlib.schemas import LEVEL_DEPTH

__all__ = [
    "INJECTED_PARAMETERS",
    "NOTEBOOKS_DIR",
    "RunResult",
    "select_regions",
    "check_notebook_parameters",
    "run_plan",
]

#: The only names papermill may inject (DESIGN.md §5).
INJECTED_PARAMETERS: tuple[str, ...] = ("region", "scenario", "params_file", "run_dir", "interactive")

#: The product notebooks shipped with the suite.
NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"

_KERNEL_START_RETRIES = 2


@dataclass(frozen=True)
class RunResult:
    """What a run produced: its folder, the manifest and the exit code (0 ok, 1 some failed)."""

    run_dir: Path
    manifest: dict[str, Any]
    exit_code: int
    portal: Path
    failed: tuple[tuple[str, str], ...] = field(default_factory=tuple)


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
    """Write the notebook of ``source`` (script or notebook) to ``dest``, atomically; returns ``dest``."""
    import nbformat

    nb = read_notebook(source)
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


# -- one task (runs in a worker process) -------------------------------------------------


def _executed_any(nb_path: Path) -> bool:
    try:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return any(c.get("execution_count") for c in nb.get("cells", []) if c.get("cell_type") == "code")


def _failed_cell(nb_path: Path) -> int | None:
    """Index of the first cell papermill marked as failed, or the last executed one."""
    try:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    last = None
    for i, c in enumerate(nb.get("cells", [])):
        if c.get("cell_type") != "code":
            continue
        status = c.get("metadata", {}).get("papermill", {}).get("status")
        if any(o.get("output_type") == "error" for o in c.get("outputs", [])) or status == "failed":
            return i
        if c.get("execution_count"):
            last = i
    return last


def _execute_task(task: dict[str, Any]) -> dict[str, Any]:
    """
    Execute one (region, notebook) and return its manifest entry. Never raises.

    The kernel's own stderr (its log lines, e.g. the "KeyboardInterrupt caught in kernel"
    jupyter_client's shutdown provokes) goes to ``regions/<region>/<notebook>.kernel.log``
    instead of the terminal, where the batch shows only its progress; the notebook's
    outputs and errors are in the notebook as always.
    """
    log_path = folder.kernel_log_path(task["run_dir"], task["region_id"], task["notebook"])
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(log_path, "ab") as log:
            os.dup2(log.fileno(), 2)  # the kernel subprocess inherits fd 2
            return _execute_task_logged(task)
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _execute_task_logged(task: dict[str, Any]) -> dict[str, Any]:
    import papermill
    from papermill.exceptions import PapermillExecutionError


    run_dir = Path(task["run_dir"])
    region, nb = task["region_id"], task["notebook"]
    out = folder.notebook_outputs(run_dir, region, nb)
    out.notebook.parent.mkdir(parents=True, exist_ok=True)
    good_nb, good_html, failed_nb, running, marker = out.notebook, out.html, out.failed, out.running, out.marker
    marker.unlink(missing_ok=True)
    entry: dict[str, Any] = {
        "region_id": region,
        "notebook": nb,
        "status": "failed",
        "seconds": None,
        "error": None,
        "retries": 0,
        "inputs_hash": task["inputs_hash"],
        "html": None,
        "failed_notebook": None,
    }
    parameters = {
        "region": region,
        "scenario": task["scenario"],
        "params_file": task["params_file"],
        "run_dir": str(run_dir),
        "interactive": False,
    }
    t0 = time.perf_counter()
    error = None
    for attempt in range(_KERNEL_START_RETRIES + 1):
        running.unlink(missing_ok=True)
        try:
            papermill.execute_notebook(
                task["source"],
                str(running),
                parameters=parameters,
                kernel_name=task.get("kernel_name") or "python3",
                progress_bar=False,
                log_output=False,
                start_timeout=120,
                execution_timeout=task["timeout"],
                cwd=task["cwd"],
                # the kernel's own start-up chatter (TCP notice) is not the user's business
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
            error = None
            break
        except PapermillExecutionError as exc:
            error = {"cell": exc.cell_index, "ename": exc.ename, "evalue": str(exc.evalue)[:2000]}
            break
        except Exception as exc:  # kernel death, timeout, kernel start failure
            error = {"cell": _failed_cell(running), "ename": type(exc).__name__, "evalue": str(exc)[:2000]}
            if _executed_any(running) or attempt == _KERNEL_START_RETRIES:
                break
            entry["retries"] += 1  # the kernel never ran a cell: a start failure, retry
    entry["seconds"] = round(time.perf_counter() - t0, 2)
    if error is None and not marker.exists():
        error = {
            "cell": _failed_cell(running),
            "ename": "IncompleteRun",
            "evalue": "the notebook did not reach its last cell (kernel died or the run stopped early)",
        }
    if error is None:
        try:
            export_html(running, good_html, title=f"{nb} · {region}")
        except Exception as exc:  # keep the previous good report
            error = {"cell": None, "ename": type(exc).__name__, "evalue": f"HTML export failed: {exc}"[:2000]}
    if error is None:
        os.replace(running, good_nb)
        failed_nb.unlink(missing_ok=True)
        entry["status"] = "succeeded"
    else:
        entry["error"] = error
        if running.exists():
            os.replace(running, failed_nb)
            entry["failed_notebook"] = folder.run_relative(run_dir, failed_nb)
    if good_html.exists():
        entry["html"] = folder.run_relative(run_dir, good_html)
    return entry


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


def _write_manifest(run_dir: Path, manifest: dict[str, Any], region_rows: list[dict[str, Any]]) -> None:
    folder.write_atomic(folder.manifest_path(run_dir), json.dumps(manifest, ensure_ascii=False, indent=2))
    folder.write_atomic(folder.portal_path(run_dir), render_portal(manifest, region_rows))


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
        Parallel kernels; default the plan's ``run.workers``.
    resume : bool, default False
        Continue the plan's latest run, skipping tasks that succeeded with the same inputs.
    scenario : str, default "base"
        Scenario applied on top of base and region params.
    runs_root : path, optional
        Where ``<plan_id>/<run_id>/`` goes; default ``runs/`` in the current folder.
    notebooks_dir : path, optional
        Folder of the notebooks; default the suite's ``notebooks/``.
    run_id : str, optional
        Name of the run folder; default a timestamp.
    progress : bool, default True
        Show a progress bar on stderr.
    kernel_name : str, optional
        Jupyter kernel; default ``python3`` (the running interpreter's).

    Returns
    -------
    RunResult
        Exit code 0 if every task succeeded, 1 if some failed.

    Raises
    ------
    ParamsError
        If the plan file is invalid (nothing runs).
    """

    plan_path = Path(plan_path)
    base = params.load_plan(plan_path, scenario=scenario)
    tree = archive.load_tree(base.archive)
    base = params.load_plan(plan_path, scenario=scenario, tree=tree)
    chosen = select_regions(base, tree, regions=regions, level=level)
    nb_names = list(notebooks or base.notebooks)
    nb_dir = Path(notebooks_dir) if notebooks_dir else NOTEBOOKS_DIR
    sources = {name: notebook_source(nb_dir, name) for name in nb_names}

    root = Path(runs_root) if runs_root else Path.cwd() / "runs"
    plan_dir = folder.plan_dir(root, base.plan_id)
    previous: dict[tuple[str, str], dict[str, Any]] = {}
    run_dir = None
    if resume:
        run_dir = folder.latest_run(plan_dir)
        if run_dir is not None:
            old = folder.read_manifest(run_dir)
            previous = {(e["region_id"], e["notebook"]): e for e in old.get("entries", [])}
    if run_dir is None:
        run_id = run_id or dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        run_dir = folder.run_path(root, base.plan_id, run_id)
    run_dir = folder.inside(run_dir, root)
    run_dir.mkdir(parents=True, exist_ok=True)
    # the notebooks exactly as they run: built from their scripts into the run folder
    executed = {name: materialize_notebook(sources[name], folder.executed_notebook_path(run_dir, name))
                for name in nb_names}

    fingerprint = archive.fingerprint(base.archive)
    code_version = _code_version()
    chosen_set = set(chosen)
    region_rows = [
        {"region_id": r, "name": tree.name(r), "level": tree.level(r)} for r in tree.ids if r in chosen_set
    ]
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
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "finished": None,
        "entries": [],
    }

    # snapshots and tasks, deepest level first
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    waves: dict[int, list[dict[str, Any]]] = {}
    for region in chosen:
        region_dir = folder.region_dir(run_dir, region)
        region_dir.mkdir(parents=True, exist_ok=True)
        try:
            rp = params.load_plan(plan_path, region=region, scenario=scenario, tree=tree)
            snapshot = region_dir / params.SNAPSHOT_NAME
            params.write_snapshot(rp, snapshot)
        except Exception as exc:  # one region's bad override must not stop the others
            for name in nb_names:
                entries[(region, name)] = {
                    "region_id": region,
                    "notebook": name,
                    "status": "failed",
                    "seconds": 0.0,
                    "error": {"cell": None, "ename": type(exc).__name__, "evalue": str(exc)[:2000]},
                    "retries": 0,
                    "inputs_hash": None,
                    "html": None,
                    "failed_notebook": None,
                }
            continue
        for name in nb_names:
            inputs_hash = hashlib.sha256(
                "|".join([rp.params_hash(), fingerprint, _file_hash(sources[name]), code_version]).encode()
            ).hexdigest()[:16]
            prev = previous.get((region, name))
            if prev and prev.get("status") == "succeeded" and prev.get("inputs_hash") == inputs_hash:
                entries[(region, name)] = {**prev, "resumed": True}
                continue
            task = {
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
            }
            waves.setdefault(LEVEL_DEPTH[tree.level(region)], []).append(task)

    def ordered_entries() -> list[dict[str, Any]]:
        return [entries[(r, n)] for r in chosen for n in nb_names if (r, n) in entries]

    manifest["entries"] = ordered_entries()
    manifest["plan_steps"] = steps.plan_steps(base, tree, run_dir, nb_names, waves)
    flags = next((s.get("flags") or {} for s in manifest["plan_steps"] if s.get("step") == "budget"), {})
    saved = folder.results_path(run_dir, folder.RESULTS_REGIONS)
    if not flags and saved.exists():  # a resumed run whose plan steps were already done
        import pandas as pd

        r = pd.read_parquet(saved, columns=["region_id", "flag"])
        flags = {k: v for k, v in zip(r["region_id"], r["flag"]) if isinstance(v, str)}
    for row in region_rows:
        if row["region_id"] in flags:
            row["flag"] = flags[row["region_id"]]
    _write_manifest(run_dir, manifest, region_rows)

    n_workers = max(1, int(workers or base.run.workers))
    total = sum(len(w) for w in waves.values())
    bar = None
    if progress and total:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=f"{base.plan_id}", unit="report", file=sys.stderr, dynamic_ncols=True)
    try:
        ctx = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
            for depth in sorted(waves, reverse=True):  # children before parents
                futures = {pool.submit(_execute_task, t): t for t in waves[depth]}
                for fut in cf.as_completed(futures):
                    t = futures[fut]
                    try:
                        entry = fut.result()
                    except Exception as exc:  # the worker itself died
                        entry = {
                            "region_id": t["region_id"],
                            "notebook": t["notebook"],
                            "status": "failed",
                            "seconds": None,
                            "error": {"cell": None, "ename": type(exc).__name__, "evalue": str(exc)[:2000]},
                            "retries": 0,
                            "inputs_hash": t["inputs_hash"],
                            "html": None,
                            "failed_notebook": None,
                        }
                    entries[(t["region_id"], t["notebook"])] = entry
                    manifest["entries"] = ordered_entries()
                    _write_manifest(run_dir, manifest, region_rows)
                    if bar is not None:
                        bar.set_postfix_str(f"{t['region_id']} {entry['status']}")
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        manifest["finished"] = dt.datetime.now().isoformat(timespec="seconds")
        manifest["entries"] = ordered_entries()
        _write_manifest(run_dir, manifest, region_rows)

    failed = tuple((e["region_id"], e["notebook"]) for e in manifest["entries"] if e["status"] != "succeeded")
    return RunResult(
        run_dir=run_dir,
        manifest=manifest,
        exit_code=1 if failed else 0,
        portal=folder.portal_path(run_dir),
        failed=failed,
    )
