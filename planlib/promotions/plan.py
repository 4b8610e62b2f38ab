"""
The plan's schemes: where each runs, what it costs region by region, how it falls on the months
and what it is expected to lift — once for the whole plan, for the budget, the targets and
tracking (issue #17; docs/promotions.md).

Public names
------------
scheme_regions  scheme -> the regions (every node) where it runs, from the plan's ``promotions``
                key and the region files' own
region_promotions  the region files that change ``promotions``: region id -> its resolved map
load_plan_schemes  the rule tables a plan names, from promotions/ beside the plan, in its year
region_scheme_view the report's table: per scheme running in a region, uptake, cost, range, lift, break-even
scheme_reading     the report's sentence on that table
rules_table        each scheme's rules in words
tier_shapes        members per tier of the tiered schemes (the tier-shape figure's data)
plan_schemes    every scheme costed once on the terminals of the regions where it runs
PlanSchemes     what plan_schemes returns
PLAN_SCHEME_COLUMNS  the columns of results/promotions.parquet
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planlib import params
from planlib.budget.response import KIND_ITEMS
from planlib.errors import ParamsError, PlanlibError
from planlib.hierarchy import RegionTree
from planlib.params.model import promotions_folder
from planlib.promotions.costing import SchemeCost, cost_range, cost_scheme, month_profile
from planlib.promotions.economics import break_even_lift, scheme_economics
from planlib.promotions.tiers import assign_tiers, tier_shape, tier_table
from planlib.promotions.wording import describe_scheme
from planlib.promotions.rules import Scheme, load_scheme

__all__ = ["PLAN_SCHEME_COLUMNS", "PlanSchemes", "scheme_regions", "region_promotions", "load_plan_schemes",
           "plan_schemes", "region_scheme_view", "scheme_reading", "rules_table", "tier_shapes"]

#: results/promotions.parquet: one row per scheme and region its terminals are booked to.
PLAN_SCHEME_COLUMNS = ("scheme", "name", "kind", "category", "item", "region_id", "units", "eligible", "rewarded",
                       "quantity", "cost", "penalty", "net_cost", "expected_lift", "expected_return", "start", "end")


@dataclass(frozen=True, eq=False)
class PlanSchemes:
    """
    The plan's schemes costed.

    Attributes
    ----------
    costs : DataFrame
        :data:`PLAN_SCHEME_COLUMNS`: per scheme and region its terminals are booked to
        (a county or a township), the units, eligible and rewarded terminals, the reward
        quantity, cost, penalties and net cost, and its share of the scheme's expected
        revenue lift and contribution (in proportion to the net cost).
    months : DataFrame
        ``scheme, month`` (1-12), ``share``: how each scheme's cost and lift fall on the
        months (:func:`planlib.promotions.month_profile`, each scheme's summing to 1).
    economics : DataFrame
        One row per scheme (:func:`planlib.promotions.scheme_economics`) with ``scheme``
        the stem and ``name`` the rule table's name.
    results : mapping
        Stem -> its :class:`SchemeCost` on the plan's terminals.
    """

    costs: pd.DataFrame
    months: pd.DataFrame
    economics: pd.DataFrame
    results: Mapping[str, SchemeCost] = field(default_factory=dict)


def scheme_regions(promotions: Mapping[str, Sequence[str]], tree: RegionTree, root: str, *,
                   region_maps: Mapping[str, Mapping[str, Sequence[str]]] | None = None) -> dict[str, set[str]]:
    """
    Where each scheme runs: every region of the plan's scope it applies to.

    Parameters
    ----------
    promotions : mapping
        The plan's ``promotions`` key: scheme -> the regions it is attached to.
    tree : RegionTree
    root : str
        The plan's root; regions outside its subtree are left out.
    region_maps : mapping, optional
        Region id -> the ``promotions`` its own file resolves to (the plan's merged with
        the file's), for the regions whose file changes it.

    Returns
    -------
    dict
        Scheme -> the set of region ids (every node, townships included) where it runs.

    Notes
    -----
    A region x runs scheme s when s is attached, in the map that governs x, to x or to an
    ancestor of x (a region stands for its subtree). The map that governs x is that of
    its nearest ancestor-or-self with a region file that sets ``promotions``, else the
    plan's. Each region is in a scheme's set once, however many of its ancestors list it:
    a terminal's cost is never counted twice.
    """
    region_maps = dict(region_maps or {})
    out: dict[str, set[str]] = {s: set() for m in (promotions, *region_maps.values()) for s in m}
    for x in tree.subtree(root):
        line = (x, *tree.ancestors(x))
        governing = next((region_maps[a] for a in line if a in region_maps), promotions)
        above = set(line)
        for s, regions in governing.items():
            if above.intersection(regions):
                out[s].add(x)
    return out


def region_promotions(plan, tree: RegionTree) -> tuple[dict, list[str]]:
    """
    The region override files that change the plan's ``promotions``: region id -> its resolved map.

    Parameters
    ----------
    plan : PlanParams
        The plan resolved without a region.
    tree : RegionTree

    Returns
    -------
    (dict, list of str)
        Region id -> its ``promotions`` (the plan's merged with its file's), only where it
        differs from the plan's; one line per file that could not be read (that region
        then runs the plan's schemes).
    """
    sections, problems = params.region_sections(plan, tree, "promotions")
    return {region: dict(schemes) for region, schemes in sections.items()}, problems


def load_plan_schemes(plan, stems) -> dict[str, Scheme]:
    """
    The rule tables a plan names: ``promotions/<stem>.yaml`` beside the plan file, read in the plan's year.

    Raises
    ------
    ParamsError
        A rule table's problems (file, line and key), every file's at once.
    """
    folder = promotions_folder(plan.source_files)
    out, messages = {}, []
    for stem in sorted(set(stems)):
        try:
            out[stem] = load_scheme(folder / f"{stem}.yaml", plan_year=int(plan.year))
        except PlanlibError as exc:
            messages.append(str(exc))
    if messages:
        raise ParamsError("\n".join(messages))
    return out


def plan_schemes(schemes: Mapping[str, Scheme], runs_in: Mapping[str, set], units: pd.DataFrame, tree: RegionTree,
                 curves: pd.DataFrame, *, margin_rate: float) -> PlanSchemes:
    """
    Cost every scheme once on the terminals of the regions where it runs.

    Parameters
    ----------
    schemes : mapping
        Stem -> :class:`Scheme` (the rule tables the plan names).
    runs_in : mapping
        Stem -> the regions where it runs (:func:`scheme_regions`).
    units : DataFrame
        Last year's distribution (:func:`planlib.archive.queries.promotions.promotion_units`,
        by terminal, with ``region_id`` and ``month``).
    tree : RegionTree
    curves : DataFrame
        The budget's response curves (:func:`planlib.budget.plan_response`); may be empty.
    margin_rate : float
        Contribution per yuan of revenue.

    Returns
    -------
    PlanSchemes

    Notes
    -----
    A scheme is costed on all its terminals together (its pool is the whole scheme's,
    cut by largest remainder across them), then each terminal's net cost is booked to
    the region of the terminal. The scheme's expected lift L and contribution C
    (:func:`scheme_economics`) are shared out by net cost: L_r = L * n_r / sum(n).
    """
    rows, months, econ, results = [], [], [], {}
    for stem, scheme in schemes.items():
        mine = units[units["region_id"].isin(runs_in.get(stem, set()))]
        result = cost_scheme(scheme, mine, tree=tree)
        results[stem] = result
        e = scheme_economics(result, curves, margin_rate=margin_rate).assign(scheme=stem, name=scheme.name)
        econ.append(e)
        profile = month_profile(scheme, mine, tree=tree)
        months.append(profile.assign(scheme=stem)[["scheme", "month", "share"]])
        u = result.units
        if u.empty:
            continue
        per = u.groupby("region_id", sort=True).agg(
            units=("unit_id", "size"), eligible=("eligible", "sum"), rewarded=("rewarded", "sum"),
            quantity=("quantity", "sum"), cost=("cost", "sum"), penalty=("penalty", "sum"),
            net_cost=("net_cost", "sum")).reset_index()
        net = per["net_cost"].clip(lower=0.0).to_numpy(dtype=float)
        w = net / net.sum() if net.sum() > 0 else np.zeros(len(per))
        category, item = KIND_ITEMS[scheme.kind]
        start, end = scheme.window()
        rows.append(per.assign(scheme=stem, name=scheme.name, kind=scheme.kind, category=category, item=item,
                               expected_lift=float(e["expected_lift"].iloc[0]) * w,
                               expected_return=float(e["expected_contribution"].iloc[0]) * w,
                               start=start, end=end))
    costs = (pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=list(PLAN_SCHEME_COLUMNS)))
    costs = costs[list(PLAN_SCHEME_COLUMNS)]
    for c in ("units", "eligible", "rewarded", "quantity"):
        costs[c] = costs[c].astype(np.int64)
    months_frame = (pd.concat(months, ignore_index=True) if months
                    else pd.DataFrame({"scheme": pd.Series(dtype=object), "month": pd.Series(dtype=np.int64),
                                       "share": pd.Series(dtype=float)}))
    economics = pd.concat(econ, ignore_index=True) if econ else pd.DataFrame()
    return PlanSchemes(costs, months_frame, economics, results)


def region_scheme_view(costs: pd.DataFrame, schemes: Mapping[str, Scheme], units: pd.DataFrame,
                       runs_in: Mapping[str, set], tree: RegionTree, curves: pd.DataFrame, *,
                       margin_rate: float) -> pd.DataFrame:
    """
    Per scheme running in a region (its subtree): uptake, cost and its ±10% range, expected and break-even lift.

    Parameters
    ----------
    costs : DataFrame
        The plan's :attr:`PlanSchemes.costs` rows of the region's subtree.
    schemes : mapping
        Stem -> :class:`Scheme`.
    units : DataFrame
        Last year's distribution of the region's terminals (``promotion_units``).
    runs_in : mapping
        Stem -> the regions where it runs.
    tree : RegionTree
    curves : DataFrame
        The budget's response curves (may be empty).
    margin_rate : float
        Contribution per yuan of revenue.

    Returns
    -------
    DataFrame
        ``scheme, name, kind, units, eligible, rewarded, uptake, cost, cost_low, cost_high,
        expected_lift, break_even_lift, pays``.

    Notes
    -----
    units … cost are the plan's (the scheme costed once on all its terminals, summed over
    the region's). cost_low/high = cost × C(∓10%) / C(0), C the scheme costed on the
    region's own terminals with their amounts moved (:func:`cost_range`).
    expected_lift: the region's share of the scheme's lift; break_even_lift = cost / margin_rate.
    """
    cols = ["scheme", "name", "kind", "units", "eligible", "rewarded", "uptake", "cost", "cost_low", "cost_high",
            "expected_lift", "break_even_lift", "pays"]
    rows = []
    for stem, c in costs.groupby("scheme", sort=True):
        scheme = schemes[stem]
        cost = float(c["net_cost"].sum())
        mine = units[units["region_id"].isin(runs_in.get(stem, set()))]
        rng = cost_range(scheme, mine, tree=tree) if len(mine) else None
        base = float(rng.loc[rng["change"] == 0.0, "net_cost"].iloc[0]) if rng is not None else 0.0
        low = float(rng["net_cost"].iloc[0]) / base * cost if base > 0 else cost
        high = float(rng["net_cost"].iloc[-1]) / base * cost if base > 0 else cost
        eligible, rewarded = int(c["eligible"].sum()), int(c["rewarded"].sum())
        lift = float(c["expected_lift"].sum())
        need = break_even_lift(cost, margin_rate) if margin_rate > 0 else np.nan
        rows.append((stem, scheme.name, scheme.kind, int(c["units"].sum()), eligible, rewarded,
                     rewarded / eligible if eligible else 0.0, round(cost, 2), round(low, 2), round(high, 2),
                     round(lift, 2), round(need, 2), bool(lift * margin_rate >= cost - 1e-9)))
    return pd.DataFrame(rows, columns=cols)


def scheme_reading(view: pd.DataFrame) -> str:
    """One sentence on a region's schemes: how many, what they cost, and which pay back by the expected lift."""
    pays = view.loc[view["pays"], "name"].tolist()
    short = view.loc[~view["pays"], "name"].tolist()
    text = (f"本区域运行 {len(view)} 个促销方案，预计费用合计 {view['cost'].sum():,.0f} 元，"
            f"预计拉动销售额 {view['expected_lift'].sum():,.0f} 元。")
    if pays:
        text += f"按往期同类活动的回报，{'、'.join(pays)} 能收回费用"
    if short:
        text += ("；" if pays else "按往期同类活动的回报，") + f"{'、'.join(short)} 收不回费用，须另有理由（如新品铺货、对抗竞品）"
    return text + "。"


def rules_table(schemes: Mapping[str, Scheme]) -> pd.DataFrame:
    """
    ``name, rules``: each scheme's rules in words (:func:`describe_scheme`), one line each.

    A scheme is shown by its rule table's ``name`` (中秋订货陈列补贴), not by its file's stem
    (``demo_order_reward``): the table is for readers. Rows in the stems' order.
    """
    return pd.DataFrame([(s.name, "\n".join(describe_scheme(s))) for _, s in sorted(schemes.items())],
                        columns=["name", "rules"])


def tier_shapes(schemes: Mapping[str, Scheme], units: pd.DataFrame) -> pd.DataFrame:
    """
    Members per tier of each tiered scheme on the units' measure (:func:`tier_shape`): ``scheme, name`` and its rows.

    Empty when no scheme has a tiered rule. A unit's measure is its year's sum of the rule's measure.
    """
    out = []
    for stem, s in sorted(schemes.items()):
        rule = next((r for r in s.rules if r.method == "tiered"), None)
        if rule is None or rule.measure not in units.columns:
            continue
        table = tier_table(s, rule.name)
        spend = units.groupby("unit_id", as_index=False)[rule.measure].sum().rename(columns={rule.measure: "amount"})
        shape = tier_shape(assign_tiers(spend, table), table)
        out.append(shape.assign(scheme=stem, name=s.name))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()
