"""
planlib: the library behind the planning workbooks.

Importing ``planlib`` does nothing but define names; submodules are imported
explicitly (``from planlib import archive, hierarchy``).
"""

from planlib.errors import (
    BudgetError,
    DataError,
    HierarchyError,
    ParamsError,
    PlanlibError,
    PlanWarning,
    RunError,
    SplitError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "PlanlibError",
    "ParamsError",
    "DataError",
    "HierarchyError",
    "SplitError",
    "BudgetError",
    "RunError",
    "PlanWarning",
]
