"""The demo's first round: deterministic filled-in workbooks that pass the checks, and the decisions."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd

from planlib.demo import workflow as demo_workflow
from planlib.present import templates
from planlib.run import workflow_files
from planlib.workflow import audit, submissions


def _run_with_targets(runs, plan_id="tiny-2026", run_id="20261201-100000"):
    """A plan run folder holding only targets for the tiny tree's counties (two lines, two months)."""
    run = runs / plan_id / run_id
    (run / "results").mkdir(parents=True)
    (run / "manifest.json").write_text(json.dumps({"run_id": run_id, "kind": "plan"}), encoding="utf-8")
    rows = []
    for region, base in (("K1", 100), ("K2", 60), ("K3", 10)):
        for month in ("2026-01-01", "2026-02-01"):
            rows += [(region, month, None, base + 20, (base + 20) * 55.0, base),
                     (region, month, "白酒", base, base * 50.0, base),
                     (region, month, "保健酒", 20, 20 * 80.0, 15)]
    t = pd.DataFrame(rows, columns=["region_id", "month", "product_line", "target_volume", "target_revenue",
                                    "last_year_volume"])
    t["month"] = pd.to_datetime(t["month"])
    for c in ("sku", "channel", "terminal_class", "terminal_id", "distributor_id"):
        t[c] = None
    t.to_parquet(run / "results" / "targets.parquet", index=False)
    return run


def test_fill_submission_is_deterministic_and_valid(tmp_path):
    rows, items = templates.template_rows(pd.read_parquet(_run_with_targets(tmp_path) / "results" / "targets.parquet"),
                                          None, "K1")
    tpl = templates.write_template(tmp_path / "K1.xlsx", region="K1", name="历城区", plan_id="tiny-2026", title="t",
                                   year=2026, run_id="r", targets=rows, budget=items)
    a = demo_workflow.fill_submission(tpl, tmp_path / "a.xlsx", region="K1", plan_year=2026)
    b = demo_workflow.fill_submission(tpl, tmp_path / "b.xlsx", region="K1", plan_year=2026)
    va = [[c.value for c in r] for r in openpyxl.load_workbook(a)["销量目标"].iter_rows(min_row=2)]
    vb = [[c.value for c in r] for r in openpyxl.load_workbook(b)["销量目标"].iter_rows(min_row=2)]
    assert va == vb
    proposals = [r[3] for r in va]
    # each month's volume within -8 % x 1.02 .. +12 % x 1.02 of the proposal, and not all equal to it
    assert all(0.9 * p <= r[4] <= 1.15 * p + 1 for p, r in zip(proposals, va)) and any(r[4] != r[3] for r in va)
    sheets = workflow_files.read_workbook(a)
    frames, problems = submissions.validate_submission(sheets, "K1", 2026)
    assert problems == [] and 2 <= len(frames["actions"]) <= 3


def test_first_round_submits_approves_and_returns(tiny_plan, tmp_path):
    runs = tmp_path / "runs"
    _run_with_targets(runs)
    st = demo_workflow.first_round(tiny_plan, runs, by="演示").set_index("region_id")
    assert st["status"].to_dict() == {"C1": "not_submitted", "K1": "approved", "K2": "returned",
                                      "K3": "not_submitted"}
    wdir = workflow_files.workflow_dir(runs, "tiny-2026")
    log = audit.read_log(workflow_files.audit_path(wdir))
    assert [r["action"] for r in log] == ["template"] * 3 + ["submit"] * 2 + ["approve", "return"]
    assert "调整" in log[-1]["note"]
    assert workflow_files.region_workflow(runs, "tiny-2026")["K1"] == {"status": "已批准", "version": None}
    again = demo_workflow.first_round(tiny_plan, runs, by="演示").set_index("region_id")  # a second make demo
    assert again["status"].to_dict() == st["status"].to_dict()
    assert len(audit.read_log(workflow_files.audit_path(wdir))) == len(log)
