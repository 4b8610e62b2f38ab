"""Tests of planlib.archive.count_rows: the rows load_table would read, counted, and 0 for a missing table."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from planlib import archive
from planlib.archive import store
from planlib.errors import DataError
from tests.conftest import write_tiny_archive


@pytest.fixture()
def tiny(tmp_path):
    path = write_tiny_archive(tmp_path / "t.duckdb")
    with duckdb.connect(str(path)) as con:  # two years of K1 and K2 expenses, one row without a region's sales
        expenses = pd.DataFrame({
            "date": pd.to_datetime(["2024-01-05", "2024-06-30", "2025-01-01", "2025-12-31", "2025-03-01"]),
            "region_id": ["K1", "K1", "K1", "K2", "K3"], "category": "media", "item": "tv", "terminal_id": None,
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0]})  # fmt: skip
        con.register("frame", expenses)
        con.execute("INSERT INTO expenses (date, region_id, category, item, terminal_id, amount) SELECT * FROM frame")
    return path


@pytest.mark.parametrize("region_ids", [None, ["K1"], ["K2", "K1"], ["K3"], ["HQ", "P1", "C1", "K1", "K2", "K3"], [], "K1"])
@pytest.mark.parametrize("years", [None, (2025, 2025), (2024, 2025), (2026, 2026)])
def test_count_rows_is_the_length_of_load_table(tiny, region_ids, years):
    with archive.connect(tiny) as con:
        for table in ("expenses", "sales", "activities", "products", "regions"):
            expected = len(archive.load_table(con, table, region_ids=region_ids, years=years))
            assert archive.count_rows(con, table, region_ids=region_ids, years=years) == expected


def test_count_rows_counts_what_it_is_asked(tiny):
    with archive.connect(tiny) as con:
        assert archive.count_rows(con, "expenses") == 5
        assert archive.count_rows(con, "expenses", region_ids=["K1"], years=(2025, 2025)) == 1
        assert archive.count_rows(con, "expenses", region_ids=["K1", "K2", "K3"], years=(2025, 2025)) == 3
        assert archive.count_rows(con, "sales", region_ids=["K3"]) == 0
        assert archive.count_rows(con, "sales", region_ids=["K1"], years=(2025, 2025)) == 12 * 3
    assert archive.count_rows(tiny, "expenses", years=(2024, 2024)) == 2  # a path: opened and closed


def test_count_rows_of_a_table_the_archive_lacks_is_zero(tmp_path):
    """An archive open elsewhere keeps its missing optional tables missing: they count 0 rows, as they read empty."""
    path = write_tiny_archive(tmp_path / "t.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE expenses")
    with duckdb.connect(str(path), read_only=True) as con:  # as connect() leaves it when it cannot add the table
        assert store.missing_tables(con) == ("expenses",)
        assert archive.count_rows(con, "expenses", region_ids=["K1"], years=(2025, 2025)) == 0
        assert archive.count_rows(con, "sales", region_ids=["K1"]) == 24 * 3


def test_count_rows_refuses_an_unknown_table(tiny):
    with pytest.raises(DataError, match="unknown table"):
        archive.count_rows(tiny, "expense")
