"""Tests of planlib.params.problems: every problem with its file, line and dotted key, all at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planlib.errors import ParamsError
from planlib.params import load_plan
from tests.params.conftest import MESSAGE, PLAN, errors_of, write


def test_load_plan_unknown_key_names_file_line_and_dotted_key(plan: Path):
    plan.write_text(PLAN.replace("  history_years: 3", "  history_year: 3"), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [
        f"{plan}:10: analysis.history_year: unknown key; expected one of history_years, capture_rate, abc_thresholds",
    ]


def test_load_plan_unknown_key_in_region_file_names_that_file(plan: Path):
    region_file = write(plan.parent, "regions/K1.yaml", "analysis:\n  history_years: 2\nbudgte: {}\n")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan, region="K1")
    assert errors_of(exc) == [f"{region_file}:3: budgte: unknown key; expected one of analysis, swot, targets, split, budget, tracking, promotions"]


def test_load_plan_wrong_type_in_region_file_names_that_file(plan: Path):
    region_file = write(plan.parent, "regions/K1.yaml", "analysis:\n  history_years: two\n")
    with pytest.raises(ParamsError, match=re.escape(f"{region_file}:2: analysis.history_years: got the string 'two'")):
        load_plan(plan, region="K1")


def test_load_plan_code_injection_key_is_an_unknown_key(plan: Path):
    plan.write_text(PLAN + "\"x=__import__('os').system('id');y\": 1\n", encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    (line,) = errors_of(exc)
    assert line.startswith(f"{plan}:15: [\"x=__import__('os').system('id');y\"]: unknown key; expected one of plan_id,")
    assert "source_files" not in line  # runtime keys are not offered


def test_load_plan_wrong_type_year_as_string(plan: Path):
    plan.write_text(PLAN.replace("year: 2027", 'year: "2027"'), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [f"{plan}:3: year: got the string '2027'; expected an integer year such as 2027"]


def test_load_plan_wrong_type_float_for_integer(plan: Path):
    plan.write_text(PLAN.replace("history_years: 3", "history_years: 3.0"), encoding="utf-8")
    with pytest.raises(ParamsError, match=r"analysis\.history_years: got the number 3\.0; expected an integer >= 1"):
        load_plan(plan)


def test_load_plan_out_of_range_value(plan: Path):
    plan.write_text(PLAN.replace("history_years: 3", "history_years: 0"), encoding="utf-8")
    with pytest.raises(ParamsError, match=r":10: analysis\.history_years: got the integer 0; expected an integer >= 1"):
        load_plan(plan)


def test_load_plan_missing_key(plan: Path):
    plan.write_text(PLAN.replace("title: 测试方案\n", ""), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [f"{plan}:1: title: missing; expected a string (not empty)"]


def test_load_plan_invalid_plan_id(plan: Path):
    plan.write_text(PLAN.replace("plan_id: t-2027", "plan_id: ../x"), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    (line,) = errors_of(exc)
    assert line.startswith(f"{plan}:1: plan_id: '../x' cannot name a folder; expected letters, digits")


def test_load_plan_reports_all_errors_at_once(plan: Path):
    text = (
        PLAN.replace("year: 2027", "year: '2027'")
        .replace("  history_years: 3", "  history_years: 3\n  history_years: 4")
        .replace("[10_review_archive]", "[10_review_archive, ../../etc/passwd]")
        + "colour: red\n"
    )
    plan.write_text(text, encoding="utf-8")
    write(plan.parent, "regions/K1.yaml", "year: 2030\nswot:\n  threats: [1]\n")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan, region="K1")
    lines = errors_of(exc)
    assert len(lines) == 6, lines
    assert all(MESSAGE.match(line) for line in lines), lines
    assert [line.split(": ")[0:2] for line in lines] == [
        [f"{plan}:3", "year"],
        [f"{plan}:8", "notebooks[1]"],
        [f"{plan}:11", "analysis.history_years"],
        [f"{plan}:16", "colour"],
        [f"{plan.parent / 'regions' / 'K1.yaml'}:1", "year"],
        [f"{plan.parent / 'regions' / 'K1.yaml'}:3", "swot.threats[0]"],
    ]


def test_load_plan_missing_file(tmp_path: Path):
    with pytest.raises(ParamsError, match="no such file"):
        load_plan(tmp_path / "nope.yaml")


def test_load_plan_empty_file(tmp_path: Path):
    with pytest.raises(ParamsError, match=r"empty\.yaml:1: \(top level\): got nothing"):
        load_plan(write(tmp_path, "empty.yaml", ""))


def test_load_plan_problem_in_a_replaced_list_names_the_file_that_replaced_it(plan: Path):
    # the region's list replaces the plan's, the scenario's replaces the region's: its bad item is the scenario's
    write(plan.parent, "regions/K1.yaml", "swot:\n  strengths: [a, b, c]\n  threats: [x]\n")
    low = write(plan.parent, "scenarios/low.yaml", "analysis:\n  history_years: 2\nswot:\n  strengths:\n    - d\n    - 7\n")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan, region="K1", scenario="low")
    assert errors_of(exc) == [f"{low}:6: swot.strengths[1]: got the integer 7; expected a string (not empty)"]
