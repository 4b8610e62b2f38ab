"""
The house (DESIGN.md §2), checked with ``ast`` so it stays that way.

Floors, lowest first; a module imports only from its own floor or below, never up:

    ground   errors, labels, schemas, calendar, hierarchy, frames, rounding
    params   the plan's assumptions
    archive  the DuckDB file: store, importer, quality, queries (every SQL statement)
    review   the environment analysis
    targets  baseline, kinds, splits, allocation
    budget   the expense budget
    tracking, promotions, workflow
    run      run folder, steps, batch, portal, exports
    present  tables, plots, workbook, widgets
    demo, cli
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "planlib"
GROUND = {"errors", "labels", "schemas", "calendar", "hierarchy", "frames", "rounding"}
FLOORS = ["ground", "params", "archive", "review", "targets", "budget", ("tracking", "promotions", "workflow"), "run",
          "present", "demo", "cli"]
MAX_LINES = 800
SQL = re.compile(r"\.(sql|execute|executemany|query)\(")


def _floor(module: str) -> int:
    part = module.split(".")[1] if "." in module else ""
    if part in GROUND or module == "planlib":
        return 0
    for i, f in enumerate(FLOORS):
        if part == f or (isinstance(f, tuple) and part in f):
            return i
    raise AssertionError(f"{module}: not on any floor of the house; add it to tests/test_house.py")


def _modules() -> dict[str, Path]:
    out = {}
    for f in sorted(ROOT.rglob("*.py")):
        parts = f.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(p for p in parts if p != "__init__")
        out[name] = f
    return out


MODULES = _modules()


def _package(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rsplit(".", 1)[0]


def _imports(name: str, path: Path):
    """(line, imported module, imported name or None, inside a function) for each planlib import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    funcs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    inner = {id(x) for f in funcs for x in ast.walk(f)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                base = _package(name, path).split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([mod] if mod else []))
            if mod == "planlib" or mod.startswith("planlib."):
                for a in node.names:
                    full = f"{mod}.{a.name}"
                    target = full if full in MODULES else mod
                    yield node.lineno, target, (None if full in MODULES else a.name), id(node) in inner
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("planlib"):
                    yield node.lineno, a.name, None, id(node) in inner


EDGES = {name: list(_imports(name, path)) for name, path in MODULES.items()}


def test_every_module_is_on_a_floor():
    for name in MODULES:
        _floor(name)


def test_imports_never_go_up_a_floor():
    up = [f"{MODULES[a].relative_to(ROOT.parent)}:{line} imports {b} (floor {FLOORS[_floor(b)]} above {FLOORS[_floor(a)]})"
          for a, edges in EDGES.items() for line, b, _, _ in edges if _floor(b) > _floor(a)]
    assert up == []


def test_import_graph_has_no_cycle():
    graph = {a: {b for _, b, _, _ in edges if b != a and b in MODULES} for a, edges in EDGES.items()}
    # a package's __init__ re-exports its modules; the modules importing the package API are no cycle
    # only when they import the package from outside it, so edges into one's own package __init__ count
    seen, stack, cycles = {}, [], []

    def visit(v):
        seen[v] = 1
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if seen.get(w) == 1:
                cycles.append(" -> ".join(stack[stack.index(w):] + [w]))
            elif w not in seen:
                visit(w)
        stack.pop()
        seen[v] = 2

    for v in sorted(graph):
        if v not in seen:
            visit(v)
    assert cycles == []


def test_no_underscore_name_crosses_a_module():
    crossing = [f"{MODULES[a].relative_to(ROOT.parent)}:{line} imports {b}.{n}"
                for a, edges in EDGES.items() for line, b, n, _ in edges
                if n and n.startswith("_") and not n.startswith("__") and b != a]
    for name, path in MODULES.items():  # module._name through an imported module
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("planlib"):
                for a in node.names:
                    if f"{node.module}.{a.name}" in MODULES:
                        aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                crossing.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    assert crossing == []


def test_no_planlib_import_inside_a_function_except_the_cli():
    inner = [f"{MODULES[a].relative_to(ROOT.parent)}:{line} imports {b}" for a, edges in EDGES.items()
             for line, b, _, inside in edges if inside and a != "planlib.cli"]
    assert inner == []


def test_sql_lives_in_the_archive_only():
    """Every SQL statement is in planlib/archive (store, importer, quality, queries); stages get frames."""
    outside = []
    for name, path in MODULES.items():
        if name.startswith(("planlib.archive", "planlib.demo")):
            continue  # the demo builder writes its archive
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if SQL.search(line) and "pd." not in line:
                outside.append(f"{path.relative_to(ROOT.parent)}:{i}: {line.strip()[:80]}")
    assert outside == []


@pytest.mark.parametrize("name", sorted(MODULES), ids=lambda n: n)
def test_module_is_one_room(name):
    """A module past ~600 lines is a sign to split; past 800 it is two rooms."""
    n = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert n <= MAX_LINES, f"{MODULES[name].relative_to(ROOT.parent)} has {n} lines: split it by concept"
