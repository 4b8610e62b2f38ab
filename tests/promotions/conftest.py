"""Helpers of the promotions tests: rule tables written to a temporary file, hand-made unit lists."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from planlib.errors import ParamsError
from planlib.promotions import load_scheme

PARAMS = Path(__file__).resolve().parents[2] / "params" / "promotions"


@pytest.fixture()
def write_scheme(tmp_path):
    """write_scheme(text) -> path of a YAML rule table holding the dedented text."""

    def write(text: str, name: str = "scheme.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


def source_scheme(name: str):
    """A rule table of params/promotions, checked against the demo plan's year."""
    return load_scheme(PARAMS / f"{name}.yaml", plan_year=2027)


def messages(exc: pytest.ExceptionInfo[ParamsError]) -> list[str]:
    """The lines of a ParamsError, without the file's folder."""
    return [line.split("/")[-1] for line in str(exc.value).splitlines()]
