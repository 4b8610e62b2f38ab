"""
Snapshots and override snippets: params written back as YAML.

A run writes each region's resolved params to ``regions/<region_id>/params.resolved.yaml``
(:func:`write_snapshot`); its notebooks read them back as strictly as a plan file
(:func:`load_snapshot`). Widgets show the YAML a region or scenario file needs to make
a tuned value permanent (:func:`override_yaml`, :func:`overrides_yaml`); they never
write params files.

Public names
------------
SNAPSHOT_NAME
    File name of the resolved snapshot in a run's region folder.
write_snapshot, load_snapshot
    Write the resolved params atomically; read them back.
override_yaml, overrides_yaml
    The YAML snippet for one or several tuned values, checked against the model.

Example
-------
>>> override_yaml("analysis.history_years", 2)
'analysis:\\n  history_years: 2\\n'
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from planlib.errors import ParamsError
from planlib.hierarchy import RegionTree
from planlib.params.limits import params_root
from planlib.params.model import OVERRIDABLE, PlanParams
from planlib.params.problems import Problem, error_text, field_at, is_model, yaml_keys
from planlib.params.resolve import freeze_data, read_source_file, validate_sources
from planlib.params.strict_yaml import REFUSED_CHARACTER, CStrictDumper, StrictDumper, dotted_key

__all__ = ["SNAPSHOT_NAME", "write_snapshot", "load_snapshot", "override_yaml", "overrides_yaml"]

#: File name of the resolved snapshot in ``runs/<plan>/<run>/regions/<region_id>/``.
SNAPSHOT_NAME = "params.resolved.yaml"


def _comment_safe(text: str) -> str:
    """``text`` on one comment line that the loader accepts: control and refused characters become '?'."""
    return "".join("?" if ch < " " or REFUSED_CHARACTER.match(ch) else ch for ch in text)


def write_snapshot(params: PlanParams, path: str | os.PathLike[str]) -> Path:
    """
    Write the resolved params as YAML, atomically.

    Parameters
    ----------
    params : PlanParams
        What the region runs with.
    path : path
        Usually ``runs/<plan_id>/<run_id>/regions/<region_id>/params.resolved.yaml``.

    Returns
    -------
    Path
        The file written. A comment header names the source files and the hash;
        keys are sorted; the file is written to a temporary file in the same
        folder and moved into place, so a reader never sees half a snapshot.
    """
    target = Path(path)
    header = [
        f"# {SNAPSHOT_NAME}: exactly what this region ran with (planlib.params.write_snapshot)",
        f"# plan {_comment_safe(params.plan_id)}, region {_comment_safe(str(params.region))}, "
        f"scenario {_comment_safe(params.scenario)}, params_hash {params.params_hash()}",
        "# merged from, in order:",
        *[f"#   {_comment_safe(str(p))}" for p in params.source_files],
    ]
    body = yaml.dump(
        params.resolved_dict(),
        Dumper=CStrictDumper,  # StrictDumper's text, by libyaml (a national run writes 3,000 snapshots)
        sort_keys=True,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    text = "\n".join(header) + "\n" + body
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def load_snapshot(path: str | os.PathLike[str], *, tree: RegionTree | None = None) -> PlanParams:
    """
    Read a resolved snapshot back, as strictly as a plan file.

    Parameters
    ----------
    path : path
        A ``params.resolved.yaml`` written by :func:`write_snapshot`.
    tree : RegionTree, optional
        Check the region ids against the archive as :func:`load_plan` does.

    Returns
    -------
    PlanParams
        Equal to the params that were written.

    Raises
    ------
    ParamsError
        If the file is not a valid snapshot (every problem listed).
    """
    snap_path = Path(path)
    problems: list[Problem] = []
    src = read_source_file(snap_path, str(snap_path), "snapshot", problems)
    # files the params name must still lie in the plan's params folder, as when resolved
    plan_file = (src.data.get("source_files") or [None])[0]
    root = params_root(Path(plan_file).parent) if isinstance(plan_file, str) and plan_file else None
    return validate_sources([src], {}, problems, base_dir=src.path.parent, tree=tree, root=root)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def override_yaml(section_path: str, value: Any) -> str:
    """
    The YAML a region or scenario file needs to make a tuned value permanent.

    Widgets show this text; they never write files.

    Parameters
    ----------
    section_path : str
        Dotted key of an overridable value, e.g. ``"analysis.history_years"``.
    value : object
        The tuned value; checked against the key's type.

    Returns
    -------
    str
        A YAML snippet that :class:`StrictLoader` reads back to ``value``.

    Raises
    ------
    ParamsError
        If the key is unknown or plan-level, or the value has the wrong type.

    Examples
    --------
    >>> print(override_yaml("swot.threats", ["新竞品进入县城"]), end="")
    swot:
      threats:
      - 新竞品进入县城
    """
    parts = tuple(section_path.split("."))
    if parts[0] not in OVERRIDABLE:
        raise ParamsError(
            f"{section_path}: not an overridable key; expected a key under {', '.join(OVERRIDABLE)}"
        )
    ann, meta, owner = field_at(parts)
    if ann is None:
        keys = ", ".join(yaml_keys(owner)) if owner is not None else ", ".join(OVERRIDABLE)
        raise ParamsError(f"{section_path}: unknown key; expected one of {keys}")
    info = next((m for m in meta if isinstance(m, FieldInfo)), None)
    plain = _plain(value)
    check = ann if info is None else Annotated[ann, info]
    try:
        TypeAdapter(check, config=None if is_model(ann) else ConfigDict(strict=True)).validate_python(
            freeze_data(plain), context={}
        )
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            err = {**err, "loc": parts + tuple(err["loc"])}
            lines.append(f"{dotted_key(tuple(err['loc']))}: {error_text(err, 'region')}")
        raise ParamsError("\n".join(lines)) from None
    nested: Any = plain
    for part in reversed(parts):
        nested = {part: nested}
    return yaml.dump(nested, Dumper=StrictDumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


def overrides_yaml(values: Mapping[str, Any]) -> str:
    """
    The YAML for several tuned values at once (each checked as :func:`override_yaml`).

    Parameters
    ----------
    values : mapping
        Dotted key -> tuned value, e.g. ``{"targets.stretch": 0.08, "split.floor": 0.1}``.

    Returns
    -------
    str
        One YAML document with the keys nested by section, in the order given.

    Raises
    ------
    ParamsError
        As :func:`override_yaml`, for the first bad key.

    Examples
    --------
    >>> print(overrides_yaml({"targets.stretch": 0.08, "split.floor": 0.1}), end="")
    targets:
      stretch: 0.08
    split:
      floor: 0.1
    """
    nested: dict[str, Any] = {}
    for key, value in values.items():
        override_yaml(key, value)  # validates key and value
        parts = key.split(".")
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _plain(value)
    return yaml.dump(nested, Dumper=StrictDumper, sort_keys=False, allow_unicode=True, default_flow_style=False) if nested else ""
