"""children_history: each child's months summed from the recorded regions, as a map and group-by on ids gives them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planlib import archive
from planlib.archive.queries import targets as queries
from planlib.targets.history import children_history, coded_history


def _by_ids(monthly: pd.DataFrame, tree, children) -> pd.DataFrame:
    """The plain way: each row's child looked up by id, then summed by child id and month."""
    owner = {r: k for k in children for r in tree.subtree(k)}
    raw = monthly.assign(child=monthly["region_id"].map(owner)).dropna(subset=["child"])
    full = raw.groupby(["child", "month"], as_index=False)["value"].sum()
    full["month"] = pd.to_datetime(full["month"])
    return full


@pytest.fixture(scope="module")
def demo_history(demo_plan):
    with archive.connect(demo_plan.parent.parent / "data" / "demo.duckdb", threads=1) as con:  # the plan's archive
        tree = archive.load_tree(con)
        raw = queries.children_monthly_volume(con, list(tree.subtree(tree.root)), 1900, 2027)
    return tree, raw


def test_children_history_equals_the_lookup_by_id(demo_history):
    tree, raw = demo_history
    # float sums that depend on their order: each child's rows must be added in row order
    rng = np.random.default_rng(7)
    noisy = raw.assign(value=raw["value"] * (1.0 + rng.random(len(raw)) / 3.0))
    for frame in (raw, noisy):
        for kids in (tree.children(tree.root), tree.at_level("city"), tree.at_level("county"),
                     list(reversed(tree.children(tree.children(tree.root)[0])))):
            got = children_history(frame, tree, kids)
            assert len(got)
            pd.testing.assert_frame_equal(got, _by_ids(frame, tree, kids), check_exact=True)


def test_children_history_missing_unknown_and_no_rows(demo_history):
    tree, _ = demo_history
    p1 = tree.children(tree.root)[0]
    p1_kid = tree.children(p1)[0]
    m = pd.DataFrame({"region_id": pd.Series([p1, None, "nowhere", p1_kid, p1], dtype=object),
                      "month": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-01", "2025-02-01", "2025-01-01"]),
                      "value": [1.0, 2.0, 3.0, 4.0, 0.1]})
    got = children_history(m, tree, [p1])
    assert got["child"].tolist() == [p1, p1] and got["value"].tolist() == [1.0 + 0.1, 4.0]
    for kids in ([p1], [p1_kid, tree.children(tree.root)[1]], [tree.children(tree.root)[1]], []):
        pd.testing.assert_frame_equal(children_history(m, tree, kids), _by_ids(m, tree, kids), check_exact=True)


def test_children_history_from_codes_made_once(demo_history):
    """Several sets of children summed from one coding of the history: the frames of coding it each time."""
    tree, raw = demo_history
    rng = np.random.default_rng(11)
    noisy = raw.assign(value=raw["value"] * (1.0 + rng.random(len(raw)) / 3.0))  # sums that depend on their order
    noisy.loc[noisy.index[:5], "month"] = pd.NaT  # a missing month is left out, as grouping leaves it
    coded = coded_history(noisy)
    assert coded[2][:5].tolist() == [-1] * 5
    for kids in (tree.children(tree.root), tree.at_level("city"), tree.at_level("county"), []):
        got = children_history(noisy, tree, kids, coded=coded)
        pd.testing.assert_frame_equal(got, children_history(noisy, tree, kids), check_exact=True)
        pd.testing.assert_frame_equal(got, _by_ids(noisy, tree, kids), check_exact=True)
    assert len(children_history(noisy, tree, tree.at_level("county"), coded=coded)) > 100
