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
# # 执行跟踪：截至核算日，本区域的计划完成得怎么样、全年能落在哪里？
#
# **本页回答：** 对照已签署的方案，截至核算日本区域完成了多少——快于还是慢于序时进度？全年会落在哪里？阶段目标和费用预算守住了吗？谁在扛任务？

# %% [markdown] tags=["remove_cell"]
# **本笔记本用哪个区域和参数：** 下面参数单元格里的 `region`（区域编码）和 `params_file`（计划文件，或一次运行的 `params.resolved.yaml`）；`run_dir` 为空时读取最近一次跟踪运行。
# 更换区域：批量运行 `planlib run params/demo.yaml --as-of 2027-06-30 --regions P01C01`（papermill 参数 `-p region P01C01`）；在 JupyterLab 中改 `region = "P01C01"` 后全部重新运行。设置单元格下面列出可选的区域编码和名称。

# %% tags=["parameters"]
region = "HQ"                      # region id from the archive's regions table
scenario = "base"                  # params/scenarios/<scenario>.yaml, or "base"
params_file = "../params/demo.yaml"  # the batch passes the run's params.resolved.yaml
run_dir = None                     # the batch passes the tracking run's folder; None reads the latest tracking run
interactive = True                 # the batch passes False: no widgets

# %%
import pandas as pd
from IPython.display import display
from planlib import archive, labels, tracking
from planlib.present import navigation, plots, summary, tables
from planlib.present.workbook import open_workbook
from planlib.run import folder, track

wb = open_workbook(region, scenario, params_file, run_dir, interactive)
plots.set_style()
tr = track.load_tracking(run_dir or track.latest_tracking_run(wb.params.plan_id))
con = archive.connect(wb.archive)
terminal_names = archive.load_table(con, "terminals", region_ids=wb.tree.subtree(region)).set_index("terminal_id")["name"].to_dict()
con.close()
rt = tracking.region_tracking(tr.tables, wb.tree, region, tr.as_of, terminal_names=terminal_names)
L, F, C = labels.TRACKING_LABELS, labels.TRACKING_FORMATS, labels.TRACKING_CODES
vol = rt.summary.loc[rt.summary["measure"] == "volume"].iloc[0]
rev = rt.summary.loc[rt.summary["measure"] == "revenue"].iloc[0]
dl = folder.region_dir(run_dir, region) if run_dir else None  # full tables beside the report

# %% tags=["remove_cell"]
display(tables.note(navigation.region_choices(wb.tree, region, params_file)))

# %%
display(navigation.page_header(run_dir, region, wb.tree, "40_track_results", plan_title=wb.params.title, data_note=f"数据：实际销售截至 {tr.as_of:%Y-%m-%d}"))
display(tables.heading(f"{wb.title} · 截至 {tr.as_of:%Y年%m月%d日}（方案运行 {tr.plan_run}）", 1))
display(summary.show_summary(summary.tracking_summary(rt.summary)))
display(tables.key_figures([
    ("序时完成率（销量）", f"{vol['completion_to_date']:z.1%}" if pd.notna(vol["completion_to_date"]) else "—"),
    ("任务进度 / 序时进度", f"{vol['task_progress']:z.1%} / {vol['time_progress']:z.1%}"),
    ("实际销量（箱）", f"{vol['actual_to_date']:,.0f}"),
    ("实际销售额（元）", f"{rev['actual_to_date']:,.0f}"),
    ("预计全年销量（箱）", f"{vol['landing']:,.0f}"),
    ("预计全年比目标（箱）", tables.signed_words(float(vol["landing_gap"]))),
]))
display(tables.note(" ".join(rt.readings)))

# %% [markdown]
# ## 1. 按月：计划、实际与滚动调整后的目标
#
# 每月目标旁边是实际销量；按方案的滚动规则，已结束月份未完成的部分加到尚未结束的月份（红线），调整后各月合计仍恰好等于全年目标。

# %%
months = rt.monthly.loc[rt.monthly["measure"] == "volume"]
display(plots.tracking_months(months, title=f"{rt.name} 月度销量：目标、实际与调整后目标"))
display(tables.show_table(tracking.monthly_table(rt.monthly, as_of=tr.as_of, mode=vol["rollover"], unit=wb.params.targets.unit), caption="月度完成（销量：箱；销售额：元；应完成 = 计划 + 滚入的未完成部分）", labels=L, formats=F))

# %% [markdown]
# ## 2. 按产品线、渠道、终端等级：哪里超前，哪里落后
#
# 各产品线、渠道、终端等级截至目前的销量对照序时目标（全年目标按方案的月度曲线分摊）。随后是重点终端。

# %%
for part in ("product_line", "channel", "terminal_class"):
    frame = rt.breakdowns[part].replace({"key": {**labels.CHANNEL_NAMES}})
    display(tables.show_table(frame, caption=f"按{C[part]}（销量：箱）", labels=L, formats=F, max_rows=30, download_dir=dl, download_name=f"40_track_results-{part}"))
display(tables.show_table(rt.breakdowns["terminal"].sort_values("completion_to_date"), caption="重点终端：序时完成最差的在前（销量：箱）", labels=L, formats=F, max_rows=30, download_dir=dl, download_name="40_track_results-terminals"))
display(tables.note(f"重点终端 {len(rt.breakdowns['terminal']):,} 家，完整名单见上面的下载和方案工作簿的跟踪表。"))

# %% [markdown]
# ## 3. 下级区域对比

# %%
if len(rt.children):
    display(tables.show_table(rt.children[["name", "region_id", "year_target", "target_to_date", "actual_to_date", "completion_to_date", "time_progress", "task_progress", "status", "landing", "landing_gap"]].replace({"status": C}).sort_values("completion_to_date"), caption="下级区域（销量：箱）", labels=L, formats=F, max_rows=60, download_dir=dl, download_name="40_track_results-children"))
else:
    display(tables.note("本区域没有下级区域。"))

# %% [markdown]
# ## 4. 全年预测：按目前节奏全年落在哪里
#
# 全年预测 = 截至目前的实际 + 余下月份按方案自身的月度曲线、以目前的完成节奏推算；"余下每月须完成"是补上差距每月要卖的量。

# %%
display(tables.show_table(rt.summary[["measure", "year_target", "actual_to_date", "landing", "landing_gap", "months_remaining", "run_rate_needed", "revised_open_month"]].replace({"measure": C}), caption=f"全年预测（方法：{labels.CODE_NAMES.get(vol['landing_method'], vol['landing_method'])}；滚动方式：{labels.CODE_NAMES.get(vol['rollover'], vol['rollover'])}；销量：箱，销售额：元）", labels=L, formats=F))

# %% [markdown]
# ## 5. 阶段目标：重点终端覆盖

# %%
if len(rt.milestones):
    display(tables.show_table(rt.milestones[["stage", "date", "goal", "key_terminals", "covered", "coverage", "to_win", "status", "missed_names"]].replace({"status": C}), caption="阶段目标（重点 A/B 终端进货覆盖）", labels=L, formats=F))
else:
    display(tables.note("方案没有阶段目标，或本区域没有重点终端。"))

# %% [markdown]
# ## 6. 费用控制与实际的双重检查
#
# 截至目前的费用对照按月分摊的预算；总额守住时，超出方案容差的单项也会被标出。双重检查用实际数再问一次：销售达成了吗？利润达成了吗？

# %%
if len(rt.control):
    display(tables.show_table(rt.control.replace({"flag": C, "severity": C}).drop(columns=["region_id", "level"]), caption="费用合计（元）", labels=L, formats=F))
    items = tracking.items_worst_first(rt.control_items).replace({"category": labels.CATEGORY_NAMES, "flag": {**C, "item_over_tolerance": "超出容差"}})
    display(tables.show_table(items.drop(columns=["region_id", "level"]), caption="费用项目（元；超出容差的在前，其中没有预算的支出最先，然后按偏差率）", labels=L, formats=F, max_rows=15, download_dir=dl, download_name="40_track_results-budget-items"))
    display(tables.show_table(rt.dual.replace({"verdict": C}).drop(columns=["region_id", "level"]), caption="实际数据的双重检查（元）", labels=L, formats=F))
else:
    display(tables.note("本区域没有费用预算。"))

# %% [markdown]
# ## 7. 核心终端周进度

# %%
if len(rt.weekly):
    display(tables.show_table(rt.weekly.loc[rt.weekly["week"] == rt.weekly["week"].max()].sort_values("completion").head(20), caption=f"核心终端最近一整周（{rt.weekly['week'].max():%m月%d日}起）完成最差的 20 家（销量：箱）", labels=L, formats=F, max_rows=20))
else:
    display(tables.note("没有核心终端的周数据。"))

# %% [markdown]
# ## 8. 考核得分：区域与人员
#
# 最近一个已结束月份，每项指标的得分及其计分规则；总分和在同级中的排名。业务员的销量与销售额按其负责的 A、B 类终端计（C、D 类终端的目标按乡镇合为一行下达，不落到人）。

# %%
if len(rt.kpi_board):
    board = rt.kpi_board.drop(columns=["entity_kind"]).replace({"level": labels.LEVEL_NAMES, "rule_set": {name: rs.label for name, rs in wb.params.tracking.kpi.all_rule_sets().items()}})  # rule sets by their labels
    display(tables.show_table(pd.concat([board.head(11), board.tail(10)]).drop_duplicates(), caption=f"{rt.kpi_board['month'].max()} 总分与排名（本区域与得分最高、最低的人员）", labels=L, formats=F, max_rows=30))
    worst = list(rt.kpi_board["entity_id"].tail(3)) + [region]
    display(tables.show_table(rt.kpi.loc[rt.kpi["entity_id"].isin(worst), ["entity_id", "name", "label", "points", "amount", "rule"]], caption="计分明细（本区域与得分最低的 3 人）", labels=L, formats=F, max_rows=60))
else:
    display(tables.note("档案中没有人员与考核数据。"))

# %% [markdown]
# ## 9. 促销方案：参与与费用对计划
#
# 计划按去年终端估算的参与和费用，对照按今年实际进货套用同一规则得出的参与和应付费用，以及该费用项目在方案月份的预算与实际支出。

# %%
promo = tr.tables.get("promotions", pd.DataFrame())
promo = promo[promo["region_id"] == region] if len(promo) else promo
if len(promo):
    display(tables.show_table(promo.drop(columns=["scheme", "region_id", "category"]), caption="促销方案跟踪（元）", labels=labels.PROMOTION_LABELS, formats=labels.PROMOTION_FORMATS))
else:
    display(tables.note("本区域没有运行促销方案。"))

# %% [markdown]
# ## 使用的假设

# %%
display(tables.show_table(tracking.tracking_assumptions(wb.params, as_of=tr.as_of, plan_run=tr.plan_run, landing_method=vol["landing_method"]), labels={"key": "假设", "value": "取值"}))

# %% tags=["remove_cell"]
folder.mark_complete(run_dir, region, "40_track_results")
