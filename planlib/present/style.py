"""
The figures' house style: seaborn's theme with an installed CJK font, names drawn as plain
text of drawable characters, and a figure that never fails a report.

:func:`set_style` picks an installed CJK font and turns matplotlib's
``Glyph … missing from font`` warning into an error, so a report can never ship
boxes instead of characters (HAZARDS.md).

Names are data: a brand or region name may hold an emoji or a ``$…$``. Every figure
function of :mod:`planlib.present.plots` (and its siblings) shows them as plain text
(mathtext off), with any character that none of the style's fonts can draw replaced by
:data:`REPLACEMENT_MARK` before drawing (:func:`figure_text`, decided per character from
the fonts' charmaps), and a figure never fails a report: one that cannot be built or
rendered becomes a short note (:func:`safe_figure`, :func:`figure_png`). A long name is cut
short where a figure draws it as a category tick label or a legend entry (:func:`short_labels`,
:data:`LABEL_CHARS` characters and "…": the full names are in the page's tables), and laid
out with its short names (:func:`house_layout`). No warning of the figure code (matplotlib's
"Tight layout not applied", say) reaches a report: a kernel's warning is printed on the page
with the server's path of the file that raised it.

:mod:`planlib.present.plots` re-exports every public name here, the path the notebooks use.

Public functions: :func:`find_cjk_font`, :func:`set_style`, :func:`style_fonts`,
:func:`figure_text`, :func:`short_label`, :func:`short_labels`, :func:`house_layout`,
:func:`note_figure`, :func:`safe_figure`, :func:`figure_png`.
"""

from __future__ import annotations

import functools
import io
import unicodedata
import warnings
from collections.abc import Callable, Mapping

import pandas as pd

from planlib.errors import PlanlibError
from planlib.present import drawn
from planlib.present.canvas import building, new_figure, png_bytes, tight_layout, titles_clear

__all__ = [
    "CJK_FONTS",
    "REPLACEMENT_MARK",
    "find_cjk_font",
    "set_style",
    "style_fonts",
    "figure_text",
    "LABEL_CHARS",
    "short_label",
    "short_labels",
    "house_layout",
    "note_figure",
    "safe_figure",
    "figure_png",
]

#: Fonts tried in order; the first installed one is used.
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
)

#: What a character none of the style's fonts can draw (an emoji, say) becomes in a figure.
REPLACEMENT_MARK = "□"

#: The most characters of a name a figure draws as a tick label or a legend entry; a longer one is cut and ends in "…".
LABEL_CHARS = 16

#: The zlib level figures' PNGs are written at (Pillow's default is 6): the same pixels, cheaper to
#: write. Re-encoding the 104 figures of a demo run's reports (HQ, P01, P01C01, two counties) with
#: Pillow took 1090 ms of CPU at level 6, 661 at 3 (+0.3% bytes), 649 at 2 (+1.3%) and 647 at 1
#: (+3.2%); level 2 costs what level 1 does for less than half its growth. As the workbook writer's
#: zip level (planlib.run.excel), chosen for the same reason.
_PNG_LEVEL = 2

#: The font every style falls back to last (matplotlib's own, always present).
_LAST_FONT = "DejaVu Sans"


def _installed_fonts() -> frozenset[str]:
    """The family names of matplotlib's font list (read again when the list changes)."""
    from matplotlib import font_manager

    fonts = font_manager.fontManager.ttflist
    return _font_names(id(fonts), len(fonts))


@functools.lru_cache(maxsize=2)
def _font_names(list_id: int, count: int) -> frozenset[str]:
    from matplotlib import font_manager

    return frozenset(f.name for f in font_manager.fontManager.ttflist)


def find_cjk_font() -> str:
    """
    Name of the first installed font from :data:`CJK_FONTS`.

    Raises
    ------
    PlanlibError
        If none is installed (``make`` installs Debian's fonts-noto-cjk).
    """
    installed = _installed_fonts()
    for name in CJK_FONTS:
        if name in installed:
            return name
    raise PlanlibError(
        "no CJK font installed: Chinese labels would render as boxes; "
        "install Debian's fonts-noto-cjk (make does this as root) and delete matplotlib's font cache"
    )


def style_fonts() -> tuple[str, ...]:
    """
    The fonts figures draw with, in fallback order: every installed font of
    :data:`CJK_FONTS`, then DejaVu Sans.

    Raises
    ------
    PlanlibError
        If no CJK font is installed (:func:`find_cjk_font`).
    """
    first = find_cjk_font()
    installed = _installed_fonts()
    return (first, *(f for f in CJK_FONTS if f in installed and f != first), _LAST_FONT)


def set_style() -> str:
    """
    Apply the house style for figures and return the CJK font in use.

    Sets seaborn's whitegrid theme with the CJK font first in the sans-serif list
    (:func:`style_fonts`: a glyph missing from one font is drawn from the next), keeps
    the minus sign renderable, shows text as plain text (``text.parse_math`` off: a
    ``$`` in a name is a dollar sign, not mathtext) and makes missing-glyph warnings
    errors.
    """
    import matplotlib
    import seaborn as sns

    fonts = style_fonts()
    sns.set_theme(style="whitegrid", context="notebook", font=fonts[0])
    # the fonts themselves as the family: matplotlib falls back glyph by glyph along
    # font.family only (a generic "sans-serif" resolves to one font)
    matplotlib.rcParams["font.family"] = list(fonts)
    matplotlib.rcParams["font.sans-serif"] = list(fonts)
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["text.parse_math"] = False
    matplotlib.rcParams["figure.dpi"] = 100
    matplotlib.rcParams["savefig.dpi"] = 100
    warnings.filterwarnings("error", message=r"Glyph .* missing from font")
    warnings.filterwarnings("error", message=r".*missing from current font")
    _register_png_display()
    return fonts[0]


@functools.lru_cache(maxsize=4)
def _drawable(fonts: tuple[str, ...]) -> frozenset[int]:
    """The code points at least one of ``fonts`` has a glyph for (their charmaps' union)."""
    from matplotlib import font_manager
    from matplotlib.font_manager import FontProperties

    points: set[int] = set()
    for name in fonts:
        try:
            path = font_manager.findfont(FontProperties(family=name), fallback_to_default=False)
        except ValueError:
            continue
        points.update(font_manager.get_font(path).get_charmap())
    return frozenset(points)


def figure_text(text: object) -> str:
    """
    ``text`` as a figure draws it: each character none of :func:`style_fonts` has a
    glyph for becomes :data:`REPLACEMENT_MARK`.

    Invisible format characters without a glyph (zero-width joiners, variation
    selectors) are dropped rather than marked; line breaks and tabs stay. The result is
    meant for plain text (``text.parse_math`` off): a ``$`` stays a ``$``.

    Examples
    --------
    >>> figure_text("金潭\U0001F376")
    '金潭□'
    """
    text = str(text)
    drawable = _drawable(style_fonts())
    if all(ord(c) in drawable or c in "\n\t" for c in text):
        return text
    out = []
    for c in text:
        if ord(c) in drawable or c in "\n\t":
            out.append(c)
        elif unicodedata.category(c) in ("Cf", "Mn", "Cc") and not 0xD800 <= ord(c) <= 0xDFFF:
            continue  # invisible: a joiner, a variation selector, a control character
        else:
            out.append(REPLACEMENT_MARK)
    return "".join(out)


def short_label(text: object, limit: int = LABEL_CHARS) -> str:
    """
    ``text`` as a figure's tick label or legend entry shows it: its first ``limit`` characters
    and "…" when it is longer (the full name is in the page's tables).

    Examples
    --------
    >>> short_label("济南市")
    '济南市'
    >>> short_label("超长名称" * 50)
    '超长名称超长名称超长名称超长名称…'
    """
    text = str(text)
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def _shortened(formatter):
    """A tick formatter giving ``formatter``'s labels through :func:`short_label`."""
    return _short_labels_class()(formatter)


@functools.lru_cache(maxsize=1)
def _short_labels_class() -> type:
    """The formatter class of :func:`_shortened`, made once (matplotlib is imported when a figure is drawn)."""
    from matplotlib.ticker import Formatter

    class ShortLabels(Formatter):
        """Another formatter's tick labels, each through :func:`short_label`."""

        def __init__(self, inner):
            self.inner = inner

        def __call__(self, x, pos=None):
            return short_label(self.inner(x, pos))

        def format_ticks(self, values):
            return [short_label(t) for t in self.inner.format_ticks(values)]

        def set_locs(self, locs):
            self.inner.set_locs(locs)
            self.locs = locs

    return ShortLabels


def short_labels(fig):
    """
    Cut every long name ``fig`` shows as a tick label of a category or fixed-label axis, or as
    a legend entry, to :func:`short_label` (``LABEL_CHARS`` characters and "…"); returns ``fig``.

    A 200-character city name drawn in full made its chart 3,000 pixels wide and left matplotlib
    no room to lay the axes out. Numbers' ticks are left alone; the same figure again changes nothing.
    """
    from matplotlib.category import StrCategoryFormatter
    from matplotlib.ticker import FixedFormatter, FuncFormatter

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            formatter = axis.get_major_formatter()
            if isinstance(formatter, FixedFormatter):
                if any(len(str(t)) > LABEL_CHARS for t in formatter.seq):
                    formatter.seq = [short_label(t) for t in formatter.seq]
            elif isinstance(formatter, StrCategoryFormatter) or (
                    isinstance(formatter, FuncFormatter) and not formatter.offset_string):
                # a category axis, or labels given with their ticks (set_xticks(x, names) labels them by a function)
                axis.set_major_formatter(_shortened(formatter))
        legend = ax.get_legend()
        for text in legend.get_texts() if legend is not None else ():
            if len(text.get_text()) > LABEL_CHARS:
                text.set_text(short_label(text.get_text()))
    return fig


def house_layout(fig, **kwargs: object) -> None:
    """
    Lay ``fig`` out tight (:func:`planlib.present.canvas.tight_layout`, ``kwargs`` passed on)
    with its names short (:func:`short_labels`), as every figure of the house does.
    """
    tight_layout(short_labels(fig), **kwargs)


def _all_drawable(texts: list) -> bool:
    """Whether :func:`figure_text` leaves every one of ``texts`` as it is (each distinct character checked once)."""
    drawable = _drawable(style_fonts())
    return all(ord(c) in drawable or c in "\n\t" for c in set("".join(texts)))


def _plain_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text value (object, string or categorical column) passed through :func:`figure_text`."""
    out = None
    for i, column in enumerate(frame.columns):
        values = frame.iloc[:, i]
        if isinstance(values.dtype, pd.CategoricalDtype):
            if _all_drawable([c for c in values.cat.categories if isinstance(c, str)]):
                continue  # a region id categorical holds every region of the plan: checked at once
            categories = [figure_text(c) if isinstance(c, str) else c for c in values.cat.categories]
            if categories == list(values.cat.categories):
                continue
            if len(set(categories)) == len(categories):
                plain = values.cat.rename_categories(categories)
            else:  # two names differing only in undrawable characters: keep both rows, as text
                plain = values.astype(object).map(lambda v: figure_text(v) if isinstance(v, str) else v)
        elif values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            distinct = [v for v in pd.unique(values.dropna()) if isinstance(v, str)]
            if _all_drawable(distinct):
                continue
            texts = {v: figure_text(v) for v in distinct}
            texts = {k: v for k, v in texts.items() if k != v}
            if not texts:
                continue
            plain = values.map(lambda v: texts.get(v, v) if isinstance(v, str) else v)
        else:
            continue
        if out is None:
            out = frame.copy()
        out.isetitem(i, plain)
    return frame if out is None else out


def _plain_argument(name: str, value: object) -> object:
    if isinstance(value, pd.DataFrame):
        return _plain_frame(value)
    if isinstance(value, Mapping):
        return {k: figure_text(v) if isinstance(v, str) else v for k, v in value.items()}
    if isinstance(value, str) and name in _TEXT_ARGUMENTS:
        return figure_text(value)
    return value


#: The keyword arguments of the figure functions that are shown as text (the others name columns).
_TEXT_ARGUMENTS = frozenset({"title", "ylabel"})


def _plain_artists(fig) -> None:
    """Every text of ``fig`` as plain text of drawable characters, fixed tick labels too."""
    from matplotlib.text import Text
    from matplotlib.ticker import FixedFormatter

    for artist in fig.findobj(Text):
        artist.set_parse_math(False)
        text = artist.get_text()
        plain = figure_text(text)
        if plain != text:
            artist.set_text(plain)
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            formatter = axis.get_major_formatter()
            if isinstance(formatter, FixedFormatter):
                formatter.seq = [figure_text(t) for t in formatter.seq]


def note_figure(text: str, *, title: str = "", width: float = 9.0, height: float = 3.8):
    """
    A figure that only says ``text`` (centred, no axes), for a figure that has nothing
    to show or could not be drawn.

    Returns
    -------
    matplotlib.figure.Figure
        A bare Figure; ``title`` and ``text`` are plain text of drawable characters.
    """
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False}):
        fig = new_figure(width, height)
        ax = fig.subplots()
        ax.set_axis_off()
        if title:
            ax.set_title(figure_text(title))
        ax.text(0.5, 0.5, figure_text(text), ha="center", va="center", wrap=True)
    return fig


def _failure_note(exc: BaseException) -> str:
    reason = str(exc).splitlines()[0][:120] if str(exc) else ""
    return f"图表无法绘制 The figure could not be drawn: {type(exc).__name__}" + (f" ({reason})" if reason else "")


def safe_figure(build: Callable) -> Callable:
    """
    Make a figure function safe for names that are data.

    The wrapped function gets its frames' text values, its ``title``/``ylabel`` and
    its mappings' texts through :func:`figure_text`, builds with mathtext off, leaves
    every text of the figure plain and its long names short (:func:`short_labels`), keeps
    the warnings raised while building off the page, and returns :func:`note_figure` saying
    what failed instead of raising.

    Titles are built where matplotlib's automatic placement puts them when nothing is
    in their way (``axes.titley`` 1.0: it then measures nothing at every draw); a figure
    with something in a title's way (ticks or a label above an axes, an offset on a y
    axis, a title that would touch its axes) is built again with the placement on.

    In a warm batch kernel (:func:`planlib.present.drawn.memo_on`) the figure is rendered at
    once and returned as a :class:`~planlib.present.drawn.DrawnFigure`; the same inputs
    again return its PNG without drawing (the plan-wide figures every region shows).
    """

    @functools.wraps(build)
    def draw(*args, **kwargs):
        args = tuple(_plain_argument("", a) for a in args)
        kwargs = {k: _plain_argument(k, v) for k, v in kwargs.items()}
        key = drawn.memo_key(build, args, kwargs) if drawn.memo_on() else None
        if key is None:
            return make(args, kwargs)
        rebuild = functools.partial(make, args, kwargs)
        hit = drawn.recall(key, rebuild)
        if hit is not None:
            return hit
        fig = rebuild()
        return drawn.remember(key, _figure_png(fig), repr(fig), rebuild)

    def make(args: tuple, kwargs: dict):
        import matplotlib

        try:
            # a warning printed here would reach the page, with the server's path of the file that raised it;
            # kept off it (the filters still hold: a missing glyph is an error, and a figure note)
            with warnings.catch_warnings(record=True):
                fixed = matplotlib.rcParams["axes.titley"] is None
                with building(), matplotlib.rc_context({"text.parse_math": False,
                                                        **({"axes.titley": 1.0} if fixed else {})}):
                    fig = build(*args, **kwargs)
                    _plain_artists(short_labels(fig))
                if fixed and not titles_clear(fig):
                    with building(), matplotlib.rc_context({"text.parse_math": False}):
                        fig = build(*args, **kwargs)
                        _plain_artists(short_labels(fig))
        except Exception as exc:  # a figure never fails a report: it says why instead
            return note_figure(_failure_note(exc), title=kwargs.get("title", ""))
        return fig

    return draw


def figure_png(fig, **savefig: object) -> bytes:
    """
    The figure as PNG bytes (``savefig`` keywords passed on), drawn with mathtext off.

    A bare Figure is drawn on the house canvas, once (:func:`planlib.present.canvas.png_bytes`:
    the same pixels as savefig's). A figure that cannot be rendered gives the PNG of a
    :func:`note_figure` saying why, so a report shows a note where the figure would be,
    never an error. Either is written at zlib level ``_PNG_LEVEL`` (2; Pillow's default is 6),
    unless ``pil_kwargs`` gives a ``compress_level``: the same pixels, written faster.
    """
    import matplotlib

    if isinstance(fig, drawn.DrawnFigure):  # drawn for a report: its PNG, or the figure again for other options
        return fig.png if savefig == {"bbox_inches": "tight"} else figure_png(fig.figure(), **savefig)
    savefig = {**savefig, "pil_kwargs": {"compress_level": _PNG_LEVEL, **(savefig.get("pil_kwargs") or {})}}
    try:
        with warnings.catch_warnings(record=True), matplotlib.rc_context({"text.parse_math": False}):
            return png_bytes(fig, **savefig)  # a warning of the drawing kept off the page, as while building
    except Exception as exc:  # a figure never fails a report
        buf = io.BytesIO()
        note_figure(_failure_note(exc)).savefig(buf, format="png", **savefig)
        return buf.getvalue()


def _figure_png(fig) -> bytes:
    return figure_png(fig, bbox_inches="tight")


def _register_png_display() -> None:
    """Show bare matplotlib Figures as PNG in IPython (no pyplot, so no double display)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - the library works without IPython
        return
    shell = get_ipython()
    if shell is None:
        return
    from matplotlib.figure import Figure

    shell.display_formatter.formatters["image/png"].for_type(Figure, _figure_png)
