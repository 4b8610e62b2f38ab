"""
The panels' output: escaped HTML and PNG as ready-made MIME bundles for ``ipywidgets.Output``.

Public functions: :func:`html_bundle`, :func:`figure_bundle`, :func:`note`, :func:`side_by_side`.
"""

from __future__ import annotations

import base64
import html
from typing import Any

from planlib.present.plots import figure_png
from planlib.present.tables import PLAIN_TEXT_CLASS

__all__ = ["html_bundle", "figure_bundle", "note", "side_by_side"]


def html_bundle(markup: str) -> dict[str, Any]:
    """A display_data bundle of ready, escaped HTML."""
    data = {"text/html": markup, "text/plain": "<planlib table>"}
    return {"output_type": "display_data", "data": data, "metadata": {}}


def figure_bundle(fig) -> dict[str, Any]:
    """A display_data bundle of the figure as a PNG at screen resolution (a note if it cannot be drawn)."""
    png = base64.b64encode(figure_png(fig, dpi=80)).decode("ascii")  # screen resolution: the redraw budget is 200 ms
    return {"output_type": "display_data", "data": {"image/png": png, "text/plain": "<Figure>"}, "metadata": {}}


def note(text: str) -> str:
    """One escaped sentence as a note paragraph."""
    return f'<p class="planlib-note {PLAIN_TEXT_CLASS}">{html.escape(text)}</p>'


def side_by_side(*parts: str) -> str:
    """Ready HTML parts in a wrapping row."""
    cells = "".join(f'<div style="flex:0 1 auto">{t}</div>' for t in parts)
    return f'<div class="{PLAIN_TEXT_CLASS}" style="display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start">{cells}</div>'
