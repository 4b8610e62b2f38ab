"""
People's targets and actuals: a salesperson carries regions or terminals, and their sums.

A person's rows in the ``people`` table name what they carry (DESIGN.md §4b): one row
with ``terminal_id`` null carries the region as a whole (a city manager); one row per
terminal carries those terminals (a salesperson serving named A/B terminals; the C/D
terminals they serve have no target of their own, the split planning them as one line per
township, so they count in neither the person's target nor actual). Their
targets are the signed plan's rows of what they carry, their actuals the sales recorded
there, month by month; the counted facts of ``person_events`` with a planned counterpart
(``collection`` against ``collection_due``) become measures too. The result is the
``facts`` frame :func:`planlib.tracking.kpi.score` scores.

Public names
------------
person_facts
    The facts frame of every person: entity_kind, entity_id, name, role, month, measure,
    target, actual.
FACT_COLUMNS, TARGET_EVENT_SUFFIXES
    The facts frame's columns; the suffixes that make an event kind a planned figure.
"""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd

from planlib.errors import DataError, PlanWarning
from planlib.hierarchy import RegionTree
from planlib.tracking.milestones import KEY_CLASSES
from planlib.tracking.progress import (
    check_as_of,
    closed_months,
    month_starts,
    plan_year_of,
)

__all__ = ["person_facts", "FACT_COLUMNS", "TARGET_EVENT_SUFFIXES"]

#: The facts frame's columns (``name``, ``role`` and ``level`` may follow).
FACT_COLUMNS: tuple[str, ...] = ("entity_kind", "entity_id", "month", "measure", "target", "actual")
#: An event kind ``<kind>_due`` or ``<kind>_plan`` is the planned figure of the measure ``<kind>``
#: (``collection_due`` the collection planned for the month, ``new_customer_plan`` the new
#: customers planned).
TARGET_EVENT_SUFFIXES: tuple[str, ...] = ("_due", "_plan")

_PEOPLE_COLUMNS = ("person_id", "name", "role", "region_id", "terminal_id")
_SALES_COLUMNS = ("region_id", "month", "terminal_id", "volume", "revenue")
_EVENT_COLUMNS = ("month", "person_id", "kind", "value")
_TARGET_COLUMNS = ("region_id", "level", "month", "terminal_id", "target_volume", "target_revenue")
_BREAKDOWN = ("product_line", "sku", "channel", "terminal_class", "terminal_id", "distributor_id")
_MEASURES = ("volume", "revenue")


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{what}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}")


def _row(people: pd.DataFrame, i: int) -> str:
    """People row ``i`` (0-based position) as the message shows it: 1-based, with its values."""
    r = people.iloc[i]
    values = ", ".join(f"{c}={r[c]!s}" for c in _PEOPLE_COLUMNS if c in people.columns and pd.notna(r[c]))
    return f"people row {i + 1} ({values})"


def _check_people(people: pd.DataFrame, planned: set[str], tree: RegionTree | None) -> pd.DataFrame:
    """The people rows validated: a region in the tree and the plan, one name/role/region per person."""
    _require(people, _PEOPLE_COLUMNS, "people")
    p = people.loc[:, list(_PEOPLE_COLUMNS)].reset_index(drop=True)
    for col in ("person_id", "name", "role", "region_id", "terminal_id"):
        p[col] = p[col].astype("object").where(p[col].notna(), None)
    for i in np.flatnonzero(p["person_id"].isna().to_numpy()):
        raise DataError(f"{_row(p, int(i))}: person_id is empty; expected the person's id")
    for i in np.flatnonzero(p["region_id"].isna().to_numpy()):
        raise DataError(f"{_row(p, int(i))}: person {p.at[int(i), 'person_id']!r} is in no region "
                        "(region_id empty); expected the region id the person works in")
    p["region_id"] = p["region_id"].astype(str)
    for i, region in enumerate(p["region_id"]):
        if tree is not None and region not in tree:
            raise DataError(f"{_row(p, i)}: person {p.at[i, 'person_id']!r}: region_id {region!r} is not in the "
                            "regions tree; expected a region id of the archive's regions table")
        if region not in planned and (tree is None or p.at[i, "terminal_id"] is None):
            raise DataError(f"{_row(p, i)}: person {p.at[i, 'person_id']!r}: region_id {region!r} is not in the "
                            "plan's targets; expected a region of the signed plan")
    for col in ("name", "role", "region_id"):
        n = p.groupby("person_id", sort=False)[col].nunique(dropna=False)
        if (n > 1).any():
            who = str(n.index[n > 1][0])
            rows = ", ".join(str(i + 1) for i in np.flatnonzero((p["person_id"] == who).to_numpy()))
            raise DataError(f"people rows {rows}: person {who!r} has {n[who]} different {col} values; "
                            f"expected one {col} per person")
    both = p.groupby("person_id", sort=False)["terminal_id"].agg(lambda s: s.isna().any() and s.notna().any())
    if both.any():
        who = str(both.index[both][0])
        raise DataError(f"people: person {who!r} carries region {p.loc[p.person_id == who, 'region_id'].iloc[0]!r} "
                        "as a whole (a row without terminal_id) and terminals too; expected either one row "
                        "without terminal_id or one row per terminal")
    dup = p.duplicated(["person_id", "terminal_id"], keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(f"{_row(p, i)}: listed twice; expected one row per person and terminal")
    return p


def _shared(values: pd.DataFrame, carriers: pd.DataFrame, key: str) -> pd.DataFrame:
    """
    Each unit's monthly values shared equally among the people who carry it.

    ``values``: key, month, volume, revenue (one unit per key); ``carriers``: key, person_id.
    Volume is split in whole units and revenue in cents, each summing exactly to the
    unit's value: every carrier gets floor(V / k) and the remainder goes one each to the
    carriers with the lowest person ids (largest remainder with equal quotas).
    """
    c = carriers[[key, "person_id"]].sort_values([key, "person_id"], kind="stable")
    c["k"] = c.groupby(key)["person_id"].transform("size")
    c["pos"] = c.groupby(key).cumcount()
    m = c.merge(values, on=key, how="inner")
    for col, scale in (("volume", 1), ("revenue", 100)):
        whole = m[col].to_numpy(dtype="float64") * scale
        near = np.rint(whole)
        integral = np.abs(whole - near) <= 1e-6 * np.maximum(1.0, np.abs(whole))
        k = m["k"].to_numpy()
        if integral.all():
            q, r = np.divmod(near.astype(np.int64), k)
            m[col] = (q + (m["pos"].to_numpy() < r)) / scale
        else:  # a value off the unit (fractional cases): the plain equal share
            m[col] = m[col].to_numpy(dtype="float64") / k
    return m[["person_id", "month", "volume", "revenue"]]


def _carried_regions(p: pd.DataFrame, actual: pd.DataFrame, tree: RegionTree | None,
                     levels: dict[str, str]) -> pd.DataFrame:
    """(recorded region_id, carried region_id) pairs: a carried region's sales are its subtree's."""
    carried = sorted(set(p.loc[p["terminal_id"].isna(), "region_id"]))
    if tree is None:
        high = [r for r in carried if levels.get(r) in ("hq", "province", "city")]
        if high:
            warnings.warn(f"person_facts without a tree: the sales of {', '.join(high[:5])} "
                          f"({len(high)} region(s) above county) count only rows recorded at that id; "
                          "pass tree= to roll their counties up", PlanWarning, stacklevel=3)
        return pd.DataFrame({"recorded": carried, "carried": carried})
    recorded = set(actual["region_id"].astype(str))
    pairs = [(r, c) for c in carried for r in tree.subtree(c) if r in recorded]
    return pd.DataFrame(pairs or None, columns=["recorded", "carried"])


def _event_measures(events: pd.DataFrame, persons: pd.Index, months: pd.DatetimeIndex) -> pd.DataFrame:
    """Measures from events with a planned counterpart: target = Σ <kind>_due/_plan, actual = Σ <kind>."""
    e = events.loc[events["month"].isin(months)]
    kind = e["kind"].astype(str)
    base = kind.copy()
    is_target = pd.Series(False, index=e.index)
    for suffix in TARGET_EVENT_SUFFIXES:
        hit = kind.str.endswith(suffix) & (kind.str.len() > len(suffix))
        base = base.where(~hit, kind.str[: -len(suffix)])
        is_target |= hit
    planned = pd.DataFrame({"person_id": e["person_id"].astype(str), "measure": base})[is_target.to_numpy()]
    planned = planned.drop_duplicates()
    if planned.empty:
        return pd.DataFrame(columns=["person_id", "month", "measure", "target", "actual"])
    grid = planned.merge(pd.DataFrame({"month": months}), how="cross")
    v = pd.DataFrame({"person_id": e["person_id"].astype(str), "month": e["month"], "measure": base,
                      "target": np.where(is_target, e["value"], 0.0), "actual": np.where(is_target, 0.0, e["value"])})
    sums = v.groupby(["person_id", "month", "measure"], as_index=False)[["target", "actual"]].sum()
    out = grid.merge(sums, on=["person_id", "month", "measure"], how="left").fillna({"target": 0.0, "actual": 0.0})
    return out[out["person_id"].isin(persons)]


def person_facts(
    people: pd.DataFrame,
    targets: pd.DataFrame,
    actual_sales: pd.DataFrame,
    person_events: pd.DataFrame,
    as_of: dt.date,
    *,
    tree: RegionTree | None = None,
    terminals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """
    Every person's monthly targets and actuals: what they carry, summed.

    Parameters
    ----------
    people : DataFrame
        person_id, name, role, region_id, terminal_id (null: the person carries the
        region as a whole; else one row per terminal served).
    targets : DataFrame
        The signed plan's ``results/targets.parquet``: region_id, level, month,
        product_line, sku, channel, terminal_class, terminal_id, distributor_id,
        target_volume, target_revenue.
    actual_sales : DataFrame
        region_id (as recorded), month, terminal_id, volume, revenue (the plan year's own sales).
    person_events : DataFrame
        month, person_id, kind, value.
    as_of : datetime.date
        Inside the plan year; the months closed by then are built (a month is closed
        on its last day; :func:`planlib.tracking.progress.closed_months`).
    tree : RegionTree, optional
        The region tree: people's regions are checked against it and a carried region's
        actuals are its subtree's (sales recorded at its counties and townships). Without
        it, a region's actuals are the rows recorded at its own id (a PlanWarning for a
        carried region above county).
    terminals : DataFrame, optional
        terminal_id, terminal_class: the archive's terminals. A carried C or D terminal has
        no target of its own by design (the split plans a township's C/D terminals as one
        line, :data:`planlib.targets.table.CD_LINE`); with ``terminals`` given, such
        terminals are left out without a warning.

    Returns
    -------
    DataFrame
        entity_kind ("person"), entity_id, name, role, month, measure, target, actual
        (float64), one row per person, closed month and measure: ``volume`` and
        ``revenue`` for everyone, and each event measure of a person with a planned
        counterpart (``collection`` with ``collection_due``); sorted by person, month,
        measure.

    Raises
    ------
    ParamsError
        ``as_of`` outside the plan year.
    DataError
        A missing column; a person in no region, or whose region is not in the tree (or,
        carrying it as a whole, not in the plan's targets) — naming person_id, region_id
        and the people row; a person's rows with different names, roles or regions; a
        person carrying a region and terminals; a row twice; events of a person not in
        ``people``.

    Warns
    -----
    PlanWarning
        A carried terminal no target row carries (other than a C/D terminal, when
        ``terminals`` tells the classes): it is left out of that person's target and actual
        alike (like for like).

    Notes
    -----
    For person p, month m and measure x in (volume, revenue)::

        target(p, m, x) = sum over units u carried by p of target(u, m, x) / k(u)
        actual(p, m, x) = sum over units u carried by p of actual(u, m, x) / k(u)

    A unit is a region carried as a whole (its monthly total row; its actuals are its
    subtree's) or a terminal (its ``terminal_id`` rows; its actuals are the sales rows of
    that terminal). k(u) is the number of people carrying u: a unit carried by two
    people is **shared equally** — volume in whole units, revenue in cents, the
    remainder one unit each to the lowest person ids — so the carriers' figures add up
    exactly to the unit's. A person carrying both a region and terminals is an error
    (the terminals would count twice).

    Event measure x from ``person_events``: target(p, m, x) = Σ value of kinds
    ``x_due`` and ``x_plan``, actual(p, m, x) = Σ value of kind ``x``; built for every
    closed month of a person with any planned value of x.

    Examples
    --------
    A manager carrying county K1 and two salespeople sharing terminal T1 in it: see
    tests/tracking/test_people.py.
    """
    _require(targets, _TARGET_COLUMNS, "targets")
    _require(actual_sales, _SALES_COLUMNS, "actual_sales")
    _require(person_events, _EVENT_COLUMNS, "person_events")
    year = plan_year_of(targets["month"], "targets.month")
    months = month_starts(year)[: closed_months(check_as_of(as_of, year))]
    breakdown = [c for c in _BREAKDOWN if c in targets.columns]
    totals = targets.loc[targets[breakdown].isna().all(axis=1)]
    planned_regions = set(totals["region_id"].astype(str))
    p = _check_people(people, planned_regions, tree)

    unknown = ~person_events["person_id"].astype(str).isin(set(p["person_id"]))
    if unknown.any():
        ids = sorted(set(person_events.loc[unknown, "person_id"].astype(str)))
        raise DataError(f"person_events: {int(unknown.sum())} row(s) of person(s) not in people: "
                        f"{', '.join(ids[:10])}; expected person ids of the people table")

    levels = dict(zip(totals["region_id"].astype(str), totals["level"].astype(str)))
    sales = actual_sales.loc[actual_sales["month"].isin(months)]

    # regions carried as a whole: their monthly totals; their subtree's sales
    reg = totals.loc[totals["month"].isin(months)]
    reg_t = pd.DataFrame({"unit": reg["region_id"].astype(str).to_numpy(), "month": reg["month"].to_numpy(),
                          "volume": reg["target_volume"].to_numpy(dtype="float64"),
                          "revenue": reg["target_revenue"].to_numpy(dtype="float64")})
    pairs = _carried_regions(p, sales, tree, levels)
    s = sales.assign(recorded=sales["region_id"].astype(str)).merge(pairs, on="recorded", how="inner")
    reg_a = s.groupby(["carried", "month"], as_index=False)[["volume", "revenue"]].sum().rename(
        columns={"carried": "unit"})
    reg_carriers = p.loc[p["terminal_id"].isna(), ["region_id", "person_id"]].rename(columns={"region_id": "unit"})

    # terminals: their terminal rows; their sales
    term = targets.loc[targets["terminal_id"].notna()]
    term_ids = set(term["terminal_id"].astype(str))
    term_carriers = p.loc[p["terminal_id"].notna(), ["terminal_id", "person_id"]].rename(columns={"terminal_id": "unit"})
    orphan = ~term_carriers["unit"].isin(term_ids)
    if terminals is not None and orphan.any():
        # every class but the key ones (A, B) is planned as one township line, not terminal by terminal
        lined = terminals.loc[~terminals["terminal_class"].astype(str).isin(KEY_CLASSES), "terminal_id"]
        by_design = orphan & term_carriers["unit"].isin(set(lined.astype(str)))
        term_carriers = term_carriers.loc[~by_design]
        orphan = orphan.loc[~by_design]
    if orphan.any():
        pairs_txt = ", ".join(f"{r.person_id}/{r.unit}" for r in term_carriers.loc[orphan].head(10).itertuples())
        warnings.warn(f"people: {int(orphan.sum())} terminal(s) carried that no target carries ({pairs_txt}); "
                      "left out of those people's targets and actuals", PlanWarning, stacklevel=2)
        term_carriers = term_carriers.loc[~orphan]
    term = term.loc[term["month"].isin(months)]
    term_t = pd.DataFrame({"unit": term["terminal_id"].astype(str).to_numpy(), "month": term["month"].to_numpy(),
                           "volume": term["target_volume"].to_numpy(dtype="float64"),
                           "revenue": term["target_revenue"].to_numpy(dtype="float64")})
    term_t = term_t.groupby(["unit", "month"], as_index=False)[["volume", "revenue"]].sum()
    ts = sales.loc[sales["terminal_id"].notna()]
    term_a = pd.DataFrame({"unit": ts["terminal_id"].astype(str).to_numpy(), "month": ts["month"].to_numpy(),
                           "volume": ts["volume"].to_numpy(dtype="float64"),
                           "revenue": ts["revenue"].to_numpy(dtype="float64")})
    term_a = term_a.groupby(["unit", "month"], as_index=False)[["volume", "revenue"]].sum()

    grid = pd.concat([reg_carriers, term_carriers]).merge(pd.DataFrame({"month": months}), how="cross")
    parts = []
    for side, frames in (("target", (reg_t, term_t)), ("actual", (reg_a, term_a))):
        carriers = (reg_carriers, term_carriers)
        shared = pd.concat([_shared(v.rename(columns={"unit": "key"}), c.rename(columns={"unit": "key"}), "key")
                            for v, c in zip(frames, carriers)])
        sums = shared.groupby(["person_id", "month"], as_index=False)[["volume", "revenue"]].sum()
        long = sums.melt(id_vars=["person_id", "month"], value_vars=list(_MEASURES), var_name="measure",
                         value_name=side)
        parts.append(long)
    base = grid[["person_id", "month"]].drop_duplicates().merge(pd.DataFrame({"measure": list(_MEASURES)}), how="cross")
    for long in parts:
        base = base.merge(long, on=["person_id", "month", "measure"], how="left")
    base = base.fillna({"target": 0.0, "actual": 0.0})

    ev = _event_measures(person_events, pd.Index(p["person_id"].unique()), months)
    facts = pd.concat([base, ev], ignore_index=True)
    who = p.drop_duplicates("person_id").set_index("person_id")
    out = pd.DataFrame({
        "entity_kind": "person",
        "entity_id": facts["person_id"].astype(str).to_numpy(),
        "name": facts["person_id"].map(who["name"]).to_numpy(),
        "role": facts["person_id"].map(who["role"]).to_numpy(),
        "month": pd.to_datetime(facts["month"]).to_numpy(),
        "measure": facts["measure"].astype(str).to_numpy(),
        "target": facts["target"].to_numpy(dtype="float64"),
        "actual": facts["actual"].to_numpy(dtype="float64"),
    })
    return out.sort_values(["entity_id", "month", "measure"], kind="stable").reset_index(drop=True)
