"""Sales review figures on hand-built rows."""

import numpy as np
import pandas as pd
import pytest

from planlib import analysis

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


def test_composition_shares_sum_to_one_each_year():
    comp = analysis.composition(analysis.monthly_sales(_sales(), PRODUCTS), "channel")
    sums = comp.groupby("year")["share"].sum()
    assert sums.tolist() == pytest.approx([1.0, 1.0])
    row = comp[(comp["year"] == 2023) & (comp["channel"] == "group_purchase")]
    assert row["share"].item() == pytest.approx(0.5)


def test_brand_volumes_counts_month_grain_only():
    b = analysis.brand_volumes(_sales())
    own_2024 = b[(b["year"] == 2024) & (b["brand"] == "own")]["volume"].item()
    assert own_2024 == 18.0  # the weekly row is not added
    assert b[b["year"] == 2024]["volume_share"].sum() == pytest.approx(1.0)
    assert analysis.brand_label("own") == "本品" and analysis.channel_label("group_purchase") == "团购"
