"""
The archive: the DuckDB file, its import, its data-quality checks and every query on it.
"""

from planlib.archive.importer import (
    FileImport,
    ImportReport,
    import_files,
)
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
    check_archive,
    findings_reading,
    findings_to_resolve,
    format_findings,
    summarise_findings,
)
from planlib.archive.store import (
    FORMAT_VERSION,
    META_TABLE,
    OpenArchive,
    SKU_MONTHS_TABLE,
    add_missing_tables,
    connect,
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
    "summarise_findings",
    "format_findings",
    "findings_to_resolve",
    "findings_reading",
    "FORMAT_VERSION",
    "META_TABLE",
    "init_archive",
    "connect",
    "load_table",
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
