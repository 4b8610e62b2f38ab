"""
The notebooks' setup: one call that resolves params the same way in JupyterLab and the batch.

The batch passes the run's resolved snapshot (``params.resolved.yaml``); interactive
use passes the plan file and resolves base -> region -> scenario with the same code,
so both give the same numbers.

Public names: :class:`Workbook`, :func:`open_workbook`, :func:`region_tree`, :func:`assumptions_table`.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from planlib import archive, params
from planlib.errors import ParamsError
from planlib.params import SNAPSHOT_NAME

__all__ = ["Workbook", "assumptions_table", "open_workbook", "region_tree"]



@dataclass(frozen=True)
class Workbook:
    """What a notebook works on: its params, the region tree, the region and the archive."""

    params: Any
    tree: Any
    region: str
    scenario: str
    run_dir: Path | None
    interactive: bool

    @property
    def archive(self) -> Path:
        return Path(self.params.archive)

    @property
    def level(self) -> str:
        return self.tree.level(self.region)

    @property
    def history(self) -> tuple[int, int]:
        """The analysis window: ``analysis.history_years`` full years before the plan year."""
        return (self.params.year - self.params.analysis.history_years, self.params.year - 1)

    def plan_params(self):
        """
        The plan as the batch resolves it for its plan-wide steps (targets, budget): no region override.

        The region's own params (:attr:`params`) carry its override file; targets and budgets
        are computed once for the whole plan, so JupyterLab recomputes them from the plan file
        exactly as the batch does. Needs the plan file (not a run's snapshot).
        """

        if not self.params.source_files:
            raise ParamsError("these params have no plan file to resolve the whole plan from")
        return params.load_plan(self.params.source_files[0], region=None, scenario=self.scenario, tree=self.tree)

    def stretches(self, regions) -> dict:
        """
        Each region's own ``targets.stretch`` (its override file merged), and under the
        ``None`` key this region's, for the children's bottom-up proposals.
        """

        out: dict = {None: float(self.params.targets.stretch)}
        folder = self.params.region_overrides
        for r in regions:
            if folder is not None and (Path(folder) / f"{r}.yaml").is_file() and self.params.source_files:
                p = params.load_plan(self.params.source_files[0], region=r, scenario=self.scenario, tree=self.tree)
                out[r] = float(p.targets.stretch)
        return out

    @property
    def title(self) -> str:
        """Region path and plan, e.g. '总部 / 山东省 · demo-2027'."""
        return f"{self.tree.path_label(self.region)} · {self.params.plan_id}"


def _file_stamp(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def region_tree(path: str | os.PathLike[str]):
    """
    The archive's region tree (:func:`planlib.archive.load_tree`), read once per process while
    the archive's file stays the same.

    Opening the archive costs a notebook ~50 ms; the tree is immutable, so every notebook a
    warm kernel runs on the same archive shares one. The key is the file itself: its resolved
    path, and the device, inode, size and modification time of it and of its write-ahead log
    (``.wal``), so a changed or replaced archive is read again.

    Raises
    ------
    DataError
        As :func:`planlib.archive.load_tree` (nothing is kept then).
    """
    resolved = Path(path).resolve()
    return _tree(str(resolved), _file_stamp(resolved), _file_stamp(resolved.with_name(resolved.name + ".wal")))


@functools.lru_cache(maxsize=4)
def _tree(path: str, stamp: tuple | None, wal: tuple | None):
    return archive.load_tree(path)


def open_workbook(
    region: str,
    scenario: str = "base",
    params_file: str | Path | None = None,
    run_dir: str | Path | None = None,
    interactive: bool = True,
) -> Workbook:
    """
    Resolve params and open the archive's region tree for one region.

    Parameters
    ----------
    region : str
        Region id from the archive.
    scenario : str, default "base"
        Scenario name (ignored when ``params_file`` is a resolved snapshot, which has it).
    params_file : path
        A plan YAML, or a run's ``params.resolved.yaml``.
    run_dir : path, optional
        The run folder (batch only).
    interactive : bool, default True
        False under the batch: no widgets.

    Raises
    ------
    ParamsError
        If no params file is given or the region is not in the archive.
    """

    if params_file is None:
        raise ParamsError("params_file: give a plan YAML (e.g. ../params/demo.yaml) or a run's params.resolved.yaml")
    path = Path(params_file)
    snapshot = path.name == SNAPSHOT_NAME
    plan = params.load_snapshot(path) if snapshot else params.load_plan(path, region=None, scenario=scenario)
    tree = region_tree(plan.archive)
    tree.check(region)
    if not snapshot:  # resolve the region's overrides the way the batch does
        plan = params.load_plan(path, region=region, scenario=scenario, tree=tree)
    return Workbook(plan, tree, region, scenario, Path(run_dir) if run_dir else None, interactive)


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for k in sorted(value):
            _flatten(f"{prefix}.{k}" if prefix else str(k), value[k], out)
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) for v in value):
        for i, v in enumerate(value):  # a list of records (milestones, activities): one row each
            out.append((f"{prefix}[{i}]", "; ".join(f"{k}: {_plain_text(v[k])}" for k in v)))
    elif isinstance(value, (list, tuple)):
        out.append((prefix, ", ".join(map(_plain_text, value)) if value else "—"))
    else:
        out.append((prefix, _plain_text(value)))


def _plain_text(value: Any) -> str:
    """A value as people write it: no '.0' on whole numbers, '—' for none."""
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{int(value)}"
    return str(value)


def assumptions_table(wb: Workbook, *, sections: tuple[str, ...] | None = None) -> pd.DataFrame:
    """
    The "Assumptions used" table: every resolved parameter as (key, value).

    Parameters
    ----------
    wb : Workbook
    sections : tuple of str, optional
        Only these top-level keys.
    """
    resolved = wb.params.resolved_dict()
    rows: list[tuple[str, str]] = []
    for key in sorted(resolved):
        if key in {"source_files"} or (sections and key not in sections):
            continue
        _flatten(key, resolved[key], rows)
    return pd.DataFrame(rows, columns=["key", "value"])
