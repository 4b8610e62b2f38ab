"""The plan-wide targets step's by-products and speed-ups (helper targets-speed): same numbers as before."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planlib import archive, params, targets
from planlib.schemas import LEVEL_DEPTH

ROOT = Path(__file__).resolve().parents[2]
DEMO_PLAN = ROOT / "params" / "demo.yaml"


@pytest.fixture(scope="module")
def demo_targets():
    """The demo plan's plan-wide targets step (data/demo.duckdb; skipped when it is not built)."""
    plan = params.load_plan(DEMO_PLAN)
    if not Path(plan.archive).exists():
        pytest.skip("data/demo.duckdb is not built (make demo)")
    con = archive.connect(plan.archive, threads=1)
    try:
        tree = archive.load_tree(con)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pt = targets.plan_targets(plan, tree, con)
        yield plan, tree, con, pt
    finally:
        con.close()


def test_plan_targets_baselines_are_children_baselines_on_the_demo(demo_targets):
    plan, tree, con, pt = demo_targets
    assert plan.split.reconcile is not None and plan.split.proposals is None
    assert pt.baselines is not None and len(pt.baselines)
    root = plan.scope.root
    deepest = max(LEVEL_DEPTH[lv] for lv in plan.scope.levels)
    parents = [r for r in tree.subtree(root) if any(LEVEL_DEPTH[tree.level(k)] <= deepest for k in tree.children(r))]
    seen = []
    for parent in parents:
        want = targets.children_baselines(con, tree, parent, plan.year)
        want = want[[LEVEL_DEPTH[tree.level(k)] <= deepest for k in want.index]]
        got = pt.baselines.reindex(want.index)
        np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())  # to the bit
        seen.extend(want.index)
    # every region the step fitted is some planned parent's child
    assert sorted(pt.baselines.index) == sorted(seen)
    assert pt.baselines.index.is_unique and root not in pt.baselines.index


def test_plan_targets_baselines_none_without_own_trend(tiny_plan):
    plan = params.load_plan(tiny_plan)
    con = archive.connect(plan.archive)
    try:
        tree = archive.load_tree(con)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pt = targets.plan_targets(plan, tree, con)
    finally:
        con.close()
    assert plan.split.reconcile is None  # top-down only: no child's own trend is fitted
    assert pt.baselines is None
