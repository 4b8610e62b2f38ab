"""
Whether a scheme pays: the lift past activities of its kind suggest for its cost, the lift it
needs to pay its cost back, and the scheme as an activity of the zero-based list.

Public names
------------
expected_lift     the lift a spend buys, on the budget's response curve of the scheme's kind
break_even_lift   the lift that pays a cost back: cost / contribution margin
scheme_economics  cost, expected lift, break-even lift and whether it pays, in one row
scheme_activities costed schemes as a zero-based activity list (activity, category, item,
                  cost, expected_return)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from planlib.budget import allocate_spend
from planlib.budget.response import KIND_ITEMS
from planlib.errors import BudgetError, ParamsError
from planlib.promotions.costing import SchemeCost

__all__ = ["expected_lift", "break_even_lift", "scheme_economics", "scheme_activities"]


def expected_lift(curves: pd.DataFrame, kind: str, spend: float) -> tuple[float, str]:
    """
    The revenue lift a spend on an activity kind is expected to bring, from past activities.

    Parameters
    ----------
    curves : DataFrame
        The budget's response curves (:func:`planlib.budget.fit_response`); may be empty.
    kind : str
        The activity kind (the scheme's ``kind``).
    spend : float
        What the scheme costs.

    Returns
    -------
    (float, str)
        The lift and where it comes from (a sentence); 0 with the reason when no past
        activity of the kind was measured or they did not lift sales.

    Notes
    -----
    The kind's curve at s (:func:`planlib.budget.allocate_spend` with one kind):
    lift(s) = a (1 - exp(-s / b)) (exponential) or m s (linear).
    """
    s = float(spend)
    if not np.isfinite(s) or s < 0:
        raise ParamsError(f"spend must be an amount >= 0, got {spend!r}")
    if curves is None or curves.empty or "kind" not in curves.columns or kind not in set(curves["kind"]):
        return 0.0, f"没有可测算的往期{kind}活动，预期拉动按0计"
    curve = curves[curves["kind"] == kind]
    if s == 0 or (curve["curve"] == "zero").all():
        return 0.0, f"往期{kind}活动未见拉动，预期拉动按0计" if s else "不花钱，无拉动"
    lift = float(allocate_spend(curve, round(s, 2), unit=0.01)["lift"].iloc[0])
    n = int(curve["n_points"].iloc[0]) if "n_points" in curve.columns else 0
    return lift, f"按往期{n}次{kind}活动拟合的响应曲线（{curve['curve'].iloc[0]}）"


def break_even_lift(cost: float, margin: float) -> float:
    """
    The lift that pays a cost back.

    Parameters
    ----------
    cost : float
        The scheme's net cost (a negative cost needs no lift).
    margin : float
        The contribution of one unit of lift: a margin rate (0.35 of revenue) for a revenue
        lift, or the unit contribution margin (price − variable cost) for a volume lift.

    Returns
    -------
    float
        lift* = max(cost, 0) / margin, in the unit the margin is given per.

    Raises
    ------
    BudgetError
        If the margin is not above zero (P <= VC: no lift ever pays).
    """
    c, m = float(cost), float(margin)
    if not np.isfinite(m) or m <= 0:
        raise BudgetError(f"break-even lift: the contribution margin is {margin!r}; expected a margin > 0 "
                          f"(price above variable cost)")
    if not np.isfinite(c):
        raise ParamsError(f"cost must be a finite amount, got {cost!r}")
    return max(c, 0.0) / m


def scheme_economics(result: SchemeCost, curves: pd.DataFrame, *, margin_rate: float) -> pd.DataFrame:
    """
    Whether a scheme pays: its cost, the lift past activities of its kind suggest, the lift it needs.

    Parameters
    ----------
    result : SchemeCost
    curves : DataFrame
        The budget's response curves (may be empty).
    margin_rate : float
        Contribution per yuan of revenue (1 − variable cost / revenue).

    Returns
    -------
    DataFrame
        One row: ``scheme, kind, rewarded, uptake, cost, net_cost, expected_lift``
        (revenue), ``expected_contribution`` (= lift × margin_rate), ``break_even_lift``
        (revenue), ``cover`` (expected / break-even lift; 0 when no lift is needed and
        none expected… see Notes), ``pays`` (bool) and ``lift_basis`` (where the lift
        comes from).

    Notes
    -----
    expected lift = lift_kind(cost) on the response curve; break-even lift =
    max(net cost, 0) / margin_rate; pays when expected contribution >= net cost.
    cover = expected / break-even (1 when the break-even is 0).
    """
    s = result.summary
    lift, basis = expected_lift(curves, result.scheme.kind, s["cost"])
    need = break_even_lift(s["net_cost"], margin_rate)
    return pd.DataFrame([{
        "scheme": result.scheme.name, "kind": result.scheme.kind, "rewarded": s["rewarded"], "uptake": s["uptake"],
        "cost": s["cost"], "net_cost": s["net_cost"], "expected_lift": lift,
        "expected_contribution": lift * margin_rate, "break_even_lift": need,
        "cover": lift / need if need > 0 else 1.0, "pays": bool(lift * margin_rate >= s["net_cost"] - 1e-9),
        "lift_basis": basis,
    }])  # fmt: skip


def scheme_activities(results: Sequence[SchemeCost], curves: pd.DataFrame, *, margin_rate: float) -> pd.DataFrame:
    """
    Costed schemes as activities of a zero-based list (:func:`planlib.budget.zero_based`).

    Parameters
    ----------
    results : sequence of SchemeCost
        One per scheme a region runs (scheme names unique).
    curves : DataFrame
        The budget's response curves (may be empty).
    margin_rate : float
        Contribution per yuan of revenue.

    Returns
    -------
    DataFrame
        ``activity`` (the scheme's name), ``kind``, ``category``, ``item`` (where its spend
        is booked: the budget's item of its activity kind), ``cost`` (net cost),
        ``expected_return`` (expected contribution, :func:`scheme_economics`). A scheme
        that costs nothing is left out (zero_based funds positive costs only).
    """
    names = [r.scheme.name for r in results]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ParamsError(f"schemes named more than once: {', '.join(twice)}; expected each scheme once")
    rows = []
    for r in results:
        e = scheme_economics(r, curves, margin_rate=margin_rate).iloc[0]
        if e["net_cost"] > 0:
            category, item = KIND_ITEMS[r.scheme.kind]
            rows.append((r.scheme.name, r.scheme.kind, category, item, float(e["net_cost"]),
                         float(e["expected_contribution"])))
    return pd.DataFrame(rows, columns=["activity", "kind", "category", "item", "cost", "expected_return"])
