"""The promotions query: last year's own sales per terminal or region and month, from a hand-made archive."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from planlib.archive.queries.promotions import promotion_units
from planlib.errors import ParamsError
from planlib.promotions import cost_scheme
from planlib.schemas import table_ddl
from tests.promotions.conftest import source_scheme

SALES = [  # date, grain, region, sku, channel, brand, terminal, volume, revenue
    ("2025-06-01", "month", "K1", "S1", "supermarket", "own", "T1", 5, 500.0),      # T1 sold before: existing
    ("2026-01-01", "month", "K1", "S1", "supermarket", "own", "T1", 200, 20_000.0),
    ("2026-01-01", "month", "K1", "S2", "supermarket", "own", "T1", 100, 15_000.0),  # two records in January
    ("2026-02-01", "month", "K1", "S1", "supermarket", "own", "T1", 10, 1_000.0),
    ("2026-01-01", "month", "K2", "S1", "restaurant", "own", "T2", 300, 31_000.0),   # T2 first sold in 2026: new
    ("2026-03-01", "month", "K2", "S1", "restaurant", "own", "T9", 1, 100.0),        # not in terminals: its row's
    ("2026-01-05", "week", "K1", "S1", "supermarket", "own", "T1", 50, 5_000.0),     # weeks are not counted twice
    ("2026-01-01", "month", "K1", "X1", "supermarket", "金潭", "T1", 70, 7_000.0),     # a competitor's
    ("2026-01-01", "month", "K2", "S1", "group_purchase", "own", None, 40, 4_000.0),  # no terminal
    ("2027-01-01", "month", "K1", "S1", "supermarket", "own", "T1", 99, 9_900.0),     # the plan year itself
]


@pytest.fixture()
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "p.duckdb"))
    for name in ("sales", "terminals"):
        c.execute(table_ddl(name))
    c.executemany("INSERT INTO sales (date, grain, region_id, sku, channel, brand, terminal_id, volume, revenue) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", SALES)
    c.executemany("INSERT INTO terminals VALUES (?, ?, ?, ?, ?, ?)",
                  [("T1", "好又多", "K1", "A", "supermarket", None), ("T2", "长乐饭庄", "K2T1", "B", "restaurant", None)])
    yield c
    c.close()


def test_promotion_units_per_terminal_and_month(con):
    got = promotion_units(con, 2027)
    expected = pd.DataFrame({
        "unit_id": ["T1", "T1", "T2", "T9"], "region_id": ["K1", "K1", "K2T1", "K2"],
        "channel": ["supermarket", "supermarket", "restaurant", "restaurant"],
        "customer": ["existing", "existing", "new", "new"], "month": [1, 2, 1, 3],
        "amount": [35_000.0, 1_000.0, 31_000.0, 100.0], "volume": [300.0, 10.0, 300.0, 1.0], "count": [2, 1, 1, 1],
    })
    pd.testing.assert_frame_equal(got, expected)


def test_promotion_units_per_region_and_filtered(con):
    got = promotion_units(con, 2027, by="region")
    assert got[["unit_id", "month", "amount", "count"]].values.tolist() == [
        ["K1", 1, 35_000.0, 2], ["K1", 2, 1_000.0, 1], ["K2", 1, 35_000.0, 2], ["K2", 3, 100.0, 1]]
    assert got["channel"].tolist() == ["", "", "", ""] and got["customer"].tolist() == ["existing"] * 2 + ["new"] * 2
    only = promotion_units(con, 2027, region_ids=["K2"])
    assert only["unit_id"].tolist() == ["T2", "T9"]
    with pytest.raises(ParamsError, match="by: 'branch' is not a unit of the archive"):
        promotion_units(con, 2027, by="branch")


def test_promotion_units_feed_a_scheme(con):
    # Jan-Feb: T1 36,000 (existing: one ticket per 30,000), T2 31,000 (new: one per 20,000), T9 no sales then
    result = cost_scheme(source_scheme("demo_spring_tickets"), promotion_units(con, 2027))
    assert result.units.set_index("unit_id")["quantity"].to_dict() == {"T1": 1, "T2": 1, "T9": 0}
    assert result.summary["cost"] == 120.0
