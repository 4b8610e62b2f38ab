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
# # 促销方案：本区域运行哪些促销，花多少钱、能带来多少销售？
#
# **本页回答：** 本区域（含下级）运行的每个促销方案规则是什么、预计多少终端参加、花多少钱（金额变动 ±10% 时的范围）、按往期同类活动预计带来多少销售额，以及要多少销售额才能收回成本。

# %% tags=["parameters"]
region = "HQ"                      # region id from the archive's regions table
scenario = "base"                  # params/scenarios/<scenario>.yaml, or "base"
params_file = "../params/demo.yaml"  # the batch passes the run's params.resolved.yaml
run_dir = None                     # the batch passes the output folder; None writes nothing
interactive = True                 # the batch passes False: no widgets

# %%
import pandas as pd
from IPython.display import display
from planlib import archive, budget, labels
from planlib.archive.queries.promotions import promotion_units
from planlib.present import navigation, plots, promotion_plots, tables
from planlib.present.workbook import open_workbook
from planlib.promotions.plan import load_plan_schemes, region_promotions, region_scheme_view, rules_table, scheme_reading, scheme_regions, tier_shapes
from planlib.run import folder, steps

wb = open_workbook(region, scenario, params_file, run_dir, interactive)
plots.set_style()
con = archive.connect(wb.archive)
plan = wb.plan_params()
below = set(wb.tree.subtree(region))
if run_dir and folder.results_path(run_dir, steps.RESULTS_PROMOTIONS).exists():
    costs = pd.read_parquet(folder.results_path(run_dir, steps.RESULTS_PROMOTIONS))
else:  # JupyterLab, or a plan without schemes: costed as the batch costs them
    ps = steps.plan_promotions(plan, wb.tree, con)
    costs = ps.costs if ps is not None else pd.DataFrame(columns=["scheme", "region_id"])
mine = costs[costs["region_id"].isin(below)]
stems = sorted(set(mine["scheme"]))
schemes = load_plan_schemes(plan, stems)
runs_in = scheme_regions(plan.promotions, wb.tree, plan.scope.root, region_maps=region_promotions(plan, wb.tree)[0])
units = promotion_units(con, int(plan.year), by="terminal", region_ids=sorted(below))
response = budget.plan_response(plan, wb.tree, con)

# %%
display(navigation.page_header(run_dir, region, wb.tree, "35_promotions", plan_title=wb.params.title, data_note=f"分析期 {wb.history[0]}–{wb.history[1]} 年"))
display(tables.heading(wb.title, 1))
view = region_scheme_view(mine, schemes, units, runs_in, wb.tree, response["curves"], margin_rate=response["margin_rate"])
display(tables.note(scheme_reading(view) if len(view) else "本区域没有运行促销方案。"))

# %% [markdown]
# ## 1. 方案规则
#
# 每个方案的规则（参加对象、日期、门槛与奖励、封顶与奖池）按规则表原文转述。

# %%
display(tables.show_table(rules_table(schemes), caption="方案规则", labels=labels.PROMOTION_LABELS))

# %% [markdown]
# ## 2. 参加、费用与敏感性
#
# 按去年本区域终端的进货额和订货笔数套用规则：符合条件的终端数、得奖终端数、参与率和费用；金额整体上下变动 10% 时费用的范围。

# %%
display(tables.show_table(view.drop(columns="scheme"), caption="各方案的参与与费用（元）", labels=labels.PROMOTION_LABELS, formats=labels.PROMOTION_FORMATS))

# %% [markdown]
# ## 3. 拉动与保本
#
# 预计拉动按往期同类活动拟合的回报曲线计算（没有可衡量的往期活动时按 0 计）；保本拉动 = 费用 / 毛利率，即要多卖这么多销售额才收回费用。

# %%
display(promotion_plots.promotion_lift(view, title="预计拉动与保本拉动（元）", names=labels.PROMOTION_LABELS))

# %% [markdown]
# ## 4. 会员等级的分布
#
# 分级方案（按金额或次数分档）画出各档人数；本区域没有分级方案时不画。

# %%
shapes = tier_shapes(schemes, units)
if len(shapes):
    display(promotion_plots.tier_shape(shapes, title="各档人数", names=labels.PROMOTION_LABELS))
else:
    display(tables.note("本区域运行的方案都不分档。"))

# %% [markdown]
# ## 5. 假设
#
# 费用按去年本区域终端的实际进货套用规则估算，去年的月份代表计划年的月份；奖池按全方案共享；预计拉动来自往期同类活动，费用超出区域上限时随预算按比例压缩（见费用预算页）。

# %% tags=["remove_cell"]
con.close()
folder.mark_complete(run_dir, region, "35_promotions")
