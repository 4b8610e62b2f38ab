"""
Staged milestones: the share of the plan's key terminals that have bought by each stage's date.

``targets.milestones`` sets staged coverage goals of the key (A/B) terminals (e.g. 40% by
30 June, 60% by the year's end). A key terminal is covered at a stage when its own sales
from the plan year's start to the stage's date (or the as-of date, if earlier) add up to
more than nothing. Every region is measured on the key terminals in its subtree.

Public names
------------
MILESTONE_STATUS    met, missed, not yet due
MILESTONE_COLUMNS   the columns of :func:`milestone_coverage`
key_terminals       the plan's key terminals and the region that carries each
milestone_list      the staged goals as a frame (from params, dicts or a frame)
milestone_coverage  per region and stage: key terminals, covered, coverage, status, the missed ones
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planlib.errors import DataError, ParamsError
from planlib.frames import key_codes
from planlib.hierarchy import RegionTree
from planlib.tracking.progress import check_as_of
from planlib.tracking.rollup import PlanRegions, as_dense, plan_regions, roll_up

__all__ = ["MILESTONE_COLUMNS", "MILESTONE_STATUS", "key_terminals", "milestone_coverage", "milestone_list"]

#: A stage's status: its goal reached (even before its date), its date passed short of it, or still to come.
MILESTONE_STATUS = ("met", "missed", "not yet due")

#: Columns of :func:`milestone_coverage`.
MILESTONE_COLUMNS = ("region_id", "level", "stage", "date", "goal", "key_terminals", "covered", "coverage",
                     "to_win", "status", "missed", "missed_names")

KEY_CLASSES = ("A", "B")


def key_terminals(targets: pd.DataFrame, terminals: pd.DataFrame | None = None) -> pd.DataFrame:
    """
    The plan's key terminals: the targets' named terminal lines, else the A/B terminals.

    Parameters
    ----------
    targets : DataFrame
        A targets table; its rows with a ``terminal_id`` name the key terminals of the region
        that carries them (the county).
    terminals : DataFrame, optional
        The archive's terminals (terminal_id, region_id, terminal_class): used when the
        targets name no terminal, its A and B terminals being the key ones.

    Returns
    -------
    DataFrame
        region_id, terminal_id: one row per key terminal, sorted.
    """
    cols = ["region_id", "terminal_id"]
    named = targets.loc[targets["terminal_id"].notna(), cols] if "terminal_id" in targets else targets.iloc[0:0][cols]
    if named.empty and terminals is not None and len(terminals):
        named = terminals.loc[terminals["terminal_class"].isin(KEY_CLASSES), cols]
    out = pd.DataFrame({c: named[c].astype(object).astype(str).to_numpy() for c in cols}).drop_duplicates(
        "terminal_id")
    return out.sort_values(cols, kind="stable").reset_index(drop=True)


def milestone_list(milestones) -> pd.DataFrame:
    """
    The staged goals as a frame: stage, date (Timestamp), coverage; sorted by date.

    Parameters
    ----------
    milestones : sequence or DataFrame
        ``targets.milestones`` (objects with ``stage``, ``date``, ``coverage``), mappings with
        those keys, or a DataFrame with those columns.

    Raises
    ------
    ParamsError
        A missing field, a date that is not a date, or a coverage outside (0, 1].
    """
    if isinstance(milestones, pd.DataFrame):
        rows = milestones.to_dict("records")
    else:
        rows = [m if isinstance(m, dict) else {k: getattr(m, k, None) for k in ("stage", "date", "coverage")}
                for m in (milestones or ())]
    out = []
    for i, m in enumerate(rows):
        where = f"targets.milestones[{i}]"
        missing = [k for k in ("stage", "date", "coverage") if m.get(k) is None]
        if missing:
            raise ParamsError(f"{where}: missing {', '.join(missing)} (stage, date, coverage are needed)")
        try:
            date = pd.Timestamp(m["date"]).normalize()
        except (TypeError, ValueError):
            raise ParamsError(f"{where}.date: expected a date such as 2027-06-30, got {m['date']!r}") from None
        cov = float(m["coverage"])
        if not 0 < cov <= 1:
            raise ParamsError(f"{where}.coverage: expected a share in (0, 1] such as 0.4, got {m['coverage']!r}")
        out.append({"stage": str(m["stage"]), "date": date, "coverage": cov})
    frame = pd.DataFrame(out, columns=["stage", "date", "coverage"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.sort_values("date", kind="stable").reset_index(drop=True)


def _monthly_volume(actual_sales: pd.DataFrame, ids: pd.Index) -> np.ndarray:
    """Each key terminal's own volume by month (terminals x 12)."""
    out = np.zeros((len(ids), 12))
    if actual_sales is None or actual_sales.empty or "terminal_id" not in actual_sales:
        return out
    a = actual_sales
    codes, uniques = key_codes(a["terminal_id"])
    at = ids.get_indexer(pd.Index(uniques).astype("str").to_numpy(dtype=object)) if len(uniques) else \
        np.zeros(0, dtype=np.int64)
    pos = np.where(codes >= 0, np.append(at, -1)[codes], -1)
    month = np.asarray(pd.DatetimeIndex(pd.to_datetime(a["month"])).month, dtype=np.int64) - 1
    ok = pos >= 0
    flat = np.bincount(pos[ok] * 12 + month[ok], weights=a["volume"].to_numpy(dtype="float64", na_value=0.0)[ok],
                       minlength=len(ids) * 12)
    return flat.reshape(len(ids), 12)


def milestone_coverage(keys: pd.DataFrame, actual_sales: pd.DataFrame, tree: RegionTree, milestones, as_of, *,
                       names=None, regions: PlanRegions | None = None) -> pd.DataFrame:
    """
    Per region and stage: the key terminals, how many bought, the coverage against the goal, and who did not.

    Parameters
    ----------
    keys : DataFrame
        The key terminals (:func:`key_terminals`): region_id, terminal_id.
    actual_sales : DataFrame
        The plan year's own sales (month, terminal_id, volume), up to ``as_of``.
    tree : RegionTree
    milestones : sequence or DataFrame
        The staged goals (:func:`milestone_list`).
    as_of : date
        Inside the plan year (the year of the stages' dates).
    names : mapping, optional
        terminal_id -> name, for ``missed_names``.
    regions : PlanRegions, optional
        The regions to report (default: those carrying key terminals and their ancestors).

    Returns
    -------
    DataFrame
        :data:`MILESTONE_COLUMNS`, one row per region with key terminals in its subtree and
        stage (tree order, then date): ``goal`` (the stage's coverage), ``key_terminals``,
        ``covered``, ``coverage``, ``to_win`` (terminals still needed to reach the goal),
        ``status`` (:data:`MILESTONE_STATUS`), ``missed`` (the ids of the key terminals
        that have not bought, sorted) and ``missed_names`` (their names; the ids without
        ``names``).

    Raises
    ------
    ParamsError
        A bad stage, or ``as_of`` outside the year of the stages.
    DataError
        A key terminal carried by a region that is not in the tree.

    Notes
    -----
    For a stage with date D and goal g, with cutoff c = min(D, as_of): terminal t is covered
    when Σ volume_t over the months starting on or before c is > 0 (a month's row counts
    once the month has begun, so a stage on 30 June counts June's sales). For a region
    with n key terminals in its subtree, k of them covered::

        coverage = k / n,   to_win = max(⌈g·n⌉ − k, 0)
        status   = met          if k/n ≥ g
                   missed       if D ≤ as_of and k/n < g
                   not yet due  otherwise

    Examples
    --------
    >>> from planlib.hierarchy import RegionTree
    >>> tree = RegionTree(pd.DataFrame({"region_id": ["HQ", "K1"], "name": ["总部", "一县"],
    ...                                 "level": ["hq", "county"], "parent_id": [None, "HQ"]}))
    >>> keys = pd.DataFrame({"region_id": ["K1"] * 5, "terminal_id": ["T1", "T2", "T3", "T4", "T5"]})
    >>> sales = pd.DataFrame({"month": pd.to_datetime(["2027-03-01", "2027-05-01"]),
    ...                       "terminal_id": ["T1", "T2"], "volume": [3.0, 1.0]})
    >>> m = milestone_coverage(keys, sales, tree, [{"stage": "H1", "date": "2027-06-30", "coverage": 0.4}],
    ...                        "2027-07-15")
    >>> m.loc[m["region_id"] == "K1", ["covered", "coverage", "status"]].values.tolist()
    [[2, 0.4, 'met']]
    """
    stages = milestone_list(milestones)
    year = int(stages["date"].dt.year.iloc[0]) if len(stages) else pd.Timestamp(as_of).year
    ts = check_as_of(as_of, year)
    other = stages[stages["date"].dt.year != year]
    if len(other):
        raise ParamsError(f"targets.milestones: {other['stage'].iloc[0]} on {other['date'].iloc[0]:%Y-%m-%d} "
                          f"is outside the plan year {year}")
    unknown = sorted({r for r in keys["region_id"] if r not in tree})
    if unknown:
        raise DataError(f"key terminals carried by regions not in the tree: {', '.join(unknown[:10])}")
    if regions is None:
        carriers = set(keys["region_id"])
        wanted = carriers | {a for r in carriers for a in tree.ancestors(r)}
        regions = plan_regions(tree, wanted)
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in MILESTONE_COLUMNS})
    if keys.empty or stages.empty:
        return empty
    home = np.array([regions.near.get(r, -1) for r in keys["region_id"]], dtype=np.int64)
    keys = keys[home >= 0].reset_index(drop=True)
    home = home[home >= 0]
    order = np.lexsort((keys["terminal_id"].to_numpy(dtype=str), home))
    keys, home = keys.iloc[order].reset_index(drop=True), home[order]
    ids = pd.Index(keys["terminal_id"], dtype=object)
    name_of = (lambda t: str(names.get(t, t))) if names is not None else str
    monthly = _monthly_volume(actual_sales, ids)
    per = []
    for stage in stages.itertuples(index=False):
        cutoff = min(stage.date, ts)  # the months starting on or before it
        bought = monthly[:, : cutoff.month].sum(axis=1) > 0
        pos, (n, k) = roll_up(regions, home, np.zeros(len(home), dtype=np.int64), 1,
                              [np.ones(len(home), dtype=np.int64), bought.astype(np.int64)])
        n = as_dense(n).ravel()
        k = as_dense(k).ravel()
        has = n > 0
        pos, n, k = pos[has], n[has], k[has]
        cov = k / n
        met = cov >= stage.coverage - 1e-12
        due = stage.date <= ts
        status = np.where(met, MILESTONE_STATUS[0], np.where(due, MILESTONE_STATUS[1], MILESTONE_STATUS[2]))
        m_ids, m_home = ids.to_numpy(dtype=object)[~bought], home[~bought]
        lo = np.searchsorted(m_home, pos, side="left")
        hi = np.searchsorted(m_home, regions.end[pos], side="left")
        missed = [tuple(m_ids[a:b]) for a, b in zip(lo, hi)]
        per.append(pd.DataFrame({
            "region_id": regions.ids[pos], "level": regions.levels[pos], "stage": stage.stage, "date": stage.date,
            "goal": stage.coverage, "key_terminals": n.astype(np.int64), "covered": k.astype(np.int64),
            "coverage": cov,
            "to_win": np.maximum(np.array([math.ceil(stage.coverage * x - 1e-9) for x in n]) - k, 0).astype(np.int64),
            "status": status.astype(object), "missed": missed,
            "missed_names": [tuple(name_of(t) for t in m) for m in missed] if names is not None else missed,
            "_pos": pos,
        }))
    out = pd.concat(per, ignore_index=True)
    out = out.sort_values(["_pos", "date"], kind="stable").drop(columns="_pos").reset_index(drop=True)
    return out[list(MILESTONE_COLUMNS)]
