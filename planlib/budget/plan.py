"""
Pricing the plan: the expense budget of every planned region, its phasing, CVP and the dual check.

The methods (:mod:`planlib.budget.methods`) price each expense category of a group of
planning units at once; this module applies them to a whole plan, the way
:func:`planlib.targets.plan_targets` sets and splits the targets: one read of last year's
expenses, sales and activities (:mod:`planlib.archive.queries.budget`), then vectorised
arithmetic over every planning unit (the deepest planned level, e.g. the counties), the
caps, the months and a consolidation up the tree.

Public names
------------
PlanBudget      the plan's budget table (DESIGN.md §4), per-region CVP and dual check, methods compared
plan_budget     price a plan's targets: every unit's budget by the params' methods, capped, phased, consolidated
plan_response   the plan's response curves and each activity kind's input-output spend per activity
history_gaps    what a region's budget could not do for want of records, in one sentence

Used by the plan's pricing
--------------------------
BUDGET_COLUMNS  the columns of results/budget.parquet
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from planlib.archive import count_rows, load_table
from planlib.archive.queries import targets as target_queries
from planlib.archive.queries.budget import activities_present, budget_history, expense_calendar
from planlib.budget.caps import CENT, cap_for, cap_parents, cap_units, payment_calendar, phase_rows, to_cents
from planlib.budget.competitors import competitor_spend
from planlib.budget.profit import cvp_table, dual_check
from planlib.budget.methods import (
    BUDGET_METHODS,
    CategoryInputs,
    book_items,
    channel_fees,
    method_basis,
    price_category,
    terminal_lines,
)
from planlib.budget.promotions import add_schemes, phase_with_schemes, scheme_unit_costs
from planlib.budget.response import input_output_spend, response_curves
from planlib.errors import BudgetError, PlanWarning
from planlib.hierarchy import LEVEL_DEPTH
from planlib.schemas import CATEGORIES, OWN_BRAND
from planlib.targets import region_potential
from planlib.targets.readcache import ArchiveReads
from planlib.targets.table import BREAKDOWNS, breakdown_codes

__all__ = ["PlanBudget", "plan_budget", "plan_response", "history_gaps", "BUDGET_COLUMNS"]

#: Columns of results/budget.parquet (DESIGN.md §4).
BUDGET_COLUMNS = ("region_id", "month", "category", "item", "terminal_id", "amount", "method")


@dataclass(frozen=True, eq=False)
class PlanBudget:
    """
    The plan's expense budget.

    Attributes
    ----------
    table : DataFrame
        DESIGN.md §4 ``budget.parquet``: region_id, month, category, item, terminal_id,
        amount, method. Planning units carry their own rows (terminal-level channel fees
        with ``terminal_id``); every parent carries ``consolidated`` rows (its children
        summed, no terminal) and its own items (``own``).
    regions : DataFrame
        One row per planned region: level, parent_id, targets, budget by category,
        cap, CVP (fixed/variable, BEP, margin of safety, profit) and the dual check
        (sales_reachable, profit_reachable, flag) with the implied expense ratio.
    methods : DataFrame
        region_id, category, method, amount, chosen, basis: every applicable method's
        amount per category and region, for the side-by-side comparison (the chosen one
        marked), with the sentence that says how it was arrived at.
    response : DataFrame
        The input-output response curves per activity kind (:func:`fit_response` on the
        plan's own past activities; empty when none could be measured).
    root, plan_year : str, int
        The plan's root region and year.
    notes : tuple of str
        What the pricing decided on its own: units without sales last year, regions
        scaled down to their cap, parents' own items squeezed, regions without break-even.
    io : dict, optional
        The plan's input-output picture exactly as :func:`plan_response` gives it (curves,
        margin_rate, detail, limits), from the curves priced here: the budget step writes
        it for the reports (``results/response*``), so they do not fit the curves again.
    """

    root: str
    plan_year: int
    table: pd.DataFrame
    regions: pd.DataFrame
    methods: pd.DataFrame
    response: pd.DataFrame
    notes: tuple = field(default_factory=tuple)
    io: dict | None = None


# ---------------------------------------------------------------------------------------
# the plan's budget
# ---------------------------------------------------------------------------------------
def plan_budget(plan, tree, con, targets_table: pd.DataFrame, *, region_params=None, scheme_costs=None,
                scheme_months=None, cache_dir=None) -> PlanBudget:
    """
    Price a plan's targets: each planning unit's budget by category, capped, phased and consolidated.

    Parameters
    ----------
    plan : PlanParams
        The plan (``year``, ``scope``, ``budget``, ``split.potential_share``).
    tree : RegionTree
    con : DuckDBPyConnection
        The open archive.
    targets_table : DataFrame
        The plan's targets (:func:`planlib.targets.plan_targets`, DESIGN.md §4).
    region_params : mapping, optional
        Region id -> its own :class:`planlib.params.Budget` (from its override file);
        a unit takes its own, else its nearest ancestor's, else the plan's.
    scheme_costs, scheme_months : DataFrame, optional
        The plan's promotion schemes costed (:class:`planlib.promotions.plan.PlanSchemes`
        ``costs`` and ``months``): booked by :func:`planlib.budget.promotions.add_schemes`
        and phased by their own month profile; None: no schemes (the budget as without them).
    cache_dir : path-like, optional
        The plan's cache folder (``runs/<plan_id>/.cache``): last year's history
        (:func:`planlib.archive.queries.budget.budget_history`) is kept there and read back
        by a rerun on the same archive (:class:`planlib.targets.readcache.ArchiveReads`,
        keyed by the archive's state, the reading code and the arguments). None: read from
        the archive, on a thread beside the targets' tabulation.

    Returns
    -------
    PlanBudget

    Raises
    ------
    BudgetError
        A category's method does not apply to it (:func:`price_category`: ``objective_task``
        is for channel, ``marginal`` for labour, …), ``objective_task`` is chosen while the
        plan stops above county level, or a parent's children already exceed its cap (the
        region is named). A region whose price does not exceed its unit variable cost is
        not an error: it is flagged ``no break-even`` and listed in the notes.

    Notes
    -----
    Every category of a group of units sharing params is priced by every method of
    :data:`BUDGET_METHODS` that applies (the comparison in ``methods``) and booked by the
    chosen one. For a planning unit u with target revenue R_u and last year's revenue R⁰_u:

    - percent_of_sales: B_{u,c} = ρ_c R_u, ρ_c the set ratio or last year's E⁰_{u,c} / R⁰_u;
    - benchmark: the unit's main competitor's spend on the category last year over its
      revenue there (:func:`competitor_spend`; the nearest ancestor's where the unit has no
      record, said in the basis) × R_u; no competitor spend recorded: not applicable;
    - objective_task (channel): :func:`objective_task` terminal by terminal over the
      unit's A/B terminal lines (a terminal without sales last year pays the entry fee) plus
      the rebate on R_u;
    - marginal (labour): last year's labour + n × cost per head, n from
      :func:`marginal_headcount` on contributions c₁ d^k, where the first extra
      salesperson wins c₁ = headroom_capture × (potential − target volume) × unit margin;
    - zero_based: :func:`zero_based` on the unit's own list (its region file's, else
      ``level_activities`` of its level, else ``activities``): each activity from zero,
      those returning more than they cost funded in order of return per cost, within the
      unit's cap (not the percent-of-sales amount);
    - input_output: :func:`input_output_spend`: each activity kind funded while a yuan
      returns a yuan of contribution, within the unit's cap.

    Items split a category by last year's item mix (largest remainder in cents). The cap
    min(cap_ratio × R_u, cap_amount) scales a unit over it down exactly to it
    (:func:`apply_cap`). Months: fixed categories straight-line, the others by the
    unit's target months, each row exact in cents. A parent's budget is its children's
    plus its own items (its own offices' last-year ratio to its subtree's revenue ×
    its subtree's target revenue), squeezed where children plus own items would pass
    the parent's cap.
    """

    bp = plan.budget
    year = int(plan.year)
    root = plan.scope.root
    kind = breakdown_codes(targets_table)  # 0: a region's total; 1 + BREAKDOWNS' position: a breakdown's row
    totals = targets_table[kind == 0]
    planned = pd.unique(totals["region_id"].astype(str))
    depth = max(LEVEL_DEPTH[tree.level(r)] for r in planned)
    unit_level = next(lv for lv, d in LEVEL_DEPTH.items() if d == depth)
    units = [r for r in planned if tree.level(r) == unit_level]
    parents = [r for r in planned if tree.level(r) != unit_level]
    sub = list(tree.subtree(root))
    reads = ArchiveReads(con, cache_dir)  # one for both kept reads: the archive's state is taken once
    # last year's history is read on a thread of its own while the targets are tabulated below (DuckDB runs
    # the query without holding the GIL, on one DuckDB thread as always: the same rows, order and sums)
    if cache_dir is not None:  # a rerun reads it back from the plan's cache, keyed by the archive's state
        monthly, comp_revenue, expenses, acts = reads.read(budget_history, None if root == tree.root else sub, year)
        unit_of, vol_m, target_volume, target_revenue, terminals = _targets_by_unit(
            tree, targets_table, kind, totals, units, parents)
    else:
        with ThreadPoolExecutor(max_workers=1) as pool:
            history = pool.submit(budget_history, con, None if root == tree.root else sub, year)
            unit_of, vol_m, target_volume, target_revenue, terminals = _targets_by_unit(
                tree, targets_table, kind, totals, units, parents)
            monthly, comp_revenue, expenses, acts = history.result()
    last = monthly[monthly["date"].dt.year == year - 1]
    sales = last.groupby("region_id", as_index=False)[["volume", "revenue", "variable_cost"]].sum()

    # -- last year per unit ---------------------------------------------------------------
    s = sales.assign(unit=sales["region_id"].map(unit_of))
    su = s.dropna(subset=["unit"]).groupby("unit")[["volume", "revenue", "variable_cost"]].sum()
    su = su.reindex(units).fillna(0.0)
    e = expenses.assign(unit=expenses["region_id"].map(unit_of))
    eu = e.dropna(subset=["unit"]).groupby(["unit", "category", "item"], as_index=False)["amount"].sum()
    own = e[e["unit"].isna()].groupby(["region_id", "category", "item"], as_index=False)["amount"].sum()

    # -- per-unit params (override files), else the plan's --------------------------------
    region_params = dict(region_params or {})

    def params_of(r):
        for a in (r, *tree.ancestors(r)):
            if a in region_params:
                return region_params[a]
        return bp

    unit_bp = {u: params_of(u) for u in units}
    groups: dict[int, list[str]] = {}
    for u in units:
        groups.setdefault(id(unit_bp[u]), []).append(u)

    # -- headroom and unit margin per unit (the marginal headcount test) -------------------
    # the potential's floor, last year's own sales, read as the targets step reads them (kept for a rerun)
    sold = reads.read(target_queries.children_monthly_volume, sub, year - 1, year)
    potential = region_potential(con, tree, root, year, share=plan.split.potential_share, sold=sold)
    headroom = (potential.reindex(units) - target_volume.reindex(units)).clip(lower=0.0).fillna(0.0)
    unit_vc = su["variable_cost"] / su["volume"].where(su["volume"] > 0)
    unit_margin = (target_revenue.reindex(units) / target_volume.reindex(units).where(lambda v: v > 0)
                   - unit_vc).clip(lower=0.0).fillna(0.0)

    # -- response curves (input_output): plan-wide, own activities ------------------------
    response = response_curves(tree, acts, sales, monthly)
    counts = _activity_counts(acts, year, units, unit_of, tree, su["revenue"])
    own_acts = acts[(acts["brand"] == OWN_BRAND) & (acts["cost"] > 0)]
    io_limits = own_acts.groupby("kind")["cost"].max() * bp.io_limit
    plan_sales_rev = float(sales["revenue"].sum())
    margin_rate = 1.0 - float(sales["variable_cost"].sum()) / plan_sales_rev if plan_sales_rev > 0 else 0.0
    cap_of = {r: cap_for(r, params_of(r), bp, region_params, root, target_revenue) for r in planned}

    # -- category budgets per unit ---------------------------------------------------------
    rows, method_rows, notes = [], [], []
    competitor = competitor_spend(acts, comp_revenue, year, tree, units)
    missing = {name for name, frame in (("expenses", expenses), ("activities", acts)) if frame.empty}
    if missing:
        notes.append(f"the archive has no {' and no '.join(sorted(missing))} rows for {year - 1}: "
                     + "; ".join(_MISSING_SAYS[m] for m in sorted(missing)))
    if unit_level != "county" and any(unit_bp[u].methods.get("channel") == "objective_task" for u in units):
        raise BudgetError(f"budget.methods.channel: objective_task builds channel fees terminal by terminal from the "
                          f"terminal targets, which the plan splits within each county, but the budget's units are the "
                          f"plan's deepest level, here {unit_level}; end scope.levels at county (what lies below rolls "
                          f"up into its county) or choose another method for channel, e.g. percent_of_sales")
    # plan-wide ratios: the fallback of a unit without sales last year
    plan_rev = float(su["revenue"].sum())
    plan_ratio = (eu.groupby("category")["amount"].sum() / plan_rev).to_dict() if plan_rev > 0 else {}
    new_units = [u for u, r in zip(units, su["revenue"].to_numpy()) if r <= 0]  # su is in the units' order
    if new_units:
        notes.append(f"{len(new_units)} region(s) without sales last year take the plan's expense ratios: "
                     f"{', '.join(new_units[:10])}{' …' if len(new_units) > 10 else ''}")
    eu_category = eu["category"].to_numpy(dtype=object)  # compared once per category, not as Arrow strings
    for members in groups.values():
        p = unit_bp[members[0]]
        r_target = target_revenue.reindex(members).fillna(0.0).to_numpy()
        r_last = su.loc[members, "revenue"].to_numpy()
        in_group = eu["unit"].isin(members).to_numpy()
        ly_cat = eu[in_group].pivot_table(index="unit", columns="category", values="amount",
                                          aggfunc="sum", fill_value=0.0)
        ly_cat = ly_cat.reindex(index=members, columns=list(CATEGORIES), fill_value=0.0)
        for cat in CATEGORIES:
            chosen = p.methods.get(cat, "percent_of_sales")
            ratio_hist = np.divide(ly_cat[cat].to_numpy(), r_last,
                                   out=np.full(len(members), float(plan_ratio.get(cat, 0.0))), where=r_last > 0)
            ratio = np.full(len(members), p.ratios[cat]) if cat in p.ratios else ratio_hist
            case = CategoryInputs(
                category=cat, members=members, params=p, revenue_target=r_target, ratio=ratio,
                competitor=competitor, last_year=ly_cat[cat].to_numpy(),
                last_items=eu[(eu_category == cat) & in_group],
                first_contribution=p.headcount.headroom_capture * headroom.reindex(members).fillna(0.0).to_numpy()
                * unit_margin.reindex(members).fillna(0.0).to_numpy(),
                # built once: the comparison's total and, when chosen, the rows
                channel_fees=channel_fees(terminals, members, p, target_revenue) if cat == "channel" else None,
                response=response, activity_counts=counts, margin_rate=margin_rate, io_limits=io_limits,
                room=np.array([np.inf if cap_of.get(u) is None else cap_of[u] for u in members]),
                activities=_activity_list(p, bp, unit_level), has_history=not expenses.empty, own_ratio=r_last > 0,
            )
            try:
                amounts = price_category(case, chosen)
            except BudgetError as exc:
                if chosen not in _NEEDS or not missing & _NEEDS[chosen]:
                    raise
                # the chosen method needs a table the archive lacks: the category is priced by what remains
                amounts = {m: a for m, f in BUDGET_METHODS.items() if (a := f(case)) is not None}
                fallback = next((m for m in _FALLBACKS if m in amounts), None)
                lacking = " and ".join(sorted(missing & _NEEDS[chosen]))
                say = (f"budget.methods.{cat}: {chosen} is unavailable, the archive has no {lacking} rows "
                       f"({exc}); {cat} is priced by {fallback}" if fallback else
                       f"budget.methods.{cat}: {chosen} is unavailable, the archive has no {lacking} rows, and no "
                       f"other method applies (set budget.ratios.{cat}): {cat} is not budgeted")
                if say not in notes:
                    warnings.warn(say, PlanWarning, stacklevel=2)
                    notes.append(say)
                if fallback is None:
                    continue
                chosen = fallback
            for m, a in amounts.items():
                method_rows.append(pd.DataFrame({"region_id": members, "category": cat, "method": m,
                                                 "amount": np.round(np.asarray(a, dtype=float), 2),
                                                 "chosen": m == chosen, "basis": method_basis(case, m, a)}))
            rows.append(book_items(case, chosen, np.asarray(amounts[chosen], dtype=float)))
    unit_rows = pd.concat(rows, ignore_index=True)
    if scheme_costs is not None and len(scheme_costs):  # the plan's promotion schemes, by the category's method
        unit_rows, said = add_schemes(unit_rows, scheme_unit_costs(scheme_costs, unit_of),
                                      {u: unit_bp[u].methods for u in units},
                                      {u: _activity_list(unit_bp[u], bp, unit_level) for u in units}, cap_of)
        booked = unit_rows.loc[unit_rows["scheme"].notna()].groupby("scheme")["amount"].sum()
        notes.append("promotion schemes booked on their items (beside the methods' comparison): "
                     + ", ".join(f"{s} {a:,.2f}" for s, a in booked.items()))
        notes.extend(said)

    # -- caps: each unit, then each parent's own items ----------------------------------------
    unit_rows, capped = cap_units(unit_rows, units, cap_of)
    if capped:
        notes.append(f"{len(capped)} region(s) budgeted above their cap and scaled down to it: "
                     f"{', '.join(capped[:10])}{' …' if len(capped) > 10 else ''}")
        if "scheme" in unit_rows.columns and unit_rows.loc[unit_rows["region_id"].isin(capped), "scheme"].notna().any():
            notes.append("promotion schemes cut with the rest of their region's budget to the cap (pro rata)")

    # -- own items of the parents, within the parents' caps --------------------------------------
    own_rows = _own_items(own, parents, tree, sales, target_revenue)
    own_rows, squeezed = cap_parents(own_rows, unit_rows, tree, parents, units, cap_of)
    if squeezed:
        notes.append(f"{len(squeezed)} parent region(s)' own items scaled down to keep them within their cap: "
                     f"{', '.join(squeezed[:10])}")

    # -- months ------------------------------------------------------------------------------
    month_share = vol_m.div(vol_m.sum(axis=1).where(lambda x: x > 0), axis=0).fillna(1.0 / 12)
    # items paid in a few months last year (a rebate in January, festival promoters) keep their calendar
    paid = payment_calendar(expense_calendar(con, None if root == tree.root else sub, year))
    if len(paid):
        notes.append("phased like last year's payments: " + ", ".join(f"{c}.{i}" for c, i in paid.index[:12]))
    phased_units = (phase_rows(unit_rows, month_share, bp.fixed_categories, paid) if "scheme" not in unit_rows
                    else phase_with_schemes(unit_rows, month_share, bp.fixed_categories, paid, scheme_months))
    phased_own = phase_rows(own_rows, month_share, bp.fixed_categories, paid) if len(own_rows) else own_rows
    table = _consolidate(phased_units, phased_own, tree, units, parents)
    months = pd.DatetimeIndex([pd.Timestamp(year, m, 1) for m in range(1, 13)])
    table["month"] = months[table["month"].to_numpy(dtype=int) - 1]

    # -- regions: targets, budget, CVP, dual check ---------------------------------------------
    regions = _regions(table, tree, planned, target_volume, target_revenue, sales, expenses, bp, potential, cap_of,
                       params_of=params_of, region_params=region_params, root=root)
    no_bep = regions.loc[regions["flag"] == "no break-even", "region_id"].tolist()
    if no_bep:
        notes.append(f"{len(no_bep)} region(s) where the price does not exceed the unit variable cost (no break-even): "
                     f"{', '.join(no_bep[:10])}")
    methods = pd.concat(method_rows, ignore_index=True)
    methods = _methods_up(methods, tree, planned, own_rows)
    return PlanBudget(root, year, table, regions, methods, response, tuple(notes),
                      io=_response_picture(response, margin_rate, io_limits))


def _targets_by_unit(tree, targets_table, kind, totals, units, parents):
    """
    What :func:`plan_budget` reads of the targets alone: each archive region's planning unit
    (``unit_of``), the planned regions' target volume by month (``vol_m``: region × months
    1..12), their target volume and revenue for the year (a parent's revenue its units'), and
    the plan's terminal lines (:func:`terminal_lines`).
    """
    unit_of = {}
    for u in units:
        for r in tree.subtree(u):
            unit_of[r] = u
    tot = totals.assign(region_id=totals["region_id"].astype(str), m=pd.DatetimeIndex(totals["month"]).month)
    vol_m = tot.pivot_table(index="region_id", columns="m", values="target_volume", aggfunc="sum", fill_value=0.0)
    rev_m = tot.pivot_table(index="region_id", columns="m", values="target_revenue", aggfunc="sum", fill_value=0.0)
    vol_m = vol_m.reindex(columns=range(1, 13), fill_value=0.0)
    target_volume = vol_m.sum(axis=1)
    target_revenue = rev_m.reindex(columns=range(1, 13), fill_value=0.0).sum(axis=1)
    # a parent's revenue is its units' (each priced at its own realised price), so ratios and
    # caps add up the tree: Σ children's cap ≤ the parent's cap at the same ratio
    parent_set = set(parents)
    roll = pd.DataFrame([(u, a) for u in units for a in tree.ancestors(u) if a in parent_set],
                        columns=["unit", "parent"])
    if len(roll):
        up_rev = roll.assign(rev=roll["unit"].map(target_revenue)).groupby("parent")["rev"].sum()
        target_revenue = target_revenue.copy()
        target_revenue.loc[up_rev.index] = up_rev
    terminals = terminal_lines(targets_table, kind == 1 + BREAKDOWNS.index("terminal"), unit_of)
    return unit_of, vol_m, target_volume, target_revenue, terminals


_MISSING_SAYS = {
    "expenses": "percent_of_sales needs a set budget.ratios for each category and the profit target is "
                "derived without last year's expense ratio",
    "activities": "benchmark (the competitors' spend) and input_output (response curves) are unavailable",
}
_NEEDS = {"percent_of_sales": {"expenses"}, "benchmark": {"activities"}, "input_output": {"activities"}}
"""The optional archive tables a method is priced from."""
_FALLBACKS = ("percent_of_sales", "objective_task", "zero_based")
"""The methods a category falls back on, in this order, when its chosen one lacks its data (not
marginal: it adds salespeople to last year's labour, which is what is missing)."""


def plan_response(plan, tree, con) -> dict:
    """
    The plan's input-output picture: the fitted response curves and each kind's spend per activity.

    Parameters
    ----------
    plan : PlanParams
    tree : RegionTree
    con : DuckDBPyConnection

    Returns
    -------
    dict
        ``curves`` (:func:`fit_response` rows, empty without activities), ``margin_rate``
        (last year's 1 − variable cost / revenue of the plan) and ``detail``
        (:func:`input_output_spend`'s per-kind frame: spend per activity, marginal return,
        why it stopped) and ``limits`` (kind -> the most one activity may spend), as
        :func:`plan_budget` prices them.
    """
    year, root = int(plan.year), plan.scope.root
    monthly, _, _, acts = budget_history(con, None if root == tree.root else list(tree.subtree(root)), year)
    last = monthly[monthly["date"].dt.year == year - 1]
    sales = last.groupby("region_id", as_index=False)[["volume", "revenue", "variable_cost"]].sum()
    curves = response_curves(tree, acts, sales, monthly)
    rev = float(sales["revenue"].sum())
    margin_rate = 1.0 - float(sales["variable_cost"].sum()) / rev if rev > 0 else 0.0
    own = acts[(acts["brand"] == OWN_BRAND) & (acts["cost"] > 0)]
    return _response_picture(curves, margin_rate, own.groupby("kind")["cost"].max() * plan.budget.io_limit)


def _response_picture(curves: pd.DataFrame, margin_rate: float, limits: pd.Series) -> dict:
    """:func:`plan_response`'s dict from the fitted curves, the margin rate and each kind's per-activity limit."""
    if curves.empty:
        return {"curves": curves, "margin_rate": margin_rate, "detail": pd.DataFrame(), "limits": {}}
    one = pd.DataFrame(1.0, index=["one"], columns=list(curves["kind"]))
    _, detail = input_output_spend(curves, margin_rate, one, per_activity_limit=limits)
    return {"curves": curves, "margin_rate": margin_rate, "detail": detail, "limits": limits.to_dict()}


def _activity_list(p, plan_bp, level: str) -> tuple:
    """
    A group of units' zero-based list: the one their region file sets (it differs from the
    plan's), else ``level_activities`` of their level, else the plan's ``activities``.
    """
    if p is not plan_bp and p.activities != plan_bp.activities:
        return p.activities
    return p.level_activities.get(level, p.activities)


def _activity_counts(acts: pd.DataFrame, year: int, units, unit_of: dict, tree, revenue: pd.Series) -> pd.DataFrame:
    """
    Units × activity kinds: the own activities each unit ran last year (input_output's count).

    An activity of a unit's region or below counts for that unit; one of a region above the
    units (a province's media campaign) is shared out over the units below it by last year's
    revenue (equally when they sold nothing).
    """
    last = acts[(acts["brand"] == OWN_BRAND) & (pd.DatetimeIndex(acts["start_date"]).year == year - 1)]
    kinds = sorted(pd.unique(acts.loc[acts["brand"] == OWN_BRAND, "kind"]))
    counts = np.zeros((len(units), len(kinds)))
    row = {u: i for i, u in enumerate(units)}
    col = {k: j for j, k in enumerate(kinds)}
    shares: dict = {}  # a region above the units: the rows below it and their revenue shares
    for region, kind in zip(last["region_id"].tolist(), last["kind"].tolist()):  # lists: Arrow iterates slowly
        if region in unit_of:
            counts[row[unit_of[region]], col[kind]] += 1.0
            continue
        if region not in shares:
            below = [r for r in tree.subtree(region) if r in row]
            w = revenue.reindex(below).fillna(0.0).to_numpy(dtype=float)
            if below:
                w = w / w.sum() if w.sum() > 0 else np.full(len(below), 1.0 / len(below))
            shares[region] = (np.array([row[r] for r in below], dtype=int), w)
        rows_below, w = shares[region]
        if len(rows_below):
            counts[rows_below, col[kind]] += w
    return pd.DataFrame(counts, index=list(units), columns=kinds)


def _consolidate(unit_rows: pd.DataFrame, own_rows: pd.DataFrame, tree, units, parents) -> pd.DataFrame:
    """
    Units' rows as they are, then each parent's children summed (``consolidated``) and its own items (``own``).

    Sums of whole cents on dense region × month × item arrays (a sparse parent × unit
    matrix times them), so a national plan adds up in a fraction of a second; a parent's consolidated rows are its children's totals and its
    own offices' items stay on rows of their own. The parents' rows come in the tree's order,
    then by month, category, item and method. Rows are placed by integer codes of their
    columns' distinct values (the strings are hashed once per distinct value, not per row).
    """
    cols = list(BUDGET_COLUMNS)
    unit_rows = unit_rows[cols]
    if not parents:
        return unit_rows.reset_index(drop=True)
    coded = [_pair_codes(rows) for rows in (unit_rows, own_rows) if len(rows)]
    # the (category, item) pairs of both, sorted
    seen = pd.concat([pd.DataFrame({"category": cats.take(present // len(items)),
                                    "item": items.take(present % len(items))}) for _, present, cats, items in coded]
                     or [pd.DataFrame({"category": [], "item": []}, dtype="str")])
    pairs = seen.drop_duplicates().sort_values(["category", "item"]).reset_index(drop=True)
    nj = len(pairs)
    at_pair = {pair: j for j, pair in enumerate(zip(pairs["category"].tolist(), pairs["item"].tolist()))}
    u_index = {u: k for k, u in enumerate(units)}
    p_index = {r: k for k, r in enumerate(parents)}

    def dense(rows, index, n):
        if not len(rows):
            return np.zeros((n, 12 * nj), dtype=np.int64)
        local, present, cats, items = coded[0] if rows is unit_rows else coded[-1]
        to_j = np.full(len(cats) * len(items), -1, dtype=np.int64)
        to_j[present] = [at_pair[(c, i)] for c, i in zip(cats.take(present // len(items)).tolist(),
                                                         items.take(present % len(items)).tolist())]
        j = to_j[local]
        codes, regions = pd.factorize(rows["region_id"])
        r = pd.Index(list(index)).get_indexer(regions)[codes]
        flat = (r * 12 + rows["month"].to_numpy(dtype=np.int64) - 1) * nj + j
        # bincount in float64 is exact for whole cents below 2**53 (9e13 yuan)
        arr = np.bincount(flat, weights=to_cents(rows["amount"]).astype(np.float64), minlength=n * 12 * nj)
        return np.rint(arr).astype(np.int64).reshape(n, 12 * nj)

    unit_cents = dense(unit_rows, u_index, len(units))
    own_cents = dense(own_rows, p_index, len(parents))
    pu = [(p_index[a], u_index[u]) for u in units for a in tree.ancestors(u) if a in p_index]
    pp = [(p_index[a], p_index[q]) for q in parents for a in tree.ancestors(q) if a in p_index]
    above_units = sparse.csr_matrix((np.ones(len(pu), dtype=np.int64), ([a for a, _ in pu], [b for _, b in pu])),
                          shape=(len(parents), len(units)))
    above_parents = sparse.csr_matrix((np.ones(len(pp), dtype=np.int64), ([a for a, _ in pp], [b for _, b in pp])),
                          shape=(len(parents), len(parents)))
    # every unit below and every lower parent's own items
    children_sum = np.asarray(above_units @ unit_cents) + np.asarray(above_parents @ own_cents)

    # the non-zero cells of both, in the tree's order of the parents, then month, pair, consolidated before own
    tree_order = {r: k for k, r in enumerate(tree.ids)}
    rank = np.array([tree_order[r] for r in parents], dtype=np.int64)
    cells = [np.nonzero(arr) for arr in (children_sum, own_cents)]
    r = np.concatenate([c[0] for c in cells])
    flat = np.concatenate([c[1] for c in cells])
    amount = np.concatenate([arr[c] for arr, c in zip((children_sum, own_cents), cells)])
    method = np.repeat(np.array(["consolidated", "own"], dtype=object), [len(c[0]) for c in cells])
    m, j = np.divmod(flat, nj)
    order = np.lexsort((method == "own", j, m, rank[r]))
    r, m, j, amount, method = r[order], m[order], j[order], amount[order], method[order]
    up = pd.DataFrame({
        "region_id": np.asarray(parents, dtype=object)[r], "month": m + 1,
        "category": pairs["category"].to_numpy(dtype=object)[j], "item": pairs["item"].to_numpy(dtype=object)[j],
        "terminal_id": None, "amount": amount * CENT, "method": method,
    })
    return pd.concat([unit_rows, up[cols]], ignore_index=True)


def _pair_codes(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Index, pd.Index]:
    """
    Each row's (category, item) as one integer code ``c × len(items) + i``, the codes present
    (sorted), and the distinct categories and items the codes count in.
    """
    c, cats = pd.factorize(rows["category"])
    i, items = pd.factorize(rows["item"])
    local = c.astype(np.int64) * len(items) + i
    present = np.flatnonzero(np.bincount(local, minlength=len(cats) * len(items)))
    return local, present, pd.Index(cats), pd.Index(items)


def _own_items(own: pd.DataFrame, parents, tree, sales, target_revenue) -> pd.DataFrame:
    """A parent's own offices: last year's ratio to its subtree's revenue × its subtree's target revenue."""
    empty = pd.DataFrame(columns=["region_id", "terminal_id", "category", "item", "amount", "method"])
    mine = own[own["region_id"].isin(parents)]
    if mine.empty:
        return empty
    wanted = set(mine["region_id"])
    rev = sales.groupby("region_id")["revenue"].sum()
    ids = rev.index.tolist()  # a list: iterating an Arrow-backed index element by element is slow
    link = pd.DataFrame([(r, a) for r in ids for a in tree.ancestors(r) if a in wanted] +
                        [(r, r) for r in ids if r in wanted], columns=["region_id", "parent"])
    sub_rev = rev.rename("rev").to_frame().join(link.set_index("region_id"), how="inner").groupby("parent")["rev"].sum()
    ratio = mine["region_id"].map(sub_rev).to_numpy(dtype=float)
    tgt = mine["region_id"].map(target_revenue).fillna(0.0).to_numpy(dtype=float)
    ok = ratio > 0
    amt = np.round(np.divide(mine["amount"].to_numpy(dtype=float), ratio, out=np.zeros(len(mine)), where=ok) * tgt, 2)
    out = pd.DataFrame({"region_id": mine["region_id"].to_numpy(), "terminal_id": None,
                        "category": mine["category"].to_numpy(), "item": mine["item"].to_numpy(), "amount": amt,
                        "method": "own"})
    return out[ok & (amt > 0)].reset_index(drop=True)


def _methods_up(methods: pd.DataFrame, tree, planned, own_rows: pd.DataFrame) -> pd.DataFrame:
    """
    Parents' method amounts: their units' sums plus the own items of the parent and the parents below it.

    A parent's own offices are budgeted the same way whatever the units' method, so they
    are added to every method's amount of their category: each method's column is then a
    whole budget for the region, comparable with the chosen one.
    """
    planned_set = set(planned)
    units = pd.unique(methods["region_id"])
    link = pd.DataFrame([(u, a) for u in units for a in tree.ancestors(u) if a in planned_set],
                        columns=["region_id", "parent"])
    cols = ["region_id", "category", "method", "amount", "chosen", "basis"]
    if link.empty:
        return methods[cols]
    up = methods.merge(link, on="region_id").groupby(["parent", "category", "method"], as_index=False).agg(
        amount=("amount", "sum"), chosen=("chosen", "max"), n=("region_id", "nunique")).rename(
        columns={"parent": "region_id"})
    up["basis"] = [f"{n:,} 个下级各按本方法计算之和（依据见各下级报告）" for n in up.pop("n")]
    if len(own_rows):
        own = own_rows.groupby(["region_id", "category"])["amount"].sum().rename("own").reset_index()
        olink = pd.DataFrame([(q, a) for q in pd.unique(own["region_id"]) for a in (q, *tree.ancestors(q))
                              if a in planned_set], columns=["region_id", "parent"])
        own_up = own.merge(olink, on="region_id").groupby(["parent", "category"], as_index=False)["own"].sum()
        up = up.merge(own_up.rename(columns={"parent": "region_id"}), on=["region_id", "category"], how="left")
        up["amount"] = np.round(up["amount"] + up["own"].fillna(0.0), 2)
        has_own = up["own"].fillna(0.0) > 0
        up.loc[has_own, "basis"] = up.loc[has_own, "basis"] + [f" + 本级及以下自有费用 {x:,.0f}"
                                                               for x in up.loc[has_own, "own"]]
        up = up.drop(columns="own")
    return pd.concat([methods, up], ignore_index=True)[cols]


def _profit_targets(derived: pd.Series, revenue: pd.Series, params_of, region_params: dict, plan_bp, root: str):
    """
    Each region's profit target and where it comes from (``budget.profit_target``).

    ``amount``: the region whose file sets it (the plan file's: the root) must make that
    amount; ``margin``: margin × the region's target revenue, wherever it applies (inherited);
    otherwise ``derived`` (target revenue less product cost and last year's expense ratio).
    Returns (targets, basis) with basis ``amount``, ``margin`` or ``last_year``.
    """
    target, basis = derived.astype(float).copy(), pd.Series("last_year", index=derived.index, dtype=object)
    for r in derived.index.tolist():
        own = region_params[r].profit_target if r in region_params else (
            plan_bp.profit_target if r == root else None)
        inherited = params_of(r).profit_target
        if own is not None and own.amount is not None:
            target[r], basis[r] = float(own.amount), "amount"
        elif inherited is not None and inherited.margin is not None:
            target[r], basis[r] = float(inherited.margin) * float(revenue.get(r, 0.0)), "margin"
    return target, basis


def _nearest_planned(tree, regions, planned_set) -> dict:
    """
    Each of ``regions`` -> itself if planned, else its nearest planned ancestor (None: none above it).

    The same as looking along ``(r, *tree.ancestors(r))`` for each region, but every region
    passed on the way up is remembered, so the ~11,000 archive regions of a national plan walk
    their shared ancestry once instead of each up to the root. An id not in the tree raises
    :class:`planlib.errors.HierarchyError` as :meth:`RegionTree.ancestors` does.
    """
    parents = tree.parents
    found: dict = {}
    for r in regions:
        path, a = [], tree.check(r)
        while a is not None and a not in planned_set and a not in found:
            path.append(a)
            a = parents[a]
        nearest = a if a is None or a in planned_set else found[a]
        for p in path:
            found[p] = nearest
        found[r] = nearest
    return {r: found[r] for r in regions}


def _regions(table, tree, planned, target_volume, target_revenue, sales, expenses, bp, pot, cap_of, *,
             params_of, region_params, root) -> pd.DataFrame:
    """
    One row per planned region (:attr:`PlanBudget.regions`): last year's facts of its subtree,
    its targets, budget by category and cap, the profit target, the dual check and the CVP.
    Each region's own params (``params_of``) set its threshold, materiality, reach growth and
    profit target.
    """
    annual = table.groupby(["region_id", "category"])["amount"].sum().unstack("category", fill_value=0.0)
    annual = annual.reindex(index=list(planned), columns=list(CATEGORIES), fill_value=0.0)
    rev_ly = sales.set_index("region_id")
    exp_ly = expenses.groupby("region_id")["amount"].sum()
    # facts per planned node (a unit takes its subtree's), then rolled up its planned ancestors
    planned_set = set(planned)
    node_of = _nearest_planned(tree, set(rev_ly.index.tolist()) | set(exp_ly.index.tolist()), planned_set)
    facts = pd.DataFrame({
        "ly_volume": rev_ly["volume"], "ly_revenue": rev_ly["revenue"], "ly_variable_cost": rev_ly["variable_cost"],
    }).join(exp_ly.rename("ly_expenses"), how="outer").fillna(0.0)
    facts["node"] = facts.index.map(node_of)
    per_node = facts.dropna(subset=["node"]).groupby("node")[["ly_volume", "ly_revenue", "ly_variable_cost",
                                                              "ly_expenses"]].sum()
    link = pd.DataFrame([(n, a) for n in per_node.index.tolist() for a in (n, *tree.ancestors(n)) if a in planned_set],
                        columns=["node", "region_id"])
    rolled = per_node.join(link.set_index("node"), how="inner").groupby("region_id").sum()
    h = rolled.reindex(list(planned)).fillna(0.0)
    ids = h.index.tolist()
    h.insert(0, "parent_id", [tree.parent(r) for r in ids])
    h.insert(0, "level", [tree.level(r) for r in ids])
    h.index.name = "region_id"
    V = target_volume.reindex(h.index).fillna(0.0)
    R = target_revenue.reindex(h.index).fillna(0.0)
    # a region without sales last year takes the plan's unit cost and expense ratio
    tot_vol, tot_rev = float(sales["volume"].sum()), float(sales["revenue"].sum())
    plan_vc = float(sales["variable_cost"].sum()) / tot_vol if tot_vol > 0 else 0.0
    plan_ratio = float(expenses["amount"].sum()) / tot_rev if tot_rev > 0 else 0.0
    vc = (h["ly_variable_cost"] / h["ly_volume"].where(h["ly_volume"] > 0)).fillna(plan_vc)
    ly_ratio = (h["ly_expenses"] / h["ly_revenue"].where(h["ly_revenue"] > 0)).fillna(plan_ratio)
    B = annual.sum(axis=1)
    fixed = annual[[c for c in CATEGORIES if c in bp.fixed_categories]].sum(axis=1)
    variable_exp = B - fixed
    out = h.copy()
    out["target_volume"], out["target_revenue"] = V, R
    for c in CATEGORIES:
        out[f"budget_{c}"] = annual[c]
    out["budget"] = B
    out["cap"] = [cap_of.get(r) if cap_of.get(r) is not None else np.nan for r in ids]
    out["expense_ratio"] = B / R.where(R > 0)
    out["ly_expense_ratio"] = ly_ratio
    out["unit_product_cost"] = vc
    # the profit target: set in params (an amount or a margin), else target revenue less variable cost and
    # last year's expense ratio (as targets.region_kinds derives it)
    own_bp = {r: params_of(r) for r in ids}
    out["profit_target"], out["profit_target_basis"] = _profit_targets(R - vc * V - ly_ratio * R, R, params_of,
                                                                      region_params, bp, root)
    if expenses.empty:  # derived without any expense: say so (the report asks for budget.profit_target)
        out.loc[out["profit_target_basis"] == "last_year", "profit_target_basis"] = "no_expense_history"
    out["reach_growth"] = [own_bp[r].reach_growth for r in ids]
    reach = h["ly_volume"] * (1 + out["reach_growth"])
    pr = pot.reindex(h.index)
    out["reachable_volume"] = np.where(pr.notna(), np.minimum(pr.fillna(np.inf), reach), reach)
    ok = (V > 0) & (R > 0)
    dc = dual_check(pd.DataFrame({"region_id": h.index[ok], "target_volume": V[ok].to_numpy(),
                                     "target_revenue": R[ok].to_numpy(),
                                     "reachable_volume": out.loc[ok, "reachable_volume"].to_numpy(),
                                     "budget": B[ok].to_numpy(), "unit_variable_cost": vc[ok].to_numpy(),
                                     "profit_target": out.loc[ok, "profit_target"].to_numpy(),
                                     "expense_ratio_threshold": [own_bp[r].expense_ratio_threshold for r in h.index[ok]],
                                     "materiality": [own_bp[r].materiality for r in h.index[ok]]}),
                       expense_ratio_threshold=bp.expense_ratio_threshold).set_index("region_id")
    for col in ("sales_reachable", "profit_at_target", "profit_gap", "profit_tolerance", "profit_reachable",
                "budget_limit", "expense_ratio_threshold", "over_threshold", "flag"):
        out[col] = dc[col].reindex(h.index)
    # CVP: fixed = fixed categories; unit variable = product cost + variable categories per unit
    price = R / V.where(V > 0)
    uvc = vc + variable_exp / V.where(V > 0)
    cv = pd.DataFrame({"region_id": h.index[ok], "fixed_cost": fixed[ok].to_numpy(),
                       "unit_variable_cost": uvc[ok].to_numpy(), "price": price[ok].to_numpy(),
                       "volume": V[ok].to_numpy(), "profit_target": out.loc[ok, "profit_target"].to_numpy()})
    # a region whose price does not cover its unit variable cost has no break-even: flagged, not fatal
    bad = (cv["price"] <= cv["unit_variable_cost"]).to_numpy()
    if bad.any():
        out.loc[cv.loc[bad, "region_id"].to_numpy(), "flag"] = "no break-even"
    c = cvp_table(cv[~bad]).set_index("region_id") if (~bad).any() else pd.DataFrame()
    for col in ("price", "unit_variable_cost", "fixed_cost", "unit_contribution", "bep_units", "bep_revenue",
                "margin_of_safety", "profit", "required_volume"):
        name = f"cvp_{col}" if col not in ("bep_units", "bep_revenue", "margin_of_safety") else col
        out[name] = c[col].reindex(h.index) if len(c) else np.nan
    bad_ids = cv.loc[bad, "region_id"].to_numpy()
    out.loc[bad_ids, "cvp_price"] = price.reindex(bad_ids).to_numpy()
    out.loc[bad_ids, "cvp_unit_variable_cost"] = uvc.reindex(bad_ids).to_numpy()
    return out.reset_index()


def history_gaps(con, tree, region: str, *, year: int, root: str) -> str:
    """
    What the budget could not do for want of records, in one sentence ("" when nothing is missing).

    Parameters
    ----------
    con : DuckDBPyConnection
        The open archive.
    tree : RegionTree
    region : str
    year : int
        The plan year: expenses and competitors' activities are last year's.
    root : str
        The plan's root (``scope.root``): the activities the plan reads are its subtree's.

    Notes
    -----
    Expenses are the region's own: without last year's, percent of sales has no ratio of its
    own and the profit target deducts no expense ratio. Activities are the plan's: benchmark
    borrows the nearest ancestor's record of a competitor's spend last year, and input_output
    fits its response curves to the plan's own past activities, so a region with no activity
    of its own (a township whose county runs them) still has both; a plan without
    competitors' activities last year loses benchmark, one without own activities input_output.
    """
    parts = []
    if count_rows(con, "expenses", region_ids=tree.subtree(region), years=(year - 1, year - 1)) == 0:
        parts.append("档案中没有本区域去年的费用数据：销售百分比法须在参数中设定费用率，利润目标不含去年费用率")
    plan = tree.subtree(root)  # the plan's every region: the whole table when the root is the tree's
    own_any, rivals_last_year = activities_present(con, None if len(plan) == len(tree.ids) else list(plan), year - 1)
    lost = [name for name, lacking in (("竞争对手参照法", not rivals_last_year), ("投入产出法", not own_any)) if lacking]
    if lost:
        what = {2: "档案中没有本方案去年竞品的活动和本品的历史活动", 1: ("档案中没有本方案去年竞品的活动" if not rivals_last_year
                                                                else "档案中没有本方案本品的历史活动")}[len(lost)]
        parts.append(f"{what}：{'与'.join(lost)}不可用")
    return "；".join(parts) + "。所选方法不可用的类别按其他方法编制（见方法比较）。" if parts else ""
