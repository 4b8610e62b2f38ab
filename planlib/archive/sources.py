"""
Input files read as grids of text, before any header or value is interpreted.

Public functions: :func:`read_text_grid` (CSV, XLSX, Parquet -> a grid of strings,
the header row included) and :func:`xlsx_formula_cells` (where a workbook holds
formulas, to spot those without a saved value).

Every cell is read as text, so codes like ``0755`` and ``NA`` survive; the parsing
rules live in :mod:`planlib.archive.parsing`.
"""

from __future__ import annotations

import io
from pathlib import Path

import charset_normalizer
import openpyxl
import pandas as pd
import pyarrow as arrow
import pyarrow.compute as pc
import pyarrow.parquet as pq

from planlib.errors import DataError

__all__: list[str] = []

def _decode(data: bytes, source: Path) -> str:
    """Decode CSV bytes: strict UTF-8 (BOM optional), UTF-16 with BOM, GB18030, never latin-1."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
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


def _read_xlsx(source: Path) -> pd.DataFrame:
    try:
        return pd.read_excel(
            source, sheet_name=0, header=None, dtype=str, keep_default_na=False, na_filter=False, engine="openpyxl"
        )
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise DataError(f"{source}: cannot be read as an Excel workbook ({exc}); expected an .xlsx file") from exc


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


def xlsx_formula_cells(source: Path) -> list[tuple[int, int]]:
    """(row, column) positions, 0-based, of formula cells on the first sheet."""
    try:
        book = openpyxl.load_workbook(source, read_only=True, data_only=False)
    except Exception:  # the value read has succeeded; no formula information then
        return []
    try:
        sheet = book.worksheets[0]
        return [
            (r, c)
            for r, row in enumerate(sheet.iter_rows(values_only=True))
            for c, value in enumerate(row)
            if isinstance(value, str) and value.startswith("=")
        ]
    finally:
        book.close()


def read_text_grid(source: Path) -> pd.DataFrame:
    """Read a file as a grid of strings, the header row included (row 0 = file row 1)."""
    if not source.is_file():
        raise DataError(f"{source}: no such file")
    suffix = source.suffix.lower()
    if suffix in (".csv", ".txt"):
        grid = _read_csv(source)
    elif suffix in (".xlsx", ".xlsm"):
        grid = _read_xlsx(source)
    elif suffix in (".parquet", ".pq"):
        grid = _read_parquet(source)
    else:
        raise DataError(f"{source}: unsupported file type {suffix or '(none)'}; expected CSV, XLSX or Parquet")
    grid = grid.fillna("").astype(str)
    grid.columns = range(grid.shape[1])
    return grid

