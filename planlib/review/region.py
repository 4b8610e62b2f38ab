"""
The environment analysis of one region, all sections at once.

:func:`load_region_data` (:mod:`planlib.archive.queries.review`, re-exported here) reads
what a region's analysis needs from the archive (its subtree's facts);
:func:`review_region` turns it into every table the review notebook shows. The notebook
and the benchmark call the same two functions, so the numbers leadership reads are the
numbers that are tested and timed.

Public names: :class:`RegionData`, :class:`RegionReview`, :func:`load_region_data`,
:func:`review_region`, :func:`growth_reading`, :func:`distributor_reading`,
:func:`key_figures`, :func:`spend_reading`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planlib import frames, labels
from planlib.archive.queries.review import RegionData, load_region_data
from planlib.hierarchy import RegionTree
from planlib.labels import channel_label
from planlib.review import competition, growth, spend, terminals
from planlib.review import sales as sales_figures
from planlib.schemas import OWN_BRAND

__all__ = [
    "RegionData",
    "RegionReview",
    "load_region_data",
    "review_region",
    "growth_reading",
    "distributor_reading",
    "key_figures",
    "spend_reading",
]


@dataclass(frozen=True)
class RegionReview:
    """
    Every table of the environment analysis for one region.

    ``monthly`` is the region's own month-grain rows (:func:`planlib.review.monthly_sales`),
    their text keys (region_id, sku, channel, … product_line) as categoricals: the same
    values, in a fraction of the memory of text on a national subtree.
    """

    region: str
    years: tuple[int, ...]
    monthly: pd.DataFrame
    yearly: pd.DataFrame
    cagr: float
    quarterly: pd.DataFrame
    revenue_indices: pd.DataFrame
    composition: dict[str, pd.DataFrame]
    composition_shift: pd.DataFrame
    related_ratios: pd.DataFrame
    core_weekly: pd.DataFrame
    holiday_uplift: pd.DataFrame
    seasonal_calendar: pd.DataFrame
    seasonal_festival: pd.DataFrame
    share_by_child: pd.DataFrame
    share_by_line: pd.DataFrame
    brands: pd.DataFrame
    competitor_activities: pd.DataFrame
    distributors: pd.DataFrame
    distributor_concentration: pd.DataFrame
    terminal_classes: pd.DataFrame
    coverage: pd.DataFrame
    growth_points: pd.DataFrame
    factor_effects: pd.DataFrame
    expense_ratios: pd.DataFrame
    activity_lift: pd.DataFrame
    swot: pd.DataFrame
    names: dict[str, str] = field(default_factory=dict)

    @property
    def has_history(self) -> bool:
        return not self.monthly.empty


def _quarterly(monthly: pd.DataFrame) -> pd.DataFrame:
    ky, years = frames.key_codes(monthly["year"])
    kq, quarters = frames.key_codes((monthly["month"] - 1) // 3 + 1)
    (cy, cq), (volume, revenue), _ = frames.group_sums(
        [ky, kq], [len(years), len(quarters)], [monthly["volume"], monthly["revenue"]]
    )
    # against the same quarter of the previous year on record
    yoy = frames.safe_ratio(revenue, frames.previous_values(revenue, cq, cy)) - 1.0
    return pd.DataFrame(
        {"year": years.take(cy), "quarter": quarters.take(cq), "volume": volume, "revenue": revenue, "revenue_yoy": yoy}
    )


#: The text keys of the sales rows that the sections group by.
_KEYS = ("grain", "region_id", "sku", "channel", "brand", "terminal_id", "distributor_id")


def _sorted_keys(values: pd.Series) -> pd.Series:
    """
    The column as a categorical of sorted categories that all occur (:func:`frames.sorted_categorical`);
    such a column itself, uncopied (as :func:`planlib.archive.queries.review.load_sales` reads the keys).
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        codes = np.asarray(values.cat.codes)
        if cats.is_monotonic_increasing and cats.is_unique and bool(np.bincount(codes[codes >= 0], minlength=len(cats)).all()):
            return values
    return frames.sorted_categorical(values)


def _relabel(values: pd.Series, mapping, default: str | None = None) -> pd.Series:
    """``values.map(mapping).fillna(default)`` as a categorical, looked up once per distinct value."""
    codes, labels, _ = frames.mapped_key_codes(values, mapping)
    if default is not None and (codes < 0).any():
        if default not in labels:
            labels = labels.append(pd.Index([default]))
        codes = np.where(codes < 0, labels.get_loc(default), codes)
    return pd.Series(pd.Categorical.from_codes(codes, categories=labels), index=values.index, name=values.name)


def _active_by_year(monthly: pd.DataFrame, column: str) -> pd.Series:
    """Distinct values of ``column`` (terminals, distributors) with rows in each year."""
    ky, years = frames.key_codes(monthly["year"])
    kc, values = frames.key_codes(monthly[column])
    (cy, _), _, _ = frames.group_sums([ky, kc], [len(years), len(values)])
    return pd.Series(np.bincount(cy, minlength=len(years)), index=years)


def _related_ratios(yearly: pd.DataFrame, expenses: pd.Series, terminals: pd.Series, distributors: pd.Series) -> pd.DataFrame:
    """
    Each year's revenue with its expenses, active terminals and distributors (by year), and
    the ratios: expense / revenue, revenue per terminal and per distributor (NaN over 0).
    Without any expense record (no expenses table, or none for the region) the expenses and
    their ratio are unknown (NaN), not 0.
    """
    years = yearly["year"].to_numpy()
    revenue = yearly["revenue"].to_numpy()
    # a year without expenses beside years with them spent 0; no record at all says nothing
    spent = expenses.reindex(years).fillna(0.0).to_numpy() if len(expenses) else np.full(len(years), np.nan)
    n_terminals, n_distributors = (s.reindex(years, fill_value=0).to_numpy().astype("int64") for s in (terminals, distributors))
    return pd.DataFrame({
        "year": yearly["year"].array, "revenue": yearly["revenue"].array, "expenses": spent,
        "terminals": n_terminals, "distributors": n_distributors,
        "expense_ratio": spent / np.where(revenue > 0, revenue, np.nan),
        "revenue_per_terminal": revenue / np.where(n_terminals > 0, n_terminals, np.nan),
        "revenue_per_distributor": revenue / np.where(n_distributors > 0, n_distributors, np.nan),
    })  # fmt: skip


def _composition_shift(comp: dict[str, pd.DataFrame], years: tuple[int, ...]) -> pd.DataFrame:
    """Share in the first and last year per dimension value, and the move in points."""
    cols = ["dimension", "value", "share_first", "share_last", "change"]
    if len(years) < 2:
        return pd.DataFrame(columns=cols)
    y0, y1 = years[0], years[-1]
    dims, values, first, last = [], [], [], []
    for dim, frame in comp.items():
        kv, labels = frames.key_codes(frame[dim])
        ok = kv >= 0
        kv, yrs = kv[ok], frame["year"].to_numpy()[ok]
        share = np.nan_to_num(frame["share"].to_numpy(dtype="float64")[ok])  # a missing share counts 0
        shown = np.flatnonzero(np.bincount(kv, minlength=len(labels)))
        dims += [dim] * len(shown)
        values.append(labels.take(shown))
        first.append(np.bincount(kv, weights=np.where(yrs == y0, share, 0.0), minlength=len(labels))[shown])
        last.append(np.bincount(kv, weights=np.where(yrs == y1, share, 0.0), minlength=len(labels))[shown])
    first, last = np.concatenate(first), np.concatenate(last)
    value = values[0].append(values[1:])
    return pd.DataFrame(
        {"dimension": dims, "value": value, "share_first": first, "share_last": last, "change": last - first}
    )


def review_region(
    data: RegionData,
    tree: RegionTree,
    *,
    capture_rate: float = 0.1,
    abc_thresholds: tuple[float, float, float] = (0.5, 0.8, 0.95),
    swot_lines: dict[str, tuple[str, ...]] | None = None,
) -> RegionReview:
    """
    Compute every section of the environment analysis for ``data.region``.

    Parameters
    ----------
    data : RegionData
        From :func:`load_region_data`.
    tree : RegionTree
    capture_rate : float, default 0.1
        Share of headroom a growth point can win in a year (:func:`planlib.review.rank_growth_points`).
    abc_thresholds : tuple
        Cumulative-share limits of A, B, C terminals.
    swot_lines : dict, optional
        The analyst's SWOT lines from the params.

    Returns
    -------
    RegionReview
    """
    region = data.region
    # the sections read the rows with their text keys as categories: each key is hashed
    # once here rather than in every section's group-by, and filters copy codes, not text
    keyed = {c: _sorted_keys(data.sales[c]) for c in _KEYS if c in data.sales}
    changed = {c: v for c, v in keyed.items() if v is not data.sales[c]}
    sales = data.sales.assign(**changed) if changed else data.sales  # load_sales' rows are keyed already
    by_sku = data.products.set_index("sku")  # the catalogue and the terminals indexed once for every lookup
    by_terminal = data.terminals.set_index("terminal_id")
    line_of = by_sku["product_line"]
    # (a national subtree's rows: each copy is let go once its sections are read from it)
    week_rows = frames.at_grain(sales, "week")
    weekly = terminals.core_weekly(week_rows, data.terminals)
    del week_rows
    rows = frames.at_grain(sales, "month")
    rows = rows.assign(year=rows["date"].dt.year.astype("int64"), product_line=_relabel(rows["sku"], line_of))
    years = tuple(sorted(np.unique(rows["year"].to_numpy()[(rows["brand"] == OWN_BRAND).to_numpy()]).tolist()))
    last = years[-1] if years else None

    # the sections of every brand's month rows first
    child_map = tree.child_map(region)
    # children without category data (e.g. townships, where the market is recorded by county) have no share
    if data.market["region_id"].isin(list(child_map)).any():
        share_child = competition.market_share(
            rows, data.market, data.products, by="region", group_map=child_map
        )
        share_child = share_child[share_child["market_volume"] > 0].reset_index(drop=True)
    else:
        share_child = competition.market_share(
            rows.iloc[0:0], data.market.iloc[0:0], data.products, by="region", group_map={}
        )
    share_line = competition.market_share(rows, data.market, data.products, by="product_line")
    brands = competition.brand_growth(rows)
    # competitors' sales kept at an ancestor (a county's, for its townships): here the own brand is all
    # there is, and a share of 100% would be read as a monopoly; the share is unknown
    rivals_above = "competitor_sales" in (data.recorded_above or {})
    if rivals_above:
        brands = brands.assign(volume_share=np.nan)
    if last is not None:
        dist = competition.distributor_review(rows, data.distributors, year=last)
        if rivals_above:
            dist = dist.assign(competitor_volume=np.nan, own_share=np.nan)
        mvol = float(data.market[pd.to_datetime(data.market["date"]).dt.year == last]["market_volume"].sum())
        ch = growth.channel_capacity(rows, mvol, year=last)
        ch["name"] = ch["unit_id"].map(labels.channel_label)

    # then the own rows' (their keys as categoricals: as text they would be the largest frame of a national review)
    own = sales_figures.monthly_sales(rows, data.products)
    del rows
    monthly = own
    yearly = sales_figures.yearly_summary(own)
    cagr = (
        sales_figures.cagr(float(yearly["revenue"].iloc[0]), float(yearly["revenue"].iloc[-1]), len(yearly) - 1)
        if len(yearly) >= 2
        else float("nan")
    )
    idx = sales_figures.indices(yearly.set_index("year")["revenue"]) if not yearly.empty else pd.DataFrame()
    terminal_class = by_terminal["terminal_class"]
    spec = by_sku["spec"]
    dims = own.assign(
        channel=_relabel(own["channel"], channel_label),
        spec=_relabel(own["sku"], spec, default="—"),
        terminal_class=_relabel(own["terminal_id"], terminal_class, default="未指定"),
    )
    comp = {d: sales_figures.composition(dims, d) for d in ("product_line", "spec", "channel", "terminal_class")}
    names = {r: tree.name(r) for r in tree.subtree(region)}
    names.update(dict(zip(data.terminals["terminal_id"], data.terminals["name"])))

    # related ratios: expense / sales, revenue per terminal and per distributor
    ke, exp_years = frames.key_codes(pd.to_datetime(data.expenses["date"]).dt.year)
    (ce,), (amount,), _ = frames.group_sums([ke], [len(exp_years)], [data.expenses["amount"]])
    exp_year = pd.Series(amount, index=exp_years.take(ce))
    active_t, active_d = (_active_by_year(own, col) for col in ("terminal_id", "distributor_id"))
    related = _related_ratios(yearly, exp_year, active_t, active_d)

    uplift = terminals.holiday_uplift(weekly) if not weekly.empty else pd.DataFrame(
        columns=["year", "holiday", "window_weeks", "window_avg", "baseline_avg", "uplift"]
    )

    comp_acts = data.activities[data.activities["brand"] != OWN_BRAND]
    if last is not None:
        comp_acts = comp_acts[pd.to_datetime(comp_acts["end_date"]).dt.year >= last - 1]
    comp_acts = comp_acts.sort_values("start_date", ascending=False).reset_index(drop=True)

    if last is not None:
        conc = competition.concentration(dist.set_index("distributor_id")["own_volume"])
        county = {r: tree.ancestor_at(r, "county") or r for r in set(data.terminals["region_id"])}
        groups = by_terminal["region_id"].map(county)
        classes = terminals.terminal_classes(
            own, data.terminals, year=last, thresholds=abc_thresholds, groups=groups
        )
    else:
        dist = pd.DataFrame(columns=["distributor_id", "name", "tier", "own_volume", "competitor_volume", "own_share",
                                     "own_volume_prev", "own_growth", "trend"])  # fmt: skip
        conc = competition.concentration(pd.Series(dtype="float64"))
        classes = pd.DataFrame(columns=["terminal_id", "name", "channel", "recorded_class", "revenue", "share",
                                        "cum_share", "computed_class", "mismatch"])  # fmt: skip
    cov = terminals.coverage(own, data.terminals)

    # growth points: child areas, channels, core terminals
    units = []
    if last is not None and not share_child.empty:
        cur = share_child[share_child["year"] == last].set_index("group")
        prev = share_child[share_child["year"] == last - 1].set_index("group")
        own_prev = prev["own_volume"].reindex(cur.index)
        comp_prev = prev["competitor_volume"].reindex(cur.index)
        units.append(
            pd.DataFrame(
                {
                    "kind": "region",
                    "unit_id": cur.index,
                    "name": [names.get(g, g) for g in cur.index],
                    "capacity": cur["market_volume"],
                    "own_volume": cur["own_volume"],
                    "own_growth": cur["own_volume"] / own_prev.where(own_prev > 0) - 1.0,
                    "competitor_growth": cur["competitor_volume"] / comp_prev.where(comp_prev > 0) - 1.0,
                }
            ).reset_index(drop=True)
        )
    if last is not None:
        units.append(ch)
        units.append(growth.terminal_capacity(own, data.terminals, year=last))
    units = [u for u in units if not u.empty]
    points = (
        growth.rank_growth_points(pd.concat(units, ignore_index=True), capture_rate=capture_rate)
        if units
        else growth.rank_growth_points(
            pd.DataFrame(columns=["kind", "unit_id", "name", "capacity", "own_volume", "own_growth", "competitor_growth"])
        )
    )

    effects = (
        sales_figures.factor_substitution_by(own, years[-2], years[-1])
        if len(years) >= 2
        else pd.DataFrame(columns=["group", "effect", "amount", "share_of_change"])
    )
    ratios = spend.expense_ratios(data.expenses, own)
    margin_rate = float(yearly["gross_margin_rate"].iloc[-1]) if not yearly.empty else 0.0
    region_months = spend.subtree_months(own, tree, region)
    control = data.control if data.control is not None else region_months.loc[region]
    lift = spend.activity_lift(
        data.activities,
        region_months,
        control,
        margin_rate=margin_rate if np.isfinite(margin_rate) else 0.0,
    )
    cov_rate = float(cov.loc[cov["terminal_class"] == "全部", "coverage"].iloc[0]) if not cov.empty else None
    sw = growth.swot(
        share_by_child=share_child,
        brands=brands,
        yearly=yearly,
        growth_points=points,
        coverage_rate=cov_rate,
        names=names,
        analyst=swot_lines,
    )
    return RegionReview(
        region=region,
        years=years,
        monthly=monthly,
        yearly=yearly,
        cagr=cagr,
        quarterly=_quarterly(own),
        revenue_indices=idx,
        composition=comp,
        composition_shift=_composition_shift(comp, years),
        related_ratios=related,
        core_weekly=weekly,
        holiday_uplift=uplift,
        seasonal_calendar=sales_figures.seasonal_profile(own, align="calendar"),
        seasonal_festival=sales_figures.seasonal_profile(own, align="spring_festival"),
        share_by_child=share_child,
        share_by_line=share_line,
        brands=brands,
        competitor_activities=comp_acts,
        distributors=dist,
        distributor_concentration=conc,
        terminal_classes=classes,
        coverage=cov,
        growth_points=points,
        factor_effects=effects,
        expense_ratios=ratios,
        activity_lift=lift,
        swot=sw,
        names=names,
    )


def key_figures(rv: RegionReview) -> list[tuple[str, str]]:
    """
    The headline figures of a region: last year's revenue, growth, gross margin and share.

    Returns
    -------
    list of (label, formatted value)
    """
    if not rv.has_history:
        return [("销售额 revenue", "—"), ("说明", "无销售记录 no sales history")]
    last = rv.yearly.iloc[-1]
    year = int(last["year"])
    items = [
        (f"{year} 销售额 revenue", f"{last['revenue']:,.0f}"),
        ("销售额增长 growth", f"{last['revenue_growth']:+z.1%}" if pd.notna(last["revenue_growth"]) else "—"),
        (f"{year} 毛利 gross margin", f"{last['gross_margin']:,.0f}" if pd.notna(last["gross_margin"]) else "—"),
        ("毛利率 margin rate", f"{last['gross_margin_rate']:z.1%}" if pd.notna(last["gross_margin_rate"]) else "—"),
    ]
    line = rv.share_by_line[rv.share_by_line["year"] == year]
    if not line.empty and line["market_volume"].sum() > 0:
        items.append(("市场份额 share", f"{line['own_volume'].sum() / line['market_volume'].sum():z.1%}"))
    ratio = rv.related_ratios[rv.related_ratios["year"] == year]["expense_ratio"]
    if not ratio.empty and pd.notna(ratio.iloc[0]):
        items.append(("费用率 expense ratio", f"{ratio.iloc[0]:z.1%}"))
    return items


def growth_reading(rv: RegionReview) -> str:
    """
    One sentence on the revenue's growth over the history: its CAGR, or why there is none.

    Notes
    -----
    CAGR = (R_last / R_first)^(1 / (n − 1)) − 1 over the n years with own sales
    (:func:`planlib.review.cagr`). With one such year, or a first year without revenue,
    there is no rate to give, and the sentence says which.
    """
    years = rv.yearly["year"].tolist()
    if not years:
        return "本区域没有销售记录，没有增长率可言。"
    if len(years) == 1:
        return f"档案中只有 {years[0]} 年一年的销售，复合增长率至少需要两年的记录。"
    if not np.isfinite(rv.cagr):
        first = float(rv.yearly["revenue"].iloc[0])
        why = f"{years[0]} 年销售额为零" if first == 0 else f"{years[0]}–{years[-1]} 年的销售额有负数（退货多于销售）"
        return f"{why}，{years[0]}–{years[-1]} 年的复合增长率无从计算。"
    return f"{years[0]}–{years[-1]} 年销售额复合增长率 {rv.cagr:+z.1%}；环比指数连乘等于定基指数。"


def distributor_reading(rv: RegionReview) -> str:
    """One sentence on the distributors: concentration, growing and shrinking ones."""
    d = rv.distributors
    if d.empty:
        return "本区域没有经销商销售记录。"
    conc = rv.distributor_concentration.set_index("measure")["value"]
    grow = d[d["trend"] == "growing"]["name"].head(3).tolist()
    shrink = d[d["trend"].isin(["shrinking", "lost"])]["name"].head(3).tolist()
    text = f"前三家经销商占本品销量 {conc.get('top3', float('nan')):z.0%}。"
    if grow:
        text += f" 增长：{'、'.join(map(str, grow))}。"
    if shrink:
        text += f" 下滑：{'、'.join(map(str, shrink))}。"
    return text


def spend_reading(rv: RegionReview) -> str:
    """One sentence on past spend: how many activities paid, and what the rest cost."""
    lift = rv.activity_lift
    measured = lift.dropna(subset=["roi"]) if not lift.empty else lift
    if measured.empty:
        return "没有可衡量的本品活动 — no own activity with a year of history before it to measure."
    paid = measured[measured["paid"].astype(bool)]
    unpaid = measured[~measured["paid"].astype(bool)]
    return (
        f"{len(measured):,} 项可衡量活动中 {len(paid):,} 项回报为正；"
        f"{len(unpaid):,} 项未见回报，花费 {unpaid['cost'].sum():,.0f} 元——提高费用率之前，先看清这些钱花在了哪里。"
    )
