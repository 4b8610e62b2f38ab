"""The environment analysis of a region, end to end on the demo archive (no notebook)."""

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

from planlib.review import sales as analysis
from planlib.archive import store as archive
from planlib.archive.queries.review import load_sales
from planlib.review import competition
from planlib.review import region as review
from planlib.review import spend
from planlib.review import records, terminals
from tests.conftest import write_tiny_archive

pytestmark = pytest.mark.xdist_group("review_region")  # the module fixtures are built once, on one worker


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory, demo_copy):
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    summary = demo_copy(path, start_year=2023)
    return path, summary


@pytest.fixture(scope="module")
def reviews(demo_archive):
    path, _ = demo_archive
    tree = archive.load_tree(path)
    city = tree.at_level("city")[0]
    out = {r: review.review_region(review.load_region_data(path, tree, r), tree) for r in (city, *tree.children(city))}
    return tree, city, out


def test_parent_figures_equal_the_sum_of_its_children(reviews):
    tree, city, rv = reviews
    parent = rv[city].yearly.set_index("year")[["volume", "revenue", "gross_margin"]]
    children = sum(rv[c].yearly.set_index("year")[["volume", "revenue", "gross_margin"]] for c in tree.children(city))
    pd.testing.assert_frame_equal(parent, children, rtol=1e-9)
    # the parent's share table splits into its children, whose volumes add up to the parent's
    by_child = rv[city].share_by_child.groupby("year")["own_volume"].sum()
    by_line = rv[city].share_by_line.groupby("year")["own_volume"].sum()
    pd.testing.assert_series_equal(by_child, by_line, check_names=False)


def test_review_invariants_hold(reviews):
    _, city, rv = reviews
    r = rv[city]
    for dim, comp in r.composition.items():
        sums = comp.groupby("year")["share"].sum()
        assert np.allclose(sums, 1.0), dim
    for _, g in r.factor_effects.groupby("group"):
        a = g.set_index("effect")["amount"]
        assert a[["volume", "mix", "price"]].sum() == pytest.approx(a["total"], rel=1e-9, abs=1e-6)
    total = r.factor_effects.query("group == '全部' and effect == 'total'")["amount"].item()
    assert total == pytest.approx(r.yearly["revenue"].iloc[-1] - r.yearly["revenue"].iloc[-2])
    idx = r.revenue_indices
    assert np.prod(idx["chain"].iloc[1:]) == pytest.approx(idx["fixed_base"].iloc[-1])
    assert r.growth_points["rank"].tolist() == list(range(1, len(r.growth_points) + 1))
    assert set(r.growth_points["kind"]) == {"region", "channel", "terminal"}
    assert set(r.swot["box"]) <= {"strengths", "weaknesses", "opportunities", "threats"} and len(r.swot) > 0
    assert r.seasonal_festival.groupby("year")["share"].sum().round(9).eq(1.0).all()


def test_review_measures_past_activities(reviews):
    _, city, rv = reviews
    lift = rv[city].activity_lift
    assert len(lift) > 0 and lift["paid"].any() and (~lift["paid"]).any()
    assert (lift["baseline_revenue"].dropna() > 0).all()


def test_key_figures_and_readings(reviews):
    _, city, rv = reviews
    labels = [k for k, _ in review.key_figures(rv[city])]
    assert any("销售额" in k for k in labels) and any("毛利" in k for k in labels)
    assert "经销商" in review.distributor_reading(rv[city])
    assert "项" in review.spend_reading(rv[city])
    lift = pd.DataFrame({"roi": [0.5, -0.2, -1.0], "paid": [True, False, False], "cost": [1000.0, 95_100.0, 200_000.0]})
    hand = type("Review", (), {"activity_lift": lift})()
    assert review.spend_reading(hand) == ("3 项可衡量活动中 1 项回报为正；2 项未见回报，花费 295,100 元——"
                                          "提高费用率之前，先看清这些钱花在了哪里。")


def test_region_without_history_gets_an_empty_review(tmp_path):
    path = write_tiny_archive(tmp_path / "t.duckdb")
    tree = archive.load_tree(path)
    rv = review.review_region(review.load_region_data(path, tree, "K3"), tree)
    assert not rv.has_history and rv.yearly.empty and rv.growth_points.empty
    assert review.key_figures(rv)[0][1] == "—"


def test_load_region_data_keeps_the_analysis_window(demo_archive):
    path, _ = demo_archive
    tree = archive.load_tree(path)
    county = tree.at_level("county")[0]
    data = review.load_region_data(path, tree, county, years=(2024, 2025))
    for frame in (data.sales, data.market, data.expenses):
        assert sorted(frame["date"].dt.year.unique()) == [2024, 2025]
    rv = review.review_region(data, tree)
    assert rv.years == (2024, 2025)


def test_review_sections_equal_the_functions_on_the_text_rows(demo_archive):
    """The review groups categorical copies of the rows; its tables are the functions' on the rows as read."""
    path, _ = demo_archive
    tree = archive.load_tree(path)
    city = tree.at_level("city")[0]
    data = review.load_region_data(path, tree, city)
    rv = review.review_region(data, tree)
    text = archive.load_table(path, "sales", region_ids=tree.subtree(city))  # the rows as text, not load_sales' categories
    rows = text[text["grain"] == "month"]
    rows = rows.assign(
        year=rows["date"].dt.year.astype("int64"),
        product_line=rows["sku"].map(data.products.set_index("sku")["product_line"]),
    )
    monthly = analysis.monthly_sales(rows, data.products)
    last = rv.years[-1]
    pairs = {
        "monthly": (rv.monthly.astype({c: str for c in rv.monthly.select_dtypes("category").columns}), monthly),
        "yearly": (rv.yearly, analysis.yearly_summary(monthly)),
        "composition": (rv.composition["product_line"], analysis.composition(monthly, "product_line")),
        "factor_effects": (rv.factor_effects, analysis.factor_substitution_by(monthly, rv.years[-2], last)),
        "share_by_line": (rv.share_by_line, competition.market_share(rows, data.market, data.products)),
        "brands": (rv.brands, competition.brand_growth(rows)),
        "distributors": (rv.distributors, competition.distributor_review(rows, data.distributors, year=last)),
        "coverage": (rv.coverage, terminals.coverage(monthly, data.terminals)),
        "core_weekly": (rv.core_weekly, terminals.core_weekly(text[text["grain"] == "week"], data.terminals)),
        "expense_ratios": (rv.expense_ratios, spend.expense_ratios(data.expenses, monthly)),
    }
    for name, (got, expected) in pairs.items():
        pd.testing.assert_frame_equal(got, expected, check_exact=True, obj=name)


@pytest.mark.parametrize("years", [None, (2024, 2025), (1990, 1991)])
def test_load_sales_reads_load_tables_rows_in_its_order(demo_archive, years):
    """load_sales: the rows, values and order of load_table, the text keys as sorted categoricals of the values present."""
    path, _ = demo_archive
    tree = archive.load_tree(path)
    con = archive.connect(path)
    try:
        for region in (tree.at_level("hq")[0], tree.at_level("city")[0], tree.at_level("county")[0]):
            ids = tree.subtree(region)
            got = load_sales(con, ids, years=years)
            expected = archive.load_table(con, "sales", region_ids=ids, years=years)
            assert list(got.columns) == list(expected.columns)
            for c in expected.columns:
                if isinstance(got[c].dtype, pd.CategoricalDtype):
                    cats = got[c].cat.categories
                    assert cats.tolist() == sorted(expected[c].dropna().unique().tolist())
                    pd.testing.assert_series_equal(got[c].astype(expected[c].dtype), expected[c], check_exact=True)
                else:
                    pd.testing.assert_series_equal(got[c], expected[c], check_exact=True)
    finally:
        con.close()


def test_review_region_takes_text_or_categorical_rows_alike(demo_archive):
    """The review of load_sales' categorical rows equals the review of the same rows as text, table by table."""
    path, _ = demo_archive
    tree = archive.load_tree(path)
    county = tree.at_level("county")[0]
    data = review.load_region_data(path, tree, county)
    text = dataclasses.replace(data, sales=archive.load_table(path, "sales", region_ids=tree.subtree(county)))
    a, b = review.review_region(data, tree), review.review_region(text, tree)
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, check_exact=True, obj=f.name)
        elif isinstance(x, dict):
            assert x.keys() == y.keys()
            for k in x:
                if isinstance(x[k], pd.DataFrame):
                    pd.testing.assert_frame_equal(x[k], y[k], check_exact=True, obj=f"{f.name}[{k}]")
                else:
                    assert x[k] == y[k]
        else:
            assert x == y or (np.isnan(x) and np.isnan(y)), f.name


def test_load_sales_in_small_batches_equals_one_batch(demo_archive, monkeypatch):
    """Batches each with their own dictionaries (some keys absent from some batches) give the one-batch rows and codes."""
    from planlib.archive.queries import review as queries

    path, _ = demo_archive
    tree = archive.load_tree(path)
    city = tree.at_level("city")[0]
    with archive.connect(path) as con:
        whole = load_sales(con, tree.subtree(city))
        monkeypatch.setattr(queries, "_BATCH_ROWS", 997)
        batched = load_sales(con, tree.subtree(city))
    assert len(whole) > 5 * 997 and whole["distributor_id"].isna().any()
    pd.testing.assert_frame_equal(batched, whole, check_exact=True)
    for c in ("region_id", "terminal_id", "distributor_id"):
        np.testing.assert_array_equal(batched[c].cat.codes.to_numpy(), whole[c].cat.codes.to_numpy())


@pytest.mark.parametrize(("years", "revenue", "cagr", "expected"), [
    ((2024, 2025, 2026), (100.0, 110.0, 121.0), 0.1, "2024–2026 年销售额复合增长率 +10.0%"),
    ((2024, 2025, 2026), (121.0, 110.0, 100.0), 10 / 11 - 1, "复合增长率 -9.1%"),
    ((2026,), (514.0,), float("nan"), "只有 2026 年一年的销售，复合增长率至少需要两年"),
    ((2025, 2026), (0.0, 80.0), float("nan"), "2025 年销售额为零，2025–2026 年的复合增长率无从计算"),
    ((2025, 2026), (-5.0, 80.0), float("nan"), "2025–2026 年的销售额有负数（退货多于销售），2025–2026 年的复合增长率无从计算"),
    ((), (), float("nan"), "没有销售记录"),
])
def test_growth_reading_gives_the_rate_or_says_why_there_is_none(years, revenue, cagr, expected):
    """One year of history, or a first year without revenue, has no CAGR: the sentence says so, never "+nan%"."""
    rv = type("Review", (), {"yearly": pd.DataFrame({"year": list(years), "revenue": list(revenue)}), "cagr": cagr})()
    text = review.growth_reading(rv)
    assert expected in text and "nan" not in text
    if len(years) > 1 and revenue[0] > 0:
        assert cagr == pytest.approx(analysis.cagr(revenue[0], revenue[-1], len(years) - 1))


def test_related_ratios_without_any_expense_record_leave_the_ratio_unknown():
    """An archive without expenses read "费用率 0.0%" in the key figures and the plan document."""
    yearly = pd.DataFrame({"year": [2025, 2026], "revenue": [1_000.0, 1_200.0]})
    counts = pd.Series([4, 5], index=[2025, 2026])
    none = review._related_ratios(yearly, pd.Series(dtype="float64"), counts, counts)
    assert none["expenses"].isna().all() and none["expense_ratio"].isna().all()
    some = review._related_ratios(yearly, pd.Series([150.0], index=[2026]), counts, counts)
    assert some["expenses"].tolist() == [0.0, 150.0] and some["expense_ratio"].tolist() == [0.0, 0.125]


def test_load_region_data_names_where_a_township_finds_the_records_it_has_none_of(demo_archive):
    # the demo keeps the category market and competitors' sales by county: a township has none of its own
    path, _ = demo_archive
    tree = archive.load_tree(path)
    town = tree.children("P01C01K01")[0]
    data = review.load_region_data(path, tree, town, years=(2024, 2026))
    assert data.market.empty and not (data.sales["brand"] != "own").any()
    assert data.recorded_above == {"competitor_sales": "P01C01K01", "market": "P01C01K01"}
    assert review.load_region_data(path, tree, "P01C01K01", years=(2024, 2026)).recorded_above == {}
    cov = records.data_coverage(data, tree)
    assert cov.set_index("source")["recorded_at"].dropna().to_dict() == {"competitor_sales": "历城区", "market": "历城区"}
    assert records.missing_sources(cov) == []
    assert records.coverage_reading(cov, (2024, 2026)).startswith("竞品销售、品类容量（市场）记在上级 历城区，不细分到本区域。")


def test_a_townships_brand_shares_are_unknown_when_its_county_keeps_the_competitors_sales(demo_archive):
    path, _ = demo_archive
    tree = archive.load_tree(path)
    town = tree.children("P01C01K01")[0]
    rv = review.review_region(review.load_region_data(path, tree, town, years=(2024, 2026)), tree)
    assert set(rv.brands["brand"]) == {"own"} and rv.brands["volume_share"].isna().all()  # not a 100% monopoly
    assert rv.distributors["own_share"].isna().all() and rv.distributors["competitor_volume"].isna().all()
    assert (rv.distributors["own_volume"] > 0).any()
    county = review.review_region(review.load_region_data(path, tree, "P01C01K01", years=(2024, 2026)), tree)
    assert county.brands["volume_share"].notna().all() and county.brands["volume_share"].lt(1).all()


def test_a_region_without_rows_lacks_what_its_siblings_record_and_has_what_only_its_parent_keeps(tmp_path, demo_copy):
    import duckdb

    demo_copy(tmp_path / "e.duckdb", start_year=2023)
    con = duckdb.connect(str(tmp_path / "e.duckdb"))
    try:
        tree = archive.load_tree(con)
        town = tree.children("P01C01K01")[0]
        for table in ("sales", "expenses", "terminals"):
            con.execute(f"DELETE FROM {table} WHERE region_id = ?", [town])
        con.execute("DELETE FROM distributors WHERE region_id = ?", [town])
        data = review.load_region_data(con, tree, town, years=(2024, 2026))
        # the market, competitors' sales and (once this township's own is gone) distributors are the county's
        # alone: kept there; own sales, expenses and terminals are recorded in the sibling townships (and
        # expenses at the city too): this one lacks them
        assert data.recorded_above == {"competitor_sales": "P01C01K01", "market": "P01C01K01",
                                       "distributors": "P01C01K01"}
        cov = records.data_coverage(data, tree)
        assert records.missing_sources(cov, records.PLAN_SOURCES) == ["sales", "expenses", "terminals"]
        text = records.coverage_reading(cov, (2024, 2026))
        assert text.startswith("竞品销售、品类容量（市场）、经销商记在上级 历城区，不细分到本区域。档案中本区域没有本品销售、费用、终端的记录")
        # a county without expenses: the city books its own office costs, the sibling counties theirs: missing
        con.execute("DELETE FROM expenses WHERE region_id IN (SELECT unnest(?::VARCHAR[]))", [list(tree.subtree("P01C01K02"))])
        assert "expenses" not in review.load_region_data(con, tree, "P01C01K02", years=(2024, 2026)).recorded_above
    finally:
        con.close()
