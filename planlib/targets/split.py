"""
Splitting a target exactly: one parent over its children, within bounds, down the tree.

Every split here sums *exactly* to its parent: amounts are rounded in whole
multiples of the plan's ``unit`` by largest remainder, never by plain ``round``.

Public functions
----------------
split_target        a parent's target over its children by shares (even split on no basis)
constrain_split     a split that respects floors against last year, caps and holds
split_down          top-down split through the region tree, level by level
unit_bounds         floors and caps in whole units (the array core of constrain_split)
relax_bounds        floors and caps from history and potential made feasible for one split
constrain_units     constrain_split on checked arrays, in units (the allocation's per-parent core)

Amounts are returned as ``int64`` when the unit is a whole number, else as floats
rounded to the unit's decimals (the integer count of units is what is exact then).
The shares come from :mod:`planlib.targets.shares`; tables with two margins from
:mod:`planlib.targets.fitting`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

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
from planlib.targets.shares import (
    SPLIT_METHODS,
    average_proportions_core,
    checked_history,
    checked_shares,
    proportion_averages_core,
    shares_for,
    unknown_split_method,
    window_months,
)

__all__ = ["split_target", "constrain_split", "split_down"]


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
    s = checked_shares(shares)
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


def unit_bounds(lo: np.ndarray, hi: np.ndarray, u: float) -> tuple[np.ndarray, np.ndarray]:
    """
    Floors ``lo`` and caps ``hi`` (amounts; inf: no cap) in whole units of ``u``:
    floors rounded up, caps down, so a split within them stays within the amounts.
    """
    lo_k = np.ceil(np.round(lo / u, 9)).astype(np.int64)
    hi_k = np.where(np.isfinite(hi), np.floor(np.round(np.where(np.isfinite(hi), hi, 0.0) / u, 9)), np.inf)
    return lo_k, hi_k


def constrain_units(k_total: int, shares: np.ndarray, lo_k: np.ndarray, hi_k, held: np.ndarray,
                     hold_k: np.ndarray, idx: pd.Index, u: float, hold_txt: str = "") -> np.ndarray:
    """
    The core of :func:`constrain_split` on checked arrays, in units: the feasibility
    checks (errors name the children of ``idx``) and the spread of what the holds leave.

    Parameters
    ----------
    k_total : int
        The parent's total in units.
    shares : ndarray
        Non-negative share per child.
    lo_k, hi_k : ndarray
        Floors and caps per child in units (:func:`unit_bounds`; inf: no cap).
    held, hold_k : ndarray
        Which children are held, and their holds in units (0 where not held).
    idx : Index
        The children's labels, for the messages and the tie order.
    u : float
        The unit, for the amounts in the messages.
    hold_txt : str, optional
        The holds as text, for the messages.

    Returns
    -------
    ndarray
        int64 units per child summing to ``k_total``, each within its bounds, holds exact.

    Raises
    ------
    SplitError
        A floor above its cap, holds above the total, floors needing more than remains or
        caps allowing less (the message names the children and by how much).
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


def relax_bounds(k_total: int, lo_k: np.ndarray, hi_k: np.ndarray, held: np.ndarray, hold_k: np.ndarray,
                 idx: pd.Index, u: float) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """
    Floors and caps read from history and potential, made feasible for one split.

    Such bounds are guidelines (``split.floor`` against last year, ``split.cap`` against
    a potential read from the market table), each rounded to whole units on its own: they
    need not fit a parent's exact target. A parent held at its cap can hold one unit more
    than its children's caps rounded down (138,388.7 + 188,565.3 = 326,954.0 but
    138,388 + 188,565 = 326,953), a child can have sold above its potential, and a plan's
    total can sit below the floors. Rather than break the plan on such a record, the
    bounds give way, least first, and each relaxation is said.

    Parameters
    ----------
    k_total : int
        The parent's target in units.
    lo_k, hi_k : ndarray
        Floors and caps per child in units (:func:`unit_bounds`; inf: no cap).
    held, hold_k : ndarray
        Which children are held (their bounds are not used), and their holds in units.
    idx : Index
        The children's labels, for the notes.
    u : float
        The unit, for the amounts in the notes.

    Returns
    -------
    (ndarray, ndarray, list of str)
        The floors and caps to split within, and one note per relaxation (empty: none).

    Notes
    -----
    With F the free children and R = k_total − Σ holds (R < 0 is the holds' own error,
    left to :func:`constrain_units`), in this order:

    0. a hold outside its child's own floor or cap (a manager's number) is kept;
    1. a floor above its own cap (the child sold last year above its potential): the cap
       is raised to the floor;
    2. Σ_F lo > R: every floor is scaled by R / Σ_F lo, rounded down (Σ ≤ R after);
    3. Σ_F hi < R: every cap is scaled by R / Σ_F hi, rounded up (Σ ≥ R after); caps
       that are all zero are dropped.

    After 1, lo ≤ hi child by child, so 2 and 3 never both apply and neither breaks 1:
    :func:`constrain_units` then always finds a split.
    """
    lo_k = np.asarray(lo_k, dtype=np.int64).copy()
    hi_k = np.asarray(hi_k, dtype=float).copy()
    free = ~np.asarray(held, dtype=bool)
    notes: list[str] = []
    outside = ~free & ((hold_k < lo_k) | (hold_k > hi_k))
    if outside.any():
        notes.append(f"holds outside their own floor or cap kept: {child_labels([str(x) for x in idx[outside]])}")
    clash = free & (lo_k > hi_k)
    if clash.any():
        notes.append(f"floor above the cap for {child_labels([str(x) for x in idx[clash]])}: cap raised to the floor")
        hi_k[clash] = lo_k[clash]
    rest_k = int(k_total) - int(np.asarray(hold_k, dtype=np.int64).sum())
    if rest_k < 0 or not free.any():
        return lo_k, hi_k, notes
    need = int(lo_k[free].sum())
    if need > rest_k:
        notes.append(f"floors need {format_amount(need * u)} but {format_amount(rest_k * u)} is to split: "
                     f"each lowered to {rest_k / need:z.4%} of itself")
        lo_k[free] = lo_k[free] * rest_k // need
    room = float(hi_k[free].sum())
    if room < rest_k:
        if room <= 0:
            notes.append(f"caps of {child_labels([str(x) for x in idx[free]])} are all zero but "
                         f"{format_amount(rest_k * u)} is to split: no caps")
            hi_k[free] = np.inf
        else:
            room_k = int(room)
            notes.append(f"caps allow {format_amount(room_k * u)} but {format_amount(rest_k * u)} is to split: "
                         f"each raised to {rest_k / room_k:z.4%} of itself")
            hi_k[free] = (hi_k[free].astype(np.int64) * rest_k + room_k - 1) // room_k
    return lo_k, hi_k, notes


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
    s = checked_shares(shares)
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
    lo_k, hi_k = unit_bounds(lo, hi, u)

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
    out_k = constrain_units(k_total, s.to_numpy(), lo_k, hi_k, held, hold_k, idx, u, hold_txt)
    return pd.Series(from_units(out_k, u), index=idx, name="target")


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
        ``potential`` (Series by region id; a region missing from it has potential 0),
        ``weights``, ``window`` for :func:`shares_for`. The window is resolved once over the
        whole history (default its last 24 months), so every parent uses the same months.

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
        raise unknown_split_method(method)
    u = check_unit(unit)
    to_units(top_total, u, "top_total")

    if "region_id" not in history.columns:
        raise DataError("history needs columns region_id, month, value; missing region_id")
    h = checked_history(history, child_col="region_id")
    unknown = [rid for rid in pd.unique(h["child"]) if rid not in tree]
    if unknown:
        raise HierarchyError(f"history names regions that are not in the tree: {child_labels(unknown)}")
    if len(h):
        months = window_months(h["month"], window)
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
        parts = {"proportion_averages": proportion_averages_core, "average_proportions": average_proportions_core}
        if method in parts:
            return pd.Series(parts[method](y, kids, node.columns), index=pd.Index(kids, dtype=object), name="share")
        # potential, equal, blend: the general path on this parent's tidy history
        tidy = pd.DataFrame(
            {"child": np.repeat(np.asarray(kids, dtype=object), n_months),
             "month": np.tile(node.columns.to_numpy(), len(kids)), "value": y.ravel()}
        )
        # a region missing from the potential (no market records) has none, as in allocate_plan
        sub_potential = potential.reindex(list(kids), fill_value=0.0) if isinstance(potential, pd.Series) \
            else potential
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
