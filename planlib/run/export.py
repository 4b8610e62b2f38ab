"""
What a run hands to people: HTML reports without code, and the plan's Excel workbook.

Every text planlib writes to Excel is stored as text, never as a formula
(:func:`store_text_as_text`): a region or terminal name such as
``=HYPERLINK("http://…","点我")`` from the archive shows as written and runs nothing.

Reports are exported in the worker's process, offline: JupyterLab's template without the
scripts it would load from a CDN (:data:`OFFLINE_TEMPLATE`).

Public functions: html_config, html_exporter, export_html, export_targets_excel, export_budget_excel, store_text_as_text.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from planlib.labels import CATEGORY_NAMES, LEVEL_NAMES
from planlib.run.folder import atomic_path, write_atomic
from planlib.schemas import LEVEL_DEPTH
from planlib.targets import TERMINAL_SHEET, breakdown_of

__all__ = ["REMOVE_TAG", "FORMULA_TRIGGERS", "OFFLINE_TEMPLATE", "TEMPLATE_FILE", "html_config", "html_exporter",
           "export_html", "export_targets_excel", "export_budget_excel",
           "store_text_as_text"]


#: Cells with this tag (widgets, setup) are removed from the exported HTML.
REMOVE_TAG = "remove_cell"


#: A text starting with one of these is read as a formula by a spreadsheet (OWASP, CSV injection).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def store_text_as_text(book) -> None:
    """
    Store every text cell of an openpyxl workbook that a spreadsheet would take for a formula as text.

    A string starting with one of :data:`FORMULA_TRIGGERS` becomes a string cell
    (``data_type "s"``) with Excel's quote prefix, so Excel shows it as written, neither
    evaluating it nor turning it into a formula when the cell is edited. The visible text
    is unchanged. planlib writes no formulas, so every such cell is data. Changes ``book``
    in place (call it just before saving).
    """
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
                    cell.data_type = "s"
                    cell.quotePrefix = True


#: The report template: JupyterLab's (``lab``) with every script it would fetch from a CDN
#: left out (require.js, MathJax, mermaid, the widget manager), so a report opens offline,
#: from a mail or an intranet, and makes no request. Figures are embedded PNGs already.
#: Without MathJax a ``$…$`` in a markdown cell shows as typed; reports write no formulas
#: in TeX.
OFFLINE_TEMPLATE = """\
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""

#: The template's name for nbconvert (``template_file``).
TEMPLATE_FILE = "planlib_report.html.j2"


def html_config():
    """
    The nbconvert configuration of a report: no code, no prompts, removed cells dropped, offline.

    Cells tagged ``remove_cell`` (widgets), ``parameters`` and ``injected-parameters`` are
    dropped; inputs and prompts are excluded; consecutive stream outputs are merged (a
    print cut in two by the kernel's output flushes reads as one, so the page does not
    depend on timing); the template is :data:`OFFLINE_TEMPLATE`
    (given to the exporter as an extra loader, :func:`html_exporter`). The same
    configuration in a ``jupyter nbconvert --config`` file gives the same bytes
    (``benchmarks/bench_kernels.py``).
    """
    from traitlets.config import Config

    cfg = Config()
    cfg.TagRemovePreprocessor.remove_cell_tags = {REMOVE_TAG, "parameters", "injected-parameters"}
    cfg.TagRemovePreprocessor.enabled = True
    # one stream output however the kernel's flushes cut it: the same text gives the same page
    cfg.CoalesceStreamsPreprocessor.enabled = True
    cfg.HTMLExporter.exclude_input = True
    cfg.HTMLExporter.exclude_input_prompt = True
    cfg.HTMLExporter.exclude_output_prompt = True
    cfg.HTMLExporter.template_name = "lab"
    cfg.HTMLExporter.template_file = TEMPLATE_FILE
    return cfg


_EXPORTERS = threading.local()


def html_exporter():
    """
    The report exporter, made once per thread (its templates are read and compiled once).

    An ``HTMLExporter`` with :func:`html_config`, :data:`OFFLINE_TEMPLATE` as an extra
    loader, the tag-removing preprocessor and stream coalescing (consecutive prints of a cell
    are one output, however the kernel flushed them). It holds no report's data between calls;
    an exporter is not thread-safe, hence one per thread (a Dask worker's threads).
    """
    exporter = getattr(_EXPORTERS, "exporter", None)
    if exporter is not None:
        return exporter
    import jinja2
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor, TagRemovePreprocessor

    cfg = html_config()
    exporter = HTMLExporter(config=cfg, extra_loaders=[jinja2.DictLoader({TEMPLATE_FILE: OFFLINE_TEMPLATE})])
    exporter.register_preprocessor(TagRemovePreprocessor(config=cfg), enabled=True)
    # a cell's consecutive prints arrive as one stream output or several, by the kernel's flush timing
    # (a warm kernel flushes differently from a fresh one): merged, the same notebook gives the same page
    exporter.register_preprocessor(CoalesceStreamsPreprocessor(config=cfg), enabled=True)
    _EXPORTERS.exporter = exporter
    return exporter


def export_html(notebook, html_path: Path, *, title: str | None = None) -> Path:
    """
    Export an executed notebook to an offline HTML report without code, prompts or removed cells.

    ``notebook`` is the notebook's path, or the notebook itself (papermill's result, not
    read again). In this process (no ``jupyter nbconvert`` subprocess), with
    :func:`html_exporter`. Cells tagged ``remove_cell`` (widgets), ``parameters`` and
    ``injected-parameters`` are dropped; inputs are excluded; nothing is loaded from the
    network (:data:`OFFLINE_TEMPLATE`). Written atomically.
    """
    import nbformat

    if isinstance(notebook, (str, Path)):
        nb, name = nbformat.read(str(notebook), as_version=4), Path(notebook).stem
    else:
        nb, name = notebook, "notebook"
    resources = {"metadata": {"name": title or name}}
    body, _ = html_exporter().from_notebook_node(nb, resources=resources)
    return write_atomic(Path(html_path), body)


def export_targets_excel(targets: pd.DataFrame, path, *, names: Mapping[str, str]) -> Path:
    """
    Write the targets as a workbook a regional manager reads without the suite.

    Parameters
    ----------
    targets : DataFrame
        From :func:`allocate_plan`.
    path : str or path-like
        The ``.xlsx`` file; written atomically (a temporary file in the same folder, then
        ``os.replace``), so a reader never sees half a workbook.
    names : Mapping
        Display names by region id (and terminal id); missing ids show the id.

    Returns
    -------
    Path

    Notes
    -----
    One sheet per level (总部, 省区, 城市, 区县, 乡镇 as present): a region x month matrix of
    the region totals with the name and an annual total column. Sheet 终端: every named
    A/B terminal x 12 months with its county and class, plus the townships' C/D lines.
    Bold header, frozen panes, thousands-separated number formats. Names are stored as
    text, never as formulas (:func:`store_text_as_text`).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    path = Path(path)
    b = breakdown_of(targets)
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    month_heads = [f"{m}月" for m in range(1, 13)]

    def sheet(title, heads, rows, n_key):
        ws = wb.create_sheet(title)
        ws.append(heads)
        for c in ws[1]:
            c.font = bold
        for r in rows:
            ws.append(r)
        ws.freeze_panes = ws.cell(row=2, column=n_key + 1)
        for j in range(n_key + 1, len(heads) + 1):
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = 11
            for cell in ws[letter][1:]:
                cell.number_format = "#,##0"
        for j in range(1, n_key + 1):
            ws.column_dimensions[get_column_letter(j)].width = 16
        return ws

    tot = targets[b == "total"]
    month_no = pd.DatetimeIndex(tot["month"]).month
    wide = tot.assign(m=month_no).pivot_table(index=["level", "region_id"], columns="m", values="target_volume",
                                              aggfunc="sum", sort=False)
    for level in sorted(tot["level"].unique(), key=lambda lv: LEVEL_DEPTH.get(lv, 99)):
        part = wide.loc[level]
        rows = [[rid, names.get(rid, rid), *[int(v) for v in part.loc[rid].reindex(range(1, 13), fill_value=0)],
                 int(part.loc[rid].sum())] for rid in part.index]
        sheet(LEVEL_NAMES.get(level, level), ["地区编号", "地区名称", *month_heads, "全年"], rows, 2)

    term = targets[b == "terminal"]
    if len(term):
        key = np.where(term["terminal_id"].notna(), term["terminal_id"].astype(str),
                       "CD:" + term["region_id"].astype(str))
        t = term.assign(key=key, m=pd.DatetimeIndex(term["month"]).month)
        wide_t = t.pivot_table(index="key", columns="m", values="target_volume", aggfunc="sum", sort=False)
        info = t.drop_duplicates("key").set_index("key")
        rows = []
        for k in wide_t.index:
            row_info = info.loc[k]
            cd = pd.isna(row_info["terminal_id"])
            rid = row_info["region_id"]
            name = f"{names.get(rid, rid)} C/D类终端" if cd else names.get(k, k)
            vals = [int(v) for v in wide_t.loc[k].reindex(range(1, 13), fill_value=0)]
            rows.append(["" if cd else k, name, rid, names.get(rid, rid), row_info["terminal_class"], *vals, sum(vals)])
        sheet(TERMINAL_SHEET, ["终端编号", "终端名称", "所在地区", "地区名称", "类别", *month_heads, "全年"], rows, 5)

    store_text_as_text(wb)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def export_budget_excel(pb, path, *, names: dict) -> Path:
    """
    The budget for people who live in Excel: category × month per region, terminal fees, the dual check.

    The three sheets (区域×月份 费用, 终端渠道费用, 本量利与双重检查) are added to the workbook at
    ``path`` when it exists (the plan's targets workbook; sheets of the same name are
    replaced), else a workbook is created. Written to a copy, then moved into place; names
    are stored as text, never as formulas (:func:`store_text_as_text`).
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        if path.exists():
            shutil.copyfile(path, tmp)
            writer = pd.ExcelWriter(tmp, engine="openpyxl", mode="a", if_sheet_exists="replace")
        else:
            writer = pd.ExcelWriter(tmp, engine="openpyxl")
        _write_budget_sheets(writer, pb, names)
    return path


def _write_budget_sheets(writer, pb, names) -> None:
    """The budget's three sheets, written through an open ``pd.ExcelWriter`` (closed here)."""
    t = pb.table
    with writer as xw:
        wide = t.assign(月=pd.DatetimeIndex(t["month"]).month).pivot_table(
            index=["region_id", "category"], columns="月", values="amount", aggfunc="sum", fill_value=0.0)
        wide.columns = [f"{m}月" for m in wide.columns]
        wide["全年"] = wide.sum(axis=1)
        wide = wide.reset_index()
        wide.insert(1, "区域", wide["region_id"].map(names))
        wide["category"] = wide["category"].map(CATEGORY_NAMES)
        wide.rename(columns={"region_id": "区域编码", "category": "费用类别"}).to_excel(xw, sheet_name="费用 区域×月份", index=False)
        term = t[t["terminal_id"].notna()]
        if len(term):
            tw = term.groupby(["region_id", "terminal_id", "item"], as_index=False)["amount"].sum().pivot_table(
                index=["region_id", "terminal_id"], columns="item", values="amount", fill_value=0.0)
            tw["合计"] = tw.sum(axis=1)
            tw.reset_index().rename(columns={"region_id": "区域编码", "terminal_id": "终端编码"}).to_excel(
                xw, sheet_name="终端渠道费用", index=False)
        cols = ["region_id", "level", "target_volume", "target_revenue", "budget", "cap", "expense_ratio",
                "profit_target", "profit_at_target", "bep_units", "margin_of_safety", "flag"]
        pb.regions[cols].rename(columns={
            "region_id": "区域编码", "level": "层级", "target_volume": "目标销量", "target_revenue": "目标销售额",
            "budget": "费用预算", "cap": "预算上限", "expense_ratio": "费用率", "profit_target": "利润目标",
            "profit_at_target": "目标下利润", "bep_units": "保本销量", "margin_of_safety": "安全边际", "flag": "双重检查",
        }).to_excel(xw, sheet_name="本量利与双重检查", index=False)
        store_text_as_text(xw.book)
