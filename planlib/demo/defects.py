"""
The planted defects of the demo archive, for the quality report to find.

Seven small, deterministic faults in the monthly own sales (:data:`PLANTED_DEFECTS`,
dates given for a history starting in 2023 and shifted with ``start_year``;
:func:`planted_defects` resolves them for a build, naming the terminal where one is
involved; region ids are the small layout's and map to ``P01C001K002`` style
nationally):

(a) ``missing_month`` 平阴县 ``P01C01K02`` × 白酒, 2024-03: the rows are deleted.
(b) ``duplicate_upload`` 中牟县 ``P02C01K01``, 2023-06: every row's volume and revenue doubled.
(c) ``outlier`` in 寿光市 ``P01C02K01``, ``KY-BJ-01``, 2024-06: one terminal's volume ×20.
(d) ``price_typo`` in 正定县 ``P03C01K02``, ``KY-YS-01``, 2023-08: revenue 100 × volume × price.
(e) ``series_stop`` in 偃师区 ``P02C02K01``: one terminal stops buying from 2024-09.
(f) ``level_shift`` 丰县 ``P04C01K01``: volume halves from 2024-05 on.
(g) ``volume_without_revenue`` in 涿州市 ``P03C02K01``, ``KY-DD-01``, 2024-02: revenue 0.

Each entry's ``check`` names the :mod:`planlib.archive.quality` check that should find it.

Public names: :data:`PLANTED_DEFECTS`, :data:`DEFECT_BASE_YEAR`, :func:`planted_defects`,
:func:`resolve_defects`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from planlib.demo.company import OWN_PRODUCTS, SCALES, Company
from planlib.errors import ParamsError

__all__ = ["PLANTED_DEFECTS", "DEFECT_BASE_YEAR", "planted_defects", "resolve_defects"]

#: The year the dates of :data:`PLANTED_DEFECTS` are written for.
DEFECT_BASE_YEAR = 2023

#: The planted defects, for a history starting in 2023 at small scale (see the module
#: docstring). ``check`` is the quality check that should report each one.
PLANTED_DEFECTS: list[dict] = [
    {
        "kind": "missing_month",
        "check": "missing_month",
        "table": "sales",
        "region_id": "P01C01K02",
        "product_line": "白酒",
        "sku": None,
        "date": "2024-03-01",
        "description": "one county's 白酒 own sales for a month are missing (rows deleted)",
    },
    {
        "kind": "duplicate_upload",
        "check": "duplicate_upload",
        "table": "sales",
        "region_id": "P02C01K01",
        "product_line": None,
        "sku": None,
        "date": "2023-06-01",
        "description": "a county-month uploaded twice and summed: every row's volume and revenue doubled",
    },
    {
        "kind": "outlier",
        "check": "outlier",
        "table": "sales",
        "region_id": "P01C02K01",
        "product_line": "白酒",
        "sku": "KY-BJ-01",
        "date": "2024-06-01",
        "description": "one terminal-sku-month volume (and revenue) ×20",
    },
    {
        "kind": "price_typo",
        "check": "unit_price",
        "table": "sales",
        "region_id": "P03C01K02",
        "product_line": "保健酒",
        "sku": "KY-YS-01",
        "date": "2023-08-01",
        "description": "one row's revenue is 100 × volume × price (a misplaced decimal)",
    },
    {
        "kind": "series_stop",
        "check": "series_stop",
        "table": "sales",
        "region_id": "P02C02K01",
        "product_line": None,
        "sku": None,
        "date": "2024-09-01",
        "description": "one terminal stops buying from this month on (all its SKUs)",
    },
    {
        "kind": "level_shift",
        "check": "level_shift",
        "table": "sales",
        "region_id": "P04C01K01",
        "product_line": None,
        "sku": None,
        "date": "2024-05-01",
        "description": "one county's own volume halves from this month on",
    },
    {
        "kind": "volume_without_revenue",
        "check": "volume_without_revenue",
        "table": "sales",
        "region_id": "P03C02K01",
        "product_line": "低度酒",
        "sku": "KY-DD-01",
        "date": "2024-02-01",
        "description": "one row has volume but revenue 0",
    },
]


def _national_id(region_id: str) -> str:
    """Map a small-layout id (P01C01K02) to the national layout (P01C001K002)."""
    p, rest = region_id[:3], region_id[3:]
    if not rest:
        return p
    c, k = rest[1:3], rest[4:6]
    out = f"{p}C{int(c):03d}"
    return out + (f"K{int(k):03d}" if k else "")


def planted_defects(start_year: int = DEFECT_BASE_YEAR, scale: str = "small") -> tuple[dict, ...]:
    """
    Return :data:`PLANTED_DEFECTS` for a history starting in ``start_year``.

    Dates move by ``start_year - 2023`` years; at national scale region ids take the
    three-digit form. Terminals are only known after a build: use
    :attr:`DemoSummary.planted_defects` for those.

    Returns
    -------
    tuple of dict
        New dicts with ``date`` as ``datetime.date``.
    """
    if scale not in SCALES:
        raise ParamsError(f"unknown scale {scale!r}; valid: {', '.join(SCALES)}")
    out = []
    for d in PLANTED_DEFECTS:
        base = dt.date.fromisoformat(d["date"])
        e = dict(d)
        e["date"] = dt.date(start_year + base.year - DEFECT_BASE_YEAR, base.month, 1)
        if scale == "national":
            e["region_id"] = _national_id(d["region_id"])
        e["terminal_id"] = None
        out.append(e)
    return tuple(out)


def resolve_defects(company: Company) -> list[dict]:
    """Pick the terminals of terminal-level defects and make sure they sell the SKU."""
    out = []
    sku_index = {p[0]: i for i, p in enumerate(OWN_PRODUCTS)}
    county_index = {k: i for i, k in enumerate(company.county_ids)}
    for d in planted_defects(company.start_year, company.scale):
        d = dict(d)
        c = county_index[d["region_id"]]
        d["_county"] = c
        d["_month"] = (d["date"].year - company.start_year) * 12 + d["date"].month - 1
        if d["kind"] in {"outlier", "price_typo", "series_stop", "volume_without_revenue"}:
            wanted = {1} if d["kind"] == "outlier" else {2}
            cand = np.flatnonzero((company.t_county == c) & np.isin(company.t_class, list(wanted)))
            if len(cand) == 0:
                cand = np.flatnonzero(company.t_county == c)
            t = int(cand[0])
            d["_terminal"] = t
            d["terminal_id"] = company.t_ids[t]
            if d["sku"] is not None:
                company.sku_mask[t, sku_index[d["sku"]]] = True
            if d["kind"] == "outlier":
                # a steady B-class level makes the ×20 stand out as it would in real data
                company.t_level[t] = max(company.t_level[t], 10.0)
        out.append(d)
    return out
