"""
Resolving a region's params: plan file -> region override -> scenario, merged and validated.

The one path for assumptions (DESIGN.md §5)::

    params/<plan>.yaml                 the plan (every key the run needs)
      + params/regions/<region_id>.yaml  deep-merged for that region (optional)
      + params/scenarios/<name>.yaml     deep-merged last ("base" means none)
      -> strict YAML -> typed, frozen PlanParams -> params.resolved.yaml in the run

Mappings merge key by key; a list or a scalar in a later file replaces the earlier
value whole. Region and scenario files may only hold the *overridable* sections
(every section except the plan-level keys in :data:`~planlib.params.model.PLAN_KEYS`).

Public names
------------
load_plan
    One region's (or the whole plan's) params, validated; every problem in one ParamsError.
BASE_SCENARIO
    The scenario name that means "no scenario file".
SourceFile, read_source_file
    One params file read strictly, with the line of every key.
validate_sources
    Merge read files in order and validate them into a PlanParams.
freeze_data
    Plain YAML data with lists as tuples, as the frozen model takes it.

Example
-------
>>> from planlib.params import load_plan
>>> load_plan("params/demo.yaml", region="HQ").analysis.history_years  # doctest: +SKIP
4
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from planlib.errors import ParamsError
from planlib.hierarchy import RegionTree
from planlib.params.model import (
    OVERRIDABLE,
    PLAN_KEYS,
    REGION_ID_EXPECTED,
    RUNTIME_KEYS,
    PlanParams,
)
from planlib.params.problems import Problem, error_text, raise_problems
from planlib.params.strict_yaml import (
    StrictLoader,
    describe_value,
    dotted_key,
    index_nodes,
    shorten,
)
from planlib.schemas import is_valid_region_id

__all__ = ["BASE_SCENARIO", "load_plan"]

#: The scenario name that means "no scenario file".
BASE_SCENARIO = "base"

_ORDER = {"plan": 0, "snapshot": 0, "region": 1, "scenario": 2}


@dataclass
class SourceFile:
    """One params file as read: its data and the line of every key path."""

    path: Path  # absolute
    shown: str  # as the user named it
    kind: str  # plan / region / scenario / snapshot
    data: Any
    lines: dict[tuple, int]


def read_source_file(path: Path, shown: str, kind: str, problems: list[Problem]) -> SourceFile:
    """Read one YAML file strictly; syntax errors raise, key problems are collected."""
    order = _ORDER[kind]
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ParamsError(f"{shown}: no such file; expected a params YAML file") from None
    except OSError as exc:
        raise ParamsError(f"{shown}: cannot be read ({exc.strerror}); expected a readable file") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ParamsError(f"{shown}:{line}: not UTF-8 text; expected a UTF-8 file") from None
    loader = StrictLoader(text)
    loader.problems = []
    lines: dict[tuple, int] = {}
    try:
        node = loader.get_single_node()
        data = None
        if node is not None:
            lines[()] = node.start_mark.line + 1
            index_nodes(node, (), lines, loader.node_paths)
            data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = exc.problem or exc.context or "invalid YAML"
        raise ParamsError(f"{shown}:{line}: invalid YAML: {what}; expected well-formed YAML") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"{shown}: invalid YAML: {exc}; expected well-formed YAML") from None
    except RecursionError:
        raise ParamsError(f"{shown}: nested too deeply; expected a few levels of mappings") from None
    finally:
        loader.dispose()
    for line, key_path, text_ in loader.problems:
        problems.append(Problem(order, shown, line, dotted_key(key_path), text_))
    if data is None and kind in ("region", "scenario"):
        data = {}
    if not isinstance(data, dict):
        raise ParamsError(
            f"{shown}:1: (top level): got {describe_value(data)}; expected a mapping of "
            + ("plan keys (plan_id, title, year, …)" if kind in ("plan", "snapshot") else "sections to override")
        )
    return SourceFile(Path(os.path.abspath(path)), shown, kind, data, lines)


def freeze_data(value: Any) -> Any:
    """Plain YAML data for the frozen model: lists become tuples, mappings are copied."""
    if isinstance(value, dict):
        return {k: freeze_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(freeze_data(v) for v in value)
    return value


def _merge(target: dict, overlay: dict, path: tuple, origin: dict, src: SourceFile) -> None:
    """Deep-merge ``overlay`` into ``target``; record where every value now comes from."""
    for key, value in overlay.items():
        sub = path + (key,)
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            origin[sub] = (src, src.lines.get(sub))
            _merge(target[key], value, sub, origin, src)
            continue
        target[key] = copy.deepcopy(value)
        for old in [p for p in origin if p[: len(sub)] == sub]:
            del origin[old]
        for p, line in src.lines.items():
            if p[: len(sub)] == sub:
                origin[p] = (src, line)


def validate_sources(
    sources: list[SourceFile],
    runtime: dict[str, Any],
    problems: list[Problem],
    *,
    base_dir: Path,
    tree: RegionTree | None,
) -> PlanParams:
    """Merge the sources, validate once, and raise every problem found in one ParamsError."""
    first = sources[0]
    merged: dict[str, Any] = {}
    origin: dict[tuple, tuple[SourceFile, int | None]] = {(): (first, 1)}
    for src in sources:
        data = dict(src.data)
        for key in list(data):
            line = src.lines.get((key,))
            if key in RUNTIME_KEYS and src.kind != "snapshot":
                problems.append(
                    Problem(_ORDER[src.kind], src.shown, line, key,
                             "is set by load_plan (the region and scenario asked for), not in a file; "
                             "expected the key removed")
                )  # fmt: skip
                del data[key]
            elif key in PLAN_KEYS and src.kind in ("region", "scenario"):
                problems.append(
                    Problem(_ORDER[src.kind], src.shown, line, key,
                             f"only the plan file sets this; expected only {', '.join(OVERRIDABLE)} "
                             f"in a {src.kind} file")
                )  # fmt: skip
                del data[key]
        _merge(merged, data, (), origin, src)
    merged.update(runtime)
    try:
        params = PlanParams.model_validate(freeze_data(merged), context={"base_dir": base_dir, "tree": tree})
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            src, line = first, 1
            for i in range(len(loc), -1, -1):
                if loc[:i] in origin:
                    src, line = origin[loc[:i]]
                    break
            if loc and loc[0] in runtime:
                # an argument of load_plan, not a line of a file
                problems.append(Problem(0, first.shown, None, dotted_key(loc), error_text(err, "plan")))
                continue
            problems.append(
                Problem(_ORDER[src.kind], src.shown, line or 1, dotted_key(loc), error_text(err, src.kind))
            )
        raise_problems(problems)
        raise  # unreachable: raise_problems always raises on a non-empty list
    raise_problems(problems)
    return params


def _folder(plan: SourceFile, key: str, problems: list[Problem]) -> tuple[Path, Path] | None:
    """The (absolute, shown) folder a plan key names, if it is a string naming a folder."""
    raw = plan.data.get(key)
    if not isinstance(raw, str) or not raw.strip():
        return None  # absent, or a type error the model reports
    absolute = Path(os.path.normpath(plan.path.parent / raw))
    shown = Path(plan.shown).parent / raw
    if not absolute.is_dir():
        problems.append(
            Problem(0, plan.shown, plan.lines.get((key,)), key,
                     f"the folder {shown} does not exist; expected an existing folder (relative to the plan file)")
        )  # fmt: skip
        return None
    return absolute, shown


def _check_override_names(
    folder: Path, folder_shown: Path, tree: RegionTree | None, problems: list[Problem]
) -> None:
    """Every ``<region_id>.yaml`` in the folder must name a region (in the tree, when given)."""
    for file in sorted(folder.iterdir()):
        shown = str(folder_shown / file.name)
        text = None
        if file.suffix == ".yml":
            text = f"{file.name!r} is not read; expected the extension .yaml"
        elif file.suffix != ".yaml" or not file.is_file():
            continue
        elif not is_valid_region_id(file.stem):
            text = f"{shorten(file.stem)!r} is not a region id; expected <region_id>.yaml"
        elif tree is not None and file.stem not in tree:
            text = (
                f"{file.stem!r} is not in the archive's regions table; "
                "expected <region_id>.yaml for an existing region"
            )
        if text is not None:
            problems.append(Problem(1, shown, 1, "(file name)", text))


def load_plan(
    path: str | os.PathLike[str],
    *,
    region: str | None = None,
    scenario: str = BASE_SCENARIO,
    tree: RegionTree | None = None,
) -> PlanParams:
    """
    Read a plan file with its region override and scenario, merged and validated.

    Parameters
    ----------
    path : path
        The plan YAML, e.g. ``params/demo.yaml``.
    region : str, optional
        Resolve for this region: ``<region_overrides>/<region>.yaml`` is merged if it
        exists. None gives the plan as a whole.
    scenario : str, default "base"
        ``<scenarios>/<scenario>.yaml`` is merged last; ``"base"`` means none.
    tree : RegionTree, optional
        The archive's region tree. When given, ``scope.root``, ``scope.levels``, the
        region, every region id in the params and every override file name must be
        in it (override files for regions outside the scope are ignored).

    Returns
    -------
    PlanParams
        Frozen; ``source_files`` lists the files merged, in order.

    Raises
    ------
    ParamsError
        Listing every problem found, a line each:
        ``<file>:<line>: <dotted.key>: <what is wrong>; expected <what>``.

    Notes
    -----
    Merge order: plan -> region -> scenario. Mappings merge key by key; lists and
    scalars replace. Region and scenario files may hold only :data:`OVERRIDABLE`
    sections.
    """
    plan_path = Path(path)
    shown = str(plan_path)
    if region is not None and not is_valid_region_id(region):
        raise ParamsError(f"{shown}: region: got {describe_value(region)}; expected {REGION_ID_EXPECTED}")
    if not isinstance(scenario, str) or not is_valid_region_id(scenario):
        raise ParamsError(f"{shown}: scenario: got {describe_value(scenario)}; expected 'base' or a scenario file name")
    problems: list[Problem] = []
    plan = read_source_file(plan_path, shown, "plan", problems)
    sources = [plan]

    regions_dir = _folder(plan, "region_overrides", problems)
    if regions_dir is not None:
        folder, folder_shown = regions_dir
        _check_override_names(folder, folder_shown, tree, problems)
        file = folder / f"{region}.yaml"
        if region is not None and file.is_file():
            sources.append(read_source_file(file, str(folder_shown / file.name), "region", problems))

    scenarios_dir = _folder(plan, "scenarios", problems)
    if scenarios_dir is not None:
        folder, folder_shown = scenarios_dir
        names = sorted(f.stem for f in folder.glob("*.yaml") if f.is_file())
        if BASE_SCENARIO in names:
            text = f"'{BASE_SCENARIO}' is the plan itself; expected the file renamed"
            problems.append(Problem(2, str(folder_shown / "base.yaml"), 1, "(file name)", text))
        if scenario != BASE_SCENARIO:
            file = folder / f"{scenario}.yaml"
            if file.is_file():
                sources.append(read_source_file(file, str(folder_shown / file.name), "scenario", problems))
            else:
                choices = ", ".join([BASE_SCENARIO, *[n for n in names if n != BASE_SCENARIO]])
                text = f"no file {folder_shown / file.name}; expected one of {choices}"
                problems.append(Problem(0, shown, None, "scenario", text))
    elif scenario != BASE_SCENARIO and "scenarios" not in plan.data:
        text = (
            f"{scenario!r} asked for, but the plan names no scenarios folder; "
            "expected 'base' or a 'scenarios:' key"
        )
        problems.append(Problem(0, shown, None, "scenario", text))

    runtime = {
        "source_files": tuple(s.path for s in sources),
        "region": region,
        "scenario": scenario,
    }
    return validate_sources(sources, runtime, problems, base_dir=plan.path.parent, tree=tree)

