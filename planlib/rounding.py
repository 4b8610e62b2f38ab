"""
Exact rounding: amounts in whole multiples of the plan's unit that add up to their total.

Largest-remainder rounding (one total, or one per row) with a deterministic tie-break, and the unit
helpers every split and budget uses. Plain ``round`` loses units (HAZARDS.md: splitting
1,000,000.00 three ways sums to 999,999.99); nothing here does.

Public functions
----------------
round_to_total     largest-remainder rounding to an exact total
largest_remainder  the integer core: units per cell summing to a whole total (per row of a matrix too)
to_units, from_units, check_unit, unit_decimals, is_integral   the plan's unit
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd

from planlib.errors import SplitError

__all__ = ["round_to_total", "largest_remainder", "to_units", "from_units", "check_unit", "unit_decimals",
           "is_integral", "label_rank", "child_labels", "check_amounts", "format_amount", "SNAP"]

SNAP = 1e-9  # relative distance to a whole unit below which a quota counts as whole


def format_amount(x: float) -> str:
    """A readable amount for messages: thousands separators, decimals only if needed."""
    if math.isfinite(x) and abs(x - round(x)) < 1e-9 * max(1.0, abs(x)):
        return f"{int(round(x)):,}"
    return f"{x:,.2f}"


def child_labels(labels, limit: int = 10) -> str:
    items = [str(x) for x in labels]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def check_unit(unit) -> float:
    try:
        u = float(unit)
    except (TypeError, ValueError):
        raise SplitError(f"unit must be a positive number, got {unit!r}") from None
    if not math.isfinite(u) or u <= 0:
        raise SplitError(f"unit must be a positive number, got {unit!r}")
    return u


def is_integral(unit: float) -> bool:
    return float(unit).is_integer()


def unit_decimals(unit: float) -> int:
    exponent = Decimal(repr(float(unit))).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def to_units(amount, unit: float, what: str, *, error: type[Exception] = SplitError) -> int:
    """``amount / unit`` as an exact integer; ``error`` (SplitError) if it is not a whole number of units."""
    try:
        q = float(amount) / unit
    except (TypeError, ValueError):
        raise error(f"{what} must be a number, got {amount!r}") from None
    if not math.isfinite(q):
        raise error(f"{what} must be finite, got {amount!r}")
    k = round(q)
    if abs(q - k) > SNAP * max(1.0, abs(q)):
        raise error(f"{what} {format_amount(float(amount))} is not a multiple of the unit {unit:g}")
    return int(k)


def from_units(k: np.ndarray, unit: float) -> np.ndarray:
    if is_integral(unit):
        return np.asarray(k, dtype=np.int64) * int(unit)
    return np.round(np.asarray(k, dtype=float) * unit, unit_decimals(unit))


def label_rank(index: pd.Index) -> np.ndarray:
    """Rank of each label (0 = lowest); position order when labels do not sort."""
    try:
        order = np.asarray(index.argsort(), dtype=np.int64)
    except TypeError:
        return np.arange(len(index))
    rank = np.empty(len(index), dtype=np.int64)
    rank[order] = np.arange(len(index))
    return rank


def check_amounts(values: np.ndarray, labels, what: str) -> None:
    """SplitError naming the labels whose value is NaN, infinite or negative."""
    labels = list(labels) if labels is not None else list(range(len(values)))
    bad = ~np.isfinite(values)
    if bad.any():
        raise SplitError(f"{what} missing (NaN) or infinite for {child_labels(np.asarray(labels, dtype=object)[bad])}")
    neg = values < 0
    if neg.any():
        raise SplitError(f"{what} negative for {child_labels(np.asarray(labels, dtype=object)[neg])}")


def largest_remainder(quotas: np.ndarray, k_total, rank: np.ndarray, *, snap: bool = True) -> np.ndarray:
    """
    Integers, each floor or ceil of its quota, summing to ``k_total`` (quotas sum to it).

    ``quotas`` is one row (``k_total`` an int) or a matrix of rows, each with its own total
    (``k_total`` an array, one per row); ``rank`` orders the columns for ties (0 first).
    With ``snap`` (the default), quotas within :data:`SNAP` (relative) of a whole number
    count as whole and remainders equal to nine decimals are ties; without it the quotas
    and their remainders are taken exactly as they are (amounts in cents, whose totals
    reach 1e9 units and more, where a relative snap would swallow real remainders).
    Ties go to the lower rank.
    """
    q = np.asarray(quotas, dtype=float)
    if snap:
        near = np.rint(q)
        x = np.where(np.abs(q - near) <= SNAP * np.maximum(1.0, np.abs(q)), near, q)
    else:
        x = q
    base = np.floor(x)
    short = np.asarray(k_total, dtype=np.int64) - base.sum(axis=-1).astype(np.int64)
    if (short < 0).any() or (short > x.shape[-1]).any():  # pragma: no cover - quotas are scaled to k_total
        raise SplitError(f"internal: quotas do not add up to {k_total} units")
    # with snap, equal remainders up to float noise count as ties
    remainder = np.round(x - base, 9) if snap else x - base
    k = base.astype(np.int64)
    if q.ndim == 1:
        order = np.lexsort((rank, -remainder))  # larger remainder first, then lower label
        k[order[:int(short)]] += 1
        return k
    order = np.lexsort((np.broadcast_to(rank, x.shape), -remainder), axis=-1)
    position = np.empty_like(order)
    np.put_along_axis(position, order, np.broadcast_to(np.arange(x.shape[-1]), x.shape), axis=-1)
    return k + (position < short[:, None])


def round_to_total(values, total, *, unit=1):
    """
    Round non-negative amounts to multiples of ``unit`` so that they sum exactly to ``total``.

    Parameters
    ----------
    values : Series or array-like
        Non-negative amounts (floats allowed). If they do not sum to ``total`` they are
        first scaled to it, so shares work as well as amounts.
    total : int or float
        The exact sum wanted; a non-negative multiple of ``unit``.
    unit : int or float, default 1
        Rounding unit (1 yuan, 100 yuan, 0.01 for cents, 6 for a case of six).

    Returns
    -------
    Series or ndarray
        Same shape (a Series keeps its index and name); ``int64`` for a whole-number
        unit, else floats rounded to the unit's decimals.

    Raises
    ------
    SplitError
        If a value is NaN, infinite or negative (the labels are named), ``total`` is
        negative or not a multiple of ``unit``, or all values are zero while ``total``
        is not (use :func:`split_target` for an even split).

    Notes
    -----
    Largest-remainder (Hamilton) rounding. With K = total / unit and quotas
    q_i = K * v_i / sum(v), every child gets floor(q_i) units and the
    K - sum(floor(q_i)) units left over go one each to the largest remainders
    q_i - floor(q_i). Ties go to the lower position (array) or the lower index label
    (Series). Each result is floor or ceil of its quota, so nobody moves by a full unit.

    Examples
    --------
    >>> round_to_total([1/3, 1/3, 1/3], 1_000_000.00, unit=0.01).tolist()
    [333333.34, 333333.33, 333333.33]
    """
    u = check_unit(unit)
    if isinstance(values, pd.Series):
        arr, index = values.to_numpy(dtype=float, na_value=np.nan), values.index
    else:
        arr, index = np.asarray(values, dtype=float), None
        if arr.ndim != 1:
            raise SplitError(f"values must be one-dimensional, got shape {arr.shape}")
    check_amounts(arr, index, "value")
    k_total = to_units(total, u, "total")
    if k_total < 0:
        raise SplitError(f"total must not be negative, got {format_amount(float(total))}")
    s = float(arr.sum())
    if k_total == 0:
        k = np.zeros(len(arr), dtype=np.int64)
    elif s == 0:
        raise SplitError(
            f"cannot round to a total of {format_amount(float(total))}: the values are all zero "
            "(split_target splits evenly in that case)"
        )
    else:
        rank = label_rank(index) if index is not None else np.arange(len(arr))
        k = largest_remainder(arr * (k_total / s), k_total, rank)
    out = from_units(k, u)
    if index is not None:
        return pd.Series(out, index=index, name=values.name)
    return out
