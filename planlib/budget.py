"""
The expense budget: its structure, the budgeting methods, caps, phasing and cost-volume-profit.

DOMAIN.md §6 (Art. 1 §5, Art. 11). Every function is pure: it takes numbers, Series or tidy
frames and returns new ones; inputs are never changed.

Public names
------------
ITEM_CATALOGUE      the five categories, their items (code -> Chinese label), controllability
break_even          break-even volume and revenue, BEP = FC / (P - VC)
cvp                 cost-volume-profit at a volume: profit, margin of safety
sensitivity         profit under a price and a volume change (default -5% / -10%)
percent_of_sales    budget = revenue target x ratio
benchmark           budget = revenue target x a competitor's spend ratio (else a set ratio)
zero_based          activities ranked by return per cost, funded down to the cap
marginal_headcount  salespeople added while each one's contribution exceeds their cost
BUDGET_METHODS      the methods above by the field's names
budget_for          run a method by name (ParamsError listing the valid ones)
apply_cap           scale a budget down to its cap, summing exactly to it
check_cap           BudgetError naming the amount over the cap
check_tolerance     BudgetError naming each item moved beyond the tolerance, and the total over
phase_budget        an annual budget by month: variable items seasonal, fixed straight-line
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType

import numpy as np
import pandas as pd

from planlib.errors import BudgetError, DataError, ParamsError
from planlib.schemas import CATEGORY_NAMES_ZH
from planlib.split import round_to_total

__all__ = [
    "ITEM_CATALOGUE",
    "BUDGET_METHODS",
    "break_even",
    "cvp",
    "sensitivity",
    "percent_of_sales",
    "benchmark",
    "zero_based",
    "marginal_headcount",
    "budget_for",
    "apply_cap",
    "check_cap",
    "check_tolerance",
    "phase_budget",
]

_EPS = 1e-9  # relative float slack when comparing amounts with caps and tolerances


# -- 1. the structure ------------------------------------------------------------------------
def _category(category: str, controllability: str, items: dict[str, str]) -> Mapping:
    return MappingProxyType(
        {
            "name_zh": CATEGORY_NAMES_ZH[category],
            "controllability": controllability,
            "items": MappingProxyType(dict(items)),
        }
    )


ITEM_CATALOGUE: Mapping[str, Mapping] = MappingProxyType(
    {
        "labour": _category(
            "labour",
            "strong",
            {
                "wages": "工资",
                "welfare": "福利",
                "social_insurance": "社保",
                "training": "培训",
                "recruiting": "招聘",
            },
        ),
        "office": _category(
            "office",
            "strong",
            {
                "rent": "房租",
                "utilities": "水电",
                "office_supplies": "办公",
                "telecom": "通讯",
                "meetings": "会议",
                "hospitality": "招待",
                "depreciation": "折旧",
                "bad_debt": "坏账",
                "consumables": "低值易耗品",
                "travel": "差旅",
                "vehicles": "车辆",
                "freight": "运费",
                "taxes": "税金",
            },
        ),
        "media": _category(
            "media",
            "strong",
            {
                "tv": "电视",
                "radio": "电台",
                "newspaper": "报纸",
                "magazine": "杂志",
                "direct_mail": "DM",
                "vehicle_body": "车体",
                "outdoor": "户外",
            },
        ),
        "channel": _category(
            "channel",
            "weak",
            {
                "slotting_fees": "进场费",
                "display_fees": "陈列费",
                "promoter_wages": "促销员工资",
                "consumer_event_gifts": "消费者活动赠品",
                "distributor_rebates": "经销商年终返利",
            },
        ),
        "promotion": _category(
            "promotion",
            "weak",
            {
                "promo_materials": "促销物料",
                "temporary_promoters": "临时促销员",
                "premiums": "赠品",
            },
        ),
    }
)
"""
The five expense categories of DOMAIN.md §6, in ``schemas.CATEGORIES`` order.

``ITEM_CATALOGUE[category]`` has ``name_zh`` (the category's Chinese name),
``controllability`` (``"strong"``: predictable and controllable — labour, office, media;
``"weak"``: channel and promotion, which follow the terminals and the promotion strategy)
and ``items``, a mapping from the item's snake_case code to its Chinese label. Item codes
are unique across categories. Read-only: a company's extensions belong in its params.
"""


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


BUDGET_METHODS: Mapping[str, Callable] = MappingProxyType(
    {
        "percent_of_sales": percent_of_sales,
        "benchmark": benchmark,
        "zero_based": zero_based,
        "marginal": marginal_headcount,
    }
)
"""The budgeting methods by the names the field (and the params) use."""


def budget_for(method: str, /, *args, **kwargs):
    """
    Run a budgeting method by its name in :data:`BUDGET_METHODS`.

    Parameters
    ----------
    method : str
        ``percent_of_sales``, ``benchmark``, ``zero_based`` or ``marginal``.
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
