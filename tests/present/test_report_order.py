"""The product notebooks tell their story in order (#15): first cells, header and summary, sections, assumptions last."""

import re

import jupytext
import pytest

from planlib.run.batch import NOTEBOOKS_DIR

SCRIPTS = [NOTEBOOKS_DIR / f"{n}.py" for n in ("10_review_archive", "20_split_targets", "30_build_budget", "40_track_results")]
ENGLISH_PROSE = re.compile(r"\b[A-Za-z]{3,}(?:[ ,'’-]+[A-Za-z]{2,}){3,}")  # four English words in a row


def _cells(path):
    return [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in jupytext.read(str(path)).cells]


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_first_cells_say_region_params_and_how_to_change_them(path):
    cells = _cells(path)
    params = next(i for i, c in enumerate(cells) if "parameters" in c[2])
    before = " ".join(c[1] for c in cells[:params] if c[0] == "markdown")
    assert "`region`" in before and "`params_file`" in before and "papermill" in before and "JupyterLab" in before
    code = [c[1] for c in cells if c[0] == "code"]
    assert any("navigation.region_choices(wb.tree, region, params_file)" in c for c in code)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_page_opens_with_header_and_summary_and_ends_with_assumptions(path):
    cells = _cells(path)
    first_section = next(i for i, c in enumerate(cells) if c[0] == "markdown" and re.search(r"^## 1\.", c[1], re.M))
    opening = " ".join(c[1] for c in cells[:first_section] if c[0] == "code")
    assert "navigation.page_header(run_dir, region" in opening and "summary.show_summary(" in opening
    headings = [c[1] for c in cells if c[0] == "markdown" and "remove_cell" not in c[2] and c[1].startswith("## ")]
    assert headings[-1].startswith("## 使用的假设")


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_report_prose_is_chinese(path):
    shown = [c[1] for c in _cells(path) if c[0] == "markdown" and "remove_cell" not in c[2]]
    assert [m.group(0) for text in shown for m in ENGLISH_PROSE.finditer(text)] == []
