"""A region's check on one thread and one chunk: the findings a full check gives, and the caller's connection as it was."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from planlib.archive import quality, sales_checks
from planlib.hierarchy import RegionTree
from planlib.schemas import TABLE_ORDER, table_ddl


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """HQ > P1 > C1 > K1, K2: two terminals a county for 24 months; K1's second terminal's rows of 2024 lack a distributor."""
    path = tmp_path_factory.mktemp("quality_setup") / "mini.duckdb"
    con = duckdb.connect(str(path))
    for t in TABLE_ORDER:
        con.execute(table_ddl(t))
    con.execute("""INSERT INTO regions VALUES ('HQ', '总部', 'hq', NULL), ('P1', '甲省', 'province', 'HQ'),
                   ('C1', '甲市', 'city', 'P1'), ('K1', '甲县', 'county', 'C1'), ('K2', '乙县', 'county', 'C1')""")
    con.execute("INSERT INTO distributors VALUES ('D1', '甲商贸', 'K1', 2), ('D2', '乙商贸', 'K2', 2), ('D9', '闲置', 'K2', 3)")
    con.execute("INSERT INTO products VALUES ('S1', '一号', '白酒', NULL, 100, 50), ('X1', '对手', '白酒', NULL, 80, NULL)")
    terms = [("T1", "K1", "D1"), ("T2", "K1", "D1"), ("T3", "K2", "D2"), ("T4", "K2", "D2")]
    con.executemany("INSERT INTO terminals VALUES (?, ?, ?, 'B', 'supermarket', ?)", [(t, t, r, d) for t, r, d in terms])
    rng = np.random.default_rng(3)
    rows = []
    for i, m in enumerate(pd.date_range("2023-01-01", periods=24, freq="MS")):
        for k, (t, r, d) in enumerate(terms):
            v = float(round((20 + 5 * k) * (1.8 if m.month == 1 else 1.0) * rng.uniform(0.95, 1.05)))
            rows.append((m.date(), "month", r, "S1", "supermarket", "own", t, None if (t == "T2" and i >= 12) else d,
                         v, v * 97.0))
        if i < 18:  # K2's competitor stops after June 2024
            rows += [(m.date(), "month", r, "X1", "supermarket", "对手", None, None, 60.0, 4800.0) for r in ("K1", "K2")]
        else:
            rows.append((m.date(), "month", "K1", "X1", "supermarket", "对手", None, None, 60.0, 4800.0))
    sales = pd.DataFrame(rows, columns=["date", "grain", "region_id", "sku", "channel", "brand",
                                        "terminal_id", "distributor_id", "volume", "revenue"])  # fmt: skip
    con.register("df", sales)
    con.execute("INSERT INTO sales SELECT * FROM df")
    tree = RegionTree(con.execute("SELECT * FROM regions").df())
    con.close()
    return path, tree


def test_a_county_checked_on_one_thread_finds_what_the_whole_check_finds_and_restores_the_threads(archive):
    path, tree = archive
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("SET threads = 2")
        whole = quality.check_archive(con, tree=tree)
        k1 = quality.check_archive(con, region_id="K1", tree=tree)
        assert con.execute("SELECT current_setting('threads')").fetchall() == [(2,)]  # as the caller set it
    in_k1 = whole[whole["region_id"] == "K1"].reset_index(drop=True)
    pd.testing.assert_frame_equal(k1, in_k1, check_exact=True)
    missing = k1[k1["check"] == "distributor_missing"]
    assert missing[["region_id", "value"]].values.tolist() == [["K1", 12.0]]  # T2's 12 months of 2024
    assert missing["message"].tolist() == ["12 行本品月度销售没有经销商"]
    assert whole.loc[whole["check"] == "competitor_coverage", "region_id"].tolist() == []  # K2 has 2024 competitors
    assert whole.loc[whole["check"] == "distributor_without_sales", "region_id"].tolist() == ["K2"]  # D9


def test_a_region_in_one_chunk_and_in_chunks_of_one_county_gives_the_same_findings(archive, monkeypatch):
    path, tree = archive
    with duckdb.connect(str(path), read_only=True) as con:
        for region in ("C1", "HQ"):
            one = quality.check_archive(con, region_id=region, tree=tree)
            monkeypatch.setattr(sales_checks, "_CHUNK_COUNTIES", 1)
            split = quality.check_archive(con, region_id=region, tree=tree)
            monkeypatch.setattr(sales_checks, "_CHUNK_COUNTIES", 256)
            pd.testing.assert_frame_equal(one, split, check_exact=True)
            assert set(one["check"]) >= {"distributor_missing", "distributor_without_sales"}
        names = con.execute("SELECT table_name FROM information_schema.tables").df()["table_name"]
        assert not names.str.startswith("_planlib").any()


def _finished_column_by_column(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The findings frame as quality._finish made it before it was built at once."""
    out = pd.concat([p[list(quality.FINDING_COLUMNS)].astype(object) for p in parts if len(p)], ignore_index=True)
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[us]")
    for col in ("value", "expected"):
        out[col] = pd.to_numeric(out[col]).astype("float64")
    for col in ("check", "severity", "region_id", "product_line", "sku", "terminal_id", "brand", "message"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    rank = out["severity"].map({s: i for i, s in enumerate(quality.SEVERITIES)})
    order = out.assign(_rank=rank).sort_values(
        ["_rank", "check", "region_id", "date", "sku", "terminal_id"], kind="stable", na_position="first").index
    return out.loc[order].reset_index(drop=True)


def test_findings_frame_built_at_once_equals_the_column_by_column_frame():
    parts = pd.DataFrame({
        "check": ["outlier", "missing_month", "outlier"], "severity": ["warning", "error", "warning"],
        "region_id": ["K2", None, np.nan], "product_line": [np.nan, "白酒", None], "sku": [None, None, "S1"],
        "terminal_id": [pd.NA, "T1", None], "brand": "own", "date": [pd.Timestamp("2024-03-01"), None, pd.NaT],
        "value": [1.0, None, 3], "expected": [np.nan, 2, None], "message": ["甲", None, "乙"],
    })  # fmt: skip
    for case in ([parts], [parts.iloc[[0]]], [parts.iloc[[1]], parts.iloc[0:0], parts.iloc[[2, 0]]]):
        built = quality._finish([p.copy() for p in case])
        expected = _finished_column_by_column(case)
        pd.testing.assert_frame_equal(built, expected, check_exact=True)
        assert [[type(v) for v in row] for row in built.values] == [[type(v) for v in row] for row in expected.values]
    built = quality._finish([parts])
    assert built["check"].tolist() == ["missing_month", "outlier", "outlier"]  # errors first
    assert built["region_id"].tolist() == [None, None, "K2"] and built["sku"].tolist() == [None, "S1", None]
