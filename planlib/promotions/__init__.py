"""
Promotion and membership schemes (DOMAIN.md §9, issue #17). Rooms, in import order:

    rules       the rule table: frozen models, cross-key checks, the strict loader of
                ``params/promotions/<name>.yaml``
    costing     a scheme on a distribution of units: rewards, uptake, cost, a ±x% range,
                the month profile
    economics   expected lift (the budget's response curves), break-even lift, the scheme
                as a zero-based activity
    tiers       membership tiers proposed, assigned, shaped and compared
    wording     a scheme's rules in words, for the report

The format is documented in docs/promotions.md.
"""

from planlib.promotions.costing import (
    UNIT_COLUMNS,
    SchemeCost,
    cost_range,
    cost_scheme,
    month_profile,
)
from planlib.promotions.economics import (
    break_even_lift,
    expected_lift,
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
from planlib.promotions.wording import (
    describe_scheme,
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
