"""The warm path's papermill engine: the executed notebook written once at the end, and as it stopped on a failure."""

from __future__ import annotations

import json
import time

import nbformat
import papermill
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from papermill import engines as pm_engines
from papermill import execute as pm_execute

from planlib.run import task


def _source(tmp_path):
    params = new_code_cell('region = "HQ"')
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[new_markdown_cell("# t"), params, new_code_cell("print(region)"),
                             new_code_cell("1 + 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture()
def fake_kernel(monkeypatch):
    """The engine's cells run by a stand-in for nbclient (no kernel), which may stop at a cell; writes counted."""
    engine = pm_engines.papermill_engines.get_engine(task.papermill_engine())
    state = {"stop_at": None, "sleep": 0.0, "writes": []}

    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        for index, cell in enumerate(nb_man.nb.cells):
            nb_man.cell_start(cell, index)
            time.sleep(state["sleep"])
            if index == state["stop_at"]:
                raise RuntimeError("Kernel died")
            if cell.cell_type == "code":
                cell.execution_count = index
                cell.outputs = [new_output("stream", name="stdout", text=f"cell {index}\n")]
            nb_man.cell_complete(cell, index)

    monkeypatch.setattr(engine, "execute_managed_notebook", classmethod(execute_managed_notebook))
    for module in (pm_engines, pm_execute):  # the engine's saves, and papermill's own writes
        original = module.write_ipynb

        def counted(nb, path, original=original, where=module.__name__):
            state["writes"].append((where, [c.get("execution_count") for c in nb.cells if c.cell_type == "code"]))
            return original(nb, path)

        monkeypatch.setattr(module, "write_ipynb", counted)
    return state


def _execute(tmp_path, **kwargs):
    return papermill.execute_notebook(str(_source(tmp_path)), str(tmp_path / "out.ipynb"),
                                      engine_name=task.papermill_engine(), parameters={"region": "K1"},
                                      kernel_name="python3", progress_bar=False, **kwargs)


def test_a_notebook_is_written_once_when_it_ends(tmp_path, fake_kernel):
    nb = _execute(tmp_path)
    assert fake_kernel["writes"] == [("papermill.execute", [1, 2, 3, 4])]  # papermill's write at the end, alone
    on_disk = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert on_disk == nb and on_disk.cells[3].outputs[0].text == "cell 3\n"
    assert [c.metadata.papermill["status"] for c in on_disk.cells] == ["completed"] * 5
    assert on_disk.metadata.papermill["parameters"] == {"region": "K1"} and on_disk.cells[2].metadata.tags == [
        "injected-parameters"]


def test_a_notebook_stopped_by_an_exception_is_written_as_it_stopped(tmp_path, fake_kernel):
    fake_kernel["stop_at"] = 3
    with pytest.raises(RuntimeError, match="Kernel died"):
        _execute(tmp_path)
    assert fake_kernel["writes"] == [("papermill.engines", [1, 2, None, None])]
    cells = json.loads((tmp_path / "out.ipynb").read_text(encoding="utf-8"))["cells"]
    assert [c["metadata"]["papermill"]["status"] for c in cells] == ["completed"] * 3 + ["running", "completed"]  # papermill marks the rest completed
    assert cells[2]["outputs"][0]["text"] == ["cell 2\n"]  # the task's failure report reads the executed cells
    assert task._executed_any(tmp_path / "out.ipynb") and task._failed_cell(tmp_path / "out.ipynb") == 2


def test_a_long_notebook_is_written_on_papermills_autosave_clock(tmp_path, fake_kernel):
    fake_kernel["sleep"] = 0.06
    _execute(tmp_path, autosave_cell_every=0.05)
    engine = [counts for where, counts in fake_kernel["writes"] if where == "papermill.engines"]
    assert len(engine) >= 4  # the cells' starts and ends, each past the clock
    assert fake_kernel["writes"][-1] == ("papermill.execute", [1, 2, 3, 4])
