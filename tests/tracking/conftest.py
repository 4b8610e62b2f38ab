"""
A tiny signed plan and its first quarter of actuals, built by hand.

The tree: HQ -> P1 -> C1 -> K1 (county, with township K1T1) and K2 (county). The plan year
is 2027, unit 1, every price 10 (revenue = volume x 10), variable cost 6 a unit.

K1 plans 100 a month (200 in February) — S1 60%, S2 40%; supermarket 70%, restaurant 30%;
class A 50%, C 50%; its terminal lines: the A terminal TA1 50%, its own C/D line 20%, the
township K1T1's C/D line 30%. K2 plans 50 a month, all S1 and supermarket; class B 20, C 30;
its terminal lines: the B terminal TB1 20 and its own C/D line 30.

Actuals to 31 March (volume):
    K1:  TA1 (A, recorded at K1; in February at the township K1T1)  40, 120, 60
         TC1 (C, township K1T1, S2 restaurant)                       30,  50, 40
         TC2 (C, K1, S1 supermarket)                                 20,  10,  -
         no terminal (K1, S1 supermarket)                             -,   -,  5
    K2:  TC3 (C, S1 supermarket)                                     50,  40, 55
         no terminal                                                   -,   -,  5
TB1, K2's key terminal, never buys.

Budget: K1 wages 100 and rent 50 a month, K2 wages 60 a month, C1's own rent 30 a month,
with the parents' consolidated rows. Expenses to March: K1 wages 100, 100, 130 (exactly 10%
over), rent 50, 50, 80 (20% over); K2 wages 60, 60, 30 and travel 20 (unbudgeted); C1 rent
30 a month; K1T1 books 15 of display in February (counted in K1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planlib.hierarchy import RegionTree

YEAR = 2027
MONTHS = pd.date_range("2027-01-01", periods=12, freq="MS")
AS_OF = pd.Timestamp("2027-03-31")
PRICE = 10.0
COST = 6.0

REGIONS = pd.DataFrame(
    [("HQ", "总部", "hq", None), ("P1", "山东省", "province", "HQ"), ("C1", "济南市", "city", "P1"),
     ("K1", "历城区", "county", "C1"), ("K1T1", "港沟街道", "township", "K1"), ("K2", "章丘区", "county", "C1")],
    columns=["region_id", "name", "level", "parent_id"],
)

K1_MONTH = np.array([100, 200] + [100] * 10)
K2_MONTH = np.full(12, 50)

# region -> breakdown column(s) -> key -> share of the region's month (K1) or fixed month volume (K2)
K1_LINES = {
    "sku": {"S1": 0.6, "S2": 0.4},
    "product_line": {"白酒": 0.6, "保健酒": 0.4},
    "channel": {"supermarket": 0.7, "restaurant": 0.3},
    "terminal_class": {"A": 0.5, "C": 0.5},
}
K2_LINES = {"sku": {"S1": 50}, "product_line": {"白酒": 50}, "channel": {"supermarket": 50},
            "terminal_class": {"B": 20, "C": 30}}


def _row(region, level, month, volume, **keys):
    row = {"region_id": region, "level": level, "month": month, "product_line": None, "sku": None, "channel": None,
           "terminal_class": None, "terminal_id": None, "distributor_id": None, "target_volume": int(volume),
           "target_revenue": round(float(volume) * PRICE, 2), "last_year_volume": float(volume), "share": 1.0}
    row.update(keys)
    return row


def build_targets() -> pd.DataFrame:
    """The targets table of the tiny plan (DESIGN.md §4 layout, parents the children's sums)."""
    rows = []
    for m, month in enumerate(MONTHS):
        k1, k2 = int(K1_MONTH[m]), int(K2_MONTH[m])
        cells = {"K1": {}, "K2": {}}
        rows.append(_row("K1", "county", month, k1))
        rows.append(_row("K2", "county", month, k2))
        for col, lines in K1_LINES.items():
            for key, share in lines.items():
                v = round(k1 * share)
                cells["K1"][(col, key)] = v
                rows.append(_row("K1", "county", month, v, **{col: key}))
        for col, lines in K2_LINES.items():
            for key, v in lines.items():
                cells["K2"][(col, key)] = v
                rows.append(_row("K2", "county", month, v, **{col: key}))
        # terminal lines: named terminals at the county, C/D lines where they are recorded
        rows.append(_row("K1", "county", month, round(k1 * 0.5), terminal_class="A", terminal_id="TA1"))
        rows.append(_row("K1", "county", month, round(k1 * 0.2), terminal_class="CD"))
        rows.append(_row("K1T1", "township", month, round(k1 * 0.3), terminal_class="CD"))
        rows.append(_row("K2", "county", month, 20, terminal_class="B", terminal_id="TB1"))
        rows.append(_row("K2", "county", month, 30, terminal_class="CD"))
        # the parents: C1, P1, HQ are K1 + K2
        both = {}
        for k in ("K1", "K2"):
            for key, v in cells[k].items():
                both[key] = both.get(key, 0) + v
        for region, level in (("C1", "city"), ("P1", "province"), ("HQ", "hq")):
            rows.append(_row(region, level, month, k1 + k2))
            for (col, key), v in sorted(both.items()):
                rows.append(_row(region, level, month, v, **{col: key}))
    out = pd.DataFrame(rows)
    for col in ("region_id", "level", "product_line", "sku", "channel", "terminal_class", "terminal_id",
                "distributor_id"):
        out[col] = out[col].astype("category")
    return out


def _sale(region, month, sku, channel, terminal, cls, volume):
    line = {"S1": "白酒", "S2": "保健酒"}[sku]
    return {"region_id": region, "month": pd.Timestamp(month), "sku": sku, "product_line": line, "channel": channel,
            "terminal_id": terminal, "terminal_class": cls, "volume": float(volume),
            "revenue": float(volume) * PRICE, "variable_cost": float(volume) * COST}


def build_sales() -> pd.DataFrame:
    """The own monthly sales of January–March 2027, as the archive query gives them."""
    rows = [
        _sale("K1", "2027-01-01", "S1", "supermarket", "TA1", "A", 40),
        _sale("K1T1", "2027-02-01", "S1", "supermarket", "TA1", "A", 120),
        _sale("K1", "2027-03-01", "S1", "supermarket", "TA1", "A", 60),
        _sale("K1T1", "2027-01-01", "S2", "restaurant", "TC1", "C", 30),
        _sale("K1T1", "2027-02-01", "S2", "restaurant", "TC1", "C", 50),
        _sale("K1T1", "2027-03-01", "S2", "restaurant", "TC1", "C", 40),
        _sale("K1", "2027-01-01", "S1", "supermarket", "TC2", "C", 20),
        _sale("K1", "2027-02-01", "S1", "supermarket", "TC2", "C", 10),
        _sale("K1", "2027-03-01", "S1", "supermarket", None, None, 5),
        _sale("K2", "2027-01-01", "S1", "supermarket", "TC3", "C", 50),
        _sale("K2", "2027-02-01", "S1", "supermarket", "TC3", "C", 40),
        _sale("K2", "2027-03-01", "S1", "supermarket", "TC3", "C", 55),
        _sale("K2", "2027-03-01", "S1", "supermarket", None, None, 5),
    ]
    return pd.DataFrame(rows)


def build_budget() -> pd.DataFrame:
    """results/budget.parquet of the tiny plan: units' rows, C1's own rent, consolidated parents."""
    rows = []
    for month in MONTHS:
        rows += [("K1", month, "labour", "wages", None, 100.0, "percent_of_sales"),
                 ("K1", month, "office", "rent", None, 50.0, "percent_of_sales"),
                 ("K2", month, "labour", "wages", None, 60.0, "percent_of_sales"),
                 ("C1", month, "labour", "wages", None, 160.0, "consolidated"),
                 ("C1", month, "office", "rent", None, 50.0, "consolidated"),
                 ("C1", month, "office", "rent", None, 30.0, "own")]
        for parent in ("P1", "HQ"):
            rows += [(parent, month, "labour", "wages", None, 160.0, "consolidated"),
                     (parent, month, "office", "rent", None, 80.0, "consolidated")]
    return pd.DataFrame(rows, columns=["region_id", "month", "category", "item", "terminal_id", "amount", "method"])


def build_budget_regions() -> pd.DataFrame:
    """budget_regions.parquet: one row per budgeted region with its profit target."""
    return pd.DataFrame({
        "region_id": ["HQ", "P1", "C1", "K1", "K2"], "level": ["hq", "province", "city", "county", "county"],
        "budget": [2880.0, 2880.0, 2880.0, 1800.0, 720.0],
        "profit_target": [10000.0, 10000.0, 10000.0, 7000.0, 1800.0],
    })


def build_expenses() -> pd.DataFrame:
    """The expenses of January–March 2027."""
    rows = []
    for m, (wages, rent) in enumerate(((100, 50), (100, 50), (130, 80))):
        month = MONTHS[m]
        rows += [("K1", month, "labour", "wages", None, float(wages)),
                 ("K1", month, "office", "rent", None, float(rent)),
                 ("K2", month, "labour", "wages", None, float((60, 60, 30)[m])),
                 ("C1", month, "office", "rent", None, 30.0)]
    rows += [("K2", MONTHS[2], "office", "travel", None, 20.0),
             ("K1T1", MONTHS[1], "channel", "display", "TC1", 15.0)]
    return pd.DataFrame(rows, columns=["region_id", "month", "category", "item", "terminal_id", "amount"])


def build_weekly() -> pd.DataFrame:
    """Weekly rows of the key terminal TA1 (weeks of 4 and 25 January, 1 February)."""
    return pd.DataFrame({
        "week": pd.to_datetime(["2027-01-04", "2027-01-25", "2027-02-01"]),
        "region_id": ["K1", "K1", "K1T1"], "terminal_id": ["TA1", "TA1", "TA1"], "terminal_class": ["A"] * 3,
        "volume": [10.0, 20.0, 30.0], "revenue": [100.0, 200.0, 300.0],
    })


MILESTONES = [{"stage": "一季度", "date": "2027-03-31", "coverage": 0.4},
              {"stage": "全年", "date": "2027-12-31", "coverage": 0.6}]


@pytest.fixture
def tree() -> RegionTree:
    return RegionTree(REGIONS)


@pytest.fixture
def targets() -> pd.DataFrame:
    return build_targets()


@pytest.fixture
def sales() -> pd.DataFrame:
    return build_sales()


@pytest.fixture
def budget() -> pd.DataFrame:
    return build_budget()


@pytest.fixture
def budget_regions() -> pd.DataFrame:
    return build_budget_regions()


@pytest.fixture
def expenses() -> pd.DataFrame:
    return build_expenses()


@pytest.fixture
def weekly() -> pd.DataFrame:
    return build_weekly()
