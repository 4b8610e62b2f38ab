"""split_choice: the back-test runs over the planned parents in tree order, whatever the hash seed."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pandas as pd

from planlib.params.model import Split
from planlib.targets import planned_history
from tests.targets.test_reconcile_targets import county_sales, three_level_tree

plan_module = importlib.import_module("planlib.targets.plan")


def test_split_choice_backtests_the_parents_in_tree_order(monkeypatch):
    tree = three_level_tree()
    history = planned_history(county_sales(), tree, "HQ", ("province", "city", "county"))
    plan = SimpleNamespace(split=Split(method="auto"), year=2027,
                           scope=SimpleNamespace(root="HQ", levels=["hq", "province", "city", "county"]))
    seen = []
    real = plan_module.split_backtest

    def spy(hist, parents, *args, **kwargs):
        seen.append(list(parents.items()))
        return real(hist, parents, *args, **kwargs)

    monkeypatch.setattr(plan_module, "split_backtest", spy)
    choice = plan_module.split_choice(plan, tree, None, history=history)
    # a set's order changed with PYTHONHASHSEED, and with it the last bits of the back-test's errors
    assert seen == [[("P1", "HQ"), ("C1", "P1"), ("K1", "C1"), ("K2", "C1"), ("K3", "C1"), ("K4", "C1"),
                     ("C2", "P1"), ("K5", "C2"), ("K6", "C2"), ("P2", "HQ"), ("C3", "P2"), ("K7", "C3"),
                     ("K8", "C3")]]
    want = real(history[history["month"] >= pd.Timestamp(2024, 1, 1)].reset_index(drop=True), dict(seen[0]), 2027,
                window=24)
    pd.testing.assert_frame_equal(choice.backtest, want, check_exact=True)
    assert choice.method == want["method"].iloc[0]
