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
# **The question for leadership:** can this region's plan stand on its records, and where can next year's increase come from — which areas, channels and terminals, against which competitors, at what cost?

# %% tags=["parameters"]
region = "HQ"                      # region id from the archive's regions table
scenario = "base"                  # params/scenarios/<scenario>.yaml, or "base"
params_file = "../params/demo.yaml"  # the batch passes the run's params.resolved.yaml
run_dir = None                     # the batch passes the output folder; None writes nothing
interactive = True                 # the batch passes False: no widgets

# %%
from IPython.display import display
from planlib import archive, labels, review
from planlib.present import plots, tables, widgets
from planlib.present.workbook import assumptions_table, open_workbook
from planlib.run import folder

wb = open_workbook(region, scenario, params_file, run_dir, interactive)
plots.set_style()
data = review.load_region_data(wb.archive, wb.tree, region, years=wb.history)
rv = review.review_region(data, wb.tree, capture_rate=wb.params.analysis.capture_rate, swot_lines=wb.params.swot.lines())
last = rv.years[-1] if rv.years else None

# %%
display(tables.heading(wb.title, 1))
display(tables.key_figures(review.key_figures(rv)))
display(tables.note(f"层级 {wb.level} · 下级区域 {len(wb.tree.children(region))} 个 · 计划年度 {wb.params.year} · 情景 {wb.scenario}"))

# %% [markdown]
# ## 使用的假设 Assumptions used

# %%
tables.show_table(assumptions_table(wb, sections=("plan_id", "year", "scope", "analysis")), labels=labels.LABELS)

# %% [markdown]
# ## 1. 数据质量 Data quality first
#
# Distorted data is the plan's fatal killer: these are the archive's faults inside this region, found before any number below is read.

# %%
findings = archive.check_archive(wb.archive, region_id=region, tree=wb.tree)
display(tables.show_table(archive.summarise_findings(findings), caption="检查结果汇总 Findings by check", labels=labels.LABELS))
display(tables.show_table(archive.findings_to_resolve(findings), caption="需要处理的问题 Findings to resolve", labels=labels.LABELS, max_rows=25))
display(tables.note(archive.findings_reading(findings)))

# %% [markdown]
# ## 2. 销售回顾 Sales review

# %%
if rv.has_history:
    display(tables.show_table(rv.yearly, caption="本品历年销售与毛利 Own sales and margin by year", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.show_table(rv.revenue_indices.reset_index(), caption="销售额定基与环比指数 Fixed-base and chain indices", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.note(f"{rv.years[0]}–{last} 年销售额复合增长率 CAGR {rv.cagr:+.1%}；环比指数连乘等于定基指数。"))
else:
    display(tables.note("该区域在档案中没有销售记录 — this region has no sales history in the archive; its plan cannot rest on its own records."))

# %%
if rv.has_history:
    display(plots.monthly_lines(review.monthly_profile(rv.monthly), value="revenue", title="月度销售额（按年）Monthly revenue by year", ylabel="销售额"))
    display(tables.show_table(rv.quarterly, caption="季度销售 Quarterly sales", labels=labels.LABELS, formats=labels.FORMATS))

# %%
if not rv.core_weekly.empty:
    display(plots.weekly_lines(rv.core_weekly, title="A/B 类核心终端周销量 Weekly volume of core terminals"))
    display(tables.show_table(rv.holiday_uplift.replace({"holiday": labels.HOLIDAY_NAMES}), caption="节日窗口销量与平日对比 Holiday windows against ordinary weeks", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.note("节日提升 = 节日窗口周均销量 / 当年平日周均销量 − 1（核心终端周数据）。"))

# %%
if rv.has_history:
    display(plots.stacked_shares(rv.composition["product_line"], index="year", columns="product_line", value="share", title="产品线结构 Revenue share by product line"))
    display(plots.stacked_shares(rv.composition["channel"], index="year", columns="channel", value="share", title="渠道结构（含团购）Revenue share by channel"))
    display(tables.show_table(rv.composition_shift.replace({"dimension": labels.LABELS}), caption="结构变化 Composition: first and last year", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.show_table(rv.related_ratios, caption="相关比率 Related ratios", labels=labels.LABELS, formats=labels.FORMATS))

# %% [markdown]
# ## 3. 季节性 Seasonality: calendar months against the Spring Festival

# %%
if not rv.seasonal_festival.empty:
    display(plots.seasonal_compare(rv.seasonal_calendar, rv.seasonal_festival))
    display(tables.note("左：按公历月份，春节旺季在一月与二月之间移动；右：按春节对齐（农历），节前旺季每年落在同一位置。"))

# %% [markdown]
# ## 4. 市场与竞争 Market and competition

# %%
if rv.share_by_child.empty:
    display(tables.note("下级区域没有品类容量数据（市场数据按县记录）— the children have no category data of their own."))
else:
    display(plots.share_bars(rv.share_by_child.assign(group=rv.share_by_child["group"].map(rv.names)), title="各下级区域本品份额 Own share of category volume by area"))
    display(tables.show_table(rv.share_by_line, caption="产品线份额 Share by product line", labels=labels.LABELS, formats=labels.FORMATS))
if not rv.brands.empty:
    display(plots.grouped_bars(rv.brands.assign(brand=rv.brands["brand"].map(labels.brand_label)), x="year", y="volume", hue="brand", title="本品与竞品销量 Volume by brand", ylabel="销量"))
    display(tables.show_table(rv.brands.assign(brand=rv.brands["brand"].map(labels.brand_label)), caption="品牌销量、份额与增长 Brands", labels=labels.LABELS, formats=labels.FORMATS))
display(tables.show_table(rv.competitor_activities[["brand", "kind", "start_date", "end_date", "cost", "description"]], caption="竞品促销与媒体 Competitors' promotions and media", labels=labels.LABELS, max_rows=15))

# %% [markdown]
# ## 5. 经销商 Distributors

# %%
display(tables.show_table(rv.distributors, caption=f"{last} 年经销商本品与竞品销量 Own and competitor volume by distributor", labels=labels.LABELS, formats=labels.FORMATS, max_rows=20))
display(tables.show_table(rv.distributor_concentration, caption="集中度 Concentration", labels=labels.LABELS, formats=labels.FORMATS))
display(tables.note(review.distributor_reading(rv)))

# %% [markdown]
# ## 6. 终端 Terminals

# %%
display(tables.show_table(rv.coverage, caption="近一季度终端覆盖率 Terminals buying in the last quarter", labels=labels.LABELS, formats=labels.FORMATS))
mismatch = rv.terminal_classes[rv.terminal_classes["mismatch"]]
display(tables.show_table(mismatch, caption=f"按销售计算的 ABC 类与档案等级不一致的终端（{len(mismatch)} 家）Recorded class differs from ABC", labels=labels.LABELS, formats=labels.FORMATS, max_rows=20))

# %% [markdown]
# ## 7. 增量点 Growth points

# %%
display(tables.show_table(rv.growth_points.head(10).assign(kind=rv.growth_points["kind"].map(labels.UNIT_KINDS)), caption="前十个增量点 Top ten growth points", labels=labels.LABELS, formats=labels.FORMATS))
if not rv.growth_points.empty:
    display(plots.growth_points(rv.growth_points.head(10), title="可争取增量 Attainable increase"))
    display(tables.note("可争取增量 = 空间（容量 − 本品销量）× 争取率 × 势头（1 + 本品增长 − 竞品增长，限于 0.5–1.5）。"))

# %% [markdown]
# ## 8. 因素替代 Factor substitution: volume, mix, price

# %%
if not rv.factor_effects.empty:
    display(plots.effects_bars(rv.factor_effects, title=f"{rv.years[-2]}→{last} 销售额变动分解 Revenue change by factor"))
    display(tables.show_table(rv.factor_effects.replace({"effect": labels.EFFECT_NAMES}), caption="销量、结构、价格效应（先数量后质量）", labels=labels.LABELS, formats=labels.FORMATS))
    display(tables.note("三个效应依次替代，合计恰等于销售额变动。"))

# %% [markdown]
# ## 9. 费用回顾 Spend review: where past spend paid

# %%
if not rv.expense_ratios.empty:
    display(plots.expense_ratio_lines(rv.expense_ratios, title="各类费用率 Expense ratio by category"))
display(tables.show_table(rv.activity_lift, caption="过往活动的销售提升与回报 Past activities: lift and return", labels=labels.LABELS, formats=labels.FORMATS, max_rows=20))
display(tables.note(review.spend_reading(rv)))

# %% [markdown]
# ## 10. SWOT

# %%
tables.swot_boxes(rv.swot)

# %% [markdown] tags=["remove_cell"]
# ## 交互调整 Tune by hand (JupyterLab only)

# %% tags=["remove_cell"]
if interactive:
    display(widgets.review_panel(wb, rv, data))

# %% tags=["remove_cell"]
folder.mark_complete(run_dir, region, "10_review_archive")
