"""The bar and line figures draw what seaborn's barplot and lineplot drew for them, byte for byte, without seaborn."""

import numpy as np
import pandas as pd
import pytest

from planlib.labels import EFFECT_NAMES
from planlib.present import canvas, plots


def _seaborn_figures() -> dict:
    """The figures as they were built on seaborn (its barplot and lineplot; titles, labels and legends as now)."""
    import seaborn as sns
    from matplotlib.ticker import PercentFormatter

    @plots.safe_figure
    def grouped_bars(frame, *, x, y, hue, title, ylabel):
        fig, ax = plots._new_axes(8.0, 3.6)
        sns.barplot(data=frame.assign(**{x: frame[x].astype(str)}), x=x, y=y, hue=hue, ax=ax, errorbar=None)
        ax.set_title(title)
        ax.set_xlabel("")
        ax.set_ylabel(ylabel)
        plots.amount_axis(ax.yaxis)
        plots._legend_title(ax, hue)
        canvas.tight_layout(fig)
        return fig

    @plots.safe_figure
    def share_bars(share, *, title):
        groups = share["group"].nunique()
        fig, ax = plots._new_axes(8.0, max(2.5, 0.35 * groups * max(1, share["year"].nunique()) / 2 + 1))
        sns.barplot(data=share.assign(year=share["year"].astype(str)), y="group", x="own_share", hue="year", ax=ax,
                    errorbar=None, orient="h")
        ax.set_title(title)
        ax.set_xlabel("本品份额")
        ax.set_ylabel("")
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        plots._legend_title(ax, "year")
        canvas.tight_layout(fig)
        return fig

    @plots.safe_figure
    def effects_bars(effects, *, title):
        fig, ax = plots._new_axes(8.0, 3.6)
        sns.barplot(data=effects.assign(effect=effects["effect"].map(EFFECT_NAMES)), x="group", y="amount",
                    hue="effect", ax=ax, errorbar=None)
        ax.axhline(0, color="#333", linewidth=0.8)
        ax.set_title(title)
        ax.set_xlabel("")
        ax.set_ylabel("销售额变动（元）")
        plots.amount_axis(ax.yaxis)
        plots._legend_title(ax, "effect")
        canvas.tight_layout(fig)
        return fig

    @plots.safe_figure
    def weekly_lines(weekly, *, title):
        fig, ax = plots._new_axes(9.0, 3.4)
        sns.lineplot(data=weekly.assign(date=pd.to_datetime(weekly["date"])), x="date", y="volume",
                     hue="terminal_class", ax=ax, linewidth=1.2)
        ax.set_title(title)
        ax.set_xlabel("")
        ax.set_ylabel("周销量（箱）")
        plots.amount_axis(ax.yaxis)
        ax.legend(title="等级")
        canvas.tight_layout(fig)
        return fig

    @plots.safe_figure
    def seasonal_compare(calendar_profile, festival_profile):
        fig = plots.new_figure(11.0, 3.8)
        left, right = fig.subplots(1, 2, sharey=True)
        for ax, frame, title in ((left, calendar_profile, "按公历月份"), (right, festival_profile, "按春节对齐")):
            sns.lineplot(data=frame.assign(year=frame["year"].astype(str)), x="slot", y="share", hue="year",
                         marker="o", ax=ax)
            labels = frame.drop_duplicates("slot").sort_values("slot")["label"].tolist()
            ax.set_xticks(range(1, len(labels) + 1))
            ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
            ax.set_title(title)
            ax.set_xlabel("")
            ax.set_ylabel("占全年比例")
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            ax.legend(title="年份", fontsize=8)
        canvas.tight_layout(fig)
        return fig

    @plots.safe_figure
    def expense_ratio_lines(ratios, *, title):
        fig, ax = plots._new_axes(8.0, 3.4)
        data = ratios.assign(category=ratios["category"].map(lambda c: plots.CATEGORY_NAMES.get(c, c)),
                             year=ratios["year"].astype(str))
        sns.lineplot(data=data, x="year", y="ratio", hue="category", marker="o", ax=ax)
        ax.set_title(title)
        ax.set_xlabel("")
        ax.set_ylabel("费用率")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5), title=plots.LEGEND_TITLES["category"])
        canvas.tight_layout(fig)
        return fig

    return {"grouped_bars": grouped_bars, "share_bars": share_bars, "effects_bars": effects_bars,
            "weekly_lines": weekly_lines, "seasonal_compare": seasonal_compare,
            "expense_ratio_lines": expense_ratio_lines}


def _cases() -> dict:
    """Inputs shaped as the review's, with levels out of sorted order, a missing combination and negative bars."""
    rng = np.random.default_rng(7)
    brands = pd.DataFrame({"year": [2026, 2026, 2026, 2024, 2024, 2025, 2025, 2025],
                           "brand": ["本品", "金潭", "古井", "本品", "金潭", "本品", "古井", "金潭"],
                           "volume": [1.5e5, 0.9e5, 0.4e5, 1.2e5, 0.8e5, 1.3e5, 0.5e5, 0.85e5]})
    share = pd.DataFrame({"year": [2025, 2025, 2025, 2026, 2026, 2026],
                          "group": ["东城县", "西山县", "南湖县", "东城县", "西山县", "南湖县"],
                          "own_share": [0.21, 0.35, 0.12, 0.24, 0.31, 0.15]})
    effects = pd.DataFrame({"group": ["合计", "合计", "合计", "酱香", "酱香", "酱香"],
                            "effect": ["volume", "mix", "price"] * 2,
                            "amount": [3.2e5, -4.1e4, 1.5e4, 1.1e5, 2.0e4, -6.0e3]})
    dates = pd.date_range("2025-01-06", periods=40, freq="7D")
    weekly = pd.DataFrame({"date": np.tile(dates.strftime("%Y-%m-%d"), 2), "terminal_class": ["B"] * 40 + ["A"] * 40,
                           "volume": rng.integers(50, 400, 80).astype(float)})
    weekly = weekly.sample(frac=1.0, random_state=3).reset_index(drop=True)  # rows in no order
    months = [f"{m}月" for m in range(1, 13)]

    def profile(years):
        return pd.DataFrame({"year": np.repeat(years, 12), "slot": np.tile(np.arange(1, 13), len(years)),
                             "label": months * len(years), "share": rng.dirichlet(np.ones(12), len(years)).ravel()})

    ratios = pd.DataFrame({"year": [2024, 2025, 2026] * 3, "category": ["promotion"] * 3 + ["media"] * 3 + ["people"] * 3,
                           "ratio": [0.05, 0.06, 0.055, 0.02, 0.025, 0.03, 0.08, 0.075, 0.07]})
    return {
        "grouped_bars": ((brands,), {"x": "year", "y": "volume", "hue": "brand", "title": "本品与竞品销量", "ylabel": "销量（箱）"}),
        "share_bars": ((share,), {"title": "各下级区域本品份额"}),
        "effects_bars": ((effects,), {"title": "2025→2026 销售额变动分解"}),
        "weekly_lines": ((weekly,), {"title": "A/B 类核心终端周销量"}),
        "seasonal_compare": ((profile([2024, 2025, 2026]), profile([2025, 2026])), {}),
        "expense_ratio_lines": ((ratios,), {"title": "各类费用率"}),
    }


@pytest.mark.parametrize("name", ["grouped_bars", "share_bars", "effects_bars", "weekly_lines", "seasonal_compare",
                                  "expense_ratio_lines"])
def test_the_figure_is_the_one_seaborn_drew_byte_for_byte(name):
    plots.set_style()
    args, kwargs = _cases()[name]
    ours = plots.figure_png(getattr(plots, name)(*args, **kwargs), bbox_inches="tight")
    theirs = plots.figure_png(_seaborn_figures()[name](*args, **kwargs), bbox_inches="tight")
    assert ours[:8] == b"\x89PNG\r\n\x1a\n" and len(ours) > 10_000  # a drawn figure, not a note
    assert ours == theirs


def test_levels_in_seaborns_order_and_colours_desaturated_for_bars():
    import seaborn as sns

    assert plots._levels(pd.Series(["b", "a", None, "b", "c"])) == ["b", "a", "c"]  # first appearance
    assert plots._levels(pd.Series([2026, 2024, 2025])) == [2024, 2025, 2026]  # numbers sorted
    assert plots._levels(pd.Series(["x", "y"], dtype=pd.CategoricalDtype(["y", "x", "z"]))) == ["y", "x", "z"]
    plots.set_style()
    assert plots._hue_colours(3) == sns.color_palette(None, 3)
    assert plots._hue_colours(2, 0.75) == [sns.desaturate(c, 0.75) for c in sns.color_palette(None, 2)]
    assert plots._hue_colours(12) == sns.color_palette("husl", 12)  # more levels than the cycle's colours


def test_several_values_at_one_point_of_a_line_are_drawn_at_their_mean():
    plots.set_style()
    weekly = pd.DataFrame({"date": ["2026-01-12", "2026-01-05", "2026-01-05"], "terminal_class": ["A"] * 3,
                           "volume": [5.0, 1.0, 2.0]})
    fig = plots.weekly_lines(weekly, title="周销量")
    (line,) = [ln for ln in fig.axes[0].get_lines() if len(ln.get_xdata())]
    assert list(line.get_ydata()) == [1.5, 5.0]


def test_tight_layout_lays_the_figure_out_as_matplotlibs_own():
    plots.set_style()
    args, kwargs = _cases()["weekly_lines"]

    def build():
        fig, ax = plots._new_axes(9.0, 3.4)
        plots._hue_lines(ax, args[0].assign(date=pd.to_datetime(args[0]["date"])), x="date", y="volume",
                         hue="terminal_class")
        ax.set_title(kwargs["title"])
        plots.amount_axis(ax.yaxis)
        return fig, ax

    fig, ax = build()
    canvas.tight_layout(fig)
    own, own_ax = build()
    own.tight_layout()
    assert ax.get_position().bounds == own_ax.get_position().bounds
    assert "_update_ticks" not in vars(ax.xaxis)  # the axes are left as they were


@pytest.mark.parametrize("name", ["grouped_bars", "share_bars", "effects_bars", "weekly_lines", "seasonal_compare",
                                  "expense_ratio_lines"])
def test_each_axes_builds_its_final_legend_once(name, monkeypatch):
    from matplotlib.axes import Axes

    plots.set_style()
    built = []
    legend = Axes.legend

    def counted(ax, *args, **kwargs):
        built.append((id(ax), kwargs.get("title")))
        return legend(ax, *args, **kwargs)

    monkeypatch.setattr(Axes, "legend", counted)
    args, kwargs = _cases()[name]
    fig = getattr(plots, name)(*args, **kwargs)
    assert sorted(a for a, _ in built) == sorted(id(ax) for ax in fig.axes)  # one legend per axes, built once
    titles = {ax.get_legend().get_title().get_text() for ax in fig.axes}
    assert titles == {t for _, t in built} and not titles & {"brand", "year", "effect", "terminal_class", "category"}
