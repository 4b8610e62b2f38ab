"""
The demo's plan year: its actuals up to a date, the people who carry the plan, and their facts.

:class:`PlanYearBuilder` continues the history's model (:mod:`planlib.demo.history`) into the
year after it, the plan year, for the complete months up to ``until`` (default 30 June):

- own monthly sales of every terminal × SKU it sold, from the same formula (the terminal's level,
  the SKU's volume, the county's trend (1 + g)^(m/12) continued, last year's mean activity lift,
  the Spring Festival and holidays of the plan year's real calendar, the channel policy, noise
  LogNormal(0, 0.12)), times the plan year's economy κ (one factor, set so the company's own
  volume of those months grows 3 % over last year's) and the planted patterns below; weekly rows
  of the core terminals spread from them by daily demand (complete weeks only);
- competitor sales of every county × SKU × channel cell of last year, moved by the seasons;
- expenses of every level from the same items and patterns (planlib.demo.history.item_amounts);
- ``people``: 2–3 salespeople per county, each serving a contiguous share of its terminals (by
  township), and a manager per city carrying the city; ``person_events`` per salesperson and
  month: money due (``collection_due``: the month's shipments to their terminals) and collected
  (``collection``), missing reports, lost and new customers, days paid late.

The planted defects of the history carry on (the halved county stays halved, the stopped
terminal buys nothing); the history itself is untouched: every draw here comes from its own
random streams ``[seed, 3, k]``, and no activity, event or market row is added (a plan reads
those without a date limit).

Planted for a tracker (:data:`PATTERNS`; resolved per build in ``DemoSummary.tracking_patterns``):
counties ahead and behind last year, a bad March, a missed coverage milestone, an item over
its pace, a county that meets sales and misses profit, salespeople with high and low scores.

Public names: :data:`PATTERNS`, :class:`PlanYearBuilder`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa

from planlib.demo.company import CHANNEL_CODES, COMPETITOR_PRODUCTS, COMPETITORS, Company
from planlib.demo.history import (
    CITY_ITEMS,
    COUNTY_ITEMS,
    HQ_ITEMS,
    PROVINCE_ITEMS,
    HistoryBuilder,
    daily_intensity,
    date_array,
    dict_array,
    insert_rows,
    item_amounts,
)

__all__ = ["PATTERNS", "PlanYearBuilder"]

#: The patterns planted in the plan year's actuals, for a tracker to catch.
PATTERNS: dict[str, str] = {
    "ahead": "counties whose own volume runs 12-20 % above last year's (the lowest-trend counties)",
    "behind": "counties whose own volume runs 10-20 % below last year's (the highest-trend counties)",
    "bad_month": "a county whose March falls 40 % while the other months keep course: the shortfall rolls forward",
    "missed_coverage": "a county where ~70 % of the key (A/B) terminals buy nothing in the plan year, "
                       "so the 40 %-by-June coverage milestone is missed (terminal_ids: those that stopped)",
    "item_over": "a county whose hospitality (招待) spend runs ~50 % above last year's pace",
    "profit_miss": "a county that buys 25 % more volume with 12-18 % discounts and 2.2 times the promotion "
                   "spend: sales met, profit missed",
    "top_people": "salespeople collecting 104-110 % of what is due, no missing reports, new customers",
    "bottom_people": "salespeople collecting 70-76 %, reports missing, customers lost, payments 10+ days late",
}

_AHEAD = (1.13, 1.16, 1.19)
_BEHIND = (0.82, 0.86, 0.89)
_BAD_MONTH, _BAD_FACTOR = 2, 0.6  # March
_NOT_BUYING = 0.7  # share of the key terminals that stop in the missed-coverage county
_ITEM_OVER = ("office", "hospitality", 1.5)
_PROFIT = {"volume": 1.25, "discount": (0.12, 0.18), "spend": 2.2,
           "items": ("event_gifts", "promo_materials", "temp_promoters", "premiums")}
_GROWTH = 1.03  # the company's own volume against last year's, the same months
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉宇建红波斌健飞浩凯琳雪梅婷")


class PlanYearBuilder:
    """
    Writes the plan year's actuals, people and their facts after the history (:meth:`build`).

    Parameters
    ----------
    con : DuckDBPyConnection
        The archive being built, its history written.
    company : Company
    history : HistoryBuilder
        The history's builder, after :meth:`~HistoryBuilder.finish` (its season, policy and
        the per-county growth, lift and volume it recorded).
    seed : int
    defects : list of dict
        The resolved planted defects.
    until : datetime.date or None
        The last day of actuals (complete months and weeks up to it); None writes the people only.
    """

    def __init__(self, con, company: Company, history: HistoryBuilder, seed: int, defects: list[dict],
                 until: dt.date | None) -> None:
        self.con, self.co, self.hist, self.seed, self.defects = con, company, history, seed, defects
        co = company
        self.year = co.start_year + co.years
        months = np.arange(f"{self.year}-01", f"{self.year + 1}-01", dtype="datetime64[M]")
        ends = (months + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
        self.n = 0 if until is None else int((ends <= np.datetime64(until, "D")).sum())
        self.months = months[: self.n]
        intensity, days = daily_intensity(self.year, 1)
        day_month = (days.astype("datetime64[M]") - months[0]).astype(int)
        self.season = np.stack([np.bincount(day_month, weights=intensity[l], minlength=12)
                                for l in range(3)])[:, : self.n] / 30.44
        self.holiday = (np.stack([np.bincount(day_month, weights=intensity[l], minlength=12) for l in range(3)])
                        / 30.44).mean(axis=0)[: self.n] > 1.25
        # complete weeks from the first Monday up to the last complete month's end
        weekday = (days.astype(int) + 3) % 7
        first_monday = int(np.flatnonzero(weekday == 0)[0])
        week = (np.arange(len(days)) - first_monday) // 7
        last_day = int(np.flatnonzero(day_month < self.n)[-1]) if self.n else -1
        n_w = max(0, (last_day - first_monday + 1) // 7)
        use = (week >= 0) & (week < n_w)
        self.week_dates = date_array(days[first_monday: first_monday + 7 * n_w: 7])
        self.weekly = []
        for l in range(3):
            month_tot = np.bincount(day_month, weights=intensity[l], minlength=12)
            w = np.zeros((self.n, n_w))
            np.add.at(w, (day_month[use], week[use]), (intensity[l] / month_tot[day_month])[use])
            self.weekly.append(w)
        self.counts: dict[str, int] = {"sales": 0, "expenses": 0, "people": 0, "person_events": 0}

    # ------------------------------------------------------------------------------------
    def build(self) -> dict[str, dict]:
        """Write the plan year; returns the planted patterns (``DemoSummary.tracking_patterns``)."""
        co, h = self.co, self.hist
        rows_t, rows_s = np.nonzero(co.sku_mask)  # every terminal × SKU it sells
        stop = {d["_terminal"] for d in self.defects if d["kind"] == "series_stop"}
        keep = ~np.isin(rows_t, list(stop))
        rows_t, rows_s = rows_t[keep], rows_s[keep]
        people, salespeople = self._people()
        if self.n == 0:
            self._insert_people(people)
            return {}
        c_of = co.t_county[rows_t]
        line = co.own_line[rows_s]
        m_glob = co.n_m + np.arange(self.n)
        trend = (1.0 + h.growth[:, None]) ** (m_glob[None, :] / 12.0)
        chan = np.ones((len(co.t_ids), 1))
        chan[(co.county_prov[co.t_county] == h.policy_prov)
             & (co.t_channel == CHANNEL_CODES.index("group_purchase"))] = 0.55  # the policy holds
        shifted = np.ones(len(co.county_ids))
        for d in self.defects:
            if d["kind"] == "level_shift":
                shifted[d["_county"]] = 0.5  # the halved county stays halved
        base = (co.t_level[rows_t, None] * co.own_volmult[rows_s, None] * trend[c_of] * h.last_lift[c_of, None]
                * self.season[line] * chan[rows_t] * shifted[c_of, None])
        expected = np.zeros(len(co.county_ids))
        np.add.at(expected, c_of, base.sum(axis=1) * np.exp(0.12 ** 2 / 2))
        last = h.own_volume[:, co.n_m - 12: co.n_m - 12 + self.n].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            natural = np.where(last > 0, expected / last, 1.0)
        picks = self._pick(natural)
        planted = [c for key in ("ahead", "behind", "bad_month", "profit_miss") for c in picks[key]]
        calm = np.setdiff1d(np.flatnonzero(last > 0), planted)
        kappa = _GROWTH * last[calm].sum() / expected[calm].sum()
        factor = np.full((len(co.county_ids), self.n), kappa)
        for c, goal in zip(picks["ahead"] + picks["behind"], _AHEAD + _BEHIND):
            factor[c] = goal / natural[c]
        if self.n > _BAD_MONTH:
            factor[picks["bad_month"], _BAD_MONTH] *= _BAD_FACTOR
        factor[picks["profit_miss"]] *= _PROFIT["volume"]
        # the missed-coverage county: its smallest key terminals, ~70 % of them, buy nothing
        c_cov = picks["missed_coverage"][0]
        key = np.flatnonzero((co.t_county == c_cov) & (co.t_class <= 1))
        quiet = key[np.argsort(co.t_level[key], kind="stable")][: int(np.ceil(_NOT_BUYING * len(key)))]
        buys = ~np.isin(rows_t, quiet)
        rows_t, rows_s, c_of, line, base = rows_t[buys], rows_s[buys], c_of[buys], line[buys], base[buys]
        rng = np.random.default_rng([self.seed, 3, 1])
        mean = base * factor[c_of] * rng.lognormal(0.0, 0.12, base.shape)
        vol = np.maximum(1.0, np.rint(mean))
        deep = np.isin(c_of, picks["profit_miss"])[:, None]
        disc = np.where(deep, rng.uniform(*_PROFIT["discount"], vol.shape), rng.uniform(0.0, 0.06, vol.shape))
        rev = np.round(vol * co.own_price[rows_s, None] * (1.0 - disc), 2)
        self._insert_sales("month", self.months.astype("datetime64[D]"), rows_t, rows_s,
                           np.arange(self.n), vol, rev, np.ones_like(vol, dtype=bool))
        self._weekly(rng, rows_t, rows_s, line, mean, deep[:, 0])
        county_rev = np.zeros((len(co.county_ids), self.n))
        np.add.at(county_rev, c_of, rev)
        term_rev = np.zeros((len(co.t_ids), self.n))
        np.add.at(term_rev, rows_t, rev)
        county_vol = np.zeros((len(co.county_ids), self.n))
        np.add.at(county_vol, c_of, vol)
        self._expenses(county_rev, term_rev, picks)
        self._competitors()
        self._insert_people(people)
        top, bottom = self._person_events(salespeople, term_rev, quiet, picks)
        return self._patterns(picks, county_vol, county_rev, last, quiet, key, top, bottom)

    # ------------------------------------------------------------------------------------
    def _pick(self, natural: np.ndarray) -> dict[str, list[int]]:
        """The counties of each pattern: apart from the defects and the flood, none twice."""
        co, h = self.co, self.hist
        taken = {d["_county"] for d in self.defects} | {h.flood_county}
        free = [c for c in np.argsort(natural, kind="stable") if c not in taken and h.own_volume[c].sum() > 0]
        ahead, behind = free[:3], free[::-1][:3]
        rest = [c for c in free if c not in ahead + behind]
        rng = np.random.default_rng([self.seed, 3, 0])
        n_key = np.bincount(co.t_county[co.t_class <= 1], minlength=len(co.county_ids))
        with_key = [c for c in rest if n_key[c] >= 6] or rest
        cov = int(rng.choice(with_key))
        rest = [c for c in rest if c != cov]
        bad, over, profit = (int(c) for c in rng.choice(rest, 3, replace=False))
        return {"ahead": [int(c) for c in ahead], "behind": [int(c) for c in behind], "bad_month": [bad],
                "missed_coverage": [cov], "item_over": [over], "profit_miss": [profit]}

    def _insert_sales(self, grain: str, dates: np.ndarray, rows_t, rows_s, periods, vol, rev, keep) -> None:
        co = self.co
        r_idx, p_idx = np.nonzero(keep)
        t = rows_t[r_idx]
        n = len(t)
        data = pa.table({
            "date": date_array(dates[periods[p_idx]]),
            "grain": pa.array(np.full(n, grain)),
            "region_id": dict_array(co.t_rix[t], co.region_dict),
            "sku": dict_array(rows_s[r_idx], co.sku_dict),
            "channel": dict_array(co.t_channel[t], pa.array(CHANNEL_CODES)),
            "brand": pa.array(np.full(n, "own")),
            "terminal_id": dict_array(t, co.t_dict),
            "distributor_id": dict_array(co.t_dist[t], co.dist_dict),
            "volume": pa.array(vol[keep]),
            "revenue": pa.array(rev[keep]),
        })
        insert_rows(self.con, "sales", data)
        self.counts["sales"] += n

    def _weekly(self, rng, rows_t, rows_s, line, mean, deep) -> None:
        """Weekly rows of the core terminals (A/B small, A national), spread from the monthly mean."""
        co = self.co
        core = co.t_class[rows_t] <= (1 if co.scale == "small" else 0)
        dates = np.asarray(self.week_dates.to_numpy(zero_copy_only=False)).astype("datetime64[D]")
        for l in range(3):
            sel = core & (line == l)
            if not sel.any() or self.weekly[l].shape[1] == 0:
                continue
            wk = mean[sel] @ self.weekly[l]
            wk *= rng.lognormal(0.0, 0.10, wk.shape)
            wvol = np.maximum(1.0, np.rint(wk))
            lo, hi = np.where(deep[sel], _PROFIT["discount"][0], 0.0), np.where(deep[sel], _PROFIT["discount"][1], 0.06)
            disc = rng.uniform(lo[:, None], hi[:, None], wk.shape)
            wrev = np.round(wvol * co.own_price[rows_s[sel], None] * (1.0 - disc), 2)
            self._insert_sales("week", dates, rows_t[sel], rows_s[sel], np.arange(wk.shape[1]), wvol, wrev, wk > 0.05)

    # ------------------------------------------------------------------------------------
    def _expenses(self, county_rev: np.ndarray, term_rev: np.ndarray, picks: dict[str, list[int]]) -> None:
        """Every level's items (the history's), the terminals' channel fees; two counties overspend."""
        co, h = self.co, self.hist
        rng = np.random.default_rng([self.seed, 3, 2])
        moy = np.arange(self.n)
        grow = 1.03 ** co.years

        def amounts(items, hist_rev, rev):
            return item_amounts(rng, items, rev, hist_rev.mean(axis=1, keepdims=True) * grow, moy, self.holiday)

        county = amounts(COUNTY_ITEMS, h.revenue_by_county, county_rev)
        cat, item, times = _ITEM_OVER
        ly = self.year - 1
        over = picks["item_over"][0]
        paced = self.con.execute(  # last year's spend on the item in the same months
            "SELECT coalesce(sum(amount), 0) FROM expenses WHERE region_id = ? AND category = ? AND item = ? "
            "AND date >= ? AND date < ?",
            [co.county_ids[over], cat, item, dt.date(ly, 1, 1), dt.date(ly + self.n // 12, self.n % 12 + 1, 1)],
        ).fetchall()[0][0]
        out = []
        for c_, i_, amt in county:
            amt = amt.copy()
            if (c_, i_) == (cat, item) and amt[over].sum() > 0 and paced > 0:
                amt[over] = np.round(amt[over] * times * paced / amt[over].sum(), 2)
            if i_ in _PROFIT["items"]:
                amt[picks["profit_miss"]] = np.round(amt[picks["profit_miss"]] * _PROFIT["spend"], 2)
            out.append((c_, i_, amt))
        self._insert_expenses(co.county_rix, out)
        # terminals: display on the key terminals' sales; promoter wages (A) and January slotting
        # (supermarkets) at last year's rates, wages 3 % up
        ab = np.flatnonzero(co.t_class <= 1)
        rate = np.where(co.t_class[ab] == 0, 0.015, 0.010)[:, None]
        display = np.round(term_rev[ab] * rate * rng.lognormal(0, 0.1, (len(ab), self.n)), 2)
        self._insert_expenses(co.t_rix[ab], [("channel", "display", display)], terminal=ab)
        ly = self.year - 1
        fees = self.con.execute(
            "SELECT terminal_id, item, max(amount) AS amount FROM expenses WHERE terminal_id IS NOT NULL "
            "AND item IN ('promoter_wages', 'slotting') AND date >= ? AND date < ? GROUP BY ALL ORDER BY ALL",
            [dt.date(ly, 1, 1), dt.date(ly + 1, 1, 1)]).df()
        index = {t: i for i, t in enumerate(co.t_ids)}
        for name, months in (("promoter_wages", np.ones(self.n, bool)), ("slotting", moy == 0)):
            f = fees[fees["item"] == name]
            t = np.array([index[x] for x in f["terminal_id"]], dtype=int)
            scale = 1.03 if name == "promoter_wages" else rng.lognormal(0, 0.1, (len(t), 1))
            amt = np.round(f["amount"].to_numpy()[:, None] * scale * months[None, :], 2)
            self._insert_expenses(co.t_rix[t], [("channel", name, amt)], terminal=t)
        # cities, provinces, HQ
        for items, ids, member in (
            (CITY_ITEMS, co.city_ids, co.county_city),
            (PROVINCE_ITEMS, co.province_ids, co.county_prov),
            (HQ_ITEMS, ["HQ"], np.zeros(len(co.county_ids), dtype=int)),
        ):
            hist_rev = np.zeros((len(ids), co.n_m))
            np.add.at(hist_rev, member, h.revenue_by_county)
            rev = np.zeros((len(ids), self.n))
            np.add.at(rev, member, county_rev)
            rix = np.array([co.region_index[r] for r in ids])
            self._insert_expenses(rix, amounts(items, hist_rev, rev))

    def _insert_expenses(self, region_rix: np.ndarray, items, terminal: np.ndarray | None = None) -> None:
        co = self.co
        dates = date_array(self.months.astype("datetime64[D]"))
        for cat, item, amt in items:
            r_i, m_i = np.nonzero(amt > 0)
            n = len(r_i)
            if n == 0:
                continue
            data = pa.table({
                "date": dates.take(pa.array(m_i)),
                "region_id": dict_array(region_rix[r_i], co.region_dict),
                "category": pa.array(np.full(n, cat)),
                "item": pa.array(np.full(n, item)),
                "terminal_id": (pa.nulls(n, pa.string()) if terminal is None
                                else dict_array(terminal[r_i], co.t_dict)),
                "amount": pa.array(amt[r_i, m_i]),
            })
            insert_rows(self.con, "expenses", data)
            self.counts["expenses"] += n

    def _competitors(self) -> None:
        """Last year's competitor cells, month by month, moved by the plan year's season and a county drift."""
        co, h = self.co, self.hist
        rng = np.random.default_rng([self.seed, 3, 3])
        ly = self.year - 1
        cells = self.con.execute(
            "SELECT region_id, sku, channel, brand, distributor_id, month(date) - 1 AS m, volume FROM sales "
            "WHERE grain = 'month' AND brand <> 'own' AND date >= ? AND date < ? AND month(date) <= ? "
            "ORDER BY region_id, sku, channel, distributor_id NULLS FIRST, m",
            [dt.date(ly, 1, 1), dt.date(ly + 1, 1, 1), self.n]).df()
        if cells.empty:
            return
        k = pd.Index([p[0] for p in COMPETITOR_PRODUCTS]).get_indexer(cells["sku"])
        l = co.comp_line[k]
        m = cells["m"].to_numpy()
        drift = pd.Series(rng.normal(0.02, 0.05, len(co.county_ids)), index=co.county_ids)
        move = (1.0 + drift.reindex(cells["region_id"]).fillna(0.0).to_numpy()) * self.season[l, m] \
            / h.season[l, co.n_m - 12 + m]
        vol = np.maximum(1.0, np.rint(cells["volume"].to_numpy() * move * rng.lognormal(0.0, 0.15, len(cells))))
        rev = np.round(vol * co.comp_price[k] * (1.0 - rng.uniform(0.0, 0.08, len(cells))), 2)
        data = pa.table({
            "date": date_array(self.months.astype("datetime64[D]")[m]),
            "grain": pa.array(np.full(len(cells), "month")),
            "region_id": pa.array(cells["region_id"].astype(str).to_numpy()),
            "sku": pa.array(cells["sku"].astype(str).to_numpy()),
            "channel": pa.array(cells["channel"].astype(str).to_numpy()),
            "brand": pa.array(np.array(COMPETITORS)[co.comp_brand[k]]),
            "terminal_id": pa.nulls(len(cells), pa.string()),
            "distributor_id": pa.array(cells["distributor_id"].astype(object).where(cells["distributor_id"].notna(),
                                                                                    None).tolist(), pa.string()),
            "volume": pa.array(vol),
            "revenue": pa.array(rev),
        })
        insert_rows(self.con, "sales", data)
        self.counts["sales"] += len(cells)

    # ------------------------------------------------------------------------------------
    def _people(self) -> tuple[pd.DataFrame, list[tuple[str, int, np.ndarray]]]:
        """The people table, and per salesperson (person_id, county, terminals served)."""
        co = self.co
        rng = np.random.default_rng([self.seed, 3, 4])
        rows: list[tuple] = []
        sales: list[tuple[str, int, np.ndarray]] = []

        def name() -> str:
            given = "".join(rng.choice(_GIVEN, int(rng.integers(1, 3))))
            return str(rng.choice(_SURNAMES)) + given

        for c, county in enumerate(co.county_ids):
            terms = np.flatnonzero(co.t_county == c)
            terms = terms[np.lexsort((terms, co.t_rix[terms]))]  # by township: each person covers an area
            for part in np.array_split(terms, int(rng.integers(2, 4))):
                pid = f"E{len(sales) + 1:05d}"
                who = name()
                sales.append((pid, c, part))
                rows += [(pid, who, "salesperson", county, co.t_ids[t]) for t in part]
        for i, city in enumerate(co.city_ids):
            rows.append((f"M{i + 1:04d}", name(), "manager", city, None))
        frame = pd.DataFrame(rows, columns=["person_id", "name", "role", "region_id", "terminal_id"])
        return frame, sales

    def _insert_people(self, people: pd.DataFrame) -> None:
        self.con.register("_demo_people", people)
        try:
            self.con.execute("INSERT INTO people SELECT person_id, name, role, region_id, terminal_id FROM _demo_people")
        finally:
            self.con.unregister("_demo_people")
        self.counts["people"] = len(people)

    def _person_events(self, salespeople, term_rev, quiet, picks) -> tuple[list[str], list[str]]:
        """Each salesperson's month: money due and collected, reports missed, customers lost and won, days late."""
        rng = np.random.default_rng([self.seed, 3, 5])
        top = {pid for pid, c, _ in salespeople if c in picks["ahead"] and pid == _first(salespeople, c)}
        bottom = {pid for pid, c, _ in salespeople if c in picks["behind"] and pid == _first(salespeople, c)}
        quiet = set(quiet.tolist())
        rows = []
        for pid, _, terms in salespeople:
            due = term_rev[terms].sum(axis=0)
            kind = "top" if pid in top else "bottom" if pid in bottom else "usual"
            lo, hi = {"top": (1.04, 1.10), "bottom": (0.70, 0.76), "usual": (0.86, 1.01)}[kind]
            rate = np.clip(rng.uniform(lo, hi) * rng.lognormal(0.0, 0.02, self.n), lo, hi)
            counts = {
                "missing_report": rng.poisson({"top": 0.0, "bottom": 1.5, "usual": 0.15}[kind], self.n)
                + (kind == "bottom"),
                "lost_customer": rng.poisson({"top": 0.0, "bottom": 0.8, "usual": 0.05}[kind], self.n),
                "new_customer": rng.poisson({"top": 1.5, "bottom": 0.0, "usual": 0.4}[kind], self.n) + (kind == "top"),
                "late_days": np.where(kind == "bottom", 10 + rng.poisson(10, self.n),
                                      np.where(rate < 0.95, rng.poisson(2, self.n), 0) * (kind == "usual")),
            }
            counts["lost_customer"][0] += len(quiet.intersection(terms.tolist()))
            for m in range(self.n):
                if due[m] > 0:
                    rows.append((m, pid, "collection_due", round(float(due[m]), 2)))
                    rows.append((m, pid, "collection", round(float(due[m] * rate[m]), 2)))
                rows += [(m, pid, k, float(v[m])) for k, v in counts.items() if v[m] > 0]
        frame = pd.DataFrame(rows, columns=["m", "person_id", "kind", "value"])
        frame.insert(0, "date", self.months.astype("datetime64[D]").astype("datetime64[s]")[frame["m"].to_numpy()])
        self.con.register("_demo_events", frame)
        try:
            self.con.execute("INSERT INTO person_events SELECT date::DATE, person_id, kind, value FROM _demo_events")
        finally:
            self.con.unregister("_demo_events")
        self.counts["person_events"] = len(frame)
        return sorted(top), sorted(bottom)

    def _patterns(self, picks, county_vol, county_rev, last, quiet, key, top, bottom) -> dict[str, dict]:
        """The planted patterns as this build resolved them (ids and the figures that show them)."""
        co, h = self.co, self.hist
        ids = co.county_ids
        last_rev = h.revenue_by_county[:, co.n_m - 12: co.n_m - 12 + self.n].sum(axis=1)
        vs = lambda cs: {ids[c]: round(float(county_vol[c].sum() / last[c]) - 1, 3) for c in cs}  # noqa: E731
        out = {k: {"description": PATTERNS[k], "region_ids": tuple(ids[c] for c in picks[k])}
               for k in ("ahead", "behind", "bad_month", "missed_coverage", "item_over", "profit_miss")}
        out["ahead"]["volume_vs_last_year"] = vs(picks["ahead"])
        out["behind"]["volume_vs_last_year"] = vs(picks["behind"])
        out["bad_month"].update(month=dt.date(self.year, _BAD_MONTH + 1, 1), factor=_BAD_FACTOR)
        out["missed_coverage"].update(terminal_ids=tuple(co.t_ids[t] for t in sorted(quiet)),
                                      key_terminals=len(key), coverage=round(1 - len(quiet) / len(key), 3))
        out["item_over"].update(category=_ITEM_OVER[0], item=_ITEM_OVER[1], factor=_ITEM_OVER[2])
        c = picks["profit_miss"][0]
        out["profit_miss"].update(volume_vs_last_year=vs([c])[ids[c]],
                                  revenue_vs_last_year=round(float(county_rev[c].sum() / last_rev[c]) - 1, 3),
                                  discount=_PROFIT["discount"], spend_factor=_PROFIT["spend"],
                                  items=_PROFIT["items"])
        out["top_people"] = {"description": PATTERNS["top_people"], "person_ids": tuple(top)}
        out["bottom_people"] = {"description": PATTERNS["bottom_people"], "person_ids": tuple(bottom)}
        return out


def _first(salespeople, county: int) -> str:
    """The first salesperson of a county."""
    return next(pid for pid, c, _ in salespeople if c == county)
