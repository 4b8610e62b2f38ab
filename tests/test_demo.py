"""Tests of planlib.demo: the deterministic synthetic liquor company."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from planlib import demo
from planlib.demo.history import HistoryBuilder
from planlib.errors import ParamsError
from planlib.hierarchy import RegionTree
from planlib.schemas import CHANNELS, TABLE_ORDER

pytestmark = pytest.mark.xdist_group("demo")  # the module fixtures are built once, on one worker

START = 2023  # Spring Festival 2023-01-22 (January), 2024-02-10 (February), 2025-01-29


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    summary = demo.build_demo(path, start_year=START)
    con = duckdb.connect(str(path), read_only=True)
    yield summary, con
    con.close()


def _q(con, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def _fingerprint(path, tables=(*TABLE_ORDER, "planlib_meta")) -> dict[str, str]:
    """Row count and a hash of each table's sorted row hashes (order-free, exact)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: con.execute(
                f"SELECT count(*) || ':' || coalesce(md5(string_agg(h, '' ORDER BY h)), '') "
                f"FROM (SELECT md5(x::VARCHAR) AS h FROM {t} x)"
            ).fetchone()[0]
            for t in tables
        }
    finally:
        con.close()


def test_build_demo_same_seed_gives_identical_tables(built, tmp_path):
    summary, _ = built
    again = demo.build_demo(tmp_path / "again.duckdb", start_year=START)
    assert _fingerprint(summary.path) == _fingerprint(again.path)
    assert again.counts == summary.counts
    assert again.planted_defects == summary.planted_defects


def test_build_demo_summary_fields(built):
    summary, _ = built
    assert summary.seed == demo.DEFAULT_SEED and summary.scale == "small"
    assert summary.years == (2023, 2024, 2025)
    assert set(summary.counts) == set(TABLE_ORDER)
    assert len(summary.planted_defects) == len(demo.PLANTED_DEFECTS) == 7
    with pytest.raises(AttributeError):
        summary.seed = 1  # frozen


def test_build_demo_counts_in_expected_ranges(built):
    summary, con = built
    c = summary.counts
    assert 1900 <= c["terminals"] <= 2100
    assert 50 <= c["distributors"] <= 70
    assert c["products"] == 12 + 6
    assert 400_000 <= c["sales"] <= 800_000
    assert c["market"] == 42 * 3 * 36
    levels = _q(con, "SELECT level, count(*) AS n FROM regions GROUP BY level").set_index("level")["n"]
    assert (levels["hq"], levels["province"], levels["city"], levels["county"]) == (1, 4, 10, 42)
    assert 2 * 42 <= levels["township"] <= 4 * 42
    for t in TABLE_ORDER:
        assert c[t] == con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]


def test_build_demo_meta_row(built):
    _, con = built
    rows = dict(con.execute("SELECT key, value FROM planlib_meta").fetchall())
    sales = con.execute("SELECT count(*) FROM sales").fetchone()[0]
    assert rows == {"format_version": "1", "sku_months_sales_rows": str(sales)}


def test_build_demo_every_foreign_key_resolves(built):
    _, con = built
    checks = {
        "sales.region_id": "SELECT count(*) FROM sales s ANTI JOIN regions r USING (region_id)",
        "sales.sku": "SELECT count(*) FROM sales s ANTI JOIN products p USING (sku)",
        "sales.terminal_id": "SELECT count(*) FROM sales s WHERE terminal_id IS NOT NULL "
                             "AND terminal_id NOT IN (SELECT terminal_id FROM terminals)",
        "sales.distributor_id": "SELECT count(*) FROM sales s WHERE distributor_id IS NOT NULL "
                                "AND distributor_id NOT IN (SELECT distributor_id FROM distributors)",
        "terminals.region_id": "SELECT count(*) FROM terminals ANTI JOIN regions USING (region_id)",
        "terminals.distributor_id": "SELECT count(*) FROM terminals ANTI JOIN distributors USING (distributor_id)",
        "distributors.region_id": "SELECT count(*) FROM distributors ANTI JOIN regions USING (region_id)",
        "market.region_id": "SELECT count(*) FROM market ANTI JOIN regions USING (region_id)",
        "expenses.region_id": "SELECT count(*) FROM expenses ANTI JOIN regions USING (region_id)",
        "expenses.terminal_id": "SELECT count(*) FROM expenses WHERE terminal_id IS NOT NULL "
                                "AND terminal_id NOT IN (SELECT terminal_id FROM terminals)",
        "activities.region_id": "SELECT count(*) FROM activities ANTI JOIN regions USING (region_id)",
        "events.region_id": "SELECT count(*) FROM events ANTI JOIN regions USING (region_id)",
    }
    bad = {k: con.execute(sql).fetchone()[0] for k, sql in checks.items()}
    assert bad == dict.fromkeys(checks, 0)


def test_build_demo_own_rows_match_their_terminal(built):
    _, con = built
    n = con.execute("""
        SELECT count(*) FROM sales s JOIN terminals t USING (terminal_id)
        WHERE s.region_id <> t.region_id OR s.channel <> t.channel OR s.distributor_id <> t.distributor_id
    """).fetchone()[0]
    assert n == 0
    assert con.execute("SELECT count(*) FROM sales WHERE brand = 'own' AND terminal_id IS NULL").fetchone()[0] == 0


def test_build_demo_keys_are_unique(built):
    _, con = built
    dup = con.execute("""
        SELECT count(*) FROM (SELECT date, grain, region_id, sku, channel, brand, terminal_id, distributor_id
                              FROM sales GROUP BY ALL HAVING count(*) > 1)""").fetchone()[0]
    assert dup == 0
    dup = con.execute("""SELECT count(*) FROM (SELECT date, region_id, category, item, terminal_id
                         FROM expenses GROUP BY ALL HAVING count(*) > 1)""").fetchone()[0]
    assert dup == 0


def test_build_demo_region_tree_is_valid(built):
    _, con = built
    tree = RegionTree(_q(con, "SELECT * FROM regions"))
    assert tree.root == "HQ" and tree.name("P01") == "山东省"
    assert tree.children("P01C01") == ("P01C01K01", "P01C01K02", "P01C01K03", "P01C01K04")
    for d in demo.PLANTED_DEFECTS:
        assert tree.level(d["region_id"]) == "county"


def test_build_demo_terminal_classes_channels_and_levels(built):
    _, con = built
    t = _q(con, "SELECT terminal_class, channel FROM terminals")
    share = t["terminal_class"].value_counts(normalize=True)
    assert share["A"] == pytest.approx(0.05, abs=0.02)
    assert share["B"] == pytest.approx(0.15, abs=0.03)
    assert share["C"] == pytest.approx(0.30, abs=0.04)
    assert share["D"] == pytest.approx(0.50, abs=0.04)
    assert set(t["channel"]) == set(CHANNELS)
    lvl = _q(con, """
        SELECT t.terminal_class, avg(v) AS v FROM
          (SELECT terminal_id, sum(volume) AS v FROM sales WHERE grain = 'month' GROUP BY 1) s
        JOIN terminals t USING (terminal_id) GROUP BY 1 ORDER BY 1""")["v"].to_numpy()
    assert np.all(np.diff(lvl) < 0)  # A > B > C > D on average
    # a few recorded classes are deliberately wrong: some D outsell the median B
    per = _q(con, """SELECT t.terminal_class AS c, sum(volume) AS v FROM sales s JOIN terminals t
                     USING (terminal_id) WHERE grain = 'month' GROUP BY t.terminal_id, t.terminal_class""")
    assert (per.loc[per.c == "C", "v"] > per.loc[per.c == "B", "v"].median()).any()


def test_build_demo_group_purchase_and_competitors(built):
    _, con = built
    brands = _q(con, "SELECT brand, count(*) AS n, count(terminal_id) AS t, count(distributor_id) AS d "
                     "FROM sales WHERE grain = 'month' GROUP BY brand").set_index("brand")
    assert set(brands.index) == {"own", "金潭", "古泉"}
    for b in ("金潭", "古泉"):
        assert brands.loc[b, "t"] == 0 and 0 < brands.loc[b, "d"] < brands.loc[b, "n"]
    assert con.execute("SELECT count(*) FROM sales WHERE channel = 'group_purchase' AND brand = 'own'").fetchone()[0] > 0
    comp = _q(con, "SELECT sku, unit_variable_cost FROM products WHERE sku LIKE 'JT-%' OR sku LIKE 'GQ-%'")
    assert len(comp) == 6 and comp["unit_variable_cost"].isna().all()


def _monthly_own(con, year: int) -> pd.Series:
    return _q(con, f"""SELECT month(date) AS m, sum(volume) AS v FROM sales
                      WHERE grain = 'month' AND brand = 'own' AND year(date) = {year}
                      GROUP BY 1 ORDER BY 1""").set_index("m")["v"]


def test_build_demo_spring_festival_peak_follows_the_lunar_calendar(built):
    _, con = built
    y23, y24, y25 = (_monthly_own(con, y) for y in (2023, 2024, 2025))
    assert y23.idxmax() == 1 and y23[1] > 1.5 * y23[2]   # festival on Jan 22
    assert y24.idxmax() == 2 and y24[2] > 1.1 * y24[1]   # festival on Feb 10
    assert y25.idxmax() == 1                              # festival on Jan 29
    # Mid-Autumn / National Day lift September-October above the summer
    assert y24[9] > 1.2 * y24[7] and y23[9] > 1.2 * y23[7]


def test_build_demo_weekly_core_terminals_match_monthly(built):
    _, con = built
    cls = _q(con, """SELECT DISTINCT t.terminal_class FROM sales s JOIN terminals t USING (terminal_id)
                     WHERE grain = 'week'""")["terminal_class"]
    assert set(cls) == {"A", "B"}
    wk = _q(con, "SELECT DISTINCT dayofweek(date) AS d FROM sales WHERE grain = 'week'")["d"]
    assert set(wk) == {1}  # Mondays
    both = _q(con, """
        SELECT year(date) AS y, grain, sum(volume) AS v FROM sales
        WHERE brand = 'own' AND terminal_id IN (SELECT terminal_id FROM sales WHERE grain = 'week')
          AND year(date) = 2024 GROUP BY ALL""").set_index("grain")["v"]
    assert both["week"] == pytest.approx(both["month"], rel=0.05)


def test_build_demo_market_covers_own_plus_competitors(built):
    summary, con = built
    m = _q(con, """
        WITH county AS (SELECT region_id, CASE WHEN level = 'township' THEN parent_id ELSE region_id END AS county
                        FROM regions),
        s AS (SELECT c.county, p.product_line, s.date, sum(volume) FILTER (WHERE brand = 'own') AS own,
                     sum(volume) FILTER (WHERE brand <> 'own') AS comp
              FROM sales s JOIN county c USING (region_id) JOIN products p USING (sku)
              WHERE grain = 'month' GROUP BY ALL)
        SELECT m.region_id, m.product_line, m.date, m.market_volume, coalesce(own, 0) AS own, coalesce(comp, 0) AS comp
        FROM market m LEFT JOIN s ON s.county = m.region_id AND s.product_line = m.product_line AND s.date = m.date""")
    # planted defects change own sales after the market was recorded: leave those cells out
    touched = {d["region_id"] for d in summary.planted_defects}
    clean = m[~m["region_id"].isin(touched)]
    assert (clean["market_volume"] >= clean["own"] + clean["comp"]).all()
    share = clean.groupby("region_id")[["own", "market_volume"]].sum()
    share = share["own"] / share["market_volume"]
    assert share.between(0.10, 0.45).all() and share.max() - share.min() > 0.05


def test_build_demo_expenses_in_all_categories_near_a_fifth_of_revenue(built):
    _, con = built
    cats = set(_q(con, "SELECT DISTINCT category FROM expenses")["category"])
    assert cats == {"labour", "office", "media", "channel", "promotion"}
    ratio = con.execute("""SELECT (SELECT sum(amount) FROM expenses) /
                                  (SELECT sum(revenue) FROM sales WHERE grain = 'month' AND brand = 'own')""").fetchone()[0]
    assert 0.15 <= ratio <= 0.25
    levels = set(_q(con, "SELECT DISTINCT r.level FROM expenses e JOIN regions r USING (region_id)")["level"])
    assert {"hq", "province", "city", "county"} <= levels
    term = _q(con, """SELECT DISTINCT e.item, t.terminal_class FROM expenses e JOIN terminals t USING (terminal_id)""")
    assert set(term["terminal_class"]) == {"A", "B"}
    assert {"display", "promoter_wages", "slotting"} == set(term["item"])


def test_build_demo_expense_items_are_the_budget_catalogues(built):
    from planlib.schemas import ITEM_CATALOGUE

    _, con = built
    pairs = set(map(tuple, _q(con, "SELECT DISTINCT category, item FROM expenses").to_numpy().tolist()))
    catalogue = {(c, i) for c, spec in ITEM_CATALOGUE.items() for i in spec["items"]}
    assert pairs <= catalogue, sorted(pairs - catalogue)


def test_build_demo_activities_and_events(built):
    summary, con = built
    a = _q(con, "SELECT brand, kind, count(*) AS n FROM activities GROUP BY ALL")
    assert set(a["brand"]) == {"own", "金潭", "古泉"}
    assert set(a.loc[a.brand == "own", "kind"]) == {"promotion", "tasting", "display", "media"}
    assert con.execute("SELECT count(*) FROM activities WHERE end_date < start_date OR cost <= 0").fetchone()[0] == 0
    ids = set(_q(con, "SELECT activity_id FROM activities WHERE brand = 'own'")["activity_id"])
    assert summary.ineffective_activities and set(summary.ineffective_activities) <= ids
    e = _q(con, "SELECT date, region_id, kind FROM events")
    assert {"policy", "economy", "holiday", "disaster"} == set(e["kind"])
    assert dt.date(2024, 2, 10) in set(e.loc[e.kind == "holiday", "date"].dt.date)


def test_build_demo_group_purchase_policy_cuts_that_channel(built):
    _, con = built
    g = _q(con, """SELECT year(date) AS y, sum(volume) AS v FROM sales s
                   WHERE grain = 'month' AND brand = 'own' AND channel = 'group_purchase' AND region_id LIKE 'P02%'
                   GROUP BY 1 ORDER BY 1""").set_index("y")["v"]
    assert g[2025] < 0.7 * g[2023]


def test_build_demo_each_planted_defect_is_in_the_data(built):
    summary, con = built
    d = {x["kind"]: x for x in summary.planted_defects}

    def own(where: str) -> pd.DataFrame:
        return _q(con, f"""SELECT s.*, p.product_line, p.unit_price FROM sales s JOIN products p USING (sku)
                          WHERE grain = 'month' AND brand = 'own' AND {where}""")

    a = d["missing_month"]
    rows = own(f"region_id LIKE '{a['region_id']}%' AND product_line = '{a['product_line']}'")
    months = set(rows["date"].dt.date)
    assert a["date"] not in months and dt.date(2024, 2, 1) in months and dt.date(2024, 4, 1) in months

    b = d["duplicate_upload"]
    rows = own(f"region_id LIKE '{b['region_id']}%'")
    tot = rows.groupby(rows["date"].dt.date)["volume"].sum()
    assert tot[b["date"]] > 1.7 * np.mean([tot[dt.date(2023, 5, 1)], tot[dt.date(2023, 7, 1)]])

    c = d["outlier"]
    rows = own(f"terminal_id = '{c['terminal_id']}' AND sku = '{c['sku']}'").set_index(rows.columns[0])
    assert rows.loc[pd.Timestamp(c["date"]), "volume"] >= 10 * rows["volume"].median()

    p = d["price_typo"]
    r = own(f"terminal_id = '{p['terminal_id']}' AND sku = '{p['sku']}' AND date = DATE '{p['date']}'").iloc[0]
    assert r["revenue"] / r["volume"] == pytest.approx(100 * r["unit_price"], rel=0.07)

    e = d["series_stop"]
    rows = _q(con, f"SELECT max(date) AS last FROM sales WHERE terminal_id = '{e['terminal_id']}'")
    assert rows["last"].iat[0].date() == dt.date(2024, 8, 1)

    f = d["level_shift"]
    rows = own(f"region_id LIKE '{f['region_id']}%'")
    tot = rows.groupby(rows["date"].dt.date)["volume"].sum()
    assert tot[dt.date(2025, 5, 1)] < 0.65 * tot[dt.date(2023, 5, 1)]

    g = d["volume_without_revenue"]
    r = own(f"terminal_id = '{g['terminal_id']}' AND sku = '{g['sku']}' AND date = DATE '{g['date']}'").iloc[0]
    assert r["volume"] > 0 and r["revenue"] == 0


def test_planted_defects_shift_with_start_year_and_scale():
    d = demo.planted_defects(2030, "national")
    assert d[0]["date"] == dt.date(2031, 3, 1)
    assert d[0]["region_id"] == "P01C001K002"
    assert demo.PLANTED_DEFECTS[0]["date"] == "2024-03-01"  # the constant is untouched


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"scale": "galactic"}, "small, national"), ({"years": 1}, "years"), ({"seed": -1}, "seed"),
     ({"start_year": "2023"}, "start_year")],
)
def test_build_demo_rejects_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ParamsError, match=match):
        demo.build_demo(tmp_path / "x.duckdb", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_build_demo_interrupted_leaves_nothing(tmp_path, monkeypatch):
    target = tmp_path / "demo.duckdb"
    target.write_bytes(b"previous archive")

    def boom(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(HistoryBuilder, "finish", boom)
    with pytest.raises(KeyboardInterrupt):
        demo.build_demo(target, start_year=START, years=2)
    assert target.read_bytes() == b"previous archive"
    assert [p.name for p in tmp_path.iterdir()] == ["demo.duckdb"]


def test_build_demo_two_years_from_any_start_with_another_seed(built, tmp_path):
    s = demo.build_demo(tmp_path / "b.duckdb", seed=7, start_year=2024, years=2)
    assert _fingerprint(s.path, ["terminals"]) != _fingerprint(built[0].path, ["terminals"])
    assert s.years == (2024, 2025)
    con = duckdb.connect(str(s.path), read_only=True)
    try:
        first, last = con.execute("SELECT min(date), max(date) FROM sales WHERE grain = 'month'").fetchone()
    finally:
        con.close()
    assert (first, last) == (dt.date(2024, 1, 1), dt.date(2025, 12, 1))
    assert s.planted_defects[0]["date"] == dt.date(2025, 3, 1)


# -- the plan year's actuals (#13) ---------------------------------------------------------------
PLAN_YEAR = 2027  # the default history is 2024-2026
HISTORY = ("regions", "distributors", "terminals", "products", "sales", "market", "expenses", "activities", "events")


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    """The default demo with the plan year's actuals through 30 June, and without them (``plain``)."""
    folder = tmp_path_factory.mktemp("tracked")
    plain = demo.build_demo(folder / "plain.duckdb")
    summary = demo.build_demo(folder / "tracked.duckdb", actuals=True)
    con = duckdb.connect(str(summary.path), read_only=True)
    con.execute(f"ATTACH '{plain.path}' AS plain (READ_ONLY)")
    yield summary, con
    con.close()


def _county_h1(con, where: str = "", measure: str = "volume", db: str = "") -> pd.DataFrame:
    """Own monthly H1 volume (or another measure) per county and year, 2026 and 2027."""
    return _q(con, f"""
        SELECT CASE WHEN r.level = 'township' THEN r.parent_id ELSE r.region_id END AS county,
               year(s.date) AS y, sum({measure}) AS v
        FROM {db}sales s JOIN {db}regions r USING (region_id) JOIN {db}products p USING (sku)
        WHERE s.grain = 'month' AND s.brand = 'own' AND month(s.date) <= 6 AND year(s.date) >= 2026 {where}
        GROUP BY ALL""").pivot(index="county", columns="y", values="v")


def test_build_demo_actuals_leave_every_history_row_as_it_was(tracked):
    summary, con = tracked
    assert (summary.plan_year, summary.actuals_until) == (PLAN_YEAR, dt.date(PLAN_YEAR, 6, 30))
    for t in HISTORY:
        where = f" WHERE date < DATE '{PLAN_YEAR}-01-01'" if t in ("sales", "market", "expenses") else ""
        diff = con.execute(f"""SELECT (SELECT count(*) FROM (SELECT * FROM {t}{where} EXCEPT ALL SELECT * FROM plain.{t}{where})),
                                      (SELECT count(*) FROM (SELECT * FROM plain.{t}{where} EXCEPT ALL SELECT * FROM {t}{where}))
                            """).fetchone()
        assert diff == (0, 0), t
    assert con.execute("SELECT count(*) FROM plain.sales WHERE date >= DATE '2027-01-01'").fetchone()[0] == 0
    # the people are written either way, the same
    assert con.execute("SELECT count(*) FROM (SELECT * FROM people EXCEPT ALL SELECT * FROM plain.people)").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM plain.person_events").fetchone()[0] == 0


def test_build_demo_actuals_are_the_same_for_the_same_seed(tracked, tmp_path):
    summary, _ = tracked
    again = demo.build_demo(tmp_path / "again.duckdb", actuals=True)
    assert _fingerprint(again.path) == _fingerprint(summary.path)
    assert again.tracking_patterns == summary.tracking_patterns


def test_build_demo_actuals_run_through_june_in_every_table_they_touch(tracked):
    _, con = tracked
    months = lambda sql: [d.month for d in _q(con, sql)["d"].dt.date]  # noqa: E731
    assert months("SELECT DISTINCT date AS d FROM sales WHERE grain = 'month' AND brand = 'own' "
                  "AND year(date) = 2027 ORDER BY 1") == [1, 2, 3, 4, 5, 6]
    assert months("SELECT DISTINCT date AS d FROM sales WHERE brand <> 'own' AND year(date) = 2027 ORDER BY 1") == [
        1, 2, 3, 4, 5, 6]
    assert months("SELECT DISTINCT date AS d FROM expenses WHERE year(date) = 2027 ORDER BY 1") == [1, 2, 3, 4, 5, 6]
    assert months("SELECT DISTINCT date AS d FROM person_events ORDER BY 1") == [1, 2, 3, 4, 5, 6]
    weeks = _q(con, "SELECT DISTINCT date FROM sales WHERE grain = 'week' AND year(date) = 2027 ORDER BY 1")["date"]
    assert (weeks.iat[0].date(), weeks.iat[-1].date(), len(weeks)) == (dt.date(2027, 1, 4), dt.date(2027, 6, 21), 25)
    # no market, activity or event rows in the plan year: a plan reads those without a date limit
    for sql in ("SELECT count(*) FROM market WHERE year(date) >= 2027",
                "SELECT count(*) FROM activities WHERE end_date >= DATE '2027-01-01'",
                "SELECT count(*) FROM events WHERE year(date) >= 2027"):
        assert con.execute(sql).fetchone()[0] == 0


def test_build_demo_actuals_follow_the_plan_years_spring_festival(tracked):
    _, con = tracked
    y26, y27 = _monthly_own(con, 2026), _monthly_own(con, 2027)
    assert y26.idxmax() == 2 and y26[2] > y26[1]  # 2026-02-17: the run-up falls in February
    assert y27.idxmax() == 1 and y27[1] > 1.2 * y27[2]  # 2027-02-06: mostly in January


def test_build_demo_weekly_rows_of_core_terminals_match_their_monthly(tracked):
    _, con = tracked
    both = _q(con, """
        SELECT grain, sum(volume) AS v FROM sales
        WHERE brand = 'own' AND year(date) = 2027 AND date <= DATE '2027-06-27'
          AND terminal_id IN (SELECT terminal_id FROM sales WHERE grain = 'week' AND year(date) = 2027)
        GROUP BY ALL""").set_index("grain")["v"]
    assert both["week"] == pytest.approx(both["month"], rel=0.06)  # without 1-3 Jan and 28-30 June
    cls = set(_q(con, """SELECT DISTINCT t.terminal_class FROM sales s JOIN terminals t USING (terminal_id)
                        WHERE grain = 'week' AND year(date) = 2027""")["terminal_class"])
    assert cls == {"A", "B"}


def test_build_demo_counties_ahead_and_behind_last_year(tracked):
    summary, con = tracked
    h1 = _county_h1(con)
    growth = h1[2027] / h1[2026] - 1
    p = summary.tracking_patterns
    ahead, behind = p["ahead"]["region_ids"], p["behind"]["region_ids"]
    assert len(ahead) == len(behind) == 3
    assert growth[list(ahead)].between(0.12, 0.20).all() and growth[list(behind)].between(-0.20, -0.10).all()
    assert growth[list(ahead)].round(3).to_dict() == p["ahead"]["volume_vs_last_year"]
    planted = {r for k in ("ahead", "behind", "bad_month", "missed_coverage", "profit_miss") for r in p[k]["region_ids"]}
    defects = {d["region_id"] for d in summary.planted_defects}
    calm = growth.drop(list(planted | defects))
    assert calm.median() == pytest.approx(0.03, abs=0.025)
    assert growth[list(ahead)].min() > calm.quantile(0.9) and growth[list(behind)].max() < calm.min()


def test_build_demo_one_county_loses_march(tracked):
    summary, con = tracked
    (county,) = summary.tracking_patterns["bad_month"]["region_ids"]
    assert summary.tracking_patterns["bad_month"]["month"] == dt.date(2027, 3, 1)
    m = _q(con, f"""SELECT year(date) AS y, month(date) AS m, sum(volume) AS v FROM sales
                    WHERE grain = 'month' AND brand = 'own' AND region_id LIKE '{county}%' AND month(date) <= 6
                      AND year(date) >= 2026 GROUP BY ALL""").pivot(index="m", columns="y", values="v")
    m = m.rename(index={2: 1}).groupby(level=0).sum()  # January and February pooled: the festival moves
    ratio = m[2027] / m[2026]
    assert ratio[3] < 0.7 * ratio.drop(3).mean()
    assert ratio.drop(3).between(0.9, 1.2).all()


def test_build_demo_one_county_misses_the_coverage_milestone(tracked):
    summary, con = tracked
    p = summary.tracking_patterns["missed_coverage"]
    (county,) = p["region_ids"]
    cov = _q(con, """
        SELECT CASE WHEN r.level = 'township' THEN r.parent_id ELSE r.region_id END AS county, t.terminal_id,
               count(s.terminal_id) > 0 AS bought
        FROM terminals t JOIN regions r USING (region_id)
        LEFT JOIN sales s ON s.terminal_id = t.terminal_id AND s.grain = 'month' AND year(s.date) = 2027
        WHERE t.terminal_class IN ('A', 'B') GROUP BY ALL""")
    share = cov.groupby("county")["bought"].mean()
    assert share[county] < 0.4 and share[county] == pytest.approx(p["coverage"], abs=1e-3)
    assert share.drop(county).min() > 0.85  # elsewhere the key terminals buy (but the stopped one of a defect)
    quiet = cov[(cov["county"] == county) & ~cov["bought"]]["terminal_id"]
    assert tuple(sorted(quiet)) == p["terminal_ids"] and p["key_terminals"] == (cov["county"] == county).sum()


def test_build_demo_one_county_overspends_an_item(tracked):
    summary, con = tracked
    p = summary.tracking_patterns["item_over"]
    e = _q(con, f"""SELECT region_id, year(date) AS y, sum(amount) AS a FROM expenses
                    WHERE item = '{p["item"]}' AND month(date) <= 6 AND year(date) >= 2026 GROUP BY ALL""")
    e = e.pivot(index="region_id", columns="y", values="a").dropna()
    pace = e[2027] / e[2026]
    (county,) = p["region_ids"]
    assert pace[county] == pytest.approx(1.5, abs=0.01)
    assert pace.drop(county).max() < 1.3


def test_build_demo_one_county_meets_sales_and_misses_profit(tracked):
    summary, con = tracked
    p = summary.tracking_patterns["profit_miss"]
    (county,) = p["region_ids"]
    rev = _county_h1(con, measure="revenue")
    vc = _county_h1(con, measure="s.volume * p.unit_variable_cost")
    ex = _q(con, """SELECT CASE WHEN r.level = 'township' THEN r.parent_id ELSE r.region_id END AS county,
                           year(e.date) AS y, sum(amount) AS v
                    FROM expenses e JOIN regions r USING (region_id)
                    WHERE r.level IN ('county', 'township') AND month(e.date) <= 6 AND year(e.date) >= 2026
                    GROUP BY ALL""").pivot(index="county", columns="y", values="v")
    margin = (rev - vc - ex) / rev
    growth = rev[2027] / rev[2026] - 1
    assert growth[county] > 0.05 and growth[county] == pytest.approx(p["revenue_vs_last_year"], abs=1e-3)
    fall = margin[2026] - margin[2027]
    assert fall[county] > 0.07 and fall.drop(county).max() < 0.05


def test_build_demo_people_cover_every_terminal_and_city(tracked):
    _, con = tracked
    people = _q(con, "SELECT * FROM people")
    terminals = _q(con, "SELECT terminal_id FROM terminals")
    served = people.dropna(subset=["terminal_id"])
    assert set(served["role"]) == {"salesperson"} and served["terminal_id"].is_unique
    assert set(served["terminal_id"]) == set(terminals["terminal_id"])  # every terminal, once
    per_county = served.groupby("region_id")["person_id"].nunique()
    assert len(per_county) == 42 and per_county.between(2, 3).all()
    managers = people[people["terminal_id"].isna()]
    cities = set(_q(con, "SELECT region_id FROM regions WHERE level = 'city'")["region_id"])
    assert set(managers["role"]) == {"manager"} and set(managers["region_id"]) == cities and managers["person_id"].is_unique
    # a person's rows share name, role and region (the importer's rule)
    assert (people.groupby("person_id")[["name", "role", "region_id"]].nunique() == 1).all().all()
    outside = con.execute("""SELECT count(*) FROM people p JOIN terminals t USING (terminal_id) JOIN regions r
                             ON r.region_id = t.region_id
                             WHERE p.region_id <> t.region_id AND p.region_id <> r.parent_id""").fetchone()[0]
    assert outside == 0


def test_build_demo_salespeople_with_high_and_low_scores(tracked):
    from planlib.schemas import PERSON_EVENT_KINDS

    summary, con = tracked
    ev = _q(con, "SELECT person_id, kind, sum(value) AS v FROM person_events GROUP BY ALL").pivot(
        index="person_id", columns="kind", values="v").fillna(0.0)
    assert set(ev.columns) <= set(PERSON_EVENT_KINDS)
    rate = ev["collection"] / ev["collection_due"]
    top, bottom = summary.tracking_patterns["top_people"]["person_ids"], summary.tracking_patterns["bottom_people"]["person_ids"]
    assert len(top) == len(bottom) == 3
    assert rate[list(top)].between(1.04, 1.10).all() and rate[list(bottom)].between(0.70, 0.76).all()
    assert rate.between(0.70, 1.10).all() and rate.drop(list(top + bottom)).between(0.86, 1.01).all()
    assert (ev.loc[list(top), "missing_report"] == 0).all() and (ev.loc[list(top), "new_customer"] >= 3).all()
    assert (ev.loc[list(bottom), "missing_report"] >= 6).all() and (ev.loc[list(bottom), "late_days"] >= 60).all()
    # whoever served the terminals that stopped lost them as customers
    quiet = summary.tracking_patterns["missed_coverage"]["terminal_ids"]
    lost = con.execute("SELECT person_id, count(*) FROM people WHERE terminal_id IN (SELECT unnest(?::VARCHAR[])) "
                       "GROUP BY 1", [list(quiet)]).fetchall()
    assert lost and all(ev.loc[p, "lost_customer"] >= n for p, n in lost)


def test_build_demo_actuals_add_no_quality_finding_but_the_stopped_key_terminals(tracked):
    from planlib.archive import check_archive

    summary, con = tracked
    new = check_archive(summary.path)
    old = check_archive(con.execute("SELECT path FROM duckdb_databases() WHERE database_name = 'plain'").fetchone()[0])
    key = ["check", "severity", "region_id", "sku", "terminal_id", "date"]
    both = new[key].astype(str).merge(old[key].astype(str), how="outer", indicator=True)
    assert (both["_merge"] != "right_only").all()  # every finding of the history (the seven defects) stays
    added = new.merge(old[key], how="left", on=key, indicator=True)
    added = added[added["_merge"] == "left_only"]
    assert set(added["check"]) == {"series_stop"} and set(added["date"].dt.date) == {dt.date(2027, 1, 1)}
    assert tuple(sorted(added["terminal_id"])) == summary.tracking_patterns["missed_coverage"]["terminal_ids"]


def test_build_demo_actuals_read_back_through_the_tracking_queries(tracked):
    from planlib.archive.queries import tracking as q

    summary, con = tracked
    tree = RegionTree(_q(con, "SELECT * FROM regions"))
    as_of = dt.date(2027, 6, 30)
    whole = q.tracking_actuals(con, None, PLAN_YEAR, as_of)
    p01 = q.tracking_actuals(con, tree.subtree("P01"), PLAN_YEAR, as_of)
    ids = set(tree.subtree("P01"))
    for name in ("sales", "weekly", "expenses"):
        part, all_ = getattr(p01, name), getattr(whole, name)
        assert part["region_id"].isin(ids).all()
        assert part.select_dtypes("number").sum().to_dict() == pytest.approx(
            all_[all_["region_id"].isin(ids)].select_dtypes("number").sum().to_dict())
    own = con.execute("SELECT sum(volume), sum(revenue) FROM sales WHERE grain = 'month' AND brand = 'own' "
                      "AND year(date) = 2027").fetchone()
    assert (whole.sales["volume"].sum(), whole.sales["revenue"].sum()) == pytest.approx(own)
    assert set(whole.people["person_id"]) == set(_q(con, "SELECT person_id FROM people")["person_id"])
    assert q.actuals_extent(con, PLAN_YEAR).through == as_of and q.actuals_extent(con, PLAN_YEAR).rows > 50_000
    assert q.actuals_extent(con, PLAN_YEAR + 1).rows == 0


@pytest.mark.parametrize("until", [dt.date(2026, 6, 30), dt.date(2027, 1, 15), "2027-06-30"])
def test_build_demo_rejects_actuals_outside_the_plan_year(tmp_path, until):
    with pytest.raises(ParamsError, match="actuals_until must be a date of the plan year 2027"):
        demo.build_demo(tmp_path / "x.duckdb", actuals=True, actuals_until=until)
    assert list(tmp_path.iterdir()) == []
