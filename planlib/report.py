"""
What leadership reads: escaped display helpers, HTML export without code, the run portal.

Reports never build HTML from data by string formatting. Every data-derived string
(region names, table cells, captions, index names) goes through :func:`html.escape`
here, because nbconvert's HTML exporter does not sanitize and ``DataFrame.style``
leaves captions and index names raw (HAZARDS.md).
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planlib.analysis import EFFECT_NAMES_ZH
from planlib.calendar import HOLIDAY_NAMES_ZH

__all__ = [
    "REMOVE_TAG",
    "LABELS",
    "FORMATS",
    "UNIT_KINDS",
    "KIND_NAMES",
    "EFFECT_NAMES",
    "HOLIDAY_NAMES",
    "CATEGORY_NAMES",
    "swot_boxes",
    "heading",
    "note",
    "table_html",
    "show_table",
    "key_figures",
    "export_html",
    "write_atomic",
    "completion_marker",
    "mark_complete",
    "render_portal",
]

#: Cells with this tag (widgets, setup) are removed from the exported HTML.
REMOVE_TAG = "remove_cell"

#: Chinese column headers for report tables (the column name shows where none is set).
LABELS: dict[str, str] = {
    "key": "参数", "value": "取值", "year": "年份", "month": "月", "quarter": "季度", "volume": "销量",
    "revenue": "销售额", "gross_margin": "毛利", "gross_margin_rate": "毛利率", "volume_growth": "销量增长",
    "revenue_growth": "销售额增长", "revenue_yoy": "同比", "fixed_base": "定基指数", "chain": "环比指数",
    "dimension": "维度", "share_first": "首年占比", "share_last": "末年占比", "change": "变动",
    "expenses": "费用", "terminals": "终端数", "distributors": "经销商数", "expense_ratio": "费用率",
    "revenue_per_terminal": "单终端销售额", "revenue_per_distributor": "单经销商销售额",
    "holiday": "节日", "window_weeks": "窗口周数", "window_avg": "窗口周均", "baseline_avg": "平日周均",
    "uplift": "提升", "group": "区域/分组", "own_volume": "本品销量", "competitor_volume": "竞品销量",
    "market_volume": "品类容量", "own_share": "本品份额", "competitor_share": "竞品份额",
    "share_change": "份额变动", "brand": "品牌", "volume_share": "销量份额", "kind": "类型",
    "start_date": "开始", "end_date": "结束", "cost": "费用", "description": "说明",
    "distributor_id": "经销商编码", "name": "名称", "tier": "级别", "own_volume_prev": "上年本品销量",
    "own_growth": "本品增长", "trend": "趋势", "measure": "指标", "terminal_class": "终端等级",
    "active": "有进货", "coverage": "覆盖率", "terminal_id": "终端编码", "channel": "渠道",
    "recorded_class": "档案等级", "spec": "规格", "share": "占比", "cum_share": "累计占比", "computed_class": "ABC 类",
    "mismatch": "不一致", "unit_id": "单元", "capacity": "容量", "headroom": "空间",
    "competitor_growth": "竞品增长", "momentum": "势头", "attainable": "可争取增量", "rank": "排名",
    "effect": "效应", "amount": "金额", "share_of_change": "占变动", "category": "费用类别",
    "ratio": "费用率", "activity_id": "活动", "region_id": "区域编码", "window_revenue": "活动期销售额",
    "baseline_revenue": "基线销售额", "lift": "提升", "extra_margin": "新增毛利", "roi": "回报率",
    "paid": "有回报", "last_year": "去年", "baseline": "趋势预测", "target": "目标", "flat20": "一律+20%",
    "target_volume": "目标销量", "target_revenue": "目标销售额", "last_year_volume": "去年销量", "growth": "增长",
    "line": "终端/乡镇", "stage": "阶段", "terminals_needed": "终端数", "check": "检查", "severity": "严重度", "findings": "数量", "product_line": "产品线",
    "sku": "产品编码", "date": "日期", "message": "说明 message",
    "potential": "潜力", "beyond_potential": "超潜力", "top_down": "分配目标", "bottom_up": "下级提案",
    "gap": "差距", "gap_pct": "差距%", "reconciled": "协调后",
    "method": "方法", "chosen": "选定方法", "item": "项目", "percent_of_sales": "销售百分比法", "benchmark": "竞争对手参照法",
    "objective_task": "目标任务法", "marginal": "边际收益法", "zero_based": "零基预算法", "input_output": "投入产出法",
    "budget": "费用预算", "profit_at_target": "目标下利润", "profit_target": "利润目标", "flag": "双重检查",
    "price_change": "价格变动", "volume_change": "销量变动", "profit": "利润", "profit_change": "利润变动",
    "activities": "活动数", "measured": "可测", "measured_cost": "可测费用", "lift_revenue": "提升销售额",
    "return_per_cost": "每元回报", "not_paid": "无回报数", "not_paid_cost": "无回报费用", "reason": "原因",
    "全部": "全部", "consolidated": "下级汇总", "own": "本级自有", "basis": "依据 basis",
    "with_budget": "按本次预算", "market_growth": "市场增长", "vs_baseline": "比趋势预测",
}  # fmt: skip

#: Labels of the five expense categories.
CATEGORY_NAMES: dict[str, str] = {
    "labour": "人力成本", "office": "办公管理", "media": "媒体投放", "channel": "渠道费用", "promotion": "推广费用",
}  # fmt: skip

_PCT, _PP = "{:.1%}", "{:+.1%}"
#: Number formats by column for report tables.
FORMATS: dict[str, str] = {
    "year": "{}", "quarter": "{}", "gross_margin_rate": _PCT, "volume_growth": _PP, "revenue_growth": _PP,
    "revenue_yoy": _PP, "fixed_base": "{:.3f}", "chain": "{:.3f}", "share_first": _PCT, "share_last": _PCT,
    "change": _PP, "expense_ratio": _PCT, "uplift": _PP, "own_share": _PCT, "competitor_share": _PCT,
    "share_change": _PP, "volume_share": _PCT, "own_share_prev": _PCT, "own_growth": _PP, "coverage": _PCT,
    "share": _PCT, "cum_share": _PCT, "competitor_growth": _PP, "momentum": "{:.2f}", "share_of_change": _PCT,
    "ratio": _PCT, "lift": _PP, "roi": _PP, "growth": _PP, "tier": "{}", "rank": "{}", "window_weeks": "{}",
    "gap_pct": _PP, "return_per_cost": "{:.2f}", "price_change": _PP, "volume_change": _PP,
    "market_growth": _PP, "vs_baseline": _PP,
    # volumes of the gap table: whole units, however small
    "top_down": "{:,.0f}", "bottom_up": "{:,.0f}", "gap": "{:+,.0f}", "reconciled": "{:,.0f}",
}  # fmt: skip

#: Labels of the factor-substitution effects and of the holidays (defined with their data).
EFFECT_NAMES = EFFECT_NAMES_ZH
HOLIDAY_NAMES = HOLIDAY_NAMES_ZH

#: Labels of the target kinds.
KIND_NAMES: dict[str, str] = {
    "volume": "销量 volume", "revenue": "销售额 revenue", "gross_margin": "毛利 gross margin",
    "expenses": "费用 expenses", "profit": "利润 profit", "market_share": "市场份额 share",
}  # fmt: skip

#: Labels of growth-point units.
UNIT_KINDS: dict[str, str] = {"region": "区域", "channel": "渠道", "terminal": "终端"}

_STYLE = """
<style>
table.planlib-table{border-collapse:collapse;font-size:13px;margin:6px 0 14px 0}
table.planlib-table th,table.planlib-table td{border:1px solid #d0d7de;padding:3px 8px;text-align:left !important}
table.planlib-table th{background:#f3f5f7}
table.planlib-table td.num{text-align:right !important;font-variant-numeric:tabular-nums}
table.planlib-table caption{caption-side:top;text-align:left;font-weight:600;padding:4px 0;white-space:nowrap}
.planlib-note{color:#444;margin:4px 0 12px 0}
.planlib-kpis{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0 14px 0}
.planlib-kpi{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;min-width:140px}
.planlib-kpi .v{font-size:20px;font-weight:600}
.planlib-kpi .l{font-size:12px;color:#555}
</style>
"""


def _e(value: object) -> str:
    """Escape any value for HTML text or attribute context."""
    return html.escape("" if value is None else str(value), quote=True)


def _html(markup: str):
    from IPython.display import HTML  # imported lazily: the library itself needs no IPython

    return HTML(markup)


def heading(text: str, level: int = 2):
    """
    A heading whose text comes from data (a region name), escaped.

    Returns an ``IPython.display.HTML`` object; Markdown would pass raw HTML through.
    """
    level = min(max(int(level), 1), 6)
    return _html(f"<h{level}>{_e(text)}</h{level}>")


def note(text: str):
    """A sentence of reading under a table or figure, escaped."""
    return _html(f'<p class="planlib-note">{_e(text)}</p>')


def _format_cell(value: object, fmt: str | Callable[[Any], str] | None) -> tuple[str, bool]:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA or value is pd.NaT:
        return "–", False
    if fmt is not None:
        return (fmt(value) if callable(fmt) else fmt.format(value)), True
    if isinstance(value, (bool, np.bool_)):
        return ("是" if value else "否"), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        return (f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"), True
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d"), False
    if isinstance(value, np.integer):
        return f"{int(value):,}", True
    if isinstance(value, np.floating):
        return _format_cell(float(value), None)
    return str(value), False


def table_html(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    labels: Mapping[str, str] | None = None,
    index: bool = False,
    max_rows: int = 200,
) -> str:
    """
    Render a frame as an HTML table with every string escaped.

    Parameters
    ----------
    frame : DataFrame
        The table to show; not modified.
    caption : str, optional
        Caption above the table (escaped).
    formats : mapping, optional
        Column -> format string (``"{:.1%}"``) or callable.
    labels : mapping, optional
        Column -> display label (e.g. Chinese headers).
    index : bool, default False
        Show the index as leading columns.
    max_rows : int, default 200
        Rows beyond this are cut, with a line saying how many.

    Returns
    -------
    str
        HTML markup; the only unescaped text is planlib's own tags.
    """
    formats = dict(formats or {})
    labels = dict(labels or {})
    shown = frame.reset_index() if index else frame
    if shown.empty:
        head = f"<b>{_e(caption)}</b>: " if caption else ""
        return _STYLE + f'<p class="planlib-note">{head}无记录 — nothing to show.</p>'
    cols = list(shown.columns)
    parts = [_STYLE, '<table class="planlib-table">']
    if caption:
        parts.append(f"<caption>{_e(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th>{_e(labels.get(c, c))}</th>" for c in cols) + "</tr></thead>")
    parts.append("<tbody>")
    for row in shown.head(max_rows).itertuples(index=False, name=None):
        cells = []
        for col, value in zip(cols, row):
            text, numeric = _format_cell(value, formats.get(col))
            cls = ' class="num"' if numeric else ""
            cells.append(f"<td{cls}>{_e(text)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    if len(shown) > max_rows:
        parts.append(f'<p class="planlib-note">… {len(shown) - max_rows:,} more rows not shown</p>')
    return "".join(parts)


def show_table(frame: pd.DataFrame, **kwargs):
    """:func:`table_html` wrapped for notebook display."""
    return _html(table_html(frame, **kwargs))


def key_figures(items: Sequence[tuple[str, str]]):
    """A row of labelled key figures (label, formatted value), escaped."""
    boxes = "".join(
        f'<div class="planlib-kpi"><div class="v">{_e(v)}</div><div class="l">{_e(k)}</div></div>' for k, v in items
    )
    return _html(_STYLE + f'<div class="planlib-kpis">{boxes}</div>')


def swot_boxes(swot: "pd.DataFrame"):
    """
    The SWOT four-box table (strengths, weaknesses / opportunities, threats), escaped.

    Lines from the analyst are marked with ✎.
    """
    titles = {"strengths": "优势 Strengths", "weaknesses": "劣势 Weaknesses",
              "opportunities": "机会 Opportunities", "threats": "威胁 Threats"}  # fmt: skip

    def box(name: str) -> str:
        rows = swot[swot["box"] == name] if not swot.empty else swot
        items = "".join(
            f"<li>{_e(line)}{' ✎' if source == 'analyst' else ''}</li>" for line, source in zip(rows["line"], rows["source"])
        ) or "<li>—</li>"
        return f'<td style="vertical-align:top;width:50%"><b>{_e(titles[name])}</b><ul>{items}</ul></td>'

    return _html(
        _STYLE + '<table class="planlib-table" style="width:100%">'
        f"<tr>{box('strengths')}{box('weaknesses')}</tr><tr>{box('opportunities')}{box('threats')}</tr></table>"
    )


# -- files ---------------------------------------------------------------------------


def write_atomic(path: Path, data: str | bytes) -> Path:
    """
    Write a file so that readers see the old or the new content, never a partial one.

    The data goes to a temporary file in the same folder, then ``os.replace``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # an ordinary file, readable like any other report
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def export_html(notebook_path: Path, html_path: Path, *, title: str | None = None) -> Path:
    """
    Export an executed notebook to HTML without code, prompts or removed cells.

    Cells tagged ``remove_cell`` (widgets), ``parameters`` and ``injected-parameters``
    are dropped; inputs are excluded. Written atomically.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    cfg = Config()
    cfg.TagRemovePreprocessor.remove_cell_tags = {REMOVE_TAG, "parameters", "injected-parameters"}
    cfg.TagRemovePreprocessor.enabled = True
    cfg.HTMLExporter.exclude_input = True
    cfg.HTMLExporter.exclude_input_prompt = True
    cfg.HTMLExporter.exclude_output_prompt = True
    exporter = HTMLExporter(config=cfg)
    exporter.register_preprocessor(TagRemovePreprocessor(config=cfg), enabled=True)
    nb = nbformat.read(str(notebook_path), as_version=4)
    resources = {"metadata": {"name": title or Path(notebook_path).stem}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return write_atomic(Path(html_path), body)


def completion_marker(run_dir: str | Path, region: str, notebook: str) -> Path:
    """Where a notebook's final cell records that it ran to the end."""
    return Path(run_dir) / "regions" / region / f".{notebook}.complete"


def mark_complete(run_dir: str | Path | None, region: str, notebook: str) -> Path | None:
    """
    Record that a notebook reached its last cell (called by that cell).

    The batch deletes the marker before execution and counts a region as succeeded
    only if the marker exists afterwards: papermill's metadata says "completed" even
    after a kernel death. With ``run_dir=None`` (interactive use) nothing is written.
    """
    if run_dir is None:
        return None
    marker = completion_marker(run_dir, region, notebook)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"region": region, "notebook": notebook}), encoding="utf-8")
    return marker


# -- portal ----------------------------------------------------------------------------

_PORTAL = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{{ title }}</title>
<style>
body{font-family:"Noto Sans CJK SC","Noto Sans SC","WenQuanYi Zen Hei","Microsoft YaHei",sans-serif;margin:24px;color:#1f2328}
h1{font-size:22px;margin-bottom:4px} .sub{color:#555;margin-bottom:16px}
table{border-collapse:collapse;font-size:14px} th,td{border:1px solid #d0d7de;padding:4px 10px;text-align:left}
th{background:#f3f5f7} .ok{color:#1a7f37;font-weight:600} .failed{color:#cf222e;font-weight:600}
.skipped{color:#6e7781} .err{font-family:monospace;font-size:12px;color:#6e1a1a;max-width:520px}
.lvl-province td:first-child{padding-left:22px}.lvl-city td:first-child{padding-left:40px}
.lvl-county td:first-child{padding-left:58px}.lvl-township td:first-child{padding-left:76px}
.summary span{margin-right:18px} .warn{color:#9a6700;font-weight:600}
</style></head><body>
<h1>{{ title }}</h1>
<div class="sub">{{ plan_id }} · 运行 {{ run_id }} · {{ finished }}</div>
<div class="summary"><span>区域 regions: {{ n_regions }}</span>
<span class="ok">成功 succeeded: {{ n_ok }}</span><span class="failed">失败 failed: {{ n_failed }}</span></div>
{% for s in steps %}<div class="sub">{% if s.status == "succeeded" %}全计划步骤 {{ s.step }}:
{% for o in s.outputs %}<a href="{{ o }}">{{ o }}</a> {% endfor %}{% else %}<span class="failed">{{ s.step }} 失败 failed</span>
<span class="err">{{ s.error }}</span>{% endif %}</div>{% endfor %}
{% if n_profit_missed %}<div class="sub"><span class="warn">销量达成、利润未达 sales met, profit missed: {{ n_profit_missed }} 个区域 regions</span>
— 见各区域 30_build_budget 报告的双重检查 (see the dual check in each region's budget report).</div>{% endif %}
<table><thead><tr><th>区域 region</th><th>编码 id</th><th>层级 level</th>
{% if has_flags %}<th>双重检查 dual check</th>{% endif %}
{% for nb in notebooks %}<th>{{ nb }}</th>{% endfor %}</tr></thead><tbody>
{% for r in rows %}<tr class="lvl-{{ r.level }}"><td>{{ r.name }}</td><td>{{ r.region_id }}</td><td>{{ r.level }}</td>
{% if has_flags %}<td>{% if r.flag == "sales met, profit missed" %}<span class="warn">销量达成、利润未达</span>{% elif r.flag == "both met" %}<span class="ok">双达成</span>{% elif r.flag %}{{ r.flag }}{% endif %}</td>{% endif %}
{% for c in r.cells %}<td>{% if c.status == "succeeded" %}<a class="ok" href="{{ c.href }}">报告 report</a>
<span class="skipped">{{ c.seconds }}</span>{% elif c.status == "failed" %}<span class="failed">失败 failed</span>
{% if c.href %} · <a href="{{ c.href }}">上次成功 last good</a>{% endif %}
{% if c.failed_href %} · <a href="{{ c.failed_href }}">notebook</a>{% endif %}<div class="err">{{ c.error }}</div>
{% else %}<span class="skipped">{{ c.status }}</span>{% endif %}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
</body></html>
"""


def render_portal(manifest: Mapping[str, Any], region_rows: Sequence[Mapping[str, Any]]) -> str:
    """
    The run's ``index.html``: every region with its status and report links.

    Parameters
    ----------
    manifest : mapping
        The run manifest (plan_id, run_id, title, notebooks, entries).
    region_rows : sequence of mapping
        One mapping per region in display order: region_id, name, level.

    Returns
    -------
    str
        HTML rendered by Jinja2 with autoescaping on, so names from data are escaped.
    """
    from jinja2 import Environment

    env = Environment(autoescape=True)
    entries = {(e["region_id"], e["notebook"]): e for e in manifest.get("entries", [])}
    notebooks = list(manifest.get("notebooks", []))
    rows = []
    for r in region_rows:
        cells = []
        for nb in notebooks:
            e = entries.get((r["region_id"], nb), {"status": "not run"})
            err = e.get("error") or {}
            cells.append(
                {
                    "status": e.get("status", "not run"),
                    "href": e.get("html"),
                    "failed_href": e.get("failed_notebook"),
                    "seconds": f"{e['seconds']:.1f}s" if e.get("seconds") is not None else "",
                    "error": " ".join(str(err.get(k, "")) for k in ("cell", "ename", "evalue") if err.get(k) is not None)[:400],
                }
            )
        rows.append({**r, "cells": cells})
    statuses = [e.get("status") for e in manifest.get("entries", [])]
    failed_regions = {e["region_id"] for e in manifest.get("entries", []) if e.get("status") == "failed"}
    return env.from_string(_PORTAL).render(
        title=manifest.get("title") or manifest.get("plan_id", "planlib"),
        plan_id=manifest.get("plan_id", ""),
        run_id=manifest.get("run_id", ""),
        finished=manifest.get("finished", ""),
        notebooks=notebooks,
        rows=rows,
        n_regions=len(region_rows),
        n_ok=len(region_rows) - len(failed_regions),
        n_failed=len(failed_regions),
        statuses=statuses,
        has_flags=any(r.get("flag") for r in region_rows),
        n_profit_missed=sum(1 for r in region_rows if r.get("flag") == "sales met, profit missed"),
        steps=[
            {"step": s.get("step"), "status": s.get("status"), "outputs": s.get("outputs", []),
             "error": " ".join(str(v) for v in (s.get("error") or {}).values())[:400]}
            for s in manifest.get("plan_steps", [])
        ],
    )
