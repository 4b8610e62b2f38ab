"""Shared plans and fixtures of the params tests: a minimal plan whose lines are numbered."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from planlib.errors import ParamsError
from planlib.hierarchy import RegionTree

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
    """Write ``text`` (dedented) to ``root / rel``, creating folders."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def errors_of(excinfo: pytest.ExceptionInfo[ParamsError]) -> list[str]:
    """The message lines of a ParamsError."""
    return str(excinfo.value).splitlines()


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
