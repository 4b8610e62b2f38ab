"""
What each report opens with: a short summary of what the page concludes and the decisions it asks for.

Leadership reads the first screen. Each function here turns the numbers a report already shows
into a few sentences in the plan's words (元, 箱): conclusions first, then decisions. The
assumptions go to the end of a page, in words (:func:`assumptions_in_words`).

Public names: :class:`Summary`, :func:`summary_html`, :func:`show_summary`, :func:`review_summary`,
:func:`targets_summary`, :func:`budget_summary`, :func:`tracking_summary`, :func:`media_warning`,
:func:`profit_bridge`, :func:`assumptions_in_words`.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field

import pandas as pd

from planlib.archive import counts_in_words
from planlib.labels import CATEGORY_NAMES, CODE_NAMES, COVERAGE_NAMES, LABELS, PARAM_NAMES, localize
from planlib.present.tables import ITEM_NAMES

__all__ = [
    "Summary",
    "summary_html",
    "show_summary",
    "review_summary",
    "targets_summary",
    "budget_summary",
    "tracking_summary",
    "media_warning",
    "profit_bridge",
    "assumptions_in_words",
]


@dataclass(frozen=True)
class Summary:
    """A page's conclusions and the decisions it asks for, each a sentence."""

    conclusions: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)


def _ok(x) -> bool:
    try:
        return x is not None and not (isinstance(x, float) and math.isnan(x)) and not pd.isna(x)
    except (TypeError, ValueError):
        return False


def _yuan(x: float) -> str:
    """An amount in words: 1,404 万元 from 10,000 元 up, else whole yuan."""
    x = float(x)
    return f"{x / 1e8:,.2f} 亿元" if abs(x) >= 1e8 else f"{x / 1e4:,.0f} 万元" if abs(x) >= 1e5 else f"{x:,.0f} 元"


def _more_less(x: float, fmt: str = "{:,.0f}") -> str:
    return f"{'多' if x >= 0 else '少'} {fmt.format(abs(x))}"


def summary_html(summary: Summary, *, title: str = "本页结论") -> str:
    """The summary as an HTML box (two lists), every sentence escaped."""
    e = html.escape

    def block(head: str, items: list[str]) -> str:
        if not items:
            return ""
        return f"<p style='margin:4px 0'><b>{e(head)}</b></p><ul style='margin:2px 0 6px 18px'>" + "".join(
            f"<li>{e(localize(i))}</li>" for i in items) + "</ul>"

    return ('<div class="planlib-summary tex2jax_ignore mathjax_ignore" style="border-left:4px solid #1f6feb;'
            'background:#f6f8fa;padding:6px 12px;margin:8px 0 14px 0;font-size:14px">'
            f"{block(title, summary.conclusions)}{block('请决定', summary.decisions)}</div>")


def show_summary(summary: Summary, **kwargs):
    """:func:`summary_html` for notebook display."""
    from IPython.display import HTML  # imported lazily: the library itself needs no IPython

    return HTML(summary_html(summary, **kwargs))


def review_summary(yearly: pd.DataFrame, *, cagr: float, findings: pd.DataFrame, growth_points: pd.DataFrame,
                   spend_by_kind: pd.DataFrame | None = None, missing: tuple[str, ...] | list[str] = ()) -> Summary:
    """
    The review page's summary: last year's sales, the records' faults and gaps, where the increase is, what spend paid.

    Parameters
    ----------
    yearly : DataFrame
        ``year, revenue, revenue_growth`` (the review's yearly table); empty: no history.
    cagr : float
        Compound growth of revenue over the years shown.
    findings : DataFrame
        The errors and warnings (``severity``) to resolve.
    growth_points : DataFrame
        ``name, attainable`` largest first (箱).
    spend_by_kind : DataFrame, optional
        ``kind, activities, cost, roi`` per activity kind (``planlib.budget.spend_roi``'s ``by_kind``).
    missing : sequence of str, optional
        Kinds of record (:data:`planlib.labels.COVERAGE_NAMES` codes) the archive has none of
        for the region, e.g. ``planlib.review.missing_sources(coverage, PLAN_SOURCES)``: the
        quality check reads the records there are, so the summary names the ones there are not.
    """
    s = Summary()
    if yearly.empty:
        s.conclusions.append("档案中没有本区域的销售记录，计划无法以自身历史为依据。")
        s.decisions.append("先补齐本区域的销售数据，再定目标。")
        return s
    last = yearly.iloc[-1]
    growth = last.get("revenue_growth")
    s.conclusions.append(f"{int(last['year'])} 年销售额 {_yuan(last['revenue'])}"
                         + (f"，比上年{'增长' if growth >= 0 else '下降'} {abs(growth):z.1%}" if _ok(growth) else "")
                         + (f"；{int(yearly['year'].iloc[0])}–{int(last['year'])} 年复合增长 {cagr:+z.1%}。" if _ok(cagr) else "。"))
    n_err = int((findings["severity"] == "error").sum()) if len(findings) else 0
    n_warn = int((findings["severity"] == "warning").sum()) if len(findings) else 0
    if n_err or n_warn:
        s.conclusions.append(f"销售记录有 {counts_in_words(n_err, n_warn)}，相关的增长与季节数字须谨慎使用。")
        s.decisions.append(f"指定人员在定目标前更正这 {n_err + n_warn:,} 处数据问题（见第 1 节）。")
    else:
        s.conclusions.append("销售记录的质量检查没有发现错误或警告。")
    gaps = [m for m in missing if m != "sales"]
    if gaps:
        names = "、".join(COVERAGE_NAMES.get(m, m) for m in gaps)
        s.conclusions.append(f"档案中本区域没有{names}的记录，依赖它们的分析无从计算（见第 1 节）。")
        s.decisions.append(f"补齐{names}的记录后重新运行本页。")
    worth = growth_points[growth_points["attainable"] >= 0.5] if len(growth_points) else growth_points  # "0 箱" is no point
    if len(worth):
        top = worth.head(3)
        s.conclusions.append("可争取增量最大的是" + "、".join(
            f"{n}（{a:,.0f} 箱）" for n, a in zip(top["name"], top["attainable"])) + "。")
        s.decisions.append("把明年的增量任务和费用优先投向这些增量点。")
    warning = _bad_kinds(spend_by_kind)
    if warning:
        s.conclusions.append(warning)
        s.decisions.append("在预算中压缩或重新设计回报为负的活动类型。")
    return s


def _bad_kinds(spend_by_kind: pd.DataFrame | None) -> str:
    """One sentence on the activity kinds whose past spend returned less than it cost."""
    if spend_by_kind is None or spend_by_kind.empty:
        return ""
    rows = spend_by_kind[(spend_by_kind["kind"] != "全部") & spend_by_kind["roi"].notna() & (spend_by_kind["roi"] < 0)]
    if rows.empty:
        return ""
    parts = [f"{CODE_NAMES.get(k, k)} {int(n):,} 次花费 {_yuan(c)}，回报率 {r:+z.0%}"
             for k, n, c, r in zip(rows["kind"], rows["activities"], rows["cost"], rows["roi"])]
    return "过去回报为负的活动：" + "；".join(parts) + "。"


def media_warning(spend_by_kind: pd.DataFrame | None, media_budget: float) -> str:
    """
    The budget page's warning when it still funds media that returned badly.

    Parameters
    ----------
    spend_by_kind : DataFrame or None
        ``kind, activities, cost, roi`` per activity kind (``planlib.budget.spend_roi``'s ``by_kind``).
    media_budget : float
        What the budget books for the media category (元).

    Returns
    -------
    str
        "" when the budget books no media or past media paid (roi ≥ 0) or was not measured.

    Notes
    -----
    roi = margin brought back per yuan − 1 (``planlib.review.activity_lift``): −68% means each
    yuan brought back 0.32 yuan of margin.
    """
    if spend_by_kind is None or spend_by_kind.empty or not media_budget > 0:
        return ""
    media = spend_by_kind[spend_by_kind["kind"] == "media"]
    if media.empty or not _ok(media["roi"].iloc[0]) or media["roi"].iloc[0] >= 0:
        return ""
    m = media.iloc[0]
    return (f"注意：过去 {int(m['activities']):,} 次媒体投放花费 {_yuan(m['cost'])}，回报率 {m['roi']:+z.0%}"
            f"（每投 1 元收回毛利 {1 + m['roi']:.2f} 元），本预算仍安排媒体投放 {_yuan(media_budget)}。")


def targets_summary(kinds: pd.DataFrame, *, children: pd.DataFrame | None = None, plan_year: int) -> Summary:
    """
    The targets page's summary: the volume, revenue and profit targets against last year and the trend.

    ``kinds``: ``kind, target, last_year, baseline`` (and ``with_budget``) per target kind
    (``planlib.targets.region_kinds``); ``children``: ``name, growth, beyond_potential`` per child.
    """
    k = kinds.set_index("kind")
    s = Summary()
    vol, rev = k.loc["volume"], k.loc["revenue"]
    line = f"{plan_year} 年目标销量 {vol['target']:,.0f} 箱、销售额 {_yuan(rev['target'])}"
    if _ok(vol.get("last_year")) and vol["last_year"] > 0:
        line += f"，比去年 {vol['target'] / vol['last_year'] - 1:+z.1%}"
    if _ok(vol.get("baseline")) and vol["baseline"] > 0:
        line += f"，比自身趋势预测 {vol['target'] / vol['baseline'] - 1:+z.1%}"
    s.conclusions.append(line + "。")
    if "profit" in k.index:
        prof = k.loc["profit"]
        line = f"利润目标 {_yuan(prof['target'])}"
        wb = prof.get("with_budget")
        if _ok(wb):
            line += f"；按本次预算，目标下利润 {_yuan(wb)}，比利润目标{_more_less(wb - prof['target'])} 元"
            if wb < prof["target"]:
                s.decisions.append("利润目标在本次预算下达不到：压缩费用、提价，或下调利润目标（见费用预算报告）。")
        s.conclusions.append(line + "。")
    if children is not None and len(children):
        beyond = children[children.get("beyond_potential", pd.Series(False, index=children.index)).fillna(False).astype(bool)] \
            if "beyond_potential" in children else children.iloc[0:0]
        if len(beyond):
            s.conclusions.append(f"{len(beyond):,} 个下级的目标超过其市场潜力：" + "、".join(beyond["name"].astype(str).head(5)) + "。")
            s.decisions.append("对超潜力的下级，确认目标或把部分任务移给有空间的区域。")
        g = children["growth"].dropna() if "growth" in children else pd.Series(dtype=float)
        if len(g):
            s.conclusions.append(f"下级目标增长从 {g.min():+z.1%} 到 {g.max():+z.1%}。")
    s.decisions.insert(0, "批准本区域的销量、销售额与利润目标及其月度、下级分解。")
    return s


def budget_summary(summary: pd.Series, *, threshold: float, media_note: str = "") -> Summary:
    """
    The budget page's summary: the budget, its expense ratio, the profit at the target and the dual check.

    ``summary``: the region's row of the plan's budget (``budget_regions``: budget, expense_ratio,
    profit_at_target, profit_target, bep_units, target_volume, flag, budget_limit).
    """
    s = Summary()
    if summary is None or not len(summary):
        s.conclusions.append("本区域不在方案的计划层级内，没有自己的预算（它的费用计入所属的上级区域）。")
        return s
    if not isinstance(summary.get("flag"), str):  # no dual check: a target of zero volume or zero revenue
        s.conclusions.append(_zero_target(summary))
        if _ok(summary.get("ly_volume")) and summary["ly_volume"] > 0 and not summary.get("ly_revenue", 0) > 0:
            s.decisions.append("核实本区域去年的销售额（有销量而没有销售额：赠酒还是漏记），再定价格与销售额目标。")
        return s
    s.conclusions.append(f"费用预算 {_yuan(summary['budget'])}，费用率 {summary['expense_ratio']:z.1%}"
                         f"（阈值 {threshold:z.0%}）。")
    gap = float(summary["profit_at_target"]) - float(summary["profit_target"])
    s.conclusions.append(f"目标销量下利润 {_yuan(summary['profit_at_target'])}，比利润目标{_more_less(gap)} 元；"
                         f"保本销量 {summary['bep_units']:,.0f} 箱（目标 {summary['target_volume']:,.0f} 箱）。"
                         if _ok(summary.get("bep_units")) else
                         f"目标销量下利润 {_yuan(summary['profit_at_target'])}，比利润目标{_more_less(gap)} 元。")
    flag = summary["flag"]
    s.conclusions.append(f"双重检查：{CODE_NAMES.get(flag, flag)}。")
    if media_note:
        s.conclusions.append(media_note)
        s.decisions.append("重新审视媒体投放：除非有新的证据，按过去的回报削减或改投有回报的活动。")
    no_history = summary.get("profit_target_basis") == "no_expense_history"  # a profit target before any expense
    if flag == "sales met, profit missed" and _ok(summary.get("budget_limit")) and not no_history:
        s.decisions.append(f"要守住利润，预算最多 {_yuan(summary['budget_limit'])}：压缩可控费用、提价，或接受较低的利润目标。")
    elif flag == "no break-even":
        s.decisions.append("单价不高于单位变动成本：先调整价格或渠道、推广费用标准。")
    elif flag == "expense ratio over threshold":
        s.decisions.append("费用率超过阈值：压缩预算到阈值以内。")
    s.decisions.insert(0, "批准本区域的费用预算（按类别、项目和月份）。")
    if no_history:  # first of all: the profit target, which no budget can meet as it stands
        s.decisions.insert(0, "先定利润目标：档案中没有去年的费用，现在的利润目标只扣除了产品成本，任何预算都达不到"
                              "（在 budget.profit_target 中设定，或补录去年的费用）。")
    return s


def _zero_target(summary: pd.Series) -> str:
    """What a region's budget row without a dual check says: which of its targets is zero, and what that leaves."""
    volume = float(summary.get("target_volume") or 0.0)
    if not volume > 0:
        return "本区域的销量目标为零：没有费用率、目标下利润与双重检查可算。"
    ly_vol, ly_rev = summary.get("ly_volume"), summary.get("ly_revenue")
    why = ("：去年有销量而没有销售额，按去年实现价格折算为零" if _ok(ly_vol) and ly_vol > 0 and not (_ok(ly_rev) and ly_rev > 0)
           else "")
    return (f"本区域销量目标 {volume:,.0f} 箱，销售额目标为零{why}；费用率、目标下利润与双重检查无从计算"
            f"（费用预算 {_yuan(summary.get('budget') or 0.0)}）。")


def tracking_summary(summary: pd.DataFrame, *, readings: list[str] | None = None) -> Summary:
    """
    The tracking page's summary: completion against time progress, the landing and what the rest of the year must sell.

    ``summary``: one row per measure (``volume``, ``revenue``) with completion_to_date, time_progress,
    task_progress, landing, landing_gap, year_target, run_rate_needed, months_remaining.
    """
    s = Summary()
    vol = summary.loc[summary["measure"] == "volume"]
    if vol.empty:
        s.conclusions.append("本区域没有跟踪数据。")
        return s
    v = vol.iloc[0]
    if _ok(v.get("task_progress")) and _ok(v.get("time_progress")):
        gap = float(v["task_progress"]) - float(v["time_progress"])
        pace = "与序时进度持平" if abs(gap) < 0.0005 else "快于序时进度" if gap > 0 else "慢于序时进度"
        s.conclusions.append(f"销量完成全年任务的 {v['task_progress']:z.1%}，时间过去 {v['time_progress']:z.1%}：{pace}。")
    if _ok(v.get("landing")):
        s.conclusions.append(f"按目前节奏全年预计 {v['landing']:,.0f} 箱，比全年目标{_more_less(float(v['landing_gap']))} 箱。")
    if _ok(v.get("landing_gap")) and v["landing_gap"] < 0 and _ok(v.get("run_rate_needed")):
        s.decisions.append(f"余下 {int(v['months_remaining'])} 个月每月须完成 {v['run_rate_needed']:,.0f} 箱："
                           "决定追加的措施（重点终端、活动）或调整目标。")
    else:
        s.decisions.append("保持节奏；关注落后的产品线、渠道和下级（见第 2、3 节）。")
    for r in (readings or [])[:2]:
        s.conclusions.append(r)
    return s


def profit_bridge(summary: pd.Series) -> pd.DataFrame:
    """
    From the target revenue to the profit at the target, step by step, for the waterfall.

    Parameters
    ----------
    summary : Series
        The region's row of ``budget_regions`` (target_volume, target_revenue, unit_product_cost,
        budget_<category> …, profit_at_target).

    Returns
    -------
    DataFrame
        label, amount, kind (``total`` or ``change``): 目标销售额, − 产品成本, − each expense
        category, 目标下利润. Empty when the summary lacks the figures.

    Notes
    -----
    profit = revenue − unit_product_cost × volume − Σ budget_category; the last row is this sum,
    so the bars close exactly (it equals ``profit_at_target`` up to rounding in cents).
    """
    need = ("target_revenue", "target_volume", "unit_product_cost")
    if summary is None or not all(k in summary.index and _ok(summary[k]) for k in need):
        return pd.DataFrame(columns=["label", "amount", "kind"])
    rows = [("目标销售额", float(summary["target_revenue"]), "total"),
            ("产品成本", -float(summary["unit_product_cost"]) * float(summary["target_volume"]), "change")]
    for cat, name in CATEGORY_NAMES.items():
        amount = summary.get(f"budget_{cat}")
        if _ok(amount) and float(amount) != 0.0:
            rows.append((name, -float(amount), "change"))
    rows.append(("目标下利润", sum(r[1] for r in rows), "total"))
    return pd.DataFrame(rows, columns=["label", "amount", "kind"])


_INDEX = re.compile(r"\[(\d+)\]")


def _param_words(key: str) -> str:
    """A dotted assumption key in words (:data:`planlib.labels.PARAM_NAMES`; ``*`` matches one part)."""
    plain = _INDEX.sub("[*]", key)
    if plain in PARAM_NAMES:
        n = _INDEX.search(key)
        return PARAM_NAMES[plain] + (f" {int(n.group(1)) + 1}" if n else "")
    parts = plain.split(".")
    for i in range(len(parts) - 1, 0, -1):
        pattern = ".".join(parts[:i] + ["*"] * (len(parts) - i))
        if pattern in PARAM_NAMES:
            rest = [CODE_NAMES.get(p, p) for p in key.split(".")[i:]]
            return PARAM_NAMES[pattern] + "：" + " · ".join(_item_words(p) for p in rest)
    return key


def _item_words(part: str) -> str:
    return ITEM_NAMES.get(part, CODE_NAMES.get(part, f"{part} 类终端" if len(part) == 1 and part.isupper() else part))


def _value_words(value: str) -> str:
    text = str(value)
    text = re.sub(r"\bcategory: ([a-z_]+)", lambda m: f"category: {CATEGORY_NAMES.get(m.group(1), m.group(1))}", text)
    text = re.sub(r"\b([a-z][a-z0-9_]*): ", lambda m: f"{LABELS.get(m.group(1), m.group(1))}：", text)
    text = re.sub(r"\b[a-z][a-z0-9_]*\b", lambda m: ITEM_NAMES.get(m.group(0), CODE_NAMES.get(m.group(0), m.group(0))), text)
    return localize(text) if re.search(r"[\u3400-\u9fff]", text) else text


def assumptions_in_words(table: pd.DataFrame) -> pd.DataFrame:
    """
    The assumptions table (``key, value``) as a reader reads it: each key and each code value in words.

    Returns
    -------
    DataFrame
        ``key`` (the assumption in words, the raw key when the label table has none) and ``value``
        (codes in words, numbers as written); same rows, same order.
    """
    return pd.DataFrame({"key": [_param_words(k) for k in table["key"]],
                         "value": [_value_words(v) for v in table["value"]]})
