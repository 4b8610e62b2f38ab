"""spend_history on an archive without an expenses table (open elsewhere, so connect could not add it)."""

from __future__ import annotations

import duckdb
import pandas as pd

from planlib.archive.queries.budget import spend_history
from tests.conftest import write_tiny_archive


def test_spend_history_without_an_expenses_table_has_empty_expenses_and_the_same_sales(tmp_path):
    whole = write_tiny_archive(tmp_path / "whole.duckdb")
    lacking = write_tiny_archive(tmp_path / "lacking.duckdb")
    with duckdb.connect(str(lacking)) as con:
        con.execute("DROP TABLE expenses")
    with duckdb.connect(str(whole), read_only=True) as a, duckdb.connect(str(lacking), read_only=True) as b:
        cells, yearly, expenses = spend_history(b, ["K1", "K2"], years=(2024, 2025))
        want_cells, want_yearly, want_expenses = spend_history(a, ["K1", "K2"], years=(2024, 2025))
    pd.testing.assert_frame_equal(cells, want_cells, check_exact=True)
    pd.testing.assert_frame_equal(yearly, want_yearly, check_exact=True)
    assert len(cells) == 2 * 24 and yearly["year"].tolist() == [2024, 2025] and yearly["revenue"].gt(0).all()
    assert expenses.empty and list(expenses.columns) == ["year", "category", "amount", "rows"]
    assert [str(t) for t in expenses.dtypes] == ["int64", "object", "float64", "int64"]
    assert want_expenses.empty  # the tiny archive has the table, without rows
