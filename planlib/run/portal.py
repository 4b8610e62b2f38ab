"""
The run's front page, ``index.html``: the plan at a glance, then every region.

What leadership reads first: the plan's title and date, its headline figures (target volume,
revenue, profit, budget, expense ratio, the dual check), a region table that sorts (click a
header) and filters (names in Chinese, ids, levels, statuses), the pyramid to drill down
(a region's name opens its children, breadcrumbs lead back up), each region's reports one
click away, and the flags that ask for attention. Everything is in the plan's words, one
self-contained page (styles and script inline, nothing fetched), every shown string escaped
by Jinja's autoescape; the machine files sit in a small "数据文件" section.

Public functions: region_figures, read_figures, run_files, region_counts, render_portal,
tracking_cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planlib.labels import FLAG_NAMES, LEVEL_NAMES, NOTEBOOK_NAMES, TRACKING_CODES
from planlib.run import folder
from planlib.targets import BREAKDOWN_COLUMNS

__all__ = ["FIGURE_COLUMNS", "MARK_NAMES", "WORKBOOK_NAMES", "DATA_NAMES", "region_figures", "read_figures", "run_files", "region_counts",
           "render_portal", "tracking_cells"]

#: The columns of :func:`region_figures`, one row per region.
FIGURE_COLUMNS: tuple[str, ...] = (
    "region_id", "target_volume", "target_revenue", "profit", "profit_target", "budget", "expense_ratio",
    "flag", "profit_missed", "beyond_potential", "asked_to_shrink",
)

#: The marks a region's row may carry, in the portal's words.
MARK_NAMES: dict[str, str] = {"profit_missed": "利润未达", "beyond_potential": "超出潜力",
                              "asked_to_shrink": "目标低于上年"}

#: What each plan-wide step's workbook is called on the portal.
WORKBOOK_NAMES: dict[str, str] = {"targets": "目标分解工作簿", "budget": "费用预算工作簿",
                                  "tracking": "执行跟踪工作簿"}

#: The run's machine files under "数据文件", in words.
DATA_NAMES: dict[str, str] = {folder.RESULTS_TARGETS: "目标明细", folder.RESULTS_BUDGET: "预算明细",
                              folder.RESULTS_REGIONS: "各区域预算与双重检查", folder.RESULTS_METHODS: "预算方法",
                              folder.RESULTS_TRACKING: "跟踪明细", folder.RESULTS_KPI: "考核得分",
                              folder.RESULTS_FINDINGS: "数据质量检查结果", folder.RESULTS_FINDINGS_REGIONS: "数据质量检查覆盖的区域",
                              folder.RESULTS_PROMOTIONS: "促销方案费用与拉动", folder.RESULTS_PROMOTION_MONTHS: "促销方案分月费用",
                              # a tracking run's further tables (planlib.run.track.write_tracking: tracking_<table>.parquet)
                              "tracking_summary.parquet": "各区域完成进度", "tracking_milestones.parquet": "阶段目标",
                              "tracking_control.parquet": "费用控制", "tracking_control_items.parquet": "费用项目控制",
                              "tracking_dual.parquet": "实际数据的双重检查", "tracking_weekly.parquet": "重点终端周完成",
                              "tracking_people.parquet": "人员完成", "tracking_promotions.parquet": "促销方案执行"}

_STATUS_NAMES = {"succeeded": "完成", "failed": "失败", "not run": "未运行"}


def region_figures(targets: pd.DataFrame | None, regions: pd.DataFrame | None) -> pd.DataFrame:
    """
    Each region's headline figures from a run's results: targets, profit, budget and flags.

    Parameters
    ----------
    targets : DataFrame or None
        ``results/targets.parquet`` (at least region_id, the breakdown columns present in it,
        target_volume, target_revenue, last_year_volume); None when the run set no targets.
    regions : DataFrame or None
        ``results/budget_regions.parquet`` (region_id, budget, profit_at_target,
        profit_target, flag, sales_reachable, profit_reachable, ly_volume); None when the
        run priced no budget.

    Returns
    -------
    DataFrame
        :data:`FIGURE_COLUMNS`, one row per region found in either table, in the targets'
        order then the budget's. Figures a table did not give are NaN (flags False, flag None).

    Notes
    -----
    target_volume, target_revenue = the sums over the months of the region's total rows
    (every breakdown column empty); profit = the budget's profit at the target volume;
    expense_ratio = budget / target_revenue (NaN when target_revenue <= 0);
    profit_missed = not profit_reachable (profit at target below the profit target beyond
    its tolerance); beyond_potential = not sales_reachable (target above last year's volume
    grown by the reachable growth); asked_to_shrink = target_volume < last year's volume
    (the budget's ly_volume, else the targets' last_year_volume summed over the total rows).
    """
    out = pd.DataFrame({"region_id": pd.Series(dtype=object)})
    if targets is not None and len(targets):
        empty = [c for c in BREAKDOWN_COLUMNS if c in targets]
        totals = targets.loc[targets[empty].isna().all(axis=1)] if empty else targets
        cols = [c for c in ("target_volume", "target_revenue", "last_year_volume") if c in totals]
        sums = totals.assign(region_id=totals["region_id"].astype(str)).groupby(
            "region_id", sort=False, observed=True)[cols].sum(min_count=1).reset_index()
        out = sums.rename(columns={"last_year_volume": "ly_volume"})
    if regions is not None and len(regions):
        want = ["region_id", "budget", "profit_at_target", "profit_target", "flag", "sales_reachable",
                "profit_reachable", "ly_volume"]
        b = regions[[c for c in want if c in regions]].assign(region_id=regions["region_id"].astype(str))
        b = b.rename(columns={"profit_at_target": "profit"})
        if "ly_volume" in out and "ly_volume" in b:
            out = out.drop(columns="ly_volume")
        if "target_volume" not in out and "target_volume" in regions:  # a budget without its targets table
            b = b.assign(target_volume=regions["target_volume"], target_revenue=regions["target_revenue"])
        out = out.merge(b, on="region_id", how="outer", sort=False)
    for col in ("target_volume", "target_revenue", "ly_volume", "budget", "profit", "profit_target"):
        if col not in out:
            out[col] = np.nan
        out[col] = out[col].astype("float64")
    rev = out["target_revenue"]
    out["expense_ratio"] = (out["budget"] / rev.where(rev > 0)).astype("float64")
    # object, not pandas' string dtype: a region without a dual check (no target) has None, which
    # a string column would turn into NaN, a truthy float the page would print as "nan"
    flags = out["flag"] if "flag" in out else pd.Series(None, index=out.index, dtype=object)
    out["flag"] = pd.Series([v if isinstance(v, str) and v else None for v in flags], index=out.index, dtype=object)
    for col, src in (("profit_missed", "profit_reachable"), ("beyond_potential", "sales_reachable")):
        known = out[src] if src in out else pd.Series(None, index=out.index, dtype=object)
        out[col] = known.map(lambda v: v is not None and not pd.isna(v) and not bool(v)).astype(bool)
    out["asked_to_shrink"] = (out["target_volume"] < out["ly_volume"]).fillna(False).astype(bool)
    return out[list(FIGURE_COLUMNS)].reset_index(drop=True)


def read_figures(results: str | Path) -> pd.DataFrame:
    """
    :func:`region_figures` of the run whose ``results/`` folder is ``results``.

    Reads only the columns it needs (the national targets table holds millions of rows);
    a table the run did not write counts as None.
    """
    res = Path(results)
    tpath, rpath = res / folder.RESULTS_TARGETS, res / folder.RESULTS_REGIONS
    targets = None
    if tpath.exists():
        import pyarrow.parquet as pq

        names = set(pq.read_schema(tpath).names)
        cols = ["region_id", *[c for c in BREAKDOWN_COLUMNS if c in names],
                *[c for c in ("target_volume", "target_revenue", "last_year_volume") if c in names]]
        targets = pd.read_parquet(tpath, columns=cols)
    regions = pd.read_parquet(rpath) if rpath.exists() else None
    return region_figures(targets, regions)


def run_files(manifest: Mapping[str, Any]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """
    The run's workbooks and machine files, from the plan-wide steps' outputs.

    Returns
    -------
    (workbooks, data_files)
        Each a list of ``{"href", "label"}``, relative to the run folder. A workbook is named
        by its step (:data:`WORKBOOK_NAMES`); one file written by several steps gets one link
        naming them all (目标分解工作簿 · 费用预算工作簿). Data files keep their file names.
    """
    books: dict[str, list[str]] = {}
    data: dict[str, str] = {}
    for s in manifest.get("plan_steps") or []:
        if s.get("status") != "succeeded":
            continue
        for o in s.get("outputs") or []:
            if str(o).lower().endswith(".xlsx"):
                label = WORKBOOK_NAMES.get(s.get("step"), "工作簿")
                if label not in books.setdefault(o, []):
                    books[o].append(label)
            else:
                base = str(o).rsplit("/", 1)[-1]
                data.setdefault(o, f"{DATA_NAMES[base]}（{base}）" if base in DATA_NAMES else base)
    return ([{"href": h, "label": " · ".join(v)} for h, v in books.items()],
            [{"href": h, "label": v} for h, v in data.items()])


def _pct(x) -> str:
    return "—" if x is None or pd.isna(x) else f"{100 * float(x):.1f}%"


def _whole(x) -> str:
    return "—" if x is None or pd.isna(x) else f"{float(x):,.0f}"


def _sortable(x) -> str:
    return "" if x is None or pd.isna(x) else repr(float(x))


def _flag_label(flag) -> str:
    return FLAG_NAMES.get(flag, str(flag)).split(" ")[0] if flag else ""


def tracking_cells(t: Mapping[str, Any]) -> dict[str, Any]:
    """A region's tracking figures (:func:`planlib.run.track.region_flags`) as the portal shows them, in words."""
    gap = t.get("landing_gap")
    return {**t,
            "completion_text": _pct(t.get("completion")),
            "progress_text": f"{_pct(t.get('task_progress'))} / {_pct(t.get('time_progress'))}",
            "landing_text": "—" if gap is None else f"{gap:+z,.0f}",
            "verdict_text": TRACKING_CODES.get(t.get("verdict") or "", t.get("verdict") or ""),
            "budget_text": TRACKING_CODES.get(t.get("budget_flag") or "", t.get("budget_flag") or "")}


def _region_status(region: str, status: Mapping, notebooks: Sequence[str]) -> str:
    mine = [status.get((region, nb)) for nb in notebooks]
    if "failed" in mine:
        return "failed"
    if mine and all(s == "succeeded" for s in mine):
        return "succeeded"
    return "not run"


def region_counts(manifest: Mapping[str, Any], regions: Sequence[str]) -> dict[str, int]:
    """
    How many of ``regions`` succeeded, failed or were not run, from the manifest's entries.

    A region succeeded when every notebook it runs (the manifest's ``planned``, else every
    notebook of the run) succeeded for it; it failed when one failed; otherwise (a notebook with no entry: the run was interrupted before it, or is
    still going) it was not run. A region is never counted as succeeded for lack of a failure.
    """
    notebooks = list(manifest.get("notebooks", []))
    planned = manifest.get("planned") or {}
    status = {(e["region_id"], e["notebook"]): e.get("status") for e in manifest.get("entries", [])}
    counts = {"succeeded": 0, "failed": 0, "not run": 0}
    for region in regions:
        counts[_region_status(region, status, planned.get(region, notebooks))] += 1
    return counts


def _shown_parents(region_rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Each row's nearest ancestor among the rows (its ``ancestors`` or ``parent_id``), "" for a top."""
    ids = {str(r["region_id"]) for r in region_rows}
    out = {}
    for r in region_rows:
        chain = list(r.get("ancestors") or ([r["parent_id"]] if r.get("parent_id") else []))
        out[str(r["region_id"])] = next((str(a) for a in chain if str(a) in ids), "")
    return out


def _figure_cells(f: Mapping[str, Any] | None) -> dict[str, Any]:
    f = f or {}
    marks = [MARK_NAMES[k] for k in MARK_NAMES if f.get(k)]
    return {
        "volume": _whole(f.get("target_volume")), "volume_key": _sortable(f.get("target_volume")),
        "revenue": _whole(f.get("target_revenue")), "revenue_key": _sortable(f.get("target_revenue")),
        "profit": _whole(f.get("profit")), "profit_key": _sortable(f.get("profit")),
        "budget": _whole(f.get("budget")), "budget_key": _sortable(f.get("budget")),
        "ratio": _pct(f.get("expense_ratio")), "ratio_key": _sortable(f.get("expense_ratio")),
        "marks": marks,
    }


def _headline(fig: Mapping[str, Any] | None, figures: pd.DataFrame | None, names: Mapping[str, str]) -> dict | None:
    if not fig:
        return None
    flags = {}
    if figures is not None and "flag" in figures:
        for flag in figures["flag"].dropna():
            flags[_flag_label(flag)] = flags.get(_flag_label(flag), 0) + 1
    root = str(fig["region_id"])
    return {
        "region": names.get(root, root), "volume": _whole(fig.get("target_volume")),
        "revenue": _whole(fig.get("target_revenue")), "profit": _whole(fig.get("profit")),
        "profit_target": _whole(fig.get("profit_target")), "budget": _whole(fig.get("budget")),
        "ratio": _pct(fig.get("expense_ratio")), "flag": fig.get("flag"), "flag_label": _flag_label(fig.get("flag")),
        "flag_counts": sorted(flags.items(), key=lambda kv: -kv[1]), "n_flagged": sum(flags.values()),
        "marks": {MARK_NAMES[k]: int(figures[k].sum()) for k in MARK_NAMES} if figures is not None else {},
    }


def _plan_root(figures: pd.DataFrame, root: str | None) -> dict | None:
    """The figures' row of the plan's root (``root``, else the first row: the targets run top-down)."""
    if figures is None or not len(figures):
        return None
    mine = figures.loc[figures["region_id"] == root] if root is not None else figures.iloc[:0]
    return (mine if len(mine) else figures).iloc[0].to_dict()


def render_portal(manifest: Mapping[str, Any], region_rows: Sequence[Mapping[str, Any]], *,
                  figures: pd.DataFrame | None = None, plan_root: str | None = None,
                  workflow: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """
    The run's ``index.html``: the plan's headline figures, then every region with its reports.

    Parameters
    ----------
    manifest : mapping
        The run manifest (plan_id, run_id, title, notebooks, entries, plan_steps, started,
        finished, status; planned: region -> the notebooks it runs; a tracking run's as_of
        and plan_run).
    region_rows : sequence of mapping
        One mapping per region in display order: region_id, name, level; optionally
        parent_id or ancestors (nearest first: the pyramid to drill down), flag (the dual
        check's code), tracking (:func:`planlib.run.track.region_flags`' row), plan_links.
    figures : DataFrame, optional
        :func:`region_figures` of the run (or of the plan a tracking run follows): the
        headline is its root's row, each region's row its figures and marks. A tracking
        run (``as_of`` in the manifest) shows the plan's headline but, per region, only the
        targets beside its tracking columns (the page stays readable).
    plan_root : str, optional
        The plan's root region, whose figures are the headline (else the first row of
        ``figures``: the targets table runs top-down).
    workflow : mapping, optional
        region_id -> ``{"status": label, "version": "v2"}`` (the submission and approval
        state); given, the table shows it as a column.

    Returns
    -------
    str
        One self-contained HTML page, rendered by Jinja2 with autoescaping on, so every name,
        error and label from data is escaped.
    """
    from jinja2 import Environment
    from markupsafe import Markup

    env = Environment(autoescape=True)
    entries = {(e["region_id"], e["notebook"]): e for e in manifest.get("entries", [])}
    status_of = {k: e.get("status") for k, e in entries.items()}
    notebooks = list(manifest.get("notebooks", []))
    planned = manifest.get("planned") or {}
    parents = _shown_parents(region_rows)
    has_kids = set(parents.values())
    by_id = {} if figures is None else {str(r["region_id"]): r for r in figures.to_dict("records")}
    names = {str(r["region_id"]): str(r.get("name", r["region_id"])) for r in region_rows}
    workflow = workflow or {}
    rows = []
    for r in region_rows:
        rid = str(r["region_id"])
        reports = []
        mine = list(planned.get(rid, notebooks))
        for nb in mine:
            e = entries.get((rid, nb), {"status": "not run"})
            err = e.get("error") or {}
            reports.append({
                "name": NOTEBOOK_NAMES.get(nb, nb), "status": e.get("status", "not run"), "href": e.get("html"),
                "failed_href": e.get("failed_notebook"),
                "seconds": f"{e['seconds']:.1f} 秒" if e.get("seconds") is not None else "",
                "error": " ".join(str(err.get(k, "")) for k in ("cell", "ename", "evalue")
                                  if err.get(k) is not None)[:400],
            })
        flag = r.get("flag") or (by_id.get(rid) or {}).get("flag")
        status = _region_status(rid, status_of, mine)
        cells = _figure_cells(by_id.get(rid))
        level_label = LEVEL_NAMES.get(str(r.get("level")), str(r.get("level", "")))
        wf = workflow.get(rid)
        wf_text = " · ".join(str(v) for v in ((wf or {}).get("status"), (wf or {}).get("version")) if v) if wf else ""
        row = {**r, "region_id": rid, "parent": parents[rid], "drill": rid in has_kids, "reports": reports,
               "flag": flag, "flag_label": _flag_label(flag), "level_label": level_label,
               "status": status, "status_label": _STATUS_NAMES[status], "workflow_text": wf_text, **cells}
        if r.get("tracking"):
            row["tracking"] = tracking_cells(r["tracking"])
        row["search"] = " ".join([str(r.get("name", "")), rid, str(r.get("level", "")), level_label,
                                  _STATUS_NAMES[status], row["flag_label"], *cells["marks"], wf_text]).lower()
        rows.append(row)
    counts = region_counts(manifest, [r["region_id"] for r in region_rows])
    status = manifest.get("status") or ("finished" if manifest.get("finished") else "running")
    workbooks, data_files = run_files(manifest)
    tops = [r["region_id"] for r in rows if not r["parent"]]
    root = _plan_root(figures, plan_root) if figures is not None else None
    if root is not None:
        names.setdefault(str(root["region_id"]), str(root["region_id"]))
    return env.from_string(_PORTAL).render(
        title=manifest.get("title") or manifest.get("plan_id", "planlib"),
        plan_id=manifest.get("plan_id", ""),
        run_id=manifest.get("run_id", ""),
        date=str(manifest.get("finished") or manifest.get("started") or "")[:10],
        status=status,
        stopped=str((manifest.get("interrupted") or {}).get("at", ""))[:19].replace("T", " "),
        notebooks=notebooks,
        rows=rows,
        focus=tops[0] if len(tops) == 1 else "",
        headline=_headline(root, figures, names),
        has_figures=figures is not None and len(figures) > 0,
        n_regions=len(region_rows),
        n_ok=counts["succeeded"],
        n_failed=counts["failed"],
        n_not_run=counts["not run"],
        has_flags=any(r["flag"] for r in rows),
        has_workflow=bool(workflow),
        has_tracking=any(r.get("tracking") for r in region_rows),
        plan_links=any(r.get("plan_links") for r in region_rows),
        as_of=manifest.get("as_of"),
        plan_run=manifest.get("plan_run", ""),
        n_profit_missed=sum(1 for r in rows if r["flag"] == "sales met, profit missed"),
        workbooks=workbooks,
        data_files=data_files,
        steps=[
            {"step": s.get("step"), "status": s.get("status"),
             "error": " ".join(str(v) for v in (s.get("error") or {}).values())[:400]}
            for s in manifest.get("plan_steps", []) if s.get("status") != "succeeded"
        ],
        style=Markup(_STYLE),
        script=Markup(_SCRIPT),
    )


_STYLE = """
*{box-sizing:border-box}
body{font-family:"Noto Sans CJK SC","Noto Sans SC","WenQuanYi Zen Hei","Microsoft YaHei",sans-serif;margin:0;
padding:16px 20px 40px;color:#1f2328;background:#fff;line-height:1.45}
h1{font-size:22px;margin:0 0 2px} h2{font-size:17px;margin:22px 0 8px}
.sub{color:#57606a;margin:2px 0 10px;font-size:14px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0 6px}
.card{border:1px solid #d0d7de;border-radius:8px;padding:8px 14px;min-width:150px;background:#f6f8fa}
.card .k{font-size:12px;color:#57606a} .card .v{font-size:20px;font-weight:600;white-space:nowrap}
.card .u{font-size:12px;color:#57606a;margin-left:3px}
.ok{color:#1a7f37;font-weight:600} .failed{color:#cf222e;font-weight:600} .muted{color:#6e7781}
.warn{color:#9a6700;font-weight:600}
.mark{display:inline-block;border-radius:10px;padding:0 7px;margin:1px 2px;font-size:12px;white-space:nowrap;
background:#fff1e5;color:#953800;border:1px solid #ffb77c}
.mark.bad{background:#ffebe9;color:#a40e26;border-color:#ff8182}
.tools{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:6px 0}
.tools input[type=search]{font-size:15px;padding:5px 8px;border:1px solid #8c959f;border-radius:6px;width:min(100%,320px)}
nav.crumbs{font-size:14px;margin:6px 0} nav.crumbs a{color:#0969da}
.wrap{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;font-size:14px;min-width:100%}
th,td{border-bottom:1px solid #d8dee4;padding:5px 9px;text-align:left;vertical-align:top}
th{background:#f3f5f7;position:sticky;top:0;cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" ▲"} th[aria-sort=descending]::after{content:" ▼"}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
#regions td:first-child,#regions td.flag{white-space:nowrap}
tr.focus td{background:#f6f8fa;font-weight:600}
a{color:#0969da} a.drill{font-weight:600}
.reports a{margin-right:8px;white-space:nowrap}
.err{font-family:monospace;font-size:12px;color:#6e1a1a;max-width:520px}
details{margin:14px 0;font-size:14px} details a{margin-right:12px}
"""

_SCRIPT = """
(function () {
  var table = document.getElementById('regions');
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var byId = {};
  rows.forEach(function (r) { byId[r.getAttribute('data-id')] = r; });
  var q = document.getElementById('q'), all = document.getElementById('all');
  var crumbs = document.getElementById('crumbs'), shown = document.getElementById('shown');
  var home = table.getAttribute('data-focus') || '';
  function focus() {
    var h = decodeURIComponent((location.hash || '').replace(/^#r-/, '').replace(/^#/, ''));
    return byId[h] ? h : home;
  }
  function link(text, id) {
    var a = document.createElement('a');
    a.textContent = text;
    a.href = id ? '#r-' + id : '#all';
    return a;
  }
  function drawCrumbs(f) {
    while (crumbs.firstChild) { crumbs.removeChild(crumbs.firstChild); }
    var chain = [], id = f;
    while (id && byId[id]) { chain.unshift(id); id = byId[id].getAttribute('data-parent'); }
    crumbs.appendChild(link('全部区域', ''));
    chain.forEach(function (c) {
      crumbs.appendChild(document.createTextNode(' › '));
      crumbs.appendChild(link(byId[c].getAttribute('data-name'), c));
    });
  }
  function show() {
    var f = location.hash === '#all' ? '' : focus();
    var s = q.value.trim().toLowerCase(), n = 0;
    rows.forEach(function (r) {
      var id = r.getAttribute('data-id'), parent = r.getAttribute('data-parent');
      var v = s ? r.getAttribute('data-search').indexOf(s) >= 0
        : (all.checked || (f ? (id === f || parent === f) : !parent));
      r.hidden = !v;
      r.classList.toggle('focus', !s && !all.checked && id === f);
      if (v) { n += 1; }
    });
    shown.textContent = String(n);
    drawCrumbs(f);
  }
  function key(r, i) {
    var c = r.cells[i], k = c.getAttribute('data-sort');
    return k === null ? c.textContent.trim() : k;
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
    th.addEventListener('click', function () {
      var down = th.getAttribute('aria-sort') === 'ascending';
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (o) { o.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', down ? 'descending' : 'ascending');
      var sorted = rows.slice().sort(function (a, b) {
        var x = key(a, i), y = key(b, i), nx = Number(x), ny = Number(y), c;
        if (x === '' || y === '') { return (x === '') - (y === ''); }  // no figure: last either way
        c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, 'zh-CN');
        return down ? -c : c;
      });
      sorted.forEach(function (r) { body.appendChild(r); });
    });
  });
  q.addEventListener('input', show);
  all.addEventListener('change', show);
  window.addEventListener('hashchange', show);
  show();
}());
"""

_PORTAL = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ style }}</style></head><body>
<h1>{{ title }}</h1>
<div class="sub">{% if as_of %}执行跟踪{% else %}计划{% endif %} · 运行 {{ run_id }}{% if date %} · {{ date }}{% endif %}
{% if status == "interrupted" %} · <span class="failed">已中断{% if stopped %}（{{ stopped }}）{% endif %}</span>
{% elif status == "running" %} · <span class="warn">运行中</span>{% endif %}</div>
{% if as_of %}<div class="sub">执行跟踪 截至 {{ as_of }} · 跟踪的方案运行 <a href="../{{ plan_run }}/index.html">{{ plan_run }}</a>
{% if plan_links %}（各区域的分析、目标与预算报告见该运行）{% endif %}</div>{% endif %}
{% if headline %}<section class="cards" aria-label="全计划要点">
<div class="card"><div class="k">{{ headline.region }} 目标销量</div><div class="v">{{ headline.volume }}<span class="u">箱</span></div></div>
<div class="card"><div class="k">目标销售额</div><div class="v">{{ headline.revenue }}<span class="u">元</span></div></div>
<div class="card"><div class="k">预计利润（利润目标 {{ headline.profit_target }} 元）</div><div class="v">{{ headline.profit }}<span class="u">元</span></div></div>
<div class="card"><div class="k">费用预算</div><div class="v">{{ headline.budget }}<span class="u">元</span></div></div>
<div class="card"><div class="k">费用率</div><div class="v">{{ headline.ratio }}</div></div>
<div class="card"><div class="k">双重检查</div><div class="v {{ 'ok' if headline.flag == 'both met' else 'warn' }}">{{ headline.flag_label or "—" }}</div></div>
</section>
<div class="sub">全计划 {{ headline.n_flagged }} 个区域的双重检查：{% for label, n in headline.flag_counts %}{{ label }} {{ n }} 个{% if not loop.last %}，{% endif %}{% endfor %}{% for label, n in headline.marks.items() %}{% if n %}；<span class="mark{{ ' bad' if label == '利润未达' else '' }}">{{ label }}</span> {{ n }} 个区域{% endif %}{% endfor %}</div>
{% endif %}
<div class="sub">区域：{{ n_regions }} · <span class="ok">成功：{{ n_ok }}</span> · <span class="failed">失败：{{ n_failed }}</span> · <span class="muted">未运行：{{ n_not_run }}</span>
{% for w in workbooks %} · <a href="{{ w.href }}">{{ w.label }}</a>{% endfor %}</div>
{% for s in steps %}<div class="sub"><span class="failed">全计划步骤 {{ s.step }} 失败</span> <span class="err">{{ s.error }}</span></div>{% endfor %}
{% if n_profit_missed %}<div class="sub"><span class="warn">销量达成、利润未达：{{ n_profit_missed }} 个区域</span>
— 见这些区域费用预算报告中的双重检查。</div>{% endif %}
<h2>各区域</h2>
<div class="tools"><input id="q" type="search" placeholder="按名称、编码、层级或状态筛选" aria-label="筛选区域">
<label><input id="all" type="checkbox"> 显示全部区域</label><span class="muted">显示 <span id="shown">{{ rows|length }}</span> 个</span></div>
<nav class="crumbs" id="crumbs" aria-label="层级导航"></nav>
<div class="wrap"><table id="regions" data-focus="{{ focus }}"><thead><tr><th>区域</th><th>编码</th><th>层级</th>
{% if has_figures %}<th>目标销量（箱）</th><th>目标销售额（元）</th>{% if not as_of %}<th>预计利润（元）</th><th>费用预算（元）</th><th>费用率</th>{% endif %}{% endif %}
{% if has_flags %}<th>双重检查</th>{% endif %}{% if has_figures %}<th>标记</th>{% endif %}
{% if has_workflow %}<th>审批状态</th>{% endif %}
{% if has_tracking %}<th>序时完成率</th><th>任务进度 / 序时进度</th><th>预计全年比目标（箱）</th><th>实际双重检查</th><th>阶段目标 · 费用</th>{% endif %}
{% if plan_links %}<th>方案报告</th>{% endif %}<th>报告</th><th>状态</th></tr></thead><tbody>
{% for r in rows %}<tr data-id="{{ r.region_id }}" data-parent="{{ r.parent }}" data-name="{{ r.name }}" data-search="{{ r.search }}" class="lvl-{{ r.level }}">
<td>{% if r.drill %}<a class="drill" href="#r-{{ r.region_id }}" title="查看下级区域">{{ r.name }}</a>{% else %}{{ r.name }}{% endif %}</td><td>{{ r.region_id }}</td><td>{{ r.level_label }}</td>
{% if has_figures %}<td class="n" data-sort="{{ r.volume_key }}">{{ r.volume }}</td><td class="n" data-sort="{{ r.revenue_key }}">{{ r.revenue }}</td>
{% if not as_of %}<td class="n" data-sort="{{ r.profit_key }}">{{ r.profit }}</td><td class="n" data-sort="{{ r.budget_key }}">{{ r.budget }}</td><td class="n" data-sort="{{ r.ratio_key }}">{{ r.ratio }}</td>{% endif %}{% endif %}
{% if has_flags %}<td class="flag">{% if r.flag == "both met" %}<span class="ok">{{ r.flag_label }}</span>{% elif r.flag %}<span class="warn">{{ r.flag_label }}</span>{% endif %}</td>{% endif %}
{% if has_figures %}<td>{% for m in r.marks %}<span class="mark{{ ' bad' if m == '利润未达' else '' }}">{{ m }}</span>{% endfor %}</td>{% endif %}
{% if has_workflow %}<td>{{ r.workflow_text }}</td>{% endif %}
{% if has_tracking %}{% set t = r.tracking or {} %}<td class="{{ 'ok' if t.status == 'ahead' else ('warn' if t.status == 'behind' else '') }}">{{ t.completion_text }}</td>
<td>{{ t.progress_text }}</td><td>{{ t.landing_text }}</td>
<td>{% if t.verdict == "both met" %}<span class="ok">{{ t.verdict_text }}</span>{% elif t.verdict %}<span class="warn">{{ t.verdict_text }}</span>{% endif %}</td>
<td>{% for m in t.milestones_missed or [] %}<span class="warn">未达阶段目标 {{ m }}</span> {% endfor %}{% if t.budget_flag %}<span class="warn">{{ t.budget_text }}</span>{% endif %}</td>{% endif %}
{% if plan_links %}<td class="reports">{% for l in r.plan_links or [] %}<a href="{{ l.href }}">{{ l.label }}</a>{% endfor %}</td>{% endif %}
<td class="reports">{% for c in r.reports %}{% if c.status == "succeeded" %}<a href="{{ c.href }}" title="{{ c.seconds }}">{{ c.name }}</a>{% elif c.status == "failed" %}<span class="failed">{{ c.name }} 失败</span>
{% if c.href %}<a href="{{ c.href }}">上次成功的{{ c.name }}</a>{% endif %}{% if c.failed_href %}<a href="{{ c.failed_href }}">出错的笔记本</a>{% endif %}<div class="err">{{ c.error }}</div>
{% else %}<span class="muted">{{ c.name }} 未运行</span> {% endif %}{% endfor %}</td>
<td class="{{ 'ok' if r.status == 'succeeded' else ('failed' if r.status == 'failed' else 'muted') }}">{{ r.status_label }}</td></tr>
{% endfor %}</tbody></table></div>
{% if data_files %}<details><summary>数据文件</summary>{% for d in data_files %}<a href="{{ d.href }}">{{ d.label }}</a>{% endfor %}
<div class="muted">供分析人员用程序读取的明细表。</div></details>{% endif %}
<div class="sub muted">{{ plan_id }} · 运行编号 {{ run_id }}</div>
<script>{{ script }}</script>
</body></html>
"""
