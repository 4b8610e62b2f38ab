"""
Allocation of a plan's volume target down the pyramid: regions, months, breakdowns, terminals.

The top-down split (分配方式, DOMAIN.md §2, §5) of one integer volume target into the
``results/targets.parquet`` table of DESIGN.md §4::

    root total ─ split_down / constrain_split ─ region annual totals (every level)
        └─ root months = round_to_total(total x month shares)
        └─ per level, children x months fitted to (children's totals, parent's months)
           and rounded with both margins exact
    every region-month ─ sku / channel / terminal_class / distributor_id breakdowns; the
                         product lines are their SKUs' sums
    every county-month ─ named A and B terminals, C/D terminals as one line per township

Public functions
----------------
allocate_plan    the targets table (volume exact at every level and breakdown)

The history comes from :mod:`planlib.targets.history`, the breakdowns from
:mod:`planlib.targets.breakdowns`, the check from :mod:`planlib.targets.validate`.

Exactness: volumes are integers (multiples of ``unit``) and every table is rounded with
all of its margins exact (largest remainder for one margin, controlled rounding by
maximum flow for two). Breakdowns are split at the planned units (regions without
planned children); a parent's lines are its children's sums, and a product line's its
SKUs'. Revenue is volume x last year's realised price, rounded to cents per line at the
planned units and summed above them, so every parent's revenue is its children's to the
cent; within one region the breakdown lines are each at their own price and need not
add up to the region's total revenue.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from planlib.errors import ParamsError, PlanWarning, SplitError
from planlib.hierarchy import RegionTree
from planlib.labels import LEVEL_NAMES
from planlib.rounding import round_to_total, to_units
from planlib.schemas import LEVEL_DEPTH
from planlib.targets.breakdowns import (
    dense_breakdown,
    lines_of_skus,
    sparse_breakdown,
    terminal_breakdown,
)
from planlib.targets.fitting import fit_and_round_cells
from planlib.targets.history import AllocationHistory
from planlib.targets.nodes import (
    PlannedNodes,
    festival_free,
    festival_groups,
    month_index,
    realised_price,
)
from planlib.targets.shares import (
    SPLIT_METHODS,
    average_proportions_core,
    forecast_proportions_core,
    proportion_averages_core,
    shares_for,
)
from planlib.targets.split import (
    constrain_split,
    constrain_units,
    relax_bounds,
    split_down,
    unit_bounds,
)
from planlib.targets.table import assemble_targets, target_rows

__all__ = ["allocate_plan"]

_MONTHS = np.arange(1, 13)


def _check_month_shares(month_shares) -> np.ndarray:
    s = pd.Series(month_shares)
    if sorted(int(i) for i in s.index) != list(range(1, 13)):
        raise ParamsError(f"month_shares must be indexed by the months 1..12, got {list(s.index)}")
    s.index = s.index.astype(int)
    arr = s.sort_index().to_numpy(dtype=float, na_value=np.nan)
    if (~np.isfinite(arr)).any() or (arr < 0).any() or arr.sum() <= 0:
        raise SplitError("month_shares must be non-negative numbers with a positive sum")
    if abs(arr.sum() - 1.0) > 1e-6:
        raise SplitError(f"month_shares must sum to 1, they sum to {arr.sum():.6g}")
    return arr


def _history_at(monthly: pd.DataFrame, tree: RegionTree, root: str, depth: int) -> pd.DataFrame:
    """Tidy region_id, month, value history of the root's subtree, rolled up to ``depth`` (no deeper)."""
    home = {}
    levels, parents = tree.levels, tree.parents
    for rid in tree.subtree(root):
        r = rid
        while LEVEL_DEPTH[levels[r]] > depth:
            r = parents[r]
        home[rid] = r
    codes, uniq = pd.factorize(monthly["region_id"])
    mapped = np.array([home.get(u) for u in uniq], dtype=object)
    ok = np.array([m is not None for m in mapped], dtype=bool)
    if len(codes) == 0 or not ok.any():
        return pd.DataFrame({"region_id": pd.Series([], dtype=object), "month": pd.Series([], dtype="datetime64[ns]"),
                             "value": pd.Series([], dtype=float)})
    targets, tcodes = np.unique(mapped[ok].astype(str), return_inverse=True)
    to_target = np.full(len(uniq), -1, dtype=np.int64)
    to_target[np.flatnonzero(ok)] = tcodes
    t = np.where(codes >= 0, to_target[np.maximum(codes, 0)], -1)
    keep = t >= 0
    mcodes, months = pd.factorize(pd.DatetimeIndex(monthly["month"]))
    key = t[keep] * len(months) + mcodes[keep]
    vals = np.bincount(key, monthly["volume"].to_numpy(dtype=float)[keep], len(targets) * len(months))
    nz = np.flatnonzero(vals)
    return pd.DataFrame({"region_id": targets[nz // len(months)].astype(object),
                         "month": months[nz % len(months)], "value": vals[nz]})


def _region_totals(tree, history_frame, *, root, total, method, unit, deepest, floor, holds,
                   last_year_start, weights=None, potential=None, cap=None, growth=None, growth_weight=0.0):
    """Annual totals per planned region: split_down, or constrain_split level by level."""
    h = history_frame
    extra = {}
    if weights:
        extra["weights"] = dict(weights)
    if potential is not None:
        extra["potential"] = potential
    if floor is None and not holds and cap is None and not growth_weight:
        return split_down(tree, total, h, method=method, unit=unit, levels=deepest, root=root, **extra)
    # the constrained path: shares by method per parent, then floors, caps and holds
    frame_ids = []
    start_level = LEVEL_DEPTH[deepest]
    levels, parents = tree.levels, tree.parents
    order = [r for r in tree.subtree(root) if LEVEL_DEPTH[levels[r]] <= start_level]
    # every planned region's subtree history as one dense region x month matrix (the months
    # of the whole history: the window every parent uses, as in split_down)
    row_of = {r: i for i, r in enumerate(order)}
    by_region = h.groupby(["region_id", "month"], observed=True)["value"].sum()
    months = pd.DatetimeIndex(sorted(pd.unique(by_region.index.get_level_values(1)))) if len(by_region) \
        else pd.DatetimeIndex([])
    roll = np.zeros((len(order), len(months)))
    if len(by_region):
        # each fact counts for its region and every planned ancestor: expand by the chains
        # (a region's chain is its row and its parent's chain; the subtree lists parents first)
        chain_of: dict = {}
        for r in order:
            chain_of[r] = [row_of[r], *(chain_of[parents[r]] if parents[r] in row_of else ())]
        code, uniq = pd.factorize(by_region.index.get_level_values(0))
        chains = [chain_of[r] if r in chain_of else
                  [row_of[a] for a in (r, *tree.ancestors(r)) if a in row_of] for r in uniq]
        lens = np.array([len(c) for c in chains], dtype=np.int64)
        flat = np.array([i for c in chains for i in c], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lens)[:-1]])
        n_each = lens[code]
        entry = np.repeat(np.arange(len(code)), n_each)
        within = np.arange(n_each.sum()) - np.repeat(np.cumsum(n_each) - n_each, n_each)
        rows = flat[offsets[code][entry] + within]
        cols = pd.Index(months).get_indexer(by_region.index.get_level_values(1))[entry]
        vals = by_region.to_numpy(dtype=float)[entry]
        roll = np.bincount(rows * len(months) + cols, weights=vals,
                           minlength=len(order) * len(months)).reshape(len(order), len(months))
    last_cols = months >= last_year_start
    holds = dict(holds or {})
    planned = set(order)
    unknown = [k for k in holds if k not in planned or k == root]
    if unknown:
        raise ParamsError(f"holds name regions that are not planned below {root}: {', '.join(map(str, unknown))}")

    cores = {"proportion_averages": proportion_averages_core, "average_proportions": average_proportions_core}
    # forecast_proportions on the array too where shares_for's checks would pass (its matrix is y itself)
    fp_core = method == "forecast_proportions" and len(months) > 0 and bool(np.isfinite(roll).all() and (roll >= 0).all())
    # the per-region inputs read once for every planned region (row_of's rows), taken per parent by position
    order_idx = pd.Index(order, dtype=object)
    with_growth = bool(growth_weight) and growth is not None
    growth_row = growth.reindex(order_idx).fillna(0.0).clip(lower=0.0).to_numpy(dtype=float) if with_growth else None
    # each child's potential (NaN: none, so no cap) and its cap in whole units of it
    capped = cap is not None and potential is not None
    pot_row = potential.reindex(order_idx).to_numpy(dtype=float, na_value=np.nan) if capped else None
    cap_row = pot_row * cap // unit * unit if capped else None
    target = {root: int(total)}
    relaxed: list[str] = []  # the bounds that gave way, one note per parent and kind
    for rid in order:
        frame_ids.append((rid, parents[rid], levels[rid], target[rid]))
        kids = [k for k in tree.children(rid) if LEVEL_DEPTH[levels[k]] <= start_level]
        if not kids:
            continue
        rows_k = np.array([row_of[k] for k in kids], dtype=np.int64)
        y = roll[rows_k]
        kid_idx = pd.Index(kids, dtype=object)
        shares = None  # the general path's Series (potential, blend); the cores give arrays
        if method in cores:
            s = cores[method](y, kids, months)
        elif fp_core:
            s = forecast_proportions_core(y)
        elif method == "equal":
            s = shares_for("equal", children=kids).to_numpy(dtype=float)
        else:  # potential, blend: the general path on this parent's tidy history
            tidy = pd.DataFrame({"child": np.repeat(np.asarray(kids, dtype=object), len(months)),
                                 "month": np.tile(months.to_numpy(), len(kids)), "value": y.ravel()})
            pot = None if potential is None else potential.reindex(kids).fillna(0.0)
            shares = shares_for(method, tidy, children=kids, weights=extra.get("weights"), potential=pot,
                                window=(months[0], months[-1]) if len(months) else None)
            s = shares.reindex(kid_idx).to_numpy(dtype=float)
        if with_growth:
            # the review's growth points pull the split toward the children that can add most
            g = growth_row[rows_k]
            if g.sum() > 0 and s.sum() > 0:
                s, shares = (1.0 - growth_weight) * s / s.sum() + growth_weight * g / g.sum(), None
        ly = y[:, last_cols].sum(axis=1)
        kid_holds = {k: holds[k] for k in kids if k in holds}
        # pandas' sum of the shares (missing values as 0)
        if float(np.nansum(s) if shares is None else shares.sum()) == 0 and len(kids) > 1 and target[rid] > 0 \
                and not kid_holds:
            warnings.warn(f"no basis to split {rid} by {method} (no history): split evenly over {len(kids)} children",
                          PlanWarning, stacklevel=3)
            s, shares = np.ones(len(kids)), None
        kid_cap = None if cap_row is None else cap_row[rows_k]
        try:
            hi = np.full(len(kids), np.inf) if kid_cap is None else np.where(np.isnan(kid_cap), np.inf, kid_cap)
            if not (np.isfinite(s).all() and (s >= 0).all() and (hi >= 0).all()):
                # bad inputs: the checked public path names them (the caps of the children with a potential)
                if kid_cap is not None:
                    known = ~np.isnan(pot_row[rows_k])
                    kid_cap = pd.Series(kid_cap[known], index=kid_idx[known]) if known.any() else None
                split = constrain_split(target[rid], pd.Series(s, index=kid_idx, name="share") if shares is None
                                        else shares, last_year=pd.Series(ly, index=kid_idx)
                                        if floor is not None else None, floor=floor, cap=kid_cap,
                                        holds=kid_holds or None, unit=unit)
                target.update({k: int(v) for k, v in split.items()})
            else:  # constrain_split's core on arrays (no pandas per parent), its bounds made feasible
                lo_k, hi_k = unit_bounds((1.0 - floor) * ly if floor is not None else np.zeros(len(kids)), hi, unit)
                held = np.array([k in kid_holds for k in kids], dtype=bool)
                hold_k = np.array([to_units(kid_holds[k], unit, f"hold {k}:") if k in kid_holds else 0 for k in kids],
                                  dtype=np.int64)
                if (hold_k < 0).any():
                    raise SplitError(f"holds must not be negative: {kid_holds}")
                lo_k, hi_k, notes = relax_bounds(target[rid] // unit, lo_k, hi_k, held, hold_k, kid_idx, unit)
                relaxed.extend(f"{rid}: {n}" for n in notes)
                hold_txt = "{" + ", ".join(f"{c}: {kid_holds[c]:,}" for c in kid_holds) + "}" if kid_holds else ""
                k = constrain_units(target[rid] // unit, s, lo_k, hi_k, held, hold_k, kid_idx, unit, hold_txt)
                target.update(zip(kids, (k * unit).tolist()))
        except SplitError as exc:
            raise SplitError(f"splitting {rid} ({tree.name(rid)}, target {target[rid]:,}) over its children: {exc}; "
                             "loosen split.floor / split.cap / split.holds for it") from None
    if relaxed:
        warnings.warn("the floors and caps read from history and potential did not fit some targets and gave way: "
                      + "; ".join(relaxed[:10]) + (f" (and {len(relaxed) - 10} more)" if len(relaxed) > 10 else ""),
                      PlanWarning, stacklevel=3)
    out = pd.DataFrame(frame_ids, columns=["region_id", "parent_id", "level", "target"])
    out["target"] = out["target"].astype(np.int64)
    return out


def allocate_plan(
    history: AllocationHistory,
    tree: RegionTree,
    *,
    root: str,
    total_volume: int,
    month_shares: pd.Series,
    plan_year: int,
    method: str = "proportion_averages",
    levels=("province", "city", "county"),
    unit: int = 1,
    floor: float | None = None,
    holds: Mapping[str, int] | None = None,
    weights: Mapping[str, float] | None = None,
    potential: pd.Series | None = None,
    cap: float | None = None,
    growth: pd.Series | None = None,
    growth_weight: float = 0.0,
    seasonality: str = "spring_festival",
) -> pd.DataFrame:
    """
    Allocate a volume target down the pyramid to regions, months, breakdowns and terminals.

    Parameters
    ----------
    history : AllocationHistory
        From :func:`load_allocation_history` (or built by hand).
    tree : RegionTree
        The region tree.
    root : str
        The region whose target this is (HQ, or any region for its own subtree).
    total_volume : int
        The root's annual volume target, a multiple of ``unit``.
    month_shares : Series
        The plan year's seasonal profile, indexed 1..12, summing to 1.
    plan_year : int
        The plan year; ``month`` is the first of each month of it.
    method : str, default "proportion_averages"
        Share method for the regions (:data:`~planlib.targets.shares.SPLIT_METHODS`), on the two years of history.
    levels : sequence of str, default ("province", "city", "county")
        Levels to split to; levels at or above the root are skipped; the deepest one named
        is the last level split (terminals are allocated when it is ``county``).
    unit : int, default 1
        Rounding unit of every volume.
    floor : float, optional
        Largest shrink against last year allowed to any region (0.1 = at most 10 % below),
        applied per parent's children by :func:`~planlib.targets.split.constrain_split`.
    holds : dict, optional
        Region id -> fixed annual volume (a manager's number); its siblings share the rest.
    weights : dict, optional
        For ``method="blend"``: method name -> weight (:func:`~planlib.targets.shares.shares_for`).
    potential : Series, optional
        Each region's potential volume (region id -> volume, e.g. its category market ×
        the largest share thought attainable); the basis of ``method="potential"`` and of
        ``cap``. Regions missing from it have no potential and no cap.
    cap : float, optional
        No region is asked for more than ``cap`` × its potential (1.0: not beyond it),
        applied per parent's children by :func:`~planlib.targets.split.constrain_split`; the excess is
        re-spread over the siblings below their caps.
    growth : Series, optional
        Each region's attainable increase (region id -> volume), the review's growth points
        (:func:`planlib.review.rank_growth_points`); regions missing from it count 0.
    growth_weight : float, default 0
        The weight of ``growth`` in each parent's shares, in [0, 1]:
        p_c = (1 − w) p_c^method + w g_c / Σ g (a parent whose children have no growth
        points keeps the method's shares).
    seasonality : {"spring_festival", "calendar"}, default "spring_festival"
        The month profile ``month_shares`` follows: with ``spring_festival`` the months the
        moving holidays touch are pooled in the children's seeds (below); with ``calendar``
        last year's months are the seeds as they are.

    Returns
    -------
    DataFrame
        The targets table of DESIGN.md §4 (:data:`TARGET_COLUMNS`): for every planned
        region and month one total row (bracketed columns empty), then its breakdowns by
        product_line, sku, channel and terminal_class (one dimension per row, every value
        of the dimension), by distributor_id (one line per distributor the region sold
        through last year, :data:`DIRECT` for sales without one), and at county
        level one row per A/B terminal (``terminal_id`` set) and per township's C/D
        terminals (``terminal_class`` ``"CD"``, ``region_id`` the township).
        ``last_year_volume`` is last year's actual of the same line and month; ``share``
        the line's share used for its annual split (of its parent region, of its region's
        total for a breakdown value, of its county for a terminal line).

    Raises
    ------
    ParamsError
        Unknown method or level, a hold on a region that is not planned, a bad unit or
        month_shares index.
    SplitError
        Holds that do not fit their parent's target (the message names them and by how
        much); a month_shares that does not sum to 1.
    HierarchyError
        Unknown root.

    Warns
    -----
    PlanWarning
        A parent (or planned unit, for a breakdown) with a target but no history: split
        evenly; a breakdown's history recorded above the planned units that cannot be
        handed down (distributors); a child opened during the history window; floors and
        caps that cannot all hold and give way (:func:`~planlib.targets.split.relax_bounds`:
        a floor above its cap, floors above the parent's target, caps below it, each said).

    Notes
    -----
    *Regions.* T_c = split of T_parent by shares p_c (method over the two-year window);
    with ``floor``/``cap``/``holds`` by ``constrain_split``'s core per parent, the floors and
    caps (read from history and potential, rounded to the unit child by child) relaxed where
    they cannot all hold, so no record of the history can make the split infeasible.

    *Months.* Root: M_m = round_to_total(T x s_m). For each parent P and its children C the
    table x_cm is fitted (IPF) to rows T_c and columns M_{P,m} from the seed
    y_cm = child c's last-year month m with the moving holidays' months pooled
    (Spring Festival and Mid-Autumn: each group of months their windows touch, last year or
    in the plan year, replaced by its mean, so last year's festival timing does not override
    the plan year's in ``month_shares``), then rounded with both margins exact. Levels are
    processed top-down, so each child's months are its parent's exact months.

    *Breakdowns* (SKU, channel, terminal class, distributor; terminal lines per county):
    per planned unit u (a region without planned children), A_uv = largest-remainder split
    of T_u by last year's mix w_uv (its own history plus what its ancestors recorded
    themselves, handed down by the targets' shares); then its months x values table is
    fitted to rows M_um and columns A_uv from the pooled last-year seed and rounded with
    both margins exact. A parent's lines are its children's sums, so every level adds up
    in every month and value; product lines are their SKUs' sums. A SKU first sold during
    last year (``history.sku_launch``) has its months before the launch filled at its share
    of the unit's months since (:func:`~planlib.targets.breakdowns.launched_months`), so its
    mix and its months are a whole year's.

    *Revenue* = volume x the line's realised price last year (revenue / volume of the same
    unit and value; a terminal's own; else the catalogue's ``unit_price`` for a SKU, else
    the region's), rounded to 0.01 per row at the planned units; a parent's rows and a
    product line's are sums of those, so revenue adds up the pyramid to the cent.

    All tables are solved at once per level (sparse IPF and one maximum-flow rounding over
    all of them), the same algorithms as :func:`~planlib.targets.fitting.fit_table` and :func:`~planlib.targets.fitting.round_table`.
    """
    if method != "blend" and method not in SPLIT_METHODS:
        raise ParamsError(f"unknown split method {method!r}; valid methods: {', '.join(SPLIT_METHODS)}")
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)) or unit < 1:
        raise ParamsError(f"unit must be a positive whole number of cases, got {unit!r}")
    if cap is not None and (potential is None or not cap > 0):
        raise ParamsError(f"cap {cap!r} needs a positive value and each region's potential (none given)"
                          if potential is None else f"cap must be a positive fraction of potential, got {cap!r}")
    if method == "potential" and potential is None:
        raise ParamsError("method 'potential' needs each region's potential (the market table gives it)")
    if not (isinstance(growth_weight, (int, float)) and 0.0 <= float(growth_weight) <= 1.0):
        raise ParamsError(f"growth_weight must be a fraction between 0 and 1, got {growth_weight!r}")
    unit = int(unit)
    tree.check(root)
    plan_year = int(plan_year)
    if history.plan_year != plan_year:
        raise ParamsError(f"the history was read for plan year {history.plan_year}, not {plan_year}")
    root_depth = LEVEL_DEPTH[tree.level(root)]
    bad = [lv for lv in levels if lv not in LEVEL_DEPTH]
    if bad:
        raise ParamsError(f"unknown level(s) {bad}; valid levels: {', '.join(LEVEL_DEPTH)}")
    below = [lv for lv in levels if LEVEL_DEPTH[lv] > root_depth]
    deepest = max(below, key=LEVEL_DEPTH.get) if below else tree.level(root)
    if history.level is not None and LEVEL_DEPTH[history.level] < LEVEL_DEPTH[deepest]:
        raise ParamsError(
            f"the history's breakdowns were read summed to the {history.level} level, but the plan splits to "
            f"{deepest}: read it with load_allocation_history(..., level={deepest!r})"
        )
    if floor is not None and not (isinstance(floor, (int, float)) and 0.0 <= float(floor) <= 1.0):
        raise SplitError(f"floor must be a fraction between 0 and 1 (0.1 = at most 10% below last year), got {floor!r}")
    shares = _check_month_shares(month_shares)
    if int(total_volume) != total_volume or int(total_volume) % unit or total_volume < 0:
        raise SplitError(f"total_volume {total_volume!r} must be a non-negative whole multiple of the unit {unit}")
    total = int(total_volume)
    if seasonality not in ("spring_festival", "calendar"):
        raise ParamsError(f"seasonality must be spring_festival or calendar, got {seasonality!r}")
    groups = festival_groups(plan_year) if seasonality == "spring_festival" else []
    months = pd.DatetimeIndex([pd.Timestamp(plan_year, m, 1) for m in range(1, 13)])
    ly_start = pd.Timestamp(plan_year - 1, 1, 1)

    # -- 1. annual totals per region ------------------------------------------------------
    hist = _history_at(history.monthly, tree, root, LEVEL_DEPTH[deepest])
    plan = _region_totals(tree, hist, root=root, total=total, method=method, unit=unit, deepest=deepest,
                          floor=floor, holds=holds, last_year_start=ly_start, weights=weights,
                          potential=potential, cap=cap, growth=growth, growth_weight=float(growth_weight))
    nodes = PlannedNodes(tree, plan, root, deepest)
    annual = plan["target"].to_numpy(dtype=np.int64) // unit  # in units from here on

    # last year per node x month (volume, revenue), rolled up
    ly_rows = history.monthly[pd.DatetimeIndex(history.monthly["month"]).year == plan_year - 1]
    ni = nodes.index_of(ly_rows["region_id"])
    keep = ni >= 0
    key = ni[keep] * 12 + month_index(ly_rows["month"])[keep]
    ly_vol = nodes.roll_up(np.bincount(key, ly_rows["volume"].to_numpy(dtype=float)[keep], nodes.n * 12)
                           .reshape(nodes.n, 12))
    ly_rev = nodes.roll_up(np.bincount(key, ly_rows["revenue"].to_numpy(dtype=float)[keep], nodes.n * 12)
                           .reshape(nodes.n, 12))
    _warn_own_sales_above_units(nodes, np.bincount(ni[keep], ly_rows["volume"].to_numpy(dtype=float)[keep], nodes.n),
                                ly_vol.sum(axis=1))

    # -- 2. region x month ----------------------------------------------------------------
    mon = np.zeros((nodes.n, 12), dtype=np.int64)
    mon[0] = round_to_total(shares, annual[0])
    seed_all = festival_free(ly_vol, groups)
    for dep in sorted(set(nodes.depth[1:].tolist())):
        kids = np.flatnonzero(nodes.depth == dep)
        par = nodes.parent[kids]
        upar, pblock = np.unique(par, return_inverse=True)
        row = np.repeat(np.arange(len(kids)), 12)
        col = (pblock[:, None] * 12 + _MONTHS[None, :] - 1).ravel()
        cells = fit_and_round_cells(np.repeat(pblock, 12), row, col, seed_all[kids].ravel(), annual[kids],
                               mon[upar].ravel(), f"months of the {LEVEL_NAMES.get(nodes.level[kids[0]])} level")
        mon[kids] = cells.reshape(len(kids), 12)

    parts = []
    parent_annual = np.where(nodes.parent >= 0, annual[np.maximum(nodes.parent, 0)], annual)
    region_share = np.divide(annual, parent_annual, out=np.ones(nodes.n), where=parent_annual > 0)
    fallback_price = float(history.unit_prices.mean()) if len(history.unit_prices) else 0.0
    region_price = realised_price(ly_vol.sum(axis=1), ly_rev.sum(axis=1), np.nan)
    # a region with no realised price takes its nearest ancestor's, else the catalogue's
    for i in range(nodes.n):
        if not np.isfinite(region_price[i]):
            p = nodes.parent[i]
            region_price[i] = region_price[p] if p >= 0 and np.isfinite(region_price[p]) else fallback_price
    node_cat = pd.Categorical.from_codes(np.arange(nodes.n), categories=nodes.categories)
    # revenue of the totals: a region planned as a unit (no planned children) at its own
    # realised price, in cents; a parent's is its children's sum, so it adds up like volume
    revenue = np.where(nodes.leaf[:, None], np.round(mon * unit * region_price[:, None], 2), 0.0)
    revenue = np.round(nodes.roll_up(revenue), 2)
    parts.append(target_rows(node_cat, nodes.level, months, mon * unit, revenue, ly_vol,
                       np.repeat(region_share[:, None], 12, axis=1)))

    # -- 3. breakdowns, 4. terminals (county level) --------------------------------------
    dense = {}
    for dim, frame in (("sku", history.skus), ("product_line", history.product_lines), ("channel", history.channels),
                       ("terminal_class", history.terminal_classes)):
        if frame is None:  # a hand-built history without this dimension
            continue
        if dim == "product_line" and dense.get("sku") is not None and history.sku_lines is not None:
            # the product lines are their SKUs' sums, so the two breakdowns agree cell by cell
            dense[dim] = lines_of_skus(dense["sku"], history.sku_lines, frame, nodes, annual, unit, months)
        else:
            dense[dim] = dense_breakdown(frame, dim, nodes, annual, mon, unit, months, groups, region_price,
                                          {"product_line": history.unit_prices, "sku": history.sku_prices}.get(dim),
                                          fallback_price, launch=history.sku_launch if dim == "sku" else None)
    parts.extend(dense[d][0] for d in ("product_line", "sku", "channel", "terminal_class") if dense.get(d) is not None)
    if history.distributors is not None:
        # thousands nationally, each in a few regions -- sparse (region, distributor) lines
        dist_part = sparse_breakdown(history.distributors, "distributor_id", nodes, annual, mon, unit, months,
                                      groups, region_price)
        if dist_part is not None:
            parts.append(dist_part)
    if deepest == "county":
        term_part = terminal_breakdown(history, tree, nodes, annual, mon, unit, months, groups, region_price)
        if term_part is not None:
            parts.append(term_part)
    return assemble_targets(parts)


def _warn_own_sales_above_units(nodes: PlannedNodes, own: np.ndarray, total: np.ndarray) -> None:
    """
    A PlanWarning naming the planned parents that sold last year in their own name, in no child.

    A county with terminals of its own above its townships, planned down to the townships:
    the region split hands those sales to the children by their shares, so each child's
    target carries a part of business it never had (its report then reads far above its
    trend). More than 0.5% of the parent's volume (and a case) is named.
    """
    held = np.flatnonzero(~nodes.leaf & (own >= 1.0) & (own > 0.005 * total))
    if not len(held):
        return
    said = [f"{nodes.ids[i]} {own[i] / total[i]:z.0%}" for i in held[:5]]
    more = f" and {len(held) - 5} more" if len(held) > 5 else ""
    warnings.warn(f"{len(held)} planned region(s) sold last year in their own name, in none of their children "
                  f"({', '.join(said)}{more} of their volume): the split hands those sales to the children by their "
                  "shares, so the children's targets carry them; end scope.levels at those regions' level to plan "
                  "that business where it is", PlanWarning, stacklevel=3)
