"""
Rollover: revising the months still to come by what the closed months left undone.

The source's rule (当月按计划未完成回款额滚动加入下月计划): the part of a month's plan not
done is carried into the next month's plan. Three modes, one dispatch (:data:`ROLLOVER_MODES`):
``none`` keeps the plan, ``next_month`` carries each closed month's unmet part into the
next month, ``spread`` spreads the year-to-date shortfall over the remaining months by their
plan profile. Every revised set of months sums exactly to the year's target, in whole
multiples of the plan's unit.

Public names
------------
ROLLOVER_MODES   mode -> the line x 12 function that revises
revise_targets   the revised monthly targets of one line (Series) or many (DataFrame)
rollover_table   one line's months: target, actual, whether closed, what was asked, revised
revise_matrix    the vectorised core on line x 12 arrays (revised and asked)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.errors import DataError, ParamsError
from planlib.rounding import SNAP, check_unit, from_units, largest_remainder
from planlib.tracking.progress import (
    align_rows,
    check_as_of,
    check_no_actuals_after,
    closed_months,
    month_matrix,
    month_starts,
    year_of_lines,
)

__all__ = ["ROLLOVER_MODES", "revise_matrix", "revise_targets", "rollover_table"]

_RANK = np.arange(12)


def _whole_units(values: np.ndarray, unit: float, what: str) -> np.ndarray:
    """``values / unit`` as int64, DataError when a value is not a whole number of units."""
    q = values / unit
    k = np.rint(q)
    bad = np.abs(q - k) > SNAP * np.maximum(1.0, np.abs(q))
    if bad.any():
        r, m = np.argwhere(bad)[0]
        raise DataError(f"{what}: {int(bad.sum())} value(s) are not whole multiples of the unit {unit:g} "
                        f"(first: line {int(r)}, month {int(m) + 1}: {values[r, m]:g})")
    if (k < 0).any():
        raise DataError(f"{what}: targets must not be negative")
    return k.astype(np.int64)


def _floor_units(values: np.ndarray, unit: float) -> np.ndarray:
    """Whole units done: floor(actual / unit), float noise (below 1e-6 of a unit) counting as the whole unit."""
    q = np.nan_to_num(values / unit)
    return np.floor(np.round(q, 6)).astype(np.int64)


def _keep_plan(T: np.ndarray, A: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    return T.copy(), T.copy()


def _next_month(T: np.ndarray, A: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each closed month keeps what it did (up to what it was asked); the rest is added to the next month."""
    revised = T.copy()
    asked = T.copy()
    carry = np.zeros(len(T), dtype=np.int64)
    for m in range(12):
        asked[:, m] = T[:, m] + carry
        if m < k and m < 11:
            kept = np.clip(A[:, m], 0, asked[:, m])
            revised[:, m] = kept
            carry = asked[:, m] - kept
        else:
            revised[:, m] = asked[:, m]
            carry = np.zeros(len(T), dtype=np.int64)
    return revised, asked


def _spread_once(T: np.ndarray, A: np.ndarray, k: int) -> np.ndarray:
    """The ``spread`` revision with the first ``k`` months closed."""
    out = T.copy()
    if k <= 0 or k >= 12:
        return out
    closed_t = T[:, :k].sum(axis=1)
    done = np.maximum(A[:, :k].sum(axis=1), 0)
    short = np.maximum(closed_t - done, 0)
    rows = np.flatnonzero(short > 0)
    if not len(rows):
        return out
    # the closed months are booked at what they did: their kept total split by their actuals
    kept = closed_t[rows] - short[rows]
    w = np.maximum(A[rows, :k], 0).astype("float64")
    ws = w.sum(axis=1)
    quotas = np.divide(w * kept[:, None], ws[:, None], out=np.zeros_like(w), where=ws[:, None] > 0)
    out[rows, :k] = largest_remainder(quotas, kept, _RANK[:k])
    # the shortfall goes to the open months by their plan profile (evenly when they plan nothing)
    p = T[rows, k:].astype("float64")
    ps = p.sum(axis=1)
    p = np.where(ps[:, None] > 0, p, 1.0)
    ps = p.sum(axis=1)
    add = largest_remainder(p * (short[rows] / ps)[:, None], short[rows], _RANK[: 12 - k])
    out[rows, k:] = T[rows, k:] + add
    return out


def _spread(T: np.ndarray, A: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The year-to-date shortfall over the open months by their profile; asked = the revision as each month opened."""
    revised = _spread_once(T, A, k)
    asked = revised.copy()
    for m in range(1, min(k, 11) + 1):
        asked[:, m] = _spread_once(T, A, m)[:, m]
    asked[:, 0] = T[:, 0]
    return revised, asked


#: Rollover mode -> function of (targets, actuals in whole units, closed months) -> (revised, asked).
ROLLOVER_MODES = {"none": _keep_plan, "next_month": _next_month, "spread": _spread}


def check_mode(mode: str) -> str:
    """``mode`` if it is a rollover mode, else ParamsError listing the valid ones."""
    if mode not in ROLLOVER_MODES:
        raise ParamsError(f"tracking.rollover: unknown mode {mode!r}; valid modes: {', '.join(ROLLOVER_MODES)}")
    return mode


def revise_matrix(targets: np.ndarray, actuals: np.ndarray, as_of, mode: str = "none", unit=1,
                  what: str = "month_targets") -> tuple[np.ndarray, np.ndarray]:
    """
    Revised and asked targets of line x 12 arrays (the core of :func:`revise_targets`).

    Returns
    -------
    (revised, asked) : ndarray
        In the targets' terms (int64 for a whole-number unit, else floats at the unit's
        decimals); each row of ``revised`` sums to the row's year target. ``asked`` is each
        month's target as it stood when the month opened (see :func:`rollover_table`).
    """
    fn = ROLLOVER_MODES[check_mode(mode)]
    u = check_unit(unit)
    T = _whole_units(np.asarray(targets, dtype="float64"), u, what)
    A = _floor_units(np.asarray(actuals, dtype="float64"), u)
    revised, asked = fn(T, A, closed_months(as_of))
    return from_units(revised, u), from_units(asked, u)


def revise_targets(month_targets, month_actuals, as_of, mode: str = "none", unit=1):
    """
    Revise the months still to come by what the closed months left undone.

    Parameters
    ----------
    month_targets : Series or DataFrame
        The plan's monthly targets of one line (a Series by month: month-start Timestamps
        or month numbers 1–12) or of many (a DataFrame, one row per line, the months as
        columns). Whole multiples of ``unit``; absent months count as 0.
    month_actuals : Series or DataFrame
        The actuals in the same shape, up to ``as_of`` (later months absent, NaN or 0).
    as_of : date
        Inside the plan year. The closed months are those over by then (a month whose
        last day is ``as_of`` is closed); the month of ``as_of`` is still open.
    mode : {"none", "next_month", "spread"}, default "none"
        ``tracking.rollover``.
    unit : int or float, default 1
        The plan's unit (volume) or 0.01 (money): every revised target is a whole number
        of it.

    Returns
    -------
    Series or DataFrame
        The twelve revised monthly targets in the input's shape (all twelve months, the
        input's month labels), each line summing exactly to its year target.

    Raises
    ------
    ParamsError
        An unknown mode (the valid ones are listed) or ``as_of`` outside the plan year.
    DataError
        Targets that are not whole multiples of ``unit`` or negative, or actuals after ``as_of``.

    Notes
    -----
    Work in whole units: T_m = target_m / unit, D_m = floor(actual_m / unit) (what a
    month did, in whole units); k closed months.

    - ``none``: R_m = T_m.
    - ``next_month``: going through the months in order with carry c_1 = 0, the month's
      target as asked is Q_m = T_m + c_m. A closed month keeps K_m = min(max(D_m, 0), Q_m)
      (R_m = K_m) and carries c_{m+1} = Q_m − K_m into the next month; the first open month
      gets R = T + c and the later ones their plan. An unmet revised target rolls again
      (cumulative). December has no next month in the year: closed unmet, it keeps its
      target. **A surplus does not cut later targets**: a month that did more than asked
      keeps R_m = Q_m and carries nothing.
    - ``spread``: the shortfall to date S = max(Σ_{m≤k} T_m − max(Σ_{m≤k} D_m, 0), 0) (net: a
      surplus in one closed month offsets a shortfall in another). With S > 0 the closed
      months are booked at what they did (their total Σ T − S split by their actuals,
      largest remainder) and S is added to the open months in proportion to their
      targets (evenly when they plan nothing), largest remainder, ties to the earlier
      month. **A surplus to date (S = 0) does not cut later targets.** With every month
      closed nothing is left to spread: R = T.

    In every mode Σ_m R_m = Σ_m T_m exactly: what leaves a closed month is added to a later one.

    Examples
    --------
    >>> months = pd.to_datetime(["2027-01-01", "2027-02-01", "2027-03-01"])
    >>> t = pd.Series([100, 100, 100], index=months)
    >>> a = pd.Series([80, 90], index=months[:2])
    >>> revise_targets(t, a, "2027-02-28", "next_month").iloc[:3].tolist()
    [80, 90, 130]
    >>> revise_targets(t, a, "2027-02-28", "spread").iloc[:3].tolist()
    [80, 90, 130]
    """
    like_series = isinstance(month_targets, pd.Series)
    year = year_of_lines(month_targets, as_of)
    ts = check_as_of(as_of, year)
    check_mode(mode)
    T, index = month_matrix(month_targets, year, "month_targets")
    A, a_index = month_matrix(month_actuals, year, "month_actuals")
    if not like_series:
        A = align_rows(A, a_index, index)
    check_no_actuals_after(A, ts, "month_actuals")
    revised, _ = revise_matrix(T, A, ts, mode, unit)
    labels = _month_labels(month_targets, year)
    if like_series:
        return pd.Series(revised[0], index=labels, name=month_targets.name)
    return pd.DataFrame(revised, index=index, columns=labels)


def _month_labels(values, year: int) -> pd.Index:
    """The twelve month labels in the input's kind: Timestamps, or the numbers 1–12."""
    cols = values.index if isinstance(values, pd.Series) else values.columns
    if len(cols) and pd.api.types.is_integer_dtype(pd.Index(cols)):
        return pd.RangeIndex(1, 13, name=getattr(cols, "name", None))
    return month_starts(year)


def rollover_table(month_targets: pd.Series, month_actuals: pd.Series, as_of, mode: str = "none",
                   unit=1) -> pd.DataFrame:
    """
    One line's months under a rollover mode: what was planned, asked, done and revised.

    Parameters
    ----------
    As :func:`revise_targets`, for one line (Series).

    Returns
    -------
    DataFrame
        Indexed by the twelve months: ``target`` (the plan), ``actual`` (null after
        ``as_of``), ``closed`` (the month is over), ``asked`` (the month's target as it
        stood when the month opened: plan + carry for ``next_month``, the revision at the
        previous month's end for ``spread``; for months not yet open, the revision as of
        now), ``revised`` (:func:`revise_targets`, summing to the year).

    Notes
    -----
    A score of a closed month measures its actual against ``asked`` (the clerk's
    collection rate with the unmet part rolled in); ``revised`` is the set of months that
    adds up to the year, with each closed month booked at what it kept.

    Examples
    --------
    >>> months = pd.to_datetime(["2027-01-01", "2027-02-01", "2027-03-01"])
    >>> t = rollover_table(pd.Series([100, 100, 100], index=months),
    ...                    pd.Series([80, 90], index=months[:2]), "2027-02-28", "next_month")
    >>> t.loc[months, "asked"].tolist()
    [100, 120, 130]
    """
    if not isinstance(month_targets, pd.Series):
        raise DataError("rollover_table takes one line: month_targets must be a Series by month")
    year = year_of_lines(month_targets, as_of)
    ts = check_as_of(as_of, year)
    T, _ = month_matrix(month_targets, year, "month_targets")
    A, _ = month_matrix(month_actuals, year, "month_actuals")
    check_no_actuals_after(A, ts, "month_actuals")
    revised, asked = revise_matrix(T, A, ts, mode, unit)
    labels = _month_labels(month_targets, year)
    started = np.arange(12) < ts.month
    actual = pd.array(A[0], dtype="Float64")
    actual[~started] = pd.NA
    return pd.DataFrame({"target": from_units(_whole_units(T, check_unit(unit), "month_targets"), check_unit(unit))[0],
                         "actual": actual, "closed": np.arange(12) < closed_months(ts),
                         "asked": asked[0], "revised": revised[0]}, index=labels)
