"""
The targets table (DESIGN.md §4): its columns, how its rows are built, which breakdown a row is.

Public names
------------
TARGET_COLUMNS      the columns, key columns first
BREAKDOWN_COLUMNS   the bracketed columns (all empty on a region-month total row)
BREAKDOWNS          the breakdowns :func:`planlib.targets.allocate_plan` writes
DIRECT              the distributor bucket of sales without a distributor
CD_LINE             the terminal_class of a township's one C/D terminals line
TERMINAL_SHEET      the Excel sheet name of the terminal lines
breakdown_of        which breakdown each row of a targets table belongs to
breakdown_codes     the same as codes (0 total, 1 + the position in BREAKDOWNS)
target_rows         the columns of one part of the table from line x month arrays
assemble_targets    one table from its parts
as_categorical      labels as a pandas Categorical
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

__all__ = ["TARGET_COLUMNS", "BREAKDOWNS", "BREAKDOWN_COLUMNS", "TERMINAL_SHEET", "breakdown_of", "breakdown_codes"]

#: Columns of the targets table (DESIGN.md §4), key columns first, then values and basis.
TARGET_COLUMNS: tuple[str, ...] = (
    "region_id", "level", "month", "product_line", "sku", "channel", "terminal_class",
    "terminal_id", "distributor_id", "target_volume", "target_revenue", "last_year_volume", "share",
)

#: The bracketed (breakdown) columns of DESIGN.md §4; all empty on a region-month total row.
BREAKDOWN_COLUMNS: tuple[str, ...] = ("product_line", "sku", "channel", "terminal_class", "terminal_id",
                                      "distributor_id")

#: The breakdowns :func:`allocate_plan` writes, besides the totals.
BREAKDOWNS: tuple[str, ...] = ("product_line", "sku", "channel", "terminal_class", "distributor_id", "terminal")

#: distributor_id of the sales with no distributor (direct supply), one bucket per region-month.
DIRECT = "直供"

#: terminal_class of the one line per township holding its C and D terminals.
CD_LINE = "CD"

TERMINAL_SHEET = "终端"


def as_categorical(values) -> pd.Categorical:
    """``values`` as a Categorical (returned as is when it is one), categories in order of appearance."""
    if isinstance(values, pd.Categorical):
        return values
    codes, uniq = pd.factorize(np.asarray(values, dtype=object))
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniq, dtype=object))


def target_rows(region_ids, level, months, volume, revenue, last_year, share, **keys) -> dict:
    """Columns (line x 12 months, text as categoricals) of the targets table from line x month arrays."""
    region = as_categorical(region_ids)
    n = len(region)
    vol = np.asarray(volume, dtype=np.int64).ravel()
    out: dict = {}
    for col, v in (("region_id", region), ("level", as_categorical(level)), *((c, keys.get(c)) for c in BREAKDOWN_COLUMNS)):
        if v is None:
            out[col] = pd.Categorical.from_codes(np.full(n * 12, -1), categories=pd.Index([], dtype=object))
        else:
            c = as_categorical(v)
            out[col] = pd.Categorical.from_codes(np.repeat(c.codes, 12), categories=c.categories)
    out["month"] = np.tile(months.to_numpy(), n)
    out["target_volume"] = vol
    out["target_revenue"] = np.asarray(revenue, dtype=float).ravel()
    out["last_year_volume"] = np.asarray(last_year, dtype=float).ravel()
    out["share"] = np.asarray(share, dtype=float).ravel()
    return out


def assemble_targets(parts: list[dict]) -> pd.DataFrame:
    """One frame from the parts' columns; text columns are categoricals over all parts."""
    data = {}
    for col in TARGET_COLUMNS:
        pieces = [p[col] for p in parts]
        if isinstance(pieces[0], pd.Categorical):
            data[col] = union_categoricals(pieces)
        else:
            data[col] = np.concatenate(pieces)
    return pd.DataFrame(data, copy=False)  # fresh arrays: no consolidating copy


def breakdown_of(targets: pd.DataFrame) -> pd.Series:
    """
    Which breakdown each row belongs to: ``total``, ``product_line``, ``sku``, ``channel``,
    ``terminal_class``, ``distributor_id`` or ``terminal`` (a named terminal, or a
    township's C/D line). Tables written before the distributor breakdown (no
    ``distributor_id`` column) are read as before.
    """
    names = np.array(("total", *BREAKDOWNS), dtype=object)
    return pd.Series(names[breakdown_codes(targets)], index=targets.index, dtype=object, name="breakdown")


def breakdown_codes(targets: pd.DataFrame) -> np.ndarray:
    """
    :func:`breakdown_of` as codes: 0 for a total row, 1 + the breakdown's position in
    :data:`BREAKDOWNS` otherwise (int8, one per row; no strings compared row by row).
    """
    out = np.zeros(len(targets), dtype=np.int8)
    for k, col in enumerate(("product_line", "sku", "channel", "terminal_class", "distributor_id"), start=1):
        if col not in targets:
            continue
        out[targets[col].notna().to_numpy()] = k
    out[(targets["terminal_id"].notna() | (targets["terminal_class"] == CD_LINE)).to_numpy()] = 1 + BREAKDOWNS.index("terminal")
    return out
