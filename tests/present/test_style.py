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
