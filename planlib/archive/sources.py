"""
Input files read as grids of text, before any header or value is interpreted.

Public: :func:`read_text_grid` (CSV, XLSX, Parquet -> a :class:`TextGrid` of strings,
the header row included, indexed by the file's row numbers; a workbook's sheet by name;
a CSV line with more fields than its header kept and noted, never refusing the file), :func:`xlsx_sheet_heads` (each
sheet's name and first row, to find the data sheet), :func:`xlsx_formula_cells` (where
a sheet holds formulas, to spot those without a saved value) and
:func:`xlsx_hidden_rows` (rows a filter or a hand hid, which are read like the others
and listed in the report). :data:`XLSX_SUFFIXES` names the workbook files.

Every cell is read as text, so codes like ``0755`` and ``NA`` survive; the parsing
rules live in :mod:`planlib.archive.parsing`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
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


def _csv_records(text: str, sep: str, source: Path) -> tuple[list[list[str]], list[int]]:
    """
    The CSV's records and the line each starts on (1-based), read by the ``csv`` module.

    A quoted field may run over several lines; the next record then starts further down.

    Raises
    ------
    DataError
        A quote opening a field that no quote closes (the line it opens on named).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    records, starts = [], []
    line = 1
    try:
        for record in reader:
            records.append(record)
            starts.append(line)
            line = reader.line_num + 1
    except csv.Error as exc:
        if "end of data" in str(exc) or "EOF" in str(exc):
            raise DataError(
                f"{source}: line {line}: a quote (\") opens a field that no quote closes before the end of the file; "
                "nothing was imported. Close the quote (or remove it) and import again"
            ) from exc
        raise DataError(f"{source}: line {line}: cannot be read as CSV ({exc}); expected one header row, then one "
                        "row per fact, a field holding the separator, a quote or a line break in quotes") from exc
    return records, starts


def _read_csv(source: Path) -> tuple[pd.DataFrame, dict[int, int], int]:
    """
    The CSV as a grid indexed by the line each row starts on, the lines with more fields than
    the header (line -> fields) and the header's fields.

    Pandas' C reader takes a well-formed file; a file it refuses (a line with more fields
    than the header) or whose quoted fields hold line breaks (rows then start further down
    than their count) is read record by record instead.
    """
    text = _decode(source.read_bytes(), source)
    first = text.split("\n", 1)[0]
    sep = "\t" if first.count("\t") > first.count(",") else ","
    try:
        grid = pd.read_csv(
            io.StringIO(text), sep=sep, header=None, dtype=str, keep_default_na=False,
            na_filter=False, skip_blank_lines=False, engine="c",
        )
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{source}: the file is empty; expected a header row and data rows") from exc
    except (pd.errors.ParserError, ValueError):
        grid = None
    if grid is not None:
        broken = '"' in text and any(
            bool((grid[c].str.contains("\n", regex=False) | grid[c].str.contains("\r", regex=False)).any())
            for c in grid.columns if grid[c].dtype == object or pd.api.types.is_string_dtype(grid[c].dtype)
        )
        if not broken:
            grid.index = pd.RangeIndex(1, 1 + len(grid))
            return grid, {}, grid.shape[1]
    records, starts = _csv_records(text, sep, source)
    if not records:
        raise DataError(f"{source}: the file is empty; expected a header row and data rows")
    width = len(records[0])
    surplus = {line: len(r) for line, r in zip(starts, records) if len(r) > width}
    columns = max(len(r) for r in records)
    grid = pd.DataFrame([r + [""] * (columns - len(r)) for r in records], index=pd.Index(starts), dtype=str)
    return grid, surplus, width


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


@dataclass(frozen=True)
class TextGrid:
    """
    A file read as text, before any header or value is interpreted.

    Attributes
    ----------
    cells : DataFrame
        Strings ("" for an empty cell), the header row first; columns numbered from 0;
        the index is each row's number in the file (1 for the header): the spreadsheet row
        of a workbook, the line a CSV row starts on (a quoted field may span lines).
    long_rows : dict of int -> int
        CSV rows holding more fields than the header (an unquoted separator in a name): row
        number -> fields written. Their fields are in ``cells``, the surplus in extra columns.
    header_fields : int
        Fields the header row holds (fewer than ``cells``' columns when a row is longer).
    """

    cells: pd.DataFrame
    long_rows: dict[int, int] = field(default_factory=dict)
    header_fields: int = 0


def read_text_grid(source: Path, sheet: str | None = None) -> TextGrid:
    """
    Read a file as a grid of strings, the header row included (:class:`TextGrid`).

    ``sheet`` names the sheet of a workbook to read (the first when None); other files have none.
    """
    if not source.is_file():
        raise DataError(f"{source}: no such file")
    suffix = source.suffix.lower()
    long_rows: dict[int, int] = {}
    if suffix in (".csv", ".txt"):
        grid, long_rows, header_fields = _read_csv(source)
    elif suffix in XLSX_SUFFIXES:
        grid = _read_xlsx(source, sheet)
        grid.index, header_fields = pd.RangeIndex(1, 1 + len(grid)), grid.shape[1]
    elif suffix in (".parquet", ".pq"):
        grid = _read_parquet(source)
        grid.index, header_fields = pd.RangeIndex(1, 1 + len(grid)), grid.shape[1]
    else:
        raise DataError(f"{source}: unsupported file type {suffix or '(none)'}; expected CSV, XLSX or Parquet")
    grid = grid.fillna("").astype(str)
    grid.columns = range(grid.shape[1])
    return TextGrid(grid, long_rows, header_fields)
