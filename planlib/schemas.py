"""
The archive's tables: names, columns, types, keys and header aliases, in one place.

Every other module takes column names and allowed values from here. The archive is
a DuckDB file with the eleven tables below (DESIGN.md §3): long, tidy, one row per
fact, dates as the first day of their period, money in the plan currency. The nine of the
history (regions … events) and, for tracking a signed plan through its year (#13), the
people who carry it (``people``) and the counted facts their scores are made of
(``person_events``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from planlib.errors import ParamsError
from planlib.labels import CATEGORY_NAMES, CHANNEL_NAMES

__all__ = [
    "LEVELS",
    "LEVEL_DEPTH",
    "GRAINS",
    "CATEGORIES",
    "TERMINAL_CLASSES",
    "CHANNELS",
    "ACTIVITY_KINDS",
    "EVENT_KINDS",
    "OWN_BRAND",
    "PERSON_ROLES",
    "PERSON_EVENT_KINDS",
    "CODE_PATTERN",
    "REGION_ID_PATTERN",
    "is_valid_region_id",
    "TableSpec",
    "TABLES",
    "TABLE_ORDER",
    "HEADER_ALIASES",
    "TABLE_HEADER_ALIASES",
    "table_ddl",
    "ITEM_CATALOGUE",
    "catalogue",
]

#: Region levels from the top of the pyramid down.
LEVELS: tuple[str, ...] = ("hq", "province", "city", "county", "township")
LEVEL_DEPTH: dict[str, int] = {lvl: i for i, lvl in enumerate(LEVELS)}

#: Time grains of a sales row; ``date`` is the first day of the period (weeks start Monday).
GRAINS: tuple[str, ...] = ("day", "week", "month")

#: The five expense categories (DOMAIN.md §6).
CATEGORIES: tuple[str, ...] = ("labour", "office", "media", "channel", "promotion")

TERMINAL_CLASSES: tuple[str, ...] = ("A", "B", "C", "D")

#: Channel codes known to the suite (labels in :data:`planlib.labels.CHANNEL_NAMES`); imports
#: accept others (a company's own channel names).
CHANNELS: tuple[str, ...] = tuple(CHANNEL_NAMES)

ACTIVITY_KINDS: tuple[str, ...] = ("promotion", "media", "tasting", "display")
EVENT_KINDS: tuple[str, ...] = ("policy", "economy", "disaster", "holiday")

#: ``sales.brand`` for the company's own products; anything else is a competitor brand.
OWN_BRAND = "own"

#: A code of the suite's open vocabularies (expense items, ``person_events.kind``): snake_case,
#: a letter first.
CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]*")

#: ``people.role`` codes known to the suite (labels and Chinese spellings in the importer);
#: imports accept other roles as written.
PERSON_ROLES: tuple[str, ...] = ("salesperson", "manager", "promoter", "clerk")

#: ``person_events.kind`` codes known to the suite: counted facts for KPI scoring. Any code
#: matching :data:`CODE_PATTERN` is accepted. ``collection``: money collected in the month;
#: ``collection_due``: money planned (due) to be collected in the month; ``missing_report``:
#: reports not handed in; ``lost_customer`` / ``new_customer``: customers lost / won;
#: ``late_days``: days payments came in later than agreed.
PERSON_EVENT_KINDS: tuple[str, ...] = (
    "collection", "collection_due", "missing_report", "lost_customer", "new_customer", "late_days",
)

REGION_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
#: Device names Windows reserves in every folder, with any extension and in any case.
_RESERVED_NAMES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                            *(f"LPT{i}" for i in range(1, 10))})


def is_valid_region_id(value: object) -> bool:
    """
    Return True if ``value`` is a region id that may become a file or folder name.

    A region id matches ``[A-Za-z0-9][A-Za-z0-9_.-]{0,63}``, holds no ``..``, does not
    end in ``.`` (Windows drops a trailing dot, so ``A.`` would be folder ``A``) and is
    not a reserved device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9), with or without an
    extension, in any case (``con``, ``Nul.txt``). Ids that differ only in case are
    distinct here but name one folder on Windows and macOS; the importer refuses them.
    """
    return (
        isinstance(value, str)
        and REGION_ID_PATTERN.fullmatch(value) is not None
        and ".." not in value
        and not value.endswith(".")
        and value.split(".", 1)[0].upper() not in _RESERVED_NAMES
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
    patterns : dict
        Column -> the pattern (:class:`re.Pattern`) every value must match in full.
    """

    name: str
    columns: dict[str, str]
    key: tuple[str, ...]
    required: tuple[str, ...]
    nullable: tuple[str, ...] = ()
    references: dict[str, tuple[str, str]] = field(default_factory=dict)
    allowed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    patterns: dict[str, re.Pattern] = field(default_factory=dict)

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
    # one row per terminal a person serves, or one row without a terminal when the person
    # carries the region as a whole (a city manager); a person's rows share name, role, region
    "people": TableSpec(
        name="people",
        columns={
            "person_id": "VARCHAR",
            "name": "VARCHAR",
            "role": "VARCHAR",
            "region_id": "VARCHAR",
            "terminal_id": "VARCHAR",
        },
        key=("person_id", "terminal_id"),
        required=("person_id", "name", "role", "region_id"),
        nullable=("terminal_id",),
        references={"region_id": ("regions", "region_id"), "terminal_id": ("terminals", "terminal_id")},
    ),
    # counted facts per person and month: money collected, reports missed, customers lost …
    "person_events": TableSpec(
        name="person_events",
        columns={"date": "DATE", "person_id": "VARCHAR", "kind": "VARCHAR", "value": "DOUBLE"},
        key=("date", "person_id", "kind"),
        required=("date", "person_id", "kind", "value"),
        references={"person_id": ("people", "person_id")},
        patterns={"kind": CODE_PATTERN},
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
    "people",
    "person_events",
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
    # people and their counted facts
    "person_id": "person_id", "person": "person_id", "employee_id": "person_id", "staff_id": "person_id",
    "人员编号": "person_id", "人员编码": "person_id", "工号": "person_id", "员工编号": "person_id",
    "员工编码": "person_id", "业务员编号": "person_id", "业务员编码": "person_id",
    "姓名": "name", "员工姓名": "name", "业务员姓名": "name", "人员姓名": "name",
    "role": "role", "岗位": "role", "职位": "role", "角色": "role", "职务": "role",
    "value": "value", "数值": "value", "值": "value", "次数": "value", "天数": "value",
    "指标": "kind", "事项": "kind", "考核项目": "kind",
    # codes written 编号 rather than 编码
    "区域编号": "region_id", "终端编号": "terminal_id", "门店编号": "terminal_id", "产品编号": "sku",
    "经销商编号": "distributor_id", "上级区域编号": "parent_id",
}

#: Per-table header aliases, read before :data:`HEADER_ALIASES` (a header that means one
#: column in most tables and another in this one): ``数量`` is a volume in sales, a count in
#: ``person_events``; ``金额`` revenue in sales, money collected there.
TABLE_HEADER_ALIASES: dict[str, dict[str, str]] = {
    "person_events": {
        "数量": "value", "金额": "value", "回款金额": "value", "amount": "value", "count": "value",
        "quantity": "value", "qty": "value", "类别": "kind", "考核月份": "date",
    },
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


# -- the expense item catalogue (DOMAIN.md §6) ---------------------------------------------
def _category(category: str, controllability: str, items: dict[str, str]) -> Mapping:
    return MappingProxyType(
        {
            "name_zh": CATEGORY_NAMES[category],
            "controllability": controllability,
            "items": MappingProxyType(dict(items)),
        }
    )


ITEM_CATALOGUE: Mapping[str, Mapping] = MappingProxyType(
    {
        "labour": _category(
            "labour",
            "strong",
            {
                "wages": "工资",
                "welfare": "福利",
                "social_insurance": "社保",
                "training": "培训",
                "recruiting": "招聘",
            },
        ),
        "office": _category(
            "office",
            "strong",
            {
                "rent": "房租",
                "utilities": "水电",
                "office": "办公",
                "telecom": "通讯",
                "meetings": "会议",
                "hospitality": "招待",
                "depreciation": "折旧",
                "bad_debt": "坏账",
                "consumables": "低值易耗品",
                "travel": "差旅",
                "vehicles": "车辆",
                "freight": "运费",
                "taxes": "税金",
            },
        ),
        "media": _category(
            "media",
            "strong",
            {
                "tv": "电视",
                "radio": "电台",
                "newspaper": "报纸",
                "magazine": "杂志",
                "dm": "DM",
                "vehicle_body": "车体",
                "outdoor": "户外",
            },
        ),
        "channel": _category(
            "channel",
            "weak",
            {
                "slotting": "进场费",
                "display": "陈列费",
                "promoter_wages": "促销员工资",
                "event_gifts": "消费者活动赠品",
                "year_end_rebate": "经销商年终返利",
            },
        ),
        "promotion": _category(
            "promotion",
            "weak",
            {
                "promo_materials": "促销物料",
                "temp_promoters": "临时促销员",
                "premiums": "赠品",
            },
        ),
    }
)
"""
The five expense categories of DOMAIN.md §6, in ``schemas.CATEGORIES`` order.

``ITEM_CATALOGUE[category]`` has ``name_zh`` (the category's Chinese name),
``controllability`` (``"strong"``: predictable and controllable — labour, office, media;
``"weak"``: channel and promotion, which follow the terminals and the promotion strategy)
and ``items``, a mapping from the item's snake_case code to its Chinese label. Item codes
are unique across categories and are the codes of the archive's ``expenses.item`` column
(``slotting``, ``display``, ``dm``, ``office`` …). Read-only: a company's extensions belong
in its params and are merged by :func:`catalogue`.
"""


_ITEM_CODE = CODE_PATTERN


def catalogue(extra: Mapping | None = None) -> Mapping[str, Mapping]:
    """
    The item catalogue merged with a company's extension.

    Parameters
    ----------
    extra : mapping, optional
        ``{category: {item_code: label_zh}}`` from the company's params: items the company
        books beyond :data:`ITEM_CATALOGUE` (e.g. ``{"channel": {"shelf_end": "端架费"}}``).
        Naming an item the category already has relabels it.

    Returns
    -------
    Mapping
        Read-only, shaped as :data:`ITEM_CATALOGUE`: per category ``name_zh``,
        ``controllability`` and ``items``, the built-in items first, then the extension's
        in its order. ``ITEM_CATALOGUE`` itself when ``extra`` is None or empty.

    Raises
    ------
    ParamsError
        If a category is unknown (the valid ones are listed), an item code is not
        snake_case, a label is empty, or an item code is used in two categories (the
        code and both categories are named).
    """
    if extra is None or (isinstance(extra, Mapping) and not extra):
        return ITEM_CATALOGUE
    if not isinstance(extra, Mapping):
        raise ParamsError(
            f"the catalogue extension must map category -> {{item_code: label_zh}}, got {type(extra).__name__}"
        )
    unknown = [str(c) for c in extra if c not in ITEM_CATALOGUE]
    if unknown:
        raise ParamsError(
            f"unknown expense categories in the catalogue extension: {', '.join(unknown)}; "
            f"valid categories: {', '.join(ITEM_CATALOGUE)}"
        )
    owner = {code: cat for cat, entry in ITEM_CATALOGUE.items() for code in entry["items"]}
    items = {cat: dict(entry["items"]) for cat, entry in ITEM_CATALOGUE.items()}
    reused = []
    for cat, new in extra.items():
        if new is None:
            continue
        if not isinstance(new, Mapping):
            raise ParamsError(f"catalogue extension of {cat} must map item_code -> label_zh, got {type(new).__name__}")
        for code, label in new.items():
            if not isinstance(code, str) or not _ITEM_CODE.fullmatch(code):
                raise ParamsError(f"item code {code!r} in {cat} must be snake_case (a-z, 0-9, _; a letter first)")
            if not isinstance(label, str) or not label.strip():
                raise ParamsError(f"item {cat}.{code} needs a label, got {label!r}")
            if owner.setdefault(code, cat) != cat:
                reused.append(f"{code} (in {owner[code]} and {cat})")
                continue
            items[cat][code] = label
    if reused:
        raise ParamsError("item codes must be unique across categories; used twice: " + ", ".join(reused))
    return MappingProxyType(
        {cat: _category(cat, entry["controllability"], items[cat]) for cat, entry in ITEM_CATALOGUE.items()}
    )
