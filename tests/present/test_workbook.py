"""The notebooks' setup: the region tree is read once per archive file, and again when the file changes."""

import shutil

import duckdb

from planlib import archive
from planlib.present.workbook import open_workbook, region_tree
from tests.conftest import PLAN_YAML, write_tiny_archive


def _ids(tree) -> list[str]:
    return list(tree.to_frame()["region_id"])


def test_region_tree_is_read_once_while_the_archive_stays_the_same(tmp_path):
    path = write_tiny_archive(tmp_path / "tiny.duckdb")
    first = region_tree(path)
    assert _ids(first) == _ids(archive.load_tree(path)) == ["HQ", "P1", "C1", "K1", "K2", "K3"]
    assert region_tree(str(path)) is first
    assert region_tree(tmp_path / "." / "tiny.duckdb") is first  # the same file by another spelling


def test_region_tree_is_read_again_when_the_archive_changes(tmp_path):
    path = write_tiny_archive(tmp_path / "tiny.duckdb")
    copy = shutil.copy(path, tmp_path / "copy.duckdb")
    before = region_tree(path)
    with duckdb.connect(str(path)) as con:
        con.execute("INSERT INTO regions VALUES ('K4', '新区', 'county', 'C1')")
    after = region_tree(path)
    assert after is not before
    assert _ids(after) == ["HQ", "P1", "C1", "K1", "K2", "K3", "K4"]
    assert _ids(region_tree(copy)) == ["HQ", "P1", "C1", "K1", "K2", "K3"]  # another file, its own tree


def test_open_workbook_checks_the_region_against_the_current_tree(tmp_path):
    path = write_tiny_archive(tmp_path / "tiny.duckdb")
    plan = tmp_path / "tiny.yaml"
    plan.write_text(PLAN_YAML, encoding="utf-8")
    assert open_workbook("K1", "base", plan, None, False).tree is region_tree(path)
    with duckdb.connect(str(path)) as con:
        con.execute("INSERT INTO regions VALUES ('K4', '新区', 'county', 'C1')")
    wb = open_workbook("K4", "base", plan, None, False)
    assert wb.region == "K4" and "K4" in wb.tree
