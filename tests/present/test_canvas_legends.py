"""Legends packed once per renderer and placed once per draw (canvas._legends_packed_once) print matplotlib's pixels."""

import io

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.legend import Legend
from matplotlib.offsetbox import HPacker, VPacker

from planlib.present import canvas, plots


def _lines(ax, n: int = 3) -> None:
    x = np.linspace(0, 10, 40)
    for k in range(n):
        ax.plot(x, np.sin(x + k) * (k + 1), label=f"线 {k}", marker="o" if k % 2 else None)
    ax.bar([1, 2, 3], [2, -1, 3], label="柱")


def _figure(case: str):
    fig = canvas.new_figure(8.0, 3.6)
    if case == "best":
        ax = fig.subplots()
        _lines(ax)
        ax.legend(title="年份")
    elif case == "outside":
        ax = fig.subplots()
        _lines(ax, 5)
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9, title="渠道")
    elif case == "columns":
        ax = fig.subplots()
        _lines(ax, 5)
        ax.legend(loc="upper right", fontsize=8, ncol=5)
    elif case == "panels":
        for ax in fig.subplots(1, 3):
            _lines(ax, 2)
            ax.legend(loc="upper left", fontsize=7)
        fig.legend(*fig.axes[0].get_legend_handles_labels(), loc="lower center", ncol=3)
    elif case == "expand":
        ax = fig.subplots()
        _lines(ax)
        ax.legend(mode="expand", ncol=2, loc="lower left", bbox_to_anchor=(0, 1.02, 1, 0.2))
    return fig


def _matplotlibs_png(fig, **savefig) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", **savefig)
    return buf.getvalue()


CASES = ["best", "outside", "columns", "panels", "expand"]


@pytest.mark.parametrize("case", CASES)
def test_legends_packed_once_print_matplotlibs_pixels(case):
    plots.set_style()
    with matplotlib.rc_context({"text.parse_math": False}):
        ours = canvas.png_bytes(_figure(case), bbox_inches="tight")
        theirs = _matplotlibs_png(_figure(case), bbox_inches="tight")
        assert ours == theirs
        assert canvas.png_bytes(_figure(case), dpi=80) == _matplotlibs_png(_figure(case), dpi=80)


def test_a_legend_packs_once_per_renderer_and_finds_its_place_once_per_draw(monkeypatch):
    plots.set_style()
    calls = {"pack": 0, "place": 0}
    for cls in (HPacker, VPacker):
        pack = cls._get_bbox_and_child_offsets

        def counted(self, renderer, pack=pack):
            calls["pack"] += 1
            return pack(self, renderer)

        monkeypatch.setattr(cls, "_get_bbox_and_child_offsets", counted)
    best = Legend._find_best_position

    def placed(self, *args, **kwargs):
        calls["place"] += 1
        return best(self, *args, **kwargs)

    monkeypatch.setattr(Legend, "_find_best_position", placed)
    fig = _figure("best")
    legend = fig.axes[0].get_legend()
    boxes, stack = 0, [legend._legend_box]
    while stack:
        box = stack.pop()
        boxes += type(box) in (HPacker, VPacker)
        stack.extend(box.get_children() if type(box) in (HPacker, VPacker) else ())
    with matplotlib.rc_context({"text.parse_math": False}):
        canvas.png_bytes(fig, bbox_inches="tight")
    assert calls == {"pack": 2 * boxes, "place": 2}  # the tight box and the draw, once each
    calls.update(pack=0, place=0)
    with matplotlib.rc_context({"text.parse_math": False}):
        _matplotlibs_png(_figure("best"), bbox_inches="tight")
    assert calls["pack"] > 4 * boxes and calls["place"] >= 3  # matplotlib's own: again for every box drawn
    assert "draw" not in vars(legend)  # the legend and its boxes have their own methods back
    stack = [legend._legend_box]
    while stack:
        box = stack.pop()
        assert "_get_bbox_and_child_offsets" not in vars(box)
        stack.extend(box.get_children() if hasattr(box, "get_children") else ())
