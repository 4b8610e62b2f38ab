"""
Data quality of the archive: what must be fixed or understood before planning.

"Distorted data is the plan's fatal killer" (DOMAIN.md §4): a missing month reads as a
collapse, a double upload as a boom, a misplaced decimal as a price war. This module
finds such faults in the archive's sales and reports them as one tidy table of
findings, most of them on the monthly own sales (``grain='month'``, ``brand='own'``),
computed in DuckDB and vectorised numpy so that a national archive is checked in
seconds.

Checks (:data:`CHECKS`; severity in brackets):

==========================  =====================================================
missing_month [error]       county × product line: a month without sales inside
                            the series' active span
series_stop [warning]       terminal (or terminal × SKU) whose last sale is ≥ 3
                            months before the archive's last month
series_start [info]         terminal (or terminal × SKU) whose first sale is ≥ 3
                            months after the archive's first month
outlier [warning]           a series' month far above its own history (robust z)
level_shift [warning]       county × product line: its share of the line falls by
                            more than 40 % from one month on and stays down
duplicate_upload [error]    county-month where the typical series doubled against
                            the neighbouring months (an upload summed twice)
duplicate_rows [error]      sales rows repeating the same key
volume_without_revenue      volume > 0 but revenue 0 or missing
  [error]
revenue_without_volume      revenue > 0 but volume 0 or missing
  [error]
unit_price [error]          revenue / volume outside [0.3, 3] × the list price
competitor_coverage         a county with own sales but no competitor sales in a
  [warning]                 year (or none in the whole archive: info)
distributor_missing         own monthly rows without a distributor
  [warning]
distributor_without_sales   a distributor with no sales rows at all
  [info]
unknown_product [error]     own monthly rows whose SKU the products table lacks (the
                            split reads sales by product line: they are left out)
no_sales [info]             nothing to check (empty archive or region)
==========================  =====================================================

Messages are plain English; reports localise the labels.

Public functions: :func:`check_archive` (the findings), :func:`check_plan` and
:func:`region_findings` (a plan's whole tree checked once, each region's findings its rows of
it), :func:`as_findings` (findings read back from a file), :func:`summarise_findings`
(counts by check), :func:`format_findings` (a terminal table), and for reports
:func:`findings_to_resolve` (errors and warnings) and :func:`findings_reading` (one sentence).
The checks themselves are in :mod:`planlib.archive.sales_checks`.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from planlib.archive.sales_checks import FINDING_COLUMNS, SalesChecks
from planlib.errors import DataError, HierarchyError
from planlib.hierarchy import RegionTree
from planlib.labels import CODE_NAMES
from planlib.schemas import OWN_BRAND

__all__ = [
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
]

SEVERITIES: tuple[str, ...] = ("error", "warning", "info")

#: Check name -> what it finds.
CHECKS: dict[str, str] = {
    "missing_month": "区县 × 产品线序列中间缺月没有销售",
    "series_stop": "终端或终端 × 产品序列中断",
    "series_start": "终端或终端 × 产品序列开始得晚",
    "outlier": "月销量远高于序列自身历史",
    "level_shift": "区县 × 产品线份额断崖下降且未恢复",
    "duplicate_upload": "某区县某月的数据像是上传了两次",
    "duplicate_rows": "键相同的重复行",
    "volume_without_revenue": "有销量没有销售额",
    "revenue_without_volume": "有销售额没有销量",
    "unit_price": "实际单价远离牌价",
    "competitor_coverage": "某区县某年没有竞品销售",
    "distributor_missing": "本品销售行缺经销商",
    "distributor_without_sales": "经销商没有任何销售",
    "unknown_product": "本品销售的产品编码不在产品表中",
    "no_sales": "没有可检查的销售",
}


def check_archive(
    archive: str | os.PathLike | duckdb.DuckDBPyConnection,
    *,
    region_id: str | None = None,
    tree: RegionTree | None = None,
) -> pd.DataFrame:
    """
    Check the archive's data quality and return the findings.

    Parameters
    ----------
    archive : path or DuckDB connection
        An archive file (opened read-only and closed again) or an open connection
        (left open; nothing is written to it).
    region_id : str, optional
        Report only findings in this region's subtree. Checks that compare with the
        whole archive (the season, a line's total) still use the whole archive, so a
        region's findings are the same as in a full check.
    tree : RegionTree, optional
        The region tree, if already built; default built from ``regions``.

    Returns
    -------
    DataFrame
        One row per finding, columns :data:`FINDING_COLUMNS`: check, severity
        ('error' / 'warning' / 'info'), region_id, product_line, sku, terminal_id,
        brand, date (first day of the month), value, expected, message; sorted by
        severity, check, region and date. An empty archive gives one ``no_sales``
        info finding.

    Raises
    ------
    DataError
        If the database lacks the archive's ``regions``, ``products`` or ``sales`` table.
    HierarchyError
        If ``region_id`` is not in the archive or the region tree is invalid.

    Notes
    -----
    On the monthly own sales, with m months, a series' volumes v and the archive's
    first and last months:

    - missing_month: county × product line months with no volume between the
      series' first and last month.
    - series_stop: last ≤ archive last − 3 months (date = first missing month);
      series_start: first ≥ archive first + 3 months. A terminal all of whose SKUs
      stopped (started) gives one finding without a SKU.
    - outlier: per series (region, sku, channel, terminal, distributor) with ≥ 6
      months, on deseasonalised volume a (below), z = (a − median) /
      max(1.4826·MAD, 0.1·median); flagged when z > 8 and a ≥ 5·median.
    - level_shift: share_t = county-line volume / line total; for each month k,
      before = median(share[k−6:k]), after = median(share[k:k+6]); flagged when
      after < 0.6·before and median(share[k:]) < 0.6·before; k maximises
      1 − mean(after window) / mean(before window).
    - duplicate_upload: with a_t = v_t / f_l,t (f the line's archive total in the
      month over its median month: the season) and q = a_t / median(a) per series,
      Q_c,t = median of q over a county-month's rows; flagged when
      Q_c,t / mean(Q_c,t−1, Q_c,t+1) ≥ 1.6 over ≥ 3 rows. Outliers use the same a_t.
    - unit_price: revenue / volume outside [0.3, 3] × products.unit_price (all rows).
    """
    return _check(archive, region_id, tree)[0]


@dataclass(frozen=True)
class PlanFindings:
    """
    The findings of a plan's whole region tree, checked once, and the regions they answer for.

    Attributes
    ----------
    root : str
        The region checked (the plan's root).
    findings : DataFrame
        ``check_archive(archive, region_id=root)``.
    covered : frozenset of str
        The regions of ``root``'s subtree whose own check equals the rows of ``findings`` in
        their subtree (:func:`region_findings`).
    """

    root: str
    findings: pd.DataFrame
    covered: frozenset[str]


def check_plan(
    archive: str | os.PathLike | duckdb.DuckDBPyConnection,
    *,
    tree: RegionTree,
    root: str | None = None,
) -> PlanFindings:
    """
    Check the data quality of a plan's whole region tree once, for every region's report.

    Parameters
    ----------
    archive : path or DuckDB connection
        As for :func:`check_archive`.
    tree : RegionTree
        The region tree.
    root : str, optional
        The plan's root region; default the tree's root.

    Returns
    -------
    PlanFindings
        The root's findings and the regions whose findings are their slice of them.

    Raises
    ------
    DataError, HierarchyError
        As :func:`check_archive`.

    Notes
    -----
    Every check groups within a county (facts of the whole archive, the season and a line's
    total, are the same for every region), so a region at or above county level that has own
    monthly sales finds exactly the root's findings in its subtree (tested on every demo
    region). Not covered, and checked on their own by :func:`region_findings`' caller:
    a region below a county (its county's series are checked with it) and a region without
    own monthly sales (its check reports that instead of the row checks).
    """
    root = tree.root if root is None else root
    findings, sold, _ = _check(archive, root, tree)
    covered = set()
    for rid in tree.subtree(root):
        county = tree.ancestor_at(rid, "county")
        if county is not None and county != rid:
            continue
        if rid in sold or any(r in sold for r in tree.subtree(rid)):
            covered.add(rid)
    return PlanFindings(root=root, findings=findings, covered=frozenset(covered))


def region_findings(plan: PlanFindings, tree: RegionTree, region_id: str) -> pd.DataFrame | None:
    """
    A region's findings from its plan's check (:func:`check_plan`): ``check_archive`` of the
    region, the same frame; None for a region the plan's check does not cover (check it alone).

    Parameters
    ----------
    plan : PlanFindings
        The plan's check.
    tree : RegionTree
        The region tree it was checked on.
    region_id : str
        The region.

    Returns
    -------
    DataFrame or None
        The rows of ``plan.findings`` in the region's subtree, in their order (columns
        :data:`FINDING_COLUMNS`, index from 0), or None.
    """
    if region_id not in plan.covered:
        return None
    findings = plan.findings
    if region_id == plan.root:
        return findings.copy()
    inside = findings["region_id"].isin(set(tree.subtree(region_id)))
    if not inside.any():
        return _NO_FINDINGS.copy()
    return findings[inside.to_numpy()].reset_index(drop=True)



def as_findings(frame: pd.DataFrame) -> pd.DataFrame:
    """
    A findings table read back (a run's ``results/findings.parquet``) as :func:`check_archive`
    returns it: columns :data:`FINDING_COLUMNS` with its dtypes (texts as objects, a missing
    one None; ``date`` datetime64[us]; ``value``, ``expected`` float64), in its order.
    """
    return _finish([frame])


def _check(archive, region_id: str | None, tree: RegionTree | None) -> tuple[pd.DataFrame, frozenset, RegionTree | None]:
    """check_archive's findings, the counties with own monthly sales in scope, and the tree used."""
    close = False
    if isinstance(archive, duckdb.DuckDBPyConnection):
        con = archive
    else:
        path = Path(archive)
        if not path.exists():
            raise DataError(f"archive {path} does not exist")
        con = duckdb.connect(str(path), read_only=True)
        close = True
    try:
        needed = ("regions", "products", "sales")
        try:  # binds where all three are there: cheaper than listing the catalogue
            con.execute(" UNION ALL ".join(f"SELECT NULL FROM {t} WHERE false" for t in needed)).fetchall()
        except duckdb.CatalogException:
            tables = {r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()").fetchall()}
            missing = [t for t in needed if t not in tables]
            if missing:
                raise DataError(f"not a planlib archive: table(s) {', '.join(missing)} missing") from None
            raise
        if tree is None:
            regions = con.execute("SELECT * FROM regions").df()
            tree = RegionTree(regions) if not regions.empty else None
        if region_id is not None:
            if tree is None:
                raise HierarchyError(f"unknown region id {region_id!r}: the archive has no regions")
            tree.check(region_id)
        threads = _one_thread(con, tree, region_id)
        try:
            checker = SalesChecks(con, tree, region_id)
            try:
                parts = checker.run()
                sold = checker.counties_sold
            finally:
                checker.close()
        finally:
            if threads is not None:
                con.execute(f"SET threads = {int(threads)}")
    finally:
        if close:
            con.close()
    return _finish(parts), sold, tree


#: A region with at most this many counties is checked by DuckDB on one thread.
_ONE_THREAD_COUNTIES = 16


def _one_thread(con: duckdb.DuckDBPyConnection, tree: RegionTree | None, region_id: str | None) -> int | None:
    """
    Run the connection's statements on one thread for a small region's check; the setting
    before (to restore), or None when left as it was.

    A county's statements read a few thousand rows each: a second thread's scheduling
    costs more CPU than it saves (a demo county's check ~92 -> ~84 ms of CPU), while
    a province or the whole archive keep every thread for the wall time.
    """
    if region_id is None or tree is None:
        return None
    if sum(1 for r in tree.subtree(region_id) if tree.level(r) == "county") > _ONE_THREAD_COUNTIES:
        return None
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    if int(threads) == 1:
        return None
    con.execute("SET threads = 1")
    return int(threads)


def _finish(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts and _NO_FINDINGS is not None:
        return _NO_FINDINGS.copy()  # a region without findings: the frame made once below
    if parts:
        out = pd.concat([p[list(FINDING_COLUMNS)].astype(object) for p in parts], ignore_index=True)
    else:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in FINDING_COLUMNS})
    # one resolution whichever checks contributed (a region's findings equal the full report's),
    # a missing text None; the frame built once from its columns
    columns = {}
    for col in FINDING_COLUMNS:
        if col == "date":
            columns[col] = pd.to_datetime(out["date"]).astype("datetime64[us]")
        elif col in ("value", "expected"):
            columns[col] = pd.to_numeric(out[col]).astype("float64")
        else:
            values = out[col].to_numpy(dtype=object, copy=True)
            values[pd.isna(values)] = None
            columns[col] = pd.Series(values, index=out.index, dtype=object)
    out = pd.DataFrame(columns)
    if len(out) < 2:  # nothing to order
        return out
    rank = out["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    order = out.assign(_rank=rank).sort_values(
        ["_rank", "check", "region_id", "date", "sku", "terminal_id"], kind="stable", na_position="first").index
    return out.loc[order].reset_index(drop=True)


#: The findings frame of a check that finds nothing (``_finish([])``, with its dtypes).
_NO_FINDINGS: pd.DataFrame | None = None
_NO_FINDINGS = _finish([])


def summarise_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """
    Count findings by check and severity.

    Returns
    -------
    DataFrame
        Columns check, severity, findings; errors first, then warnings, then info.
    """
    if findings.empty:
        return pd.DataFrame({"check": pd.Series(dtype=object), "severity": pd.Series(dtype=object),
                             "findings": pd.Series(dtype="int64")})
    g = findings.groupby(["check", "severity"], as_index=False).size().rename(columns={"size": "findings"})
    g["_rank"] = g["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    g = g.sort_values(["_rank", "check"], kind="stable").drop(columns="_rank").reset_index(drop=True)
    g["findings"] = g["findings"].astype("int64")
    return g


def _width(text: str) -> int:
    """Columns a text takes in a terminal: two for a wide (CJK) character, one for others."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _text_table(table: pd.DataFrame) -> list[str]:
    """
    A frame of texts as terminal lines: every column left-aligned, padded to its widest text
    in terminal columns (a Chinese character takes two), two spaces between columns, no
    trailing blanks.
    """
    columns = [[str(c), *map(str, table[c])] for c in table.columns]
    widths = [max(map(_width, col)) for col in columns]
    rows = zip(*columns)
    return ["  ".join(text + " " * (w - _width(text)) for text, w in zip(row, widths)).rstrip() for row in rows]


def format_findings(findings: pd.DataFrame, *, limit: int = 20) -> str:
    """
    Render findings as a plain-text table for the terminal, errors first.

    Parameters
    ----------
    findings : DataFrame
        As returned by :func:`check_archive`.
    limit : int, default 20
        Rows listed; a last line says how many more there are.

    Returns
    -------
    str
        A head line with the counts by severity, the counts by check, then one line per
        finding: severity, check, region, product line, date, sku and terminal, message
        (a brand column too when a listed finding is about a competitor's brand), sorted by
        severity, check, region, product line and date; columns left-aligned to the
        terminal width of their texts (a Chinese character takes two columns).
    """
    if findings.empty:
        return "data quality: no findings"
    counts = findings["severity"].value_counts()
    head = "data quality: " + ", ".join(f"{int(counts.get(s, 0))} {s}" for s in SEVERITIES) + \
        f" ({len(findings)} findings)"
    rank = findings["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    shown = findings.assign(_rank=rank).sort_values(["_rank", "check", "region_id", "product_line", "date"],
                                                   kind="stable", na_position="first").head(max(int(limit), 0))
    table = pd.DataFrame({
        "severity": shown["severity"],
        "check": shown["check"],
        "region": shown["region_id"].fillna(""),
        "product line": shown["product_line"].fillna(""),
        "date": [f"{d:%Y-%m}" if pd.notna(d) else "" for d in shown["date"]],
        "sku/terminal": [" ".join(x for x in (s, t) if isinstance(x, str)) for s, t in
                         zip(shown["sku"], shown["terminal_id"])],
        "message": shown["message"].fillna(""),
    })
    brands = shown["brand"].where(shown["brand"] != OWN_BRAND).fillna("") if "brand" in shown else None
    if brands is not None and (brands != "").any():
        table.insert(table.columns.get_loc("sku/terminal"), "brand", brands)
    lines = [head, *_text_table(summarise_findings(findings).astype(str)), ""]
    if len(table):
        lines.extend(_text_table(table))
    if len(findings) > len(table):
        lines.append(f"... and {len(findings) - len(table)} more")
    return "\n".join(lines)


def findings_to_resolve(findings: pd.DataFrame) -> pd.DataFrame:
    """
    The errors and warnings, with the columns a report shows (errors first).

    Returns
    -------
    DataFrame
        severity, check, region_id, product_line, sku, terminal_id, date, message.
    """
    cols = ["severity", "check", "region_id", "product_line", "sku", "terminal_id", "date", "message"]
    return findings.loc[findings["severity"].isin(["error", "warning"]), cols].reset_index(drop=True)


def counts_in_words(errors: int, warnings: int) -> str:
    """"1 个错误、2 个警告", naming only the kinds there are ("6 个警告", not "0 个错误、6 个警告")."""
    parts = [f"{n:,} 个{word}" for n, word in ((errors, "错误"), (warnings, "警告")) if n]
    return "、".join(parts) or "没有错误或警告"


def findings_reading(findings: pd.DataFrame) -> str:
    """
    One sentence for the report: how many faults, and what the analysis cannot be trusted on.

    The affected series are named by check and region so a reader knows which of the
    figures that follow carry a distortion until the records are corrected.
    """
    serious = findings_to_resolve(findings)
    if serious.empty and (findings["check"] == "no_sales").any():
        return "没有可检查的销售记录。"
    if serious.empty:
        return "销售记录的检查没有发现错误或警告。"
    n_err = int((serious["severity"] == "error").sum())
    n_warn = int((serious["severity"] == "warning").sum())
    touched = serious.groupby("check")["region_id"].apply(lambda s: ", ".join(sorted({str(x) for x in s.dropna()})[:4]))
    parts = "；".join(f"{CODE_NAMES.get(check, check)}：{regions}" for check, regions in touched.items())
    return (
        f"{counts_in_words(n_err, n_warn)}（{parts}）：含这些序列的数字——增长、季节性、月度图中的异常值、单价——"
        "在记录更正之前不可轻信。"
    )
