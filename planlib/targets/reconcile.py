"""
Top-down (分配方式) against bottom-up (上行方式): the children's own proposals, the gap
and a reconciled number.

Public names
------------
RECONCILE_METHODS     the reconciliation choices by name
reconcile             top-down and bottom-up side by side, the gap and the reconciled number
children_baselines    each child's own trend forecast for the plan year
children_proposals    the children's own proposals: a proposals file, else their own trend
bottom_up_gap         top-down beside bottom-up per child, the gap and the reconciled number
gap_body              bottom_up_gap's rows of the children, from arrays
gap_reading           one sentence on the gap
reconciled_children   a parent's children: top-down by the split method, bottom-up, and the reconciled
                      targets the plan splits further (``split.reconcile``)
reconcile_children    the same on the children's history already read
reconciled_targets    the reconciled targets of many parents top-down from one read, on arrays (the plan's step)
children_shares       a parent's children's shares on their history, on the array where the method allows
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from planlib.archive.queries import targets as queries
from planlib.errors import DataError, ParamsError, PlanWarning, SplitError
from planlib.rounding import (
    check_unit,
    from_units,
    label_rank,
    largest_remainder,
    round_to_total,
    to_units,
)
from planlib.targets.baseline import baseline
from planlib.targets.baseline import baselines as trend_baselines
from planlib.targets.history import children_history
from planlib.targets.kinds import finite_number, region_economics
from planlib.targets.shares import (
    DEFAULT_WINDOW_MONTHS,
    average_proportions_core,
    forecast_proportions_core,
    proportion_averages_core,
    shares_for,
    window_months,
)
from planlib.targets.split import (
    constrain_split,
    constrain_units,
    split_target,
    unit_bounds,
)

__all__ = [
    "RECONCILE_METHODS",
    "reconcile",
    "children_baselines",
    "children_proposals",
    "bottom_up_gap",
    "gap_body",
    "gap_reading",
    "reconciled_children",
    "reconcile_children",
    "reconciled_targets",
    "children_shares",
]


def _round_total(total: float, unit: float) -> float:
    return round(total / unit) * unit


def _take_top_down(td, bu, weight, unit):
    return td, td.sum()


def _take_bottom_up(td, bu, weight, unit):
    return bu, _round_total(bu.sum(), unit)


def _blend(td, bu, weight, unit):
    mixed = weight * td + (1.0 - weight) * bu
    return mixed, _round_total(mixed.sum(), unit)


def _scale_bottom_up(td, bu, weight, unit):
    if bu.sum() == 0 and td.sum() != 0:
        warnings.warn(
            "no bottom-up proposals to scale (all zero): the top-down split is taken",
            PlanWarning,
            stacklevel=4,
        )
        return td, td.sum()
    return bu, td.sum()


#: Reconciliation choices between top-down (分配方式) and bottom-up (上行方式) numbers: each gives
#: the amounts to round (Series or arrays alike) and the exact total they are rounded to.
RECONCILE_METHODS = {
    "top_down": _take_top_down,
    "bottom_up": _take_bottom_up,
    "blend": _blend,
    "scale_bottom_up": _scale_bottom_up,
}


def _reconcile_method(method: str, weight):
    """The function of ``method`` and the checked weight (ParamsError naming the valid methods)."""
    try:
        func = RECONCILE_METHODS[method]
    except (KeyError, TypeError):
        raise ParamsError(f"unknown reconcile method {method!r}; valid: {', '.join(RECONCILE_METHODS)}") from None
    w = finite_number(weight, "weight")
    if not 0 <= w <= 1:
        raise ParamsError(f"weight must be in [0, 1], got {weight!r}")
    return func, w


def _reconciled(td: pd.Series, bu: pd.Series, method: str, weight, unit) -> pd.Series:
    """The reconciled numbers of :func:`reconcile` (``td`` and ``bu`` on the same children)."""
    func, w = _reconcile_method(method, weight)
    values, total = func(td, bu, w, unit)
    return round_to_total(values, total, unit=unit)


def _ranked_round(values: np.ndarray, total, unit, rank: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """
    :func:`~planlib.rounding.round_to_total` of ``values`` as a Series by ``labels``, on the
    arrays: ``rank`` orders the labels (ties to the lower label, as the Series' own rank).
    Values or totals it would refuse go to it, to say so.
    """
    arr = np.asarray(values, dtype=float)
    u = check_unit(unit)
    k_total = to_units(total, u, "total") if np.isfinite(arr).all() and (arr >= 0).all() else -1
    s = float(arr.sum())
    if k_total < 0 or (k_total > 0 and s == 0):
        return round_to_total(pd.Series(arr, index=pd.Index(labels, dtype=object)), total, unit=unit).to_numpy()
    k = np.zeros(len(arr), dtype=np.int64) if k_total == 0 else largest_remainder(arr * (k_total / s), k_total, rank)
    return from_units(k, u)


def reconcile(
    top_down: pd.Series,
    bottom_up: pd.Series,
    *,
    method: str = "scale_bottom_up",
    weight: float = 0.5,
    unit=1,
) -> pd.DataFrame:
    """
    Set top-down and bottom-up numbers side by side, with the gap and a reconciled number.

    Parameters
    ----------
    top_down : Series
        The allocated target per child (分配方式).
    bottom_up : Series
        The children's own proposals (上行方式); a child missing on either side counts 0.
    method : {"scale_bottom_up", "top_down", "bottom_up", "blend"}
        How the reconciled number is chosen (:data:`RECONCILE_METHODS`).
    weight : float, default 0.5
        Weight on top-down for ``blend``, in [0, 1].
    unit : int or float, default 1
        Rounding unit of the reconciled column.

    Returns
    -------
    DataFrame
        One row per child (top-down's order, then children only bottom-up names):
        child, top_down, bottom_up, gap, gap_pct, reconciled.

    Raises
    ------
    ParamsError
        If ``method`` is unknown (the valid ones are listed) or ``weight`` is outside [0, 1].
    SplitError
        If an amount is negative or NaN, or the top-down total is not a multiple of ``unit``.

    Warns
    -----
    PlanWarning
        ``scale_bottom_up`` with all proposals zero: the top-down split is taken.

    Notes
    -----
    gap_i = BU_i − TD_i; gap_pct_i = gap_i / TD_i (NaN when TD_i = 0). Reconciled, rounded
    by largest remainder (:func:`planlib.rounding.round_to_total`) to an exact total:

    - top_down: TD_i, total Σ TD
    - bottom_up: BU_i, total Σ BU rounded to the unit
    - blend: w · TD_i + (1 − w) · BU_i, total Σ of the blend rounded to the unit
    - scale_bottom_up: BU_i · Σ TD / Σ BU, total Σ TD
    """
    children = top_down.index.append(bottom_up.index[~bottom_up.index.isin(top_down.index)])
    td = pd.Series(top_down.to_numpy(dtype="float64", na_value=np.nan), index=top_down.index).reindex(children, fill_value=0.0)
    bu = pd.Series(bottom_up.to_numpy(dtype="float64", na_value=np.nan), index=bottom_up.index).reindex(children, fill_value=0.0)
    reconciled = _reconciled(td, bu, method, weight, unit)
    gap = bu - td
    return pd.DataFrame(
        {
            "child": children.to_numpy(),
            "top_down": td.to_numpy(),
            "bottom_up": bu.to_numpy(),
            "gap": gap.to_numpy(),
            "gap_pct": (gap / td.where(td != 0)).to_numpy(),
            "reconciled": reconciled.to_numpy(),
        }
    )


def children_baselines(con, tree, region: str, plan_year: int, *, table: pd.DataFrame | None = None) -> pd.Series:
    """
    Each child's own baseline for the plan year: its damped trend forecast (:func:`baseline`).

    Children without own sales are left out, and with ``table`` (a targets table) those
    the plan does not split to. Fallback warnings are not raised here: a child's method
    shows in its own report.
    """
    kids = list(tree.children(region))
    if table is not None:
        planned = set(pd.unique(table["region_id"].astype(str)))
        kids = [k for k in kids if k in planned]
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        for kid in kids:
            econ = region_economics(con, tree, kid, plan_year)
            if not econ.monthly.empty:
                out[kid] = float(baseline(econ.monthly, plan_year, end=econ.history_end).annual)
    return pd.Series(out, dtype="float64", name="baseline")


def children_proposals(con, tree, region: str, plan_year: int, *, stretch, unit: int = 1,
                       path=None, baselines: pd.Series | None = None) -> tuple[pd.Series, str]:
    """
    The children's own proposals (上行方式): from a proposals file, else their own trend.

    Parameters
    ----------
    con : DuckDBPyConnection
    tree : RegionTree
    region : str
        The parent; proposals are read for its children.
    plan_year : int
    stretch : float or mapping
        Added to each child's own baseline when no file is given: one value, or child id ->
        its own stretch (its override file's ``targets.stretch``; missing children take
        the mapping's ``None`` key, else 0).
    unit : int, default 1
        Proposals from the trend are rounded to this unit.
    path : path-like, optional
        A CSV with columns ``region_id`` and ``volume`` (``split.proposals``); rows of
        regions that are not children of ``region`` are ignored.
    baselines : Series, optional
        The children's baselines if already computed (:func:`children_baselines`).

    Returns
    -------
    (Series, str)
        Proposed annual volume per child (children without a proposal are missing) and
        where the numbers come from (for the report).

    Raises
    ------
    DataError
        The file is missing, lacks a column, or a row's volume is not a non-negative number
        (the message names the file, the row and the field).

    Notes
    -----
    Without a file: proposal_c = round_unit(baseline_c × (1 + stretch)), each child's own
    damped trend forecast (:func:`baseline`), as the child would propose from its own runs.
    """

    kids = list(tree.children(region))
    if path is not None:
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except FileNotFoundError:
            raise DataError(f"{path}: the proposals file (split.proposals) does not exist") from None
        missing = [c for c in ("region_id", "volume") if c not in raw.columns]
        if missing:
            raise DataError(f"{path}: missing column(s) {', '.join(missing)}; expected region_id, volume")
        vol = pd.to_numeric(raw["volume"].str.replace(",", "").str.strip(), errors="coerce")
        bad = raw.index[vol.isna() | (vol < 0)]
        if len(bad):
            i = int(bad[0])
            raise DataError(f"{path}: row {i + 2}: volume: got {raw.loc[i, 'volume']!r}; expected a non-negative number"
                            + (f" ({len(bad)} rows like this)" if len(bad) > 1 else ""))
        mine = raw["region_id"].str.strip().isin(kids)
        got = pd.Series(vol[mine].to_numpy(dtype=float), index=raw.loc[mine, "region_id"].str.strip().to_numpy())
        got = got.groupby(level=0).sum()
        return got.reindex([k for k in kids if k in got.index]).rename("bottom_up"), f"提案文件 {Path(path).name}"
    base = children_baselines(con, tree, region, plan_year) if baselines is None else baselines
    out = {}
    for kid in kids:
        if kid not in base.index or pd.isna(base[kid]):
            continue
        out[kid] = _trend_proposal(base[kid], stretch, kid, unit)
    return pd.Series(out, dtype="float64", name="bottom_up"), "下级自身趋势预测 × (1 + 冲刺)"


def bottom_up_gap(children: pd.DataFrame, proposals: pd.Series, *, method: str = "scale_bottom_up",
                  weight: float = 0.5, unit=1) -> pd.DataFrame:
    """
    The children's top-down targets beside their own proposals: the gap and a reconciliation.

    Parameters
    ----------
    children : DataFrame
        ``region_id, name, target_volume`` (:attr:`RegionTargetView.children`).
    proposals : Series
        Proposed volume per child (:func:`children_proposals`).
    method, weight, unit
        As :func:`reconcile` (``split.reconcile``, ``split.reconcile_weight``, ``targets.unit``).

    Returns
    -------
    DataFrame
        region_id, name, top_down, bottom_up, gap, gap_pct, reconciled — one row per
        child, then a total row (``region_id`` "合计").

    Children without a proposal keep their top-down target (bottom_up, gap NaN) and only
    the proposers are reconciled, within their own top-down total; :func:`gap_reading`
    names them (nothing is warned: the table and its sentence are the report's).

    Notes
    -----
    As :func:`reconcile` over the children that proposed; the total row holds Σ top_down
    and Σ reconciled over all children (equal under scale_bottom_up and top_down) and the
    gap over the proposers: gap = Σ BU − Σ TD of them, gap_pct = gap / Σ TD of them.
    """
    td = pd.Series(children["target_volume"].to_numpy(dtype=float), index=children["region_id"].to_numpy())
    bu = proposals.astype(float).dropna()
    silent = [c for c in td.index if c not in bu.index]
    with_td = td.drop(silent)
    rec = reconcile(with_td, bu, method=method, weight=weight, unit=unit) if len(bu) or len(with_td) else \
        pd.DataFrame(columns=["child", "top_down", "bottom_up", "gap", "gap_pct", "reconciled"])
    if silent:
        keep = pd.DataFrame({"child": silent, "top_down": td[silent].to_numpy(), "bottom_up": np.nan, "gap": np.nan,
                             "gap_pct": np.nan, "reconciled": td[silent].to_numpy()})
        rec = pd.concat([rec, keep], ignore_index=True) if len(rec) else keep
        order = {c: i for i, c in enumerate(td.index)}
        rec = rec.assign(_o=rec["child"].map(order).fillna(len(order))).sort_values("_o", kind="stable") \
            .drop(columns="_o").reset_index(drop=True)
    names = dict(zip(children["region_id"], children["name"]))
    rec.insert(1, "name", rec["child"].map(names).fillna(rec["child"]))
    rec = rec.rename(columns={"child": "region_id"})
    proposed = rec[rec["bottom_up"].notna()]
    td_p, bu_p = float(proposed["top_down"].sum()), float(proposed["bottom_up"].sum())
    total = {"region_id": "合计", "name": "合计 total", "top_down": float(rec["top_down"].sum()),
             "bottom_up": bu_p if len(proposed) else np.nan, "gap": bu_p - td_p if len(proposed) else np.nan,
             "gap_pct": (bu_p - td_p) / td_p if td_p > 0 else np.nan, "reconciled": float(rec["reconciled"].sum())}
    return pd.concat([rec, pd.DataFrame([total])], ignore_index=True)


def gap_body(children, names, top_down: np.ndarray, bottom_up: np.ndarray, *, method: str = "scale_bottom_up",
             weight: float = 0.5, unit=1) -> pd.DataFrame:
    """
    :func:`bottom_up_gap`'s rows of the children (its total row aside), from arrays.

    Parameters
    ----------
    children, names : sequence
        The children's ids and names.
    top_down : ndarray
        Each child's top-down target.
    bottom_up : ndarray
        Each child's proposal; NaN where it proposed nothing.
    method, weight, unit
        As :func:`reconcile`.

    Returns
    -------
    DataFrame
        region_id, name, top_down, bottom_up, gap, gap_pct, reconciled — the children's
        rows of ``bottom_up_gap(children table, proposals)``, value for value; a child
        without a proposal keeps its top-down number (bottom_up, gap, gap_pct NaN).
    """
    ids = pd.Index(list(children), dtype=object)
    td, bu = np.asarray(top_down, dtype=float), np.asarray(bottom_up, dtype=float)
    has = ~np.isnan(bu)
    reconciled, gap, gap_pct = td.copy(), np.full(len(td), np.nan), np.full(len(td), np.nan)
    if has.any():  # the proposers reconciled among themselves, as reconcile() does
        tds, bus = pd.Series(td[has], index=ids[has]), pd.Series(bu[has], index=ids[has])
        reconciled[has] = _reconciled(tds, bus, method, weight, unit).to_numpy(dtype=float)
        g = bus - tds
        gap[has], gap_pct[has] = g.to_numpy(), (g / tds.where(tds != 0)).to_numpy()
    return pd.DataFrame({"region_id": ids.to_numpy(), "name": list(names), "top_down": td,
                         "bottom_up": np.where(has, bu, np.nan), "gap": gap, "gap_pct": gap_pct,
                         "reconciled": reconciled})


def gap_reading(gap: pd.DataFrame, source: str) -> str:
    """
    One sentence on the bottom-up gap: in total, the child furthest from top-down, and the
    children without a proposal (they keep their top-down targets; at most five named).
    """
    all_kids, tot = gap.iloc[:-1], gap.iloc[-1]
    kids = all_kids[all_kids["gap"].notna()]
    silent = [str(n) for n in all_kids.loc[all_kids["bottom_up"].isna(), "name"]]
    without = ""
    if silent:
        named = "、".join(silent[:5]) + (f" 等 {len(silent)} 个" if len(silent) > 5 else "")
        without = f"{named}没有提案，保留分配目标。"
    if kids.empty:
        return "没有下级提案。" + (f"{without}" if without and len(silent) < len(all_kids) else "")
    low = kids.loc[kids["gap"].abs().idxmax()]
    pct = f"（{tot['gap_pct']:+z.1%}）" if np.isfinite(tot["gap_pct"]) else ""
    # the gap is over the proposers: beside their own top-down total (the others keep theirs)
    base = tot["bottom_up"] - tot["gap"]
    whose = "提案下级的分配目标" if silent else "分配目标"
    return (f"下级提案（{source}）合计 {tot['bottom_up']:,.0f}，比{whose} {base:,.0f} "
            f"差 {tot['gap']:+z,.0f}{pct}；差距最大的是 {low['name']}（{low['gap']:+z,.0f}）。{without}")


#: The first year :func:`reconciled_children` reads a child's own history from (all of it).
ALL_HISTORY_FROM = 1900


def reconciled_children(con, tree, region: str, plan_year: int, *, target: int, split, method: str, stretch: float,
                        unit: int = 1, potential: pd.Series | None = None, weights=None,
                        children=None, baselines: pd.Series | None = None) -> pd.DataFrame:
    """
    A parent's children top-down and bottom-up, and the reconciled targets the plan splits further.

    Parameters
    ----------
    con : DuckDBPyConnection
    tree : RegionTree
    region : str
        The parent.
    plan_year : int
    target : int
        The parent's target (a multiple of ``unit``).
    split : Split
        The plan's ``split`` section (``reconcile``, ``reconcile_weight``, ``proposals``,
        ``history_years``, ``holds``).
    method : str
        The share method of the top-down split (the plan's :func:`split_choice`).
    stretch : float
        The plan's stretch on the children's own trend (their proposals without a file).
    unit : int, default 1
    potential, weights : optional
        For the ``potential`` and ``blend`` share methods.
    children : sequence, optional
        The planned children (default all of the region's children).
    baselines : Series, optional
        The children's own trend forecasts when already fitted (the plan's targets step
        writes them: :attr:`~planlib.targets.PlanTargets.baselines`); fitted here otherwise.

    Returns
    -------
    DataFrame
        :func:`bottom_up_gap`'s columns (region_id, name, top_down, bottom_up, gap, gap_pct,
        reconciled, then a total row), ``reconciled`` summing exactly to ``target``.

    Notes
    -----
    top_down = the parent's target split by ``method``'s shares over the children's own
    history (``history_years``); bottom_up = :func:`children_proposals`; reconciled =
    :func:`reconcile` by ``split.reconcile``, then (``bottom_up``, ``blend``, whose totals
    need not be the parent's) scaled to the parent's target by largest remainder. A child
    held by a manager (``split.holds``) keeps its number and the others are reconciled
    within the rest. The plan's ``split.floor`` and ``split.cap`` bound the reconciled numbers
    as they bound top-down ones (:func:`~planlib.targets.split.constrain_split` with the
    reconciled numbers as weights); the plan then holds them.
    """
    kids = list(tree.children(region) if children is None else children)
    owner = [r for k in kids for r in tree.subtree(k)]
    raw = queries.children_monthly_volume(con, owner, ALL_HISTORY_FROM, plan_year)
    return reconcile_children(children_history(raw, tree, kids), tree, region, plan_year, target=target, split=split,
                              method=method, stretch=stretch, unit=unit, potential=potential, weights=weights,
                              children=kids, baselines=baselines)


#: The share methods :func:`children_shares` takes on the children x months array.
ARRAY_SHARES = {"proportion_averages": proportion_averages_core, "average_proportions": average_proportions_core,
                "forecast_proportions": lambda y, labels, months: forecast_proportions_core(y)}


def children_shares(method: str, history: pd.DataFrame, children, *, potential=None, weights=None) -> pd.Series:
    """
    :func:`~planlib.targets.shares.shares_for` of a parent's children on their history (default window).

    ``history`` is :func:`~planlib.targets.history.children_history`'s frame (one row per child and month). The two
    averages and ``forecast_proportions`` are taken on the children x months array
    directly (the matrix ``shares_for`` builds from it, value for value: the last
    :data:`~planlib.targets.shares.DEFAULT_WINDOW_MONTHS` months present, a child's
    missing months 0), so a national plan's 366 parents skip the tidy frame's group-by;
    any other method, no history, or history ``shares_for`` would refuse (NaN, negative)
    go through ``shares_for`` itself.
    """
    kids = list(children)
    core = ARRAY_SHARES.get(method)
    values = history["value"].to_numpy(dtype=float, na_value=np.nan) if len(history) else None
    if core is None or values is None or not (np.isfinite(values).all() and (values >= 0).all()):
        return shares_for(method, history if len(history) else None, children=kids, potential=potential,
                          weights=weights)
    months = window_months(history["month"], None)
    at = pd.DatetimeIndex(history["month"])
    row = pd.Index(kids, dtype=object).get_indexer(history["child"].to_numpy(dtype=object))
    col = months.get_indexer(at)
    keep = (row >= 0) & (col >= 0)
    y = np.zeros((len(kids), len(months)))
    y[row[keep], col[keep]] = values[keep]
    return pd.Series(core(y, pd.Index(kids, dtype=object), months), index=pd.Index(kids, dtype=object), name="share")


def _trend_proposal(base: float, stretch, kid, unit) -> float:
    """A child's proposal from its own trend: round_unit(baseline × (1 + its stretch))."""
    own = stretch.get(kid, stretch.get(None, 0.0)) if isinstance(stretch, dict) else stretch
    return float(round(float(base) * (1.0 + float(own)) / unit) * unit)


def _bounds_apply(split, potential) -> bool:
    """Whether the plan's floor or cap bounds the reconciled numbers (:func:`reconcile_children`'s Notes)."""
    return split.floor is not None or (split.cap is not None and potential is not None)


def _kid_caps(pot: np.ndarray, split, unit) -> np.ndarray | None:
    """Each child's cap from its potential (NaN: unknown, no cap): cap × potential rounded down to the unit."""
    known = ~np.isnan(pot)
    if not known.any():
        return None
    caps = np.full(len(pot), np.nan)
    caps[known] = pot[known] * split.cap // unit * unit
    return caps


def _bounded(region: str, rest: int, reconciled: np.ndarray, ids: pd.Index, last_year: np.ndarray,
             caps: np.ndarray | None, floor, unit) -> np.ndarray:
    """
    The reconciled numbers within the plan's floor and cap: :func:`~planlib.targets.split.constrain_split`
    with them as weights, on the arrays (its checks, :func:`~planlib.targets.split.unit_bounds`,
    :func:`~planlib.targets.split.constrain_units`); an infeasible split warns and keeps them.
    """
    u = check_unit(unit)
    ok = np.isfinite(reconciled).all() and (reconciled >= 0).all()
    fl = None if floor is None else np.full(len(ids), float(floor))
    if fl is not None:
        ok = ok and np.isfinite(last_year).all() and (last_year >= 0).all() and 0.0 <= float(floor) <= 1.0
    if caps is not None:
        ok = ok and not (caps < 0).any()
    try:
        if not ok:  # constrain_split says what is wrong (and the same numbers otherwise)
            cap = None if caps is None else pd.Series(caps, index=ids).dropna()
            out = constrain_split(rest, pd.Series(reconciled, index=ids), floor=floor, cap=cap, unit=unit,
                                  last_year=pd.Series(last_year, index=ids))
            return out.to_numpy(dtype=float)
        lo = np.zeros(len(ids)) if fl is None else (1.0 - fl) * last_year
        hi = np.full(len(ids), np.inf) if caps is None else np.where(np.isnan(caps), np.inf, caps)
        lo_k, hi_k = unit_bounds(lo, hi, u)
        out_k = constrain_units(to_units(rest, u, "total"), reconciled, lo_k, hi_k, np.zeros(len(ids), dtype=bool),
                                np.zeros(len(ids), dtype=np.int64), ids, u)
        return from_units(out_k, u).astype(float)
    except SplitError as exc:
        warnings.warn(f"the reconciled targets of {region}'s children cannot keep split.floor / split.cap "
                      f"({exc}): taken as reconciled", PlanWarning, stacklevel=3)
        return reconciled


def _top_down(rest: int, shares: np.ndarray, labels: np.ndarray, rank: np.ndarray, unit) -> np.ndarray:
    """
    The children's top-down numbers: :func:`~planlib.targets.split.split_target` of ``rest``
    by their shares (all zero: even), on the arrays (``labels`` the children, ``rank`` their order).
    """
    if not len(labels):
        return np.zeros(0)
    rest, shares = max(int(rest), 0), np.asarray(shares, dtype=float)
    if float(np.nansum(shares)) <= 0:
        shares = np.ones(len(labels))
    if not (np.isfinite(shares).all() and (shares >= 0).all()):  # split_target says what is wrong
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PlanWarning)
            return split_target(rest, pd.Series(shares, index=pd.Index(labels, dtype=object)),
                                unit=unit).to_numpy(dtype=float)
    return _ranked_round(shares, rest, unit, rank, labels).astype(float)


def _reconciled_free(region: str, rest: int, labels: np.ndarray, rank: np.ndarray, td: np.ndarray,
                     bottom_up: np.ndarray, *, split, unit, last_year=None, caps=None, bounded: bool = False):
    """
    The children a manager does not hold (``labels``, ``rank`` their order): gap and
    reconciled numbers from their top-down numbers ``td``, on arrays.

    ``bottom_up`` are their proposals (NaN: none); ``last_year`` and ``caps`` (NaN: none)
    are read when ``bounded``. Returns (reconciled, gap, gap_pct), as :func:`reconcile_children`
    sets them.
    """
    rest = max(int(rest), 0)
    bu = np.asarray(bottom_up, dtype=float)
    has = ~np.isnan(bu)
    reconciled, gap, gap_pct = td.copy(), np.full(len(td), np.nan), np.full(len(td), np.nan)
    if has.any():  # the proposers reconciled among themselves, as reconcile() does
        func, w = _reconcile_method(split.reconcile, split.reconcile_weight)
        values, total = func(td[has], bu[has], w, unit)
        reconciled[has] = _ranked_round(values, total, unit, rank[has], labels[has]).astype(float)
        gap[has] = bu[has] - td[has]
        gap_pct[has] = gap[has] / np.where(td[has] != 0, td[has], np.nan)
    if len(td) and float(reconciled.sum()) != float(rest):
        reconciled = round_to_total(reconciled, rest, unit=unit).astype(float)
    if len(td) and bounded:
        reconciled = _bounded(region, rest, reconciled, pd.Index(labels, dtype=object), last_year, caps, split.floor,
                              unit)
    return reconciled, gap, gap_pct


def reconcile_children(full: pd.DataFrame, tree, region: str, plan_year: int, *, target: int, split, method: str,
                       stretch: float, unit: int = 1, potential: pd.Series | None = None, weights=None,
                       children=None, baselines: pd.Series | None = None) -> pd.DataFrame:
    """
    :func:`reconciled_children` on the children's history already read.

    Parameters
    ----------
    full : DataFrame
        child, month, value — the children's own monthly volume, all of it
        (:func:`~planlib.targets.history.children_history`).
    baselines : Series, optional
        Each child's own baseline (child id -> :func:`~planlib.targets.baseline.baseline`'s
        annual total on its rows of ``full``), when already computed for many parents
        at once (:func:`~planlib.targets.baseline.baselines`); computed here otherwise.
        Not needed with a proposals file (``split.proposals``).

    Other parameters and the result as :func:`reconciled_children`.
    """
    kids = list(tree.children(region) if children is None else children)
    hist = full[full["month"] >= pd.Timestamp(plan_year - split.history_years, 1, 1)]
    held = {k: int(split.holds[k]) for k in kids if k in split.holds}
    free = [k for k in kids if k not in held]
    rest = int(target) - sum(held.values())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)  # the plan's own split says it once
        pot = potential.reindex(free).fillna(0.0) if potential is not None else None
        shares = children_shares(method, hist, free, potential=pot, weights=dict(weights or {}) or None)
        if split.proposals is None and baselines is None:  # each child's own trend (as children_baselines)
            own = trend_baselines(full.rename(columns={"month": "date", "value": "volume"}), plan_year, by="child")
            baselines = pd.Series(own["annual"].to_numpy(), index=own["child"].to_numpy(), dtype="float64")
        proposals, _ = children_proposals(None, tree, region, plan_year, stretch=stretch, unit=unit,
                                          path=split.proposals,
                                          baselines=pd.Series(dtype="float64") if baselines is None else baselines)
    bounded = bool(free) and _bounds_apply(split, potential)
    ly = caps = None
    if bounded:
        last = full[full["month"].dt.year == plan_year - 1].groupby("child")["value"].sum()
        ly = last.reindex(free).fillna(0.0).to_numpy(dtype=float)
        if split.cap is not None and potential is not None:
            caps = _kid_caps(potential.reindex(free).to_numpy(dtype=float, na_value=np.nan), split, unit)
    bu = proposals.reindex(free).to_numpy(dtype=float, na_value=np.nan)
    labels = np.asarray(free, dtype=object)
    rank = label_rank(pd.Index(labels, dtype=object))
    td = _top_down(rest, shares.to_numpy(dtype=float, na_value=np.nan), labels, rank, unit)
    rec, gap, gap_pct = _reconciled_free(region, rest, labels, rank, td, bu, split=split, unit=unit, last_year=ly,
                                         caps=caps, bounded=bounded)
    names = {k: tree.name(k) for k in kids}
    body = pd.DataFrame({"region_id": np.asarray(free, dtype=object), "name": [names[k] for k in free],
                         "top_down": td, "bottom_up": np.where(np.isnan(bu), np.nan, bu), "gap": gap,
                         "gap_pct": gap_pct, "reconciled": rec})
    if held:
        body = pd.concat([body, pd.DataFrame({"region_id": list(held), "name": [names[k] for k in held],
                                              "top_down": [float(v) for v in held.values()], "bottom_up": np.nan,
                                              "gap": np.nan, "gap_pct": np.nan,
                                              "reconciled": [float(v) for v in held.values()]})], ignore_index=True)
        body = body.set_index("region_id").reindex(kids).reset_index()
    prop = body[body["bottom_up"].notna()]
    td_p, bu_p = float(prop["top_down"].sum()), float(prop["bottom_up"].sum())
    total = {"region_id": "合计", "name": "合计 total", "top_down": float(body["top_down"].sum()),
             "bottom_up": bu_p if len(prop) else np.nan, "gap": bu_p - td_p if len(prop) else np.nan,
             "gap_pct": (bu_p - td_p) / td_p if td_p > 0 else np.nan, "reconciled": float(body["reconciled"].sum())}
    return pd.concat([body, pd.DataFrame([total])], ignore_index=True)


def reconciled_targets(full: pd.DataFrame, tree, parents, plan_year: int, *, root: str, total: int, split, method: str,
                       stretch, unit: int = 1, potential: pd.Series | None = None, weights=None,
                       baselines: pd.Series | None = None) -> dict:
    """
    The reconciled targets of many parents, top-down, from one read of their children's history.

    Parameters
    ----------
    full : DataFrame
        child, month, value — the own monthly volume of every child of ``parents``, one row
        per child and month (:func:`planned_history`), all its years.
    tree : RegionTree
    parents : mapping
        Parent -> its planned children, top-down (a parent after the parent whose child it
        is); a parent's target is the reconciled number it gets as a child (a parent that
        gets none is skipped), ``root``'s is ``total``.
    plan_year : int
    root : str
    total : int
        The root's target.
    split, method, stretch, unit, potential, weights, baselines
        As :func:`reconcile_children` (``baselines``: every child's own trend forecast).

    Returns
    -------
    dict
        Child -> reconciled target (int), parent by parent, each parent's children in order
        (``root`` left out).

    Notes
    -----
    Each parent's children are :func:`reconcile_children`'s on their rows of ``full``, value
    for value: the window of the history (``split.history_years``) is laid out once as a
    children x months array, last year's volume summed once per child, the proposals taken
    once per child; a parent then needs a few small arrays, not frames. A parent that needs
    the tidy frame (a share method other than :data:`ARRAY_SHARES`, no history or NaN or
    negative volumes in its window, every child held, proposals to fit) goes through
    :func:`reconcile_children` itself on its children's rows.
    """
    order = list(parents.items())
    target = {root: int(total)}
    codes, uniq = pd.factorize(full["child"].to_numpy(dtype=object))
    row_of = {c: i for i, c in enumerate(uniq)}
    n = len(uniq)  # row n: a child without rows (zeros)
    win = (full["month"] >= pd.Timestamp(plan_year - split.history_years, 1, 1)).to_numpy()
    col, months = pd.factorize(pd.DatetimeIndex(full["month"].to_numpy()[win]), sort=True)
    values = full["value"].to_numpy(dtype=float, na_value=np.nan)[win]
    at = codes[win]
    val, present, bad = np.zeros((n + 1, len(months))), np.zeros((n + 1, len(months)), dtype=bool), np.zeros(n + 1, bool)
    val[at, col], present[at, col] = values, True
    bad[at[~(np.isfinite(values) & (values >= 0))]] = True
    has_rows = present.any(axis=1)
    base = {} if baselines is None else dict(zip(baselines.index, baselines.to_numpy(dtype=float, na_value=np.nan)))
    core = ARRAY_SHARES.get(method)
    lean = (core is not None and int(present.sum()) == int(win.sum())  # each child and month once
            and (split.proposals is not None or (baselines is not None and not baselines.index.has_duplicates))
            and (potential is None or not potential.index.has_duplicates))
    bounded = _bounds_apply(split, potential)
    last = {}
    if lean and bounded:
        ly = full[full["month"].dt.year == plan_year - 1].groupby("child")["value"].sum()
        last = dict(zip(ly.index, ly.to_numpy(dtype=float)))
    pot = {} if potential is None else dict(zip(potential.index, potential.to_numpy(dtype=float, na_value=np.nan)))
    # every child's place in label order (region ids are strings): the ties of the rounding go to the lower id
    rank_of = {k: i for i, k in enumerate(sorted({k for _, kids in order for k in kids}))}
    month_list = list(months)
    by_child = None
    for rid, kids in order:
        if rid not in target:
            continue
        kids = list(kids)
        held = {k: int(split.holds[k]) for k in kids if k in split.holds}
        free = [k for k in kids if k not in held]
        rows = np.array([row_of.get(k, n) for k in kids], dtype=np.int64)
        if not (lean and free and has_rows[rows].any() and not bad[rows].any()):
            if by_child is None:
                by_child = dict(tuple(full.groupby("child", sort=False))) if len(full) else {}
            hist = pd.concat([by_child[k] for k in sorted(kids) if k in by_child] or [full.iloc[0:0]],
                             ignore_index=True)
            gap = reconcile_children(hist, tree, rid, plan_year, target=target[rid], split=split, method=method,
                                     stretch=stretch, unit=unit, potential=potential, weights=weights,
                                     children=kids, baselines=baselines)
            body = gap.iloc[:-1]
            target.update({k: int(round(v)) for k, v in zip(body["region_id"], body["reconciled"])})
            continue
        labels = np.asarray(free, dtype=object)
        rank = np.array([rank_of[k] for k in free], dtype=np.int64)
        cols = np.flatnonzero(present[rows].any(axis=0))[-DEFAULT_WINDOW_MONTHS:]
        y = val[np.ix_([row_of.get(k, n) for k in free], cols)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PlanWarning)  # the plan's own split says it once
            shares = core(y, labels, [month_list[c] for c in cols])
            if split.proposals is None:
                bu = np.array([_trend_proposal(base[k], stretch, k, unit) if k in base and not np.isnan(base[k])
                               else np.nan for k in free])
            else:
                proposals, _ = children_proposals(None, tree, rid, plan_year, stretch=stretch, unit=unit,
                                                  path=split.proposals, baselines=pd.Series(dtype="float64"))
                bu = proposals.reindex(free).to_numpy(dtype=float, na_value=np.nan)
        ly = caps = None
        if bounded:
            ly = np.array([last.get(k, 0.0) for k in free])
            if split.cap is not None and potential is not None:
                caps = _kid_caps(np.array([pot.get(k, np.nan) for k in free]), split, unit)
        rest = int(target[rid]) - sum(held.values())
        td = _top_down(rest, shares, labels, rank, unit)
        rec, _, _ = _reconciled_free(rid, rest, labels, rank, td, bu, split=split, unit=unit, last_year=ly, caps=caps,
                                     bounded=bounded)
        got = dict(zip(free, rec))
        target.update({k: int(round(float(held[k]))) if k in held else int(round(got[k])) for k in kids})
    target.pop(root)
    return target
