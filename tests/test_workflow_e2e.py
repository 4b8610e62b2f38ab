"""
The workflow end to end on the tiny archive, through the ``planlib plan`` commands and real runs.

templates → two counties submit (one with a bad cell, rejected with its address) → the city is
approved after its counties → lock v1 → a stretch changed (a scenario file) → run → lock v2 →
the diff shows the change and its cause; the audit log holds every step; altering v1 is detected.
The runs execute the real plan-wide targets step with a one-cell stand-in for 20_split_targets
(kernels are what cost time, not the workflow).
"""

from __future__ import annotations

import json
import os

import nbformat
import openpyxl
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from planlib import cli
from planlib.run import batch, workflow_files

pytestmark = pytest.mark.slow

PARAMS_CELL = 'region = "HQ"\nscenario = "base"\nparams_file = None\nrun_dir = None\ninteractive = True'


def _stand_in(folder):
    """A 20_split_targets that only marks itself complete (the targets step is the batch's)."""
    folder.mkdir(parents=True, exist_ok=True)
    params = new_code_cell(PARAMS_CELL)
    params.metadata["tags"] = ["parameters"]
    done = new_code_cell('from planlib.run import folder\nfolder.mark_complete(run_dir, region, "20_split_targets")')
    nb = new_notebook(cells=[params, done])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "20_split_targets.ipynb")
    return folder


def _fill(template, out, *, scale=1.0, bad_cell=None, actions=()):
    wb = openpyxl.load_workbook(template)
    ws = wb["销量目标"]
    for r in range(2, ws.max_row + 1):
        ws.cell(row=r, column=5).value = int(round(ws.cell(row=r, column=5).value * scale))
    if bad_cell:
        ws[bad_cell] = "很多"
    acts = wb["行动计划"]
    for i, (what, who, due, cost) in enumerate(actions, start=2):
        acts.cell(row=i, column=1, value=what)
        acts.cell(row=i, column=2, value=who)
        acts.cell(row=i, column=3, value=due)
        acts.cell(row=i, column=4, value=cost)
    wb.save(out)
    return out


def test_workflow_end_to_end(tiny_plan, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("USER", "planner")
    runs = tmp_path / "runs"
    nbs = _stand_in(tmp_path / "nbs")
    plan = str(tiny_plan)
    common = ["--runs-dir", str(runs)]

    def plan_cmd(*args):
        capsys.readouterr()
        code = cli.main(["plan", *args[:1], plan, *args[1:], *common])
        out = capsys.readouterr()
        return code, out.out, out.err

    def run(scenario="base"):
        r = batch.run_plan(tiny_plan, regions=["C1", "K1"], notebooks=["20_split_targets"],
                           notebooks_dir=nbs, runs_root=runs, progress=False, workers=1, scenario=scenario)
        assert r.exit_code == 0, r.manifest
        return r.run_dir

    # the children's proposals are the approved submissions (none yet: their own trend)
    tiny_plan.write_text(tiny_plan.read_text(encoding="utf-8")
                         + "split:\n  proposals: workflow\n  reconcile: scale_bottom_up\n", encoding="utf-8")
    first = run()
    code, out, err = plan_cmd("templates", "--regions", "K1", "K2", "--by", "王经理")
    assert code == 0, err
    wdir = runs / "tiny-2026" / "workflow"
    k1 = wdir / "templates" / "K1.xlsx"
    assert k1.exists() and (wdir / "templates" / "K2.xlsx").exists()
    sheet = openpyxl.load_workbook(k1)["销量目标"]
    assert [c.value for c in sheet[1]] == ["月份", "产品线", "去年销量（箱）", "上级建议销量（箱）", "本区提报销量（箱）",
                                           "本区提报销售额（元）"]
    assert sheet.protection.sheet and not sheet["E2"].protection.locked and sheet["D2"].protection.locked
    assert any(dv.type == "whole" and "E2" in str(dv.sqref) for dv in sheet.data_validations.dataValidation)

    # K2's file has a bad cell: rejected with its address, nothing imported
    bad = _fill(wdir / "templates" / "K2.xlsx", tmp_path / "K2_bad.xlsx", bad_cell="E3")
    code, out, err = plan_cmd("submit", "--region", "K2", str(bad), "--by", "李四")
    assert code == 2
    assert "销量目标!E3: got '很多'; expected a whole number of cases ≥ 0" in err
    assert not (wdir / "submissions" / "K2").exists() or not any((wdir / "submissions" / "K2").iterdir())
    # both counties submit good files
    f1 = _fill(k1, tmp_path / "K1.xlsx", scale=1.1, actions=[("新开 A 类终端 5 家", "张三", pd.Timestamp("2026-03-31"), 20000)])
    f2 = _fill(wdir / "templates" / "K2.xlsx", tmp_path / "K2.xlsx", scale=0.9)
    assert plan_cmd("submit", "--region", "K1", str(f1), "--by", "张三")[0] == 0
    assert plan_cmd("submit", "--region", "K2", str(f2), "--by", "李四")[0] == 0
    subs = workflow_files.load_submissions(wdir)
    assert sorted(subs["targets"]["region_id"].unique()) == ["K1", "K2"]
    assert subs["actions"].to_dict("records")[0]["owner"] == "张三"

    # the city first: refused, naming the children not approved
    code, out, err = plan_cmd("approve", "--region", "C1", "--by", "赵总")
    assert code == 2 and "K1 (已提交)" in err and "K2 (已提交)" in err and "K3 (未提交)" in err
    assert plan_cmd("return", "--region", "K2", "--by", "赵总")[0] == 2  # a return names what to change
    assert plan_cmd("approve", "--region", "K1", "--by", "赵总")[0] == 0
    assert plan_cmd("approve", "--region", "K2", "--by", "赵总")[0] == 0
    # K3 has no submission: it is returned? no — it submits its template as it is, then is approved
    assert plan_cmd("templates", "--regions", "K3", "--by", "王经理")[0] == 0
    assert plan_cmd("submit", "--region", "K3", str(wdir / "templates" / "K3.xlsx"), "--by", "周五")[0] == 0
    assert plan_cmd("approve", "--region", "K3", "--by", "赵总")[0] == 0
    assert plan_cmd("approve", "--region", "C1", "--by", "赵总")[0] == 0
    # the subtree is frozen now
    code, out, err = plan_cmd("submit", "--region", "K1", str(f1), "--by", "张三")
    assert code == 2 and "frozen" in err
    proposals = pd.read_csv(wdir / "proposals.csv")
    assert set(proposals["region_id"]) == {"K1", "K2", "K3"}
    k1_total = int(subs["targets"].loc[subs["targets"]["region_id"] == "K1", "volume"].sum())
    assert int(proposals.set_index("region_id").loc["K1", "volume"]) == k1_total

    code, out, err = plan_cmd("status", "--csv", str(tmp_path / "status.csv"))
    assert code == 0 and "已批准" in out
    unsubmitted = next(line.split() for line in out.splitlines() if line.split()[:1] == ["HQ"])
    assert unsubmitted[2] == "未提交" and "—" in unsubmitted  # a blank cell reads —, not its neighbour's figure
    st = pd.read_csv(tmp_path / "status.csv", encoding="utf-8-sig").set_index("region_id")
    assert st.loc["K1", "status"] == "approved" and st.loc["K1", "by"] == "赵总"
    assert st.loc["K1", "gap"] == pytest.approx(st.loc["K1", "submitted_volume"] - st.loc["K1", "top_down_volume"])
    assert st.loc["K1", "gap"] > 0 and st.loc["K2", "gap"] < 0

    code, out, _ = plan_cmd("lock", "--run", first.name, "--by", "赵总")
    assert code == 0 and "v1" in out
    code, out, _ = plan_cmd("lock", "--run", first.name, "--by", "赵总")
    assert code == 0 and "already locked" in out and "v1" in out

    # a stretch changes (a scenario), a new run, v2
    scen = tiny_plan.parent / "scenarios"
    scen.mkdir()
    tiny_plan.write_text(tiny_plan.read_text(encoding="utf-8") + "scenarios: scenarios\n", encoding="utf-8")
    (scen / "stretchy.yaml").write_text("targets:\n  stretch: 0.25\n", encoding="utf-8")
    second = run("stretchy")
    code, out, _ = plan_cmd("lock", "--run", second.name, "--by", "赵总")
    assert code == 0 and "v2" in out
    shown = workflow_files.region_workflow(runs, "tiny-2026")  # what the portal shows
    assert shown["C1"] == {"status": "已锁定", "version": "v2"} and shown["K2"]["status"] == "已锁定"
    code, out, _ = plan_cmd("diff", "v1", "v2", "--csv", str(tmp_path / "diff.csv"))
    assert code == 0
    assert "targets.stretch" in out and "0.25" in out
    diff = pd.read_csv(tmp_path / "diff.csv", encoding="utf-8-sig")
    moved = diff[(diff["kind"] == "result") & (diff["measure"] == "target_volume")]
    assert {"C1", "K1"} <= set(moved["region_id"]) and len(moved) > 0
    cause = diff[diff["kind"] == "assumption"]
    assert {"targets.stretch", "split.proposals"} <= set(cause["key"])
    # the reconciled counties follow their approved submissions (K1 asked 10 % more, K2 10 % less)
    def annual(run_dir):
        return workflow_files.top_down_volumes(pd.read_parquet(run_dir / "results" / "targets.parquet"))
    before, after = annual(first), annual(second)
    assert after["K1"] / after["K2"] == pytest.approx(1.1 * before["K1"] / (0.9 * before["K2"]), rel=0.01)
    assert after["K1"] + after["K2"] + after["K3"] == after["C1"]

    # the audit log holds every step, verified
    code, out, err = plan_cmd("log")
    assert code == 0, err
    log = [json.loads(x) for x in (wdir / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    actions = [r["action"] for r in log]
    for a in ("template", "submit", "refused", "approve", "lock"):
        assert a in actions
    assert actions.count("lock") == 2 and actions.count("submit") == 3

    # altering a locked file is detected, reported (exit 2) and logged
    target = wdir / "versions" / "v1" / "results" / "targets.parquet"
    os.chmod(target, 0o644)
    target.write_bytes(target.read_bytes() + b"x")
    code, out, err = plan_cmd("log")
    assert code == 2 and "v1" in err and "results/targets.parquet: changed" in err
    last = json.loads((wdir / "audit.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert last["action"] == "tamper_detected" and "targets.parquet" in last["note"]
