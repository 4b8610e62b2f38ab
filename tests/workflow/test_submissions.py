"""A submission's cells checked all at once, each bad one named by sheet, row and column letter."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from planlib.workflow import submissions as sub


def _sheets():
    """A filled workbook for K1, plan year 2027: two months of one line, one budget item, one action."""
    info = [("项目", "内容"), ("区域编码", "K1"), ("区域名称", "历城区")]
    targets = [tuple(sub.HEADERS["targets"]),
               (dt.datetime(2027, 1, 1), "白酒", 90, 100, 110, 5500.0),
               (dt.datetime(2027, 2, 1), "白酒", 80, 100, 120, 6000.0)]
    budget = [tuple(sub.HEADERS["budget"]), ("渠道费用", "陈列费", 1000.0, 1200.0), ("媒体投放", "电视", 0, None),
              (None, None, None, None)]
    actions = [tuple(sub.HEADERS["actions"]), ("新开终端", "张三", dt.datetime(2027, 3, 31), 2000, ""),
               (None, None, None, None, None)]
    return {"说明": info, "销量目标": targets, "费用预算": budget, "行动计划": actions}



def _with(changes):
    """The workbook with cells changed: {(sheet, row, column number): value}."""
    base = _sheets()
    for (sheet, row, col), value in changes.items():
        rows = [list(r) for r in base[sheet]]
        rows[row - 1][col - 1] = value
        base[sheet] = [tuple(r) for r in rows]
    return base


def test_column_letter():
    assert [sub.column_letter(c) for c in (1, 5, 26, 27, 52)] == ["A", "E", "Z", "AA", "AZ"]


def test_validate_submission_turns_a_good_workbook_into_the_contract_frames():
    frames, problems = sub.validate_submission(_sheets(), "K1", 2027)
    assert problems == []
    t = frames["targets"]
    assert list(t.columns) == ["region_id", "month", "product_line", "volume", "revenue"]
    assert t["volume"].tolist() == [110, 120] and t["month"].tolist() == [dt.date(2027, 1, 1), dt.date(2027, 2, 1)]
    b = frames["budget"]
    assert b[["category", "item", "amount"]].values.tolist() == [["channel", "display", 1200.0], ["media", "tv", 0.0]]
    a = frames["actions"]
    assert a.to_dict("records") == [{"region_id": "K1", "action": "新开终端", "owner": "张三", "due": dt.date(2027, 3, 31),
                                     "cost": 2000.0, "note": ""}]
    assert sub.annual_volumes(t).to_dict() == {"K1": 230.0}


def test_validate_submission_reports_every_bad_cell_at_once():
    sheets = _with({("销量目标", 2, 5): 1.5, ("销量目标", 3, 6): -1, ("费用预算", 2, 2): "电视",
                    ("行动计划", 2, 3): dt.datetime(2026, 12, 1), ("行动计划", 3, 2): "李四"})
    frames, problems = sub.validate_submission(sheets, "K1", 2027, source="K1.xlsx")
    assert frames == {}
    where = [(p["sheet"], p["row"], p["column"]) for p in problems]
    assert where == [("销量目标", 2, "E"), ("销量目标", 3, "F"), ("费用预算", 2, "B"), ("行动计划", 2, "C"),
                     ("行动计划", 3, "A"), ("行动计划", 3, "C")]
    assert problems[0]["expected"] == "a whole number of cases ≥ 0 (箱)" and problems[0]["value"] == "1.5"
    assert "陈列费" in problems[2]["expected"]  # the items of 渠道费用
    assert problems[0]["file"] == "K1.xlsx"


def test_validate_submission_refuses_another_regions_workbook_and_a_changed_header():
    _, problems = sub.validate_submission(_sheets(), "K2", 2027)
    assert [(p["sheet"], p["row"], p["column"]) for p in problems] == [("说明", 2, "B")]
    _, problems = sub.validate_submission(_with({("销量目标", 1, 5): "数量"}), "K1", 2027)
    assert problems[0]["column"] == "E" and "本区提报销量" in problems[0]["expected"]
    missing = dict(_sheets())
    del missing["行动计划"]
    _, problems = sub.validate_submission(missing, "K1", 2027)
    assert "行动计划" in problems[0]["sheet"]


def test_annual_volumes_of_nothing_is_empty():
    assert sub.annual_volumes(pd.DataFrame(columns=["region_id", "volume"])).empty
