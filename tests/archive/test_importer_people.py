"""Tests of importing the people who carry the plan and their counted facts (#13)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from planlib.archive import connect, import_files, init_archive, load_table, missing_tables
from planlib.errors import DataError
from tests.archive.conftest import imp, rejects, write

# the tiny company (tests/archive/conftest.py): CN > GD > SZ (city) > NS (county) > YH (township);
# terminal T1 in NS, T2 in YH. 王芳 serves both terminals of NS, 李强 carries the city SZ.
PEOPLE_ZH = """人员编号,姓名,岗位,区域编号,终端编号
E001,王芳,业务员,NS,T1
E001,王芳,业务员,NS,T2
M01,李强,城市经理,SZ,
"""


def test_import_people_with_chinese_headers_maps_roles_and_keeps_a_null_terminal(arc):
    report = imp(arc, "people", PEOPLE_ZH)
    assert (report.read, report.imported, report.rejected) == (3, 3, 0)
    got = load_table(arc, "people")
    assert got["terminal_id"].isna().tolist() == [False, False, True]
    assert got.astype(object).where(got.notna(), None).to_dict("records") == [
        {"person_id": "E001", "name": "王芳", "role": "salesperson", "region_id": "NS", "terminal_id": "T1"},
        {"person_id": "E001", "name": "王芳", "role": "salesperson", "region_id": "NS", "terminal_id": "T2"},
        {"person_id": "M01", "name": "李强", "role": "manager", "region_id": "SZ", "terminal_id": None},
    ]


def test_import_people_reimport_changes_nothing(arc):
    imp(arc, "people", PEOPLE_ZH)
    again = imp(arc, "people", PEOPLE_ZH, name="again.csv")
    assert (again.imported, again.unchanged, again.rejected, again.exit_code) == (0, 3, 0, 0)
    assert len(load_table(arc, "people")) == 3


def test_import_people_keeps_leading_zeros_of_work_numbers(arc):
    imp(arc, "people", "工号,姓名,职位,区域编码\n007,赵敏,经理,GD\n")
    assert load_table(arc, "people")["person_id"].tolist() == ["007"]


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        ("E9,张三,业务员,XX,T1", "region_id", "unknown region_id XX: not in the archive's regions table"),
        ("E9,张三,业务员,NS,T9", "terminal_id", "unknown terminal_id T9: not in the archive's terminals table"),
        ("E9,张三,业务员,YH,T1", "terminal_id", "terminal T1 lies in region NS, outside person E9's region YH"),
        ("E9,,业务员,NS,T1", "name", "missing value (required)"),
        ("E9,张三,业务员,N S,T1", "region_id", "not a valid region id"),
    ],
)
def test_import_people_rejects_a_bad_row_with_its_reason(arc, row, field, reason):
    report = imp(arc, "people", PEOPLE_ZH + row + "\n")
    assert (report.imported, report.rejected, report.exit_code) == (3, 1, 3)
    bad = rejects(report)
    assert bad[["source_file", "row", "field"]].to_numpy().tolist() == [["input.csv", "5", field]]
    assert bad["reason"].iat[0].startswith(reason)
    assert bad["人员编号"].iat[0] == "E9"  # the original values under their original headers


def test_import_people_a_terminal_below_the_persons_county_is_inside_it(arc):
    # T2 is in the township YH under NS: a county salesperson may serve it
    report = imp(arc, "people", "person_id,name,role,region_id,terminal_id\nE5,周杰,salesperson,NS,T2\n")
    assert report.exit_code == 0


def test_import_people_rejects_a_person_archived_with_another_region(arc):
    imp(arc, "people", PEOPLE_ZH)
    report = imp(arc, "people", "人员编号,姓名,岗位,区域编号,终端编号\nE001,王芳,业务员,GD,\n", name="b.csv")
    assert (report.imported, report.rejected) == (0, 1)
    assert rejects(report)["reason"].iat[0] == (
        "person E001 is in the archive as 王芳, salesperson, region NS: a person's rows share name, role and region_id")


def test_import_people_rejects_a_whole_region_row_beside_terminal_rows(arc):
    imp(arc, "people", PEOPLE_ZH)
    report = imp(arc, "people", "人员编号,姓名,岗位,区域编号,终端编号\nM01,李强,城市经理,SZ,T1\n", name="b.csv")
    assert report.rejected == 1
    assert rejects(report)["reason"].iat[0] == (
        "person M01 carries region SZ as a whole in the archive (a row without terminal_id), "
        "so serves no single terminal")


def test_import_people_rejects_every_row_of_a_person_whose_rows_disagree(arc):
    text = "person_id,name,role,region_id,terminal_id\nE1,甲,salesperson,NS,T1\nE1,乙,salesperson,NS,T2\n" \
           "E2,丙,salesperson,NS,T1\n"
    report = imp(arc, "people", text)
    assert (report.imported, report.rejected) == (1, 2)
    bad = rejects(report)
    assert bad["row"].tolist() == ["2", "3"]
    assert set(bad["reason"]) == {"rows 2, 3 of this file give person E1 different name, role or region_id: "
                                  "a person's rows share them"}


def test_import_person_events_with_chinese_headers_and_kind_names(arc):
    imp(arc, "people", PEOPLE_ZH)
    text = ("月份,工号,指标,数量\n2027-03,E001,回款,52000\n2027年3月,E001,应收,60000\n"
            "2027-03-15,E001,漏报,2\n2027-03,E001,lost_customer,1\n2027-03,M01,late_days,4\n")
    report = imp(arc, "person_events", text, name="events.csv")
    assert (report.imported, report.rejected) == (5, 0)
    got = load_table(arc, "person_events")
    assert got["date"].unique().tolist() == [pd.Timestamp("2027-03-01")]  # monthly: first day of the month
    assert dict(zip(got["person_id"] + ":" + got["kind"], got["value"])) == {
        "E001:collection": 52000.0, "E001:collection_due": 60000.0, "E001:missing_report": 2.0,
        "E001:lost_customer": 1.0, "M01:late_days": 4.0}
    assert imp(arc, "person_events", text, name="events.csv").unchanged == 5  # re-import: nothing new


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        ("2027-03,E404,collection,1", "person_id", "unknown person_id E404: not in the archive's people table"),
        ("2027-03,E001,Missing Report,1", "kind", "must be a code matching [a-z][a-z0-9_]*"),
        ("2027-03,E001,late_days,-3", "value", "must not be negative"),
        ("2027-03,E001,collection,many", "value", "not a number (many)"),
    ],
)
def test_import_person_events_rejects_a_bad_row_with_its_reason(arc, row, field, reason):
    imp(arc, "people", PEOPLE_ZH)
    report = imp(arc, "person_events", "date,person_id,kind,value\n2027-03,E001,new_customer,2\n" + row + "\n",
                 name="events.csv")
    assert (report.imported, report.rejected) == (1, 1)
    bad = rejects(report)
    assert bad[["row", "field"]].to_numpy().tolist() == [["3", field]]
    assert bad["reason"].iat[0].startswith(reason)


def test_import_person_events_names_the_missing_value_column(arc, tmp_path):
    src = write(tmp_path / "ev.csv", "date,person_id,kind\n2027-03,E001,collection\n")
    with pytest.raises(DataError, match=r"ev\.csv: missing required column\(s\) for person_events: value \(e\.g\."):
        import_files(arc, "person_events", [src])


def test_an_archive_from_before_people_opens_with_them_empty(tmp_path):
    path = init_archive(tmp_path / "old.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE person_events")
        con.execute("DROP TABLE people")
    with connect(path) as con:
        assert missing_tables(con) == ()
        assert load_table(con, "people").empty and load_table(con, "person_events").empty


def test_an_old_archive_open_elsewhere_reads_the_new_tables_as_empty_and_is_not_changed(tmp_path):
    path = init_archive(tmp_path / "old.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE person_events")
        con.execute("DROP TABLE people")
    holder = duckdb.connect(str(path), read_only=True)  # another reader holds the file: no tables can be added
    try:
        with connect(path) as con:
            assert missing_tables(con) == ("people", "person_events")  # the file itself is left as it was
            assert load_table(con, "people").empty
            events = load_table(con, "person_events")
            assert events.empty and list(events.columns) == ["date", "person_id", "kind", "value"]
            assert events.dtypes.astype(str).tolist() == ["datetime64[us]", "str", "str", "float64"]
        with pytest.raises(DataError, match=r"old\.duckdb"):  # to write, it must be added first
            connect(path, read_only=False)
    finally:
        holder.close()


def test_import_people_rejects_a_person_who_carries_the_region_and_serves_terminals_in_one_file(arc):
    text = "person_id,name,role,region_id,terminal_id\nE1,甲,salesperson,NS,\nE1,甲,salesperson,NS,T1\n"
    report = imp(arc, "people", text)
    assert (report.imported, report.rejected) == (0, 2)
    bad = rejects(report)
    assert bad["field"].tolist() == ["terminal_id", "terminal_id"]
    assert bad["reason"].iat[0] == ("rows 2, 3 of this file give person E1 a row without terminal_id (carries the "
                                    "region as a whole) and rows with terminals: give one or the other")


def test_import_people_is_vectorised_on_many_rows(arc, tmp_path):
    # 40k people rows, 20k persons each serving T1 and T2 (a per-row Python pass took a minute for 100k)
    n = 20_000
    ids = [f"E{i:05d}" for i in range(n)]
    frame = pd.DataFrame({"人员编号": np.repeat(ids, 2), "姓名": "王芳", "岗位": "业务员", "区域编号": "NS",
                          "终端编号": np.tile(["T1", "T2"], n)})
    src = tmp_path / "people.csv"
    frame.to_csv(src, index=False)
    report = import_files(arc, "people", [src])
    assert (report.imported, report.rejected) == (2 * n, 0)
