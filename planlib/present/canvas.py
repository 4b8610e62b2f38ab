"""
The house canvas: matplotlib's Agg, with text measured once per process and figures drawn once.

Matplotlib measures every text again for every renderer (a figure's tight layout, its tight
bounding box and its final draw each get one) and looks its fonts up for every text; the
measurements depend only on the text, the font files, the size, the dpi and the hinting,
so the canvas of :func:`new_figure` keeps them for the process (the same numbers, so the
same pixels). It keeps, as well, how a text's glyphs are laid out to draw it and each glyph's
bitmap at a fraction of a pixel (FreeType moves a glyph by whole pixels exactly).
:func:`png_bytes` prints a figure as savefig does, without the full draws savefig makes
before printing (for a tight box, for a layout engine), each axis laying its ticks out once and
each legend packing its boxes once per renderer. Figures built inside :func:`building` make
their new ticks as copies of a new tick and take their bars' data limits once per ``bar()``
(:mod:`planlib.present.bars`). :func:`titles_clear`
tells whether matplotlib's automatic title placement would leave every title where a figure
built with ``axes.titley`` 1.0 has it (then the placement need not measure at every draw).

Nothing here changes a pixel: tests/present/test_plots_speed.py compares the bytes with
matplotlib's own savefig.

Public functions: :func:`new_figure`, :func:`house_canvas`, :func:`tight_box`,
:func:`spent_layout`, :func:`png_bytes`, :func:`tight_layout`, :func:`titles_clear`, :func:`building`.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import io
import math
import operator
from collections.abc import Mapping
from itertools import repeat

from planlib.present.bars import bars_at_once

__all__ = ["new_figure", "house_canvas", "tight_box", "spent_layout", "png_bytes", "tight_layout", "titles_clear",
           "building"]


def _rc_fonts() -> tuple:
    """The rcParams a font lookup depends on (as matplotlib's findfont keys its own cache)."""
    import matplotlib

    rc = matplotlib.rcParams
    get = dict.__getitem__ if isinstance(rc, dict) else type(rc).__getitem__  # the stored values, unvalidated
    # read at C speed: a figure looks its fonts up a few hundred times
    return tuple([tuple(v) if isinstance(v, list) else v for v in map(get, repeat(rc, len(_RC_FONT_KEYS)), _RC_FONT_KEYS)])


_RC_FONT_KEYS = ("font.family", "font.style", "font.variant", "font.weight", "font.stretch", "font.size",
                 "font.serif", "font.sans-serif", "font.cursive", "font.fantasy", "font.monospace",
                 "text.kerning_factor", "font.enable_last_resort")


def _prop_key(prop) -> tuple:
    """What of a FontProperties a font lookup and a text's size depend on."""
    return (tuple(prop.get_family()), prop.get_style(), prop.get_variant(), prop.get_weight(), prop.get_stretch(),
            prop.get_size_in_points(), prop.get_file(), prop.get_math_fontfamily())


@functools.lru_cache(maxsize=256)
def _font_paths(prop_key: tuple, rc: tuple, manager_id: int, fonts: int) -> tuple:
    """The font files matplotlib picks for a FontProperties (its ``_find_fonts_by_props``), as a tuple."""
    from matplotlib import font_manager
    from matplotlib.font_manager import FontProperties

    family, style, variant, weight, stretch, size, file, math = prop_key
    prop = FontProperties(family=list(family), style=style, variant=variant, weight=weight, stretch=stretch,
                          size=size, fname=file, math_fontfamily=math)
    return tuple(font_manager.fontManager._find_fonts_by_props(prop))


def _paths_for(prop) -> tuple:
    from matplotlib import font_manager

    manager = font_manager.fontManager
    return _font_paths(_prop_key(prop), _rc_fonts(), id(manager), len(manager.ttflist))


@functools.lru_cache(maxsize=64)
def _charmap(paths: tuple) -> frozenset[int]:
    """The code points the fonts ``paths`` have glyphs for."""
    from matplotlib.font_manager import get_font

    points: set[int] = set()
    for path in paths:
        points.update(get_font([path]).get_charmap())
    return frozenset(points)


@functools.lru_cache(maxsize=16384)
def _text_metrics(text: str, paths: tuple, size: float, dpi: float, flags, rc: tuple) -> tuple[float, float, float]:
    """Width, height and descent of one line of plain text, as matplotlib's Agg renderer measures it."""
    from matplotlib.font_manager import get_font

    font = get_font(paths)
    font.clear()
    font.set_size(size, dpi)
    font.set_text(text, 0.0, flags=flags)
    w, h = font.get_width_height()
    d = font.get_descent()
    return w / 64.0, h / 64.0, d / 64.0


@functools.lru_cache(maxsize=256)
def _height_metrics(paths: tuple, size: float, dpi: float, rc: tuple) -> tuple:
    """A font's ascent, descent and line gap at a size, as :meth:`matplotlib.text.Text._get_layout` reads them."""
    from matplotlib.font_manager import get_font

    font = get_font(paths)
    for table_name, linegap_key, ascent_key, descent_key in (
        ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
        ("hhea", "lineGap", "ascent", "descent"),
    ):
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        units_per_em = font.get_sfnt_table("head")["unitsPerEm"]
        scale = 1 / units_per_em * size * dpi / 72
        return table[ascent_key] * scale, -table[descent_key] * scale, table[linegap_key] * scale
    return None, None, None


@functools.lru_cache(maxsize=16384)
def _text_layout(text: str, paths: tuple, size: float, dpi: float, flags, features, language, rc: tuple) -> tuple:
    """
    The glyphs of one line of plain text as matplotlib's Agg renderer lays them out to draw it:
    (font, glyph index, x, y) per glyph, the fonts' size set to ``size`` at ``dpi``.
    """
    from matplotlib.font_manager import get_font

    font = get_font(paths)
    font.clear()
    font.set_size(size, dpi)
    return tuple((item.ft_object, item.glyph_index, item.x, item.y)
                 for item in font._layout(text, flags=flags, features=features, language=language))


@functools.lru_cache(maxsize=65536)
def _glyph_bitmap(font, size: float, dpi: float, index: int, matrix: tuple, fx: int, fy: int, flags, mode) -> tuple:
    """
    One glyph rendered as matplotlib's Agg renderer renders it at an origin whose fraction of a
    pixel (in 1/64) is ``fx``, ``fy``: its bitmap, and its left and top for the
    origin's whole pixels at 0 (FreeType moves an outline by whole pixels exactly).
    """
    import numpy as np

    font.set_size(size, dpi)
    font._set_transform(np.array(matrix).reshape(2, 2), [fx, fy])
    bitmap = font._render_glyph(index, flags, mode)
    buffer = np.array(bitmap.buffer)
    if mode == mode.MONO:
        buffer *= 0xFF
    return buffer, bitmap.left, bitmap.top


@functools.lru_cache(maxsize=1)
def _canvas_class():
    """
    An Agg canvas whose renderer remembers text measurements across figures.

    Matplotlib measures every text again for every renderer (a figure's tight layout,
    the tight bounding box and the final draw each get a new one) and looks its fonts up
    for every text; the measurements depend only on the text, the font files, the size,
    the dpi and the hinting, so they are kept process-wide (the same numbers, so the same
    pixels). Text with a character none of its fonts has is measured afresh every time
    (matplotlib's missing-glyph warning stays).
    """
    import matplotlib
    import numpy as np
    from matplotlib.backends.backend_agg import (
        FigureCanvasAgg,
        RendererAgg,
        get_hinting_flag,
    )
    from matplotlib.font_manager import get_font
    from matplotlib.ft2font import RenderMode

    class Renderer(RendererAgg):
        def get_text_width_height_descent(self, s, prop, ismath):
            if ismath is not False:
                return super().get_text_width_height_descent(s, prop, ismath)
            paths = _paths_for(prop)
            charmap = _charmap(paths)
            if not all(ord(c) in charmap for c in s):
                return super().get_text_width_height_descent(s, prop, ismath)
            rc = (matplotlib.rcParams["text.kerning_factor"], matplotlib.rcParams["font.enable_last_resort"])
            return _text_metrics(s, paths, prop.get_size_in_points(), self.dpi, get_hinting_flag(), rc)

        def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
            if ismath:
                return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
            paths = _paths_for(prop)
            charmap = _charmap(paths)
            if not all(ord(c) in charmap for c in s):  # laid out afresh (matplotlib's missing-glyph warning stays)
                return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
            features = mtext.get_fontfeatures() if mtext is not None else None
            language = mtext.get_language() if mtext is not None else None
            rc = (matplotlib.rcParams["text.kerning_factor"], matplotlib.rcParams["font.enable_last_resort"])
            size = prop.get_size_in_points()
            glyphs = _text_layout(s, paths, size, self.dpi, get_hinting_flag(), features, language, rc)
            self._draw_text_glyphs_and_boxes(gc, x, y, angle,
                                             ((font, size, index, 0, 1, gx, gy) for font, index, gx, gy in glyphs), [])

        def _draw_text_glyphs_and_boxes(self, gc, x, y, angle, glyphs, boxes):
            if boxes:
                return super()._draw_text_glyphs_and_boxes(gc, x, y, angle, glyphs, boxes)
            cos = math.cos(math.radians(angle))
            sin = math.sin(math.radians(angle))
            flags = get_hinting_flag()
            mode = RenderMode.NORMAL if gc.get_antialiased() else RenderMode.MONO
            height = self.height
            matrices: dict = {}
            for font, size, index, slant, extend, dx, dy in glyphs:  # dy is upwards
                matrix = matrices.get((slant, extend))
                if matrix is None:  # as matplotlib's: rotation by the angle after the slant and the extension
                    matrix = matrices[(slant, extend)] = tuple(
                        (0x10000 * np.array([[cos, -sin], [sin, cos]]) @ [[extend, extend * slant], [0, 1]])
                        .round().astype(int).ravel().tolist())
                ox = round(0x40 * (x + dx * cos - dy * sin))
                oy = round(0x40 * (height - y + dx * sin + dy * cos))  # FreeType's y is upwards
                buffer, left, top = _glyph_bitmap(font, size, self.dpi, index, matrix, ox & 0x3F, oy & 0x3F, flags, mode)
                left += ox >> 6
                top += oy >> 6
                self._renderer.draw_text_image(buffer, left, int(height) - top + buffer.shape[0], 0, gc)

        def _prepare_font(self, font_prop):
            font = get_font(_paths_for(font_prop))
            font.clear()
            font.set_size(font_prop.get_size_in_points(), self.dpi)
            return font

        def _get_font_height_metrics(self, prop):
            rc = (matplotlib.rcParams["text.kerning_factor"], matplotlib.rcParams["font.enable_last_resort"])
            return _height_metrics(_paths_for(prop), prop.get_size_in_points(), self.dpi, rc)

    class Canvas(FigureCanvasAgg):
        def get_renderer(self):
            w, h = self.get_width_height(physical=True)
            key = w, h, self.figure.dpi
            if self._lastKey != key:
                self.renderer = Renderer(w, h, self.figure.dpi)
                self._lastKey = key
            return self.renderer

    return Canvas


def new_figure(width: float = 9.0, height: float = 3.8):
    """
    A bare Figure (not pyplot) of ``width`` × ``height`` inches on the house canvas.

    The canvas is matplotlib's Agg with text measurements kept across figures (the
    same pixels, measured once): a figure built on it lays out and renders faster.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    _canvas_class()(fig)
    kept = _BUILDING.get()
    if kept is not None:  # inside building(): its axes make their ticks as copies
        kept["figures"].append((fig, fig._axobservers.connect("_axes_change_event",
                                                              functools.partial(_copying_ticks, kept))))
    return fig


def house_canvas(fig) -> None:
    """Put a bare Figure (one on matplotlib's base canvas) on the house canvas."""
    from matplotlib.backend_bases import FigureCanvasBase

    if type(fig.canvas) is FigureCanvasBase:
        _canvas_class()(fig)


def tight_box(fig, savefig: Mapping) -> object:
    """
    The box ``bbox_inches="tight"`` saves, in inches, measured without drawing the figure first.

    Matplotlib's savefig draws the whole figure (without rendering) before measuring its
    tight box, then draws it again; the measuring itself lays out what the box needs
    (ticks, labels, titles, legends), so the first draw changes nothing for a figure
    without a layout engine. Such a figure on the house canvas is measured here and
    drawn once; any other keeps ``"tight"`` (matplotlib's way).
    """
    import matplotlib

    if (fig.get_layout_engine() is not None or not isinstance(fig.canvas, _canvas_class())
            or savefig.get("bbox_extra_artists") is not None or savefig.get("pad_inches") is not None):
        return "tight"
    dpi = savefig.get("dpi")
    dpi = matplotlib.rcParams["savefig.dpi"] if dpi is None else dpi
    if dpi == "figure":
        dpi = getattr(fig, "_original_dpi", fig.dpi)
    original = fig.dpi
    try:
        fig.dpi = dpi
        box = fig.get_tightbbox(fig.canvas.get_renderer())
    finally:
        fig.dpi = original
    pad = matplotlib.rcParams["savefig.pad_inches"]
    return box.padded(pad, pad)


def spent_layout(fig) -> object:
    """
    The placeholder a finished ``tight_layout`` leaves as the figure's layout engine, if any.

    It does nothing when the figure is drawn, but savefig draws the whole figure once more
    before printing it for any engine; without one (and with the rcParams that would
    choose one off) the figure is drawn once.
    """
    import matplotlib
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    engine = fig.get_layout_engine()
    if (type(engine) is PlaceHolderLayoutEngine and not matplotlib.rcParams["figure.autolayout"]
            and not matplotlib.rcParams["figure.constrained_layout.use"]):
        return engine
    return None


def png_bytes(fig, **savefig: object) -> bytes:
    """
    The figure as PNG bytes as ``fig.savefig(format="png", **savefig)`` writes them, drawn once.

    A bare Figure is put on the house canvas (:func:`house_canvas`). A tight bounding box is
    measured without the full draw savefig makes first (:func:`tight_box`), and the
    placeholder layout engine a finished ``tight_layout`` leaves, which makes savefig draw
    the figure once more, is set aside while printing (:func:`spent_layout`). Each legend packs
    its boxes once per renderer and finds its place once per draw (``_legends_packed_once``).
    """
    house_canvas(fig)
    buf = io.BytesIO()
    spent = spent_layout(fig)
    if spent is not None:
        fig.set_layout_engine(None)
    axes = _ticks_once(fig) + _legends_packed_once(fig)
    try:
        options = dict(savefig)
        if options.get("bbox_inches") == "tight":
            options["bbox_inches"] = tight_box(fig, options)
        fig.savefig(buf, format="png", **options)
    finally:
        _unpatch(axes)
        if spent is not None:
            fig.set_layout_engine(spent)
    return buf.getvalue()


def tight_layout(fig, **kwargs: object) -> None:
    """
    ``fig.tight_layout(**kwargs)``, each axis laying its ticks out once while it measures
    (as :func:`png_bytes` prints): the same layout, without running every locator and
    formatter again for each of the dozen measures of the same view at the same size.
    """
    axes = _ticks_once(fig)
    try:
        fig.tight_layout(**kwargs)
    finally:
        _unpatch(axes)


def _ticks_once(fig) -> list:
    """
    Each axis of ``fig`` lays its ticks out once while nothing about them changes (until
    the ``_update_ticks`` attribute set here is deleted).

    Measuring a tight box and drawing ask every axis for its ticks a dozen times (its
    bounding box, its label's and its siblings' placement, the spines, the draw); each time
    it runs its locator and formatter again for the same view and the same length on screen.
    The ticks are laid out again when the view interval, the axes' size in pixels, the dpi
    or a locator or formatter changes.
    """
    patched = []
    for ax in fig.axes:
        for one in (ax, *ax.child_axes):
            for axis in one._axis_map.values():
                if "_update_ticks" in vars(axis):
                    continue
                axis._update_ticks = _once(axis, axis._update_ticks)
                axis._get_ticklabel_bboxes = _boxes_once(axis, axis._get_ticklabel_bboxes)
                names = ("_update_ticks", "_get_ticklabel_bboxes")
                if "get_major_ticks" not in vars(axis):  # not already while the figure is built
                    axis.get_major_ticks, axis.get_minor_ticks = _ticks_copied(axis)
                    names += ("get_major_ticks", "get_minor_ticks")
                patched.append((axis, names))
    return patched


def _unpatch(patched: list) -> None:
    """The axes' own methods back: ``patched`` holds (axis, names of the methods set aside)."""
    for axis, names in patched:
        for name in names:
            vars(axis).pop(name, None)


def _legends_packed_once(fig) -> list:
    """
    Each legend of ``fig`` packs its boxes once per renderer and finds its place once per draw
    (until the attributes set here are deleted: the (artist, names) pairs returned).

    Matplotlib's legend packs its boxes (a column of rows of a handle and a text) to measure
    itself, packs them again to draw, and each box packs what it holds again to draw it; a
    legend placed "best" tries its places once to measure itself and again to draw. A
    packing depends only on the boxes, their sizes and spacing and the renderer's dpi (not
    on where the legend stands); a place, on the legend's size and what the axes hold.
    """
    from matplotlib.offsetbox import HPacker, VPacker

    patched = []
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes), *(a.get_legend() for ax in fig.axes
                                                                      for a in ax.child_axes)]
    for legend in legends:
        if legend is None or getattr(legend, "_mode", None) == "expand" or "draw" in vars(legend):
            continue
        boxes, stack = [], [legend._legend_box]
        while stack:
            box = stack.pop()
            if type(box) in (HPacker, VPacker):
                boxes.append(box)
                stack.extend(box.get_children())
        for box in boxes:
            box._get_bbox_and_child_offsets = _packed_once(box, box._get_bbox_and_child_offsets)
            patched.append((box, ("_get_bbox_and_child_offsets",)))
        legend.draw = _placed_once(legend, legend.draw)
        patched.append((legend, ("draw",)))
    return patched


def _packed_once(box, pack):
    kept: dict = {}

    def packed(renderer):
        key = (box.width, box.height, box.pad, box.sep, box.mode, box.align, renderer.points_to_pixels(1.0),
               tuple(map(id, box.get_visible_children())))
        if kept.get("renderer") is not renderer or kept.get("key") != key:
            kept.update(renderer=renderer, key=key, packed=pack(renderer))
        bbox, offsets = kept["packed"]
        return bbox.frozen(), list(offsets)

    return packed


def _placed_once(legend, draw):
    """The legend's draw, its place (``_findoffset``) found once while it draws."""

    def placed_draw(renderer):
        box = legend._legend_box
        find = box._offset
        if not callable(find):
            return draw(renderer)
        kept: dict = {}

        def offset(width, height, xdescent, ydescent, renderer):
            key = (width, height, xdescent, ydescent, id(renderer))
            if key not in kept:
                kept[key] = find(width, height, xdescent, ydescent, renderer)
            return kept[key]

        box._offset = offset
        try:
            return draw(renderer)
        finally:
            box._offset = find

    return placed_draw


#: While figures are built (:func:`building`): what is set aside, to put back after.
_BUILDING: contextvars.ContextVar = contextvars.ContextVar("planlib_canvas_building", default=None)


@contextlib.contextmanager
def building():
    """
    While inside, every axis of a figure made by :func:`new_figure` makes its new ticks as
    copies of a new tick (:func:`_ticks_copied`: the same ticks, without building each again)
    and every axes' ``bar`` takes its rectangles' data limits at once
    (:func:`planlib.present.bars.bars_at_once`: the same limits, bit for bit);
    on leaving, the axes have their own methods back and the figures keep nothing of it.
    """
    kept: dict = {"figures": [], "axes": []}
    token = _BUILDING.set(kept)
    try:
        yield
    finally:
        _BUILDING.reset(token)
        for fig, cid in kept["figures"]:
            fig._axobservers.disconnect(cid)
        _unpatch(kept["axes"])


def _copying_ticks(kept: dict, fig) -> None:
    """
    The axes of ``fig`` made since the last call make their ticks by :func:`_ticks_copied` and
    their bars by :func:`planlib.present.bars.bars_at_once` (an axes observer).
    """
    for ax in fig.axes:
        for one in (ax, *ax.child_axes):
            if "bar" not in vars(one):
                one.bar = bars_at_once(one)
                kept["axes"].append((one, ("bar",)))
            for axis in one._axis_map.values():
                if "get_major_ticks" not in vars(axis):
                    axis.get_major_ticks, axis.get_minor_ticks = _ticks_copied(axis)
                    kept["axes"].append((axis, ("get_major_ticks", "get_minor_ticks")))


#: The attributes of a new tick and of its five parts as matplotlib makes them, by class name: a
#: tick of any other shape is made by matplotlib (see :func:`_copied_tick`).
_TICK_STATE = {
    "Tick": frozenset({
        "_stale", "stale_callback", "_axes", "_parent_figure", "_transform", "_transformSet", "_visible",
        "_animated", "_alpha", "clipbox", "_clippath", "_clipon", "_label", "_picker", "_rasterized",
        "_agg_filter", "_mouseover", "_callbacks", "_remove_method", "_url", "_gid", "_snap", "_sketch",
        "_path_effects", "_sticky_edges", "_in_layout", "_in_autoscale", "_loc", "_major", "_size", "_width",
        "_base_pad", "_labelrotation", "_zorder", "tick1line", "tick2line", "gridline", "label1", "label2",
        "_tickdir"}),
    "Line2D": frozenset({
        "_stale", "stale_callback", "_axes", "_parent_figure", "_transform", "_transformSet", "_visible",
        "_animated", "_alpha", "clipbox", "_clippath", "_clipon", "_label", "_picker", "_rasterized",
        "_agg_filter", "_mouseover", "_callbacks", "_remove_method", "_url", "_gid", "_snap", "_sketch",
        "_path_effects", "_sticky_edges", "_in_layout", "_in_autoscale", "_dashcapstyle", "_dashjoinstyle",
        "_solidjoinstyle", "_solidcapstyle", "_linestyles", "_drawstyle", "_linewidth", "_unscaled_dash_pattern",
        "_dash_pattern", "_linestyle", "_invalidx", "_color", "_marker", "_gapcolor", "_markevery",
        "_markersize", "_antialiased", "_markeredgecolor", "_markeredgewidth", "_markerfacecolor",
        "_markerfacecoloralt", "zorder", "_pickradius", "ind_offset", "_xorig", "_yorig", "_invalidy", "_x",
        "_y", "_xy", "_path", "_transformed_path", "_subslice", "_x_filled"}),
    "Text": frozenset({
        "_stale", "stale_callback", "_axes", "_parent_figure", "_transform", "_transformSet", "_visible",
        "_animated", "_alpha", "clipbox", "_clippath", "_clipon", "_label", "_picker", "_rasterized",
        "_agg_filter", "_mouseover", "_callbacks", "_remove_method", "_url", "_gid", "_snap", "_sketch",
        "_path_effects", "_sticky_edges", "_in_layout", "_in_autoscale", "_x", "_y", "_text", "_features",
        "_language", "_color", "_fontproperties", "_usetex", "_parse_math", "_wrap", "_verticalalignment",
        "_horizontalalignment", "_multialignment", "_rotation", "_transform_rotates_text", "_bbox_patch",
        "_renderer", "_linespacing", "_rotation_mode", "_antialiased"}),
}
_TICK_PARTS = ("tick1line", "tick2line", "gridline", "label1", "label2")


def _ticks_copied(axis) -> tuple:
    """
    ``axis.get_major_ticks`` and ``get_minor_ticks`` as matplotlib's, each new tick a copy of
    a new tick as matplotlib makes it (the first one made while the tick parameters and the
    rcParams stay the same) instead of a tick built again: building one runs every artist's
    constructor and reads the rcParams a hundred times. As matplotlib's, each new tick then
    takes the first tick's properties (``_copy_tick_props``: its transforms, font, markers, ...).
    """
    import matplotlib

    kept: dict = {}

    def new_tick(major: bool):
        tick_kw = axis._major_tick_kw if major else axis._minor_tick_kw
        rc = list(dict.values(matplotlib.rcParams))  # the values as stored: setting one stores a new object
        one = kept.get(major)
        if one is not None and one[0] == tick_kw and len(one[1]) == len(rc) and all(map(operator.is_, one[1], rc)):
            return _copied_tick(one[2])
        tick = axis._get_tick(major=major)
        template = _copied_tick(tick)
        if template is not None:
            kept[major] = (dict(tick_kw), rc, template)
        return tick

    def ticks(major, numticks):  # Axis.get_major_ticks / get_minor_ticks (matplotlib 3.10) with new_tick
        made = axis.majorTicks if major else axis.minorTicks
        if numticks is None:
            numticks = len(axis.get_majorticklocs() if major else axis.get_minorticklocs())
        while len(made) < numticks:
            tick = new_tick(major)
            made.append(tick)
            axis._copy_tick_props(made[0], tick)
        return made[:numticks]

    def get_major_ticks(numticks=None):
        return ticks(True, numticks)

    def get_minor_ticks(numticks=None):
        return ticks(False, numticks)

    return get_major_ticks, get_minor_ticks


def _copied_tick(tick):
    """
    A copy of a tick just made (nothing set on it since), that ``_copy_tick_props`` then completes,
    or None for a tick this does not know how to copy (then :func:`_ticks_copied` makes each one).

    What two new ticks share (the axes, the figure, the rcParams' values, strings and numbers)
    the copy shares; what each has of its own (callbacks, data lists and arrays, paths) it gets
    afresh. It shares the tick's transforms, font and markers until ``_copy_tick_props`` sets
    them to the first tick's, as it does for a new tick.
    """
    import copy

    import numpy as np
    from matplotlib.cbook import CallbackRegistry
    from matplotlib.lines import Line2D
    from matplotlib.text import Text

    parts = {name: vars(tick).get(name) for name in _TICK_PARTS}
    if (not _TICK_STATE["Tick"].issuperset(vars(tick))
            or any(type(p) not in (Line2D, Text) or not _TICK_STATE[type(p).__name__].issuperset(vars(p))
                   for p in parts.values())
            or any(p._callbacks.callbacks for p in (tick, *parts.values()))):
        return None
    copies = {}
    for name, part in parts.items():
        state = dict(vars(part))
        state["_callbacks"] = CallbackRegistry(signals=["pchanged"])
        if isinstance(part, Line2D):
            state["_xorig"], state["_yorig"] = copy.copy(part._xorig), copy.copy(part._yorig)
            if part._xy is not None:
                xy = state["_xy"] = np.array(part._xy)
                state["_x"], state["_y"] = xy[:, 0], xy[:, 1]
            if part._path is not None:
                state["_path"] = copy.deepcopy(part._path)
        copies[name] = _with_state(part, state)
    state = dict(vars(tick))
    state["_callbacks"] = CallbackRegistry(signals=["pchanged"])
    state.update(copies)
    return _with_state(tick, state)


def _with_state(artist, state: dict):
    new = object.__new__(type(artist))
    new.__dict__.update(state)
    return new


def _boxes_once(axis, boxes):
    """
    The axis's tick label boxes measured once while its ticks, the renderer, the axes' box and
    the dpi stay the same (matplotlib measures them twice in each tight box and each draw: for the
    axis and for its label's placement among its siblings).
    """
    kept: dict = {}

    def ticklabel_bboxes(ticks, renderer):
        key = (tuple(axis.axes.bbox.bounds), axis.axes.get_figure(root=True).dpi)
        if kept.get("ticks") is not ticks or kept.get("renderer") is not renderer or kept.get("key") != key:
            kept.update(ticks=ticks, renderer=renderer, key=key, boxes=boxes(ticks, renderer))
        tlb1, tlb2 = kept["boxes"]
        return list(tlb1), list(tlb2)

    return ticklabel_bboxes


def _once(axis, update):
    kept: list = [None, None]

    def update_ticks():
        box = axis.axes.bbox
        key = (tuple(axis.get_view_interval()), box.width, box.height, axis.axes.get_figure(root=True).dpi,
               axis.major.locator, axis.major.formatter, axis.minor.locator, axis.minor.formatter)
        if kept[0] is None or kept[0] != key:
            kept[1] = update()
            kept[0] = key
        return kept[1]

    return update_ticks


def titles_clear(fig) -> bool:
    """
    Whether matplotlib's automatic title placement would leave every title of ``fig`` at the
    top of its axes (y = 1), where a figure built with ``axes.titley`` 1.0 has it.

    It moves a title up when its bottom is below the top of what is around it: the x axis
    (tick labels, label) of an axes with x ticks or its label on top (else the axes' box), or
    a y axis offset (a y formatter that has one: not a fixed, percent, category or amount
    formatter). The same measures are taken here once, over all the figure's axes (half a
    point to spare), instead of at every draw.
    """
    from matplotlib.layout_engine import PlaceHolderLayoutEngine
    from matplotlib.ticker import FixedFormatter, Formatter, FuncFormatter

    if fig.get_layout_engine() is not None and not isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        return False  # an engine lays the figure out again at every draw
    axes = [a for ax in fig.axes for a in (ax, *ax.child_axes)]
    titles = [t for ax in axes for t in _titles(ax)]
    if not titles:
        return True
    renderer = fig.canvas.get_renderer() if hasattr(fig.canvas, "get_renderer") else fig._get_renderer()
    top = -float("inf")
    for ax in axes:
        formatter = ax.yaxis.get_major_formatter()
        offset_free = type(formatter).get_offset is Formatter.get_offset or (
            isinstance(formatter, (FixedFormatter, FuncFormatter)) and not formatter.offset_string)
        if ax.yaxis.offsetText.get_visible() and not offset_free:
            return False
        box = None
        if ((ax.xaxis.get_ticks_position() in ("top", "unknown") or ax.xaxis.get_label_position() == "top")
                and not _hangs_below(ax.xaxis)):
            box = ax.xaxis.get_tightbbox(renderer)
        if box is None:
            box = ax.spines.get("outline", ax).get_window_extent()
        top = max(top, box.ymax)
    spare = 0.5 * fig.dpi / 72
    return all(t.get_window_extent(renderer).ymin >= top + spare for t in titles)


def _hangs_below(axis) -> bool:
    """
    Whether everything an x axis's tight box holds hangs below the axes' bottom edge, so
    that the axes' box bounds it from above without measuring it: its label, its offset
    text and every tick label at the bottom, top-aligned and not turned about its anchor
    (a turned text's box then lies below its anchor), no label at the top.

    With the ticks themselves off (seaborn's whitegrid: position "unknown") matplotlib
    measures the whole axis to place a title; a title clear of the axes' box is clear of it.
    """
    hanging = ("default", "xtick")
    if (axis.get_label_position() != "bottom" or getattr(axis, "_tick_position", "bottom") != "bottom"
            or axis._major_tick_kw.get("label2On", False) or axis._minor_tick_kw.get("label2On", False)):
        return False
    ticks = [*vars(axis).get("majorTicks", ()), *vars(axis).get("minorTicks", ())]
    if not ticks:  # none made yet: what they will be is not known here
        return False
    texts = [axis.label, axis.offsetText, *(t.label1 for t in ticks)]
    return (not any(t.label2.get_visible() for t in ticks)
            and all(t.get_verticalalignment() == "top" and t.get_rotation_mode() in hanging for t in texts))


def _titles(ax) -> list:
    """The axes' titles (centre, left, right) that have a text."""
    return [t for t in (ax.title, getattr(ax, "_left_title", None), getattr(ax, "_right_title", None))
            if t is not None and t.get_text()]
