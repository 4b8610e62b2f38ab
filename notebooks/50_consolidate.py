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

# %%

# %% [markdown]
# # 汇总审批：下级的提报与分配目标差多少、谁已批准、协调后合计多少、各下级要做哪些事？
#
# 上级按下级的提报逐级汇总、论证和审批（正金字塔）：本页把每个下级的提报放在分配给它的目标旁边，列出审批状态和差距、协调后的合计、审批记录，以及各下级的行动计划与费用。

# %% [markdown] tags=["remove_cell"]
# **本笔记本用哪个区域和参数：** 下面参数单元格里的 `region`（有下级的区域编码）和 `params_file`（计划文件，或一次运行的 `params.resolved.yaml`）。
# 更换区域：批量运行 `planlib run params/demo.yaml --regions P01C01 --notebooks 50_consolidate`（papermill 参数 `-p region P01C01`）；在 JupyterLab 中改 `region = "P01C01"` 后全部重新运行（读本计划最近一次有预算的运行和它旁边的审批工作目录）。

# %% tags=["parameters"]
region = "P01C01"                  # region id from the archive's regions table
scenario = "base"                  # params/scenarios/<scenario>.yaml, or "base"
params_file = "../params/demo.yaml"  # the batch passes the run's params.resolved.yaml
run_dir = None                     # the batch passes the output folder; None reads the plan's latest run
interactive = True                 # the batch passes False: no widgets

# %%
from IPython.display import display
from planlib import labels, workflow
from planlib.present import navigation, plots, summary, tables
from planlib.present.workbook import assumptions_table, open_workbook
from planlib.run import document, folder
from planlib.workflow import consolidate

wb = open_workbook(region, scenario, params_file, run_dir, interactive)
plots.set_style()
run = document.plan_run(run_dir, wb.params.plan_id)
targets = folder.load_targets(run)
_, budget_regions, _ = folder.load_budget(run)
wf = document.read_workflow(document.run_workflow_dir(run))
kids = consolidate.planned_children(wb.tree, region, wb.params.scope.levels)
names = {r: wb.tree.name(r) for r in kids}
L, F = labels.CONSOLIDATE_LABELS, labels.CONSOLIDATE_FORMATS
log = wf.log if wf is not None else []
status = workflow.region_status(log, wb.tree, kids)
annual = consolidate.children_against_split(targets, wf.targets if wf is not None else None, kids)
reconciled = consolidate.reconcile_children(annual, status)
actions = consolidate.actions_rollup(wf.actions if wf is not None else None, kids, names)
costs = consolidate.action_costs(actions, dict(zip(budget_regions["region_id"].astype(str), budget_regions["budget"])), kids)

# %% tags=["remove_cell"]
display(tables.note(navigation.region_choices(wb.tree, region, params_file)))

# %%
display(navigation.page_header(run_dir, region, wb.tree, "50_consolidate", plan_title=wb.params.title, data_note=f"数据：运行 {run.name} 的目标与预算，审批工作目录的提报与审计日志"))
display(tables.heading(f"{wb.title} · 汇总审批", 1))
if not kids:
    display(tables.note("本区域在方案的层级内没有下级区域，没有可汇总的提报。"))
elif wf is None:
    display(tables.note(f"本方案还没有审批工作目录（{document.run_workflow_dir(run).name}）：下级尚未提报，下表只列分配给 {len(kids)} 个下级的目标。"))
    display(tables.show_table(consolidate.named(consolidate.top_down_split(targets, kids), names), caption="分配给各下级的目标", labels=L, formats=F))
else:
    display(tables.key_figures(consolidate.consolidated_figures(reconciled, costs)))

# %% [markdown]
# ## 1. 各下级：状态与差距
#
# 差距 = 提报 − 分配目标（箱）；正数表示下级要的比分配的多。

# %%
if kids and wf is not None:
    display(tables.show_table(consolidate.children_status(status, annual, names).replace({"status": labels.WORKFLOW_STATUS_NAMES}), caption="各下级的提报、状态与差距（全年）", labels=L, formats=F))
    display(plots.grouped_bars(consolidate.named(annual, names).melt(id_vars="name", value_vars=["top_down", "submitted"], var_name="kind", value_name="volume").replace({"kind": {"top_down": "分配目标", "submitted": "提报"}}), x="name", y="volume", hue="kind", title="分配目标与下级提报（箱）", ylabel="销量（箱）"))
    display(tables.note("未提报的下级没有差距可算，协调时按分配目标计。"))
else:
    display(tables.note(consolidate.empty_section(kids)))

# %% [markdown]
# ## 2. 按月与按产品线

# %%
if kids and wf is not None:
    display(tables.show_table(consolidate.named(consolidate.children_against_split(targets, wf.targets, kids, by="month"), names).dropna(subset=["submitted"]), caption="已提报下级按月的提报与分配目标", labels=L, formats=F, max_rows=60))
    display(tables.show_table(consolidate.named(consolidate.children_against_split(targets, wf.targets, kids, by="product_line"), names), caption="各下级按产品线的提报与分配目标", labels=L, formats=F, max_rows=60))
else:
    display(tables.note(consolidate.empty_section(kids)))

# %% [markdown]
# ## 3. 协调后的合计
#
# 已批准（含已锁定）的下级按其提报计，其余按分配目标计；合计即本区域协调后的目标。

# %%
if kids and wf is not None:
    display(tables.show_table(consolidate.named(reconciled, names).replace({"status": labels.WORKFLOW_STATUS_NAMES, "basis": labels.RECONCILE_BASIS_NAMES}), caption="协调后的下级目标", labels=L, formats=F))
    display(tables.note("协调后合计与它比分配目标的差见页首的要点；审批通过的提报才改变合计。"))
else:
    display(tables.note(consolidate.empty_section(kids)))

# %% [markdown]
# ## 4. 审批记录

# %%
if kids and wf is not None:
    trail = consolidate.approval_trail(log, [region, *kids])
    display(tables.show_table(trail.replace({"action": labels.WORKFLOW_ACTION_NAMES}), caption="审批记录（审计日志）", labels=L, formats=F, max_rows=60) if len(trail) else tables.note("审计日志中还没有本区域及其下级的记录。"))
else:
    display(tables.note(consolidate.empty_section(kids)))

# %% [markdown]
# ## 5. 行动计划汇总
#
# 各下级提报的行动计划：做什么、谁负责、何时完成、花多少钱；费用对照各下级的费用预算。

# %%
if kids and wf is not None:
    display(tables.show_table(actions, caption="各下级的行动计划（按完成日期）", labels=L, formats=F, max_rows=60) if len(actions) else tables.note("下级尚未提报行动计划。"))
    display(tables.show_table(consolidate.named(costs, names), caption="行动费用与费用预算", labels=L, formats=F))
else:
    display(tables.note(consolidate.empty_section(kids)))

# %% [markdown]
# ## 使用的假设

# %%
display(tables.show_table(summary.assumptions_in_words(assumptions_table(wb, sections=("year", "scope", "split"))), labels={"key": "假设", "value": "取值"}, max_rows=40))
display(tables.note("协调规则：已批准（含已锁定）的下级按其提报计，其余按分配目标计；下级的提报以各自最后一次被接受的提交为准。"))

# %% tags=["remove_cell"]
folder.mark_complete(run_dir, region, "50_consolidate")
