"""
Input-output budgeting: response curves from past activities, the spend where it returns most,
and what past spend returned.

DOMAIN.md §6. Every function but :func:`region_spend_returns` (which reads the archive's
sums) is pure: it takes tidy frames and returns new ones.

Public names
------------
fit_response     a diminishing-returns response curve per activity kind, from past lift
allocate_spend   a total spread over activity kinds where the marginal return is highest
input_output_spend  each unit's spend per activity kind: funded while a yuan returns more than a
                 yuan of contribution, within the curve's trusted range and the unit's room
spend_roi        past spend: expense ratio by category, ROI by activity kind, spend that did not pay
region_spend_returns  :func:`spend_roi` of a region's past, from the archive's sums (no sales rows)

Used by the plan's pricing
--------------------------
response_curves  the plan's curves: own past activities measured and fitted
KIND_ITEMS       activity kind -> (category, item) its spend is booked to
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from planlib import review
from planlib.archive import load_table
from planlib.archive.queries.budget import spend_history
from planlib.archive.queries.review import control_revenue
from planlib.budget.inputs import (
    amount_series,
    float_column,
    id_array,
    listing,
    number,
    positive_unit,
    require_columns,
)
from planlib.errors import BudgetError, DataError, ParamsError, PlanWarning
from planlib.rounding import format_amount, from_units, round_to_total, to_units
from planlib.schemas import ACTIVITY_KINDS, OWN_BRAND

__all__ = ["fit_response", "allocate_spend", "input_output_spend", "spend_roi", "region_spend_returns"]


_CURVES = ("exponential", "linear", "zero")
_CURVE_COLUMNS = ("kind", "curve", "a", "b", "slope", "n_points", "n_excluded", "fallback", "note")
_B_BOUNDS = (0.1, 100.0)  # b within [0.1 x smallest, 100 x largest] observed cost


def _exp_curve(x, a, b):
    return a * -np.expm1(-x / b)


def _lift_revenue(history: pd.DataFrame) -> np.ndarray:
    """``lift_revenue``, or ``window_revenue - baseline_revenue`` as :func:`planlib.review.activity_lift` has it."""
    if "lift_revenue" in history.columns:
        cols = ["lift_revenue"]
    elif {"window_revenue", "baseline_revenue"} <= set(history.columns):
        cols = ["window_revenue", "baseline_revenue"]
    else:
        raise DataError(
            "history needs lift_revenue, or window_revenue and baseline_revenue "
            "(planlib.review.activity_lift's columns)"
        )
    try:
        values = [history[c].to_numpy(dtype=float, na_value=np.nan) for c in cols]
    except (TypeError, ValueError):
        raise DataError(f"history: {', '.join(cols)} must hold numbers") from None
    return values[0] if len(values) == 1 else values[0] - values[1]


def fit_response(history: pd.DataFrame, *, min_points: int = 3) -> pd.DataFrame:
    """
    Fit a diminishing-returns response curve per activity kind to past spend and lift.

    Parameters
    ----------
    history : DataFrame
        One row per past activity: ``kind``, ``cost`` and ``lift_revenue`` (extra
        revenue against the baseline) — or :func:`planlib.review.activity_lift`'s output
        as is, whose ``window_revenue - baseline_revenue`` is the lift. Rows whose lift
        could not be measured (NaN) or whose cost is not positive are left out and
        counted.
    min_points : int, default 3
        The fewest measured activities (with at least two different costs) a kind needs
        for a curve to be fitted.

    Returns
    -------
    DataFrame
        One row per kind, sorted: ``kind``, ``curve`` (``exponential``, ``linear`` or
        ``zero``), ``a``, ``b`` (the exponential's ceiling and spend scale; 0 for the
        others), ``slope`` (the return of the first yuan: a / b, or the linear slope),
        ``n_points`` (activities used), ``n_excluded`` (left out: unmeasured or no
        cost), ``fallback`` (bool) and ``note`` (why a fallback was used; empty
        otherwise). No value is NaN.

    Raises
    ------
    DataError
        If ``kind`` or ``cost`` or the lift columns are missing or not numbers.
    ParamsError
        If ``min_points`` is below 2.

    Notes
    -----
    The curve is exponential saturation, lift(s) = a (1 - exp(-s / b)) with a >= 0 the
    lift that unlimited spend approaches and b > 0 the spend that reaches 63% of it;
    the marginal return is lift'(s) = (a / b) exp(-s / b), falling with every yuan.
    It is fitted by least squares with ``scipy.optimize.curve_fit`` (trust-region
    reflective, bounds a >= 0 and 0.1 min(cost) <= b <= 100 max(cost)) on costs and
    lifts scaled by their maxima.

    Fallbacks, flagged: a kind with fewer than ``min_points`` measured activities,
    fewer than two distinct costs, a fit that fails or gives no response, or a fit
    with b at its lower bound (the lift does not grow with spend where spend was
    observed) gets the line through the origin lift(s) = m s with
    m = sum(lift) / sum(cost), the mean return per yuan — or the zero curve when
    m <= 0 or nothing was measured. A kind whose measured lifts are all <= 0 gets the
    zero curve. A fit with b at its upper bound shows no diminishing return over the
    observed spend (within 0.5%): it becomes the line of slope a / b, flagged.
    """
    import scipy.optimize  # loaded at the first fit, not with planlib.budget (about 0.8 s of CPU)

    require_columns(history, ["kind", "cost"], "history")
    if isinstance(min_points, bool) or not isinstance(min_points, int | np.integer) or min_points < 2:
        raise ParamsError(
            f"min_points must be an integer of at least 2 (two parameters are fitted), got {min_points!r}"
        )
    kinds = id_array(history, "kind", "history")
    try:
        cost = history["cost"].to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise DataError("history: cost must hold numbers") from None
    lift = _lift_revenue(history)
    usable = np.isfinite(cost) & (cost > 0) & np.isfinite(lift)
    rows = []
    for kind in sorted(set(kinds)):
        mine = kinds == kind
        x, y = cost[mine & usable], lift[mine & usable]
        n, excluded = len(x), int((mine & ~usable).sum())

        def fallback(why: str, x=x, y=y, n=n, excluded=excluded, kind=kind):
            m = float(y.sum() / x.sum()) if n else 0.0
            if m > 0:
                return (kind, "linear", 0.0, 0.0, m, n, excluded, True,
                        f"{why}: line through the origin at the mean return {m:.4g} per yuan")  # fmt: skip
            return (kind, "zero", 0.0, 0.0, 0.0, n, excluded, True, f"{why}: no response assumed")

        if n == 0:
            rows.append(fallback("no measured activity"))
            continue
        if (y <= 0).all():
            rows.append(fallback(f"no positive lift in {n} measured activities"))
            continue
        if n < min_points or len(np.unique(x)) < 2:
            rows.append(fallback(f"too few to fit a curve: {n} measured activities at {len(np.unique(x))} "
                                 f"distinct costs (needs {min_points} at 2 or more)"))  # fmt: skip
            continue
        sx, sy = float(x.max()), float(np.abs(y).max())
        X, Y = x / sx, y / sy
        lo, hi = _B_BOUNDS[0] * float(X.min()), _B_BOUNDS[1]
        p0 = (max(float(Y.max()), 1e-3) * 1.5, min(max(float(np.median(X)), 2 * lo), hi / 2))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", scipy.optimize.OptimizeWarning)  # covariance only; not used
                popt, _ = scipy.optimize.curve_fit(_exp_curve, X, Y, p0=p0, bounds=([0.0, lo], [np.inf, hi]), maxfev=20_000)
        except (RuntimeError, ValueError) as err:
            rows.append(fallback(f"the fit failed ({err})"))
            continue
        a, b = float(popt[0]) * sy, float(popt[1]) * sx
        if not (math.isfinite(a) and math.isfinite(b)) or a <= 0 or b <= 0:
            rows.append(fallback("the fit gave no response"))
        elif popt[1] <= lo * 1.01:
            rows.append(fallback("lift does not rise with spend over the observed range (the curve would "
                                 "saturate below the smallest spend)"))  # fmt: skip
        elif popt[1] >= hi * 0.99:
            rows.append((kind, "linear", 0.0, 0.0, a / b, n, excluded, True,
                         "no diminishing return visible over the observed spend: the fitted curve is a line "
                         f"with return {a / b:.4g} per yuan"))  # fmt: skip
        else:
            rows.append((kind, "exponential", a, b, a / b, n, excluded, False, ""))
    out = pd.DataFrame(rows, columns=list(_CURVE_COLUMNS))
    return out.astype({"a": float, "b": float, "slope": float, "n_points": np.int64, "n_excluded": np.int64,
                       "fallback": bool})  # fmt: skip


def _curves(curves: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validated (kind, curve, a, b, slope) arrays of a :func:`fit_response` frame."""
    what = "curves"
    require_columns(curves, ["kind", "curve", "a", "b", "slope"], what)
    kinds = id_array(curves, "kind", what)
    dup = pd.Index(kinds)[pd.Index(kinds).duplicated()].unique()
    if len(dup):
        raise ParamsError(f"{what}: kinds named more than once: {listing(dup)}")
    shape = id_array(curves, "curve", what)
    bad = ~np.isin(shape, _CURVES)
    if bad.any():
        raise ParamsError(f"{what}: unknown curve for {listing(kinds[bad])}; valid curves: {', '.join(_CURVES)}")
    a = float_column(curves, "a", what, kinds, minimum=0.0)
    b = float_column(curves, "b", what, kinds, minimum=0.0)
    slope = float_column(curves, "slope", what, kinds, minimum=0.0)
    bad = (shape == "exponential") & (b <= 0)
    if bad.any():
        raise ParamsError(f"{what}: an exponential curve needs b > 0; not so for {listing(kinds[bad])}")
    return kinds, shape, a, b, slope


def _lift_and_marginal(shape, a, b, slope, s):
    """Lift and marginal return of each curve at spend ``s`` (arrays of equal length)."""
    expo = shape == "exponential"
    linear = shape == "linear"
    bb = np.where(expo, b, 1.0)
    lift = np.where(expo, a * -np.expm1(-s / bb), np.where(linear, slope * s, 0.0))
    marginal = np.where(expo, a / bb * np.exp(-s / bb), np.where(linear, slope, 0.0))
    return lift, marginal


def allocate_spend(curves: pd.DataFrame, total, *, unit=0.01, limits: pd.Series | None = None) -> pd.DataFrame:
    """
    Spread a total over activity kinds where the predicted lift is largest (input-output).

    Parameters
    ----------
    curves : DataFrame
        :func:`fit_response` output (``kind, curve, a, b, slope``).
    total : float
        The money to spread (non-negative, a whole number of units).
    unit : float, default 0.01
        Rounding unit of the spends; largest-remainder rounding keeps the sum equal to
        ``total``.
    limits : Series, optional
        The most each kind may get, indexed by kind (kinds not in it are unlimited) —
        e.g. a multiple of the largest spend ever observed, so that a curve is not
        trusted far beyond its data. Rounded down to whole units.

    Returns
    -------
    DataFrame
        ``kind, spend, lift, marginal_return, return_per_cost`` in the curves' order:
        the spend per kind (summing exactly to ``total``), its predicted lift, the
        marginal return of the last yuan there and lift / spend (0 where nothing is
        spent). At the optimum the funded kinds below their limit share one marginal
        return, every unfunded kind's is no higher and every kind at its limit's no lower.

    Raises
    ------
    BudgetError
        If ``total`` > 0 and no kind responds to spend (all curves zero), the responding
        kinds' limits add up to less than the total (by how much is given), or the
        optimiser does not converge (its message is given).
    ParamsError
        If the total, unit or a limit is invalid, the total is not a whole number of
        units, or a curve is invalid.

    Notes
    -----
    Maximises sum_i lift_i(s_i) subject to sum_i s_i = T and 0 <= s_i <= L_i with
    ``scipy.optimize.minimize`` (SLSQP, analytic gradients) on the shares s_i / T. Each
    lift_i is concave, so the optimum is global and satisfies the Kuhn-Tucker
    conditions: lift_i'(s_i) = lambda where 0 < s_i < L_i, lift_i'(0) <= lambda where
    s_i = 0 and lift_i'(L_i) >= lambda where s_i = L_i. For exponential curves a kind
    funded below its limit gets s_i = b_i ln(a_i / (b_i lambda)); with two such kinds
    and no limit binding, s_1 = (T / b_2 + ln(a_1 b_2 / (a_2 b_1))) / (1 / b_1 + 1 / b_2).
    Kinds with the zero curve are given nothing. The optimum is rounded to the unit by
    largest remainder (:func:`planlib.rounding.round_to_total`), so the spends sum to T
    exactly and none exceeds its limit; lift and marginal return are reported at the
    rounded spends.
    """
    import scipy.optimize  # loaded at the first fit, not with planlib.budget (about 0.8 s of CPU)

    kinds, shape, a, b, slope = _curves(curves)
    t = number(total, "total", minimum=0.0)
    u = positive_unit(unit)
    k_total = to_units(t, u, "total", error=ParamsError)
    cap = np.full(len(kinds), np.inf)
    if limits is not None:
        lim = amount_series(limits, "limits")
        unknown = [str(k) for k in lim.index if k not in set(kinds)]
        if unknown:
            raise ParamsError(f"limits name kinds without a curve: {', '.join(unknown)}")
        cap = np.floor(lim.reindex(kinds).fillna(np.inf).to_numpy(dtype=float) / u + 1e-9)  # in units
    k = np.zeros(len(kinds), dtype=np.int64)
    if k_total > 0:
        live = (((shape == "exponential") & (a > 0)) | ((shape == "linear") & (slope > 0))) & (cap > 0)
        if not live.any():
            raise BudgetError(
                f"input-output cannot place {format_amount(t)}: no activity kind responds to spend"
                f"{' within its limit' if limits is not None else ''} ({listing(kinds) or 'no kinds'})"
            )
        room = float(cap[live].sum())
        if room < k_total:
            raise BudgetError(
                f"input-output cannot place {format_amount(t)}: the responding kinds' limits add up to "
                f"{format_amount(room * u)}, {format_amount((k_total - room) * u)} short of the total"
            )
        sh, aa, bb, mm = shape[live], a[live], b[live], slope[live]
        upper = np.minimum(1.0, cap[live] / k_total)
        _, m0 = _lift_and_marginal(sh, aa, bb, mm, np.zeros(live.sum()))
        scale = float(m0.max()) * t  # objective in units of the best first-yuan return on T

        def negative_lift(x):
            lift, marginal = _lift_and_marginal(sh, aa, bb, mm, x * t)
            return -lift.sum() / scale, -marginal * t / scale

        x0 = upper / upper.sum()
        res = scipy.optimize.minimize(
            negative_lift,
            np.minimum(x0, upper),
            jac=True,
            method="SLSQP",
            bounds=list(zip(np.zeros(len(upper)), upper)),
            constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1.0, "jac": lambda x: np.ones_like(x)}],
            options={"ftol": 1e-14, "maxiter": 1000},
        )
        if not res.success:
            raise BudgetError(f"input-output: the optimiser did not converge placing {format_amount(t)} ({res.message})")
        x = np.clip(res.x, 0.0, upper)
        x[x < 1e-9] = 0.0
        units = np.zeros(len(kinds))
        units[live] = np.minimum(x * k_total, cap[live])
        full = units >= cap - 1e-6  # at the limit: exactly the limit, the rest rounded around it
        k[full] = cap[full]
        rest = k_total - int(k.sum())
        if rest > 0:
            k[~full] = round_to_total(units[~full], rest, unit=1)
    spent = from_units(k, u)
    s = np.asarray(spent, dtype=float)
    lift, marginal = _lift_and_marginal(shape, a, b, slope, s)
    return pd.DataFrame(
        {
            "kind": kinds,
            "spend": spent,
            "lift": lift,
            "marginal_return": marginal,
            "return_per_cost": np.divide(lift, s, out=np.zeros(len(s)), where=s > 0),
        }
    )


def input_output_spend(curves: pd.DataFrame, margin_rate: float, counts: pd.DataFrame, *,
                       per_activity_limit: pd.Series | None = None, room=None) -> tuple[np.ndarray, pd.DataFrame]:
    """
    Input-output: each unit's spend per activity kind, funded while a yuan returns more than a yuan.

    Parameters
    ----------
    curves : DataFrame
        :func:`fit_response` rows of the kinds to fund (``kind, curve, a, b, slope``): the
        revenue lift of one activity as a function of its spend.
    margin_rate : float
        The contribution a yuan of revenue brings (1 − variable cost / revenue): the lift's
        return in money is margin_rate × lift.
    counts : DataFrame
        Units (index) × kinds (columns): how many activities of each kind a unit runs
        (last year's, fractional where a higher region's activities are shared out).
    per_activity_limit : Series, optional
        Kind -> the most one activity may spend (the curve is not trusted beyond it);
        unlimited where missing.
    room : array, optional
        Per unit, the most the kinds together may get (e.g. the unit's cap); unlimited
        where missing or infinite.

    Returns
    -------
    (DataFrame, DataFrame)
        The spend per unit and kind (``counts``' index, the curves' kinds as columns; a
        unit's budget is its row sum), and per kind: ``kind, curve,
        first_return`` (margin × lift'(0), the return of the first yuan), ``spend``
        (per activity), ``marginal_return`` (margin × lift' there), ``return_per_cost``
        (margin × lift / spend), ``stop`` — ``marginal`` (the next yuan returns less than a
        yuan), ``limit`` (the trusted range ends first) or ``does not pay`` (not even the
        first yuan returns one).

    Notes
    -----
    With the exponential lift a (1 − e^{−x/b}) of one activity and margin m, the x-th
    yuan returns m (a / b) e^{−x/b}; it is funded while that is at least 1, so
    x* = b ln(m a / b) when m a / b > 1, else 0. A line of slope s pays every yuan when
    m s > 1 (then only the limit stops it) and none otherwise. The spend per activity is
    x = min(x*, limit); a unit running n activities of the kind spends n x. Where a unit's
    total passes its room, the room is spread over its kinds by :func:`allocate_spend` on
    the unit's curves (n activities: a' = n a, b' = n b), which equalises their marginal
    returns: the yuan go where the response per yuan is highest.
    """
    kinds, shape, a, b, slope = _curves(curves)
    m = number(margin_rate, "margin_rate", minimum=0.0)
    limit = np.full(len(kinds), np.inf)
    if per_activity_limit is not None:
        limit = per_activity_limit.reindex(kinds).fillna(np.inf).to_numpy(dtype=float)
    expo, linear = shape == "exponential", shape == "linear"
    first = np.where(expo, m * a / np.where(expo, b, 1.0), np.where(linear, m * slope, 0.0))
    pays = first > 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        best = np.where(expo & pays, b * np.log(np.where(pays, first, 1.0)), np.where(linear & pays, np.inf, 0.0))
    x = np.minimum(best, limit)
    x = np.where(np.isfinite(x), x, 0.0)  # a paying line without a limit: nothing it can be trusted for
    stop = np.where(~pays, "does not pay", np.where(best > limit, "limit", "marginal"))
    lift, marginal = _lift_and_marginal(shape, a, b, slope, x)
    detail = pd.DataFrame({"kind": kinds, "curve": shape, "first_return": first, "spend": np.round(x, 2),
                           "marginal_return": m * marginal,
                           "return_per_cost": np.divide(m * lift, x, out=np.zeros(len(x)), where=x > 0),
                           "stop": stop})
    n = counts.reindex(columns=kinds).fillna(0.0).to_numpy(dtype=float)
    spend = n * np.round(x, 2)[None, :]
    total = spend.sum(axis=1)
    rooms = np.full(len(n), np.inf) if room is None else np.asarray(room, dtype=float)
    for i in np.flatnonzero(total > rooms + 0.005):
        live = n[i] > 0
        unit_curves = pd.DataFrame({"kind": kinds[live], "curve": shape[live], "a": a[live] * n[i, live],
                                    "b": b[live] * n[i, live], "slope": slope[live]})
        alloc = allocate_spend(unit_curves, math.floor(max(rooms[i], 0.0) * 100) / 100,
                               limits=pd.Series(spend[i, live], index=kinds[live]))
        spend[i, live] = alloc["spend"].to_numpy(dtype=float)
    return pd.DataFrame(np.round(spend, 2), index=counts.index, columns=kinds), detail


_NOT_PAID = ("no lift", "lift below cost", "not measurable")


def spend_roi(expenses: pd.DataFrame, activity_lifts: pd.DataFrame, *, monthly: pd.DataFrame) -> dict:
    """
    Past spend in the tables a budget report shows: what it was, and what it returned.

    The answer to a request for "a higher expense ratio" (DOMAIN.md §6, symptom 3):
    the expense ratio by category as it was, the return of each activity kind, and the
    activities whose spend did not pay.

    Parameters
    ----------
    expenses : DataFrame
        Archive expense rows of the region's subtree (``date, category, amount``).
    activity_lifts : DataFrame
        :func:`planlib.review.activity_lift` output for the same regions (``activity_id,
        region_id, kind, start_date, end_date, cost, window_revenue, baseline_revenue,
        extra_margin, roi``).
    monthly : DataFrame
        Own sales by month of the same subtree (``year, revenue``;
        :func:`planlib.review.monthly_sales` rows).

    Returns
    -------
    dict of DataFrame
        ``by_category``: :func:`planlib.review.expense_ratios` (``year, category, amount,
        revenue, ratio``, a ``全部`` row per year) plus ``share``, the category's share
        of the year's spend.

        ``by_kind``: one row per activity kind (schema order, others after) and a
        ``全部`` row: ``kind, activities, measured, cost, measured_cost, lift_revenue,
        extra_margin, return_per_cost, roi, not_paid, not_paid_cost``.

        ``did_not_pay``: the activities with ``roi <= 0`` or no measurable lift —
        ``activity_id, region_id, kind, start_date, end_date, cost, lift_revenue,
        extra_margin, roi, reason`` with reason ``no lift`` (window <= baseline),
        ``lift below cost`` (a lift whose margin did not cover the cost) or ``not
        measurable`` (the activity's months are not all in the history; its lift
        columns are NaN); largest cost first.

    Raises
    ------
    DataError
        If a column is missing or a cost is not a number.

    Notes
    -----
    ratio = sum amount / own revenue of the year (NaN when the revenue is zero);
    share = amount / the year's total spend (0 when that is zero).
    For a kind, over its measured activities M (finite extra margin):
    lift_revenue = sum_M (window - baseline); return_per_cost = sum_M extra_margin /
    sum_M cost, the margin each yuan brought back; roi = return_per_cost - 1, the
    definition of :func:`planlib.review.activity_lift` (> 0: the spend paid). Both are NaN
    when nothing was measured (``measured`` is then 0). not_paid counts the activities
    with roi <= 0 or unmeasured, not_paid_cost their cost.
    """
    require_columns(expenses, ["date", "category", "amount"], "expenses")
    require_columns(monthly, ["year", "revenue"], "monthly")
    what = "activity_lifts"
    require_columns(activity_lifts, ["activity_id", "region_id", "kind", "start_date", "end_date", "cost",
                            "window_revenue", "baseline_revenue", "extra_margin", "roi"], what)  # fmt: skip

    by_category = review.expense_ratios(expenses, monthly)
    # each row's year's total: the amount of the year's 全部 row (one a year), NaN for a year without one
    amount = by_category["amount"].to_numpy(dtype=float)
    year = by_category["year"].to_numpy()
    total = (by_category["category"] == "全部").to_numpy(dtype=bool)
    at = pd.Index(year[total]).get_indexer(year)
    denominator = np.where(at >= 0, amount[total][np.maximum(at, 0)] if total.any() else np.nan, np.nan)
    by_category = by_category.assign(
        share=np.divide(amount, denominator, out=np.zeros(len(amount)), where=denominator > 0)
    )

    lifts = activity_lifts
    ids = lifts["activity_id"].to_numpy(dtype=object)
    cost = float_column(lifts, "cost", what, ids, minimum=0.0)
    try:
        window, base, extra, roi = (
            lifts[c].to_numpy(dtype=float, na_value=np.nan)
            for c in ("window_revenue", "baseline_revenue", "extra_margin", "roi")
        )
    except (TypeError, ValueError):
        raise DataError(f"{what}: window_revenue, baseline_revenue, extra_margin and roi must hold numbers") from None
    kinds = id_array(lifts, "kind", what) if len(lifts) else np.array([], dtype=object)
    measured = np.isfinite(extra) & np.isfinite(roi) & np.isfinite(window) & np.isfinite(base)
    lift_rev = np.where(measured, window - base, np.nan)
    paid = measured & (roi > 0)

    known = {k: n for n, k in enumerate(ACTIVITY_KINDS)}
    order = sorted(set(kinds), key=lambda k: (known.get(k, len(known)), k))

    def summary(mask, kind):
        m = mask & measured
        mc = float(cost[m].sum())
        em = float(extra[m].sum())
        rpc = em / mc if mc > 0 else np.nan
        return {
            "kind": kind,
            "activities": int(mask.sum()),
            "measured": int(m.sum()),
            "cost": float(cost[mask].sum()),
            "measured_cost": mc,
            "lift_revenue": float(lift_rev[m].sum()),
            "extra_margin": em,
            "return_per_cost": rpc,
            "roi": rpc - 1.0,
            "not_paid": int((mask & ~paid).sum()),
            "not_paid_cost": float(cost[mask & ~paid].sum()),
        }

    rows = [summary(kinds == k, k) for k in order] + [summary(np.ones(len(kinds), dtype=bool), "全部")]
    by_kind = pd.DataFrame(rows)

    reason = np.where(~measured, _NOT_PAID[2], np.where(lift_rev <= 0, _NOT_PAID[0], _NOT_PAID[1]))
    dnp = pd.DataFrame(
        {
            "activity_id": ids,
            "region_id": lifts["region_id"].to_numpy(dtype=object),
            "kind": kinds,
            "start_date": lifts["start_date"].to_numpy(),
            "end_date": lifts["end_date"].to_numpy(),
            "cost": cost,
            "lift_revenue": lift_rev,
            "extra_margin": np.where(measured, extra, np.nan),
            "roi": np.where(measured, roi, np.nan),
            "reason": reason,
        }
    )
    did_not_pay = dnp.take(_largest_cost_first(cost, ids, ~paid)).reset_index(drop=True)
    return {"by_category": by_category, "by_kind": by_kind, "did_not_pay": did_not_pay}


def _largest_cost_first(cost: np.ndarray, ids: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """
    The positions of the ``keep`` rows, largest cost first (missing costs last), then by id as text.

    The order of a stable sort of those rows on ``cost`` descending and ``str(id)`` ascending
    (pandas' ``sort_values(kind="mergesort")``), ties in their order, in numpy.
    """
    at = np.flatnonzero(keep)
    c = cost[at]
    texts = np.array([str(i) for i in ids[at]], dtype=object)
    _, rank = np.unique(texts, return_inverse=True)  # ranks of the ids as text (Python's order of str)
    missing = np.isnan(c)
    return at[np.lexsort((rank.reshape(-1), np.where(missing, 0.0, -c), missing))]


def region_spend_returns(con, tree, region: str, *, years: tuple[int, int] | None = None) -> dict | None:
    """
    What a region's past spend returned (:func:`spend_roi`), from the archive's sums.

    The same tables as :func:`spend_roi` on :func:`planlib.review.load_region_data` and
    :func:`planlib.review.review_region` (``expenses``, ``activity_lift``, ``monthly``),
    equal to the bit, without reading the subtree's sales rows: DuckDB sums them by region
    and month and by year (:func:`planlib.archive.queries.budget.spend_history`) and the
    review's own functions measure the activities on those sums.

    Parameters
    ----------
    con : DuckDBPyConnection
        The open archive.
    tree : RegionTree
    region : str
    years : tuple of int, optional
        (first, last) years of the history, as ``load_region_data(years=)``.

    Returns
    -------
    dict of DataFrame or None
        :func:`spend_roi`'s ``by_category``, ``by_kind`` and ``did_not_pay``; None when the
        subtree has neither expenses nor a measurable activity in the years.

    Notes
    -----
    As the review: the activities measured are the own activities of the subtree
    (:func:`planlib.review.activity_lift` on :func:`planlib.review.subtree_months`); the
    control market is the parent's subtree (:func:`planlib.archive.queries.review.control_revenue`)
    when the region has own activities of its own, else the region's own months; the
    margin rate is the last year's gross margin rate (:func:`planlib.review.yearly_summary`,
    0 when not finite). Each sum adds the rows in the table's key order, as the review
    adds the rows it reads, so every figure has the review's bits.
    """
    ids = list(tree.subtree(region))
    cells, yearly, expenses = spend_history(con, ids, years=years)
    activities = load_table(con, "activities", region_ids=ids)
    summary = review.yearly_summary(yearly)
    margin_rate = float(summary["gross_margin_rate"].iloc[-1]) if not summary.empty else 0.0
    region_months = review.subtree_months(cells, tree, region)
    parent = tree.parent(region)
    at_region = bool(((activities["brand"] == OWN_BRAND) & (activities["region_id"] == region)).any())
    control = control_revenue(con, tree.subtree(parent)) if at_region and parent else region_months.loc[region]
    lifts = review.activity_lift(
        activities, region_months, control, margin_rate=margin_rate if np.isfinite(margin_rate) else 0.0
    )
    if expenses.empty and lifts.empty:
        return None
    # one row per year and category: expense_ratios adds each cell's single sum (exactly itself); the
    # date is the year's first day (expense_ratios reads its year), NaT where the year is missing, made
    # from the years as numpy's (to_datetime on year, month and day columns: ~3 ms for a few rows)
    year = expenses["year"].to_numpy(dtype="float64", na_value=np.nan)
    known = np.isfinite(year)
    date = np.full(len(year), np.datetime64("NaT"), dtype="datetime64[us]")
    date[known] = (year[known].astype(np.int64) - 1970).astype("datetime64[Y]")
    spend = pd.DataFrame({"date": date, "category": expenses["category"], "amount": expenses["amount"]})
    return spend_roi(spend, lifts, monthly=yearly)


KIND_ITEMS = {  # activity kinds -> the category and item their spend is booked to
    "media": ("media", "tv"),
    "promotion": ("promotion", "premiums"),
    "tasting": ("promotion", "temp_promoters"),
    "display": ("channel", "display"),
}


def response_curves(tree, activities: pd.DataFrame, sales: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    """
    Response curves per own activity kind, fitted on the whole plan's past activities.

    Parameters
    ----------
    tree : RegionTree
    activities : DataFrame
        The archive's activities of the plan (``activity_id, region_id, brand, kind,
        start_date, end_date, cost``); the own brand's with a cost are measured.
    sales : DataFrame
        Last year's own sales per region (``revenue, variable_cost``): the margin rate.
    monthly : DataFrame
        Own sales per region and month (``region_id, date, revenue``).

    Returns
    -------
    DataFrame
        :func:`fit_response` on :func:`planlib.review.activity_lift` of the activities,
        each measured against its subtree's months with the whole plan as control;
        empty when nothing can be measured.
    """
    own = activities[(activities["brand"] == OWN_BRAND) & activities["cost"].notna()]
    if own.empty or monthly.empty:
        return pd.DataFrame()
    months = monthly[["region_id", "date", "revenue"]]
    region_months = _subtree_months(months, tree, sorted(set(own["region_id"].tolist())))
    control = months.groupby("date")["revenue"].sum()  # the whole plan moves with the same seasons
    control.index = pd.DatetimeIndex(control.index)
    rev, var = float(sales["revenue"].sum()), float(sales["variable_cost"].sum())
    margin = 1.0 - var / rev if rev > 0 else 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        lifts = review.activity_lift(own, region_months, control, margin_rate=margin)
    if lifts.empty:
        return pd.DataFrame()
    return fit_response(lifts)


def _subtree_months(months: pd.DataFrame, tree, regions: list) -> pd.DataFrame:
    """
    Revenue by month of each of ``regions``' subtrees (index region_id, columns the months, 0.0 where none).

    Each month row counts once for every one of ``regions`` whose subtree holds it, and each
    region's month adds up its rows in their order in ``months`` (a group-by's sum of the rows
    merged with the regions' subtrees, the same sums to the bit), without the merge's frame of
    strings: the rows are repeated by integer codes and summed by one integer key.
    """
    sub = [(m, k) for k, r in enumerate(regions) for m in tree.subtree(r)]
    # the regions holding each member of a subtree, in the order of ``regions``
    by_member, members = pd.Index([m for m, _ in sub]).factorize()
    holder = np.array([k for _, k in sub], dtype=np.int64)[np.argsort(by_member, kind="stable")]
    n_holders = np.bincount(by_member, minlength=len(members))
    first = np.cumsum(n_holders) - n_holders
    ids, uniques = pd.factorize(months["region_id"])
    code = np.append(members.get_indexer(uniques), -1)[ids]  # a missing id (−1) reads the last slot
    row = np.flatnonzero(code >= 0)
    times = n_holders[code[row]]
    take = np.repeat(row, times)
    nth = np.arange(len(take)) - np.repeat(np.cumsum(times) - times, times)
    region = holder[np.repeat(first[code[row]], times) + nth]
    day, days = pd.factorize(months["date"].to_numpy()[take], sort=True)
    sums = pd.Series(months["revenue"].to_numpy()[take]).groupby(region * len(days) + day).sum()
    cell = sums.index.to_numpy()
    present, at = np.unique(cell // len(days), return_inverse=True)
    shown, col = np.unique(cell % len(days), return_inverse=True)
    values = np.zeros((len(present), len(shown)))
    values[at, col] = sums.to_numpy()
    return pd.DataFrame(values, index=pd.Index(np.asarray(regions, dtype=object)[present], name="region_id"),
                        columns=pd.DatetimeIndex(days[shown], name="date"))
