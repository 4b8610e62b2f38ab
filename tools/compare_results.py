"""
Compare two runs' machine-readable results, table by table, value by value.

Usage: python tools/compare_results.py RUN_A RUN_B

A run is its folder (``runs/<plan>/<run_id>``) or its ``results/`` folder. Every parquet
table in either is compared after sorting by all its columns: the script prints, per
table, ``identical``, ``identical to 1e-12 relative`` (a float summed in another order, as
DuckDB's parallel SUM may do) or what differs, and exits 1 when any differs.
Used to show that a refactoring moved no number (the targets and budget tables).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def _results(path: Path) -> Path:
    return path / "results" if (path / "results").is_dir() else path


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    cols = sorted(frame.columns)
    frame = frame[cols]
    return frame.sort_values(cols, kind="stable", na_position="first").reset_index(drop=True)


def compare(a: Path, b: Path) -> list[str]:
    """One line per table: identical, or what differs."""
    ra, rb = _results(a), _results(b)
    names = sorted({p.name for p in ra.glob("*.parquet")} | {p.name for p in rb.glob("*.parquet")})
    lines = []
    for name in names:
        pa_, pb_ = ra / name, rb / name
        if not pa_.exists() or not pb_.exists():
            lines.append(f"{name}: only in {'B' if not pa_.exists() else 'A'}")
            continue
        x, y = pd.read_parquet(pa_), pd.read_parquet(pb_)
        if sorted(x.columns) != sorted(y.columns):
            lines.append(f"{name}: columns differ: {sorted(set(x.columns) ^ set(y.columns))}")
            continue
        x, y = _canonical(x), _canonical(y)
        if len(x) != len(y):
            lines.append(f"{name}: {len(x)} rows in A, {len(y)} in B")
            continue
        try:
            pd.testing.assert_frame_equal(x, y, check_exact=True)
            lines.append(f"{name}: identical ({len(x):,} rows, {len(x.columns)} columns)")
            continue
        except AssertionError as exc:
            exact = str(exc).splitlines()[0]
        try:  # floats summed in another order (DuckDB's parallel SUM) differ in the last bits
            pd.testing.assert_frame_equal(x, y, check_exact=False, rtol=1e-12, atol=0)
        except AssertionError as exc:
            lines.append(f"{name}: DIFFERS: {str(exc).splitlines()[0]}")
            continue
        floats = [c for c in x.columns if x[c].dtype.kind == "f"]
        worst = max(float((x[c] - y[c]).abs().max()) for c in floats)
        lines.append(f"{name}: identical to 1e-12 relative ({len(x):,} rows; {exact}; largest difference {worst:.1e})")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    lines = compare(Path(argv[0]), Path(argv[1]))
    print("\n".join(lines))
    return 0 if lines and all(": identical" in line for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
