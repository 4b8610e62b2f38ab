"""The house style of figures lives in present.style; plots re-exports it, the path the notebooks use."""

import pandas as pd
import pytest

from planlib.present import canvas, plots, style


@pytest.mark.parametrize("name", style.__all__)
def test_plots_names_the_styles_own_objects(name):
    assert name in plots.__all__
    assert getattr(plots, name) is getattr(style, name)


def test_safe_figure_hands_a_build_plain_text_and_turns_a_failure_into_a_note():
    from matplotlib.text import Text

    style.set_style()
    seen = {}

    @style.safe_figure
    def build(frame, *, title):
        seen["names"], seen["title"] = frame["name"].tolist(), title
        fig = canvas.new_figure(4.0, 3.0)
        fig.subplots().set_title(title)
        return fig

    fig = build(pd.DataFrame({"name": ["金潭\U0001F376", "古泉"]}), title="标题\U0001F376 $x$")
    assert seen == {"names": ["金潭□", "古泉"], "title": "标题□ $x$"}
    assert fig.axes[0].get_title() == "标题□ $x$"

    @style.safe_figure
    def broken(*, title):
        raise KeyError("volume")

    texts = [t.get_text() for t in broken(title="坏\U0001F376").findobj(Text)]
    assert "坏□" in texts
    assert "图表无法绘制 The figure could not be drawn: KeyError ('volume')" in texts


LONG_CITY = ("超长名称" * 48 + "🍺😀" * 4)[:200]  # a city name of 200 characters, as a hostile archive holds


def test_a_long_name_is_cut_short_on_the_axes_and_no_warning_leaves_the_figure():
    """A 200-character city drawn in full made P01's share and children charts 3,000+ pixels wide, and matplotlib's
    "Tight layout not applied" warning reached the page with the server's path of canvas.py."""
    import io
    import warnings

    from PIL import Image

    style.set_style()
    share = pd.DataFrame({"year": [2025, 2026] * 2, "group": [LONG_CITY] * 2 + ["济南市"] * 2,
                          "own_share": [0.2, 0.25, 0.3, 0.31]})
    kids = pd.DataFrame({"name": [LONG_CITY, "济南市"], "last_year": [100.0, 200.0], "target": [110.0, 220.0]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figures = {"share_bars": (plots.share_bars(share, title="份额"), "y"),
                   "children_targets": (plots.children_targets(kids, title="下级"), "x")}
        sizes = {n: Image.open(io.BytesIO(style.figure_png(f, bbox_inches="tight"))).size for n, (f, _) in figures.items()}
    assert [str(w.message) for w in caught] == []
    assert sizes["share_bars"][0] < 900 and sizes["children_targets"][0] < 900  # 8 inches at 100 dpi and a margin
    for name, (fig, which) in figures.items():
        shown = [t.get_text() for t in getattr(fig.axes[0], f"get_{which}ticklabels")()]
        assert shown == ["超长名称超长名称超长名称超长名称…", "济南市"], name
    assert style.short_label("济南市") == "济南市" and style.short_label("一二三四五六七八九十一二三四五六") == "一二三四五六七八九十一二三四五六"
    assert style.short_label("一二三四五六七八九十一二三四五六七") == "一二三四五六七八九十一二三四五六…"


def test_a_warning_raised_while_a_figure_is_built_or_drawn_stays_off_the_page():
    import warnings

    style.set_style()

    @style.safe_figure
    def build(*, title):
        warnings.warn("Tight layout not applied.", UserWarning)
        fig = canvas.new_figure(4.0, 3.0)
        fig.subplots().set_title(title)
        return fig

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = build(title="份额")
        style.figure_png(fig, bbox_inches="tight")
    assert caught == [] and fig.axes[0].get_title() == "份额"  # the figure itself, not a note
