"""
How fast is the environment analysis of one region (all sections' numbers, no notebook)?

Usage:
    python benchmarks/bench_review.py [ARCHIVE] [--root]   # default: builds/reuses data/national.duckdb

With ``--root`` it first reviews the archive's root (HQ: every sales row, 15 million on the
national archive) once and prints the CPU it took and the process's peak RSS (goal: well
under 4 GB).

Prints, for one province and one county of the archive: reading the region's facts,
computing every section (planlib.review), and the total — the median of several runs —
and, for comparison, the straightforward read (DuckDB's ``.df()`` of the same rows) as a
ratio to the read. For the county it also prints the data-quality section
(:func:`planlib.quality.check_archive` on the region's subtree, called with the archive's
path as the review notebook calls it) and the county's total with it.
Goals (issue 3): province < 3 s, county < 0.3 s on the national archive.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planlib.archive import store as archive
from planlib import demo
from planlib.archive import quality
from planlib.review import region as review


def timed(fn, repeat: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), value


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--root"]
    path = Path(args[0]) if args else ROOT / "data" / "national.duckdb"
    if not path.exists():
        print(f"building the national archive at {path} (about a minute) …")
        demo.build_demo(path, scale="national", progress=True)
    con = archive.connect(path)
    tree = archive.load_tree(con)
    province = tree.at_level("province")[0]
    county = tree.at_level("county")[0]
    rows = con.sql("SELECT count(*) FROM sales").fetchall()[0][0]
    print(f"archive {path.name}: {len(tree):,} regions, {rows:,} sales rows")
    if "--root" in sys.argv[1:]:
        root = tree.at_level("hq")[0]
        c0 = time.process_time()
        data = review.load_region_data(con, tree, root)
        c1 = time.process_time()
        review.review_region(data, tree)
        c2 = time.process_time()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB on Linux
        print(f"root      {root:<12} sales rows {len(data.sales):>9,}   read {c1 - c0:6.1f} s CPU   "
              f"sections {c2 - c1:6.1f} s CPU   peak RSS {peak:4.2f} GB")
        del data
    for label, region, repeat in (("province", province, 3), ("county", county, 7)):
        ids = tree.subtree(region)
        t_load, data = timed(lambda: review.load_region_data(con, tree, region), repeat)
        t_review, _ = timed(lambda: review.review_region(data, tree), repeat)
        t_total, _ = timed(lambda: review.review_region(review.load_region_data(con, tree, region), tree), repeat)
        sql = "SELECT * FROM sales WHERE region_id IN (SELECT unnest(?::VARCHAR[]))"
        t_df, _ = timed(lambda: con.execute(sql, [list(ids)]).df(), repeat)
        print(
            f"{label:<9} {region:<12} sales rows {len(data.sales):>9,}   read {t_load:6.3f} s   "
            f"sections {t_review:6.3f} s   total {t_total:6.3f} s   "
            f"(straightforward .df() read alone {t_df:6.3f} s, ratio {t_df / t_load:4.1f}x)"
        )
        if label == "county":
            t_quality, findings = timed(lambda: quality.check_archive(path, region_id=region, tree=tree), repeat)

            def with_quality():
                review.review_region(review.load_region_data(con, tree, region), tree)
                return quality.check_archive(path, region_id=region, tree=tree)

            t_all, _ = timed(with_quality, repeat)
            print(
                f"{'':<9} {region:<12} data quality (check_archive, {len(findings)} findings) {t_quality:6.3f} s   "
                f"county total with quality {t_all:6.3f} s"
            )
    con.close()


if __name__ == "__main__":
    main()
