"""
The targets notebook's panel: stretch, blend weights, floor, cap and one hold.

Public names: :data:`SPLIT_WEIGHT_METHODS`, :class:`SplitPanel`, :func:`split_panel`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import ipywidgets

from planlib import labels, params, targets
from planlib.errors import ParamsError, PlanlibError
from planlib.present import plots, tables
from planlib.present.widgets.markup import figure_bundle, html_bundle, note

__all__ = ["SPLIT_WEIGHT_METHODS", "SplitPanel", "split_panel"]

#: Share methods a blend can weigh, with their labels.
SPLIT_WEIGHT_METHODS: dict[str, str] = labels.SPLIT_WEIGHT_NAMES


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
        A hold: one child's volume fixed (``hold_child`` None for no hold).
    override : ipywidgets.HTML
        The YAML override for the tuned values that differ from the plan's, escaped.
    output : ipywidgets.Output
        The figure and the diagnostics table of the last redraw.
    """

    def __init__(self, wb, inputs: targets.SplitInputs, **kwargs: Any) -> None:
        self._wb = wb
        self._inputs = inputs
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
        held = next(((k, v) for k, v in sp.holds.items() if k in inputs.names), (None, 0))
        self.hold_child = ipywidgets.Dropdown(options=[("（不锁定）no hold", None)]
                                              + [(f"{inputs.names[k]} · {k}", k) for k in kids],
                                              value=held[0], description="锁定 Hold", style=style)
        self.hold_volume = ipywidgets.IntText(value=int(held[1]), description="锁定量 volume", style=style)
        self.override = ipywidgets.HTML()
        self.output = ipywidgets.Output()
        controls = [
            ipywidgets.HBox([self.stretch]),
            ipywidgets.HBox(list(self.weights.values())[:2]),
            ipywidgets.HBox(list(self.weights.values())[2:]),
            ipywidgets.HBox([self.use_floor, self.floor, self.use_cap, self.cap]),
            ipywidgets.HBox([self.hold_child, self.hold_volume]),
        ]
        for control in (self.stretch, *self.weights.values(), self.use_floor, self.floor, self.use_cap, self.cap,
                        self.hold_child, self.hold_volume):
            control.observe(self._on_change, names="value")
        super().__init__(children=[*controls, self.override, self.output], **kwargs)
        self.redraw()

    def _on_change(self, change: Mapping[str, Any]) -> None:
        self.redraw()

    def tuned(self) -> dict[str, Any]:
        """The controls' values as :func:`planlib.targets.tune_split` arguments."""
        weights = {m: round(float(w.value), 4) for m, w in self.weights.items() if not w.disabled and w.value > 0}
        hold = (self.hold_child.value, int(self.hold_volume.value)) if self.hold_child.value is not None else None
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
        if t["hold"] is not None and self._hold_planned and sp.holds.get(t["hold"][0]) != t["hold"][1]:
            out["split.holds"] = {**dict(sp.holds), t["hold"][0]: t["hold"][1]}
        return out

    def _override_html(self, t: Mapping[str, Any]) -> str:
        values = self._override_values(t)
        unplanned = ""
        if t["hold"] is not None and not self._hold_planned:
            unplanned = note("下级不在方案的分解层级内，锁定仅供推演 — these children are below the plan's levels "
                              "(scope.levels): a hold here is for exploring only and has no override.")
        if not values:
            return unplanned + note("与方案设置相同 — the plan's own settings; nothing to override.")
        return unplanned + self._override_text(values)

    def _override_text(self, values: Mapping[str, Any]) -> str:
        if not values:
            return note("与方案设置相同 — the plan's own settings; nothing to override.")
        try:
            text = params.overrides_yaml(values)
        except ParamsError as exc:
            return note(f"无法生成覆盖设置 Cannot write the override: {exc}")
        where = ("目标在方案根部一次设定并逐级分解：要长期采用，把以下内容加入方案文件或情景文件（params/scenarios/<name>.yaml）"
                 "— targets are set once at the plan's root and split down: to keep these values, add them to the "
                 "plan file or a scenario file; this panel writes none:")
        return note(where) + f"<pre>{html.escape(text)}</pre>"

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
        std = f"{fair['std']:.1%}" if fair["std"] == fair["std"] else "n/a"
        reading = (f"合计 {fair['total']:,.0f}，恰等于各下级之和 {diag['target'].sum():,.0f}；隐含增长标准差 {std}"
                   + (f"；{beyond} 个下级超出潜力" if beyond else "") + "。")
        table = tables.table_html(diag.drop(columns=["beyond_potential"]), caption="调整后的下级分解与诊断",
                                  labels=labels.SPLIT_LABELS, formats=labels.SPLIT_FORMATS)
        self.output.outputs = (figure_bundle(fig), html_bundle(note(reading) + table))


def split_panel(wb, inputs: targets.SplitInputs) -> SplitPanel:
    """
    The targets notebook's panel: stretch, blend weights, floor, cap and one hold, redrawn on change.

    Parameters
    ----------
    wb : Workbook
        From :func:`planlib.present.workbook.open_workbook`.
    inputs : SplitInputs
        The region's children's history (:func:`planlib.targets.split_inputs`), read once.

    Returns
    -------
    SplitPanel
        Each redraw re-splits the region's target with :func:`planlib.targets.tune_split`
        (exact, every constraint held or an error naming the conflict), draws the children
        against last year and potential, tabulates the diagnostics and shows the YAML
        override of the values that differ from the plan's. It writes no file.
    """
    return SplitPanel(wb, inputs)

