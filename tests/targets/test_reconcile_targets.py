"""reconciled_targets: many parents' reconciliation top-down on arrays, equal to reconcile_children parent by parent."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pandas as pd
import pytest

from planlib.errors import PlanWarning, SplitError
from planlib.hierarchy import RegionTree
from planlib.params.model import Split
from planlib.targets import planned_history

rc = importlib.import_module("planlib.targets.reconcile")  # the module (planlib.targets.reconcile is a function)
YEAR = 2027


def three_level_tree() -> RegionTree:
    """HQ -> P1 (C1: K1..K4, C2: K5, K6) and P2 (C3: K7, K8)."""
    rows = [("HQ", "总部", "hq", None), ("P1", "甲省", "province", "HQ"), ("P2", "乙省", "province", "HQ"),
            ("C1", "甲市", "city", "P1"), ("C2", "乙市", "city", "P1"), ("C3", "丙市", "city", "P2")]
    rows += [(f"K{i}", f"{i}县", "county", c) for i, c in enumerate(["C1"] * 4 + ["C2"] * 2 + ["C3"] * 2, start=1)]
    return RegionTree(pd.DataFrame(rows, columns=["region_id", "name", "level", "parent_id"]))


def county_sales(negative: bool = False) -> pd.DataFrame:
    """Own monthly volume by county, 2023-01..2026-12, in tenths (sums that are not whole numbers).

    K4 opens in 2026-03; K8 never sells; K6 books a return (a negative month) when ``negative``.
    """
    rng = np.random.default_rng(14)
    months = pd.date_range("2023-01-01", "2026-12-01", freq="MS")
    rows = []
    for k, mean in (("K1", 300), ("K2", 120), ("K3", 80), ("K4", 60), ("K5", 200), ("K6", 90), ("K7", 150)):
        for m, v in zip(months, rng.poisson(mean, len(months))):
            if k == "K4" and m < pd.Timestamp("2026-03-01"):
                continue
            rows.append((k, m, v * 1.1))
    frame = pd.DataFrame(rows, columns=["region_id", "month", "value"])
    if negative:
        frame.loc[(frame["region_id"] == "K6") & (frame["month"] == pd.Timestamp("2026-05-01")), "value"] = -5.0
    return frame


def _parents(tree) -> dict:
    return {r: list(tree.children(r)) for r in tree.subtree("HQ") if tree.children(r)}


def _chained(full, tree, *, total, split, method, baselines, potential):
    """The reference: reconcile_children parent by parent, each on its children's rows of the history."""
    target, out = {"HQ": total}, {}
    for rid, kids in _parents(tree).items():
        if rid not in target:
            continue
        hist = full[full["child"].isin(kids)].sort_values("child", kind="stable").reset_index(drop=True)
        gap = rc.reconcile_children(hist, tree, rid, YEAR, target=target[rid], split=split, method=method,
                                    stretch=0.05, unit=1, potential=potential, children=kids, baselines=baselines)
        body = gap.iloc[:-1]
        got = {k: int(round(v)) for k, v in zip(body["region_id"], body["reconciled"])}
        target.update(got)
        out.update(got)
    return out


def _run(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PlanWarning)
        got = fn()
    return got, [str(w.message) for w in caught if issubclass(w.category, PlanWarning)]


# K7's own trend is unknown (no proposal: it keeps its top-down number); K5's is tiny (the floor lifts it)
BASELINES = pd.Series({"P1": 61000.0, "P2": 19000.0, "C1": 52000.0, "C2": 9000.0, "C3": 19000.0, "K1": 31000.0,
                       "K2": 15000.0, "K3": 9500.0, "K4": 4000.0, "K5": 10.0, "K6": 1200.0, "K7": np.nan})
# K1 capped below what it would get (its siblings take the excess); K5 and K6 together below
# what C2 gets (the reconciled numbers cannot keep the cap: a warning); K8 and C3 without a cap
POTENTIAL = pd.Series({"P1": 90000.0, "P2": 40000.0, "C1": 70000.0, "C2": 20000.0, "K1": 20000.5, "K2": 30000.0,
                       "K3": 25000.0, "K4": 20000.0, "K5": 3000.0, "K6": 2000.0, "K7": 25000.0})


@pytest.mark.parametrize("how", ["scale_bottom_up", "top_down", "bottom_up", "blend"])
@pytest.mark.parametrize("method", ["forecast_proportions", "proportion_averages", "average_proportions", "equal"])
def test_reconciled_targets_equal_reconcile_children_parent_by_parent(method, how):
    tree = three_level_tree()
    full = planned_history(county_sales(), tree, "HQ", ("province", "city", "county")).astype({"child": object})
    split = Split(floor=0.2, cap=1.0, holds={"K2": 20000}, reconcile=how, reconcile_weight=0.3)
    kw = dict(total=100000, split=split, method=method, baselines=BASELINES, potential=POTENTIAL)
    before = full.copy()
    got, said = _run(lambda: rc.reconciled_targets(full, tree, _parents(tree), YEAR, root="HQ", stretch=0.05,
                                                   unit=1, **kw))
    want, want_said = _run(lambda: _chained(full, tree, **kw))
    assert got == want and list(got) == list(want)  # the same numbers, in the same order
    assert said == want_said  # the same warnings, in the same order
    assert got["K2"] == 20000  # held
    for parent, kids in _parents(tree).items():  # every parent's children add up to its reconciled target
        assert sum(got[k] for k in kids) == (100000 if parent == "HQ" else got[parent])
    pd.testing.assert_frame_equal(full, before)


def test_reconciled_targets_take_the_arrays_except_where_the_frame_is_needed(monkeypatch):
    tree = three_level_tree()
    full = planned_history(county_sales(), tree, "HQ", ("province", "city", "county")).astype({"child": object})
    split = Split(floor=0.2, cap=1.0, holds={"K7": 900, "K8": 100}, reconcile="scale_bottom_up")
    kw = dict(root="HQ", total=100000, split=split, stretch=0.05, baselines=BASELINES, potential=POTENTIAL)
    calls = []
    real = rc.reconcile_children

    def spy(hist, tree_, region, *args, **kwargs):
        calls.append(region)
        return real(hist, tree_, region, *args, **kwargs)

    monkeypatch.setattr(rc, "reconcile_children", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        got = rc.reconciled_targets(full, tree, _parents(tree), YEAR, method="forecast_proportions", **kw)
        assert calls == ["C3"]  # C3's children are all held: nothing to split on the arrays
        calls.clear()
        rc.reconciled_targets(full, tree, _parents(tree), YEAR, method="equal", **kw)
        assert calls == ["HQ", "P1", "C1", "C2", "P2", "C3"]  # no array path for equal shares
    assert (got["K7"], got["K8"]) == (900, 100)
    assert sum(got[k] for k in ("K1", "K2", "K3", "K4")) == got["C1"]


def test_reconciled_targets_refuse_a_negative_history_as_reconcile_children_does():
    tree = three_level_tree()
    full = planned_history(county_sales(negative=True), tree, "HQ", ("province", "city", "county"))
    kw = dict(split=Split(reconcile="scale_bottom_up"), method="forecast_proportions", baselines=BASELINES,
              potential=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        for run in (lambda: rc.reconciled_targets(full, tree, _parents(tree), YEAR, root="HQ", total=100000,
                                                  stretch=0.05, **kw),
                    lambda: _chained(full, tree, total=100000, **kw)):
            with pytest.raises(SplitError, match="negative for K6"):  # K6's return in 2026-05, C2's window
                run()


def test_reconciled_targets_by_hand():
    """HQ 1,000 over two counties proposing 300 and 100 (their trend 285.7 and 95.2 × 1.05): 750 and 250."""
    tree = RegionTree(pd.DataFrame([("HQ", "总部", "hq", None), ("K1", "一县", "county", "HQ"),
                                    ("K2", "二县", "county", "HQ")], columns=["region_id", "name", "level", "parent_id"]))
    months = pd.date_range("2025-01-01", "2026-12-01", freq="MS")
    full = pd.DataFrame({"child": ["K1"] * 24 + ["K2"] * 24, "month": list(months) * 2,
                         "value": [10.0] * 24 + [30.0] * 24}).astype({"child": object})
    base = pd.Series({"K1": 285.7, "K2": 95.2})
    for floor, want in ((None, {"K1": 750, "K2": 250}),
                        # the floor keeps K2 at 80% of last year's 360 (288): K1 gets the rest
                        (0.2, {"K1": 712, "K2": 288})):
        split = Split(floor=floor, reconcile="scale_bottom_up")
        got = rc.reconciled_targets(full, tree, {"HQ": ["K1", "K2"]}, YEAR, root="HQ", total=1000, split=split,
                                    method="proportion_averages", stretch=0.05, baselines=base)
        assert got == want
        assert list(got) == ["K1", "K2"]


@pytest.mark.parametrize("how", ["top_down", "scale_bottom_up"])
def test_reconciled_targets_give_a_tied_unit_to_the_lower_id_whatever_the_childrens_order(how):
    """1,001 over two counties alike, listed KB before KA: the odd unit goes to KA, as split_target gives it."""
    tree = RegionTree(pd.DataFrame([("HQ", "总部", "hq", None), ("KB", "乙县", "county", "HQ"),
                                    ("KA", "甲县", "county", "HQ")], columns=["region_id", "name", "level", "parent_id"]))
    months = pd.date_range("2025-01-01", "2026-12-01", freq="MS")
    full = pd.DataFrame({"child": ["KB"] * 24 + ["KA"] * 24, "month": list(months) * 2,
                         "value": [20.0] * 48}).astype({"child": object})
    split = Split(floor=None, reconcile=how)
    got = rc.reconciled_targets(full, tree, {"HQ": ["KB", "KA"]}, YEAR, root="HQ", total=1001, split=split,
                                method="proportion_averages", stretch=0.0, baselines=pd.Series({"KA": 300.0, "KB": 300.0}))
    assert got == {"KB": 500, "KA": 501} and list(got) == ["KB", "KA"]
    assert rc.split_target(1001, pd.Series({"KB": 1.0, "KA": 1.0})).to_dict() == {"KB": 500, "KA": 501}
    gap = rc.reconcile_children(full, tree, "HQ", YEAR, target=1001, split=split, method="proportion_averages",
                                stretch=0.0, children=["KB", "KA"], baselines=pd.Series({"KA": 300.0, "KB": 300.0}))
    assert gap["reconciled"].tolist() == [500.0, 501.0, 1001.0]
