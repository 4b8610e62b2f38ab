"""
Strict YAML for params files: what a file says, and where.

YAML is read by :class:`StrictLoader`: safe construction only, YAML 1.2 core scalars
(``true``/``false`` are the only booleans; ``NO``, ``on``, ``0755`` and ``12:30`` stay
strings; ``1e3`` is a float), no duplicate keys, no aliases, no tags.

A params file is read by :func:`read_yaml_file`, which first checks the file itself:
a regular file of at most :data:`MAX_FILE_BYTES`, UTF-8, no control character but tab
and newline (U+2028, U+2029 and U+0085 are refused: YAML would take them for line
breaks, moving every later line number or silently folding a value), no line longer
than :data:`MAX_LINE_CHARS`; then the YAML: no tag, no text longer than
:data:`MAX_TEXT_CHARS`, no list longer than :data:`MAX_LIST_ITEMS`, no mapping with
more than :data:`MAX_MAPPING_KEYS` keys (the limits are in :mod:`planlib.params.limits`).
The YAML of a text is composed once per process: a text read before (the plan file
again, a snapshot another notebook read) comes back from a small cache keyed by the
whole text, as a fresh copy, its messages naming the file just read.

Public names
------------
StrictLoader, CStrictLoader
    The loader (``yaml.load(text, Loader=StrictLoader)``); CStrictLoader composes with
    libyaml (None without it) and is given only texts without aliases and tags.
read_yaml_file, YamlDocument
    One params file checked and read: its data, the line of every key, its problems.
REFUSED_CHARACTER
    A character a params file may not hold (control characters but tab and newline …).
StrictDumper, CStrictDumper
    Writes YAML that :class:`StrictLoader` reads back to the same values (CStrictDumper:
    the same text, by libyaml).
index_nodes
    The line of every key and list item of a composed document (for messages).
dotted_key
    A key path as the user reads it: ``swot.threats[0]``.
shorten, describe_value
    A value as the user wrote it, for the "got …" of a message.
"""

from __future__ import annotations

import bisect
import functools
import os
import pickle
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from planlib.errors import ParamsError
from planlib.params.limits import (
    MAX_FILE_BYTES,
    MAX_LINE_CHARS,
    MAX_LIST_ITEMS,
    MAX_MAPPING_KEYS,
    MAX_TEXT_CHARS,
)

__all__ = ["StrictLoader"]

# Lines reported one by one for refused characters and long lines; the rest are counted.
_SHOWN_LINES = 20
# Texts whose YAML a process keeps (:func:`_parse_text`): a run's plan, region and scenario files and snapshots.
_PARSED_TEXTS = 16

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

# YAML 1.2 core schema, narrowed: decimal integers without leading zeros (so codes
# such as 0755 stay text) and of at most 18 digits (a longer run of digits stays text,
# so no integer beyond int64 reaches a computation), floats need a '.' or an exponent,
# no .inf/.nan.
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)$")
_INT_RE = re.compile(r"^[-+]?(?:0|[1-9][0-9]{0,17})$")
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
    - a duplicate key, a non-string key, an alias (``*name``) or any explicit tag
      (``!!str``, ``!!int``, ``!!python/…``, ``!x``) is an error; a merge key (``<<``)
      stays a plain string.

    Used through ``yaml.load(text, Loader=StrictLoader)`` it raises on the first
    problem; :func:`read_yaml_file` runs it in a collecting mode that reports all of
    them with their dotted keys.
    """

    yaml_implicit_resolvers: dict = {}
    yaml_constructors: dict = {}

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        #: ``None`` raises on the first problem; a list collects (line, path, text).
        self.problems: list[tuple[int, tuple, str]] | None = None
        #: id(node) -> key path, filled by the caller before construction.
        self.node_paths: dict[int, tuple] = {}
        #: (node, what is wrong) of every explicitly tagged node, in collecting mode.
        self.tagged: list[tuple[Any, str]] = []

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"the alias *{event.anchor} is not allowed in params files; write the value out",
                event.start_mark,
            )
        event = self.peek_event()
        tag = getattr(event, "tag", None)
        node = super().compose_node(parent, index)
        if tag is not None:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            text = f"the tag {shown} is not allowed in params files; expected a plain value (quote it to make it text)"
            if self.problems is None:
                raise yaml.composer.ComposerError(None, None, text, event.start_mark)
            self.tagged.append((node, text))
        return node

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


# Only implicitly resolved scalars reach these (every explicit tag is refused), so the
# text already matches the resolver's pattern.
def _construct_null(loader: StrictLoader, node: Any) -> None:
    return None


def _construct_bool(loader: StrictLoader, node: Any) -> bool:
    return loader.construct_scalar(node).lower() == "true"


def _construct_int(loader: StrictLoader, node: Any) -> int:
    return int(loader.construct_scalar(node))


def _construct_float(loader: StrictLoader, node: Any) -> float:
    return float(loader.construct_scalar(node))


for _tag, _regexp, _first in _IMPLICIT:
    StrictLoader.add_implicit_resolver(_tag, _regexp, _first)
StrictLoader.add_constructor(_STR, _construct_str)
StrictLoader.add_constructor(_NULL, _construct_null)
StrictLoader.add_constructor(_BOOL, _construct_bool)
StrictLoader.add_constructor(_INT, _construct_int)
StrictLoader.add_constructor(_FLOAT, _construct_float)
StrictLoader.add_constructor(_SEQ, yaml.SafeLoader.construct_yaml_seq)
StrictLoader.add_constructor(_MAP, yaml.SafeLoader.construct_yaml_map)


class StrictDumper(yaml.SafeDumper):
    """A safe dumper that quotes every string YAML 1.1 or :class:`StrictLoader` would not read as text."""

    yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeDumper.yaml_implicit_resolvers.items()}


for _tag, _regexp, _first in _IMPLICIT:
    StrictDumper.add_implicit_resolver(_tag, _regexp, _first)


try:  # libyaml, when PyYAML was built with it: the same YAML read and written at C speed
    from yaml._yaml import CEmitter, CParser
except ImportError:  # pragma: no cover - PyYAML's wheels carry libyaml
    CEmitter = CParser = None

#: Deepest nesting the C composer is given (it recurses in C); deeper texts take the Python one.
_C_DEPTH = 64


if CParser is not None:

    class CStrictLoader(CParser, StrictLoader):
        """:class:`StrictLoader` with libyaml's parser and composer: the same nodes, for texts without aliases or tags."""

        def __init__(self, stream: Any) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self.problems = None
            self.node_paths = {}
            self.tagged = []

    class CStrictDumper(CEmitter, yaml.representer.SafeRepresenter, yaml.resolver.Resolver):
        """:class:`StrictDumper` with libyaml's emitter: the same text, written faster."""

        yaml_implicit_resolvers = StrictDumper.yaml_implicit_resolvers
        yaml_representers = StrictDumper.yaml_representers
        yaml_multi_representers = StrictDumper.yaml_multi_representers

        def __init__(self, stream: Any, default_style: Any = None, default_flow_style: Any = False,
                     canonical: Any = None, indent: Any = None, width: Any = None, allow_unicode: Any = None,
                     line_break: Any = None, encoding: Any = None, explicit_start: Any = None,
                     explicit_end: Any = None, version: Any = None, tags: Any = None, sort_keys: bool = True) -> None:
            CEmitter.__init__(self, stream, canonical=canonical, indent=indent, width=width, encoding=encoding,
                              allow_unicode=allow_unicode, line_break=line_break, explicit_start=explicit_start,
                              explicit_end=explicit_end, version=version, tags=tags)
            yaml.representer.SafeRepresenter.__init__(self, default_style=default_style,
                                                      default_flow_style=default_flow_style, sort_keys=sort_keys)
            yaml.resolver.Resolver.__init__(self)
else:  # pragma: no cover
    CStrictLoader = None
    CStrictDumper = StrictDumper


def _c_loader(text: str) -> Any:
    """
    A :class:`StrictLoader` on libyaml for ``text``, or None when the text needs the Python one.

    The C composer neither refuses aliases nor says which node carried a tag, and recurses
    without Python's limit, so the text's events are read first (in C): any alias, any
    explicit tag, nesting deeper than :data:`_C_DEPTH` or any error, and the Python loader
    reads it, with its messages, as before.
    """
    if CStrictLoader is None:
        return None
    scan = CParser(text)
    depth = 0
    try:
        while scan.check_event():
            event = scan.get_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "tag", None) is not None:
                return None
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > _C_DEPTH:
                    return None
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None
    finally:
        scan.dispose()
    return CStrictLoader(text)


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
        elif re.fullmatch(r"[-+]?[0-9]{19,}", value):
            hint = " (more than 18 digits stay text)"
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



# ---------------------------------------------------------------------------------
# Reading one params file
# ---------------------------------------------------------------------------------
# Tab and newline are the only control characters; a carriage return only before a
# newline (Windows line ends). NEL, LINE and PARAGRAPH SEPARATOR are line breaks to
# YAML but not to an editor; a BOM inside the text is invisible; U+FFFE/U+FFFF are
# not characters.
#: A character refused in a params file and in its values (written raw or as an escape).
REFUSED_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]|\r(?!\n)")
_CHAR_NAMES = {
    "\x00": "NUL", "\x1b": "ESC", "\x7f": "DEL", "\r": "CARRIAGE RETURN without a newline",
    "\x85": "NEXT LINE", "\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR",
    "\ufeff": "ZERO WIDTH NO-BREAK SPACE",
}  # fmt: skip


@dataclass
class YamlDocument:
    """
    One params file as read by :func:`read_yaml_file`.

    Attributes
    ----------
    data : object
        The plain data (mappings, lists, str, int, float, bool, None).
    lines : dict
        Key path (``('swot', 'threats', 0)``) -> the line it starts on.
    problems : list of (int, tuple, str)
        (line, key path, "<what is wrong>; expected <what>") found while reading:
        duplicate or non-text keys, texts, lists and mappings over their limits.
    """

    data: Any
    lines: dict[tuple, int] = field(default_factory=dict)
    problems: list[tuple[int, tuple, str]] = field(default_factory=list)


def read_yaml_file(path: Path, shown: str, *, max_bytes: int = MAX_FILE_BYTES) -> YamlDocument:
    """
    Check and read one params file strictly.

    Parameters
    ----------
    path : Path
        The file.
    shown : str
        The file as the user named it, for messages.
    max_bytes : int, default MAX_FILE_BYTES
        The largest file read (never more than this many bytes are read).

    Returns
    -------
    YamlDocument
        The data, the line of every key and the problems to report with the others.

    Raises
    ------
    ParamsError
        At once, when the file cannot be taken as YAML text: missing, not a regular
        file (a folder, ``/dev/zero``, a pipe), too large, not UTF-8, a refused
        character or a too long line (every such line, with its key), an explicit
        tag, a syntax error, nesting too deep.
    """
    raw = _read_bounded(path, shown, max_bytes)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ParamsError(f"{shown}:{line}: not UTF-8 text; expected a UTF-8 file") from None
    bad_lines = _text_problems(text)
    if bad_lines:
        # name each line's key from the text read without the refused characters: each
        # replaced by a space, else each line cut before its first one
        lines = _lines_of_keys(REFUSED_CHARACTER.sub(" ", text)) or _lines_of_keys(
            re.sub(f"(?:{REFUSED_CHARACTER.pattern})[^\n]*", "", text)
        )
        messages = [f"{shown}:{line}: {_key_at(lines, line)}: {what}" for line, what in bad_lines[:_SHOWN_LINES]]
        if len(bad_lines) > _SHOWN_LINES:
            messages.append(f"{shown}: … and {len(bad_lines) - _SHOWN_LINES:,} more lines like these")
        raise ParamsError("\n".join(messages))
    try:
        refused, data, lines, problems = pickle.loads(_parse_text(text))
    except RecursionError:
        raise ParamsError(f"{shown}: nested too deeply; expected a few levels of mappings") from None
    if refused:
        raise ParamsError("\n".join(f"{shown}:{line}: {what}" if line else f"{shown}: {what}" for line, what in refused))
    return YamlDocument(data, lines, problems)


@functools.lru_cache(maxsize=_PARSED_TEXTS)
def _parse_text(text: str) -> bytes:
    """
    The YAML of one checked text, pickled: what it says, or why it is refused.

    Parameters
    ----------
    text : str
        A params file's text, decoded and past :func:`_text_problems`.

    Returns
    -------
    bytes
        The pickle of ``(refused, data, lines, problems)``: ``refused`` a tuple of
        (line or 0, what is wrong) naming no file (``data``, ``lines`` and ``problems``
        None then), else empty and the rest as :class:`YamlDocument` holds them.

    Raises
    ------
    RecursionError
        When the text is nested deeper than the stack allows (not kept: it depends on
        the caller's stack, not on the text alone).

    Notes
    -----
    Memoised by the whole text (:data:`_PARSED_TEXTS` texts), never by a path: the
    same text has the same YAML, whatever file holds it, so a process reads a plan or
    snapshot it has read before without composing it again (about 0.02 s of CPU for a
    6 kB snapshot). The value is bytes, so the cache cannot be changed through a
    result; each reader unpickles a fresh copy to mutate, and names its own file in
    the messages.

    A text without aliases and tags is parsed and composed by libyaml (:func:`_c_loader`:
    the same nodes, about ten times faster), the rest by PyYAML's Python parser, whose
    messages name the alias or the tag.
    """
    loader = _c_loader(text) or StrictLoader(text)
    loader.problems = []
    data, lines = None, {}
    try:
        node = loader.get_single_node()
        if node is not None:
            lines[()] = node.start_mark.line + 1
            index_nodes(node, (), lines, loader.node_paths)
            if loader.tagged:
                return pickle.dumps((tuple(
                    (tagged.start_mark.line + 1,
                     f"{_key_at(lines, tagged.start_mark.line + 1, loader.node_paths.get(id(tagged)))}: {what}")
                    for tagged, what in loader.tagged
                ), None, None, None))  # fmt: skip
            loader.problems.extend(_value_problems(node, loader.node_paths, lines))
            data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = exc.problem or exc.context or "invalid YAML"
        return pickle.dumps((((line, f"invalid YAML: {what}; expected well-formed YAML"),), None, None, None))
    except yaml.YAMLError as exc:
        return pickle.dumps((((0, f"invalid YAML: {exc}; expected well-formed YAML"),), None, None, None))
    finally:
        loader.dispose()
    return pickle.dumps(((), data, lines, sorted(loader.problems, key=lambda p: p[0])))


def _read_bounded(path: Path, shown: str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; never reads more, never waits on a pipe."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a named pipe does not block the open
    except FileNotFoundError:
        raise ParamsError(f"{shown}: no such file; expected a params YAML file") from None
    except OSError as exc:
        raise ParamsError(f"{shown}: cannot be read ({exc.strerror}); expected a readable file") from None
    info = os.fstat(fd)  # the file opened, not whatever the name points to now
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ParamsError(f"{shown}: not a regular file; expected a params YAML file")
    if info.st_size > max_bytes:
        os.close(fd)
        raise ParamsError(f"{shown}:1: (whole file): {info.st_size:,} bytes; expected at most {max_bytes:,} bytes")
    with os.fdopen(fd, "rb") as fh:
        try:
            raw = fh.read(max_bytes + 1)
        except OSError as exc:
            raise ParamsError(f"{shown}: cannot be read ({exc.strerror}); expected a readable file") from None
    if len(raw) > max_bytes:  # grew since the check
        raise ParamsError(f"{shown}:1: (whole file): more than {max_bytes:,} bytes; expected at most {max_bytes:,} bytes")
    return raw


_PRINTABLE = (
    "expected printable text (tab and newline are the only control characters; "
    "U+2028, U+2029 and U+0085 are not line breaks in a params file)"
)


def _char_name(ch: str) -> str:
    return f"U+{ord(ch):04X} ({_CHAR_NAMES.get(ch, 'a control character')})"


def _text_problems(text: str) -> list[tuple[int, str]]:
    """(line, what is wrong) for every line holding a refused character or too many characters."""
    newlines = [m.start() for m in re.finditer("\n", text)]
    found: dict[int, list[tuple[int, str]]] = {}
    for m in REFUSED_CHARACTER.finditer(text):
        before = bisect.bisect_left(newlines, m.start())  # newlines before the character
        column = m.start() - (newlines[before - 1] if before else -1)
        found.setdefault(before + 1, []).append((column, m.group()))
    out = []
    for line, hits in found.items():
        column, ch = hits[0]
        more = f" (and {len(hits) - 1} more on the line)" if len(hits) > 1 else ""
        out.append((line, f"the character {_char_name(ch)} at column {column}{more}; {_PRINTABLE}"))
    starts = [-1, *newlines]
    ends = [*newlines, len(text)]
    for line, (a, b) in enumerate(zip(starts, ends, strict=True), 1):
        length = b - a - 1 - (text[b - 1 : b] == "\r")
        if length > MAX_LINE_CHARS and line not in found:
            out.append((line, f"a line of {length:,} characters; expected at most {MAX_LINE_CHARS:,} per line"))
    return sorted(out)


def _lines_of_keys(text: str) -> dict[tuple, int]:
    """Key path -> line of a text read leniently (for naming the key of a bad line); {} if unreadable."""
    loader = StrictLoader(text)
    lines: dict[tuple, int] = {}
    try:
        node = loader.get_single_node()
        if node is not None:
            index_nodes(node, (), lines, {})
    except (yaml.YAMLError, RecursionError):
        return {}
    finally:
        loader.dispose()
    return lines


def _key_at(lines: dict[tuple, int], line: int, path: tuple | None = None) -> str:
    """The dotted key of ``path``, else of the last key starting on or before ``line``."""
    if path is None:
        started = [(at, len(p), p) for p, at in lines.items() if at <= line]
        if not started:
            return "(top level)" if lines else "(text)"
        path = max(started, key=lambda s: (s[0], s[1]))[2]
    return dotted_key(path)


def _value_problems(root: Any, paths: dict[int, tuple], lines: dict[tuple, int]) -> list[tuple[int, tuple, str]]:
    """
    (line, key path, what is wrong) for every text, list and mapping over its limit,
    and every text or key holding a refused character written as an escape (``"\\0"``).
    """
    out = []
    stack = [root]
    while stack:
        node = stack.pop()
        path = paths.get(id(node), ())
        line = lines.get(path, node.start_mark.line + 1)  # a key's line, not its value's
        if isinstance(node, yaml.ScalarNode):
            escaped = REFUSED_CHARACTER.search(node.value)
            if escaped:
                text = f"the character {_char_name(escaped.group())} (written as an escape) in the text; {_PRINTABLE}"
                out.append((line, path, text))
            if len(node.value) > MAX_TEXT_CHARS:
                text = f"a text of {len(node.value):,} characters; expected at most {MAX_TEXT_CHARS:,}"
                out.append((line, path, text))
        elif isinstance(node, yaml.SequenceNode):
            if len(node.value) > MAX_LIST_ITEMS:
                out.append((line, path, f"a list of {len(node.value):,} items; expected at most {MAX_LIST_ITEMS:,}"))
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            if len(node.value) > MAX_MAPPING_KEYS:
                text = f"a mapping of {len(node.value):,} keys; expected at most {MAX_MAPPING_KEYS:,}"
                out.append((line, path, text))
            for key_node, value_node in node.value:
                escaped = REFUSED_CHARACTER.search(key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
                if escaped:
                    text = f"the character {_char_name(escaped.group())} (written as an escape) in a key; {_PRINTABLE}"
                    out.append((key_node.start_mark.line + 1, path, text))
                    continue  # its value is not looked at
                if isinstance(key_node, yaml.ScalarNode) and len(key_node.value) > MAX_TEXT_CHARS:
                    out.append((key_node.start_mark.line + 1, path,
                                f"a key of {len(key_node.value):,} characters; expected at most {MAX_TEXT_CHARS:,}"))
                    continue  # its value is not looked at
                stack.append(value_node)
    return out
