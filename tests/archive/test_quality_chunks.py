"""The data-quality checks read the sales in chunks of whole counties: the findings do not depend on the chunks."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from planlib.archive import quality, sales_checks
from planlib.hierarchy import RegionTree

pytestmark = pytest.mark.xdist_group("quality_chunks")  # the module fixtures are built once, on one worker


@pytest.fixture(scope="module")
def faulty(tmp_path_factory, demo_copy):
    """The demo archive with faults in many counties, a terminal that moves county, and rows outside the tree."""
    path = tmp_path_factory.mktemp("chunks") / "demo.duckdb"
    demo_copy(path, start_year=2023)
    con = duckdb.connect(str(path))
    counties = [r[0] for r in con.execute("SELECT region_id FROM regions WHERE level = 'county' ORDER BY 1").fetchall()]
    con.execute("INSERT INTO sales SELECT * FROM sales WHERE grain = 'month' AND rowid % 20011 = 7")  # duplicates
    con.execute("UPDATE sales SET revenue = 0 WHERE rowid % 30011 = 3")
    con.execute("UPDATE sales SET volume = volume * 40 WHERE grain = 'month' AND brand = 'own' AND rowid % 9973 = 5")
    con.execute("UPDATE sales SET distributor_id = NULL WHERE grain = 'month' AND brand = 'own' AND rowid % 7919 = 1")
    # a terminal of the first county buys, from 2024 on, in the last county (another chunk)
    term = con.execute("SELECT min(terminal_id) FROM sales WHERE region_id LIKE ? || '%' AND grain = 'month'",
                       [counties[0]]).fetchone()[0]
    con.execute("UPDATE sales SET region_id = ? WHERE terminal_id = ? AND date >= DATE '2024-01-01'", [counties[-1], term])
    # rows of a region the tree does not know
    con.execute("INSERT INTO sales SELECT date, grain, 'ZZ9', sku, channel, brand, terminal_id, distributor_id, "
                "volume, 0 FROM sales WHERE rowid % 50021 = 11")
    tree = RegionTree(con.execute("SELECT * FROM regions").df())
    con.close()
    return path, tree, term


def _checked(path, tree, region_id, chunk_counties, monkeypatch):
    monkeypatch.setattr(sales_checks, "_CHUNK_COUNTIES", chunk_counties)
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET threads = 1")  # one order of adding up, whatever the chunks
    try:
        return quality.check_archive(con, region_id=region_id, tree=tree)
    finally:
        con.close()


@pytest.mark.parametrize("region_id", [None, "HQ", "P01", "P04C02"])
def test_findings_are_the_same_in_chunks_of_a_few_counties_and_of_all(faulty, region_id, monkeypatch):
    path, tree, _ = faulty
    whole = _checked(path, tree, region_id, 10_000, monkeypatch)
    one = _checked(path, tree, region_id, 8, monkeypatch)  # 6 chunks of the 42 counties
    pd.testing.assert_frame_equal(one, whole, check_exact=True)
    assert {"duplicate_rows", "volume_without_revenue", "outlier", "distributor_missing"} <= set(whole["check"])


def test_a_terminal_that_moves_county_is_one_series_across_chunks(faulty, monkeypatch):
    path, tree, term = faulty
    f = _checked(path, tree, "HQ", 8, monkeypatch)
    moved = f[(f["terminal_id"] == term) & f["check"].isin(["series_stop", "series_start"])]
    assert moved.empty, moved  # it bought every month: neither stopped in its first county nor started in its second


def test_rows_outside_the_tree_are_checked_only_in_the_whole_archive(faulty, monkeypatch):
    path, tree, _ = faulty
    full = _checked(path, tree, None, 16, monkeypatch)
    hq = _checked(path, tree, "HQ", 16, monkeypatch)
    outside = full[full["region_id"] == "ZZ9"]
    assert len(outside) and set(outside["check"]) <= {"volume_without_revenue", "duplicate_rows", "unit_price"}
    assert "volume_without_revenue" in set(outside["check"])
    assert not (hq["region_id"] == "ZZ9").any()


def test_county_chunks_are_whole_counties_in_id_order():
    rmap = pd.DataFrame({
        "region_id": ["K2", "K1T2", "K1", "K3", "K1T1", "K2T1", "K3T1"],
        "county_id": ["K2", "K1", "K1", "K3", "K1", "K2", "K3"],
        "in_scope": True,
    })  # fmt: skip
    assert sales_checks._county_chunks(rmap, 2) == [["K1", "K1T1", "K1T2", "K2", "K2T1"], ["K3", "K3T1"]]
    assert sales_checks._county_chunks(rmap, 1) == [["K1", "K1T1", "K1T2"], ["K2", "K2T1"], ["K3", "K3T1"]]
    assert sales_checks._county_chunks(rmap, 64) == [sorted(rmap["region_id"])]
    assert sales_checks._county_chunks(rmap.iloc[0:0], 64) == []
