"""The regions' coverage and expense-ratio facts for scoring, by hand."""

import datetime as dt

import pandas as pd
import pytest

from planlib.tracking import region_extra_facts


def test_coverage_against_the_stage_in_force_and_expense_ratio_to_date():
    milestones = pd.DataFrame({
        "region_id": ["K1", "K1", "K2", "K2"], "stage": ["一", "二", "一", "二"],
        "date": pd.to_datetime(["2027-06-30", "2027-12-31"] * 2), "goal": [0.4, 0.6, 0.4, 0.6],
        "key_terminals": [10, 10, 0, 0], "coverage": [0.3, 0.3, 0.0, 0.0]})
    control = pd.DataFrame({"region_id": ["K1", "K2"], "budget_to_date": [200.0, 50.0], "spend_to_date": [300.0, 40.0]})
    dual = pd.DataFrame({"region_id": ["K1", "K2"], "target_revenue_to_date": [1000.0, 500.0],
                         "actual_revenue": [1200.0, 0.0]})
    f = region_extra_facts(milestones, control, dual, dt.date(2027, 5, 31))
    rows = {(r.region_id, r.measure): (r.month, r.target, r.actual) for r in f.itertuples()}
    # May closed: the June stage (40%) is in force; K2 has no key terminals, so no coverage fact
    assert rows[("K1", "coverage")] == (pd.Timestamp("2027-05-01"), 0.4, 0.3)
    assert ("K2", "coverage") not in rows
    # expense ratio: 300 / 1200 = 25% against 200 / 1000 = 20%; K2 sold nothing: no ratio
    month, target, actual = rows[("K1", "expense_ratio")]
    assert (target, actual) == (pytest.approx(0.2), pytest.approx(0.25))
    assert ("K2", "expense_ratio") not in rows
    # after the June stage, the December goal is in force
    late = region_extra_facts(milestones, control, dual, dt.date(2027, 7, 31))
    assert late.loc[(late.region_id == "K1") & (late.measure == "coverage"), "target"].item() == 0.6
    # nothing closed yet: no facts
    assert region_extra_facts(milestones, control, dual, dt.date(2027, 1, 15)).empty
