"""The plan's workbooks as a manager opens them: words, units, formats, frozen headers, print setup."""

from __future__ import annotations

import types
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from lxml import etree

from planlib.errors import ParamsError
from planlib.run import excel, folder

MONTHS = pd.date_range("2027-01-01", periods=12, freq="MS")
NAMES = {"HQ": "总部", "K1": "东城区", "K2": "=西城区", "T1": "福满楼烟酒店", "TW1": "城关镇"}


def _targets() -> pd.DataFrame:
    # HQ = K1 + K2 every month; K1 has one named terminal (T1) and its township TW1 one C/D line
    rows = []
    for i, m in enumerate(MONTHS):
        k1, k2 = 10 + i, 20
        rows += [dict(region_id="HQ", level="hq", month=m, target_volume=k1 + k2, target_revenue=5.5 * (k1 + k2)),
                 dict(region_id="K1", level="county", month=m, target_volume=k1, target_revenue=5.5 * k1),
                 dict(region_id="K2", level="county", month=m, target_volume=k2, target_revenue=5.5 * k2),
                 dict(region_id="K1", level="county", month=m, terminal_id="T1", terminal_class="A", target_volume=4,
                      target_revenue=22.0),
                 dict(region_id="TW1", level="county", month=m, terminal_class="CD", target_volume=k1 - 4,
                      target_revenue=5.5 * (k1 - 4))]
    frame = pd.DataFrame(rows)
    for col in ("product_line", "sku", "channel", "terminal_class", "terminal_id", "distributor_id"):
        frame[col] = frame.get(col, pd.Series(None, index=frame.index, dtype=object)).astype(object)
    return frame


def _budget():
    # K1's media by month, a terminal's slotting fee, and the two regions' CVP rows
    table = pd.DataFrame({
        "region_id": ["K1", "K1", "K1", "HQ"], "month": [MONTHS[0], MONTHS[1], MONTHS[0], MONTHS[0]],
        "category": ["media", "media", "channel", "labour"], "item": ["tv", "tv", "slotting", "wages"],
        "terminal_id": [None, None, "T1", None], "amount": [3557876.810000001, 1.5, 800.0, 1000.0]})
    regions = pd.DataFrame({
        "region_id": ["HQ", "K1"], "level": ["hq", "county"], "target_volume": [390.0, 150.0],
        "target_revenue": [2145.0, 825.0], "budget": [3558678.31, 3557878.31], "cap": [4e6, 4e6],
        "expense_ratio": [0.2093739970616866, 0.5], "profit_target": [100.0, 40.0], "profit_at_target": [120.5, -3.0],
        "bep_units": [12.4, np.nan], "margin_of_safety": [0.25, np.nan], "flag": ["both met", "no break-even"]})
    return types.SimpleNamespace(table=table, regions=regions)


def _rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _column(ws, head: str) -> list:
    rows = _rows(ws)
    j = rows[0].index(head)
    return [r[j] for r in rows[1:]]


def _assert_printable(ws, title_cols: str | None):
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9  # A4
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0  # one page wide, as long as it takes
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$1"  # the header on every page
    assert ws.print_title_cols == title_cols
    assert "&P" in ws.oddFooter.center.text


def test_targets_workbook_levels_in_words_with_revenue_profit_and_formats(tmp_path):
    t = _targets()
    path = excel.export_targets_excel(t, tmp_path / "p-targets.xlsx", names=NAMES, profit={"HQ": 99.5, "K1": 40.0})
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["总部", "区县", "终端"]
    ws = book["区县"]
    assert _rows(ws)[0] == ["区域编码", "区域名称", "全年销量（箱）", "全年销售额（元）", "利润目标（元）",
                            *[f"{m}月" for m in range(1, 13)]]
    assert _column(ws, "区域编码") == ["K1", "K2"] and _column(ws, "区域名称") == ["东城区", "=西城区"]
    totals = t[t["terminal_id"].isna() & t["terminal_class"].isna()]
    county = totals[totals["level"] == "county"]
    # each column sums to the targets table's totals of the level; the year is the months' sum
    assert sum(_column(ws, "全年销售额（元）")) == pytest.approx(county["target_revenue"].sum())
    assert _column(ws, "全年销量（箱）") == [sum(10 + i for i in range(12)), 240]
    assert _column(ws, "1月") == [10, 20] and _column(ws, "12月") == [21, 20]
    assert _column(ws, "利润目标（元）") == [40.0, None]  # K2 has no profit target: empty, not 0
    assert _column(book["总部"], "全年销售额（元）") == [pytest.approx(5.5 * sum(30 + i for i in range(12)))]
    row2 = ws[2]
    assert {c.number_format for c in row2[2:]} == {"#,##0"} and row2[0].number_format == "General"
    assert ws.freeze_panes == "C2" and ws.auto_filter.ref == "A1:Q3"
    assert ws["A1"].font.b
    _assert_printable(ws, "$A:$B")
    # the name that looks like a formula is text, shown as written
    assert ws["B3"].data_type == "s" and ws["B3"].quotePrefix and ws["B3"].value == "=西城区"


def test_targets_workbook_without_profit_has_no_profit_column(tmp_path):
    path = excel.export_targets_excel(_targets(), tmp_path / "p-targets.xlsx", names=NAMES)
    heads = _rows(openpyxl.load_workbook(path)["总部"])[0]
    assert "利润目标（元）" not in heads and heads[3] == "全年销售额（元）"


def test_terminal_sheet_names_terminals_and_cd_lines(tmp_path):
    path = excel.export_targets_excel(_targets(), tmp_path / "p-targets.xlsx", names=NAMES)
    ws = openpyxl.load_workbook(path)["终端"]
    rows = _rows(ws)
    assert rows[0][:7] == ["终端编码", "终端名称", "区域编码", "区域名称", "终端等级", "全年销量（箱）", "全年销售额（元）"]
    assert rows[1][:7] == ["T1", "福满楼烟酒店", "K1", "东城区", "A", 48, 264.0]
    assert rows[2][1:5] == ["城关镇 C/D类终端", "TW1", "城关镇", "C/D"] and rows[2][0] is None
    assert rows[2][5] == sum(10 + i - 4 for i in range(12)) == sum(rows[2][7:])
    _assert_printable(ws, "$A:$B")


def test_budget_workbook_words_and_number_formats(tmp_path):
    path = excel.export_budget_excel(_budget(), tmp_path / "p-budget.xlsx", names=NAMES)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["费用 区域×月份", "终端渠道费用", "本量利与双重检查"]
    months = book["费用 区域×月份"]
    assert _rows(months)[0][:4] == ["区域编码", "区域名称", "费用类别", "1月"]
    k1 = {r[2]: r for r in _rows(months)[1:] if r[0] == "K1"}
    assert set(k1) == {"媒体投放", "渠道费用"}
    assert k1["媒体投放"][3] == 3557876.810000001  # the amount as computed; the format rounds what shows
    assert k1["媒体投放"][-1] == pytest.approx(3557878.310000001)
    assert months["D2"].number_format == "#,##0" and months.freeze_panes == "C2"
    fees = book["终端渠道费用"]
    assert _rows(fees) == [["区域编码", "区域名称", "终端编码", "终端名称", "进场费", "合计（元）"],
                           ["K1", "东城区", "T1", "福满楼烟酒店", 800, 800]]
    assert fees.freeze_panes == "E2"
    _assert_printable(fees, "$A:$D")
    cvp = book["本量利与双重检查"]
    heads = _rows(cvp)[0]
    assert heads == ["区域编码", "区域名称", "层级", "目标销量（箱）", "目标销售额（元）", "费用预算（元）", "预算上限（元）",
                     "费用率", "利润目标（元）", "目标下利润（元）", "保本销量（箱）", "安全边际率", "双重检查"]
    assert _column(cvp, "层级") == ["总部", "区县"]
    assert _column(cvp, "双重检查") == ["双达成", "无保本点（单价不高于单位变动成本）"]
    ratio = cvp.cell(row=2, column=heads.index("费用率") + 1)
    assert ratio.value == 0.2093739970616866 and ratio.number_format == "0.0%"
    assert cvp.cell(row=2, column=heads.index("费用预算（元）") + 1).number_format == "#,##0"
    assert cvp.cell(row=3, column=heads.index("保本销量（箱）") + 1).value is None  # no break-even: empty


def test_budget_items_beyond_the_catalogue_take_the_plans_names(tmp_path):
    pb = _budget()
    pb.table.loc[2, "item"] = "shelf_end"
    path = excel.export_budget_excel(pb, tmp_path / "p-budget.xlsx", names=NAMES, items={"shelf_end": "端架费"})
    assert _rows(openpyxl.load_workbook(path)["终端渠道费用"])[0][4] == "端架费"


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x.invalid","点我")', "+1", "-2+3", "@SUM(A1)", "\t=1", " 空格 "])
def test_text_that_looks_like_a_formula_stays_text(tmp_path, text):
    frame = pd.DataFrame({"名称": [text, "普通"], "数": [1, 2]})
    path = excel.write_workbook(tmp_path / "t.xlsx", [excel.Sheet("表", frame)])
    ws = openpyxl.load_workbook(path)["表"]
    assert ws["A2"].value == text and ws["A2"].data_type == "s"
    assert ws["A2"].quotePrefix == text.startswith(excel.FORMULA_TRIGGERS)
    assert not ws["A3"].quotePrefix
    with zipfile.ZipFile(path) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")  # no formula anywhere


def test_write_workbook_parts_are_well_formed_and_repeatable(tmp_path):
    frame = pd.DataFrame({
        "名称 <&>": ["a\x01b", None, "c"], "数": [1.25, np.nan, np.inf], "整数": pd.array([1, None, 3], dtype="Int64"),
        "是否": [True, False, True], "日期": pd.to_datetime(["2027-01-01", "2027-02-01", None]),
        "类别": pd.Categorical(["x", "y", "x"]),
    })
    sheets = [excel.Sheet("甲's", frame, {"数": "0.0%"}, key_columns=0)]
    a = excel.write_workbook(tmp_path / "a.xlsx", sheets).read_bytes()
    b = excel.write_workbook(tmp_path / "b.xlsx", sheets).read_bytes()
    assert a == b  # no timestamps: the same sheets give the same bytes
    with zipfile.ZipFile(tmp_path / "a.xlsx") as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(z.read(name))  # raises unless well-formed
    ws = openpyxl.load_workbook(tmp_path / "a.xlsx")["甲's"]
    assert _rows(ws)[1:] == [["a\ufffdb", 1.25, 1, True, pd.Timestamp("2027-01-01"), "x"],
                             [None, None, None, False, pd.Timestamp("2027-02-01"), "y"],
                             ["c", None, 3, True, None, "x"]]
    assert ws["B2"].number_format == "0.0%" and ws["E2"].number_format == "yyyy-mm-dd"
    assert ws.freeze_panes == "A2" and ws.print_title_cols is None and ws.print_title_rows == "$1:$1"


@pytest.mark.parametrize("title", ["", "a" * 32, "a/b", "[x]"])
def test_write_workbook_refuses_a_bad_sheet_name(tmp_path, title):
    with pytest.raises(ValueError, match="sheet name"):
        excel.write_workbook(tmp_path / "x.xlsx", [excel.Sheet(title, pd.DataFrame({"a": [1]}))])
    assert not (tmp_path / "x.xlsx").exists()


def test_write_workbook_refuses_an_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="unknown number formats"):
        excel.write_workbook(tmp_path / "x.xlsx", [excel.Sheet("a", pd.DataFrame({"a": [1]}), {"a": "0.000"})])


def test_workbook_paths_name_what_they_hold(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    assert [folder.workbook_path(run, "demo-2027", k).name for k in folder.WORKBOOKS] == [
        "demo-2027-targets.xlsx", "demo-2027-budget.xlsx", "demo-2027-tracking.xlsx"]
    with pytest.raises(ParamsError, match="unknown workbook 'plan'"):
        folder.workbook_path(run, "demo-2027", "plan")
