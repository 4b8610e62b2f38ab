"""
Sales review: the figures the environment analysis is built from.

All functions take the archive's tidy ``sales`` rows (as loaded by
:func:`planlib.archive.load_table`) and return new frames. Only ``grain == 'month'``
rows enter monthly and yearly figures, so weekly rows of core terminals never
double-count.

Public names: :func:`monthly_sales`, :func:`yearly_summary`, :func:`monthly_profile`,
:func:`composition`, :func:`indices`, :func:`cagr`, :func:`factor_substitution`,
:func:`factor_substitution_by`, :func:`abc_classes`, :func:`seasonal_profile`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib import calendar
from planlib.frames import (
    at_grain,
    group_sums,
    key_codes,
    map_distinct,
    previous_values,
    safe_ratio,
    sum_weights,
)
from planlib.schemas import OWN_BRAND

__all__ = [
    "monthly_sales",
    "yearly_summary",
    "monthly_profile",
    "composition",
    "indices",
    "cagr",
    "factor_substitution",
    "factor_substitution_by",
    "abc_classes",
    "seasonal_profile",
]


# -- grouping on integer codes ---------------------------------------------------------------
# The review sums a province's half million rows by a dozen different keys; pandas'
# group-by re-hashes the text keys and builds an index each time, which costs more than
# the sums. These helpers factorise a key once and add up with ``np.bincount``.


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
        The kept rows plus ``product_line``, ``year``, ``month``, ``variable_cost``
        (volume × unit_variable_cost, 0 where the cost is unknown) and ``cost_known``
        (the SKU has a unit_variable_cost).
    """
    rows = at_grain(sales)
    if brand is not None:
        rows = rows[rows["brand"] == brand]
    prod = products.set_index("sku")
    line = rows["product_line"] if "product_line" in rows else map_distinct(rows["sku"], prod["product_line"])
    unit_cost = map_distinct(rows["sku"], prod["unit_variable_cost"]).astype("float64")
    known = unit_cost.notna()
    unit_cost = unit_cost.fillna(0.0)
    dates = pd.to_datetime(rows["date"])
    # rows that carry the date's year already (review_region's month rows) keep it: the same values
    year = rows["year"] if "year" in rows and rows["year"].dtype == np.int64 else dates.dt.year.astype("int64")
    return rows.assign(
        product_line=line,
        year=year,
        month=dates.dt.month.astype("int64"),
        variable_cost=(rows["volume"] * unit_cost).astype("float64"),
        cost_known=known.to_numpy(dtype=bool),
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
    gross_margin = revenue − Σ volume × unit_variable_cost; NaN for a year none of whose rows'
    SKUs has a unit cost (``cost_known``: a products table without costs would read a
    margin as large as the revenue);
    growth_t = x_t / x_{t−1} − 1 (NaN for the first year or a zero base).
    """
    k, years = key_codes(monthly["year"])
    known = monthly["cost_known"].astype("float64") if "cost_known" in monthly else pd.Series(1.0, index=monthly.index)
    sums = [monthly[c] for c in ("volume", "revenue", "variable_cost")] + [known]
    (ky,), (volume, revenue, cost, costed), _ = group_sums([k], [len(years)], sums)
    margin = np.where(costed > 0, revenue - cost, np.nan)
    return pd.DataFrame({
        "year": years.take(ky), "volume": volume, "revenue": revenue, "gross_margin": margin,
        "gross_margin_rate": safe_ratio(margin, revenue),
        "volume_growth": safe_ratio(volume, previous_values(volume)) - 1.0,
        "revenue_growth": safe_ratio(revenue, previous_values(revenue)) - 1.0,
    })  # fmt: skip


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
    ky, years = key_codes(monthly["year"])
    kb, values = key_codes(monthly[by])
    (cy, cb), (sums,), _ = group_sums([ky, kb], [len(years), len(values)], [monthly[value]])
    total = np.bincount(cy, weights=sums, minlength=len(years))[cy]
    share = np.asarray(sums, dtype="float64") / np.where(total != 0, total, np.nan)
    return pd.DataFrame({"year": years.take(cy), by: values.take(cb), value: sums, "share": share})


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
    x = values.to_numpy(dtype="float64")
    base = x[0] if len(x) else np.nan
    prev = previous_values(x)
    return pd.DataFrame(
        {
            "value": x,
            "fixed_base": x / base if base not in (0, 0.0) and pd.notna(base) else np.nan,
            "chain": x / np.where(prev != 0, prev, np.nan),
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
    years = monthly["year"].to_numpy()
    base, cur = years == base_year, years == year
    kg, groups = key_codes(monthly[by])
    ks, skus = key_codes(monthly["sku"])
    volume, _ = sum_weights(monthly["volume"])
    revenue, _ = sum_weights(monthly["revenue"])
    # one item per (group, sku): its volume and revenue in the base and the current year, each
    # year summed over its own rows (no full-length copies with zeros elsewhere: adding those
    # zeros changed no sum), items in (group, sku) order
    width = max(len(skus), 1)
    size = max(len(groups), 1) * width
    cell = np.where((kg >= 0) & (ks >= 0), kg * width + ks, -1)
    sums = []
    for year_rows in (base, cur):
        at = np.flatnonzero(year_rows & (cell >= 0))
        sums += [np.bincount(cell[at], weights=w[at], minlength=size).astype("float64") for w in (volume, revenue)]
    slot = np.flatnonzero(np.bincount(cell[(base | cur) & (cell >= 0)], minlength=size))
    cg = slot // width
    q0, r0, q1, r1 = (x[slot] for x in sums)
    whole = _effects(np.zeros(len(cg), dtype=np.int64), pd.Index(["全部"]), q0, r0, q1, r1)
    parts = _effects(cg, groups, q0, r0, q1, r1)
    labels, amounts, shares = (np.concatenate([a, b]) for a, b in zip(whole, parts))
    return pd.DataFrame({
        "group": labels, "effect": np.tile(["volume", "mix", "price", "total"], len(labels) // 4),
        "amount": amounts, "share_of_change": shares,
    })  # fmt: skip


def _effects(codes: np.ndarray, labels: pd.Index, q0, r0, q1, r1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Volume, mix, price and total per group from item rows (group code, q0, r0, q1, r1):
    the group labels, amounts and shares of the change, four rows per group.

    Notes
    -----
    The substitution chain of :func:`factor_substitution` written as sums, so all
    groups are computed at once: with p0 the base price (the current price for new
    items), s0 = Σ q0·p0, step1 = (Q1/Q0)·s0 (0 when Q0 = 0), step2 = Σ q1·p0;
    volume = step1 − s0, mix = step2 − step1, price = (R1 − R0) − volume − mix.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.where(q1 > 0, r1 / np.where(q1 > 0, q1, 1.0), 0.0)
        p0 = np.where(q0 > 0, r0 / np.where(q0 > 0, q0, 1.0), p1)
    present = np.flatnonzero(np.bincount(codes, minlength=len(labels)))
    n = len(labels)
    Q0, Q1, R0, R1, s0, s2 = (np.bincount(codes, weights=w, minlength=n)[present]
                              for w in (q0, q1, r0, r1, q0 * p0, q1 * p0))  # fmt: skip
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(Q0 > 0, Q1 / np.where(Q0 > 0, Q0, 1.0), 0.0)
    step1 = ratio * s0
    volume = step1 - s0
    mix = s2 - step1
    total = R1 - R0
    price = total - volume - mix
    amounts = np.column_stack([volume, mix, price, total]).ravel()
    totals = np.repeat(total, 4)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(totals != 0, amounts / np.where(totals != 0, totals, 1.0), np.nan)
    return np.repeat(labels.take(present).to_numpy(), 4), amounts, share


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
    v = np.clip(values.to_numpy(dtype="float64"), 0.0, None)
    grp = values.index.map(groups).fillna("") if groups is not None else np.zeros(len(values), dtype="int64")
    kg, _ = key_codes(pd.Series(np.asarray(grp)))
    ki, _ = key_codes(values.index)
    ki = np.where(ki < 0, len(ki), ki)  # a missing id sorts last
    order = np.lexsort((ki, -v, np.isnan(v), kg))  # by group, value descending, id
    v, kg = v[order], kg[order]
    # the group's total and running share as a group-by adds them up (compensated sums)
    total = pd.Series(v).groupby(kg).transform("sum").to_numpy()
    share = np.nan_to_num(v / np.where(total > 0, total, np.nan), nan=0.0, posinf=np.inf, neginf=-np.inf)
    cum = pd.Series(share).groupby(kg).cumsum().to_numpy()
    before = cum - share
    cls = np.select([before < a, before < b, before < c], ["A", "B", "C"], default="D")
    cls = np.where(v > 0, cls, "D")
    final = np.argsort(-v, kind="stable")  # value descending, ties in the order above (missing last)
    index = values.index.take(order[final])
    return pd.DataFrame(
        {"value": v[final], "share": share[final], "cum_share": cum[final], "abc_class": cls[final]},
        index=index.rename(values.index.name),
    )


# -- seasonality ---------------------------------------------------------------------------


def _daily(monthly_values: pd.DataFrame, value: str) -> pd.Series:
    """Spread each month's value evenly over its days."""
    kd, dates = key_codes(monthly_values["date"])
    (cd,), (sums,), _ = group_sums([kd], [len(dates)], [monthly_values[value]])
    m = pd.Series(sums, index=dates.take(cd))
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

    if align not in ("spring_festival", "calendar"):
        raise ValueError(f"align must be 'spring_festival' or 'calendar', got {align!r}")
    cols = ["year", "slot", "label", value, "share"]
    if monthly.empty:
        return pd.DataFrame(columns=cols)
    if align == "calendar":
        ky, years = key_codes(monthly["year"])
        km, months = key_codes(monthly["month"])
        (cy, cm), (sums,), _ = group_sums([ky, km], [len(years), len(months)], [monthly[value]])
        keep = np.bincount(cy, minlength=len(years))[cy] == 12
        slots = months.take(cm[keep])
        label = [f"{m}月" for m in slots] if len(slots) else slots.to_numpy()  # (an empty map keeps the type)
        g = {"year": years.take(cy[keep]), "slot": slots, "label": label, value: sums[keep]}
    else:
        daily = _daily(monthly, value)
        first, last = daily.index.min(), daily.index.max()
        days, per_day = daily.index.to_numpy(), daily.to_numpy()
        rows = []
        # a festival year the lunar calendar cannot place is no complete year either
        for y in range(max(first.year - 1, calendar.FIRST_YEAR), min(last.year, calendar.LAST_YEAR - 1) + 1):
            sf0 = pd.Timestamp(calendar.spring_festival(y))
            sf1 = pd.Timestamp(calendar.spring_festival(y + 1))
            length = (sf1 - sf0) / 12
            lead = pd.Timedelta(days=calendar.HOLIDAY_WINDOWS["spring_festival"][0])
            start, end = sf0 - lead, sf1 - lead
            if start < first or end > last + pd.Timedelta(days=1):
                continue
            edges = [start + k * length for k in range(13)]
            pos = np.searchsorted(np.array(edges[1:], dtype="datetime64[ns]"), days, side="right")
            inside = (days >= start.to_datetime64()) & (days < end.to_datetime64())
            sums = np.bincount(pos[inside], weights=per_day[inside], minlength=12)
            rows += [(y, k + 1, float(sums[k])) for k in range(12)]
        labels = {1: "春节档"} | {k: f"档后第{k - 1}月" for k in range(2, 13)}
        if not rows:  # no complete festival year: an empty frame of untyped columns, as before
            g = pd.DataFrame(rows, columns=["year", "slot", value]).assign(label=lambda f: f["slot"].map(labels))
            return g.assign(share=g[value])[cols]
        g = {
            "year": np.array([r[0] for r in rows], dtype="int64"),
            "slot": np.array([r[1] for r in rows], dtype="int64"),
            "label": [labels[r[1]] for r in rows],
            value: np.array([r[2] for r in rows], dtype="float64"),
        }
    ky, years = key_codes(pd.Series(g["year"]))
    x = np.asarray(g[value], dtype="float64")
    total = np.bincount(ky, weights=x, minlength=len(years))[ky]
    g["share"] = x / np.where(total != 0, total, np.nan)
    return pd.DataFrame(g, columns=cols)
