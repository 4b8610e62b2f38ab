"""
The expense budget: the methods and their one dispatch (``methods``), cost-volume-profit and
the dual check (``profit``), response curves (``response``), caps and phasing (``caps``), the
plan's budget (``plan``) and one region's views and tuning (``region``).
"""

from planlib.budget.caps import (
    apply_cap,
)
from planlib.budget.methods import (
    BUDGET_METHODS,
    CategoryInputs,
    benchmark,
    book_items,
    marginal_headcount,
    objective_task,
    percent_of_sales,
    price_category,
    zero_based,
)
from planlib.budget.plan import (
    BUDGET_COLUMNS,
    PlanBudget,
    plan_budget,
    history_gaps,
    plan_response,
)
from planlib.budget.profit import (
    DUAL_FLAGS,
    OVER_THRESHOLD,
    break_even,
    cvp,
    cvp_table,
    dual_check,
    dual_verdict,
)
from planlib.budget.region import (
    FLAG_NAMES,
    RegionBudget,
    booked_reading,
    children_gap_reading,
    children_reading,
    cvp_view,
    dual_reading,
    has_cvp,
    key_figures,
    methods_long,
    region_budget,
    region_budget_params,
    sensitivity_view,
    tune_budget,
)
from planlib.budget.response import (
    allocate_spend,
    fit_response,
    input_output_spend,
    region_spend_returns,
    spend_roi,
)

__all__ = [
    "apply_cap",
    "percent_of_sales",
    "benchmark",
    "zero_based",
    "marginal_headcount",
    "objective_task",
    "CategoryInputs",
    "BUDGET_METHODS",
    "price_category",
    "book_items",
    "PlanBudget",
    "plan_budget",
    "plan_response",
    "history_gaps",
    "BUDGET_COLUMNS",
    "break_even",
    "cvp",
    "cvp_table",
    "dual_check",
    "DUAL_FLAGS",
    "OVER_THRESHOLD",
    "dual_verdict",
    "RegionBudget",
    "region_budget",
    "region_budget_params",
    "tune_budget",
    "methods_long",
    "sensitivity_view",
    "key_figures",
    "has_cvp",
    "cvp_view",
    "dual_reading",
    "booked_reading",
    "children_gap_reading",
    "children_reading",
    "FLAG_NAMES",
    "fit_response",
    "allocate_spend",
    "input_output_spend",
    "spend_roi",
    "region_spend_returns",
]
