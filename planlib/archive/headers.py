"""
An input file's header row read as archive columns and the units they are written in.

Public: :func:`map_headers` (headers -> a :class:`HeaderMap`: column positions, ignored
headers, and each measure column's unit as a power of ten), :func:`header_columns` (the
columns a row of headers names, never raising: to tell a workbook's data sheet) and
:data:`BLANKS` (what an import strips around text).

Headers map through ``schemas.TABLE_HEADER_ALIASES`` of the table, then
``schemas.HEADER_ALIASES`` (blanks stripped, lower-cased). A unit
may follow the name in brackets (``销售额（万元）``, ``revenue (10k yuan)``, ``销量【千箱】``),
after a slash (``销售额/万元``) or directly (``销售额万元``). It is never dropped:

- on a money column (revenue, market_revenue, amount, cost, unit_price,
  unit_variable_cost): 元, 千元, 万元, 十万元, 百万元, 千万元, 亿元, yuan, RMB, CNY,
  k yuan, 10k yuan, million yuan, 100m yuan; prices also per case (元/箱, yuan/case);
- on a volume column (volume, market_volume), counted in cases: 箱, 件 (the trade's
  shipping case), 千箱, 万箱, 千件, 万件, case(s), carton(s), ctn;
- on either: a bare scale 千, 万, 十万, 百万, 千万, 亿, k, 10k, million.

The value is multiplied by the unit's power of ten, exactly (``0.72`` under ``万元`` is
``7200``). A money unit on a volume column, a count unit on a money column, a bottle
unit (瓶, 支, 罐, 听, bottle, can; the archive counts cases and a case holds a
product-specific number of bottles) or any other unit on a measure column refuses the
file, naming the header. Text in brackets after a non-measure header (``日期（月）``) is
a label and is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from planlib.errors import DataError
from planlib.schemas import HEADER_ALIASES, TABLE_HEADER_ALIASES, TABLES

__all__: list[str] = []

#: Characters stripped around headers and values (also the full-width space and BOM).
BLANKS = " \t\r\n\v\f\u3000\u00a0\ufeff\u200b"

#: Measure columns by what they count.
MONEY_COLUMNS = frozenset({"revenue", "market_revenue", "amount", "cost", "unit_price", "unit_variable_cost"})
PRICE_COLUMNS = frozenset({"unit_price", "unit_variable_cost"})
VOLUME_COLUMNS = frozenset({"volume", "market_volume"})

#: Unit spellings (lower-cased, without blanks) -> power of ten.
_MONEY_UNITS = {
    "元": 0, "人民币": 0, "人民币元": 0, "yuan": 0, "rmb": 0, "cny": 0, "¥": 0, "￥": 0,
    "千元": 3, "万元": 4, "十万元": 5, "百万元": 6, "千万元": 7, "亿元": 8, "万元人民币": 4,
    "kyuan": 3, "thousandyuan": 3, "krmb": 3, "rmbk": 3,
    "10kyuan": 4, "tenthousandyuan": 4, "10krmb": 4, "rmb10k": 4,
    "millionyuan": 6, "myuan": 6, "mnyuan": 6, "rmbm": 6, "rmbmn": 6, "mrmb": 6,
    "100myuan": 8, "hundredmillionyuan": 8,
}
_CASE_UNITS = {
    "箱": 0, "件": 0, "case": 0, "cases": 0, "carton": 0, "cartons": 0, "ctn": 0, "ctns": 0,
    "千箱": 3, "万箱": 4, "千件": 3, "万件": 4, "kcases": 3, "thousandcases": 3,
}
_SCALES = {
    "千": 3, "万": 4, "十万": 5, "百万": 6, "千万": 7, "亿": 8,
    "k": 3, "thousand": 3, "10k": 4, "tenthousand": 4, "m": 6, "mn": 6, "million": 6,
}
_BOTTLE_UNITS = frozenset({"瓶", "支", "罐", "听", "bottle", "bottles", "btl", "can", "cans"})
_UNIT_PREFIX = re.compile(r"^(?:单位|unit|units|in)[:：]?")
_BRACKETED = re.compile(r"^(.*?)[（(【\[]([^（()）【】\[\]]*)[）)】\]]$")
_SLASHED = re.compile(r"^(.*?)[/／](.+)$")
_SUFFIXES = sorted([u for u in (*_MONEY_UNITS, *_CASE_UNITS, *_SCALES) if not u.isascii()], key=len, reverse=True)


@dataclass(frozen=True)
class HeaderMap:
    """
    A file's header row read against one archive table.

    Attributes
    ----------
    columns : dict of int -> str
        Header position -> archive column.
    ignored : tuple of str
        Headers that map to no column (as written).
    units : tuple of (str, str, int)
        Per measure column written with a unit: the column, its header as written and
        the power of ten its values are multiplied by (0 for 元 or 箱).
    """

    columns: dict[int, str]
    ignored: tuple[str, ...] = ()
    units: tuple[tuple[str, str, int], ...] = ()


def _clean_header(name: object) -> str:
    return str(name).strip(BLANKS).lower()


def _column(name: str, table: str) -> str | None:
    spec = TABLES[table]
    col = TABLE_HEADER_ALIASES.get(table, {}).get(name) or HEADER_ALIASES.get(
        name, name if name in spec.columns else None)
    return col if col in spec.columns else None


def _split_unit(key: str, table: str) -> tuple[str | None, str | None]:
    """(column, unit text) of a cleaned header; unit None when the header is a name alone."""
    col = _column(key, table)
    if col is not None:
        return col, None
    for pattern in (_BRACKETED, _SLASHED):
        m = pattern.match(key)
        if m:
            col = _column(m.group(1).strip(BLANKS), table)
            if col is not None:
                return col, m.group(2).strip(BLANKS)
    for unit in _SUFFIXES:  # 销售额万元
        if key.endswith(unit):
            col = _column(key[: -len(unit)].strip(BLANKS), table)
            if col is not None:
                return col, unit
    return None, None


def header_columns(headers: list[str] | tuple[str, ...], table: str) -> set[str]:
    """
    The columns of ``table`` a row of headers names (units aside), without checking the row.

    Used to tell which sheet of a workbook holds a table's data; :func:`map_headers` then
    reads that sheet's headers strictly.
    """
    cleaned = (_clean_header(h) for h in headers if str(h).strip(BLANKS))
    return {col for col in (_split_unit(h, table)[0] for h in cleaned) if col is not None}


def _unit_exponent(column: str, unit: str, header: str, source: Path | str) -> int:
    """The power of ten of ``unit`` on ``column``; DataError if it does not apply."""
    u = re.sub(r"\s+", "", _UNIT_PREFIX.sub("", unit.lower().strip(BLANKS)))
    where = f"{source}: header {header!r}"
    known = "money: 元, 千元, 万元, 百万元, 亿元, yuan, 10k yuan; volume in cases: 箱, 件, 千箱, 万箱, cases"
    per = None
    if column in PRICE_COLUMNS and re.search(r"[/／]|per", u):
        u, per = (s.strip() for s in re.split(r"[/／]|per", u, maxsplit=1))
        if per in _BOTTLE_UNITS:
            raise DataError(f"{where}: a price per bottle ({unit}) on column {column!r}, which is per case (箱); "
                            "convert with the product's bottles per case and import again")
        if per not in _CASE_UNITS or _CASE_UNITS[per] != 0:
            raise DataError(f"{where}: unknown unit {unit!r} for {column!r}: expected a price per case, e.g. 元/箱")
    if u in _BOTTLE_UNITS:
        raise DataError(f"{where}: bottles ({unit}) on column {column!r}, which counts cases (箱); a case holds a "
                        "product-specific number of bottles: convert to cases and import again")
    if u in _SCALES:
        return _SCALES[u]
    if column in VOLUME_COLUMNS:
        if u in _CASE_UNITS:
            return _CASE_UNITS[u]
        if u in _MONEY_UNITS:
            raise DataError(f"{where}: a money unit ({unit}) on the volume column {column!r}; "
                            "map the header to a money column or fix the unit")
    elif column in MONEY_COLUMNS:
        if u in _MONEY_UNITS:
            return _MONEY_UNITS[u]
        if u in _CASE_UNITS:
            raise DataError(f"{where}: a count unit ({unit}) on the money column {column!r}; "
                            "map the header to a volume column or fix the unit")
    raise DataError(f"{where}: unknown unit {unit!r} for column {column!r}; known units are {known} "
                    "(or write the values in 元 and cases without a unit)")


def map_headers(headers: list[str], table: str, source: Path | str) -> HeaderMap:
    """
    Read a header row as archive columns and units (rules in the module docstring).

    ``source`` names the file (and a workbook's sheet) in messages.

    Raises
    ------
    DataError
        Two headers for one column, a required column missing, or a unit that does not
        apply to its column; the message names the file and the header.
    """
    spec = TABLES[table]
    mapping: dict[int, str] = {}
    seen: dict[str, str] = {}
    ignored: list[str] = []
    units: list[tuple[str, str, int]] = []
    for pos, header in enumerate(headers):
        written = header.strip(BLANKS)
        if written == "":
            continue
        col, unit = _split_unit(_clean_header(header), table)
        if col is None:
            ignored.append(written)
            continue
        if col in seen:
            raise DataError(
                f"{source}: headers {seen[col]!r} and {written!r} both mean column {col!r} "
                f"of {table}; keep one of them"
            )
        if unit is not None and unit != "" and spec.columns[col] == "DOUBLE":
            units.append((col, written, _unit_exponent(col, unit, written, source)))
        seen[col] = written
        mapping[pos] = col
    missing = [c for c in spec.required if c not in seen]
    if missing:
        hints = []
        for c in missing:
            names = [a for a, t in HEADER_ALIASES.items() if t == c][:4]
            hints.append(f"{c} (e.g. {' / '.join(names)})")
        raise DataError(
            f"{source}: missing required column(s) for {table}: {', '.join(hints)}; "
            f"found headers {[h for h in headers if h.strip(BLANKS)]}"
        )
    return HeaderMap(mapping, tuple(ignored), tuple(units))
