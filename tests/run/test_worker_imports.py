"""What a run's worker process pays to start: no grammar compiled on import."""

from __future__ import annotations

import subprocess
import sys


def test_importing_a_workers_notebook_tools_compiles_no_iri_grammar():
    # jsonschema 4.25+ imports rfc3987-syntax, which builds a Lark grammar on import: ~3 s of CPU in
    # every worker, every `planlib` command and every stock papermill run (pyproject pins 4.24)
    code = "import sys, nbformat, papermill, nbconvert; print(sorted(m for m in ('rfc3987_syntax', 'lark') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"


def test_a_report_that_reads_the_archive_does_not_load_the_importer():
    # planlib.archive serves the importer's names on first use: pandera and the file parsers (~1.5 s of
    # CPU) stay out of every warm kernel and worker that only reads the archive
    code = ("import sys; from planlib import archive; before = sorted(m for m in ('pandera', 'planlib.archive.importer') "
            "if m in sys.modules); from planlib.archive import import_files, FileImport; "
            "print(before, import_files.__module__, archive.ImportReport.__name__, 'import_files' in dir(archive))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["[]", "planlib.archive.importer", "ImportReport", "True"]


def test_the_budget_package_loads_scipy_optimize_at_its_first_fit():
    # planlib.budget's response curves import scipy.optimize inside the fit (~0.8 s of CPU a kernel start)
    code = ("import sys; import planlib.budget; print('scipy.optimize' in sys.modules); "
            "import pandas as pd; from planlib.budget.response import fit_response; "
            "fit_response(pd.DataFrame({'kind': ['a'] * 4, 'cost': [1.0, 2, 3, 4], 'lift_revenue': [1.0, 1.8, 2.4, 2.8]})); "
            "print('scipy.optimize' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["False", "True"]
