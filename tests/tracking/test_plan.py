"""The plan-wide tracking on the tiny plan (conftest): hand values, exact re-aggregation, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planlib.errors import DataError, HierarchyError, ParamsError
from planlib.hierarchy import RegionTree
from planlib.tracking.lines import (
    BREAKDOWNS,
    NO_KEY,
    TRACKING_COLUMNS,
    build_lines,
    sales_facts,
    tracking_frame,
)
from planlib.tracking.plan import SUMMARY_COLUMNS, PlanTracking, plan_tracking
from planlib.tracking.rollup import plan_regions
from tests.tracking.conftest import (
    AS_OF,
    MILESTONES,
    REGIONS,
    build_budget,
    build_budget_regions,
    build_expenses,
    build_sales,
    build_targets,
)

RUN = Path("/tmp/runs0/demo-2027/20261202-000630/results")


def track(targets, sales, tree, as_of=AS_OF, **kw) -> PlanTracking:
    opts = {"rollover": "none", "tolerance": 0.1, "over_budget": "stop", "milestones": MILESTONES, "unit": 1}
    opts.update(kw)
    return plan_tracking(targets, build_budget(), build_budget_regions(), sales, build_expenses(), tree, as_of, **opts)


def line(pt: PlanTracking, region, breakdown="total", key=None, measure="volume") -> pd.DataFrame:
    t = pt.tracking
    m = (t["region_id"] == region) & (t["breakdown"] == breakdown) & (t["measure"] == measure)
    m &= t["key"].isna() if key is None else (t["key"] == key)
    return t[m].reset_index(drop=True)


def actual3(pt, region, breakdown="total", key=None, measure="volume") -> list:
    return line(pt, region, breakdown, key, measure)["actual"].iloc[:3].astype(float).tolist()


def test_columns_and_shape(targets, sales, tree):
    pt = track(targets, sales, tree)
    assert tuple(pt.tracking.columns) == TRACKING_COLUMNS
    assert tuple(pt.summary.columns) == SUMMARY_COLUMNS
    assert pt.plan_year == 2027 and pt.as_of == AS_OF
    # every region of the targets is tracked, at every level
    assert set(pt.tracking["region_id"].astype(str)) == {"HQ", "P1", "C1", "K1", "K1T1", "K2"}
    # 12 months x 2 measures per line
    assert (pt.tracking.groupby(["region_id", "breakdown", "key"], observed=True, dropna=False).size() == 24).all()
    assert set(pt.tracking["breakdown"].astype(str)) == set(BREAKDOWNS)


def test_hand_computed_actuals(targets, sales, tree):
    pt = track(targets, sales, tree)
    assert actual3(pt, "K1") == [90.0, 180.0, 105.0]
    assert actual3(pt, "K2") == [50.0, 40.0, 60.0]
    assert actual3(pt, "C1") == [140.0, 220.0, 165.0]
    assert actual3(pt, "HQ") == [140.0, 220.0, 165.0]
    # the township is tracked on its C/D line: TA1's February sale there counts in K1's TA1 line
    assert actual3(pt, "K1T1") == [30.0, 50.0, 40.0]
    assert actual3(pt, "K1T1", "terminal", "CD") == [30.0, 50.0, 40.0]
    assert actual3(pt, "K1", "terminal", "TA1") == [40.0, 120.0, 60.0]
    assert actual3(pt, "K1", "terminal", "CD") == [20.0, 10.0, 5.0]
    assert actual3(pt, "K2", "terminal", "TB1") == [0.0, 0.0, 0.0]
    assert actual3(pt, "C1", "sku", "S1") == [110.0, 170.0, 125.0]
    assert actual3(pt, "C1", "product_line", "保健酒") == [30.0, 50.0, 40.0]
    assert actual3(pt, "K1", "terminal_class", "C") == [50.0, 60.0, 40.0]
    assert actual3(pt, "K1", "channel", "restaurant", "revenue") == [300.0, 500.0, 400.0]


def test_a_key_only_actuals_have_gets_a_line_without_target(targets, sales, tree):
    pt = track(targets, sales, tree)
    none = line(pt, "K1", "terminal_class", NO_KEY)
    assert none["target"].sum() == 0
    assert none["actual"].iloc[:3].tolist() == [0.0, 0.0, 5.0]
    assert none["completion"].isna().all()


def test_targets_are_the_plans_and_actuals_null_after_as_of(targets, sales, tree):
    pt = track(targets, sales, tree)
    k1 = line(pt, "K1")
    assert k1["target"].tolist() == [100.0, 200.0] + [100.0] * 10
    assert k1["actual"].iloc[3:].isna().all()
    assert k1["completion"].iloc[:3].astype(float).tolist() == pytest.approx([0.9, 0.9, 1.05])
    assert k1["completion"].iloc[3:].isna().all()
    t1 = line(pt, "K1T1")
    assert t1["target"].tolist() == [30.0, 60.0] + [30.0] * 10
    assert line(pt, "K1", measure="revenue")["target"].iloc[0] == 1000.0
    assert str(pt.tracking["actual"].dtype) == "Float64"


def test_revised_targets_follow_the_rollover_mode(targets, sales, tree):
    none = track(targets, sales, tree)
    assert (none.tracking["revised_target"] == none.tracking["target"]).all()
    pt = track(targets, sales, tree, rollover="next_month")
    k1 = line(pt, "K1")
    # Jan 90 of 100: 10 rolls; Feb 180 of 210: 30 rolls; Mar 105 of 130: 25 rolls to April
    assert k1["revised_target"].tolist() == [90.0, 180.0, 105.0, 125.0] + [100.0] * 8
    grouped = pt.tracking.groupby(["region_id", "breakdown", "key", "measure"], observed=True, dropna=False)
    sums = grouped[["target", "revised_target"]].sum()
    np.testing.assert_allclose(sums["revised_target"], sums["target"], rtol=0, atol=1e-6)


def test_summary_of_a_region(targets, sales, tree):
    pt = track(targets, sales, tree, rollover="next_month")
    k1 = pt.summary[(pt.summary["region_id"] == "K1") & (pt.summary["measure"] == "volume")].iloc[0]
    assert k1["year_target"] == 1300
    assert k1["target_to_date"] == 400 and k1["actual_to_date"] == 375
    assert k1["time_progress"] == pytest.approx(400 / 1300)
    assert k1["task_progress"] == pytest.approx(375 / 1300)
    assert k1["gap"] == -25 and k1["status"] == "behind"
    assert k1["pace"] == pytest.approx(375 / 400)
    assert k1["landing"] == pytest.approx(375 + 900 * 375 / 400)
    assert k1["run_rate_needed"] == pytest.approx((1300 - 375) / 9)
    assert k1["open_month"] == pd.Timestamp("2027-04-01") and k1["revised_open_month"] == 125
    assert k1["rollover"] == "next_month" and k1["landing_method"] == "profile"


def test_milestones_count_key_terminals_that_bought(targets, sales, tree):
    pt = track(targets, sales, tree, names={"TB1": "福满楼"})
    m = pt.milestones.set_index(["region_id", "stage"])
    assert m.loc[("K1", "一季度"), ["key_terminals", "covered", "status"]].tolist() == [1, 1, "met"]
    assert m.loc[("K2", "一季度"), ["covered", "status", "missed", "missed_names"]].tolist() == [
        0, "missed", ("TB1",), ("福满楼",)]
    assert m.loc[("C1", "一季度"), ["key_terminals", "covered", "coverage", "status"]].tolist() == [2, 1, 0.5, "met"]
    assert m.loc[("C1", "全年"), ["status", "to_win"]].tolist() == ["not yet due", 1]
    assert "K1T1" not in set(pt.milestones["region_id"])


def test_control_and_dual_check(targets, sales, tree):
    pt = track(targets, sales, tree)
    c = pt.control.set_index("region_id")
    assert c.loc["K1", ["budget_to_date", "spend_to_date", "flag", "severity"]].tolist() == [450.0, 525.0,
                                                                                               "over_budget", "stop"]
    assert c.loc["K2", ["spend_to_date", "flag", "severity"]].tolist() == [170.0, "item_over_tolerance", "warn"]
    assert c.loc["C1", ["budget_year", "budget_to_date", "spend_to_date"]].tolist() == [2880.0, 720.0, 785.0]
    d = pt.dual.set_index("region_id")
    assert d.loc["K2", ["target_revenue_to_date", "actual_revenue", "actual_variable_cost", "actual_expenses",
                        "profit_target_to_date", "actual_profit", "verdict"]].tolist() == [
        1500.0, 1500.0, 900.0, 170.0, 450.0, 430.0, "sales met, profit missed"]
    assert d.loc["K1", "verdict"] == "both missed"


def test_weekly_core_terminals(targets, sales, tree, weekly):
    pt = track(targets, sales, tree, actual_weekly=weekly)
    w = pt.weekly[(pt.weekly["measure"] == "volume")].set_index("week")
    # TA1 plans 50 in January (50/31 a day) and 100 in February (100/28 a day)
    assert w.loc["2027-01-04", "target"] == pytest.approx(round(7 * 50 / 31, 2))
    assert w.loc["2027-01-25", "actual"] == 20.0
    assert w.loc["2027-02-01", "actual"] == 30.0
    assert w.loc["2027-01-11", "actual"] == 0.0
    assert w.index.max() == pd.Timestamp("2027-03-29") and not w.loc["2027-03-29", "complete"]


def assert_reaggregates(tracking: pd.DataFrame, sales: pd.DataFrame, tree: RegionTree) -> None:
    """A parent's target and actual are its children's sums plus its own rows, exactly (in cents)."""
    t = pd.DataFrame({
        "region_id": tracking["region_id"].astype(str), "breakdown": tracking["breakdown"].astype(str),
        "key": tracking["key"].astype(object).fillna(""), "measure": tracking["measure"].astype(str),
        "month": tracking["month"],
        "actual": np.rint(tracking["actual"].astype("float64").fillna(0) * 100).astype(np.int64),
        "target": np.rint(tracking["target"] * 100).astype(np.int64)})
    t["parent"] = t["region_id"].map(tree.parents)
    cell = ["breakdown", "key", "measure", "month"]
    values = t.set_index(["region_id", *cell])[["actual", "target"]].sort_index()
    kids = t[t["breakdown"] != "terminal"].groupby(["parent", *cell])[["actual", "target"]].sum()
    kids.index = kids.index.rename("region_id", level=0)
    own = t[t["breakdown"] == "terminal"].groupby(["region_id", "measure", "month"])[["actual", "target"]].sum()
    present = set(t["region_id"])
    parents = set(t["parent"].dropna()) & present
    checked = 0
    for b in ("total", "product_line", "sku", "channel", "terminal_class"):
        carriers = set(t.loc[t["breakdown"] == b, "region_id"])
        # parents all of whose children carry the breakdown (the total: every parent)
        ps = [p for p in parents if p in carriers and all(c in carriers for c in tree.children(p) if c in present)]
        got = values[values.index.get_level_values("region_id").isin(ps)
                     & (values.index.get_level_values("breakdown") == b)]
        want = kids.reindex(got.index, fill_value=0)
        assert set(kids[kids.index.get_level_values("region_id").isin(ps)
                        & (kids.index.get_level_values("breakdown") == b)].index) <= set(got.index)
        if b == "total":
            extra = own.reindex(pd.MultiIndex.from_arrays([got.index.get_level_values(i) for i in (0, 3, 4)]),
                                fill_value=0)
            has_own = got.index.get_level_values("region_id").isin(own.index.get_level_values(0))
            want = want + extra.to_numpy()
            # the plan prices each terminal line at its own price: its revenue targets need not add up to
            # the county's (planlib.targets.allocate); its volumes, and every actual, do
            skip = has_own & (got.index.get_level_values("measure") == "revenue")
            want.loc[skip, "target"] = got.loc[skip, "target"]
        pd.testing.assert_frame_equal(got, want, check_dtype=False)
        checked += len(got)
    assert checked > 0
    # and the whole: the top's actual is every sale, to the cent
    top = tree.root if tree.root in set(t["region_id"]) else None
    if top is not None:
        hq = t.loc[(t["region_id"] == top) & (t["breakdown"] == "total") & (t["measure"] == "revenue"), "actual"].sum()
        assert hq == int(np.rint(sales["revenue"] * 100).sum())


def test_every_figure_reaggregates_up_the_pyramid(targets, sales, tree):
    assert_reaggregates(track(targets, sales, tree).tracking, sales, tree)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["K1", "K1T1", "K2"]), st.integers(1, 6), st.sampled_from(["S1", "S2"]),
                          st.sampled_from(["supermarket", "restaurant", "group_purchase"]),
                          st.sampled_from(["TA1", "TB1", "TC1", "TC2", None]), st.integers(-5, 500),
                          st.integers(0, 99)), min_size=1, max_size=40))
def test_reaggregation_holds_for_any_actuals(targets, tree, rows):
    cls = {"TA1": "A", "TB1": "B", "TC1": "C", "TC2": "D", None: None}
    sales = pd.DataFrame({
        "region_id": [r[0] for r in rows], "month": [pd.Timestamp(2027, r[1], 1) for r in rows],
        "sku": [r[2] for r in rows], "product_line": [{"S1": "白酒", "S2": "保健酒"}[r[2]] for r in rows],
        "channel": [r[3] for r in rows], "terminal_id": [r[4] for r in rows], "terminal_class": [cls[r[4]] for r in rows],
        "volume": [float(r[5]) for r in rows], "revenue": [r[5] * 10 + r[6] / 100 for r in rows],
        "variable_cost": [r[5] * 6.0 for r in rows],
    })
    as_of = pd.Timestamp("2027-06-30")
    regions = plan_regions(tree, targets["region_id"].unique())
    lines = build_lines(targets, sales_facts(sales, regions, targets, 2027, as_of), regions, 2027)
    tracking = tracking_frame(lines, regions, 2027, as_of, rollover="spread", unit=1)
    assert_reaggregates(tracking, sales, tree)
    # a county's total is its townships' totals and its own terminal lines
    of = lambda r, b: lines.actual_cents[(regions.ids[lines.region] == r) & (lines.breakdown == b)]
    np.testing.assert_array_equal(of("K1", "total").sum(axis=0),
                                  of("K1", "terminal").sum(axis=0) + of("K1T1", "total").sum(axis=0))


def test_inputs_are_not_changed(targets, sales, tree):
    before = (targets.copy(), sales.copy())
    track(targets, sales, tree)
    pd.testing.assert_frame_equal(targets, before[0])
    pd.testing.assert_frame_equal(sales, before[1])


def test_actuals_in_a_region_outside_the_tree(targets, sales, tree):
    bad = pd.concat([sales, sales.iloc[[0, 1]].assign(region_id="K9")], ignore_index=True)
    with pytest.raises(DataError, match=r"K9 \(2 rows\)"):
        track(targets, bad, tree)


def test_actuals_in_a_region_outside_the_plan(targets, sales):
    regions = pd.concat([REGIONS, pd.DataFrame([("P2", "河北省", "province", "HQ"), ("C2", "石家庄", "city", "P2")],
                                               columns=REGIONS.columns)], ignore_index=True)
    sub = targets[targets["region_id"] != "HQ"]
    sub = sub.assign(region_id=sub["region_id"].astype(str).astype("category"))
    bad = pd.concat([sales, sales.iloc[[0]].assign(region_id="C2")], ignore_index=True)
    with pytest.raises(DataError, match=r"outside the plan.*C2 \(1 rows\)"):
        track(sub, bad, RegionTree(regions))


def test_actuals_of_an_unknown_sku(targets, sales, tree):
    bad = pd.concat([sales, sales.iloc[[0, 1, 2]].assign(sku="X9")], ignore_index=True)
    with pytest.raises(DataError, match=r"X9 \(3 rows\)"):
        track(targets, bad, tree)
    # the products table's SKUs may be given instead of the targets'
    pt = track(targets, bad, tree, skus=["S1", "S2", "X9"])
    assert actual3(pt, "C1", "sku", "X9") == [40.0, 120.0, 60.0]


def test_as_of_outside_the_plan_year(targets, sales, tree):
    with pytest.raises(ParamsError, match=r"as_of 2026-12-31 is outside the plan year 2027"):
        track(targets, sales, tree, as_of="2026-12-31")


def test_actuals_after_as_of(targets, sales, tree):
    with pytest.raises(DataError, match=r"after as_of 2027-02-28"):
        track(targets, sales, tree, as_of="2027-02-28")


def test_a_region_of_the_targets_missing_from_the_tree(targets, sales):
    with pytest.raises(HierarchyError, match="K1T1"):
        track(targets, sales, RegionTree(REGIONS[REGIONS["region_id"] != "K1T1"]))


def test_unknown_modes_are_params_errors(targets, sales, tree):
    with pytest.raises(ParamsError, match="none, next_month, spread"):
        track(targets, sales, tree, rollover="later")
    with pytest.raises(ParamsError, match="stop, warn"):
        track(targets, sales, tree, over_budget="halt")
    with pytest.raises(ParamsError, match="profile, recent"):
        track(targets, sales, tree, landing_method="ets")


def test_no_actuals_at_all(targets, tree):
    empty = build_sales().iloc[0:0]
    pt = track(targets, empty, tree)
    assert actual3(pt, "HQ") == [0.0, 0.0, 0.0]
    assert (pt.milestones["covered"] == 0).all()


def test_a_national_shaped_plan_is_tracked_and_adds_up(tree):
    """3,000 counties (and their townships) with H1 actuals: every region tracked, HQ = all sales (speed: benchmarks)."""
    plan, sales, big_tree = national_shaped(3000)
    pt = plan_tracking(plan, build_budget().iloc[0:0], build_budget_regions().iloc[0:0], sales,
                       build_expenses().iloc[0:0], big_tree, "2027-06-30", rollover="next_month",
                       milestones=MILESTONES, unit=1)
    assert pt.summary["region_id"].nunique() == len(big_tree) - 0
    hq = pt.summary[(pt.summary["region_id"] == "HQ") & (pt.summary["measure"] == "volume")].iloc[0]
    assert hq["actual_to_date"] == sales["volume"].sum()


def national_shaped(n_counties: int):
    """The tiny plan's county pair copied n/2 times under 30 provinces (10 cities each), with six months of sales."""
    base_t = build_targets()
    base_t = base_t[base_t["region_id"].isin(["K1", "K1T1", "K2"])].astype(
        {c: object for c in ("region_id", "level", "product_line", "sku", "channel", "terminal_class", "terminal_id",
                             "distributor_id")}).reset_index(drop=True)
    base_s = build_sales()
    base_s = pd.concat([base_s.assign(month=base_s["month"] + pd.DateOffset(months=k)) for k in (0, 3)],
                       ignore_index=True)
    pairs = n_counties // 2
    provinces = [f"P{p}" for p in range(30)]
    cities = [f"P{p}C{c}" for p in range(30) for c in range(10)]
    city = pd.Series(cities, dtype=object)[np.arange(pairs) % len(cities)].to_numpy()
    stem = pd.Series(city, dtype=object) + "K" + pd.Series(np.arange(pairs)).astype(str)
    names = {"K1": (stem + "a").to_numpy(), "K1T1": (stem + "aT").to_numpy(), "K2": (stem + "b").to_numpy()}
    regions = pd.DataFrame({
        "region_id": ["HQ", *provinces, *cities, *names["K1"], *names["K1T1"], *names["K2"]],
        "level": ["hq"] + ["province"] * 30 + ["city"] * 300 + ["county"] * pairs + ["township"] * pairs
                 + ["county"] * pairs,
        "parent_id": [None] + ["HQ"] * 30 + [c[: c.index("C")] for c in cities] + list(city) + list(names["K1"])
                     + list(city)})
    regions["name"] = regions["region_id"]
    tree = RegionTree(regions)

    def copies(base: pd.DataFrame) -> pd.DataFrame:
        pair = np.repeat(np.arange(pairs), len(base))
        out = base.iloc[np.tile(np.arange(len(base)), pairs)].reset_index(drop=True)
        reg = out["region_id"].to_numpy(dtype=object)
        out["region_id"] = np.select([reg == "K1", reg == "K1T1", reg == "K2"],
                                     [names["K1"][pair], names["K1T1"][pair], names["K2"][pair]], None)
        tid = out["terminal_id"]
        out["terminal_id"] = (tid + "-" + pd.Series(pair).astype(str)).where(tid.notna(), None)
        return out

    units, sales = copies(base_t), copies(base_s)
    # the parents: every level the sum of its children's breakdown rows (no terminal lines above the county)
    up = units[units["terminal_id"].isna() & (units["terminal_class"] != "CD") & (units["level"] == "county")]
    keys = ["region_id", "level", "month", "product_line", "sku", "channel", "terminal_class"]
    parents = []
    for level in ("city", "province", "hq"):
        up = up.assign(region_id=up["region_id"].map(tree.parents), level=level)
        up = up.groupby(keys, dropna=False, as_index=False)[["target_volume", "target_revenue",
                                                              "last_year_volume"]].sum()
        up["share"] = 1.0
        parents.append(up)
    plan = pd.concat([units] + parents, ignore_index=True)
    for col in ("region_id", "level", "product_line", "sku", "channel", "terminal_class", "terminal_id",
                "distributor_id"):
        plan[col] = plan[col].astype("category")
    return plan, sales, tree


@pytest.mark.skipif(not RUN.exists(), reason="the example run is not on this machine")
def test_real_shapes_of_the_demo_run():
    """The demo run's targets and budget, with its 2027 actuals faked from its own targets' months."""
    targets = pd.read_parquet(RUN / "targets.parquet")
    budget = pd.read_parquet(RUN / "budget.parquet")
    budget_regions = pd.read_parquet(RUN / "budget_regions.parquet")
    regions = targets[["region_id", "level"]].drop_duplicates().astype(str)
    parent = {r: (None if lv == "hq" else r[: {"province": 0, "city": 3, "county": 6, "township": 9}[lv]] or "HQ")
              for r, lv in zip(regions["region_id"], regions["level"])}
    tree = RegionTree(regions.assign(name=regions["region_id"], parent_id=regions["region_id"].map(parent)))
    # actuals: each terminal line's first six months at 90% (recorded where the line is)
    lines = targets[(targets["terminal_class"].notna() & (targets["terminal_id"].notna() |
                                                          (targets["terminal_class"] == "CD")))]
    lines = lines[lines["month"] <= "2027-06-01"]
    sales = pd.DataFrame({
        "region_id": lines["region_id"].astype(str).to_numpy(), "month": lines["month"].to_numpy(),
        "sku": "KY-BJ-01", "product_line": "白酒", "channel": "supermarket",
        "terminal_id": lines["terminal_id"].astype(object).to_numpy(),
        "terminal_class": lines["terminal_class"].astype(object).to_numpy(),
        "volume": np.floor(lines["target_volume"].to_numpy() * 0.9),
        "revenue": np.round(lines["target_revenue"].to_numpy() * 0.9, 2),
        "variable_cost": np.round(lines["target_revenue"].to_numpy() * 0.5, 2),
    })
    expenses = budget[(budget["method"] != "consolidated") & (budget["month"] <= "2027-06-01")]
    pt = plan_tracking(targets, budget, budget_regions, sales, expenses[["region_id", "month", "category", "item",
                                                                           "terminal_id", "amount"]], tree,
                       "2027-06-30", rollover="next_month", milestones=MILESTONES, unit=1)
    assert set(pt.tracking["region_id"].astype(str)) == set(regions["region_id"])
    assert_reaggregates(pt.tracking, sales, tree)
    # the budget: a region's own + units' rows added up is its consolidated + own, to the cent
    c = pt.control.set_index("region_id")["budget_year"]
    whole = budget.groupby("region_id")["amount"].sum().round(2)
    pd.testing.assert_series_equal(c.sort_index(), whole.reindex(c.index).sort_index(), check_names=False)
    # spending exactly the phased budget: every total within budget, nothing flagged
    assert set(pt.control["flag"]) == {"within budget"}
    assert pt.milestones.loc[pt.milestones["region_id"] == "HQ", "status"].eq("met").all()


def test_without_budget_regions_there_is_no_dual_check(targets, sales, tree):
    pt = plan_tracking(targets, build_budget(), None, sales, build_expenses(), tree, AS_OF)
    assert pt.dual.empty and len(pt.control) == 5
