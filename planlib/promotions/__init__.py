"""
Promotion and membership schemes (DOMAIN.md §9, issue #17): rule tables read strictly
from ``params/promotions/<name>.yaml`` (``rules``), applied to a distribution of units for
uptake, cost, a sensitivity range, expected and break-even lift (``costing``), and
membership tiers proposed, assigned, shaped and compared (``tiers``). The format is
documented in docs/promotions.md.
"""

from planlib.promotions.costing import (
    UNIT_COLUMNS,
    SchemeCost,
    break_even_lift,
    cost_range,
    cost_scheme,
    expected_lift,
    month_profile,
    scheme_activities,
    scheme_economics,
)
from planlib.promotions.rules import (
    CUSTOMERS,
    DISCOUNT,
    METHODS,
    ROUNDINGS,
    UNIT_KINDS,
    Eligibility,
    Forfeit,
    Rule,
    Scheme,
    Tier,
    describe_scheme,
    load_scheme,
    load_schemes,
    scheme_problems,
)
from planlib.promotions.tiers import (
    NO_TIER,
    assign_tiers,
    compare_tiers,
    is_diamond,
    propose_tiers,
    tier_shape,
    tier_table,
)

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
    "scheme_problems",
    "load_scheme",
    "load_schemes",
    "describe_scheme",
    "UNIT_COLUMNS",
    "SchemeCost",
    "cost_scheme",
    "cost_range",
    "expected_lift",
    "break_even_lift",
    "scheme_economics",
    "month_profile",
    "scheme_activities",
    "NO_TIER",
    "tier_table",
    "assign_tiers",
    "tier_shape",
    "is_diamond",
    "propose_tiers",
    "compare_tiers",
]
