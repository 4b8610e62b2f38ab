"""
A run's schedule: its tasks in waves, children before parents, heavy regions alone.

The batch (:mod:`planlib.run.batch`) builds each wave (a level's tasks, by depth) and hands it
here: the tasks a failed plan-wide step blocks are taken out (:func:`blocked_tasks`), and the
rest reach the executor deepest wave first, each wave's light tasks at once and then each heavy
region's task alone (:func:`heavy_regions`, :func:`wave_groups`, :func:`run_waves`).

Public functions: heavy_regions, wave_groups, run_waves, blocked_tasks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from planlib.errors import RunError
from planlib.run import steps, task, track

__all__ = [
    "HEAVY_COUNTIES",
    "blocked_tasks",
    "heavy_regions",
    "run_waves",
    "wave_groups",
]

#: A region whose subtree holds at least this many counties is heavy: its notebooks run one at a
#: time while nothing else runs, each on a kernel dropped after it (:func:`heavy_regions`). The
#: national HQ (2,800 counties, 15 M sales rows) is one: its review's kernel reaches 2.4-2.9 GB,
#: its budget's 1.7 GB, two at once 5.0 GB with the run and its workers; its provinces (up to
#: 136 counties) and the whole demo (42) are not.
HEAVY_COUNTIES = 1000


def heavy_regions(tree, regions: Sequence[str], *, counties: int | None = None) -> frozenset[str]:
    """
    The regions of ``regions`` whose notebooks run alone: those whose subtree holds at least ``counties`` counties.

    Parameters
    ----------
    tree : RegionTree
        The archive's region tree.
    regions : sequence of str
        The regions a run covers.
    counties : int, optional
        The fewest counties (itself included) a heavy region's subtree holds; default :data:`HEAVY_COUNTIES`.

    Notes
    -----
    A notebook's memory grows with the rows it reads, the sales of its region's subtree, which
    an archive spreads over its counties; the tree's counties are known before anything is read,
    so they stand for the rows. With :math:`K(r)` the counties in the subtree of :math:`r`,

    .. math:: r \\text{ heavy} \\iff K(r) \\ge \\text{counties}.

    Examples
    --------
    >>> import pandas as pd
    >>> from planlib.hierarchy import RegionTree
    >>> tree = RegionTree(pd.DataFrame({"region_id": ["HQ", "P1", "K1", "K2"], "name": ["总部", "省", "甲", "乙"],
    ...                                 "level": ["hq", "province", "county", "county"],
    ...                                 "parent_id": [None, "HQ", "P1", "P1"]}))
    >>> sorted(heavy_regions(tree, ["K1", "P1", "HQ"], counties=2))
    ['HQ', 'P1']
    """
    least = HEAVY_COUNTIES if counties is None else counties
    held = dict.fromkeys(regions, 0)
    for r in tree.at_level("county"):
        for a in (r, *tree.ancestors(r)):
            if a in held:
                held[a] += 1
    return frozenset(r for r, k in held.items() if k >= least)


def wave_groups(tasks: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """
    A wave's tasks as the executor receives them: the light ones at once, then each heavy one alone.

    A task is heavy when its ``heavy`` key is true (its region is one of :func:`heavy_regions`);
    each group keeps the wave's order, and an executor finishes a group before it gets the next.
    """
    light = [t for t in tasks if not t.get("heavy")]
    return ([light] if light else []) + [[t] for t in tasks if t.get("heavy")]


def run_waves(pool, waves: dict[int, list[dict[str, Any]]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """
    Run ``waves`` (depth -> tasks) on ``pool``, deepest first (children before parents), each in :func:`wave_groups`.

    Yields ``(task, manifest entry)`` as each task finishes. A heavy task runs while nothing else
    does: its group is the only one submitted, and the one before it has finished (``run_wave``
    yields a group's every task before this asks for the next); the executor is told so
    (``alone=True``), and lets the other workers' idle kernels go first.
    """
    for depth in sorted(waves, reverse=True):
        for group in wave_groups(waves[depth]):
            yield from pool.run_wave(group, alone=any(t.get("heavy") for t in group))


def blocked_tasks(plan_steps: list[dict[str, Any]], waves: dict[int, list[dict[str, Any]]]):
    """
    Take out of ``waves`` the tasks whose notebook needs a plan-wide step that failed.

    Their notebooks would each start a kernel only to fail on the missing results; instead
    each gets a failed entry naming the step and its error (ename ``PlanStepFailed``),
    and the step's error is said once (the manifest's ``plan_steps``, the CLI's summary).

    Yields
    ------
    (task, entry)
        Each removed task with its manifest entry.
    """
    failed = {s["step"]: s for s in plan_steps if s.get("status") == "failed"}
    if not failed:
        return
    needs = {"targets": steps.NEEDS_TARGETS, "budget": steps.NEEDS_BUDGET, "tracking": track.TRACKING_NOTEBOOKS}
    for depth in list(waves):
        kept = []
        for t in waves[depth]:
            step = next((name for name in needs if name in failed and t["notebook"] in needs[name]), None)
            if step is None:
                kept.append(t)
                continue
            err = failed[step].get("error") or {}
            why = f"the plan's {step} step failed: {err.get('ename')}: {err.get('evalue')}"[:2000]
            entry = task.failed_entry(t, RunError(why))
            entry.update(seconds=0.0, error={"cell": None, "ename": "PlanStepFailed", "evalue": why})
            yield t, entry
        waves[depth] = kept
