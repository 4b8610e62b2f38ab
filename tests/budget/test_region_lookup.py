"""tune_budget looks each category's amount up instead of filtering the methods table: the same sums."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planlib import budget as costing
from planlib.schemas import CATEGORIES

SUMMARY = pd.Series({"target_revenue": 1e12, "target_volume": 10_000.0, "ly_variable_cost": 400_000.0,
                     "ly_volume": 8_000.0, "profit_target": 300_000.0, "reachable_volume": 12_000.0})


def _amounts_by_filtering(methods: pd.DataFrame, choices: dict) -> list[float]:
    """Each category's amount the way tune_budget filtered the table (before its lookup)."""
    chosen = dict(zip(methods.loc[methods["chosen"], "category"], methods.loc[methods["chosen"], "method"]))
    chosen.update(choices)
    out = []
    for cat in CATEGORIES:
        method = chosen.get(cat, "percent_of_sales")
        hit = methods[(methods["category"] == cat) & (methods["method"] == method)]
        if hit.empty:
            hit = methods[(methods["category"] == cat) & methods["chosen"]]
        out.append(round(float(hit["amount"].sum()), 2))
    return out


@pytest.mark.parametrize("choices", [{}, {"promotion": "zero_based"}, {"media": "competitive_parity"}])
def test_tune_budget_amounts_equal_the_filtered_sums(choices):
    rng = np.random.default_rng(7)
    # repeated (category, method) rows summed in order (more than numpy's 8-value blocks), a missing
    # amount, a category without its chosen method's row (the chosen rows are taken), one with no row
    rows = [("labour", "percent_of_sales", True)] * 11 + [("office", "percent_of_sales", True)] * 3 \
        + [("media", "percent_of_sales", True), ("media", "objective_task", False)] \
        + [("promotion", "percent_of_sales", True), ("promotion", "zero_based", False), ("promotion", "zero_based", False)]
    methods = pd.DataFrame(rows, columns=["category", "method", "chosen"])
    methods.insert(2, "amount", rng.uniform(0.0, 1e5, len(methods)) * rng.choice([1.0, 1e-3, 1e3], len(methods)))
    methods.loc[3, "amount"] = np.nan
    methods = methods[["category", "method", "amount", "chosen"]]
    table, _ = costing.tune_budget(SUMMARY, methods, choices=choices)
    assert table["amount"].tolist() == _amounts_by_filtering(methods, choices)
    assert table.loc[table["category"] == "channel", "amount"].item() == 0.0
