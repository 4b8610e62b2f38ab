"""
Splitting mechanics: shares, exact rounding, constraints and biproportional tables.

Every split here sums *exactly* to its parent: amounts are rounded in whole
multiples of the plan's ``unit`` by largest remainder (one dimension) or by
controlled rounding (a table with both margins), never by plain ``round``.

Public functions
----------------
round_to_total      largest-remainder rounding to an exact total
split_target        a parent's target over its children by shares (even split on no basis)
shares_for          child shares by a named method (``SPLIT_METHODS``) or a ``blend``
constrain_split     a split that respects floors against last year, caps and holds
fit_table           biproportional fitting (IPF / RAS) of a seed table to two margins
round_table         controlled rounding of a fitted table: every row and column exact
split_down          top-down split through the region tree, level by level

Amounts are returned as ``int64`` when the unit is a whole number, else as floats
rounded to the unit's decimals (the integer count of units is what is exact then).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_flow

from planlib.errors import (
    DataError,
    HierarchyError,
    ParamsError,
    PlanWarning,
    SplitError,
)
from planlib.hierarchy import RegionTree
from planlib.rounding import (
    SNAP,
    check_amounts,
    check_unit,
    child_labels,
    format_amount,
    from_units,
    is_integral,
    label_rank,
    round_to_total,
    to_units,
)
from planlib.schemas import LEVEL_DEPTH

__all__ = [
    "SPLIT_METHODS",
    "split_target",
    "shares_for",
    "constrain_split",
    "fit_table",
    "round_table",
    "split_down",
]

DEFAULT_WINDOW_MONTHS = 24  # the seed's minimum: two years of history
#: A child whose first sale in the history window comes after at least this many months
#: without any opened during the window (a region added last year): its share is taken
#: over the months since (see :func:`shares_for`).
NEW_CHILD_MONTHS = 3


# -- small helpers ---------------------------------------------------------------------


# -- 1. rounding -------------------------------------------------------------------------


# -- 2. one split ------------------------------------------------------------------------
def _as_shares(shares, what: str = "share") -> pd.Series:
    s = shares if isinstance(shares, pd.Series) else pd.Series(shares)
    s = pd.Series(s.to_numpy(dtype=float, na_value=np.nan), index=s.index)
    if s.index.has_duplicates:
        raise SplitError(f"{what}s name a child more than once: {child_labels(s.index[s.index.duplicated()].unique())}")
    check_amounts(s.to_numpy(), s.index, what)
    return s


def split_target(total, shares, *, unit=1) -> pd.Series:
    """
    Split a parent's target across its children in proportion to their shares.

    Parameters
    ----------
    total : int or float
        The parent's target, in the plan's unit (a multiple of ``unit``).
    shares : Series or dict
        Non-negative weights indexed by child id; normalised here.
    unit : int or float, default 1
        Rounding unit; largest-remainder rounding keeps the sum equal to ``total``.

    Returns
    -------
    Series
        One target per child (named ``target``), summing exactly to ``total``.

    Raises
    ------
    SplitError
        If a share is negative or NaN (the children are named), or ``total`` is not a
        non-negative multiple of ``unit``.

    Warns
    -----
    PlanWarning
        If every share is zero: the total is split evenly.

    Notes
    -----
    child_i = total * s_i / sum(s), rounded by :func:`round_to_total`; ties in the
    remainder go to the lower child id. With sum(s) == 0 the total is split evenly.

    Examples
    --------
    >>> split_target(1000, pd.Series({"K1": 2.0, "K2": 1.0})).tolist()
    [667, 333]
    """
    s = _as_shares(shares)
    if len(s) == 0:
        if to_units(total, check_unit(unit), "total") == 0:
            return pd.Series([], dtype=np.int64 if is_integral(float(unit)) else float, name="target")
        raise SplitError(f"cannot split {format_amount(float(total))}: there are no children to split to")
    if s.sum() == 0 and float(total) != 0:
        warnings.warn(
            f"no basis to split {format_amount(float(total))} (all shares are zero): split evenly over "
            f"{len(s)} children",
            PlanWarning,
            stacklevel=2,
        )
        s = pd.Series(1.0, index=s.index)
    return round_to_total(s, total, unit=unit).rename("target")


# -- 3. shares by method -----------------------------------------------------------------
def _prepare_history(history: pd.DataFrame, child_col: str = "child") -> pd.DataFrame:
    missing = [c for c in (child_col, "month", "value") if c not in history.columns]
    if missing:
        raise DataError(f"history needs columns {child_col}, month, value; missing {', '.join(missing)}")
    value = history["value"].to_numpy(dtype=float, na_value=np.nan)
    children = history[child_col].to_numpy(dtype=object)
    bad = ~np.isfinite(value) | (value < 0)
    if bad.any():
        raise SplitError(
            f"history values missing (NaN), infinite or negative for {child_labels(pd.unique(children[bad]))}: "
            "fix or drop those rows before splitting"
        )
    return pd.DataFrame(
        {"child": children, "month": pd.to_datetime(history["month"]).to_numpy(), "value": value}
    )


def _window_months(months, window) -> pd.DatetimeIndex:
    present = pd.DatetimeIndex(pd.unique(np.asarray(months))).sort_values()
    if window is None:
        window = DEFAULT_WINDOW_MONTHS
    if isinstance(window, (int, np.integer)) and not isinstance(window, bool):
        if window < 1:
            raise ParamsError(f"window must be at least 1 month, got {window}")
        return present[-int(window):]
    if isinstance(window, tuple) and len(window) == 2:
        start, end = pd.Timestamp(window[0]), pd.Timestamp(window[1])
        return present[(present >= start) & (present <= end)]
    raise ParamsError(f"window must be a number of months or a (start, end) pair, got {window!r}")


def _sorted_unique(values) -> list:
    uniq = list(pd.unique(np.asarray(values, dtype=object)))
    try:
        return sorted(uniq)
    except TypeError:
        return uniq


def _child_month_matrix(history, window, children) -> pd.DataFrame:
    """Children x window months of summed values (zeros where a child has no row)."""
    h = _prepare_history(history)
    months = _window_months(h["month"], window)
    kids = _sorted_unique(h["child"]) if children is None else list(children)
    h = h[h["month"].isin(months)]
    wide = h.groupby(["child", "month"])["value"].sum().unstack("month")
    return wide.reindex(index=pd.Index(kids, dtype=object), columns=months).fillna(0.0)


def _pa_plain(y: np.ndarray) -> np.ndarray:
    parent_total = float(y.sum())
    return y.sum(axis=1) / parent_total if parent_total > 0 else np.zeros(len(y))


def _ap_plain(y: np.ndarray) -> np.ndarray:
    parent = y.sum(axis=0)
    used = parent > 0
    if not used.any():
        return np.zeros(len(y))
    return (y[:, used] / parent[used]).mean(axis=1)


def _opened(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """
    The children that opened during the window: first sale after at least
    :data:`NEW_CHILD_MONTHS` months without any, and (where the window shows it) selling
    a year later in most of those calendar months, so a seasonal child is not one; their
    indices and first months.
    """
    if y.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    n = y.shape[1]
    has = y > 0
    first = np.where(has.any(axis=1), has.argmax(axis=1), 0)
    new = []
    for i in np.flatnonzero(first >= NEW_CHILD_MONTHS):
        # a seasonal child is quiet in the same months every year: opened only if it sold in
        # most of its quiet months' calendar months a year later (or it is too new to tell)
        later = np.arange(first[i]) + 12
        later = later[(later < n) & (later >= first[i])]
        if not len(later) or (y[i, later] > 0).mean() >= 0.5:
            new.append(i)
    new = np.asarray(new, dtype=np.int64)
    return new, first[new]


def _with_opened(y: np.ndarray, plain, method: str, labels, months) -> np.ndarray:
    """
    Shares by ``plain`` (a children x months core), a child opened during the window
    taking its share of the parent over the months since it opened (PlanWarning).
    """
    new, first = _opened(y)
    if not len(new):
        return plain(y)
    parent = y.sum(axis=0)
    p_new = np.zeros(len(new))
    for j, (i, s) in enumerate(zip(new, first)):
        if method == "proportion_averages":
            den = float(parent[s:].sum())
            p_new[j] = float(y[i, s:].sum()) / den if den > 0 else 0.0
        else:
            used = parent[s:] > 0
            p_new[j] = float((y[i, s:][used] / parent[s:][used]).mean()) if used.any() else 0.0
    est = np.setdiff1d(np.arange(len(y)), new)
    base = plain(y[est]) if len(est) else np.zeros(0)
    out = np.zeros(len(y))
    taken = float(p_new.sum())
    if taken < 1.0 and base.sum() > 0:
        out[new] = p_new
        out[est] = base * (1.0 - taken)
    else:  # openings and closings overlapping: each child's share over its own months, rescaled
        out[new] = p_new
        out[est] = plain(y)[est]
        total = float(out.sum())
        out = out / total if total > 0 else out
    named = [f"{labels[i] if labels is not None else i} ({months[s]:%Y-%m})" if months is not None
             else str(labels[i] if labels is not None else i) for i, s in zip(new, first)]
    warnings.warn(
        f"{len(new)} of the children opened during the history window, first sales: {child_labels(named)}: "
        f"each takes its {method} share of the months since it opened, the others share the rest",
        PlanWarning, stacklevel=2,
    )
    return out


def _pa_core(y: np.ndarray, labels=None, months=None) -> np.ndarray:
    """proportion_averages on a children x months matrix (children opened in the window: see _with_opened)."""
    return _with_opened(y, _pa_plain, "proportion_averages", labels, months)


def _ap_core(y: np.ndarray, labels=None, months=None) -> np.ndarray:
    """average_proportions on a children x months matrix; zero-parent months skipped."""
    return _with_opened(y, _ap_plain, "average_proportions", labels, months)


def _proportion_averages(history, *, window=None, children=None, potential=None) -> pd.Series:
    y = _child_month_matrix(history, window, children)
    return pd.Series(_pa_core(y.to_numpy(), y.index, y.columns), index=y.index, name="share")


def _average_proportions(history, *, window=None, children=None, potential=None) -> pd.Series:
    y = _child_month_matrix(history, window, children)
    return pd.Series(_ap_core(y.to_numpy(), y.index, y.columns), index=y.index, name="share")


def _potential(history=None, *, window=None, children=None, potential=None) -> pd.Series:
    if potential is None:
        raise ParamsError("method 'potential' needs a potential Series (capacity or headroom per child)")
    p = potential if isinstance(potential, pd.Series) else pd.Series(potential)
    if children is not None:
        p = p.reindex(pd.Index(list(children), dtype=object))
    p = _as_shares(p, "potential")
    total = float(p.sum())
    return (p / total if total > 0 else p * 0.0).rename("share")


def _equal(history=None, *, window=None, children=None, potential=None) -> pd.Series:
    if children is None:
        if history is None:
            raise ParamsError("method 'equal' needs the children (or a history naming them)")
        children = _sorted_unique(_prepare_history(history)["child"])
    kids = pd.Index(list(children), dtype=object)
    return pd.Series(1.0 / len(kids) if len(kids) else 0.0, index=kids, name="share")


SPLIT_METHODS: dict[str, Callable[..., pd.Series]] = {
    "proportion_averages": _proportion_averages,
    "average_proportions": _average_proportions,
    "potential": _potential,
    "equal": _equal,
}
"""Share methods by the names the field uses; :func:`shares_for` also accepts ``"blend"``."""


def _unknown_method(name) -> ParamsError:
    valid = ", ".join([*SPLIT_METHODS, "blend"])
    return ParamsError(f"unknown split method {name!r}; valid methods: {valid}")


def shares_for(method: str, history=None, *, potential=None, weights=None, window=None, children=None) -> pd.Series:
    """
    Each child's share of its parent by a named method.

    Parameters
    ----------
    method : str
        ``proportion_averages``, ``average_proportions``, ``potential``, ``equal``
        (the keys of ``SPLIT_METHODS``) or ``blend``.
    history : DataFrame, optional
        Tidy history of the children: columns ``child``, ``month`` (Timestamp),
        ``value`` (non-negative; several rows per child and month are summed). The
        parent is the sum of its children. Not needed for ``potential``.
    potential : Series, optional
        Non-negative capacity or headroom per child (method ``potential``).
    weights : dict, optional
        For ``blend``: method name -> non-negative weight; normalised to sum to 1.
    window : int or (start, end), optional
        The history months used: the last ``window`` months present in ``history``
        (default 24), or the months present between two dates inclusive.
    children : sequence, optional
        The children to return, in this order; default the children in ``history``
        (sorted) or in ``potential``. History rows of other children are ignored.

    Returns
    -------
    Series
        Shares named ``share``, indexed by child, summing to 1 -- or all zero when the
        method has no basis (a parent with no history in the window).

    Raises
    ------
    ParamsError
        An unknown method or blend component (the valid names are listed), a missing
        ``potential`` or ``weights``, or weights that are negative or all zero.
    SplitError
        NaN or negative history values or potentials (the children are named).

    Notes
    -----
    With y_{i,t} the history of child i in month t of the window W and
    Y_t = sum_i y_{i,t} the parent's history:

    - ``proportion_averages``: p_i = sum_{t in W} y_{i,t} / sum_{t in W} Y_t
    - ``average_proportions``: p_i = mean over {t in W : Y_t > 0} of y_{i,t} / Y_t;
      months with a zero parent are skipped.
    - ``potential``: p_i = pot_i / sum_j pot_j
    - ``equal``: p_i = 1 / n
    - ``blend``: p_i = sum_m w_m p_i^(m) / sum_m w_m; a component with no basis (all
      zero) contributes nothing and the others carry the weight.

    The two proportion methods are the definitions of Nixtla hierarchicalforecast's
    ``TopDown(method="proportion_averages" | "average_proportions")``
    (``hierarchicalforecast/methods.py``; Gross & Sohl, 1990).

    A child with no history in the window gets share 0; only when the whole parent has
    no history are all shares zero, and :func:`split_target` then splits evenly with
    a :class:`PlanWarning`. A child with no history that should still get a number
    needs ``potential``, ``equal`` or a ``blend``.

    A child opened during the window (a region added last year: its first sale after
    :data:`NEW_CHILD_MONTHS` or more months without any) would be measured against
    months it did not trade in. Its share is taken over the months since its first
    sale s_i instead — p_i = Σ_{t≥s_i} y_{i,t} / Σ_{t≥s_i} Y_t, or the mean of
    y_{i,t} / Y_t over those months — and the other children share 1 − Σ p_new by the
    method among themselves, with a PlanWarning naming the opened children.

    Examples
    --------
    >>> h = pd.DataFrame({"child": ["A", "A", "B", "B"],
    ...                   "month": pd.to_datetime(["2025-01-01", "2025-02-01"] * 2),
    ...                   "value": [50.0, 50.0, 50.0, 150.0]})
    >>> shares_for("proportion_averages", h).round(4).tolist()
    [0.3333, 0.6667]
    >>> shares_for("average_proportions", h).round(4).tolist()
    [0.375, 0.625]
    """
    if method == "blend":
        if not weights:
            raise ParamsError("method 'blend' needs weights: a dict of method name -> weight")
        unknown = [m for m in weights if m not in SPLIT_METHODS]
        if unknown:
            raise ParamsError(
                f"unknown blend component(s) {', '.join(map(repr, unknown))}; valid: {', '.join(SPLIT_METHODS)}"
            )
        w = {m: float(v) for m, v in weights.items()}
        bad = [m for m, v in w.items() if not math.isfinite(v) or v < 0]
        if bad:
            raise ParamsError(f"blend weights must be non-negative numbers; check {', '.join(bad)}")
        w_total = sum(w.values())
        if w_total <= 0:
            raise ParamsError("blend weights are all zero: give at least one method a positive weight")
        if children is None:
            kids: list = []
            if history is not None and any(m in w for m in ("proportion_averages", "average_proportions", "equal")):
                kids += _sorted_unique(_prepare_history(history)["child"])
            if potential is not None and "potential" in w:
                kids += [k for k in pd.Series(potential).index if k not in set(kids)]
            children = kids
        out = pd.Series(0.0, index=pd.Index(list(children), dtype=object), name="share")
        for m, wm in w.items():
            if wm > 0:
                part = SPLIT_METHODS[m](history, window=window, children=children, potential=potential)
                out = out + (wm / w_total) * part.to_numpy()
        total = float(out.sum())
        return (out / total if total > 0 else out).rename("share")
    if method not in SPLIT_METHODS:
        raise _unknown_method(method)
    if method in ("proportion_averages", "average_proportions") and history is None:
        raise ParamsError(f"method {method!r} needs a history frame (child, month, value)")
    return SPLIT_METHODS[method](history, window=window, children=children, potential=potential)


# -- 4. constraints ----------------------------------------------------------------------
def _spread_within(remaining: float, shares: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """
    x with lo <= x <= hi, sum(x) == remaining, x proportional to shares where unclamped.

    Clip-and-redistribute: spread in proportion to shares; if the overshoot above caps
    is at least the shortfall below floors, clamp the capped children (the common factor
    can only rise, so they stay clamped), else clamp the floored ones; repeat. Each
    round clamps at least one child, so at most n rounds.
    """
    n = len(shares)
    x = np.zeros(n)
    free = np.ones(n, dtype=bool)
    for _ in range(n + 1):
        rest = remaining - x[~free].sum()
        if not free.any():
            break
        s = shares[free]
        if s.sum() <= 0:
            s = np.ones(free.sum())  # no basis among the children left: even
        trial = rest * s / s.sum()
        over = np.maximum(trial - hi[free], 0.0)
        under = np.maximum(lo[free] - trial, 0.0)
        if over.sum() <= 1e-12 * max(1.0, abs(remaining)) and under.sum() <= 1e-12 * max(1.0, abs(remaining)):
            x[free] = trial
            free[:] = False
            break
        idx = np.flatnonzero(free)
        if over.sum() >= under.sum():
            hit = idx[over > 0]
            x[hit] = hi[hit]
        else:
            hit = idx[under > 0]
            x[hit] = lo[hit]
        free[hit] = False
    return x


def _round_within(x: np.ndarray, k_total: int, lo: np.ndarray, hi: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Integers in [lo, hi] summing to k_total, each as near x as the bounds allow."""
    near = np.rint(x)
    x = np.where(np.abs(x - near) <= SNAP * np.maximum(1.0, np.abs(x)), near, x)
    k = np.clip(np.floor(x), lo, hi).astype(np.int64)
    short = k_total - int(k.sum())
    while short != 0:  # each round moves at least one unit; |short| <= n at the start
        if short > 0:
            room = np.flatnonzero(k < hi)
            gap = np.round(x[room] - k[room], 9)
            order = room[np.lexsort((rank[room], -gap))][:short]
            k[order] += 1
        else:
            room = np.flatnonzero(k > lo)
            gap = np.round(k[room] - x[room], 9)
            order = room[np.lexsort((rank[room], -gap))][:-short]
            k[order] -= 1
        if len(order) == 0:  # pragma: no cover - feasibility is checked before
            raise SplitError("internal: no room left to round within the bounds")
        short = k_total - int(k.sum())
    return k


def _unit_bounds(lo: np.ndarray, hi: np.ndarray, u: float) -> tuple[np.ndarray, np.ndarray]:
    """Bounds in whole units: floors rounded up, caps down (inf: no cap)."""
    lo_k = np.ceil(np.round(lo / u, 9)).astype(np.int64)
    hi_k = np.where(np.isfinite(hi), np.floor(np.round(np.where(np.isfinite(hi), hi, 0.0) / u, 9)), np.inf)
    return lo_k, hi_k


def _constrain_units(k_total: int, shares: np.ndarray, lo_k: np.ndarray, hi_k, held: np.ndarray,
                     hold_k: np.ndarray, idx: pd.Index, u: float, hold_txt: str = "") -> np.ndarray:
    """
    The core of :func:`constrain_split` on checked arrays, in units: the feasibility
    checks (errors name the children of ``idx``) and the spread of what the holds leave.
    """
    free = ~held
    clash = free & (lo_k > hi_k)
    if clash.any():
        i = int(np.flatnonzero(clash)[0])
        raise SplitError(
            f"floor of {idx[i]} ({format_amount(lo_k[i] * u)}) is above its cap ({format_amount(hi_k[i] * u)}) "
            f"by {format_amount((lo_k[i] - hi_k[i]) * u)}"
        )
    rest_k = k_total - int(hold_k.sum())
    after = f" after holds {hold_txt}" if hold_txt else ""
    if rest_k < 0:
        raise SplitError(
            f"holds {hold_txt} sum to {format_amount(hold_k.sum() * u)}, more than the total {format_amount(k_total * u)} "
            f"(over by {format_amount(-rest_k * u)})"
        )
    need = int(lo_k[free].sum())
    if need > rest_k:
        floored = [str(idx[i]) for i in np.flatnonzero(free & (lo_k > 0))]
        raise SplitError(
            f"floors need {format_amount(need * u)} but only {format_amount(rest_k * u)} remains{after} "
            f"(short by {format_amount((need - rest_k) * u)}; floored children: {child_labels(floored)})"
        )
    room = float(hi_k[free].sum()) if free.any() else 0.0
    if room < rest_k:
        capped = [str(idx[i]) for i in np.flatnonzero(free & np.isfinite(hi_k))]
        raise SplitError(
            f"caps allow only {format_amount(room * u)} but {format_amount(rest_k * u)} remains to place{after} "
            f"(over by {format_amount((rest_k - room) * u)}; capped children: {child_labels(capped)})"
        )

    out_k = hold_k.copy()
    if free.any():
        sf = shares[free]
        if sf.sum() == 0 and rest_k > 0:
            warnings.warn(
                f"no basis to split the remaining {format_amount(rest_k * u)} (all free shares are zero): spread evenly",
                PlanWarning,
                stacklevel=3,
            )
        lo_f, hi_f = lo_k[free].astype(float), hi_k[free].astype(float)
        x = _spread_within(float(rest_k), sf, lo_f, hi_f)
        out_k[free] = _round_within(x, rest_k, lo_f, hi_f, label_rank(idx[free]))
    return out_k


def constrain_split(total, shares, *, last_year=None, floor=None, cap=None, holds=None, unit=1) -> pd.Series:
    """
    Split a target by shares while respecting floors against last year, caps and holds.

    Parameters
    ----------
    total : int or float
        The parent's target; a multiple of ``unit``.
    shares : Series or dict
        Non-negative weights per child (e.g. from :func:`shares_for`).
    last_year : Series, optional
        Last year's actual per child; needed for ``floor``. Children not in it have no floor.
    floor : float or Series, optional
        The largest shrink allowed against last year, as a fraction (0.1 = at most 10%
        below last year); per child when a Series (children not in it have no floor).
    cap : Series, optional
        Upper bound per child (e.g. its potential). Children not in it have no cap.
    holds : dict, optional
        Child -> fixed amount set by a manager (a multiple of ``unit``); the rest is
        re-spread over the other children.
    unit : int or float, default 1
        Rounding unit.

    Returns
    -------
    Series
        Targets named ``target``, indexed like ``shares``, summing exactly to ``total``,
        held children exactly at their holds, every other child within its bounds.

    Raises
    ------
    SplitError
        Bad shares or bounds (NaN/negative, unknown held child), or infeasible
        constraints: holds above the total, floors needing more than remains after
        holds, caps allowing less than remains, a floor above its own cap, a hold
        outside its own floor or cap. The message names the constraints and the
        amount short or over.

    Warns
    -----
    PlanWarning
        If the free children's shares are all zero: the remainder is spread evenly.

    Notes
    -----
    Bounds: lo_i = (1 - floor_i) * last_year_i, hi_i = cap_i. With H the held children
    and R = total - sum_{i in H} hold_i, the free children get
    x_i = clip(lambda * s_i, lo_i, hi_i) with lambda such that sum x_i = R, found by
    clip-and-redistribute (at most n rounds). Feasible iff
    sum ceil(lo_i) <= R <= sum floor(hi_i) in units over the free children.

    Rounding within bounds: floors are rounded *up* to the unit and caps *down*, each
    child starts at floor(x_i) clipped into [ceil(lo_i), floor(hi_i)], and the units
    still missing (or extra) go one at a time to the children furthest below (above)
    their exact value that still have room, ties to the lower child id. Holds are
    never touched, so they stay exact.
    """
    u = check_unit(unit)
    s = _as_shares(shares)
    idx = s.index
    n = len(s)
    k_total = to_units(total, u, "total")
    if k_total < 0:
        raise SplitError(f"total must not be negative, got {format_amount(float(total))}")

    lo = np.zeros(n)
    if floor is not None:
        if last_year is None:
            raise SplitError("a floor against last year needs last_year (last year's actual per child)")
        ly = last_year if isinstance(last_year, pd.Series) else pd.Series(last_year)
        ly = ly.reindex(idx).fillna(0.0).to_numpy(dtype=float)
        check_amounts(ly, idx, "last_year")
        fl = floor.reindex(idx).fillna(1.0) if isinstance(floor, pd.Series) else pd.Series(float(floor), index=idx)
        fl = fl.to_numpy(dtype=float, na_value=np.nan)
        if (~np.isfinite(fl) | (fl < 0) | (fl > 1)).any():
            raise SplitError(f"floor must be a fraction between 0 and 1 (0.1 = at most 10% below last year), got {floor!r}")
        lo = (1.0 - fl) * ly
    hi = np.full(n, np.inf)
    if cap is not None:
        c = cap if isinstance(cap, pd.Series) else pd.Series(cap)
        c = c.reindex(idx).to_numpy(dtype=float, na_value=np.nan)
        c = np.where(np.isnan(c), np.inf, c)
        if (c < 0).any():
            raise SplitError(f"caps negative for {child_labels(idx[c < 0])}")
        hi = c
    lo_k, hi_k = _unit_bounds(lo, hi, u)

    held = np.zeros(n, dtype=bool)
    hold_k = np.zeros(n, dtype=np.int64)
    holds = dict(holds or {})
    unknown = [h for h in holds if h not in idx]
    if unknown:
        raise SplitError(f"holds name children that are not in the split: {child_labels(unknown)}")
    pos = {label: i for i, label in enumerate(idx)}
    for child, amount in holds.items():
        i = pos[child]
        k = to_units(amount, u, f"hold {child}:")
        if k < 0:
            raise SplitError(f"hold {child}: {format_amount(float(amount))} is negative")
        if k < lo_k[i]:
            raise SplitError(
                f"hold {child}: {format_amount(k * u)} is below its own floor {format_amount(lo_k[i] * u)} "
                f"(short by {format_amount((lo_k[i] - k) * u)})"
            )
        if k > hi_k[i]:
            raise SplitError(
                f"hold {child}: {format_amount(k * u)} is above its own cap {format_amount(hi_k[i] * u)} "
                f"(over by {format_amount((k - hi_k[i]) * u)})"
            )
        held[i], hold_k[i] = True, k
    hold_txt = "{" + ", ".join(f"{c}: {format_amount(hold_k[pos[c]] * u)}" for c in holds) + "}" if holds else ""
    out_k = _constrain_units(k_total, s.to_numpy(), lo_k, hi_k, held, hold_k, idx, u, hold_txt)
    return pd.Series(from_units(out_k, u), index=idx, name="target")


# -- 5. tables: biproportional fitting and controlled rounding ----------------------------
def _margin(totals, labels: pd.Index, what: str) -> np.ndarray:
    t = totals if isinstance(totals, pd.Series) else pd.Series(np.asarray(totals, dtype=float), index=labels)
    missing = labels.difference(t.index)
    if len(missing):
        raise SplitError(f"{what} missing for {child_labels(missing)}")
    arr = t.reindex(labels).to_numpy(dtype=float, na_value=np.nan)
    check_amounts(arr, labels, what)
    return arr


def fit_table(seed: pd.DataFrame, row_totals, col_totals, *, tol: float = 1e-9, max_iter: int = 1000) -> pd.DataFrame:
    """
    Fit a seed table to given row and column totals (biproportional fitting, IPF / RAS).

    Parameters
    ----------
    seed : DataFrame
        Non-negative seed (e.g. last year's region x month sales). Zeros are structural:
        they stay zero.
    row_totals, col_totals : Series or array-like
        Wanted margins, aligned to ``seed.index`` / ``seed.columns``; non-negative,
        with equal grand totals.
    tol : float, default 1e-9
        Stop when every row and column sum is within ``tol * max(1, |total|)`` of its total.
    max_iter : int, default 1000
        Row-and-column rounds before giving up.

    Returns
    -------
    DataFrame
        Fitted floats, same labels as ``seed``.

    Raises
    ------
    SplitError
        NaN/negative seed or totals, margins that disagree in total, or margins the seed's
        zero pattern cannot reach (no convergence; the largest gap is given).

    Warns
    -----
    PlanWarning
        When a row (column) with a positive total has an all-zero seed: it is seeded
        evenly over the columns (rows) whose total is positive.

    Notes
    -----
    x_ij = a_i * seed_ij * b_j. Alternately a_i <- r_i / sum_j seed_ij b_j and
    b_j <- c_j / sum_i a_i seed_ij (0 where the denominator is 0) until both margins hold:
    the minimum-information (Kullback-Leibler) table with those margins that keeps the
    seed's zeros (Deming & Stephan 1940; Stone's RAS). A row whose total is 0 ends all zero.
    """
    s = seed.to_numpy(dtype=float, na_value=np.nan, copy=True)
    if s.size and (~np.isfinite(s)).any():
        rows = seed.index[(~np.isfinite(s)).any(axis=1)]
        raise SplitError(f"seed missing (NaN) or infinite in rows {child_labels(rows)}")
    if (s < 0).any():
        raise SplitError(f"seed negative in rows {child_labels(seed.index[(s < 0).any(axis=1)])}")
    r = _margin(row_totals, seed.index, "row total")
    c = _margin(col_totals, seed.columns, "column total")
    grand = max(1.0, float(r.sum()), float(c.sum()))
    if abs(r.sum() - c.sum()) > 1e-9 * grand:
        raise SplitError(
            f"row totals sum to {format_amount(float(r.sum()))} but column totals to {format_amount(float(c.sum()))} "
            f"(differ by {format_amount(float(r.sum() - c.sum()))}): the margins must agree"
        )
    empty_rows = (r > 0) & (s.sum(axis=1) == 0)
    if empty_rows.any():
        warnings.warn(
            f"rows {child_labels(seed.index[empty_rows])} have a total but no seed: spread evenly over the columns",
            PlanWarning,
            stacklevel=2,
        )
        s[empty_rows] = (c > 0).astype(float)
    empty_cols = (c > 0) & (s.sum(axis=0) == 0)
    if empty_cols.any():
        warnings.warn(
            f"columns {child_labels(seed.columns[empty_cols])} have a total but no seed: spread evenly over the rows",
            PlanWarning,
            stacklevel=2,
        )
        s[:, empty_cols] = (r > 0).astype(float)[:, None]
    r_tol = tol * np.maximum(1.0, np.abs(r))
    c_tol = tol * np.maximum(1.0, np.abs(c))
    b = np.ones(s.shape[1])
    x = s
    gap = np.inf
    for _ in range(max_iter):
        rs = s @ b
        a = np.divide(r, rs, out=np.zeros_like(r), where=rs > 0)
        cs = a @ s
        b = np.divide(c, cs, out=np.zeros_like(c), where=cs > 0)
        x = s * a[:, None] * b[None, :]
        row_gap = np.abs(x.sum(axis=1) - r)
        col_gap = np.abs(x.sum(axis=0) - c)
        if (row_gap <= r_tol).all() and (col_gap <= c_tol).all():
            break
        gap = max(float(row_gap.max(initial=0.0)), float(col_gap.max(initial=0.0)))
    else:
        raise SplitError(
            f"the table did not fit its margins in {max_iter} rounds (largest gap {gap:.6g}): "
            "the seed's zeros leave some totals unreachable, or raise max_iter"
        )
    return pd.DataFrame(x, index=seed.index, columns=seed.columns)


def round_table(table: pd.DataFrame, row_totals, col_totals, *, unit=1) -> pd.DataFrame:
    """
    Round a table to multiples of ``unit`` keeping every row and column total exact.

    Parameters
    ----------
    table : DataFrame
        Fractional amounts whose margins equal ``row_totals`` and ``col_totals``
        (e.g. from :func:`fit_table`); within half a unit in all is tolerated.
    row_totals, col_totals : Series or array-like
        Multiples of ``unit``, aligned to ``table.index`` / ``table.columns``.
    unit : int or float, default 1
        Rounding unit.

    Returns
    -------
    DataFrame
        Same labels; every cell is floor or ceil of its value in units; every row and
        column sums exactly to its total. ``int64`` for a whole-number unit.

    Raises
    ------
    SplitError
        A NaN cell, a total that is not a multiple of ``unit``, or a table whose margins
        are off their totals (fit it first with :func:`fit_table`).

    Notes
    -----
    Controlled rounding as a transportation problem. With x_ij in units, f_ij = floor(x_ij)
    and the fractional parts e_ij = x_ij - f_ij, row i must round up
    R_i = r_i - sum_j f_ij cells and column j must round up C_j = c_j - sum_i f_ij cells.
    Network: source -> row i (capacity R_i) -> column j (capacity 1 where e_ij > 0) ->
    sink (capacity C_j). The fractions e_ij are a feasible fractional flow of value sum R_i,
    so an integral maximum flow of that value exists (integrality theorem); cells carrying
    flow round up. Solved with ``scipy.sparse.csgraph.maximum_flow`` (Dinic), which is
    exact, so the rounding never fails on a consistent table. Which of the equally valid
    roundings comes out is decided by the solver, deterministically for the same input.
    """
    u = check_unit(unit)
    vals = table.to_numpy(dtype=float, na_value=np.nan)
    if vals.size and (~np.isfinite(vals)).any():
        raise SplitError(f"table missing (NaN) or infinite in rows {child_labels(table.index[(~np.isfinite(vals)).any(axis=1)])}")
    r_amt = _margin(row_totals, table.index, "row total")
    c_amt = _margin(col_totals, table.columns, "column total")
    r = np.array([to_units(v, u, f"row total {lab}:") for lab, v in zip(table.index, r_amt)], dtype=np.int64)
    c = np.array([to_units(v, u, f"column total {lab}:") for lab, v in zip(table.columns, c_amt)], dtype=np.int64)
    if r.sum() != c.sum():
        raise SplitError(
            f"row totals sum to {format_amount(r.sum() * u)} but column totals to {format_amount(c.sum() * u)}: the margins must agree"
        )
    x = vals / u
    near = np.rint(x)
    x = np.where(np.abs(x - near) <= SNAP * np.maximum(1.0, np.abs(x)), near, x)
    base = np.floor(x)
    frac = x - base
    row_gap = np.abs(x.sum(axis=1) - r)
    col_gap = np.abs(x.sum(axis=0) - c)
    if row_gap.sum() >= 0.5 or col_gap.sum() >= 0.5:
        worst = ("row", table.index[int(row_gap.argmax())], row_gap.max()) if row_gap.max(initial=0) >= col_gap.max(initial=0) \
            else ("column", table.columns[int(col_gap.argmax())], col_gap.max())
        raise SplitError(
            f"the table's margins are off their totals by {row_gap.sum() * u:.6g} over rows and "
            f"{col_gap.sum() * u:.6g} over columns (worst: {worst[0]} {worst[1]} by {worst[2] * u:.6g}): "
            "fit it to the totals first (fit_table)"
        )
    need_r = r - base.sum(axis=1).astype(np.int64)
    need_c = c - base.sum(axis=0).astype(np.int64)
    n_rows, n_cols = x.shape
    up = np.zeros(x.shape, dtype=np.int64)
    if need_r.sum() > 0:
        ii, jj = np.nonzero(frac > 0)
        src, sink = 0, n_rows + n_cols + 1
        tails = np.concatenate([np.full(n_rows, src), 1 + ii, 1 + n_rows + np.arange(n_cols)])
        heads = np.concatenate([1 + np.arange(n_rows), 1 + n_rows + jj, np.full(n_cols, sink)])
        caps = np.concatenate([need_r, np.ones(len(ii), dtype=np.int64), need_c]).astype(np.int32)
        keep = caps > 0
        graph = csr_matrix(
            (caps[keep], (tails[keep], heads[keep])), shape=(sink + 1, sink + 1), dtype=np.int32
        )
        res = maximum_flow(graph, src, sink, method="dinic")
        if res.flow_value != need_r.sum():  # pragma: no cover - excluded by the margin check
            raise SplitError(
                f"controlled rounding found {res.flow_value} of {need_r.sum()} units to round up: "
                "the table's margins do not match its totals"
            )
        flow = res.flow.tocsr()
        cell_flow = np.asarray(flow[1 + ii, 1 + n_rows + jj]).ravel()
        up[ii, jj] = cell_flow > 0
    k = base.astype(np.int64) + up
    return pd.DataFrame(from_units(k, u), index=table.index, columns=table.columns)


# -- 6. the pyramid ----------------------------------------------------------------------
def split_down(
    tree: RegionTree,
    top_total,
    history: pd.DataFrame,
    *,
    method: str = "proportion_averages",
    unit=1,
    levels=None,
    root: str | None = None,
    **method_kwargs,
) -> pd.DataFrame:
    """
    Split a target top-down through the region tree, level by level (分配方式).

    Parameters
    ----------
    tree : RegionTree
        The region tree.
    top_total : int or float
        The root's target; a multiple of ``unit``.
    history : DataFrame
        Tidy history: ``region_id``, ``month``, ``value``, recorded at the leaves (or at
        any region: a fact counts for that region and all its ancestors).
    method : str, default "proportion_averages"
        A name in ``SPLIT_METHODS`` or ``"blend"``; see :func:`shares_for`.
    unit : int or float, default 1
        Rounding unit at every level.
    levels : int or str, optional
        How deep to split: a number of levels below the root, or the name of the
        deepest level (e.g. ``"county"``). Default: down to the leaves.
    root : str, optional
        Start here instead of the tree's root.
    **method_kwargs
        ``potential`` (Series by region id), ``weights``, ``window`` for
        :func:`shares_for`. The window is resolved once over the whole history (default
        its last 24 months), so every parent uses the same months.

    Returns
    -------
    DataFrame
        ``region_id, parent_id, level, target`` in tree order, the root first (its
        parent_id missing when it is the tree's root); each parent's children sum
        exactly to its target.

    Raises
    ------
    HierarchyError
        An unknown root or a history region not in the tree.
    ParamsError
        An unknown method or bad method arguments.
    SplitError
        As :func:`split_target`.

    Warns
    -----
    PlanWarning
        Once, listing every parent with a target but no basis (no history in the
        window) and more than one child: each is split evenly over its children.

    Notes
    -----
    For a parent P with target T_P and children C: T_c = split_target(T_P, p_c) with
    p_c = shares_for(method, history of c's subtree). A region's history is the sum over
    its subtree, y_{c,t} = sum_{l in subtree(c)} y_{l,t}.
    """
    start = tree.root if root is None else tree.check(root)
    kwargs = dict(method_kwargs)
    window = kwargs.pop("window", None)
    potential = kwargs.pop("potential", None)
    weights = kwargs.pop("weights", None)
    if kwargs:
        raise ParamsError(f"unknown arguments for split_down: {', '.join(kwargs)}; use potential, weights, window")
    if method != "blend" and method not in SPLIT_METHODS:
        raise _unknown_method(method)
    u = check_unit(unit)
    to_units(top_total, u, "top_total")

    if "region_id" not in history.columns:
        raise DataError("history needs columns region_id, month, value; missing region_id")
    h = _prepare_history(history, child_col="region_id")
    unknown = [rid for rid in pd.unique(h["child"]) if rid not in tree]
    if unknown:
        raise HierarchyError(f"history names regions that are not in the tree: {child_labels(unknown)}")
    if len(h):
        months = _window_months(h["month"], window)
        h = h[h["month"].isin(months)]
        win = (months[0], months[-1]) if len(months) else window
    else:
        win = window
    # roll each fact up to the region and all its ancestors: one region x month matrix
    leaf = h.groupby(["child", "month"], as_index=False)["value"].sum()
    chains = [(rid, a) for rid in pd.unique(leaf["child"]) for a in (rid, *tree.ancestors(rid))]
    link = pd.DataFrame(chains, columns=["child", "region"])
    node = leaf.merge(link, on="child").groupby(["region", "month"])["value"].sum().unstack("month", fill_value=0.0)
    node_values = node.to_numpy(dtype=float)
    node_row = {rid: i for i, rid in enumerate(node.index)}
    n_months = node_values.shape[1]

    def history_shares(kids: tuple) -> pd.Series:
        y = np.zeros((len(kids), n_months))
        for j, kid in enumerate(kids):
            i = node_row.get(kid)
            if i is not None:
                y[j] = node_values[i]
        parts = {"proportion_averages": _pa_core, "average_proportions": _ap_core}
        if method in parts:
            return pd.Series(parts[method](y, kids, node.columns), index=pd.Index(kids, dtype=object), name="share")
        # potential, equal, blend: the general path on this parent's tidy history
        tidy = pd.DataFrame(
            {"child": np.repeat(np.asarray(kids, dtype=object), n_months),
             "month": np.tile(node.columns.to_numpy(), len(kids)), "value": y.ravel()}
        )
        sub_potential = potential.reindex(list(kids)) if isinstance(potential, pd.Series) else potential
        return shares_for(method, tidy, potential=sub_potential, weights=weights, window=win, children=kids)

    base_depth = len(tree.ancestors(start))
    if levels is None:
        max_depth = None
    elif isinstance(levels, str):
        if levels not in LEVEL_DEPTH:
            raise ParamsError(f"unknown level {levels!r}; valid levels: {', '.join(LEVEL_DEPTH)}")
        max_level = LEVEL_DEPTH[levels]
        max_depth = None
    elif isinstance(levels, (int, np.integer)) and levels >= 0:
        max_depth = base_depth + int(levels)
    else:
        raise ParamsError(f"levels must be a number of levels or a level name, got {levels!r}")

    target = {start: from_units(np.array([to_units(top_total, u, "top_total")]), u)[0]}
    rows = []
    no_basis: list[str] = []
    for rid in tree.subtree(start):
        if rid not in target:
            continue
        rows.append((rid, tree.parent(rid), tree.level(rid), target[rid]))
        kids = tree.children(rid)
        if not kids:
            continue
        if max_depth is not None and len(tree.ancestors(rid)) + 1 > max_depth:
            continue
        if isinstance(levels, str):
            if any(LEVEL_DEPTH.get(tree.level(k), 99) > max_level for k in kids):
                continue
        shares = history_shares(kids)
        if float(shares.sum()) == 0:
            if len(kids) > 1 and target[rid] != 0:
                no_basis.append(f"{rid} ({format_amount(float(target[rid]))} over {len(kids)} children)")
            shares = pd.Series(1.0, index=shares.index)
        split = split_target(target[rid], shares, unit=unit)
        target.update(zip(split.index, split.to_numpy()))
    if no_basis:
        warnings.warn(
            f"no basis to split by {method} (no history in the window), split evenly: {child_labels(no_basis)}",
            PlanWarning,
            stacklevel=2,
        )
    out = pd.DataFrame(rows, columns=["region_id", "parent_id", "level", "target"])
    out["target"] = out["target"].astype(np.int64 if is_integral(u) else float)
    return out
