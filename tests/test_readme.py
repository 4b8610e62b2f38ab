"""The README tells the truth about the tree: its map of the library and the Makefile's scripts."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _map_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### The map of the library")
    block = text[start:]
    return block[block.index("```") + 3: block.index("```", block.index("```") + 3)]


def test_readme_map_names_every_module_and_package():
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", _map_block()))
    missing = []
    for f in sorted((ROOT / "planlib").rglob("*.py")):
        rel = f.relative_to(ROOT / "planlib")
        for part in rel.with_suffix("").parts:
            if part != "__init__" and part not in words:
                missing.append(str(rel))
    assert missing == [], "README's map of the library misses these modules"


def test_readme_map_names_no_module_that_is_gone():
    block = _map_block().split("\nnotebooks/")[0]  # the library's part of the map
    named = re.findall(r"\b([a-z_]+)\.py\b", block) + re.findall(r"\b([a-z_]+)/", block)
    tree = {p.stem for p in (ROOT / "planlib").rglob("*.py")} | {p.name for p in (ROOT / "planlib").rglob("*") if p.is_dir()}
    tree |= {"planlib", "notebooks", "tests", "benchmarks", "tools"}
    assert sorted(set(named) - tree) == []


def test_make_bench_runs_a_script_that_exists():
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = make[make.index("\nbench:"):]
    scripts = re.findall(r"(benchmarks/\S+\.py)", target.split("\n\n")[0])
    assert scripts and all((ROOT / s).exists() for s in scripts)
