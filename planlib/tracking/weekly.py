"""
Weekly core terminals: each week's actuals against the week's share of the monthly targets.

Core terminals report weekly (``grain = 'week'``, weeks starting on Monday). Their targets
are monthly: the targets' rows with their ``terminal_id``. A week's target is the days of
that week in each month times the month's target per day, so a week across a month's end
takes from both months.

Public names
------------
WEEKLY_COLUMNS   the columns of :func:`weekly_tracking`
week_weights     weeks x 12: the share of each month's target that falls in each week
weekly_tracking  per core terminal, week and measure: target, actual, completion
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.errors import DataError
from planlib.tracking.progress import check_as_of, completion

__all__ = ["WEEKLY_COLUMNS", "plan_weeks", "week_weights", "weekly_tracking"]

#: Columns of :func:`weekly_tracking`.
WEEKLY_COLUMNS = ("terminal_id", "region_id", "week", "days", "complete", "measure", "target", "actual",
                  "completion")


def plan_weeks(plan_year: int, as_of) -> pd.DatetimeIndex:
    """The weeks tracked: the Mondays from 1 January of the plan year to ``as_of``."""
    ts = check_as_of(as_of, plan_year)
    start = pd.Timestamp(int(plan_year), 1, 1)
    first = start + pd.Timedelta(days=(7 - start.day_of_week) % 7)
    return pd.date_range(first, ts, freq="7D")


def week_weights(weeks: pd.DatetimeIndex, plan_year: int) -> np.ndarray:
    """
    weeks x 12: the share of each month's target falling in each week.

    Notes
    -----
    W[w, m] = (days of week w that lie in month m of the plan year) / (days of month m).
    Days outside the plan year count nowhere.
    """
    days = weeks.to_numpy()[:, None] + np.arange(7)[None, :] * np.timedelta64(1, "D")
    d = pd.DatetimeIndex(days.ravel())
    inside = np.asarray(d.year == int(plan_year))
    month = np.asarray(d.month, dtype=np.int64) - 1
    per_day = np.where(inside, 1.0 / np.asarray(d.days_in_month, dtype="float64"), 0.0)
    w = np.zeros((len(weeks), 12))
    np.add.at(w, (np.repeat(np.arange(len(weeks)), 7)[inside], month[inside]), per_day[inside])
    return w


def weekly_tracking(targets: pd.DataFrame, actual_weekly: pd.DataFrame, as_of, *, terminal_ids=None) -> pd.DataFrame:
    """
    Per core terminal and week: the week's target from its monthly targets, the actual and the completion.

    Parameters
    ----------
    targets : DataFrame
        A targets table: its rows with a ``terminal_id`` are the terminals' month targets
        (target_volume, target_revenue).
    actual_weekly : DataFrame
        week (Monday), region_id, terminal_id, volume, revenue: the core terminals' weekly
        rows, weeks starting in [1 January, as_of].
    as_of : date
        Inside the plan year (the targets').
    terminal_ids : iterable, optional
        The core terminals to track (default: the terminals of ``actual_weekly``).

    Returns
    -------
    DataFrame
        :data:`WEEKLY_COLUMNS`, one row per terminal, week and measure (volume, revenue):
        ``region_id`` (the region whose targets carry the terminal, else where its weekly
        rows are recorded), ``week`` (its Monday), ``days`` (its days in the plan year),
        ``complete`` (the week ended by as-of), ``target``, ``actual`` (0 for a week without
        a row) and ``completion`` (null where the target is 0).

    Raises
    ------
    DataError
        A week that is not a Monday, or that starts outside [1 January, as_of].

    Notes
    -----
    With T_m the terminal's month target and D_m the days of month m::

        target_w = Σ_{days d of week w in the plan year} T_{month(d)} / D_{month(d)}

    The days of 1 January before the year's first Monday belong to a week that started the
    year before; they are not tracked.

    Examples
    --------
    >>> t = pd.DataFrame({"region_id": ["K1", "K1"], "terminal_id": ["T1", "T1"],
    ...                   "month": pd.to_datetime(["2027-05-01", "2027-06-01"]),
    ...                   "target_volume": [310, 300], "target_revenue": [3100.0, 3000.0]})
    >>> w = pd.DataFrame({"week": pd.to_datetime(["2027-05-31"]), "region_id": ["K1"], "terminal_id": ["T1"],
    ...                   "volume": [80.0], "revenue": [800.0]})
    >>> r = weekly_tracking(t, w, "2027-06-06")
    >>> r.loc[(r["week"] == "2027-05-31") & (r["measure"] == "volume"), ["target", "actual"]].values.tolist()
    [[70.0, 80.0]]
    """
    months = pd.DatetimeIndex(pd.to_datetime(targets["month"]))
    years = sorted(set(months.year))
    year = years[0] if len(years) == 1 else pd.Timestamp(as_of).year
    ts = check_as_of(as_of, year)
    weeks = plan_weeks(year, ts)
    a = actual_weekly
    if a is None:
        a = pd.DataFrame(columns=["week", "region_id", "terminal_id", "volume", "revenue"])
    wk = pd.DatetimeIndex(pd.to_datetime(a["week"])) if len(a) else pd.DatetimeIndex([])
    not_monday = np.asarray(wk.day_of_week != 0)
    if not_monday.any():
        raise DataError(f"actual_weekly: {int(not_monday.sum())} row(s) whose week is not a Monday "
                        f"(first {wk[not_monday][0]:%Y-%m-%d}): weeks start on Monday")
    outside = np.asarray((wk < pd.Timestamp(year, 1, 1)) | (wk > ts))
    if outside.any():
        raise DataError(f"actual_weekly: {int(outside.sum())} row(s) with weeks outside {year}-01-01 … "
                        f"{ts:%Y-%m-%d} (first {wk[outside][0]:%Y-%m-%d})")
    named = targets[targets["terminal_id"].notna()]
    t_ids = named["terminal_id"].astype(object).astype(str).to_numpy()
    if terminal_ids is None:
        core = sorted(set(a["terminal_id"].dropna().astype(str)))
    else:
        core = sorted({str(t) for t in terminal_ids})
    core_index = pd.Index(core, dtype=object)
    n = len(core)
    T = np.zeros((n, 2, 12))
    tp = core_index.get_indexer(t_ids)
    ok = tp >= 0
    mon = np.asarray(pd.DatetimeIndex(pd.to_datetime(named["month"])).month, dtype=np.int64) - 1
    np.add.at(T, (tp[ok], 0, mon[ok]), named["target_volume"].to_numpy(dtype="float64")[ok])
    np.add.at(T, (tp[ok], 1, mon[ok]), named["target_revenue"].to_numpy(dtype="float64")[ok])
    region = dict(zip(t_ids, named["region_id"].astype(object).astype(str)))
    for t, r in zip(a["terminal_id"].astype(object), a["region_id"].astype(object)):
        region.setdefault(str(t), str(r))
    W = week_weights(weeks, year)
    target = np.einsum("nsm,wm->nws", T, W)  # terminal x week x measure
    actual = np.zeros((n, len(weeks), 2))
    if len(a):
        ap = core_index.get_indexer(pd.Index(a["terminal_id"].astype(object).astype(str)))
        wp = weeks.get_indexer(wk)
        keep = (ap >= 0) & (wp >= 0)
        np.add.at(actual, (ap[keep], wp[keep], 0), a["volume"].to_numpy(dtype="float64", na_value=0.0)[keep])
        np.add.at(actual, (ap[keep], wp[keep], 1), a["revenue"].to_numpy(dtype="float64", na_value=0.0)[keep])
    days = _days_in_year(weeks, year).astype(np.int64)
    nw = len(weeks)
    out = pd.DataFrame({
        "terminal_id": np.repeat(np.asarray(core, dtype=object), nw * 2),
        "region_id": np.repeat(np.asarray([region.get(t) for t in core], dtype=object), nw * 2),
        "week": np.tile(np.repeat(weeks.to_numpy(), 2), n),
        "days": np.tile(np.repeat(days, 2), n),
        "complete": np.tile(np.repeat(np.asarray(weeks + pd.Timedelta(days=6) <= ts), 2), n),
        "measure": np.tile(np.array(["volume", "revenue"], dtype=object), n * nw),
        "target": np.round(target.ravel(), 2),
        "actual": actual.ravel(),
    })
    out["completion"] = completion(out["actual"], out["target"])
    return out[list(WEEKLY_COLUMNS)]


def _days_in_year(weeks: pd.DatetimeIndex, year: int) -> np.ndarray:
    end = pd.Timestamp(int(year), 12, 31)
    return np.minimum(7, np.asarray((end - weeks).days) + 1).astype("float64")
