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
# # 销售与利润目标：定多少、怎么分？
#
# **本页回答：** 本区域明年冲一冲能达到多少销量、销售额*和利润*目标？目标怎样分解——按月、下级区域、产品线、渠道和重点终端，各部分恰好加总？

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
from planlib import archive, labels, targets
from planlib.present import navigation, plots, summary, tables
from planlib.present.workbook import assumptions_table, open_workbook
from planlib.run import folder, step_targets, steps

wb = open_workbook(region, scenario, params_file, run_dir, interactive)
plots.set_style()
con = archive.connect(wb.archive)
plan = wb.plan_params()
if run_dir:  # the batch: what the plan-wide targets step wrote, this region's rows only
    step = step_targets.load_region_targets(run_dir, wb.tree, region)
else:  # JupyterLab: the whole plan computed as the batch does, its rows, choices and children's trends taken as the batch reads them
    step = step_targets.plan_region_targets(steps.plan_targets_with_schemes(plan, wb.tree, con)[0], plan, wb.tree, con, region)
table, choice, season = step.table, step.split, step.seasonality  # the share method the plan split by (auto: by back-test), its month profile
econ = targets.region_economics(con, wb.tree, region, wb.params.year, plan_root=wb.params.scope.root)
base = targets.region_baseline(econ, wb.params.year, cache=folder.plan_cache_dir(run_dir) if run_dir else None)  # the region's own trend forecast (the batch: as the targets step fitted it), once for the kinds and section 1a
potential = targets.region_potential(con, wb.tree, region, wb.params.year, share=wb.params.split.potential_share)
baselines = step.baselines if step.baselines is not None else targets.children_baselines(con, wb.tree, region, wb.params.year, table=table)
view = targets.region_view(table, wb.tree, region, terminals=archive.load_table(con, "terminals", region_ids=wb.tree.subtree(region)), potential=potential, baselines=baselines)
kinds = targets.region_kinds(econ, table, plan_year=wb.params.year, budget=folder.region_expenses(run_dir, region),
                             profit_target=folder.region_profit_target(run_dir, region), base=base)
dl = folder.region_dir(run_dir, region) if run_dir else None  # full tables beside the report

# %% tags=["remove_cell"]
display(tables.note(navigation.region_choices(wb.tree, region, params_file)))

# %%
display(navigation.page_header(run_dir, region, wb.tree, "20_split_targets", plan_title=wb.params.title, data_note=f"分析期 {wb.history[0]}–{wb.history[1]} 年"))
display(tables.heading(wb.title, 1))
display(summary.show_summary(summary.targets_summary(kinds, children=view.children, plan_year=wb.params.year)))
display(tables.key_figures(targets.key_figures(kinds, wb.params.year)))
display(tables.note("销量单位：箱；金额单位：元。"))

# %% [markdown]
# ## 1. 目标与依据
#
# 销售与利润一起看：销量目标按本区域自身的价格、单位成本和去年费用率折算，得到利润目标；旁边是按本次运行的费用预算计算的同一目标下的利润（即费用预算报告的双重检查）。"一律再加 20%" 的施压习惯也列出作对照，不采用。

# %%
display(tables.show_table(tables.format_rows(kinds, "kind", ["market_share"]).replace({"kind": labels.KIND_NAMES}), caption="目标种类（销量：箱；金额：元；市场份额：%）", labels=labels.LABELS, formats=labels.FORMATS))
display(tables.note(targets.kinds_reading(kinds)))

# %% [markdown]
# ### 1a. 趋势预测与历年增长、市场和份额

# %%
history = targets.baseline_history(econ, base, wb.params.year, target=float(view.months["target_volume"].sum()))
display(tables.show_table(history, caption="历年销量、市场与份额（箱）", labels=labels.LABELS, formats=labels.FORMATS))
display(tables.note(targets.baseline_reading(base, history, target=float(view.months["target_volume"].sum()))))

# %% [markdown]
# ## 2. 月度分解

# %%
if view.months.empty:
    display(tables.note("该区域不在计划范围内，没有目标。"))
else:
    display(plots.target_months(view.months, title="月度目标与去年（箱）"))
    display(tables.show_table(view.months, caption="月度目标（销量：箱；金额：元）", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.show_table(view.quarters, caption="季度目标（销量：箱；金额：元）", labels=labels.LABELS, formats=labels.FORMATS))
    if not season.backtest.empty:
        display(tables.show_table(season.backtest, caption="季节曲线回测（去年各月）", labels=labels.LABELS, formats={"error": "{:z.1%}"}))
    display(tables.note(season.reading))
    shift = targets.festival_shift_reading(view.months, wb.params.year, season.profile)  # the months around the festivals as they move
    if shift:
        display(tables.note(shift))

# %% [markdown]
# ## 3. 下级分解
#
# 下级目标由哪种方法得出：份额方法（参数 `split.method`；设为"自动选择"时，用公司自己的历史回测，选此前各年份额分解去年实际总量最准的方法），以及设定了上下结合（`split.reconcile`）时与下级自身提案的协调——此时协调后的数字就是目标。

# %%
leaf = view.children.empty and wb.tree.parent(region) is not None  # its own target is its parent's split: the back-test is on the parent's page
if not choice.backtest.empty and not leaf:
    display(tables.show_table(choice.backtest, caption="份额方法回测（去年，下级的加权误差）", labels=labels.LABELS, formats={"wmape": "{:z.1%}", "children": "{:,}", "parents": "{:,}"}))
if not leaf:
    display(tables.note(choice.reading))
display(tables.note(targets.target_source(plan, choice, parent=wb.tree.name(wb.tree.parent(region)) if leaf else None)))
if potential.empty:
    display(tables.note("档案中没有去年的品类市场数据：潜力上限与市场份额目标不可用，其余照常计算。"))
if view.children.empty and not leaf:
    display(tables.note("没有下级计划单位。"))
elif not leaf:
    display(plots.children_targets(view.children.rename(columns={"target_volume": "target", "last_year_volume": "last_year"}), title="下级目标、去年与潜力（箱）"))
    display(tables.show_table(view.children, caption="下级目标（箱）、隐含增长、自身趋势与潜力", labels={**labels.LABELS, "trend_growth": "自身趋势增长", "shrinks_against_trend": "趋势向上却低于去年"}, formats={**labels.FORMATS, "trend_growth": "{:+z.1%}"}))
    display(tables.note(targets.fairness_reading(view.children, parent_last_year=view.months["last_year_volume"].sum())))

# %% [markdown]
# ## 3a. 上下结合：分配数与下级自身提案
#
# 分配方式（自上而下）旁边是上行方式（自下而上）：每个下级自己的提案和差距。设定了上下结合时，"协调后"一列就是方案的目标（与上表相同）；未设定时，分配数就是目标，提案仅作对照。

# %%
if view.children.empty:
    display(tables.note("没有下级计划单位可以对照。"))
elif plan.split.reconcile is not None:
    gap = targets.reconciled_children(con, wb.tree, region, plan.year, target=int(view.children["target_volume"].sum()), split=plan.split, method=choice.method, stretch=plan.targets.stretch, unit=plan.targets.unit, potential=None if potential.empty else potential, weights=dict(plan.split.weights), children=list(view.children["region_id"]), baselines=step.baselines)
    display(tables.show_table(gap, caption=f"上下结合（协调方式：{labels.CODE_NAMES.get(plan.split.reconcile, plan.split.reconcile)}；协调后即目标；箱）", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.note(targets.gap_reading(gap, "下级自身趋势预测 × (1 + 冲刺)" if plan.split.proposals is None else f"提案文件 {plan.split.proposals.name}")))
else:
    proposals, source = targets.children_proposals(con, wb.tree, region, wb.params.year, stretch=wb.stretches(wb.tree.children(region)), unit=wb.params.targets.unit, path=wb.params.split.proposals, baselines=baselines)
    gap = targets.bottom_up_gap(view.children, proposals, method="top_down", unit=wb.params.targets.unit)
    display(tables.show_table(gap, caption="上下差距（目标为分配数，提案仅作对照；箱）", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.note(targets.gap_reading(gap, source)))

# %% [markdown]
# ## 4. 结构：产品线、渠道、终端等级

# %%
names = {"distributor_id": archive.load_table(con, "distributors", region_ids=wb.tree.subtree(region)).set_index("distributor_id")["name"], "sku": archive.load_table(con, "products").set_index("sku")["name"]}
for dim, frame in view.breakdowns.items():
    frame = frame.assign(name=frame[dim].map(names[dim]))[[dim, "name", *frame.columns.drop(dim)]] if dim in names else frame  # codes with their names
    display(tables.show_table(frame, caption=f"按{labels.LABELS.get(dim, dim)}分解（销量：箱；金额：元）", labels=labels.LABELS, formats=labels.FORMATS))
launched = targets.launch_reading(con, view.breakdowns.get("sku"), wb.params.year, names["sku"], cache=folder.plan_cache_dir(run_dir) if run_dir else None)  # SKUs first sold last year
if launched:
    display(tables.note(launched))

# %% [markdown]
# ## 5. 重点终端

# %%
if view.terminals.empty:
    display(tables.note("终端目标在县级分解：见各县报告和方案工作簿。"))
else:
    display(tables.show_table(view.terminals, caption="A/B 类终端逐月目标（C/D 类按乡镇合并；箱）", labels=labels.LABELS, formats=labels.FORMATS, max_rows=60, download_dir=dl, download_name="20_split_targets-terminals"))

# %% [markdown]
# ## 6. 阶段目标：重点终端铺货

# %%
tables.show_table(targets.milestones(view.key_terminals, [(m.date, m.coverage) for m in wb.params.targets.milestones]) if wb.params.targets.milestones else view.months.iloc[0:0], caption=f"重点终端铺货阶段目标（共 {view.key_terminals} 家 A/B 终端）", labels=labels.LABELS, formats=labels.FORMATS)

# %% [markdown]
# ## 使用的假设

# %%
tables.show_table(summary.assumptions_in_words(assumptions_table(wb, sections=("year", "scope", "targets", "split"))), labels={"key": "假设", "value": "取值"})

# %% [markdown] tags=["remove_cell"]
# ## 调整与推演（仅 JupyterLab）
#
# 改冲刺、方法、下限、上限或锁定某个下级，面板按同一方法重新精确分解，并显示合并后的参数文件全文和差异；勾选"已核对"后才写入。其"自身趋势"与上面第 3 节的 Holt-Winters 趋势相同。

# %% tags=["remove_cell"]
if interactive:
    from planlib.present import widgets
    inputs = targets.split_inputs(con, wb.tree, region, wb.params.year, total=int(view.months["target_volume"].sum()), stretch=wb.params.targets.stretch, potential_share=wb.params.split.potential_share, history_years=wb.params.split.history_years, potential=potential)
    display(widgets.split_panel(wb, inputs, trend=None if view.children.empty else view.children.set_index("region_id")["trend_growth"]))

# %% tags=["remove_cell"]
con.close()
folder.mark_complete(run_dir, region, "20_split_targets")
