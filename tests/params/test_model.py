"""Tests of planlib.params: strict YAML, merge order, error messages, snapshots."""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from planlib.params import model as params
from planlib.errors import ParamsError
from planlib.hierarchy import RegionTree
from planlib.params.model import PlanParams, StrictLoader, load_plan, load_snapshot, override_yaml, write_snapshot

REPO = Path(__file__).resolve().parents[2]

# A minimal valid plan; tests replace single lines. Line numbers matter:
# 1 plan_id, 2 title, 3 year, 4 archive, 5 scope, 6 root, 7 levels, 8 notebooks,
# 9 analysis, 10 history_years, 11 swot, 12 strengths, 13 region_overrides, 14 scenarios
PLAN = """\
plan_id: t-2027
title: 测试方案
year: 2027
archive: data/t.duckdb
scope:
  root: HQ
  levels: [hq, province, county]
notebooks: [10_review_archive]
analysis:
  history_years: 3
swot:
  strengths: [品牌强]
region_overrides: regions
scenarios: scenarios
"""

# Line format of every message: <file>:<line>: <dotted.key>: <what is wrong>; expected <what>
MESSAGE = re.compile(r"^\S+:\d+: \S.*?: .+; expected .+$")


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    """A plan with empty regions/ and scenarios/ folders beside it."""
    (tmp_path / "regions").mkdir()
    (tmp_path / "scenarios").mkdir()
    return write(tmp_path, "plan.yaml", PLAN)


@pytest.fixture
def tree() -> RegionTree:
    # HQ -> P1 (province) -> K1, K2 (counties); HQ -> P2 -> 0755 (a county whose code has a leading zero)
    return RegionTree(
        pd.DataFrame(
            {
                "region_id": ["HQ", "P1", "K1", "K2", "P2", "0755"],
                "name": ["总部", "省一", "县一", "县二", "省二", "县三"],
                "level": ["hq", "province", "county", "county", "province", "county"],
                "parent_id": [None, "HQ", "P1", "P1", "HQ", "P2"],
            }
        )
    )


def errors_of(excinfo: pytest.ExceptionInfo[ParamsError]) -> list[str]:
    return str(excinfo.value).splitlines()


# -- loading -------------------------------------------------------------------------
def test_load_plan_reads_the_demo_plan():
    p = load_plan(REPO / "params" / "demo.yaml")
    assert p.plan_id == "demo-2027"
    assert p.year == 2027
    assert p.title == "康源酒业 2027 年度营销方案"
    assert p.currency == "CNY"
    assert p.archive == REPO / "data" / "demo.duckdb"
    assert p.archive.is_absolute()
    assert p.scope.root == "HQ"
    assert p.scope.levels == ("hq", "province", "city", "county")
    assert p.notebooks == ("10_review_archive", "20_split_targets", "30_build_budget")
    assert (p.run.timeout_seconds, p.run.workers) == (600, 2)
    assert p.analysis.history_years == 3
    assert p.swot.threats == ()
    assert p.source_files == (REPO / "params" / "demo.yaml",)
    assert (p.region, p.scenario) == (None, "base")


def test_load_plan_demo_examples_merge():
    # the shipped examples: regions/HQ.yaml and scenarios/cautious.yaml
    p = load_plan(REPO / "params" / "demo.yaml", region="HQ", scenario="cautious")
    assert p.analysis.history_years == 2
    assert p.swot.strengths == ("全国化品牌认知度高",)
    assert len(p.swot.threats) == 2
    assert [f.name for f in p.source_files] == ["demo.yaml", "HQ.yaml", "cautious.yaml"]
    county = load_plan(REPO / "params" / "demo.yaml", region="P01C01K01", scenario="cautious")
    assert county.swot.opportunities == ("新区楼盘集中交付，宴席需求上升",)  # from the county file
    assert county.swot.threats == ("区域竞品价格下探", "宴席市场需求回落")  # the scenario's list replaces


def test_load_plan_resolves_paths_relative_to_the_plan_file(plan: Path, monkeypatch):
    monkeypatch.chdir("/")
    p = load_plan(plan)
    assert p.archive == plan.parent / "data" / "t.duckdb"
    assert p.region_overrides == plan.parent / "regions"
    assert p.scenarios == plan.parent / "scenarios"


def test_load_plan_defaults_optional_sections(tmp_path: Path):
    text = "\n".join(line for line in PLAN.splitlines() if not line.startswith(("region_overrides", "scenarios")))
    p = load_plan(write(tmp_path, "plan.yaml", text))
    assert p.run.timeout_seconds == 600
    assert p.currency == "CNY"
    assert p.region_overrides is None


def test_load_plan_merges_base_then_region_then_scenario(plan: Path):
    write(plan.parent, "regions/K1.yaml", """\
        analysis:
          history_years: 4
        swot:
          threats: [竞品降价]
        """)
    write(plan.parent, "scenarios/low.yaml", """\
        analysis:
          history_years: 2
        swot:
          strengths: [渠道稳]
        """)
    base = load_plan(plan)
    region = load_plan(plan, region="K1")
    both = load_plan(plan, region="K1", scenario="low")
    other = load_plan(plan, region="K2", scenario="low")  # K2 has no override file
    assert base.analysis.history_years == 3
    assert region.analysis.history_years == 4
    assert both.analysis.history_years == 2  # the scenario wins
    assert both.swot.threats == ("竞品降价",)  # kept from the region (mappings merge)
    assert both.swot.strengths == ("渠道稳",)  # the scenario's list replaces the plan's
    assert region.swot.strengths == ("品牌强",)
    assert other.analysis.history_years == 2
    assert [f.name for f in both.source_files] == ["plan.yaml", "K1.yaml", "low.yaml"]
    assert (both.region, both.scenario) == ("K1", "low")


def test_load_plan_base_scenario_reads_no_scenario_file(plan: Path):
    write(plan.parent, "scenarios/low.yaml", "analysis:\n  history_years: 2\n")
    assert load_plan(plan, scenario="base").analysis.history_years == 3


# -- errors: file, line, dotted key ------------------------------------------------------
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
    assert errors_of(exc) == [f"{region_file}:3: budgte: unknown key; expected one of analysis, swot, targets, split, budget"]


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


def test_strict_loader_no_fails_where_a_bool_is_required():
    # a later stage section with a flag, built like every params section
    class Flags(params._Section):
        interactive: bool

    assert Flags.model_validate(yaml.load("interactive: true", Loader=StrictLoader)).interactive is True
    data = yaml.load("interactive: NO", Loader=StrictLoader)
    assert data == {"interactive": "NO"}
    with pytest.raises(ValidationError, match="bool"):
        Flags.model_validate(data)


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


def test_load_plan_float_exponent_is_a_number(plan: Path):
    plan.write_text(PLAN + "run:\n  timeout_seconds: 1e3\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r":16: run\.timeout_seconds: got the number 1000\.0; expected an integer > 0"):
        load_plan(plan)


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


def test_load_plan_region_file_may_not_set_plan_keys(plan: Path):
    write(plan.parent, "regions/K1.yaml", "scope:\n  root: K1\n")
    with pytest.raises(ParamsError, match=r"K1\.yaml:1: scope: only the plan file sets this; expected only analysis, swot"):
        load_plan(plan, region="K1")


def test_load_plan_runtime_keys_are_not_file_keys(plan: Path):
    plan.write_text(PLAN + "region: K1\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"plan\.yaml:15: region: is set by load_plan"):
        load_plan(plan)


def test_load_plan_unknown_scenario_lists_the_choices(plan: Path):
    write(plan.parent, "scenarios/low.yaml", "{}\n")
    with pytest.raises(ParamsError, match=r"scenario: no file .*high\.yaml; expected one of base, low"):
        load_plan(plan, scenario="high")


def test_load_plan_missing_override_folder(plan: Path):
    (plan.parent / "regions").rmdir()
    with pytest.raises(ParamsError, match=r"plan\.yaml:13: region_overrides: the folder .* does not exist"):
        load_plan(plan)


def test_load_plan_yaml_syntax_error_names_the_line(plan: Path):
    plan.write_text(PLAN.replace("  history_years: 3", "  history_years: [3"), encoding="utf-8")
    with pytest.raises(ParamsError, match=rf"^{re.escape(str(plan))}:1\d: invalid YAML"):
        load_plan(plan)


def test_load_plan_missing_file(tmp_path: Path):
    with pytest.raises(ParamsError, match="no such file"):
        load_plan(tmp_path / "nope.yaml")


def test_load_plan_empty_file(tmp_path: Path):
    with pytest.raises(ParamsError, match=r"empty\.yaml:1: \(top level\): got nothing"):
        load_plan(write(tmp_path, "empty.yaml", ""))


def test_load_plan_invalid_region_argument(plan: Path):
    with pytest.raises(ParamsError, match=r"region: got the string '\.\./x'"):
        load_plan(plan, region="../x")


# -- region tree checks ------------------------------------------------------------------
def test_load_plan_with_tree_accepts_a_valid_plan(plan: Path, tree: RegionTree):
    assert load_plan(plan, region="K1", tree=tree).region == "K1"


def test_load_plan_unknown_region_in_scope_root(plan: Path, tree: RegionTree):
    plan.write_text(PLAN.replace("root: HQ", "root: XX"), encoding="utf-8")
    load_plan(plan)  # a well-formed id: only the archive knows it is wrong
    with pytest.raises(ParamsError) as exc:
        load_plan(plan, tree=tree)
    assert errors_of(exc) == [
        f"{plan}:6: scope.root: 'XX' is not in the archive's regions table; expected a region id "
        "(letters, digits, '_', '.', '-'; at most 64) from the archive's regions table"
    ]


def test_load_plan_unknown_region_in_override_file_name(plan: Path, tree: RegionTree):
    write(plan.parent, "regions/ZZ.yaml", "analysis:\n  history_years: 2\n")
    load_plan(plan)  # without the tree only the name's form is checked
    with pytest.raises(ParamsError) as exc:
        load_plan(plan, region="K1", tree=tree)
    (line,) = errors_of(exc)
    assert line.startswith(f"{plan.parent / 'regions' / 'ZZ.yaml'}:1: (file name): 'ZZ' is not in the archive's")


def test_load_plan_invalid_override_file_name(plan: Path):
    write(plan.parent, "regions/bad name.yaml", "{}\n")
    write(plan.parent, "regions/K1.yml", "{}\n")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    lines = errors_of(exc)
    assert len(lines) == 2
    assert any(line.endswith("(file name): 'bad name' is not a region id; expected <region_id>.yaml") for line in lines)
    assert any(line.endswith("(file name): 'K1.yml' is not read; expected the extension .yaml") for line in lines)


def test_load_plan_ignores_override_files_outside_the_scope(plan: Path, tree: RegionTree):
    plan.write_text(PLAN.replace("root: HQ", "root: P1").replace("hq, province, county", "province, county"),
                    encoding="utf-8")  # fmt: skip
    write(plan.parent, "regions/P2.yaml", "analysis:\n  history_years: 2\n")
    assert load_plan(plan, region="K1", tree=tree).analysis.history_years == 3


def test_load_plan_region_outside_scope(plan: Path, tree: RegionTree):
    plan.write_text(PLAN.replace("root: HQ", "root: P1").replace("hq, province, county", "province, county"),
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(ParamsError, match=r"plan\.yaml: region: 'P2' is outside the plan's scope \(root 'P1'\)"):
        load_plan(plan, region="P2", tree=tree)
    with pytest.raises(ParamsError, match=r"region: 'QQ' is not in the archive's regions table"):
        load_plan(plan, region="QQ", tree=tree)


def test_load_plan_levels_checked_against_the_tree(plan: Path, tree: RegionTree):
    plan.write_text(PLAN.replace("root: HQ", "root: P1").replace("hq, province, county", "hq, city, county"),
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(ParamsError, match=r":7: scope\.levels: hq is above the root 'P1' \(province\)"):
        load_plan(plan, tree=tree)
    plan.write_text(PLAN.replace("hq, province, county", "province, city, county"), encoding="utf-8")
    with pytest.raises(ParamsError, match=r":7: scope\.levels: no region at level city under 'HQ'"):
        load_plan(plan, tree=tree)
    plan.write_text(PLAN.replace("hq, province, county", "county, county"), encoding="utf-8")
    with pytest.raises(ParamsError, match=r":7: scope\.levels: county listed twice"):
        load_plan(plan)
    plan.write_text(PLAN.replace("hq, province, county", "county, district"), encoding="utf-8")
    with pytest.raises(ParamsError, match=r":7: scope\.levels\[1\]: got the string 'district'; expected one of hq,"):
        load_plan(plan)


# -- snapshots and hashes ----------------------------------------------------------------
def test_write_snapshot_round_trips(plan: Path, tmp_path: Path):
    write(plan.parent, "regions/K1.yaml", "swot:\n  threats: ['NO', '0755', '1e3', '12:30', 'true', '']\n")
    with pytest.raises(ParamsError, match=r"swot\.threats\[5\]: got the string ''; expected a string \(not empty\)"):
        load_plan(plan, region="K1")
    write(plan.parent, "regions/K1.yaml", "swot:\n  threats: ['NO', '0755', '1e3', '12:30', 'true', '- x: y']\n")
    original = load_plan(plan, region="K1")
    snap = write_snapshot(original, tmp_path / "run" / "regions" / "K1" / params.SNAPSHOT_NAME)
    again = load_snapshot(snap)
    assert again == original
    assert again.params_hash() == original.params_hash()
    assert again.swot.threats == ("NO", "0755", "1e3", "12:30", "true", "- x: y")
    text = snap.read_text(encoding="utf-8")
    assert text.startswith("# params.resolved.yaml")
    assert f"#   {plan}\n" in text and "K1.yaml\n" in text
    assert "测试方案" in text  # allow_unicode
    keys = [line.split(":")[0] for line in text.splitlines() if re.match(r"^[a-z_]+:", line)]
    assert keys == sorted(keys)
    assert [p.name for p in snap.parent.iterdir()] == [params.SNAPSHOT_NAME]  # no temp file left


def test_write_snapshot_keeps_the_old_file_when_the_write_fails(plan: Path, tmp_path: Path, monkeypatch):
    snap = write_snapshot(load_plan(plan), tmp_path / params.SNAPSHOT_NAME)
    before = snap.read_text(encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_snapshot(load_plan(plan, scenario="base", region="K1"), snap)
    assert snap.read_text(encoding="utf-8") == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_load_snapshot_is_strict(plan: Path, tmp_path: Path):
    snap = write_snapshot(load_plan(plan), tmp_path / params.SNAPSHOT_NAME)
    snap.write_text(snap.read_text(encoding="utf-8") + "extra: 1\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=rf"{re.escape(str(snap))}:\d+: extra: unknown key"):
        load_snapshot(snap)


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


# -- override snippets -------------------------------------------------------------------
def test_override_yaml_shows_the_snippet():
    assert override_yaml("analysis.history_years", 2) == "analysis:\n  history_years: 2\n"
    snippet = override_yaml("swot.threats", ("新竞品", "NO", "0755"))
    assert yaml.load(snippet, Loader=StrictLoader) == {"swot": {"threats": ["新竞品", "NO", "0755"]}}


def test_override_yaml_snippet_merges_as_shown(plan: Path):
    (plan.parent / "regions" / "K1.yaml").write_text(override_yaml("analysis.history_years", 5), encoding="utf-8")
    assert load_plan(plan, region="K1").analysis.history_years == 5


def test_override_yaml_rejects_unknown_plan_level_and_wrong_type():
    with pytest.raises(ParamsError, match=r"analysis\.history_year: unknown key; expected one of history_years"):
        override_yaml("analysis.history_year", 2)
    with pytest.raises(ParamsError, match="year: not an overridable key; expected a key under analysis, swot"):
        override_yaml("year", 2028)
    with pytest.raises(ParamsError, match=r"analysis\.history_years: got the string '2'; expected an integer"):
        override_yaml("analysis.history_years", "2")


def test_params_all_is_pinned():
    assert params.__all__ == [
        "BASE_SCENARIO", "SNAPSHOT_NAME", "PLAN_KEYS", "RUNTIME_KEYS", "OVERRIDABLE", "StrictLoader",
        "Scope", "RunSettings", "Analysis", "Swot", "Milestone", "Targets", "Split", "Budget", "PlanParams", "load_plan", "load_snapshot",
        "write_snapshot", "override_yaml", "overrides_yaml",
    ]  # fmt: skip
    assert params.OVERRIDABLE == ("analysis", "swot", "targets", "split", "budget")
    assert set(PlanParams.model_fields) == params.PLAN_KEYS | params.RUNTIME_KEYS | set(params.OVERRIDABLE)


def test_load_plan_targets_and_split_sections(tmp_path):
    text = PLAN + (
        "targets:\n  stretch: 0.08\n  milestones:\n    - {stage: 一阶段, date: \"2027-06-30\", coverage: 0.4}\n"
        "split:\n  method: average_proportions\n  floor: 0.1\n"
    )
    plan = write(tmp_path, "plan.yaml", text.replace("region_overrides: regions\n", "").replace("scenarios: scenarios\n", ""))
    p = load_plan(plan)
    assert p.targets.stretch == 0.08 and p.targets.milestones[0].coverage == 0.4
    assert p.split.method == "average_proportions" and p.split.floor == 0.1 and p.split.history_years == 2


def test_load_plan_unknown_split_method_lists_the_valid_ones(tmp_path):
    text = PLAN.replace("region_overrides: regions\n", "").replace("scenarios: scenarios\n", "") + "split:\n  method: gut_feeling\n"
    plan = write(tmp_path, "plan.yaml", text)
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    (line,) = errors_of(exc)
    assert "split.method" in line and "gut_feeling" in line and "proportion_averages" in line


def test_budget_methods_that_do_not_fit_their_category_are_params_errors(tmp_path):
    from planlib.params.model import Budget
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=r"methods.labour: objective_task does not apply to labour \(only for channel\)"):
        Budget(methods={"labour": "objective_task"})
    with pytest.raises(ValidationError, match="promotion: zero_based needs activities of category promotion"):
        Budget(methods={"promotion": "zero_based"})
    assert Budget(methods={"media": "input_output", "labour": "marginal"}).methods["media"] == "input_output"

    from planlib.params.model import Activity

    with pytest.raises(ValidationError, match=r"activities: 品鉴 books to promotion.tv, not an item of promotion"):
        Budget(activities=(Activity(name="品鉴", category="promotion", item="tv", cost=1, expected_return=2),))
    own = Budget(items={"promotion": {"tasting_wine": "品鉴酒"}},
                 activities=(Activity(name="品鉴", category="promotion", item="tasting_wine", cost=1, expected_return=2),))
    assert own.activities[0].item == "tasting_wine"
