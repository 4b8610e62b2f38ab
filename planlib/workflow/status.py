"""
Region statuses as a fold over the audit log, and the rules of review and approval.

A region moves not_submitted → submitted → returned | approved → locked (未提交 / 已提交 /
已退回 / 已批准 / 已锁定). A parent is approved only when its children are; approving a
parent freezes its subtree (no later submit or return in it); a return names what to change.

Public functions: STATUSES, region_status, refusal, status_table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from planlib.labels import WORKFLOW_STATUS_NAMES

__all__ = ["STATUSES", "region_status", "refusal", "status_table"]

STATUSES: tuple[str, ...] = ("not_submitted", "submitted", "returned", "approved", "locked")

_COLUMNS = ["region_id", "status", "by", "at", "version", "note"]


def region_status(log: Sequence[dict[str, Any]], tree, regions: Sequence[str]) -> pd.DataFrame:
    """
    Each region's status, folded from the audit log.

    Parameters
    ----------
    log : sequence of dict
        The audit records in order (:func:`planlib.workflow.audit.read_log`).
    tree : RegionTree
        The region tree (unused names are ignored).
    regions : sequence of str
        The regions to report, in this order.

    Returns
    -------
    DataFrame
        region_id, status (one of :data:`STATUSES`), by, at (of the step that set the
        status; None when not submitted), version (the latest locked version, for every
        region, or None), note.

    Notes
    -----
    submit → submitted; return → returned; approve → approved; lock vN → every approved
    region becomes locked, and every region's version is vN. ``refused``, ``template`` and
    ``tamper_detected`` lines change no status.
    """
    state: dict[str, dict[str, Any]] = {
        r: {"region_id": r, "status": "not_submitted", "by": None, "at": None, "version": None, "note": ""}
        for r in regions
    }
    version = None
    moves = {"submit": "submitted", "return": "returned", "approve": "approved"}
    for rec in log:
        action = rec.get("action")
        if action in moves and rec.get("region_id") in state:
            state[rec["region_id"]].update(status=moves[action], by=rec["by"], at=rec["at"], note=rec.get("note", ""))
        elif action == "lock":
            version = rec.get("version")
            for s in state.values():
                if s["status"] == "approved":
                    s.update(status="locked", by=rec["by"], at=rec["at"])
    out = pd.DataFrame([state[r] for r in regions], columns=_COLUMNS)
    out["version"] = version
    return out


def _frozen_by(status: dict[str, str], tree, region: str) -> str | None:
    """The approved (or locked) ancestor that froze this region's subtree, or None."""
    node = tree.parent(region)
    while node is not None:
        if status.get(node) in ("approved", "locked"):
            return node
        node = tree.parent(node)
    return None


def refusal(log: Sequence[dict[str, Any]], tree, regions: Sequence[str], region: str, action: str,
            note: str = "") -> str | None:
    """
    Why ``action`` on ``region`` is refused now, or None when it may go ahead.

    Parameters
    ----------
    log : sequence of dict
        The audit records so far.
    tree : RegionTree
    regions : sequence of str
        The plan's workflow regions (the children that must be approved before a parent).
    region : str
    action : {"submit", "approve", "return"}
    note : str
        The return's note (what to change).

    Returns
    -------
    str or None
        The reason, in words that say what to do.

    Notes
    -----
    submit: refused when the region is approved or locked, or an ancestor is (its subtree is
    frozen). approve: refused unless every child in ``regions`` is approved (or locked), and
    a region without such children must have submitted. return: refused without a note,
    when not submitted, or when frozen by an ancestor's approval or a lock.
    """
    if region not in set(regions):
        return f"{region} is not one of the plan's workflow regions"
    st = region_status(log, tree, regions)
    status = dict(zip(st["region_id"], st["status"]))
    mine = status[region]
    frozen = _frozen_by(status, tree, region)
    label = WORKFLOW_STATUS_NAMES
    if action == "submit":
        if frozen:
            return f"{region}'s parent {frozen} is approved: its subtree is frozen, no new submission"
        if mine in ("approved", "locked"):
            return f"{region} is {label[mine]} ({mine}); a new submission needs a return first"
        return None
    if action == "approve":
        kids = [k for k in tree.children(region) if k in status]
        waiting = [k for k in kids if status[k] not in ("approved", "locked")]
        if waiting:
            return (f"{region} cannot be approved before its children: not approved yet "
                    + ", ".join(f"{k} ({label[status[k]]})" for k in waiting))
        if not kids and mine not in ("submitted",):
            return f"{region} has nothing to approve: it is {label[mine]} ({mine}); it must submit first"
        if mine in ("approved", "locked"):
            return f"{region} is already {label[mine]} ({mine})"
        if frozen:
            return f"{region}'s parent {frozen} is approved: its subtree is frozen"
        return None
    if action == "return":
        if not str(note).strip():
            return f"a return names what to change: add --note TEXT (e.g. --note '三月目标偏低，请按上级建议调整')"
        if frozen:
            return f"{region}'s parent {frozen} is approved: its subtree is frozen, no return"
        if mine == "locked":
            return f"{region} is locked in version {st.loc[st['region_id'] == region, 'version'].iloc[0]}"
        if mine not in ("submitted", "approved"):
            return f"{region} is {label[mine]} ({mine}); only a submitted or approved region can be returned"
        return None
    return f"unknown workflow action {action!r}; expected submit, approve or return"


def status_table(status: pd.DataFrame, submitted: pd.Series, top_down: pd.Series,
                 names: dict[str, str] | None = None) -> pd.DataFrame:
    """
    The status board: each region's status with its submission against the top-down number.

    Parameters
    ----------
    status : DataFrame
        :func:`region_status`.
    submitted : Series
        Annual volume of each region's latest accepted submission, by region id.
    top_down : Series
        Annual top-down target volume, by region id.
    names : dict, optional
        Region id -> name.

    Returns
    -------
    DataFrame
        region_id, name, status, label (Chinese), by, at, version, submitted_volume,
        top_down_volume, gap, gap_share.

    Notes
    -----
    gap = submitted − top_down (cases); gap_share = gap / top_down (NaN when top_down is 0
    or either side is missing).
    """
    out = status.copy()
    out.insert(1, "name", [(names or {}).get(r, "") for r in out["region_id"]])
    out.insert(3, "label", out["status"].map(WORKFLOW_STATUS_NAMES))
    out["submitted_volume"] = out["region_id"].map(submitted).astype("float64")
    out["top_down_volume"] = out["region_id"].map(top_down).astype("float64")
    out["gap"] = out["submitted_volume"] - out["top_down_volume"]
    denom = out["top_down_volume"].where(out["top_down_volume"] != 0)
    out["gap_share"] = out["gap"] / denom
    return out.drop(columns=["note"])
