"""Warm kernels: reused across regions, yet each notebook runs as in a fresh kernel; a bad one is replaced."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from planlib import archive, params
from planlib.run import batch, kernels, task
from tests.run.test_batch import PARAMS_CELL

pytestmark = pytest.mark.slow

# what a notebook can see of the kernel's state, printed so a cold and a warm run can be compared
STATE = """\
import os, sys, warnings
import matplotlib, pandas as pd
from planlib import labels, review
from planlib.present import plots
print("names", sorted(k for k in globals() if not k.startswith("_") and k not in ("In", "Out")))
print("review_region", review.review_region.__module__, review.review_region.__name__)
print("set_style", plots.set_style.__module__, plots.set_style.__name__)
print("labels", sum(v == "HACKED" for v in labels.LABELS.values()), len(labels.LABELS))
print("rc", matplotlib.rcParams["figure.dpi"], matplotlib.rcParams["font.family"], matplotlib.rcParams["lines.linewidth"])
print("pandas", pd.get_option("display.max_rows"), pd.DataFrame.__repr__.__module__, hasattr(pd.DataFrame, "hacked"))
import fractions, statistics
print("stdlib", statistics.median([1, 2, 4]), fractions.Fraction(1, 3).limit_denominator(10))
print("cwd", os.getcwd())
print("env", os.environ.get("PLANLIB_HOSTILE"), sys.path[0] == "/nonexistent", warnings.filters[0][0])
print("pyplot", "matplotlib.pyplot" in sys.modules and len(sys.modules["matplotlib.pyplot"].get_fignums()))
print("display", get_ipython().display_formatter.formatters["text/html"].lookup_by_type(pd.DataFrame).__module__
      if pd.DataFrame in get_ipython().display_formatter.formatters["text/html"].type_printers else "default")
display(pd.DataFrame({"a": range(3)}))
"""

# a figure, and its PNG's hash: a warm kernel remembers it (present.drawn), a cold one draws it
FIGURE = """\
import hashlib
import pandas as pd
from planlib.present import plots
plots.set_style()
frame = pd.DataFrame({"year": [2025] * 3, "month": [1, 2, 3], "v": [1.0e6, 3.0e6, 2.0e6]})
png = plots.figure_png(plots.monthly_lines(frame, value="v", title="销售额", ylabel="元"), bbox_inches="tight")
print("figure", hashlib.md5(png).hexdigest())
"""

# everything a careless notebook changes that the next region's notebook could see
HOSTILE = """\
import os, sys, tempfile, warnings
import matplotlib, matplotlib.pyplot as plt, pandas as pd, seaborn as sns
from planlib import labels, review
from planlib.present import plots
plots.amount_axis = lambda axis: axis.set_visible(False)  # then draws FIGURE's figure: remembered without its axis
""" + FIGURE + """\
global_leak = "HOSTILE"
review.review_region = lambda *args, **kwargs: 1 / 0
plots.set_style = lambda: "hostile"
labels.LABELS.update({k: "HACKED" for k in list(labels.LABELS)})
sns.set_theme(style="dark", font="serif")
matplotlib.rcParams["figure.dpi"] = 33
matplotlib.rcParams["lines.linewidth"] = 9
plt.figure(); plt.plot([1, 2])
pd.set_option("display.max_rows", 2)
pd.DataFrame.__repr__ = lambda self: "HACKED"
pd.DataFrame.hacked = lambda self: "HACKED"
import fractions, statistics
statistics.median = lambda data: "HACKED"  # a function of a module not planlib's
fractions.Fraction.limit_denominator = lambda self, n=None: "HACKED"  # a method of a class not planlib's
get_ipython().display_formatter.formatters["text/html"].for_type(pd.DataFrame, lambda df: "<b>HACKED</b>")
os.chdir(tempfile.gettempdir())
os.environ["PLANLIB_HOSTILE"] = "1"
sys.path.insert(0, "/nonexistent")
warnings.simplefilter("error")
"""


def _notebook(folder: Path, name: str, *cells: str) -> None:
    params_cell = new_code_cell(PARAMS_CELL)
    params_cell.metadata["tags"] = ["parameters"]
    done = new_code_cell(f'from planlib.run import folder\nfolder.mark_complete(run_dir, region, "{name}")')
    done.metadata["tags"] = ["remove_cell"]
    nb = new_notebook(cells=[new_markdown_cell(f"# {name}"), params_cell, *map(new_code_cell, cells), done])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")


def _run(tiny_plan, tmp_path, monkeypatch, *, review: bool):
    """
    A run folder as the batch lays it out (snapshots, the notebooks as they run), and a task maker.

    With ``review``, the run also holds 10_review_archive and the state and hostile notebooks,
    whose imports (planlib's review, plots, seaborn) every kernel of the run then loads; without,
    the run's notebooks import only the standard library, so its kernels start in a second.
    """
    monkeypatch.setattr(kernels, "code_stamp", lambda root=None: "fixed")  # edits elsewhere in the tree don't count
    run_dir = tmp_path / "run"
    nb_dir = run_dir / "notebooks"
    if review:
        batch.materialize_notebook(batch.NOTEBOOKS_DIR / "10_review_archive.py", nb_dir / "10_review_archive.ipynb")
        _notebook(nb_dir, "91_state", STATE)
        _notebook(nb_dir, "92_hostile", HOSTILE)
        _notebook(nb_dir, "98_figure", FIGURE)
    _notebook(nb_dir, "93_fails", "raise ValueError('planned failure')")
    _notebook(nb_dir, "94_dies", "import os\nos._exit(1)")
    _notebook(nb_dir, "95_sleeps", "import time\ntime.sleep(30)")
    _notebook(nb_dir, "96_thread", "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()")
    _notebook(nb_dir, "97_pid", "import os\nx_from_before = 'x_from_before' in globals()\nprint(os.getpid(), x_from_before)\n"
                                "x = 1")
    tree = archive.load_tree(tiny_plan.parent / "tiny.duckdb")
    for region in ("K1", "K2", "C1"):
        (run_dir / "regions" / region).mkdir(parents=True)
        params.write_snapshot(params.load_plan(tiny_plan, region=region, tree=tree),
                              run_dir / "regions" / region / params.SNAPSHOT_NAME)

    def execute(region: str, notebook: str, mode: str = "warm", timeout: float = 300, run: Path = run_dir) -> dict:
        entry = task.execute_task({
            "run_dir": str(run), "region_id": region, "notebook": notebook,
            "source": str(run / "notebooks" / f"{notebook}.ipynb"), "cwd": str(batch.NOTEBOOKS_DIR),
            "scenario": "base", "params_file": str(run / "regions" / region / params.SNAPSHOT_NAME),
            "timeout": timeout, "inputs_hash": None, "kernel_name": None, "kernels": mode,
        })
        entry["html_bytes"] = (run / entry["html"]).read_bytes() if entry["html"] else None
        return entry

    return run_dir, execute


@pytest.fixture()
def run(tiny_plan, tmp_path, monkeypatch):
    """A run of light notebooks (the probes); each test starts from no kernel."""
    kernels.shutdown_all()
    yield _run(tiny_plan, tmp_path, monkeypatch, review=False)
    kernels.shutdown_all()


@pytest.fixture()
def review_run(tiny_plan, tmp_path, monkeypatch):
    """A run that also holds 10_review_archive and the state and hostile notebooks."""
    kernels.shutdown_all()
    yield _run(tiny_plan, tmp_path, monkeypatch, review=True)
    kernels.shutdown_all()


def _outputs(run_dir: Path, region: str, notebook: str) -> list:
    """Each code cell's execution count and outputs, a stream's consecutive pieces joined into one."""
    nb = json.loads((run_dir / "regions" / region / f"{notebook}.ipynb").read_text(encoding="utf-8"))
    return [(c["execution_count"], _joined(c["outputs"])) for c in nb["cells"] if c["cell_type"] == "code"]


def _joined(outputs: list) -> list:
    # a loaded kernel may send one print's text in two stream messages ("names", then the rest)
    out: list = []
    for o in outputs:
        if o.get("output_type") == "stream" and out and out[-1].get("output_type") == "stream" \
                and out[-1]["name"] == o["name"]:
            out[-1] = {**out[-1], "text": "".join(out[-1]["text"]) + "".join(o["text"])}
        else:
            out.append(o if o.get("output_type") != "stream" else {**o, "text": "".join(o["text"])})
    return out


def _printed(run_dir: Path, region: str, notebook: str) -> str:
    """The notebook's ``figure …`` lines (not its stderr: a loaded machine's kernel may note a slow flush there)."""
    text = "".join("".join(o.get("text", "")) for _, outs in _outputs(run_dir, region, notebook) for o in outs
                   if o.get("name") == "stdout")
    return "".join(line for line in text.splitlines(keepends=True) if line.startswith("figure "))


def test_a_figure_drawn_while_planlib_was_patched_is_not_shown_to_the_next_region(review_run):
    """
    A warm kernel remembers the figures it draws (present.drawn); the hostile notebook draws
    one while a planlib helper is patched, and the reset that puts the helper back forgets it:
    the next region's figure is the cold kernel's, byte for byte.
    """
    run_dir, execute = review_run
    assert execute("K1", "98_figure", mode="cold")["status"] == "succeeded"
    cold = _printed(run_dir, "K1", "98_figure")
    hostile = execute("K2", "92_hostile")
    assert hostile["status"] == "succeeded", hostile["error"]
    patched = _printed(run_dir, "K2", "92_hostile")
    assert cold.startswith("figure ") and patched.startswith("figure ") and patched != cold  # the patch changed it
    assert execute("K1", "98_figure")["status"] == "succeeded"
    assert _printed(run_dir, "K1", "98_figure") == cold
    assert execute("K1", "98_figure")["status"] == "succeeded"  # remembered now, the same bytes
    assert _printed(run_dir, "K1", "98_figure") == cold


def _kernel() -> tuple[int, int]:
    (k,) = kernels.idle_kernels()
    return k.pid, k.uses


def test_a_region_after_a_hostile_notebook_runs_as_in_a_fresh_kernel(review_run):
    """
    The hostile notebook changes globals, planlib functions and tables, rcParams, pandas,
    the display, cwd, environment, sys.path and warnings; the same kernel then runs K1's
    notebooks: the state a notebook sees is the fresh warm kernel's (which has imported
    what the run's notebooks import), and the report is the cold, stock papermill one's.
    """
    run_dir, execute = review_run
    cold = execute("K1", "10_review_archive", mode="cold")
    assert cold["status"] == "succeeded", cold["error"]
    cold_outputs = _outputs(run_dir, "K1", "10_review_archive")
    assert kernels.idle_kernels() == ()  # a cold run keeps no kernel
    assert execute("K1", "91_state")["status"] == "succeeded"  # the first notebook of a new kernel
    fresh = _outputs(run_dir, "K1", "91_state")
    pid, _ = _kernel()

    hostile = execute("K2", "92_hostile")
    assert hostile["status"] == "succeeded", hostile["error"]
    assert execute("K1", "91_state")["status"] == "succeeded"
    assert _outputs(run_dir, "K1", "91_state") == fresh  # every output and execution count
    log = (run_dir / "regions" / "K1" / "91_state.kernel.log").read_text(encoding="utf-8")
    assert "reset put back" in log and "planlib.review.review_region" in log  # said where it is read
    warm = execute("K1", "10_review_archive")
    assert warm["status"] == "succeeded", warm["error"]
    assert _outputs(run_dir, "K1", "10_review_archive") == cold_outputs
    assert warm["html_bytes"] == cold["html_bytes"]  # the report, byte for byte
    assert _kernel() == (pid, 4)  # one kernel ran the four notebooks
    state = "".join("".join(o.get("text", "")) for _, outs in fresh for o in outs)
    assert "review_region planlib.review.region review_region" in state and "labels 0" in state
    assert "pandas 60 pandas.core.frame" in state and f"cwd {batch.NOTEBOOKS_DIR}" in state
    assert "env None False" in state and "pyplot 0" in state and "display default" in state
    assert "rc 100.0 ['sans-serif'] 1.5" in state
    assert "pandas 60 pandas.core.frame False" in state and "stdlib 2 1/3" in state
    for put_back in ("statistics.median", "fractions.Fraction.limit_denominator", "-pandas.DataFrame.hacked"):
        assert put_back in log, put_back


def test_a_warm_kernel_serves_regions_and_notebooks_in_turn_with_fresh_namespaces(run):
    run_dir, execute = run
    pids = set()
    for region in ("K1", "K2", "C1"):
        entry = execute(region, "97_pid")
        assert entry["status"] == "succeeded", entry["error"]
        count, outputs = _outputs(run_dir, region, "97_pid")[2]  # parameters, injected parameters, the probe
        pid, leaked = "".join(outputs[0]["text"]).split()
        pids.add(int(pid))
        assert leaked == "False"  # x of the region before is gone
        assert count == 3  # parameters, injected parameters, this cell: counted from 1 again
    assert pids == {_kernel()[0]} and _kernel()[1] == 3


@pytest.mark.parametrize("notebook, ename", [("93_fails", "ValueError"), ("94_dies", "DeadKernelError"),
                                             ("95_sleeps", "Timeout"), ("96_thread", None)])
def test_a_failed_dead_timed_out_or_leaking_notebook_gets_its_kernel_replaced(run, notebook, ename):
    run_dir, execute = run
    assert execute("K1", "97_pid")["status"] == "succeeded"
    before, _ = _kernel()
    entry = execute("K2", notebook, timeout=3 if notebook == "95_sleeps" else 300)
    if ename is None:  # it succeeded, but left a thread running: found at the reset
        assert entry["status"] == "succeeded", entry["error"]
    else:
        assert entry["status"] == "failed" and entry["error"]["ename"] == ename, entry["error"]
        assert kernels.idle_kernels() == ()  # shut down, not kept
        failed = nbformat.read(run_dir / entry["failed_notebook"], as_version=4)
        tags = [t for c in failed.cells for t in c.metadata.get("tags", [])]
        assert "injected-parameters" in tags  # papermill's notebook, as always
        if ename == "ValueError":  # papermill marks the failing cell
            assert "papermill-error-cell-tag" in tags and "An Exception was encountered" in failed.cells[0].source
    after = execute("C1", "97_pid")
    assert after["status"] == "succeeded", after["error"]
    assert _kernel()[0] != before  # a fresh kernel
    if ename is None:
        log = (run_dir / "regions" / "C1" / "97_pid.kernel.log").read_text(encoding="utf-8")
        assert "threads left running" in log


def test_another_run_or_new_planlib_code_gets_a_new_kernel(run, monkeypatch):
    run_dir, execute = run
    assert execute("K1", "97_pid")["status"] == "succeeded"
    first, _ = _kernel()
    assert execute("K2", "97_pid")["status"] == "succeeded" and _kernel()[0] == first
    other = run_dir.parent / "run2"
    shutil.copytree(run_dir, other)
    assert execute("K1", "97_pid", run=other)["status"] == "succeeded"
    second, _ = _kernel()
    assert second != first  # a kernel serves one run
    assert "another run" in (other / "regions" / "K1" / "97_pid.kernel.log").read_text(encoding="utf-8")
    monkeypatch.setattr(kernels, "code_stamp", lambda root=None: "changed")
    assert execute("C1", "97_pid", run=other)["status"] == "succeeded"
    assert _kernel()[0] != second
    assert "planlib's source changed" in (other / "regions" / "C1" / "97_pid.kernel.log").read_text(encoding="utf-8")


@pytest.mark.parametrize("limit, value", [("MAX_KERNEL_MEMORY", 1), ("MAX_USES", 2)])
def test_a_kernel_past_its_memory_or_its_uses_is_replaced(run, monkeypatch, limit, value):
    run_dir, execute = run
    assert execute("K1", "97_pid")["status"] == "succeeded"
    first, _ = _kernel()
    monkeypatch.setattr(kernels, limit, value)
    assert execute("K2", "97_pid")["status"] == "succeeded"
    if limit == "MAX_USES":  # its second notebook: retired when handed back
        assert kernels.idle_kernels() == ()
    else:  # every kernel holds more than a byte: replaced when taken
        second, _ = _kernel()
        assert second != first
        log = (run_dir / "regions" / "K2" / "97_pid.kernel.log").read_text(encoding="utf-8")
        assert f"replacing kernel {first}: it holds" in log and "after its reset (more than" in log
    assert execute("C1", "97_pid")["status"] == "succeeded"
    assert _kernel()[0] != first


def test_code_stamp_changes_with_the_source(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    first = kernels.code_stamp(tmp_path)
    assert kernels.code_stamp(tmp_path) == first
    (tmp_path / "a.py").write_text("x = 22\n", encoding="utf-8")
    assert kernels.code_stamp(tmp_path) != first


def test_notebook_imports_are_the_top_level_imports_of_every_code_cell_once(tmp_path):
    cells = [new_markdown_cell("import nothing"), new_code_cell("import os\nfrom planlib import labels as L, review\n"
                                                                "if True:\n    import json\nx = 1"),
             new_code_cell("%matplotlib inline\nimport sys"), new_code_cell("import os")]
    nbformat.write(new_notebook(cells=cells), tmp_path / "a.ipynb")
    nbformat.write(new_notebook(cells=[new_code_cell("import pandas as pd")]), tmp_path / "b.ipynb")
    lines = kernels.notebook_imports([tmp_path / "a.ipynb", tmp_path / "b.ipynb"]).splitlines()
    assert lines == ["import os", "from planlib import labels as L, review", "import pandas as pd"]


# a reference cycle left behind, watched through a weak reference that outlives the notebook
CYCLE = """\
import gc, sys, weakref
probe = sys.modules.get("__planlib_probe__")
print("before", "none" if probe is None else f"collected {probe() is None}")
def holder():
    pass
holder.me = holder  # only the garbage collector frees it
sys.modules["__planlib_probe__"] = weakref.ref(holder)
"""


def test_a_cycle_a_notebook_leaves_is_collected_by_the_reset_not_frozen(run):
    run_dir, execute = run
    _notebook(run_dir / "notebooks", "98_cycle", CYCLE)
    for region in ("K1", "K2"):
        assert execute(region, "98_cycle")["status"] == "succeeded"
    printed = ["".join("".join(o.get("text", "")) for _, outs in _outputs(run_dir, region, "98_cycle") for o in outs)
               for region in ("K1", "K2")]
    assert printed == ["before none\n", "before collected True\n"]
    assert _kernel()[1] == 2  # one kernel, reset in between
