"""
Target kinds: sales targets never travel alone — revenue, gross margin, expenses and
profit are set together (DOMAIN §1, §5), priced with the region's own history.

Public names
------------
TARGET_KINDS        the kinds, in row order
set_targets         volume, revenue, gross margin, expenses, profit and market share targets
milestones          staged coverage goals for key terminals (40% by stage 1, 60% by stage 2)
RegionEconomics     a region's history in the figures its targets are priced with (frozen)
region_economics    read them from the archive (:mod:`planlib.archive.queries.targets`)
region_kinds        a region's targets of every kind from its allocated volume
region_baseline     the region's baseline, the fallback warning left to its report
baseline_history    the region's complete years beside its baseline and target
finite_number       a number checked finite (and above a bound), else ParamsError
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planlib.archive.queries import targets as queries
from planlib.errors import ParamsError, PlanWarning
from planlib.targets.baseline import Baseline, baseline, month_series
from planlib.targets.table import BREAKDOWN_COLUMNS

__all__ = [
    "TARGET_KINDS",
    "set_targets",
    "milestones",
    "RegionEconomics",
    "region_economics",
    "region_kinds",
    "region_baseline",
    "baseline_history",
]

#: Target kinds of :func:`set_targets`, in row order.
TARGET_KINDS: tuple[str, ...] = ("volume", "revenue", "gross_margin", "expenses", "profit", "market_share")

#: The "+20% for pressure" habit (DOMAIN.md §5: 20% added on top of the target the company
#: actually needs), shown as a comparison only: flat20 = target × (1 + FLAT_PRESSURE).
FLAT_PRESSURE = 0.20


def finite_number(x, what: str, *, low: float | None = None) -> float:
    """``x`` as a float; ParamsError naming ``what`` unless it is finite (and ≥ ``low`` when given)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ParamsError(f"{what} must be a number, got {x!r}") from None
    if not math.isfinite(v) or (low is not None and v < low):
        bound = f" ≥ {low:g}" if low is not None else ""
        raise ParamsError(f"{what} must be a finite number{bound}, got {x!r}")
    return v


def _kinds(volume: float, price: float, cost: float, expenses: float | None, ratio: float | None, market: float | None) -> list[float]:
    revenue = volume * price
    margin = revenue - volume * cost
    spend = expenses if expenses is not None else ratio * revenue
    share = volume / market if market is not None and market > 0 else float("nan")
    return [volume, revenue, margin, spend, margin - spend, share]


def set_targets(
    monthly_own: pd.DataFrame,
    plan_year: int,
    *,
    stretch: float = 0.05,
    unit_price: float,
    unit_cost: float,
    expenses: float | None = None,
    expense_ratio: float | None = None,
    market_volume: float | None = None,
    target_volume: float | None = None,
    target_basis: str | None = None,
    base: Baseline | None = None,
    end=None,
) -> pd.DataFrame:
    """
    Sales and profit targets together: volume, revenue, gross margin, expenses, profit, share.

    Parameters
    ----------
    monthly_own : DataFrame
        One region's own monthly sales: ``date`` and ``volume`` (``revenue`` may be present).
    plan_year : int
    stretch : float, default 0.05
        "Jump and touch" on top of the baseline (a fraction; > −1).
    unit_price, unit_cost : float
        Planned price and unit variable cost.
    expenses : float, optional
        The budget's expense total; takes precedence over ``expense_ratio``.
    expense_ratio : float, optional
        Expenses / revenue from history, used when no budget figure is given.
    market_volume : float, optional
        The category's volume in the plan year; market share is NaN without it.
    target_volume : float, optional
        The target volume when the plan sets it otherwise (``targets.root``: growth on last
        year, a fixed volume or revenue); default baseline × (1 + stretch).
    target_basis : str, optional
        How ``target_volume`` was set, for the basis column.
    base : Baseline, optional
        ``baseline(monthly_own, plan_year, end=end)`` when the caller has it already (it is not fitted again).
    end : date-like, optional
        Where the history ends (:func:`baseline`'s ``end``): last year's actual columns read
        the 12 months up to it.

    Returns
    -------
    DataFrame
        One row per kind of :data:`TARGET_KINDS`: kind, baseline, target, flat20, basis.

    Raises
    ------
    ParamsError
        If a number is invalid, or neither ``expenses`` nor ``expense_ratio`` is given.

    Warns
    -----
    PlanWarning
        From :func:`baseline` (short or zero history).

    Notes
    -----
    For each column the volume V is: baseline B (:func:`baseline` of ``volume``),
    target T = B · (1 + stretch), flat20 F = 1.2 · T (the source text's habit: 20% on top
    of the target actually needed, not on last year's actuals). Then, with P the unit price and C the unit cost:

    - revenue R = V · P
    - gross margin GM = R − V · C
    - expenses E = the budget figure when given (the same in every column), else e · R
    - profit = GM − E
    - market share = V / M (NaN when M is unknown or 0)
    """
    stretch = finite_number(stretch, "stretch")
    if stretch <= -1:
        raise ParamsError(f"stretch must be above −1 (−100%), got {stretch!r}")
    price = finite_number(unit_price, "unit_price", low=0.0)
    cost = finite_number(unit_cost, "unit_cost", low=0.0)
    if expenses is None and expense_ratio is None:
        raise ParamsError("set_targets needs expenses (the budget's figure) or expense_ratio (from history)")
    spend = finite_number(expenses, "expenses", low=0.0) if expenses is not None else None
    ratio = finite_number(expense_ratio, "expense_ratio", low=0.0) if expense_ratio is not None else None
    market = finite_number(market_volume, "market_volume", low=0.0) if market_volume is not None else None

    base = baseline(monthly_own, plan_year, value="volume", end=end) if base is None else base
    s = month_series(monthly_own, "volume", end=end)
    last = s.iloc[-12:]
    ly_label = (
        f"{last.index[0]:%Y-%m}–{last.index[-1]:%Y-%m}" if len(last) else "no history"
    )
    target = base.annual * (1.0 + stretch) if target_volume is None else finite_number(target_volume, "target_volume",
                                                                                        low=0.0)
    volumes = {"baseline": base.annual, "target": target, "flat20": target * (1.0 + FLAT_PRESSURE)}
    cols = {k: _kinds(v, price, cost, spend, ratio, market) for k, v in volumes.items()}
    exp_basis = f"budget figure {spend:,.0f}" if spend is not None else f"expense ratio {ratio:z.1%} × revenue"
    basis = [
        (f"baseline {base.method} × (1 + stretch {stretch:z.1%})" if target_volume is None
         else (target_basis or f"set by the plan: {target:,.0f}")) + f"; flat20 = 1.2 × target (last year: actual {ly_label})",
        f"volume × unit price {price:g}",
        f"revenue − volume × unit cost {cost:g}",
        exp_basis,
        "gross margin − expenses",
        f"volume / market volume {market:,.0f}" if market else "market volume unknown",
    ]
    return pd.DataFrame({"kind": list(TARGET_KINDS), **cols, "basis": basis})


def milestones(key_terminals: int, stages: Sequence[tuple[str, float]]) -> pd.DataFrame:
    """
    Staged distribution goals: how many key terminals must carry the product by each date.

    Parameters
    ----------
    key_terminals : int
        Number of key (e.g. A and B class) terminals in the area.
    stages : sequence of (date, coverage)
        Each stage's due date (ISO string) and coverage of key terminals (a fraction
        in (0, 1]), e.g. ``[("2026-06-30", 0.4), ("2026-12-31", 0.6)]``.

    Returns
    -------
    DataFrame
        stage (1, 2, …), date (Timestamp), coverage, terminals (int64).

    Raises
    ------
    ParamsError
        If ``key_terminals`` is not a non-negative integer, a date does not parse,
        a coverage is outside (0, 1], or coverages or dates do not strictly rise.

    Notes
    -----
    terminals_s = ceil(coverage_s · N), computed after rounding the product to 9
    decimals so that 0.6 · 5 counts 3 terminals, not 4.
    """
    if isinstance(key_terminals, bool) or not isinstance(key_terminals, (int, np.integer)) or key_terminals < 0:
        raise ParamsError(f"key_terminals must be a non-negative integer, got {key_terminals!r}")
    if len(stages) == 0:
        raise ParamsError("milestones need at least one (date, coverage) stage")
    dates, coverages = [], []
    for i, stage in enumerate(stages, start=1):
        try:
            when, cov = stage
        except (TypeError, ValueError):
            raise ParamsError(f"stage {i} must be a (date, coverage) pair, got {stage!r}") from None
        try:
            dates.append(pd.Timestamp(when))
        except (TypeError, ValueError):
            raise ParamsError(f"stage {i} date {when!r} is not a date (use ISO, e.g. '2026-06-30')") from None
        c = finite_number(cov, f"stage {i} coverage")
        if not 0 < c <= 1:
            raise ParamsError(f"stage {i} coverage must be in (0, 1], got {cov!r}")
        coverages.append(c)
    for i in range(1, len(stages)):
        if coverages[i] <= coverages[i - 1]:
            raise ParamsError(
                f"coverages must rise stage by stage: stage {i + 1} ({coverages[i]:z.0%}) is not above "
                f"stage {i} ({coverages[i - 1]:z.0%})"
            )
        if dates[i] <= dates[i - 1]:
            raise ParamsError(f"stage dates must rise: stage {i + 1} ({dates[i]:%Y-%m-%d}) is not after stage {i}")
    terminals = [math.ceil(round(c * key_terminals, 9)) for c in coverages]
    return pd.DataFrame(
        {
            "stage": np.arange(1, len(stages) + 1, dtype="int64"),
            "date": pd.DatetimeIndex(dates),
            "coverage": np.array(coverages, dtype="float64"),
            "terminals": np.array(terminals, dtype="int64"),
        }
    )


@dataclass(frozen=True, eq=False)
class RegionEconomics:
    """
    A region's history in the figures its targets are priced with.

    Attributes
    ----------
    monthly : DataFrame
        date, volume, revenue — own monthly sales of the region's subtree.
    unit_price, unit_cost : float
        Last year's realised price per unit and variable cost per unit (SKU mix weighted).
    expense_ratio : float
        Last year's expenses / revenue (0 when last year's cases brought no revenue).
    market_volume : float
        Last year's category volume (NaN when the archive has none).
    market_years : DataFrame or None
        year, market_volume — the category volume of each year in the archive (None or
        empty: no market records).
    """

    region: str
    monthly: pd.DataFrame
    unit_price: float
    unit_cost: float
    expense_ratio: float
    market_volume: float
    market_years: pd.DataFrame | None = None
    #: The region whose price, unit cost and expense ratio stand in (the plan's root: this one sold nothing last year).
    borrowed_from: str | None = None
    #: Where the history ends (the first day of the archive's last month of own sales before the plan year,
    #: any region's: :func:`planlib.archive.queries.targets.own_sales_end`); the months after the region's
    #: last sale up to it count as 0 in its baseline. None: the region's own last month.
    history_end: pd.Timestamp | None = None
    #: Last year's expenses of the region's own subtree, whatever stands in for its ratio (None: not read, and
    #: the last year's expenses are priced at ``expense_ratio`` like the targets').
    last_year_expenses: float | None = None


def region_economics(con, tree, region: str, plan_year: int, *, all_recorded_from: int | None = None,
                     plan_root: str | None = None) -> RegionEconomics:
    """
    Read a region's monthly own sales, last year's price, unit cost, expense ratio and market.

    Aggregated in DuckDB over the region's subtree, so a national root reads in well under
    a second. ``con`` is an open archive connection (:func:`planlib.archive.connect`).
    ``all_recorded_from``: a year from which every region with own monthly sales is known to
    be in the subtree (:func:`planlib.archive.queries.targets.region_sales_figures`; the same
    figures, read without looking each sales row's region up).

    A region that sold nothing last year has no price, unit cost or expense ratio of its own:
    with ``plan_root`` it takes the plan's (``borrowed_from`` names the root), as the budget
    step does (:func:`planlib.budget.plan_budget`); without, they are 0 (a gross margin as
    large as the revenue). Its own expenses last year are kept (``last_year_expenses``):
    what it spent, and so its loss, whatever ratio stands in.
    """
    ids = list(tree.subtree(region))
    last = plan_year - 1
    monthly, row, exp, market_years = queries.region_sales_figures(con, ids, plan_year,
                                                                   all_recorded_from=all_recorded_from)
    mkt = market_years.loc[market_years["year"] == last, "market_volume"].sum() if len(market_years) else None
    vol, rev, var = (float(x or 0.0) for x in row)
    own_expenses = float(exp or 0.0)
    borrowed = None
    if vol <= 0 and plan_root is not None and plan_root != region:
        _, row, exp, _ = queries.region_sales_figures(con, list(tree.subtree(plan_root)), plan_year)
        vol, rev, var = (float(x or 0.0) for x in row)
        borrowed = plan_root
    return RegionEconomics(
        region=region,
        monthly=monthly,
        unit_price=rev / vol if vol > 0 else 0.0,
        unit_cost=var / vol if vol > 0 else 0.0,
        expense_ratio=float(exp or 0.0) / rev if rev > 0 else 0.0,
        market_volume=float(mkt) if mkt else float("nan"),
        market_years=market_years.astype({"year": "int64", "market_volume": "float64"}),
        borrowed_from=borrowed,
        history_end=queries.own_sales_end(con, plan_year),
        last_year_expenses=own_expenses,
    )


def _is_total(table: pd.DataFrame) -> pd.Series:
    """The region-month total rows: every breakdown column empty (distributor lines included)."""

    cols = [c for c in BREAKDOWN_COLUMNS if c in table]
    return table[cols].isna().all(axis=1)


def region_kinds(econ: RegionEconomics, table: pd.DataFrame, *, plan_year: int,
                 budget: float | None = None, profit_target: float | None = None,
                 base: Baseline | None = None) -> pd.DataFrame:
    """
    A region's targets of every kind: its allocated volume priced with its own history and costs.

    Parameters
    ----------
    econ : RegionEconomics
        The region's history (:func:`region_economics`).
    table : DataFrame
        The plan's targets table (DESIGN.md §4); the region's total rows are used.
    plan_year : int
    budget : float, optional
        The region's expense budget for the plan year (the run's budget,
        :func:`planlib.run.folder.region_expenses`): the ``with_budget`` column prices the
        target with it.
    profit_target : float, optional
        The region's profit target as the run's budget set it
        (:func:`planlib.run.folder.region_profit_target`: ``budget.profit_target`` when the
        params give one, else derived as below). Given, the target's profit is this number
        and its expenses the limit it leaves (gross margin − profit target), so the targets
        and the budget pages show one profit target.
    base : Baseline, optional
        ``region_baseline(econ, plan_year)`` when the caller has it already (it is not
        fitted again). An empty history's baseline is 0 whether given or not.

    Returns
    -------
    DataFrame
        kind, last_year, baseline, target, flat20, with_budget, basis — volume, revenue,
        gross_margin, expenses, profit, market_share. ``with_budget`` is the target with
        the budget's expenses (NaN without a budget); ``basis`` says how each target is
        computed.

    Raises
    ------
    ParamsError
        A budget that is negative or not a finite number.

    Notes
    -----
    target revenue = Σ the region's monthly target_revenue; gross margin = revenue −
    volume × unit cost (last year's variable cost per unit); expenses = last year's
    expense ratio × revenue (last year's column: the expenses it recorded,
    ``econ.last_year_expenses``, so a region that spent without selling shows its loss);
    profit = gross margin − expenses: the profit target, set
    before the money is (DOMAIN §6: the profit target gives the expense limit). With a
    budget B: expenses = B and profit = gross margin − B, the profit the budgeted plan
    makes at the target (the budget's dual check compares the two). share = volume /
    last year's category volume. ``baseline`` is the region's own forecast
    (:func:`baseline`), so the stretch each region is asked for is visible.
    """
    if budget is not None and not (isinstance(budget, (int, float, np.integer, np.floating))
                                   and not isinstance(budget, bool) and math.isfinite(budget) and budget >= 0):
        raise ParamsError(f"budget for {econ.region} must be a non-negative number, got {budget!r}")
    if profit_target is not None and not (isinstance(profit_target, (int, float, np.integer, np.floating))
                                          and not isinstance(profit_target, bool) and math.isfinite(profit_target)):
        raise ParamsError(f"profit target for {econ.region} must be a finite number, got {profit_target!r}")
    rows = table[(table["region_id"] == econ.region) & _is_total(table)]
    volume = float(rows["target_volume"].sum())
    revenue = float(rows["target_revenue"].sum())
    if econ.monthly.empty:
        base = None
    elif base is None:
        base = region_baseline(econ, plan_year)  # a region's fallback is shown by its method
    monthly = econ.monthly
    last = monthly[pd.to_datetime(monthly["date"]).dt.year == plan_year - 1] if not monthly.empty else monthly
    ly_vol = float(last["volume"].sum()) if len(last) else 0.0
    ly_rev = float(last["revenue"].sum()) if len(last) else 0.0
    price = revenue / volume if volume > 0 else econ.unit_price

    def derived(vol: float, rev: float, expenses: float | None = None) -> list[float]:
        margin = rev - vol * econ.unit_cost
        expenses = econ.expense_ratio * rev if expenses is None else float(expenses)
        share = vol / econ.market_volume if econ.market_volume and econ.market_volume > 0 else float("nan")
        return [vol, rev, margin, expenses, margin - expenses, share]

    base_vol = base.annual if base is not None else 0.0
    target = derived(volume, revenue)
    if econ.borrowed_from is None and ly_rev <= 0 < ly_vol:  # cases shipped without revenue: no ratio of its own
        expense_basis = "去年有销量而没有销售额，费用率无从计算：按 0 × 销售额"
    else:
        expense_basis = f"去年费用率 {econ.expense_ratio:z.1%}{_borrowed(econ)} × 销售额 last year's expense ratio × revenue"
    if profit_target is not None:  # the budget's profit target: the expenses are the limit it leaves
        target = derived(volume, revenue, target[2] - float(profit_target))
        expense_basis = "毛利 − 利润目标（预算设定）gross margin − the budget's profit target: the expense limit"
    return pd.DataFrame(
        {
            "kind": list(TARGET_KINDS),
            "last_year": derived(ly_vol, ly_rev, econ.last_year_expenses),
            "baseline": derived(base_vol, base_vol * price),
            "target": target,
            "flat20": derived(volume * (1 + FLAT_PRESSURE), revenue * (1 + FLAT_PRESSURE)),
            "with_budget": derived(volume, revenue, budget) if budget is not None else [float("nan")] * 6,
            "basis": [
                "分配到本区的销量 the allocated volume",
                "销量 × 去年实现价格 volume × last year's realised price",
                f"销售额 − 销量 × 单位成本 {econ.unit_cost:,.2f}{_borrowed(econ)} revenue − volume × unit cost",
                expense_basis,
                "毛利 − 费用 gross margin − expenses",
                "销量 / 去年品类市场量 volume / last year's category market",
            ],
        }
    )


def _borrowed(econ: RegionEconomics) -> str:
    """"（全方案的，本区域去年无销售）" after a figure taken from the plan's root, else ""."""
    return "（全方案的，本区域去年无销售）" if econ.borrowed_from else ""


def region_baseline(econ: RegionEconomics, plan_year: int, *, cache=None) -> Baseline:
    """
    The region's baseline (:func:`baseline` of its own monthly volume), without the
    fallback warning: a report states the method taken (:data:`BASELINE_METHODS_ZH`).

    ``cache``: the plan's cache folder (``runs/<plan_id>/.cache``), where the targets step
    kept its Holt-Winters fits; the region's series fitted there is read back, the same number.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        return baseline(econ.monthly, plan_year, cache=cache, end=econ.history_end)


def baseline_history(econ: RegionEconomics, base: Baseline, plan_year: int, *, target: float) -> pd.DataFrame:
    """
    The region's complete years beside its baseline and target: growth, market and share.

    Parameters
    ----------
    econ : RegionEconomics
        The region's history (:func:`region_economics`).
    base : Baseline
        Its baseline for the plan year (:func:`baseline` of ``econ.monthly``).
    plan_year : int
    target : float
        The region's volume target (its allocated volume).

    Returns
    -------
    DataFrame
        year (text: each complete year, then "<plan year> 趋势预测" and "<plan year> 目标"),
        volume, growth, market_volume, market_growth, own_share. The plan year's market
        is last year's (no forecast of the category is made), so its share is the share
        the baseline or target would take of last year's market.

    Notes
    -----
    growth_t = volume_t / volume_{t−1} − 1 (the plan-year rows against the last
    complete year); market_growth likewise on the category volume; own_share =
    volume / market_volume.
    """
    hy = base.history_years[["year", "value", "growth"]].rename(columns={"value": "volume"})
    mk = econ.market_years if econ.market_years is not None else pd.DataFrame(columns=["year", "market_volume"])
    mk = mk.astype({"year": "int64", "market_volume": "float64"})
    out = hy.merge(mk, on="year", how="left")
    prev_m = out["market_volume"].shift(1)
    out["market_growth"] = out["market_volume"] / prev_m.where(prev_m > 0) - 1.0
    last_vol = float(out["volume"].iloc[-1]) if len(out) else float("nan")
    last_mkt = float(out["market_volume"].iloc[-1]) if len(out) else float("nan")
    plan_rows = pd.DataFrame({
        "year": [f"{plan_year} 趋势预测", f"{plan_year} 目标"],
        "volume": [float(base.annual), float(target)],
        "market_volume": [last_mkt, last_mkt],
    })
    plan_rows["growth"] = plan_rows["volume"] / last_vol - 1.0 if last_vol > 0 else np.nan
    plan_rows["market_growth"] = np.nan
    out = pd.concat([out.assign(year=out["year"].astype(str)), plan_rows], ignore_index=True)
    out["own_share"] = out["volume"] / out["market_volume"].where(out["market_volume"] > 0)
    return out[["year", "volume", "growth", "market_volume", "market_growth", "own_share"]]
