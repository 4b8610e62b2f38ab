"""
The plan's Excel workbooks, for people who live in Excel: the targets, the budget, the tracking.

A run writes one workbook per plan-wide step, each named for what it holds
(:func:`planlib.run.folder.workbook_path`): ``<plan_id>-targets.xlsx`` (the targets by level,
month and terminal, with revenue and the profit target), ``<plan_id>-budget.xlsx`` (the
budget by region, category and month, the terminals' channel fees, cost-volume-profit and the
dual check) and, in a tracking run, ``<plan_id>-tracking.xlsx``.

Every sheet reads without the suite: Chinese headers with their units (箱, 元), Chinese
level names, category and item names and verdicts; number formats (thousands, percentages);
the header row and the key columns frozen; a filter on the header; set up for printing
(landscape, A4, fit to the page width, the header row and key columns repeated on every
page, the sheet name and page number in the margins).

Every text is stored as text, never as a formula: a region or terminal name such as
``=HYPERLINK("http://…","点我")`` from the archive shows as written and runs nothing (a text
cell with Excel's quote prefix). Which texts those are is decided in one place,
:func:`planlib.labels.reads_as_formula` (:data:`FORMULA_TRIGGERS`, re-exported here), which
the reports' CSV downloads use too.

The workbooks are written by :func:`write_workbook`, a small streaming writer of the Office
Open XML parts a sheet of values needs (no formulas, no shared strings), column by column
from the frames, each column's cells formatted at once in Arrow (each distinct text escaped
once, the rows joined without Python strings per cell): the national plan's workbooks
(about two million cells) take under a second each where openpyxl's cell objects took over
half a minute. :func:`store_text_as_text` does the
same text-safety for a workbook built with openpyxl.

Public names: FORMULA_TRIGGERS, NUMBER_FORMATS, Sheet, write_workbook, export_targets_excel,
export_budget_excel, export_sheets_excel, store_text_as_text.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from planlib.labels import (
    CATEGORY_NAMES,
    DUAL_CHECK_NAMES,
    FORMULA_TRIGGERS,
    LEVEL_NAMES,
    WORKBOOK_LABELS,
    reads_as_formula,
)
from planlib.run.folder import atomic_path
from planlib.schemas import ITEM_CATALOGUE, LEVEL_DEPTH
from planlib.targets import BREAKDOWNS, TERMINAL_SHEET
from planlib.targets.table import breakdown_codes

__all__ = ["FORMULA_TRIGGERS", "NUMBER_FORMATS", "Sheet", "write_workbook", "export_targets_excel",
           "export_budget_excel", "export_sheets_excel", "store_text_as_text"]


#: Number formats a sheet may use, with their Excel ids (below 164: Excel's built-in formats).
NUMBER_FORMATS: dict[str, int] = {
    "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10, "0.0%": 164, "0.0": 165, "yyyy-mm-dd": 166,
    "+#,##0;-#,##0;0": 167, "+0.0%;-0.0%;0.0%": 168, "0": 1,
}  # fmt: skip

#: Whole amounts (元, 箱) and shares.
WHOLE, PERCENT = "#,##0", "0.0%"

_MONTHS = [f"{m}月" for m in range(1, 13)]


def store_text_as_text(book) -> None:
    """
    Store every text cell of an openpyxl workbook that a spreadsheet would take for a formula as text.

    A string a spreadsheet would take for a formula (:func:`planlib.labels.reads_as_formula`)
    becomes a string cell (``data_type "s"``) with Excel's quote prefix, so Excel shows it as written, neither
    evaluating it nor turning it into a formula when the cell is edited. The visible text
    is unchanged. planlib writes no formulas, so every such cell is data. Changes ``book``
    in place (call it just before saving). :func:`write_workbook` does the same as it writes.
    """
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if reads_as_formula(cell.value):
                    cell.data_type = "s"
                    cell.quotePrefix = True


# -- the writer ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    """
    One sheet of a workbook: a frame whose column names are the headers, as shown.

    Attributes
    ----------
    title : str
        The sheet's name (at most 31 characters, none of ``[]:*?/\\``).
    frame : DataFrame
        The rows, in order. Numbers, text, booleans and dates; missing values leave the cell empty.
    formats : mapping
        Number format by column (one of :data:`NUMBER_FORMATS`); other numeric columns show as
        stored (General).
    key_columns : int, default 1
        The leading columns that name a row: frozen with the header row and repeated on
        every printed page.
    widths : mapping
        Column width (characters) by column; others are sized to their header and first rows.
    """

    title: str
    frame: pd.DataFrame
    formats: Mapping[str, str] = field(default_factory=dict)
    key_columns: int = 1
    widths: Mapping[str, float] = field(default_factory=dict)


# cellXfs: 0 General, 1 header, 2 text with the quote prefix, then one per NUMBER_FORMATS entry
_XF_HEADER, _XF_QUOTED = 1, 2
_XF_OF_FORMAT = {fmt: 3 + i for i, fmt in enumerate(NUMBER_FORMATS)}
_XF_DATE = _XF_OF_FORMAT["yyyy-mm-dd"]
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# characters XML 1.0 cannot hold (C0 controls but tab, newline and return); shown as U+FFFD
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ILLEGAL_BUT_NUL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PLAIN_TEXT = '<c t="inlineStr"><is><t>{}</t></is></c>'
# an object column of these only is text (str, at least one) with missing values (None, NA, NaN)
_TEXT_OR_MISSING = {str, type(None), type(pd.NA), float, np.float64}
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
_WIDE = re.compile("[\u2e80-\U0010ffff]")  # characters a column shows twice as wide
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_CHUNK_ROWS = 20_000  # rows of a sheet formatted at a time
#: zlib level of the workbook's parts: 1 deflates the national plan's 19 MB of sheet XML three times as fast
#: as the default 6, for a file about a fifth larger
_ZIP_LEVEL = 1


def _styles_xml() -> str:
    custom = "".join(f'<numFmt numFmtId="{i}" formatCode="{escape(f, {chr(34): "&quot;"})}"/>'
                     for f, i in NUMBER_FORMATS.items() if i >= 164)
    n_custom = sum(i >= 164 for i in NUMBER_FORMATS.values())
    xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
           ('<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" '
            'applyBorder="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>'),
           '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>']
    xfs += [f'<xf numFmtId="{i}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
            for i in NUMBER_FORMATS.values()]
    return (f'{_HEAD}<styleSheet {_NS}><numFmts count="{n_custom}">{custom}</numFmts>'
            '<fonts count="2"><font><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font>'
            '<font><b/><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font></fonts>'
            '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
            '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill></fills>'
            '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
            '<border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            '</styleSheet>')


def _column_letter(j: int) -> str:
    """Excel's column letters of the 1-based column ``j`` (1 -> A, 27 -> AA)."""
    out = ""
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def _text(value: str) -> str:
    return escape(_ILLEGAL.sub("\ufffd", value))


def _texts(values: list[str]) -> list[str]:
    """:func:`_text` of each value, in one pass over them all joined by NUL (itself illegal, so in no value's XML)."""
    whole = "\x00".join(values)
    if whole.count("\x00") != max(len(values) - 1, 0):  # a value holds NUL: one at a time
        return [_text(v) for v in values]
    return escape(_ILLEGAL_BUT_NUL.sub("\ufffd", whole)).split("\x00") if values else []


def _missing(v) -> bool:
    """None, pandas' NA or a float NaN: an empty cell."""
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))


def _text_cells(values: np.ndarray) -> pa.Array:
    """
    Text cells of a column's values (an object array), each distinct text formatted once.

    A missing value (:func:`_missing`) or an empty text is an empty cell; any other value
    shows as ``str(value)``.
    """
    codes, uniques = pd.factorize(values)
    missing = codes < 0
    if not (set(map(type, uniques)) <= {str} and all(_missing(v) for v in values[missing])):
        # not only texts (pd.factorize holds 1 == 1.0 == True as one value, and NaT as missing): each as written
        texts = np.empty(len(values), dtype=object)
        texts[:] = [None if _missing(v) or v == "" else v if isinstance(v, str) else str(v) for v in values]
        codes, uniques = pd.factorize(texts)
        missing = codes < 0
    codes[missing] = len(uniques)
    return _distinct_text_cells(list(uniques)).take(pa.array(codes))


def _arrow_text_cells(values: pa.Array) -> pa.Array:
    """Text cells of an Arrow array of strings (a pandas ``str`` column): missing and empty texts are empty cells."""
    encoded = pc.dictionary_encode(values)
    return _distinct_text_cells(encoded.dictionary.to_pylist()).take(encoded.indices.fill_null(len(encoded.dictionary)))


def _distinct_text_cells(texts: list[str]) -> pa.Array:
    """The cells of distinct texts, then an empty cell (for the missing values)."""
    n = len(texts)
    escaped = _texts(texts)
    cells = list(map(_PLAIN_TEXT.format, escaped))
    special = (np.fromiter(map(reads_as_formula, texts), bool, n)
               | np.fromiter(map(str.isspace, map(itemgetter(slice(0, 1)), texts)), bool, n)
               | np.fromiter(map(str.isspace, map(itemgetter(slice(-1, None)), texts)), bool, n))
    for k in np.flatnonzero(special).tolist():
        s = texts[k]
        style = f' s="{_XF_QUOTED}"' if reads_as_formula(s) else ""
        space = ' xml:space="preserve"' if s[:1].isspace() or s[-1:].isspace() else ""
        cells[k] = f'<c t="inlineStr"{style}><is><t{space}>{escaped[k]}</t></is></c>'
    if "" in texts:
        cells[texts.index("")] = "<c/>"
    cells.append("<c/>")
    return pa.array(cells, type=pa.string())


def _float_digits(values: np.ndarray) -> pa.Array:
    """
    Python's ``repr`` of each float (finite, not a whole number below 1e15), as Arrow strings.

    Arrow's cast writes the same shortest round-trip digits as ``repr``, and in the same
    plain notation from 1e-4 up to 1e10 (outside it the two write exponents differently):
    those are Arrow's, the others ``repr``'s.
    """
    digits = pc.cast(pa.array(values), pa.string())
    size = np.abs(values)
    far = (size < 1e-4) | (size >= 1e10)
    if far.any():
        digits = pc.replace_with_mask(digits, pa.array(far),
                                      pa.array(list(map(float.__repr__, values[far].tolist())), type=pa.string()))
    return digits


def _number_cells(values: np.ndarray, xf: int) -> list[str | pa.Array]:
    """
    Number cells (as :func:`_column_cells` gives them): whole numbers below 1e15 without a decimal point
    (Arrow's digits), others as ``repr`` (:func:`_float_digits`), NaN and infinities empty.
    """
    style = f' s="{xf}"' if xf else ""
    if values.dtype.kind in "iu":  # whole numbers: their own digits (below 1e15, as the float's)
        if not len(values) or (values.min() > -10**15 and values.max() < 10**15):
            return [f"<c{style}><v>", pc.cast(pa.array(values), pa.string()), "</v></c>"]
        values = values.astype(float)
    finite = np.isfinite(values)
    as_int = finite & (values == np.round(values)) & (np.abs(values) < 1e15)
    digits = pc.cast(pa.array(np.where(as_int, values, 0).astype(np.int64)), pa.string())
    other = finite & ~as_int
    if other.any():
        digits = pc.replace_with_mask(digits, pa.array(other), _float_digits(values[other]))
    if finite.all():
        return [f"<c{style}><v>", digits, "</v></c>"]
    cells = pc.binary_join_element_wise(f"<c{style}><v>", digits, "</v></c>", "")
    return [pc.if_else(pa.array(finite), cells, pa.scalar(f"<c{style}/>"))]


def _column_cells(col: pd.Series, fmt: str | None) -> list[str | pa.Array]:
    """
    One column's cells as XML, top to bottom, in pieces: each row's cell is its pieces joined.

    A piece is an Arrow array of strings (a part of each row's cell) or a text (the same
    part on every row): a column of finite numbers is its style's ``<c><v>``, the digits and
    ``</v></c>``, joined with the row's other cells at once (:func:`_sheet_parts`).
    """
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        col = col.astype(object)
        dtype = col.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return [pa.array([f'<c t="b"><v>{int(v)}</v></c>' for v in col.tolist()], type=pa.string())]
    if pd.api.types.is_datetime64_any_dtype(dtype):
        days = (col.to_numpy(dtype="datetime64[ns]") - _EXCEL_EPOCH) / np.timedelta64(1, "D")
        return _number_cells(np.asarray(days, dtype=float), _XF_OF_FORMAT.get(fmt or "yyyy-mm-dd", _XF_DATE))
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":  # numpy integers: never missing
        return _number_cells(col.to_numpy(), _XF_OF_FORMAT[fmt] if fmt else 0)
    if pd.api.types.is_numeric_dtype(dtype):
        return _number_cells(col.to_numpy(dtype=float, na_value=np.nan), _XF_OF_FORMAT[fmt] if fmt else 0)
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return [_arrow_text_cells(pa.array(col.array))]  # its own Arrow strings, not turned into Python's
    values = col.to_numpy(dtype=object)
    if str in (seen := set(map(type, values))) and seen <= _TEXT_OR_MISSING:
        return [_text_cells(values)]  # texts, perhaps missing: the usual text column, told apart without a loop
    kinds = {type(v) for v in values if not _missing(v)}
    if kinds and all(issubclass(k, (int, float, np.integer, np.floating)) and not issubclass(k, bool)
                     for k in kinds):  # numbers in an object column (a frame built row by row)
        return _number_cells(pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan),
                             _XF_OF_FORMAT[fmt] if fmt else 0)
    if kinds and all(issubclass(k, (dt.date, np.datetime64)) for k in kinds):
        return _column_cells(pd.to_datetime(col), fmt)
    return [_text_cells(values)]


def _display_width(value) -> int:
    """Characters of ``str(value)``, the wide ones (from U+2E80: CJK) counted twice."""
    s = str(value)
    return len(s) + len(_WIDE.findall(s))


def _width(sheet: Sheet, name: str) -> float:
    if name in sheet.widths:
        return float(sheet.widths[name])
    col = sheet.frame[name]
    head = max((_display_width(part) for part in str(name).split("\n")), default=0)
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        top = float(np.nanmax(np.abs(col.to_numpy(dtype=float, na_value=np.nan)))) if len(col) and col.notna().any() else 0.0
        body = len(f"{top:,.0f}") + 2
    else:
        body = max((_display_width(v) for v in col.head(200).tolist() if v is not None), default=0)
    return float(min(max(head, body, 6) + 2, 48))


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _concatenated(cells: pa.Array) -> pa.Buffer:
    """The UTF-8 bytes of an Arrow array of strings (none missing), one after the other: its data buffer."""
    if cells.null_count:
        raise ValueError("a missing cell")  # every cell is written, an empty one as <c/>
    offsets = np.frombuffer(cells.buffers()[1], dtype=np.int32, count=len(cells) + 1, offset=4 * cells.offset)
    return cells.buffers()[2][int(offsets[0]):int(offsets[-1])]


def _sheet_parts(sheet: Sheet, index: int):
    """The sheet's XML in pieces (the rows streamed, as UTF-8 text or Arrow buffers of it)."""
    frame = sheet.frame
    n_rows, n_cols = len(frame), len(frame.columns)
    keys = max(0, min(sheet.key_columns, n_cols - 1))
    last_col = _column_letter(max(n_cols, 1))
    ref = f"A1:{last_col}{n_rows + 1}"
    top_left = f"{_column_letter(keys + 1)}2"
    if keys:
        pane = (f'<pane xSplit="{keys}" ySplit="1" topLeftCell="{top_left}" activePane="bottomRight" state="frozen"/>'
                f'<selection pane="topRight"/><selection pane="bottomLeft"/>'
                f'<selection pane="bottomRight" activeCell="{top_left}" sqref="{top_left}"/>')
    else:
        pane = ('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>')
    cols = "".join(f'<col min="{j}" max="{j}" width="{_width(sheet, c):.1f}" customWidth="1"/>'
                   for j, c in enumerate(frame.columns, start=1))
    selected = 'tabSelected="1" ' if index == 0 else ""
    yield (f'{_HEAD}<worksheet {_NS} {_NS_R}><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
           f'<dimension ref="{ref}"/><sheetViews><sheetView {selected}'
           f'workbookViewId="0">{pane}</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
           + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>")
    heads = "".join(f'<c t="inlineStr" s="{_XF_HEADER}"><is><t>{_text(str(c))}</t></is></c>' for c in frame.columns)
    yield f'<row r="1">{heads}</row>'
    for start in range(0, n_rows if n_cols else 0, _CHUNK_ROWS):
        part = frame.iloc[start:start + _CHUNK_ROWS]
        numbers = pc.cast(pa.array(np.arange(start + 2, start + 2 + len(part), dtype=np.int64)), pa.string())
        pieces: list[str | pa.Array] = ['<row r="', numbers, '">']
        for c in frame.columns:
            pieces += _column_cells(part[c], sheet.formats.get(c))
        pieces.append("</row>")
        joined = []  # neighbouring texts as one
        for piece in pieces:
            if isinstance(piece, str) and joined and isinstance(joined[-1], str):
                joined[-1] += piece
            else:
                joined.append(piece)
        yield _concatenated(pc.binary_join_element_wise(*joined, ""))
    yield ("</sheetData>"
           + (f'<autoFilter ref="{ref}"/>' if n_cols else "")
           + '<printOptions horizontalCentered="1"/>'
           '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
           '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
           '<headerFooter><oddHeader>&amp;L&amp;A</oddHeader><oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter>'
           "</headerFooter></worksheet>")


def write_workbook(path, sheets: Sequence[Sheet]) -> Path:
    """
    Write sheets of values as an ``.xlsx`` workbook, formatted for reading and printing.

    Parameters
    ----------
    path : str or path-like
        The workbook; written atomically (a temporary file in the same folder, then
        ``os.replace``), so a reader never sees half a workbook.
    sheets : sequence of Sheet
        In order; the first is the one a reader sees on opening.

    Returns
    -------
    Path

    Raises
    ------
    ValueError
        If a sheet's title is empty, too long, repeated or holds ``[]:*?/\\``, or a format
        is not one of :data:`NUMBER_FORMATS`.

    Notes
    -----
    Each sheet: a bold, shaded header row that wraps; the header row and the first
    ``key_columns`` columns frozen; a filter on the header; printed landscape on A4, fitted
    to the page width (as many pages down as needed), the header row and key columns
    repeated on every page, the sheet's name in the header and "第 n 页，共 N 页" in the
    footer. Text goes in as inline strings, those starting with one of
    :data:`FORMULA_TRIGGERS` with Excel's quote prefix; numbers as written (whole numbers
    without a decimal point, others as Python's shortest round-trip repr), a format only
    changes how they show; NaN and infinities leave the cell empty. The file's bytes
    depend on the sheets only (no timestamps).
    """
    path = Path(path)
    seen = set()
    for s in sheets:
        if not s.title or len(s.title) > 31 or _SHEET_NAME_BAD.search(s.title) or s.title.lower() in seen:
            raise ValueError(f"{path.name}: sheet name {s.title!r} is empty, over 31 characters, repeated or "
                             "holds one of []:*?/\\")
        seen.add(s.title.lower())
        unknown = sorted(set(s.formats.values()) - set(NUMBER_FORMATS))
        if unknown:
            raise ValueError(f"{path.name}, sheet {s.title}: unknown number formats {unknown}; "
                             f"expected one of {list(NUMBER_FORMATS)}")
    names, sheet_entries, rels, overrides = [], [], [], []
    for i, s in enumerate(sheets):
        n_cols = len(s.frame.columns)
        keys = max(0, min(s.key_columns, n_cols - 1))
        last = f"${_column_letter(max(n_cols, 1))}${len(s.frame) + 1}"
        titles = (f"{_quoted(s.title)}!$A:${_column_letter(keys)}," if keys else "") + f"{_quoted(s.title)}!$1:$1"
        names.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                     f"{escape(_quoted(s.title))}!$A$1:{last}</definedName>")
        names.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{escape(titles)}</definedName>')
        sheet_entries.append(f'<sheet name="{escape(s.title, {chr(34): "&quot;"})}" sheetId="{i + 1}" r:id="rId{i + 1}"/>')
        rels.append(f'<Relationship Id="rId{i + 1}" Type="{_REL}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>')
        overrides.append(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
                         'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
    n = len(sheets)
    rels.append(f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>')
    workbook = (f'{_HEAD}<workbook {_NS} {_NS_R}><bookViews><workbookView activeTab="0"/></bookViews>'
                f'<sheets>{"".join(sheet_entries)}</sheets>'
                + (f'<definedNames>{"".join(names)}</definedNames>' if names else "") + "</workbook>")
    content_types = (
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f'{"".join(overrides)}</Types>')
    root_rels = (f'{_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    book_rels = (f'{_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 f'{"".join(rels)}</Relationships>')

    def entry(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        # deflated at level 1: an entry given as a ZipInfo is compressed at its own level, not the
        # ZipFile's compresslevel, and that is zlib's default 6 unless set (compress_level from Python 3.13)
        setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel", _ZIP_LEVEL)
        return info

    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w") as zf:
        zf.writestr(entry("[Content_Types].xml"), content_types)
        zf.writestr(entry("_rels/.rels"), root_rels)
        zf.writestr(entry("xl/workbook.xml"), workbook)
        zf.writestr(entry("xl/_rels/workbook.xml.rels"), book_rels)
        zf.writestr(entry("xl/styles.xml"), _styles_xml())
        for i, s in enumerate(sheets):
            with zf.open(entry(f"xl/worksheets/sheet{i + 1}.xml"), "w") as out:
                for piece in _sheet_parts(s, i):
                    out.write(piece.encode("utf-8") if isinstance(piece, str) else piece)
    return path


# -- the plan's workbooks --------------------------------------------------------------------


def _label(key: str) -> str:
    return WORKBOOK_LABELS.get(key, key)


def export_targets_excel(targets: pd.DataFrame, path, *, names: Mapping[str, str],
                         profit: Mapping[str, float] | None = None) -> Path:
    """
    Write the targets as a workbook a regional manager reads without the suite.

    Parameters
    ----------
    targets : DataFrame
        From :func:`allocate_plan` (``target_volume`` and ``target_revenue`` by region,
        month and breakdown).
    path : str or path-like
        The ``.xlsx`` file (:func:`planlib.run.folder.workbook_path`, ``targets``); written
        atomically.
    names : Mapping
        Display names by region id and terminal id; a missing id shows the id.
    profit : Mapping, optional
        The profit target by region id (the budget's ``profit_target``); without it the
        level sheets have no profit column (the targets step runs before the budget).

    Returns
    -------
    Path

    Notes
    -----
    One sheet per level (总部, 省区, 城市, 区县, 乡镇 as present), one row per region: its
    id and name, the year's volume (箱), revenue (元) and profit target (元), then
    the volume of each month. 全年销量 = Σ 1月…12月; the revenue is the sum of the region's
    monthly ``target_revenue``, so each column sums to the targets table's totals of that
    level. Sheet 终端: every named A/B terminal with its name, county and class, and each
    township's C/D line, with the year's volume and revenue and the volume by month.
    Formatted and set up for printing by :func:`write_workbook`.
    """
    b = breakdown_codes(targets)
    sheets = []
    tot = targets.loc[b == 0, ["region_id", "level", "month", "target_volume", "target_revenue"]]
    month_no = pd.DatetimeIndex(tot["month"]).month
    keys = tot["region_id"].astype(str).to_numpy()
    level_of = dict(zip(keys.tolist(), tot["level"].astype(str).tolist()))  # (lists: Arrow strings iterate slowly)
    vol = pd.DataFrame({"key": keys, "m": month_no, "v": tot["target_volume"].to_numpy()}).pivot_table(
        index="key", columns="m", values="v", aggfunc="sum", sort=False).reindex(columns=range(1, 13), fill_value=0)
    revenue = pd.Series(tot["target_revenue"].to_numpy(dtype=float), index=keys).groupby(level=0, sort=False).sum()
    in_order = vol.index.tolist()
    for level in sorted(set(level_of.values()), key=lambda lv: LEVEL_DEPTH.get(lv, 99)):
        ids = [r for r in in_order if level_of[r] == level]
        part = vol.loc[ids].fillna(0)
        data = {_label("region_id"): ids, _label("region_name"): [names.get(r, r) for r in ids],
                _label("year_volume"): part.sum(axis=1).to_numpy(dtype=np.int64),
                _label("year_revenue"): revenue.reindex(ids).to_numpy()}
        if profit is not None:
            data[_label("profit_target")] = [profit.get(r, np.nan) for r in ids]
        data.update({head: part[m].to_numpy(dtype=np.int64) for m, head in zip(range(1, 13), _MONTHS)})
        frame = pd.DataFrame(data)  # (at once: a column set at a time copies the frame's columns each time)
        formats = {c: WHOLE for c in frame.columns[2:]}
        sheets.append(Sheet(LEVEL_NAMES.get(level, level), frame, formats, key_columns=2))

    term = targets.loc[b == 1 + BREAKDOWNS.index("terminal"), ["region_id", "month", "terminal_id", "terminal_class",
                                                                  "target_volume", "target_revenue"]]
    if len(term):
        # a row's line: its terminal, or its township's C/D line ("CD:" + the township's id), coded in the
        # order they first appear (the sheet's rows); the texts made once per terminal and township
        t_code, t_ids = pd.factorize(term["terminal_id"])
        r_code, r_ids = pd.factorize(term["region_id"])
        t_text = [str(x) for x in np.asarray(t_ids, dtype=object).tolist()]
        r_text = np.array([str(x) for x in np.asarray(r_ids, dtype=object).tolist()], dtype=object)
        named = t_code >= 0
        pair_code, pairs = pd.factorize(np.where(named, t_code, len(t_text) + r_code))
        keys = [t_text[k] if k < len(t_text) else "CD:" + r_text[k - len(t_text)] for k in pairs.tolist()]
        key_of_pair, keys = pd.factorize(np.array(keys, dtype=object))  # (a terminal id may read as a C/D line's)
        line = key_of_pair[pair_code]
        n = len(keys)
        month_no = pd.DatetimeIndex(term["month"]).month.to_numpy()
        wide = np.bincount(line * 13 + month_no, weights=term["target_volume"].to_numpy(dtype=np.int64),
                           minlength=13 * n).reshape(n, 13)[:, 1:].astype(np.int64)  # whole cases: exact sums
        rev = pd.Series(term["target_revenue"].to_numpy(dtype=float)).groupby(line, sort=False).sum().to_numpy()
        first = np.unique(line, return_index=True)[1]  # each line's first row
        is_named = named[first]
        region = r_text[r_code[first]]
        region_name = np.array([names.get(r, r) for r in r_text.tolist()], dtype=object)[r_code[first]]  # once a township
        keys = np.asarray(keys, dtype=object)
        data = {
            _label("terminal_id"): np.where(is_named, keys, None),
            _label("terminal_name"): [names.get(k, k) if nm else f"{r} C/D类终端"
                                      for k, nm, r in zip(keys.tolist(), is_named.tolist(), region_name.tolist())],
            _label("region_id"): region,
            _label("region_name"): region_name.tolist(),
            _label("terminal_class"): ["C/D" if c == "CD" else c
                                       for c in term["terminal_class"].iloc[first].astype(object).tolist()],
            _label("year_volume"): wide.sum(axis=1),
            _label("year_revenue"): rev,
        }
        data.update({head: wide[:, m] for m, head in enumerate(_MONTHS)})
        frame = pd.DataFrame(data)
        formats = {c: WHOLE for c in frame.columns[5:]}
        sheets.append(Sheet(TERMINAL_SHEET, frame, formats, key_columns=2))
    return write_workbook(path, sheets)


#: Item codes' Chinese names (the catalogue's), for the terminals' fee columns.
_ITEM_NAMES: dict[str, str] = {code: label for entry in ITEM_CATALOGUE.values() for code, label in entry["items"].items()}

#: The budget regions' columns in the workbook, with their formats.
_REGION_COLUMNS: dict[str, str | None] = {
    "region_id": None, "region_name": None, "level": None, "target_volume": WHOLE, "target_revenue": WHOLE,
    "budget": WHOLE, "cap": WHOLE, "expense_ratio": PERCENT, "profit_target": WHOLE, "profit_at_target": WHOLE,
    "bep_units": WHOLE, "margin_of_safety": PERCENT, "flag": None,
}  # fmt: skip


def _ranks(table: pd.DataFrame, columns: Sequence[str]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """
    Each column's values as text, coded by rank: the codes (-1 for a missing value) and the sorted texts.

    A pivot on the codes with ``sort=True`` has the rows of a pivot on the texts, in the
    same order, with the same sums (each group's values added in the rows' order).
    """
    codes, texts = [], []
    for c in columns:
        code, uniques = pd.factorize(table[c].astype(str), sort=True)
        codes.append(code)
        texts.append(np.asarray(uniques, dtype=object))
    return codes, texts


def _pivot_sums(index: Sequence[np.ndarray], column: np.ndarray, n_columns: int,
                values: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """
    The sums of ``values`` by rows' codes and column's code: ``pivot_table(aggfunc="sum", fill_value=0.0, sort=True)`` on codes.

    Parameters
    ----------
    index : sequence of int arrays
        The rows' codes, each from 0 (none missing), one array per key.
    column : int array
        The column's code of each value, from 0 to ``n_columns - 1``.
    values : float array

    Returns
    -------
    index : list of int arrays
        The keys' codes of each row of the pivot, sorted (the keys present).
    wide : ndarray
        ``(rows, n_columns)``, C order as ``DataFrame.to_numpy`` of the pivot gives it; 0.0 where no value.
    present : int array
        The columns holding a sum (the pivot's own columns; the others are all 0.0).

    Notes
    -----
    The keys are coded as one integer, :math:`((k_1 s_2 + k_2) s_3 + \\dots) n + j` for key
    codes :math:`k` with sizes :math:`s` and column :math:`j`, and summed by pandas' groupby,
    whose sum pivot_table takes: each group's values added in the rows' order (compensated),
    so each cell is the pivot's to the bit. A group whose sum is NaN (inf and -inf) is
    dropped and its cell 0.0 as pivot_table drops it (``dropna``) and fills it; a row left
    with no sum at all is no row, as in the pivot.
    """
    sizes = [int(codes.max()) + 1 if len(codes) else 1 for codes in index]
    key = np.zeros(len(values), dtype=np.int64)
    for codes, size in zip(index, sizes):
        key = key * size + codes
    sums = pd.Series(values, dtype=float).groupby(key * n_columns + column, sort=True).sum()
    sums = sums[sums.notna()]
    cells = sums.index.to_numpy(dtype=np.int64)
    rows, row_of = np.unique(cells // n_columns, return_inverse=True)
    col = cells % n_columns
    wide = np.zeros((len(rows), n_columns))
    wide[row_of, col] = sums.to_numpy()
    out = []
    for size in reversed(sizes):
        out.append(rows % size)
        rows = rows // size
    return out[::-1], wide, np.unique(col)


def _names_of(ids: np.ndarray, codes: np.ndarray, names: Mapping[str, str]) -> np.ndarray:
    """``names.get(x, x)`` of ``ids[codes]``, each distinct id looked up once (a list, as the frames took them)."""
    return np.array([names.get(x, x) for x in ids.tolist()], dtype=object)[codes].tolist()


def budget_sheets(pb, *, names: Mapping[str, str], items: Mapping[str, str] | None = None) -> list[Sheet]:
    """
    The budget's sheets: category × month per region, the terminals' channel fees, CVP and the dual check.

    Parameters
    ----------
    pb : PlanBudget
        ``table`` (region_id, month, category, item, terminal_id, amount) and ``regions``.
    names : Mapping
        Display names by region id and terminal id.
    items : Mapping, optional
        Chinese names of item codes beyond the catalogue's (a plan's own items).

    Returns
    -------
    list of Sheet
        费用 区域×月份 (region, category, 1月…12月, 全年; 元), 终端渠道费用 (one row per
        terminal, one column per item by its Chinese name, 合计; only when terminals carry
        fees), 本量利与双重检查 (one row per region: targets, budget, cap, expense ratio,
        profit target and profit at target, break-even volume, margin of safety, verdict).

    Notes
    -----
    Amounts are summed by :func:`_pivot_sums` on the texts' ranks (pd.factorize sorted):
    the rows in the texts' order, each sum added in the table's row order. 全年 = Σ 1月…12月
    of the row, 合计 = Σ of its items (as ``ndarray.sum(axis=1)`` of the row's cells).
    """
    item_names = {**_ITEM_NAMES, **dict(items or {})}
    t = pb.table
    (r, c), (r_names, c_names) = _ranks(t, ["region_id", "category"])
    month = pd.DatetimeIndex(t["month"]).month.to_numpy(dtype=float, na_value=np.nan)
    keep = (r >= 0) & (c >= 0) & ~np.isnan(month)
    (rr, cc), wide, months = _pivot_sums([r[keep], c[keep]], month[keep].astype(np.int64) - 1, 12,
                                    t["amount"].to_numpy(dtype=float)[keep])
    data = {_label("region_id"): r_names[rr], _label("region_name"): _names_of(r_names, rr, names),
            _label("category"): _names_of(c_names, cc, CATEGORY_NAMES)}
    data.update({head: wide[:, m] for m, head in enumerate(_MONTHS)})
    # the year added month by month in the pivot's memory order: rows when every month is in the table, else
    # (the pivot widened to 12 months) columns; numpy adds the 12 in a different order each way
    data[_label("year_amount")] = (wide if len(months) == 12 else np.asfortranarray(wide)).sum(axis=1)
    frame = pd.DataFrame(data)
    sheets = [Sheet("费用 区域×月份", frame, {c: WHOLE for c in frame.columns[3:]}, key_columns=2)]

    has = t["terminal_id"].notna().to_numpy()
    if has.any():
        term = t.loc[has, ["region_id", "terminal_id", "item", "amount"]]
        (r, k, i), (r_names, k_names, i_names) = _ranks(term, ["region_id", "terminal_id", "item"])
        keep = (r >= 0) & (k >= 0) & (i >= 0)
        (rr, kk), tw, present = _pivot_sums([r[keep], k[keep]], i[keep], len(i_names),
                                            term["amount"].to_numpy(dtype=float)[keep])
        tw = np.ascontiguousarray(tw[:, present])  # C order as the pivot's: numpy adds 8 items and more pairwise along rows
        data = {_label("region_id"): r_names[rr], _label("region_name"): _names_of(r_names, rr, names),
                _label("terminal_id"): k_names[kk], _label("terminal_name"): _names_of(k_names, kk, names)}
        for j, code in enumerate(i_names[present].tolist()):
            data[item_names.get(code, code)] = tw[:, j]
        data[_label("total_amount")] = tw.sum(axis=1)
        frame = pd.DataFrame(data)
        sheets.append(Sheet("终端渠道费用", frame, {c: WHOLE for c in frame.columns[4:]}, key_columns=4))

    r = pb.regions
    rid = r["region_id"].astype(str)
    data = {"region_id": rid.to_numpy(dtype=object), "region_name": [names.get(x, x) for x in rid.tolist()],
            "level": [LEVEL_NAMES.get(str(v), v) for v in r["level"].tolist()],
            "flag": [DUAL_CHECK_NAMES.get(v, v) if isinstance(v, str) else v for v in r["flag"].tolist()]}
    frame = pd.DataFrame({_label(c): (data[c] if c in data else r[c].to_numpy(dtype=float))
                          for c in _REGION_COLUMNS})
    sheets.append(Sheet("本量利与双重检查", frame, {_label(c): f for c, f in _REGION_COLUMNS.items() if f},
                        key_columns=2))
    return sheets


def export_budget_excel(pb, path, *, names: Mapping[str, str], items: Mapping[str, str] | None = None) -> Path:
    """
    The budget for people who live in Excel, as its own workbook (:func:`budget_sheets`).

    ``path`` is the plan's budget workbook (:func:`planlib.run.folder.workbook_path`,
    ``budget``); written atomically and formatted by :func:`write_workbook`.
    """
    return write_workbook(path, budget_sheets(pb, names=names, items=items))


def export_sheets_excel(sheets: Mapping[str, pd.DataFrame], path, *, formats: Mapping[str, str],
                        key_columns: Mapping[str, int] | None = None) -> Path:
    """
    Frames whose columns are already in words, one sheet each, as a formatted workbook.

    Parameters
    ----------
    sheets : mapping of str to DataFrame
        Sheet title -> frame, in order.
    path : str or path-like
    formats : mapping
        Number format by column header (one of :data:`NUMBER_FORMATS`), for every sheet
        holding that column.
    key_columns : mapping, optional
        Frozen, repeated key columns by sheet title (default 1).
    """
    key_columns = key_columns or {}
    out = [Sheet(title, frame, {c: formats[c] for c in frame.columns if c in formats},
                 key_columns=key_columns.get(title, 1)) for title, frame in sheets.items()]
    return write_workbook(path, out)
