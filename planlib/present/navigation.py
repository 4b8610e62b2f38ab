"""
The header of every report: what plan and run it belongs to, and where to go from it.

A report is read on its own (by mail, on an intranet), so each page says the plan's title,
the run's date and the data it stands on, and links back to the run's portal, to the
region's other reports, to its parent's and its children's same report. Links are built
from the run's own manifest (its regions and notebooks), so a link only points at a page
the run writes; every text and address is escaped.

Public functions: :func:`report_links`, :func:`header_html`, :func:`page_header`,
:func:`download_link`, :func:`region_choices`.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from planlib.labels import LEVEL_NAMES, NOTEBOOK_NAMES
from planlib.run import folder

__all__ = ["Link", "ReportLinks", "report_links", "header_html", "page_header", "download_link", "region_choices"]

_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")

#: From ``regions/<region_id>/`` back to the run's ``index.html``.
PORTAL_FROM_REGION = "../../index.html"


@dataclass(frozen=True)
class Link:
    """One link of a report's header: the words shown and the address, relative to the report."""

    text: str
    href: str


@dataclass(frozen=True)
class ReportLinks:
    """
    Where a report sits and what it links to (:func:`report_links`).

    Attributes
    ----------
    plan_title : str
        The plan's title (the manifest's ``title``), or its id.
    run_date : str
        The date the run started (``YYYY-MM-DD``), or "" outside a run.
    data_note : str
        The data the page stands on, in words.
    portal : Link or None
        Back to the run's portal; None outside a run.
    others : list of Link
        The region's other reports in this run (and, for a tracking run, the plan run's).
    parent : Link or None
        The parent region's same report, when the run writes it.
    children : list of Link
        The children's same report, for the children the run writes it for.
    """

    plan_title: str
    run_date: str
    data_note: str
    portal: Link | None = None
    others: list[Link] = field(default_factory=list)
    parent: Link | None = None
    children: list[Link] = field(default_factory=list)


def _read_manifest(run_dir: Path) -> dict:
    """The run's outline (:func:`planlib.run.folder.outline_path`), or its manifest when it has none."""
    for path in (folder.outline_path(run_dir), folder.manifest_path(run_dir)):
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return {}


def _href(*parts: str) -> str:
    """A relative address of ids (already validated as region and notebook ids), percent-quoted."""
    return "/".join(p if p == ".." else quote(p) for p in parts)


def _run_date(manifest: dict) -> str:
    started = str(manifest.get("started") or "")
    try:
        return dt.datetime.fromisoformat(started).date().isoformat()
    except ValueError:
        return started[:10]


def report_links(run_dir: str | os.PathLike[str] | None, region: str, tree, notebook: str, *,
                 plan_title: str = "", data_note: str = "") -> ReportLinks:
    """
    The links of one report's header, from the run's manifest.

    Parameters
    ----------
    run_dir : path or None
        The run folder; None (JupyterLab) gives no links.
    region : str
        The report's region id.
    tree : RegionTree
        The archive's region tree (names, parent, children).
    notebook : str
        The report's notebook name (``20_split_targets``).
    plan_title : str, optional
        Used when the manifest has no title (outside a run).
    data_note : str, optional
        The data the page stands on, in words (``档案 2024–2026 年``).

    Returns
    -------
    ReportLinks
        Only links to pages the run writes: the run's regions (``manifest["regions"]``) and
        notebooks (``manifest["notebooks"]``). A tracking run also links the same region's
        reports of the plan run it follows (``manifest["plan_run"]``) where they exist.

    Notes
    -----
    Every report lives in ``regions/<region_id>/<notebook>.html``: the portal is
    ``../../index.html``, a sibling region's report ``../<region_id>/<notebook>.html``.
    """
    if run_dir is None:
        return ReportLinks(plan_title=plan_title, run_date="", data_note=data_note)
    run_dir = Path(run_dir)
    manifest = _read_manifest(run_dir)
    regions = set(manifest.get("regions") or [])
    notebooks = [n for n in (manifest.get("notebooks") or []) if folder.NOTEBOOK_NAME.fullmatch(str(n))]
    title = str(manifest.get("title") or plan_title or manifest.get("plan_id") or "")
    planned = manifest.get("planned")  # region -> the notebooks it runs (a consolidation only above children)

    def runs(r: str, n: str) -> bool:
        return not isinstance(planned, dict) or n in (planned.get(r) or [])

    others = [Link(NOTEBOOK_NAMES.get(n, n), _href(f"{n}.html")) for n in notebooks
              if n != notebook and runs(region, n)]
    plan_run = manifest.get("plan_run")
    if isinstance(plan_run, str) and _RUN_ID.fullmatch(plan_run):
        plan_region = run_dir.parent / plan_run / "regions" / region
        for page in sorted(plan_region.glob("[0-9][0-9]_*.html")) if plan_region.is_dir() else []:
            if page.stem != notebook and folder.NOTEBOOK_NAME.fullmatch(page.stem):
                others.append(Link(f"{NOTEBOOK_NAMES.get(page.stem, page.stem)}（方案）",
                                   _href("..", "..", "..", plan_run, "regions", region, page.name)))
    parent_id = tree.parent(region)
    parent = None
    if parent_id is not None and parent_id in regions and runs(parent_id, notebook):
        parent = Link(f"上级：{tree.name(parent_id)}", _href("..", parent_id, f"{notebook}.html"))
    children = [Link(tree.name(c), _href("..", c, f"{notebook}.html")) for c in tree.children(region)
                if c in regions and runs(c, notebook)]
    return ReportLinks(plan_title=title, run_date=_run_date(manifest), data_note=data_note,
                       portal=Link("返回方案首页", PORTAL_FROM_REGION), others=others, parent=parent, children=children)


def _a(link: Link) -> str:
    return f'<a href="{html.escape(link.href, quote=True)}">{html.escape(link.text)}</a>'


def header_html(links: ReportLinks, *, region_label: str, notebook: str) -> str:
    """
    The header as HTML: a line of where the page sits, a line of links; every text escaped.

    Parameters
    ----------
    links : ReportLinks
    region_label : str
        The region in words (``山东省 · 省区``).
    notebook : str
        The report's notebook name (named in the plan's words).
    """
    e = html.escape
    facts = [f"<b>{e(links.plan_title)}</b>", e(NOTEBOOK_NAMES.get(notebook, notebook)), e(region_label)]
    if links.run_date:
        facts.append(f"运行日期 {e(links.run_date)}")
    if links.data_note:
        facts.append(e(links.data_note))
    rows = [" · ".join(facts)]
    nav = []
    if links.portal is not None:
        nav.append(_a(links.portal))
    if links.others:
        nav.append("本区域其他报告：" + "、".join(_a(x) for x in links.others))
    if links.parent is not None:
        nav.append(_a(links.parent))
    if links.children:
        nav.append("下级：" + "、".join(_a(x) for x in links.children))
    if nav:
        rows.append(" ｜ ".join(nav))
    body = "".join(f"<div>{r}</div>" for r in rows)
    return ('<nav class="planlib-nav tex2jax_ignore mathjax_ignore" style="font-size:13px;color:#333;'
            'border-bottom:1px solid #d0d7de;padding:4px 0 8px 0;margin-bottom:8px;line-height:1.7">'
            f"{body}</nav>")


def page_header(run_dir, region: str, tree, notebook: str, *, plan_title: str = "", data_note: str = ""):
    """:func:`header_html` of :func:`report_links` for notebook display (``IPython.display.HTML``)."""
    from IPython.display import HTML  # imported lazily: the library itself needs no IPython

    links = report_links(run_dir, region, tree, notebook, plan_title=plan_title, data_note=data_note)
    label = f"{tree.name(region)}（{region}）· {LEVEL_NAMES.get(tree.level(region), tree.level(region))}"
    return HTML(header_html(links, region_label=label, notebook=notebook))


def download_link(path: str | os.PathLike[str] | None, text: str) -> str:
    """
    A link to a file written beside the report (its file name only), escaped; "" without a file.
    """
    if path is None:
        return ""
    name = Path(path).name
    return (f'<p class="planlib-note tex2jax_ignore mathjax_ignore">'
            f'<a href="{html.escape(quote(name), quote=True)}" download>{html.escape(text)}</a></p>')


def region_choices(tree, region: str, params_file: object, *, limit: int = 40) -> str:
    """
    One compact paragraph for a notebook's first cells: which region and params file it uses,
    the region ids it could use instead (with names) and how to change them.

    Lists the region itself, its parent, its children and then the tree's other regions
    level by level, ``limit`` at most, ids with names (``P01C01 济南市``).
    """
    parent = tree.parent(region)
    first = [region, *([parent] if parent else []), *tree.children(region)]
    seen = list(dict.fromkeys(first))  # an ordered set: a national tree has thousands of ids
    for r in tree.ids:
        if len(seen) >= limit:
            break
        if r not in seen:
            seen.append(r)
    total = len(tree.ids)
    shown = "；".join(f"{r} {tree.name(r)}" for r in seen[:limit])
    more = f"……共 {total} 个区域" if total > limit else f"共 {total} 个区域"
    return (f"本笔记本：区域 {region}（{tree.name(region)}，{LEVEL_NAMES.get(tree.level(region), tree.level(region))}），"
            f"参数文件 {params_file}。可选区域编码：{shown}（{more}）。"
            "更换方法：批量运行用 `planlib run 计划文件 --regions 编码`（单个笔记本用 `papermill -p region 编码`）；"
            "在 JupyterLab 中改参数单元格里的 `region = \"编码\"`，再全部重新运行。")
