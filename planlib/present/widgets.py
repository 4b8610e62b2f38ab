"""
Panels for tuning by hand in JupyterLab (imported only by notebooks, never by the batch).

A panel is a thin shell around pure library functions: :func:`review_view` computes
every frame the review panel shows, :func:`seasonal_figure` draws its figure, and
:func:`review_panel` wires controls to them. Following DESIGN.md §5 ("One path for
assumptions"), a panel never writes files: for a tuned assumption it shows the YAML
override (:func:`planlib.params.override_yaml`) that would make the value permanent
in a region or scenario file.

Panels render into ``ipywidgets.Output.outputs`` as ready-made MIME bundles (escaped
HTML and PNG), so they build and redraw without a front-end or kernel, and every
data-derived string (region and product-line names, table cells) is escaped.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from typing import Any

import ipywidgets
import pandas as pd

from planlib import budget, labels, params, review, targets
from planlib.errors import ParamsError, PlanlibError
from planlib.present import plots, tables
from planlib.schemas import CATEGORIES

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

#: The product-line choice meaning "every line".
ALL_LINES = "全部"

#: Seasonal alignments (:func:`planlib.analysis.seasonal_profile`) and their labels.
ALIGNMENTS: dict[str, str] = {
    "spring_festival": "春节对齐 Spring Festival aligned",
    "calendar": "公历月份 Calendar months",
}

#: Bounds of the capture-rate slider.
CAPTURE_RATE_RANGE: tuple[float, float] = (0.02, 0.3)

_CAPTURE_RATE_KEY = "analysis.capture_rate"
_SEASONAL_VALUE = "volume"
_MONTHLY_COLUMNS = ["date", "year", "month", "volume", "revenue", "variable_cost"]
_YEARLY_COLUMNS = [
    "year", "volume", "revenue", "gross_margin", "gross_margin_rate", "volume_growth", "revenue_growth",
]  # fmt: skip
_GROWTH_INPUTS = ["kind", "unit_id", "name", "capacity", "own_volume", "own_growth", "competitor_growth"]

_LABELS: dict[str, str] = {
    "year": "年份",
    "volume": "销量",
    "revenue": "销售额",
    "gross_margin": "毛利",
    "gross_margin_rate": "毛利率",
    "volume_growth": "销量增长",
    "revenue_growth": "销售额增长",
    "rank": "排名",
    "kind": "类型",
    "name": "名称",
    "headroom": "空间",
    "momentum": "势头",
    "attainable": "可争取增量",
}
_FORMATS: dict[str, str] = {
    "year": "{}",
    "rank": "{}",
    "volume": "{:,.0f}",
    "revenue": "{:,.0f}",
    "gross_margin": "{:,.0f}",
    "gross_margin_rate": "{:.1%}",
    "volume_growth": "{:+.1%}",
    "revenue_growth": "{:+.1%}",
    "headroom": "{:,.0f}",
    "momentum": "{:.2f}",
    "attainable": "{:,.0f}",
}
_UNIT_KINDS = {"region": "区域", "channel": "渠道", "terminal": "终端"}


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
    frame is computed from that small frame with the same :mod:`planlib.analysis`
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
        Another region's monthly rows (:func:`planlib.analysis.monthly_sales`) or its
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
        ``growth_points`` (only with ``capture_rate``): :func:`planlib.growth.rank_growth_points`.

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
    Festival Y + 1 (:func:`planlib.analysis.seasonal_profile`), so it may reach a few
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
        A bare Figure (not pyplot); call :func:`planlib.plots.set_style` first for
        Chinese glyphs. With no complete year, the figure says so.
    """
    from matplotlib.ticker import PercentFormatter

    title = title.replace("$", r"\$")
    if seasonal.empty:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(9.0, 3.8))
        ax = fig.subplots()
        ax.set_axis_off()
        ax.set_title(title)
        ax.text(0.5, 0.5, "所选期间没有完整的年份 No complete year in the period", ha="center", va="center")
        return fig
    frame = seasonal.rename(columns={"slot": "month"})
    fig = plots.monthly_lines(frame, value="share", title=title, ylabel="占全年比例 share of year")
    ax = fig.axes[0]
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    if align == "spring_festival":
        labels = seasonal.drop_duplicates("slot").set_index("slot")["label"]
        ax.set_xticks(range(1, 13))
        ax.set_xticklabels([labels.get(k, str(k)) for k in range(1, 13)], rotation=35, ha="right")
        fig.subplots_adjust(bottom=0.27)  # the slanted labels need room; fixed margins keep the redraw fast
    return fig


# -- the panel -----------------------------------------------------------------------------


def _html_bundle(markup: str) -> dict[str, Any]:
    data = {"text/html": markup, "text/plain": "<planlib table>"}
    return {"output_type": "display_data", "data": data, "metadata": {}}


def _figure_bundle(fig) -> dict[str, Any]:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)  # screen resolution: the redraw budget is 200 ms
    png = base64.b64encode(buf.getvalue()).decode("ascii")
    return {"output_type": "display_data", "data": {"image/png": png, "text/plain": "<Figure>"}, "metadata": {}}


def _note(text: str) -> str:
    return f'<p class="planlib-note">{html.escape(text)}</p>'


def _side_by_side(*parts: str) -> str:
    cells = "".join(f'<div style="flex:0 1 auto">{t}</div>' for t in parts)
    return f'<div style="display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start">{cells}</div>'


def _yearly_html(yearly: pd.DataFrame, what: str) -> str:
    return tables.table_html(yearly, caption=f"{what} · 年度销售与毛利", labels=_LABELS, formats=_FORMATS)


def _growth_points_html(points: pd.DataFrame, rate: float) -> str:
    top = points.head(10)
    top = top.assign(kind=top["kind"].map(lambda k: _UNIT_KINDS.get(k, k)))
    return tables.table_html(
        top[["rank", "kind", "name", "headroom", "momentum", "attainable"]],
        caption=f"争取率 {rate:.0%} 下的前十个增量点 Top ten growth points at this capture rate",
        labels=_LABELS,
        formats=_FORMATS,
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
        The YAML override for the tuned capture rate, escaped in ``<pre>``.
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

        self.period = ipywidgets.IntRangeSlider(
            value=(years[0], years[-1]), min=years[0], max=years[-1], step=1,
            description="期间 Period", continuous_update=False, style=style,
            disabled=len(years) < 2,
        )  # fmt: skip
        self.product_line = ipywidgets.Dropdown(
            options=[ALL_LINES, *lines], value=ALL_LINES, description="产品线 Line", style=style
        )
        self.comparison = ipywidgets.Dropdown(
            options=[("（无）none", None)] + [(f"{tree.name(r)} · {r}", r) for r in others],
            value=None, description="对比区域 Compare with", style=style, disabled=not others,
        )  # fmt: skip
        self.align = ipywidgets.ToggleButtons(
            options=[(label, key) for key, label in ALIGNMENTS.items()], value="spring_festival",
            description="季节 Seasons", style=style,
        )  # fmt: skip
        lo, hi = CAPTURE_RATE_RANGE
        self.capture_rate = ipywidgets.FloatSlider(
            value=min(max(_default_capture_rate(wb), lo), hi), min=lo, max=hi, step=0.01, readout_format=".2f",
            description="争取率 Capture rate", continuous_update=False, style=style,
        )  # fmt: skip
        self.override = ipywidgets.HTML()
        self.output = ipywidgets.Output()
        controls = [
            ipywidgets.HBox([self.period, self.product_line]),
            ipywidgets.HBox([self.comparison, self.capture_rate]),
            self.align,
        ]
        for control in (self.period, self.product_line, self.comparison, self.align, self.capture_rate):
            control.observe(self._on_change, names="value")
        super().__init__(children=[*controls, self.override, self.output], **kwargs)
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
        region = self._rv.region
        try:
            text = params.override_yaml(_CAPTURE_RATE_KEY, rate)
        except ParamsError as exc:
            return _note(f"无法生成覆盖设置 Cannot write the override: {exc}")
        where = (
            f"要长期采用该争取率，把以下内容加入 params/regions/{region}.yaml（或情景文件）"
            "— to keep this rate, add these lines to the region's or a scenario's file; this panel writes none:"
        )
        return _note(where) + f"<pre>{html.escape(text)}</pre>"

    def redraw(self) -> None:
        """Recompute the view for the controls' values and replace the output."""
        rate = round(float(self.capture_rate.value), 4)
        self.override.value = self._override_html(rate)
        rv, name = self._rv, self._wb.tree.name
        if not rv.has_history:
            self.output.outputs = (_html_bundle(_note(f"{name(rv.region)} 没有销售记录 — no sales history to tune.")),)
            return
        first, last = self.period.value
        line, align, other = self.product_line.value, self.align.value, self.comparison.value
        try:
            comparison = self._comparison_rows(other) if other is not None else None
            view = review_view(
                rv, years=(first, last), product_line=line, align=align, comparison=comparison, capture_rate=rate
            )
        except PlanlibError as exc:
            self.output.outputs = (_html_bundle(_note(str(exc))),)
            return
        span = f"{first}–{last}" if first != last else str(first)
        fig = seasonal_figure(
            view["seasonal"], align=align, title=f"{name(rv.region)} · {line} · {span} 季节性（{ALIGNMENTS[align]}）"
        )
        drawn = set(view["seasonal"]["year"].tolist())
        missing = [str(y) for y in range(first, last + 1) if y not in drawn]
        kind = "festival" if align == "spring_festival" else "calendar"
        gaps = _note(f"{'、'.join(missing)} 年在档案中不是完整的季节年，未画出 — not a complete {kind} year "
                     "in the history, not drawn.") if missing else ""  # fmt: skip
        parts = [_yearly_html(view["yearly"], f"{name(rv.region)} · {line}")]
        if other is not None:
            parts.append(_yearly_html(view["comparison_yearly"], f"对比 {name(other)} · {line}"))
        self.output.outputs = (
            _figure_bundle(fig),
            _html_bundle(gaps + _side_by_side(*parts)),
            _html_bundle(_growth_points_html(view["growth_points"], rate)),
        )


def review_panel(wb, rv: review.RegionReview, data: review.RegionData) -> ReviewPanel:
    """
    The review notebook's panel: period, product line, comparison region, seasonal
    alignment and capture rate, redrawn on every change.

    Parameters
    ----------
    wb : Workbook
        From :func:`planlib.workbook.open_workbook` (params, tree, archive).
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
        capture rate, and the YAML override for that rate
        (:func:`planlib.params.override_yaml`). It writes no file.
    """
    return ReviewPanel(wb, rv, data)


# -- the targets notebook's panel ----------------------------------------------------------
#: Share methods a blend can weigh, with their labels.
SPLIT_WEIGHT_METHODS: dict[str, str] = {
    "proportion_averages": "历史占比 PA",
    "average_proportions": "月均占比 AP",
    "potential": "潜力 potential",
    "equal": "平均 equal",
}
_SPLIT_LABELS = {**labels.LABELS, "child": "编码", "name": "名称", "target": "目标", "last_year": "去年",
                 "implied_growth": "隐含增长", "trend_growth": "自身趋势", "growth_vs_trend": "高于趋势",
                 "potential": "潜力", "beyond_potential": "超潜力", "share": "占比"}
_SPLIT_FORMATS = {**labels.FORMATS, "target": "{:,.0f}", "last_year": "{:,.0f}", "implied_growth": "{:+.1%}",
                  "trend_growth": "{:+.1%}", "growth_vs_trend": "{:+.1%}", "potential": "{:,.0f}", "share": "{:.1%}"}


class SplitPanel(ipywidgets.VBox):
    """
    The targets notebook's tuning panel (build it with :func:`split_panel`).

    Attributes
    ----------
    stretch, floor, cap : FloatSlider
        The tuned stretch, floor and cap (× potential); ``use_floor`` / ``use_cap`` switch
        the last two on and off.
    weights : dict of FloatSlider
        The blend's weight per share method (:data:`SPLIT_WEIGHT_METHODS`).
    hold_child, hold_volume : Widget
        A hold: one child's volume fixed (``hold_child`` None for no hold).
    override : ipywidgets.HTML
        The YAML override for the tuned values that differ from the plan's, escaped.
    output : ipywidgets.Output
        The figure and the diagnostics table of the last redraw.
    """

    def __init__(self, wb, inputs: targets.SplitInputs, **kwargs: Any) -> None:
        self._wb = wb
        self._inputs = inputs
        sp, tg = wb.params.split, wb.params.targets
        style = {"description_width": "initial"}
        self.stretch = ipywidgets.FloatSlider(value=float(tg.stretch), min=-0.2, max=0.5, step=0.01,
                                              readout_format="+.0%", description="冲刺 Stretch",
                                              continuous_update=False, style=style)
        plan_weights = dict(sp.weights) if sp.method == "blend" else {sp.method: 1.0}
        has_potential = len(inputs.potential) > 0
        self.weights = {
            m: ipywidgets.FloatSlider(value=float(plan_weights.get(m, 0.0)), min=0, max=1, step=0.05,
                                      description=label, continuous_update=False, style=style,
                                      disabled=(m == "potential" and not has_potential))
            for m, label in SPLIT_WEIGHT_METHODS.items()
        }
        self.use_floor = ipywidgets.Checkbox(value=sp.floor is not None, description="下限 Floor", indent=False)
        self.floor = ipywidgets.FloatSlider(value=float(sp.floor if sp.floor is not None else 0.2), min=0, max=1,
                                            step=0.05, readout_format=".0%", continuous_update=False,
                                            description="最多下降 max shrink", style=style)
        self.use_cap = ipywidgets.Checkbox(value=sp.cap is not None, description="上限 Cap", indent=False,
                                           disabled=not has_potential)
        self.cap = ipywidgets.FloatSlider(value=float(sp.cap if sp.cap is not None else 1.0), min=0.2, max=2.0,
                                          step=0.05, readout_format=".2f", continuous_update=False,
                                          description="× 潜力 × potential", style=style, disabled=not has_potential)
        kids = list(inputs.names)
        tree = wb.tree
        self._hold_planned = bool(kids) and tree.level(kids[0]) in wb.params.scope.levels
        held = next(((k, v) for k, v in sp.holds.items() if k in inputs.names), (None, 0))
        self.hold_child = ipywidgets.Dropdown(options=[("（不锁定）no hold", None)]
                                              + [(f"{inputs.names[k]} · {k}", k) for k in kids],
                                              value=held[0], description="锁定 Hold", style=style)
        self.hold_volume = ipywidgets.IntText(value=int(held[1]), description="锁定量 volume", style=style)
        self.override = ipywidgets.HTML()
        self.output = ipywidgets.Output()
        controls = [
            ipywidgets.HBox([self.stretch]),
            ipywidgets.HBox(list(self.weights.values())[:2]),
            ipywidgets.HBox(list(self.weights.values())[2:]),
            ipywidgets.HBox([self.use_floor, self.floor, self.use_cap, self.cap]),
            ipywidgets.HBox([self.hold_child, self.hold_volume]),
        ]
        for control in (self.stretch, *self.weights.values(), self.use_floor, self.floor, self.use_cap, self.cap,
                        self.hold_child, self.hold_volume):
            control.observe(self._on_change, names="value")
        super().__init__(children=[*controls, self.override, self.output], **kwargs)
        self.redraw()

    def _on_change(self, change: Mapping[str, Any]) -> None:
        self.redraw()

    def tuned(self) -> dict[str, Any]:
        """The controls' values as :func:`planlib.targets.tune_split` arguments."""
        weights = {m: round(float(w.value), 4) for m, w in self.weights.items() if not w.disabled and w.value > 0}
        hold = (self.hold_child.value, int(self.hold_volume.value)) if self.hold_child.value is not None else None
        return {
            "stretch": round(float(self.stretch.value), 4),
            "weights": weights,
            "floor": round(float(self.floor.value), 4) if self.use_floor.value else None,
            "cap": round(float(self.cap.value), 4) if self.use_cap.value and not self.cap.disabled else None,
            "hold": hold,
        }

    def _override_values(self, t: Mapping[str, Any]) -> dict[str, Any]:
        sp, tg = self._wb.params.split, self._wb.params.targets
        out: dict[str, Any] = {}
        if t["stretch"] != round(float(tg.stretch), 4):
            out["targets.stretch"] = t["stretch"]
        plan_weights = dict(sp.weights) if sp.method == "blend" else {sp.method: 1.0}
        if t["weights"] != {m: round(float(w), 4) for m, w in plan_weights.items() if w > 0}:
            if len(t["weights"]) == 1:
                out["split.method"] = next(iter(t["weights"]))
            elif t["weights"]:
                out["split.method"] = "blend"
                out["split.weights"] = t["weights"]
        if t["floor"] != sp.floor:
            out["split.floor"] = t["floor"]
        if t["cap"] != sp.cap:
            out["split.cap"] = t["cap"]
        if t["hold"] is not None and self._hold_planned and sp.holds.get(t["hold"][0]) != t["hold"][1]:
            out["split.holds"] = {**dict(sp.holds), t["hold"][0]: t["hold"][1]}
        return out

    def _override_html(self, t: Mapping[str, Any]) -> str:
        values = self._override_values(t)
        unplanned = ""
        if t["hold"] is not None and not self._hold_planned:
            unplanned = _note("下级不在方案的分解层级内，锁定仅供推演 — these children are below the plan's levels "
                              "(scope.levels): a hold here is for exploring only and has no override.")
        if not values:
            return unplanned + _note("与方案设置相同 — the plan's own settings; nothing to override.")
        return unplanned + self._override_text(values)

    def _override_text(self, values: Mapping[str, Any]) -> str:
        if not values:
            return _note("与方案设置相同 — the plan's own settings; nothing to override.")
        try:
            text = params.overrides_yaml(values)
        except ParamsError as exc:
            return _note(f"无法生成覆盖设置 Cannot write the override: {exc}")
        where = ("目标在方案根部一次设定并逐级分解：要长期采用，把以下内容加入方案文件或情景文件（params/scenarios/<name>.yaml）"
                 "— targets are set once at the plan's root and split down: to keep these values, add them to the "
                 "plan file or a scenario file; this panel writes none:")
        return _note(where) + f"<pre>{html.escape(text)}</pre>"

    def redraw(self) -> None:
        """Re-split for the controls' values and replace the output."""
        t = self.tuned()
        self.override.value = self._override_html(t)
        unit = int(self._wb.params.targets.unit)
        try:
            diag, fair = targets.tune_split(self._inputs, unit=unit, **t)
        except PlanlibError as exc:
            self.output.outputs = (_html_bundle(_note(f"无法分解 Cannot split: {exc}")),)
            return
        name = self._wb.tree.name(self._inputs.region)
        fig = plots.children_targets(diag, title=f"{name} 下级目标（合计 {fair['total']:,.0f}）")
        beyond = int(diag["beyond_potential"].sum())
        std = f"{fair['std']:.1%}" if fair["std"] == fair["std"] else "n/a"
        reading = (f"合计 {fair['total']:,.0f}，恰等于各下级之和 {diag['target'].sum():,.0f}；隐含增长标准差 {std}"
                   + (f"；{beyond} 个下级超出潜力" if beyond else "") + "。")
        table = tables.table_html(diag.drop(columns=["beyond_potential"]), caption="调整后的下级分解与诊断",
                                  labels=_SPLIT_LABELS, formats=_SPLIT_FORMATS)
        self.output.outputs = (_figure_bundle(fig), _html_bundle(_note(reading) + table))


def split_panel(wb, inputs: targets.SplitInputs) -> SplitPanel:
    """
    The targets notebook's panel: stretch, blend weights, floor, cap and one hold, redrawn on change.

    Parameters
    ----------
    wb : Workbook
        From :func:`planlib.workbook.open_workbook`.
    inputs : SplitInputs
        The region's children's history (:func:`planlib.targets.split_inputs`), read once.

    Returns
    -------
    SplitPanel
        Each redraw re-splits the region's target with :func:`planlib.targets.tune_split`
        (exact, every constraint held or an error naming the conflict), draws the children
        against last year and potential, tabulates the diagnostics and shows the YAML
        override of the values that differ from the plan's. It writes no file.
    """
    return SplitPanel(wb, inputs)


# -- the budget notebook's panel -----------------------------------------------------------
class BudgetPanel(ipywidgets.VBox):
    """
    The budget notebook's tuning panel (build it with :func:`budget_panel`).

    Attributes
    ----------
    method : dict of Dropdown
        Each category's budgeting method (the methods that apply to it here).
    ratio : dict of FloatSlider
        Each category's expense ratio, used when ``use_ratio`` of the category is ticked.
    cap : FloatSlider
        The cap as a share of the target revenue.
    price_change, volume_change : FloatSlider
        A price and a volume change for the CVP (e.g. −5% and −10%).
    override : ipywidgets.HTML
        The YAML override of the tuned values that differ from the region's params.
    output : ipywidgets.Output
        The re-priced budget, CVP and dual check of the last redraw.
    """

    def __init__(self, wb, rb, **kwargs: Any) -> None:

        self._wb, self._rb, self._costing = wb, rb, budget
        bp = wb.params.budget
        style = {"description_width": "initial"}
        m = rb.methods
        rev = float(rb.summary.get("target_revenue", 0.0)) if len(rb.summary) else 0.0
        self._methods_long = self._long_methods(rb)
        self.method, self.ratio, self.use_ratio = {}, {}, {}
        rows = []
        for cat in CATEGORIES:
            options = [c for c in m.columns if c not in ("category", "chosen") and cat in set(m["category"])
                       and pd.notna(m.loc[m["category"] == cat, c]).any()]
            current = bp.methods.get(cat, "percent_of_sales")
            self.method[cat] = ipywidgets.Dropdown(
                options=[(labels.LABELS.get(o, o), o) for o in options] or [(current, current)],
                value=current if current in options or not options else options[0],
                description=labels.CATEGORY_NAMES[cat], style=style)
            amount = float(self._amount(cat, current))
            ratio0 = float(bp.ratios.get(cat, amount / rev if rev > 0 else 0.0))
            self.use_ratio[cat] = ipywidgets.Checkbox(value=cat in bp.ratios, description="按费用率", indent=False)
            self.ratio[cat] = ipywidgets.FloatSlider(value=min(max(ratio0, 0.0), 0.3), min=0.0, max=0.3, step=0.002,
                                                     readout_format=".1%", continuous_update=False)
            rows.append(ipywidgets.HBox([self.method[cat], self.use_ratio[cat], self.ratio[cat]]))
        self.use_cap = ipywidgets.Checkbox(value=bp.cap_ratio is not None, description="上限 cap", indent=False)
        self.cap = ipywidgets.FloatSlider(value=float(bp.cap_ratio or 0.25), min=0.05, max=0.4, step=0.005,
                                          readout_format=".1%", description="× 目标销售额 revenue",
                                          continuous_update=False, style=style)
        self.price_change = ipywidgets.FloatSlider(value=0.0, min=-0.2, max=0.1, step=0.01, readout_format="+.0%",
                                                   description="价格 price", continuous_update=False, style=style)
        self.volume_change = ipywidgets.FloatSlider(value=0.0, min=-0.3, max=0.1, step=0.01, readout_format="+.0%",
                                                    description="销量 volume", continuous_update=False, style=style)
        self.override = ipywidgets.HTML()
        self.output = ipywidgets.Output()
        for w in (*self.method.values(), *self.ratio.values(), *self.use_ratio.values(), self.use_cap, self.cap,
                  self.price_change, self.volume_change):
            w.observe(self._on_change, names="value")
        super().__init__(children=[*rows, ipywidgets.HBox([self.use_cap, self.cap, self.price_change,
                                                           self.volume_change]),
                                   self.override, self.output], **kwargs)
        self.redraw()

    @staticmethod
    def _long_methods(rb) -> pd.DataFrame:

        return budget.methods_long(rb)

    def _amount(self, cat: str, method: str) -> float:
        long = self._methods_long
        hit = long[(long["category"] == cat) & (long["method"] == method)]
        return float(hit["amount"].sum()) if len(hit) else 0.0

    def _on_change(self, change: Mapping[str, Any]) -> None:
        self.redraw()

    def tuned(self) -> dict[str, Any]:
        """The controls' values as :func:`planlib.costing.tune_budget` arguments."""
        return {
            "choices": {c: w.value for c, w in self.method.items()},
            "ratios": {c: round(float(self.ratio[c].value), 4) for c in self.ratio if self.use_ratio[c].value},
            "cap_ratio": round(float(self.cap.value), 4) if self.use_cap.value else None,
            "price_change": round(float(self.price_change.value), 4),
            "volume_change": round(float(self.volume_change.value), 4),
        }

    def _override_html(self, t: Mapping[str, Any]) -> str:
        bp = self._wb.params.budget
        values: dict[str, Any] = {}
        changed = {c: m for c, m in t["choices"].items() if m != bp.methods.get(c, "percent_of_sales")}
        if changed:
            values["budget.methods"] = {**dict(bp.methods), **changed}
        if t["ratios"] != dict(bp.ratios):
            values["budget.ratios"] = t["ratios"]
        if t["cap_ratio"] != (round(float(bp.cap_ratio), 4) if bp.cap_ratio is not None else None):
            values["budget.cap_ratio"] = t["cap_ratio"]
        if not values:
            return _note("与方案设置相同 — the region's own settings; nothing to override.")
        try:
            text = params.overrides_yaml(values)
        except ParamsError as exc:
            return _note(f"无法生成覆盖设置 Cannot write the override: {exc}")
        region = self._rb.region
        return (_note(f"要长期采用，把以下内容加入 params/regions/{region}.yaml（或情景文件）— to keep these values, add "
                      "them to the region's or a scenario's file; this panel writes none:")
                + f"<pre>{html.escape(text)}</pre>")

    def redraw(self) -> None:
        """Re-price the budget for the controls' values and replace the output."""
        t = self.tuned()
        self.override.value = self._override_html(t)
        if not len(self._rb.summary):
            self.output.outputs = (_html_bundle(_note("该区域没有预算 — no budget to tune.")),)
            return
        try:
            table, res = self._costing.tune_budget(
                self._rb.summary, self._methods_long, fixed_categories=self._wb.params.budget.fixed_categories, **t)
        except PlanlibError as exc:
            self.output.outputs = (_html_bundle(_note(f"无法计算 Cannot price: {exc}")),)
            return
        table = table.assign(category=table["category"].map(labels.CATEGORY_NAMES),
                             method=table["method"].map(lambda x: labels.LABELS.get(x, x)))
        flag = self._costing.FLAG_NAMES.get(res["flag"], res["flag"])
        figures = [("费用预算 budget", f"{res['budget']:,.0f}" + ("（已按上限压缩）" if res["capped"] else "")),
                   ("费用率", f"{res['expense_ratio']:.1%}"), ("保本销量 BEP", f"{res['bep_units']:,.0f}"),
                   ("利润 profit", f"{res['profit']:,.0f}"), ("利润目标", f"{res['profit_target']:,.0f}"),
                   ("双重检查", flag)]
        kpis = "".join(f'<div class="planlib-kpi"><div>{html.escape(k)}</div><b>{html.escape(v)}</b></div>'
                       for k, v in figures)
        markup = (f'<div class="planlib-kpis" style="display:flex;gap:10px;flex-wrap:wrap">{kpis}</div>'
                  + tables.table_html(table, caption="调整后的预算 Tuned budget", labels=labels.LABELS,
                                      formats={"amount": "{:,.0f}"}))
        self.output.outputs = (_html_bundle(markup),)


def budget_panel(wb, rb) -> BudgetPanel:
    """
    The budget notebook's panel: each category's method and ratio, the cap, a price and volume change.

    Parameters
    ----------
    wb : Workbook
    rb : RegionBudget
        The region's budget (:func:`planlib.costing.region_budget`).

    Returns
    -------
    BudgetPanel
        Each redraw re-prices with :func:`planlib.costing.tune_budget` (budget, BEP,
        profit and the dual check) and shows the YAML override; it writes no file.
    """
    return BudgetPanel(wb, rb)
