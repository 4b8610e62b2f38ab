"""
The expense budget: its structure, the budgeting methods, caps, phasing and cost-volume-profit.

DOMAIN.md §6 (Art. 1 §5, Art. 11). Every function is pure: it takes numbers, Series or tidy
frames and returns new ones; inputs are never changed.

Public names
------------
ITEM_CATALOGUE      the five categories, their items (code -> Chinese label), controllability
catalogue           the catalogue merged with a company's extension from its params
break_even          break-even volume and revenue, BEP = FC / (P - VC)
cvp                 cost-volume-profit at a volume: profit, margin of safety
cvp_table           the same for many regions at once; BudgetError naming regions with P <= VC
sensitivity         profit under a price and a volume change (default -5% / -10%)
percent_of_sales    budget = revenue target x ratio
benchmark           budget = revenue target x a competitor's spend ratio (else a set ratio)
zero_based          activities ranked by return per cost, funded down to the cap
marginal_headcount  salespeople added while each one's contribution exceeds their cost
objective_task      channel fees built terminal by terminal from the split targets
fees_by_region      objective-task fees summed per region and item
fit_response        a diminishing-returns response curve per activity kind, from past lift
predicted_lift      the fitted curves evaluated at given spends (lift and marginal return)
allocate_spend      a total spread over activity kinds where the marginal return is highest
BUDGET_METHODS      the methods above by the field's names
budget_for          run a method by name (ParamsError listing the valid ones)
apply_cap           scale a budget down to its cap, summing exactly to it
check_cap           BudgetError naming the amount over the cap
check_tolerance     BudgetError naming each item moved beyond the tolerance, and the total over
phase_budget        an annual budget by month: variable items seasonal, fixed straight-line
spend_roi           past spend: expense ratio by category, ROI by activity kind, spend that did not pay
dual_check          per region: is the sales target reachable, and does the profit target hold at it
consolidate         a parent's budget = the sum of its children's plus its own items, up the tree
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy.optimize import OptimizeWarning, curve_fit, minimize

from planlib.errors import BudgetError, DataError, HierarchyError, ParamsError
from planlib.hierarchy import RegionTree
from planlib.review import expense_ratios
from planlib.rounding import round_to_total
from planlib.schemas import ACTIVITY_KINDS, CATEGORIES, ITEM_CATALOGUE, catalogue

__all__ = [
    "BUDGET_METHODS",
    "break_even",
    "cvp",
    "cvp_table",
    "sensitivity",
    "percent_of_sales",
    "benchmark",
    "zero_based",
    "marginal_headcount",
    "objective_task",
    "fees_by_region",
    "fit_response",
    "predicted_lift",
    "allocate_spend",
    "budget_for",
    "apply_cap",
    "check_cap",
    "check_tolerance",
    "phase_budget",
    "spend_roi",
    "dual_check",
    "consolidate",
]

_EPS = 1e-9  # relative float slack when comparing amounts with caps and tolerances


# -- 1. the structure ------------------------------------------------------------------------


# -- small helpers ---------------------------------------------------------------------------
def _fmt(x: float) -> str:
    """An amount for messages: thousands separators, two decimals unless whole."""
    if math.isfinite(x) and abs(x - round(x)) < 1e-9 * max(1.0, abs(x)):
        return f"{int(round(x)):,}"
    return f"{x:,.2f}"


def _number(value, what: str, *, minimum: float | None = None, strict: bool = False) -> float:
    """``value`` as a finite float; ParamsError naming ``what`` otherwise."""
    if isinstance(value, bool):
        raise ParamsError(f"{what} must be a number, got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ParamsError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ParamsError(f"{what} must be finite, got {value!r}")
    if minimum is not None and (x <= minimum if strict else x < minimum):
        bound = "greater than" if strict else "at least"
        raise ParamsError(f"{what} must be {bound} {minimum:g}, got {_fmt(x)}")
    return x


def _amounts(budget, what: str = "budget") -> pd.Series:
    """A budget Series as floats; ParamsError naming items that are NaN, infinite or negative."""
    if not isinstance(budget, pd.Series):
        raise ParamsError(f"{what} must be a Series of amounts indexed by item, got {type(budget).__name__}")
    if budget.index.has_duplicates:
        dup = budget.index[budget.index.duplicated()].unique()
        raise ParamsError(f"{what} names items more than once: {', '.join(map(str, dup))}")
    try:
        values = budget.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise ParamsError(f"{what} amounts must be numbers") from None
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        items = ", ".join(map(str, budget.index[bad]))
        raise ParamsError(f"{what} amounts must be non-negative numbers; not so for {items}")
    return pd.Series(values, index=budget.index, name=budget.name)


def _decimals(unit: float) -> int:
    exponent = Decimal(repr(float(unit))).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def _to_units(amount: float, unit: float, what: str) -> int:
    """``amount / unit`` as an integer; ParamsError if it is not a whole number of units."""
    q = amount / unit
    k = round(q)
    if abs(q - k) > _EPS * max(1.0, abs(q)):
        raise ParamsError(f"{what} {_fmt(amount)} is not a multiple of the unit {unit:g}")
    return int(k)


def _from_units(k: np.ndarray, unit: float) -> np.ndarray:
    if float(unit).is_integer():
        return np.asarray(k, dtype=np.int64) * int(unit)
    return np.round(np.asarray(k, dtype=float) * unit, _decimals(unit))


def _unit(unit) -> float:
    return _number(unit, "unit", minimum=0.0, strict=True)


def _listing(labels, limit: int = 10) -> str:
    """Labels for a message: the first ``limit``, then how many in all."""
    labels = [str(x) for x in labels]
    more = f" … ({len(labels)} in all)" if len(labels) > limit else ""
    return ", ".join(labels[:limit]) + more


def _frame(frame, required: Sequence[str], what: str) -> None:
    """DataError unless ``frame`` is a DataFrame with the ``required`` columns."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{what} must be a DataFrame, got {type(frame).__name__}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(f"{what} needs columns {', '.join(required)}; missing {', '.join(missing)}")


def _labels_at(labels, bad: np.ndarray) -> list:
    """The labels of the rows flagged in ``bad``; ``labels`` is a sequence or a function of the mask."""
    if callable(labels):
        return list(labels(bad))
    return list(np.asarray(labels, dtype=object)[bad])


def _float_col(frame: pd.DataFrame, col: str, what: str, labels, *, minimum=None, strict=False) -> np.ndarray:
    """A column as finite floats; DataError naming the rows' labels where it is not."""
    try:
        x = frame[col].to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise DataError(f"{what}: {col} must hold numbers") from None
    bad = ~np.isfinite(x)
    cond = "a finite number"
    if minimum is not None:
        bad |= (x <= minimum) if strict else (x < minimum)
        cond = f"a number {'greater than' if strict else 'at least'} {minimum:g}"
    if bad.any():
        raise DataError(f"{what}: {col} must be {cond}; not so for {_listing(_labels_at(labels, bad))}")
    return x


def _whole_units(amounts: np.ndarray, unit: float, what: str, labels) -> np.ndarray:
    """Amounts as int64 counts of ``unit``; DataError naming rows that are not whole units."""
    q = amounts / unit
    k = np.rint(q)
    bad = np.abs(q - k) > 1e-6 + 8 * np.spacing(np.abs(q))
    if bad.any():
        raise DataError(
            f"{what}: amounts must be whole multiples of the unit {unit:g}; "
            f"not so for {_listing(_labels_at(labels, bad))}"
        )
    return k.astype(np.int64)


def _id_col(frame: pd.DataFrame, col: str, what: str) -> pd.Series:
    """An id column as a string Series on a fresh 0..n-1 index; DataError if an id is missing."""
    values = frame[col]
    missing = values.isna().to_numpy()
    if missing.any():
        raise DataError(f"{what}: {col} is missing in rows {_listing(np.flatnonzero(missing))}")
    return values.astype("str").reset_index(drop=True)


def _ids(frame: pd.DataFrame, col: str, what: str) -> np.ndarray:
    """An id column as an object array of str; DataError if an id is missing."""
    return _id_col(frame, col, what).to_numpy(dtype=object)


# -- 2. cost-volume-profit -------------------------------------------------------------------
def break_even(fixed_cost, price, unit_variable_cost) -> dict:
    """
    Break-even volume and revenue of a product or region.

    Parameters
    ----------
    fixed_cost : float
        FC, the period's fixed cost (non-negative).
    price : float
        P, the net unit price.
    unit_variable_cost : float
        VC, the variable cost per unit (non-negative).

    Returns
    -------
    dict
        ``unit_contribution`` (P - VC), ``contribution_margin_ratio`` ((P - VC) / P),
        ``bep_units`` (FC / (P - VC), fractional) and ``bep_revenue`` (BEP x P).

    Raises
    ------
    BudgetError
        If P <= VC: no volume breaks even; the message gives FC, P and VC.
    ParamsError
        If an argument is not a finite number, or FC or VC is negative.

    Notes
    -----
    BEP = FC / (P - VC) units; BEP revenue = BEP x P = FC / cmr with the contribution
    margin ratio cmr = (P - VC) / P. BEP is not rounded: selling ceil(BEP) whole units
    is the first volume with profit >= 0.

    Examples
    --------
    >>> break_even(100_000, 50, 30)["bep_units"]
    5000.0
    """
    fc = _number(fixed_cost, "fixed_cost", minimum=0.0)
    p = _number(price, "price")
    vc = _number(unit_variable_cost, "unit_variable_cost", minimum=0.0)
    if p <= vc:
        raise BudgetError(
            f"no break-even: price {_fmt(p)} does not exceed the unit variable cost {_fmt(vc)} "
            f"(fixed cost {_fmt(fc)}); every unit sold loses {_fmt(vc - p)} of contribution"
        )
    uc = p - vc
    bep = fc / uc
    return {
        "unit_contribution": uc,
        "contribution_margin_ratio": uc / p,
        "bep_units": bep,
        "bep_revenue": bep * p,
    }


def cvp(volume, price, unit_variable_cost, fixed_cost) -> dict:
    """
    Cost-volume-profit at a given volume: profit, break-even and margin of safety.

    Parameters
    ----------
    volume : float
        Q, units sold (positive), e.g. the sales target.
    price : float
        P, the net unit price.
    unit_variable_cost : float
        VC, the variable cost per unit.
    fixed_cost : float
        FC, the period's fixed cost.

    Returns
    -------
    dict
        The keys of :func:`break_even` plus ``volume``, ``revenue`` (Q x P),
        ``variable_cost`` (Q x VC), ``contribution`` (Q x (P - VC)), ``fixed_cost``,
        ``profit`` and ``margin_of_safety``.

    Raises
    ------
    BudgetError
        If P <= VC (as :func:`break_even`).
    ParamsError
        If the volume is not positive or an argument is not a finite number.

    Notes
    -----
    profit = Q x (P - VC) - FC; margin of safety = (Q - BEP) / Q, the share of the volume
    that may be lost before the loss begins (negative below break-even).
    """
    q = _number(volume, "volume", minimum=0.0, strict=True)
    be = break_even(fixed_cost, price, unit_variable_cost)
    p, vc, fc = float(price), float(unit_variable_cost), float(fixed_cost)
    return {
        "volume": q,
        "revenue": q * p,
        "variable_cost": q * vc,
        "contribution": q * be["unit_contribution"],
        "fixed_cost": fc,
        "profit": q * be["unit_contribution"] - fc,
        **be,
        "margin_of_safety": (q - be["bep_units"]) / q,
    }


def sensitivity(volume, price, vc, fc, *, price_change=-0.05, volume_change=-0.10) -> pd.DataFrame:
    """
    Profit under a price change, a volume change and both together.

    Parameters
    ----------
    volume, price, vc, fc : float
        Q, P, VC and FC as in :func:`cvp`.
    price_change : float, default -0.05
        Relative price change (-0.05 is a 5% cut).
    volume_change : float, default -0.10
        Relative volume change.

    Returns
    -------
    DataFrame
        Four rows, ``scenario`` in ``base, price, volume, price_and_volume``, with
        ``volume``, ``price``, ``profit`` and ``profit_change`` (profit minus the base
        profit, in money).

    Raises
    ------
    BudgetError
        If the base price does not exceed VC (as :func:`break_even`).
    ParamsError
        If a change is -100% or less, or an argument is not a finite number.

    Notes
    -----
    profit(Q', P') = Q' x (P' - VC) - FC with P' = P (1 + price_change) and
    Q' = Q (1 + volume_change); VC and FC are held. A changed price at or below VC is
    allowed here (profit is then simply the loss); only the base must break even.
    """
    base = cvp(volume, price, vc, fc)
    dp = _number(price_change, "price_change", minimum=-1.0, strict=True)
    dq = _number(volume_change, "volume_change", minimum=-1.0, strict=True)
    q, p, v, f = base["volume"], float(price), float(vc), base["fixed_cost"]
    rows = [
        ("base", q, p),
        ("price", q, p * (1 + dp)),
        ("volume", q * (1 + dq), p),
        ("price_and_volume", q * (1 + dq), p * (1 + dp)),
    ]
    out = pd.DataFrame(rows, columns=["scenario", "volume", "price"])
    out["profit"] = out["volume"] * (out["price"] - v) - f
    out["profit_change"] = out["profit"] - base["profit"]
    return out


_CVP_COLUMNS = (
    "region_id", "price", "unit_variable_cost", "volume", "revenue", "variable_cost", "contribution",
    "fixed_cost", "profit", "unit_contribution", "contribution_margin_ratio", "bep_units", "bep_revenue",
    "margin_of_safety",
)  # fmt: skip


def cvp_table(regions_frame: pd.DataFrame) -> pd.DataFrame:
    """
    Cost-volume-profit for many regions at once, as :func:`cvp` per row.

    Parameters
    ----------
    regions_frame : DataFrame
        One row per region: ``region_id``, ``fixed_cost`` (FC), ``unit_variable_cost``
        (VC), ``price`` (P) and ``volume`` (Q, e.g. the sales target; positive).
        Optional ``profit_target`` adds what that target demands.

    Returns
    -------
    DataFrame
        One row per region, in the input's order: ``region_id, price, unit_variable_cost``
        and the keys of :func:`cvp` as columns — ``volume, revenue, variable_cost,
        contribution, fixed_cost, profit, unit_contribution, contribution_margin_ratio,
        bep_units, bep_revenue, margin_of_safety``. With ``profit_target`` also
        ``profit_target, profit_gap, required_volume, max_fixed_cost, min_price``.

    Raises
    ------
    BudgetError
        If P <= VC in any region; the message names every such region with its P and VC.
    DataError
        If a column is missing, a region id is missing or repeated, or a value is not a
        finite number (Q > 0, FC >= 0, VC >= 0).

    Notes
    -----
    As :func:`cvp`: unit contribution = P - VC, cmr = (P - VC) / P, BEP = FC / (P - VC),
    BEP revenue = BEP x P, profit = Q (P - VC) - FC (the profit at the target volume),
    margin of safety = (Q - BEP) / Q.

    With a profit target PT: profit_gap = profit - PT; required_volume =
    max(0, (FC + PT) / (P - VC)), the volume that earns PT at P; max_fixed_cost =
    Q (P - VC) - PT, the most fixed cost (expense) PT allows at Q; min_price =
    VC + (FC + PT) / Q, the lowest price that earns PT at Q.
    """
    what = "cvp_table frame"
    _frame(regions_frame, ["region_id", "fixed_cost", "unit_variable_cost", "price", "volume"], what)
    ids = _ids(regions_frame, "region_id", what)
    dup = pd.Index(ids)[pd.Index(ids).duplicated()].unique()
    if len(dup):
        raise DataError(f"{what}: regions named more than once: {_listing(dup)}")
    q = _float_col(regions_frame, "volume", what, ids, minimum=0.0, strict=True)
    p = _float_col(regions_frame, "price", what, ids)
    vc = _float_col(regions_frame, "unit_variable_cost", what, ids, minimum=0.0)
    fc = _float_col(regions_frame, "fixed_cost", what, ids, minimum=0.0)
    loss = p <= vc
    if loss.any():
        named = [
            f"{r} (price {_fmt(a)}, unit variable cost {_fmt(b)})" for r, a, b in zip(ids[loss], p[loss], vc[loss])
        ]
        raise BudgetError(
            f"no break-even where the price does not exceed the unit variable cost: {_listing(named)}"
        )
    uc = p - vc
    bep = fc / uc
    out = pd.DataFrame(
        {
            "region_id": ids,
            "price": p,
            "unit_variable_cost": vc,
            "volume": q,
            "revenue": q * p,
            "variable_cost": q * vc,
            "contribution": q * uc,
            "fixed_cost": fc,
            "profit": q * uc - fc,
            "unit_contribution": uc,
            "contribution_margin_ratio": uc / p,
            "bep_units": bep,
            "bep_revenue": bep * p,
            "margin_of_safety": (q - bep) / q,
        },
        columns=list(_CVP_COLUMNS),
    )
    if "profit_target" in regions_frame.columns:
        pt = _float_col(regions_frame, "profit_target", what, ids)
        out["profit_target"] = pt
        out["profit_gap"] = out["profit"].to_numpy() - pt
        out["required_volume"] = np.maximum(0.0, (fc + pt) / uc)
        out["max_fixed_cost"] = q * uc - pt
        out["min_price"] = vc + (fc + pt) / q
    return out


# -- 3. budgeting methods --------------------------------------------------------------------
def percent_of_sales(revenue_target, ratio) -> float:
    """
    A budget as a percentage of the revenue target.

    Parameters
    ----------
    revenue_target : float
        The target revenue (non-negative).
    ratio : float
        Expense ratio as a fraction (0.06 for 6%), from history or set.

    Returns
    -------
    float
        The budget.

    Raises
    ------
    ParamsError
        If either argument is negative or not a finite number.

    Notes
    -----
    budget = revenue_target x ratio.
    """
    r = _number(revenue_target, "revenue_target", minimum=0.0)
    k = _number(ratio, "ratio", minimum=0.0)
    return r * k


def benchmark(revenue_target, competitor_ratio=None, default_ratio=None) -> float:
    """
    A budget matching a main competitor's spend ratio, or a set ratio where it is unknown.

    Parameters
    ----------
    revenue_target : float
        The target revenue (non-negative).
    competitor_ratio : float, optional
        The competitor's spend / revenue where the archive has it; None or NaN when not.
    default_ratio : float, optional
        The ratio used when ``competitor_ratio`` is missing.

    Returns
    -------
    float
        The budget.

    Raises
    ------
    ParamsError
        If both ratios are missing, or a given one is negative or not finite.

    Notes
    -----
    budget = revenue_target x (competitor_ratio if known else default_ratio).
    """
    missing = competitor_ratio is None or (
        isinstance(competitor_ratio, float | np.floating) and math.isnan(competitor_ratio)
    )
    if not missing:
        return percent_of_sales(revenue_target, _number(competitor_ratio, "competitor_ratio", minimum=0.0))
    if default_ratio is None:
        raise ParamsError("benchmark needs a competitor_ratio or a default_ratio; neither was given")
    return percent_of_sales(revenue_target, _number(default_ratio, "default_ratio", minimum=0.0))


def zero_based(activities: pd.DataFrame, cap) -> pd.DataFrame:
    """
    Zero-based budget: activities ranked by expected return per cost, funded down to the cap.

    Parameters
    ----------
    activities : DataFrame
        One row per activity: ``activity`` (unique name), ``cost`` (positive) and
        ``expected_return`` (the contribution it is expected to bring).
    cap : float
        The money available (non-negative).

    Returns
    -------
    DataFrame
        ``rank`` (1 = best), ``activity``, ``cost``, ``expected_return``,
        ``return_per_cost``, ``cumulative_cost`` and ``funded`` (bool), best first,
        on a fresh 0..n-1 index.

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
    cumulative_cost_k = sum of cost over ranks 1..k, and an activity is funded iff
    cumulative_cost_k <= cap. Each activity is funded whole or not at all, and funding
    stops at the first that does not fit (a cut-off line: a cheaper, lower-ranked
    activity is never funded ahead of a better one), so part of the cap may stay unspent.
    """
    missing = [c for c in ("activity", "cost", "expected_return") if c not in activities.columns]
    if missing:
        raise DataError(f"activities need columns activity, cost, expected_return; missing {', '.join(missing)}")
    c = _number(cap, "cap", minimum=0.0)
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
    out["funded"] = out["cumulative_cost"].to_numpy() <= c + _EPS * max(1.0, c)
    return out


def marginal_headcount(expected_contribution: Sequence[float], cost_per_head) -> int:
    """
    Salespeople to add: each must bring more contribution than they cost.

    Parameters
    ----------
    expected_contribution : sequence of float
        Element k is the expected extra contribution of the (k+1)-th extra salesperson;
        non-increasing (diminishing returns).
    cost_per_head : float
        The full yearly cost of one salesperson (non-negative).

    Returns
    -------
    int
        The number of salespeople to add.

    Raises
    ------
    ParamsError
        If the contributions increase anywhere or are not finite, or the cost is negative.

    Notes
    -----
    n = max { k : contribution_j > cost for all j <= k }: people are added while the
    marginal contribution exceeds the marginal cost. A salesperson who only breaks
    even (contribution == cost) is not added.
    """
    cost = _number(cost_per_head, "cost_per_head", minimum=0.0)
    try:
        contrib = np.asarray(list(expected_contribution), dtype=float)
    except (TypeError, ValueError):
        raise ParamsError("expected_contribution must be a sequence of numbers") from None
    if contrib.ndim != 1 or not np.isfinite(contrib).all():
        raise ParamsError("expected_contribution must be a flat sequence of finite numbers")
    rises = np.nonzero(np.diff(contrib) > 0)[0]
    if len(rises):
        k = int(rises[0])
        raise ParamsError(
            f"expected_contribution must not increase: salesperson {k + 2} ({_fmt(contrib[k + 1])}) "
            f"is expected to bring more than salesperson {k + 1} ({_fmt(contrib[k])})"
        )
    return int((contrib > cost).sum())


# -- objective-task: channel fees terminal by terminal ---------------------------------------
_PER_NEW_TERMINAL = frozenset({"slotting"})
"""Channel items charged once per new terminal (entry / slotting fees)."""
_ON_TARGET_REVENUE = frozenset({"year_end_rebate"})
"""Channel items set as a fraction of the region's target revenue (distributor-level)."""
_FEE_COLUMNS = ("region_id", "terminal_id", "category", "item", "amount", "method")


def _class_rates(item: str, rate) -> dict[str, float] | float:
    """A per-terminal rate: one amount for every class, or a mapping class -> amount."""
    if isinstance(rate, Mapping):
        if not rate:
            raise ParamsError(f"rates.{item} names no terminal class")
        return {str(c): _number(v, f"rates.{item}.{c}", minimum=0.0) for c, v in rate.items()}
    return _number(rate, f"rates.{item}", minimum=0.0)


def objective_task(terminal_targets: pd.DataFrame, *, rates: Mapping, unit=0.01, extra=None) -> pd.DataFrame:
    """
    Channel fees built terminal by terminal from the split targets (objective-task method).

    Parameters
    ----------
    terminal_targets : DataFrame
        One row per core (A/B) terminal of the plan: ``region_id`` (the county or
        township), ``terminal_id``, ``terminal_class``, ``is_new`` (bool: the terminal
        did not buy last year, so it pays an entry fee) and, when ``year_end_rebate`` is
        rated, ``target_revenue`` (annual). Rows with no ``terminal_id`` are region-level
        target lines (e.g. the rest sold through distributors): they count for the
        rebate only. Other columns (``target_volume`` …) are ignored.
    rates : mapping
        Channel item -> rate, e.g. ``{"display": {"A": 2400, "B": 1200},
        "promoter_wages": {"A": 36000, "B": 0}, "slotting": {"A": 5000, "B": 3000},
        "year_end_rebate": 0.02}``. ``slotting``: an amount per new terminal by class;
        ``year_end_rebate``: a fraction of the region's target revenue; any other
        channel item (``display``, ``promoter_wages``, ``event_gifts``, a company's own):
        an amount per terminal per year by class. A single number instead of a class
        mapping applies to every class.
    unit : float, default 0.01
        Rounding unit of the amounts (cents).
    extra : mapping, optional
        The company's catalogue extension (see :func:`catalogue`): its channel items
        may be rated too.

    Returns
    -------
    DataFrame
        ``region_id, terminal_id, category, item, amount, method`` with category
        ``"channel"`` and method ``"objective_task"``: one row per terminal and item
        with a positive fee, then one rebate row per region with ``terminal_id``
        missing; sorted by region, terminal, item (catalogue order). Rows whose fee is
        zero are left out.

    Raises
    ------
    DataError
        If a column is missing, a terminal id repeats, a terminal row has no class or
        no ``is_new`` flag, or a target revenue is negative or not a number.
    ParamsError
        If an item is not a channel item (the valid ones are listed), a rate is
        negative or not a number, the rebate fraction is above 1, or a terminal class in
        the frame has no rate for an item (the item, class and terminals are named).

    Notes
    -----
    For terminal t of class c_t in region r, with rates R_i[c]:

    - per-terminal item i: fee_{t,i} = R_i[c_t];
    - slotting: fee_t = R_slotting[c_t] x 1[is_new_t];
    - year_end_rebate: fee_r = rho x sum of target_revenue over region r's rows.

    Each fee is rounded to the unit (half to even); the region's channel budget is the
    sum of its rows.
    """
    what = "terminal_targets"
    u = _unit(unit)
    if not isinstance(rates, Mapping):
        raise ParamsError(f"rates must map channel item -> rate, got {type(rates).__name__}")
    channel_items = list(catalogue(extra)["channel"]["items"])
    unknown = [str(i) for i in rates if i not in channel_items]
    if unknown:
        raise ParamsError(f"rates name items that are not channel items: {', '.join(unknown)}; "
                          f"valid items: {', '.join(channel_items)}")  # fmt: skip
    rated = [i for i in channel_items if i in rates]  # catalogue order
    item_rates = {i: _class_rates(i, rates[i]) for i in rated if i not in _ON_TARGET_REVENUE}
    rebate = next((i for i in rated if i in _ON_TARGET_REVENUE), None)
    rho = 0.0
    if rebate:
        rho = _number(rates[rebate], f"rates.{rebate}", minimum=0.0)
        if rho > 1:
            raise ParamsError(f"rates.{rebate} is a fraction of target revenue (0.02 for 2%), got {rho:g}")
    required = ["region_id", "terminal_id", "terminal_class", "is_new"] + (["target_revenue"] if rebate else [])
    _frame(terminal_targets, required, what)
    frame = terminal_targets.reset_index(drop=True)
    regions = _id_col(frame, "region_id", what)
    is_terminal = frame["terminal_id"].notna().to_numpy()
    terminals = frame["terminal_id"][is_terminal].astype("str").reset_index(drop=True)
    dup = terminals[terminals.duplicated()].unique()
    if len(dup):
        raise DataError(f"{what}: terminals listed more than once: {_listing(dup)}")
    t_region = regions[is_terminal].reset_index(drop=True)
    classes = frame["terminal_class"][is_terminal].reset_index(drop=True)
    no_class = classes.isna().to_numpy()
    if no_class.any():
        raise DataError(f"{what}: terminal_class is missing for terminals {_listing(terminals[no_class])}")
    flag_col = frame["is_new"][is_terminal]
    if pd.api.types.is_bool_dtype(flag_col.dtype) and not flag_col.hasnans:
        new = flag_col.to_numpy(dtype=bool)
    else:
        flags = flag_col.to_numpy(dtype=object)
        bad_flag = np.array([not isinstance(f, bool | np.bool_) for f in flags], dtype=bool)
        if bad_flag.any():
            raise DataError(f"{what}: is_new must be True or False; not so for terminals {_listing(terminals[bad_flag])}")
        new = flags.astype(bool)
    c_code, c_names = pd.factorize(classes.astype("str"))
    c_names = [str(c) for c in c_names]

    per_class = {}
    problems = []
    for item, rate in item_rates.items():
        if isinstance(rate, dict):
            per_class[item] = np.array([rate.get(c, np.nan) for c in c_names], dtype=float)
        else:
            per_class[item] = np.full(len(c_names), rate)
        absent = np.flatnonzero(np.isnan(per_class[item]))
        if len(absent):
            where = np.isin(c_code, absent)
            problems.append(
                f"rates.{item} has no rate for terminal class {', '.join(c_names[i] for i in absent)} "
                f"(terminals {_listing(terminals[where])})"
            )
    if problems:
        raise ParamsError("; ".join(problems))

    # one entry per (terminal, item) with a fee, then one per region with a rebate
    order = {item: n for n, item in enumerate(channel_items)}
    pos, item_no, k = [], [], []
    for item, by_class in per_class.items():
        amount = by_class[c_code] if len(c_code) else np.zeros(0)
        if item in _PER_NEW_TERMINAL:
            amount = np.where(new, amount, 0.0)
        units = np.rint(amount / u).astype(np.int64)
        keep = np.flatnonzero(units > 0)
        pos.append(keep)
        item_no.append(np.full(len(keep), order[item]))
        k.append(units[keep])
    pos = np.concatenate(pos) if pos else np.zeros(0, dtype=np.int64)
    item_no = np.concatenate(item_no) if item_no else np.zeros(0, dtype=np.int64)
    k = np.concatenate(k) if k else np.zeros(0, dtype=np.int64)
    r_code, r_names = pd.factorize(regions, sort=True)
    t_rank = pd.factorize(terminals, sort=True)[0]
    region_no, terminal_no, is_rebate = r_code[is_terminal][pos], t_rank[pos], np.zeros(len(pos), dtype=bool)
    region_ids = [t_region.take(pos)]
    terminal_ids = [terminals.take(pos)]
    if rebate:
        revenue = _float_col(frame, "target_revenue", what, regions, minimum=0.0)
        per_region = np.bincount(r_code, weights=revenue, minlength=len(r_names))
        units = np.rint(per_region * rho / u).astype(np.int64)
        keep = np.flatnonzero(units > 0)
        region_no = np.concatenate([region_no, keep])
        terminal_no = np.concatenate([terminal_no, np.zeros(len(keep), dtype=np.int64)])
        is_rebate = np.concatenate([is_rebate, np.ones(len(keep), dtype=bool)])
        item_no = np.concatenate([item_no, np.full(len(keep), order[rebate])])
        k = np.concatenate([k, units[keep]])
        region_ids.append(pd.Series(r_names.take(keep), dtype="str"))
        terminal_ids.append(pd.Series(np.full(len(keep), np.nan, dtype=object), dtype="str"))
    rows = np.lexsort((item_no, terminal_no, is_rebate, region_no))
    names = [n for n, _ in sorted(order.items(), key=lambda kv: kv[1])]
    return pd.DataFrame(
        {
            "region_id": pd.concat(region_ids, ignore_index=True).take(rows).to_numpy(),
            "terminal_id": pd.concat(terminal_ids, ignore_index=True).astype("str").take(rows).to_numpy(),
            "category": "channel",
            "item": pd.Series(np.asarray(names, dtype=object)[item_no[rows]], dtype="str"),
            "amount": _from_units(k[rows], u),
            "method": "objective_task",
        },
        columns=list(_FEE_COLUMNS),
    )


def fees_by_region(fees: pd.DataFrame, *, unit=0.01) -> pd.DataFrame:
    """
    Objective-task fees summed per region and item.

    Parameters
    ----------
    fees : DataFrame
        :func:`objective_task` rows (any frame with ``region_id, terminal_id, item,
        amount``).
    unit : float, default 0.01
        The amounts' unit; sums are exact in whole units.

    Returns
    -------
    DataFrame
        ``region_id, item, terminals, amount, share``: ``terminals`` is the number of
        terminal rows (0 for the rebate), ``share`` the item's share of the region's
        channel fees (0 when the region's fees are all zero). Sorted by region, then
        items in catalogue order (others after, alphabetically).

    Raises
    ------
    DataError
        If a column is missing or an amount is negative, not a number or not a whole
        number of units.

    Notes
    -----
    amount_{r,i} = sum over rows of (r, i); share_{r,i} = amount_{r,i} / sum_i amount_{r,i}.
    """
    what = "fees"
    u = _unit(unit)
    _frame(fees, ["region_id", "terminal_id", "item", "amount"], what)
    regions = _id_col(fees, "region_id", what)
    items = _id_col(fees, "item", what)

    def labels(bad):
        return (regions[bad] + "/" + items[bad]).tolist()

    k = _whole_units(_float_col(fees, "amount", what, labels, minimum=0.0), u, what, labels)
    frame = pd.DataFrame({"region_id": regions, "item": items, "_k": k,
                          "_n": fees["terminal_id"].notna().to_numpy(dtype=np.int64)})  # fmt: skip
    g = frame.groupby(["region_id", "item"], sort=True, as_index=False)[["_k", "_n"]].sum()
    order = {item: n for n, item in enumerate(c for e in ITEM_CATALOGUE.values() for c in e["items"])}
    g["_o"] = g["item"].map(order).fillna(len(order))
    g = g.sort_values(["region_id", "_o", "item"], kind="mergesort")
    total = g.groupby("region_id")["_k"].transform("sum").to_numpy()
    kk = g["_k"].to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            "region_id": g["region_id"].to_numpy(),
            "item": g["item"].to_numpy(),
            "terminals": g["_n"].to_numpy(dtype=np.int64),
            "amount": _from_units(kk, u),
            "share": np.divide(kk, total, out=np.zeros(len(kk)), where=total > 0),
        }
    )


# -- input-output: response curves and the spend where it returns most ------------------------
_CURVES = ("exponential", "linear", "zero")
_CURVE_COLUMNS = ("kind", "curve", "a", "b", "slope", "n_points", "n_excluded", "fallback", "note")
_B_BOUNDS = (0.1, 100.0)  # b within [0.1 x smallest, 100 x largest] observed cost


def _exp_curve(x, a, b):
    return a * -np.expm1(-x / b)


def _lift_revenue(history: pd.DataFrame) -> np.ndarray:
    """``lift_revenue``, or ``window_revenue - baseline_revenue`` as :func:`planlib.spend.activity_lift` has it."""
    if "lift_revenue" in history.columns:
        cols = ["lift_revenue"]
    elif {"window_revenue", "baseline_revenue"} <= set(history.columns):
        cols = ["window_revenue", "baseline_revenue"]
    else:
        raise DataError(
            "history needs lift_revenue, or window_revenue and baseline_revenue "
            "(planlib.spend.activity_lift's columns)"
        )
    try:
        values = [history[c].to_numpy(dtype=float, na_value=np.nan) for c in cols]
    except (TypeError, ValueError):
        raise DataError(f"history: {', '.join(cols)} must hold numbers") from None
    return values[0] if len(values) == 1 else values[0] - values[1]


def fit_response(history: pd.DataFrame, *, min_points: int = 3) -> pd.DataFrame:
    """
    Fit a diminishing-returns response curve per activity kind to past spend and lift.

    Parameters
    ----------
    history : DataFrame
        One row per past activity: ``kind``, ``cost`` and ``lift_revenue`` (extra
        revenue against the baseline) — or :func:`planlib.spend.activity_lift`'s output
        as is, whose ``window_revenue - baseline_revenue`` is the lift. Rows whose lift
        could not be measured (NaN) or whose cost is not positive are left out and
        counted.
    min_points : int, default 3
        The fewest measured activities (with at least two different costs) a kind needs
        for a curve to be fitted.

    Returns
    -------
    DataFrame
        One row per kind, sorted: ``kind``, ``curve`` (``exponential``, ``linear`` or
        ``zero``), ``a``, ``b`` (the exponential's ceiling and spend scale; 0 for the
        others), ``slope`` (the return of the first yuan: a / b, or the linear slope),
        ``n_points`` (activities used), ``n_excluded`` (left out: unmeasured or no
        cost), ``fallback`` (bool) and ``note`` (why a fallback was used; empty
        otherwise). No value is NaN.

    Raises
    ------
    DataError
        If ``kind`` or ``cost`` or the lift columns are missing or not numbers.
    ParamsError
        If ``min_points`` is below 2.

    Notes
    -----
    The curve is exponential saturation, lift(s) = a (1 - exp(-s / b)) with a >= 0 the
    lift that unlimited spend approaches and b > 0 the spend that reaches 63% of it;
    the marginal return is lift'(s) = (a / b) exp(-s / b), falling with every yuan.
    It is fitted by least squares with ``scipy.optimize.curve_fit`` (trust-region
    reflective, bounds a >= 0 and 0.1 min(cost) <= b <= 100 max(cost)) on costs and
    lifts scaled by their maxima.

    Fallbacks, flagged: a kind with fewer than ``min_points`` measured activities,
    fewer than two distinct costs, a fit that fails or gives no response, or a fit
    with b at its lower bound (the lift does not grow with spend where spend was
    observed) gets the line through the origin lift(s) = m s with
    m = sum(lift) / sum(cost), the mean return per yuan — or the zero curve when
    m <= 0 or nothing was measured. A kind whose measured lifts are all <= 0 gets the
    zero curve. A fit with b at its upper bound shows no diminishing return over the
    observed spend (within 0.5%): it becomes the line of slope a / b, flagged.
    """
    _frame(history, ["kind", "cost"], "history")
    if isinstance(min_points, bool) or not isinstance(min_points, int | np.integer) or min_points < 2:
        raise ParamsError(
            f"min_points must be an integer of at least 2 (two parameters are fitted), got {min_points!r}"
        )
    kinds = _ids(history, "kind", "history")
    try:
        cost = history["cost"].to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise DataError("history: cost must hold numbers") from None
    lift = _lift_revenue(history)
    usable = np.isfinite(cost) & (cost > 0) & np.isfinite(lift)
    rows = []
    for kind in sorted(set(kinds)):
        mine = kinds == kind
        x, y = cost[mine & usable], lift[mine & usable]
        n, excluded = len(x), int((mine & ~usable).sum())

        def fallback(why: str, x=x, y=y, n=n, excluded=excluded, kind=kind):
            m = float(y.sum() / x.sum()) if n else 0.0
            if m > 0:
                return (kind, "linear", 0.0, 0.0, m, n, excluded, True,
                        f"{why}: line through the origin at the mean return {m:.4g} per yuan")  # fmt: skip
            return (kind, "zero", 0.0, 0.0, 0.0, n, excluded, True, f"{why}: no response assumed")

        if n == 0:
            rows.append(fallback("no measured activity"))
            continue
        if (y <= 0).all():
            rows.append(fallback(f"no positive lift in {n} measured activities"))
            continue
        if n < min_points or len(np.unique(x)) < 2:
            rows.append(fallback(f"too few to fit a curve: {n} measured activities at {len(np.unique(x))} "
                                 f"distinct costs (needs {min_points} at 2 or more)"))  # fmt: skip
            continue
        sx, sy = float(x.max()), float(np.abs(y).max())
        X, Y = x / sx, y / sy
        lo, hi = _B_BOUNDS[0] * float(X.min()), _B_BOUNDS[1]
        p0 = (max(float(Y.max()), 1e-3) * 1.5, min(max(float(np.median(X)), 2 * lo), hi / 2))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", OptimizeWarning)  # covariance only; not used
                popt, _ = curve_fit(_exp_curve, X, Y, p0=p0, bounds=([0.0, lo], [np.inf, hi]), maxfev=20_000)
        except (RuntimeError, ValueError) as err:
            rows.append(fallback(f"the fit failed ({err})"))
            continue
        a, b = float(popt[0]) * sy, float(popt[1]) * sx
        if not (math.isfinite(a) and math.isfinite(b)) or a <= 0 or b <= 0:
            rows.append(fallback("the fit gave no response"))
        elif popt[1] <= lo * 1.01:
            rows.append(fallback("lift does not rise with spend over the observed range (the curve would "
                                 "saturate below the smallest spend)"))  # fmt: skip
        elif popt[1] >= hi * 0.99:
            rows.append((kind, "linear", 0.0, 0.0, a / b, n, excluded, True,
                         "no diminishing return visible over the observed spend: the fitted curve is a line "
                         f"with return {a / b:.4g} per yuan"))  # fmt: skip
        else:
            rows.append((kind, "exponential", a, b, a / b, n, excluded, False, ""))
    out = pd.DataFrame(rows, columns=list(_CURVE_COLUMNS))
    return out.astype({"a": float, "b": float, "slope": float, "n_points": np.int64, "n_excluded": np.int64,
                       "fallback": bool})  # fmt: skip


def _curves(curves: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validated (kind, curve, a, b, slope) arrays of a :func:`fit_response` frame."""
    what = "curves"
    _frame(curves, ["kind", "curve", "a", "b", "slope"], what)
    kinds = _ids(curves, "kind", what)
    dup = pd.Index(kinds)[pd.Index(kinds).duplicated()].unique()
    if len(dup):
        raise ParamsError(f"{what}: kinds named more than once: {_listing(dup)}")
    shape = _ids(curves, "curve", what)
    bad = ~np.isin(shape, _CURVES)
    if bad.any():
        raise ParamsError(f"{what}: unknown curve for {_listing(kinds[bad])}; valid curves: {', '.join(_CURVES)}")
    a = _float_col(curves, "a", what, kinds, minimum=0.0)
    b = _float_col(curves, "b", what, kinds, minimum=0.0)
    slope = _float_col(curves, "slope", what, kinds, minimum=0.0)
    bad = (shape == "exponential") & (b <= 0)
    if bad.any():
        raise ParamsError(f"{what}: an exponential curve needs b > 0; not so for {_listing(kinds[bad])}")
    return kinds, shape, a, b, slope


def _lift_and_marginal(shape, a, b, slope, s):
    """Lift and marginal return of each curve at spend ``s`` (arrays of equal length)."""
    expo = shape == "exponential"
    linear = shape == "linear"
    bb = np.where(expo, b, 1.0)
    lift = np.where(expo, a * -np.expm1(-s / bb), np.where(linear, slope * s, 0.0))
    marginal = np.where(expo, a / bb * np.exp(-s / bb), np.where(linear, slope, 0.0))
    return lift, marginal


def predicted_lift(curves: pd.DataFrame, spend) -> pd.DataFrame:
    """
    The fitted curves evaluated at given spends.

    Parameters
    ----------
    curves : DataFrame
        :func:`fit_response` output (``kind, curve, a, b, slope``).
    spend : float, sequence of float or Series
        Spends to evaluate every kind at (e.g. a grid for a figure); a Series indexed by
        kind gives each kind its own spend (kinds missing from it get 0).

    Returns
    -------
    DataFrame
        ``kind, spend, lift, marginal_return``: one row per kind and spend, kinds in the
        curves' order.

    Raises
    ------
    ParamsError
        If a spend is negative or not a number, or a curve is invalid.

    Notes
    -----
    exponential: lift = a (1 - exp(-s / b)), marginal = (a / b) exp(-s / b);
    linear: lift = slope x s, marginal = slope; zero: both 0.
    """
    kinds, shape, a, b, slope = _curves(curves)
    if isinstance(spend, pd.Series):
        s = _amounts(spend.reindex(kinds, fill_value=0.0), "spend").to_numpy()
        idx = np.arange(len(kinds))
    else:
        values = np.atleast_1d(np.asarray(spend, dtype=float))
        if values.ndim != 1 or (~np.isfinite(values)).any() or (values < 0).any():
            raise ParamsError("spend must be non-negative finite numbers")
        idx = np.repeat(np.arange(len(kinds)), len(values))
        s = np.tile(values, len(kinds))
    lift, marginal = _lift_and_marginal(shape[idx], a[idx], b[idx], slope[idx], s)
    return pd.DataFrame({"kind": kinds[idx], "spend": s, "lift": lift, "marginal_return": marginal})


def allocate_spend(curves: pd.DataFrame, total, *, unit=0.01, limits: pd.Series | None = None) -> pd.DataFrame:
    """
    Spread a total over activity kinds where the predicted lift is largest (input-output).

    Parameters
    ----------
    curves : DataFrame
        :func:`fit_response` output (``kind, curve, a, b, slope``).
    total : float
        The money to spread (non-negative, a whole number of units).
    unit : float, default 0.01
        Rounding unit of the spends; largest-remainder rounding keeps the sum equal to
        ``total``.
    limits : Series, optional
        The most each kind may get, indexed by kind (kinds not in it are unlimited) —
        e.g. a multiple of the largest spend ever observed, so that a curve is not
        trusted far beyond its data. Rounded down to whole units.

    Returns
    -------
    DataFrame
        ``kind, spend, lift, marginal_return, return_per_cost`` in the curves' order:
        the spend per kind (summing exactly to ``total``), its predicted lift, the
        marginal return of the last yuan there and lift / spend (0 where nothing is
        spent). At the optimum the funded kinds below their limit share one marginal
        return, every unfunded kind's is no higher and every kind at its limit's no lower.

    Raises
    ------
    BudgetError
        If ``total`` > 0 and no kind responds to spend (all curves zero), the responding
        kinds' limits add up to less than the total (by how much is given), or the
        optimiser does not converge (its message is given).
    ParamsError
        If the total, unit or a limit is invalid, the total is not a whole number of
        units, or a curve is invalid.

    Notes
    -----
    Maximises sum_i lift_i(s_i) subject to sum_i s_i = T and 0 <= s_i <= L_i with
    ``scipy.optimize.minimize`` (SLSQP, analytic gradients) on the shares s_i / T. Each
    lift_i is concave, so the optimum is global and satisfies the Kuhn-Tucker
    conditions: lift_i'(s_i) = lambda where 0 < s_i < L_i, lift_i'(0) <= lambda where
    s_i = 0 and lift_i'(L_i) >= lambda where s_i = L_i. For exponential curves a kind
    funded below its limit gets s_i = b_i ln(a_i / (b_i lambda)); with two such kinds
    and no limit binding, s_1 = (T / b_2 + ln(a_1 b_2 / (a_2 b_1))) / (1 / b_1 + 1 / b_2).
    Kinds with the zero curve are given nothing. The optimum is rounded to the unit by
    largest remainder (:func:`planlib.split.round_to_total`), so the spends sum to T
    exactly and none exceeds its limit; lift and marginal return are reported at the
    rounded spends.
    """
    kinds, shape, a, b, slope = _curves(curves)
    t = _number(total, "total", minimum=0.0)
    u = _unit(unit)
    k_total = _to_units(t, u, "total")
    cap = np.full(len(kinds), np.inf)
    if limits is not None:
        lim = _amounts(limits, "limits")
        unknown = [str(k) for k in lim.index if k not in set(kinds)]
        if unknown:
            raise ParamsError(f"limits name kinds without a curve: {', '.join(unknown)}")
        cap = np.floor(lim.reindex(kinds).fillna(np.inf).to_numpy(dtype=float) / u + 1e-9)  # in units
    k = np.zeros(len(kinds), dtype=np.int64)
    if k_total > 0:
        live = (((shape == "exponential") & (a > 0)) | ((shape == "linear") & (slope > 0))) & (cap > 0)
        if not live.any():
            raise BudgetError(
                f"input-output cannot place {_fmt(t)}: no activity kind responds to spend"
                f"{' within its limit' if limits is not None else ''} ({_listing(kinds) or 'no kinds'})"
            )
        room = float(cap[live].sum())
        if room < k_total:
            raise BudgetError(
                f"input-output cannot place {_fmt(t)}: the responding kinds' limits add up to "
                f"{_fmt(room * u)}, {_fmt((k_total - room) * u)} short of the total"
            )
        sh, aa, bb, mm = shape[live], a[live], b[live], slope[live]
        upper = np.minimum(1.0, cap[live] / k_total)
        _, m0 = _lift_and_marginal(sh, aa, bb, mm, np.zeros(live.sum()))
        scale = float(m0.max()) * t  # objective in units of the best first-yuan return on T

        def negative_lift(x):
            lift, marginal = _lift_and_marginal(sh, aa, bb, mm, x * t)
            return -lift.sum() / scale, -marginal * t / scale

        x0 = upper / upper.sum()
        res = minimize(
            negative_lift,
            np.minimum(x0, upper),
            jac=True,
            method="SLSQP",
            bounds=list(zip(np.zeros(len(upper)), upper)),
            constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1.0, "jac": lambda x: np.ones_like(x)}],
            options={"ftol": 1e-14, "maxiter": 1000},
        )
        if not res.success:
            raise BudgetError(f"input-output: the optimiser did not converge placing {_fmt(t)} ({res.message})")
        x = np.clip(res.x, 0.0, upper)
        x[x < 1e-9] = 0.0
        units = np.zeros(len(kinds))
        units[live] = np.minimum(x * k_total, cap[live])
        full = units >= cap - 1e-6  # at the limit: exactly the limit, the rest rounded around it
        k[full] = cap[full]
        rest = k_total - int(k.sum())
        if rest > 0:
            k[~full] = round_to_total(units[~full], rest, unit=1)
    spent = _from_units(k, u)
    s = np.asarray(spent, dtype=float)
    lift, marginal = _lift_and_marginal(shape, a, b, slope, s)
    return pd.DataFrame(
        {
            "kind": kinds,
            "spend": spent,
            "lift": lift,
            "marginal_return": marginal,
            "return_per_cost": np.divide(lift, s, out=np.zeros(len(s)), where=s > 0),
        }
    )


BUDGET_METHODS: Mapping[str, Callable] = MappingProxyType(
    {
        "percent_of_sales": percent_of_sales,
        "benchmark": benchmark,
        "zero_based": zero_based,
        "marginal": marginal_headcount,
        "objective_task": objective_task,
        "input_output": allocate_spend,
    }
)
"""The budgeting methods by the names the field (and the params) use; ``input_output`` allocates
over curves from :func:`fit_response`."""


def budget_for(method: str, /, *args, **kwargs):
    """
    Run a budgeting method by its name in :data:`BUDGET_METHODS`.

    Parameters
    ----------
    method : str
        ``percent_of_sales``, ``benchmark``, ``zero_based``, ``marginal``,
        ``objective_task`` or ``input_output`` (:func:`allocate_spend`).
    *args, **kwargs
        Passed on to the method.

    Returns
    -------
    float, int or DataFrame
        Whatever the method returns.

    Raises
    ------
    ParamsError
        If the method is unknown; the message lists the valid names.
    """
    try:
        fn = BUDGET_METHODS[method]
    except (KeyError, TypeError):
        raise ParamsError(
            f"unknown budget method {method!r}; valid methods: {', '.join(BUDGET_METHODS)}"
        ) from None
    return fn(*args, **kwargs)


# -- 4. caps and tolerance -------------------------------------------------------------------
def apply_cap(budget: pd.Series, cap, *, unit=0.01) -> pd.Series:
    """
    Scale a budget down proportionally so that its total equals the cap exactly.

    Parameters
    ----------
    budget : Series
        Non-negative amounts indexed by item.
    cap : float
        The most the total may be (non-negative).
    unit : float, default 0.01
        Rounding unit of the scaled amounts (cents).

    Returns
    -------
    Series
        A new Series, same index and name. Unchanged if the total is within the cap;
        else amounts in whole units summing exactly to the cap (to floor(cap / unit)
        units when the cap is not itself a multiple of the unit).

    Raises
    ------
    ParamsError
        If an amount is negative or not a number, or the cap or unit is invalid.

    Notes
    -----
    With total T > cap C: b'_i = b_i x C / T, rounded in units by largest remainder
    (:func:`planlib.split.round_to_total` on integer units), so sum(b') = C exactly and
    each item moves by less than one unit from its exact proportional value; ties in
    the remainder go to the lower item label.
    """
    b = _amounts(budget)
    c = _number(cap, "cap", minimum=0.0)
    u = _unit(unit)
    if float(b.sum()) <= c:
        return b.copy()
    k_cap = math.floor(c / u + _EPS * max(1.0, c / u))
    k = round_to_total(b / u, k_cap, unit=1)  # a Series: remainder ties go to the lower label
    return pd.Series(_from_units(k.to_numpy(), u), index=b.index, name=b.name)


def check_cap(budget: pd.Series, cap) -> float:
    """
    Check that a budget's total stays within its cap.

    Parameters
    ----------
    budget : Series
        Non-negative amounts indexed by item.
    cap : float
        The most the total may be.

    Returns
    -------
    float
        The budget's total, when within the cap.

    Raises
    ------
    BudgetError
        If the total exceeds the cap; the message gives the total, the cap and the
        amount over.

    Notes
    -----
    over = sum(budget) - cap; an error when over > 0 (beyond float noise).
    """
    b = _amounts(budget)
    c = _number(cap, "cap", minimum=0.0)
    total = float(b.sum())
    over = total - c
    if over > _EPS * max(1.0, abs(c)):
        raise BudgetError(f"budget total {_fmt(total)} exceeds the cap {_fmt(c)} by {_fmt(over)}")
    return total


def check_tolerance(original: pd.Series, revised: pd.Series, *, tolerance=0.1, cap=None) -> None:
    """
    Check an in-year revision: each item within ±tolerance, the total within the cap.

    Parameters
    ----------
    original : Series
        The approved budget by item.
    revised : Series
        The revised budget by item; an item missing here counts as 0, an item new here
        has an original of 0.
    tolerance : float, default 0.1
        How far an item may move, as a fraction of its original amount.
    cap : float, optional
        The most the revised total may be; default the original total (the total holds).

    Returns
    -------
    None

    Raises
    ------
    BudgetError
        Naming every item moved beyond the tolerance (from, to, by how much and by what
        share) and, if so, the revised total's amount over the cap — all in one message.
    ParamsError
        If an amount is negative or not a number, or the tolerance is negative.

    Notes
    -----
    Item i breaks the tolerance when |r_i - o_i| > tolerance x o_i (so any spend on an
    item with o_i = 0 does); the total breaks the cap when sum(r) > cap.
    """
    o = _amounts(original, "original")
    r = _amounts(revised, "revised")
    tol = _number(tolerance, "tolerance", minimum=0.0)
    items = o.index.union(r.index, sort=False)
    o, r = o.reindex(items, fill_value=0.0), r.reindex(items, fill_value=0.0)
    c = float(o.sum()) if cap is None else _number(cap, "cap", minimum=0.0)
    problems = []
    for item, before, after in zip(items, o.to_numpy(), r.to_numpy()):
        change = after - before
        if abs(change) > tol * before + _EPS * max(1.0, before):
            share = f"{change / before:+.1%}" if before > 0 else "new item"
            problems.append(
                f"{item} moved {'+' if change > 0 else '-'}{_fmt(abs(change))} ({share}, "
                f"from {_fmt(before)} to {_fmt(after)})"
            )
    total = float(r.sum())
    if total - c > _EPS * max(1.0, c):
        problems.append(f"revised total {_fmt(total)} exceeds the cap {_fmt(c)} by {_fmt(total - c)}")
    if problems:
        raise BudgetError(f"budget revision beyond the tolerance of ±{tol:.0%} or the cap: " + "; ".join(problems))


# -- 5. phasing ------------------------------------------------------------------------------
def phase_budget(annual: pd.Series, *, variable_items, month_shares: pd.Series, unit=0.01) -> pd.DataFrame:
    """
    Phase an annual budget by month: variable items seasonal, fixed items straight-line.

    Parameters
    ----------
    annual : Series
        Non-negative annual amounts indexed by item, each a multiple of ``unit``.
    variable_items : iterable of str
        Items that follow the target's seasonal split; all others are fixed.
    month_shares : Series
        Non-negative weights indexed by month 1..12 (e.g. the target's monthly split);
        normalised here.
    unit : float, default 0.01
        Rounding unit of the monthly amounts (cents).

    Returns
    -------
    DataFrame
        ``item, month, amount``: twelve rows per item in the order of ``annual``, months
        1..12; each item's months sum exactly to its annual amount.

    Raises
    ------
    ParamsError
        If a variable item is not in ``annual``, ``month_shares`` is not indexed by
        1..12, is negative, NaN or all zero while a variable item has an amount, or an
        annual amount is negative or not a multiple of ``unit``.

    Notes
    -----
    Variable item i: m_{i,t} = A_i x s_t / sum(s); fixed item: m_{i,t} = A_i / 12.
    Both are rounded in units by largest remainder (ties to the earlier month), so
    sum_t m_{i,t} = A_i exactly, and hence sum_i sum_t m_{i,t} = sum_i A_i.
    """
    a = _amounts(annual, "annual")
    u = _unit(unit)
    variable = set(pd.Index(list(variable_items)))
    unknown = sorted(map(str, variable - set(a.index)))
    if unknown:
        raise ParamsError(f"variable items not in the annual budget: {', '.join(unknown)}")
    if not isinstance(month_shares, pd.Series) or sorted(month_shares.index.tolist()) != list(range(1, 13)):
        raise ParamsError("month_shares must be a Series indexed by the months 1..12")
    s = month_shares.sort_index().to_numpy(dtype=float, na_value=np.nan)
    if (~np.isfinite(s)).any() or (s < 0).any():
        raise ParamsError("month_shares must be non-negative numbers")
    flat = np.ones(12)
    frames = []
    for item, amount in a.items():
        k = _to_units(float(amount), u, f"annual amount of {item}")
        weights = s if item in variable else flat
        if k > 0 and weights.sum() == 0:
            raise ParamsError(f"month_shares are all zero: cannot phase the variable item {item}")
        months = round_to_total(weights, k, unit=1) if k > 0 else np.zeros(12, dtype=np.int64)
        frames.append(
            pd.DataFrame({"item": item, "month": np.arange(1, 13, dtype=np.int64), "amount": _from_units(months, u)})
        )
    if not frames:
        return pd.DataFrame(
            {"item": pd.Series([], dtype=object), "month": pd.Series([], dtype=np.int64),
             "amount": pd.Series([], dtype=np.int64 if u.is_integer() else float)}
        )
    return pd.concat(frames, ignore_index=True)


# -- 6. past spend ---------------------------------------------------------------------------
_NOT_PAID = ("no lift", "lift below cost", "not measurable")


def spend_roi(expenses: pd.DataFrame, activity_lifts: pd.DataFrame, *, monthly: pd.DataFrame) -> dict:
    """
    Past spend in the tables a budget report shows: what it was, and what it returned.

    The answer to a request for "a higher expense ratio" (DOMAIN.md §6, symptom 3):
    the expense ratio by category as it was, the return of each activity kind, and the
    activities whose spend did not pay.

    Parameters
    ----------
    expenses : DataFrame
        Archive expense rows of the region's subtree (``date, category, amount``).
    activity_lifts : DataFrame
        :func:`planlib.spend.activity_lift` output for the same regions (``activity_id,
        region_id, kind, start_date, end_date, cost, window_revenue, baseline_revenue,
        extra_margin, roi``).
    monthly : DataFrame
        Own sales by month of the same subtree (``year, revenue``;
        :func:`planlib.analysis.monthly_sales` rows).

    Returns
    -------
    dict of DataFrame
        ``by_category``: :func:`planlib.spend.expense_ratios` (``year, category, amount,
        revenue, ratio``, a ``全部`` row per year) plus ``share``, the category's share
        of the year's spend.

        ``by_kind``: one row per activity kind (schema order, others after) and a
        ``全部`` row: ``kind, activities, measured, cost, measured_cost, lift_revenue,
        extra_margin, return_per_cost, roi, not_paid, not_paid_cost``.

        ``did_not_pay``: the activities with ``roi <= 0`` or no measurable lift —
        ``activity_id, region_id, kind, start_date, end_date, cost, lift_revenue,
        extra_margin, roi, reason`` with reason ``no lift`` (window <= baseline),
        ``lift below cost`` (a lift whose margin did not cover the cost) or ``not
        measurable`` (the activity's months are not all in the history; its lift
        columns are NaN); largest cost first.

    Raises
    ------
    DataError
        If a column is missing or a cost is not a number.

    Notes
    -----
    ratio = sum amount / own revenue of the year (NaN when the revenue is zero);
    share = amount / the year's total spend (0 when that is zero).
    For a kind, over its measured activities M (finite extra margin):
    lift_revenue = sum_M (window - baseline); return_per_cost = sum_M extra_margin /
    sum_M cost, the margin each yuan brought back; roi = return_per_cost - 1, the
    definition of :func:`planlib.spend.activity_lift` (> 0: the spend paid). Both are NaN
    when nothing was measured (``measured`` is then 0). not_paid counts the activities
    with roi <= 0 or unmeasured, not_paid_cost their cost.
    """
    _frame(expenses, ["date", "category", "amount"], "expenses")
    _frame(monthly, ["year", "revenue"], "monthly")
    what = "activity_lifts"
    _frame(activity_lifts, ["activity_id", "region_id", "kind", "start_date", "end_date", "cost",
                            "window_revenue", "baseline_revenue", "extra_margin", "roi"], what)  # fmt: skip

    by_category = expense_ratios(expenses, monthly)
    year_total = by_category.loc[by_category["category"] == "全部"].set_index("year")["amount"]
    denominator = by_category["year"].map(year_total).to_numpy(dtype=float)
    amount = by_category["amount"].to_numpy(dtype=float)
    by_category = by_category.assign(
        share=np.divide(amount, denominator, out=np.zeros(len(amount)), where=denominator > 0)
    )

    lifts = activity_lifts
    ids = lifts["activity_id"].to_numpy(dtype=object)
    cost = _float_col(lifts, "cost", what, ids, minimum=0.0)
    try:
        window, base, extra, roi = (
            lifts[c].to_numpy(dtype=float, na_value=np.nan)
            for c in ("window_revenue", "baseline_revenue", "extra_margin", "roi")
        )
    except (TypeError, ValueError):
        raise DataError(f"{what}: window_revenue, baseline_revenue, extra_margin and roi must hold numbers") from None
    kinds = _ids(lifts, "kind", what) if len(lifts) else np.array([], dtype=object)
    measured = np.isfinite(extra) & np.isfinite(roi) & np.isfinite(window) & np.isfinite(base)
    lift_rev = np.where(measured, window - base, np.nan)
    paid = measured & (roi > 0)

    known = {k: n for n, k in enumerate(ACTIVITY_KINDS)}
    order = sorted(set(kinds), key=lambda k: (known.get(k, len(known)), k))

    def summary(mask, kind):
        m = mask & measured
        mc = float(cost[m].sum())
        em = float(extra[m].sum())
        rpc = em / mc if mc > 0 else np.nan
        return {
            "kind": kind,
            "activities": int(mask.sum()),
            "measured": int(m.sum()),
            "cost": float(cost[mask].sum()),
            "measured_cost": mc,
            "lift_revenue": float(lift_rev[m].sum()),
            "extra_margin": em,
            "return_per_cost": rpc,
            "roi": rpc - 1.0,
            "not_paid": int((mask & ~paid).sum()),
            "not_paid_cost": float(cost[mask & ~paid].sum()),
        }

    rows = [summary(kinds == k, k) for k in order] + [summary(np.ones(len(kinds), dtype=bool), "全部")]
    by_kind = pd.DataFrame(rows)

    reason = np.where(~measured, _NOT_PAID[2], np.where(lift_rev <= 0, _NOT_PAID[0], _NOT_PAID[1]))
    dnp = pd.DataFrame(
        {
            "activity_id": ids,
            "region_id": lifts["region_id"].to_numpy(dtype=object),
            "kind": kinds,
            "start_date": lifts["start_date"].to_numpy(),
            "end_date": lifts["end_date"].to_numpy(),
            "cost": cost,
            "lift_revenue": lift_rev,
            "extra_margin": np.where(measured, extra, np.nan),
            "roi": np.where(measured, roi, np.nan),
            "reason": reason,
        }
    )[~paid]
    dnp = dnp.assign(_id=dnp["activity_id"].astype(str)).sort_values(
        ["cost", "_id"], ascending=[False, True], kind="mergesort"
    )
    return {
        "by_category": by_category,
        "by_kind": by_kind,
        "did_not_pay": dnp.drop(columns="_id").reset_index(drop=True),
    }


# -- 7. the dual check -----------------------------------------------------------------------
_DUAL_FLAGS = {
    (True, True): "both met",
    (True, False): "sales met, profit missed",
    (False, True): "sales missed, profit met",
    (False, False): "both missed",
}


def dual_check(frame: pd.DataFrame, *, expense_ratio_threshold) -> pd.DataFrame:
    """
    The dual check per region: is the sales target reachable, and does the profit target hold at it.

    Companies beat the sales target and miss the profit target (DOMAIN.md §1) when
    nobody priced the plan; this puts both side by side with the expense ratio the
    budget implies.

    Parameters
    ----------
    frame : DataFrame
        One row per region: ``region_id``, ``target_volume``, ``target_revenue``
        (positive), ``reachable_volume`` (what the region can sell, e.g. its trend
        baseline x (1 + stretch) or its potential), ``budget`` (the expense budget),
        ``unit_variable_cost`` and ``profit_target``; optional ``fixed_cost`` (fixed
        costs outside the budget, default 0).
    expense_ratio_threshold : float
        The highest acceptable budget / target revenue (0.25 for 25%).

    Returns
    -------
    DataFrame
        One row per region, in the input's order: ``region_id, target_volume,
        reachable_volume, sales_reachable, target_revenue, variable_cost, fixed_cost,
        budget, profit_at_target, profit_target, profit_reachable, budget_limit,
        expense_ratio, over_threshold, flag``; flag is ``both met``, ``sales met, profit
        missed``, ``sales missed, profit met`` or ``both missed``.

    Raises
    ------
    DataError
        If a column is missing, a region repeats, a value is not a finite number, the
        target revenue is not positive or a volume, cost or budget is negative.
    ParamsError
        If the threshold is negative or not a number.

    Notes
    -----
    With V the target volume, R the target revenue, VC the unit variable cost, FC the
    fixed cost, B the budget and PT the profit target:

    - sales_reachable = V <= reachable_volume;
    - variable_cost = VC x V; profit_at_target = R - VC x V - FC - B;
    - profit_reachable = profit_at_target >= PT;
    - budget_limit = R - VC x V - FC - PT, the most the budget may be for PT to hold;
    - expense_ratio = B / R; over_threshold = expense_ratio > threshold.
    """
    what = "dual_check frame"
    _frame(frame, ["region_id", "target_volume", "target_revenue", "reachable_volume", "budget",
                   "unit_variable_cost", "profit_target"], what)  # fmt: skip
    thr = _number(expense_ratio_threshold, "expense_ratio_threshold", minimum=0.0)
    ids = _ids(frame, "region_id", what)
    dup = pd.Index(ids)[pd.Index(ids).duplicated()].unique()
    if len(dup):
        raise DataError(f"{what}: regions named more than once: {_listing(dup)}")
    v = _float_col(frame, "target_volume", what, ids, minimum=0.0)
    rev = _float_col(frame, "target_revenue", what, ids, minimum=0.0, strict=True)
    reach = _float_col(frame, "reachable_volume", what, ids, minimum=0.0)
    b = _float_col(frame, "budget", what, ids, minimum=0.0)
    vc = _float_col(frame, "unit_variable_cost", what, ids, minimum=0.0)
    pt = _float_col(frame, "profit_target", what, ids)
    fc = np.zeros(len(ids))
    if "fixed_cost" in frame.columns:
        fc = _float_col(frame, "fixed_cost", what, ids, minimum=0.0)
    variable = vc * v
    profit = rev - variable - fc - b
    sales_ok = v <= reach + _EPS * np.maximum(1.0, reach)
    profit_ok = profit - pt >= -_EPS * np.maximum(1.0, rev)
    ratio = b / rev
    return pd.DataFrame(
        {
            "region_id": ids,
            "target_volume": v,
            "reachable_volume": reach,
            "sales_reachable": sales_ok,
            "target_revenue": rev,
            "variable_cost": variable,
            "fixed_cost": fc,
            "budget": b,
            "profit_at_target": profit,
            "profit_target": pt,
            "profit_reachable": profit_ok,
            "budget_limit": rev - variable - fc - pt,
            "expense_ratio": ratio,
            "over_threshold": ratio > thr + _EPS,
            "flag": [_DUAL_FLAGS[(bool(s), bool(p))] for s, p in zip(sales_ok, profit_ok)],
        }
    )


# -- 8. consolidation ------------------------------------------------------------------------
_BUDGET_COLUMNS = ("region_id", "month", "category", "item", "terminal_id", "amount", "method")


def _budget_rows(frame, what: str, unit: float, tree: RegionTree, *, default_method: str | None = None) -> pd.DataFrame:
    """A tidy budget frame validated, with amounts as whole units in ``_k``."""
    required = ["region_id", "month", "category", "item", "amount"] + ([] if default_method else ["method"])
    _frame(frame, required, what)
    frame = frame.reset_index(drop=True)
    regions = _id_col(frame, "region_id", what)
    unknown = sorted(str(r) for r in regions.unique() if r not in tree)
    if unknown:
        raise HierarchyError(f"{what}: regions not in the region tree: {_listing(unknown)}")
    month = frame["month"].to_numpy(dtype=float, na_value=np.nan) if len(frame) else np.zeros(0)
    bad = ~np.isfinite(month) | (month != np.rint(month)) | (month < 1) | (month > 12)
    if bad.any():
        raise DataError(f"{what}: month must be 1..12; not so for regions {_listing(sorted(set(regions[bad])))}")
    category = _id_col(frame, "category", what)
    bad = ~category.isin(CATEGORIES).to_numpy()
    if bad.any():
        raise DataError(f"{what}: unknown categories {_listing(sorted(set(category[bad])))}; "
                        f"valid categories: {', '.join(CATEGORIES)}")  # fmt: skip
    item = _id_col(frame, "item", what)

    def labels(bad):
        return [f"{r} {c}.{i} month {int(m)}" for r, c, i, m in zip(regions[bad], category[bad], item[bad], month[bad])]

    k = _whole_units(_float_col(frame, "amount", what, labels, minimum=0.0), unit, what, labels)
    if "terminal_id" in frame.columns:
        terminal = frame["terminal_id"].astype("str")
    else:
        terminal = pd.Series(np.full(len(frame), np.nan, dtype=object), dtype="str")
    if "method" in frame.columns:
        method = _id_col(frame, "method", what)
    else:
        method = pd.Series(np.full(len(frame), default_method, dtype=object), dtype="str")
    return pd.DataFrame(
        {
            "region_id": regions,
            "month": month.astype(np.int64),
            "category": category,
            "item": item,
            "terminal_id": terminal,
            "_k": k,
            "method": method,
        }
    )


def consolidate(budgets: pd.DataFrame, tree: RegionTree, *, own_items: pd.DataFrame | None = None, unit=0.01,
                root: str | None = None) -> pd.DataFrame:  # fmt: skip
    """
    Consolidate budgets up the region tree: a parent's is its children's plus its own items.

    Parameters
    ----------
    budgets : DataFrame
        Tidy budgets of the planning units (e.g. the counties): ``region_id, month,
        category, item, amount, method`` and optional ``terminal_id`` (the
        terminal-level channel fees). A unit's budget covers its whole subtree, so no
        region below a unit may have rows here or in ``own_items``.
    tree : RegionTree
        :class:`planlib.hierarchy.RegionTree` of the archive.
    own_items : DataFrame, optional
        Items booked at a region itself — HQ, province or city offices (rent, media,
        their own staff) — with ``region_id, month, category, item, amount`` and
        optional ``terminal_id`` and ``method`` (default ``"own"``).
    unit : float, default 0.01
        The amounts' unit: sums are exact in whole units.
    root : str, optional
        The top of the consolidation (default the tree's root); every row must lie in
        its subtree.

    Returns
    -------
    DataFrame
        ``region_id, month, category, item, terminal_id, amount, method``. A planning
        unit's rows are its budget rows as given (terminal rows kept) followed by its
        own items. Every other region with budget rows in its subtree, up to ``root``,
        gets one row per (month, category, item) with ``terminal_id`` missing and method
        ``"consolidated"``. Regions in tree order, then month, category (schema order),
        item, terminal.

    Raises
    ------
    HierarchyError
        If a region is not in the tree or lies outside ``root``'s subtree.
    DataError
        If a column is missing, a month is not 1..12, a category is unknown, an amount
        is negative, not a number or not a whole number of units, or a planning unit
        has rows below it (its budget would be counted twice).

    Notes
    -----
    For region r and key (month, category, item):
    total_r = sum of r's own rows if r is a planning unit (budget and own items);
    otherwise total_r = own_r + sum over children c of total_c. Sums are taken in whole
    units (int64), so each parent equals the sum of its children plus its own items
    exactly, at every level, per month, category and item.
    """
    u = _unit(unit)
    b = _budget_rows(budgets, "budgets", u, tree)
    own = b.iloc[:0] if own_items is None else _budget_rows(own_items, "own_items", u, tree, default_method="own")
    top = tree.root if root is None else tree.check(root)
    units = set(b["region_id"].unique())
    sources = units | set(own["region_id"].unique())
    outside = sorted(sources - set(tree.subtree(top)))
    if outside:
        raise HierarchyError(f"budget rows for regions outside {top}'s subtree: {_listing(outside)}")
    nested = [f"{a} (above {r})" for r in sorted(sources) for a in tree.ancestors(r) if a in units]
    if nested:
        raise DataError(
            "a planning unit's budget covers its whole subtree, yet regions below it have rows: "
            f"{_listing(nested)}; book a parent's own items in own_items and leave its budget to consolidation"
        )
    keys = ["month", "category", "item"]
    base = pd.concat([f for f in (b, own) if len(f)], ignore_index=True) if len(own) else b
    agg = base.groupby(["region_id", *keys], sort=False, as_index=False)["_k"].sum()
    pairs = []
    for r in agg["region_id"].unique():
        chain = [] if r in units else [r]
        if r != top:
            for a in tree.ancestors(r):
                chain.append(a)
                if a == top:
                    break
        pairs.extend((r, a) for a in chain)
    mapping = pd.DataFrame(pairs, columns=["region_id", "_to"]).astype("str")
    up = agg.merge(mapping, on="region_id").groupby(["_to", *keys], sort=False, as_index=False)["_k"].sum()
    parents = pd.DataFrame(
        {
            "region_id": up["_to"],
            "month": up["month"].to_numpy(dtype=np.int64),
            "category": up["category"],
            "item": up["item"],
            "terminal_id": pd.Series(np.full(len(up), np.nan, dtype=object), dtype="str"),
            "_k": up["_k"].to_numpy(dtype=np.int64),
            "method": "consolidated",
        }
    )
    at_units = own[own["region_id"].isin(units).to_numpy()]
    out = pd.concat([f for f in (b, at_units, parents) if len(f)] or [b], ignore_index=True)
    # order: regions in tree order, month, category (schema order), item, terminal (none last), input order
    position = {r: n for n, r in enumerate(tree.ids)}
    r_code, r_names = pd.factorize(out["region_id"])
    region_no = np.array([position[r] for r in r_names], dtype=np.int64)[r_code]
    c_code, c_names = pd.factorize(out["category"])
    cat_no = np.array([CATEGORIES.index(c) for c in c_names], dtype=np.int64)[c_code]
    item_no = pd.factorize(out["item"], sort=True)[0]
    t_no = pd.factorize(out["terminal_id"], sort=True)[0]
    t_no = np.where(t_no < 0, np.iinfo(np.int64).max, t_no)
    rows = np.lexsort((np.arange(len(out)), t_no, item_no, cat_no, out["month"].to_numpy(), region_no))
    out = out.take(rows)
    return pd.DataFrame(
        {
            "region_id": out["region_id"].to_numpy(),
            "month": out["month"].to_numpy(dtype=np.int64),
            "category": out["category"].to_numpy(),
            "item": out["item"].to_numpy(),
            "terminal_id": out["terminal_id"].to_numpy(),
            "amount": _from_units(out["_k"].to_numpy(dtype=np.int64), u),
            "method": out["method"].to_numpy(),
        },
        columns=list(_BUDGET_COLUMNS),
    )
