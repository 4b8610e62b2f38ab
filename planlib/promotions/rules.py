"""
Promotion and membership schemes as data: the rule table's model and its strict loader.

A scheme lives in ``params/promotions/<name>.yaml`` (format in docs/promotions.md). It is
read like the plan (:func:`planlib.params.strict_yaml.read_yaml_file`: YAML 1.2 core
scalars, no duplicate keys, no tags), validated by the frozen, strict models below, and
checked across its keys (tiers that overlap, a reward without a threshold, an item
without a price, dates outside the plan year). Every problem is reported at once, one
line each: ``<file>:<line>: <dotted.key>: <what is wrong>; expected <what>``.

Public names
------------
Scheme, Rule, Tier, Eligibility, Forfeit
    The rule table: a scheme's units, eligibility, reward items with their cost, rules
    (per_unit, per_step, tiered; capped), prize pool and forfeits.
load_scheme, load_schemes
    One rule table read strictly; every table of a folder by file stem.
num_text
    A number as messages and reports write it.
rule_problems, scheme_problems
    The cross-key checks of a rule and of a scheme, as (key path, text) pairs (the
    models run them; the loader reports them with their lines).
METHODS, ROUNDINGS, CUSTOMERS, UNIT_KINDS, DISCOUNT
    The valid names.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from planlib.errors import ParamsError
from planlib.params.limits import MAX_MONEY
from planlib.params.model import PlanDate, RegionId
from planlib.params.problems import Problem, raise_problems
from planlib.params.resolve import freeze_data
from planlib.params.strict_yaml import describe_value, dotted_key, read_yaml_file
from planlib.schemas import ACTIVITY_KINDS

__all__ = [
    "METHODS",
    "ROUNDINGS",
    "CUSTOMERS",
    "UNIT_KINDS",
    "DISCOUNT",
    "Eligibility",
    "Tier",
    "Rule",
    "Forfeit",
    "Scheme",
    "num_text",
    "rule_problems",
    "scheme_problems",
    "load_scheme",
    "load_schemes",
]

#: How a rule turns a unit's measure into a reward.
METHODS = ("per_unit", "per_step", "tiered")
#: How a partial step (or a fractional per-unit quantity) becomes whole items.
ROUNDINGS = ("floor", "round", "ceil")
#: Who a customer is to the company: ``new`` (no purchase before the scheme's year) or ``existing``.
CUSTOMERS = ("new", "existing")
#: What one row of the distribution is.
UNIT_KINDS = ("customer", "terminal", "branch", "region", "member", "salesperson")
#: The reward name of a tier's discount in the costing's tables.
DISCOUNT = "discount"

_NAME_RE = r"^[A-Za-z_][A-Za-z0-9_]{0,39}$"
_FILE_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _says(expected: str) -> dict[str, str]:
    return {"expected": expected}


Money = Annotated[float, Field(ge=0, le=MAX_MONEY, json_schema_extra=_says(f"an amount >= 0 and <= {MAX_MONEY:,.0f}"))]
Threshold = Annotated[
    float, Field(ge=0, le=MAX_MONEY, json_schema_extra=_says("a threshold >= 0 (an amount or a count)"))
]
Measure = Annotated[
    str,
    Field(pattern=_NAME_RE, json_schema_extra=_says("a column of the distribution such as amount, count or volume")),
]
Item = Annotated[str, Field(min_length=1, max_length=40, json_schema_extra=_says("an item name (1-40 characters)"))]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Quantity = Annotated[float, Field(ge=0, le=MAX_MONEY, json_schema_extra=_says("a quantity >= 0"))]
Quantities = Annotated[
    dict[Item, Quantity],
    Field(json_schema_extra=_says("a mapping of item -> quantity >= 0")),
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Eligibility(_Section):
    """
    Who may take part: customers, channels, regions and dates (all of them when not set).

    Attributes
    ----------
    customers : tuple of {"new", "existing"}, default both
    channels : tuple of str, default () — every channel
    regions : tuple of region ids, default () — everywhere; a region stands for its subtree
        when the costing is given the region tree
    start, end : ISO date or None
        The first and last day, in the plan year; None: from the year's start, to its end.
    """

    customers: tuple[Literal[CUSTOMERS], ...] = Field(
        CUSTOMERS, min_length=1, json_schema_extra=_says("a list of new, existing (at least one)")
    )
    channels: tuple[Annotated[str, Field(min_length=1, max_length=64)], ...] = ()
    regions: tuple[RegionId, ...] = ()
    start: PlanDate | None = None
    end: PlanDate | None = None


class Tier(_Section):
    """
    One step of a tiered rule: units whose measure is at least ``at_least`` (and below
    ``below`` when given) get ``gives`` and/or a ``discount`` on their measure.

    Attributes
    ----------
    at_least : float
        The tier's threshold (inclusive); required — a tier without it is an error.
    below : float, optional
        Exclusive upper bound; unset: up to the next tier's threshold (the last: no bound).
    name : str, optional
        The tier's label (金卡, 8折, 4000份); default its threshold.
    gives : mapping item -> whole quantity
    discount : float, optional
        A fraction of the unit's measure given back (0.1 for 9折).
    """

    at_least: Threshold | None = None
    below: Threshold | None = None
    name: Text | None = None
    gives: Quantities = Field(default_factory=dict)
    discount: float | None = Field(None, ge=0, le=1, json_schema_extra=_says("a fraction from 0 to 1 (0.1 for 9折)"))

    def label(self) -> str:
        """The tier's name, else its threshold as people write it (``30,000``)."""
        if self.name:
            return self.name
        t = self.at_least or 0.0
        return f"{t:,.0f}" if float(t).is_integer() else f"{t:,}"


class Rule(_Section):
    """
    One rule of a scheme: a threshold on a measure and the reward it gives.

    Attributes
    ----------
    name : str
    method : {"per_unit", "per_step", "tiered"}
        ``per_unit``: ``gives`` per unit of the measure from ``minimum`` on (2 tickets per
        code plate, 0.01 yuan per yuan); ``per_step``: ``gives`` per whole ``step``
        (a ticket per 30,000), from ``minimum`` (default one step) on; ``tiered``: the
        highest tier reached.
    measure : str, default "amount"
        The distribution's column the thresholds read (``amount``, ``count``, ``volume``…).
    eligible : Eligibility
        Narrows the scheme's eligibility for this rule (both must admit a unit).
    step, minimum : float, optional
        The thresholds of ``per_step`` (step; minimum) and ``per_unit`` (minimum, required).
    requires : mapping measure -> minimum
        Further conditions, all to be met (50 records *and* 10 invited customers).
    gives : mapping item -> quantity
        Per step or per unit of the measure (whole numbers for per_step).
    tiers : tuple of Tier
        For ``tiered``: listed by rising ``at_least``, not overlapping.
    rounding : {"floor", "round", "ceil"}, default "floor"
        How partial steps (per_step) and fractional quantities (per_unit) become whole
        items; ``round`` is half up.
    cap : mapping item -> quantity
        The most of an item one unit gets from this rule.
    discount_cap : float, optional
        The most one unit's discount may be worth (plan currency).
    copies : int, default 1
        How many people each reward goes to (2: the drawn customer and the salesperson).
    """

    name: Text
    method: Literal[METHODS]
    measure: Measure = "amount"
    eligible: Eligibility = Eligibility()
    step: float | None = Field(None, gt=0, le=MAX_MONEY, json_schema_extra=_says("a step > 0 (an amount or a count)"))
    minimum: Threshold | None = None
    requires: dict[Measure, Threshold] = Field(default_factory=dict)
    gives: Quantities = Field(default_factory=dict)
    tiers: tuple[Tier, ...] = ()
    rounding: Literal[ROUNDINGS] = "floor"
    cap: Quantities = Field(default_factory=dict)
    discount_cap: Money | None = None
    copies: int = Field(1, ge=1, le=100)

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        found = rule_problems(self)
        if found:
            raise PydanticCustomError("scheme_rules", "{text}", {"text": found[0][1], "problems": found})
        return self


class Forfeit(_Section):
    """
    Below a minimum, a unit loses every reward of the scheme and pays a penalty.

    Attributes
    ----------
    measure : str, default "count"
    below : float
        Units whose measure (over the scheme's dates) is below this forfeit.
    penalty : float, default 0
        What a forfeiting unit pays (plan currency); it lowers the scheme's net cost.
    reason : str
    """

    measure: Measure = "count"
    below: Threshold
    penalty: Money = 0.0
    reason: str = Field("", max_length=200)


class Scheme(_Section):
    """
    A promotion or membership scheme: who takes part, what each rule gives and what it costs.

    Attributes
    ----------
    name : str
        Its title (any Unicode).
    unit : {"customer", "terminal", "branch", "region", "member", "salesperson"}
        What one row of the distribution is.
    kind : str, default "promotion"
        The activity kind whose past lift (the budget's response curves) predicts its own.
    source : str
        Where it comes from (the source article, a memo).
    eligible : Eligibility
    items : mapping item -> cost
        Every reward item with its cost each (plan currency): tickets, prizes, gifts.
    rules : tuple of Rule
        At least one; names unique.
    pool : mapping item -> whole quantity
        The most of an item the whole scheme gives (the prize pool); demand beyond it is
        cut across units by largest remainder.
    forfeits : tuple of Forfeit
    labels : mapping measure -> words
        How the report names a measure (``code_plates: e码通码牌``); amount, count and
        volume have their own words.
    """

    name: Text
    unit: Literal[UNIT_KINDS]
    kind: Literal[ACTIVITY_KINDS] = "promotion"
    source: str = Field("", max_length=400)
    eligible: Eligibility = Eligibility()
    items: dict[Item, Money] = Field(default_factory=dict)
    rules: tuple[Rule, ...] = Field(min_length=1, json_schema_extra=_says("a list of rules (at least one)"))
    pool: dict[Item, Annotated[int, Field(ge=0, le=10**12)]] = Field(default_factory=dict)
    forfeits: tuple[Forfeit, ...] = ()
    labels: dict[Measure, Text] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Scheme:
        found = scheme_problems(self)
        if found:
            raise PydanticCustomError("scheme_rules", "{text}", {"text": found[0][1], "problems": found})
        return self

    def rule(self, name: str) -> Rule:
        """The rule of that name; ParamsError listing the names otherwise."""
        for r in self.rules:
            if r.name == name:
                return r
        raise ParamsError(f"{self.name}: no rule {name!r}; expected one of {', '.join(r.name for r in self.rules)}")

    def window(self, rule: Rule | None = None) -> tuple[str | None, str | None]:
        """(start, end) of the scheme, narrowed by ``rule``'s dates (ISO strings or None)."""
        start, end = self.eligible.start, self.eligible.end
        if rule is not None:
            start = max(filter(None, (start, rule.eligible.start)), default=None)
            end = min(filter(None, (end, rule.eligible.end)), default=None)
        return start, end

    def measures(self) -> tuple[str, ...]:
        """Every column of the distribution the scheme reads, in first use order."""
        names = [r.measure for r in self.rules] + [m for r in self.rules for m in r.requires]
        names += [f.measure for f in self.forfeits]
        return tuple(dict.fromkeys(names))


# ---------------------------------------------------------------------------------
# Checks across keys
# ---------------------------------------------------------------------------------
_NO_THRESHOLD = "a reward without a threshold"


def num_text(x: float) -> str:
    """A threshold or quantity as people write it: ``30,000``, ``2.5``."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,}"


def _whole(q: float) -> bool:
    return float(q).is_integer()


def rule_problems(rule: Rule) -> list[tuple[tuple, str]]:
    """(key path inside the rule, "<what is wrong>; expected <what>") of one rule's cross-key checks."""
    out: list[tuple[tuple, str]] = []
    m = rule.method
    unused = {
        "step": m != "per_step" and rule.step is not None,
        "tiers": m != "tiered" and bool(rule.tiers),
        "gives": m == "tiered" and bool(rule.gives),
        "minimum": m == "tiered" and rule.minimum is not None,
        "rounding": m == "tiered" and rule.rounding != "floor",
    }
    used_by = {"step": "per_step rules", "tiers": "tiered rules", "gives": "per_step and per_unit rules (a tier "
               "has its own gives)", "minimum": "per_step and per_unit rules (a tier has its own at_least)",
               "rounding": "per_step and per_unit rules"}  # fmt: skip
    out += [((key,), f"not used by a {m} rule; expected it only in {used_by[key]}")
            for key, bad in unused.items() if bad]
    if m == "per_step":
        if rule.step is None:
            out.append(((), (f"{_NO_THRESHOLD}: a per_step rule needs step; expected step: the amount (or count) "
                            "that earns one reward, e.g. step: 30000")))
        elif rule.minimum is not None and rule.minimum < rule.step and rule.rounding == "floor":
            text = (f"{num_text(rule.minimum)} is below one step ({num_text(rule.step)}), which floor rounding never "
                    "rewards; expected minimum >= step (or leave it out)")
            out.append((("minimum",), text))
        if not rule.gives:
            out.append((("gives",), "nothing given; expected a mapping of item -> quantity per step"))
        out += [(("gives", k), f"{q:g} is not a whole number; expected whole items per step")
                for k, q in rule.gives.items() if not _whole(q)]
    elif m == "per_unit":
        if rule.minimum is None:
            out.append(((), (f"{_NO_THRESHOLD}: a per_unit rule needs minimum; expected minimum: the amount (or "
                            "count) from which a unit earns, e.g. minimum: 3 (0 rewards from the first)")))
        if not rule.gives:
            out.append((("gives",), "nothing given; expected a mapping of item -> quantity per unit of the measure"))
    else:
        out += _tier_problems(rule)
    out += [(("cap", k), f"{rule.name} gives no {k!r}; expected a cap on an item the rule gives")
            for k in rule.cap if k not in _given(rule)]
    if rule.discount_cap is not None and not any(t.discount for t in rule.tiers):
        out.append((("discount_cap",), "the rule gives no discount; expected discount_cap only beside tiers' discount"))
    out += _window_problems(rule.eligible, ("eligible",))
    return out


def _given(rule: Rule) -> set[str]:
    return set(rule.gives) | {k for t in rule.tiers for k in t.gives}


def _tier_problems(rule: Rule) -> list[tuple[tuple, str]]:
    out: list[tuple[tuple, str]] = []
    if not rule.tiers:
        return [(("tiers",), "no tiers; expected a list of tiers, e.g. [{at_least: 1000, gives: {豆浆机: 5}}]")]
    last: tuple[int, float, float | None] | None = None  # (index, at_least, below) of the previous tier
    for i, t in enumerate(rule.tiers):
        at = ("tiers", i)
        if not t.gives and t.discount is None:
            out.append((at, "a tier without a reward; expected gives: {item: quantity} or discount: a fraction"))
        if t.at_least is None:
            out.append((at, f"{_NO_THRESHOLD}; expected at_least: the measure from which the tier applies"))
            continue
        out += [((*at, "gives", k), f"{q:g} is not a whole number; expected whole items per tier")
                for k, q in t.gives.items() if not _whole(q)]
        if t.below is not None and t.below <= t.at_least:
            text = f"{num_text(t.below)} is not above at_least {num_text(t.at_least)}; expected below > at_least"
            out.append(((*at, "below"), text))
            continue
        if last is not None:
            j, prev_at, prev_below = last
            if t.at_least == prev_at or (prev_below is not None and t.at_least < prev_below):
                upper = num_text(prev_below) if prev_below is not None else "the next tier"
                text = (f"tiers[{i}] ({num_text(t.at_least)}) overlaps tiers[{j}] ({num_text(prev_at)} up to {upper}); "
                        "expected tiers that do not overlap")
                out.append(((*at, "at_least"), text))
            elif t.at_least < prev_at:
                text = (f"{num_text(t.at_least)} is below tiers[{j}]'s {num_text(prev_at)}; "
                        "expected tiers listed by rising at_least")
                out.append(((*at, "at_least"), text))
        last = (i, t.at_least, t.below)
    return out


def _window_problems(e: Eligibility, at: tuple) -> list[tuple[tuple, str]]:
    if e.start is not None and e.end is not None and e.end < e.start:
        return [((*at, "end"), f"{e.end} is before start {e.start}; expected an end on or after the start")]
    return []


def scheme_problems(scheme: Scheme) -> list[tuple[tuple, str]]:
    """
    The checks across a scheme's keys.

    Returns
    -------
    list of (tuple, str)
        (key path, "<what is wrong>; expected <what>"), empty when the scheme is sound.
        Checked: rule names unique; every item given, capped or pooled has a cost in
        ``items``; a rule's dates inside the scheme's, its customers, channels and regions
        not disjoint from the scheme's; the scheme's start before its end. (Each rule's
        own checks — a threshold for every reward, tiers that do not overlap — run when
        the rule is built.)
    """
    out = _window_problems(scheme.eligible, ("eligible",))
    seen: dict[str, int] = {}
    priced = set(scheme.items)
    for i, r in enumerate(scheme.rules):
        at = ("rules", i)
        if r.name in seen:
            out.append(((*at, "name"), f"{r.name!r} is also rules[{seen[r.name]}]; expected each rule named once"))
        seen.setdefault(r.name, i)
        where = [(("gives", k),) for k in r.gives] + [(("tiers", j, "gives", k),) for j, t in enumerate(r.tiers)
                                                     for k in t.gives]
        for (path,) in where:
            if path[-1] not in priced:
                out.append(((*at, *path), (f"{path[-1]!r} has no cost; expected an item listed in items "
                                          f"({', '.join(priced) or 'none listed'}) with its cost each")))
        start, end = scheme.eligible.start, scheme.eligible.end
        if r.eligible.start and start and r.eligible.start < start:
            out.append(((*at, "eligible", "start"), (f"{r.eligible.start} is before the scheme's start {start}; "
                                                    f"expected dates inside the scheme's")))
        if r.eligible.end and end and r.eligible.end > end:
            out.append(((*at, "eligible", "end"), (f"{r.eligible.end} is after the scheme's end {end}; "
                                                  f"expected dates inside the scheme's")))
        both = set(r.eligible.customers) & set(scheme.eligible.customers)
        if not both:
            out.append(((*at, "eligible", "customers"), (f"no customer is eligible (the scheme admits only "
                        f"{', '.join(scheme.eligible.customers)}); expected customers the scheme admits")))
        channels = set(r.eligible.channels), set(scheme.eligible.channels)
        if all(channels) and not channels[0] & channels[1]:
            out.append(((*at, "eligible", "channels"), ("no channel is eligible (none is among the scheme's); "
                                                       "expected channels the scheme admits")))
    out += [(("labels", k), (f"the scheme reads no {k!r}; expected labels of the measures it reads "
                            f"({', '.join(scheme.measures())})")) for k in scheme.labels if k not in scheme.measures()]
    out += [(("pool", k), f"{k!r} has no cost; expected an item listed in items")
            for k in scheme.pool if k not in priced]
    out += [(("pool", k), f"no rule gives {k!r}; expected a pool of an item the rules give")
            for k in scheme.pool if k in priced and not any(k in _given(r) for r in scheme.rules)]
    return out


# ---------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------
def _strip(ann: Any) -> tuple[Any, list[Any]]:
    """``Annotated[X | None, …]`` -> (X, its metadata)."""
    meta: list[Any] = []
    while True:
        if get_origin(ann) is Annotated:
            args = get_args(ann)
            ann, meta = args[0], [*args[1:], *meta]
        elif get_origin(ann) in (Union, types.UnionType) and type(None) in get_args(ann) and len(get_args(ann)) == 2:
            ann = next(a for a in get_args(ann) if a is not type(None))
        else:
            return ann, meta


def _field_at(loc: tuple) -> tuple[Any, list[Any]]:
    """The annotation and metadata of the field at ``loc`` in :class:`Scheme` (None if unknown)."""
    ann: Any = Scheme
    meta: list[Any] = []
    for part in loc:
        ann, more = _strip(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel) and isinstance(part, str):
            info = ann.model_fields.get(part)
            if info is None:
                return None, []
            ann, meta = info.annotation, [*info.metadata, info]
        elif isinstance(part, int) and get_origin(ann) is tuple:
            ann, meta = get_args(ann)[0], []
        elif get_origin(ann) is dict:
            ann, meta = get_args(ann)[0 if part == "[key]" else 1], []
        else:
            return None, []
    ann, more = _strip(ann)
    return ann, [*meta, *more]


_BOUNDS = ((annotated_types.Ge, "ge", ">="), (annotated_types.Gt, "gt", ">"), (annotated_types.Le, "le", "<="))


def _field_expected(loc: tuple) -> str:
    """The "expected …" text of the field at ``loc``: its declared text, else its type and bounds."""
    ann, meta = _field_at(loc)
    for m in meta:
        extra = getattr(m, "json_schema_extra", None)
        if isinstance(extra, dict) and "expected" in extra:
            return str(extra["expected"])
    if get_origin(ann) is Literal:
        return "one of " + ", ".join(map(str, get_args(ann)))
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return f"a mapping with the keys {', '.join(ann.model_fields)}"
    names = {float: "a number", int: "an integer", str: "a text", bool: "true or false"}
    if ann in names:
        flat = [x for m in meta for x in (m.metadata if isinstance(m, FieldInfo) else [m])]
        bits = dict.fromkeys(f"{op} {getattr(b, attr):g}" for b in flat for kind, attr, op in _BOUNDS
                             if isinstance(b, kind))
        return names[ann] + (" " + " and ".join(bits) if bits else "")
    if get_origin(ann) is tuple:
        return "a list"
    if get_origin(ann) is dict:
        return "a mapping"
    return "a valid value"


def _owner_keys(loc: tuple) -> list[str]:
    """The keys of the section holding the last part of ``loc``."""
    ann, _ = _field_at(loc[:-1])
    if get_origin(ann) is tuple:
        ann, _ = _strip(get_args(ann)[0])
    return list(ann.model_fields) if isinstance(ann, type) and issubclass(ann, BaseModel) else []


def _error_text(err: Mapping[str, Any]) -> str:
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"unknown key; expected one of {', '.join(_owner_keys(loc))}"
    expected = _field_expected(loc)
    if kind == "missing":
        return f"missing; expected {expected}"
    if kind == "value_error":
        return f"{err['ctx']['error']}; expected {expected}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"got {describe_value(err['input'])}; expected a mapping"
    return f"got {describe_value(err['input'])}; expected {expected}"


def _line(lines: dict[tuple, int], path: tuple) -> int:
    for n in range(len(path), 0, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return 1


def load_scheme(path: str | Path, *, plan_year: int | None = None, shown: str | None = None) -> Scheme:
    """
    Read one rule table strictly.

    Parameters
    ----------
    path : str or Path
        ``params/promotions/<name>.yaml``.
    plan_year : int, optional
        Every date of the scheme must fall in this year; None checks only that they exist.
    shown : str, optional
        The file as messages name it (default ``path``).

    Returns
    -------
    Scheme
        Frozen.

    Raises
    ------
    ParamsError
        Every problem at once, a line each ``<file>:<line>: <dotted.key>: <what is
        wrong>; expected <what>``: unknown keys, wrong types, negative amounts, a reward
        without a threshold, overlapping tiers, items without a cost, dates outside the
        plan year or out of order, and the file-level problems of
        :func:`~planlib.params.strict_yaml.read_yaml_file`.
    """
    path = Path(path)
    shown = shown or str(path)
    doc = read_yaml_file(path, shown)
    problems = [Problem(0, shown, line, dotted_key(p), text) for line, p, text in doc.problems]
    if not isinstance(doc.data, dict):
        problems.append(Problem(0, shown, 1, "(top level)", f"got {describe_value(doc.data)}; expected a mapping "
                                                            f"with the keys {', '.join(Scheme.model_fields)}"))
        raise_problems(problems)
    try:
        scheme = Scheme.model_validate(freeze_data(doc.data), context={"plan_year": plan_year})
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        for err in errors:
            loc = tuple(err["loc"])
            if err["type"] == "too_short" and any(len(e["loc"]) > len(loc) and tuple(e["loc"][:len(loc)]) == loc
                                                  for e in errors):
                continue  # a list short only of the items that failed: those errors say why
            found = err["ctx"]["problems"] if err["type"] == "scheme_rules" else [((), _error_text(err))]
            for sub, text in found:
                where = loc + tuple(sub)
                problems.append(Problem(0, shown, _line(doc.lines, where), dotted_key(where), text))
        raise_problems(problems)
        raise  # pragma: no cover - raise_problems raised
    raise_problems(problems)
    return scheme


def load_schemes(folder: str | Path, *, plan_year: int | None = None) -> dict[str, Scheme]:
    """
    Every ``*.yaml`` rule table of a folder, by file stem, checked together.

    Raises
    ------
    ParamsError
        The problems of every file at once (a file stem that is not a name, a file that
        does not read); a folder that does not exist.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ParamsError(f"{folder}: no such folder; expected the folder of the promotion rule tables")
    out: dict[str, Scheme] = {}
    messages: list[str] = []
    for file in sorted(folder.glob("*.yaml")):
        if not _FILE_STEM.fullmatch(file.stem):
            messages.append(f"{file}:1: (file name): {file.stem!r} is not a scheme name; expected letters, digits, "
                            f"'_', '.', '-'")
            continue
        try:
            out[file.stem] = load_scheme(file, plan_year=plan_year)
        except ParamsError as exc:
            messages.append(str(exc))
    if messages:
        raise ParamsError("\n".join(messages))
    return out
