"""
Past spend: what the expense ratio was, and which promotions and media paid.

The seed's symptom 3 — "our expense ratio is too low" — is answered with history:
expense/sales by category, and the sales lift measured during each past activity
against a trend-adjusted baseline.

Public names: :func:`expense_ratios`, :func:`activity_lift`, :func:`subtree_months`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.frames import group_sums as _group_sums
from planlib.frames import key_codes as _codes
from planlib.frames import safe_ratio as _ratio
from planlib.schemas import CATEGORIES, OWN_BRAND

__all__ = ["expense_ratios", "activity_lift", "subtree_months"]


def expense_ratios(expenses: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    """
    Expense ratio (费用率) by year and category.

    Parameters
    ----------
    expenses : DataFrame
        Archive expense rows for the region's subtree.
    monthly : DataFrame
        :func:`planlib.review.monthly_sales` rows for the same subtree (own brand).

    Returns
    -------
    DataFrame
        year, category, amount, revenue, ratio — plus a '全部' (all categories) row per year.

    Notes
    -----
    ratio = Σ amount / Σ own revenue of the year; NaN when revenue is zero.
    """
    ky, years = _codes(pd.to_datetime(expenses["date"]).dt.year.astype("int64"))
    kc, categories = _codes(expenses["category"])
    (cy, cc), (amount,), _ = _group_sums([ky, kc], [len(years), len(categories)], [expenses["amount"]])
    # the year's total ('全部') is the sum of its categories
    (ty,), (total,), _ = _group_sums([cy], [len(years)], [amount])
    ry, rev_years = _codes(monthly["year"])
    (cr,), (rev,), _ = _group_sums([ry], [len(rev_years)], [monthly["revenue"]])
    year = years.take(np.concatenate([cy, ty]))
    category = categories.take(cc).append(pd.Index(["全部"] * len(ty), dtype=categories.dtype))
    amount = np.concatenate([amount, total])
    at = rev_years.take(cr).get_indexer(year)
    revenue = np.where(at >= 0, rev[np.maximum(at, 0)] if len(rev) else 0.0, 0.0)
    # by year, then the categories in their catalogue order with the total last (others after it)
    rank = {c: i for i, c in enumerate((*CATEGORIES, "全部"))}
    order = np.lexsort((np.array([rank.get(c, 99) for c in category], dtype="float64"), year.to_numpy()))
    return pd.DataFrame({
        "year": year.take(order), "category": category.take(order), "amount": amount[order],
        "revenue": revenue[order], "ratio": _ratio(amount, revenue)[order],
    })  # fmt: skip


def activity_lift(
    activities: pd.DataFrame,
    region_months: pd.DataFrame,
    control: pd.Series,
    *,
    margin_rate: float,
) -> pd.DataFrame:
    """
    The sales lift and return of each past own activity.

    Parameters
    ----------
    activities : DataFrame
        Archive activities (own and competitors'); only ``brand == 'own'`` with a cost are measured.
    region_months : DataFrame
        Own revenue of each region's whole subtree by month: index region_id, columns
        month starts (see :func:`subtree_months`).
    control : Series
        Own revenue by month of a comparison market that shares the regions' seasons
        (the parent's subtree); index month starts.
    margin_rate : float
        Gross margin per unit of revenue, to turn extra revenue into extra margin.

    Returns
    -------
    DataFrame
        activity_id, region_id, kind, start_date, end_date, cost, window_revenue,
        baseline_revenue, lift, extra_margin, roi, paid — sorted by roi.

    Notes
    -----
    For window months W (months overlapping the activity) and the three months P
    before it, with R the region's revenue and C the control's:

    baseline = Σ_W C × (Σ_P R / Σ_P C)

    i.e. what the region would have sold had it moved with the control market — the
    Spring Festival and every other season move both alike, so a festival that falls
    in another month this year is not mistaken for a lift.
    lift = window / baseline − 1; extra_margin = (window − baseline) × margin_rate;
    roi = (extra_margin − cost) / cost; paid = roi > 0. An activity whose months are
    not all in the history gets NaN and paid = False.
    """
    cols = ["activity_id", "region_id", "kind", "start_date", "end_date", "cost", "window_revenue",
            "baseline_revenue", "lift", "extra_margin", "roi", "paid"]  # fmt: skip
    measured = (activities["brand"] == OWN_BRAND) & activities["cost"].fillna(0).gt(0)
    measured &= activities["region_id"].isin(region_months.index)
    own = activities[measured.to_numpy()]
    if own.empty or region_months.empty:
        return pd.DataFrame(columns=cols)
    months = pd.DatetimeIndex(region_months.columns)
    values = region_months.to_numpy(dtype="float64")
    ctrl = control.reindex(months).to_numpy(dtype="float64")[None, :]
    # the column of each activity's first and last month (a column that is not a month start never matches)
    exact = months == months.to_period("M").to_timestamp()
    numbers = _month_number(months.to_numpy())
    first = _month_column(numbers, exact, _month_number(pd.to_datetime(own["start_date"]).to_numpy()))
    last = _month_column(numbers, exact, _month_number(pd.to_datetime(own["end_date"]).to_numpy()))
    ok = (first >= 3) & (last >= 0)  # both months in the history, and three months before the first
    row, at = pd.Index(region_months.index).get_indexer(own["region_id"]), np.where(ok, first, 3)
    span, pre = np.where(ok, np.maximum(last - first + 1, 0), 0), np.where(ok, 3, 0)
    one = np.zeros(len(row), dtype=np.int64)  # the control's only row
    w, cw = _window_sums(values, row, at, span), _window_sums(ctrl, one, at, span)
    pre_r, pre_c = _window_sums(values, row, at - 3, pre), _window_sums(ctrl, one, at - 3, pre)
    cost = own["cost"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.where(pre_c > 0, cw * pre_r / pre_c, np.nan)
        lift = np.where(base > 0, w / base - 1.0, np.nan)
        extra = (w - base) * margin_rate  # NaN where the baseline is
        roi = (extra - cost) / cost  # every measured cost is > 0
    w, base, lift, extra, roi = (np.where(ok, x, np.nan) for x in (w, base, lift, extra, roi))
    out = pd.DataFrame({
        **{c: _as_listed(own[c]) for c in ("activity_id", "region_id", "kind", "start_date", "end_date")},
        "cost": cost, "window_revenue": w, "baseline_revenue": base, "lift": lift, "extra_margin": extra, "roi": roi,
        "paid": roi > 0,
    }, columns=cols)  # fmt: skip
    # by return, best first (unmeasured last), then id
    ids, _ = _codes(out["activity_id"])
    roi = out["roi"].to_numpy(dtype="float64")
    order = np.lexsort((np.where(ids < 0, len(ids), ids), -roi, np.isnan(roi)))
    return out.take(order).reset_index(drop=True)


def _as_listed(column: pd.Series):
    """
    The column's values as a frame built from them one by one would hold them: a str or
    datetime column without a missing value as it is (the same dtype, no objects made),
    any other as a list of its values (the frame infers their dtype, as before).
    """
    dtype = column.dtype
    if column.isna().any():
        return column.tolist()
    if dtype == pd.StringDtype(na_value=np.nan):  # the str dtype a list of strings is given
        return column.array
    if isinstance(dtype, np.dtype) and dtype.kind == "M":  # Timestamps keep their unit
        return column.to_numpy()
    return column.tolist()


def _month_number(dates: np.ndarray) -> np.ndarray:
    """Months since 1970 of datetime64 values (the smallest int64 where missing: it matches no month)."""
    return np.asarray(dates).astype("datetime64[M]").astype(np.int64)


def _month_column(numbers: np.ndarray, exact: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """
    The column of each wanted month among the columns that are month starts (``exact``), −1 where none is;
    of two columns of the same month, the later one.
    """
    cols = np.flatnonzero(exact)[::-1]  # the later of equal months first: np.unique keeps the first
    months, first = np.unique(numbers[cols], return_index=True)
    k = np.minimum(np.searchsorted(months, wanted), max(len(months) - 1, 0))
    found = (months[k] == wanted) if len(months) else np.zeros(len(wanted), dtype=bool)
    return np.where(found, cols[first[k]] if len(months) else -1, -1)


def _window_sums(values: np.ndarray, rows: np.ndarray, start: np.ndarray, span: np.ndarray) -> np.ndarray:
    """
    ``values[row, start:start + span].sum()`` for every (row, start, span), to the bit.

    Notes
    -----
    numpy adds fewer than eight values one after the other (then adds that to 0.0): a window
    that short is added up the same way here, a column at a time for all windows at once; a
    longer one (a campaign of eight months or more) is summed by numpy itself, row by row.
    """
    out = np.zeros(len(rows))
    short = span < 8
    for k in range(int(span[short].max()) if short.any() else 0):
        on = short & (span > k)
        out[on] += values[rows[on], start[on] + k]
    for i in np.flatnonzero(~short):
        out[i] = values[rows[i], start[i] : start[i] + span[i]].sum()
    return out


def subtree_months(monthly: pd.DataFrame, tree, region: str) -> pd.DataFrame:
    """
    Own revenue by month of every region in ``region``'s subtree, each including its descendants.

    Returns
    -------
    DataFrame
        Index region_id (the whole subtree), columns month starts, values revenue.

    Notes
    -----
    Facts are summed where they are recorded, then added up the tree from the leaves,
    so a parent's row equals the sum of its children's rows plus its own facts.
    """
    ids = list(tree.subtree(region))
    if monthly.empty:
        return pd.DataFrame(index=pd.Index(ids, name="region_id"))
    kr, regions = _codes(monthly["region_id"])
    kd, dates = _codes(monthly["date"])
    kd = np.where(kr >= 0, kd, -1)  # the months of rows with a region, as pivot_table lists them
    present = np.flatnonzero(np.bincount(kd[kd >= 0], minlength=len(dates)))
    column = np.full(len(dates), -1)
    column[present] = np.arange(len(present))
    row = pd.Index(ids).get_indexer(regions)  # regions outside the subtree are left out
    (cr, cd), (sums,), _ = _group_sums([kr, kd], [len(regions), len(dates)], [monthly["revenue"]])
    inside = row[cr] >= 0
    values = np.zeros((len(ids), len(present)))
    values[row[cr[inside]], column[cd[inside]]] = sums[inside]
    columns = pd.DatetimeIndex(dates.take(present), name="date")
    index = {r: i for i, r in enumerate(ids)}
    for r in reversed(ids):  # depth-first order reversed: children before parents
        p = tree.parent(r)
        if r != region and p in index:
            values[index[p]] += values[index[r]]
    return pd.DataFrame(values, index=pd.Index(ids, name="region_id"), columns=columns)
