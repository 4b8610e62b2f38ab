"""
The scenario comparison page: per region, each scenario's target, budget, profit and dual check,
the differences to the first scenario, and the assumptions that differ.

One self-contained HTML page (no scripts, nothing loaded from the network); every string
from the data is escaped. Public functions: comparison_html, write_comparison.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import numpy as np

from planlib.labels import FLAG_NAMES, LEVEL_NAMES
from planlib.run.compare import Comparison
from planlib.run.folder import write_atomic
from planlib.workflow.scenarios import MEASURES, headline

__all__ = ["comparison_html", "write_comparison"]

_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",sans-serif;margin:24px;color:#1f2328}
h1{font-size:22px;margin-bottom:4px}.sub{color:#57606a;font-size:13px}
h2{font-size:17px;margin-top:26px}
table{border-collapse:collapse;font-size:13px;margin:6px 0 14px 0}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left}
th{background:#f3f5f7}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.up{color:#1a7f37}td.down{color:#cf222e}td.changed{color:#9a6700;font-weight:600}
tr.first td{border-top:2px solid #8c959f}
.kpis{display:flex;flex-wrap:wrap;gap:10px}.kpi{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px}
.kpi .v{font-size:18px;font-weight:600}.kpi .l{font-size:12px;color:#555}
"""


def _e(v: object) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def _flag(v: object) -> str:
    if not isinstance(v, str):
        return "—"
    return FLAG_NAMES.get(v, v).split(" ")[0] if v in FLAG_NAMES else v


def _cell(measure: str, value: object, delta: bool = False) -> str:
    if measure == "flag":
        if delta:
            return f'<td class="changed">{_e(value)}</td>' if value else "<td></td>"
        return f"<td>{_e(_flag(value))}</td>"
    if value is None or (isinstance(value, (float, np.floating)) and not np.isfinite(value)):
        return '<td class="num">—</td>'
    x = float(value)
    if delta:
        cls = "up" if x > 0 else "down" if x < 0 else ""
        return f'<td class="num {cls}">{x:+z,.0f}</td>'
    return f'<td class="num">{x:,.0f}</td>'


def comparison_html(c: Comparison, *, today: dt.date | None = None) -> str:
    """
    The comparison page as HTML.

    Parameters
    ----------
    c : Comparison
        :func:`planlib.run.compare.compare_runs`.
    today : date, optional
        The date printed on the page.
    """
    labels = list(c.labels)
    deltas = [f"Δ {lab}" for lab in labels[1:]]
    parts = [f"<h1>{_e(c.title)} · 情景对比</h1>",
             (f'<p class="sub">{_e("对比运行：" + "、".join(f"{lab}（{p.name}）" for lab, p in zip(labels, c.runs)))}'
             f' · 基准：{_e(labels[0])} · 生成于 {(today or dt.date.today()):%Y-%m-%d} · 单位：销量 箱，金额 元</p>')]
    kpis = headline(c.figures, c.root)
    if kpis:
        parts.append('<div class="kpis">' + "".join(
            f'<div class="kpi"><div class="v">{_e(v)}</div><div class="l">{_e(k)}</div></div>' for k, v in kpis) + "</div>")
    head = "".join(f"<th>{_e(h)}</th>" for h in ["区域编码", "名称", "层级", "指标", *labels,
                                                 *(f"{lab} − {labels[0]}" for lab in labels[1:])])
    rows = []
    for region, group in c.figures.groupby("region_id", sort=False):
        for i, (_, r) in enumerate(group.iterrows()):
            m = r["measure"]
            lead = (f"<td>{_e(region)}</td><td>{_e(c.names.get(region, region))}</td>"
                    f"<td>{_e(LEVEL_NAMES.get(r['level'], r['level']))}</td>")
            cells = "".join(_cell(m, r[lab]) for lab in labels) + "".join(_cell(m, r[d], delta=True) for d in deltas)
            rows.append(f'<tr{" class=first" if i == 0 else ""}>{lead}<td>{_e(MEASURES[m])}</td>{cells}</tr>')
    parts.append("<h2>各区域的目标、预算、利润与双重检查</h2>")
    parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    parts.append("<h2>不同的假设</h2>")
    a = c.assumptions
    if a.empty:
        parts.append("<p>各情景的参数完全相同：差异只来自数据或代码版本。</p>")
    else:
        ah = "".join(f"<th>{_e(h)}</th>" for h in ["参数", *labels])
        ar = "".join("<tr>" + f"<td>{_e(r['key'])}</td>" + "".join(f"<td>{_e(r[lab])}</td>" for lab in labels) + "</tr>"
                     for _, r in a.iterrows())
        parts.append(f"<p>下列参数（点分键，取自各运行最上级区域的参数快照）在各情景间取值不同：</p>"
                     f"<table><thead><tr>{ah}</tr></thead><tbody>{ar}</tbody></table>")
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(c.title)} · 情景对比</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def write_comparison(c: Comparison, out_dir: str | Path) -> Path:
    """Write the comparison page as ``out_dir/index.html`` (atomically); returns its path."""
    return write_atomic(Path(out_dir) / "index.html", comparison_html(c))

