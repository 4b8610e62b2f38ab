"""
The plan-wide steps: what is computed once for the whole plan before the notebooks run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from planlib.run import export
from planlib.run.export import export_budget_excel
from planlib.run.folder import (
    RESULTS_BUDGET,
    RESULTS_REGIONS,
    RESULTS_TARGETS,
)

__all__ = ["write_targets", "write_budget"]


def write_targets(pt, run_dir, *, plan_id: str, names: dict[str, str]) -> list:
    """
    Write ``results/targets.parquet`` and ``<plan_id>-targets.xlsx`` into a run folder, atomically.

    Returns the paths written.
    """
    from pathlib import Path


    run_dir = Path(run_dir)
    results = run_dir / "results"
    results.mkdir(parents=True, exist_ok=True)
    target = results / RESULTS_TARGETS
    fd, tmp = tempfile.mkstemp(prefix=".targets.", suffix=".parquet", dir=results)
    os.close(fd)
    try:
        pt.table.to_parquet(tmp, index=False)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    excel = export.export_targets_excel(pt.table, run_dir / f"{plan_id}-targets.xlsx", names=names)
    return [target, excel]


def write_budget(pb, run_dir, *, plan_id: str, names: dict) -> list:
    """Write results/budget.parquet, results/budget_regions.parquet and the budget workbook, atomically."""

    run_dir = Path(run_dir)
    res = run_dir / "results"
    res.mkdir(parents=True, exist_ok=True)
    out = []
    for name, frame in ((RESULTS_BUDGET, pb.table), (RESULTS_REGIONS, pb.regions),
                        ("budget_methods.parquet", pb.methods)):
        path = res / name
        tmp = path.with_suffix(".tmp")
        frame.to_parquet(tmp, index=False)
        tmp.replace(path)
        out.append(path)
    # the budget's sheets go into the plan's workbook beside the targets' sheets
    xlsx = run_dir / f"{plan_id}-targets.xlsx"
    out.append(export_budget_excel(pb, xlsx, names=names))
    return out
