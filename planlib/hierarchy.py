"""
The region tree (HQ -> province -> city -> county -> township): lookups and roll-up.

A parent's figures are the sum of the facts recorded anywhere in its subtree, so
every query for a region goes through :meth:`RegionTree.subtree`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

import pandas as pd

from planlib.errors import HierarchyError
from planlib.schemas import LEVEL_DEPTH, is_valid_region_id

__all__ = ["RegionTree"]


class RegionTree:
    """
    An immutable, validated region tree.

    Parameters
    ----------
    regions : DataFrame
        The archive's ``regions`` table: region_id, name, level, parent_id.

    Raises
    ------
    HierarchyError
        If the table has no single root, a duplicate id, an orphan (a parent_id that
        is not a region), a cycle, an invalid id, or a child whose level is not
        below its parent's.
    """

    def __init__(self, regions: pd.DataFrame) -> None:
        if regions.empty:
            raise HierarchyError("the regions table is empty: import regions before anything else")
        ids = regions["region_id"].astype(str).tolist()
        dup = sorted({i for i in ids if ids.count(i) > 1}) if len(set(ids)) != len(ids) else []
        if dup:
            raise HierarchyError(f"region ids appear more than once: {', '.join(dup[:10])}")
        bad = [i for i in ids if not is_valid_region_id(i)]
        if bad:
            raise HierarchyError(
                f"invalid region ids {bad[:5]}: expected letters, digits, '_', '.', '-' (max 64)"
            )
        # a missing or blank parent_id is the root's (one vectorised isna: per-element pd.isna costs a national tree 0.1 s)
        missing = regions["parent_id"].isna().tolist()
        self._parent: dict[str, str | None] = {
            i: (None if m or str(p).strip() == "" else str(p))
            for i, p, m in zip(ids, regions["parent_id"].tolist(), missing)
        }
        # lists, not the Series: iterating an Arrow-backed column element by element is slow
        self._name: dict[str, str] = dict(zip(ids, regions["name"].astype(str).tolist()))
        self._level: dict[str, str] = dict(zip(ids, regions["level"].astype(str).tolist()))
        roots = [i for i, p in self._parent.items() if p is None]
        if len(roots) != 1:
            raise HierarchyError(f"the region tree needs exactly one root (HQ), found {len(roots)}: {roots[:5]}")
        self.root: str = roots[0]
        orphans = [i for i, p in self._parent.items() if p is not None and p not in self._parent]
        if orphans:
            raise HierarchyError(
                f"regions whose parent_id is not a region: "
                + ", ".join(f"{o} (parent {self._parent[o]})" for o in orphans[:10])
            )
        for i, p in self._parent.items():
            if p is not None and LEVEL_DEPTH.get(self._level[i], -1) <= LEVEL_DEPTH.get(self._level[p], 99):
                raise HierarchyError(
                    f"region {i} ({self._level[i]}) is not below its parent {p} ({self._level[p]})"
                )
        children: dict[str, list[str]] = {i: [] for i in ids}
        for i, p in self._parent.items():
            if p is not None:
                children[p].append(i)
        self._children = {k: tuple(sorted(v)) for k, v in children.items()}
        # depth-first order from the root; a cycle leaves nodes unreached
        order: list[str] = []
        stack = [self.root]
        while stack:
            node = stack.pop()
            order.append(node)
            stack.extend(reversed(self._children[node]))
        if len(order) != len(ids):
            unreached = sorted(set(ids) - set(order))
            raise HierarchyError(f"regions not reachable from {self.root} (a cycle?): {unreached[:10]}")
        self._preorder = tuple(order)
        pos = {n: k for k, n in enumerate(order)}
        # subtree of n = preorder[pos[n] : pos[n] + size[n]]
        size = {n: 1 for n in order}
        for n in reversed(order):
            p = self._parent[n]
            if p is not None:
                size[p] += size[n]
        self._pos, self._size = pos, size
        # each region's ancestors, made on first asking (from its parent's): the tree never changes
        self._ancestors: dict[str, tuple[str, ...]] = {}

    # -- lookups ---------------------------------------------------------------------
    def __contains__(self, region_id: object) -> bool:
        return region_id in self._parent

    def __len__(self) -> int:
        return len(self._parent)

    @property
    def ids(self) -> tuple[str, ...]:
        """All region ids, parents before children (depth-first)."""
        return self._preorder

    @property
    def levels(self) -> Mapping[str, str]:
        """Region id -> level of every region: a read-only view, for loops over many regions."""
        return MappingProxyType(self._level)

    @property
    def parents(self) -> Mapping[str, str | None]:
        """Region id -> parent id (None for the root) of every region: a read-only view."""
        return MappingProxyType(self._parent)

    def check(self, region_id: str) -> str:
        """Return ``region_id`` if it is in the tree, else raise HierarchyError."""
        if region_id not in self._parent:
            raise HierarchyError(f"unknown region id {region_id!r}: not in the archive's regions table")
        return region_id

    def name(self, region_id: str) -> str:
        """The region's display name."""
        return self._name[self.check(region_id)]

    def level(self, region_id: str) -> str:
        """The region's level (hq/province/city/county/township)."""
        return self._level[self.check(region_id)]

    def parent(self, region_id: str) -> str | None:
        """The parent id, or None for the root."""
        return self._parent[self.check(region_id)]

    def children(self, region_id: str) -> tuple[str, ...]:
        """Direct children, sorted by id."""
        return self._children[self.check(region_id)]

    def ancestors(self, region_id: str) -> tuple[str, ...]:
        """Ancestors from the parent up to the root (kept once made: plan-wide steps ask for them by the ten thousand)."""
        chain = self._ancestors.get(region_id)
        if chain is None:
            p = self.parent(region_id)  # an unknown id raises HierarchyError
            chain = () if p is None else (p, *self.ancestors(p))
            self._ancestors[region_id] = chain
        return chain

    def subtree(self, region_id: str) -> tuple[str, ...]:
        """The region and all its descendants (depth-first)."""
        k = self._pos[self.check(region_id)]
        return self._preorder[k : k + self._size[region_id]]

    def child_map(self, region_id: str) -> dict[str, str]:
        """
        Map every descendant of a region to the direct child whose subtree holds it.

        The children map to themselves; the region itself is not in the map. Used to
        roll facts recorded at any depth up to a parent's children.
        """
        out: dict[str, str] = {}
        for child in self.children(region_id):
            for node in self.subtree(child):
                out[node] = child
        return out

    def at_level(self, level: str) -> tuple[str, ...]:
        """All regions of a level, in tree order."""
        return tuple(i for i in self._preorder if self._level[i] == level)

    def ancestor_at(self, region_id: str, level: str) -> str | None:
        """The region itself or its ancestor at ``level``; None if it sits above that level."""
        for r in (region_id, *self.ancestors(region_id)):
            if self._level[r] == level:
                return r
        return None

    def bottom_up(self, region_ids: Iterable[str]) -> list[str]:
        """The given regions ordered so that children come before parents."""
        chosen = {self.check(r) for r in region_ids}
        return [r for r in reversed(self._preorder) if r in chosen]

    def path_label(self, region_id: str) -> str:
        """Names from the root to the region, joined by ' / '."""
        chain = [region_id, *self.ancestors(region_id)]
        return " / ".join(self._name[r] for r in reversed(chain))

    def to_frame(self) -> pd.DataFrame:
        """The tree as a frame in depth-first order with each region's depth."""
        return pd.DataFrame(
            {
                "region_id": list(self._preorder),
                "name": [self._name[r] for r in self._preorder],
                "level": [self._level[r] for r in self._preorder],
                "parent_id": [self._parent[r] for r in self._preorder],
            }
        )
