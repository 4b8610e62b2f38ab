"""
What leadership reads: escaped tables, headings, notes, key figures and the SWOT boxes.

Reports never build HTML from data by string formatting. Every data-derived string
(region names, table cells, captions, index names) goes through :func:`html.escape`
here, because nbconvert's HTML exporter does not sanitize and ``DataFrame.style``
leaves captions and index names raw (HAZARDS.md). Names are data: each block carries
:data:`PLAIN_TEXT_CLASS`, so MathJax in the exported report and in JupyterLab leaves a
``$…$`` in a name as the text it is.

Public functions: :func:`table_html`, :func:`show_table`, :func:`heading`, :func:`note`,
:func:`key_figures`, :func:`swot_boxes`.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "PLAIN_TEXT_CLASS",
    "swot_boxes",
    "heading",
    "note",
    "table_html",
    "show_table",
    "key_figures",
]

#: HTML classes MathJax skips (``tex2jax_ignore`` for MathJax 2 in nbconvert's HTML,
#: ``mathjax_ignore`` for MathJax 3 in JupyterLab): every block here carries them.
PLAIN_TEXT_CLASS = "tex2jax_ignore mathjax_ignore"

_STYLE = """
<style>
table.planlib-table{border-collapse:collapse;font-size:13px;margin:6px 0 14px 0}
table.planlib-table th,table.planlib-table td{border:1px solid #d0d7de;padding:3px 8px;text-align:left !important}
table.planlib-table th{background:#f3f5f7}
table.planlib-table td.num{text-align:right !important;font-variant-numeric:tabular-nums}
table.planlib-table caption{caption-side:top;text-align:left;font-weight:600;padding:4px 0;white-space:nowrap}
.planlib-note{color:#444;margin:4px 0 12px 0}
.planlib-kpis{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0 14px 0}
.planlib-kpi{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;min-width:140px}
.planlib-kpi .v{font-size:20px;font-weight:600}
.planlib-kpi .l{font-size:12px;color:#555}
</style>
"""


def _e(value: object) -> str:
    """Escape any value for HTML text or attribute context."""
    return html.escape("" if value is None else str(value), quote=True)


def _html(markup: str):
    from IPython.display import (
        HTML,  # imported lazily: the library itself needs no IPython
    )

    return HTML(markup)


def heading(text: str, level: int = 2):
    """
    A heading whose text comes from data (a region name), escaped.

    Returns an ``IPython.display.HTML`` object; Markdown would pass raw HTML through.
    """
    level = min(max(int(level), 1), 6)
    return _html(f'<h{level} class="{PLAIN_TEXT_CLASS}">{_e(text)}</h{level}>')


def note(text: str):
    """A sentence of reading under a table or figure, escaped."""
    return _html(f'<p class="planlib-note {PLAIN_TEXT_CLASS}">{_e(text)}</p>')


def _format_cell(value: object, fmt: str | Callable[[Any], str] | None) -> tuple[str, bool]:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA or value is pd.NaT:
        return "–", False
    if fmt is not None:
        return (fmt(value) if callable(fmt) else fmt.format(value)), True
    if isinstance(value, (bool, np.bool_)):
        return ("是" if value else "否"), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        return (f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"), True
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d"), False
    if isinstance(value, np.integer):
        return f"{int(value):,}", True
    if isinstance(value, np.floating):
        return _format_cell(float(value), None)
    return str(value), False


def table_html(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    labels: Mapping[str, str] | None = None,
    index: bool = False,
    max_rows: int = 200,
) -> str:
    """
    Render a frame as an HTML table with every string escaped.

    Parameters
    ----------
    frame : DataFrame
        The table to show; not modified.
    caption : str, optional
        Caption above the table (escaped).
    formats : mapping, optional
        Column -> format string (``"{:.1%}"``) or callable.
    labels : mapping, optional
        Column -> display label (e.g. Chinese headers).
    index : bool, default False
        Show the index as leading columns.
    max_rows : int, default 200
        Rows beyond this are cut, with a line saying how many.

    Returns
    -------
    str
        HTML markup; the only unescaped text is planlib's own tags.
    """
    formats = dict(formats or {})
    labels = dict(labels or {})
    shown = frame.reset_index() if index else frame
    if shown.empty:
        head = f"<b>{_e(caption)}</b>: " if caption else ""
        return _STYLE + f'<p class="planlib-note {PLAIN_TEXT_CLASS}">{head}无记录 — nothing to show.</p>'
    cols = list(shown.columns)
    parts = [_STYLE, f'<table class="planlib-table {PLAIN_TEXT_CLASS}">']
    if caption:
        parts.append(f"<caption>{_e(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th>{_e(labels.get(c, c))}</th>" for c in cols) + "</tr></thead>")
    parts.append("<tbody>")
    for row in shown.head(max_rows).itertuples(index=False, name=None):
        cells = []
        for col, value in zip(cols, row):
            text, numeric = _format_cell(value, formats.get(col))
            cls = ' class="num"' if numeric else ""
            cells.append(f"<td{cls}>{_e(text)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    if len(shown) > max_rows:
        parts.append(f'<p class="planlib-note">… {len(shown) - max_rows:,} more rows not shown</p>')
    return "".join(parts)


def show_table(frame: pd.DataFrame, **kwargs):
    """:func:`table_html` wrapped for notebook display."""
    return _html(table_html(frame, **kwargs))


def key_figures(items: Sequence[tuple[str, str]]):
    """A row of labelled key figures (label, formatted value), escaped."""
    boxes = "".join(
        f'<div class="planlib-kpi"><div class="v">{_e(v)}</div><div class="l">{_e(k)}</div></div>' for k, v in items
    )
    return _html(_STYLE + f'<div class="planlib-kpis {PLAIN_TEXT_CLASS}">{boxes}</div>')


def swot_boxes(swot: "pd.DataFrame"):
    """
    The SWOT four-box table (strengths, weaknesses / opportunities, threats), escaped.

    Lines from the analyst are marked with ✎.
    """
    titles = {"strengths": "优势 Strengths", "weaknesses": "劣势 Weaknesses",
              "opportunities": "机会 Opportunities", "threats": "威胁 Threats"}  # fmt: skip

    def box(name: str) -> str:
        rows = swot[swot["box"] == name] if not swot.empty else swot
        items = "".join(
            f"<li>{_e(line)}{' ✎' if source == 'analyst' else ''}</li>" for line, source in zip(rows["line"], rows["source"])
        ) or "<li>—</li>"
        return f'<td style="vertical-align:top;width:50%"><b>{_e(titles[name])}</b><ul>{items}</ul></td>'

    return _html(
        _STYLE + f'<table class="planlib-table {PLAIN_TEXT_CLASS}" style="width:100%">'
        f"<tr>{box('strengths')}{box('weaknesses')}</tr><tr>{box('opportunities')}{box('threats')}</tr></table>"
    )
