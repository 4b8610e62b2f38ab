"""
The run's front page, ``index.html``: every region with its status and report links.

Public functions: region_counts, render_portal, tracking_cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from planlib.labels import FLAG_NAMES, TRACKING_CODES

__all__ = ["region_counts", "render_portal", "tracking_cells"]


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
<div class="sub">{{ plan_id }} · 运行 {{ run_id }} · {% if status == "interrupted" %}<span class="failed">已中断 interrupted{% if stopped %} {{ stopped }}{% endif %}</span>
{% elif status == "running" %}<span class="warn">运行中 running</span>{% else %}{{ finished }}{% endif %}</div>
<div class="summary"><span>区域 regions: {{ n_regions }}</span>
<span class="ok">成功 succeeded: {{ n_ok }}</span><span class="failed">失败 failed: {{ n_failed }}</span>
<span class="skipped">未运行 not run: {{ n_not_run }}</span></div>
{% for s in steps %}<div class="sub">{% if s.status == "succeeded" %}全计划步骤 {{ s.step }}:
{% for o in s.outputs %}<a href="{{ o }}">{{ o }}</a> {% endfor %}{% else %}<span class="failed">{{ s.step }} 失败 failed</span>
<span class="err">{{ s.error }}</span>{% endif %}</div>{% endfor %}
{% if as_of %}<div class="sub">执行跟踪 截至 {{ as_of }} · 跟踪的方案运行 <a href="../{{ plan_run }}/index.html">{{ plan_run }}</a>
{% if plan_links %}（各区域的分析、目标与预算报告见该运行）{% endif %}</div>{% endif %}
{% if n_profit_missed %}<div class="sub"><span class="warn">销量达成、利润未达 sales met, profit missed: {{ n_profit_missed }} 个区域 regions</span>
— 见各区域 30_build_budget 报告的双重检查 (see the dual check in each region's budget report).</div>{% endif %}
<table><thead><tr><th>区域 region</th><th>编码 id</th><th>层级 level</th>
{% if has_flags %}<th>双重检查 dual check</th>{% endif %}
{% if has_tracking %}<th>序时完成率</th><th>任务进度 / 序时进度</th><th>预计全年比目标（箱）</th><th>实际双重检查</th><th>阶段目标 · 费用</th>{% endif %}
{% if plan_links %}<th>方案报告</th>{% endif %}
{% for nb in notebooks %}<th>{{ nb }}</th>{% endfor %}</tr></thead><tbody>
{% for r in rows %}<tr class="lvl-{{ r.level }}"><td>{{ r.name }}</td><td>{{ r.region_id }}</td><td>{{ r.level }}</td>
{% if has_flags %}<td>{% if r.flag == "both met" %}<span class="ok">{{ r.flag_label }}</span>{% elif r.flag %}<span class="warn">{{ r.flag_label }}</span>{% endif %}</td>{% endif %}
{% if has_tracking %}{% set t = r.tracking or {} %}<td class="{{ 'ok' if t.status == 'ahead' else ('warn' if t.status == 'behind' else '') }}">{{ t.completion_text }}</td>
<td>{{ t.progress_text }}</td><td>{{ t.landing_text }}</td>
<td>{% if t.verdict == "both met" %}<span class="ok">{{ t.verdict_text }}</span>{% elif t.verdict %}<span class="warn">{{ t.verdict_text }}</span>{% endif %}</td>
<td>{% for m in t.milestones_missed or [] %}<span class="warn">未达阶段目标 {{ m }}</span> {% endfor %}{% if t.budget_flag %}<span class="warn">{{ t.budget_text }}</span>{% endif %}</td>{% endif %}
{% if plan_links %}<td>{% for l in r.plan_links %}<a href="{{ l.href }}">{{ l.label }}</a> {% endfor %}</td>{% endif %}
{% for c in r.cells %}<td>{% if c.status == "succeeded" %}<a class="ok" href="{{ c.href }}">报告 report</a>
<span class="skipped">{{ c.seconds }}</span>{% elif c.status == "failed" %}<span class="failed">失败 failed</span>
{% if c.href %} · <a href="{{ c.href }}">上次成功 last good</a>{% endif %}
{% if c.failed_href %} · <a href="{{ c.failed_href }}">notebook</a>{% endif %}<div class="err">{{ c.error }}</div>
{% else %}<span class="skipped">{{ c.status }}</span>{% endif %}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
</body></html>
"""


def _pct(x) -> str:
    return "—" if x is None else f"{100 * float(x):.1f}%"


def tracking_cells(t: Mapping[str, Any]) -> dict[str, Any]:
    """A region's tracking figures (:func:`planlib.run.track.region_flags`) as the portal shows them, in words."""
    gap = t.get("landing_gap")
    return {**t,
            "completion_text": _pct(t.get("completion")),
            "progress_text": f"{_pct(t.get('task_progress'))} / {_pct(t.get('time_progress'))}",
            "landing_text": "—" if gap is None else f"{gap:+,.0f}",
            "verdict_text": TRACKING_CODES.get(t.get("verdict") or "", t.get("verdict") or ""),
            "budget_text": TRACKING_CODES.get(t.get("budget_flag") or "", t.get("budget_flag") or "")}


def region_counts(manifest: Mapping[str, Any], regions: Sequence[str]) -> dict[str, int]:
    """
    How many of ``regions`` succeeded, failed or were not run, from the manifest's entries.

    A region succeeded when every notebook of the run succeeded for it; it failed when one
    failed; otherwise (a notebook with no entry: the run was interrupted before it, or is
    still going) it was not run. A region is never counted as succeeded for lack of a failure.
    """
    notebooks = list(manifest.get("notebooks", []))
    status = {(e["region_id"], e["notebook"]): e.get("status") for e in manifest.get("entries", [])}
    counts = {"succeeded": 0, "failed": 0, "not run": 0}
    for region in regions:
        mine = [status.get((region, nb)) for nb in notebooks]
        if "failed" in mine:
            counts["failed"] += 1
        elif mine and all(s == "succeeded" for s in mine):
            counts["succeeded"] += 1
        else:
            counts["not run"] += 1
    return counts


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
        flag = r.get("flag")  # the dual check's outcome, in the reports' words (the Chinese part)
        row = {**r, "cells": cells, "flag_label": FLAG_NAMES.get(flag, str(flag)).split(" ")[0] if flag else ""}
        if r.get("tracking"):
            row["tracking"] = tracking_cells(r["tracking"])
        rows.append(row)
    counts = region_counts(manifest, [r["region_id"] for r in region_rows])
    status = manifest.get("status") or ("finished" if manifest.get("finished") else "running")
    return env.from_string(_PORTAL).render(
        title=manifest.get("title") or manifest.get("plan_id", "planlib"),
        plan_id=manifest.get("plan_id", ""),
        run_id=manifest.get("run_id", ""),
        finished=manifest.get("finished") or "",
        status=status,
        stopped=(manifest.get("interrupted") or {}).get("at", ""),
        notebooks=notebooks,
        rows=rows,
        n_regions=len(region_rows),
        n_ok=counts["succeeded"],
        n_failed=counts["failed"],
        n_not_run=counts["not run"],
        has_flags=any(r.get("flag") for r in region_rows),
        has_tracking=any(r.get("tracking") for r in region_rows),
        plan_links=any(r.get("plan_links") for r in region_rows),
        as_of=manifest.get("as_of"),
        plan_run=manifest.get("plan_run", ""),
        n_profit_missed=sum(1 for r in region_rows if r.get("flag") == "sales met, profit missed"),
        steps=[
            {"step": s.get("step"), "status": s.get("status"), "outputs": s.get("outputs", []),
             "error": " ".join(str(v) for v in (s.get("error") or {}).values())[:400]}
            for s in manifest.get("plan_steps", [])
        ],
    )
