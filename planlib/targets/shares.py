"""
Shares: each child's share of its parent, by the methods the field names.

Public functions
----------------
shares_for                  child shares by a named method (``SPLIT_METHODS``) or a ``blend``
SPLIT_METHODS               the share methods by name
proportion_averages_core    proportion_averages on a children x months array
average_proportions_core    average_proportions on a children x months array
forecast_proportions_core   forecast_proportions on a children x months array
child_forecasts             each child's own trend forecast of the next 12 months (and whether usable)
split_backtest              the share methods back-tested on last year (weighted MAPE per method)
best_split_method           the back-test's winner (``split.method: auto``)
checked_shares              shares as a float Series, checked (no NaN, negative or duplicate child)
checked_history             a tidy child, month, value history, checked
window_months               the history months a split uses
unknown_split_method        the error for a method name that is not known

The array cores are what :func:`planlib.targets.split.split_down` and
:func:`planlib.targets.allocate.allocate_plan` run per parent, without pandas per parent.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from planlib.errors import DataError, ParamsError, PlanWarning, SplitError
from planlib.rounding import check_amounts, child_labels

__all__ = ["SPLIT_METHODS", "shares_for", "split_backtest", "best_split_method", "child_forecasts",
           "BACKTEST_METHODS", "FORECAST_GROWTH_CLIP"]

DEFAULT_WINDOW_MONTHS = 24  # the seed's minimum: two years of history

#: A child whose first sale in the history window comes after at least this many months
#: without any opened during the window (a region added last year): its share is taken
#: over the months since (see :func:`shares_for`).
NEW_CHILD_MONTHS = 3

#: Growth clip of a child's own forecast in ``forecast_proportions`` (the baseline's
#: ``last12_growth`` rule, :data:`planlib.targets.baseline.GROWTH_CLIP`).
FORECAST_GROWTH_CLIP = 0.30

#: The share methods ``split.method: auto`` back-tests, in order of preference on a tie.
BACKTEST_METHODS = ("forecast_proportions", "proportion_averages", "average_proportions")


def checked_shares(shares, what: str = "share") -> pd.Series:
    """
    Shares (or other per-child amounts) as a float Series, checked.

    Raises
    ------
    SplitError
        A child named twice, or an amount that is NaN, infinite or negative (the
        children are named; ``what`` names the amounts in the message).
    """
    s = shares if isinstance(shares, pd.Series) else pd.Series(shares)
    s = pd.Series(s.to_numpy(dtype=float, na_value=np.nan), index=s.index)
    if s.index.has_duplicates:
        raise SplitError(f"{what}s name a child more than once: {child_labels(s.index[s.index.duplicated()].unique())}")
    check_amounts(s.to_numpy(), s.index, what)
    return s


def checked_history(history: pd.DataFrame, child_col: str = "child") -> pd.DataFrame:
    """
    A tidy history as ``child, month, value`` (months as datetimes, values as floats).

    Raises
    ------
    DataError
        A column (``child_col``, month, value) is missing.
    SplitError
        A value is NaN, infinite or negative (the children are named).
    """
    missing = [c for c in (child_col, "month", "value") if c not in history.columns]
    if missing:
        raise DataError(f"history needs columns {child_col}, month, value; missing {', '.join(missing)}")
    value = history["value"].to_numpy(dtype=float, na_value=np.nan)
    children = history[child_col].to_numpy(dtype=object)
    bad = ~np.isfinite(value) | (value < 0)
    if bad.any():
        raise SplitError(
            f"history values missing (NaN), infinite or negative for {child_labels(pd.unique(children[bad]))}: "
            "fix or drop those rows before splitting"
        )
    return pd.DataFrame(
        {"child": children, "month": pd.to_datetime(history["month"]).to_numpy(), "value": value}
    )


def window_months(months, window) -> pd.DatetimeIndex:
    """
    The months a split uses among those present: the last ``window`` of them (default
    :data:`DEFAULT_WINDOW_MONTHS`), or those between a ``(start, end)`` pair inclusive.

    Raises
    ------
    ParamsError
        A window below one month, or one that is neither a number nor a pair.
    """
    present = pd.DatetimeIndex(pd.unique(np.asarray(months))).sort_values()
    if window is None:
        window = DEFAULT_WINDOW_MONTHS
    if isinstance(window, (int, np.integer)) and not isinstance(window, bool):
        if window < 1:
            raise ParamsError(f"window must be at least 1 month, got {window}")
        return present[-int(window):]
    if isinstance(window, tuple) and len(window) == 2:
        start, end = pd.Timestamp(window[0]), pd.Timestamp(window[1])
        return present[(present >= start) & (present <= end)]
    raise ParamsError(f"window must be a number of months or a (start, end) pair, got {window!r}")


def _sorted_unique(values) -> list:
    uniq = list(pd.unique(np.asarray(values, dtype=object)))
    try:
        return sorted(uniq)
    except TypeError:
        return uniq


def _child_month_matrix(history, window, children) -> pd.DataFrame:
    """Children x window months of summed values (zeros where a child has no row)."""
    h = checked_history(history)
    months = window_months(h["month"], window)
    kids = _sorted_unique(h["child"]) if children is None else list(children)
    h = h[h["month"].isin(months)]
    wide = h.groupby(["child", "month"])["value"].sum().unstack("month")
    return wide.reindex(index=pd.Index(kids, dtype=object), columns=months).fillna(0.0)


def _pa_plain(y: np.ndarray) -> np.ndarray:
    parent_total = float(y.sum())
    return y.sum(axis=1) / parent_total if parent_total > 0 else np.zeros(len(y))


def _ap_plain(y: np.ndarray) -> np.ndarray:
    parent = y.sum(axis=0)
    used = parent > 0
    if not used.any():
        return np.zeros(len(y))
    return (y[:, used] / parent[used]).mean(axis=1)


def _opened(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """
    The children that opened during the window: first sale after at least
    :data:`NEW_CHILD_MONTHS` months without any, and (where the window shows it) selling
    a year later in most of those calendar months, so a seasonal child is not one; their
    indices and first months.
    """
    if y.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    n = y.shape[1]
    has = y > 0
    first = np.where(has.any(axis=1), has.argmax(axis=1), 0)
    new = []
    for i in np.flatnonzero(first >= NEW_CHILD_MONTHS):
        # a seasonal child is quiet in the same months every year: opened only if it sold in
        # most of its quiet months' calendar months a year later (or it is too new to tell)
        later = np.arange(first[i]) + 12
        later = later[(later < n) & (later >= first[i])]
        if not len(later) or (y[i, later] > 0).mean() >= 0.5:
            new.append(i)
    new = np.asarray(new, dtype=np.int64)
    return new, first[new]


def _with_opened(y: np.ndarray, plain, method: str, labels, months) -> np.ndarray:
    """
    Shares by ``plain`` (a children x months core), a child opened during the window
    taking its share of the parent over the months since it opened (PlanWarning).
    """
    new, first = _opened(y)
    if not len(new):
        return plain(y)
    parent = y.sum(axis=0)
    p_new = np.zeros(len(new))
    for j, (i, s) in enumerate(zip(new, first)):
        if method == "proportion_averages":
            den = float(parent[s:].sum())
            p_new[j] = float(y[i, s:].sum()) / den if den > 0 else 0.0
        else:
            used = parent[s:] > 0
            p_new[j] = float((y[i, s:][used] / parent[s:][used]).mean()) if used.any() else 0.0
    est = np.setdiff1d(np.arange(len(y)), new)
    base = plain(y[est]) if len(est) else np.zeros(0)
    out = np.zeros(len(y))
    taken = float(p_new.sum())
    if taken < 1.0 and base.sum() > 0:
        out[new] = p_new
        out[est] = base * (1.0 - taken)
    else:  # openings and closings overlapping: each child's share over its own months, rescaled
        out[new] = p_new
        out[est] = plain(y)[est]
        total = float(out.sum())
        out = out / total if total > 0 else out
    named = [f"{labels[i] if labels is not None else i} ({months[s]:%Y-%m})" if months is not None
             else str(labels[i] if labels is not None else i) for i, s in zip(new, first)]
    warnings.warn(
        f"{len(new)} of the children opened during the history window, first sales: {child_labels(named)}: "
        f"each takes its {method} share of the months since it opened, the others share the rest",
        PlanWarning, stacklevel=2,
    )
    return out


def proportion_averages_core(y: np.ndarray, labels=None, months=None) -> np.ndarray:
    """
    ``proportion_averages`` shares on a children x months array (:func:`shares_for`'s Notes).

    Parameters
    ----------
    y : ndarray
        Children x months history of one parent (non-negative).
    labels, months : sequence, optional
        Child labels and months, to name children opened in the window in the warning.

    Returns
    -------
    ndarray
        One share per child, summing to 1, or all zero with no history.
    """
    return _with_opened(y, _pa_plain, "proportion_averages", labels, months)


def average_proportions_core(y: np.ndarray, labels=None, months=None) -> np.ndarray:
    """
    ``average_proportions`` shares on a children x months array (:func:`shares_for`'s
    Notes): months with a zero parent are skipped. Arguments and result as
    :func:`proportion_averages_core`.
    """
    return _with_opened(y, _ap_plain, "average_proportions", labels, months)


def child_forecasts(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """
    Each child's own trend forecast of the next 12 months from a children x months array.

    Parameters
    ----------
    y : ndarray
        Children x months history (non-negative), the last column the latest month.

    Returns
    -------
    (ndarray, ndarray)
        The forecasts f_i and whether each is usable (a child with a year-earlier base).

    Notes
    -----
    The baseline's ``last12_growth`` rule per child: f_i = L_i (1 + g_i), L_i the last 12
    months' total, g_i = Σ last m months / Σ the same m months a year earlier − 1 with
    m = min(n − 12, 12), clipped to ±:data:`FORECAST_GROWTH_CLIP`. A child without a
    positive year-earlier base (fewer than 13 months, or opened within the last year) has
    no usable forecast (f_i = L_i, ``usable`` False).
    """
    y = np.asarray(y, dtype=float)
    n_kids, n = y.shape if y.ndim == 2 else (0, 0)
    last12 = y[:, -12:].sum(axis=1) if n else np.zeros(n_kids)
    m = min(n - 12, 12)
    if m < 1:
        return last12, np.zeros(n_kids, dtype=bool)
    recent = y[:, n - m:].sum(axis=1)
    before = y[:, n - 12 - m: n - 12].sum(axis=1)
    usable = before > 0
    g = np.clip(np.divide(recent, before, out=np.ones(n_kids), where=usable) - 1.0,
                -FORECAST_GROWTH_CLIP, FORECAST_GROWTH_CLIP)
    return last12 * (1.0 + np.where(usable, g, 0.0)), usable


def forecast_proportions_core(y: np.ndarray, labels=None, months=None) -> np.ndarray:
    """
    ``forecast_proportions`` shares on a children x months array (:func:`shares_for`'s Notes):
    each child's own forecast over the sum of its siblings' (:func:`child_forecasts`); a child
    without a usable forecast keeps its last-12-months share and the others share the rest.
    Arguments and result as :func:`proportion_averages_core`.
    """
    y = np.asarray(y, dtype=float)
    if y.size == 0:
        return np.zeros(len(y))
    f, usable = child_forecasts(y)
    last12 = y[:, -12:].sum(axis=1)
    total_ly = float(last12.sum())
    if total_ly <= 0:
        return np.zeros(len(y))
    out = np.zeros(len(y))
    out[~usable] = last12[~usable] / total_ly
    rest = 1.0 - float(out.sum())
    f_sum = float(f[usable].sum())
    if f_sum > 0:
        out[usable] = rest * f[usable] / f_sum
    else:  # no usable forecast with volume: last year's shares
        out = last12 / total_ly
    return out


def _proportion_averages(history, *, window=None, children=None, potential=None) -> pd.Series:
    y = _child_month_matrix(history, window, children)
    return pd.Series(proportion_averages_core(y.to_numpy(), y.index, y.columns), index=y.index, name="share")


def _average_proportions(history, *, window=None, children=None, potential=None) -> pd.Series:
    y = _child_month_matrix(history, window, children)
    return pd.Series(average_proportions_core(y.to_numpy(), y.index, y.columns), index=y.index, name="share")


def _forecast_proportions(history, *, window=None, children=None, potential=None) -> pd.Series:
    y = _child_month_matrix(history, window, children)
    return pd.Series(forecast_proportions_core(y.to_numpy()), index=y.index, name="share")


def _potential(history=None, *, window=None, children=None, potential=None) -> pd.Series:
    if potential is None:
        raise ParamsError("method 'potential' needs a potential Series (capacity or headroom per child)")
    p = potential if isinstance(potential, pd.Series) else pd.Series(potential)
    if children is not None:
        p = p.reindex(pd.Index(list(children), dtype=object))
    p = checked_shares(p, "potential")
    total = float(p.sum())
    return (p / total if total > 0 else p * 0.0).rename("share")


def _equal(history=None, *, window=None, children=None, potential=None) -> pd.Series:
    if children is None:
        if history is None:
            raise ParamsError("method 'equal' needs the children (or a history naming them)")
        children = _sorted_unique(checked_history(history)["child"])
    kids = pd.Index(list(children), dtype=object)
    return pd.Series(1.0 / len(kids) if len(kids) else 0.0, index=kids, name="share")


SPLIT_METHODS: dict[str, Callable[..., pd.Series]] = {
    "proportion_averages": _proportion_averages,
    "average_proportions": _average_proportions,
    "forecast_proportions": _forecast_proportions,
    "potential": _potential,
    "equal": _equal,
}
"""Share methods by the names the field uses; :func:`shares_for` also accepts ``"blend"``."""


def unknown_split_method(name) -> ParamsError:
    """The error for an unknown split method name, listing the valid ones (``blend`` included)."""
    valid = ", ".join([*SPLIT_METHODS, "blend"])
    return ParamsError(f"unknown split method {name!r}; valid methods: {valid}")


def shares_for(method: str, history=None, *, potential=None, weights=None, window=None, children=None) -> pd.Series:
    """
    Each child's share of its parent by a named method.

    Parameters
    ----------
    method : str
        ``proportion_averages``, ``average_proportions``, ``forecast_proportions``,
        ``potential``, ``equal`` (the keys of ``SPLIT_METHODS``) or ``blend``.
    history : DataFrame, optional
        Tidy history of the children: columns ``child``, ``month`` (Timestamp),
        ``value`` (non-negative; several rows per child and month are summed). The
        parent is the sum of its children. Not needed for ``potential``.
    potential : Series, optional
        Non-negative capacity or headroom per child (method ``potential``).
    weights : dict, optional
        For ``blend``: method name -> non-negative weight; normalised to sum to 1.
    window : int or (start, end), optional
        The history months used: the last ``window`` months present in ``history``
        (default 24), or the months present between two dates inclusive.
    children : sequence, optional
        The children to return, in this order; default the children in ``history``
        (sorted) or in ``potential``. History rows of other children are ignored.

    Returns
    -------
    Series
        Shares named ``share``, indexed by child, summing to 1 -- or all zero when the
        method has no basis (a parent with no history in the window).

    Raises
    ------
    ParamsError
        An unknown method or blend component (the valid names are listed), a missing
        ``potential`` or ``weights``, or weights that are negative or all zero.
    SplitError
        NaN or negative history values or potentials (the children are named).

    Notes
    -----
    With y_{i,t} the history of child i in month t of the window W and
    Y_t = sum_i y_{i,t} the parent's history:

    - ``proportion_averages``: p_i = sum_{t in W} y_{i,t} / sum_{t in W} Y_t
    - ``average_proportions``: p_i = mean over {t in W : Y_t > 0} of y_{i,t} / Y_t;
      months with a zero parent are skipped.
    - ``forecast_proportions``: p_i = f_i / sum_j f_j, f_i the child's own trend forecast of
      the next 12 months (:func:`child_forecasts`: last 12 months x (1 + its own growth,
      clipped to ±30%)); a child without a usable forecast (no sales a year earlier) keeps
      its last-12-months share and the others share the rest by their forecasts. The
      top-down method of hierarchicalforecast's ``TopDown(method="forecast_proportions")``
      (Athanasopoulos et al., 2009), each child's forecast here from its own history.
    - ``potential``: p_i = pot_i / sum_j pot_j
    - ``equal``: p_i = 1 / n
    - ``blend``: p_i = sum_m w_m p_i^(m) / sum_m w_m; a component with no basis (all
      zero) contributes nothing and the others carry the weight.

    The two proportion methods are the definitions of Nixtla hierarchicalforecast's
    ``TopDown(method="proportion_averages" | "average_proportions")``
    (``hierarchicalforecast/methods.py``; Gross & Sohl, 1990).

    A child with no history in the window gets share 0; only when the whole parent has
    no history are all shares zero, and :func:`split_target` then splits evenly with
    a :class:`PlanWarning`. A child with no history that should still get a number
    needs ``potential``, ``equal`` or a ``blend``.

    A child opened during the window (a region added last year: its first sale after
    :data:`NEW_CHILD_MONTHS` or more months without any) would be measured against
    months it did not trade in. Its share is taken over the months since its first
    sale s_i instead — p_i = Σ_{t≥s_i} y_{i,t} / Σ_{t≥s_i} Y_t, or the mean of
    y_{i,t} / Y_t over those months — and the other children share 1 − Σ p_new by the
    method among themselves, with a PlanWarning naming the opened children.

    Examples
    --------
    >>> h = pd.DataFrame({"child": ["A", "A", "B", "B"],
    ...                   "month": pd.to_datetime(["2025-01-01", "2025-02-01"] * 2),
    ...                   "value": [50.0, 50.0, 50.0, 150.0]})
    >>> shares_for("proportion_averages", h).round(4).tolist()
    [0.3333, 0.6667]
    >>> shares_for("average_proportions", h).round(4).tolist()
    [0.375, 0.625]
    """
    if method == "blend":
        if not weights:
            raise ParamsError("method 'blend' needs weights: a dict of method name -> weight")
        unknown = [m for m in weights if m not in SPLIT_METHODS]
        if unknown:
            raise ParamsError(
                f"unknown blend component(s) {', '.join(map(repr, unknown))}; valid: {', '.join(SPLIT_METHODS)}"
            )
        w = {m: float(v) for m, v in weights.items()}
        bad = [m for m, v in w.items() if not math.isfinite(v) or v < 0]
        if bad:
            raise ParamsError(f"blend weights must be non-negative numbers; check {', '.join(bad)}")
        w_total = sum(w.values())
        if w_total <= 0:
            raise ParamsError("blend weights are all zero: give at least one method a positive weight")
        if children is None:
            kids: list = []
            if history is not None and any(m in w for m in ("proportion_averages", "average_proportions",
                                                            "forecast_proportions", "equal")):
                kids += _sorted_unique(checked_history(history)["child"])
            if potential is not None and "potential" in w:
                kids += [k for k in pd.Series(potential).index if k not in set(kids)]
            children = kids
        out = pd.Series(0.0, index=pd.Index(list(children), dtype=object), name="share")
        for m, wm in w.items():
            if wm > 0:
                part = SPLIT_METHODS[m](history, window=window, children=children, potential=potential)
                out = out + (wm / w_total) * part.to_numpy()
        total = float(out.sum())
        return (out / total if total > 0 else out).rename("share")
    if method not in SPLIT_METHODS:
        raise unknown_split_method(method)
    if method in ("proportion_averages", "average_proportions", "forecast_proportions") and history is None:
        raise ParamsError(f"method {method!r} needs a history frame (child, month, value)")
    return SPLIT_METHODS[method](history, window=window, children=children, potential=potential)


def split_backtest(history: pd.DataFrame, parents: Mapping, plan_year: int, *, window: int = 24,
                   methods=BACKTEST_METHODS) -> pd.DataFrame:
    """
    Back-test the share methods on last year: split each parent's actual last-year total
    with shares from the history before it, and measure the error against its children.

    Parameters
    ----------
    history : DataFrame
        ``child, month, value``: monthly history of every child to test, through the year
        before ``plan_year`` (last year) and at least a year before it.
    parents : mapping
        Child -> parent: the families to split (a parent with one child is skipped).
    plan_year : int
        Last year (``plan_year - 1``) is the test year; the shares use the ``window``
        months before it.
    window : int, default 24
        History months behind the shares (``split.history_years`` × 12).
    methods : sequence of str, default :data:`BACKTEST_METHODS`

    Returns
    -------
    DataFrame
        method, wmape, children, parents — one row per method, the best first (a tie
        keeps the order of ``methods``); empty when no parent has both a test year and
        history before it.

    Notes
    -----
    For each parent P with children c: T_P = Σ_c A_c (the children's actual last year),
    p_c = the method's shares from the ``window`` months before last year, and
    wmape = Σ |p_c T_P − A_c| / Σ A_c over every child of every parent (each level's
    children add up to the same root total, so every level counts alike).
    """
    h = checked_history(history)
    test_start, test_end = pd.Timestamp(plan_year - 1, 1, 1), pd.Timestamp(plan_year, 1, 1)
    train_months = pd.date_range(test_start - pd.DateOffset(months=int(window)), periods=int(window), freq="MS")
    wide = h.groupby(["child", "month"])["value"].sum().unstack("month", fill_value=0.0)
    train = wide.reindex(columns=train_months, fill_value=0.0)
    test_cols = [c for c in wide.columns if test_start <= c < test_end]
    actual = wide[test_cols].sum(axis=1) if test_cols else pd.Series(0.0, index=wide.index)
    families: dict = {}
    for child, parent in parents.items():
        families.setdefault(parent, []).append(child)
    err = dict.fromkeys(methods, 0.0)
    denom, n_children, n_parents = 0.0, 0, 0
    cores = {"proportion_averages": proportion_averages_core, "average_proportions": average_proportions_core,
             "forecast_proportions": forecast_proportions_core}
    # every child's row as arrays, a last row of zeros for a child without history (taken per family by position)
    row_of = {c: i for i, c in enumerate(wide.index)}
    actual_rows = np.append(actual.to_numpy(dtype=float, na_value=np.nan), 0.0)
    train_rows = np.vstack([train.to_numpy(dtype=float, na_value=np.nan), np.zeros((1, len(train_months)))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)  # openings in the past window: the shares say so at plan time
        for kids in families.values():
            if len(kids) < 2:
                continue
            at = np.array([row_of.get(k, -1) for k in kids], dtype=np.int64)
            a = np.nan_to_num(actual_rows[at], nan=0.0, posinf=np.inf, neginf=-np.inf)
            y = np.nan_to_num(train_rows[at], nan=0.0, posinf=np.inf, neginf=-np.inf)
            if a.sum() <= 0 or y[:, -12:].sum() <= 0:
                continue
            for m in methods:
                p = cores[m](y) if m in cores else SPLIT_METHODS[m](
                    pd.DataFrame({"child": np.repeat(np.asarray(kids, dtype=object), len(train_months)),
                                  "month": np.tile(train_months.to_numpy(), len(kids)), "value": y.ravel()}),
                    children=kids).to_numpy()
                p = p / p.sum() if p.sum() > 0 else np.full(len(kids), 1.0 / len(kids))
                err[m] += float(np.abs(p * a.sum() - a).sum())
            denom += float(a.sum())
            n_children += len(kids)
            n_parents += 1
    if denom <= 0:
        return pd.DataFrame({"method": pd.Series([], dtype=object), "wmape": pd.Series([], dtype=float),
                             "children": pd.Series([], dtype="int64"), "parents": pd.Series([], dtype="int64")})
    out = pd.DataFrame({"method": list(methods), "wmape": [err[m] / denom for m in methods],
                        "children": n_children, "parents": n_parents})
    return out.sort_values("wmape", kind="stable").reset_index(drop=True)


def best_split_method(backtest: pd.DataFrame, default: str = "forecast_proportions") -> str:
    """The back-test's winner (its first row), or ``default`` when nothing could be tested."""
    return str(backtest["method"].iloc[0]) if len(backtest) else default
