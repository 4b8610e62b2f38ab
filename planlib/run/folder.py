"""
The run folder: where each output lives, how it is written, and reading it back.

``runs/<plan_id>/<run_id>/`` holds ``manifest.json``, ``index.html``, ``regions/<id>/``
and ``results/`` (DESIGN.md §4). Every path of a run is built here from validated
region ids, and every file is written atomically (readers see the old or the new
content, never a partial one).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from planlib.errors import ParamsError

__all__ = ["write_atomic", "completion_marker", "mark_complete", "step_failure", "load_targets", "load_budget",
           "region_expenses", "RESULTS_TARGETS", "RESULTS_BUDGET", "RESULTS_REGIONS"]


def write_atomic(path: Path, data: str | bytes) -> Path:
    """
    Write a file so that readers see the old or the new content, never a partial one.

    The data goes to a temporary file in the same folder, then ``os.replace``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # an ordinary file, readable like any other report
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def completion_marker(run_dir: str | Path, region: str, notebook: str) -> Path:
    """Where a notebook's final cell records that it ran to the end."""
    return Path(run_dir) / "regions" / region / f".{notebook}.complete"


def mark_complete(run_dir: str | Path | None, region: str, notebook: str) -> Path | None:
    """
    Record that a notebook reached its last cell (called by that cell).

    The batch deletes the marker before execution and counts a region as succeeded
    only if the marker exists afterwards: papermill's metadata says "completed" even
    after a kernel death. With ``run_dir=None`` (interactive use) nothing is written.
    """
    if run_dir is None:
        return None
    marker = completion_marker(run_dir, region, notebook)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"region": region, "notebook": notebook}), encoding="utf-8")
    return marker


RESULTS_BUDGET = "budget.parquet"


RESULTS_REGIONS = "budget_regions.parquet"


def load_budget(run_dir) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The run's budget table, regions and methods (written by the batch before 30_build_budget runs)."""
    res = Path(run_dir) / "results"
    path = res / RESULTS_BUDGET
    if not path.exists():
        raise ParamsError(f"{path}: no budget in this run{step_failure(run_dir, 'budget')}; the batch writes it "
                          "before 30_build_budget runs")
    return (pd.read_parquet(path), pd.read_parquet(res / RESULTS_REGIONS),
            pd.read_parquet(res / "budget_methods.parquet"))


def region_expenses(run_dir, region: str) -> float | None:
    """
    The region's expense budget in the run, or None when the run has no budget for it.

    The targets report prices its profit target with it (:func:`planlib.targets.region_kinds`);
    None (no run folder, the budget step not run or failed, a region outside the plan) keeps
    last year's expense ratio there.
    """
    if run_dir is None:
        return None
    path = Path(run_dir) / "results" / RESULTS_REGIONS
    if not path.exists():
        return None
    rows = pd.read_parquet(path, columns=["region_id", "budget"])
    hit = rows.loc[rows["region_id"].astype(str) == str(region), "budget"]
    return float(hit.iloc[0]) if len(hit) and np.isfinite(hit.iloc[0]) else None


def step_failure(run_dir, step: str) -> str:
    """', because the <step> step failed: <error>' from the run's manifest, or ''."""
    import json

    try:
        manifest = json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    for s in manifest.get("plan_steps", []):
        if s.get("step") == step and s.get("status") == "failed" and s.get("error"):
            e = s["error"]
            return f", because the plan's {step} step failed: {e.get('ename', '')}: {e.get('evalue', '')}"
    return ""


RESULTS_TARGETS = "targets.parquet"


def load_targets(run_dir) -> pd.DataFrame:
    """Read a run's ``results/targets.parquet`` (written by the batch before the notebooks)."""
    from pathlib import Path

    path = Path(run_dir) / "results" / RESULTS_TARGETS
    if not path.exists():
        

        raise ParamsError(f"{path}: no targets in this run{step_failure(run_dir, 'targets')}; the batch writes them "
                          "before the notebooks run")
    return pd.read_parquet(path)
