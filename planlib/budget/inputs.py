"""
Validated inputs of the budget functions: numbers, amounts and frame columns, with errors
that name the culprits (the item, the region, the row).

Internal to the budget package (not re-exported); plain names so that its modules share them.

Public names
------------
SLACK            relative float slack when comparing amounts with caps and thresholds
number           a finite float, ParamsError naming the argument otherwise
amount_series    a budget Series of non-negative amounts by item
positive_unit    a rounding unit (> 0)
listing          labels for a message: the first ten, then how many in all
require_columns  DataError unless a frame has the columns
float_column     a column as finite floats, DataError naming the rows otherwise
id_column, id_array  an id column as strings, DataError if an id is missing
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from planlib.errors import DataError, ParamsError
from planlib.rounding import format_amount

SLACK = 1e-9  # relative float slack when comparing amounts with caps and thresholds


def number(value, what: str, *, minimum: float | None = None, strict: bool = False) -> float:
    """``value`` as a finite float; ParamsError naming ``what`` otherwise."""
    if isinstance(value, bool):
        raise ParamsError(f"{what} must be a number, got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ParamsError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ParamsError(f"{what} must be finite, got {value!r}")
    if minimum is not None and (x <= minimum if strict else x < minimum):
        bound = "greater than" if strict else "at least"
        raise ParamsError(f"{what} must be {bound} {minimum:g}, got {format_amount(x)}")
    return x


def amount_series(budget, what: str = "budget") -> pd.Series:
    """A budget Series as floats; ParamsError naming items that are NaN, infinite or negative."""
    if not isinstance(budget, pd.Series):
        raise ParamsError(f"{what} must be a Series of amounts indexed by item, got {type(budget).__name__}")
    if budget.index.has_duplicates:
        dup = budget.index[budget.index.duplicated()].unique()
        raise ParamsError(f"{what} names items more than once: {', '.join(map(str, dup))}")
    try:
        values = budget.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise ParamsError(f"{what} amounts must be numbers") from None
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        items = ", ".join(map(str, budget.index[bad]))
        raise ParamsError(f"{what} amounts must be non-negative numbers; not so for {items}")
    return pd.Series(values, index=budget.index, name=budget.name)


def positive_unit(unit) -> float:
    """A rounding unit as a float greater than 0; ParamsError otherwise."""
    return number(unit, "unit", minimum=0.0, strict=True)


def listing(labels, limit: int = 10) -> str:
    """Labels for a message: the first ``limit``, then how many in all."""
    labels = [str(x) for x in labels]
    more = f" … ({len(labels)} in all)" if len(labels) > limit else ""
    return ", ".join(labels[:limit]) + more


def require_columns(frame, required: Sequence[str], what: str) -> None:
    """DataError unless ``frame`` is a DataFrame with the ``required`` columns."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{what} must be a DataFrame, got {type(frame).__name__}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(f"{what} needs columns {', '.join(required)}; missing {', '.join(missing)}")


def float_column(frame: pd.DataFrame, col: str, what: str, labels, *, minimum=None, strict=False) -> np.ndarray:
    """A column as finite floats (above ``minimum``); DataError naming the rows' ``labels`` where it is not."""
    try:
        x = frame[col].to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise DataError(f"{what}: {col} must hold numbers") from None
    bad = ~np.isfinite(x)
    cond = "a finite number"
    if minimum is not None:
        bad |= (x <= minimum) if strict else (x < minimum)
        cond = f"a number {'greater than' if strict else 'at least'} {minimum:g}"
    if bad.any():
        raise DataError(f"{what}: {col} must be {cond}; not so for {listing(np.asarray(labels, dtype=object)[bad])}")
    return x


def id_column(frame: pd.DataFrame, col: str, what: str) -> pd.Series:
    """An id column as a string Series on a fresh 0..n-1 index; DataError if an id is missing."""
    values = frame[col]
    missing = values.isna().to_numpy()
    if missing.any():
        raise DataError(f"{what}: {col} is missing in rows {listing(np.flatnonzero(missing))}")
    return values.astype("str").reset_index(drop=True)


def id_array(frame: pd.DataFrame, col: str, what: str) -> np.ndarray:
    """An id column as an object array of str; DataError if an id is missing."""
    return id_column(frame, col, what).to_numpy(dtype=object)
