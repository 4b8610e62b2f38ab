"""
Running a plan: the run folder, the plan-wide steps, the batch of notebooks, one task, the portal, the exports.

Modules: folder (layout, atomic writes, the run's lock and status), steps (targets and budget
once for the plan), batch (order, manifest, resume), executors (local processes or a Dask
cluster), task (one region's notebook in a worker), portal (index.html), export (HTML reports, the Excel workbook).
Import the modules (``from planlib.run import batch, folder``); this package re-exports nothing.
"""
