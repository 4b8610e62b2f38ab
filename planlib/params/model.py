"""
The typed params: one frozen, strict pydantic section per stage, and :class:`PlanParams`.

Every section forbids unknown keys and coerces nothing (``"2027"`` is not an integer).
A field's error message takes its "expected …" text from the field's
``json_schema_extra["expected"]`` when given, else from its type and bounds
(:mod:`planlib.params.problems`).

Public names
------------
Section
    The base of every section (extra keys forbidden, frozen, strict, finite numbers).
Scope, RunSettings, Analysis, Swot, Milestone, Targets, Split, Budget
    The sections (Budget with its ChannelRates, Headcount and Activity).
PlanParams
    One region's resolved params, with ``resolved_dict()`` and ``params_hash()``.
PLAN_KEYS, RUNTIME_KEYS, OVERRIDABLE
    Which keys only the plan file sets, which the loader sets, which a region or
    scenario file may override.
REGION_ID_EXPECTED
    The "expected …" text of a region id.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from planlib.errors import PlanlibError
from planlib.params.limits import (
    MAX_MONEY,
    MAX_PROPOSALS_BYTES,
    MAX_TIMEOUT_SECONDS,
    MAX_UNIT,
    MAX_VOLUME,
    MAX_WEIGHT,
    check_file_inside,
)
from planlib.params.strict_yaml import shorten
from planlib.params.tracking import Tracking
from planlib.schemas import LEVEL_DEPTH, LEVELS, catalogue, is_valid_region_id

__all__ = [
    "PLAN_KEYS",
    "RUNTIME_KEYS",
    "OVERRIDABLE",
    "Scope",
    "RunSettings",
    "Analysis",
    "Swot",
    "Milestone",
    "Targets",
    "Split",
    "Budget",
    "PlanParams",
]


def _says(expected: str) -> dict[str, str]:
    """``json_schema_extra`` carrying the "expected …" text of a field's error messages."""
    return {"expected": expected}


REGION_ID_EXPECTED = "a region id (letters, digits, '_', '.', '-'; at most 64) from the archive's regions table"


def _check_region_id(value: str, info: ValidationInfo) -> str:
    if not is_valid_region_id(value):
        raise ValueError(f"{shorten(value)!r} is not a region id")
    tree = (info.context or {}).get("tree")
    if tree is not None and value not in tree:
        raise ValueError(f"{value!r} is not in the archive's regions table")
    return value


#: A region id; checked against the tree when one is given (every field of this type).
RegionId = Annotated[
    str, AfterValidator(_check_region_id), Field(json_schema_extra=_says(REGION_ID_EXPECTED))
]
Level = Literal[LEVELS]
_NOTEBOOK_RE = re.compile(r"[0-9]{2}_[a-z][a-z0-9_]*")
NotebookName = Annotated[
    str,
    Field(pattern=_NOTEBOOK_RE.pattern, json_schema_extra=_says("a notebook name like 10_review_archive (no .ipynb)")),
]
Line = Annotated[str, annotated_types.MinLen(1)]

def _check_plan_date(value: str, info: ValidationInfo) -> str:
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a date ({exc})") from None
    year = (info.context or {}).get("plan_year")
    if type(year) is int and day.year != year:
        raise ValueError(f"{value!r} is outside the plan year {year}")
    return value


#: A date of the plan: an ISO date (YYYY-MM-DD) that exists, in the plan year (checked
#: when the plan's ``year`` is in the validation context as ``plan_year``).
PlanDate = Annotated[
    str,
    Field(pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra=_says("an ISO date such as 2027-06-30, in the plan year")),
    AfterValidator(_check_plan_date),
]


class Section(BaseModel):
    """The base of every params section: unknown keys forbidden, frozen, strict, finite numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Scope(Section):
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


class RunSettings(Section):
    """
    How the batch runs the plan.

    Attributes
    ----------
    timeout_seconds : int, default 600
        Per notebook and region.
    workers : int, default 2
        Notebooks executed in parallel.
    """

    timeout_seconds: int = Field(600, gt=0, le=MAX_TIMEOUT_SECONDS)
    workers: int = Field(2, ge=1, le=256)


class Analysis(Section):
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


class Swot(Section):
    """The analyst's own SWOT lines, shown with the computed ones."""

    strengths: tuple[Line, ...] = ()
    weaknesses: tuple[Line, ...] = ()
    opportunities: tuple[Line, ...] = ()
    threats: tuple[Line, ...] = ()

    def lines(self) -> dict[str, tuple[str, ...]]:
        """The four boxes as a plain mapping (box -> lines)."""
        return {box: tuple(getattr(self, box)) for box in ("strengths", "weaknesses", "opportunities", "threats")}


class Milestone(Section):
    """A staged distribution goal: by ``date``, ``coverage`` of the key (A/B) terminals buy."""

    stage: Line
    date: PlanDate
    coverage: float = Field(gt=0, le=1)


class Targets(Section):
    """
    Assumptions of target setting.

    Attributes
    ----------
    root : str, default "forecast"
        How the root's (the company's) volume target is set: ``forecast`` — the baseline
        forecast × (1 + stretch); ``growth`` — last year's volume × (1 + ``growth``);
        ``volume`` — a fixed number of units (``volume``, "HQ must reach 1.35 M cases");
        ``revenue`` — a fixed amount (``revenue``) converted to units at last year's
        realised price.
    stretch : float, default 0.05
        "Jump and touch" (跳一跳,摸得着): the target is the baseline forecast × (1 + stretch)
        (``root: forecast``).
    growth : float or None
        The growth on last year for ``root: growth`` (0.12 for +12%), −0.5 to 1.
    volume : int or None
        The root's volume target for ``root: volume``.
    revenue : float or None
        The root's revenue target for ``root: revenue``.
    unit : int, default 1
        The plan's volume unit; every split is rounded to multiples of it, exactly.
    milestones : tuple of Milestone
        Staged coverage goals of the key terminals (e.g. 40% by mid-year, 60% by year end).
    """

    root: Literal["forecast", "growth", "volume", "revenue"] = "forecast"
    stretch: float = Field(0.05, ge=-0.5, le=1.0)
    growth: float | None = Field(None, ge=-0.5, le=1.0)
    volume: int | None = Field(None, gt=0, le=MAX_VOLUME)
    revenue: float | None = Field(None, gt=0, le=MAX_MONEY)
    unit: int = Field(1, ge=1, le=MAX_UNIT)
    milestones: tuple[Milestone, ...] = ()

    @model_validator(mode="after")
    def _root_has_its_number(self) -> "Targets":
        needs = {"growth": "growth", "volume": "volume", "revenue": "revenue"}.get(self.root)
        if needs and getattr(self, needs) is None:
            example = {"growth": "0.12 for +12% on last year", "volume": "1350000 (units)",
                       "revenue": "250000000 (plan currency)"}[needs]
            raise ValueError(f"root: {self.root} needs targets.{needs}, e.g. {example}")
        return self


class Split(Section):
    """
    How targets are split down the pyramid.

    Attributes
    ----------
    method : str, default "auto"
        One of auto, forecast_proportions, proportion_averages, average_proportions,
        potential, equal, blend. ``forecast_proportions``: each child's share is its own
        trend forecast over its siblings'; ``auto``: the one of forecast_proportions,
        proportion_averages and average_proportions that best split last year's actual
        totals from the years before (a back-test; the report says which won and by how much).
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
        ``volume``, relative to the plan file; a regular file of at most
        :data:`MAX_PROPOSALS_BYTES` inside the plan's params folder
        (:func:`params_root`). None: each child's own trend forecast × (1 + its
        stretch) is its proposal. ``workflow``: the approved submissions' annual volumes
        (``<params folder>/workflow/<plan_id>.proposals.csv``, which ``planlib plan approve``
        writes; until a region is approved, None).
    reconcile : str or None, default None
        None: the plan is top-down and the report shows the children's proposals beside it.
        Set (scale_bottom_up, top_down, bottom_up or blend with ``reconcile_weight`` on
        top-down): each parent's children are reconciled with their proposals, top-down from
        the root, and the reconciled numbers are the plan's targets, split further
        (bottom_up and blend scaled to the parent's target so every level adds up).
    reconcile_weight : float, default 0.5
        The top-down weight of ``reconcile: blend``.
    growth_weight : float, default 0
        The weight of the review's growth points (each child's attainable increase,
        :func:`planlib.review.rank_growth_points`) in each parent's shares, 0 to 1:
        share = (1 − w) × the method's share + w × the child's share of the attainable increase.
    seasonality : str, default "auto"
        The month profile: ``spring_festival`` (aligned on the plan year's Spring Festival),
        ``calendar`` (calendar months: summer drinks, school terms, the southern
        hemisphere), or ``auto`` — the one that predicted last year's months better from the
        history before it (the report says which won and by how much).
    """

    method: Literal["auto", "forecast_proportions", "proportion_averages", "average_proportions", "potential", "equal",
                    "blend"] = "auto"
    weights: dict[Literal["forecast_proportions", "proportion_averages", "average_proportions", "potential", "equal"],
                  Annotated[float, Field(ge=0, le=MAX_WEIGHT)]] = Field(default_factory=dict)
    floor: float | None = Field(0.2, ge=0, le=1)
    history_years: int = Field(2, ge=1, le=10)
    potential_share: float = Field(0.5, gt=0, le=1)
    cap: float | None = Field(None, gt=0, le=10)
    holds: dict[RegionId, Annotated[int, Field(ge=0, le=MAX_VOLUME)]] = Field(default_factory=dict)
    proposals: Path | None = Field(
        None,
        strict=False,
        json_schema_extra=_says(
            "a CSV file (region_id, volume) inside the plan's params folder, relative to the plan file"
        ),
    )
    growth_weight: float = Field(0.0, ge=0, le=1)
    seasonality: Literal["auto", "spring_festival", "calendar"] = "auto"
    reconcile: Literal["scale_bottom_up", "top_down", "bottom_up", "blend"] | None = None
    reconcile_weight: float = Field(0.5, ge=0, le=1)

    @field_validator("proposals")
    @classmethod
    def _proposals_inside_params(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return None
        context = info.context or {}
        if value == Path("workflow"):  # the approved submissions (docs/workflow.md); none yet: the children's trend
            root, plan_id = context.get("params_root"), context.get("plan_id")
            if root is None or not isinstance(plan_id, str) or not is_valid_region_id(plan_id):
                return None
            value = Path(root) / "workflow" / f"{plan_id}.proposals.csv"
            if not value.is_file():
                return None
        if not value.is_absolute():
            base = context.get("base_dir")
            if base is None:
                raise ValueError(f"the relative path '{value}' has no plan folder to start from")
            value = Path(os.path.normpath(Path(base) / value))
        root = context.get("params_root")
        if root is not None:
            check_file_inside(value, Path(root), max_bytes=MAX_PROPOSALS_BYTES)
        return value

    @model_validator(mode="after")
    def _blend_has_weights(self) -> "Split":
        if self.method == "blend" and not any(w > 0 for w in self.weights.values()):
            raise ValueError("method blend needs weights, e.g. {proportion_averages: 0.7, potential: 0.3}")
        return self


BudgetMethod = Literal["percent_of_sales", "benchmark", "marginal", "zero_based", "objective_task", "input_output"]
Category = Literal["labour", "office", "media", "channel", "promotion"]
Amount = Annotated[float, Field(ge=0, le=MAX_MONEY)]


class Activity(Section):
    """One activity of a zero-based list: what it costs and what it is expected to return."""

    name: Line
    category: Category
    item: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", json_schema_extra=_says("an item code such as tv"))]
    cost: float = Field(gt=0, le=MAX_MONEY)
    expected_return: float = Field(ge=0, le=MAX_MONEY)


class ChannelRates(Section):
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


class Headcount(Section):
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

    cost_per_head: float = Field(96000.0, gt=0, le=MAX_MONEY)
    headroom_capture: float = Field(0.02, ge=0, le=1)
    decay: float = Field(0.6, ge=0, lt=1)


class ProfitTarget(Section):
    """
    The dual check's profit target, set instead of derived from last year.

    Attributes
    ----------
    amount : float or None
        The profit the region must make, in the plan currency (the region whose file sets it).
    margin : float or None
        The profit as a share of each region's target revenue (0.25 for 25%).
    """

    amount: float | None = Field(None, ge=-MAX_MONEY, le=MAX_MONEY)
    margin: float | None = Field(None, gt=-1, lt=1)

    @model_validator(mode="after")
    def _one_of(self) -> "ProfitTarget":
        if (self.amount is None) == (self.margin is None):
            raise ValueError("profit_target: set exactly one of amount or margin")
        return self


class Budget(Section):
    """
    Assumptions of the expense budget.

    Attributes
    ----------
    methods : mapping
        Category -> budgeting method (percent_of_sales, benchmark, marginal, zero_based,
        objective_task, input_output).
    ratios : mapping
        Category -> a set expense ratio for percent_of_sales; categories not given use
        the region's own ratio of last year (benchmark starts from the main competitor's
        spend in the archive instead).
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
        The zero-based list (name, category, item, cost, expected_return): every activity
        from zero, those returning more than they cost funded by return per cost within
        the region's cap; a region file's list is that region's own.
    items : mapping
        Category -> {item code: label}: a company's items beyond the catalogue.
    level_activities : mapping
        Level -> the zero-based list of a region of that level without a list of its own
        (a region file's ``activities`` is that region's own list).
    profit_target : ProfitTarget or None
        The dual check's profit target: ``{amount: …}`` for the region whose file sets it
        (the plan file's: the root), or ``{margin: …}`` on each region's target revenue;
        None: target revenue less product cost and last year's expense ratio.
    materiality : float
        A profit miss smaller than this share of the profit target is not flagged.
    reach_growth : float
        The dual check's ceiling on what a region can sell: last year × (1 + this), or
        its potential when lower.
    io_limit : float
        ``input_output`` trusts a response curve up to this multiple of the largest spend
        per activity observed for its kind.
    """

    methods: dict[Category, BudgetMethod] = Field(
        default_factory=lambda: {"labour": "percent_of_sales", "office": "percent_of_sales",
                                 "media": "percent_of_sales", "channel": "objective_task",
                                 "promotion": "percent_of_sales"}
    )
    ratios: dict[Category, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=dict)
    cap_ratio: float | None = Field(0.25, gt=0, le=1)
    cap_amount: float | None = Field(None, gt=0, le=MAX_MONEY)
    tolerance: float = Field(0.1, ge=0, le=1)
    expense_ratio_threshold: float = Field(0.2, gt=0, le=1)
    fixed_categories: tuple[Category, ...] = ("labour", "office")
    channel: ChannelRates = ChannelRates()
    headcount: Headcount = Headcount()
    activities: tuple[Activity, ...] = ()
    items: dict[Category, dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], Line]] = Field(default_factory=dict)
    level_activities: dict[Level, tuple[Activity, ...]] = Field(default_factory=dict)
    profit_target: ProfitTarget | None = None
    materiality: float = Field(0.005, ge=0, le=1)
    reach_growth: float = Field(0.30, ge=0, le=10)
    io_limit: float = Field(2.0, gt=0, le=100)

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
        listed = {a.category for a in self.activities} | {
            a.category for acts in self.level_activities.values() for a in acts}
        bad += [f"level_activities.{lv}: {a.name} books to {a.category}.{a.item}, not an item of {a.category}"
                for lv, acts in self.level_activities.items() for a in acts
                if a.item not in items[a.category]["items"]]
        bad += [f"methods.{c}: zero_based needs activities of category {c} in budget.activities"
                for c, m in self.methods.items() if m == "zero_based" and c not in listed]
        if bad:
            raise ValueError("; ".join(bad))
        return self


PROMOTIONS_FOLDER = "promotions"
"""The folder beside the plan file holding the promotion rule tables (``<stem>.yaml``)."""


def promotions_folder(source_files) -> Path | None:
    """The plan's promotions folder: ``promotions/`` beside the plan file (the first source file)."""
    return Path(source_files[0]).parent / PROMOTIONS_FOLDER if source_files else None


def _check_scheme_stem(value: str, info: ValidationInfo) -> str:
    folder = promotions_folder(info.data.get("source_files") or ())
    if folder is None:
        return value
    stems = sorted(f.stem for f in folder.glob("*.yaml")) if folder.is_dir() else []
    if value not in stems:
        raise ValueError(f"{shorten(value)!r} is not a scheme of {folder}; valid schemes: "
                         f"{', '.join(stems) or '(none: the folder is missing or empty)'}")
    return value


#: A promotion scheme: the stem of a rule table in the plan's ``promotions/`` folder.
SchemeStem = Annotated[
    str,
    AfterValidator(_check_scheme_stem),
    Field(json_schema_extra=_says("the file stem of a rule table in promotions/ beside the plan file")),
]


def _unique(names: tuple[str, ...]) -> tuple[str, ...]:
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{', '.join(twice)} listed twice")
    return names


class PlanParams(Section):
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
    tracking : Tracking
        Rollover, over-budget severity, KPI rule sets (overridable; planlib.params.tracking).
    promotions : mapping
        Scheme (file stem in ``promotions/`` beside the plan) -> the regions where it runs, each
        standing for its subtree (overridable: a region or scenario file's entry replaces the
        scheme's list; docs/params.md#promotion-schemes).
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
    tracking: Tracking = Tracking()
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
    # after source_files: a scheme's stem is checked against the plan's promotions/ folder
    promotions: dict[SchemeStem, tuple[RegionId, ...]] = Field(default_factory=dict)

    @field_validator("plan_id")
    @classmethod
    def _plan_id_is_a_folder_name(cls, value: str) -> str:
        if not is_valid_region_id(value):
            raise ValueError(f"{shorten(value)!r} cannot name a folder")
        return value

    @field_validator("scenario")
    @classmethod
    def _scenario_is_a_file_name(cls, value: str) -> str:
        if not is_valid_region_id(value):
            raise ValueError(f"{shorten(value)!r} cannot name a file")
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
        if not data.get("promotions"):  # a plan without schemes hashes as before the key existed
            data.pop("promotions", None)
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

