"""The workbook writer's and the results tables' fast paths give what the plain ways give, to the bit."""

from __future__ import annotations

import types
import zipfile
import zlib

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from planlib.run import excel, steps


def test_float_digits_are_pythons_repr_on_both_sides_of_arrows_plain_range():
    edges = np.array([1e-4, np.nextafter(1e-4, 0), np.nextafter(1e-4, 1), 1e10, np.nextafter(1e10, 0), 1e-5, 0.1, 0.3,
                      2 / 3, 347.91, 9999999999.5, 12345678901.25, 1e-7, 5e-324, 1.7976931348623157e308, 0.000123,
                      1e15 + 0.5, 2.5e15, 1e16, 1e22])
    rng = np.random.default_rng(0)
    values = np.concatenate([edges, -edges, 10.0 ** rng.uniform(-6, 17, 5000), np.round(10.0 ** rng.uniform(-4, 10, 5000), 2)])
    values = values[values != np.round(values)]
    assert excel._float_digits(values).to_pylist() == [repr(float(v)) for v in values]


def test_whole_number_columns_write_the_digits_a_float_column_writes():
    ints = np.array([0, 1, -1, 10**15 - 1, -(10**15) + 1, 123456789], dtype=np.int64)
    pieces = excel._number_cells(ints, 3)
    assert len(pieces) == 3 and pieces[0] == '<c s="3"><v>' and pieces[2] == "</v></c>"
    assert pieces[1].to_pylist() == ["0", "1", "-1", "999999999999999", "-999999999999999", "123456789"]
    big = np.array([10**15, 2**60, -(2**62)], dtype=np.int64)  # from 1e15 as the float's repr, as before
    got = excel._number_cells(big, 0)
    assert got[1].to_pylist() == [repr(float(v)) for v in big.tolist()]


def test_workbook_parts_are_deflated_at_level_one(tmp_path):
    frame = pd.DataFrame({"区域": [f"P{k:03d}" for k in range(3000)], "销量": np.arange(3000) * 7})
    path = excel.write_workbook(tmp_path / "t.xlsx", [excel.Sheet("表", frame, {"销量": "#,##0"})])
    with zipfile.ZipFile(path) as z, open(path, "rb") as f:
        info = z.getinfo("xl/worksheets/sheet1.xml")
        xml = z.read(info)
        f.seek(info.header_offset + 26)
        skip = int.from_bytes(f.read(2), "little") + int.from_bytes(f.read(2), "little")
        f.seek(skip, 1)
        stored = f.read(info.compress_size)
    level1 = zlib.compressobj(1, zlib.DEFLATED, -15)
    assert stored == level1.compress(xml) + level1.flush()
    level6 = zlib.compressobj(6, zlib.DEFLATED, -15)
    assert stored != level6.compress(xml) + level6.flush()


def _pivot(r, c, m, a):
    frame = pd.DataFrame({"r": r, "c": c, "m": m, "a": a})
    return frame.pivot_table(index=["r", "c"], columns="m", values="a", aggfunc="sum", fill_value=0.0, sort=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pivot_sums_are_pivot_tables_to_the_bit(seed):
    rng = np.random.default_rng(seed)
    n = 4000
    r, c, m = rng.integers(0, 40, n), rng.integers(0, 5, n), rng.integers(0, 12 if seed else 7, n)
    a = rng.normal(0, 1e4, n) * 10.0 ** rng.integers(-3, 6, n)
    a[rng.random(n) < 0.05] = np.nan
    a[rng.random(n) < 0.03] = -0.0
    if seed == 2:  # a cell of inf and -inf sums to NaN: pivot_table drops it and shows 0.0
        a[(r == 3) & (c == 1)] = np.inf
        a[np.flatnonzero((r == 3) & (c == 1))[::2]] = -np.inf
        a[r == 5] = np.where(rng.random((r == 5).sum()) < 0.5, np.inf, -np.inf)
    want = _pivot(r, c, m, a)
    (rr, cc), wide, present = excel._pivot_sums([r, c], m, 12, a)
    assert list(zip(rr.tolist(), cc.tolist())) == list(want.index)
    assert present.tolist() == list(want.columns)
    got = np.ascontiguousarray(wide[:, present])  # as budget_sheets takes the items present
    assert np.array_equal(got.view(np.int64), want.to_numpy().view(np.int64))  # -0.0 and the last bit too
    with np.errstate(invalid="ignore"):  # inf and -inf in a row
        assert np.array_equal(got.sum(axis=1).view(np.int64), want.to_numpy().sum(axis=1).view(np.int64))


@pytest.mark.parametrize("months", [12, 7, 3])
def test_budget_year_is_the_months_added_as_the_pivot_added_them(months):
    rng = np.random.default_rng(months)
    n = 3000
    r, c, m = rng.integers(0, 30, n), rng.integers(0, 4, n), rng.integers(1, months + 1, n)
    a = rng.normal(0, 1e4, n) * 10.0 ** rng.integers(-3, 6, n)
    table = pd.DataFrame({"region_id": [f"R{k:02d}" for k in r], "month": pd.to_datetime([f"2027-{k:02d}-01" for k in m]),
                          "category": np.array(["labour", "office", "media", "channel"])[c], "item": "x",
                          "terminal_id": None, "amount": a, "method": "m"})
    regions = pd.DataFrame({"region_id": ["R00"], "level": ["county"], "flag": ["both_met"],
                            **{k: [1.0] for k in excel._REGION_COLUMNS if k not in ("region_id", "region_name", "level", "flag")}})
    sheet = excel.budget_sheets(types.SimpleNamespace(table=table, regions=regions), names={})[0].frame
    want = _pivot(table["region_id"], table["category"], m, a).reindex(columns=range(1, 13), fill_value=0.0)
    assert np.array_equal(sheet.iloc[:, 3:15].to_numpy().view(np.int64), want.to_numpy().view(np.int64))
    assert np.array_equal(sheet.iloc[:, 15].to_numpy().view(np.int64), want.to_numpy().sum(axis=1).view(np.int64))


def test_results_tables_keep_statistics_for_numbers_and_dates_only(tmp_path):
    frame = pd.DataFrame({
        "region_id": pd.Categorical(["B", "A", "B"]), "item": pd.Series(["x", "y", None], dtype="str"),
        "terminal_id": pd.Series(["T1", None, "T2"], dtype=object), "month": pd.to_datetime(["2027-01-01"] * 3),
        "amount": [1.5, np.nan, -0.0], "volume": np.array([3, 4, 5], dtype=np.int64), "chosen": [True, False, True],
    })
    path = steps.write_results(frame, tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(path), pd.read_parquet(_plain(frame, tmp_path)), check_exact=True)
    group = pq.ParquetFile(path).metadata.row_group(0)
    with_stats = {group.column(j).path_in_schema for j in range(group.num_columns) if group.column(j).is_stats_set}
    assert with_stats == {"month", "amount", "volume", "chosen"}


def _plain(frame, tmp_path):
    path = tmp_path / "plain.parquet"
    frame.to_parquet(path, index=False)
    return path
