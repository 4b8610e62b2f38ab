"""
The pyramid as a workflow (issue #16): submissions (``submissions``), review and approval
(``status``), locked versions and what moved between them (``versions``), and the audit log
every step is written to (``audit``). Pure logic over records and frames; the files live in
``<runs_root>/<plan_id>/workflow/`` (:mod:`planlib.run.workflow_files`).
"""

from planlib.workflow import audit, status, submissions, versions
from planlib.workflow.audit import read_log
from planlib.workflow.status import STATUSES, refusal, region_status, status_table
from planlib.workflow.submissions import annual_volumes, validate_submission
from planlib.workflow.versions import diff_params, diff_results, next_version

__all__ = [
    "audit",
    "status",
    "submissions",
    "versions",
    "read_log",
    "STATUSES",
    "refusal",
    "region_status",
    "status_table",
    "annual_volumes",
    "validate_submission",
    "diff_params",
    "diff_results",
    "next_version",
]
