"""
The archive: the DuckDB file, its import, its data-quality checks and every query on it.
"""

from planlib.archive.quality import (
    CHECKS,
    FINDING_COLUMNS,
    SEVERITIES,
    check_archive,
    format_findings,
    summarise_findings,
)
from planlib.archive.store import (
    FORMAT_VERSION,
    FileImport,
    ImportReport,
    META_TABLE,
    OpenArchive,
    SKU_MONTHS_TABLE,
    connect,
    fingerprint,
    import_files,
    init_archive,
    load_table,
    load_tree,
    refresh_summaries,
    sku_months_fresh,
)

__all__ = [
    "CHECKS",
    "SEVERITIES",
    "FINDING_COLUMNS",
    "check_archive",
    "summarise_findings",
    "format_findings",
    "FORMAT_VERSION",
    "META_TABLE",
    "FileImport",
    "ImportReport",
    "init_archive",
    "connect",
    "load_table",
    "load_tree",
    "fingerprint",
    "import_files",
    "OpenArchive",
    "refresh_summaries",
    "sku_months_fresh",
    "SKU_MONTHS_TABLE",
]
