"""
One region's budget for its report and the notebook's panel: views, readings, tuning.

Works on the plan's results (:class:`planlib.budget.plan.PlanBudget`'s tables or the run's
results files), never on the archive.

Public names
------------
RegionBudget          one region's budget, shaped for its report
region_budget         a region's rows: by category and item, by month, methods compared, children, terminals
region_budget_params  each region override file's own budget section, for plan_budget
tune_budget           one region's budget re-priced with tuned methods, ratios, cap, price and volume
methods_long          a region's methods table in long form, for tune_budget
sensitivity_view      profit at the target and under a price and a volume change
key_figures           a region's headline budget figures
has_cvp               whether a region has a CVP to show
cvp_view              a region's CVP at the target as a two-column table
dual_reading          its dual check in one sentence; children_reading: its children in one sentence
booked_reading        what the promotion schemes book beyond the chosen methods, in one sentence
children_gap_reading  why a parent's booked amounts differ from its chosen methods' sums, in one sentence
FLAG_NAMES            the dual check's flags in the reports' words
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planlib import labels, params, schemas
from planlib.budget.caps import apply_cap, floor_cents
from planlib.budget.profit import OVER_THRESHOLD, cvp, dual_verdict
from planlib.errors import BudgetError
from planlib.labels import CATEGORY_NAMES
from planlib.schemas import CATEGORIES

__all__ = [
    "RegionBudget",
    "region_budget",
    "region_budget_params",
    "booked_reading",
    "children_gap_reading",
    "tune_budget",
    "methods_long",
    "sensitivity_view",
    "key_figures",
    "has_cvp",
    "cvp_view",
    "dual_reading",
    "children_reading",
    "FLAG_NAMES",
]


FLAG_NAMES = labels.FLAG_NAMES  # the dual check's five outcomes in the reports' words


@dataclass(frozen=True, eq=False)
class RegionBudget:
    """
    One region's budget, shaped for its report (:func:`region_budget`).

    Attributes
    ----------
    region : str
    summary : Series
        The region's row of :attr:`PlanBudget.regions` (empty when it is not planned).
    by_category, by_item, months, methods, children, terminals : DataFrame
        As :func:`region_budget` returns them.
    basis : DataFrame
        category, method, chosen, amount, basis: how each method arrived at its amount.
    schemes : Series
        By category, what the plan's promotion schemes book on the region's own items (after
        the cap; nonzero only, in catalogue order): part of ``booked``, beside the chosen method.
    """

    region: str
    summary: pd.Series
    by_category: pd.DataFrame
    by_item: pd.DataFrame
    months: pd.DataFrame
    methods: pd.DataFrame
    children: pd.DataFrame
    terminals: pd.DataFrame
    basis: pd.DataFrame = field(default_factory=pd.DataFrame)
    schemes: pd.Series = field(default_factory=lambda: pd.Series(dtype="float64"))


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
    # in the catalogue's order (categories as by_category, items as the catalogue lists them), not by code
    place = {i: k for k, i in enumerate(labels)}
    order = np.lexsort((by_item["item"].map(place).fillna(len(place)).to_numpy(),
                        by_item["category"].map({c: k for k, c in enumerate(CATEGORIES)}).fillna(len(CATEGORIES)).to_numpy()))
    by_item = by_item.take(order).reset_index(drop=True)
    by_item.insert(2, "name", by_item["item"].map(labels).fillna(by_item["item"]))
    # sums by (key, column) unstacked: pivot_table's sums without its copies, sorts and fills
    months = mine["amount"].groupby([pd.DatetimeIndex(mine["month"]).month.rename("m"), mine["category"]]).sum() \
        .unstack("category", fill_value=0.0)
    months = months.reindex(index=range(1, 13), columns=list(CATEGORIES), fill_value=0.0)
    months.index.name = "month"
    m = methods[methods["region_id"] == region]
    comp = m["amount"].groupby([m["category"], m["method"]]).sum().unstack("method")
    comp = comp.reindex([c for c in CATEGORIES if c in comp.index])
    chosen = m[m["chosen"]].drop_duplicates("category").set_index("category")["method"]
    comp.insert(0, "chosen", chosen.reindex(comp.index))
    # what the budget books per category (after the caps and with a parent's own items): the one
    # amount every view of the region reads (headline, sensitivity, panel)
    comp.insert(1, "booked", cat.reindex(comp.index).to_numpy())
    comp = comp.reset_index()
    kids = list(tree.children(region))
    ch = info.reindex([k for k in kids if k in info.index])
    children = ch.reset_index()[["region_id", "target_revenue", "budget", "expense_ratio", "profit_at_target",
                                 "profit_target", "flag"]] if len(ch) else pd.DataFrame()
    if len(children):
        children.insert(1, "name", children["region_id"].map(tree.name))
    term = mine[mine["terminal_id"].notna()]
    if len(term):
        terms = term["amount"].groupby([term["terminal_id"], term["item"]]).sum().unstack("item", fill_value=0.0)
        terms["合计"] = terms.sum(axis=1)
        terms = terms.sort_values("合计", ascending=False).reset_index()
        if names:
            terms.insert(1, "name", terms["terminal_id"].map(dict(names)))
    else:
        terms = pd.DataFrame()
    basis = m[m["basis"].fillna("") != ""][["category", "method", "chosen", "amount", "basis"]] \
        if "basis" in m.columns else pd.DataFrame(columns=["category", "method", "chosen", "amount", "basis"])
    order = {c: k for k, c in enumerate(CATEGORIES)}
    basis = basis.assign(_o=basis["category"].map(order)).sort_values(["_o", "chosen"], ascending=[True, False],
                                                                      kind="stable").drop(columns="_o")
    scheme_rows = mine[mine["method"] == "scheme"] if "method" in mine.columns else mine.iloc[0:0]
    schemes = scheme_rows.groupby("category")["amount"].sum().reindex(list(CATEGORIES)).dropna()
    return RegionBudget(region, summary, by_category, by_item, months.reset_index(), comp, children, terms,
                        basis.reset_index(drop=True), schemes[schemes != 0].astype("float64"))


def booked_reading(rb: RegionBudget) -> str:
    """
    One sentence on what the budget books for the promotion schemes, by category.

    Under most methods a scheme's cost comes on top of the method's amount; under input-output
    and zero-based budgeting it is placed within it (:func:`planlib.budget.promotions.add_schemes`);
    either way ``booked`` holds it, and the sentence says how much.

    Empty when the region books no scheme on its own items (a parent's booked amounts are its
    children's sums, said in the report's text).
    """
    if rb.schemes.empty:
        return ""
    parts = "、".join(f"{CATEGORY_NAMES[c]} {a:,.0f} 元" for c, a in rb.schemes.items())
    return f"预算（上限后）含促销方案的费用：{parts}（见促销方案页）。"


def children_gap_reading(rb: RegionBudget) -> str:
    """
    One sentence on a parent's categories whose booked amount differs from its chosen method's.

    A parent's method columns are each method run on every child and summed (with the parent's
    own items); what it books is its children's budgets as they stand, summed: children with
    methods of their own, promotion schemes booked on their items, caps. The page showed the
    two side by side without a word on the difference.

    Returns
    -------
    str
        Chinese, the differences by category (``渠道费用 +32,500 元``) and where they come from;
        "" for a region without children, or when every category books its chosen method's
        amount (to the yuan).

    Notes
    -----
    difference_c = booked_c − amount_c(chosen method_c), per category c of the methods table.
    """
    if rb.children.empty or rb.methods.empty:
        return ""
    parts = []
    for row in rb.methods.itertuples(index=False):
        row = row._asdict()
        chosen = row.get("chosen")
        amount = row.get(chosen) if isinstance(chosen, str) else None
        if amount is None or pd.isna(amount) or pd.isna(row.get("booked")):
            continue
        gap = float(row["booked"]) - float(amount)
        if abs(gap) >= 0.5:
            parts.append(f"{CATEGORY_NAMES.get(row['category'], row['category'])} {gap:+z,.0f} 元")
    if not parts:
        return ""
    return ("预算（上限后）是各下级实际预算之和加本级自有费用，与按选定方法逐个下级计算之和不同："
            f"{'、'.join(parts)}——下级可能选用了别的方法、计入了促销方案费用或按上限压缩（见各下级的费用预算页）。")


def _amounts(methods: pd.DataFrame) -> tuple[dict, dict]:
    """
    The methods table's amounts in its row order, by (category, method) and, for the chosen
    rows, by category: what :func:`tune_budget` sums, looked up instead of filtered per category.
    """
    by_pair: dict = {}
    by_chosen: dict = {}
    for cat, method, amount, chosen in zip(methods["category"].tolist(), methods["method"].tolist(),
                                           methods["amount"].tolist(), methods["chosen"].tolist()):
        by_pair.setdefault((cat, method), []).append(amount)
        if chosen:
            by_chosen.setdefault(cat, []).append(amount)
    return by_pair, by_chosen


def _sum(amounts: list) -> float:
    """``float(pd.Series(amounts, dtype=float).sum())``: numpy's sum with missing amounts as 0."""
    values = np.asarray(amounts, dtype=float)
    return float(np.where(np.isnan(values), 0.0, values).sum())


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
    table, cap, capped = _tuned_table(summary, methods, choices, ratios, cap_ratio)
    B = float(table["amount"].sum())
    fixed = float(table.loc[table["category"].isin(list(fixed_categories)), "amount"].sum())
    r = _tuned_cvp(summary, B, fixed, price_change, volume_change)
    return table, {"budget": B, "cap": cap, "capped": capped, **r}


def _tuned_table(summary: pd.Series, methods: pd.DataFrame, choices, ratios, cap_ratio) -> tuple:
    """:func:`tune_budget`'s table (category, method, amount after the cap), its cap and whether it was capped."""
    by_pair, by_chosen = _amounts(methods)
    chosen = dict(zip(methods.loc[methods["chosen"], "category"], methods.loc[methods["chosen"], "method"]))
    chosen.update(choices or {})
    R = float(summary["target_revenue"])
    rows = []
    for cat in CATEGORIES:
        method = chosen.get(cat, "percent_of_sales")
        if ratios and cat in ratios:
            amount, method = float(ratios[cat]) * R, "percent_of_sales"
        else:
            hit = by_pair.get((cat, method)) or by_chosen.get(cat) or []
            amount = _sum(hit)
        rows.append((cat, method, round(amount, 2)))
    table = pd.DataFrame(rows, columns=["category", "method", "amount"])
    total = float(table["amount"].sum())
    cap = floor_cents(cap_ratio * R) if cap_ratio is not None else None
    capped = cap is not None and total > cap + 1e-9
    if capped:
        table["amount"] = apply_cap(table.set_index("category")["amount"], cap).to_numpy()
    return table, cap, capped


def _tuned_cvp(summary: pd.Series, B: float, fixed: float, price_change: float, volume_change: float) -> dict:
    """:func:`tune_budget`'s figures after budget and cap, for a budget ``B`` of which ``fixed`` is fixed cost."""
    R = float(summary["target_revenue"])
    V = float(summary["target_volume"])
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
    c = cvp(V2, P2, uvc, fixed) if V2 > 0 else {"bep_units": float("nan"), "margin_of_safety": float("nan"),
                                                 "profit": -fixed}
    sales_ok = V2 <= float(summary.get("reachable_volume", np.inf))
    # the dual check's tests as the plan applies them: a miss within the materiality is no miss
    tolerance = float(summary.get("profit_tolerance", 0.0)) if pd.notna(summary.get("profit_tolerance")) else 0.0
    profit_ok = c["profit"] - float(summary["profit_target"]) >= -max(tolerance, 1e-6)
    threshold = summary.get("expense_ratio_threshold")
    over = R > 0 and threshold is not None and pd.notna(threshold) and B / R > float(threshold) + 1e-9
    flag = dual_verdict(sales_ok, profit_ok, bool(over))
    return {"expense_ratio": B / R if R > 0 else float("nan"), "fixed_cost": fixed, "unit_variable_cost": uvc,
            "price": P2, "volume": V2, "bep_units": c["bep_units"], "margin_of_safety": c["margin_of_safety"],
            "profit": c["profit"], "profit_target": float(summary["profit_target"]), "flag": flag}


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
        ("费用率 expense ratio", _num(summary.get("expense_ratio"), "{:z.1%}")),
        ("目标下利润 profit at target", _num(summary.get("profit_at_target"))),
        ("利润目标 profit target", _num(summary.get("profit_target"))),
        ("保本销量 break-even volume", _num(summary.get("bep_units"))),
        ("双重检查 dual check", flag),
    ]


_PROFIT_BASIS = {
    "amount": "方案设定的利润额",
    "margin": "方案设定的利润率 × 目标销售额",
    "last_year": "目标销售额 − 产品成本 − 去年费用率 × 目标销售额",
    "no_expense_history": "档案中没有去年费用，利润目标只扣除了产品成本，任何预算都会使其未达；"
                          "请在 budget.profit_target 中设定",
}


def dual_reading(summary: pd.Series, threshold: float) -> str:
    """
    One sentence of the dual check: can the sales target be reached, does the profit hold at it,
    and is the expense ratio within its threshold — and the verdict those three give.

    ``threshold`` is used when the summary carries no ``expense_ratio_threshold`` of its own.
    A profit miss within ``profit_tolerance`` (the materiality) is said to be immaterial.
    """
    if summary is None or not len(summary):
        return "该区域不在方案的计划层级内，没有自己的预算（它的费用计入所属的上级区域）。"
    if not isinstance(summary.get("flag"), str):  # no dual check: the volume or the revenue target is zero
        if not float(summary.get("target_volume") or 0.0) > 0:
            return "该区域的销量目标为零，没有本量利可算。"
        return (f"该区域的销售额目标为零（销量目标 {float(summary['target_volume']):,.0f} 箱，单价为零），"
                "没有本量利可算：费用率、保本点与双重检查都以销售额为分母。")
    if summary["flag"] == "no break-even":
        return (f"单价 {_num(summary.get('cvp_price'), '{:,.2f}')} 不高于单位变动成本 "
                f"{_num(summary.get('cvp_unit_variable_cost'), '{:,.2f}')}（产品成本 + 单位变动费用）：没有保本点，"
                "须压缩渠道/推广费用或提高价格 — no break-even: the price does not cover the variable cost per unit.")
    thr = summary.get("expense_ratio_threshold")
    thr = float(thr) if thr is not None and pd.notna(thr) else float(threshold)
    gap = float(summary["profit_at_target"]) - float(summary["profit_target"])
    tol = summary.get("profit_tolerance")
    tol = float(tol) if tol is not None and pd.notna(tol) else 0.0
    ratio = float(summary["expense_ratio"])
    basis = _PROFIT_BASIS.get(summary.get("profit_target_basis"), "")
    if summary.get("profit_target_basis") == "last_year" and not float(summary.get("ly_revenue", 1.0)) > 0:
        basis = "目标销售额 − 产品成本 − 全方案去年费用率 × 目标销售额；本区域去年没有销售额"  # the plan's ratio stands in
    text = (f"按预算 {summary['budget']:,.0f}，目标销量下利润 {summary['profit_at_target']:,.0f}，"
            f"利润目标 {summary['profit_target']:,.0f}{f'（{basis}）' if basis else ''}，"
            f"{'多' if gap >= 0 else '少'} {abs(gap):,.0f}")
    if gap < 0 and -gap <= tol:
        text += f"，在重要性阈值 {tol:,.0f} 以内，不算未达"
    text += (f"；费用率 {ratio:z.1%}，{'高于' if ratio > thr + 1e-9 else '不高于'}阈值 {thr:z.0%}"
             f"；销量目标{'可达' if summary.get('sales_reachable', True) else '超出可达销量'}。")
    flag = summary["flag"]
    text += f"结论：{labels.DUAL_CHECK_NAMES.get(flag, flag)}。"  # a sentence: the verdict's words alone
    if flag in ("sales met, profit missed", "both missed") and summary.get("profit_target_basis") == "no_expense_history":
        text += "先定利润目标：它没有扣除任何费用，再少的预算也守不住。"  # "预算最多 0" would be no advice
    elif flag in ("sales met, profit missed", "both missed"):
        text += f"预算最多 {summary['budget_limit']:,.0f} 才能守住利润，须压缩可控费用或提高价格。"
    elif flag == OVER_THRESHOLD:
        text += f"利润守住了，但费用率超过阈值：按阈值预算最多 {thr * float(summary['target_revenue']):,.0f}。"
    elif ratio > thr + 1e-9:
        text += "费用率也高于阈值。"
    return text


def cvp_view(summary: pd.Series) -> pd.DataFrame:
    """
    A region's CVP at the target as a two-column table (measure, value) for its report.

    Per-case figures (P, VC, P − VC) in yuan and fen, the margin of safety as a percentage,
    the rest in whole cases or yuan.
    """
    rows = [
        ("目标销量 target volume", summary["target_volume"], "whole"),
        ("单价 P", summary["cvp_price"], "per_case"),
        ("单位变动成本 VC（产品 + 变动费用）", summary["cvp_unit_variable_cost"], "per_case"),
        ("单位边际贡献 P − VC", summary["cvp_unit_contribution"], "per_case"),
        ("固定费用 FC", summary["cvp_fixed_cost"], "whole"),
        ("保本销量 BEP = FC / (P − VC)", summary["bep_units"], "whole"),
        ("保本销售额 BEP revenue", summary["bep_revenue"], "whole"),
        ("安全边际 margin of safety", summary["margin_of_safety"], "share"),
        ("目标下利润 profit at target", summary["cvp_profit"], "whole"),
        ("利润目标所需销量 volume for the profit target", summary["cvp_required_volume"], "whole"),
    ]
    shown = {"whole": "{:z,.0f}", "per_case": "{:z,.2f}", "share": "{:z.1%}"}
    return pd.DataFrame({"measure": [r[0] for r in rows], "value": [shown[kind].format(v) for _, v, kind in rows]})


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
    return params.region_sections(plan, tree, "budget")


def methods_long(rb: RegionBudget) -> pd.DataFrame:
    """
    A region's methods table in long form (category, method, amount, chosen) for :func:`tune_budget`.

    The chosen method's amount is what the budget books for the category (``booked``: after
    the caps, with a parent's own items), so that every view priced from this table starts
    from the region's one budget; the other methods keep their amounts for comparison.
    """
    m = rb.methods
    if m.empty:
        return pd.DataFrame(columns=["category", "method", "amount", "chosen"])
    # melt's long form (each method's column in turn, rows without an amount dropped), built from the arrays
    ids = ["category", "chosen"] + (["booked"] if "booked" in m.columns else [])
    names = [c for c in m.columns if c not in ids]
    n = len(m)
    amount = np.concatenate([m[c].to_numpy(dtype=float, na_value=np.nan) for c in names]) if names else np.zeros(0)
    keep = ~np.isnan(amount)
    row = np.tile(np.arange(n), len(names))[keep]
    method = np.repeat(np.asarray(names, dtype=object), n)[keep]
    chosen = method == m["chosen"].to_numpy(dtype=object, na_value=None)[row]  # a missing choice: False
    amount = amount[keep]
    if "booked" in m.columns:
        amount = np.where(chosen, m["booked"].to_numpy(dtype=float, na_value=np.nan)[row], amount)
    return pd.DataFrame({"category": m["category"].to_numpy()[row], "method": method, "amount": amount,
                         "chosen": chosen})


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
    # the budget does not depend on the price and volume: priced once, as tune_budget prices it
    table, _, _ = _tuned_table(rb.summary, methods_long(rb), None, None, None)
    B = float(table["amount"].sum())
    fixed = float(table.loc[table["category"].isin(list(fixed_categories)), "amount"].sum())
    rows = []
    for name, dp, dv in (("base", 0.0, 0.0), ("price", price_change, 0.0), ("volume", 0.0, volume_change),
                         ("price_and_volume", price_change, volume_change)):
        r = _tuned_cvp(rb.summary, B, fixed, dp, dv)
        rows.append((name, dp, dv, r["volume"], r["price"], B, r["profit"], r["bep_units"]))
    out = pd.DataFrame(rows, columns=["scenario", "price_change", "volume_change", "volume", "price", "budget", "profit",
                                      "bep_units"])
    out.insert(7, "profit_change", out["profit"] - out["profit"].iloc[0])
    return out

