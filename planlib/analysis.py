"""
Sales review: the figures the environment analysis is built from.

All functions take the archive's tidy ``sales`` rows (as loaded by
:func:`planlib.archive.load_table`) and return new frames. Only ``grain == 'month'``
rows enter monthly and yearly figures, so weekly rows of core terminals never
double-count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.schemas import CHANNELS, OWN_BRAND

__all__ = [
    "monthly_sales",
    "yearly_summary",
    "monthly_profile",
    "composition",
    "brand_volumes",
    "channel_label",
    "brand_label",
]


def channel_label(channel: str) -> str:
    """Chinese label of a channel code (the code itself if unknown)."""
    return CHANNELS.get(channel, channel)


def brand_label(brand: str) -> str:
    """``own`` becomes 本品; competitor brands keep their names."""
    return "本品" if brand == OWN_BRAND else brand


def monthly_sales(sales: pd.DataFrame, products: pd.DataFrame, *, brand: str | None = OWN_BRAND) -> pd.DataFrame:
    """
    Monthly-grain sales rows with product line, year, month and variable cost.

    Parameters
    ----------
    sales : DataFrame
        Archive sales rows (any grains; only ``month`` is kept).
    products : DataFrame
        Archive products (sku, product_line, unit_variable_cost).
    brand : str or None, default "own"
        Keep one brand; None keeps all.

    Returns
    -------
    DataFrame
        The kept rows plus ``product_line``, ``year``, ``month`` and ``variable_cost``
        (volume × unit_variable_cost, 0 where the cost is unknown).
    """
    rows = sales[sales["grain"] == "month"]
    if brand is not None:
        rows = rows[rows["brand"] == brand]
    prod = products[["sku", "product_line", "unit_variable_cost"]]
    out = rows.merge(prod, on="sku", how="left", validate="many_to_one")
    dates = pd.to_datetime(out["date"])
    return out.assign(
        year=dates.dt.year.astype("int64"),
        month=dates.dt.month.astype("int64"),
        variable_cost=(out["volume"] * out["unit_variable_cost"].fillna(0.0)).astype("float64"),
    ).drop(columns=["unit_variable_cost"])


def yearly_summary(monthly: pd.DataFrame) -> pd.DataFrame:
    """
    Volume, revenue and gross margin by year, with year-on-year growth.

    Parameters
    ----------
    monthly : DataFrame
        Output of :func:`monthly_sales`.

    Returns
    -------
    DataFrame
        year, volume, revenue, gross_margin, gross_margin_rate, volume_growth, revenue_growth.

    Notes
    -----
    gross_margin = revenue − Σ volume × unit_variable_cost;
    growth_t = x_t / x_{t−1} − 1 (NaN for the first year or a zero base).
    """
    g = monthly.groupby("year", as_index=False)[["volume", "revenue", "variable_cost"]].sum()
    g["gross_margin"] = g["revenue"] - g["variable_cost"]
    g["gross_margin_rate"] = np.where(g["revenue"] > 0, g["gross_margin"] / g["revenue"].where(g["revenue"] > 0), np.nan)
    for col in ("volume", "revenue"):
        prev = g[col].shift(1)
        g[f"{col}_growth"] = (g[col] / prev.where(prev > 0)) - 1.0
    return g.drop(columns=["variable_cost"])


def monthly_profile(monthly: pd.DataFrame) -> pd.DataFrame:
    """Volume and revenue by year and calendar month (year, month, volume, revenue)."""
    return monthly.groupby(["year", "month"], as_index=False)[["volume", "revenue"]].sum()


def composition(monthly: pd.DataFrame, by: str, *, value: str = "revenue") -> pd.DataFrame:
    """
    Composition ratios: each ``by`` group's share of the year's ``value``.

    Returns
    -------
    DataFrame
        year, ``by``, ``value``, share — shares sum to 1 within each year with a
        non-zero total.

    Notes
    -----
    share_{y,k} = x_{y,k} / Σ_k x_{y,k}.
    """
    g = monthly.groupby(["year", by], as_index=False)[value].sum()
    total = g.groupby("year")[value].transform("sum")
    g["share"] = g[value] / total.where(total != 0)
    return g


def brand_volumes(sales: pd.DataFrame) -> pd.DataFrame:
    """Monthly-grain volume and revenue by year and brand (own and each competitor)."""
    rows = sales[sales["grain"] == "month"]
    years = pd.to_datetime(rows["date"]).dt.year.astype("int64")
    g = rows.assign(year=years).groupby(["year", "brand"], as_index=False)[["volume", "revenue"]].sum()
    total = g.groupby("year")["volume"].transform("sum")
    g["volume_share"] = g["volume"] / total.where(total != 0)
    return g
