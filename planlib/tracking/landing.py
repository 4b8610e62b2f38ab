"""
The landing forecast: where the year lands at the current pace, and the run-rate that would close the gap.

The plan's baseline (:mod:`planlib.targets.baseline`) is a level times a month profile. Here
the profile is the plan's own (its month targets) and the level is refitted on the actuals
to date: how far ahead or behind the profile the year is running. Two ways to measure that
pace, one dispatch (:data:`LANDING_METHODS`).

Public names
------------
LANDING_METHODS   method -> the pace it measures (``profile``, the default, or ``recent``)
landing           actual to date + re-forecast of the remaining months, the gap and the run-rate needed
landing_matrix    the same on line x 12 arrays, with the re-forecast month by month
LANDING_COLUMNS   the columns of :func:`landing`
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.errors import ParamsError
from planlib.tracking.progress import (
    align_rows,
    check_as_of,
    check_no_actuals_after,
    elapsed_fractions,
    month_matrix,
    nullable,
    year_of_lines,
)

__all__ = ["LANDING_COLUMNS", "LANDING_METHODS", "landing", "landing_matrix"]

#: Columns of :func:`landing`.
LANDING_COLUMNS = ("year_target", "actual_to_date", "pace", "reforecast", "landing", "gap", "shortfall",
                   "months_remaining", "run_rate_needed", "method")

#: Months of the ``recent`` method's window (the as-of month and the two before it).
RECENT_MONTHS = 3


def _pace_to_date(T: np.ndarray, A: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Actual to date over target to date: the year's level relative to the profile."""
    td = T @ e
    ad = (A * (e > 0)).sum(axis=1)
    return np.divide(ad, td, out=np.ones_like(td), where=td > 0)


def _pace_recent(T: np.ndarray, A: np.ndarray, e: np.ndarray) -> np.ndarray:
    """The same ratio over the last three months elapsed (the month of as-of pro rata)."""
    last = int(np.flatnonzero(e > 0)[-1])
    w = np.zeros(12)
    w[max(0, last - RECENT_MONTHS + 1): last + 1] = 1.0
    td = T @ (e * w)
    ad = (A * w).sum(axis=1)
    whole = _pace_to_date(T, A, e)
    return np.divide(ad, td, out=whole, where=td > 0)


#: Landing method -> pace (line x 12 targets, actuals, elapsed shares -> one ratio per line).
LANDING_METHODS = {"profile": _pace_to_date, "recent": _pace_recent}


def landing_matrix(targets: np.ndarray, actuals: np.ndarray, as_of, method: str = "profile") -> dict[str, np.ndarray]:
    """
    :func:`landing` on line x 12 arrays; ``months`` holds the re-forecast of each month
    (the actual for the months over, actual + pace × the unelapsed part of the as-of month's
    target, pace × target after).
    """
    if method not in LANDING_METHODS:
        raise ParamsError(f"unknown landing method {method!r}; valid methods: {', '.join(LANDING_METHODS)}")
    ts = pd.Timestamp(as_of)
    e = elapsed_fractions(ts, ts.year)
    T = np.asarray(targets, dtype="float64")
    A = np.where(e > 0, np.asarray(actuals, dtype="float64"), 0.0)
    pace = LANDING_METHODS[method](T, A, e)
    rest = T * (1.0 - e)
    months = A + pace[:, None] * rest
    year = T.sum(axis=1)
    ad = A.sum(axis=1)
    reforecast = pace * rest.sum(axis=1)
    land = ad + reforecast
    left = float((1.0 - e).sum())
    shortfall = np.maximum(year - ad, 0.0)
    run_rate = shortfall / left if left > 0 else np.where(shortfall > 0, np.nan, 0.0)
    return {"year_target": year, "actual_to_date": ad, "pace": pace, "reforecast": reforecast, "landing": land,
            "gap": land - year, "shortfall": shortfall, "months_remaining": np.full(len(T), left),
            "run_rate_needed": np.broadcast_to(run_rate, year.shape).astype("float64"), "months": months}


def landing(month_targets, month_actuals, as_of, method: str = "profile") -> pd.DataFrame:
    """
    Where the year lands: actual to date plus the re-forecast of the months left.

    Parameters
    ----------
    month_targets : Series or DataFrame
        The plan's monthly targets of one line (Series by month) or many (DataFrame, months
        as columns), as :func:`planlib.tracking.progress.month_matrix` reads them.
    month_actuals : Series or DataFrame
        The actuals in the same shape, up to ``as_of``.
    as_of : date
        Inside the plan year.
    method : {"profile", "recent"}, default "profile"
        How the year's pace is measured (see Notes).

    Returns
    -------
    DataFrame
        One row per line with :data:`LANDING_COLUMNS`: ``year_target``, ``actual_to_date``,
        ``pace`` (the level against the plan's profile), ``reforecast`` (the months left),
        ``landing``, ``gap`` (landing − year target; < 0 short), ``shortfall`` (year target
        − actual to date, ≥ 0), ``months_remaining``, ``run_rate_needed`` (null when no
        time is left but the target is not met) and ``method``.

    Raises
    ------
    ParamsError
        An unknown method (the valid ones are listed) or ``as_of`` outside the plan year.
    DataError
        Actuals after ``as_of``, months outside the plan year.

    Notes
    -----
    With T_m, A_m the month targets and actuals and e_m the elapsed share of each month
    (1 for months over, d/D for the month of as-of, 0 after), the plan's baseline idea —
    a level times a month profile — refitted on the actuals::

        pace p     profile: Σ_m A_m / Σ_m T_m·e_m          (the whole year to date)
                   recent:  the same over the as-of month and the two before it
        reforecast = p · Σ_m T_m·(1 − e_m)
        landing    = Σ_m A_m + reforecast
        gap        = landing − Σ_m T_m
        run rate needed = max(Σ T − Σ A, 0) / Σ_m (1 − e_m)    per month left

    Without a target to date the pace is 1 (no evidence: the rest of the plan); ``recent``
    without a target in its window uses the year-to-date pace.

    Back-test on the demo archive (42 counties, own sales; the plan's profile for 2026 from
    the 2024–2025 history by :func:`planlib.targets.festival_month_shares`; landing of
    2026 from the 2026 actuals to the end of March, June and September; weighted absolute
    error Σ|landing − actual| / Σ actual):

    ========  ======  ======  ======  =======
    volume    Mar     Jun     Sep     all
    ========  ======  ======  ======  =======
    profile   3.44%   2.08%   3.27%   2.93%
    recent    3.44%   2.10%   4.72%   3.42%
    ========  ======  ======  ======  =======

    (revenue: profile 3.08%, recent 3.67%). The damped Holt-Winters of the plan's baseline
    refitted on history + actuals did worse (4.51% on volume) and needs a fit per line
    (~1 s each), too slow for a national plan; ``profile`` is the default.

    Examples
    --------
    >>> months = pd.date_range("2027-01-01", periods=12, freq="MS")
    >>> t = pd.Series([100.0] * 12, index=months)
    >>> r = landing(t, pd.Series([90.0] * 6, index=months[:6]), "2027-06-30").iloc[0]
    >>> float(r["landing"]), float(r["gap"]), float(r["run_rate_needed"])
    (1080.0, -120.0, 110.0)
    """
    like_series = isinstance(month_targets, pd.Series)
    year = year_of_lines(month_targets, as_of)
    ts = check_as_of(as_of, year)
    T, index = month_matrix(month_targets, year, "month_targets")
    A, a_index = month_matrix(month_actuals, year, "month_actuals")
    if not like_series:
        A = align_rows(A, a_index, index)
    check_no_actuals_after(A, ts, "month_actuals")
    res = landing_matrix(T, A, ts, method)
    out = pd.DataFrame({k: res[k] for k in LANDING_COLUMNS if k != "method"}, index=None if like_series else index)
    out["run_rate_needed"] = nullable(out["run_rate_needed"].to_numpy())
    out["method"] = method
    return out
