"""
Figures in the house style: seaborn's theme on matplotlib, Chinese labels as real glyphs.

The bar and line figures draw with matplotlib what seaborn's barplot and lineplot drew for
them (the same PNG bytes: tests/present/test_plots_seaborn.py): seaborn gives the theme and
the colours, its plotting functions cost more than the figures they draw.

The style itself is :mod:`planlib.present.style`: the CJK font (:func:`set_style`), names as
plain text of drawable characters (:func:`figure_text`), and a figure that never fails a
report (:func:`safe_figure` wraps every figure here, :func:`figure_png` renders it or a
:func:`note_figure` saying why). Its public names are re-exported here, the path the
notebooks use.

Figures are bare Figures on the house canvas (:func:`new_figure`, from
:mod:`planlib.present.canvas`: text measured once per process, each figure drawn once, the
same pixels as matplotlib's savefig).

Public functions: :func:`find_cjk_font`, :func:`set_style`, :func:`style_fonts`,
:func:`figure_text`, :func:`short_label`, :func:`short_labels`, :func:`house_layout`,
:func:`note_figure`, :func:`safe_figure`, :func:`figure_png` (from :mod:`planlib.present.style`:
a long name is cut short as a tick label or legend entry, and no warning reaches the page), :func:`new_figure` (from :mod:`planlib.present.canvas`),
the amount axes :func:`amount_formatter`, :func:`amount_axis`, and
the figures :func:`monthly_lines`, :func:`stacked_shares`, :func:`grouped_bars`,
:func:`weekly_lines`, :func:`seasonal_compare`, :func:`share_bars`,
:func:`growth_points`, :func:`effects_bars`, :func:`expense_ratio_lines`,
:func:`target_months`, :func:`children_targets`, :func:`budget_months`,
:func:`response_points`, :func:`tracking_months`.
"""

from __future__ import annotations

import pandas as pd

from planlib.labels import (
    CATEGORY_NAMES,
    CODE_NAMES,
    EFFECT_NAMES,
    LEGEND_TITLES,
    UNIT_KINDS,
)
from planlib.present.canvas import new_figure
from planlib.present.style import (
    CJK_FONTS,
    REPLACEMENT_MARK,
    figure_png,
    LABEL_CHARS,
    figure_text,
    find_cjk_font,
    house_layout,
    note_figure,
    safe_figure,
    set_style,
    short_label,
    short_labels,
    style_fonts,
)

__all__ = [
    "CJK_FONTS",
    "REPLACEMENT_MARK",
    "find_cjk_font",
    "set_style",
    "style_fonts",
    "figure_text",
    "LABEL_CHARS",
    "short_label",
    "short_labels",
    "house_layout",
    "note_figure",
    "safe_figure",
    "figure_png",
    "new_figure",
    "monthly_lines",
    "stacked_shares",
    "grouped_bars",
    "weekly_lines",
    "seasonal_compare",
    "share_bars",
    "growth_points",
    "effects_bars",
    "expense_ratio_lines",
    "target_months",
    "children_targets",
    "budget_months",
    "response_points",
    "tracking_months",
    "amount_formatter",
    "amount_axis",
]


def _tick_text(value: float, scale: float, suffix: str, decimals: int) -> str:
    text = f"{value / scale:,.{decimals}f}"
    if decimals:
        text = text.rstrip("0").rstrip(".")
    return ("0" if text in ("-0", "") else text) + (suffix if text not in ("0", "-0") else "")


def amount_formatter():
    """
    A tick formatter for amounts and volumes in the plan's way of writing them: 2.5万, 1.2亿, 8,000.

    Never an offset or a ``1e8`` multiplier: each tick carries its own unit. The decimals are
    the fewest that tell the ticks apart (a 2.5万 step reads 0, 2.5万, 5万, 7.5万).

    Notes
    -----
    Scale: 亿 (1e8) when the largest tick reaches 1e8, 万 (1e4) from 1e4, else whole numbers
    with thousands separators. Decimals: the fewest (at most 3) that write every tick / scale exactly.
    """
    import math

    from matplotlib.ticker import Formatter

    class AmountFormatter(Formatter):
        def __init__(self):
            self.scale, self.suffix, self.decimals = 1.0, "", 0

        def _fit(self, values):
            finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
            top = max((abs(v) for v in finite), default=0.0)
            self.scale, self.suffix = (1e8, "亿") if top >= 1e8 else (1e4, "万") if top >= 1e4 else (1.0, "")
            scaled = sorted({round(v / self.scale, 9) for v in finite})
            self.decimals = 0
            while self.decimals < 3 and any(abs(round(v, self.decimals) - v) > 1e-9 for v in scaled):
                self.decimals += 1  # the fewest decimals that write every tick exactly

        def format_ticks(self, values):
            self._fit(values)
            return [_tick_text(float(v), self.scale, self.suffix, self.decimals) for v in values]

        def __call__(self, x, pos=None):
            if pos is None:  # the cursor readout: one value alone
                self._fit([x])
            return _tick_text(float(x), self.scale, self.suffix, self.decimals)

    return AmountFormatter()


def amount_axis(axis) -> None:
    """Ticks at round steps (1, 2, 2.5, 5 × 10^k) labelled by :func:`amount_formatter`, without offset."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(amount_formatter())


def _legend_title(ax, column: str, **kwargs) -> None:
    """The axes' legend titled in the plan's words (the column's name otherwise shows: ``brand``, ``year``)."""
    if ax.get_legend() is not None:
        ax.legend(title=LEGEND_TITLES.get(column, column), **kwargs)


def _levels(values: pd.Series) -> list:
    """
    A column's levels in the order seaborn's categorical plots use: a categorical's categories,
    else the values in order of first appearance (sorted when numeric); missing values left out.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        order = list(values.cat.categories)
    else:
        order = list(pd.unique(values))
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            order = sorted(order)
    return [v for v in order if pd.notna(v)]


def _hue_colours(n: int, saturation: float = 1.0) -> list:
    """
    The colours of ``n`` hue levels as seaborn gives them: the style's colour cycle while it
    has enough colours (husl beyond), each desaturated to ``saturation`` (bars: 0.75).
    """
    import seaborn as sns  # colours only: its plotting functions cost more than the figures they draw

    colours = sns.color_palette(None, n) if n <= len(sns.utils.get_color_cycle()) else sns.color_palette("husl", n)
    return [sns.desaturate(c, saturation) if saturation < 1 else c for c in colours]


def _category_axis(ax, levels: list, which: str = "x") -> dict:
    """Make ``which`` axis a category axis of ``levels`` (as text, in this order); level -> position."""
    texts = [str(v) for v in levels]
    getattr(ax, f"{which}axis").update_units(texts)
    if which == "y":  # the first level on top
        ax.yaxis.set_inverted(True)
    return {v: float(i) for i, v in enumerate(levels)}


def _category_bars(ax, frame: pd.DataFrame, *, cat: str, value: str, hue: str, horizontal: bool = False,
                   legend: dict | None = None) -> None:
    """
    Bars of the mean ``value`` per level of ``cat``, side by side per level of ``hue``: what
    ``seaborn.barplot(errorbar=None)`` draws (its positions, widths, colours desaturated to 0.75,
    category axis without its grid, limits half a bar beyond the outer levels), with its legend
    (``ax.legend(**legend)``, by default titled ``hue``: a figure gives its final legend here
    rather than building it twice).

    Notes
    -----
    With n hue levels a bar is w = 0.8 / n wide; the bar of hue level k at category position p
    is centred at p + w·k + w/2 − 0.4.
    """
    from matplotlib.patches import Rectangle

    data = frame[[cat, hue, value]].dropna()
    levels, hues = _levels(data[cat]), _levels(data[hue])
    if not levels or not hues:
        return
    position = _category_axis(ax, levels, "y" if horizontal else "x")
    colours = _hue_colours(len(hues), 0.75)
    n = len(hues)
    for k, (level, colour) in enumerate(zip(hues, colours)):
        one = data[data[hue] == level]
        means = one.groupby(one[cat].map(position), sort=True)[value].mean()
        centre = means.index.to_numpy(dtype=float)
        width = 0.8 / n
        centre = centre + (width * k + width / 2 - width * n / 2)
        edge = centre - width / 2
        widths = (centre + width / 2) - edge
        if horizontal:
            ax.barh(y=edge, width=means.to_numpy(), height=widths, align="edge", color=colour, facecolor=colour)
        else:
            ax.bar(x=edge, height=means.to_numpy(), width=widths, align="edge", color=colour, facecolor=colour)
    ticks = len(ax.get_yticks() if horizontal else ax.get_xticks())
    if horizontal:
        ax.yaxis.grid(False)
        ax.set_ylim(ticks - .5, -.5, auto=None)
    else:
        ax.xaxis.grid(False)
        ax.set_xlim(-.5, ticks - .5, auto=None)
    for level, colour in zip(hues, colours):  # the legend's keys, as seaborn adds them to the axes
        ax.add_artist(Rectangle((0, 0), 0, 0, facecolor=colour, label=level))
    ax.legend(**({"title": hue} if legend is None else legend))


def _hue_lines(ax, frame: pd.DataFrame, *, x: str, y: str, hue: str, legend: dict | None = None, **line) -> None:
    """
    One line per level of ``hue`` through its rows sorted by ``x``: what ``seaborn.lineplot``
    draws for one value per x and level (white-edged markers, the hue colours), with its legend
    (``ax.legend(**legend)``, by default titled ``hue``).
    A text ``x`` is a category axis in order of appearance; several values at one x and level
    are drawn at their mean.
    """
    from matplotlib.lines import Line2D

    data = frame[[x, y, hue]].dropna()
    hues = _levels(data[hue])
    colours = _hue_colours(len(hues))
    xs = data[x]
    if xs.dtype == object or pd.api.types.is_string_dtype(xs.dtype):
        position = _category_axis(ax, _levels(xs))
        xs = xs.map(position)
    data = data.assign(**{x: xs})
    style = {**line, "markeredgewidth": 0.75, "markeredgecolor": "w"}
    for level, colour in zip(hues, colours):
        one = data[data[hue] == level].sort_values([x, y])
        if one[x].duplicated().any():  # more than one value at an x: their mean (seaborn's estimate, without its band)
            one = one.groupby(x, sort=True, as_index=False)[y].mean()
        ax.plot(one[x], one[y], color=colour, **style)
    for level, colour in zip(hues, colours):  # the legend's keys, as seaborn adds them to the axes
        ax.add_artist(Line2D([], [], color=colour, label=level, **style))
    if hues:  # no lines, no legend (matplotlib would warn on the page that it found none)
        ax.legend(**({"title": hue} if legend is None else legend))


def _stacked_bars(ax, wide: pd.DataFrame, *, width: float, colormap: str) -> None:
    """
    One stacked bar per row of ``wide``, a segment per column: what pandas'
    ``wide.plot(kind="bar", stacked=True, ax=ax, width=width, colormap=colormap)`` draws (its
    positions, colours along the colormap, tick labels, limits and grid), without its
    plotting machinery; the legend is left to the figure.

    Notes
    -----
    Row i's bar is centred at (i − w/2) + w/2 and is w wide, column k's segment starting at
    the sum of the positive (negative) values of columns before k; the x limits run from
    −w/2 − 0.25 to (n − 1) − w/2 + 0.25 + w; the colour of column k of m is the colormap at
    k / (m − 1) (0 for one column).
    """
    import matplotlib
    import numpy as np

    if wide.shape[1] == 0:
        raise TypeError("no numeric data to plot")  # as pandas says it
    n = len(wide)
    tick_pos = np.arange(n)
    ax_pos = tick_pos - width * 0.5  # as pandas: its tick offset, then half a bar back
    cmap = matplotlib.colormaps[colormap]
    colours = [cmap(v) for v in np.linspace(0, 1, num=len(wide.columns))]
    data = wide.fillna(0)
    pos_prior = neg_prior = np.zeros(n)
    for k, column in enumerate(data.columns):
        y = np.asarray(data.iloc[:, k].to_numpy())
        mask = y >= 0
        start = np.where(mask, pos_prior, neg_prior) + 0
        ax.bar(ax_pos + width / 2, y, width, bottom=start, log=False, color=colours[k],
               label=str(column), align="center")
        pos_prior = pos_prior + np.where(mask, y, 0)
        neg_prior = neg_prior + np.where(mask, 0, y)
    ax.grid(matplotlib.rcParams["axes.grid"])
    ax.set_xlim((ax_pos[0] - 0.25, ax_pos[-1] + 0.25 + width))
    ax.set_xticks(tick_pos)
    ax.set_xticklabels([str(key) for key in data.index])


def _new_axes(width: float = 9.0, height: float = 3.8):
    # a bare Figure (not pyplot): the notebook shows it once, as the cell's value
    fig = new_figure(width, height)
    ax = fig.subplots()
    return fig, ax


@safe_figure
def monthly_lines(frame: pd.DataFrame, *, value: str, title: str, ylabel: str):
    """
    One line per year across the twelve months (month on the x axis).

    Parameters
    ----------
    frame : DataFrame
        Columns ``year``, ``month`` (1-12) and ``value``.
    value : str
        The column to plot.
    title, ylabel : str
        Labels (Chinese is fine).

    Returns
    -------
    Figure
    """
    import seaborn as sns

    fig, ax = _new_axes()
    # plain matplotlib lines: a widget redraws this figure, and seaborn's lineplot costs 5x more
    years = sorted(frame["year"].unique())
    for year, colour in zip(years, sns.color_palette(n_colors=max(len(years), 1))):
        one = frame[frame["year"] == year].sort_values("month")
        ax.plot(one["month"], one[value], marker="o", color=colour, label=str(year))
    ax.set_xticks(range(1, 13))
    ax.set_xticklabels([f"{m}月" for m in range(1, 13)])
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel(ylabel)
    ax.legend(title="年份")
    amount_axis(ax.yaxis)
    # fixed margins, not tight_layout: measuring every label costs more than the drawing
    fig.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.12)
    return fig


@safe_figure
def stacked_shares(frame: pd.DataFrame, *, index: str, columns: str, value: str, title: str):
    """
    A 100% stacked bar per ``index`` value, split by ``columns``.

    Parameters
    ----------
    frame : DataFrame
        Long table with ``index``, ``columns`` and ``value`` (shares summing to 1 per index).
    """
    from matplotlib.ticker import PercentFormatter

    fig, ax = _new_axes(8.0, 3.6)
    wide = frame.pivot_table(index=index, columns=columns, values=value, aggfunc="sum", fill_value=0.0)
    wide.index = wide.index.astype(str)
    wide.columns = [CODE_NAMES.get(c, c) if isinstance(c, str) else c for c in wide.columns]
    _stacked_bars(ax, wide, width=0.6, colormap="tab20")
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("占比")
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9, title=LEGEND_TITLES.get(columns, columns))
    ax.tick_params(axis="x", rotation=0)
    house_layout(fig)
    return fig


@safe_figure
def grouped_bars(frame: pd.DataFrame, *, x: str, y: str, hue: str, title: str, ylabel: str):
    """Grouped bars of ``y`` by ``x`` and ``hue`` (e.g. volume by year and brand)."""
    fig, ax = _new_axes(8.0, 3.6)
    _category_bars(ax, frame.assign(**{x: frame[x].astype(str)}), cat=x, value=y, hue=hue,
                   legend={"title": LEGEND_TITLES.get(hue, hue)})
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel(ylabel)
    amount_axis(ax.yaxis)
    house_layout(fig)
    return fig


@safe_figure
def weekly_lines(weekly: pd.DataFrame, *, title: str):
    """Weekly volume of core terminals, one line per terminal class (date, terminal_class, volume)."""
    fig, ax = _new_axes(9.0, 3.4)
    data = weekly.assign(date=pd.to_datetime(weekly["date"]))
    _hue_lines(ax, data, x="date", y="volume", hue="terminal_class", legend={"title": "等级"}, linewidth=1.2)
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("周销量（箱）")
    amount_axis(ax.yaxis)
    house_layout(fig)
    return fig


@safe_figure
def seasonal_compare(calendar_profile: pd.DataFrame, festival_profile: pd.DataFrame):
    """
    Two panels side by side: the profile by calendar month and aligned on Spring Festival.

    Both frames come from :func:`planlib.review.seasonal_profile` (year, slot, label, share).
    """
    from matplotlib.ticker import PercentFormatter

    fig = new_figure(11.0, 3.8)
    left, right = fig.subplots(1, 2, sharey=True)
    for ax, frame, title in (
        (left, calendar_profile, "按公历月份"),
        (right, festival_profile, "按春节对齐"),
    ):
        data = frame.assign(year=frame["year"].astype(str))
        _hue_lines(ax, data, x="slot", y="share", hue="year", legend={"title": "年份", "fontsize": 8}, marker="o")
        labels = frame.drop_duplicates("slot").sort_values("slot")["label"].tolist()
        ax.set_xticks(range(1, len(labels) + 1))
        ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
        ax.set_title(title)
        ax.set_xlabel("")
        ax.set_ylabel("占全年比例", visible=ax is left)  # the right panel shares the left one's y axis
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    house_layout(fig)
    return fig


@safe_figure
def share_bars(share: pd.DataFrame, *, title: str):
    """Own share by group and year (year, group, own_share) as grouped horizontal bars."""
    from matplotlib.ticker import PercentFormatter

    groups = share["group"].nunique()
    fig, ax = _new_axes(8.0, max(2.5, 0.35 * groups * max(1, share["year"].nunique()) / 2 + 1))
    data = share.assign(year=share["year"].astype(str))
    _category_bars(ax, data, cat="group", value="own_share", hue="year", horizontal=True,
                   legend={"title": LEGEND_TITLES.get("year", "year")})
    ax.set_title(title)
    ax.set_xlabel("本品份额")
    ax.set_ylabel("")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    house_layout(fig)
    return fig


@safe_figure
def growth_points(points: pd.DataFrame, *, title: str):
    """Attainable increase of the top growth points (name, kind, attainable), largest on top."""
    fig, ax = _new_axes(8.0, max(2.5, 0.38 * len(points) + 1))
    colours = {"region": "#1f77b4", "channel": "#ff7f0e", "terminal": "#2ca02c"}
    data = points.iloc[::-1]
    ax.barh([str(n) for n in data["name"]], data["attainable"], color=[colours.get(k, "#888") for k in data["kind"]])
    ax.set_title(title)
    ax.set_xlabel("可争取增量（箱）")
    amount_axis(ax.xaxis)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=c, label=l) for l, c in zip((UNIT_KINDS[k] for k in colours), colours.values())], fontsize=8)
    house_layout(fig)
    return fig


@safe_figure
def effects_bars(effects: pd.DataFrame, *, title: str):
    """Volume, mix and price effects and the total per group (group, effect, amount)."""
    fig, ax = _new_axes(8.0, 3.6)
    data = effects.assign(effect=effects["effect"].map(EFFECT_NAMES))
    _category_bars(ax, data, cat="group", value="amount", hue="effect",
                   legend={"title": LEGEND_TITLES.get("effect", "effect")})
    ax.axhline(0, color="#333", linewidth=0.8)
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("销售额变动（元）")
    amount_axis(ax.yaxis)
    house_layout(fig)
    return fig


@safe_figure
def expense_ratio_lines(ratios: pd.DataFrame, *, title: str):
    """Expense ratio by category over the years (year, category, ratio)."""
    from matplotlib.ticker import PercentFormatter

    fig, ax = _new_axes(8.0, 3.4)
    data = ratios.assign(category=ratios["category"].map(lambda c: CATEGORY_NAMES.get(c, c)), year=ratios["year"].astype(str))
    _hue_lines(ax, data, x="year", y="ratio", hue="category", marker="o",
               legend={"fontsize": 8, "loc": "center left", "bbox_to_anchor": (1.0, 0.5), "title": LEGEND_TITLES["category"]})
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("费用率")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    house_layout(fig)
    return fig


@safe_figure
def target_months(months: pd.DataFrame, *, title: str):
    """Monthly target bars against last year's line (month, target_volume, last_year_volume)."""
    fig, ax = _new_axes(9.0, 3.6)
    m = pd.to_datetime(months["month"]).dt.month
    ax.bar(m, months["target_volume"], color="#4c72b0", label="目标")
    ax.plot(m, months["last_year_volume"], color="#dd8452", marker="o", label="去年")
    ax.set_xticks(range(1, 13))
    ax.set_xticklabels([f"{k}月" for k in range(1, 13)])
    ax.set_title(title)
    ax.set_ylabel("销量（箱）")
    amount_axis(ax.yaxis)
    ax.legend()
    fig.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.12)
    return fig


@safe_figure
def children_targets(frame, *, title: str):
    """
    Each child's target beside last year (bars) and its potential (a tick), one group per child.

    ``frame`` has name, last_year, target and optionally potential (NaN: unknown).
    """
    import numpy as np

    fig, ax = _new_axes(8.0, 3.4)
    x = np.arange(len(frame))
    ax.bar(x - 0.2, frame["last_year"].to_numpy(dtype=float), width=0.4, label="去年", color="#9aa5b1")
    ax.bar(x + 0.2, frame["target"].to_numpy(dtype=float), width=0.4, label="目标", color="#1f6feb")
    if "potential" in frame and frame["potential"].notna().any():
        ax.scatter(x, frame["potential"].to_numpy(dtype=float), marker="_", s=600, color="#d1242f",
                   label="潜力", zorder=3)
    ax.set_xticks(x, frame["name"].astype(str).tolist(), rotation=30 if len(frame) > 6 else 0, ha="right" if len(frame) > 6 else "center")
    ax.set_title(title)
    ax.set_ylabel("销量（箱）")
    amount_axis(ax.yaxis)
    ax.legend(loc="upper right", fontsize=8)
    house_layout(fig)
    return fig


@safe_figure
def budget_months(months, *, title: str, names=None):
    """Monthly budget stacked by category (``months``: month and one column per category)."""
    import numpy as np

    fig, ax = _new_axes(8.5, 3.4)
    cats = [c for c in months.columns if c != "month"]
    bottom = np.zeros(len(months))
    x = months["month"].to_numpy()
    for c in cats:
        v = months[c].to_numpy(dtype=float)
        ax.bar(x, v, bottom=bottom, label=(names or {}).get(c, c), width=0.7)
        bottom += v
    ax.set_xticks(x, [f"{int(m)}月" for m in x])
    ax.set_title(title)
    ax.set_ylabel("费用（元）")
    ax.legend(loc="upper right", fontsize=8, ncol=5)
    amount_axis(ax.yaxis)
    house_layout(fig)
    return fig


@safe_figure
def response_points(curves: pd.DataFrame, detail: pd.DataFrame, *, margin_rate: float, title: str, names=None,
                    limits=None):
    """
    Input-output: per activity kind, the contribution one activity brings against its spend,
    the break-even line (a yuan back for every yuan) and the spend the budget chose.

    ``curves``: :func:`planlib.budget.fit_response` rows; ``detail``: the kinds' ``spend``
    (per activity), ``marginal_return`` and ``stop`` (:func:`planlib.budget.input_output_spend`);
    ``limits``: kind -> the most one activity may spend (the x axis reaches it).
    """
    import numpy as np

    d = detail.set_index("kind")
    kinds = [k for k in curves["kind"] if k in d.index]
    fig = new_figure(4.2 * max(len(kinds), 1), 3.6)  # a bare Figure (not pyplot): shown once, as the cell's value
    axes = np.atleast_1d(fig.subplots(1, max(len(kinds), 1)))
    c = curves.set_index("kind")
    for ax, k in zip(axes, kinds):
        x_star = float(d.loc[k, "spend"])
        limit = float((limits or {}).get(k, 0.0)) if limits is not None else 0.0
        top = max(3.0 * x_star, 4.0 * float(c.loc[k, "b"]) if c.loc[k, "curve"] == "exponential" else 0.0,
                  limit, 1000.0)
        x = np.linspace(0.0, top, 200)
        if c.loc[k, "curve"] == "exponential":
            lift = c.loc[k, "a"] * -np.expm1(-x / c.loc[k, "b"])
        else:
            lift = c.loc[k, "slope"] * x
        ax.plot(x, margin_rate * lift, label="毛利回报")
        ax.plot(x, x, linestyle="--", color="grey", label="投入 = 回报")
        if c.loc[k, "curve"] == "exponential":
            y_star = margin_rate * c.loc[k, "a"] * -np.expm1(-x_star / c.loc[k, "b"])
        else:
            y_star = margin_rate * c.loc[k, "slope"] * x_star
        ax.scatter([x_star], [y_star], color="C3", zorder=3, label=f"选定 {x_star:,.0f}")
        ax.set_title(f"{(names or {}).get(k, k)}（边际回报 {float(d.loc[k, 'marginal_return']):.2f}）")
        ax.set_xlabel("每次活动投入（元）")
        amount_axis(ax.xaxis)
        amount_axis(ax.yaxis)
        ax.legend(loc="upper left", fontsize=7)
    fig.suptitle(title)
    house_layout(fig)
    return fig


@safe_figure
def tracking_months(monthly: pd.DataFrame, *, title: str, ylabel: str = "销量（箱）"):
    """
    A measure's months: the plan's target (bars), the actual (bars beside) and the revised target (line).

    ``monthly`` has month, target, actual (null after the as-of date) and revised_target.
    """
    import numpy as np

    fig, ax = _new_axes(9.0, 3.6)
    m = pd.to_datetime(monthly["month"]).dt.month.to_numpy()
    ax.bar(m - 0.2, monthly["target"].to_numpy(dtype=float), width=0.4, color="#9aa5b1", label="计划目标")
    actual = pd.to_numeric(monthly["actual"]).to_numpy(dtype=float, na_value=np.nan).copy()
    ax.bar(m + 0.2, np.nan_to_num(actual), width=0.4, color="#1f6feb", label="实际")
    if "revised_target" in monthly:  # the months still open: what they are asked now
        revised = pd.to_numeric(monthly["revised_target"]).to_numpy(dtype=float, na_value=np.nan).copy()
        revised[~np.isnan(actual)] = np.nan
        ax.plot(m, revised, color="#d1242f", marker="o", linewidth=1.4, label="调整后目标（未完月份）")
    ax.set_xticks(range(1, 13))
    ax.set_xticklabels([f"{k}月" for k in range(1, 13)])
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    amount_axis(ax.yaxis)
    ax.legend(fontsize=8)
    fig.subplots_adjust(left=0.1, right=0.98, top=0.9, bottom=0.12)
    return fig
