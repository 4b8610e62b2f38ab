# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 费用预算与利润检查：目标要花多少钱、能不能赚钱？
#
# **The question for leadership:** what does this region's target cost, by category, item, month and terminal — and at that cost, is the profit target still reachable?

# %% tags=["parameters"]
region = "HQ"                      # region id from the archive's regions table
scenario = "base"                  # params/scenarios/<scenario>.yaml, or "base"
params_file = "../params/demo.yaml"  # the batch passes the run's params.resolved.yaml
run_dir = None                     # the batch passes the output folder; None writes nothing
interactive = True                 # the batch passes False: no widgets

# %%
from IPython.display import display
from planlib import archive, budget, labels, review, targets
from planlib.present import plots, tables
from planlib.present.workbook import assumptions_table, open_workbook
from planlib.run import folder

wb = open_workbook(region, scenario, params_file, run_dir, interactive)
plots.set_style()
con = archive.connect(wb.archive)
if run_dir:
    table, regions, methods = folder.load_budget(run_dir)
else:  # JupyterLab: the whole plan's budget, as the batch computes it
    plan = wb.plan_params()
    pb = budget.plan_budget(plan, wb.tree, con, targets.plan_targets(plan, wb.tree, con).table, region_params=budget.region_budget_params(plan, wb.tree)[0])
    table, regions, methods = pb.table, pb.regions, pb.methods
rb = budget.region_budget(table, regions, methods, wb.tree, region, names=archive.load_table(con, "terminals", region_ids=wb.tree.subtree(region)).set_index("terminal_id")["name"].to_dict())

# %%
display(tables.heading(wb.title, 1))
display(tables.key_figures(budget.key_figures(rb.summary)))
display(tables.note(budget.dual_reading(rb.summary, wb.params.budget.expense_ratio_threshold)))
# optional archive tables: what is missing, and what the budget could not do without it
missing = []
for optional, needed_by in (("expenses", "销售百分比法须在参数中设定费用率，利润目标不含去年费用率"), ("activities", "竞争对手参照法与投入产出法不可用")):
    try:
        rows = len(archive.load_table(con, optional, region_ids=wb.tree.subtree(region), years=(wb.params.year - 1, wb.params.year - 1)))
    except Exception:  # the table is not in the archive
        rows = 0
    if rows == 0:
        missing.append(f"档案中没有本区域去年的 {optional} 数据：{needed_by}")
if missing:
    display(tables.note("；".join(missing) + "。所选方法不可用的类别按其他方法编制（见方法比较）。"))
BUDGET_LABELS = {**labels.LABELS, "booked": "预算（上限后）booked", "spend": "每次活动投入", "first_return": "第一元回报",
                 "marginal_return": "边际回报", "stop": "停止原因", "curve": "曲线", "kind": "活动类型"}

# %% [markdown]
# ## 使用的假设 Assumptions used

# %%
tables.show_table(assumptions_table(wb, sections=("year", "budget")), labels=labels.LABELS, max_rows=60)

# %% [markdown]
# ## 1. 方法比较 The budgeting methods side by side
#
# Every method that applies to a category, for the same region and target; the plan's choice in the first column. **预算（上限后）** is what the budget books for the category: the chosen method's amount, scaled down where a region's total passed its cap, and at a parent its children's sum plus its own offices' items. Every table below, the sensitivity and the panel start from it. A method missing from a row does not apply there (benchmark needs the main competitor's spend in the archive; input_output the fitted response of the category's activity kinds).

# %%
display(tables.show_table(rb.methods.replace({"category": labels.CATEGORY_NAMES, "chosen": labels.LABELS}), caption="各方法预算额 Budget by method", labels=BUDGET_LABELS, formats=labels.FORMATS))
display(tables.show_table(rb.basis.replace({"category": labels.CATEGORY_NAMES, "method": labels.LABELS}), caption="每个金额的依据 How each amount was arrived at", labels=BUDGET_LABELS, formats=labels.FORMATS, max_rows=40))

# %% [markdown]
# ### 投入产出法 Input-output: spend while a yuan returns a yuan
#
# The response of one activity to its spend is fitted on the plan's own past activities (extra revenue against the baseline) and turned into contribution at last year's margin. Each kind is funded per activity up to the point where the next yuan brings back less than a yuan (the curve's slope meets the dashed break-even line), or up to the limit the curve can be trusted for; a region runs last year's number of activities of each kind.

# %%
resp = budget.plan_response(wb.plan_params(), wb.tree, con)
if resp["detail"].empty:
    display(tables.note("没有可测量的历史活动，投入产出法不可用 — no past activities could be measured: input_output is unavailable."))
else:
    io_kinds = resp["curves"]["kind"].isin(["media", "promotion", "tasting"])
    io_names = {"media": "媒体活动", "promotion": "促销活动", "tasting": "品鉴活动"}
    display(plots.response_points(resp["curves"][io_kinds], resp["detail"], margin_rate=resp["margin_rate"], title=f"每次活动的毛利回报（毛利率 {resp['margin_rate']:.1%}）与选定投入", names=io_names, limits=resp["limits"]))
    display(tables.show_table(resp["detail"][resp["detail"]["kind"].isin(io_names)].replace({"kind": io_names, "stop": {"marginal": "再投一元回报不足一元", "limit": "到可信上限", "does not pay": "不投：第一元回报不足一元"}}), caption="每类活动的选定投入 Spend per activity", labels=BUDGET_LABELS, formats={**labels.FORMATS, "first_return": "{:.2f}", "marginal_return": "{:.2f}", "return_per_cost": "{:.2f}", "spend": "{:,.0f}"}))

# %% [markdown]
# ## 2. 选定的预算 The chosen budget

# %%
display(tables.show_table(rb.by_category.drop(columns=["category"]), caption="按费用类别 By category", labels=labels.LABELS, formats=labels.FORMATS))
display(tables.show_table(rb.by_item.replace({"category": labels.CATEGORY_NAMES, "method": labels.LABELS}), caption="按费用项目 By item", labels=labels.LABELS, formats=labels.FORMATS, max_rows=40))
display(tables.note(f"总额不超过上限（目标销售额的 {wb.params.budget.cap_ratio:.0%}）；年内单项可在 ±{wb.params.budget.tolerance:.0%} 内调整而总额不变。" if wb.params.budget.cap_ratio else f"年内单项可在 ±{wb.params.budget.tolerance:.0%} 内调整而总额不变。"))

# %% [markdown]
# ## 3. 月度分解 Phasing
#
# 固定费用（人力、办公）按月平均，其他费用随目标的季节曲线；各月合计恰等于全年。

# %%
display(plots.budget_months(rb.months, title="月度费用预算 Budget by month", names=labels.CATEGORY_NAMES))
display(tables.show_table(rb.months, caption="月度费用 Budget by month and category", labels={**labels.LABELS, **labels.CATEGORY_NAMES}, formats=labels.FORMATS))

# %% [markdown]
# ## 4. 本量利 Cost-volume-profit
#
# BEP = FC / (P − VC): fixed costs are the fixed categories; VC is the product cost plus the variable expenses per unit.

# %%
if budget.has_cvp(rb):
    display(tables.show_table(budget.cvp_view(rb.summary), caption="本量利 CVP at the target", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.show_table(budget.sensitivity_view(rb, fixed_categories=wb.params.budget.fixed_categories), caption="敏感性：价格 −5%、销量 −10%（变动费用随销售额变动；基准行即页首的预算与利润）Sensitivity", labels=labels.LABELS, formats=labels.FORMATS))
else:
    display(tables.note(budget.dual_reading(rb.summary, wb.params.budget.expense_ratio_threshold)))

# %% [markdown]
# ## 5. 双重检查与下级 The dual check, and the children side by side

# %%
if rb.children.empty:
    display(tables.note(budget.dual_reading(rb.summary, wb.params.budget.expense_ratio_threshold)))
else:
    display(tables.show_table(rb.children.replace({"flag": budget.FLAG_NAMES}), caption="下级预算与双重检查（本级 = 下级之和 + 本级自有费用）Children", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.note(budget.children_reading(rb)))

# %% [markdown]
# ## 6. 终端渠道费用 Channel fees, terminal by terminal

# %%
if rb.terminals.empty:
    display(tables.note("终端渠道费用在县级逐终端编制；见各县报告和预算工作簿 — built terminal by terminal at county level; see the county reports and the budget workbook."))
else:
    display(tables.show_table(rb.terminals, caption=f"A/B 终端渠道费用（{len(rb.terminals)} 家）Channel fees per terminal", labels=labels.LABELS, formats=labels.FORMATS, max_rows=40))

# %% [markdown]
# ## 7. 过去的费用有没有回报 Did past spend pay?
#
# The answer to "raise the expense ratio": what each category cost, what each activity kind returned, and the spend that did not pay.

# %%
data = review.load_region_data(wb.archive, wb.tree, region, years=wb.history)
rv = review.review_region(data, wb.tree)
if data.expenses.empty and rv.activity_lift.empty:
    display(tables.note("档案中没有费用和活动记录，无法回看过去费用的回报 — no expenses or activities in the archive."))
else:
    roi = budget.spend_roi(data.expenses, rv.activity_lift, monthly=rv.monthly)
    display(tables.show_table(roi["by_category"].replace({"category": labels.CATEGORY_NAMES}), caption="费用率（按年、类别）Expense ratio by category", labels=labels.LABELS, formats=labels.FORMATS, max_rows=40))
    display(tables.show_table(roi["by_kind"], caption="活动回报（按类型）Return by activity kind", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.show_table(roi["did_not_pay"], caption="没有回报的活动 Spend that did not pay", labels=labels.LABELS, formats=labels.FORMATS, max_rows=15))

# %% tags=["remove_cell"]
if interactive:
    from planlib.present import widgets
    display(widgets.budget_panel(wb, rb))

# %% tags=["remove_cell"]
con.close()
folder.mark_complete(run_dir, region, "30_build_budget")
