"""
Do the counties' targets follow their own trend? Fairness figures of a run's targets (#11).

Usage: python tools/target_fairness.py RUN [ARCHIVE]

RUN is a run folder (``runs/<plan>/<run_id>``) or its ``results/`` folder; ARCHIVE the
archive it was planned on (default ``data/demo.duckdb``). For every planned county it
reads the target and last year's volume from ``results/targets.parquet`` and its own
trend forecast from the archive (:func:`planlib.targets.children_baselines`, each county's
damped Holt-Winters baseline), then prints:

- the correlation of target growth (target / last year − 1) with own-trend growth
  (baseline / last year − 1) and with last year's growth (last year / the year before − 1);
- how many counties are asked below last year, how many of those have a growing own trend,
  and how many of those the report's fairness flag (the region view's
  ``shrinks_against_trend``) does not name.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from planlib import archive, targets


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    run = Path(argv[0])
    results = run / "results" if (run / "results").is_dir() else run
    table = pd.read_parquet(results / "targets.parquet")
    path = Path(argv[1]) if len(argv) > 1 else Path("data/demo.duckdb")
    con = archive.connect(path)
    tree = archive.load_tree(con)
    plan_year = int(pd.DatetimeIndex(table["month"]).year.min())
    totals = table[targets.breakdown_of(table) == "total"]
    counties = totals[totals["level"] == "county"]
    parents = sorted({tree.parent(r) for r in counties["region_id"].astype(str).unique()})
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for parent in parents:
            base = targets.children_baselines(con, tree, parent, plan_year, table=table)
            view = targets.region_view(table, tree, parent, baselines=base)
            kids = view.children.copy()
            for kid in kids["region_id"]:
                econ = targets.region_economics(con, tree, kid, plan_year)
                m = econ.monthly.assign(year=pd.to_datetime(econ.monthly["date"]).dt.year)
                by_year = m.groupby("year")["volume"].sum()
                prev = by_year.get(plan_year - 2, np.nan)
                kids.loc[kids["region_id"] == kid, "last_growth"] = (
                    by_year.get(plan_year - 1, np.nan) / prev - 1.0 if prev and prev > 0 else np.nan)
            rows.append(kids)
    con.close()
    kids = pd.concat(rows, ignore_index=True)
    g = kids["growth"]
    below = kids[kids["target_volume"] < kids["last_year_volume"]]
    growing = below[below["trend_growth"] > 0]
    unflagged = growing[~growing["shrinks_against_trend"].astype(bool)]
    print(f"counties: {len(kids)}")
    print(f"corr(target growth, own-trend growth): {g.corr(kids['trend_growth']):+.3f}")
    print(f"corr(target growth, last year's growth): {g.corr(kids['last_growth']):+.3f}")
    print(f"asked below last year: {len(below)}; of them with a growing own trend: {len(growing)}; "
          f"of those not flagged: {len(unflagged)}")
    for r in growing.itertuples():
        print(f"  {r.region_id} {r.name}: target {r.growth:+.1%}, own trend {r.trend_growth:+.1%}, "
              f"flagged {bool(r.shrinks_against_trend)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
