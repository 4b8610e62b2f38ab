"""The plan-wide steps' results the reports read: written once, read back equal to computing them, one region's rows at a time."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from planlib import budget, params, targets
from planlib.archive import store as archive
from planlib.run import folder, step_targets, steps
from planlib.targets.region import view_regions

pytestmark = pytest.mark.xdist_group("step_results")  # the module fixtures are built once, on one worker

ROOT = Path(__file__).resolve().parents[2]
REGIONS = ("HQ", "P01", "P01C01", "P01C01K01")


@pytest.fixture(scope="module")
def run(tmp_path_factory, demo_plan):
    con = archive.connect(demo_plan.parent.parent / "data" / "demo.duckdb")
    tree = archive.load_tree(con)
    plan = params.load_plan(demo_plan, tree=tree)
    run_dir = tmp_path_factory.mktemp("run")
    done = steps.plan_steps(plan, tree, run_dir, ["20_split_targets", "30_build_budget"], {"county": ["x"]})
    assert [s["status"] for s in done] == ["succeeded", "succeeded"], done
    yield {"plan": plan, "tree": tree, "con": con, "run_dir": run_dir, "steps": done}
    con.close()


def test_report_files_are_written_but_not_listed_as_outputs(run):
    names = {p.name for p in folder.results_dir(run["run_dir"]).iterdir()}
    mine = {folder.RESULTS_TARGETS_BY_REGION, folder.RESULTS_BUDGET_BY_REGION, folder.RESULTS_CHOICES,
            folder.RESULTS_SPLIT_BACKTEST, folder.RESULTS_SEASONALITY_BACKTEST, folder.RESULTS_RESPONSE,
            folder.RESULTS_RESPONSE_CURVES, folder.RESULTS_RESPONSE_DETAIL}
    assert mine <= names
    listed = {o.rsplit("/", 1)[-1] for s in run["steps"] for o in s["outputs"]}
    assert not mine & listed  # the portal links the outputs; these are the reports' own


def test_choices_round_trip_equal_to_computing_them(run):
    plan, tree, con = run["plan"], run["tree"], run["con"]
    split, season = step_targets.load_choices(run["run_dir"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want_split = targets.split_choice(plan, tree, con)
        econ = targets.region_economics(con, tree, plan.scope.root, plan.year)
        want_season = targets.plan_month_shares(econ.monthly, plan.year, plan.split.seasonality)
    assert (split.method, split.asked, split.reading) == (want_split.method, want_split.asked, want_split.reading)
    pd.testing.assert_frame_equal(split.backtest, want_split.backtest)
    assert (season.seasonality, season.asked, season.reading) == (want_season.seasonality, want_season.asked,
                                                                   want_season.reading)
    pd.testing.assert_frame_equal(season.backtest, want_season.backtest)
    pd.testing.assert_series_equal(season.shares, want_season.shares)


def test_response_round_trips_equal_to_plan_response(run):
    plan, tree, con = run["plan"], run["tree"], run["con"]
    got = folder.load_response(run["run_dir"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = budget.plan_response(plan, tree, con)
    assert not want["curves"].empty  # the demo has activities: the comparison means something
    assert got["margin_rate"] == want["margin_rate"]
    assert got["limits"] == want["limits"]
    pd.testing.assert_frame_equal(got["curves"], want["curves"])
    pd.testing.assert_frame_equal(got["detail"], want["detail"])


@pytest.mark.parametrize("region", REGIONS)
def test_region_targets_are_the_whole_table_filtered(run, region):
    tree, run_dir = run["tree"], run["run_dir"]
    full = folder.load_targets(run_dir)
    step = step_targets.load_region_targets(run_dir, tree, region)
    ids = view_regions(tree, region)
    want = full[full["region_id"].isin(ids)].reset_index(drop=True)
    pd.testing.assert_frame_equal(step.table, want)  # rows, order, dtypes (categories included)
    # the region's view is the same from its rows as from the whole table
    a = targets.region_view(full, tree, region)
    b = targets.region_view(step.table, tree, region)
    for name in ("months", "quarters", "children", "terminals"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.breakdowns.keys() == b.breakdowns.keys()
    for dim in a.breakdowns:
        pd.testing.assert_frame_equal(a.breakdowns[dim], b.breakdowns[dim])
    # and the children's baselines, when the step wrote them, are those the report fits for its
    # planned children (a county's townships have no targets of their own: its report shows no children)
    assert step.baselines is not None  # the demo reconciles with the children's own trend
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want_b = targets.children_baselines(run["con"], tree, region, run["plan"].year, table=full)
    planned = list(a.children["region_id"])
    assert set(step.baselines.index) <= set(want_b.index)
    pd.testing.assert_frame_equal(targets.region_view(full, tree, region, baselines=want_b).children,
                                  targets.region_view(step.table, tree, region, baselines=step.baselines).children)
    if planned:
        pd.testing.assert_series_equal(step.baselines, want_b)


@pytest.mark.parametrize("region", REGIONS)
def test_region_budget_is_the_whole_budget_filtered(run, region):
    tree, run_dir = run["tree"], run["run_dir"]
    table, regions, methods = folder.load_budget(run_dir)
    step = folder.load_region_budget(run_dir, tree, region)
    ids = {region, *tree.children(region)}
    for got, whole in ((step.table, table), (step.regions, regions), (step.methods, methods)):
        pd.testing.assert_frame_equal(got, whole[whole["region_id"].isin(ids)].reset_index(drop=True))
    a = budget.region_budget(table, regions, methods, tree, region)
    b = budget.region_budget(step.table, step.regions, step.methods, tree, region)
    pd.testing.assert_series_equal(a.summary, b.summary)
    for name in ("by_category", "by_item", "months", "methods", "children", "terminals", "basis"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_read_by_region_prunes_and_keeps_order(tmp_path):
    n = 100_000
    rng = np.random.default_rng(0)
    ids = np.array([f"R{i:04d}" for i in range(500)])
    frame = pd.DataFrame({"region_id": pd.Categorical(ids[rng.integers(0, 500, n)], categories=ids[::-1]),
                          "x": np.arange(n, dtype=np.int64), "s": pd.Series(["a", None] * (n // 2), dtype="str")})
    path = folder.write_by_region(frame, tmp_path / "t.parquet")
    for want in (["R0007"], ["R0499", "R0000", "R0250"], ["nope"], []):
        got = folder.read_by_region(path, want)
        pd.testing.assert_frame_equal(got, frame[frame["region_id"].isin(want)].reset_index(drop=True))
    assert pq.ParquetFile(path).metadata.num_row_groups > 1


@pytest.mark.parametrize("region", ("HQ", "P01", "P01C01"))
def test_reconciled_children_with_the_steps_baselines_equal_fitting_them(run, region):
    plan, tree, con = run["plan"], run["tree"], run["con"]
    step = step_targets.load_region_targets(run["run_dir"], tree, region)
    view = targets.region_view(step.table, tree, region)
    pot = targets.region_potential(con, tree, region, plan.year, share=plan.split.potential_share)
    kw = dict(target=int(view.children["target_volume"].sum()), split=plan.split, method=step.split.method,
              stretch=plan.targets.stretch, unit=plan.targets.unit, potential=None if pot.empty else pot,
              weights=dict(plan.split.weights), children=list(view.children["region_id"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = targets.reconciled_children(con, tree, region, plan.year, **kw)
        got = targets.reconciled_children(con, tree, region, plan.year, baselines=step.baselines, **kw)
    assert len(want) > 1
    pd.testing.assert_frame_equal(got, want)


# -- the targets workbook: written once --------------------------------------------------------


def _tiny_steps(tiny_plan, tmp_path, monkeypatch, nb_names):
    """plan_steps on the tiny archive, counting the targets workbooks written (and with what profit)."""
    import openpyxl

    books = []
    real = steps.export_targets_excel

    def counted(table, path, *, names, profit=None):
        books.append(profit)
        return real(table, path, names=names, profit=profit)

    monkeypatch.setattr(steps, "export_targets_excel", counted)
    tree = archive.load_tree(tiny_plan.parent / "tiny.duckdb")
    plan = params.load_plan(tiny_plan, tree=tree)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    done = steps.plan_steps(plan, tree, run_dir, nb_names, {"county": ["x"]})
    book = folder.workbook_path(run_dir, plan.plan_id, "targets")
    head = next(openpyxl.load_workbook(book, read_only=True)["总部"].values)
    return done, books, folder.run_relative(run_dir, book), head


def test_targets_workbook_is_written_once_with_the_profit_targets_when_the_budget_follows(tiny_plan, tmp_path,
                                                                                          monkeypatch):
    done, books, book, head = _tiny_steps(tiny_plan, tmp_path, monkeypatch, ["20_split_targets", "30_build_budget"])
    assert [s["status"] for s in done] == ["succeeded", "succeeded"], done
    assert len(books) == 1 and books[0]  # once, by the budget step, with each region's profit target
    assert book in done[0]["outputs"] and book not in done[1]["outputs"]  # the targets step's output (the portal)
    assert "利润目标（元）" in head


def test_targets_workbook_is_the_targets_steps_own_without_a_budget_step(tiny_plan, tmp_path, monkeypatch):
    done, books, book, head = _tiny_steps(tiny_plan, tmp_path, monkeypatch, ["20_split_targets"])
    assert [s["step"] for s in done] == ["targets"] and done[0]["status"] == "succeeded"
    assert books == [None] and book in done[0]["outputs"]
    assert "利润目标（元）" not in head


def test_targets_workbook_is_written_without_profit_when_the_budget_step_fails(tiny_plan, tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("no budget today")

    monkeypatch.setattr(budget, "plan_budget", boom)
    done, books, book, head = _tiny_steps(tiny_plan, tmp_path, monkeypatch, ["20_split_targets", "30_build_budget"])
    assert [s["status"] for s in done] == ["succeeded", "failed"] and "no budget today" in done[1]["error"]["evalue"]
    assert books == [None] and book in done[0]["outputs"]
    assert "利润目标（元）" not in head and head[:4] == ("区域编码", "区域名称", "全年销量（箱）", "全年销售额（元）")


def test_a_failing_report_copy_fails_the_targets_step_written_beside_it(tiny_plan, tmp_path, monkeypatch):
    # the reports' copies are written on a thread beside the step's own table: a failure there is the step's
    def boom(pt, plan, tree, con, run_dir):
        raise OSError("no room for the reports")

    monkeypatch.setattr(steps, "write_report_targets", boom)
    tree = archive.load_tree(tiny_plan.parent / "tiny.duckdb")
    plan = params.load_plan(tiny_plan, tree=tree)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    done = steps.plan_steps(plan, tree, run_dir, ["20_split_targets", "30_build_budget"], {"county": ["x"]})
    assert [s["status"] for s in done] == ["failed"]
    assert done[0]["error"] == {"ename": "OSError", "evalue": "no room for the reports"}


def test_a_report_outside_a_batch_prices_the_plan_as_the_batch_did(run):
    # JupyterLab's path of 20_split_targets and 30_build_budget: the demo plan runs promotion schemes, which the
    # batch books into the budget and lets shift the targets' months; computed here, the same tables
    plan, tree, con = run["plan"], run["tree"], run["con"]
    pt, schemes = steps.plan_targets_with_schemes(plan, tree, con)
    assert schemes is not None and len(schemes.costs) > 0  # the case that once differed (a county's budget by 11,000)
    pb, _ = steps.price_plan(plan, tree, con, pt, schemes)
    table, regions, methods = folder.load_budget(run["run_dir"])
    pd.testing.assert_frame_equal(pb.table.reset_index(drop=True), table, check_exact=True, check_dtype=False)  # text: str vs parquet's
    pd.testing.assert_frame_equal(pb.regions.reset_index(drop=True), regions, check_exact=True, check_dtype=False)
    for region in REGIONS:
        lab = step_targets.plan_region_targets(pt, plan, tree, con, region)
        batch = step_targets.load_region_targets(run["run_dir"], tree, region)
        pd.testing.assert_frame_equal(lab.table, batch.table, check_exact=True, check_dtype=False)
        assert float(pb.regions.loc[pb.regions["region_id"] == region, "budget"].iloc[0]) == float(
            regions.loc[regions["region_id"] == region, "budget"].iloc[0])
    # without the schemes (the old path) the budget is not the batch's: the test can tell them apart
    bare, _ = steps.price_plan(plan, tree, con, targets.plan_targets(plan, tree, con))
    assert not bare.regions["budget"].reset_index(drop=True).equals(regions["budget"])
