"""
A region's submission workbook (上行方式): its layout, and checking what a manager filled in.

The workbook ``planlib plan templates`` writes has four sheets (:data:`SHEETS`): 说明 (which
region, plan and run), 销量目标 (last year and the top-down proposal by month and product
line, beside the region's own volume and revenue), 费用预算 (the budget request by category
and item) and 行动计划 (the action list: what, who, by when, cost, note). Reading the file is
I/O (:mod:`planlib.run.workflow_files`); here its cell values are checked, every bad cell
reported at once with its sheet, row, column letter and what is expected.

Public functions: SHEETS, HEADERS, INPUT_COLUMNS, column_letter, item_choices,
validate_submission, annual_volumes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from planlib.labels import WORKFLOW_LABELS as W
from planlib.schemas import ITEM_CATALOGUE

__all__ = ["SHEETS", "HEADERS", "INPUT_COLUMNS", "ACTION_ROWS", "EXTRA_BUDGET_ROWS", "column_letter", "item_choices",
           "validate_submission", "annual_volumes"]

#: Sheet names by role.
SHEETS: dict[str, str] = {"info": "说明", "targets": "销量目标", "budget": "费用预算", "actions": "行动计划",
                          "choices": "选项"}

#: Header row of each data sheet (row 1), by column.
HEADERS: dict[str, list[str]] = {
    "targets": [W["month"], W["product_line"], W["last_year_volume"], W["proposal_volume"], W["volume"],
                W["revenue"]],
    "budget": [W["category"], W["item"], W["top_down_amount"], W["amount"]],
    "actions": [W["action"], W["owner"], W["due"], W["cost"], W["note"]],
}

#: The columns people fill in (1-based), per data sheet.
INPUT_COLUMNS: dict[str, tuple[int, ...]] = {"targets": (5, 6), "budget": (4,), "actions": (1, 2, 3, 4, 5)}

#: Blank rows offered in the action list, and after the catalogue's items in the budget.
ACTION_ROWS = 30
EXTRA_BUDGET_ROWS = 10

#: The 说明 sheet: (row, label); the value is in column B.
INFO_ROWS: dict[str, int] = {"region_id": 2, "name": 3, "plan_id": 4, "year": 5, "run_id": 6}


def column_letter(col: int) -> str:
    """Excel's letter for a 1-based column number (1 → A, 27 → AA)."""
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def item_choices() -> list[tuple[str, str, str, str]]:
    """
    The expense items a budget request may name.

    Returns
    -------
    list of (category, item, category name, item name)
        The item catalogue (:data:`planlib.schemas.ITEM_CATALOGUE`) in its order.
    """
    return [(cat, code, entry["name_zh"], name) for cat, entry in ITEM_CATALOGUE.items()
            for code, name in entry["items"].items()]


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v))


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or _blank(v):
        return None
    if isinstance(v, (int, float)) and math.isfinite(float(v)):
        return float(v)
    return None


def _date(v: Any) -> dt.date | None:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            return None
    return None


def _rows(sheet: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    return [list(r)[:width] + [None] * (width - len(r)) for r in sheet[1:]]


def validate_submission(sheets: Mapping[str, Sequence[Sequence[Any]]], region: str, plan_year: int,
                        source: str = "submission.xlsx") -> tuple[dict[str, pd.DataFrame], list[dict[str, Any]]]:
    """
    Check a filled submission workbook and turn it into tidy frames.

    Parameters
    ----------
    sheets : mapping
        Sheet name -> rows of cell values as read (row 1 the header), e.g. openpyxl's
        ``iter_rows(values_only=True)`` with cached values.
    region : str
        The region submitting (``--region``); the 说明 sheet must name the same one.
    plan_year : int
        Months and due dates must lie in it.
    source : str
        The file's name, for the problems.

    Returns
    -------
    (dict, list of dict)
        ``{"targets", "budget", "actions"}`` frames in the workflow's contract (targets:
        region_id, month, product_line, volume, revenue; budget: region_id, category, item,
        amount; actions: region_id, action, owner, due, cost, note) — empty when there are
        problems — and the problems: file, sheet, row, column (letter), value, expected.

    Notes
    -----
    Every cell is checked before anything is returned: a file is taken whole or not at
    all. Volumes are whole numbers of cases ≥ 0; revenue, amounts and costs numbers ≥ 0
    (元); a budget row's category and item come from the item catalogue, the item in its
    category; an action row that has anything must have 事项, 负责人 and a 完成日期 in the
    plan year; blank action and extra budget rows are skipped.
    """
    problems: list[dict[str, Any]] = []

    def bad(sheet: str, row: int, col: int, value: Any, expected: str) -> None:
        problems.append({"file": source, "sheet": sheet, "row": row, "column": column_letter(col),
                         "value": None if _blank(value) else str(value), "expected": expected})

    missing = [SHEETS[k] for k in ("info", "targets", "budget", "actions") if SHEETS[k] not in sheets]
    if missing:
        problems.append({"file": source, "sheet": ", ".join(missing), "row": None, "column": None, "value": None,
                         "expected": "the sheets of the template `planlib plan templates` wrote (missing: "
                                     + ", ".join(missing) + ")"})
        return {}, problems
    for role in ("targets", "budget", "actions"):
        name = SHEETS[role]
        header = [None if _blank(v) else str(v).strip() for v in (list(sheets[name][0]) if sheets[name] else [])]
        want = HEADERS[role]
        for c, h in enumerate(want, start=1):
            got = header[c - 1] if c - 1 < len(header) else None
            if got != h:
                bad(name, 1, c, got, f"the header {h!r} of the template")
    info = list(sheets[SHEETS["info"]])
    row = INFO_ROWS["region_id"]
    got = info[row - 1][1] if len(info) >= row and len(info[row - 1]) > 1 else None
    if _blank(got) or str(got).strip() != region:
        bad(SHEETS["info"], row, 2, got, f"the region id {region} (this is another region's workbook, or --region "
                                         "is wrong)")
    if problems:
        return {}, problems

    # 销量目标
    sheet = SHEETS["targets"]
    targets = []
    for r, vals in enumerate(_rows(sheets[sheet], 6), start=2):
        if all(_blank(v) for v in vals):
            continue
        month, line, _, _, vol, rev = vals
        m = _date(month)
        if m is None or m.year != plan_year or m.day != 1:
            bad(sheet, r, 1, month, f"the first day of a month in {plan_year} (the template's month)")
        if _blank(line):
            bad(sheet, r, 2, line, "the product line of the template")
        v = _number(vol)
        if v is None or v < 0 or v != int(v):
            bad(sheet, r, 5, vol, "a whole number of cases ≥ 0 (箱)")
        x = _number(rev)
        if x is None or x < 0:
            bad(sheet, r, 6, rev, "an amount ≥ 0 (元)")
        if m is not None and v is not None and x is not None:
            targets.append((region, pd.Timestamp(m), str(line).strip(), int(v) if v == int(v) else v, x))
    if not targets and not any(p["sheet"] == sheet for p in problems):
        bad(sheet, 2, 5, None, "the months and product lines of the template, each with a volume")

    # 费用预算
    sheet = SHEETS["budget"]
    cats = {entry["name_zh"]: cat for cat, entry in ITEM_CATALOGUE.items()} | {c: c for c in ITEM_CATALOGUE}
    budget = []
    for r, vals in enumerate(_rows(sheets[sheet], 4), start=2):
        cat_name, item_name, _, amount = vals
        if _blank(cat_name) and _blank(item_name) and _blank(amount):
            continue
        cat = cats.get(str(cat_name).strip()) if not _blank(cat_name) else None
        if cat is None:
            bad(sheet, r, 1, cat_name, "one of the categories " + "、".join(e["name_zh"] for e in ITEM_CATALOGUE.values()))
            continue
        items = ITEM_CATALOGUE[cat]["items"]
        by_name = {n: c for c, n in items.items()} | {c: c for c in items}
        item = by_name.get(str(item_name).strip()) if not _blank(item_name) else None
        if item is None:
            bad(sheet, r, 2, item_name, f"an item of {ITEM_CATALOGUE[cat]['name_zh']}: " + "、".join(items.values()))
        a = 0.0 if _blank(amount) else _number(amount)
        if a is None or a < 0:
            bad(sheet, r, 4, amount, "an amount ≥ 0 (元), or empty for none")
        elif item is not None:
            budget.append((region, cat, item, a))

    # 行动计划
    sheet = SHEETS["actions"]
    actions = []
    for r, vals in enumerate(_rows(sheets[sheet], 5), start=2):
        if all(_blank(v) for v in vals):
            continue
        what, owner, due, cost, note = vals
        if _blank(what):
            bad(sheet, r, 1, what, "what is to be done (事项), for a row that has anything")
        if _blank(owner):
            bad(sheet, r, 2, owner, "who is responsible (负责人)")
        d = _date(due)
        if d is None or d.year != plan_year:
            bad(sheet, r, 3, due, f"a date in {plan_year} (完成日期)")
        c = 0.0 if _blank(cost) else _number(cost)
        if c is None or c < 0:
            bad(sheet, r, 4, cost, "an amount ≥ 0 (元), or empty for none")
        if not (_blank(what) or _blank(owner)) and d is not None and c is not None:
            actions.append((region, str(what).strip(), str(owner).strip(), d, c, "" if _blank(note) else str(note)))

    if problems:
        return {}, problems
    t = pd.DataFrame(targets, columns=["region_id", "month", "product_line", "volume", "revenue"])
    t["volume"] = t["volume"].astype("int64")
    t["revenue"] = t["revenue"].astype("float64")
    t["month"] = pd.to_datetime(t["month"]).dt.date
    b = pd.DataFrame(budget, columns=["region_id", "category", "item", "amount"]).astype({"amount": "float64"})
    b = b.groupby(["region_id", "category", "item"], as_index=False, sort=False)["amount"].sum()
    a = pd.DataFrame(actions, columns=["region_id", "action", "owner", "due", "cost", "note"])
    a["cost"] = a["cost"].astype("float64")
    return {"targets": t, "budget": b, "actions": a}, problems


def annual_volumes(targets: pd.DataFrame) -> pd.Series:
    """
    Each region's submitted annual volume (cases), by region id.

    Notes
    -----
    The sum of its months over product lines; the template's rows are the region's
    product lines, which add up to its total.
    """
    if targets.empty:
        return pd.Series(dtype="float64", name="volume")
    return targets.groupby("region_id", sort=True)["volume"].sum().astype("float64").rename("volume")
