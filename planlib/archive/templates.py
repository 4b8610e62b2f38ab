"""
Import templates: one Excel workbook per archive table for a company starting from its own files.

A template's first sheet has the table's columns under the Chinese headers the importer
reads (:data:`planlib.schemas.HEADER_ALIASES`), required columns first, and one example row
that imports as it stands; its second sheet, 说明, says per column whether it is required,
what it holds and which values it takes. Filled in and imported in :data:`TABLE_ORDER`
(``planlib archive import ARCHIVE TABLE FILE``), the examples of all eleven tables make a
small archive (a test does exactly that).

Public functions: template_columns, write_import_templates.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planlib.schemas import HEADER_ALIASES, TABLE_HEADER_ALIASES, TABLE_ORDER, TABLES

__all__ = ["COLUMN_HEADERS", "COLUMN_NOTES", "EXAMPLES", "template_columns", "write_import_templates"]

#: The Chinese header a template writes for each archive column (one the importer maps back).
COLUMN_HEADERS: dict[str, str] = {
    "date": "日期", "grain": "粒度", "region_id": "区域编码", "name": "名称", "level": "层级",
    "parent_id": "上级区域编码", "distributor_id": "经销商编码", "tier": "经销商级别",
    "terminal_id": "终端编码", "terminal_class": "终端等级", "channel": "渠道", "sku": "产品编码",
    "product_line": "产品线", "spec": "规格", "unit_price": "单价", "unit_variable_cost": "单位变动成本",
    "brand": "品牌", "volume": "销量", "revenue": "销售额", "market_volume": "市场容量",
    "market_revenue": "市场销售额", "category": "费用类别", "item": "费用项目", "amount": "费用金额",
    "activity_id": "活动编码", "kind": "类型", "start_date": "开始日期", "end_date": "结束日期",
    "cost": "活动费用", "description": "说明", "person_id": "人员编号", "role": "岗位", "value": "数值",
}

#: What each column holds, in words (the 说明 sheet).
COLUMN_NOTES: dict[str, str] = {
    "date": "期间的第一天（月度数据写当月1日，如 2026-03-01；也可写 2026-03 或 2026年3月）",
    "grain": "时间粒度：月 month / 周 week / 日 day；不填为月",
    "region_id": "区域编码：字母或数字开头，字母、数字、_ . - 组成，最多64位；文件夹名用它，不用名称",
    "name": "名称（任意文字，可为中文）",
    "level": "层级：hq 总部 / province 省 / city 市 / county 县 / township 乡镇",
    "parent_id": "上级区域编码；总部留空",
    "distributor_id": "经销商编码（须在经销商表中）；不经经销商留空",
    "tier": "1 = 一级经销商，2 = 二级分销商",
    "terminal_id": "终端编码（须在终端表中）；不到终端粒度留空",
    "terminal_class": "终端等级 A / B / C / D",
    "channel": "渠道：如 餐饮 restaurant、商超 supermarket、烟酒店 tobacco_liquor、团购 group_purchase",
    "sku": "产品编码（须在产品表中）",
    "product_line": "产品线（如 高端、中端、大众）",
    "spec": "规格（如 500ml×6）",
    "unit_price": "单价（元/箱）",
    "unit_variable_cost": "单位变动成本（元/箱）；不填则按行业默认毛利估算并提示",
    "brand": "品牌：本品写 own 或 本品；竞品写其品牌名；不填为本品",
    "volume": "销量（箱）；表头可注单位，如 销量（千箱）",
    "revenue": "销售额（元）；表头可注单位，如 销售额（万元）",
    "market_volume": "该品类当地市场总销量（箱）",
    "market_revenue": "该品类当地市场总销售额（元）",
    "category": "费用类别：labour 人员、office 办公、media 媒体、channel 渠道、promotion 促销",
    "item": "费用项目（小写英文代码，如 wages、rent、tv、display、premiums）",
    "amount": "金额（元）",
    "activity_id": "活动编码（唯一）",
    "kind": "类型（活动：promotion 促销 / media 媒体 / tasting 品鉴 / display 陈列；"
            "事件：policy / economy / disaster / holiday；考核事项：如 collection 回款、missing_report 缺报）",
    "start_date": "开始日期",
    "end_date": "结束日期",
    "cost": "活动费用（元）",
    "description": "说明（任意文字）",
    "person_id": "人员编号（工号）",
    "role": "岗位：salesperson 业务员 / manager 经理 / promoter 促销员 / clerk 内勤",
    "value": "数值（次数、天数或金额）",
}

#: One example row per table; imported in TABLE_ORDER they reference each other.
EXAMPLES: dict[str, dict[str, object]] = {
    "regions": {"region_id": "HQ", "name": "总部", "level": "hq", "parent_id": None},
    "distributors": {"distributor_id": "D001", "name": "示例经销商", "region_id": "HQ", "tier": 1},
    "terminals": {"terminal_id": "T0001", "name": "示例酒店", "region_id": "HQ", "terminal_class": "A",
                  "channel": "restaurant", "distributor_id": "D001"},
    "products": {"sku": "S01", "name": "示例酒 500ml", "product_line": "中端", "spec": "500ml×6",
                 "unit_price": 600.0, "unit_variable_cost": 330.0},
    "sales": {"date": "2026-03-01", "grain": "month", "region_id": "HQ", "sku": "S01", "channel": "restaurant",
              "brand": "own", "terminal_id": "T0001", "distributor_id": "D001", "volume": 120.0,
              "revenue": 72000.0},
    "market": {"date": "2026-03-01", "region_id": "HQ", "product_line": "中端", "market_volume": 900.0,
               "market_revenue": 540000.0},
    "expenses": {"date": "2026-03-01", "region_id": "HQ", "category": "labour", "item": "wages",
                 "terminal_id": None, "amount": 18000.0},
    "activities": {"activity_id": "A001", "region_id": "HQ", "brand": "own", "kind": "tasting",
                   "start_date": "2026-09-01", "end_date": "2026-09-30", "cost": 60000.0,
                   "description": "中秋品鉴会"},
    "events": {"date": "2026-02-01", "region_id": "HQ", "kind": "holiday", "description": "春节"},
    "people": {"person_id": "E001", "name": "张三", "role": "salesperson", "region_id": "HQ",
               "terminal_id": "T0001"},
    "person_events": {"date": "2026-03-01", "person_id": "E001", "kind": "collection", "value": 70000.0},
}


def _maps_back(table: str, column: str) -> bool:
    header = COLUMN_HEADERS[column]
    return TABLE_HEADER_ALIASES.get(table, {}).get(header, HEADER_ALIASES.get(header)) == column


def template_columns(table: str) -> pd.DataFrame:
    """
    A table's template columns: required ones first, then the optional ones, in table order.

    Parameters
    ----------
    table : str
        An archive table (:data:`planlib.schemas.TABLE_ORDER`).

    Returns
    -------
    pandas.DataFrame
        column (the archive's name), header (the Chinese header written), required (bool),
        note (what it holds), example (the example row's value).

    Raises
    ------
    KeyError
        ``table`` is not an archive table.
    """
    spec = TABLES[table]
    cols = [c for c in spec.columns if c in spec.required] + [c for c in spec.columns if c not in spec.required]
    example = EXAMPLES[table]
    return pd.DataFrame({
        "column": cols,
        "header": [COLUMN_HEADERS[c] if _maps_back(table, c) else c for c in cols],
        "required": [c in spec.required for c in cols],
        "note": [COLUMN_NOTES[c] for c in cols],
        "example": [example.get(c) for c in cols],
    })


def write_import_templates(folder: str | Path, tables: tuple[str, ...] = TABLE_ORDER) -> list[Path]:
    """
    Write ``<table>.xlsx`` import templates into ``folder`` (created if missing).

    Each workbook: sheet ``数据`` with the Chinese headers (required columns bold, a light fill)
    and the example row, the header frozen and column widths set; sheet ``说明`` listing each
    column's header, archive name, 必填/可选 and what it holds. A file already there is
    replaced only once the new one is complete (written beside it, then renamed).

    Returns
    -------
    list of pathlib.Path
        The files written, in ``tables`` order.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for table in tables:
        cols = template_columns(table)
        wb = Workbook()
        ws = wb.active
        ws.title = "数据"
        ws.append(list(cols["header"]))
        ws.append(["" if v is None else v for v in cols["example"]])
        for j, req in enumerate(cols["required"], start=1):
            cell = ws.cell(row=1, column=j)
            cell.font = Font(bold=bool(req))
            if req:
                cell.fill = PatternFill("solid", fgColor="FFF2CC")
            ws.column_dimensions[cell.column_letter].width = max(12, 2 * len(str(cell.value)) + 4)
            if isinstance(ws.cell(row=2, column=j).value, str):
                ws.cell(row=2, column=j).number_format = "@"
        ws.freeze_panes = "A2"
        notes = wb.create_sheet("说明")
        notes.append(["表头", "字段", "必填", "说明"])
        for row in cols.itertuples(index=False):
            notes.append([row.header, row.column, "必填" if row.required else "可选", row.note])
        for letter, width in zip("ABCD", (16, 20, 8, 80)):
            notes.column_dimensions[letter].width = width
        notes.freeze_panes = "A2"
        path = out / f"{table}.xlsx"
        tmp = out / f".{table}.xlsx.tmp"
        wb.save(tmp)
        tmp.replace(path)
        written.append(path)
    return written
