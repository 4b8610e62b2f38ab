"""
The review notebook's panel: period, product line, comparison region, seasonal alignment
and capture rate.

:func:`review_view` computes every frame the panel shows, :func:`seasonal_figure` draws
its figure, and :func:`review_panel` wires controls to them.

Public names: :data:`ALL_LINES`, :data:`ALIGNMENTS`, :data:`CAPTURE_RATE_RANGE`,
:func:`review_view`, :func:`seasonal_figure`, :class:`ReviewPanel`, :func:`review_panel`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets
import pandas as pd

from planlib import labels, params, review
from planlib.errors import ParamsError, PlanlibError
from planlib.present import drawn, plots, tables
from planlib.present.widgets.markup import (
    figure_bundle,
    html_bundle,
    note,
    side_by_side,
)
from planlib.present.widgets.override_file import FileWriter, propose

__all__ = [
    "ALL_LINES",
    "ALIGNMENTS",
    "CAPTURE_RATE_RANGE",
    "review_view",
    "seasonal_figure",
    "ReviewPanel",
    "review_panel",
]

#: The product-line choice meaning "every line".
ALL_LINES = "全部"

#: Seasonal alignments (:func:`planlib.review.seasonal_profile`) and their labels.
ALIGNMENTS: dict[str, str] = labels.ALIGNMENT_NAMES

#: Bounds of the capture-rate slider.
CAPTURE_RATE_RANGE: tuple[float, float] = (0.02, 0.3)

#: The comparison dropdown's "no comparison" value (a Dropdown whose value is None shows blank).
NO_COMPARISON = ""

_CAPTURE_RATE_KEY = "analysis.capture_rate"
_SEASONAL_VALUE = "volume"
_MONTHLY_COLUMNS = ["date", "year", "month", "volume", "revenue", "variable_cost", "cost_known"]
_YEARLY_COLUMNS = [
    "year", "volume", "revenue", "gross_margin", "gross_margin_rate", "volume_growth", "revenue_growth",
]  # fmt: skip
_GROWTH_INPUTS = ["kind", "unit_id", "name", "capacity", "own_volume", "own_growth", "competitor_growth"]


# -- the pure part -------------------------------------------------------------------------


def _monthly_of(source: pd.DataFrame | review.RegionReview) -> pd.DataFrame:
    return source.monthly if isinstance(source, review.RegionReview) else source


def _select(monthly: pd.DataFrame, product_line: str, first: int, last: int) -> pd.DataFrame:
    """
    The one pre-filter: the product line's rows of years ``first - 1`` to ``last + 1``,
    summed by month (the finest grain the view needs).

    The year before gives the first selected year its growth; the years on either side
    hold the edges of festival years that straddle January.
    """
    mask = monthly["year"].between(first - 1, last + 1)
    if product_line != ALL_LINES:
        mask &= monthly["product_line"] == product_line
    rows = monthly.loc[mask, _MONTHLY_COLUMNS]
    return rows.groupby(["date", "year", "month"], as_index=False, sort=True).sum()


def _yearly(selected: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    if selected.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "year" else "float64") for c in _YEARLY_COLUMNS})
    g = review.yearly_summary(selected[selected["year"] <= last])
    return g[g["year"] >= first][_YEARLY_COLUMNS].reset_index(drop=True)


def review_view(
    rv: review.RegionReview,
    *,
    years: tuple[int, int],
    product_line: str | None = ALL_LINES,
    align: str = "spring_festival",
    comparison: pd.DataFrame | review.RegionReview | None = None,
    capture_rate: float | None = None,
) -> dict[str, pd.DataFrame]:
    """
    The frames the review panel shows for one choice of its controls.

    Pure and fast: ``rv.monthly`` is filtered and summed by month once, and every
    frame is computed from that small frame with the same :mod:`planlib.review`
    functions the review notebook uses.

    Parameters
    ----------
    rv : RegionReview
        From :func:`planlib.review.review_region`; not modified.
    years : tuple of int
        First and last calendar year of the period, inclusive.
    product_line : str or None, default "全部"
        One product line, or :data:`ALL_LINES` (or None) for all.
    align : {"spring_festival", "calendar"}
        Seasonal periods aligned on the Spring Festival or calendar months.
    comparison : DataFrame or RegionReview, optional
        Another region's monthly rows (:func:`planlib.review.monthly_sales`) or its
        review, summarised over the same period and product line.
    capture_rate : float, optional
        When given, ``rv``'s growth points are ranked again at this rate.

    Returns
    -------
    dict of str to DataFrame
        ``seasonal``: year, slot, label, volume, share — the seasonal profile of each
        complete calendar or festival year in the period (shares sum to 1 per year).
        ``yearly``: year, volume, revenue, gross_margin, gross_margin_rate,
        volume_growth, revenue_growth for the period.
        ``comparison_yearly``: the same for ``comparison`` (no rows without one).
        ``growth_points`` (only with ``capture_rate``): :func:`planlib.review.rank_growth_points`.

    Raises
    ------
    ParamsError
        If ``years`` is not an increasing pair, ``align`` is unknown, or
        ``product_line`` is not one of ``rv``'s lines.

    Notes
    -----
    The first selected year's growth is measured against the year before it whenever
    the history holds it (g_t = x_t / x_{t−1} − 1), as in the full review. A festival
    year Y starts shortly before Spring Festival Y and ends shortly before Spring
    Festival Y + 1 (:func:`planlib.review.seasonal_profile`), so it may reach a few
    weeks into calendar years Y − 1 and Y + 1; it is shown when Y is in the period and
    the history covers it whole. Both views equal the analysis functions applied to
    ``rv.monthly`` filtered to the product line, restricted to the period's years.
    """
    first, last = (int(y) for y in years)
    if first > last:
        raise ParamsError(f"years: the first year must not follow the last, got {first}–{last}")
    if align not in ALIGNMENTS:
        raise ParamsError(f"align: unknown alignment {align!r}; expected one of {', '.join(ALIGNMENTS)}")
    line = ALL_LINES if product_line is None else product_line
    monthly = rv.monthly
    if line != ALL_LINES and not (monthly["product_line"] == line).any():
        lines = sorted(monthly["product_line"].dropna().unique().tolist())
        raise ParamsError(
            f"product_line: {line!r} not sold in {rv.region}; expected {ALL_LINES} or one of {', '.join(lines)}"
        )

    selected = _select(monthly, line, first, last)
    seasonal = review.seasonal_profile(selected, value=_SEASONAL_VALUE, align=align)
    seasonal = seasonal[seasonal["year"].between(first, last)].reset_index(drop=True)
    out = {"seasonal": seasonal, "yearly": _yearly(selected, first, last)}
    if comparison is None:
        out["comparison_yearly"] = _yearly(selected.iloc[0:0], first, last)
    else:
        out["comparison_yearly"] = _yearly(_select(_monthly_of(comparison), line, first, last), first, last)
    if capture_rate is not None:
        out["growth_points"] = review.rank_growth_points(rv.growth_points[_GROWTH_INPUTS], capture_rate=capture_rate)
    return out


@plots.safe_figure
def seasonal_figure(seasonal: pd.DataFrame, *, align: str, title: str):
    """
    One line per year across the twelve seasonal periods, as shares of the year.

    Parameters
    ----------
    seasonal : DataFrame
        ``review_view(...)["seasonal"]`` (year, slot, label, share).
    align : {"spring_festival", "calendar"}
        Labels the x axis with festival periods (春节前月, 节后第1月, …) or months.
    title : str
        Figure title (plain text; a ``$`` is shown as is, not as mathtext).

    Returns
    -------
    matplotlib.figure.Figure
        A bare Figure (not pyplot); call :func:`planlib.present.plots.set_style` first for
        Chinese glyphs. With no complete year, the figure says so; names in the
        title and labels are plain text (:func:`planlib.present.plots.safe_figure`).
    """
    from matplotlib.ticker import PercentFormatter

    if seasonal.empty:
        return plots.note_figure("所选期间没有完整的年份 No complete year in the period", title=title)
    frame = seasonal.rename(columns={"slot": "month"})
    fig = drawn.as_figure(plots.monthly_lines(frame, value="share", title=title, ylabel="占全年比例 share of year"))
    ax = fig.axes[0]
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    if align == "spring_festival":
        slot_labels = seasonal.drop_duplicates("slot").set_index("slot")["label"]
        ax.set_xticks(range(1, 13))
        ax.set_xticklabels([slot_labels.get(k, str(k)) for k in range(1, 13)], rotation=35, ha="right")
        fig.subplots_adjust(bottom=0.27)  # the slanted labels need room; fixed margins keep the redraw fast
    return fig




def _yearly_html(yearly: pd.DataFrame, what: str) -> str:
    return tables.table_html(yearly, caption=f"{what} · 年度销售与毛利", labels=labels.LABELS, formats=labels.PANEL_FORMATS)


def _growth_points_html(points: pd.DataFrame, rate: float) -> str:
    top = points.head(10)
    top = top.assign(kind=top["kind"].map(lambda k: labels.UNIT_KINDS.get(k, k)))
    return tables.table_html(
        top[["rank", "kind", "name", "headroom", "momentum", "attainable"]],
        caption=f"争取率 {rate:z.0%} 下的前十个增量点 Top ten growth points at this capture rate",
        labels=labels.LABELS,
        formats=labels.PANEL_FORMATS,
    )


def _default_capture_rate(wb) -> float:
    section = getattr(wb.params, "analysis", None)
    rate = getattr(section, "capture_rate", None)
    return float(rate) if isinstance(rate, (int, float)) else 0.1


class ReviewPanel(ipywidgets.VBox):
    """
    The review notebook's tuning panel (build it with :func:`review_panel`).

    Attributes
    ----------
    period, product_line, comparison, align, capture_rate : Widget
        The controls; any change of their ``value`` redraws.
    override : ipywidgets.HTML
        Empty while the capture rate is the params'; else the region's file with the tuned
        rate merged in and its diff, escaped.
    writer : FileWriter
        Writes that file after the analyst ticks "checked the diff".
    output : ipywidgets.Output
        The figure and tables of the last redraw.
    """

    def __init__(self, wb, rv: review.RegionReview, data: review.RegionData, **kwargs: Any) -> None:
        self._wb = wb
        self._rv = rv
        self._data = data
        self._comparison_monthly: dict[str, pd.DataFrame] = {}
        tree = wb.tree
        region = rv.region
        years = list(rv.years) or [int(wb.params.year) - 1]
        lines = sorted(rv.monthly["product_line"].dropna().unique().tolist()) if rv.has_history else []
        parent = tree.parent(region)
        others = [r for r in tree.children(parent) if r != region] + [parent] if parent is not None else []
        style = {"description_width": "initial"}
        wide = ipywidgets.Layout(width="30em")

        self.period = ipywidgets.IntRangeSlider(
            value=(years[0], years[-1]), min=years[0], max=years[-1], step=1,
            description="期间 Period", continuous_update=False, style=style,
            disabled=len(years) < 2, layout=wide,
        )  # fmt: skip
        self.product_line = ipywidgets.Dropdown(
            options=[ALL_LINES, *lines], value=ALL_LINES, description="产品线 Line", style=style,
            layout=ipywidgets.Layout(width="20em"),
        )  # fmt: skip
        self.comparison = ipywidgets.Dropdown(
            options=[("（无）none", NO_COMPARISON)] + [(f"{tree.name(r)} · {r}", r) for r in others],
            value=NO_COMPARISON, description="对比区域 Compare with", style=style, disabled=not others, layout=wide,
        )  # fmt: skip
        self.align = ipywidgets.ToggleButtons(
            options=[(label, key) for key, label in ALIGNMENTS.items()], value="spring_festival",
            description="季节 Seasons", style={**style, "button_width": "auto"},
        )  # fmt: skip
        lo, hi = CAPTURE_RATE_RANGE
        self._rate0 = round(min(max(_default_capture_rate(wb), lo), hi), 4)
        self.capture_rate = ipywidgets.FloatSlider(
            value=self._rate0, min=lo, max=hi, step=0.01, readout_format=".2f",
            description="争取率 Capture rate", continuous_update=False, style=style, layout=wide,
        )  # fmt: skip
        self.override = ipywidgets.HTML()
        self.writer = FileWriter()
        self.output = ipywidgets.Output()
        controls = [
            ipywidgets.HBox([self.period, self.product_line]),
            ipywidgets.HBox([self.comparison, self.capture_rate]),
            self.align,
        ]
        for control in (self.period, self.product_line, self.comparison, self.align, self.capture_rate):
            control.observe(self._on_change, names="value")
        super().__init__(children=[*controls, self.override, self.writer, self.output], **kwargs)
        self.redraw()

    def _on_change(self, change: Mapping[str, Any]) -> None:
        self.redraw()

    def _comparison_rows(self, region: str) -> pd.DataFrame:
        """The comparison region's monthly rows, read from the archive once per region."""
        if region not in self._comparison_monthly:
            data = review.load_region_data(self._wb.archive, self._wb.tree, region)
            self._comparison_monthly[region] = review.monthly_sales(data.sales, data.products)
        return self._comparison_monthly[region]

    def _override_html(self, rate: float) -> str:
        """Nothing while the rate is the params'; else the region's file with the rate merged in and its diff."""
        self.writer.show(None)
        if round(rate, 4) == self._rate0:
            return ""
        region = self._rv.region
        folder = self._wb.params.region_overrides
        shown = f"params/regions/{region}.yaml"
        try:
            if folder is None:
                text = params.override_yaml(_CAPTURE_RATE_KEY, rate)
                return (note("方案没有区域文件夹（region_overrides）：要长期采用该争取率，把以下内容并入区域或情景文件 — "
                             "the plan names no region folder; merge this into a region or scenario file:")
                        + f"<pre>{html.escape(text)}</pre>")
            proposal = propose(Path(folder) / f"{region}.yaml", shown, {_CAPTURE_RATE_KEY: rate})
        except ParamsError as exc:
            return note(f"无法生成覆盖设置 Cannot write the override: {exc}")
        self.writer.show(proposal)
        return proposal.html(f"要长期采用该争取率，{shown} 应为以下全文（可整体粘贴，或核对差异后写入）— the whole region "
                             "file with this rate merged in; paste it whole, or check the diff and write it:")

    def redraw(self) -> None:
        """Recompute the view for the controls' values and replace the output."""
        rate = round(float(self.capture_rate.value), 4)
        self.override.value = self._override_html(rate)
        rv, name = self._rv, self._wb.tree.name
        if not rv.has_history:
            self.output.outputs = (html_bundle(note(f"{name(rv.region)} 没有销售记录 — no sales history to tune.")),)
            return
        first, last = self.period.value
        line, align, other = self.product_line.value, self.align.value, self.comparison.value or None
        try:
            comparison = self._comparison_rows(other) if other is not None else None
            view = review_view(
                rv, years=(first, last), product_line=line, align=align, comparison=comparison, capture_rate=rate
            )
        except PlanlibError as exc:
            self.output.outputs = (html_bundle(note(str(exc))),)
            return
        span = f"{first}–{last}" if first != last else str(first)
        fig = seasonal_figure(
            view["seasonal"], align=align, title=f"{name(rv.region)} · {line} · {span} 季节性（{ALIGNMENTS[align]}）"
        )
        drawn = set(view["seasonal"]["year"].tolist())
        missing = [str(y) for y in range(first, last + 1) if y not in drawn]
        kind = "festival" if align == "spring_festival" else "calendar"
        gaps = note(f"{'、'.join(missing)} 年在档案中不是完整的季节年，未画出 — not a complete {kind} year "
                     "in the history, not drawn.") if missing else ""  # fmt: skip
        parts = [_yearly_html(view["yearly"], f"{name(rv.region)} · {line}")]
        if other is not None:
            parts.append(_yearly_html(view["comparison_yearly"], f"对比 {name(other)} · {line}"))
        self.output.outputs = (
            figure_bundle(fig),
            html_bundle(gaps + side_by_side(*parts)),
            html_bundle(_growth_points_html(view["growth_points"], rate)),
        )


def review_panel(wb, rv: review.RegionReview, data: review.RegionData) -> ReviewPanel:
    """
    The review notebook's panel: period, product line, comparison region, seasonal
    alignment and capture rate, redrawn on every change.

    Parameters
    ----------
    wb : Workbook
        From :func:`planlib.present.workbook.open_workbook` (params, tree, archive).
    rv : RegionReview
        The region's review (:func:`planlib.review.review_region`).
    data : RegionData
        The region's facts (:func:`planlib.review.load_region_data`).

    Returns
    -------
    ReviewPanel
        An ``ipywidgets.VBox``. Each redraw shows :func:`review_view`'s seasonal
        profile as one figure, the yearly table (beside the comparison region's, whose
        data is read once and cached in the panel), the top growth points at the tuned
        capture rate, and, once the rate differs from the params', the region's file with it
        merged in and the diff; it writes the file only when the analyst confirms the diff.
    """
    return ReviewPanel(wb, rv, data)

