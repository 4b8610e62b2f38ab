"""
The plan's targets: the root's target kinds and the exact split of its volume down the scope.

Public names
------------
PlanTargets         the plan's targets (frozen): the root's kinds and the targets table
plan_targets        set the root's targets and split its volume exactly down the plan's scope
region_potential    each region's potential volume (a share of its category market, at least its own sales)
reconciled_holds    the reconciled targets of every planned region (``split.reconcile``), to be held
region_growth_points each region's attainable increase (the review's growth points), for ``split.growth_weight``
planned_history     every planned region's own monthly volume, summed from one read of the recorded sales
planned_baselines   every planned region's own trend forecast for the plan year, fitted in one pass
target_source       where a region's children's targets came from (top-down, reconciled), one sentence
root_target         the root's volume target by ``targets.root`` (forecast, growth, volume, revenue)
split_choice        the share method the plan splits by (``split.method``, ``auto`` by back-test)
SplitChoice         that method, how it was chosen and the back-test behind it (frozen)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import pandas as pd

from planlib import review
from planlib.archive.queries import targets as queries
from planlib.errors import DataError, ParamsError, PlanWarning
from planlib.labels import CODE_NAMES, SEASONALITY_NAMES
from planlib.schemas import LEVEL_DEPTH
from planlib.targets.allocate import allocate_plan
from planlib.targets.baseline import Baseline, SeasonalityChoice, baseline, baselines, plan_month_shares
from planlib.targets.history import load_allocation_history
from planlib.targets.kinds import region_economics, set_targets
from planlib.targets.history import children_history, coded_history
from planlib.targets.readcache import ArchiveReads
from planlib.targets.reconcile import ALL_HISTORY_FROM, reconciled_targets
from planlib.targets.shares import best_split_method, split_backtest
from planlib.targets.validate import validate_targets

__all__ = ["PlanTargets", "plan_targets", "region_potential", "split_choice", "SplitChoice", "root_target", "reconciled_holds",
           "target_source", "region_growth_points", "planned_history", "planned_baselines"]


@dataclass(frozen=True, eq=False)
class SplitChoice:
    """
    The share method a plan splits by and why.

    Attributes
    ----------
    method : str
        The method used (a key of :data:`~planlib.targets.shares.SPLIT_METHODS` or ``blend``).
    asked : str
        ``split.method`` as written (``auto`` when the back-test chose).
    backtest : DataFrame
        :func:`~planlib.targets.shares.split_backtest` (empty unless ``auto``).
    """

    method: str
    asked: str
    backtest: pd.DataFrame

    @property
    def reading(self) -> str:
        """One sentence: the method and, for ``auto``, which won the back-test and by how much."""
        name = CODE_NAMES.get(self.method, self.method)
        if self.asked != "auto":
            return f"份额方法：{name}（按方案参数设定，未回测）。"
        if self.backtest.empty:
            return f"份额方法：{name}（自动选择：历史不足以回测去年，沿用按各下级自身趋势分配的方法）。"
        b = self.backtest
        # the gap between the two rates as the page shows them (1.6% and 4.2%: 2.6 points)
        gap = round(100 * b["wmape"].iloc[1], 1) - round(100 * b["wmape"].iloc[0], 1)
        runner = (f"；次优的{CODE_NAMES.get(b['method'].iloc[1], b['method'].iloc[1])}误差 {b['wmape'].iloc[1]:z.1%}，"
                  f"高 {gap:z.1f} 个百分点") if len(b) > 1 else ""
        return (f"份额方法：{name}（自动选择：用此前各年的份额分解去年的实际总量，{int(b['parents'].iloc[0]):,} 个上级的 "
                f"{int(b['children'].iloc[0]):,} 个下级加权误差 {b['wmape'].iloc[0]:z.1%}{runner}）。")


@dataclass(frozen=True, eq=False)
class PlanTargets:
    """
    The plan's targets: the root's target kinds and the exact split of its volume.

    ``baselines`` is each planned region's own trend forecast for the plan year (region id ->
    the annual total :func:`~planlib.targets.reconcile.children_baselines` gives it as a
    child), for every region below the root the step fitted when the reconciliation takes the
    children's own trend (``split.reconcile`` set, no ``split.proposals``); None otherwise.
    """

    root: str
    plan_year: int
    baseline: Baseline
    kinds: pd.DataFrame
    month_shares: pd.Series
    total_volume: int
    table: pd.DataFrame
    split: SplitChoice | None = None
    seasonality: SeasonalityChoice | None = None
    baselines: pd.Series | None = None


def plan_targets(plan, tree, con, *, cache_dir=None) -> PlanTargets:
    """
    Set the root's targets and split its volume exactly down the plan's scope.

    Parameters
    ----------
    plan : PlanParams
        The plan (``year``, ``scope``, ``targets``, ``split``).
    tree : RegionTree
    con : DuckDBPyConnection
        The open archive.
    cache_dir : path-like, optional
        A folder keeping the root's and the planned regions' Holt-Winters fits between runs of the plan
        (:func:`planned_baselines`), and the step's three big archive reads (the allocation's history,
        every recorded region's months, the root's economics: :class:`~planlib.targets.readcache.ArchiveReads`,
        keyed by the archive's files and fingerprint, the reading code and every argument); a rerun on
        the same archive reads them back, the same objects to the bit.

    Returns
    -------
    PlanTargets
        ``table`` is the DESIGN.md §4 targets table of every region in scope.

    Notes
    -----
    target volume = :func:`root_target` (default round_unit(baseline × (1 + targets.stretch))); months follow the
    plan year's profile by ``split.seasonality`` (:func:`plan_month_shares`: festival-aligned,
    calendar, or the one that predicted last year's months better); regions, months,
    product lines, channels, terminal classes and A/B terminals are split by
    :func:`~planlib.targets.allocate.allocate_plan`, every child summing exactly to its parent
    (checked by :func:`~planlib.targets.validate.validate_targets` before the table is returned).
    """

    root, year = plan.scope.root, plan.year
    sp = plan.split
    reads = ArchiveReads(con, cache_dir)  # the big reads kept beside the fits, by the archive's state
    raw, everywhere = None, None  # every recorded region's own months, read once for the back-test and the reconciliation
    if sp.method == "auto" or sp.reconcile is not None:
        raw, outside = reads.read(queries.children_monthly_volume, list(tree.subtree(root)), ALL_HISTORY_FROM, year,
                                  others=True)
        # no sales outside the root's subtree (a national root): its own sales are read without a lookup per row
        everywhere = ALL_HISTORY_FROM if outside is False else None
    econ = reads.read(region_economics, tree, root, year, all_recorded_from=everywhere)
    base = baseline(econ.monthly, year, cache=cache_dir, end=econ.history_end)  # the root's fit kept with the planned regions'
    unit = plan.targets.unit
    total, how = root_target(plan.targets, base, econ, year)
    kinds = set_targets(
        econ.monthly,
        year,
        stretch=plan.targets.stretch,
        unit_price=econ.unit_price,
        unit_cost=econ.unit_cost,
        expense_ratio=econ.expense_ratio,
        market_volume=econ.market_volume if math.isfinite(econ.market_volume) else None,
        target_volume=None if plan.targets.root == "forecast" else total,
        target_basis=how,
        base=base,
        end=econ.history_end,
    )
    season = plan_month_shares(econ.monthly, year, plan.split.seasonality)
    shares = season.shares
    levels = tuple(lvl for lvl in plan.scope.levels if lvl not in ("hq",))
    deepest = max(levels or ("county",), key=LEVEL_DEPTH.get)
    history = reads.read(load_allocation_history, tree, root, year, level=deepest)
    _warn_sales_without_product(econ.monthly, history.monthly, root, year)
    # the own sales of last year, the potential's floor: from the months read above, or read (and kept) here
    sold = raw if raw is not None else reads.read(queries.children_monthly_volume, list(tree.subtree(root)),
                                                  year - 1, year)
    potential = region_potential(con, tree, root, year, share=sp.potential_share, sold=sold)
    cap, weights, method_asked = sp.cap, dict(sp.weights), sp.method
    if potential.empty and (cap is not None or sp.method == "potential" or weights.get("potential")):
        # optional data stays optional: without market records the potential is unknown
        dropped = [what for what, on in (("the cap (split.cap)", cap is not None),
                                         ("method potential (split.method)", sp.method == "potential"),
                                         ("the potential weight of the blend", bool(weights.get("potential"))))
                   if on]
        warnings.warn(f"no market records for {root} in {year - 1}: regional potential is unknown, so "
                      f"{', '.join(dropped)} is not applied and market-share targets are not set; "
                      "import the market table to use them", PlanWarning, stacklevel=2)
        cap = None
        weights.pop("potential", None)
        if sp.method == "potential" or (sp.method == "blend" and not any(w > 0 for w in weights.values())):
            method_asked = "auto"
    own_history = None  # the planned regions' own months, read once for the back-test and the reconciliation
    if method_asked == "auto" or sp.reconcile is not None:
        if raw is None:  # the plan fell back to auto (no market records for its method)
            raw = reads.read(queries.children_monthly_volume, list(tree.subtree(root)), ALL_HISTORY_FROM, year)
        own_history = planned_history(raw, tree, root, levels or ("county",))
    choice = split_choice(plan, tree, con, method=method_asked, history=own_history)
    growth = None
    if sp.growth_weight > 0:
        growth = region_growth_points(con, tree, root, year, history.monthly, capture_rate=plan.analysis.capture_rate)
        if growth.empty:
            warnings.warn(f"split.growth_weight {sp.growth_weight:g} is not applied: no market records for {root} in "
                          f"{year - 1}, so the review's growth points (headroom in the category) are unknown",
                          PlanWarning, stacklevel=2)
            growth = None
    holds = dict(sp.holds)
    own_trend = None
    if sp.reconcile is not None:  # bottom-up becomes the plan: the reconciled numbers are held
        if sp.proposals is None:  # the children's own trend: every planned region's baseline in one pass
            own_trend = planned_baselines(own_history, year, cache=cache_dir, end=econ.history_end)
        holds = reconciled_holds(plan, tree, con, total=total, method=choice.method, levels=levels or ("county",),
                                 potential=None if potential.empty else potential, weights=weights,
                                 history=own_history, baselines=own_trend)
    table = allocate_plan(
        history,
        tree,
        root=root,
        total_volume=total,
        month_shares=shares,
        plan_year=year,
        method=choice.method,
        levels=levels or ("county",),
        unit=unit,
        floor=sp.floor,
        holds=holds or None,
        weights=weights or None,
        potential=potential if (cap is not None or choice.method == "potential" or weights.get("potential")) else None,
        cap=cap,
        growth=growth,
        growth_weight=sp.growth_weight if growth is not None else 0.0,
        seasonality=season.seasonality,
    )
    # a safety net before anything is written: every level, month and breakdown adds up
    validate_targets(table, tree, sku_lines=history.sku_lines)
    kinds.loc[kinds["kind"] == "volume", "basis"] = (
        kinds.loc[kinds["kind"] == "volume", "basis"] + "；" + choice.reading
        + f"月度：{SEASONALITY_NAMES[season.profile]}（{_season_source(season)}）"
        + (f"；下级与其提案上下结合（{CODE_NAMES.get(sp.reconcile, sp.reconcile)}）" if sp.reconcile is not None else ""))
    return PlanTargets(root, year, base, kinds, shares, total, table, choice, season, own_trend)


def planned_baselines(history: pd.DataFrame, plan_year: int, *, cache=None, end=None) -> pd.Series:
    """
    Every planned region's own trend forecast for the plan year, fitted in one pass.

    Parameters
    ----------
    history : DataFrame
        :func:`planned_history` of the plan (child, month, value), all its years.
    plan_year : int
    cache : path-like, optional
        A folder keeping the Holt-Winters fits (:func:`~planlib.targets.baseline.baselines`'
        ``cache``): read back when the same history is fitted again, fitted and kept otherwise.
    end : date-like, optional
        Where every region's history ends (:func:`~planlib.targets.baseline.baselines`' ``end``):
        the archive's last month of own sales (``RegionEconomics.history_end``); default
        the last month of ``history``.

    Returns
    -------
    Series
        ``baseline`` by region id: :func:`~planlib.targets.baseline.baselines`' annual total
        of each region with history (the value :func:`~planlib.targets.reconcile.children_baselines`
        gives it as its parent's child).
    """
    fit = baselines(history.rename(columns={"month": "date", "value": "volume"}), plan_year, by="child", cache=cache,
                    end=end)
    return pd.Series(fit["annual"].to_numpy(), index=pd.Index(fit["child"].to_numpy(), dtype=object, name="region_id"),
                     dtype="float64", name="baseline")


def planned_history(monthly: pd.DataFrame, tree, root: str, levels) -> pd.DataFrame:
    """
    Every planned region's own monthly volume: the sales recorded in its subtree, summed by month.

    Parameters
    ----------
    monthly : DataFrame
        region_id, month, value — own monthly volume by recorded region
        (:func:`planlib.archive.queries.targets.children_monthly_volume` of the root's subtree).
    tree : RegionTree
    root : str
    levels : sequence of str
        The planned levels; every region below the root down to the deepest of them is a
        planned region.

    Returns
    -------
    DataFrame
        child, month (datetime64), value — one row per planned region and month with
        sales rows, by region id and month (each level summed by
        :func:`~planlib.targets.history.children_history`).
    """
    root_depth, deepest = LEVEL_DEPTH[tree.level(root)], LEVEL_DEPTH[max(levels, key=LEVEL_DEPTH.get)]
    by_level: dict[str, list] = {}  # a level's regions: subtrees that do not overlap
    lv = tree.levels
    for r in tree.subtree(root):
        if root_depth < LEVEL_DEPTH[lv[r]] <= deepest:
            by_level.setdefault(lv[r], []).append(r)
    coded = coded_history(monthly)  # the regions and months coded once for every level
    parts = [children_history(monthly, tree, kids, coded=coded) for kids in by_level.values()]
    if not parts:
        return pd.DataFrame({"child": pd.Series([], dtype=object), "month": pd.Series([], dtype="datetime64[ns]"),
                             "value": pd.Series([], dtype="float64")})
    return pd.concat(parts, ignore_index=True).sort_values(["child", "month"], kind="stable").reset_index(drop=True)


def split_choice(plan, tree, con, *, method: str | None = None, history: pd.DataFrame | None = None) -> SplitChoice:
    """
    The share method the plan splits by: ``split.method``, or with ``auto`` the winner of
    :func:`~planlib.targets.shares.split_backtest` on the plan's own history.

    Parameters
    ----------
    plan : PlanParams
    tree : RegionTree
    con : DuckDBPyConnection
    method : str, optional
        The method asked for instead of ``split.method`` (the plan's fallback to ``auto``
        when a method needs market data the archive does not have).
    history : DataFrame, optional
        :func:`planned_history` of the plan, when already read (at least the back-test's
        years); read from ``con`` otherwise.

    Returns
    -------
    SplitChoice

    Notes
    -----
    The back-test reads own monthly sales from ``year - 1 - split.history_years`` to last
    year, sums them to every planned level below the root, and splits each planned
    parent's actual last year by each method of :data:`~planlib.targets.shares.BACKTEST_METHODS`
    with shares from the ``history_years`` before it. Without a year to test, ``auto`` is
    ``forecast_proportions`` (each child's own trend).
    """
    sp = plan.split
    asked = sp.method if method is None else method
    if asked != "auto":
        return SplitChoice(asked, asked, pd.DataFrame(columns=["method", "wmape", "children", "parents"]))
    root, year = plan.scope.root, plan.year
    levels = [lv for lv in plan.scope.levels if lv != "hq"] or ["county"]
    deepest = LEVEL_DEPTH[max(levels, key=LEVEL_DEPTH.get)]
    first = year - 1 - sp.history_years
    if history is None:
        raw = queries.children_monthly_volume(con, list(tree.subtree(root)), first, year)
        history = planned_history(raw, tree, root, levels)
    hist = history[history["month"] >= pd.Timestamp(first, 1, 1)].reset_index(drop=True)
    root_depth = LEVEL_DEPTH[tree.level(root)]
    # in tree order: the back-test adds its parents' errors in this order (a set's order changed with the hash seed)
    lv = tree.levels
    planned = [r for r in tree.subtree(root) if root_depth < LEVEL_DEPTH[lv[r]] <= deepest]
    parents = {r: tree.parent(r) for r in planned} if len(hist) else {}
    bt = split_backtest(hist, parents, year, window=12 * sp.history_years)
    return SplitChoice(best_split_method(bt), "auto", bt)


def _rolled_up(tree, root: str, rows) -> dict[str, float]:
    """(region id, amount) pairs summed into each region of ``root``'s subtree and its ancestors there (missing: 0)."""
    top = set(tree.ancestors(root))
    out: dict[str, float] = {}
    for rid, amount in rows:
        amount = 0.0 if amount is None or amount != amount else float(amount)
        for a in (rid, *tree.ancestors(rid)):
            if a not in top:
                out[a] = out.get(a, 0.0) + amount
    return out


def region_potential(con, tree, root: str, plan_year: int, *, share: float, sold: pd.DataFrame | None = None) -> pd.Series:
    """
    Each region's potential volume: a share of its category market last year, and never
    less than what the region itself sold last year.

    Parameters
    ----------
    con : DuckDBPyConnection
    tree : RegionTree
    root : str
        The regions of this subtree are returned.
    plan_year : int
    share : float
        The largest share of the category market thought attainable (``split.potential_share``).
    sold : DataFrame, optional
        The own monthly sales already read (``region_id, month, value`` as
        ``queries.children_monthly_volume`` gives them, covering at least the subtree's
        last year; other months are ignored); read from the archive when not given.

    Returns
    -------
    Series
        ``potential`` by region id, for every region of the subtree whose subtree has
        market records last year (the others are missing: their potential is unknown).

    Notes
    -----
    potential_r = max(share × Σ_{l ∈ subtree(r)} market_volume_{l, last year},
    Σ_{l ∈ subtree(r)} own_volume_{l, last year}).

    The floor is the region's own sales (monthly records, as the split's last year): a
    region that already sells more than ``share`` of its market has shown that volume to
    be attainable. Without it, ``split.cap`` would hold such a region below last year
    whatever its trend, and hand the difference to the siblings with room left (on the
    national demo plan, 228 children of 128 parents were asked to shrink against a rising
    trend, and one county to grow 28.5% for its capped siblings).
    """
    ids = list(tree.subtree(root))
    market = _rolled_up(tree, root, queries.market_volume_by_region(con, ids, plan_year - 1))
    if not market:  # no market records: the potential is unknown, whatever was sold
        return pd.Series([], index=pd.Index([], dtype=object, name="region_id"), name="potential", dtype="float64")
    if sold is None:
        sold = queries.children_monthly_volume(con, ids, plan_year - 1, plan_year)
    else:
        sold = sold[pd.to_datetime(sold["month"]).dt.year == plan_year - 1]
    own = _rolled_up(tree, root, sold.groupby("region_id", sort=False)["value"].sum().items()) if len(sold) else {}
    order = [r for r in ids if r in market]
    # plain strings: reindexed per parent, an Arrow string index would be converted each time
    return pd.Series([max(share * market[r], own.get(r, 0.0)) for r in order],
                     index=pd.Index(order, dtype=object, name="region_id"), name="potential", dtype="float64")


def root_target(targets, base: Baseline, econ, plan_year: int) -> tuple[int, str]:
    """
    The root's volume target, set as ``targets.root`` says.

    Parameters
    ----------
    targets : Targets
        The plan's ``targets`` section (``root``, ``stretch``, ``growth``, ``volume``,
        ``revenue``, ``unit``).
    base : Baseline
        The root's baseline (:func:`~planlib.targets.baseline.baseline`).
    econ : RegionEconomics
        The root's history (last year's volume and realised price).
    plan_year : int

    Returns
    -------
    (int, str)
        The volume target (a multiple of ``unit``) and how it was set.

    Raises
    ------
    DataError
        ``root: growth`` without sales last year, or ``root: revenue`` without a realised
        price last year.

    Notes
    -----
    - ``forecast``: V = baseline × (1 + stretch)
    - ``growth``: V = last year's volume × (1 + growth)
    - ``volume``: V = volume
    - ``revenue``: V = revenue / last year's realised price (revenue / volume)

    rounded to the nearest multiple of ``unit``.
    """
    unit = targets.unit
    mode = getattr(targets, "root", "forecast")
    if mode == "forecast":
        v, how = base.annual * (1.0 + targets.stretch), f"baseline {base.method} × (1 + stretch {targets.stretch:z.1%})"
    elif mode == "growth":
        m = econ.monthly
        ly = float(m.loc[pd.to_datetime(m["date"]).dt.year == plan_year - 1, "volume"].sum()) if len(m) else 0.0
        if not ly > 0:
            raise DataError(f"targets.root: growth needs sales in {plan_year - 1} for {econ.region}; "
                            "set targets.root: volume (or forecast) instead")
        v, how = ly * (1.0 + targets.growth), f"last year {ly:,.0f} × (1 + growth {targets.growth:z.1%}) (targets.root: growth)"
    elif mode == "volume":
        v, how = float(targets.volume), f"fixed volume {targets.volume:,} (targets.root: volume)"
    elif mode == "revenue":
        if not econ.unit_price > 0:
            raise DataError(f"targets.root: revenue needs last year's realised price for {econ.region} "
                            f"(no sales revenue in {plan_year - 1}); set targets.root: volume instead")
        v = float(targets.revenue) / econ.unit_price
        how = (f"fixed revenue {targets.revenue:,.0f} / last year's realised price {econ.unit_price:,.2f} "
               "(targets.root: revenue)")
    else:
        raise ParamsError(f"targets.root must be forecast, growth, volume or revenue, got {mode!r}")
    return int(round(v / unit)) * unit, how


def reconciled_holds(plan, tree, con, *, total: int, method: str, levels, potential=None, weights=None,
                     history: pd.DataFrame | None = None, baselines: pd.Series | None = None) -> dict:
    """
    The reconciled target of every planned region below the root (``split.reconcile`` set).

    Parameters
    ----------
    plan : PlanParams
    tree : RegionTree
    con : DuckDBPyConnection
    total : int
        The root's target.
    method : str
        The top-down share method (:func:`split_choice`).
    levels : sequence of str
        The planned levels (the deepest is the last split).
    potential, weights : optional
        For the ``potential`` and ``blend`` methods.
    history : DataFrame, optional
        :func:`planned_history` of the plan over all its years, when already read; read from
        ``con`` otherwise.
    baselines : Series, optional
        :func:`planned_baselines` of ``history``, when already fitted; fitted here otherwise
        (without ``split.proposals``).

    Returns
    -------
    dict
        Region id -> target: each parent's children by
        :func:`~planlib.targets.reconcile.reconciled_children` on the parent's reconciled
        target, top-down from the root; held by the allocation, so every child sums exactly
        to its parent and these are the targets split further (months, breakdowns, terminals).
    """
    root, year, unit = plan.scope.root, plan.year, plan.targets.unit
    deepest = LEVEL_DEPTH[max(levels, key=LEVEL_DEPTH.get)]
    lv = tree.levels
    parents = [r for r in tree.subtree(root)  # a child is below its parent (RegionTree): no township is a parent
               if LEVEL_DEPTH[lv[r]] < deepest
               and any(LEVEL_DEPTH[lv[k]] <= deepest for k in tree.children(r))]
    if history is None:  # one read of every recorded region's history, each planned region's months summed from it
        raw = queries.children_monthly_volume(con, list(tree.subtree(root)), ALL_HISTORY_FROM, year)
        history = planned_history(raw, tree, root, levels)
    full = history.astype({"child": object})  # plain strings: each parent's children are looked up by id
    own = None
    if plan.split.proposals is None:  # the children's own trend: every planned region's baseline in one pass
        own = planned_baselines(full, year) if baselines is None else baselines
    children = {r: [k for k in tree.children(r) if LEVEL_DEPTH[lv[k]] <= deepest] for r in parents}
    return reconciled_targets(full, tree, children, year, root=root, total=total, split=plan.split, method=method,
                              stretch=plan.targets.stretch, unit=unit, potential=potential, weights=weights,
                              baselines=own)


def target_source(plan, choice: SplitChoice, *, parent: str | None = None) -> str:
    """
    One sentence: where the children's targets come from (top-down by which method, or reconciled).

    ``parent``: the name of the parent of a region without children in the plan (a county when
    the plan ends there, a township); the sentence then says where the region's own target came
    from, its parent's split, whose back-test and siblings its parent's page shows.
    """
    sp = plan.split
    method = CODE_NAMES.get(choice.method, choice.method)
    how_chosen = "自动回测选出" if choice.asked == "auto" else "按方案参数设定"
    if parent is not None:
        if sp.reconcile is None:
            return (f"本区域没有下级计划单位。它的目标是上级{parent}的目标按{method}（{how_chosen}）分到本区域的份额；"
                    f"方法的回测和各兄弟区域的对照见{parent}的目标分解页。")
        return (f"本区域没有下级计划单位。它的目标来自上级{parent}的上下结合（{CODE_NAMES.get(sp.reconcile, sp.reconcile)}）："
                f"本区域的提案与按{method}（{how_chosen}）得出的分配数协调后的数；方法的回测和各兄弟区域的对照见{parent}的目标分解页。")
    if sp.reconcile is None:
        return f"目标来源：分配方式——上级目标按{method}的份额分到下级（{how_chosen}）；下级提案只作对照。"
    how = {"scale_bottom_up": "下级提案按上级目标等比缩放",
           "top_down": "取分配数",
           "bottom_up": "取下级提案，再缩放到上级目标",
           "blend": f"分配与提案加权（分配权重 {sp.reconcile_weight:z.0%}），再缩放到上级目标"}
    return (f"目标来源：上下结合（{CODE_NAMES.get(sp.reconcile, sp.reconcile)}）——{how[sp.reconcile]}；"
            f"分配数按{method}的份额。下表“协调后”即本方案的目标，各下级合计恰等于本级目标。")


def region_growth_points(con, tree, root: str, plan_year: int, monthly: pd.DataFrame, *,
                         capture_rate: float = 0.1) -> pd.Series:
    """
    Each region's attainable increase next year: the review's growth points
    (:func:`planlib.review.rank_growth_points`) of every region of the root's subtree.

    Parameters
    ----------
    con : DuckDBPyConnection
    tree : RegionTree
    root : str
    plan_year : int
    monthly : DataFrame
        Own monthly sales by recorded region: region_id, month, volume (the allocation
        history's ``monthly``: last year and the year before).
    capture_rate : float, default 0.1
        ``analysis.capture_rate``.

    Returns
    -------
    Series
        ``attainable`` by region id, for the regions with market records last year (empty
        without any).

    Notes
    -----
    Per region r (its subtree summed): capacity = last year's category market volume, own
    volume and own growth from its own sales; competitor growth is not read (counted 0), so
    attainable = max(capacity − own, 0) × capture_rate × clip(1 + own growth, 0.5, 1.5).
    """
    market = region_potential(con, tree, root, plan_year, share=1.0)
    if market.empty:
        return pd.Series(dtype="float64", name="attainable")
    m = monthly.assign(year=pd.DatetimeIndex(monthly["month"]).year)
    own = {plan_year - 1: {}, plan_year - 2: {}}
    for (rid, yr), vol in m.groupby(["region_id", "year"], observed=True)["volume"].sum().items():
        if yr in own:
            for a in (rid, *tree.ancestors(rid)):
                own[yr][a] = own[yr].get(a, 0.0) + float(vol)
    ly = pd.Series(own[plan_year - 1], dtype="float64").reindex(market.index).fillna(0.0)
    prev = pd.Series(own[plan_year - 2], dtype="float64").reindex(market.index)
    units = pd.DataFrame({"kind": "region", "unit_id": market.index.astype(str), "name": [tree.name(r) for r in market.index],
                          "capacity": market.to_numpy(), "own_volume": ly.to_numpy(),
                          "own_growth": (ly / prev.where(prev > 0) - 1.0).to_numpy(), "competitor_growth": float("nan")})
    points = review.rank_growth_points(units, capture_rate=capture_rate)
    return pd.Series(points["attainable"].to_numpy(dtype=float), index=pd.Index(points["unit_id"], name="region_id"),
                     name="attainable")


def _season_source(season) -> str:
    """Why the month profile is the one it is, in a few words for a basis."""
    if season.used and season.used != season.seasonality:
        return "历史不足，" + ("没有完整的春节年度" if season.used == "calendar" else "没有完整一年的销量")
    return "自动选择" if season.asked == "auto" else "按方案参数设定"


def _warn_sales_without_product(root_months: pd.DataFrame, split_months: pd.DataFrame, root: str, year: int) -> None:
    """
    A PlanWarning when last year's own sales the split reads (through the products table) fall
    short of the root's own sales: rows whose SKU the products table lacks are left out of the
    split's history, so every share is taken from part of the business.
    """
    last = year - 1
    sold = float(root_months.loc[pd.to_datetime(root_months["date"]).dt.year == last, "volume"].sum())
    split = float(split_months.loc[pd.DatetimeIndex(split_months["month"]).year == last, "volume"].sum())
    gap = sold - split
    if gap >= 1.0 and gap > 0.0005 * sold:
        warnings.warn(f"{gap:,.0f} of {root}'s {sold:,.0f} cases of own monthly sales in {last} name a SKU the "
                      "products table lacks: the split's history leaves them out; import those products",
                      PlanWarning, stacklevel=3)
