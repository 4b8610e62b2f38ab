"""
The planlib error tree: every failure says what to fix.

::

    PlanlibError
    ├── ParamsError     unknown/missing key, wrong type, unknown region, notebook/parameter mismatch
    ├── DataError       a table or file violates its schema (file, row, field and what is expected)
    ├── HierarchyError  orphan, cycle, a node under two parents, unknown region id
    ├── SplitError      negative/NaN shares, infeasible constraints (which, and by how much)
    ├── BudgetError     over a cap or tolerance, unknown method, P <= VC in break-even
    ├── RunError        a notebook failed in a batch (region, notebook, cell, exception, kept .ipynb)
    └── WorkflowError   a submission, approval or lock refused; the audit log or a locked version altered

``PlanWarning`` marks degenerate cases handled on purpose (e.g. a zero-history split).
"""

from __future__ import annotations

__all__ = [
    "PlanlibError",
    "ParamsError",
    "DataError",
    "HierarchyError",
    "SplitError",
    "BudgetError",
    "RunError",
    "WorkflowError",
    "PlanWarning",
]


class PlanlibError(Exception):
    """Base of every error planlib raises on purpose."""


class ParamsError(PlanlibError):
    """A plan or params file is invalid: the message names the file and the dotted key."""


class DataError(PlanlibError):
    """Input data violates the archive's contract: the message names file, row and field."""


class HierarchyError(PlanlibError):
    """The region tree is inconsistent, or a region id is unknown."""


class SplitError(PlanlibError):
    """A split cannot be made as asked (bad shares, infeasible constraints)."""


class BudgetError(PlanlibError):
    """A budget breaks a cap or tolerance, or a method cannot apply."""


class RunError(PlanlibError):
    """A notebook failed in a batch run."""


class WorkflowError(PlanlibError):
    """A workflow step is refused (the message says why and what to do), or its files were altered."""


class PlanWarning(UserWarning):
    """A degenerate case was handled on purpose; the result is usable but worth a look."""
