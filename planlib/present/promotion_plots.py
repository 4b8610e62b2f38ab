"""
The promotions report's figures (issue #17), in the house style of :mod:`planlib.present.plots`.

Public functions: :func:`promotion_lift` (each scheme's cost, expected and break-even lift),
:func:`tier_shape` (members per tier of the tiered schemes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.present.plots import (
    amount_axis,
    figure_text,
    house_layout,
    new_figure,
    note_figure,
    safe_figure,
)

__all__ = ["promotion_lift", "tier_shape"]


@safe_figure
def promotion_lift(view: pd.DataFrame, *, title: str, names=None):
    """Per scheme: its cost, the expected revenue lift and the break-even lift, side by side (元)."""

    if view.empty:
        return note_figure("没有运行的促销方案", title=title)
    names = names or {}
    cols = [c for c in ("cost", "expected_lift", "break_even_lift") if c in view.columns]
    x = np.arange(len(view))
    width = 0.8 / len(cols)
    fig = new_figure(8.5, 3.4)
    ax = fig.subplots()
    for k, c in enumerate(cols):
        ax.bar(x + (k - (len(cols) - 1) / 2) * width, view[c].to_numpy(dtype=float), width=width,
               label=figure_text(names.get(c, c)))
    ax.set_xticks(x, [figure_text(str(n)) for n in view["name"]])
    ax.set_title(figure_text(title))
    ax.legend(loc="upper right", fontsize=8)
    amount_axis(ax.yaxis)
    house_layout(fig)
    return fig


@safe_figure
def tier_shape(shapes: pd.DataFrame, *, title: str, names=None):
    """Members per tier, one panel per tiered scheme (``scheme, name, tier, members``)."""

    if shapes.empty:
        return note_figure("没有分档方案", title=title)
    groups = list(shapes.groupby("scheme", sort=True))
    fig = new_figure(4.5 * len(groups), 3.4)
    axes = fig.subplots(1, len(groups), squeeze=False)
    for ax, (_, g) in zip(axes[0], groups):
        ax.barh([figure_text(str(t)) for t in g["tier"]], g["members"].to_numpy(dtype=float))
        ax.set_title(figure_text(str(g["name"].iloc[0])))
        ax.set_xlabel(figure_text((names or {}).get("members", "人数")))
    fig.suptitle(figure_text(title))
    house_layout(fig)
    return fig
