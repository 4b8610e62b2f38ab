"""Tests of planlib.archive.store: the archive file, reading tables, fingerprint, summaries."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from planlib.archive import import_files, init_archive, load_table, store
from planlib.errors import DataError
from planlib.schemas import TABLE_ORDER
from tests.archive.conftest import SALES_HEADER, imp, sales, write
from tests.conftest import write_tiny_archive


def test_init_archive_creates_nine_tables_and_meta(tmp_path):
    path = init_archive(tmp_path / "new" / "a.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        version = con.execute("SELECT value FROM planlib_meta WHERE key = 'format_version'").fetchone()[0]
    assert names == set(TABLE_ORDER) | {"planlib_meta"}
    assert version == store.FORMAT_VERSION


def test_init_archive_is_idempotent_and_keeps_data(arc):
    before = load_table(arc, "regions")
    assert init_archive(arc) == arc
    pd.testing.assert_frame_equal(load_table(arc, "regions"), before)


def test_init_archive_refuses_a_file_that_is_not_an_archive(tmp_path):
    text = write(tmp_path / "notes.duckdb", "hello")
    with pytest.raises(DataError, match="notes.duckdb"):
        init_archive(text)
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(DataError, match="not a planlib archive"):
        init_archive(other)


def test_connect_missing_file_says_how_to_create_one(tmp_path):
    with pytest.raises(DataError, match=r"missing\.duckdb.*planlib archive init.*planlib demo"):
        store.connect(tmp_path / "missing.duckdb")


def test_connect_refuses_a_duckdb_file_without_meta(tmp_path):
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(DataError, match="other.duckdb.*not a planlib archive"):
        store.connect(other)


def test_load_table_returns_documented_dtypes_and_keeps_codes(arc):
    imp(arc, "sales", SALES_HEADER + "2024-03,NS,0755,supermarket,10,65\n2024-03,NS,NA,supermarket,5,10\n")
    products = load_table(arc, "products")
    assert products["sku"].tolist() == ["0755", "NA"]
    assert products["sku"].dtype == "str"
    got = sales(arc)
    assert pd.api.types.is_datetime64_dtype(got["date"])
    assert got["sku"].tolist() == ["0755", "NA"]
    assert got["volume"].dtype == "float64"
    assert load_table(arc, "distributors")["tier"].tolist() == [1]


def test_load_table_filters_regions_and_selects_columns(arc):
    imp(arc, "sales", SALES_HEADER + "2024-03,NS,0755,supermarket,10,65\n2024-03,YH,0755,supermarket,5,30\n")
    got = load_table(arc, "sales", region_ids=["YH", "XX"], columns=["region_id", "volume"])
    pd.testing.assert_frame_equal(
        got, pd.DataFrame({"region_id": pd.Series(["YH"], dtype="str"), "volume": [5.0]})
    )
    with store.connect(arc) as con:  # an open connection works too and stays open
        assert load_table(con, "terminals", region_ids=("NS",))["terminal_id"].tolist() == ["T1"]
        assert len(load_table(con, "products", region_ids=["NS"])) == 2  # no region_id: not filtered
        assert con.execute("SELECT 1").fetchone() == (1,)


def test_load_table_unknown_table_or_column_is_a_data_error(arc):
    with pytest.raises(DataError, match="unknown table 'sale'"):
        load_table(arc, "sale")
    with pytest.raises(DataError, match="no column"):
        load_table(arc, "sales", columns=["qty"])


def test_load_tree_builds_the_region_tree(arc):
    tree = store.load_tree(arc)
    assert tree.root == "CN"
    assert tree.ancestors("YH") == ("NS", "SZ", "GD", "CN")


def test_fingerprint_is_stable_and_follows_the_data(arc):
    first = store.fingerprint(arc)
    assert first == store.fingerprint(arc)
    assert len(first) == 16
    imp(arc, "sales", SALES_HEADER + "2024-03,NS,0755,supermarket,10,65\n")
    assert store.fingerprint(arc) != first


def test_load_table_filters_regions_by_id_not_by_the_range_between_them(tmp_path):
    path = write_tiny_archive(tmp_path / "t.duckdb")
    got = load_table(path, "sales", region_ids=["K3", "K1"], columns=["region_id"])
    assert set(got["region_id"]) == {"K1"}  # K2 lies between K1 and K3 but was not asked for
    assert load_table(path, "sales", region_ids=[]).empty


def test_import_files_refreshes_the_sku_months_summary(arc, tmp_path):
    src = tmp_path / "sales.parquet"
    pd.DataFrame(
        {"date": [dt.date(2024, 3, 5), dt.date(2024, 3, 9)], "region_id": ["NS", "NS"], "sku": ["0755", "NA"],
         "channel": ["supermarket", "supermarket"], "volume": [10, 4], "revenue": [65.5, 20.0]}
    ).to_parquet(src)
    import_files(arc, "sales", [src])
    con = store.connect(arc)
    try:
        assert store.sku_months_fresh(con)
        got = con.execute(f"SELECT sku, date, volume FROM {store.SKU_MONTHS_TABLE} ORDER BY sku").fetchall()
        assert got == [("0755", dt.date(2024, 3, 1), 10.0), ("NA", dt.date(2024, 3, 1), 4.0)]
    finally:
        con.close()


def test_reading_lock_names_the_run_and_dies_with_it(arc, tmp_path):
    # a run in another process holds the archive, then is killed: its lock goes with it
    script = (f"import time\nfrom planlib.archive import reading\nwith reading({str(arc)!r}):\n"
              "    print('holding', flush=True)\n    time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        src = write(tmp_path / "s.csv", SALES_HEADER + "2024-03,NS,0755,supermarket,1,1\n")
        with pytest.raises(DataError, match=rf"a run is reading the archive \(pid {holder.pid}\)"):
            import_files(arc, "sales", [src])
    finally:
        holder.kill()
        holder.wait()
    assert import_files(arc, "sales", [src]).imported == 1
    assert store.lock_path(arc) == arc.with_name("acme.duckdb.lock")


def test_a_missing_optional_table_reads_as_empty(tmp_path):
    """An archive without market, expenses and activities tables (another tool wrote it): they read as empty."""
    path = write_tiny_archive(tmp_path / "t.duckdb")
    con = duckdb.connect(str(path))
    for name in ("market", "expenses", "activities"):
        con.execute(f"DROP TABLE {name}")
    con.close()
    with store.connect(path) as con:
        assert store.missing_tables(con) == ()
        market = load_table(con, "market")
        assert market.empty and list(market.columns)[:3] == ["date", "region_id", "product_line"]
        assert load_table(con, "expenses").empty and load_table(con, "activities").empty
        assert len(load_table(con, "sales")) > 0
    assert len(store.fingerprint(path)) == 16


def test_connect_checks_the_format_version_and_every_table_in_one_query(tmp_path):
    """A complete archive passes the one-query check; without the version row, or a table, it does not."""
    path = write_tiny_archive(tmp_path / "t.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        assert store._is_complete(con) is True
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE expenses")
    with duckdb.connect(str(path), read_only=True) as con:
        assert store._is_complete(con) is False
    with store.connect(path) as con:  # the slow path adds the table back, empty
        assert store.missing_tables(con) == () and store._is_complete(con) is True
    with duckdb.connect(str(path)) as con:
        con.execute(f"DELETE FROM {store.META_TABLE} WHERE key = 'format_version'")
    with duckdb.connect(str(path), read_only=True) as con:
        assert store._is_complete(con) is False
    with pytest.raises(DataError, match="not a planlib archive"):
        store.connect(path)
