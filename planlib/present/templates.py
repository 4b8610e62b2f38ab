"""
The submission workbook a region's manager fills in (上行方式), written with openpyxl.

Sheets (:data:`planlib.workflow.submissions.SHEETS`): 说明, 销量目标 (last year and the top-down
proposal by month and product line; the region's own volume and revenue to fill in, prefilled
with the proposal), 费用预算 (every catalogue item with the top-down budget; the request to
fill in; a few blank rows with lists of categories and items), 行动计划 (事项, 负责人, 完成日期,
费用, 备注). Headers in Chinese, number formats, data validation on every input cell, the other
cells protected (no password: it guards against slips, not people), headers frozen.

Public functions: template_rows, write_template.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from planlib.run import folder
from planlib.workflow.submissions import (
    ACTION_ROWS,
    EXTRA_BUDGET_ROWS,
    HEADERS,
    INFO_ROWS,
    SHEETS,
    column_letter,
    item_choices,
)

__all__ = ["template_rows", "write_template"]

_INPUT = PatternFill("solid", fgColor="FFF2CC")
_HEAD = Font(bold=True)
_WHOLE = "#,##0"
_MONEY = "#,##0.00"


def template_rows(targets: pd.DataFrame, budget: pd.DataFrame | None, region: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """
    The rows a region's template shows, from a run's targets and budget tables.

    Returns
    -------
    (DataFrame, DataFrame)
        month, product_line, last_year_volume, target_volume, target_revenue (the region's
        product-line rows, by month then line); and category, item, amount (its annual
        top-down budget per catalogue item, 0 where the run has none or no budget).
    """
    kinds = [c for c in ("sku", "channel", "terminal_class", "terminal_id", "distributor_id") if c in targets.columns]
    t = targets[(targets["region_id"].astype(str) == region) & targets["product_line"].notna()
                & targets[kinds].isna().all(axis=1)]
    rows = t[["month", "product_line", "last_year_volume", "target_volume", "target_revenue"]].copy()
    rows["product_line"] = rows["product_line"].astype(str)
    rows["month"] = pd.to_datetime(rows["month"]).dt.date
    rows = rows.sort_values(["month", "product_line"], ignore_index=True)
    items = pd.DataFrame([(c, i) for c, i, _, _ in item_choices()], columns=["category", "item"])
    if budget is not None and not budget.empty:
        b = budget[budget["region_id"].astype(str) == region]
        b = b.groupby(["category", "item"], as_index=False, observed=True)["amount"].sum()
        b["category"] = b["category"].astype(str)
        b["item"] = b["item"].astype(str)
        items = items.merge(b, on=["category", "item"], how="left")
    else:
        items["amount"] = 0.0
    items["amount"] = items["amount"].fillna(0.0).astype("float64")
    return rows, items


def _header(ws, names: list[str], widths: list[int]) -> None:
    for c, (name, w) in enumerate(zip(names, widths), start=1):
        cell = ws.cell(row=1, column=c, value=name)
        cell.font = _HEAD
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        ws.column_dimensions[column_letter(c)].width = w
    ws.freeze_panes = "A2"


def _unlock(cell, fmt: str | None = None) -> None:
    cell.protection = Protection(locked=False)
    cell.fill = _INPUT
    if fmt:
        cell.number_format = fmt


def _validation(ws, kind: str, rng: str, title: str, prompt: str, **kw) -> None:
    dv = DataValidation(type=kind, allow_blank=kw.pop("allow_blank", False), showErrorMessage=True,
                        showInputMessage=True, errorTitle=title, error=prompt, promptTitle=title, prompt=prompt, **kw)
    dv.add(rng)
    ws.add_data_validation(dv)


def write_template(path: str | os.PathLike[str], *, region: str, name: str, plan_id: str, title: str, year: int,
                   run_id: str, targets: pd.DataFrame, budget: pd.DataFrame) -> Path:
    """
    Write one region's submission workbook (atomically).

    Parameters
    ----------
    path : path-like
        The .xlsx to write.
    region, name : str
        The region's id and name.
    plan_id, title : str
        The plan's id and title.
    year : int
        The plan year (months and due dates are validated in it).
    run_id : str
        The run whose top-down numbers the template shows.
    targets, budget : DataFrame
        :func:`template_rows`.

    Returns
    -------
    Path
    """
    wb = Workbook()
    info = wb.active
    info.title = SHEETS["info"]
    info["A1"], info["B1"] = "项目", "内容"
    labels = {"region_id": "区域编码", "name": "区域名称", "plan_id": "方案编码", "year": "方案年度",
              "run_id": "上级建议来自运行"}
    values = {"region_id": region, "name": name, "plan_id": plan_id, "year": year, "run_id": run_id}
    for key, row in INFO_ROWS.items():
        info.cell(row=row, column=1, value=labels[key])
        info.cell(row=row, column=2, value=values[key])
    info.cell(row=8, column=1, value="填写说明")
    info.cell(row=8, column=2, value=f"{title}：黄色单元格为填写处；销量为整数（箱），金额单位为元，日期在 {year} 年内。"
                                     "填好后交回，由 planlib plan submit 导入。")
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 70
    info.protection.sheet = True

    ws = wb.create_sheet(SHEETS["targets"])
    _header(ws, HEADERS["targets"], [12, 12, 14, 16, 18, 20])
    for r, row in enumerate(targets.itertuples(index=False), start=2):
        ws.cell(row=r, column=1, value=row.month).number_format = "yyyy-mm"
        ws.cell(row=r, column=2, value=row.product_line)
        ws.cell(row=r, column=3, value=float(row.last_year_volume) if pd.notna(row.last_year_volume) else None
                ).number_format = _WHOLE
        ws.cell(row=r, column=4, value=int(row.target_volume)).number_format = _WHOLE
        _unlock(ws.cell(row=r, column=5, value=int(row.target_volume)), _WHOLE)
        _unlock(ws.cell(row=r, column=6, value=round(float(row.target_revenue), 2)), _MONEY)
    last = max(2, len(targets) + 1)
    _validation(ws, "whole", f"E2:E{last}", "销量", "请填写不小于 0 的整数（箱）", operator="greaterThanOrEqual",
                formula1="0")
    _validation(ws, "decimal", f"F2:F{last}", "销售额", "请填写不小于 0 的金额（元）", operator="greaterThanOrEqual",
                formula1="0")
    ws.protection.sheet = True

    choices = wb.create_sheet(SHEETS["choices"])
    cats = list(dict.fromkeys(cn for _, _, cn, _ in item_choices()))
    for r, cn in enumerate(cats, start=1):
        choices.cell(row=r, column=1, value=cn)
    items = [iname for _, _, _, iname in item_choices()]
    for r, iname in enumerate(items, start=1):
        choices.cell(row=r, column=2, value=iname)
    choices.sheet_state = "hidden"
    choices.protection.sheet = True

    ws = wb.create_sheet(SHEETS["budget"])
    _header(ws, HEADERS["budget"], [14, 18, 16, 18])
    names = {(c, i): (cn, iname) for c, i, cn, iname in item_choices()}
    r = 1
    for r, row in enumerate(budget.itertuples(index=False), start=2):
        cn, iname = names.get((row.category, row.item), (row.category, row.item))
        ws.cell(row=r, column=1, value=cn)
        ws.cell(row=r, column=2, value=iname)
        ws.cell(row=r, column=3, value=round(float(row.amount), 2)).number_format = _MONEY
        _unlock(ws.cell(row=r, column=4, value=round(float(row.amount), 2)), _MONEY)
    first_extra, last_extra = r + 1, r + EXTRA_BUDGET_ROWS
    for rr in range(first_extra, last_extra + 1):
        for c in (1, 2):
            _unlock(ws.cell(row=rr, column=c))
        _unlock(ws.cell(row=rr, column=4), _MONEY)
    quoted = f"'{SHEETS['choices']}'"
    _validation(ws, "list", f"A{first_extra}:A{last_extra}", "费用类别", "请从列表中选择费用类别",
                formula1=f"{quoted}!$A$1:$A${len(cats)}", allow_blank=True)
    _validation(ws, "list", f"B{first_extra}:B{last_extra}", "费用项目", "请从列表中选择费用项目",
                formula1=f"{quoted}!$B$1:$B${len(items)}", allow_blank=True)
    _validation(ws, "decimal", f"D2:D{last_extra}", "申请金额", "请填写不小于 0 的金额（元）",
                operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    ws.protection.sheet = True

    ws = wb.create_sheet(SHEETS["actions"])
    _header(ws, HEADERS["actions"], [36, 12, 14, 16, 30])
    end = ACTION_ROWS + 1
    for rr in range(2, end + 1):
        for c, fmt in ((1, None), (2, None), (3, "yyyy-mm-dd"), (4, _MONEY), (5, None)):
            _unlock(ws.cell(row=rr, column=c), fmt)
    _validation(ws, "date", f"C2:C{end}", "完成日期", f"请填写 {year} 年内的日期", operator="between",
                formula1=f"DATE({year},1,1)", formula2=f"DATE({year},12,31)", allow_blank=True)
    _validation(ws, "decimal", f"D2:D{end}", "费用", "请填写不小于 0 的金额（元）", operator="greaterThanOrEqual",
                formula1="0", allow_blank=True)
    _validation(ws, "textLength", f"A2:B{end}", "事项/负责人", "请填写 1 至 200 字", operator="between",
                formula1="1", formula2="200", allow_blank=True)
    ws.protection.sheet = True
    wb.active = 1

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with folder.atomic_path(path) as tmp:
        wb.save(tmp)
    return path
