"""
The environment analysis: sales, competition, terminals, growth points, spend ROI, a region's review.

:func:`review_region` (over :func:`load_region_data`) computes every table the review
notebook shows. The other functions are its sections, public for analysts working in
JupyterLab; :func:`factor_substitution` (因素替代法 on any two periods of one region) is
public API with no caller in the library: :func:`factor_substitution_by` is its
vectorised form over groups.
"""

from planlib.review.competition import (
    brand_growth,
    concentration,
    concentration_row,
    distributor_review,
    market_share,
)
from planlib.review.records import (
    COVERAGE_SOURCES,
    PLAN_SOURCES,
    coverage_reading,
    data_coverage,
    missing_sources,
    period_note,
)
from planlib.review.growth import (
    channel_capacity,
    rank_growth_points,
    swot,
    terminal_capacity,
)
from planlib.review.region import (
    RegionData,
    RegionReview,
    distributor_reading,
    growth_reading,
    key_figures,
    load_region_data,
    review_region,
    spend_reading,
)
from planlib.review.sales import (
    abc_classes,
    cagr,
    composition,
    factor_substitution,
    factor_substitution_by,
    indices,
    monthly_profile,
    monthly_sales,
    seasonal_profile,
    yearly_summary,
)
from planlib.review.spend import (
    activity_lift,
    expense_ratios,
    subtree_months,
)
from planlib.review.terminals import (
    core_weekly,
    coverage,
    holiday_uplift,
    terminal_classes,
)

__all__ = [
    "COVERAGE_SOURCES",
    "PLAN_SOURCES",
    "data_coverage",
    "missing_sources",
    "period_note",
    "coverage_reading",
    "market_share",
    "brand_growth",
    "distributor_review",
    "concentration",
    "concentration_row",
    "rank_growth_points",
    "channel_capacity",
    "terminal_capacity",
    "swot",
    "RegionData",
    "RegionReview",
    "load_region_data",
    "review_region",
    "distributor_reading",
    "growth_reading",
    "key_figures",
    "spend_reading",
    "monthly_sales",
    "yearly_summary",
    "monthly_profile",
    "composition",
    "indices",
    "cagr",
    "factor_substitution",
    "factor_substitution_by",
    "abc_classes",
    "seasonal_profile",
    "expense_ratios",
    "activity_lift",
    "subtree_months",
    "terminal_classes",
    "coverage",
    "core_weekly",
    "holiday_uplift",
]
