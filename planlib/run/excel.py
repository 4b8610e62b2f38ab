"""
The plan's Excel workbooks: targets and budget for people who live in Excel.

Every text planlib writes to Excel is stored as text, never as a formula
(:func:`store_text_as_text`): a region or terminal name such as
``=HYPERLINK("http://…","点我")`` from the archive shows as written and runs nothing.

Public functions: export_targets_excel, export_budget_excel, store_text_as_text.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from planlib.labels import CATEGORY_NAMES, LEVEL_NAMES
from planlib.run.folder import atomic_path
from planlib.schemas import LEVEL_DEPTH
from planlib.targets import TERMINAL_SHEET, breakdown_of

__all__ = ["FORMULA_TRIGGERS", "export_targets_excel", "export_budget_excel", "store_text_as_text"]


#: A text starting with one of these is read as a formula by a spreadsheet (OWASP, CSV injection).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def store_text_as_text(book) -> None:
    """
    Store every text cell of an openpyxl workbook that a spreadsheet would take for a formula as text.

    A string starting with one of :data:`FORMULA_TRIGGERS` becomes a string cell
    (``data_type "s"``) with Excel's quote prefix, so Excel shows it as written, neither
    evaluating it nor turning it into a formula when the cell is edited. The visible text
    is unchanged. planlib writes no formulas, so every such cell is data. Changes ``book``
    in place (call it just before saving).
    """
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def export_targets_excel(targets: pd.DataFrame, path, *, names: Mapping[str, str]) -> Path:
    """
    Write the targets as a workbook a regional manager reads without the suite.

    Parameters
    ----------
    targets : DataFrame
        From :func:`allocate_plan`.
    path : str or path-like
        The ``.xlsx`` file; written atomically (a temporary file in the same folder, then
        ``os.replace``), so a reader never sees half a workbook.
    names : Mapping
        Display names by region id (and terminal id); missing ids show the id.

    Returns
    -------
    Path

    Notes
    -----
    One sheet per level (总部, 省区, 城市, 区县, 乡镇 as present): a region x month matrix of
    the region totals with the name and an annual total column. Sheet 终端: every named
    A/B terminal x 12 months with its county and class, plus the townships' C/D lines.
    Bold header, frozen panes, thousands-separated number formats. Names are stored as
    text, never as formulas (:func:`store_text_as_text`).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    path = Path(path)
    b = breakdown_of(targets)
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    month_heads = [f"{m}月" for m in range(1, 13)]

    def sheet(title, heads, rows, n_key):
        ws = wb.create_sheet(title)
        ws.append(heads)
        for c in ws[1]:
            c.font = bold
        for r in rows:
            ws.append(r)
        ws.freeze_panes = ws.cell(row=2, column=n_key + 1)
        for j in range(n_key + 1, len(heads) + 1):
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = 11
            for cell in ws[letter][1:]:
                cell.number_format = "#,##0"
        for j in range(1, n_key + 1):
            ws.column_dimensions[get_column_letter(j)].width = 16
        return ws

    tot = targets[b == "total"]
    month_no = pd.DatetimeIndex(tot["month"]).month
    wide = tot.assign(m=month_no).pivot_table(index=["level", "region_id"], columns="m", values="target_volume",
                                              aggfunc="sum", sort=False)
    for level in sorted(tot["level"].unique(), key=lambda lv: LEVEL_DEPTH.get(lv, 99)):
        part = wide.loc[level]
        rows = [[rid, names.get(rid, rid), *[int(v) for v in part.loc[rid].reindex(range(1, 13), fill_value=0)],
                 int(part.loc[rid].sum())] for rid in part.index]
        sheet(LEVEL_NAMES.get(level, level), ["地区编号", "地区名称", *month_heads, "全年"], rows, 2)

    term = targets[b == "terminal"]
    if len(term):
        key = np.where(term["terminal_id"].notna(), term["terminal_id"].astype(str),
                       "CD:" + term["region_id"].astype(str))
        t = term.assign(key=key, m=pd.DatetimeIndex(term["month"]).month)
        wide_t = t.pivot_table(index="key", columns="m", values="target_volume", aggfunc="sum", sort=False)
        info = t.drop_duplicates("key").set_index("key")
        rows = []
        for k in wide_t.index:
            row_info = info.loc[k]
            cd = pd.isna(row_info["terminal_id"])
            rid = row_info["region_id"]
            name = f"{names.get(rid, rid)} C/D类终端" if cd else names.get(k, k)
            vals = [int(v) for v in wide_t.loc[k].reindex(range(1, 13), fill_value=0)]
            rows.append(["" if cd else k, name, rid, names.get(rid, rid), row_info["terminal_class"], *vals, sum(vals)])
        sheet(TERMINAL_SHEET, ["终端编号", "终端名称", "所在地区", "地区名称", "类别", *month_heads, "全年"], rows, 5)

    store_text_as_text(wb)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def export_budget_excel(pb, path, *, names: dict) -> Path:
    """
    The budget for people who live in Excel: category × month per region, terminal fees, the dual check.

    The three sheets (区域×月份 费用, 终端渠道费用, 本量利与双重检查) are added to the workbook at
    ``path`` when it exists (the plan's targets workbook; sheets of the same name are
    replaced), else a workbook is created. Written to a copy, then moved into place; names
    are stored as text, never as formulas (:func:`store_text_as_text`).
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        if path.exists():
            shutil.copyfile(path, tmp)
            writer = pd.ExcelWriter(tmp, engine="openpyxl", mode="a", if_sheet_exists="replace")
        else:
            writer = pd.ExcelWriter(tmp, engine="openpyxl")
        _write_budget_sheets(writer, pb, names)
    return path


def _write_budget_sheets(writer, pb, names) -> None:
    """The budget's three sheets, written through an open ``pd.ExcelWriter`` (closed here)."""
    t = pb.table
    with writer as xw:
        wide = t.assign(月=pd.DatetimeIndex(t["month"]).month).pivot_table(
            index=["region_id", "category"], columns="月", values="amount", aggfunc="sum", fill_value=0.0)
        wide.columns = [f"{m}月" for m in wide.columns]
        wide["全年"] = wide.sum(axis=1)
        wide = wide.reset_index()
        wide.insert(1, "区域", wide["region_id"].map(names))
        wide["category"] = wide["category"].map(CATEGORY_NAMES)
        wide.rename(columns={"region_id": "区域编码", "category": "费用类别"}).to_excel(xw, sheet_name="费用 区域×月份", index=False)
        term = t[t["terminal_id"].notna()]
        if len(term):
            tw = term.groupby(["region_id", "terminal_id", "item"], as_index=False)["amount"].sum().pivot_table(
                index=["region_id", "terminal_id"], columns="item", values="amount", fill_value=0.0)
            tw["合计"] = tw.sum(axis=1)
            tw.reset_index().rename(columns={"region_id": "区域编码", "terminal_id": "终端编码"}).to_excel(
                xw, sheet_name="终端渠道费用", index=False)
        cols = ["region_id", "level", "target_volume", "target_revenue", "budget", "cap", "expense_ratio",
                "profit_target", "profit_at_target", "bep_units", "margin_of_safety", "flag"]
        pb.regions[cols].rename(columns={
            "region_id": "区域编码", "level": "层级", "target_volume": "目标销量", "target_revenue": "目标销售额",
            "budget": "费用预算", "cap": "预算上限", "expense_ratio": "费用率", "profit_target": "利润目标",
            "profit_at_target": "目标下利润", "bep_units": "保本销量", "margin_of_safety": "安全边际", "flag": "双重检查",
        }).to_excel(xw, sheet_name="本量利与双重检查", index=False)
        store_text_as_text(xw.book)
