"""Tests of planlib.calendar: lunar holidays and their sales windows."""

import datetime as dt

import pytest

from planlib import calendar
from planlib.errors import ParamsError


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2023, dt.date(2023, 1, 22)), (2024, dt.date(2024, 2, 10)),
     (2025, dt.date(2025, 1, 29)), (2026, dt.date(2026, 2, 17))],
)
def test_spring_festival_known_dates(year, expected):
    assert calendar.spring_festival(year) == expected


def test_mid_autumn_known_date():
    assert calendar.mid_autumn(2024) == dt.date(2024, 9, 17)
    assert calendar.mid_autumn(2025) == dt.date(2025, 10, 6)


def test_national_day_is_october_first():
    assert calendar.national_day(2025) == dt.date(2025, 10, 1)


def test_holiday_windows_bounds():
    w = calendar.holiday_windows([2024, 2023, 2024])
    assert list(w.columns) == ["holiday", "name_zh", "year", "date", "start", "end"]
    assert len(w) == 6  # duplicates dropped, three holidays a year
    sf = w[(w.holiday == "spring_festival") & (w.year == 2024)].iloc[0]
    assert (sf.start, sf.end) == (dt.date(2024, 1, 20), dt.date(2024, 2, 17))
    ma = w[(w.holiday == "mid_autumn") & (w.year == 2024)].iloc[0]
    assert (ma.start, ma.end) == (dt.date(2024, 9, 7), dt.date(2024, 9, 19))
    nd = w[(w.holiday == "national_day") & (w.year == 2023)].iloc[0]
    assert (nd.start, nd.end) == (dt.date(2023, 9, 24), dt.date(2023, 10, 7))
    assert w["start"].is_monotonic_increasing


def test_holiday_windows_empty():
    w = calendar.holiday_windows([])
    assert w.empty and list(w.columns) == ["holiday", "name_zh", "year", "date", "start", "end"]


@pytest.mark.parametrize("bad", [1800, 2100, "2024", 2024.0, True])
def test_spring_festival_rejects_bad_year(bad):
    with pytest.raises(ParamsError):
        calendar.spring_festival(bad)


def test_holiday_date_unknown_name_lists_valid():
    with pytest.raises(ParamsError, match="spring_festival"):
        calendar.holiday_date("dragon_boat", 2024)
