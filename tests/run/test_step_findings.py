"""The plan-wide quality check: written once per run, kept while the archive is unchanged, each review reading its rows."""

from __future__ import annotations

import pandas as pd
import pytest

from planlib import params
from planlib.archive import quality
from planlib.archive import store as archive
from planlib.run import folder, step_findings, steps
from planlib.run.schedule import blocked_tasks

pytestmark = pytest.mark.xdist_group("step_findings")  # the module fixture is built once, on one worker


@pytest.fixture(scope="module")
def run(tmp_path_factory, demo_plan):
    con = archive.connect(demo_plan.parent.parent / "data" / "demo.duckdb")
    tree = archive.load_tree(con)
    plan = params.load_plan(demo_plan, tree=tree)
    run_dir = tmp_path_factory.mktemp("plans") / plan.plan_id / "r1"
    run_dir.mkdir(parents=True)
    done = steps.plan_steps(plan, tree, run_dir, ["10_review_archive"], {"county": ["x"]})
    yield {"plan": plan, "tree": tree, "con": con, "run_dir": run_dir, "steps": done}
    con.close()


def test_a_review_run_checks_the_archive_once_and_lists_the_findings(run):
    (step,) = run["steps"]  # no targets notebook: the findings step alone
    assert step["step"] == "findings" and step["status"] == "succeeded", step
    assert step["outputs"] == ["results/findings.parquet", "results/findings_regions.parquet"]
    tree = run["tree"]
    reported = {r for r in tree.ids if tree.level(r) != "township"}
    assert step["covered"] == len(reported) == 57
    written = pd.read_parquet(folder.results_path(run["run_dir"], folder.RESULTS_FINDINGS))
    pd.testing.assert_frame_equal(quality.as_findings(written),
                                  quality.check_archive(run["con"], region_id=run["plan"].scope.root, tree=tree))


@pytest.mark.parametrize("region", ["HQ", "P02", "P02C03", "P02C03K01", "P01C01K02", "P01C01K01"])
def test_a_region_reads_exactly_its_own_check(run, region):
    got = step_findings.load_region_findings(run["run_dir"], run["tree"], region)
    want = quality.check_archive(run["con"], region_id=region, tree=run["tree"])
    pd.testing.assert_frame_equal(got, want)


def test_without_a_run_or_a_covered_region_or_the_results_the_review_checks_itself(run, tmp_path):
    tree = run["tree"]
    township = next(r for r in tree.ids if tree.level(r) == "township")
    assert step_findings.load_region_findings(None, tree, "HQ") is None  # JupyterLab
    assert step_findings.load_region_findings(run["run_dir"], tree, township) is None
    assert step_findings.load_region_findings(tmp_path, tree, "HQ") is None  # a run without the step
    broken = tmp_path / "broken"
    folder.results_dir(broken).mkdir(parents=True)
    folder.results_path(broken, folder.RESULTS_FINDINGS_REGIONS).write_bytes(b"not parquet")
    assert step_findings.load_region_findings(broken, tree, "HQ") is None


def test_a_rerun_on_the_same_archive_reads_the_kept_check(run, tmp_path, monkeypatch):
    def fail(self):
        raise AssertionError("checked again")

    again = run["run_dir"].parent / "r2"  # the same plan folder: its .cache
    again.mkdir()
    monkeypatch.setattr(quality.SalesChecks, "run", fail)
    (step,) = steps.plan_steps(run["plan"], run["tree"], again, ["10_review_archive"], {"county": ["x"]})
    assert step["status"] == "succeeded", step
    for name in (folder.RESULTS_FINDINGS, folder.RESULTS_FINDINGS_REGIONS):
        assert folder.results_path(again, name).read_bytes() == folder.results_path(run["run_dir"], name).read_bytes()
    elsewhere = tmp_path / "other-plan" / "r1"  # another cache folder: checked, and here it fails
    elsewhere.mkdir(parents=True)
    (step,) = steps.plan_steps(run["plan"], run["tree"], elsewhere, ["10_review_archive"], {"county": ["x"]})
    assert step["status"] == "failed" and "checked again" in step["error"]["evalue"]
    assert step_findings.load_region_findings(elsewhere, run["tree"], "HQ") is None


def test_a_resumed_run_whose_check_fails_keeps_no_earlier_findings(run, tmp_path, monkeypatch):
    import shutil

    resumed = tmp_path / "plan" / "r1"
    shutil.copytree(run["run_dir"], resumed)  # the first attempt's results, then the archive changed
    assert step_findings.load_region_findings(resumed, run["tree"], "HQ") is not None

    def fail(self):
        raise RuntimeError("the archive cannot be read")

    monkeypatch.setattr(quality.SalesChecks, "run", fail)
    (step,) = steps.plan_steps(run["plan"], run["tree"], resumed, ["10_review_archive"], {"county": ["x"]})
    assert step["status"] == "failed"
    assert step_findings.load_region_findings(resumed, run["tree"], "HQ") is None  # the review checks itself
    assert not folder.results_path(resumed, folder.RESULTS_FINDINGS).exists()


def test_a_failed_check_blocks_no_review(run):
    failed = [{"step": "findings", "status": "failed", "error": {"ename": "DataError", "evalue": "x"}}]
    waves = {3: [{"region_id": "P01C01K01", "notebook": "10_review_archive"}]}
    assert list(blocked_tasks(failed, waves)) == []
    assert waves[3] == [{"region_id": "P01C01K01", "notebook": "10_review_archive"}]
    assert step_findings.load_region_findings(folder.results_dir(run["run_dir"]).parent / "nothing", run["tree"], "HQ") is None


def test_no_review_no_check(run, tmp_path):
    done = steps.plan_steps(run["plan"], run["tree"], tmp_path, ["40_track_results"], {"county": ["x"]})
    assert done == []
    assert steps.plan_steps(run["plan"], run["tree"], tmp_path, ["10_review_archive"], {}) == []
