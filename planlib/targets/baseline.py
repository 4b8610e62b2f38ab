"""
A region's baseline: next year's volume from its history, and its months.

The seed asks for targets the team can "jump and touch" (跳一跳,摸得着): history's
trend and seasonality first, the stretch on top (:mod:`planlib.targets.kinds`).

Public names
------------
Baseline                 a region's baseline for the plan year (frozen)
baseline                 next year's volume from history (damped Holt-Winters, or fallbacks)
baselines                many regions' baseline totals at once (the same numbers, months not split)
festival_month_shares    the plan year's month shares, Spring Festival aligned to its real date
calendar_month_shares    the plan year's month shares from the calendar-month profile
seasonality_backtest     which month profile (calendar or Spring Festival) predicted last year's months better
plan_month_shares        the plan year's month shares by ``split.seasonality`` (auto: by back-test)
SeasonalityChoice        that profile, how it was chosen and the back-test behind it (frozen)
festival_shift_reading   one sentence: the months around the Spring Festival and Mid-Autumn against last year
baseline_reading         one sentence: the method, past growth and the stretch asked on top
BASELINE_METHODS_ZH      how each baseline method reads in a report
month_series             monthly totals on a gap-free month index, leading zeros trimmed
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planlib import calendar, review
from planlib.errors import ParamsError, PlanWarning
from planlib.labels import SEASONALITY_NAMES
from planlib.targets.holtwinters import fit_annual
from planlib.targets.holtwinters_many import fit_annual_many

__all__ = ["Baseline", "baseline", "baselines", "festival_month_shares", "festival_shift_reading", "baseline_reading", "BASELINE_METHODS_ZH",
           "calendar_month_shares", "seasonality_backtest", "plan_month_shares", "SeasonalityChoice"]

#: Growth clip of the short-history baseline (12–23 months).
GROWTH_CLIP = 0.30

_SF_LEAD_DAYS = calendar.HOLIDAY_WINDOWS["spring_festival"][0]  # slot 1 starts 21 days before SF


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


def month_series(monthly: pd.DataFrame, value: str, *, end=None) -> pd.Series:
    """
    Monthly totals of ``value`` on a gap-free month-start index (absent months are 0),
    leading zeros trimmed.

    ``end`` (any day of a month): where the history ends, when later than the last row's
    month: the months up to it are 0 (the region sold nothing in them). A region whose
    sales stopped before the archive's last month (:func:`planlib.archive.queries.targets.own_sales_end`)
    is forecast from its zeros, not from its last sale as if it were last month.

    Raises
    ------
    ParamsError
        A missing column, or a value that is missing or not numeric.
    """
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
    full = pd.date_range(s.index.min(), max(s.index.max(), _month_start(end, s.index.max())), freq="MS")
    s = s.reindex(full, fill_value=0.0)
    nonzero = np.flatnonzero(s.to_numpy() != 0)
    return s.iloc[nonzero[0] :] if len(nonzero) else s.iloc[0:0]


def _month_start(end, default: pd.Timestamp) -> pd.Timestamp:
    """``end``'s month (its first day), or ``default`` when ``end`` is None."""
    return default if end is None else pd.Timestamp(end).to_period("M").to_timestamp()


def _month_index(end) -> int:
    """``year * 12 + month - 1`` of ``end``'s month."""
    stamp = pd.Timestamp(end)
    return stamp.year * 12 + stamp.month - 1


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


def _growth_annual(x: np.ndarray, horizon: int) -> float:
    """Last 12 months × (1 + g)^(horizon / 12), g the recent growth clipped to ±30% (``x``: the month values)."""
    last12 = float(x[-12:].sum())
    m = min(len(x) - 12, 12)
    g = 0.0
    if m >= 1:
        recent = float(x[-m:].sum())
        year_before = float(x[-12 - m : -12].sum())
        if year_before > 0:
            g = float(np.clip(recent / year_before - 1.0, -GROWTH_CLIP, GROWTH_CLIP))
    return last12 * (1.0 + g) ** (horizon / 12.0)


def _horizon(last_month: int, plan_year: int) -> int:
    """Months from the last month of history (``year * 12 + month - 1``) to the plan year's December."""
    horizon = plan_year * 12 + 11 - last_month
    if horizon < 12:
        raise ParamsError(
            f"history runs to {last_month // 12}-{last_month % 12 + 1:02d}, inside the plan year {plan_year}; "
            f"pass history before {plan_year}"
        )
    return horizon


def _trend_annual(x: np.ndarray, horizon: int, plan_year: int, value: str,
                  fitted: tuple[float | None, str] | None = None) -> tuple[float, str, list[str]]:
    """
    The plan year's total of a non-empty month series ``x`` (float64 values, see :func:`baseline`),
    its method and fallback notes (``fitted``: the Holt-Winters fit of ``x``, when already made).
    """
    n = len(x)
    notes = []  # one PlanWarning per call, however many fallbacks were taken
    if n >= 24:
        annual, why = fitted if fitted is not None else fit_annual(x, horizon)
        method = "holt_winters_damped"
        if annual is None:
            notes.append(
                f"Holt-Winters did not fit the {n} months of {value} ({why}): the baseline is "
                "the last 12 months × recent growth"
            )
            annual, method = _growth_annual(x, horizon), "last12_growth"
    elif n >= 12:
        annual, method = _growth_annual(x, horizon), "last12_growth"
    else:
        notes.append(f"only {n} months of {value} history: the {plan_year} baseline is 12 × their mean (run rate)")
        annual, method = 12.0 * float(x.mean()), "run_rate"
    return max(float(annual), 0.0), method, notes


def baseline(monthly: pd.DataFrame, plan_year: int, *, value: str = "volume", cache=None, end=None) -> Baseline:
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
    cache : path-like, optional
        A folder keeping the Holt-Winters fit between runs (``fit_annual_many``'s ``cache``,
        as :func:`baselines` keeps its fits): the same history fitted again is read from it,
        the same number, without loading statsmodels.
    end : date-like, optional
        Where the history ends (any day of its last month; default the last row's month):
        the archive's last month of own sales (:func:`planlib.archive.queries.targets.own_sales_end`),
        so that months after the region's last sale count as 0 (:func:`month_series`).

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
    s = month_series(monthly, value, end=end)
    history_years, rate = _history_years(s)
    months = pd.RangeIndex(1, 13, name="month")
    if s.empty:
        warnings.warn(
            f"no {value} history (all zeros or no rows): the {plan_year} baseline is 0",
            PlanWarning,
            stacklevel=2,
        )
        return Baseline(0.0, pd.Series(0.0, index=months, name=value), "zero", history_years, rate)
    last = s.index[-1]
    x = s.to_numpy(dtype="float64")
    horizon = _horizon(last.year * 12 + last.month - 1, plan_year)
    fitted = fit_annual_many([x], [horizon], cache=cache)[0] if cache is not None and len(x) >= 24 else None
    annual, method, notes = _trend_annual(x, horizon, plan_year, value, fitted)
    shares, share_note, _ = _festival_shares(pd.DataFrame({"date": s.index, value: s.to_numpy()}), plan_year, value)
    if share_note:
        notes.append(share_note)
    if notes:
        warnings.warn("; ".join(notes), PlanWarning, stacklevel=2)
    return Baseline(annual, (shares * annual).rename(value), method, history_years, rate)


def baselines(monthly: pd.DataFrame, plan_year: int, *, by: str = "region_id", value: str = "volume",
              cache=None, end=None) -> pd.DataFrame:
    """
    Many regions' plan-year baselines at once: the totals :func:`baseline` gives each, months not split.

    Parameters
    ----------
    monthly : DataFrame
        ``by``, ``date`` (any day of the month) and ``value``: each region's monthly rows,
        as :func:`baseline` takes them for one region (rows of a month summed, absent
        months 0, months before the first sale dropped).
    plan_year : int
    by : str, default "region_id"
        The column naming the region (any key) each row belongs to.
    value : str, default "volume"
    cache : path-like, optional
        A folder keeping the Holt-Winters fits between runs (``fit_annual_many``'s ``cache``):
        the same history fitted again is read from it, the same numbers.
    end : date-like, optional
        Where every key's history ends (any day of its last month); default the last month
        of ``monthly``, any key's: a key whose rows stop earlier sold nothing since.

    Returns
    -------
    DataFrame
        ``by``, annual, method, note — one row per key, in key order: ``annual`` and
        ``method`` equal to ``baseline(rows of the key, plan_year, end=end).annual`` and ``.method``
        to the last bit (``end`` as here, its default included); ``note`` the fallbacks taken ('' when none), which :func:`baseline`
        would warn of (its month-split notes aside). Nothing is warned here: the caller
        says what it uses.

    Raises
    ------
    ParamsError
        A missing column, a value missing or not numeric, or a key whose history reaches
        into the plan year (named).

    Notes
    -----
    The methods of :func:`baseline`, per key; the month shares are not computed. The
    Holt-Winters fits are :func:`~planlib.targets.holtwinters.fit_annual`'s, as in
    :func:`baseline`, all made at once by
    :func:`~planlib.targets.holtwinters_many.fit_annual_many` (the same numbers).
    """
    missing = [c for c in (by, "date", value) if c not in monthly.columns]
    if missing:
        raise ParamsError(f"monthly needs columns {by}, date and {value}; missing {', '.join(missing)}")
    out = {by: [], "annual": [], "method": [], "note": []}
    if monthly.empty:
        return pd.DataFrame(out).astype({"annual": "float64"})
    dates = pd.to_datetime(monthly["date"]).dt.to_period("M").dt.to_timestamp()
    values = pd.to_numeric(monthly[value], errors="coerce").astype("float64")
    if values.isna().any():
        raise ParamsError(f"monthly {value} has missing or non-numeric values; fix them before planning")
    # per key and month, summed as month_series sums one key's rows (pandas' groupby sum, in row order)
    summed = values.groupby([monthly[by].to_numpy(), dates.to_numpy()], sort=True).sum()
    keys = summed.index.get_level_values(0)
    stamp = pd.DatetimeIndex(summed.index.get_level_values(1))
    month = (stamp.year * 12 + stamp.month - 1).to_numpy(dtype="int64")
    vals = summed.to_numpy(dtype="float64")
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    for a, b in zip(starts, ends):  # a key whose rows reach into the plan year is named
        try:
            _horizon(int(month[b - 1]), plan_year)
        except ParamsError as exc:
            raise ParamsError(f"{by} {keys[a]}: {exc}") from None
    stop = int(month.max()) if end is None else max(int(month.max()), _month_index(end))
    horizon = _horizon(stop, plan_year)
    todo = []  # (key, series from its first sale to the end, horizon), in key order; None for an all-zero key
    for a, b in zip(starts, ends):
        key, m = keys[a], month[a:b]
        series = np.zeros(stop - m[0] + 1)  # the months after a key's last row up to the end: 0
        series[m - m[0]] = vals[a:b]
        nonzero = np.flatnonzero(series != 0)
        if not len(nonzero):
            todo.append((key, None, 0))
            continue
        todo.append((key, series[nonzero[0]:], horizon))
    # every Holt-Winters fit at once (each the fit baseline() makes, to the last bit)
    long = [k for k, (_, series, _) in enumerate(todo) if series is not None and len(series) >= 24]
    fits = dict(zip(long, fit_annual_many([todo[k][1] for k in long], [todo[k][2] for k in long],
                                        **({} if cache is None else {"cache": cache}))))
    for k, (key, series, horizon) in enumerate(todo):
        out[by].append(key)
        if series is None:
            out["annual"].append(0.0)
            out["method"].append("zero")
            out["note"].append(f"no {value} history (all zeros or no rows): the {plan_year} baseline is 0")
            continue
        annual, method, notes = _trend_annual(series, horizon, plan_year, value, fits.get(k))
        out["annual"].append(annual)
        out["method"].append(method)
        out["note"].append("; ".join(notes))
    return pd.DataFrame(out)


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


def _festival_shares(monthly: pd.DataFrame, plan_year: int, value: str) -> tuple[pd.Series, str, str | None]:
    """
    Shares (index 1–12), the fallback message ('' when the festival profile was used) and the
    profile fallen back to (None, ``calendar`` or ``even_days``).
    """
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
            return pd.Series(by_month.to_numpy() / by_month.sum(), index=months, name="share"), "", None
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
            return pd.Series(avg.to_numpy() / avg.sum(), index=months, name="share"), msg, "calendar"
    days_in = pd.date_range(f"{plan_year}-01-01", periods=12, freq="MS").days_in_month.to_numpy(dtype="float64")
    msg = f"no complete year of {value} history: the {plan_year} month split is even by days"
    return pd.Series(days_in / days_in.sum(), index=months, name="share"), msg, "even_days"


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
       :func:`planlib.review.seasonal_profile` (``align="spring_festival"``) gives
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
    return _festival_shares_said(monthly, plan_year, value)[0]


def _festival_shares_said(monthly: pd.DataFrame, plan_year: int, value: str) -> tuple[pd.Series, str | None]:
    """:func:`_festival_shares` of checked columns, its fallback warned (at the public function's caller)."""
    missing = [c for c in ("date", value) if c not in monthly.columns]
    if missing:
        raise ParamsError(f"monthly needs columns date and {value}; missing {', '.join(missing)}")
    shares, msg, used = _festival_shares(monthly, plan_year, value)
    if msg:
        warnings.warn(msg, PlanWarning, stacklevel=3)
    return shares, used


#: How each baseline method reads in a report.
BASELINE_METHODS_ZH: dict[str, str] = {
    "holt_winters_damped": "阻尼趋势 Holt-Winters（含季节）",
    "last12_growth": "近 12 个月 × 近期增长",
    "run_rate": "月均 × 12（不足一年历史）",
    "zero": "无历史，基线为 0",
}


def baseline_reading(base: Baseline, history: pd.DataFrame, *, target: float) -> str:
    """One sentence: the baseline's method, past growth, and the stretch the target asks on top of it."""
    method = BASELINE_METHODS_ZH.get(base.method, base.method)
    years = base.history_years
    past = ""
    if len(years) >= 2:
        past = (f"{int(years['year'].iloc[0])}–{int(years['year'].iloc[-1])} 年复合增长 {base.cagr:+z.1%}，"
                f"去年 {years['growth'].iloc[-1]:+z.1%}；")
    share = history["own_share"].iloc[-1]
    share_txt = f"，占去年品类市场 {share:z.1%}" if pd.notna(share) else ""
    stretch = f"，比趋势预测 {target / base.annual - 1:+z.1%}" if base.annual > 0 else ""
    return (f"基线方法：{method}。{past}趋势预测 {base.annual:,.0f}；目标 {target:,.0f}{stretch}{share_txt}。")


def _month_frame(monthly: pd.DataFrame, value: str) -> pd.DataFrame:
    missing = [c for c in ("date", value) if c not in monthly.columns]
    if missing:
        raise ParamsError(f"monthly needs columns date and {value}; missing {', '.join(missing)}")
    frame = monthly[["date", value]].copy()
    frame["date"] = pd.to_datetime(frame["date"]).dt.to_period("M").dt.to_timestamp()
    return frame.groupby("date", as_index=False)[value].sum()


def calendar_month_shares(monthly: pd.DataFrame, plan_year: int, *, value: str = "volume") -> pd.Series:
    """
    The plan year's month shares from the calendar-month profile: each month's share of
    its year, averaged over the complete calendar years of history (even by days without one).

    Parameters and result as :func:`festival_month_shares`; no festival alignment, for a
    business whose seasons follow the calendar (summer drinks, school terms).
    """
    return _calendar_shares(monthly, plan_year, value)[0]


def _calendar_shares(monthly: pd.DataFrame, plan_year: int, value: str) -> tuple[pd.Series, str | None]:
    """:func:`calendar_month_shares` and the profile fallen back to (None, or ``even_days``)."""
    frame = _month_frame(monthly, value)
    months = pd.RangeIndex(1, 13, name="month")
    frame = frame[frame["date"].dt.year < plan_year]
    dates = frame["date"]
    cal = review.seasonal_profile(frame.assign(year=dates.dt.year, month=dates.dt.month), value=value,
                                  align="calendar") if len(frame) else pd.DataFrame(columns=["slot", "share"])
    cal = cal[cal["share"].notna()]
    if not cal.empty:
        avg = cal.groupby("slot")["share"].mean().reindex(range(1, 13), fill_value=0.0).clip(lower=0.0)
        if avg.sum() > 0:
            return pd.Series(avg.to_numpy() / avg.sum(), index=months, name="share"), None
    days_in = pd.date_range(f"{plan_year}-01-01", periods=12, freq="MS").days_in_month.to_numpy(dtype="float64")
    return pd.Series(days_in / days_in.sum(), index=months, name="share"), "even_days"


def seasonality_backtest(monthly: pd.DataFrame, plan_year: int, *, value: str = "volume") -> pd.DataFrame:
    """
    Which month profile predicted last year's months better, from the history before it.

    Returns
    -------
    DataFrame
        seasonality (``calendar``, ``spring_festival``), error — the best first (a tie
        keeps ``spring_festival`` first); empty without a complete last year and a complete
        year before it.

    Notes
    -----
    With a_m last year's month m share of its year and p_m a profile's share for last year
    from the history before it: error = Σ_m |p_m − a_m| / 1 (the weighted MAPE of the
    months, as the months' volumes over the year's).
    """
    frame = _month_frame(monthly, value)
    last = plan_year - 1
    actual = frame[frame["date"].dt.year == last].set_index(frame["date"][frame["date"].dt.year == last].dt.month)[value]
    before = frame[frame["date"].dt.year < last]
    complete_before = before.groupby(before["date"].dt.year)[value].count()
    if len(actual) < 12 or actual.sum() <= 0 or not (complete_before == 12).any():
        return pd.DataFrame({"seasonality": pd.Series([], dtype=object), "error": pd.Series([], dtype=float)})
    a = actual.reindex(range(1, 13), fill_value=0.0).to_numpy(dtype=float)
    a = a / a.sum()
    hist = before.rename(columns={"date": "date"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        prof = {"spring_festival": festival_month_shares(hist, last, value=value).to_numpy(),
                "calendar": calendar_month_shares(hist, last, value=value).to_numpy()}
    out = pd.DataFrame({"seasonality": list(prof), "error": [float(np.abs(p - a).sum()) for p in prof.values()]})
    return out.sort_values("error", kind="stable").reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class SeasonalityChoice:
    """
    The month profile of the plan year and why.

    Attributes
    ----------
    seasonality : str
        ``calendar`` or ``spring_festival``.
    asked : str
        ``split.seasonality`` as written (``auto`` when the back-test chose).
    backtest : DataFrame
        :func:`seasonality_backtest` (empty unless ``auto``).
    shares : Series
        The plan year's month shares (index 1–12, summing to 1).
    used : str, optional
        The profile the shares follow when the history could not give the chosen one:
        ``calendar`` (no complete festival year, :func:`festival_month_shares`' fallback) or
        ``even_days`` (no complete year at all); None when it is ``seasonality``.
    """

    seasonality: str
    asked: str
    backtest: pd.DataFrame
    shares: pd.Series
    used: str | None = None

    @property
    def profile(self) -> str:
        """The profile the plan year's month shares follow: ``used`` when set, else ``seasonality``."""
        return self.used or self.seasonality

    @property
    def reading(self) -> str:
        """One sentence: the profile and, for ``auto``, which won the back-test and by how much."""
        names = {"calendar": "按公历月份的季节曲线", "spring_festival": "按计划年春节日期对齐的季节曲线",
                 "even_days": "按各月天数平均"}
        name = names[self.profile]
        if self.used and self.used != self.seasonality:  # the history could not give the chosen profile
            why = ("档案中没有一个完整的春节年度，春节对齐不可用" if self.used == "calendar"
                   else "档案中没有完整一年的销量，季节曲线不可用")
            return f"月度分解：{name}（{why}）；各月合计恰等于全年目标。"
        # the runner-up by its page name: "春节" alone would name the holiday, not the profile
        if self.asked != "auto":
            return f"月度分解：{name}（按方案参数设定）；各月合计恰等于全年目标。"
        if self.backtest.empty:
            return f"月度分解：{name}（自动选择：历史不足以回测，沿用春节对齐）；各月合计恰等于全年目标。"
        b = self.backtest
        other = (f"，{SEASONALITY_NAMES.get(b['seasonality'].iloc[1], b['seasonality'].iloc[1])}为 {b['error'].iloc[1]:z.1%}"
                 if len(b) > 1 else "")
        return (f"月度分解：{name}（自动选择：用此前历史预测去年各月，误差 {b['error'].iloc[0]:z.1%}{other}）；"
                "各月合计恰等于全年目标。")


_MONTH_NAMES = ("一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月")


def _festival_months(months: pd.DataFrame, now: dt.date, before: dt.date) -> tuple[str, str] | None:
    """Each month around a festival against last year, and the months together; None without last year's sales."""
    touched = sorted({m for d in (now, before) for m in (d.month - 1, d.month) if 1 <= m <= 12})
    month = pd.DatetimeIndex(months["month"]).month
    rows = months[month.isin(touched)]
    target, last = rows["target_volume"].to_numpy(float), rows["last_year_volume"].to_numpy(float)
    if len(rows) != len(touched) or not (last > 0).all():
        return None
    each = "、".join(f"{_MONTH_NAMES[m - 1]} {g:+z.1%}" for m, g in zip(touched, target / last - 1, strict=True))
    together = "、".join(_MONTH_NAMES[m - 1].removesuffix("月") for m in touched) + "月合计"
    return each, f"{together} {target.sum() / last.sum() - 1:+z.1%}"


def festival_shift_reading(months: pd.DataFrame, plan_year: int, profile: str) -> str:
    """
    One sentence on the months around the Spring Festival and Mid-Autumn against last year, when the months follow the festivals.

    Parameters
    ----------
    months : DataFrame
        The region's months (:func:`planlib.targets.region_view`'s ``months``): ``month``,
        ``target_volume``, ``last_year_volume``.
    plan_year : int
        The plan year.
    profile : str
        The profile the month shares follow (:attr:`SeasonalityChoice.profile`).

    Returns
    -------
    str
        Chinese: each festival's date in the plan year and last year, how far the Spring
        Festival's pre-festival season moves, the growth of each month holding or preceding
        either date and of those months together ("2027 年春节在 2 月 6 日，2026 年在 2 月 17 日：
        节前旺季随之提前 11 天，一月比去年 +65.4%、二月 -34.7%，一、二月合计 -3.4%。"); ""
        for another profile, or without last year's sales in those months.

    Notes
    -----
    A festival-aligned split moves volume between the months around a festival as the
    festival moves (the profile follows the lunar year, which holds Mid-Autumn too); each
    month against last year then swings by tens of percent although the months together
    grow as the year does. Growth = target / last year − 1.
    """
    if profile != "spring_festival" or months.empty:
        return ""
    parts = []
    now, before = calendar.spring_festival(plan_year), calendar.spring_festival(plan_year - 1)
    got = _festival_months(months, now, before)
    if got is not None:
        days = (dt.date(plan_year - 1, now.month, now.day) - before).days
        moved = f"提前 {-days} 天" if days < 0 else f"推后 {days} 天" if days > 0 else "不动"
        parts.append(f"{plan_year} 年春节在 {now.month} 月 {now.day} 日，{plan_year - 1} 年在 {before.month} 月 "
                     f"{before.day} 日：节前旺季随之{moved}，{got[0].replace(' ', '比去年 ', 1)}，{got[1]}")
    now, before = calendar.mid_autumn(plan_year), calendar.mid_autumn(plan_year - 1)
    got = _festival_months(months, now, before)
    if got is not None:
        parts.append(f"中秋 {plan_year} 年在 {now.month} 月 {now.day} 日，{plan_year - 1} 年在 {before.month} 月 "
                     f"{before.day} 日，{got[0].replace(' ', '比去年 ', 1)}，{got[1]}")
    return "；".join(parts) + "。" if parts else ""


def plan_month_shares(monthly: pd.DataFrame, plan_year: int, seasonality: str = "spring_festival", *,
                      value: str = "volume") -> SeasonalityChoice:
    """
    The plan year's month shares by ``split.seasonality``.

    Parameters
    ----------
    monthly : DataFrame
        The root's own monthly sales (``date``, ``value``).
    plan_year : int
    seasonality : {"spring_festival", "calendar", "auto"}
        ``auto``: the one with the lower :func:`seasonality_backtest` error
        (``spring_festival`` without a back-test).

    Returns
    -------
    SeasonalityChoice

    Warns
    -----
    PlanWarning
        As :func:`festival_month_shares` (its fallbacks).
    """
    if seasonality not in ("spring_festival", "calendar", "auto"):
        raise ParamsError(f"seasonality must be spring_festival, calendar or auto, got {seasonality!r}")
    bt = seasonality_backtest(monthly, plan_year, value=value) if seasonality == "auto" else \
        pd.DataFrame({"seasonality": pd.Series([], dtype=object), "error": pd.Series([], dtype=float)})
    chosen = seasonality if seasonality != "auto" else (str(bt["seasonality"].iloc[0]) if len(bt) else "spring_festival")
    if chosen == "spring_festival":
        shares, used = _festival_shares_said(monthly, plan_year, value)
    else:
        shares, used = _calendar_shares(monthly, plan_year, value)
    return SeasonalityChoice(chosen, seasonality, bt, shares, used)
