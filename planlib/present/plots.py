"""
Figures in the house style: seaborn on matplotlib, Chinese labels as real glyphs.

:func:`set_style` picks an installed CJK font and turns matplotlib's
``Glyph … missing from font`` warning into an error, so a report can never ship
boxes instead of characters (HAZARDS.md).
"""

from __future__ import annotations

import warnings

import pandas as pd

from planlib.errors import PlanlibError
from planlib.labels import CATEGORY_NAMES, EFFECT_NAMES

__all__ = [
    "CJK_FONTS",
    "find_cjk_font",
    "set_style",
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
]

#: Fonts tried in order; the first installed one is used.
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
)


def find_cjk_font() -> str:
    """
    Name of the first installed font from :data:`CJK_FONTS`.

    Raises
    ------
    PlanlibError
        If none is installed (``make`` installs Debian's fonts-noto-cjk).
    """
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    raise PlanlibError(
        "no CJK font installed: Chinese labels would render as boxes; "
        "install Debian's fonts-noto-cjk (make does this as root) and delete matplotlib's font cache"
    )


def set_style() -> str:
    """
    Apply the house style for figures and return the CJK font in use.

    Sets seaborn's whitegrid theme with the CJK font first in the sans-serif list,
    keeps the minus sign renderable, and makes missing-glyph warnings errors.
    """
    import matplotlib
    import seaborn as sns

    font = find_cjk_font()
    sns.set_theme(style="whitegrid", context="notebook", font=font)
    matplotlib.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["figure.dpi"] = 100
    matplotlib.rcParams["savefig.dpi"] = 100
    warnings.filterwarnings("error", message=r"Glyph .* missing from font")
    warnings.filterwarnings("error", message=r".*missing from current font")
    _register_png_display()
    return font


def _figure_png(fig) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def _register_png_display() -> None:
    """Show bare matplotlib Figures as PNG in IPython (no pyplot, so no double display)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - the library works without IPython
        return
    shell = get_ipython()
    if shell is None:
        return
    from matplotlib.figure import Figure

    shell.display_formatter.formatters["image/png"].for_type(Figure, _figure_png)


def _new_axes(width: float = 9.0, height: float = 3.8):
    # a bare Figure (not pyplot): the notebook shows it once, as the cell's value
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    ax = fig.subplots()
    return fig, ax


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
    # fixed margins, not tight_layout: measuring every label costs more than the drawing
    fig.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.12)
    return fig


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
    wide.plot(kind="bar", stacked=True, ax=ax, width=0.6, colormap="tab20")
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("占比")
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9)
    ax.tick_params(axis="x", rotation=0)
    fig.tight_layout()
    return fig


def grouped_bars(frame: pd.DataFrame, *, x: str, y: str, hue: str, title: str, ylabel: str):
    """Grouped bars of ``y`` by ``x`` and ``hue`` (e.g. volume by year and brand)."""
    import seaborn as sns

    fig, ax = _new_axes(8.0, 3.6)
    data = frame.assign(**{x: frame[x].astype(str)})
    sns.barplot(data=data, x=x, y=y, hue=hue, ax=ax, errorbar=None)
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel(ylabel)
    fig.tight_layout()
    return fig


def weekly_lines(weekly: pd.DataFrame, *, title: str):
    """Weekly volume of core terminals, one line per terminal class (date, terminal_class, volume)."""
    import seaborn as sns

    fig, ax = _new_axes(9.0, 3.4)
    data = weekly.assign(date=pd.to_datetime(weekly["date"]))
    sns.lineplot(data=data, x="date", y="volume", hue="terminal_class", ax=ax, linewidth=1.2)
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("周销量")
    ax.legend(title="等级")
    fig.tight_layout()
    return fig


def seasonal_compare(calendar_profile: pd.DataFrame, festival_profile: pd.DataFrame):
    """
    Two panels side by side: the profile by calendar month and aligned on Spring Festival.

    Both frames come from :func:`planlib.analysis.seasonal_profile` (year, slot, label, share).
    """
    import seaborn as sns
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    fig = Figure(figsize=(11.0, 3.8))
    left, right = fig.subplots(1, 2, sharey=True)
    for ax, frame, title in (
        (left, calendar_profile, "按公历月份 Calendar months"),
        (right, festival_profile, "按春节对齐 Aligned on Spring Festival"),
    ):
        data = frame.assign(year=frame["year"].astype(str))
        sns.lineplot(data=data, x="slot", y="share", hue="year", marker="o", ax=ax)
        labels = frame.drop_duplicates("slot").sort_values("slot")["label"].tolist()
        ax.set_xticks(range(1, len(labels) + 1))
        ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
        ax.set_title(title)
        ax.set_xlabel("")
        ax.set_ylabel("占全年比例")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.legend(title="年份", fontsize=8)
    fig.tight_layout()
    return fig


def share_bars(share: pd.DataFrame, *, title: str):
    """Own share by group and year (year, group, own_share) as grouped horizontal bars."""
    import seaborn as sns
    from matplotlib.ticker import PercentFormatter

    groups = share["group"].nunique()
    fig, ax = _new_axes(8.0, max(2.5, 0.35 * groups * max(1, share["year"].nunique()) / 2 + 1))
    data = share.assign(year=share["year"].astype(str))
    sns.barplot(data=data, y="group", x="own_share", hue="year", ax=ax, errorbar=None, orient="h")
    ax.set_title(title)
    ax.set_xlabel("本品份额")
    ax.set_ylabel("")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    fig.tight_layout()
    return fig


def growth_points(points: pd.DataFrame, *, title: str):
    """Attainable increase of the top growth points (name, kind, attainable), largest on top."""
    fig, ax = _new_axes(8.0, max(2.5, 0.38 * len(points) + 1))
    colours = {"region": "#1f77b4", "channel": "#ff7f0e", "terminal": "#2ca02c"}
    data = points.iloc[::-1]
    ax.barh([str(n) for n in data["name"]], data["attainable"], color=[colours.get(k, "#888") for k in data["kind"]])
    ax.set_title(title)
    ax.set_xlabel("可争取增量（销量）")
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=c, label=l) for l, c in zip(("区域", "渠道", "终端"), colours.values())], fontsize=8)
    fig.tight_layout()
    return fig


def effects_bars(effects: pd.DataFrame, *, title: str):
    """Volume, mix and price effects and the total per group (group, effect, amount)."""
    import seaborn as sns


    fig, ax = _new_axes(8.0, 3.6)
    data = effects.assign(effect=effects["effect"].map(EFFECT_NAMES))
    sns.barplot(data=data, x="group", y="amount", hue="effect", ax=ax, errorbar=None)
    ax.axhline(0, color="#333", linewidth=0.8)
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("销售额变动")
    fig.tight_layout()
    return fig


def expense_ratio_lines(ratios: pd.DataFrame, *, title: str):
    """Expense ratio by category over the years (year, category, ratio)."""
    import seaborn as sns
    from matplotlib.ticker import PercentFormatter


    fig, ax = _new_axes(8.0, 3.4)
    data = ratios.assign(category=ratios["category"].map(lambda c: CATEGORY_NAMES.get(c, c)), year=ratios["year"].astype(str))
    sns.lineplot(data=data, x="year", y="ratio", hue="category", marker="o", ax=ax)
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("费用率")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig


def target_months(months: pd.DataFrame, *, title: str):
    """Monthly target bars against last year's line (month, target_volume, last_year_volume)."""
    fig, ax = _new_axes(9.0, 3.6)
    m = pd.to_datetime(months["month"]).dt.month
    ax.bar(m, months["target_volume"], color="#4c72b0", label="目标 target")
    ax.plot(m, months["last_year_volume"], color="#dd8452", marker="o", label="去年 last year")
    ax.set_xticks(range(1, 13))
    ax.set_xticklabels([f"{k}月" for k in range(1, 13)])
    ax.set_title(title)
    ax.set_ylabel("销量")
    ax.legend()
    fig.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.12)
    return fig


def children_targets(frame, *, title: str):
    """
    Each child's target beside last year (bars) and its potential (a tick), one group per child.

    ``frame`` has name, last_year, target and optionally potential (NaN: unknown).
    """
    import numpy as np

    fig, ax = _new_axes(8.0, 3.4)
    x = np.arange(len(frame))
    ax.bar(x - 0.2, frame["last_year"].to_numpy(dtype=float), width=0.4, label="去年 last year", color="#9aa5b1")
    ax.bar(x + 0.2, frame["target"].to_numpy(dtype=float), width=0.4, label="目标 target", color="#1f6feb")
    if "potential" in frame and frame["potential"].notna().any():
        ax.scatter(x, frame["potential"].to_numpy(dtype=float), marker="_", s=600, color="#d1242f",
                   label="潜力 potential", zorder=3)
    ax.set_xticks(x, frame["name"].astype(str).tolist(), rotation=30 if len(frame) > 6 else 0, ha="right" if len(frame) > 6 else "center")
    ax.set_title(title)
    ax.set_ylabel("销量")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


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
    ax.set_ylabel("费用")
    ax.legend(loc="upper right", fontsize=8, ncol=5)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v / 10000:,.0f}万")
    fig.tight_layout()
    return fig
