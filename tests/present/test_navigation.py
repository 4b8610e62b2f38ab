"""A report's header: plan, run date, data, and links only to pages the run writes, escaped."""

import json

import pandas as pd

from planlib.hierarchy import RegionTree
from planlib.present import navigation, tables

# HQ -> P01 (province) -> P01C01 (city) -> two counties; a second city the run leaves out
TREE = RegionTree(pd.DataFrame({
    "region_id": ["HQ", "P01", "P01C01", "P01C01K01", "P01C01K02", "P01C02"],
    "name": ["总部", "山东<省>", "济南市", "历城区", "章丘区", "青岛市"],
    "level": ["hq", "province", "city", "county", "county", "city"],
    "parent_id": [None, "HQ", "P01", "P01C01", "P01C01", "P01"],
}))


def _run(tmp_path, **extra):
    run = tmp_path / "demo-2027" / "20270101-1"
    run.mkdir(parents=True)
    manifest = {"plan_id": "demo-2027", "title": "康源 <2027>", "started": "2027-01-05T08:30:00+00:00",
                "regions": ["HQ", "P01C01", "P01C01K01", "P01C01K02"],
                "notebooks": ["10_review_archive", "20_split_targets", "30_build_budget"], **extra}
    (run / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return run


def test_report_links_point_only_at_pages_the_run_writes(tmp_path):
    run = _run(tmp_path)
    links = navigation.report_links(run, "P01C01", TREE, "20_split_targets", data_note="档案 2024–2026 年")
    assert links.plan_title == "康源 <2027>" and links.run_date == "2027-01-05"
    assert links.portal.href == "../../index.html"
    assert [(x.text, x.href) for x in links.others] == [("市场分析", "10_review_archive.html"),
                                                          ("费用预算", "30_build_budget.html")]
    assert links.parent is None  # P01 is not in the run's regions
    assert [(x.text, x.href) for x in links.children] == [("历城区", "../P01C01K01/20_split_targets.html"),
                                                            ("章丘区", "../P01C01K02/20_split_targets.html")]
    county = navigation.report_links(run, "P01C01K01", TREE, "30_build_budget")
    assert county.parent.href == "../P01C01/30_build_budget.html" and county.children == []


def test_header_is_escaped_and_outside_a_run_has_no_links(tmp_path):
    run = _run(tmp_path)
    links = navigation.report_links(run, "P01C01", TREE, "10_review_archive")
    page = navigation.header_html(links, region_label="济南市 <b>", notebook="10_review_archive")
    assert "康源 &lt;2027&gt;" in page and "济南市 &lt;b&gt;" in page and "<b>济南市" not in page
    assert 'href="../../index.html"' in page and "运行日期 2027-01-05" in page
    alone = navigation.report_links(None, "P01C01", TREE, "10_review_archive", plan_title="康源")
    html = navigation.header_html(alone, region_label="济南市", notebook="10_review_archive")
    assert "href" not in html and "康源" in html


def test_a_tracking_run_links_the_plan_runs_reports_that_exist(tmp_path):
    plan = tmp_path / "demo-2027" / "20261201-1" / "regions" / "P01C01"
    plan.mkdir(parents=True)
    (plan / "20_split_targets.html").write_text("x", encoding="utf-8")
    run = _run(tmp_path, notebooks=["40_track_results"], plan_run="20261201-1")
    links = navigation.report_links(run, "P01C01", TREE, "40_track_results")
    assert [(x.text, x.href) for x in links.others] == [
        ("目标分解（方案）", "../../../20261201-1/regions/P01C01/20_split_targets.html")]
    evil = _run(tmp_path / "x", plan_run="../../etc")
    assert navigation.report_links(evil, "P01C01", TREE, "40_track_results").others[-1].text != "目标分解（方案）"


def test_region_choices_names_the_region_its_family_first_and_counts_the_whole_tree():
    n = 120
    ids = ["HQ", *[f"P{i:03d}" for i in range(n - 1)]]
    big = RegionTree(pd.DataFrame({"region_id": ids, "name": [f"区{i}" for i in range(n)],
                                   "level": ["hq", *["province"] * (n - 1)],
                                   "parent_id": [None, *["HQ"] * (n - 1)]}))
    text = navigation.region_choices(big, "P050", "params/demo.yaml", limit=5)
    assert "区域 P050（区51" in text and "参数文件 params/demo.yaml" in text
    assert "可选区域编码：P050 区51；HQ 区0；P000 区1；P001 区2；P002 区3（……共 120 个区域）" in text
    small = navigation.region_choices(TREE, "P01C01", "p.yaml")
    assert "（共 6 个区域）" in small and small.index("P01C01K01") < small.index("P01C02")
    # the note as JupyterLab shows it: the commands an analyst types survive the English-gloss filter
    shown = tables.note(small).data
    assert "<code>planlib run 计划文件 --regions 编码</code>" in shown and "<code>papermill -p region 编码</code>" in shown
    assert "在 JupyterLab 中改参数单元格里的 <code>region = &quot;编码&quot;</code>" in shown
