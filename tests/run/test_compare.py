"""
Scenarios side by side, the consolidation and the plan document on real runs of the tiny plan.

One module fixture: a workflow folder where K1 submitted and was approved and K2 submitted
and was returned, then ``planlib run --scenario base --scenario lean --notebooks
50_consolidate`` over C1 and K1 (the plan-wide targets and budget steps run for it; K1, a
county without planned children, gets no consolidation). Everything below reads those two runs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import docx
import pandas as pd
import pytest

from planlib import cli
from planlib.run import batch, compare, folder, workflow_files
from planlib.workflow.document import SECTION_HEADINGS
from tests.conftest import HOSTILE_NAME, PLAN_YAML, write_tiny_archive

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("compare")]  # its module fixtures run once, on one worker

ROOT = Path(__file__).resolve().parents[2]
MONTHS = [f"2026-{m:02d}-01" for m in range(1, 13)]


def _submit(wdir: Path, region: str, by: str, volume: int, actions: list[tuple]) -> None:
    rec = workflow_files.append_event(wdir, by=by, action="submit", region_id=region)
    sub = wdir / "submissions" / region / str(rec["seq"])
    sub.mkdir(parents=True)
    pd.DataFrame({"region_id": region, "month": pd.to_datetime(MONTHS).date, "product_line": "白酒",
                  "volume": volume, "revenue": volume * 50.0}).to_parquet(sub / "targets.parquet")
    pd.DataFrame({"region_id": [region], "category": ["promotion"], "item": ["premiums"],
                  "amount": [1000.0]}).to_parquet(sub / "budget.parquet")
    pd.DataFrame(actions, columns=["action", "owner", "due", "cost", "note"]).assign(region_id=region).to_parquet(
        sub / "actions.parquet")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("scenarios")
    write_tiny_archive(base / "tiny.duckdb")
    (base / "scenarios").mkdir()
    (base / "scenarios" / "lean.yaml").write_text("targets:\n  stretch: 0.0\nbudget:\n  cap_ratio: 0.15\n",
                                                  encoding="utf-8")
    plan = base / "tiny.yaml"
    plan.write_text(PLAN_YAML + "scenarios: scenarios\n", encoding="utf-8")
    nb_dir = base / "nbs"
    nb_dir.mkdir()
    shutil.copy(ROOT / "notebooks" / "50_consolidate.py", nb_dir / "50_consolidate.py")
    runs_dir = base / "runs"
    wdir = runs_dir / "tiny-2026" / "workflow"
    wdir.mkdir(parents=True)
    workflow_files.append_event(wdir, by="王总", action="template")
    _submit(wdir, "K1", "张三", 10, [("春节堆头", "张三", pd.Timestamp("2026-01-20").date(), 3000.0, "")])
    _submit(wdir, "K2", "李四", 4, [("<script>x</script>品鉴会", "李四", pd.Timestamp("2026-09-10").date(), 500.0, "")])
    workflow_files.append_event(wdir, by="赵经理", action="approve", region_id="K1", note="同意")
    workflow_files.append_event(wdir, by="赵经理", action="return", region_id="K2", note="春节月份偏低")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(batch, "NOTEBOOKS_DIR", nb_dir)
        code = cli.main(["run", str(plan), "--regions", "C1", "K1", "--notebooks", "50_consolidate",
                         "--scenario", "base", "--scenario", "lean", "--runs-dir", str(runs_dir), "--workers", "1",
                         "--quiet"])
    plan_dir = runs_dir / "tiny-2026"
    run_dirs = sorted((p for p in plan_dir.iterdir() if (p / "manifest.json").exists()),
                      key=lambda p: json.loads((p / "manifest.json").read_text(encoding="utf-8"))["started"])
    return {"code": code, "plan": plan, "runs_dir": runs_dir, "runs": run_dirs,
            "pages": sorted(plan_dir.glob("compare-*/index.html"))}


def test_two_scenarios_run_into_their_own_folders_and_are_compared(runs):
    assert runs["code"] == 0
    manifests = [folder.read_manifest(r) for r in runs["runs"]]
    assert [m["scenario"] for m in manifests] == ["base", "lean"]
    assert len(runs["pages"]) == 1
    c = compare.compare_runs(runs["runs"])
    regions = [pd.read_parquet(folder.results_path(r, folder.RESULTS_REGIONS)).set_index("region_id")
               for r in runs["runs"]]
    rows = c.figures.set_index(["region_id", "measure"])
    for region in ("HQ", "C1", "K2"):
        for measure in ("target_volume", "budget", "profit_at_target"):
            assert rows.loc[(region, measure), "base"] == regions[0].loc[region, measure]
            assert rows.loc[(region, measure), "Δ lean"] == pytest.approx(
                regions[1].loc[region, measure] - regions[0].loc[region, measure])
    assumptions = c.assumptions.set_index("key")
    assert assumptions.loc["targets.stretch", "lean"] == "0"
    assert assumptions.loc["budget.cap_ratio", "lean"] == "0.15"
    page = runs["pages"][0].read_text(encoding="utf-8")
    assert "targets.stretch" in page and "情景对比" in page and HOSTILE_NAME not in page


def test_compare_command_on_existing_runs(runs, capsys):
    ids = [r.name for r in runs["runs"]]
    args = ["compare", str(runs["plan"]), *ids, "--runs-dir", str(runs["runs_dir"])]
    assert cli.main(args) == 0
    assert "comparison:" in capsys.readouterr().out
    assert cli.main(["compare", str(runs["plan"]), ids[0], "--runs-dir", str(runs["runs_dir"])]) == 2
    assert cli.main(["compare", str(runs["plan"]), ids[0], "nope", "--runs-dir", str(runs["runs_dir"])]) == 2


def test_consolidation_runs_for_the_parent_only_and_shows_the_workflow(runs):
    base = runs["runs"][0]
    done = {(e["region_id"], e["notebook"]): e["status"] for e in folder.read_manifest(base)["entries"]}
    assert done == {("C1", "50_consolidate"): "succeeded"}  # K1 has no planned children: no consolidation
    assert [s["step"] for s in folder.read_manifest(base)["plan_steps"]] == ["targets", "budget"]
    page = (folder.region_dir(base, "C1") / "50_consolidate.html").read_text(encoding="utf-8")
    for words in ("已批准", "已退回", "春节月份偏低", "赵经理", "春节堆头", "3,000", "按提报"):
        assert words in page
    assert "本节暂无内容" not in page  # said only when no child has submitted
    assert "<script>x</script>" not in page and HOSTILE_NAME not in page


def test_plan_document_from_a_run(runs, capsys):
    base = runs["runs"][0]
    args = ["plan", "document", str(runs["plan"]), "--run", base.name, "--region", "K2",
            "--runs-dir", str(runs["runs_dir"])]
    assert cli.main(args) == 0
    out = folder.region_dir(base, "K2")
    page, word = out / "K2-plan.html", out / "K2-plan.docx"
    assert str(word) in capsys.readouterr().out
    targets = pd.read_parquet(folder.results_path(base, folder.RESULTS_TARGETS))
    mine = targets[targets["region_id"].astype(str) == "K2"]
    total = mine[mine[["product_line", "sku", "channel", "terminal_class", "terminal_id",
                       "distributor_id"]].isna().all(axis=1)]["target_volume"].sum()
    budget = pd.read_parquet(folder.results_path(base, folder.RESULTS_BUDGET))
    spend = budget.loc[budget["region_id"].astype(str) == "K2", "amount"].sum()
    d = docx.Document(str(word))
    assert [p.text for p in d.paragraphs if p.style.name == "Heading 1"] == list(SECTION_HEADINGS)
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    assert f"{int(total):,}" in cells and f"{spend:,.2f}" in cells
    html = page.read_text(encoding="utf-8")
    assert HOSTILE_NAME not in html and "&lt;script&gt;" in html
    assert "<script>x</script>" not in html
    # the parent's document lists its children's actions and owners from the submissions
    assert cli.main(["plan", "document", str(runs["plan"]), "--run", base.name, "--region", "C1",
                     "--runs-dir", str(runs["runs_dir"]), "--out", str(runs["runs_dir"] / "docs")]) == 0
    parent = (runs["runs_dir"] / "docs" / "C1-plan.html").read_text(encoding="utf-8")
    assert "春节堆头" in parent and "张三" in parent and "已批准" in parent
