"""
One region's targets as its report shows them, and the panel that re-splits them.

Public names
------------
RegionTargetView    one region's rows of the targets table, shaped for its report (frozen)
region_view         its months, quarters, children, breakdowns and terminal lines
view_regions        the regions whose rows of the targets table region_view reads
key_figures         headline figures: volume, revenue, profit and their growth
kinds_reading       one sentence on the stretch, the profit target and the budget's profit
fairness_reading    one sentence on how evenly the children are asked to grow
launch_reading      one sentence on the SKUs first sold during last year (planned for a whole year)
diagnostics         implied growth per child against its trend and potential
fairness            spread of implied growth across children
SplitInputs         what one region's children split rests on, read once (frozen)
split_inputs        read them from the archive (:mod:`planlib.archive.queries.targets`)
tune_split          re-split one region's target over its children with tuned assumptions
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planlib.archive.queries import targets as queries
from planlib.errors import ParamsError, PlanWarning
from planlib.targets.plan import region_potential
from planlib.targets.readcache import ArchiveReads
from planlib.targets.shares import shares_for
from planlib.targets.split import constrain_split
from planlib.targets.table import breakdown_of

__all__ = [
    "RegionTargetView",
    "region_view",
    "view_regions",
    "key_figures",
    "kinds_reading",
    "fairness_reading",
    "launch_reading",
    "diagnostics",
    "fairness",
    "SplitInputs",
    "split_inputs",
    "tune_split",
]


@dataclass(frozen=True, eq=False)
class RegionTargetView:
    """One region's rows of the targets table, shaped for its report."""

    region: str
    months: pd.DataFrame
    children: pd.DataFrame
    breakdowns: dict
    terminals: pd.DataFrame
    key_terminals: int
    quarters: pd.DataFrame = None


def _growth(target: pd.Series, last: pd.Series) -> pd.Series:
    return target / last.where(last > 0) - 1.0


def view_regions(tree, region: str) -> list[str]:
    """
    The regions whose rows of the targets table :func:`region_view` reads: the region, its
    children and, for a county (whose report lists the terminal lines), its whole subtree.
    """
    ids = [region, *tree.children(region)]
    if tree.level(region) == "county":
        ids += [r for r in tree.subtree(region) if r not in set(ids)]
    return ids


def region_view(table: pd.DataFrame, tree, region: str, *, terminals: pd.DataFrame | None = None,
                potential: pd.Series | None = None, baselines: pd.Series | None = None) -> RegionTargetView:
    """
    A region's months, children, breakdowns and terminal lines from the plan's targets table.

    Parameters
    ----------
    table : DataFrame
        The targets table (DESIGN.md §4), or its rows of :func:`view_regions`.
    tree : RegionTree
    region : str
    terminals : DataFrame, optional
        The archive's terminals of the region (names for terminal lines, A/B count).
    potential : Series, optional
        Potential volume by region id (:func:`region_potential`): adds the children's
        ``potential`` and ``beyond_potential`` (target above it) columns.
    baselines : Series, optional
        Each child's own trend forecast (:func:`children_baselines`): adds the children's
        ``baseline``, ``vs_baseline`` (target / baseline − 1: the stretch each child is
        asked for on top of its own trend), ``trend_growth`` (baseline / last year − 1) and
        ``shrinks_against_trend`` (asked below last year while its own trend grows) columns.

    Returns
    -------
    RegionTargetView
        ``months``: month, target_volume, target_revenue, last_year_volume, growth;
        ``quarters``: the months summed by quarter, with growth and share;
        ``children``: region_id, name, last_year_volume, target_volume, growth, share
        (and potential, beyond_potential when ``potential`` is given);
        ``breakdowns``: dimension -> annual table; ``terminals``: one row per terminal
        line with the twelve months (county level only).
    """

    # the rows of the region, its children and (county) its subtree, before anything else: the
    # whole plan's table has millions of rows
    table = table[table["region_id"].isin(view_regions(tree, region))]
    kind = breakdown_of(table)
    mine = table["region_id"] == region
    tot = table[mine & (kind == "total")].sort_values("month")
    months = tot[["month", "target_volume", "target_revenue", "last_year_volume"]].reset_index(drop=True)
    months["growth"] = _growth(months["target_volume"], months["last_year_volume"])
    kids = list(tree.children(region))
    ch = table[table["region_id"].isin(kids) & (kind == "total")]
    children = ch.groupby("region_id", as_index=False)[["last_year_volume", "target_volume"]].sum()
    children.insert(1, "name", children["region_id"].map(tree.name))
    children["growth"] = _growth(children["target_volume"], children["last_year_volume"])
    total = children["target_volume"].sum()
    children["share"] = children["target_volume"] / total if total > 0 else np.nan
    if potential is not None:
        pot = potential.reindex(children["region_id"]).to_numpy(dtype=float)
        children["potential"] = pot
        children["beyond_potential"] = np.nan_to_num(pot, nan=np.inf) < children["target_volume"].to_numpy()
    if baselines is not None:
        children["baseline"] = baselines.reindex(children["region_id"]).to_numpy(dtype=float)
        children["vs_baseline"] = _growth(children["target_volume"], children["baseline"])
        children["trend_growth"] = _growth(children["baseline"], children["last_year_volume"])
        children["shrinks_against_trend"] = ((children["target_volume"] < children["last_year_volume"])
                                             & (children["trend_growth"] > 0)).to_numpy(dtype=bool)
    breakdowns = {}
    for dim in ("product_line", "sku", "channel", "terminal_class", "distributor_id"):
        if dim not in table:  # a table written before this breakdown existed: no rows
            rows = table.iloc[:0].assign(**{dim: pd.Series([], dtype=object)})
        else:
            rows = table[mine & (kind == dim)]
        g = rows.groupby(dim, as_index=False, observed=True)[
            ["last_year_volume", "target_volume", "target_revenue"]].sum()
        g["growth"] = _growth(g["target_volume"], g["last_year_volume"])
        t = g["target_volume"].sum()
        g["share"] = g["target_volume"] / t if t > 0 else np.nan
        breakdowns[dim] = g
    # terminal lines are split at county level; a county's report lists them
    sub = set(tree.subtree(region)) if tree.level(region) == "county" else set()
    term = table[table["region_id"].isin(sub) & (kind == "terminal")]
    names = {} if terminals is None else dict(zip(terminals["terminal_id"], terminals["name"]))
    if term.empty:
        lines = pd.DataFrame()
    else:
        label = pd.Series(
            [
                names.get(t, t) if isinstance(t, str) else f"C/D · {tree.name(r)}"
                for t, r in zip(term["terminal_id"].astype(object), term["region_id"].astype(object))
            ],
            index=term.index,
        )
        wide = term.assign(line=label.astype(str), m=pd.to_datetime(term["month"]).dt.month).pivot_table(
            index=["line", "terminal_class"], columns="m", values="target_volume", aggfunc="sum", fill_value=0
        )
        wide.columns = [f"{m}月" for m in wide.columns]
        wide["全年"] = wide.sum(axis=1)
        lines = wide.reset_index().sort_values(["terminal_class", "全年"], ascending=[True, False]).reset_index(drop=True)
    key = 0 if terminals is None else int(terminals["terminal_class"].isin(["A", "B"]).sum())
    q = months.assign(quarter=pd.DatetimeIndex(months["month"]).quarter).groupby("quarter", as_index=False)[
        ["target_volume", "target_revenue", "last_year_volume"]].sum()
    q["growth"] = _growth(q["target_volume"], q["last_year_volume"])
    t = q["target_volume"].sum()
    q["share"] = q["target_volume"] / t if t > 0 else np.nan
    return RegionTargetView(region, months, children, breakdowns, lines, key, q)


def key_figures(kinds: pd.DataFrame, plan_year: int) -> list[tuple[str, str]]:
    """Headline figures of a region's targets: volume, revenue, profit and their growth."""
    k = kinds.set_index("kind")
    out = []
    for kind, label in (("volume", "销量目标 volume"), ("revenue", "销售额目标 revenue"), ("profit", "利润目标 profit")):
        target, last = k.loc[kind, "target"], k.loc[kind, "last_year"]
        out.append((f"{plan_year} {label}", f"{target:,.0f}"))
        if last and last > 0:
            out.append((f"{label.split()[0]} 增长", f"{target / last - 1:+z.1%}"))
    if "with_budget" in k.columns and pd.notna(k.loc["profit", "with_budget"]):
        out.append(("目标下利润（按预算）profit at target with the budget", f"{k.loc['profit', 'with_budget']:,.0f}"))
    return out


def kinds_reading(kinds: pd.DataFrame) -> str:
    """
    One sentence: the stretch asked for, the profit target and (with the run's budget) the
    profit the budgeted plan makes against it, and what 20% on top of the target (the flat-pressure habit) would ask.

    A ratio without a denominator is said in words, never printed as ``nan%``: a region that
    sold nothing last year has no growth on it, one without a trend forecast no stretch on
    that, one whose cases last year brought no revenue no expense ratio of its own, and a
    revenue target of zero no expense ratio of the budget.
    """
    k = kinds.set_index("kind")
    vol = k.loc["volume"]
    prof = k.loc["profit"]
    sold, earned = vol["last_year"] > 0, k.loc["revenue", "last_year"] > 0
    head = f"目标销量比去年 {vol['target'] / vol['last_year'] - 1:+z.1%}" if sold else "去年没有销售：目标依据方案的分解"
    if vol["baseline"] > 0:
        head += f"，比自身趋势预测 {vol['target'] / vol['baseline'] - 1:+z.1%}"
    head += f"；利润目标 {prof['target']:,.0f}"
    if earned:
        head += "（按去年费用率）"
    elif sold:  # cases shipped without revenue (free goods, or a data error): no expense ratio to take
        head += "（去年有销量而没有销售额，费用率无从计算）"
    with_budget = prof.get("with_budget", float("nan"))
    if pd.notna(with_budget):
        exp, rev = k.loc["expenses", "with_budget"], k.loc["revenue", "target"]
        gap = with_budget - prof["target"]
        ratio = f"费用率 {exp / rev:z.1%}" if rev > 0 else "销售额目标为零，费用率无从计算"
        head += (f"；按本次费用预算 {exp:,.0f}（{ratio}），"
                 f"目标下利润 {with_budget:,.0f}，比利润目标{'多' if gap >= 0 else '少'} {abs(gap):,.0f}")
    else:
        head += "；本次运行尚无费用预算，按预算的利润在预算步骤后给出"
    return head + (f"。若在目标上\"一律再加 20%\"（施压的习惯，不采用），将要求 {vol['flat20']:,.0f}，"
                   f"比本方案{'多' if vol['flat20'] >= vol['target'] else '少'} {abs(vol['flat20'] - vol['target']):,.0f}。")


def launch_reading(con, skus: pd.DataFrame | None, plan_year: int, names=None, *, cache=None) -> str:
    """
    One sentence on the SKUs of a region's SKU table first sold during last year ('' when none).

    Parameters
    ----------
    con : DuckDBPyConnection
        The open archive (:func:`planlib.archive.queries.targets.sku_launches`: first sales of
        the whole archive).
    skus : DataFrame or None
        :attr:`RegionTargetView.breakdowns` ``["sku"]`` (sku, last_year_volume, target_volume).
    plan_year : int
    names : Mapping, optional
        SKU -> its product name.
    cache : path-like, optional
        The plan's cache folder (``runs/<plan_id>/.cache``): the first sales, a scan of the
        whole sales table (~0.15 s on a national archive), are read once per archive state and
        kept there for every report (:class:`~planlib.targets.readcache.ArchiveReads`).

    Notes
    -----
    Such a SKU sold for part of last year only; the allocation planned it for a whole year
    at its share of the region's months since its launch
    (:func:`planlib.targets.breakdowns.launched_months`), so its growth on last year is not
    a stretch: the sentence says so, SKU by SKU (at most five named).
    """
    if skus is None or skus.empty:
        return ""
    launches = ArchiveReads(con, cache).read(queries.sku_launches, plan_year)
    rows = skus[skus["sku"].astype(str).isin(launches)]
    if rows.empty:
        return ""
    names = {} if names is None else names
    said = []
    for sku, ly, target in rows[["sku", "last_year_volume", "target_volume"]].itertuples(index=False):
        month = launches[str(sku)]
        name = names.get(sku) if hasattr(names, "get") else None
        label = f"{sku}（{name}）" if isinstance(name, str) and name else str(sku)
        said.append(f"{label} {plan_year - 1} 年 {month} 月起才有销售，去年 {13 - month} 个月 {ly:,.0f} 箱，"
                    f"{plan_year} 年按上市以来的份额计全年 {target:,.0f} 箱")
    more = f"；另有 {len(said) - 5} 个新品同样处理" if len(said) > 5 else ""
    return ("新品：" + "；".join(said[:5]) + more +
            "。其增长是补足上市前的月份，不是冲刺；各月随本区域的季节分配。")


def fairness_reading(children: pd.DataFrame, parent_last_year: float | None = None) -> str:
    """
    One sentence on how evenly the children are asked to grow, and on sales the split gave them that were not theirs.

    Parameters
    ----------
    children : DataFrame
        :attr:`RegionTargetView.children`.
    parent_last_year : float, optional
        The region's own volume last year (its months' ``last_year_volume``). When it exceeds
        its children's by more than 0.5% (and a case), the rest was recorded at the region
        itself, in no child (a county's direct terminals, above its townships): the split
        handed it to the children, and the sentence says so and how much.

    Notes
    -----
    direct = V_parent − Σ V_child (last year's volumes); shown with its share direct / V_parent.
    With a ``potential`` column, the children whose target is their potential (within half a
    case: held by the cap) are named, up to five.
    """
    direct = _direct_sales(children, parent_last_year)
    g = children["growth"].dropna()
    if g.empty:
        return "没有下级有去年的数据可比。" + direct
    lo, hi = children.loc[g.idxmin()], children.loc[g.idxmax()]
    out = (
        f"隐含增长从 {lo['name']} 的 {lo['growth']:+z.1%} 到 {hi['name']} 的 {hi['growth']:+z.1%}；"
        f"标准差 {g.std(ddof=1) if len(g) > 1 else 0.0:z.1%}。"
    )
    if "vs_baseline" in children and children["vs_baseline"].notna().any():
        v = children["vs_baseline"].dropna()
        top, low = children.loc[v.idxmax()], children.loc[v.idxmin()]
        shown = {f"{x:+z.1%}" for x in v}
        if len(v) == 1:
            out += f"{top['name']} 比自身趋势预测 {top['vs_baseline']:+z.1%}。"
        elif len(shown) == 1:  # one ratio for all as the page shows it (the proposals scaled): no "most"
            out += f"各下级目标都比自身趋势预测 {shown.pop()}。"
        else:
            out += (f"比自身趋势预测要求最多的是 {top['name']}（{top['vs_baseline']:+z.1%}），"
                    f"最少的是 {low['name']}（{low['vs_baseline']:+z.1%}）。")
    if "shrinks_against_trend" in children:
        bad = children[children["shrinks_against_trend"]]
        out += (f"注意：{len(bad)} 个下级自身趋势向上却被要求低于去年 (asked below last year while their own "
                f"trend grows)：{'、'.join(f'{r.name}（去年 {r.last_year_volume:,.0f}，目标 {r.target_volume:,.0f}，趋势 {r.trend_growth:+z.1%}）' for r in bad.itertuples())}。"
                if len(bad) else "没有自身趋势向上却被要求低于去年的下级。")
    if "beyond_potential" in children:
        n = int(children["beyond_potential"].sum())
        out += (f"{n} 个下级目标超出潜力：{'、'.join(children.loc[children['beyond_potential'], 'name'].astype(str))}。"
                if n else "没有下级目标超出潜力。")
    if "potential" in children:  # held at the cap: the rest of the total went to the others
        gap = children["target_volume"].to_numpy(dtype=float) - children["potential"].to_numpy(dtype=float)
        at = children.loc[np.abs(gap) < 0.5]
        if len(at):
            names = "、".join(at["name"].astype(str).head(_NAMED))
            out += (f"{len(at)} 个下级的目标正好等于其潜力（潜力上限封顶，它们分不到的量分给了其他下级）："
                    f"{names}{'等' if len(at) > _NAMED else ''}。")
    return out + "各下级合计恰等于本级目标。" + direct


#: Children named in a sentence before "等".
_NAMED = 5


def _direct_sales(children: pd.DataFrame, parent_last_year: float | None) -> str:
    """The sentence on last year's sales recorded at the region itself, in no child ("" when none to speak of)."""
    if not parent_last_year or not np.isfinite(float(parent_last_year)):
        return ""
    total = float(parent_last_year)
    direct = total - float(children["last_year_volume"].sum())
    if direct < 1.0 or direct <= 0.005 * total:
        return ""
    return (f"注意：去年有 {direct:,.0f} 箱（本级销量的 {direct / total:z.1%}）记在本级、不属于任何下级，"
            "分解把这部分也分给了各下级，下级目标因此高于各自的趋势。若这是本级直属的生意，"
            "计划层级宜到本级为止，下级与终端在本级页面的结构分解中分。")


def diagnostics(
    targets: pd.Series,
    last_year: pd.Series,
    trend: pd.Series,
    potential: pd.Series | None,
) -> pd.DataFrame:
    """
    Is each child's target fair and feasible? Implied growth against trend and potential.

    Parameters
    ----------
    targets : Series
        Target per child (the children of the result, in this order).
    last_year : Series
        Last year's actual per child; a missing child counts 0.
    trend : Series
        Each child's own trend growth (e.g. its CAGR), as a fraction; missing is NaN.
    potential : Series or None
        Each child's capacity (category potential or headroom ceiling); None or a
        missing child means unknown.

    Returns
    -------
    DataFrame
        child, target, last_year, implied_growth, trend_growth, growth_vs_trend,
        shrinks_against_trend (bool), potential, beyond_potential (bool).

    Notes
    -----
    implied_growth = target / last_year − 1 (NaN when last_year ≤ 0, e.g. a new child);
    growth_vs_trend = implied_growth − trend_growth;
    shrinks_against_trend = target < last_year while trend_growth > 0 (a growing child asked
    to shrink: the fairness flag);
    beyond_potential = target > potential (False when the potential is unknown).
    """
    children = targets.index
    t = pd.Series(targets.to_numpy(dtype="float64", na_value=np.nan), index=children)
    ly = last_year.astype("float64").reindex(children).fillna(0.0)
    tr = trend.astype("float64").reindex(children)
    pot = potential.astype("float64").reindex(children) if potential is not None else pd.Series(np.nan, index=children)
    implied = t / ly.where(ly > 0) - 1.0
    return pd.DataFrame(
        {
            "child": children.to_numpy(),
            "target": t.to_numpy(),
            "last_year": ly.to_numpy(),
            "implied_growth": implied.to_numpy(),
            "trend_growth": tr.to_numpy(),
            "growth_vs_trend": (implied - tr).to_numpy(),
            "shrinks_against_trend": ((t < ly) & (tr > 0)).to_numpy(dtype=bool),
            "potential": pot.to_numpy(),
            "beyond_potential": (pot.notna() & (t > pot)).to_numpy(dtype=bool),
        }
    )


def fairness(frame: pd.DataFrame) -> dict:
    """
    Spread of implied growth across children (a :func:`diagnostics` frame).

    Returns
    -------
    dict
        children (with a defined implied growth), std, iqr, min_child, min_growth,
        max_child, max_growth, beyond_potential (count), shrinks_against_trend (the
        children asked below last year while their own trend grows, by id).

    Notes
    -----
    std is the sample standard deviation (ddof = 1; NaN with fewer than two children);
    iqr = Q3 − Q1 with linear interpolation between order statistics. Ties in min/max go
    to the first child in frame order. Children without a defined growth are left out.
    """
    g = frame.set_index("child")["implied_growth"].dropna()
    if g.empty:
        min_child = max_child = None
        lo = hi = float("nan")
    else:
        min_child, max_child = g.idxmin(), g.idxmax()
        lo, hi = float(g.min()), float(g.max())
    return {
        "children": int(len(g)),
        "std": float(g.std(ddof=1)) if len(g) >= 2 else float("nan"),
        "iqr": float(g.quantile(0.75) - g.quantile(0.25)) if len(g) else float("nan"),
        "min_child": min_child,
        "min_growth": lo,
        "max_child": max_child,
        "max_growth": hi,
        "beyond_potential": int(frame["beyond_potential"].sum()),
        "shrinks_against_trend": (frame.loc[frame["shrinks_against_trend"], "child"].tolist()
                                  if "shrinks_against_trend" in frame else []),
    }


@dataclass(frozen=True, eq=False)
class SplitInputs:
    """
    What one region's children split rests on, read once for a tuning panel.

    Attributes
    ----------
    region : str
    total : int
        The region's annual target in the plan (from the targets table).
    stretch : float
        The plan's stretch the total was set with.
    history : DataFrame
        child, month, value — each child's own monthly volume over the history window.
    last_year : Series
        Each child's volume last year.
    trend : Series
        Each child's own trend growth (last year over the year before, − 1; NaN if new).
    potential : Series
        Each child's potential (:func:`region_potential`); missing where unknown.
    names : dict
        Child id -> display name.
    """

    region: str
    total: int
    stretch: float
    history: pd.DataFrame
    last_year: pd.Series
    trend: pd.Series
    potential: pd.Series
    names: dict


def split_inputs(con, tree, region: str, plan_year: int, *, total: int, stretch: float,
                 potential_share: float = 0.5, history_years: int = 2,
                 potential: pd.Series | None = None) -> SplitInputs:
    """
    Read a region's children's monthly history, last year, trend and potential in one pass.

    Parameters
    ----------
    con : DuckDBPyConnection
    tree : RegionTree
    region : str
    plan_year : int
    total : int
        The region's annual target in the plan.
    stretch : float
        The plan's stretch (``targets.stretch``).
    potential_share : float, default 0.5
        ``split.potential_share``.
    history_years : int, default 2
        ``split.history_years``: the window of the shares.
    potential : Series, optional
        ``region_potential(con, tree, region, plan_year, share=potential_share)`` when the
        caller has it already (it is not read again).

    Returns
    -------
    SplitInputs
    """
    kids = list(tree.children(region))
    owner = {r: k for k in kids for r in tree.subtree(k)}
    first = plan_year - history_years
    raw = queries.children_monthly_volume(con, list(owner), first, plan_year)
    raw["child"] = raw["region_id"].map(owner)
    hist = raw.groupby(["child", "month"], as_index=False)["value"].sum()
    hist["month"] = pd.to_datetime(hist["month"])
    year = hist["month"].dt.year
    ly = hist[year == plan_year - 1].groupby("child")["value"].sum().reindex(kids).fillna(0.0)
    prev = hist[year == plan_year - 2].groupby("child")["value"].sum().reindex(kids)
    trend = ly / prev.where(prev > 0) - 1.0
    if potential is None:
        potential = region_potential(con, tree, region, plan_year, share=potential_share)
    pot = potential.reindex(kids).dropna()
    return SplitInputs(region, int(total), float(stretch), hist[["child", "month", "value"]], ly, trend, pot,
                       {k: tree.name(k) for k in kids})


def tune_split(inputs: SplitInputs, *, stretch: float | None = None, weights: dict | None = None,
               floor: float | None = None, cap: float | None = None, hold: tuple[str, int] | None = None,
               unit: int = 1) -> tuple[pd.DataFrame, dict]:
    """
    Re-split one region's target over its children with tuned assumptions.

    Parameters
    ----------
    inputs : SplitInputs
        From :func:`split_inputs`.
    stretch : float, optional
        A tuned stretch: the region's total scales by (1 + stretch) / (1 + plan stretch).
    weights : dict, optional
        Method -> weight (a ``blend``); default ``{"proportion_averages": 1}``.
    floor, cap : float, optional
        As ``split.floor`` and ``split.cap`` (cap × potential; children without a
        potential have no cap).
    hold : (child, volume), optional
        One child's number fixed by a manager.
    unit : int, default 1

    Returns
    -------
    (DataFrame, dict)
        :func:`diagnostics` columns plus name and share, one row per child, summing exactly
        to the (tuned) total; and :func:`fairness` of it with the total.

    Raises
    ------
    SplitError
        Infeasible constraints, as :func:`~planlib.targets.split.constrain_split` (which, by how much).

    Notes
    -----
    T' = round_unit(T × (1 + s') / (1 + s)); shares = Σ_m w_m · shares_m / Σ w (blend of
    :func:`~planlib.targets.shares.shares_for`); targets = constrain_split(T', shares, floor, cap × potential, hold).
    """

    kids = list(inputs.names)
    total = inputs.total
    if stretch is not None:
        total = int(round(inputs.total * (1.0 + stretch) / (1.0 + inputs.stretch) / unit)) * unit
    w = {k: float(v) for k, v in (weights or {"proportion_averages": 1.0}).items() if v and v > 0}
    if not w:
        w = {"equal": 1.0}
    pot = inputs.potential.reindex(kids).fillna(0.0) if len(inputs.potential) else None
    if "potential" in w and pot is None:
        raise ParamsError("no child of this region has a potential (no market records): weight 'potential' must be 0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        shares = shares_for("blend", inputs.history, weights=w, children=kids, potential=pot)
        if float(shares.sum()) == 0:
            shares = shares_for("equal", children=kids)
        kid_cap = None
        if cap is not None and len(inputs.potential):
            kid_cap = inputs.potential * cap // unit * unit
        holds = {hold[0]: int(hold[1])} if hold is not None else None
        target = constrain_split(total, shares, last_year=inputs.last_year if floor is not None else None,
                                 floor=floor, cap=kid_cap, holds=holds, unit=unit)
    diag = diagnostics(target, inputs.last_year, inputs.trend, inputs.potential if len(inputs.potential) else None)
    diag.insert(1, "name", diag["child"].map(inputs.names))
    diag.insert(3, "share", diag["target"] / total if total > 0 else np.nan)
    summary = fairness(diag)
    summary["total"] = total
    return diag, summary
