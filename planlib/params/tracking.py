"""
The ``tracking`` section: living with the plan after it is signed (issue #13).

How unmet targets roll forward, what an over-budget total does, and the KPI rule sets
that score regions and people (DOMAIN.md §8). Strict like every section: unknown keys
and wrong types are errors naming the file, the line and the dotted key; the weights of
a rule set's indicators must sum to 1.

Public names
------------
Tracking
    The section: ``rollover``, ``over_budget``, ``kpi``.
Kpi
    The rule sets and which one scores regions, people and each role.
RuleSet, Indicator, Deduction, Pay
    One rule set: its base, weighted indicators, deductions per event, shortfalls, pay rule.
STANDARD_RULE_SET, MAX_POINTS
    The built-in rule set ``standard``; the largest number of points any rule may give.

The format is documented in docs/params.md (section "tracking").
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from planlib.params.limits import MAX_MONEY

__all__ = ["Tracking", "Kpi", "RuleSet", "Indicator", "Deduction", "Pay", "STANDARD_RULE_SET", "MAX_POINTS"]

#: No rule gives or takes more than this many points (per point, per unit, base, cap or floor).
MAX_POINTS = 1000.0
#: The weights of a rule set's indicators sum to 1 within this.
WEIGHT_TOLERANCE = 1e-6

#: A measure, an event kind or a rule set's name.
Code = Annotated[
    str,
    Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64,
          json_schema_extra={"expected": "a code of lower-case letters, digits and '_', starting with a letter"}),
]
Line = Annotated[str, annotated_types.MinLen(1)]
Points = Annotated[float, Field(ge=0, le=MAX_POINTS)]


class _Section(BaseModel):
    # the config of planlib.params.model.Section (model imports this module, so it is not imported here)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Indicator(_Section):
    """
    One weighted indicator of a rule set: points per percentage point off its target.

    Attributes
    ----------
    measure : str
        The facts' measure it scores (``volume``, ``revenue``, ``collection``,
        ``new_terminals``, ``coverage``, ``expense_ratio`` …).
    weight : float
        Its weight in (0, 1]; a rule set's weights sum to 1.
    label : str or None
        Its name in the reports; None: the measure's own (回款完成率 for collection …).
    basis : str, default "completion"
        ``completion``: the value is actual / target in percent and is compared with 100;
        ``difference``: the value is the actual ratio in percent, compared with the
        target's (an expense ratio of 22% against 20% is 2 points above).
    better : str, default "higher"
        ``higher`` (a completion) or ``lower`` (an expense ratio).
    per_point_above, per_point_below : float, default 1
        Points per percentage point above / below the target, added when that side is
        better, taken when it is worse.
    cap, floor : float or None
        The most points the indicator adds (>= 0) and the most it takes (<= 0), before
        its weight; None: no limit.
    rollover : str, default "none"
        ``next_month``: the unmet part of each closed month is added to the next month's
        target before scoring (the source's 当月未完成回款额滚动加入下月计划); ``none``: the
        plan's target. (``spread`` is a plan-wide revision, ``tracking.rollover``; a month
        is scored against what it was asked.)
    """

    measure: Code
    weight: float = Field(gt=0, le=1)
    label: Line | None = None
    basis: Literal["completion", "difference"] = "completion"
    better: Literal["higher", "lower"] = "higher"
    per_point_above: Points = 1.0
    per_point_below: Points = 1.0
    cap: Points | None = None
    floor: Annotated[float, Field(ge=-MAX_POINTS, le=0)] | None = None
    rollover: Literal["none", "next_month"] = "none"


class Deduction(_Section):
    """
    Points taken per unit of an event's value (a missing report, a lost customer, a day late).

    Attributes
    ----------
    points : float
        Points per unit, > 0.
    label : str or None
        The event's name in the reports; None: the built-in one for the kind.
    unit : str or None
        The word for one unit (个, 天, 次); None: the built-in one.
    cap : float or None
        The most points this kind takes in a month; None: no limit.
    """

    points: float = Field(gt=0, le=MAX_POINTS)
    label: Line | None = None
    unit: Line | None = None
    cap: float | None = Field(None, gt=0, le=MAX_POINTS)


class Pay(_Section):
    """
    A monthly pay rule against a sales target (the source: 8 万元 a month, 90% below it,
    300 元 per 10,000 above, 50 元 per missing daily report).

    Attributes
    ----------
    measure : str, default "revenue"
        The facts' measure the pay is measured on.
    target : float or None
        The monthly target in the plan currency; None: the facts' target of the measure.
    base_pay : float
        The normal monthly pay (正常工资) paid at or above the target.
    below_factor : float, default 0.9
        The share of the base pay paid below the target.
    step, per_step : float, default 10000 and 300
        A commission of ``per_step`` for every full ``step`` sold above the target
        (partial steps earn nothing).
    deductions : mapping
        Event kind -> money taken per unit of the event's value (``missing_daily_report: 50``).
    """

    measure: Code = "revenue"
    target: float | None = Field(None, gt=0, le=MAX_MONEY)
    base_pay: float = Field(gt=0, le=MAX_MONEY)
    below_factor: float = Field(0.9, ge=0, le=1)
    step: float = Field(10000.0, gt=0, le=MAX_MONEY)
    per_step: float = Field(300.0, ge=0, le=MAX_MONEY)
    deductions: dict[Code, Annotated[float, Field(gt=0, le=MAX_MONEY)]] = Field(default_factory=dict)


class RuleSet(_Section):
    """
    One way of scoring a region or a person for a month.

    Attributes
    ----------
    label : str
        The rule set's name in the reports (区域综合考核, 外贸业务员考核 …).
    base : float, default 100
        The points of an entity exactly on every target with nothing deducted.
    indicators : tuple of Indicator
        At least one; each measure once; the weights sum to 1.
    deductions : mapping
        Event kind -> :class:`Deduction` (points per unit of the person's events of that kind).
    shortfalls : mapping
        Measure -> :class:`Deduction` (points per unit the actual falls short of the
        target, e.g. per planned new customer not won).
    pay : Pay or None
        The monthly pay rule, if the rule set pays.

    Notes
    -----
    total = base + sum_i weight_i * points_i - deductions - shortfalls, where points_i is
    the indicator's points before its weight, within its cap and floor.
    """

    label: Line
    base: float = Field(100.0, ge=-MAX_POINTS, le=MAX_POINTS)
    indicators: tuple[Indicator, ...] = Field(
        min_length=1,
        json_schema_extra={"expected": "a list of indicators (measure, weight, …), each measure once, "
                                       "whose weights sum to 1"},
    )
    deductions: dict[Code, Deduction] = Field(default_factory=dict)
    shortfalls: dict[Code, Deduction] = Field(default_factory=dict)
    pay: Pay | None = None

    @field_validator("indicators")
    @classmethod
    def _weights_sum_to_one(cls, indicators: tuple[Indicator, ...]) -> tuple[Indicator, ...]:
        measures = [i.measure for i in indicators]
        twice = sorted({m for m in measures if measures.count(m) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} listed twice")
        total = math.fsum(i.weight for i in indicators)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            parts = " + ".join(f"{i.measure} {i.weight:g}" for i in indicators)
            raise ValueError(f"the weights sum to {total:g}, not 1 ({parts})")
        return indicators


#: The built-in rule set for regions and salespeople: six indicators, 1 point per
#: percentage point of completion (2 for coverage, 5 per point of expense ratio over
#: its target), each within +20 / −50 points before its weight.
STANDARD_RULE_SET = RuleSet(
    label="区域与业务员综合考核",
    base=100.0,
    indicators=(
        Indicator(measure="volume", weight=0.3, cap=20.0, floor=-50.0),
        Indicator(measure="revenue", weight=0.25, cap=20.0, floor=-50.0),
        Indicator(measure="collection", weight=0.2, cap=20.0, floor=-50.0),
        Indicator(measure="new_terminals", weight=0.1, cap=20.0, floor=-50.0),
        Indicator(measure="coverage", weight=0.1, basis="difference", per_point_above=2.0, per_point_below=2.0,
                  cap=20.0, floor=-50.0),
        Indicator(measure="expense_ratio", weight=0.05, basis="difference", better="lower", per_point_above=5.0,
                  per_point_below=2.0, cap=20.0, floor=-50.0),
    ),
    deductions={"missing_report": Deduction(points=2.0), "lost_customer": Deduction(points=5.0)},
)


class Kpi(_Section):
    """
    The KPI rule sets and whom each scores.

    Attributes
    ----------
    rule_sets : mapping
        Name -> :class:`RuleSet`, beside the built-in ``standard``
        (:data:`STANDARD_RULE_SET`), which a set of that name replaces.
    regions : str or None, default "standard"
        The rule set that scores every region; None: regions are not scored.
    people : str or None, default "standard"
        The rule set of a person whose role is not in ``roles``; None: not scored.
    roles : mapping
        A person's role (the ``people.role`` column, as written there) -> rule set.
    """

    rule_sets: dict[Code, RuleSet] = Field(default_factory=dict)
    regions: Code | None = "standard"
    people: Code | None = "standard"
    roles: dict[Annotated[str, Field(min_length=1, max_length=64)], Code] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _rule_sets_exist(self) -> Kpi:
        known = self.all_rule_sets()
        named = [("regions", self.regions), ("people", self.people),
                 *((f"roles.{role}", name) for role, name in self.roles.items())]
        bad = [f"{key}: {name!r} is not a rule set" for key, name in named if name is not None and name not in known]
        if bad:
            raise ValueError(f"{'; '.join(bad)}; expected one of the rule sets: {', '.join(known)}")
        return self

    def all_rule_sets(self) -> dict[str, RuleSet]:
        """The rule sets by name: ``standard`` (built in, unless ``rule_sets`` replaces it), then ``rule_sets``."""
        return {"standard": STANDARD_RULE_SET, **self.rule_sets}

    def rule_set_of(self, entity_kind: str, role: str | None = None) -> str | None:
        """
        The name of the rule set that scores an entity, or None.

        Parameters
        ----------
        entity_kind : {"region", "person"}
        role : str or None
            A person's role.
        """
        if entity_kind == "region":
            return self.regions
        if role is not None and role in self.roles:
            return self.roles[role]
        return self.people


class Tracking(_Section):
    """
    How the signed plan is tracked through the year.

    Attributes
    ----------
    rollover : str, default "next_month"
        ``next_month``: the unmet part of a month is added to the next month's target (the
        source's rule); ``spread``: the shortfall to date is spread over the remaining
        months by their profile; ``none``: the plan's targets stay. Every revised target
        set still sums to the year's target.
    over_budget : str, default "warn"
        What a total spend over its phased budget is flagged as: ``warn`` or ``stop``.
    kpi : Kpi
        The KPI rule sets.
    """

    rollover: Literal["none", "next_month", "spread"] = "next_month"
    over_budget: Literal["warn", "stop"] = "warn"
    kpi: Kpi = Kpi()
