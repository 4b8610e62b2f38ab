"""
Tables with two exact margins: biproportional fitting and controlled rounding.

Public functions
----------------
fit_table             biproportional fitting (IPF / RAS) of a seed table to two margins
round_table           controlled rounding of a fitted table: every row and column exact
fit_cells             the same fitting on many sparse tables at once, given as cells
round_cells           the same rounding on many sparse tables at once (one maximum flow)
fit_and_round_cells   fit cells to integer margins and round them (the allocation's tables)
split_groups          largest-remainder split of many groups' totals at once

``fit_table``/``round_table`` work on one labelled table; the ``*_cells`` and
``split_groups`` versions are what :func:`planlib.targets.allocate.allocate_plan` runs on
every table of a level at once.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import maximum_flow

from planlib.errors import PlanWarning, SplitError
from planlib.rounding import (
    SNAP,
    check_amounts,
    check_unit,
    child_labels,
    format_amount,
    from_units,
    to_units,
)

__all__ = ["fit_table", "round_table"]


def _margin(totals, labels: pd.Index, what: str) -> np.ndarray:
    t = totals if isinstance(totals, pd.Series) else pd.Series(np.asarray(totals, dtype=float), index=labels)
    missing = labels.difference(t.index)
    if len(missing):
        raise SplitError(f"{what} missing for {child_labels(missing)}")
    arr = t.reindex(labels).to_numpy(dtype=float, na_value=np.nan)
    check_amounts(arr, labels, what)
    return arr


def fit_table(seed: pd.DataFrame, row_totals, col_totals, *, tol: float = 1e-9, max_iter: int = 1000) -> pd.DataFrame:
    """
    Fit a seed table to given row and column totals (biproportional fitting, IPF / RAS).

    Parameters
    ----------
    seed : DataFrame
        Non-negative seed (e.g. last year's region x month sales). Zeros are structural:
        they stay zero.
    row_totals, col_totals : Series or array-like
        Wanted margins, aligned to ``seed.index`` / ``seed.columns``; non-negative,
        with equal grand totals.
    tol : float, default 1e-9
        Stop when every row and column sum is within ``tol * max(1, |total|)`` of its total.
    max_iter : int, default 1000
        Row-and-column rounds before giving up.

    Returns
    -------
    DataFrame
        Fitted floats, same labels as ``seed``.

    Raises
    ------
    SplitError
        NaN/negative seed or totals, margins that disagree in total, or margins the seed's
        zero pattern cannot reach (no convergence; the largest gap is given).

    Warns
    -----
    PlanWarning
        When a row (column) with a positive total has an all-zero seed: it is seeded
        evenly over the columns (rows) whose total is positive.

    Notes
    -----
    x_ij = a_i * seed_ij * b_j. Alternately a_i <- r_i / sum_j seed_ij b_j and
    b_j <- c_j / sum_i a_i seed_ij (0 where the denominator is 0) until both margins hold:
    the minimum-information (Kullback-Leibler) table with those margins that keeps the
    seed's zeros (Deming & Stephan 1940; Stone's RAS). A row whose total is 0 ends all zero.
    """
    s = seed.to_numpy(dtype=float, na_value=np.nan, copy=True)
    if s.size and (~np.isfinite(s)).any():
        rows = seed.index[(~np.isfinite(s)).any(axis=1)]
        raise SplitError(f"seed missing (NaN) or infinite in rows {child_labels(rows)}")
    if (s < 0).any():
        raise SplitError(f"seed negative in rows {child_labels(seed.index[(s < 0).any(axis=1)])}")
    r = _margin(row_totals, seed.index, "row total")
    c = _margin(col_totals, seed.columns, "column total")
    grand = max(1.0, float(r.sum()), float(c.sum()))
    if abs(r.sum() - c.sum()) > 1e-9 * grand:
        raise SplitError(
            f"row totals sum to {format_amount(float(r.sum()))} but column totals to {format_amount(float(c.sum()))} "
            f"(differ by {format_amount(float(r.sum() - c.sum()))}): the margins must agree"
        )
    empty_rows = (r > 0) & (s.sum(axis=1) == 0)
    if empty_rows.any():
        warnings.warn(
            f"rows {child_labels(seed.index[empty_rows])} have a total but no seed: spread evenly over the columns",
            PlanWarning,
            stacklevel=2,
        )
        s[empty_rows] = (c > 0).astype(float)
    empty_cols = (c > 0) & (s.sum(axis=0) == 0)
    if empty_cols.any():
        warnings.warn(
            f"columns {child_labels(seed.columns[empty_cols])} have a total but no seed: spread evenly over the rows",
            PlanWarning,
            stacklevel=2,
        )
        s[:, empty_cols] = (r > 0).astype(float)[:, None]
    r_tol = tol * np.maximum(1.0, np.abs(r))
    c_tol = tol * np.maximum(1.0, np.abs(c))
    b = np.ones(s.shape[1])
    x = s
    gap = np.inf
    for _ in range(max_iter):
        rs = s @ b
        a = np.divide(r, rs, out=np.zeros_like(r), where=rs > 0)
        cs = a @ s
        b = np.divide(c, cs, out=np.zeros_like(c), where=cs > 0)
        x = s * a[:, None] * b[None, :]
        row_gap = np.abs(x.sum(axis=1) - r)
        col_gap = np.abs(x.sum(axis=0) - c)
        if (row_gap <= r_tol).all() and (col_gap <= c_tol).all():
            break
        gap = max(float(row_gap.max(initial=0.0)), float(col_gap.max(initial=0.0)))
    else:
        raise SplitError(
            f"the table did not fit its margins in {max_iter} rounds (largest gap {gap:.6g}): "
            "the seed's zeros leave some totals unreachable, or raise max_iter"
        )
    return pd.DataFrame(x, index=seed.index, columns=seed.columns)


def round_table(table: pd.DataFrame, row_totals, col_totals, *, unit=1) -> pd.DataFrame:
    """
    Round a table to multiples of ``unit`` keeping every row and column total exact.

    Parameters
    ----------
    table : DataFrame
        Fractional amounts whose margins equal ``row_totals`` and ``col_totals``
        (e.g. from :func:`fit_table`); within half a unit in all is tolerated.
    row_totals, col_totals : Series or array-like
        Multiples of ``unit``, aligned to ``table.index`` / ``table.columns``.
    unit : int or float, default 1
        Rounding unit.

    Returns
    -------
    DataFrame
        Same labels; every cell is floor or ceil of its value in units; every row and
        column sums exactly to its total. ``int64`` for a whole-number unit.

    Raises
    ------
    SplitError
        A NaN cell, a total that is not a multiple of ``unit``, or a table whose margins
        are off their totals (fit it first with :func:`fit_table`).

    Notes
    -----
    Controlled rounding as a transportation problem. With x_ij in units, f_ij = floor(x_ij)
    and the fractional parts e_ij = x_ij - f_ij, row i must round up
    R_i = r_i - sum_j f_ij cells and column j must round up C_j = c_j - sum_i f_ij cells.
    Network: source -> row i (capacity R_i) -> column j (capacity 1 where e_ij > 0) ->
    sink (capacity C_j). The fractions e_ij are a feasible fractional flow of value sum R_i,
    so an integral maximum flow of that value exists (integrality theorem); cells carrying
    flow round up. Solved with ``scipy.sparse.csgraph.maximum_flow`` (Dinic), which is
    exact, so the rounding never fails on a consistent table. Which of the equally valid
    roundings comes out is decided by the solver, deterministically for the same input.
    """
    u = check_unit(unit)
    vals = table.to_numpy(dtype=float, na_value=np.nan)
    if vals.size and (~np.isfinite(vals)).any():
        raise SplitError(f"table missing (NaN) or infinite in rows {child_labels(table.index[(~np.isfinite(vals)).any(axis=1)])}")
    r_amt = _margin(row_totals, table.index, "row total")
    c_amt = _margin(col_totals, table.columns, "column total")
    r = np.array([to_units(v, u, f"row total {lab}:") for lab, v in zip(table.index, r_amt)], dtype=np.int64)
    c = np.array([to_units(v, u, f"column total {lab}:") for lab, v in zip(table.columns, c_amt)], dtype=np.int64)
    if r.sum() != c.sum():
        raise SplitError(
            f"row totals sum to {format_amount(r.sum() * u)} but column totals to {format_amount(c.sum() * u)}: the margins must agree"
        )
    x = vals / u
    near = np.rint(x)
    x = np.where(np.abs(x - near) <= SNAP * np.maximum(1.0, np.abs(x)), near, x)
    base = np.floor(x)
    frac = x - base
    row_gap = np.abs(x.sum(axis=1) - r)
    col_gap = np.abs(x.sum(axis=0) - c)
    if row_gap.sum() >= 0.5 or col_gap.sum() >= 0.5:
        worst = ("row", table.index[int(row_gap.argmax())], row_gap.max()) if row_gap.max(initial=0) >= col_gap.max(initial=0) \
            else ("column", table.columns[int(col_gap.argmax())], col_gap.max())
        raise SplitError(
            f"the table's margins are off their totals by {row_gap.sum() * u:.6g} over rows and "
            f"{col_gap.sum() * u:.6g} over columns (worst: {worst[0]} {worst[1]} by {worst[2] * u:.6g}): "
            "fit it to the totals first (fit_table)"
        )
    need_r = r - base.sum(axis=1).astype(np.int64)
    need_c = c - base.sum(axis=0).astype(np.int64)
    n_rows, n_cols = x.shape
    up = np.zeros(x.shape, dtype=np.int64)
    if need_r.sum() > 0:
        ii, jj = np.nonzero(frac > 0)
        src, sink = 0, n_rows + n_cols + 1
        tails = np.concatenate([np.full(n_rows, src), 1 + ii, 1 + n_rows + np.arange(n_cols)])
        heads = np.concatenate([1 + np.arange(n_rows), 1 + n_rows + jj, np.full(n_cols, sink)])
        caps = np.concatenate([need_r, np.ones(len(ii), dtype=np.int64), need_c]).astype(np.int32)
        keep = caps > 0
        graph = csr_matrix(
            (caps[keep], (tails[keep], heads[keep])), shape=(sink + 1, sink + 1), dtype=np.int32
        )
        res = maximum_flow(graph, src, sink, method="dinic")
        if res.flow_value != need_r.sum():  # pragma: no cover - excluded by the margin check
            raise SplitError(
                f"controlled rounding found {res.flow_value} of {need_r.sum()} units to round up: "
                "the table's margins do not match its totals"
            )
        flow = res.flow.tocsr()
        cell_flow = np.asarray(flow[1 + ii, 1 + n_rows + jj]).ravel()
        up[ii, jj] = cell_flow > 0
    k = base.astype(np.int64) + up
    return pd.DataFrame(from_units(k, u), index=table.index, columns=table.columns)


_SNAP = 1e-9


def fit_cells(row, col, seed, r_tot, c_tot, *, tol=1e-9, max_iter=2000):
    """
    Biproportional fitting (IPF / RAS) of a sparse table given as cells.

    The same iteration as :func:`fit_table` (x_ij = a_i s_ij b_j), on many
    independent tables at once: rows and columns are global ids, and a table is any set
    of rows and columns linked by cells. Returns (x, converged_rows, converged_cols).

    A table whose seed zeros leave its margins unreachable (a value sold only in a month
    whose target is 0) drives its factors to 0 and infinity and its cells to NaN: its rows
    and columns are reported not converged (:func:`fit_and_round_cells` refits it), the
    other tables are unaffected, and no floating-point warning is raised on the way.
    """
    nr, nc = len(r_tot), len(c_tot)
    b = np.ones(nc)
    a = np.zeros(nr)
    x = seed
    r_tol = tol * np.maximum(1.0, np.abs(r_tot))
    c_tol = tol * np.maximum(1.0, np.abs(c_tot))
    ok_r = ok_c = None
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for _ in range(max_iter):
            rs = np.bincount(row, seed * b[col], nr)
            a = np.divide(r_tot, rs, out=np.zeros(nr), where=rs > 0)
            cs = np.bincount(col, seed * a[row], nc)
            b = np.divide(c_tot, cs, out=np.zeros(nc), where=cs > 0)
            x = seed * a[row] * b[col]
            ok_r = np.abs(np.bincount(row, x, nr) - r_tot) <= r_tol
            ok_c = np.abs(np.bincount(col, x, nc) - c_tot) <= c_tol
            if ok_r.all() and ok_c.all():
                break
    return x, ok_r, ok_c


def round_cells(row, col, x, r_units, c_units):
    """
    Controlled rounding of a sparse fitted table (cells in units): every row and column exact.

    The transportation network of :func:`round_table` over all tables at
    once (they share only the source and the sink, so one maximum flow saturates each).
    """
    nr, nc = len(r_units), len(c_units)
    near = np.rint(x)
    x = np.where(np.abs(x - near) <= _SNAP * np.maximum(1.0, np.abs(x)), near, x)
    base = np.floor(x).astype(np.int64)
    frac = x - base
    need_r = r_units - np.bincount(row, base, nr).astype(np.int64)
    need_c = c_units - np.bincount(col, base, nc).astype(np.int64)
    if (need_r < 0).any() or (need_c < 0).any() or need_r.sum() != need_c.sum():
        raise SplitError("internal: the fitted table's margins are off their totals; it cannot be rounded")
    out = base.copy()
    if need_r.sum() == 0:
        return out
    # only a fractional cell whose row and column both still need units can take one
    cells = np.flatnonzero((frac > 0) & (need_r[row] > 0) & (need_c[col] > 0))
    cell_key = row[cells].astype(np.int64) * nc + col[cells]
    if len(cell_key) > 1 and not (cell_key[1:] > cell_key[:-1]).all():  # most callers give row-major order
        order = np.argsort(cell_key, kind="stable")
        cells, cell_key = cells[order], cell_key[order]
    # the network in CSR form, built directly: source -> rows -> (cells) -> columns -> sink,
    # each node's edges sorted by head (cells are row-major, so by column within a row)
    src, sink = 0, nr + nc + 1
    r_open, c_open = np.flatnonzero(need_r > 0), np.flatnonzero(need_c > 0)
    counts = np.concatenate([[len(r_open)], np.bincount(row[cells], minlength=nr), need_c > 0, [0]])
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    indices = np.concatenate([1 + r_open, 1 + nr + col[cells], np.full(len(c_open), sink)]).astype(np.int32)
    data = np.concatenate([need_r[r_open], np.ones(len(cells), dtype=np.int64), need_c[c_open]]).astype(np.int32)
    graph = csr_matrix((data, indices, indptr), shape=(sink + 1, sink + 1))
    res = maximum_flow(graph, src, sink, method="dinic")
    if res.flow_value != need_r.sum():
        raise SplitError(
            f"controlled rounding placed {res.flow_value} of {need_r.sum()} units: the table's margins disagree"
        )
    flow = coo_matrix(res.flow)
    sel = (flow.data > 0) & (flow.row >= 1) & (flow.row <= nr) & (flow.col > nr) & (flow.col <= nr + nc)
    up_key = (flow.row[sel].astype(np.int64) - 1) * nc + (flow.col[sel].astype(np.int64) - 1 - nr)
    hit = np.searchsorted(cell_key, up_key)
    out[cells[hit]] += 1
    return out


def fit_and_round_cells(block, row, col, seed, r_units, c_units, what: str) -> np.ndarray:
    """
    Fit cells to integer margins and round them, every row and column exact.

    ``block`` is the table id of each cell. Rows (columns) with a positive total but no
    seed are seeded evenly over their table's positive columns (rows), as
    :func:`fit_table` does, with a PlanWarning; a table whose seed zeros
    leave its margins unreachable is refitted with a 10 % independence prior
    (x_ij ∝ r_i c_j) mixed into its seed, with a PlanWarning.
    """
    r = r_units.astype(float)
    c = c_units.astype(float)
    seed = seed.astype(float).copy()
    nr, nc = len(r), len(c)
    rs = np.bincount(row, seed, nr)
    empty_r = (r > 0) & (rs == 0)
    cs = np.bincount(col, seed, nc)
    empty_c = (c > 0) & (cs == 0)
    if empty_r.any() or empty_c.any():
        fill = (empty_r[row] & (c[col] > 0)) | (empty_c[col] & (r[row] > 0))
        seed[fill] = 1.0
        n_r, n_c = int(empty_r.sum()), int(empty_c.sum())
        warnings.warn(
            f"{what}: {n_r} row(s) and {n_c} column(s) have a target but no history: spread evenly",
            PlanWarning, stacklevel=3,
        )
    x, ok_r, ok_c = fit_cells(row, col, seed, r, c)
    if not (ok_r.all() and ok_c.all()):
        bad = np.zeros(int(block.max()) + 1, dtype=bool)
        bad[block[~ok_r[row] | ~ok_c[col]]] = True
        # independence prior per table: r_i * c_j / the table's total
        block_of_row = np.zeros(nr, dtype=np.int64)
        block_of_row[row] = block
        row_total_in_block = np.bincount(block_of_row, r, len(bad))
        prior = r[row] * c[col] / np.where(row_total_in_block[block] > 0, row_total_in_block[block], 1.0)
        mix = bad[block]
        s_sum = np.bincount(block, seed, len(bad))
        p_sum = np.bincount(block, prior, len(bad))
        scale = np.divide(s_sum, p_sum, out=np.ones(len(bad)), where=p_sum > 0)
        seed = np.where(mix, 0.9 * seed + 0.1 * prior * scale[block], seed)
        warnings.warn(
            f"{what}: {int(bad.sum())} table(s) could not reach their margins from last year's pattern; "
            "refitted with a 10% even prior",
            PlanWarning, stacklevel=3,
        )
        x, ok_r, ok_c = fit_cells(row, col, seed, r, c, max_iter=5000)
        if not (ok_r.all() and ok_c.all()):
            raise SplitError(f"{what}: the table did not fit its margins")
    return round_cells(row, col, x, r_units.astype(np.int64), c_units.astype(np.int64))


def split_groups(group, weights, totals, n_groups, labels_rank, what: str) -> np.ndarray:
    """
    Largest-remainder split of each group's integer total over its members (vectorised
    :func:`planlib.rounding.round_to_total`); a group with no weight splits evenly (warned).
    """
    w = np.asarray(weights, dtype=float)
    wsum = np.bincount(group, w, n_groups)
    totals = np.asarray(totals, dtype=np.int64)
    zero = (wsum == 0) & (totals > 0)
    if zero.any():
        w = np.where(zero[group], 1.0, w)
        wsum = np.bincount(group, w, n_groups)
        present = np.bincount(group, minlength=n_groups) > 0
        n = int((zero & present).sum())
        if n:
            warnings.warn(f"{what}: {n} region(s) with a target but no history: split evenly", PlanWarning,
                          stacklevel=3)
    q = np.divide(totals[group] * w, wsum[group], out=np.zeros(len(w)), where=wsum[group] > 0)
    near = np.rint(q)
    q = np.where(np.abs(q - near) <= _SNAP * np.maximum(1.0, q), near, q)
    base = np.floor(q).astype(np.int64)
    short = totals - np.bincount(group, base, n_groups).astype(np.int64)
    rem = np.round(q - base, 9)
    order = np.lexsort((labels_rank, -rem, group))
    g_sorted = group[order]
    start = np.searchsorted(g_sorted, np.arange(n_groups))
    pos = np.arange(len(order)) - start[g_sorted]
    up = np.zeros(len(w), dtype=np.int64)
    up[order[pos < short[g_sorted]]] = 1
    return base + up
