"""Phasing by last year's payment calendar: a rebate paid in January is budgeted in January."""

import numpy as np
import pandas as pd
import pytest

from planlib.budget.caps import payment_calendar, phase_rows


def _calendar():
    rows = [("channel", "year_end_rebate", 1, 1000.0)]
    rows += [("promotion", "temp_promoters", m, 900.0 if m == 2 else 100.0) for m in range(1, 13)]  # 900 of 2,000 in Feb
    rows += [("promotion", "premiums", m, 100.0 + m) for m in range(1, 13)]  # with the months: not a calendar item
    rows += [("labour", "wages", m, 500.0 if m == 12 else 0.0) for m in range(1, 13)]  # a fixed category
    return pd.DataFrame(rows, columns=["category", "item", "month", "amount"])


def test_payment_calendar_keeps_the_lumpy_items_only():
    cal = payment_calendar(_calendar())
    assert sorted(cal.index) == [("channel", "year_end_rebate"), ("labour", "wages"), ("promotion", "temp_promoters")]
    assert cal.loc[("channel", "year_end_rebate")].tolist() == [1.0] + [0.0] * 11
    assert cal.loc[("promotion", "temp_promoters"), 2] == pytest.approx(0.45)
    assert np.allclose(cal.sum(axis=1), 1.0)
    assert payment_calendar(_calendar().iloc[0:0]).empty


def test_phase_rows_follows_the_calendar_and_stays_exact_in_cents():
    rows = pd.DataFrame({"region_id": ["K1", "K1", "K1"], "category": ["channel", "promotion", "labour"],
                         "item": ["year_end_rebate", "premiums", "wages"], "amount": [1234.57, 1200.0, 100.01]})
    months = pd.DataFrame([[0.5, 0.5] + [0.0] * 10], index=["K1"], columns=range(1, 13))
    out = phase_rows(rows, months, fixed=["labour"], calendar=payment_calendar(_calendar()))
    by = out.groupby(["item", "month"])["amount"].sum()
    assert by["year_end_rebate"].to_dict() == {1: pytest.approx(1234.57)}  # all in January, as paid last year
    assert by["premiums"].to_dict() == {1: pytest.approx(600.0), 2: pytest.approx(600.0)}  # the target's months
    assert len(by["wages"]) == 12  # a fixed category stays straight-line, whatever its calendar
    for item, amount in zip(rows["item"], rows["amount"]):
        assert round(by[item].sum(), 2) == amount  # every row exact to the cent
    # without a calendar, as before: the rebate follows the target's months
    plain = phase_rows(rows, months, fixed=["labour"])
    assert plain.loc[plain["item"] == "year_end_rebate", "month"].tolist() == [1, 2]
