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


def md(text):
    return new_markdown_cell(text)


def code(text, *tags):
    cell = new_code_cell(text)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def review_archive():
    cells = [
        md("# 市场回顾：数据质量与历史销售\n\n"
           "**The question for leadership:** can this region's plan be built on its records, "
           "and what do three years of sales, margin, mix and competition say?"),
        code(PARAMETERS, "parameters"),
        code('''\
from IPython.display import display
from planlib import analysis, archive, plots, quality, report
from planlib.workbook import assumptions_table, open_workbook

wb = open_workbook(region, scenario, params_file, run_dir, interactive)
plots.set_style()
products = archive.load_table(wb.archive, "products")
sales = archive.load_table(wb.archive, "sales", region_ids=wb.tree.subtree(region))
monthly = analysis.monthly_sales(sales, products)
has_history = not monthly.empty'''),
        code('''\
display(report.heading(wb.title, 1))
display(report.note(f"层级 level: {wb.level} · 下级区域 children: {len(wb.tree.children(region))} · "
                    f"计划年度 plan year: {wb.params.year} · 情景 scenario: {wb.scenario}"))'''),
        md("## 使用的假设 Assumptions used"),
        code('''report.show_table(assumptions_table(wb, sections=("plan_id", "year", "scope", "analysis")), labels={"key": "参数", "value": "取值"})'''),
        md("## 1. 数据质量 Data quality\n\nDistorted data is the plan's fatal killer: these are the archive's faults inside this region, checked before any number below is read."),
        code('''\
findings = quality.check_archive(wb.archive, region_id=region, tree=wb.tree)
report.show_table(quality.summarise_findings(findings), caption="检查结果汇总 Findings by check")'''),
        code('''\
serious = findings[findings["severity"].isin(["error", "warning"])]
display(report.show_table(serious[["severity", "check", "region_id", "sku", "terminal_id", "date", "message"]],
                          caption="需要处理的问题 Findings to resolve", max_rows=25))
display(report.note(f"{(findings['severity'] == 'error').sum()} errors and {(findings['severity'] == 'warning').sum()} "
                    "warnings: figures touching these series should be read with care until the records are corrected."))'''),
        md("## 2. 历年销售与毛利 Sales and margin by year"),
        code('''\
if has_history:
    years = analysis.yearly_summary(monthly)
    display(report.show_table(years, caption="本品历年销售 Own sales by year",
        labels={"year": "年份", "volume": "销量", "revenue": "销售额", "gross_margin": "毛利",
                "gross_margin_rate": "毛利率", "volume_growth": "销量增长", "revenue_growth": "销售额增长"},
        formats={"year": "{}", "gross_margin_rate": "{:.1%}", "volume_growth": "{:+.1%}", "revenue_growth": "{:+.1%}"}))
    last = years.iloc[-1]
    display(report.note(f"{int(last['year'])} 年销售额 {last['revenue']:,.0f}，毛利 {last['gross_margin']:,.0f}"
                        f"（毛利率 {last['gross_margin_rate']:.1%}）。"))
else:
    display(report.note("该区域在档案中没有销售记录 — this region has no sales history in the archive; "
                        "its plan cannot be based on its own records."))'''),
        code('''\
if has_history:
    display(plots.monthly_lines(analysis.monthly_profile(monthly), value="revenue",
                                title="月度销售额（按年）Monthly revenue by year", ylabel="销售额"))
    display(report.note("春节在一月或二月，旺季随农历移动；中秋、国庆形成第二个高峰。"))'''),
        md("## 3. 结构 Composition: product lines and channels"),
        code('''\
if has_history:
    by_line = analysis.composition(monthly, "product_line")
    display(plots.stacked_shares(by_line, index="year", columns="product_line", value="share",
                                 title="产品线销售额占比 Revenue share by product line"))
    by_channel = analysis.composition(monthly.assign(channel=monthly["channel"].map(analysis.channel_label)), "channel")
    display(plots.stacked_shares(by_channel, index="year", columns="channel", value="share",
                                 title="渠道销售额占比 Revenue share by channel"))
    display(report.note("各年占比合计为 100%；团购为特殊渠道，单独列示。"))'''),
        md("## 4. 本品与竞品 Own brand against competitors"),
        code('''\
brands = analysis.brand_volumes(sales)
if not brands.empty:
    brands = brands.assign(brand=brands["brand"].map(analysis.brand_label))
    display(plots.grouped_bars(brands, x="year", y="volume", hue="brand", title="本品与竞品销量 Volume by brand", ylabel="销量"))
    display(report.show_table(brands, caption="品牌销量与份额 Volume and share by brand",
        labels={"year": "年份", "brand": "品牌", "volume": "销量", "revenue": "销售额", "volume_share": "销量份额"},
        formats={"year": "{}", "volume_share": "{:.1%}"}))
else:
    display(report.note("没有本品或竞品的销售记录 — no brand sales recorded for this region."))'''),
        code('''report.mark_complete(run_dir, region, "10_review_archive")''', "remove_cell"),
    ]
    return cells


def write(name, cells):
    for i, cell in enumerate(cells):
        cell.id = f"{name[:2]}-{i:02d}"  # stable ids: rebuilding gives a clean diff
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, HERE / f"{name}.ipynb")


if __name__ == "__main__":
    write("10_review_archive", review_archive())
