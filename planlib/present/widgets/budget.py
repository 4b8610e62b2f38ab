"""
The budget notebook's panel: each category's method and ratio, the cap, a price and volume change.

Public names: :class:`BudgetPanel`, :func:`budget_panel`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets
import pandas as pd

from planlib import budget, labels, params
from planlib.errors import ParamsError, PlanlibError
from planlib.present import tables
from planlib.present.widgets.markup import html_bundle, note
from planlib.present.widgets.override_file import FileWriter, propose
from planlib.schemas import CATEGORIES

__all__ = ["BudgetPanel", "budget_panel"]

#: The ratio sliders' step (0.2 percentage points).
_RATIO_STEP = 0.002


class BudgetPanel(ipywidgets.VBox):
    """
    The budget notebook's tuning panel (build it with :func:`budget_panel`).

    Attributes
    ----------
    method : dict of Dropdown
        Each category's budgeting method (the methods that apply to it here).
    ratio : dict of FloatSlider
        Each category's expense ratio, used when ``use_ratio`` of the category is ticked.
        Moving a slider ticks it; ticked without moving, the category keeps its exact
        current ratio (the slider only shows it rounded to its step).
    use_ratio : dict of Checkbox
        Whether a category is budgeted at its ratio ("按费用率").
    cap : FloatSlider
        The cap as a share of the target revenue.
    price_change, volume_change : FloatSlider
        A price and a volume change for the CVP (e.g. −5% and −10%).
    override : ipywidgets.HTML
        The region's file (``params/regions/<region>.yaml``) as it would read with the tuned
        values that differ from the region's params merged in, and its diff to the file.
    writer : FileWriter
        Writes that file after the analyst ticks "checked the diff".
    output : ipywidgets.Output
        The re-priced budget, CVP and dual check of the last redraw.
    """

    def __init__(self, wb, rb, **kwargs: Any) -> None:

        self._wb, self._rb, self._costing = wb, rb, budget
        bp = wb.params.budget
        style = {"description_width": "initial"}
        m = rb.methods
        rev = float(rb.summary.get("target_revenue", 0.0)) if len(rb.summary) else 0.0
        self._methods_long = self._long_methods(rb)
        self.method, self.ratio, self.use_ratio = {}, {}, {}
        self._ratio0, self._slider0 = {}, {}
        self._quiet = False
        rows = []
        for cat in CATEGORIES:
            options = [c for c in m.columns if c not in ("category", "chosen", "booked") and cat in set(m["category"])
                       and pd.notna(m.loc[m["category"] == cat, c]).any()]
            current = bp.methods.get(cat, "percent_of_sales")
            self.method[cat] = ipywidgets.Dropdown(
                options=[(labels.LABELS.get(o, o), o) for o in options] or [(current, current)],
                value=current if current in options or not options else options[0],
                description=labels.CATEGORY_NAMES[cat], style=style)
            amount = float(self._amount(cat, current))
            ratio0 = float(bp.ratios.get(cat, amount / rev if rev > 0 else 0.0))
            self.use_ratio[cat] = ipywidgets.Checkbox(value=cat in bp.ratios, description="按费用率", indent=False)
            # shown on the slider's grid (as the browser shows it); the exact ratio is kept until the slider moves
            shown = round(round(min(max(ratio0, 0.0), 0.3) / _RATIO_STEP) * _RATIO_STEP, 6)
            self.ratio[cat] = ipywidgets.FloatSlider(value=shown, min=0.0, max=0.3, step=_RATIO_STEP,
                                                     readout_format=".1%", continuous_update=False)
            self._ratio0[cat], self._slider0[cat] = ratio0, float(self.ratio[cat].value)
            rows.append(ipywidgets.HBox([self.method[cat], self.use_ratio[cat], self.ratio[cat]]))
        self.use_cap = ipywidgets.Checkbox(value=bp.cap_ratio is not None, description="上限 cap", indent=False)
        self.cap = ipywidgets.FloatSlider(value=float(bp.cap_ratio or 0.25), min=0.05, max=0.4, step=0.005,
                                          readout_format=".1%", description="× 目标销售额 revenue",
                                          continuous_update=False, style=style)
        self.price_change = ipywidgets.FloatSlider(value=0.0, min=-0.2, max=0.1, step=0.01, readout_format="+.0%",
                                                   description="价格 price", continuous_update=False, style=style)
        self.volume_change = ipywidgets.FloatSlider(value=0.0, min=-0.3, max=0.1, step=0.01, readout_format="+.0%",
                                                    description="销量 volume", continuous_update=False, style=style)
        self.override = ipywidgets.HTML()
        self.writer = FileWriter()
        self.output = ipywidgets.Output()
        for cat, slider in self.ratio.items():
            slider.observe(lambda change, cat=cat: self._on_ratio(cat), names="value")
        for w in (*self.method.values(), *self.use_ratio.values(), self.use_cap, self.cap,
                  self.price_change, self.volume_change):
            w.observe(self._on_change, names="value")
        super().__init__(children=[*rows, ipywidgets.HBox([self.use_cap, self.cap, self.price_change,
                                                           self.volume_change]),
                                   self.override, self.writer, self.output], **kwargs)
        self.redraw()

    @staticmethod
    def _long_methods(rb) -> pd.DataFrame:

        return budget.methods_long(rb)

    def _amount(self, cat: str, method: str) -> float:
        long = self._methods_long
        hit = long[(long["category"] == cat) & (long["method"] == method)]
        return float(hit["amount"].sum()) if len(hit) else 0.0

    def _on_change(self, change: Mapping[str, Any]) -> None:
        if not self._quiet:
            self.redraw()

    def _on_ratio(self, cat: str) -> None:
        """A moved ratio slider budgets its category at that ratio (ticks "按费用率")."""
        self._quiet = True
        try:
            self.use_ratio[cat].value = True
        finally:
            self._quiet = False
        self.redraw()

    def _ratio(self, cat: str) -> float:
        """The category's ratio: the slider's, or the exact current one while the slider has not moved."""
        value = float(self.ratio[cat].value)
        return float(self._ratio0[cat]) if value == self._slider0[cat] else round(value, 4)

    def tuned(self) -> dict[str, Any]:
        """The controls' values as :func:`planlib.budget.tune_budget` arguments."""
        return {
            "choices": {c: w.value for c, w in self.method.items()},
            "ratios": {c: self._ratio(c) for c in self.ratio if self.use_ratio[c].value},
            "cap_ratio": round(float(self.cap.value), 4) if self.use_cap.value else None,
            "price_change": round(float(self.price_change.value), 4),
            "volume_change": round(float(self.volume_change.value), 4),
        }

    def _override_values(self, t: Mapping[str, Any]) -> dict[str, Any]:
        """The tuned values that differ from the region's params, by dotted key."""
        bp = self._wb.params.budget
        values: dict[str, Any] = {}
        changed = {c: m for c, m in t["choices"].items() if m != bp.methods.get(c, "percent_of_sales")}
        if changed:
            values["budget.methods"] = {**dict(bp.methods), **changed}
        if t["ratios"] != dict(bp.ratios):
            values["budget.ratios"] = t["ratios"]
        if t["cap_ratio"] != (round(float(bp.cap_ratio), 4) if bp.cap_ratio is not None else None):
            values["budget.cap_ratio"] = t["cap_ratio"]
        return values

    def _override_html(self, t: Mapping[str, Any]) -> str:
        values = self._override_values(t)
        self.writer.show(None)
        if not values:
            return note("与方案设置相同 — the region's own settings; nothing to override.")
        region = self._rb.region
        folder = self._wb.params.region_overrides
        shown = f"params/regions/{region}.yaml"
        try:
            if folder is None:
                text = params.overrides_yaml(values)
                return (note("方案没有区域文件夹（region_overrides）：要长期采用，把以下内容并入区域或情景文件 — the plan "
                             "names no region folder; merge these values into a region or scenario file:")
                        + f"<pre>{html.escape(text)}</pre>")
            proposal = propose(Path(folder) / f"{region}.yaml", shown, values)
        except ParamsError as exc:
            return note(f"无法生成覆盖设置 Cannot write the override: {exc}")
        self.writer.show(proposal)
        return proposal.html(f"要长期采用，{shown} 应为以下全文（可整体粘贴，或核对差异后写入）— the whole region file with "
                             "the tuned values merged in; paste it whole, or check the diff and write it:")

    def redraw(self) -> None:
        """Re-price the budget for the controls' values and replace the output."""
        t = self.tuned()
        self.override.value = self._override_html(t)
        if not len(self._rb.summary):
            self.output.outputs = (html_bundle(note("该区域没有预算 — no budget to tune.")),)
            return
        try:
            table, res = self._costing.tune_budget(
                self._rb.summary, self._methods_long, fixed_categories=self._wb.params.budget.fixed_categories, **t)
        except PlanlibError as exc:
            self.output.outputs = (html_bundle(note(f"无法计算 Cannot price: {exc}")),)
            return
        table = table.assign(category=table["category"].map(labels.CATEGORY_NAMES),
                             method=table["method"].map(lambda x: labels.LABELS.get(x, x)))
        flag = self._costing.FLAG_NAMES.get(res["flag"], res["flag"])
        figures = [("费用预算 budget", f"{res['budget']:,.0f}" + ("（已按上限压缩）" if res["capped"] else "")),
                   ("费用率", f"{res['expense_ratio']:z.1%}"), ("保本销量 BEP", f"{res['bep_units']:,.0f}"),
                   ("利润 profit", f"{res['profit']:,.0f}"), ("利润目标", f"{res['profit_target']:,.0f}"),
                   ("双重检查", flag)]
        kpis = "".join(f'<div class="planlib-kpi"><div>{html.escape(k)}</div><b>{html.escape(v)}</b></div>'
                       for k, v in figures)
        markup = (f'<div class="planlib-kpis {tables.PLAIN_TEXT_CLASS}" style="display:flex;gap:10px;flex-wrap:wrap">{kpis}</div>'
                  + tables.table_html(table, caption="调整后的预算 Tuned budget", labels=labels.LABELS,
                                      formats={"amount": "{:,.0f}"}))
        self.output.outputs = (html_bundle(markup),)


def budget_panel(wb, rb) -> BudgetPanel:
    """
    The budget notebook's panel: each category's method and ratio, the cap, a price and volume change.

    Parameters
    ----------
    wb : Workbook
    rb : RegionBudget
        The region's budget (:func:`planlib.budget.region_budget`).

    Returns
    -------
    BudgetPanel
        Each redraw re-prices with :func:`planlib.budget.tune_budget` (budget, BEP,
        profit and the dual check) and shows the region's file with the tuned values merged
        in and its diff; it writes the file only when the analyst confirms the diff.
    """
    return BudgetPanel(wb, rb)
