"""Import templates: every table's template imports as written, headers the importer reads."""

import openpyxl
import pytest

from planlib.archive import templates
from planlib.archive.importer import import_files
from planlib.archive.store import connect, init_archive
from planlib.schemas import HEADER_ALIASES, TABLE_HEADER_ALIASES, TABLE_ORDER, TABLES


def test_every_column_has_a_chinese_header_the_importer_maps_back():
    for table in TABLE_ORDER:
        cols = templates.template_columns(table)
        assert list(cols["column"]) == sorted(TABLES[table].columns, key=lambda c: (
            c not in TABLES[table].required, list(TABLES[table].columns).index(c)))
        for column, header in zip(cols["column"], cols["header"]):
            mapped = TABLE_HEADER_ALIASES.get(table, {}).get(header, HEADER_ALIASES.get(header))
            assert mapped == column, (table, column, header)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in header), (table, header)


def test_required_columns_come_first_and_are_marked():
    cols = templates.template_columns("sales")
    req = list(cols.loc[cols["required"], "column"])
    assert req == ["date", "region_id", "sku", "channel", "volume", "revenue"]
    assert list(cols["required"]) == [True] * 6 + [False] * 4


def test_written_templates_import_into_a_fresh_archive(tmp_path):
    paths = templates.write_import_templates(tmp_path / "tpl")
    assert [p.name for p in paths] == [f"{t}.xlsx" for t in TABLE_ORDER]
    book = openpyxl.load_workbook(paths[4])
    assert book.sheetnames == ["数据", "说明"]
    assert [c.value for c in book["数据"][1]][:3] == ["日期", "区域编码", "产品编码"]
    assert book["数据"].freeze_panes == "A2"
    assert [c.value for c in book["说明"][2]][2] == "必填"
    archive = init_archive(tmp_path / "a.duckdb")
    for table, path in zip(TABLE_ORDER, paths):
        report = import_files(archive, table, [path], rejects_dir=tmp_path / "rejects")
        counts = report.files[0]
        assert (counts.imported, counts.rejected) == (1, 0), (table, report)
    con = connect(archive, read_only=True)
    try:
        assert con.execute("SELECT volume, revenue FROM sales").fetchall() == [(120.0, 72000.0)]
        assert con.execute("SELECT name FROM regions").fetchall() == [("总部",)]
    finally:
        con.close()


def test_unknown_table_is_an_error():
    with pytest.raises(KeyError):
        templates.template_columns("customers")
