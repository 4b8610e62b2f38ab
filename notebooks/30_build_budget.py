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
# **本页回答：** 完成本区域的目标要花多少钱——按费用类别、项目、月份和终端？花了这些钱，利润目标还能不能达到？

# %% [markdown] tags=["remove_cell"]
# **本笔记本用哪个区域和参数：** 下面参数单元格里的 `region`（区域编码）和 `params_file`（计划文件，或一次运行的 `params.resolved.yaml`）。
# 更换区域：批量运行 `planlib run params/demo.yaml --regions P01C01`（papermill 参数 `-p region P01C01`）；在 JupyterLab 中改 `region = "P01C01"` 后全部重新运行。设置单元格下面列出可选的区域编码和名称。

# %% tags=["parameters"]
region = "HQ"                      # region id from the archive's regions table
scenario = "base"                  # params/scenarios/<scenario>.yaml, or "base"
params_file = "../params/demo.yaml"  # the batch passes the run's params.resolved.yaml
run_dir = None                     # the batch passes the output folder; None writes nothing
interactive = True                 # the batch passes False: no widgets

# %%
from IPython.display import display
from planlib import archive, budget, labels
from planlib.present import navigation, plots, profit_plots, summary, tables
from planlib.present.workbook import assumptions_table, open_workbook
from planlib.run import folder, steps

wb = open_workbook(region, scenario, params_file, run_dir, interactive)
plots.set_style()
con = archive.connect(wb.archive)
if run_dir:  # the batch: what the plan-wide budget step wrote, this region's rows only
    step = folder.load_region_budget(run_dir, wb.tree, region)
    table, regions, methods, resp = step.table, step.regions, step.methods, step.response
else:  # JupyterLab: the whole plan's budget, as the batch computes it
    plan = wb.plan_params()
    pb = steps.price_plan(plan, wb.tree, con, *steps.plan_targets_with_schemes(plan, wb.tree, con))[0]  # promotion schemes booked as in the batch
    table, regions, methods = pb.table, pb.regions, pb.methods
    resp = budget.plan_response(plan, wb.tree, con)  # the plan's response curves (section 2)
rb = budget.region_budget(table, regions, methods, wb.tree, region, names=archive.load_table(con, "terminals", region_ids=wb.tree.subtree(region), columns=["terminal_id", "name"]).set_index("terminal_id")["name"].to_dict())
roi = budget.region_spend_returns(con, wb.tree, region, years=wb.history)  # past spend and what it returned (None: no record)
media_note = summary.media_warning(None if roi is None else roi["by_kind"], float(rb.summary.get("budget_media", 0.0)) if len(rb.summary) else 0.0)
dl = folder.region_dir(run_dir, region) if run_dir else None  # full tables beside the report

# %% tags=["remove_cell"]
display(tables.note(navigation.region_choices(wb.tree, region, params_file)))

# %%
display(navigation.page_header(run_dir, region, wb.tree, "30_build_budget", plan_title=wb.params.title, data_note=f"分析期 {wb.history[0]}–{wb.history[1]} 年"))
display(tables.heading(wb.title, 1))
display(summary.show_summary(summary.budget_summary(rb.summary, threshold=wb.params.budget.expense_ratio_threshold, media_note=media_note)))
display(tables.key_figures(budget.key_figures(rb.summary)))
display(tables.note(budget.dual_reading(rb.summary, wb.params.budget.expense_ratio_threshold)))
gaps = budget.history_gaps(con, wb.tree, region, year=wb.params.year, root=wb.params.scope.root)  # what the budget could not do without some records
if gaps:
    display(tables.note(gaps))
BUDGET_LABELS = {**labels.LABELS, "kind": "活动类型"}

# %% [markdown]
# ## 1. 从销售额到利润；保本点
#
# 目标销售额减去产品成本和各类费用，就是目标下的利润；保本图中销售额线与总成本线的交点是保本销量：BEP = 固定费用 / (单价 − 单位变动成本)，单位变动成本含产品成本与随销量变动的费用。

# %%
if budget.has_cvp(rb):
    display(profit_plots.waterfall(summary.profit_bridge(rb.summary), title="从目标销售额到目标下利润（元）"))
    display(profit_plots.break_even(float(rb.summary["cvp_price"]), float(rb.summary["cvp_unit_variable_cost"]), float(rb.summary["cvp_fixed_cost"]), target_volume=float(rb.summary["target_volume"]), title="保本分析"))
else:
    display(tables.note(budget.dual_reading(rb.summary, wb.params.budget.expense_ratio_threshold)))

# %% [markdown]
# ## 2. 方法比较
#
# 同一区域、同一目标下，每种适用方法的预算额；第一列是方案选定的方法。**预算（上限后）** 是预算为该类别实际安排的金额：选定方法的金额，连同计入该类别的促销方案费用（表下说明），区域总额超过上限时按比例压缩，上级为下级之和加本级自有费用。下面各表、敏感性分析和调整面板都从它出发。某行缺少的方法在那里不适用（竞争对手参照法需要档案中主要竞品的费用；投入产出法需要该类别活动类型的拟合回报曲线）。

# %%
display(tables.show_table(tables.replace_codes(rb.methods, {"category": labels.CATEGORY_NAMES, "chosen": labels.LABELS}), caption="各方法预算额（元）", labels=BUDGET_LABELS, formats=labels.FORMATS))
if not rb.schemes.empty:
    display(tables.note(budget.booked_reading(rb)))
gap = budget.children_gap_reading(rb)  # a parent's booked amounts against its methods' sums
if gap:
    display(tables.note(gap))
display(tables.show_table(tables.replace_codes(rb.basis, {"category": labels.CATEGORY_NAMES, "method": labels.LABELS}), caption="每个金额的依据", labels=BUDGET_LABELS, formats=labels.FORMATS, max_rows=40, download_dir=dl, download_name="30_build_budget-basis"))

# %% [markdown]
# ### 投入产出法：投到再投一元收不回一元为止
#
# 单次活动的回报曲线用本方案自己的历史活动拟合（相对基线的新增销售额），按去年毛利率折成毛利。每类活动的单次投入加到"再投一元收回不到一元"为止（曲线斜率碰到虚线的保本线），或到曲线可信的上限；每个区域按去年各类活动的次数安排。

# %%
if resp["detail"].empty:
    display(tables.note("没有可衡量的历史活动，投入产出法不可用。"))
else:
    io_kinds = resp["curves"]["kind"].isin(["media", "promotion", "tasting"])
    io_names = {"media": "媒体活动", "promotion": "促销活动", "tasting": "品鉴活动"}
    display(plots.response_points(resp["curves"][io_kinds], resp["detail"], margin_rate=resp["margin_rate"], title=f"每次活动的毛利回报（毛利率 {resp['margin_rate']:z.1%}）与选定投入", names=io_names, limits=resp["limits"]))
    display(tables.show_table(tables.replace_codes(resp["detail"][resp["detail"]["kind"].isin(io_names)], {"kind": io_names, "stop": {"marginal": "再投一元回报不足一元", "limit": "到可信上限", "does not pay": "不投：第一元回报不足一元"}}), caption="每类活动的选定投入（元）", labels=BUDGET_LABELS, formats={**labels.FORMATS, "first_return": "{:.2f}", "marginal_return": "{:.2f}", "return_per_cost": "{:.2f}", "spend": "{:,.0f}"}))

# %% [markdown]
# ## 3. 选定的预算

# %%
display(tables.show_table(rb.by_category.drop(columns=["category"]), caption="按费用类别（元）", labels=labels.LABELS, formats=labels.FORMATS))
display(tables.show_table(tables.replace_codes(rb.by_item.drop(columns="item"), {"category": labels.CATEGORY_NAMES, "method": labels.LABELS}), caption="按费用项目（元）", labels={**labels.LABELS, "name": "项目"}, formats=labels.FORMATS, max_rows=40, download_dir=dl, download_name="30_build_budget-items"))
display(tables.note(f"总额不超过上限（目标销售额的 {wb.params.budget.cap_ratio:z.0%}）；年内单项可在 ±{wb.params.budget.tolerance:z.0%} 内调整而总额不变。" if wb.params.budget.cap_ratio else f"年内单项可在 ±{wb.params.budget.tolerance:z.0%} 内调整而总额不变。"))

# %% [markdown]
# ## 4. 月度分解
#
# 固定费用（人力、办公）按月平均；去年集中在某几个月支付的项目（年终返利、进场费、节日促销员）沿用去年的月份；其他费用随目标的季节曲线；各月合计恰等于全年。

# %%
display(plots.budget_months(rb.months, title="月度费用预算（元）", names=labels.CATEGORY_NAMES))
display(tables.show_table(rb.months, caption="月度费用（元）", labels={**labels.LABELS, **labels.CATEGORY_NAMES}, formats=labels.FORMATS))

# %% [markdown]
# ## 5. 本量利与敏感性
#
# 保本销量 BEP = FC / (P − VC)：固定费用 FC 是固定类别的费用；单位变动成本 VC 是单位产品成本加上每箱的变动费用。

# %%
if budget.has_cvp(rb):
    display(tables.show_table(budget.cvp_view(rb.summary), caption="目标销量下的本量利", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.show_table(budget.sensitivity_view(rb, fixed_categories=wb.params.budget.fixed_categories), caption="敏感性：价格 −5%、销量 −10%（变动费用随销售额变动；基准行即页首的预算与利润；元、箱）", labels=labels.LABELS, formats=labels.FORMATS))
else:
    display(tables.note(budget.dual_reading(rb.summary, wb.params.budget.expense_ratio_threshold)))

# %% [markdown]
# ## 6. 双重检查与下级对比

# %%
if rb.children.empty:
    display(tables.note(budget.dual_reading(rb.summary, wb.params.budget.expense_ratio_threshold)))
else:
    display(tables.show_table(tables.replace_codes(rb.children, {"flag": budget.FLAG_NAMES}), caption="下级预算与双重检查（本级 = 下级之和 + 本级自有费用；元）", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.note(budget.children_reading(rb)))

# %% [markdown]
# ## 7. 终端渠道费用

# %%
if rb.terminals.empty:
    display(tables.note("终端渠道费用在县级逐终端编制：见各县报告和方案工作簿。"))
else:
    display(tables.show_table(rb.terminals, caption=f"A/B 终端渠道费用（{len(rb.terminals):,} 家；元）", labels=labels.LABELS, formats=labels.FORMATS, max_rows=40, download_dir=dl, download_name="30_build_budget-terminals"))

# %% [markdown]
# ## 8. 过去的费用有没有回报
#
# 对"提高费用率"的回答：每类费用花了多少，每类活动回报多少，哪些钱没有回报。

# %%
if roi is None:
    display(tables.note("档案中没有费用和活动记录，无法回看过去费用的回报。"))
else:
    if media_note:
        display(tables.note(media_note))
    display(tables.show_table(tables.replace_codes(roi["by_category"], {"category": labels.CATEGORY_NAMES}), caption="费用率（按年、类别；元）", labels=labels.LABELS, formats=labels.FORMATS, max_rows=40, download_dir=dl, download_name="30_build_budget-expense-ratios"))
    display(tables.show_table(roi["by_kind"], caption="活动回报（按类型；元）", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.show_table(roi["did_not_pay"].assign(region_name=roi["did_not_pay"]["region_id"].map(wb.tree.name)), caption="没有回报的活动（元）", labels={**labels.LABELS, "region_name": "区域"}, formats=labels.FORMATS, max_rows=15, download_dir=dl, download_name="30_build_budget-did-not-pay"))

# %% [markdown]
# ## 使用的假设

# %%
tables.show_table(summary.assumptions_in_words(assumptions_table(wb, sections=("year", "budget"))), labels={"key": "假设", "value": "取值"}, max_rows=60)

# %% tags=["remove_cell"]
if interactive:
    from planlib.present import widgets
    display(widgets.budget_panel(wb, rb))

# %% tags=["remove_cell"]
con.close()
folder.mark_complete(run_dir, region, "30_build_budget")
