"""
Tracking a signed plan through the year (issue #13): progress and time progress (``progress``),
rollover of unmet targets (``rollover``), the landing forecast (``landing``), staged key-terminal
milestones (``milestones``), budget control and the dual check on actuals (``control``), weekly
core terminals (``weekly``), the plan's regions and how facts add up the pyramid (``rollup``),
every region's lines of target and actual (``lines``) and the plan-wide assembly (``plan``).
"""

from planlib.tracking.control import (
    CONTROL_FLAGS,
    OVER_BUDGET,
    budget_control,
    dual_check_actuals,
    items_worst_first,
)
from planlib.tracking.landing import (
    LANDING_COLUMNS,
    LANDING_METHODS,
    landing,
)
from planlib.tracking.lines import (
    BREAKDOWNS,
    MEASURES,
    NO_KEY,
    TRACKING_COLUMNS,
)
from planlib.tracking.milestones import (
    MILESTONE_COLUMNS,
    MILESTONE_STATUS,
    key_terminals,
    milestone_coverage,
    milestone_list,
)
from planlib.tracking.plan import (
    SUMMARY_COLUMNS,
    PlanTracking,
    plan_tracking,
)
from planlib.tracking.progress import (
    PROGRESS_COLUMNS,
    check_as_of,
    closed_months,
    completion,
    elapsed_fractions,
    progress,
    time_progress,
)
from planlib.tracking.rollover import (
    ROLLOVER_MODES,
    revise_targets,
    rollover_table,
)
from planlib.tracking.rollup import (
    PlanRegions,
    plan_regions,
)
from planlib.tracking.weekly import (
    WEEKLY_COLUMNS,
    weekly_tracking,
)

__all__ = [
    "BREAKDOWNS",
    "CONTROL_FLAGS",
    "LANDING_COLUMNS",
    "LANDING_METHODS",
    "MEASURES",
    "MILESTONE_COLUMNS",
    "MILESTONE_STATUS",
    "NO_KEY",
    "OVER_BUDGET",
    "PROGRESS_COLUMNS",
    "ROLLOVER_MODES",
    "SUMMARY_COLUMNS",
    "TRACKING_COLUMNS",
    "WEEKLY_COLUMNS",
    "PlanRegions",
    "PlanTracking",
    "budget_control",
    "check_as_of",
    "closed_months",
    "completion",
    "dual_check_actuals",
    "items_worst_first",
    "elapsed_fractions",
    "key_terminals",
    "landing",
    "milestone_coverage",
    "milestone_list",
    "plan_regions",
    "plan_tracking",
    "progress",
    "revise_targets",
    "rollover_table",
    "time_progress",
    "weekly_tracking",
]

# scoring people and regions, and one region's report view
from planlib.tracking.kpi import (EVENT_NAMES, LINE_KINDS, MEASURE_NAMES, SCORE_COLUMNS, ranking, region_extra_facts,
                                  region_facts, score)
from planlib.tracking.people import FACT_COLUMNS, TARGET_EVENT_SUFFIXES, person_facts
from planlib.tracking.region import RegionTracking, monthly_table, region_tracking, tracking_assumptions, year_to_date

__all__ += [
    "EVENT_NAMES", "LINE_KINDS", "MEASURE_NAMES", "SCORE_COLUMNS", "ranking", "region_extra_facts", "region_facts", "score",
    "FACT_COLUMNS", "TARGET_EVENT_SUFFIXES", "person_facts",
    "RegionTracking", "monthly_table", "region_tracking", "tracking_assumptions", "year_to_date",
]
