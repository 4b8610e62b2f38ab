"""
Scenarios side by side: the same plan run under several sets of assumptions.

Each scenario's run gives, per region, the target volume and revenue, the expense budget,
the profit at the target and the dual check's verdict (``budget_regions.parquet``); this
module lines them up, takes each scenario's difference to the first, and lists the
assumptions (resolved params, dotted keys) whose values differ between the scenarios.
Pure: mappings of frames and dicts in, frames out (the runs are read in
:mod:`planlib.run.compare`).

Public names: MEASURES, FIGURE_COLUMNS, scenario_figures, compare_figures, assumption_diff, headline.
Dotted keys are :func:`planlib.workflow.versions.flatten_params`'s, as the version diff's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from planlib.errors import DataError
from planlib.workflow.versions import flatten_params

__all__ = ["MEASURES", "FIGURE_COLUMNS", "scenario_figures", "compare_figures", "assumption_diff",
           "headline"]

#: The measures compared per region, in order, with their Chinese names and units.
MEASURES: dict[str, str] = {
    "target_volume": "目标销量（箱）",
    "target_revenue": "目标销售额（元）",
    "budget": "费用预算（元）",
    "profit_at_target": "目标下利润（元）",
    "flag": "双重检查",
}
#: Columns of one scenario's figures.
FIGURE_COLUMNS: tuple[str, ...] = ("region_id", "level", *MEASURES)


def scenario_figures(regions: pd.DataFrame) -> pd.DataFrame:
    """
    One scenario's figures per region from its run's budget regions table.

    Parameters
    ----------
    regions : DataFrame
        ``budget_regions.parquet`` (region_id, level, target_volume, target_revenue, budget,
        profit_at_target, flag, …).

    Returns
    -------
    DataFrame
        :data:`FIGURE_COLUMNS`, in the table's order.

    Raises
    ------
    DataError
        If a column is missing (the message names it).
    """
    missing = [c for c in FIGURE_COLUMNS if c not in regions.columns]
    if missing:
        raise DataError(f"budget_regions.parquet: missing columns {missing}; expected {', '.join(FIGURE_COLUMNS)}")
    out = regions[list(FIGURE_COLUMNS)].copy()
    out["region_id"] = out["region_id"].astype(str)
    return out.reset_index(drop=True)


def compare_figures(figures: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """
    Every scenario's figures per region and measure, with each scenario's difference to the first.

    Parameters
    ----------
    figures : mapping
        Scenario label -> :func:`scenario_figures`, in the order to show (the first is the
        reference).

    Returns
    -------
    DataFrame
        region_id, level, measure, then one column per scenario (its value), then one column
        ``Δ <label>`` per later scenario: value − the first's value for the numbers, ``变化``
        where the dual check's verdict differs (empty where the same). Regions in the order
        of the first scenario, then the others' extra regions; a region a scenario lacks has
        NaN there.

    Notes
    -----
    Δ_s(region, measure) = value_s − value_first; a scenario compared with itself gives 0.
    """
    if not figures:
        return pd.DataFrame(columns=["region_id", "level", "measure"])
    labels = list(figures)
    order: list[str] = []
    level: dict[str, str] = {}
    for f in figures.values():
        for r, lv in zip(f["region_id"], f["level"]):
            if r not in level:
                order.append(r)
                level[r] = lv
    idx = {lab: f.set_index("region_id").reindex(order) for lab, f in figures.items()}
    rows = []
    for r in order:
        for m in MEASURES:
            row: dict[str, Any] = {"region_id": r, "level": level[r], "measure": m}
            for lab in labels:
                row[lab] = idx[lab].at[r, m]
            first = row[labels[0]]
            for lab in labels[1:]:
                v = row[lab]
                if m == "flag":
                    row[f"Δ {lab}"] = "变化" if (isinstance(v, str) or isinstance(first, str)) and v != first else ""
                else:
                    row[f"Δ {lab}"] = float(v) - float(first) if pd.notna(v) and pd.notna(first) else np.nan
            rows.append(row)
    return pd.DataFrame(rows, columns=["region_id", "level", "measure", *labels, *(f"Δ {lab}" for lab in labels[1:])])


def _text(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(map(_text, v)) + "]"
    return str(v)


def assumption_diff(resolved: Mapping[str, Mapping[str, Any]], *, ignore: Sequence[str] = ("source_files",)) -> pd.DataFrame:
    """
    The assumptions that differ between scenarios: one row per dotted key, one column per scenario.

    Parameters
    ----------
    resolved : mapping
        Scenario label -> its resolved params (a snapshot's ``resolved_dict()``), in order.
    ignore : sequence of str
        Top-level keys that record where params came from rather than what they are.

    Returns
    -------
    DataFrame
        key, then one column per scenario holding the value as text (``—`` where a scenario
        has no such key); only the keys whose values are not all equal, sorted by key.
    """
    flat = {lab: {k: v for k, v in flatten_params(dict(p)).items() if k.split(".")[0] not in set(ignore)}
            for lab, p in resolved.items()}
    keys = sorted(set().union(*(f.keys() for f in flat.values()))) if flat else []
    rows = []
    for k in keys:
        values = [flat[lab].get(k, None) if k in flat[lab] else _MISSING for lab in flat]
        if any(v != values[0] for v in values[1:]):
            rows.append({"key": k, **{lab: ("—" if v is _MISSING else _text(v)) for lab, v in zip(flat, values)}})
    return pd.DataFrame(rows, columns=["key", *flat])


_MISSING = object()


def headline(comparison: pd.DataFrame, root: str) -> list[tuple[str, str]]:
    """
    The root region's figures per scenario as (label, text) pairs for the page's head.

    Parameters
    ----------
    comparison : DataFrame
        :func:`compare_figures`.
    root : str
        The plan's root region id.
    """
    rows = comparison[comparison["region_id"] == root].set_index("measure")
    if rows.empty:
        return []
    labels = [c for c in comparison.columns[3:] if not str(c).startswith("Δ ")]
    out = []
    for lab in labels:
        vol, prof = rows.at["target_volume", lab], rows.at["profit_at_target", lab]
        out.append((f"{lab}：目标销量 / 目标下利润", f"{vol:,.0f} 箱 / {prof:,.0f} 元" if pd.notna(vol) else "—"))
    return out
