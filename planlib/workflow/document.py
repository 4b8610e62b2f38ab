"""
The plan document (方案文本) of a region, as data: sections of headings, paragraphs and tables.

The source text structures a written plan in modules (DOMAIN §1–3): the market review and
SWOT, the targets and their split, the strategy and tactics with who does what, the expense
budget with its dual check, and the control schedule. :func:`plan_document` builds that
document from frames a run already holds (gathered by :mod:`planlib.run.document`); the
renderers in :mod:`planlib.present.document` turn it into an HTML page and a Word file with
the same words and numbers. Every cell is a formatted string here, so both show the same.

Public names: SECTION_HEADINGS, SIGNATURE_ROLES, Paragraph, Table, Section, PlanDocument,
DocumentInputs, plan_document, control_schedule.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planlib.budget import dual_reading
from planlib.labels import CATEGORY_NAMES, FLAG_NAMES, LEVEL_NAMES, WORKFLOW_STATUS_NAMES
from planlib.schemas import ITEM_CATALOGUE

__all__ = [
    "SECTION_HEADINGS",
    "SIGNATURE_ROLES",
    "Paragraph",
    "Table",
    "Section",
    "PlanDocument",
    "DocumentInputs",
    "plan_document",
    "control_schedule",
]

#: The five modules of a written plan, in the source text's order.
SECTION_HEADINGS: tuple[str, ...] = ("一、市场回顾与SWOT", "二、目标与分解", "三、策略与战术", "四、费用预算与双重检查",
                                     "五、控制与跟踪")
#: Who signs a plan: prepared by, reviewed by, approved by.
SIGNATURE_ROLES: tuple[str, ...] = ("编制", "审核", "批准")

_SWOT_BOXES = (("strengths", "优势 S"), ("weaknesses", "劣势 W"), ("opportunities", "机会 O"), ("threats", "威胁 T"))
_LATIN_TAIL = re.compile(r"\s+[A-Za-z][A-Za-z ()≤,-]*$")  # the review's bilingual labels: the Chinese part


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text (escaped by the renderers)."""

    text: str


@dataclass(frozen=True)
class Table:
    """A table of formatted cells; ``numeric[j]`` right-aligns column j; a ``total`` last row is bold."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()
    total: bool = False


@dataclass(frozen=True)
class Section:
    """A numbered module of the plan: its heading and its blocks, in order."""

    heading: str
    blocks: tuple[Paragraph | Table, ...]


@dataclass(frozen=True)
class PlanDocument:
    """A region's written plan: title lines, the five sections and the signature block."""

    region_id: str
    title: str
    subtitle: str
    sections: tuple[Section, ...]
    signature: tuple[str, ...] = SIGNATURE_ROLES
    footer: str = ""


@dataclass(frozen=True)
class DocumentInputs:
    """
    What a region's plan document is written from (all frames already read; nothing here reads files).

    Attributes
    ----------
    region_id, name, level, path_label : str
        The region.
    plan_title, plan_id, run_id, scenario : str
    year : int
        The plan year.
    yearly : DataFrame
        The review's own sales by year (year, volume, revenue, revenue_growth, gross_margin_rate).
    key_figures : list of (str, str)
        The review's headline figures (:func:`planlib.review.key_figures`).
    brands : DataFrame
        The review's brands (year, brand, volume, volume_share, volume_growth); ``own`` is ours.
    swot : DataFrame
        box, line, source (computed and the params' lines).
    growth_points : DataFrame
        The review's ranked growth points (name, attainable, …).
    months : DataFrame
        The region's month totals: month, target_volume, target_revenue.
    lines : DataFrame
        product_line, target_volume, target_revenue (the year).
    children : DataFrame
        region_id, name, target_volume, target_revenue (the year); empty for a leaf.
    summary : Mapping
        The region's budget row (``budget_regions.parquet``): target_volume, target_revenue, budget,
        expense_ratio, profit_target, profit_at_target, flag, bep_units, … .
    budget_items : DataFrame
        category, item, amount (the year) from ``budget.parquet``.
    threshold : float
        ``budget.expense_ratio_threshold``.
    actions : DataFrame or None
        The submissions' action lists for this region and its children (region_id, name, action,
        owner, due, cost, note); None when the plan has no workflow folder.
    status : DataFrame or None
        region_id, status, by, at of the region and its children.
    milestones : sequence of (stage, date, coverage)
    rules : DataFrame
        key, value: the tracking and KPI rules in words.
    """

    region_id: str
    name: str
    level: str
    path_label: str
    plan_title: str
    plan_id: str
    run_id: str
    scenario: str
    year: int
    yearly: pd.DataFrame
    key_figures: list
    brands: pd.DataFrame
    swot: pd.DataFrame
    growth_points: pd.DataFrame
    months: pd.DataFrame
    lines: pd.DataFrame
    children: pd.DataFrame
    summary: Mapping[str, Any]
    budget_items: pd.DataFrame
    threshold: float
    actions: pd.DataFrame | None = None
    status: pd.DataFrame | None = None
    milestones: Sequence[tuple[str, str, float]] = ()
    rules: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["key", "value"]))


_CENTS = "{:,.2f}"  # budget amounts to the fen: the document's totals are the budget table's


def _n(x: Any, fmt: str = "{:,.0f}") -> str:
    if x is None or (isinstance(x, (float, np.floating)) and not np.isfinite(x)) or x is pd.NA:
        return "—"
    return fmt.format(x)


def _pct(x: Any, signed: bool = False) -> str:
    return _n(x, "{:+z.1%}" if signed else "{:z.1%}")


def _table(caption, columns, rows, numeric, total=False) -> Table:
    return Table(caption, tuple(columns), tuple(tuple(str(c) for c in r) for r in rows), tuple(numeric), total)


def _review_section(d: DocumentInputs) -> Section:
    blocks: list[Paragraph | Table] = []
    if d.yearly.empty:
        blocks.append(Paragraph(f"{d.name}在档案中没有销售记录，本方案的目标不以自身历史为据。"))
    else:
        first, last = d.yearly.iloc[0], d.yearly.iloc[-1]
        blocks.append(Paragraph(
            f"{int(first['year'])}—{int(last['year'])} 年，{d.name}本品销量由 {_n(first['volume'])} 箱到 "
            f"{_n(last['volume'])} 箱，销售额由 {_n(first['revenue'])} 元到 {_n(last['revenue'])} 元；"
            f"{int(last['year'])} 年销售额增长 {_pct(last.get('revenue_growth'), True)}，毛利率 "
            f"{_pct(last.get('gross_margin_rate'))}。"))
        blocks.append(_table("历年本品销售（销量：箱；销售额：元）", ["年份", "销量（箱）", "销售额（元）", "销售额增长", "毛利率"],
                             [(int(r["year"]), _n(r["volume"]), _n(r["revenue"]), _pct(r.get("revenue_growth"), True),
                               _pct(r.get("gross_margin_rate"))) for _, r in d.yearly.iterrows()],
                             (False, True, True, True, True)))
    if d.key_figures:
        blocks.append(Paragraph("要点：" + "；".join(f"{_LATIN_TAIL.sub('', k)} {v}" for k, v in d.key_figures) + "。"))
    if not d.brands.empty:
        last = d.brands[d.brands["year"] == d.brands["year"].max()].sort_values("volume", ascending=False)
        blocks.append(_table(f"{int(last['year'].iloc[0])} 年本品与竞品（销量：箱）", ["品牌", "销量（箱）", "销量份额", "销量增长"],
                             [("本品" if r["brand"] == "own" else r["brand"], _n(r["volume"]), _pct(r["volume_share"]),
                               _pct(r.get("volume_growth"), True)) for _, r in last.iterrows()],
                             (False, True, True, True)))
    worth = _worth(d.growth_points)
    if not worth.empty:
        top = worth.head(3)
        blocks.append(Paragraph("增量来源：" + "；".join(f"{r['name']} 可争取 {_n(r['attainable'])} 箱"
                                                        for _, r in top.iterrows()) + "。"))
    for box, label in _SWOT_BOXES:
        lines = d.swot.loc[d.swot["box"] == box, "line"].astype(str).tolist() if not d.swot.empty else []
        blocks.append(Paragraph(f"{label}：" + ("；".join(lines) if lines else "无") + "。"))
    return Section(SECTION_HEADINGS[0], tuple(blocks))


def _worth(points: pd.DataFrame) -> pd.DataFrame:
    """The growth points worth a case (a point of 0 cases is none), in their order."""
    return points[points["attainable"] >= 0.5] if not points.empty else points


def _or_dash(value) -> str:
    """A cell's text; an empty or missing value (None, NaN, "") reads —."""
    return "—" if value is None or (isinstance(value, float) and np.isnan(value)) or str(value) == "" else str(value)


def _revenue_note(d: DocumentInputs, total: float) -> str:
    """Revenue by product line is priced line by line: say by how much its sum differs from the total, if at all."""
    if d.lines.empty:
        return ""
    gap = round(float(d.lines["target_revenue"].sum()) - total)
    if gap == 0:
        return "，各产品线销售额之和也等于总额"
    return f"（销售额按各产品线的价格计，产品线合计比总额{'多' if gap > 0 else '少'} {abs(gap):,} 元）"


def _targets_section(d: DocumentInputs) -> Section:
    s = d.summary
    vol, rev = int(d.months["target_volume"].sum()), float(d.months["target_revenue"].sum())
    blocks: list[Paragraph | Table] = [Paragraph(
        f"{d.year} 年{d.name}销售目标 {vol:,} 箱，销售额 {_n(rev)} 元；利润目标 {_n(s.get('profit_target'))} 元。"
        f"目标按月、按产品线分解{('并分到 ' + str(len(d.children)) + ' 个下级区域') if len(d.children) else ''}，"
        "各项销量分解之和恰等于总目标" + _revenue_note(d, rev) + "。")]
    blocks.append(_table("月度目标", ["月份", "目标销量（箱）", "目标销售额（元）"],
                         [*((f"{pd.Timestamp(r['month']):%Y-%m}", _n(r["target_volume"]), _n(r["target_revenue"]))
                            for _, r in d.months.iterrows()), ("合计", f"{vol:,}", _n(rev))],
                         (False, True, True), total=True))
    if not d.lines.empty:
        blocks.append(_table("按产品线", ["产品线", "目标销量（箱）", "目标销售额（元）"],
                             [*((r["product_line"], _n(r["target_volume"]), _n(r["target_revenue"]))
                                for _, r in d.lines.iterrows()),
                              ("合计", _n(d.lines["target_volume"].sum()), _n(d.lines["target_revenue"].sum()))],
                             (False, True, True), total=True))
    if not d.children.empty:
        blocks.append(_table("按下级区域", ["区域编码", "名称", "目标销量（箱）", "目标销售额（元）"],
                             [*((r["region_id"], r["name"], _n(r["target_volume"]), _n(r["target_revenue"]))
                                for _, r in d.children.iterrows()),
                              ("合计", "", _n(d.children["target_volume"].sum()), _n(d.children["target_revenue"].sum()))],
                             (False, False, True, True), total=True))
    return Section(SECTION_HEADINGS[1], tuple(blocks))


def _strategy_section(d: DocumentInputs) -> Section:
    blocks: list[Paragraph | Table] = []
    vol = float(d.months["target_volume"].sum())
    if not d.yearly.empty and float(d.yearly["volume"].iloc[-1]) > 0:
        last = float(d.yearly["volume"].iloc[-1])
        g = vol / last - 1
        blocks.append(Paragraph(f"总体思路：目标销量比 {int(d.yearly['year'].iloc[-1])} 年的 {_n(last)} 箱"
                                f"{'增长' if g >= 0 else '下降'} {_pct(abs(g))}" + (
                                    "；增量主要来自" + "、".join(str(n) for n in _worth(d.growth_points)["name"].head(3))
                                    if not _worth(d.growth_points).empty else "") + "。"))
    shown = {d.region_id, *(d.children["region_id"] if not d.children.empty else ())}
    status = None if d.status is None else d.status[d.status["region_id"].isin(shown)]  # itself and its planned children
    if status is not None and not status.empty:
        blocks.append(_table("上报与审批状态", ["区域编码", "状态", "经办人", "时间"],
                             [(r["region_id"], WORKFLOW_STATUS_NAMES.get(r["status"], r["status"]), _or_dash(r.get("by")),
                               _or_dash(r.get("at"))[:16].replace("T", " ")) for _, r in status.iterrows()],
                             (False, False, False, False)))
    if d.actions is None:
        blocks.append(Paragraph("本方案尚无下级上报（没有审批工作目录）：行动计划与负责人待各区域提交后列入。"))
    elif d.actions.empty:
        blocks.append(Paragraph("已建立上报流程，但本区域及其下级尚未提交行动计划。"))
    else:
        cost = float(d.actions["cost"].sum())
        blocks.append(Paragraph(f"行动计划 {len(d.actions)} 项，费用合计 {_n(cost)} 元，占费用预算 "
                                f"{_pct(cost / s) if (s := float(d.summary.get('budget') or 0)) > 0 else '—'}。"))
        blocks.append(_table("行动计划（做什么、谁负责、何时完成、费用）",
                             ["区域", "行动", "负责人", "完成日期", "费用（元）", "说明"],
                             [(r["name"], r["action"], r["owner"], f"{pd.Timestamp(r['due']):%Y-%m-%d}", _n(r["cost"]),
                               r.get("note") or "") for _, r in d.actions.iterrows()],
                             (False, False, False, False, True, False)))
    return Section(SECTION_HEADINGS[2], tuple(blocks))


def _item_name(category: str, item: str) -> str:
    return dict(ITEM_CATALOGUE.get(category, {}).get("items", {})).get(item, item)


def _budget_section(d: DocumentInputs) -> Section:
    s = d.summary
    items = d.budget_items
    total = float(items["amount"].sum())
    by_cat = items.groupby("category", sort=False)["amount"].sum()
    order = [c for c in CATEGORY_NAMES if c in by_cat.index] + [c for c in by_cat.index if c not in CATEGORY_NAMES]
    rev = float(s.get("target_revenue") or 0.0)
    blocks: list[Paragraph | Table] = [
        Paragraph(f"费用预算合计 {_n(total, _CENTS)} 元，费用率 {_pct(total / rev) if rev > 0 else '—'}（目标销售额 {_n(rev)} 元）；"
                  f"目标下利润 {_n(s.get('profit_at_target'))} 元，利润目标 {_n(s.get('profit_target'))} 元。"),
        _table("按费用类别", ["费用类别", "金额（元）", "占比"],
               [*((CATEGORY_NAMES.get(c, c), _n(by_cat[c], _CENTS), _pct(by_cat[c] / total) if total > 0 else "—")
                  for c in order), ("合计", _n(total, _CENTS), "100.0%" if total > 0 else "—")],
               (False, True, True), total=True),
    ]
    detail = items.groupby(["category", "item"], sort=False)["amount"].sum().reset_index()
    detail["_o"] = detail["category"].map({c: i for i, c in enumerate(order)})
    detail = detail.sort_values(["_o", "amount"], ascending=[True, False], kind="stable")
    blocks.append(_table("按费用项目", ["费用类别", "项目", "金额（元）"],
                         [(CATEGORY_NAMES.get(r["category"], r["category"]), _item_name(r["category"], r["item"]),
                           _n(r["amount"], _CENTS)) for _, r in detail.iterrows()], (False, False, True)))
    flag = s.get("flag")
    blocks.append(_table("双重检查（销量与利润同时检查）", ["项目", "取值"], [
        ("目标销量（箱）", _n(s.get("target_volume"))), ("可达销量（箱）", _n(s.get("reachable_volume"))),
        ("目标销售额（元）", _n(s.get("target_revenue"))), ("费用预算（元）", _n(s.get("budget"))),
        ("费用率", _pct(s.get("expense_ratio"))), ("费用率阈值", _pct(d.threshold)),
        ("目标下利润（元）", _n(s.get("profit_at_target"))), ("利润目标（元）", _n(s.get("profit_target"))),
        ("保本销量（箱）", _n(s.get("bep_units"))),
        ("结论", _LATIN_TAIL.sub("", FLAG_NAMES.get(flag, str(flag))) if isinstance(flag, str) else "—")], (False, True)))
    blocks.append(Paragraph(dual_reading(pd.Series(dict(s)), d.threshold)))
    return Section(SECTION_HEADINGS[3], tuple(blocks))


def control_schedule(year: int, milestones: Sequence[tuple[str, str, float]] = ()) -> pd.DataFrame:
    """
    The control calendar of a plan year: monthly tracking, quarterly reviews, the half-year review, milestones.

    Parameters
    ----------
    year : int
        The plan year.
    milestones : sequence of (stage, ISO date, coverage)
        ``targets.milestones`` (key-terminal coverage goals).

    Returns
    -------
    DataFrame
        date (ISO), what; sorted by date.

    Notes
    -----
    Each month closes on its last day and is tracked by the 5th of the next (the unmet part
    rolls into the next month's target); a quarter is reviewed by the 10th of the month after
    it; the half year by 15 July (DOMAIN §8); a milestone is checked on its date.
    """
    rows = []
    for m in range(1, 13):
        nxt = dt.date(year + (m == 12), m % 12 + 1, 5)
        rows.append((nxt.isoformat(), f"{m} 月完成情况跟踪：实际对目标、未完成部分滚入下月、费用对预算"))
    for q, month in ((1, 4), (2, 7), (3, 10), (4, 1)):
        rows.append((dt.date(year + (q == 4), month, 10).isoformat(), f"第 {q} 季度评估：完成率、费用率、利润与纠偏措施"))
    rows.append((dt.date(year, 7, 15).isoformat(), "半年总结：计划执行、产品结构、份额、终端与客户档案，未达原因与下半年调整"))
    for stage, date, coverage in milestones:
        rows.append((str(date), f"阶段目标 {stage}：重点终端进货覆盖率达到 {coverage:z.0%}"))
    return pd.DataFrame(sorted(rows), columns=["date", "what"])


def _control_section(d: DocumentInputs) -> Section:
    sched = control_schedule(d.year, d.milestones)
    blocks: list[Paragraph | Table] = [
        Paragraph("方案执行按月跟踪、按季评估、半年总结；偏差超出容差即分析原因并纠偏，考核按下列规则计分。"),
        _table("跟踪与检查时间表", ["日期", "内容"], list(sched.itertuples(index=False, name=None)), (False, False)),
    ]
    if not d.rules.empty:
        blocks.append(_table("跟踪与考核规则", ["项目", "规则"], list(d.rules[["key", "value"]].itertuples(index=False, name=None)),
                             (False, False)))
    return Section(SECTION_HEADINGS[4], tuple(blocks))


def plan_document(d: DocumentInputs, *, today: dt.date | None = None) -> PlanDocument:
    """
    Write a region's plan document from its run's figures.

    Parameters
    ----------
    d : DocumentInputs
    today : date, optional
        The date printed under the document (default: today).

    Returns
    -------
    PlanDocument
        Five sections (:data:`SECTION_HEADINGS`) and the signature block. The targets' tables
        total exactly the region's month totals; the budget's tables total its budget rows.
    """
    level = LEVEL_NAMES.get(d.level, d.level)
    return PlanDocument(
        region_id=d.region_id,
        title=f"{d.name} {d.year} 年度营销方案",
        subtitle=f"{d.plan_title} · {level} · {d.path_label} · 区域编码 {d.region_id}",
        sections=(_review_section(d), _targets_section(d), _strategy_section(d), _budget_section(d),
                  _control_section(d)),
        footer=f"方案 {d.plan_id} · 运行 {d.run_id} · 情景 {d.scenario} · 生成于 {(today or dt.date.today()):%Y-%m-%d}"
               " · 单位：销量 箱，金额 元",
    )
