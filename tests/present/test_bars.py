"""Bars' data limits taken at once (planlib.present.bars) are matplotlib's, bit for bit."""

import functools
import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure

from planlib.present import bars, plots


def _limits(ax) -> tuple:
    """The axes' data limits and view limits as bytes (bits, signed zeros included) and the flag."""
    return (ax.dataLim.get_points().tobytes(), np.asarray(ax.dataLim.minpos).tobytes(),
            np.array([*ax.get_xlim(), *ax.get_ylim()]).tobytes(), ax.ignore_existing_data_limits)


def _both(draw) -> tuple:
    """``draw(ax)`` on matplotlib's own axes and on axes whose bar takes limits at once: their limits."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # matplotlib's transforms of infinite bars
        theirs = Figure().subplots()
        draw(theirs)
        ours = Figure().subplots()
        ours.bar = bars.bars_at_once(ours)
        draw(ours)
        return _limits(theirs), _limits(ours)


CASES = {
    "stacked": lambda ax: [ax.bar(np.arange(4), h, bottom=b, width=0.7)
                           for h, b in (([3.0, 1.5, 0.0, 2.25], 0.0), ([1.0, -0.5, 2.0, 0.125], [3.0, 1.5, 0.0, 2.25]))],
    "negative": lambda ax: ax.bar([-3.0, -1.0, 0.0, 2.0], [-2.5, 4.0, -0.0, -1e-300], width=0.4),
    "negative zeros": lambda ax: ax.bar([-0.0, 2.0], [2.0, -0.0], width=0.5, bottom=[-0.0, 1.0], align="edge"),
    "zero height": lambda ax: ax.bar([0, 1, 2], [0.0, 0.0, 0.0]),
    "zero size": lambda ax: ax.bar([0.0, 1.0], [0.0, 2.0], width=[0.0, 0.5]),
    "ints": lambda ax: ax.bar(np.arange(5), np.array([3, 0, 7, 2**60 + 1, 5]), bottom=-1),
    "barh edge": lambda ax: ax.barh([0.1, 0.2, 0.3], [1e9, -3.3, 0.7], height=0.05, left=[-0.0, 0.0, 1.0], align="edge"),
    "categories": lambda ax: ax.barh(["本品", "古泉", "金潭"], [3.0, 0.0, -2.0]),
    "nan": lambda ax: ax.bar([0, 1, 2], [1.0, np.nan, 3.0]),
    "inf": lambda ax: ax.bar([0, 1], [np.inf, 2.0]),
    "after a line": lambda ax: (ax.plot([-0.0, 0.5], [-0.0, 2.0]), ax.bar([0.0, 1.0], [0.5, -0.5])),
    "error bars": lambda ax: ax.bar([0, 1], [1.0, 2.0], yerr=[0.1, 0.3]),
    "log": lambda ax: (ax.set_yscale("log"), ax.bar([0, 1, 2], [10.0, 1000.0, 0.5])),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bars_limits_are_matplotlibs_bit_for_bit(case):
    theirs, ours = _both(CASES[case])
    assert ours == theirs


def _random_bars(ax, calls: int, horizontal: bool, x, height, width, bottom) -> None:
    for _ in range(calls):
        if horizontal:
            ax.barh(x, height, height=width, left=bottom)
        else:
            ax.bar(x, height, width=width, bottom=bottom)


def test_random_bars_limits_are_matplotlibs_bit_for_bit():
    rng = np.random.default_rng(2027)
    special = np.array([0.0, -0.0, 1e-300, -1e-300, 1e300, -1e300, 0.1, 1 / 3, 5e-324])
    for _ in range(60):
        n = int(rng.integers(1, 9))
        values = []
        for _ in range(4):  # x, height, width, bottom: normal at a random scale, some special
            v = rng.normal(0, 10.0 ** rng.integers(-3, 12), n)
            mask = rng.random(n) < 0.3
            v[mask] = rng.choice(special, mask.sum())
            values.append(v)
        x, height, width, bottom = values[0], values[1], np.abs(values[2]), values[3]
        draw = functools.partial(_random_bars, calls=int(rng.integers(1, 3)), horizontal=bool(rng.random() < 0.3),
                                 x=x, height=height, width=width, bottom=bottom)
        theirs, ours = _both(draw)
        assert ours == theirs, (x, height, width, bottom)


def test_bars_take_their_limits_once_per_call_and_leave_nothing_behind(monkeypatch):
    from matplotlib.axes import Axes

    calls = []
    original = Axes._update_patch_limits
    monkeypatch.setattr(Axes, "_update_patch_limits", lambda ax, patch: (calls.append(patch), original(ax, patch)))
    ax = Figure().subplots()
    ax.bar = bars.bars_at_once(ax)
    ax.bar(np.arange(12), np.arange(12.0))
    assert calls == []  # none bar by bar
    ax.bar([0, 1], [1.0, 2.0], yerr=[0.1, 0.2])  # with error bars: matplotlib's way
    assert len(calls) == 2
    assert "_update_patch_limits" not in vars(ax)


def test_figures_built_by_the_house_take_bars_at_once_and_keep_nothing_of_it():
    plots.set_style()
    budget = {"month": list(range(1, 13)), "labour": [1000.0 + 10 * m for m in range(12)],
              "media": [500.0 - 3 * m for m in range(12)]}
    import pandas as pd

    fig = plots.budget_months(pd.DataFrame(budget), title="月度费用预算（元）")
    ax = fig.axes[0]
    assert "bar" not in vars(ax)  # the figure keeps nothing of it
    reference = Figure().subplots()
    bottom = np.zeros(12)
    for column in ("labour", "media"):
        reference.bar(np.arange(1, 13), np.asarray(budget[column]), bottom=bottom, width=0.7)
        bottom = bottom + np.asarray(budget[column])
    assert ax.dataLim.get_points().tobytes() == reference.dataLim.get_points().tobytes()
