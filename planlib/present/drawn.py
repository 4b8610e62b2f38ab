"""
Figures already drawn: a warm kernel draws a figure once for the inputs it was drawn from.

Some figures are the same for every region of a plan (30_build_budget's response curves are
fitted on the whole plan's activities), and a warm batch kernel serves region after region.
With the memo on, every figure function wrapped by :func:`planlib.present.style.safe_figure`
renders its figure at once and returns a :class:`DrawnFigure` (its PNG and its text, shown
as the Figure would be); a call with the same inputs returns the same PNG without drawing.

The key (:func:`memo_key`) is a hash of everything the pixels come from: the function, its
arguments as pickled (values, index, columns and dtypes of every frame), matplotlib's
rcParams and the warning filters (a missing glyph is an error under the house style).
Arguments that cannot be pickled, and functions that are closures, are not remembered: the
figure is drawn and returned as a Figure. Equal pickles mean equal inputs, so a hit is the
figure the same call would draw.

The memo is on in planlib's warm kernels only (the environment variable
:data:`MEMO_VARIABLE` is ``"1"``; :mod:`planlib.run.kernels` sets it in the kernels it
starts); in JupyterLab and stock papermill a figure function returns a Figure, to be changed
before it is shown. It holds the last :data:`MEMO_SIZE` figures.

Code that changes a figure after it is built takes it through :func:`as_figure`.

Public: :data:`MEMO_VARIABLE`, :data:`MEMO_SIZE`, :func:`as_figure`, :func:`memo_on`, :func:`memo_key`,
:func:`recall`, :func:`remember`, :func:`forget_all`; class :class:`DrawnFigure`.
"""

from __future__ import annotations

import collections
import hashlib
import os
import pickle
import warnings
from collections.abc import Callable

__all__ = ["MEMO_VARIABLE", "MEMO_SIZE", "DrawnFigure", "as_figure", "memo_on", "memo_key", "recall", "remember",
           "forget_all"]

#: The environment variable that turns the memo on ("1").
MEMO_VARIABLE = "PLANLIB_FIGURE_MEMO"

#: Figures remembered (the oldest is dropped first); a report draws at most a dozen.
MEMO_SIZE = 64


class DrawnFigure:
    """
    A figure rendered once: shown in IPython as its Figure would be (the same PNG, the same
    text), and rebuilt as a Figure by :meth:`figure` when one is needed.

    Attributes
    ----------
    png : bytes
        The figure as a report shows it (``figure_png(fig, bbox_inches="tight")``).
    text : str
        The Figure's ``repr`` (``<Figure size 1260x360 with 3 Axes>``), its text/plain output.
    """

    __slots__ = ("png", "text", "rebuild")

    def __init__(self, png: bytes, text: str, rebuild: Callable[[], object]):
        self.png = png
        self.text = text
        self.rebuild = rebuild

    def _repr_png_(self) -> bytes:
        return self.png

    def __repr__(self) -> str:
        return self.text

    def figure(self):
        """The matplotlib Figure, built again from the same inputs."""
        return self.rebuild()


def as_figure(fig):
    """``fig`` as a matplotlib Figure to change: a :class:`DrawnFigure` built again, a Figure as it is."""
    return fig.figure() if isinstance(fig, DrawnFigure) else fig


#: key -> (png, text), the most recently used last; an OrderedDict, which a warm kernel's reset keeps
#: across regions (it puts back planlib's plain dicts, lists and sets only), as it keeps lru_caches
_MEMO: collections.OrderedDict[bytes, tuple[bytes, str]] = collections.OrderedDict()


def memo_on() -> bool:
    """Whether figure functions remember what they drew (:data:`MEMO_VARIABLE` is ``"1"``)."""
    return os.environ.get(MEMO_VARIABLE) == "1"


def memo_key(build: Callable, args: tuple, kwargs: dict) -> bytes | None:
    """
    The key of a figure: a BLAKE2b hash of the function's qualified name, its pickled
    arguments, matplotlib's rcParams and the warning filters; ``None`` when an argument
    cannot be pickled, or the function is a closure (its captured values are not in the key).
    """
    import matplotlib

    if getattr(build, "__closure__", None):
        return None
    try:
        blob = pickle.dumps((build.__module__, build.__qualname__, args, kwargs, dict(matplotlib.rcParams),
                             repr(warnings.filters)), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # a lambda, an open file: drawn every time
        return None
    return hashlib.blake2b(blob, digest_size=32).digest()


def recall(key: bytes, rebuild: Callable[[], object]) -> DrawnFigure | None:
    """The figure drawn for ``key``, or ``None`` when it is not remembered."""
    hit = _MEMO.get(key)
    if hit is None:
        return None
    _MEMO.move_to_end(key)
    return DrawnFigure(hit[0], hit[1], rebuild)


def remember(key: bytes, png: bytes, text: str, rebuild: Callable[[], object]) -> DrawnFigure:
    """Keep the figure drawn for ``key`` (dropping the oldest past :data:`MEMO_SIZE`) and return it."""
    _MEMO[key] = (png, text)
    _MEMO.move_to_end(key)
    while len(_MEMO) > MEMO_SIZE:
        _MEMO.popitem(last=False)
    return DrawnFigure(png, text, rebuild)


def forget_all() -> None:
    """Drop every remembered figure."""
    _MEMO.clear()
