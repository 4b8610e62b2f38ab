"""
The targets notebook's panel: stretch, blend weights, floor, cap and one hold.

Public names: :data:`SPLIT_WEIGHT_METHODS`, :class:`SplitPanel`, :func:`split_panel`.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets
import pandas as pd

from planlib import labels, params, targets
from planlib.errors import ParamsError, PlanlibError
from planlib.present import plots, tables
from planlib.present.widgets.markup import figure_bundle, html_bundle, note
from planlib.present.widgets.override_file import FileWriter, propose

__all__ = ["SPLIT_WEIGHT_METHODS", "SplitPanel", "split_panel"]

#: Share methods a blend can weigh, with their labels.
SPLIT_WEIGHT_METHODS: dict[str, str] = labels.SPLIT_WEIGHT_NAMES

#: The hold dropdown's "no hold" value (a Dropdown whose value is None shows blank).
NO_HOLD = ""

#: Headers of the diagnostics when the trend is last year's growth (no Holt-Winters trend given):
#: "自身趋势" means the reports' Holt-Winters trend only.
_LAST_YEAR_LABELS = {"trend_growth": "去年增长", "growth_vs_trend": "高于去年增长"}


class SplitPanel(ipywidgets.VBox):
    """
    The targets notebook's tuning panel (build it with :func:`split_panel`).

    Attributes
    ----------
    stretch, floor, cap : FloatSlider
        The tuned stretch, floor and cap (× potential); ``use_floor`` / ``use_cap`` switch
        the last two on and off.
    weights : dict of FloatSlider
        The blend's weight per share method (:data:`SPLIT_WEIGHT_METHODS`).
    hold_child, hold_volume : Widget
        A hold: one child's volume fixed (``hold_child`` :data:`NO_HOLD` for no hold). Picking
        a child sets the volume to its current target, so a hold starts from what it has.
    override : ipywidgets.HTML
        The plan file (or the scenario's file) as it would read with the tuned values that
        differ from the plan's merged in, and its diff, escaped.
    writer : FileWriter
        Writes that file after the analyst ticks "checked the diff".
    output : ipywidgets.Output
        The figure and the diagnostics table of the last redraw.
    """

    def __init__(self, wb, inputs: targets.SplitInputs, *, trend: pd.Series | None = None, **kwargs: Any) -> None:
        self._wb = wb
        if trend is not None:  # the reports' Holt-Winters trend growth, child -> fraction
            inputs = dataclasses.replace(inputs, trend=trend.reindex(inputs.last_year.index).astype(float))
        self._inputs = inputs
        self._labels = labels.SPLIT_LABELS if trend is not None else {**labels.SPLIT_LABELS, **_LAST_YEAR_LABELS}
        self._targets: dict[str, int] = {}
        self._held_from: tuple[str, int] | None = None
        self._quiet = False
        sp, tg = wb.params.split, wb.params.targets
        style = {"description_width": "initial"}
        self.stretch = ipywidgets.FloatSlider(value=float(tg.stretch), min=-0.2, max=0.5, step=0.01,
                                              readout_format="+.0%", description="冲刺 Stretch",
                                              continuous_update=False, style=style)
        plan_weights = dict(sp.weights) if sp.method == "blend" else {sp.method: 1.0}
        has_potential = len(inputs.potential) > 0
        self.weights = {
            m: ipywidgets.FloatSlider(value=float(plan_weights.get(m, 0.0)), min=0, max=1, step=0.05,
                                      description=label, continuous_update=False, style=style,
                                      disabled=(m == "potential" and not has_potential))
            for m, label in SPLIT_WEIGHT_METHODS.items()
        }
        self.use_floor = ipywidgets.Checkbox(value=sp.floor is not None, description="下限 Floor", indent=False)
        self.floor = ipywidgets.FloatSlider(value=float(sp.floor if sp.floor is not None else 0.2), min=0, max=1,
                                            step=0.05, readout_format=".0%", continuous_update=False,
                                            description="最多下降 max shrink", style=style)
        self.use_cap = ipywidgets.Checkbox(value=sp.cap is not None, description="上限 Cap", indent=False,
                                           disabled=not has_potential)
        self.cap = ipywidgets.FloatSlider(value=float(sp.cap if sp.cap is not None else 1.0), min=0.2, max=2.0,
                                          step=0.05, readout_format=".2f", continuous_update=False,
                                          description="× 潜力 × potential", style=style, disabled=not has_potential)
        kids = list(inputs.names)
        tree = wb.tree
        self._hold_planned = bool(kids) and tree.level(kids[0]) in wb.params.scope.levels
        held = next(((k, v) for k, v in sp.holds.items() if k in inputs.names), (NO_HOLD, 0))
        self.hold_child = ipywidgets.Dropdown(options=[("（不锁定）no hold", NO_HOLD)]
                                              + [(f"{inputs.names[k]} · {k}", k) for k in kids],
                                              value=held[0], description="锁定 Hold", style=style,
                                              layout=ipywidgets.Layout(width="22em"))
        self.hold_volume = ipywidgets.IntText(value=int(held[1]), description="锁定量 volume", style=style)
        self.override = ipywidgets.HTML()
        self.writer = FileWriter()
        self.output = ipywidgets.Output()
        controls = [
            ipywidgets.HBox([self.stretch]),
            ipywidgets.HBox(list(self.weights.values())[:2]),
            ipywidgets.HBox(list(self.weights.values())[2:]),
            ipywidgets.HBox([self.use_floor, self.floor, self.use_cap, self.cap]),
            ipywidgets.HBox([self.hold_child, self.hold_volume]),
        ]
        for control in (self.stretch, *self.weights.values(), self.use_floor, self.floor, self.use_cap, self.cap,
                        self.hold_volume):
            control.observe(self._on_change, names="value")
        self.hold_child.observe(self._on_hold_child, names="value")
        super().__init__(children=[*controls, self.override, self.writer, self.output], **kwargs)
        self.redraw()

    def _on_change(self, change: Mapping[str, Any]) -> None:
        if not self._quiet:
            self.redraw()

    def _on_hold_child(self, change: Mapping[str, Any]) -> None:
        """A picked child's hold starts from its current target (not 0)."""
        child = change["new"]
        if child != NO_HOLD:
            start = int(self._targets.get(child, 0))
            self._held_from = (child, start)
            self._quiet = True
            try:
                self.hold_volume.value = start
            finally:
                self._quiet = False
        else:
            self._held_from = None
        self.redraw()

    def tuned(self) -> dict[str, Any]:
        """The controls' values as :func:`planlib.targets.tune_split` arguments."""
        weights = {m: round(float(w.value), 4) for m, w in self.weights.items() if not w.disabled and w.value > 0}
        hold = (self.hold_child.value, int(self.hold_volume.value)) if self.hold_child.value != NO_HOLD else None
        return {
            "stretch": round(float(self.stretch.value), 4),
            "weights": weights,
            "floor": round(float(self.floor.value), 4) if self.use_floor.value else None,
            "cap": round(float(self.cap.value), 4) if self.use_cap.value and not self.cap.disabled else None,
            "hold": hold,
        }

    def _override_values(self, t: Mapping[str, Any]) -> dict[str, Any]:
        sp, tg = self._wb.params.split, self._wb.params.targets
        out: dict[str, Any] = {}
        if t["stretch"] != round(float(tg.stretch), 4):
            out["targets.stretch"] = t["stretch"]
        plan_weights = dict(sp.weights) if sp.method == "blend" else {sp.method: 1.0}
        if t["weights"] != {m: round(float(w), 4) for m, w in plan_weights.items() if w > 0}:
            if len(t["weights"]) == 1:
                out["split.method"] = next(iter(t["weights"]))
            elif t["weights"]:
                out["split.method"] = "blend"
                out["split.weights"] = t["weights"]
        if t["floor"] != sp.floor:
            out["split.floor"] = t["floor"]
        if t["cap"] != sp.cap:
            out["split.cap"] = t["cap"]
        if (t["hold"] is not None and self._hold_planned and sp.holds.get(t["hold"][0]) != t["hold"][1]
                and t["hold"] != self._held_from):  # a hold at the target the child already has changes nothing
            out["split.holds"] = {**dict(sp.holds), t["hold"][0]: t["hold"][1]}
        return out

    def _override_html(self, t: Mapping[str, Any]) -> str:
        values = self._override_values(t)
        self.writer.show(None)
        unplanned = ""
        if t["hold"] is not None and not self._hold_planned:
            unplanned = note("下级不在方案的分解层级内，锁定仅供推演 — these children are below the plan's levels "
                              "(scope.levels): a hold here is for exploring only and has no override.")
        if not values:
            return unplanned + note("与方案设置相同 — the plan's own settings; nothing to override.")
        return unplanned + self._override_text(values)

    def _override_text(self, values: Mapping[str, Any]) -> str:
        self.writer.show(None)
        if not values:
            return note("与方案设置相同 — the plan's own settings; nothing to override.")
        p = self._wb.params
        scenario = self._wb.scenario
        try:
            if scenario != params.BASE_SCENARIO and p.scenarios is not None:
                path, shown = Path(p.scenarios) / f"{scenario}.yaml", f"params/scenarios/{scenario}.yaml"
            elif p.source_files:
                path = Path(p.source_files[0])
                shown = f"params/{path.name}"
            else:
                text = params.overrides_yaml(values)
                return (note("没有方案文件可合并 — no plan file to merge into; add these values to the plan or a "
                             "scenario file:") + f"<pre>{html.escape(text)}</pre>")
            proposal = propose(path, shown, values)
        except ParamsError as exc:
            return note(f"无法生成覆盖设置 Cannot write the override: {exc}")
        self.writer.show(proposal)
        return proposal.html(f"目标在方案根部一次设定并逐级分解：要长期采用，{shown} 应为以下全文（可整体粘贴，或核对差异后写入）"
                             "— targets are set once at the plan's root and split down: the whole file with the tuned "
                             "values merged in; paste it whole, or check the diff and write it:")

    def redraw(self) -> None:
        """Re-split for the controls' values and replace the output."""
        t = self.tuned()
        self.override.value = self._override_html(t)
        unit = int(self._wb.params.targets.unit)
        try:
            diag, fair = targets.tune_split(self._inputs, unit=unit, **t)
        except PlanlibError as exc:
            self.output.outputs = (html_bundle(note(f"无法分解 Cannot split: {exc}")),)
            return
        name = self._wb.tree.name(self._inputs.region)
        fig = plots.children_targets(diag, title=f"{name} 下级目标（合计 {fair['total']:,.0f}）")
        beyond = int(diag["beyond_potential"].sum())
        std = f"{fair['std']:z.1%}" if fair["std"] == fair["std"] else "n/a"
        reading = (f"合计 {fair['total']:,.0f}，恰等于各下级之和 {diag['target'].sum():,.0f}；隐含增长标准差 {std}"
                   + (f"；{beyond} 个下级超出潜力" if beyond else "") + "。")
        table = tables.table_html(diag.drop(columns=["beyond_potential"]), caption="调整后的下级分解与诊断",
                                  labels=self._labels, formats=labels.SPLIT_FORMATS)
        self._targets = dict(zip(diag["child"].astype(str), diag["target"].astype(int)))
        self.output.outputs = (figure_bundle(fig), html_bundle(note(reading) + table))


def split_panel(wb, inputs: targets.SplitInputs, *, trend: pd.Series | None = None) -> SplitPanel:
    """
    The targets notebook's panel: stretch, blend weights, floor, cap and one hold, redrawn on change.

    Parameters
    ----------
    wb : Workbook
        From :func:`planlib.present.workbook.open_workbook`.
    inputs : SplitInputs
        The region's children's history (:func:`planlib.targets.split_inputs`), read once.
    trend : Series, optional
        Each child's trend growth as the report shows it (``region_view(...).children``'s
        ``trend_growth`` by ``region_id``: the Holt-Winters baseline over last year − 1),
        labelled 自身趋势. Without it the diagnostics compare with last year's growth
        (``inputs.trend``) and say so (去年增长), so 自身趋势 means one thing in panel and report.

    Returns
    -------
    SplitPanel
        Each redraw re-splits the region's target with :func:`planlib.targets.tune_split`
        (exact, every constraint held or an error naming the conflict), draws the children
        against last year and potential, tabulates the diagnostics and shows the plan's (or
        scenario's) file with the values that differ from the plan's merged in, and its diff;
        it writes the file only when the analyst confirms the diff.
    """
    return SplitPanel(wb, inputs, trend=trend)

