"""Write the product notebooks from the cell lists below (run once after editing).

Keeping the source of each notebook here makes reviews readable diffs; the
committed .ipynb files are this script's output, without outputs.
Usage: python tools/build_notebooks.py
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent.parent / "notebooks"

PARAMETERS = '''\
region = "HQ"                      # region id from the archive's regions table
scenario = "base"                  # params/scenarios/<scenario>.yaml, or "base"
params_file = "../params/demo.yaml"  # the batch passes the run's params.resolved.yaml
run_dir = None                     # the batch passes the output folder; None writes nothing
interactive = True                 # the batch passes False: no widgets'''


def md(text, *tags):
    cell = new_markdown_cell(text)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def code(text, *tags):
    cell = new_code_cell(text)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def review_archive():
    cells = [
        md("# 市场环境分析：增量从哪里来？\n\n"
           "**The question for leadership:** can this region's plan stand on its records, and where can next "
           "year's increase come from — which areas, channels and terminals, against which competitors, at what cost?"),
        code(PARAMETERS, "parameters"),
        code("""\
from IPython.display import display
from planlib import analysis, plots, quality, report, review, widgets
from planlib.workbook import assumptions_table, open_workbook

wb = open_workbook(region, scenario, params_file, run_dir, interactive)
plots.set_style()
data = review.load_region_data(wb.archive, wb.tree, region, years=wb.history)
rv = review.review_region(data, wb.tree, capture_rate=wb.params.analysis.capture_rate, swot_lines=wb.params.swot.lines())
last = rv.years[-1] if rv.years else None"""),
        code("""\
display(report.heading(wb.title, 1))
display(report.key_figures(review.key_figures(rv)))
display(report.note(f"层级 {wb.level} · 下级区域 {len(wb.tree.children(region))} 个 · 计划年度 {wb.params.year} · 情景 {wb.scenario}"))"""),
        md("## 使用的假设 Assumptions used"),
        code("""report.show_table(assumptions_table(wb, sections=("plan_id", "year", "scope", "analysis")), labels=report.LABELS)"""),
        md("## 1. 数据质量 Data quality first\n\n"
           "Distorted data is the plan's fatal killer: these are the archive's faults inside this region, found before any number below is read."),
        code("""\
findings = quality.check_archive(wb.archive, region_id=region, tree=wb.tree)
display(report.show_table(quality.summarise_findings(findings), caption="检查结果汇总 Findings by check", labels=report.LABELS))
display(report.show_table(quality.findings_to_resolve(findings), caption="需要处理的问题 Findings to resolve", labels=report.LABELS, max_rows=25))
display(report.note(quality.reading(findings)))"""),
        md("## 2. 销售回顾 Sales review"),
        code("""\
if rv.has_history:
    display(report.show_table(rv.yearly, caption="本品历年销售与毛利 Own sales and margin by year", labels=report.LABELS, formats=report.FORMATS))
    display(report.show_table(rv.revenue_indices.reset_index(), caption="销售额定基与环比指数 Fixed-base and chain indices", labels=report.LABELS, formats=report.FORMATS))
    display(report.note(f"{rv.years[0]}–{last} 年销售额复合增长率 CAGR {rv.cagr:+.1%}；环比指数连乘等于定基指数。"))
else:
    display(report.note("该区域在档案中没有销售记录 — this region has no sales history in the archive; its plan cannot rest on its own records."))"""),
        code("""\
if rv.has_history:
    display(plots.monthly_lines(analysis.monthly_profile(rv.monthly), value="revenue", title="月度销售额（按年）Monthly revenue by year", ylabel="销售额"))
    display(report.show_table(rv.quarterly, caption="季度销售 Quarterly sales", labels=report.LABELS, formats=report.FORMATS))"""),
        code("""\
if not rv.core_weekly.empty:
    display(plots.weekly_lines(rv.core_weekly, title="A/B 类核心终端周销量 Weekly volume of core terminals"))
    display(report.show_table(rv.holiday_uplift.replace({"holiday": report.HOLIDAY_NAMES}), caption="节日窗口销量与平日对比 Holiday windows against ordinary weeks", labels=report.LABELS, formats=report.FORMATS))
    display(report.note("节日提升 = 节日窗口周均销量 / 当年平日周均销量 − 1（核心终端周数据）。"))"""),
        code("""\
if rv.has_history:
    display(plots.stacked_shares(rv.composition["product_line"], index="year", columns="product_line", value="share", title="产品线结构 Revenue share by product line"))
    display(plots.stacked_shares(rv.composition["channel"], index="year", columns="channel", value="share", title="渠道结构（含团购）Revenue share by channel"))
    display(report.show_table(rv.composition_shift.replace({"dimension": report.LABELS}), caption="结构变化 Composition: first and last year", labels=report.LABELS, formats=report.FORMATS))
    display(report.show_table(rv.related_ratios, caption="相关比率 Related ratios", labels=report.LABELS, formats=report.FORMATS))"""),
        md("## 3. 季节性 Seasonality: calendar months against the Spring Festival"),
        code("""\
if not rv.seasonal_festival.empty:
    display(plots.seasonal_compare(rv.seasonal_calendar, rv.seasonal_festival))
    display(report.note("左：按公历月份，春节旺季在一月与二月之间移动；右：按春节对齐（农历），节前旺季每年落在同一位置。"))"""),
        md("## 4. 市场与竞争 Market and competition"),
        code("""\
if rv.share_by_child.empty:
    display(report.note("下级区域没有品类容量数据（市场数据按县记录）— the children have no category data of their own."))
else:
    display(plots.share_bars(rv.share_by_child.assign(group=rv.share_by_child["group"].map(rv.names)), title="各下级区域本品份额 Own share of category volume by area"))
    display(report.show_table(rv.share_by_line, caption="产品线份额 Share by product line", labels=report.LABELS, formats=report.FORMATS))
if not rv.brands.empty:
    display(plots.grouped_bars(rv.brands.assign(brand=rv.brands["brand"].map(analysis.brand_label)), x="year", y="volume", hue="brand", title="本品与竞品销量 Volume by brand", ylabel="销量"))
    display(report.show_table(rv.brands.assign(brand=rv.brands["brand"].map(analysis.brand_label)), caption="品牌销量、份额与增长 Brands", labels=report.LABELS, formats=report.FORMATS))
display(report.show_table(rv.competitor_activities[["brand", "kind", "start_date", "end_date", "cost", "description"]], caption="竞品促销与媒体 Competitors' promotions and media", labels=report.LABELS, max_rows=15))"""),
        md("## 5. 经销商 Distributors"),
        code("""\
display(report.show_table(rv.distributors, caption=f"{last} 年经销商本品与竞品销量 Own and competitor volume by distributor", labels=report.LABELS, formats=report.FORMATS, max_rows=20))
display(report.show_table(rv.distributor_concentration, caption="集中度 Concentration", labels=report.LABELS, formats=report.FORMATS))
display(report.note(review.distributor_reading(rv)))"""),
        md("## 6. 终端 Terminals"),
        code("""\
display(report.show_table(rv.coverage, caption="近一季度终端覆盖率 Terminals buying in the last quarter", labels=report.LABELS, formats=report.FORMATS))
mismatch = rv.terminal_classes[rv.terminal_classes["mismatch"]]
display(report.show_table(mismatch, caption=f"按销售计算的 ABC 类与档案等级不一致的终端（{len(mismatch)} 家）Recorded class differs from ABC", labels=report.LABELS, formats=report.FORMATS, max_rows=20))"""),
        md("## 7. 增量点 Growth points"),
        code("""\
display(report.show_table(rv.growth_points.head(10).assign(kind=rv.growth_points["kind"].map(report.UNIT_KINDS)), caption="前十个增量点 Top ten growth points", labels=report.LABELS, formats=report.FORMATS))
if not rv.growth_points.empty:
    display(plots.growth_points(rv.growth_points.head(10), title="可争取增量 Attainable increase"))
    display(report.note("可争取增量 = 空间（容量 − 本品销量）× 争取率 × 势头（1 + 本品增长 − 竞品增长，限于 0.5–1.5）。"))"""),
        md("## 8. 因素替代 Factor substitution: volume, mix, price"),
        code("""\
if not rv.factor_effects.empty:
    display(plots.effects_bars(rv.factor_effects, title=f"{rv.years[-2]}→{last} 销售额变动分解 Revenue change by factor"))
    display(report.show_table(rv.factor_effects.replace({"effect": report.EFFECT_NAMES}), caption="销量、结构、价格效应（先数量后质量）", labels=report.LABELS, formats=report.FORMATS))
    display(report.note("三个效应依次替代，合计恰等于销售额变动。"))"""),
        md("## 9. 费用回顾 Spend review: where past spend paid"),
        code("""\
if not rv.expense_ratios.empty:
    display(plots.expense_ratio_lines(rv.expense_ratios, title="各类费用率 Expense ratio by category"))
display(report.show_table(rv.activity_lift, caption="过往活动的销售提升与回报 Past activities: lift and return", labels=report.LABELS, formats=report.FORMATS, max_rows=20))
display(report.note(review.spend_reading(rv)))"""),
        md("## 10. SWOT"),
        code("""report.swot_boxes(rv.swot)"""),
        md("## 交互调整 Tune by hand (JupyterLab only)", "remove_cell"),
        code("""\
if interactive:
    display(widgets.review_panel(wb, rv, data))""", "remove_cell"),
        code("""report.mark_complete(run_dir, region, "10_review_archive")""", "remove_cell"),
    ]
    return cells


def split_targets():
    return [
        md("# 销售与利润目标：定多少、怎么分？\n\n"
           "**The question for leadership:** what sales *and profit* target can this region reach with a stretch, "
           "and how does it split — exactly — by month, child area, product line, channel and named terminal?"),
        code(PARAMETERS, "parameters"),
        code("""\
from IPython.display import display
from planlib import archive, costing, plots, report, targets
from planlib.workbook import assumptions_table, open_workbook

wb = open_workbook(region, scenario, params_file, run_dir, interactive)
plots.set_style()
con = archive.connect(wb.archive)
table = targets.load_results(run_dir) if run_dir else targets.plan_targets(wb.plan_params(), wb.tree, con).table
econ = targets.region_economics(con, wb.tree, region, wb.params.year)
potential = targets.region_potential(con, wb.tree, region, wb.params.year, share=wb.params.split.potential_share)
baselines = targets.children_baselines(con, wb.tree, region, wb.params.year, table=table)
view = targets.region_view(table, wb.tree, region, terminals=archive.load_table(con, "terminals", region_ids=wb.tree.subtree(region)), potential=potential, baselines=baselines)"""),
        code("""\
display(report.heading(wb.title, 1))
kinds = targets.region_kinds(econ, table, plan_year=wb.params.year, budget=costing.region_expenses(run_dir, region))
display(report.key_figures(targets.key_figures(kinds, wb.params.year)))"""),
        md("## 使用的假设 Assumptions used"),
        code("""report.show_table(assumptions_table(wb, sections=("year", "scope", "targets", "split")), labels=report.LABELS)"""),
        md("## 1. 目标与依据 Targets and their basis\n\n"
           "Sales and profit together: the volume target priced with the region's own price, unit cost and last year's "
           "expense ratio gives the profit target; beside it, the same target with the run's expense budget for the region "
           "— the profit the budgeted plan makes (the budget report's dual check). The flat \"+20% for pressure\" habit "
           "is shown too, not used."),
        code("""\
display(report.show_table(kinds.replace({"kind": report.KIND_NAMES}), caption="目标种类 Targets by kind", labels=report.LABELS, formats=report.FORMATS))
display(report.note(targets.kinds_reading(kinds)))"""),
        md("### 1a. 基线与历年增长 The baseline beside past growth, the market and the share"),
        code("""\
base = targets.region_baseline(econ, wb.params.year)
history = targets.baseline_history(econ, base, wb.params.year, target=float(view.months["target_volume"].sum()))
display(report.show_table(history, caption="历年销量、市场与份额 Past years, the baseline and the target", labels=report.LABELS, formats=report.FORMATS))
display(report.note(targets.baseline_reading(base, history, target=float(view.months["target_volume"].sum()))))"""),
        md("## 2. 月度分解 Months"),
        code("""\
if view.months.empty:
    display(report.note("该区域不在计划范围内 — this region has no targets in the plan's scope."))
else:
    display(plots.target_months(view.months, title="月度目标与去年 Monthly target against last year"))
    display(report.show_table(view.months, caption="月度目标 Monthly targets", labels=report.LABELS, formats=report.FORMATS))
    display(report.show_table(view.quarters, caption="季度目标 Quarterly targets", labels=report.LABELS, formats=report.FORMATS))
    display(report.note("月度分解按计划年春节日期对齐的季节曲线；各月合计恰等于全年目标。"))"""),
        md("## 3. 下级分解 Children"),
        code("""\
if view.children.empty:
    display(report.note("没有下级计划单位 — no planned children below this region."))
else:
    display(plots.children_targets(view.children.rename(columns={"target_volume": "target", "last_year_volume": "last_year"}), title="下级目标、去年与潜力 Children: target, last year, potential"))
    display(report.show_table(view.children, caption="下级目标、隐含增长、自身趋势与潜力 Children: target, implied growth, own trend and potential", labels=report.LABELS, formats=report.FORMATS))
    display(report.note(targets.fairness_reading(view.children)))"""),
        md("## 3a. 上下结合 Top-down against the children's own proposals\n\n"
           "分配方式 (top-down) beside 上行方式 (bottom-up): each child's own proposal, the gap, and the reconciliation the plan chose."),
        code("""\
if view.children.empty:
    display(report.note("没有下级计划单位 — no planned children to compare with."))
else:
    proposals, source = targets.children_proposals(con, wb.tree, region, wb.params.year, stretch=wb.stretches(wb.tree.children(region)), unit=wb.params.targets.unit, path=wb.params.split.proposals, baselines=baselines)
    gap = targets.bottom_up_gap(view.children, proposals, method=wb.params.split.reconcile, weight=wb.params.split.reconcile_weight, unit=wb.params.targets.unit)
    display(report.show_table(gap, caption=f"上下差距（协调方式：{wb.params.split.reconcile}）Gap to bottom-up", labels=report.LABELS, formats=report.FORMATS))
    display(report.note(targets.gap_reading(gap, source)))"""),
        code("""\
if interactive:
    from planlib import widgets
    inputs = targets.split_inputs(con, wb.tree, region, wb.params.year, total=int(view.months["target_volume"].sum()), stretch=wb.params.targets.stretch, potential_share=wb.params.split.potential_share, history_years=wb.params.split.history_years)
    display(widgets.split_panel(wb, inputs))""", "remove_cell"),
        md("## 4. 结构 Product lines, channels, terminal classes"),
        code("""\
for dim, frame in view.breakdowns.items():
    display(report.show_table(frame, caption=f"按{report.LABELS.get(dim, dim)}分解 By {dim}", labels=report.LABELS, formats=report.FORMATS))"""),
        md("## 5. 终端 Named terminals"),
        code("""\
if view.terminals.empty:
    display(report.note("终端目标在县级分解 — terminal targets are split at county level; see the county reports and the Excel workbook."))
else:
    display(report.show_table(view.terminals, caption="A/B 类终端逐月目标（C/D 类按乡镇合并）Monthly targets by terminal", labels=report.LABELS, formats=report.FORMATS, max_rows=60))"""),
        md("## 6. 阶段目标 Staged distribution goals"),
        code("""report.show_table(targets.milestones(view.key_terminals, [(m.date, m.coverage) for m in wb.params.targets.milestones]) if wb.params.targets.milestones else view.months.iloc[0:0], caption=f"重点终端铺货阶段目标（共 {view.key_terminals} 家 A/B 终端）", labels=report.LABELS, formats=report.FORMATS)"""),
        code("""\
con.close()
report.mark_complete(run_dir, region, "20_split_targets")""", "remove_cell"),
    ]


def build_budget():
    return [
        md("# 费用预算与利润检查：目标要花多少钱、能不能赚钱？\n\n"
           "**The question for leadership:** what does this region's target cost, by category, item, month and "
           "terminal — and at that cost, is the profit target still reachable?"),
        code(PARAMETERS, "parameters"),
        code("""\
from IPython.display import display
from planlib import archive, budget, costing, plots, report, review, targets
from planlib.workbook import assumptions_table, open_workbook

wb = open_workbook(region, scenario, params_file, run_dir, interactive)
plots.set_style()
con = archive.connect(wb.archive)
if run_dir:
    table, regions, methods = costing.load_results(run_dir)
else:  # JupyterLab: the whole plan's budget, as the batch computes it
    plan = wb.plan_params()
    pb = costing.plan_budget(plan, wb.tree, con, targets.plan_targets(plan, wb.tree, con).table, region_params=costing.region_budget_params(plan, wb.tree)[0])
    table, regions, methods = pb.table, pb.regions, pb.methods
rb = costing.region_budget(table, regions, methods, wb.tree, region, names=archive.load_table(con, "terminals", region_ids=wb.tree.subtree(region)).set_index("terminal_id")["name"].to_dict())"""),
        code("""\
display(report.heading(wb.title, 1))
display(report.key_figures(costing.key_figures(rb.summary)))
display(report.note(costing.dual_reading(rb.summary, wb.params.budget.expense_ratio_threshold)))"""),
        md("## 使用的假设 Assumptions used"),
        code("""report.show_table(assumptions_table(wb, sections=("year", "budget")), labels=report.LABELS, max_rows=60)"""),
        md("## 1. 方法比较 The budgeting methods side by side\n\n"
           "Every method that applies to a category, for the same region and target; the plan's choice in the first column."),
        code("""report.show_table(rb.methods.replace({"category": report.CATEGORY_NAMES, "chosen": report.LABELS}), caption="各方法预算额 Budget by method", labels=report.LABELS, formats=report.FORMATS)"""),
        md("## 2. 选定的预算 The chosen budget"),
        code("""\
display(report.show_table(rb.by_category.drop(columns=["category"]), caption="按费用类别 By category", labels=report.LABELS, formats=report.FORMATS))
display(report.show_table(rb.by_item.replace({"category": report.CATEGORY_NAMES, "method": report.LABELS}), caption="按费用项目 By item", labels=report.LABELS, formats=report.FORMATS, max_rows=40))
display(report.note(f"总额不超过上限（目标销售额的 {wb.params.budget.cap_ratio:.0%}）；年内单项可在 ±{wb.params.budget.tolerance:.0%} 内调整而总额不变（budget.check_tolerance 检查）。" if wb.params.budget.cap_ratio else f"年内单项可在 ±{wb.params.budget.tolerance:.0%} 内调整而总额不变（budget.check_tolerance 检查）。"))"""),
        md("## 3. 月度分解 Phasing\n\n固定费用（人力、办公）按月平均，其他费用随目标的季节曲线；各月合计恰等于全年。"),
        code("""\
display(plots.budget_months(rb.months, title="月度费用预算 Budget by month", names=report.CATEGORY_NAMES))
display(report.show_table(rb.months, caption="月度费用 Budget by month and category", labels={**report.LABELS, **report.CATEGORY_NAMES}, formats=report.FORMATS))"""),
        md("## 4. 本量利 Cost-volume-profit\n\nBEP = FC / (P − VC): fixed costs are the fixed categories; VC is the product cost plus the variable expenses per unit."),
        code("""\
if costing.has_cvp(rb):
    display(report.show_table(costing.cvp_view(rb.summary), caption="本量利 CVP at the target", labels=report.LABELS, formats=report.FORMATS))
    display(report.show_table(costing.sensitivity_view(rb, fixed_categories=wb.params.budget.fixed_categories), caption="敏感性：价格 −5%、销量 −10%（变动费用随销售额变动）Sensitivity", labels=report.LABELS, formats=report.FORMATS))
else:
    display(report.note(costing.dual_reading(rb.summary, wb.params.budget.expense_ratio_threshold)))"""),
        md("## 5. 双重检查与下级 The dual check, and the children side by side"),
        code("""\
if rb.children.empty:
    display(report.note(costing.dual_reading(rb.summary, wb.params.budget.expense_ratio_threshold)))
else:
    display(report.show_table(rb.children.replace({"flag": costing.FLAG_NAMES}), caption="下级预算与双重检查（本级 = 下级之和 + 本级自有费用）Children", labels=report.LABELS, formats=report.FORMATS))
    display(report.note(costing.children_reading(rb)))"""),
        md("## 6. 终端渠道费用 Channel fees, terminal by terminal"),
        code("""\
if rb.terminals.empty:
    display(report.note("终端渠道费用在县级逐终端编制；见各县报告和预算工作簿 — built terminal by terminal at county level; see the county reports and the budget workbook."))
else:
    display(report.show_table(rb.terminals, caption=f"A/B 终端渠道费用（{len(rb.terminals)} 家）Channel fees per terminal", labels=report.LABELS, formats=report.FORMATS, max_rows=40))"""),
        md("## 7. 过去的费用有没有回报 Did past spend pay?\n\n"
           "The answer to \"raise the expense ratio\": what each category cost, what each activity kind returned, and the spend that did not pay."),
        code("""\
data = review.load_region_data(wb.archive, wb.tree, region, years=wb.history)
rv = review.review_region(data, wb.tree)
roi = budget.spend_roi(data.expenses, rv.activity_lift, monthly=rv.monthly)
display(report.show_table(roi["by_category"].replace({"category": report.CATEGORY_NAMES}), caption="费用率（按年、类别）Expense ratio by category", labels=report.LABELS, formats=report.FORMATS, max_rows=40))
display(report.show_table(roi["by_kind"], caption="活动回报（按类型）Return by activity kind", labels=report.LABELS, formats=report.FORMATS))
display(report.show_table(roi["did_not_pay"], caption="没有回报的活动 Spend that did not pay", labels=report.LABELS, formats=report.FORMATS, max_rows=15))"""),
        code("""\
if interactive:
    from planlib import widgets
    display(widgets.budget_panel(wb, rb))""", "remove_cell"),
        code("""\
con.close()
report.mark_complete(run_dir, region, "30_build_budget")""", "remove_cell"),
    ]


def write(name, cells):
    for i, cell in enumerate(cells):
        cell.id = f"{name[:2]}-{i:02d}"  # stable ids: rebuilding gives a clean diff
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, HERE / f"{name}.ipynb")


if __name__ == "__main__":
    write("10_review_archive", review_archive())
    write("20_split_targets", split_targets())
    write("30_build_budget", build_budget())
