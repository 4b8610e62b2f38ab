"""The portal: honest counts, the plan's figures computed from its results, one language, escaped, offline."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from planlib.run import portal

NOTEBOOKS = ["10_review_archive", "20_split_targets"]
REGIONS = ["K1", "K2", "K3", "K4", "C1", "HQ"]


def _manifest(entries, **extra):
    return {"plan_id": "p", "run_id": "r1", "notebooks": NOTEBOOKS, "finished": None, "entries": entries, **extra}


def _entry(region, nb, status):
    return {"region_id": region, "notebook": nb, "status": status, "seconds": 1.0, "error": None, "html": None}


def test_region_counts_succeeded_failed_and_not_run_separately():
    # four counties ran both notebooks (K2 failed one), C1 ran one of two, HQ none: the run was killed
    entries = [_entry(r, nb, "failed" if (r, nb) == ("K2", NOTEBOOKS[1]) else "succeeded")
               for r in REGIONS[:4] for nb in NOTEBOOKS] + [_entry("C1", NOTEBOOKS[0], "succeeded")]
    counts = portal.region_counts(_manifest(entries), REGIONS)
    assert counts == {"succeeded": 3, "failed": 1, "not run": 2}


def test_portal_of_an_interrupted_run_says_so_and_counts_only_what_ran():
    entries = [_entry(r, nb, "succeeded") for r in REGIONS[:4] for nb in NOTEBOOKS]
    rows = [{"region_id": r, "name": r, "level": "county"} for r in REGIONS]
    page = portal.render_portal(_manifest(entries, status="interrupted",
                                          interrupted={"at": "2027-01-05T09:30:00", "signal": "SIGTERM"}), rows)
    assert "成功：4" in page and "失败：0" in page and "未运行：2" in page
    assert "已中断（2027-01-05 09:30:00）" in page
    running = portal.render_portal(_manifest([], status="running"), rows)
    assert "运行中" in running and "成功：0" in running and "未运行：6" in running


def test_portal_shows_every_dual_check_flag_in_chinese():
    """Each of the dual check's outcomes shows in the plan's words, never as its English code."""
    from planlib.labels import FLAG_NAMES
    from planlib.run.portal import render_portal

    flags = list(FLAG_NAMES)
    rows = [{"region_id": f"R{i}", "name": f"区域{i}", "level": "county", "flag": f} for i, f in enumerate(flags)]
    html = render_portal({"plan_id": "p", "run_id": "r", "notebooks": [], "entries": []}, rows)
    for flag in flags:
        assert FLAG_NAMES[flag].split(" ")[0] in html
    assert "expense ratio over threshold" not in html and "sales met, profit missed</span>" not in html


def _targets():
    # K1: two months of totals (10 + 20 箱, 100 + 200 元) and a product-line row that must not count again;
    # K2: one month; HQ: the sum of both. last_year_volume on the total rows: K1 40 (asked to shrink), K2 5.
    rows = [
        ("HQ", None, 40, 400.0, 50.0), ("K1", None, 10, 100.0, 25.0), ("K1", None, 20, 200.0, 15.0),
        ("K1", "白酒", 10, 100.0, 25.0), ("K2", None, 10, 100.0, 5.0),
    ]
    return pd.DataFrame(rows, columns=["region_id", "product_line", "target_volume", "target_revenue",
                                       "last_year_volume"]).assign(
        region_id=lambda d: d["region_id"].astype("category"), sku=None, channel=None, terminal_class=None,
        terminal_id=None, distributor_id=None)


def _budget_regions():
    return pd.DataFrame({
        "region_id": ["HQ", "K1", "K2"], "budget": [60.0, 45.0, 15.0], "profit_at_target": [90.0, 50.0, 40.0],
        "profit_target": [80.0, 60.0, 20.0], "flag": ["both met", "sales met, profit missed", "both missed"],
        "sales_reachable": [True, True, False], "profit_reachable": [True, False, False],
        "ly_volume": [50.0, 40.0, 5.0]})


def test_region_figures_sums_total_rows_and_flags_by_hand():
    f = portal.region_figures(_targets(), _budget_regions()).set_index("region_id")
    assert list(f.index) == ["HQ", "K1", "K2"]
    assert f.loc["K1", "target_volume"] == 30 and f.loc["K1", "target_revenue"] == 300.0  # the 白酒 row not added
    assert f.loc["HQ", "target_volume"] == 40 and f.loc["K2", "target_revenue"] == 100.0
    assert f.loc["K1", "expense_ratio"] == pytest.approx(45 / 300) and f.loc["HQ", "expense_ratio"] == pytest.approx(0.15)
    assert f.loc["K1", "profit"] == 50.0 and f.loc["K1", "profit_target"] == 60.0
    assert list(f["profit_missed"]) == [False, True, True]
    assert list(f["beyond_potential"]) == [False, False, True]
    assert list(f["asked_to_shrink"]) == [True, True, False]  # 40 < 50, 30 < 40, 10 > 5
    assert f.loc["K2", "flag"] == "both missed"


def test_region_figures_without_a_budget_or_without_revenue():
    f = portal.region_figures(_targets(), None).set_index("region_id")
    assert f["budget"].isna().all() and f["expense_ratio"].isna().all() and not f["profit_missed"].any()
    assert list(f["asked_to_shrink"]) == [True, True, False]  # from the targets' last_year_volume
    zero = portal.region_figures(_targets().assign(target_revenue=0.0), _budget_regions())
    assert zero["expense_ratio"].isna().all()  # no division by zero reaches the page
    assert portal.region_figures(None, None).empty


def test_a_region_without_a_dual_check_has_no_flag_and_no_nan_on_the_page(tmp_path):
    """A county with no sales has no target, so no dual check: its flag is None, never a NaN printed as "nan"."""
    k3 = pd.DataFrame({"region_id": ["K3"], "budget": [0.0], "profit_at_target": [np.nan], "profit_target": [0.0],
                       "flag": [None], "sales_reachable": [None], "profit_reachable": [None], "ly_volume": [0.0]})
    budget = pd.concat([_budget_regions().astype({"sales_reachable": object, "profit_reachable": object}), k3],
                       ignore_index=True)
    budget.to_parquet(tmp_path / "budget_regions.parquet", index=False)  # as the budget step writes it
    f = portal.read_figures(tmp_path).set_index("region_id")
    assert f.loc["K3", "flag"] is None and f.loc["K1", "flag"] == "sales met, profit missed"
    rows = [{"region_id": r, "name": r, "level": "county"} for r in ("K1", "K3")]
    page = portal.render_portal(_manifest([]), rows, figures=f.reset_index())
    k3 = page[page.index('data-id="K3"'):]
    k3 = k3[:k3.index("</tr>")]
    assert "nan" not in k3.lower() and 'class="warn"' not in k3


def test_read_figures_reads_the_results_folder(tmp_path):
    _targets().to_parquet(tmp_path / "targets.parquet", index=False)
    _budget_regions().to_parquet(tmp_path / "budget_regions.parquet", index=False)
    f = portal.read_figures(tmp_path)
    pd.testing.assert_frame_equal(f, portal.region_figures(_targets(), _budget_regions()))


def test_run_files_names_workbooks_by_step_and_keeps_data_files_apart():
    steps = [{"step": "targets", "status": "succeeded", "outputs": ["results/targets.parquet", "p-targets.xlsx"]},
             {"step": "budget", "status": "succeeded", "outputs": ["results/budget.parquet", "p-targets.xlsx"]}]
    books, data = portal.run_files({"plan_steps": steps})
    assert books == [{"href": "p-targets.xlsx", "label": "目标分解工作簿 · 费用预算工作簿"}]
    assert [d["href"] for d in data] == ["results/targets.parquet", "results/budget.parquet"]
    assert data[0]["label"] == "目标明细（targets.parquet）"
    steps[1]["outputs"] = ["results/budget.parquet", "p-budget.xlsx"]
    books, _ = portal.run_files({"plan_steps": steps})
    assert books == [{"href": "p-targets.xlsx", "label": "目标分解工作簿"},
                     {"href": "p-budget.xlsx", "label": "费用预算工作簿"}]
    steps[1]["status"] = "failed"
    assert portal.run_files({"plan_steps": steps})[0] == [{"href": "p-targets.xlsx", "label": "目标分解工作簿"}]


def _tracking_tables() -> list[str]:
    """The tables a tracking run writes as tracking_<name>.parquet (planlib.run.track.write_tracking)."""
    import dataclasses

    from planlib.run.track import FollowedPlan

    frames = [f.name for f in dataclasses.fields(FollowedPlan) if f.type in ("pd.DataFrame", pd.DataFrame)]
    return [name for name in frames if name not in ("tracking", "kpi")] + ["promotions"]  # + the promotions step's


def test_every_data_file_a_plan_step_writes_is_named_in_words():
    """The promotions step's and a tracking run's tables were listed by their bare file names among the named ones."""
    from planlib.run import folder

    outputs = [f"results/{name}" for name in (
        folder.RESULTS_TARGETS, folder.RESULTS_BUDGET, folder.RESULTS_REGIONS, folder.RESULTS_METHODS,
        folder.RESULTS_FINDINGS, folder.RESULTS_FINDINGS_REGIONS, folder.RESULTS_PROMOTIONS,
        folder.RESULTS_PROMOTION_MONTHS, folder.RESULTS_TRACKING, folder.RESULTS_KPI)]
    outputs += [f"results/tracking_{t}.parquet" for t in _tracking_tables()]
    _, data = portal.run_files({"plan_steps": [{"step": "all", "status": "succeeded", "outputs": outputs}]})
    assert len(data) == len(outputs)
    for d in data:
        assert re.match(r"[\u4e00-\u9fff]+（[a-z_]+\.parquet）$", d["label"]), d["label"]


def _front_page(**kw):
    entries = [{**_entry(r, nb, "succeeded"), "html": f"regions/{r}/{nb}.html"} for r in ("HQ", "K1") for nb in NOTEBOOKS]
    manifest = _manifest(entries, title="康源 2027 年度方案", started="2026-12-02T03:00:00",
                         plan_steps=[{"step": "targets", "status": "succeeded",
                                      "outputs": ["results/targets.parquet", "p-targets.xlsx"]}])
    rows = [{"region_id": "HQ", "name": "总部", "level": "hq", "ancestors": []},
            {"region_id": "K1", "name": "<b>章丘区</b>", "level": "county", "ancestors": ["C1", "HQ"]},
            {"region_id": "K2", "name": "历城区", "level": "county", "ancestors": ["C1", "HQ"]}]
    figures = portal.region_figures(_targets(), _budget_regions())
    return portal.render_portal(manifest, rows, figures=figures, plan_root="HQ", **kw)


def test_portal_front_page_headline_table_and_marks():
    page = _front_page()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<h1>康源 2027 年度方案</h1>" in page and "2026-12-02" in page
    cards = page[page.index('<section class="cards"'):page.index("</section>")]
    for text in ("40<span class=\"u\">箱", "400<span class=\"u\">元", "90<span class=\"u\">元", "利润目标 80 元",
                 "60<span class=\"u\">元", "15.0%", "双达成"):
        assert text in cards, text
    assert "全计划 3 个区域的双重检查：双达成 1 个，销量达成、利润未达 1 个，双未达 1 个" in page
    assert "利润未达</span> 2 个区域" in page and "超出潜力</span> 1 个区域" in page and "目标低于上年</span> 2 个区域" in page
    # K1's row: its figures, its marks, its reports named in Chinese, its nearest shown ancestor (C1 is not shown)
    k1 = page[page.index('data-id="K1"'):page.index('data-id="K2"')]
    assert 'data-parent="HQ"' in k1 and "&lt;b&gt;章丘区&lt;/b&gt;" in k1 and "<b>章丘区" not in page
    assert '<td class="n" data-sort="30.0">30</td>' in k1 and "15.0%" in k1
    assert "利润未达</span>" in k1 and "目标低于上年</span>" in k1 and "超出潜力" not in k1
    assert '<a href="regions/K1/10_review_archive.html"' in k1 and ">市场分析</a>" in k1 and ">目标分解</a>" in k1
    assert 'href="#r-HQ"' in page  # HQ has children shown: its name drills down
    # the workbook named for what it holds; the machine files only under 数据文件
    assert '<a href="p-targets.xlsx">目标分解工作簿</a>' in page
    details = page[page.index("<details>"):page.index("</details>")]
    assert "<summary>数据文件</summary>" in details and page.count(".parquet\"") == details.count(".parquet\"") == 1


def test_portal_is_self_contained_and_in_one_language():
    page = _front_page()
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing fetched from elsewhere
    assert "<link" not in page and "@import" not in page and "url(" not in page
    shown = re.sub(r"<script>.*?</script>|<style>.*?</style>|<details>.*?</details>", "", page, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", shown)
    words = set(re.findall(r"[A-Za-z_]{3,}", text))
    assert words <= {"HQ"}, words  # region ids only; no notebook file names, codes or English labels


def test_portal_shows_the_workflow_column_when_given_and_escapes_it():
    assert "审批状态" not in _front_page()
    page = _front_page(workflow={"K1": {"status": "已提交", "version": "v2"},
                                 "K2": {"status": "<i>退回</i>", "version": None}})
    assert "<th>审批状态</th>" in page
    k1 = page[page.index('data-id="K1"'):page.index('data-id="K2"')]
    assert "<td>已提交 · v2</td>" in k1 and "&lt;i&gt;退回&lt;/i&gt;" in page and "<i>退回" not in page
    assert "已提交" in k1[k1.index("data-search"):k1.index(">")]  # the filter finds regions by their state


def test_portal_of_a_tracking_run_keeps_its_columns():
    rows = [{"region_id": "K1", "name": "章丘", "level": "county",
             "tracking": {"completion": 0.5, "task_progress": 0.25, "time_progress": 0.5, "status": "behind",
                          "landing_gap": -1200.0, "verdict": "sales met, profit missed",
                          "milestones_missed": ["一阶段"], "budget_flag": "over_budget"},
             "plan_links": [{"href": "../plan1/regions/K1/20_split_targets.html", "label": "目标分解"}]}]
    page = portal.render_portal(_manifest([], as_of="2027-03-31", plan_run="plan1"), rows)
    for text in ("<th>序时完成率</th>", "50.0%", "25.0% / 50.0%", "-1,200", "销量达成、利润未达", "未达阶段目标 一阶段",
                 "超预算", "执行跟踪 截至 2027-03-31", 'href="../plan1/index.html"',
                 '<a href="../plan1/regions/K1/20_split_targets.html">目标分解</a>'):
        assert text in page, text
    with_plan = portal.render_portal(_manifest([], as_of="2027-03-31", plan_run="plan1"), rows,
                                     figures=portal.region_figures(_targets(), _budget_regions()))
    assert "<th>目标销量（箱）</th>" in with_plan and "<th>序时完成率</th>" in with_plan
    assert "<th>费用预算（元）</th>" not in with_plan  # per region: the targets beside the tracking, not the whole budget


def test_every_label_the_portal_shows_is_chinese():
    """The label tables the portal draws on: each value has Chinese and no English word (a test over the table)."""
    from planlib.labels import FLAG_NAMES, LEVEL_NAMES, NOTEBOOK_NAMES

    tables = {"MARK_NAMES": portal.MARK_NAMES, "WORKBOOK_NAMES": portal.WORKBOOK_NAMES, "LEVEL_NAMES": LEVEL_NAMES,
              "NOTEBOOK_NAMES": NOTEBOOK_NAMES, "DATA_NAMES": portal.DATA_NAMES,
              "FLAG_NAMES (the part shown)": {k: v.split(" ")[0] for k, v in FLAG_NAMES.items()}}
    bad = {f"{name}[{k}]": v for name, table in tables.items() for k, v in table.items()
           if not re.search(r"[\u4e00-\u9fff]", v) or re.search(r"[A-Za-z]{2,}", v)}
    assert bad == {}
    assert set(portal.WORKBOOK_NAMES) >= {"targets", "budget"}


def test_the_batch_reads_the_figures_and_the_workflow_for_the_portal(tmp_path):
    """The run's results and the plan's workflow folder reach the portal (read once, kept for every rewrite)."""
    from planlib.run import batch, folder, workflow_files

    run = tmp_path / "p" / "r1"
    folder.results_dir(run).mkdir(parents=True)
    _targets().to_parquet(folder.results_path(run, folder.RESULTS_TARGETS), index=False)
    _budget_regions().to_parquet(folder.results_path(run, folder.RESULTS_REGIONS), index=False)
    wdir = workflow_files.workflow_dir(tmp_path, "p")
    wdir.mkdir(parents=True)
    with workflow_files.holding(wdir):
        workflow_files.append_event(wdir, by="王经理", action="submit", region_id="K1")
    manifest = _manifest([], plan_steps=[])
    rows = [{"region_id": r, "name": r, "level": "county", "ancestors": ["HQ"]} for r in ("K1", "K2")]
    shown = {"plan_root": "HQ"}
    batch._flag_regions(run, {**manifest, "plan_id": "p"}, rows, shown)
    assert shown["workflow"]["K1"] == {"status": "已提交", "version": None}
    pd.testing.assert_frame_equal(shown["figures"], portal.region_figures(_targets(), _budget_regions()))
    assert [r.get("flag") for r in rows] == ["sales met, profit missed", "both missed"]  # from the saved results
    page = portal.render_portal(manifest, rows, **shown)
    assert "<th>审批状态</th>" in page and "<td>已提交</td>" in page and "利润未达</span>" in page


def test_a_region_is_counted_by_the_notebooks_it_runs():
    """A consolidation runs only above children: a county without it is complete, not 'not run'."""
    nbs = ["10_review_archive", "50_consolidate"]
    entries = [_entry("C1", n, "succeeded") for n in nbs] + [_entry("K1", nbs[0], "succeeded")]
    manifest = {**_manifest(entries), "notebooks": nbs, "planned": {"C1": nbs, "K1": nbs[:1], "K2": nbs[:1]}}
    assert portal.region_counts(manifest, ["C1", "K1", "K2"]) == {"succeeded": 2, "failed": 0, "not run": 1}
    rows = [{"region_id": r, "name": r, "level": "county"} for r in ("C1", "K1", "K2")]
    page = portal.render_portal(manifest, rows)
    k1 = page[page.index('data-id="K1"'):page.index('data-id="K2"')]
    assert "汇总审批" not in k1 and ">完成</td>" in k1  # no 'not run' cell for a report the county never has
    assert "汇总审批 未运行" not in page and "市场分析 未运行" in page  # K2 has not run yet


def test_report_links_follow_the_notebooks_each_region_runs(tmp_path):
    """The manifest's ``planned`` (written by the batch) keeps a report from linking a page never written."""
    import json

    from planlib.hierarchy import RegionTree
    from planlib.present import navigation

    tree = RegionTree(pd.DataFrame({"region_id": ["HQ", "C1", "K1"], "name": ["总部", "济南市", "历城区"],
                                    "level": ["hq", "city", "county"], "parent_id": [None, "HQ", "C1"]}))
    run = tmp_path / "p" / "r1"
    run.mkdir(parents=True)
    nbs = ["10_review_archive", "50_consolidate"]
    manifest = {"plan_id": "p", "regions": ["HQ", "C1", "K1"], "notebooks": nbs,
                "planned": {"HQ": nbs, "C1": nbs, "K1": nbs[:1]}}
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    county = navigation.report_links(run, "K1", tree, "10_review_archive")
    assert county.others == []  # no 汇总审批 for a county
    city = navigation.report_links(run, "C1", tree, "50_consolidate")
    assert city.children == [] and city.parent.href == "../HQ/50_consolidate.html"
    assert [c.href for c in navigation.report_links(run, "C1", tree, "10_review_archive").children] == \
        ["../K1/10_review_archive.html"]
