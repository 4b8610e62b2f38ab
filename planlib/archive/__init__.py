"""
The archive: the DuckDB file, its import, its data-quality checks and every query on it.

The import (:mod:`planlib.archive.importer`: ``FileImport``, ``ImportReport``,
``import_files``) is loaded when one of its names is first asked for, not with the package:
it brings pandera and the file parsers (about 1.5 s of CPU), which a report that only reads
the archive never needs, and every warm kernel and run worker imports this package.
"""

import importlib

from planlib.archive.queries.tracking import (
    ActualsExtent,
    TrackingActuals,
    actuals_extent,
    tracking_actuals,
)
from planlib.archive.quality import (
    CHECKS,
    FINDING_COLUMNS,
    SEVERITIES,
    PlanFindings,
    as_findings,
    check_archive,
    check_plan,
    findings_reading,
    counts_in_words,
    findings_to_resolve,
    format_findings,
    region_findings,
    summarise_findings,
)
from planlib.archive.store import (
    FORMAT_VERSION,
    META_TABLE,
    OpenArchive,
    SKU_MONTHS_TABLE,
    add_missing_tables,
    connect,
    count_rows,
    empty_frame,
    fingerprint,
    init_archive,
    load_table,
    load_tree,
    missing_tables,
    reading,
    refresh_summaries,
    sku_months_fresh,
)

__all__ = [
    "FileImport",
    "ImportReport",
    "import_files",
    "CHECKS",
    "SEVERITIES",
    "FINDING_COLUMNS",
    "check_archive",
    "PlanFindings",
    "check_plan",
    "region_findings",
    "as_findings",
    "summarise_findings",
    "format_findings",
    "findings_to_resolve",
    "findings_reading",
    "counts_in_words",
    "FORMAT_VERSION",
    "META_TABLE",
    "init_archive",
    "connect",
    "load_table",
    "count_rows",
    "load_tree",
    "fingerprint",
    "OpenArchive",
    "refresh_summaries",
    "sku_months_fresh",
    "SKU_MONTHS_TABLE",
    "reading",
    "missing_tables",
    "add_missing_tables",
    "empty_frame",
    "ActualsExtent",
    "TrackingActuals",
    "actuals_extent",
    "tracking_actuals",
]

#: Names served from a module loaded on first use (see the module's docstring).
LAZY_NAMES = {"FileImport": "planlib.archive.importer", "ImportReport": "planlib.archive.importer",
              "import_files": "planlib.archive.importer"}


def __getattr__(name: str):
    """Load the importer when one of its names is first asked for (PEP 562)."""
    if name not in LAZY_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(LAZY_NAMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *LAZY_NAMES})
