"""Tests of planlib.params.model: the frozen PlanParams, its hash and the budget's cross-checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from planlib import params
from planlib.params import Budget, PlanParams, StrictLoader, load_plan
from planlib.params.model import Activity
from tests.params.conftest import PLAN, write


def test_params_hash_is_stable_and_tracks_values(plan: Path):
    a, b = load_plan(plan), load_plan(plan)
    assert a.params_hash() == b.params_hash()
    assert re.fullmatch(r"[0-9a-f]{16}", a.params_hash())
    plan.write_text(PLAN.replace("history_years: 3", "history_years: 4"), encoding="utf-8")
    assert load_plan(plan).params_hash() != a.params_hash()
    assert load_plan(plan, region="K1").params_hash() != load_plan(plan).params_hash()


def test_params_hash_ignores_where_the_files_are(tmp_path: Path):
    text = PLAN.replace("archive: data/t.duckdb", f"archive: {tmp_path / 'shared.duckdb'}")
    one = write(tmp_path, "one/plan.yaml", text)
    two = write(tmp_path, "two/deeper/plan.yaml", text)
    for folder in (one.parent, two.parent):
        (folder / "regions").mkdir()
        (folder / "scenarios").mkdir()
    assert load_plan(one).params_hash() == load_plan(two).params_hash()


def test_resolved_dict_is_plain_data(plan: Path):
    d = load_plan(plan).resolved_dict()
    assert d["scope"] == {"root": "HQ", "levels": ["hq", "province", "county"]}
    assert d["archive"] == str(plan.parent / "data" / "t.duckdb")
    assert yaml.load(yaml.safe_dump(d, allow_unicode=True), Loader=StrictLoader) == d


def test_plan_params_is_frozen(plan: Path):
    p = load_plan(plan)
    with pytest.raises(ValidationError):
        p.year = 2028  # type: ignore[misc]


def test_params_all_is_pinned():
    assert sorted(params.__all__) == sorted([
        "BASE_SCENARIO", "SNAPSHOT_NAME", "PLAN_KEYS", "RUNTIME_KEYS", "OVERRIDABLE", "StrictLoader",
        "Scope", "RunSettings", "Analysis", "Swot", "Milestone", "Targets", "Split", "Budget", "PlanParams", "load_plan",
        "load_snapshot", "write_snapshot", "override_yaml", "overrides_yaml",
    ])  # fmt: skip
    assert params.OVERRIDABLE == ("analysis", "swot", "targets", "split", "budget")
    assert set(PlanParams.model_fields) == params.PLAN_KEYS | params.RUNTIME_KEYS | set(params.OVERRIDABLE)


def test_budget_methods_that_do_not_fit_their_category_are_params_errors(tmp_path):
    with pytest.raises(ValidationError, match=r"methods.labour: objective_task does not apply to labour \(only for channel\)"):
        Budget(methods={"labour": "objective_task"})
    with pytest.raises(ValidationError, match="promotion: zero_based needs activities of category promotion"):
        Budget(methods={"promotion": "zero_based"})
    assert Budget(methods={"media": "input_output", "labour": "marginal"}).methods["media"] == "input_output"

    with pytest.raises(ValidationError, match=r"activities: 品鉴 books to promotion.tv, not an item of promotion"):
        Budget(activities=(Activity(name="品鉴", category="promotion", item="tv", cost=1, expected_return=2),))
    own = Budget(items={"promotion": {"tasting_wine": "品鉴酒"}},
                 activities=(Activity(name="品鉴", category="promotion", item="tasting_wine", cost=1, expected_return=2),))
    assert own.activities[0].item == "tasting_wine"
