"""spend_roi's did_not_pay order and by_category shares, against the pandas expressions they replaced."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planlib.budget.response import spend_roi


def noisy_lifts(seed: int, n: int) -> pd.DataFrame:
    """``n`` activities with few distinct costs (ties), ids as text and as numbers ("10" < "9"), a third unmeasured."""
    rng = np.random.default_rng(seed)
    ids = [f"A{k}" for k in rng.permutation(n)]
    ids = [int(i[1:]) if k % 3 == 0 else i for k, i in enumerate(ids)]  # mixed: str() orders them as text
    window = rng.normal(100, 30, n).round(1)
    base = np.full(n, 100.0)
    unmeasured = rng.random(n) < 0.3
    window[unmeasured], base[unmeasured] = np.nan, np.nan
    extra = (window - base) * 0.4
    cost = rng.choice([10.0, 20.0, 20.0, 35.5], n)
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = (extra - cost) / cost
    return pd.DataFrame({"activity_id": pd.Series(ids, dtype=object), "region_id": rng.choice(["K1", "K2"], n),
                         "kind": rng.choice(["media", "promotion", "display"], n),
                         "start_date": pd.Timestamp("2025-03-01"), "end_date": pd.Timestamp("2025-03-31"),
                         "cost": cost, "window_revenue": window, "baseline_revenue": base, "lift": window / base - 1,
                         "extra_margin": extra, "roi": roi, "paid": roi > 0})  # fmt: skip


def sorted_as_before(out: pd.DataFrame, lifts: pd.DataFrame) -> pd.DataFrame:
    """The unpaid rows in lifts' order, then pandas' stable sort on cost descending and the id as text."""
    unpaid = out.set_index(out["activity_id"].astype(str)).loc[
        [str(i) for i, p in zip(lifts["activity_id"], lifts["roi"] > 0) if not p]
    ].reset_index(drop=True)
    return (unpaid.assign(_id=unpaid["activity_id"].astype(str))
            .sort_values(["cost", "_id"], ascending=[False, True], kind="mergesort")
            .drop(columns="_id").reset_index(drop=True))  # fmt: skip


@pytest.mark.parametrize("seed", range(6))
def test_did_not_pay_is_largest_cost_first_then_id_as_text(seed):
    lifts = noisy_lifts(seed, 40)
    expenses = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2025-01-01", "2025-01-01"]),
                             "category": ["media", "media", "labour"], "amount": [5.0, 10.0, 30.0]})  # fmt: skip
    monthly = pd.DataFrame({"year": [2024, 2025], "revenue": [200.0, 300.0]})
    out = spend_roi(expenses, lifts, monthly=monthly)
    dnp = out["did_not_pay"]
    assert len(dnp) == int((~(lifts["roi"] > 0)).sum()) > 10
    pd.testing.assert_frame_equal(dnp, sorted_as_before(dnp, lifts), check_exact=True)
    cost = dnp["cost"].to_numpy()
    assert (cost[:-1] >= cost[1:]).all() and isinstance(dnp.index, pd.RangeIndex)
    ties = dnp[dnp["cost"] == 20.0]["activity_id"].astype(str).tolist()
    assert ties == sorted(ties) and len(ties) > 1  # the ids as text: "A10" before "A9", 12 before 3
    by = out["by_category"]
    total = by[by["category"] == "全部"].set_index("year")["amount"]
    expected = by["amount"] / by["year"].map(total)
    assert by["share"].tolist() == expected.tolist()  # the year's total's share, to the bit


def test_did_not_pay_empty_when_every_activity_paid():
    lifts = noisy_lifts(0, 40)
    lifts = lifts[lifts["roi"] > 0].reset_index(drop=True)
    out = spend_roi(pd.DataFrame({"date": pd.to_datetime([]), "category": [], "amount": []}), lifts,
                    monthly=pd.DataFrame({"year": [2025], "revenue": [1.0]}))  # fmt: skip
    assert len(lifts) > 3 and out["did_not_pay"].empty and list(out["did_not_pay"].columns)[:2] == ["activity_id", "region_id"]
    assert out["by_category"]["share"].tolist() == [0.0] * len(out["by_category"])
