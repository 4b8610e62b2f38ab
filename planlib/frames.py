"""
Group-by kernels on integer codes: the sums, ratios and lookups every stage builds on.

The review sums a province's half million rows by a dozen different keys; pandas'
group-by re-hashes the text keys and builds an index each time, which costs more than
the sums. These helpers factorise a key once and add up with ``np.bincount``.

Public functions
----------------
at_grain            the rows of one time grain
key_codes           codes and sorted labels of one group key
distinct_positions  each row's position among the distinct values
map_distinct        ``values.map(mapping)`` once per distinct value
mapped_key_codes    :func:`key_codes` of a mapped column without building it
sorted_categorical  a column as a categorical with sorted categories
sum_weights         values to add up as float64, and the dtype of their sum
group_sums          sums over the occurring combinations of several keys
safe_ratio          ``num / den`` where ``den > 0``, else NaN
previous_values     each row's predecessor (within its group)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["at_grain", "key_codes", "distinct_positions", "map_distinct", "mapped_key_codes", "sorted_categorical",
           "sum_weights", "group_sums", "safe_ratio", "previous_values"]


def at_grain(sales: pd.DataFrame, grain: str = "month") -> pd.DataFrame:
    """
    The rows of one time grain; the frame itself when it holds no other grain.

    Filtering copies every column, which is the costliest step on a province's rows,
    so frames already reduced to one grain pass through untouched.
    """
    mask = sales["grain"] == grain
    return sales if bool(mask.all()) else sales[mask]


def key_codes(values) -> tuple[np.ndarray, pd.Index]:
    """
    Codes (−1 where missing) and the sorted distinct values of one group key.

    The order is a group-by's (``sort=True``), so cells come out as a group-by lists them.
    A categorical key is not hashed again: its codes are used (re-ranked if its
    categories are not sorted), and its labels are its categories. Small integers
    (years, months) are counted rather than hashed.
    """
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cat = pd.Categorical(values)
        codes = np.asarray(cat.codes, dtype=np.int64)
        uniques = cat.categories
        if not uniques.is_monotonic_increasing:
            order = uniques.argsort()
            rank = np.empty(len(order) + 1, dtype=np.int64)
            rank[order] = np.arange(len(order))
            rank[-1] = -1
            codes = rank[codes]  # code −1 reads the last slot
            uniques = uniques.take(order)
        if uniques.dtype == object:
            uniques = pd.Index(uniques.to_numpy())
        return codes, uniques
    if isinstance(dtype, np.dtype) and dtype.kind in "iu" and len(values):
        v = np.asarray(values)
        lo, hi = int(v.min()), int(v.max())
        if hi - lo <= 4 * len(v) + 1024:
            present = np.flatnonzero(np.bincount(v - lo, minlength=hi - lo + 1))
            rank = np.zeros(hi - lo + 1, dtype=np.int64)
            rank[present] = np.arange(len(present))
            return rank[v - lo], pd.Index((present + lo).astype(dtype))
    codes, uniques = pd.factorize(values, sort=True)
    uniques = pd.Index(uniques)
    if uniques.dtype == object:  # a group-by infers the labels' type (text in an object column is str)
        uniques = pd.Index(uniques.to_numpy())
    return codes.astype(np.int64, copy=False), uniques


def distinct_positions(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each row's position among the distinct values (missing included), and those values."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat = pd.Categorical(values)
        codes = np.asarray(cat.codes, dtype=np.int64)
        n = len(cat.categories)
        seen = np.bincount(codes + 1, minlength=n + 1)
        used = np.flatnonzero(seen[1:])  # only the categories that occur, as factorize lists values
        position = np.full(n + 1, len(used), dtype=np.int64)  # code −1 (missing) reads the last slot
        position[used] = np.arange(len(used))
        uniques = pd.Series(cat.categories.take(used), dtype=cat.categories.dtype)
        if seen[0]:
            uniques = pd.concat([uniques, pd.Series([np.nan], dtype=cat.categories.dtype)], ignore_index=True)
        return position[codes], uniques
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes, pd.Series(uniques, dtype=values.dtype)


def map_distinct(values: pd.Series, mapping) -> pd.Series:
    """``values.map(mapping)``, looked up once per distinct value instead of once per row."""
    codes, uniques = distinct_positions(values)
    mapped = uniques.map(mapping)
    return pd.Series(mapped.array.take(codes), index=values.index, name=values.name)


def mapped_key_codes(values: pd.Series, mapping) -> tuple[np.ndarray, pd.Index, object]:
    """
    :func:`key_codes` of ``values.map(mapping)`` without building the mapped column.

    Returns the codes, the sorted labels and the dtype the mapped column would have.
    """
    codes, uniques = distinct_positions(values)
    mapped = uniques.map(mapping)
    k, labels = key_codes(mapped)
    return k[codes], labels, mapped.dtype


def sorted_categorical(values: pd.Series) -> pd.Series:
    """The column as a categorical with sorted categories: later group-bys need no hashing."""
    codes, uniques = pd.factorize(values, sort=True)
    return pd.Series(pd.Categorical.from_codes(codes, categories=uniques), index=values.index, name=values.name)


def sum_weights(values) -> tuple[np.ndarray, np.dtype]:
    """Values to add up as float64 (missing as 0, as ``sum`` skips them) and the dtype of their sum."""
    s = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else np.asarray(values)
    kind = s.dtype.kind
    out_dtype = np.dtype("int64") if kind in "iub" else np.dtype("float64")
    w = s.astype(np.float64, copy=False)
    if kind == "f" and np.isnan(w).any():
        w = np.where(np.isnan(w), 0.0, w)
    return w, out_dtype


def group_sums(
    keys: list[np.ndarray], sizes: list[int], values=()
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """
    Sums of ``values`` over the combinations of the ``keys`` codes that occur.

    Parameters
    ----------
    keys : list of int arrays
        One code array per key (from :func:`key_codes`; rows with a −1 are left out, as a
        group-by drops missing keys).
    sizes : list of int
        Number of distinct values of each key.
    values : sequence of arrays or Series
        Columns to add up (missing values count as 0).

    Returns
    -------
    cells : list of int arrays
        Each key's code per occurring combination, in lexicographic (group-by) order.
    sums : list of arrays
        One sum per combination for each of ``values`` (int64 for integer columns).
    counts : int array
        Rows per combination.
    """
    n = len(keys[0])
    valid = np.ones(n, dtype=bool)
    for k in keys:
        valid &= k >= 0
    rows = None if valid.all() else np.flatnonzero(valid)
    flat = None
    size, renumbered = 1, False
    for k, m in zip(keys, sizes):
        k = k if rows is None else k[rows]
        m = max(int(m), 1)
        if flat is None:
            flat = k.astype(np.int64, copy=True)
        else:
            if size * m > 1 << 40:  # keep the combined code small: renumber what occurs (order kept)
                _, flat = np.unique(flat, return_inverse=True)
                size, renumbered = int(flat.max()) + 1 if len(flat) else 0, True
            flat *= m
            flat += k
        size *= m
    if flat is None:
        flat = np.zeros(0, dtype=np.int64)
    if size <= max(4 * len(flat), 1 << 16):  # few possible cells: count them all, keep those with rows
        where, length = flat, size
        counts = np.bincount(flat, minlength=size)
        slot = np.flatnonzero(counts)
        counts = counts[slot]
        if renumbered:
            first = np.zeros(size, dtype=np.int64)
            first[flat[::-1]] = np.arange(len(flat) - 1, -1, -1)
            first = first[slot]
    else:
        cells, first, where, counts = np.unique(flat, return_index=True, return_inverse=True, return_counts=True)
        slot, length, renumbered = None, len(cells), True
    if renumbered:
        pick = first if rows is None else rows[first]
        out_keys = [k[pick] for k in keys]
    else:
        out_keys = list(np.unravel_index(slot, [max(int(m), 1) for m in sizes])) if len(keys) > 1 else [slot]
    sums = []
    for v in values:
        w, dtype = sum_weights(v)
        if rows is not None:
            w = w[rows]
        s = np.bincount(where, weights=w, minlength=length)  # int64 (!) when there are no rows
        s = s if slot is None else s[slot]
        sums.append(s.astype(dtype, copy=False))
    return out_keys, sums, counts


def safe_ratio(num, den) -> np.ndarray:
    """``num / den`` where ``den > 0``, else NaN (``num / den.where(den > 0)``)."""
    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    return num / np.where(den > 0, den, np.nan)


def previous_values(values, groups: np.ndarray | None = None, order: np.ndarray | None = None) -> np.ndarray:
    """
    Each row's predecessor: the value one row up (``shift(1)``), or within its group in
    ``order`` (``groupby(groups).shift(1)`` after sorting by ``order``); NaN for the first.
    """
    v = np.asarray(values, dtype="float64")
    out = np.full(len(v), np.nan)
    if groups is None:
        out[1:] = v[:-1]
        return out
    sort = np.lexsort((order, groups))
    same = groups[sort][1:] == groups[sort][:-1]
    out[sort[1:]] = np.where(same, v[sort][:-1], np.nan)
    return out
