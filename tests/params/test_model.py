"""Tests of planlib.params.model: the frozen PlanParams, its hash and the budget's cross-checks."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from planlib import params
from planlib.errors import ParamsError
from planlib.params import Budget, PlanParams, StrictLoader, load_plan
from planlib.params.model import Activity
from tests.params.conftest import PLAN, errors_of, write


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
        "Scope", "RunSettings", "Analysis", "Swot", "Milestone", "Targets", "Split", "Budget", "Tracking", "Kpi", "RuleSet", "PlanParams", "load_plan", "region_sections",
        "load_snapshot", "write_snapshot", "override_yaml", "overrides_yaml", "validate_plan",
    ])  # fmt: skip
    assert params.OVERRIDABLE == ("analysis", "swot", "targets", "split", "budget", "tracking", "promotions")
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


# -- dates, bounds and files (issue #12) -------------------------------------------------
def with_targets(plan: Path, targets: str) -> None:
    """The test plan with a ``targets`` section appended (lines 15 on)."""
    plan.write_text(PLAN + "targets:\n" + textwrap.indent(textwrap.dedent(targets), "  "), encoding="utf-8")


@pytest.mark.parametrize(("date", "why"), [("2027-02-30", "day is out of range for month"),
                                           ("2027-13-45", "month must be in 1..12")])  # fmt: skip
def test_load_plan_impossible_milestone_date(plan: Path, date: str, why: str):
    with_targets(plan, f"""\
        milestones:
          - {{stage: 一阶段, date: "2027-06-30", coverage: 0.4}}
          - {{stage: 二阶段, date: "{date}", coverage: 0.6}}
        """)
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [
        f"{plan}:18: targets.milestones[1].date: '{date}' is not a date ({why}); "
        "expected an ISO date such as 2027-06-30, in the plan year"
    ]


def test_load_plan_milestone_date_outside_the_plan_year(plan: Path):
    with_targets(plan, 'milestones:\n  - {stage: 一阶段, date: "2026-12-31", coverage: 0.4}\n')
    with pytest.raises(ParamsError, match=r":17: targets\.milestones\[0\]\.date: '2026-12-31' is outside the plan year 2027;"):
        load_plan(plan)
    with_targets(plan, 'milestones:\n  - {stage: 一阶段, date: "2027-12-31", coverage: 0.4}\n')
    assert load_plan(plan).targets.milestones[0].date == "2027-12-31"


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("unit", "100000000000", "an integer >= 1 and <= 1,000,000"),
    ("unit", "1e23", "an integer >= 1 and <= 1,000,000"),
    ("stretch", "5", "a number >= -0.5 and <= 1.0"),
])  # fmt: skip
def test_load_plan_numbers_out_of_their_range(plan: Path, key: str, value: str, expected: str):
    with_targets(plan, f"{key}: {value}\n")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    (line,) = errors_of(exc)
    assert line.startswith(f"{plan}:16: targets.{key}: got the ") and line.endswith(f"; expected {expected}")


def test_load_plan_money_volumes_and_weights_are_bounded(plan: Path):
    plan.write_text(PLAN + (
        "split:\n  method: blend\n  weights: {potential: 1000}\n  holds: {K1: 10000000000000}\n"
        "budget:\n  cap_amount: 1.0e15\n  channel:\n    display: {A: 1.0e13}\n"
        "run:\n  timeout_seconds: 100000\n"
    ), encoding="utf-8")  # fmt: skip
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert [line.split(": ", 2)[1] + ": " + line.rsplit("; ", 1)[1] for line in errors_of(exc)] == [
        "split.weights.potential: expected a number >= 0 and <= 100.0",
        "split.holds.K1: expected an integer >= 0 and <= 1,000,000,000,000",
        "budget.cap_amount: expected a number > 0 and <= 1,000,000,000,000 or nothing",
        "budget.channel.display.A: expected a number >= 0 and <= 1,000,000,000,000",
        "run.timeout_seconds: expected an integer > 0 and <= 86,400",
    ]


def test_load_plan_proposals_inside_the_params_folder(plan: Path):
    (plan.parent / "proposals.csv").write_text("region_id,volume\nK1,100\n", encoding="utf-8")
    plan.write_text(PLAN + "split:\n  proposals: proposals.csv\n", encoding="utf-8")
    assert load_plan(plan).split.proposals == plan.parent / "proposals.csv"


@pytest.mark.parametrize(("proposals", "why"), [
    ("/dev/zero", "'/dev/zero' is outside the plan's params folder"),
    ("../outside.csv", "is outside the plan's params folder"),
    ("link.csv", "'{dir}/link.csv' is outside the plan's params folder"),
    ("missing.csv", "'{dir}/missing.csv' does not exist"),
    ("regions", "'{dir}/regions' is not a regular file"),
    ("big.csv", "'{dir}/big.csv' has 10,000,001 bytes, more than 10,000,000"),
])  # fmt: skip
def test_load_plan_proposals_must_be_a_bounded_file_in_the_params_folder(plan: Path, proposals: str, why: str):
    (plan.parent.parent / "outside.csv").write_text("region_id,volume\n", encoding="utf-8")
    (plan.parent / "link.csv").symlink_to(plan.parent.parent / "outside.csv")
    with open(plan.parent / "big.csv", "wb") as fh:
        fh.truncate(10_000_001)
    plan.write_text(PLAN + f"split:\n  proposals: {proposals}\n", encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    (line,) = errors_of(exc)
    assert line.startswith(f"{plan}:16: split.proposals: ")
    assert why.format(dir=plan.parent) in line
    assert line.endswith("; expected a CSV file (region_id, volume) inside the plan's params folder, relative to the plan file")
