"""
How long do the plan-wide steps (the quality check, the targets and the budget, computed once per run) take?

Usage:
    python benchmarks/bench_plan_steps.py [PLAN.yaml] [--profile DIR] [--out DIR] [--cache DIR]
    # default benchmarks/national.yaml (the demo plan on data/national.duckdb)

Runs the plan-wide steps exactly as ``planlib run`` does (``planlib.run.steps.run_step``:
the archive opened for the step, warnings recorded, ``results/*.parquet``, the reports'
copies by region and the plan's workbooks written, on threads as the steps write them) into
a scratch run folder, one after the other in this process (the quality check first:
``steps.findings_step``, as a run with the review notebook has it), and prints
per step the wall-clock and CPU seconds (CPU above wall: DuckDB ran on several cores; on a
machine shared with others the wall clock swings with their load, the CPU time much less),
split into computing (``targets.plan_targets``, ``budget.plan_budget``) and writing (parquet
and the Excel workbook), and the peak RSS after each. ``--profile DIR`` also writes a cProfile
of each step (``DIR/targets.prof``, ``DIR/budget.prof``; read with ``python -m pstats``), timed
in CPU seconds (``time.process_time``: on a shared machine wall-clock profiles charge other
processes' load to whatever ran);
``--out DIR`` keeps the run folder (``DIR/results/*.parquet``, to compare two versions with
``tools/compare_results.py``). ``--cache DIR`` keeps the targets step's Holt-Winters fits
and its three big archive reads (``targets.readcache``: the allocation's history, every
region's months, the root's economics) in DIR as ``planlib run`` keeps them in
``runs/<plan_id>/.cache`` (``plan_targets(cache_dir=)``), and the budget step's history read
(``plan_budget(cache_dir=)``), and the findings step's check (``findings_step(cache_dir=)``): the first run fits, reads and writes
them, a second run with the same DIR on the same archive reads them back (a rerun, the
issue's case: an assumption changed, the archive as it was). What was measured is printed:
how many of the step's fits were read back from DIR, and how often the queries behind the
kept reads ran (counted in this process; 0: read back).
It then times the targets step's Holt-Winters fits both ways in the same process: the
batched ``fit_annual_many`` the step ran (all its series, timed inside the step; on a rerun
that is the reading back, not a fit) against ``fit_annual`` one series at a time on a sample
of the same series (``--hw-sample N``, default 300; 0: every series), each sample also fitted
batched, with the ratio and a check that both give the same numbers to the last bit. The
per-series total for all series is the sample's time scaled up (labelled so).
Goal (issue 14): each step under 5 s on the national archive.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import resource
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np
import scipy.optimize  # noqa: F401  (the response fit's library, loaded at its first fit: loaded here, as a long-lived process has it, so the step's time is its work, not an import)

from planlib import budget, targets
from planlib.archive.store import load_tree
from planlib.params import load_plan
from planlib.archive.sales_checks import SalesChecks
from planlib.run import steps
from planlib.run.steps import run_step, write_budget, write_report_budget, write_report_targets, write_targets
from planlib.archive.queries import targets as target_queries
from planlib.targets import holtwinters, holtwinters_many

#: The queries behind the targets step's kept reads (``targets.readcache``), counted when they run.
KEPT_READ_QUERIES = ("children_monthly_volume", "region_sales_figures", "last_year_allocation_sales",
                     "first_year_allocation_sales")


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
    prof = cProfile.Profile(time.process_time) if profile_dir else None
    t, c = time.perf_counter(), time.process_time()
    if prof:
        prof.enable()
    step = run_step(name, plan, run_dir, compute)
    if prof:
        prof.disable()
        prof.dump_stats(str(profile_dir / f"{name}.prof"))
    return step, time.perf_counter() - t, time.process_time() - c


class QuerySpy:
    """Count how often the queries behind the targets step's kept reads run (0 on a rerun: read back)."""

    def __init__(self):
        self.runs = {name: 0 for name in KEPT_READ_QUERIES}
        self.originals = {name: getattr(target_queries, name) for name in KEPT_READ_QUERIES}
        for name, fn in self.originals.items():
            @functools.wraps(fn)  # the same name and module: the reads' keys are planlib run's
            def counted(*args, _fn=fn, _name=name, **kwargs):
                self.runs[_name] += 1
                return _fn(*args, **kwargs)

            setattr(target_queries, name, counted)

    def restore(self):
        for name, fn in self.originals.items():
            setattr(target_queries, name, fn)


class ChecksSpy:
    """Count the archive checks the findings step runs (0 on a rerun: the kept check read back)."""

    def __init__(self):
        self.runs = 0
        self.original = SalesChecks.run

        def counted(checker, _fn=self.original):
            self.runs += 1
            return _fn(checker)

        SalesChecks.run = counted

    def restore(self):
        SalesChecks.run = self.original


class FitSpy:
    """Record the series the targets step fits batched (and the batch's wall and CPU seconds)."""

    def __init__(self, state: dict):
        import planlib.targets.baseline  # noqa: F401  (the module, not the function targets exports)

        self.module = sys.modules["planlib.targets.baseline"]
        self.original = self.module.fit_annual_many
        state["hw"] = []

        def recording(series, horizons, **kwargs):
            cache = kwargs.get("cache")  # kept already: this call reads it back instead of fitting
            kept = cache is not None and (Path(cache) / f"holtwinters-{holtwinters_many.fits_key(series, horizons)}.json"
                                          ).exists()
            t, c = time.perf_counter(), time.process_time()
            out = self.original(series, horizons, **kwargs)
            state["hw"].append((list(series), list(horizons), time.perf_counter() - t, time.process_time() - c, kept))
            return out

        self.module.fit_annual_many = recording

    def restore(self):
        self.module.fit_annual_many = self.original


def compare_fits(state: dict, sample: int) -> None:
    """The step's batched fits against fit_annual one series at a time, on the same series, in this process."""
    series = [s for call in state["hw"] for s in call[0]]
    horizons = [h for call in state["hw"] for h in call[1]]
    if not series:
        print("no Holt-Winters fits in the targets step")
        return
    step_wall, step_cpu = sum(c[2] for c in state["hw"]), sum(c[3] for c in state["hw"])
    kept = sum(len(c[0]) for c in state["hw"] if c[4])
    take = np.arange(len(series))
    if 0 < sample < len(series):
        take = np.random.default_rng(0).choice(len(series), sample, replace=False)
    ss, hs = [series[k] for k in take], [horizons[k] for k in take]
    t, c = time.perf_counter(), time.process_time()
    batched = holtwinters_many.fit_annual_many(ss, hs)
    b_wall, b_cpu = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    alone = [holtwinters.fit_annual(s, h) for s, h in zip(ss, hs)]
    a_wall, a_cpu = time.perf_counter() - t, time.process_time() - c
    same = sum(a == b for a, b in zip(alone, batched))
    scale = len(series) / len(ss)
    how = ("all read back from the cache, none fitted" if kept == len(series) else
           "fitted batched" if not kept else f"{kept:,} read back from the cache, the others fitted batched")
    print(f"Holt-Winters fits: {len(series):,} series in the targets step, {how}: {step_wall:.2f} s wall, "
          f"{step_cpu:.2f} s CPU")
    print(f"  same {len(ss):,} series, same process: one at a time {a_wall:.2f} s wall / {a_cpu:.2f} s CPU, "
          f"batched {b_wall:.2f} s wall / {b_cpu:.2f} s CPU: {a_cpu / max(b_cpu, 1e-9):.1f}x less CPU, "
          f"{a_wall / max(b_wall, 1e-9):.1f}x less wall; identical results: {same}/{len(ss)}")
    if scale > 1 and not kept:
        print(f"  one at a time for all {len(series):,} (the sample scaled up x{scale:.1f}): "
              f"~{a_cpu * scale:.0f} s CPU against the step's batched {step_cpu:.1f} s")
    elif scale > 1:
        print(f"  one at a time for all {len(series):,} (the sample scaled up x{scale:.1f}): ~{a_cpu * scale:.0f} s CPU "
              "(this run read the step's fits back: no batched fit of them all to set against it)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    ap.add_argument("plan", nargs="?", default=str(ROOT / "benchmarks" / "national.yaml"))
    ap.add_argument("--profile", type=Path, default=None, help="write a cProfile of each step into this folder")
    ap.add_argument("--out", type=Path, default=None, help="keep the run folder here (results/*.parquet)")
    ap.add_argument("--cache", type=Path, default=None,
                    help="keep the Holt-Winters fits in this folder (run twice: the second run reads them)")
    ap.add_argument("--hw-sample", type=int, default=300,
                    help="series fitted one at a time against the batch (0: all of them; default 300)")
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
    fits = FitSpy(state)
    queries_run = QuerySpy()

    def write_targets_as_run(pt, con):
        # as steps.plan_steps writes them with the budget following: the reports' copies on a thread beside
        # the step's own table; the targets workbook is written by the budget step, with the budget's
        with ThreadPoolExecutor(max_workers=1) as pool:
            report = pool.submit(write_report_targets, pt, plan, tree, con, run_dir)
            written = write_targets(pt, run_dir, plan_id=plan.plan_id, names=names, workbook=False)
            report.result()
        return written

    def write_budget_as_run(pb):
        # as steps.budget_step writes them: the reports' copies on a thread beside the tables and both workbooks
        with ThreadPoolExecutor(max_workers=1) as pool:
            report = pool.submit(write_report_budget, pb, run_dir)
            written = write_budget(pb, run_dir, plan_id=plan.plan_id, names=names, targets=state["pt"].table)
            report.result()
        return written

    def set_targets(con, step):
        state["pt"] = clock.section("targets: plan_targets", targets.plan_targets, plan, tree, con,
                                    cache_dir=args.cache)
        return clock.section("targets: write", write_targets_as_run, state["pt"], con)

    def price(con, step):
        region_params, _ = clock.section("budget: region_budget_params", budget.region_budget_params, plan, tree)
        pb = clock.section("budget: plan_budget", budget.plan_budget, plan, tree, con, state["pt"].table,
                           region_params=region_params, cache_dir=args.cache)
        return clock.section("budget: write", write_budget_as_run, pb)

    with tempfile.TemporaryDirectory(prefix="bench_plan_steps-") as tmp:
        run_dir = args.out or Path(tmp)
        run_dir.mkdir(parents=True, exist_ok=True)
        rows = []
        checks = ChecksSpy()
        t, c = time.perf_counter(), time.process_time()
        step = steps.findings_step(plan, tree, run_dir, cache_dir=args.cache)
        if step["status"] != "succeeded":
            print(f"findings step failed: {step['error']}")
            return
        rows.append(("findings", time.perf_counter() - t, time.process_time() - c, peak_rss_mb()))
        checks.restore()
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
    print(f"this run of the findings step: {'checked the archive' if checks.runs else 'read back the kept check'} "
          f"({checks.runs} check{'s' if checks.runs != 1 else ''} run)")
    print(f"targets table {n_targets:,} rows")
    n_fits, n_kept = sum(len(c[0]) for c in state["hw"]), sum(len(c[0]) for c in state["hw"] if c[4])
    ran = sum(queries_run.runs.values())
    fits_how = "fits cached" if n_kept == n_fits else "fits fitted" if not n_kept else "fits partly cached"
    reads_how = "reads cached" if not ran else "reads from the archive"
    kind = ("rerun: fits and reads cached" if fits_how == "fits cached" and not ran else
            f"{fits_how}, {reads_how}" + (" (kept in --cache for a rerun)" if args.cache else " (no --cache)"))
    print(f"this run of the targets step: {kind} ({n_kept:,} of {n_fits:,} fits read back; queries behind the kept "
          f"reads run: {', '.join(f'{k} {v}' for k, v in queries_run.runs.items())})")
    queries_run.restore()
    compare_fits(state, args.hw_sample)
    fits.restore()
    if args.profile:
        print(f"profiles: {args.profile}/targets.prof, {args.profile}/budget.prof")


if __name__ == "__main__":
    main()
