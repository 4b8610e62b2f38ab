"""
Panels for tuning by hand in JupyterLab (imported only by notebooks, never by the batch).

A panel is a thin shell around pure library functions: :func:`review_view` computes
every frame the review panel shows, :func:`seasonal_figure` draws its figure, and
:func:`review_panel` wires controls to them. Following DESIGN.md §5 ("One path for
assumptions"), for tuned assumptions a panel shows the whole params file they belong in
(the region's, or the plan's or scenario's for the targets) with the values merged in,
pasteable as a whole, and its diff; it writes that file only after the analyst ticks
that the diff was checked (:mod:`~planlib.present.widgets.override_file`).

Panels render into ``ipywidgets.Output.outputs`` as ready-made MIME bundles (escaped
HTML and PNG), so they build and redraw without a front-end or kernel, and every
data-derived string (region and product-line names, table cells) is escaped.

Modules: :mod:`~planlib.present.widgets.review`, :mod:`~planlib.present.widgets.split`,
:mod:`~planlib.present.widgets.budget` (one panel each),
:mod:`~planlib.present.widgets.markup` (their escaped output) and
:mod:`~planlib.present.widgets.override_file` (the merged file, its diff and the confirmed write).
"""

from planlib.present.widgets.budget import BudgetPanel, budget_panel
from planlib.present.widgets.review import (
    ALIGNMENTS,
    ALL_LINES,
    CAPTURE_RATE_RANGE,
    ReviewPanel,
    review_panel,
    review_view,
    seasonal_figure,
)
from planlib.present.widgets.split import SPLIT_WEIGHT_METHODS, SplitPanel, split_panel

__all__ = [
    "ALL_LINES",
    "ALIGNMENTS",
    "CAPTURE_RATE_RANGE",
    "review_view",
    "seasonal_figure",
    "ReviewPanel",
    "review_panel",
    "SPLIT_WEIGHT_METHODS",
    "SplitPanel",
    "split_panel",
    "BudgetPanel",
    "budget_panel",
]
