"""
What leadership reads: escaped tables, headings, notes, key figures and the SWOT boxes.

Reports never build HTML from data by string formatting. Every data-derived string
(region names, table cells, captions, index names) goes through :func:`html.escape`
here, because nbconvert's HTML exporter does not sanitize and ``DataFrame.style``
leaves captions and index names raw (HAZARDS.md). Names are data: each block carries
:data:`PLAIN_TEXT_CLASS`, so MathJax in the exported report and in JupyterLab leaves a
``$…$`` in a name as the text it is.

Public functions: :func:`table_html`, :func:`show_table`, :func:`heading`, :func:`note`,
:func:`key_figures`, :func:`swot_boxes`, :func:`replace_codes`.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd
from pandas.arrays import ArrowStringArray, NumpyExtensionArray

from planlib.labels import (
    CODE_COLUMNS,
    STAGE_NAMES,
    code_label,
    localize,
    reads_as_formula,
    spreadsheet_text,
)
from planlib.run.folder import write_atomic
from planlib.schemas import ITEM_CATALOGUE

__all__ = [
    "PLAIN_TEXT_CLASS",
    "swot_boxes",
    "heading",
    "note",
    "table_html",
    "show_table",
    "key_figures",
    "display_values",
    "write_csv",
    "signed_words",
    "format_rows",
    "replace_codes",
]

#: Item codes of the catalogue in words (``wages`` -> 工资), for the ``item`` column.
ITEM_NAMES: dict[str, str] = {code: name for entry in ITEM_CATALOGUE.values() for code, name in entry["items"].items()}
ITEM_NAMES["dm"] = "DM 宣传单"  # the catalogue writes only the Latin letters

#: A download's file name: ASCII id characters only (it sits beside the report).
_DOWNLOAD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,120}")

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
    A heading whose text comes from data (a region name, the plan's id), escaped, shown as it is.

    No English gloss is dropped (:func:`planlib.labels.localize`): a name in Latin letters
    (``总部 / Macau · acme``) is a name; the page's own words in a heading are Chinese.

    Returns an ``IPython.display.HTML`` object; Markdown would pass raw HTML through.
    """
    level = min(max(int(level), 1), 6)
    return _html(f'<h{level} class="{PLAIN_TEXT_CLASS}">{_e(text)}</h{level}>')


def note(text: str):
    """
    A sentence of reading under a table or figure, escaped, in the page's words (:func:`planlib.labels.localize`).

    A span in backticks is code an analyst types: shown as it is, in ``<code>``.
    """
    shown = re.sub(r"`([^`\n]+)`", r"<code>\1</code>", _e(localize(text)))
    return _html(f'<p class="planlib-note {PLAIN_TEXT_CLASS}">{shown}</p>')


def signed_words(value: float, more: str = "多", less: str = "少", fmt: str = "{:,.0f}") -> str:
    """
    A difference in words: ``多 645`` or ``少 645``, never ``多 -645``.

    Examples
    --------
    >>> signed_words(-645.0)
    '少 645'
    """
    return f"{more if value >= 0 else less} {fmt.format(abs(value))}"


def format_rows(frame: pd.DataFrame, key: str, rows: Sequence[str], fmt: str = "{:z.1%}") -> pd.DataFrame:
    """
    The frame with the numbers of some rows written with their own format (a share among amounts).

    Parameters
    ----------
    frame : DataFrame
        Not modified.
    key : str
        The column naming each row (``kind``).
    rows : sequence of str
        The rows to format (``("market_share",)``): their numeric cells become text such as ``24.0%``.
    fmt : str, default "{:z.1%}"

    Examples
    --------
    >>> format_rows(pd.DataFrame({"kind": ["volume", "market_share"], "target": [100.0, 0.24]}), "kind", ["market_share"])["target"].tolist()
    [100.0, '24.0%']
    """
    out = frame.copy()
    mask = out[key].isin(list(rows))
    for col in out.columns:
        if col != key and pd.api.types.is_numeric_dtype(out[col].dtype) and mask.any():
            values = out[col].astype(object)
            values[mask] = [fmt.format(v) if pd.notna(v) else None for v in out.loc[mask, col]]
            out[col] = values
    return out


def replace_codes(frame: pd.DataFrame, words: Mapping[str, Mapping[Any, Any]]) -> pd.DataFrame:
    """
    ``frame.replace(words)`` for code columns named in words (``{"category": {"labour": "人力成本"}}``).

    The same frame as pandas' ``replace`` with a nested mapping, without comparing every cell
    of a column with every key of its mapping (``planlib.labels.LABELS`` has ~170): a text
    column (``str`` dtype) whose mapping replaces texts by texts is looked up value by value;
    any other column is replaced by pandas with the keys it holds only. A column not in the
    frame is left out, as ``replace`` does.

    Parameters
    ----------
    frame : DataFrame
        Not modified.
    words : mapping
        Column -> {value: replacement}.

    Returns
    -------
    DataFrame
        A new frame equal to ``frame.replace(words)`` (values and dtypes).

    Notes
    -----
    No chaining: a value is replaced at most once (``{"a": "b", "b": "c"}`` turns ``a`` into
    ``b``), as ``replace`` does.

    Examples
    --------
    >>> replace_codes(pd.DataFrame({"category": ["labour", "other"]}), {"category": {"labour": "人力成本"}})["category"].tolist()
    ['人力成本', 'other']
    """
    if not frame.columns.is_unique:
        return frame.replace({col: dict(mapping) for col, mapping in words.items()})
    out = frame.copy()
    rest: dict[str, dict] = {}
    for col, mapping in words.items():
        if col not in frame.columns:
            continue
        values = frame[col]
        texts = all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items())
        if texts and isinstance(values.dtype, pd.StringDtype):
            out[col] = pd.Series([mapping.get(v, v) if isinstance(v, str) else v for v in values.tolist()],
                                 index=values.index, dtype=values.dtype, name=values.name)
            continue
        try:
            held = set(values.unique())
        except TypeError:  # an unhashable value: every key
            held = None
        if held is None or not all(isinstance(k, str) for k in mapping):
            rest[col] = dict(mapping)
        else:  # a text key matches text values only (str equality)
            present = {k: v for k, v in mapping.items() if k in held}
            if present:
                rest[col] = present
    return out.replace(rest) if rest else out


#: The total row's bilingual name some library tables carry.
_TOTAL_NAMES = {"合计 total": "合计", "total": "合计"}

#: Columns whose text is the library's prose (shown through :func:`planlib.labels.localize`).
_PROSE_COLUMNS = frozenset({"basis", "message", "measure", "reason", "value", "key", "line"})


def _mapper(col: object) -> Callable[[Any], Any] | None:
    """The function :func:`display_values` maps a column's values with (None: shown as they are)."""
    if col == "item":
        return lambda v: ITEM_NAMES.get(v, code_label(v)) if isinstance(v, str) else v
    if col in CODE_COLUMNS:
        return lambda v, c=col: localize(code_label(v, c)) if isinstance(v, str) else v
    if col == "stage":
        return lambda v: STAGE_NAMES.get(int(v), v) if isinstance(v, (int, np.integer)) else v
    if col == "name":  # names are data; only the library's total row is named in words
        return lambda v: _TOTAL_NAMES.get(v, v) if isinstance(v, str) else v
    if col in _PROSE_COLUMNS:
        return lambda v: localize(v) if isinstance(v, str) else v
    return None


def display_values(frame: pd.DataFrame) -> pd.DataFrame:
    """
    The frame as a Chinese page shows it: code values in words, prose localized, stages named.

    Columns in :data:`planlib.labels.CODE_COLUMNS` get :func:`planlib.labels.code_label`
    (``item`` the catalogue's item names), ``stage`` numbers become 第一阶段 …, the library's
    prose columns (``basis``, ``message`` …) go through :func:`planlib.labels.localize`.
    Names, ids and numbers are left as they are; the input is not modified.
    """
    out = frame
    for col in frame.columns:
        values = frame[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        if values.dtype != object and not pd.api.types.is_string_dtype(values.dtype) and col != "stage":
            continue
        mapper = _mapper(col)
        if mapper is None:
            continue
        if out is frame:
            out = frame.copy()
        out[col] = values.map(mapper)
    return out


def _missing(value: object) -> bool:
    """None, NA, NaT or a float NaN: what :func:`_format_cell` shows as '–'."""
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def _column_values(column: pd.Series) -> list | None:
    """
    The column's values as iterating it gives them (as ``DataFrame.itertuples`` does), read at
    once: a NumPy column's Python scalars (``ndarray.tolist``), an Arrow text column's texts
    with its missing value; None for any other column (iterated then).
    """
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "fiubO" and isinstance(column.array, NumpyExtensionArray):
        return column.to_numpy().tolist()
    if isinstance(column.array, ArrowStringArray):
        na = dtype.na_value
        return [na if v is None else v for v in column.array.__arrow_array__().to_pylist()]
    return None


def _shown_columns(frame: pd.DataFrame) -> list[list]:
    """
    Each column's values as ``display_values(frame).itertuples()`` gives them, column by column.

    A NumPy or Arrow text column is read at once and mapped value by value with the function
    :func:`display_values` maps it with; when a mapped value is neither text nor missing, or the
    column is of any other kind, the column goes through :func:`display_values` and is iterated.
    The cells shown are the same (a missing value may come as another missing marker, all shown
    as '–' by :func:`_format_cell`).
    """
    if not frame.columns.is_unique:
        shown = display_values(frame)
        return [list(shown.iloc[:, k]) for k in range(shown.shape[1])]
    out = []
    for k, col in enumerate(frame.columns):
        column = frame.iloc[:, k]
        values = _column_values(column)
        mapper = _mapper(col) if column.dtype == object or pd.api.types.is_string_dtype(column.dtype) or col == "stage" \
            else None
        if values is not None and mapper is not None:
            mapped = [mapper(v) for v in values]
            values = mapped if all(isinstance(v, str) or _missing(v) for v in mapped) else None
        if values is None:
            values = list(display_values(frame[[col]]).iloc[:, 0])
        out.append(values)
    return out


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, labels: Mapping[str, str] | None = None) -> Path:
    """
    Write a full table as CSV for Excel: UTF-8 with BOM, the page's Chinese headers and words.

    Returns the path written. Values are the frame's own (numbers unrounded), codes in words
    (:func:`display_values`). A text a spreadsheet would run as a formula (a region named
    ``=cmd|' /C calc'!A0``), in a cell or a header, is written behind a single quote
    (:func:`planlib.labels.spreadsheet_text`, the rule the xlsx exports follow); numbers are
    written as numbers, a negative one too.
    """
    shown = display_values(frame)
    for k in range(shown.shape[1]):
        column = shown.iloc[:, k]
        if pd.api.types.is_bool_dtype(column.dtype):
            column = column.map({True: "是", False: "否"})
        elif isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(object)
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            values = column.tolist()
            if any(map(reads_as_formula, values)):
                column = pd.Series(list(map(spreadsheet_text, values)), index=column.index, dtype=object)
        if column is not shown.iloc[:, k]:
            shown = shown.copy() if shown is frame else shown
            shown.isetitem(k, column)
    labels = dict(labels or {})
    shown = shown.set_axis([spreadsheet_text(localize(labels.get(c, c))) for c in shown.columns], axis=1)
    text = shown.to_csv(index=False, lineterminator="\r\n")
    return write_atomic(Path(path), ("\ufeff" + text).encode("utf-8"))


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
        if value == 0:  # an exact zero (a region without a budget): "0", not "0.00" beside "752,491"
            return "0", True
        return (f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"), True
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d"), False
    if isinstance(value, np.integer):
        return f"{int(value):,}", True
    if isinstance(value, np.floating):
        return _format_cell(float(value), None)
    return str(value), False


def _column_format(values) -> Callable[[Any], str] | None:
    """
    A column's default format: whole numbers for a column of amounts.

    Without a format a float shows two decimals below 1,000 and none from 1,000 on; in one
    column of amounts that read "752.30" beside "752,491". A column of floats only, with an
    amount of 1,000 or more and no nonzero value below 1 in size (a share or a rate beside
    amounts keeps its decimals), shows every value without decimals; any other column keeps
    the cell's rule.
    """
    floats = []
    for v in values:
        if isinstance(v, (float, np.floating)):
            if np.isfinite(v):
                floats.append(abs(float(v)))
        elif not _missing(v):  # text, a flag, an integer: the cells keep their own rule
            return None
    if floats and max(floats) >= 1000 and all(v == 0 or v >= 1 for v in floats):
        return _whole
    return None


def _whole(value: object) -> str:
    return "0" if value == 0 else f"{float(value):z,.0f}"


def table_html(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    labels: Mapping[str, str] | None = None,
    index: bool = False,
    max_rows: int = 200,
    download: str | None = None,
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
        Column -> format string (``"{:z.1%}"``) or callable.
    labels : mapping, optional
        Column -> display label (e.g. Chinese headers).
    index : bool, default False
        Show the index as leading columns.
    max_rows : int, default 200
        Rows beyond this are cut, with a line saying how many.
    download : str, optional
        The file name of the full table beside the report (:func:`show_table` writes it);
        a cut table links it.

    Returns
    -------
    str
        HTML markup; the only unescaped text is planlib's own tags.
    """
    formats = dict(formats or {})
    labels = dict(labels or {})
    shown = frame.reset_index() if index else frame
    caption = localize(caption) if caption else caption
    if shown.empty:
        head = f"<b>{_e(caption)}</b>：" if caption else ""
        return _STYLE + f'<p class="planlib-note {PLAIN_TEXT_CLASS}">{head}无记录。</p>'
    cols = list(shown.columns)
    columns = _shown_columns(shown.iloc[:max_rows] if len(shown) > max_rows else shown)
    parts = [_STYLE, f'<table class="planlib-table {PLAIN_TEXT_CLASS}">']
    if caption:
        parts.append(f"<caption>{_e(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th>{_e(localize(labels.get(c, ITEM_NAMES.get(c, c))))}</th>" for c in cols)
                 + "</tr></thead>")
    parts.append("<tbody>")
    fmts = [formats[col] if col in formats else _column_format(values) for col, values in zip(cols, columns)]
    for row in zip(*columns):
        cells = []
        for fmt, value in zip(fmts, row):
            text, numeric = _format_cell(value, fmt)
            cls = ' class="num"' if numeric else ""
            cells.append(f"<td{cls}>{_e(text)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    total = len(frame)
    if total > max_rows:
        more = f"另有 {total - max_rows:,} 行未显示"
        if download:
            more += f'；<a href="{_e(quote(download))}" download>下载完整表格（CSV，{total:,} 行）</a>'
        parts.append(f'<p class="planlib-note {PLAIN_TEXT_CLASS}">… {more}</p>')
    return "".join(parts)


def show_table(frame: pd.DataFrame, *, download_dir: str | os.PathLike[str] | None = None,
               download_name: str | None = None, **kwargs):
    """
    :func:`table_html` wrapped for notebook display.

    With ``download_dir`` (the report's folder) and ``download_name`` (``10_review_archive-distributors``),
    a table cut at ``max_rows`` is written whole beside the report as ``<download_name>.csv``
    (:func:`write_csv`) and linked under the table; outside a run (``download_dir`` None) nothing is written.
    """
    href = None
    if download_dir is not None and download_name and len(frame) > kwargs.get("max_rows", 200):
        if not _DOWNLOAD_NAME.fullmatch(download_name):
            raise ValueError(f"download_name {download_name!r}: ASCII letters, digits, '_', '.', '-' only")
        path = write_csv(frame.reset_index() if kwargs.get("index") else frame, Path(download_dir) / f"{download_name}.csv",
                         labels=kwargs.get("labels"))
        href = path.name
    return _html(table_html(frame, download=href, **kwargs))


def key_figures(items: Sequence[tuple[str, str]]):
    """A row of labelled key figures (label, formatted value), escaped."""
    boxes = "".join(
        f'<div class="planlib-kpi"><div class="v">{_e(localize(v))}</div><div class="l">{_e(localize(k))}</div></div>'
        for k, v in items
    )
    return _html(_STYLE + f'<div class="planlib-kpis {PLAIN_TEXT_CLASS}">{boxes}</div>')


def swot_boxes(swot: "pd.DataFrame"):
    """
    The SWOT four-box table (strengths, weaknesses / opportunities, threats), escaped.

    Lines from the analyst are marked with ✎.
    """
    titles = {"strengths": "优势", "weaknesses": "劣势", "opportunities": "机会", "threats": "威胁"}

    def box(name: str) -> str:
        rows = swot[swot["box"] == name] if not swot.empty else swot
        items = "".join(
            f"<li>{_e(localize(line))}{' ✎' if source == 'analyst' else ''}</li>" for line, source in zip(rows["line"], rows["source"])
        ) or "<li>—</li>"
        return f'<td style="vertical-align:top;width:50%"><b>{_e(titles[name])}</b><ul>{items}</ul></td>'

    return _html(
        _STYLE + f'<table class="planlib-table {PLAIN_TEXT_CLASS}" style="width:100%">'
        f"<tr>{box('strengths')}{box('weaknesses')}</tr><tr>{box('opportunities')}{box('threats')}</tr></table>"
    )
