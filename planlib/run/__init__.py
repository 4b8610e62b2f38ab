"""
Running a plan: the run folder, the plan-wide steps, the batch of notebooks, the portal, the exports.

Import the modules (``from planlib.run import batch, folder``); this package re-exports nothing.
"""
