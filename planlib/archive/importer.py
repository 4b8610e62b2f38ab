"""
Real data into the archive: :func:`import_files` and its report.

Public: :func:`import_files`, :class:`ImportReport` (per-file counts that add up,
rejects files, exit code) and :class:`FileImport` (one file's part of it).

Pipeline, per file (all vectorised, no Python loop per row)::

    read as text ─ map headers ─ normalise (dates, numbers, names) ─ field checks
    (pandera) ─ duplicates in the file ─ keys already in the archive ─ references
    (DuckDB) ─ insert

Reading and normalising are in :mod:`planlib.archive.parsing`; the checks against the
archive and the insert are here. Every data row ends up imported, unchanged (already
in the archive, or an exact repeat within the file) or rejected with a reason; the
whole import of all files is one transaction, and the rejects files are put in place
only after it commits.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from planlib.archive.parsing import (
    NO_ISSUES,
    ParsedFile,
    file_label,
    issue_rows,
    parse_file,
)
from planlib.archive.store import (
    OpenArchive,
    refresh_summaries,
    validate_table,
    writing,
)
from planlib.errors import DataError
from planlib.schemas import LEVEL_DEPTH, TABLES

__all__ = [
    "FileImport",
    "ImportReport",
    "import_files",
]

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
    units : tuple of (str, str, float)
        Measure columns whose header carried a unit: the column, the header as written and
        the factor every value was multiplied by (``("revenue", "销售额（万元）", 10000.0)``;
        1.0 for 元 or 箱).
    hidden_rows : tuple of int
        Rows hidden in the workbook (spreadsheet row numbers). They are data in the file,
        as Excel's own "Save as CSV" keeps them: read, checked and imported like the
        others, and listed here so a filtered-out row is not taken in unnoticed.
    sheet : str or None
        The workbook's sheet read (None for CSV and Parquet).
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
    units: tuple[tuple[str, str, float], ...] = ()
    hidden_rows: tuple[int, ...] = ()
    sheet: str | None = None


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
                f"  {file_label(f.source.name, f.sheet)}: read {f.read} = imported {f.imported} + unchanged {f.unchanged}"
                f" + rejected {f.rejected}"
            )
            if f.blank_rows:
                out.append(f"    skipped {f.blank_rows} blank row(s)")
            if f.ignored_columns:
                out.append(f"    ignored columns: {', '.join(f.ignored_columns)}")
            if f.normalised:
                out.append("    normalised values: " + ", ".join(f"{c} {n}" for c, n in f.normalised))
            if f.units:
                out.append("    units from headers: " + ", ".join(
                    f"{h} -> {c} x{factor:,.0f}" for c, h, factor in f.units))
            if f.hidden_rows:
                shown = ", ".join(str(r) for r in f.hidden_rows[:20]) + (", …" if len(f.hidden_rows) > 20 else "")
                out.append(f"    hidden in the workbook, read as data: {len(f.hidden_rows)} row(s) ({shown})")
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
# archive checks (DuckDB) and insert
# ---------------------------------------------------------------------------------------
def _sql_list(cols: Iterable[str]) -> str:
    return ", ".join(cols)


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


def _conflict_reasons(conflict: pd.DataFrame) -> pd.Series:
    """
    Why each row of a key given twice in a file with different values is rejected.

    ``conflict`` holds _row, key_first (the first row of its key) and same_first (the first
    row identical to it). The rows named are those with other values; a row repeating an
    earlier one exactly says which.
    """
    reasons = []
    groups = conflict.groupby("key_first")
    for row, key_first, same_first in zip(conflict["_row"], conflict["key_first"], conflict["same_first"]):
        group = groups.get_group(key_first)
        others = ", ".join(str(r) for r in group.loc[group["same_first"] != same_first, "_row"])
        reason = f"same key as row(s) {others} in this file, with different values"
        reasons.append(reason if same_first == row else f"an identical repeat of row {same_first}; {reason}")
    return pd.Series(reasons, dtype="str")


#: Rows of the files before this one in the same import (key, file, row): a clash names them.
_EARLIER = "_planlib_earlier"


def _remember_rows(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, label: str) -> None:
    """Note the keys of rows just inserted from one file (``label``), for the files after it."""
    spec = TABLES[table]
    key = list(spec.key)
    con.register("_planlib_new", frame.rename_axis("_row").reset_index())
    try:
        select = ", ".join(_sql_cast(c, spec.columns[c]) for c in key)
        con.execute(f"INSERT INTO {_EARLIER} SELECT {select}, ? AS _file, _row FROM _planlib_new", [label])
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
            f"SELECT _row, min(_row) OVER (PARTITION BY {_sql_list(key)}) AS key_first, "
            f"min(_row) OVER (PARTITION BY {_sql_list(cols)}) AS same_first FROM _planlib_cand "
            "WHERE _row IN (SELECT unnest(?::BIGINT[])) ORDER BY _row",
            [dup.loc[dup["conflict"], "_row"].tolist()],
        )
        if len(conflict):
            issues.append(issue_rows(conflict["_row"].to_numpy(), "+".join(key), _conflict_reasons(conflict)))
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
        on_earlier = " AND ".join(f"c.{k} IS NOT DISTINCT FROM e.{k}" for k in key)
        found = _rows(
            con,
            f"SELECT _row, same, CASE WHEN NOT same THEN diff END AS diff, earlier_file, earlier_row FROM ("
            f"SELECT c._row, ({same}) AS same, concat_ws(', ', {diffs}) AS diff, "
            f"e._file AS earlier_file, e._row AS earlier_row "
            f"FROM _planlib_cand c JOIN {table} a ON {on} LEFT JOIN {_EARLIER} e ON {on_earlier})",
        )
        unchanged.append(found.loc[found["same"], "_row"].to_numpy())
        clash = found[~found["same"]].reset_index(drop=True)
        if len(clash):
            this_import = clash["earlier_file"].notna()
            diff = clash["diff"].astype("str")
            reasons = ("key already in the archive with different values: archive has " + diff).where(
                ~this_import, "same key as " + clash["earlier_file"].astype("str") + " row "
                + clash["earlier_row"].astype("Int64").astype("str") + " of this import, with different values: it has "
                + diff)
            issues.append(issue_rows(clash["_row"].to_numpy(), "+".join(key), reasons.astype("str")))
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
                    issue_rows(bad["_row"].to_numpy(), col,
                            ("unknown " + col + " " + bad["value"].astype(str)
                             + f": not in the archive's {ref_table} table").reset_index(drop=True))
                )
                con.execute("DELETE FROM _planlib_cand WHERE _row IN (SELECT unnest(?::BIGINT[]))",
                            [bad["_row"].tolist()])
        if table == "regions":
            issues.extend(_check_region_ids_ignoring_case(con))
            issues.extend(_check_region_parents(con))
        if table == "people":
            issues.extend(_check_people(con))
    finally:
        con.unregister("_planlib_in")
    kept_issues = pd.concat([NO_ISSUES, *issues], ignore_index=True)
    return kept_issues, np.concatenate(unchanged) if unchanged else np.array([], dtype="int64")


def _check_region_ids_ignoring_case(con: duckdb.DuckDBPyConnection) -> list[pd.DataFrame]:
    """
    Regions: an id equal to another ignoring case (``p01c01k01`` beside ``P01C01K01``), in the
    archive or in this file, is rejected (every such row of the file): region ids become
    folder names, and Windows and macOS do not tell them apart.
    """
    bad = _rows(
        con,
        """
        SELECT c._row, c.region_id,
               (SELECT string_agg(a.region_id, ', ' ORDER BY a.region_id) FROM regions a
                WHERE lower(a.region_id) = lower(c.region_id) AND a.region_id <> c.region_id) AS archived,
               (SELECT string_agg(CAST(d._row AS VARCHAR), ', ' ORDER BY d._row) FROM _planlib_cand d
                WHERE lower(d.region_id) = lower(c.region_id) AND d.region_id <> c.region_id) AS in_file
        FROM _planlib_cand c
        WHERE EXISTS (SELECT 1 FROM regions a WHERE lower(a.region_id) = lower(c.region_id)
                      AND a.region_id <> c.region_id)
           OR EXISTS (SELECT 1 FROM _planlib_cand d WHERE lower(d.region_id) = lower(c.region_id)
                      AND d.region_id <> c.region_id)
        """,
    )
    if bad.empty:
        return []
    tail = ": region ids become folder names, which Windows and macOS do not tell apart by case"
    reason = np.where(
        bad["archived"].notna(),
        "region id " + bad["region_id"] + " equals the archive's " + bad["archived"].fillna("") + " ignoring case" + tail,
        "region id " + bad["region_id"] + " equals row(s) " + bad["in_file"].fillna("") + " of this file ignoring case"
        + tail,
    )
    con.execute("DELETE FROM _planlib_cand WHERE _row IN (SELECT unnest(?::BIGINT[]))", [bad["_row"].tolist()])
    return [pd.DataFrame({"row": bad["_row"].to_numpy(), "field": "region_id", "reason": reason})]


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


def _check_people(con: duckdb.DuckDBPyConnection) -> list[pd.DataFrame]:
    """
    People: one person is one name, role and region, and either carries the region as a whole
    (one row without a terminal) or serves terminals, each inside that region.

    A row whose person is archived with another name, role or region_id, or the other way of
    carrying (a row without terminal beside terminal rows), is rejected; within the file, a
    person whose rows disagree so is rejected whole (which row is right is not known); a
    terminal outside the person's region (not in its subtree) is rejected.
    """
    issues: list[pd.DataFrame] = []

    def drop(rows: np.ndarray, field: str | np.ndarray, reasons: pd.Series | np.ndarray) -> None:
        issues.append(pd.DataFrame({"row": rows, "field": field, "reason": np.asarray(reasons, dtype=object)}))
        con.execute("DELETE FROM _planlib_cand WHERE _row IN (SELECT unnest(?::BIGINT[]))", [rows.tolist()])

    # 1. against the archive's rows of the same person
    cand = _rows(con, "SELECT _row, person_id, name, role, region_id, terminal_id FROM _planlib_cand")
    arch = _rows(con, "SELECT person_id, any_value(name) AS a_name, any_value(role) AS a_role, "
                      "any_value(region_id) AS a_region, bool_or(terminal_id IS NULL) AS a_whole FROM people "
                      "WHERE person_id IN (SELECT person_id FROM _planlib_cand) GROUP BY person_id")
    m = cand.merge(arch, on="person_id", how="inner")
    if len(m):
        other = (m["name"] != m["a_name"]) | (m["role"] != m["a_role"]) | (m["region_id"] != m["a_region"])
        whole = m["terminal_id"].isna()
        mixed = ~other & (whole != m["a_whole"])
        if other.any():
            o = m[other]
            drop(o["_row"].to_numpy(), "person_id", "person " + o["person_id"] + " is in the archive as "
                 + o["a_name"] + ", " + o["a_role"] + ", region " + o["a_region"]
                 + ": a person's rows share name, role and region_id")
        if mixed.any():
            o = m[mixed]
            drop(o["_row"].to_numpy(), "terminal_id", np.where(
                o["a_whole"], "person " + o["person_id"] + " carries region " + o["a_region"]
                + " as a whole in the archive (a row without terminal_id), so serves no single terminal",
                "person " + o["person_id"] + " serves terminals in the archive, so cannot also carry region "
                + o["a_region"] + " as a whole (a row without terminal_id)"))
    # 2. within the file: a person's rows disagree on who they are or how they carry the region
    cand = _rows(con, "SELECT _row, person_id, name, role, region_id, terminal_id FROM _planlib_cand")
    if len(cand):
        person = cand["person_id"]
        n_who = (cand["name"] + "\x1f" + cand["role"] + "\x1f" + cand["region_id"]).groupby(person).transform("nunique")
        n_whole = cand["terminal_id"].isna().groupby(person).transform("nunique")
        bad = (n_who > 1) | (n_whole > 1)
        if bad.any():
            b = cand[bad].assign(n_who=n_who[bad])
            rows = b.groupby("person_id")["_row"].agg(lambda r: ", ".join(str(x) for x in sorted(r)))
            b = b.assign(rows=b["person_id"].map(rows))
            reason = np.where(
                b["n_who"] > 1,
                "rows " + b["rows"] + " of this file give person " + b["person_id"]
                + " different name, role or region_id: a person's rows share them",
                "rows " + b["rows"] + " of this file give person " + b["person_id"]
                + " a row without terminal_id (carries the region as a whole) and rows with terminals: "
                "give one or the other")
            drop(b["_row"].to_numpy(), np.where(b["n_who"] > 1, "person_id", "terminal_id"), reason)
    # 3. a served terminal lies in the person's region (the region itself or below it)
    out = _rows(con, """
        WITH RECURSIVE up(region_id, anc) AS (
            SELECT DISTINCT t.region_id, t.region_id FROM _planlib_cand c JOIN terminals t USING (terminal_id)
            UNION ALL
            SELECT up.region_id, r.parent_id FROM up JOIN regions r ON r.region_id = up.anc
            WHERE r.parent_id IS NOT NULL)
        SELECT c._row, c.person_id, c.terminal_id, c.region_id, t.region_id AS terminal_region
        FROM _planlib_cand c JOIN terminals t USING (terminal_id)
        WHERE NOT EXISTS (SELECT 1 FROM up WHERE up.region_id = t.region_id AND up.anc = c.region_id)
        ORDER BY c._row""")
    if len(out):
        drop(out["_row"].to_numpy(), "terminal_id", "terminal " + out["terminal_id"] + " lies in region "
             + out["terminal_region"] + ", outside person " + out["person_id"] + "'s region " + out["region_id"])
    return issues


def _rejects_frame(parsed: ParsedFile, issues: pd.DataFrame) -> pd.DataFrame:
    """
    One line per rejected row: source_file (a workbook's with its sheet), row, field, reason,
    then the original values.
    """
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
    head = pd.DataFrame({"source_file": file_label(parsed.source.name, parsed.sheet), "row": summary.index.to_numpy()}, index=summary.index)
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
    sheet: str | None = None,
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
        Input files: CSV (UTF-8, UTF-8 with BOM, GB18030/GBK: one encoding per file),
        XLSX or Parquet. All cells are read as text, so codes like ``0755`` and ``NA``
        survive. Of a workbook, the one sheet whose first row holds the table's headers is
        read (a cover sheet before it is passed over;
        :func:`planlib.archive.parsing.data_sheet`).
    rejects_dir : str or path-like, optional
        Where rejects files go; default ``<archive folder>/rejects``.
    sheet : str, optional
        The sheet to read of each workbook, by name, when several hold the table's headers;
        CSV and Parquet files have none and ignore it.

    Returns
    -------
    ImportReport
        Per-file counts (read = imported + unchanged + rejected), rejects files,
        ignored columns, how many values were normalised, the units applied from
        headers and the hidden workbook rows read.

    Raises
    ------
    DataError
        A whole-file problem (unreadable, unsupported type, a CSV mixing text encodings
        (the first line of each named), empty, required columns missing after header
        mapping, two headers for one column, a unit that does not apply to its column, a
        workbook with no sheet or several sheets holding the table's headers), naming the
        file (a workbook's sheet too) and what is expected; or a run is reading the archive
        (:func:`planlib.archive.reading`; its pid named where the system tells): retry
        after it. Nothing is imported then (the CLI exits 2).

    Notes
    -----
    Headers map through ``schemas.HEADER_ALIASES`` (blanks stripped, lower-cased). A unit
    in a measure's header is applied exactly (``销售额（万元）`` multiplies by 10,000,
    ``销量（千箱）`` by 1,000) or the file is refused (bottles on a volume counted in cases,
    money on a volume, an unknown unit): the rules are in :mod:`planlib.archive.headers`.
    Values are normalised:
    periods to the first day of the month (sales by grain: week -> Monday, day kept;
    ``market`` and ``expenses`` are monthly), numbers by explicit rules (separators,
    full-width digits, 万/亿), Chinese category/channel/level/grain names to codes,
    ``本品``/``自有``/``own`` to ``own``. A sales file without a grain column is monthly,
    without a brand column is the own brand.

    Rows are rejected with a reason for: more fields than the header on a CSV line (an
    unquoted comma in a name), a missing required value, a value that is not
    a number or date, a number beyond 2^53 or infinite (``1e400``), an impossible time
    of day (``2024-03-05 99:99``; a possible time is dropped, the day kept), a date
    before 1900-01-01 (the holiday calendar's first year) or more than two years after
    today, a negative amount, an invalid region id (``schemas.is_valid_region_id``:
    also no device names such as CON or com1), a region id equal to another ignoring
    case (in the archive or the file), a control character other than tab and line breaks
    in a text (``U+000B`` in a name), a value outside the allowed set, an unknown
    reference, a key repeated in the file with different values (all such rows; a row
    repeating one of them exactly says so), or a key already in the archive with
    different values (from an earlier file of the same import: that file and row named). Exact repeats in the file and
    rows identical to archive rows are counted as unchanged, so a re-import adds
    nothing. Keys compare empty parts as equal.

    The rejects file ``<rejects_dir>/<table>-<YYYYmmdd-HHMMSS>-<input stem>.csv`` (UTF-8
    with BOM) has the columns source_file (a workbook's as ``x.xlsx (sheet '数据')``), row
    (the spreadsheet row: header = 1; of a CSV the line the row starts on, a quoted field
    may span lines), field (``(whole row)`` for a CSV line with more fields than the
    header: it is rejected alone, its surplus fields under ``column_8`` …),
    reason, then the row's original values under their original headers. It appears
    only after the transaction commits.

    Rows hidden in a workbook are read as data (as Excel's "Save as CSV" does) and listed
    in the report.
    """
    validate_table(table)
    sources = [Path(f) for f in ([files] if isinstance(files, (str, os.PathLike)) else files)]
    if not sources:
        raise DataError(f"no input files given for {table}")
    today = dt.date.today()
    parsed = [parse_file(src, table, today, sheet=sheet) for src in sources]  # whole-file errors before any write

    given = isinstance(archive, duckdb.DuckDBPyConnection)
    archive_path = _archive_path(archive) if given else Path(archive)  # type: ignore[arg-type]
    with writing(archive_path), OpenArchive(archive, read_only=False) as con:
        if rejects_dir is not None:
            folder = Path(rejects_dir)
        elif archive_path is not None:
            folder = archive_path.parent / "rejects"
        else:
            folder = Path("rejects")
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        results: list[tuple[ParsedFile, int, int, int, Path | None]] = []
        pending: list[tuple[Path, Path]] = []  # (temporary, final)
        taken: set[Path] = set()
        con.execute("BEGIN TRANSACTION")
        try:
            key = list(TABLES[table].key)
            con.execute(f"CREATE OR REPLACE TEMP TABLE {_EARLIER} AS SELECT {_sql_list(key)}, ''::VARCHAR AS _file, "
                        f"0::BIGINT AS _row FROM {table} WHERE false")
            for i, p in enumerate(parsed):
                field_bad = p.issues["row"].unique()
                ok = p.typed[~p.typed.index.isin(field_bad)]
                archive_issues, unchanged = _check_against_archive(con, table, ok)
                issues = pd.concat([p.issues, archive_issues], ignore_index=True)
                rejected_rows = issues["row"].unique()
                new = ok[~ok.index.isin(rejected_rows) & ~ok.index.isin(unchanged)]
                _insert_rows(con, table, new)
                if i < len(parsed) - 1:  # the files after it are told which file a clashing key came from
                    _remember_rows(con, table, new, file_label(p.source.name, p.sheet))
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
            con.execute(f"DROP TABLE IF EXISTS {_EARLIER}")
    for tmp, final in pending:
        os.replace(tmp, final)
    reports = tuple(
        FileImport(
            source=p.source, read=len(p.typed), imported=imported, unchanged=unchanged, rejected=rejected,
            rejects_path=final, ignored_columns=p.ignored, normalised=p.normalised, blank_rows=p.blank_rows,
            units=tuple((c, h, float(10**k)) for c, h, k in p.units), hidden_rows=p.hidden_rows, sheet=p.sheet,
        )
        for p, imported, unchanged, rejected, final in results
    )
    return ImportReport(table=table, archive=archive_path, files=reports)
