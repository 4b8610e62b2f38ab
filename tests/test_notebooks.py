"""Notebook hygiene, checked without a kernel."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from planlib.batch import INJECTED_PARAMETERS, NOTEBOOKS_DIR

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = sorted(p for p in NOTEBOOKS_DIR.glob("*.ipynb"))


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_product_notebooks_exist():
    assert [p.stem for p in PRODUCT][:1] == ["10_review_archive"]


@pytest.mark.parametrize("path", PRODUCT, ids=lambda p: p.stem)
def test_notebook_committed_without_outputs(path):
    dirty = [i for i, c in enumerate(_cells(path)) if c.get("outputs") or c.get("execution_count")]
    assert dirty == []


@pytest.mark.parametrize("path", PRODUCT, ids=lambda p: p.stem)
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


@pytest.mark.parametrize("path", PRODUCT, ids=lambda p: p.stem)
def test_notebook_has_no_def_or_class_and_ends_with_marker(path):
    code = [c for c in _cells(path) if c["cell_type"] == "code"]
    for cell in code:
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
    last = "".join(code[-1]["source"])
    assert "report.mark_complete(run_dir, region" in last and path.stem in last
    assert "remove_cell" in code[-1]["metadata"].get("tags", [])


def test_notebooks_match_their_builder(tmp_path):
    """The committed notebooks are exactly what tools/build_notebooks.py writes."""
    before = {p.name: p.read_bytes() for p in PRODUCT}
    script = (ROOT / "tools" / "build_notebooks.py").read_text(encoding="utf-8")
    script = script.replace('HERE = Path(__file__).resolve().parent.parent / "notebooks"', f"HERE = Path({str(tmp_path)!r})")
    (tmp_path / "b.py").write_text(script, encoding="utf-8")
    subprocess.run([sys.executable, str(tmp_path / "b.py")], check=True)
    for name, data in before.items():
        built = json.loads((tmp_path / name).read_text(encoding="utf-8"))
        committed = json.loads(data)
        strip = lambda nb: [(c["cell_type"], "".join(c["source"]), c.get("metadata", {})) for c in nb["cells"]]
        assert strip(built) == strip(committed), f"{name} differs from tools/build_notebooks.py: rebuild it"
