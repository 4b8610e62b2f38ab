"""
A scheme applied to a distribution of units: who takes part, what each gets, what it costs,
how that moves with the amounts, and how it falls on the months. Whether it pays is
:mod:`planlib.promotions.economics`.

The distribution is a tidy frame, one row per unit (or per unit and month): customers,
terminals, branches or salespeople with their amounts and counts — last year's own, from
:func:`planlib.archive.queries.promotions.promotion_units`, or a hand-made list.

Public names
------------
cost_scheme       per unit rewards, tickets, prizes, tiers, forfeits; totals, uptake and cost
SchemeCost        what cost_scheme returns
cost_range        uptake and cost with the amounts moved by ±x% (the sensitivity range)
month_profile     how a scheme's weight falls on the plan's months (for phasing its cost)
UNIT_COLUMNS      the distribution's columns
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planlib.errors import DataError, ParamsError
from planlib.hierarchy import RegionTree
from planlib.promotions.rules import CUSTOMERS, DISCOUNT, Eligibility, Rule, Scheme
from planlib.rounding import round_to_total

__all__ = [
    "UNIT_COLUMNS",
    "SchemeCost",
    "cost_scheme",
    "cost_range",
    "month_profile",
]

#: The distribution's columns: ``unit_id`` (required); ``region_id``, ``channel``,
#: ``customer`` (``new``/``existing``), needed when the scheme's eligibility reads them;
#: ``month`` (1-12, optional: rows per unit and month); and one numeric column per measure
#: the scheme reads (``amount``, ``count``, ``volume`` …).
UNIT_COLUMNS = ("unit_id", "region_id", "channel", "customer", "month")
_ATTRS = ("region_id", "channel", "customer")
_CENTS = 100  # thresholds and steps compare at the cent (and the hundredth of a count)


# ---------------------------------------------------------------------------------
# The distribution
# ---------------------------------------------------------------------------------
def _needs(scheme: Scheme) -> set[str]:
    """The attribute columns the scheme's eligibility reads."""
    ruled = [scheme.eligible, *(r.eligible for r in scheme.rules)]
    need = set()
    if any(e.regions for e in ruled):
        need.add("region_id")
    if any(e.channels for e in ruled):
        need.add("channel")
    if any(set(e.customers) != set(CUSTOMERS) for e in ruled):
        need.add("customer")
    return need


def _rows(mask: np.ndarray, frame: pd.DataFrame) -> str:
    idx = frame.index[mask]
    shown = ", ".join(map(str, idx[:10]))
    return shown + (f" … ({len(idx)} rows)" if len(idx) > 10 else "")


def _check_units(units: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """The distribution's rows, validated; DataError naming column, rows and what is expected."""
    if not isinstance(units, pd.DataFrame):
        raise DataError(f"units must be a DataFrame, got {type(units).__name__}")
    missing = [c for c in ("unit_id", *sorted(_needs(scheme)), *scheme.measures()) if c not in units.columns]
    if missing:
        raise DataError(f"units: missing column {', '.join(missing)}; expected unit_id, the measures the scheme "
                        f"reads ({', '.join(scheme.measures())}) and the columns its eligibility reads")
    keep = [c for c in (*UNIT_COLUMNS, *scheme.measures()) if c in units.columns]
    out = units[keep].copy()
    ids = out["unit_id"]
    if ids.isna().any():
        empty = _rows(ids.isna().to_numpy(), out)
        raise DataError(f"units: unit_id empty in rows {empty}; expected an id in every row")
    out["unit_id"] = ids.astype(str)
    for col in scheme.measures():
        try:
            values = pd.to_numeric(out[col], errors="raise").to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            raise DataError(f"units: {col} must hold numbers") from None
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            raise DataError(f"units: {col} negative, empty or infinite in rows {_rows(bad, out)}; expected "
                            f"amounts >= 0")
        out[col] = values
    if "customer" in out.columns:
        bad = ~out["customer"].isin(CUSTOMERS).to_numpy()
        if bad.any():
            raise DataError(f"units: customer not new or existing in rows {_rows(bad, out)}; expected new or existing")
    if "month" in out.columns:
        m = pd.to_numeric(out["month"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isin(m, np.arange(1, 13))
        if bad.any():
            raise DataError(f"units: month not 1-12 in rows {_rows(bad, out)}; expected the month number 1-12")
        out["month"] = m.astype(np.int64)
        dup = out.duplicated(["unit_id", "month"]).to_numpy()
        if dup.any():
            raise DataError(f"units: a unit and month twice in rows {_rows(dup, out)}; expected one row per unit "
                            f"and month")
    elif out["unit_id"].duplicated().any():
        raise DataError(f"units: unit_id twice in rows {_rows(out['unit_id'].duplicated().to_numpy(), out)}; "
                        f"expected one row per unit (or a month column)")
    for col in [c for c in _ATTRS if c in out.columns]:
        out[col] = out[col].astype(object).where(out[col].notna(), None)
        varies = out.groupby("unit_id", sort=False)[col].nunique(dropna=False) > 1
        if varies.any():
            raise DataError(f"units: {col} differs between the rows of unit {', '.join(varies.index[varies][:10])}; "
                            f"expected one {col} per unit")
    return out


def _window_weights(start: str | None, end: str | None, year: int | None) -> np.ndarray:
    """Share of each month's days inside [start, end] (12 weights; all 1 without dates)."""
    if year is None:
        return np.ones(12)
    first = datetime.date.fromisoformat(start) if start else datetime.date(year, 1, 1)
    last = datetime.date.fromisoformat(end) if end else datetime.date(year, 12, 31)
    w = np.zeros(12)
    for m in range(1, 13):
        days = calendar.monthrange(year, m)[1]
        lo, hi = max(first, datetime.date(year, m, 1)), min(last, datetime.date(year, m, days))
        w[m - 1] = max(0, (hi - lo).days + 1) / days
    return w


def _scheme_year(scheme: Scheme) -> int | None:
    dates = [d for e in (scheme.eligible, *(r.eligible for r in scheme.rules)) for d in (e.start, e.end) if d]
    return datetime.date.fromisoformat(dates[0]).year if dates else None


def _measures_in(rows: pd.DataFrame, ids: pd.Index, cols: Sequence[str], weights: np.ndarray) -> pd.DataFrame:
    """Each unit's measures over a window: month rows weighted by the window's share of their days."""
    frame = rows[["unit_id", *cols]].copy()
    if "month" in rows.columns:
        frame[list(cols)] = frame[list(cols)].to_numpy() * weights[rows["month"].to_numpy() - 1][:, None]
    return frame.groupby("unit_id", sort=False)[list(cols)].sum().reindex(ids, fill_value=0.0)


def _admits(e: Eligibility, attrs: pd.DataFrame, tree: RegionTree | None) -> np.ndarray:
    ok = np.ones(len(attrs), dtype=bool)
    if set(e.customers) != set(CUSTOMERS):
        ok &= attrs["customer"].isin(e.customers).to_numpy()
    if e.channels:
        ok &= attrs["channel"].isin(e.channels).to_numpy()
    if e.regions:
        regions = set(e.regions)
        if tree is not None:
            regions = {d for r in e.regions if r in tree for d in tree.subtree(r)} | regions
        ok &= attrs["region_id"].isin(regions).to_numpy()
    return ok


# ---------------------------------------------------------------------------------
# One rule
# ---------------------------------------------------------------------------------
def _cents(x) -> np.ndarray:
    return np.rint(np.asarray(x, dtype=float) * _CENTS).astype(np.int64)


def _round_steps(num: np.ndarray, den: int, how: str) -> np.ndarray:
    """num / den as whole steps (integers, exact): floor, half-up round or ceil."""
    if how == "floor":
        return num // den
    if how == "ceil":
        return -((-num) // den)
    return (2 * num + den) // (2 * den)


def _round_quantity(x: np.ndarray, how: str) -> np.ndarray:
    x = np.round(x, 6)  # 0.01 x 30000 is 300, not 299.99999999999997
    out = np.floor(x) if how == "floor" else np.ceil(x) if how == "ceil" else np.floor(x + 0.5)
    return out.astype(np.int64)


def _apply_rule(rule: Rule, m: pd.DataFrame, items: Sequence[str]) -> tuple[np.ndarray, ...]:
    """(qualified, steps, tier index (-1 none), quantities (units x items), discount money) of one rule."""
    value = m[rule.measure].to_numpy()
    v = _cents(value)
    n = len(v)
    qualified = np.ones(n, dtype=bool)
    for col, least in rule.requires.items():
        qualified &= _cents(m[col].to_numpy()) >= _cents(least)
    steps = np.zeros(n, dtype=np.int64)
    tier = np.full(n, -1, dtype=np.int64)
    qty = np.zeros((n, len(items)), dtype=np.int64)
    discount = np.zeros(n)
    if rule.method == "per_step":
        least = rule.minimum if rule.minimum is not None else rule.step
        qualified &= v >= _cents(least)
        steps = np.where(qualified, _round_steps(v, int(_cents(rule.step)), rule.rounding), 0)
        for j, item in enumerate(items):
            qty[:, j] = steps * int(rule.gives.get(item, 0))
    elif rule.method == "per_unit":
        qualified &= v >= _cents(rule.minimum)
        for j, item in enumerate(items):
            qty[:, j] = np.where(qualified, _round_quantity(value * rule.gives.get(item, 0.0), rule.rounding), 0)
    else:
        for i, t in enumerate(rule.tiers):  # a tier without below runs up to the next tier's threshold
            upper = t.below if t.below is not None else rule.tiers[i + 1].at_least if i + 1 < len(rule.tiers) else None
            inside = v >= _cents(t.at_least)
            if upper is not None:
                inside &= v < _cents(upper)
            tier = np.where(inside & qualified, i, tier)
        qualified &= tier >= 0
        for i, t in enumerate(rule.tiers):
            mine = tier == i
            for j, item in enumerate(items):
                qty[mine, j] = int(t.gives.get(item, 0))
            if t.discount:
                discount[mine] = np.round(value[mine] * t.discount, 2)
    qty *= rule.copies
    for j, item in enumerate(items):
        if item in rule.cap:
            qty[:, j] = np.minimum(qty[:, j], int(np.floor(rule.cap[item] + 1e-9)))
    if rule.discount_cap is not None:
        discount = np.minimum(discount, rule.discount_cap)
    return qualified, steps, tier, qty, discount


# ---------------------------------------------------------------------------------
# The scheme
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SchemeCost:
    """
    A scheme costed on a distribution.

    Attributes
    ----------
    scheme : Scheme
    units : DataFrame
        One row per unit, by unit_id: its attributes, ``eligible`` (the scheme admits it),
        each measure over the scheme's dates, ``forfeited``, ``rewarded`` (anything
        given), ``quantity`` (items), ``cost`` (what its rewards cost), ``penalty`` (what
        it pays when forfeiting) and ``net_cost`` = cost − penalty.
    by_rule : DataFrame
        One row per unit a rule admits: ``unit_id, rule, measure, value`` (the measure over
        the rule's dates), ``qualified`` (threshold and requirements met, before forfeits
        and the pool), ``steps`` (per_step), ``tier`` (the tier's label; "" none),
        ``quantity``, ``discount`` (money) and ``cost``.
    rewards : DataFrame
        One row per unit, rule and reward given: ``unit_id, rule, reward, quantity, cost``
        (reward ``discount``: the quantity is the money given).
    totals : DataFrame
        One row per rule and reward: ``rule, reward, units, quantity, cost``.
    summary : dict
        ``units, eligible, rewarded, uptake`` (rewarded / eligible), ``quantity, cost,
        penalty, net_cost``.
    """

    scheme: Scheme
    units: pd.DataFrame
    by_rule: pd.DataFrame
    rewards: pd.DataFrame
    totals: pd.DataFrame
    summary: dict = field(default_factory=dict)


def cost_scheme(scheme: Scheme, units: pd.DataFrame, *, tree: RegionTree | None = None) -> SchemeCost:
    """
    Apply a scheme's rules to a distribution of units.

    Parameters
    ----------
    scheme : Scheme
        A rule table (:func:`planlib.promotions.load_scheme`).
    units : DataFrame
        One row per unit, or per unit and ``month`` (:data:`UNIT_COLUMNS`), with a column
        for every measure the scheme reads. Without a month column the measures are taken
        as the units' own over the scheme's dates.
    tree : RegionTree, optional
        With it, a region of the eligibility stands for its subtree; without it, only
        units booked to that very region are eligible.

    Returns
    -------
    SchemeCost

    Raises
    ------
    DataError
        A column missing, a measure negative or not a number, a month outside 1-12, a
        unit whose region, channel or customer differs between its rows.

    Notes
    -----
    With months, a unit's measure over a window [start, end] is
    x = sum_m x_m * d_m / D_m, d_m the window's days in month m and D_m the month's days.
    Thresholds compare at the hundredth (cents): x qualifies when round(100 x) >=
    round(100 t).

    - per_step: k = floor(x / s) whole steps (``round``: floor(x / s + 1/2); ``ceil``:
      ceil(x / s)) for x >= minimum (default s); quantity = k * g.
    - per_unit: quantity = floor(x * g) (or as rounded) for x >= minimum.
    - tiered: the tier with at_least <= x < its upper bound (``below``, else the next
      tier's at_least, the last none); its gives, and a discount of d * x (money, to the cent).

    Every quantity is multiplied by ``copies``, then cut to the rule's ``cap``; a discount
    is cut to ``discount_cap``. A unit whose measure over the scheme's dates is below a
    forfeit's ``below`` gets nothing and pays its ``penalty``. An item whose total exceeds
    its ``pool`` is cut to the pool by largest remainder over the (unit, rule) rows in
    unit_id order: each gets floor or ceil of its share pool * q_i / sum(q), never more
    than it earned. cost = sum quantity * item cost + discount.
    """
    rows = _check_units(units, scheme)
    ids = pd.Index(sorted(rows["unit_id"].unique()), name="unit_id")
    attrs = rows.drop_duplicates("unit_id").set_index("unit_id").reindex(ids)
    attrs = attrs[[c for c in _ATTRS if c in attrs.columns]]
    year = _scheme_year(scheme)
    in_scheme = _admits(scheme.eligible, attrs, tree)
    items = list(scheme.items)
    price = np.array([scheme.items[k] for k in items], dtype=float)

    blocks = []  # per rule: (rule, admitted mask, qualified, steps, tier, qty, discount, measure values)
    for rule in scheme.rules:
        start, end = scheme.window(rule)
        m = _measures_in(rows, ids, [rule.measure, *rule.requires], _window_weights(start, end, year))
        admitted = in_scheme & _admits(rule.eligible, attrs, tree)
        qualified, steps, tier, qty, discount = _apply_rule(rule, m, items)
        qualified &= admitted
        qty[~qualified] = 0
        discount[~qualified] = 0.0
        blocks.append([rule, admitted, qualified, steps, tier, qty, discount, m[rule.measure].to_numpy()])

    whole = _measures_in(rows, ids, scheme.measures(), _window_weights(*scheme.window(), year))
    forfeited = np.zeros(len(ids), dtype=bool)
    penalty = np.zeros(len(ids))
    for f in scheme.forfeits:
        below = in_scheme & (_cents(whole[f.measure].to_numpy()) < _cents(f.below))
        forfeited |= below
        penalty += np.where(below, f.penalty, 0.0)
    for b in blocks:
        b[5][forfeited] = 0
        b[6][forfeited] = 0.0

    for item, pool in scheme.pool.items():  # the prize pool: demand beyond it cut by largest remainder
        j = items.index(item)
        demand = np.concatenate([b[5][:, j] for b in blocks])
        if demand.sum() > pool:
            cut = np.asarray(round_to_total(demand.astype(float), pool, unit=1), dtype=np.int64)
            for i, b in enumerate(blocks):
                b[5][:, j] = cut[i * len(ids):(i + 1) * len(ids)]

    by_rule, rewards = [], []
    unit_qty = np.zeros(len(ids), dtype=np.int64)
    unit_cost = np.zeros(len(ids))
    for rule, admitted, qualified, steps, tier, qty, discount, value in blocks:
        cost = qty @ price + discount
        unit_qty += qty.sum(axis=1)
        unit_cost += cost
        labels = np.array([""] + [t.label() for t in rule.tiers], dtype=object)[tier + 1]
        by_rule.append(pd.DataFrame({
            "unit_id": ids[admitted], "rule": rule.name, "measure": rule.measure, "value": value[admitted],
            "qualified": qualified[admitted], "steps": steps[admitted], "tier": labels[admitted],
            "quantity": qty.sum(axis=1)[admitted], "discount": discount[admitted], "cost": cost[admitted],
        }))  # fmt: skip
        for j, item in enumerate(items):
            got = qty[:, j] > 0
            rewards.append(pd.DataFrame({"unit_id": ids[got], "rule": rule.name, "reward": item,
                                         "quantity": qty[got, j].astype(float), "cost": qty[got, j] * price[j]}))
        got = discount > 0
        rewards.append(pd.DataFrame({"unit_id": ids[got], "rule": rule.name, "reward": DISCOUNT,
                                     "quantity": discount[got], "cost": discount[got]}))
    by_rule_frame = pd.concat(by_rule, ignore_index=True)
    rewards_frame = pd.concat(rewards, ignore_index=True).astype({"quantity": float, "cost": float})
    rewarded = np.isin(ids, rewards_frame["unit_id"].unique())

    unit_frame = attrs.reset_index()
    unit_frame["eligible"] = in_scheme
    for col in scheme.measures():
        unit_frame[col] = whole[col].to_numpy()
    unit_frame = unit_frame.assign(forfeited=forfeited, rewarded=rewarded, quantity=unit_qty, cost=unit_cost,
                                   penalty=penalty, net_cost=unit_cost - penalty)
    totals = _totals(scheme, rewards_frame, items)
    eligible = int(in_scheme.sum())
    summary = {
        "units": len(ids),
        "eligible": eligible,
        "rewarded": int(rewarded.sum()),
        "uptake": float(rewarded.sum() / eligible) if eligible else 0.0,
        "quantity": int(unit_qty.sum()),
        "cost": float(unit_cost.sum()),
        "penalty": float(penalty.sum()),
        "net_cost": float(unit_cost.sum() - penalty.sum()),
    }
    return SchemeCost(scheme, unit_frame, by_rule_frame, rewards_frame, totals, summary)


def _totals(scheme: Scheme, rewards: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    rows = []
    for rule in scheme.rules:
        mine = rewards[rewards["rule"] == rule.name]
        for reward in [*items, DISCOUNT]:
            r = mine[mine["reward"] == reward]
            if len(r):
                rows.append((rule.name, reward, int(r["unit_id"].nunique()), float(r["quantity"].sum()),
                             float(r["cost"].sum())))
    return pd.DataFrame(rows, columns=["rule", "reward", "units", "quantity", "cost"]).astype(
        {"rule": object, "reward": object, "units": np.int64, "quantity": float, "cost": float})


# ---------------------------------------------------------------------------------
# Sensitivity and phasing
# ---------------------------------------------------------------------------------
def cost_range(scheme: Scheme, units: pd.DataFrame, *, changes: Sequence[float] = (-0.1, 0.0, 0.1),
               measures: Sequence[str] | None = None, tree: RegionTree | None = None) -> pd.DataFrame:
    """
    Uptake and cost of a scheme with the units' measures moved by each change.

    Parameters
    ----------
    scheme, units, tree
        As :func:`cost_scheme`.
    changes : sequence of float, default (-0.1, 0, 0.1)
        Relative changes (−0.1: every amount 10% lower), each above −1.
    measures : sequence of str, optional
        The columns moved; default the measure of the scheme's first rule.

    Returns
    -------
    DataFrame
        One row per change, in the order given: ``change, eligible, rewarded, uptake,
        quantity, cost, penalty, net_cost``.

    Notes
    -----
    x'_i = x_i (1 + c) for every unit i and moved measure; the scheme is costed afresh on
    x'. Counts move like amounts (and may become fractional: thresholds still compare at
    the hundredth).
    """
    cols = list(measures) if measures is not None else [scheme.rules[0].measure]
    unknown = [c for c in cols if c not in scheme.measures()]
    if unknown:
        raise ParamsError(f"measures: the scheme reads no {', '.join(unknown)}; expected some of "
                          f"{', '.join(scheme.measures())}")
    out = []
    for c in changes:
        if isinstance(c, bool) or not isinstance(c, int | float) or not np.isfinite(c) or c <= -1:
            raise ParamsError(f"changes: {c!r} is not a change above -1; expected e.g. -0.1 for 10% lower")
        moved = units.copy()
        for col in cols:
            moved[col] = pd.to_numeric(units[col], errors="coerce") * (1.0 + c)
        s = cost_scheme(scheme, moved, tree=tree).summary
        out.append({"change": float(c), **{k: s[k] for k in ("eligible", "rewarded", "uptake", "quantity", "cost",
                                                               "penalty", "net_cost")}})
    return pd.DataFrame(out)


def month_profile(scheme: Scheme, units: pd.DataFrame, *, measure: str | None = None,
                  tree: RegionTree | None = None) -> pd.DataFrame:
    """
    How a scheme's weight falls on the months: for phasing its cost and lift.

    Parameters
    ----------
    scheme : Scheme
    units : DataFrame
        As :func:`cost_scheme`; with a ``month`` column the eligible units' amounts
        weight the months.
    tree : RegionTree, optional
        As :func:`cost_scheme`.
    measure : str, optional
        Default the measure of the scheme's first rule.

    Returns
    -------
    DataFrame
        ``month`` (1-12) and ``share`` (summing to 1; 0 outside the scheme's dates).

    Notes
    -----
    share_m = w_m X_m / sum_k w_k X_k, w_m the share of month m's days inside the scheme's
    dates and X_m the eligible units' measure in month m; without months (or when the
    eligible measure is 0 throughout) share_m = w_m / sum_k w_k.
    """
    col = measure or scheme.rules[0].measure
    if col not in scheme.measures():
        raise ParamsError(f"measure: the scheme reads no {col}; expected one of {', '.join(scheme.measures())}")
    rows = _check_units(units, scheme)
    w = _window_weights(*scheme.window(), _scheme_year(scheme))
    x = np.zeros(12)
    if "month" in rows.columns:
        attrs = rows.drop_duplicates("unit_id").set_index("unit_id")
        ok = set(attrs.index[_admits(scheme.eligible, attrs, tree)])
        mine = rows[rows["unit_id"].isin(ok)]
        np.add.at(x, mine["month"].to_numpy() - 1, mine[col].to_numpy())
    weight = w * x if (w * x).sum() > 0 else w
    return pd.DataFrame({"month": np.arange(1, 13), "share": weight / weight.sum()})
