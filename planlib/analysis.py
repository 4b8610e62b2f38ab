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
    "EFFECT_NAMES_ZH",
    "at_grain",
    "monthly_sales",
    "yearly_summary",
    "monthly_profile",
    "composition",
    "brand_volumes",
    "channel_label",
    "brand_label",
]


#: Chinese names of the factor-substitution effects, in substitution order.
EFFECT_NAMES_ZH: dict[str, str] = {"volume": "销量效应", "mix": "结构效应", "price": "价格效应", "total": "合计"}


def at_grain(sales: pd.DataFrame, grain: str = "month") -> pd.DataFrame:
    """
    The rows of one time grain; the frame itself when it holds no other grain.

    Filtering copies every column, which is the costliest step on a province's rows,
    so frames already reduced to one grain pass through untouched.
    """
    mask = sales["grain"] == grain
    return sales if bool(mask.all()) else sales[mask]


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
    rows = at_grain(sales)
    if brand is not None:
        rows = rows[rows["brand"] == brand]
    prod = products.set_index("sku")
    line = rows["product_line"] if "product_line" in rows else rows["sku"].map(prod["product_line"])
    unit_cost = rows["sku"].map(prod["unit_variable_cost"]).astype("float64").fillna(0.0)
    dates = pd.to_datetime(rows["date"])
    return rows.assign(
        product_line=line,
        year=dates.dt.year.astype("int64"),
        month=dates.dt.month.astype("int64"),
        variable_cost=(rows["volume"] * unit_cost).astype("float64"),
    )


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
    rows = at_grain(sales)
    years = pd.to_datetime(rows["date"]).dt.year.astype("int64")
    g = rows.assign(year=years).groupby(["year", "brand"], as_index=False)[["volume", "revenue"]].sum()
    total = g.groupby("year")["volume"].transform("sum")
    g["volume_share"] = g["volume"] / total.where(total != 0)
    return g


# -- dynamic ratios ----------------------------------------------------------------------


def indices(values: pd.Series) -> pd.DataFrame:
    """
    Fixed-base (定基) and chain (环比) indices of an ordered series.

    Parameters
    ----------
    values : Series
        Values in period order (index = period labels).

    Returns
    -------
    DataFrame
        value, fixed_base, chain — indexed like ``values``.

    Notes
    -----
    fixed_base_t = x_t / x_0, chain_t = x_t / x_{t−1} (NaN for t = 0 or a zero base);
    so Π_{s≤t} chain_s = fixed_base_t wherever no base is zero.
    """
    x = values.astype("float64")
    base = x.iloc[0] if len(x) else np.nan
    prev = x.shift(1)
    return pd.DataFrame(
        {
            "value": x,
            "fixed_base": x / base if base not in (0, 0.0) and pd.notna(base) else np.nan,
            "chain": x / prev.where(prev != 0),
        },
        index=values.index,
    )


def cagr(first: float, last: float, periods: int) -> float:
    """
    Compound annual growth rate over ``periods`` years.

    Notes
    -----
    CAGR = (last / first)^(1 / periods) − 1; NaN if ``first`` ≤ 0 or ``periods`` < 1.
    """
    if periods < 1 or not first > 0 or last < 0:
        return float("nan")
    return float((last / first) ** (1.0 / periods) - 1.0)


# -- factor substitution -------------------------------------------------------------------


def factor_substitution(base: pd.DataFrame, current: pd.DataFrame, *, item: str = "sku") -> pd.DataFrame:
    """
    Explain a revenue change as volume, mix and price effects (因素替代法).

    Parameters
    ----------
    base, current : DataFrame
        One row per ``item`` with ``volume`` and ``revenue`` for the base and current period.
    item : str, default "sku"
        The column identifying items (the mix is measured across them).

    Returns
    -------
    DataFrame
        One row per effect in substitution order — ``volume``, ``mix``, ``price`` — then
        ``total``, with columns effect, amount and share_of_change.

    Notes
    -----
    Revenue is R = Q · Σ_i m_i · p_i with Q total volume, m_i = q_i / Q the mix and
    p_i = r_i / q_i the unit price. Factors are replaced one at a time, quantity
    factors before quality factors and physical before monetary:

    - volume effect = Q₁ Σ m₀ p₀ − Q₀ Σ m₀ p₀
    - mix effect    = Q₁ Σ m₁ p₀ − Q₁ Σ m₀ p₀
    - price effect  = Q₁ Σ m₁ p₁ − Q₁ Σ m₁ p₀ = R₁ − Q₁ Σ m₁ p₀

    The three telescope, so they add up exactly to R₁ − R₀. An item sold only in the
    current period takes its current price as base price (no price effect); an item
    with revenue but no volume cannot be priced, so its revenue enters the price effect.
    """
    cols = [item, "volume", "revenue"]
    b = base[cols].groupby(item).sum()
    c = current[cols].groupby(item).sum()
    both = b.add_suffix("_0").join(c.add_suffix("_1"), how="outer").fillna(0.0)
    q0, r0 = both["volume_0"], both["revenue_0"]
    q1, r1 = both["volume_1"], both["revenue_1"]
    p1 = (r1 / q1.where(q1 > 0)).fillna(0.0)
    p0 = (r0 / q0.where(q0 > 0)).fillna(p1)
    Q0, Q1 = float(q0.sum()), float(q1.sum())
    R0, R1 = float(r0.sum()), float(r1.sum())
    m0 = q0 / Q0 if Q0 > 0 else q0 * 0.0
    m1 = q1 / Q1 if Q1 > 0 else q1 * 0.0
    s0 = Q0 * float((m0 * p0).sum())  # the priced part of R0
    step1 = Q1 * float((m0 * p0).sum())
    step2 = Q1 * float((m1 * p0).sum())
    volume_effect = step1 - s0
    mix_effect = step2 - step1
    # the price effect closes the identity exactly (it includes unpriced revenue)
    price_effect = (R1 - R0) - volume_effect - mix_effect
    total = R1 - R0
    out = pd.DataFrame(
        {
            "effect": ["volume", "mix", "price", "total"],
            "amount": [volume_effect, mix_effect, price_effect, total],
        }
    )
    out["share_of_change"] = out["amount"] / total if total != 0 else np.nan
    return out


def factor_substitution_by(monthly: pd.DataFrame, base_year: int, year: int, *, by: str = "product_line") -> pd.DataFrame:
    """
    :func:`factor_substitution` for the whole region and for each ``by`` group.

    Returns
    -------
    DataFrame
        group ('全部' for the region), effect, amount — the region's effects add up to
        its revenue change, and each group's to the group's change.
    """
    rows = monthly[monthly["year"].isin([base_year, year])]
    items = rows.groupby([by, "sku", "year"])[["volume", "revenue"]].sum().unstack("year", fill_value=0.0)
    items.columns = [f"{c}_{'0' if y == base_year else '1'}" for c, y in items.columns]
    for col in ("volume_0", "revenue_0", "volume_1", "revenue_1"):
        if col not in items:
            items[col] = 0.0
    items = items.reset_index()
    frames = [_effects(items.assign(**{by: "全部"}), by), _effects(items, by)]
    out = pd.concat(frames, ignore_index=True).rename(columns={by: "group"})
    return out[["group", "effect", "amount", "share_of_change"]]


def _effects(items: pd.DataFrame, by: str) -> pd.DataFrame:
    """
    Volume, mix and price effects per group from item rows (volume_0, revenue_0, volume_1, revenue_1).

    Notes
    -----
    The substitution chain of :func:`factor_substitution` written as sums, so all
    groups are computed at once: with p0 the base price (the current price for new
    items), s0 = Σ q0·p0, step1 = (Q1/Q0)·s0 (0 when Q0 = 0), step2 = Σ q1·p0;
    volume = step1 − s0, mix = step2 − step1, price = (R1 − R0) − volume − mix.
    """
    q0, r0, q1, r1 = (items[c].to_numpy(dtype="float64") for c in ("volume_0", "revenue_0", "volume_1", "revenue_1"))
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.where(q1 > 0, r1 / np.where(q1 > 0, q1, 1.0), 0.0)
        p0 = np.where(q0 > 0, r0 / np.where(q0 > 0, q0, 1.0), p1)
    g = pd.DataFrame({by: items[by].to_numpy(), "q0": q0, "q1": q1, "r0": r0, "r1": r1, "s0": q0 * p0, "s2": q1 * p0})
    s = g.groupby(by, sort=True)[["q0", "q1", "r0", "r1", "s0", "s2"]].sum()
    ratio = np.where(s["q0"] > 0, s["q1"] / s["q0"].where(s["q0"] > 0, 1.0), 0.0)
    step1 = ratio * s["s0"]
    volume = step1 - s["s0"]
    mix = s["s2"] - step1
    total = s["r1"] - s["r0"]
    price = total - volume - mix
    amounts = np.column_stack([volume.to_numpy(), mix.to_numpy(), price.to_numpy(), total.to_numpy()]).ravel()
    totals = np.repeat(total.to_numpy(), 4)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(totals != 0, amounts / np.where(totals != 0, totals, 1.0), np.nan)
    return pd.DataFrame(
        {
            by: np.repeat(s.index.to_numpy(), 4),
            "effect": np.tile(["volume", "mix", "price", "total"], len(s)),
            "amount": amounts,
            "share_of_change": share,
        }
    )


# -- terminals -----------------------------------------------------------------------------


def abc_classes(
    values: pd.Series,
    *,
    thresholds: tuple[float, float, float] = (0.5, 0.8, 0.95),
    groups: pd.Series | None = None,
) -> pd.DataFrame:
    """
    ABC (Pareto) classes from sales: the largest units making up the first 50% are A, …

    Parameters
    ----------
    values : Series
        Sales per unit (e.g. terminal revenue over the last year), indexed by id.
    thresholds : tuple, default (0.5, 0.8, 0.95)
        Cumulative-share limits of classes A, B and C; the rest is D.
    groups : Series, optional
        id -> group (e.g. market); each group is ranked on its own, shares are of
        the group's total.

    Returns
    -------
    DataFrame
        Indexed by id, sorted by value descending: value, share, cum_share, abc_class.

    Notes
    -----
    Units are sorted by value (ties by id). A unit's class is set by the cumulative
    share *before* it: the unit that crosses a threshold still belongs to the class
    it starts in, so the top unit is always A. Units with zero sales are D.
    """
    a, b, c = thresholds
    if not 0 < a < b < c <= 1:
        raise ValueError(f"thresholds must rise within (0, 1], got {thresholds}")
    v = values.astype("float64").clip(lower=0.0)
    grp = values.index.map(groups).fillna("") if groups is not None else np.zeros(len(values), dtype="int64")
    order = pd.DataFrame({"value": v.to_numpy(), "_g": np.asarray(grp)}, index=values.index)
    order = order.rename_axis("id").reset_index()
    order = order.sort_values(["_g", "value", "id"], ascending=[True, False, True], kind="mergesort").set_index("id")
    total = order.groupby("_g")["value"].transform("sum")
    order["share"] = (order["value"] / total.where(total > 0)).fillna(0.0)
    order["cum_share"] = order.groupby("_g")["share"].cumsum()
    before = order["cum_share"] - order["share"]
    cls = np.select([before < a, before < b, before < c], ["A", "B", "C"], default="D")
    order["abc_class"] = np.where(order["value"] > 0, cls, "D")
    order = order.drop(columns="_g").sort_values(["value"], ascending=False, kind="mergesort")
    order.index.name = values.index.name
    return order


# -- seasonality ---------------------------------------------------------------------------


def _daily(monthly_values: pd.DataFrame, value: str) -> pd.Series:
    """Spread each month's value evenly over its days."""
    m = monthly_values.groupby("date")[value].sum()
    if m.empty:
        return pd.Series(dtype="float64")
    days = pd.date_range(m.index.min(), m.index.max() + pd.offsets.MonthEnd(0), freq="D")
    month_start = days.to_period("M").to_timestamp()
    per_day = (m / m.index.days_in_month).reindex(month_start).to_numpy()
    return pd.Series(np.nan_to_num(per_day), index=days)


def seasonal_profile(monthly: pd.DataFrame, *, value: str = "volume", align: str = "spring_festival") -> pd.DataFrame:
    """
    The seasonal profile: each period's share of its year, by calendar or festival year.

    Parameters
    ----------
    monthly : DataFrame
        Output of :func:`monthly_sales` (needs ``date`` and ``value``).
    value : str, default "volume"
    align : {"spring_festival", "calendar"}
        ``calendar``: calendar months. ``spring_festival``: twelve equal periods of the
        festival year, so the holiday sits in the same slot every year.

    Returns
    -------
    DataFrame
        year, slot (1–12), label, value, share — complete years only; shares sum to 1 per year.

    Notes
    -----
    Festival alignment: with SF_Y the solar date of Spring Festival in year Y, the
    festival season starting B = 21 days before it (the sales window of
    planlib.calendar.HOLIDAY_WINDOWS) and L = (SF_{Y+1} − SF_Y) / 12, slot k (1–12)
    covers [SF_Y − B + (k − 1)·L, SF_Y − B + k·L). Slot 1 is the festival season (the
    whole window, 28 days < L), slots 2–12 the festival year's following months.
    Monthly values are spread evenly over their days first (:func:`_daily`).
    """
    from planlib import calendar

    if align not in ("spring_festival", "calendar"):
        raise ValueError(f"align must be 'spring_festival' or 'calendar', got {align!r}")
    cols = ["year", "slot", "label", value, "share"]
    if monthly.empty:
        return pd.DataFrame(columns=cols)
    if align == "calendar":
        g = monthly.groupby(["year", "month"], as_index=False)[value].sum().rename(columns={"month": "slot"})
        counts = g.groupby("year")["slot"].transform("count")
        g = g[counts == 12].copy()
        g["label"] = g["slot"].map(lambda m: f"{m}月")
    else:
        daily = _daily(monthly, value)
        first, last = daily.index.min(), daily.index.max()
        rows = []
        for y in range(first.year - 1, last.year + 1):
            sf0 = pd.Timestamp(calendar.spring_festival(y))
            sf1 = pd.Timestamp(calendar.spring_festival(y + 1))
            length = (sf1 - sf0) / 12
            lead = pd.Timedelta(days=calendar.HOLIDAY_WINDOWS["spring_festival"][0])
            start, end = sf0 - lead, sf1 - lead
            if start < first or end > last + pd.Timedelta(days=1):
                continue
            edges = [start + k * length for k in range(13)]
            pos = np.searchsorted(np.array(edges[1:], dtype="datetime64[ns]"), daily.index.to_numpy(), side="right")
            inside = (daily.index >= start) & (daily.index < end)
            sums = pd.Series(daily.to_numpy()[inside]).groupby(pos[inside]).sum()
            for k in range(12):
                rows.append((y, k + 1, float(sums.get(k, 0.0))))
        g = pd.DataFrame(rows, columns=["year", "slot", value])
        labels = {1: "春节档"} | {k: f"档后第{k - 1}月" for k in range(2, 13)}
        g["label"] = g["slot"].map(labels)
    total = g.groupby("year")[value].transform("sum")
    g["share"] = g[value] / total.where(total != 0)
    return g[cols].reset_index(drop=True)
