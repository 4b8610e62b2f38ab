"""
Progress against the plan: completion, time progress (序时进度) and task progress.

Everything here takes a plan's twelve months, either one line (a Series indexed by the
months) or many lines at once (a DataFrame with one row per line and the months as its
columns), and an as-of date inside the plan year. The matrix functions (``*_matrix``) are
the vectorised cores the plan-wide assembly calls on every region at once.

Public names
------------
check_as_of        the as-of date as a Timestamp, or ParamsError when it is outside the plan year
plan_year_of       the one calendar year of a set of months
month_starts       the twelve month starts of a plan year
elapsed_fractions  the share of each month's days elapsed by the as-of date
closed_months      how many months are over by the as-of date
month_matrix       one or many lines of months as a line x 12 array (and how to give them back)
completion         actual / target, null where there is no target
time_progress      序时进度: the share of the year's target the plan's month profile puts before as-of
progress           target and actual to date, completion, time progress, task progress and the gap
progress_matrix    the same on line x 12 arrays

Helpers of the tracking package
-------------------------------
year_of_lines, align_rows, nullable, check_no_actuals_after
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.errors import DataError, ParamsError

__all__ = [
    "PROGRESS_COLUMNS",
    "STATUS",
    "align_rows",
    "check_as_of",
    "check_no_actuals_after",
    "closed_months",
    "completion",
    "elapsed_fractions",
    "month_matrix",
    "month_starts",
    "nullable",
    "plan_year_of",
    "progress",
    "progress_matrix",
    "time_progress",
    "year_of_lines",
]

#: Columns of :func:`progress` (after the line's index).
PROGRESS_COLUMNS = ("year_target", "target_to_date", "actual_to_date", "completion_to_date", "time_progress",
                    "task_progress", "gap", "gap_points", "status")

#: How a line stands against its time progress: actual to date above, below or at its target to date.
STATUS = ("ahead", "behind", "on plan")


def check_as_of(as_of, plan_year: int) -> pd.Timestamp:
    """
    The as-of date as a midnight Timestamp, checked to lie inside the plan year.

    Raises
    ------
    ParamsError
        If ``as_of`` is not a date, or falls outside 1 January – 31 December of ``plan_year``.
    """
    try:
        ts = pd.Timestamp(as_of)
    except (TypeError, ValueError):
        raise ParamsError(f"as_of must be a date such as {plan_year}-06-30, got {as_of!r}") from None
    if pd.isna(ts):
        raise ParamsError(f"as_of must be a date such as {plan_year}-06-30, got {as_of!r}")
    ts = ts.normalize()
    if ts.year != int(plan_year):
        raise ParamsError(f"as_of {ts:%Y-%m-%d} is outside the plan year {int(plan_year)}: "
                          f"give a date from {int(plan_year)}-01-01 to {int(plan_year)}-12-31")
    return ts


def plan_year_of(months, what: str = "months") -> int:
    """
    The one calendar year of ``months`` (Timestamps, datetime64 or dates).

    Raises
    ------
    DataError
        If there are no months, or they span more than one year.
    """
    values = pd.DatetimeIndex(pd.to_datetime(pd.Index(months).unique()))
    years = sorted(set(values.dropna().year))
    if len(years) != 1:
        found = ", ".join(str(y) for y in years) or "none"
        raise DataError(f"{what} must lie in one plan year; found years {found}")
    return int(years[0])


def month_starts(plan_year: int) -> pd.DatetimeIndex:
    """The twelve month starts of the plan year (the months of the targets table)."""
    return pd.date_range(f"{int(plan_year)}-01-01", periods=12, freq="MS")


def elapsed_fractions(as_of, plan_year: int | None = None) -> np.ndarray:
    """
    The share of each month's days elapsed by the as-of date (inclusive).

    Returns
    -------
    ndarray
        12 floats: 1 for the months over by ``as_of`` (including the month it ends),
        d / D for the month of ``as_of`` (d its day, D the month's days), 0 after.
    """
    ts = check_as_of(as_of, pd.Timestamp(as_of).year if plan_year is None else plan_year)
    out = np.zeros(12)
    out[: ts.month - 1] = 1.0
    out[ts.month - 1] = ts.day / ts.days_in_month
    return out


def closed_months(as_of) -> int:
    """How many months of the plan year are over by ``as_of`` (its own month counts when it is its last day)."""
    ts = pd.Timestamp(as_of).normalize()
    return ts.month if ts.day == ts.days_in_month else ts.month - 1


def month_matrix(values, plan_year: int | None = None, what: str = "month_targets"):
    """
    One or many lines of monthly values as a line x 12 float array.

    Parameters
    ----------
    values : Series or DataFrame
        A Series indexed by month (month-start Timestamps of one year, or the month
        numbers 1–12), or a DataFrame with one row per line and those months as columns.
        Absent months count as 0; a missing value (NaN) too.
    plan_year : int, optional
        The plan year the months must lie in (Timestamps only).

    Returns
    -------
    (ndarray, index or None)
        The n x 12 array (1 x 12 for a Series) and the DataFrame's index (None for a Series).

    Raises
    ------
    DataError
        Months outside the plan year, month numbers outside 1–12, or values that are not numbers.
    """
    if isinstance(values, pd.Series):
        frame, index = values.to_frame().T, None
    elif isinstance(values, pd.DataFrame):
        frame, index = values, values.index
    else:
        raise DataError(f"{what} must be a Series indexed by month or a DataFrame with months as columns, "
                        f"got {type(values).__name__}")
    cols = pd.Index(frame.columns)
    if len(cols) and pd.api.types.is_integer_dtype(cols):
        pos = np.asarray(cols, dtype=np.int64) - 1
        if ((pos < 0) | (pos > 11)).any():
            raise DataError(f"{what}: month numbers must be 1–12, got {sorted(set(cols.tolist()))}")
    elif len(cols):
        try:
            stamps = pd.DatetimeIndex(pd.to_datetime(cols))
        except (TypeError, ValueError):
            raise DataError(f"{what}: months must be month-start Timestamps or month numbers 1–12, "
                            f"got {list(cols[:3])}") from None
        year = plan_year_of(stamps, what) if plan_year is None else int(plan_year)
        bad = stamps[(stamps.year != year) | (stamps.day != 1)]
        if len(bad):
            raise DataError(f"{what}: months must be the first days of the months of {year}, "
                            f"got {', '.join(f'{d:%Y-%m-%d}' for d in bad[:3])}")
        pos = np.asarray(stamps.month, dtype=np.int64) - 1
    else:
        pos = np.zeros(0, dtype=np.int64)
    if len(set(pos.tolist())) != len(pos):
        raise DataError(f"{what}: a month appears twice")
    try:
        data = frame.to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError):
        raise DataError(f"{what}: values must be numbers") from None
    out = np.zeros((len(frame), 12))
    out[:, pos] = np.nan_to_num(data, nan=0.0)
    return out, index


def completion(actual, target):
    """
    Completion, actual / target, null (``<NA>``) where the target is not positive or the actual is missing.

    Parameters
    ----------
    actual, target : scalar, array-like or Series
        Same shape; a Series keeps its index.

    Returns
    -------
    float, None, or Float64 array/Series
        For scalars a float, or None without a target; else a nullable ``Float64``
        array (a Series when ``actual`` or ``target`` is one).

    Notes
    -----
    completion = actual / target where target > 0. A zero target has no completion (it
    is not 0% and not infinite): the result is null, never NaN or a division by zero.

    Examples
    --------
    >>> completion(80, 100)
    0.8
    >>> completion(5, 0) is None
    True
    """
    if np.isscalar(actual) and np.isscalar(target):
        a, t = float(actual), float(target)
        return a / t if t > 0 and np.isfinite(a) else None
    index = actual.index if isinstance(actual, pd.Series) else target.index if isinstance(target, pd.Series) else None
    a = _floats(actual)
    t = _floats(target)
    ok = (t > 0) & np.isfinite(a)
    values = np.divide(a, t, out=np.zeros(np.broadcast(a, t).shape), where=ok)
    out = pd.arrays.FloatingArray(values, ~np.broadcast_to(ok, values.shape))
    return pd.Series(out, index=index) if index is not None else out


def _floats(values) -> np.ndarray:
    """Values as float64, missing (None, NA) as NaN."""
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.array
    if isinstance(values, pd.api.extensions.ExtensionArray):
        return np.asarray(values.to_numpy(dtype="float64", na_value=np.nan), dtype="float64")
    return np.asarray(pd.array(np.asarray(values, dtype=object) if np.asarray(values).dtype == object else values,
                               dtype="Float64").to_numpy(dtype="float64", na_value=np.nan), dtype="float64")


def _calendar_share(ts: pd.Timestamp) -> float:
    days = 366 if ts.is_leap_year else 365
    return ts.day_of_year / days


def time_progress(month_targets, as_of):
    """
    序时进度: the share of the year's target that the plan's own month profile puts before ``as_of``.

    Parameters
    ----------
    month_targets : Series or DataFrame
        One line's twelve monthly targets (a Series by month) or many (a DataFrame with
        the months as columns); see :func:`month_matrix`.
    as_of : date
        Inside the plan year (the year of the months).

    Returns
    -------
    float or Series
        One share in [0, 1] per line (a Series over the DataFrame's index).

    Raises
    ------
    ParamsError
        If ``as_of`` is outside the plan year.

    Notes
    -----
    With T_m the month targets and e_m the elapsed share of month m (:func:`elapsed_fractions`:
    1 for months over, d / D_m for the month of as-of, 0 after)::

        time progress = Σ_m T_m · e_m / Σ_m T_m

    so a month's target counts in full once the month is over, and pro rata by its days
    while it runs; as-of on a month's last day counts that whole month. A line without a
    target for the year (Σ T = 0) has no profile of its own: it gets the calendar share
    (day of the year / days in the year), so it is never NaN.

    Examples
    --------
    >>> t = pd.Series([100.0, 300.0], index=pd.to_datetime(["2027-01-01", "2027-02-01"]))
    >>> time_progress(t, "2027-02-14")  # all of January, 14/28 of February
    0.625
    """
    like_series = isinstance(month_targets, pd.Series)
    year = year_of_lines(month_targets, as_of)
    ts = check_as_of(as_of, year)
    targets, index = month_matrix(month_targets, year)
    share = progress_matrix(targets, np.zeros_like(targets), ts)["time_progress"]
    return float(share[0]) if like_series else pd.Series(share, index=index, name="time_progress")


def year_of_lines(months, as_of) -> int:
    """The plan year of a Series by month or a DataFrame with months as columns (Timestamps); else the as-of date's year."""
    cols = months.index if isinstance(months, pd.Series) else months.columns
    if len(cols) and not pd.api.types.is_integer_dtype(pd.Index(cols)):
        try:
            return plan_year_of(pd.to_datetime(pd.Index(cols)))
        except (TypeError, ValueError):
            pass
    return pd.Timestamp(as_of).year


def progress_matrix(targets: np.ndarray, actuals: np.ndarray, as_of) -> dict[str, np.ndarray]:
    """
    :func:`progress` on line x 12 arrays (months after ``as_of`` in ``actuals`` are ignored).

    Returns
    -------
    dict of arrays
        One value per line for each of :data:`PROGRESS_COLUMNS`; ``completion_to_date``,
        ``task_progress`` and ``gap_points`` are NaN where the target is zero (the callers
        turn them into nulls).
    """
    ts = pd.Timestamp(as_of)
    e = elapsed_fractions(ts, ts.year)
    T = np.asarray(targets, dtype="float64")
    A = np.asarray(actuals, dtype="float64")
    year = T.sum(axis=1)
    to_date = T @ e
    actual = np.where(e > 0, A, 0.0).sum(axis=1)
    has = year > 0
    time = np.where(has, np.divide(to_date, year, out=np.zeros_like(year), where=has), _calendar_share(ts))
    task = np.where(has, np.divide(actual, year, out=np.zeros_like(year), where=has), np.nan)
    comp = np.where(to_date > 0, np.divide(actual, to_date, out=np.zeros_like(year), where=to_date > 0), np.nan)
    gap = actual - to_date
    tol = 1e-9 * np.maximum(1.0, np.abs(to_date))
    status = np.where(gap > tol, STATUS[0], np.where(gap < -tol, STATUS[1], STATUS[2])).astype(object)
    return {"year_target": year, "target_to_date": to_date, "actual_to_date": actual, "completion_to_date": comp,
            "time_progress": time, "task_progress": task, "gap": gap, "gap_points": (task - time) * 100.0,
            "status": status}


def check_no_actuals_after(actuals: np.ndarray, as_of, what: str) -> None:
    """DataError when a line has a non-zero actual in a month that starts after ``as_of``."""
    after = np.arange(12) >= pd.Timestamp(as_of).month
    bad = np.flatnonzero((np.abs(actuals[:, after]) > 0).any(axis=1)) if after.any() else np.zeros(0, dtype=int)
    if len(bad):
        raise DataError(f"{what}: {len(bad)} line(s) have actuals in months after as_of {pd.Timestamp(as_of):%Y-%m-%d}; "
                        "pass the actuals up to the as-of date only")


def progress(month_targets, month_actuals, as_of) -> pd.DataFrame:
    """
    Where a line stands at ``as_of``: target and actual to date, completion, time and task progress, the gap.

    Parameters
    ----------
    month_targets : Series or DataFrame
        The plan's monthly targets of one line (Series by month) or many (DataFrame,
        months as columns).
    month_actuals : Series or DataFrame
        The actuals in the same shape, up to ``as_of`` (the month of as-of holds what is
        recorded so far; later months absent, NaN or 0).
    as_of : date
        Inside the plan year.

    Returns
    -------
    DataFrame
        One row per line (one row for a Series) with :data:`PROGRESS_COLUMNS`:
        ``year_target``, ``target_to_date``, ``actual_to_date``, ``completion_to_date``,
        ``time_progress``, ``task_progress``, ``gap`` (units), ``gap_points`` (percentage
        points) and ``status`` (``ahead``, ``behind``, ``on plan``). Completion, task
        progress and gap points are null (``<NA>``) for a line without a target.

    Raises
    ------
    ParamsError
        If ``as_of`` is outside the plan year.
    DataError
        Months outside the plan year, or actuals in months after ``as_of``.

    Notes
    -----
    With T_m, A_m the month targets and actuals and e_m the elapsed share of each month::

        year target      Y  = Σ T_m
        target to date   TD = Σ T_m · e_m
        actual to date   AD = Σ_{m: e_m > 0} A_m
        completion          = AD / TD                     (null when TD = 0)
        time progress       = TD / Y                      (calendar share when Y = 0)
        task progress       = AD / Y                      (null when Y = 0)
        gap                 = AD − TD                     (units; > 0 ahead of time, < 0 behind)
        gap points          = (task progress − time progress) × 100

    Examples
    --------
    >>> months = pd.to_datetime(["2027-01-01", "2027-02-01", "2027-03-01"])
    >>> p = progress(pd.Series([100.0, 100.0, 200.0], index=months),
    ...              pd.Series([90.0, 120.0], index=months[:2]), "2027-02-28")
    >>> p.loc[0, ["target_to_date", "actual_to_date", "gap"]].astype(float).tolist(), p.loc[0, "status"]
    ([200.0, 210.0, 10.0], 'ahead')
    """
    like_series = isinstance(month_targets, pd.Series)
    year = year_of_lines(month_targets, as_of)
    ts = check_as_of(as_of, year)
    T, index = month_matrix(month_targets, year, "month_targets")
    A, a_index = month_matrix(month_actuals, year, "month_actuals")
    if not like_series:
        A = align_rows(A, a_index, index)
    check_no_actuals_after(A, ts, "month_actuals")
    res = progress_matrix(T, A, ts)
    out = pd.DataFrame({k: res[k] for k in PROGRESS_COLUMNS}, index=None if like_series else index)
    for col in ("completion_to_date", "task_progress", "gap_points"):
        out[col] = nullable(out[col].to_numpy())
    return out


def align_rows(values: np.ndarray, index, to_index) -> np.ndarray:
    """Rows of ``values`` (indexed by ``index``) in the order of ``to_index``; absent rows are 0."""
    if index is None or to_index is None or index.equals(to_index):
        return values
    pos = pd.Index(index).get_indexer(to_index)
    out = np.zeros((len(to_index), 12))
    out[pos >= 0] = values[pos[pos >= 0]]
    return out


def nullable(values) -> pd.arrays.FloatingArray:
    """A float array as nullable Float64, NaN as <NA>."""
    values = np.asarray(values, dtype="float64")
    nan = np.isnan(values)
    return pd.arrays.FloatingArray(np.where(nan, 0.0, values), nan)
