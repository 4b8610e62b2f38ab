"""
Plan parameters: YAML assumptions -> strict loader -> typed model -> merge -> snapshot.
"""

from planlib.params.model import (
    Analysis,
    BASE_SCENARIO,
    Budget,
    Milestone,
    OVERRIDABLE,
    PLAN_KEYS,
    PlanParams,
    RUNTIME_KEYS,
    RunSettings,
    SNAPSHOT_NAME,
    Scope,
    Split,
    StrictLoader,
    Swot,
    Targets,
    load_plan,
    load_snapshot,
    override_yaml,
    overrides_yaml,
    write_snapshot,
)

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
