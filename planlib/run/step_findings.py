"""
What a region's review reads of the plan-wide quality check (:func:`planlib.run.steps.findings_step`).

A review (10_review_archive) shows its region's data-quality findings. Checked region by
region, every county reads its rows again and every level above reads its whole subtree again
(a national archive: ~0.12 s a county, ~0.8 s a province, ~17 s the head office). The run
checks the plan's root once instead (:func:`planlib.run.steps.findings_step`:
:func:`planlib.archive.check_plan`, kept in the plan's cache folder while the archive is
unchanged, so a rerun after an assumption changed reads it back), writes
``results/findings.parquet`` (the plan's findings) and ``results/findings_regions.parquet``
(the regions whose findings are their rows of it), and each review reads its rows (:func:`load_region_findings`). A region the check does not cover
(below a county, or without own monthly sales), or a run whose check failed, is checked on
its own by the notebook, as in JupyterLab: the report is the same either way.

Apart from :mod:`planlib.run.steps` so that a review imports neither the targets nor the budget
package. Public: load_region_findings.
"""

from __future__ import annotations

import pandas as pd

from planlib import archive
from planlib.run import folder

__all__ = ["load_region_findings"]


def load_region_findings(run_dir, tree, region: str) -> pd.DataFrame | None:
    """
    A region's findings as the run's plan-wide check found them, or None.

    Parameters
    ----------
    run_dir : path-like or None
        The run folder (None: JupyterLab, no run).
    tree : RegionTree
        The region tree.
    region : str
        The region.

    Returns
    -------
    DataFrame or None
        ``check_archive(archive, region_id=region)``, the same frame, read from the run's
        results; None without a run, without the step's results (not run, or failed) or for
        a region the check does not cover: the caller checks the region itself.
    """
    if not run_dir:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        covered = pq.read_table(folder.results_path(run_dir, folder.RESULTS_FINDINGS_REGIONS), columns=["region_id"])
        if region not in covered.column("region_id").to_pylist():
            return None
        found = pq.read_table(folder.results_path(run_dir, folder.RESULTS_FINDINGS))
    except (OSError, ValueError, KeyError, pa.ArrowException):  # no check in this run: the region is checked alone
        return None
    inside = found.filter(pc.is_in(found.column("region_id"), value_set=pa.array(list(tree.subtree(region)), pa.string())))
    return archive.as_findings(inside.to_pandas())  # the rows in check_archive's order and dtypes
