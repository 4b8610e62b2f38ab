"""
The demo company's structure: regions, distributors, terminals and products.

:class:`Company` draws, from one seed, the region tree (总部 → provinces → cities →
counties → townships; a fixed real layout at ``scale="small"``, generated names at
``"national"``), the distributors (tier 1 per city, tier 2 per county), the terminals
(classes A–D following each terminal's sales level, ~3 % recorded one class off) and
the products (own SKUs in three lines, two competitor brands).

Public names: :data:`SCALES`, :data:`PROVINCE_NAMES`, :data:`SMALL_LAYOUT`,
:data:`CHANNEL_CODES`, :data:`PRODUCT_LINES`, :data:`OWN_PRODUCTS`, :data:`COMPETITORS`,
:data:`COMPETITOR_PRODUCTS`, :func:`month_starts`, :class:`Company`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from planlib.schemas import CHANNELS

__all__ = [
    "SCALES",
    "PROVINCE_NAMES",
    "SMALL_LAYOUT",
    "CHANNEL_CODES",
    "PRODUCT_LINES",
    "OWN_PRODUCTS",
    "COMPETITORS",
    "COMPETITOR_PRODUCTS",
    "month_starts",
    "Company",
]

#: Known scales and what they build.
SCALES: dict[str, str] = {
    "small": "4 provinces, 42 counties, ~2,000 terminals, weekly for A/B terminals",
    "national": "31 provinces, ~2,800 counties, ~100,000 terminals, weekly for A terminals",
}

PROVINCE_NAMES = [
    "山东省", "河南省", "河北省", "江苏省", "安徽省", "湖北省", "湖南省", "四川省", "广东省", "浙江省",
    "福建省", "江西省", "山西省", "陕西省", "辽宁省", "吉林省", "黑龙江省", "云南省", "贵州省",
    "广西壮族自治区", "内蒙古自治区", "甘肃省", "新疆维吾尔自治区", "重庆市", "北京市", "天津市",
    "上海市", "海南省", "宁夏回族自治区", "青海省", "西藏自治区",
]

SMALL_LAYOUT: list[tuple[str, list[tuple[str, list[str]]]]] = [
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
CHANNEL_CODES = list(CHANNELS)
_CHANNEL_P = np.array([0.15, 0.25, 0.35, 0.15, 0.10])
_CHANNEL_LEVEL = np.array([1.2, 0.9, 1.0, 0.6, 1.5])

PRODUCT_LINES = ["白酒", "保健酒", "低度酒"]
# sku, name, line index, spec, unit_price (per case), unit_variable_cost, popularity
OWN_PRODUCTS = [
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
COMPETITORS = ["金潭", "古泉"]
# sku, name, brand index, line index, spec, unit_price
COMPETITOR_PRODUCTS = [
    ("JT-BJ-01", "金潭经典", 0, 0, "500ml×6", 660.0),
    ("JT-BJ-02", "金潭窖龄", 0, 0, "500ml×6", 1280.0),
    ("JT-DD-01", "金潭微醺", 0, 2, "330ml×12", 120.0),
    ("GQ-BJ-01", "古泉老酒", 1, 0, "500ml×6", 600.0),
    ("GQ-YS-01", "古泉滋补酒", 1, 1, "500ml×6", 500.0),
    ("GQ-DD-01", "古泉梅子酒", 1, 2, "330ml×12", 130.0),
]


def _words(rng: np.random.Generator, n: int, suffixes: list[str]) -> list[str]:
    a = rng.integers(0, len(_NAME_FIRST), n)
    b = rng.integers(0, len(_NAME_SECOND), n)
    s = rng.integers(0, len(suffixes), n)
    return [_NAME_FIRST[i] + _NAME_SECOND[j] + suffixes[k] for i, j, k in zip(a, b, s)]


def month_starts(start_year: int, years: int) -> np.ndarray:
    """The first day of each month of ``years`` calendar years from ``start_year``."""
    return np.arange(f"{start_year}-01", f"{start_year + years}-01", dtype="datetime64[M]")



class Company:
    """
    Structure shared by all provinces: regions, distributors, terminals, products.

    Built from ``numpy.random.default_rng([seed, 0])``, so the same seed draws the same company.
    """

    def __init__(self, seed: int, scale: str, start_year: int, years: int) -> None:
        rng = np.random.default_rng([seed, 0])
        self.scale, self.start_year, self.years = scale, start_year, years
        self.months = month_starts(start_year, years)
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
            layout = SMALL_LAYOUT
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
            for p, pname in enumerate(PROVINCE_NAMES, start=1):
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
        channel = rng.choice(len(CHANNEL_CODES), n, p=_CHANNEL_P)
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
            sfx = _TERMINAL_SUFFIX[CHANNEL_CODES[ch]]
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
                "channel": np.array(CHANNEL_CODES)[channel],
                "distributor_id": self.distributors["distributor_id"].to_numpy()[dist],
            }
        )
        # sku subsets: Gumbel top-k on popularity
        pop = np.array([p[6] for p in OWN_PRODUCTS])
        k = rng.integers(3, 6, n) if self.scale == "small" else rng.integers(2, 5, n)
        keys = np.log(pop)[None, :] + rng.gumbel(size=(n, len(pop)))
        rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
        self.sku_mask = rank < k[:, None]

    # products -----------------------------------------------------------------------
    def _build_products(self) -> None:
        own = [(s, n, PRODUCT_LINES[l], sp, p, c) for s, n, l, sp, p, c, _ in OWN_PRODUCTS]
        comp = [(s, n, PRODUCT_LINES[l], sp, p, None) for s, n, _, l, sp, p in COMPETITOR_PRODUCTS]
        self.products = pd.DataFrame(
            own + comp, columns=["sku", "name", "product_line", "spec", "unit_price", "unit_variable_cost"]
        )
        self.products["unit_variable_cost"] = self.products["unit_variable_cost"].astype("float64")
        self.sku_dict = pa.array(self.products["sku"].tolist(), type=pa.string())
        self.own_line = np.array([p[2] for p in OWN_PRODUCTS])
        self.own_price = np.array([p[4] for p in OWN_PRODUCTS])
        self.own_volmult = np.sqrt(600.0 / self.own_price).clip(0.5, 1.6)
        self.comp_line = np.array([p[3] for p in COMPETITOR_PRODUCTS])
        self.comp_brand = np.array([p[2] for p in COMPETITOR_PRODUCTS])
        self.comp_price = np.array([p[5] for p in COMPETITOR_PRODUCTS])
        self.line_price = np.array([self.own_price[self.own_line == l].mean() for l in range(3)])
