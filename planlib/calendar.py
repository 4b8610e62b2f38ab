"""
The Chinese sales calendar: the holidays that move demand for drinks and gifts.

Spring Festival (春节, lunar 1/1) and Mid-Autumn (中秋, lunar 8/15) follow the lunar
calendar, so their solar dates move by up to a month from year to year; National Day
(国庆, Oct 1) is fixed. Liquor sells in the weeks *before* a festival (gifts, banquets),
which is why a monthly sales peak moves between January and February with the
Spring Festival date. Lunar dates come from the ``lunardate`` package (1900–2099).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
from lunardate import LunarDate

from planlib.errors import ParamsError
from planlib.labels import HOLIDAY_NAMES

__all__ = [
    "HOLIDAYS",
    "HOLIDAY_WINDOWS",
    "spring_festival",
    "mid_autumn",
    "national_day",
    "holiday_date",
    "holiday_windows",
    "FIRST_YEAR",
    "LAST_YEAR",
]

#: Holidays known to the calendar, in calendar order within a year.
HOLIDAYS: tuple[str, ...] = ("spring_festival", "mid_autumn", "national_day")


#: Sales window of each holiday: (days before the holiday, days after it), both inclusive.
#: National Day's window is Oct 1–7 plus the 7 days before.
HOLIDAY_WINDOWS: dict[str, tuple[int, int]] = {
    "spring_festival": (21, 7),
    "mid_autumn": (10, 2),
    "national_day": (7, 6),
}

#: The years the lunar calendar (``lunardate``) covers.
FIRST_YEAR, LAST_YEAR = 1900, 2099


def _check_year(year: int) -> int:
    if isinstance(year, bool) or not isinstance(year, int):
        raise ParamsError(f"year must be an integer, got {year!r}")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ParamsError(f"year {year} is outside the lunar calendar's range {FIRST_YEAR}–{LAST_YEAR}")
    return year


def spring_festival(year: int) -> dt.date:
    """
    Return the solar date of the Chinese New Year (春节, lunar month 1 day 1).

    Parameters
    ----------
    year : int
        Gregorian year, 1900–2099.

    Returns
    -------
    datetime.date

    Raises
    ------
    ParamsError
        If ``year`` is not an integer in range.

    Examples
    --------
    >>> spring_festival(2024)
    datetime.date(2024, 2, 10)
    """
    return LunarDate(_check_year(year), 1, 1).to_solar_date()


def mid_autumn(year: int) -> dt.date:
    """
    Return the solar date of the Mid-Autumn Festival (中秋节, lunar month 8 day 15).

    Examples
    --------
    >>> mid_autumn(2024)
    datetime.date(2024, 9, 17)
    """
    return LunarDate(_check_year(year), 8, 15).to_solar_date()


def national_day(year: int) -> dt.date:
    """Return National Day (国庆节), October 1 of ``year``."""
    return dt.date(_check_year(year), 10, 1)


_HOLIDAY_FUNCS = {
    "spring_festival": spring_festival,
    "mid_autumn": mid_autumn,
    "national_day": national_day,
}


def holiday_date(holiday: str, year: int) -> dt.date:
    """
    Return the date of a named holiday in ``year``.

    Raises
    ------
    ParamsError
        If ``holiday`` is not one of :data:`HOLIDAYS` (the message lists them).
    """
    try:
        func = _HOLIDAY_FUNCS[holiday]
    except KeyError:
        raise ParamsError(f"unknown holiday {holiday!r}; valid: {', '.join(HOLIDAYS)}") from None
    return func(year)


def holiday_windows(years: Iterable[int]) -> pd.DataFrame:
    """
    Return the sales window of every holiday in the given years.

    Parameters
    ----------
    years : iterable of int
        Gregorian years; duplicates are dropped, order does not matter.

    Returns
    -------
    DataFrame
        Columns ``holiday`` (a key of :data:`HOLIDAYS`), ``name_zh``, ``year``,
        ``date`` (the holiday itself), ``start`` and ``end`` (inclusive), as
        ``datetime.date``; sorted by ``start``.

    Notes
    -----
    Windows (:data:`HOLIDAY_WINDOWS`), with d the holiday's date:

    - Spring Festival: [d − 21, d + 7]
    - Mid-Autumn: [d − 10, d + 2]
    - National Day: [Sep 24, Oct 7], i.e. Oct 1–7 plus the 7 days before.

    Mid-Autumn can fall inside the National Day window (e.g. 2025-10-06); both
    rows are kept.

    Examples
    --------
    >>> holiday_windows([2024]).loc[0, ["holiday", "start", "end"]].tolist()
    ['spring_festival', datetime.date(2024, 1, 20), datetime.date(2024, 2, 17)]
    """
    rows = []
    for year in sorted({_check_year(y) for y in years}):
        for holiday in HOLIDAYS:
            day = holiday_date(holiday, year)
            before, after = HOLIDAY_WINDOWS[holiday]
            rows.append(
                {
                    "holiday": holiday,
                    "name_zh": HOLIDAY_NAMES[holiday],
                    "year": year,
                    "date": day,
                    "start": day - dt.timedelta(days=before),
                    "end": day + dt.timedelta(days=after),
                }
            )
    columns = ["holiday", "name_zh", "year", "date", "start", "end"]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame.astype({"year": "int64"})
    return frame.sort_values(["start", "holiday"], kind="stable").reset_index(drop=True)
