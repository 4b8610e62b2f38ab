"""Figures drawn fast draw the same pixels: once, with measurements kept across figures and titles placed once."""

import io
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from planlib.present import plots, profit_plots, style


def _months() -> pd.DataFrame:
    return pd.DataFrame({"year": [2025] * 12 + [2026] * 12, "month": list(range(1, 13)) * 2,
                         "revenue": [1e6 + 37_000.0 * i for i in range(24)]})


def _figures() -> dict:
    brands = pd.DataFrame({"year": [2025, 2025, 2026, 2026], "brand": ["本品", "金潭"] * 2,
                           "volume": [1.2e5, 0.8e5, 1.5e5, 0.9e5]})
    steps = pd.DataFrame({"label": ["销售额", "产品成本", "费用", "利润"], "amount": [100.0, -60.0, -25.0, 15.0],
                          "kind": ["total", "change", "change", "total"]})
    shares = pd.DataFrame({"year": [2025, 2025, 2026, 2026], "channel": ["tobacco_liquor", "group_purchase"] * 2,
                           "share": [0.6, 0.4, 0.55, 0.45]})
    return {
        "monthly_lines": lambda: plots.monthly_lines(_months(), value="revenue", title="月度销售额", ylabel="元"),
        "grouped_bars": lambda: plots.grouped_bars(brands, x="year", y="volume", hue="brand", title="销量",
                                                   ylabel="销量（箱）"),
        "stacked_shares": lambda: plots.stacked_shares(shares, index="year", columns="channel", value="share",
                                                       title="渠道结构"),
        "waterfall": lambda: profit_plots.waterfall(steps, title="从销售额到利润"),
    }


def _standard_png(fig, level: int | None = style._PNG_LEVEL, **savefig) -> bytes:
    """
    The figure as matplotlib prints it on its own Agg canvas (two draws for a tight box, no kept
    measurements), at the zlib level figure_png writes (None: Pillow's default, 6).
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    with matplotlib.rc_context({"text.parse_math": False}):
        fig.savefig(buf, format="png", **savefig, **({} if level is None else {"pil_kwargs": {"compress_level": level}}))
    return buf.getvalue()


def _pixels(png: bytes):
    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def _idat(png: bytes) -> bytes:
    """The concatenated IDAT payload (the zlib stream) of a PNG."""
    import struct

    data, at = b"", 8
    while at < len(png):
        (length,), kind = struct.unpack(">I", png[at:at + 4]), png[at + 4:at + 8]
        if kind == b"IDAT":
            data += png[at + 8:at + 8 + length]
        at += 12 + length
    return data


def test_figure_png_is_written_at_the_house_zlib_level_with_level_6s_pixels():
    import zlib

    plots.set_style()
    build = _figures()["grouped_bars"]
    ours = plots.figure_png(build(), bbox_inches="tight")
    stock = _standard_png(build(), level=None, bbox_inches="tight")  # Pillow's default level, 6
    assert style._PNG_LEVEL == 2
    assert ours != stock and len(ours) > len(stock)  # other bytes, a little larger
    assert (_pixels(ours) == _pixels(stock)).all() and _pixels(ours).shape == _pixels(stock).shape
    raw = zlib.decompress(_idat(ours))
    assert raw == zlib.decompress(_idat(stock))  # the same filtered scanlines, deflated otherwise
    deflate = zlib.compressobj(style._PNG_LEVEL, zlib.DEFLATED, 15, 9)  # as Pillow deflates: memLevel 9
    assert _idat(ours) == deflate.compress(raw) + deflate.flush()  # deflated at exactly that level
    assert _idat(ours)[1] >> 6 == 1  # the zlib header's FLEVEL: a fast level (1 = levels 2-5)


@pytest.mark.parametrize("name", ["monthly_lines", "grouped_bars", "stacked_shares", "waterfall"])
def test_figure_png_is_matplotlibs_own_savefig_byte_for_byte(name):
    plots.set_style()
    build = _figures()[name]
    assert plots.figure_png(build(), bbox_inches="tight") == _standard_png(build(), bbox_inches="tight")
    assert plots.figure_png(build(), dpi=80) == _standard_png(build(), dpi=80)  # the panels' redraw


def test_a_figure_does_not_depend_on_what_was_drawn_before():
    plots.set_style()
    figures = _figures()
    first = plots.figure_png(figures["waterfall"](), bbox_inches="tight")
    for name in ("monthly_lines", "grouped_bars", "stacked_shares"):
        plots.figure_png(figures[name](), bbox_inches="tight")
    assert plots.figure_png(figures["waterfall"](), bbox_inches="tight") == first


def test_the_same_bytes_in_a_fresh_process():
    plots.set_style()
    here = plots.figure_png(_figures()["grouped_bars"](), bbox_inches="tight")
    here_dir = str(Path(__file__).parent)
    code = (
        "import sys, matplotlib; matplotlib.use('agg')\n"
        f"sys.path.insert(0, {here_dir!r})\n"
        "from test_plots_speed import _figures\n"
        "from planlib.present import plots\n"
        "plots.set_style()\n"
        "sys.stdout.buffer.write(plots.figure_png(_figures()['grouped_bars'](), bbox_inches='tight'))\n"
    )
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    assert fresh == here


def test_a_title_with_something_in_its_way_is_placed_by_matplotlib():
    """An offset on the y axis (a plain ScalarFormatter) lets matplotlib place the title, as before."""
    import matplotlib
    from matplotlib.figure import Figure

    plots.set_style()

    def draw(fig):
        ax = fig.subplots()
        ax.plot([0, 1, 2], [1e9 + 1, 1e9 + 2, 1e9 + 3])  # ticks read 1, 2, 3 under an offset of 1e9
        ax.set_title("标题", loc="left")
        return fig

    fig = plots.safe_figure(lambda: draw(plots.new_figure(6.0, 3.0)))()
    with matplotlib.rc_context({"text.parse_math": False}):
        reference = draw(Figure(figsize=(6.0, 3.0)))
    assert plots.figure_png(fig, bbox_inches="tight") == _standard_png(reference, bbox_inches="tight")


def test_a_missing_glyph_is_still_an_error_after_the_same_text_was_measured():
    """Measurements are kept only for text whose every character one of its fonts has."""
    plots.set_style()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig = plots.new_figure()
        fig.subplots().set_title("\U0001D518")
        fig.savefig(io.BytesIO(), format="png")
    fig = plots.new_figure()
    fig.subplots().set_title("\U0001D518")
    with pytest.raises(UserWarning, match="missing from"):
        fig.savefig(io.BytesIO(), format="png")


def _texts(fig):
    """Texts that take every path of the house canvas's text drawing: rotated, at fractional positions,
    a glyph from the fallback font, without antialiasing, and the same strings at other places."""
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_xticks([0.0, 0.25, 0.5, 0.75, 1.0], ["一月", "二月", "三月", "四月", "五月"], rotation=45, ha="right")
    ax.set_title("销售额 ₸ ⅓ 2026")
    for i, angle in enumerate((0, 30, 90, 137.5)):
        for j in range(3):
            ax.text(0.1 + 0.2 * i + 0.0137 * j, 0.2 + 0.23 * j + 0.0071 * i, "本品 2026 ǅ", rotation=angle)
    ax.text(0.5, 0.9, "不抗锯齿 ↯", antialiased=False)
    ax.text(0.51, 0.81, "不抗锯齿 ↯", antialiased=False, rotation=15)
    return fig


def test_text_drawn_from_kept_layouts_and_glyphs_is_matplotlibs_own_pixels():
    """Laid-out glyphs and glyph bitmaps are kept across texts and figures: the same bytes as matplotlib's own."""
    from matplotlib.figure import Figure

    plots.set_style()
    for _ in range(2):  # the second time every layout and glyph comes from what was kept
        fig = _texts(plots.new_figure(6.0, 4.0))
        reference = _texts(Figure(figsize=(6.0, 4.0)))
        assert plots.figure_png(fig, bbox_inches="tight") == _standard_png(reference, bbox_inches="tight")
        fig = _texts(plots.new_figure(6.0, 4.0))
        reference = _texts(Figure(figsize=(6.0, 4.0)))
        assert plots.figure_png(fig, dpi=80) == _standard_png(reference, dpi=80)


def _dated(fig):
    """Two panels sharing y, dates along x (a locator and formatter that keep state between calls)."""
    left, right = fig.subplots(1, 2, sharey=True)
    dates = pd.date_range("2025-01-01", periods=60, freq="7D")
    for ax, scale in ((left, 1.0), (right, 2.5)):
        ax.plot(dates, [scale * (i % 13) * 1e4 for i in range(60)])
        ax.set_title("周销量")
    fig.tight_layout()
    return fig


def test_ticks_laid_out_once_per_print_are_matplotlibs_own_pixels_and_the_figure_is_left_as_it_was():
    from matplotlib.figure import Figure

    plots.set_style()
    fig = _dated(plots.new_figure(8.0, 3.0))
    reference = _dated(Figure(figsize=(8.0, 3.0)))
    assert plots.figure_png(fig, bbox_inches="tight") == _standard_png(reference, bbox_inches="tight")
    assert not any({"_update_ticks", "_get_ticklabel_bboxes"} & set(vars(axis)) for ax in fig.axes
                   for axis in (ax.xaxis, ax.yaxis))
    for f in (fig, reference):  # a new view: the ticks are laid out again
        f.axes[0].set_xlim(pd.Timestamp("2025-03-01"), pd.Timestamp("2025-09-01"))
        f.axes[1].set_ylim(0, 2e5)
    assert plots.figure_png(fig, bbox_inches="tight") == _standard_png(reference, bbox_inches="tight")


def test_an_axis_lays_its_ticks_out_once_per_print():
    from matplotlib.ticker import MaxNLocator

    calls = []

    class Counting(MaxNLocator):
        def __call__(self):
            calls.append(1)
            return super().__call__()

    plots.set_style()
    fig = plots.new_figure(6.0, 3.0)
    ax = fig.subplots()
    ax.plot([0, 1, 2], [3, 1, 2])
    ax.set_title("标题")
    ax.yaxis.set_major_locator(Counting())
    fig.tight_layout()
    calls.clear()
    png = plots.figure_png(fig, bbox_inches="tight")
    assert len(calls) == 1  # matplotlib's own savefig asks the locator a dozen times
    assert png == _standard_png(fig, bbox_inches="tight")
    assert len(calls) > 3


def _pandas_stacked_shares(frame, *, index, columns, value, title):
    """stacked_shares as it was drawn by pandas' DataFrame.plot (bars, ticks, limits and grid; the rest as now)."""
    from matplotlib.ticker import PercentFormatter

    from planlib.labels import CODE_NAMES, LEGEND_TITLES
    from planlib.present import canvas

    fig, ax = plots._new_axes(8.0, 3.6)
    wide = frame.pivot_table(index=index, columns=columns, values=value, aggfunc="sum", fill_value=0.0)
    wide.index = wide.index.astype(str)
    wide.columns = [CODE_NAMES.get(c, c) if isinstance(c, str) else c for c in wide.columns]
    wide.plot(kind="bar", stacked=True, ax=ax, width=0.6, colormap="tab20")
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("占比")
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9, title=LEGEND_TITLES.get(columns, columns))
    ax.tick_params(axis="x", rotation=0)
    canvas.tight_layout(fig)
    return fig


@pytest.mark.parametrize("case", ["codes", "negative", "missing", "many", "one"])
def test_stacked_shares_draws_what_pandas_plot_drew_byte_for_byte(case):
    import numpy as np

    frames = {
        "codes": pd.DataFrame({"year": [2025, 2025, 2026, 2026], "channel": ["tobacco_liquor", "group_purchase"] * 2,
                               "share": [0.6, 0.4, 0.55, 0.45]}),
        "negative": pd.DataFrame({"year": [2025, 2025, 2026, 2026, 2026], "channel": ["a", "b", "a", "b", "c"],
                                  "share": [0.7, -0.2, 0.5, 0.3, -0.1]}),
        "missing": pd.DataFrame({"year": [2025, 2025, 2026], "channel": ["a", "b", "a"], "share": [0.7, np.nan, 0.5]}),
        "many": pd.DataFrame({"year": np.repeat([2022, 2023, 2024, 2025, 2026], 25),
                              "channel": [f"c{i}" for i in range(25)] * 5, "share": np.linspace(0.01, 0.06, 125)}),
        "one": pd.DataFrame({"year": [2025], "channel": ["餐饮"], "share": [1.0]}),
    }
    plots.set_style()
    kwargs = {"index": "year", "columns": "channel", "value": "share", "title": "渠道结构"}
    ours = plots.figure_png(plots.stacked_shares(frames[case], **kwargs), bbox_inches="tight")
    theirs = plots.figure_png(plots.safe_figure(_pandas_stacked_shares)(frames[case], **kwargs), bbox_inches="tight")
    assert ours[:8] == b"\x89PNG\r\n\x1a\n" and len(ours) > 10_000  # a drawn figure, not a note
    assert ours == theirs


def _labelled(fig, *, top: bool = False, rotation: float = 0.0, mode: str = "default"):
    """Tick labels along x (on top of the axes, or turned about their anchors), a title above."""
    ax = fig.subplots()
    ax.plot([0, 1, 2], [3, 1, 2])
    plots.amount_axis(ax.yaxis)  # no offset on y: only the x axis can be in the title's way
    ax.set_xticks([0, 1, 2], ["一月", "二月", "三月"], rotation=rotation, rotation_mode=mode)
    if top:
        ax.xaxis.set_tick_params(labeltop=True, labelbottom=False, labelsize=40)
    ax.set_title("标题")
    return fig


@pytest.mark.parametrize("case", ["bottom", "top", "turned"])
def test_titles_clear_measures_the_x_axis_only_when_it_may_reach_above_the_axes(case, monkeypatch):
    """Tick labels hanging below the axes are bounded by the axes' box; others are measured, as matplotlib does."""
    import matplotlib
    from matplotlib.axis import XAxis
    from matplotlib.figure import Figure

    from planlib.present import canvas

    plots.set_style()
    kwargs = {"bottom": {}, "top": {"top": True}, "turned": {"rotation": 30.0, "mode": "anchor"}}[case]
    with matplotlib.rc_context({"axes.titley": 1.0}):  # as safe_figure builds: the title where nothing is in its way
        fig = _labelled(plots.new_figure(6.0, 3.0), **kwargs)
    measured = []
    tightbbox = XAxis.get_tightbbox
    monkeypatch.setattr(XAxis, "get_tightbbox", lambda axis, *a, **k: measured.append(axis) or tightbbox(axis, *a, **k))
    clear = canvas.titles_clear(fig)
    assert (measured == []) is (case == "bottom")
    assert clear is (case != "top")  # labels of 40 points on top are in the title's way
    monkeypatch.undo()
    built = plots.safe_figure(lambda: _labelled(plots.new_figure(6.0, 3.0), **kwargs))()
    with matplotlib.rc_context({"text.parse_math": False}):
        reference = _labelled(Figure(figsize=(6.0, 3.0)), **kwargs)
    assert plots.figure_png(built, bbox_inches="tight") == _standard_png(reference, bbox_inches="tight")


def test_an_axis_measures_its_tick_labels_once_per_pass(monkeypatch):
    """The tight box and the draw each measure an axis's tick labels once (matplotlib: for the axis and its label)."""
    from matplotlib.axis import Axis

    plots.set_style()
    fig = plots.new_figure(6.0, 3.0)
    ax = fig.subplots()
    ax.plot([0, 1, 2], [3, 1, 2])
    ax.set_xlabel("月份")
    ax.set_title("标题")
    reference = _standard_png(fig, bbox_inches="tight")
    measured = []
    boxes = Axis._get_ticklabel_bboxes
    monkeypatch.setattr(Axis, "_get_ticklabel_bboxes", lambda axis, *a: measured.append(axis) or boxes(axis, *a))
    assert plots.figure_png(fig, bbox_inches="tight") == reference
    assert len(measured) == 4  # x and y, once for the tight box and once for the draw


def test_the_note_of_a_figure_that_cannot_be_rendered_is_written_at_the_house_zlib_level_too():
    import zlib

    from matplotlib.figure import Figure

    plots.set_style()
    fig = Figure()
    fig.subplots().set_title("\U0001D518")  # the glyph is missing: figure_png writes a note instead
    png = plots.figure_png(fig)
    deflate = zlib.compressobj(style._PNG_LEVEL, zlib.DEFLATED, 15, 9)
    raw = zlib.decompress(_idat(png))
    assert _idat(png) == deflate.compress(raw) + deflate.flush()
    stock = zlib.compressobj(6, zlib.DEFLATED, 15, 9)
    assert _idat(png) != stock.compress(raw) + stock.flush()
