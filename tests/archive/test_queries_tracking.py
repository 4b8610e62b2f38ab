"""Tests of planlib.archive.queries.tracking: the plan year's actuals and the people, as frames."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from planlib.archive import connect, init_archive
from planlib.archive.queries import tracking as q
from planlib.errors import ParamsError

AS_OF = dt.date(2027, 3, 15)

# CN > GD > SZ (city) > NS (county) > YH (township); SZ > FT (county). T1 (A) in NS, T2 (B) in YH, T3 (C) in FT.
REGIONS = [("CN", "总部", "hq", None), ("GD", "广东", "province", "CN"), ("SZ", "深圳", "city", "GD"),
           ("NS", "南山", "county", "SZ"), ("YH", "粤海", "township", "NS"), ("FT", "福田", "county", "SZ")]
TERMINALS = [("T1", "南山超市", "NS", "A", "supermarket", None), ("T2", "粤海餐厅", "YH", "B", "restaurant", None),
             ("T3", "福田烟酒", "FT", "C", "tobacco_liquor", None)]
PRODUCTS = [("S1", "白酒", "baijiu", None, 10.0, 6.0), ("S2", "养生酒", "tonic", None, 20.0, None),
            ("X1", "金潭", "baijiu", None, 9.0, None)]
D = dt.date
SALES = [  # date, grain, region, sku, channel, brand, terminal, distributor, volume, revenue
    (D(2026, 12, 1), "month", "NS", "S1", "supermarket", "own", "T1", None, 100, 1000),  # last year: out
    (D(2027, 1, 1), "month", "NS", "S1", "supermarket", "own", "T1", "D1", 10, 95),
    (D(2027, 1, 1), "month", "NS", "S1", "supermarket", "own", "T1", "D2", 5, 50),  # another distributor: summed
    (D(2027, 1, 1), "month", "YH", "S2", "restaurant", "own", "T2", None, 3, 60),
    (D(2027, 2, 1), "month", "NS", "S1", "supermarket", "own", None, None, 7, 70),  # no terminal
    (D(2027, 3, 1), "month", "FT", "S1", "tobacco_liquor", "own", "T3", None, 4, 40),
    (D(2027, 4, 1), "month", "FT", "S1", "tobacco_liquor", "own", "T3", None, 9, 90),  # after as_of: out
    (D(2027, 1, 1), "month", "NS", "X1", "supermarket", "金潭", None, None, 50, 450),  # a competitor: out
    (D(2026, 12, 28), "week", "NS", "S1", "supermarket", "own", "T1", None, 1, 10),  # last year's week: out
    (D(2027, 1, 4), "week", "NS", "S1", "supermarket", "own", "T1", None, 2, 20),
    (D(2027, 1, 4), "week", "NS", "S2", "supermarket", "own", "T1", None, 1, 20),  # summed with the row above
    (D(2027, 3, 15), "week", "YH", "S2", "restaurant", "own", "T2", None, 1, 19),  # starts on as_of: in
    (D(2027, 3, 22), "week", "YH", "S2", "restaurant", "own", "T2", None, 1, 19),  # starts after as_of: out
]
EXPENSES = [(D(2026, 12, 1), "NS", "office", "rent", None, 100.0), (D(2027, 1, 1), "NS", "office", "rent", None, 110.0),
            (D(2027, 1, 1), "NS", "channel", "display", "T1", 30.0), (D(2027, 2, 1), "SZ", "labour", "wages", None, 500.0),
            (D(2027, 4, 1), "NS", "office", "rent", None, 110.0)]
PEOPLE = [("E1", "王芳", "salesperson", "NS", "T1"), ("E1", "王芳", "salesperson", "NS", "T2"),
          ("E2", "李强", "salesperson", "FT", "T3"), ("M1", "赵敏", "manager", "SZ", None)]
EVENTS = [(D(2026, 12, 1), "E1", "collection", 99.0), (D(2027, 1, 1), "E1", "collection", 80.0),
          (D(2027, 1, 1), "E1", "missing_report", 1.0), (D(2027, 3, 1), "E2", "collection", 30.0),
          (D(2027, 4, 1), "E2", "collection", 31.0), (D(2027, 2, 1), "M1", "missing_report", 2.0)]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = init_archive(tmp_path_factory.mktemp("tracking") / "t.duckdb")
    with duckdb.connect(str(path)) as c:
        for table, rows in (("regions", REGIONS), ("terminals", TERMINALS), ("products", PRODUCTS), ("sales", SALES),
                            ("expenses", EXPENSES), ("people", PEOPLE), ("person_events", EVENTS)):
            c.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
    c = connect(path)
    yield c
    c.close()


def _plain(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts with NaN as None and categoricals as their values."""
    out = frame.astype(object)
    return out.where(out.notna(), None).to_dict("records")


def test_actual_sales_sums_distributors_keeps_the_grain_and_the_window(con):
    got = q.actual_sales(con, None, 2027, AS_OF)
    m = pd.Timestamp
    assert list(got.columns) == list(q.SALES_COLUMNS)
    assert _plain(got) == [
        {"region_id": "FT", "month": m("2027-03-01"), "sku": "S1", "product_line": "baijiu", "channel": "tobacco_liquor",
         "terminal_id": "T3", "terminal_class": "C", "volume": 4.0, "revenue": 40.0, "variable_cost": 24.0},
        {"region_id": "NS", "month": m("2027-01-01"), "sku": "S1", "product_line": "baijiu", "channel": "supermarket",
         "terminal_id": "T1", "terminal_class": "A", "volume": 15.0, "revenue": 145.0, "variable_cost": 90.0},
        {"region_id": "NS", "month": m("2027-02-01"), "sku": "S1", "product_line": "baijiu", "channel": "supermarket",
         "terminal_id": None, "terminal_class": None, "volume": 7.0, "revenue": 70.0, "variable_cost": 42.0},
        # S2 has no unit variable cost: it counts 0
        {"region_id": "YH", "month": m("2027-01-01"), "sku": "S2", "product_line": "tonic", "channel": "restaurant",
         "terminal_id": "T2", "terminal_class": "B", "volume": 3.0, "revenue": 60.0, "variable_cost": 0.0},
    ]


def test_actual_sales_dtypes_are_categorical_ids_and_microsecond_months(con):
    got = q.actual_sales(con, None, 2027, AS_OF)
    kinds = {c: str(t) for c, t in got.dtypes.items()}
    assert kinds == {"region_id": "category", "month": "datetime64[us]", "sku": "category",
                     "product_line": "category", "channel": "category", "terminal_id": "category",
                     "terminal_class": "category", "volume": "float64", "revenue": "float64",
                     "variable_cost": "float64"}


def test_actual_sales_of_a_subtree_is_the_whole_filtered(con):
    whole = q.actual_sales(con, None, 2027, AS_OF)
    ns = q.actual_sales(con, ["NS", "YH"], 2027, AS_OF)
    expected = whole[whole["region_id"].isin(["NS", "YH"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(ns.astype({c: object for c in ns.select_dtypes("category")}),
                                  expected.astype({c: object for c in expected.select_dtypes("category")}))
    none = q.actual_sales(con, [], 2027, AS_OF)
    assert none.empty and list(none.columns) == list(q.SALES_COLUMNS)


def test_actual_sales_to_year_end_adds_the_later_month(con):
    got = q.actual_sales(con, "FT", 2027, dt.date(2027, 12, 31))
    assert got["month"].dt.month.tolist() == [3, 4] and got["volume"].tolist() == [4.0, 9.0]


@pytest.mark.parametrize("as_of", [dt.date(2026, 12, 31), dt.date(2028, 1, 1), "2027-03-15"])
def test_an_as_of_outside_the_plan_year_is_an_error(con, as_of):
    with pytest.raises(ParamsError, match=r"plan year 2027"):
        q.actual_sales(con, None, 2027, as_of)
    with pytest.raises(ParamsError, match=r"plan year 2027"):
        q.tracking_actuals(con, None, 2027, as_of)


def test_actual_weekly_sums_skus_per_terminal_and_week_starting_up_to_as_of(con):
    got = q.actual_weekly(con, None, 2027, AS_OF)
    assert list(got.columns) == list(q.WEEKLY_COLUMNS)
    assert _plain(got) == [
        {"week": pd.Timestamp("2027-01-04"), "region_id": "NS", "terminal_id": "T1", "terminal_class": "A",
         "volume": 3.0, "revenue": 40.0},
        {"week": pd.Timestamp("2027-03-15"), "region_id": "YH", "terminal_id": "T2", "terminal_class": "B",
         "volume": 1.0, "revenue": 19.0},
    ]
    assert str(got["week"].dtype) == "datetime64[us]" and str(got["terminal_id"].dtype) == "category"


def test_actual_expenses_every_level_in_the_window(con):
    got = q.actual_expenses(con, None, 2027, AS_OF)
    assert _plain(got) == [
        {"region_id": "NS", "month": pd.Timestamp("2027-01-01"), "category": "channel", "item": "display",
         "terminal_id": "T1", "amount": 30.0},
        {"region_id": "NS", "month": pd.Timestamp("2027-01-01"), "category": "office", "item": "rent",
         "terminal_id": None, "amount": 110.0},
        {"region_id": "SZ", "month": pd.Timestamp("2027-02-01"), "category": "labour", "item": "wages",
         "terminal_id": None, "amount": 500.0},
    ]
    assert q.actual_expenses(con, ["NS", "YH"], 2027, AS_OF)["amount"].sum() == 140.0


def test_people_of_a_region_and_everyone(con):
    assert _plain(q.people(con)) == [
        {"person_id": "E1", "name": "王芳", "role": "salesperson", "region_id": "NS", "terminal_id": "T1"},
        {"person_id": "E1", "name": "王芳", "role": "salesperson", "region_id": "NS", "terminal_id": "T2"},
        {"person_id": "E2", "name": "李强", "role": "salesperson", "region_id": "FT", "terminal_id": "T3"},
        {"person_id": "M1", "name": "赵敏", "role": "manager", "region_id": "SZ", "terminal_id": None},
    ]
    assert q.people(con, ["NS", "YH"])["person_id"].astype(str).unique().tolist() == ["E1"]
    assert str(q.people(con)["name"].dtype) == "str"


def test_person_events_of_the_regions_people_in_the_window(con):
    got = q.person_events(con, None, 2027, AS_OF)
    assert [(r["month"].month, r["person_id"], r["kind"], r["value"]) for r in _plain(got)] == [
        (1, "E1", "collection", 80.0), (1, "E1", "missing_report", 1.0), (3, "E2", "collection", 30.0),
        (2, "M1", "missing_report", 2.0)]
    fut = q.person_events(con, ["FT"], 2027, AS_OF)
    assert fut["person_id"].astype(str).tolist() == ["E2"] and fut["value"].tolist() == [30.0]


def test_actuals_extent_counts_own_rows_of_the_plan_year(con):
    ext = q.actuals_extent(con, 2027)
    # own monthly rows of 2027: 6 (the April one too); weekly: 4
    assert ext == q.ActualsExtent(rows=10, last=dt.date(2027, 4, 1), through=dt.date(2027, 4, 30))
    assert q.actuals_extent(con, 2027, ["YH"]) == q.ActualsExtent(2 + 1, dt.date(2027, 3, 22), dt.date(2027, 3, 28))
    assert q.actuals_extent(con, 2028) == q.ActualsExtent(0, None, None)


def test_tracking_actuals_bundles_the_five_frames(con):
    got = q.tracking_actuals(con, ["SZ", "NS", "YH", "FT"], 2027, pd.Timestamp("2027-03-15"))
    assert (got.plan_year, got.as_of) == (2027, AS_OF)
    assert (len(got.sales), len(got.weekly), len(got.expenses), len(got.people), len(got.person_events)) == (
        4, 2, 3, 4, 4)
    assert np.isclose(got.sales["revenue"].sum(), 315.0)


def test_an_old_archive_held_elsewhere_reads_no_people(tmp_path):
    path = init_archive(tmp_path / "old.duckdb")
    with duckdb.connect(str(path)) as c:
        c.execute("DROP TABLE person_events")
        c.execute("DROP TABLE people")
    holder = duckdb.connect(str(path), read_only=True)
    try:
        with connect(path) as c:
            assert q.people(c).empty and list(q.people(c).columns) == list(q.PEOPLE_COLUMNS)
            assert q.person_events(c, ["NS"], 2027, AS_OF).empty
            assert q.actual_sales(c, None, 2027, AS_OF).empty
    finally:
        holder.close()


def test_actual_weekly_reads_a_week_dated_by_another_day_in_the_week_holding_it(tmp_path):
    """An archive written by another tool dates weeks by their Sunday: each row counts in its Monday's week
    (the tracking step refused the whole plan's tracking: 'week is not a Monday')."""
    path = init_archive(tmp_path / "sundays.duckdb")
    with duckdb.connect(str(path)) as c:
        for table, rows in (("regions", REGIONS), ("terminals", TERMINALS), ("products", PRODUCTS)):
            c.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
        c.executemany("INSERT INTO sales VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (D(2027, 1, 3), "week", "NS", "S1", "supermarket", "own", "T1", None, 1, 10),  # week of 2026-12-28: out
            (D(2027, 1, 10), "week", "NS", "S1", "supermarket", "own", "T1", None, 2, 20),  # week of 2027-01-04
            (D(2027, 1, 6), "week", "NS", "S2", "supermarket", "own", "T1", None, 1, 20),  # a Wednesday, same week
            (D(2027, 3, 21), "week", "YH", "S2", "restaurant", "own", "T2", None, 1, 19),  # week of 3-15 = as_of: in
        ])
    c = connect(path)
    try:
        got = q.actual_weekly(c, None, 2027, AS_OF)
    finally:
        c.close()
    assert _plain(got) == [
        {"week": pd.Timestamp("2027-01-04"), "region_id": "NS", "terminal_id": "T1", "terminal_class": "A",
         "volume": 3.0, "revenue": 40.0},
        {"week": pd.Timestamp("2027-03-15"), "region_id": "YH", "terminal_id": "T2", "terminal_class": "B",
         "volume": 1.0, "revenue": 19.0},
    ]
