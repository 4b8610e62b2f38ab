"""A warm kernel draws a figure once for its inputs (present.drawn): the same PNG, never a stale one."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

from planlib.present import canvas, drawn, plots, style

BUILDS: list[str] = []


@style.safe_figure
def line_figure(frame: pd.DataFrame, *, title: str):
    BUILDS.append(title)
    fig = canvas.new_figure(4.0, 3.0)
    ax = fig.subplots()
    ax.plot(frame["x"], frame["y"])
    ax.set_xlabel(title)  # not a title: safe_figure builds a figure with a title in its way twice
    return fig


@pytest.fixture
def memo(monkeypatch):
    style.set_style()
    monkeypatch.setenv(drawn.MEMO_VARIABLE, "1")
    drawn.forget_all()
    BUILDS.clear()
    yield
    drawn.forget_all()


def frame(y=(1.0, 3.0, 2.0)):
    return pd.DataFrame({"x": [1, 2, 3], "y": list(y)})


def plain_png(*args, **kwargs) -> bytes:
    """The figure drawn as without the memo, and its PNG as a report shows it."""
    import os

    saved = os.environ.pop(drawn.MEMO_VARIABLE)
    try:
        fig = line_figure(*args, **kwargs)
        assert isinstance(fig, matplotlib.figure.Figure)
        return style.figure_png(fig, bbox_inches="tight"), repr(fig)
    finally:
        os.environ[drawn.MEMO_VARIABLE] = saved


def test_the_same_inputs_again_give_the_same_png_without_drawing(memo):
    first = line_figure(frame(), title="销售额")
    again = line_figure(frame(), title="销售额")
    assert BUILDS == ["销售额"]  # drawn once
    assert isinstance(first, drawn.DrawnFigure) and isinstance(again, drawn.DrawnFigure)
    png, text = plain_png(frame(), title="销售额")
    assert first.png == again.png == png  # byte for byte what the figure itself renders to
    assert repr(again) == text == "<Figure size 400x300 with 1 Axes>"
    assert again._repr_png_() == png  # what IPython shows
    assert style.figure_png(again, bbox_inches="tight") == png


def test_any_change_of_an_input_the_style_or_the_filters_draws_again(memo):
    base = line_figure(frame(), title="销售额").png
    changed_value = line_figure(frame((1.0, 3.0, 2.5)), title="销售额").png
    changed_dtype = line_figure(frame((1.0, 3.0, 2.0)).astype({"y": "float32"}), title="销售额")
    changed_title = line_figure(frame(), title="销量").png
    assert BUILDS == ["销售额", "销售额", "销售额", "销量"]
    assert len({base, changed_value, changed_title}) == 3
    with matplotlib.rc_context({"lines.linewidth": 4.0}):
        wide = line_figure(frame(), title="销售额").png
        assert wide == plain_png(frame(), title="销售额")[0]
    assert len(BUILDS) == 6 and wide != base
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        line_figure(frame(), title="销售额")
    assert len(BUILDS) == 7  # another filter set: drawn again
    assert line_figure(frame(), title="销售额").png == base and len(BUILDS) == 7  # back: remembered
    assert isinstance(changed_dtype, drawn.DrawnFigure)


def test_a_figure_for_other_options_or_as_a_figure_is_built_again(memo):
    fig = line_figure(frame(), title="销售额")
    small = style.figure_png(fig, dpi=50)
    real = fig.figure()
    assert isinstance(real, matplotlib.figure.Figure) and real.axes[0].get_xlabel() == "销售额"
    assert small == style.figure_png(real, dpi=50) != fig.png


def test_unpicklable_inputs_and_closures_are_drawn_every_time(memo):
    seen = []

    @style.safe_figure
    def closure(*, title):
        seen.append(title)
        return canvas.new_figure(2.0, 2.0)

    assert isinstance(closure(title="a"), matplotlib.figure.Figure)
    assert isinstance(closure(title="a"), matplotlib.figure.Figure) and seen == ["a", "a"]
    unpicklable = pd.DataFrame({"x": [1, 2, 3], "y": [1.0, 2.0, 3.0]})
    unpicklable.attrs["f"] = lambda v: v  # a lambda does not pickle
    assert isinstance(line_figure(unpicklable, title="销售额"), matplotlib.figure.Figure)
    assert isinstance(line_figure(unpicklable, title="销售额"), matplotlib.figure.Figure)
    assert BUILDS == ["销售额", "销售额"]


def test_the_memo_holds_the_newest_figures_only(memo, monkeypatch):
    monkeypatch.setattr(drawn, "MEMO_SIZE", 3)
    for v in range(4):
        line_figure(frame((1.0, 2.0, float(v))), title="t")
    line_figure(frame((1.0, 2.0, 3.0)), title="t")  # the newest: remembered
    line_figure(frame((1.0, 2.0, 0.0)), title="t")  # the oldest: dropped, drawn again
    assert len(BUILDS) == 5


def test_without_the_memo_a_figure_function_returns_a_figure_to_change(monkeypatch):
    monkeypatch.delenv(drawn.MEMO_VARIABLE, raising=False)
    BUILDS.clear()
    fig = line_figure(frame(), title="销售额")
    again = line_figure(frame(), title="销售额")
    assert isinstance(fig, matplotlib.figure.Figure) and fig is not again and BUILDS == ["销售额", "销售额"]


def test_a_report_figure_is_the_same_png_drawn_or_remembered(memo):
    """A real figure of the reports (the plan-wide response curves), through the memo and without it."""
    curves = pd.DataFrame({"kind": ["media", "promotion"], "curve": ["exponential", "linear"],
                           "a": [5.0e5, np.nan], "b": [2.0e4, np.nan], "slope": [np.nan, 1.8]})
    detail = pd.DataFrame({"kind": ["media", "promotion"], "spend": [1.2e4, 3.0e3], "marginal_return": [1.0, 1.8],
                           "stop": ["marginal", "limit"]})
    kwargs = dict(margin_rate=0.48, title="每次活动的毛利回报", names={"media": "媒体活动", "promotion": "促销活动"})
    remembered = [plots.response_points(curves, detail, **kwargs) for _ in range(2)]
    import os

    del os.environ[drawn.MEMO_VARIABLE]
    fig = plots.response_points(curves, detail, **kwargs)
    assert remembered[0].png == remembered[1].png == style.figure_png(fig, bbox_inches="tight")
    assert repr(remembered[1]) == repr(fig)


def test_code_that_changes_a_figure_gets_a_figure_with_the_memo_on(memo):
    from planlib.present import widgets

    seasonal = pd.DataFrame({"slot": list(range(1, 13)) * 2, "year": [2025] * 12 + [2026] * 12,
                             "share": [1 / 12] * 24, "label": [f"{m}月" for m in range(1, 13)] * 2})
    first = plots.monthly_lines(seasonal.rename(columns={"slot": "month"}), value="share", title="季节性",
                                ylabel="占全年比例")
    assert isinstance(first, drawn.DrawnFigure)  # remembered: the widget's call below is a hit
    shown = widgets.seasonal_figure(seasonal, align="calendar", title="季节性")  # changes the line figure: no error
    assert isinstance(shown, drawn.DrawnFigure)  # itself a figure function, remembered
    fig = drawn.as_figure(shown)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert fig.axes[0].yaxis.get_major_formatter().__class__.__name__ == "PercentFormatter"
    assert drawn.as_figure(fig) is fig
