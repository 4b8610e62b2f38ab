"""
Read runs of one plan for a side-by-side comparison of their scenarios.

Each run's figures come from its ``results/budget_regions.parquet`` and its assumptions from
the resolved params snapshot of its top region (``regions/<id>/params.resolved.yaml``: the
run's regions are listed children before parents, so the last is the top one). The
comparison itself is :mod:`planlib.workflow.scenarios`; the page is
:mod:`planlib.present.compare`. A comparison is written to
``<runs_root>/<plan_id>/compare-<stamp>/index.html`` (a folder without a manifest: never
taken for a run).

Public names: Comparison, run_label, compare_runs, comparison_dir.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planlib import archive, params
from planlib.errors import ParamsError, PlanlibError
from planlib.run import folder
from planlib.workflow.scenarios import (
    assumption_diff,
    compare_figures,
    scenario_figures,
)

__all__ = ["Comparison", "run_label", "compare_runs", "comparison_dir"]


@dataclass(frozen=True)
class Comparison:
    """Runs side by side: their labels and folders, the figures per region, the assumptions that differ."""

    plan_id: str
    title: str
    root: str
    labels: tuple[str, ...]
    runs: tuple[Path, ...]
    figures: pd.DataFrame
    assumptions: pd.DataFrame
    names: dict[str, str] = field(default_factory=dict)


def run_label(manifest: dict, taken: set[str]) -> str:
    """A run's column title: its scenario, with the run id when another run has the same scenario."""
    label = str(manifest.get("scenario") or "base")
    return f"{label} ({manifest.get('run_id')})" if label in taken else label


def compare_runs(run_dirs: list[str | Path]) -> Comparison:
    """
    Read two or more plan runs (of one plan) and compare their figures and assumptions.

    Parameters
    ----------
    run_dirs : list of path
        Run folders whose budget step succeeded; the first is the reference.

    Raises
    ------
    ParamsError
        If fewer than two runs are given, the runs belong to different plans, or one has no
        budget (its budget step failed or did not run).
    """
    if len(run_dirs) < 2:
        raise ParamsError(f"compare: {len(run_dirs)} run given; give two or more run ids")
    manifests, figures, resolved, labels = [], {}, {}, []
    for rd in map(Path, run_dirs):
        try:
            m = folder.read_manifest(rd)
        except (OSError, ValueError):
            raise ParamsError(f"{rd}: not a run folder (no readable manifest.json)") from None
        if manifests and m.get("plan_id") != manifests[0].get("plan_id"):
            raise ParamsError(f"{rd}: a run of plan {m.get('plan_id')}, not {manifests[0].get('plan_id')}; "
                              "compare runs of one plan")
        path = folder.results_path(rd, folder.RESULTS_REGIONS)
        if not path.exists():
            raise ParamsError(f"{path}: this run has no budget{folder.step_failure(rd, 'budget')}; compare runs whose "
                              "budget step succeeded")
        label = run_label(m, set(labels))
        labels.append(label)
        manifests.append(m)
        figures[label] = scenario_figures(pd.read_parquet(path))
        top = (m.get("regions") or [None])[-1]
        snap = folder.region_dir(rd, top) / params.SNAPSHOT_NAME if top else None
        resolved[label] = params.load_snapshot(snap).resolved_dict() if snap and snap.exists() else {}
    first = manifests[0]
    names: dict[str, str] = {}
    root = figures[labels[0]]["region_id"].iloc[0] if len(figures[labels[0]]) else ""
    try:
        tree = archive.load_tree(first["archive"])
        ids = set().union(*(set(f["region_id"]) for f in figures.values()))
        names = {r: tree.name(r) for r in ids if r in tree}
        root = next((r for r in tree.ids if r in ids and (tree.parent(r) is None or tree.parent(r) not in ids)), root)
    except (OSError, PlanlibError):  # the archive moved or changed since: ids stand for names
        names = {}
    return Comparison(plan_id=str(first.get("plan_id")), title=str(first.get("title") or first.get("plan_id")),
                      root=root, labels=tuple(labels), runs=tuple(Path(r) for r in run_dirs),
                      figures=compare_figures(figures), assumptions=assumption_diff(resolved), names=names)


def comparison_dir(runs_root: str | Path, plan_id: str, *, now: dt.datetime | None = None) -> Path:
    """A new folder ``<runs_root>/<plan_id>/compare-<YYYYMMDD-HHMMSS>[-N]`` for a comparison page."""
    base = folder.plan_dir(runs_root, plan_id)
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        out = base / (f"compare-{stamp}" if n == 1 else f"compare-{stamp}-{n}")
        try:
            out.mkdir(parents=True, exist_ok=False)
            return out
        except FileExistsError:
            continue
    raise ParamsError(f"{base}: cannot create a comparison folder for {stamp}")
