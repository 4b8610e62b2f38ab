"""
The same notebook for the same region: stock papermill against planlib's warm path, side by side.

Usage:
    python benchmarks/bench_kernels.py [--plan PLAN] [--regions ID ...] [--counties N] [--notebooks NB ...]
                                       [--keep DIR] [--batch N]

First a batch run of the chosen regions (default: the first 2 counties of params/demo.yaml)
writes a run folder with the plan-wide results and the params snapshots the notebooks need.
Then, for each region and notebook, in turn:

- stock: ``papermill`` (CLI: a fresh kernel, imports, execute) then ``jupyter nbconvert
  --to html`` (CLI) with planlib's report configuration (the offline template,
  :func:`planlib.run.export.html_config`), each in its own process, as one runs them by hand;
- warm: :func:`planlib.run.task.execute_task` in this process with its warm kernel (reset,
  execute through papermill, export in-process), the kernel kept across regions and
  notebooks; the kernel's start and imports happen once, before the timings, and are
  printed apart, as does one run of each notebook for another county: in a batch a kernel
  serves region after region, so all but its first region find the caches a notebook fills
  on its first run (text layout, glyphs, lazily loaded modules) already filled, and the
  figures it drew from the same inputs (:mod:`planlib.present.drawn`: 30_build_budget's
  plan-wide response curves) already drawn.

Prints each pair's seconds and ratio (stock / warm), whether the two HTML reports are
byte-identical (when not, each path runs once more; "var" marks a notebook whose page changed
between two runs of the same path: it does not repeat itself, whatever the kernel), where the warm notebook's time goes (its cells, papermill around them, the
export) and its slowest cells; then the medians and totals. With ``--batch N``, instead, the
batch itself on the first N counties twice, 2 workers: every notebook in a fresh kernel
(``PLANLIB_KERNELS=cold``), then on warm kernels, with both wall times. A report holds no timestamp
(papermill's are in the .ipynb metadata only), so the HTML is compared as bytes.

Both paths run planlib and the notebooks as committed (``git archive HEAD``, unpacked into a
temporary folder on ``PYTHONPATH``, before the editable install), unless ``--live``: a warm kernel is replaced
when planlib's source changes (:func:`planlib.run.kernels.code_stamp`), and on a checkout
being edited every notebook would otherwise get a fresh kernel. Besides wall seconds it
prints CPU seconds (user + system; stock: the CLIs and their kernels, warm: this process and
its kernels), less noisy than wall time on a loaded machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Set (to a folder holding a copy of planlib and notebooks) when the benchmark runs on a snapshot.
SOURCE_VARIABLE = "PLANLIB_BENCH_SOURCE"
sys.path.insert(0, os.environ.get(SOURCE_VARIABLE) or str(ROOT))

import psutil

from planlib import archive, params
from planlib.run import batch, export, folder, kernels, task

BIN = Path(sys.executable).parent

NBCONVERT_CONFIG = """\
# planlib's report configuration for `jupyter nbconvert --config` (the stock path of bench_kernels.py);
# the offline template is written beside this file
from planlib.run.export import html_config
c.merge(html_config())
c.TemplateExporter.extra_template_paths = [{folder!r}]
"""


def on_snapshot(argv: list[str] | None, script: str = __file__) -> int | None:
    """
    Run ``script`` (this one) again on planlib and the notebooks as committed (on PYTHONPATH); its exit code.

    None when already on a snapshot or ``--live`` is given: go on here.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if os.environ.get(SOURCE_VARIABLE) or "--live" in argv:
        return None
    with tempfile.TemporaryDirectory(prefix="bench-source-") as src:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD", "planlib", "notebooks"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", src], input=archive, check=True)
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], check=True,
                              capture_output=True, text=True).stdout.strip()
        env = {**os.environ, SOURCE_VARIABLE: src,
               "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
        print(f"planlib and notebooks as committed at {head}, in {src} (edits to the checkout neither restart the "
              "warm kernel nor reach the run)", flush=True)
        return subprocess.run([sys.executable, script, *argv], check=False, env=env).returncode


def bytecode_on() -> str:
    """
    Let Python write bytecode in this process and its children (the stock CLIs and their kernels); a note saying so.

    With ``PYTHONDONTWRITEBYTECODE`` set and a venv installed without bytecode (``make install``),
    every stock CLI and kernel would compile papermill, nbconvert, pandas, matplotlib and planlib
    again (~4 s a process, not 1.3): stock would pay for a setting, not for its work. The variable
    is dropped and one uncounted stock run (:func:`stock`) writes the bytecode before the timings.
    """
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is None and not os.environ.get("PLANLIB_BENCH_BYTECODE"):
        return "bytecode: written and read as usual"
    os.environ["PLANLIB_BENCH_BYTECODE"] = "dropped"  # the run on the snapshot (a child) says it too
    return ("bytecode: PYTHONDONTWRITEBYTECODE was set; dropped here, so the stock CLIs and kernels read bytecode "
            "(written by an uncounted stock run) instead of compiling every module each time")


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children and their waited-for descendants."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def tree_cpu() -> float:
    """CPU seconds (user + system) of this process and its live descendants (the warm kernels)."""
    total = 0.0
    me = psutil.Process()
    for p in [me, *me.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def stock(run_dir: Path, region: str, nb: str, out: Path, config: Path) -> tuple[float, float, Path]:
    """papermill CLI then nbconvert CLI; (execute seconds, convert seconds, html path)."""
    snapshot = folder.region_dir(run_dir, region) / params.SNAPSHOT_NAME
    executed = out / f"{nb} · {region}.ipynb"  # its stem is the title the batch gives the report
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "papermill"), str(run_dir / "notebooks" / f"{nb}.ipynb"), str(executed),
                    "-p", "region", region, "-p", "scenario", "base", "-p", "params_file", str(snapshot),
                    "-p", "run_dir", str(run_dir), "-p", "interactive", "False", "--cwd", str(batch.NOTEBOOKS_DIR),
                    "-k", "python3", "--no-progress-bar", "--log-level", "ERROR"], check=True, capture_output=True)
    t1 = time.perf_counter()
    subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--config", str(config), str(executed),
                    "--output-dir", str(out), "--log-level", "ERROR"], check=True, capture_output=True)
    return t1 - t0, time.perf_counter() - t1, executed.with_suffix(".html")


def warm(run_dir: Path, region: str, nb: str) -> tuple[float, dict]:
    """planlib's task on this process's warm kernel; (wall seconds, manifest entry)."""
    t0 = time.perf_counter()
    entry = task.execute_task({
        "run_dir": str(run_dir), "region_id": region, "notebook": nb,
        "source": str(folder.executed_notebook_path(run_dir, nb)), "cwd": str(batch.NOTEBOOKS_DIR),
        "scenario": "base", "params_file": str(folder.region_dir(run_dir, region) / params.SNAPSHOT_NAME),
        "timeout": 3600, "inputs_hash": None, "kernel_name": None, "kernels": "warm",
    })
    return time.perf_counter() - t0, entry


def cell_times(path: Path) -> tuple[float, list[tuple[float, str]]]:
    """The executed notebook's cell seconds (papermill's metadata): their sum and the slowest three."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [(c["metadata"].get("papermill", {}).get("duration") or 0.0, "".join(c["source"]).strip().splitlines()[0][:60])
             for c in nb["cells"] if c["cell_type"] == "code" and c["source"]]
    return sum(d for d, _ in cells), sorted(cells, reverse=True)[:3]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--plan", default=str(ROOT / "params" / "demo.yaml"))
    ap.add_argument("--regions", nargs="*", default=None, help="region ids (default: the first --counties counties)")
    ap.add_argument("--counties", type=int, default=2)
    ap.add_argument("--notebooks", nargs="*", default=None, help="default: the plan's notebooks")
    ap.add_argument("--keep", default=None, help="keep the run and the stock outputs in this folder")
    ap.add_argument("--batch", type=int, default=0, metavar="N",
                    help="instead: the batch on the first N counties (2 workers), cold kernels then warm")
    ap.add_argument("--live", action="store_true",
                    help="run the checkout's planlib, not a copy (its edits restart the warm kernel)")
    args = ap.parse_args(argv)
    note = bytecode_on()
    code = on_snapshot(argv)
    if code is not None:
        return code
    print(note)
    if args.batch:
        return batch_side_by_side(args)
    plan = params.load_plan(args.plan)
    counties = archive.load_tree(plan.archive).at_level("county")
    regions = args.regions or counties[:args.counties]
    # the warm kernel first serves every notebook for another county, as a batch's kernel has served
    # other regions before this one: its one-time costs (caches filled by a notebook's first figure,
    # first table, first fit) are then paid, as in all but a run's first region
    other = next(c for c in counties if c not in regions)
    nbs = args.notebooks or list(plan.notebooks)
    with tempfile.TemporaryDirectory(prefix="bench-kernels-") as tmp:
        work = Path(args.keep) if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        config = work / "planlib_nbconvert_config.py"
        config.write_text(NBCONVERT_CONFIG.format(folder=str(work)), encoding="utf-8")
        (work / export.TEMPLATE_FILE).write_text(export.OFFLINE_TEMPLATE, encoding="utf-8")
        print(f"{Path(args.plan).name}: {', '.join(nbs)} for {', '.join(regions)}")
        t0 = time.perf_counter()
        run = batch.run_plan(args.plan, regions=[*regions, other], notebooks=nbs, runs_root=work / "runs",
                             run_id="bench", progress=False, workers=1)
        steps = ", ".join(f"{s['step']} {s.get('seconds', 0):.1f} s" for s in run.manifest.get("plan_steps", []))
        print(f"setup: a batch run (1 worker, warm kernel) in {time.perf_counter() - t0:.1f} s ({steps}); "
              f"exit {run.exit_code}")
        if run.exit_code:
            print(run.manifest["entries"])
            return 1
        t0 = time.perf_counter()
        for nb in nbs:
            warm(run.run_dir, other, nb)
        print(f"warm kernel start + imports + each notebook once for {other} (a kernel that has served another "
              f"region): {time.perf_counter() - t0:.1f} s (not counted below)")
        out = work / "stock"
        out.mkdir(exist_ok=True)
        t0 = time.perf_counter()
        stock(run.run_dir, other, nbs[0], out, config)
        print(f"stock once for {other} ({nbs[0]}: the CLIs' bytecode and the disk cache filled): "
              f"{time.perf_counter() - t0:.1f} s (not counted below)\n")
        head = (f"{'region':<12} {'notebook':<18} {'stock s':>8} {'(exec':>6} {'html)':>6} {'warm s':>7} {'ratio':>6} "
                f"{'cells':>6} {'pm':>5} {'html':>5} {'stock cpu':>9} {'warm cpu':>8} {'ratio':>6}  same  "
                "slowest warm cell")
        print(head)
        rows, restarts = [], 0
        for region in regions:
            for nb in nbs:
                c0 = children_cpu()
                s_exec, s_conv, s_html = stock(run.run_dir, region, nb, out, config)
                s_cpu, c0 = children_cpu() - c0, tree_cpu()
                w_wall, entry = warm(run.run_dir, region, nb)
                w_cpu = tree_cpu() - c0
                if entry["status"] != "succeeded":
                    print(region, nb, "warm failed:", entry["error"])
                    return 1
                w_html = run.run_dir / entry["html"]
                same = w_html.read_bytes() == s_html.read_bytes()
                if not same:  # does the notebook repeat itself? each path once more
                    w1, s1 = w_html.read_bytes(), s_html.read_bytes()
                    warm(run.run_dir, region, nb)
                    w2, s2 = w_html.read_bytes(), stock(run.run_dir, region, nb, out, config)[2].read_bytes()
                    # a real difference repeats: each path gives its page again; else the notebook varies
                    same = False if (w1, s1) == (w2, s2) else "varies"
                log = folder.kernel_log_path(run.run_dir, region, nb).read_text(encoding="utf-8")
                restarts += log.count("replacing kernel")
                cells, slow = cell_times(folder.notebook_outputs(run.run_dir, region, nb).notebook)
                s_total = s_exec + s_conv
                rows.append((s_total, w_wall, same, s_cpu, w_cpu))
                print(f"{region:<12} {nb:<18} {s_total:8.2f} {s_exec:6.2f} {s_conv:6.2f} {w_wall:7.2f} "
                      f"{s_total / w_wall:6.1f} {cells:6.2f} {entry['seconds'] - cells:5.2f} "
                      f"{w_wall - entry['seconds']:5.2f} {s_cpu:9.2f} {w_cpu:8.2f} {s_cpu / max(w_cpu, 0.01):6.1f}  "
                      f"{_same(same):<4}  {slow[0][0]:.2f} s {slow[0][1]}", flush=True)
        kernels.shutdown_all()
    ratios = [s / w for s, w, *_ in rows]
    if restarts:
        print(f"\nthe warm kernel was replaced {restarts} time(s) (the kernel logs say why: planlib's source "
              "changed under the run, or a reset found state it could not put back)")
    print(f"\nmedian ratio stock / warm: {statistics.median(ratios):.1f} (min {min(ratios):.1f}, max "
          f"{max(ratios):.1f}); totals: stock {sum(r[0] for r in rows):.1f} s, warm {sum(r[1] for r in rows):.1f} s, "
          f"ratio {sum(r[0] for r in rows) / sum(r[1] for r in rows):.1f}")
    for nb in nbs:
        mine = [r for (_, n), r in zip(((g, n) for g in regions for n in nbs), rows) if n == nb]
        print(f"  {nb:<18} wall: stock {sum(r[0] for r in mine):7.1f} s, warm {sum(r[1] for r in mine):6.1f} s, "
              f"ratio {sum(r[0] for r in mine) / sum(r[1] for r in mine):5.1f};  CPU: stock "
              f"{sum(r[3] for r in mine):7.1f} s, warm {sum(r[4] for r in mine):6.1f} s, ratio "
              f"{sum(r[3] for r in mine) / max(sum(r[4] for r in mine), 0.01):5.1f}")
    print(f"HTML byte-identical: {sum(r[2] is True for r in rows)}/{len(rows)} reports"
          + (f"; {sum(r[2] == 'varies' for r in rows)} changed between two runs of the same path (the "
             "notebook does not repeat itself exactly)" if any(r[2] == "varies" for r in rows) else ""))
    print("columns: stock = papermill CLI (exec) + nbconvert CLI (html); warm = planlib's task on a warm kernel: "
          "cells (papermill's cell durations), pm (papermill, kernel client and reset wait around them), "
          "html (export in-process); cpu = user + system seconds (stock: the CLIs and their kernels; warm: this "
          f"process and its kernel); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0 if all(r[2] for r in rows) else 1


def batch_side_by_side(args) -> int:
    """The whole batch twice on the same counties: every notebook in a fresh kernel (PLANLIB_KERNELS=cold), then warm."""
    plan = params.load_plan(args.plan)
    counties = archive.load_tree(plan.archive).at_level("county")[:args.batch]
    nbs = args.notebooks or list(plan.notebooks)
    walls, pages = {}, {}
    with tempfile.TemporaryDirectory(prefix="bench-kernels-batch-") as tmp:
        work = Path(args.keep) if args.keep else Path(tmp)
        for mode in ("cold", "warm"):
            os.environ[task.KERNELS_VARIABLE] = mode  # the workers, spawned by the run, inherit it
            t0 = time.perf_counter()
            run = batch.run_plan(args.plan, regions=counties, notebooks=nbs, runs_root=work / mode, run_id="bench",
                                 progress=False, workers=2)
            walls[mode] = time.perf_counter() - t0
            steps = sum(s.get("seconds") or 0.0 for s in run.manifest.get("plan_steps", []))
            ok = sum(e["status"] == "succeeded" for e in run.manifest["entries"])
            print(f"{mode}: {walls[mode]:.1f} s wall ({steps:.1f} s plan-wide steps), {ok}/"
                  f"{len(run.manifest['entries'])} reports", flush=True)
            pages[mode] = {p.relative_to(run.run_dir).as_posix(): p.read_bytes()
                           for p in sorted(run.run_dir.glob("regions/*/*.html"))}
        os.environ.pop(task.KERNELS_VARIABLE)
    same = sum(pages["cold"][k] == pages["warm"].get(k) for k in pages["cold"])
    differ = [k for k in pages["cold"] if pages["cold"][k] != pages["warm"].get(k)]
    if differ:
        print(f"differ: {', '.join(differ)} (see bench_kernels without --batch: a notebook may not repeat itself)")
    print(f"batch of {len(counties)} counties x {len(nbs)} notebooks, 2 workers: cold {walls['cold']:.1f} s, "
          f"warm {walls['warm']:.1f} s, ratio {walls['cold'] / walls['warm']:.2f}; "
          f"HTML byte-identical {same}/{len(pages['cold'])}")
    return 0


def _same(same) -> str:
    return {True: "yes", False: "NO", "varies": "var"}[same]


if __name__ == "__main__":
    sys.exit(main())
