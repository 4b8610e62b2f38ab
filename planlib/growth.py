"""
Growth points (增量点) and SWOT: where next year's increase can come from.

The seed's first symptom of a failed plan is "no clear thinking": nobody can say
where the increase comes from. Growth points compare, unit by unit (child area,
channel, core terminal), the category's capacity with own sales, own momentum and
competitor strength, and rank the attainable increase.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.analysis import at_grain
from planlib.schemas import OWN_BRAND

__all__ = ["rank_growth_points", "channel_capacity", "terminal_capacity", "swot"]

GROWTH_POINT_COLUMNS = [
    "kind", "unit_id", "name", "capacity", "own_volume", "headroom", "own_growth",
    "competitor_growth", "momentum", "attainable", "rank",
]  # fmt: skip


def rank_growth_points(units: pd.DataFrame, *, capture_rate: float = 0.1) -> pd.DataFrame:
    """
    Rank units by the increase they can attain next year.

    Parameters
    ----------
    units : DataFrame
        kind, unit_id, name, capacity, own_volume, own_growth, competitor_growth
        (growths as fractions; NaN when unknown).
    capture_rate : float, default 0.1
        Share of the headroom a unit with neutral momentum can win in a year.

    Returns
    -------
    DataFrame
        The units with headroom, momentum, attainable and rank (1 = largest), sorted by rank.

    Notes
    -----
    headroom = max(capacity − own_volume, 0);
    momentum = clip(1 + g_own − g_comp, 0.5, 1.5), unknown growth counted as 0;
    attainable = headroom × capture_rate × momentum. Ties rank by headroom, then id.
    """
    u = units.copy()
    u["headroom"] = (u["capacity"] - u["own_volume"]).clip(lower=0.0)
    g_own = u["own_growth"].astype("float64").fillna(0.0)
    g_comp = u["competitor_growth"].astype("float64").fillna(0.0)
    u["momentum"] = (1.0 + g_own - g_comp).clip(0.5, 1.5)
    u["attainable"] = u["headroom"] * capture_rate * u["momentum"]
    u = u.sort_values(["attainable", "headroom", "unit_id"], ascending=[False, False, True], kind="mergesort")
    u["rank"] = np.arange(1, len(u) + 1)
    return u[GROWTH_POINT_COLUMNS].reset_index(drop=True)


def _growth(cur: pd.Series, prev: pd.Series) -> pd.Series:
    return cur / prev.where(prev > 0) - 1.0


def channel_capacity(sales: pd.DataFrame, market_volume: float, *, year: int) -> pd.DataFrame:
    """
    Channel units for :func:`rank_growth_points`.

    The market table has no channel, so each channel's capacity is the known brands'
    volume in it scaled up to the category volume: capacity_c = known_c × M / Σ known.

    Returns
    -------
    DataFrame
        kind ('channel'), unit_id, name, capacity, own_volume, own_growth, competitor_growth.
    """
    rows = at_grain(sales)
    if "year" not in rows:
        rows = rows.assign(year=pd.to_datetime(rows["date"]).dt.year)
    rows = rows[rows["year"].isin([year, year - 1])]
    own = rows["brand"] == OWN_BRAND
    g = pd.concat(
        [
            rows[own & (rows["year"] == year)].groupby("channel")["volume"].sum().rename("own"),
            rows[own & (rows["year"] == year - 1)].groupby("channel")["volume"].sum().rename("own_prev"),
            rows[~own & (rows["year"] == year)].groupby("channel")["volume"].sum().rename("comp"),
            rows[~own & (rows["year"] == year - 1)].groupby("channel")["volume"].sum().rename("comp_prev"),
        ],
        axis=1,
    ).fillna(0.0)
    known = g["own"] + g["comp"]
    scale = market_volume / known.sum() if known.sum() > 0 and market_volume > 0 else 1.0
    return pd.DataFrame(
        {
            "kind": "channel",
            "unit_id": g.index,
            "name": g.index,
            "capacity": known * max(scale, 1.0),
            "own_volume": g["own"],
            "own_growth": _growth(g["own"], g["own_prev"]),
            "competitor_growth": _growth(g["comp"], g["comp_prev"]),
        }
    ).reset_index(drop=True)


def terminal_capacity(
    sales: pd.DataFrame, terminals: pd.DataFrame, *, year: int, classes: tuple[str, ...] = ("A", "B"), quantile: float = 0.75
) -> pd.DataFrame:
    """
    Core-terminal units for :func:`rank_growth_points`.

    A terminal's capacity is what its better peers sell: the ``quantile`` of own volume
    among terminals of the same class and channel in the region (at least its own).

    Returns
    -------
    DataFrame
        kind ('terminal'), unit_id, name, capacity, own_volume, own_growth, competitor_growth (NaN).
    """
    rows = at_grain(sales)
    rows = rows[rows["brand"] == OWN_BRAND].dropna(subset=["terminal_id"])
    years = rows["year"] if "year" in rows else pd.to_datetime(rows["date"]).dt.year
    cur = rows[years == year].groupby("terminal_id")["volume"].sum()
    prev = rows[years == year - 1].groupby("terminal_id")["volume"].sum()
    t = terminals.loc[terminals["terminal_class"].isin(classes), ["terminal_id", "name", "terminal_class", "channel"]].copy()
    t["own_volume"] = t["terminal_id"].map(cur).fillna(0.0).astype("float64")
    t["own_prev"] = t["terminal_id"].map(prev).fillna(0.0).astype("float64")
    if t.empty:
        peer = np.zeros(0)
    else:
        q = t.groupby(["terminal_class", "channel"])["own_volume"].quantile(quantile).rename("peer")
        keys = ["terminal_class", "channel"]
        peer = t[keys].merge(q, left_on=keys, right_index=True, how="left")["peer"].to_numpy()
    return pd.DataFrame(
        {
            "kind": "terminal",
            "unit_id": t["terminal_id"],
            "name": t["name"],
            "capacity": np.maximum(peer, t["own_volume"]),
            "own_volume": t["own_volume"],
            "own_growth": _growth(t["own_volume"], t["own_prev"]),
            "competitor_growth": np.nan,
        }
    ).reset_index(drop=True)


def swot(
    *,
    share_by_child: pd.DataFrame,
    brands: pd.DataFrame,
    yearly: pd.DataFrame,
    growth_points: pd.DataFrame,
    coverage_rate: float | None,
    names: dict[str, str],
    analyst: dict[str, tuple[str, ...]] | None = None,
) -> pd.DataFrame:
    """
    A four-box SWOT from the analysis signals, plus the analyst's own lines.

    Parameters
    ----------
    share_by_child : DataFrame
        :func:`planlib.competition.market_share` with ``by='region'`` (year, group, own_share, …).
    brands : DataFrame
        :func:`planlib.competition.brand_growth`.
    yearly : DataFrame
        :func:`planlib.analysis.yearly_summary`.
    growth_points : DataFrame
        :func:`rank_growth_points` output.
    coverage_rate : float or None
        Share of terminals buying in the last quarter.
    names : dict
        Id -> display name for areas and terminals.
    analyst : dict, optional
        box -> lines from the params (``swot.strengths`` …).

    Returns
    -------
    DataFrame
        box ('strengths', 'weaknesses', 'opportunities', 'threats'), line, source ('data'/'analyst').

    Notes
    -----
    Rules: an area's share above the parent's average share is a strength, below
    80% of it a weakness; a competitor growing faster than own is a threat; a market
    (capacity) growing is an opportunity, as are the top three growth points; a
    falling gross-margin rate and coverage under 60% are weaknesses.
    """
    lines: list[tuple[str, str, str]] = []
    if not share_by_child.empty:
        last = share_by_child[share_by_child["year"] == share_by_child["year"].max()]
        total_share = last["own_volume"].sum() / last["market_volume"].sum() if last["market_volume"].sum() > 0 else np.nan
        for r in last.sort_values("own_share", ascending=False).itertuples():
            label = names.get(r.group, r.group)
            if pd.notna(r.own_share) and pd.notna(total_share):
                if r.own_share > total_share:
                    lines.append(("strengths", f"{label} 份额 {r.own_share:.1%}，高于平均 {total_share:.1%}", "data"))
                elif r.own_share < 0.8 * total_share:
                    lines.append(("weaknesses", f"{label} 份额 {r.own_share:.1%}，低于平均 {total_share:.1%}", "data"))
        cap = share_by_child.groupby("year")["market_volume"].sum()
        if len(cap) >= 2 and cap.iloc[-2] > 0 and cap.iloc[-1] > cap.iloc[-2]:
            lines.append(("opportunities", f"品类容量增长 {cap.iloc[-1] / cap.iloc[-2] - 1:+.1%}", "data"))
    if not brands.empty:
        last_year = brands["year"].max()
        b = brands[brands["year"] == last_year].set_index("brand")
        own_g = b["volume_growth"].get(OWN_BRAND, np.nan)
        for brand, row in b.drop(index=OWN_BRAND, errors="ignore").iterrows():
            if pd.notna(row["volume_growth"]) and (pd.isna(own_g) or row["volume_growth"] > own_g):
                lines.append(("threats", f"竞品 {brand} 增长 {row['volume_growth']:+.1%}，快于本品 {own_g:+.1%}", "data"))
    if len(yearly) >= 2:
        r0, r1 = yearly["gross_margin_rate"].iloc[-2], yearly["gross_margin_rate"].iloc[-1]
        if pd.notna(r0) and pd.notna(r1) and r1 < r0:
            lines.append(("weaknesses", f"毛利率由 {r0:.1%} 降至 {r1:.1%}", "data"))
        if pd.notna(yearly["revenue_growth"].iloc[-1]) and yearly["revenue_growth"].iloc[-1] > 0:
            lines.append(("strengths", f"销售额增长 {yearly['revenue_growth'].iloc[-1]:+.1%}", "data"))
    if coverage_rate is not None and pd.notna(coverage_rate) and coverage_rate < 0.6:
        lines.append(("weaknesses", f"终端覆盖率仅 {coverage_rate:.0%}", "data"))
    for r in growth_points.head(3).itertuples():
        lines.append(("opportunities", f"增量点 {names.get(r.unit_id, r.name)}：可争取 {r.attainable:,.0f}", "data"))
    for box, items in (analyst or {}).items():
        for item in items:
            lines.append((box, str(item), "analyst"))
    out = pd.DataFrame(lines, columns=["box", "line", "source"])
    order = {"strengths": 0, "weaknesses": 1, "opportunities": 2, "threats": 3}
    return out.assign(_o=out["box"].map(order)).sort_values("_o", kind="mergesort").drop(columns="_o").reset_index(drop=True)
