"""
Caps and phasing: a budget scaled down exactly to its cap, a region's cap, the months.

DOMAIN.md §6 (Art. 11). Amounts are in yuan with whole cents; every scaling and every
split into months keeps the cents exact (largest remainder).

Public names
------------
apply_cap     scale a budget down to its cap, summing exactly to it

Used by the plan's pricing (:mod:`planlib.budget.plan`)
--------------------------------------------------------
CENT          the budget's rounding unit, 0.01 yuan
cap_for       a region's cap: cap_ratio × its target revenue, and its own cap_amount
cap_units     the planning units above their cap scaled down to it
cap_parents   a parent's own items squeezed so its children plus its own stay within its cap
payment_calendar  the items paid in a few months last year, with their month shares
phase_rows    each budget row's annual amount over the twelve months, exact in cents
floor_cents   an amount rounded down to the cent
to_cents, split_cents   amounts as whole cents; a row-wise split of cents by weights
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planlib.budget.inputs import SLACK, amount_series, number, positive_unit
from planlib.errors import BudgetError
from planlib.rounding import from_units, largest_remainder, round_to_total

__all__ = ["apply_cap"]

CENT = 0.01


def apply_cap(budget: pd.Series, cap, *, unit=0.01) -> pd.Series:
    """
    Scale a budget down proportionally so that its total equals the cap exactly.

    Parameters
    ----------
    budget : Series
        Non-negative amounts indexed by item.
    cap : float
        The most the total may be (non-negative).
    unit : float, default 0.01
        Rounding unit of the scaled amounts (cents).

    Returns
    -------
    Series
        A new Series, same index and name. Unchanged if the total is within the cap;
        else amounts in whole units summing exactly to the cap (to floor(cap / unit)
        units when the cap is not itself a multiple of the unit).

    Raises
    ------
    ParamsError
        If an amount is negative or not a number, or the cap or unit is invalid.

    Notes
    -----
    With total T > cap C: b'_i = b_i x C / T, rounded in units by largest remainder
    (:func:`planlib.rounding.round_to_total` on integer units), so sum(b') = C exactly and
    each item moves by less than one unit from its exact proportional value; ties in
    the remainder go to the lower item label.
    """
    b = amount_series(budget)
    c = number(cap, "cap", minimum=0.0)
    u = positive_unit(unit)
    if float(b.sum()) <= c:
        return b.copy()
    k_cap = math.floor(c / u + SLACK * max(1.0, c / u))
    k = round_to_total(b / u, k_cap, unit=1)  # a Series: remainder ties go to the lower label
    return pd.Series(from_units(k.to_numpy(), u), index=b.index, name=b.name)


def to_cents(x) -> np.ndarray:
    """Amounts in yuan as whole cents (int64), rounded to the nearest cent."""
    return np.rint(np.asarray(x, dtype=float) / CENT).astype(np.int64)


def split_cents(total_cents: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """
    Row-wise split of whole cents by weights (n × k), each row summing exactly.

    Largest remainder (:func:`planlib.rounding.largest_remainder`), ties to the first
    column; a row whose weights are all zero splits evenly.
    """
    w = np.asarray(weights, dtype=float)
    s = w.sum(axis=1, keepdims=True)
    k = w.shape[1]
    share = np.where(s > 0, w / np.where(s > 0, s, 1.0), np.full_like(w, 1.0 / k))
    # no snapping to whole cents: quotas of 1e9 cents and more are usual here
    return largest_remainder(share * total_cents[:, None], total_cents, np.arange(k), snap=False)


def cap_for(region, p, plan_bp, region_params, root, target_revenue) -> float | None:
    """
    A region's cap: cap_ratio × its target revenue, and cap_amount where it is set for it.

    ``cap_amount`` caps the region whose file sets it: the plan file's the root, a region
    file's that region (it is not inherited, since an amount fits one region's size).
    """
    c = []
    if p.cap_ratio is not None:
        c.append(p.cap_ratio * float(target_revenue.get(region, 0.0)))
    own_amount = region_params.get(region).cap_amount if region in region_params else (
        plan_bp.cap_amount if region == root else None)
    if own_amount is not None:
        c.append(float(own_amount))
    return floor_cents(min(c)) if c else None


def floor_cents(amount: float) -> float:
    """An amount rounded down to the cent: a cap is never rounded up."""
    return math.floor(amount * 100) / 100


def _scale_region(rows: pd.DataFrame, region: str, cap: float) -> float:
    """Scale the region's amounts in ``rows`` down to ``cap`` in place (:func:`apply_cap`); their new total."""
    idx = np.flatnonzero((rows["region_id"] == region).to_numpy())
    scaled = apply_cap(pd.Series(rows["amount"].to_numpy()[idx], index=range(len(idx))), cap, unit=CENT)
    rows.iloc[idx, rows.columns.get_loc("amount")] = scaled.to_numpy()
    return float(scaled.sum())


def cap_parents(own_rows, unit_rows, tree, parents, units, cap_of) -> tuple[pd.DataFrame, list[str]]:
    """
    Scale a parent's own items so that its children plus its own stay within its cap (deepest parents first).

    Returns the own rows (a copy) and the parents squeezed; BudgetError naming the parent
    when its children's budgets alone already exceed its cap.
    """
    if not parents:
        return own_rows, []
    unit_tot = unit_rows.groupby("region_id")["amount"].sum()
    own_tot = own_rows.groupby("region_id")["amount"].sum() if len(own_rows) else pd.Series(dtype=float)
    total = {u: float(unit_tot.get(u, 0.0)) for u in units}
    squeezed, rows = [], own_rows.copy()
    planned = set(units) | set(parents)
    for r in sorted(parents, key=lambda x: -len(tree.ancestors(x))):
        kids = [k for k in tree.children(r) if k in planned]
        kids_total = sum(total.get(k, 0.0) for k in kids)
        own = float(own_tot.get(r, 0.0))
        cap = cap_of.get(r)
        if cap is not None and kids_total > cap + 0.005:
            raise BudgetError(f"budget cap of {r} ({tree.name(r)}): its children's budgets {kids_total:,.2f} already "
                              f"exceed its cap {cap:,.2f} by {kids_total - cap:,.2f}; raise its cap or lower theirs")
        if cap is not None and kids_total + own > cap + 0.005:
            own = _scale_region(rows, r, max(floor_cents(cap - kids_total), 0.0))
            squeezed.append(r)
        total[r] = kids_total + own
    return rows, squeezed


def cap_units(rows: pd.DataFrame, units, cap_of: dict) -> tuple[pd.DataFrame, list[str]]:
    """Scale a unit whose budget is above its cap down exactly to it (:func:`apply_cap`)."""
    tot = rows.groupby("region_id")["amount"].sum()
    over = [u for u in units if cap_of.get(u) is not None and float(tot.get(u, 0.0)) > cap_of[u] + 1e-9]
    if not over:
        return rows, []
    rows = rows.copy()
    for u in over:
        _scale_region(rows, u, cap_of[u])
    return rows, over


def payment_calendar(calendar: pd.DataFrame, *, max_months: int = 6, peak_share: float = 0.4) -> pd.DataFrame:
    """
    The items paid on a calendar of their own: their shares of last year's spend by month.

    Parameters
    ----------
    calendar : DataFrame
        category, item, month (1-12), amount: last year's spend of the plan's regions
        (:func:`planlib.archive.queries.budget.expense_calendar`).
    max_months : int, default 6
        An item paid in at most this many months follows its calendar (a year-end rebate
        paid in January, slotting fees at the start of the year).
    peak_share : float, default 0.4
        So does an item whose largest month holds at least this share of its year (festival
        promoters in the Spring Festival month).

    Returns
    -------
    DataFrame
        Indexed by (category, item), columns 1..12: each row's month shares, summing to 1.
        Items spent evenly or with the sales (the rest) are not in it.

    Notes
    -----
    share_{i,m} = amount_{i,m} / Σ_m amount_{i,m}; item i is kept when |{m : amount_{i,m} > 0}|
    ≤ max_months or max_m share_{i,m} ≥ peak_share. Negative months (refunds) count as 0.
    """
    if calendar.empty:
        return pd.DataFrame(columns=range(1, 13), index=pd.MultiIndex.from_tuples([], names=["category", "item"]))
    wide = calendar.assign(amount=calendar["amount"].clip(lower=0)).pivot_table(
        index=["category", "item"], columns="month", values="amount", aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(columns=range(1, 13), fill_value=0.0)
    total = wide.sum(axis=1)
    wide = wide.loc[total > 0]
    shares = wide.div(wide.sum(axis=1), axis=0)
    lumpy = ((wide > 0).sum(axis=1) <= max_months) | (shares.max(axis=1) >= peak_share)
    return shares.loc[lumpy]


def phase_rows(rows: pd.DataFrame, month_share: pd.DataFrame, fixed, calendar: pd.DataFrame | None = None) -> pd.DataFrame:
    """
    Each budget row's annual amount over the twelve months, exact in cents.

    Rows of the ``fixed`` categories go straight-line; an item of another category on
    ``calendar`` (:func:`payment_calendar`: paid in a few months last year) is phased like
    last year's payments; the
    others follow their region's ``month_share`` (region × months 1..12, each row summing to 1;
    a region missing there goes straight-line). Returns the rows repeated per month with
    ``month`` 1..12 and the month's amount (largest remainder in cents, ties to the earlier
    month); months with nothing are left out.
    """
    if rows.empty:
        return rows.assign(month=pd.Series(dtype="int64"))
    shares = month_share.reindex(rows["region_id"]).fillna(1.0 / 12).to_numpy(copy=True)
    straight = rows["category"].isin(list(fixed)).to_numpy()
    shares[straight] = 1.0 / 12
    if calendar is not None and len(calendar):
        keys = pd.MultiIndex.from_arrays([rows["category"].astype(str), rows["item"].astype(str)])
        paid = calendar.reindex(keys)
        on = paid.notna().all(axis=1).to_numpy() & ~straight  # the params' fixed categories stay straight-line
        shares[on] = paid.to_numpy(dtype=float)[on]
    cents = split_cents(to_cents(rows["amount"].to_numpy()), shares).ravel()
    kept = np.flatnonzero(cents != 0)  # row k's month m at k * 12 + m - 1; months with nothing left out
    rep = rows.take(kept // 12).reset_index(drop=True)
    rep["month"] = kept % 12 + 1  # 1..12 here; the plan year's dates at the end
    rep["amount"] = cents[kept] * CENT
    return rep
