"""
The plan's regions and how recorded facts add up the pyramid.

Actuals are recorded at the county or township (expenses at any level); the plan tracks the
regions of its targets. Every fact is first given its *home* — the nearest tracked region at
or above the one it was recorded in — and then summed into every tracked ancestor, so a
parent's figure is exactly its children's plus its own. The sums are sparse matrix products
(an ancestor-or-self indicator times the facts), which is what makes a national plan's
~11,000 regions add up in a fraction of a second.

Public names
------------
PlanRegions     the tracked regions in tree order, their parents, levels and ancestors
plan_regions    build it from the region tree and the regions a plan tracks
home_codes      each fact's home region (DataError for regions outside the tree or the plan)
nearest_in      each tracked region's nearest ancestor-or-self in a subset
is_within       whether a region lies at or below another
roll_up         sums of facts over every region's subtree, for the regions of a subset
nonzero_cells   the non-zero cells of a roll-up
as_dense        a roll-up as a dense array
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from planlib.errors import DataError, HierarchyError
from planlib.frames import key_codes
from planlib.hierarchy import RegionTree

__all__ = [
    "DENSE_CELLS",
    "PlanRegions",
    "as_dense",
    "home_codes",
    "is_within",
    "nearest_in",
    "nonzero_cells",
    "plan_regions",
    "roll_up",
]

#: A roll-up with at most this many region x column cells is summed on dense arrays (64 MB a value).
DENSE_CELLS = 8_000_000


@dataclass(frozen=True, eq=False)
class PlanRegions:
    """
    The regions a plan tracks, parents before children.

    Attributes
    ----------
    ids : ndarray of str
        Tracked region ids in the tree's depth-first order.
    index : Index
        ``ids`` as an Index (for lookups).
    levels : ndarray of str
        Each region's level.
    parent : ndarray of int
        Position of the nearest tracked ancestor (−1 for the plan's top).
    ancestors : ndarray of int
        n x depth: each region's position, then its tracked ancestors' upwards, −1 padded.
    end : ndarray of int
        One past the last position of each region's tracked subtree: the tracked regions at
        or below region k are the positions k … end[k] − 1 (tree order).
    tree : RegionTree
        The whole tree.
    near : dict
        Every region of the tree -> position of its nearest tracked ancestor-or-self (absent
        when none is tracked: outside the plan).
    """

    ids: np.ndarray
    index: pd.Index
    levels: np.ndarray
    parent: np.ndarray
    ancestors: np.ndarray
    end: np.ndarray
    tree: RegionTree
    near: dict

    @property
    def n(self) -> int:
        return len(self.ids)


def plan_regions(tree: RegionTree, region_ids) -> PlanRegions:
    """
    The tracked regions of a plan (e.g. the regions of its targets) in tree order.

    Raises
    ------
    HierarchyError
        A region id that is not in the tree.
    """
    values = list(region_ids) if isinstance(region_ids, (set, frozenset)) else region_ids
    wanted = {str(r) for r in pd.unique(pd.Series(values, dtype=object).dropna())}
    unknown = sorted(r for r in wanted if r not in tree)
    if unknown:
        raise HierarchyError(f"the plan's regions {', '.join(unknown[:10])} are not in the archive's regions table "
                             f"({len(unknown)} in all): track a plan against the archive it was made from")
    ids = [r for r in tree.ids if r in wanted]
    pos = {r: k for k, r in enumerate(ids)}
    near: dict[str, int] = {}
    parents = tree.parents
    for r in tree.ids:  # parents come first
        if r in pos:
            near[r] = pos[r]
        else:
            p = parents[r]
            if p is not None and p in near:
                near[r] = near[p]
    parent = np.array([near.get(parents[r], -1) if parents[r] is not None else -1 for r in ids], dtype=np.int64)
    chains = []
    for k in range(len(ids)):
        chain = [k]
        while parent[chain[-1]] >= 0:
            chain.append(int(parent[chain[-1]]))
        chains.append(chain)
    depth = max((len(c) for c in chains), default=1)
    anc = np.full((len(ids), depth), -1, dtype=np.int64)
    for k, c in enumerate(chains):
        anc[k, : len(c)] = c
    size = np.ones(len(ids), dtype=np.int64)
    for k in range(len(ids) - 1, -1, -1):  # children come after their parents
        if parent[k] >= 0:
            size[parent[k]] += size[k]
    levels = np.array([tree.levels[r] for r in ids], dtype=object)
    return PlanRegions(np.array(ids, dtype=object), pd.Index(ids, dtype=object), levels, parent, anc,
                       np.arange(len(ids)) + size, tree, near)


def home_codes(regions: PlanRegions, recorded, what: str) -> np.ndarray:
    """
    Each fact's home: the position of the nearest tracked region at or above where it was recorded.

    Parameters
    ----------
    regions : PlanRegions
    recorded : Series
        The region id each fact was recorded in.
    what : str
        The table's name for messages (``actual_sales``).

    Raises
    ------
    DataError
        Facts recorded in a region that is not in the tree, or outside the plan (no tracked
        region at or above it): the regions and their row counts are named.
    """
    codes, uniques = key_codes(recorded if isinstance(recorded, pd.Series) else pd.Series(recorded))
    if (codes < 0).any():
        raise DataError(f"{what}: {int((codes < 0).sum())} row(s) have no region_id")
    labels = pd.Index(uniques).astype("str").tolist()
    unknown = [k for k, u in enumerate(labels) if u not in regions.tree]
    outside = [k for k, u in enumerate(labels) if u in regions.tree and u not in regions.near]
    if unknown or outside:
        counts = np.bincount(codes, minlength=len(labels))
        parts = []
        if unknown:
            parts.append("regions not in the archive's regions table: " + ", ".join(
                f"{labels[k]} ({counts[k]} rows)" for k in unknown[:10]))
        if outside:
            parts.append("regions outside the plan (no planned region at or above them): " + ", ".join(
                f"{labels[k]} ({counts[k]} rows)" for k in outside[:10]))
        raise DataError(f"{what}: " + "; ".join(parts) + ": track only the plan's regions")
    home = np.array([regions.near[u] for u in labels], dtype=np.int64)
    return home[codes]


def is_within(regions: PlanRegions, inner: np.ndarray, outer: np.ndarray) -> np.ndarray:
    """Whether each ``inner`` region (position) is ``outer`` or below it; False where either is −1."""
    inner = np.asarray(inner, dtype=np.int64)
    outer = np.asarray(outer, dtype=np.int64)
    ok = (inner >= 0) & (outer >= 0)
    return ok & (inner >= outer) & (inner < regions.end[np.maximum(outer, 0)])


def nearest_in(regions: PlanRegions, subset: np.ndarray) -> np.ndarray:
    """Each tracked region's nearest ancestor-or-self (position) whose ``subset`` flag is set; −1 if none."""
    out = np.full(regions.n, -1, dtype=np.int64)
    for k in range(regions.n):  # parents come first
        out[k] = k if subset[k] else (out[regions.parent[k]] if regions.parent[k] >= 0 else -1)
    return out


def roll_up(regions: PlanRegions, rows: np.ndarray, cols: np.ndarray, ncols: int, values, subset=None, *,
            subtree: bool = True):
    """
    Sums of facts over every region's subtree, for the regions of ``subset``.

    Parameters
    ----------
    regions : PlanRegions
    rows : int array
        Each fact's home (position among the tracked regions).
    cols : int array
        Each fact's column (e.g. key x 12 + month).
    ncols : int
    values : list of arrays
        The facts' values to add (int64 stays exact; floats as floats).
    subset : bool array, optional
        The regions that get sums (default all). A fact homed in a region outside the
        subset counts in its nearest subset ancestor.
    subtree : bool, default True
        False: every region gets only the facts homed in it (no sums up the tree), and
        facts homed outside the subset are left out.

    Returns
    -------
    (positions, list of matrices)
        The subset's positions among the tracked regions and, per value, a
        len(subset) x ncols matrix (a dense array up to :data:`DENSE_CELLS` cells, else
        CSR; :func:`nonzero_cells` reads either): row i = Σ of the facts in the subtree of
        region i. Whole-number values (cents) stay exact int64.

    Notes
    -----
    Y = U · X with X[i, c] = Σ of the facts homed (within the subset) in i with column c and
    U[a, i] = 1 when a is i or one of its ancestors (both in the subset).
    """
    subset = np.ones(regions.n, dtype=bool) if subset is None else np.asarray(subset, dtype=bool)
    pos = np.flatnonzero(subset)
    where = np.full(regions.n, -1, dtype=np.int64)
    where[pos] = np.arange(len(pos))
    rows = np.asarray(rows, dtype=np.int64)
    home = nearest_in(regions, subset)[rows] if subtree else np.where(subset[rows], rows, -1)
    keep = home >= 0
    r = where[home[keep]]
    c = np.asarray(cols, dtype=np.int64)[keep]
    up = None
    if subtree:
        anc = regions.ancestors[pos]
        anc_sub = np.where(anc >= 0, where[np.maximum(anc, 0)], -1)
        i, d = np.nonzero(anc_sub >= 0)
        up = sparse.csr_matrix((np.ones(len(i), dtype=np.int64), (anc_sub[i, d], i)), shape=(len(pos), len(pos)))
    dense = len(pos) * ncols <= DENSE_CELLS
    flat = r * np.int64(ncols) + c if dense else None
    out = []
    for v in values:
        v = np.asarray(v)[keep]
        whole = v.dtype.kind in "iub"
        if dense:  # cells summed by bincount: exact for whole numbers below 2**53 (cents)
            x = np.bincount(flat, weights=v.astype("float64"), minlength=len(pos) * ncols).reshape(len(pos), ncols)
            y = np.asarray(up @ x) if up is not None else x
            out.append(np.rint(y).astype(np.int64) if whole else y)
        else:
            x = sparse.csr_matrix((v, (r, c)), shape=(len(pos), ncols))
            out.append((up @ x).tocsr() if up is not None else x)
    return pos, out


def as_dense(y) -> np.ndarray:
    """A :func:`roll_up` result as a dense array."""
    return np.asarray(y.toarray()) if sparse.issparse(y) else np.asarray(y)


def nonzero_cells(y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and values of the non-zero cells of a :func:`roll_up` result (dense or sparse)."""
    if sparse.issparse(y):
        coo = y.tocoo()
        nz = coo.data != 0
        return coo.row[nz].astype(np.int64), coo.col[nz].astype(np.int64), coo.data[nz]
    r, c = np.nonzero(y)
    return r, c, y[r, c]
