"""
Terminals (outlets): ABC classes from sales against the recorded class, coverage, and
the weekly sales of core (A/B) terminals.
"""

from __future__ import annotations

import pandas as pd

from planlib.analysis import abc_classes, at_grain
from planlib.calendar import HOLIDAY_WINDOWS, holiday_date
from planlib.schemas import OWN_BRAND

__all__ = ["terminal_classes", "coverage", "core_weekly", "holiday_uplift"]


def _own(sales: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Own rows of one grain with a terminal; frames already reduced pass through uncopied."""
    rows = at_grain(sales, grain)
    keep = (rows["brand"] == OWN_BRAND) & rows["terminal_id"].notna()
    return rows if bool(keep.all()) else rows[keep]


def terminal_classes(
    sales: pd.DataFrame,
    terminals: pd.DataFrame,
    *,
    year: int,
    thresholds: tuple[float, float, float] = (0.5, 0.8, 0.95),
    groups: pd.Series | None = None,
) -> pd.DataFrame:
    """
    ABC classes computed from a year's own revenue, beside the class in the archive.

    Classes are relative to a market: with ``groups`` (terminal_id -> market, e.g. the
    terminal's county) each market's terminals are ranked among themselves, as the
    recorded classes are set market by market.

    Parameters
    ----------
    sales : DataFrame
        Archive sales rows (monthly own rows with terminal_id are used).
    terminals : DataFrame
        The region's terminals (terminal_id, name, terminal_class, channel).
    year : int
        The year whose revenue sets the classes.
    thresholds : tuple
        Cumulative-share limits of A, B and C (see :func:`planlib.analysis.abc_classes`).
    groups : Series, optional
        terminal_id -> market; default one market for all.

    Returns
    -------
    DataFrame
        terminal_id, name, channel, recorded_class, revenue, share, cum_share,
        computed_class, mismatch — every terminal of the region, sorted by revenue.
    """
    rows = _own(sales, "month")
    rows = rows[pd.to_datetime(rows["date"]).dt.year == year]
    revenue = rows.groupby("terminal_id")["revenue"].sum().reindex(terminals["terminal_id"], fill_value=0.0)
    revenue.index.name = "terminal_id"
    abc = abc_classes(revenue, thresholds=thresholds, groups=groups).reset_index()
    abc = abc.sort_values(["value", "terminal_id"], ascending=[False, True], kind="mergesort")
    out = abc.merge(
        terminals[["terminal_id", "name", "channel", "terminal_class"]].rename(columns={"terminal_class": "recorded_class"}),
        on="terminal_id",
        how="left",
    ).rename(columns={"value": "revenue", "abc_class": "computed_class"})
    out["mismatch"] = out["recorded_class"] != out["computed_class"]
    cols = ["terminal_id", "name", "channel", "recorded_class", "revenue", "share", "cum_share", "computed_class", "mismatch"]
    return out[cols]


def coverage(sales: pd.DataFrame, terminals: pd.DataFrame, *, months: int = 3) -> pd.DataFrame:
    """
    Share of the region's terminals that bought in the last ``months`` months of data.

    Returns
    -------
    DataFrame
        terminal_class, terminals, active, coverage — one row per class and a total row ('全部').

    Notes
    -----
    coverage = terminals with own sales > 0 in the window / terminals on record.
    """
    rows = _own(sales, "month")
    if rows.empty:
        last = None
        active_ids: set[str] = set()
    else:
        last = pd.to_datetime(rows["date"]).max()
        start = last - pd.DateOffset(months=months - 1)
        window = rows[(pd.to_datetime(rows["date"]) >= start) & (rows["volume"] > 0)]
        active_ids = set(window["terminal_id"])
    t = terminals.assign(active=terminals["terminal_id"].isin(active_ids))
    g = t.groupby("terminal_class").agg(terminals=("terminal_id", "size"), active=("active", "sum")).reset_index()
    total = pd.DataFrame({"terminal_class": ["全部"], "terminals": [len(t)], "active": [int(t["active"].sum())]})
    g = pd.concat([g, total], ignore_index=True)
    g["coverage"] = g["active"] / g["terminals"].where(g["terminals"] > 0)
    return g


def core_weekly(sales: pd.DataFrame, terminals: pd.DataFrame, *, classes: tuple[str, ...] = ("A", "B")) -> pd.DataFrame:
    """
    Weekly own volume and revenue of the core terminals (weekly-grain rows).

    Returns
    -------
    DataFrame
        date (week start), terminal_class, volume, revenue, terminals (reporting that week).
    """
    core = terminals.loc[terminals["terminal_class"].isin(classes)].set_index("terminal_id")["terminal_class"]
    rows = _own(sales, "week")
    cls = rows["terminal_id"].map(core)
    rows = pd.DataFrame(
        {"date": rows["date"], "terminal_class": cls, "terminal_id": rows["terminal_id"],
         "volume": rows["volume"], "revenue": rows["revenue"]}  # fmt: skip
    ).dropna(subset=["terminal_class"])
    sums = rows.groupby(["date", "terminal_class"])[["volume", "revenue"]].sum()
    sums["terminals"] = rows.drop_duplicates(["date", "terminal_class", "terminal_id"]).groupby(["date", "terminal_class"]).size()
    return sums.reset_index()


def holiday_uplift(weekly: pd.DataFrame, *, value: str = "volume") -> pd.DataFrame:
    """
    Each holiday's weekly sales against the same year's ordinary weeks.

    Parameters
    ----------
    weekly : DataFrame
        ``date`` (week start) and ``value``, e.g. :func:`core_weekly` summed over classes.

    Returns
    -------
    DataFrame
        year, holiday, window_weeks, window_avg, baseline_avg, uplift.

    Notes
    -----
    A week belongs to a holiday window if it overlaps [date − before, date + after]
    (planlib.calendar.HOLIDAY_WINDOWS). baseline_avg is the mean of the year's weeks
    outside every window; uplift = window_avg / baseline_avg − 1.
    """
    w = weekly.groupby("date")[value].sum().reset_index()
    w["date"] = pd.to_datetime(w["date"])
    w["year"] = w["date"].dt.year
    w["end"] = w["date"] + pd.Timedelta(days=6)
    rows = []
    windows = []
    for year in sorted(w["year"].unique()):
        for holiday, (before, after) in HOLIDAY_WINDOWS.items():
            day = pd.Timestamp(holiday_date(holiday, int(year)))
            lo, hi = day - pd.Timedelta(days=before), day + pd.Timedelta(days=after)
            windows.append((int(year), holiday, lo, hi))
    in_any = pd.Series(False, index=w.index)
    for year, holiday, lo, hi in windows:
        mask = (w["date"] <= hi) & (w["end"] >= lo)
        in_any |= mask
    for year, holiday, lo, hi in windows:
        mask = (w["date"] <= hi) & (w["end"] >= lo)
        base = w[(w["year"] == year) & ~in_any][value]
        if not mask.any() or base.empty:
            continue
        window_avg = float(w.loc[mask, value].mean())
        baseline = float(base.mean())
        rows.append((year, holiday, int(mask.sum()), window_avg, baseline,
                     window_avg / baseline - 1.0 if baseline > 0 else float("nan")))  # fmt: skip
    return pd.DataFrame(rows, columns=["year", "holiday", "window_weeks", "window_avg", "baseline_avg", "uplift"])
