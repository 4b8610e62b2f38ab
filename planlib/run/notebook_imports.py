"""
The import statements of a run's notebooks: what a warm kernel imports before its baseline.

Public function: notebook_imports.
"""

from __future__ import annotations

import ast
import functools
import json
import os
from collections.abc import Iterable

__all__ = ["notebook_imports"]


def notebook_imports(notebooks: Iterable[str | os.PathLike[str]]) -> str:
    """
    The top-level import statements of the notebooks' code cells, one a line, each once.

    What a warm kernel imports before its baseline (:func:`prepare_kernel`): the batch
    passes every notebook of the run, so one kernel serves them all. A cell that is not
    plain Python (a ``%magic``) is skipped.
    """
    lines: dict[str, None] = {}
    for path in notebooks:
        st = os.stat(path)
        lines.update(dict.fromkeys(_imports_of(str(path), st.st_mtime_ns, st.st_size)))
    return "\n".join(lines)


@functools.lru_cache(maxsize=64)
def _imports_of(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    """One notebook's import lines (cached by path, modification time and size)."""
    with open(path, encoding="utf-8") as f:
        cells = json.load(f).get("cells", [])
    out = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        try:
            tree = ast.parse(source if isinstance(source, str) else "".join(source))
        except SyntaxError:
            continue
        out += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return tuple(out)
