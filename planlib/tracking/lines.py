"""
The tracking lines: every region's targets beside its actuals, month by month, at every breakdown.

A *line* is one region's one breakdown key (the region's total, a product line, an SKU, a
channel, a terminal class, a named terminal or the C/D terminals' line) with twelve months of
target and actual, in volume and revenue. The targets are the signed plan's rows, read and
never recomputed; the actuals are the plan year's sales, homed to the tracked regions and
summed up the pyramid (:mod:`planlib.tracking.rollup`), so a parent's actual is exactly its
children's plus its own.

Public names
------------
BREAKDOWNS        the tracked breakdowns, in report order
MEASURES          volume and revenue
NO_KEY            the key of actuals without a value in a breakdown (no terminal class …)
TRACKING_COLUMNS  the columns of the tracking frame
Lines             the lines as arrays (line x 12 months)
sales_facts       the actual sales homed to the plan's regions, with every breakdown's keys
build_lines       targets and actuals -> Lines
tracking_frame    Lines -> the long tracking frame with completion and revised targets
month_positions, region_positions, terminal_volumes   helpers of the plan-wide assembly
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planlib.errors import DataError
from planlib.frames import key_codes
from planlib.targets import breakdown_of
from planlib.targets.table import CD_LINE
from planlib.tracking.progress import completion, month_starts, nullable
from planlib.tracking.rollover import revise_matrix
from planlib.tracking.rollup import (
    PlanRegions,
    home_codes,
    is_within,
    nonzero_cells,
    roll_up,
)

__all__ = [
    "BREAKDOWNS",
    "MEASURES",
    "NO_KEY",
    "TRACKING_COLUMNS",
    "Lines",
    "build_lines",
    "month_positions",
    "region_positions",
    "sales_facts",
    "terminal_volumes",
    "tracking_frame",
]

#: The tracked breakdowns, in report order (the targets' distributor lines are not tracked).
BREAKDOWNS = ("total", "product_line", "sku", "channel", "terminal_class", "terminal")

#: The measures of every line.
MEASURES = ("volume", "revenue")

#: The key of actual rows without a value in a breakdown (a sale with no terminal class, no product line).
NO_KEY = "-"

#: Columns of the tracking frame.
TRACKING_COLUMNS = ("region_id", "level", "breakdown", "key", "month", "measure", "target", "actual", "completion",
                    "revised_target")

_KEY_COLUMN = {"product_line": "product_line", "sku": "sku", "channel": "channel", "terminal_class": "terminal_class"}


@dataclass(frozen=True, eq=False)
class Lines:
    """
    The tracking lines as arrays, ordered by region (tree order), breakdown and key.

    Attributes
    ----------
    region : int array
        Position of each line's region among the tracked regions.
    breakdown : object array
        One of :data:`BREAKDOWNS`.
    key : object array
        The key (None for ``total``; a terminal id or :data:`~planlib.targets.table.CD_LINE`
        for ``terminal``).
    target_volume, target_cents : int64 arrays, line x 12
        The plan (volume in its units, revenue in cents).
    actual_volume : float array, line x 12
    actual_cents : int64 array, line x 12
        The actuals (0 where nothing was sold; the months after as-of are 0 here and null in
        the frame).
    """

    region: np.ndarray
    breakdown: np.ndarray
    key: np.ndarray
    target_volume: np.ndarray
    target_cents: np.ndarray
    actual_volume: np.ndarray
    actual_cents: np.ndarray

    def take(self, mask) -> Lines:
        """The lines where ``mask`` holds."""
        return Lines(*(getattr(self, f)[mask] for f in ("region", "breakdown", "key", "target_volume",
                                                       "target_cents", "actual_volume", "actual_cents")))


def month_positions(months, plan_year: int, as_of: pd.Timestamp, what: str) -> np.ndarray:
    """
    Month index 0–11 of each row's month; DataError for rows outside the plan year or after ``as_of``.
    """
    m = pd.DatetimeIndex(pd.to_datetime(months))
    if m.isna().any():
        raise DataError(f"{what}: {int(m.isna().sum())} row(s) have no month")
    year = np.asarray(m.year)
    pos = np.asarray(m.month, dtype=np.int64) - 1
    outside = year != plan_year
    if outside.any():
        raise DataError(f"{what}: {int(outside.sum())} row(s) are outside the plan year {plan_year} "
                        f"(first {m[outside][0]:%Y-%m-%d}): pass the plan year's actuals only")
    late = pos >= as_of.month
    if late.any():
        raise DataError(f"{what}: {int(late.sum())} row(s) are dated after as_of {as_of:%Y-%m-%d} "
                        f"(first {m[late][0]:%Y-%m-%d}): pass the actuals up to the as-of date")
    return pos


def _cents(values) -> np.ndarray:
    v = np.asarray(values, dtype="float64")
    return np.rint(np.nan_to_num(v) * 100.0).astype(np.int64)


def _str_labels(uniques) -> np.ndarray:
    """Labels as an object array of str (vectorised)."""
    if len(uniques) == 0:
        return np.zeros(0, dtype=object)
    return pd.Index(uniques).astype("str").to_numpy(dtype=object)


def _labels_of(values) -> tuple[np.ndarray, np.ndarray]:
    """Codes and labels (str) of a key column; missing values get the label :data:`NO_KEY`."""
    codes, uniques = key_codes(values)
    labels = np.append(_str_labels(uniques), np.array([NO_KEY], dtype=object))
    return np.where(codes >= 0, codes, len(labels) - 1), labels


def region_positions(values, regions: PlanRegions) -> np.ndarray:
    """Each row's region position among the tracked regions (−1 for another region)."""
    codes, uniques = key_codes(values)
    pos = regions.index.get_indexer(_str_labels(uniques))
    return np.where(codes >= 0, pos[np.maximum(codes, 0)] if len(pos) else -1, -1)


def _target_parts(targets: pd.DataFrame, regions: PlanRegions, plan_year: int) -> dict:
    """Per breakdown: region positions, key codes, key labels, month index, volume and cents of the targets' rows."""
    bd = pd.Categorical(breakdown_of(targets), categories=list(BREAKDOWNS) + ["distributor_id"]).codes
    reg = region_positions(targets["region_id"], regions)
    months = pd.DatetimeIndex(pd.to_datetime(targets["month"]))
    if (months.year != plan_year).any():
        raise DataError(f"targets: months outside the plan year {plan_year}")
    mon = np.asarray(months.month, dtype=np.int64) - 1
    vol = targets["target_volume"].to_numpy(dtype=np.int64)
    cents = _cents(targets["target_revenue"])
    parts = {}
    for i, b in enumerate(BREAKDOWNS):
        m = np.flatnonzero(bd == i)
        if b == "total":
            codes, labels = np.zeros(len(m), dtype=np.int64), np.array([None], dtype=object)
        elif b == "terminal":
            t_codes, t_uniques = key_codes(targets["terminal_id"])
            labels = np.append(_str_labels(t_uniques), np.array([CD_LINE], dtype=object))
            codes = np.where(t_codes[m] >= 0, t_codes[m], len(labels) - 1)
        else:
            c, u = key_codes(targets[_KEY_COLUMN[b]])
            codes, labels = c[m], _str_labels(u)
        parts[b] = [reg[m], codes, labels, mon[m], vol[m], cents[m]]
    # a region with lines but no total (a township's C/D line): its total is its lines' sum
    has_total = np.zeros(regions.n, dtype=bool)
    has_total[parts["total"][0]] = True
    t = parts["terminal"]
    add = ~has_total[t[0]]
    if add.any():
        tot = parts["total"]
        parts["total"] = [np.concatenate([tot[0], t[0][add]]), np.zeros(len(tot[0]) + int(add.sum()), dtype=np.int64),
                          tot[2], np.concatenate([tot[3], t[3][add]]), np.concatenate([tot[4], t[4][add]]),
                          np.concatenate([tot[5], t[5][add]])]
    return parts


def sales_facts(actual_sales: pd.DataFrame, regions: PlanRegions, targets: pd.DataFrame, plan_year: int,
                as_of: pd.Timestamp, skus=None) -> dict:
    """
    The actual sales as facts: home region, effective region, month, volume, cents and each breakdown's keys.

    A sale at a named (A/B) terminal counts in the terminal's line region (the county whose
    targets name it) when that region is at or above where the sale was recorded; every other
    sale counts in its home and, in the terminal breakdown, in the home's C/D line.

    Raises
    ------
    DataError
        Rows in regions outside the tree or the plan, SKUs the plan does not know (named with
        their row counts), months outside the plan year or after ``as_of``, missing volumes.
    """
    need = ["region_id", "month", "sku", "channel", "volume", "revenue"]
    missing = [c for c in need if c not in actual_sales.columns]
    if missing:
        raise DataError(f"actual_sales: missing columns {', '.join(missing)}")
    a = actual_sales
    home = home_codes(regions, a["region_id"], "actual_sales")
    mon = month_positions(a["month"], plan_year, as_of, "actual_sales")
    vol = a["volume"].to_numpy(dtype="float64", na_value=np.nan)
    if np.isnan(vol).any():
        raise DataError(f"actual_sales: {int(np.isnan(vol).sum())} row(s) have no volume")
    # SKUs must be the plan's
    if skus is None:
        _, known = key_codes(targets["sku"])
        known = set(_str_labels(known))
    else:
        known = {str(x) for x in skus}
    s_codes, s_uniques = key_codes(a["sku"])
    s_labels = _str_labels(s_uniques)
    unknown = [k for k, x in enumerate(s_labels) if x not in known]
    if unknown or (s_codes < 0).any():
        counts = np.bincount(s_codes[s_codes >= 0], minlength=len(s_labels))
        named = ", ".join(f"{s_labels[k]} ({counts[k]} rows)" for k in unknown[:10])
        none = f"; {int((s_codes < 0).sum())} row(s) without an SKU" if (s_codes < 0).any() else ""
        raise DataError(f"actual_sales: SKUs not in the plan's products: {named or 'none'}{none}: "
                        "import the products and re-run the plan, or leave these rows out")
    # named terminals: a terminal's line region is the region whose targets name it
    tt_codes, tt_uniques = key_codes(targets["terminal_id"])
    has = tt_codes >= 0
    line_region = np.full(len(tt_uniques), -1, dtype=np.int64)
    line_region[tt_codes[has]] = region_positions(targets["region_id"], regions)[has]
    if "terminal_id" in a.columns:
        t_codes, t_uniques = key_codes(a["terminal_id"])
    else:
        t_codes, t_uniques = np.full(len(a), -1, dtype=np.int64), pd.Index([], dtype=object)
    t_labels = _str_labels(t_uniques)
    at = pd.Index(_str_labels(tt_uniques), dtype=object).get_indexer(t_labels) if len(t_labels) else \
        np.zeros(0, dtype=np.int64)
    lr = np.append(np.where(at >= 0, line_region[np.maximum(at, 0)] if len(line_region) else -1, -1), -1)
    L = lr[np.where(t_codes >= 0, t_codes, len(lr) - 1)]
    named_here = is_within(regions, home, L)
    eff = np.where(named_here, L, home)
    t_lab = np.append(t_labels, np.array([CD_LINE], dtype=object))
    keys = {"total": (np.zeros(len(a), dtype=np.int64), np.array([None], dtype=object)),
            "terminal": (np.where(named_here, t_codes, len(t_lab) - 1), t_lab)}
    for b, col in _KEY_COLUMN.items():
        if col in a.columns:
            keys[b] = _labels_of(a[col])
        else:
            keys[b] = (np.zeros(len(a), dtype=np.int64), np.array([NO_KEY], dtype=object))
    return {"home": home, "eff": eff, "month": mon, "volume": vol, "cents": _cents(a["revenue"]),
            "terminal_codes": t_codes, "terminal_labels": t_labels, "plan_year": plan_year,
            "variable_cost_cents": _cents(a["variable_cost"]) if "variable_cost" in a.columns else None,
            "keys": keys}


def terminal_volumes(facts: dict) -> pd.DataFrame:
    """The facts' own volume per terminal and month (terminal_id, month, volume), for the milestones."""
    codes, labels = facts["terminal_codes"], facts["terminal_labels"]
    ok = codes >= 0
    flat = np.bincount(codes[ok] * 12 + facts["month"][ok], weights=facts["volume"][ok], minlength=len(labels) * 12)
    t, m = np.nonzero(flat.reshape(len(labels), 12))
    year = facts["plan_year"]
    return pd.DataFrame({"terminal_id": labels[t], "month": month_starts(year)[m],
                         "volume": flat.reshape(len(labels), 12)[t, m]})


def build_lines(targets: pd.DataFrame, facts: dict, regions: PlanRegions, plan_year: int) -> Lines:
    """
    Every tracked line: the targets' lines and the lines only actuals have, twelve months each.

    A region carries a breakdown when its targets do (every region its total); within it,
    the keys are the targets' and the actuals'. Actuals add up the pyramid (a region's line
    holds every sale in its subtree with that key), except the terminal lines, which are each
    region's own: a county's named terminals and C/D line, a township's C/D line.
    """
    tparts = _target_parts(targets, regions, plan_year)
    out = []
    for b in BREAKDOWNS:
        t_reg, t_codes, t_labels, t_mon, t_vol, t_cents = tparts[b]
        a_codes, a_labels = facts["keys"][b]
        if b == "total":
            labels = np.array([None], dtype=object)
            t_key = np.zeros(len(t_reg), dtype=np.int64)
            a_map = np.zeros(len(a_labels), dtype=np.int64)
        else:
            index = pd.Index(np.unique(np.concatenate([t_labels, a_labels]).astype(str)), dtype=object)
            labels = index.to_numpy(dtype=object)
            t_key = index.get_indexer(t_labels)[t_codes] if len(t_codes) else np.zeros(0, dtype=np.int64)
            a_map = index.get_indexer(a_labels)
        nk = len(labels)
        subset = np.zeros(regions.n, dtype=bool)
        subset[t_reg] = True
        if b == "total":
            subset[:] = True
        if not subset.any():
            continue
        cols = a_map[a_codes] * 12 + facts["month"]
        pos, (yv, yc) = roll_up(regions, facts["eff"], cols, nk * 12, [facts["volume"], facts["cents"]],
                                subset, subtree=(b != "terminal"))
        rv, cv, dv = nonzero_cells(yv)
        rc, cc, dc = nonzero_cells(yc)
        # the lines: the targets' and those where actuals are not zero
        lid_t = t_reg * nk + t_key
        lid_v = pos[rv] * nk + cv // 12
        lid_c = pos[rc] * nk + cc // 12
        lines = np.unique(np.concatenate([lid_t, lid_v, lid_c]))
        n = len(lines)
        where_t = np.searchsorted(lines, lid_t) * 12 + t_mon
        tv = np.bincount(where_t, weights=t_vol.astype("float64"), minlength=n * 12)
        tc = np.bincount(where_t, weights=t_cents.astype("float64"), minlength=n * 12)
        av = np.bincount(np.searchsorted(lines, lid_v) * 12 + cv % 12, weights=dv, minlength=n * 12)
        ac = np.bincount(np.searchsorted(lines, lid_c) * 12 + cc % 12, weights=dc.astype("float64"), minlength=n * 12)
        out.append(Lines(lines // nk, np.full(n, b, dtype=object), labels[lines % nk],
                         np.rint(tv).astype(np.int64).reshape(n, 12), np.rint(tc).astype(np.int64).reshape(n, 12),
                         av.reshape(n, 12), np.rint(ac).astype(np.int64).reshape(n, 12)))
    lines = Lines(*(np.concatenate([getattr(x, f) for x in out]) for f in (
        "region", "breakdown", "key", "target_volume", "target_cents", "actual_volume", "actual_cents")))
    b_rank = pd.Index(BREAKDOWNS).get_indexer(lines.breakdown)
    order = np.lexsort((lines.key.astype(str), b_rank, lines.region))
    return lines.take(order)


def tracking_frame(lines: Lines, regions: PlanRegions, plan_year: int, as_of: pd.Timestamp, *, rollover: str,
                   unit) -> pd.DataFrame:
    """
    The long tracking frame of :data:`TRACKING_COLUMNS`: one row per line, measure and month.

    ``actual`` and ``completion`` are nullable (``<NA>`` for the months after ``as_of``, and
    completion where the month's target is 0); ``revised_target`` is the line's months under
    the ``rollover`` mode (:func:`planlib.tracking.rollover.revise_matrix`), volume at the
    plan's ``unit`` and revenue at the cent, each line's year exact.
    """
    n = len(lines.region)
    started = np.arange(12) < as_of.month
    target = np.stack([lines.target_volume.astype("float64"), lines.target_cents / 100.0], axis=1)  # n x 2 x 12
    actual = np.stack([lines.actual_volume, lines.actual_cents / 100.0], axis=1)
    rv, _ = revise_matrix(lines.target_volume, lines.actual_volume, as_of, rollover, unit, "targets (volume)")
    rc, _ = revise_matrix(lines.target_cents, lines.actual_cents, as_of, rollover, 1, "targets (revenue, cents)")
    revised = np.stack([np.asarray(rv, dtype="float64"), rc / 100.0], axis=1)
    mask = np.broadcast_to(~started, actual.shape).ravel()
    act = nullable(np.where(mask.reshape(actual.shape), np.nan, actual).ravel())
    comp = completion(act, target.ravel())
    region_codes = np.repeat(lines.region, 24)
    level_cat = pd.Categorical(regions.levels)
    keys = pd.Categorical(lines.key)
    data = {
        "region_id": pd.Categorical.from_codes(region_codes, categories=pd.Index(regions.ids, dtype=object)),
        "level": pd.Categorical.from_codes(np.repeat(level_cat.codes[lines.region], 24),
                                           categories=level_cat.categories),
        "breakdown": pd.Categorical.from_codes(np.repeat(pd.Index(BREAKDOWNS).get_indexer(lines.breakdown), 24),
                                               categories=pd.Index(BREAKDOWNS, dtype=object)),
        "key": pd.Categorical.from_codes(np.repeat(keys.codes, 24), categories=keys.categories),
        "month": np.tile(month_starts(plan_year).to_numpy(), n * 2),
        "measure": pd.Categorical.from_codes(np.tile(np.repeat([0, 1], 12), n),
                                             categories=pd.Index(MEASURES, dtype=object)),
        "target": target.ravel(),
        "actual": act,
        "completion": comp,
        "revised_target": revised.ravel(),
    }
    return pd.DataFrame(data, copy=False)
