"""Market share, brand growth, distributors and concentration on hand-built rows."""

import numpy as np
import pandas as pd
import pytest

from planlib.review import competition

PRODUCTS = pd.DataFrame({"sku": ["S1", "X1"], "product_line": ["白酒", "白酒"]})


def _sales(rows):
    df = pd.DataFrame(rows, columns=["date", "grain", "region_id", "sku", "brand", "distributor_id", "volume"])
    return df.assign(date=pd.to_datetime(df["date"]), revenue=df["volume"] * 10.0, channel="supermarket")


# K1 and K2 under one parent; 2024 and 2025
SALES = _sales([
    ("2024-01-01", "month", "K1", "S1", "own", "D1", 20.0),
    ("2024-01-01", "month", "K1", "X1", "金潭", "D1", 30.0),
    ("2024-01-01", "month", "K2", "S1", "own", "D2", 10.0),
    ("2025-01-01", "month", "K1", "S1", "own", "D1", 30.0),
    ("2025-01-01", "month", "K1", "X1", "金潭", "D1", 45.0),
    ("2025-01-01", "month", "K2", "S1", "own", "D2", 5.0),
    ("2025-01-01", "week", "K2", "S1", "own", "D2", 500.0),  # weekly: never counted
    ("2025-01-01", "month", "K2", "S1", "own", "D3", 8.0),
])
MARKET = pd.DataFrame({
    "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2025-01-01", "2025-01-01"]),
    "region_id": ["K1", "K2", "K1", "K2"], "product_line": "白酒", "market_volume": [100.0, 50.0, 120.0, 52.0],
})


def test_market_share_by_region_hand_computed_and_children_add_up():
    out = competition.market_share(SALES, MARKET, PRODUCTS, by="region", group_map={"K1": "K1", "K2": "K2"})
    k1 = out[(out["year"] == 2025) & (out["group"] == "K1")].iloc[0]
    assert k1["own_share"] == pytest.approx(30 / 120)
    assert k1["competitor_share"] == pytest.approx(45 / 120)
    assert k1["share_change"] == pytest.approx(30 / 120 - 20 / 100)
    line = competition.market_share(SALES, MARKET, PRODUCTS, by="product_line")
    by_year = out.groupby("year")[["own_volume", "market_volume"]].sum()
    # the parent's figures are the sum of its children's
    assert line.set_index("year")["own_volume"].to_dict() == by_year["own_volume"].to_dict() == {2024: 30.0, 2025: 43.0}
    assert line.set_index("year")["market_volume"].to_dict() == {2024: 150.0, 2025: 172.0}


def test_brand_growth_hand_computed():
    out = competition.brand_growth(SALES).set_index(["year", "brand"])
    assert out.loc[(2025, "金潭"), "volume_growth"] == pytest.approx(0.5)
    assert out.loc[(2025, "own"), "volume_growth"] == pytest.approx(43 / 30 - 1)
    assert out.xs(2025)["volume_share"].sum() == pytest.approx(1.0)


def test_distributor_review_trends():
    dist = pd.DataFrame({"distributor_id": ["D1", "D2", "D3"], "name": ["甲", "乙", "丙"], "tier": [1, 2, 2]})
    out = competition.distributor_review(SALES, dist, year=2025).set_index("distributor_id")
    assert out.loc["D1", "own_share"] == pytest.approx(30 / 75)
    assert out.loc["D1", "trend"] == "growing" and out.loc["D2", "trend"] == "shrinking"
    assert out.loc["D3", "trend"] == "new"
    assert out.index.tolist() == ["D1", "D3", "D2"]  # by own volume


def test_concentration_top_n_and_hhi():
    out = competition.concentration(pd.Series([50.0, 30.0, 20.0])).set_index("measure")["value"]
    assert out["top1"] == pytest.approx(0.5) and out["top3"] == pytest.approx(1.0)
    assert out["hhi"] == pytest.approx(0.25 + 0.09 + 0.04)
    assert np.isnan(competition.concentration(pd.Series([0.0])).set_index("measure")["value"]["hhi"])


def test_concentration_row_is_one_line_shown_as_percentages_and_the_hhi_scale():
    from planlib import labels
    from planlib.present import tables

    row = competition.concentration_row(competition.concentration(pd.Series([50.0, 30.0, 20.0])))
    assert list(row.columns) == ["top1", "top3", "top5", "hhi"] and len(row) == 1
    assert row.loc[0, "hhi"] == pytest.approx(0.38)
    page = tables.table_html(row, labels=labels.LABELS, formats=labels.FORMATS)
    assert "50.0%" in page and "100.0%" in page and ">3,800<" in page  # 50² + 30² + 20²
