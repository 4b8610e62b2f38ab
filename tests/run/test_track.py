"""Tracking runs (#13): a signed plan run followed against the actuals, through real papermill kernels."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import pandas as pd
import pytest

from planlib import cli
from planlib.errors import ParamsError
from planlib.run import batch, folder, track
from tests.conftest import PLAN_YAML, write_tiny_archive
from tests.run.test_batch import write_probe

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("track")]  # the signed plan run is made once, on one worker


def test_tracking_options_are_checked_before_anything_runs():
    with pytest.raises(ParamsError, match="needs --as-of DATE"):
        track.check_tracking_options(["40_track_results"], None, 2026)
    with pytest.raises(ParamsError, match="outside the plan year 2026"):
        track.check_tracking_options(["40_track_results"], dt.date(2027, 1, 1), 2026)
    with pytest.raises(ParamsError, match="run on their own"):
        track.check_tracking_options(["20_split_targets", "40_track_results"], dt.date(2026, 3, 31), 2026)
    with pytest.raises(ParamsError, match="only tracking notebooks"):
        track.check_tracking_options(["20_split_targets"], dt.date(2026, 3, 31), 2026)
    track.check_tracking_options(["40_track_results"], dt.date(2026, 12, 31), 2026)  # the last day is inside


def _add_actuals(archive_path, factors={"K1": 1.2, "K2": 0.8}, months=(1, 2, 3)):
    """Own monthly sales of 2026 (the tiny plan's year): last year's months scaled per county."""
    con = duckdb.connect(str(archive_path))
    for region, f in factors.items():
        for m in months:
            con.execute(
                "INSERT INTO sales SELECT date + INTERVAL 1 YEAR, grain, region_id, sku, channel, brand, terminal_id, "
                "distributor_id, round(volume * ?, 1), round(revenue * ?, 2) FROM sales "
                "WHERE brand = 'own' AND region_id = ? AND date = ?", [f, f, region, dt.date(2025, m, 1)])
    con.close()


@pytest.fixture(scope="module")
def signed_runs(tmp_path_factory):
    """
    A finished plan run (targets and budget steps; a probe stands in for the budget report) of the
    tiny plan, made once for the module in its own folder: its runs folder, which tests copy.
    """
    base = tmp_path_factory.mktemp("signed")
    write_tiny_archive(base / "tiny.duckdb")
    plan = base / "tiny.yaml"
    plan.write_text(PLAN_YAML, encoding="utf-8")
    write_probe(base / "nbs", name="30_build_budget")
    result = batch.run_plan(plan, notebooks=["30_build_budget"], regions=["K1"], notebooks_dir=base / "nbs",
                            runs_root=base / "runs", run_id="plan1", progress=False)
    assert result.exit_code == 0
    return base / "runs"


@pytest.fixture()
def signed(tiny_plan, tmp_path, signed_runs):
    """That plan run, copied beside this test's tiny plan (the same archive and plan file, written the same way)."""
    shutil.copytree(signed_runs, tmp_path / "runs")
    return tmp_path / "runs" / "tiny-2026" / "plan1"


def test_a_plan_without_actuals_says_so_and_exits_2(tiny_plan, signed, tmp_path, capsys):
    code = cli.main(["run", str(tiny_plan), "--as-of", "2026-03-31", "--runs-dir", str(tmp_path / "runs"), "--quiet"])
    assert code == 2
    assert "no actuals for the plan year 2026 up to 2026-03-31" in capsys.readouterr().err
    # no run folder made (the plan's fit cache, .cache, is not a run)
    assert sorted(p.name for p in (tmp_path / "runs" / "tiny-2026").iterdir() if not p.name.startswith(".")) == ["plan1"]


def test_signed_plan_run_is_the_latest_with_targets_and_budget(tiny_plan, signed, tmp_path):
    runs = tmp_path / "runs"
    assert track.signed_plan_run(runs, "tiny-2026") == signed
    assert track.signed_plan_run(runs, "tiny-2026", "plan1") == signed
    with pytest.raises(ParamsError, match=r"--plan-run nope: .* does not exist; the latest that can be tracked is plan1"):
        track.signed_plan_run(runs, "tiny-2026", "nope")
    with pytest.raises(ParamsError, match="no plan run of other-2026"):
        track.signed_plan_run(runs, "other-2026")


def test_a_tracking_run_follows_the_signed_plan_and_reaggregates(tiny_plan, signed, tmp_path, capsys):
    _add_actuals(tiny_plan.parent / "tiny.duckdb")
    code = cli.main(["run", str(tiny_plan), "--as-of", "2026-03-31", "--regions", "K1", "K2", "C1",
                     "--runs-dir", str(tmp_path / "runs"), "--quiet"])
    out = capsys.readouterr()
    assert code == 0, out.err
    run_dir = folder.latest_run(tmp_path / "runs" / "tiny-2026", kind=folder.RUN_TRACKING)
    manifest = folder.read_manifest(run_dir)
    assert manifest["kind"] == "tracking" and manifest["as_of"] == "2026-03-31" and manifest["plan_run"] == "plan1"
    # the signed plan's tables are copied, byte for byte, never recomputed
    for t in track.SIGNED_TABLES:
        assert (run_dir / "results" / t).read_bytes() == (signed / "results" / t).read_bytes()
    assert manifest["signed"] == track.signed_hashes(signed)
    lines = pd.read_parquet(run_dir / "results" / "tracking.parquet")
    assert lines["person_id"].isna().all()  # no people in the tiny archive: every line is a region's
    total = lines[(lines["breakdown"] == "total") & (lines["measure"] == "volume")]
    by = total.groupby("region_id", observed=True)[["target", "actual"]].sum()
    # a parent's actual and target are its children's sums
    assert by.loc["C1", "actual"] == pytest.approx(by.loc[["K1", "K2", "K3"], "actual"].sum(), abs=1e-9)
    assert by.loc["C1", "target"] == by.loc[["K1", "K2", "K3"], "target"].sum()
    # K1 sold last year's months x 1.2, K2 x 0.8: the actuals are those rows
    con = duckdb.connect(str(tiny_plan.parent / "tiny.duckdb"), read_only=True)
    k1 = con.execute("SELECT sum(volume) FROM sales WHERE brand='own' AND region_id='K1' AND year(date)=2026").fetchone()[0]
    con.close()
    assert by.loc["K1", "actual"] == pytest.approx(k1)
    summary = pd.read_parquet(run_dir / "results" / "tracking_summary.parquet")
    vol = summary[summary["measure"] == "volume"].set_index("region_id")
    assert vol.loc["K1", "actual_to_date"] > vol.loc["K2", "actual_to_date"]
    assert (run_dir / "results" / "kpi.parquet").exists()
    flags = next(s["flags"] for s in manifest["plan_steps"] if s["step"] == "tracking")
    assert "budget_flag" not in flags["K1"]  # the tiny archive has no expenses and no budget to overspend
    # the reports and the portal: completion per region, links back to the signed plan
    for region in ("K1", "K2", "C1"):
        html = (run_dir / "regions" / region / "40_track_results.html").read_text(encoding="utf-8")
        assert "序时进度" in html and "截至 2026年03月31日" in html
    portal = (run_dir / "index.html").read_text(encoding="utf-8")
    assert "执行跟踪 截至 2026-03-31" in portal and 'href="../plan1/index.html"' in portal
    assert f"{100 * vol.loc['K1', 'completion_to_date']:.1f}%" in portal
    # the tracking's own workbook: its sheets in words and with number formats
    import openpyxl

    book = openpyxl.load_workbook(run_dir / "tiny-2026-tracking.xlsx")
    assert {"跟踪汇总", "月度跟踪", "阶段目标", "费用控制"} <= set(book.sheetnames)
    ws = book["跟踪汇总"]
    header = [c.value for c in ws[1]]
    k1 = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "K1" and r[header.index("指标")].value == "销量（箱）")
    assert k1[header.index("序时完成率")].number_format == "0.0%"
    assert k1[header.index("实际完成")].value == pytest.approx(vol.loc["K1", "actual_to_date"])
    assert ws.freeze_panes == "C2"  # the header row and the region's id and name
    # --resume of the plan never continues the tracking run
    assert folder.latest_run(tmp_path / "runs" / "tiny-2026", kind=folder.RUN_PLAN) == signed
