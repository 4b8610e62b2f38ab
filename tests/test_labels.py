"""One language on a page (#15): the label table speaks Chinese, and so do the rendered reports."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from planlib import labels
from planlib.archive import CHECKS, SEVERITIES
from planlib.budget.methods import BUDGET_METHODS
from planlib.present import tables
from planlib.run import excel
from planlib.schemas import ACTIVITY_KINDS, ITEM_CATALOGUE
from planlib.targets.reconcile import RECONCILE_METHODS
from planlib.targets.shares import SPLIT_METHODS

CJK = re.compile(r"[\u3400-\u9fff]")
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
#: Two or more English words in a row, a lowercase one of three letters or more among them: a gloss or a heading.
ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?:[ ,:'’-]+[A-Za-z]{2,})+\b")

PAGE_TABLES = {
    "LABELS": labels.LABELS, "CODE_NAMES": labels.CODE_NAMES, "PARAM_NAMES": labels.PARAM_NAMES,
    "LEGEND_TITLES": labels.LEGEND_TITLES, "CATEGORY_NAMES": labels.CATEGORY_NAMES,
    "CHANNEL_NAMES": labels.CHANNEL_NAMES, "TRACKING_LABELS": labels.TRACKING_LABELS,
    "TRACKING_CODES": labels.TRACKING_CODES, "NOTEBOOK_NAMES": labels.NOTEBOOK_NAMES, "STAGE_NAMES": labels.STAGE_NAMES,
}


def _english_words(text: str) -> list[str]:
    return [m.group(0) for m in ENGLISH.finditer(text)
            if re.search(r"[a-z]{3,}", m.group(0)) and m.group(0) not in labels.KEPT_WORDS]


@pytest.mark.parametrize("name", sorted(PAGE_TABLES))
def test_label_table_shows_chinese_not_codes(name):
    """What a reader sees for a code: Chinese, no snake_case identifier, no English gloss once localized."""
    bad = {}
    for code, text in PAGE_TABLES[name].items():
        shown = labels.localize(text)
        if not CJK.search(shown) or SNAKE.search(shown) or _english_words(shown):
            bad[code] = text
    assert bad == {}


def test_every_code_a_report_shows_has_words():
    """Channels, activity kinds, checks, severities, split, reconciliation and budget methods, items."""
    codes = [*labels.CHANNEL_NAMES, *ACTIVITY_KINDS, *CHECKS, *SEVERITIES, *SPLIT_METHODS, *RECONCILE_METHODS,
             *BUDGET_METHODS, "growing", "shrinking", "steady", "new", "lost", "base",
             "price_and_volume", "auto", "calendar", "spring_festival"]
    assert [c for c in codes if not CJK.search(str(labels.CODE_NAMES.get(c, "")))] == []
    items = [code for entry in ITEM_CATALOGUE.values() for code in entry["items"]]
    assert [c for c in items if not CJK.search(tables.ITEM_NAMES.get(c, ""))] == []


@pytest.mark.parametrize(("text", "shown"), [
    ("检查结果汇总 Findings by check", "检查结果汇总"),
    ("2026 毛利 gross margin", "2026 毛利"),
    ("没有下级计划单位 — no planned children below this region.", "没有下级计划单位"),
    ("销量达成、利润未达 sales met, profit missed", "销量达成、利润未达"),
    ("份额方法：forecast_proportions", "份额方法：预测占比法"),
    ("季节曲线（auto：误差 14.6%，calendar 为 15.9%）", "季节曲线（自动选择：误差 14.6%，公历月份 为 15.9%）"),
    ("保本销量 BEP = FC / (P − VC)", "保本销量 BEP = FC / (P − VC)"),  # a formula's letters stay
    ("阻尼趋势 Holt-Winters", "阻尼趋势 Holt-Winters"),  # a method's name stays
    ("平阴县$\\undefinedcommand$", "平阴县$\\undefinedcommand$"),  # a name is data: left as it is
    ("Only English", "Only English"),  # no Chinese: not a gloss
    ("请在 budget.profit_target 中设定", "请在 利润目标参数 中设定"),  # a params key in words
    ("2027 销量目标 volume", "2027 销量目标"),  # a plain word is a gloss, not a code
    ("销量 volume", "销量"),
    ("批量运行用 `planlib run plan.yaml`（参数 `-p region P01`）", "批量运行用 `planlib run plan.yaml`（参数 `-p region P01`）"),
    ("运行 `planlib run` to run it", "运行 `planlib run`"),  # code kept, the gloss after it dropped
    # names in Latin letters are data: a capitalised word, or words each capitalised, stay
    ("比自身趋势预测要求最多的是 Macau（-3.8%），最少的是 Hong Kong（-1.0%）。",
     "比自身趋势预测要求最多的是 Macau（-3.8%），最少的是 Hong Kong（-1.0%）。"),
    ("竞品 Heineken 增长；Jack Daniel's 下滑", "竞品 Heineken 增长；Jack Daniel's 下滑"),
    ("按春节对齐 Spring Festival aligned", "按春节对齐"),  # a gloss in sentence case goes
    ("检查结果汇总 Findings by check", "检查结果汇总"),
    # Python's words for a broken number are neither a name nor a gloss: left for the reader and the scans to see
    ("截至 None 年", "截至 None 年"),  # a caption built from a missing year
    ("毛利率 None，增长 inf%", "毛利率 None，增长 inf%"),
    ("按本次费用预算 0（费用率 nan%），目标下利润 1", "按本次费用预算 0（费用率 nan%），目标下利润 1"),
    ("比自身趋势预测 +nan%；日期 NaT，上限 -inf", "比自身趋势预测 +nan%；日期 NaT，上限 -inf"),
    ("是否达成：True", "是否达成：True"),
    ("销量 NaN 箱 sales volume", "销量 NaN 箱"),  # the gloss after it still goes
    # a lower-case Latin name with Chinese going on after it is data too, not a trailing gloss
    ("完成最差的是 hello kitty 便利店（96.8%）", "完成最差的是 hello kitty 便利店（96.8%）"),
    ("竞品 wuliangye 五粮液 增长", "竞品 wuliangye 五粮液 增长"),
    # ... and so is one its figure follows in brackets, or the sentence's punctuation
    ("完成最差的是 hello kitty（96.8%）。", "完成最差的是 hello kitty（96.8%）。"),
    ("最少的是 ma's bar (-1.0%)", "最少的是 ma's bar (-1.0%)"),
    ("终端 hello kitty、金潭", "终端 hello kitty、金潭"),
    ("完成最差的是 hello kitty。", "完成最差的是 hello kitty。"),
    ("本方案还没有审批工作目录（workflow）：下级尚未提报", "本方案还没有审批工作目录：下级尚未提报"),  # a gloss in brackets goes
])
def test_localize(text, shown):
    assert labels.localize(text) == shown


def test_table_shows_codes_in_words_and_headers_in_chinese():
    frame = pd.DataFrame({"channel": ["tobacco_liquor", "group_purchase"], "item": ["wages", "rent"],
                          "category": ["promotion", "labour"], "kind": ["media", "tasting"], "stage": [1, 2],
                          "scenario": ["base", "price_and_volume"], "bep_units": [1_000.4, 2_000.0],
                          "name": ["tobacco_liquor 不是代码", "金潭"]})
    page = tables.table_html(frame, labels=labels.LABELS, formats=labels.FORMATS)
    for words in ("烟酒店", "团购", "工资", "推广费用", "人力成本", "媒体投放", "品鉴活动", "第一阶段", "第二阶段", "基准",
                  "情景", "保本销量（箱）", "1,000", "价格与销量同时下降"):
        assert words in page
    assert "tobacco_liquor 不是代码" in page  # a name column is data, never translated
    text = _visible_text(page)
    assert [t for t in text if SNAKE.search(t) and "不是代码" not in t] == []


def test_cut_table_is_downloadable_as_csv_with_bom_and_chinese_headers(tmp_path):
    frame = pd.DataFrame({"terminal_id": [f"T{i:03d}" for i in range(30)], "name": ["终端"] * 30,
                          "channel": ["supermarket"] * 30, "mismatch": [True] * 30})
    shown = tables.show_table(frame, labels=labels.LABELS, max_rows=10, download_dir=tmp_path, download_name="10-x")
    raw = (tmp_path / "10-x.csv").read_bytes()
    assert raw.startswith("\ufeff".encode())
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "终端编码,名称,渠道,不一致" and len(lines) == 31 and lines[1] == "T000,终端,商超,是"
    assert 'href="10-x.csv"' in shown.data and "另有 20 行未显示" in shown.data
    assert tables.show_table(frame, max_rows=10, download_dir=None, download_name="10-x").data.count("href") == 0
    with pytest.raises(ValueError):
        tables.show_table(frame, max_rows=10, download_dir=tmp_path, download_name="../x")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.skip, self.tags, self.texts = 0, [], []

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")
        self.tags.append(tag)

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style")
        if self.tags:
            self.tags.pop()

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.texts.append(data.strip())


def _visible_text(page: str) -> list[str]:
    parser = _Text()
    parser.feed(page)
    return parser.texts


#: Python's words for a missing or broken number, printed where a figure should be ("费用率 nan%", "毛利率 None").
BROKEN = re.compile(r"(?<![A-Za-z])(?:None|nan|NaN|NaT|inf|Inf|True|False)(?![A-Za-z])")


def code_valued(texts: list[str]) -> list[str]:
    """
    The texts of a Chinese page that show a code, an English gloss or a broken number such as
    ``nan%`` or ``None`` (ids such as K1, T000012 are fine).
    """
    return [t for t in texts if SNAKE.search(t) or _english_words(t) or BROKEN.search(t)]


def test_code_valued_catches_a_broken_number_localize_leaves_in_place():
    """localize no longer drops None, nan and inf as English words: the page scan sees them."""
    shown = [labels.localize(t) for t in ("毛利率 None，增长 inf%", "费用率 nan%", "2027 销量目标 12,000 箱", "Nanjing 南京")]
    assert code_valued(shown) == ["毛利率 None，增长 inf%", "费用率 nan%"]


@pytest.mark.slow
def test_rendered_reports_of_a_chinese_plan_show_no_codes_or_english(tiny_plan, tmp_path):
    """The review, targets and budget pages of a county and its city, as the batch renders them."""
    from planlib.run import batch

    text = tiny_plan.read_text(encoding="utf-8").replace("notebooks: [10_review_archive]",
                                                          "notebooks: [10_review_archive, 20_split_targets, 30_build_budget]")
    tiny_plan.write_text(text, encoding="utf-8")
    result = batch.run_plan(tiny_plan, regions=["C1", "K1"], runs_root=tmp_path / "runs", run_id="r1", progress=False)
    assert result.exit_code == 0, [e.get("error") for e in result.manifest["entries"]]
    found = {}
    for page in sorted((result.run_dir / "regions").glob("*/*.html")):
        texts = _visible_text(page.read_text(encoding="utf-8"))
        # the tiny archive's hostile region name is data, shown as it is; no warning reaches a page (the
        # reconciliation's "no proposal from K3" did, on C1's targets page; matplotlib's "Tight layout not
        # applied" did, from planlib/present/canvas.py)
        names = [t for t in texts if "alert(" in t]
        found.update({f"{page.parent.name}/{page.name}: {t[:80]}": 1 for t in code_valued(texts) if t not in names})
        found.update({f"{page.parent.name}/{page.name}: {t[:80]}": 1 for t in texts if "Warning" in t})
        assert any("返回方案首页" in t for t in texts)
    assert list(found) == [], "\n".join(found)


def test_a_share_change_reads_in_percentage_points():
    """20.0 % → 20.1 % is +0.1 points, not +0.1 % (a relative change); the tables say 个百分点."""
    assert labels.percentage_points(0.201 - 0.200) == "+0.1 个百分点"
    assert labels.percentage_points(-0.0523) == "-5.2 个百分点"
    assert labels.FORMATS["share_change"] is labels.percentage_points
    assert labels.FORMATS["change"] is labels.percentage_points  # the structure table's share change
    page = tables.table_html(pd.DataFrame({"share_change": [0.0123]}), labels=labels.LABELS, formats=labels.FORMATS)
    assert "+1.2 个百分点" in page


def test_a_month_start_reads_as_its_month():
    assert labels.month_label(pd.Timestamp("2027-01-01")) == "2027-01" and labels.month_label(3) == "3"
    page = tables.table_html(pd.DataFrame({"month": pd.date_range("2027-01-01", periods=2, freq="MS"), "volume": [1.0, 2.0]}),
                             labels=labels.LABELS, formats=labels.FORMATS)
    assert ">2027-02<" in page and "2027-02-01" not in page


FORMAT_TABLES = {name: getattr(labels, name) for name in dir(labels) if name.endswith("FORMATS")
                 and isinstance(getattr(labels, name), dict) and name != "NUMBER_FORMATS"}


@pytest.mark.parametrize("name", sorted(FORMAT_TABLES))
@pytest.mark.parametrize("value", [-0.0004, -0.0, -0.3e-9])
def test_a_value_that_rounds_to_zero_shows_no_minus_sign(name, value):
    """A change of -0.03% reads "+0.0%", not "-0.0%" (noise to a manager), in every number format of a page."""
    shown = {col: (fmt(value) if callable(fmt) else fmt.format(value)) for col, fmt in FORMAT_TABLES[name].items()
             if fmt != "{}"}
    assert shown and not {col: text for col, text in shown.items() if text.startswith("-")}


#: A format spec that can show a minus sign on a value that rounds to zero: signed (``:+.1%``,
#: ``:+,.0f``) or a percentage (``:.1%``) without Python's ``z`` (PEP 682).
SIGNED_OR_PERCENT_WITHOUT_Z = re.compile(r":\+(?=[,.]\d|,\.)|(?<=[\w)\]'\"{]):(?=\.\d+%)")


def test_every_signed_or_percentage_format_in_the_code_coerces_negative_zero():
    """The sweep above covers the label tables; this keeps every f-string and format in planlib and the notebooks so."""
    root = Path(__file__).resolve().parent.parent
    found = [f"{p.relative_to(root)}:{i}: {line.strip()[:90]}"
             for folder in ("planlib", "notebooks") for p in sorted((root / folder).rglob("*.py"))
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if SIGNED_OR_PERCENT_WITHOUT_Z.search(line)]
    assert not found, "write {:+z.1%} / {:z.1%} so a value that rounds to zero shows no minus sign:\n" + "\n".join(found)


@pytest.mark.parametrize("value, formula, written", [
    ("=cmd|' /C calc'!A0", True, "'=cmd|' /C calc'!A0"), ("+1", True, "'+1"), ("-2+3", True, "'-2+3"),
    ("@SUM(A1)", True, "'@SUM(A1)"), ("\t=1", True, "'\t=1"), ("\r=1", True, "'\r=1"),
    ("山东省", False, "山东省"), ("a=b", False, "a=b"), ("", False, ""), (None, False, None),
    (-5, False, -5), (-5.5, False, -5.5),  # a negative number is a number, not a text
])
def test_one_formula_guard_for_csv_and_xlsx(value, formula, written):
    assert labels.reads_as_formula(value) is formula
    assert labels.spreadsheet_text(value) == written
    assert excel.FORMULA_TRIGGERS is labels.FORMULA_TRIGGERS  # the workbooks use the same rule


def test_without_control_characters_keeps_tabs_and_line_breaks():
    assert labels.without_control_characters("山东\x0b省\x00\x01\x08\x0c\x0e\x1f") == "山东省"
    assert labels.without_control_characters("甲\t乙\n丙\r\n") == "甲\t乙\n丙\r\n"
    assert labels.without_control_characters("\x7f不是 C0") == "\x7f不是 C0"  # DEL is allowed in XML
    assert labels.without_control_characters(None) is None and labels.without_control_characters(3.5) == 3.5
