"""Figures render Chinese labels as glyphs; a missing glyph is an error, not boxes."""

import io
import warnings

import pandas as pd
import pytest

from planlib.present import plots


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


def test_missing_glyph_is_an_error_after_set_style():
    plots.set_style()
    with pytest.raises(UserWarning, match="missing from"):
        fig = plots.grouped_bars(pd.DataFrame({"x": [1], "y": [1.0], "h": ["a"]}), x="x", y="y", hue="h",
                                 title="\U0001D518", ylabel="")  # a glyph no installed font has
        fig.savefig(io.BytesIO(), format="png")
