"""
Pricing the plan: the expense budget of every planned region, its phasing, CVP and the dual check.

:mod:`planlib.budget` holds the methods (pure functions on small frames); this module
applies them to a whole plan at once, the way :func:`planlib.targets.plan_targets` sets
and splits the targets: one read of last year's expenses, sales and activities, then
vectorised arithmetic over every planning unit (the deepest planned level, e.g. the
counties) and a consolidation up the tree.

Public names
------------
PlanBudget      the plan's budget table (DESIGN.md §4), per-region CVP and dual check, methods compared
plan_budget     price a plan's targets: every unit's budget by the params' methods, capped, phased, consolidated
region_budget   one region's rows of a PlanBudget, shaped for its report
write_results   results/budget.parquet (+ regions, methods) and the budget sheets of the plan's workbook
export_budget_excel  the sheets: category × month per region, terminal channel fees, CVP and the dual check
load_results    the run's budget results
tune_budget     one region's budget re-priced with tuned methods, ratios, cap, price and volume
key_figures     a region's headline budget figures; dual_reading: its dual check in one sentence
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planlib import params, review, schemas
from planlib.budget import methods as bm
from planlib.errors import BudgetError, PlanlibError, PlanWarning
from planlib.hierarchy import LEVEL_DEPTH
from planlib.labels import CATEGORY_NAMES
from planlib.schemas import CATEGORIES, OWN_BRAND
from planlib.targets import breakdown_of, region_potential

__all__ = [
    "PlanBudget",
    "plan_budget",
    "region_budget",
    "RegionBudget",
    "tune_budget",
    "key_figures",
    "dual_reading",
    "FLAG_NAMES",
    "region_budget_params",
    "cvp_view",
    "children_reading",
    "sensitivity_view",
    "methods_long",
    "has_cvp",
    "BUDGET_COLUMNS",
]

#: Columns of results/budget.parquet (DESIGN.md §4).
BUDGET_COLUMNS = ("region_id", "month", "category", "item", "terminal_id", "amount", "method")
#: The cap's growth ceiling on what a region can sell: last year × (1 + this) when no potential is known.
REACH_GROWTH = 0.30
_KIND_ITEMS = {  # activity kinds (input_output) -> the item their spend is booked to
    "media": ("media", "tv"),
    "promotion": ("promotion", "premiums"),
    "tasting": ("promotion", "temp_promoters"),
    "display": ("channel", "display"),
}
_CENT = 0.01


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
        region_id, category, method, amount: every applicable method's amount per
        category and region, for the side-by-side comparison (the chosen one marked).
    response : DataFrame
        The input-output response curves per activity kind (:func:`budget.fit_response`)
        and the plan's spend mix (:func:`budget.allocate_spend`).
    """

    root: str
    plan_year: int
    table: pd.DataFrame
    regions: pd.DataFrame
    methods: pd.DataFrame
    response: pd.DataFrame
    notes: tuple = field(default_factory=tuple)


# ---------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------
def _read(con, ids: list[str] | None, plan_year: int):
    """
    Own sales by region and month, last year's by region, competitors' revenue, expenses and activities.

    ``ids`` None reads the whole archive (the plan's root is the tree's root): no region
    filter, which DuckDB scans several times faster than a list of every region id.
    """
    where = "" if ids is None else " AND region_id IN (SELECT unnest(?::VARCHAR[]))"
    extra = [] if ids is None else [ids]
    cur = con.cursor()
    try:
        ly = plan_year - 1
        # one scan of own sales: by region and month (the activities' lift needs the months)
        monthly = cur.sql(
            "SELECT region_id, date, sum(volume) AS volume, sum(revenue) AS revenue, "
            "sum(volume * coalesce(unit_variable_cost, 0)) AS variable_cost "
            "FROM sales JOIN products USING (sku) WHERE grain = 'month' AND brand = ? "
            f"AND date < ?{where} GROUP BY ALL",
            params=[OWN_BRAND, pd.Timestamp(plan_year, 1, 1).date(), *extra],
        ).to_arrow_table().to_pandas()
        monthly["date"] = pd.to_datetime(monthly["date"])
        last = monthly[monthly["date"].dt.year == ly]
        sales = last.groupby("region_id", as_index=False)[["volume", "revenue", "variable_cost"]].sum()
        comp = cur.sql(
            f"SELECT sum(revenue) FROM sales WHERE grain = 'month' AND brand <> ? AND year(date) = ?{where}",
            params=[OWN_BRAND, ly, *extra],
        ).fetchall()[0][0]
        expenses = cur.sql(
            f"SELECT region_id, category, item, sum(amount) AS amount FROM expenses WHERE year(date) = ?{where} "
            "GROUP BY ALL",
            params=[ly, *extra],
        ).df()
        acts = cur.sql(
            "SELECT activity_id, region_id, brand, kind, start_date, end_date, cost FROM activities "
            f"WHERE true{where}",
            params=extra,
        ).df()
    finally:
        cur.close()
    return sales, monthly, float(comp or 0.0), expenses, acts


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _cents(x) -> np.ndarray:
    return np.rint(np.asarray(x, dtype=float) / _CENT).astype(np.int64)


def _largest_remainder(total_cents: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise split of whole cents by weights (n × k), each row summing exactly; ties to the first column."""
    w = np.asarray(weights, dtype=float)
    s = w.sum(axis=1, keepdims=True)
    k = w.shape[1]
    even = np.full_like(w, 1.0 / k)
    share = np.where(s > 0, w / np.where(s > 0, s, 1.0), even)
    quota = share * total_cents[:, None]
    base = np.floor(quota).astype(np.int64)
    short = total_cents - base.sum(axis=1)
    rem = quota - base
    order = np.argsort(-rem, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(k)[None, :].repeat(len(w), axis=0), axis=1)
    return base + (rank < short[:, None])


# ---------------------------------------------------------------------------------------
# the plan's budget
# ---------------------------------------------------------------------------------------
def plan_budget(plan, tree, con, targets_table: pd.DataFrame, *, region_params=None) -> PlanBudget:
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

    Returns
    -------
    PlanBudget

    Raises
    ------
    BudgetError
        A category's method does not apply to it (``objective_task`` is for channel,
        ``marginal`` for labour), or a region's price does not exceed its unit variable
        cost (break-even is undefined; the regions are named).

    Notes
    -----
    For a planning unit u with target revenue R_u and last year's revenue R⁰_u:

    - percent_of_sales: B_{u,c} = ρ_c R_u, ρ_c the set ratio or last year's E⁰_{u,c} / R⁰_u;
    - benchmark: for promotion, ρ = the competitors' activity spend / their revenue last
      year (the plan's whole scope, the spend the archive records of them); for any
      category, the set ratio ``budget.ratios``;
    - objective_task (channel): :func:`budget.objective_task` terminal by terminal over the
      unit's A/B terminal lines (a terminal without sales last year pays the entry fee) plus
      the rebate on R_u;
    - marginal (labour): last year's labour + n × cost per head, n from
      :func:`budget.marginal_headcount` on contributions c₁ d^k, where the first extra
      salesperson wins c₁ = headroom_capture × (potential − target volume) × unit margin;
    - zero_based: :func:`budget.zero_based` on the params' activity list, capped at the
      category's percent-of-sales amount;
    - input_output: the category's percent-of-sales amount, spread over activity kinds
      by the plan-wide mix of :func:`budget.allocate_spend` on the fitted response curves.

    Items split a category by last year's item mix (largest remainder in cents). The cap
    min(cap_ratio × R_u, cap_amount) scales a unit over it down exactly to it
    (:func:`budget.apply_cap`). Months: fixed categories straight-line, the others by the
    unit's target months, each row exact in cents. A parent's budget is its children's
    plus its own items (its own offices' last-year ratio to its subtree's revenue ×
    its subtree's target revenue), :func:`budget.consolidate`.
    """

    bp = plan.budget
    year = int(plan.year)
    root = plan.scope.root
    kind = breakdown_of(targets_table)
    totals = targets_table[kind == "total"]
    planned = pd.unique(totals["region_id"].astype(str))
    depth = max(LEVEL_DEPTH[tree.level(r)] for r in planned)
    unit_level = next(lv for lv, d in LEVEL_DEPTH.items() if d == depth)
    units = [r for r in planned if tree.level(r) == unit_level]
    parents = [r for r in planned if tree.level(r) != unit_level]
    sub = list(tree.subtree(root))
    unit_of = {}
    for u in units:
        for r in tree.subtree(u):
            unit_of[r] = u
    sales, monthly, comp_revenue, expenses, acts = _read(con, None if root == tree.root else sub, year)

    # -- targets per unit -----------------------------------------------------------------
    tot = totals.assign(region_id=totals["region_id"].astype(str), m=pd.DatetimeIndex(totals["month"]).month)
    vol_m = tot.pivot_table(index="region_id", columns="m", values="target_volume", aggfunc="sum", fill_value=0.0)
    rev_m = tot.pivot_table(index="region_id", columns="m", values="target_revenue", aggfunc="sum", fill_value=0.0)
    vol_m = vol_m.reindex(columns=range(1, 13), fill_value=0.0)
    rev_m = rev_m.reindex(columns=range(1, 13), fill_value=0.0)
    target_volume = vol_m.sum(axis=1)
    target_revenue = rev_m.sum(axis=1)
    # a parent's revenue is its units' (each priced at its own realised price), so ratios and
    # caps add up the tree: Σ children's cap ≤ the parent's cap at the same ratio
    roll = pd.DataFrame([(u, a) for u in units for a in tree.ancestors(u) if a in set(parents)],
                        columns=["unit", "parent"])
    if len(roll):
        up_rev = roll.assign(rev=roll["unit"].map(target_revenue)).groupby("parent")["rev"].sum()
        up_m = rev_m.reindex(roll["unit"]).set_axis(roll["parent"], axis=0).groupby(level=0).sum()
        target_revenue = target_revenue.copy()
        target_revenue.loc[up_rev.index] = up_rev
        rev_m = rev_m.copy()
        rev_m.loc[up_m.index] = up_m.to_numpy()

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
    potential = region_potential(con, tree, root, year, share=plan.split.potential_share)
    headroom = (potential.reindex(units) - target_volume.reindex(units)).clip(lower=0.0).fillna(0.0)
    unit_vc = su["variable_cost"] / su["volume"].where(su["volume"] > 0)
    unit_margin = (target_revenue.reindex(units) / target_volume.reindex(units).where(lambda v: v > 0)
                   - unit_vc).clip(lower=0.0).fillna(0.0)

    # -- response curves (input_output): plan-wide, own activities ------------------------
    response = _response(tree, acts, sales, monthly)

    # -- category budgets per unit ---------------------------------------------------------
    rows, method_rows, notes = [], [], []
    comp_cost = float(acts.loc[(acts["brand"] != OWN_BRAND) & (pd.DatetimeIndex(acts["start_date"]).year == year - 1),
                               "cost"].fillna(0).sum())
    comp_ratio = comp_cost / comp_revenue if comp_revenue > 0 else None
    terminals = _terminal_lines(targets_table, kind, unit_of)
    if unit_level != "county" and any(unit_bp[u].methods.get("channel") == "objective_task" for u in units):
        raise BudgetError(f"budget.methods.channel: objective_task builds channel fees terminal by terminal from the "
                          f"terminal targets, which the plan splits at county level, but the plan stops at "
                          f"{unit_level}; add county to scope.levels or choose another method for channel")
    # plan-wide ratios: the fallback of a unit without sales last year
    plan_rev = float(su["revenue"].sum())
    plan_ratio = (eu.groupby("category")["amount"].sum() / plan_rev).to_dict() if plan_rev > 0 else {}
    new_units = [u for u in units if su.loc[u, "revenue"] <= 0]
    if new_units:
        notes.append(f"{len(new_units)} region(s) without sales last year take the plan's expense ratios: "
                     f"{', '.join(new_units[:10])}{' …' if len(new_units) > 10 else ''}")
    for members in groups.values():
        p = unit_bp[members[0]]
        r_target = target_revenue.reindex(members).fillna(0.0).to_numpy()
        r_last = su.loc[members, "revenue"].to_numpy()
        ly_cat = eu[eu["unit"].isin(members)].pivot_table(index="unit", columns="category", values="amount",
                                                         aggfunc="sum", fill_value=0.0)
        ly_cat = ly_cat.reindex(index=members, columns=list(CATEGORIES), fill_value=0.0)
        for cat in CATEGORIES:
            chosen = p.methods.get(cat, "percent_of_sales")
            ratio_hist = np.divide(ly_cat[cat].to_numpy(), r_last,
                                   out=np.full(len(members), float(plan_ratio.get(cat, 0.0))), where=r_last > 0)
            ratio = np.full(len(members), p.ratios[cat]) if cat in p.ratios else ratio_hist
            amounts = {"percent_of_sales": ratio * r_target}
            # benchmark: the competitors' promotion spend ratio (their activities / their revenue), else a set ratio
            bench = comp_ratio if (cat == "promotion" and comp_ratio is not None) else p.ratios.get(cat)
            if bench is not None:
                amounts["benchmark"] = bench * r_target
            fees = None
            if cat == "channel":  # built once: the comparison's total and, when chosen, the rows
                fees = _channel_fees(terminals, members, p, target_revenue)
                amounts["objective_task"] = fees.groupby("region_id")["amount"].sum().reindex(members) \
                    .fillna(0.0).to_numpy()
            if cat == "labour":
                first = p.headcount.headroom_capture * headroom.reindex(members).fillna(0.0).to_numpy() \
                    * unit_margin.reindex(members).fillna(0.0).to_numpy()
                heads = _headcount(first, p.headcount.cost_per_head, p.headcount.decay)
                amounts["marginal"] = ly_cat[cat].to_numpy() + heads * p.headcount.cost_per_head
            if p.activities and any(a.category == cat for a in p.activities):
                amounts["zero_based"] = _zero_based_totals(p, cat, amounts["percent_of_sales"])
            if cat in ("media", "promotion") and len(response):
                amounts["input_output"] = amounts["percent_of_sales"]
            if chosen not in amounts:
                if chosen == "objective_task" or chosen == "marginal":
                    raise BudgetError(f"budget.methods.{cat}: {chosen} does not apply to {cat} "
                                      f"({'objective_task is for channel' if chosen == 'objective_task' else 'marginal is for labour'})")
                if chosen == "benchmark":
                    raise BudgetError(f"budget.methods.{cat}: benchmark needs competitor spend in the archive or "
                                      f"budget.ratios.{cat}")
                if chosen == "zero_based":
                    raise BudgetError(f"budget.methods.{cat}: zero_based needs budget.activities of category {cat}")
                raise BudgetError(f"budget.methods.{cat}: input_output needs past activities to fit responses")
            for m, a in amounts.items():
                method_rows.append(pd.DataFrame({"region_id": members, "category": cat, "method": m,
                                                 "amount": np.round(np.asarray(a, dtype=float), 2),
                                                 "chosen": m == chosen}))
            rows.append(fees.assign(method="objective_task") if chosen == "objective_task" else
                        _items(members, cat, chosen, np.asarray(amounts[chosen], dtype=float), eu, p, response))
    unit_rows = pd.concat(rows, ignore_index=True)

    # -- caps: each unit, then each parent's own items ----------------------------------------
    cap_of = {r: _cap_for(r, params_of(r), bp, region_params, root, target_revenue) for r in planned}
    unit_rows, capped = _cap(unit_rows, units, cap_of)
    if capped:
        notes.append(f"{len(capped)} region(s) budgeted above their cap and scaled down to it: "
                     f"{', '.join(capped[:10])}{' …' if len(capped) > 10 else ''}")

    # -- own items of the parents, within the parents' caps --------------------------------------
    own_rows = _own_items(own, parents, tree, sales, target_revenue)
    own_rows, squeezed = _cap_parents(own_rows, unit_rows, tree, parents, units, cap_of)
    if squeezed:
        notes.append(f"{len(squeezed)} parent region(s)' own items scaled down to keep them within their cap: "
                     f"{', '.join(squeezed[:10])}")

    # -- months ------------------------------------------------------------------------------
    month_share = vol_m.div(vol_m.sum(axis=1).where(lambda x: x > 0), axis=0).fillna(1.0 / 12)
    phased_units = _phase(unit_rows, month_share, bp.fixed_categories, year)
    phased_own = _phase(own_rows, month_share, bp.fixed_categories, year) if len(own_rows) else own_rows
    table = _consolidate(phased_units, phased_own, tree, units, parents)
    months = pd.DatetimeIndex([pd.Timestamp(year, m, 1) for m in range(1, 13)])
    table["month"] = months[table["month"].to_numpy(dtype=int) - 1]

    # -- regions: targets, budget, CVP, dual check ---------------------------------------------
    regions = _regions(table, tree, planned, target_volume, target_revenue, sales, expenses, bp, potential, cap_of)
    no_bep = regions.loc[regions["flag"] == "no break-even", "region_id"].tolist()
    if no_bep:
        notes.append(f"{len(no_bep)} region(s) where the price does not exceed the unit variable cost (no break-even): "
                     f"{', '.join(no_bep[:10])}")
    methods = pd.concat(method_rows, ignore_index=True)
    methods = _methods_up(methods, tree, planned, own_rows)
    return PlanBudget(root, year, table, regions, methods, response, tuple(notes))


def _cap_for(region, p, plan_bp, region_params, root, target_revenue) -> float | None:
    """
    A region's cap: cap_ratio × its target revenue, and cap_amount where it is set for it.

    ``cap_amount`` caps the region whose file sets it: the plan file's the root, a region
    file's that region (it is not inherited, since an amount fits one region's size).
    """
    c = []
    if p.cap_ratio is not None:
        c.append(p.cap_ratio * float(target_revenue.get(region, 0.0)))
    own_amount = region_params.get(region).cap_amount if region in region_params else (
        plan_bp.cap_amount if region == root else None)
    if own_amount is not None:
        c.append(float(own_amount))
    return math.floor(min(c) * 100) / 100 if c else None


def _cap_parents(own_rows, unit_rows, tree, parents, units, cap_of) -> tuple[pd.DataFrame, list[str]]:
    """Scale a parent's own items so that its children plus its own stay within its cap (deepest parents first)."""
    if not parents:
        return own_rows, []
    unit_tot = unit_rows.groupby("region_id")["amount"].sum()
    own_tot = own_rows.groupby("region_id")["amount"].sum() if len(own_rows) else pd.Series(dtype=float)
    total = {u: float(unit_tot.get(u, 0.0)) for u in units}
    squeezed, rows = [], own_rows.copy()
    planned = set(units) | set(parents)
    for r in sorted(parents, key=lambda x: -len(tree.ancestors(x))):
        kids = [k for k in tree.children(r) if k in planned]
        kids_total = sum(total.get(k, 0.0) for k in kids)
        own = float(own_tot.get(r, 0.0))
        cap = cap_of.get(r)
        if cap is not None and kids_total > cap + 0.005:
            raise BudgetError(f"budget cap of {r} ({tree.name(r)}): its children's budgets {kids_total:,.2f} already "
                              f"exceed its cap {cap:,.2f} by {kids_total - cap:,.2f}; raise its cap or lower theirs")
        if cap is not None and kids_total + own > cap + 0.005:
            room = math.floor((cap - kids_total) * 100) / 100
            idx = np.flatnonzero((rows["region_id"] == r).to_numpy())
            scaled = bm.apply_cap(pd.Series(rows["amount"].to_numpy()[idx], index=range(len(idx))), max(room, 0.0),
                                  unit=_CENT)
            rows.iloc[idx, rows.columns.get_loc("amount")] = scaled.to_numpy()
            own = float(scaled.sum())
            squeezed.append(r)
        total[r] = kids_total + own
    return rows, squeezed


def _consolidate(unit_rows: pd.DataFrame, own_rows: pd.DataFrame, tree, units, parents) -> pd.DataFrame:
    """
    Units' rows as they are, then each parent's children summed (``consolidated``) and its own items (``own``).

    The same sums as :func:`planlib.budget.consolidate` (which the tests hold this to), on
    dense region × month × item arrays of whole cents, so a national plan adds up in
    a fraction of a second; a parent's consolidated rows are its children's totals and its
    own offices' items stay on rows of their own.
    """
    cols = list(BUDGET_COLUMNS)
    unit_rows = unit_rows[cols]
    if not parents:
        return unit_rows.reset_index(drop=True)
    keys = pd.concat([unit_rows[["category", "item"]], own_rows[["category", "item"]] if len(own_rows) else None])
    pairs = keys.drop_duplicates().sort_values(["category", "item"]).reset_index(drop=True)
    pair_index = pd.MultiIndex.from_frame(pairs)
    nj = len(pairs)
    u_index = {u: k for k, u in enumerate(units)}
    p_index = {r: k for k, r in enumerate(parents)}

    def dense(rows, index, n):
        if not len(rows):
            return np.zeros((n, 12 * nj), dtype=np.int64)
        j = pair_index.get_indexer(pd.MultiIndex.from_arrays([rows["category"], rows["item"]]))
        r = pd.Index(list(index)).get_indexer(rows["region_id"])
        flat = (r * 12 + rows["month"].to_numpy(dtype=np.int64) - 1) * nj + j
        # bincount in float64 is exact for whole cents below 2**53 (9e13 yuan)
        arr = np.bincount(flat, weights=_cents(rows["amount"]).astype(np.float64), minlength=n * 12 * nj)
        return np.rint(arr).astype(np.int64).reshape(n, 12 * nj)

    A = dense(unit_rows, u_index, len(units))
    O = dense(own_rows, p_index, len(parents))
    from scipy import sparse

    pu = [(p_index[a], u_index[u]) for u in units for a in tree.ancestors(u) if a in p_index]
    pp = [(p_index[a], p_index[q]) for q in parents for a in tree.ancestors(q) if a in p_index]
    M = sparse.csr_matrix((np.ones(len(pu), dtype=np.int64), ([a for a, _ in pu], [b for _, b in pu])),
                          shape=(len(parents), len(units)))
    N = sparse.csr_matrix((np.ones(len(pp), dtype=np.int64), ([a for a, _ in pp], [b for _, b in pp])),
                          shape=(len(parents), len(parents)))
    children_sum = np.asarray(M @ A) + np.asarray(N @ O)  # every unit and every lower parent's own items

    def long(arr, method):
        r, flat = np.nonzero(arr)
        m, j = np.divmod(flat, nj)
        return pd.DataFrame({
            "region_id": np.asarray(parents, dtype=object)[r], "month": m + 1,
            "category": pairs["category"].to_numpy(dtype=object)[j], "item": pairs["item"].to_numpy(dtype=object)[j],
            "terminal_id": None, "amount": arr[r, flat] * _CENT, "method": method,
        })

    up = pd.concat([long(children_sum, "consolidated"), long(O, "own")], ignore_index=True)
    order = {r: k for k, r in enumerate(tree.ids)}
    up = up.assign(_o=up["region_id"].map(order)).sort_values(["_o", "month", "category", "item", "method"],
                                                              kind="stable").drop(columns="_o")
    return pd.concat([unit_rows, up[cols]], ignore_index=True)


def _response(tree, acts, sales, monthly) -> pd.DataFrame:
    """Response curves per own activity kind, fitted on the whole plan's past activities."""

    own = acts[(acts["brand"] == OWN_BRAND) & acts["cost"].notna()]
    if own.empty or monthly.empty:
        return pd.DataFrame()
    months = monthly[["region_id", "date", "revenue"]]
    link = pd.DataFrame([(m, r) for r in sorted(set(own["region_id"])) for m in tree.subtree(r)],
                        columns=["region_id", "activity_region"])
    sub_months = months.merge(link, on="region_id").groupby(["activity_region", "date"])["revenue"].sum()
    region_months = sub_months.unstack("date", fill_value=0.0)
    region_months.index.name = "region_id"
    region_months.columns = pd.DatetimeIndex(region_months.columns)
    control = months.groupby("date")["revenue"].sum()  # the whole plan moves with the same seasons
    control.index = pd.DatetimeIndex(control.index)
    rev, var = float(sales["revenue"].sum()), float(sales["variable_cost"].sum())
    margin = 1.0 - var / rev if rev > 0 else 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        lifts = review.activity_lift(own, region_months, control, margin_rate=margin)
    if lifts.empty:
        return pd.DataFrame()
    return bm.fit_response(lifts)


def _terminal_lines(table: pd.DataFrame, kind: pd.Series, unit_of: dict) -> pd.DataFrame:
    t = table[kind == "terminal"]
    named = t[t["terminal_id"].notna()]
    g = named.groupby(["terminal_id"], observed=True).agg(
        region_id=("region_id", "first"), terminal_class=("terminal_class", "first"),
        target_volume=("target_volume", "sum"), target_revenue=("target_revenue", "sum"),
        last_year=("last_year_volume", "sum"),
    ).reset_index()
    g["region_id"] = g["region_id"].astype(str)
    g["terminal_class"] = g["terminal_class"].astype(str)
    g["terminal_id"] = g["terminal_id"].astype(str)
    g["unit"] = g["region_id"].map(unit_of)
    g["is_new"] = g["last_year"] <= 0
    return g


def _rates(p) -> dict:
    c = p.channel
    return {"display": dict(c.display), "promoter_wages": dict(c.promoter_wages), "slotting": dict(c.slotting),
            "event_gifts": dict(c.event_gifts)}


def _channel_fees(terminals: pd.DataFrame, members: list[str], p, target_revenue: pd.Series) -> pd.DataFrame:
    """Terminal-by-terminal channel fees of the members, plus each member's rebate row."""
    t = terminals[terminals["unit"].isin(members)]
    fees = bm.objective_task(t.drop(columns=["target_revenue"]).assign(region_id=t["unit"]), rates=_rates(p)) \
        if len(t) else pd.DataFrame(columns=["region_id", "terminal_id", "category", "item", "amount", "method"])
    rebate = p.channel.year_end_rebate * target_revenue.reindex(members).fillna(0.0).to_numpy()
    reb = pd.DataFrame({"region_id": members, "terminal_id": None, "category": "channel", "item": "year_end_rebate",
                        "amount": np.round(rebate, 2), "method": "objective_task"})
    return pd.concat([fees, reb[reb["amount"] > 0]], ignore_index=True)


def _headcount(first: np.ndarray, cost: float, decay: float) -> np.ndarray:
    """
    Salespeople to add per unit: :func:`budget.marginal_headcount` on contributions first × decay^k.

    Closed form of the same rule: n = 0 when first ≤ cost, else the number of k ≥ 0 with
    first · decay^k > cost, i.e. ⌈ln(cost / first) / ln(decay)⌉ (1 when decay is 0).
    """
    first = np.asarray(first, dtype=float)
    n = np.zeros(len(first), dtype=np.int64)
    over = first > cost
    if decay <= 0:
        n[over] = 1
        return n
    k = np.log(cost / first[over]) / np.log(decay)
    n[over] = np.ceil(k - 1e-12).astype(np.int64)
    # a contribution exactly at the cost is not added (marginal_headcount's rule)
    exact = np.isclose(first[over] * decay ** (n[over] - 1), cost, rtol=1e-12)
    n[over] -= exact.astype(np.int64)
    return np.maximum(n, 0)


def _zero_based_totals(p, cat, caps: np.ndarray) -> np.ndarray:
    """Each unit's funded zero-based cost: the ranked list (:func:`budget.zero_based`) cut at its cap."""
    acts = pd.DataFrame([{"activity": a.name, "cost": a.cost, "expected_return": a.expected_return}
                         for a in p.activities if a.category == cat])
    ranked = bm.zero_based(acts, 0.0)  # the ranking does not depend on the cap
    cum = ranked["cumulative_cost"].to_numpy(dtype=float)
    caps = np.asarray(caps, dtype=float)
    funded = np.searchsorted(cum, caps + 1e-9 * np.maximum(1.0, caps), side="right")  # cum_k <= cap, as zero_based
    return np.concatenate([[0.0], cum])[funded]


def _items(members, cat, method, amount, eu, p, response) -> pd.DataFrame:
    """A category's amount per unit split over items (by last year's mix), or the method's own rows."""
    if method == "zero_based":
        # each funded activity booked to its own item (the ranked list cut at the unit's amount)
        acts = [a for a in p.activities if a.category == cat]
        ranked = bm.zero_based(pd.DataFrame([{"activity": a.name, "cost": a.cost, "expected_return": a.expected_return}
                                             for a in acts]), 0.0)
        item_of = {a.name: a.item for a in acts}
        cum = np.concatenate([[0.0], ranked["cumulative_cost"].to_numpy(dtype=float)])
        funded = np.searchsorted(cum[1:], amount + 1e-9 * np.maximum(1.0, amount), side="right")
        unit_idx = np.repeat(np.arange(len(members)), funded)
        k = np.concatenate([np.arange(n) for n in funded]) if funded.sum() else np.zeros(0, dtype=int)
        return pd.DataFrame({"region_id": np.asarray(members, dtype=object)[unit_idx], "terminal_id": None,
                             "category": cat, "item": ranked["activity"].map(item_of).to_numpy(dtype=object)[k],
                             "amount": ranked["cost"].to_numpy(dtype=float)[k], "method": "zero_based"}) \
            .groupby(["region_id", "terminal_id", "category", "item", "method"], dropna=False, as_index=False,
                     sort=False)["amount"].sum()[["region_id", "terminal_id", "category", "item", "amount", "method"]]
    if method == "input_output" and len(response):
        spend_mix = _spend_mix(response, cat)
        if spend_mix is not None:
            items, weights = spend_mix
            cents = _largest_remainder(_cents(amount), np.repeat(weights[None, :], len(members), axis=0))
            return _long(members, cat, items, cents, "input_output")
    ly = eu[(eu["category"] == cat) & eu["unit"].isin(members)]
    items = sorted(pd.unique(ly["item"])) or [next(iter(schemas.ITEM_CATALOGUE[cat]["items"]))]
    w = ly.pivot_table(index="unit", columns="item", values="amount", aggfunc="sum", fill_value=0.0)
    w = w.reindex(index=members, columns=items, fill_value=0.0).to_numpy()
    cents = _largest_remainder(_cents(amount), w)
    return _long(members, cat, items, cents, method)


def _spend_mix(response: pd.DataFrame, cat: str):
    """The plan's best mix of a category's spend over the activity kinds booked to it."""
    kinds = [k for k in response["kind"] if _KIND_ITEMS.get(k, (None,))[0] == cat]
    curves = response[response["kind"].isin(kinds) & (response["curve"] != "zero")]
    if curves.empty:
        return None
    probe = 1_000_000.0  # the mix at a typical county budget's scale
    alloc = bm.allocate_spend(curves, probe, unit=1.0)
    items = [_KIND_ITEMS[k][1] for k in alloc["kind"]]
    w = alloc["spend"].to_numpy(dtype=float)
    frame = pd.DataFrame({"item": items, "w": w}).groupby("item", sort=True)["w"].sum()
    return list(frame.index), frame.to_numpy()


def _long(members, cat, items, cents, method) -> pd.DataFrame:
    n, k = cents.shape
    out = pd.DataFrame({
        "region_id": np.repeat(np.asarray(members, dtype=object), k),
        "terminal_id": None,
        "category": cat,
        "item": np.tile(np.asarray(items, dtype=object), n),
        "amount": cents.ravel() * _CENT,
        "method": method,
    })
    return out[out["amount"] > 0]


def _cap(rows: pd.DataFrame, units, cap_of: dict) -> tuple[pd.DataFrame, list[str]]:
    """Scale a unit whose budget is above its cap down exactly to it (:func:`budget.apply_cap`)."""
    tot = rows.groupby("region_id")["amount"].sum()
    over = [u for u in units if cap_of.get(u) is not None and float(tot.get(u, 0.0)) > cap_of[u] + 1e-9]
    if not over:
        return rows, []
    rows = rows.copy()
    for u in over:
        idx = np.flatnonzero((rows["region_id"] == u).to_numpy())
        scaled = bm.apply_cap(pd.Series(rows["amount"].to_numpy()[idx], index=range(len(idx))), cap_of[u], unit=_CENT)
        rows.iloc[idx, rows.columns.get_loc("amount")] = scaled.to_numpy()
    return rows, over


def _own_items(own: pd.DataFrame, parents, tree, sales, target_revenue) -> pd.DataFrame:
    """A parent's own offices: last year's ratio to its subtree's revenue × its subtree's target revenue."""
    empty = pd.DataFrame(columns=["region_id", "terminal_id", "category", "item", "amount", "method"])
    mine = own[own["region_id"].isin(parents)]
    if mine.empty:
        return empty
    wanted = set(mine["region_id"])
    rev = sales.groupby("region_id")["revenue"].sum()
    link = pd.DataFrame([(r, a) for r in rev.index for a in tree.ancestors(r) if a in wanted] +
                        [(r, r) for r in rev.index if r in wanted], columns=["region_id", "parent"])
    sub_rev = rev.rename("rev").to_frame().join(link.set_index("region_id"), how="inner").groupby("parent")["rev"].sum()
    ratio = mine["region_id"].map(sub_rev).to_numpy(dtype=float)
    tgt = mine["region_id"].map(target_revenue).fillna(0.0).to_numpy(dtype=float)
    ok = ratio > 0
    amt = np.round(np.divide(mine["amount"].to_numpy(dtype=float), ratio, out=np.zeros(len(mine)), where=ok) * tgt, 2)
    out = pd.DataFrame({"region_id": mine["region_id"].to_numpy(), "terminal_id": None,
                        "category": mine["category"].to_numpy(), "item": mine["item"].to_numpy(), "amount": amt,
                        "method": "own"})
    return out[ok & (amt > 0)].reset_index(drop=True)


def _phase(rows: pd.DataFrame, month_share: pd.DataFrame, fixed, year: int) -> pd.DataFrame:
    """Each row's annual amount over the twelve months, exact in cents."""
    if rows.empty:
        return rows.assign(month=pd.Series(dtype="int64"))
    shares = month_share.reindex(rows["region_id"]).fillna(1.0 / 12).to_numpy(copy=True)
    straight = rows["category"].isin(list(fixed)).to_numpy()
    shares[straight] = 1.0 / 12
    cents = _largest_remainder(_cents(rows["amount"].to_numpy()), shares)
    rep = rows.loc[rows.index.repeat(12)].reset_index(drop=True)
    rep["month"] = np.tile(np.arange(1, 13), len(rows))  # 1..12 here; the plan year's dates at the end
    rep["amount"] = cents.ravel() * _CENT
    return rep[rep["amount"] != 0].reset_index(drop=True)


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
    if link.empty:
        return methods[["region_id", "category", "method", "amount", "chosen"]]
    up = methods.merge(link, on="region_id").groupby(["parent", "category", "method"], as_index=False).agg(
        amount=("amount", "sum"), chosen=("chosen", "max")).rename(columns={"parent": "region_id"})
    if len(own_rows):
        own = own_rows.groupby(["region_id", "category"])["amount"].sum().rename("own").reset_index()
        olink = pd.DataFrame([(q, a) for q in pd.unique(own["region_id"]) for a in (q, *tree.ancestors(q))
                              if a in planned_set], columns=["region_id", "parent"])
        own_up = own.merge(olink, on="region_id").groupby(["parent", "category"], as_index=False)["own"].sum()
        up = up.merge(own_up.rename(columns={"parent": "region_id"}), on=["region_id", "category"], how="left")
        up["amount"] = np.round(up["amount"] + up["own"].fillna(0.0), 2)
        up = up.drop(columns="own")
    return pd.concat([methods, up], ignore_index=True)[["region_id", "category", "method", "amount", "chosen"]]


def _regions(table, tree, planned, target_volume, target_revenue, sales, expenses, bp, pot, cap_of) -> pd.DataFrame:
    annual = table.groupby(["region_id", "category"])["amount"].sum().unstack("category", fill_value=0.0)
    annual = annual.reindex(index=list(planned), columns=list(CATEGORIES), fill_value=0.0)
    rev_ly = sales.set_index("region_id")
    exp_ly = expenses.groupby("region_id")["amount"].sum()
    # facts per planned node (a unit takes its subtree's), then rolled up its planned ancestors
    planned_set = set(planned)
    node_of = {}
    for r in set(rev_ly.index) | set(exp_ly.index):
        node_of[r] = next((a for a in (r, *tree.ancestors(r)) if a in planned_set), None)
    facts = pd.DataFrame({
        "ly_volume": rev_ly["volume"], "ly_revenue": rev_ly["revenue"], "ly_variable_cost": rev_ly["variable_cost"],
    }).join(exp_ly.rename("ly_expenses"), how="outer").fillna(0.0)
    facts["node"] = facts.index.map(node_of)
    per_node = facts.dropna(subset=["node"]).groupby("node")[["ly_volume", "ly_revenue", "ly_variable_cost",
                                                              "ly_expenses"]].sum()
    link = pd.DataFrame([(n, a) for n in per_node.index for a in (n, *tree.ancestors(n)) if a in planned_set],
                        columns=["node", "region_id"])
    rolled = per_node.join(link.set_index("node"), how="inner").groupby("region_id").sum()
    h = rolled.reindex(list(planned)).fillna(0.0)
    h.insert(0, "parent_id", [tree.parent(r) for r in h.index])
    h.insert(0, "level", [tree.level(r) for r in h.index])
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
    out["cap"] = [cap_of.get(r) if cap_of.get(r) is not None else np.nan for r in h.index]
    out["expense_ratio"] = B / R.where(R > 0)
    out["ly_expense_ratio"] = ly_ratio
    out["unit_product_cost"] = vc
    # the profit target: target revenue less variable cost and last year's expense ratio (targets.region_kinds)
    out["profit_target"] = R - vc * V - ly_ratio * R
    reach = h["ly_volume"] * (1 + REACH_GROWTH)
    pr = pot.reindex(h.index)
    out["reachable_volume"] = np.where(pr.notna(), np.minimum(pr.fillna(np.inf), reach), reach)
    ok = (V > 0) & (R > 0)
    dc = bm.dual_check(pd.DataFrame({"region_id": h.index[ok], "target_volume": V[ok].to_numpy(),
                                     "target_revenue": R[ok].to_numpy(),
                                     "reachable_volume": out.loc[ok, "reachable_volume"].to_numpy(),
                                     "budget": B[ok].to_numpy(), "unit_variable_cost": vc[ok].to_numpy(),
                                     "profit_target": out.loc[ok, "profit_target"].to_numpy()}),
                       expense_ratio_threshold=bp.expense_ratio_threshold).set_index("region_id")
    for col in ("sales_reachable", "profit_at_target", "profit_reachable", "budget_limit", "over_threshold", "flag"):
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
    c = bm.cvp_table(cv[~bad]).set_index("region_id") if (~bad).any() else pd.DataFrame()
    for col in ("price", "unit_variable_cost", "fixed_cost", "unit_contribution", "bep_units", "bep_revenue",
                "margin_of_safety", "profit", "required_volume"):
        name = f"cvp_{col}" if col not in ("bep_units", "bep_revenue", "margin_of_safety") else col
        out[name] = c[col].reindex(h.index) if len(c) else np.nan
    bad_ids = cv.loc[bad, "region_id"].to_numpy()
    out.loc[bad_ids, "cvp_price"] = price.reindex(bad_ids).to_numpy()
    out.loc[bad_ids, "cvp_unit_variable_cost"] = uvc.reindex(bad_ids).to_numpy()
    return out.reset_index()


# ---------------------------------------------------------------------------------------
# one region, results
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class RegionBudget:
    """One region's budget, shaped for its report."""

    region: str
    summary: pd.Series
    by_category: pd.DataFrame
    by_item: pd.DataFrame
    months: pd.DataFrame
    methods: pd.DataFrame
    children: pd.DataFrame
    terminals: pd.DataFrame


def region_budget(pb_table: pd.DataFrame, regions: pd.DataFrame, methods: pd.DataFrame, tree, region: str,
                  *, names=None) -> RegionBudget:
    """
    A region's budget by category and item, by month, its methods compared, its children and terminal fees.

    Parameters
    ----------
    pb_table, regions, methods : DataFrame
        :attr:`PlanBudget.table`, ``.regions``, ``.methods`` (or the run's results).
    tree : RegionTree
    region : str
    names : mapping, optional
        Terminal id -> name for the terminal fee list.

    Returns
    -------
    RegionBudget
        ``by_category``: category, name, amount, share, ratio (of target revenue);
        ``months``: month × category amounts; ``methods``: category × method amounts;
        ``children``: the children's budget, revenue, expense ratio and flag side by side;
        ``terminals``: the terminal-level channel fees (units only).
    """
    mine = pb_table[pb_table["region_id"] == region]
    info = regions.set_index("region_id")
    summary = info.loc[region] if region in info.index else pd.Series(dtype=object)
    rev = float(summary.get("target_revenue", np.nan)) if len(summary) else np.nan
    cat = mine.groupby("category")["amount"].sum().reindex(list(CATEGORIES), fill_value=0.0)
    by_category = pd.DataFrame({"category": cat.index, "name": [CATEGORY_NAMES[c] for c in cat.index],
                                "amount": cat.to_numpy()})
    total = by_category["amount"].sum()
    by_category["share"] = by_category["amount"] / total if total > 0 else np.nan
    by_category["ratio"] = by_category["amount"] / rev if rev and rev > 0 else np.nan
    by_item = mine.groupby(["category", "item", "method"], as_index=False)["amount"].sum()
    labels = {i: lab for c in schemas.ITEM_CATALOGUE.values() for i, lab in c["items"].items()}
    by_item.insert(2, "name", by_item["item"].map(labels).fillna(by_item["item"]))
    months = mine.assign(m=pd.DatetimeIndex(mine["month"]).month).pivot_table(
        index="m", columns="category", values="amount", aggfunc="sum", fill_value=0.0)
    months = months.reindex(index=range(1, 13), columns=list(CATEGORIES), fill_value=0.0)
    months.index.name = "month"
    m = methods[methods["region_id"] == region]
    comp = m.pivot_table(index="category", columns="method", values="amount", aggfunc="sum")
    comp = comp.reindex([c for c in CATEGORIES if c in comp.index])
    chosen = m[m["chosen"]].drop_duplicates("category").set_index("category")["method"]
    comp.insert(0, "chosen", chosen.reindex(comp.index))
    comp = comp.reset_index()
    kids = list(tree.children(region))
    ch = info.reindex([k for k in kids if k in info.index])
    children = ch.reset_index()[["region_id", "target_revenue", "budget", "expense_ratio", "profit_at_target",
                                 "profit_target", "flag"]] if len(ch) else pd.DataFrame()
    if len(children):
        children.insert(1, "name", children["region_id"].map(tree.name))
    term = mine[mine["terminal_id"].notna()]
    if len(term):
        terms = term.groupby(["terminal_id", "item"], as_index=False)["amount"].sum().pivot_table(
            index="terminal_id", columns="item", values="amount", fill_value=0.0)
        terms["合计"] = terms.sum(axis=1)
        terms = terms.sort_values("合计", ascending=False).reset_index()
        if names:
            terms.insert(1, "name", terms["terminal_id"].map(dict(names)))
    else:
        terms = pd.DataFrame()
    return RegionBudget(region, summary, by_category, by_item, months.reset_index(), comp, children, terms)


# ---------------------------------------------------------------------------------------
# tuning one region's budget (the notebook's panel)
# ---------------------------------------------------------------------------------------
def tune_budget(summary: pd.Series, methods: pd.DataFrame, *, choices: dict | None = None,
                ratios: dict | None = None, cap_ratio: float | None = None, fixed_categories=("labour", "office"),
                price_change: float = 0.0, volume_change: float = 0.0) -> tuple[pd.DataFrame, dict]:
    """
    Re-price one region's budget with tuned methods, ratios and cap, and its CVP under a price/volume change.

    Parameters
    ----------
    summary : Series
        The region's row of :attr:`PlanBudget.regions` (target_volume, target_revenue,
        ly_revenue, ly_variable_cost, ly_volume, profit_target, reachable_volume, …).
    methods : DataFrame
        The region's rows of :attr:`PlanBudget.methods` (category, method, amount, chosen).
    choices : dict, optional
        Category -> method (default: the chosen ones).
    ratios : dict, optional
        Category -> a set expense ratio: that category becomes ratio × target revenue.
    cap_ratio : float, optional
        Cap as a fraction of the target revenue; the budget is scaled down to it exactly.
    fixed_categories : sequence
        Categories that are fixed cost in the CVP.
    price_change, volume_change : float
        Sensitivity: P × (1 + price_change), V × (1 + volume_change); the budget's
        variable categories move with revenue, fixed ones stay.

    Returns
    -------
    (DataFrame, dict)
        category, method, amount (after the cap) per category; and budget, cap, capped,
        expense_ratio, fixed_cost, unit_variable_cost, price, volume, bep_units,
        margin_of_safety, profit, profit_target, flag.

    Raises
    ------
    BudgetError
        The tuned price does not exceed the unit variable cost (no break-even).

    Notes
    -----
    profit = V'(P' − VC) − B_var' − B_fixed with V' = V(1+dv), P' = P(1+dp),
    B_var' = B_var (1+dp)(1+dv); BEP = B_fixed / (P' − VC − B_var'/V').
    """
    m = methods.copy()
    chosen = dict(zip(m.loc[m["chosen"], "category"], m.loc[m["chosen"], "method"]))
    chosen.update(choices or {})
    R = float(summary["target_revenue"])
    V = float(summary["target_volume"])
    rows = []
    for cat in CATEGORIES:
        method = chosen.get(cat, "percent_of_sales")
        if ratios and cat in ratios:
            amount, method = float(ratios[cat]) * R, "percent_of_sales"
        else:
            hit = m[(m["category"] == cat) & (m["method"] == method)]
            if hit.empty:
                hit = m[(m["category"] == cat) & m["chosen"]]
            amount = float(hit["amount"].sum())
        rows.append((cat, method, round(amount, 2)))
    table = pd.DataFrame(rows, columns=["category", "method", "amount"])
    total = float(table["amount"].sum())
    cap = math.floor(cap_ratio * R * 100) / 100 if cap_ratio is not None else None
    capped = cap is not None and total > cap + 1e-9
    if capped:
        table["amount"] = bm.apply_cap(table.set_index("category")["amount"], cap, unit=_CENT).to_numpy()
    B = float(table["amount"].sum())
    fixed = float(table.loc[table["category"].isin(list(fixed_categories)), "amount"].sum())
    var_b = B - fixed
    if "unit_product_cost" in summary.index and pd.notna(summary["unit_product_cost"]):
        vc = float(summary["unit_product_cost"])
    else:
        vc = float(summary["ly_variable_cost"]) / float(summary["ly_volume"]) if summary["ly_volume"] > 0 else 0.0
    P = R / V if V > 0 else 0.0
    P2, V2 = P * (1 + price_change), V * (1 + volume_change)
    var_b2 = var_b * (1 + price_change) * (1 + volume_change)
    uvc = vc + (var_b2 / V2 if V2 > 0 else 0.0)
    if V2 > 0 and P2 <= uvc:
        raise BudgetError(f"price {P2:,.2f} does not exceed the unit variable cost {uvc:,.2f} "
                          f"(product {vc:,.2f} + variable expenses {uvc - vc:,.2f} per unit): no break-even volume")
    c = bm.cvp(V2, P2, uvc, fixed) if V2 > 0 else {"bep_units": float("nan"), "margin_of_safety": float("nan"),
                                                 "profit": -fixed}
    sales_ok = V2 <= float(summary.get("reachable_volume", np.inf))
    profit_ok = c["profit"] >= float(summary["profit_target"])
    flag = {(True, True): "both met", (True, False): "sales met, profit missed",
            (False, True): "sales missed, profit met", (False, False): "both missed"}[(sales_ok, profit_ok)]
    return table, {"budget": B, "cap": cap, "capped": capped, "expense_ratio": B / R if R > 0 else float("nan"),
                   "fixed_cost": fixed, "unit_variable_cost": uvc, "price": P2, "volume": V2,
                   "bep_units": c["bep_units"], "margin_of_safety": c["margin_of_safety"], "profit": c["profit"],
                   "profit_target": float(summary["profit_target"]), "flag": flag}


def _num(x, fmt: str = "{:,.0f}") -> str:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "—"
    return fmt.format(x) if math.isfinite(x) else "—"


def has_cvp(rb: RegionBudget) -> bool:
    """Whether a region has a CVP to show: it is planned, has a positive target and a break-even."""
    s = rb.summary
    return bool(len(s)) and isinstance(s.get("flag"), str) and s.get("flag") != "no break-even" \
        and _num(s.get("bep_units")) != "—"


def key_figures(summary: pd.Series) -> list[tuple[str, str]]:
    """Headline figures of a region's budget: total, expense ratio, profit against target, BEP, the dual check."""
    if summary is None or not len(summary):
        return [("费用预算 budget", "—")]
    flag = FLAG_NAMES.get(summary.get("flag"), "—")
    return [
        ("费用预算 budget", _num(summary.get("budget"))),
        ("费用率 expense ratio", _num(summary.get("expense_ratio"), "{:.1%}")),
        ("目标下利润 profit at target", _num(summary.get("profit_at_target"))),
        ("利润目标 profit target", _num(summary.get("profit_target"))),
        ("保本销量 break-even volume", _num(summary.get("bep_units"))),
        ("双重检查 dual check", flag),
    ]


#: The dual check's flags in the reports' words.
FLAG_NAMES = {"both met": "双达成 both met", "sales met, profit missed": "销量达成、利润未达 sales met, profit missed",
              "sales missed, profit met": "销量未达、利润达成", "both missed": "双未达 both missed",
              "no break-even": "无保本点 no break-even (P ≤ VC)"}


def dual_reading(summary: pd.Series, threshold: float) -> str:
    """One sentence of the dual check: can the sales target be reached, and does the profit hold at it."""
    if summary is None or not len(summary):
        return "该区域不在方案的预算层级内 — this region is not planned (outside scope.levels): no budget of its own."
    if not isinstance(summary.get("flag"), str):
        return "该区域的目标为零，没有本量利可算 — the region's target is zero: no CVP to compute."
    if summary["flag"] == "no break-even":
        return (f"单价 {_num(summary.get('cvp_price'), '{:,.2f}')} 不高于单位变动成本 "
                f"{_num(summary.get('cvp_unit_variable_cost'), '{:,.2f}')}（产品成本 + 单位变动费用）：没有保本点，"
                "须压缩渠道/推广费用或提高价格 — no break-even: the price does not cover the variable cost per unit.")
    gap = summary["profit_at_target"] - summary["profit_target"]
    ratio = summary["expense_ratio"]
    over = "高于" if ratio > threshold else "不高于"
    base = (f"按预算 {summary['budget']:,.0f}（费用率 {ratio:.1%}，{over}阈值 {threshold:.0%}），目标销量下利润 "
            f"{summary['profit_at_target']:,.0f}，比利润目标 {'多' if gap >= 0 else '少'} {abs(gap):,.0f}；")
    if summary["flag"] == "sales met, profit missed":
        return base + (f"销量目标可达但利润目标不可达：预算最多 {summary['budget_limit']:,.0f} 才能守住利润，"
                       "须压缩可控费用或提高价格。")
    return base + f"结论：{FLAG_NAMES.get(summary['flag'], summary['flag'])}。"


def cvp_view(summary: pd.Series) -> pd.DataFrame:
    """A region's CVP at the target as a two-column table (measure, value) for its report."""
    rows = [
        ("目标销量 target volume", summary["target_volume"]),
        ("单价 P", summary["cvp_price"]),
        ("单位变动成本 VC（产品 + 变动费用）", summary["cvp_unit_variable_cost"]),
        ("单位边际贡献 P − VC", summary["cvp_unit_contribution"]),
        ("固定费用 FC", summary["cvp_fixed_cost"]),
        ("保本销量 BEP = FC / (P − VC)", summary["bep_units"]),
        ("保本销售额 BEP revenue", summary["bep_revenue"]),
        ("安全边际 margin of safety", summary["margin_of_safety"]),
        ("目标下利润 profit at target", summary["cvp_profit"]),
        ("利润目标所需销量 volume for the profit target", summary["cvp_required_volume"]),
    ]
    return pd.DataFrame({"measure": [r[0] for r in rows],
                         "value": [f"{v:.1%}" if "安全边际" in r[0] else f"{v:,.2f}" if "P" in r[0] and "BEP" not in r[0]
                                   else f"{v:,.0f}" for r, v in zip(rows, [r[1] for r in rows])]})


def children_reading(rb: RegionBudget) -> str:
    """One sentence on the children: how many miss profit at their sales target, and the parent's own items."""
    ch = rb.children
    missed = ch[ch["flag"] == "sales met, profit missed"]
    own = float(rb.summary.get("budget", 0.0)) - float(ch["budget"].sum())
    head = f"本级预算 = 下级之和 {ch['budget'].sum():,.0f} + 本级自有费用 {own:,.0f}。"
    if missed.empty:
        return head + "没有下级出现销量达成而利润未达。"
    names = "、".join(missed["name"].astype(str).tolist()[:6])
    return head + f"{len(missed)} 个下级销量可达而利润不可达：{names}。"


def region_budget_params(plan, tree) -> tuple[dict, list[str]]:
    """
    Each region override file's own budget section, for :func:`plan_budget`'s ``region_params``.

    Parameters
    ----------
    plan : PlanParams
        The plan resolved without a region (``load_plan(path)``).
    tree : RegionTree

    Returns
    -------
    (dict, list of str)
        Region id -> its :class:`planlib.params.Budget` (only those that differ from the
        plan's), and one line per override file that could not be read (that region then
        takes the plan's budget params; its own notebooks report the file's error).
    """

    folder = plan.region_overrides
    out: dict = {}
    problems: list[str] = []
    if folder is None or not Path(folder).is_dir():
        return out, problems
    for file in sorted(Path(folder).glob("*.yaml")):
        if file.stem not in tree:
            continue
        try:
            p = params.load_plan(plan.source_files[0], region=file.stem, scenario=plan.scenario, tree=tree)
        except PlanlibError as exc:
            problems.append(f"{file.name}: {str(exc).splitlines()[0]}")
            continue
        if p.budget != plan.budget:
            out[file.stem] = p.budget
    return out, problems


def methods_long(rb: RegionBudget) -> pd.DataFrame:
    """A region's methods table in long form (category, method, amount, chosen) for :func:`tune_budget`."""
    m = rb.methods
    if m.empty:
        return pd.DataFrame(columns=["category", "method", "amount", "chosen"])
    long = m.melt(id_vars=["category", "chosen"], var_name="method", value_name="amount").dropna(subset=["amount"])
    long["chosen"] = long["method"] == long["chosen"]
    return long[["category", "method", "amount", "chosen"]].reset_index(drop=True)


def sensitivity_view(rb: RegionBudget, *, fixed_categories=("labour", "office"), price_change: float = -0.05,
                     volume_change: float = -0.10) -> pd.DataFrame:
    """
    Profit at the target and under a price and a volume change, priced as the tuning panel prices it.

    Returns
    -------
    DataFrame
        scenario, price_change, volume_change, volume, price, budget, profit, profit_change,
        bep_units — base, price, volume, both (:func:`tune_budget` with each change; the
        variable expenses move with revenue, the fixed ones stay).
    """
    long = methods_long(rb)
    rows = []
    for name, dp, dv in (("base", 0.0, 0.0), ("price", price_change, 0.0), ("volume", 0.0, volume_change),
                         ("price_and_volume", price_change, volume_change)):
        _, r = tune_budget(rb.summary, long, fixed_categories=fixed_categories, price_change=dp, volume_change=dv)
        rows.append((name, dp, dv, r["volume"], r["price"], r["budget"], r["profit"], r["bep_units"]))
    out = pd.DataFrame(rows, columns=["scenario", "price_change", "volume_change", "volume", "price", "budget", "profit",
                                      "bep_units"])
    out.insert(7, "profit_change", out["profit"] - out["profit"].iloc[0])
    return out


