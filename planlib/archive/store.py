"""
The information archive: one DuckDB file holding the nine tables of DESIGN.md §3.

Everything that touches the archive file goes through this module: creating it
(:func:`init_archive`), opening it (:func:`connect`), reading tables
(:func:`load_table`, :func:`load_tree`), fingerprinting it for run manifests
(:func:`fingerprint`) and bringing real data in (:func:`import_files`).

Import pipeline, per file (all vectorised, no Python loop per row)::

    read as text ─ map headers ─ normalise (dates, numbers, names) ─ field checks
    (pandera) ─ duplicates in the file ─ keys already in the archive ─ references
    (DuckDB) ─ insert

Every data row ends up imported, unchanged (already in the archive, or an exact
repeat within the file) or rejected with a reason; the whole import of all files is
one transaction, and the rejects files are put in place only after it commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer
import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pandera.pandas as pa
import pyarrow as arrow
import pyarrow.compute as pc
import pyarrow.parquet as pq

from planlib.errors import DataError
from planlib.hierarchy import RegionTree
from planlib.labels import CATEGORY_NAMES, CHANNEL_NAMES
from planlib.schemas import (
    CATEGORIES,
    EVENT_KINDS,
    GRAINS,
    HEADER_ALIASES,
    LEVEL_DEPTH,
    LEVELS,
    OWN_BRAND,
    TABLE_ORDER,
    TABLES,
    TERMINAL_CLASSES,
    is_valid_region_id,
    table_ddl,
)

__all__ = [
    "FORMAT_VERSION",
    "META_TABLE",
    "FileImport",
    "ImportReport",
    "init_archive",
    "connect",
    "load_table",
    "load_tree",
    "fingerprint",
    "import_files",
    "OpenArchive",
    "refresh_summaries",
    "sku_months_fresh",
    "SKU_MONTHS_TABLE",
]

#: Version of the archive layout, stored in :data:`META_TABLE`.
FORMAT_VERSION = "1"
#: Key/value table that marks a DuckDB file as a planlib archive.
META_TABLE = "planlib_meta"

#: Tables whose dates are months (the first day of the month); sales follow their grain,
#: the other tables hold calendar days.
MONTHLY_TABLES = frozenset({"market", "expenses"})
#: Earliest date an import accepts; the latest is today + :data:`MAX_YEARS_AHEAD` years.
EARLIEST_DATE = dt.date(2000, 1, 1)
MAX_YEARS_AHEAD = 2
#: Values used when a file lacks a non-required column entirely.
COLUMN_DEFAULTS: dict[str, dict[str, str]] = {"sales": {"grain": "month", "brand": OWN_BRAND}}
#: File types import_files reads.
SUPPORTED_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")

_BLANKS = " \t\r\n\v\f\u3000\u00a0\ufeff\u200b"
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－＋", "0123456789.,-+")
#: A number: plain, or with groups of three (1,234.5); an exponent or a unit 万/亿, not both.
_NUMBER_RE = (
    r"[+-]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:[eE][+-]?[0-9]+|万|亿)?"
)
_PLAIN_NUMBER_RE = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_DATE_RE = (
    r"^(?:([0-9]{4})[-/.]([0-9]{1,2})(?:[-/.]([0-9]{1,2}))?(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]*)?)?)?"
    r"|([0-9]{4})年([0-9]{1,2})月(?:([0-9]{1,2})[日号])?"
    r"|([0-9]{4})([0-9]{2})([0-9]{2})?)$"
)

#: Spellings accepted for enumerated values (compared lower-cased) -> archive code.
_ENUM_SPELLINGS: dict[str, dict[str, str]] = {
    "grain": {**{g: g for g in GRAINS}, "日": "day", "天": "day", "周": "week", "月": "month"},
    "level": {
        **{lv: lv for lv in LEVELS},
        "总部": "hq", "全国": "hq", "省": "province", "省区": "province", "市": "city",
        "地级市": "city", "县": "county", "区县": "county", "乡镇": "township", "镇": "township",
    },
    "category": {**{c: c for c in CATEGORIES}, **{zh: c for c, zh in CATEGORY_NAMES.items()}},
    "terminal_class": {c.lower(): c for c in TERMINAL_CLASSES},
}
_EVENT_KIND_SPELLINGS = {
    **{k: k for k in EVENT_KINDS}, "政策": "policy", "经济": "economy", "灾害": "disaster",
    "节假日": "holiday", "节日": "holiday", "假日": "holiday",
}
#: Spellings rewritten when recognised, other values kept as written (open value sets).
_OPEN_SPELLINGS: dict[str, dict[str, str]] = {
    "brand": {"本品": OWN_BRAND, "自有": OWN_BRAND, "自有品牌": OWN_BRAND, OWN_BRAND: OWN_BRAND},
    "channel": {**{c: c for c in CHANNEL_NAMES}, **{zh: c for c, zh in CHANNEL_NAMES.items()}},
}


# ---------------------------------------------------------------------------------------
# archive file
# ---------------------------------------------------------------------------------------
def _not_an_archive(path: Path, why: str) -> DataError:
    return DataError(
        f"{path}: {why}. Create an archive with `planlib archive init {path}` "
        f"or build the demo with `planlib demo {path}`."
    )


def _is_planlib(con: duckdb.DuckDBPyConnection) -> bool:
    # fetchall, not fetchone: a half-read result would block the caller's next query
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [META_TABLE]
    ).fetchall()
    if not found or found[0][0] == 0:
        return False
    rows = con.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'format_version'").fetchall()
    return len(rows) > 0


def init_archive(path: str | os.PathLike[str]) -> Path:
    """
    Create an archive file with the nine tables and the ``planlib_meta`` table.

    Parameters
    ----------
    path : str or path-like
        The DuckDB file to create; missing parent folders are created.

    Returns
    -------
    Path
        The archive's path.

    Raises
    ------
    DataError
        If ``path`` exists and is not a planlib archive (another DuckDB file, or not a
        DuckDB file at all), or is a folder.

    Notes
    -----
    Idempotent: on an existing planlib archive it only adds tables that are missing
    and leaves the data alone.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder; give the path of a .duckdb file to create")
    if path.exists():
        try:
            with duckdb.connect(str(path), read_only=True) as con:
                ok = _is_planlib(con)
        except duckdb.Error as exc:
            raise DataError(f"{path}: exists and is not a DuckDB archive ({exc}); choose another path") from exc
        if not ok:
            raise DataError(f"{path}: exists and is not a planlib archive (no {META_TABLE} table); choose another path")
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("BEGIN TRANSACTION")
        for name in TABLE_ORDER:
            con.execute(table_ddl(name))
        con.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
        con.execute(
            f"INSERT INTO {META_TABLE} VALUES ('format_version', ?) ON CONFLICT (key) DO NOTHING", [FORMAT_VERSION]
        )
        con.execute("COMMIT")
    return path


def connect(path: str | os.PathLike[str], *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """
    Open an existing planlib archive.

    Parameters
    ----------
    path : str or path-like
        The archive file.
    read_only : bool, default True
        Open read-only (several processes may read at once).

    Returns
    -------
    duckdb.DuckDBPyConnection
        An open connection; the caller closes it (it is a context manager).

    Raises
    ------
    DataError
        If the file is missing or is not a planlib archive; the message names the path
        and says how to create one.
    """
    path = Path(path)
    if not path.is_file():
        raise _not_an_archive(path, "no archive here")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise _not_an_archive(path, f"cannot be opened as a DuckDB archive ({exc})") from exc
    try:
        ok = _is_planlib(con)
    except duckdb.Error:
        ok = False
    if not ok:
        con.close()
        raise _not_an_archive(path, f"is not a planlib archive (no {META_TABLE} table)")
    return con


class OpenArchive:
    """Context manager: use a given connection, or open (and close) the archive at a path."""

    def __init__(self, archive: str | os.PathLike[str] | duckdb.DuckDBPyConnection, read_only: bool = True):
        self._given = archive if isinstance(archive, duckdb.DuckDBPyConnection) else None
        self._path = None if self._given is not None else archive
        self._read_only = read_only
        self._con: duckdb.DuckDBPyConnection | None = None

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        if self._given is not None:
            return self._given
        self._con = connect(self._path, read_only=self._read_only)  # type: ignore[arg-type]
        return self._con

    def __exit__(self, *exc: object) -> None:
        if self._con is not None:
            self._con.close()


def _check_table(table: str) -> None:
    if table not in TABLES:
        raise DataError(f"unknown table {table!r}: expected one of {', '.join(TABLE_ORDER)}")


def load_table(
    archive: str | os.PathLike[str] | duckdb.DuckDBPyConnection,
    table: str,
    *,
    region_ids: Iterable[str] | None = None,
    columns: Sequence[str] | None = None,
    years: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """
    Read one archive table into a frame.

    Parameters
    ----------
    archive : str, path-like or DuckDBPyConnection
        The archive file, or an open connection to it (left open).
    table : str
        One of ``schemas.TABLE_ORDER``.
    region_ids : iterable of str, optional
        Keep only rows whose ``region_id`` is one of these (a DuckDB semi-join, fast on
        large tables). Ignored for tables without ``region_id`` (products). For a
        region's whole subtree pass ``tree.subtree(region)``.
    columns : sequence of str, optional
        Columns to return, in this order; default all, in table order.
    years : (int, int), optional
        Keep only rows whose ``date`` falls in these calendar years (inclusive).
        Ignored for tables without ``date``.

    Returns
    -------
    DataFrame
        DATE columns as ``datetime64``, text (code) columns as ``str``,
        DOUBLE as ``float64``, INTEGER as ``int64``; rows ordered by the table's key.

    Raises
    ------
    DataError
        Unknown table or column, or the archive is missing / not a planlib archive.
    """
    _check_table(table)
    spec = TABLES[table]
    cols = list(spec.columns) if columns is None else list(columns)
    unknown = [c for c in cols if c not in spec.columns]
    if unknown:
        raise DataError(f"table {table} has no column(s) {unknown}: expected some of {list(spec.columns)}")
    sql = f"SELECT {', '.join(cols)} FROM {table}"
    params: list[object] = []
    if region_ids is not None and "region_id" in spec.columns:
        ids = [str(r) for r in ([region_ids] if isinstance(region_ids, str) else region_ids)]
        if ids:  # the id range lets DuckDB skip the row groups outside it (a subtree's ids are close)
            sql += " WHERE region_id BETWEEN ? AND ? AND region_id IN (SELECT unnest(?::VARCHAR[]))"
            params += [min(ids), max(ids), ids]
        else:
            sql += " WHERE region_id IN (SELECT unnest(?::VARCHAR[]))"
            params.append(ids)
    if years is not None and "date" in spec.columns:
        sql += (" AND" if params else " WHERE") + " date >= ? AND date < ?"
        params += [dt.date(int(years[0]), 1, 1), dt.date(int(years[1]) + 1, 1, 1)]
    sql += " ORDER BY " + ", ".join(f"{k} NULLS FIRST" for k in spec.key)
    with OpenArchive(archive) as con:
        # Arrow, not .df(): an order of magnitude faster for text columns
        cur = con.cursor()  # its own result state: earlier fetchone() calls leave none pending here
        try:
            table_data = cur.sql(sql, params=params or None).to_arrow_table()
        finally:
            cur.close()
    frame = table_data.to_pandas(date_as_object=False)
    return _typed(frame, table)


def _typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Give a frame read from the archive the documented dtypes."""
    types = TABLES[table].columns
    out = {}
    for col in frame.columns:
        typ = types[col]
        s = frame[col]
        if typ == "VARCHAR":
            s = s if s.dtype == _TEXT else s.astype("str")
        elif typ == "DATE":
            s = s if s.dtype.kind == "M" else pd.to_datetime(s)
        elif typ == "INTEGER":
            s = s if s.dtype == np.int64 else s.astype("int64") if not s.isna().any() else s.astype("Int64")
        elif typ == "DOUBLE":
            s = s if s.dtype == np.float64 else s.astype("float64")
        out[col] = s
    if all(out[c].dtype == frame[c].dtype for c in frame.columns):
        return frame  # Arrow gave the documented types already: no copy
    return pd.DataFrame(out, index=frame.index, columns=list(frame.columns))


#: The dtype of text columns (``astype("str")``).
_TEXT = pd.Series([], dtype="str").dtype


def load_tree(archive: str | os.PathLike[str] | duckdb.DuckDBPyConnection) -> RegionTree:
    """
    Build the validated region tree from the archive's ``regions`` table.

    Raises
    ------
    DataError
        The archive is missing or not a planlib archive.
    HierarchyError
        The regions table is empty or not a single tree.
    """
    return RegionTree(load_table(archive, "regions"))


def fingerprint(archive: str | os.PathLike[str] | duckdb.DuckDBPyConnection) -> str:
    """
    A short, stable hash of the archive's contents for run manifests.

    Returns
    -------
    str
        16 hex digits.

    Notes
    -----
    Hashes, per table in ``TABLE_ORDER``, the row count and the min/max of each DATE
    column (SHA-256 of their canonical JSON). It changes when rows are added or
    removed or the date span moves; an in-place edit of a value with the same counts
    and dates is not detected (cheap on a 10M-row archive, by design).
    """
    summary: dict[str, list[object]] = {"format_version": [FORMAT_VERSION]}
    with OpenArchive(archive) as con:
        for name in TABLE_ORDER:
            spec = TABLES[name]
            parts = ["count(*)"]
            for col, typ in spec.columns.items():
                if typ == "DATE":
                    parts += [f"CAST(min({col}) AS VARCHAR)", f"CAST(max({col}) AS VARCHAR)"]
            row = con.execute(f"SELECT {', '.join(parts)} FROM {name}").fetchone()
            summary[name] = list(row) if row else []
    blob = json.dumps(summary, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


# ---------------------------------------------------------------------------------------
# import report
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileImport:
    """
    What happened to one input file.

    Attributes
    ----------
    source : Path
        The input file.
    read : int
        Data rows read (blank rows are not counted).
    imported, unchanged, rejected : int
        ``read == imported + unchanged + rejected``. Unchanged rows were already in the
        archive with identical values, or repeat an identical row earlier in the file.
    rejects_path : Path or None
        The rejects file, None if nothing was rejected.
    ignored_columns : tuple of str
        Headers that map to no column of the table (as written in the file).
    normalised : tuple of (str, int)
        Per column, how many values were rewritten (dates to the first day of their
        period, numbers with separators / full-width digits / 万, names to codes).
    blank_rows : int
        Completely empty rows skipped.
    """

    source: Path
    read: int
    imported: int
    unchanged: int
    rejected: int
    rejects_path: Path | None = None
    ignored_columns: tuple[str, ...] = ()
    normalised: tuple[tuple[str, int], ...] = ()
    blank_rows: int = 0


@dataclass(frozen=True)
class ImportReport:
    """
    The outcome of :func:`import_files`: per-file counts and their totals.

    Attributes
    ----------
    table : str
        The archive table imported into.
    archive : Path or None
        The archive file.
    files : tuple of FileImport
        One entry per input file, in the order given.
    """

    table: str
    archive: Path | None
    files: tuple[FileImport, ...] = field(default_factory=tuple)

    @property
    def read(self) -> int:
        """Data rows read over all files."""
        return sum(f.read for f in self.files)

    @property
    def imported(self) -> int:
        """Rows added to the archive."""
        return sum(f.imported for f in self.files)

    @property
    def unchanged(self) -> int:
        """Rows identical to rows already in the archive (or earlier in the file)."""
        return sum(f.unchanged for f in self.files)

    @property
    def rejected(self) -> int:
        """Rows written to rejects files."""
        return sum(f.rejected for f in self.files)

    @property
    def rejects_paths(self) -> tuple[Path, ...]:
        """All rejects files written, one per input file with rejects."""
        return tuple(f.rejects_path for f in self.files if f.rejects_path is not None)

    @property
    def rejects_path(self) -> Path | None:
        """The (first) rejects file, None if nothing was rejected."""
        paths = self.rejects_paths
        return paths[0] if paths else None

    @property
    def exit_code(self) -> int:
        """0 all rows accepted (imported or unchanged), 3 some rejected, 2 nothing usable."""
        if self.rejected == 0:
            return 0
        if self.imported + self.unchanged == 0:
            return 2
        return 3

    def lines(self) -> list[str]:
        """Human-readable summary lines; the counts printed add up."""
        out = []
        where = f" into {self.archive}" if self.archive is not None else ""
        out.append(f"import {self.table}{where}: {len(self.files)} file(s)")
        for f in self.files:
            out.append(
                f"  {f.source.name}: read {f.read} = imported {f.imported} + unchanged {f.unchanged}"
                f" + rejected {f.rejected}"
            )
            if f.blank_rows:
                out.append(f"    skipped {f.blank_rows} blank row(s)")
            if f.ignored_columns:
                out.append(f"    ignored columns: {', '.join(f.ignored_columns)}")
            if f.normalised:
                out.append("    normalised values: " + ", ".join(f"{c} {n}" for c, n in f.normalised))
            if f.rejects_path is not None:
                out.append(f"    rejects: {f.rejects_path}")
        if len(self.files) > 1:
            out.append(
                f"  total: read {self.read} = imported {self.imported} + unchanged {self.unchanged}"
                f" + rejected {self.rejected}"
            )
        verdict = {0: "all rows accepted", 3: "some rows rejected: see the rejects file(s)",
                   2: "nothing usable: every row was rejected"}[self.exit_code]
        out.append(f"  {verdict}")
        return out


# ---------------------------------------------------------------------------------------
# reading files as text
# ---------------------------------------------------------------------------------------
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


def _xlsx_formula_cells(source: Path) -> list[tuple[int, int]]:
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


def _read_text_grid(source: Path) -> pd.DataFrame:
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


# ---------------------------------------------------------------------------------------
# normalising
# ---------------------------------------------------------------------------------------
def _clean_header(name: object) -> str:
    return str(name).strip(_BLANKS).lower()


def _column_for(header: str, table: str) -> str | None:
    key = _clean_header(header)
    spec = TABLES[table]
    col = HEADER_ALIASES.get(key, key if key in spec.columns else None)
    if col is None:
        # "销售额（元）", "volume (cases)": drop a trailing unit in brackets
        bare = re.sub(r"[（(][^）)]*[）)]$", "", key).strip(_BLANKS)
        col = HEADER_ALIASES.get(bare, bare if bare in spec.columns else None)
    return col if col in spec.columns else None


def _map_headers(headers: list[str], table: str, source: Path) -> tuple[dict[int, str], tuple[str, ...]]:
    """Header positions -> archive columns, and the ignored headers."""
    spec = TABLES[table]
    mapping: dict[int, str] = {}
    seen: dict[str, str] = {}
    ignored: list[str] = []
    for pos, header in enumerate(headers):
        if header.strip(_BLANKS) == "":
            continue
        col = _column_for(header, table)
        if col is None:
            ignored.append(header.strip(_BLANKS))
            continue
        if col in seen:
            raise DataError(
                f"{source}: headers {seen[col]!r} and {header.strip(_BLANKS)!r} both mean column {col!r} "
                f"of {table}; keep one of them"
            )
        seen[col] = header.strip(_BLANKS)
        mapping[pos] = col
    missing = [c for c in spec.required if c not in seen]
    if missing:
        hints = []
        for c in missing:
            names = [a for a, t in HEADER_ALIASES.items() if t == c][:4]
            hints.append(f"{c} (e.g. {' / '.join(names)})")
        raise DataError(
            f"{source}: missing required column(s) for {table}: {', '.join(hints)}; "
            f"found headers {[h for h in headers if h.strip(_BLANKS)]}"
        )
    return mapping, tuple(ignored)


def _strip(s: pd.Series) -> pd.Series:
    """Strip blanks (also full-width space U+3000); empty -> NA."""
    out = s.str.strip(_BLANKS)
    return out.where(out != "", None).astype("str")


def _half_width(text: pd.Series) -> pd.Series:
    """Full-width digits and signs to ASCII; only rows with non-ASCII text are touched."""
    wide = text.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False).astype(bool)
    if not wide.any():
        return text
    out = text.copy()
    out[wide] = text[wide].str.translate(_FULL_WIDTH)
    return out


def _parse_numbers(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """
    Parse number text by explicit rules.

    Returns
    -------
    values : Series of float64 (NaN for empty or bad)
    bad : Series of bool, non-empty text that is not a number
    rewritten : Series of bool, numbers written with separators, full-width digits or 万/亿

    Notes
    -----
    Accepted: ``1234``, ``-1.5``, ``1e3``, ``1,234.5`` (groups of three), full-width
    digits ``１２３``, ``1.2万`` (x 10 000) and ``3亿`` (x 10^8). The unit becomes a
    decimal exponent before conversion, so ``1.23456万`` is exactly ``12345.6``.
    """
    present = text.notna()
    half = _half_width(text)
    ok = half.str.fullmatch(_NUMBER_RE).fillna(False).astype(bool) & present
    bad = present & ~ok
    plain = text.str.fullmatch(_PLAIN_NUMBER_RE).fillna(False).astype(bool) & ok
    values = pd.Series(np.nan, index=text.index, dtype="float64")
    if plain.any():
        values[plain] = text[plain].astype("float64")
    fancy = ok & ~plain
    if fancy.any():
        t = half[fancy]
        body = t.str.replace(r"[,万亿]", "", regex=True)
        body = body.where(~t.str.endswith("万"), body + "e4")
        body = body.where(~t.str.endswith("亿"), body + "e8")
        values[fancy] = body.astype("float64")
    return values, bad, fancy


def _parse_dates(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """
    Parse date and period text.

    Returns
    -------
    dates : Series of datetime64 (the day given, or the first day of a month-only period)
    bad : Series of bool, non-empty text that is not a valid date or period
    month_only : Series of bool, a period without a day (``2024-03``, ``2024年3月``, ``202403``)

    Notes
    -----
    Accepted: ``2024-03-05``, ``2024/3/5``, ``2024.03.05``, ``2024年3月5日``, ``20240305``,
    with an optional time (``2024-03-05 00:00:00`` from Excel), and month periods
    ``2024-03``, ``2024/3``, ``2024.03``, ``2024年3月``, ``202403``.
    """
    codes, uniques = pd.factorize(text)  # dates repeat: parse each distinct text once
    if len(uniques) < len(text):
        d, b, m = _parse_dates(pd.Series(uniques, dtype="str"))
        take = np.where(codes < 0, len(uniques), codes)
        pad = lambda s, fill: np.append(s.to_numpy(), fill)[take]  # noqa: E731
        return (
            pd.Series(pad(d, np.datetime64("NaT", "us")), index=text.index, dtype="datetime64[us]"),
            pd.Series(pad(b, False), index=text.index, dtype=bool),
            pd.Series(pad(m, False), index=text.index, dtype=bool),
        )
    present = text.notna()
    g = _half_width(text).str.extract(_DATE_RE)
    year = g[0].fillna(g[3]).fillna(g[6])
    month = g[1].fillna(g[4]).fillna(g[7])
    day = g[2].fillna(g[5]).fillna(g[8])
    matched = year.notna() & present
    month_only = matched & day.isna()
    parts = pd.DataFrame(
        {
            "year": year.where(matched, "2000").astype("int64"),
            "month": month.where(matched, "1").astype("int64"),
            "day": day.where(matched & day.notna(), "1").astype("int64"),
        }
    )
    valid = parts["month"].between(1, 12) & parts["day"].between(1, 31)
    parts = parts.where(valid, 1)
    dates = pd.to_datetime(parts, errors="coerce").astype("datetime64[us]")
    dates = dates.where(matched & valid)
    bad = present & dates.isna()
    return dates, bad, month_only & ~bad


def _month_start(d: pd.Series) -> pd.Series:
    return (d - pd.to_timedelta(d.dt.day - 1, unit="D")).astype("datetime64[us]")


def _week_start(d: pd.Series) -> pd.Series:
    return (d - pd.to_timedelta(d.dt.day_of_week, unit="D")).astype("datetime64[us]")


def _spell(text: pd.Series, spellings: dict[str, str]) -> pd.Series:
    """Rewrite recognised spellings (compared lower-cased) to codes; keep other values."""
    return text.str.lower().map(spellings).fillna(text).astype("str")


@dataclass
class _Parsed:
    """One file after reading and normalising, before any archive query."""

    source: Path
    raw: pd.DataFrame  # original text and headers, index = file row number
    typed: pd.DataFrame  # archive columns, typed, index = file row number
    issues: pd.DataFrame  # row, field, reason
    ignored: tuple[str, ...]
    normalised: tuple[tuple[str, int], ...]
    blank_rows: int


_NO_ISSUES = pd.DataFrame(
    {"row": pd.Series(dtype="int64"), "field": pd.Series(dtype="str"), "reason": pd.Series(dtype="str")}
)


def _issues(rows: pd.Index | np.ndarray, column: str, reasons: pd.Series | str) -> pd.DataFrame:
    rows = pd.Index(rows)
    reason = reasons if isinstance(reasons, pd.Series) else pd.Series(reasons, index=rows, dtype="str")
    return pd.DataFrame({"row": rows.to_numpy(), "field": column, "reason": reason.to_numpy()})


def _latest_date(today: dt.date) -> dt.date:
    try:
        return today.replace(year=today.year + MAX_YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + MAX_YEARS_AHEAD, day=28)


def _valid_region_ids(ids: pd.Series) -> pd.Series:
    """Vectorised ``schemas.is_valid_region_id``: each distinct id is checked once."""
    good = [i for i in ids.dropna().unique() if is_valid_region_id(i)]
    return ids.isin(good) | ids.isna()


def _field_schema(table: str, latest: dt.date) -> pa.DataFrameSchema:
    """Per-field checks of a normalised frame: required values, ranges, allowed values."""
    spec = TABLES[table]
    columns = {}
    for col, typ in spec.columns.items():
        checks: list[pa.Check] = []
        if typ == "DOUBLE":
            checks.append(pa.Check.ge(0, error="must not be negative"))
        elif typ == "DATE":
            checks.append(
                pa.Check.in_range(
                    pd.Timestamp(EARLIEST_DATE), pd.Timestamp(latest),
                    error=f"outside the accepted range {EARLIEST_DATE} … {latest}",
                )
            )
        if col in ("region_id", "parent_id"):
            checks.append(
                pa.Check(
                    _valid_region_ids, name="region_id",
                    error="not a valid region id (letters, digits, '_', '.', '-'; at most 64)",
                )
            )
        allowed = spec.allowed.get(col)
        if col == "tier":
            checks.append(pa.Check.isin([1, 2], error="must be 1 (distributor) or 2 (sub-distributor)"))
        elif allowed is not None:
            checks.append(pa.Check.isin(list(allowed), error=f"must be one of {', '.join(allowed)}"))
        columns[col] = pa.Column(nullable=col in spec.nullable, checks=checks, required=True)
    return pa.DataFrameSchema(columns, strict=False)


def _pandera_issues(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        fc = fc[fc["index"].notna() & fc["column"].notna()]
        reason = fc["check"].astype(str).where(fc["check"] != "not_nullable", "missing value (required)")
        shown = fc["failure_case"].astype(str)
        reason = reason.where(fc["check"] == "not_nullable", reason + " (" + shown + ")")
        return pd.DataFrame(
            {"row": fc["index"].astype("int64").to_numpy(), "field": fc["column"].astype(str).to_numpy(),
             "reason": reason.to_numpy()}
        )
    return _NO_ISSUES


def _parse_file(source: Path, table: str, today: dt.date) -> _Parsed:
    """Read one file and normalise it: no archive access, so it runs before the transaction."""
    grid = _read_text_grid(source)
    if grid.shape[0] == 0:
        raise DataError(f"{source}: the file is empty; expected a header row and data rows")
    headers = grid.iloc[0].tolist()
    body = grid.iloc[1:]
    body.index = pd.RangeIndex(2, 2 + len(body), name="row")  # spreadsheet row numbers
    blank = (body.apply(lambda c: c.str.strip(_BLANKS) == "")).all(axis=1)
    body = body[~blank]
    if body.empty:
        raise DataError(f"{source}: no data rows under the header; expected one row per fact")
    mapping, ignored = _map_headers([str(h) for h in headers], table, source)
    issues = []
    if source.suffix.lower() in (".xlsx", ".xlsm"):
        # a formula Excel never calculated has no saved value: reading gives an empty cell
        lost = [
            (r + 1, mapping[c]) for r, c in _xlsx_formula_cells(source)
            if r >= 1 and c in mapping and r < grid.shape[0] and grid.iat[r, c].strip(_BLANKS) == ""
        ]
        if lost:
            issues.append(pd.DataFrame(
                {"row": [r for r, _ in lost], "field": [c for _, c in lost],
                 "reason": "a formula without a saved value: open the file in Excel, save it, import again"}
            ))
    spec = TABLES[table]
    latest = _latest_date(today)
    raw = body.copy()
    raw.columns = [str(h).strip(_BLANKS) or f"column_{i + 1}" for i, h in enumerate(headers)]

    text: dict[str, pd.Series] = {}
    for pos, col in mapping.items():
        text[col] = _strip(body[pos])
    defaults = COLUMN_DEFAULTS.get(table, {})
    for col in spec.columns:
        if col not in text:
            fill = defaults.get(col)
            text[col] = pd.Series(fill, index=body.index, dtype="str")

    rewritten: dict[str, int] = {}
    typed: dict[str, pd.Series] = {}
    # enumerations and known spellings
    for col in spec.columns:
        if spec.columns[col] != "VARCHAR":
            continue
        s = text[col]
        if (table, col) == ("events", "kind"):
            spellings = _EVENT_KIND_SPELLINGS
        else:
            spellings = _ENUM_SPELLINGS.get(col) or _OPEN_SPELLINGS.get(col)
        new = s if spellings is None else _spell(s, spellings)
        changed = int((new.notna() & (new != s)).sum())
        if changed:
            rewritten[col] = changed
        typed[col] = new
    # numbers
    for col, typ in spec.columns.items():
        if typ not in ("DOUBLE", "INTEGER"):
            continue
        values, bad, rew = _parse_numbers(text[col])
        if bad.any():
            issues.append(_issues(bad.index[bad], col, "not a number (" + text[col][bad] + ")"))
        if typ == "INTEGER":
            frac = values.notna() & (values != values.round())
            if frac.any():
                issues.append(_issues(frac.index[frac], col, "not a whole number (" + text[col][frac] + ")"))
        if int(rew.sum()):
            rewritten[col] = int(rew.sum())
        typed[col] = values
    # dates
    grain = typed.get("grain")
    for col, typ in spec.columns.items():
        if typ != "DATE":
            continue
        dates, bad, month_only = _parse_dates(text[col])
        if bad.any():
            issues.append(_issues(bad.index[bad], col, "not a date or month (" + text[col][bad] + ")"))
        if table in MONTHLY_TABLES:
            out = _month_start(dates)
            needs_day = pd.Series(False, index=dates.index)
        elif table == "sales" and grain is not None:
            out = dates.where(grain != "month", _month_start(dates))
            out = out.where(grain != "week", _week_start(dates))
            needs_day = month_only & grain.isin(["day", "week"]).fillna(False).astype(bool)
        else:
            out = dates
            needs_day = month_only
        if needs_day.any():
            issues.append(
                _issues(needs_day.index[needs_day], col,
                        "a month where a full date is needed (" + text[col][needs_day] + ")")
            )
            out = out.where(~needs_day)
        iso = text[col].str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fillna(False).astype(bool)
        changed = int((out.notna() & (~iso | (out != dates))).sum())
        if changed:
            rewritten[col] = changed
        typed[col] = out
    frame = pd.DataFrame({c: typed[c] for c in spec.columns}, index=body.index)
    issues.append(_pandera_issues(_field_schema(table, latest), frame))
    all_issues = pd.concat([_NO_ISSUES, *(i for i in issues if len(i))], ignore_index=True)
    # a cell that failed to parse is reported once, with the parse reason
    all_issues = all_issues.drop_duplicates(["row", "field"], keep="first")
    normalised = tuple((c, rewritten[c]) for c in spec.columns if c in rewritten)
    return _Parsed(source, raw, frame, all_issues, ignored, normalised, int(blank.sum()))


# ---------------------------------------------------------------------------------------
# archive checks (DuckDB) and insert
# ---------------------------------------------------------------------------------------
def _sql_list(cols: Iterable[str], prefix: str = "") -> str:
    return ", ".join(f"{prefix}{c}" for c in cols)


def _sql_cast(col: str, typ: str) -> str:
    return f"CAST({col} AS {typ}) AS {col}" if typ in ("DATE", "INTEGER") else col


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Insert normalised, checked rows (archive columns, typed) into ``table``."""
    spec = TABLES[table]
    con.register("_planlib_new", frame)
    try:
        cols = list(spec.columns)
        select = ", ".join(_sql_cast(c, spec.columns[c]) for c in cols)
        con.execute(f"INSERT INTO {table} ({_sql_list(cols)}) SELECT {select} FROM _planlib_new")
    finally:
        con.unregister("_planlib_new")


def _check_against_archive(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray]:
    """
    Key and reference checks of field-valid rows.

    Returns
    -------
    issues : DataFrame (row, field, reason)
    unchanged : array of row numbers already in the archive or repeated in the file
    """
    spec = TABLES[table]
    cols = list(spec.columns)
    key, vals = list(spec.key), list(spec.values)
    cand = frame.rename_axis("_row").reset_index()
    con.register("_planlib_in", cand)
    issues: list[pd.DataFrame] = []
    unchanged: list[np.ndarray] = []
    try:
        casted = ", ".join(_sql_cast(c, spec.columns[c]) for c in cols)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _planlib_cand AS SELECT _row, {casted} FROM _planlib_in")
        # 1. within the file: exact repeats count once, one key with different values is rejected
        dup = _rows(
            con,
            f"""
            SELECT _row, variants > 1 AS conflict FROM (
                SELECT _row,
                       _row <> min(_row) OVER (PARTITION BY {_sql_list(cols)}) AS repeat,
                       count(DISTINCT struct_pack({_sql_list(vals)})) OVER (PARTITION BY {_sql_list(key)}) AS variants
                FROM _planlib_cand)
            WHERE variants > 1 OR repeat
            """,
        )
        conflict = _rows(
            con,
            f"SELECT _row, list(_row) OVER (PARTITION BY {_sql_list(key)}) AS rows FROM _planlib_cand "
            "WHERE _row IN (SELECT unnest(?::BIGINT[]))",
            [dup.loc[dup["conflict"], "_row"].tolist()],
        )
        if len(conflict):
            others = [
                ", ".join(str(r) for r in sorted(rs) if r != me)
                for me, rs in zip(conflict["_row"], conflict["rows"])
            ]
            issues.append(
                _issues(conflict["_row"].to_numpy(), "+".join(key),
                        pd.Series(["same key as row(s) " + o + " in this file, with different values" for o in others],
                                  dtype="str"))
            )
        repeats = dup.loc[~dup["conflict"], "_row"].to_numpy()
        unchanged.append(repeats)
        drop = np.concatenate([conflict["_row"].to_numpy(), repeats])
        con.execute("DELETE FROM _planlib_cand WHERE _row IN (SELECT unnest(?::BIGINT[]))", [drop.tolist()])
        # 2. against the archive: identical rows are unchanged, a key with other values is rejected
        on = " AND ".join(f"c.{k} IS NOT DISTINCT FROM a.{k}" for k in key)
        diffs = ", ".join(
            f"CASE WHEN c.{v} IS DISTINCT FROM a.{v} THEN '{v}=' || coalesce(CAST(a.{v} AS VARCHAR), 'empty') END"
            for v in vals
        )
        same = " AND ".join(f"c.{v} IS NOT DISTINCT FROM a.{v}" for v in vals)
        found = _rows(
            con,
            f"SELECT _row, same, CASE WHEN NOT same THEN diff END AS diff FROM ("
            f"SELECT c._row, ({same}) AS same, concat_ws(', ', {diffs}) AS diff "
            f"FROM _planlib_cand c JOIN {table} a ON {on})",
        )
        unchanged.append(found.loc[found["same"], "_row"].to_numpy())
        clash = found[~found["same"]]
        if len(clash):
            issues.append(
                _issues(clash["_row"].to_numpy(), "+".join(key),
                        ("key already in the archive with different values: archive has " + clash["diff"]).reset_index(
                            drop=True))
            )
        con.execute("DELETE FROM _planlib_cand WHERE _row IN (SELECT unnest(?::BIGINT[]))", [found["_row"].tolist()])
        # 3. references to other tables (or, for regions.parent_id, to this file as well)
        for col, (ref_table, ref_col) in spec.references.items():
            if ref_table == table:
                continue
            bad = _rows(
                con,
                f"SELECT _row, {col} AS value FROM _planlib_cand c WHERE {col} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {ref_table} r WHERE r.{ref_col} = c.{col})",
            )
            if len(bad):
                issues.append(
                    _issues(bad["_row"].to_numpy(), col,
                            ("unknown " + col + " " + bad["value"].astype(str)
                             + f": not in the archive's {ref_table} table").reset_index(drop=True))
                )
                con.execute("DELETE FROM _planlib_cand WHERE _row IN (SELECT unnest(?::BIGINT[]))",
                            [bad["_row"].tolist()])
        if table == "regions":
            issues.extend(_check_region_parents(con))
    finally:
        con.unregister("_planlib_in")
    kept_issues = pd.concat([_NO_ISSUES, *issues], ignore_index=True)
    return kept_issues, np.concatenate(unchanged) if unchanged else np.array([], dtype="int64")


def _check_region_parents(con: duckdb.DuckDBPyConnection) -> list[pd.DataFrame]:
    """
    Regions: a parent must exist (archive or this file) and sit on a higher level; only
    ``hq`` has no parent, and there is one root. Repeats until no more rows drop, so a
    child of a rejected region is rejected too.
    """
    depth = "CASE {c} " + " ".join(f"WHEN '{lv}' THEN {d}" for lv, d in LEVEL_DEPTH.items()) + " END"
    issues: list[pd.DataFrame] = []
    while True:
        bad = _rows(
            con,
            f"""
            WITH known AS (SELECT region_id, level, parent_id FROM regions
                           UNION ALL SELECT region_id, level, parent_id FROM _planlib_cand),
                 roots AS (SELECT region_id FROM known WHERE parent_id IS NULL AND level = 'hq')
            SELECT c._row, c.parent_id, c.level, p.level AS parent_level,
                   (SELECT string_agg(region_id, ', ') FROM roots WHERE roots.region_id <> c.region_id) AS other_roots
            FROM _planlib_cand c LEFT JOIN known p ON p.region_id = c.parent_id
            WHERE (c.parent_id IS NOT NULL AND p.region_id IS NULL)
               OR (c.parent_id IS NOT NULL AND {depth.format(c='p.level')} >= {depth.format(c='c.level')})
               OR (c.parent_id IS NULL AND c.level <> 'hq')
               OR (c.parent_id IS NULL AND EXISTS
                   (SELECT 1 FROM roots r WHERE r.region_id <> c.region_id))
            """,
        )
        if bad.empty:
            return issues
        reason = np.select(
            [
                bad["parent_id"].notna() & bad["parent_level"].isna(),
                bad["parent_id"].notna(),
                bad["level"] != "hq",
            ],
            [
                "unknown parent_id " + bad["parent_id"].astype(str)
                + ": not in the archive's regions table nor in this file",
                "level " + bad["level"].astype(str) + " is not below its parent's level "
                + bad["parent_level"].astype(str),
                "only the hq region may have no parent_id",
            ],
            "a second hq root: the tree has one root, found also " + bad["other_roots"].astype(str),
        )
        fields = np.where(bad["parent_id"].notna() & bad["parent_level"].isna(), "parent_id",
                          np.where(bad["parent_id"].notna(), "level", "parent_id"))
        issues.append(pd.DataFrame({"row": bad["_row"].to_numpy(), "field": fields, "reason": reason}))
        con.execute("DELETE FROM _planlib_cand WHERE _row IN (SELECT unnest(?::BIGINT[]))", [bad["_row"].tolist()])


def _rejects_frame(parsed: _Parsed, issues: pd.DataFrame) -> pd.DataFrame:
    """One line per rejected row: source_file, row, field, reason, then the original values."""
    issues = issues.sort_values("row", kind="stable")
    several = issues["row"].duplicated(keep=False)
    single = issues[~several].set_index("row")
    summary = single[["field", "reason"]]
    if several.any():
        multi = issues[several]
        labelled = multi.assign(reason=multi["field"] + ": " + multi["reason"])
        grouped = labelled.groupby("row", sort=True)
        joined = pd.DataFrame({"field": grouped["field"].agg("; ".join), "reason": grouped["reason"].agg("; ".join)})
        summary = pd.concat([summary, joined]).sort_index()
    original = parsed.raw.loc[summary.index]
    head = pd.DataFrame({"source_file": parsed.source.name, "row": summary.index.to_numpy()}, index=summary.index)
    return pd.concat([head, summary, original], axis=1).reset_index(drop=True)


def _rejects_target(folder: Path, table: str, stamp: str, stem: str, taken: set[Path]) -> Path:
    safe_stem = re.sub(r"[^\w.-]+", "_", stem) or "input"
    path = folder / f"{table}-{stamp}-{safe_stem}.csv"
    n = 2
    while path in taken or path.exists():
        path = folder / f"{table}-{stamp}-{safe_stem}-{n}.csv"
        n += 1
    taken.add(path)
    return path


def _archive_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return Path(row[0]) if row and row[0] else None


def import_files(
    archive: str | os.PathLike[str] | duckdb.DuckDBPyConnection,
    table: str,
    files: Iterable[str | os.PathLike[str]],
    *,
    rejects_dir: str | os.PathLike[str] | None = None,
) -> ImportReport:
    """
    Import CSV / XLSX / Parquet files into an archive table, in one transaction.

    Parameters
    ----------
    archive : str, path-like or DuckDBPyConnection
        The archive file (opened read-write here), or an open read-write connection
        with no transaction in progress.
    table : str
        The target table (``schemas.TABLE_ORDER``).
    files : iterable of str or path-like
        Input files: CSV (UTF-8, UTF-8 with BOM, GB18030/GBK), XLSX (first sheet) or
        Parquet. All cells are read as text, so codes like ``0755`` and ``NA`` survive.
    rejects_dir : str or path-like, optional
        Where rejects files go; default ``<archive folder>/rejects``.

    Returns
    -------
    ImportReport
        Per-file counts (read = imported + unchanged + rejected), rejects files,
        ignored columns and how many values were normalised.

    Raises
    ------
    DataError
        A whole-file problem (unreadable, unsupported type, empty, required columns
        missing after header mapping, two headers for one column), naming the file and
        what is expected. Nothing is imported then.

    Notes
    -----
    Headers map through ``schemas.HEADER_ALIASES`` (blanks stripped, lower-cased; a
    trailing unit in brackets such as ``销售额（元）`` is dropped). Values are normalised:
    periods to the first day of the month (sales by grain: week -> Monday, day kept;
    ``market`` and ``expenses`` are monthly), numbers by explicit rules (separators,
    full-width digits, 万/亿), Chinese category/channel/level/grain names to codes,
    ``本品``/``自有``/``own`` to ``own``. A sales file without a grain column is monthly,
    without a brand column is the own brand.

    Rows are rejected with a reason for: a missing required value, a value that is not
    a number or date, a negative amount, a date before 2000-01-01 or more than two
    years ahead, an invalid region id, a value outside the allowed set, an unknown
    reference, a key repeated in the file with different values (all such rows), or a
    key already in the archive with different values. Exact repeats in the file and
    rows identical to archive rows are counted as unchanged, so a re-import adds
    nothing. Keys compare empty parts as equal.

    The rejects file ``<rejects_dir>/<table>-<YYYYmmdd-HHMMSS>-<input stem>.csv`` (UTF-8
    with BOM) has the columns source_file, row (the spreadsheet row: header = 1), field,
    reason, then the row's original values under their original headers. It appears
    only after the transaction commits.
    """
    _check_table(table)
    sources = [Path(f) for f in ([files] if isinstance(files, (str, os.PathLike)) else files)]
    if not sources:
        raise DataError(f"no input files given for {table}")
    today = dt.date.today()
    parsed = [_parse_file(src, table, today) for src in sources]  # whole-file errors before any write

    with OpenArchive(archive, read_only=False) as con:
        archive_path = Path(archive) if not isinstance(archive, duckdb.DuckDBPyConnection) else _archive_path(con)
        if rejects_dir is not None:
            folder = Path(rejects_dir)
        elif archive_path is not None:
            folder = archive_path.parent / "rejects"
        else:
            folder = Path("rejects")
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        results: list[tuple[_Parsed, int, int, int, Path | None]] = []
        pending: list[tuple[Path, Path]] = []  # (temporary, final)
        taken: set[Path] = set()
        con.execute("BEGIN TRANSACTION")
        try:
            for p in parsed:
                field_bad = p.issues["row"].unique()
                ok = p.typed[~p.typed.index.isin(field_bad)]
                archive_issues, unchanged = _check_against_archive(con, table, ok)
                issues = pd.concat([p.issues, archive_issues], ignore_index=True)
                rejected_rows = issues["row"].unique()
                new = ok[~ok.index.isin(rejected_rows) & ~ok.index.isin(unchanged)]
                _insert_rows(con, table, new)
                final = None
                if len(rejected_rows):
                    folder.mkdir(parents=True, exist_ok=True)
                    final = _rejects_target(folder, table, stamp, p.source.stem, taken)
                    tmp = final.with_name("." + final.name + ".tmp")
                    pending.append((tmp, final))
                    _rejects_frame(p, issues).to_csv(tmp, index=False, encoding="utf-8-sig")
                results.append((p, len(new), len(unchanged), len(rejected_rows), final))
            if table in ("sales", "products"):
                refresh_summaries(con)  # in the same transaction: never stale after an import
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            for tmp, _ in pending:
                tmp.unlink(missing_ok=True)
            raise
        finally:
            con.execute("DROP TABLE IF EXISTS _planlib_cand")
    for tmp, final in pending:
        os.replace(tmp, final)
    reports = tuple(
        FileImport(
            source=p.source, read=len(p.typed), imported=imported, unchanged=unchanged, rejected=rejected,
            rejects_path=final, ignored_columns=p.ignored, normalised=p.normalised, blank_rows=p.blank_rows,
        )
        for p, imported, unchanged, rejected, final in results
    )
    return ImportReport(table=table, archive=archive_path, files=reports)


# ---------------------------------------------------------------------------------------
# Summaries kept beside the facts
# ---------------------------------------------------------------------------------------
SKU_MONTHS_TABLE = "planlib_sku_months"
_SKU_MONTHS_KEY = "sku_months_sales_rows"


def refresh_summaries(con: duckdb.DuckDBPyConnection) -> None:
    """
    Rebuild the archive's small summary of own monthly sales by SKU (``planlib_sku_months``).

    The data-quality check needs the product lines' monthly totals over the whole archive
    for every region it checks; this keeps them beside the facts, so checking one county
    does not scan every sales row. Called inside the import's transaction (and by the demo
    builder); :func:`sku_months` trusts it only while the sales table still has the row
    count it was built from.
    """
    con.execute(f"""CREATE OR REPLACE TABLE {SKU_MONTHS_TABLE} AS
        SELECT sku, date, sum(volume) AS volume FROM sales
        WHERE grain = 'month' AND brand = '{OWN_BRAND}' GROUP BY sku, date""")
    rows = con.execute("SELECT count(*) FROM sales").fetchone()[0]
    con.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key VARCHAR, value VARCHAR)")
    con.execute(f"DELETE FROM {META_TABLE} WHERE key = ?", [_SKU_MONTHS_KEY])
    con.execute(f"INSERT INTO {META_TABLE} VALUES (?, ?)", [_SKU_MONTHS_KEY, str(rows)])


def sku_months_fresh(con: duckdb.DuckDBPyConnection) -> bool:
    """
    Whether ``planlib_sku_months`` exists and was built from the sales table as it is.

    Fresh means the sales table still has the row count the summary was built from; rows
    added or removed outside ``planlib archive import`` make it stale, and readers then
    aggregate the sales table themselves.
    """
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if SKU_MONTHS_TABLE not in tables or META_TABLE not in tables:
        return False
    stored = con.execute(f"SELECT value FROM {META_TABLE} WHERE key = ?", [_SKU_MONTHS_KEY]).fetchone()
    rows = con.execute("SELECT count(*) FROM sales").fetchone()[0]
    return stored is not None and stored[0] == str(rows)
