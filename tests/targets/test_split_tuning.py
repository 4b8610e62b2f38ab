"""Issue 4's remaining pieces: potential, bottom-up proposals and the gap, tuning one region's split, its panel."""

from __future__ import annotations

import html

import warnings

import numpy as np
import pandas as pd
import pytest

from planlib.archive import store as archive
from planlib import params
from planlib.present import plots
from planlib import errors
from planlib import targets
from planlib.present import widgets
from planlib.errors import DataError, ParamsError, SplitError
from planlib.present.workbook import open_workbook

# tiny archive (tests/conftest.py): K1 and K2 under C1, 2024–2025; 2025 own sales are 10% above 2024's;
# the market is 3 × (own + competitor) volume of each region and month.
PLAN_YEAR = 2026
LIFT_SUM = 9 * 1.0 + 3 * 1.5  # Jan, Feb and Sep sell 1.5×


@pytest.fixture()
def tiny(tiny_plan):
    con = archive.connect(tiny_plan.parent / "tiny.duckdb")
    yield con, archive.load_tree(con), tiny_plan
    con.close()


# -- potential ----------------------------------------------------------------------------------
def test_region_potential_is_a_share_of_the_market_rolled_up(tiny):
    con, tree, _ = tiny
    pot = targets.region_potential(con, tree, "HQ", PLAN_YEAR, share=0.5)
    # K1 2025: own 110 × lift, competitor 80 × lift a month; market 3 × 190 × Σlift
    assert pot["K1"] == pytest.approx(0.5 * 3 * 190 * LIFT_SUM, rel=1e-3)
    assert pot["K2"] == pytest.approx(0.5 * 3 * (66 + 48) * LIFT_SUM, rel=1e-3)
    assert pot["C1"] == pytest.approx(pot["K1"] + pot["K2"])
    assert pot["HQ"] == pytest.approx(pot["C1"])
    assert "K3" not in pot.index  # no market records: unknown, not zero


def test_region_potential_is_never_below_what_the_region_sold_last_year(tiny):
    """A region already selling more than the share of its market has shown that volume attainable."""
    con, tree, _ = tiny
    pot = targets.region_potential(con, tree, "HQ", PLAN_YEAR, share=0.1)
    # 0.1 × market: K1 0.1 × 3 × 190 = 57, K2 0.1 × 3 × 114 = 34.2, C1 91.2 (× Σlift), each below its own
    # 2025 sales: K1 110, K2 66 (× Σlift), C1 their sum 176; so the own sales are the potential
    assert pot["K1"] == pytest.approx(110 * LIFT_SUM, rel=1e-9)
    assert pot["K2"] == pytest.approx(66 * LIFT_SUM, rel=1e-9)
    assert pot["C1"] == pytest.approx(176 * LIFT_SUM, rel=1e-9) and pot["HQ"] == pytest.approx(pot["C1"])
    assert "K3" not in pot.index  # still no market records: unknown


# -- bottom-up ----------------------------------------------------------------------------------
def test_children_proposals_from_a_file_keep_only_the_children(tiny, tmp_path):
    con, tree, _ = tiny
    f = tmp_path / "proposals.csv"
    f.write_text("region_id,volume\nK1,\"1,500\"\nK2,900\nP9,5\n", encoding="utf-8")
    got, source = targets.children_proposals(con, tree, "C1", PLAN_YEAR, stretch=0.05, path=f)
    assert got.to_dict() == {"K1": 1500.0, "K2": 900.0}
    assert "proposals.csv" in source


def test_children_proposals_bad_row_names_file_row_and_field(tiny, tmp_path):
    con, tree, _ = tiny
    f = tmp_path / "proposals.csv"
    f.write_text("region_id,volume\nK1,1500\nK2,很多\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"proposals.csv: row 3: volume: got '很多'; expected a non-negative number"):
        targets.children_proposals(con, tree, "C1", PLAN_YEAR, stretch=0.05, path=f)
    f.write_text("region,volume\nK1,1\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing column"):
        targets.children_proposals(con, tree, "C1", PLAN_YEAR, stretch=0.05, path=f)


def test_children_proposals_from_their_own_trend(tiny):
    con, tree, _ = tiny
    got, _ = targets.children_proposals(con, tree, "C1", PLAN_YEAR, stretch=0.05)
    assert set(got.index) == {"K1", "K2"}  # K3 has no history and proposes nothing
    last_k1 = 110 * LIFT_SUM
    assert got["K1"] > last_k1  # a growing child proposes more than last year
    assert got["K1"] == round(got["K1"])  # at the plan's unit


def test_bottom_up_gap_table_by_hand():
    children = pd.DataFrame({"region_id": ["K1", "K2"], "name": ["历城区", "章丘区"], "target_volume": [600, 400]})
    proposals = pd.Series({"K1": 500.0, "K2": 500.0, "K9": 100.0})
    gap = targets.bottom_up_gap(children, proposals, method="scale_bottom_up", unit=1)
    rows = gap.set_index("region_id")
    assert rows.loc["K1", "gap"] == -100 and rows.loc["K2", "gap"] == 100 and rows.loc["K9", "top_down"] == 0
    assert rows.loc["K1", "gap_pct"] == pytest.approx(-100 / 600)
    # scaled proposals 500, 500, 100 × 1000/1100, rounded exactly to the top-down total
    assert rows.loc[["K1", "K2", "K9"], "reconciled"].sum() == 1000
    assert rows.loc["K9", "name"] == "K9"  # a proposer without a name shows its id
    total = rows.loc["合计"]
    assert (total["top_down"], total["bottom_up"], total["gap"]) == (1000, 1100, 100)
    assert total["gap_pct"] == pytest.approx(0.1)
    assert "K1" in targets.gap_reading(gap, "file") or "历城区" in targets.gap_reading(gap, "file")


# -- tuning one region's split --------------------------------------------------------------------
def _inputs(total=1000, stretch=0.05, potential=None):
    months = pd.date_range("2024-01-01", "2025-12-01", freq="MS")
    hist = pd.concat([pd.DataFrame({"child": c, "month": months, "value": v})
                      for c, v in (("A", 30.0), ("B", 20.0), ("C", 10.0))])  # shares 1/2, 1/3, 1/6
    ly = pd.Series({"A": 360.0, "B": 240.0, "C": 120.0})
    pot = potential if potential is not None else pd.Series(dtype=float)
    return targets.SplitInputs("P", total, stretch, hist, ly, pd.Series({"A": 0.0, "B": 0.0, "C": 0.0}), pot,
                               {"A": "甲", "B": "乙", "C": "丙"})


def test_tune_split_default_is_the_history_shares_exactly():
    diag, fair = targets.tune_split(_inputs())
    got = diag.set_index("child")["target"]
    assert got.to_dict() == {"A": 500, "B": 333, "C": 167}  # largest remainder: C's .667 beats B's .333
    assert fair["total"] == 1000 and got.sum() == 1000
    assert diag.set_index("child").loc["A", "implied_growth"] == pytest.approx(500 / 360 - 1)


def test_tune_split_stretch_scales_the_total_and_hold_respreads():
    diag, fair = targets.tune_split(_inputs(), stretch=0.26, hold=("A", 300))
    # T' = 1000 × 1.26 / 1.05 = 1200; A held at 300; B and C share 900 as 2:1
    got = diag.set_index("child")["target"]
    assert fair["total"] == 1200
    assert got.to_dict() == {"A": 300, "B": 600, "C": 300}


def test_tune_split_blend_and_cap():
    pot = pd.Series({"A": 400.0, "B": 1000.0, "C": 1000.0})
    diag, _ = targets.tune_split(_inputs(potential=pot), weights={"proportion_averages": 0.5, "equal": 0.5}, cap=1.0)
    got = diag.set_index("child")
    # blend shares: A ½·½ + ½·⅓ = 5/12 → 417 > its cap 400, so A gets 400;
    # B ½·⅓ + ½·⅓ = 4/12 and C ½·⅙ + ½·⅓ = 3/12 share the other 600 as 4:3 → 342.9, 257.1
    assert got.loc["A", "target"] == 400
    assert got["target"].sum() == 1000
    assert got.loc["B", "target"] == 343 and got.loc["C", "target"] == 257
    assert not got["beyond_potential"].any()


def test_tune_split_infeasible_hold_names_it():
    with pytest.raises(SplitError, match="holds"):
        targets.tune_split(_inputs(), hold=("A", 5000))


def test_tune_split_potential_weight_without_potential_is_an_error():
    with pytest.raises(ParamsError, match="potential"):
        targets.tune_split(_inputs(), weights={"potential": 1.0})


def test_split_inputs_reads_children_last_year_and_trend(tiny):
    con, tree, _ = tiny
    si = targets.split_inputs(con, tree, "C1", PLAN_YEAR, total=5000, stretch=0.05)
    assert list(si.names) == ["K1", "K2", "K3"]
    assert si.last_year["K1"] == pytest.approx(110 * LIFT_SUM, rel=1e-3)
    assert si.last_year["K3"] == 0
    assert si.trend["K1"] == pytest.approx(0.1, abs=1e-3)
    assert np.isnan(si.trend["K3"])


# -- the panel ----------------------------------------------------------------------------------
def test_split_panel_redraws_exactly_and_shows_the_yaml_override(tiny):
    con, tree, plan = tiny
    plots.set_style()
    wb = open_workbook("C1", "base", plan, None, True)
    si = targets.split_inputs(con, tree, "C1", PLAN_YEAR, total=5000, stretch=wb.params.targets.stretch)
    panel = widgets.split_panel(wb, si)
    assert "nothing to override" in panel.override.value
    before = set(plan.parent.iterdir())
    panel.floor.value = 0.1
    panel.hold_child.value = "K1"
    panel.hold_volume.value = 2000
    text = html.unescape(panel.override.value)
    snippet = text[text.index("<pre>") + 5:text.index("</pre>")]
    from planlib.params import StrictLoader
    import yaml

    merged = yaml.load(snippet, Loader=StrictLoader)  # the whole plan file, pasteable as it is
    original = yaml.load(plan.read_text(encoding="utf-8"), Loader=StrictLoader)
    assert merged["split"] == {**(original.get("split") or {}), "floor": 0.1, "holds": {"K1": 2000}}
    assert {k: v for k, v in merged.items() if k != "split"} == {k: v for k, v in original.items() if k != "split"}
    table = panel.output.outputs[-1]["data"]["text/html"]
    assert "2,000" in table and "5,000" in table  # the hold and the exact total
    assert set(plan.parent.iterdir()) == before  # writes nothing
    panel.hold_volume.value = 999_999  # infeasible: an error in the output, not an exception
    assert "Cannot split" in panel.output.outputs[0]["data"]["text/html"]


def test_overrides_yaml_validates_each_key():
    assert params.overrides_yaml({}) == ""
    with pytest.raises(ParamsError, match="split.cap"):
        params.overrides_yaml({"targets.stretch": 0.1, "split.cap": "high"})


def test_bottom_up_gap_children_without_a_proposal_keep_top_down():
    children = pd.DataFrame({"region_id": ["K1", "K2", "K3"], "name": ["甲", "乙", "丙"],
                             "target_volume": [600, 300, 100]})
    proposals = pd.Series({"K1": 900.0})  # only K1 proposed
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the report's table and sentence say it, not a warning on the page
        gap = targets.bottom_up_gap(children, proposals, method="scale_bottom_up")
    rows = gap.set_index("region_id")
    assert rows.loc["K1", "reconciled"] == 600  # scaled within its own top-down total
    assert rows.loc["K2", "reconciled"] == 300 and rows.loc["K3", "reconciled"] == 100
    assert np.isnan(rows.loc["K2", "gap"])
    assert rows.loc["合计", "reconciled"] == 1000 and rows.loc["合计", "gap"] == 300
    assert targets.gap_reading(gap, "file") == (
        "下级提案（file）合计 900，比提案下级的分配目标 600 差 +300（+50.0%）；差距最大的是 甲（+300）。乙、丙没有提案，保留分配目标。")


def test_children_proposals_take_each_childs_own_stretch(tiny):
    con, tree, _ = tiny
    flat, _ = targets.children_proposals(con, tree, "C1", PLAN_YEAR, stretch=0.0)
    own, _ = targets.children_proposals(con, tree, "C1", PLAN_YEAR, stretch={None: 0.0, "K1": 0.5})
    assert own["K1"] == pytest.approx(round(flat["K1"] * 1.5), abs=1)
    assert own["K2"] == flat["K2"]


def test_region_view_quarters_sum_the_months():
    from tests.targets.test_plan import _plan_table, _tree

    view = targets.region_view(_plan_table(), _tree(), "C1")
    assert view.quarters["target_volume"].sum() == view.months["target_volume"].sum()
    assert view.quarters["quarter"].tolist() == [1]
