"""The review panel (planlib.present.widgets.review): its pure view equals the analysis functions, and the panel redraws, escapes and writes nothing."""

from __future__ import annotations

import dataclasses
import html
from pathlib import Path

import pandas as pd
import pytest

from planlib.review import sales as analysis
from planlib import params
from planlib.present import plots
from planlib import review
from planlib.present import widgets
from planlib.errors import ParamsError
from planlib.present.widgets.review import NO_COMPARISON
from planlib.present.workbook import open_workbook

pytestmark = pytest.mark.xdist_group("widgets_review")  # the module fixtures are built once, on one worker

PROVINCE = "P01"
COUNTY = "P01C01K01"
LINE = "白酒"

# params/demo.yaml with the archive replaced and without region_overrides/scenarios
PLAN_YAML = """\
plan_id: demo-2027
title: 康源酒业 2027 年度营销方案
year: 2027
archive: d.duckdb
currency: CNY
scope:
  root: HQ
  levels: [hq, province, city, county]
notebooks: [10_review_archive]
run:
  timeout_seconds: 600
  workers: 2
analysis:
  history_years: 3
swot:
  strengths: []
  weaknesses: []
  opportunities: []
  threats: []
"""


@pytest.fixture(scope="module")
def plan(tmp_path_factory, demo_copy) -> Path:
    """The demo company, 2023–2025, in its own folder beside a plan file (built once, ~3 s)."""
    folder = tmp_path_factory.mktemp("demo")
    demo_copy(folder / "d.duckdb", start_year=2023)
    path = folder / "demo.yaml"
    path.write_text(PLAN_YAML, encoding="utf-8")
    plots.set_style()
    return path


def _open(plan: Path, region: str):
    wb = open_workbook(region, "base", plan, None, True)
    data = review.load_region_data(wb.archive, wb.tree, region)
    return wb, review.review_region(data, wb.tree), data


@pytest.fixture(scope="module")
def province(plan):
    return _open(plan, PROVINCE)


@pytest.fixture(scope="module")
def county(plan):
    return _open(plan, COUNTY)


def _by_hand_yearly(monthly: pd.DataFrame, line: str, first: int, last: int) -> pd.DataFrame:
    g = analysis.yearly_summary(monthly[monthly["product_line"] == line])
    return g[g["year"].between(first, last)].reset_index(drop=True)


def _html_of(panel) -> str:
    return "".join(o["data"].get("text/html", "") for o in panel.output.outputs)


# -- review_view ---------------------------------------------------------------------------


def test_review_view_yearly_revenue_equals_sum_of_monthly_rows(province):
    _, rv, _ = province
    view = widgets.review_view(rv, years=(2024, 2025), product_line=LINE, align="calendar")
    rows = rv.monthly[(rv.monthly["product_line"] == LINE) & rv.monthly["year"].isin([2024, 2025])]
    expected = rows.groupby("year")["revenue"].sum()
    assert view["yearly"]["year"].tolist() == [2024, 2025]
    assert view["yearly"]["revenue"].tolist() == pytest.approx(expected.tolist(), rel=1e-12)


def test_review_view_yearly_equals_yearly_summary_of_filtered_frame(province):
    _, rv, _ = province
    view = widgets.review_view(rv, years=(2024, 2025), product_line=LINE, align="calendar")
    # the first selected year's growth is against 2023, as in the full history
    expected = _by_hand_yearly(rv.monthly, LINE, 2024, 2025)
    pd.testing.assert_frame_equal(view["yearly"], expected[view["yearly"].columns], rtol=1e-9)
    assert view["yearly"]["revenue_growth"].notna().all()


@pytest.mark.parametrize("align", ["spring_festival", "calendar"])
def test_review_view_seasonal_equals_seasonal_profile_of_filtered_frame(province, align):
    _, rv, _ = province
    view = widgets.review_view(rv, years=(2024, 2025), product_line=LINE, align=align)
    full = analysis.seasonal_profile(rv.monthly[rv.monthly["product_line"] == LINE], align=align)
    expected = full[full["year"].between(2024, 2025)].reset_index(drop=True)
    assert not expected.empty
    pd.testing.assert_frame_equal(view["seasonal"], expected, rtol=1e-9)
    assert view["seasonal"].groupby("year")["share"].sum().tolist() == pytest.approx([1.0] * expected["year"].nunique())


def test_review_view_all_lines_equals_the_review_tables(province):
    _, rv, _ = province
    first, last = rv.years[0], rv.years[-1]
    view = widgets.review_view(rv, years=(first, last), product_line=widgets.ALL_LINES, align="spring_festival")
    pd.testing.assert_frame_equal(view["yearly"], rv.yearly[view["yearly"].columns], rtol=1e-9)
    pd.testing.assert_frame_equal(view["seasonal"], rv.seasonal_festival, rtol=1e-9)
    # None means all lines too
    again = widgets.review_view(rv, years=(first, last), product_line=None, align="spring_festival")
    pd.testing.assert_frame_equal(again["yearly"], view["yearly"])


def test_review_view_aligned_and_calendar_views_differ(province):
    _, rv, _ = province
    aligned = widgets.review_view(rv, years=(2024, 2025), align="spring_festival")["seasonal"]
    calendar = widgets.review_view(rv, years=(2024, 2025), align="calendar")["seasonal"]
    assert set(aligned["label"]).isdisjoint(calendar["label"])
    assert not aligned["share"].to_numpy() == pytest.approx(calendar["share"].to_numpy())


def test_review_view_comparison_yearly_is_the_other_regions_summary(province, county):
    _, rv, _ = county
    _, other, _ = province
    view = widgets.review_view(rv, years=(2024, 2025), product_line=LINE, align="calendar", comparison=other)
    expected = _by_hand_yearly(other.monthly, LINE, 2024, 2025)
    pd.testing.assert_frame_equal(view["comparison_yearly"], expected[view["comparison_yearly"].columns], rtol=1e-9)
    # monthly rows work as well as a review; without a comparison the frame has no rows
    rows = widgets.review_view(rv, years=(2024, 2025), product_line=LINE, align="calendar", comparison=other.monthly)
    pd.testing.assert_frame_equal(rows["comparison_yearly"], view["comparison_yearly"])
    none = widgets.review_view(rv, years=(2024, 2025), product_line=LINE, align="calendar")["comparison_yearly"]
    assert none.empty and list(none.columns) == list(view["yearly"].columns)


def test_review_view_growth_points_scale_with_capture_rate(province):
    _, rv, _ = province
    low = widgets.review_view(rv, years=(2024, 2025), align="calendar", capture_rate=0.1)["growth_points"]
    high = widgets.review_view(rv, years=(2024, 2025), align="calendar", capture_rate=0.2)["growth_points"]
    assert "growth_points" not in widgets.review_view(rv, years=(2024, 2025), align="calendar")
    assert low["unit_id"].tolist() == high["unit_id"].tolist()
    assert high["attainable"].to_numpy() == pytest.approx(2 * low["attainable"].to_numpy())
    assert low["attainable"].to_numpy() == pytest.approx(rv.growth_points["attainable"].to_numpy())  # review used 0.1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"years": (2025, 2024)}, "years"),
        ({"years": (2024, 2025), "align": "lunar"}, "spring_festival, calendar"),
        ({"years": (2024, 2025), "product_line": "啤酒"}, "白酒"),
    ],
)
def test_review_view_rejects_bad_choices_naming_the_valid_ones(province, kwargs, match):
    _, rv, _ = province
    with pytest.raises(ParamsError, match=match):
        widgets.review_view(rv, **kwargs)


def test_review_view_leaves_the_review_unchanged(province):
    _, rv, _ = province
    before = rv.monthly.copy()
    widgets.review_view(rv, years=(2024, 2025), product_line=LINE, align="spring_festival", capture_rate=0.2)
    pd.testing.assert_frame_equal(rv.monthly, before)


# -- seasonal_figure -----------------------------------------------------------------------


def test_seasonal_figure_labels_festival_periods(province):
    _, rv, _ = province
    seasonal = widgets.review_view(rv, years=(2024, 2025), align="spring_festival")["seasonal"]
    fig = widgets.seasonal_figure(seasonal, align="spring_festival", title="季节性 $5")
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == seasonal[seasonal["year"] == 2024].sort_values("slot")["label"].tolist()
    assert fig.axes[0].get_title() == "季节性 $5"  # plain text: a dollar sign, not mathtext
    empty = widgets.seasonal_figure(seasonal.iloc[0:0], align="calendar", title="无")
    assert "No complete year" in empty.axes[0].texts[0].get_text()


# -- review_panel --------------------------------------------------------------------------


def test_review_panel_builds_without_a_front_end(county):
    wb, rv, data = county
    panel = widgets.review_panel(wb, rv, data)
    assert panel.period.value == (rv.years[0], rv.years[-1])
    assert panel.product_line.options[0] == widgets.ALL_LINES
    assert panel.capture_rate.value == pytest.approx(wb.params.analysis.capture_rate)
    kinds = [sorted(o["data"]) for o in panel.output.outputs]
    assert ["image/png", "text/plain"] in kinds
    assert "年度销售与毛利" in _html_of(panel)
    # festival year 2025 runs into 2026, past the history: the panel says it is not drawn
    assert "2025 年在档案中不是完整的季节年" in _html_of(panel)
    # siblings and the parent, none chosen
    parent = wb.tree.parent(COUNTY)
    choices = [v for _, v in panel.comparison.options]
    assert choices[0] == NO_COMPARISON and panel.comparison.value == NO_COMPARISON
    assert panel.comparison.label == "（无）none" and panel.product_line.label == widgets.ALL_LINES  # nothing blank
    # wide enough for the range readout and the toggles' labels
    assert panel.period.layout.width == "30em" and panel.align.style.button_width == "auto"
    assert set(choices[1:]) == (set(wb.tree.children(parent)) - {COUNTY}) | {parent}


@pytest.mark.parametrize(
    ("control", "value"),
    [("period", (2024, 2025)), ("product_line", LINE), ("align", "calendar"), ("capture_rate", 0.2)],
)
def test_changing_a_control_redraws(county, control, value):
    wb, rv, data = county
    panel = widgets.review_panel(wb, rv, data)
    before = panel.output.outputs
    getattr(panel, control).value = value
    assert panel.output.outputs != before


def test_capture_rate_change_updates_the_yaml_override(county):
    wb, rv, data = county
    panel = widgets.review_panel(wb, rv, data)
    assert panel.override.value == ""  # nothing changed, nothing to override
    panel.capture_rate.value = 0.15
    expected = params.override_yaml("analysis.capture_rate", 0.15)
    assert "capture_rate: 0.15" in expected
    assert f"<pre>{html.escape(expected)}</pre>" in panel.override.value
    assert "争取率 15%" in _html_of(panel)


def test_comparison_region_is_loaded_once_and_shown_beside(county, monkeypatch):
    wb, rv, data = county
    calls = []
    load = review.load_region_data

    def counting(archive, tree, region):
        calls.append(region)
        return load(archive, tree, region)

    monkeypatch.setattr(review, "load_region_data", counting)
    panel = widgets.review_panel(wb, rv, data)
    sibling = panel.comparison.options[1][1]
    panel.comparison.value = sibling
    assert f"对比 {html.escape(wb.tree.name(sibling))}" in _html_of(panel)
    panel.align.value = "calendar"
    panel.comparison.value = NO_COMPARISON
    assert "对比" not in _html_of(panel)
    panel.comparison.value = sibling
    assert calls == [sibling]


def test_review_panel_escapes_names_from_data(county):
    wb, rv, data = county
    hostile = "<script>alert(1)</script>"
    lines = rv.monthly["product_line"].astype(object)
    monthly = rv.monthly.assign(product_line=lines.where(lines != LINE, hostile))
    panel = widgets.review_panel(wb, dataclasses.replace(rv, monthly=monthly), data)
    panel.product_line.value = hostile
    shown = _html_of(panel)
    assert html.escape(hostile) in shown and hostile not in shown


def test_review_panel_without_history_says_so(county):
    wb, rv, data = county
    empty = dataclasses.replace(rv, monthly=rv.monthly.iloc[0:0], years=())
    panel = widgets.review_panel(wb, empty, data)
    assert "no sales history" in _html_of(panel)
    assert panel.period.disabled


def test_review_panel_writes_no_file(plan, county, tmp_path, monkeypatch):
    wb, rv, data = county
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    def listing():
        return sorted(p for folder in (work, plan.parent) for p in folder.rglob("*"))

    before = listing()
    panel = widgets.review_panel(wb, rv, data)
    panel.comparison.value = panel.comparison.options[-1][1]
    panel.period.value = (2024, 2025)
    panel.product_line.value = LINE
    panel.align.value = "calendar"
    panel.capture_rate.value = 0.25
    assert listing() == before
