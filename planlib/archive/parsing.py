"""
An input file's rows made archive rows: headers mapped, values normalised, fields checked.

Public: :func:`parse_file` (one file -> a :class:`ParsedFile`: original text, typed
archive columns and the field issues, with no archive access), :func:`data_sheet` (which
sheet of a workbook holds the table), :func:`file_label` (a file, and its sheet, as
messages name it), :func:`issue_rows` and :data:`NO_ISSUES` (the row / field / reason
frame every check returns).

Per file (all vectorised, no Python loop per row)::

    read as text ─ map headers ─ normalise (dates, numbers, names) ─ field checks (pandera)

The checks against the archive (keys, references) are in :mod:`planlib.archive.importer`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from planlib.archive.headers import BLANKS, header_columns, map_headers
from planlib.archive.sources import (
    XLSX_SUFFIXES,
    read_text_grid,
    xlsx_formula_cells,
    xlsx_hidden_rows,
    xlsx_sheet_heads,
)
from planlib.errors import DataError
from planlib.labels import CATEGORY_NAMES, CHANNEL_NAMES, CONTROL_CHARACTERS
from planlib.schemas import (
    CATEGORIES,
    EVENT_KINDS,
    GRAINS,
    LEVELS,
    OWN_BRAND,
    PERSON_EVENT_KINDS,
    PERSON_ROLES,
    TABLES,
    TERMINAL_CLASSES,
    is_valid_region_id,
)

__all__: list[str] = []

#: Tables whose dates are months (the first day of the month); sales follow their grain,
#: the other tables hold calendar days.
MONTHLY_TABLES = frozenset({"market", "expenses", "person_events"})
#: Earliest date an import accepts: the first the holiday calendar knows (planlib.calendar,
#: 1900-2099); the latest is today + :data:`MAX_YEARS_AHEAD` years.
EARLIEST_DATE = dt.date(1900, 1, 1)
MAX_YEARS_AHEAD = 2
#: Largest magnitude a number may have: 2**53, the largest whole number a DOUBLE holds exactly.
LARGEST_NUMBER = float(2**53)
#: Values used when a file lacks a non-required column entirely.
COLUMN_DEFAULTS: dict[str, dict[str, str]] = {"sales": {"grain": "month", "brand": OWN_BRAND}}

_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－＋", "0123456789.,-+")
#: A number: plain, or with groups of three (1,234.5); an exponent or a unit 万/亿, not both.
_NUMBER_RE = (
    r"[+-]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:[eE][+-]?[0-9]+|万|亿)?"
)
_PLAIN_NUMBER_RE = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_DATE_RE = (
    r"^(?:(?P<y1>[0-9]{4})[-/.](?P<m1>[0-9]{1,2})(?:[-/.](?P<d1>[0-9]{1,2}))?"
    r"(?:[ T](?P<hh>[0-9]{1,2}):(?P<mm>[0-9]{2})(?::(?P<ss>[0-9]{2})(?:\.[0-9]*)?)?)?"
    r"|(?P<y2>[0-9]{4})年(?P<m2>[0-9]{1,2})月(?:(?P<d2>[0-9]{1,2})[日号])?"
    r"|(?P<y3>[0-9]{4})(?P<m3>[0-9]{2})(?P<d3>[0-9]{2})?)$"
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
    "role": {
        **{r: r for r in PERSON_ROLES}, "业务员": "salesperson", "销售员": "salesperson",
        "销售代表": "salesperson", "业务代表": "salesperson", "客户经理": "salesperson", "sales": "salesperson",
        "经理": "manager", "城市经理": "manager", "区域经理": "manager", "主管": "manager", "片区经理": "manager",
        "促销员": "promoter", "导购": "promoter", "导购员": "promoter", "内勤": "clerk", "文员": "clerk",
        "跟单员": "clerk",
    },
}
#: ``person_events.kind``: Chinese names of the known kinds; other values must be codes.
_PERSON_EVENT_SPELLINGS = {
    **{k: k for k in PERSON_EVENT_KINDS}, "回款": "collection", "回款额": "collection",
    "回款金额": "collection", "实际回款": "collection", "计划回款": "collection_due", "应收": "collection_due",
    "应收款": "collection_due", "应回款": "collection_due", "漏报": "missing_report", "缺报": "missing_report",
    "未交报表": "missing_report", "流失客户": "lost_customer", "客户流失": "lost_customer",
    "新客户": "new_customer", "新增客户": "new_customer", "新开客户": "new_customer",
    "逾期天数": "late_days", "超期天数": "late_days", "回款逾期天数": "late_days",
}


# ---------------------------------------------------------------------------------------
# normalising
# ---------------------------------------------------------------------------------------
def _strip(s: pd.Series) -> pd.Series:
    """Strip blanks (also full-width space U+3000); empty -> NA."""
    out = s.str.strip(BLANKS)
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


def _scaled(values: pd.Series, exponent: int) -> pd.Series:
    """``values`` x 10**exponent, exactly as written: 0.29 x 10**3 is 290, not 289.99999999999994."""
    if exponent == 0:
        return values
    codes, uniques = pd.factorize(values)  # each distinct value once; NaN -> -1
    moved = np.array([float(Decimal(repr(float(v))).scaleb(exponent)) for v in uniques] + [np.nan])
    return pd.Series(moved[np.where(codes < 0, len(uniques), codes)], index=values.index, dtype="float64")


def _parse_dates(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """
    Parse date and period text.

    Returns
    -------
    dates : Series of datetime64 (the day given, or the first day of a month-only period)
    bad : Series of bool, non-empty text that is not a valid date or period
    month_only : Series of bool, a period without a day (``2024-03``, ``2024年3月``, ``202403``)
    bad_time : Series of bool, a date whose time of day is impossible (``2024-03-05 99:99``)

    Notes
    -----
    Accepted: ``2024-03-05``, ``2024/3/5``, ``2024.03.05``, ``2024年3月5日``, ``20240305``,
    with an optional time (``2024-03-05 14:30`` or ``00:00:00`` from Excel: the day is kept,
    the time dropped; hours 0-23, minutes and seconds 0-59), and month periods ``2024-03``,
    ``2024/3``, ``2024.03``, ``2024年3月``, ``202403``. Any calendar date from year 1 on
    parses; the accepted range is checked afterwards.
    """
    codes, uniques = pd.factorize(text)  # dates repeat: parse each distinct text once
    if len(uniques) < len(text):
        d, b, m, t = _parse_dates(pd.Series(uniques, dtype="str"))
        take = np.where(codes < 0, len(uniques), codes)
        pad = lambda s, fill: np.append(s.to_numpy(), fill)[take]
        return (
            pd.Series(pad(d, np.datetime64("NaT", "us")), index=text.index, dtype="datetime64[us]"),
            pd.Series(pad(b, False), index=text.index, dtype=bool),
            pd.Series(pad(m, False), index=text.index, dtype=bool),
            pd.Series(pad(t, False), index=text.index, dtype=bool),
        )
    present = text.notna()
    g = _half_width(text).str.extract(_DATE_RE)
    year = g["y1"].fillna(g["y2"]).fillna(g["y3"])
    month = g["m1"].fillna(g["m2"]).fillna(g["m3"])
    day = g["d1"].fillna(g["d2"]).fillna(g["d3"])
    matched = year.notna() & present
    month_only = matched & day.isna()
    y = year.where(matched, "2000").astype("int64").to_numpy()
    m = month.where(matched, "1").astype("int64").to_numpy()
    d = day.where(matched & day.notna(), "1").astype("int64").to_numpy()
    valid = matched.to_numpy() & (y >= 1) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31)
    first = ((np.where(valid, y, 2000) - 1970) * 12 + np.where(valid, m, 1) - 1).astype("datetime64[M]")
    days = first.astype("datetime64[D]") + (np.where(valid, d, 1) - 1).astype("timedelta64[D]")
    valid &= days.astype("datetime64[M]") == first  # 2024-02-30 is no day of February
    dates = pd.Series(np.where(valid, days, np.datetime64("NaT")).astype("datetime64[us]"), index=text.index)
    clock = g[["hh", "mm", "ss"]].fillna("0").astype("int64")
    bad_time = pd.Series(valid, index=text.index) & (
        (clock["hh"] > 23) | (clock["mm"] > 59) | (clock["ss"] > 59))
    dates = dates.where(~bad_time)
    bad = present & dates.isna() & ~bad_time
    return dates, bad, month_only & ~bad & ~bad_time, bad_time


def _month_start(d: pd.Series) -> pd.Series:
    return (d - pd.to_timedelta(d.dt.day - 1, unit="D")).astype("datetime64[us]")


def _week_start(d: pd.Series) -> pd.Series:
    return (d - pd.to_timedelta(d.dt.day_of_week, unit="D")).astype("datetime64[us]")


def _control_character_issues(text: pd.Series, column: str) -> pd.DataFrame:
    """
    Issues for the values of a text column holding a control character (:data:`CONTROL_CHARACTERS`).

    The reason names the column and the first such character (``U+000B``), and shows the value
    with each control character written as ``<U+000B>`` (cut to 60 characters).
    """
    first = text.str.extract(f"({CONTROL_CHARACTERS})", expand=False)
    bad = first.notna()
    if not bad.any():
        return NO_ISSUES
    shown = text[bad].str.replace(CONTROL_CHARACTERS, lambda m: f"<U+{ord(m.group(0)):04X}>", regex=True)
    shown = shown.where(shown.str.len() <= 60, shown.str.slice(0, 60) + "…")
    code = first[bad].map(lambda ch: f"U+{ord(ch):04X}")
    return issue_rows(bad.index[bad], column, column + " holds the control character " + code + " (" + shown
                      + "): remove it; a text may hold tabs and line breaks, no other control character")


#: The field of an issue about a row as a whole (its number of fields), not one of its values.
WHOLE_ROW = "(whole row)"


def _long_row_issues(body: pd.DataFrame, long_rows: dict[int, int], width: int) -> pd.DataFrame:
    """
    One issue per CSV row with more fields than the header: how many, and the likely cause.

    Surplus fields that hold something mean a separator inside a value shifted the row;
    empty ones, a separator too many at its end.
    """
    rows = sorted(long_rows)
    reasons = []
    for r in rows:
        n = long_rows[r]
        extra = body.loc[r].iloc[width:n]
        if (extra.str.strip(BLANKS) == "").all():
            reasons.append(f"{n} fields where the header has {width} (the last {n - width} empty: "
                           "a comma too many at the end?)")
        else:
            reasons.append(f"{n} fields where the header has {width}; a comma inside a name needs quotes")
    return issue_rows(rows, WHOLE_ROW, pd.Series(reasons, index=rows, dtype="str"))


def _spell(text: pd.Series, spellings: dict[str, str]) -> pd.Series:
    """Rewrite recognised spellings (compared lower-cased) to codes; keep other values."""
    return text.str.lower().map(spellings).fillna(text).astype("str")


@dataclass
class ParsedFile:
    """
    One file after reading and normalising, before any archive query.

    Attributes
    ----------
    source : Path
        The input file.
    raw : DataFrame
        The original text under the original headers, indexed by file row number.
    typed : DataFrame
        The archive columns, typed, indexed by file row number.
    issues : DataFrame
        row, field, reason: the rows that fail a field check.
    ignored : tuple of str
        Headers that map to no column.
    normalised : tuple of (str, int)
        Per column, how many values were rewritten.
    blank_rows : int
        Completely empty rows skipped.
    units : tuple of (str, str, int)
        Measure columns whose header gave a unit: column, header, power of ten applied.
    hidden_rows : tuple of int
        Data rows hidden in the workbook (file row numbers), read like the others.
    sheet : str or None
        The workbook's sheet read; None for a file that is not a workbook.
    """

    source: Path
    raw: pd.DataFrame  # original text and headers, index = file row number
    typed: pd.DataFrame  # archive columns, typed, index = file row number
    issues: pd.DataFrame  # row, field, reason
    ignored: tuple[str, ...]
    normalised: tuple[tuple[str, int], ...]
    blank_rows: int
    units: tuple[tuple[str, str, int], ...] = ()
    hidden_rows: tuple[int, ...] = ()
    sheet: str | None = None


def file_label(source: Path | str, sheet: str | None = None) -> str:
    """
    A file as messages name it: the path, and for a workbook the sheet read.

    >>> file_label("x3.xlsx", "数据")
    "x3.xlsx (sheet '数据')"
    """
    return f"{source}" if sheet is None else f"{source} (sheet '{sheet}')"


def _quoted(names) -> str:
    return ", ".join(f"'{n}'" for n in names)


def data_sheet(source: Path, table: str, sheet: str | None = None) -> str | None:
    """
    The sheet of a workbook that holds ``table``'s rows; None for a file that is not a workbook.

    A workbook of one sheet is read as it is. Of several, the one sheet whose first row
    names every required column of the table (:func:`planlib.archive.headers.header_columns`)
    is read: a cover or notes sheet before the data is passed over.

    Parameters
    ----------
    source : Path
        The input file.
    table : str
        The archive table.
    sheet : str, optional
        The sheet to read, by name, when the person importing says which.

    Raises
    ------
    DataError
        No sheet of that name (the sheets are listed); several sheets with the table's
        header row (named: say which to read); none (each sheet named with its first row).
    """
    if source.suffix.lower() not in XLSX_SUFFIXES or not source.is_file():
        return None  # not a workbook; a missing file is told by the reader
    heads = xlsx_sheet_heads(source)
    names = [name for name, _ in heads]
    if sheet is not None:
        if sheet not in names:
            raise DataError(f"{source}: no sheet named '{sheet}'; its sheets are {_quoted(names)}")
        return sheet
    if len(heads) == 1:
        return names[0]
    required = TABLES[table].required
    fits = [name for name, head in heads if set(required) <= header_columns(head, table)]
    if len(fits) == 1:
        return fits[0]
    if fits:
        raise DataError(f"{source}: sheets {_quoted(fits)} each have a header row for {table}; say which one to read "
                        "(planlib archive import … --sheet NAME), or keep one data sheet per file")

    def first_row(head: tuple[str, ...]) -> str:
        cells = [c.strip(BLANKS) for c in head if c.strip(BLANKS)]
        shown = ", ".join(cells[:8]) + (", …" if len(cells) > 8 else "")
        return f"first row: {shown}" if cells else "empty"

    listing = ", ".join(f"'{name}' ({first_row(head)})" for name, head in heads)
    raise DataError(f"{source}: no sheet has a header row for {table} in its first row (required columns: "
                    f"{', '.join(required)}); sheets: {listing}; put the headers in the first row of the data sheet")


#: An empty issues frame: one row per problem found in a row's field (row, field, reason).
NO_ISSUES = pd.DataFrame(
    {"row": pd.Series(dtype="int64"), "field": pd.Series(dtype="str"), "reason": pd.Series(dtype="str")}
)


def issue_rows(rows: pd.Index | np.ndarray, column: str, reasons: pd.Series | str) -> pd.DataFrame:
    """
    Issues (row, field, reason) for ``rows`` of a file, all on ``column``.

    Parameters
    ----------
    rows : Index or array of int
        File row numbers (the spreadsheet row: header = 1).
    column : str
        The archive column (or key, ``a+b``) at fault.
    reasons : Series or str
        One reason per row (aligned by position), or one reason for all.
    """
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
            checks.append(pa.Check.ge(pd.Timestamp(EARLIEST_DATE),
                                      error=f"before {EARLIEST_DATE}, the first year the holiday calendar covers"))
            checks.append(pa.Check.le(pd.Timestamp(latest),
                                      error=f"after the latest accepted date {latest} (today + {MAX_YEARS_AHEAD} years)"))
        if col in ("region_id", "parent_id"):
            checks.append(
                pa.Check(
                    _valid_region_ids, name="region_id",
                    error="not a valid region id (letters, digits, '_', '.', '-'; at most 64; not ending in '.'; "
                          "not a device name CON, PRN, AUX, NUL, COM1-9, LPT1-9 in any case or with an extension)",
                )
            )
        pattern = spec.patterns.get(col)
        if pattern is not None:
            checks.append(pa.Check.str_matches(f"^(?:{pattern.pattern})$",
                                               error=f"must be a code matching {pattern.pattern} (lower-case "
                                                     "letters, digits and _, a letter first)"))
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
    return NO_ISSUES


def parse_file(source: Path, table: str, today: dt.date, *, sheet: str | None = None) -> ParsedFile:
    """
    Read one file and normalise it: no archive access, so it runs before the transaction.

    A workbook's data sheet is found by :func:`data_sheet` (``sheet`` names it when
    several hold the table); every message names the sheet read.

    Raises
    ------
    DataError
        A whole-file problem: unreadable, mixed text encodings, empty, required columns
        missing after header mapping, two headers for one column, a unit in a header that
        does not apply to its column, no sheet or several sheets of a workbook with the
        table's headers.
    """
    sheet = data_sheet(source, table, sheet)
    where = file_label(source, sheet)
    text_grid = read_text_grid(source, sheet)
    grid = text_grid.cells
    if grid.shape[0] == 0:
        raise DataError(f"{where}: the {'file' if sheet is None else 'sheet'} is empty; "
                        "expected a header row and data rows")
    headers = grid.iloc[0].tolist()
    body = grid.iloc[1:]
    body.index = pd.Index(grid.index[1:], name="row")  # the spreadsheet row; a CSV row's first line
    blank = (body.apply(lambda c: c.str.strip(BLANKS) == "")).all(axis=1)
    body = body[~blank]
    if body.empty:
        raise DataError(f"{where}: no data rows under the header; expected one row per fact")
    header_map = map_headers([str(h) for h in headers], table, where)
    mapping = header_map.columns
    exponents = {col: k for col, _, k in header_map.units}
    issues = []
    hidden: tuple[int, ...] = ()
    if sheet is not None:
        hidden = tuple(r for r in xlsx_hidden_rows(source, sheet) if r in body.index)
        # a formula Excel never calculated has no saved value: reading gives an empty cell
        lost = [
            (r + 1, mapping[c]) for r, c in xlsx_formula_cells(source, sheet)
            if r >= 1 and c in mapping and r < grid.shape[0] and grid.iat[r, c].strip(BLANKS) == ""
        ]
        if lost:
            issues.append(pd.DataFrame(
                {"row": [r for r, _ in lost], "field": [c for _, c in lost],
                 "reason": "a formula without a saved value: open the file in Excel, save it, import again"}
            ))
    spec = TABLES[table]
    latest = _latest_date(today)
    raw = body.copy()
    raw.columns = [str(h).strip(BLANKS) or f"column_{i + 1}" for i, h in enumerate(headers)]

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
    # control characters in a text (a vertical tab pasted into a name): no XML text, no report can hold them
    for col, typ in spec.columns.items():
        if typ == "VARCHAR" and col in mapping.values():
            issues.append(_control_character_issues(text[col], col))
    # enumerations and known spellings
    for col in spec.columns:
        if spec.columns[col] != "VARCHAR":
            continue
        s = text[col]
        if (table, col) == ("events", "kind"):
            spellings = _EVENT_KIND_SPELLINGS
        elif (table, col) == ("person_events", "kind"):
            spellings = _PERSON_EVENT_SPELLINGS
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
            issues.append(issue_rows(bad.index[bad], col, "not a number (" + text[col][bad] + ")"))
        values = _scaled(values, exponents.get(col, 0))
        huge = values.notna() & ~(values.abs() <= LARGEST_NUMBER)  # inf, 1e400, 400 digits
        if huge.any():
            shown = text[col][huge].str.slice(0, 40).where(text[col][huge].str.len() <= 40,
                                                           text[col][huge].str.slice(0, 40) + "…")
            issues.append(issue_rows(huge.index[huge], col, "out of range (" + shown + "): a number must be finite"
                                     f" and at most {LARGEST_NUMBER:,.0f} (2^53) after its unit"))
            values = values.where(~huge)
        if typ == "INTEGER":
            frac = values.notna() & (values != values.round())
            if frac.any():
                issues.append(issue_rows(frac.index[frac], col, "not a whole number (" + text[col][frac] + ")"))
        if int(rew.sum()):
            rewritten[col] = int(rew.sum())
        typed[col] = values
    # dates
    grain = typed.get("grain")
    for col, typ in spec.columns.items():
        if typ != "DATE":
            continue
        dates, bad, month_only, bad_time = _parse_dates(text[col])
        if bad.any():
            issues.append(issue_rows(bad.index[bad], col, "not a date or month (" + text[col][bad] + ")"))
        if bad_time.any():
            issues.append(issue_rows(bad_time.index[bad_time], col, "impossible time of day ("
                                     + text[col][bad_time] + "): hours 0-23, minutes and seconds 0-59"))
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
                issue_rows(needs_day.index[needs_day], col,
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
    all_issues = pd.concat([NO_ISSUES, *(i for i in issues if len(i))], ignore_index=True)
    # a cell that failed to parse is reported once, with the parse reason
    all_issues = all_issues.drop_duplicates(["row", "field"], keep="first")
    long_rows = {r: n for r, n in text_grid.long_rows.items() if r in body.index}
    if long_rows:  # its values sit under the wrong headers: the one reason is the row's shape
        all_issues = pd.concat([all_issues[~all_issues["row"].isin(list(long_rows))],
                                _long_row_issues(body, long_rows, text_grid.header_fields)], ignore_index=True)
    normalised = tuple((c, rewritten[c]) for c in spec.columns if c in rewritten)
    return ParsedFile(source, raw, frame, all_issues, header_map.ignored, normalised, int(blank.sum()),
                      header_map.units, hidden, sheet)

