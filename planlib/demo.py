"""
A deterministic synthetic company: 康源酒业, a liquor and health-wine maker.

:func:`build_demo` writes a complete information archive (the nine tables of
DESIGN.md §3 plus ``planlib_meta``) to one DuckDB file, so that every notebook,
the batch and the quality report can be shown end to end without real data.
The same seed always gives the same tables.

The company
-----------
- Regions: 总部 (``HQ``) → provinces (``P01`` 山东省 …) → cities (``P01C01`` 济南市)
  → counties (``P01C01K01`` 历城区) → 2–4 townships each (``P01C01K01T01`` …镇).
  ``scale="small"``: 4 provinces, 10 cities, 42 counties (fixed layout, real names).
  ``scale="national"``: 31 provinces, ~330 cities, ~2,800 counties with three-digit
  city and county codes (``P01C001K001``).
- Terminals (``T000001`` …, e.g. 鑫源烟酒店, 华联超市): ~2,000 (small) or ~100,000
  (national) in townships or county seats; classes A–D (5/15/30/50 %) follow each
  terminal's sales level, except ~3 % recorded one class off, as in real archives;
  channels from :data:`planlib.schemas.CHANNELS`, ``group_purchase`` included.
- Distributors: tier 1 per city, tier 2 per county (plus a few extra, two of which
  sell nothing at small scale); every terminal is served by one.
- Products: 12 own SKUs in three lines (白酒, 保健酒, 低度酒; prefixes ``KY-BJ``,
  ``KY-YS``, ``KY-DD``); competitors 金潭 (``JT-``) and 古泉 (``GQ-``) with three
  SKUs each and no variable cost. Volume is in cases (箱), prices per case.

The history
-----------
``years`` full calendar years (default 2024–2026, so the demo plans 2027; fixed, not
taken from today, so the same seed always builds the same archive), monthly:

- own sales per terminal × SKU (each terminal sells a subset: 3–5 SKUs small,
  2–4 national) with trend (regional growth, some counties declining), seasonality
  (Spring Festival demand in the 21 days before the lunar new year, ramping up
  towards it, so the monthly peak moves between January and February with the
  real calendar; Mid-Autumn and National Day peaks; a summer high for 低度酒),
  activity lifts, events and noise. Revenue = volume × price × (1 − discount),
  discount uniform in [0, 6 %).
- weekly own sales (``grain='week'``, Monday dates) for core terminals, spread from
  the monthly figures by daily demand: A and B terminals at small scale, A only at
  national scale (to bound size).
- competitor sales per county × competitor SKU × channel (3 channels per county and
  brand, terminal_id NULL, distributor_id set for ~40 %); ~5 % of counties have no
  competitor data in the first year (a collection gap the quality report shows).
- market per county × product line: own share 15–40 % by region,
  market_volume ≥ 1.02 × (own + competitor) on the clean data.
- expenses in all five categories (DOMAIN.md §6) per county, plus city, province
  and HQ items and terminal-level channel fees (display, promoter wages, slotting)
  for core terminals; about 20 % of revenue.
- activities: own promotions, tastings, displays per county and media campaigns per
  province, lifting sales in their window by ``beta * log1p(cost / scale)``
  (diminishing returns); ~12 % of own activities have no effect at all
  (:attr:`DemoSummary.ineffective_activities`) so later analysis can show spend
  that did not pay. Competitor activities lift competitor sales.
- events: Spring Festival, Mid-Autumn and National Day (HQ, ``holiday``), a
  限酒令 in 河南省 (``P02``) from March of year 2 cutting group-purchase sales by
  45 %, an economic slowdown (−5 %, July of year 2 to March of year 3) and a flood
  in one county (July of year 1, −40 % that month).

Planted defects
---------------
Seven small, deterministic faults in the monthly own sales (:data:`PLANTED_DEFECTS`,
dates given for a history starting in 2023 and shifted with ``start_year``;
:func:`planted_defects` resolves them for a build, naming the terminal where one is
involved; region ids are the small layout's and map to ``P01C001K002`` style
nationally):

(a) ``missing_month`` 平阴县 ``P01C01K02`` × 白酒, 2024-03: the rows are deleted.
(b) ``duplicate_upload`` 中牟县 ``P02C01K01``, 2023-06: every row's volume and revenue doubled.
(c) ``outlier`` in 寿光市 ``P01C02K01``, ``KY-BJ-01``, 2024-06: one terminal's volume ×20.
(d) ``price_typo`` in 正定县 ``P03C01K02``, ``KY-YS-01``, 2023-08: revenue 100 × volume × price.
(e) ``series_stop`` in 偃师区 ``P02C02K01``: one terminal stops buying from 2024-09.
(f) ``level_shift`` 丰县 ``P04C01K01``: volume halves from 2024-05 on.
(g) ``volume_without_revenue`` in 涿州市 ``P03C02K01``, ``KY-DD-01``, 2024-02: revenue 0.

Each entry's ``check`` names the :mod:`planlib.quality` check that should find it.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from planlib import calendar as cal
from planlib.archive import refresh_summaries
from planlib.errors import ParamsError
from planlib.labels import HOLIDAY_NAMES
from planlib.schemas import CHANNELS, TABLE_ORDER, TABLES, table_ddl

__all__ = [
    "SCALES",
    "PLANTED_DEFECTS",
    "DemoSummary",
    "build_demo",
    "planted_defects",
    "DEFAULT_SEED",
    "DEFAULT_START_YEAR",
]

DEFAULT_SEED = 20261127

#: Known scales and what they build.
SCALES: dict[str, str] = {
    "small": "4 provinces, 42 counties, ~2,000 terminals, weekly for A/B terminals",
    "national": "31 provinces, ~2,800 counties, ~100,000 terminals, weekly for A terminals",
}

_DEFECT_BASE_YEAR = 2023
#: First year of the demo history when none is given: 2024–2026, planned for 2027.
DEFAULT_START_YEAR = 2024

#: The planted defects, for a history starting in 2023 at small scale (see the module
#: docstring). ``check`` is the quality check that should report each one.
PLANTED_DEFECTS: list[dict] = [
    {
        "kind": "missing_month",
        "check": "missing_month",
        "table": "sales",
        "region_id": "P01C01K02",
        "product_line": "白酒",
        "sku": None,
        "date": "2024-03-01",
        "description": "one county's 白酒 own sales for a month are missing (rows deleted)",
    },
    {
        "kind": "duplicate_upload",
        "check": "duplicate_upload",
        "table": "sales",
        "region_id": "P02C01K01",
        "product_line": None,
        "sku": None,
        "date": "2023-06-01",
        "description": "a county-month uploaded twice and summed: every row's volume and revenue doubled",
    },
    {
        "kind": "outlier",
        "check": "outlier",
        "table": "sales",
        "region_id": "P01C02K01",
        "product_line": "白酒",
        "sku": "KY-BJ-01",
        "date": "2024-06-01",
        "description": "one terminal-sku-month volume (and revenue) ×20",
    },
    {
        "kind": "price_typo",
        "check": "unit_price",
        "table": "sales",
        "region_id": "P03C01K02",
        "product_line": "保健酒",
        "sku": "KY-YS-01",
        "date": "2023-08-01",
        "description": "one row's revenue is 100 × volume × price (a misplaced decimal)",
    },
    {
        "kind": "series_stop",
        "check": "series_stop",
        "table": "sales",
        "region_id": "P02C02K01",
        "product_line": None,
        "sku": None,
        "date": "2024-09-01",
        "description": "one terminal stops buying from this month on (all its SKUs)",
    },
    {
        "kind": "level_shift",
        "check": "level_shift",
        "table": "sales",
        "region_id": "P04C01K01",
        "product_line": None,
        "sku": None,
        "date": "2024-05-01",
        "description": "one county's own volume halves from this month on",
    },
    {
        "kind": "volume_without_revenue",
        "check": "volume_without_revenue",
        "table": "sales",
        "region_id": "P03C02K01",
        "product_line": "低度酒",
        "sku": "KY-DD-01",
        "date": "2024-02-01",
        "description": "one row has volume but revenue 0",
    },
]


@dataclass(frozen=True)
class DemoSummary:
    """
    What :func:`build_demo` wrote.

    Attributes
    ----------
    path : Path
        The archive file.
    seed : int
    scale : str
    years : tuple of int
        The calendar years of history.
    counts : dict
        Table name -> row count (the nine archive tables).
    planted_defects : tuple of dict
        :data:`PLANTED_DEFECTS` resolved for this build (dates, region ids, and the
        ``terminal_id`` where a terminal is involved).
    ineffective_activities : tuple of str
        Own activity ids that were given no sales effect.
    """

    path: Path
    seed: int
    scale: str
    years: tuple[int, ...]
    counts: dict[str, int] = field(default_factory=dict)
    planted_defects: tuple[dict, ...] = ()
    ineffective_activities: tuple[str, ...] = ()


# -- static company data --------------------------------------------------------------

_PROVINCE_NAMES = [
    "山东省", "河南省", "河北省", "江苏省", "安徽省", "湖北省", "湖南省", "四川省", "广东省", "浙江省",
    "福建省", "江西省", "山西省", "陕西省", "辽宁省", "吉林省", "黑龙江省", "云南省", "贵州省",
    "广西壮族自治区", "内蒙古自治区", "甘肃省", "新疆维吾尔自治区", "重庆市", "北京市", "天津市",
    "上海市", "海南省", "宁夏回族自治区", "青海省", "西藏自治区",
]

_SMALL_LAYOUT: list[tuple[str, list[tuple[str, list[str]]]]] = [
    ("山东省", [
        ("济南市", ["历城区", "平阴县", "章丘区", "商河县"]),
        ("潍坊市", ["寿光市", "青州市", "诸城市", "昌乐县"]),
        ("临沂市", ["兰陵县", "沂水县", "费县", "临沭县", "莒南县"]),
    ]),
    ("河南省", [
        ("郑州市", ["中牟县", "巩义市", "新郑市", "登封市"]),
        ("洛阳市", ["偃师区", "孟津区", "宜阳县", "栾川县"]),
        ("南阳市", ["邓州市", "南召县", "方城县", "西峡县", "镇平县"]),
    ]),
    ("河北省", [
        ("石家庄市", ["辛集市", "正定县", "栾城区", "晋州市"]),
        ("保定市", ["涿州市", "定州市", "高碑店市", "安国市", "易县"]),
    ]),
    ("江苏省", [
        ("徐州市", ["丰县", "沛县", "睢宁县", "邳州市"]),
        ("淮安市", ["涟水县", "盱眙县", "金湖县"]),
    ]),
]

_NAME_FIRST = list("东西南北安平永宁广兴长新清丰德正河山阳泰和华金龙凤临高白石青柳桃")
_NAME_SECOND = list("城山河阳安平水林泉台川源庄集桥店湖口营坪岭沟塘岗堡")
_TERMINAL_PREFIX = [
    "鑫源", "华联", "福源", "金鼎", "宏运", "永盛", "隆昌", "万家", "百佳", "旺福", "聚贤", "富春", "恒泰",
    "利民", "家家乐", "好又多", "惠民", "兴隆", "顺发", "天和", "瑞丰", "嘉禾", "新世纪", "大润", "佳美",
    "老街", "君悦", "福满楼", "同庆", "春来", "宏福", "长乐", "四海", "益民", "金源", "润泽", "祥和",
]
_TERMINAL_SUFFIX = {
    "supermarket": ["超市", "购物广场", "生活超市"],
    "restaurant": ["酒楼", "大酒店", "饭庄", "农家菜馆"],
    "tobacco_liquor": ["烟酒店", "烟酒商行", "名酒行"],
    "convenience": ["便利店", "便民店", "小卖部"],
    "group_purchase": ["商贸有限公司", "实业公司", "团购中心"],
}
_CHANNEL_CODES = list(CHANNELS)
_CHANNEL_P = np.array([0.15, 0.25, 0.35, 0.15, 0.10])
_CHANNEL_LEVEL = np.array([1.2, 0.9, 1.0, 0.6, 1.5])

_LINES = ["白酒", "保健酒", "低度酒"]
# sku, name, line index, spec, unit_price (per case), unit_variable_cost, popularity
_OWN_PRODUCTS = [
    ("KY-BJ-01", "康源老窖·特曲", 0, "500ml×6", 720.0, 356.0, 3.0),
    ("KY-BJ-02", "康源老窖·珍藏", 0, "500ml×6", 1380.0, 610.0, 1.5),
    ("KY-BJ-03", "康源光瓶酒", 0, "450ml×12", 360.0, 205.0, 3.0),
    ("KY-BJ-04", "康源窖藏十年", 0, "500ml×4", 1960.0, 820.0, 0.6),
    ("KY-BJ-05", "康源小酒", 0, "125ml×24", 288.0, 160.0, 1.5),
    ("KY-YS-01", "康源养生酒", 1, "500ml×6", 540.0, 268.0, 2.0),
    ("KY-YS-02", "康源参茸酒", 1, "500ml×6", 960.0, 450.0, 1.0),
    ("KY-YS-03", "康源枸杞酒", 1, "125ml×24", 432.0, 230.0, 1.2),
    ("KY-YS-04", "康源养生酒礼盒", 1, "500ml×2", 680.0, 300.0, 0.8),
    ("KY-DD-01", "康源清爽米酒", 2, "330ml×12", 96.0, 58.0, 1.5),
    ("KY-DD-02", "康源青梅酒", 2, "330ml×12", 144.0, 80.0, 1.2),
    ("KY-DD-03", "康源果酒", 2, "500ml×6", 180.0, 96.0, 0.8),
]
_COMPETITORS = ["金潭", "古泉"]
# sku, name, brand index, line index, spec, unit_price
_COMP_PRODUCTS = [
    ("JT-BJ-01", "金潭经典", 0, 0, "500ml×6", 660.0),
    ("JT-BJ-02", "金潭窖龄", 0, 0, "500ml×6", 1280.0),
    ("JT-DD-01", "金潭微醺", 0, 2, "330ml×12", 120.0),
    ("GQ-BJ-01", "古泉老酒", 1, 0, "500ml×6", 600.0),
    ("GQ-YS-01", "古泉滋补酒", 1, 1, "500ml×6", 500.0),
    ("GQ-DD-01", "古泉梅子酒", 1, 2, "330ml×12", 130.0),
]
_COMP_SHARE = [(0.10, 0.25), (0.08, 0.20)]  # market share range per competitor brand

# Seasonality per line: extra months of demand added by each holiday, and a summer term.
_SEASON = {
    # line: (spring festival, mid-autumn, national day, summer daily add)
    0: (2.0, 0.5, 0.4, -0.15),
    1: (1.8, 0.7, 0.3, -0.10),
    2: (0.8, 0.3, 0.3, 0.35),
}

# Expense items per level: (category, item, basis, rate, pattern)
# basis: "fixed" = rate × mean monthly revenue of the region × 1.03^year; "revenue" =
# rate × that month's revenue. pattern: monthly, quarterly, sporadic, dec, jan, holiday.
_COUNTY_ITEMS = [
    ("labour", "wages", "fixed", 0.040, "monthly"),
    ("labour", "welfare", "fixed", 0.005, "monthly"),
    ("labour", "social_insurance", "fixed", 0.010, "monthly"),
    ("labour", "training", "fixed", 0.002, "quarterly"),
    ("labour", "recruiting", "fixed", 0.001, "sporadic"),
    ("office", "rent", "fixed", 0.006, "monthly"),
    ("office", "utilities", "fixed", 0.0015, "monthly"),
    ("office", "office", "fixed", 0.001, "monthly"),
    ("office", "telecom", "fixed", 0.001, "monthly"),
    ("office", "meetings", "fixed", 0.0015, "quarterly"),
    ("office", "hospitality", "revenue", 0.005, "monthly"),
    ("office", "depreciation", "fixed", 0.002, "monthly"),
    ("office", "bad_debt", "fixed", 0.0015, "dec"),
    ("office", "consumables", "revenue", 0.001, "monthly"),
    ("office", "travel", "revenue", 0.0035, "monthly"),
    ("office", "vehicles", "fixed", 0.003, "monthly"),
    ("office", "freight", "revenue", 0.008, "monthly"),
    ("office", "taxes", "revenue", 0.004, "monthly"),
    ("media", "outdoor", "fixed", 0.004, "monthly"),
    ("media", "vehicle_body", "fixed", 0.0015, "monthly"),
    ("media", "dm", "fixed", 0.002, "sporadic"),
    ("channel", "event_gifts", "revenue", 0.005, "monthly"),
    ("channel", "year_end_rebate", "fixed", 0.020, "jan"),
    ("promotion", "promo_materials", "revenue", 0.005, "monthly"),
    ("promotion", "temp_promoters", "revenue", 0.006, "holiday"),
    ("promotion", "premiums", "revenue", 0.008, "monthly"),
]
_CITY_ITEMS = [
    ("labour", "wages", "fixed", 0.008, "monthly"),
    ("labour", "social_insurance", "fixed", 0.002, "monthly"),
    ("office", "rent", "fixed", 0.002, "monthly"),
    ("office", "travel", "revenue", 0.001, "monthly"),
]
_PROVINCE_ITEMS = [
    ("labour", "wages", "fixed", 0.005, "monthly"),
    ("office", "rent", "fixed", 0.001, "monthly"),
    ("media", "tv", "fixed", 0.008, "monthly"),
    ("media", "radio", "fixed", 0.002, "monthly"),
    ("media", "newspaper", "fixed", 0.001, "monthly"),
    ("media", "magazine", "fixed", 0.0005, "quarterly"),
]
_HQ_ITEMS = [
    ("labour", "wages", "fixed", 0.006, "monthly"),
    ("labour", "training", "fixed", 0.0005, "quarterly"),
    ("office", "rent", "fixed", 0.001, "monthly"),
    ("office", "depreciation", "fixed", 0.001, "monthly"),
    ("office", "meetings", "fixed", 0.001, "quarterly"),
    ("media", "tv", "fixed", 0.005, "monthly"),
]

_ACTIVITY_KINDS = ["promotion", "tasting", "display"]
_ACTIVITY_COST = {"promotion": 30000.0, "tasting": 12000.0, "display": 18000.0, "media": 600000.0}
_ACTIVITY_BETA = {"promotion": 0.15, "tasting": 0.10, "display": 0.08, "media": 0.05}
_ACTIVITY_SCALE = {"promotion": 20000.0, "tasting": 20000.0, "display": 20000.0, "media": 300000.0}
_ACTIVITY_DAYS = {"promotion": (14, 30), "tasting": (1, 3), "display": (30, 90), "media": (30, 60)}
_ACTIVITY_TEXT = {
    "promotion": ["{r}节前买赠促销：买五箱赠一箱", "{r}终端特价促销，主推{p}", "{r}开箱扫码有礼活动"],
    "tasting": ["{r}品鉴会：{p}品鉴推广", "{r}宴席用酒品鉴活动", "{r}社区品鉴会"],
    "display": ["{r}重点终端陈列竞赛", "{r}商超堆头陈列", "{r}{p}端架陈列"],
    "media": ["{r}电视广告投放：{p}", "{r}高铁站户外广告", "{r}广播及新媒体联合投放"],
}
_INEFFECTIVE_SHARE = 0.12


# -- helpers -------------------------------------------------------------------------


def _validate(seed, scale, start_year, years) -> tuple[int, str, int, int]:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParamsError(f"seed must be a non-negative integer, got {seed!r}")
    if scale not in SCALES:
        raise ParamsError(f"unknown scale {scale!r}; valid: {', '.join(SCALES)}")
    if isinstance(years, bool) or not isinstance(years, (int, np.integer)) or not 2 <= years <= 10:
        raise ParamsError(f"years must be an integer from 2 to 10 (the plan needs two years of history), got {years!r}")
    if start_year is None:
        start_year = DEFAULT_START_YEAR
    if isinstance(start_year, bool) or not isinstance(start_year, (int, np.integer)) or not 1901 <= start_year <= 2090:
        raise ParamsError(f"start_year must be an integer year from 1901 to 2090, got {start_year!r}")
    return int(seed), scale, int(start_year), int(years)


def _national_id(region_id: str) -> str:
    """Map a small-layout id (P01C01K02) to the national layout (P01C001K002)."""
    p, rest = region_id[:3], region_id[3:]
    if not rest:
        return p
    c, k = rest[1:3], rest[4:6]
    out = f"{p}C{int(c):03d}"
    return out + (f"K{int(k):03d}" if k else "")


def planted_defects(start_year: int = _DEFECT_BASE_YEAR, scale: str = "small") -> tuple[dict, ...]:
    """
    Return :data:`PLANTED_DEFECTS` for a history starting in ``start_year``.

    Dates move by ``start_year - 2023`` years; at national scale region ids take the
    three-digit form. Terminals are only known after a build: use
    :attr:`DemoSummary.planted_defects` for those.

    Returns
    -------
    tuple of dict
        New dicts with ``date`` as ``datetime.date``.
    """
    if scale not in SCALES:
        raise ParamsError(f"unknown scale {scale!r}; valid: {', '.join(SCALES)}")
    out = []
    for d in PLANTED_DEFECTS:
        base = dt.date.fromisoformat(d["date"])
        e = dict(d)
        e["date"] = dt.date(start_year + base.year - _DEFECT_BASE_YEAR, base.month, 1)
        if scale == "national":
            e["region_id"] = _national_id(d["region_id"])
        e["terminal_id"] = None
        out.append(e)
    return tuple(out)


def _words(rng: np.random.Generator, n: int, suffixes: list[str]) -> list[str]:
    a = rng.integers(0, len(_NAME_FIRST), n)
    b = rng.integers(0, len(_NAME_SECOND), n)
    s = rng.integers(0, len(suffixes), n)
    return [_NAME_FIRST[i] + _NAME_SECOND[j] + suffixes[k] for i, j, k in zip(a, b, s)]


def _month_starts(start_year: int, years: int) -> np.ndarray:
    return np.arange(f"{start_year}-01", f"{start_year + years}-01", dtype="datetime64[M]")


def _daily_intensity(start_year: int, years: int) -> tuple[np.ndarray, np.ndarray]:
    """Daily demand per line (3 × n_days) and the days (datetime64[D])."""
    days = np.arange(f"{start_year}-01-01", f"{start_year + years}-01-01", dtype="datetime64[D]")
    n = len(days)
    sf_ramp = np.zeros(n)
    sf_after = np.zeros(n)
    ma = np.zeros(n)
    nd = np.zeros(n)
    d0 = days[0]
    for year in range(start_year, start_year + years + 1):
        sf = np.datetime64(cal.spring_festival(year))
        # the 21 days before the festival, weights 1/21 .. 21/21, normalised to one month
        for k in range(1, 22):
            i = int((sf - np.timedelta64(k, "D") - d0).astype(int))
            if 0 <= i < n:
                sf_ramp[i] = (22 - k) / 21
        for k in range(0, 7):
            i = int((sf + np.timedelta64(k, "D") - d0).astype(int))
            if 0 <= i < n:
                sf_after[i] = 1.0
        if year < start_year + years:
            m = np.datetime64(cal.mid_autumn(year))
            for k in range(1, 11):
                i = int((m - np.timedelta64(k, "D") - d0).astype(int))
                if 0 <= i < n:
                    ma[i] = 1.0
            nd_day = np.datetime64(cal.national_day(year))
            for k in range(-7, 7):
                i = int((nd_day + np.timedelta64(k, "D") - d0).astype(int))
                if 0 <= i < n:
                    nd[i] = 1.0
    month_of_day = days.astype("datetime64[M]").astype(int) % 12
    summer = np.isin(month_of_day, [5, 6, 7]).astype(float)
    out = np.empty((3, n))
    ramp_total = sum((22 - k) / 21 for k in range(1, 22))
    for line, (a_sf, a_ma, a_nd, a_su) in _SEASON.items():
        out[line] = (
            1.0
            + a_sf * 30.44 * sf_ramp / ramp_total
            - 0.5 * sf_after
            + a_ma * 30.44 * ma / 10
            + a_nd * 30.44 * nd / 14
            + a_su * summer
        )
    return out, days


def _dict_array(indices: np.ndarray, dictionary: pa.Array, mask: np.ndarray | None = None) -> pa.DictionaryArray:
    idx = pa.array(indices.astype(np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(idx, dictionary)


def _insert(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    if data.num_rows == 0:
        return
    cols = ", ".join(TABLES[table].columns)
    con.register("_demo_chunk", data)
    try:
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _demo_chunk")
    finally:
        con.unregister("_demo_chunk")


def _date_array(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("datetime64[D]").astype(np.int32), type=pa.date32())


# -- the build ------------------------------------------------------------------------


class _Company:
    """Structure shared by all provinces: regions, distributors, terminals, products."""

    def __init__(self, seed: int, scale: str, start_year: int, years: int) -> None:
        rng = np.random.default_rng([seed, 0])
        self.scale, self.start_year, self.years = scale, start_year, years
        self.months = _month_starts(start_year, years)
        self.n_m = len(self.months)
        self._build_regions(rng)
        self._build_distributors(rng)
        self._build_terminals(rng)
        self._build_products()

    # regions ------------------------------------------------------------------------
    def _build_regions(self, rng: np.random.Generator) -> None:
        rows = [("HQ", "总部", "hq", None)]
        county_rows = []  # (id, name, province index, city id)
        city_ids = []
        if self.scale == "small":
            layout = _SMALL_LAYOUT
            for p, (pname, cities) in enumerate(layout, start=1):
                pid = f"P{p:02d}"
                rows.append((pid, pname, "province", "HQ"))
                for c, (cname, counties) in enumerate(cities, start=1):
                    cid = f"{pid}C{c:02d}"
                    rows.append((cid, cname, "city", pid))
                    city_ids.append((cid, p - 1))
                    for k, kname in enumerate(counties, start=1):
                        county_rows.append((f"{cid}K{k:02d}", kname, p - 1, cid))
        else:
            for p, pname in enumerate(_PROVINCE_NAMES, start=1):
                pid = f"P{p:02d}"
                rows.append((pid, pname, "province", "HQ"))
                n_c = int(rng.integers(6, 16))
                cnames = _words(rng, n_c, ["市"])
                for c in range(1, n_c + 1):
                    cid = f"{pid}C{c:03d}"
                    rows.append((cid, cnames[c - 1], "city", pid))
                    city_ids.append((cid, p - 1))
                    n_k = int(rng.integers(5, 13))
                    knames = _words(rng, n_k, ["县", "区", "市", "县"])
                    for k in range(1, n_k + 1):
                        county_rows.append((f"{cid}K{k:03d}", knames[k - 1], p - 1, cid))
        for kid, kname, _, cid in county_rows:
            rows.append((kid, kname, "county", cid))
        # townships: 2–4 per county
        n_t = rng.integers(2, 5, len(county_rows))
        tnames = _words(rng, int(n_t.sum()), ["镇", "镇", "乡"])
        township_ids: list[list[str]] = []
        j = 0
        for (kid, *_), n in zip(county_rows, n_t):
            ids = [f"{kid}T{t:02d}" for t in range(1, int(n) + 1)]
            township_ids.append(ids)
            for tid in ids:
                rows.append((tid, tnames[j], "township", kid))
                j += 1
        self.regions = pd.DataFrame(rows, columns=["region_id", "name", "level", "parent_id"])
        self.county_ids = [r[0] for r in county_rows]
        self.county_names = [r[1] for r in county_rows]
        self.county_prov = np.array([r[2] for r in county_rows])
        city_index = {cid: i for i, (cid, _) in enumerate(city_ids)}
        self.city_ids = [c for c, _ in city_ids]
        self.city_prov = np.array([p for _, p in city_ids])
        self.county_city = np.array([city_index[r[3]] for r in county_rows])
        self.n_prov = int(self.county_prov.max()) + 1
        self.province_ids = [f"P{p + 1:02d}" for p in range(self.n_prov)]
        self.township_ids = township_ids
        self.region_index = {r: i for i, r in enumerate(self.regions["region_id"])}
        self.region_dict = pa.array(self.regions["region_id"].tolist(), type=pa.string())
        self.county_rix = np.array([self.region_index[k] for k in self.county_ids])

    # distributors -------------------------------------------------------------------
    def _build_distributors(self, rng: np.random.Generator) -> None:
        n_city, n_county = len(self.city_ids), len(self.county_ids)
        region, tier, names = [], [], []
        city_names = dict(zip(self.regions["region_id"], self.regions["name"]))
        for cid in self.city_ids:
            region.append(cid)
            tier.append(1)
            names.append(city_names[cid].rstrip("市") + _TERMINAL_PREFIX[len(names) % len(_TERMINAL_PREFIX)] + "酒业商贸有限公司")
        for kid in self.county_ids:
            region.append(kid)
            tier.append(2)
            names.append(city_names[kid][:2] + _TERMINAL_PREFIX[len(names) % len(_TERMINAL_PREFIX)] + "副食批发部")
        # extra tier-2 distributors: ~25 % of counties (small) get a second one
        n_extra = max(2, int(round(0.25 * n_county))) if self.scale == "small" else int(round(0.05 * n_county))
        extra_counties = np.sort(rng.choice(n_county, n_extra, replace=False))
        for k in extra_counties:
            kid = self.county_ids[k]
            region.append(kid)
            tier.append(2)
            names.append(city_names[kid][:2] + _TERMINAL_PREFIX[len(names) % len(_TERMINAL_PREFIX)] + "酒水经营部")
        n = len(region)
        self.distributors = pd.DataFrame(
            {
                "distributor_id": [f"D{i:05d}" for i in range(1, n + 1)],
                "name": names,
                "region_id": region,
                "tier": np.array(tier, dtype=np.int32),
            }
        )
        self.dist_dict = pa.array(self.distributors["distributor_id"].tolist(), type=pa.string())
        self.tier1_of_city = np.arange(n_city)
        self.tier2_of_county = n_city + np.arange(n_county)
        # the first two extras sell nothing (dormant); the others share their county
        self.extra_of_county = np.full(n_county, -1)
        for j, k in enumerate(extra_counties):
            if j >= 2:
                self.extra_of_county[k] = n_city + n_county + j

    # terminals ----------------------------------------------------------------------
    def _build_terminals(self, rng: np.random.Generator) -> None:
        n_county = len(self.county_ids)
        total, floor = (2000, 15) if self.scale == "small" else (100_000, 8)
        w = rng.lognormal(0.0, 0.4, n_county)
        counts = floor + rng.multinomial(total - floor * n_county, w / w.sum())
        t_county = np.repeat(np.arange(n_county), counts)
        n = len(t_county)
        self.n_t = n
        # region: a township (80 %) or the county seat
        in_town = rng.random(n) < 0.8
        n_town = np.array([len(x) for x in self.township_ids])
        pick = (rng.random(n) * n_town[t_county]).astype(int)
        town_rix = np.array([self.region_index[self.township_ids[c][p]] for c, p in zip(t_county, pick)])
        t_rix = np.where(in_town, town_rix, self.county_rix[t_county])
        # sales level and class (class thresholds on the standard normal: 5/15/30/50 %)
        z = rng.standard_normal(n)
        true_class = np.select([z > 1.6449, z > 0.8416, z > 0.0], [0, 1, 2], 3)
        wrong = rng.random(n) < 0.03
        shift = np.where(rng.random(n) < 0.5, -1, 1)
        rec_class = np.where(wrong, np.clip(true_class + shift, 0, 3), true_class)
        channel = rng.choice(len(_CHANNEL_CODES), n, p=_CHANNEL_P)
        level = 5.0 * np.exp(0.9 * z) * _CHANNEL_LEVEL[channel]
        # distributor: county tier 2 (or the county's extra), or the city's tier 1
        t_city = self.county_city[t_county]
        via_t1 = rng.random(n) < np.where(rec_class <= 1, 0.45, 0.2)
        extra = self.extra_of_county[t_county]
        use_extra = (extra >= 0) & (rng.random(n) < 0.4)
        dist = np.where(via_t1, self.tier1_of_city[t_city], np.where(use_extra, extra, self.tier2_of_county[t_county]))
        # names
        pre = rng.integers(0, len(_TERMINAL_PREFIX), n)
        suf = rng.integers(0, 4, n)
        names = []
        for p, ch, s in zip(pre, channel, suf):
            sfx = _TERMINAL_SUFFIX[_CHANNEL_CODES[ch]]
            names.append(_TERMINAL_PREFIX[p] + sfx[s % len(sfx)])
        self.t_ids = [f"T{i:06d}" for i in range(1, n + 1)]
        self.t_dict = pa.array(self.t_ids, type=pa.string())
        self.t_county, self.t_rix, self.t_channel = t_county, t_rix, channel
        self.t_class, self.t_level, self.t_dist = rec_class, level, dist
        self.terminals = pd.DataFrame(
            {
                "terminal_id": self.t_ids,
                "name": names,
                "region_id": self.regions["region_id"].to_numpy()[t_rix],
                "terminal_class": np.array(list("ABCD"))[rec_class],
                "channel": np.array(_CHANNEL_CODES)[channel],
                "distributor_id": self.distributors["distributor_id"].to_numpy()[dist],
            }
        )
        # sku subsets: Gumbel top-k on popularity
        pop = np.array([p[6] for p in _OWN_PRODUCTS])
        k = rng.integers(3, 6, n) if self.scale == "small" else rng.integers(2, 5, n)
        keys = np.log(pop)[None, :] + rng.gumbel(size=(n, len(pop)))
        rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
        self.sku_mask = rank < k[:, None]

    # products -----------------------------------------------------------------------
    def _build_products(self) -> None:
        own = [(s, n, _LINES[l], sp, p, c) for s, n, l, sp, p, c, _ in _OWN_PRODUCTS]
        comp = [(s, n, _LINES[l], sp, p, None) for s, n, _, l, sp, p in _COMP_PRODUCTS]
        self.products = pd.DataFrame(
            own + comp, columns=["sku", "name", "product_line", "spec", "unit_price", "unit_variable_cost"]
        )
        self.products["unit_variable_cost"] = self.products["unit_variable_cost"].astype("float64")
        self.sku_dict = pa.array(self.products["sku"].tolist(), type=pa.string())
        self.own_line = np.array([p[2] for p in _OWN_PRODUCTS])
        self.own_price = np.array([p[4] for p in _OWN_PRODUCTS])
        self.own_volmult = np.sqrt(600.0 / self.own_price).clip(0.5, 1.6)
        self.comp_line = np.array([p[3] for p in _COMP_PRODUCTS])
        self.comp_brand = np.array([p[2] for p in _COMP_PRODUCTS])
        self.comp_price = np.array([p[5] for p in _COMP_PRODUCTS])
        self.line_price = np.array([self.own_price[self.own_line == l].mean() for l in range(3)])


def _resolve_defects(company: _Company) -> list[dict]:
    """Pick the terminals of terminal-level defects and make sure they sell the SKU."""
    out = []
    sku_index = {p[0]: i for i, p in enumerate(_OWN_PRODUCTS)}
    county_index = {k: i for i, k in enumerate(company.county_ids)}
    for d in planted_defects(company.start_year, company.scale):
        d = dict(d)
        c = county_index[d["region_id"]]
        d["_county"] = c
        d["_month"] = (d["date"].year - company.start_year) * 12 + d["date"].month - 1
        if d["kind"] in {"outlier", "price_typo", "series_stop", "volume_without_revenue"}:
            wanted = {1} if d["kind"] == "outlier" else {2}
            cand = np.flatnonzero((company.t_county == c) & np.isin(company.t_class, list(wanted)))
            if len(cand) == 0:
                cand = np.flatnonzero(company.t_county == c)
            t = int(cand[0])
            d["_terminal"] = t
            d["terminal_id"] = company.t_ids[t]
            if d["sku"] is not None:
                company.sku_mask[t, sku_index[d["sku"]]] = True
            if d["kind"] == "outlier":
                # a steady B-class level makes the ×20 stand out as it would in real data
                company.t_level[t] = max(company.t_level[t], 10.0)
        out.append(d)
    return out


def _overlap(start: np.ndarray, end: np.ndarray, m_start: np.ndarray, m_end: np.ndarray) -> np.ndarray:
    """Days of [start, end] inside each month: (n, n_months)."""
    lo = np.maximum(start[:, None], m_start[None, :])
    hi = np.minimum(end[:, None], m_end[None, :])
    return np.clip((hi - lo).astype(int) + 1, 0, None)


class _Builder:
    def __init__(self, con, company: _Company, seed: int, defects: list[dict]) -> None:
        self.con, self.co, self.seed, self.defects = con, company, seed, defects
        co = company
        self.m_start = co.months.astype("datetime64[D]")
        self.m_end = (co.months + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
        self.m_days = (self.m_end - self.m_start).astype(int) + 1
        self.m_dates = _date_array(co.months)
        intensity, days = _daily_intensity(co.start_year, co.years)
        day_month = (days.astype("datetime64[M]") - co.months[0]).astype(int)
        # monthly season factor per line (3 × n_m): summed daily demand / average month
        self.season = np.stack([np.bincount(day_month, weights=intensity[l], minlength=co.n_m) for l in range(3)]) / 30.44
        # weekly spreading matrices per line (n_m × n_w): share of the month's demand in each week
        weekday = (days.astype("datetime64[D]").astype(int) + 3) % 7  # 0 = Monday
        first_monday = int(np.flatnonzero(weekday == 0)[0])
        week_of_day = (np.arange(len(days)) - first_monday) // 7
        n_w = int(week_of_day.max()) + 1
        valid = week_of_day >= 0
        self.week_dates = _date_array(days[first_monday::7])
        self.weekly = []
        for l in range(3):
            month_tot = np.bincount(day_month, weights=intensity[l], minlength=co.n_m)
            share = intensity[l] / month_tot[day_month]
            w = np.zeros((co.n_m, n_w))
            np.add.at(w, (day_month[valid], week_of_day[valid]), share[valid])
            self.weekly.append(w)
        # common factors
        y = co.start_year
        self.month_idx = np.arange(co.n_m)
        econ = np.ones(co.n_m)
        econ[(self.month_idx >= 12 + 6) & (self.month_idx < 24 + 3)] = 0.95
        self.econ = econ
        self.policy_prov = 1  # 河南省 P02
        self.policy_from = 12 + 2
        rng = np.random.default_rng([seed, 1])
        self.flood_county = int(rng.choice([i for i, k in enumerate(co.county_ids)
                                            if k not in {d["region_id"] for d in defects}]))
        self.flood_month = 6
        self.holiday_months = self.season.mean(axis=0) > 1.25
        self.events = self._events(y)
        self.ineffective: list[str] = []
        self.revenue_by_county = np.zeros((len(co.county_ids), co.n_m))
        self.counts: dict[str, int] = dict.fromkeys(TABLE_ORDER, 0)

    def _events(self, y: int) -> pd.DataFrame:
        co = self.co
        rows = []
        for year in range(y, y + co.years):
            for h in cal.HOLIDAYS:
                rows.append((cal.holiday_date(h, year), "HQ", "holiday", f"{HOLIDAY_NAMES[h]}（{year}）"))
        rows.append((dt.date(y + 1, 3, 1), co.province_ids[self.policy_prov], "policy",
                     "出台公务接待禁酒规定（限酒令），团购渠道需求明显下滑"))
        rows.append((dt.date(y + 1, 7, 1), "HQ", "economy", "宏观经济增速放缓，居民消费意愿下降"))
        if co.years >= 3:
            rows.append((dt.date(y + 2, 4, 1), "HQ", "economy", "消费逐步回暖"))
        rows.append((dt.date(y, 7, 15), co.county_ids[self.flood_county], "disaster",
                     f"{co.county_names[self.flood_county]}暴雨洪涝，部分乡镇道路中断"))
        return pd.DataFrame(rows, columns=["date", "region_id", "kind", "description"])

    # activities -------------------------------------------------------------------
    def _activities(self, rng, p: int, counties: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """Activities of province p; returns rows, own lift (n_c × n_m), competitor lift (2 × n_c × n_m)."""
        co = self.co
        n_c = len(counties)
        n_year = co.years
        # own county activities
        n_own = rng.poisson(1.5, (n_c, n_year)) + 1
        a_c = np.repeat(np.repeat(np.arange(n_c), n_year), n_own.ravel())
        a_y = np.repeat(np.tile(np.arange(n_year), n_c), n_own.ravel())
        kinds = rng.choice(3, len(a_c), p=[0.5, 0.25, 0.25])
        # media campaigns for the province: two a year
        m_y = np.repeat(np.arange(n_year), 2)
        all_kind = np.concatenate([np.array(_ACTIVITY_KINDS)[kinds], np.full(len(m_y), "media")])
        all_year = np.concatenate([a_y, m_y])
        all_c = np.concatenate([a_c, np.full(len(m_y), -1)])
        n_a = len(all_kind)
        base_cost = np.array([_ACTIVITY_COST[k] for k in all_kind])
        cost = np.round(base_cost * rng.lognormal(0.0, 0.6, n_a), -2)
        lo = np.array([_ACTIVITY_DAYS[k][0] for k in all_kind])
        hi = np.array([_ACTIVITY_DAYS[k][1] for k in all_kind])
        dur = lo + (rng.random(n_a) * (hi - lo + 1)).astype(int)
        doy = rng.integers(0, 365 - 7, n_a)
        start = (np.array([np.datetime64(f"{co.start_year + yy}-01-01") for yy in range(n_year)])[all_year]
                 + doy.astype("timedelta64[D]"))
        end = start + (dur - 1).astype("timedelta64[D]")
        last_day = self.m_end[-1]
        end = np.minimum(end, last_day)
        beta = np.array([_ACTIVITY_BETA[k] for k in all_kind])
        scale = np.array([_ACTIVITY_SCALE[k] for k in all_kind])
        effective = rng.random(n_a) >= _INEFFECTIVE_SHARE
        lift = beta * np.log1p(cost / scale) * effective
        # effect window: the activity and, for short ones, the following weeks (at least 30 days)
        eff_end = np.minimum(np.maximum(end, start + np.timedelta64(29, "D")), last_day)
        ov = _overlap(start, eff_end, self.m_start, self.m_end) / self.m_days[None, :]
        own_lift = np.ones((n_c, co.n_m))
        is_county = all_c >= 0
        np.add.at(own_lift, all_c[is_county], lift[is_county, None] * ov[is_county])
        own_lift += (lift[~is_county, None] * ov[~is_county]).sum(axis=0)[None, :]
        # competitor activities: ~1 per county-year, lift competitor sales
        n_comp = rng.poisson(0.8, (n_c, n_year))
        c_c = np.repeat(np.repeat(np.arange(n_c), n_year), n_comp.ravel())
        c_y = np.repeat(np.tile(np.arange(n_year), n_c), n_comp.ravel())
        c_b = rng.integers(0, 2, len(c_c))
        c_kind = np.array(_ACTIVITY_KINDS)[rng.choice(3, len(c_c), p=[0.6, 0.2, 0.2])]
        c_cost = np.round(np.array([_ACTIVITY_COST[k] for k in c_kind]) * rng.lognormal(0, 0.6, len(c_c)), -2)
        c_dur = 14 + rng.integers(0, 30, len(c_c))
        c_start = (np.array([np.datetime64(f"{co.start_year + yy}-01-01") for yy in range(n_year)])[c_y]
                   + rng.integers(0, 358, len(c_c)).astype("timedelta64[D]"))
        c_end = np.minimum(c_start + (c_dur - 1).astype("timedelta64[D]"), last_day)
        c_ov = _overlap(c_start, c_end, self.m_start, self.m_end) / self.m_days[None, :]
        comp_lift = np.ones((2, n_c, co.n_m))
        np.add.at(comp_lift, (c_b, c_c), 0.12 * np.log1p(c_cost / 20000.0)[:, None] * c_ov)
        # rows
        pid = co.province_ids[p]
        region = [co.county_ids[counties[c]] if c >= 0 else pid for c in all_c]
        rname = [co.county_names[counties[c]] if c >= 0 else co.regions.loc[co.region_index[pid], "name"] for c in all_c]
        prod_pick = rng.integers(0, len(_OWN_PRODUCTS), n_a)
        tmpl = rng.integers(0, 3, n_a)
        desc = [_ACTIVITY_TEXT[k][t].format(r=r, p=_OWN_PRODUCTS[q][1])
                for k, t, r, q in zip(all_kind, tmpl, rname, prod_pick)]
        ids = [f"A{pid}-{i:05d}" for i in range(1, n_a + 1)]
        self.ineffective.extend(i for i, e in zip(ids, effective) if not e)
        own_rows = pd.DataFrame({
            "activity_id": ids, "region_id": region, "brand": "own", "kind": all_kind,
            "start_date": start.astype("datetime64[s]"), "end_date": end.astype("datetime64[s]"),
            "cost": cost, "description": desc,
        })
        c_desc = [f"{_COMPETITORS[b]}{ {'promotion': '买赠促销', 'tasting': '品鉴会', 'display': '陈列买断'}[k] }"
                  f"（{co.county_names[counties[c]]}）" for b, k, c in zip(c_b, c_kind, c_c)]
        comp_rows = pd.DataFrame({
            "activity_id": [f"C{pid}-{i:05d}" for i in range(1, len(c_c) + 1)],
            "region_id": [co.county_ids[counties[c]] for c in c_c],
            "brand": np.array(_COMPETITORS)[c_b], "kind": c_kind,
            "start_date": c_start.astype("datetime64[s]"), "end_date": c_end.astype("datetime64[s]"),
            "cost": c_cost, "description": c_desc,
        })
        return pd.concat([own_rows, comp_rows], ignore_index=True), own_lift, comp_lift

    # one province -------------------------------------------------------------------
    def province(self, p: int) -> None:
        co = self.co
        rng = np.random.default_rng([self.seed, 100 + p])
        counties = np.flatnonzero(co.county_prov == p)
        local = np.full(len(co.county_ids), -1)
        local[counties] = np.arange(len(counties))
        n_c, n_m = len(counties), co.n_m
        activities, own_lift, comp_lift = self._activities(rng, p, counties)
        self.counts["activities"] += len(activities)
        self.con.register("_demo_df", activities)
        self.con.execute("INSERT INTO activities SELECT activity_id, region_id, brand, kind, start_date::DATE, "
                         "end_date::DATE, cost, description FROM _demo_df")
        self.con.unregister("_demo_df")

        # county factors: trend × activity lift × economy × flood
        prov_mu = [0.08, 0.03, 0.12, -0.01][p] if co.scale == "small" else rng.normal(0.05, 0.04)
        growth = prov_mu + rng.normal(0.0, 0.05, n_c)
        trend = (1.0 + growth[:, None]) ** (self.month_idx[None, :] / 12.0)
        county_f = trend * own_lift * self.econ[None, :]
        if local[self.flood_county] >= 0:
            county_f[local[self.flood_county], self.flood_month] *= 0.6
        chan_f = np.ones((len(_CHANNEL_CODES), n_m))
        if p == self.policy_prov:
            chan_f[_CHANNEL_CODES.index("group_purchase"), self.policy_from:] = 0.55

        # own series: terminals of this province × their skus
        terms = np.flatnonzero(local[co.t_county] >= 0)
        st, ss = np.nonzero(co.sku_mask[terms])
        st = terms[st]
        n_s = len(st)
        line = co.own_line[ss]
        mean = (co.t_level[st, None] * co.own_volmult[ss, None] * county_f[local[co.t_county[st]]]
                * self.season[line] * chan_f[co.t_channel[st]])
        mean *= rng.lognormal(0.0, 0.12, mean.shape)
        vol = np.maximum(1.0, np.rint(mean))
        disc = rng.uniform(0.0, 0.06, vol.shape)
        rev = np.round(vol * co.own_price[ss, None] * (1.0 - disc), 2)
        clean_vol = vol.copy()
        rows_c = local[co.t_county[st]]
        # clean revenue per county and per terminal (for market and expenses)
        county_rev = np.zeros((n_c, n_m))
        np.add.at(county_rev, rows_c, rev)
        self.revenue_by_county[counties] = county_rev
        term_rev = np.zeros((co.n_t, n_m))
        np.add.at(term_rev, st, rev)
        own_line_vol = np.zeros((n_c, 3, n_m))
        np.add.at(own_line_vol, (rows_c, line), clean_vol)

        # weekly for core terminals (A/B small, A national), from the noisy monthly mean
        core = co.t_class[st] <= (1 if co.scale == "small" else 0)
        keep_row = np.ones((n_s, n_m), dtype=bool)
        self._weekly(rng, st[core], ss[core], mean[core], line[core])

        # planted defects in this province
        for d in self.defects:
            c = d["_county"]
            if local[c] < 0:
                continue
            m = d["_month"]
            in_c = co.t_county[st] == c
            kind = d["kind"]
            if kind == "missing_month":
                keep_row[in_c & (line == _LINES.index(d["product_line"])), m] = False
            elif kind == "duplicate_upload":
                vol[in_c, m] *= 2
                rev[in_c, m] *= 2
            elif kind == "level_shift":
                ratio = np.maximum(1.0, np.rint(vol[in_c, m:] * 0.5)) / vol[in_c, m:]
                vol[in_c, m:] *= ratio
                rev[in_c, m:] = np.round(rev[in_c, m:] * ratio, 2)
            elif kind == "series_stop":
                keep_row[st == d["_terminal"], m:] = False
            else:
                sku = next(i for i, q in enumerate(_OWN_PRODUCTS) if q[0] == d["sku"])
                r = np.flatnonzero((st == d["_terminal"]) & (ss == sku))[0]
                if kind == "outlier":
                    vol[r, m] *= 20
                    rev[r, m] *= 20
                elif kind == "price_typo":
                    rev[r, m] = np.round(rev[r, m] * 100, 2)
                elif kind == "volume_without_revenue":
                    rev[r, m] = 0.0
        self._insert_own(st, ss, vol, rev, keep_row)

        # competitors and market
        self._competitors_market(rng, p, counties, own_line_vol, comp_lift, chan_f)
        # expenses
        self._expenses(rng, counties, county_rev, term_rev, terms)

    def _insert_own(self, st, ss, vol, rev, keep) -> None:
        co = self.co
        n_s, n_m = vol.shape
        r_idx, m_idx = np.nonzero(keep)
        t = st[r_idx]
        n = len(t)
        data = pa.table({
            "date": self.m_dates.take(pa.array(m_idx)),
            "grain": pa.array(np.full(n, "month")),
            "region_id": _dict_array(co.t_rix[t], co.region_dict),
            "sku": _dict_array(ss[r_idx], co.sku_dict),
            "channel": _dict_array(co.t_channel[t], pa.array(_CHANNEL_CODES)),
            "brand": pa.array(np.full(n, "own")),
            "terminal_id": _dict_array(t, co.t_dict),
            "distributor_id": _dict_array(co.t_dist[t], co.dist_dict),
            "volume": pa.array(vol[keep]),
            "revenue": pa.array(rev[keep]),
        })
        _insert(self.con, "sales", data)
        self.counts["sales"] += n

    def _weekly(self, rng, st, ss, mean, line) -> None:
        co = self.co
        if len(st) == 0:
            return
        stop = [d for d in self.defects if d["kind"] == "series_stop"]
        for l in range(3):
            sel = line == l
            if not sel.any():
                continue
            wk = mean[sel] @ self.weekly[l]
            wk *= rng.lognormal(0.0, 0.10, wk.shape)
            wvol = np.maximum(1.0, np.rint(wk))
            keep = wk > 0.05
            t_l, s_l = st[sel], ss[sel]
            for d in stop:
                stop_day = np.datetime64(d["date"]).astype("datetime64[D]").astype(int)
                after = np.asarray(self.week_dates.to_numpy(zero_copy_only=False).astype("datetime64[D]").astype(int)) >= stop_day
                keep[np.ix_(t_l == d["_terminal"], after)] = False
            r_idx, w_idx = np.nonzero(keep)
            t = t_l[r_idx]
            n = len(t)
            disc = rng.uniform(0.0, 0.06, n)
            v = wvol[keep]
            data = pa.table({
                "date": self.week_dates.take(pa.array(w_idx)),
                "grain": pa.array(np.full(n, "week")),
                "region_id": _dict_array(co.t_rix[t], co.region_dict),
                "sku": _dict_array(s_l[r_idx], co.sku_dict),
                "channel": _dict_array(co.t_channel[t], pa.array(_CHANNEL_CODES)),
                "brand": pa.array(np.full(n, "own")),
                "terminal_id": _dict_array(t, co.t_dict),
                "distributor_id": _dict_array(co.t_dist[t], co.dist_dict),
                "volume": pa.array(v),
                "revenue": pa.array(np.round(v * co.own_price[s_l[r_idx]] * (1.0 - disc), 2)),
            })
            _insert(self.con, "sales", data)
            self.counts["sales"] += n

    def _competitors_market(self, rng, p, counties, own_line_vol, comp_lift, chan_f) -> None:
        co = self.co
        n_c, n_m = len(counties), co.n_m
        n_k = len(_COMP_PRODUCTS)
        n_ch = len(_CHANNEL_CODES)
        # own share of the market per county × line, by region
        centre = 0.15 + 0.25 * rng.random()
        share_own = np.clip(centre + rng.uniform(-0.08, 0.08, (n_c, 3)), 0.15, 0.40)
        market_true = own_line_vol.mean(axis=2, keepdims=True) / share_own[:, :, None] * self.season[None, :, :] \
            / self.season.mean(axis=1)[None, :, None]
        # brand shares and splits
        b_share = np.stack([rng.uniform(lo, hi, n_c) for lo, hi in _COMP_SHARE], axis=1)  # n_c × 2
        sku_split = np.ones(n_k)
        for b in range(2):
            for l in range(3):
                sel = (co.comp_brand == b) & (co.comp_line == l)
                if sel.sum() > 1:
                    sku_split[sel] = rng.dirichlet(np.full(sel.sum(), 3.0))
        # three channels per county × brand, with weights
        ch_keys = rng.random((n_c, 2, n_ch)) + np.array([0.1, 0.2, 0.5, 0.0, 0.1])[None, None, :]
        ch_rank = np.argsort(np.argsort(-ch_keys, axis=2), axis=2)
        ch_w = np.where(ch_rank < 3, rng.dirichlet(np.full(n_ch, 2.0), (n_c, 2)), 0.0)
        ch_w /= ch_w.sum(axis=2, keepdims=True)
        # vol[c, k, ch, m]
        kb, kl = co.comp_brand, co.comp_line
        mean = (market_true[:, kl, None, :] * b_share[:, kb, None, None] * sku_split[None, :, None, None]
                * ch_w[:, kb, :, None] * comp_lift[kb].transpose(1, 0, 2)[:, :, None, :]
                * chan_f[None, None, :, :] * self.econ[None, None, None, :])
        noisy = mean * rng.lognormal(0.0, 0.15, mean.shape)
        vol = np.where(mean > 0, np.maximum(1.0, np.rint(noisy)), 0.0)
        keep = mean > 0
        # collection gap: ~5 % of counties have no competitor data in the first year
        gap = rng.random(n_c) < 0.05
        keep[np.ix_(gap, np.ones(n_k, bool), np.ones(n_ch, bool), self.month_idx < 12)] = False
        comp_line_vol = np.zeros((n_c, 3, n_m))
        for k in range(n_k):
            comp_line_vol[:, kl[k], :] += (vol[:, k] * keep[:, k]).sum(axis=1)
        # distributor on ~40 % of county × brand × channel cells
        has_dist = rng.random((n_c, 2, n_ch)) < 0.4
        c_i, k_i, ch_i, m_i = np.nonzero(keep)
        n = len(c_i)
        disc = rng.uniform(0.0, 0.08, n)
        v = vol[keep]
        dist_mask = ~has_dist[c_i, kb[k_i], ch_i]
        data = pa.table({
            "date": self.m_dates.take(pa.array(m_i)),
            "grain": pa.array(np.full(n, "month")),
            "region_id": _dict_array(co.county_rix[counties[c_i]], co.region_dict),
            "sku": _dict_array(len(_OWN_PRODUCTS) + k_i, co.sku_dict),
            "channel": _dict_array(ch_i, pa.array(_CHANNEL_CODES)),
            "brand": _dict_array(kb[k_i], pa.array(_COMPETITORS)),
            "terminal_id": pa.nulls(n, pa.string()),
            "distributor_id": _dict_array(co.tier2_of_county[counties[c_i]], co.dist_dict, mask=dist_mask),
            "volume": pa.array(v),
            "revenue": pa.array(np.round(v * co.comp_price[k_i] * (1.0 - disc), 2)),
        })
        _insert(self.con, "sales", data)
        self.counts["sales"] += n
        # market
        mk = np.maximum(np.rint(market_true * rng.lognormal(0.0, 0.05, market_true.shape)),
                        np.ceil(1.02 * (own_line_vol + comp_line_vol)))
        c_i, l_i, m_i = np.nonzero(np.ones_like(mk, dtype=bool))
        mv = mk.ravel()
        data = pa.table({
            "date": self.m_dates.take(pa.array(m_i)),
            "region_id": _dict_array(co.county_rix[counties[c_i]], co.region_dict),
            "product_line": _dict_array(l_i, pa.array(_LINES)),
            "market_volume": pa.array(mv),
            "market_revenue": pa.array(np.round(mv * co.line_price[l_i] * rng.uniform(0.85, 1.0, len(mv)), 2)),
        })
        _insert(self.con, "market", data)
        self.counts["market"] += len(mv)

    def _item_amounts(self, rng, items, revenue: np.ndarray) -> list[tuple[str, str, np.ndarray]]:
        """Amounts (n_regions × n_m) per item for regions with monthly revenue ``revenue``."""
        co = self.co
        n_r, n_m = revenue.shape
        base = revenue.mean(axis=1, keepdims=True) * 1.03 ** (self.month_idx[None, :] // 12)
        moy = self.month_idx % 12
        out = []
        for cat, item, basis, rate, pattern in items:
            amt = rate * (base if basis == "fixed" else revenue)
            amt = amt * rng.lognormal(0.0, 0.03 if basis == "fixed" else 0.08, (n_r, n_m))
            if pattern == "quarterly":
                amt = np.where(moy[None, :] % 3 == 2, amt * 3, 0.0)
            elif pattern == "sporadic":
                amt = np.where(rng.random((n_r, n_m)) < 0.3, amt * 3, 0.0)
            elif pattern == "dec":
                amt = np.where(moy[None, :] == 11, amt * 12, 0.0)
            elif pattern == "jan":
                amt = np.where(moy[None, :] == 0, amt * 12, 0.0)
            elif pattern == "holiday":
                amt = np.where(self.holiday_months[None, :], amt * 2.5, amt * 0.3)
            out.append((cat, item, np.round(amt, 2)))
        return out

    def _insert_expenses(self, region_rix: np.ndarray, items, terminal: np.ndarray | None = None) -> None:
        co = self.co
        for cat, item, amt in items:
            r_i, m_i = np.nonzero(amt > 0)
            n = len(r_i)
            if n == 0:
                continue
            data = pa.table({
                "date": self.m_dates.take(pa.array(m_i)),
                "region_id": _dict_array(region_rix[r_i], co.region_dict),
                "category": pa.array(np.full(n, cat)),
                "item": pa.array(np.full(n, item)),
                "terminal_id": (pa.nulls(n, pa.string()) if terminal is None
                                else _dict_array(terminal[r_i], co.t_dict)),
                "amount": pa.array(amt[r_i, m_i]),
            })
            _insert(self.con, "expenses", data)
            self.counts["expenses"] += n

    def _expenses(self, rng, counties, county_rev, term_rev, terms) -> None:
        co = self.co
        self._insert_expenses(co.county_rix[counties], self._item_amounts(rng, _COUNTY_ITEMS, county_rev))
        # terminal-level channel fees for core terminals
        ab = terms[co.t_class[terms] <= 1]
        rev = term_rev[ab]
        is_a = co.t_class[ab] == 0
        display = np.round(rev * np.where(is_a, 0.015, 0.010)[:, None] * rng.lognormal(0, 0.1, rev.shape), 2)
        self._insert_expenses(co.t_rix[ab], [("channel", "display", display)], terminal=ab)
        a = ab[is_a]
        wages = np.round(rng.uniform(2500, 3500, (len(a), 1)) * np.ones((1, co.n_m)), 2)
        self._insert_expenses(co.t_rix[a], [("channel", "promoter_wages", wages)], terminal=a)
        sm = ab[co.t_channel[ab] == _CHANNEL_CODES.index("supermarket")]
        slot = np.where((self.month_idx % 12 == 0)[None, :],
                        np.where(co.t_class[sm] == 0, 8000.0, 4000.0)[:, None] * rng.lognormal(0, 0.1, (len(sm), 1)), 0.0)
        self._insert_expenses(co.t_rix[sm], [("channel", "slotting", np.round(slot, 2))], terminal=sm)
        # city and province items
        p_cities = np.unique(co.county_city[counties])
        city_rev = np.zeros((len(p_cities), co.n_m))
        pos = np.searchsorted(p_cities, co.county_city[counties])
        np.add.at(city_rev, pos, county_rev)
        city_rix = np.array([co.region_index[co.city_ids[c]] for c in p_cities])
        self._insert_expenses(city_rix, self._item_amounts(rng, _CITY_ITEMS, city_rev))
        prov_rix = np.array([co.region_index[co.province_ids[co.county_prov[counties[0]]]]])
        self._insert_expenses(prov_rix, self._item_amounts(rng, _PROVINCE_ITEMS, county_rev.sum(axis=0, keepdims=True)))

    def finish(self) -> None:
        co = self.co
        rng = np.random.default_rng([self.seed, 2])
        total = self.revenue_by_county.sum(axis=0, keepdims=True)
        self._insert_expenses(np.array([co.region_index["HQ"]]), self._item_amounts(rng, _HQ_ITEMS, total))
        self.con.register("_demo_df", self.events)
        self.con.execute("INSERT INTO events SELECT date::DATE, region_id, kind, description FROM _demo_df")
        self.con.unregister("_demo_df")
        self.counts["events"] = len(self.events)


def build_demo(
    path: str | os.PathLike,
    *,
    seed: int = DEFAULT_SEED,
    scale: str = "small",
    start_year: int | None = None,
    years: int = 3,
    progress: bool = False,
) -> DemoSummary:
    """
    Build the demo archive: a deterministic synthetic liquor company.

    Parameters
    ----------
    path : str or PathLike
        The DuckDB file to write. Built in a temporary file in the same folder and
        moved into place at the end (an existing file is replaced only then; an
        interrupted build leaves nothing half-made).
    seed : int, default 20261127
        Seed of every random draw; the same seed gives identical tables.
    scale : {"small", "national"}
        See :data:`SCALES` and the module docstring.
    start_year : int, optional
        First year of history; default :data:`DEFAULT_START_YEAR` (2024).
    years : int, default 3
        Calendar years of monthly history, 2–10.
    progress : bool, default False
        Show a tqdm progress bar (one step per province) on stderr.

    Returns
    -------
    DemoSummary

    Raises
    ------
    ParamsError
        If an argument is out of range (the message says what is allowed).

    Notes
    -----
    Own monthly volume of terminal t, SKU s, month m (county c, line l, channel h):

        mean = level_t · v_s · (1 + g_c)^(m/12) · L_c,m · E_m · S_l,m · H_h,m · ε,
        volume = max(1, round(mean)),  ε ~ LogNormal(0, 0.12)

    with level_t = 5·exp(0.9 z_t)·k_h (the class is the quantile of z_t), v_s =
    sqrt(600 / price_s) clipped to [0.5, 1.6], g_c the county's growth rate, L the
    activity lifts 1 + Σ β·log1p(cost/scale)·overlap, E the economy, S the season
    (holiday windows from :mod:`planlib.calendar`, summed daily demand / 30.44) and H
    the channel events. Revenue = volume · price · (1 − d), d ~ U(0, 0.06).
    Market = own / share_c,l (share in [0.15, 0.40]) with
    market ≥ 1.02 · (own + competitor) on the clean data.
    """
    seed, scale, start_year, years = _validate(seed, scale, start_year, years)
    path = Path(path)
    if not path.parent.exists():
        raise ParamsError(f"folder {path.parent} does not exist")
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    for leftover in (tmp, Path(str(tmp) + ".wal")):
        leftover.unlink(missing_ok=True)
    try:
        company = _Company(seed, scale, start_year, years)
        defects = _resolve_defects(company)
        con = duckdb.connect(str(tmp))
        try:
            con.execute("SET preserve_insertion_order = false")
            for name in TABLE_ORDER:
                con.execute(table_ddl(name))
            con.execute("CREATE TABLE IF NOT EXISTS planlib_meta (key VARCHAR, value VARCHAR)")
            con.execute("INSERT INTO planlib_meta VALUES ('format_version', '1')")
            builder = _Builder(con, company, seed, defects)
            for table, frame in (("regions", company.regions), ("distributors", company.distributors),
                                 ("terminals", company.terminals), ("products", company.products)):
                con.register("_demo_df", frame)
                cols = ", ".join(TABLES[table].columns)
                con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _demo_df")
                con.unregister("_demo_df")
                builder.counts[table] = len(frame)
            from tqdm import tqdm

            bar = tqdm(range(company.n_prov), desc="demo provinces", unit="province", disable=not progress)
            try:
                for p in bar:
                    builder.province(p)
            finally:
                bar.close()
            builder.finish()

            refresh_summaries(con)
            counts = {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLE_ORDER}
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, path)
    except BaseException:
        for leftover in (tmp, Path(str(tmp) + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    resolved = tuple(
        {k: v for k, v in d.items() if not k.startswith("_")} for d in defects
    )
    return DemoSummary(
        path=path,
        seed=seed,
        scale=scale,
        years=tuple(range(start_year, start_year + years)),
        counts=counts,
        planted_defects=resolved,
        ineffective_activities=tuple(sorted(builder.ineffective)),
    )
