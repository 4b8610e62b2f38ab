"""Rollover modes: hand-computed revisions, the exact year, and a property test over random plans."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planlib.errors import DataError, ParamsError
from planlib.tracking.rollover import (
    ROLLOVER_MODES,
    revise_matrix,
    revise_targets,
    rollover_table,
)

MONTHS = pd.date_range("2027-01-01", periods=12, freq="MS")
PLAN = pd.Series([100] * 12, index=MONTHS)  # 1,200 a year


def actuals(*values) -> pd.Series:
    return pd.Series(values, index=MONTHS[: len(values)], dtype="float64")


def test_none_keeps_the_plan():
    out = revise_targets(PLAN, actuals(10, 20, 30), "2027-03-31", "none")
    pd.testing.assert_series_equal(out, PLAN)


def test_next_month_rolls_the_unmet_part_cumulatively():
    # Jan 80 of 100: 20 rolls to Feb (asked 120); Feb 90 of 120: 30 rolls to Mar (asked 130)
    out = revise_targets(PLAN, actuals(80, 90), "2027-02-28", "next_month")
    assert out.tolist() == [80, 90, 130] + [100] * 9
    assert out.sum() == 1200


def test_next_month_surplus_does_not_cut_later_targets():
    # Jan 150 of 100: nothing rolls; Feb 70 of 100: 30 to March
    out = revise_targets(PLAN, actuals(150, 70), "2027-02-28", "next_month")
    assert out.tolist() == [100, 70, 130] + [100] * 9


def test_next_month_open_month_is_not_rolled_yet():
    # as-of 15 March: January and February closed, March open (its 10 so far rolls nothing)
    out = revise_targets(PLAN, actuals(100, 60, 10), "2027-03-15", "next_month")
    assert out.tolist() == [100, 60, 140] + [100] * 9


def test_next_month_december_keeps_its_unmet_part():
    out = revise_targets(PLAN, pd.Series([100.0] * 11 + [40.0], index=MONTHS), "2027-12-31", "next_month")
    assert out.tolist() == [100] * 12


def test_next_month_fractional_actuals_keep_whole_units():
    # 95.5 done of 100: 95 whole units kept, 5 roll
    out = revise_targets(PLAN, actuals(95.5), "2027-01-31", "next_month")
    assert out.tolist()[:2] == [95, 105]


def test_next_month_with_a_unit_of_six():
    plan6 = pd.Series([60] * 12, index=MONTHS)
    out = revise_targets(plan6, actuals(50), "2027-01-31", "next_month", unit=6)
    # 50 = 8 whole cases of 6 (48) kept, 12 roll
    assert out.tolist()[:2] == [48, 72]
    assert out.sum() == 720


def test_spread_shares_the_shortfall_by_the_plan_profile():
    t = pd.Series([100, 100, 100, 200, 100, 100, 100, 100, 100, 100, 100, 100], index=MONTHS)  # 1,300
    # to end of March: 300 planned, 270 done, 30 short over Apr–Dec (profile 200, 100 x 8 = 1,000)
    out = revise_targets(t, actuals(90, 90, 90), "2027-03-31", "spread")
    assert out.tolist() == [90, 90, 90, 206, 103, 103, 103, 103, 103, 103, 103, 103]
    assert out.sum() == 1300


def test_spread_largest_remainder_ties_go_to_the_earlier_month():
    t = pd.Series([100] * 12, index=MONTHS)
    # 10 short after January over 11 equal months: 0.909 each -> 10 months get 1, the earliest
    out = revise_targets(t, actuals(90), "2027-01-31", "spread")
    assert out.tolist() == [90] + [101] * 10 + [100]


def test_spread_nets_a_surplus_against_a_shortfall():
    out = revise_targets(PLAN, actuals(120, 50), "2027-02-28", "spread")
    # 200 planned, 170 done: 30 short, closed months booked at what they did
    assert out.tolist()[:2] == [120, 50]
    assert out.sum() == 1200
    assert (out.iloc[2:] - 100).sum() == 30
    ahead = revise_targets(PLAN, actuals(150, 80), "2027-02-28", "spread")
    pd.testing.assert_series_equal(ahead, PLAN)


def test_spread_over_months_planning_nothing_is_even():
    t = pd.Series([100] + [0] * 11, index=MONTHS)
    out = revise_targets(t, actuals(45), "2027-01-31", "spread")
    assert out.tolist() == [45] + [5] * 11


def test_money_at_cents():
    t = pd.Series([100.10] * 12, index=MONTHS)
    out = revise_targets(t, actuals(50.05), "2027-01-31", "next_month", unit=0.01)
    assert out.iloc[:2].tolist() == [50.05, 150.15]
    assert round(out.sum(), 2) == round(100.10 * 12, 2)


def test_rollover_table_shows_what_each_month_was_asked():
    t = rollover_table(PLAN, actuals(80, 90, 40), "2027-03-20", "next_month")
    assert t["asked"].tolist()[:4] == [100, 120, 130, 100]
    assert t["revised"].tolist()[:4] == [80, 90, 130, 100]
    assert t["closed"].tolist()[:4] == [True, True, False, False]
    assert t["actual"].isna().tolist()[:4] == [False, False, False, True]
    s = rollover_table(PLAN, actuals(80, 90), "2027-02-28", "spread")
    # March opened with 30 spread over ten months (3 each)
    assert s["asked"].tolist()[:3] == [100, 102, 103]
    assert s["revised"].tolist()[:3] == [80, 90, 103]


def test_unknown_mode_lists_the_valid_ones():
    with pytest.raises(ParamsError, match="none, next_month, spread"):
        revise_targets(PLAN, actuals(1), "2027-01-31", "carry_forward")


def test_targets_off_the_unit_are_an_error():
    with pytest.raises(DataError, match="not whole multiples of the unit 6"):
        revise_targets(PLAN, actuals(1), "2027-01-31", "next_month", unit=6)


def test_many_lines_at_once_match_one_by_one():
    rng = np.random.default_rng(3)
    t = pd.DataFrame(rng.integers(0, 50, (5, 12)), columns=MONTHS, index=list("abcde"))
    a = pd.DataFrame(rng.integers(0, 60, (5, 7)), columns=MONTHS[:7], index=list("abcde"))
    for mode in ROLLOVER_MODES:
        many = revise_targets(t, a, "2027-07-31", mode)
        for line in t.index:
            one = revise_targets(t.loc[line], a.loc[line], "2027-07-31", mode)
            assert many.loc[line].tolist() == one.tolist()


@settings(max_examples=150, deadline=None)
@given(
    targets=st.lists(st.integers(0, 500), min_size=12, max_size=12),
    done=st.lists(st.floats(0, 800, allow_nan=False), min_size=12, max_size=12),
    day=st.integers(0, 364),
    unit=st.sampled_from([1, 6]),
)
def test_every_mode_keeps_the_year_exact(targets, done, day, unit):
    as_of = pd.Timestamp("2027-01-01") + pd.Timedelta(days=day)
    t = np.array(targets, dtype=np.int64)[None, :] * unit
    a = np.array(done)[None, :]
    a[:, as_of.month:] = 0.0
    for mode in ROLLOVER_MODES:
        revised, asked = revise_matrix(t, a, as_of, mode, unit)
        assert revised.sum() == t.sum(), mode
        assert (revised >= 0).all() and (revised % unit == 0).all()
        # the months after the first open one keep their plan, except under spread
        k = as_of.month if as_of.day == as_of.days_in_month else as_of.month - 1
        if mode == "next_month" and k < 11:
            assert (revised[0, k + 1:] == t[0, k + 1:]).all()
        # nothing changes before a shortfall: closed months never ask more than the plan plus carries
        assert (asked >= 0).all()
