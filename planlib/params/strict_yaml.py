"""
Strict YAML for params files: what a file says, and where.

YAML is read by :class:`StrictLoader`: safe construction only, YAML 1.2 core scalars
(``true``/``false`` are the only booleans; ``NO``, ``on``, ``0755`` and ``12:30`` stay
strings; ``1e3`` is a float), no duplicate keys, no aliases, no tags.

Public names
------------
StrictLoader
    The loader (``yaml.load(text, Loader=StrictLoader)``).
StrictDumper
    Writes YAML that :class:`StrictLoader` reads back to the same values.
index_nodes
    The line of every key and list item of a composed document (for messages).
dotted_key
    A key path as the user reads it: ``swot.threats[0]``.
shorten, describe_value
    A value as the user wrote it, for the "got …" of a message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

__all__ = ["StrictLoader"]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

# YAML 1.2 core schema, narrowed: decimal integers without leading zeros (so codes
# such as 0755 stay text), floats need a '.' or an exponent, no .inf/.nan.
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)$")
_INT_RE = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_FLOAT_RE = re.compile(
    r"""^[-+]?(?:
          (?:0|[1-9][0-9]*)\.[0-9]*(?:[eE][-+]?[0-9]+)?
        | \.[0-9]+(?:[eE][-+]?[0-9]+)?
        | (?:0|[1-9][0-9]*)[eE][-+]?[0-9]+
    )$""",
    re.X,
)
_IMPLICIT = (
    (_BOOL, _BOOL_RE, list("tTfF")),
    (_NULL, _NULL_RE, ["~", "n", "N", ""]),
    (_INT, _INT_RE, list("-+0123456789")),
    (_FLOAT, _FLOAT_RE, list("-+.0123456789")),
)


class StrictLoader(yaml.SafeLoader):
    """
    A safe YAML loader for params files: YAML 1.2 core scalars, no surprises.

    - booleans are only ``true``/``false`` (any case form of the core schema), so
      ``NO``, ``yes``, ``on`` stay strings;
    - integers are decimal without a leading zero; ``0755``, ``0x1F`` and the
      YAML 1.1 sexagesimal ``12:30`` stay strings; ``1e3`` and ``1.0e3`` are floats;
      no timestamps (dates are ISO strings);
    - a duplicate key, a non-string key, an alias (``*name``), a merge key (``<<``
      stays a plain string) or any other tag is an error.

    Used through ``yaml.load(text, Loader=StrictLoader)`` it raises on the first
    duplicate key; :func:`load_plan` runs it in a collecting mode that reports all
    duplicates with their dotted keys.
    """

    yaml_implicit_resolvers: dict = {}
    yaml_constructors: dict = {}

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        #: ``None`` raises on the first problem; a list collects (line, path, text).
        self.problems: list[tuple[int, tuple, str]] | None = None
        #: id(node) -> key path, filled by the caller before construction.
        self.node_paths: dict[int, tuple] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"the alias *{event.anchor} is not allowed in params files; write the value out",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict:  # noqa: D102
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping, found {node.id}", node.start_mark
            )
        path = self.node_paths.get(id(node), ())
        mapping: dict[str, Any] = {}
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not (isinstance(key_node, yaml.ScalarNode) and key_node.tag == _STR):
                shown = repr(key_node.value) if isinstance(key_node, yaml.ScalarNode) else f"(a {key_node.id})"
                self._problem(
                    key_node,
                    path,
                    f"the key {shown} is not a string; expected a plain text key (quote it)",
                )
                continue
            key = key_node.value
            if key in first:
                self._problem(
                    key_node,
                    path + (key,),
                    f"duplicate key (first at line {first[key]}); expected each key once",
                )
                continue
            first[key] = line
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def _problem(self, node: Any, path: tuple, text: str) -> None:
        if self.problems is None:
            raise yaml.constructor.ConstructorError(None, None, f"{dotted_key(path)}: {text}", node.start_mark)
        self.problems.append((node.start_mark.line + 1, path, text))


def _construct_str(loader: StrictLoader, node: Any) -> str:
    return loader.construct_scalar(node)


def _construct_null(loader: StrictLoader, node: Any) -> None:
    value = loader.construct_scalar(node)
    if not _NULL_RE.match(value):
        raise yaml.constructor.ConstructorError(None, None, f"{value!r} is not null", node.start_mark)
    return None


def _construct_bool(loader: StrictLoader, node: Any) -> bool:
    value = loader.construct_scalar(node)
    if not _BOOL_RE.match(value):
        raise yaml.constructor.ConstructorError(
            None, None, f"{value!r} is not a boolean; expected true or false", node.start_mark
        )
    return value.lower() == "true"


def _construct_int(loader: StrictLoader, node: Any) -> int:
    value = loader.construct_scalar(node)
    if not _INT_RE.match(value):
        raise yaml.constructor.ConstructorError(
            None, None, f"{value!r} is not a decimal integer", node.start_mark
        )
    return int(value)


def _construct_float(loader: StrictLoader, node: Any) -> float:
    value = loader.construct_scalar(node)
    if not (_FLOAT_RE.match(value) or _INT_RE.match(value)):
        raise yaml.constructor.ConstructorError(None, None, f"{value!r} is not a number", node.start_mark)
    return float(value)


def _construct_other(loader: StrictLoader, node: Any) -> Any:
    raise yaml.constructor.ConstructorError(
        None,
        None,
        f"the tag {node.tag!r} is not allowed in params files; "
        "expected plain strings, numbers, true/false, lists and mappings",
        node.start_mark,
    )


for _tag, _regexp, _first in _IMPLICIT:
    StrictLoader.add_implicit_resolver(_tag, _regexp, _first)
StrictLoader.add_constructor(_STR, _construct_str)
StrictLoader.add_constructor(_NULL, _construct_null)
StrictLoader.add_constructor(_BOOL, _construct_bool)
StrictLoader.add_constructor(_INT, _construct_int)
StrictLoader.add_constructor(_FLOAT, _construct_float)
StrictLoader.add_constructor(_SEQ, yaml.SafeLoader.construct_yaml_seq)
StrictLoader.add_constructor(_MAP, yaml.SafeLoader.construct_yaml_map)
StrictLoader.add_constructor(None, _construct_other)


class StrictDumper(yaml.SafeDumper):
    """A safe dumper that quotes every string YAML 1.1 or :class:`StrictLoader` would not read as text."""

    yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeDumper.yaml_implicit_resolvers.items()}


for _tag, _regexp, _first in _IMPLICIT:
    StrictDumper.add_implicit_resolver(_tag, _regexp, _first)


def index_nodes(node: Any, path: tuple, lines: dict[tuple, int], paths: dict[int, tuple]) -> None:
    """Record the line of every key and list item (first occurrence wins) and each node's path."""
    paths[id(node)] = path
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not (isinstance(key_node, yaml.ScalarNode) and key_node.tag == _STR) or key_node.value in seen:
                continue
            seen.add(key_node.value)
            sub = path + (key_node.value,)
            lines[sub] = key_node.start_mark.line + 1
            index_nodes(value_node, sub, lines, paths)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = path + (i,)
            lines[sub] = item.start_mark.line + 1
            index_nodes(item, sub, lines, paths)


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def dotted_key(path: tuple) -> str:
    """``('swot', 'threats', 0)`` -> ``swot.threats[0]``; odd keys are quoted."""
    out = ""
    for part in path:
        if part == "[key]":  # pydantic's marker of a mapping's key: the key itself is already named
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out or "(top level)"


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_value(value: Any) -> str:
    """A value as the user wrote it, for "got …"."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, str):
        hint = ""
        if re.fullmatch(r"[-+]?0[0-9_]+", value):
            hint = " (a leading zero keeps a code as text)"
        elif value.lower() in {"yes", "no", "on", "off", "y", "n"}:
            hint = " (only true and false are booleans)"
        return f"the string {shorten(value)!r}{hint}"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, Path):
        return f"the path '{value}'"
    return f"a {type(value).__name__}"

