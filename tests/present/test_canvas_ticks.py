"""New ticks made as copies of a new tick (canvas._ticks_copied) are the ticks matplotlib makes, and print its pixels."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.cbook import CallbackRegistry
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import AutoMinorLocator
from matplotlib.transforms import BboxBase, Transform, TransformedPath, TransformNode

from planlib.present import canvas, plots, profit_plots

PARTS = ("tick1line", "tick2line", "gridline", "label1", "label2")


def _same(x, y, where: str, pairs: dict) -> None:
    """
    ``x`` and ``y`` hold the same state: artists and helpers attribute by attribute, an axes, axis or
    figure as its counterpart on the other side (``pairs``: id -> counterpart).
    """
    if isinstance(x, (Axes, Figure, Axis)):
        assert pairs[id(x)] is y, f"{where}: not the counterpart"
        return
    if x is y:
        return
    assert type(x) is type(y), where
    if isinstance(x, np.ndarray):
        assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True), where
    elif isinstance(x, Transform):
        assert np.array_equal(x.frozen().get_matrix(), y.frozen().get_matrix()), where
    elif isinstance(x, BboxBase):
        assert np.array_equal(x.get_points(), y.get_points()), where
    elif isinstance(x, TransformedPath):
        _same(x.get_fully_transformed_path(), y.get_fully_transformed_path(), where, pairs)
    elif isinstance(x, TransformNode):
        raise AssertionError(f"{where}: {type(x).__name__} not compared")
    elif isinstance(x, CallbackRegistry):
        assert x.callbacks == y.callbacks == {}, where
    elif isinstance(x, FontProperties):
        assert x == y, where
    elif isinstance(x, (list, tuple)):
        assert len(x) == len(y), where
        for i, (a, b) in enumerate(zip(x, y)):
            _same(a, b, f"{where}[{i}]", pairs)
    elif isinstance(x, dict):
        assert list(x) == list(y), where
        for key in x:
            _same(x[key], y[key], f"{where}.{key}", pairs)
    elif hasattr(x, "__func__"):  # a bound method: the same function
        assert x.__func__ is y.__func__, where
    elif hasattr(x, "__dict__") and not callable(x):
        _same(vars(x), vars(y), where, pairs)
    else:
        assert x == y or (x != x and y != y), f"{where}: {x!r} != {y!r}"


def _shared(a, b) -> dict:
    """For each part and attribute of two ticks: whether they hold the very same object (a mutable one)."""
    out = {}
    for name in ("", *PARTS):
        one, two = (getattr(a, name), getattr(b, name)) if name else (a, b)
        for key, value in vars(one).items():
            if isinstance(value, (list, dict, np.ndarray, CallbackRegistry, FontProperties)) or hasattr(value, "__dict__"):
                out[f"{name}.{key}"] = value is vars(two)[key]
    return out


def _axes(copied: bool, which: str, setup):
    fig = canvas.new_figure()
    if copied:
        with canvas.building():
            fig = canvas.new_figure()
            ax = fig.subplots()
            axis = getattr(ax, f"{which}axis")
            setup(axis)
            return axis, "get_major_ticks" in vars(axis)
    ax = fig.subplots()
    axis = getattr(ax, f"{which}axis")
    setup(axis)
    return axis, False


SETUPS = {
    "plain": lambda axis: None,
    "tick params": lambda axis: axis.set_tick_params(direction="in", length=6, width=2, color="r", labelsize=7,
                                                     pad=9, labelrotation=30, grid_color="g", labelcolor="b"),
    "minor": lambda axis: axis.set_minor_locator(AutoMinorLocator()),
    "first tick changed": lambda axis: axis.get_major_ticks()[0].label1.set_fontsize(13),
}


@pytest.mark.parametrize("which", ["x", "y"])
@pytest.mark.parametrize("setup", list(SETUPS))
def test_copied_ticks_hold_what_matplotlibs_new_ticks_hold(which, setup):
    plots.set_style()
    with matplotlib.rc_context({"text.parse_math": False}):
        mine, was_copying = _axes(True, which, SETUPS[setup])
        theirs, _ = _axes(False, which, SETUPS[setup])
        assert was_copying
        with canvas.building():  # the copying methods are the axis's own again after building
            pass
        patched = [(mine, ("get_major_ticks", "get_minor_ticks"))]
        mine.get_major_ticks, mine.get_minor_ticks = canvas._ticks_copied(mine)
        try:
            ours = [mine.get_major_ticks(9), mine.get_minor_ticks(9)]
        finally:
            canvas._unpatch(patched)
        made = [theirs.get_major_ticks(9), theirs.get_minor_ticks(9)]
    pairs = {id(mine): theirs, id(mine.axes): theirs.axes, id(mine.figure): theirs.figure}
    for kind, (a, b) in enumerate(zip(ours, made)):
        assert len(a) == len(b) == 9
        for i, (one, two) in enumerate(zip(a, b)):
            _same(vars(one), vars(two), f"{'major minor'.split()[kind]} tick {i}", pairs)
        # what two ticks share (and what each has of its own) as matplotlib's ticks
        assert _shared(a[2], a[3]) == _shared(b[2], b[3])
        assert _shared(a[0], a[4]) == _shared(b[0], b[4])


def test_ticks_follow_the_rcparams_and_tick_parameters_they_are_made_under():
    def steps(axis):
        axis.get_major_ticks(3)
        with matplotlib.rc_context({"xtick.major.size": 11.0, "lines.antialiased": False}):
            axis.get_major_ticks(5)
        axis.set_tick_params(labelrotation_mode="xtick")  # the ticks made from here on are made so
        axis.get_major_ticks(7)
        return axis.majorTicks

    plots.set_style()
    mine = canvas.new_figure().subplots().xaxis
    patched = [(mine, ("get_major_ticks", "get_minor_ticks"))]
    mine.get_major_ticks, mine.get_minor_ticks = canvas._ticks_copied(mine)
    try:
        ours = steps(mine)
    finally:
        canvas._unpatch(patched)
    theirs = canvas.new_figure().subplots().xaxis
    made = steps(theirs)
    assert [t.tick1line.get_antialiased() for t in made] == [True] * 3 + [False] * 2 + [True] * 2
    pairs = {id(mine): theirs, id(mine.axes): theirs.axes, id(mine.figure): theirs.figure}
    for i, (one, two) in enumerate(zip(ours, made, strict=True)):
        _same(vars(one), vars(two), f"tick {i}", pairs)
    assert "get_major_ticks" not in vars(mine) and "get_minor_ticks" not in vars(mine)


def _png(fig) -> bytes:
    return plots.figure_png(fig, bbox_inches="tight")


FIGURES = {
    "monthly_lines": lambda: plots.monthly_lines(
        pd.DataFrame({"year": [2025] * 12 + [2026] * 12, "month": list(range(1, 13)) * 2,
                      "revenue": [1e6 + 37_000.0 * i for i in range(24)]}),
        value="revenue", title="月度销售额", ylabel="元"),
    "budget_months": lambda: plots.budget_months(
        pd.DataFrame({"month": range(1, 13), "labour": np.linspace(1e3, 3e4, 12), "media": np.linspace(5e3, 9e2, 12)}),
        title="月度费用预算（元）", names={"labour": "人力成本", "media": "媒体投放"}),
    "response_points": lambda: plots.response_points(
        pd.DataFrame({"kind": ["media", "promotion"], "curve": ["exponential", "linear"], "a": [5.55e6, 0.0],
                      "b": [651305.2, 0.0], "slope": [8.5, 2.4]}),
        pd.DataFrame({"kind": ["media", "promotion"], "spend": [926136.4, 9870.5], "marginal_return": [1.0, 0.8],
                      "stop": ["marginal", "marginal"]}), margin_rate=0.486, title="回报"),
    "break_even": lambda: profit_plots.break_even(454.81, 256.98, 517827.88, target_volume=10993.0, title="保本分析"),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_figures_with_copied_ticks_print_the_pixels_of_matplotlibs_ticks(name, monkeypatch):
    plots.set_style()
    copied = _png(FIGURES[name]())
    monkeypatch.setattr(canvas, "_ticks_copied", lambda axis: (axis.get_major_ticks, axis.get_minor_ticks))
    assert _png(FIGURES[name]()) == copied


def test_a_built_figure_keeps_nothing_of_the_copying():
    plots.set_style()
    fig = FIGURES["response_points"]()
    _png(fig)
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            assert not {"get_major_ticks", "get_minor_ticks", "_update_ticks"} & set(vars(axis))
    assert not fig._axobservers.callbacks.get("_axes_change_event")
    assert canvas._BUILDING.get() is None
