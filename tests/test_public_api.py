"""The public surface is pinned: a change here is a deliberate API change."""

import subprocess
import sys

import planlib


def test_planlib_all_is_pinned():
    assert planlib.__all__ == [
        "__version__",
        "PlanlibError",
        "ParamsError",
        "DataError",
        "HierarchyError",
        "SplitError",
        "BudgetError",
        "RunError",
        "PlanWarning",
    ]


def test_error_tree():
    for name in ("ParamsError", "DataError", "HierarchyError", "SplitError", "BudgetError", "RunError"):
        assert issubclass(getattr(planlib, name), planlib.PlanlibError)


def test_import_planlib_has_no_side_effects():
    """Importing planlib loads no heavy module and prints nothing."""
    code = "import sys, planlib; print(sorted(m for m in ('pandas','duckdb','matplotlib','papermill') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]" and out.stderr == ""
