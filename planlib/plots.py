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

__all__ = [
    "CJK_FONTS",
    "find_cjk_font",
    "set_style",
    "monthly_lines",
    "stacked_shares",
    "grouped_bars",
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
    return font


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
    data = frame.assign(year=frame["year"].astype(str))
    sns.lineplot(data=data, x="month", y=value, hue="year", marker="o", ax=ax)
    ax.set_xticks(range(1, 13))
    ax.set_xticklabels([f"{m}月" for m in range(1, 13)])
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel(ylabel)
    ax.legend(title="年份")
    fig.tight_layout()
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
