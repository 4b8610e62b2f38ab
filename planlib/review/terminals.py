"""
Terminals (outlets): ABC classes from sales against the recorded class, coverage, and
the weekly sales of core (A/B) terminals.

Public names: :func:`terminal_classes`, :func:`coverage`, :func:`core_weekly`,
:func:`holiday_uplift`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.calendar import HOLIDAY_WINDOWS, holiday_date
from planlib.frames import group_sums as _group_sums
from planlib.frames import key_codes as _codes
from planlib.frames import mapped_key_codes as _mapped_codes
from planlib.review.sales import abc_classes
from planlib.schemas import OWN_BRAND

__all__ = ["terminal_classes", "coverage", "core_weekly", "holiday_uplift"]


def _own_mask(sales: pd.DataFrame, grain: str) -> np.ndarray:
    """Which rows are own rows of one grain with a terminal (no copy of the rows)."""
    return ((sales["grain"] == grain) & (sales["brand"] == OWN_BRAND) & sales["terminal_id"].notna()).to_numpy()


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
        Cumulative-share limits of A, B and C (see :func:`planlib.review.abc_classes`).
    groups : Series, optional
        terminal_id -> market; default one market for all.

    Returns
    -------
    DataFrame
        terminal_id, name, channel, recorded_class, revenue, share, cum_share,
        computed_class, mismatch — every terminal of the region, sorted by revenue.
    """
    years = sales["year"] if "year" in sales else pd.to_datetime(sales["date"]).dt.year  # monthly_sales' rows have it
    keep = _own_mask(sales, "month") & (years == year).to_numpy()
    kt, ids = _codes(sales["terminal_id"])
    (ct,), (sums,), _ = _group_sums([np.where(keep, kt, -1)], [len(ids)], [sales["revenue"]])
    revenue = pd.Series(sums, index=ids.take(ct)).reindex(terminals["terminal_id"], fill_value=0.0)
    revenue.index.name = "terminal_id"
    abc = abc_classes(revenue, thresholds=thresholds, groups=groups)
    ids = abc.index
    rank, _ = _codes(ids)
    order = np.lexsort((np.where(rank < 0, len(rank), rank), -abc["value"].to_numpy()))  # revenue descending, then id
    abc, ids = abc.take(order), ids.take(order)
    cols = ["terminal_id", "name", "channel", "recorded_class", "revenue", "share", "cum_share", "computed_class", "mismatch"]
    # name, channel and class by position: the ids are the terminals' own (a left merge when ids repeat)
    at = pd.Index(terminals["terminal_id"]).get_indexer(ids) if terminals["terminal_id"].is_unique else None
    if at is not None and (at >= 0).all():
        out = pd.DataFrame({
            "terminal_id": ids.array, "name": terminals["name"].array.take(at),
            "channel": terminals["channel"].array.take(at), "recorded_class": terminals["terminal_class"].array.take(at),
            "revenue": abc["value"].array, "share": abc["share"].array, "cum_share": abc["cum_share"].array,
            "computed_class": abc["abc_class"].array,
        })  # fmt: skip
        out["mismatch"] = (out["recorded_class"] != out["computed_class"]).to_numpy()
        return out  # the columns in order already
    recorded = terminals[["terminal_id", "name", "channel", "terminal_class"]]
    if recorded["terminal_id"].is_unique:
        info = recorded.set_index("terminal_id").reindex(ids)
        out = pd.DataFrame({
            "terminal_id": ids.array, "name": info["name"].array, "channel": info["channel"].array,
            "recorded_class": info["terminal_class"].array, "revenue": abc["value"].array,
            "share": abc["share"].array, "cum_share": abc["cum_share"].array, "computed_class": abc["abc_class"].array,
        })  # fmt: skip
    else:
        out = abc.rename_axis("terminal_id").reset_index().merge(
            recorded.rename(columns={"terminal_class": "recorded_class"}), on="terminal_id", how="left"
        ).rename(columns={"value": "revenue", "abc_class": "computed_class"})
    out["mismatch"] = (out["recorded_class"] != out["computed_class"]).to_numpy()
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
    keep = _own_mask(sales, "month")
    active = np.zeros(len(terminals), dtype=bool)
    dates = pd.to_datetime(sales["date"]).to_numpy()
    known = dates[keep][~np.isnat(dates[keep])]
    if len(known):
        start = (pd.Timestamp(known.max()) - pd.DateOffset(months=months - 1)).to_datetime64()
        window = keep & (dates >= start) & (sales["volume"] > 0).to_numpy()
        kt, ids = _codes(sales["terminal_id"])
        bought = ids.take(np.flatnonzero(np.bincount(kt[window & (kt >= 0)], minlength=len(ids))))
        active = bought.get_indexer(terminals["terminal_id"]) >= 0
    kc, classes = _codes(terminals["terminal_class"])
    (cc,), (n_active,), counts = _group_sums([kc], [len(classes)], [active])
    n_terminals = np.append(counts, len(terminals)).astype("int64")
    n_active = np.append(n_active, active.sum()).astype("int64")
    return pd.DataFrame({
        "terminal_class": pd.Index(classes.take(cc)).append(pd.Index(["全部"])),
        "terminals": n_terminals, "active": n_active,
        "coverage": n_active / np.where(n_terminals > 0, n_terminals, np.nan),  # NaN for a class without terminals
    })  # fmt: skip


def core_weekly(sales: pd.DataFrame, terminals: pd.DataFrame, *, classes: tuple[str, ...] = ("A", "B")) -> pd.DataFrame:
    """
    Weekly own volume and revenue of the core terminals (weekly-grain rows).

    Returns
    -------
    DataFrame
        date (week start), terminal_class, volume, revenue, terminals (reporting that week).
    """
    core = terminals.loc[terminals["terminal_class"].isin(classes)].set_index("terminal_id")["terminal_class"]
    keep = _own_mask(sales, "week")
    rows = sales if keep.all() else sales.loc[keep, ["date", "terminal_id", "volume", "revenue"]]
    kd, dates = _codes(rows["date"])
    kc, cls, _ = _mapped_codes(rows["terminal_id"], core)
    kt, ids = _codes(rows["terminal_id"])
    (cd, cc), (volume, revenue), _ = _group_sums([kd, kc], [len(dates), len(cls)], [rows["volume"], rows["revenue"]])
    # terminals reporting: distinct (date, class, terminal) cells, counted per (date, class)
    (td, tc, _), _, _ = _group_sums([kd, kc, kt], [len(dates), len(cls), len(ids)])
    _, _, reporting = _group_sums([td, tc], [len(dates), len(cls)])
    return pd.DataFrame({
        "date": dates.take(cd), "terminal_class": cls.take(cc), "volume": volume, "revenue": revenue,
        "terminals": reporting.astype("int64"),
    })  # fmt: skip


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
    kd, dates = _codes(weekly["date"])
    (cd,), (sums,), _ = _group_sums([kd], [len(dates)], [weekly[value]])
    start = pd.DatetimeIndex(pd.to_datetime(dates.take(cd)))
    values = np.asarray(sums, dtype="float64")
    years = start.year.to_numpy()
    start = start.to_numpy()
    end = start + np.timedelta64(6, "D")
    windows = []
    for year in np.unique(years):
        for holiday, (before, after) in HOLIDAY_WINDOWS.items():
            day = pd.Timestamp(holiday_date(holiday, int(year)))
            lo, hi = day - pd.Timedelta(days=before), day + pd.Timedelta(days=after)
            windows.append((int(year), holiday, (start <= hi.to_datetime64()) & (end >= lo.to_datetime64())))
    in_any = np.zeros(len(values), dtype=bool)
    for _, _, mask in windows:
        in_any |= mask
    rows = []
    for year, holiday, mask in windows:
        base = values[(years == year) & ~in_any]
        if not mask.any() or base.size == 0:
            continue
        window_avg = _mean(values[mask])
        baseline = _mean(base)
        rows.append((year, holiday, int(mask.sum()), window_avg, baseline,
                     window_avg / baseline - 1.0 if baseline > 0 else float("nan")))  # fmt: skip
    return pd.DataFrame(rows, columns=["year", "holiday", "window_weeks", "window_avg", "baseline_avg", "uplift"])


def _mean(values: np.ndarray) -> float:
    """The mean of the values present (NaN if none), as ``Series.mean`` computes it."""
    v = values[~np.isnan(values)]
    return float(v.sum() / len(v)) if len(v) else float("nan")
