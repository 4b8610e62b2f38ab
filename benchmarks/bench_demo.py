"""
Build the national demo archive and print how long it took and what it cost.

Run by hand: ``.venv/bin/python benchmarks/bench_demo.py [--keep DIR] [--check]``.
Prints seconds, peak RSS (resource.getrusage), rows per table and file size; with
``--check`` also times :func:`planlib.quality.check_archive` on the result.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from planlib import demo
from planlib.archive import quality


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux, bytes on macOS
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--scale", default="national", choices=list(demo.SCALES))
    ap.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    ap.add_argument("--keep", default=None, help="build into this folder and keep the file")
    ap.add_argument("--check", action="store_true", help="also time the data-quality check")
    ap.add_argument("--progress", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="planlib-bench-") as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"demo-{args.scale}.duckdb"
        t0 = time.perf_counter()
        summary = demo.build_demo(path, seed=args.seed, scale=args.scale, progress=args.progress)
        build_s = time.perf_counter() - t0
        print(f"scale        {summary.scale} (seed {summary.seed}, years {summary.years[0]}-{summary.years[-1]})")
        print(f"build        {build_s:.1f} s")
        print(f"peak RSS     {_peak_rss_mb():.0f} MB")
        print(f"file size    {path.stat().st_size / 1e6:.0f} MB")
        for table, n in summary.counts.items():
            print(f"  {table:<12} {n:>12,} rows")
        if args.check:
            t0 = time.perf_counter()
            findings = quality.check_archive(path)
            print(f"quality      {time.perf_counter() - t0:.1f} s, {len(findings)} findings")
            print(quality.summarise_findings(findings).to_string(index=False))
            print(f"peak RSS     {_peak_rss_mb():.0f} MB (after the check)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
