"""
The budgeting methods and the one dispatch the plan's pricing goes through.

DOMAIN.md §6 (Art. 1 §5). Each method prices one expense category of a group of planning
units at once (arrays, one entry per unit); :data:`BUDGET_METHODS` maps the field's names
(the params' ``budget.methods``) to them, and :func:`price_category` runs every method that
applies, for the side-by-side comparison, and the chosen one, which must apply.

Public names
------------
percent_of_sales    budget = revenue target x ratio
benchmark           budget = the main competitor's spend / its revenue x revenue target
zero_based          every activity from zero: ranked by return per cost, those that pay funded within the cap
marginal_headcount  salespeople added while each one's contribution exceeds their cost
objective_task      channel fees built terminal by terminal (:mod:`planlib.budget.channel`, re-exported)
CategoryInputs      what the methods price one category of a group of units from
BUDGET_METHODS      the methods by the field's names: category inputs -> amount per unit
price_category      every applicable method's amounts; BudgetError if the chosen one does not apply
book_items          a category's amount per unit booked to its items (the chosen method's rows)

Used by the plan's pricing
--------------------------
input_output_case   a category's input-output spend per unit and kind, and why each kind stopped
method_basis        per unit, the sentence that says how a method arrived at its amount
terminal_lines, channel_rates, channel_fees
                    the objective task's inputs (:mod:`planlib.budget.channel`, re-exported here)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from planlib.budget.caps import CENT, split_cents, to_cents
from planlib.budget.channel import (  # re-exported: the plan's pricing and bench_budget import them here
    channel_fees as channel_fees,
    channel_rates as channel_rates,
    objective_task,
    terminal_lines as terminal_lines,
)
from planlib.budget.inputs import SLACK, number
from planlib.budget.response import KIND_ITEMS, input_output_spend
from planlib.errors import BudgetError, DataError, ParamsError
from planlib.schemas import ITEM_CATALOGUE

__all__ = [
    "percent_of_sales",
    "benchmark",
    "zero_based",
    "marginal_headcount",
    "objective_task",
    "CategoryInputs",
    "BUDGET_METHODS",
    "price_category",
    "book_items",
]


def percent_of_sales(revenue_target, ratio) -> np.ndarray:
    """
    A budget as a percentage of the revenue target.

    Parameters
    ----------
    revenue_target : float or array
        The target revenue of each unit.
    ratio : float or array
        Expense ratio as a fraction (0.06 for 6%), set or from history, per unit.

    Returns
    -------
    ndarray
        The budget of each unit.

    Notes
    -----
    budget = ratio x revenue_target.
    """
    return np.asarray(ratio, dtype=float) * np.asarray(revenue_target, dtype=float)


def benchmark(revenue_target, competitor_spend, competitor_revenue) -> np.ndarray:
    """
    A budget based on the main competitor's sales expense: the same spend per yuan of sales.

    Parameters
    ----------
    revenue_target : float or array
        The target revenue of each unit.
    competitor_spend : float or array
        The main competitor's spend on the category last year, where it is recorded.
    competitor_revenue : float or array
        The main competitor's revenue last year over the same regions (positive).

    Returns
    -------
    ndarray
        The budget of each unit.

    Raises
    ------
    ParamsError
        If a spend is negative or not finite, or a revenue is not positive: without the
        competitor's spend the method does not apply (there is no set ratio to fall back on).

    Notes
    -----
    budget = competitor_spend / competitor_revenue x revenue_target (the seed's 标杆法:
    the main competitor's sales expense is the base, scaled to this unit's sales).
    """
    spend = np.asarray(competitor_spend, dtype=float)
    rev = np.asarray(competitor_revenue, dtype=float)
    if not np.isfinite(spend).all() or (spend < 0).any():
        raise ParamsError("benchmark: the competitor's spend must be a finite number >= 0 for every unit")
    if not np.isfinite(rev).all() or (rev <= 0).any():
        raise ParamsError("benchmark: the competitor's revenue must be a positive number for every unit")
    return percent_of_sales(revenue_target, spend / rev)


def zero_based(activities: pd.DataFrame, cap=None) -> pd.DataFrame:
    """
    Zero-based budget: activities ranked by expected return per cost, funded down to the cap.

    Parameters
    ----------
    activities : DataFrame
        One row per activity: ``activity`` (unique name), ``cost`` (positive) and
        ``expected_return`` (the contribution it is expected to bring).
    cap : float, optional
        The money available (non-negative); without it the activities are only ranked
        (the plan cuts one ranked list at every unit's own cap).

    Returns
    -------
    DataFrame
        ``rank`` (1 = best), ``activity``, ``cost``, ``expected_return``,
        ``return_per_cost``, ``cumulative_cost`` and ``funded`` (bool); best first, on a
        fresh 0..n-1 index.

    Raises
    ------
    DataError
        If a column is missing.
    ParamsError
        If an activity is named twice, a cost is not positive, a return is not finite,
        or the cap is negative.

    Notes
    -----
    return_per_cost_i = expected_return_i / cost_i; activities are sorted by it,
    descending (ties: larger expected return, then activity name).
    Every activity starts from zero and is funded only when it returns more than it
    costs (return_per_cost > 1): cumulative_cost_k = sum of cost over ranks 1..k, and an
    activity is funded iff return_per_cost_k > 1 and cumulative_cost_k <= cap (no cap:
    unlimited). Each activity is funded whole or not at all, and funding stops at the
    first that does not pay or does not fit (a cut-off line: a cheaper, lower-ranked
    activity is never funded ahead of a better one), so part of the cap may stay unspent.
    """
    missing = [c for c in ("activity", "cost", "expected_return") if c not in activities.columns]
    if missing:
        raise DataError(f"activities need columns activity, cost, expected_return; missing {', '.join(missing)}")
    c = None if cap is None else number(cap, "cap", minimum=0.0)
    names = activities["activity"].to_numpy(dtype=object)
    dup = pd.Index(names)[pd.Index(names).duplicated()].unique()
    if len(dup):
        raise ParamsError(f"activities named more than once: {', '.join(map(str, dup))}")
    try:
        cost = activities["cost"].to_numpy(dtype=float, na_value=np.nan)
        ret = activities["expected_return"].to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise ParamsError("activity cost and expected_return must be numbers") from None
    bad = ~np.isfinite(cost) | (cost <= 0)
    if bad.any():
        raise ParamsError(f"activity cost must be a positive number; not so for {', '.join(map(str, names[bad]))}")
    bad = ~np.isfinite(ret)
    if bad.any():
        raise ParamsError(f"expected_return must be a finite number; not so for {', '.join(map(str, names[bad]))}")
    out = pd.DataFrame({"activity": names, "cost": cost, "expected_return": ret})
    out["return_per_cost"] = ret / cost
    out["_name"] = out["activity"].astype(str)
    out = out.sort_values(
        ["return_per_cost", "expected_return", "_name"], ascending=[False, False, True], kind="mergesort"
    ).drop(columns="_name").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1, dtype=np.int64))
    out["cumulative_cost"] = out["cost"].cumsum()
    out["funded"] = np.arange(len(out)) < _funded(out, np.array([np.inf if c is None else c]))[0]
    return out


def _funded(ranked: pd.DataFrame, caps: np.ndarray) -> np.ndarray:
    """
    How many of the ranked activities each cap funds: the prefix that pays (return per cost
    above 1) and whose cumulative cost is within the cap (float slack).
    """
    caps = np.asarray(caps, dtype=float)
    paying = int((ranked["return_per_cost"].to_numpy(dtype=float) > 1.0).sum())  # a prefix: sorted descending
    room = np.where(np.isfinite(caps), caps + SLACK * np.maximum(1.0, np.where(np.isfinite(caps), caps, 1.0)), np.inf)
    fits = np.searchsorted(ranked["cumulative_cost"].to_numpy(dtype=float), room, side="right")
    return np.minimum(fits, paying)

def marginal_headcount(first_contribution, cost_per_head: float, decay: float) -> np.ndarray:
    """
    Salespeople to add per unit: each must bring more contribution than they cost.

    Parameters
    ----------
    first_contribution : array
        Per unit, the expected extra contribution of the first extra salesperson; the
        k-th after them brings ``first_contribution x decay^k`` (diminishing returns).
    cost_per_head : float
        The full yearly cost of one salesperson.
    decay : float
        The contribution's fall from one salesperson to the next, in [0, 1).

    Returns
    -------
    ndarray of int64
        The number of salespeople to add per unit.

    Notes
    -----
    n = the number of k >= 0 with first x decay^k > cost: people are added while the
    marginal contribution exceeds the marginal cost (one who only breaks even is not
    added). Closed form: 0 when first <= cost, else ceil(ln(cost / first) / ln(decay))
    (1 when decay is 0).
    """
    first = np.asarray(first_contribution, dtype=float)
    cost = float(cost_per_head)
    n = np.zeros(len(first), dtype=np.int64)
    over = first > cost
    if decay <= 0:
        n[over] = 1
        return n
    k = np.log(cost / first[over]) / np.log(decay)
    n[over] = np.ceil(k - 1e-12).astype(np.int64)
    # a contribution exactly at the cost is not added
    exact = np.isclose(first[over] * decay ** (n[over] - 1), cost, rtol=1e-12)
    n[over] -= exact.astype(np.int64)
    return np.maximum(n, 0)


# -- the dispatch ----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class CategoryInputs:
    """
    What the methods price one category of a group of planning units (sharing params) from.

    Attributes
    ----------
    category : str
    members : list of str
        The planning units, in the order of every array below.
    params : planlib.params.Budget
        The group's budget params (methods, ratios, activities, headcount, channel).
    revenue_target : ndarray
        Each unit's target revenue.
    ratio : ndarray
        The percent-of-sales ratio: ``budget.ratios[category]`` where set, else the unit's
        last-year expense ratio (the plan's where the unit sold nothing).
    competitor : DataFrame or None
        :func:`planlib.budget.competitors.competitor_spend` rows (``unit, category, brand, spend,
        revenue, ratio, source``): each unit's main competitor's spend, for ``benchmark``.
    last_year : ndarray
        Each unit's spend on the category last year.
    last_items : DataFrame
        ``unit, item, amount``: the members' spend on the category's items last year.
    first_contribution : ndarray
        What the first extra salesperson would win per unit (headroom capture x headroom x
        unit margin), for ``marginal``.
    channel_fees : DataFrame or None
        For channel: :func:`planlib.budget.channel.channel_fees` of the members (terminal rows and rebates).
    response : DataFrame
        The plan's response curves (:func:`planlib.budget.response.response_curves`).
    activity_counts : DataFrame or None
        Units × activity kinds: the activities each unit runs (last year's; a higher
        region's shared out by revenue), for ``input_output``.
    margin_rate : float
        The contribution of a yuan of revenue (1 − variable cost / revenue, last year).
    room : ndarray or None
        Each unit's cap (inf where none): ``input_output`` never spends past it.
    io_limits : Series or None
        Activity kind -> the most one activity may spend (``budget.io_limit`` × the
        largest observed).
    activities : tuple or None
        The units' zero-based list (their own, else their level's, else the plan's);
        None: ``params.activities``.
    has_history : bool
        Whether the archive has last year's expenses (else percent_of_sales needs a set ratio).
    own_ratio : ndarray or None
        Per unit, whether ``ratio`` (where not set) is the unit's own last-year ratio; False: the
        unit had no revenue last year and takes the plan's. None: every unit its own.
    """

    category: str
    members: list
    params: object
    revenue_target: np.ndarray
    ratio: np.ndarray
    competitor: pd.DataFrame | None
    last_year: np.ndarray
    last_items: pd.DataFrame
    first_contribution: np.ndarray
    channel_fees: pd.DataFrame | None
    response: pd.DataFrame
    activity_counts: pd.DataFrame | None = None
    margin_rate: float = 0.0
    room: np.ndarray | None = None
    io_limits: pd.Series | None = None
    activities: tuple | None = None
    has_history: bool = True
    own_ratio: np.ndarray | None = None


def _activities(case: CategoryInputs) -> list:
    own = case.params.activities if case.activities is None else case.activities
    return [a for a in own if a.category == case.category]


def _ranked(case: CategoryInputs) -> pd.DataFrame:
    """The category's activities ranked by :func:`zero_based`."""
    return zero_based(pd.DataFrame([{"activity": a.name, "cost": a.cost, "expected_return": a.expected_return}
                                    for a in _activities(case)]))


def _by_percent_of_sales(case: CategoryInputs) -> np.ndarray | None:
    # without any expense history a ratio must be set
    if not case.has_history and case.category not in case.params.ratios:
        return None
    return percent_of_sales(case.revenue_target, case.ratio)


def _by_benchmark(case: CategoryInputs) -> np.ndarray | None:
    # the main competitor's spend ratio on the category, per unit (its own record or its nearest ancestor's)
    if case.competitor is None:
        return None
    mine = case.competitor[case.competitor["category"] == case.category].set_index("unit")
    if mine.empty or not set(case.members) <= set(mine.index):
        return None
    mine = mine.reindex(case.members)
    return benchmark(case.revenue_target, mine["spend"].to_numpy(dtype=float), mine["revenue"].to_numpy(dtype=float))


def _by_zero_based(case: CategoryInputs) -> np.ndarray | None:
    # each unit's funded cost: its own list from zero, the activities that pay, within the unit's cap
    if not _activities(case):
        return None
    ranked = _ranked(case)
    cum = np.concatenate([[0.0], ranked["cumulative_cost"].to_numpy(dtype=float)])
    room = np.full(len(case.members), np.inf) if case.room is None else np.asarray(case.room, dtype=float)
    return cum[_funded(ranked, room)]


def _by_objective_task(case: CategoryInputs) -> np.ndarray | None:
    if case.channel_fees is None:
        return None
    return case.channel_fees.groupby("region_id")["amount"].sum().reindex(case.members).fillna(0.0).to_numpy()


def _by_marginal(case: CategoryInputs) -> np.ndarray | None:
    # last year's labour plus the salespeople worth adding
    if case.category != "labour":
        return None
    hc = case.params.headcount
    heads = marginal_headcount(case.first_contribution, hc.cost_per_head, hc.decay)
    return case.last_year + heads * hc.cost_per_head


def input_output_case(case: CategoryInputs) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """
    :func:`input_output_spend` of a category's units: spend per unit and activity kind, and
    the per-kind detail (per-activity spend, marginal return, why it stopped); None when the
    category has no fitted kind (only media and promotion are bought by activities).
    """
    if case.category not in ("media", "promotion") or not len(case.response) or case.activity_counts is None:
        return None
    kinds = [k for k in case.response["kind"] if KIND_ITEMS.get(k, (None,))[0] == case.category]
    if not kinds:
        return None
    curves = case.response[case.response["kind"].isin(kinds)]
    counts = case.activity_counts.reindex(index=case.members, columns=kinds).fillna(0.0)
    return input_output_spend(curves, case.margin_rate, counts, per_activity_limit=case.io_limits, room=case.room)


def _by_input_output(case: CategoryInputs) -> np.ndarray | None:
    # each activity kind funded while a yuan returns a yuan of contribution, within the unit's cap
    io = input_output_case(case)
    return None if io is None else io[0].sum(axis=1).to_numpy()


BUDGET_METHODS: Mapping[str, Callable[[CategoryInputs], np.ndarray | None]] = MappingProxyType({
    "percent_of_sales": _by_percent_of_sales,
    "benchmark": _by_benchmark,
    "zero_based": _by_zero_based,
    "objective_task": _by_objective_task,
    "marginal": _by_marginal,
    "input_output": _by_input_output,
})
"""The budgeting methods by the names the field (and ``budget.methods``) use: each takes a
:class:`CategoryInputs` and returns the amount per unit, or None where it does not apply."""

_DOES_NOT_APPLY = {
    "percent_of_sales": "percent_of_sales needs last year's expenses in the archive or budget.ratios.{category}",
    "benchmark": "benchmark needs the main competitor's {category} spend in the archive (activities of another "
                 "brand whose kind is booked to {category}); the archive records none in the plan's scope",
    "zero_based": "zero_based needs budget.activities (or budget.level_activities) of category {category}",
    "objective_task": "objective_task does not apply to {category} (objective_task is for channel)",
    "marginal": "marginal does not apply to {category} (marginal is for labour)",
    "input_output": "input_output needs past activities of {category}'s kinds to fit responses",
}


_ACTIVITY_KINDS = {"media": "媒体活动", "promotion": "促销活动", "tasting": "品鉴活动", "display": "陈列活动"}
_STOPS = {"marginal": "再多投一元回报不足一元", "limit": "已到曲线可信范围的上限",
          "does not pay": "第一元的回报就不足一元，不投"}


def method_basis(case: CategoryInputs, method: str, amount: np.ndarray) -> list[str]:
    """
    One sentence per unit saying how ``method`` arrived at its ``amount`` for the category:
    the ratio and where it comes from, the competitor and its spend, the funded activities,
    the activity kinds' spend per activity and why it stopped, the terminals and rebate, the
    salespeople added. The report shows it beside the amount.
    """
    n, cat = len(case.members), case.category
    money = lambda x: f"{x:,.0f}"  # noqa: E731
    if method == "percent_of_sales":
        own = np.ones(n, dtype=bool) if case.own_ratio is None else np.asarray(case.own_ratio, dtype=bool)
        src = (["方案设定"] * n if cat in case.params.ratios else
               ["本区域去年" if o else "全方案去年；本区域去年没有销售额" for o in own.tolist()])
        return [f"费用率 {r:z.2%}（{w}）× 目标销售额 {money(t)}" for r, w, t in zip(case.ratio, src, case.revenue_target)]
    if method == "benchmark":
        rows = case.competitor[case.competitor["category"] == cat].set_index("unit").reindex(case.members)
        named = rows["source_name"] if "source_name" in rows else rows["source"]
        cols = [rows[c].to_numpy(dtype=object) for c in ("source", "brand", "spend", "revenue", "ratio")]
        return [f"主要竞品 {b} 去年在{'本区域' if s == u else f'上级区域 {name}（本区域没有该竞品的记录）'}的费用 "
                f"{money(sp)}，占其销售额 {money(rv)} 的 {ra:z.2%}；同样的费用率 × 我方目标销售额 {money(t)}"
                for u, t, name, s, b, sp, rv, ra in zip(case.members, case.revenue_target, named.to_numpy(dtype=object), *cols)]
    if method == "zero_based":
        ranked = _ranked(case)
        funded = _funded(ranked, np.full(n, np.inf) if case.room is None else case.room)
        paying, acts = int((ranked["return_per_cost"] > 1.0).sum()), ranked["activity"].astype(str).tolist()
        said = {k: f"从零开始：{len(ranked):,} 项活动中 {k:,} 项获资助（{'、'.join(acts[:k]) or '无'}），按回报/成本排序，"
                   f"只资助回报高于成本的活动{'' if k == paying else '；其余回报高于成本的活动超出本区域费用上限'}"
                for k in set(funded.tolist())}
        return [said[k] for k in funded.tolist()]
    if method == "input_output":
        spend, detail = input_output_case(case)
        d, kinds = detail.set_index("kind"), list(spend.columns)
        cnt = case.activity_counts.reindex(index=list(case.members), columns=kinds).fillna(0.0).to_numpy(dtype=float)
        spent = spend.reindex(index=list(case.members), columns=kinds).to_numpy(dtype=float)
        said = [(f"{_ACTIVITY_KINDS.get(k, k)}：每元第一笔回报 {d.loc[k, 'first_return']:.2f} 元毛利，不足 1 元，不投", None)
                if d.loc[k, "stop"] == "does not pay" else
                (f"{_ACTIVITY_KINDS.get(k, k)}：", f" 次 × 每次 {money(d.loc[k, 'spend'])}（{_STOPS[d.loc[k, 'stop']]}） = ")
                for k in kinds]  # each kind's words; a unit's count and spend go between them
        return ["；".join(head if tail is None else f"{head}{cnt[i, j]:.1f}{tail}{money(spent[i, j])}"
                         for j, (head, tail) in enumerate(said)) for i in range(n)]
    if method == "objective_task":  # each unit's rows in order, summed as pandas' Series.sum does (numpy's)
        fees = case.channel_fees
        reb = fees["terminal_id"].isna().to_numpy()
        fee = fees["amount"].to_numpy(float)
        fee = np.where(np.isnan(fee), 0.0, fee)  # as np.nansum: a missing amount counts as 0
        unit = pd.Index(list(case.members)).get_indexer(fees["region_id"])
        # each unit's terminal rows, then its rebate rows, each in their order: one slice apiece
        group = np.where(unit >= 0, unit * 2 + reb, -1)
        order = np.argsort(group, kind="stable")
        bounds = np.searchsorted(group[order], np.arange(2 * n + 1))
        fee = fee[order]
        sums = [fee[bounds[g] : bounds[g + 1]].sum() for g in range(2 * n)]
        tid, _ = pd.factorize(fees["terminal_id"])
        on = (unit >= 0) & ~reb
        pairs = np.unique(unit[on].astype(np.int64) * (int(tid.max()) + 1 if len(tid) else 1) + tid[on])
        terminals = np.bincount(pairs // (int(tid.max()) + 1 if len(tid) else 1), minlength=n)
        return [f"A/B 终端 {terminals[i]} 家逐家计费 {money(sums[2 * i])} + 年终返利 {money(sums[2 * i + 1])}"
                for i in range(n)]
    if method == "marginal":
        hc = case.params.headcount
        heads = marginal_headcount(case.first_contribution, hc.cost_per_head, hc.decay)
        return [f"去年人力费用 {money(ly)} + 新增 {h} 人 × {money(hc.cost_per_head)}（每人带来的毛利高于其成本）"
                for ly, h in zip(case.last_year, heads)]
    return [""] * n


def price_category(case: CategoryInputs, chosen: str) -> dict[str, np.ndarray]:
    """
    Every applicable method's amounts for one category of a group of units.

    Parameters
    ----------
    case : CategoryInputs
    chosen : str
        The category's method in ``budget.methods``.

    Returns
    -------
    dict
        Method name -> amount per unit (float array), for each method of
        :data:`BUDGET_METHODS` that applies; the chosen one among them.

    Raises
    ------
    BudgetError
        If the chosen method is unknown (the valid ones are listed) or does not apply to
        the category (``objective_task`` is for channel, ``marginal`` for labour,
        ``benchmark`` needs a competitor or set ratio, ``zero_based`` activities,
        ``input_output`` fitted responses).
    """
    if chosen not in BUDGET_METHODS:
        raise BudgetError(f"budget.methods.{case.category}: unknown budget method {chosen!r}; "
                          f"valid methods: {', '.join(BUDGET_METHODS)}")
    amounts = {}
    for name, method in BUDGET_METHODS.items():
        amount = method(case)
        if amount is not None:
            amounts[name] = amount
    if chosen not in amounts:
        raise BudgetError(f"budget.methods.{case.category}: " + _DOES_NOT_APPLY[chosen].format(category=case.category))
    return amounts


def book_items(case: CategoryInputs, method: str, amount: np.ndarray) -> pd.DataFrame:
    """
    A category's amount per unit booked to its items: the chosen method's own rows.

    ``objective_task``: the terminal fees and rebates; ``zero_based``: each funded
    activity on its own item; ``input_output``: each activity kind's spend on the item
    it is booked to (:data:`planlib.budget.response.KIND_ITEMS`); otherwise last year's
    item mix of the unit, largest remainder in cents (the category's first catalogue item
    when nothing was spent on it).

    Returns
    -------
    DataFrame
        ``region_id, terminal_id, category, item, amount, method``, amounts > 0.
    """
    members, cat = case.members, case.category
    if method == "objective_task":
        return case.channel_fees.assign(method="objective_task")
    if method == "zero_based":
        # each funded activity booked to its own item (the ranked list cut at the unit's amount)
        ranked = _ranked(case)
        item_of = {a.name: a.item for a in _activities(case)}
        funded = _funded(ranked, amount)
        unit_idx = np.repeat(np.arange(len(members)), funded)
        k = np.concatenate([np.arange(n) for n in funded]) if funded.sum() else np.zeros(0, dtype=int)
        return pd.DataFrame({"region_id": np.asarray(members, dtype=object)[unit_idx], "terminal_id": None,
                             "category": cat, "item": ranked["activity"].map(item_of).to_numpy(dtype=object)[k],
                             "amount": ranked["cost"].to_numpy(dtype=float)[k], "method": "zero_based"}) \
            .groupby(["region_id", "terminal_id", "category", "item", "method"], dropna=False, as_index=False,
                     sort=False)["amount"].sum()[["region_id", "terminal_id", "category", "item", "amount", "method"]]
    if method == "input_output":
        # each kind's spend booked to its item, in cents
        spend = input_output_case(case)[0]
        items = sorted({KIND_ITEMS[k][1] for k in spend.columns})
        by_item = spend.T.groupby([KIND_ITEMS[k][1] for k in spend.columns]).sum().T.reindex(columns=items)
        return _long(members, cat, items, to_cents(by_item.to_numpy()), "input_output")
    ly = case.last_items
    items = sorted(pd.unique(ly["item"])) or [next(iter(ITEM_CATALOGUE[cat]["items"]))]
    cents = split_cents(to_cents(amount), _item_mix(ly, members, items))
    return _long(members, cat, items, cents, method)


def _item_mix(ly: pd.DataFrame, members, items) -> np.ndarray:
    """
    Units (``members``) × ``items``: each unit's spend on each item last year (0.0 where none).

    The rows' sums by unit and item (a pivot table's). The plan's rows (last year's expenses
    already summed by unit, category and item) name each unit and item once, with a number:
    each is its own sum, placed by integer positions; other rows (a pair named twice, a
    missing amount, a negative zero) go through the pivot table.
    """
    unit = pd.Index(list(members)).get_indexer(ly["unit"])
    item = pd.Index(list(items)).get_indexer(ly["item"])
    amount = ly["amount"].to_numpy(dtype=float)
    pair = unit.astype(np.int64) * len(items) + item
    if np.isnan(amount).any() or ((amount == 0) & np.signbit(amount)).any() or len(np.unique(pair)) < len(pair):
        w = ly.pivot_table(index="unit", columns="item", values="amount", aggfunc="sum", fill_value=0.0)
        return w.reindex(index=members, columns=items, fill_value=0.0).to_numpy()
    w = np.zeros((len(members), len(items)))
    on = unit >= 0  # every item is among ``items``; a unit outside ``members`` is left out, as reindex leaves it
    w[unit[on], item[on]] = amount[on]
    return w


def _long(members, cat, items, cents, method) -> pd.DataFrame:
    """Cents per unit (rows) and item (columns) as budget rows, the zero ones left out."""
    n, k = cents.shape
    out = pd.DataFrame({
        "region_id": np.repeat(np.asarray(members, dtype=object), k),
        "terminal_id": None,
        "category": cat,
        "item": np.tile(np.asarray(items, dtype=object), n),
        "amount": cents.ravel() * CENT,
        "method": method,
    })
    return out[out["amount"] > 0]
