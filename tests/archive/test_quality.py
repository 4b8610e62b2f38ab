"""Tests of planlib.quality: data-quality findings on the archive."""

from __future__ import annotations

import warnings

import duckdb
import numpy as np
import pandas as pd
import pytest

from planlib.archive import quality, sales_checks
from planlib.archive import store as archive
from planlib.errors import DataError, HierarchyError
from planlib.hierarchy import RegionTree
from planlib.schemas import TABLE_ORDER, table_ddl

pytestmark = pytest.mark.xdist_group("quality")  # the module fixtures are built once, on one worker


@pytest.fixture(scope="module")
def small(tmp_path_factory, demo_copy):
    path = tmp_path_factory.mktemp("quality") / "demo.duckdb"
    summary = demo_copy(path, start_year=2023)
    findings = quality.check_archive(path)
    return summary, findings


def _empty_archive(path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    for t in TABLE_ORDER:
        con.execute(table_ddl(t))
    return con


def _mini(path, *, faults: tuple[str, ...] = ()) -> None:
    """
    A clean hand-built archive: HQ > P1 > C1 > K1, K2; two SKUs of one line; four
    terminals (two per county) buying both SKUs for 24 months with a January peak and
    a mild trend; a competitor in each county and month; every row priced at list.
    ``faults`` adds one named fault.
    """
    con = _empty_archive(path)
    con.execute("""INSERT INTO regions VALUES ('HQ', '总部', 'hq', NULL), ('P1', '甲省', 'province', 'HQ'),
                   ('C1', '甲市', 'city', 'P1'), ('K1', '甲县', 'county', 'C1'), ('K2', '乙县', 'county', 'C1')""")
    con.execute("INSERT INTO distributors VALUES ('D1', '甲商贸', 'K1', 2), ('D2', '乙商贸', 'K2', 2)")
    con.execute("""INSERT INTO products VALUES ('S1', '一号', '白酒', NULL, 100, 50), ('S2', '二号', '白酒', NULL, 50, 20),
                   ('X1', '对手', '白酒', NULL, 80, NULL)""")
    terms = [("T1", "K1", "D1"), ("T2", "K1", "D1"), ("T3", "K2", "D2"), ("T4", "K2", "D2")]
    con.executemany("INSERT INTO terminals VALUES (?, ?, ?, 'B', 'supermarket', ?)",
                    [(t, f"店{t}", r, d) for t, r, d in terms])
    months = pd.date_range("2023-01-01", periods=24, freq="MS")
    rows = []
    rng = np.random.default_rng(1)
    for k, (t, r, d) in enumerate(terms):
        for sku, price in (("S1", 100.0), ("S2", 50.0)):
            for i, m in enumerate(months):
                v = round((20 + 5 * k) * (1.8 if m.month == 1 else 1.0) * (1 + 0.005 * i) * rng.uniform(0.95, 1.05))
                rows.append((m.date(), "month", r, sku, "supermarket", "own", t, d, float(v), v * price * 0.97))
    for r, d in (("K1", "D1"), ("K2", "D2")):
        for m in months:
            rows.append((m.date(), "month", r, "X1", "supermarket", "对手", None, d, 60.0, 60 * 80.0))
    sales = pd.DataFrame(rows, columns=["date", "grain", "region_id", "sku", "channel", "brand",
                                        "terminal_id", "distributor_id", "volume", "revenue"])
    if "zero_revenue" in faults:
        sales.loc[5, "revenue"] = 0.0
    if "price" in faults:
        sales.loc[6, "revenue"] *= 100
    if "duplicate_row" in faults:
        sales = pd.concat([sales, sales.iloc[[7]]], ignore_index=True)
    if "unknown_product" in faults:
        con.execute("DELETE FROM products WHERE sku = 'S2'")
    con.register("df", sales)
    con.execute("INSERT INTO sales SELECT * FROM df")
    con.close()


def _county(tree: RegionTree, region_id: str) -> str:
    return tree.ancestor_at(region_id, "county") or region_id


def test_check_archive_columns_and_order(small):
    _, f = small
    assert tuple(f.columns) == quality.FINDING_COLUMNS
    assert set(f["severity"]) <= set(quality.SEVERITIES)
    assert set(f["check"]) <= set(quality.CHECKS)
    rank = f["severity"].map({s: i for i, s in enumerate(quality.SEVERITIES)})
    assert rank.is_monotonic_increasing
    assert not f["message"].map(lambda m: m.isascii()).any()  # in the plan's words (#15)


def test_check_archive_finds_every_planted_defect(small):
    summary, f = small
    con = duckdb.connect(str(summary.path), read_only=True)
    tree = RegionTree(con.execute("SELECT * FROM regions").df())
    con.close()
    f = f.assign(county=[_county(tree, r) if r in tree else r for r in f["region_id"]])
    for d in summary.planted_defects:
        hit = f[(f["check"] == d["check"]) & (f["county"] == d["region_id"])
                & (f["date"] == pd.Timestamp(d["date"]))]
        if d["sku"] is not None:
            hit = hit[hit["sku"] == d["sku"]]
        if d["terminal_id"] is not None:
            hit = hit[hit["terminal_id"] == d["terminal_id"]]
        if d["product_line"] is not None and d["check"] == "missing_month":
            hit = hit[hit["product_line"] == d["product_line"]]
        assert len(hit) >= 1, d


def test_check_archive_errors_are_only_the_planted_ones(small):
    summary, f = small
    errors = f[f["severity"] == "error"]
    planted = {(d["check"], d["date"]) for d in summary.planted_defects}
    assert {(c, d.date()) for c, d in zip(errors["check"], errors["date"])} <= planted
    assert (f["check"] == "outlier").sum() <= 3  # the season is not an outlier


def test_own_sales_of_a_sku_the_products_table_lacks_are_an_error_per_county(tmp_path):
    """The split reads sales by product line: rows of an unknown SKU drop out of it, so the check says so."""
    _mini(tmp_path / "mini.duckdb", faults=("unknown_product",))
    f = quality.check_archive(tmp_path / "mini.duckdb")
    hit = f[f["check"] == "unknown_product"].sort_values("region_id")
    assert list(hit["region_id"]) == ["K1", "K2"] and set(hit["severity"]) == {"error"}
    con = duckdb.connect(str(tmp_path / "mini.duckdb"), read_only=True)
    want = con.execute("SELECT region_id, count(*), sum(volume) FROM sales WHERE sku = 'S2' GROUP BY 1 ORDER BY 1").fetchall()
    tree = RegionTree(con.execute("SELECT * FROM regions").df())
    con.close()
    assert [(r, float(v)) for r, _, v in want] == list(zip(hit["region_id"], hit["value"]))
    n, v = want[0][1], want[0][2]
    assert hit["message"].iat[0] == f"{n:,} 行本品月度销售（{v:,.0f} 箱）的产品编码不在产品表中（S2）：目标分解不计这些销售，请补录这些产品"
    assert list(hit["date"]) == [pd.Timestamp("2023-01-01")] * 2
    k1 = quality.check_archive(tmp_path / "mini.duckdb", region_id="K1", tree=tree)
    assert list(k1.loc[k1["check"] == "unknown_product", "region_id"]) == ["K1"]


def test_check_archive_no_false_errors_on_a_clean_archive(tmp_path):
    _mini(tmp_path / "mini.duckdb")
    f = quality.check_archive(tmp_path / "mini.duckdb")
    assert f[f["severity"] != "info"].empty, f


@pytest.mark.parametrize(
    ("fault", "check"),
    [("zero_revenue", "volume_without_revenue"), ("price", "unit_price"), ("duplicate_row", "duplicate_rows")],
)
def test_check_archive_finds_row_faults(tmp_path, fault, check):
    _mini(tmp_path / "mini.duckdb", faults=(fault,))
    f = quality.check_archive(tmp_path / "mini.duckdb")
    errors = f[f["severity"] == "error"]
    assert list(errors["check"]) == [check]
    assert errors["region_id"].iat[0] == "K1"


def test_check_archive_region_filter_keeps_the_subtree(small):
    summary, full = small
    con = duckdb.connect(str(summary.path), read_only=True)
    try:
        tree = RegionTree(con.execute("SELECT * FROM regions").df())
        part = quality.check_archive(con, region_id="P02", tree=tree)
        # the connection is still usable and has no leftovers
        names = con.execute("SELECT table_name FROM information_schema.tables").df()["table_name"]
        assert not names.str.startswith("_planlib").any()
    finally:
        con.close()
    sub = set(tree.subtree("P02"))
    assert len(part) and part["region_id"].isin(sub).all()
    expected = full[full["region_id"].isin(sub)].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, expected)


def test_check_archive_unknown_region_raises(small):
    summary, _ = small
    with pytest.raises(HierarchyError, match="NOPE"):
        quality.check_archive(summary.path, region_id="NOPE")


def test_check_archive_empty_archive_gives_an_info_finding(tmp_path):
    _empty_archive(tmp_path / "empty.duckdb").close()
    f = quality.check_archive(tmp_path / "empty.duckdb")
    assert list(f["check"]) == ["no_sales"] and list(f["severity"]) == ["info"]
    assert quality.format_findings(f).startswith("data quality: 0 error, 0 warning, 1 info")


def test_check_archive_not_an_archive(tmp_path):
    duckdb.connect(str(tmp_path / "other.duckdb")).close()
    with pytest.raises(DataError, match="sales"):
        quality.check_archive(tmp_path / "other.duckdb")
    with pytest.raises(DataError, match="does not exist"):
        quality.check_archive(tmp_path / "missing.duckdb")


def test_summarise_findings_counts_by_check_and_severity(small):
    _, f = small
    s = quality.summarise_findings(f)
    assert list(s.columns) == ["check", "severity", "findings"]
    assert s["findings"].sum() == len(f)
    assert s["severity"].iloc[0] == "error"
    empty = quality.summarise_findings(f.iloc[0:0])
    assert empty.empty and list(empty.columns) == ["check", "severity", "findings"]


def test_format_findings_lists_errors_first_and_counts_the_rest(small):
    _, f = small
    text = quality.format_findings(f, limit=3)
    lines = text.splitlines()
    assert lines[0].startswith("data quality: 4 error")
    body = [ln for ln in lines if ln.lstrip().startswith(("error", "warning", "info"))]
    assert body[-3:] and all(ln.lstrip().startswith("error") for ln in body[-3:])
    assert lines[-1] == f"... and {len(f) - 3} more"
    assert quality.format_findings(f.iloc[0:0]) == "data quality: no findings"


def test_check_archive_does_not_change_the_archive(small):
    summary, f = small
    again = quality.check_archive(summary.path)
    pd.testing.assert_frame_equal(f, again)


def _restricted(full: pd.DataFrame, tree: RegionTree, region_id: str) -> pd.DataFrame:
    return full[full["region_id"].isin(set(tree.subtree(region_id)))].reset_index(drop=True)


def test_check_archive_region_filter_matches_the_full_report_for_counties_and_cities(small):
    summary, full = small
    con = duckdb.connect(str(summary.path), read_only=True)
    try:
        tree = RegionTree(con.execute("SELECT * FROM regions").df())
        counties = sorted({_county(tree, d["region_id"]) for d in summary.planted_defects if d["region_id"] in tree})
        regions = counties[:4] + sorted({tree.parent(c) for c in counties[:4]}) + [tree.root]
        for rid in regions:
            part = quality.check_archive(con, region_id=rid, tree=tree)
            expected = _restricted(full, tree, rid)
            if len(expected):
                pd.testing.assert_frame_equal(part, expected, obj=rid)
            else:
                assert part.empty, rid
    finally:
        con.close()


def test_check_archive_region_scope_reads_only_the_subtree_but_keeps_archive_wide_facts(tmp_path):
    path = tmp_path / "mini.duckdb"
    _mini(path, faults=("zero_revenue", "price", "duplicate_row"))
    con = duckdb.connect(str(path))
    # D3 is registered in K1 but sells only in K2; D4 in K1 sells nowhere
    con.execute("INSERT INTO distributors VALUES ('D3', '丙商贸', 'K1', 2), ('D4', '丁商贸', 'K1', 2)")
    con.execute("UPDATE sales SET distributor_id = 'D3' WHERE region_id = 'K2' AND brand <> 'own' AND month(date) = 3")
    # K1 has no competitor sales in 2024; the archive still has some (K2)
    con.execute("DELETE FROM sales WHERE region_id = 'K1' AND brand <> 'own' AND year(date) = 2024")
    con.close()
    tree = RegionTree(duckdb.connect(str(path), read_only=True).execute("SELECT * FROM regions").df())
    full = quality.check_archive(path, tree=tree)
    for rid in ("K1", "K2", "C1"):
        part = quality.check_archive(path, region_id=rid, tree=tree)
        pd.testing.assert_frame_equal(part, _restricted(full, tree, rid), obj=rid)
    k1 = quality.check_archive(path, region_id="K1", tree=tree)
    assert set(k1.loc[k1["check"] == "distributor_without_sales", "region_id"]) == {"K1"}
    assert list(k1.loc[k1["check"] == "distributor_without_sales", "message"]) == ["经销商 D4 没有任何销售记录"]
    cov = k1[k1["check"] == "competitor_coverage"]
    assert list(cov["severity"]) == ["warning"] and cov["date"].iat[0] == pd.Timestamp("2024-01-01")
    errors = k1[k1["severity"] == "error"]
    assert sorted(errors["check"]) == ["duplicate_rows", "unit_price", "volume_without_revenue"]
    k2 = quality.check_archive(path, region_id="K2", tree=tree)
    assert k2[k2["severity"] == "error"].empty


def test_month_grid_and_suffix_medians_equal_pivot_table_and_nanmedian():
    months = pd.date_range("2024-01-01", periods=8, freq="MS")
    frame = pd.DataFrame({
        "county_id": ["K2", "K1", "K1", "K2", "K1", "K1"],
        "product_line": ["白酒", "白酒", "保健酒", "白酒", "白酒", "保健酒"],
        "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-01", "2024-08-01", "2024-05-01", "2024-07-01"]),
        "volume": [3.0, 4.0, np.nan, 6.0, 2.0, 9.0],
    })  # fmt: skip
    keys, grid = sales_checks._grid(frame, ["county_id", "product_line"], "volume", months)
    ref = frame.pivot_table(index=["county_id", "product_line"], columns="date", values="volume", aggfunc="sum")
    ref = ref.reindex(columns=months)
    np.testing.assert_array_equal(grid, ref.to_numpy())
    assert list(keys.itertuples(index=False, name=None)) == ref.index.tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN suffixes give NaN
        expected = np.stack([np.nanmedian(grid[:, k:], axis=1) for k in range(1, 7)], axis=1)
        np.testing.assert_array_equal(sales_checks._suffix_nanmedian(grid, np.arange(1, 7)), expected)


def test_check_archive_same_findings_with_and_without_the_stored_sku_months(tmp_path, demo_copy):
    """The summary kept by the import is only a shortcut: findings are identical, and a stale one is ignored."""
    path = tmp_path / "d.duckdb"
    demo_copy(path, start_year=2023)
    con = duckdb.connect(str(path))
    assert archive.sku_months_fresh(con)
    with_summary = quality.check_archive(con, region_id="P01C01K01")
    con.execute(f"DROP TABLE {archive.SKU_MONTHS_TABLE}")
    assert not archive.sku_months_fresh(con)
    without = quality.check_archive(con, region_id="P01C01K01")
    pd.testing.assert_frame_equal(with_summary, without)
    archive.refresh_summaries(con)
    con.execute("DELETE FROM sales WHERE rowid IN (SELECT rowid FROM sales LIMIT 5)")
    assert not archive.sku_months_fresh(con)  # rows removed outside planlib: not trusted
    con.close()


def test_check_archive_in_chunks_of_one_county_leaves_no_temporary_table_behind(tmp_path, monkeypatch):
    path = tmp_path / "mini.duckdb"
    _mini(path, faults=("duplicate_row",))
    monkeypatch.setattr(sales_checks, "_CHUNK_COUNTIES", 1)
    con = duckdb.connect(str(path), read_only=True)
    try:
        for rid in (None, "HQ", "K1"):
            f = quality.check_archive(con, region_id=rid)
            assert list(f.loc[f["severity"] == "error", "check"]) == ["duplicate_rows"], rid
        names = con.execute("SELECT table_name FROM information_schema.tables").df()["table_name"]
        assert not names.str.startswith("_planlib").any()
    finally:
        con.close()


def test_value_and_price_faults_found_in_one_scan_as_each_alone(tmp_path):
    """Both row faults in one archive: each check reports its own row, with the values a scan of its own gives."""
    _mini(tmp_path / "mini.duckdb", faults=("zero_revenue", "price"))
    f = quality.check_archive(tmp_path / "mini.duckdb")
    vr = f[f["check"] == "volume_without_revenue"]
    up = f[f["check"] == "unit_price"]
    assert len(vr) == 1 and len(up) == 1
    with duckdb.connect(str(tmp_path / "mini.duckdb"), read_only=True) as con:
        alone = con.execute("""SELECT s.volume, s.revenue / s.volume AS value, p.unit_price
            FROM sales s JOIN products p USING (sku) WHERE s.revenue = 0 OR s.revenue / s.volume > 3 * p.unit_price
            ORDER BY s.revenue""").fetchall()
    (vol0, _, price0), (_, value1, price1) = alone
    assert vr["value"].iat[0] == 0.0 and vr["expected"].iat[0] == vol0 * price0
    assert up["value"].iat[0] == value1 and up["expected"].iat[0] == price1
    assert value1 > 3 * price1


def test_a_region_without_findings_gets_a_fresh_empty_frame_each_time(tmp_path):
    """The empty findings frame is kept once and copied: its dtypes are the built one's, and a caller's edit stays its own."""
    _mini(tmp_path / "mini.duckdb")
    with duckdb.connect(str(tmp_path / "mini.duckdb"), read_only=True) as con:
        tree = RegionTree(con.execute("SELECT * FROM regions").df())
        first = quality.check_archive(con, region_id="K1", tree=tree)
        assert first.empty and list(first.columns) == list(quality.FINDING_COLUMNS)
        assert str(first["date"].dtype) == "datetime64[us]" and str(first["value"].dtype) == "float64"
        first["extra"] = 1
        second = quality.check_archive(con, region_id="K1", tree=tree)
    assert "extra" not in second.columns
    kept = quality._NO_FINDINGS
    try:
        quality._NO_FINDINGS = None  # built again, not copied: the same frame
        pd.testing.assert_frame_equal(quality._finish([]), second, check_exact=True)
    finally:
        quality._NO_FINDINGS = kept


def test_check_plan_gives_every_covered_region_exactly_its_own_check(small):
    summary, full = small
    con = duckdb.connect(str(summary.path), read_only=True)
    try:
        tree = RegionTree(con.execute("SELECT * FROM regions").df())
        plan = quality.check_plan(con, tree=tree)
        pd.testing.assert_frame_equal(plan.findings, quality.check_archive(con, region_id=tree.root, tree=tree))
        reported = [r for r in tree.ids if tree.ancestor_at(r, "county") in (None, r)]
        assert set(plan.covered) == set(reported)  # every demo region at or above a county has own sales
        assert len(plan.covered) > 50
        found = 0
        for rid in tree.ids:
            got = quality.region_findings(plan, tree, rid)
            if rid not in plan.covered:
                assert got is None and tree.level(rid) == "township", rid
                continue
            pd.testing.assert_frame_equal(got, quality.check_archive(con, region_id=rid, tree=tree), obj=rid)
            found += len(got)
        assert found > len(plan.findings)  # the slices overlap level by level: each finding shown in every report above it
    finally:
        con.close()


def test_check_plan_leaves_a_county_without_own_monthly_sales_and_a_township_to_their_own_check(tmp_path):
    path = tmp_path / "mini.duckdb"
    _mini(path, faults=("price",))
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO regions VALUES ('K3', '丙县', 'county', 'C1'), ('K1T1', '甲镇', 'township', 'K1')")
    con.execute("INSERT INTO sales SELECT date, grain, 'K3', sku, channel, brand, NULL, distributor_id, volume, revenue "
                "FROM sales WHERE region_id = 'K2' AND brand <> 'own'")  # K3: competitors only
    con.execute("INSERT INTO sales SELECT date, 'week', 'K3', sku, channel, brand, NULL, distributor_id, volume, revenue * 9 "
                "FROM sales WHERE region_id = 'K2' AND brand = 'own' LIMIT 3")  # and own weekly rows, mispriced
    con.close()
    tree = RegionTree(duckdb.connect(str(path), read_only=True).execute("SELECT * FROM regions").df())
    plan = quality.check_plan(path, tree=tree)
    assert set(plan.covered) == {"HQ", "P1", "C1", "K1", "K2"}
    assert quality.region_findings(plan, tree, "K3") is None and quality.region_findings(plan, tree, "K1T1") is None
    k3 = quality.check_archive(path, region_id="K3", tree=tree)
    assert list(k3["check"]) == ["no_sales"]  # what its own check says, and no slice of the plan's would
    assert "K3" in set(plan.findings["region_id"])  # the plan's row checks did look at its weekly rows
    for rid in sorted(plan.covered):
        pd.testing.assert_frame_equal(quality.region_findings(plan, tree, rid),
                                      quality.check_archive(path, region_id=rid, tree=tree), obj=rid)


def test_findings_read_back_from_parquet_equal_the_check(small, tmp_path):
    _, full = small
    assert full["terminal_id"].isna().any() and len(full) > 5  # missing texts and several checks to read back
    full.to_parquet(tmp_path / "f.parquet", index=False)
    pd.testing.assert_frame_equal(quality.as_findings(pd.read_parquet(tmp_path / "f.parquet")), full)
    full.iloc[:0].to_parquet(tmp_path / "e.parquet", index=False)
    none = quality.as_findings(pd.read_parquet(tmp_path / "e.parquet"))
    pd.testing.assert_frame_equal(none, full.iloc[:0].reset_index(drop=True))


@pytest.mark.parametrize(("errors", "warnings", "words"), [
    (1, 2, "1 个错误、2 个警告"), (0, 1_149, "1,149 个警告"), (3, 0, "3 个错误"), (0, 0, "没有错误或警告"),
])
def test_counts_in_words_names_only_the_kinds_there_are(errors, warnings, words):
    assert quality.counts_in_words(errors, warnings) == words


def test_findings_reading_counts_the_findings_and_says_a_clean_check_is_of_the_sales():
    cols = {c: [None] for c in ("product_line", "sku", "terminal_id", "date", "message")}
    clean = pd.DataFrame({"check": ["outlier"], "severity": ["info"], "region_id": ["K1"], **cols})
    assert quality.findings_reading(clean) == "销售记录的检查没有发现错误或警告。"
    nothing = clean.assign(check="no_sales")  # a region without sales: nothing was checked, nothing is clean
    assert quality.findings_reading(nothing) == "没有可检查的销售记录。"
    found = pd.DataFrame({"check": ["outlier", "unit_price"], "severity": ["warning", "warning"], "region_id": ["K1", "K2"],
                          **{c: v * 2 for c, v in cols.items()}})
    assert quality.findings_reading(found).startswith("2 个警告（")


def test_format_findings_shows_the_product_line_so_no_two_lines_read_the_same():
    # one county missing February in three product lines (the lines differed only there), a terminal's stop, and a
    # competitor's finding: every printed line is different and names its product line
    def finding(check, severity, line, sku=None, terminal=None, brand="own", msg="2025-02 该产品线没有本品销售"):
        return {"check": check, "severity": severity, "region_id": "P01C01K01", "product_line": line, "sku": sku,
                "terminal_id": terminal, "brand": brand, "date": pd.Timestamp("2025-02-01"), "value": np.nan,
                "expected": np.nan, "message": msg}

    findings = pd.DataFrame([
        finding("missing_month", "error", "白酒"), finding("missing_month", "error", "低度酒"),
        finding("missing_month", "error", "保健酒"),
        finding("series_stop", "warning", "保健酒", "KY-YS-04", "T000003", msg="该产品自 2026-01 起中断"),
        finding("series_start", "info", None, msg="竞品自 2025-02 起有销售"),
    ])
    lines = quality.format_findings(findings).splitlines()
    assert lines[:8] == [
        "data quality: 3 error, 1 warning, 1 info (5 findings)",
        "check          severity  findings",
        "missing_month  error     3",
        "series_stop    warning   1",
        "series_start   info      1",
        "",
        "severity  check          region     product line  date     sku/terminal      message",
        "error     missing_month  P01C01K01  低度酒        2025-02                    2025-02 该产品线没有本品销售",
    ]
    assert lines[8:] == [
        "error     missing_month  P01C01K01  保健酒        2025-02                    2025-02 该产品线没有本品销售",
        "error     missing_month  P01C01K01  白酒          2025-02                    2025-02 该产品线没有本品销售",
        "warning   series_stop    P01C01K01  保健酒        2025-02  KY-YS-04 T000003  该产品自 2026-01 起中断",
        "info      series_start   P01C01K01                2025-02                    竞品自 2025-02 起有销售",
    ]


def test_format_findings_shows_a_competitors_brand_when_a_listed_finding_has_one():
    base = {"check": "series_start", "severity": "info", "region_id": "K1", "product_line": "白酒", "sku": None,
            "terminal_id": None, "date": pd.Timestamp("2025-02-01"), "value": np.nan, "expected": np.nan,
            "message": "起有销售"}
    findings = pd.DataFrame([{**base, "brand": "own"}, {**base, "brand": "金潭"}])
    assert quality.format_findings(findings).splitlines()[-3:] == [
        "severity  check         region  product line  date     brand  sku/terminal  message",
        "info      series_start  K1      白酒          2025-02                       起有销售",
        "info      series_start  K1      白酒          2025-02  金潭                 起有销售",
    ]
