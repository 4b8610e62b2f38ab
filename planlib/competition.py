"""
Market and competition: own share of the category, own against each competitor,
and the distributors both sell through.

Inputs are the archive's tidy tables for one region's subtree; monthly figures use
``grain == 'month'`` rows only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.analysis import at_grain
from planlib.schemas import OWN_BRAND

__all__ = ["market_share", "brand_growth", "distributor_review", "concentration"]


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
    if "product_line" not in rows:
        rows = rows.assign(product_line=rows["sku"].map(products.set_index("sku")["product_line"]))
    mkt = market.assign(year=pd.to_datetime(market["date"]).dt.year.astype("int64"))
    if by == "region":
        if group_map is None:
            raise ValueError("by='region' needs group_map")
        rows = rows.assign(group=rows["region_id"].map(group_map)).dropna(subset=["group"])
        mkt = mkt.assign(group=mkt["region_id"].map(group_map)).dropna(subset=["group"])
    elif by == "product_line":
        rows = rows.assign(group=rows["product_line"])
        mkt = mkt.assign(group=mkt["product_line"])
    else:
        raise ValueError(f"by must be 'product_line' or 'region', got {by!r}")
    # one group-by with the brand side as a key: filtering a province's rows twice costs more
    side = np.where(rows["brand"] == OWN_BRAND, "own_volume", "competitor_volume")
    vol = rows.groupby([rows["year"], rows["group"], side])["volume"].sum().unstack(fill_value=0.0)
    vol = vol.reindex(columns=["own_volume", "competitor_volume"], fill_value=0.0)
    vol.index.names = ["year", "group"]
    cap = mkt.groupby(["year", "group"])["market_volume"].sum()
    out = pd.concat([vol, cap], axis=1).fillna(0.0).reset_index()
    denom = out["market_volume"].where(out["market_volume"] > 0)
    out["own_share"] = out["own_volume"] / denom
    out["competitor_share"] = out["competitor_volume"] / denom
    out = out.sort_values(["group", "year"], kind="mergesort")
    out["share_change"] = out.groupby("group")["own_share"].diff()
    return out.sort_values(["year", "group"], kind="mergesort").reset_index(drop=True)


def brand_growth(sales: pd.DataFrame) -> pd.DataFrame:
    """
    Volume by year and brand with each brand's year-on-year growth.

    Returns
    -------
    DataFrame
        year, brand, volume, revenue, volume_share, volume_growth.
    """
    rows = _month_rows(sales)
    g = rows.groupby(["year", "brand"], as_index=False)[["volume", "revenue"]].sum()
    total = g.groupby("year")["volume"].transform("sum")
    g["volume_share"] = g["volume"] / total.where(total != 0)
    g = g.sort_values(["brand", "year"], kind="mergesort")
    prev = g.groupby("brand")["volume"].shift(1)
    g["volume_growth"] = g["volume"] / prev.where(prev > 0) - 1.0
    return g.sort_values(["year", "brand"], kind="mergesort").reset_index(drop=True)


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
    rows = _month_rows(sales).dropna(subset=["distributor_id"])
    rows = rows[rows["year"].isin([year, year - 1])]
    # one group-by: the column a row adds to, by brand side and year
    own = (rows["brand"] == OWN_BRAND).to_numpy()
    cur = (rows["year"] == year).to_numpy()
    column = np.select([own & cur, ~own & cur, own & ~cur], ["own_volume", "competitor_volume", "own_volume_prev"], "")
    t = rows["volume"].groupby([rows["distributor_id"].to_numpy(), column]).sum().unstack(fill_value=0.0)
    t = t.reindex(columns=["own_volume", "competitor_volume", "own_volume_prev"], fill_value=0.0)
    t.index.name = "distributor_id"
    t = t.reset_index().merge(distributors[["distributor_id", "name", "tier"]], on="distributor_id", how="left")
    known = t["own_volume"] + t["competitor_volume"]
    t["own_share"] = t["own_volume"] / known.where(known > 0)
    t["own_growth"] = t["own_volume"] / t["own_volume_prev"].where(t["own_volume_prev"] > 0) - 1.0
    t["trend"] = np.select(
        [
            (t["own_volume_prev"] <= 0) & (t["own_volume"] > 0),
            (t["own_volume_prev"] > 0) & (t["own_volume"] <= 0),
            t["own_growth"] > 0.05,
            t["own_growth"] < -0.05,
        ],
        ["new", "lost", "growing", "shrinking"],
        default="steady",
    )
    cols = ["distributor_id", "name", "tier", "own_volume", "competitor_volume", "own_share",
            "own_volume_prev", "own_growth", "trend"]  # fmt: skip
    return t[cols].sort_values(["own_volume", "distributor_id"], ascending=[False, True]).reset_index(drop=True)


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
    v = values.astype("float64").clip(lower=0).sort_values(ascending=False)
    total = float(v.sum())
    rows = [(f"top{n}", float(v.head(n).sum() / total) if total > 0 else np.nan) for n in tops]
    rows.append(("hhi", float(((v / total) ** 2).sum()) if total > 0 else np.nan))
    return pd.DataFrame(rows, columns=["measure", "value"])
