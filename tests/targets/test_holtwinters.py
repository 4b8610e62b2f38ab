"""Targets: the damped Holt-Winters fit gives statsmodels' own numbers, to the last bit, in less time."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy
from scipy.optimize import minimize
from scipy.optimize._numdiff import approx_derivative
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.holtwinters.model import SMOOTHERS

from planlib.targets import holtwinters

verified = pytest.mark.skipif(scipy.__version__ not in holtwinters.FD_VERIFIED,
                              reason=f"forward_gradient is used with SciPy {holtwinters.FD_VERIFIED} only")


def _series(seed: int, count: int) -> list[tuple[np.ndarray, int]]:
    """Monthly series of many shapes (trend and season, small counts, flat, pure season, decline, spikes)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        n = int(rng.choice([24, 25, 30, 36, 48, 60]))
        t = np.arange(n)
        kind = k % 6
        if kind == 0:
            y = 1000 + 5 * t + 200 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 50, n)
        elif kind == 1:
            y = rng.poisson(3, n).astype(float)
        elif kind == 2:
            y = np.full(n, 100.0)
        elif kind == 3:
            y = np.tile(rng.uniform(50, 150, 12), n // 12 + 1)[:n]
        elif kind == 4:
            y = np.maximum(0, 500 - 10 * t + rng.normal(0, 80, n))
        else:
            y = rng.lognormal(6, 1, n)
        y = np.round(y, int(rng.choice([0, 1, 2])))
        y[0] = max(y[0], 1.0)
        out.append((y, int(rng.choice([12, 13, 18]))))
    return out


def _stock(y: np.ndarray, horizon: int):
    """statsmodels as the baseline used it before: (annual or None, fitted params)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ExponentialSmoothing(y, trend="add", damped_trend=True, seasonal="add", seasonal_periods=12,
                                     initialization_method="estimated")
        res = model.fit()
        path = np.asarray(res.forecast(horizon), dtype="float64")
    if any(issubclass(w.category, ConvergenceWarning) for w in caught) or not np.isfinite(path[-12:]).all():
        return None, res.params
    return float(path[-12:].sum()), res.params


def test_fit_annual_is_statsmodels_fit_to_the_last_bit():
    for y, horizon in _series(11, 18):
        annual, why = holtwinters.fit_annual(y, horizon)
        scale = holtwinters.fit_scale(y)
        assert scale == np.mean(np.abs(y)) / holtwinters.FIT_LEVEL
        expected, _ = _stock(y / scale, horizon)  # statsmodels' fit at the fitting level, scaled back
        assert annual == (None if expected is None else expected * scale), (len(y), horizon, why)  # exact
        assert (why == "") == (annual is not None)


def test_the_units_of_a_series_do_not_move_its_forecast():
    # statsmodels' own fit of one history recorded in 箱 and in 千箱 differs by percents (absolute optimiser steps)
    y = 1000 + 5 * np.arange(36) + 200 * np.sin(2 * np.pi * np.arange(36) / 12) + \
        np.random.default_rng(3).normal(0, 50, 36).round()
    base, _ = holtwinters.fit_annual(y, 12)
    for k in (0.001, 1000.0, 1e6):
        scaled, _ = holtwinters.fit_annual(y * k, 12)
        assert scaled == pytest.approx(base * k, rel=1e-5), k  # the rounding of y / c only
    assert holtwinters.fit_scale(np.zeros(24)) == 1.0


def test_the_fitted_parameters_are_statsmodels_own():
    cls = holtwinters._model_class()
    for y, _ in _series(5, 6):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = cls(y, trend="add", damped_trend=True, seasonal="add", seasonal_periods=12,
                        initialization_method="estimated")
            ours = model.fit(minimize_kwargs=model.minimize_kwargs()).params
        _, theirs = _stock(y, 12)
        for name in theirs:
            np.testing.assert_array_equal(np.asarray(ours[name]), np.asarray(theirs[name]), err_msg=name)


def test_grid_scores_are_statsmodels_squared_errors():
    rng = np.random.default_rng(3)
    y = np.round(800 + 4 * np.arange(36) + 150 * np.cos(np.arange(36)) + rng.normal(0, 30, 36))
    m = 12
    params = np.r_[0.3, 0.02, 0.1, 790.0, 4.0, 0.99, rng.normal(0, 100, m)]
    free = np.array([True, True, True] + [False] * (3 + m))
    points = rng.uniform(0.01, 0.6, size=(50, 3))
    got = holtwinters.grid_scores(points, y, params, free, m)
    from statsmodels.tsa.holtwinters._exponential_smoothers import HoltWintersArgs

    bounds = np.array([[0.0, 1.0]] * 3)
    for k, point in enumerate(points):
        hw = HoltWintersArgs(free.astype(np.int64), params.copy(), bounds, y, m, len(y))
        err = SMOOTHERS[("add", "add")](point, hw)
        assert got[k] == pytest.approx(float(err @ err), rel=1e-12)
    # the set parameters where not free: only alpha from the points
    only_alpha = holtwinters.grid_scores(points[:, :1], y, params, np.array([True] + [False] * (5 + m)), m)
    hw = HoltWintersArgs(np.array([1] + [0] * (5 + m), dtype=np.int64), params.copy(), bounds, y, m, len(y))
    err = SMOOTHERS[("add", "add")](points[0, :1], hw)
    assert only_alpha[0] == pytest.approx(float(err @ err), rel=1e-12)


@verified
def test_forward_gradient_is_scipys_difference_bit_for_bit():
    def f(x, scale):
        return float(scale * np.sum(np.sin(x) * x ** 2) + np.prod(np.cos(x)))

    lower = np.array([0.0, 0.0, -np.inf, 0.8, -np.inf])
    upper = np.array([1.0, 1.0, np.inf, 0.995, np.inf])
    points = [
        np.array([0.5, 0.2, 3.0, 0.9, -2.0]),
        np.array([1.0, 0.0, 1e9, 0.995, -1e9]),  # on the bounds; x + 1e-8 rounds back to x
        np.array([1.0 - 5e-9, 1e-9, 0.0, 0.8, 123456.789]),  # within a step of the bounds
    ]
    for x in points:
        got = holtwinters.forward_gradient(f, x, 2.5, lower, upper)
        want = approx_derivative(lambda v: f(v, 2.5), x, method="2-point", abs_step=1e-8,
                                 f0=f(x, 2.5), bounds=(lower, upper))
        np.testing.assert_array_equal(got, want)


@verified
def test_lbfgsb_takes_the_same_steps_and_stops_at_the_same_count():
    """With the gradient given, maxfun counts only f: maxfun // (n + 1) stops where SciPy's own differences stop."""
    def rosen(x):
        return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))

    x0 = np.array([-1.2, 1.0, 0.8, -0.5])
    bounds = [(-2, 2), (None, None), (0.5, 3), (None, 1)]
    lower = np.array([-2.0, -np.inf, 0.5, -np.inf])
    upper = np.array([2.0, np.inf, 3.0, 1.0])
    for maxfun in (60, 400, 15000):
        theirs = minimize(rosen, x0, method="L-BFGS-B", bounds=bounds, options={"maxfun": maxfun})
        ours = minimize(rosen, x0, method="L-BFGS-B", bounds=bounds,
                        jac=lambda x: holtwinters.forward_gradient(lambda v, _: rosen(v), x, None, lower, upper),
                        options={"maxfun": maxfun // (len(x0) + 1)})
        np.testing.assert_array_equal(ours.x, theirs.x)
        assert (ours.nit, ours.success, ours.fun) == (theirs.nit, theirs.success, theirs.fun)


def test_the_minimiser_counts_as_scipy_does():
    cls = holtwinters._model_class()
    y, _ = _series(2, 1)[0]
    model = cls(y, trend="add", damped_trend=True, seasonal="add", seasonal_periods=12,
                initialization_method="estimated")
    kwargs = model.minimize_kwargs()
    if scipy.__version__ not in holtwinters.FD_VERIFIED:
        assert kwargs is None
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(minimize_kwargs=kwargs)
    # 18 free parameters (alpha, beta, gamma, level, trend, phi, 12 seasons): 15,000 evaluations = 789 points
    assert kwargs["options"] == {"maxfun": 15000 // 19}


def test_one_blas_thread_restores_what_it_found():
    libs = holtwinters._openblas_libraries()
    before = [get() for get, _ in libs]
    with holtwinters.one_blas_thread():
        assert all(get() == 1 for get, _ in libs)
    assert [get() for get, _ in libs] == before
