"""
The information archive: one DuckDB file holding the tables of DESIGN.md §3 (``schemas.TABLE_ORDER``).

Creating, opening and reading the archive file lives here; bringing data in lives in
:mod:`planlib.archive.importer`, its data-quality checks in :mod:`planlib.archive.quality`.

Public functions: :func:`init_archive` (create), :func:`connect` and :class:`OpenArchive`
(open), :func:`load_table`, :func:`count_rows` and :func:`load_tree` (read), :func:`fingerprint` (a hash
for run manifests), :func:`refresh_summaries` and :func:`sku_months_fresh` (the small
summary kept beside the sales), :func:`validate_table` (a table name or a DataError),
:func:`reading` (held by a run for its whole length: the archive does not change under
it), :func:`writing` (taken by an import: refused while a run reads) and :func:`lock_path`
(the ``<archive>.lock`` file they share).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; runs and imports are not kept apart there
    fcntl = None  # type: ignore[assignment]

import duckdb
import numpy as np
import pandas as pd

from planlib.errors import DataError
from planlib.hierarchy import RegionTree
from planlib.schemas import OWN_BRAND, TABLE_ORDER, TABLES, table_ddl

__all__ = [
    "FORMAT_VERSION",
    "META_TABLE",
    "init_archive",
    "connect",
    "load_table",
    "count_rows",
    "load_tree",
    "fingerprint",
    "OpenArchive",
    "refresh_summaries",
    "sku_months_fresh",
    "SKU_MONTHS_TABLE",
    "reading",
    "missing_tables",
    "add_missing_tables",
    "empty_frame",
]

#: Version of the archive layout, stored in :data:`META_TABLE`.
FORMAT_VERSION = "1"
#: Key/value table that marks a DuckDB file as a planlib archive.
META_TABLE = "planlib_meta"

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


#: One query that binds only on an archive with the meta table and every table of ``TABLE_ORDER``
#: and counts its format version rows: reading no table's rows, and cheaper on a freshly opened
#: file than listing the catalogue (``information_schema.tables`` loads every table's metadata).
_COMPLETE_SQL = (
    f"SELECT count(*) FROM (SELECT value FROM {META_TABLE} WHERE key = 'format_version'"
    + "".join(f" UNION ALL SELECT NULL FROM {name} WHERE false" for name in TABLE_ORDER)
    + ")"
)


def _is_complete(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the open file is a planlib archive with every table of ``TABLE_ORDER`` (False if unsure)."""
    try:
        rows = con.execute(_COMPLETE_SQL).fetchall()
    except duckdb.Error:  # a table (or the meta table) is missing: the caller finds out which
        return False
    return bool(rows) and rows[0][0] > 0


def init_archive(path: str | os.PathLike[str]) -> Path:
    """
    Create an archive file with the tables of ``schemas.TABLE_ORDER`` and the ``planlib_meta`` table.

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


def connect(path: str | os.PathLike[str], *, read_only: bool = True, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """
    Open an existing planlib archive.

    Parameters
    ----------
    path : str or path-like
        The archive file.
    read_only : bool, default True
        Open read-only (several processes may read at once).
    threads : int, optional
        DuckDB's worker threads for this connection; ``1`` sums in storage order, so sums of
        doubles come out the same on every run (the plan-wide steps use it).

    Returns
    -------
    duckdb.DuckDBPyConnection
        An open connection; the caller closes it (it is a context manager).

    Raises
    ------
    DataError
        If the file is missing or is not a planlib archive; the message names the path
        and says how to create one. Opened for writing, also if it lacks tables
        (:func:`add_missing_tables`) while another process holds it.

    Notes
    -----
    An archive that lacks tables of ``schemas.TABLE_ORDER`` (an older one, from before
    ``people`` and ``person_events``, or one another tool wrote) gets them added, empty
    (:func:`add_missing_tables`). When it is open in another process, so that the file
    cannot be changed now, a read-only connection opens it as it is: :func:`load_table`
    and the queries that read those tables read a missing table as an empty one.
    """
    path = Path(path)
    if not path.is_file():
        raise _not_an_archive(path, "no archive here")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():
            raise DataError(
                f"{path}: in use by another process, which holds it {'open for writing' if read_only else 'open'} "
                f"({exc}); retry after it finishes"
            ) from exc
        raise _not_an_archive(path, f"cannot be opened as a DuckDB archive ({exc})") from exc
    if _is_complete(con):  # one query: a planlib archive with every table (the usual case)
        missing: tuple[str, ...] = ()
    else:
        try:
            ok = _is_planlib(con)
        except duckdb.Error:
            ok = False
        if not ok:
            con.close()
            raise _not_an_archive(path, f"is not a planlib archive (no {META_TABLE} table)")
        missing = missing_tables(con)
    if missing:  # an older or foreign archive: the optional tables it lacks are added, empty
        con.close()
        try:
            add_missing_tables(path)
        except DataError:
            if not read_only:
                raise
            # open elsewhere: read it as it is; load_table and the queries read a missing table as empty
        con = duckdb.connect(str(path), read_only=read_only)
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    return con


def missing_tables(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """The archive tables (``TABLE_ORDER``) the open archive lacks."""
    present = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = 'main'").fetchall()}
    return tuple(name for name in TABLE_ORDER if name not in present)


def add_missing_tables(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """
    Add, empty, the tables an archive lacks; returns their names.

    An archive written by another tool, or an older one, may have no ``market``,
    ``expenses`` or ``activities`` table at all. Every stage treats such data as optional
    (the methods that need it say they are unavailable), so a missing table is made the
    same as an empty one, once, when the archive is opened: the only change to the file.

    Raises
    ------
    DataError
        If the archive is open elsewhere, so the tables cannot be added now.
    """
    try:
        with duckdb.connect(str(path)) as con:
            missing = missing_tables(con)
            for name in missing:
                con.execute(table_ddl(name))
    except duckdb.Error as exc:
        raise DataError(f"{path}: lacks archive tables and is open elsewhere, so they cannot be added empty "
                        f"({exc}); close the other process and retry") from exc
    return missing


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


def validate_table(table: str) -> str:
    """
    Return ``table`` if it names an archive table.

    Raises
    ------
    DataError
        An unknown table; the message lists the archive's tables.
    """
    if table not in TABLES:
        raise DataError(f"unknown table {table!r}: expected one of {', '.join(TABLE_ORDER)}")
    return table


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
    validate_table(table)
    spec = TABLES[table]
    cols = list(spec.columns) if columns is None else list(columns)
    unknown = [c for c in cols if c not in spec.columns]
    if unknown:
        raise DataError(f"table {table} has no column(s) {unknown}: expected some of {list(spec.columns)}")
    where, params = _rows_filter(table, region_ids, years)
    sql = f"SELECT {', '.join(cols)} FROM {table}{where}"
    sql += " ORDER BY " + ", ".join(f"{k} NULLS FIRST" for k in spec.key)
    with OpenArchive(archive) as con:
        # Arrow, not .df(): an order of magnitude faster for text columns
        cur = con.cursor()  # its own result state: earlier fetchone() calls leave none pending here
        try:
            table_data = cur.sql(sql, params=params or None).to_arrow_table()
        except duckdb.CatalogException:
            if table in missing_tables(con):  # an old archive open elsewhere (see connect): it reads empty
                return empty_frame(table, cols)
            raise
        finally:
            cur.close()
    frame = table_data.to_pandas(date_as_object=False)
    return _typed(frame, table)


def _rows_filter(table: str, region_ids: Iterable[str] | None, years: tuple[int, int] | None) -> tuple[str, list]:
    """The ``WHERE`` clause (or "") and its parameters keeping ``region_ids``' rows in ``years`` (see load_table)."""
    spec = TABLES[table]
    where, params = "", []
    if region_ids is not None and "region_id" in spec.columns:
        ids = [str(r) for r in ([region_ids] if isinstance(region_ids, str) else region_ids)]
        if ids:  # the id range lets DuckDB skip the row groups outside it (a subtree's ids are close)
            where = " WHERE region_id BETWEEN ? AND ? AND region_id IN (SELECT unnest(?::VARCHAR[]))"
            params += [min(ids), max(ids), ids]
        else:
            where = " WHERE region_id IN (SELECT unnest(?::VARCHAR[]))"
            params.append(ids)
    if years is not None and "date" in spec.columns:
        where += (" AND" if params else " WHERE") + " date >= ? AND date < ?"
        params += [dt.date(int(years[0]), 1, 1), dt.date(int(years[1]) + 1, 1, 1)]
    return where, params


def count_rows(
    archive: str | os.PathLike[str] | duckdb.DuckDBPyConnection,
    table: str,
    *,
    region_ids: Iterable[str] | None = None,
    years: tuple[int, int] | None = None,
) -> int:
    """
    How many rows of an archive table :func:`load_table` would read, without reading them.

    Parameters
    ----------
    archive : str, path-like or DuckDBPyConnection
        The archive file, or an open connection to it (left open).
    table : str
        One of ``schemas.TABLE_ORDER``.
    region_ids : iterable of str, optional
        Count only rows whose ``region_id`` is one of these (as :func:`load_table`).
    years : (int, int), optional
        Count only rows whose ``date`` falls in these calendar years (inclusive).

    Returns
    -------
    int
        ``len(load_table(archive, table, region_ids=region_ids, years=years))``; 0 when the
        archive lacks the table (an older archive open elsewhere, see :func:`connect`).

    Raises
    ------
    DataError
        Unknown table, or the archive is missing / not a planlib archive.

    Examples
    --------
    Whether a region's subtree has last year's expenses (an optional table)::

        count_rows(con, "expenses", region_ids=tree.subtree("P01"), years=(2026, 2026)) > 0
    """
    validate_table(table)
    where, params = _rows_filter(table, region_ids, years)
    with OpenArchive(archive) as con:
        cur = con.cursor()  # its own result state, as load_table
        try:
            return int(cur.execute(f"SELECT count(*) FROM {table}{where}", params or None).fetchall()[0][0])
        except duckdb.CatalogException:
            if table in missing_tables(con):  # read as an empty table, as load_table does
                return 0
            raise
        finally:
            cur.close()


def empty_frame(table: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """An archive table without rows, in :func:`load_table`'s dtypes (``columns`` default all)."""
    types = TABLES[table].columns
    dtypes = {"VARCHAR": _TEXT, "DATE": "datetime64[us]", "INTEGER": "int64", "DOUBLE": "float64"}
    cols = list(types) if columns is None else list(columns)
    return pd.DataFrame({c: pd.Series(dtype=dtypes[types[c]]) for c in cols})


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
    try:  # one query where both tables are there (binding fails where one is missing)
        stored, rows, _ = con.execute(
            f"SELECT (SELECT list(value) FROM {META_TABLE} WHERE key = ?), (SELECT count(*) FROM sales), "
            f"(SELECT count(*) FROM {SKU_MONTHS_TABLE} WHERE false)", [_SKU_MONTHS_KEY]).fetchone()
    except duckdb.CatalogException:
        pass
    else:
        return bool(stored) and stored[0] == str(rows)
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if SKU_MONTHS_TABLE not in tables or META_TABLE not in tables:
        return False
    stored = con.execute(f"SELECT value FROM {META_TABLE} WHERE key = ?", [_SKU_MONTHS_KEY]).fetchone()
    rows = con.execute("SELECT count(*) FROM sales").fetchone()[0]
    return stored is not None and stored[0] == str(rows)


# ---------------------------------------------------------------------------------------
# Runs read a consistent archive: a shared lock while reading, an exclusive one to import
# ---------------------------------------------------------------------------------------
def lock_path(archive: str | os.PathLike[str]) -> Path:
    """The lock file beside an archive: ``<archive>.lock`` (``demo.duckdb.lock``)."""
    path = Path(archive)
    return path.with_name(path.name + ".lock")


def _lock_holders(fd: int) -> list[int]:
    """Pids holding a lock on the open file ``fd``, from /proc/locks (Linux); [] elsewhere."""
    st = os.fstat(fd)
    device = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    held = [(p[-3], int(p[-4])) for p in (line.split() for line in lines) if len(p) >= 6 and p[-4].isdigit()]
    pids = {pid for dev, pid in held if dev == device}
    if not pids:  # overlay file systems report another device: the inode alone then
        pids = {pid for dev, pid in held if dev.rsplit(":", 1)[-1] == str(st.st_ino)}
    return sorted(pids)


@contextlib.contextmanager
def _locked(archive: str | os.PathLike[str], exclusive: bool) -> Iterator[int | None]:
    """Hold ``<archive>.lock`` shared or (non-blocking) exclusive; yields the descriptor."""
    if fcntl is None or not Path(archive).is_file():  # no archive: nothing to keep consistent, no stray lock file
        yield None
        return
    try:
        fd = os.open(lock_path(archive), os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:  # a read-only folder: nobody can import there either
        yield None
        return
    try:
        if exclusive:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pids = _lock_holders(fd)
                who = f" (pid {', '.join(map(str, pids))})" if pids else ""
                raise DataError(
                    f"{archive}: a run is reading the archive{who}, and an import now would change its data "
                    "mid-run; nothing was imported: retry after the run finishes"
                ) from None
        else:
            fcntl.flock(fd, fcntl.LOCK_SH)  # waits for an import in progress (one transaction)
        yield fd
    finally:
        os.close(fd)  # releases the lock; so does the process's death


@contextlib.contextmanager
def reading(archive: str | os.PathLike[str]) -> Iterator[Path]:
    """
    Hold the archive for reading: imports are refused until the block ends.

    A run holds it for its whole length so every region reads the same archive; any
    number of runs may read at once. Taking it waits for an import in progress.

    Parameters
    ----------
    archive : str or path-like
        The archive file.

    Yields
    ------
    Path
        The archive's path.

    Notes
    -----
    A shared ``flock`` on ``<archive>.lock`` beside the archive, released on exit or when
    the process dies (no stale lock). Where locks are unavailable (Windows, a read-only
    folder) the block runs unlocked.

    Examples
    --------
    >>> with reading("data/demo.duckdb"):  # doctest: +SKIP
    ...     run_the_plan()
    """
    with _locked(archive, exclusive=False):
        yield Path(archive)


@contextlib.contextmanager
def writing(archive: str | os.PathLike[str] | None) -> Iterator[None]:
    """
    Hold the archive for an import: exclusive, never waiting.

    Raises
    ------
    DataError
        A run is reading the archive (:func:`reading`): the message names its pid where
        the system tells, and says to retry after the run.
    """
    if archive is None:
        yield
        return
    with _locked(archive, exclusive=True):
        yield
