"""Notebook hygiene, checked without a kernel: the scripts are the source, the .ipynb their pairs."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest

from planlib.run.batch import INJECTED_PARAMETERS, NOTEBOOKS_DIR, read_notebook

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.py"))
PAIRS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def _cells(path):
    return read_notebook(path)["cells"]


def _comparable(nb):
    return [(c["cell_type"], c["source"].strip(), sorted(c.get("metadata", {}).get("tags", []))) for c in nb["cells"]]


def test_product_notebooks_exist_as_script_and_notebook_pairs():
    assert [p.stem for p in SCRIPTS] == ["10_review_archive", "20_split_targets", "30_build_budget", "35_promotions",
                                         "40_track_results", "50_consolidate"]
    assert [p.stem for p in PAIRS] == [p.stem for p in SCRIPTS]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_pair_is_in_sync_with_its_script(script):
    """The committed .ipynb holds exactly the script's cells: `jupytext --sync notebooks/*.py` mends it."""
    pair = script.with_suffix(".ipynb")
    assert _comparable(jupytext.read(str(pair))) == _comparable(jupytext.read(str(script))), (
        f"{pair.name} is out of sync with {script.name}: run `jupytext --sync {script}`"
    )


@pytest.mark.parametrize("path", PAIRS, ids=lambda p: p.stem)
def test_notebook_committed_without_outputs(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    dirty = [i for i, c in enumerate(cells) if c.get("outputs") or c.get("execution_count")]
    assert dirty == []


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_has_one_parameters_cell_of_literals(path):
    cells = [c for c in _cells(path) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1
    tree = ast.parse("".join(cells[0]["source"]))
    names = []
    for node in tree.body:
        assert isinstance(node, ast.Assign), "only assignments in the parameters cell"
        assert isinstance(node.value, ast.Constant), "only literals in the parameters cell"
        names.append(node.targets[0].id)
    assert names == list(INJECTED_PARAMETERS)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_has_no_def_or_class_and_ends_with_marker(path):
    code = [c for c in _cells(path) if c["cell_type"] == "code"]
    for cell in code:
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
    last = "".join(code[-1]["source"])
    assert "folder.mark_complete(run_dir, region" in last and path.stem in last
    assert "remove_cell" in code[-1]["metadata"].get("tags", [])


def test_notebook_scripts_pass_the_linter():
    """Notebook code is linted like library code (pyflakes' checks: undefined and unused names)."""
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "F", "--output-format", "concise",
                          *map(str, SCRIPTS)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_an_edit_in_the_notebook_round_trips_into_the_script(tmp_path):
    """An analyst's edit in JupyterLab (the .ipynb) reaches the script with `jupytext --sync`."""
    script = tmp_path / "20_split_targets.py"
    script.write_text((NOTEBOOKS_DIR / "20_split_targets.py").read_text(encoding="utf-8"), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "jupytext", "--quiet", "--sync", str(script)], check=True, cwd=ROOT)
    nb = jupytext.read(str(script.with_suffix(".ipynb")))
    nb.cells.append(jupytext.reads("# %%\nprint('tuned by hand')\n", fmt="py:percent").cells[0])
    jupytext.write(nb, str(script.with_suffix(".ipynb")))
    subprocess.run([sys.executable, "-m", "jupytext", "--quiet", "--sync", str(script.with_suffix(".ipynb"))],
                   check=True, cwd=ROOT)
    assert "print('tuned by hand')" in script.read_text(encoding="utf-8")
