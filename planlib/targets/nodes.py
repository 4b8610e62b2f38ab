"""
The planned regions of an allocation as arrays, and the month pooling of its seeds.

Public names
------------
PlannedNodes       the planned regions (tree order) with index arrays for roll-ups
month_index        0-based calendar month of each date
festival_groups    month groups a moving holiday touched last year or touches in the plan year
festival_free      a month profile with each such group replaced by its mean
realised_price     revenue / volume where volume is positive, else a fallback
MOVING_HOLIDAYS    the holidays whose date moves between years
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib import calendar as cal
from planlib.hierarchy import RegionTree
from planlib.schemas import LEVEL_DEPTH

__all__: list[str] = []

#: Holidays whose date moves between years (lunar); their months are pooled in seeds.
MOVING_HOLIDAYS: tuple[str, ...] = ("spring_festival", "mid_autumn")


def festival_groups(plan_year: int) -> list[list[int]]:
    """Month groups (0-based) touched by a moving holiday's window last year or in the plan year."""
    win = cal.holiday_windows([plan_year - 1, plan_year])
    win = win[win["holiday"].isin(MOVING_HOLIDAYS)]
    groups: list[set[int]] = []
    for holiday in MOVING_HOLIDAYS:
        months: set[int] = set()
        for start, end in win.loc[win["holiday"] == holiday, ["start", "end"]].itertuples(index=False):
            m, e = (start.year, start.month), (end.year, end.month)
            while m <= e:
                if m[0] in (plan_year - 1, plan_year):
                    months.add(m[1] - 1)
                m = (m[0] + m[1] // 12, m[1] % 12 + 1)
        if len(months) > 1:
            months = set(range(min(months), max(months) + 1))
            for g in groups:
                if g & months:
                    g |= months
                    break
            else:
                groups.append(months)
    return [sorted(g) for g in groups]


def festival_free(profile: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    """Each month group replaced by its mean (last axis = 12 months): the holiday's timing removed."""
    out = profile.astype(float).copy()
    for g in groups:
        out[..., g] = out[..., g].mean(axis=-1, keepdims=True)
    return out


class PlannedNodes:
    """The planned regions (tree order) with index arrays for roll-ups."""

    def __init__(self, tree: RegionTree, frame: pd.DataFrame, root: str, deepest: str):
        self.ids = frame["region_id"].to_numpy(dtype=object)
        self.categories = pd.Index(self.ids, dtype=object)  # one Index shared by every part's region column
        self.pos = {rid: i for i, rid in enumerate(self.ids)}
        self.level = frame["level"].to_numpy(dtype=object)
        self.depth = np.array([LEVEL_DEPTH[lv] for lv in self.level])
        self.parent = np.array([self.pos.get(p, -1) for p in frame["parent_id"]], dtype=np.int64)
        self.parent[0] = -1
        self.n = len(self.ids)
        self.leaf = np.ones(self.n, dtype=bool)  # planned units: no planned children
        self.leaf[self.parent[self.parent >= 0]] = False
        self.rank = np.empty(self.n, dtype=np.int64)
        self.rank[np.argsort(self.ids.astype(str), kind="stable")] = np.arange(self.n)
        # each region of the subtree -> its deepest planned ancestor-or-self
        self.home: dict[str, int] = {}
        parents = tree.parents
        for rid in tree.subtree(root):
            r = rid
            while r is not None and r not in self.pos:
                r = parents[r]
            self.home[rid] = self.pos[r] if r is not None else 0

    def index_of(self, region_ids: pd.Series) -> np.ndarray:
        codes, uniq = pd.factorize(region_ids)
        m = np.array([self.home.get(u, -1) for u in uniq], dtype=np.int64)
        out = m[codes] if len(codes) else np.zeros(0, dtype=np.int64)
        return np.where(codes < 0, -1, out)

    def roll_up(self, arr: np.ndarray) -> np.ndarray:
        """Sum values recorded at home nodes into every ancestor (first axis = nodes)."""
        out = arr.copy()
        for dep in sorted(set(self.depth.tolist()), reverse=True):
            kids = np.flatnonzero((self.depth == dep) & (self.parent >= 0))
            np.add.at(out, self.parent[kids], out[kids])
        return out


def month_index(months: pd.Series) -> np.ndarray:
    """The 0-based calendar month (0 = January) of each date."""
    return pd.DatetimeIndex(months).month.to_numpy() - 1


def realised_price(vol: np.ndarray, rev: np.ndarray, fallback) -> np.ndarray:
    """Realised price rev / vol where volume is positive, else the fallback (broadcast)."""
    fb = np.broadcast_to(np.asarray(fallback, dtype=float), vol.shape)
    return np.where(vol > 0, rev / np.where(vol > 0, vol, 1.0), fb)
