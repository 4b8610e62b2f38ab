"""Terminals (classes, coverage, weekly), growth points, SWOT and past spend on hand-built rows."""

import numpy as np
import pandas as pd
import pytest

from planlib.review import growth
from planlib.review import spend
from planlib.review import terminals

TERMINALS = pd.DataFrame({
    "terminal_id": ["T1", "T2", "T3", "T4"],
    "name": ["甲店", "乙店", "丙店", "丁店"],
    "terminal_class": ["A", "A", "B", "B"],
    "channel": ["supermarket"] * 4,
})


def _own(rows, grain="month"):
    df = pd.DataFrame(rows, columns=["date", "terminal_id", "volume"])
    return df.assign(date=pd.to_datetime(df["date"]), grain=grain, brand="own", revenue=df["volume"] * 10.0,
                     channel="supermarket", region_id="K1")


def test_terminal_classes_flags_mismatches():
    # 2025 revenue: T1 600, T2 250, T3 100, T4 50 -> shares .6 .25 .1 .05 -> A B C D
    sales = _own([("2025-03-01", "T1", 60.0), ("2025-03-01", "T2", 25.0), ("2025-03-01", "T3", 10.0),
                  ("2025-03-01", "T4", 5.0), ("2024-03-01", "T4", 999.0)])
    out = terminals.terminal_classes(sales, TERMINALS, year=2025).set_index("terminal_id")
    assert out["computed_class"].to_dict() == {"T1": "A", "T2": "B", "T3": "C", "T4": "D"}
    assert out["mismatch"].to_dict() == {"T1": False, "T2": True, "T3": True, "T4": True}


def test_terminal_classes_rank_within_each_market():
    sales = _own([("2025-03-01", "T1", 60.0), ("2025-03-01", "T2", 25.0), ("2025-03-01", "T3", 10.0),
                  ("2025-03-01", "T4", 5.0)])
    groups = pd.Series({"T1": "K1", "T2": "K1", "T3": "K2", "T4": "K2"})
    out = terminals.terminal_classes(sales, TERMINALS, year=2025, groups=groups).set_index("terminal_id")
    # each county's top terminal is A; T2 and T4 (second in their county, from 70%/67%) are B
    assert out["computed_class"].to_dict() == {"T1": "A", "T2": "B", "T3": "A", "T4": "B"}


def test_coverage_counts_last_quarter_buyers():
    sales = _own([("2025-12-01", "T1", 1.0), ("2025-10-01", "T3", 1.0), ("2025-09-01", "T2", 1.0)])
    out = terminals.coverage(sales, TERMINALS, months=3).set_index("terminal_class")
    assert out.loc["A", "coverage"] == pytest.approx(0.5)  # T1 yes, T2 bought in September only
    assert out.loc["全部", "active"] == 2 and out.loc["全部", "coverage"] == pytest.approx(0.5)


def test_holiday_uplift_against_ordinary_weeks():
    weeks = pd.date_range("2024-01-01", "2024-12-30", freq="W-MON")
    weekly = pd.DataFrame({"date": weeks, "volume": 100.0})
    # National Day 2024: window Sep 24 - Oct 7 -> weeks of Sep 23, Sep 30, Oct 7
    weekly.loc[weekly["date"].isin(pd.to_datetime(["2024-09-23", "2024-09-30", "2024-10-07"])), "volume"] = 300.0
    out = terminals.holiday_uplift(weekly).set_index(["year", "holiday"])
    assert out.loc[(2024, "national_day"), "uplift"] == pytest.approx(2.0)
    assert out.loc[(2024, "national_day"), "window_weeks"] == 3


def test_rank_growth_points_ranks_attainable_headroom():
    units = pd.DataFrame({
        "kind": "region", "unit_id": ["A", "B", "C", "D"], "name": list("ABCD"),
        "capacity": [1000.0, 1000.0, 500.0, 100.0],
        "own_volume": [900.0, 400.0, 100.0, 200.0],
        "own_growth": [0.0, -0.2, 0.3, np.nan],
        "competitor_growth": [0.0, 0.0, 0.0, 0.0],
    })
    out = growth.rank_growth_points(units, capture_rate=0.1).set_index("unit_id")
    # headroom 100, 600, 400, 0; momentum 1.0, 0.8, 1.3, 1.0 -> attainable 10, 48, 52, 0
    assert out["headroom"].to_dict() == {"A": 100.0, "B": 600.0, "C": 400.0, "D": 0.0}
    assert out["attainable"].to_dict() == pytest.approx({"A": 10.0, "B": 48.0, "C": 52.0, "D": 0.0})
    assert out["rank"].to_dict() == {"C": 1, "B": 2, "A": 3, "D": 4}


def test_channel_capacity_scales_known_brands_to_the_market():
    rows = [("2025-01-01", "supermarket", "own", 30.0), ("2025-01-01", "supermarket", "金潭", 10.0),
            ("2025-01-01", "group_purchase", "own", 10.0), ("2024-01-01", "group_purchase", "own", 20.0)]
    sales = pd.DataFrame(rows, columns=["date", "channel", "brand", "volume"]).assign(grain="month")
    out = growth.channel_capacity(sales, 100.0, year=2025).set_index("unit_id")
    assert out.loc["supermarket", "capacity"] == pytest.approx(80.0)  # 40 known x 100/50
    assert out.loc["group_purchase", "own_growth"] == pytest.approx(-0.5)


def test_swot_rules_and_analyst_lines():
    share = pd.DataFrame({"year": [2025, 2025], "group": ["K1", "K2"], "own_volume": [60.0, 10.0],
                          "market_volume": [100.0, 100.0], "own_share": [0.6, 0.1]})
    brands = pd.DataFrame({"year": [2025, 2025], "brand": ["own", "金潭"], "volume_growth": [0.05, 0.2]})
    yearly = pd.DataFrame({"gross_margin_rate": [0.40, 0.35], "revenue_growth": [np.nan, 0.1]})
    gp = growth.rank_growth_points(pd.DataFrame({"kind": "region", "unit_id": ["K2"], "name": ["K2"],
        "capacity": [100.0], "own_volume": [10.0], "own_growth": [0.0], "competitor_growth": [0.0]}))
    out = growth.swot(share_by_child=share, brands=brands, yearly=yearly, growth_points=gp, coverage_rate=0.5,
                      names={"K1": "历城区", "K2": "章丘区"}, analyst={"threats": ("新规限制团购",)})
    boxes = out.groupby("box")["line"].apply(list).to_dict()
    assert any("历城区" in line for line in boxes["strengths"])
    assert any("章丘区" in line for line in boxes["weaknesses"])
    assert any("金潭" in line for line in boxes["threats"]) and "新规限制团购" in boxes["threats"]
    assert any("毛利率" in line for line in boxes["weaknesses"]) and any("覆盖率" in line for line in boxes["weaknesses"])
    assert out[out["line"] == "新规限制团购"]["source"].item() == "analyst"


def test_expense_ratios_by_category():
    exp = pd.DataFrame({"date": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-01-01"]),
                        "category": ["media", "media", "labour"], "amount": [10.0, 20.0, 50.0]})
    monthly = pd.DataFrame({"year": [2025, 2025], "revenue": [300.0, 100.0]})
    out = spend.expense_ratios(exp, monthly).set_index("category")
    assert out.loc["media", "ratio"] == pytest.approx(30 / 400)
    assert out.loc["全部", "ratio"] == pytest.approx(80 / 400)
    assert out.index.tolist() == ["labour", "media", "全部"]


def test_activity_lift_against_a_control_market():
    months = pd.date_range("2025-01-01", "2025-06-01", freq="MS")
    # the control market doubles in May (a holiday that moved); the region follows it and,
    # in June, sells 50% above what the control's path implies
    control = pd.Series([100.0, 100.0, 100.0, 100.0, 200.0, 100.0], index=months)
    region = pd.DataFrame([[10.0, 10.0, 10.0, 10.0, 20.0, 15.0]], index=pd.Index(["K1"], name="region_id"), columns=months)
    acts = pd.DataFrame({"activity_id": ["A1", "A2", "A3", "C1"], "region_id": ["K1"] * 4,
                         "brand": ["own", "own", "own", "金潭"], "kind": "promotion",
                         "start_date": pd.to_datetime(["2025-05-03", "2025-06-05", "2025-02-01", "2025-06-01"]),
                         "end_date": pd.to_datetime(["2025-05-20", "2025-06-20", "2025-02-10", "2025-06-30"]),
                         "cost": [1.0, 2.0, 1.0, 99.0]})
    out = spend.activity_lift(acts, region, control, margin_rate=0.4).set_index("activity_id")
    assert sorted(out.index) == ["A1", "A2", "A3"]  # competitors' activities are not measured
    # May: baseline = 200 x 30/300 = 20 -> no lift although May doubled
    assert out.loc["A1", "baseline_revenue"] == pytest.approx(20.0) and out.loc["A1", "lift"] == pytest.approx(0.0)
    assert not out.loc["A1", "paid"]
    # June: pre-period Mar-May: region 40, control 400 -> baseline 10; lift 0.5; margin 5 x 0.4 = 2; roi 0
    assert out.loc["A2", "baseline_revenue"] == pytest.approx(10.0) and out.loc["A2", "lift"] == pytest.approx(0.5)
    assert out.loc["A2", "roi"] == pytest.approx(0.0)
    assert np.isnan(out.loc["A3", "lift"])  # no three months of history before it


def test_subtree_months_rolls_facts_up_the_tree():
    from planlib.hierarchy import RegionTree

    tree = RegionTree(pd.DataFrame({"region_id": ["C1", "K1", "K2", "T1"], "name": list("abcd"),
                                    "level": ["city", "county", "county", "township"],
                                    "parent_id": [None, "C1", "C1", "K1"]}))
    monthly = pd.DataFrame({"region_id": ["K1", "T1", "K2", "C1"], "date": pd.to_datetime(["2025-01-01"] * 4),
                            "revenue": [1.0, 2.0, 4.0, 8.0]})
    out = spend.subtree_months(monthly, tree, "C1").iloc[:, 0].to_dict()
    assert out == {"C1": 15.0, "K1": 3.0, "T1": 2.0, "K2": 4.0}


def test_terminal_capacity_with_no_core_terminals_is_empty():
    sales = _own([("2025-03-01", "T1", 60.0)])
    out = growth.terminal_capacity(sales, TERMINALS.iloc[0:0], year=2025)
    assert out.empty and list(out.columns)[:4] == ["kind", "unit_id", "name", "capacity"]


def test_terminal_capacity_peer_is_the_group_by_quantile():
    rng = np.random.default_rng(5)
    for _ in range(50):
        n = int(rng.integers(0, 25))
        cls = pd.Series(rng.choice(["A", "B", None], n), dtype="str")
        channel = pd.Series(rng.choice(["supermarket", "restaurant"], n), dtype="str")
        volume = rng.choice([0.0, 1.0, 2.5, 7.0, np.nan], n) * rng.random(n)
        frame = pd.DataFrame({"c": cls, "h": channel, "v": volume})
        q = frame.groupby(["c", "h"])["v"].quantile(0.75).rename("q")
        expected = frame[["c", "h"]].merge(q, left_on=["c", "h"], right_index=True, how="left")["q"].to_numpy()
        np.testing.assert_array_equal(growth._group_quantile(volume, [cls, channel], 0.75), expected)
