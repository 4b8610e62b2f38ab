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
validate_plan
    The whole plan checked before a run: the plan and every region's merged params,
    every problem in one ParamsError.
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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from planlib.errors import ParamsError, PlanlibError
from planlib.hierarchy import RegionTree
from planlib.params.limits import MAX_FILE_BYTES, params_root
from planlib.params.model import (
    OVERRIDABLE,
    PLAN_KEYS,
    REGION_ID_EXPECTED,
    RUNTIME_KEYS,
    PlanParams,
)
from planlib.params.problems import Problem, error_text, raise_problems
from planlib.params.strict_yaml import (
    describe_value,
    dotted_key,
    read_yaml_file,
    shorten,
)
from planlib.schemas import is_valid_region_id

__all__ = ["BASE_SCENARIO", "load_plan", "region_sections", "validate_plan"]

#: The scenario name that means "no scenario file".
BASE_SCENARIO = "base"
#: A snapshot holds the plan merged with a region and a scenario file: up to three files' worth.
MAX_SNAPSHOT_BYTES = 3 * MAX_FILE_BYTES

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
    """Read one params file strictly (:func:`read_yaml_file`); its key problems join ``problems``."""
    doc = read_yaml_file(path, shown, max_bytes=MAX_SNAPSHOT_BYTES if kind == "snapshot" else MAX_FILE_BYTES)
    problems.extend(Problem(_ORDER[kind], shown, line, dotted_key(key_path), text) for line, key_path, text in doc.problems)
    data = {} if doc.data is None and kind in ("region", "scenario") else doc.data
    if not isinstance(data, dict):
        raise ParamsError(
            f"{shown}:1: (top level): got {describe_value(data)}; expected a mapping of "
            + ("plan keys (plan_id, title, year, …)" if kind in ("plan", "snapshot") else "sections to override")
        )
    return SourceFile(Path(os.path.abspath(path)), shown, kind, data, doc.lines)


def freeze_data(value: Any) -> Any:
    """Plain YAML data for the frozen model: lists become tuples, mappings are copied."""
    if isinstance(value, dict):
        return {k: freeze_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(freeze_data(v) for v in value)
    return value


def _under(lines: dict[tuple, int]) -> dict[tuple, list[tuple]]:
    """Key path -> itself and every key path below it, for each path of a file."""
    out: dict[tuple, list[tuple]] = {}
    for path in lines:
        for k in range(len(path) + 1):
            out.setdefault(path[:k], []).append(path)
    return out


def _merge(target: dict, overlay: dict, path: tuple, origin: dict, src: SourceFile, under: list[dict]) -> None:
    """
    Deep-merge ``overlay`` into ``target``; record where every value now comes from.

    ``under`` holds :func:`_under` of each file merged so far, ``src``'s last: a
    replaced value forgets the origins of what it replaces and takes ``src``'s.
    """
    for key, value in overlay.items():
        sub = path + (key,)
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            origin[sub] = (src, src.lines.get(sub))
            _merge(target[key], value, sub, origin, src, under)
            continue
        if key in target:
            for earlier in under[:-1]:
                for old in earlier.get(sub, ()):
                    origin.pop(old, None)
        target[key] = copy.deepcopy(value)
        for new in under[-1].get(sub, ()):
            origin[new] = (src, src.lines[new])


def validate_sources(
    sources: list[SourceFile],
    runtime: dict[str, Any],
    problems: list[Problem],
    *,
    base_dir: Path,
    tree: RegionTree | None,
    root: Path | None,
) -> PlanParams:
    """
    Merge the sources in order, validate once, and raise every problem found in one ParamsError.

    Parameters
    ----------
    sources : list of SourceFile
        Plan, region, scenario (or one snapshot), in merge order.
    runtime : dict
        The loader's keys (``source_files``, ``region``, ``scenario``).
    problems : list of Problem
        Problems found so far (reported with the rest).
    base_dir : Path
        Relative paths start here (the plan file's folder).
    tree : RegionTree or None
        Region ids are checked against it when given.
    root : Path or None
        Files named in the params must lie inside (:func:`~planlib.params.limits.params_root`);
        None: not checked.

    Returns
    -------
    PlanParams
    """
    first = sources[0]
    merged: dict[str, Any] = {}
    origin: dict[tuple, tuple[SourceFile, int | None]] = {(): (first, 1)}
    under: list[dict[tuple, list[tuple]]] = []
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
        under.append(_under(src.lines))
        _merge(merged, data, (), origin, src, under)
    merged.update(runtime)
    try:
        params = PlanParams.model_validate(
            freeze_data(merged),
            context={"base_dir": base_dir, "tree": tree, "plan_year": merged.get("year"), "params_root": root,
                     "plan_id": merged.get("plan_id")},
        )
    except ValidationError as exc:
        read = {(p.file, p.key) for p in problems}  # a key already reported while reading: one message
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
            if (src.shown, dotted_key(loc)) not in read:
                problems.append(
                    Problem(_ORDER[src.kind], src.shown, line or 1, dotted_key(loc), error_text(err, src.kind))
                )
        raise_problems(problems)
        raise  # unreachable: raise_problems always raises on a non-empty list
    raise_problems(problems)
    return params


def _folder(plan: SourceFile, key: str, root: Path, problems: list[Problem]) -> tuple[Path, Path] | None:
    """The (absolute, shown) folder a plan key names, if it is a string naming a folder inside ``root``."""
    raw = plan.data.get(key)
    if not isinstance(raw, str) or not raw.strip():
        return None  # absent, or a type error the model reports
    absolute = Path(os.path.normpath(plan.path.parent / raw))
    shown = Path(plan.shown).parent / raw
    text = None
    if not absolute.is_dir():
        text = f"the folder {shown} does not exist; expected an existing folder (relative to the plan file)"
    elif not Path(os.path.realpath(absolute)).is_relative_to(root):
        text = f"the folder {shown} is outside the plan's params folder {root}; expected a folder inside it"
    if text is not None:
        problems.append(Problem(0, plan.shown, plan.lines.get((key,)), key, text))
        return None
    return absolute, shown


def _override_files(
    folder: Path, folder_shown: Path, kind: str, root: Path, tree: RegionTree | None, problems: list[Problem]
) -> dict[str, Path]:
    """
    Name -> file of every ``<name>.yaml`` in a region or scenario folder.

    Every other entry is a problem naming it (hidden files, starting with '.', are
    skipped): a wrong extension or case (``HQ.YAML``, ``HQ.yml``), another file, a
    folder, a name that is no id, a link out of the params folder, and for regions
    with the tree given, a name not in the archive's regions table.
    """
    what = "<region_id>.yaml" if kind == "region" else "<scenario>.yaml"
    found: dict[str, Path] = {}
    for file in sorted(folder.iterdir()):
        if file.name.startswith("."):
            continue
        stem, _, suffix = file.name.rpartition(".")
        text = None
        if suffix.lower() in ("yaml", "yml") and suffix != "yaml":
            text = f"{shorten(file.name)!r} is not read; expected the extension .yaml, lower case ({stem}.yaml)"
        elif suffix != "yaml" or not stem:
            text = f"{shorten(file.name)!r} is not a params file; expected only {what} files in this folder"
        elif not file.is_file():
            text = f"{shorten(file.name)!r} is not a regular file; expected a {what} file"
        elif not Path(os.path.realpath(file)).is_relative_to(root):
            text = f"{file.name!r} links outside the plan's params folder {root}; expected a file inside it"
        elif not is_valid_region_id(stem):
            text = f"{shorten(stem)!r} is not {'a region id' if kind == 'region' else 'a scenario name'}; expected {what}"
        elif kind == "region" and tree is not None and stem not in tree:
            text = f"{stem!r} is not in the archive's regions table; expected {what} for an existing region"
        elif kind == "scenario" and stem == BASE_SCENARIO:
            text = f"'{BASE_SCENARIO}' is the plan itself; expected the file renamed"
        else:
            found[stem] = file
            continue
        problems.append(Problem(_ORDER[kind], str(folder_shown / file.name), 1, "(file name)", text))
    return found


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
    scalars replace. Region and scenario files may hold only
    :data:`~planlib.params.model.OVERRIDABLE` sections. The region and scenario
    folders hold only ``<name>.yaml`` files (hidden files aside): any other entry
    (``HQ.YAML``, ``HQ.yml``, ``notes.txt``) is a problem naming it, as is every file
    or folder outside the plan's params folder
    (:func:`~planlib.params.limits.params_root`). Each file is checked and read by
    :func:`~planlib.params.strict_yaml.read_yaml_file` (characters, sizes, tags).
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
    root = params_root(plan.path.parent)

    regions_dir = _folder(plan, "region_overrides", root, problems)
    if regions_dir is not None:
        folder, folder_shown = regions_dir
        files = _override_files(folder, folder_shown, "region", root, tree, problems)
        if region in files:
            sources.append(read_source_file(files[region], str(folder_shown / f"{region}.yaml"), "region", problems))

    scenarios_dir = _folder(plan, "scenarios", root, problems)
    if scenarios_dir is not None:
        folder, folder_shown = scenarios_dir
        files = _override_files(folder, folder_shown, "scenario", root, tree, problems)
        if scenario in files:
            sources.append(read_source_file(files[scenario], str(folder_shown / f"{scenario}.yaml"), "scenario", problems))
        elif scenario != BASE_SCENARIO:
            choices = ", ".join([BASE_SCENARIO, *sorted(files)])
            text = f"no file {folder_shown / f'{scenario}.yaml'}; expected one of {choices}"
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
    return validate_sources(sources, runtime, problems, base_dir=plan.path.parent, tree=tree, root=root)



def validate_plan(
    path: str | os.PathLike[str],
    tree: RegionTree | None = None,
    *,
    scenario: str = BASE_SCENARIO,
    regions: Iterable[str] | None = None,
) -> PlanParams:
    """
    Check a whole plan before anything runs: the plan and every region's merged params.

    Parameters
    ----------
    path : path
        The plan YAML.
    tree : RegionTree, optional
        The archive's region tree (as for :func:`load_plan`).
    scenario : str, default "base"
        The scenario merged last for every region.
    regions : iterable of str, optional
        Regions to resolve besides those with an override file (the regions a run
        covers); every override file for a region in the plan's scope is always
        resolved.

    Returns
    -------
    PlanParams
        The plan as a whole (``region`` None), as :func:`load_plan` gives it.

    Raises
    ------
    ParamsError
        One error listing every problem in the plan, the scenario and every region
        file, each once, a line each: ``<file>:<line>: <dotted.key>: <what is wrong>;
        expected <what>``.

    Notes
    -----
    A region without an override file resolves to the plan with the scenario, so
    resolving the plan and each region with a file covers every region's params.
    """
    plan_path = Path(path)
    messages: list[str] = []
    base = None
    try:
        base = load_plan(plan_path, scenario=scenario, tree=tree)
    except ParamsError as exc:
        messages += str(exc).splitlines()
    for region in dict.fromkeys([*(regions or ()), *_regions_with_files(plan_path, tree)]):
        try:
            load_plan(plan_path, region=region, scenario=scenario, tree=tree)
        except ParamsError as exc:
            messages += str(exc).splitlines()
    if messages or base is None:
        raise ParamsError("\n".join(dict.fromkeys(messages)))
    return base


def _regions_with_files(plan_path: Path, tree: RegionTree | None) -> list[str]:
    """The regions with an override file (in the plan's scope, with the tree), read leniently: [] if unreadable."""
    try:
        plan = read_source_file(plan_path, str(plan_path), "plan", [])
    except ParamsError:
        return []
    root = params_root(plan.path.parent)
    found = _folder(plan, "region_overrides", root, [])
    if found is None:
        return []
    names = sorted(_override_files(*found, "region", root, tree, []))
    scope = plan.data.get("scope")
    scope_root = scope.get("root") if isinstance(scope, dict) else None
    if tree is not None and isinstance(scope_root, str) and scope_root in tree:
        inside = set(tree.subtree(scope_root))
        names = [n for n in names if n in inside]
    return names


def region_sections(plan, tree: RegionTree, section: str) -> tuple[dict[str, Any], list[str]]:
    """
    The region override files that change one section of the plan: region id -> its resolved section.

    Parameters
    ----------
    plan : PlanParams
        The plan resolved without a region (``load_plan(path)``, with its scenario).
    tree : RegionTree
        Files whose stem is not a region of the tree are skipped.
    section : str
        A plan key region files may override (e.g. ``budget``, ``promotions``).

    Returns
    -------
    (dict, list of str)
        Region id -> the section as that region resolves it (the plan's merged with its file
        and the scenario), only where it differs from the plan's; and one line per file that
        could not be read (that region then takes the plan's section; its own notebooks report
        the file's error).
    """
    folder = plan.region_overrides
    out: dict[str, Any] = {}
    problems: list[str] = []
    if folder is None or not Path(folder).is_dir():
        return out, problems
    for file in sorted(Path(folder).glob("*.yaml")):
        if file.stem not in tree:
            continue
        try:
            p = load_plan(plan.source_files[0], region=file.stem, scenario=plan.scenario, tree=tree)
        except PlanlibError as exc:
            problems.append(f"{file.name}: {str(exc).splitlines()[0]}")
            continue
        if getattr(p, section) != getattr(plan, section):
            out[file.stem] = getattr(p, section)
    return out, problems
