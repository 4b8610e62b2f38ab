"""Tests of planlib.params.resolve: merge order, override files, scenarios, the region tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from planlib.errors import ParamsError
from planlib.hierarchy import RegionTree
from planlib.params import load_plan, validate_plan
from tests.params.conftest import PLAN, REPO, errors_of, write


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


def test_load_plan_invalid_region_argument(plan: Path):
    with pytest.raises(ParamsError, match=r"region: got the string '\.\./x'"):
        load_plan(plan, region="../x")


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
    assert p.notebooks == ("10_review_archive", "20_split_targets", "30_build_budget", "35_promotions", "50_consolidate")
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
    assert any(line.endswith("(file name): 'K1.yml' is not read; expected the extension .yaml, lower case (K1.yaml)")
               for line in lines)


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


# -- override files: nothing silently ignored (issue #12) -------------------------------
def test_load_plan_wrong_case_or_suffix_of_an_override_file_is_an_error(plan: Path):
    write(plan.parent, "regions/HQ.YAML", "analysis:\n  history_years: 2\n")
    write(plan.parent, "regions/notes.txt", "a note\n")
    (plan.parent / "regions" / "old").mkdir()
    write(plan.parent, "regions/.gitkeep", "")  # hidden: skipped
    write(plan.parent, "scenarios/Low.Yml", "{}\n")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan, region="HQ")
    regions, scenarios = plan.parent / "regions", plan.parent / "scenarios"
    assert errors_of(exc) == [
        f"{regions / 'HQ.YAML'}:1: (file name): 'HQ.YAML' is not read; expected the extension .yaml, lower case (HQ.yaml)",
        f"{regions / 'notes.txt'}:1: (file name): 'notes.txt' is not a params file; "
        "expected only <region_id>.yaml files in this folder",
        f"{regions / 'old'}:1: (file name): 'old' is not a params file; expected only <region_id>.yaml files in this folder",
        f"{scenarios / 'Low.Yml'}:1: (file name): 'Low.Yml' is not read; expected the extension .yaml, lower case (Low.yaml)",
    ]


def test_load_plan_override_folder_and_files_stay_in_the_params_folder(plan: Path, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    write(elsewhere, "K1.yaml", "analysis:\n  history_years: 2\n")
    (plan.parent / "regions" / "K2.yaml").symlink_to(elsewhere / "K1.yaml")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan, region="K2")
    (line,) = errors_of(exc)
    assert line.startswith(f"{plan.parent / 'regions' / 'K2.yaml'}:1: (file name): 'K2.yaml' links outside")
    (plan.parent / "regions" / "K2.yaml").unlink()
    plan.write_text(PLAN.replace("region_overrides: regions", f"region_overrides: {elsewhere}"), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan, region="K1")
    (line,) = errors_of(exc)
    assert line.startswith(f"{plan}:13: region_overrides: the folder {elsewhere} is outside the plan's params folder")


def test_load_plan_region_file_through_dev_zero_is_refused(plan: Path):
    (plan.parent / "regions" / "K1.yaml").symlink_to("/dev/zero")
    with pytest.raises(ParamsError, match=r"K1\.yaml:1: \(file name\): 'K1\.yaml' is not a regular file"):
        load_plan(plan, region="K1")


# -- validate_plan: the whole plan before a run (issue #12) -----------------------------
def test_validate_plan_reports_every_region_file_and_the_plan_at_once(plan: Path, tree: RegionTree):
    plan.write_text(PLAN.replace("history_years: 3", "history_years: 0"), encoding="utf-8")
    k1 = write(plan.parent, "regions/K1.yaml", "analysis:\n  capture_rat: 0.2\n")
    k2 = write(plan.parent, "regions/K2.yaml", "swot:\n  threats: [1]\n")
    with pytest.raises(ParamsError) as exc:
        validate_plan(plan, tree)
    assert errors_of(exc) == [
        f"{plan}:10: analysis.history_years: got the integer 0; expected an integer >= 1 and <= 30",
        f"{k1}:2: analysis.capture_rat: unknown key; expected one of history_years, capture_rate, abc_thresholds",
        f"{k2}:2: swot.threats[0]: got the integer 1; expected a string (not empty)",
    ]


def test_validate_plan_returns_the_plan_and_checks_the_regions_asked_for(plan: Path, tree: RegionTree):
    write(plan.parent, "regions/K1.yaml", "analysis:\n  history_years: 2\n")
    p = validate_plan(plan, tree, scenario="base", regions=["K2"])
    assert (p.plan_id, p.region, p.analysis.history_years) == ("t-2027", None, 3)
    with pytest.raises(ParamsError, match=r"region: 'QQ' is not in the archive's regions table"):
        validate_plan(plan, tree, regions=["QQ"])


def test_validate_plan_skips_region_files_outside_the_scope(plan: Path, tree: RegionTree):
    plan.write_text(PLAN.replace("root: HQ", "root: P1").replace("hq, province, county", "province, county"),
                    encoding="utf-8")  # fmt: skip
    write(plan.parent, "regions/P2.yaml", "analysis:\n  history_yearz: 2\n")
    assert validate_plan(plan, tree).scope.root == "P1"


def test_validate_plan_demo_is_valid():
    assert validate_plan(REPO / "params" / "demo.yaml", scenario="cautious").plan_id == "demo-2027"
