"""
The archive's tables: names, columns, types, keys and header aliases, in one place.

Every other module takes column names and allowed values from here. The archive is
a DuckDB file with the nine tables below (DESIGN.md §3): long, tidy, one row per
fact, dates as the first day of their period, money in the plan currency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "LEVELS",
    "LEVEL_DEPTH",
    "GRAINS",
    "CATEGORIES",
    "CATEGORY_NAMES_ZH",
    "TERMINAL_CLASSES",
    "CHANNELS",
    "ACTIVITY_KINDS",
    "EVENT_KINDS",
    "OWN_BRAND",
    "REGION_ID_PATTERN",
    "is_valid_region_id",
    "TableSpec",
    "TABLES",
    "TABLE_ORDER",
    "HEADER_ALIASES",
    "table_ddl",
]

#: Region levels from the top of the pyramid down.
LEVELS: tuple[str, ...] = ("hq", "province", "city", "county", "township")
LEVEL_DEPTH: dict[str, int] = {lvl: i for i, lvl in enumerate(LEVELS)}

#: Time grains of a sales row; ``date`` is the first day of the period (weeks start Monday).
GRAINS: tuple[str, ...] = ("day", "week", "month")

#: The five expense categories (DOMAIN.md §6).
CATEGORIES: tuple[str, ...] = ("labour", "office", "media", "channel", "promotion")
CATEGORY_NAMES_ZH: dict[str, str] = {
    "labour": "人力成本",
    "office": "办公管理",
    "media": "媒体投放",
    "channel": "渠道费用",
    "promotion": "推广费用",
}

TERMINAL_CLASSES: tuple[str, ...] = ("A", "B", "C", "D")

#: Channels known to the suite; imports accept others (a company's own channel names),
#: these are the ones the demo uses and the reports label.
CHANNELS: dict[str, str] = {
    "supermarket": "商超",
    "restaurant": "餐饮",
    "tobacco_liquor": "烟酒店",
    "convenience": "便利店",
    "group_purchase": "团购",
}

ACTIVITY_KINDS: tuple[str, ...] = ("promotion", "media", "tasting", "display")
EVENT_KINDS: tuple[str, ...] = ("policy", "economy", "disaster", "holiday")

#: ``sales.brand`` for the company's own products; anything else is a competitor brand.
OWN_BRAND = "own"

REGION_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def is_valid_region_id(value: object) -> bool:
    """Return True if ``value`` is a region id that may become a file or folder name."""
    return (
        isinstance(value, str)
        and REGION_ID_PATTERN.fullmatch(value) is not None
        and value not in {".", ".."}
        and ".." not in value
    )


@dataclass(frozen=True)
class TableSpec:
    """
    One archive table.

    Attributes
    ----------
    name : str
        Table name.
    columns : dict
        Column name -> DuckDB type, in table order.
    key : tuple of str
        Columns that identify a row. Key parts listed in ``nullable`` may be NULL,
        meaning "not at that grain"; keys compare NULLs as equal.
    required : tuple of str
        Columns that must be present in an imported file (after header mapping).
    nullable : tuple of str
        Columns that may be empty.
    references : dict
        Column -> (table, column) it must match when not NULL.
    allowed : dict
        Column -> allowed values.
    """

    name: str
    columns: dict[str, str]
    key: tuple[str, ...]
    required: tuple[str, ...]
    nullable: tuple[str, ...] = ()
    references: dict[str, tuple[str, str]] = field(default_factory=dict)
    allowed: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def values(self) -> tuple[str, ...]:
        """Non-key columns."""
        return tuple(c for c in self.columns if c not in self.key)


TABLES: dict[str, TableSpec] = {
    "regions": TableSpec(
        name="regions",
        columns={"region_id": "VARCHAR", "name": "VARCHAR", "level": "VARCHAR", "parent_id": "VARCHAR"},
        key=("region_id",),
        required=("region_id", "name", "level"),
        nullable=("parent_id",),
        references={"parent_id": ("regions", "region_id")},
        allowed={"level": LEVELS},
    ),
    "distributors": TableSpec(
        name="distributors",
        columns={"distributor_id": "VARCHAR", "name": "VARCHAR", "region_id": "VARCHAR", "tier": "INTEGER"},
        key=("distributor_id",),
        required=("distributor_id", "name", "region_id", "tier"),
        references={"region_id": ("regions", "region_id")},
        allowed={"tier": ("1", "2")},
    ),
    "terminals": TableSpec(
        name="terminals",
        columns={
            "terminal_id": "VARCHAR",
            "name": "VARCHAR",
            "region_id": "VARCHAR",
            "terminal_class": "VARCHAR",
            "channel": "VARCHAR",
            "distributor_id": "VARCHAR",
        },
        key=("terminal_id",),
        required=("terminal_id", "name", "region_id", "terminal_class", "channel"),
        nullable=("distributor_id",),
        references={"region_id": ("regions", "region_id"), "distributor_id": ("distributors", "distributor_id")},
        allowed={"terminal_class": TERMINAL_CLASSES},
    ),
    "products": TableSpec(
        name="products",
        columns={
            "sku": "VARCHAR",
            "name": "VARCHAR",
            "product_line": "VARCHAR",
            "spec": "VARCHAR",
            "unit_price": "DOUBLE",
            "unit_variable_cost": "DOUBLE",
        },
        key=("sku",),
        required=("sku", "name", "product_line", "unit_price"),
        nullable=("spec", "unit_variable_cost"),
    ),
    "sales": TableSpec(
        name="sales",
        columns={
            "date": "DATE",
            "grain": "VARCHAR",
            "region_id": "VARCHAR",
            "sku": "VARCHAR",
            "channel": "VARCHAR",
            "brand": "VARCHAR",
            "terminal_id": "VARCHAR",
            "distributor_id": "VARCHAR",
            "volume": "DOUBLE",
            "revenue": "DOUBLE",
        },
        key=("date", "grain", "region_id", "sku", "channel", "brand", "terminal_id", "distributor_id"),
        required=("date", "region_id", "sku", "channel", "volume", "revenue"),
        nullable=("terminal_id", "distributor_id"),
        references={
            "region_id": ("regions", "region_id"),
            "sku": ("products", "sku"),
            "terminal_id": ("terminals", "terminal_id"),
            "distributor_id": ("distributors", "distributor_id"),
        },
        allowed={"grain": GRAINS},
    ),
    "market": TableSpec(
        name="market",
        columns={
            "date": "DATE",
            "region_id": "VARCHAR",
            "product_line": "VARCHAR",
            "market_volume": "DOUBLE",
            "market_revenue": "DOUBLE",
        },
        key=("date", "region_id", "product_line"),
        required=("date", "region_id", "product_line", "market_volume"),
        nullable=("market_revenue",),
        references={"region_id": ("regions", "region_id")},
    ),
    "expenses": TableSpec(
        name="expenses",
        columns={
            "date": "DATE",
            "region_id": "VARCHAR",
            "category": "VARCHAR",
            "item": "VARCHAR",
            "terminal_id": "VARCHAR",
            "amount": "DOUBLE",
        },
        key=("date", "region_id", "category", "item", "terminal_id"),
        required=("date", "region_id", "category", "item", "amount"),
        nullable=("terminal_id",),
        references={"region_id": ("regions", "region_id"), "terminal_id": ("terminals", "terminal_id")},
        allowed={"category": CATEGORIES},
    ),
    "activities": TableSpec(
        name="activities",
        columns={
            "activity_id": "VARCHAR",
            "region_id": "VARCHAR",
            "brand": "VARCHAR",
            "kind": "VARCHAR",
            "start_date": "DATE",
            "end_date": "DATE",
            "cost": "DOUBLE",
            "description": "VARCHAR",
        },
        key=("activity_id",),
        required=("activity_id", "region_id", "brand", "kind", "start_date", "end_date"),
        nullable=("cost", "description"),
        references={"region_id": ("regions", "region_id")},
    ),
    "events": TableSpec(
        name="events",
        columns={"date": "DATE", "region_id": "VARCHAR", "kind": "VARCHAR", "description": "VARCHAR"},
        key=("date", "region_id", "kind"),
        required=("date", "region_id", "kind"),
        nullable=("description",),
        references={"region_id": ("regions", "region_id")},
        allowed={"kind": EVENT_KINDS},
    ),
}

#: Tables in dependency order (a table's references come before it).
TABLE_ORDER: tuple[str, ...] = (
    "regions",
    "distributors",
    "terminals",
    "products",
    "sales",
    "market",
    "expenses",
    "activities",
    "events",
)

#: Header aliases (compared after stripping blanks and lower-casing) -> archive column.
#: Chinese and English headers may be mixed in one file.
HEADER_ALIASES: dict[str, str] = {
    # dates and periods
    "date": "date", "日期": "date", "月份": "date", "月": "date", "期间": "date", "周": "date",
    "period": "date", "month": "date", "week": "date", "年月": "date", "统计日期": "date",
    "grain": "grain", "粒度": "grain", "周期": "grain",
    "start_date": "start_date", "开始日期": "start_date", "开始时间": "start_date",
    "end_date": "end_date", "结束日期": "end_date", "结束时间": "end_date",
    # regions
    "region_id": "region_id", "region": "region_id", "region_code": "region_id",
    "区域编码": "region_id", "区域代码": "region_id", "区域id": "region_id", "地区编码": "region_id",
    "parent_id": "parent_id", "上级编码": "parent_id", "上级区域编码": "parent_id", "上级区域": "parent_id",
    "level": "level", "层级": "level", "级别": "level",
    "name": "name", "名称": "name", "区域名称": "name", "客户名称": "name", "终端名称": "name", "产品名称": "name",
    "经销商名称": "name",
    # products
    "sku": "sku", "产品编码": "sku", "产品代码": "sku", "品规编码": "sku", "sku编码": "sku",
    "product_line": "product_line", "产品线": "product_line", "品类": "product_line", "产品系列": "product_line",
    "spec": "spec", "规格": "spec", "品规": "spec",
    "unit_price": "unit_price", "单价": "unit_price", "出厂价": "unit_price", "价格": "unit_price",
    "unit_variable_cost": "unit_variable_cost", "单位变动成本": "unit_variable_cost", "单位成本": "unit_variable_cost",
    # channels, brands, terminals, distributors
    "channel": "channel", "渠道": "channel", "渠道类型": "channel",
    "brand": "brand", "品牌": "brand",
    "terminal_id": "terminal_id", "terminal": "terminal_id", "终端编码": "terminal_id", "终端代码": "terminal_id",
    "门店编码": "terminal_id",
    "terminal_class": "terminal_class", "终端等级": "terminal_class", "终端级别": "terminal_class",
    "终端类别": "terminal_class", "class": "terminal_class",
    "distributor_id": "distributor_id", "distributor": "distributor_id", "经销商编码": "distributor_id",
    "经销商代码": "distributor_id",
    "tier": "tier", "经销商级别": "tier", "层级数": "tier",
    # measures
    "volume": "volume", "销量": "volume", "数量": "volume", "销售量": "volume", "qty": "volume",
    "quantity": "volume",
    "revenue": "revenue", "销售额": "revenue", "金额": "revenue", "销售金额": "revenue", "sales": "revenue",
    "market_volume": "market_volume", "市场容量": "market_volume", "市场销量": "market_volume",
    "品类销量": "market_volume",
    "market_revenue": "market_revenue", "市场销售额": "market_revenue", "品类销售额": "market_revenue",
    # expenses, activities, events
    "category": "category", "费用类别": "category", "费用大类": "category",
    "item": "item", "费用项目": "item", "费用明细": "item", "项目": "item",
    "amount": "amount", "费用金额": "amount", "费用": "amount",
    "activity_id": "activity_id", "活动编码": "activity_id", "活动编号": "activity_id",
    "kind": "kind", "类型": "kind", "活动类型": "kind", "事件类型": "kind",
    "cost": "cost", "活动费用": "cost", "成本": "cost",
    "description": "description", "说明": "description", "描述": "description", "备注": "description",
}


def table_ddl(name: str) -> str:
    """
    Return the ``CREATE TABLE`` statement of an archive table.

    Single-column keys become PRIMARY KEYs. Composite keys with nullable parts are
    enforced by the importer (NULL-equal comparison), since SQL unique constraints
    treat NULLs as distinct.
    """
    spec = TABLES[name]
    cols = []
    for col, typ in spec.columns.items():
        not_null = "" if col in spec.nullable else " NOT NULL"
        cols.append(f"    {col} {typ}{not_null}")
    if len(spec.key) == 1:
        cols.append(f"    PRIMARY KEY ({spec.key[0]})")
    return f"CREATE TABLE IF NOT EXISTS {name} (\n" + ",\n".join(cols) + "\n)"
