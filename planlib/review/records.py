"""
What the archive holds for one region: each kind of record, how many rows and over which dates.

A plan read from an archive that lacks a table (no market records, no expenses) or whose
history starts late looks the same as a plan read from a full one until a section comes out
empty. :func:`data_coverage` counts each kind of record the review stands on (and names
the ancestor that keeps a kind the region has none of: a township's market kept by its
county is not missing), and :func:`coverage_reading` says in one sentence what is missing
and what therefore cannot be computed, before the manager reads any number;
:func:`period_note` puts the years the region has sales in beside the plan's analysis window
in the page's header.
"""

from __future__ import annotations

import pandas as pd

from planlib import labels
from planlib.archive.queries.review import RegionData
from planlib.schemas import OWN_BRAND

__all__ = ["COVERAGE_SOURCES", "PLAN_SOURCES", "data_coverage", "missing_sources", "coverage_reading", "period_note"]

#: The kinds of record :func:`data_coverage` counts, in the order the review uses them.
COVERAGE_SOURCES = ("sales", "competitor_sales", "market", "expenses", "activities", "competitor_activities",
                    "events", "terminals", "distributors")

#: The kinds without which a section of the plan cannot be computed at all (a region may well
#: have had no activity or event in its history; it always has a market, terminals, spend).
PLAN_SOURCES = ("sales", "competitor_sales", "market", "expenses", "terminals", "distributors")


def data_coverage(data: RegionData, tree=None) -> pd.DataFrame:
    """
    Each kind of record the archive holds for a region: its rows and its first and last date.

    Parameters
    ----------
    data : RegionData
        The region's facts (:func:`planlib.review.load_region_data`), already limited to
        the analysis window where the loader limits them.
    tree : RegionTree, optional
        Names the ancestors in ``recorded_at`` (their ids without it).

    Returns
    -------
    DataFrame
        One row per kind in :data:`COVERAGE_SOURCES` order: ``source`` (the kind's code),
        ``rows`` (int), ``first``, ``last`` (Timestamps; NaT for a kind without dates
        or without rows) and ``recorded_at``: for a kind the region has no row of, the
        ancestor keeping it for its whole subtree (``data.recorded_above``: a township's
        market kept by its county), else missing (NaN: the column is text). Own and competitors' sales and activities are counted
        apart (``brand`` is the own brand or not); an activity spans its start to its end date.
    """
    own_sales = data.sales["brand"] == OWN_BRAND
    own_acts = data.activities["brand"] == OWN_BRAND
    dated = {
        "sales": (data.sales.loc[own_sales, "date"],) * 2,
        "competitor_sales": (data.sales.loc[~own_sales, "date"],) * 2,
        "market": (data.market["date"],) * 2,
        "expenses": (data.expenses["date"],) * 2,
        "activities": (data.activities.loc[own_acts, "start_date"], data.activities.loc[own_acts, "end_date"]),
        "competitor_activities": (data.activities.loc[~own_acts, "start_date"],
                                  data.activities.loc[~own_acts, "end_date"]),
        "events": (data.events["date"],) * 2,
    }
    undated = {"terminals": len(data.terminals), "distributors": len(data.distributors)}
    above = dict(data.recorded_above or {})
    rows = []
    for source in COVERAGE_SOURCES:
        held = above.get(source)
        at = None if held is None else (tree.name(held) if tree is not None else held)
        if source in undated:
            n = int(undated[source])
            rows.append((source, n, pd.NaT, pd.NaT, at if n == 0 else None))
            continue
        starts, ends = dated[source]
        n = int(len(starts))
        rows.append((source, n, _timestamp(starts.min()), _timestamp(ends.max()), at if n == 0 else None))
    return pd.DataFrame(rows, columns=["source", "rows", "first", "last", "recorded_at"])


#: The kinds kept month by month over the whole window (activities and events come when they happen).
_MONTHLY = ("sales", "competitor_sales", "market", "expenses")


def _names(kinds: list[str]) -> str:
    return "、".join(labels.COVERAGE_NAMES[k] for k in kinds)


def missing_sources(coverage: pd.DataFrame, sources: tuple[str, ...] = COVERAGE_SOURCES) -> list[str]:
    """
    The kinds among ``sources`` with no row in :func:`data_coverage`'s frame, in its order,
    and none at an ancestor either (a kind kept at a coarser level is not missing).
    """
    at = coverage["recorded_at"] if "recorded_at" in coverage else pd.Series(None, index=coverage.index)
    return [s for s, n, a in zip(coverage["source"], coverage["rows"], at) if n == 0 and pd.isna(a) and s in sources]


def _timestamp(value) -> pd.Timestamp:
    """A column's min or max as a Timestamp (NaT for an empty column)."""
    return pd.NaT if pd.isna(value) else pd.Timestamp(value)


def coverage_reading(coverage: pd.DataFrame, years: tuple[int, int]) -> str:
    """
    One sentence on what the region's records cover: the kinds missing and what they stop,
    and own sales that start after or end before the analysis window.

    Parameters
    ----------
    coverage : DataFrame
        :func:`data_coverage`'s frame.
    years : tuple of int
        The analysis window (first, last), calendar years inclusive.

    Returns
    -------
    str
        Chinese: the kinds kept at an ancestor ("品类容量（市场）记在上级 历城区，不细分到本区域。"),
        then "分析期内各类记录齐全。" when nothing is missing and the kinds kept month by
        month (own and competitors' sales, market, expenses) run from the window's first
        January to its last December; otherwise what is missing, each with the sections it
        leaves empty (:data:`planlib.labels.COVERAGE_GAPS`), and which of those kinds start
        late or stop early.
    """
    counted = coverage.set_index("source")
    missing = missing_sources(coverage)
    parts = []
    if "recorded_at" in coverage:
        above = coverage[coverage["rows"].eq(0) & coverage["recorded_at"].notna()]
        for at, kinds in above.groupby("recorded_at", sort=False)["source"]:
            parts.append(f"{_names(list(kinds))}记在上级 {at}，不细分到本区域。")
    if missing:
        names = _names(missing)
        gaps = "；".join(f"没有{labels.COVERAGE_NAMES[s]}，{labels.COVERAGE_GAPS[s]}" for s in missing)
        parts.append(f"档案中本区域没有{names}的记录：{gaps}。")
    late: dict[tuple[int, int], list[str]] = {}
    early: dict[tuple[int, int], list[str]] = {}
    for kind in _MONTHLY:  # kept month by month: a span shorter than the window is a gap, not a quiet month
        if counted.at[kind, "rows"] == 0:
            continue
        first, last = counted.at[kind, "first"], counted.at[kind, "last"]
        if (first.year, first.month) > (years[0], 1):
            late.setdefault((first.year, first.month), []).append(kind)
        if (last.year, last.month) < (years[1], 12):
            early.setdefault((last.year, last.month), []).append(kind)
    spans = [f"{_names(kinds)}记录从 {y} 年 {m} 月开始，分析期从 {years[0]} 年 1 月开始。" for (y, m), kinds in late.items()]
    spans += [f"{_names(kinds)}记录到 {y} 年 {m} 月为止，分析期到 {years[1]} 年 12 月。" for (y, m), kinds in early.items()]
    if not missing and not spans:
        parts.append("分析期内各类记录齐全。" if not parts else "其余各类记录齐全。")
    parts += spans
    return "".join(parts)


def _years_text(years: list[int]) -> str:
    """2024–2026 for a run of years, 2024、2026 otherwise."""
    if len(years) > 1 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}–{years[-1]}"
    return "、".join(str(y) for y in years)


def period_note(window: tuple[int, int], sold: tuple[int, ...]) -> str:
    """
    The page header's analysis period: the plan's window, and the years the region's own sales fill of it.

    Parameters
    ----------
    window : tuple of int
        The analysis window (first, last), calendar years inclusive (``analysis.history_years``).
    sold : tuple of int
        The years of the window with own sales for the region (:class:`RegionReview`'s ``years``).

    Returns
    -------
    str
        ``分析期 2024–2026 年`` when every year of the window has sales; otherwise the window
        and, in brackets, the years that have them (``分析期 2024–2026 年（本区域的销售只有
        2026 年）``), or that none has: a header that says three years over one year of
        history would read as three years of evidence.

    Examples
    --------
    >>> period_note((2024, 2026), (2024, 2025, 2026))
    '分析期 2024–2026 年'
    >>> period_note((2024, 2026), (2026,))
    '分析期 2024–2026 年（本区域的销售只有 2026 年）'
    """
    first, last = window
    shown = f"分析期 {_years_text(list(range(first, last + 1)))} 年"
    inside = sorted({int(y) for y in sold if first <= int(y) <= last})
    if len(inside) == last - first + 1:
        return shown
    if not inside:
        return f"{shown}（本区域在分析期内没有销售记录）"
    return f"{shown}（本区域的销售只有 {_years_text(inside)} 年）"
