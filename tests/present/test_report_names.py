"""Names are data (#12): a review report whose county and brand names hold emoji, ``$…$`` and markup still renders."""

from __future__ import annotations

import duckdb
import nbformat
import pytest

from planlib.archive import refresh_summaries
from planlib.present import tables
from planlib.run import batch

pytestmark = pytest.mark.slow

CITY = "P01C01"
RENAMED = {
    "P01C01K01": "历城区\U0001F600",  # an emoji DejaVu Sans draws
    "P01C01K02": "平阴县$\\undefinedcommand$",  # mathtext that would fail
    "P01C01K03": "<script>alert('章丘')</script>",
    "P01C01": "Jinan City",  # a name in Latin letters: data, not an English gloss to drop
}
BRAND, RENAMED_BRAND = "金潭", "金潭\U0001F376"  # an emoji no installed font has

PLAN_YAML = """\
plan_id: names-2027
title: 康源酒业 2027 名称测试
year: 2027
archive: names.duckdb
currency: CNY
scope:
  root: HQ
  levels: [hq, province, city, county]
notebooks: [10_review_archive]
run:
  timeout_seconds: 600
  workers: 1
analysis:
  history_years: 3
"""


@pytest.fixture(scope="module")
def hostile_plan(tmp_path_factory, demo_copy):
    """The demo archive with three of 济南市's counties and the 金潭 brand renamed."""
    folder = tmp_path_factory.mktemp("names")
    demo_copy(folder / "names.duckdb")
    con = duckdb.connect(str(folder / "names.duckdb"))
    try:
        for region_id, name in RENAMED.items():
            con.execute("UPDATE regions SET name = ? WHERE region_id = ?", [name, region_id])
        for table in ("sales", "activities"):
            con.execute(f"UPDATE {table} SET brand = ? WHERE brand = ?", [RENAMED_BRAND, BRAND])
        refresh_summaries(con)
    finally:
        con.close()
    plan = folder / "names.yaml"
    plan.write_text(PLAN_YAML, encoding="utf-8")
    return plan


def test_review_report_with_hostile_names_succeeds_and_escapes_them(hostile_plan, tmp_path):
    result = batch.run_plan(hostile_plan, regions=[CITY], runs_root=tmp_path / "runs", run_id="r1", progress=False)
    entry = result.manifest["entries"][0]
    assert result.exit_code == 0 and entry["status"] == "succeeded", entry["error"]
    executed = nbformat.read(result.run_dir / "regions" / CITY / "10_review_archive.ipynb", as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 8  # every figure drawn, none dropped
    page = (result.run_dir / "regions" / CITY / "10_review_archive.html").read_text(encoding="utf-8")
    assert "<script>alert('章丘')" not in page and "&lt;script&gt;alert(" in page
    assert RENAMED_BRAND in page  # the brand table shows the name as it is
    assert "总部 / 山东省 / Jinan City · names-2027</h1>" in page  # the heading keeps the Latin name
    assert f'class="planlib-table {tables.PLAIN_TEXT_CLASS}"' in page  # MathJax leaves names alone
