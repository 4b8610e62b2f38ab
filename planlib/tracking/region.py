"""
One region's tracking, as its 40_track_results report shows it.

:func:`region_tracking` slices a tracked plan's tables (:class:`planlib.tracking.PlanTracking`
written to a tracking run's ``results/``) for one region: its year-to-date figures, its months,
its breakdowns, its children, its milestones, budget control, weekly core terminals and KPI
scores, and says in sentences what they mean.

Public names: RegionTracking, region_tracking, year_to_date, monthly_table, tracking_assumptions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planlib.errors import ParamsError
from planlib.hierarchy import RegionTree
from planlib.labels import ROLE_NAMES, TRACKING_CODES
from planlib.targets.table import CD_LINE
from planlib.tracking.kpi import EVENT_NAMES, MEASURE_NAMES, ranking
from planlib.tracking.lines import NO_KEY
from planlib.tracking.progress import elapsed_fractions
from planlib.tracking.rollover import rollover_table

__all__ = ["RegionTracking", "region_tracking", "year_to_date", "monthly_table", "tracking_assumptions"]

#: The breakdowns a report shows, in order (the tracking frame's ``breakdown`` values).
REPORT_BREAKDOWNS: tuple[str, ...] = ("product_line", "channel", "terminal_class", "terminal")


@dataclass(frozen=True)
class RegionTracking:
    """
    A region's tracking to an as-of date.

    Attributes
    ----------
    region_id, name, level : str
    as_of : datetime.date
    summary : DataFrame
        The region's rows of the plan's summary (one per measure: volume, revenue).
    monthly : DataFrame
        month, measure, target, actual, completion, revised_target of the region's total line.
    breakdowns : dict of str to DataFrame
        Per breakdown (product line, channel, terminal class, named terminal): key, year_target,
        target_to_date, actual_to_date, completion_to_date for volume, largest first.
    children : DataFrame
        The children's volume summary rows (region_id, name, …), for the ranking of siblings.
    milestones, control_items, control, dual : DataFrame
        The region's rows.
    weekly : DataFrame
        The volume of the subtree's core terminals in complete weeks: terminal, name, week,
        target, actual, completion.
    kpi : DataFrame
        The KPI lines of the last closed month for the region itself and the people of its
        subtree (scored lines only).
    kpi_board : DataFrame
        That month's totals, ranks and payouts (the region first, then its people by rank).
    readings : list of str
        What the figures say, in the plan's words.
    """

    region_id: str
    name: str
    level: str
    as_of: dt.date
    summary: pd.DataFrame
    monthly: pd.DataFrame
    breakdowns: dict[str, pd.DataFrame]
    children: pd.DataFrame
    milestones: pd.DataFrame
    control_items: pd.DataFrame
    control: pd.DataFrame
    dual: pd.DataFrame
    weekly: pd.DataFrame
    kpi: pd.DataFrame
    kpi_board: pd.DataFrame
    readings: list[str] = field(default_factory=list)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as plain text, so a report can relabel their values."""
    cats = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return frame.astype({c: object for c in cats}) if cats else frame


def _rows(frame: pd.DataFrame | None, column: str, values) -> pd.DataFrame:
    if frame is None or column not in frame.columns:
        return pd.DataFrame()
    return _plain(frame.loc[frame[column].astype(str).isin([str(v) for v in values])].reset_index(drop=True))


def year_to_date(lines: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """
    Sum a set of tracking lines to the year and to date, per key.

    Parameters
    ----------
    lines : DataFrame
        Tracking rows of one region, one breakdown and one measure: key, month, target, actual.
    as_of : date
        The as-of date (inside the lines' year).

    Returns
    -------
    DataFrame
        key, year_target, target_to_date, actual_to_date, completion_to_date (null without a
        target to date), sorted by year_target descending.

    Notes
    -----
    target_to_date = Σ_m target_m × e_m, where e_m is the elapsed share of month m by the
    as-of date (1 for closed months, days elapsed / days in month for the open one, 0 after);
    actual_to_date = Σ_m actual_m (actuals exist only up to the as-of date).
    """
    if lines.empty:
        return pd.DataFrame(columns=["key", "year_target", "target_to_date", "actual_to_date", "completion_to_date"])
    months = pd.to_datetime(lines["month"])
    year = int(months.dt.year.iloc[0])
    frac = elapsed_fractions(as_of, year)
    e = frac[months.dt.month.to_numpy() - 1]
    t = pd.to_numeric(lines["target"]).to_numpy(dtype="float64", na_value=0.0)
    a = pd.to_numeric(lines["actual"]).to_numpy(dtype="float64", na_value=0.0)
    frame = pd.DataFrame({"key": lines["key"].astype(str).to_numpy(), "year_target": t, "target_to_date": t * e,
                          "actual_to_date": a})
    out = frame.groupby("key", sort=False).sum().reset_index()
    ttd = out["target_to_date"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        comp = np.where(ttd > 0, out["actual_to_date"].to_numpy() / np.where(ttd > 0, ttd, 1.0), np.nan)
    out["completion_to_date"] = pd.array(np.where(np.isfinite(comp), comp, np.nan), dtype="Float64")
    out.loc[~np.isfinite(comp), "completion_to_date"] = pd.NA
    return out.sort_values("year_target", ascending=False, kind="stable").reset_index(drop=True)


def monthly_table(monthly: pd.DataFrame, *, as_of: dt.date | None = None, mode: str | None = None,
                  unit=1) -> pd.DataFrame:
    """
    A region's months side by side: volume and revenue target, actual, completion and revised target.

    ``monthly`` is the tracking frame's total line of a region (month, measure, target,
    actual, completion, revised_target); returns one row per month labelled ``1月`` … ``12月``.
    With ``as_of`` and the rollover ``mode``, ``asked_volume`` is what each month was asked
    when it opened — the plan plus the unmet part rolled into it
    (:func:`planlib.tracking.rollover_table`) — and ``completion_volume`` is measured against it.
    """
    wide = monthly.pivot_table(index="month", columns="measure", values=["target", "actual", "completion", "revised_target"],
                               aggfunc="first", dropna=False)
    out = pd.DataFrame({"month": [f"{m.month}月" for m in pd.to_datetime(wide.index)]})
    for measure in ("volume", "revenue"):
        for col in ("target", "actual", "completion", "revised_target"):
            if (col, measure) in wide.columns:
                out[f"{col}_{measure}"] = wide[(col, measure)].to_numpy()
    if as_of is not None and mode is not None and "target_volume" in out:
        months = pd.DatetimeIndex(wide.index)
        actual = pd.Series(pd.to_numeric(out["actual_volume"]).to_numpy(dtype="float64", na_value=np.nan), index=months)
        table = rollover_table(pd.Series(out["target_volume"].to_numpy(dtype="float64"), index=months),
                               actual.dropna(), as_of, mode, unit)
        asked = table["asked"].to_numpy(dtype="float64")
        out.insert(out.columns.get_loc("target_volume") + 1, "asked_volume", asked)
        with np.errstate(divide="ignore", invalid="ignore"):
            comp = np.where(asked > 0, actual.to_numpy() / np.where(asked > 0, asked, 1.0), np.nan)
        out["completion_volume"] = pd.array(np.where(np.isfinite(comp), comp, np.nan), dtype="Float64")
    return out


def _pct(x) -> str:
    """A rate in a sentence; an unknown one in words (a dash there would read as a gloss's and be dropped)."""
    return "无从计算" if x is None or pd.isna(x) else f"{100 * float(x):z.1f}%"


def _readings(region_name: str, summary: pd.DataFrame, dual: pd.DataFrame, milestones: pd.DataFrame,
              control: pd.DataFrame, children: pd.DataFrame, unit_label: str, *,
              expenses_recorded: bool = True, items: pd.DataFrame | None = None) -> list[str]:
    """
    The page's sentences; ``expenses_recorded``: the plan records any expense to date (else none can be
    controlled); ``items``: the region's control items (the items spent without a budget are named).
    """
    out = []
    vol = summary.loc[summary["measure"] == "volume"]
    if len(vol):
        s = vol.iloc[0]
        gap = float(s["actual_to_date"]) - float(s["target_to_date"])
        state = "超前" if gap > 0 else "落后"
        done = f"{region_name}截至核算日完成销量 {float(s['actual_to_date']):,.0f} {unit_label}"
        no_target = pd.isna(s["task_progress"])  # no annual target: no completion, no pace to keep
        if no_target:
            out.append(f"{done}；本区域本年没有销量目标。")
        else:
            out.append(
                done + (f"，为序时目标的 {_pct(s['completion_to_date'])}" if pd.notna(s["completion_to_date"])
                        else "（序时目标为 0，完成率无从计算）")
                + f"；全年任务完成 {_pct(s['task_progress'])}，序时进度 {_pct(s['time_progress'])}，"
                f"{state}序时 {abs(gap):,.0f} {unit_label}。")
        if pd.notna(s["landing"]) and not no_target:
            lg = float(s["landing_gap"]) if pd.notna(s["landing_gap"]) else 0.0
            if lg < 0:
                out.append(f"按目前节奏全年预计落在 {float(s['landing']):,.0f} {unit_label}，比全年目标少 {-lg:,.0f} {unit_label}；"
                           f"余下 {int(s['months_remaining'])} 个月每月须完成 {float(s['run_rate_needed']):,.0f} {unit_label} 才能补上。")
            else:
                out.append(f"按目前节奏全年预计落在 {float(s['landing']):,.0f} {unit_label}，比全年目标多 {lg:,.0f} {unit_label}。")
    c = control.iloc[0] if len(control) else None
    # the plan records no expense to date (no expenses table, or none entered yet): nothing to control against
    unrecorded = not expenses_recorded and c is not None and float(c["budget_to_date"]) > 0
    if len(dual) and "verdict" in dual.columns:
        d = dual.iloc[0]
        out.append(f"实际数据的双重检查：{TRACKING_CODES.get(str(d['verdict']), str(d['verdict']))}"
                   f"（实际销售额 {float(d['actual_revenue']):,.0f} 元，实际利润{'（未扣费用）' if unrecorded else ''} "
                   f"{float(d['actual_profit']):,.0f} 元，"
                   f"序时利润目标 {float(d['profit_target_to_date']):,.0f} 元）。")
    missed = milestones.loc[milestones["status"].astype(str) == "missed"] if "status" in milestones else milestones.iloc[0:0]
    for _, m in missed.iterrows():
        out.append(f"阶段目标“{m['stage']}”未达成：重点终端覆盖 {_pct(m['coverage'])}，目标 {_pct(m['goal'])}，"
                   f"还差 {int(m['to_win'])} 家。")
    if unrecorded:
        out.append(f"费用控制：截至核算日档案中没有本区域的费用记录（分月预算 {float(c['budget_to_date']):,.0f} 元），"
                   "费用控制无从核对，实际利润也未扣费用——先补录费用。")
    elif c is not None:
        if str(c.get("flag", "")) not in ("", "nan", "None", "ok"):
            none = ""
            if items is not None and len(items):  # spend on items the year's budget holds nothing for
                unbudgeted = items.loc[(items["budget_year"].to_numpy(dtype="float64") == 0)
                                       & (items["spend_to_date"].to_numpy(dtype="float64") > 0)]
                if len(unbudgeted):
                    none = f"，其中 {len(unbudgeted)} 个全年没有预算却已支出 {unbudgeted['spend_to_date'].sum():,.0f} 元"
            out.append(f"费用控制：截至核算日花费 {float(c['spend_to_date']):,.0f} 元，分月预算 {float(c['budget_to_date']):,.0f} 元"
                       f"（{_pct(c['deviation_share'])}），超出容差的费用项目 {int(c['items_over'])} 个{none}。")
    if len(children) > 1 and "completion_to_date" in children:
        ranked = children.dropna(subset=["completion_to_date"]).sort_values("completion_to_date")
        if len(ranked) > 1:
            lo, hi = ranked.iloc[0], ranked.iloc[-1]
            out.append(f"下级区域中完成最好的是{hi['name']}（{_pct(hi['completion_to_date'])}），"
                       f"最差的是{lo['name']}（{_pct(lo['completion_to_date'])}）。")
    return out


def region_tracking(tables: Mapping[str, pd.DataFrame], tree: RegionTree, region: str, as_of: dt.date, *,
                    terminal_names: Mapping[str, str] | None = None, unit_label: str = "箱") -> RegionTracking:
    """
    One region's tracking from a tracked plan's tables.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        A tracking run's tables by name (:func:`planlib.run.track.load_tracking`): tracking,
        summary, milestones, control_items, control, dual, weekly, kpi.
    tree : RegionTree
        The archive's regions (names, children, subtree).
    region : str
        The region id.
    as_of : date
        The tracking date.
    terminal_names : mapping, optional
        terminal_id -> name: the named terminals' lines and the weekly rows carry their names.
    unit_label : str, default "箱"
        The volume unit in the sentences.

    Raises
    ------
    ParamsError
        If the region is not tracked in these tables.
    """
    lines = tables["tracking"]
    if "person_id" in lines.columns:  # the people's lines sit beside the regions'; a region's view is the regions'
        lines = lines.loc[lines["person_id"].isna()]
    mine = _plain(lines.loc[lines["region_id"].astype(str) == region])
    if mine.empty:
        raise ParamsError(f"region {region!r} is not in this tracking run (its plan run has no targets for it)")
    summary = _rows(tables.get("summary"), "region_id", [region])
    total = mine.loc[mine["breakdown"].astype(str) == "total"]
    monthly = total[["month", "measure", "target", "actual", "completion", "revised_target"]].reset_index(drop=True)
    vol = mine.loc[mine["measure"].astype(str) == "volume"]
    breakdowns = {b: year_to_date(vol.loc[vol["breakdown"].astype(str) == b], as_of) for b in REPORT_BREAKDOWNS}
    if breakdowns["terminal"].empty:  # a parent: the named terminals of its subtree (they are split at the county)
        below = lines.loc[lines["region_id"].astype(str).isin(set(tree.subtree(region)))
                          & (lines["breakdown"].astype(str) == "terminal") & (lines["measure"].astype(str) == "volume")
                          & ~lines["key"].astype(str).isin([CD_LINE, NO_KEY])]
        breakdowns["terminal"] = year_to_date(_plain(below), as_of)
    kids = [c for c in tree.children(region)]
    s = tables.get("summary")
    children = _rows(s, "region_id", kids)
    if len(children):
        children = children.loc[children["measure"].astype(str) == "volume"].reset_index(drop=True)
        children.insert(1, "name", [tree.name(r) for r in children["region_id"].astype(str)])
    subtree = set(tree.subtree(region))
    kpi, board = _kpi(tables, subtree, region, tree)
    names = dict(terminal_names or {})
    term = breakdowns["terminal"]
    term.insert(1, "name", [names.get(k, "其余 C/D 终端" if k == CD_LINE else k) for k in term["key"]])
    milestones = _rows(tables.get("milestones"), "region_id", [region])
    control = _rows(tables.get("control"), "region_id", [region])
    dual = _rows(tables.get("dual"), "region_id", [region])
    weekly = _rows(tables.get("weekly"), "region_id", sorted(subtree))
    if len(weekly):
        weekly = weekly.loc[(weekly["measure"] == "volume") & weekly["complete"].astype(bool)]
        weekly = weekly.assign(name=[names.get(t, t) for t in weekly["terminal_id"]])[
            ["terminal_id", "name", "region_id", "week", "target", "actual", "completion"]].reset_index(drop=True)
    name = tree.name(region)
    items = _rows(tables.get("control_items"), "region_id", [region])
    return RegionTracking(
        region_id=region, name=name, level=tree.level(region), as_of=as_of, summary=summary, monthly=monthly,
        breakdowns=breakdowns, children=children, milestones=milestones,
        control_items=items, control=control, dual=dual,
        weekly=weekly, kpi=kpi, kpi_board=board,
        readings=_readings(name, summary, dual, milestones, control, children, unit_label,
                           expenses_recorded=_expenses_recorded(tables.get("control")), items=items),
    )


def _expenses_recorded(control: pd.DataFrame | None) -> bool:
    """Whether the plan's expense control (every region's row) records any spend to date."""
    if control is None or control.empty or "spend_to_date" not in control.columns:
        return True  # nothing to tell: the control's own sentences stand
    return bool(pd.to_numeric(control["spend_to_date"], errors="coerce").fillna(0.0).abs().sum() > 0)


def _kpi(tables: Mapping[str, pd.DataFrame], subtree: set, region: str,
         tree: RegionTree) -> tuple[pd.DataFrame, pd.DataFrame]:
    """
    The last closed month's scored KPI lines and board for the region and the people of its subtree.

    Both carry ``name`` and ``role`` (a region's name from the tree; no role).
    """
    kpi = tables.get("kpi")
    if kpi is None or kpi.empty:
        return pd.DataFrame(), pd.DataFrame()
    people = tables.get("people")
    persons = set(people.loc[people["region_id"].astype(str).isin(subtree), "person_id"].astype(str)) \
        if people is not None and len(people) else set()
    ids, kind = kpi["entity_id"].astype(str), kpi["entity_kind"].astype(str)
    mine = kpi.loc[((kind == "region") & (ids == region)) | ((kind == "person") & ids.isin(persons))]
    if mine.empty:
        return pd.DataFrame(), pd.DataFrame()
    mine = _plain(mine.loc[mine["month"] == mine["month"].max()].reset_index(drop=True))
    regional = mine["entity_kind"].astype(str) == "region"
    names = mine["name"].astype(object) if "name" in mine else pd.Series(None, index=mine.index, dtype=object)
    region_names = [tree.name(r) if is_region else None for r, is_region in zip(mine["entity_id"].astype(str), regional)]
    mine = mine.assign(name=names.where(~regional, region_names),
                       role=mine["role"] if "role" in mine else None)
    board = ranking(mine).assign(month=lambda b: [f"{m:%Y年%m月}" for m in pd.to_datetime(b["month"])])
    board["role"] = board["role"].map(lambda r: ROLE_NAMES.get(str(r), r) if isinstance(r, str) else "")
    board = pd.concat([board.loc[board["entity_kind"] == "region"],
                       board.loc[board["entity_kind"] == "person"].sort_values(["rank", "entity_id"])], ignore_index=True)
    lines = mine.loc[mine["scored"].astype(bool) & (mine["line_kind"] != "base")].reset_index(drop=True)
    return lines, board


_ROLLOVER_WORDS = {"next_month": "当月未完成部分滚入下月目标（原文：当月按计划未完成回款额滚动加入下月计划）",
                   "spread": "累计欠额按余下月份的计划比例摊入余下各月", "none": "不滚动，保持原计划"}


def tracking_assumptions(plan, *, as_of: dt.date, plan_run: str, landing_method: str = "profile") -> pd.DataFrame:
    """
    The assumptions a tracking report rests on, in words: one row per assumption (参数, 取值).

    ``plan`` is the region's params (:class:`planlib.params.PlanParams`); the KPI rule sets are
    named with their indicators and weights, the deductions and the pay rule.
    """
    t, b = plan.tracking, plan.budget
    rows = [("核算日", f"{as_of:%Y年%m月%d日}，跟踪方案运行 {plan_run}（目标与预算取自该运行，不重算）"),
            ("序时进度", "全年目标中，方案自身的月度分布排在核算日之前的比例（未完月份按天数折算）"),
            ("滚动方式", _ROLLOVER_WORDS.get(t.rollover, t.rollover)),
            ("全年预测", "截至核算日的实际 + 余下月份按方案月度分布、以目前完成节奏推算"
                       + ("" if landing_method == "profile" else f"（方法 {landing_method}）")),
            ("费用容差", f"单个费用项目偏离分月预算超过 {b.tolerance:z.0%} 即标记；合计超预算时{'停止支出' if t.over_budget == 'stop' else '警告'}"),
            ("阶段目标", "；".join(f"{m.stage}：{m.date} 前重点终端覆盖 {m.coverage:z.0%}" for m in plan.targets.milestones) or "无")]
    for name, rs in t.kpi.all_rule_sets().items():
        parts = [f"{i.label or MEASURE_NAMES.get(i.measure, (i.measure,))[0]} 权重 {i.weight:z.0%}" for i in rs.indicators]
        parts += [f"{d.label or EVENT_NAMES.get(k, (k,))[0]} 每{d.unit or EVENT_NAMES.get(k, (k, '次'))[1]}扣 {d.points:g} 分"
                  for k, d in rs.deductions.items()]
        if rs.pay is not None:
            parts.append(f"月目标 {rs.pay.target:,.0f} 元：未达拿 {rs.pay.below_factor:z.0%} 底薪，每超 {rs.pay.step:,.0f} 元提成 {rs.pay.per_step:,.0f} 元")
        rows.append((f"考核规则 {rs.label or name}", "；".join(parts) or "—"))
    return pd.DataFrame(rows, columns=["key", "value"])
