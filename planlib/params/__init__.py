"""
Plan parameters: YAML assumptions -> strict loader -> typed model -> merge -> snapshot.

Rooms, in import order:

    limits        how large files, texts, lists and numbers may be; where named files lie
    strict_yaml   StrictLoader: safe YAML 1.2 core scalars, no duplicates, aliases or tags;
                  a params file checked (size, characters, lines) and read with its key lines
    tracking      the tracking section: rollover, over-budget severity, KPI rule sets
    model         the typed, frozen sections and PlanParams
    problems      every problem as ``<file>:<line>: <dotted.key>: …; expected …``
    resolve       load_plan: plan -> region override -> scenario, merged and validated;
                  validate_plan: the plan and every region's params, one error for all
    snapshot      write_snapshot / load_snapshot, override_yaml / overrides_yaml

The format is documented in docs/params.md.
"""

from planlib.params.model import (
    Analysis,
    Budget,
    Milestone,
    OVERRIDABLE,
    PLAN_KEYS,
    PlanParams,
    RUNTIME_KEYS,
    RunSettings,
    Scope,
    Split,
    Swot,
    Targets,
)
from planlib.params.tracking import (
    Kpi,
    RuleSet,
    Tracking,
)
from planlib.params.resolve import (
    BASE_SCENARIO,
    load_plan,
    region_sections,
    validate_plan,
)
from planlib.params.snapshot import (
    SNAPSHOT_NAME,
    load_snapshot,
    override_yaml,
    overrides_yaml,
    write_snapshot,
)
from planlib.params.strict_yaml import (
    StrictLoader,
)

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
    "Tracking",
    "Kpi",
    "RuleSet",
    "PlanParams",
    "BASE_SCENARIO",
    "load_plan",
    "region_sections",
    "validate_plan",
    "SNAPSHOT_NAME",
    "write_snapshot",
    "load_snapshot",
    "override_yaml",
    "overrides_yaml",
    "StrictLoader",
]
