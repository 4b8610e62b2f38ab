"""
Growth points (增量点) and SWOT: where next year's increase can come from.

The seed's first symptom of a failed plan is "no clear thinking": nobody can say
where the increase comes from. Growth points compare, unit by unit (child area,
channel, core terminal), the category's capacity with own sales, own momentum and
competitor strength, and rank the attainable increase.

Public names: :func:`rank_growth_points`, :func:`channel_capacity`,
:func:`terminal_capacity`, :func:`swot`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.frames import at_grain
from planlib.frames import group_sums as _group_sums
from planlib.frames import key_codes as _codes
from planlib.frames import safe_ratio as _ratio
from planlib.frames import sum_weights as _weights
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
    headroom = (units["capacity"] - units["own_volume"]).clip(lower=0.0)
    g_own = np.nan_to_num(units["own_growth"].to_numpy(dtype="float64"), nan=0.0, posinf=np.inf, neginf=-np.inf)
    g_comp = np.nan_to_num(units["competitor_growth"].to_numpy(dtype="float64"), nan=0.0, posinf=np.inf, neginf=-np.inf)
    momentum = np.clip(1.0 + g_own - g_comp, 0.5, 1.5)
    attainable = headroom * capture_rate * momentum
    # attainable and headroom descending, then id; missing values last, as sort_values puts them
    ids, _ = _codes(units["unit_id"])
    ids = np.where(ids < 0, len(ids), ids)
    a, h = attainable.to_numpy(dtype="float64"), headroom.to_numpy(dtype="float64")
    order = np.lexsort((ids, -h, np.isnan(h), -a, np.isnan(a)))
    columns = {c: units[c].array.take(order) for c in ("kind", "unit_id", "name", "capacity", "own_volume")}
    columns["headroom"] = headroom.array.take(order)
    columns |= {c: units[c].array.take(order) for c in ("own_growth", "competitor_growth")}
    columns["momentum"] = momentum[order]
    columns["attainable"] = attainable.array.take(order)
    columns["rank"] = np.arange(1, len(order) + 1)
    return pd.DataFrame(columns)


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
    years = (rows["year"] if "year" in rows else pd.to_datetime(rows["date"]).dt.year).to_numpy()
    cur, prev = years == year, years == year - 1
    own = (rows["brand"] == OWN_BRAND).to_numpy()
    kc, channels = _codes(rows["channel"])
    volume, _ = _weights(rows["volume"])
    masks = [own & cur, own & prev, ~own & cur, ~own & prev]
    # per channel, each side's volume and rows, summed over that side's rows alone (no full-length
    # copies of the volume with zeros elsewhere: adding those zeros changed no sum)
    width = max(len(channels), 1)
    vols, counts = [], []
    for m in masks:
        at = np.flatnonzero(m & (kc >= 0))
        vols.append(np.bincount(kc[at], weights=volume[at], minlength=width).astype("float64"))
        counts.append(np.bincount(kc[at], minlength=width))
    cc = np.flatnonzero(counts[0] + counts[1] + counts[2] + counts[3])  # the channels with rows in either year
    sums = [v[cc] for v in vols] + [n[cc] for n in counts]
    # the channels in the order the four sums first list them (each sorted), as concat aligns them
    order, seen = [], set()
    for n in sums[4:]:
        new = [i for i in np.flatnonzero(n > 0) if i not in seen]
        order += new
        seen.update(new)
    own_v, own_prev, comp_v, comp_prev = (s[order] for s in sums[:4])
    labels = channels.take(cc[order])
    known = own_v + comp_v
    total = known.sum()
    scale = market_volume / total if total > 0 and market_volume > 0 else 1.0
    return pd.DataFrame(
        {
            "kind": "channel",
            "unit_id": labels,
            "name": labels,
            "capacity": known * max(scale, 1.0),
            "own_volume": own_v,
            "own_growth": _ratio(own_v, own_prev) - 1.0,
            "competitor_growth": _ratio(comp_v, comp_prev) - 1.0,
        }
    )


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
    years = (sales["year"] if "year" in sales else pd.to_datetime(sales["date"]).dt.year).to_numpy()
    keep = ((sales["grain"] == "month") & (sales["brand"] == OWN_BRAND)).to_numpy()
    kt, ids = _codes(sales["terminal_id"])
    in_cur, in_prev = keep & (years == year), keep & (years == year - 1)
    volume, _ = _weights(sales["volume"])
    sums = [np.where(in_cur, volume, 0.0), np.where(in_prev, volume, 0.0)]
    (ct,), (v_cur, v_prev), _ = _group_sums([np.where(in_cur | in_prev, kt, -1)], [len(ids)], sums)
    core = terminals["terminal_class"].isin(classes).to_numpy()
    t = terminals.loc[core, ["terminal_id", "name", "terminal_class", "channel"]]
    # each terminal's volume this year and the year before (0 without sales)
    at = pd.Index(ids.take(ct)).get_indexer(t["terminal_id"]) if len(t) else np.zeros(0, dtype=np.int64)
    own_volume = np.where(at >= 0, v_cur[np.maximum(at, 0)] if len(v_cur) else 0.0, 0.0)
    own_prev = np.where(at >= 0, v_prev[np.maximum(at, 0)] if len(v_prev) else 0.0, 0.0)
    peer = _group_quantile(own_volume, [t["terminal_class"], t["channel"]], quantile)
    return pd.DataFrame(
        {
            "kind": "terminal",
            "unit_id": t["terminal_id"].array,
            "name": t["name"].array,
            "capacity": np.maximum(peer, own_volume),
            "own_volume": own_volume,
            "own_growth": _ratio(own_volume, own_prev) - 1.0,
            "competitor_growth": np.nan,
        }
    )


def _group_quantile(values: np.ndarray, keys: list[pd.Series], q: float) -> np.ndarray:
    """
    Each row's group quantile (linear interpolation, as ``groupby(keys).quantile(q)``);
    NaN for rows with a missing key.

    Notes
    -----
    With a group's n values present, sorted, x = q·(n − 1), i = ⌊x⌋ and f = x − i: the
    quantile is v_i when f = 0, else v_i + (v_{i+1} − v_i)·f (NaN when n = 0).
    """
    coded = [_codes(s) for s in keys]
    out = np.full(len(values), np.nan)
    if not len(values):
        return out
    (cells, _, _) = _group_sums([k for k, _ in coded], [len(u) for _, u in coded])
    valid = np.ones(len(values), dtype=bool)
    for k, _ in coded:
        valid &= k >= 0
    rows = np.flatnonzero(valid)
    # the row's cell: cells come sorted by their codes, so a row finds its cell by search
    dims = [max(len(u), 1) for _, u in coded]
    cell_key = np.ravel_multi_index(cells, dims)
    group = np.searchsorted(cell_key, np.ravel_multi_index([k[rows] for k, _ in coded], dims))
    present = ~np.isnan(values[rows])
    sort = np.lexsort((values[rows][present], group[present]))
    v, g = values[rows][present][sort], group[present][sort]
    n = np.bincount(g, minlength=len(cell_key))
    start = np.cumsum(n) - n
    x = q * (n - 1).astype("float64")
    i = np.minimum(start + x.astype(np.int64), max(len(v) - 1, 0))
    frac = x % 1
    if len(v):
        val, nxt = v[i], v[np.minimum(i + 1, len(v) - 1)]
        quant = np.where(n > 0, np.where(frac == 0.0, val, val + (nxt - val) * frac), np.nan)
    else:
        quant = np.full(len(n), np.nan)
    out[rows] = quant[group]
    return out


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
        :func:`planlib.review.market_share` with ``by='region'`` (year, group, own_share, …).
    brands : DataFrame
        :func:`planlib.review.brand_growth`.
    yearly : DataFrame
        :func:`planlib.review.yearly_summary`.
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
        last = share_by_child[(share_by_child["year"] == share_by_child["year"].max()).to_numpy()]
        own, market = last["own_volume"].to_numpy(), last["market_volume"].to_numpy()
        total_share = own.sum() / market.sum() if market.sum() > 0 else np.nan
        ranked = last.sort_values("own_share", ascending=False)
        for group, share in zip(ranked["group"].tolist(), ranked["own_share"].tolist()):
            label = names.get(group, group)
            if pd.notna(share) and pd.notna(total_share):
                if share > total_share:
                    lines.append(("strengths", f"{label} 份额 {share:z.1%}，高于平均 {total_share:z.1%}", "data"))
                elif share < 0.8 * total_share:
                    lines.append(("weaknesses", f"{label} 份额 {share:z.1%}，低于平均 {total_share:z.1%}", "data"))
        cap = share_by_child.groupby("year")["market_volume"].sum().to_numpy()
        if len(cap) >= 2 and cap[-2] > 0 and cap[-1] > cap[-2]:
            lines.append(("opportunities", f"品类容量增长 {cap[-1] / cap[-2] - 1:+z.1%}", "data"))
    if not brands.empty:
        latest = (brands["year"] == brands["year"].max()).to_numpy()
        names_b, growth_b = brands["brand"].to_numpy()[latest].tolist(), brands["volume_growth"].to_numpy()[latest]
        own_g = next((g for b, g in zip(names_b, growth_b) if b == OWN_BRAND), np.nan)
        for brand, g in zip(names_b, growth_b):
            if brand != OWN_BRAND and pd.notna(g) and (pd.isna(own_g) or g > own_g):
                lines.append(("threats", f"竞品 {brand} 增长 {g:+z.1%}，快于本品 {own_g:+z.1%}", "data"))
    if len(yearly) >= 2:
        rate, growth = yearly["gross_margin_rate"].to_numpy(), yearly["revenue_growth"].to_numpy()
        r0, r1 = rate[-2], rate[-1]
        if pd.notna(r0) and pd.notna(r1) and r1 < r0:
            lines.append(("weaknesses", f"毛利率由 {r0:z.1%} 降至 {r1:z.1%}", "data"))
        if pd.notna(growth[-1]) and growth[-1] > 0:
            lines.append(("strengths", f"销售额增长 {growth[-1]:+z.1%}", "data"))
    if coverage_rate is not None and pd.notna(coverage_rate) and coverage_rate < 0.6:
        lines.append(("weaknesses", f"终端覆盖率仅 {coverage_rate:z.0%}", "data"))
    top = growth_points[growth_points["attainable"] >= 0.5].head(3)  # "可争取 0" is no opportunity
    for unit, name, attainable in zip(top["unit_id"].tolist(), top["name"].tolist(), top["attainable"].tolist()):
        lines.append(("opportunities", f"增量点 {names.get(unit, name)}：可争取 {attainable:,.0f} 箱", "data"))
    for box, items in (analyst or {}).items():
        for item in items:
            lines.append((box, str(item), "analyst"))
    order = {"strengths": 0, "weaknesses": 1, "opportunities": 2, "threats": 3}
    lines.sort(key=lambda line: order.get(line[0], len(order)))  # stable: each box keeps its order
    return pd.DataFrame(lines, columns=["box", "line", "source"])
