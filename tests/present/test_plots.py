"""Figures render Chinese labels as glyphs; a missing glyph is an error, not boxes."""

import io
import warnings

import numpy as np
import pandas as pd
import pytest

from planlib.present import plots, profit_plots


def test_set_style_picks_a_cjk_font_and_figures_render_chinese():
    font = plots.set_style()
    assert font in plots.CJK_FONTS
    frame = pd.DataFrame({"year": [2024] * 12 + [2025] * 12, "month": list(range(1, 13)) * 2,
                          "revenue": [float(i) for i in range(24)]})
    fig = plots.monthly_lines(frame, value="revenue", title="月度销售额 春节", ylabel="销售额")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(io.BytesIO(), format="png")  # would raise on "Glyph … missing"
    assert fig.axes[0].get_title() == "月度销售额 春节"
    assert not fig.axes[0].texts  # the figure itself, not a note saying it could not be drawn


def test_missing_glyph_is_an_error_after_set_style():
    """Text drawn around planlib (not through figure_text) still fails loudly on a missing glyph."""
    from matplotlib.figure import Figure

    plots.set_style()
    fig = Figure()
    fig.subplots().set_title("\U0001D518")  # a glyph no installed font has
    with pytest.raises(UserWarning, match="missing from"):
        fig.savefig(io.BytesIO(), format="png")


# -- names are data ----------------------------------------------------------------------

EMOJI_BRAND = "金潭\U0001F376"
EMOJI_COUNTY = "历城区\U0001F600"
MATH_COUNTY = "平阴县$\\undefinedcommand$"
SCRIPT = "<script>alert(1)</script>"
HOSTILE = [EMOJI_BRAND, EMOJI_COUNTY, MATH_COUNTY, SCRIPT]


def _texts(fig) -> list[str]:
    """Every text of the figure after drawing it (tick labels exist only then)."""
    from matplotlib.text import Text

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(io.BytesIO(), format="png")  # raises on a missing glyph or bad mathtext
    return [t.get_text() for t in fig.findobj(Text)]


def _assert_plain(texts: list[str]) -> None:
    joined = "\n".join(texts)
    assert "could not be drawn" not in joined
    assert "\U0001F376" not in joined
    assert "金潭□" in joined  # no installed font has the sake bottle
    assert plots.figure_text(EMOJI_COUNTY) in joined  # DejaVu Sans has the grin: drawn from it
    assert MATH_COUNTY in joined and SCRIPT in joined  # verbatim: no mathtext, nothing lost


def test_figure_text_replaces_what_no_font_draws():
    plots.set_style()
    assert plots.figure_text(EMOJI_BRAND) == "金潭□"
    assert "□" not in plots.figure_text("康源\u200d酒业\ufe0f")  # joiners a font has are drawn (as nothing)
    assert plots.figure_text(MATH_COUNTY) == MATH_COUNTY
    assert plots.figure_text("月度销售额 春节 -12.5%") == "月度销售额 春节 -12.5%"


def _title() -> str:
    return " · ".join(HOSTILE)


def _years_by(column: str, value: str) -> pd.DataFrame:
    rows = [(y, name, float(i + 1)) for y in (2024, 2025) for i, name in enumerate(HOSTILE)]
    return pd.DataFrame(rows, columns=["year", column, value])


def test_every_figure_shows_hostile_names_as_plain_text():
    plots.set_style()
    months = pd.DataFrame({"year": [2024] * 12 + [2025] * 12, "month": list(range(1, 13)) * 2,
                           "revenue": [float(i) for i in range(24)]})
    weekly = pd.DataFrame({"date": pd.date_range("2025-01-06", periods=8, freq="7D").repeat(2),
                           "terminal_class": HOSTILE[:2] * 8, "volume": [float(i) for i in range(16)]})
    seasonal = pd.DataFrame({"year": [2025] * 12, "slot": range(1, 13),
                             "label": [HOSTILE[i % 4] + str(i) for i in range(12)], "share": [1 / 12] * 12})
    shares = _years_by("channel", "share")
    points = pd.DataFrame({"name": HOSTILE, "kind": ["region", "channel", "terminal", "region"],
                           "attainable": [4.0, 3.0, 2.0, 1.0]})
    effects = pd.DataFrame([(g, e, 1.0) for g in HOSTILE for e in ("volume", "mix", "price", "total")],
                           columns=["group", "effect", "amount"])
    targets = pd.DataFrame({"month": pd.date_range("2027-01-01", periods=12, freq="MS"),
                            "target_volume": [10.0] * 12, "last_year_volume": [9.0] * 12})
    children = pd.DataFrame({"name": HOSTILE, "last_year": [1.0] * 4, "target": [2.0] * 4, "potential": [3.0] * 4})
    budget = pd.DataFrame({"month": range(1, 13), "media": [1e4] * 12, "own": [2e4] * 12})
    figures = {
        "monthly_lines": plots.monthly_lines(months, value="revenue", title=_title(), ylabel=EMOJI_BRAND),
        "stacked_shares": plots.stacked_shares(shares, index="year", columns="channel", value="share", title=_title()),
        "grouped_bars": plots.grouped_bars(_years_by("brand", "volume"), x="year", y="volume", hue="brand",
                                           title=_title(), ylabel=""),
        "weekly_lines": plots.weekly_lines(weekly, title=_title()),
        "seasonal_compare": plots.seasonal_compare(seasonal, seasonal),
        "share_bars": plots.share_bars(_years_by("group", "own_share"), title=_title()),
        "growth_points": plots.growth_points(points, title=_title()),
        "effects_bars": plots.effects_bars(effects, title=_title()),
        "expense_ratio_lines": plots.expense_ratio_lines(_years_by("category", "ratio"), title=_title()),
        "target_months": plots.target_months(targets, title=_title()),
        "children_targets": plots.children_targets(children, title=_title()),
        "budget_months": plots.budget_months(budget, title=_title(), names={"media": EMOJI_BRAND, "own": SCRIPT}),
    }
    for name, fig in figures.items():
        texts = _texts(fig)
        if name == "seasonal_compare":  # its names are the period labels, a long one cut short (24 characters)
            assert "金潭□0" in texts and "could not be drawn" not in "".join(texts)
            assert "平阴县$\\undefinedco…" in texts and MATH_COUNTY + "2" not in texts
        else:
            _assert_plain(texts)


def test_a_figure_that_cannot_be_built_becomes_a_note():
    plots.set_style()
    fig = plots.grouped_bars(pd.DataFrame({"x": [1]}), x="x", y="missing", hue="x", title=EMOJI_BRAND, ylabel="")
    texts = _texts(fig)
    assert any("could not be drawn" in t for t in texts) and "金潭□" in texts


def test_figure_png_of_a_figure_that_cannot_be_rendered_is_a_note():
    from matplotlib.figure import Figure

    plots.set_style()
    fig = Figure()
    fig.subplots().set_title("\U0001D518")  # drawn around figure_text: the glyph is missing
    png = plots.figure_png(fig)
    assert png.startswith(b"\x89PNG")


def test_response_points_marks_the_chosen_spend_on_each_curve():
    plots.set_style()
    curves = pd.DataFrame({"kind": ["media", "promotion"], "curve": ["linear", "exponential"],
                           "a": [0.0, 300_000.0], "b": [0.0, 100_000.0], "slope": [0.6, 3.0]})
    detail = pd.DataFrame({"kind": ["media", "promotion"], "spend": [0.0, 40_546.51], "marginal_return": [0.3, 1.0],
                           "stop": ["does not pay", "marginal"]})
    fig = plots.response_points(curves, detail, margin_rate=0.5, title="投入产出", names={"promotion": "促销活动"},
                                limits={"media": 2_000_000.0})
    texts = _texts(fig)
    assert "促销活动（边际回报 1.00）" in texts and "选定 40,547" in texts and "选定 0" in texts


# -- units and formats (#15) -------------------------------------------------------------


@pytest.mark.parametrize(("ticks", "expected"), [
    ([0, 25_000, 50_000, 75_000, 100_000, 125_000], ["0", "2.5万", "5万", "7.5万", "10万", "12.5万"]),  # not 0, 2, 5, 8
    ([0, 200_000_000, 400_000_000], ["0", "2亿", "4亿"]),  # never a 1e8 offset
    ([0, 500, 1_000, 1_500], ["0", "500", "1,000", "1,500"]),
    ([-20_000, 0, 20_000], ["-2万", "0", "2万"]),
    ([0, 12_500, 25_000], ["0", "1.25万", "2.5万"]),
])
def test_amount_formatter_labels_round_steps_in_wan_and_yi(ticks, expected):
    assert plots.amount_formatter().format_ticks(ticks) == expected


def _tick_labels(fig, axis="y"):
    ax = fig.axes[0]
    fig.canvas.draw() if hasattr(fig.canvas, "draw") else None
    ticks = getattr(ax, f"get_{axis}ticks")()
    return getattr(ax, f"{axis}axis").get_major_formatter().format_ticks(ticks), ax


def test_figures_show_no_offset_and_chinese_legend_titles():
    plots.set_style()
    brands = pd.DataFrame({"year": [2025, 2025, 2026, 2026], "brand": ["本品", "金潭"] * 2,
                           "volume": [1.2e8, 0.8e8, 1.5e8, 0.9e8]})
    fig = plots.grouped_bars(brands, x="year", y="volume", hue="brand", title="销量", ylabel="销量（箱）")
    fig.savefig(io.BytesIO(), format="png")
    ax = fig.axes[0]
    assert ax.yaxis.get_offset_text().get_text() == ""
    assert all(t.get_text().endswith("亿") or t.get_text() == "0" for t in ax.get_yticklabels() if t.get_text())
    assert ax.get_legend().get_title().get_text() == "品牌"
    shares = pd.DataFrame({"year": [2025, 2025], "channel": ["tobacco_liquor", "group_purchase"], "share": [0.6, 0.4]})
    fig = plots.stacked_shares(shares, index="year", columns="channel", value="share", title="渠道结构")
    legend = fig.axes[0].get_legend()
    assert legend.get_title().get_text() == "渠道"
    assert sorted(t.get_text() for t in legend.get_texts()) == sorted(["烟酒店", "团购"])


def test_break_even_and_waterfall_draw_their_numbers():
    plots.set_style()
    # P 100, VC 60, FC 40,000: BEP = 40,000 / 40 = 1,000 cases; target 1,500 gives 20,000
    fig = profit_plots.break_even(100.0, 60.0, 40_000.0, target_volume=1_500.0, title="保本分析")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "保本点 1,000 箱" in texts and "目标 1,500 箱，利润 20,000 元" in texts
    steps = pd.DataFrame({"label": ["销售额", "产品成本", "费用", "利润"], "amount": [100.0, -60.0, -25.0, 15.0],
                          "kind": ["total", "change", "change", "total"]})
    fig = profit_plots.waterfall(steps, title="从销售额到利润")
    bars = fig.axes[0].patches
    assert [round(b.get_y(), 6) for b in bars] == [0.0, 100.0, 40.0, 0.0]
    assert [round(b.get_height(), 6) for b in bars] == [100.0, -60.0, -25.0, 15.0]
    no_bep = profit_plots.break_even(50.0, 60.0, 1.0, target_volume=10.0, title="保本分析")
    assert "没有保本点" in no_bep.axes[0].texts[0].get_text()


def test_line_figures_without_lines_draw_no_legend_and_warn_nothing():
    """A county without revenue has expense amounts but no ratios: the figure has no legend and no warning
    (matplotlib's "No artists with labels found" would be printed on the page)."""
    ratios = pd.DataFrame({"year": [2025, 2026], "category": ["labour", "labour"], "ratio": [np.nan, np.nan]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = plots.expense_ratio_lines(ratios, title="各类费用率")
    assert not [w for w in caught if "No artists with labels" in str(w.message)]
    assert fig.axes[0].get_title() == "各类费用率" and fig.axes[0].get_legend() is None  # the figure, not a note
