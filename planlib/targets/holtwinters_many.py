"""
Many damped Holt-Winters fits at once: each series gets the fit :func:`~planlib.targets.holtwinters.fit_annual` gives it alone, to the last bit.

A national plan fits one per planned region (about 3,200). Fitted one after the other, most
of the time is Python's: SciPy's L-BFGS-B loop and its finite differences call the objective
one point at a time. Here every series' optimiser runs in lock-step: each keeps its own SciPy
L-BFGS-B state, and between steps the objective and its difference steps of every series
asking for them are evaluated in one pass over arrays (statsmodels' recursion, the same
operations in the same order), so each series takes exactly the steps it takes alone.

Public names
------------
fit_annual_many   fit_annual of many series at once, the same numbers (kept in a cache folder when given one;
                  a batch's series each found there again when fitted alone)
fits_key          the cache key of a batch of fits: its series, horizons and the fitting code's version
squared_errors    statsmodels' objective (Σ e²) of many parameter rows at once, bit for bit
lbfgsb_many       SciPy's L-BFGS-B on many series' objectives in lock-step, each as minimize runs it alone
forecasts         statsmodels' forecast paths of many fitted series at once, bit for bit
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import uuid
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from planlib import __version__
from planlib.targets import holtwinters
from planlib.targets.holtwinters import (
    FD_VERIFIED,
    GRID_TOLERANCE,
    LBFGSB_MAXFUN,
    fit_annual,
    fit_scale,
    forward_steps,
    one_blas_thread,
)

__all__ = ["fit_annual_many", "fits_key", "forecasts", "lbfgsb_many", "squared_errors"]

#: The scan drops a grid point once its partial sum of squared errors exceeds the series' best full score.
GRID_PRUNE_EVERY = 4
#: The scan cuts dropped points out of its arrays once fewer than this share of them is left (before,
#: they are only marked: in the first year's months few are dropped, and a cut copies every array).
GRID_CUT_SHARE = 0.9

_SEASON = 12
_NPARAMS = 6 + _SEASON
_LOWER = np.array([0.0, 0.0, 0.0, -np.inf, -np.inf, 0.8] + [-np.inf] * _SEASON)
_UPPER = np.array([1.0, 1.0, 1.0, np.inf, np.inf, 0.995] + [np.inf] * _SEASON)


def fit_annual_many(series, horizons, *, cache=None) -> list[tuple[float | None, str]]:
    """
    :func:`fit_annual` of many series at once: the same result for each, to the last bit.

    Parameters
    ----------
    series : sequence of ndarray
        Month series as :func:`fit_annual` takes them (each at least 24 months).
    horizons : sequence of int
        Each series' months to the plan year's December (≥ 12).
    cache : path-like, optional
        A folder keeping the results: read from ``holtwinters-<key>.json`` there when it
        holds this batch's results under its key (:func:`fits_key`), else fitted and written
        there (a stale, unreadable or malformed file is fitted again and replaced; a folder
        that cannot be written is not used). A batch of several series also keeps each
        series' result under that series' own key (``hwindex-<key>.json``): one series fitted
        alone later (a report's region) is read from there when a recent batch held it.

    Returns
    -------
    list of (float or None, str)
        ``fit_annual(series[i], horizons[i])`` for each i.

    Notes
    -----
    Each series is fitted as statsmodels fits it (see :func:`fit_annual`): its heuristic
    start (statsmodels' own), the start-value grid (the best point of statsmodels' grid,
    found by one scan over every series and grid point that drops a point once its partial
    sum of squared errors Σ_{t≤i} e_t² exceeds the series' best full score, then scored
    exactly), then SciPy's L-BFGS-B (its own ``setulb``, one state per series, driven as
    ``scipy.optimize.minimize`` drives it, with the same stops) whose objective and
    forward-difference gradient (:func:`forward_gradient`'s steps) are evaluated for every
    series that asks in one pass over arrays (statsmodels' recursion, the same operations
    in the same order; Σ e_t² through the same BLAS dot product), and the forecast as
    statsmodels' ``forecast`` computes it. A series statsmodels cannot set up, or whose grid
    scores overflow, is fitted by :func:`fit_annual` itself; so are all of them with a SciPy
    version outside :data:`FD_VERIFIED`.
    """
    import scipy

    series = [np.asarray(s, dtype="float64") for s in series]
    horizons = [int(h) for h in horizons]
    if len(series) != len(horizons):
        raise ValueError(f"{len(series)} series but {len(horizons)} horizons")
    if cache is not None:
        key = fits_key(series, horizons)
        path = Path(cache) / f"holtwinters-{key}.json"
        kept = _read_fits(path, key, len(series))
        if kept is not None:
            return kept
        if len(series) == 1:  # one series (a report's region): fitted already in a batch of the plan's?
            found = _indexed_fit(Path(cache), key)
            if found is not None:
                return [found]
        fitted = fit_annual_many(series, horizons)
        _write_fits(path, key, fitted)
        if len(series) > 1:
            _write_index(Path(cache), key, [fits_key([s], [h]) for s, h in zip(series, horizons)], fitted)
        return fitted
    out: list = [None] * len(series)
    if scipy.__version__ not in FD_VERIFIED:
        return [fit_annual(s, h) for s, h in zip(series, horizons)]
    recorded, scales = series, [fit_scale(s) for s in series]
    series = [s / c for s, c in zip(recorded, scales)]  # fitted at one level, as fit_annual fits them
    with warnings.catch_warnings(), one_blas_thread():
        warnings.simplefilter("ignore")
        setups = _setups(series)
        for i, setup in enumerate(setups):
            if setup is None:
                out[i] = fit_annual(recorded[i], horizons[i])
        ready = [i for i, s in enumerate(setups) if s is not None]
        starts = _grid_starts([setups[i] for i in ready])
        keep = []
        for i, start in zip(ready, starts):
            if start is None:  # a grid score overflows: statsmodels' own scan of every point
                out[i] = fit_annual(recorded[i], horizons[i])
            else:
                setups[i]["params"][:3] = start
                keep.append(i)
        if not keep:
            return out
        x0 = np.array([_unrestricted_start(setups[i]) for i in keep]).reshape(len(keep), _NPARAMS)
        ys = [setups[i]["y"] for i in keep]
        x, ok = lbfgsb_many(x0, ys)
        params = _restricted(x)
        paths = forecasts(params, ys, [horizons[i] for i in keep])
    for k, i in enumerate(keep):
        if not ok[k]:
            out[i] = (None, "the optimiser did not converge")
            continue
        plan = paths[k][-12:]
        if not np.isfinite(plan).all():
            out[i] = (None, "the forecast is not finite")
        else:
            out[i] = (float(plan.sum()) * scales[i], "")
    return out


def fits_key(series, horizons) -> str:
    """
    The cache key of a batch of fits: sha256 of every series (its length and float64 bytes),
    its horizon, and the fitting code's version (planlib's version, the source of the two
    Holt-Winters modules, numpy's, SciPy's and statsmodels' versions).
    """
    h = hashlib.sha256(_fits_version().encode())
    h.update(len(series).to_bytes(8, "little"))
    for values, horizon in zip(series, horizons):
        a = np.ascontiguousarray(values, dtype="<f8")
        h.update(len(a).to_bytes(8, "little"))
        h.update(a.tobytes())
        h.update(int(horizon).to_bytes(8, "little", signed=True))
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _fits_version() -> str:
    """planlib's version, the fit modules' source and the numeric libraries' versions: what a fit's numbers depend on."""
    import scipy
    import statsmodels

    code = hashlib.sha256()
    for module in (holtwinters.__file__, __file__):
        code.update(Path(module).read_bytes())
    return (f"planlib {__version__}; fit code {code.hexdigest()}; numpy {np.__version__}; "
            f"scipy {scipy.__version__}; statsmodels {statsmodels.__version__}")


def _read_fits(path: Path, key: str, count: int) -> list | None:
    """The results kept at ``path`` under ``key`` (``count`` of them), or None when missing, stale or malformed."""
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        if kept["key"] != key or kept["version"] != _fits_version() or len(kept["fits"]) != count:
            return None
        out = []
        for annual, why in kept["fits"]:
            if not (annual is None or type(annual) is float) or type(why) is not str:
                return None
            out.append((annual, why))
        return out
    except (OSError, ValueError, KeyError, TypeError):  # unreadable or not what was written: fitted again
        return None


def _write_fits(path: Path, key: str, fits: list) -> None:
    """Keep ``fits`` at ``path`` under ``key`` (:func:`_write_json`)."""
    _write_json(path, {"key": key, "version": _fits_version(), "fits": [[a, w] for a, w in fits]})


def _write_json(path: Path, data: dict) -> None:
    """``data`` as JSON at ``path``, written whole, then renamed; a folder that cannot be written is skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(data)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")  # the umask's permissions
        try:
            with open(tmp, "x", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError:
        pass


#: Batch indexes a single series' lookup reads (the newest first): a plan's cache holds one per archive state.
INDEXES_READ = 8


def _write_index(cache: Path, batch: str, keys: list[str], fits: list) -> None:
    """
    Keep each series' fit of a batch under its own key (``hwindex-<batch key>.json``), for one series fitted alone.

    A report fits its own region's series, one of the plan-wide batch's: :func:`fit_annual_many`
    of that one series finds it here by :func:`fits_key` of the series alone, the same result
    (a batch gives each series what it gets alone, to the last bit).
    """
    _write_json(cache / f"hwindex-{batch}.json",
                {"version": _fits_version(), "series": {k: [a, w] for k, (a, w) in zip(keys, fits)}})


def _indexed_fit(cache: Path, key: str) -> tuple[float | None, str] | None:
    """The fit kept under ``key`` in the newest :data:`INDEXES_READ` batch indexes of ``cache``, or None."""
    try:
        indexes = sorted(cache.glob("hwindex-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)[:INDEXES_READ]
    except OSError:
        return None
    for path in indexes:
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
            if kept["version"] != _fits_version() or key not in kept["series"]:
                continue
            annual, why = kept["series"][key]
            if (annual is None or type(annual) is float) and type(why) is str:
                return annual, why
        except (OSError, ValueError, KeyError, TypeError):  # unreadable or not what was written: not used
            continue
    return None


def _setups(series) -> list[dict | None]:
    """
    Per series: its data and start (``params`` as statsmodels' ``_optimize_parameters`` builds it), or None.

    The start is statsmodels' "estimated" initialisation (``_initialization_heuristic``: the
    centred 2×12 moving average, the seasons' mean deviation from it, a line through its
    first 10 values), its moving averages taken for every series of one length at once
    (pandas' rolling mean, column by column as on each series), the rest per series with the
    same operations. None for a series statsmodels would not start (under 24 months, or not finite).
    """
    m = _SEASON
    init_alpha = 0.5 / max(m, 1)
    init_beta = 0.1 * init_alpha
    init_gamma = 0.05 * (1 - init_alpha)
    out: list = [None] * len(series)
    by_len: dict[int, list[int]] = {}
    for k, y in enumerate(series):
        if len(y) >= 2 * m and np.isfinite(y).all():
            by_len.setdefault(len(y), []).append(k)
    exog = np.c_[np.ones(10), np.arange(10) + 1]
    solve = np.linalg.pinv(exog)
    min_obs = 10 + 2 * (m // 2)
    for n, members in by_len.items():
        cycles = max(min(5, n // m), int(np.ceil(min_obs / m)))
        head = np.array([series[k][:m * cycles] for k in members])
        trends = pd.DataFrame(head.T).rolling(m, center=True).mean()
        trends = trends.shift(-1).rolling(2).mean().to_numpy()
        for j, k in enumerate(members):
            trend = trends[:, j]
            detrended = head[j] - trend
            tmp = np.zeros(cycles * m) * np.nan
            tmp[:len(detrended)] = detrended
            seasonal = np.nanmean(tmp.reshape(cycles, m).T, axis=1)
            seasonal -= np.mean(seasonal)
            level_trend = np.atleast_2d(trend[~np.isnan(trend)]).T
            beta = np.squeeze(solve.dot(level_trend[:10]))
            params = np.zeros(6 + m)
            params[:6] = [init_alpha, init_beta, init_gamma, beta[0], beta[1], 0.99]
            params[-m:] = list(seasonal)
            out[k] = {"y": np.ascontiguousarray(series[k], dtype="float64"), "params": params, "alpha": init_alpha}
    return out


def _unrestricted_start(setup: dict) -> np.ndarray:
    """The minimiser's start as statsmodels computes it from the grid's best (bounds enforced, a/b/g transformed)."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    from statsmodels.tsa.holtwinters._smoothers import to_unrestricted

    params = setup["params"]
    sel = np.ones(_NPARAMS, dtype=bool)
    params[sel] = ExponentialSmoothing._enforce_bounds(None, params, sel, _LOWER.copy(), _UPPER.copy())
    params[:3] = to_unrestricted(params, sel, np.array([[0.0, 1.0]] * 3))
    return np.clip(params[sel], _LOWER, _UPPER)


def _restricted(x: np.ndarray) -> np.ndarray:
    """statsmodels' ``to_restricted`` on rows of parameters (alpha, beta, gamma from the unit cube), the same operations."""
    lower = float(np.sqrt(np.finfo(float).eps))
    a = max(lower, 0.0) + x[:, 0] * (min(1 - lower, 1.0) - max(lower, 0.0))
    b = 0.0 + x[:, 1] * (np.minimum(a, 1.0) - 0.0)
    g = 0.0 + x[:, 2] * (np.minimum(1.0 - a, 1.0) - 0.0)
    out = x.copy()
    out[:, 0], out[:, 1], out[:, 2] = a, b, g
    return out


def squared_errors(params: np.ndarray, y: np.ndarray, *, transform: bool) -> np.ndarray:
    """
    statsmodels' Holt-Winters objective (damped additive trend, additive season) of many parameter rows at once.

    Parameters
    ----------
    params : ndarray
        (R, 18): alpha, beta, gamma, level₀, trend₀, phi, season₀ (12) of each row.
    y : ndarray
        (R, n): each row's series (all of one length n).
    transform : bool
        alpha, beta, gamma given in the unit cube (statsmodels' ``transform=True``).

    Returns
    -------
    ndarray
        (R,) Σ_t e_t², bit for bit as ``opt_wrapper(holt_win_add_add_dam)(params, hw_args)``
        with every parameter free (``e`` from the same operations in the same order, Σ e_t²
        through the same BLAS dot product).

    Notes
    -----
    The recursion of :func:`grid_scores`.
    """
    return _sse(_errors(params, y, transform))


def _sse(err: np.ndarray) -> np.ndarray:
    """Σ e² per row as ``err.T @ err`` computes it (numpy's vector-vector matmul: one BLAS ddot per row)."""
    return np.matmul(err[:, None, :], err[:, :, None])[:, 0, 0]


def _errors(params: np.ndarray, y: np.ndarray, transform: bool, each: int = 1) -> np.ndarray:
    """
    The one-step errors (R, n) of ``holt_win_add_add_dam``, operation for operation; row r of
    ``params`` runs on row r // ``each`` of ``y`` (R = len(y) · each).
    """
    p = np.asarray(params, dtype="float64")
    y = np.asarray(y, dtype="float64")
    count, n = y.shape
    m = _SEASON
    yt = np.ascontiguousarray(y.T)[:, :, None]  # (n, S, 1): month i of every series, against its rows

    def col(k):
        return np.ascontiguousarray(p[:, k]).reshape(count, each)

    if transform:
        r = _restricted(p[:, :3])
        alpha, beta, gamma = (np.ascontiguousarray(r[:, k]).reshape(count, each) for k in range(3))
    else:
        alpha, beta, gamma = col(0), col(1), col(2)
    phi = col(5)
    alphac, betac, gammac = 1 - alpha, 1 - beta, 1 - gamma
    betac_phi = betac * phi
    season = [col(6 + k) for k in range(m)]
    lvl, trend = col(3), col(4)
    err = np.empty((n, count, each))
    err[0] = yt[0] - (lvl + phi * trend + season[0])
    for i in range(1, n):
        t = lvl + phi * trend
        new_lvl = (alpha * yt[i - 1]) - (alpha * season[i - 1]) + (alphac * t)
        trend = (beta * (new_lvl - lvl)) + (betac_phi * trend)
        season.append(gamma * yt[i - 1] - (gamma * t) + (gammac * season[i - 1]))
        lvl = new_lvl
        err[i] = yt[i] - (lvl + phi * trend + season[i])
    return np.ascontiguousarray(err.reshape(n, count * each).T)


def _grid_starts(setups: list[dict]) -> list[np.ndarray | None]:
    """
    Each series' best point of statsmodels' start-value grid (the first strictly lowest exact score), or None.

    Per series, :func:`grid_scores`' recursion over every grid point, dropping a point once
    its partial score passes a bound (the lowest full score of every 16th point, plus the
    tolerance the exact rescoring uses): partial sums of squares only grow, so every point
    within the tolerance of the best is kept; those are scored exactly (:func:`squared_errors`)
    and the first strictly lowest in the grid's order is kept, as statsmodels keeps it.
    None where a score overflows (the caller then fits that series as statsmodels does).
    """
    out: list = [None] * len(setups)
    if not setups:
        return out
    sv_sel = np.array([True] * 3 + [False] * (3 + _SEASON))
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    points = ExponentialSmoothing._setup_brute(sv_sel, np.array([[0.0, 1.0]] * 3), setups[0]["alpha"])
    sample = points[::16]
    for k, setup in enumerate(setups):
        y, base = setup["y"], setup["params"]
        yy = float(y @ y)
        bound = float(np.min(_scan(sample, y, base, None)[0], initial=np.inf))
        if not np.isfinite(bound):
            continue
        scores, kept = _scan(points, y, base, bound + GRID_TOLERANCE * (abs(bound) + yy))
        if not len(scores) or not np.isfinite(scores).all():
            continue
        best = float(scores.min())
        near = np.sort(kept[scores <= best + GRID_TOLERANCE * (abs(best) + yy)])
        rows = np.repeat(base[None, :], len(near), axis=0)
        rows[:, :3] = points[near]
        exact = squared_errors(rows, np.repeat(y[None, :], len(near), axis=0), transform=False)
        best_val, best_params = np.inf, points[0]
        for j, val in zip(near, exact):  # grid order: the first strictly lowest, as statsmodels keeps it
            if val < best_val:
                best_params, best_val = points[j], val
        out[k] = best_params
    return out


def _scan(points: np.ndarray, y: np.ndarray, params: np.ndarray, limit: float | None):
    """
    :func:`grid_scores` of one series at ``points`` (alpha, beta, gamma), up to rounding, dropping on
    the way the points whose partial score passes ``limit``; returns (scores, indices into points)
    of the rest.

    The recursion rearranged to fewer operations (u = y − s − t: l' = t + αu, s' = s + γu),
    so a score differs from the exact one by rounding only (far below :data:`GRID_TOLERANCE`).
    """
    n, m, count = len(y), _SEASON, len(points)
    alpha, beta, gamma = (np.ascontiguousarray(points[:, k]) for k in range(3))
    level0, trend0, phi = params[3], params[4], params[5]
    betac_phi = (1 - beta) * phi
    season = np.repeat(np.asarray(params[6:6 + m], dtype="float64")[:, None], count, axis=1)  # s_j in row j mod m
    lvl, trend = np.full(count, level0), np.full(count, trend0)
    t = lvl + phi * trend
    err0 = y[0] - (level0 + phi * trend0 + params[6])
    sse = np.full(count, err0 * err0)
    kept = np.arange(count)
    alive = None  # points dropped but not yet cut out of the arrays (cutting copies every array: done when it pays)
    u, e = np.empty(count), np.empty(count)
    for i in range(1, n):
        s_prev = season[(i - 1) % m]
        np.subtract(y[i - 1] - s_prev, t, out=u)
        new_lvl = t + alpha * u
        np.subtract(new_lvl, lvl, out=e)
        e *= beta
        trend *= betac_phi
        trend += e
        s_prev += gamma * u  # now s_{i+m-1}, in s_{i-1}'s row
        lvl = new_lvl
        np.multiply(trend, phi, out=t)
        t += lvl
        np.add(t, season[i % m], out=e)
        np.subtract(y[i], e, out=e)
        e *= e
        sse += e
        if limit is not None and i % GRID_PRUNE_EVERY == 0 and i < n - 1:
            keep = ~(sse > limit)
            if alive is not None:
                keep &= alive
            left = int(np.count_nonzero(keep))
            if left >= GRID_CUT_SHARE * len(sse):  # few dropped: marked, still computed, left out at the end
                alive = None if left == len(sse) else keep
                continue
            idx = np.flatnonzero(keep)
            alpha, beta, gamma, betac_phi = alpha[idx], beta[idx], gamma[idx], betac_phi[idx]
            season = season[:, idx]
            lvl, trend, t, sse, kept = lvl[idx], trend[idx], t[idx], sse[idx], kept[idx]
            u, e = np.empty(len(idx)), np.empty(len(idx))
            alive = None
    if alive is not None:
        return sse[alive], kept[alive]
    return sse, kept


def lbfgsb_many(x0: np.ndarray, ys: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """
    statsmodels' L-BFGS-B minimisation of each series' objective, all series in lock-step.

    Parameters
    ----------
    x0 : ndarray
        (B, 18) each series' start in the minimiser's space (alpha, beta, gamma in the unit cube).
    ys : list of ndarray
        Each series.

    Returns
    -------
    (ndarray, ndarray)
        (B, 18) the minimiser's result per series and whether it converged (SciPy's
        ``success``), each what ``scipy.optimize.minimize(method="L-BFGS-B")`` returns for
        that series alone with the gradient of :func:`forward_gradient` and maxfun
        ``LBFGSB_MAXFUN // 19``.

    Notes
    -----
    Each series has its own ``setulb`` state (SciPy 1.17's reverse-communication L-BFGS-B:
    m = 10, factr = 2.22e-9 / eps, pgtol = 1e-5, maxls = 20), called as ``_minimize_lbfgsb``
    calls it; between calls, every series asking for f and g at a new point gets them from
    one evaluation of :func:`squared_errors` over all their points and difference steps
    (a point equal to the last one is not evaluated again, as SciPy's ScalarFunction does not,
    and is not counted against maxfun). The iteration and maxfun stops are SciPy's.
    """
    from scipy.optimize import _lbfgsb

    count, n = x0.shape
    maxcor, factr, pgtol, maxls, maxiter = 10, 2.2204460492503131e-09 / np.finfo(float).eps, 1e-5, 20, 15000
    maxfun = LBFGSB_MAXFUN // (n + 1)
    nbd = np.where(np.isfinite(_LOWER), 2, 0).astype(np.int32)
    low = np.where(np.isfinite(_LOWER), _LOWER, 0.0)
    up = np.where(np.isfinite(_UPPER), _UPPER, 0.0)
    x = [np.array(np.clip(row, _LOWER, _UPPER), dtype=np.float64) for row in x0]
    # ScalarFunction: f and g at the start, counted once
    f0, g0 = _value_and_gradient(np.array(x), ys, np.arange(count))
    last_x = np.array(x).reshape(count, n)
    last_f, last_g = list(f0), list(g0)
    nfev = np.ones(count, dtype=np.int64)
    f: list = [np.array(0.0, dtype=np.float64) for _ in range(count)]
    g = [np.zeros(n, dtype=np.float64) for _ in range(count)]
    wa = [np.zeros(2 * maxcor * n + 5 * n + 11 * maxcor * maxcor + 8 * maxcor, np.float64) for _ in range(count)]
    iwa = [np.zeros(3 * n, np.int32) for _ in range(count)]
    task = [np.zeros(2, np.int32) for _ in range(count)]
    ln_task = [np.zeros(2, np.int32) for _ in range(count)]
    lsave = [np.zeros(4, np.int32) for _ in range(count)]
    isave = [np.zeros(44, np.int32) for _ in range(count)]
    dsave = [np.zeros(29, np.float64) for _ in range(count)]
    iterations = np.zeros(count, dtype=np.int64)
    active = list(range(count))
    while active:
        asking, still = [], []
        for b in active:
            g[b] = g[b].astype(np.float64)
            _lbfgsb.setulb(maxcor, x[b], low, up, nbd, f[b], g[b], factr, pgtol, wa[b], iwa[b], task[b],
                           lsave[b], isave[b], dsave[b], maxls, ln_task[b])
            state = task[b][0]
            if state == 3:
                asking.append(b)
                still.append(b)
            elif state == 1:
                iterations[b] += 1
                if iterations[b] >= maxiter:
                    task[b][0], task[b][1] = 5, 504
                elif nfev[b] > maxfun:
                    task[b][0], task[b][1] = 5, 502
                still.append(b)
        if asking:  # a point equal to the last one is not evaluated again (array_equal, as ScalarFunction)
            points = np.array([x[b] for b in asking]).reshape(len(asking), n)
            same = (points == last_x[asking]).all(axis=1)
            for k in np.flatnonzero(same):
                b = asking[k]
                f[b], g[b] = last_f[b], last_g[b]
            asking = [b for b, s in zip(asking, same) if not s]
        if asking:
            fs, gs = _value_and_gradient(np.array([x[b] for b in asking]), ys, np.array(asking))
            for b, fb, gb in zip(asking, fs, gs):
                last_x[b] = x[b]
                last_f[b], last_g[b] = fb, gb
                f[b], g[b] = fb, gb
                nfev[b] += 1
        active = still
    ok = np.array([task[b][0] == 4 for b in range(count)], dtype=bool)
    return np.array(x).reshape(count, n), ok


def _value_and_gradient(x: np.ndarray, ys: list[np.ndarray], which: np.ndarray):
    """f and :func:`forward_gradient`'s g at each row of x (series ``ys[which[k]]``), evaluated in one pass per length."""
    count, n = x.shape
    h = forward_steps(x, _LOWER, _UPPER)
    stepped = x + h
    rows = np.repeat(x[:, None, :], n + 1, axis=1)  # (count, n + 1, n): the point, then one step per parameter
    k = np.arange(n)
    rows[:, 1 + k, k] = stepped
    rows = rows.reshape(count * (n + 1), n)
    values = np.empty(count * (n + 1))
    lengths = np.array([len(ys[w]) for w in which])
    for length in np.unique(lengths):
        mine = np.flatnonzero(lengths == length)
        sel = (mine[:, None] * (n + 1) + np.arange(n + 1)[None, :]).ravel()
        y = np.array([ys[w] for w in which[mine]])
        values[sel] = _sse(_errors(rows[sel], y, True, each=n + 1))
    values = values.reshape(count, n + 1)
    f0 = values[:, 0]
    g = (values[:, 1:] - f0[:, None]) / (stepped - x)
    return [np.float64(v) for v in f0], [row.copy() for row in g]


def forecasts(params: np.ndarray, ys: list[np.ndarray], horizons: list[int]) -> list[np.ndarray]:
    """
    What statsmodels' ``fit(...).forecast(horizon)`` returns for fitted parameters, many series at once.

    Parameters
    ----------
    params : ndarray
        (B, 18) the fitted alpha, beta, gamma, level₀, trend₀, phi, season₀ (12).
    ys : list of ndarray
    horizons : list of int

    Returns
    -------
    list of ndarray
        Each series' forecast path, bit for bit as statsmodels computes it.

    Notes
    -----
    ``fit`` runs ``_predict(h=0)``, whose parameters report the initial trend as
    (b₀ φ) / φ; ``forecast`` runs ``_predict(h)`` from those: l_i = αy_{i−1} − αs_{i−1} +
    (1 − α)(l_{i−1} + b_{i−1}φ), b_i = β(l_i − l_{i−1}) + (1 − β)(b_{i−1}φ),
    s_{i+m−1} = γy_{i−1} − γ(l_{i−1} + b_{i−1}φ) + (1 − γ)s_{i−1}; then
    ŷ_{n+k} = l_n + b_n Σ_{j≤k} φʲ + s_{n−1+(k mod m)}... as its arrays hold them.
    """
    out: list = [None] * len(ys)
    groups: dict[tuple[int, int], list[int]] = {}
    for k, (y, h) in enumerate(zip(ys, horizons)):
        groups.setdefault((len(y), int(h)), []).append(k)
    m = _SEASON
    for (nobs, h), members in groups.items():
        p = params[members]
        y = np.array([ys[k] for k in members])
        alpha, beta, gamma, phi = p[:, 0], p[:, 1], p[:, 2], p[:, 5]
        trend0 = p[:, 4] * phi
        trend0 = np.where(phi > 0, trend0 / phi, 0.0)
        count = len(members)
        y_alpha = alpha[:, None] * y
        y_gamma = gamma[:, None] * y
        alphac, betac, gammac = 1 - alpha, 1 - beta, 1 - gamma
        lvls = np.zeros((nobs + h + 1, count))
        b = np.zeros((nobs + h + 1, count))
        s = np.zeros((nobs + h + m + 1, count))
        lvls[0], b[0] = p[:, 3], trend0
        s[:m] = p[:, 6:].T
        phi_h = np.cumsum(np.repeat(phi[:, None], h + 1, axis=1) ** np.tile(np.arange(1, h + 2), (count, 1)),
                          axis=1)
        for i in range(1, nobs + 1):
            damped = lvls[i - 1] + b[i - 1] * phi
            lvls[i] = y_alpha[:, i - 1] - (alpha * s[i - 1]) + (alphac * damped)
            b[i] = (beta * (lvls[i] - lvls[i - 1])) + (betac * (b[i - 1] * phi))
            s[i + m - 1] = y_gamma[:, i - 1] - (gamma * damped) + (gammac * s[i - 1])
        lvls[nobs:] = lvls[nobs]
        b[:nobs] = b[:nobs] * phi
        b[nobs:] = b[nobs] * phi_h.T
        trend = lvls + b
        s[nobs + m - 1:] = np.array([s[(nobs - 1) + j % m] for j in range(h + 1 + 1)])
        fitted = (trend + s[:-m]).T
        for k, row in zip(members, fitted):
            out[k] = row[nobs:nobs + h].copy()
    return out
