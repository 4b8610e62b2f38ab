"""The workflow's files: submissions through real Excel files, locked versions, verification, the portal's view."""

from __future__ import annotations

import json
import multiprocessing
import os

import openpyxl
import pandas as pd
import pytest

from planlib.errors import WorkflowError
from planlib.hierarchy import RegionTree
from planlib.present import templates
from planlib.run import folder, workflow_files as wf
from planlib.workflow import audit

TREE = RegionTree(pd.DataFrame(
    [("C1", "济南市", "city", None), ("K1", "历城区", "county", "C1"), ("K2", "平阴县", "county", "C1")],
    columns=["region_id", "name", "level", "parent_id"]))
REGIONS = ["C1", "K1", "K2"]


def _targets():
    """K1 and K2: a total row and two product lines per month, Jan and Feb 2027."""
    rows = []
    for region, base in (("K1", 100), ("K2", 60)):
        for month in ("2027-01-01", "2027-02-01"):
            rows.append((region, month, None, base + 10, (base + 10) * 50.0, base))
            rows.append((region, month, "白酒", base, base * 50.0, base - 5))
            rows.append((region, month, "保健酒", 10, 500.0, 5))
    t = pd.DataFrame(rows, columns=["region_id", "month", "product_line", "target_volume", "target_revenue",
                                    "last_year_volume"])
    t["month"] = pd.to_datetime(t["month"])
    for c in ("sku", "channel", "terminal_class", "terminal_id", "distributor_id"):
        t[c] = None
    return t


def _run(root, run_id, targets):
    run = root / "tiny-2027" / run_id
    (run / "results").mkdir(parents=True)
    (run / "manifest.json").write_text(json.dumps({"run_id": run_id, "params_hash": "abc", "kind": "plan"}),
                                       encoding="utf-8")
    targets.to_parquet(run / "results" / "targets.parquet", index=False)
    for r in REGIONS:
        (run / "regions" / r).mkdir(parents=True)
        (run / "regions" / r / "params.resolved.yaml").write_text("targets:\n  stretch: 0.05\n", encoding="utf-8")
        (run / "regions" / r / "20_split_targets.html").write_text(f"<p>{r}</p>", encoding="utf-8")
    return run


def _template(wdir, region):
    rows, items = templates.template_rows(_targets(), None, region)
    return templates.write_template(wdir / "templates" / f"{region}.xlsx", region=region, name=TREE.name(region),
                                    plan_id="tiny-2027", title="测试", year=2027, run_id="r1", targets=rows,
                                    budget=items)


def test_template_rows_are_the_regions_product_lines_with_last_year(tmp_path):
    rows, items = templates.template_rows(_targets(), None, "K1")
    assert rows[["product_line", "target_volume", "last_year_volume"]].values.tolist() == [
        ["保健酒", 10, 5.0], ["白酒", 100, 95.0], ["保健酒", 10, 5.0], ["白酒", 100, 95.0]]
    assert (items["amount"] == 0).all() and len(items) == 33


def test_template_round_trips_through_submit(tmp_path):
    wdir = wf.workflow_dir(tmp_path / "runs", "tiny-2027")
    path = _template(wdir, "K1")
    wb = openpyxl.load_workbook(path)
    assert wb["说明"]["B2"].value == "K1" and wb["选项"].sheet_state == "hidden"
    ws = wb["行动计划"]
    dv = [d for d in ws.data_validations.dataValidation if d.type == "date"][0]
    assert dv.formula1 == "DATE(2027,1,1)" and dv.formula2 == "DATE(2027,12,31)"
    ws["A2"], ws["B2"], ws["C2"], ws["D2"] = "召开经销商大会", "张三", pd.Timestamp("2027-02-15").to_pydatetime(), 5000
    wb["费用预算"]["D3"] = 1234.5
    filled = tmp_path / "K1_filled.xlsx"
    wb.save(filled)
    rec, problems = wf.submit(wdir, TREE, REGIONS, "K1", filled, 2027, by="张三")
    assert problems == [] and rec["action"] == "submit" and rec["after"] == wf.file_sha256(filled)
    got = wf.load_submissions(wdir)
    assert int(got["targets"]["volume"].sum()) == 220  # the prefilled proposal: 2 months x (100 + 10)
    assert got["actions"]["action"].tolist() == ["召开经销商大会"]
    assert got["budget"]["amount"].sum() == 1234.5
    stored = wdir / "submissions" / "K1" / str(rec["seq"])
    assert sorted(p.name for p in stored.iterdir()) == ["actions.parquet", "budget.parquet", "submission.xlsx",
                                                        "targets.parquet"]


def test_rejected_submission_writes_nothing_but_a_refused_line(tmp_path):
    wdir = wf.workflow_dir(tmp_path / "runs", "tiny-2027")
    wb = openpyxl.load_workbook(_template(wdir, "K2"))
    wb["销量目标"]["E2"] = -5
    wb["行动计划"]["C2"] = "明年"
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    rec, problems = wf.submit(wdir, TREE, REGIONS, "K2", bad, 2027, by="李四")
    assert rec is None and [(p["sheet"], p["column"], p["row"]) for p in problems] == [
        ("销量目标", "E", 2), ("行动计划", "A", 2), ("行动计划", "B", 2), ("行动计划", "C", 2)]
    assert not (wdir / "submissions").exists()
    log = audit.read_log(wf.audit_path(wdir))
    assert [r["action"] for r in log] == ["refused"] and "销量目标!E2" in log[0]["note"]
    with pytest.raises(WorkflowError, match="not an Excel workbook"):
        (tmp_path / "x.xlsx").write_text("no", encoding="utf-8")
        wf.submit(wdir, TREE, REGIONS, "K2", tmp_path / "x.xlsx", 2027, by="李四")


def test_decide_refuses_and_logs_then_writes_proposals(tmp_path):
    wdir = wf.workflow_dir(tmp_path / "runs", "tiny-2027")
    for r in ("K1", "K2"):
        assert wf.submit(wdir, TREE, REGIONS, r, _template(wdir, r), 2027, by="x")[1] == []
    with pytest.raises(WorkflowError, match=r"not approved yet K1 \(已提交\), K2 \(已提交\)"):
        wf.decide(wdir, TREE, REGIONS, "C1", "approve", by="赵总")
    wf.decide(wdir, TREE, REGIONS, "K1", "approve", by="赵总")
    assert (wdir / "proposals.csv").read_text(encoding="utf-8") == "region_id,volume\nK1,220\n"
    log = audit.read_log(wf.audit_path(wdir))
    assert [r["action"] for r in log] == ["submit", "submit", "refused", "approve"]
    assert wf.region_workflow(tmp_path / "runs", "tiny-2027") == {
        "C1": {"status": "未提交", "version": None}, "K1": {"status": "已批准", "version": None},
        "K2": {"status": "已提交", "version": None}}


def test_lock_freezes_a_version_once_and_verify_detects_changes(tmp_path):
    root = tmp_path / "runs"
    run = _run(root, "r1", _targets())
    wdir = wf.workflow_dir(root, "tiny-2027")
    assert wf.lock_version(wdir, run, by="赵总") == ("v1", True)
    assert wf.lock_version(wdir, run, by="赵总") == ("v1", False)
    v1 = wf.version_dir(wdir, "v1")
    info = wf.read_version(wdir, "v1")
    assert info["run_id"] == "r1" and info["by"] == "赵总" and info["params_hash"] == "abc"
    assert sorted(info["files"]) == ["params.resolved/C1.yaml", "params.resolved/K1.yaml", "params.resolved/K2.yaml",
                                     "reports/C1/20_split_targets.html", "reports/K1/20_split_targets.html",
                                     "reports/K2/20_split_targets.html", "results/targets.parquet"]
    assert info["files"]["results/targets.parquet"] == wf.file_sha256(run / "results" / "targets.parquet")
    assert not os.access(v1 / "results" / "targets.parquet", os.W_OK) or os.geteuid() == 0
    # the run changes (a resumed step): a new version, v1 untouched
    (run / "regions" / "K1" / "params.resolved.yaml").write_text("targets:\n  stretch: 0.25\n", encoding="utf-8")
    assert wf.lock_version(wdir, run, by="赵总") == ("v2", True)
    assert wf.params_of_version(wdir, "v2")["K1"] == {"targets": {"stretch": 0.25}}
    assert wf.params_of_version(wdir, "v1")["K1"] == {"targets": {"stretch": 0.05}}
    records, problems = wf.verify(wdir)
    assert problems == [] and [r["action"] for r in records] == ["lock", "lock"]
    # an altered report, an added file and an edited version.json are each reported
    page = v1 / "reports" / "K1" / "20_split_targets.html"
    page.chmod(0o644)
    page.write_text("<p>改过</p>", encoding="utf-8")
    (v1 / "extra.txt").write_text("x", encoding="utf-8")
    meta = wf.version_dir(wdir, "v2") / "version.json"
    meta.chmod(0o644)
    meta.write_text(meta.read_text(encoding="utf-8").replace("赵总", "钱总"), encoding="utf-8")
    _, problems = wf.verify(wdir)
    assert any("reports/K1/20_split_targets.html: changed" in p for p in problems)
    assert any("extra.txt: added after the lock" in p for p in problems)
    assert any("v2/version.json: changed after the lock" in p for p in problems)


def test_lock_refuses_a_run_without_targets(tmp_path):
    run = _run(tmp_path / "runs", "r1", _targets())
    (run / "results" / "targets.parquet").unlink()
    with pytest.raises(WorkflowError, match="no results/targets.parquet"):
        wf.lock_version(wf.workflow_dir(tmp_path / "runs", "tiny-2027"), run, by="x")


def test_a_broken_log_refuses_steps_but_takes_a_tamper_line(tmp_path):
    wdir = wf.workflow_dir(tmp_path / "runs", "tiny-2027")
    with wf.holding(wdir):
        wf.append_event(wdir, by="a", action="template", region_id="K1")
        wf.append_event(wdir, by="a", action="template", region_id="K2")
    path = wf.audit_path(wdir)
    path.write_text(path.read_text(encoding="utf-8").replace('"by":"a"', '"by":"b"', 1), encoding="utf-8")
    with pytest.raises(WorkflowError, match="line 1"):
        wf.decide(wdir, TREE, REGIONS, "K1", "approve", by="x")
    with wf.holding(wdir):
        rec = wf.append_event(wdir, by="x", action="tamper_detected", note="line 1")
    assert rec["seq"] == 3 and rec["prev"] == audit.text_hash(path.read_text(encoding="utf-8").splitlines()[1])
    assert wf.region_workflow(tmp_path / "runs", "tiny-2027")["K1"]["status"] == "审计日志异常"
    # runs beside the workflow folder are still found, the workflow folder is not a run
    assert folder.latest_run(wdir.parent) is None


def _append_many(wdir, who, n):
    for _ in range(n):
        with wf.holding(wdir):
            wf.append_event(wdir, by=who, action="template")


def test_concurrent_appends_keep_the_chain(tmp_path):
    wdir = wf.workflow_dir(tmp_path / "runs", "tiny-2027")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(wdir, who, 15)) for who in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    log = audit.read_log(wf.audit_path(wdir))
    assert len(log) == 30 and [r["seq"] for r in log] == list(range(1, 31))


def test_split_proposals_workflow_reads_the_approved_submissions(tiny_plan, tmp_path):
    from planlib import params

    tiny_plan.write_text(tiny_plan.read_text(encoding="utf-8")
                         + "split:\n  proposals: workflow\n  reconcile: scale_bottom_up\n", encoding="utf-8")
    assert params.load_plan(tiny_plan).split.proposals is None  # nothing approved yet: the children's own trend
    mirror = wf.proposals_mirror(tiny_plan, "tiny-2026")
    assert mirror == tmp_path / "workflow" / "tiny-2026.proposals.csv"
    wdir = wf.workflow_dir(tmp_path / "runs", "tiny-2026")
    tree = RegionTree(pd.DataFrame([("C1", "济南市", "city", None), ("K1", "历城区", "county", "C1")],
                                   columns=["region_id", "name", "level", "parent_id"]))
    rows, items = templates.template_rows(_targets(), None, "K1")
    tpl = templates.write_template(wdir / "templates" / "K1.xlsx", region="K1", name="历城区", plan_id="tiny-2026",
                                   title="t", year=2027, run_id="r1", targets=rows, budget=items)
    assert wf.submit(wdir, tree, ["C1", "K1"], "K1", tpl, 2027, by="张三")[1] == []
    wf.decide(wdir, tree, ["C1", "K1"], "K1", "approve", by="赵总", mirror=mirror)
    assert mirror.read_text(encoding="utf-8") == "region_id,volume\nK1,220\n"
    plan = params.load_plan(tiny_plan)
    assert plan.split.proposals == mirror
    snap = params.write_snapshot(plan, tmp_path / "snap" / "params.resolved.yaml")
    assert params.load_snapshot(snap).split.proposals == mirror
    # a plan that does not ask gets no mirror
    other = tmp_path / "other.yaml"
    other.write_text("plan_id: x\n", encoding="utf-8")
    assert wf.proposals_mirror(other, "x") is None
