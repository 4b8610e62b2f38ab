"""
How fast is an exact national split, and what does plain rounding get wrong?

Usage:
    python benchmarks/bench_split.py

Synthetic national-size inputs (seeded, in memory; no archive needed):

1. 2,800 counties x 12 months x 3 product lines: each line's national target is split
   to counties (by history) and to months (by season), then the county x month table is
   fitted to both margins (``fit_table``) and rounded with every margin exact
   (``round_table``).
2. ~25,000 A/B terminals x 12 months: the same fit + controlled rounding.
3. ``split_down`` of a national target through a 3,200-region tree (HQ, 31 provinces,
   ~340 cities, 2,800 counties) on 24 months of county history.

Prints seconds (median of several runs) and peak RSS, and, for comparison in the same
run, the straightforward way (``np.round`` of the fitted table) and how far its margins
are off. Goal (issue 4): under 3 s for the whole national split, peak memory under 2 GB.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planlib.hierarchy import RegionTree  # noqa: E402
from planlib.targets import fit_table, round_table, split_down, split_target

SEASON = np.array([1.6, 1.3, 0.8, 0.8, 0.9, 0.9, 0.8, 0.8, 1.1, 1.2, 0.9, 0.9])
MONTHS = [f"2027-{m:02d}" for m in range(1, 13)]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def timed(fn, repeat: int = 3):
    times, value = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), value


def synthetic_history(rng: np.random.Generator, n_rows: int, zero_share: float) -> pd.DataFrame:
    """Last year's row x month sales: skewed levels, seasonality, noise, some zeros."""
    level = rng.lognormal(mean=8.0, sigma=1.2, size=n_rows)
    noise = rng.gamma(20.0, 1 / 20.0, size=(n_rows, 12))
    table = level[:, None] * SEASON[None, :] * noise
    table[rng.random((n_rows, 12)) < zero_share] = 0.0  # months a row did not sell
    table[rng.random(n_rows) < zero_share / 2] = 0.0  # rows that never carried the line
    return pd.DataFrame(table, index=[f"R{i:05d}" for i in range(n_rows)], columns=MONTHS)


def exact_split(seed: pd.DataFrame, growth: float):
    """National target -> row totals (by history) and month totals (by season) -> fit -> round."""
    national = int(round(seed.to_numpy().sum() * growth))
    rows = split_target(national, seed.sum(axis=1))
    cols = split_target(national, seed.sum(axis=0))
    fitted = fit_table(seed, rows, cols)
    rounded = round_table(fitted, rows, cols)
    return rows, cols, fitted, rounded


def plain_rounding_report(fitted: pd.DataFrame, rows: pd.Series, cols: pd.Series) -> str:
    plain = np.round(fitted.to_numpy())
    row_gap = plain.sum(axis=1) - rows.to_numpy()
    col_gap = plain.sum(axis=0) - cols.to_numpy()
    return (
        f"rows off {int((row_gap != 0).sum()):,}/{len(rows):,} (max |gap| {np.abs(row_gap).max():.0f}), "
        f"months off {int((col_gap != 0).sum())}/12 (max |gap| {np.abs(col_gap).max():.0f}), "
        f"grand total off by {plain.sum() - rows.sum():+.0f}"
    )


def check_exact(rounded: pd.DataFrame, rows: pd.Series, cols: pd.Series, fitted: pd.DataFrame) -> str:
    r = rounded.to_numpy()
    ok_rows = np.array_equal(r.sum(axis=1), rows.to_numpy())
    ok_cols = np.array_equal(r.sum(axis=0), cols.to_numpy())
    x = fitted.to_numpy()
    ok_cells = bool(np.all(r >= np.floor(x - 1e-9)) and np.all(r <= np.ceil(x + 1e-9)))
    fit_gap = max(np.abs(x.sum(axis=1) - rows.to_numpy()).max(), np.abs(x.sum(axis=0) - cols.to_numpy()).max())
    return f"rows exact {ok_rows}, months exact {ok_cols}, cells floor/ceil {ok_cells}, fit gap {fit_gap:.1e}"


def synthetic_tree(rng: np.random.Generator):
    rows = [("HQ", "national", "hq", None)]
    counties = []
    k = 0
    for p in range(31):
        pid = f"P{p:02d}"
        rows.append((pid, pid, "province", "HQ"))
        for c in range(11):
            cid = f"{pid}C{c:02d}"
            rows.append((cid, cid, "city", pid))
            for _ in range(int(rng.integers(5, 12))):
                if k >= 2800:
                    break
                kid = f"K{k:05d}"
                rows.append((kid, kid, "county", cid))
                counties.append(kid)
                k += 1
    tree = RegionTree(pd.DataFrame(rows, columns=["region_id", "name", "level", "parent_id"]))
    months = pd.date_range("2025-01-01", periods=24, freq="MS")
    level = rng.lognormal(8.0, 1.2, len(counties))
    values = level[:, None] * np.tile(SEASON, 2)[None, :] * rng.gamma(20.0, 1 / 20.0, (len(counties), 24))
    history = pd.DataFrame(
        {
            "region_id": np.repeat(counties, 24),
            "month": np.tile(months, len(counties)),
            "value": values.ravel(),
        }
    )
    return tree, history


def main() -> None:
    rng = np.random.default_rng(2027)
    print(f"numpy {np.__version__}, pandas {pd.__version__}; peak RSS at start {peak_rss_mb():,.0f} MB")

    lines = {name: synthetic_history(rng, 2800, 0.03) for name in ("baijiu", "health_wine", "beer")}
    total_s = 0.0
    for name, seed in lines.items():
        secs, (rows, cols, fitted, rounded) = timed(lambda: exact_split(seed, 1.08))
        total_s += secs
        t_fit, _ = timed(lambda: fit_table(seed, rows, cols))
        t_round, _ = timed(lambda: round_table(fitted, rows, cols))
        print(
            f"counties x months [{name:<11}] {seed.shape[0]:,} x 12: {secs:6.3f} s "
            f"(fit {t_fit:.3f} s, controlled rounding {t_round:.3f} s); {check_exact(rounded, rows, cols, fitted)}"
        )
        print(f"    plain np.round instead: {plain_rounding_report(fitted, rows, cols)}")
    print(f"counties x months x 3 product lines: {total_s:6.3f} s in all")

    seed = synthetic_history(rng, 25_000, 0.05)
    secs, (rows, cols, fitted, rounded) = timed(lambda: exact_split(seed, 1.10))
    t_fit, _ = timed(lambda: fit_table(seed, rows, cols))
    t_round, _ = timed(lambda: round_table(fitted, rows, cols))
    print(
        f"A/B terminals x months {seed.shape[0]:,} x 12: {secs:6.3f} s "
        f"(fit {t_fit:.3f} s, controlled rounding {t_round:.3f} s); {check_exact(rounded, rows, cols, fitted)}"
    )
    print(f"    plain np.round instead: {plain_rounding_report(fitted, rows, cols)}")

    tree, history = synthetic_tree(rng)
    secs, out = timed(lambda: split_down(tree, 1_000_000_000, history), repeat=3)
    parents = out.dropna(subset=["parent_id"]).groupby("parent_id")["target"].sum()
    exact = bool((parents == out.set_index("region_id")["target"].reindex(parents.index)).all())
    print(
        f"split_down {len(tree):,} regions ({len(history):,} history rows, proportion_averages): "
        f"{secs:6.3f} s; every child set sums to its parent: {exact}"
    )
    print(f"peak RSS {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
