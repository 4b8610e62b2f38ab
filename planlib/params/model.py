"""
Plan params: YAML files in, one validated and frozen :class:`PlanParams` out.

The one path for assumptions (DESIGN.md §5)::

    params/<plan>.yaml                 the plan (every key the run needs)
      + params/regions/<region_id>.yaml  deep-merged for that region (optional)
      + params/scenarios/<name>.yaml     deep-merged last ("base" means none)
      -> strict YAML -> typed, frozen PlanParams -> params.resolved.yaml in the run

Mappings merge key by key; a list or a scalar in a later file replaces the earlier
value whole. Region and scenario files may only hold the *overridable* sections
(every section except the plan-level keys in :data:`PLAN_KEYS`); a new stage section
added to :class:`PlanParams` (``targets``, ``budget`` …) becomes overridable as is.

YAML is read by :class:`StrictLoader`: safe construction only, YAML 1.2 core scalars
(``true``/``false`` are the only booleans; ``NO``, ``on``, ``0755`` and ``12:30`` stay
strings; ``1e3`` is a float), no duplicate keys, no aliases, no custom tags. Every
problem found is reported at once, in one :class:`~planlib.errors.ParamsError`, a line
each, as ``<file>:<line>: <dotted.key>: <what is wrong>; expected <what>``.

Example
-------
>>> override_yaml("analysis.history_years", 2)
'analysis:\\n  history_years: 2\\n'
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import tempfile
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from planlib.errors import ParamsError, PlanlibError
from planlib.hierarchy import RegionTree
from planlib.schemas import LEVEL_DEPTH, LEVELS, catalogue, is_valid_region_id

__all__ = [
    "BASE_SCENARIO",
    "SNAPSHOT_NAME",
    "PLAN_KEYS",
    "RUNTIME_KEYS",
    "OVERRIDABLE",
    "StrictLoader",
    "Scope",
    "RunSettings",
    "Analysis",
    "Swot",
    "Milestone",
    "Targets",
    "Split",
    "Budget",
    "PlanParams",
    "load_plan",
    "load_snapshot",
    "write_snapshot",
    "override_yaml",
    "overrides_yaml",
]

#: The scenario name that means "no scenario file".
BASE_SCENARIO = "base"
#: File name of the resolved snapshot in ``runs/<plan>/<run>/regions/<region_id>/``.
SNAPSHOT_NAME = "params.resolved.yaml"

# ---------------------------------------------------------------------------------
# Strict YAML
# ---------------------------------------------------------------------------------
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
            raise yaml.constructor.ConstructorError(None, None, f"{_dotted(path)}: {text}", node.start_mark)
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


class _Dumper(yaml.SafeDumper):
    """Quotes every string that either YAML 1.1 or :class:`StrictLoader` would not read as text."""

    yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeDumper.yaml_implicit_resolvers.items()}


for _tag, _regexp, _first in _IMPLICIT:
    _Dumper.add_implicit_resolver(_tag, _regexp, _first)


def _index_nodes(node: Any, path: tuple, lines: dict[tuple, int], paths: dict[int, tuple]) -> None:
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
            _index_nodes(value_node, sub, lines, paths)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = path + (i,)
            lines[sub] = item.start_mark.line + 1
            _index_nodes(item, sub, lines, paths)


# ---------------------------------------------------------------------------------
# Problems and messages
# ---------------------------------------------------------------------------------
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _dotted(path: tuple) -> str:
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


@dataclass(frozen=True)
class _Problem:
    order: int  # source order: plan 0, region 1, scenario 2
    file: str
    line: int | None
    key: str
    text: str  # "<what is wrong>; expected <what>"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.text}"


def _raise(problems: list[_Problem]) -> None:
    if problems:
        ordered = sorted(problems, key=lambda p: (p.order, p.file, p.line or 0))
        unique = list(dict.fromkeys(str(p) for p in ordered))
        raise ParamsError("\n".join(unique))


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(value: Any) -> str:
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
        return f"the string {_short(value)!r}{hint}"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, Path):
        return f"the path '{value}'"
    return f"a {type(value).__name__}"


# ---------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------
def _says(expected: str) -> dict[str, str]:
    """``json_schema_extra`` carrying the "expected …" text of a field's error messages."""
    return {"expected": expected}


_REGION_EXPECTED = "a region id (letters, digits, '_', '.', '-'; at most 64) from the archive's regions table"


def _check_region_id(value: str, info: ValidationInfo) -> str:
    if not is_valid_region_id(value):
        raise ValueError(f"{_short(value)!r} is not a region id")
    tree = (info.context or {}).get("tree")
    if tree is not None and value not in tree:
        raise ValueError(f"{value!r} is not in the archive's regions table")
    return value


#: A region id; checked against the tree when one is given (every field of this type).
RegionId = Annotated[
    str, AfterValidator(_check_region_id), Field(json_schema_extra=_says(_REGION_EXPECTED))
]
Level = Literal[LEVELS]
_NOTEBOOK_RE = re.compile(r"[0-9]{2}_[a-z][a-z0-9_]*")
NotebookName = Annotated[
    str,
    Field(pattern=_NOTEBOOK_RE.pattern, json_schema_extra=_says("a notebook name like 10_review_archive (no .ipynb)")),
]
Line = Annotated[str, annotated_types.MinLen(1)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Scope(_Section):
    """
    The part of the region tree a plan covers.

    Attributes
    ----------
    root : str
        Region id at the top of the planned subtree.
    levels : tuple of str
        Levels that get a report, each once, none above the root's level.
    """

    root: RegionId
    levels: tuple[Level, ...] = Field(
        min_length=1,
        json_schema_extra=_says(f"a list of levels from {', '.join(LEVELS)}, each once"),
    )

    @field_validator("levels")
    @classmethod
    def _levels_known(cls, levels: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        twice = sorted({lv for lv in levels if levels.count(lv) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} listed twice")
        tree = (info.context or {}).get("tree")
        root = info.data.get("root")
        if tree is not None and root is not None and root in tree:
            root_level = tree.level(root)
            above = [lv for lv in levels if LEVEL_DEPTH[lv] < LEVEL_DEPTH[root_level]]
            if above:
                raise ValueError(f"{', '.join(above)} is above the root {root!r} ({root_level})")
            present = {tree.level(r) for r in tree.subtree(root)}
            empty = [lv for lv in levels if lv not in present]
            if empty:
                raise ValueError(f"no region at level {', '.join(empty)} under {root!r}")
        return levels


class RunSettings(_Section):
    """
    How the batch runs the plan.

    Attributes
    ----------
    timeout_seconds : int, default 600
        Per notebook and region.
    workers : int, default 2
        Notebooks executed in parallel.
    """

    timeout_seconds: int = Field(600, gt=0)
    workers: int = Field(2, ge=1, le=256)


class Analysis(_Section):
    """
    Assumptions of the environment analysis.

    Attributes
    ----------
    history_years : int, default 3
        Years of history before the plan year that the analysis reads.
    capture_rate : float, default 0.1
        Share of a growth point's headroom (capacity − own sales) a unit with neutral
        momentum can win in a year (planlib.growth.rank_growth_points).
    abc_thresholds : tuple of 3 floats, default (0.5, 0.8, 0.95)
        Cumulative revenue shares that close terminal classes A, B and C.
    """

    history_years: int = Field(3, ge=1, le=30)
    capture_rate: float = Field(0.1, gt=0, le=1)
    abc_thresholds: tuple[float, float, float] = (0.5, 0.8, 0.95)

    @field_validator("abc_thresholds")
    @classmethod
    def _rising(cls, value: tuple[float, float, float]) -> tuple[float, float, float]:
        a, b, c = value
        if not 0 < a < b < c <= 1:
            raise ValueError(f"must rise strictly within (0, 1], got {list(value)}")
        return value


class Swot(_Section):
    """The analyst's own SWOT lines, shown with the computed ones."""

    strengths: tuple[Line, ...] = ()
    weaknesses: tuple[Line, ...] = ()
    opportunities: tuple[Line, ...] = ()
    threats: tuple[Line, ...] = ()

    def lines(self) -> dict[str, tuple[str, ...]]:
        """The four boxes as a plain mapping (box -> lines)."""
        return {box: tuple(getattr(self, box)) for box in ("strengths", "weaknesses", "opportunities", "threats")}


class Milestone(_Section):
    """A staged distribution goal: by ``date``, ``coverage`` of the key (A/B) terminals buy."""

    stage: Line
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra=_says("an ISO date such as 2027-06-30"))
    coverage: float = Field(gt=0, le=1)


class Targets(_Section):
    """
    Assumptions of target setting.

    Attributes
    ----------
    stretch : float, default 0.05
        "Jump and touch" (跳一跳,摸得着): the target is the baseline forecast × (1 + stretch).
    unit : int, default 1
        The plan's volume unit; every split is rounded to multiples of it, exactly.
    milestones : tuple of Milestone
        Staged coverage goals of the key terminals (e.g. 40% by mid-year, 60% by year end).
    """

    stretch: float = Field(0.05, ge=-0.5, le=1.0)
    unit: int = Field(1, ge=1)
    milestones: tuple[Milestone, ...] = ()


class Split(_Section):
    """
    How targets are split down the pyramid.

    Attributes
    ----------
    method : str, default "proportion_averages"
        One of proportion_averages, average_proportions, potential, equal, blend.
    weights : mapping, default {}
        For ``blend``: method -> weight.
    floor : float or None, default 0.2
        No child is asked to shrink more than this fraction against last year.
    history_years : int, default 2
        Years of history behind the shares (the seed's minimum is two).
    potential_share : float, default 0.5
        A region's potential volume = this share of its category market last year (the
        market table); the basis of ``method: potential`` and of ``cap``.
    cap : float or None, default None
        No region is asked for more than ``cap`` × its potential (1.0: up to the
        potential); the excess is re-spread over its siblings. None: no cap.
    holds : mapping, default {}
        Region id -> annual volume fixed by a manager; its siblings share the rest.
    proposals : Path or None, default None
        A CSV of the children's own proposals (上行方式), columns ``region_id`` and
        ``volume``, relative to the plan file. None: each child's own trend forecast
        × (1 + its stretch) is its proposal.
    reconcile : str, default "scale_bottom_up"
        How the report reconciles top-down with bottom-up: scale_bottom_up, top_down,
        bottom_up or blend (``reconcile_weight`` on top-down).
    reconcile_weight : float, default 0.5
        The top-down weight of ``reconcile: blend``.
    """

    method: Literal["proportion_averages", "average_proportions", "potential", "equal", "blend"] = "proportion_averages"
    weights: dict[Literal["proportion_averages", "average_proportions", "potential", "equal"],
                  Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    floor: float | None = Field(0.2, ge=0, le=1)
    history_years: int = Field(2, ge=1, le=10)
    potential_share: float = Field(0.5, gt=0, le=1)
    cap: float | None = Field(None, gt=0, le=10)
    holds: dict[RegionId, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    proposals: Path | None = Field(
        None, strict=False, json_schema_extra=_says("a CSV file path (region_id, volume), relative to the plan file")
    )
    reconcile: Literal["scale_bottom_up", "top_down", "bottom_up", "blend"] = "scale_bottom_up"
    reconcile_weight: float = Field(0.5, ge=0, le=1)

    @field_validator("proposals")
    @classmethod
    def _proposals_beside_plan(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None or value.is_absolute():
            return value
        base = (info.context or {}).get("base_dir")
        if base is None:
            raise ValueError(f"the relative path '{value}' has no plan folder to start from")
        return Path(os.path.normpath(Path(base) / value))

    @model_validator(mode="after")
    def _blend_has_weights(self) -> "Split":
        if self.method == "blend" and not any(w > 0 for w in self.weights.values()):
            raise ValueError("method blend needs weights, e.g. {proportion_averages: 0.7, potential: 0.3}")
        return self


BudgetMethod = Literal["percent_of_sales", "benchmark", "marginal", "zero_based", "objective_task", "input_output"]
Category = Literal["labour", "office", "media", "channel", "promotion"]
Amount = Annotated[float, Field(ge=0)]


class Activity(_Section):
    """One activity of a zero-based list: what it costs and what it is expected to return."""

    name: Line
    category: Category
    item: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", json_schema_extra=_says("an item code such as tv"))]
    cost: float = Field(gt=0)
    expected_return: float = Field(ge=0)


class ChannelRates(_Section):
    """
    Channel fees per terminal (objective-task, built terminal by terminal).

    Attributes
    ----------
    display, promoter_wages : mapping
        Terminal class (A, B) -> amount per terminal per year.
    slotting : mapping
        Terminal class -> entry fee per new terminal (no sales last year).
    event_gifts : mapping
        Terminal class -> consumer-event gifts per terminal per year.
    year_end_rebate : float
        Distributors' year-end rebate as a fraction of the target revenue.
    """

    display: dict[Literal["A", "B"], Amount] = Field(default_factory=lambda: {"A": 2400.0, "B": 1200.0})
    promoter_wages: dict[Literal["A", "B"], Amount] = Field(default_factory=lambda: {"A": 24000.0, "B": 0.0})
    slotting: dict[Literal["A", "B"], Amount] = Field(default_factory=lambda: {"A": 5000.0, "B": 3000.0})
    event_gifts: dict[Literal["A", "B"], Amount] = Field(default_factory=lambda: {"A": 3000.0, "B": 1000.0})
    year_end_rebate: float = Field(0.03, ge=0, le=0.5)


class Headcount(_Section):
    """
    The marginal-return test for salespeople.

    Attributes
    ----------
    cost_per_head : float
        A salesperson's yearly cost (wages, social insurance, travel).
    headroom_capture : float
        The share of the region's headroom (potential − target volume) the first extra
        salesperson wins in a year; the contribution is that volume × the unit margin.
    decay : float
        Each further one adds this fraction of the previous one's contribution.
    """

    cost_per_head: float = Field(96000.0, gt=0)
    headroom_capture: float = Field(0.02, ge=0, le=1)
    decay: float = Field(0.6, ge=0, lt=1)


class Budget(_Section):
    """
    Assumptions of the expense budget.

    Attributes
    ----------
    methods : mapping
        Category -> budgeting method (percent_of_sales, benchmark, marginal, zero_based,
        objective_task, input_output).
    ratios : mapping
        Category -> a set expense ratio for percent_of_sales / benchmark; categories not
        given use the region's own ratio of last year.
    cap_ratio : float or None
        The total never exceeds this fraction of the target revenue.
    cap_amount : float or None
        ... or this amount (the lower of the two when both are set).
    tolerance : float
        Items may move by this fraction during the year while the total holds.
    expense_ratio_threshold : float
        The dual check flags a budget above this share of the target revenue.
    fixed_categories : list
        Categories phased straight-line; the others follow the target's months.
    channel : ChannelRates
        Fees per terminal for objective_task.
    headcount : Headcount
        The marginal test for labour.
    activities : list of Activity
        The zero-based list (name, category, item, cost, expected_return).
    items : mapping
        Category -> {item code: label}: a company's items beyond the catalogue.
    """

    methods: dict[Category, BudgetMethod] = Field(
        default_factory=lambda: {"labour": "percent_of_sales", "office": "percent_of_sales",
                                 "media": "percent_of_sales", "channel": "objective_task",
                                 "promotion": "percent_of_sales"}
    )
    ratios: dict[Category, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=dict)
    cap_ratio: float | None = Field(0.25, gt=0, le=1)
    cap_amount: float | None = Field(None, gt=0)
    tolerance: float = Field(0.1, ge=0, le=1)
    expense_ratio_threshold: float = Field(0.2, gt=0, le=1)
    fixed_categories: tuple[Category, ...] = ("labour", "office")
    channel: ChannelRates = ChannelRates()
    headcount: Headcount = Headcount()
    activities: tuple[Activity, ...] = ()
    items: dict[Category, dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], Line]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _methods_fit_their_categories(self) -> "Budget":
        only = {"objective_task": ("channel",), "marginal": ("labour",), "input_output": ("media", "promotion")}
        bad = [f"methods.{c}: {m} does not apply to {c} (only for {', '.join(only[m])})"
               for c, m in self.methods.items() if m in only and c not in only[m]]

        try:
            items = catalogue(self.items)
        except PlanlibError as exc:
            raise ValueError(f"items: {exc}") from None
        bad += [f"activities: {a.name} books to {a.category}.{a.item}, not an item of {a.category} "
                f"(items: {', '.join(items[a.category]['items'])})"
                for a in self.activities if a.item not in items[a.category]["items"]]
        listed = {a.category for a in self.activities}
        bad += [f"methods.{c}: zero_based needs activities of category {c} in budget.activities"
                for c, m in self.methods.items() if m == "zero_based" and c not in listed]
        if bad:
            raise ValueError("; ".join(bad))
        return self


def _unique(names: tuple[str, ...]) -> tuple[str, ...]:
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{', '.join(twice)} listed twice")
    return names


class PlanParams(_Section):
    """
    One region's validated, frozen params: plan, then region override, then scenario.

    Build it with :func:`load_plan` or :func:`load_snapshot`, never by hand. Later
    stages add their sections as new sub-models (``targets: Targets = Targets()``);
    every field not in :data:`PLAN_KEYS` or :data:`RUNTIME_KEYS` is overridable.

    Attributes
    ----------
    plan_id : str
        Names the run folder ``runs/<plan_id>/``.
    title : str
        The plan's title for the reports.
    year : int
        The plan year; history is the years before it.
    archive : Path
        Absolute path of the DuckDB archive (written relative to the plan file).
    currency : str
        ISO 4217 code of all money, default ``CNY``.
    scope : Scope
        Root region and the levels that get a report.
    notebooks : tuple of str
        Notebooks the batch runs, in order.
    run : RunSettings
        Timeout and parallel workers.
    analysis : Analysis
        Analysis assumptions (overridable).
    swot : Swot
        The analyst's SWOT lines (overridable).
    targets : Targets
        Stretch, the plan's unit, staged milestones (overridable).
    split : Split
        Split method, weights, floor, cap, holds, proposals (overridable).
    budget : Budget
        Budget methods, ratios, cap, tolerance, channel rates, headcount, activities (overridable).
    region_overrides, scenarios : Path or None
        Absolute folders of the region override and scenario files.
    source_files : tuple of Path
        The files merged, in merge order.
    region : str or None
        The region these params are resolved for (None: the plan as a whole).
    scenario : str
        The scenario applied, ``"base"`` for none.
    """

    plan_id: str = Field(
        json_schema_extra=_says(
            "letters, digits, '_', '.', '-', starting with a letter or digit, at most 64 "
            "(it names runs/<plan_id>/)"
        )
    )
    title: str = Field(min_length=1)
    year: int = Field(ge=2000, le=2100, json_schema_extra=_says("an integer year such as 2027"))
    archive: Path = Field(strict=False, json_schema_extra=_says("a file path, relative to the plan file"))
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$", json_schema_extra=_says("an ISO 4217 code such as CNY"))
    scope: Scope
    notebooks: tuple[NotebookName, ...] = Field(min_length=1)
    run: RunSettings = RunSettings()
    analysis: Analysis = Analysis()
    swot: Swot = Swot()
    targets: Targets = Targets()
    split: Split = Split()
    budget: Budget = Budget()
    region_overrides: Path | None = Field(
        None, strict=False, json_schema_extra=_says("a folder beside the plan holding <region_id>.yaml files")
    )
    scenarios: Path | None = Field(
        None, strict=False, json_schema_extra=_says("a folder beside the plan holding <name>.yaml files")
    )
    # set by load_plan, never written in a params file
    source_files: tuple[Annotated[Path, Field(strict=False)], ...]
    region: RegionId | None
    scenario: str = Field(json_schema_extra=_says("'base' or a scenario file name"))

    @field_validator("plan_id")
    @classmethod
    def _plan_id_is_a_folder_name(cls, value: str) -> str:
        if not is_valid_region_id(value):
            raise ValueError(f"{_short(value)!r} cannot name a folder")
        return value

    @field_validator("scenario")
    @classmethod
    def _scenario_is_a_file_name(cls, value: str) -> str:
        if not is_valid_region_id(value):
            raise ValueError(f"{_short(value)!r} cannot name a file")
        return value

    @field_validator("notebooks")
    @classmethod
    def _notebooks_once(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _unique(value)

    @field_validator("archive", "region_overrides", "scenarios", mode="before")
    @classmethod
    def _path_not_empty(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("an empty path")
        return value

    @field_validator("archive", "region_overrides", "scenarios", "source_files")
    @classmethod
    def _absolute(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return None
        if isinstance(value, tuple):
            return tuple(cls._absolute(v, info) for v in value)
        if not value.is_absolute():
            base = (info.context or {}).get("base_dir")
            if base is None:
                raise ValueError(f"the relative path '{value}' has no plan folder to start from")
            value = Path(base) / value
        return Path(os.path.normpath(value))

    @field_validator("region")
    @classmethod
    def _region_in_scope(cls, value: str | None, info: ValidationInfo) -> str | None:
        tree = (info.context or {}).get("tree")
        scope = info.data.get("scope")
        if value is not None and tree is not None and scope is not None and value in tree:
            if value not in set(tree.subtree(scope.root)):
                raise ValueError(f"{value!r} is outside the plan's scope (root {scope.root!r})")
        return value

    # -- outputs ---------------------------------------------------------------------
    def resolved_dict(self) -> dict[str, Any]:
        """
        The params as plain data (str, int, float, bool, None, list, dict).

        Returns
        -------
        dict
            Paths as absolute strings, tuples as lists; safe for JSON and YAML.
        """
        return self.model_dump(mode="json")

    def params_hash(self) -> str:
        """
        A short fingerprint of what these params make the notebooks compute.

        Returns
        -------
        str
            First 16 hex digits of the SHA-256 of the canonical JSON of
            :meth:`resolved_dict` without ``source_files``, ``region_overrides``,
            ``scenarios`` and ``archive`` (where the values came from, not what they
            are; the archive's content enters a run through its data fingerprint, so
            a checkout in another folder hashes the same).

        Notes
        -----
        Canonical JSON: sorted keys, ``(",", ":")`` separators, UTF-8.
        """
        data = self.resolved_dict()
        for key in _HASH_EXCLUDED:
            data.pop(key, None)
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


#: Keys only the plan file sets (never a region or scenario file).
PLAN_KEYS: frozenset[str] = frozenset(
    {
        "plan_id", "title", "year", "archive", "currency", "scope", "notebooks", "run",
        "region_overrides", "scenarios",
    }  # fmt: skip
)
#: Keys set by :func:`load_plan`, never written in a params file.
RUNTIME_KEYS: frozenset[str] = frozenset({"source_files", "region", "scenario"})
#: Sections a region or scenario file may hold, in model order.
OVERRIDABLE: tuple[str, ...] = tuple(f for f in PlanParams.model_fields if f not in PLAN_KEYS | RUNTIME_KEYS)
_HASH_EXCLUDED = ("source_files", "region_overrides", "scenarios", "archive")  # data is fingerprinted separately


# ---------------------------------------------------------------------------------
# Expected-value texts from the model
# ---------------------------------------------------------------------------------
def _strip_annotated(ann: Any) -> tuple[Any, list[Any]]:
    meta: list[Any] = []
    while get_origin(ann) is Annotated:
        args = get_args(ann)
        ann, meta = args[0], [*args[1:], *meta]
    return ann, meta


def _is_model(ann: Any) -> bool:
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def _optional_inner(ann: Any) -> Any | None:
    """``X | None`` -> X; anything else -> None."""
    if get_origin(ann) in (Union, types.UnionType):
        args = [a for a in get_args(ann) if a is not type(None)]
        if len(args) == 1 and len(get_args(ann)) == 2:
            return args[0]
    return None


def _field_at(loc: tuple) -> tuple[Any, list[Any], type[BaseModel] | None]:
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
        if isinstance(part, str) and _is_model(ann):
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


def _constraints(meta: list[Any]) -> str:
    bits = []
    for m in [x for m in meta for x in (m.metadata if isinstance(m, FieldInfo) else [m])]:
        if isinstance(m, annotated_types.Ge):
            bits.append(f">= {m.ge}")
        elif isinstance(m, annotated_types.Gt):
            bits.append(f"> {m.gt}")
        elif isinstance(m, annotated_types.Le):
            bits.append(f"<= {m.le}")
        elif isinstance(m, annotated_types.Lt):
            bits.append(f"< {m.lt}")
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
    if _is_model(ann):
        keys = ", ".join(_yaml_keys(ann))
        return f"mappings with the keys {keys}" if plural else f"a mapping with the keys {keys}"
    return "a valid value"


def _yaml_keys(model: type[BaseModel]) -> list[str]:
    return [k for k in model.model_fields if not (model is PlanParams and k in RUNTIME_KEYS)]


_GOT_TYPES = {
    "int_type", "float_type", "bool_type", "string_type", "tuple_type", "list_type", "dict_type",
    "model_type", "path_type", "literal_error", "greater_than", "greater_than_equal", "less_than",
    "less_than_equal", "string_pattern_mismatch", "string_too_short", "string_too_long", "too_short",
    "too_long", "finite_number", "int_from_float", "int_parsing", "bool_parsing", "float_parsing",
    "model_attributes_type",
}  # fmt: skip


def _error_text(err: Mapping[str, Any], origin_kind: str) -> str:
    """'<what is wrong>; expected <what>' for one pydantic error."""
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        _, _, owner = _field_at(loc)
        if owner is None or owner is PlanParams and len(loc) == 1:
            keys = list(OVERRIDABLE) if origin_kind in ("region", "scenario") else _yaml_keys(PlanParams)
        else:
            keys = _yaml_keys(owner)
        return f"unknown key; expected one of {', '.join(keys)}"
    ann, meta, _ = _field_at(loc)
    expected = _expected(ann, meta) if ann is not None else "a valid value"
    if kind == "missing":
        return f"missing; expected {expected}"
    if kind == "value_error":
        if ann is not None and _is_model(_strip_annotated(ann)[0]):
            return f"{err['ctx']['error']}"  # a check across the section's keys: the message names them
        return f"{err['ctx']['error']}; expected {expected}"
    if kind in _GOT_TYPES:
        return f"got {_describe(err['input'])}; expected {expected}"
    return f"{err['msg'][:1].lower()}{err['msg'][1:]} (got {_describe(err['input'])}); expected {expected}"


# ---------------------------------------------------------------------------------
# Reading, merging, validating
# ---------------------------------------------------------------------------------
_ORDER = {"plan": 0, "snapshot": 0, "region": 1, "scenario": 2}


@dataclass
class _Source:
    path: Path  # absolute
    shown: str  # as the user named it
    kind: str  # plan / region / scenario / snapshot
    data: Any
    lines: dict[tuple, int]


def _read_source(path: Path, shown: str, kind: str, problems: list[_Problem]) -> _Source:
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
            _index_nodes(node, (), lines, loader.node_paths)
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
        problems.append(_Problem(order, shown, line, _dotted(key_path), text_))
    if data is None and kind in ("region", "scenario"):
        data = {}
    if not isinstance(data, dict):
        raise ParamsError(
            f"{shown}:1: (top level): got {_describe(data)}; expected a mapping of "
            + ("plan keys (plan_id, title, year, …)" if kind in ("plan", "snapshot") else "sections to override")
        )
    return _Source(Path(os.path.abspath(path)), shown, kind, data, lines)


def _freeze(value: Any) -> Any:
    """Lists become tuples (the model is frozen), mappings are copied."""
    if isinstance(value, dict):
        return {k: _freeze(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _merge(target: dict, overlay: dict, path: tuple, origin: dict, src: _Source) -> None:
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


def _validate(
    sources: list[_Source],
    runtime: dict[str, Any],
    problems: list[_Problem],
    *,
    base_dir: Path,
    tree: RegionTree | None,
) -> PlanParams:
    """Merge the sources, validate once, and raise every problem found in one ParamsError."""
    first = sources[0]
    merged: dict[str, Any] = {}
    origin: dict[tuple, tuple[_Source, int | None]] = {(): (first, 1)}
    for src in sources:
        data = dict(src.data)
        for key in list(data):
            line = src.lines.get((key,))
            if key in RUNTIME_KEYS and src.kind != "snapshot":
                problems.append(
                    _Problem(_ORDER[src.kind], src.shown, line, key,
                             "is set by load_plan (the region and scenario asked for), not in a file; "
                             "expected the key removed")
                )  # fmt: skip
                del data[key]
            elif key in PLAN_KEYS and src.kind in ("region", "scenario"):
                problems.append(
                    _Problem(_ORDER[src.kind], src.shown, line, key,
                             f"only the plan file sets this; expected only {', '.join(OVERRIDABLE)} "
                             f"in a {src.kind} file")
                )  # fmt: skip
                del data[key]
        _merge(merged, data, (), origin, src)
    merged.update(runtime)
    try:
        params = PlanParams.model_validate(_freeze(merged), context={"base_dir": base_dir, "tree": tree})
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
                problems.append(_Problem(0, first.shown, None, _dotted(loc), _error_text(err, "plan")))
                continue
            problems.append(
                _Problem(_ORDER[src.kind], src.shown, line or 1, _dotted(loc), _error_text(err, src.kind))
            )
        _raise(problems)
        raise  # unreachable: _raise always raises on a non-empty list
    _raise(problems)
    return params


def _folder(plan: _Source, key: str, problems: list[_Problem]) -> tuple[Path, Path] | None:
    """The (absolute, shown) folder a plan key names, if it is a string naming a folder."""
    raw = plan.data.get(key)
    if not isinstance(raw, str) or not raw.strip():
        return None  # absent, or a type error the model reports
    absolute = Path(os.path.normpath(plan.path.parent / raw))
    shown = Path(plan.shown).parent / raw
    if not absolute.is_dir():
        problems.append(
            _Problem(0, plan.shown, plan.lines.get((key,)), key,
                     f"the folder {shown} does not exist; expected an existing folder (relative to the plan file)")
        )  # fmt: skip
        return None
    return absolute, shown


def _check_override_names(
    folder: Path, folder_shown: Path, tree: RegionTree | None, problems: list[_Problem]
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
            text = f"{_short(file.stem)!r} is not a region id; expected <region_id>.yaml"
        elif tree is not None and file.stem not in tree:
            text = (
                f"{file.stem!r} is not in the archive's regions table; "
                "expected <region_id>.yaml for an existing region"
            )
        if text is not None:
            problems.append(_Problem(1, shown, 1, "(file name)", text))


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
        raise ParamsError(f"{shown}: region: got {_describe(region)}; expected {_REGION_EXPECTED}")
    if not isinstance(scenario, str) or not is_valid_region_id(scenario):
        raise ParamsError(f"{shown}: scenario: got {_describe(scenario)}; expected 'base' or a scenario file name")
    problems: list[_Problem] = []
    plan = _read_source(plan_path, shown, "plan", problems)
    sources = [plan]

    regions_dir = _folder(plan, "region_overrides", problems)
    if regions_dir is not None:
        folder, folder_shown = regions_dir
        _check_override_names(folder, folder_shown, tree, problems)
        file = folder / f"{region}.yaml"
        if region is not None and file.is_file():
            sources.append(_read_source(file, str(folder_shown / file.name), "region", problems))

    scenarios_dir = _folder(plan, "scenarios", problems)
    if scenarios_dir is not None:
        folder, folder_shown = scenarios_dir
        names = sorted(f.stem for f in folder.glob("*.yaml") if f.is_file())
        if BASE_SCENARIO in names:
            text = f"'{BASE_SCENARIO}' is the plan itself; expected the file renamed"
            problems.append(_Problem(2, str(folder_shown / "base.yaml"), 1, "(file name)", text))
        if scenario != BASE_SCENARIO:
            file = folder / f"{scenario}.yaml"
            if file.is_file():
                sources.append(_read_source(file, str(folder_shown / file.name), "scenario", problems))
            else:
                choices = ", ".join([BASE_SCENARIO, *[n for n in names if n != BASE_SCENARIO]])
                text = f"no file {folder_shown / file.name}; expected one of {choices}"
                problems.append(_Problem(0, shown, None, "scenario", text))
    elif scenario != BASE_SCENARIO and "scenarios" not in plan.data:
        text = (
            f"{scenario!r} asked for, but the plan names no scenarios folder; "
            "expected 'base' or a 'scenarios:' key"
        )
        problems.append(_Problem(0, shown, None, "scenario", text))

    runtime = {
        "source_files": tuple(s.path for s in sources),
        "region": region,
        "scenario": scenario,
    }
    return _validate(sources, runtime, problems, base_dir=plan.path.parent, tree=tree)


# ---------------------------------------------------------------------------------
# Snapshots and overrides
# ---------------------------------------------------------------------------------
def _comment_safe(text: str) -> str:
    return "".join(ch if ch >= " " else "?" for ch in text)


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
        Dumper=_Dumper,
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
    problems: list[_Problem] = []
    src = _read_source(snap_path, str(snap_path), "snapshot", problems)
    return _validate([src], {}, problems, base_dir=src.path.parent, tree=tree)


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
    ann, meta, owner = _field_at(parts)
    if ann is None:
        keys = ", ".join(_yaml_keys(owner)) if owner is not None else ", ".join(OVERRIDABLE)
        raise ParamsError(f"{section_path}: unknown key; expected one of {keys}")
    info = next((m for m in meta if isinstance(m, FieldInfo)), None)
    plain = _plain(value)
    check = ann if info is None else Annotated[ann, info]
    try:
        TypeAdapter(check, config=None if _is_model(ann) else ConfigDict(strict=True)).validate_python(
            _freeze(plain), context={}
        )
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            err = {**err, "loc": parts + tuple(err["loc"])}
            lines.append(f"{_dotted(tuple(err['loc']))}: {_error_text(err, 'region')}")
        raise ParamsError("\n".join(lines)) from None
    nested: Any = plain
    for part in reversed(parts):
        nested = {part: nested}
    return yaml.dump(nested, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


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
    return yaml.dump(nested, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False) if nested else ""
