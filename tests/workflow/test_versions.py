"""Version names, altered files, and what moved between two versions (hand-computed)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from planlib.errors import WorkflowError
from planlib.workflow import versions


def test_next_version_and_names():
    assert versions.next_version([]) == "v1"
    assert versions.next_version(["v1", "v10", "v2", "x"]) == "v11"
    assert versions.version_name("v3") == "v3"
    for bad in ("v0", "3", "v1/../x", "V1"):
        with pytest.raises(WorkflowError, match="expected v1, v2"):
            versions.version_name(bad)


def test_altered_files_names_changed_removed_and_added():
    got = versions.altered_files({"a": "1" * 64, "b": "2" * 64}, {"a": "3" * 64, "c": "4" * 64})
    assert got == ["a: changed (sha256 111111111111… locked, 333333333333… now)", "b: removed",
                   "c: added after the lock"]
    assert versions.altered_files({"a": "1"}, {"a": "1"}) == []


def test_diff_params_groups_a_change_over_regions():
    before = {"K1": {"targets": {"stretch": 0.05, "unit": 1}}, "K2": {"targets": {"stretch": 0.05, "unit": 1}}}
    after = {"K1": {"targets": {"stretch": 0.25, "unit": 1}}, "K2": {"targets": {"stretch": 0.25, "unit": 1},
                                                                     "split": {"holds": {"K2": 90}}}}
    d = versions.diff_params(before, after)
    assert d.to_dict("records") == [
        {"key": "split.holds.K2", "before": None, "after": "90", "regions": "K2"},
        {"key": "targets.stretch", "before": "0.05", "after": "0.25", "regions": "K1, K2"},
    ]


def _targets(k1_jan, k1_feb):
    # K1's two month totals, and a product-line row that must not be counted again
    return pd.DataFrame({
        "region_id": ["K1", "K1", "K1"], "month": pd.to_datetime(["2027-01-01", "2027-02-01", "2027-01-01"]),
        "product_line": [None, None, "白酒"], "sku": [None] * 3,
        "target_volume": [k1_jan, k1_feb, k1_jan], "target_revenue": [k1_jan * 50.0, k1_feb * 50.0, k1_jan * 50.0],
    })


def test_diff_results_per_region_and_month_only_what_moved():
    budget_a = pd.DataFrame({"region_id": ["K1"] * 3, "month": pd.to_datetime(["2027-01-01"] * 3),
                             "category": ["media", "channel", "channel"], "item": ["tv", "display", "display"],
                             "terminal_id": [None, "T1", "T2"], "amount": [100.0, 20.0, 30.0]})
    budget_b = budget_a.assign(amount=[100.0, 20.0, 40.0])
    regions_a = pd.DataFrame({"region_id": ["K1"], "profit": [1000.0]})
    regions_b = pd.DataFrame({"region_id": ["K1"], "profit": [1500.0]})
    d = versions.diff_results({"targets": _targets(100, 80), "budget": budget_a, "regions": regions_a},
                              {"targets": _targets(120, 80), "budget": budget_b, "regions": regions_b})
    assert d[["region_id", "month", "measure", "before", "after", "change"]].values.tolist() == [
        ["K1", dt.date(2027, 1, 1), "target_volume", 100.0, 120.0, 20.0],
        ["K1", dt.date(2027, 1, 1), "target_revenue", 5000.0, 6000.0, 1000.0],
        ["K1", dt.date(2027, 1, 1), "budget", 150.0, 160.0, 10.0],
        ["K1", None, "profit", 1000.0, 1500.0, 500.0],
    ]


def test_diff_results_of_a_version_against_itself_is_empty():
    t = {"targets": _targets(100, 80), "budget": None}
    assert versions.diff_results(t, t).empty
