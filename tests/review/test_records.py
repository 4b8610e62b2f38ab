"""What the archive holds for a region: counted kind by kind, and said in one sentence."""

import pandas as pd
import pytest

from planlib import labels, review
from planlib.archive.queries.review import RegionData
from planlib.present import summary


def _data(*, sales_dates=("2024-01-01", "2026-12-28"), competitor_dates=("2024-01-01", "2026-12-01"), market=True,
          expenses=True) -> RegionData:
    ts = pd.to_datetime
    sales = pd.DataFrame({"date": ts([*sales_dates, *competitor_dates]),
                          "brand": ["own"] * len(sales_dates) + ["古泉"] * len(competitor_dates)})
    activities = pd.DataFrame({"brand": ["own", "own", "金潭"],
                               "start_date": ts(["2024-05-01", "2023-11-20", "2025-01-10"]),
                               "end_date": ts(["2024-05-31", "2023-12-10", "2025-02-10"])})
    empty_dates = pd.DataFrame({"date": pd.Series([], dtype="datetime64[ms]")})
    return RegionData(
        region="K1", sales=sales, products=pd.DataFrame(),
        market=pd.DataFrame({"date": ts(["2024-01-01", "2026-12-01"])}) if market else empty_dates,
        expenses=pd.DataFrame({"date": ts(["2024-01-01", "2025-06-01", "2026-12-01"])}) if expenses else empty_dates,
        activities=activities, events=empty_dates,
        terminals=pd.DataFrame({"terminal_id": ["T1", "T2", "T3"]}), distributors=pd.DataFrame({"distributor_id": ["D1"]}),
    )


def test_data_coverage_counts_each_kind_with_its_dates():
    cov = review.data_coverage(_data()).set_index("source")
    assert list(cov.index) == list(review.COVERAGE_SOURCES)
    assert cov["rows"].to_dict() == {"sales": 2, "competitor_sales": 2, "market": 2, "expenses": 3, "activities": 2,
                                     "competitor_activities": 1, "events": 0, "terminals": 3, "distributors": 1}
    # own and competitors' rows apart; an activity spans its start to its end date
    assert cov.at["sales", "first"] == pd.Timestamp("2024-01-01") and cov.at["sales", "last"] == pd.Timestamp("2026-12-28")
    assert cov.at["competitor_sales", "first"] == pd.Timestamp("2024-01-01")
    assert cov.at["competitor_sales", "last"] == pd.Timestamp("2026-12-01")
    assert cov.at["activities", "first"] == pd.Timestamp("2023-11-20")
    assert cov.at["activities", "last"] == pd.Timestamp("2024-05-31")
    # no dates where there is no row, or none kept
    assert cov.loc[["events", "terminals", "distributors"], ["first", "last"]].isna().all().all()
    assert review.missing_sources(cov.reset_index()) == ["events"]
    assert review.missing_sources(cov.reset_index(), review.PLAN_SOURCES) == []


def test_coverage_reading_says_what_is_missing_and_what_it_stops():
    full = review.data_coverage(_data()).query("source != 'events'")
    assert review.coverage_reading(full, (2024, 2026)) == "分析期内各类记录齐全。"
    text = review.coverage_reading(review.data_coverage(_data(market=False, expenses=False)), (2024, 2026))
    assert text.startswith("档案中本区域没有品类容量（市场）、费用、市场事件的记录：")
    assert f"没有费用，{labels.COVERAGE_GAPS['expenses']}" in text and labels.COVERAGE_GAPS["market"] in text
    assert "本品销售记录" not in text  # own sales cover the window


@pytest.mark.parametrize(("dates", "expected"), [
    (("2026-01-01", "2026-12-28"), "本品销售记录从 2026 年 1 月开始，分析期从 2024 年 1 月开始。"),
    (("2024-01-01", "2025-12-29"), "本品销售记录到 2025 年 12 月为止，分析期到 2026 年 12 月。"),
    (("2024-03-01", "2026-06-01"), "本品销售记录从 2024 年 3 月开始，分析期从 2024 年 1 月开始。"
                                  "本品销售记录到 2026 年 6 月为止，分析期到 2026 年 12 月。"),
])
def test_coverage_reading_says_when_own_sales_start_late_or_stop_early(dates, expected):
    cov = review.data_coverage(_data(sales_dates=dates)).query("source != 'events'")
    assert review.coverage_reading(cov, (2024, 2026)) == expected


def test_coverage_reading_groups_the_kinds_that_start_late_in_the_same_month():
    data = _data(sales_dates=("2025-01-01", "2026-12-28"), competitor_dates=("2025-01-01", "2026-12-01"))
    cov = review.data_coverage(data).query("source != 'events'")
    assert review.coverage_reading(cov, (2024, 2026)) == "本品销售、竞品销售记录从 2025 年 1 月开始，分析期从 2024 年 1 月开始。"


def test_coverage_reading_of_a_region_without_sales_gives_no_dates():
    text = review.coverage_reading(review.data_coverage(_data(sales_dates=(), competitor_dates=())), (2024, 2026))
    assert text.startswith("档案中本区域没有本品销售、竞品销售、市场事件的记录：没有本品销售，计划不能以自身历史为依据")
    assert "月开始" not in text and "NaT" not in text


def test_review_summary_names_the_kinds_of_record_missing():
    yearly = pd.DataFrame({"year": [2025, 2026], "revenue": [1e7, 1.2e7], "revenue_growth": [None, 0.2]})
    s = summary.review_summary(yearly, cagr=0.2, findings=pd.DataFrame({"severity": []}), growth_points=pd.DataFrame(),
                               missing=["market", "expenses"])
    assert "销售记录的质量检查没有发现错误或警告。" in s.conclusions
    assert "档案中本区域没有品类容量（市场）、费用的记录，依赖它们的分析无从计算（见第 1 节）。" in s.conclusions
    assert s.decisions == ["补齐品类容量（市场）、费用的记录后重新运行本页。"]
    full = summary.review_summary(yearly, cagr=0.2, findings=pd.DataFrame({"severity": []}), growth_points=pd.DataFrame())
    assert not any("档案中本区域没有" in c for c in full.conclusions) and full.decisions == []


def test_a_kind_kept_at_an_ancestor_is_not_missing():
    import dataclasses
    data = dataclasses.replace(_data(market=False), recorded_above={"market": "K0"})
    cov = review.data_coverage(data)
    assert cov.set_index("source")["recorded_at"].dropna().to_dict() == {"market": "K0"}  # an id without a tree
    assert review.missing_sources(cov) == ["events"] and review.missing_sources(cov, review.PLAN_SOURCES) == []
    text = review.coverage_reading(cov, (2024, 2026))
    assert text.startswith("品类容量（市场）记在上级 K0，不细分到本区域。档案中本区域没有市场事件的记录")
    held = review.coverage_reading(cov.query("source != 'events'"), (2024, 2026))
    assert held == "品类容量（市场）记在上级 K0，不细分到本区域。其余各类记录齐全。"


@pytest.mark.parametrize(("window", "sold", "note"), [
    ((2024, 2026), (2024, 2025, 2026), "分析期 2024–2026 年"),
    ((2024, 2026), (2026,), "分析期 2024–2026 年（本区域的销售只有 2026 年）"),
    ((2024, 2026), (2025, 2026), "分析期 2024–2026 年（本区域的销售只有 2025–2026 年）"),
    ((2024, 2026), (2024, 2026), "分析期 2024–2026 年（本区域的销售只有 2024、2026 年）"),
    ((2024, 2026), (), "分析期 2024–2026 年（本区域在分析期内没有销售记录）"),
    ((2026, 2026), (2026,), "分析期 2026 年"),
    ((2024, 2026), (2023, 2026), "分析期 2024–2026 年（本区域的销售只有 2026 年）"),  # a year outside the window says nothing
])
def test_period_note_says_which_years_of_the_window_have_sales(window, sold, note):
    assert review.period_note(window, sold) == note
