"""
Cost-volume-profit: break-even, profit at a volume, the same for many regions, the dual check.

DOMAIN.md §6. Every function is pure: it takes numbers or tidy frames and returns new ones.

Public names
------------
break_even   break-even volume and revenue, BEP = FC / (P - VC)
cvp          cost-volume-profit at a volume: profit, margin of safety
cvp_table    the same for many regions at once; BudgetError naming regions with P <= VC
dual_check   per region: is the sales target reachable, does the profit target hold at it, is the
             expense ratio within its threshold
DUAL_FLAGS   the dual check's four outcomes by (sales reachable, profit reachable)
OVER_THRESHOLD  the fifth: sales and profit met, but the expense ratio above its threshold
dual_verdict the flag of one region from its three tests
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.budget.inputs import SLACK, float_column, id_array, listing, number, require_columns
from planlib.errors import BudgetError, DataError
from planlib.rounding import format_amount

__all__ = ["break_even", "cvp", "cvp_table", "dual_check", "DUAL_FLAGS", "OVER_THRESHOLD", "dual_verdict"]


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
    fc = number(fixed_cost, "fixed_cost", minimum=0.0)
    p = number(price, "price")
    vc = number(unit_variable_cost, "unit_variable_cost", minimum=0.0)
    if p <= vc:
        raise BudgetError(
            f"no break-even: price {format_amount(p)} does not exceed the unit variable cost {format_amount(vc)} "
            f"(fixed cost {format_amount(fc)}); every unit sold loses {format_amount(vc - p)} of contribution"
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
    q = number(volume, "volume", minimum=0.0, strict=True)
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
    require_columns(regions_frame, ["region_id", "fixed_cost", "unit_variable_cost", "price", "volume"], what)
    ids = id_array(regions_frame, "region_id", what)
    dup = pd.Index(ids)[pd.Index(ids).duplicated()].unique()
    if len(dup):
        raise DataError(f"{what}: regions named more than once: {listing(dup)}")
    q = float_column(regions_frame, "volume", what, ids, minimum=0.0, strict=True)
    p = float_column(regions_frame, "price", what, ids)
    vc = float_column(regions_frame, "unit_variable_cost", what, ids, minimum=0.0)
    fc = float_column(regions_frame, "fixed_cost", what, ids, minimum=0.0)
    loss = p <= vc
    if loss.any():
        named = [
            f"{r} (price {format_amount(a)}, unit variable cost {format_amount(b)})" for r, a, b in zip(ids[loss], p[loss], vc[loss])
        ]
        raise BudgetError(
            f"no break-even where the price does not exceed the unit variable cost: {listing(named)}"
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
        pt = float_column(regions_frame, "profit_target", what, ids)
        out["profit_target"] = pt
        out["profit_gap"] = out["profit"].to_numpy() - pt
        out["required_volume"] = np.maximum(0.0, (fc + pt) / uc)
        out["max_fixed_cost"] = q * uc - pt
        out["min_price"] = vc + (fc + pt) / q
    return out


#: The dual check's four outcomes by (sales reachable, profit reachable).
DUAL_FLAGS = {
    (True, True): "both met",
    (True, False): "sales met, profit missed",
    (False, True): "sales missed, profit met",
    (False, False): "both missed",
}
#: The dual check's outcome when sales and profit hold but the budget is above the expense-ratio threshold.
OVER_THRESHOLD = "expense ratio over threshold"


def dual_verdict(sales_reachable: bool, profit_reachable: bool, over_threshold: bool) -> str:
    """
    One region's dual-check flag from its three tests.

    A region is green (``both met``) only when its sales target is reachable, its profit
    holds within the materiality and its expense ratio is within the threshold; a region
    that meets both targets above the threshold is :data:`OVER_THRESHOLD`; otherwise the
    flag of :data:`DUAL_FLAGS` (the expense ratio is then a further reason, shown beside it).
    """
    if sales_reachable and profit_reachable and over_threshold:
        return OVER_THRESHOLD
    return DUAL_FLAGS[(bool(sales_reachable), bool(profit_reachable))]


def dual_check(frame: pd.DataFrame, *, expense_ratio_threshold, materiality=0.0) -> pd.DataFrame:
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
        The highest acceptable budget / target revenue (0.25 for 25%); a frame column of
        the same name sets it per region.
    materiality : float, default 0
        A profit miss no larger than this share of |profit target| is not a miss; a
        frame column of the same name sets it per region.

    Returns
    -------
    DataFrame
        One row per region, in the input's order: ``region_id, target_volume,
        reachable_volume, sales_reachable, target_revenue, variable_cost, fixed_cost,
        budget, profit_at_target, profit_target, profit_gap, profit_tolerance,
        profit_reachable, budget_limit, expense_ratio, expense_ratio_threshold,
        over_threshold, flag``; flag is :func:`dual_verdict`: ``both met``,
        ``expense ratio over threshold``, ``sales met, profit missed``, ``sales missed,
        profit met`` or ``both missed``.

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
    - profit_gap = profit_at_target - PT; profit_tolerance = materiality x |PT|;
    - profit_reachable = profit_gap >= -profit_tolerance (a miss within it is immaterial);
    - budget_limit = R - VC x V - FC - PT, the most the budget may be for PT to hold;
    - expense_ratio = B / R; over_threshold = expense_ratio > threshold;
    - flag = :func:`dual_verdict` of the three.
    """
    what = "dual_check frame"
    require_columns(frame, ["region_id", "target_volume", "target_revenue", "reachable_volume", "budget",
                   "unit_variable_cost", "profit_target"], what)  # fmt: skip
    ids = id_array(frame, "region_id", what)
    if "expense_ratio_threshold" in frame.columns:
        thr = float_column(frame, "expense_ratio_threshold", what, ids, minimum=0.0)
    else:
        thr = np.full(len(ids), number(expense_ratio_threshold, "expense_ratio_threshold", minimum=0.0))
    if "materiality" in frame.columns:
        mat = float_column(frame, "materiality", what, ids, minimum=0.0)
    else:
        mat = np.full(len(ids), number(materiality, "materiality", minimum=0.0))
    dup = pd.Index(ids)[pd.Index(ids).duplicated()].unique()
    if len(dup):
        raise DataError(f"{what}: regions named more than once: {listing(dup)}")
    v = float_column(frame, "target_volume", what, ids, minimum=0.0)
    rev = float_column(frame, "target_revenue", what, ids, minimum=0.0, strict=True)
    reach = float_column(frame, "reachable_volume", what, ids, minimum=0.0)
    b = float_column(frame, "budget", what, ids, minimum=0.0)
    vc = float_column(frame, "unit_variable_cost", what, ids, minimum=0.0)
    pt = float_column(frame, "profit_target", what, ids)
    fc = np.zeros(len(ids))
    if "fixed_cost" in frame.columns:
        fc = float_column(frame, "fixed_cost", what, ids, minimum=0.0)
    variable = vc * v
    profit = rev - variable - fc - b
    sales_ok = v <= reach + SLACK * np.maximum(1.0, reach)
    tolerance = mat * np.abs(pt)
    profit_ok = profit - pt >= -np.maximum(tolerance, SLACK * np.maximum(1.0, rev))
    ratio = b / rev
    over = ratio > thr + SLACK
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
            "profit_gap": profit - pt,
            "profit_tolerance": tolerance,
            "profit_reachable": profit_ok,
            "budget_limit": rev - variable - fc - pt,
            "expense_ratio": ratio,
            "expense_ratio_threshold": thr,
            "over_threshold": over,
            "flag": [dual_verdict(s, p, o) for s, p, o in zip(sales_ok, profit_ok, over)],
        }
    )
