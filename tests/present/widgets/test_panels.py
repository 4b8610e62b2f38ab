"""The budget and split panels driven as an analyst would: sliders, ticks, holds, the merged file and its write."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml

from planlib import archive, budget, params, targets
from planlib.errors import PlanWarning
from planlib.present import plots, widgets
from planlib.present.widgets.split import NO_HOLD
from planlib.present.workbook import open_workbook
from tests.conftest import PLAN_YAML, write_tiny_archive

# the tiny plan with a region folder, and a rebate that gives the channel an off-grid expense ratio
PLAN = PLAN_YAML + """\
region_overrides: regions
budget:
  channel:
    year_end_rebate: 0.0317
"""
REGION_FILE = """\
# 东城 K1: its own cap
budget:
  cap_ratio: 0.3   # agreed with finance
swot:
  threats:
    - 新竞品
"""


@pytest.fixture(scope="module")
def plan(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    write_tiny_archive(folder / "tiny.duckdb")
    (folder / "regions").mkdir()
    (folder / "regions" / "K1.yaml").write_text(REGION_FILE, encoding="utf-8")
    path = folder / "tiny.yaml"
    path.write_text(PLAN, encoding="utf-8")
    plots.set_style()
    return path


@pytest.fixture(scope="module")
def priced(plan):
    wb = open_workbook("K1", "base", plan, None, True)
    whole = wb.plan_params()
    con = archive.connect(whole.archive)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)  # the tiny archive has no expenses: categories unbudgeted
        pt = targets.plan_targets(whole, wb.tree, con)
        pb = budget.plan_budget(whole, wb.tree, con, pt.table, region_params={})
    yield {"wb": wb, "pb": pb, "pt": pt, "con": con}
    con.close()


def _rb(priced, region="K1"):
    pb = priced["pb"]
    return budget.region_budget(pb.table, pb.regions, pb.methods, priced["wb"].tree, region)


def _priced_budget(panel) -> float:
    table, res = budget.tune_budget(panel._rb.summary, panel._methods_long,
                                    fixed_categories=panel._wb.params.budget.fixed_categories, **panel.tuned())
    return float(res["budget"])


def test_ticking_a_ratio_keeps_the_exact_current_budget(priced):
    panel = widgets.budget_panel(priced["wb"], _rb(priced))
    rev = float(panel._rb.summary["target_revenue"])
    exact = panel._amount("channel", panel.method["channel"].value) / rev
    assert panel.ratio["channel"].value != exact  # the slider holds it rounded to its step
    before = _priced_budget(panel)
    panel.use_ratio["channel"].value = True
    assert panel.tuned()["ratios"] == {"channel": exact}
    assert _priced_budget(panel) == pytest.approx(before, rel=1e-12)


def test_moving_a_ratio_slider_selects_the_ratio(priced):
    panel = widgets.budget_panel(priced["wb"], _rb(priced))
    rev = float(panel._rb.summary["target_revenue"])
    before = _priced_budget(panel)
    assert not panel.use_ratio["media"].value
    panel.ratio["media"].value = 0.05
    assert panel.use_ratio["media"].value and panel.tuned()["ratios"] == {"media": 0.05}
    assert _priced_budget(panel) == pytest.approx(before + 0.05 * rev)


def test_budget_override_is_the_whole_region_file_and_is_written_after_confirmation(priced, plan):
    region_file = plan.parent / "regions" / "K1.yaml"
    panel = widgets.budget_panel(priced["wb"], _rb(priced))
    assert "nothing to override" in panel.override.value and panel.writer.proposal is None
    panel.ratio["media"].value = 0.05
    proposal = panel.writer.proposal
    assert proposal.path == region_file and proposal.old == REGION_FILE
    merged = yaml.safe_load(proposal.new)
    assert proposal.new.count("budget:") == 1  # pasteable whole: no duplicate key
    assert merged["budget"]["cap_ratio"] == 0.3 and merged["budget"]["ratios"] == {"media": 0.05}
    assert merged["swot"] == {"threats": ["新竞品"]}
    assert "cap_ratio: 0.3" in panel.override.value and "+  ratios:" in panel.override.value
    panel.writer.button.click()  # not confirmed: nothing written
    assert region_file.read_text(encoding="utf-8") == REGION_FILE
    try:
        panel.writer.confirm.value = True
        panel.writer.button.click()
        resolved = params.load_plan(plan, region="K1", tree=priced["wb"].tree)
        assert resolved.budget.ratios == {"media": 0.05} and resolved.budget.cap_ratio == 0.3
    finally:
        region_file.write_text(REGION_FILE, encoding="utf-8")


@pytest.fixture(scope="module")
def city(priced, plan):
    wb = open_workbook("C1", "base", plan, None, True)
    total = int(priced["pt"].table.query("region_id == 'C1' and terminal_id.isna()", engine="python")
                .pipe(lambda t: t[targets.breakdown_of(t) == "total"])["target_volume"].sum())
    inputs = targets.split_inputs(priced["con"], wb.tree, "C1", wb.params.year, total=total,
                                  stretch=wb.params.targets.stretch, history_years=wb.params.split.history_years)
    return wb, inputs


def test_picking_a_hold_starts_from_the_childs_current_target(city):
    wb, inputs = city
    panel = widgets.split_panel(wb, inputs)
    assert panel.hold_child.value == NO_HOLD and panel.hold_child.label == "（不锁定）no hold"
    shown = dict(panel._targets)
    panel.hold_child.value = "K2"
    assert panel.hold_volume.value == shown["K2"] > 0
    assert panel._targets == shown  # held at what it had, nothing moved
    assert "holds" not in panel.override.value and "nothing to override" in panel.override.value
    panel.hold_volume.value = shown["K2"] + 10
    assert panel._targets["K2"] == shown["K2"] + 10 and sum(panel._targets.values()) == sum(shown.values())
    assert f"K2: {shown['K2'] + 10}" in panel.override.value
    merged = yaml.safe_load(panel.writer.proposal.new)
    assert merged["split"]["holds"] == {"K2": shown["K2"] + 10} and merged["plan_id"] == "tiny-2026"


def test_split_trend_means_one_thing_in_panel_and_report(city):
    wb, inputs = city
    last_year = widgets.split_panel(wb, inputs)
    shown = "".join(o["data"]["text/html"] for o in last_year.output.outputs if "text/html" in o["data"])
    assert "去年增长" in shown and "自身趋势" not in shown  # last year's growth is not called the trend
    trend = pd.Series({"K1": 0.5, "K2": -0.25, "K3": 0.0})
    hw = widgets.split_panel(wb, inputs, trend=trend)
    shown = "".join(o["data"]["text/html"] for o in hw.output.outputs if "text/html" in o["data"])
    assert "自身趋势" in shown and "去年增长" not in shown
    assert "+50.0%" in shown and "-25.0%" in shown  # the given trend, not last year's growth
