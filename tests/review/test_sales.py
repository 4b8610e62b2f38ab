"""Sales review figures on hand-built rows."""

import numpy as np
import pandas as pd
import pytest

from planlib import frames, labels
from planlib.review import sales as analysis

# two SKUs in two lines; 2023 and 2024, two months each; one weekly row that must not count
PRODUCTS = pd.DataFrame(
    {"sku": ["S1", "S2", "X1"], "product_line": ["白酒", "保健酒", "白酒"], "unit_variable_cost": [4.0, 10.0, np.nan]}
)


def _sales():
    rows = [
        ("2023-01-01", "month", "S1", "own", "supermarket", 10, 100),
        ("2023-02-01", "month", "S2", "own", "group_purchase", 5, 100),
        ("2024-01-01", "month", "S1", "own", "supermarket", 12, 120),
        ("2024-02-01", "month", "S2", "own", "supermarket", 6, 140),
        ("2024-01-01", "week", "S1", "own", "supermarket", 99, 990),
        ("2024-01-01", "month", "X1", "金潭", "supermarket", 20, 150),
    ]
    df = pd.DataFrame(rows, columns=["date", "grain", "sku", "brand", "channel", "volume", "revenue"])
    return df.assign(date=pd.to_datetime(df["date"]), volume=df["volume"].astype(float), revenue=df["revenue"].astype(float))


def test_yearly_summary_hand_computed():
    sales = _sales()
    before = sales.copy()
    years = analysis.yearly_summary(analysis.monthly_sales(sales, PRODUCTS))
    pd.testing.assert_frame_equal(sales, before)  # input untouched
    assert years["year"].tolist() == [2023, 2024]
    assert years["volume"].tolist() == [15.0, 18.0]
    assert years["revenue"].tolist() == [200.0, 260.0]
    # margin 2023: 200 - (10*4 + 5*10) = 110; 2024: 260 - (12*4 + 6*10) = 152
    assert years["gross_margin"].tolist() == [110.0, 152.0]
    assert years["revenue_growth"].iloc[1] == pytest.approx(0.3)
    assert np.isnan(years["revenue_growth"].iloc[0])


def test_a_year_without_any_unit_cost_has_no_gross_margin():
    """Products without costs (or no products table) read a 100% margin before; now the margin is unknown."""
    no_costs = PRODUCTS.assign(unit_variable_cost=np.nan)
    years = analysis.yearly_summary(analysis.monthly_sales(_sales(), no_costs))
    assert years["revenue"].tolist() == [200.0, 260.0]
    assert years["gross_margin"].isna().all() and years["gross_margin_rate"].isna().all()
    # 2024's S2 has a cost, 2023's does not: only 2023 is unknown; a partly costed year counts unknown costs as 0
    part = PRODUCTS.assign(unit_variable_cost=[np.nan, 10.0, np.nan])
    sales = _sales()
    sales = sales[~((sales["sku"] == "S2") & (sales["date"].dt.year == 2023))]
    years = analysis.yearly_summary(analysis.monthly_sales(sales, part))
    assert np.isnan(years["gross_margin"].iloc[0]) and years["gross_margin"].iloc[1] == 260.0 - 6 * 10


def test_composition_shares_sum_to_one_each_year():
    comp = analysis.composition(analysis.monthly_sales(_sales(), PRODUCTS), "channel")
    sums = comp.groupby("year")["share"].sum()
    assert sums.tolist() == pytest.approx([1.0, 1.0])
    row = comp[(comp["year"] == 2023) & (comp["channel"] == "group_purchase")]
    assert row["share"].item() == pytest.approx(0.5)


def test_indices_chain_multiplies_to_fixed_base():
    x = pd.Series([100.0, 110.0, 99.0, 120.0], index=[2022, 2023, 2024, 2025])
    idx = analysis.indices(x)
    assert idx["fixed_base"].tolist() == pytest.approx([1.0, 1.1, 0.99, 1.2])
    assert idx["chain"].iloc[1:].tolist() == pytest.approx([1.1, 0.9, 120 / 99])
    assert np.prod(idx["chain"].iloc[1:]) == pytest.approx(idx["fixed_base"].iloc[-1])
    assert np.isnan(idx["chain"].iloc[0])


def test_cagr_hand_computed():
    assert analysis.cagr(100.0, 121.0, 2) == pytest.approx(0.1)
    assert np.isnan(analysis.cagr(0.0, 10.0, 2))


# -- factor substitution ----------------------------------------------------------------------


def test_factor_substitution_hand_computed_and_adds_up():
    # base: A 10 @ 5 = 50, B 10 @ 10 = 100 -> R0 150, Q0 20
    # current: A 10 @ 6 = 60, B 20 @ 10 = 200 -> R1 260, Q1 30
    base = pd.DataFrame({"sku": ["A", "B"], "volume": [10.0, 10.0], "revenue": [50.0, 100.0]})
    cur = pd.DataFrame({"sku": ["A", "B"], "volume": [10.0, 20.0], "revenue": [60.0, 200.0]})
    eff = analysis.factor_substitution(base, cur).set_index("effect")["amount"]
    # volume: 30 * (0.5*5 + 0.5*10) - 150 = 225 - 150 = 75
    # mix:    30 * (1/3*5 + 2/3*10) - 225 = 250 - 225 = 25
    # price:  260 - 250 = 10
    assert eff["volume"] == pytest.approx(75.0)
    assert eff["mix"] == pytest.approx(25.0)
    assert eff["price"] == pytest.approx(10.0)
    assert eff["total"] == pytest.approx(110.0)
    assert list(eff.index) == ["volume", "mix", "price", "total"]  # quantity before quality


def test_factor_substitution_effects_add_up_with_new_and_dropped_items():
    rng = np.random.default_rng(7)
    for _ in range(20):
        base = pd.DataFrame({"sku": list("ABCD"), "volume": rng.uniform(0, 100, 4), "revenue": rng.uniform(0, 900, 4)})
        cur = pd.DataFrame({"sku": list("BCDE"), "volume": rng.uniform(0, 100, 4), "revenue": rng.uniform(0, 900, 4)})
        eff = analysis.factor_substitution(base, cur).set_index("effect")["amount"]
        assert eff[["volume", "mix", "price"]].sum() == pytest.approx(eff["total"], abs=1e-9)
        assert eff["total"] == pytest.approx(cur["revenue"].sum() - base["revenue"].sum())


def test_factor_substitution_by_group_adds_up_per_group():
    monthly = analysis.monthly_sales(_sales(), PRODUCTS)
    out = analysis.factor_substitution_by(monthly, 2023, 2024)
    for _, g in out.groupby("group"):
        amounts = g.set_index("effect")["amount"]
        assert amounts[["volume", "mix", "price"]].sum() == pytest.approx(amounts["total"])
    region_total = out[(out["group"] == "全部") & (out["effect"] == "total")]["amount"].item()
    assert region_total == pytest.approx(60.0)


# -- ABC classes ---------------------------------------------------------------------------------


def test_abc_classes_follow_thresholds():
    # shares 40, 25, 15, 10, 5, 3, 2, 0 (%)
    values = pd.Series([40, 25, 15, 10, 5, 3, 2, 0], index=list("abcdefgh"), dtype=float)
    out = analysis.abc_classes(values, thresholds=(0.5, 0.8, 0.95))
    # cumulative share before each: 0, .40, .65, .80, .90, .95, .98 -> A A B C C D D, zero -> D
    assert out["abc_class"].to_dict() == dict(zip("abcdefgh", "AABCCDDD"))
    assert out["cum_share"].iloc[-1] == pytest.approx(1.0)


# -- seasonality ---------------------------------------------------------------------------------


def _festival_driven_monthly():
    """Daily demand 10, tripled in the 21 days before each Spring Festival, summed by month."""
    from planlib.calendar import spring_festival

    days = pd.date_range("2022-01-01", "2025-12-31", freq="D")
    demand = pd.Series(10.0, index=days)
    for y in range(2022, 2026):
        sf = pd.Timestamp(spring_festival(y))
        demand[(demand.index >= sf - pd.Timedelta(days=21)) & (demand.index < sf)] = 30.0
    m = demand.groupby(demand.index.to_period("M").to_timestamp()).sum()
    return pd.DataFrame({"date": m.index, "volume": m.to_numpy(), "year": m.index.year, "month": m.index.month})


def test_seasonal_profile_puts_spring_festival_in_the_same_slot_each_year():
    monthly = _festival_driven_monthly()
    aligned = analysis.seasonal_profile(monthly, align="spring_festival")
    peaks = aligned.loc[aligned.groupby("year")["share"].idxmax()]
    assert len(peaks) >= 2 and set(peaks["slot"]) == {1}
    cal = analysis.seasonal_profile(monthly, align="calendar")
    cal_peaks = cal.loc[cal.groupby("year")["share"].idxmax()].set_index("year")["slot"]
    assert cal_peaks[2023] == 1 and cal_peaks[2024] in (1, 2)  # the calendar peak moves
    for frame in (aligned, cal):
        assert frame.groupby("year")["share"].sum().tolist() == pytest.approx([1.0] * frame["year"].nunique())


def test_seasonal_profile_of_history_at_the_calendars_edge_does_not_fail():
    """Sales from January 1900 (the import's earliest date): 1899 has no lunar date, so no year there."""
    m = pd.date_range("1900-01-01", "1902-12-01", freq="MS")
    monthly = pd.DataFrame({"date": m, "volume": 10.0, "year": m.year, "month": m.month})
    aligned = analysis.seasonal_profile(monthly, align="spring_festival")
    assert sorted(aligned["year"].unique()) == [1900, 1901]  # festival years whose 12 periods are all in the data
    assert aligned.groupby("year")["share"].sum().tolist() == pytest.approx([1.0, 1.0])


def test_factor_substitution_by_matches_the_item_by_item_chain():
    rng = np.random.default_rng(11)
    rows = []
    for year in (2024, 2025):
        for line, skus in (("白酒", "ABC"), ("保健酒", "DE")):
            for sku in skus:
                if rng.random() < 0.2:
                    continue  # some items missing in one year
                q = rng.uniform(1, 50)
                rows.append((year, line, sku, q, q * rng.uniform(5, 20)))
    monthly = pd.DataFrame(rows, columns=["year", "product_line", "sku", "volume", "revenue"])
    out = analysis.factor_substitution_by(monthly, 2024, 2025)
    for group in ("全部", "白酒", "保健酒"):
        part = monthly if group == "全部" else monthly[monthly["product_line"] == group]
        ref = analysis.factor_substitution(part[part["year"] == 2024], part[part["year"] == 2025])
        got = out[out["group"] == group].set_index("effect")["amount"]
        assert got.to_dict() == pytest.approx(ref.set_index("effect")["amount"].to_dict(), abs=1e-9)


# -- grouping on codes ------------------------------------------------------------------------


def test_group_sums_equal_pandas_group_by_for_text_and_categorical_keys():
    rng = np.random.default_rng(3)
    n = 500
    frame = pd.DataFrame({
        "line": pd.Series(rng.choice(["白酒", "保健酒", "啤酒", None], n), dtype="str"),
        "year": rng.integers(2021, 2026, n),
        "volume": np.where(rng.random(n) < 0.1, np.nan, rng.random(n) * 100),
        "count": rng.integers(0, 5, n),
    })  # fmt: skip
    expected = frame.groupby(["line", "year"])[["volume", "count"]].sum()
    for line in (frame["line"], frames.sorted_categorical(frame["line"])):
        (kl, lines), (ky, years) = frames.key_codes(line), frames.key_codes(frame["year"])
        (cl, cy), (volume, count), rows = frames.group_sums(
            [kl, ky], [len(lines), len(years)], [frame["volume"], frame["count"]]
        )
        index = pd.MultiIndex.from_arrays([lines.take(cl), years.take(cy)], names=["line", "year"])
        got = pd.DataFrame({"volume": volume, "count": count}, index=index)
        pd.testing.assert_frame_equal(got, expected, rtol=1e-12)  # missing keys dropped, int sums stay int
        assert rows.tolist() == frame.groupby(["line", "year"]).size().tolist()


def test_lookup_equals_map_for_text_and_categorical_keys():
    keys = pd.Series(["S1", None, "S2", "S9", "S1"], dtype="str")
    for mapping in ({"S1": "白酒", "S2": "保健酒"}, pd.Series({"S1": 1.5, "S2": 2.0}), {}):
        for k in (keys, frames.sorted_categorical(keys)):
            pd.testing.assert_series_equal(frames.map_distinct(k, mapping), keys.map(mapping))


def test_brand_and_channel_labels():
    assert labels.brand_label("own") == "本品" and labels.channel_label("group_purchase") == "团购"
