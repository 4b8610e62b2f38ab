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
