"""
Input files read as grids of text, before any header or value is interpreted.

Public functions: :func:`read_text_grid` (CSV, XLSX, Parquet -> a grid of strings,
the header row included; a workbook's sheet by name), :func:`xlsx_sheet_heads` (each
sheet's name and first row, to find the data sheet), :func:`xlsx_formula_cells` (where
a sheet holds formulas, to spot those without a saved value) and
:func:`xlsx_hidden_rows` (rows a filter or a hand hid, which are read like the others
and listed in the report). :data:`XLSX_SUFFIXES` names the workbook files.

Every cell is read as text, so codes like ``0755`` and ``NA`` survive; the parsing
rules live in :mod:`planlib.archive.parsing`.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import charset_normalizer
import openpyxl
import pandas as pd
import pyarrow as arrow
import pyarrow.compute as pc
import pyarrow.parquet as pq

from planlib.errors import DataError

__all__: list[str] = []

#: File name endings read as Excel workbooks.
XLSX_SUFFIXES = (".xlsx", ".xlsm")

_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _refuse_mixed_encodings(data: bytes, source: Path) -> None:
    """
    Refuse bytes that are not UTF-8 as a whole but hold UTF-8 lines: a file of two encodings.

    A line counts as UTF-8 when it decodes as UTF-8, is not plain ASCII, and does not also
    read as GB2312 (a short GBK line can be valid UTF-8 by chance; its characters are then
    GB2312's). A UTF-8 byte-order mark counts as a UTF-8 line.
    """
    utf8_line = 1 if data.startswith(b"\xef\xbb\xbf") else None
    other_line = None
    for n, line in enumerate(data.split(b"\n"), 1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8-sig" if n == 1 else "utf-8")
        except UnicodeDecodeError:
            other_line = other_line or n
        else:
            if utf8_line is None:
                try:
                    line.decode("gb2312")
                except UnicodeDecodeError:
                    utf8_line = n
        if other_line is not None and utf8_line is not None:
            break
    if other_line is not None and utf8_line is not None:
        raise DataError(
            f"{source}: line {other_line} is not UTF-8 but line {utf8_line} is: the file mixes text encodings "
            "(UTF-8 and probably GBK) and reading it as either would garble part of it; nothing was imported. "
            "Save the whole file in one encoding (Excel: 'CSV UTF-8') and import again"
        )


def _decode(data: bytes, source: Path) -> str:
    """
    Decode CSV bytes: strict UTF-8 (BOM optional), UTF-16 with BOM, GB18030, never latin-1.

    The whole file is one encoding: a file with UTF-8 lines and lines in another encoding
    is refused, naming the first of each.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    _refuse_mixed_encodings(data, source)
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    guess = best.encoding if best is not None else "unknown"
    if guess in {"big5", "big5hkscs", "utf_16", "utf_32"}:
        try:
            return data.decode(guess)
        except (UnicodeDecodeError, LookupError):
            pass
    raise DataError(
        f"{source}: cannot read the text encoding (looks like {guess}); expected UTF-8, UTF-8 with BOM "
        "or GB18030/GBK: save it from Excel as 'CSV UTF-8'"
    )


def _read_csv(source: Path) -> pd.DataFrame:
    text = _decode(source.read_bytes(), source)
    first = text.split("\n", 1)[0]
    sep = "\t" if first.count("\t") > first.count(",") else ","
    try:
        return pd.read_csv(
            io.StringIO(text), sep=sep, header=None, dtype=str, keep_default_na=False,
            na_filter=False, skip_blank_lines=False, engine="c",
        )
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{source}: the file is empty; expected a header row and data rows") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{source}: cannot be read as CSV ({exc}); expected one header row, then one row per fact") from exc


def _read_xlsx(source: Path, sheet: str | None) -> pd.DataFrame:
    try:
        return pd.read_excel(
            source, sheet_name=0 if sheet is None else sheet, header=None, dtype=str, keep_default_na=False,
            na_filter=False, engine="openpyxl",
        )
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise DataError(f"{source}: cannot be read as an Excel workbook ({exc}); expected an .xlsx file") from exc


def xlsx_sheet_heads(source: Path) -> list[tuple[str, tuple[str, ...]]]:
    """
    Each worksheet of a workbook, in the workbook's order: its name and its first row's cells as text.

    A cell without a value is ``""``; a sheet without rows has an empty first row. Chart
    sheets hold no cells and are not listed.

    Raises
    ------
    DataError
        If the file cannot be read as a workbook.
    """
    try:
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise DataError(f"{source}: cannot be read as an Excel workbook ({exc}); expected an .xlsx file") from exc
    try:
        heads = []
        for ws in book.worksheets:
            first = next(ws.iter_rows(max_row=1, values_only=True), ())
            heads.append((ws.title, tuple("" if v is None else str(v) for v in first)))
        return heads
    finally:
        book.close()


def _read_parquet(source: Path) -> pd.DataFrame:
    try:
        tbl = pq.read_table(source)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise DataError(f"{source}: cannot be read as Parquet ({exc})") from exc
    cols = {}
    for name, col in zip(tbl.column_names, tbl.columns):
        if arrow.types.is_date(col.type):
            text = pc.strftime(col, format="%Y-%m-%d")
        else:
            text = pc.cast(col, arrow.string())
        cols[str(name)] = pc.fill_null(text, "").to_numpy(zero_copy_only=False)
    header = pd.DataFrame([list(cols)], columns=range(len(cols)))
    body = pd.DataFrame({i: v for i, v in enumerate(cols.values())}, dtype=str)
    return pd.concat([header, body], ignore_index=True)


def xlsx_formula_cells(source: Path, sheet: str | None = None) -> list[tuple[int, int]]:
    """(row, column) positions, 0-based, of formula cells on a sheet (by name; the first when None)."""
    try:
        book = openpyxl.load_workbook(source, read_only=True, data_only=False)
    except Exception:  # the value read has succeeded; no formula information then
        return []
    try:
        ws = book.worksheets[0] if sheet is None else book[sheet]
        return [
            (r, c)
            for r, row in enumerate(ws.iter_rows(values_only=True))
            for c, value in enumerate(row)
            if isinstance(value, str) and value.startswith("=")
        ]
    except KeyError:
        return []
    finally:
        book.close()


def xlsx_hidden_rows(source: Path, sheet: str | None = None) -> tuple[int, ...]:
    """
    Rows hidden on a workbook's sheet (by name; the first when None) by a filter, an outline or by hand, 1-based.

    Read from the sheet's XML, which the value reader does not expose; a workbook laid out
    otherwise gives no rows.
    """
    try:
        with zipfile.ZipFile(source) as book:
            sheets = ElementTree.fromstring(book.read("xl/workbook.xml")).findall(f"{_MAIN_NS}sheets/{_MAIN_NS}sheet")
            rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
            chosen = next((el for el in sheets if sheet is None or el.get("name") == sheet), None)
            if chosen is None:
                return ()
            rid = chosen.get(f"{_REL_NS}id")
            target = next((r.get("Target") for r in rels.iter(f"{_PACKAGE_REL_NS}Relationship")
                           if r.get("Id") == rid), None)
            if not target:
                return ()
            name = target.lstrip("/") if target.startswith("/") else "xl/" + target
            hidden = []
            with book.open(name) as part:
                n = 0
                for _, el in ElementTree.iterparse(part):
                    if el.tag == f"{_MAIN_NS}row":
                        n = int(el.get("r", n + 1))
                        if el.get("hidden") in ("1", "true"):
                            hidden.append(n)
                        el.clear()
            return tuple(hidden)
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, ValueError):
        return ()


def read_text_grid(source: Path, sheet: str | None = None) -> pd.DataFrame:
    """
    Read a file as a grid of strings, the header row included (row 0 = file row 1).

    ``sheet`` names the sheet of a workbook to read (the first when None); other files have none.
    """
    if not source.is_file():
        raise DataError(f"{source}: no such file")
    suffix = source.suffix.lower()
    if suffix in (".csv", ".txt"):
        grid = _read_csv(source)
    elif suffix in XLSX_SUFFIXES:
        grid = _read_xlsx(source, sheet)
    elif suffix in (".parquet", ".pq"):
        grid = _read_parquet(source)
    else:
        raise DataError(f"{source}: unsupported file type {suffix or '(none)'}; expected CSV, XLSX or Parquet")
    grid = grid.fillna("").astype(str)
    grid.columns = range(grid.shape[1])
    return grid

