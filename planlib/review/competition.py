"""
Market and competition: own share of the category, own against each competitor,
and the distributors both sell through.

Inputs are the archive's tidy tables for one region's subtree; monthly figures use
``grain == 'month'`` rows only.

Public names: :func:`market_share`, :func:`brand_growth`, :func:`distributor_review`,
:func:`concentration` (:func:`concentration_row`: the same as one row, a table's shape).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.frames import at_grain
from planlib.frames import group_sums as _group_sums
from planlib.frames import key_codes as _codes
from planlib.frames import mapped_key_codes as _mapped_codes
from planlib.frames import previous_values as _previous
from planlib.frames import safe_ratio as _ratio
from planlib.frames import sum_weights as _weights
from planlib.schemas import OWN_BRAND

__all__ = ["market_share", "brand_growth", "distributor_review", "concentration", "concentration_row"]


def _month_rows(sales: pd.DataFrame) -> pd.DataFrame:
    rows = at_grain(sales)
    return rows if "year" in rows else rows.assign(year=pd.to_datetime(rows["date"]).dt.year.astype("int64"))


def market_share(
    sales: pd.DataFrame,
    market: pd.DataFrame,
    products: pd.DataFrame,
    *,
    by: str = "product_line",
    group_map: dict[str, str] | None = None,
) -> pd.DataFrame:
    """
    Own share of category volume by year and group.

    Parameters
    ----------
    sales, market, products : DataFrame
        Archive rows for one region's subtree.
    by : {"product_line", "region"}
        Group by product line, or by region mapped through ``group_map``.
    group_map : dict, optional
        region_id -> group (e.g. :meth:`RegionTree.child_map`); rows outside it are dropped.

    Returns
    -------
    DataFrame
        year, group, own_volume, competitor_volume, market_volume, own_share,
        competitor_share, share_change (percentage points against the year before).

    Notes
    -----
    own_share = own volume / market volume; a zero or missing market gives NaN.
    """
    rows = _month_rows(sales)
    mkt_year = pd.to_datetime(market["date"]).dt.year.astype("int64")
    if by == "region":
        if group_map is None:
            raise ValueError("by='region' needs group_map")
        kg_s, g_s, dtype_s = _mapped_codes(rows["region_id"], group_map)
        kg_m, g_m, dtype_m = _mapped_codes(market["region_id"], group_map)
    elif by == "product_line":
        if "product_line" in rows:
            kg_s, g_s = _codes(rows["product_line"])
            dtype_s = g_s.dtype
        else:
            kg_s, g_s, dtype_s = _mapped_codes(rows["sku"], products.set_index("sku")["product_line"])
        kg_m, g_m = _codes(market["product_line"])
        dtype_m = g_m.dtype
    else:
        raise ValueError(f"by must be 'product_line' or 'region', got {by!r}")
    # the sales rows and the market rows share one key space: (year, group) cells of either side
    groups = g_s.union(g_m) if len(g_s) and len(g_m) else (g_s if len(g_s) else g_m)
    kg_s, kg_m = _recode(kg_s, groups.get_indexer(g_s)), _recode(kg_m, groups.get_indexer(g_m))
    ky_s, years_s = _codes(rows["year"].to_numpy())
    ky_m, years_m = _codes(mkt_year.to_numpy())
    years = years_s.union(years_m) if len(years_s) and len(years_m) else (years_s if len(years_s) else years_m)
    ky_s, ky_m = _recode(ky_s, years.get_indexer(years_s)), _recode(ky_m, years.get_indexer(years_m))
    volume, _ = _weights(rows["volume"])
    mvol, _ = _weights(market["market_volume"])
    own = (rows["brand"] == OWN_BRAND).to_numpy()
    # each side summed over its own rows (a national subtree's rows are not copied into one long
    # array with the other side's zeros: adding those zeros changed no sum)
    width = max(len(groups), 1)
    size = max(len(years), 1) * width
    cell_s = np.where((ky_s >= 0) & (kg_s >= 0), ky_s * width + kg_s, -1)
    cell_m = np.where((ky_m >= 0) & (kg_m >= 0), ky_m * width + kg_m, -1)
    sums = []
    for cells, weights, keep in ((cell_s, volume, own), (cell_s, volume, ~own), (cell_m, mvol, None)):
        at = np.flatnonzero(cells >= 0 if keep is None else (cells >= 0) & keep)
        sums.append(np.bincount(cells[at], weights=weights[at], minlength=size).astype("float64"))
    seen = np.bincount(cell_s[cell_s >= 0], minlength=size) + np.bincount(cell_m[cell_m >= 0], minlength=size)
    slot = np.flatnonzero(seen)  # the cells with rows on either side, by year then group
    cy, cg = slot // width, slot % width
    own_v, comp_v, cap = (x[slot] for x in sums)
    if not len(cy):  # nothing on either side: the labels keep the type of the side that has some
        groups = groups[:0].astype(dtype_s if (kg_s >= 0).any() or not (kg_m >= 0).any() else dtype_m)
    own_share, comp_share = _ratio(own_v, cap), _ratio(comp_v, cap)
    return pd.DataFrame({
        "year": years.take(cy), "group": groups.take(cg), "own_volume": own_v, "competitor_volume": comp_v,
        "market_volume": cap, "own_share": own_share, "competitor_share": comp_share,
        # the change against the group's previous year on record
        "share_change": own_share - _previous(own_share, cg, cy),
    })  # fmt: skip


def _recode(codes: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Codes into one label set mapped to another (``new[code]``); −1 stays −1."""
    return np.append(new, -1)[codes]  # code −1 reads the appended −1


def brand_growth(sales: pd.DataFrame) -> pd.DataFrame:
    """
    Volume by year and brand with each brand's year-on-year growth.

    Returns
    -------
    DataFrame
        year, brand, volume, revenue, volume_share, volume_growth.
    """
    rows = _month_rows(sales)
    ky, years = _codes(rows["year"])
    kb, brands = _codes(rows["brand"])
    (cy, cb), (volume, revenue), _ = _group_sums([ky, kb], [len(years), len(brands)], [rows["volume"], rows["revenue"]])
    total = np.bincount(cy, weights=volume, minlength=len(years))[cy]
    return pd.DataFrame({
        "year": years.take(cy), "brand": brands.take(cb), "volume": volume, "revenue": revenue,
        "volume_share": volume / np.where(total != 0, total, np.nan),
        # growth against the brand's previous year on record
        "volume_growth": _ratio(volume, _previous(volume, cb, cy)) - 1.0,
    })  # fmt: skip


def distributor_review(sales: pd.DataFrame, distributors: pd.DataFrame, *, year: int) -> pd.DataFrame:
    """
    Own and competitor volume through each distributor in ``year``, with own growth.

    Returns
    -------
    DataFrame
        distributor_id, name, tier, own_volume, competitor_volume, own_share (of the
        distributor's known volume), own_volume_prev, own_growth, trend
        ('growing' / 'shrinking' / 'steady' / 'new' / 'lost'), sorted by own volume.

    Notes
    -----
    trend: growth > +5% growing, < −5% shrinking, else steady; no sales the year
    before is 'new'; none this year but some before is 'lost'.
    """
    rows = _month_rows(sales)
    years = rows["year"].to_numpy()
    cur, prev = years == year, years == year - 1
    kd, ids = _codes(rows["distributor_id"])
    kd = np.where(cur | prev, kd, -1)
    # one pass: the column a row adds to, by brand side and year
    own = (rows["brand"] == OWN_BRAND).to_numpy()
    volume, _ = _weights(rows["volume"])
    (cd,), (own_v, comp_v, own_prev), _ = _group_sums(
        [kd], [len(ids)],
        [np.where(own & cur, volume, 0.0), np.where(~own & cur, volume, 0.0), np.where(own & prev, volume, 0.0)],
    )  # fmt: skip
    ids = ids.take(cd)
    d = distributors[["distributor_id", "name", "tier"]]
    at = pd.Index(d["distributor_id"]).get_indexer(ids) if d["distributor_id"].is_unique else None
    if at is not None and (at >= 0).all():  # the names and tiers by position: every id is listed
        dist_id, name, tier = ids.to_numpy(), d["name"].array.take(at), d["tier"].array.take(at)
    elif at is not None:  # by lookup: an id not listed gets no name
        info = d.set_index("distributor_id").reindex(ids)
        dist_id, name, tier = ids.to_numpy(), info["name"].array, info["tier"].array
    else:  # a left merge when ids repeat
        t = pd.DataFrame({"distributor_id": ids.to_numpy(), "own_volume": own_v, "competitor_volume": comp_v,
                          "own_volume_prev": own_prev}).merge(d, on="distributor_id", how="left")  # fmt: skip
        dist_id, name, tier = (t[c].array for c in ("distributor_id", "name", "tier"))
        own_v, comp_v, own_prev = (t[c].to_numpy() for c in ("own_volume", "competitor_volume", "own_volume_prev"))
    growth = _ratio(own_v, own_prev) - 1.0
    trend = np.select(
        [(own_prev <= 0) & (own_v > 0), (own_prev > 0) & (own_v <= 0), growth > 0.05, growth < -0.05],
        ["new", "lost", "growing", "shrinking"],
        default="steady",
    )
    t = pd.DataFrame({
        "distributor_id": dist_id, "name": name, "tier": tier, "own_volume": own_v, "competitor_volume": comp_v,
        "own_share": _ratio(own_v, own_v + comp_v), "own_volume_prev": own_prev, "own_growth": growth, "trend": trend,
    })  # one construction: inserted columns cost more  # fmt: skip
    rank, _ = _codes(t["distributor_id"])
    order = np.lexsort((rank, -t["own_volume"].to_numpy(dtype="float64")))
    return t.take(order).reset_index(drop=True)


def concentration(values: pd.Series, *, tops: tuple[int, ...] = (1, 3, 5)) -> pd.DataFrame:
    """
    How concentrated sales are: the share of the top n units, and the HHI.

    Returns
    -------
    DataFrame
        measure ('top1', 'top3', …, 'hhi'), value.

    Notes
    -----
    top_n = Σ of the n largest / Σ all; HHI = Σ s_i² with s_i each unit's share (1 = one unit).
    """
    v = np.clip(values.to_numpy(dtype="float64"), 0.0, None)
    missing = np.isnan(v)
    v = np.concatenate([-np.sort(-v[~missing]), np.zeros(int(missing.sum()))])  # largest first; missing last, as 0
    total = float(v.sum())
    rows = [(f"top{n}", float(v[:n].sum() / total) if total > 0 else np.nan) for n in tops]
    rows.append(("hhi", float(((v / total) ** 2).sum()) if total > 0 else np.nan))
    return pd.DataFrame(rows, columns=["measure", "value"])


def concentration_row(conc: pd.DataFrame) -> pd.DataFrame:
    """
    :func:`concentration`'s measures as one row: a column per measure (top1, top3, …, hhi).

    A report shows it as one line, each share as a percentage and the HHI on its usual
    0–10,000 scale (:func:`planlib.labels.hhi_points`).
    """
    return pd.DataFrame([dict(zip(conc["measure"].astype(str), conc["value"].astype("float64")))])
