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
# # 市场环境分析：增量从哪里来？
#
# **本页回答：** 本区域的计划能否以自身的记录为依据？明年的增量从哪里来——哪些区域、渠道和终端，面对哪些竞品，要花多少钱？

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
from planlib import archive, budget, labels, review
from planlib.present import navigation, plots, summary, tables, widgets
from planlib.present.workbook import assumptions_table, open_workbook
from planlib.run import folder, step_findings

wb = open_workbook(region, scenario, params_file, run_dir, interactive)
plots.set_style()
findings = step_findings.load_region_findings(run_dir, wb.tree, region)  # the batch: this region's rows of the plan's one check
with archive.connect(wb.archive) as con:  # one connection for the region's facts (and their check)
    data = review.load_region_data(con, wb.tree, region, years=wb.history)
    if findings is None:  # JupyterLab, or a region the plan's check does not cover: the same findings, checked here
        findings = archive.check_archive(con, region_id=region, tree=wb.tree)
rv = review.review_region(data, wb.tree, capture_rate=wb.params.analysis.capture_rate, swot_lines=wb.params.swot.lines())
last = rv.years[-1] if rv.years else None
spend = budget.spend_roi(data.expenses, rv.activity_lift, monthly=rv.monthly) if not rv.activity_lift.empty else None
coverage = review.data_coverage(data, wb.tree)  # what the archive holds for the region, kind by kind
dl = folder.region_dir(run_dir, region) if run_dir else None  # full tables beside the report

# %% tags=["remove_cell"]
display(tables.note(navigation.region_choices(wb.tree, region, params_file)))

# %%
display(navigation.page_header(run_dir, region, wb.tree, "10_review_archive", plan_title=wb.params.title, data_note=review.period_note(wb.history, rv.years)))
display(tables.heading(wb.title, 1))
display(summary.show_summary(summary.review_summary(rv.yearly, cagr=rv.cagr, findings=archive.findings_to_resolve(findings), growth_points=tables.replace_codes(rv.growth_points, {"name": labels.CHANNEL_NAMES}), spend_by_kind=None if spend is None else spend["by_kind"], missing=review.missing_sources(coverage, review.PLAN_SOURCES))))
display(tables.key_figures(review.key_figures(rv)))
display(tables.note(f"层级 {labels.LEVEL_NAMES.get(wb.level, wb.level)} · 下级区域 {len(wb.tree.children(region))} 个 · 计划年度 {wb.params.year} · 情景 {labels.CODE_NAMES.get(wb.scenario, wb.scenario)} · 金额单位：元，销量单位：箱"))

# %% [markdown]
# ## 1. 先看数据质量
#
# 失真的数据是计划的致命伤：下面是档案中本区域有哪些记录、有哪些问题，在读后面任何数字之前先找出来。

# %%
shown = coverage if coverage["recorded_at"].notna().any() else coverage.drop(columns="recorded_at")  # the column only where a kind is kept above
display(tables.show_table(tables.replace_codes(shown, {"source": labels.COVERAGE_NAMES}), caption="本区域的档案记录（销售、容量与费用限于分析期；活动与事件含上级区域的）", labels=labels.COVERAGE_LABELS))
display(tables.note(review.coverage_reading(coverage, wb.history)))
display(tables.show_table(archive.summarise_findings(findings), caption="检查结果汇总", labels=labels.LABELS))
resolve = archive.findings_to_resolve(findings)
resolve = resolve.assign(region_name=resolve["region_id"].map(wb.tree.to_frame().set_index("region_id")["name"]), terminal_name=resolve["terminal_id"].map(data.terminals.set_index("terminal_id")["name"]))
display(tables.show_table(resolve, caption="需要处理的问题", labels={**labels.LABELS, "region_name": "区域", "terminal_name": "终端名称"}, max_rows=25, download_dir=dl, download_name="10_review_archive-findings"))
display(tables.note(archive.findings_reading(findings)))

# %% [markdown]
# ## 2. 销售回顾

# %%
if rv.has_history:
    display(tables.show_table(rv.yearly, caption="本品历年销售与毛利（销量：箱；金额：元）", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.show_table(rv.revenue_indices.reset_index(), caption="销售额定基与环比指数（金额：元）", labels={**labels.LABELS, "value": "销售额"}, formats=labels.FORMATS))
    display(tables.note(review.growth_reading(rv)))
else:
    display(tables.note("该区域在档案中没有销售记录，计划不能以自身历史为依据。"))

# %%
if rv.has_history:
    display(plots.monthly_lines(review.monthly_profile(rv.monthly), value="revenue", title="月度销售额（按年）", ylabel="销售额（元）"))
    display(tables.show_table(rv.quarterly, caption="季度销售（销量：箱；金额：元）", labels=labels.LABELS, formats=labels.FORMATS))

# %%
if not rv.core_weekly.empty:
    display(plots.weekly_lines(rv.core_weekly, title="A/B 类核心终端周销量"))
    display(tables.show_table(tables.replace_codes(rv.holiday_uplift, {"holiday": labels.HOLIDAY_NAMES}), caption="节日窗口销量与平日对比（箱）", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.note("节日提升 = 节日窗口周均销量 / 当年平日周均销量 − 1（核心终端周数据）。"))

# %%
if rv.has_history:
    display(plots.stacked_shares(rv.composition["product_line"], index="year", columns="product_line", value="share", title="产品线结构（销售额占比）"))
    display(plots.stacked_shares(rv.composition["channel"], index="year", columns="channel", value="share", title="渠道结构（含团购，销售额占比）"))
    display(tables.show_table(tables.replace_codes(rv.composition_shift, {"dimension": labels.LABELS}), caption="结构变化：首年与末年", labels={**labels.LABELS, "value": "项目"}, formats=labels.FORMATS))
    display(tables.show_table(rv.related_ratios, caption="相关比率（金额：元）", labels=labels.LABELS, formats=labels.FORMATS))

# %% [markdown]
# ## 3. 季节性：公历月份与春节对齐

# %%
if not rv.seasonal_festival.empty:
    display(plots.seasonal_compare(rv.seasonal_calendar, rv.seasonal_festival))
    display(tables.note("左：按公历月份，春节旺季在一月与二月之间移动；右：按春节对齐（农历），节前旺季每年落在同一位置。"))
elif not rv.seasonal_calendar.empty:
    display(tables.note("按春节对齐需要从一个春节档到下一个春节档的完整记录，本区域的记录不够；按公历月份的季节见上面的月度销售额图。"))
else:
    display(tables.note("本区域没有完整一年的月度销售，看不出季节性。"))

# %% [markdown]
# ## 4. 市场与竞争

# %%
if rv.share_by_child.empty:
    display(tables.note("下级区域没有品类容量数据（市场数据按县记录）。"))
else:
    display(plots.share_bars(rv.share_by_child.assign(group=rv.share_by_child["group"].map(rv.names)), title="各下级区域本品份额（占品类销量）"))
    display(tables.show_table(rv.share_by_line, caption="产品线份额（销量：箱）", labels=labels.LABELS, formats=labels.FORMATS))
if not rv.brands.empty:
    display(plots.grouped_bars(rv.brands.assign(brand=rv.brands["brand"].map(labels.brand_label)), x="year", y="volume", hue="brand", title="本品与竞品销量", ylabel="销量（箱）"))
    display(tables.show_table(rv.brands.assign(brand=rv.brands["brand"].map(labels.brand_label)), caption="品牌销量（箱）、份额与增长", labels=labels.LABELS, formats=labels.FORMATS))
display(tables.show_table(rv.competitor_activities[["brand", "kind", "start_date", "end_date", "cost", "description"]], caption="竞品促销与媒体（费用：元）", labels=labels.LABELS, max_rows=15, download_dir=dl, download_name="10_review_archive-competitor-activities"))

# %% [markdown]
# ## 5. 经销商

# %%
display(tables.show_table(rv.distributors, caption=f"{last} 年经销商本品与竞品销量（箱）" if last else "经销商本品与竞品销量（箱）", labels=labels.LABELS, formats=labels.FORMATS, max_rows=20, download_dir=dl, download_name="10_review_archive-distributors"))
display(tables.show_table(review.concentration_row(rv.distributor_concentration), caption="经销商集中度（按本品销量；HHI 0–10,000，越大越集中）", labels=labels.LABELS, formats=labels.FORMATS))
display(tables.note(review.distributor_reading(rv)))

# %% [markdown]
# ## 6. 终端

# %%
display(tables.show_table(rv.coverage, caption="近一季度终端覆盖率", labels=labels.LABELS, formats=labels.FORMATS))
mismatch = rv.terminal_classes[rv.terminal_classes["mismatch"]]
display(tables.show_table(mismatch, caption=f"按销售计算的 ABC 类与档案等级不一致的终端（{len(mismatch):,} 家）", labels=labels.LABELS, formats=labels.FORMATS, max_rows=20, download_dir=dl, download_name="10_review_archive-terminal-classes"))

# %% [markdown]
# ## 7. 增量点

# %%
points = tables.replace_codes(rv.growth_points.head(10), {"name": labels.CHANNEL_NAMES, "unit_id": labels.CHANNEL_NAMES})  # a channel's growth point by its name
display(tables.show_table(points.assign(kind=points["kind"].map(labels.UNIT_KINDS)), caption="前十个增量点（箱）", labels=labels.LABELS, formats=labels.FORMATS))
if not rv.growth_points.empty:
    display(plots.growth_points(points, title="可争取增量"))
    display(tables.note("可争取增量 = 空间（容量 − 本品销量）× 争取率 × 势头（1 + 本品增长 − 竞品增长，限于 0.5–1.5）。"))

# %% [markdown]
# ## 8. 因素替代：销量、结构、价格

# %%
if not rv.factor_effects.empty:
    display(plots.effects_bars(rv.factor_effects, title=f"{rv.years[-2]}→{last} 销售额变动分解"))
    display(tables.show_table(tables.replace_codes(rv.factor_effects, {"effect": labels.EFFECT_NAMES}), caption="销量、结构、价格效应（先数量后质量；元）", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.note("三个效应依次替代，合计恰等于销售额变动。"))
else:
    display(tables.note("销售额变动分解需要相邻两年的销售记录，本区域不足两年。"))

# %% [markdown]
# ## 9. 费用回顾：过去的钱花在哪里、有没有回报

# %%
if rv.expense_ratios["ratio"].notna().any():
    display(plots.expense_ratio_lines(rv.expense_ratios, title="各类费用率"))
elif not rv.expense_ratios.empty:
    display(tables.note("本区域没有销售额，费用率无从计算。"))
if spend is not None:
    display(tables.show_table(spend["by_kind"], caption="活动回报（按类型；费用：元）", labels=labels.LABELS, formats=labels.FORMATS))
display(tables.show_table(rv.activity_lift.assign(region_name=rv.activity_lift["region_id"].map(wb.tree.name) if not rv.activity_lift.empty else None), caption="过往活动的销售提升与回报（元）", labels={**labels.LABELS, "region_name": "区域"}, formats=labels.FORMATS, max_rows=20, download_dir=dl, download_name="10_review_archive-activities"))
display(tables.note(review.spend_reading(rv)))

# %% [markdown]
# ## 10. 优势、劣势、机会、威胁（SWOT）

# %%
tables.swot_boxes(rv.swot)

# %% [markdown]
# ## 使用的假设

# %%
tables.show_table(summary.assumptions_in_words(assumptions_table(wb, sections=("plan_id", "year", "scope", "analysis"))), labels={"key": "假设", "value": "取值"})

# %% [markdown] tags=["remove_cell"]
# ## 交互调整（仅 JupyterLab）

# %% tags=["remove_cell"]
if interactive:
    display(widgets.review_panel(wb, rv, data))

# %% tags=["remove_cell"]
folder.mark_complete(run_dir, region, "10_review_archive")
