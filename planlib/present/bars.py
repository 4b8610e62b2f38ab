"""
Bar charts' data limits taken once per ``bar()`` call, as matplotlib takes them bar by bar.

Matplotlib's ``Axes.bar`` adds its rectangles one at a time, and each one updates the axes'
data limits on its own (``Axes._update_patch_limits``): it walks the rectangle's path as
Bézier segments, builds the patch's transform and its difference with ``transData``, maps
the corners to data coordinates and extends ``dataLim`` by them. For a plain rectangle the
corners are known without that: :func:`bars_at_once` gives an axes a ``bar`` that sets the
per-rectangle update aside while matplotlib's own ``bar`` runs and then extends the limits by
every rectangle's corners at once, computed by the same arithmetic (the same bits).

Why the same bits (matplotlib 3.11, read in its source): a rectangle with no angle, its aspect
correction 1 and its rotation point ``"xy"`` has the patch transform ``BboxTransformTo(bbox) + A`` where
``A`` is translate(-x0, -y0), scale(1, 1), rotate(0), scale(1, 1), translate(x0, y0): exactly
the identity for a finite corner (``-x0 + x0`` is ``+0.0``). The composite's matrix is
``A · B`` with ``B = [[w, 0, x0], [0, h, y0], [0, 0, 1]]`` (``w = x1 - x0``, ``h = y1 - y0``,
the box's bounds): each entry is B's plus zeros, at least one of them ``+0.0``, so B's entry
with a negative zero made positive, ``b + 0.0``. Matplotlib maps a unit corner (u, v) to
``(sx·u + shx·v) + tx`` (its ``affine_transform``); with ``shx = +0.0`` the corners' x are
``tx`` and ``sx + tx``, y alike, never a negative zero. The data limits then take the minimum
and maximum of finite corners (and the least positive one); over corners without negative
zeros that is the same whether taken rectangle by rectangle or at once. A rectangle of any
other kind, shape, transform, units or a non-finite corner, bars with error bars, axes that
are not rectilinear, and limits that are to be reset but are not empty: matplotlib's own
update, in the same order.

tests/present/test_bars.py compares the limits' bits with matplotlib's on random bars.

Public function: :func:`bars_at_once`.
"""

from __future__ import annotations

import functools
import math

__all__ = ["bars_at_once"]


def bars_at_once(ax):
    """
    ``ax.bar`` as matplotlib's, the data limits of its rectangles taken at once.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes; its own ``bar`` (and so ``barh``, which calls it) is wrapped.

    Returns
    -------
    callable
        A ``bar`` to set on the axes (``ax.bar = bars_at_once(ax)``; delete the attribute to
        undo it). While it runs, the axes' ``_update_patch_limits`` keeps plain rectangles
        back and extends ``dataLim`` by them all before any other patch and at the end.

    Notes
    -----
    A rectangle's corners in data coordinates are ``x0 + 0.0`` and ``(w + 0.0) + (x0 + 0.0)``
    with ``w = x1 - x0`` (and y alike), as matplotlib's transforms compute them (the
    module's docstring says why).
    """
    bar = type(ax).bar.__get__(ax)

    @functools.wraps(bar)
    def bar_at_once(*args, **kwargs):
        if (kwargs.get("xerr") is not None or kwargs.get("yerr") is not None or ax.name != "rectilinear"
                or "_update_patch_limits" in vars(ax)):
            return bar(*args, **kwargs)
        update = type(ax)._update_patch_limits.__get__(ax)
        pending: list = []

        def kept_back(patch):
            if _plain(ax, patch):
                pending.append(patch)
            else:
                _extend(ax, pending, update)
                update(patch)

        ax._update_patch_limits = kept_back
        try:
            made = bar(*args, **kwargs)
        finally:
            del ax._update_patch_limits
        _extend(ax, pending, update)
        return made

    return bar_at_once


def _plain(ax, patch) -> bool:
    """Whether matplotlib's limits of ``patch`` are its box's corners, computed here (the module's docstring)."""
    from matplotlib.patches import Rectangle

    return (type(patch) is Rectangle and vars(patch).get("_transform") is ax.transData
            and patch.angle == 0 and patch._aspect_ratio_correction == 1.0
            and isinstance(patch.rotation_point, str) and patch.rotation_point == "xy")


def _extend(ax, pending: list, update) -> None:
    """Extend ``ax.dataLim`` by the rectangles ``pending`` (then empty it) as ``update`` would one by one."""
    import numpy as np

    if not pending:
        return
    rects = [p for p in pending if not ((not p.get_width()) and (not p.get_height()))]  # matplotlib skips these
    patches = list(pending)
    pending.clear()
    if not rects:
        return
    box = ax.dataLim
    fresh = ax.ignore_existing_data_limits
    try:
        extents = np.asarray([p._convert_units() for p in rects], dtype=float).reshape(len(rects), 4)
    except (TypeError, ValueError):
        extents = None
    if extents is not None:
        x0, y0, x1, y1 = extents.T
        width, height = x1 - x0, y1 - y0  # the box's bounds (finite: so are its corners)
    if (extents is None or not (np.isfinite(width).all() and np.isfinite(height).all())
            or (fresh and not (np.array_equal(box.get_points(), [[math.inf] * 2, [-math.inf] * 2])
                               and np.array_equal(box.minpos, [math.inf] * 2)))):
        for patch in patches:  # matplotlib's way, in order
            update(patch)
        return
    tx, ty, sx, sy = x0 + 0.0, y0 + 0.0, width + 0.0, height + 0.0  # the composite matrix's entries
    corners = np.empty((4 * len(rects), 2))
    corners[:, 0] = np.concatenate([tx, sx + tx, sx + tx, tx])
    corners[:, 1] = np.concatenate([ty, ty, sy + ty, sy + ty])
    ax.update_datalim(corners)
