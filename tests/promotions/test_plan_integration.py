"""The plan's schemes in its budget and targets (issue #17): hand-computed cases and invariants."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest

from planlib import params
from planlib.budget.caps import cap_units
from planlib.budget.promotions import SCHEME_METHOD, add_schemes, phase_with_schemes, scheme_unit_costs
from planlib.errors import ParamsError
from planlib.hierarchy import RegionTree
from planlib.params.model import Activity
from planlib.promotions.plan import plan_schemes, scheme_regions
from planlib.targets.promotions import promotion_lift, shift_for_promotions
from planlib.targets.table import breakdown_of

from tests.promotions.conftest import source_scheme

# HQ -> P1 -> K1 (townships T1, T2), K2 ; HQ -> P2 -> K3
TREE = RegionTree(pd.DataFrame({
    "region_id": ["HQ", "P1", "P2", "K1", "K2", "K3", "T1", "T2"],
    "name": ["总部", "一省", "二省", "一县", "二县", "三县", "一镇", "二镇"],
    "level": ["hq", "province", "province", "county", "county", "county", "township", "township"],
    "parent_id": [None, "HQ", "HQ", "P1", "P1", "P2", "K1", "K1"],
}))  # fmt: skip
UNIT_OF = {"K1": "K1", "T1": "K1", "T2": "K1", "K2": "K2", "K3": "K3"}


# -- where a scheme runs -----------------------------------------------------------------------
def test_scheme_regions_a_region_stands_for_its_subtree_and_counts_once():
    runs = scheme_regions({"s": ["HQ", "P1"], "t": ["K1"]}, TREE, "HQ")
    assert runs["s"] == set(TREE.subtree("HQ"))  # HQ and P1 both listed: each region once
    assert runs["t"] == {"K1", "T1", "T2"}


def test_scheme_regions_a_region_file_governs_its_subtree():
    # P2's file drops s (its map lists s nowhere above it) and adds t for itself
    runs = scheme_regions({"s": ["HQ"]}, TREE, "HQ", region_maps={"P2": {"s": ["P1"], "t": ["P2"]}})
    assert runs["s"] == set(TREE.subtree("HQ")) - {"P2", "K3"}
    assert runs["t"] == {"P2", "K3"}


# -- a scheme's cost per planning unit ---------------------------------------------------------
COSTS = pd.DataFrame({  # one scheme booked to the terminals' regions (townships and counties)
    "scheme": ["s", "s", "s", "s"], "name": ["券"] * 4, "category": ["promotion"] * 4, "item": ["premiums"] * 4,
    "region_id": ["T1", "T2", "K1", "K3"], "net_cost": [100.004, 200.0, 50.0, 0.0],
    "expected_return": [1.0, 2.0, 0.5, 0.0],
})  # fmt: skip


def test_scheme_unit_costs_sums_a_units_regions_to_the_cent():
    got = scheme_unit_costs(COSTS, UNIT_OF)
    # K1 = T1 + T2 + K1 = 100.004 + 200 + 50 = 350.004 -> 350.00; K3 costs nothing: no row
    assert got[["unit", "amount", "expected_return"]].values.tolist() == [["K1", 350.0, 3.5]]


def _rows(method_amounts):
    return pd.DataFrame([{"region_id": u, "terminal_id": None, "category": c, "item": i, "amount": a, "method": m}
                         for u, c, i, a, m in method_amounts])


def test_add_schemes_on_percent_of_sales_adds_the_scheme_on_its_item():
    rows = _rows([("K1", "promotion", "premiums", 1000.0, "percent_of_sales")])
    sc = pd.DataFrame([{"unit": "K1", "scheme": "s", "name": "券", "category": "promotion", "item": "premiums",
                        "amount": 300.0, "expected_return": 0.0}])
    out, notes = add_schemes(rows, sc, {"K1": {"promotion": "percent_of_sales"}}, {"K1": ()}, {"K1": None})
    assert out["amount"].sum() == 1300.0
    assert out.loc[out["method"] == SCHEME_METHOD, ["item", "amount", "scheme"]].values.tolist() == [
        ["premiums", 300.0, "s"]]
    assert notes == []


def test_add_schemes_on_input_output_counts_the_scheme_as_spend_already_placed():
    rows = _rows([("K1", "promotion", "premiums", 1000.0, "input_output"),
                  ("K2", "promotion", "premiums", 200.0, "input_output")])
    sc = pd.DataFrame([{"unit": u, "scheme": "s", "name": "券", "category": "promotion", "item": "premiums",
                        "amount": 300.0, "expected_return": 0.0} for u in ("K1", "K2")])
    out, notes = add_schemes(rows, sc, {u: {"promotion": "input_output"} for u in ("K1", "K2")},
                             {"K1": (), "K2": ()}, {"K1": None, "K2": None})
    tot = out.groupby(["region_id", "method"])["amount"].sum().to_dict()
    # K1: 1000 - 300 = 700 left to the curve, 300 the scheme: 1000 in all; K2: the scheme passes the curve's 200
    assert tot == {("K1", "input_output"): 700.0, ("K1", SCHEME_METHOD): 300.0, ("K2", SCHEME_METHOD): 300.0}
    assert any("input-output" in n for n in notes)


def test_add_schemes_on_zero_based_ranks_the_scheme_among_the_activities_within_the_cap():
    acts = (Activity(name="品鉴会", category="promotion", item="premiums", cost=600.0, expected_return=1500.0),
            Activity(name="堆头", category="promotion", item="promo_materials", cost=800.0, expected_return=1000.0))
    rows = _rows([("K1", "promotion", "premiums", 600.0, "zero_based"),
                  ("K1", "promotion", "promo_materials", 800.0, "zero_based")])
    # return per cost: 品鉴会 2.5, the scheme 1000/500 = 2.0, 堆头 1.25; cap 1200 funds 品鉴会 + scheme (1100)
    sc = pd.DataFrame([{"unit": "K1", "scheme": "s", "name": "券", "category": "promotion", "item": "premiums",
                        "amount": 500.0, "expected_return": 1000.0}])
    out, _ = add_schemes(rows, sc, {"K1": {"promotion": "zero_based"}}, {"K1": acts}, {"K1": 1200.0})
    assert out.groupby(["item", "method"])["amount"].sum().to_dict() == {
        ("premiums", "zero_based"): 600.0, ("premiums", SCHEME_METHOD): 500.0}
    # a scheme returning less than it costs is not funded, and said
    sc.loc[0, "expected_return"] = 400.0
    out, notes = add_schemes(rows, sc, {"K1": {"promotion": "zero_based"}}, {"K1": acts}, {"K1": None})
    assert SCHEME_METHOD not in set(out["method"])
    assert out["amount"].sum() == 1400.0 and "not funded" in notes[0]


def test_caps_hold_with_a_scheme_and_cut_it_pro_rata():
    rows = _rows([("K1", "promotion", "premiums", 900.0, "percent_of_sales")])
    sc = pd.DataFrame([{"unit": "K1", "scheme": "s", "name": "券", "category": "promotion", "item": "premiums",
                        "amount": 300.0, "expected_return": 0.0}])
    out, _ = add_schemes(rows, sc, {"K1": {"promotion": "percent_of_sales"}}, {"K1": ()}, {"K1": 600.0})
    capped, over = cap_units(out, ["K1"], {"K1": 600.0})
    assert over == ["K1"]
    assert round(capped["amount"].sum(), 2) == 600.0  # 1200 scaled to the cap: each row halved
    assert capped.loc[capped["method"] == SCHEME_METHOD, "amount"].tolist() == [150.0]


def test_phase_with_schemes_follows_the_profile_and_sums_exactly():
    rows = _rows([("K1", "promotion", "premiums", 1000.0, SCHEME_METHOD),
                  ("K1", "labour", "wages", 1200.0, "percent_of_sales")]).assign(scheme=["s", None])
    months = pd.DataFrame({"scheme": "s", "month": range(1, 13), "share": [1 / 3, 2 / 3] + [0.0] * 10})
    share = pd.DataFrame([[1 / 12] * 12], index=["K1"], columns=range(1, 13))
    out = phase_with_schemes(rows, share, ["labour"], None, months)
    s = out[out["method"] == SCHEME_METHOD].set_index("month")["amount"].to_dict()
    assert s == {1: 333.33, 2: 666.67}  # 1000 x 1/3, 1000 x 2/3, largest remainder in cents
    lab = out[out["category"] == "labour"]
    assert lab["amount"].tolist() == [100.0] * 12 and "scheme" not in out.columns


# -- the whole plan: costed once, the pool shared --------------------------------------------------
def test_plan_schemes_cost_once_and_book_terminals_to_their_regions():
    scheme = source_scheme("demo_order_reward")  # 50 a qualifying order from 10 in Sep-Oct, at most 12
    units = pd.DataFrame({  # 2 terminals in K1's townships, 1 in K3; month-rows, count = orders
        "unit_id": ["a", "a", "b", "c"], "region_id": ["T1", "T1", "T2", "K3"], "channel": "supermarket",
        "customer": "existing", "month": [9, 10, 9, 9], "amount": 1.0, "volume": 1.0, "count": [6, 8, 9, 20],
    })  # fmt: skip
    runs = scheme_regions({"demo_order_reward": ["P1"]}, TREE, "HQ")
    ps = plan_schemes({"demo_order_reward": scheme}, runs, units, TREE, pd.DataFrame(), margin_rate=0.3)
    # a: 6 + 8 = 14 orders -> 14 x 50 = 700 (cap 12 -> 600); b: 9 < 10 -> nothing; c (K3) is outside P1
    assert ps.costs[["region_id", "units", "rewarded", "cost"]].values.tolist() == [["T1", 1, 1, 600.0],
                                                                                  ["T2", 1, 0, 0.0]]
    # months weighted by the eligible orders: Sep 6 + 9 = 15, Oct 8
    assert ps.months.set_index("month")["share"].round(6)[[9, 10]].tolist() == [round(15 / 23, 6),
                                                                                 round(8 / 23, 6)]
    assert ps.economics["expected_lift"].iloc[0] == 0.0  # no past display activity measured: said as 0


# -- targets: months shift, the year does not -------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _PT:
    table: pd.DataFrame


def _targets():
    months = pd.date_range("2027-01-01", periods=12, freq="MS")
    rows = []
    for r, lv, v in (("K1", "county", 10), ("K2", "county", 20)):
        for m in months:
            rows.append({"region_id": r, "level": lv, "month": m, "product_line": None, "target_volume": v,
                         "target_revenue": v * 100.0})
            rows += [{"region_id": r, "level": lv, "month": m, "product_line": pl, "target_volume": x,
                      "target_revenue": x * 100.0} for pl, x in (("白酒", v // 2), ("啤酒", v - v // 2))]
    for m in months:
        rows.append({"region_id": "P1", "level": "province", "month": m, "product_line": None, "target_volume": 30,
                     "target_revenue": 3000.0})
    t = pd.DataFrame(rows)
    for c in ("sku", "channel", "terminal_class", "terminal_id", "distributor_id"):
        t[c] = None
    return t


def test_shift_for_promotions_moves_months_keeps_years_and_sums():
    t = _targets()
    costs = pd.DataFrame({"scheme": ["s"], "region_id": ["T1"], "expected_lift": [1200.0]})
    months = pd.DataFrame({"scheme": "s", "month": range(1, 13), "share": [1.0] + [0.0] * 11})
    lift = promotion_lift(costs, months, TREE, ["K1", "K2"])
    assert lift.loc["K1", 1] == 1200.0 and lift.loc["K2"].sum() == 0.0
    out = shift_for_promotions(_PT(t), TREE, costs, months).table
    k = breakdown_of(out)
    tot = out[k == "total"].pivot_table(index="region_id", columns=out["month"].dt.month, values="target_volume",
                                        aggfunc="sum")
    # K1: R_m = 1000, Jan lifted to 2200: w = 10 x (2.2, 1, ..., 1), V' = 120 w / 13.2 = 20, 9.09 x 11 -> exact 120
    assert tot.loc["K1"].sum() == 120 and tot.loc["K1", 1] == 20
    assert sorted(tot.loc["K1"].iloc[1:].tolist()) == [9] * 10 + [10]  # 100 over 11 months, largest remainder
    assert (tot.loc["K2"] == 20).all()  # no scheme there
    assert (tot.loc["P1"] == tot.loc["K1"] + tot.loc["K2"]).all()  # a parent is its children's months
    rev = out[k == "total"].groupby("region_id")["target_revenue"].sum()
    assert rev["K1"] == pytest.approx(12000.0, abs=1e-6)  # the year's revenue unchanged
    lines = out[k == "product_line"]
    per_month = lines.groupby(["region_id", lines["month"].dt.month])["target_volume"].sum().unstack()
    assert (per_month == tot.loc[["K1", "K2"]]).all().all()  # the breakdown sums to the new months exactly
    years = lines.groupby(["region_id", "product_line"])["target_volume"].sum().to_dict()
    assert years == {("K1", "啤酒"): 60, ("K1", "白酒"): 60, ("K2", "啤酒"): 120, ("K2", "白酒"): 120}


def test_shift_for_promotions_without_lift_returns_the_targets_unchanged():
    pt = _PT(_targets())
    assert shift_for_promotions(pt, TREE, pd.DataFrame(columns=["scheme", "region_id", "expected_lift"]),
                                pd.DataFrame(columns=["scheme", "month", "share"])) is pt


# -- the plan key -----------------------------------------------------------------------------------
PLANS = Path(__file__).resolve().parents[2] / "params"


def test_plan_key_unknown_scheme_names_file_line_and_valid_schemes(tmp_path):
    shutil.copytree(PLANS / "promotions", tmp_path / "promotions")
    (tmp_path / "plan.yaml").write_text(
        "plan_id: p\ntitle: t\nyear: 2027\narchive: d.duckdb\nscope: {root: HQ, levels: [hq, county]}\nnotebooks: [10_review_archive]\n"
        "promotions:\n  demo_spring_tickets: [HQ]\n  spring: [P1]\n  demo_order_reward: [P9]\n", encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        params.load_plan(tmp_path / "plan.yaml", tree=TREE)
    text = str(exc.value)
    assert "plan.yaml:9: promotions.spring" in text and "valid schemes: demo_order_reward, demo_spring_tickets" in text
    assert "plan.yaml:10: promotions.demo_order_reward" in text and "'P9' is not in the archive's regions" in text


def test_plan_without_the_key_has_no_schemes_and_hashes_as_before(tmp_path):
    (tmp_path / "plan.yaml").write_text(
        "plan_id: p\ntitle: t\nyear: 2027\narchive: d.duckdb\nscope: {root: HQ, levels: [hq, county]}\nnotebooks: [10_review_archive]\n",
        encoding="utf-8")
    p = params.load_plan(tmp_path / "plan.yaml")
    assert p.promotions == {}
    assert "promotions" in p.resolved_dict()
    # the hash leaves an empty promotions out: a plan without the key keeps its hash
    import hashlib
    import json
    data = {k: v for k, v in p.resolved_dict().items()
            if k not in ("source_files", "region_overrides", "scenarios", "archive", "promotions")}
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    assert p.params_hash() == hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def test_no_schemes_leave_the_budget_rows_as_they_are():
    rows = _rows([("K1", "promotion", "premiums", 1000.0, "percent_of_sales")])
    for empty in (None, scheme_unit_costs(None, UNIT_OF), scheme_unit_costs(COSTS.iloc[3:], UNIT_OF)):
        out, notes = add_schemes(rows, empty, {"K1": {}}, {"K1": ()}, {"K1": None})
        assert out is rows and notes == []  # the same frame: no scheme column, phase_rows as before


# -- the batch: the promotions report only where a scheme runs ---------------------------------------
def test_notebook_applies_runs_the_promotions_report_where_a_scheme_runs():
    from planlib.run.batch import notebook_applies

    levels = ("hq", "province", "county")
    runs = {"s": ["K1"]}
    # K1 itself, the regions above it and below it; not its sibling K2 nor the other province
    assert [r for r in TREE.ids if notebook_applies("35_promotions", r, TREE, levels, runs)] == \
        [r for r in TREE.ids if r in {"HQ", "P1", "K1", "T1", "T2"}]
    assert not notebook_applies("35_promotions", "K2", TREE, levels, {})
    assert notebook_applies("50_consolidate", "P1", TREE, levels, runs)
    assert not notebook_applies("50_consolidate", "K1", TREE, levels, runs)  # its townships are not planned
    assert notebook_applies("30_build_budget", "K2", TREE, levels, {})
    # the targets and budget reports only at the plan's levels: a township has neither target nor budget
    for name in ("20_split_targets", "30_build_budget"):
        assert [r for r in TREE.ids if notebook_applies(name, r, TREE, levels, {})] == \
            [r for r in TREE.ids if TREE.level(r) in levels]
        assert not notebook_applies(name, "T1", TREE, levels, runs)
    assert notebook_applies("10_review_archive", "T1", TREE, levels, {})  # the archive's review runs anywhere


# -- end to end on a demo archive: the plan steps with and without schemes -----------------------------
PLAN_2026 = """\
plan_id: demo-2026
title: 康源酒业 2026
year: 2026
archive: d.duckdb
scope: {root: HQ, levels: [hq, province, city, county]}
notebooks: [35_promotions]
budget:
  methods: {labour: percent_of_sales, office: percent_of_sales, media: percent_of_sales, channel: percent_of_sales,
            promotion: percent_of_sales}
  cap_ratio: 0.25
"""


@pytest.mark.slow
def test_plan_steps_book_schemes_on_their_items_and_months_and_leave_a_plan_without_them_alone(tmp_path, demo_copy):
    import warnings

    from planlib.archive import store as archive
    from planlib.budget import plan_budget
    from planlib.run import steps
    from planlib.targets import plan_targets

    demo_copy(tmp_path / "d.duckdb", start_year=2023)
    (tmp_path / "promotions").mkdir()
    for stem in ("demo_spring_tickets", "demo_order_reward"):  # the demo's schemes in the plan year 2026
        text = (PLANS / "promotions" / f"{stem}.yaml").read_text(encoding="utf-8").replace('"2027-', '"2026-')
        (tmp_path / "promotions" / f"{stem}.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "plain.yaml").write_text(PLAN_2026, encoding="utf-8")
    (tmp_path / "schemes.yaml").write_text(PLAN_2026 + "promotions: {demo_spring_tickets: [HQ], demo_order_reward: [P01]}\n",
                                           encoding="utf-8")
    tree = archive.load_tree(tmp_path / "d.duckdb")
    results = {}
    for name in ("plain", "schemes"):
        plan = params.load_plan(tmp_path / f"{name}.yaml", tree=tree)
        run = tmp_path / f"run-{name}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = steps.plan_steps(plan, tree, run, ["35_promotions"], {"county": [1]})
        assert [s["status"] for s in got] == ["succeeded", "succeeded"], got
        results[name] = {f.stem: pd.read_parquet(f) for f in (run / "results").glob("*.parquet")}
    # without the key: no scheme files, and the plan-wide tables are what the stages give on their own
    assert "promotions" not in results["plain"]
    plan = params.load_plan(tmp_path / "plain.yaml", tree=tree)
    con = archive.connect(tmp_path / "d.duckdb", threads=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt = plan_targets(plan, tree, con)
        pb = plan_budget(plan, tree, con, pt.table)
    con.close()
    pd.testing.assert_frame_equal(results["plain"]["targets"], pt.table.reset_index(drop=True), check_dtype=False,
                                  check_categorical=False)
    pd.testing.assert_frame_equal(results["plain"]["budget"], pb.table.reset_index(drop=True), check_dtype=False)
    # with schemes: each on its kind's item, only in its months, its cost exact; caps hold; years unchanged
    b, costs = results["schemes"]["budget"], results["schemes"]["promotions"]
    sch = b[b["method"] == "scheme"]
    assert set(zip(sch["category"], sch["item"])) == {("promotion", "premiums"), ("channel", "display")}
    months = sch.groupby("item")["month"].agg(lambda m: sorted(set(pd.DatetimeIndex(m).month)))
    assert set(months["premiums"]) <= {1, 2} and set(months["display"]) <= {9, 10}
    reg = results["schemes"]["budget_regions"]
    capped = set(reg.loc[reg["budget"] >= reg["cap"] - 0.01, "region_id"])
    booked = sch[~sch["region_id"].isin(capped)].groupby("region_id")["amount"].sum().round(2)
    planned = costs.assign(unit=costs["region_id"].map(lambda r: next(a for a in (r, *tree.ancestors(r))
                                                                      if tree.level(a) == "county")))
    planned = planned.groupby("unit")["net_cost"].sum().round(2)
    assert (booked == planned.reindex(booked.index)).all()  # uncapped units book exactly their scheme cost
    assert (reg["budget"] <= reg["cap"] + 1e-6).all()
    t0, t1 = results["plain"]["targets"], results["schemes"]["targets"]
    k0, k1 = breakdown_of(t0), breakdown_of(t1)
    y0 = t0[k0 == "total"].groupby("region_id", observed=True)["target_volume"].sum()
    y1 = t1[k1 == "total"].groupby("region_id", observed=True)["target_volume"].sum()
    pd.testing.assert_series_equal(y0, y1)  # the months moved, the years did not
    assert not t0[k0 == "total"]["target_volume"].reset_index(drop=True).equals(
        t1[k1 == "total"]["target_volume"].reset_index(drop=True))
