"""
Tracking a signed plan through the year (issue #13): progress and time progress (``progress``),
rollover of unmet targets (``rollover``), the landing forecast (``landing``), staged key-terminal
milestones (``milestones``), budget control and the dual check on actuals (``control``), weekly
core terminals (``weekly``) and the plan-wide assembly of every region's tracking (``plan``).
"""

from planlib.tracking.landing import (
    LANDING_COLUMNS,
    LANDING_METHODS,
    landing,
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

__all__ = [
    "LANDING_COLUMNS",
    "LANDING_METHODS",
    "landing",
    "PROGRESS_COLUMNS",
    "check_as_of",
    "closed_months",
    "completion",
    "elapsed_fractions",
    "progress",
    "time_progress",
    "ROLLOVER_MODES",
    "revise_targets",
    "rollover_table",
]
