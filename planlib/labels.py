"""
Every Chinese label and number format a report, figure or workbook shows, in one place.

Codes stay in the data (``group_purchase``, ``wages``); what a reader sees comes from
these tables, so one plan speaks one language.

Text safe to write: :data:`FORMULA_TRIGGERS` and :func:`reads_as_formula` (a text a
spreadsheet would run as a formula), :func:`spreadsheet_text` (such a text with Excel's quote
prefix, for CSV downloads; the xlsx writer sets the prefix as a cell style instead);
:data:`CONTROL_CHARACTERS` and :func:`without_control_characters` (the C0 control characters
no XML text, a Word file's or a workbook's, may hold: the importer refuses them, the
document writer drops them).

Public functions: :func:`channel_label`, :func:`brand_label`, :func:`percentage_points`,
:func:`month_label`, :func:`hhi_points`, :func:`localize`, :func:`code_label`,
:func:`reads_as_formula`, :func:`spreadsheet_text`, :func:`without_control_characters`.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["LABELS", "CATEGORY_NAMES", "FORMATS", "percentage_points", "hhi_points", "month_label", "EFFECT_NAMES", "HOLIDAY_NAMES", "KIND_NAMES", "UNIT_KINDS",
           "LEVEL_NAMES", "CHANNEL_NAMES", "channel_label", "brand_label", "PANEL_FORMATS", "ALIGNMENT_NAMES", "SEASONALITY_NAMES",
           "SPLIT_WEIGHT_NAMES", "SPLIT_LABELS", "SPLIT_FORMATS", "COVERAGE_NAMES", "COVERAGE_GAPS", "COVERAGE_LABELS"]

CATEGORY_NAMES: dict[str, str] = {
    "labour": "人力成本",
    "office": "办公管理",
    "media": "媒体投放",
    "channel": "渠道费用",
    "promotion": "推广费用",
}


HOLIDAY_NAMES: dict[str, str] = {
    "spring_festival": "春节",
    "mid_autumn": "中秋节",
    "national_day": "国庆节",
}


#: Chinese names of the factor-substitution effects, in substitution order.
EFFECT_NAMES: dict[str, str] = {"volume": "销量效应", "mix": "结构效应", "price": "价格效应", "total": "合计"}


#: Channels known to the suite; imports accept others (a company's own channel names),
#: these are the ones the demo uses and the reports label.
CHANNEL_NAMES: dict[str, str] = {
    "supermarket": "商超",
    "restaurant": "餐饮",
    "tobacco_liquor": "烟酒店",
    "convenience": "便利店",
    "group_purchase": "团购",
}

#: ``schemas.OWN_BRAND`` (the schemas import this module, so it is not imported here).
_OWN_BRAND = "own"


def channel_label(channel: str) -> str:
    """Chinese label of a channel code (the code itself if unknown)."""
    return CHANNEL_NAMES.get(channel, channel)


def brand_label(brand: str) -> str:
    """``own`` becomes 本品; competitor brands keep their names."""
    return "本品" if brand == _OWN_BRAND else brand


LEVEL_NAMES: dict[str, str] = {"hq": "总部", "province": "省区", "city": "城市", "county": "区县", "township": "乡镇"}


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
    "paid": "有回报", "last_year": "去年", "baseline": "趋势预测", "target": "目标", "flat20": "目标一律+20%",
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


_PCT, _PP = "{:z.1%}", "{:+z.1%}"


def percentage_points(value: float) -> str:
    """
    A difference of two shares in percentage points: 0.0012 → "+0.1 个百分点".

    A share going from 20.0 % to 20.1 % moved 0.1 points, not 0.1 % (that would be a
    relative change); the tables' share-change columns read so.
    """
    return f"{float(value) * 100:+z.1f} 个百分点"


def month_label(value) -> str:
    """
    A month as a table shows it: a month start (Timestamp, date) as "2027-01", not "2027-01-01";
    a month number (1–12) as itself.
    """
    if hasattr(value, "year") and hasattr(value, "month"):
        return f"{value.year}-{value.month:02d}"
    if isinstance(value, (int, float)) or hasattr(value, "dtype"):
        return f"{float(value):z.0f}"
    return f"{value}"


def hhi_points(value: float) -> str:
    """
    The Herfindahl-Hirschman index on its usual 0–10,000 scale: Σ s_i² with shares in percent.

    ``value`` is Σ s_i² with shares as fractions (1 = one unit holds all): 0.2134 → "2,134".
    """
    return f"{max(float(value), 0.0) * 10000:z,.0f}"  # a sum of squares: below 0 only by float noise




#: Number formats by column for report tables.
FORMATS: dict[str, str | Callable[[float], str]] = {
    "year": "{}", "quarter": "{}", "gross_margin_rate": _PCT, "volume_growth": _PP, "revenue_growth": _PP,
    "revenue_yoy": _PP, "fixed_base": "{:z.3f}", "chain": "{:z.3f}", "share_first": _PCT, "share_last": _PCT,
    "change": percentage_points, "expense_ratio": _PCT, "uplift": _PP, "own_share": _PCT, "competitor_share": _PCT,
    "share_change": percentage_points, "volume_share": _PCT, "own_share_prev": _PCT, "own_growth": _PP, "coverage": _PCT,
    "share": _PCT, "cum_share": _PCT, "competitor_growth": _PP, "momentum": "{:z.2f}", "share_of_change": _PCT,
    "ratio": _PCT, "lift": _PP, "roi": _PP, "growth": _PP, "tier": "{}", "rank": "{}", "window_weeks": "{}",
    "gap_pct": _PP, "return_per_cost": "{:z.2f}", "price_change": _PP, "volume_change": _PP,
    "market_growth": _PP, "vs_baseline": _PP,
    "top1": _PCT, "top3": _PCT, "top5": _PCT, "top10": _PCT, "hhi": hhi_points, "month": month_label,
    # volumes of the gap table: whole units, however small
    "top_down": "{:z,.0f}", "bottom_up": "{:z,.0f}", "gap": "{:+z,.0f}", "reconciled": "{:z,.0f}",
    # volumes (cases): whole units, however small (487, not 487.00)
    "volume": "{:z,.0f}", "target_volume": "{:z,.0f}", "last_year_volume": "{:z,.0f}", "market_volume": "{:z,.0f}",
    "potential": "{:z,.0f}",
    # growth points (cases): whole units beside the whole volumes (344, not 344.25)
    "capacity": "{:z,.0f}", "headroom": "{:z,.0f}", "attainable": "{:z,.0f}", "own_volume": "{:z,.0f}",
    "competitor_volume": "{:z,.0f}", "own_volume_prev": "{:z,.0f}",
}  # fmt: skip


#: Labels of the target kinds.
KIND_NAMES: dict[str, str] = {
    "volume": "销量 volume", "revenue": "销售额 revenue", "gross_margin": "毛利 gross margin",
    "expenses": "费用 expenses", "profit": "利润 profit", "market_share": "市场份额 share",
}  # fmt: skip


#: Labels of growth-point units.
UNIT_KINDS: dict[str, str] = {"region": "区域", "channel": "渠道", "terminal": "终端"}

#: The kinds of record a region's review stands on (:func:`planlib.review.data_coverage`).
COVERAGE_NAMES: dict[str, str] = {
    "sales": "本品销售", "competitor_sales": "竞品销售", "market": "品类容量（市场）", "expenses": "费用",
    "activities": "本品活动", "competitor_activities": "竞品活动", "events": "市场事件", "terminals": "终端",
    "distributors": "经销商",
}  # fmt: skip

#: What a missing kind of record leaves undone (:func:`planlib.review.coverage_reading`).
COVERAGE_GAPS: dict[str, str] = {
    "sales": "计划不能以自身历史为依据", "competitor_sales": "品牌对比无从计算",
    "market": "市场份额无从计算，渠道的可争取增量只按已知品牌的销量估计", "expenses": "费用率与费用回顾无从计算",
    "activities": "活动回报无从计算", "competitor_activities": "看不到竞品的促销与媒体",
    "events": "看不到政策、断货等市场事件", "terminals": "终端覆盖与 ABC 分类无从计算",
    "distributors": "经销商分析无从计算",
}  # fmt: skip

#: Column headers of the coverage table.
COVERAGE_LABELS: dict[str, str] = {"source": "数据", "rows": "记录数", "first": "最早日期", "last": "最晚日期",
                                   "recorded_at": "记在上级"}


#: Number formats of the JupyterLab panels' tables: the report formats, amounts in whole units.
PANEL_FORMATS: dict[str, str] = {
    **FORMATS, "volume": "{:z,.0f}", "revenue": "{:z,.0f}", "gross_margin": "{:z,.0f}", "headroom": "{:z,.0f}",
    "attainable": "{:z,.0f}",
}  # fmt: skip


#: Seasonal alignments of the review panel (``planlib.review.seasonal_profile``'s ``align``).
ALIGNMENT_NAMES: dict[str, str] = {
    "spring_festival": "春节对齐 Spring Festival aligned",
    "calendar": "公历月份 Calendar months",
}

#: The plan's month profiles (``split.seasonality``) as the targets page's sentences name them.
SEASONALITY_NAMES: dict[str, str] = {"calendar": "按公历月份", "spring_festival": "按春节对齐", "even_days": "按各月天数平均"}


#: Share methods a split blend can weigh (``split.weights``), as the targets panel labels them.
SPLIT_WEIGHT_NAMES: dict[str, str] = {
    "proportion_averages": "历史占比 PA",
    "average_proportions": "月均占比 AP",
    "potential": "潜力 potential",
    "equal": "平均 equal",
}


#: Column headers of a split's diagnostics (a child's target against last year, trend and potential).
SPLIT_LABELS: dict[str, str] = {
    **LABELS, "child": "编码", "name": "名称", "target": "目标", "last_year": "去年", "implied_growth": "隐含增长",
    "trend_growth": "自身趋势", "growth_vs_trend": "高于趋势", "potential": "潜力", "beyond_potential": "超潜力",
    "share": "占比",
}  # fmt: skip

#: Number formats of a split's diagnostics.
SPLIT_FORMATS: dict[str, str] = {
    **FORMATS, "target": "{:z,.0f}", "last_year": "{:z,.0f}", "implied_growth": "{:+z.1%}", "trend_growth": "{:+z.1%}",
    "growth_vs_trend": "{:+z.1%}", "potential": "{:z,.0f}", "share": "{:z.1%}",
}  # fmt: skip


#: The dual check's flags in the reports' words.
FLAG_NAMES = {"both met": "双达成 both met", "sales met, profit missed": "销量达成、利润未达 sales met, profit missed",
              "sales missed, profit met": "销量未达、利润达成", "both missed": "双未达 both missed",
              "no break-even": "无保本点 no break-even (P ≤ VC)",
              "expense ratio over threshold": "费用率超阈值 expense ratio over threshold"}


#: Tracking (40_track_results): column headers, formats and the words of its codes.
TRACKING_LABELS: dict[str, str] = {
    "year_target": "全年目标", "target_to_date": "序时目标", "actual_to_date": "实际完成",
    "completion_to_date": "序时完成率", "time_progress": "序时进度", "task_progress": "任务进度（占全年）",
    "status": "状态", "landing": "预计全年", "landing_gap": "预计全年比目标", "run_rate_needed": "余下每月须完成",
    "months_remaining": "余下月数", "revised_target": "调整后目标", "revised_open_month": "本月调整后目标",
    "completion": "完成率", "actual": "实际", "target": "目标", "key": "项目", "gap": "比序时",
    "gap_points": "比序时（百分点）", "budget_year": "全年预算", "budget_to_date": "序时预算",
    "spend_to_date": "实际费用", "deviation": "偏差", "deviation_share": "偏差率", "items_over": "超容差项目数",
    "goal": "目标覆盖率", "key_terminals": "重点终端数", "covered": "已进货", "coverage": "覆盖率",
    "to_win": "尚差家数", "missed_names": "未进货的重点终端", "verdict": "双重检查",
    "actual_revenue": "实际销售额", "actual_profit": "实际利润", "profit_target_to_date": "序时利润目标",
    "actual_expenses": "实际费用", "actual_variable_cost": "实际变动成本", "target_revenue_to_date": "序时销售额目标",
    "points": "得分", "total": "总分", "rank": "排名", "payout": "薪酬（元）", "rule": "计分规则",
    "label": "指标", "entity_id": "编码", "name": "姓名/名称", "role": "岗位", "week": "周",
    "terminal_id": "终端编码", "stage": "阶段", "date": "日期", "category": "费用类别", "item": "项目",
    "flag": "标记", "region_id": "区域编码", "measure": "指标", "month": "月份", "rule_set": "规则集",
    "amount": "金额（元）", "weight": "权重", "value": "取值",
}  # fmt: skip

_WHOLE = "{:z,.0f}"
TRACKING_FORMATS: dict[str, str] = {
    "year_target": _WHOLE, "target_to_date": _WHOLE, "actual_to_date": _WHOLE, "completion_to_date": _PCT,
    "time_progress": _PCT, "task_progress": _PCT, "landing": _WHOLE, "landing_gap": "{:+z,.0f}",
    "run_rate_needed": _WHOLE, "revised_target": _WHOLE, "revised_open_month": _WHOLE, "completion": _PCT,
    "actual": _WHOLE, "target": _WHOLE, "gap": "{:+z,.0f}", "gap_points": "{:+z.1%}", "budget_year": _WHOLE,
    "budget_to_date": _WHOLE, "spend_to_date": _WHOLE, "deviation": "{:+z,.0f}", "deviation_share": _PP,
    "goal": _PCT, "coverage": _PCT, "actual_revenue": _WHOLE, "actual_profit": _WHOLE,
    "profit_target_to_date": _WHOLE, "actual_expenses": _WHOLE, "actual_variable_cost": _WHOLE,
    "target_revenue_to_date": _WHOLE, "points": "{:+z.1f}", "total": "{:z.1f}", "payout": "{:z,.0f}",
    "amount": "{:z,.2f}", "weight": "{:z.0%}", "months_remaining": "{}", "rank": "{}",
}  # fmt: skip

#: The words of tracking's codes: progress status, milestone status, budget-control flags.
TRACKING_CODES: dict[str, str] = {
    "ahead": "超前序时", "behind": "落后序时", "on plan": "与序时持平",
    "met": "已达成", "missed": "未达成", "not yet due": "未到期", "due": "到期",
    "within budget": "预算内", "item_over_tolerance": "有项目超出容差", "over_budget": "超预算",
    "stop": "停止支出", "warn": "警告", "volume": "销量（箱）", "revenue": "销售额（元）",
    "total": "合计", "product_line": "产品线", "channel": "渠道", "terminal_class": "终端等级",
    "terminal": "重点终端", "sku": "产品",
    "both met": "双达成", "sales met, profit missed": "销量达成、利润未达", "sales missed, profit met": "销量未达、利润达成",
    "both missed": "双未达",
}  # fmt: skip

#: The product notebooks in the plan's words (portal links).
NOTEBOOK_NAMES: dict[str, str] = {"10_review_archive": "市场分析", "20_split_targets": "目标分解",
                                  "30_build_budget": "费用预算", "35_promotions": "促销方案", "40_track_results": "执行跟踪",
                                  "50_consolidate": "汇总审批"}
TRACKING_LABELS.update({
    "severity": "处理", "target_volume": "目标销量", "actual_volume": "实际销量", "completion_volume": "销量完成率",
    "revised_target_volume": "调整后目标销量", "target_revenue": "目标销售额", "actual_revenue": "实际销售额",
    "completion_revenue": "销售额完成率", "revised_target_revenue": "调整后目标销售额", "level": "层级",
})
TRACKING_FORMATS.update({
    "target_volume": _WHOLE, "actual_volume": _WHOLE, "completion_volume": _PCT, "revised_target_volume": _WHOLE,
    "target_revenue": _WHOLE, "actual_revenue": _WHOLE, "completion_revenue": _PCT, "revised_target_revenue": _WHOLE,
})
TRACKING_LABELS.update({
    "target_revenue_year": "全年销售额目标", "profit_target": "全年利润目标", "sales_met": "销售达成",
    "profit_met": "利润达成", "missed": "未进货的重点终端编码", "days": "天数", "complete": "整周",
})
TRACKING_FORMATS.update({"target_revenue_year": _WHOLE, "profit_target": _WHOLE})

#: People's roles (the ``people.role`` codes) in the plan's words.
ROLE_NAMES: dict[str, str] = {"salesperson": "业务员", "manager": "经理", "promoter": "促销员", "clerk": "内勤"}
TRACKING_LABELS.update({"asked_volume": "应完成销量（含滚入）"})
TRACKING_FORMATS.update({"asked_volume": _WHOLE})


# -- One language on a page (#15): the words of codes, assumption keys and figure legends ----------------------------

#: Headers the report tables show beyond :data:`LABELS` (sensitivity, budget, back-tests, data quality).
LABELS.update({
    "scenario": "情景", "price": "单价（元/箱）", "bep_units": "保本销量（箱）", "children": "下级数", "parents": "上级数",
    "wmape": "加权误差", "error": "误差", "seasonality": "季节曲线", "booked": "预算（上限后）", "basis": "依据",
    "message": "说明", "region": "区域", "spend": "每次活动投入（元）", "first_return": "第一元回报",
    "marginal_return": "边际回报", "stop": "停止原因", "curve": "曲线", "shrinks_against_trend": "趋势向上却低于去年",
    "trend_growth": "自身趋势增长", "implied_growth": "隐含增长", "growth_vs_trend": "高于趋势", "child": "编码",
    "terminal_name": "终端名称", "distributor_name": "经销商名称", "distributor": "经销商", "terminal": "终端",
    "share_prev": "上年占比", "own_share_prev": "上年本品份额", "window_revenue": "活动期销售额",
    "expected_return": "预期回报", "cvp_price": "单价", "a": "饱和回报", "b": "半衰投入", "slope": "斜率",
    "r2": "拟合优度", "points": "样本数", "kind_name": "类型", "year_total": "全年",
    "top1": "最大一家占比", "top3": "前三家占比", "top5": "前五家占比", "top10": "前十家占比", "hhi": "HHI 集中度指数",
})  # fmt: skip
FORMATS.update({"own_share_prev": _PCT, "share_prev": _PCT, "wmape": _PCT, "error": _PCT, "bep_units": "{:z,.0f}",
                "price": "{:z,.2f}"})  # fmt: skip

#: The words of code values a report shows in its cells (channels, kinds, trends, methods, checks …).
CODE_NAMES: dict[str, str] = {
    **CHANNEL_NAMES, **CATEGORY_NAMES, **HOLIDAY_NAMES, **LEVEL_NAMES,
    # activity kinds
    "promotion": "促销活动", "media": "媒体投放", "tasting": "品鉴活动", "display": "陈列",
    "policy": "政策", "economy": "经济", "disaster": "灾害", "holiday": "节日",
    # distributor and series trends
    "growing": "增长", "shrinking": "下滑", "steady": "平稳", "new": "新增", "lost": "流失",
    # split, seasonality and reconciliation methods
    "proportion_averages": "历史占比法", "average_proportions": "月均占比法", "forecast_proportions": "预测占比法",
    "potential": "潜力", "equal": "平均", "auto": "自动选择", "calendar": "公历月份", "forecast": "预测",
    "top_down": "分配数", "bottom_up": "下级提案", "blend": "加权协调", "scale_bottom_up": "提案按比例缩放",
    # budget methods, curves, sensitivity scenarios, stop reasons
    "percent_of_sales": "销售百分比法", "benchmark": "竞争对手参照法", "objective_task": "目标任务法",
    "marginal": "边际收益法", "zero_based": "零基预算法", "input_output": "投入产出法",
    "exponential": "指数饱和", "linear": "线性", "base": "基准", "price_and_volume": "价格与销量同时下降", "lift below cost": "提升的毛利不抵费用", "no lift": "没有提升",
    "not measurable": "无法衡量", "scheme": "促销方案", "does not pay": "不投：第一元回报不足一元", "limit": "到可信上限",
    # data quality: severities and checks
    "error": "错误", "warning": "警告", "info": "提示",
    "missing_month": "缺月", "series_stop": "序列中断", "series_start": "序列晚开始", "outlier": "异常高值",
    "level_shift": "份额断崖", "duplicate_upload": "疑似重复上传", "duplicate_rows": "重复行",
    "volume_without_revenue": "有量无额", "revenue_without_volume": "有额无量", "unit_price": "单价异常",
    "competitor_coverage": "缺竞品数据", "distributor_missing": "缺经销商", "distributor_without_sales": "经销商无销售",
    "unknown_product": "产品表缺编码", "no_sales": "无销售",
    # dual check
    "both met": "双达成", "sales met, profit missed": "销量达成、利润未达", "sales missed, profit met": "销量未达、利润达成",
    "both missed": "双未达", "no break-even": "无保本点", "expense ratio over threshold": "费用率超阈值",
    "own": "本品", "True": "是", "False": "否",
    # tracking: landing methods and rollover rules
    "profile": "按方案月度曲线推算", "recent": "按近期节奏推算", "next_month": "滚入下月", "spread": "摊入余下月份",
    "none": "不滚动",
    # concentration measures
    "top1": "最大一家占比", "top3": "前三家占比", "top5": "前五家占比", "top10": "前十家占比", "hhi": "HHI 集中度指数",
}  # fmt: skip

#: The sensitivity's scenarios (``planlib.budget.sensitivity_view``'s ``scenario``).
SCENARIO_NAMES: dict[str, str] = {"base": "基准", "price": "价格下降", "volume": "销量下降",
                                  "price_and_volume": "价格与销量同时下降"}

#: The one-word codes :func:`localize` names inside a sentence (other single English words are dropped as glosses).
SENTENCE_CODES = frozenset({"auto", "calendar", "blend", "profile", "recent"})

#: Columns whose values are codes (looked up in :data:`CODE_NAMES` and the item catalogue when shown);
#: a column not named here shows its values as they are (names, ids, numbers).
CODE_COLUMNS: frozenset[str] = frozenset({
    "channel", "kind", "trend", "method", "chosen", "category", "item", "severity", "check", "reason", "stop",
    "curve", "scenario", "flag", "verdict", "dimension", "effect", "holiday", "level", "seasonality", "key_kind",
    "basis_method", "status", "brand", "source", "measure",
})  # fmt: skip

#: Milestone stages by their number (a plan's stage 1, 2 … in words).
STAGE_NAMES: dict[int, str] = {1: "第一阶段", 2: "第二阶段", 3: "第三阶段", 4: "第四阶段", 5: "第五阶段", 6: "第六阶段"}

#: Legend titles and axis words of the figures (the frames' column names in the plan's words).
LEGEND_TITLES: dict[str, str] = {"year": "年份", "brand": "品牌", "effect": "效应", "category": "费用类别",
                                 "channel": "渠道", "product_line": "产品线", "terminal_class": "终端等级",
                                 "kind": "类型", "group": "区域"}  # fmt: skip

#: The plan's assumption keys in words (``assumptions_table`` rows); ``*`` stands for any one key part.
PARAM_NAMES: dict[str, str] = {
    "plan_id": "方案编号", "year": "计划年度", "scope.root": "计划范围（起点区域）", "scope.levels": "计划层级",
    "analysis.history_years": "分析历史年数", "analysis.capture_rate": "增量争取率",
    "analysis.abc_thresholds": "ABC 分类界限（累计占比）", "targets.growth": "目标增长", "targets.stretch": "冲刺系数",
    "targets.unit": "目标取整单位（箱）", "targets.volume": "总销量目标（箱）", "targets.revenue": "总销售额目标（元）",
    "targets.root": "总目标来源", "targets.milestones[*]": "阶段目标", "split.method": "份额方法",
    "split.cap": "潜力上限", "split.floor": "下限", "split.growth_weight": "增长权重", "split.history_years": "份额历史年数",
    "split.potential_share": "潜力份额", "split.proposals": "下级提案文件", "split.reconcile": "上下结合协调方式",
    "split.reconcile_weight": "协调权重", "split.seasonality": "季节曲线", "split.weights.*": "份额方法权重",
    "budget.activities[*]": "计划活动", "budget.cap_amount": "预算上限（元）", "budget.cap_ratio": "预算上限（占目标销售额）",
    "budget.channel.*.*": "渠道费用标准", "budget.channel.*": "渠道费用标准",
    "budget.expense_ratio_threshold": "费用率阈值", "budget.fixed_categories": "固定费用类别",
    "budget.headcount.cost_per_head": "人均人力成本（元）", "budget.headcount.decay": "每增一人的产出递减系数",
    "budget.headcount.headroom_capture": "首位新增业务员争取的空间比例", "budget.io_limit": "投入产出法可信上限（历史最大单次投入的倍数）",
    "budget.materiality": "重要性水平", "budget.methods.*": "预算方法", "budget.profit_target": "利润目标参数",
    "budget.reach_growth": "可达销量上限（比去年增长）", "budget.tolerance": "单项调整容差", "budget.expense_ratio": "费用率",
    "budget.percent_of_sales.*": "销售百分比", "budget.zero_based.*": "零基预算项目",
}  # fmt: skip

import re as _re  # noqa: E402  (the block's own helpers)

_CJK = _re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: An English gloss: words of letters joined by spaces and light punctuation.
_GLOSS = _re.compile(r"(?:^|(?<=[\s（(）)：:，,；;。、\u3400-\u9fff]))[A-Za-z][A-Za-z'’\-]*(?:[ ,:;/'’\-−×+=]+[A-Za-z][A-Za-z'’\-]*)*(?![\w\-])")
_PLAIN_WORD = _re.compile(r"[a-z]{3,}")
_CJK_NEXT = _re.compile(r" *[\u3400-\u9fff\uf900-\ufaff]")
#: What follows a name inside a Chinese sentence, never a gloss: its figure in brackets, or the sentence's own punctuation.
_NAME_NEXT = _re.compile(r" *(?:[（(][-+−]?[0-9]|[。，；、])")
#: Words kept inside Chinese text: names of methods and measures the field writes in Latin letters.
#: Words each capitalised, as names are written (Macau, Hong Kong, Jack Daniel's): data, never a gloss
#: (the library's English glosses run in lower case after their first word: "Spring Festival aligned").
_TITLE_CASE = _re.compile(r"[A-Z][A-Za-z'’]*(?:[ \-][A-Z][A-Za-z'’]*)*")

#: Python's words for a missing or broken number (and for truth): never a name, never a gloss either. Left where
#: they stand, so that a page's scans catch the number that broke ("毛利率 None，增长 inf%" read "毛利率，增长 %").
_PYTHON_WORD = _re.compile(r"(?<![A-Za-z])(?:None|True|False|nan|NaN|NaT|inf|Inf)(?![A-Za-z])")

#: A span of code in backticks: never a gloss (a command an analyst types).
_CODE_SPAN = _re.compile(r"`[^`\n]+`")
#: Private-use code points standing for code spans while the glosses are dropped.
_PLACEHOLDER = 0xF0000

KEPT_WORDS = frozenset({"Holt-Winters", "CAGR", "ABC", "BEP", "SKU", "SWOT", "KPI", "HHI", "CVP", "FC", "VC", "P",
                        "ROI", "MAPE", "A", "B", "C", "D"})


def localize(text: object) -> str:
    """
    ``text`` as a Chinese page shows it: codes in words, an English gloss beside Chinese dropped.

    Parameters
    ----------
    text : object
        A heading, caption, note or label; a library sentence may carry an English gloss
        after its Chinese (``销售额 revenue``, ``… — nothing to show``).

    Returns
    -------
    str
        Text without CJK characters is returned as it is (a formula, a name), and so is a
        span of code in backticks (`planlib run …`). Otherwise each
        code of :data:`CODE_NAMES` written as a snake_case token becomes its words, and each
        run of English words holding a lowercase word of three or more letters is dropped,
        with the spaces, dashes and empty brackets it leaves, unless every word of it is
        capitalised, or Chinese, a bracketed figure or Chinese punctuation (。，；、) follows
        it: that is a name (a region, a brand, a terminal), which is data. Python's words for a
        missing or broken number (``None``, ``nan``, ``inf``, ``NaT``; ``True``, ``False``) are
        never dropped: they stay for the reader and the page's tests to see.

    Examples
    --------
    >>> localize("检查结果汇总 Findings by check")
    '检查结果汇总'
    >>> localize("份额方法：forecast_proportions")
    '份额方法：预测占比法'
    >>> localize("BEP = FC / (P − VC)")
    'BEP = FC / (P − VC)'
    >>> localize("毛利率 None，增长 inf%")
    '毛利率 None，增长 inf%'
    """
    s = "" if text is None else str(text)
    if not _CJK.search(s):
        return s
    code = _CODE_SPAN.findall(s)  # `a command` is shown as it is: each span set aside as one placeholder
    s = _CODE_SPAN.sub(lambda m, n=iter(range(len(code))): chr(_PLACEHOLDER + next(n)), s)
    s = _re.sub(r"(?<![\w.])[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+\b", lambda m: PARAM_NAMES.get(m.group(0), m.group(0)), s)
    s = _re.sub(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", lambda m: CODE_NAMES.get(m.group(0), m.group(0)), s)

    def drop(m: "_re.Match[str]") -> str:
        run = m.group(0)
        if run in KEPT_WORDS or not _PLAIN_WORD.search(run) or _TITLE_CASE.fullmatch(run) or _PYTHON_WORD.search(run):
            # a kept word, a formula's letters, a name in Latin letters (Macau, Hong Kong), or a broken number
            # (None, nan, inf): shown, for a reader and a test to see it, never silently dropped
            return run
        if run in SENTENCE_CODES:
            return CODE_NAMES[run]  # a known one-word code in words
        if _CJK_NEXT.match(m.string, m.end()) or _NAME_NEXT.match(m.string, m.end()):
            # Chinese goes on after it (hello kitty 便利店), its figure follows (hello kitty（96.8%）) or the
            # sentence's punctuation: part of the sentence, a name, not a trailing gloss
            return run
        return ""  # a gloss

    s = _GLOSS.sub(drop, s)
    s = _re.sub(r"[(（]\s*[,:;，：；]?\s*[)）]", "", s)  # brackets left empty
    s = _re.sub(r"\s*[—–]+\s*[.;,:]*\s*(?=$|[。；，,;）)])", "", s)  # a dash whose English tail went
    s = _re.sub(r"([（(])\s*[，,;；:：]\s*", r"\1", s)
    s = _re.sub(r"\s+([，。；：:、）)])", r"\1", s)
    s = _re.sub(r"([（(])\s+", r"\1", s)
    s = _re.sub(r"\s*[:：]\s*$", "", s)
    s = _re.sub(r" {2,}", " ", s)
    for i, span in enumerate(code):
        s = s.replace(chr(_PLACEHOLDER + i), span)
    return s.strip()


def code_label(value: object, column: str | None = None) -> object:
    """
    The words of a code value in a column of :data:`CODE_COLUMNS` (or any column when None);
    other values unchanged.
    """
    if not isinstance(value, str) or (column is not None and column not in CODE_COLUMNS):
        return value
    own = {"category": CATEGORY_NAMES, "level": LEVEL_NAMES, "scenario": SCENARIO_NAMES}.get(column or "", {})
    return own.get(value, CODE_NAMES.get(value, value))


__all__ += ["SCENARIO_NAMES", "SENTENCE_CODES", "CODE_NAMES", "CODE_COLUMNS", "STAGE_NAMES", "LEGEND_TITLES", "PARAM_NAMES", "KEPT_WORDS", "localize",
            "code_label"]


#: The workflow (issue #16): region statuses, actions and the submission workbook's words.
WORKFLOW_STATUS_NAMES: dict[str, str] = {"not_submitted": "未提交", "submitted": "已提交", "returned": "已退回",
                                         "approved": "已批准", "locked": "已锁定"}
WORKFLOW_ACTION_NAMES: dict[str, str] = {"template": "下发模板", "submit": "提交", "approve": "批准", "return": "退回",
                                         "lock": "锁定版本", "refused": "拒绝操作", "tamper_detected": "发现篡改"}
WORKFLOW_LABELS: dict[str, str] = {
    "region_id": "区域编码", "name": "区域名称", "status": "状态", "by": "操作人", "at": "时间", "version": "版本",
    "note": "备注", "submitted_volume": "提报销量（箱）", "top_down_volume": "上级建议（箱）", "gap": "差距（箱）",
    "gap_share": "差距率", "month": "月份", "product_line": "产品线", "last_year_volume": "去年销量（箱）",
    "proposal_volume": "上级建议销量（箱）", "volume": "本区提报销量（箱）", "revenue": "本区提报销售额（元）",
    "category": "费用类别", "item": "费用项目", "top_down_amount": "上级预算（元）", "amount": "申请金额（元）",
    "action": "事项", "owner": "负责人", "due": "完成日期", "cost": "费用（元）",
    "target_volume": "目标销量（箱）", "target_revenue": "目标销售额（元）", "budget": "费用预算（元）",
    "profit": "利润（元）", "key": "假设", "before": "之前", "after": "之后", "measure": "指标",
}  # fmt: skip
__all__ += ["WORKFLOW_STATUS_NAMES", "WORKFLOW_ACTION_NAMES", "WORKFLOW_LABELS"]

#: Consolidation (50_consolidate): column headers and formats, the reconciliation's bases.
CONSOLIDATE_LABELS: dict[str, str] = {
    **WORKFLOW_LABELS, "top_down": "分配目标（箱）", "submitted": "提报销量（箱）", "gap_pct": "差距率",
    "top_down_revenue": "分配销售额（元）", "submitted_revenue": "提报销售额（元）", "revenue_gap": "销售额差距（元）",
    "reconciled": "协调后（箱）", "reconciled_revenue": "协调后销售额（元）", "basis": "依据", "seq": "序号",
    "actions": "行动数", "action_cost": "行动费用（元）", "cost_share": "占预算", "level": "层级",
}  # fmt: skip
CONSOLIDATE_FORMATS: dict[str, str] = {
    "top_down": "{:z,.0f}", "submitted": "{:z,.0f}", "gap": "{:+z,.0f}", "gap_pct": "{:+z.1%}", "top_down_revenue": "{:z,.0f}",
    "submitted_revenue": "{:z,.0f}", "revenue_gap": "{:+z,.0f}", "reconciled": "{:z,.0f}", "reconciled_revenue": "{:z,.0f}",
    "cost": "{:z,.0f}", "action_cost": "{:z,.0f}", "budget": "{:z,.0f}", "cost_share": "{:z.1%}", "actions": "{}",
    "seq": "{}", "target_volume": "{:z,.0f}", "target_revenue": "{:z,.0f}",
}  # fmt: skip
RECONCILE_BASIS_NAMES: dict[str, str] = {"submission": "按提报（已批准）", "top_down": "按分配"}
__all__ += ["CONSOLIDATE_LABELS", "CONSOLIDATE_FORMATS", "RECONCILE_BASIS_NAMES"]

#: The dual check's verdicts in the plan's words alone (workbooks; the reports use FLAG_NAMES).
DUAL_CHECK_NAMES: dict[str, str] = {
    "both met": "双达成", "sales met, profit missed": "销量达成、利润未达", "sales missed, profit met": "销量未达、利润达成",
    "both missed": "双未达", "no break-even": "无保本点（单价不高于单位变动成本）",
    "expense ratio over threshold": "费用率超阈值",
}  # fmt: skip

#: Column headers of the plan's Excel workbooks, with their units.
WORKBOOK_LABELS: dict[str, str] = {
    "region_id": "区域编码", "region_name": "区域名称", "level": "层级",
    "terminal_id": "终端编码", "terminal_name": "终端名称", "terminal_class": "终端等级", "category": "费用类别",
    "year_volume": "全年销量（箱）", "year_revenue": "全年销售额（元）", "year_amount": "全年（元）",
    "total_amount": "合计（元）", "target_volume": "目标销量（箱）", "target_revenue": "目标销售额（元）",
    "budget": "费用预算（元）", "cap": "预算上限（元）", "expense_ratio": "费用率", "profit_target": "利润目标（元）",
    "profit_at_target": "目标下利润（元）", "bep_units": "保本销量（箱）", "margin_of_safety": "安全边际率",
    "flag": "双重检查",
}  # fmt: skip

#: The promotions report's and the schemes' tracking columns (issue #17).
PROMOTION_LABELS: dict[str, str] = {
    "scheme": "方案", "name": "方案名称", "kind": "活动类型", "rules": "规则", "units": "终端数",
    "eligible": "符合条件", "rewarded": "得奖终端", "uptake": "参与率", "cost": "预计费用（元）",
    "cost_low": "金额 −10% 时费用（元）", "cost_high": "金额 +10% 时费用（元）", "expected_lift": "预计拉动销售额（元）",
    "break_even_lift": "保本拉动销售额（元）", "pays": "能否收回", "tier": "档位", "members": "人数",
    "region_id": "区域", "status": "状态", "planned_eligible": "计划符合条件", "planned_rewarded": "计划得奖",
    "planned_uptake": "计划参与率", "planned_cost": "计划费用（元）", "actual_eligible": "实际符合条件",
    "actual_rewarded": "实际得奖", "actual_uptake": "实际参与率", "actual_cost": "实际应付（元）",
    "cost_completion": "费用完成率", "item_budget": "该项目预算（元）", "item_spent": "该项目实际支出（元）",
    "item": "费用项目", "start": "开始", "end": "结束",
}  # fmt: skip
PROMOTION_FORMATS: dict[str, str] = {
    "units": _WHOLE, "eligible": _WHOLE, "rewarded": _WHOLE, "uptake": "{:z.1%}", "cost": _WHOLE, "cost_low": _WHOLE,
    "cost_high": _WHOLE, "expected_lift": _WHOLE, "break_even_lift": _WHOLE, "members": _WHOLE,
    "planned_eligible": _WHOLE, "planned_rewarded": _WHOLE, "planned_uptake": "{:z.1%}", "planned_cost": _WHOLE,
    "actual_eligible": _WHOLE, "actual_rewarded": _WHOLE, "actual_uptake": "{:z.1%}", "actual_cost": _WHOLE,
    "cost_completion": "{:z.1%}", "item_budget": _WHOLE, "item_spent": _WHOLE,
}  # fmt: skip
__all__ += ["PROMOTION_LABELS", "PROMOTION_FORMATS"]


# -- text safe to write ----------------------------------------------------------------------

#: A text starting with one of these is read as a formula by a spreadsheet (OWASP, CSV injection).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def reads_as_formula(value: object) -> bool:
    """
    Whether a spreadsheet would take ``value`` for a formula: a text starting with one of :data:`FORMULA_TRIGGERS`.

    Numbers are never formulas (a negative amount is a number, not a text starting with "-").

    Examples
    --------
    >>> reads_as_formula("=cmd|' /C calc'!A0"), reads_as_formula("-2+3"), reads_as_formula(-2), reads_as_formula("山东省")
    (True, True, False, False)
    """
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def spreadsheet_text(value: object) -> object:
    """
    ``value`` as a CSV for a spreadsheet holds it: a text a spreadsheet would run as a formula
    (:func:`reads_as_formula`) behind a single quote, so it shows and stays as text; anything
    else (numbers, dates, missing values, other texts) unchanged.

    Examples
    --------
    >>> spreadsheet_text("=1+2"), spreadsheet_text(-5.5), spreadsheet_text("金潭")
    ("'=1+2", -5.5, '金潭')
    """
    return "'" + value if reads_as_formula(value) else value


#: A regular expression matching one C0 control character other than tab, line feed and carriage
#: return (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F): XML 1.0 text, and so a Word file or a
#: workbook, cannot hold them.
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_CONTROL = _re.compile(CONTROL_CHARACTERS)


def without_control_characters(text: object) -> object:
    r"""
    ``text`` without its :data:`CONTROL_CHARACTERS`; anything but a text unchanged.

    Tab and line breaks stay. An archive written by another tool may hold a name such as
    ``"山东\x0b省"``; a document shows it as 山东省 instead of failing to be written.

    Examples
    --------
    >>> without_control_characters("山东\x0b省\x01"), without_control_characters("甲\t乙\n"), without_control_characters(3)
    ('山东省', '甲\t乙\n', 3)
    """
    return _CONTROL.sub("", text) if isinstance(text, str) else text


__all__ += ["FORMULA_TRIGGERS", "reads_as_formula", "spreadsheet_text", "CONTROL_CHARACTERS", "without_control_characters"]
