"""Targets: many Holt-Winters fits at once give each series the fit it gets alone, to the last bit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.holtwinters._exponential_smoothers import HoltWintersArgs
from statsmodels.tsa.holtwinters.model import SMOOTHERS, opt_wrapper

from planlib.targets import holtwinters, holtwinters_many

verified = pytest.mark.skipif(scipy.__version__ not in holtwinters.FD_VERIFIED,
                              reason=f"the lock-step minimiser is SciPy {holtwinters.FD_VERIFIED}'s")


def _random_series(seed: int, count: int) -> list[tuple[np.ndarray, int]]:
    """Hand-made monthly series: trend and season, sparse counts with zeros, flat, pure season, decline, spikes."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        n = int(rng.choice([24, 25, 27, 36, 36, 41, 48]))
        t = np.arange(n)
        kind = k % 7
        if kind == 0:
            y = 1000 + 5 * t + 300 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 60, n)
        elif kind == 1:
            y = rng.poisson(0.8, n).astype(float)  # mostly zeros
        elif kind == 2:
            y = np.full(n, 250.0)
        elif kind == 3:
            y = np.tile(rng.uniform(20, 400, 12), n // 12 + 1)[:n]
        elif kind == 4:
            y = np.maximum(0, 600 - 12 * t + rng.normal(0, 90, n))
        elif kind == 5:
            y = rng.lognormal(5, 1.2, n)
        else:
            y = np.where(rng.random(n) < 0.3, 0.0, 50 + 40 * np.cos(2 * np.pi * t / 12) + rng.normal(0, 5, n))
        y = np.round(y, int(rng.choice([0, 2])))
        y[0] = max(y[0], 1.0)  # a series starts at its first sale
        out.append((y, int(rng.choice([12, 13, 18, 23]))))
    return out


@verified
def test_the_batched_fit_is_each_series_own_fit_to_the_last_bit():
    cases = _random_series(7, 30)
    alone = [holtwinters.fit_annual(y, h) for y, h in cases]
    together = holtwinters_many.fit_annual_many([y for y, _ in cases], [h for _, h in cases])
    assert together == alone  # exact floats, the same reasons
    assert sum(a is not None for a, _ in alone) >= 20  # mostly real fits, not fallbacks


@verified
def test_the_batch_does_not_depend_on_its_company():
    cases = _random_series(8, 6)
    together = holtwinters_many.fit_annual_many([y for y, _ in cases], [h for _, h in cases])
    for k, (y, h) in enumerate(cases):
        assert holtwinters_many.fit_annual_many([y], [h]) == [together[k]]
    assert holtwinters_many.fit_annual_many([], []) == []


def test_squared_errors_are_statsmodels_objective_bit_for_bit():
    rng = np.random.default_rng(4)
    m, bounds = 12, np.array([[0.0, 1.0]] * 3)
    for n in (24, 31, 36):
        y = np.round(500 + 3 * np.arange(n) + 120 * np.sin(np.arange(n)) + rng.normal(0, 40, n))
        rows = np.c_[rng.uniform(0, 1, (9, 3)), rng.normal(500, 50, 9), rng.normal(0, 5, 9),
                     rng.uniform(0.8, 0.995, 9), rng.normal(0, 80, (9, m))]
        for transform in (True, False):
            got = holtwinters_many.squared_errors(rows, np.repeat(y[None, :], len(rows), axis=0), transform=transform)
            for row, value in zip(rows, got):
                args = HoltWintersArgs(np.ones(6 + m, dtype=np.int64), row.copy(), bounds, y, m, n)
                args.transform = transform
                assert value == opt_wrapper(SMOOTHERS[("add", "add")])(row.copy(), args)


def test_forecasts_are_statsmodels_forecast_for_the_same_parameters():
    rng = np.random.default_rng(5)
    ys, params, horizons = [], [], []
    for n, h in ((24, 12), (30, 19), (36, 12)):
        y = np.round(300 + 2 * np.arange(n) + 90 * np.cos(np.arange(n) / 2) + rng.normal(0, 20, n))
        row = np.r_[rng.uniform(0.05, 0.6), 0.0, 0.0, 300.0, 1.5, rng.uniform(0.8, 0.995), rng.normal(0, 50, 12)]
        row[1], row[2] = row[0] * 0.3, (1 - row[0]) * 0.2
        ys.append(y)
        params.append(row)
        horizons.append(h)
    got = holtwinters_many.forecasts(np.array(params), ys, horizons)
    for y, row, h, path in zip(ys, params, horizons, got):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ExponentialSmoothing(y, trend="add", damped_trend=True, seasonal="add", seasonal_periods=12,
                                         initialization_method="known", initial_level=row[3], initial_trend=row[4],
                                         initial_seasonal=row[6:])
            res = model.fit(smoothing_level=row[0], smoothing_trend=row[1], smoothing_seasonal=row[2],
                            damping_trend=row[5], optimized=False)
        np.testing.assert_array_equal(path, np.asarray(res.forecast(h), dtype="float64"))


def test_fit_annual_many_checks_its_arguments():
    with pytest.raises(ValueError, match="2 series but 1 horizons"):
        holtwinters_many.fit_annual_many([np.ones(24), np.ones(24)], [12])


def test_the_start_is_statsmodels_estimated_initialisation():
    series = [y for y, _ in _random_series(9, 21)]
    got = holtwinters_many._setups(series + [np.r_[np.ones(23)], np.r_[np.ones(30), np.inf]])
    assert got[-2:] == [None, None]  # under 24 months, not finite: left to fit_annual
    for y, setup in zip(series, got):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ExponentialSmoothing(y, trend="add", damped_trend=True, seasonal="add", seasonal_periods=12,
                                         initialization_method="estimated")
        level, trend, seasons = model.initial_values()
        np.testing.assert_array_equal(setup["params"][3:], np.r_[level, trend, 0.99, seasons])
