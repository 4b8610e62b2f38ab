"""Tests of planlib.params.strict_yaml: YAML 1.2 core scalars, no duplicates, aliases or tags."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from planlib.errors import ParamsError
from planlib.hierarchy import RegionTree
from planlib.params import StrictLoader, load_plan
from planlib.params.model import Section
from tests.params.conftest import PLAN, errors_of


def test_strict_loader_no_fails_where_a_bool_is_required():
    # a later stage section with a flag, built like every params section
    class Flags(Section):
        interactive: bool

    assert Flags.model_validate(yaml.load("interactive: true", Loader=StrictLoader)).interactive is True
    data = yaml.load("interactive: NO", Loader=StrictLoader)
    assert data == {"interactive": "NO"}
    with pytest.raises(ValidationError, match="bool"):
        Flags.model_validate(data)


def test_strict_loader_reads_yaml_1_2_core_scalars():
    text = "a: 1e3\nb: 1.0e3\nc: 0755\nd: 12:30\ne: NO\nf: true\ng: False\nh: ~\ni: -7\nj: .5\nk: 2027-01-01\nl: 0x1F\nm: .inf\n"
    assert yaml.load(text, Loader=StrictLoader) == {
        "a": 1000.0, "b": 1000.0, "c": "0755", "d": "12:30", "e": "NO", "f": True, "g": False,
        "h": None, "i": -7, "j": 0.5, "k": "2027-01-01", "l": "0x1F", "m": ".inf",
    }  # fmt: skip


def test_strict_loader_rejects_duplicates_aliases_and_tags():
    with pytest.raises(yaml.YAMLError, match="duplicate key"):
        yaml.load("a: 1\na: 2\n", Loader=StrictLoader)
    with pytest.raises(yaml.YAMLError, match="alias"):
        yaml.load("a: &x 1\nb: *x\n", Loader=StrictLoader)
    with pytest.raises(yaml.YAMLError, match="not allowed"):
        yaml.load("a: !!python/object/apply:os.system [id]\n", Loader=StrictLoader)
    with pytest.raises(yaml.YAMLError, match="not a string"):
        yaml.load("2027: x\n", Loader=StrictLoader)


def test_load_plan_duplicate_key_names_both_lines(plan: Path):
    plan.write_text(PLAN.replace("  history_years: 3", "  history_years: 3\n  history_years: 5"), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [
        f"{plan}:11: analysis.history_years: duplicate key (first at line 10); expected each key once"
    ]


def test_load_plan_yaml_no_stays_a_string(plan: Path):
    plan.write_text(PLAN.replace("[品牌强]", "[NO, yes, on]").replace("year: 2027", "year: NO"), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [
        f"{plan}:3: year: got the string 'NO' (only true and false are booleans); expected an integer year such as 2027"
    ]
    plan.write_text(PLAN.replace("[品牌强]", "[NO, yes, on]"), encoding="utf-8")
    assert load_plan(plan).swot.strengths == ("NO", "yes", "on")


def test_load_plan_leading_zero_is_an_error_for_an_integer(plan: Path):
    plan.write_text(PLAN.replace("history_years: 3", "history_years: 0755"), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [
        f"{plan}:10: analysis.history_years: got the string '0755' (a leading zero keeps a code as text); "
        "expected an integer >= 1 and <= 30"
    ]


def test_load_plan_leading_zero_code_stays_text(plan: Path, tree: RegionTree):
    plan.write_text(PLAN.replace("root: HQ", "root: 0755").replace("[hq, province, county]", "[county]")
                    .replace("[品牌强]", "[0755]"), encoding="utf-8")  # fmt: skip
    p = load_plan(plan, tree=tree)
    assert p.scope.root == "0755"
    assert p.swot.strengths == ("0755",)


def test_load_plan_sexagesimal_stays_text(plan: Path):
    plan.write_text(PLAN.replace("title: 测试方案", "title: 12:30"), encoding="utf-8")
    assert load_plan(plan).title == "12:30"
    plan.write_text(PLAN.replace("history_years: 3", "history_years: 12:30"), encoding="utf-8")
    with pytest.raises(ParamsError, match=r"analysis\.history_years: got the string '12:30'; expected an integer"):
        load_plan(plan)


def test_load_plan_float_exponent_is_a_number(plan: Path):
    plan.write_text(PLAN + "run:\n  timeout_seconds: 1e3\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r":16: run\.timeout_seconds: got the number 1000\.0; expected an integer > 0"):
        load_plan(plan)


def test_load_plan_yaml_syntax_error_names_the_line(plan: Path):
    plan.write_text(PLAN.replace("  history_years: 3", "  history_years: [3"), encoding="utf-8")
    with pytest.raises(ParamsError, match=rf"^{re.escape(str(plan))}:1\d: invalid YAML"):
        load_plan(plan)
