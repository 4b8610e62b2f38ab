"""
Consolidation of a parent region: its children's submissions against the top-down split.

The source text's pyramid (DOMAIN §2): the counties write their plan, the city reviews and
consolidates it, level by level. A parent's consolidation puts side by side, per child, the
number the plan split down to it (``targets.parquet``) and the number its manager sent up
(the workflow's submissions), the child's approval status, the reconciled total (approved
submissions count, the others keep the top-down number), the approval trail from the audit
log and the children's action lists rolled up against their budget.

Everything here is pure: frames and records in, frames out (the workflow folder is read in
:mod:`planlib.run.document`).

Public names: APPROVED, planned_children, named, top_down_split, children_against_split,
children_status, reconcile_children, approval_trail, actions_rollup, action_costs,
consolidated_figures, empty_section.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from planlib.errors import DataError
from planlib.targets import BREAKDOWN_COLUMNS

__all__ = [
    "APPROVED",
    "planned_children",
    "named",
    "top_down_split",
    "children_against_split",
    "children_status",
    "reconcile_children",
    "approval_trail",
    "actions_rollup",
    "action_costs",
    "consolidated_figures",
    "empty_section",
]

#: States whose submission counts in the reconciled numbers.
APPROVED: tuple[str, ...] = ("approved", "locked")

def _when(at: Any) -> Any:
    """An audit time as people read it: ``2026-12-02T10:00:00+00:00`` -> ``2026-12-02 10:00``."""
    return at[:16].replace("T", " ") if isinstance(at, str) else at


_BY = {None: (), "month": ("month",), "product_line": ("product_line",)}


def _check_by(by: str | None) -> tuple[str, ...]:
    if by not in _BY:
        raise ValueError(f"by={by!r}: expected None (annual), 'month' or 'product_line'")
    return _BY[by]


def planned_children(tree, region: str, levels: Iterable[str]) -> list[str]:
    """
    A region's children that the plan covers (their level is one of the plan's ``scope.levels``).

    A county's townships are not planned units: a county has no children to consolidate.
    """
    keep = set(levels)
    return [c for c in tree.children(region) if tree.level(c) in keep]


def named(frame: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """A copy of ``frame`` with a ``name`` column after ``region_id`` (the id itself where no name is known)."""
    out = frame.drop(columns=["name"], errors="ignore")
    out.insert(1, "name", [names.get(r, r) for r in out["region_id"].astype(str)])
    return out


def top_down_split(targets: pd.DataFrame, children: Sequence[str], *, by: str | None = None) -> pd.DataFrame:
    """
    The plan's top-down targets of the children: annual, by month or by product line.

    Parameters
    ----------
    targets : DataFrame
        A run's targets table (``targets.parquet``): a row whose breakdown columns are all empty
        is a region's month total; a row with only ``product_line`` set is that line's month.
    children : sequence of str
        The child region ids, in the order wanted.
    by : {None, "month", "product_line"}
        None: one row per child (the year).

    Returns
    -------
    DataFrame
        region_id, [month | product_line], top_down (volume, 箱), top_down_revenue (元). A child
        without rows in the table gets zeros (annual) or no rows (by month/line).
    """
    keys = _check_by(by)
    rest = [c for c in BREAKDOWN_COLUMNS if c in targets.columns and c not in keys]
    rows = targets.loc[targets["region_id"].astype(str).isin(list(children)).to_numpy()]
    rows = rows.loc[rows[rest].isna().all(axis=1).to_numpy()]
    if keys:
        rows = rows.loc[rows[list(keys)].notna().all(axis=1).to_numpy()]
    frame = pd.DataFrame({"region_id": rows["region_id"].astype(str).to_numpy(),
                          **{k: (rows[k].astype(str) if k == "product_line" else rows[k]).to_numpy() for k in keys},
                          "top_down": rows["target_volume"].to_numpy(dtype=float),
                          "top_down_revenue": rows["target_revenue"].to_numpy(dtype=float)})
    out = frame.groupby(["region_id", *keys], sort=False, as_index=False)[["top_down", "top_down_revenue"]].sum()
    if not keys:
        out = out.set_index("region_id").reindex(list(children), fill_value=0.0).reset_index()
    order = {c: i for i, c in enumerate(children)}
    return out.sort_values(["region_id", *keys], key=lambda s: s.map(order) if s.name == "region_id" else s,
                           kind="stable").reset_index(drop=True)


def _submitted(sub_targets: pd.DataFrame, children: Sequence[str], keys: tuple[str, ...]) -> pd.DataFrame:
    missing = [c for c in ("region_id", "volume", "revenue", *keys) if c not in sub_targets.columns]
    if missing:
        raise DataError(f"submissions' targets: missing columns {missing}; expected region_id, month, product_line, "
                        "volume, revenue")
    rows = sub_targets.loc[sub_targets["region_id"].astype(str).isin(list(children)).to_numpy()]
    if keys:
        rows = rows.loc[rows[list(keys)].notna().all(axis=1).to_numpy()]
    frame = pd.DataFrame({"region_id": rows["region_id"].astype(str).to_numpy(),
                          **{k: (rows[k].astype(str) if k == "product_line" else pd.to_datetime(rows[k])).to_numpy()
                             for k in keys},
                          "submitted": rows["volume"].to_numpy(dtype=float),
                          "submitted_revenue": rows["revenue"].to_numpy(dtype=float)})
    return frame.groupby(["region_id", *keys], sort=False, as_index=False)[["submitted", "submitted_revenue"]].sum()


def children_against_split(targets: pd.DataFrame, sub_targets: pd.DataFrame | None, children: Sequence[str], *,
                           by: str | None = None) -> pd.DataFrame:
    """
    Each child's submission against its top-down target: annual, by month or by product line.

    Parameters
    ----------
    targets : DataFrame
        The run's targets table (see :func:`top_down_split`).
    sub_targets : DataFrame or None
        The latest submission of each region (region_id, month, product_line, volume, revenue);
        None or empty: no child has submitted.
    children : sequence of str
        The parent's children, in order.
    by : {None, "month", "product_line"}

    Returns
    -------
    DataFrame
        region_id, [month | product_line], top_down, submitted, gap, gap_pct, top_down_revenue,
        submitted_revenue, revenue_gap. A child that has not submitted has NaN in the submitted
        and gap columns.

    Notes
    -----
    gap = submitted − top_down (箱; positive: the child asks for more than the plan gives it);
    gap_pct = gap / top_down (NaN when top_down is 0); revenue_gap likewise in 元.
    """
    keys = _check_by(by)
    top = top_down_split(targets, children, by=by)
    if sub_targets is None or sub_targets.empty:
        sub = pd.DataFrame(columns=["region_id", *keys, "submitted", "submitted_revenue"])
    else:
        sub = _submitted(sub_targets, children, keys)
    if "month" in keys:
        top["month"] = pd.to_datetime(top["month"])
        sub["month"] = pd.to_datetime(sub["month"])
    out = top.merge(sub, on=["region_id", *keys], how="left" if not keys else "outer", sort=False)
    if keys:
        order = {c: i for i, c in enumerate(children)}
        out = out.sort_values(["region_id", *keys], key=lambda s: s.map(order) if s.name == "region_id" else s,
                              kind="stable").reset_index(drop=True)
    out = out.astype({c: float for c in ("top_down", "top_down_revenue", "submitted", "submitted_revenue")})
    if keys:  # a submitted month or line the plan has no row for: top-down 0; a child that never submitted: NaN
        sent = out["region_id"].isin(set(sub["region_id"]))
        out.loc[:, ["top_down", "top_down_revenue"]] = out[["top_down", "top_down_revenue"]].fillna(0.0)
        out.loc[sent.to_numpy(), ["submitted", "submitted_revenue"]] = \
            out.loc[sent.to_numpy(), ["submitted", "submitted_revenue"]].fillna(0.0)
    top_vol = out["top_down"].to_numpy()
    out["gap"] = out["submitted"] - out["top_down"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["gap_pct"] = np.where(top_vol > 0, out["gap"].to_numpy() / np.where(top_vol > 0, top_vol, 1.0), np.nan)
    out["revenue_gap"] = out["submitted_revenue"] - out["top_down_revenue"]
    return out[["region_id", *keys, "top_down", "submitted", "gap", "gap_pct", "top_down_revenue",
                "submitted_revenue", "revenue_gap"]]


def children_status(status: pd.DataFrame, annual: pd.DataFrame, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """
    Status and gap per child: who moved it last, when, and how far its submission is from the split.

    Parameters
    ----------
    status : DataFrame
        region_id, status, by, at, version, note (:func:`planlib.workflow.status.region_status`).
    annual : DataFrame
        :func:`children_against_split` with ``by=None``.
    names : mapping, optional
        Region id -> name.

    Returns
    -------
    DataFrame
        region_id, name, status, by, at, version, note, top_down, submitted, gap, gap_pct; one row
        per child of ``annual`` (a child missing from ``status`` is ``not_submitted``).
    """
    st = status.set_index("region_id").reindex(annual["region_id"])
    st["status"] = st["status"].fillna("not_submitted")
    out = pd.DataFrame({"region_id": annual["region_id"].to_numpy(),
                        "name": [(names or {}).get(r, r) for r in annual["region_id"]]})
    for c in ("status", "by", "at", "version", "note"):
        out[c] = st[c].to_numpy()
    out["at"] = [_when(a) for a in out["at"]]
    for c in ("top_down", "submitted", "gap", "gap_pct"):
        out[c] = annual[c].to_numpy()
    return out


def reconcile_children(annual: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    """
    The reconciled number of each child: its submission once approved, else the top-down split.

    Parameters
    ----------
    annual : DataFrame
        :func:`children_against_split` with ``by=None``.
    status : DataFrame
        region_id, status (:func:`planlib.workflow.status.region_status`).

    Returns
    -------
    DataFrame
        region_id, status, top_down, submitted, reconciled, reconciled_revenue, basis
        (``submission`` or ``top_down``); the reconciled total is the column's sum.

    Notes
    -----
    reconciled_i = submitted_i if status_i ∈ {approved, locked} and child i submitted, else
    top_down_i (the same rule for revenue). The parent's reconciled total is Σ reconciled_i:
    an approved child's own number replaces its share of the split; submissions still under
    review do not move the total until approved.
    """
    st = status.set_index("region_id")["status"].reindex(annual["region_id"]).fillna("not_submitted").to_numpy()
    use = np.isin(st, APPROVED) & annual["submitted"].notna().to_numpy()
    return pd.DataFrame({
        "region_id": annual["region_id"].to_numpy(),
        "status": st,
        "top_down": annual["top_down"].to_numpy(dtype=float),
        "submitted": annual["submitted"].to_numpy(dtype=float),
        "reconciled": np.where(use, annual["submitted"].to_numpy(dtype=float), annual["top_down"].to_numpy(dtype=float)),
        "reconciled_revenue": np.where(use, annual["submitted_revenue"].to_numpy(dtype=float),
                                       annual["top_down_revenue"].to_numpy(dtype=float)),
        "basis": np.where(use, "submission", "top_down"),
    })


def approval_trail(log: Sequence[Mapping[str, Any]], regions: Iterable[str]) -> pd.DataFrame:
    """
    The audit log's records for these regions and the plan-wide ones (a version's lock), in order.

    Returns
    -------
    DataFrame
        seq, at (``YYYY-MM-DD HH:MM``), by, action, region_id, version, note (one row per record).
    """
    keep = set(regions)
    cols = ["seq", "at", "by", "action", "region_id", "version", "note"]
    rows = [{c: _when(rec.get(c)) if c == "at" else rec.get(c) for c in cols} for rec in log
            if rec.get("region_id") in keep or rec.get("region_id") is None]
    return pd.DataFrame(rows, columns=cols)


def actions_rollup(actions: pd.DataFrame | None, children: Sequence[str],
                   names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """
    The children's action lists (行动计划) in one table: who does what by when, at what cost.

    Parameters
    ----------
    actions : DataFrame or None
        The submissions' actions (region_id, action, owner, due, cost, note).
    children : sequence of str
    names : mapping, optional
        Region id -> name.

    Returns
    -------
    DataFrame
        region_id, name, action, owner, due, cost, note; sorted by due date, then child order.
    """
    cols = ["region_id", "name", "action", "owner", "due", "cost", "note"]
    if actions is None or actions.empty:
        return pd.DataFrame(columns=cols)
    rows = actions.loc[actions["region_id"].astype(str).isin(list(children)).to_numpy()].copy()
    rows["region_id"] = rows["region_id"].astype(str)
    rows["name"] = [(names or {}).get(r, r) for r in rows["region_id"]]
    rows["due"] = pd.to_datetime(rows["due"])
    rows["cost"] = rows["cost"].astype(float)
    order = {c: i for i, c in enumerate(children)}
    rows["_o"] = rows["region_id"].map(order)
    rows = rows.sort_values(["due", "_o"], kind="stable")
    return rows[cols].reset_index(drop=True)


def action_costs(actions: pd.DataFrame, budget: Mapping[str, float], children: Sequence[str]) -> pd.DataFrame:
    """
    Per child: the number and cost of its actions against its expense budget.

    Parameters
    ----------
    actions : DataFrame
        :func:`actions_rollup`.
    budget : mapping
        Region id -> the child's expense budget (元): the run's budget, or its approved request.
    children : sequence of str

    Returns
    -------
    DataFrame
        region_id, actions, action_cost, budget, cost_share (action_cost / budget; NaN when the
        budget is 0 or unknown).
    """
    n = actions.groupby("region_id")["cost"].agg(["size", "sum"]) if len(actions) else pd.DataFrame(
        columns=["size", "sum"])
    n = n.reindex(list(children))
    out = pd.DataFrame({"region_id": list(children),
                        "actions": n["size"].fillna(0).astype(int).to_numpy(),
                        "action_cost": n["sum"].fillna(0.0).astype(float).to_numpy(),
                        "budget": [float(budget[c]) if c in budget and pd.notna(budget[c]) else np.nan
                                   for c in children]})
    b = out["budget"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cost_share"] = np.where(b > 0, out["action_cost"].to_numpy() / np.where(b > 0, b, 1.0), np.nan)
    return out


def consolidated_figures(reconciled: pd.DataFrame, costs: pd.DataFrame) -> list[tuple[str, str]]:
    """
    The consolidation's headline figures: children submitted and approved, the totals, the actions' cost.

    Parameters
    ----------
    reconciled : DataFrame
        :func:`reconcile_children`.
    costs : DataFrame
        :func:`action_costs`.

    Returns
    -------
    list of (label, formatted value)
        Volumes in 箱, money in 元.

    Notes
    -----
    submitted gap = Σ(submitted_i − top_down_i) over the children that submitted;
    reconciled − top-down = Σ reconciled_i − Σ top_down_i.
    """
    n = len(reconciled)
    sent = reconciled["submitted"].notna()
    approved = np.isin(reconciled["status"], APPROVED)
    top, rec = float(reconciled["top_down"].sum()), float(reconciled["reconciled"].sum())
    gap = float((reconciled["submitted"] - reconciled["top_down"])[sent].sum())
    cost, bud = float(costs["action_cost"].sum()), float(costs["budget"].sum(min_count=1)) if len(costs) else np.nan
    return [
        ("已提交 / 下级数", f"{int(sent.sum())} / {n}"),
        ("已批准（含锁定）", f"{int(approved.sum())} / {n}"),
        ("分配目标合计（箱）", f"{top:,.0f}"),
        ("已提交下级的差距（箱）", f"{gap:+z,.0f}" if sent.any() else "—"),
        ("协调后合计（箱）", f"{rec:,.0f}"),
        ("协调后比分配（箱）", f"{rec - top:+z,.0f}"),
        ("行动计划费用（元）", f"{cost:,.0f}"),
        ("占下级费用预算", f"{cost / bud:z.1%}" if bud and np.isfinite(bud) and bud > 0 else "—"),
    ]


def empty_section(children: Sequence[str]) -> str:
    """
    What a consolidation section says when it has nothing to show: no children in the plan's
    levels, or children that have not submitted (no workflow folder yet).
    """
    if not children:
        return "本区域在方案的层级内没有下级区域，本节不适用。"
    return "下级尚未提报（还没有审批工作目录），本节暂无内容。"
