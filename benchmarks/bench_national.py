"""
The national plan: wall time, per-notebook time by level, peak memory, the ratio to stock papermill.

Usage:
    python benchmarks/bench_national.py [--plan benchmarks/national.yaml] [--sample N] [--workers 2]
                                        [--full] [--no-stock] [--keep DIR]

By default a SAMPLE: HQ, and N provinces, cities and counties (default 2 each, spread evenly
over each level's regions in id order), run by ``planlib run`` (the batch, warm
kernels, ``--workers``) with the plan's notebooks; the plan-wide steps (findings, targets, budget) are
computed for the whole plan as in a full run. From the sample's manifest it extrapolates the
full plan, labelled as such:

    estimate = plan-wide steps + sum over levels of (regions at the level x the sample's mean
               seconds of one region's notebooks at that level) x scale / workers

where the manifest's seconds (kernel reset wait and execution) are scaled by ``scale`` =
(the sample run's wall time - its plan-wide steps) x workers / the sum of its notebook
seconds, for the exports and the scheduling (a level not sampled has no estimate). A second,
steady-state estimate leaves out each level's largest sample (when it has 5 or more: a notebook's
first use in a kernel, paid once per kernel in a full run) and takes the root's notebooks as a
fixed tail (they run last, alone): plan-wide steps + sum over the levels below the root of
(regions x trimmed mean) x scale' / workers + the root's longest notebook, scale' computed
without the root. ``--full`` runs every region instead (hours on a small machine).

Then, unless ``--no-stock``, the stock path on the first sampled county, notebook by notebook:
``papermill`` + ``jupyter nbconvert`` CLIs (benchmarks/bench_kernels.py) against the same task
on a warm kernel in this process, with the ratio and whether the HTML is byte-identical.

Like bench_kernels.py, it runs planlib and the notebooks as committed, unless ``--live``.

Peak memory: the resident memory of this process and all its descendants (the workers, their
kernels; a Dask LocalCluster's nannies and workers), summed, sampled every 0.2 s, with the peak's
parts (main, workers, kernels). Pages shared between processes (libraries) count once per
process: an upper bound of what the run takes from the machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil
from bench_kernels import NBCONVERT_CONFIG, bytecode_on, on_snapshot, stock, warm

from planlib import archive, params
from planlib.run import batch, export, kernels
from planlib.schemas import LEVEL_DEPTH


class PeakMemory:
    """
    The peak of the summed resident memory of this process and its descendants, sampled in a thread;
    and their CPU seconds (user + system: each live process's last sample, plus what finished children used),
    also by kind of process (``cpu_parts``: main, worker, kernel, other; each process's last sample, so a
    process that ended between two samples loses up to ``every`` seconds there).
    """

    def __init__(self, every: float = 0.2):
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self.parts: dict[str, int] = {}  # the peak's resident memory by kind of process
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._cpu: dict[int, float] = {}
        self._kinds: dict[int, str] = {}
        self.cpu_parts: dict[str, float] = {}
        self._start = _finished_cpu()
        self.cpu = 0.0

    def _watch(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total, parts = 0, defaultdict(int)
            for p in [me, *me.children(recursive=True)]:
                try:
                    rss = p.memory_info().rss
                    t = p.cpu_times()
                    self._cpu[p.pid] = t.user + t.system
                    kind = self._kinds.setdefault(p.pid, _kind(p, me))
                    parts[kind] += rss
                    total += rss
                except psutil.Error:
                    pass
            if total > self.peak:
                self.peak, self.parts = total, dict(parts)
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        # this process, the descendants still alive (their last sample) and the finished ones (waited for)
        me = psutil.Process()
        alive = {p.pid for p in me.children(recursive=True)}
        own = me.cpu_times()
        self.cpu = (own.user + own.system + sum(v for pid, v in self._cpu.items() if pid in alive)
                    + _finished_cpu() - self._start)
        self._cpu[me.pid] = own.user + own.system
        parts = defaultdict(float)
        for pid, seconds in self._cpu.items():
            parts[self._kinds.get(pid, "other")] += seconds
        self.cpu_parts = dict(parts)


def _kind(p: psutil.Process, me: psutil.Process) -> str:
    """main (this process), kernel (a Jupyter kernel), worker (the run's or Dask's) or other."""
    if p.pid == me.pid:
        return "main"
    cmd = " ".join(p.cmdline())
    if "ipykernel" in cmd or "IPKernelApp" in cmd:
        return "kernel"
    if "resource_tracker" in cmd:
        return "other"
    return "worker" if "multiprocessing" in cmd or "distributed" in cmd or "dask" in cmd else "other"


def _finished_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


LEVELS = ("hq", "province", "city", "county")


def sample_regions(tree, n: int, levels=LEVELS) -> list[str]:
    """
    HQ and ``n`` provinces, cities and counties of ``levels``, each level's spread evenly over its
    regions in id order (the first, the last and evenly between; all when n covers them), so a
    sample's counties come from every part of the country, not one province.
    """
    chosen = []
    for level in levels:
        found = tree.at_level(level)
        if level == "hq" or len(found) <= n:
            chosen += found[:1] if level == "hq" else found
            continue
        picks = sorted({round(i * (len(found) - 1) / max(n - 1, 1)) for i in range(n)})
        chosen += [found[i] for i in picks]
    return chosen


def trimmed_mean(seconds: list[float]) -> float:
    """The mean without the largest value when there are at least 5 (a notebook's first use in a kernel: its lazy imports and caches, paid once per kernel in a full run)."""
    if len(seconds) < 5:
        return statistics.mean(seconds)
    return (sum(seconds) - max(seconds)) / (len(seconds) - 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--plan", default=str(ROOT / "benchmarks" / "national.yaml"))
    ap.add_argument("--sample", type=int, default=2, help="regions per level (besides HQ)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--full", action="store_true", help="every region of the plan, no extrapolation")
    ap.add_argument("--no-stock", action="store_true", help="skip the side-by-side with stock papermill")
    ap.add_argument("--keep", default=None, help="keep the run in this folder")
    ap.add_argument("--levels", nargs="*", default=list(LEVELS), choices=LEVELS,
                    help="the levels to sample (default all; the national HQ's review alone holds over 7 GB)")
    ap.add_argument("--live", action="store_true",
                    help="run the checkout's planlib, not the committed one (its edits restart the warm kernels)")
    args = ap.parse_args(argv)
    note = bytecode_on()
    code = on_snapshot(argv, __file__)
    if code is not None:
        return code
    plan = params.load_plan(args.plan)
    tree = archive.load_tree(plan.archive)
    in_scope = [r for r in tree.subtree(plan.scope.root) if tree.level(r) in plan.scope.levels]
    counts = defaultdict(int)
    for r in in_scope:
        counts[tree.level(r)] += 1
    regions = None if args.full else sample_regions(tree, args.sample, args.levels)
    label = "FULL run" if args.full else f"SAMPLE of {len(regions)} regions, extrapolated"
    print(f"{Path(args.plan).name}: {sum(counts.values())} regions in scope "
          f"({', '.join(f'{counts[lv]} {lv}' for lv in sorted(counts, key=LEVEL_DEPTH.get))}); "
          f"{', '.join(plan.notebooks)}; {args.workers} workers; {label}")
    with tempfile.TemporaryDirectory(prefix="bench-national-") as tmp:
        work = Path(args.keep) if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        with PeakMemory() as memory:
            run = batch.run_plan(args.plan, regions=regions, runs_root=work / "runs", run_id="bench", progress=True,
                                 workers=args.workers)
        wall = time.perf_counter() - t0
        entries = run.manifest["entries"]
        ok = sum(e["status"] == "succeeded" for e in entries)
        steps = {s["step"]: s.get("seconds") or 0.0 for s in run.manifest.get("plan_steps", [])}
        print(f"\nrun: {wall:.1f} s wall, {memory.cpu:.1f} s CPU (process tree, approximate), {ok}/{len(entries)} "
              f"reports succeeded, peak memory {memory.peak / 2**30:.2f} GB "
              f"({', '.join(f'{k} {v / 2**30:.2f}' for k, v in sorted(memory.parts.items()))}); plan-wide steps: "
              f"{', '.join(f'{k} {v:.1f} s' for k, v in steps.items()) or 'none'}")
        print(f"CPU by kind of process (each one's last sample; main includes the plan-wide steps): "
              f"{', '.join(f'{k} {v:.1f} s' for k, v in sorted(memory.cpu_parts.items()))}")
        for e in entries:
            if e["status"] != "succeeded":
                print(f"  FAILED {e['region_id']} {e['notebook']}: {e['error']}")
        per = defaultdict(list)  # (level, notebook) -> seconds (execution; the export adds ~0.3 s)
        for e in entries:
            if e["status"] == "succeeded":
                per[(tree.level(e["region_id"]), e["notebook"])].append(e["seconds"])
        print(f"\n{'level':<10} {'notebook':<18} {'n':>3} {'mean s':>7} {'max s':>7}")
        for (level, nb), secs in sorted(per.items(), key=lambda kv: (LEVEL_DEPTH[kv[0][0]], kv[0][1])):
            print(f"{level:<10} {nb:<18} {len(secs):>3} {statistics.mean(secs):7.2f} {max(secs):7.2f}")
        if not args.full:
            region_seconds = defaultdict(float)  # level -> mean seconds of one region's notebooks
            for (level, _), secs in per.items():
                region_seconds[level] += statistics.mean(secs)
            # the manifest's seconds leave out the export and the scheduling: scale them to the run's wall time
            run_seconds = sum(e["seconds"] or 0.0 for e in entries)
            scale = max((wall - sum(steps.values())) * args.workers / run_seconds, 1.0) if run_seconds else 1.0
            notebooks = sum(counts[lv] * region_seconds[lv] for lv in counts if lv in region_seconds) * scale
            missing = [lv for lv in counts if lv not in region_seconds]
            estimate = sum(steps.values()) + notebooks / args.workers
            print(f"\nEXTRAPOLATED full national run (sample means x regions per level, {args.workers} workers): "
                  f"{estimate / 60:.1f} min = plan-wide steps {sum(steps.values()):.0f} s + notebooks "
                  f"{notebooks / args.workers / 60:.1f} min (notebook seconds x {scale:.2f}: export and scheduling)"
                  + (f"; levels not sampled: {missing}" if missing else ""))
            # the same with each level's first-use outlier left out, and the scale without the root's tail (its
            # notebooks run last, the other workers idle meanwhile: a fixed cost of any run, not one per region)
            root_level = tree.level(plan.scope.root)
            steady = defaultdict(float)
            for (level, _), secs in per.items():
                steady[level] += trimmed_mean(secs)
            tail = max((max(secs) for (level, _), secs in per.items() if level == root_level), default=0.0)
            root_seconds = sum(sum(secs) for (level, _), secs in per.items() if level == root_level)
            below = run_seconds - root_seconds
            scale2 = max((wall - sum(steps.values()) - tail) * args.workers / below, 1.0) if below > 0 else scale
            rest = sum(counts[lv] * steady[lv] for lv in counts if lv in steady and lv != root_level) * scale2
            estimate2 = sum(steps.values()) + rest / args.workers + tail
            print(f"STEADY-STATE estimate (each level's largest sample left out when it has 5 or more: a notebook's "
                  f"first use in a kernel; the root's notebooks as the sample ran them, {tail:.0f} s): "
                  f"{estimate2 / 60:.1f} min = plan-wide steps {sum(steps.values()):.0f} s + regions below the root "
                  f"{rest / args.workers / 60:.1f} min (x {scale2:.2f}: export and scheduling) + the root {tail:.0f} s")
            # on a loaded machine wall time says little: the CPU a report cost, and what 2 idle cores would take
            per = memory.cpu / max(len(entries), 1)
            print(f"CPU per report (the sample's process-tree CPU / its reports, plan-wide steps included, so an "
                  f"upper bound): {per:.1f} s; the plan's {sum(counts.values()) * len(plan.notebooks):,} reports at "
                  f"that CPU on {args.workers} idle cores: {per * sum(counts.values()) * len(plan.notebooks) / args.workers / 60:.0f} min "
                  f"(the goal, 15 min, needs {15 * 60 * args.workers / (sum(counts.values()) * len(plan.notebooks)):.2f} s a report)")
        if not args.no_stock:
            county = next(r for r in (regions or in_scope) if tree.level(r) == "county")
            config = work / "planlib_nbconvert_config.py"
            config.write_text(NBCONVERT_CONFIG.format(folder=str(work)), encoding="utf-8")
            (work / export.TEMPLATE_FILE).write_text(export.OFFLINE_TEMPLATE, encoding="utf-8")
            out = work / "stock"
            out.mkdir(exist_ok=True)
            warm(run.run_dir, county, plan.notebooks[0])  # the kernel's start and imports, not counted
            stock(run.run_dir, county, plan.notebooks[0], out, config)  # the CLIs' bytecode, not counted
            print(note)
            print(f"\nstock papermill vs warm kernel, {county} (seconds; stock = papermill CLI + nbconvert CLI):")
            for nb in plan.notebooks:
                s_exec, s_conv, s_html = stock(run.run_dir, county, nb, out, config)
                w_wall, entry = warm(run.run_dir, county, nb)
                same = (run.run_dir / entry["html"]).read_bytes() == s_html.read_bytes() if entry["html"] else False
                print(f"  {nb:<18} stock {s_exec + s_conv:6.1f}  warm {w_wall:6.1f}  ratio "
                      f"{(s_exec + s_conv) / w_wall:5.1f}  HTML identical: {'yes' if same else 'no'}")
            kernels.shutdown_all()
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0 if ok == len(entries) else 1


if __name__ == "__main__":
    sys.exit(main())
