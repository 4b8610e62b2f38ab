"""The region tree: validation, lookups, roll-up order."""

import pandas as pd
import pytest

from planlib.errors import HierarchyError
from planlib.hierarchy import RegionTree


def _regions(rows):
    return pd.DataFrame(rows, columns=["region_id", "name", "level", "parent_id"])


# HQ -> P1 -> C1 -> {K1, K2}; K1 -> T1
TREE_ROWS = [
    ("HQ", "总部", "hq", None),
    ("P1", "山东省", "province", "HQ"),
    ("C1", "济南市", "city", "P1"),
    ("K2", "章丘区", "county", "C1"),
    ("K1", "历城区", "county", "C1"),
    ("T1", "港沟镇", "township", "K1"),
]


def test_region_tree_lookups():
    tree = RegionTree(_regions(TREE_ROWS))
    assert tree.root == "HQ"
    assert tree.children("C1") == ("K1", "K2")
    assert tree.ancestors("T1") == ("K1", "C1", "P1", "HQ")
    assert set(tree.subtree("C1")) == {"C1", "K1", "K2", "T1"}
    assert tree.subtree("K2") == ("K2",)
    assert tree.at_level("county") == ("K1", "K2")
    assert tree.ancestor_at("T1", "city") == "C1"
    assert tree.ancestor_at("P1", "county") is None
    assert tree.child_map("P1") == {"C1": "C1", "K1": "C1", "K2": "C1", "T1": "C1"}
    assert tree.child_map("K1") == {"T1": "T1"}
    assert tree.path_label("K1") == "总部 / 山东省 / 济南市 / 历城区"


def test_region_tree_levels_and_parents_are_read_only_views():
    tree = RegionTree(_regions(TREE_ROWS))
    assert dict(tree.levels) == {"HQ": "hq", "P1": "province", "C1": "city", "K1": "county", "K2": "county",
                                 "T1": "township"}
    assert dict(tree.parents) == {"HQ": None, "P1": "HQ", "C1": "P1", "K1": "C1", "K2": "C1", "T1": "K1"}
    with pytest.raises(TypeError):
        tree.levels["K1"] = "city"  # type: ignore[index]
    assert tree.level("K1") == "county"


def test_region_tree_bottom_up_puts_children_first():
    tree = RegionTree(_regions(TREE_ROWS))
    order = tree.bottom_up(["HQ", "K1", "C1", "P1", "K2"])
    for child in ("K1", "K2"):
        assert order.index(child) < order.index("C1") < order.index("P1") < order.index("HQ")


@pytest.mark.parametrize(
    "rows, match",
    [
        (TREE_ROWS + [("X", "孤儿", "county", "NOPE")], "parent_id is not a region"),
        (TREE_ROWS + [("HQ2", "第二总部", "hq", None)], "exactly one root"),
        (TREE_ROWS + [("K1", "重复", "county", "C1")], "more than once"),
        (TREE_ROWS + [("../x", "坏", "county", "C1")], "invalid region ids"),
        (TREE_ROWS + [("K9", "层级错", "province", "C1")], "not below its parent"),
        ([], "empty"),
    ],
)
def test_region_tree_rejects_bad_trees(rows, match):
    with pytest.raises(HierarchyError, match=match):
        RegionTree(_regions(rows))


def test_region_tree_unknown_id_is_an_error():
    tree = RegionTree(_regions(TREE_ROWS))
    with pytest.raises(HierarchyError, match="unknown region id 'ZZ'"):
        tree.children("ZZ")


def test_region_tree_ancestors_are_the_parents_walked_whatever_the_asking_order():
    """Ancestors kept once made: the parents walked to the root, asked leaf first or root first, again and again."""
    rows = [*TREE_ROWS, ("K3", "长清区", "county", "C1"), ("T3", "崮云湖", "township", "K3")]

    def walked(tree, r):
        out, p = [], tree.parents[r]
        while p is not None:
            out.append(p)
            p = tree.parents[p]
        return tuple(out)

    for order in (lambda ids: ids, lambda ids: ids[::-1]):
        tree = RegionTree(_regions(rows))
        ids = list(tree.ids)
        for r in order(ids) + ids:
            assert tree.ancestors(r) == walked(tree, r)
        assert tree.ancestors("T3") == ("K3", "C1", "P1", "HQ") and tree.ancestors("HQ") == ()
        assert tree.ancestors("T3") is tree.ancestors("T3")
        with pytest.raises(HierarchyError, match="unknown region id 'ZZ'"):
            tree.ancestors("ZZ")
        with pytest.raises(HierarchyError, match="unknown region id 'ZZ'"):  # not kept as known after a failure
            tree.ancestors("ZZ")
