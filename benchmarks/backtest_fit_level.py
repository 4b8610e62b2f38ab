"""
Which level should the Holt-Winters fits run at? A back-test on an archive's own regions.

Usage:
    python benchmarks/backtest_fit_level.py [ARCHIVE] [--year 2026] [--regions 200]
                                            [--levels 1,100,1000,10000,100000,1000000]

statsmodels' optimiser takes absolute steps and stops on absolute tests, so one history fitted
in 箱 and in 千箱 gives different forecasts. planlib fits every series at one mean monthly level
(:data:`planlib.targets.holtwinters.FIT_LEVEL`, :func:`~planlib.targets.holtwinters.fit_scale`).
This script picks that level: for each recorded region with three or more whole years of own
monthly sales up to the back-test year's December, it forecasts the back-test year from the
years before (damped Holt-Winters, 12 months ahead) with the series as recorded and at each
level, and prints the error of each against the year's actual volume: mean and median absolute
percentage error, and the volume-weighted one (Σ|F − A| / ΣA).

Run by hand; it takes a minute or two per 100 regions (each fitted once per level).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planlib import archive
from planlib.archive.queries import targets as queries
from planlib.targets import holtwinters


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("archive", nargs="?", default=str(ROOT / "data" / "demo.duckdb"))
    ap.add_argument("--year", type=int, default=2026, help="the year forecast (its actuals must be in the archive)")
    ap.add_argument("--regions", type=int, default=200, help="at most this many regions, in id order")
    ap.add_argument("--levels", default="1,100,1000,10000,100000,1000000")
    args = ap.parse_args()
    levels = [float(v) for v in args.levels.split(",")]
    with archive.connect(args.archive) as con:
        tree = archive.load_tree(con)
        monthly = queries.children_monthly_volume(con, list(tree.subtree(tree.root)), 1900, args.year + 1)
    rows = []
    warnings.simplefilter("ignore")
    for rid, g in monthly.groupby("region_id", sort=True):
        s = g.assign(month=pd.to_datetime(g["month"]).dt.to_period("M").dt.to_timestamp()) \
             .groupby("month")["value"].sum().asfreq("MS", fill_value=0.0)
        if len(s) < 36 or s.index[-1] != pd.Timestamp(args.year, 12, 1):
            continue
        x = s.to_numpy(dtype="float64")
        train, actual = x[:-12], float(x[-12:].sum())
        if actual <= 0:
            continue
        mean = float(np.mean(np.abs(train)))
        raw, _ = _as_recorded(train)
        out = [rid, actual, raw]
        for level in levels:
            f, _ = _as_recorded(train / mean * level)
            out.append(None if f is None else f / level * mean)
        rows.append(out)
        if len(rows) >= args.regions:
            break
    r = pd.DataFrame(rows, columns=["region_id", "actual", "as recorded"] + [f"level {v:g}" for v in levels]).dropna()
    print(f"{args.archive}: {len(r)} regions, {args.year} forecast from the years before "
          f"(FIT_LEVEL now {holtwinters.FIT_LEVEL:g})")
    for col in r.columns[2:]:
        e = (r[col] - r["actual"]).abs() / r["actual"]
        print(f"  {col:>16}: MAPE {100 * e.mean():5.2f}%  median {100 * e.median():5.2f}%  "
              f"weighted {100 * (r[col] - r['actual']).abs().sum() / r['actual'].sum():5.2f}%")


def _as_recorded(y: np.ndarray):
    """statsmodels' damped Holt-Winters of ``y`` exactly as given (no rescaling): (annual or None, why)."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    with warnings.catch_warnings(record=True) as caught, holtwinters.one_blas_thread():
        warnings.simplefilter("always")
        try:
            fit = ExponentialSmoothing(y, trend="add", damped_trend=True, seasonal="add", seasonal_periods=12,
                                       initialization_method="estimated").fit()
        except (ValueError, np.linalg.LinAlgError) as exc:
            return None, str(exc)
        path = np.asarray(fit.forecast(12), dtype="float64")
    if any(issubclass(w.category, ConvergenceWarning) for w in caught) or not np.isfinite(path).all():
        return None, "not converged"
    return float(path.sum()), ""


if __name__ == "__main__":
    main()
