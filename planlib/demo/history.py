"""
The demo's history: monthly and weekly sales, market, expenses, activities and events.

:class:`HistoryBuilder` writes one province at a time into an open DuckDB connection
(its tables already created), from the :class:`~planlib.demo.company.Company`
and the resolved planted defects; :meth:`HistoryBuilder.finish` adds the HQ items and
the events. The formulas are in :func:`planlib.demo.build_demo`'s Notes.

Public names: :class:`HistoryBuilder`; the expense items per level (:data:`COUNTY_ITEMS`,
:data:`CITY_ITEMS`, :data:`PROVINCE_ITEMS`, :data:`HQ_ITEMS`) and the pieces of the model the
plan year's actuals (:mod:`planlib.demo.actuals`) reuse: :func:`daily_intensity`,
:func:`item_amounts`, :func:`dict_array`, :func:`date_array`, :func:`insert_rows`.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from planlib import calendar as cal
from planlib.demo.company import (
    CHANNEL_CODES,
    COMPETITOR_PRODUCTS,
    COMPETITORS,
    OWN_PRODUCTS,
    PRODUCT_LINES,
    Company,
)
from planlib.labels import HOLIDAY_NAMES
from planlib.schemas import TABLE_ORDER, TABLES

__all__ = [
    "HistoryBuilder",
    "COUNTY_ITEMS",
    "CITY_ITEMS",
    "PROVINCE_ITEMS",
    "HQ_ITEMS",
    "daily_intensity",
    "item_amounts",
    "dict_array",
    "date_array",
    "insert_rows",
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
COUNTY_ITEMS = [
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
CITY_ITEMS = [
    ("labour", "wages", "fixed", 0.008, "monthly"),
    ("labour", "social_insurance", "fixed", 0.002, "monthly"),
    ("office", "rent", "fixed", 0.002, "monthly"),
    ("office", "travel", "revenue", 0.001, "monthly"),
]
PROVINCE_ITEMS = [
    ("labour", "wages", "fixed", 0.005, "monthly"),
    ("office", "rent", "fixed", 0.001, "monthly"),
    ("media", "tv", "fixed", 0.008, "monthly"),
    ("media", "radio", "fixed", 0.002, "monthly"),
    ("media", "newspaper", "fixed", 0.001, "monthly"),
    ("media", "magazine", "fixed", 0.0005, "quarterly"),
]
HQ_ITEMS = [
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


def daily_intensity(start_year: int, years: int) -> tuple[np.ndarray, np.ndarray]:
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


def item_amounts(rng, items, revenue: np.ndarray, base: np.ndarray, moy: np.ndarray,
                 holiday_months: np.ndarray) -> list[tuple[str, str, np.ndarray]]:
    """
    Expense amounts per item (n_regions × n_months) of regions with monthly ``revenue``.

    ``items`` are (category, item, basis, rate, pattern) rows (:data:`COUNTY_ITEMS` …): a
    "fixed" item is rate × ``base`` (a region's mean monthly revenue grown 3 % a year), a
    "revenue" one rate × that month's revenue, each with lognormal noise (σ 0.03 fixed, 0.08
    revenue); the pattern books it monthly, quarterly (×3 in the quarter's last month),
    sporadic (×3 in 30 % of months), in December or January (×12) or around holidays
    (×2.5 in ``holiday_months``, ×0.3 otherwise). ``moy`` is each column's month of year (0-11).
    """
    n_r, n_m = revenue.shape
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
            amt = np.where(holiday_months[None, :], amt * 2.5, amt * 0.3)
        out.append((cat, item, np.round(amt, 2)))
    return out


def dict_array(indices: np.ndarray, dictionary: pa.Array, mask: np.ndarray | None = None) -> pa.DictionaryArray:
    """Codes ``indices`` into ``dictionary`` as an Arrow dictionary column (``mask`` True: null)."""
    idx = pa.array(indices.astype(np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(idx, dictionary)


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    """Append an Arrow table holding an archive table's columns to that table."""
    if data.num_rows == 0:
        return
    cols = ", ".join(TABLES[table].columns)
    con.register("_demo_chunk", data)
    try:
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _demo_chunk")
    finally:
        con.unregister("_demo_chunk")


def date_array(days: np.ndarray) -> pa.Array:
    """Days (datetime64) as an Arrow date32 column."""
    return pa.array(days.astype("datetime64[D]").astype(np.int32), type=pa.date32())


def _overlap(start: np.ndarray, end: np.ndarray, m_start: np.ndarray, m_end: np.ndarray) -> np.ndarray:
    """Days of [start, end] inside each month: (n, n_months)."""
    lo = np.maximum(start[:, None], m_start[None, :])
    hi = np.minimum(end[:, None], m_end[None, :])
    return np.clip((hi - lo).astype(int) + 1, 0, None)


class HistoryBuilder:
    """Writes the history of each province (:meth:`province`), then the HQ items and events (:meth:`finish`)."""

    def __init__(self, con, company: Company, seed: int, defects: list[dict]) -> None:
        self.con, self.co, self.seed, self.defects = con, company, seed, defects
        co = company
        self.m_start = co.months.astype("datetime64[D]")
        self.m_end = (co.months + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
        self.m_days = (self.m_end - self.m_start).astype(int) + 1
        self.m_dates = date_array(co.months)
        intensity, days = daily_intensity(co.start_year, co.years)
        day_month = (days.astype("datetime64[M]") - co.months[0]).astype(int)
        # monthly season factor per line (3 × n_m): summed daily demand / average month
        self.season = np.stack([np.bincount(day_month, weights=intensity[l], minlength=co.n_m) for l in range(3)]) / 30.44
        # weekly spreading matrices per line (n_m × n_w): share of the month's demand in each week
        weekday = (days.astype("datetime64[D]").astype(int) + 3) % 7  # 0 = Monday
        first_monday = int(np.flatnonzero(weekday == 0)[0])
        week_of_day = (np.arange(len(days)) - first_monday) // 7
        n_w = int(week_of_day.max()) + 1
        valid = week_of_day >= 0
        self.week_dates = date_array(days[first_monday::7])
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
        # what the plan year's actuals continue from (planlib.demo.actuals), recorded per county:
        # the trend's growth rate, last year's mean activity lift and the own volume as archived
        self.growth = np.zeros(len(co.county_ids))
        self.last_lift = np.ones(len(co.county_ids))
        self.own_volume = np.zeros((len(co.county_ids), co.n_m))
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
        prod_pick = rng.integers(0, len(OWN_PRODUCTS), n_a)
        tmpl = rng.integers(0, 3, n_a)
        desc = [_ACTIVITY_TEXT[k][t].format(r=r, p=OWN_PRODUCTS[q][1])
                for k, t, r, q in zip(all_kind, tmpl, rname, prod_pick)]
        ids = [f"A{pid}-{i:05d}" for i in range(1, n_a + 1)]
        self.ineffective.extend(i for i, e in zip(ids, effective) if not e)
        own_rows = pd.DataFrame({
            "activity_id": ids, "region_id": region, "brand": "own", "kind": all_kind,
            "start_date": start.astype("datetime64[s]"), "end_date": end.astype("datetime64[s]"),
            "cost": cost, "description": desc,
        })
        c_desc = [f"{COMPETITORS[b]}{ {'promotion': '买赠促销', 'tasting': '品鉴会', 'display': '陈列买断'}[k] }"
                  f"（{co.county_names[counties[c]]}）" for b, k, c in zip(c_b, c_kind, c_c)]
        comp_rows = pd.DataFrame({
            "activity_id": [f"C{pid}-{i:05d}" for i in range(1, len(c_c) + 1)],
            "region_id": [co.county_ids[counties[c]] for c in c_c],
            "brand": np.array(COMPETITORS)[c_b], "kind": c_kind,
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
        self.growth[counties] = growth
        self.last_lift[counties] = own_lift[:, -12:].mean(axis=1)
        trend = (1.0 + growth[:, None]) ** (self.month_idx[None, :] / 12.0)
        county_f = trend * own_lift * self.econ[None, :]
        if local[self.flood_county] >= 0:
            county_f[local[self.flood_county], self.flood_month] *= 0.6
        chan_f = np.ones((len(CHANNEL_CODES), n_m))
        if p == self.policy_prov:
            chan_f[CHANNEL_CODES.index("group_purchase"), self.policy_from:] = 0.55

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
                keep_row[in_c & (line == PRODUCT_LINES.index(d["product_line"])), m] = False
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
                sku = next(i for i, q in enumerate(OWN_PRODUCTS) if q[0] == d["sku"])
                r = np.flatnonzero((st == d["_terminal"]) & (ss == sku))[0]
                if kind == "outlier":
                    vol[r, m] *= 20
                    rev[r, m] *= 20
                elif kind == "price_typo":
                    rev[r, m] = np.round(rev[r, m] * 100, 2)
                elif kind == "volume_without_revenue":
                    rev[r, m] = 0.0
        self._insert_own(st, ss, vol, rev, keep_row)
        np.add.at(self.own_volume, counties[rows_c], np.where(keep_row, vol, 0.0))

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
            "region_id": dict_array(co.t_rix[t], co.region_dict),
            "sku": dict_array(ss[r_idx], co.sku_dict),
            "channel": dict_array(co.t_channel[t], pa.array(CHANNEL_CODES)),
            "brand": pa.array(np.full(n, "own")),
            "terminal_id": dict_array(t, co.t_dict),
            "distributor_id": dict_array(co.t_dist[t], co.dist_dict),
            "volume": pa.array(vol[keep]),
            "revenue": pa.array(rev[keep]),
        })
        insert_rows(self.con, "sales", data)
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
                "region_id": dict_array(co.t_rix[t], co.region_dict),
                "sku": dict_array(s_l[r_idx], co.sku_dict),
                "channel": dict_array(co.t_channel[t], pa.array(CHANNEL_CODES)),
                "brand": pa.array(np.full(n, "own")),
                "terminal_id": dict_array(t, co.t_dict),
                "distributor_id": dict_array(co.t_dist[t], co.dist_dict),
                "volume": pa.array(v),
                "revenue": pa.array(np.round(v * co.own_price[s_l[r_idx]] * (1.0 - disc), 2)),
            })
            insert_rows(self.con, "sales", data)
            self.counts["sales"] += n

    def _competitors_market(self, rng, p, counties, own_line_vol, comp_lift, chan_f) -> None:
        co = self.co
        n_c, n_m = len(counties), co.n_m
        n_k = len(COMPETITOR_PRODUCTS)
        n_ch = len(CHANNEL_CODES)
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
            "region_id": dict_array(co.county_rix[counties[c_i]], co.region_dict),
            "sku": dict_array(len(OWN_PRODUCTS) + k_i, co.sku_dict),
            "channel": dict_array(ch_i, pa.array(CHANNEL_CODES)),
            "brand": dict_array(kb[k_i], pa.array(COMPETITORS)),
            "terminal_id": pa.nulls(n, pa.string()),
            "distributor_id": dict_array(co.tier2_of_county[counties[c_i]], co.dist_dict, mask=dist_mask),
            "volume": pa.array(v),
            "revenue": pa.array(np.round(v * co.comp_price[k_i] * (1.0 - disc), 2)),
        })
        insert_rows(self.con, "sales", data)
        self.counts["sales"] += n
        # market
        mk = np.maximum(np.rint(market_true * rng.lognormal(0.0, 0.05, market_true.shape)),
                        np.ceil(1.02 * (own_line_vol + comp_line_vol)))
        c_i, l_i, m_i = np.nonzero(np.ones_like(mk, dtype=bool))
        mv = mk.ravel()
        data = pa.table({
            "date": self.m_dates.take(pa.array(m_i)),
            "region_id": dict_array(co.county_rix[counties[c_i]], co.region_dict),
            "product_line": dict_array(l_i, pa.array(PRODUCT_LINES)),
            "market_volume": pa.array(mv),
            "market_revenue": pa.array(np.round(mv * co.line_price[l_i] * rng.uniform(0.85, 1.0, len(mv)), 2)),
        })
        insert_rows(self.con, "market", data)
        self.counts["market"] += len(mv)

    def _item_amounts(self, rng, items, revenue: np.ndarray) -> list[tuple[str, str, np.ndarray]]:
        """Amounts (n_regions × n_m) per item for regions with monthly revenue ``revenue``."""
        base = revenue.mean(axis=1, keepdims=True) * 1.03 ** (self.month_idx[None, :] // 12)
        return item_amounts(rng, items, revenue, base, self.month_idx % 12, self.holiday_months)

    def _insert_expenses(self, region_rix: np.ndarray, items, terminal: np.ndarray | None = None) -> None:
        co = self.co
        for cat, item, amt in items:
            r_i, m_i = np.nonzero(amt > 0)
            n = len(r_i)
            if n == 0:
                continue
            data = pa.table({
                "date": self.m_dates.take(pa.array(m_i)),
                "region_id": dict_array(region_rix[r_i], co.region_dict),
                "category": pa.array(np.full(n, cat)),
                "item": pa.array(np.full(n, item)),
                "terminal_id": (pa.nulls(n, pa.string()) if terminal is None
                                else dict_array(terminal[r_i], co.t_dict)),
                "amount": pa.array(amt[r_i, m_i]),
            })
            insert_rows(self.con, "expenses", data)
            self.counts["expenses"] += n

    def _expenses(self, rng, counties, county_rev, term_rev, terms) -> None:
        co = self.co
        self._insert_expenses(co.county_rix[counties], self._item_amounts(rng, COUNTY_ITEMS, county_rev))
        # terminal-level channel fees for core terminals
        ab = terms[co.t_class[terms] <= 1]
        rev = term_rev[ab]
        is_a = co.t_class[ab] == 0
        display = np.round(rev * np.where(is_a, 0.015, 0.010)[:, None] * rng.lognormal(0, 0.1, rev.shape), 2)
        self._insert_expenses(co.t_rix[ab], [("channel", "display", display)], terminal=ab)
        a = ab[is_a]
        wages = np.round(rng.uniform(2500, 3500, (len(a), 1)) * np.ones((1, co.n_m)), 2)
        self._insert_expenses(co.t_rix[a], [("channel", "promoter_wages", wages)], terminal=a)
        sm = ab[co.t_channel[ab] == CHANNEL_CODES.index("supermarket")]
        slot = np.where((self.month_idx % 12 == 0)[None, :],
                        np.where(co.t_class[sm] == 0, 8000.0, 4000.0)[:, None] * rng.lognormal(0, 0.1, (len(sm), 1)), 0.0)
        self._insert_expenses(co.t_rix[sm], [("channel", "slotting", np.round(slot, 2))], terminal=sm)
        # city and province items
        p_cities = np.unique(co.county_city[counties])
        city_rev = np.zeros((len(p_cities), co.n_m))
        pos = np.searchsorted(p_cities, co.county_city[counties])
        np.add.at(city_rev, pos, county_rev)
        city_rix = np.array([co.region_index[co.city_ids[c]] for c in p_cities])
        self._insert_expenses(city_rix, self._item_amounts(rng, CITY_ITEMS, city_rev))
        prov_rix = np.array([co.region_index[co.province_ids[co.county_prov[counties[0]]]]])
        self._insert_expenses(prov_rix, self._item_amounts(rng, PROVINCE_ITEMS, county_rev.sum(axis=0, keepdims=True)))

    def finish(self) -> None:
        co = self.co
        rng = np.random.default_rng([self.seed, 2])
        total = self.revenue_by_county.sum(axis=0, keepdims=True)
        self._insert_expenses(np.array([co.region_index["HQ"]]), self._item_amounts(rng, HQ_ITEMS, total))
        self.con.register("_demo_df", self.events)
        self.con.execute("INSERT INTO events SELECT date::DATE, region_id, kind, description FROM _demo_df")
        self.con.unregister("_demo_df")
        self.counts["events"] = len(self.events)
