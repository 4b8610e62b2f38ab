"""
Every query a stage runs on the archive, one module per stage (``queries.targets``,
``queries.budget``, ``queries.review``, ``queries.tracking``): each function takes an open connection (or
the archive's path) and returns frames, so the stages above work on frames only.
"""
