"""
Budget control through the year: spend to date against the phased budget, and the dual check on actuals.

The plan's budget (``results/budget.parquet``) phases every item by month. By the as-of date
an item's budget to date is its months' amounts, the month of as-of pro rata by its days
(as the time progress of the targets). An item that moved beyond ``budget.tolerance`` of it
while the total holds is flagged; a total over its budget to date is ``over_budget``, with
the severity the plan gives (``tracking.over_budget``: ``stop`` or ``warn``). The dual check
of the plan (sales met? profit met?) is asked again of the actuals.

Public names
------------
CONTROL_FLAGS        within budget, item_over_tolerance, over_budget
OVER_BUDGET          the severities of a total over budget (stop, warn)
budget_control       per region: items and totals, budget to date against spend to date, flagged
items_worst_first    a region's items as a page lists them: flagged first, spend without a budget at the top
dual_check_actuals   sales met and profit met on actuals to date, with the plan's verdicts
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.budget import DUAL_FLAGS
from planlib.errors import DataError, ParamsError
from planlib.hierarchy import RegionTree
from planlib.tracking.lines import month_positions
from planlib.tracking.progress import (
    check_as_of,
    elapsed_fractions,
    nullable,
    plan_year_of,
)
from planlib.tracking.rollup import (
    PlanRegions,
    as_dense,
    home_codes,
    plan_regions,
    roll_up,
)

__all__ = [
    "CONTROL_FLAGS",
    "DUAL_COLUMNS",
    "ITEM_COLUMNS",
    "OVER_BUDGET",
    "TOTAL_COLUMNS",
    "budget_control",
    "dual_check_actuals",
    "items_worst_first",
]

#: A region's or item's flag: within its budget to date, an item beyond tolerance, the total over budget.
CONTROL_FLAGS = ("within budget", "item_over_tolerance", "over_budget")

#: What a total over its budget to date does (``tracking.over_budget``).
OVER_BUDGET = ("stop", "warn")

#: Columns of the item frame of :func:`budget_control`.
ITEM_COLUMNS = ("region_id", "level", "category", "item", "budget_year", "budget_to_date", "spend_to_date",
                "deviation", "deviation_share", "flag")

#: Columns of the totals frame of :func:`budget_control`.
TOTAL_COLUMNS = ("region_id", "level", "budget_year", "budget_to_date", "spend_to_date", "deviation",
                 "deviation_share", "items_over", "flag", "severity")

#: Columns :func:`dual_check_actuals` adds.
DUAL_COLUMNS = ("profit_target_to_date", "actual_profit", "sales_met", "profit_met", "verdict")


def _check_control_params(tolerance, over_budget) -> float:
    if over_budget not in OVER_BUDGET:
        raise ParamsError(f"tracking.over_budget: unknown severity {over_budget!r}; valid: {', '.join(OVER_BUDGET)}")
    try:
        tol = float(tolerance)
    except (TypeError, ValueError):
        raise ParamsError(f"budget.tolerance must be a share such as 0.1, got {tolerance!r}") from None
    if not np.isfinite(tol) or tol < 0:
        raise ParamsError(f"budget.tolerance must be a share ≥ 0 such as 0.1, got {tolerance!r}")
    return tol


def budget_control(budget: pd.DataFrame, actual_expenses: pd.DataFrame, tree: RegionTree, as_of, *,
                   tolerance: float = 0.1, over_budget: str = "warn",
                   regions: PlanRegions | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """
    Spend to date by category and item against the phased budget to date, per budgeted region.

    Parameters
    ----------
    budget : DataFrame
        ``results/budget.parquet``: region_id, month, category, item, amount, method. A
        parent's ``consolidated`` rows repeat its children's and are left out: every region's
        budget is the sum of the budget rows in its subtree (the planning units' rows and each
        parent's ``own`` items), which is the parent's consolidated + own.
    actual_expenses : DataFrame
        region_id (any level), month, category, item, amount: the plan year's expenses up to ``as_of``.
    tree : RegionTree
    as_of : date
        Inside the plan year (the budget's).
    tolerance : float, default 0.1
        ``budget.tolerance``: how far an item may move above its budget to date.
    over_budget : {"stop", "warn"}, default "warn"
        ``tracking.over_budget``: the severity of a total over its budget to date.
    regions : PlanRegions, optional
        The regions to control (default: the budget's regions, consolidated-only parents included).

    Returns
    -------
    (items, totals) : DataFrame, DataFrame
        ``items`` (:data:`ITEM_COLUMNS`): one row per region, category and item budgeted
        or spent; ``totals`` (:data:`TOTAL_COLUMNS`): one row per region. Expenses recorded
        below the budgeted regions (a township) count in the nearest budgeted region above.

    Raises
    ------
    ParamsError
        An unknown severity or a negative tolerance, ``as_of`` outside the budget's year.
    DataError
        Expenses in regions outside the tree or the plan, or outside the plan year or after ``as_of``.

    Notes
    -----
    With B_m an item's budget in month m, e_m the elapsed share of the month (1 for months
    over, d/D for the month of as-of) and S its spend to date::

        budget to date  BD = Σ_m B_m · e_m
        deviation          = S − BD;   deviation share = S / BD − 1 (null when BD = 0)
        item flag          = item_over_tolerance  if S > BD · (1 + tolerance)
                                                  (any spend on an item with BD = 0)
        region flag        = over_budget          if Σ S > Σ BD   (severity = over_budget)
                             item_over_tolerance  if an item is flagged (severity warn)
                             within budget        otherwise
    """
    tol = _check_control_params(tolerance, over_budget)
    b = budget
    if regions is None:
        regions = plan_regions(tree, pd.unique(b["region_id"].astype(object)))
    if "method" in b.columns:
        b = b[b["method"].astype(object) != "consolidated"]
    year = plan_year_of(b["month"], "budget months") if len(b) else pd.Timestamp(as_of).year
    ts = check_as_of(as_of, year)
    e = elapsed_fractions(ts, year)
    b_home = home_codes(regions, b["region_id"], "budget")
    b_mon = np.asarray(pd.DatetimeIndex(pd.to_datetime(b["month"])).month, dtype=np.int64) - 1
    x = actual_expenses if actual_expenses is not None else pd.DataFrame(
        columns=["region_id", "month", "category", "item", "amount"])
    x_home = home_codes(regions, x["region_id"], "actual_expenses") if len(x) else np.zeros(0, dtype=np.int64)
    x_mon = month_positions(x["month"], year, ts, "actual_expenses") if len(x) else np.zeros(0, dtype=np.int64)
    pairs = pd.MultiIndex.from_frame(pd.concat([b[["category", "item"]].astype(object),
                                                x[["category", "item"]].astype(object)]).drop_duplicates()
                                     .sort_values(["category", "item"]))
    nk = len(pairs)
    b_key = pairs.get_indexer(pd.MultiIndex.from_arrays([b["category"].astype(object), b["item"].astype(object)]))
    x_key = pairs.get_indexer(pd.MultiIndex.from_arrays([x["category"].astype(object), x["item"].astype(object)])) \
        if len(x) else np.zeros(0, dtype=np.int64)
    cents = lambda v: np.rint(np.nan_to_num(np.asarray(v, dtype="float64")) * 100.0).astype(np.int64)
    rows = np.concatenate([b_home, x_home])
    cols = np.concatenate([b_key * 12 + b_mon, x_key * 12 + x_mon])
    bud = np.concatenate([cents(b["amount"]), np.zeros(len(x), dtype=np.int64)])
    spent = np.concatenate([np.zeros(len(b), dtype=np.int64), cents(x["amount"]) if len(x) else
                            np.zeros(0, dtype=np.int64)])
    pos, (yb, ys) = roll_up(regions, rows, cols, nk * 12, [bud, spent])
    B = as_dense(yb).astype("float64").reshape(len(pos), nk, 12) / 100.0
    S = as_dense(ys).astype("float64").reshape(len(pos), nk, 12) / 100.0
    year_b = B.sum(axis=2)
    to_date = np.round(B @ e, 2)
    spend = np.round(S.sum(axis=2), 2)
    over_item = (spend > to_date * (1.0 + tol) + 0.005) & (spend > 0)
    r_i, k_i = np.nonzero((year_b != 0) | (spend != 0))
    items = pd.DataFrame({
        "region_id": regions.ids[pos][r_i], "level": regions.levels[pos][r_i],
        "category": pairs.get_level_values(0).to_numpy(dtype=object)[k_i],
        "item": pairs.get_level_values(1).to_numpy(dtype=object)[k_i],
        "budget_year": np.round(year_b[r_i, k_i], 2), "budget_to_date": to_date[r_i, k_i],
        "spend_to_date": spend[r_i, k_i], "deviation": np.round(spend[r_i, k_i] - to_date[r_i, k_i], 2),
        "deviation_share": _share(spend[r_i, k_i], to_date[r_i, k_i]),
        "flag": np.where(over_item[r_i, k_i], CONTROL_FLAGS[1], CONTROL_FLAGS[0]).astype(object),
    })
    tb, td, ts_ = np.round(year_b.sum(axis=1), 2), np.round(to_date.sum(axis=1), 2), np.round(spend.sum(axis=1), 2)
    n_over = over_item.sum(axis=1)
    total_over = ts_ > td + 0.005
    flag = np.where(total_over, CONTROL_FLAGS[2], np.where(n_over > 0, CONTROL_FLAGS[1], CONTROL_FLAGS[0]))
    severity = np.where(total_over, over_budget, np.where(n_over > 0, "warn", None))
    totals = pd.DataFrame({
        "region_id": regions.ids[pos], "level": regions.levels[pos], "budget_year": tb, "budget_to_date": td,
        "spend_to_date": ts_, "deviation": np.round(ts_ - td, 2), "deviation_share": _share(ts_, td),
        "items_over": n_over.astype(np.int64), "flag": flag.astype(object), "severity": severity.astype(object),
    })
    return items[list(ITEM_COLUMNS)], totals[list(TOTAL_COLUMNS)]


def items_worst_first(items: pd.DataFrame) -> pd.DataFrame:
    """
    :func:`budget_control`'s items, the ones to act on first: flagged items, then the rest.

    Parameters
    ----------
    items : DataFrame
        :data:`ITEM_COLUMNS` rows (one region's, or several).

    Returns
    -------
    DataFrame
        The same rows, reordered: flagged items first, among them spend without a budget to
        date (no deviation share: it is infinite) by its amount, then by deviation share; then
        the items within tolerance by deviation share, largest first. A page that lists items
        by deviation share alone put spend without any budget (a share of nothing) last, below
        the rows it shows.
    """
    flagged = (items["flag"] == CONTROL_FLAGS[1]).to_numpy()
    share = items["deviation_share"].astype("float64").to_numpy()
    unbudgeted = np.isnan(share) & (items["spend_to_date"].to_numpy(dtype="float64") > 0)
    keys = (-items["deviation"].to_numpy(dtype="float64"), -np.nan_to_num(share, nan=-np.inf), ~unbudgeted, ~flagged)
    return items.take(np.lexsort(keys)).reset_index(drop=True)


def _share(spend: np.ndarray, budget: np.ndarray):
    return nullable(np.where(budget > 0, np.divide(spend, budget, out=np.zeros_like(spend), where=budget > 0) - 1.0,
                             np.nan))


def dual_check_actuals(frame: pd.DataFrame) -> pd.DataFrame:
    """
    The plan's dual check asked of the actuals: is the region selling to plan, and earning to plan?

    Parameters
    ----------
    frame : DataFrame
        One row per region with ``target_revenue_to_date``, ``target_revenue_year``,
        ``actual_revenue``, ``actual_variable_cost``, ``actual_expenses`` (all to date) and
        ``profit_target`` (the year's, ``budget_regions.profit_target``).

    Returns
    -------
    DataFrame
        The frame with :data:`DUAL_COLUMNS` added: ``profit_target_to_date``,
        ``actual_profit``, ``sales_met``, ``profit_met`` and ``verdict`` (the plan's
        :data:`planlib.budget.DUAL_FLAGS`: ``both met``, ``sales met, profit missed``,
        ``sales missed, profit met``, ``both missed``).

    Raises
    ------
    DataError
        A missing column, or a region without a profit target.

    Notes
    -----
    The profit target is phased by the target's revenue profile::

        profit target to date = profit target × target revenue to date / target revenue of the year
                                (0 when the year has no target revenue)
        actual profit         = actual revenue − actual variable cost − actual expenses
        sales met             = actual revenue ≥ target revenue to date
        profit met            = actual profit ≥ profit target to date

    Examples
    --------
    >>> f = pd.DataFrame({"target_revenue_to_date": [500.0], "target_revenue_year": [1000.0],
    ...                   "actual_revenue": [520.0], "actual_variable_cost": [300.0], "actual_expenses": [150.0],
    ...                   "profit_target": [200.0]})
    >>> dual_check_actuals(f)[["profit_target_to_date", "actual_profit", "verdict"]].values.tolist()
    [[100.0, 70.0, 'sales met, profit missed']]
    """
    need = ["target_revenue_to_date", "target_revenue_year", "actual_revenue", "actual_variable_cost",
            "actual_expenses", "profit_target"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise DataError(f"dual check: missing columns {', '.join(missing)}")
    pt = frame["profit_target"].to_numpy(dtype="float64", na_value=np.nan)
    if np.isnan(pt).any():
        where = frame.loc[np.isnan(pt), "region_id"].tolist() if "region_id" in frame else []
        raise DataError(f"budget_regions: no profit_target for {', '.join(map(str, where[:10])) or 'some rows'}")
    ty = frame["target_revenue_year"].to_numpy(dtype="float64")
    td = frame["target_revenue_to_date"].to_numpy(dtype="float64")
    phase = np.divide(td, ty, out=np.zeros_like(td), where=ty > 0)
    ptd = np.round(pt * phase, 2)
    profit = np.round(frame["actual_revenue"].to_numpy(dtype="float64")
                      - frame["actual_variable_cost"].to_numpy(dtype="float64")
                      - frame["actual_expenses"].to_numpy(dtype="float64"), 2)
    sales_met = frame["actual_revenue"].to_numpy(dtype="float64") >= td - 0.005
    profit_met = profit >= ptd - 0.005
    out = frame.copy()
    out["profit_target_to_date"] = ptd
    out["actual_profit"] = profit
    out["sales_met"] = sales_met
    out["profit_met"] = profit_met
    out["verdict"] = [DUAL_FLAGS[(bool(s), bool(p))] for s, p in zip(sales_met, profit_met)]
    return out
