"""
Setting targets: a baseline from history, the stretch on top, and the checks around it.

The seed asks for targets the team can "jump and touch" (跳一跳,摸得着): history's
trend and seasonality first, a stretch set in the params on top, and the flat
"+20% for pressure" habit shown only as a comparison. Sales targets never travel
alone: revenue, gross margin, expenses and profit are set together (DOMAIN §1, §5).

Public functions
----------------
baseline                 next year's volume from history (damped Holt-Winters, or fallbacks)
festival_month_shares    the plan year's month shares, Spring Festival aligned to its real date
set_targets              volume, revenue, gross margin, expenses, profit and market share targets
milestones               staged coverage goals for key terminals (40% by stage 1, 60% by stage 2)
reconcile                top-down (分配方式) against bottom-up (上行方式) numbers, per child
reconcile_summary        totals and gap of a reconciliation
diagnostics              implied growth per child against its trend and potential
fairness                 spread of implied growth across children
region_potential         each region's potential volume (a share of its category market)
children_proposals       the children's own proposals: a proposals file, else their own trend
bottom_up_gap            top-down beside bottom-up per child, the gap and the reconciled number
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planlib import calendar, review
from planlib.errors import DataError, ParamsError, PlanWarning
from planlib.rounding import round_to_total
from planlib.schemas import LEVEL_DEPTH
from planlib.targets import allocate
from planlib.targets.allocate import BREAKDOWN_COLUMNS, breakdown_of
from planlib.targets.split import constrain_split, shares_for

__all__ = [
    "SplitInputs",
    "split_inputs",
    "tune_split",
    "Baseline",
    "RECONCILE_METHODS",
    "TARGET_KINDS",
    "baseline",
    "festival_month_shares",
    "set_targets",
    "milestones",
    "reconcile",
    "reconcile_summary",
    "diagnostics",
    "fairness",
    "RegionEconomics",
    "region_economics",
    "PlanTargets",
    "plan_targets",
    "region_kinds",
    "region_baseline",
    "baseline_history",
    "baseline_reading",
    "BASELINE_METHODS_ZH",
    "children_baselines",
    "region_view",
    "RegionTargetView",
    "key_figures",
    "kinds_reading",
    "fairness_reading",
    "region_potential",
    "children_proposals",
    "bottom_up_gap",
    "gap_reading",
]

#: Target kinds of :func:`set_targets`, in row order.
TARGET_KINDS: tuple[str, ...] = ("volume", "revenue", "gross_margin", "expenses", "profit", "market_share")

#: Growth clip of the short-history baseline (12–23 months).
GROWTH_CLIP = 0.30
#: The "+20% for pressure" habit, shown as a comparison only.
FLAT_PRESSURE = 0.20
_SF_LEAD_DAYS = calendar.HOLIDAY_WINDOWS["spring_festival"][0]  # slot 1 starts 21 days before SF


# -- baseline ----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Baseline:
    """
    A region's baseline for the plan year.

    Attributes
    ----------
    annual : float
        The plan year's baseline total (≥ 0).
    monthly : Series
        Index 1–12 (calendar month of the plan year), summing to ``annual``; the split
        follows :func:`festival_month_shares`.
    method : str
        ``holt_winters_damped``, ``last12_growth``, ``run_rate`` or ``zero``.
    history_years : DataFrame
        year, value, growth — complete calendar years of history; growth is
        value_t / value_{t−1} − 1 (NaN for the first year or a zero base).
    cagr : float
        Compound growth from the first to the last complete year (NaN with fewer than two).
    """

    annual: float
    monthly: pd.Series
    method: str
    history_years: pd.DataFrame
    cagr: float


def _month_series(monthly: pd.DataFrame, value: str) -> pd.Series:
    """Monthly totals on a gap-free month-start index (absent months are 0), leading zeros trimmed."""
    missing = [c for c in ("date", value) if c not in monthly.columns]
    if missing:
        raise ParamsError(f"monthly needs columns date and {value}; missing {', '.join(missing)}")
    if monthly.empty:
        return pd.Series(dtype="float64", index=pd.DatetimeIndex([]))
    dates = pd.to_datetime(monthly["date"]).dt.to_period("M").dt.to_timestamp()
    values = pd.to_numeric(monthly[value], errors="coerce").astype("float64")
    if values.isna().any():
        raise ParamsError(f"monthly {value} has missing or non-numeric values; fix them before planning")
    s = values.groupby(dates.to_numpy()).sum().sort_index()
    full = pd.date_range(s.index.min(), s.index.max(), freq="MS")
    s = s.reindex(full, fill_value=0.0)
    nonzero = np.flatnonzero(s.to_numpy() != 0)
    return s.iloc[nonzero[0] :] if len(nonzero) else s.iloc[0:0]


def _history_years(s: pd.Series) -> tuple[pd.DataFrame, float]:
    years = s.groupby(s.index.year).agg(["sum", "count"])
    years = years[years["count"] == 12]
    out = pd.DataFrame({"year": years.index.astype("int64"), "value": years["sum"].to_numpy(dtype="float64")})
    prev = out["value"].shift(1)
    consecutive = out["year"].diff() == 1
    out["growth"] = (out["value"] / prev.where((prev > 0) & consecutive)) - 1.0
    if len(out) >= 2:
        rate = review.cagr(out["value"].iloc[0], out["value"].iloc[-1], int(out["year"].iloc[-1] - out["year"].iloc[0]))
    else:
        rate = float("nan")
    return out, rate


def _growth_annual(s: pd.Series, horizon: int) -> float:
    """Last 12 months × (1 + g)^(horizon / 12), g the recent growth clipped to ±30%."""
    last12 = float(s.iloc[-12:].sum())
    m = min(len(s) - 12, 12)
    g = 0.0
    if m >= 1:
        recent = float(s.iloc[-m:].sum())
        year_before = float(s.iloc[-12 - m : -12].sum())
        if year_before > 0:
            g = float(np.clip(recent / year_before - 1.0, -GROWTH_CLIP, GROWTH_CLIP))
    return last12 * (1.0 + g) ** (horizon / 12.0)


def _ets_annual(s: pd.Series, horizon: int) -> tuple[float | None, str]:
    """The plan year's total from damped additive Holt-Winters, or (None, why the fit is not usable)."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = ExponentialSmoothing(
                s.to_numpy(dtype="float64"),
                trend="add",
                damped_trend=True,
                seasonal="add",
                seasonal_periods=12,
                initialization_method="estimated",
            )
            path = np.asarray(model.fit().forecast(horizon), dtype="float64")
        except (ValueError, np.linalg.LinAlgError) as exc:
            return None, f"the fit failed ({exc})"
    # a fit that did not converge is not trusted; other numeric warnings raised during the
    # optimiser's trial steps are harmless as long as the forecast itself is finite
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        return None, "the optimiser did not converge"
    plan = path[-12:]
    if not np.isfinite(plan).all():
        return None, "the forecast is not finite"
    return float(plan.sum()), ""


def baseline(monthly: pd.DataFrame, plan_year: int, *, value: str = "volume") -> Baseline:
    """
    Forecast a region's plan-year total from its monthly history.

    Parameters
    ----------
    monthly : DataFrame
        One region's monthly rows: ``date`` (any day of the month) and ``value``;
        rows of the same month are summed, absent months count as 0 and months
        before the first sale are dropped.
    plan_year : int
        The year being planned; history must end before it.
    value : str, default "volume"
        The column to forecast.

    Returns
    -------
    Baseline

    Raises
    ------
    ParamsError
        If a column is missing, a value is not numeric, or history reaches into the plan year.

    Warns
    -----
    PlanWarning
        One per call, naming every fallback taken: fewer than 12 months or all zeros
        (run rate / zero), a Holt-Winters fit that fails (the 12-month method is used),
        a month split without a complete festival year (see :func:`festival_month_shares`).

    Notes
    -----
    With n months of history ending h months before the end of the plan year:

    - n ≥ 24 — ``holt_winters_damped``: statsmodels ``ExponentialSmoothing`` with
      additive damped trend and additive seasonality (period 12), parameters by
      maximum likelihood; annual = Σ of the last 12 of the h forecast months.
      A fit that raises, warns of non-convergence or forecasts non-finite values
      falls back to ``last12_growth`` with a PlanWarning.
    - 12 ≤ n < 24 — ``last12_growth``: annual = L12 · (1 + g)^(h/12), L12 the last
      12 months' total and g = Σ last m months / Σ the same m months a year earlier − 1,
      m = min(n − 12, 12) (g = 0 when m = 0 or the base is 0), clipped to ±30%.
    - 0 < n < 12 — ``run_rate``: annual = 12 · mean of the months.
    - all zeros or no history — ``zero``: annual = 0.

    The annual total is clipped at ≥ 0. Its months are annual × the plan year's
    :func:`festival_month_shares`, never the calendar-month seasonality of the
    forecast, because Spring Festival moves between January and February.
    """
    s = _month_series(monthly, value)
    history_years, rate = _history_years(s)
    months = pd.RangeIndex(1, 13, name="month")
    if s.empty:
        warnings.warn(
            f"no {value} history (all zeros or no rows): the {plan_year} baseline is 0",
            PlanWarning,
            stacklevel=2,
        )
        return Baseline(0.0, pd.Series(0.0, index=months, name=value), "zero", history_years, rate)
    end = pd.Timestamp(plan_year, 12, 1)
    last = s.index[-1]
    horizon = (end.year - last.year) * 12 + (end.month - last.month)
    if horizon < 12:
        raise ParamsError(
            f"history runs to {last:%Y-%m}, inside the plan year {plan_year}; pass history before {plan_year}"
        )
    n = len(s)
    notes = []  # one PlanWarning per call, however many fallbacks were taken
    if n >= 24:
        annual, why = _ets_annual(s, horizon)
        method = "holt_winters_damped"
        if annual is None:
            notes.append(
                f"Holt-Winters did not fit the {n} months of {value} ({why}): the baseline is "
                "the last 12 months × recent growth"
            )
            annual, method = _growth_annual(s, horizon), "last12_growth"
    elif n >= 12:
        annual, method = _growth_annual(s, horizon), "last12_growth"
    else:
        notes.append(f"only {n} months of {value} history: the {plan_year} baseline is 12 × their mean (run rate)")
        annual, method = 12.0 * float(s.mean()), "run_rate"
    annual = max(float(annual), 0.0)
    shares, share_note = _festival_shares(pd.DataFrame({"date": s.index, value: s.to_numpy()}), plan_year, value)
    if share_note:
        notes.append(share_note)
    if notes:
        warnings.warn("; ".join(notes), PlanWarning, stacklevel=2)
    return Baseline(annual, (shares * annual).rename(value), method, history_years, rate)


# -- festival-aligned month shares -----------------------------------------------------------
def _festival_year_days(fy: int, slot_shares: np.ndarray) -> pd.Series:
    """Per-day share of festival year ``fy``: each slot's share spread evenly over its days."""
    sf0 = pd.Timestamp(calendar.spring_festival(fy))
    sf1 = pd.Timestamp(calendar.spring_festival(fy + 1))
    lead = pd.Timedelta(days=_SF_LEAD_DAYS)
    start, length = sf0 - lead, (sf1 - sf0) / 12
    days = pd.date_range(start, sf1 - lead - pd.Timedelta(days=1), freq="D")
    edges = np.array([start + k * length for k in range(1, 13)], dtype="datetime64[ns]")
    slot = np.minimum(np.searchsorted(edges, days.to_numpy(), side="right"), 11)
    per_slot_days = np.bincount(slot, minlength=12)
    per_day = slot_shares[slot] / np.where(per_slot_days[slot] > 0, per_slot_days[slot], 1)
    return pd.Series(per_day, index=days)


def _festival_shares(monthly: pd.DataFrame, plan_year: int, value: str) -> tuple[pd.Series, str]:
    """Shares (index 1–12) and the fallback message ('' when the festival profile was used)."""
    months = pd.RangeIndex(1, 13, name="month")
    frame = monthly[["date", value]].copy()
    frame["date"] = pd.to_datetime(frame["date"]).dt.to_period("M").dt.to_timestamp()
    frame = frame.groupby("date", as_index=False)[value].sum()
    profile = review.seasonal_profile(frame, value=value, align="spring_festival")
    profile = profile[profile["share"].notna()]
    if not profile.empty:
        avg = profile.groupby("slot")["share"].mean().reindex(range(1, 13), fill_value=0.0).clip(lower=0.0)
        if avg.sum() > 0:
            avg = (avg / avg.sum()).to_numpy(dtype="float64")
            days = pd.concat([_festival_year_days(plan_year - 1, avg), _festival_year_days(plan_year, avg)])
            days = days[days.index.year == plan_year]
            by_month = days.groupby(days.index.month).sum().reindex(range(1, 13), fill_value=0.0)
            return pd.Series(by_month.to_numpy() / by_month.sum(), index=months, name="share"), ""
    dates = frame["date"]
    cal = review.seasonal_profile(
        frame.assign(year=dates.dt.year, month=dates.dt.month), value=value, align="calendar"
    )
    cal = cal[cal["share"].notna()]
    if not cal.empty:
        avg = cal.groupby("slot")["share"].mean().reindex(range(1, 13), fill_value=0.0).clip(lower=0.0)
        if avg.sum() > 0:
            msg = (
                f"no complete festival year of {value} history: the {plan_year} month split uses the "
                "calendar-month profile, so it does not follow the Spring Festival date"
            )
            return pd.Series(avg.to_numpy() / avg.sum(), index=months, name="share"), msg
    days_in = pd.date_range(f"{plan_year}-01-01", periods=12, freq="MS").days_in_month.to_numpy(dtype="float64")
    msg = f"no complete year of {value} history: the {plan_year} month split is even by days"
    return pd.Series(days_in / days_in.sum(), index=months, name="share"), msg


def festival_month_shares(monthly: pd.DataFrame, plan_year: int, *, value: str = "volume") -> pd.Series:
    """
    The plan year's calendar-month shares from the festival-aligned seasonal profile.

    Parameters
    ----------
    monthly : DataFrame
        ``date`` (month start) and ``value`` for one region; rows of a month are summed.
    plan_year : int
    value : str, default "volume"

    Returns
    -------
    Series
        Index 1–12 (``month``), named ``share``, summing to 1.

    Warns
    -----
    PlanWarning
        When no complete festival year exists (the calendar-month profile averaged over
        complete calendar years is used) or no complete year at all (even by days).

    Notes
    -----
    1. Profile: for every complete festival year Y of history,
       :func:`planlib.analysis.seasonal_profile` (``align="spring_festival"``) gives
       slot shares s_{Y,k}; the profile is s̄_k = mean_Y s_{Y,k}, renormalised.
    2. Mapping: with SF_p the plan year's Spring Festival and L_p = (SF_{p+1} − SF_p)/12,
       slot k of festival year p covers [SF_p − 21d + (k−1)L_p, SF_p − 21d + k·L_p);
       each of its n_k days gets s̄_k / n_k (a day belongs to the slot holding its
       midnight, as in the profile). Days of the plan year before SF_p − 21d belong to
       festival year p − 1 and get the same profile on that year's slots.
    3. share_m = Σ_{days d in month m of the plan year} w_d / Σ_{days of the plan year} w_d.

    Examples
    --------
    A Spring Festival in February (2026-02-17) puts the festival season in February,
    one in January (2025-01-29) in January.
    """
    missing = [c for c in ("date", value) if c not in monthly.columns]
    if missing:
        raise ParamsError(f"monthly needs columns date and {value}; missing {', '.join(missing)}")
    shares, msg = _festival_shares(monthly, plan_year, value)
    if msg:
        warnings.warn(msg, PlanWarning, stacklevel=2)
    return shares


# -- target kinds ------------------------------------------------------------------------------
def _finite(x, what: str, *, low: float | None = None) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ParamsError(f"{what} must be a number, got {x!r}") from None
    if not math.isfinite(v) or (low is not None and v < low):
        bound = f" ≥ {low:g}" if low is not None else ""
        raise ParamsError(f"{what} must be a finite number{bound}, got {x!r}")
    return v


def _kinds(volume: float, price: float, cost: float, expenses: float | None, ratio: float | None, market: float | None) -> list[float]:
    revenue = volume * price
    margin = revenue - volume * cost
    spend = expenses if expenses is not None else ratio * revenue
    share = volume / market if market is not None and market > 0 else float("nan")
    return [volume, revenue, margin, spend, margin - spend, share]


def set_targets(
    monthly_own: pd.DataFrame,
    plan_year: int,
    *,
    stretch: float = 0.05,
    unit_price: float,
    unit_cost: float,
    expenses: float | None = None,
    expense_ratio: float | None = None,
    market_volume: float | None = None,
) -> pd.DataFrame:
    """
    Sales and profit targets together: volume, revenue, gross margin, expenses, profit, share.

    Parameters
    ----------
    monthly_own : DataFrame
        One region's own monthly sales: ``date`` and ``volume`` (``revenue`` may be present).
    plan_year : int
    stretch : float, default 0.05
        "Jump and touch" on top of the baseline (a fraction; > −1).
    unit_price, unit_cost : float
        Planned price and unit variable cost.
    expenses : float, optional
        The budget's expense total; takes precedence over ``expense_ratio``.
    expense_ratio : float, optional
        Expenses / revenue from history, used when no budget figure is given.
    market_volume : float, optional
        The category's volume in the plan year; market share is NaN without it.

    Returns
    -------
    DataFrame
        One row per kind of :data:`TARGET_KINDS`: kind, baseline, target, flat20, basis.

    Raises
    ------
    ParamsError
        If a number is invalid, or neither ``expenses`` nor ``expense_ratio`` is given.

    Warns
    -----
    PlanWarning
        From :func:`baseline` (short or zero history).

    Notes
    -----
    For each column the volume V is: baseline B (:func:`baseline` of ``volume``),
    target T = B · (1 + stretch), flat20 F = 1.2 · V_ly, with V_ly the last 12 months
    of actuals (the previous year when history ends in December; 12 × their mean
    when shorter). Then, with P the unit price and C the unit cost:

    - revenue R = V · P
    - gross margin GM = R − V · C
    - expenses E = the budget figure when given (the same in every column), else e · R
    - profit = GM − E
    - market share = V / M (NaN when M is unknown or 0)
    """
    stretch = _finite(stretch, "stretch")
    if stretch <= -1:
        raise ParamsError(f"stretch must be above −1 (−100%), got {stretch!r}")
    price = _finite(unit_price, "unit_price", low=0.0)
    cost = _finite(unit_cost, "unit_cost", low=0.0)
    if expenses is None and expense_ratio is None:
        raise ParamsError("set_targets needs expenses (the budget's figure) or expense_ratio (from history)")
    spend = _finite(expenses, "expenses", low=0.0) if expenses is not None else None
    ratio = _finite(expense_ratio, "expense_ratio", low=0.0) if expense_ratio is not None else None
    market = _finite(market_volume, "market_volume", low=0.0) if market_volume is not None else None

    base = baseline(monthly_own, plan_year, value="volume")
    s = _month_series(monthly_own, "volume")
    last = s.iloc[-12:]
    v_ly = float(last.sum()) if len(last) == 12 else 12.0 * float(last.mean()) if len(last) else 0.0
    ly_label = (
        f"{last.index[0]:%Y-%m}–{last.index[-1]:%Y-%m}" if len(last) else "no history"
    )
    volumes = {"baseline": base.annual, "target": base.annual * (1.0 + stretch), "flat20": v_ly * (1.0 + FLAT_PRESSURE)}
    cols = {k: _kinds(v, price, cost, spend, ratio, market) for k, v in volumes.items()}
    exp_basis = f"budget figure {spend:,.0f}" if spend is not None else f"expense ratio {ratio:.1%} × revenue"
    basis = [
        f"baseline {base.method} × (1 + stretch {stretch:.1%}); flat20 = 1.2 × actual {ly_label}",
        f"volume × unit price {price:g}",
        f"revenue − volume × unit cost {cost:g}",
        exp_basis,
        "gross margin − expenses",
        f"volume / market volume {market:,.0f}" if market else "market volume unknown",
    ]
    return pd.DataFrame({"kind": list(TARGET_KINDS), **cols, "basis": basis})


# -- staged milestones ------------------------------------------------------------------------
def milestones(key_terminals: int, stages: Sequence[tuple[str, float]]) -> pd.DataFrame:
    """
    Staged distribution goals: how many key terminals must carry the product by each date.

    Parameters
    ----------
    key_terminals : int
        Number of key (e.g. A and B class) terminals in the area.
    stages : sequence of (date, coverage)
        Each stage's due date (ISO string) and coverage of key terminals (a fraction
        in (0, 1]), e.g. ``[("2026-06-30", 0.4), ("2026-12-31", 0.6)]``.

    Returns
    -------
    DataFrame
        stage (1, 2, …), date (Timestamp), coverage, terminals (int64).

    Raises
    ------
    ParamsError
        If ``key_terminals`` is not a non-negative integer, a date does not parse,
        a coverage is outside (0, 1], or coverages or dates do not strictly rise.

    Notes
    -----
    terminals_s = ceil(coverage_s · N), computed after rounding the product to 9
    decimals so that 0.6 · 5 counts 3 terminals, not 4.
    """
    if isinstance(key_terminals, bool) or not isinstance(key_terminals, (int, np.integer)) or key_terminals < 0:
        raise ParamsError(f"key_terminals must be a non-negative integer, got {key_terminals!r}")
    if len(stages) == 0:
        raise ParamsError("milestones need at least one (date, coverage) stage")
    dates, coverages = [], []
    for i, stage in enumerate(stages, start=1):
        try:
            when, cov = stage
        except (TypeError, ValueError):
            raise ParamsError(f"stage {i} must be a (date, coverage) pair, got {stage!r}") from None
        try:
            dates.append(pd.Timestamp(when))
        except (TypeError, ValueError):
            raise ParamsError(f"stage {i} date {when!r} is not a date (use ISO, e.g. '2026-06-30')") from None
        c = _finite(cov, f"stage {i} coverage")
        if not 0 < c <= 1:
            raise ParamsError(f"stage {i} coverage must be in (0, 1], got {cov!r}")
        coverages.append(c)
    for i in range(1, len(stages)):
        if coverages[i] <= coverages[i - 1]:
            raise ParamsError(
                f"coverages must rise stage by stage: stage {i + 1} ({coverages[i]:.0%}) is not above "
                f"stage {i} ({coverages[i - 1]:.0%})"
            )
        if dates[i] <= dates[i - 1]:
            raise ParamsError(f"stage dates must rise: stage {i + 1} ({dates[i]:%Y-%m-%d}) is not after stage {i}")
    terminals = [math.ceil(round(c * key_terminals, 9)) for c in coverages]
    return pd.DataFrame(
        {
            "stage": np.arange(1, len(stages) + 1, dtype="int64"),
            "date": pd.DatetimeIndex(dates),
            "coverage": np.array(coverages, dtype="float64"),
            "terminals": np.array(terminals, dtype="int64"),
        }
    )


# -- top-down vs bottom-up -------------------------------------------------------------------
def _round_total(total: float, unit: float) -> float:
    return round(total / unit) * unit


def _take_top_down(td, bu, weight, unit):
    return round_to_total(td, td.sum(), unit=unit)


def _take_bottom_up(td, bu, weight, unit):
    return round_to_total(bu, _round_total(bu.sum(), unit), unit=unit)


def _blend(td, bu, weight, unit):
    mixed = weight * td + (1.0 - weight) * bu
    return round_to_total(mixed, _round_total(mixed.sum(), unit), unit=unit)


def _scale_bottom_up(td, bu, weight, unit):
    if bu.sum() == 0 and td.sum() != 0:
        warnings.warn(
            "no bottom-up proposals to scale (all zero): the top-down split is taken",
            PlanWarning,
            stacklevel=4,
        )
        return round_to_total(td, td.sum(), unit=unit)
    return round_to_total(bu, td.sum(), unit=unit)


#: Reconciliation choices between top-down (分配方式) and bottom-up (上行方式) numbers.
RECONCILE_METHODS = {
    "top_down": _take_top_down,
    "bottom_up": _take_bottom_up,
    "blend": _blend,
    "scale_bottom_up": _scale_bottom_up,
}


def reconcile(
    top_down: pd.Series,
    bottom_up: pd.Series,
    *,
    method: str = "scale_bottom_up",
    weight: float = 0.5,
    unit=1,
) -> pd.DataFrame:
    """
    Set top-down and bottom-up numbers side by side, with the gap and a reconciled number.

    Parameters
    ----------
    top_down : Series
        The allocated target per child (分配方式).
    bottom_up : Series
        The children's own proposals (上行方式); a child missing on either side counts 0.
    method : {"scale_bottom_up", "top_down", "bottom_up", "blend"}
        How the reconciled number is chosen (:data:`RECONCILE_METHODS`).
    weight : float, default 0.5
        Weight on top-down for ``blend``, in [0, 1].
    unit : int or float, default 1
        Rounding unit of the reconciled column.

    Returns
    -------
    DataFrame
        One row per child (top-down's order, then children only bottom-up names):
        child, top_down, bottom_up, gap, gap_pct, reconciled.

    Raises
    ------
    ParamsError
        If ``method`` is unknown (the valid ones are listed) or ``weight`` is outside [0, 1].
    SplitError
        If an amount is negative or NaN, or the top-down total is not a multiple of ``unit``.

    Warns
    -----
    PlanWarning
        ``scale_bottom_up`` with all proposals zero: the top-down split is taken.

    Notes
    -----
    gap_i = BU_i − TD_i; gap_pct_i = gap_i / TD_i (NaN when TD_i = 0). Reconciled, rounded
    by largest remainder (:func:`planlib.split.round_to_total`) to an exact total:

    - top_down: TD_i, total Σ TD
    - bottom_up: BU_i, total Σ BU rounded to the unit
    - blend: w · TD_i + (1 − w) · BU_i, total Σ of the blend rounded to the unit
    - scale_bottom_up: BU_i · Σ TD / Σ BU, total Σ TD
    """
    try:
        func = RECONCILE_METHODS[method]
    except (KeyError, TypeError):
        raise ParamsError(f"unknown reconcile method {method!r}; valid: {', '.join(RECONCILE_METHODS)}") from None
    w = _finite(weight, "weight")
    if not 0 <= w <= 1:
        raise ParamsError(f"weight must be in [0, 1], got {weight!r}")
    children = top_down.index.append(bottom_up.index[~bottom_up.index.isin(top_down.index)])
    td = pd.Series(top_down.to_numpy(dtype="float64", na_value=np.nan), index=top_down.index).reindex(children, fill_value=0.0)
    bu = pd.Series(bottom_up.to_numpy(dtype="float64", na_value=np.nan), index=bottom_up.index).reindex(children, fill_value=0.0)
    reconciled = func(td, bu, w, unit)
    gap = bu - td
    return pd.DataFrame(
        {
            "child": children.to_numpy(),
            "top_down": td.to_numpy(),
            "bottom_up": bu.to_numpy(),
            "gap": gap.to_numpy(),
            "gap_pct": (gap / td.where(td != 0)).to_numpy(),
            "reconciled": reconciled.to_numpy(),
        }
    )


def reconcile_summary(frame: pd.DataFrame) -> dict:
    """
    Totals of a :func:`reconcile` frame.

    Returns
    -------
    dict
        top_down, bottom_up, gap, gap_pct, reconciled (totals), children,
        children_above / children_below (bottom-up above / below top-down).

    Notes
    -----
    gap = Σ BU − Σ TD; gap_pct = gap / Σ TD (NaN when Σ TD = 0).
    """
    td, bu = float(frame["top_down"].sum()), float(frame["bottom_up"].sum())
    rec = frame["reconciled"].sum()
    return {
        "top_down": td,
        "bottom_up": bu,
        "gap": bu - td,
        "gap_pct": (bu - td) / td if td != 0 else float("nan"),
        "reconciled": rec.item() if hasattr(rec, "item") else rec,
        "children": int(len(frame)),
        "children_above": int((frame["gap"] > 0).sum()),
        "children_below": int((frame["gap"] < 0).sum()),
    }


# -- diagnostics ---------------------------------------------------------------------------
def diagnostics(
    targets: pd.Series,
    last_year: pd.Series,
    trend: pd.Series,
    potential: pd.Series | None,
) -> pd.DataFrame:
    """
    Is each child's target fair and feasible? Implied growth against trend and potential.

    Parameters
    ----------
    targets : Series
        Target per child (the children of the result, in this order).
    last_year : Series
        Last year's actual per child; a missing child counts 0.
    trend : Series
        Each child's own trend growth (e.g. its CAGR), as a fraction; missing is NaN.
    potential : Series or None
        Each child's capacity (category potential or headroom ceiling); None or a
        missing child means unknown.

    Returns
    -------
    DataFrame
        child, target, last_year, implied_growth, trend_growth, growth_vs_trend,
        potential, beyond_potential (bool).

    Notes
    -----
    implied_growth = target / last_year − 1 (NaN when last_year ≤ 0, e.g. a new child);
    growth_vs_trend = implied_growth − trend_growth;
    beyond_potential = target > potential (False when the potential is unknown).
    """
    children = targets.index
    t = pd.Series(targets.to_numpy(dtype="float64", na_value=np.nan), index=children)
    ly = last_year.astype("float64").reindex(children).fillna(0.0)
    tr = trend.astype("float64").reindex(children)
    pot = potential.astype("float64").reindex(children) if potential is not None else pd.Series(np.nan, index=children)
    implied = t / ly.where(ly > 0) - 1.0
    return pd.DataFrame(
        {
            "child": children.to_numpy(),
            "target": t.to_numpy(),
            "last_year": ly.to_numpy(),
            "implied_growth": implied.to_numpy(),
            "trend_growth": tr.to_numpy(),
            "growth_vs_trend": (implied - tr).to_numpy(),
            "potential": pot.to_numpy(),
            "beyond_potential": (pot.notna() & (t > pot)).to_numpy(dtype=bool),
        }
    )


def fairness(frame: pd.DataFrame) -> dict:
    """
    Spread of implied growth across children (a :func:`diagnostics` frame).

    Returns
    -------
    dict
        children (with a defined implied growth), std, iqr, min_child, min_growth,
        max_child, max_growth, beyond_potential (count).

    Notes
    -----
    std is the sample standard deviation (ddof = 1; NaN with fewer than two children);
    iqr = Q3 − Q1 with linear interpolation between order statistics. Ties in min/max go
    to the first child in frame order. Children without a defined growth are left out.
    """
    g = frame.set_index("child")["implied_growth"].dropna()
    if g.empty:
        min_child = max_child = None
        lo = hi = float("nan")
    else:
        min_child, max_child = g.idxmin(), g.idxmax()
        lo, hi = float(g.min()), float(g.max())
    return {
        "children": int(len(g)),
        "std": float(g.std(ddof=1)) if len(g) >= 2 else float("nan"),
        "iqr": float(g.quantile(0.75) - g.quantile(0.25)) if len(g) else float("nan"),
        "min_child": min_child,
        "min_growth": lo,
        "max_child": max_child,
        "max_growth": hi,
        "beyond_potential": int(frame["beyond_potential"].sum()),
    }


# -- the plan as a whole ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RegionEconomics:
    """
    A region's history in the figures its targets are priced with.

    Attributes
    ----------
    monthly : DataFrame
        date, volume, revenue — own monthly sales of the region's subtree.
    unit_price, unit_cost : float
        Last year's realised price per unit and variable cost per unit (SKU mix weighted).
    expense_ratio : float
        Last year's expenses / revenue.
    market_volume : float
        Last year's category volume (NaN when the archive has none).
    market_years : DataFrame or None
        year, market_volume — the category volume of each year in the archive (None or
        empty: no market records).
    """

    region: str
    monthly: pd.DataFrame
    unit_price: float
    unit_cost: float
    expense_ratio: float
    market_volume: float
    market_years: pd.DataFrame | None = None


def region_economics(con, tree, region: str, plan_year: int) -> RegionEconomics:
    """
    Read a region's monthly own sales, last year's price, unit cost, expense ratio and market.

    Aggregated in DuckDB over the region's subtree, so a national root reads in well under
    a second. ``con`` is an open archive connection (:func:`planlib.archive.connect`).
    """
    ids = list(tree.subtree(region))
    last = plan_year - 1
    cur = con.cursor()
    try:
        monthly = cur.sql(
            "SELECT date, sum(volume) AS volume, sum(revenue) AS revenue FROM sales "
            "WHERE grain = 'month' AND brand = 'own' AND date < ? "
            "AND region_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY date ORDER BY date",
            params=[pd.Timestamp(plan_year, 1, 1).date(), ids],
        ).to_arrow_table().to_pandas(date_as_object=False)
        row = cur.sql(
            "SELECT sum(s.volume), sum(s.revenue), sum(s.volume * coalesce(p.unit_variable_cost, 0)) "
            "FROM sales s JOIN products p USING (sku) WHERE s.grain = 'month' AND s.brand = 'own' "
            "AND year(s.date) = ? AND s.region_id IN (SELECT unnest(?::VARCHAR[]))",
            params=[last, ids],
        ).fetchall()[0]
        exp = cur.sql(
            "SELECT sum(amount) FROM expenses WHERE year(date) = ? AND region_id IN (SELECT unnest(?::VARCHAR[]))",
            params=[last, ids],
        ).fetchall()[0][0]
        market_years = cur.sql(
            "SELECT year(date) AS year, sum(market_volume) AS market_volume FROM market WHERE year(date) < ? "
            "AND region_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY year ORDER BY year",
            params=[plan_year, ids],
        ).df()
        mkt = market_years.loc[market_years["year"] == last, "market_volume"].sum() if len(market_years) else None
    finally:
        cur.close()
    vol, rev, var = (float(x or 0.0) for x in row)
    return RegionEconomics(
        region=region,
        monthly=monthly,
        unit_price=rev / vol if vol > 0 else 0.0,
        unit_cost=var / vol if vol > 0 else 0.0,
        expense_ratio=float(exp or 0.0) / rev if rev > 0 else 0.0,
        market_volume=float(mkt) if mkt else float("nan"),
        market_years=market_years.astype({"year": "int64", "market_volume": "float64"}),
    )


@dataclass(frozen=True, eq=False)
class PlanTargets:
    """The plan's targets: the root's target kinds and the exact split of its volume."""

    root: str
    plan_year: int
    baseline: Baseline
    kinds: pd.DataFrame
    month_shares: pd.Series
    total_volume: int
    table: pd.DataFrame


def plan_targets(plan, tree, con) -> PlanTargets:
    """
    Set the root's targets and split its volume exactly down the plan's scope.

    Parameters
    ----------
    plan : PlanParams
        The plan (``year``, ``scope``, ``targets``, ``split``).
    tree : RegionTree
    con : DuckDBPyConnection
        The open archive.

    Returns
    -------
    PlanTargets
        ``table`` is the DESIGN.md §4 targets table of every region in scope.

    Notes
    -----
    target volume = round_unit(baseline × (1 + targets.stretch)); months follow the
    plan year's festival-aligned profile (:func:`festival_month_shares`); regions, months,
    product lines, channels, terminal classes and A/B terminals are split by
    :func:`planlib.allocation.allocate_plan`, every child summing exactly to its parent
    (checked by :func:`planlib.allocation.validate_targets` before the table is returned).
    """

    root, year = plan.scope.root, plan.year
    econ = region_economics(con, tree, root, year)
    base = baseline(econ.monthly, year)
    unit = plan.targets.unit
    total = int(round(base.annual * (1.0 + plan.targets.stretch) / unit)) * unit
    kinds = set_targets(
        econ.monthly,
        year,
        stretch=plan.targets.stretch,
        unit_price=econ.unit_price,
        unit_cost=econ.unit_cost,
        expense_ratio=econ.expense_ratio,
        market_volume=econ.market_volume,
    )
    shares = festival_month_shares(econ.monthly, year)
    levels = tuple(lvl for lvl in plan.scope.levels if lvl not in ("hq",))
    deepest = max(levels or ("county",), key=LEVEL_DEPTH.get)
    history = allocate.load_allocation_history(con, tree, root, year, level=deepest)
    sp = plan.split
    potential = region_potential(con, tree, root, year, share=sp.potential_share)
    table = allocate.allocate_plan(
        history,
        tree,
        root=root,
        total_volume=total,
        month_shares=shares,
        plan_year=year,
        method=plan.split.method,
        levels=levels or ("county",),
        unit=unit,
        floor=sp.floor,
        holds=dict(sp.holds) or None,
        weights=dict(sp.weights) or None,
        potential=potential if (sp.cap is not None or sp.method == "potential" or sp.weights.get("potential")) else None,
        cap=sp.cap,
    )
    # a safety net before anything is written: every level, month and breakdown adds up
    allocate.validate_targets(table, tree, sku_lines=history.sku_lines)
    return PlanTargets(root, year, base, kinds, shares, total, table)


def region_potential(con, tree, root: str, plan_year: int, *, share: float) -> pd.Series:
    """
    Each region's potential volume: a share of its category market last year.

    Parameters
    ----------
    con : DuckDBPyConnection
    tree : RegionTree
    root : str
        The regions of this subtree are returned.
    plan_year : int
    share : float
        The largest share of the category market thought attainable (``split.potential_share``).

    Returns
    -------
    Series
        ``potential`` by region id, for every region of the subtree whose subtree has
        market records last year (the others are missing: their potential is unknown).

    Notes
    -----
    potential_r = share × Σ_{l ∈ subtree(r)} market_volume_{l, last year}.
    """
    ids = list(tree.subtree(root))
    rows = con.cursor().sql(
        "SELECT region_id, sum(market_volume) FROM market WHERE year(date) = ? "
        "AND region_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY region_id",
        params=[plan_year - 1, ids],
    ).fetchall()
    top = set(tree.ancestors(root))
    rolled: dict[str, float] = {}
    for rid, vol in rows:
        for a in (rid, *tree.ancestors(rid)):
            if a not in top:
                rolled[a] = rolled.get(a, 0.0) + float(vol or 0.0)
    order = [r for r in ids if r in rolled]
    return pd.Series([share * rolled[r] for r in order], index=pd.Index(order, name="region_id"),
                     name="potential", dtype="float64")


def children_proposals(con, tree, region: str, plan_year: int, *, stretch, unit: int = 1,
                       path=None, baselines: pd.Series | None = None) -> tuple[pd.Series, str]:
    """
    The children's own proposals (上行方式): from a proposals file, else their own trend.

    Parameters
    ----------
    con : DuckDBPyConnection
    tree : RegionTree
    region : str
        The parent; proposals are read for its children.
    plan_year : int
    stretch : float or mapping
        Added to each child's own baseline when no file is given: one value, or child id ->
        its own stretch (its override file's ``targets.stretch``; missing children take
        the mapping's ``None`` key, else 0).
    unit : int, default 1
        Proposals from the trend are rounded to this unit.
    path : path-like, optional
        A CSV with columns ``region_id`` and ``volume`` (``split.proposals``); rows of
        regions that are not children of ``region`` are ignored.
    baselines : Series, optional
        The children's baselines if already computed (:func:`children_baselines`).

    Returns
    -------
    (Series, str)
        Proposed annual volume per child (children without a proposal are missing) and
        where the numbers come from (for the report).

    Raises
    ------
    DataError
        The file is missing, lacks a column, or a row's volume is not a non-negative number
        (the message names the file, the row and the field).

    Notes
    -----
    Without a file: proposal_c = round_unit(baseline_c × (1 + stretch)), each child's own
    damped trend forecast (:func:`baseline`), as the child would propose from its own runs.
    """

    kids = list(tree.children(region))
    if path is not None:
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except FileNotFoundError:
            raise DataError(f"{path}: the proposals file (split.proposals) does not exist") from None
        missing = [c for c in ("region_id", "volume") if c not in raw.columns]
        if missing:
            raise DataError(f"{path}: missing column(s) {', '.join(missing)}; expected region_id, volume")
        vol = pd.to_numeric(raw["volume"].str.replace(",", "").str.strip(), errors="coerce")
        bad = raw.index[vol.isna() | (vol < 0)]
        if len(bad):
            i = int(bad[0])
            raise DataError(f"{path}: row {i + 2}: volume: got {raw.loc[i, 'volume']!r}; expected a non-negative number"
                            + (f" ({len(bad)} rows like this)" if len(bad) > 1 else ""))
        mine = raw["region_id"].str.strip().isin(kids)
        got = pd.Series(vol[mine].to_numpy(dtype=float), index=raw.loc[mine, "region_id"].str.strip().to_numpy())
        got = got.groupby(level=0).sum()
        return got.reindex([k for k in kids if k in got.index]).rename("bottom_up"), f"提案文件 {Path(path).name}"
    base = children_baselines(con, tree, region, plan_year) if baselines is None else baselines
    out = {}
    for kid in kids:
        if kid not in base.index or pd.isna(base[kid]):
            continue
        own = stretch.get(kid, stretch.get(None, 0.0)) if isinstance(stretch, dict) else stretch
        out[kid] = float(round(float(base[kid]) * (1.0 + float(own)) / unit) * unit)
    return pd.Series(out, dtype="float64", name="bottom_up"), "下级自身趋势预测 × (1 + 冲刺)"


def children_baselines(con, tree, region: str, plan_year: int, *, table: pd.DataFrame | None = None) -> pd.Series:
    """
    Each child's own baseline for the plan year: its damped trend forecast (:func:`baseline`).

    Children without own sales are left out, and with ``table`` (a targets table) those
    the plan does not split to. Fallback warnings are not raised here: a child's method
    shows in its own report.
    """
    kids = list(tree.children(region))
    if table is not None:
        planned = set(pd.unique(table["region_id"].astype(str)))
        kids = [k for k in kids if k in planned]
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        for kid in kids:
            econ = region_economics(con, tree, kid, plan_year)
            if not econ.monthly.empty:
                out[kid] = float(baseline(econ.monthly, plan_year).annual)
    return pd.Series(out, dtype="float64", name="baseline")


def region_kinds(econ: RegionEconomics, table: pd.DataFrame, *, plan_year: int,
                 budget: float | None = None) -> pd.DataFrame:
    """
    A region's targets of every kind: its allocated volume priced with its own history and costs.

    Parameters
    ----------
    econ : RegionEconomics
        The region's history (:func:`region_economics`).
    table : DataFrame
        The plan's targets table (DESIGN.md §4); the region's total rows are used.
    plan_year : int
    budget : float, optional
        The region's expense budget for the plan year (the run's budget,
        :func:`planlib.costing.region_expenses`): the ``with_budget`` column prices the
        target with it.

    Returns
    -------
    DataFrame
        kind, last_year, baseline, target, flat20, with_budget, basis — volume, revenue,
        gross_margin, expenses, profit, market_share. ``with_budget`` is the target with
        the budget's expenses (NaN without a budget); ``basis`` says how each target is
        computed.

    Raises
    ------
    ParamsError
        A budget that is negative or not a finite number.

    Notes
    -----
    target revenue = Σ the region's monthly target_revenue; gross margin = revenue −
    volume × unit cost (last year's variable cost per unit); expenses = last year's
    expense ratio × revenue; profit = gross margin − expenses: the profit target, set
    before the money is (DOMAIN §6: the profit target gives the expense limit). With a
    budget B: expenses = B and profit = gross margin − B, the profit the budgeted plan
    makes at the target (the budget's dual check compares the two). share = volume /
    last year's category volume. ``baseline`` is the region's own forecast
    (:func:`baseline`), so the stretch each region is asked for is visible.
    """
    if budget is not None and not (isinstance(budget, (int, float, np.integer, np.floating))
                                   and not isinstance(budget, bool) and math.isfinite(budget) and budget >= 0):
        raise ParamsError(f"budget for {econ.region} must be a non-negative number, got {budget!r}")
    rows = table[(table["region_id"] == econ.region) & _is_total(table)]
    volume = float(rows["target_volume"].sum())
    revenue = float(rows["target_revenue"].sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)  # a region's fallback is shown by its method
        base = baseline(econ.monthly, plan_year) if not econ.monthly.empty else None
    monthly = econ.monthly
    last = monthly[pd.to_datetime(monthly["date"]).dt.year == plan_year - 1] if not monthly.empty else monthly
    ly_vol = float(last["volume"].sum()) if len(last) else 0.0
    ly_rev = float(last["revenue"].sum()) if len(last) else 0.0
    price = revenue / volume if volume > 0 else econ.unit_price

    def derived(vol: float, rev: float, expenses: float | None = None) -> list[float]:
        margin = rev - vol * econ.unit_cost
        expenses = econ.expense_ratio * rev if expenses is None else float(expenses)
        share = vol / econ.market_volume if econ.market_volume and econ.market_volume > 0 else float("nan")
        return [vol, rev, margin, expenses, margin - expenses, share]

    base_vol = base.annual if base is not None else 0.0
    return pd.DataFrame(
        {
            "kind": list(TARGET_KINDS),
            "last_year": derived(ly_vol, ly_rev),
            "baseline": derived(base_vol, base_vol * price),
            "target": derived(volume, revenue),
            "flat20": derived(ly_vol * (1 + FLAT_PRESSURE), ly_rev * (1 + FLAT_PRESSURE)),
            "with_budget": derived(volume, revenue, budget) if budget is not None else [float("nan")] * 6,
            "basis": [
                "分配到本区的销量 the allocated volume",
                "销量 × 去年实现价格 volume × last year's realised price",
                f"销售额 − 销量 × 单位成本 {econ.unit_cost:,.2f} revenue − volume × unit cost",
                f"去年费用率 {econ.expense_ratio:.1%} × 销售额 last year's expense ratio × revenue",
                "毛利 − 费用 gross margin − expenses",
                "销量 / 去年品类市场量 volume / last year's category market",
            ],
        }
    )


#: How each baseline method reads in a report.
BASELINE_METHODS_ZH: dict[str, str] = {
    "holt_winters_damped": "阻尼趋势 Holt-Winters（statsmodels，含季节）",
    "last12_growth": "近 12 个月 × 近期增长",
    "run_rate": "月均 × 12（不足一年历史）",
    "zero": "无历史，基线为 0",
}


def region_baseline(econ: RegionEconomics, plan_year: int) -> Baseline:
    """
    The region's baseline (:func:`baseline` of its own monthly volume), without the
    fallback warning: a report states the method taken (:data:`BASELINE_METHODS_ZH`).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        return baseline(econ.monthly, plan_year)


def baseline_history(econ: RegionEconomics, base: Baseline, plan_year: int, *, target: float) -> pd.DataFrame:
    """
    The region's complete years beside its baseline and target: growth, market and share.

    Parameters
    ----------
    econ : RegionEconomics
        The region's history (:func:`region_economics`).
    base : Baseline
        Its baseline for the plan year (:func:`baseline` of ``econ.monthly``).
    plan_year : int
    target : float
        The region's volume target (its allocated volume).

    Returns
    -------
    DataFrame
        year (text: each complete year, then "<plan year> 趋势预测" and "<plan year> 目标"),
        volume, growth, market_volume, market_growth, own_share. The plan year's market
        is last year's (no forecast of the category is made), so its share is the share
        the baseline or target would take of last year's market.

    Notes
    -----
    growth_t = volume_t / volume_{t−1} − 1 (the plan-year rows against the last
    complete year); market_growth likewise on the category volume; own_share =
    volume / market_volume.
    """
    hy = base.history_years[["year", "value", "growth"]].rename(columns={"value": "volume"})
    mk = econ.market_years if econ.market_years is not None else pd.DataFrame(columns=["year", "market_volume"])
    mk = mk.astype({"year": "int64", "market_volume": "float64"})
    out = hy.merge(mk, on="year", how="left")
    prev_m = out["market_volume"].shift(1)
    out["market_growth"] = out["market_volume"] / prev_m.where(prev_m > 0) - 1.0
    last_vol = float(out["volume"].iloc[-1]) if len(out) else float("nan")
    last_mkt = float(out["market_volume"].iloc[-1]) if len(out) else float("nan")
    plan_rows = pd.DataFrame({
        "year": [f"{plan_year} 趋势预测", f"{plan_year} 目标"],
        "volume": [float(base.annual), float(target)],
        "market_volume": [last_mkt, last_mkt],
    })
    plan_rows["growth"] = plan_rows["volume"] / last_vol - 1.0 if last_vol > 0 else np.nan
    plan_rows["market_growth"] = np.nan
    out = pd.concat([out.assign(year=out["year"].astype(str)), plan_rows], ignore_index=True)
    out["own_share"] = out["volume"] / out["market_volume"].where(out["market_volume"] > 0)
    return out[["year", "volume", "growth", "market_volume", "market_growth", "own_share"]]


def baseline_reading(base: Baseline, history: pd.DataFrame, *, target: float) -> str:
    """One sentence: the baseline's method, past growth, and the stretch the target asks on top of it."""
    method = BASELINE_METHODS_ZH.get(base.method, base.method)
    years = base.history_years
    past = ""
    if len(years) >= 2:
        past = (f"{int(years['year'].iloc[0])}–{int(years['year'].iloc[-1])} 年复合增长 {base.cagr:+.1%}，"
                f"去年 {years['growth'].iloc[-1]:+.1%}；")
    share = history["own_share"].iloc[-1]
    share_txt = f"，占去年品类市场 {share:.1%}" if pd.notna(share) else ""
    stretch = f"，比趋势预测 {target / base.annual - 1:+.1%}" if base.annual > 0 else ""
    return (f"基线方法：{method}。{past}趋势预测 {base.annual:,.0f}；目标 {target:,.0f}{stretch}{share_txt}。")


def _is_total(table: pd.DataFrame) -> pd.Series:
    """The region-month total rows: every breakdown column empty (distributor lines included)."""

    cols = [c for c in BREAKDOWN_COLUMNS if c in table]
    return table[cols].isna().all(axis=1)


@dataclass(frozen=True, eq=False)
class RegionTargetView:
    """One region's rows of the targets table, shaped for its report."""

    region: str
    months: pd.DataFrame
    children: pd.DataFrame
    breakdowns: dict
    terminals: pd.DataFrame
    key_terminals: int
    quarters: pd.DataFrame = None


def _growth(target: pd.Series, last: pd.Series) -> pd.Series:
    return target / last.where(last > 0) - 1.0


def region_view(table: pd.DataFrame, tree, region: str, *, terminals: pd.DataFrame | None = None,
                potential: pd.Series | None = None, baselines: pd.Series | None = None) -> RegionTargetView:
    """
    A region's months, children, breakdowns and terminal lines from the plan's targets table.

    Parameters
    ----------
    table : DataFrame
        The targets table (DESIGN.md §4).
    tree : RegionTree
    region : str
    terminals : DataFrame, optional
        The archive's terminals of the region (names for terminal lines, A/B count).
    potential : Series, optional
        Potential volume by region id (:func:`region_potential`): adds the children's
        ``potential`` and ``beyond_potential`` (target above it) columns.
    baselines : Series, optional
        Each child's own trend forecast (:func:`children_baselines`): adds the children's
        ``baseline`` and ``vs_baseline`` (target / baseline − 1: the stretch each child is
        asked for on top of its own trend) columns.

    Returns
    -------
    RegionTargetView
        ``months``: month, target_volume, target_revenue, last_year_volume, growth;
        ``quarters``: the months summed by quarter, with growth and share;
        ``children``: region_id, name, last_year_volume, target_volume, growth, share
        (and potential, beyond_potential when ``potential`` is given);
        ``breakdowns``: dimension -> annual table; ``terminals``: one row per terminal
        line with the twelve months (county level only).
    """

    kind = breakdown_of(table)
    mine = table["region_id"] == region
    tot = table[mine & (kind == "total")].sort_values("month")
    months = tot[["month", "target_volume", "target_revenue", "last_year_volume"]].reset_index(drop=True)
    months["growth"] = _growth(months["target_volume"], months["last_year_volume"])
    kids = list(tree.children(region))
    ch = table[table["region_id"].isin(kids) & (kind == "total")]
    children = ch.groupby("region_id", as_index=False)[["last_year_volume", "target_volume"]].sum()
    children.insert(1, "name", children["region_id"].map(tree.name))
    children["growth"] = _growth(children["target_volume"], children["last_year_volume"])
    total = children["target_volume"].sum()
    children["share"] = children["target_volume"] / total if total > 0 else np.nan
    if potential is not None:
        pot = potential.reindex(children["region_id"]).to_numpy(dtype=float)
        children["potential"] = pot
        children["beyond_potential"] = np.nan_to_num(pot, nan=np.inf) < children["target_volume"].to_numpy()
    if baselines is not None:
        children["baseline"] = baselines.reindex(children["region_id"]).to_numpy(dtype=float)
        children["vs_baseline"] = _growth(children["target_volume"], children["baseline"])
    breakdowns = {}
    for dim in ("product_line", "sku", "channel", "terminal_class", "distributor_id"):
        if dim not in table:  # a table written before this breakdown existed: no rows
            rows = table.iloc[:0].assign(**{dim: pd.Series([], dtype=object)})
        else:
            rows = table[mine & (kind == dim)]
        g = rows.groupby(dim, as_index=False, observed=True)[
            ["last_year_volume", "target_volume", "target_revenue"]].sum()
        g["growth"] = _growth(g["target_volume"], g["last_year_volume"])
        t = g["target_volume"].sum()
        g["share"] = g["target_volume"] / t if t > 0 else np.nan
        breakdowns[dim] = g
    # terminal lines are split at county level; a county's report lists them
    sub = set(tree.subtree(region)) if tree.level(region) == "county" else set()
    term = table[table["region_id"].isin(sub) & (kind == "terminal")]
    names = {} if terminals is None else dict(zip(terminals["terminal_id"], terminals["name"]))
    if term.empty:
        lines = pd.DataFrame()
    else:
        label = pd.Series(
            [
                names.get(t, t) if isinstance(t, str) else f"C/D · {tree.name(r)}"
                for t, r in zip(term["terminal_id"].astype(object), term["region_id"].astype(object))
            ],
            index=term.index,
        )
        wide = term.assign(line=label.astype(str), m=pd.to_datetime(term["month"]).dt.month).pivot_table(
            index=["line", "terminal_class"], columns="m", values="target_volume", aggfunc="sum", fill_value=0
        )
        wide.columns = [f"{m}月" for m in wide.columns]
        wide["全年"] = wide.sum(axis=1)
        lines = wide.reset_index().sort_values(["terminal_class", "全年"], ascending=[True, False]).reset_index(drop=True)
    key = 0 if terminals is None else int(terminals["terminal_class"].isin(["A", "B"]).sum())
    q = months.assign(quarter=pd.DatetimeIndex(months["month"]).quarter).groupby("quarter", as_index=False)[
        ["target_volume", "target_revenue", "last_year_volume"]].sum()
    q["growth"] = _growth(q["target_volume"], q["last_year_volume"])
    t = q["target_volume"].sum()
    q["share"] = q["target_volume"] / t if t > 0 else np.nan
    return RegionTargetView(region, months, children, breakdowns, lines, key, q)


def key_figures(kinds: pd.DataFrame, plan_year: int) -> list[tuple[str, str]]:
    """Headline figures of a region's targets: volume, revenue, profit and their growth."""
    k = kinds.set_index("kind")
    out = []
    for kind, label in (("volume", "销量目标 volume"), ("revenue", "销售额目标 revenue"), ("profit", "利润目标 profit")):
        target, last = k.loc[kind, "target"], k.loc[kind, "last_year"]
        out.append((f"{plan_year} {label}", f"{target:,.0f}"))
        if last and last > 0:
            out.append((f"{label.split()[0]} 增长", f"{target / last - 1:+.1%}"))
    if "with_budget" in k.columns and pd.notna(k.loc["profit", "with_budget"]):
        out.append(("目标下利润（按预算）profit at target with the budget", f"{k.loc['profit', 'with_budget']:,.0f}"))
    return out


def kinds_reading(kinds: pd.DataFrame) -> str:
    """
    One sentence: the stretch asked for, the profit target and (with the run's budget) the
    profit the budgeted plan makes against it, and what the flat +20% would have asked.
    """
    k = kinds.set_index("kind")
    vol = k.loc["volume"]
    prof = k.loc["profit"]
    if not vol["last_year"] > 0:
        return "No sales last year: the target rests on the plan's split alone."
    head = (
        f"目标销量比去年 {vol['target'] / vol['last_year'] - 1:+.1%}，比自身趋势预测 "
        f"{vol['target'] / vol['baseline'] - 1 if vol['baseline'] > 0 else float('nan'):+.1%}；"
        f"利润目标 {prof['target']:,.0f}（按去年费用率）"
    )
    with_budget = prof.get("with_budget", float("nan"))
    if pd.notna(with_budget):
        exp, rev = k.loc["expenses", "with_budget"], k.loc["revenue", "target"]
        gap = with_budget - prof["target"]
        head += (f"；按本次费用预算 {exp:,.0f}（费用率 {exp / rev if rev > 0 else float('nan'):.1%}），"
                 f"目标下利润 {with_budget:,.0f}，比利润目标{'多' if gap >= 0 else '少'} {abs(gap):,.0f}")
    else:
        head += "；本次运行尚无费用预算，按预算的利润在预算步骤后给出"
    return head + (f"。\"一律加 20%\" 将要求 {vol['flat20']:,.0f}，比本方案多 {vol['flat20'] - vol['target']:,.0f}。")


def fairness_reading(children: pd.DataFrame) -> str:
    """One sentence on how evenly the children are asked to grow."""
    g = children["growth"].dropna()
    if g.empty:
        return "No child has a last year to compare with."
    lo, hi = children.loc[g.idxmin()], children.loc[g.idxmax()]
    out = (
        f"隐含增长从 {lo['name']} 的 {lo['growth']:+.1%} 到 {hi['name']} 的 {hi['growth']:+.1%}；"
        f"标准差 {g.std(ddof=1) if len(g) > 1 else 0.0:.1%}。"
    )
    if "vs_baseline" in children and children["vs_baseline"].notna().any():
        v = children["vs_baseline"].dropna()
        top = children.loc[v.idxmax()]
        out += f"比自身趋势预测要求最多的是 {top['name']}（{top['vs_baseline']:+.1%}）。"
    if "beyond_potential" in children:
        n = int(children["beyond_potential"].sum())
        out += (f"{n} 个下级目标超出潜力：{'、'.join(children.loc[children['beyond_potential'], 'name'].astype(str))}。"
                if n else "没有下级目标超出潜力。")
    return out + "各下级合计恰等于本级目标。"


def bottom_up_gap(children: pd.DataFrame, proposals: pd.Series, *, method: str = "scale_bottom_up",
                  weight: float = 0.5, unit=1) -> pd.DataFrame:
    """
    The children's top-down targets beside their own proposals: the gap and a reconciliation.

    Parameters
    ----------
    children : DataFrame
        ``region_id, name, target_volume`` (:attr:`RegionTargetView.children`).
    proposals : Series
        Proposed volume per child (:func:`children_proposals`).
    method, weight, unit
        As :func:`reconcile` (``split.reconcile``, ``split.reconcile_weight``, ``targets.unit``).

    Returns
    -------
    DataFrame
        region_id, name, top_down, bottom_up, gap, gap_pct, reconciled — one row per
        child, then a total row (``region_id`` "合计").

    Warns
    -----
    PlanWarning
        Children without a proposal: they keep their top-down target (bottom_up, gap NaN)
        and only the proposers are reconciled, within their own top-down total.

    Notes
    -----
    As :func:`reconcile` over the children that proposed; the total row holds Σ top_down
    and Σ reconciled over all children (equal under scale_bottom_up and top_down) and the
    gap over the proposers: gap = Σ BU − Σ TD of them, gap_pct = gap / Σ TD of them.
    """
    td = pd.Series(children["target_volume"].to_numpy(dtype=float), index=children["region_id"].to_numpy())
    bu = proposals.astype(float).dropna()
    silent = [c for c in td.index if c not in bu.index]
    if silent:
        warnings.warn(f"no proposal from {', '.join(map(str, silent))}: they keep their top-down targets and the "
                      "others are reconciled among themselves", PlanWarning, stacklevel=2)
    with_td = td.drop(silent)
    rec = reconcile(with_td, bu, method=method, weight=weight, unit=unit) if len(bu) or len(with_td) else \
        pd.DataFrame(columns=["child", "top_down", "bottom_up", "gap", "gap_pct", "reconciled"])
    if silent:
        keep = pd.DataFrame({"child": silent, "top_down": td[silent].to_numpy(), "bottom_up": np.nan, "gap": np.nan,
                             "gap_pct": np.nan, "reconciled": td[silent].to_numpy()})
        rec = pd.concat([rec, keep], ignore_index=True) if len(rec) else keep
        order = {c: i for i, c in enumerate(td.index)}
        rec = rec.assign(_o=rec["child"].map(order).fillna(len(order))).sort_values("_o", kind="stable") \
            .drop(columns="_o").reset_index(drop=True)
    names = dict(zip(children["region_id"], children["name"]))
    rec.insert(1, "name", rec["child"].map(names).fillna(rec["child"]))
    rec = rec.rename(columns={"child": "region_id"})
    proposed = rec[rec["bottom_up"].notna()]
    td_p, bu_p = float(proposed["top_down"].sum()), float(proposed["bottom_up"].sum())
    total = {"region_id": "合计", "name": "合计 total", "top_down": float(rec["top_down"].sum()),
             "bottom_up": bu_p if len(proposed) else np.nan, "gap": bu_p - td_p if len(proposed) else np.nan,
             "gap_pct": (bu_p - td_p) / td_p if td_p > 0 else np.nan, "reconciled": float(rec["reconciled"].sum())}
    return pd.concat([rec, pd.DataFrame([total])], ignore_index=True)


def gap_reading(gap: pd.DataFrame, source: str) -> str:
    """One sentence on the bottom-up gap: in total, and the child furthest below top-down."""
    kids, tot = gap.iloc[:-1], gap.iloc[-1]
    kids = kids[kids["gap"].notna()]
    if kids.empty:
        return "没有下级提案 — no proposals from the children."
    low = kids.loc[kids["gap"].abs().idxmax()]
    pct = f"{tot['gap_pct']:+.1%}" if np.isfinite(tot["gap_pct"]) else "n/a"
    return (f"下级提案（{source}）合计 {tot['bottom_up']:,.0f}，比分配目标 {tot['top_down']:,.0f} "
            f"差 {tot['gap']:+,.0f}（{pct}）；差距最大的是 {low['name']}（{low['gap']:+,.0f}）。")


# -- tuning one region's split (the notebook's panel) ---------------------------------------
@dataclass(frozen=True, eq=False)
class SplitInputs:
    """
    What one region's children split rests on, read once for a tuning panel.

    Attributes
    ----------
    region : str
    total : int
        The region's annual target in the plan (from the targets table).
    stretch : float
        The plan's stretch the total was set with.
    history : DataFrame
        child, month, value — each child's own monthly volume over the history window.
    last_year : Series
        Each child's volume last year.
    trend : Series
        Each child's own trend growth (last year over the year before, − 1; NaN if new).
    potential : Series
        Each child's potential (:func:`region_potential`); missing where unknown.
    names : dict
        Child id -> display name.
    """

    region: str
    total: int
    stretch: float
    history: pd.DataFrame
    last_year: pd.Series
    trend: pd.Series
    potential: pd.Series
    names: dict


def split_inputs(con, tree, region: str, plan_year: int, *, total: int, stretch: float,
                 potential_share: float = 0.5, history_years: int = 2) -> SplitInputs:
    """
    Read a region's children's monthly history, last year, trend and potential in one pass.

    Parameters
    ----------
    con : DuckDBPyConnection
    tree : RegionTree
    region : str
    plan_year : int
    total : int
        The region's annual target in the plan.
    stretch : float
        The plan's stretch (``targets.stretch``).
    potential_share : float, default 0.5
        ``split.potential_share``.
    history_years : int, default 2
        ``split.history_years``: the window of the shares.

    Returns
    -------
    SplitInputs
    """
    kids = list(tree.children(region))
    owner = {r: k for k in kids for r in tree.subtree(k)}
    first = plan_year - history_years
    rows = con.cursor().sql(
        "SELECT region_id, date, sum(volume) FROM sales WHERE grain = 'month' AND brand = 'own' "
        "AND date >= ? AND date < ? AND region_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY region_id, date",
        params=[pd.Timestamp(first, 1, 1).date(), pd.Timestamp(plan_year, 1, 1).date(), list(owner)],
    ).fetchall()
    raw = pd.DataFrame(rows, columns=["region_id", "month", "value"])
    raw["child"] = raw["region_id"].map(owner)
    hist = raw.groupby(["child", "month"], as_index=False)["value"].sum()
    hist["month"] = pd.to_datetime(hist["month"])
    year = hist["month"].dt.year
    ly = hist[year == plan_year - 1].groupby("child")["value"].sum().reindex(kids).fillna(0.0)
    prev = hist[year == plan_year - 2].groupby("child")["value"].sum().reindex(kids)
    trend = ly / prev.where(prev > 0) - 1.0
    pot = region_potential(con, tree, region, plan_year, share=potential_share).reindex(kids).dropna()
    return SplitInputs(region, int(total), float(stretch), hist[["child", "month", "value"]], ly, trend, pot,
                       {k: tree.name(k) for k in kids})


def tune_split(inputs: SplitInputs, *, stretch: float | None = None, weights: dict | None = None,
               floor: float | None = None, cap: float | None = None, hold: tuple[str, int] | None = None,
               unit: int = 1) -> tuple[pd.DataFrame, dict]:
    """
    Re-split one region's target over its children with tuned assumptions.

    Parameters
    ----------
    inputs : SplitInputs
        From :func:`split_inputs`.
    stretch : float, optional
        A tuned stretch: the region's total scales by (1 + stretch) / (1 + plan stretch).
    weights : dict, optional
        Method -> weight (a ``blend``); default ``{"proportion_averages": 1}``.
    floor, cap : float, optional
        As ``split.floor`` and ``split.cap`` (cap × potential; children without a
        potential have no cap).
    hold : (child, volume), optional
        One child's number fixed by a manager.
    unit : int, default 1

    Returns
    -------
    (DataFrame, dict)
        :func:`diagnostics` columns plus name and share, one row per child, summing exactly
        to the (tuned) total; and :func:`fairness` of it with the total.

    Raises
    ------
    SplitError
        Infeasible constraints, as :func:`planlib.split.constrain_split` (which, by how much).

    Notes
    -----
    T' = round_unit(T × (1 + s') / (1 + s)); shares = Σ_m w_m · shares_m / Σ w (blend of
    :func:`planlib.split.shares_for`); targets = constrain_split(T', shares, floor, cap × potential, hold).
    """

    kids = list(inputs.names)
    total = inputs.total
    if stretch is not None:
        total = int(round(inputs.total * (1.0 + stretch) / (1.0 + inputs.stretch) / unit)) * unit
    w = {k: float(v) for k, v in (weights or {"proportion_averages": 1.0}).items() if v and v > 0}
    if not w:
        w = {"equal": 1.0}
    pot = inputs.potential.reindex(kids).fillna(0.0) if len(inputs.potential) else None
    if "potential" in w and pot is None:
        raise ParamsError("no child of this region has a potential (no market records): weight 'potential' must be 0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        shares = shares_for("blend", inputs.history, weights=w, children=kids, potential=pot)
        if float(shares.sum()) == 0:
            shares = shares_for("equal", children=kids)
        kid_cap = None
        if cap is not None and len(inputs.potential):
            kid_cap = inputs.potential * cap // unit * unit
        holds = {hold[0]: int(hold[1])} if hold is not None else None
        target = constrain_split(total, shares, last_year=inputs.last_year if floor is not None else None,
                                 floor=floor, cap=kid_cap, holds=holds, unit=unit)
    diag = diagnostics(target, inputs.last_year, inputs.trend, inputs.potential if len(inputs.potential) else None)
    diag.insert(1, "name", diag["child"].map(inputs.names))
    diag.insert(3, "share", diag["target"] / total if total > 0 else np.nan)
    summary = fairness(diag)
    summary["total"] = total
    return diag, summary
