"""Targets: many regions' baselines at once (baselines) give each region's baseline() to the last bit."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from planlib import targets
from planlib.errors import ParamsError


def _region(rid: str, start: str, values) -> pd.DataFrame:
    dates = pd.date_range(start, periods=len(values), freq="MS")
    return pd.DataFrame({"region_id": rid, "date": dates, "volume": np.asarray(values, dtype=float)})


def _regions() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    t = np.arange(36)
    season = np.tile([30, 20, -5, -10, -10, -5, 0, 0, 10, 5, -10, -25], 3)
    frames = [
        _region("HW", "2024-01-01", 500 + 3 * t + season + rng.normal(0, 8, 36).round()),  # Holt-Winters
        _region("LEAD0", "2024-01-01", np.r_[np.zeros(5), 400 + season[5:] + rng.normal(0, 5, 31).round()]),
        _region("SHORT", "2025-07-01", [10.0] * 12 + [12.0] * 6),  # 18 months: last 12 × growth
        _region("RUN", "2026-08-01", [7.0, 9.0, 8.0, 6.0, 10.0]),  # 5 months: run rate
        _region("ZERO", "2025-01-01", [0.0] * 24),  # all zeros
        _region("TAIL0", "2024-01-01", np.r_[300 + season[:30], np.zeros(6)]),  # zeros at the end are months
    ]
    m = pd.concat(frames, ignore_index=True)
    # a month recorded in two rows (summed), and the rows in no order
    extra = m[(m["region_id"] == "HW") & (m["date"] == "2025-03-01")].assign(volume=4.5)
    return pd.concat([m, extra], ignore_index=True).sample(frac=1.0, random_state=3).reset_index(drop=True)


def test_baselines_equal_each_regions_baseline_to_the_last_bit():
    m = _regions()
    got = targets.baselines(m, 2027).set_index("region_id")
    assert list(got.index) == sorted(m["region_id"].unique())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rid, rows in m.groupby("region_id"):
            one = targets.baseline(rows[["date", "volume"]], 2027)
            assert got.loc[rid, "annual"] == one.annual, rid  # exact, not approx
            assert got.loc[rid, "method"] == one.method, rid
    assert got.loc["HW", "method"] == "holt_winters_damped"
    assert got.loc["SHORT", "method"] == "last12_growth"
    assert got.loc["SHORT", "annual"] == pytest.approx(132 * 1.2)  # g = 72 / 60 − 1 over a 12-month horizon
    assert got.loc["RUN", "annual"] == pytest.approx(12 * 8.0)
    assert got.loc["ZERO", "annual"] == 0.0 and got.loc["ZERO", "method"] == "zero"


def test_baselines_say_their_fallbacks_in_the_note_and_warn_nothing():
    m = _regions()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is warned
        got = targets.baselines(m, 2027).set_index("region_id")
    assert "only 5 months of volume history" in got.loc["RUN", "note"]
    assert "baseline is 0" in got.loc["ZERO", "note"]
    assert got.loc["HW", "note"] == ""


def test_baselines_of_no_rows_is_an_empty_table():
    none = targets.baselines(pd.DataFrame({"region_id": [], "date": pd.Series([], dtype="datetime64[ns]"),
                                           "volume": []}), 2027)
    assert none.empty and list(none.columns) == ["region_id", "annual", "method", "note"]


def test_baselines_name_the_region_whose_history_reaches_into_the_plan_year():
    m = pd.concat([_region("OK", "2025-01-01", [5.0] * 12), _region("LATE", "2026-06-01", [5.0] * 12)])
    with pytest.raises(ParamsError, match=r"region_id LATE: history runs to 2027-05, inside the plan year 2027"):
        targets.baselines(m, 2027)


def test_baselines_check_their_columns_and_values():
    with pytest.raises(ParamsError, match="missing volume"):
        targets.baselines(pd.DataFrame({"region_id": ["A"], "date": ["2025-01-01"]}), 2027)
    with pytest.raises(ParamsError, match="missing or non-numeric"):
        targets.baselines(pd.DataFrame({"region_id": ["A"], "date": ["2025-01-01"], "volume": ["x"]}), 2027)


def test_baseline_with_a_cache_keeps_its_fit_and_reads_it_back(tmp_path):
    import json

    rows = _regions()
    hw = rows[rows["region_id"] == "HW"][["date", "volume"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = targets.baseline(hw, 2027)
        first = targets.baseline(hw, 2027, cache=tmp_path)
        again = targets.baseline(hw, 2027, cache=tmp_path)
    assert plain.method == "holt_winters_damped"
    for got in (first, again):  # the same numbers, to the bit
        assert got.annual == plain.annual and got.method == plain.method
        pd.testing.assert_series_equal(got.monthly, plain.monthly, check_exact=True)
    kept = list(tmp_path.glob("holtwinters-*.json"))
    assert len(kept) == 1
    # the kept fit is what a rerun reads (no fit made): a number planted there comes back
    data = json.loads(kept[0].read_text())
    data["fits"][0][0] = 12345.5
    kept[0].write_text(json.dumps(data))
    assert targets.baseline(hw, 2027, cache=tmp_path).annual == 12345.5
    # a short history has no fit to keep
    short = rows[rows["region_id"] == "SHORT"][["date", "volume"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its month split's fallback
        assert targets.baseline(short, 2027, cache=tmp_path / "short").method == "last12_growth"
    assert not (tmp_path / "short").exists()


def _months(target, last):
    return pd.DataFrame({"month": pd.date_range("2027-01-01", periods=12, freq="MS"),
                         "target_volume": target, "last_year_volume": last})


def test_festival_shift_reading_says_the_move_and_the_months_together():
    # 2027's festival on 6 February, 2026's on 17 February: 11 days earlier; Mid-Autumn 15 and 25 September
    target = [2_814, 2_452, 100, 100, 100, 100, 100, 1_807, 2_306, 100, 100, 100]
    last = [1_701, 3_753, 100, 100, 100, 100, 100, 1_554, 2_831, 100, 100, 100]
    text = targets.festival_shift_reading(_months(target, last), 2027, "spring_festival")
    # hand-computed: (2,814 + 2,452) / (1,701 + 3,753) − 1 = −3.4%; (1,807 + 2,306) / (1,554 + 2,831) − 1 = −6.2%
    assert text == ("2027 年春节在 2 月 6 日，2026 年在 2 月 17 日：节前旺季随之提前 11 天，"
                    "一月比去年 +65.4%、二月 -34.7%，一、二月合计 -3.4%；"
                    "中秋 2027 年在 9 月 15 日，2026 年在 9 月 25 日，八月比去年 +16.3%、九月 -18.5%，八、九月合计 -6.2%。")
    # 2026's festival (17 February) against 2025's (29 January): 19 days later; Mid-Autumn in October 2025: three months
    later = targets.festival_shift_reading(_months(target, last), 2026, "spring_festival")
    assert "节前旺季随之推后 19 天" in later
    assert "中秋 2026 年在 9 月 25 日，2025 年在 10 月 6 日，八月比去年 +16.3%、九月 -18.5%、十月 +0.0%，八、九、十月合计" in later


def test_festival_shift_reading_is_silent_for_the_calendar_profile_or_without_last_year():
    months = _months([10] * 12, [10] * 12)
    assert targets.festival_shift_reading(months, 2027, "calendar") == ""
    assert targets.festival_shift_reading(months, 2027, "even_days") == ""
    no_january = targets.festival_shift_reading(_months([10] * 12, [0, 10, *[10] * 10]), 2027, "spring_festival")
    assert no_january.startswith("中秋 2027 年") and "春节" not in no_january  # only the festival with last year's months
    assert targets.festival_shift_reading(_months([10] * 12, [0] * 12), 2027, "spring_festival") == ""
    assert targets.festival_shift_reading(months.iloc[0:0], 2027, "spring_festival") == ""


def _stopped() -> pd.DataFrame:
    """36 months of a growing, seasonal line, 2023-01 to 2025-12; nothing sold in 2026."""
    t = np.arange(36)
    season = np.tile([30, 20, -5, -10, -10, -5, 0, 0, 10, 5, -10, -25], 3)
    values = 500 + 3 * t + season + np.random.default_rng(7).normal(0, 8, 36).round()
    return pd.DataFrame({"date": pd.date_range("2023-01-01", periods=36, freq="MS"), "volume": values})


def test_a_region_whose_sales_stopped_is_forecast_from_the_months_it_sold_nothing():
    rows = _stopped()
    zeros = pd.DataFrame({"date": pd.date_range("2026-01-01", periods=12, freq="MS"), "volume": 0.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ended = targets.baseline(rows, 2027, end="2026-12-15")  # any day of the archive's last month
        padded = targets.baseline(pd.concat([rows, zeros], ignore_index=True), 2027)
        as_if_last_month = targets.baseline(rows, 2027)
    assert ended.annual == padded.annual and ended.method == padded.method  # the months up to the end are 0
    assert ended.annual == 0.0 and as_if_last_month.annual > 7000  # not 24 months ahead of its last sale
    years = ended.history_years.set_index("year")
    assert list(years.index) == [2023, 2024, 2025, 2026]
    assert years.loc[2026, "value"] == 0.0 and years.loc[2026, "growth"] == -1.0  # last year: -100%, not 2025's +6.8%
    assert years.loc[2025, "value"] == rows["volume"].iloc[24:].sum()
    # an end before the last row changes nothing; an end in the plan year is refused
    assert targets.baseline(rows, 2027, end="2024-06-01").annual == as_if_last_month.annual
    with pytest.raises(ParamsError, match="inside the plan year 2027"):
        targets.baseline(rows, 2027, end="2027-02-01")


def test_baselines_end_every_region_at_the_last_month_of_any():
    stopped = _stopped().assign(region_id="STOP")
    m = pd.concat([stopped, _region("HW", "2024-01-01", 500 + np.arange(36) * 2.0)], ignore_index=True)
    got = targets.baselines(m, 2027).set_index("region_id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rid, rows in m.groupby("region_id"):
            one = targets.baseline(rows[["date", "volume"]], 2027, end="2026-12-01")
            assert got.loc[rid, "annual"] == one.annual and got.loc[rid, "method"] == one.method, rid
    assert got.loc["STOP", "annual"] == 0.0
    # a later end given: every region's months up to it are 0 (HW then stopped in 2026-12 too)
    later = targets.baselines(m, 2028, end="2027-06-30").set_index("region_id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hw = targets.baseline(m.loc[m["region_id"] == "HW", ["date", "volume"]], 2028, end="2027-06-01")
    assert later.loc["HW", "annual"] == hw.annual
