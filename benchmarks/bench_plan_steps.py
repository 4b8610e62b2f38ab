"""
How long do the plan-wide steps (the targets and the budget, computed once per run) take?

Usage:
    python benchmarks/bench_plan_steps.py [PLAN.yaml] [--profile DIR] [--out DIR]
    # default benchmarks/national.yaml (the demo plan on data/national.duckdb)

Runs the two plan-wide steps exactly as ``planlib run`` does (``planlib.run.steps.run_step``:
the archive opened for the step, warnings recorded, ``results/*.parquet`` and the plan's
workbook written) into a scratch run folder, one after the other in this process, and prints
per step the wall-clock and CPU seconds (CPU above wall: DuckDB ran on several cores; on a
machine shared with others the wall clock swings with their load, the CPU time much less),
split into computing (``targets.plan_targets``, ``budget.plan_budget``) and writing (parquet
and the Excel workbook), and the peak RSS after each. ``--profile DIR`` also writes a cProfile
of each step (``DIR/targets.prof``, ``DIR/budget.prof``; read with ``python -m pstats``);
``--out DIR`` keeps the run folder (``DIR/results/*.parquet``, to compare two versions with
``tools/compare_results.py``).
Goal (issue 14): each step under 5 s on the national archive.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planlib import budget, targets
from planlib.archive.store import load_tree
from planlib.params import load_plan
from planlib.run.steps import run_step, write_budget, write_targets


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Clock:
    """Wall and CPU seconds of named sections."""

    def __init__(self):
        self.parts: dict[str, tuple[float, float]] = {}

    def section(self, name, fn, *args, **kwargs):
        t, c = time.perf_counter(), time.process_time()
        out = fn(*args, **kwargs)
        self.parts[name] = (time.perf_counter() - t, time.process_time() - c)
        return out


def timed_step(name: str, plan, run_dir: Path, compute, profile_dir: Path | None) -> tuple[dict, float, float]:
    prof = cProfile.Profile() if profile_dir else None
    t, c = time.perf_counter(), time.process_time()
    if prof:
        prof.enable()
    step = run_step(name, plan, run_dir, compute)
    if prof:
        prof.disable()
        prof.dump_stats(str(profile_dir / f"{name}.prof"))
    return step, time.perf_counter() - t, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    ap.add_argument("plan", nargs="?", default=str(ROOT / "benchmarks" / "national.yaml"))
    ap.add_argument("--profile", type=Path, default=None, help="write a cProfile of each step into this folder")
    ap.add_argument("--out", type=Path, default=None, help="keep the run folder here (results/*.parquet)")
    args = ap.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    plan = load_plan(args.plan)
    tree = load_tree(plan.archive)
    names = {r: tree.name(r) for r in tree.subtree(plan.scope.root)}
    print(f"plan {args.plan}: archive {plan.archive}, root {plan.scope.root}, "
          f"{len(tree.at_level('county')):,} counties")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")

    clock = Clock()
    state = {}

    def set_targets(con, step):
        state["pt"] = clock.section("targets: plan_targets", targets.plan_targets, plan, tree, con)
        return clock.section("targets: write", write_targets, state["pt"], run_dir, plan_id=plan.plan_id, names=names)

    def price(con, step):
        region_params, _ = clock.section("budget: region_budget_params", budget.region_budget_params, plan, tree)
        pb = clock.section("budget: plan_budget", budget.plan_budget, plan, tree, con, state["pt"].table,
                           region_params=region_params)
        return clock.section("budget: write", write_budget, pb, run_dir, plan_id=plan.plan_id, names=names)

    with tempfile.TemporaryDirectory(prefix="bench_plan_steps-") as tmp:
        run_dir = args.out or Path(tmp)
        run_dir.mkdir(parents=True, exist_ok=True)
        rows = []
        for name, compute in (("targets", set_targets), ("budget", price)):
            step, wall, cpu = timed_step(name, plan, run_dir, compute, args.profile)
            if step["status"] != "succeeded":
                print(f"{name} step failed: {step['error']}")
                return
            rows.append((name, wall, cpu, peak_rss_mb()))
        n_targets = len(state["pt"].table)

    print(f"{'step':<30} {'wall s':>7} {'CPU s':>7}")
    for name, wall, cpu, rss in rows:
        print(f"{name + ' step':<30} {wall:7.2f} {cpu:7.2f}   peak RSS {rss:,.0f} MB   goal < 5 s")
        for part, (w, c) in clock.parts.items():
            if part.startswith(name + ":"):
                print(f"  {part:<28} {w:7.2f} {c:7.2f}")
    print(f"targets table {n_targets:,} rows")
    if args.profile:
        print(f"profiles: {args.profile}/targets.prof, {args.profile}/budget.prof")


if __name__ == "__main__":
    main()
