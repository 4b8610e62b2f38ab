"""
The local and the Dask executor side by side: the same reports, how long each takes.

Usage:
    python benchmarks/bench_executors.py [N_COUNTIES] [PLAN]   # default 8 counties of params/demo.yaml

Runs the plan's 10_review_archive for the first N counties of its archive twice, into a
temporary runs folder: with the local executor (2 worker processes) and with the Dask
executor on a LocalCluster it starts (2 worker processes, one thread each). Prints each
wall time (cluster start and close included), the ratio dask / local, and whether every
HTML report is byte-identical between the two runs.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planlib import archive, params
from planlib.run import batch

NOTEBOOK = "10_review_archive"
WORKERS = 2


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    plan_path = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "params" / "demo.yaml"
    plan = params.load_plan(plan_path)
    counties = archive.load_tree(plan.archive).at_level("county")[:n]
    print(f"{plan_path.name}: {NOTEBOOK} for {len(counties)} counties, {WORKERS} workers")
    walls, reports = {}, {}
    with tempfile.TemporaryDirectory(prefix="bench-executors-") as tmp:
        for kind in ("local", "dask"):
            t0 = time.perf_counter()
            result = batch.run_plan(plan_path, regions=counties, notebooks=[NOTEBOOK], workers=WORKERS,
                                    runs_root=Path(tmp) / kind, run_id="bench", progress=False, executor=kind)
            walls[kind] = time.perf_counter() - t0
            ok = sum(e["status"] == "succeeded" for e in result.manifest["entries"])
            print(f"{kind:<6} {walls[kind]:7.1f} s   {ok}/{len(result.manifest['entries'])} reports succeeded")
            reports[kind] = {p.relative_to(result.run_dir).as_posix(): p.read_bytes()
                             for p in sorted(result.run_dir.glob(f"regions/*/{NOTEBOOK}.html"))}
    same = reports["local"] == reports["dask"] and len(reports["local"]) == len(counties)
    print(f"dask / local wall time: {walls['dask'] / walls['local']:.2f}")
    print(f"HTML reports byte-identical: {same} ({len(reports['local'])} reports)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
