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
# **The question for leadership:** what sales *and profit* target can this region reach with a stretch, and how does it split — exactly — by month, child area, product line, channel and named terminal?

# %% tags=["parameters"]
region = "HQ"                      # region id from the archive's regions table
scenario = "base"                  # params/scenarios/<scenario>.yaml, or "base"
params_file = "../params/demo.yaml"  # the batch passes the run's params.resolved.yaml
run_dir = None                     # the batch passes the output folder; None writes nothing
interactive = True                 # the batch passes False: no widgets

# %%
from IPython.display import display
from planlib import archive, labels, targets
from planlib.present import plots, tables
from planlib.present.workbook import assumptions_table, open_workbook
from planlib.run import folder

wb = open_workbook(region, scenario, params_file, run_dir, interactive)
plots.set_style()
con = archive.connect(wb.archive)
plan = wb.plan_params()
table = folder.load_targets(run_dir) if run_dir else targets.plan_targets(plan, wb.tree, con).table
choice = targets.split_choice(plan, wb.tree, con)  # the share method the plan split by (auto: by back-test)
season = targets.plan_month_shares(targets.region_economics(con, wb.tree, plan.scope.root, plan.year).monthly, plan.year, plan.split.seasonality)  # the plan's month profile
econ = targets.region_economics(con, wb.tree, region, wb.params.year)
potential = targets.region_potential(con, wb.tree, region, wb.params.year, share=wb.params.split.potential_share)
baselines = targets.children_baselines(con, wb.tree, region, wb.params.year, table=table)
view = targets.region_view(table, wb.tree, region, terminals=archive.load_table(con, "terminals", region_ids=wb.tree.subtree(region)), potential=potential, baselines=baselines)

# %%
display(tables.heading(wb.title, 1))
kinds = targets.region_kinds(econ, table, plan_year=wb.params.year, budget=folder.region_expenses(run_dir, region),
                             profit_target=folder.region_profit_target(run_dir, region))
display(tables.key_figures(targets.key_figures(kinds, wb.params.year)))

# %% [markdown]
# ## 使用的假设 Assumptions used

# %%
tables.show_table(assumptions_table(wb, sections=("year", "scope", "targets", "split")), labels=labels.LABELS)

# %% [markdown]
# ## 1. 目标与依据 Targets and their basis
#
# Sales and profit together: the volume target priced with the region's own price, unit cost and last year's expense ratio gives the profit target; beside it, the same target with the run's expense budget for the region — the profit the budgeted plan makes (the budget report's dual check). The flat "+20% for pressure" habit is shown too, not used.

# %%
display(tables.show_table(kinds.replace({"kind": labels.KIND_NAMES}), caption="目标种类 Targets by kind", labels=labels.LABELS, formats=labels.FORMATS))
display(tables.note(targets.kinds_reading(kinds)))

# %% [markdown]
# ### 1a. 基线与历年增长 The baseline beside past growth, the market and the share

# %%
base = targets.region_baseline(econ, wb.params.year)
history = targets.baseline_history(econ, base, wb.params.year, target=float(view.months["target_volume"].sum()))
display(tables.show_table(history, caption="历年销量、市场与份额 Past years, the baseline and the target", labels=labels.LABELS, formats=labels.FORMATS))
display(tables.note(targets.baseline_reading(base, history, target=float(view.months["target_volume"].sum()))))

# %% [markdown]
# ## 2. 月度分解 Months

# %%
if view.months.empty:
    display(tables.note("该区域不在计划范围内 — this region has no targets in the plan's scope."))
else:
    display(plots.target_months(view.months, title="月度目标与去年 Monthly target against last year"))
    display(tables.show_table(view.months, caption="月度目标 Monthly targets", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.show_table(view.quarters, caption="季度目标 Quarterly targets", labels=labels.LABELS, formats=labels.FORMATS))
    if not season.backtest.empty:
        display(tables.show_table(season.backtest, caption="季节曲线回测（去年各月）Month profiles back-tested on last year", labels=labels.LABELS, formats={"error": "{:.1%}"}))
    display(tables.note(season.reading))

# %% [markdown]
# ## 3. 下级分解 Children
#
# Which method produced the children's targets: the share method (``split.method``; with ``auto`` the one that best split last year's actual totals from the years before, in a back-test on the company's own history) and, with ``split.reconcile`` set, the reconciliation with the children's own proposals — then the reconciled numbers are the targets.

# %%
if not choice.backtest.empty:
    display(tables.show_table(choice.backtest, caption="份额方法回测（去年）Share methods back-tested on last year: weighted MAPE over the children", labels=labels.LABELS, formats={"wmape": "{:.1%}", "children": "{:,}", "parents": "{:,}"}))
display(tables.note(choice.reading))
display(tables.note(targets.target_source(plan, choice)))
if potential.empty:
    display(tables.note("档案中没有去年的品类市场数据 (no market records)：潜力上限 (split.cap) 与市场份额目标不可用，其余照常计算。"))
if view.children.empty:
    display(tables.note("没有下级计划单位 — no planned children below this region."))
else:
    display(plots.children_targets(view.children.rename(columns={"target_volume": "target", "last_year_volume": "last_year"}), title="下级目标、去年与潜力 Children: target, last year, potential"))
    display(tables.show_table(view.children, caption="下级目标、隐含增长、自身趋势与潜力 Children: target, implied growth, own trend and potential", labels={**labels.LABELS, "trend_growth": "自身趋势增长", "shrinks_against_trend": "趋势向上却低于去年"}, formats={**labels.FORMATS, "trend_growth": "{:+.1%}"}))
    display(tables.note(targets.fairness_reading(view.children)))

# %% [markdown]
# ## 3a. 上下结合 Top-down against the children's own proposals
#
# 分配方式 (top-down) beside 上行方式 (bottom-up): each child's own proposal and the gap. With ``split.reconcile`` set the reconciled column is the plan's target (the same numbers as the table above); without it the top-down targets are the plan and the proposals are shown for comparison.

# %%
if view.children.empty:
    display(tables.note("没有下级计划单位 — no planned children to compare with."))
elif plan.split.reconcile is not None:
    gap = targets.reconciled_children(con, wb.tree, region, plan.year, target=int(view.children["target_volume"].sum()), split=plan.split, method=choice.method, stretch=plan.targets.stretch, unit=plan.targets.unit, potential=None if potential.empty else potential, weights=dict(plan.split.weights), children=list(view.children["region_id"]))
    display(tables.show_table(gap, caption=f"上下结合（协调方式：{plan.split.reconcile}；协调后即目标）Reconciled: the plan's targets", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.note(targets.gap_reading(gap, "下级自身趋势预测 × (1 + 冲刺)" if plan.split.proposals is None else f"提案文件 {plan.split.proposals.name}")))
else:
    proposals, source = targets.children_proposals(con, wb.tree, region, wb.params.year, stretch=wb.stretches(wb.tree.children(region)), unit=wb.params.targets.unit, path=wb.params.split.proposals, baselines=baselines)
    gap = targets.bottom_up_gap(view.children, proposals, method="top_down", unit=wb.params.targets.unit)
    display(tables.show_table(gap, caption="上下差距（目标为分配数，提案仅作对照）Gap to bottom-up; the targets are top-down", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.note(targets.gap_reading(gap, source)))

# %% tags=["remove_cell"]
if interactive:
    from planlib.present import widgets
    inputs = targets.split_inputs(con, wb.tree, region, wb.params.year, total=int(view.months["target_volume"].sum()), stretch=wb.params.targets.stretch, potential_share=wb.params.split.potential_share, history_years=wb.params.split.history_years)
    display(widgets.split_panel(wb, inputs))

# %% [markdown]
# ## 4. 结构 Product lines, channels, terminal classes

# %%
for dim, frame in view.breakdowns.items():
    display(tables.show_table(frame, caption=f"按{labels.LABELS.get(dim, dim)}分解 By {dim}", labels=labels.LABELS, formats=labels.FORMATS))

# %% [markdown]
# ## 5. 终端 Named terminals

# %%
if view.terminals.empty:
    display(tables.note("终端目标在县级分解 — terminal targets are split at county level; see the county reports and the Excel workbook."))
else:
    display(tables.show_table(view.terminals, caption="A/B 类终端逐月目标（C/D 类按乡镇合并）Monthly targets by terminal", labels=labels.LABELS, formats=labels.FORMATS, max_rows=60))

# %% [markdown]
# ## 6. 阶段目标 Staged distribution goals

# %%
tables.show_table(targets.milestones(view.key_terminals, [(m.date, m.coverage) for m in wb.params.targets.milestones]) if wb.params.targets.milestones else view.months.iloc[0:0], caption=f"重点终端铺货阶段目标（共 {view.key_terminals} 家 A/B 终端）", labels=labels.LABELS, formats=labels.FORMATS)

# %% tags=["remove_cell"]
con.close()
folder.mark_complete(run_dir, region, "20_split_targets")
