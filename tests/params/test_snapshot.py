"""Tests of planlib.params.snapshot: snapshots round-trip atomically; override snippets merge as shown."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from planlib import params
from planlib.errors import ParamsError
from planlib.params import (
    StrictLoader,
    load_plan,
    load_snapshot,
    override_yaml,
    write_snapshot,
)
from tests.params.conftest import PLAN, write


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


def test_load_snapshot_keeps_a_proposals_file_of_the_plan(plan: Path, tmp_path_factory):
    # the snapshot lives in the run folder; its proposals file is checked against the plan's params folder
    (plan.parent / "proposals.csv").write_text("region_id,volume\nK1,100\n", encoding="utf-8")
    plan.write_text(PLAN + "split:\n  proposals: proposals.csv\n", encoding="utf-8")
    original = load_plan(plan, region="K1")
    snap = write_snapshot(original, tmp_path_factory.mktemp("run") / params.SNAPSHOT_NAME)
    assert load_snapshot(snap) == original
    (plan.parent / "proposals.csv").unlink()
    with pytest.raises(ParamsError, match=r"split\.proposals: '.*proposals\.csv' does not exist"):
        load_snapshot(snap)


def test_write_snapshot_header_stays_readable_with_odd_characters_in_the_paths(tmp_path: Path):
    # a folder name with a newline and a tab: the header's comment lines must not break
    folder = tmp_path / "计划\n\t2027"
    (folder / "regions").mkdir(parents=True)
    (folder / "scenarios").mkdir()
    plan = write(folder, "plan.yaml", PLAN)
    original = load_plan(plan)
    snap = write_snapshot(original, tmp_path / "run" / params.SNAPSHOT_NAME)
    assert "计划??2027" in snap.read_text(encoding="utf-8")
    assert load_snapshot(snap) == original
