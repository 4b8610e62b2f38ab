"""Batch runs through real papermill kernels: failures isolated, success proven, reports escaped."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from planlib.run import batch
from planlib.errors import ParamsError, RunError
from tests.conftest import HOSTILE_NAME

pytestmark = pytest.mark.slow

PARAMS_CELL = (
    'region = "HQ"\nscenario = "base"\nparams_file = None\nrun_dir = None\ninteractive = True'
)

# fails, dies, exits early or sleeps for the regions named in environment variables; notes its worker's pid
PROBE = """\
import os, sys, time
from planlib.run import folder
if os.environ.get("PLANLIB_TEST_PIDS"):  # which worker process started this region's kernel
    with open(os.environ["PLANLIB_TEST_PIDS"], "a", encoding="utf-8") as pids:
        print(region, os.getppid(), file=pids, flush=True)
if region in os.environ.get("PLANLIB_TEST_SLOW", "").split(","):
    time.sleep(float(os.environ.get("PLANLIB_TEST_SLEEP", "60")))
if region in os.environ.get("PLANLIB_TEST_FAIL", "").split(","):
    raise ValueError(f"planned failure in {region}")
if region in os.environ.get("PLANLIB_TEST_DIE", "").split(","):
    os._exit(1)
if region in os.environ.get("PLANLIB_TEST_EXIT", "").split(","):
    sys.exit(0)
print("probe ran for", region)
"""


def write_probe(folder: Path, *, name: str = "90_probe", extra: str = "", cells: tuple[str, ...] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    params = new_code_cell(PARAMS_CELL)
    params.metadata["tags"] = ["parameters"]
    done = new_code_cell(f'folder.mark_complete(run_dir, region, "{name}")')
    done.metadata["tags"] = ["remove_cell"]
    nb = new_notebook(cells=[params, new_code_cell(PROBE + extra), *map(new_code_cell, cells), done])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _entries(result):
    return {e["region_id"]: e for e in result.manifest["entries"]}


def test_run_plan_review_archive_end_to_end(tiny_plan, tmp_path):
    result = batch.run_plan(
        tiny_plan, regions=["K1", "K2", "K3", "C1"], runs_root=tmp_path / "runs", run_id="r1", progress=False
    )
    entries = _entries(result)
    assert result.exit_code == 0, {k: v["error"] for k, v in entries.items()}
    assert set(entries) == {"K1", "K2", "K3", "C1"}
    assert all(e["status"] == "succeeded" for e in entries.values())
    run_dir = result.run_dir
    assert run_dir == tmp_path / "runs" / "tiny-2026" / "r1"
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["data_fingerprint"] and manifest["params_hash"] and manifest["code_version"]
    for region in ("K1", "K2", "K3", "C1"):
        assert (run_dir / "regions" / region / "params.resolved.yaml").exists()
    # only the five declared scalars were injected
    executed = nbformat.read(run_dir / "regions" / "K1" / "10_review_archive.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    names = [line.split("=")[0].strip() for line in injected[0].source.splitlines() if "=" in line]
    assert names == list(batch.INJECTED_PARAMETERS)
    # hostile names are escaped everywhere they are shown, and no code reaches the HTML
    pages = [run_dir / "index.html"] + sorted(run_dir.glob("regions/*/10_review_archive.html"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert '<script>alert("planlib")' not in text and "<img src=x onerror" not in text, page
    k2 = (run_dir / "regions" / "K2" / "10_review_archive.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in k2
    assert "open_workbook" not in k2 and "mark_complete" not in k2
    assert "济南市" in (run_dir / "index.html").read_text(encoding="utf-8")
    # a region with no sales history still gets a report that says so
    k3 = (run_dir / "regions" / "K3" / "10_review_archive.html").read_text(encoding="utf-8")
    assert "没有销售记录" in k3
    for said in ("看不出季节性", "销售额变动分解需要相邻两年的销售记录"):  # not an empty section
        assert said in k3, said
    assert "Warning" not in k3 and "nan%" not in k3
    # the parent's figures include its children's: C1's revenue table shows K1 + K2
    k1 = (run_dir / "regions" / "K1" / "10_review_archive.html").read_text(encoding="utf-8")
    assert "<img" in k1 and "data:image/png;base64" in k1  # figures embedded


def test_run_plan_one_failing_region_others_complete(tiny_plan, tmp_path, monkeypatch):
    nb_dir = tmp_path / "nbs"
    write_probe(nb_dir)
    monkeypatch.setenv("PLANLIB_TEST_FAIL", "K2")
    monkeypatch.setenv("PLANLIB_TEST_DIE", "K3")
    monkeypatch.setenv("PLANLIB_TEST_EXIT", "P1")
    result = batch.run_plan(
        tiny_plan, notebooks=["90_probe"], notebooks_dir=nb_dir, runs_root=tmp_path / "runs",
        run_id="r1", progress=False,
    )
    e = _entries(result)
    assert result.exit_code == 1
    assert {r for r, v in e.items() if v["status"] == "succeeded"} == {"HQ", "C1", "K1"}
    assert e["K2"]["error"]["ename"] == "ValueError" and "planned failure in K2" in e["K2"]["error"]["evalue"]
    # a kernel that dies mid-notebook is a failure, whatever papermill's metadata says
    assert e["K3"]["status"] == "failed"
    # sys.exit(0) skips the rest of the notebook: not a success either
    assert e["P1"]["status"] == "failed" and e["P1"]["error"]["ename"] in {"IncompleteRun", "SystemExit"}
    for region in ("K2", "K3", "P1"):
        assert (result.run_dir / "regions" / region / "90_probe.failed.ipynb").exists()
        assert not (result.run_dir / "regions" / region / "90_probe.html").exists()
    portal = (result.run_dir / "index.html").read_text(encoding="utf-8")
    assert "planned failure in K2" in portal and "失败：3" in portal


def test_failed_rerun_keeps_last_good_report(tiny_plan, tmp_path, monkeypatch):
    nb_dir = tmp_path / "nbs"
    write_probe(nb_dir)
    kwargs = dict(notebooks=["90_probe"], notebooks_dir=nb_dir, runs_root=tmp_path / "runs", progress=False,
                  regions=["K1", "K2"])
    first = batch.run_plan(tiny_plan, run_id="r1", **kwargs)
    assert first.exit_code == 0
    good = (first.run_dir / "regions" / "K1" / "90_probe.html").read_bytes()
    # same inputs: resume skips everything
    again = batch.run_plan(tiny_plan, resume=True, **kwargs)
    assert again.run_dir == first.run_dir and all(e.get("resumed") for e in again.manifest["entries"])
    # a changed notebook reruns; K1 now fails and keeps its last good report
    write_probe(nb_dir, extra="x = 1\n")
    monkeypatch.setenv("PLANLIB_TEST_FAIL", "K1")
    rerun = batch.run_plan(tiny_plan, resume=True, **kwargs)
    e = _entries(rerun)
    assert e["K1"]["status"] == "failed" and e["K2"]["status"] == "succeeded"
    assert (rerun.run_dir / "regions" / "K1" / "90_probe.html").read_bytes() == good
    assert e["K1"]["html"] == "regions/K1/90_probe.html"


def test_check_notebook_parameters_requires_the_five_names(tmp_path):
    path = write_probe(tmp_path)
    batch.check_notebook_parameters(path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = 'region = "HQ"'
    nbformat.write(nb, path)
    with pytest.raises(RunError, match="lacks"):
        batch.check_notebook_parameters(path)


def test_run_plan_rejects_unknown_regions_and_notebooks(tiny_plan, tmp_path):
    with pytest.raises(ParamsError, match="unknown region ids"):
        batch.run_plan(tiny_plan, regions=["NOPE"], runs_root=tmp_path / "runs", progress=False)
    with pytest.raises(ParamsError, match="not a notebook"):
        batch.run_plan(tiny_plan, notebooks=["../../etc/passwd"], runs_root=tmp_path / "runs", progress=False)


def test_select_regions_scope_and_level(tiny_plan):
    from planlib.archive import store as archive
    from planlib import params

    plan = params.load_plan(tiny_plan)
    tree = archive.load_tree(plan.archive)
    assert batch.select_regions(plan, tree, level="county") == ["K3", "K2", "K1"]
    order = batch.select_regions(plan, tree)
    assert order[-1] == "HQ" and order.index("C1") > order.index("K1")


def test_run_plan_writes_exact_targets_and_reports(tiny_plan, tmp_path):
    import openpyxl
    import pandas as pd

    from planlib import targets as allocation
    from planlib.archive import store as archive

    result = batch.run_plan(
        tiny_plan, notebooks=["20_split_targets"], regions=["HQ", "C1", "K1", "K2", "K3"],
        runs_root=tmp_path / "runs", run_id="r1", progress=False,
    )
    entries = _entries(result)
    assert result.exit_code == 0, {k: v["error"] for k, v in entries.items()}
    (step,) = result.manifest["plan_steps"]
    assert step["status"] == "succeeded" and "results/targets.parquet" in step["outputs"]
    table = pd.read_parquet(result.run_dir / "results" / "targets.parquet")
    tree = archive.load_tree(tiny_plan.parent / "tiny.duckdb")
    allocation.validate_targets(table, tree)  # raises unless every split re-aggregates exactly
    totals = table[allocation.breakdown_of(table) == "total"]
    by_region = totals.groupby("region_id")["target_volume"].sum()
    assert by_region["C1"] == by_region["K1"] + by_region["K2"] + by_region["K3"]
    assert by_region["HQ"] == by_region["P1"] == by_region["C1"]
    book = openpyxl.load_workbook(result.run_dir / "tiny-2026-targets.xlsx", read_only=True)
    assert len(book.sheetnames) >= 2
    k2 = (result.run_dir / "regions" / "K2" / "20_split_targets.html").read_text(encoding="utf-8")
    assert '<script>alert("planlib")' not in k2 and "&lt;img src=x onerror=alert(1)&gt;" in k2
    hq = (result.run_dir / "regions" / "HQ" / "20_split_targets.html").read_text(encoding="utf-8")
    assert "利润" in hq and "一律+20%" in hq and "利润 profit" not in hq  # one language


# -- runs that die or collide (#12) ---------------------------------------------------------

RUN_SCRIPT = """\
import sys
from planlib.run import batch
result = batch.run_plan(sys.argv[1], notebooks=["90_probe"], notebooks_dir=sys.argv[2], runs_root=sys.argv[3],
                        regions=sys.argv[4].split(","), workers=2, progress=False)
print(result.run_dir, flush=True)
sys.exit(result.exit_code)
"""


def _start_run(tiny_plan, nb_dir, runs, regions, env):
    import os
    import subprocess
    import sys

    import signal

    def interactive_signals() -> None:
        # a run started at a terminal: SIGINT at its default (Ctrl-C raises KeyboardInterrupt). A child
        # inherits an ignored SIGINT, and Python then keeps it ignored; the test process may have had it
        # ignored by code it ran before (a pytest-xdist worker after other tests), so it is reset here
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    return subprocess.Popen([sys.executable, "-c", RUN_SCRIPT, str(tiny_plan), str(nb_dir), str(runs), regions],
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=interactive_signals)


def _descendants_once_kernels_run(proc, n_kernels: int, timeout: float = 120.0):
    """The run's worker, kernel and resource-tracker processes, once ``n_kernels`` kernels run."""
    import time

    psutil = pytest.importorskip("psutil")
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        kids = parent.children(recursive=True)
        kernels = [k for k in kids if "ipykernel" in " ".join(_cmdline(k))]
        if len(kernels) >= n_kernels:
            time.sleep(1.0)  # the kernels are executing their sleeping cell now
            return parent.children(recursive=True)
        time.sleep(0.3)
    raise AssertionError("the run's kernels never started")


def _cmdline(proc):
    try:
        return proc.cmdline()
    except Exception:  # gone already
        return []


def _all_gone(procs, timeout: float = 15.0) -> list:
    import time

    psutil = pytest.importorskip("psutil")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return []
        time.sleep(0.3)
    return [(p.pid, _cmdline(p)) for p in alive]


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_a_stopped_run_stops_its_workers_and_says_interrupted(tiny_plan, tmp_path, signum):
    import signal

    from planlib.archive import store
    from planlib.errors import DataError
    from planlib.run import folder

    nb_dir, runs = tmp_path / "nbs", tmp_path / "runs"
    write_probe(nb_dir)
    proc = _start_run(tiny_plan, nb_dir, runs, "K1,K2,K3,C1,P1,HQ", {"PLANLIB_TEST_SLOW": "K1,K2,K3"})
    try:
        procs = _descendants_once_kernels_run(proc, 2)
        # the run holds the archive for reading: an import now is refused
        with pytest.raises(DataError, match="a run is reading the archive"), \
                store.writing(tiny_plan.parent / "tiny.duckdb"):
            pass
        proc.send_signal(getattr(signal, signum))
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode != 0
    assert _all_gone(procs) == []  # no worker, kernel or resource tracker left executing
    (run_dir,) = (runs / "tiny-2026").iterdir()
    manifest = folder.read_manifest(run_dir)
    assert manifest["status"] == "interrupted" and manifest["interrupted"]["signal"] == signum
    assert manifest["finished"] is None and manifest["entries"] == []
    page = folder.portal_path(run_dir).read_text(encoding="utf-8")
    assert "已中断" in page and "成功：0" in page and "未运行：6" in page
    # nothing was written after the stop: no report of a region the run never recorded
    assert list(run_dir.glob("regions/*/90_probe.html")) == []


def test_a_killed_run_takes_its_workers_along_and_resume_finds_it_interrupted(tiny_plan, tmp_path):
    from planlib.run import folder

    nb_dir, runs = tmp_path / "nbs", tmp_path / "runs"
    write_probe(nb_dir)
    proc = _start_run(tiny_plan, nb_dir, runs, "K1,K2,K3", {"PLANLIB_TEST_SLOW": "K1,K2,K3"})
    try:
        procs = _descendants_once_kernels_run(proc, 2)
        proc.kill()  # SIGKILL: no handler runs
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert _all_gone(procs) == []
    (run_dir,) = (runs / "tiny-2026").iterdir()
    assert folder.read_manifest(run_dir)["finished"] is None
    assert folder.run_status(run_dir) == "interrupted"
    resumed = batch.run_plan(tiny_plan, notebooks=["90_probe"], notebooks_dir=nb_dir, runs_root=runs,
                             regions=["K1", "K2", "K3"], resume=True, progress=False)
    assert resumed.run_dir == run_dir and resumed.exit_code == 0
    assert resumed.manifest["status"] == "finished"
    assert [a["status"] for a in resumed.manifest["attempts"]] == ["interrupted"]


def test_two_runs_of_a_plan_started_together_each_get_their_own_folder(tiny_plan, tmp_path):
    nb_dir, runs = tmp_path / "nbs", tmp_path / "runs"
    write_probe(nb_dir)
    procs = [_start_run(tiny_plan, nb_dir, runs, "K1", {}) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]
    folders = {out.strip() for out, _ in outs}
    assert len(folders) == 2 and {Path(f).parent for f in folders} == {runs / "tiny-2026"}


@pytest.mark.parametrize("name", ["../x", "../../etc/passwd", "/abs/path", "10_review_archive.ipynb", "x"])
def test_notebook_names_are_names_not_paths(tiny_plan, tmp_path, name):
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(ParamsError, match="not a notebook name"):
        batch.run_plan(tiny_plan, notebooks=[name], runs_root=tmp_path / "runs", progress=False)
    assert sorted(tmp_path.rglob("*")) == before  # nothing written (no folder, no log), inside the run or out
    assert not (tmp_path.parent / "x.kernel.log").exists()


def test_timeout_bounds_the_whole_notebook_not_each_cell(tiny_plan, tmp_path):
    nb_dir = tmp_path / "nbs"
    write_probe(nb_dir, cells=("time.sleep(1.5)", "time.sleep(1.5)"))
    tiny_plan.write_text(tiny_plan.read_text(encoding="utf-8").replace("timeout_seconds: 300", "timeout_seconds: 2"),
                         encoding="utf-8")
    result = batch.run_plan(tiny_plan, notebooks=["90_probe"], notebooks_dir=nb_dir, regions=["K1"],
                            runs_root=tmp_path / "runs", progress=False)
    (entry,) = result.manifest["entries"]
    assert entry["status"] == "failed" and entry["error"]["ename"] == "Timeout", entry
    assert "2 s" in entry["error"]["evalue"]
    assert entry["seconds"] < 30


def test_a_bad_region_file_stops_the_run_before_any_notebook(tiny_plan, tmp_path):
    (tmp_path / "regions").mkdir()
    (tmp_path / "regions" / "K2.yaml").write_text("analysis:\n  history_years: many\n", encoding="utf-8")
    tiny_plan.write_text(tiny_plan.read_text(encoding="utf-8") + "region_overrides: regions\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"K2\.yaml:2: analysis\.history_years"):
        batch.run_plan(tiny_plan, runs_root=tmp_path / "runs", progress=False)
    assert not (tmp_path / "runs").exists()


def test_a_failed_findings_step_blocks_no_review(tiny_plan, tmp_path, monkeypatch, capsys):
    """The plan-wide quality check fails: every review still runs (it checks its own region); the CLI says so once."""
    from planlib import cli
    from planlib.archive import sales_checks

    nb_dir = tmp_path / "nbs"
    write_probe(nb_dir, name="10_review_archive")

    def broken(self):
        raise RuntimeError("the check cannot read the archive")

    monkeypatch.setattr(sales_checks.SalesChecks, "run", broken)  # in this process only: the step, not the kernels
    monkeypatch.setattr(batch, "NOTEBOOKS_DIR", nb_dir)
    code = cli.main(["run", str(tiny_plan), "--notebooks", "10_review_archive", "--regions", "K1", "K2",
                     "--runs-dir", str(tmp_path / "runs"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 0
    assert err.count("the plan's findings step failed: RuntimeError: the check cannot read the archive; "
                     "each review checked its own region instead") == 1
    run_dir = next((tmp_path / "runs").glob("*/*"))
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert [(s["step"], s["status"]) for s in manifest["plan_steps"]] == [("findings", "failed")]
    assert sorted((e["region_id"], e["status"]) for e in manifest["entries"]) == [("K1", "succeeded"), ("K2", "succeeded")]
    assert not (run_dir / "results" / "findings.parquet").exists()


class _Pool:
    """Arrow's memory pool as the batch sees it: when its unused memory was handed back, which reports existed."""

    def __init__(self, runs: Path):
        self.runs, self.reports_then = runs, []

    def release_unused(self):
        self.reports_then.append(sorted(p.name for p in self.runs.rglob("regions/*/*.html")))


def test_the_batch_hands_back_the_memory_its_steps_read_before_the_notebooks_run(tiny_plan, tmp_path, monkeypatch):
    """The plan-wide steps and the portal's figures read through Arrow; its pool keeps the memory unless told."""
    pool = _Pool(tmp_path / "runs")
    monkeypatch.setattr(batch.pa, "default_memory_pool", lambda: pool)
    result = batch.run_plan(tiny_plan, regions=["K1"], notebooks=["20_split_targets"], runs_root=tmp_path / "runs",
                            progress=False)
    assert [(s["step"], s["status"]) for s in result.manifest["plan_steps"]] == [("targets", "succeeded")]
    assert [e["status"] for e in result.manifest["entries"]] == ["succeeded"]
    assert pool.reports_then == [[]]  # once, after the steps, before any report


def test_a_failed_plan_step_stops_the_notebooks_that_need_it_before_they_start(tiny_plan, tmp_path, monkeypatch,
                                                                             capsys):
    """The targets step fails once: its notebooks are not started one by one; the others run; the CLI says why once."""
    from planlib import cli, targets
    from planlib.errors import SplitError

    nb_dir = tmp_path / "nbs"
    write_probe(nb_dir, name="20_split_targets")
    write_probe(nb_dir, name="90_probe")

    def broken(*args, **kwargs):
        raise SplitError("splitting P1 over by 1")

    monkeypatch.setattr(targets, "plan_targets", broken)
    monkeypatch.setattr(batch, "NOTEBOOKS_DIR", nb_dir)
    code = cli.main(["run", str(tiny_plan), "--notebooks", "20_split_targets", "90_probe", "--regions", "K1", "K2",
                     "--runs-dir", str(tmp_path / "runs"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("the plan's targets step failed: SplitError: splitting P1 over by 1") == 1
    assert "2 reports that need it were not run" in err and "FAILED" not in err
    run_dir = next((tmp_path / "runs").glob("*/*"))
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    by = {(e["region_id"], e["notebook"]): e for e in manifest["entries"]}
    for region in ("K1", "K2"):
        blocked = by[(region, "20_split_targets")]
        assert blocked["status"] == "failed" and blocked["error"]["ename"] == "PlanStepFailed"
        assert not (run_dir / "regions" / region / "20_split_targets.failed.ipynb").exists()  # no kernel started
        assert by[(region, "90_probe")]["status"] == "succeeded"


def test_the_cli_prints_the_plan_steps_warnings_after_the_run(tiny_plan, tmp_path, monkeypatch, capsys):
    """A step's warnings (split on purpose, but the planner should know) were only in the manifest."""
    import warnings

    from planlib import cli, targets
    from planlib.errors import PlanWarning

    nb_dir = tmp_path / "nbs"
    write_probe(nb_dir, name="20_split_targets")
    original = targets.plan_targets

    def warned(*args, **kwargs):
        for i in range(7):
            warnings.warn(f"warning number {i}", PlanWarning, stacklevel=2)
        return original(*args, **kwargs)

    monkeypatch.setattr(targets, "plan_targets", warned)
    monkeypatch.setattr(batch, "NOTEBOOKS_DIR", nb_dir)
    code = cli.main(["run", str(tiny_plan), "--notebooks", "20_split_targets", "--regions", "K1",
                     "--runs-dir", str(tmp_path / "runs"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 0
    assert [line for line in err.splitlines() if "step warns" in line] == [
        f"  the plan's targets step warns: warning number {i}" for i in range(5)]
    run_dir = next(p for p in (tmp_path / "runs").glob("*/*") if (p / "manifest.json").exists())
    said = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))["plan_steps"][0]["warnings"]
    assert said[:7] == [f"warning number {i}" for i in range(7)]  # and the tiny plan's own
    assert f"  … and {len(set(said)) - 5} more warnings of the targets step in {run_dir / 'manifest.json'}" in err


def test_a_region_below_the_plans_levels_gets_no_targets_or_budget_report_and_is_told_why(tiny_plan, tmp_path, capsys):
    """A township asked for by id read "2027 年目标销量 0 箱 … 比去年 -100.0%" and a budget page of broken sentences:
    below the plan's levels a region has neither; the run says so instead of writing those pages."""
    from planlib import cli
    from planlib.run import folder

    text = tiny_plan.read_text(encoding="utf-8").replace("levels: [hq, province, city, county]", "levels: [hq, province, city]")
    tiny_plan.write_text(text, encoding="utf-8")
    code = cli.main(["run", str(tiny_plan), "--regions", "K1", "--notebooks", "20_split_targets", "30_build_budget",
                     "--runs-dir", str(tmp_path / "runs"), "--quiet"])
    out = capsys.readouterr()
    assert code == 0
    assert "0/0 reports succeeded" in out.out
    assert ("20_split_targets, 30_build_budget not run for 1 region(s) below the plan's levels (scope.levels), which have "
            "no target or budget of their own: K1") in out.err
    run_dir = next((tmp_path / "runs" / "tiny-2026").glob("2*"))
    assert folder.read_manifest(run_dir)["planned"] == {"K1": []}
