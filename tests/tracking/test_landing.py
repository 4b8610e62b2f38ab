"""The landing forecast, by hand: pace against the plan's profile, the gap and the run-rate needed."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from planlib.errors import ParamsError
from planlib.tracking.landing import LANDING_METHODS, landing, landing_matrix

MONTHS = pd.date_range("2027-01-01", periods=12, freq="MS")


def test_profile_pace_scales_the_rest_of_the_plan():
    # a seasonal plan: 200 in Jan and Feb, 100 after (1,400); 360 done by end of February (pace 0.9)
    t = pd.Series([200.0, 200.0] + [100.0] * 10, index=MONTHS)
    r = landing(t, pd.Series([180.0, 180.0], index=MONTHS[:2]), "2027-02-28").iloc[0]
    assert r["pace"] == pytest.approx(0.9)
    assert r["reforecast"] == pytest.approx(900.0)
    assert r["landing"] == pytest.approx(1260.0)
    assert r["gap"] == pytest.approx(-140.0)
    assert r["shortfall"] == pytest.approx(1040.0)
    assert r["months_remaining"] == 10.0
    assert r["run_rate_needed"] == pytest.approx(104.0)
    assert r["method"] == "profile"


def test_mid_month_pro_rates_the_as_of_month():
    t = pd.Series([310.0] + [100.0] * 11, index=MONTHS)  # 1,410
    r = landing(t, pd.Series([150.0], index=MONTHS[:1]), "2027-01-10").iloc[0]
    # to date: 310 x 10/31 = 100, done 150: pace 1.5; left 210 of January + 1,100
    assert r["pace"] == pytest.approx(1.5)
    assert r["landing"] == pytest.approx(150 + 1.5 * 1310)
    assert r["months_remaining"] == pytest.approx(12 - 10 / 31)
    assert r["run_rate_needed"] == pytest.approx((1410 - 150) / (12 - 10 / 31))


def test_recent_pace_uses_the_last_three_months():
    t = pd.Series([100.0] * 12, index=MONTHS)
    a = pd.Series([100.0, 100.0, 100.0, 70.0, 70.0, 70.0], index=MONTHS[:6])
    recent = landing(t, a, "2027-06-30", "recent").iloc[0]
    profile = landing(t, a, "2027-06-30", "profile").iloc[0]
    assert recent["pace"] == pytest.approx(0.7)
    assert recent["landing"] == pytest.approx(510 + 420)
    assert profile["pace"] == pytest.approx(0.85)
    assert profile["landing"] == pytest.approx(510 + 510)


def test_ahead_needs_no_run_rate_and_year_end_lands_on_the_actual():
    t = pd.Series([100.0] * 12, index=MONTHS)
    ahead = landing(t, pd.Series([300.0], index=MONTHS[:1]), "2027-01-31").iloc[0]
    assert ahead["run_rate_needed"] == pytest.approx(900 / 11)
    done = landing(t, pd.Series([110.0] * 12, index=MONTHS), "2027-12-31").iloc[0]
    assert done["landing"] == 1320.0 and done["gap"] == 120.0 and done["run_rate_needed"] == 0.0
    short = landing(t, pd.Series([90.0] * 12, index=MONTHS), "2027-12-31").iloc[0]
    assert short["landing"] == 1080.0 and pd.isna(short["run_rate_needed"])


def test_no_target_to_date_keeps_the_plan_and_zero_plan_lands_on_actuals():
    t = pd.Series([0.0, 0.0] + [100.0] * 10, index=MONTHS)
    r = landing(t, pd.Series([5.0, 5.0], index=MONTHS[:2]), "2027-02-28").iloc[0]
    assert r["pace"] == 1.0 and r["landing"] == 1010.0
    z = landing(pd.Series([0.0] * 12, index=MONTHS), pd.Series([7.0], index=MONTHS[:1]), "2027-01-31").iloc[0]
    assert z["landing"] == 7.0 and z["gap"] == 7.0 and z["run_rate_needed"] == 0.0


def test_monthly_reforecast_adds_up_to_the_landing():
    rng = np.random.default_rng(7)
    T = rng.integers(0, 100, (50, 12)).astype(float)
    A = rng.integers(0, 120, (50, 12)).astype(float)
    for method in LANDING_METHODS:
        res = landing_matrix(T, A, pd.Timestamp("2027-05-17"), method)
        np.testing.assert_allclose(res["months"].sum(axis=1), res["landing"])
        assert (res["months"][:, 5:] == res["pace"][:, None] * T[:, 5:]).all()


def test_unknown_method_lists_the_valid_ones():
    with pytest.raises(ParamsError, match="profile, recent"):
        landing(pd.Series([1.0] * 12, index=MONTHS), pd.Series([1.0], index=MONTHS[:1]), "2027-01-31", "ets")


def test_landing_of_a_national_plan_is_fast():
    rng = np.random.default_rng(1)
    T = rng.integers(0, 1000, (3200 * 40, 12)).astype(float)  # every region's lines
    A = rng.integers(0, 1000, T.shape).astype(float)
    start = time.perf_counter()
    landing_matrix(T, A, pd.Timestamp("2027-06-30"))
    assert time.perf_counter() - start < 1.0
