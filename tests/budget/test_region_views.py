"""region_budget, methods_long and sensitivity_view build their tables from sums and arrays: the same frames, to the bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planlib import budget as costing
from planlib.schemas import CATEGORIES

REGIONS = ["HQ", "P01", "P01C01", "P01C01K01", "P01C01K02"]


def _pivots(pb_table: pd.DataFrame, methods: pd.DataFrame, region: str):
    """The months, methods and terminal tables as region_budget built them with pivot_table."""
    mine = pb_table[pb_table["region_id"] == region]
    months = mine.assign(m=pd.DatetimeIndex(mine["month"]).month).pivot_table(
        index="m", columns="category", values="amount", aggfunc="sum", fill_value=0.0)
    months = months.reindex(index=range(1, 13), columns=list(CATEGORIES), fill_value=0.0)
    months.index.name = "month"
    m = methods[methods["region_id"] == region]
    comp = m.pivot_table(index="category", columns="method", values="amount", aggfunc="sum")
    comp = comp.reindex([c for c in CATEGORIES if c in comp.index])
    term = mine[mine["terminal_id"].notna()]
    terms = term.groupby(["terminal_id", "item"], as_index=False)["amount"].sum().pivot_table(
        index="terminal_id", columns="item", values="amount", fill_value=0.0) if len(term) else None
    return months.reset_index(), comp, terms


def _melted(rb: costing.RegionBudget) -> pd.DataFrame:
    """methods_long as it was written with melt."""
    m = rb.methods
    ids = ["category", "chosen"] + (["booked"] if "booked" in m.columns else [])
    long = m.melt(id_vars=ids, var_name="method", value_name="amount").dropna(subset=["amount"])
    long["chosen"] = long["method"] == long["chosen"]
    if "booked" in long.columns:
        long["amount"] = long["amount"].where(~long["chosen"], long["booked"])
    return long[["category", "method", "amount", "chosen"]].reset_index(drop=True)


def _jittered(pb) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plan's budget and methods with amounts of many bits, so that an order of addition shows."""
    rng = np.random.default_rng(7)
    table = pb.table.assign(amount=pb.table["amount"] * (1 + rng.uniform(-1e-3, 1e-3, len(pb.table))))
    methods = pb.methods.assign(amount=pb.methods["amount"] * (1 + rng.uniform(-1e-3, 1e-3, len(pb.methods))))
    return table, methods


@pytest.mark.parametrize("region", REGIONS)
def test_region_budget_tables_equal_pivot_tables(priced, region):
    pb = priced["pb"]
    table, methods = _jittered(pb)
    rb = costing.region_budget(table, pb.regions, methods, priced["tree"], region)
    months, comp, terms = _pivots(table, methods, region)
    pd.testing.assert_frame_equal(rb.months, months, check_exact=True)
    pd.testing.assert_frame_equal(rb.methods.drop(columns=["chosen", "booked"]).set_index("category"), comp,
                                  check_exact=True)
    if terms is None:
        assert rb.terminals.empty
    else:
        got = rb.terminals.drop(columns="合计").set_index("terminal_id").sort_index()
        pd.testing.assert_frame_equal(got, terms, check_exact=True)
        assert (rb.terminals["合计"].to_numpy() == terms.sum(axis=1).loc[rb.terminals["terminal_id"]].to_numpy()).all()


def test_region_budget_of_a_region_without_rows(priced):
    pb = priced["pb"]
    rb = costing.region_budget(pb.table.iloc[:0], pb.regions.iloc[:0], pb.methods.iloc[:0], priced["tree"], "P01C01K01")
    assert rb.months["month"].tolist() == list(range(1, 13))
    assert (rb.months.drop(columns="month").to_numpy() == 0.0).all()
    assert rb.methods.empty and rb.terminals.empty and costing.methods_long(rb).empty


@pytest.mark.parametrize("region", REGIONS)
def test_methods_long_equals_melt(priced, region):
    pb = priced["pb"]
    rb = costing.region_budget(pb.table, pb.regions, pb.methods, priced["tree"], region)
    pd.testing.assert_frame_equal(costing.methods_long(rb), _melted(rb), check_exact=True)


def test_methods_long_equals_melt_with_gaps_and_no_booked_column():
    methods = pd.DataFrame({
        "category": ["labour", "media", "channel"], "chosen": ["percent_of_sales", np.nan, "objective_task"],
        "booked": [45_000.25, 15_000.5, np.nan],
        "objective_task": [np.nan, 1.5, 50_000.125], "percent_of_sales": [60_000.0, np.nan, 7.0],
    })
    rb = costing.RegionBudget("K1", pd.Series(dtype=object), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
                              methods, pd.DataFrame(), pd.DataFrame())
    long = costing.methods_long(rb)
    pd.testing.assert_frame_equal(long, _melted(rb), check_exact=True)
    # each method's column in turn, rows without an amount dropped; a chosen row books the booked amount
    assert long["category"].tolist() == ["media", "channel", "labour", "channel"]
    assert long["method"].tolist() == ["objective_task", "objective_task", "percent_of_sales", "percent_of_sales"]
    assert long["chosen"].tolist() == [False, True, True, False]
    np.testing.assert_array_equal(long["amount"].to_numpy(), [1.5, np.nan, 45_000.25, 7.0])
    plain = costing.RegionBudget("K1", pd.Series(dtype=object), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
                                 methods.drop(columns="booked"), pd.DataFrame(), pd.DataFrame())
    pd.testing.assert_frame_equal(costing.methods_long(plain), _melted(plain), check_exact=True)


@pytest.mark.parametrize("region", REGIONS)
def test_sensitivity_view_rows_are_tune_budget(priced, region):
    """The budget priced once for the four scenarios: each row is tune_budget's own figures."""
    pb = priced["pb"]
    fixed = priced["plan"].budget.fixed_categories
    table, methods = _jittered(pb)
    rb = costing.region_budget(table, pb.regions, methods, priced["tree"], region)
    sv = costing.sensitivity_view(rb, fixed_categories=fixed, price_change=-0.07, volume_change=0.03)
    long = costing.methods_long(rb)
    for row in sv.itertuples():
        _, r = costing.tune_budget(rb.summary, long, fixed_categories=fixed, price_change=row.price_change,
                                   volume_change=row.volume_change)
        got = (row.volume, row.price, row.budget, row.profit, row.bep_units)
        want = (r["volume"], r["price"], r["budget"], r["profit"], r["bep_units"])
        np.testing.assert_array_equal(np.array(got), np.array(want))  # equal to the bit (NaN where tune_budget's is)
    assert sv["scenario"].tolist() == ["base", "price", "volume", "price_and_volume"]
    assert sv["price_change"].tolist() == [0.0, -0.07, 0.0, -0.07]


def test_the_promotion_schemes_a_region_books_are_said_beside_its_methods(priced):
    """A county's 渠道费用 read 534,986 by its chosen method and 542,986 booked, with nothing saying why:
    the 8,000 of a promotion scheme booked on its items. region_budget keeps it by category and says so."""
    pb = priced["pb"]
    region = "P01C01K01"
    mine = pb.table[pb.table["region_id"] == region]
    extra = pd.concat([mine.iloc[:2].assign(category="channel", item="display", method="scheme", amount=[5000.0, 3000.0],
                                            terminal_id=None),
                       mine.iloc[:1].assign(category="promotion", item="premiums", method="scheme", amount=3000.0,
                                            terminal_id=None)], ignore_index=True)
    rb = costing.region_budget(pd.concat([pb.table, extra], ignore_index=True), pb.regions, pb.methods,
                               priced["tree"], region)
    assert rb.schemes.to_dict() == {"channel": 8000.0, "promotion": 3000.0}
    before = costing.region_budget(pb.table, pb.regions, pb.methods, priced["tree"], region)
    booked = rb.methods.set_index("category")["booked"] - before.methods.set_index("category")["booked"]
    assert booked.round(6).to_dict() == {c: {"channel": 8000.0, "promotion": 3000.0}.get(c, 0.0) for c in booked.index}
    assert costing.booked_reading(rb) == ("预算（上限后）含促销方案的费用：渠道费用 8,000 元、推广费用 3,000 元"
                                          "（见促销方案页）。")
    assert before.schemes.empty and costing.booked_reading(before) == ""


def test_cvp_view_shows_per_case_figures_in_fen_and_the_rest_whole():
    """VC of 265.42 read "265" beside P 462.65 and P − VC 197.23: every per-case figure keeps its fen."""
    summary = pd.Series({"target_volume": 25291.0, "cvp_price": 462.65, "cvp_unit_variable_cost": 265.42,
                         "cvp_unit_contribution": 197.23, "cvp_fixed_cost": 0.0, "bep_units": 0.0, "bep_revenue": 0.0,
                         "margin_of_safety": 1.0, "cvp_profit": 4988200.4, "cvp_required_volume": 29016.2})
    shown = dict(costing.cvp_view(summary).itertuples(index=False))
    assert shown["单价 P"] == "462.65"
    assert shown["单位变动成本 VC（产品 + 变动费用）"] == "265.42"
    assert shown["单位边际贡献 P − VC"] == "197.23"
    assert shown["目标销量 target volume"] == "25,291" and shown["目标下利润 profit at target"] == "4,988,200"
    assert shown["安全边际 margin of safety"] == "100.0%" and shown["保本销量 BEP = FC / (P − VC)"] == "0"


def test_a_parents_booked_amounts_against_its_methods_sums_are_said():
    """济南市's 渠道费用 read 1,978,886 by its chosen method and 2,011,386 booked (its counties' budgets as they
    stand), with nothing saying why; labour books its method's amount and goes unsaid."""
    nan = float("nan")
    methods = pd.DataFrame({"category": ["labour", "channel", "promotion"],
                            "chosen": ["percent_of_sales", "target_task", "percent_of_sales"],
                            "booked": [2_951_620.0, 2_011_386.0, 808_382.0],
                            "target_task": [nan, 1_978_886.0, nan],
                            "percent_of_sales": [2_951_620.0, 1_844_149.0, 795_122.0]})
    empty = pd.DataFrame()
    parent = costing.RegionBudget("P01C01", pd.Series(dtype=object), empty, empty, empty, methods,
                                  pd.DataFrame({"region_id": ["P01C01K01"]}), empty)
    # hand-computed: 2,011,386 − 1,978,886 = +32,500; 808,382 − 795,122 = +13,260
    assert costing.children_gap_reading(parent) == (
        "预算（上限后）是各下级实际预算之和加本级自有费用，与按选定方法逐个下级计算之和不同：渠道费用 +32,500 元、推广费用 +13,260 元"
        "——下级可能选用了别的方法、计入了促销方案费用或按上限压缩（见各下级的费用预算页）。")
    leaf = costing.RegionBudget("P01C01K01", pd.Series(dtype=object), empty, empty, empty, methods, empty, empty)
    assert costing.children_gap_reading(leaf) == ""  # a leaf's own schemes are booked_reading's
    level = methods.assign(booked=[2_951_620.0, 1_978_886.2, 795_122.0])
    same = costing.RegionBudget("P01C01", pd.Series(dtype=object), empty, empty, empty, level,
                                pd.DataFrame({"region_id": ["P01C01K01"]}), empty)
    assert costing.children_gap_reading(same) == ""  # within half a yuan: nothing to say
