"""
The profit figures of a budget report: the break-even chart and the revenue → profit waterfall.

Drawn in the house style of :mod:`planlib.present.plots` (its :func:`~planlib.present.plots.safe_figure`
wrapper, amounts on axes by :func:`~planlib.present.plots.amount_axis`), in the plan's words and units.

Public functions: :func:`break_even`, :func:`waterfall`.
"""

from __future__ import annotations

import pandas as pd

from planlib.present.plots import amount_axis, house_layout, new_figure, note_figure, safe_figure

__all__ = ["break_even", "waterfall"]


@safe_figure
def break_even(price: float, unit_variable_cost: float, fixed_cost: float, *, target_volume: float, title: str):
    """
    The break-even chart: revenue and total cost against volume, the break-even point and the target.

    Parameters
    ----------
    price, unit_variable_cost : float
        P and VC per case (元/箱).
    fixed_cost : float
        FC (元).
    target_volume : float
        The target (箱), marked with the profit there.

    Notes
    -----
    revenue = P·Q, cost = FC + VC·Q, BEP = FC / (P − VC); with P ≤ VC there is no break-even
    and the figure says so.
    """
    import numpy as np

    fig = new_figure(8.0, 3.8)
    ax = fig.subplots()
    if not price > unit_variable_cost:
        return note_figure("单价不高于单位变动成本：没有保本点", title=title)
    bep = fixed_cost / (price - unit_variable_cost)
    top = 1.25 * max(bep, target_volume, 1.0)
    q = np.linspace(0.0, top, 50)
    ax.plot(q, price * q, color="#1f6feb", label="销售额")
    ax.plot(q, fixed_cost + unit_variable_cost * q, color="#d1242f", label="总成本（固定 + 变动）")
    ax.axhline(fixed_cost, color="#9aa5b1", linestyle=":", linewidth=1, label="固定费用")
    ax.scatter([bep], [price * bep], color="#333", zorder=3)
    ax.annotate(f"保本点 {bep:,.0f} 箱", (bep, price * bep), textcoords="offset points", xytext=(6, -14), fontsize=9)
    profit = (price - unit_variable_cost) * target_volume - fixed_cost
    ax.axvline(target_volume, color="#2da44e", linestyle="--", linewidth=1)
    ax.annotate(f"目标 {target_volume:,.0f} 箱，利润 {profit:,.0f} 元", (target_volume, price * target_volume),
                textcoords="offset points", xytext=(-6, 8), ha="right", fontsize=9)
    ax.set_title(title)
    ax.set_xlabel("销量（箱）")
    ax.set_ylabel("金额（元）")
    amount_axis(ax.xaxis)
    amount_axis(ax.yaxis)
    ax.legend(loc="upper left", fontsize=8)
    house_layout(fig)
    return fig


@safe_figure
def waterfall(steps: pd.DataFrame, *, title: str):
    """
    A waterfall from the first step to the last (``steps``: label, amount, kind ``total`` or ``change``).

    A ``total`` bar stands on zero, a ``change`` bar floats from the running sum (green up, red down);
    each bar carries its amount.
    """

    fig = new_figure(8.0, 3.8)
    ax = fig.subplots()
    running = 0.0
    for i, (label, amount, kind) in enumerate(zip(steps["label"], steps["amount"], steps["kind"])):
        amount = float(amount)
        if kind == "total":
            bottom, height, colour = 0.0, amount, "#1f6feb"
            running = amount
        else:
            bottom, height = running, amount
            colour = "#2da44e" if amount >= 0 else "#d1242f"
            running += amount
        ax.bar(i, height, bottom=bottom, color=colour, width=0.6)
        ax.annotate(f"{amount:+z,.0f}" if kind != "total" else f"{amount:,.0f}", (i, max(bottom, bottom + height)),
                    textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
    ax.set_xticks(range(len(steps)), [str(x) for x in steps["label"]])
    ax.axhline(0, color="#333", linewidth=0.8)
    ax.set_title(title)
    ax.set_ylabel("金额（元）")
    amount_axis(ax.yaxis)
    house_layout(fig)
    return fig
