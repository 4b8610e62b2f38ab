"""Pricing the plan: every unit's budget by the params' methods, capped, phased exactly, consolidated; CVP and the dual check."""

from __future__ import annotations


import warnings

import numpy as np
import openpyxl
import pandas as pd
import pytest

from planlib import budget as costing
from planlib.run import folder as run_folder
from planlib.run import steps
from planlib.run import portal
from planlib import params, targets
from planlib.archive import store as archive
from planlib.errors import BudgetError

def test_plan_budget_table_has_the_design_columns_and_plan_months(priced):
    t = priced["pb"].table
    assert tuple(t.columns) == costing.BUDGET_COLUMNS
    assert set(pd.DatetimeIndex(t["month"]).year) == {2026}
    assert (t["amount"] >= 0).all()
    assert set(t["category"]) <= {"labour", "office", "media", "channel", "promotion"}


def test_plan_budget_parent_equals_children_plus_own_items(priced):
    t, tree = priced["pb"].table, priced["tree"]
    cents = t.assign(c=np.rint(t["amount"] * 100).astype(np.int64))
    for parent in ("HQ", "P01", "P01C01"):
        kids = list(tree.children(parent))
        mine = cents[(cents["region_id"] == parent) & (cents["method"] == "consolidated")]
        got = mine.groupby(["month", "category", "item"])["c"].sum()
        exp = cents[cents["region_id"].isin(kids)].groupby(["month", "category", "item"])["c"].sum()
        exp = exp[exp != 0]
        pd.testing.assert_series_equal(got.sort_index(), exp.sort_index().astype(got.dtype), check_names=False)
        # the region's whole budget: its children's and its own offices' items, nothing else
        own = cents[(cents["region_id"] == parent) & (cents["method"] == "own")]["c"].sum()
        whole = cents[cents["region_id"] == parent]["c"].sum()
        assert whole == exp.sum() + own
        assert own > 0  # the demo's HQ, provinces and cities book their own offices' costs


def test_plan_budget_never_exceeds_the_cap_of_any_unit(priced):
    r = priced["pb"].regions
    units = r[r["level"] == "county"]
    assert (units["budget"] <= units["cap"] + 1e-6).all()
    assert np.allclose(units["cap"], 0.25 * units["target_revenue"], rtol=0, atol=0.01)  # floored to the cent


def test_plan_budget_phasing_fixed_straight_variable_seasonal(priced):
    t = priced["pb"].table
    unit = priced["pb"].regions.query("level == 'county'")["region_id"].iloc[0]
    mine = t[(t["region_id"] == unit) & t["terminal_id"].isna()]
    lab = mine[mine["category"] == "labour"].groupby("month")["amount"].sum()
    assert lab.max() - lab.min() <= 0.01 * mine[mine["category"] == "labour"]["item"].nunique() + 1e-9  # straight-line
    paid = {"year_end_rebate", "slotting"}  # paid in January last year: they keep that calendar
    ch = t[(t["region_id"] == unit) & (t["category"] == "channel") & ~t["item"].isin(paid)].groupby("month")["amount"].sum()
    tg = priced["targets"]
    tot = tg[(tg["region_id"] == unit) & tg[["product_line", "channel", "terminal_class", "terminal_id"]].isna().all(axis=1)]
    vol = tot.groupby("month")["target_volume"].sum()
    # variable items follow the target's months: the channel's busiest month is the target's busiest
    assert pd.Timestamp(ch.idxmax()) == pd.Timestamp(vol.idxmax())
    rebate = t[(t["region_id"] == unit) & (t["item"] == "year_end_rebate")]
    assert pd.DatetimeIndex(rebate["month"]).month.tolist() == [1]


def test_plan_budget_channel_fees_are_built_terminal_by_terminal(priced):
    t, tg = priced["pb"].table, priced["targets"]
    terms = t[t["terminal_id"].notna()]
    rates = priced["plan"].budget.channel
    named = tg[tg["terminal_id"].notna()].groupby("terminal_id", observed=True)["terminal_class"].first().astype(str)
    display = terms[terms["item"] == "display"].groupby("terminal_id")["amount"].sum()
    assert set(display.index) == set(named.index.astype(str))
    # every terminal gets its class's rate, except in a unit scaled down to its cap
    r = priced["pb"].regions
    capped = set(r.loc[(r["level"] == "county") & (r["budget"] >= r["cap"] - 0.01), "region_id"])
    unit_of = terms.drop_duplicates("terminal_id").set_index("terminal_id")["region_id"]
    free = display[~unit_of.reindex(display.index).isin(capped)]
    assert len(free) > 0.8 * len(display)
    assert np.allclose(free, named.reindex(free.index).map(rates.display))


def test_plan_budget_methods_compared_and_chosen(priced):
    m = priced["pb"].methods
    one = m[m["region_id"] == "P01C01K01"]
    chosen = dict(zip(one.loc[one["chosen"], "category"], one.loc[one["chosen"], "method"]))
    assert chosen == {"labour": "marginal", "office": "percent_of_sales", "media": "input_output",
                      "channel": "objective_task", "promotion": "zero_based"}
    # zero-based funds whole activities: 140,000 fits under any county's promotion amount here, or fewer
    zb = one[(one["category"] == "promotion") & (one["method"] == "zero_based")]["amount"].item()
    assert zb in (0.0, 60000.0, 80000.0, 140000.0)
    # marginal labour = last year's labour + one salesperson (150,000 > 96,000 but 90,000 is not)
    pos = one[(one["category"] == "labour") & (one["method"] == "percent_of_sales")]
    assert len(pos) == 1


def test_plan_budget_method_that_does_not_apply_is_an_error(priced):
    plan = priced["plan"].model_copy(update={"budget": priced["plan"].budget.model_copy(
        update={"methods": {**priced["plan"].budget.methods, "labour": "objective_task"}})})
    with pytest.raises(BudgetError, match=r"budget.methods.labour: objective_task does not apply to labour"):
        costing.plan_budget(plan, priced["tree"], priced["con"], priced["targets"])


def test_plan_budget_channel_objective_task_below_county_says_how_to_fix_the_plan(priced):
    # a plan down to townships: the budget's units are townships, the terminal targets are split per county
    plan = priced["plan"].model_copy(update={"scope": priced["plan"].scope.model_copy(
        update={"levels": ("hq", "province", "city", "county", "township")})})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the targets' warnings on lines recorded above the units
        table = targets.plan_targets(plan, priced["tree"], priced["con"]).table
    with pytest.raises(BudgetError, match=r"budget's units are the plan's deepest level, here township; end "
                                          r"scope.levels at county .* or choose another method for channel"):
        costing.plan_budget(plan, priced["tree"], priced["con"], table)


def test_plan_budget_region_override_that_overspends_flags_sales_met_profit_missed(priced):
    bp = priced["plan"].budget
    heavy = bp.model_copy(update={"channel": bp.channel.model_copy(update={
        "display": {"A": 90000.0, "B": 60000.0}}), "cap_ratio": 0.9})
    pb = costing.plan_budget(priced["plan"], priced["tree"], priced["con"], priced["targets"],
                             region_params={"P01C01K01": heavy})
    row = pb.regions.set_index("region_id").loc["P01C01K01"]
    assert bool(row["sales_reachable"]) and not bool(row["profit_reachable"])
    assert row["flag"] == "sales met, profit missed"
    assert row["profit_at_target"] == pytest.approx(
        row["target_revenue"] - row["ly_variable_cost"] / row["ly_volume"] * row["target_volume"] - row["budget"])


def test_plan_budget_bep_matches_the_formula(priced):
    r = priced["pb"].regions.dropna(subset=["bep_units"])
    bep = r["cvp_fixed_cost"] / (r["cvp_price"] - r["cvp_unit_variable_cost"])
    assert np.allclose(r["bep_units"], bep)


def test_write_results_and_excel(priced, tmp_path):
    names = {r: priced["tree"].name(r) for r in priced["tree"].ids}
    written = steps.write_budget(priced["pb"], tmp_path, plan_id="demo-2026", names=names)
    t, regions, methods = run_folder.load_budget(tmp_path)
    assert len(t) == len(priced["pb"].table) and t["amount"].sum() == pytest.approx(priced["pb"].table["amount"].sum())
    wb = openpyxl.load_workbook(written[-1], read_only=True)
    assert wb.sheetnames == ["费用 区域×月份", "终端渠道费用", "本量利与双重检查"]
    assert written[-1].name == "demo-2026-budget.xlsx"  # the budget's own workbook
    # with the targets, the targets workbook is written again with each region's profit target
    written = steps.write_budget(priced["pb"], tmp_path, plan_id="demo-2026", names=names, targets=priced["targets"])
    assert [p.name for p in written if p.suffix == ".xlsx"] == ["demo-2026-budget.xlsx"]
    ws = openpyxl.load_workbook(tmp_path / "demo-2026-targets.xlsx", read_only=True)["总部"]
    rows = list(ws.values)
    assert rows[0][4] == "利润目标（元）"
    assert rows[1][4] == pytest.approx(priced["pb"].regions.set_index("region_id").loc[rows[1][0], "profit_target"])


def test_portal_flags_sales_met_profit_missed_and_escapes():
    manifest = {"plan_id": "p", "run_id": "r", "notebooks": ["30_build_budget"], "entries": []}
    rows = [{"region_id": "K1", "name": "<b>县</b>", "level": "county", "flag": "sales met, profit missed"},
            {"region_id": "K2", "name": "章丘", "level": "county", "flag": "both met"}]
    page = portal.render_portal(manifest, rows)
    assert "销量达成、利润未达：1" in page
    assert "&lt;b&gt;县&lt;/b&gt;" in page and "<b>县</b>" not in page


def test_plan_budget_every_parent_is_its_units_plus_the_own_items_below_it(priced):
    """Each parent's consolidated rows: its planning units' rows and the own items of the parents below it."""
    t, tree = priced["pb"].table, priced["tree"]
    cents = t.assign(c=np.rint(t["amount"] * 100).astype(np.int64))
    key = ["month", "category", "item"]
    parents = pd.unique(cents.loc[cents["method"] == "consolidated", "region_id"])
    units = cents[~cents["method"].isin(["consolidated", "own"])]
    own = cents[cents["method"] == "own"]
    for parent in parents:
        below = set(tree.subtree(parent)) - {parent}
        want = pd.concat([units[units["region_id"].isin(below)], own[own["region_id"].isin(below)]])
        want = want.groupby(key)["c"].sum()
        got = cents[(cents["region_id"] == parent) & (cents["method"] == "consolidated")].groupby(key)["c"].sum()
        pd.testing.assert_series_equal(got.sort_index(), want[want != 0].sort_index(), check_names=False)


def test_plan_budget_parents_stay_within_their_caps_by_squeezing_their_own_items(priced):
    bp = priced["plan"].budget
    plan = priced["plan"].model_copy(update={"budget": bp.model_copy(update={"cap_ratio": 0.16})})
    pb = costing.plan_budget(plan, priced["tree"], priced["con"], priced["targets"])
    r = pb.regions
    assert (r["budget"] <= r["cap"] + 0.01).all()  # every level, not just the counties
    assert any("own items scaled down" in n for n in pb.notes)
    # still exact: a parent = its children + its own items
    t = pb.table
    hq = t[t["region_id"] == "HQ"]["amount"].sum()
    kids = t[t["region_id"].isin(priced["tree"].children("HQ"))]["amount"].sum()
    own = t[(t["region_id"] == "HQ") & (t["method"] == "own")]["amount"].sum()
    assert hq == pytest.approx(kids + own, abs=0.01)


def test_plan_budget_cap_amount_below_the_childrens_sum_names_the_region(priced):
    bp = priced["plan"].budget
    plan = priced["plan"].model_copy(update={"budget": bp.model_copy(update={"cap_amount": 1_000_000.0})})
    with pytest.raises(BudgetError, match=r"budget cap of HQ \(.*\): its children's budgets .* exceed its cap 1,000,000.00"):
        costing.plan_budget(plan, priced["tree"], priced["con"], priced["targets"])


def test_plan_budget_price_below_variable_cost_flags_the_region_not_the_plan(priced):
    bp = priced["plan"].budget
    heavy = bp.model_copy(update={"channel": bp.channel.model_copy(update={"display": {"A": 9e6, "B": 9e6}}),
                                  "cap_ratio": 1.0})
    loose = bp.model_copy(update={"cap_ratio": 1.0})  # the parents' caps must allow it too
    pb = costing.plan_budget(priced["plan"], priced["tree"], priced["con"], priced["targets"],
                             region_params={"HQ": loose, "P01C01K01": heavy})
    r = pb.regions.set_index("region_id")
    assert r.loc["P01C01K01", "flag"] == "no break-even"
    assert np.isnan(r.loc["P01C01K01", "bep_units"])
    assert r.loc["P01C01K02", "flag"] in ("both met", "sales met, profit missed")  # the others are priced as usual
    assert any("no break-even" in n for n in pb.notes)


def test_zero_based_books_each_funded_activity_to_its_item(priced):
    t = priced["pb"].table
    units = priced["pb"].regions.query("level == 'county'")["region_id"]
    promo = t[t["region_id"].isin(units) & (t["category"] == "promotion")]
    assert set(promo["item"]) <= {"premiums", "promo_materials"}
    regs = priced["pb"].regions.set_index("region_id")
    uncapped = regs.index[regs["budget"] < regs["cap"] - 0.01]  # a capped unit's rows are scaled down to its cap
    per_unit = promo[promo["region_id"].isin(uncapped)].groupby("region_id")["amount"].sum().round(2)
    # the ranked list (premiums 2.5 per yuan, then promo materials 2.0) funded whole, as a prefix
    assert set(per_unit.unique()) <= {60_000.0, 140_000.0}


@pytest.mark.parametrize("region", ["P01C01", "P01C01K01", "HQ"])
def test_budget_panel_starts_at_the_reports_numbers_and_shows_the_override(priced, region):
    import html as html_mod

    import yaml

    from planlib.present import plots
    from planlib.present import widgets
    from planlib.params import StrictLoader
    from planlib.present.workbook import open_workbook

    plots.set_style()
    pb = priced["pb"]
    wb = open_workbook(region, "base", priced["folder"] / "plan.yaml", None, True)
    rb = costing.region_budget(pb.table, pb.regions, pb.methods, priced["tree"], region)
    before = set(priced["folder"].iterdir())
    panel = widgets.budget_panel(wb, rb)
    _, res = costing.tune_budget(rb.summary, costing.methods_long(rb), cap_ratio=0.25)
    assert res["budget"] == pytest.approx(rb.summary["budget"], abs=0.05)  # own items included at parents
    assert "nothing to override" in panel.override.value
    panel.cap.value = 0.2
    text = html_mod.unescape(panel.override.value)
    assert yaml.load(text[text.index("<pre>") + 5:text.index("</pre>")], Loader=StrictLoader) == {
        "budget": {"cap_ratio": 0.2}}
    assert "双重检查" in panel.output.outputs[0]["data"]["text/html"]
    assert set(priced["folder"].iterdir()) == before


def test_workbook_plan_params_is_the_plan_without_the_region_override(priced):
    from planlib.present.workbook import open_workbook

    wb = open_workbook("P01C01K01", "base", priced["folder"] / "plan.yaml", None, True)
    assert wb.plan_params().region is None and wb.plan_params().budget == wb.params.budget


def test_assumptions_table_lists_records_one_row_each_without_trailing_zeros(priced):
    from planlib.present.workbook import assumptions_table, open_workbook

    wb = open_workbook("P01C01K01", "base", priced["folder"] / "plan.yaml", None, True)
    rows = dict(assumptions_table(wb, sections=("year", "budget")).to_numpy().tolist())
    assert rows["budget.activities[0]"] == "name: 品鉴会; category: promotion; item: premiums; cost: 60000; expected_return: 150000"
    assert rows["budget.channel.display.A"] == "2400"
    assert rows["budget.cap_amount"] == "—"
    assert rows["year"] == "2026"


def test_region_kinds_with_the_runs_budget_agrees_with_the_dual_check(priced, tmp_path):
    # the targets report's profit target and its profit with the run's budget are the
    # budget report's profit target and profit at target (R - VC x V - B), for every
    # region, parents too (a parent's revenue is its children's sum in both)
    pb, tree, con, table = priced["pb"], priced["tree"], priced["con"], priced["targets"]
    (tmp_path / "results").mkdir()
    pb.regions.to_parquet(tmp_path / "results" / run_folder.RESULTS_REGIONS)
    regs = pb.regions.set_index("region_id")
    checked = 0
    for region in [tree.root, *tree.children(tree.root)[:2], tree.at_level("county")[0]]:
        b = run_folder.region_expenses(tmp_path, region)
        assert b == pytest.approx(regs.loc[region, "budget"])
        econ = targets.region_economics(con, tree, region, priced["plan"].year)
        kinds = targets.region_kinds(econ, table, plan_year=priced["plan"].year, budget=b).set_index("kind")
        assert kinds.loc["revenue", "target"] == pytest.approx(regs.loc[region, "target_revenue"], rel=1e-12)
        assert kinds.loc["profit", "target"] == pytest.approx(regs.loc[region, "profit_target"], rel=1e-9)
        assert kinds.loc["expenses", "with_budget"] == pytest.approx(b)
        assert kinds.loc["profit", "with_budget"] == pytest.approx(regs.loc[region, "profit_at_target"], rel=1e-9)
        checked += 1
    assert checked == 4
    # no budget for the region, no run folder, no budget file: None
    assert run_folder.region_expenses(tmp_path, "NOPE") is None
    assert run_folder.region_expenses(None, tree.root) is None
    assert run_folder.region_expenses(tmp_path / "elsewhere", tree.root) is None


def test_profit_target_and_reach_growth_come_from_params(priced):
    # budget.profit_target {margin: 0.3}: every region's profit target is 30% of its target revenue;
    # {amount: …} in the plan file sets the root's own; reach_growth 0 caps what a region can sell at last year
    plan = priced["plan"]
    bp = plan.budget.model_copy(update={"profit_target": params.model.ProfitTarget(margin=0.3), "reach_growth": 0.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pb = costing.plan_budget(plan.model_copy(update={"budget": bp}), priced["tree"], priced["con"],
                                 priced["targets"])
    r = pb.regions.set_index("region_id")
    assert r["profit_target"].to_numpy() == pytest.approx(0.3 * r["target_revenue"].to_numpy())
    assert set(r["profit_target_basis"]) == {"margin"}
    assert (r["reachable_volume"] <= r["ly_volume"] + 1e-9).all()
    bp = plan.budget.model_copy(update={"profit_target": params.model.ProfitTarget(amount=123_456_789.0)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pb = costing.plan_budget(plan.model_copy(update={"budget": bp}), priced["tree"], priced["con"],
                                 priced["targets"])
    r = pb.regions.set_index("region_id")
    assert r.loc["HQ", "profit_target"] == 123_456_789.0 and r.loc["HQ", "profit_target_basis"] == "amount"
    assert (r.drop(index="HQ")["profit_target_basis"] == "last_year").all()  # an amount fits one region


def test_a_profit_target_set_in_params_is_the_one_the_targets_page_shows(priced, tmp_path):
    # budget.profit_target {margin: 0.3}: the targets report's profit target is the budget's, not last year's
    # ratio's, and its expenses are the limit that target leaves (one profit target on both pages)
    plan = priced["plan"]
    bp = plan.budget.model_copy(update={"profit_target": params.model.ProfitTarget(margin=0.3)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pb = costing.plan_budget(plan.model_copy(update={"budget": bp}), priced["tree"], priced["con"],
                                 priced["targets"])
    (tmp_path / "results").mkdir()
    pb.regions.to_parquet(tmp_path / "results" / run_folder.RESULTS_REGIONS)
    regs = pb.regions.set_index("region_id")
    for region in (priced["tree"].root, priced["tree"].at_level("county")[0]):
        pt = run_folder.region_profit_target(tmp_path, region)
        assert pt == pytest.approx(0.3 * regs.loc[region, "target_revenue"])
        econ = targets.region_economics(priced["con"], priced["tree"], region, plan.year)
        kinds = targets.region_kinds(econ, priced["targets"], plan_year=plan.year, profit_target=pt).set_index("kind")
        assert kinds.loc["profit", "target"] == pytest.approx(pt, rel=1e-12)
        assert kinds.loc["expenses", "target"] == pytest.approx(kinds.loc["gross_margin", "target"] - pt, rel=1e-12)
    assert run_folder.region_profit_target(tmp_path, "NOPE") is None and run_folder.region_profit_target(None, "HQ") is None


def test_input_output_is_not_the_percent_of_sales_amount(priced):
    # before #11 input_output copied percent_of_sales (83,152 = 83,152 in every county)
    m = priced["pb"].methods
    counties = priced["pb"].regions.query("level == 'county'")["region_id"]
    wide = m[m["region_id"].isin(counties) & (m["category"] == "media")].pivot_table(
        index="region_id", columns="method", values="amount")
    assert (wide["input_output"] - wide["percent_of_sales"]).abs().max() > 1.0


def test_competitor_spend_per_unit_from_the_archive_with_an_explicit_fallback():
    # K1: 金潭 sells most there and spent 3,000 on promotion (tasting 1,000 + promotion 2,000) on 100,000;
    # K2: 古泉 sells most but recorded nothing there: the city's main competitor (金潭, 150,000) is used,
    # its spend in the city 3,000 + 600 (K2's 金潭 display is channel)
    from planlib.budget.competitors import competitor_spend
    from planlib.hierarchy import RegionTree

    tree = RegionTree(pd.DataFrame({"region_id": ["C1", "K1", "K2"], "name": ["市", "甲县", "乙县"],
                                    "level": ["city", "county", "county"], "parent_id": [None, "C1", "C1"]}))
    acts = pd.DataFrame({
        "region_id": ["K1", "K1", "K2", "K2", "K1"], "brand": ["金潭", "金潭", "金潭", "金潭", "own"],
        "kind": ["tasting", "promotion", "display", "promotion", "promotion"],
        "start_date": pd.to_datetime(["2025-03-01", "2025-06-01", "2025-06-01", "2025-09-01", "2025-06-01"]),
        "cost": [1_000.0, 2_000.0, 700.0, 600.0, 9_999.0]})
    revenue = pd.DataFrame({"region_id": ["K1", "K1", "K2", "K2"], "brand": ["金潭", "古泉", "金潭", "古泉"],
                            "revenue": [100_000.0, 20_000.0, 50_000.0, 80_000.0]})
    out = competitor_spend(acts, revenue, 2026, tree, ["K1", "K2"]).set_index(["unit", "category"])
    assert out.loc[("K1", "promotion")].to_dict() == {"brand": "金潭", "spend": 3_000.0, "revenue": 100_000.0,
                                                      "ratio": 0.03, "source": "K1", "source_name": "甲县"}
    k2 = out.loc[("K2", "promotion")]
    assert (k2["brand"], k2["spend"], k2["revenue"], k2["source"]) == ("金潭", 3_600.0, 150_000.0, "C1")
    assert out.loc[("K2", "channel"), "source"] == "C1"  # 古泉 has no channel record in K2 either
    assert out.loc[("K2", "promotion"), "source_name"] == "市"  # the page names the region, not its id
    assert competitor_spend(acts[acts["brand"] == "own"], revenue, 2026, tree, ["K1"]).empty


def test_benchmark_and_zero_based_per_region_on_the_demo(priced):
    # benchmark varies with each county's main competitor; zero_based is not capped at percent of sales
    m = priced["pb"].methods
    counties = priced["pb"].regions.query("level == 'county'")["region_id"]
    promo = m[m["region_id"].isin(counties) & (m["category"] == "promotion")].pivot_table(
        index="region_id", columns="method", values="amount")
    ratio = promo["benchmark"] / priced["pb"].regions.set_index("region_id")["target_revenue"].reindex(promo.index)
    assert ratio.round(6).nunique() > 1
    assert (promo["zero_based"] > promo["percent_of_sales"]).any()


def test_zero_based_takes_the_level_list_and_a_region_files_own(priced):
    plan = priced["plan"]
    Activity = type(plan.budget.activities[0])
    county = (Activity(name="县级品鉴", category="promotion", item="premiums", cost=10_000.0, expected_return=30_000.0),)
    own = (Activity(name="县里的大活动", category="promotion", item="premiums", cost=25_000.0, expected_return=40_000.0),)
    bp = plan.budget.model_copy(update={"level_activities": {"county": county}})
    region_params = {"P01C01K01": bp.model_copy(update={"activities": own})}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pb = costing.plan_budget(plan.model_copy(update={"budget": bp}), priced["tree"], priced["con"],
                                 priced["targets"], region_params=region_params)
    m = pb.methods[(pb.methods["category"] == "promotion") & (pb.methods["method"] == "zero_based")]
    amount = m.set_index("region_id")["amount"]
    assert amount["P01C01K01"] == 25_000.0
    assert amount["P01C01K02"] == 10_000.0


@pytest.mark.parametrize("how", ["dropped", "emptied"])
def test_an_archive_without_expenses_or_activities_still_prices_the_plan(priced, tmp_path, how):
    # the methods that need them are unavailable with a PlanWarning and a note; the rest runs
    import shutil

    import duckdb

    from planlib.archive import store as archive
    from planlib.errors import PlanWarning

    shutil.copy(priced["folder"] / "d.duckdb", tmp_path / "d.duckdb")
    with duckdb.connect(str(tmp_path / "d.duckdb")) as raw:
        for table in ("expenses", "activities"):
            raw.execute(f"DROP TABLE {table}" if how == "dropped" else f"DELETE FROM {table}")
    con = archive.connect(tmp_path / "d.duckdb")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pb = costing.plan_budget(priced["plan"], priced["tree"], con, priced["targets"])
    finally:
        con.close()
    said = [str(w.message) for w in caught if issubclass(w.category, PlanWarning)]
    assert any("input_output is unavailable, the archive has no activities rows" in m for m in said)
    assert any("percent_of_sales is unavailable, the archive has no expenses rows" in m for m in said)
    assert any("the archive has no activities and no expenses rows" in n for n in pb.notes)
    r = pb.regions.set_index("region_id")
    assert r.loc["HQ", "budget"] > 0 and (r["budget_channel"] > 0).any()  # objective_task needs neither table
    assert r.loc["HQ", "budget_media"] == 0  # media's input_output has no fallback without a set ratio
    assert "benchmark" not in set(pb.methods["method"]) and "input_output" not in set(pb.methods["method"])
    assert r.loc["HQ", "budget_office"] == 0  # percent_of_sales lacks its history; nothing else applies to office
    assert any("office is not budgeted" in m for m in said)
    assert r.loc["HQ", "budget_labour"] > 0  # the chosen marginal needs neither table
    assert set(r["profit_target_basis"]) == {"no_expense_history"}  # the report asks for budget.profit_target
    assert "budget.profit_target" in costing.dual_reading(r.loc["HQ"].rename("HQ"), 0.2)


def test_budget_history_sums_on_one_thread_whatever_the_connection_and_restores_it(priced):
    """A notebook's many-threaded connection reads the budget's history as the one-thread plan step does."""
    from planlib.archive import store as archive
    from planlib.archive.queries.budget import budget_history

    con = archive.connect(priced["folder"] / "d.duckdb", threads=2)  # (connections to one file share the setting)
    threads = lambda: con.sql("SELECT current_setting('threads')").fetchall()[0][0]  # noqa: E731
    try:
        many = budget_history(con, None, priced["plan"].year)
        assert threads() == 2  # restored
        con.execute("SET threads = 1")
        one = budget_history(con, None, priced["plan"].year)
        con.execute("SET threads = 2")
        again = budget_history(con, None, priced["plan"].year)
        curves = costing.plan_response(priced["plan"], priced["tree"], con)["curves"]
        assert threads() == 2
    finally:
        con.close()
    for other in (one, again):
        for x, y in zip(many, other):  # the same rows in the same order, every sum to the last bit
            pd.testing.assert_frame_equal(x, y, check_exact=True)
    assert len(many[0]) > 0 and many[0]["revenue"].sum() > 0
    # the curves a notebook draws are the ones the plan's budget priced with
    pd.testing.assert_frame_equal(curves.reset_index(drop=True), priced["pb"].response.reset_index(drop=True),
                                  check_exact=True)


def test_consolidate_sums_children_and_own_items_in_tree_order_month_pair_method():
    from planlib.budget.plan import _consolidate
    from planlib.hierarchy import RegionTree

    tree = RegionTree(pd.DataFrame({
        "region_id": ["HQ", "P2", "P1", "K2", "K1", "K3"], "name": list("abcdef"),
        "level": ["hq", "province", "province", "county", "county", "county"],
        "parent_id": [None, "HQ", "HQ", "P1", "P1", "P2"]}))
    unit_rows = pd.DataFrame({
        "region_id": ["K1", "K2", "K1", "K3", "K2"], "month": [2, 1, 1, 1, 1],
        "category": ["media", "media", "office", "media", "media"], "item": ["tv", "tv", "rent", "tv", "print"],
        "terminal_id": None, "amount": [1.10, 2.20, 3.30, 4.40, 0.01], "method": "percent_of_sales"})
    own_rows = pd.DataFrame({"region_id": ["P1", "HQ"], "month": [1, 1], "category": ["office", "media"],
                             "item": ["rent", "tv"], "terminal_id": None, "amount": [5.0, 0.5], "method": "own"})
    out = _consolidate(unit_rows, own_rows, tree, ["K1", "K2", "K3"], ["HQ", "P1", "P2"])
    assert out.iloc[:5].reset_index(drop=True).equals(unit_rows)  # the units' rows first, as they are
    up = out.iloc[5:]
    got = list(zip(up["region_id"], up["month"], up["category"], up["item"], up["method"], up["amount"].round(2)))
    assert got == [  # HQ, P1, P2 (the tree's order); month, category, item; consolidated before own
        ("HQ", 1, "media", "print", "consolidated", 0.01), ("HQ", 1, "media", "tv", "consolidated", 6.6),
        ("HQ", 1, "media", "tv", "own", 0.5), ("HQ", 1, "office", "rent", "consolidated", 8.3),
        ("HQ", 2, "media", "tv", "consolidated", 1.1),
        ("P1", 1, "media", "print", "consolidated", 0.01), ("P1", 1, "media", "tv", "consolidated", 2.2),
        ("P1", 1, "office", "rent", "consolidated", 3.3), ("P1", 1, "office", "rent", "own", 5.0),
        ("P1", 2, "media", "tv", "consolidated", 1.1),
        ("P2", 1, "media", "tv", "consolidated", 4.4)]
    assert up["terminal_id"].isna().all() and str(up["region_id"].dtype) == "str"


def test_nearest_planned_is_each_region_or_its_nearest_planned_ancestor():
    from planlib.budget.plan import _nearest_planned
    from planlib.errors import HierarchyError
    from planlib.hierarchy import RegionTree

    tree = RegionTree(pd.DataFrame({
        "region_id": ["HQ", "P1", "P2", "C1", "C2", "K1", "K2", "K3", "T1", "T2"], "name": list("abcdefghij"),
        "level": ["hq", "province", "province", "city", "city", "county", "county", "county", "township", "township"],
        "parent_id": [None, "HQ", "HQ", "P1", "P2", "C1", "C1", "C2", "K1", "K3"]}))
    planned = {"P1", "K1", "K2", "C2"}  # HQ and P2 above every planned region; C1 between P1 and its counties
    regions = ["T1", "K1", "C1", "T2", "K3", "HQ", "P2", "K2", "C2"]
    got = _nearest_planned(tree, regions, planned)
    assert got == {"T1": "K1", "K1": "K1", "C1": "P1", "T2": "C2", "K3": "C2", "HQ": None, "P2": None,
                   "K2": "K2", "C2": "C2"}
    assert list(got) == regions
    # the same as looking along (r, *ancestors) region by region, whatever the order they come in
    naive = {r: next((a for a in (r, *tree.ancestors(r)) if a in planned), None) for r in tree.ids}
    assert _nearest_planned(tree, list(reversed(tree.ids)), planned) == naive
    with pytest.raises(HierarchyError, match="X9"):
        _nearest_planned(tree, ["T1", "X9"], planned)


def test_budget_history_months_are_the_same_without_the_join_filter_and_the_setting_is_restored(priced):
    """The month query runs with DuckDB's join filter pushdown off: the same rows, order and bits, and the
    connection's own disabled optimizers are back after it."""
    from planlib.archive import store as archive
    from planlib.archive.queries.budget import budget_history
    from planlib.schemas import OWN_BRAND

    con = archive.connect(priced["folder"] / "d.duckdb", threads=1)
    setting = lambda: con.sql("SELECT current_setting('disabled_optimizers')").fetchall()[0][0]  # noqa: E731
    try:
        con.execute("SET disabled_optimizers = 'top_n'")
        monthly = budget_history(con, None, priced["plan"].year)[0]
        assert setting() == "top_n"
        con.execute("SET disabled_optimizers = ''")
        pushed = con.sql(  # the query with the optimizer on, as before
            "SELECT region_id, date, sum(volume) AS volume, sum(revenue) AS revenue, "
            "sum(volume * coalesce(unit_variable_cost, 0)) AS variable_cost "
            "FROM sales JOIN products USING (sku) WHERE grain = 'month' AND brand = ? AND date < ? GROUP BY ALL",
            params=[OWN_BRAND, pd.Timestamp(priced["plan"].year, 1, 1).date()],
        ).to_arrow_table().to_pandas()
        assert setting() == ""
    finally:
        con.close()
    pushed["date"] = pd.to_datetime(pushed["date"])
    assert len(monthly) > 100 and monthly["variable_cost"].sum() > 0
    pd.testing.assert_frame_equal(monthly, pushed, check_exact=True)


def test_a_rerun_reads_last_years_history_back_and_prices_the_same_budget(priced, tmp_path, monkeypatch):
    """plan_budget(cache_dir=): the first run reads the archive and keeps it, the rerun queries nothing; both equal the uncached budget."""
    from planlib.budget import plan as budget_plan

    pb, args = priced["pb"], (priced["plan"], priced["tree"], priced["con"], priced["targets"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = costing.plan_budget(*args, cache_dir=tmp_path)
        assert any(p.name.startswith("reads-budget_history-") for p in tmp_path.iterdir())

        def no_query(*a, **k):
            raise AssertionError("the rerun queried the archive")

        real = budget_plan.budget_history  # the stand-in is keyed as the query it stands in for
        no_query.__module__, no_query.__name__, no_query.__qualname__ = real.__module__, real.__name__, real.__qualname__
        monkeypatch.setattr(budget_plan, "budget_history", no_query)
        rerun = costing.plan_budget(*args, cache_dir=tmp_path)
    for got in (first, rerun):
        pd.testing.assert_frame_equal(got.table, pb.table, check_exact=True)
        pd.testing.assert_frame_equal(got.regions, pb.regions, check_exact=True)


def test_history_gaps_names_what_the_budget_lacks_where_it_lacks_it(tmp_path, demo_copy):
    import duckdb

    demo_copy(tmp_path / "g.duckdb", start_year=2023)
    con = duckdb.connect(str(tmp_path / "g.duckdb"))
    try:
        tree = archive.load_tree(con)
        town = tree.children("P01C01K01")[0]
        assert costing.history_gaps(con, tree, "P01C01K01", year=2026, root="HQ") == ""
        # a township: no activity of its own (its county's and the plan's serve), and here no expense last year
        assert not con.execute("SELECT count(*) FROM activities WHERE region_id = ?", [town]).fetchone()[0]
        con.execute("DELETE FROM expenses WHERE region_id = ? AND year(date) = 2025", [town])
        said = costing.history_gaps(con, tree, town, year=2026, root="HQ")
        assert said == ("档案中没有本区域去年的费用数据：销售百分比法须在参数中设定费用率，利润目标不含去年费用率。"
                        "所选方法不可用的类别按其他方法编制（见方法比较）。")
        # none last year in a province's regions, some elsewhere: a plan rooted there lacks them, the whole plan not
        con.execute("DELETE FROM activities WHERE brand <> 'own' AND year(start_date) = 2025 AND region_id LIKE 'P01%'")
        assert costing.history_gaps(con, tree, "P01C01K01", year=2026, root="HQ") == ""
        assert costing.history_gaps(con, tree, "P01C01K01", year=2026, root="P01") == (
            "档案中没有本方案去年竞品的活动：竞争对手参照法不可用。所选方法不可用的类别按其他方法编制（见方法比较）。")
        # no competitor's activity last year: benchmark has nothing to borrow; input_output still fits
        con.execute("DELETE FROM activities WHERE brand <> 'own' AND year(start_date) = 2025")
        assert costing.history_gaps(con, tree, "P01C01K01", year=2026, root="HQ") == (
            "档案中没有本方案去年竞品的活动：竞争对手参照法不可用。所选方法不可用的类别按其他方法编制（见方法比较）。")
        con.execute("DELETE FROM activities")
        assert "档案中没有本方案去年竞品的活动和本品的历史活动：竞争对手参照法与投入产出法不可用" in costing.history_gaps(
            con, tree, "P01C01K01", year=2026, root="HQ")
    finally:
        con.close()


def test_a_county_without_revenue_last_year_is_priced_at_the_plans_ratio_and_the_basis_says_so(tmp_path, demo_copy):
    """平阴县 sold nothing last year: its percent-of-sales basis read "费用率 6.52%（本区域去年）", the plan's ratio."""
    from tests.budget.conftest import PLAN_YAML

    demo_copy(tmp_path / "d.duckdb", start_year=2023)
    held = "split: {holds: {P01C01K02: 5000}}\n"  # a target of its own: it is not split a share of nothing
    (tmp_path / "plan.yaml").write_text(PLAN_YAML.replace("labour: marginal", "labour: percent_of_sales") + held,
                                        encoding="utf-8")
    con = archive.connect(tmp_path / "d.duckdb", read_only=False)
    try:
        tree = archive.load_tree(con)
        county = "P01C01K02"
        con.execute("DELETE FROM sales WHERE region_id IN (SELECT unnest(?::VARCHAR[])) AND year(date) = 2025",
                    [list(tree.subtree(county))])
        plan = params.load_plan(tmp_path / "plan.yaml", tree=tree)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pb = costing.plan_budget(plan, tree, con, targets.plan_targets(plan, tree, con).table)
        m = pb.methods[(pb.methods["method"] == "percent_of_sales") & (pb.methods["category"] == "labour")]
        basis = m.set_index("region_id")["basis"]
        sold = con.execute("SELECT sum(revenue) FROM sales WHERE grain = 'month' AND brand = 'own' AND year(date) = 2025 "
                           "AND region_id IN (SELECT unnest(?::VARCHAR[]))", [list(tree.subtree("HQ"))]).fetchone()[0]
        counties = [r for c in tree.subtree("HQ") if tree.level(c) == "county" for r in tree.subtree(c)]
        spent = con.execute("SELECT sum(amount) FROM expenses WHERE category = 'labour' AND year(date) = 2025 AND "
                            "region_id IN (SELECT unnest(?::VARCHAR[]))", [counties]).fetchone()[0]
        assert basis[county].startswith(f"费用率 {spent / sold:.2%}（全方案去年；本区域去年没有销售额）× 目标销售额 ")
        assert basis["P01C01K01"].startswith("费用率 ") and "（本区域去年）" in basis["P01C01K01"]
        row = pb.regions.set_index("region_id").loc[county]
        assert row["ly_revenue"] == 0.0 and row["profit_target_basis"] == "last_year"
        assert "（目标销售额 − 产品成本 − 全方案去年费用率 × 目标销售额；本区域去年没有销售额）" in costing.dual_reading(row, 0.2)
        k01 = pb.regions.set_index("region_id").loc["P01C01K01"]
        assert "（目标销售额 − 产品成本 − 去年费用率 × 目标销售额）" in costing.dual_reading(k01, 0.2)
    finally:
        con.close()
