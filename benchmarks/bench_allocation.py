"""
How fast is the whole national allocation, read from the archive, and what does plain rounding get wrong?

Usage:
    python benchmarks/bench_allocation.py [ARCHIVE]   # default /tmp/national.duckdb

Builds the national demo archive (``build_demo(path, scale="national")``, about a minute)
if it is missing, then times, in this process:

1. ``load_allocation_history``: DuckDB's aggregations of the ~15M-row sales table for HQ
   (last year in one scan with four grouping sets, the breakdowns summed to the county
   level the plan splits to; the first year's months on a second cursor meanwhile);
2. ``allocate_plan`` with the params' default floor (0.2): HQ's target to 31 provinces,
   ~330 cities, ~2,800 counties x 12 months,
   with product-line, SKU, channel, terminal-class and distributor breakdowns of every region-month and
   every A/B terminal (plus C/D lines per township) x 12 months, all exact.

Prints seconds per step and in total (wall clock, and the process's CPU time beside it: on a
shared machine the wall clock swings with the other users' load, the CPU time much less; CPU
above wall means DuckDB ran on several cores), peak RSS after reading and at the end, and for
comparison the straightforward way (``np.round`` of proportional shares at each step) with how
far its sums are off, and the straightforward read (one ``GROUP BY`` per breakdown on the
text keys by recorded region, fetched with ``.df()``) timed beside ours, as a ratio.
Goal (issue 4): under 3 s including reading, peak memory under 2 GB.
"""

from __future__ import annotations

import os
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planlib.targets import allocate_plan, breakdown_of, load_allocation_history, validate_targets
from planlib.archive.store import connect, load_tree
from planlib.demo import build_demo  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def naive(history, tree, total: int, month_shares: pd.Series, plan_year: int) -> list[str]:
    """np.round of proportional shares at each step; how far each step's sums are off."""
    ly = history.monthly[pd.DatetimeIndex(history.monthly["month"]).year == plan_year - 1]
    county_of = {r: tree.ancestor_at(r, "county") for r in tree.subtree(tree.root)}
    ly = ly.assign(county=ly["region_id"].astype(str).map(county_of), m=pd.DatetimeIndex(ly["month"]).month)
    cm = ly.pivot_table(index="county", columns="m", values="volume", aggfunc="sum", fill_value=0.0)
    county_share = cm.sum(axis=1) / cm.to_numpy().sum()
    annual = np.round(total * county_share)
    months = np.round(annual.to_numpy()[:, None] * month_shares.to_numpy()[None, :])
    out = [
        f"  counties (annual):  sum {int(annual.sum()):,} vs target {total:,}: off by {int(annual.sum() - total):+,}",
        f"  county months:      {int((months.sum(axis=1) != annual.to_numpy()).sum()):,} of {len(annual):,} "
        f"counties' months do not add to their year (largest gap {int(np.abs(months.sum(axis=1) - annual).max())})",
    ]
    # product lines per county-month from last year's mix
    pl = history.product_lines.assign(county=history.product_lines["region_id"].astype(str).map(county_of))
    mix = pl.pivot_table(index="county", columns="product_line", values="volume", aggfunc="sum", fill_value=0.0,
                         observed=True).reindex(cm.index, fill_value=0.0)
    mix = mix.div(mix.sum(axis=1).replace(0, 1), axis=0).to_numpy()
    lines = np.round(months[:, :, None] * mix[:, None, :])
    gap = lines.sum(axis=2) - months
    out.append(f"  product lines:      {int((gap != 0).sum()):,} of {gap.size:,} county-months off "
               f"(total {int(np.abs(gap).sum()):,} cases)")
    # A/B terminals + CD lines per county from last year's share
    t = history.terminals.assign(county=history.terminals["region_id"].astype(str).map(county_of))
    key = np.where(t["terminal_id"].isna(), "CD:" + t["region_id"].astype(str), t["terminal_id"].astype(str))
    line_ly = t.assign(key=key).groupby(["county", "key"])["volume"].sum()
    share = line_ly / line_ly.groupby(level="county").transform("sum")
    cidx = cm.index.get_indexer(share.index.get_level_values("county"))
    term = np.round(months[cidx] * share.to_numpy()[:, None])
    tsum = np.zeros_like(months)
    np.add.at(tsum, cidx, term)
    gap = tsum - months
    out.append(f"  terminal lines:     {int((gap != 0).sum()):,} of {gap.size:,} county-months off "
               f"(total {int(np.abs(gap).sum()):,} cases)")
    return out


PLAIN_READS = {
    "months (2 years)": "region_id, date",
    "product lines": "region_id, date, p.product_line",
    "SKUs": "region_id, date, s.sku",
    "channels": "region_id, date, channel",
    "terminals": "region_id, date, terminal_id",
    "distributors": "region_id, date, distributor_id",
}


def plain_read(path: Path, plan_year: int) -> float:
    """The straightforward read: one GROUP BY per breakdown on text keys, each fetched with .df()."""
    t0 = time.perf_counter()
    with connect(path) as con:
        for name, keys in PLAIN_READS.items():
            start = plan_year - 2 if name.startswith("months") else plan_year - 1
            con.execute(
                f"SELECT {keys}, sum(volume) AS volume, sum(revenue) AS revenue FROM sales s "
                "JOIN products p USING (sku) WHERE grain = 'month' AND brand = 'own' "
                f"AND date >= DATE '{start}-01-01' AND date < DATE '{plan_year}-01-01' GROUP BY ALL"
            ).df()
    return time.perf_counter() - t0


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/national.duckdb")
    if not path.exists():
        t0 = time.perf_counter()
        build_demo(path, scale="national")
        print(f"built {path} in {time.perf_counter() - t0:.0f} s")
    with connect(path) as con:
        last = con.execute("SELECT max(year(date)) FROM sales WHERE grain = 'month'").fetchone()[0]
        n_sales = con.execute("SELECT count(*) FROM sales").fetchone()[0]
        threads, memory_limit = con.execute(
            "SELECT current_setting('threads'), current_setting('memory_limit')").fetchone()
    plan_year = int(last) + 1
    tree = load_tree(path)
    print(f"archive {path}: {n_sales:,} sales rows, {len(tree.at_level('county')):,} counties; plan year {plan_year}")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
          f"DuckDB threads {threads}, memory_limit {memory_limit}")

    t0, c0 = time.perf_counter(), time.process_time()
    history = load_allocation_history(path, tree, tree.root, plan_year)
    t1, c1 = time.perf_counter(), time.process_time()
    rss_read = peak_rss_mb()
    ly = history.monthly[pd.DatetimeIndex(history.monthly["month"]).year == plan_year - 1]
    total = int(round(ly["volume"].sum() * 1.08))
    profile = ly.groupby(pd.DatetimeIndex(ly["month"]).month)["volume"].sum()
    month_shares = profile / profile.sum()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # the plan's default constraint (split.floor 0.2: nobody asked to shrink more than 20%)
        targets = allocate_plan(history, tree, root=tree.root, total_volume=total, month_shares=month_shares,
                                plan_year=plan_year, floor=0.2)
    t2, c2 = time.perf_counter(), time.process_time()
    print(f"load_allocation_history  {t1 - t0:6.2f} s   (CPU {c1 - c0:5.2f} s)")
    print(f"allocate_plan            {t2 - t1:6.2f} s   (CPU {c2 - c1:5.2f} s)")
    print(f"total (reading included) {t2 - t0:6.2f} s   (CPU {c2 - c0:5.2f} s)   goal < 3 s")
    print(f"peak RSS                 {peak_rss_mb():6.0f} MB  (after reading {rss_read:.0f} MB)  goal < 2048 MB")
    kinds = breakdown_of(targets).value_counts()
    print(f"rows {len(targets):,}: " + ", ".join(f"{k} {v:,}" for k, v in kinds.items()))
    named = targets["terminal_id"].notna()
    print(f"named A/B terminals {targets.loc[named, 'terminal_id'].nunique():,} x 12 months")
    for w in caught:
        print(f"PlanWarning: {w.message}")
    t3 = time.perf_counter()
    validate_targets(targets, tree, sku_lines=history.sku_lines)
    print(f"validate_targets: every level, month and breakdown exact, product lines = their SKUs' sums ({time.perf_counter() - t3:.2f} s, not timed)")
    plain = plain_read(path, plan_year)
    print(f"the straightforward read (a GROUP BY per breakdown by recorded region, .df()): {plain:.2f} s, "
          f"{plain / (t1 - t0):.1f}x load_allocation_history's {t1 - t0:.2f} s (and it has not built a frame yet)")
    print("the straightforward way (np.round of proportional shares):")
    for line in naive(history, tree, total, month_shares, plan_year):
        print(line)


if __name__ == "__main__":
    main()
