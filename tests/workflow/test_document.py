"""The plan document as data and rendered: five sections, exact totals, escaped names, a Word file that opens."""

import datetime as dt

import docx
import numpy as np
import pandas as pd
import pytest

from planlib.present.document import document_html, write_document
from planlib.workflow import document as wd
from tests.conftest import HOSTILE_NAME

MONTHS = pd.to_datetime([f"2027-{m:02d}-01" for m in range(1, 13)])


def _inputs(**over):
    # a county with a hostile name; 12 months of 100..111 cases at 10 元; budget 3 items
    base = dict(
        region_id="K2", name=HOSTILE_NAME, level="county", path_label=f"总部 / {HOSTILE_NAME}",
        plan_title="测试方案", plan_id="tiny-2026", run_id="r1", scenario="base", year=2027,
        yearly=pd.DataFrame({"year": [2025, 2026], "volume": [1000.0, 1100.0], "revenue": [10000.0, 11000.0],
                             "revenue_growth": [None, 0.1], "gross_margin_rate": [0.4, 0.41]}),
        key_figures=[("2026 销售额 revenue", "11,000")],
        brands=pd.DataFrame({"year": [2026, 2026], "brand": ["own", "金潭"], "volume": [1100.0, 900.0],
                             "volume_share": [0.55, 0.45], "volume_growth": [0.1, -0.02]}),
        swot=pd.DataFrame({"box": ["strengths", "threats"], "line": ["份额高于平均", "<b>竞品</b>降价"],
                           "source": ["data", "analyst"]}),
        growth_points=pd.DataFrame({"name": ["餐饮"], "attainable": [120.0]}),
        months=pd.DataFrame({"month": MONTHS, "target_volume": range(100, 112),
                             "target_revenue": [v * 10.0 for v in range(100, 112)]}),
        lines=pd.DataFrame({"product_line": ["白酒", "保健酒"], "target_volume": [900, 366],
                            "target_revenue": [9000.0, 3660.0]}),
        children=pd.DataFrame(columns=["region_id", "name", "target_volume", "target_revenue"]),
        summary={"target_volume": 1266, "target_revenue": 12660.0, "budget": 1800.5, "expense_ratio": 1800.5 / 12660,
                 "profit_target": 3000.0, "profit_at_target": 3100.0, "flag": "both met", "reachable_volume": 1400.0,
                 "profit_tolerance": 10.0, "sales_reachable": True, "bep_units": 500.0},
        budget_items=pd.DataFrame({"category": ["labour", "labour", "promotion"], "item": ["wages", "training", "premiums"],
                                   "amount": [1000.25, 300.0, 500.25]}),
        threshold=0.2,
        milestones=[("一阶段", "2027-06-30", 0.4)],
        rules=pd.DataFrame({"key": ["滚动方式"], "value": ["当月未完成部分滚入下月"]}),
    )
    base.update(over)
    return wd.DocumentInputs(**base)


def _cells(doc, heading):
    section = next(s for s in doc.sections if s.heading == heading)
    return [b for b in section.blocks if isinstance(b, wd.Table)]


def test_plan_document_has_the_five_sections_and_exact_totals():
    doc = wd.plan_document(_inputs(), today=dt.date(2026, 12, 2))
    assert [s.heading for s in doc.sections] == list(wd.SECTION_HEADINGS)
    months = _cells(doc, "二、目标与分解")[0]
    assert months.rows[-1] == ("合计", f"{sum(range(100, 112)):,}", f"{sum(range(100, 112)) * 10:,}")
    assert len(months.rows) == 13 and months.total
    by_cat = _cells(doc, "四、费用预算与双重检查")[0]
    assert by_cat.rows[-1][:2] == ("合计", "1,800.50")  # to the fen: the budget table's own total
    assert [r[0] for r in by_cat.rows] == ["人力成本", "推广费用", "合计"]
    assert doc.signature == ("编制", "审核", "批准")


def test_without_a_workflow_the_strategy_section_says_so():
    doc = wd.plan_document(_inputs())
    text = [b.text for b in doc.sections[2].blocks if isinstance(b, wd.Paragraph)]
    assert any("尚无下级上报" in t for t in text)
    assert text[0] == "总体思路：目标销量比 2026 年的 1,100 箱增长 15.1%；增量主要来自餐饮。"  # 1266 / 1100 − 1
    actions = pd.DataFrame({"region_id": ["K2"], "name": ["县"], "action": ["堆头"], "owner": ["张三"],
                            "due": [pd.Timestamp("2027-01-20")], "cost": [900.25], "note": [""]})
    doc = wd.plan_document(_inputs(actions=actions))
    table = _cells(doc, "三、策略与战术")[0]
    assert table.rows == (("县", "堆头", "张三", "2027-01-20", "900", ""),)


def test_control_schedule_months_quarters_half_year_and_milestones():
    sched = wd.control_schedule(2027, [("一阶段", "2027-06-30", 0.4)])
    assert len(sched) == 12 + 4 + 1 + 1
    assert sched["date"].iloc[0] == "2027-02-05" and sched["date"].iloc[-1] == "2028-01-10"
    assert sched["date"].is_monotonic_increasing
    assert "40%" in sched.loc[sched["date"] == "2027-06-30", "what"].iloc[0]


def test_html_escapes_names_and_loads_nothing():
    page = document_html(wd.plan_document(_inputs()))
    assert "<script>" not in page and "<img" not in page and "<b>竞品" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;竞品" in page
    assert "http://" not in page and "https://" not in page and "src=" not in page.replace("src=x", "")
    for heading in wd.SECTION_HEADINGS:
        assert f"<h2>{heading}</h2>" in page


def test_word_file_opens_with_the_headings_and_totals(tmp_path):
    page, word = write_document(wd.plan_document(_inputs()), tmp_path)
    assert (page.name, word.name) == ("K2-plan.html", "K2-plan.docx")
    d = docx.Document(str(word))
    headings = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert headings == list(wd.SECTION_HEADINGS)
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    assert f"{sum(range(100, 112)):,}" in cells and "1,800.50" in cells
    assert any(HOSTILE_NAME in p.text for p in d.paragraphs)  # plain text in Word, never markup
    assert any("编制" in c for c in cells) and any("批准" in c for c in cells)


@pytest.mark.parametrize("flag, word", [("both met", "双达成"), ("no break-even", "无保本点")])
def test_dual_check_verdict_in_chinese(flag, word):
    doc = wd.plan_document(_inputs(summary={**_inputs().summary, "flag": flag}))
    dual = _cells(doc, "四、费用预算与双重检查")[-1]
    assert dual.rows[-1][0] == "结论" and dual.rows[-1][1].startswith(word)


def test_status_rows_of_the_region_and_its_children_only_missing_values_as_dashes():
    status = pd.DataFrame({"region_id": ["K2", "K2T01"], "status": ["approved", "not_submitted"],
                           "by": ["李四", np.nan], "at": ["2026-12-02T05:15:10+00:00", np.nan]})
    doc = wd.plan_document(_inputs(status=status, actions=pd.DataFrame(
        columns=["region_id", "name", "action", "owner", "due", "cost", "note"])))
    table = _cells(doc, "三、策略与战术")[0]
    assert table.rows == (("K2", "已批准", "李四", "2026-12-02 05:15"),)  # the township below the plan is not listed
    unnamed = wd.plan_document(_inputs(region_id="K9", status=status.assign(region_id=["K9", "K9T01"]).iloc[[0]].assign(
        by=[np.nan], at=[None]), actions=pd.DataFrame(columns=["region_id", "name", "action", "owner", "due", "cost", "note"])))
    assert _cells(unnamed, "三、策略与战术")[0].rows == (("K9", "已批准", "—", "—"),)


def test_the_targets_paragraph_states_the_product_lines_revenue_gap_exactly():
    total = sum(v * 10.0 for v in range(100, 112))  # 12,660 元
    assert total == 12660.0
    text = wd.plan_document(_inputs()).sections[1].blocks[0].text  # the lines sum to 12,660: no gap
    assert "各产品线销售额之和也等于总额" in text
    lines = pd.DataFrame({"product_line": ["白酒", "保健酒"], "target_volume": [900, 366],
                          "target_revenue": [9259.0, 3660.0]})
    text = wd.plan_document(_inputs(lines=lines)).sections[1].blocks[0].text
    assert "产品线合计比总额多 259 元" in text


def test_names_with_control_characters_are_written_without_them(tmp_path):
    # an archive written by another tool: a county, a competitor, a product line and a SWOT line holding C0 controls
    name = "历城\x0b区\x01"
    inputs = _inputs(name=name, path_label=f"总部 / {name}",
                     brands=pd.DataFrame({"year": [2026, 2026], "brand": ["own", "金\x1a潭"], "volume": [1100.0, 900.0],
                                          "volume_share": [0.55, 0.45], "volume_growth": [0.1, -0.02]}),
                     lines=pd.DataFrame({"product_line": ["白\x0c酒", "保健酒"], "target_volume": [900, 366],
                                         "target_revenue": [9000.0, 3660.0]}),
                     swot=pd.DataFrame({"box": ["strengths"], "line": ["份额\x07高于平均\t（甲）"], "source": ["data"]}))
    page, word = write_document(wd.plan_document(inputs), tmp_path)
    d = docx.Document(str(word))
    texts = [p.text for p in d.paragraphs] + [c.text for t in d.tables for row in t.rows for c in row.cells]
    everything = "".join(texts)
    assert not any(ch in everything for ch in "\x00\x01\x07\x0b\x0c\x1a")
    assert any("历城区" in t for t in texts) and "白酒" in texts and "份额高于平均\t（甲）" in everything  # tab kept
    html_text = page.read_text(encoding="utf-8")
    assert "历城区" in html_text and "白酒" in html_text and not any(ch in html_text for ch in "\x01\x07\x0b\x0c\x1a")
