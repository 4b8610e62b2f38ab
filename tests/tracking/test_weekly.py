"""Weekly core terminals against their monthly targets' weeks, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planlib.errors import DataError
from planlib.tracking.weekly import (
    WEEKLY_COLUMNS,
    plan_weeks,
    week_weights,
    weekly_tracking,
)

T = pd.DataFrame({"region_id": ["K1"] * 3, "terminal_id": ["T1"] * 3,
                  "month": pd.to_datetime(["2027-01-01", "2027-02-01", "2027-12-01"]),
                  "target_volume": [310, 280, 310], "target_revenue": [3100.0, 2800.0, 3100.0]})


def test_weeks_start_on_the_years_first_monday():
    w = plan_weeks(2027, "2027-01-20")
    assert w.tolist() == [pd.Timestamp("2027-01-04"), pd.Timestamp("2027-01-11"), pd.Timestamp("2027-01-18")]


def test_week_weights_split_a_week_across_months_and_drop_next_year():
    w = week_weights(pd.to_datetime(["2027-01-25", "2027-12-27"]), 2027)
    # 25–31 January (7 days of 31); 27–31 December (5 of 31), 1–2 January 2028 count nowhere
    np.testing.assert_allclose(w[0], [7 / 31] + [0] * 11)
    np.testing.assert_allclose(w[1], [0] * 11 + [5 / 31])
    w2 = week_weights(pd.to_datetime(["2027-02-01", "2027-01-25"]), 2027)
    assert w2[0, 1] == pytest.approx(7 / 28) and w2[1, 0] == pytest.approx(7 / 31)


def test_weekly_targets_actuals_and_completion():
    a = pd.DataFrame({"week": pd.to_datetime(["2027-01-25", "2027-02-01", "2027-02-01"]),
                      "region_id": ["K1", "K1", "K1"], "terminal_id": ["T1", "T1", "T1"],
                      "volume": [60.0, 30.0, 20.0], "revenue": [600.0, 300.0, 200.0]})
    out = weekly_tracking(T, a, "2027-02-03")
    assert tuple(out.columns) == WEEKLY_COLUMNS
    v = out[out["measure"] == "volume"].set_index("week")
    assert v.loc["2027-01-25", ["target", "actual"]].tolist() == [70.0, 60.0]
    assert v.loc["2027-01-25", "completion"] == pytest.approx(60 / 70)
    assert v.loc["2027-02-01", ["target", "actual", "complete"]].tolist() == [70.0, 50.0, False]
    assert v.loc["2027-01-04", "actual"] == 0.0 and v.loc["2027-01-04", "complete"]
    r = out[out["measure"] == "revenue"].set_index("week")
    assert r.loc["2027-01-25", "target"] == 700.0


def test_a_core_terminal_without_target_and_the_last_week_of_the_year():
    a = pd.DataFrame({"week": pd.to_datetime(["2027-12-27"]), "region_id": ["K2"], "terminal_id": ["T9"],
                      "volume": [5.0], "revenue": [50.0]})
    out = weekly_tracking(T, a, "2027-12-31", terminal_ids=["T1", "T9"])
    last = out[(out["week"] == "2027-12-27") & (out["measure"] == "volume")].set_index("terminal_id")
    assert last.loc["T1", ["target", "days"]].tolist() == [50.0, 5]
    assert last.loc["T9", "target"] == 0.0 and pd.isna(last.loc["T9", "completion"])
    assert last.loc["T9", "region_id"] == "K2"


def test_bad_weeks():
    bad = pd.DataFrame({"week": pd.to_datetime(["2027-01-05"]), "region_id": ["K1"], "terminal_id": ["T1"],
                        "volume": [1.0], "revenue": [1.0]})
    with pytest.raises(DataError, match="not a Monday"):
        weekly_tracking(T, bad, "2027-02-01")
    late = bad.assign(week=pd.to_datetime(["2027-02-08"]))
    with pytest.raises(DataError, match="outside 2027-01-01"):
        weekly_tracking(T, late, "2027-02-01")
