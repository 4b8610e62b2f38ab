"""
Channel fees built terminal by terminal from the split targets (the objective-task method).

DOMAIN.md §6 (Art. 1 §5). The channel category is priced per core (A/B) terminal of the plan:
a per-terminal amount by class for each channel item, an entry fee for each new terminal, and
a year-end rebate on each region's target revenue. :mod:`planlib.budget.methods` dispatches
to it (``objective_task``) and re-exports these names.

Public names
------------
objective_task      channel fees built terminal by terminal from the split targets
terminal_lines      the plan's A/B terminal target lines, the objective task's input
channel_rates       the params' per-terminal channel rates as :func:`objective_task` takes them
channel_fees        a group's terminal fees plus each unit's year-end rebate
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from planlib.budget.inputs import (
    float_column,
    id_column,
    listing,
    number,
    positive_unit,
    require_columns,
)
from planlib.errors import DataError, ParamsError
from planlib.rounding import from_units
from planlib.schemas import catalogue

__all__ = [
    "objective_task",
    "terminal_lines",
    "channel_rates",
    "channel_fees",
]


_PER_NEW_TERMINAL = frozenset({"slotting"})
"""Channel items charged once per new terminal (entry / slotting fees)."""
_ON_TARGET_REVENUE = frozenset({"year_end_rebate"})
"""Channel items set as a fraction of the region's target revenue (distributor-level)."""
_FEE_COLUMNS = ("region_id", "terminal_id", "category", "item", "amount", "method")


def _class_rates(item: str, rate) -> dict[str, float] | float:
    """A per-terminal rate: one amount for every class, or a mapping class -> amount."""
    if isinstance(rate, Mapping):
        if not rate:
            raise ParamsError(f"rates.{item} names no terminal class")
        return {str(c): number(v, f"rates.{item}.{c}", minimum=0.0) for c, v in rate.items()}
    return number(rate, f"rates.{item}", minimum=0.0)


def objective_task(terminal_targets: pd.DataFrame, *, rates: Mapping, unit=0.01, extra=None) -> pd.DataFrame:
    """
    Channel fees built terminal by terminal from the split targets (objective-task method).

    Parameters
    ----------
    terminal_targets : DataFrame
        One row per core (A/B) terminal of the plan: ``region_id`` (the county or
        township), ``terminal_id``, ``terminal_class``, ``is_new`` (bool: the terminal
        did not buy last year, so it pays an entry fee) and, when ``year_end_rebate`` is
        rated, ``target_revenue`` (annual). Rows with no ``terminal_id`` are region-level
        target lines (e.g. the rest sold through distributors): they count for the
        rebate only. Other columns (``target_volume`` …) are ignored.
    rates : mapping
        Channel item -> rate, e.g. ``{"display": {"A": 2400, "B": 1200},
        "promoter_wages": {"A": 36000, "B": 0}, "slotting": {"A": 5000, "B": 3000},
        "year_end_rebate": 0.02}``. ``slotting``: an amount per new terminal by class;
        ``year_end_rebate``: a fraction of the region's target revenue; any other
        channel item (``display``, ``promoter_wages``, ``event_gifts``, a company's own):
        an amount per terminal per year by class. A single number instead of a class
        mapping applies to every class.
    unit : float, default 0.01
        Rounding unit of the amounts (cents).
    extra : mapping, optional
        The company's catalogue extension (see :func:`catalogue`): its channel items
        may be rated too.

    Returns
    -------
    DataFrame
        ``region_id, terminal_id, category, item, amount, method`` with category
        ``"channel"`` and method ``"objective_task"``: one row per terminal and item
        with a positive fee, then one rebate row per region with ``terminal_id``
        missing; sorted by region, terminal, item (catalogue order). Rows whose fee is
        zero are left out.

    Raises
    ------
    DataError
        If a column is missing, a terminal id repeats, a terminal row has no class or
        no ``is_new`` flag, or a target revenue is negative or not a number.
    ParamsError
        If an item is not a channel item (the valid ones are listed), a rate is
        negative or not a number, the rebate fraction is above 1, or a terminal class in
        the frame has no rate for an item (the item, class and terminals are named).

    Notes
    -----
    For terminal t of class c_t in region r, with rates R_i[c]:

    - per-terminal item i: fee_{t,i} = R_i[c_t];
    - slotting: fee_t = R_slotting[c_t] x 1[is_new_t];
    - year_end_rebate: fee_r = rho x sum of target_revenue over region r's rows.

    Each fee is rounded to the unit (half to even); the region's channel budget is the
    sum of its rows.
    """
    what = "terminal_targets"
    u = positive_unit(unit)
    if not isinstance(rates, Mapping):
        raise ParamsError(f"rates must map channel item -> rate, got {type(rates).__name__}")
    channel_items = list(catalogue(extra)["channel"]["items"])
    unknown = [str(i) for i in rates if i not in channel_items]
    if unknown:
        raise ParamsError(f"rates name items that are not channel items: {', '.join(unknown)}; "
                          f"valid items: {', '.join(channel_items)}")  # fmt: skip
    rated = [i for i in channel_items if i in rates]  # catalogue order
    item_rates = {i: _class_rates(i, rates[i]) for i in rated if i not in _ON_TARGET_REVENUE}
    rebate = next((i for i in rated if i in _ON_TARGET_REVENUE), None)
    rho = 0.0
    if rebate:
        rho = number(rates[rebate], f"rates.{rebate}", minimum=0.0)
        if rho > 1:
            raise ParamsError(f"rates.{rebate} is a fraction of target revenue (0.02 for 2%), got {rho:g}")
    required = ["region_id", "terminal_id", "terminal_class", "is_new"] + (["target_revenue"] if rebate else [])
    require_columns(terminal_targets, required, what)
    frame = terminal_targets.reset_index(drop=True)
    regions = id_column(frame, "region_id", what)
    is_terminal = frame["terminal_id"].notna().to_numpy()
    terminals = frame["terminal_id"][is_terminal].astype("str").reset_index(drop=True)
    dup = terminals[terminals.duplicated()].unique()
    if len(dup):
        raise DataError(f"{what}: terminals listed more than once: {listing(dup)}")
    t_region = regions[is_terminal].reset_index(drop=True)
    classes = frame["terminal_class"][is_terminal].reset_index(drop=True)
    no_class = classes.isna().to_numpy()
    if no_class.any():
        raise DataError(f"{what}: terminal_class is missing for terminals {listing(terminals[no_class])}")
    flag_col = frame["is_new"][is_terminal]
    if pd.api.types.is_bool_dtype(flag_col.dtype) and not flag_col.hasnans:
        new = flag_col.to_numpy(dtype=bool)
    else:
        flags = flag_col.to_numpy(dtype=object)
        bad_flag = np.array([not isinstance(f, bool | np.bool_) for f in flags], dtype=bool)
        if bad_flag.any():
            raise DataError(f"{what}: is_new must be True or False; not so for terminals {listing(terminals[bad_flag])}")
        new = flags.astype(bool)
    c_code, c_names = pd.factorize(classes.astype("str"))
    c_names = [str(c) for c in c_names]

    per_class = {}
    problems = []
    for item, rate in item_rates.items():
        if isinstance(rate, dict):
            per_class[item] = np.array([rate.get(c, np.nan) for c in c_names], dtype=float)
        else:
            per_class[item] = np.full(len(c_names), rate)
        absent = np.flatnonzero(np.isnan(per_class[item]))
        if len(absent):
            where = np.isin(c_code, absent)
            problems.append(
                f"rates.{item} has no rate for terminal class {', '.join(c_names[i] for i in absent)} "
                f"(terminals {listing(terminals[where])})"
            )
    if problems:
        raise ParamsError("; ".join(problems))

    # one entry per (terminal, item) with a fee, then one per region with a rebate
    order = {item: n for n, item in enumerate(channel_items)}
    pos, item_no, k = [], [], []
    for item, by_class in per_class.items():
        amount = by_class[c_code] if len(c_code) else np.zeros(0)
        if item in _PER_NEW_TERMINAL:
            amount = np.where(new, amount, 0.0)
        units = np.rint(amount / u).astype(np.int64)
        keep = np.flatnonzero(units > 0)
        pos.append(keep)
        item_no.append(np.full(len(keep), order[item]))
        k.append(units[keep])
    pos = np.concatenate(pos) if pos else np.zeros(0, dtype=np.int64)
    item_no = np.concatenate(item_no) if item_no else np.zeros(0, dtype=np.int64)
    k = np.concatenate(k) if k else np.zeros(0, dtype=np.int64)
    r_code, r_names = pd.factorize(regions, sort=True)
    t_rank = pd.factorize(terminals, sort=True)[0]
    region_no, terminal_no, is_rebate = r_code[is_terminal][pos], t_rank[pos], np.zeros(len(pos), dtype=bool)
    region_ids = [t_region.take(pos)]
    terminal_ids = [terminals.take(pos)]
    if rebate:
        revenue = float_column(frame, "target_revenue", what, regions, minimum=0.0)
        per_region = np.bincount(r_code, weights=revenue, minlength=len(r_names))
        units = np.rint(per_region * rho / u).astype(np.int64)
        keep = np.flatnonzero(units > 0)
        region_no = np.concatenate([region_no, keep])
        terminal_no = np.concatenate([terminal_no, np.zeros(len(keep), dtype=np.int64)])
        is_rebate = np.concatenate([is_rebate, np.ones(len(keep), dtype=bool)])
        item_no = np.concatenate([item_no, np.full(len(keep), order[rebate])])
        k = np.concatenate([k, units[keep]])
        region_ids.append(pd.Series(r_names.take(keep), dtype="str"))
        terminal_ids.append(pd.Series(np.full(len(keep), np.nan, dtype=object), dtype="str"))
    rows = np.lexsort((item_no, terminal_no, is_rebate, region_no))
    names = [n for n, _ in sorted(order.items(), key=lambda kv: kv[1])]
    return pd.DataFrame(
        {
            "region_id": pd.concat(region_ids, ignore_index=True).take(rows).to_numpy(),
            "terminal_id": pd.concat(terminal_ids, ignore_index=True).astype("str").take(rows).to_numpy(),
            "category": "channel",
            "item": pd.Series(np.asarray(names, dtype=object)[item_no[rows]], dtype="str"),
            "amount": from_units(k[rows], u),
            "method": "objective_task",
        },
        columns=list(_FEE_COLUMNS),
    )


def terminal_lines(table: pd.DataFrame, terminal: np.ndarray, unit_of: dict) -> pd.DataFrame:
    """
    The plan's named terminal lines, one per terminal: its region, class, annual target,
    planning unit (``unit_of``) and ``is_new`` (no volume last year: it pays the entry fee).
    ``terminal`` marks the targets table's terminal rows (:func:`planlib.targets.breakdown_of`
    is ``terminal``), a boolean per row.
    """
    t = table[np.asarray(terminal, dtype=bool)]
    named = t[t["terminal_id"].notna()]
    g = named.groupby(["terminal_id"], observed=True).agg(
        region_id=("region_id", "first"), terminal_class=("terminal_class", "first"),
        target_volume=("target_volume", "sum"), target_revenue=("target_revenue", "sum"),
        last_year=("last_year_volume", "sum"),
    ).reset_index()
    g["region_id"] = g["region_id"].astype(str)
    g["terminal_class"] = g["terminal_class"].astype(str)
    g["terminal_id"] = g["terminal_id"].astype(str)
    g["unit"] = g["region_id"].map(unit_of)
    g["is_new"] = g["last_year"] <= 0
    return g


def channel_rates(p) -> dict:
    """The params' per-terminal channel rates (``budget.channel``) as :func:`objective_task` takes them."""
    c = p.channel
    return {"display": dict(c.display), "promoter_wages": dict(c.promoter_wages), "slotting": dict(c.slotting),
            "event_gifts": dict(c.event_gifts)}


def channel_fees(terminals: pd.DataFrame, members: list[str], p, target_revenue: pd.Series) -> pd.DataFrame:
    """Terminal-by-terminal channel fees of the members, plus each member's rebate row."""
    t = terminals[terminals["unit"].isin(members)]
    fees = objective_task(t.drop(columns=["target_revenue"]).assign(region_id=t["unit"]), rates=channel_rates(p)) \
        if len(t) else pd.DataFrame(columns=["region_id", "terminal_id", "category", "item", "amount", "method"])
    rebate = p.channel.year_end_rebate * target_revenue.reindex(members).fillna(0.0).to_numpy()
    reb = pd.DataFrame({"region_id": members, "terminal_id": None, "category": "channel", "item": "year_end_rebate",
                        "amount": np.round(rebate, 2), "method": "objective_task"})
    return pd.concat([fees, reb[reb["amount"] > 0]], ignore_index=True)
