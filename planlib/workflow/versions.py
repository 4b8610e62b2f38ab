"""
Locked versions (v1, v2, …): naming, checking their files, and what moved between two.

A version freezes a run's resolved params, targets, budget and reports with their sha256
(:mod:`planlib.run.workflow_files` copies the files). Here: the next version's name, the
files that no longer match their hashes, and the difference between two versions — per
region and month the target volume, revenue, budget and (per year) profit, and the
assumptions (the resolved params, as dotted keys) that changed.

Public functions: version_name, next_version, altered_files, flatten_params, diff_params,
diff_results.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from planlib.errors import WorkflowError

__all__ = ["version_name", "next_version", "altered_files", "flatten_params", "diff_params", "diff_results",
           "MEASURES"]

_VERSION = re.compile(r"v([1-9][0-9]{0,5})")

#: The measures a diff compares, in order.
MEASURES: tuple[str, ...] = ("target_volume", "target_revenue", "budget", "profit")


def version_name(text: str) -> str:
    """``text`` checked as a version name (``v1``, ``v2``, …), else WorkflowError."""
    if not isinstance(text, str) or not _VERSION.fullmatch(text):
        raise WorkflowError(f"{text!r} is not a version; expected v1, v2, … (`planlib plan log` lists them)")
    return text


def next_version(existing: Sequence[str]) -> str:
    """The version after the highest of ``existing`` (``v1`` when there is none)."""
    nums = [int(m.group(1)) for v in existing if (m := _VERSION.fullmatch(str(v)))]
    return f"v{max(nums, default=0) + 1}"


def altered_files(recorded: Mapping[str, str], actual: Mapping[str, str]) -> list[str]:
    """
    What no longer matches a version's recorded hashes.

    Parameters
    ----------
    recorded : mapping
        relpath -> sha256 as locked (version.json ``files``).
    actual : mapping
        relpath -> sha256 of the files there now.

    Returns
    -------
    list of str
        One sentence per file changed, removed or added, sorted by path.
    """
    out = []
    for rel in sorted(set(recorded) | set(actual)):
        if rel not in actual:
            out.append(f"{rel}: removed")
        elif rel not in recorded:
            out.append(f"{rel}: added after the lock")
        elif recorded[rel] != actual[rel]:
            out.append(f"{rel}: changed (sha256 {recorded[rel][:12]}… locked, {actual[rel][:12]}… now)")
    return out


def flatten_params(data: Any, prefix: str = "") -> dict[str, Any]:
    """
    A params mapping as dotted keys (``split.holds.P01C01``); lists stay whole values.

    Examples
    --------
    >>> flatten_params({"targets": {"stretch": 0.05, "unit": 1}, "year": 2027})
    {'targets.stretch': 0.05, 'targets.unit': 1, 'year': 2027}
    """
    if isinstance(data, Mapping):
        out: dict[str, Any] = {}
        for k, v in data.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            if isinstance(v, Mapping) and v:
                out.update(flatten_params(v, key))
            else:
                out[key] = v
        return out
    return {prefix: data}


def diff_params(before: Mapping[str, Mapping], after: Mapping[str, Mapping]) -> pd.DataFrame:
    """
    The assumptions that changed between two versions.

    Parameters
    ----------
    before, after : mapping
        Region id -> that region's resolved params (the parsed ``params.resolved.yaml``).

    Returns
    -------
    DataFrame
        key (dotted), before, after (as text; None where absent), regions (the region ids
        where this change happened, comma-separated, sorted), one row per distinct change,
        sorted by key.

    Notes
    -----
    Keys whose value is a file's own record of itself (``params_hash``, ``snapshot``
    bookkeeping) are compared like any other: a snapshot records only params.
    """
    changes: dict[tuple[str, str, str], list[str]] = {}
    for region in sorted(set(before) | set(after)):
        a = flatten_params(before.get(region) or {})
        b = flatten_params(after.get(region) or {})
        for key in sorted(set(a) | set(b)):
            va, vb = a.get(key), b.get(key)
            if va != vb:
                sa = None if key not in a else repr(va) if not isinstance(va, str) else va
                sb = None if key not in b else repr(vb) if not isinstance(vb, str) else vb
                changes.setdefault((key, sa, sb), []).append(region)
    rows = [(k, sa, sb, ", ".join(sorted(rs))) for (k, sa, sb), rs in changes.items()]
    out = pd.DataFrame(rows, columns=["key", "before", "after", "regions"], dtype=object)
    return out.sort_values(["key", "regions"], ignore_index=True)  # object: an absent side stays None


def _totals(targets: pd.DataFrame | None) -> pd.DataFrame:
    """The region-month total rows of a targets table (every breakdown column empty)."""
    if targets is None or targets.empty:
        return pd.DataFrame(columns=["region_id", "month", "target_volume", "target_revenue"])
    kinds = [c for c in ("product_line", "sku", "channel", "terminal_class", "terminal_id", "distributor_id")
             if c in targets.columns]
    t = targets[targets[kinds].isna().all(axis=1)] if kinds else targets
    out = t[["region_id", "month", "target_volume", "target_revenue"]].copy()
    out["region_id"] = out["region_id"].astype(str)
    out["month"] = pd.to_datetime(out["month"]).dt.date
    return out.groupby(["region_id", "month"], as_index=False)[["target_volume", "target_revenue"]].sum()


def _budget(budget: pd.DataFrame | None) -> pd.DataFrame:
    if budget is None or budget.empty:
        return pd.DataFrame(columns=["region_id", "month", "budget"])
    b = budget.copy()  # a planning unit's terminal rows are its own (channel fees per terminal): all add up
    b["region_id"] = b["region_id"].astype(str)
    b["month"] = pd.to_datetime(b["month"]).dt.date
    return b.groupby(["region_id", "month"], as_index=False)["amount"].sum().rename(columns={"amount": "budget"})


def _long(targets, budget, regions) -> pd.DataFrame:
    t = _totals(targets)
    b = _budget(budget)
    monthly = t.merge(b, on=["region_id", "month"], how="outer")
    long = monthly.melt(id_vars=["region_id", "month"], value_vars=["target_volume", "target_revenue", "budget"],
                        var_name="measure", value_name="value")
    if regions is not None and not regions.empty and "profit" in regions.columns:
        p = pd.DataFrame({"region_id": regions["region_id"].astype(str), "month": None, "measure": "profit",
                          "value": regions["profit"].astype("float64")})
        long = pd.concat([long, p], ignore_index=True) if len(long) else p
    return long


def diff_results(before: Mapping[str, pd.DataFrame | None], after: Mapping[str, pd.DataFrame | None]) -> pd.DataFrame:
    """
    What moved between two versions, per region and month.

    Parameters
    ----------
    before, after : mapping
        ``{"targets": targets table, "budget": budget table, "regions": budget regions
        table}`` of each version (a missing or None table: nothing of that kind).

    Returns
    -------
    DataFrame
        region_id, month (a date; None for the year's profit), measure (one of
        :data:`MEASURES`), before, after, change — only the rows that moved (a side without
        the row counts as missing, NaN), sorted by region, measure and month.

    Notes
    -----
    Monthly: target_volume and target_revenue from the region's total rows (every
    breakdown empty), budget = Σ amount over every row of the region and month
    (categories, items, terminals). Yearly: profit from the budget's region table.
    change = after − before; a change under 0.005 (a cent) is not a move.
    """
    a = _long(before.get("targets"), before.get("budget"), before.get("regions"))
    b = _long(after.get("targets"), after.get("budget"), after.get("regions"))
    key = ["region_id", "month", "measure"]
    for f in (a, b):
        f["month"] = f["month"].astype(object).where(f["month"].notna(), None)
    m = a.rename(columns={"value": "before"}).merge(b.rename(columns={"value": "after"}), on=key, how="outer")
    m["before"] = m["before"].astype("float64")
    m["after"] = m["after"].astype("float64")
    m["change"] = m["after"] - m["before"]
    moved = (m["change"].abs() >= 0.005) | (m["before"].isna() != m["after"].isna())
    out = m[moved].copy()
    out["_order"] = out["measure"].map({k: i for i, k in enumerate(MEASURES)})
    out["_month"] = out["month"].map(lambda d: d if d is not None else pd.Timestamp.max.date())
    out = out.sort_values(["region_id", "_order", "_month"]).drop(columns=["_order", "_month"])
    return out[["region_id", "month", "measure", "before", "after", "change"]].reset_index(drop=True)
