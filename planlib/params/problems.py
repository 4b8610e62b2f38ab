"""
Problems and their messages: pydantic errors turned into ``<file>:<line>: <key>: …`` lines.

Every problem found in the merged files is collected as a :class:`Problem` and all of
them are raised at once, in one :class:`~planlib.errors.ParamsError`, a line each::

    <file>:<line>: <dotted.key>: <what is wrong>; expected <what>

The "expected …" text comes from the model: a field's declared text, else its type
and bounds.

Public names
------------
Problem
    One problem: the source's merge order, file, line, dotted key and text.
raise_problems
    Raise one ParamsError listing the problems, in file and line order.
error_text
    "<what is wrong>; expected <what>" for one pydantic error.
field_at, is_model, yaml_keys
    Walk the model along a key path; whether an annotation is a section; the keys a
    section accepts in a file.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from planlib.errors import ParamsError
from planlib.params.model import OVERRIDABLE, RUNTIME_KEYS, PlanParams
from planlib.params.strict_yaml import describe_value

__all__: list[str] = []


@dataclass(frozen=True)
class Problem:
    """One problem in a params file; ``str()`` gives its message line."""

    order: int  # source order: plan 0, region 1, scenario 2
    file: str
    line: int | None
    key: str
    text: str  # "<what is wrong>; expected <what>"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.text}"


def raise_problems(problems: list[Problem]) -> None:
    """Raise one ParamsError listing ``problems`` (plan, region, scenario; by line), each once; none: return."""
    if problems:
        ordered = sorted(problems, key=lambda p: (p.order, p.file, p.line or 0))
        unique = list(dict.fromkeys(str(p) for p in ordered))
        raise ParamsError("\n".join(unique))


def _strip_annotated(ann: Any) -> tuple[Any, list[Any]]:
    meta: list[Any] = []
    while get_origin(ann) is Annotated:
        args = get_args(ann)
        ann, meta = args[0], [*args[1:], *meta]
    return ann, meta


def is_model(ann: Any) -> bool:
    """Whether a (stripped) annotation is a params section (a pydantic model)."""
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def _optional_inner(ann: Any) -> Any | None:
    """``X | None`` -> X; anything else -> None."""
    if get_origin(ann) in (Union, types.UnionType):
        args = [a for a in get_args(ann) if a is not type(None)]
        if len(args) == 1 and len(get_args(ann)) == 2:
            return args[0]
    return None


def field_at(loc: tuple) -> tuple[Any, list[Any], type[BaseModel] | None]:
    """Follow ``loc`` through the model: (annotation, metadata, owning model); None if unknown."""
    ann: Any = PlanParams
    meta: list[Any] = []
    owner: type[BaseModel] | None = None
    key_ann: Any = None
    for part in loc:
        ann, more = _strip_annotated(ann)
        inner = _optional_inner(ann)
        if inner is not None:
            ann, more2 = _strip_annotated(inner)
            more = [*more, *more2]
        if isinstance(part, str) and is_model(ann):
            if part not in ann.model_fields:
                return None, [], ann
            owner, info = ann, ann.model_fields[part]
            ann, meta = info.annotation, [*info.metadata, info]
        elif isinstance(part, int) and get_origin(ann) is tuple:
            ann, meta = get_args(ann)[0], []
        elif part == "[key]" and key_ann is not None:
            ann, meta = key_ann, []
        elif get_origin(ann) is dict:
            key_ann, ann = get_args(ann)
            meta = []
        else:
            return None, [], owner
    return ann, meta, owner


def _bound(value: Any) -> str:
    """A bound as people write it: 1,000,000,000,000 rather than 1000000000000.0."""
    if isinstance(value, (int, float)) and abs(value) >= 10_000 and float(value).is_integer():
        return f"{int(value):,}"
    return str(value)


def _constraints(meta: list[Any]) -> str:
    bits = []
    for m in [x for m in meta for x in (m.metadata if isinstance(m, FieldInfo) else [m])]:
        if isinstance(m, annotated_types.Ge):
            bits.append(f">= {_bound(m.ge)}")
        elif isinstance(m, annotated_types.Gt):
            bits.append(f"> {_bound(m.gt)}")
        elif isinstance(m, annotated_types.Le):
            bits.append(f"<= {_bound(m.le)}")
        elif isinstance(m, annotated_types.Lt):
            bits.append(f"< {_bound(m.lt)}")
    bits = list(dict.fromkeys(bits))  # a bound may arrive both bare and inside its FieldInfo
    return (" " + " and ".join(bits)) if bits else ""


def _own_expected(meta: list[Any]) -> str | None:
    """The ``expected`` text a field or type declares, if any."""
    for m in meta:
        extra = m.json_schema_extra if isinstance(m, FieldInfo) else None
        if isinstance(extra, dict) and "expected" in extra:
            return str(extra["expected"])
    return None


def _expected(ann: Any, meta: list[Any], plural: bool = False) -> str:
    ann, more = _strip_annotated(ann)
    meta = [*meta, *more]
    own = _own_expected(meta)
    if own is not None:
        return f"each {own}" if plural else own
    inner = _optional_inner(ann)
    if inner is not None:
        return f"{_expected(inner, meta)} or nothing"
    if ann is bool:
        return "true or false"
    if ann is int:
        return ("integers" if plural else "an integer") + _constraints(meta)
    if ann is float:
        return ("numbers" if plural else "a number") + _constraints(meta)
    if ann is str:
        flat = [x for m in meta for x in (m.metadata if isinstance(m, FieldInfo) else [m])]
        nonempty = any(isinstance(x, annotated_types.MinLen) and x.min_length > 0 for x in flat)
        base = "strings" if plural else "a string"
        return base + (" (not empty)" if nonempty else "")
    if ann is Path:
        return "paths" if plural else "a path"
    if get_origin(ann) is Literal:
        return ("values from " if plural else "one of ") + ", ".join(map(str, get_args(ann)))
    if get_origin(ann) is tuple:
        items = _expected(get_args(ann)[0], [], plural=True)
        return f"a list, {items}" if items.startswith("each ") else f"a list of {items}"
    if is_model(ann):
        keys = ", ".join(yaml_keys(ann))
        return f"mappings with the keys {keys}" if plural else f"a mapping with the keys {keys}"
    return "a valid value"


def yaml_keys(model: type[BaseModel]) -> list[str]:
    """The keys a section accepts in a file (PlanParams without the loader's runtime keys)."""
    return [k for k in model.model_fields if not (model is PlanParams and k in RUNTIME_KEYS)]


_GOT_TYPES = {
    "int_type", "float_type", "bool_type", "string_type", "tuple_type", "list_type", "dict_type",
    "model_type", "path_type", "literal_error", "greater_than", "greater_than_equal", "less_than",
    "less_than_equal", "string_pattern_mismatch", "string_too_short", "string_too_long", "too_short",
    "too_long", "finite_number", "int_from_float", "int_parsing", "bool_parsing", "float_parsing",
    "model_attributes_type",
}  # fmt: skip


def error_text(err: Mapping[str, Any], origin_kind: str) -> str:
    """'<what is wrong>; expected <what>' for one pydantic error."""
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        _, _, owner = field_at(loc)
        if owner is None or owner is PlanParams and len(loc) == 1:
            keys = list(OVERRIDABLE) if origin_kind in ("region", "scenario") else yaml_keys(PlanParams)
        else:
            keys = yaml_keys(owner)
        return f"unknown key; expected one of {', '.join(keys)}"
    ann, meta, _ = field_at(loc)
    expected = _expected(ann, meta) if ann is not None else "a valid value"
    if kind == "missing":
        return f"missing; expected {expected}"
    if kind == "value_error":
        if ann is not None and is_model(_strip_annotated(ann)[0]):
            return f"{err['ctx']['error']}"  # a check across the section's keys: the message names them
        return f"{err['ctx']['error']}; expected {expected}"
    if kind in _GOT_TYPES:
        return f"got {describe_value(err['input'])}; expected {expected}"
    return f"{err['msg'][:1].lower()}{err['msg'][1:]} (got {describe_value(err['input'])}); expected {expected}"

