"""Completion, time progress (序时进度) and task progress, computed by hand."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest

from planlib.errors import DataError, ParamsError
from planlib.tracking.progress import (
    check_as_of,
    closed_months,
    completion,
    elapsed_fractions,
    month_matrix,
    progress,
    time_progress,
)

MONTHS = pd.date_range("2027-01-01", periods=12, freq="MS")


def plan(values) -> pd.Series:
    """Twelve monthly targets of 2027."""
    return pd.Series(values, index=MONTHS, dtype="float64")


@pytest.mark.parametrize("name", ["progress", "rollover", "landing", "milestones", "control", "weekly"])
def test_doctests_of_the_tracking_modules_pass(name):
    module = importlib.import_module(f"planlib.tracking.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_completion_of_scalars_and_zero_target():
    assert completion(80, 100) == 0.8
    assert completion(0, 100) == 0.0
    assert completion(5, 0) is None
    assert completion(5, -1) is None


def test_completion_of_series_is_null_not_nan_without_target():
    out = completion(pd.Series([50.0, 5.0, np.nan], index=list("abc")), pd.Series([100.0, 0.0, 10.0], index=list("abc")))
    assert str(out.dtype) == "Float64"
    assert out["a"] == 0.5
    assert out.isna().tolist() == [False, True, True]
    assert not np.isnan(out.to_numpy(dtype="float64", na_value=0.0)).any()


def test_elapsed_fractions_prorate_the_month_of_as_of():
    e = elapsed_fractions("2027-03-10")
    assert e.tolist() == [1.0, 1.0, 10 / 31] + [0.0] * 9
    assert elapsed_fractions("2027-06-30").tolist() == [1.0] * 6 + [0.0] * 6
    assert elapsed_fractions("2027-12-31").tolist() == [1.0] * 12


def test_closed_months_counts_a_month_ending_on_as_of():
    assert closed_months(pd.Timestamp("2027-06-30")) == 6
    assert closed_months(pd.Timestamp("2027-06-29")) == 5
    assert closed_months(pd.Timestamp("2027-01-01")) == 0
    assert closed_months(pd.Timestamp("2027-12-31")) == 12


def test_time_progress_follows_the_plan_profile_not_the_calendar():
    # a seasonal plan: January and February carry half the year
    t = plan([300, 300, 50, 50, 50, 50, 50, 50, 50, 50, 0, 0])  # year 1000
    assert time_progress(t, "2027-02-28") == pytest.approx(0.6)
    # mid-March: 600 + 50 x 15/31
    assert time_progress(t, "2027-03-15") == pytest.approx((600 + 50 * 15 / 31) / 1000)
    # as-of at month end counts the whole month; at year end everything
    assert time_progress(t, "2027-10-31") == pytest.approx(1.0)
    assert time_progress(t, "2027-12-31") == 1.0


def test_time_progress_leap_february():
    months = pd.date_range("2028-01-01", periods=12, freq="MS")
    t = pd.Series([0.0, 290.0] + [0.0] * 10, index=months)
    assert time_progress(t, "2028-02-10") == pytest.approx(10 / 29)


def test_time_progress_without_a_target_is_the_calendar_share():
    assert time_progress(plan([0.0] * 12), "2027-07-02") == pytest.approx(183 / 365)


def test_time_progress_of_many_lines_by_month_numbers():
    frame = pd.DataFrame({1: [100.0, 0.0], 2: [100.0, 0.0], 3: [200.0, 50.0]}, index=["k1", "k2"])
    out = time_progress(frame, "2027-02-14")
    assert out["k1"] == pytest.approx((100 + 100 * 14 / 28) / 400)
    assert out["k2"] == 0.0


def test_progress_hand_computed_mid_month():
    t = plan([100, 100, 310, 100, 100, 100, 100, 100, 100, 100, 100, 90])  # year 1,400
    a = pd.Series([90.0, 120.0, 100.0], index=MONTHS[:3])
    p = progress(t, a, "2027-03-10").iloc[0]
    # to date: 100 + 100 + 310 x 10/31 = 300
    assert p["year_target"] == 1400
    assert p["target_to_date"] == pytest.approx(300.0)
    assert p["actual_to_date"] == 310.0
    assert p["completion_to_date"] == pytest.approx(310 / 300)
    assert p["time_progress"] == pytest.approx(300 / 1400)
    assert p["task_progress"] == pytest.approx(310 / 1400)
    assert p["gap"] == pytest.approx(10.0)
    assert p["gap_points"] == pytest.approx((310 - 300) / 1400 * 100)
    assert p["status"] == "ahead"


def test_progress_behind_and_zero_target_lines():
    frame_t = pd.DataFrame([[100.0] * 12, [0.0] * 12], index=["behind", "none"], columns=MONTHS)
    frame_a = pd.DataFrame([[50.0] * 6, [7.0] * 6], index=["behind", "none"], columns=MONTHS[:6])
    p = progress(frame_t, frame_a, "2027-06-30")
    assert p.loc["behind", "gap"] == -300.0
    assert p.loc["behind", "status"] == "behind"
    assert p.loc["behind", "gap_points"] == pytest.approx(-25.0)
    assert pd.isna(p.loc["none", "completion_to_date"]) and pd.isna(p.loc["none", "task_progress"])
    assert p.loc["none", "actual_to_date"] == 42.0
    assert p.loc["none", "status"] == "ahead"
    assert str(p["completion_to_date"].dtype) == "Float64"


def test_progress_lines_of_actuals_are_aligned_by_index():
    frame_t = pd.DataFrame([[10.0] * 12, [20.0] * 12], index=["a", "b"], columns=MONTHS)
    frame_a = pd.DataFrame([[5.0]], index=["b"], columns=MONTHS[:1])
    p = progress(frame_t, frame_a, "2027-01-31")
    assert p["actual_to_date"].tolist() == [0.0, 5.0]


def test_as_of_outside_the_plan_year_names_date_and_year():
    with pytest.raises(ParamsError, match=r"2028-01-01 is outside the plan year 2027"):
        time_progress(plan([1.0] * 12), "2028-01-01")
    with pytest.raises(ParamsError, match="must be a date"):
        check_as_of("not a date", 2027)


def test_actuals_after_as_of_are_an_error():
    with pytest.raises(DataError, match="after as_of 2027-02-10"):
        progress(plan([1.0] * 12), pd.Series([1.0, 1.0, 1.0], index=MONTHS[:3]), "2027-02-10")


def test_month_matrix_rejects_months_of_two_years():
    with pytest.raises(DataError, match="one plan year"):
        month_matrix(pd.Series([1.0, 2.0], index=pd.to_datetime(["2026-12-01", "2027-01-01"])))
    with pytest.raises(DataError, match="1–12"):
        month_matrix(pd.Series([1.0], index=[13]))
