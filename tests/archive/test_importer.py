"""Tests of planlib.archive.importer: files in, rows imported, unchanged or rejected with a reason."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from planlib.archive import (
    connect,
    fingerprint,
    import_files,
    importer,
    load_table,
    load_tree,
    reading,
)
from planlib.errors import DataError
from planlib.schemas import TABLE_ORDER
from tests.archive.conftest import SALES_HEADER, imp, rejects, sales, write


def test_import_files_reads_utf8_with_bom(arc):
    report = imp(arc, "sales", SALES_HEADER + "2024-03,NS,0755,商超,10,65\n", encoding="utf-8-sig")
    assert report.imported == 1
    assert sales(arc)["channel"].tolist() == ["supermarket"]


def test_import_files_reads_gbk_without_mojibake(arc):
    text = "日期,区域编码,产品编码,渠道,销量,销售额,品牌\n2024-03,NS,0755,商超,10,65,青岛啤酒\n"
    report = imp(arc, "sales", text, encoding="gbk")
    assert report.imported == 1
    assert sales(arc)["brand"].tolist() == ["青岛啤酒"]


def test_import_files_undecodable_csv_is_a_data_error(arc, tmp_path):
    src = tmp_path / "bad.csv"
    src.write_bytes(SALES_HEADER.encode() + b"2024-03,NS,0755,\xff\xfe\xff,10,65\n")
    with pytest.raises(DataError, match=r"bad\.csv.*encoding.*UTF-8"):
        import_files(arc, "sales", [src])


def test_import_files_reads_xlsx_as_text(arc, tmp_path):
    src = tmp_path / "sales.xlsx"
    frame = pd.DataFrame(
        {"月份": ["2024年3月", "2024-04"], "区域编码": ["NS", "NS"], "产品编码": ["0755", "NA"],
         "渠道": ["商超", "商超"], "销量": [10, 1.5], "销售额": ["1,000", "20"]}
    )
    frame.to_excel(src, index=False)
    report = import_files(arc, "sales", [src])
    assert (report.imported, report.rejected) == (2, 0)
    got = sales(arc)
    assert got["sku"].tolist() == ["0755", "NA"]
    assert got["volume"].tolist() == [10.0, 1.5]
    assert got["revenue"].tolist() == [1000.0, 20.0]


def test_import_files_reads_parquet(arc, tmp_path):
    src = tmp_path / "sales.parquet"
    pd.DataFrame(
        {"date": [dt.date(2024, 3, 5)], "region_id": ["NS"], "sku": ["0755"], "channel": ["supermarket"],
         "volume": [10], "revenue": [65.5]}
    ).to_parquet(src)
    report = import_files(arc, "sales", [src])
    assert report.imported == 1
    got = sales(arc)
    assert got["date"].tolist() == [pd.Timestamp("2024-03-01")]
    assert got["revenue"].tolist() == [65.5]


def test_import_files_unsupported_extension_is_a_data_error(arc, tmp_path):
    src = write(tmp_path / "sales.json", "{}")
    with pytest.raises(DataError, match=r"sales\.json.*unsupported.*CSV, XLSX or Parquet"):
        import_files(arc, "sales", [src])


def test_import_files_empty_file_is_a_data_error(arc, tmp_path):
    with pytest.raises(DataError, match=r"empty\.csv.*empty"):
        import_files(arc, "sales", [write(tmp_path / "empty.csv", "")])
    with pytest.raises(DataError, match=r"header\.csv.*no data rows"):
        import_files(arc, "sales", [write(tmp_path / "header.csv", SALES_HEADER + ",,,,,\n")])


def test_import_files_missing_required_column_is_a_data_error(arc, tmp_path):
    src = write(tmp_path / "s.csv", "date,region_id,sku,channel,volume\n2024-03,NS,0755,supermarket,1\n")
    with pytest.raises(DataError, match=r"s\.csv.*missing required column.*revenue"):
        import_files(arc, "sales", [src])


def test_import_files_two_headers_for_one_column_is_a_data_error(arc, tmp_path):
    src = write(tmp_path / "s.csv", "日期,月份,region_id,sku,channel,volume,revenue\n2024-03,2024-03,NS,0755,x,1,1\n")
    with pytest.raises(DataError, match=r"'日期' and '月份' both mean column 'date'"):
        import_files(arc, "sales", [src])


def test_import_files_maps_mixed_headers_and_lists_ignored_ones(arc):
    text = " 月份 ,Region_ID,产品编码,Channel,销量（箱）,Sales,备注,Colour\n2024-03,NS,0755,supermarket,1,2,x,red\n"
    report = imp(arc, "sales", text)
    assert report.imported == 1
    assert report.files[0].ignored_columns == ("备注", "Colour")
    assert any("ignored columns: 备注, Colour" in line for line in report.lines())


def test_import_files_normalises_month_periods_to_first_day(arc):
    # six spellings of March 2024, one per product/channel so each row has its own key
    periods = ["2024-03", "2024/3", "2024年3月", "2024-03-01", "2024.03", "202403"]
    rows = "".join(f"{p},NS,0755,ch{i},1,1\n" for i, p in enumerate(periods))
    report = imp(arc, "sales", SALES_HEADER + rows)
    assert report.imported == 6
    assert set(sales(arc)["date"]) == {pd.Timestamp("2024-03-01")}
    assert dict(report.files[0].normalised)["date"] == 5  # 2024-03-01 was already canonical


def test_import_files_week_grain_goes_to_monday_and_day_stays(arc):
    text = "date,grain,region_id,sku,channel,volume,revenue\n" \
           "2024-03-07,week,NS,0755,supermarket,1,1\n2024-03-07,day,NS,0755,supermarket,1,1\n"
    imp(arc, "sales", text)
    got = sales(arc).set_index("grain")["date"]
    assert got["week"] == pd.Timestamp("2024-03-04")  # Thursday -> Monday
    assert got["day"] == pd.Timestamp("2024-03-07")


def test_import_files_defaults_sales_to_month_grain_and_own_brand(arc):
    imp(arc, "sales", SALES_HEADER + "2024-03-15,NS,0755,supermarket,1,1\n")
    got = sales(arc)
    assert got[["date", "grain", "brand"]].to_dict("records") == [
        {"date": pd.Timestamp("2024-03-01"), "grain": "month", "brand": "own"}
    ]


def test_import_files_parses_thousands_separators(arc):
    imp(arc, "sales", SALES_HEADER + '2024-03,NS,0755,supermarket,"1,234.5","12,345,678"\n')
    assert sales(arc)[["volume", "revenue"]].values.tolist() == [[1234.5, 12345678.0]]


def test_import_files_parses_full_width_digits_and_blanks(arc):
    imp(arc, "sales", SALES_HEADER + "２０２４－０３,\u3000NS ,0755,supermarket,\u3000１２３\u3000, 4.5 \n")
    got = sales(arc)
    assert got[["date", "region_id", "volume", "revenue"]].values.tolist() == [
        [pd.Timestamp("2024-03-01"), "NS", 123.0, 4.5]
    ]


def test_import_files_parses_wan_as_ten_thousand(arc):
    report = imp(arc, "sales", SALES_HEADER + "2024-03,NS,0755,supermarket,1.2万,1.23456万\n")
    assert sales(arc)[["volume", "revenue"]].values.tolist() == [[12000.0, 12345.6]]
    assert dict(report.files[0].normalised) == {"date": 1, "volume": 1, "revenue": 1}


def test_import_files_turns_empty_text_into_null(arc):
    imp(arc, "sales", "date,region_id,sku,channel,terminal_id,distributor_id,volume,revenue\n"
                      "2024-03,NS,0755,supermarket, ,,1,1\n")
    got = sales(arc)
    assert got["terminal_id"].isna().tolist() == [True]
    assert got["distributor_id"].isna().tolist() == [True]


def test_import_files_maps_chinese_category_names(arc):
    text = "月份,区域编码,费用类别,费用项目,费用金额\n2024-03,NS,人力成本,wages,100\n2024-03,NS,Media,tv,5\n"
    report = imp(arc, "expenses", text)
    assert report.imported == 2
    assert load_table(arc, "expenses")["category"].tolist() == ["labour", "media"]


def test_import_files_maps_own_brand_spellings(arc):
    rows = "".join(
        f"2024-03,NS,0755,ch{i},1,1,{b}\n" for i, b in enumerate(["本品", "自有", "OWN", "青岛啤酒"])
    )
    imp(arc, "sales", SALES_HEADER.strip() + ",brand\n" + rows)
    assert sales(arc).sort_values("channel")["brand"].tolist() == ["own", "own", "own", "青岛啤酒"]


def test_import_files_rejects_unknown_references(arc):
    text = "date,region_id,sku,channel,terminal_id,distributor_id,volume,revenue\n" \
           "2024-03,XX,0755,supermarket,,,1,1\n" \
           "2024-03,NS,9999,supermarket,,,1,1\n" \
           "2024-03,NS,0755,supermarket,T9,,1,1\n" \
           "2024-03,NS,0755,supermarket,T1,D9,1,1\n" \
           "2024-03,NS,0755,supermarket,T1,D1,1,1\n"
    report = imp(arc, "sales", text)
    assert (report.read, report.imported, report.rejected) == (5, 1, 4)
    got = rejects(report)
    assert got[["row", "field"]].values.tolist() == [
        ["2", "region_id"], ["3", "sku"], ["4", "terminal_id"], ["5", "distributor_id"]
    ]
    assert got["reason"].tolist()[0] == "unknown region_id XX: not in the archive's regions table"


def test_import_files_accepts_parents_from_the_same_file_and_rejects_orphans(arc):
    text = "region_id,name,level,parent_id\nBA,宝安,county,SZ\nXA,西乡,township,BA\nQQ,某地,county,ZZ\n" \
           "SG,蛇口,township,QQ\n"
    report = imp(arc, "regions", text)
    assert (report.imported, report.rejected) == (2, 2)
    got = rejects(report)
    assert got[["row", "field"]].values.tolist() == [["4", "parent_id"], ["5", "parent_id"]]
    assert "unknown parent_id ZZ" in got["reason"].iloc[0]
    assert load_tree(arc).parent("XA") == "BA"


def test_import_files_rejects_non_numeric_values(arc):
    report = imp(arc, "sales", SALES_HEADER + "2024-03,NS,0755,supermarket,abc,1\n2024-03,NS,NA,x,1,2\n")
    got = rejects(report)
    assert got[["row", "field", "reason"]].values.tolist() == [["2", "volume", "not a number (abc)"]]
    assert report.imported == 1


def test_import_files_rejects_negative_values(arc):
    report = imp(arc, "sales", SALES_HEADER + "2024-03,NS,0755,supermarket,-1,0\n2024-03,NS,NA,x,0,5\n")
    got = rejects(report)
    assert got[["row", "field", "reason"]].values.tolist() == [["2", "volume", "must not be negative (-1.0)"]]
    assert sales(arc)[["volume", "revenue"]].values.tolist() == [[0.0, 5.0]]  # revenue with zero volume is kept


def test_import_files_rejects_missing_required_values(arc):
    report = imp(arc, "sales", SALES_HEADER + "2024-03,NS,,supermarket,1,\n")
    got = rejects(report)
    assert got[["row", "field", "reason"]].values.tolist() == [
        ["2", "sku; revenue", "sku: missing value (required); revenue: missing value (required)"]
    ]
    assert report.exit_code == 2


def test_import_files_rejects_invalid_region_ids(arc):
    report = imp(arc, "regions", "region_id,name,level,parent_id\n../x,坏,county,SZ\nok-1,好,county,SZ\n")
    got = rejects(report)
    assert got["field"].tolist() == ["region_id"]
    assert got["reason"].iloc[0].startswith("not a valid region id")
    assert got["region_id"].tolist() == ["../x"]  # original value kept


@pytest.mark.parametrize(
    ("table", "text", "field"),
    [
        ("expenses", "date,region_id,category,item,amount\n2024-03,NS,travel,x,1\n", "category"),
        ("sales", "date,grain,region_id,sku,channel,volume,revenue\n2024-03,year,NS,0755,a,1,1\n", "grain"),
        ("regions", "region_id,name,level,parent_id\nV1,村,village,YH\n", "level"),
        ("terminals", "terminal_id,name,region_id,terminal_class,channel\nT3,x,NS,E,supermarket\n", "terminal_class"),
        ("distributors", "distributor_id,name,region_id,tier\nD2,x,SZ,3\n", "tier"),
        ("events", "date,region_id,kind\n2024-03-05,NS,weather\n", "kind"),
    ],
)
def test_import_files_rejects_values_outside_the_allowed_set(arc, table, text, field):
    report = imp(arc, table, text)
    got = rejects(report)
    assert got["field"].tolist() == [field]
    assert got["reason"].str.contains("must be").tolist() == [True]
    assert report.exit_code == 2


def test_import_files_rejects_a_month_where_a_day_is_needed(arc):
    report = imp(arc, "events", "date,region_id,kind\n2024-03,NS,holiday\n2024-03-08,NS,节假日\n")
    got = rejects(report)
    assert got[["row", "field", "reason"]].values.tolist() == [
        ["2", "date", "a month where a full date is needed (2024-03)"]
    ]
    assert load_table(arc, "events")[["date", "kind"]].values.tolist() == [[pd.Timestamp("2024-03-08"), "holiday"]]


def test_import_files_rejects_regions_that_break_the_tree(arc):
    text = "region_id,name,level,parent_id\nX1,x,province,YH\nX2,x,hq,\nX3,x,city,\n"
    report = imp(arc, "regions", text)
    got = rejects(report)
    assert got["reason"].tolist() == [
        "level province is not below its parent's level township",
        "a second hq root: the tree has one root, found also CN",
        "only the hq region may have no parent_id",
    ]
    assert load_tree(arc).root == "CN"


def test_import_files_rejects_a_key_repeated_with_different_values(arc):
    text = SALES_HEADER + "2024-03,NS,0755,supermarket,1,1\n2024-03,NS,0755,supermarket,2,2\n2024-03,NS,NA,x,1,1\n"
    report = imp(arc, "sales", text)
    got = rejects(report)
    assert got["row"].tolist() == ["2", "3"]
    assert got["reason"].tolist() == [
        "same key as row(s) 3 in this file, with different values",
        "same key as row(s) 2 in this file, with different values",
    ]
    assert report.imported == 1


def test_import_files_rejects_a_key_already_archived_with_other_values(arc):
    imp(arc, "sales", SALES_HEADER + "2024-03,NS,0755,supermarket,1,1\n", name="first.csv")
    report = imp(arc, "sales", SALES_HEADER + "2024-03-20,NS,0755,supermarket,1,9\n", name="second.csv")
    got = rejects(report)
    assert got["reason"].tolist() == ["key already in the archive with different values: archive has revenue=1.0"]
    assert sales(arc)["revenue"].tolist() == [1.0]


def test_import_files_counts_exact_repeats_in_a_file_once(arc):
    report = imp(arc, "sales", SALES_HEADER + "2024-03,NS,0755,supermarket,1,1\n2024/3,NS,0755,supermarket,1,1\n")
    assert (report.imported, report.unchanged, report.rejected) == (1, 1, 0)
    assert report.exit_code == 0
    assert len(sales(arc)) == 1


def test_import_files_reimport_changes_nothing_with_null_key_parts(arc):
    text = "date,region_id,sku,channel,terminal_id,volume,revenue\n" \
           "2024-03,NS,0755,supermarket,,1,1\n2024-03,NS,0755,supermarket,T1,2,2\n"
    imp(arc, "sales", text)
    before, stamp = sales(arc), fingerprint(arc)
    report = imp(arc, "sales", text)
    assert (report.read, report.imported, report.unchanged, report.rejected) == (2, 0, 2, 0)
    assert report.exit_code == 0
    pd.testing.assert_frame_equal(sales(arc), before)
    assert fingerprint(arc) == stamp


def test_import_files_report_counts_add_up_and_exit_codes(arc, tmp_path):
    good = write(tmp_path / "good.csv", SALES_HEADER + "2024-03,NS,0755,supermarket,1,1\n")
    mixed = write(tmp_path / "mixed.csv", SALES_HEADER + "2024-04,NS,0755,supermarket,1,1\n2024-04,NS,NA,x,-1,1\n")
    report = import_files(arc, "sales", [good, mixed])
    assert [(f.read, f.imported, f.unchanged, f.rejected) for f in report.files] == [(1, 1, 0, 0), (2, 1, 0, 1)]
    assert (report.read, report.imported, report.unchanged, report.rejected) == (3, 2, 0, 1)
    assert report.exit_code == 3
    assert report.rejects_paths == (report.files[1].rejects_path,)
    assert "  total: read 3 = imported 2 + unchanged 0 + rejected 1" in report.lines()
    assert "  mixed.csv: read 2 = imported 1 + unchanged 0 + rejected 1" in report.lines()
    again = import_files(arc, "sales", [good])
    assert (again.exit_code, again.unchanged, again.rejects_path) == (0, 1, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.table = "x"  # type: ignore[misc]


def test_import_files_writes_rejects_file_beside_the_archive(arc):
    text = "月份,区域编码,产品编码,渠道,销量,销售额\n2024-03,NS,0755,商超,10,65\n2024-03,NS,NA,商超,abc,1\n"
    report = imp(arc, "sales", text, name="销售 2024.csv")
    path = report.rejects_path
    assert path.parent == arc.parent / "rejects"
    assert path.name.startswith("sales-") and path.name.endswith("-销售_2024.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel shows the Chinese
    got = rejects(report)
    assert list(got.columns) == ["source_file", "row", "field", "reason", "月份", "区域编码", "产品编码", "渠道",
                                 "销量", "销售额"]
    assert got.values.tolist() == [
        ["销售 2024.csv", "3", "volume", "not a number (abc)", "2024-03", "NS", "NA", "商超", "abc", "1"]
    ]
    assert not list(path.parent.glob(".*.tmp"))


def test_import_files_explicit_rejects_dir(arc, tmp_path):
    src = write(tmp_path / "s.csv", SALES_HEADER + "2024-03,NS,0755,supermarket,x,1\n")
    report = import_files(arc, "sales", [src], rejects_dir=tmp_path / "out")
    assert report.rejects_path.parent == tmp_path / "out"


def test_import_files_interrupted_import_leaves_archive_as_before(arc, tmp_path, monkeypatch):
    imp(arc, "sales", SALES_HEADER + "2023-01,NS,0755,supermarket,1,1\n", name="old.csv")
    before = {t: load_table(arc, t) for t in TABLE_ORDER}
    first = write(tmp_path / "a.csv", SALES_HEADER + "2024-03,NS,0755,supermarket,1,1\n")
    rows = "".join(f"2024-{m:02d},NS,0755,supermarket,{m},1\n" for m in range(4, 13))
    second = write(tmp_path / "b.csv", SALES_HEADER + rows + "2024-05,XX,0755,supermarket,1,1\n")
    real_insert = importer._insert_rows
    calls = []

    def insert_then_interrupt(con, table, frame):
        calls.append(len(frame))
        if len(calls) == 2:  # the second file: write part of its rows, then Ctrl-C
            real_insert(con, table, frame.iloc[:3])
            raise KeyboardInterrupt
        real_insert(con, table, frame)

    monkeypatch.setattr(importer, "_insert_rows", insert_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        import_files(arc, "sales", [first, second])
    assert calls == [1, 9]
    for table, frame in before.items():
        pd.testing.assert_frame_equal(load_table(arc, table), frame)
    rejects_dir = arc.parent / "rejects"
    assert not rejects_dir.exists() or list(rejects_dir.iterdir()) == []


def test_import_files_whole_file_error_imports_nothing(arc, tmp_path):
    good = write(tmp_path / "good.csv", SALES_HEADER + "2024-03,NS,0755,supermarket,1,1\n")
    bad = write(tmp_path / "bad.csv", "date,region_id\n2024-03,NS\n")
    with pytest.raises(DataError, match="bad.csv"):
        import_files(arc, "sales", [good, bad])
    assert sales(arc).empty


def test_import_files_accepts_an_open_connection(arc, tmp_path):
    src = write(tmp_path / "s.csv", SALES_HEADER + "2024-03,NS,0755,supermarket,1,1\n")
    with connect(arc, read_only=False) as con:
        report = import_files(con, "sales", [src])
        assert report.archive == arc.resolve() or report.archive == arc
        assert report.rejects_path is None
        names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert not any(n.startswith("_planlib") for n in names)
    assert len(sales(arc)) == 1


def test_import_files_is_vectorised_on_many_rows(arc, tmp_path):
    # 60k rows in one import, every value normalised (speed lives in benchmarks/bench_import.py)
    n = 60_000
    days = pd.date_range("2020-01-01", periods=n // 2, freq="D").strftime("%Y-%m-%d")
    frame = pd.DataFrame(
        {"date": np.tile(days, 2)[:n], "grain": "day", "region_id": "NS", "sku": np.repeat(["0755", "NA"], n // 2),
         "channel": "supermarket", "volume": "1,000", "revenue": "2.5万"}
    )
    frame = frame[pd.to_datetime(frame["date"]) < pd.Timestamp(dt.date.today())]
    src = tmp_path / "big.csv"
    frame.to_csv(src, index=False)
    report = import_files(arc, "sales", [src])
    assert report.imported == len(frame) and report.rejected == 0


def test_import_files_rejects_xlsx_formulas_without_saved_values(arc, tmp_path):
    import openpyxl

    # openpyxl writes formulas without cached values, like a generated workbook never opened in Excel
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["date", "region_id", "sku", "channel", "volume", "revenue"])
    sheet.append(["2024-03", "NS", "0755", "supermarket", 2, "=E2*6.5"])
    sheet.append(["2024-03", "NS", "NA", "supermarket", 2, 13])
    src = tmp_path / "calc.xlsx"
    book.save(src)
    report = import_files(arc, "sales", [src])
    got = rejects(report)
    assert got[["row", "field"]].values.tolist() == [["2", "revenue"]]
    assert got["reason"].iloc[0].startswith("a formula without a saved value")
    assert sales(arc)["sku"].tolist() == ["NA"]


# ---------------------------------------------------------------------------------------
# #12: an import never changes data silently (#11: old history is welcome)
# ---------------------------------------------------------------------------------------
def test_import_files_refuses_a_utf8_file_with_one_gbk_line(arc, tmp_path):
    # line 1 header, line 2 UTF-8 Chinese, line 3 the same row typed in GBK (pasted from an old file)
    src = tmp_path / "mixed.csv"
    src.write_bytes(
        (SALES_HEADER + "2024-03,NS,0755,商超,10,65\n").encode("utf-8")
        + "2024-04,NS,0755,商超,10,65\n".encode("gbk")
    )
    with pytest.raises(DataError, match=r"mixed\.csv: line 3 is not UTF-8.*line 2 is") as err:
        import_files(arc, "sales", [src])
    assert "one encoding" in str(err.value)
    assert sales(arc).empty


def test_import_files_still_reads_whole_gb18030_files_with_many_lines(arc, tmp_path):
    names = ["南山超市", "粤海餐厅", "深圳经销商", "青岛啤酒", "矿泉水", "商超", "福田", "罗湖"]
    rows = "".join(f"2024-{m:02d},NS,0755,{names[m % 8]},{m},1\n" for m in range(1, 13))
    report = imp(arc, "sales", SALES_HEADER + rows, encoding="gb18030")
    assert report.imported == 12
    assert sorted(set(sales(arc)["channel"])) == sorted({names[m % 8] for m in range(1, 13)} - {"商超"} | {"supermarket"})


@pytest.mark.parametrize("number", ["1e400", "9" * 400, "-1e400", "1e20", "1,000,000,000,000万"])
def test_import_files_rejects_infinite_and_out_of_range_numbers(arc, number):
    report = imp(arc, "sales", SALES_HEADER + f"2024-03,NS,0755,supermarket,\"{number}\",1\n2024-03,NS,NA,a,1,1\n")
    got = rejects(report)
    assert got[["row", "field"]].values.tolist() == [["2", "volume"]]
    assert got["reason"].iloc[0].startswith("out of range")
    assert number[:20] in got["reason"].iloc[0]
    assert report.imported == 1 and np.isfinite(sales(arc)["volume"]).all()


def test_import_files_applies_money_and_count_units_from_headers(arc):
    text = "日期,区域编码,产品编码,渠道,销量（千箱）,销售额（万元）\n2024-03,NS,0755,商超,0.29,0.72\n"
    report = imp(arc, "sales", text)
    assert report.imported == 1
    got = sales(arc)
    assert got["volume"].tolist() == [290.0]  # exactly, not 289.99999999999994
    assert got["revenue"].tolist() == [7200.0]
    assert report.files[0].units == (("volume", "销量（千箱）", 1000.0), ("revenue", "销售额（万元）", 10000.0))
    assert any("销售额（万元）" in line and "10,000" in line for line in report.lines())


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("revenue (10k yuan)", 10_000.0), ("revenue(yuan)", 1.0), ("销售额(元)", 1.0), ("销售额【亿元】", 1e8),
        ("销售额/百万元", 1e6), ("销售额千元", 1000.0),
    ],
)
def test_import_files_reads_money_units_in_several_spellings(arc, header, expected):
    report = imp(arc, "sales", f"date,region_id,sku,channel,volume,{header}\n2024-03,NS,0755,a,1,3\n")
    assert report.imported == 1
    assert sales(arc)["revenue"].tolist() == [3 * expected]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("销量（瓶）", r"bottles.*volume.*cases"),
        ("销量（万元）", r"money unit.*volume"),
        ("销售额（箱）", r"count unit.*revenue"),
        ("销售额（美元）", r"unknown unit '美元'.*万元"),
    ],
)
def test_import_files_refuses_units_it_cannot_apply(arc, tmp_path, header, message):
    src = write(tmp_path / "u.csv", "date,region_id,sku,channel,volume,revenue\n2024-03,NS,0755,a,1,3\n".replace(
        "volume" if header.startswith("销量") else "revenue", header, 1))
    with pytest.raises(DataError, match=r"u\.csv: header '" + header[:2] + ".*" + message):
        import_files(arc, "sales", [src])
    assert sales(arc).empty


def test_import_files_lists_hidden_xlsx_rows_it_read(arc, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["date", "region_id", "sku", "channel", "volume", "revenue"])
    for m in range(3, 7):
        sheet.append([f"2024-{m:02d}", "NS", "0755", "supermarket", m, m])
    sheet.row_dimensions[3].hidden = True  # the 2024-04 row, hidden by a filter
    sheet.row_dimensions[5].hidden = True
    src = tmp_path / "hidden.xlsx"
    book.save(src)
    report = import_files(arc, "sales", [src])
    assert report.imported == 4
    assert report.files[0].hidden_rows == (3, 5)
    assert any("hidden" in line and "3, 5" in line for line in report.lines())


def test_import_files_rejects_impossible_times_of_day(arc):
    report = imp(arc, "sales", "date,grain,region_id,sku,channel,volume,revenue\n"
                               "2024-03-05 99:99,day,NS,0755,a,1,1\n2024-03-05 14:30,day,NS,0755,b,1,1\n"
                               "2024-03-05 23:59:60,day,NS,0755,c,1,1\n")
    got = rejects(report)
    assert got[["row", "field"]].values.tolist() == [["2", "date"], ["4", "date"]]
    assert got["reason"].str.startswith("impossible time of day").all()
    assert report.imported == 1


@pytest.mark.parametrize("bad", ["CON", "con", "Nul.txt", "com1", "LPT9.x.y", "aux", "PRN", "A."])
def test_import_files_rejects_reserved_device_names_as_region_ids(arc, bad):
    report = imp(arc, "regions", f"region_id,name,level,parent_id\n{bad},坏,county,SZ\nOK1,好,county,SZ\n")
    got = rejects(report)
    assert got[["row", "field"]].values.tolist() == [["2", "region_id"]]
    assert got["reason"].iloc[0].startswith("not a valid region id")
    assert report.imported == 1


def test_import_files_rejects_region_ids_equal_ignoring_case(arc):
    # NS is in the archive; ns would be the same folder on Windows and macOS
    report = imp(arc, "regions", "region_id,name,level,parent_id\nns,南山2,county,SZ\nK1,甲,county,SZ\n"
                                 "k1,乙,county,SZ\nK2,丙,county,SZ\n")
    got = rejects(report).set_index("row")
    assert list(got.index) == ["2", "3", "4"]
    assert set(got["field"]) == {"region_id"}
    assert "NS" in got.loc["2", "reason"] and "ignoring case" in got.loc["2", "reason"]
    assert "row(s) 4" in got.loc["3", "reason"] and "row(s) 3" in got.loc["4", "reason"]
    assert report.imported == 1
    assert "ns" not in set(load_table(arc, "regions")["region_id"])


def test_import_files_accepts_old_history_and_rejects_only_the_far_future(arc):
    late = (dt.date.today() + dt.timedelta(days=3 * 366)).strftime("%Y-%m")
    report = imp(arc, "sales", SALES_HEADER + f"1985-12,NS,0755,a,1,1\n{late},NS,0755,b,1,1\n2024-02-30,NS,0755,c,1,1\n"
                                             "1999-01,NS,0755,d,1,1\n1899-12,NS,0755,e,1,1\n")
    got = rejects(report)
    assert got["row"].tolist() == ["3", "4", "6"]
    assert got["reason"].iloc[0].startswith("after the latest accepted date")
    assert got["reason"].iloc[1] == "not a date or month (2024-02-30)"
    assert got["reason"].iloc[2].startswith("before 1900-01-01")
    assert sorted(sales(arc)["date"].dt.year) == [1985, 1999]


def test_import_files_refuses_while_a_run_reads_the_archive(arc, tmp_path):
    import os

    src = write(tmp_path / "s.csv", SALES_HEADER + "2024-03,NS,0755,supermarket,1,1\n")
    with reading(arc):
        with pytest.raises(DataError, match=rf"a run is reading.*pid {os.getpid()}.*retry after") as err:
            import_files(arc, "sales", [src])
        assert "archive init" not in str(err.value)
        with reading(arc):  # runs read side by side
            pass
    assert import_files(arc, "sales", [src]).imported == 1


CONTROL_FIX = "remove it; a text may hold tabs and line breaks, no other control character"


def test_import_files_rejects_text_with_control_characters(arc):
    # two names holding C0 controls (U+000B vertical tab, U+0001), one with a tab and one with a line break: kept
    text = ("region_id,name,level,parent_id\n"
            "SD,山东\x0b省,county,SZ\nHN,河南\x01省,county,SZ\nBA,宝\t安,county,SZ\nXA,\"西\n乡\",county,SZ\n")
    report = imp(arc, "regions", text)
    assert (report.read, report.imported, report.rejected) == (4, 2, 2)
    got = rejects(report)
    assert got[["row", "field"]].values.tolist() == [["2", "name"], ["3", "name"]]
    assert got["reason"].tolist() == [
        f"name holds the control character U+000B (山东<U+000B>省): {CONTROL_FIX}",
        f"name holds the control character U+0001 (河南<U+0001>省): {CONTROL_FIX}",
    ]
    names = load_table(arc, "regions").set_index("region_id")["name"]
    assert names[["BA", "XA"]].tolist() == ["宝\t安", "西\n乡"]


def test_import_files_rejects_a_control_character_in_any_text_field(arc):
    # the channel (an open code) and the brand of a sale; the row's other fields are fine
    report = imp(arc, "sales", "date,region_id,sku,channel,volume,revenue,brand\n"
                               "2024-03,NS,0755,super\x1fmarket,1,1,own\n2024-03,NS,NA,supermarket,1,1,青\x07岛\n")
    got = rejects(report)
    assert got[["row", "field"]].values.tolist() == [["2", "channel"], ["3", "brand"]]
    assert got["reason"].tolist() == [
        f"channel holds the control character U+001F (super<U+001F>market): {CONTROL_FIX}",
        f"brand holds the control character U+0007 (青<U+0007>岛): {CONTROL_FIX}",
    ]
    assert report.imported == 0


# ---------------------------------------------------------------------------------------
# a workbook's sheets: the data sheet is found, and named in every message
# ---------------------------------------------------------------------------------------
def _workbook(path, sheets: dict):
    """A workbook with the given sheets in order (name -> rows), as someone saved it in Excel."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


HEAD = ["日期", "区域编码", "产品编码", "渠道", "销量", "销售额"]


def test_import_files_reads_the_data_sheet_after_a_cover_sheet(arc, tmp_path):
    # /tmp/rob/var/imp/x3.xlsx: a cover sheet 封面 first, the data on 数据 with a formula and a hidden row there
    import openpyxl

    src = _workbook(tmp_path / "x3.xlsx", {"封面": [["康源酒业"], [], ["2026 年销售"]],
                                           "数据": [HEAD, ["2024-03", "NS", "0755", "supermarket", 2, "=E2*6.5"],
                                                    ["2024-03", "NS", "NA", "supermarket", 2, 13],
                                                    ["2024-04", "NS", "NA", "supermarket", 1, "x"]]})
    book = openpyxl.load_workbook(src)
    book["数据"].row_dimensions[3].hidden = True
    book.save(src)
    report = import_files(arc, "sales", [src])
    assert (report.read, report.imported, report.rejected) == (3, 1, 2)
    assert report.files[0].sheet == "数据" and report.files[0].hidden_rows == (3,)
    assert report.lines()[1] == "  x3.xlsx (sheet '数据'): read 3 = imported 1 + unchanged 0 + rejected 2"
    got = rejects(report)
    assert got[["source_file", "row", "field"]].values.tolist() == [["x3.xlsx (sheet '数据')", "2", "revenue"],
                                                                    ["x3.xlsx (sheet '数据')", "4", "revenue"]]
    assert got["reason"].iloc[0].startswith("a formula without a saved value")
    assert sales(arc)["sku"].tolist() == ["NA"]


def test_import_files_asks_which_sheet_when_several_have_the_tables_headers(arc, tmp_path):
    src = _workbook(tmp_path / "two.xlsx", {"说明": [["说明"]], "2024": [HEAD, ["2024-03", "NS", "0755", "商超", 1, 1]],
                                            "2025": [HEAD, ["2025-03", "NS", "0755", "商超", 2, 2]]})
    with pytest.raises(DataError) as err:
        import_files(arc, "sales", [src])
    assert str(err.value) == (
        f"{src}: sheets '2024', '2025' each have a header row for sales; say which one to read "
        "(planlib archive import … --sheet NAME), or keep one data sheet per file"
    )
    report = import_files(arc, "sales", [src], sheet="2025")
    assert report.imported == 1 and sales(arc)["volume"].tolist() == [2.0]
    with pytest.raises(DataError) as err:
        import_files(arc, "sales", [src], sheet="2026")
    assert str(err.value) == f"{src}: no sheet named '2026'; its sheets are '说明', '2024', '2025'"


def test_import_files_names_every_sheet_when_none_has_the_tables_headers(arc, tmp_path):
    src = _workbook(tmp_path / "none.xlsx", {"封面": [["康源酒业"]], "空白": [], "明细": [["月份", "区域", "数量"]]})
    with pytest.raises(DataError) as err:
        import_files(arc, "sales", [src])
    assert str(err.value) == (
        f"{src}: no sheet has a header row for sales in its first row (required columns: date, region_id, sku, "
        "channel, volume, revenue); sheets: '封面' (first row: 康源酒业), '空白' (empty), '明细' (first row: 月份, 区域, "
        "数量); put the headers in the first row of the data sheet"
    )


def test_import_files_names_the_sheet_in_a_whole_file_error(arc, tmp_path):
    # one sheet: read as before, and its messages say which sheet they are about
    src = _workbook(tmp_path / "one.xlsx", {"明细": [HEAD]})
    with pytest.raises(DataError) as err:
        import_files(arc, "sales", [src])
    assert str(err.value) == f"{src} (sheet '明细'): no data rows under the header; expected one row per fact"
    src = _workbook(tmp_path / "unit.xlsx", {"明细": [["日期", "区域编码", "产品编码", "渠道", "销量（瓶）", "销售额"],
                                                      ["2024-03", "NS", "0755", "商超", 1, 1]]})
    with pytest.raises(DataError, match=r"unit\.xlsx \(sheet '明细'\): header '销量（瓶）': bottles"):
        import_files(arc, "sales", [src])


# ---------------------------------------------------------------------------------------
# a CSV line with more fields than the header is rejected alone, by its line number
# ---------------------------------------------------------------------------------------
def test_import_files_rejects_a_line_with_extra_fields_alone(arc):
    # line 3: an unquoted comma in the brand shifts the row (8 fields under 7 headers); the other rows import
    text = ("date,region_id,sku,channel,volume,revenue,brand\n"
            "2024-03,NS,0755,supermarket,1,10,own\n"
            "2024-03,NS,0755,supermarket,2,20,青岛,啤酒\n"
            "2024-03,NS,NA,supermarket,3,30,own\n")
    report = imp(arc, "sales", text)
    assert (report.read, report.imported, report.rejected) == (3, 2, 1)
    got = rejects(report)
    assert got[["row", "field", "reason"]].values.tolist() == [
        ["3", "(whole row)", "8 fields where the header has 7; a comma inside a name needs quotes"]]
    assert got.loc[0, ["brand", "column_8"]].tolist() == ["青岛", "啤酒"]  # the row as written, its surplus field too
    assert sales(arc)["volume"].tolist() == [1.0, 3.0]


def test_import_files_counts_lines_of_quoted_line_breaks_for_the_line_number(arc):
    # a name quoted over three lines (lines 2-4); the bad rows start on lines 5 and 7
    text = ("region_id,name,level,parent_id\n"
            'BA,"宝\n安\n区",county,SZ\n'
            "QQ,某,地,county,SZ\n"
            'XA,"西\n乡",county,SZ\n'
            "LH,龙华,county,SZ,,\n"
            "ZZ,坏,county,NOPE\n")
    report = imp(arc, "regions", text)
    assert (report.read, report.imported, report.rejected) == (5, 2, 3)
    got = rejects(report)
    assert got[["row", "field", "reason"]].values.tolist() == [
        ["5", "(whole row)", "5 fields where the header has 4; a comma inside a name needs quotes"],
        ["8", "(whole row)", "6 fields where the header has 4 (the last 2 empty: a comma too many at the end?)"],
        ["9", "parent_id", "unknown parent_id NOPE: not in the archive's regions table nor in this file"],
    ]
    names = load_table(arc, "regions").set_index("region_id")["name"]
    assert names[["BA", "XA"]].tolist() == ["宝\n安\n区", "西\n乡"]


def test_import_files_names_the_line_of_a_quote_never_closed(arc, tmp_path):
    src = write(tmp_path / "open.csv", SALES_HEADER + "2024-03,NS,0755,supermarket,1,1\n"
                                                      '2024-03,NS,"0755,supermarket,1,1\n2024-04,NS,NA,supermarket,1,1\n')
    with pytest.raises(DataError) as err:
        import_files(arc, "sales", [src])
    assert str(err.value) == (f"{src}: line 3: a quote (\") opens a field that no quote closes before the end of the "
                              "file; nothing was imported. Close the quote (or remove it) and import again")


def test_import_files_numbers_rows_by_their_first_line_after_a_quoted_line_break(arc):
    # a well-formed file: the address on lines 2-3 is quoted; the orphan starts on line 4 (its third record)
    report = imp(arc, "regions", 'region_id,name,level,parent_id\nBA,"宝\r\n安",county,SZ\nZZ,坏,county,NOPE\n')
    assert (report.imported, report.rejected) == (1, 1)
    assert rejects(report)[["row", "field"]].values.tolist() == [["4", "parent_id"]]
    assert load_table(arc, "regions").set_index("region_id").loc["BA", "name"] == "宝\r\n安"


# ---------------------------------------------------------------------------------------
# repeated keys: an identical repeat says so, a clash with another file of the import names it
# ---------------------------------------------------------------------------------------
def test_import_files_says_a_rejected_row_is_an_identical_repeat(arc):
    # rows 2 and 3 identical (2024/3 is 2024-03), row 4 the same key with other values, row 5 repeats row 4, row 6 fine
    text = SALES_HEADER + ("2024-03,NS,0755,supermarket,1,1\n2024/3,NS,0755,supermarket,1,1\n"
                           "2024-03,NS,0755,supermarket,2,2\n2024-03,NS,0755,supermarket,2,2\n"
                           "2024-03,NS,NA,supermarket,1,1\n")
    report = imp(arc, "sales", text)
    assert (report.imported, report.unchanged, report.rejected) == (1, 0, 4)
    got = rejects(report)
    assert got[["row", "reason"]].values.tolist() == [
        ["2", "same key as row(s) 4, 5 in this file, with different values"],
        ["3", "an identical repeat of row 2; same key as row(s) 4, 5 in this file, with different values"],
        ["4", "same key as row(s) 2, 3 in this file, with different values"],
        ["5", "an identical repeat of row 4; same key as row(s) 2, 3 in this file, with different values"],
    ]


def test_import_files_names_the_other_file_of_the_import_a_key_clashes_with(arc, tmp_path):
    # f1.csv row 3 and f2.csv row 2: one key, other values; f2.csv row 3 repeats f1.csv row 2 (unchanged)
    f1 = write(tmp_path / "f1.csv", SALES_HEADER + "2024-02,NS,0755,supermarket,1,1\n2024-03,NS,0755,supermarket,1,1\n")
    f2 = write(tmp_path / "f2.csv", SALES_HEADER + "2024-03,NS,0755,supermarket,2,2\n2024-02,NS,0755,supermarket,1,1\n")
    imp(arc, "sales", SALES_HEADER + "2024-01,NS,0755,supermarket,5,5\n", name="old.csv")
    f3 = write(tmp_path / "f3.csv", SALES_HEADER + "2024-01,NS,0755,supermarket,6,6\n")
    report = import_files(arc, "sales", [f1, f2, f3])
    assert [(f.imported, f.unchanged, f.rejected) for f in report.files] == [(2, 0, 0), (0, 1, 1), (0, 0, 1)]
    got = pd.concat([rejects(report), pd.read_csv(report.rejects_paths[1], dtype=str, encoding="utf-8-sig")])
    assert got[["source_file", "row", "reason"]].values.tolist() == [
        ["f2.csv", "2", "same key as f1.csv row 3 of this import, with different values: it has volume=1.0, revenue=1.0"],
        ["f3.csv", "2", "key already in the archive with different values: archive has volume=5.0, revenue=5.0"],
    ]
